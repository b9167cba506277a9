//! Replay: a recorded step compiled once, then run again and again on fresh
//! values, with every buffer allocated up front.
//!
//! A [`Tape`] interprets: each op checks shapes, takes a buffer from the pool
//! and pushes a node; each backward step looks up its inputs and allocates its
//! contributions. For a training loop whose graph never changes (the notebook's
//! network, an MLP), that work is the same every step. [`Replay::compile`]
//! does it once: it walks the nodes the loss depends on, gives every value, every
//! gradient and one scratch buffer a fixed place in a single arena, and writes
//! the step down as two flat instruction lists, forward and backward. Running
//! the step is then a loop over those instructions, calling the **same**
//! kernels the tape's ops call (each op family exports its forward rule and
//! VJP over slices), so a replayed step equals a recorded one bit for bit. It
//! allocates nothing, never dispatches on shapes, and leaves tiny products to
//! the direct loop of [`Product`], never a thread.
//!
//! ```
//! use backprop::{Tape, Tensor, tape::Replay};
//! # fn main() -> backprop::Result<()> {
//! let tape = Tape::<f64>::new();
//! let x = tape.constant(&Tensor::from_rows(&[[1.0, 2.0]])?);
//! let w = tape.param(&Tensor::from_rows(&[[0.5], [-0.25]])?);
//! let loss = x.matmul(w)?.sigmoid().sum();
//! let mut step = Replay::compile(&tape, loss)?;
//! for _ in 0..3 {
//!     step.run()?;          // forward and backward, no allocation
//!     step.sgd(0.1);        // w ← w − 0.1·∂L/∂w, in place
//! }
//! assert!(step.value(w)?[0] < 0.5);
//! # Ok(()) }
//! ```
//!
//! Supported: leaves, element-wise ops (built-in and custom), `add sub mul div`
//! on equal shapes, `add_bias`, `matmul` (all transpose flags), `reshape`,
//! `sum`/`mean` (all or along an axis) and the fused losses. Graphs with
//! `broadcast_to`, `transpose`, `max` or softmax nodes are refused at compile
//! time with the node named.

use crate::error::{ErrorKind, Result};
use crate::float::Float;
use crate::ops::{arith, loss, matmul, reduce, unary, Binary, Custom, Op, Unary};
use crate::tape::{NodeId, Tape, Var};
use crate::tensor::gemm::MatRef;
use crate::tensor::product::{Direct, Product};
use crate::tensor::Shape;

/// A place in the arena.
#[derive(Clone, Copy, Debug)]
struct Slot {
    off: usize,
    len: usize,
}

/// A matrix operand: its slot, stored `[rows, cols]`, used transposed or not.
#[derive(Clone, Copy, Debug)]
struct Mat {
    slot: Slot,
    rows: usize,
    cols: usize,
    trans: bool,
}

impl Mat {
    fn logical(&self) -> (usize, usize) {
        if self.trans {
            (self.cols, self.rows)
        } else {
            (self.rows, self.cols)
        }
    }
}

/// A product's kernel, chosen by [`Product::for_shape`] as the tape chooses it.
#[derive(Clone, Copy, Debug)]
enum Kernel {
    Direct(Direct),
    Blocked,
}

impl Kernel {
    fn new(x: Mat, y: Mat) -> Result<Kernel> {
        let ((m, k), n) = (x.logical(), y.logical().1);
        Ok(match Product::for_shape(m, k, n) {
            Product::Direct => Kernel::Direct(Direct::new(m, k, n, x.trans, y.trans)?),
            Product::Blocked => Kernel::Blocked,
        })
    }

    #[inline(always)]
    fn run<T: Float>(&self, x: Mat, xd: &[T], y: Mat, yd: &[T], out: &mut [T]) {
        match self {
            Kernel::Direct(d) => d.run(xd, yd, out),
            Kernel::Blocked => Product::Blocked.run(mat_ref(xd, x), mat_ref(yd, y), out),
        }
    }
}

/// One forward instruction: an op's forward rule from input slots to its slot.
#[derive(Clone, Copy, Debug)]
enum Fwd<T: Float> {
    Unary {
        u: Unary,
        x: Slot,
        y: Slot,
    },
    Custom {
        op: Custom<T>,
        x: Slot,
        y: Slot,
    },
    Binary {
        op: Binary,
        a: Slot,
        b: Slot,
        y: Slot,
    },
    AddBias {
        z: Slot,
        b: Slot,
        y: Slot,
    },
    MatMul {
        kernel: Kernel,
        a: Mat,
        b: Mat,
        y: Slot,
    },
    Copy {
        x: Slot,
        y: Slot,
    },
    Reduce {
        x: Slot,
        shape: Shape,
        axis: Option<usize>,
        scale: T,
        y: Slot,
    },
    Pairwise {
        op: Op<T>,
        p: Slot,
        t: Slot,
        y: Slot,
    },
    CrossEntropy {
        x: Slot,
        labels: Slot,
        classes: usize,
        y: Slot,
        node: NodeId,
    },
}

impl<T: Float> Fwd<T> {
    /// The slot this instruction writes.
    fn out(&self) -> Slot {
        match *self {
            Fwd::Unary { y, .. }
            | Fwd::Custom { y, .. }
            | Fwd::Binary { y, .. }
            | Fwd::AddBias { y, .. }
            | Fwd::MatMul { y, .. }
            | Fwd::Copy { y, .. }
            | Fwd::Reduce { y, .. }
            | Fwd::Pairwise { y, .. }
            | Fwd::CrossEntropy { y, .. } => y,
        }
    }
}

/// The VJP rule of one backward instruction (its inputs' slots).
#[derive(Clone, Copy, Debug)]
enum Rule<T: Float> {
    Unary {
        u: Unary,
        x: Slot,
        y: Slot,
        g: Slot,
    },
    Custom {
        op: Custom<T>,
        x: Slot,
        y: Slot,
        g: Slot,
    },
    Binary {
        op: Binary,
        k: usize,
        a: Slot,
        b: Slot,
        y: Slot,
        g: Slot,
    },
    Copy {
        g: Slot,
    },
    BiasGrad {
        g: Slot,
    },
    MatMul {
        kernel: Kernel,
        x: Mat,
        y: Mat,
    },
    Spread {
        shape: Shape,
        axis: Option<usize>,
        scale: T,
        g: Slot,
    },
    Pairwise {
        op: Op<T>,
        k: usize,
        g: Slot,
        p: Slot,
        t: Slot,
    },
    CrossEntropy {
        g: Slot,
        x: Slot,
        labels: Slot,
    },
}

/// One backward instruction: a node's contribution to one input's gradient,
/// written to `dst`; when the input already holds an earlier contribution,
/// `dst` is the scratch slot and the result is then added into `acc`.
#[derive(Clone, Copy, Debug)]
struct Bwd<T: Float> {
    rule: Rule<T>,
    dst: Slot,
    acc: Option<Slot>,
}

/// A recorded step compiled for replay: see the [module docs](self).
pub struct Replay<T: Float> {
    tape_id: usize,
    arena: Vec<T>,
    values: Vec<Option<Slot>>,
    grads: Vec<Option<Slot>>,
    ops: Vec<Op<T>>,
    forward: Vec<Fwd<T>>,
    backward: Vec<Bwd<T>>,
    /// The parameter leaves, in tape order.
    params: Vec<NodeId>,
    loss: NodeId,
}

impl<T: Float> Replay<T> {
    /// Compiles the part of `tape` that `loss` (a scalar) depends on. Leaf
    /// values start as recorded; set new ones with [`Replay::set`].
    #[track_caller]
    pub fn compile(tape: &Tape<T>, loss: Var<'_, T>) -> Result<Replay<T>> {
        tape.check_same(loss.tape(), "replay", std::panic::Location::caller())?;
        let nodes = tape.nodes.borrow();
        let n = loss.id() + 1;
        let shape = nodes[loss.id()].value.shape();
        if shape.numel() != 1 {
            return Err(ErrorKind::NonScalarLoss { shape }.into());
        }
        // The nodes the loss depends on.
        let mut live = vec![false; n];
        live[loss.id()] = true;
        for id in (0..n).rev() {
            if live[id] {
                for &i in nodes[id].inputs() {
                    live[i] = true;
                }
            }
        }
        // Arena: values in node order, then gradients, then one scratch slot.
        let mut top = 0;
        let mut place = |len: usize| {
            let s = Slot { off: top, len };
            top += len;
            s
        };
        let values: Vec<Option<Slot>> = (0..n)
            .map(|id| live[id].then(|| place(nodes[id].value.numel())))
            .collect();
        let grads: Vec<Option<Slot>> = (0..n)
            .map(|id| (live[id] && nodes[id].requires_grad).then(|| place(nodes[id].value.numel())))
            .collect();
        let scratch_len = (0..n)
            .filter(|&id| grads[id].is_some())
            .map(|id| nodes[id].value.numel())
            .max()
            .unwrap_or(0);
        let scratch = place(scratch_len);
        let mut arena = vec![T::zero(); top];
        for id in 0..n {
            if let Some(s) = values[id] {
                arena[s.off..s.off + s.len].copy_from_slice(nodes[id].value.data());
            }
        }

        let val = |id: NodeId| values[id].expect("live");
        let mat = |id: NodeId, trans: bool| {
            let d = nodes[id].value.dims();
            Mat {
                slot: val(id),
                rows: d[0],
                cols: d[1],
                trans,
            }
        };

        let mut forward = Vec::new();
        let mut params = Vec::new();
        for id in 0..n {
            if !live[id] {
                continue;
            }
            let node = &nodes[id];
            let ins = node.inputs();
            let y = val(id);
            let x = |k: usize| val(ins[k]);
            forward.push(match node.op {
                Op::Param => {
                    params.push(id);
                    continue;
                }
                Op::Constant => continue,
                Op::Unary(u) => Fwd::Unary { u, x: x(0), y },
                Op::Custom(op) => Fwd::Custom { op, x: x(0), y },
                Op::Binary(op) => Fwd::Binary {
                    op,
                    a: x(0),
                    b: x(1),
                    y,
                },
                Op::AddBias => Fwd::AddBias {
                    z: x(0),
                    b: x(1),
                    y,
                },
                Op::MatMul { ta, tb } => {
                    let (a, b) = (mat(ins[0], ta), mat(ins[1], tb));
                    Fwd::MatMul {
                        kernel: Kernel::new(a, b)?,
                        a,
                        b,
                        y,
                    }
                }
                Op::Reshape => Fwd::Copy { x: x(0), y },
                Op::Sum { axis, .. } | Op::Mean { axis, .. } => {
                    let shape = nodes[ins[0]].value.shape();
                    let mean = matches!(node.op, Op::Mean { .. });
                    Fwd::Reduce {
                        x: x(0),
                        shape,
                        axis,
                        scale: reduce::reduction_scale(mean, shape, axis),
                        y,
                    }
                }
                Op::Mse | Op::HalfSse | Op::BceWithLogits => Fwd::Pairwise {
                    op: node.op,
                    p: x(0),
                    t: x(1),
                    y,
                },
                Op::CrossEntropy => Fwd::CrossEntropy {
                    x: x(0),
                    labels: x(1),
                    classes: nodes[ins[0]].value.dims()[1],
                    y,
                    node: id,
                },
                Op::BroadcastTo
                | Op::Transpose
                | Op::Max { .. }
                | Op::Softmax { .. }
                | Op::LogSoftmax { .. } => {
                    return Err(ErrorKind::NotReplayable {
                        node: id,
                        op: node.op.name(),
                        why: "this op has no replay kernel yet; use Tape::backward",
                    }
                    .into())
                }
            });
        }

        // Backward, in the tape's reverse order; an input's first contribution
        // is written in place, later ones go through the scratch slot and are
        // added, exactly as the tape's sweep sums them.
        let mut backward = Vec::new();
        let mut written = vec![false; n];
        for id in (0..n).rev() {
            let Some(g) = grads[id] else { continue };
            let node = &nodes[id];
            let ins = node.inputs();
            for (k, &input) in ins.iter().enumerate() {
                let Some(dst) = grads[input] else { continue };
                let v = |j: usize| val(ins[j]);
                let rule = match node.op {
                    Op::Param | Op::Constant => unreachable!("leaves have no inputs"),
                    Op::Unary(u) => Rule::Unary {
                        u,
                        x: v(0),
                        y: val(id),
                        g,
                    },
                    Op::Custom(op) => Rule::Custom {
                        op,
                        x: v(0),
                        y: val(id),
                        g,
                    },
                    Op::Binary(op) => Rule::Binary {
                        op,
                        k,
                        a: v(0),
                        b: v(1),
                        y: val(id),
                        g,
                    },
                    Op::AddBias if k == 0 => Rule::Copy { g },
                    Op::AddBias => Rule::BiasGrad { g },
                    Op::Reshape => Rule::Copy { g },
                    Op::MatMul { ta, tb } => {
                        let (a, b) = (mat(ins[0], ta), mat(ins[1], tb));
                        let gm = Mat {
                            slot: g,
                            rows: node.value.dims()[0],
                            cols: node.value.dims()[1],
                            trans: false,
                        };
                        let (x, y) = factors(ta, tb, k, a, b, gm);
                        Rule::MatMul {
                            kernel: Kernel::new(x, y)?,
                            x,
                            y,
                        }
                    }
                    Op::Sum { axis, .. } | Op::Mean { axis, .. } => {
                        let shape = nodes[input].value.shape();
                        let mean = matches!(node.op, Op::Mean { .. });
                        Rule::Spread {
                            shape,
                            axis,
                            scale: reduce::reduction_scale(mean, shape, axis),
                            g,
                        }
                    }
                    Op::Mse | Op::HalfSse | Op::BceWithLogits => Rule::Pairwise {
                        op: node.op,
                        k,
                        g,
                        p: v(0),
                        t: v(1),
                    },
                    Op::CrossEntropy => Rule::CrossEntropy {
                        g,
                        x: v(0),
                        labels: v(1),
                    },
                    _ => unreachable!("refused above"),
                };
                let first = !written[input];
                written[input] = true;
                backward.push(if first {
                    Bwd {
                        rule,
                        dst,
                        acc: None,
                    }
                } else {
                    Bwd {
                        rule,
                        dst: Slot {
                            off: scratch.off,
                            len: dst.len,
                        },
                        acc: Some(dst),
                    }
                });
            }
        }
        let ops = nodes[..n].iter().map(|node| node.op).collect();
        Ok(Replay {
            tape_id: tape.id,
            arena,
            values,
            grads,
            ops,
            forward,
            backward,
            params,
            loss: loss.id(),
        })
    }

    /// The forward pass on the current leaf values; returns the loss.
    pub fn forward(&mut self) -> Result<T> {
        for ins in &self.forward {
            // An instruction's inputs are earlier nodes, whose values compile
            // placed before its own: one split gives the inputs (shared) and
            // the output (mutable); a read past the split panics on bounds.
            let y = ins.out();
            let (inputs, rest) = self.arena.split_at_mut(y.off);
            let out = &mut rest[..y.len];
            let r = |s: Slot| &inputs[s.off..s.off + s.len];
            match *ins {
                Fwd::Unary { u, x, .. } => u.f_slice(r(x), out),
                Fwd::Custom { op, x, .. } => unary::custom_forward(op, r(x), out),
                Fwd::Binary { op, a, b, .. } => arith::binary_forward(op, r(a), r(b), out),
                Fwd::AddBias { z, b, .. } => arith::add_bias_forward(r(z), r(b), out),
                Fwd::MatMul { kernel, a, b, .. } => kernel.run(a, r(a.slot), b, r(b.slot), out),
                Fwd::Copy { x, .. } => out.copy_from_slice(r(x)),
                Fwd::Reduce {
                    x,
                    shape,
                    axis,
                    scale,
                    ..
                } => {
                    out.fill(T::zero());
                    reduce::sum_into(r(x), shape, axis, scale, out);
                }
                Fwd::Pairwise { op, p, t, .. } => out[0] = loss::pairwise_forward(op, r(p), r(t)),
                Fwd::CrossEntropy {
                    x,
                    labels,
                    classes,
                    node,
                    ..
                } => {
                    out[0] = loss::cross_entropy_forward(r(x), r(labels), classes).map_err(
                        |(index, value)| ErrorKind::ReplayAccess {
                            node,
                            op: "cross_entropy",
                            why: format!(
                                "label {value} at position {index} is not a class in 0..{classes}"
                            ),
                        },
                    )?;
                }
            }
        }
        let loss = self.values[self.loss].expect("the loss is live");
        Ok(self.arena[loss.off])
    }

    /// The backward sweep for the last forward pass: ∂L/∂(every value a
    /// parameter reaches), read with [`Replay::grad`].
    pub fn backward(&mut self) {
        if let Some(seed) = self.grads[self.loss] {
            self.arena[seed.off] = T::one();
        }
        for ins in &self.backward {
            let (d, view) = split(&mut self.arena, ins.dst);
            let r = |s| view.read(s);
            match ins.rule {
                Rule::Unary { u, x, y, g } => u.chain_slice(r(x), r(y), r(g), d),
                Rule::Custom { op, x, y, g } => unary::custom_chain(op, r(x), r(y), r(g), d),
                Rule::Binary { op, k, a, b, y, g } => {
                    arith::binary_vjp_into(op, k, r(a), r(b), r(y), r(g), d)
                }
                Rule::Copy { g } => d.copy_from_slice(r(g)),
                Rule::BiasGrad { g } => arith::add_bias_db_into(r(g), d),
                Rule::MatMul { kernel, x, y } => kernel.run(x, r(x.slot), y, r(y.slot), d),
                Rule::Spread {
                    shape,
                    axis,
                    scale,
                    g,
                } => reduce::spread_into(shape, axis, scale, r(g), d),
                Rule::Pairwise { op, k, g, p, t } => {
                    loss::pairwise_vjp_into(op, k, r(g)[0], r(p), r(t), d)
                }
                Rule::CrossEntropy { g, x, labels } => {
                    loss::cross_entropy_vjp_into(r(g)[0], r(x), r(labels), d)
                }
            }
            if let Some(acc) = ins.acc {
                // The contribution went to the scratch slot: add it in.
                let (sum, view) = split(&mut self.arena, acc);
                for (a, &c) in sum.iter_mut().zip(view.read(ins.dst)) {
                    *a += c;
                }
            }
        }
    }

    /// [`Replay::forward`] then [`Replay::backward`]; returns the loss.
    pub fn run(&mut self) -> Result<T> {
        let loss = self.forward()?;
        self.backward();
        Ok(loss)
    }

    /// Calls `f(i, value, gradient)` for the `i`-th parameter (tape order)
    /// with its value to update in place and its gradient from the last sweep.
    pub fn update(&mut self, mut f: impl FnMut(usize, &mut [T], &[T])) {
        for (i, &id) in self.params.iter().enumerate() {
            let (v, g) = (self.values[id].expect("live"), self.grads[id]);
            let Some(g) = g else { continue };
            // Gradients are placed after every value, so one split separates them.
            let (vals, rest) = self.arena.split_at_mut(g.off);
            f(i, &mut vals[v.off..v.off + v.len], &rest[..g.len]);
        }
    }

    /// Plain gradient descent on every parameter: `p ← p − lr·∂L/∂p`.
    pub fn sgd(&mut self, lr: T) {
        self.update(|_, p, g| {
            for (p, &d) in p.iter_mut().zip(g) {
                *p -= lr * d;
            }
        });
    }

    /// Replaces a leaf's value (data, labels, or a parameter).
    #[track_caller]
    pub fn set(&mut self, v: Var<'_, T>, data: &[T]) -> Result<()> {
        let s = self.leaf_slot(v)?;
        if data.len() != s.len {
            return Err(self.access(
                v.id(),
                format!("expected {} values, got {}", s.len, data.len()),
            ));
        }
        self.arena[s.off..s.off + s.len].copy_from_slice(data);
        Ok(())
    }

    /// A value from the last forward pass (or a leaf's current value).
    #[track_caller]
    pub fn value(&self, v: Var<'_, T>) -> Result<&[T]> {
        let s = self.slot(v, &self.values, "the loss does not depend on it")?;
        Ok(&self.arena[s.off..s.off + s.len])
    }

    /// ∂L/∂v from the last backward sweep.
    #[track_caller]
    pub fn grad(&self, v: Var<'_, T>) -> Result<&[T]> {
        let s = self.slot(v, &self.grads, "no parameter reaches it from the loss")?;
        Ok(&self.arena[s.off..s.off + s.len])
    }

    /// The number of forward and backward instructions (leaves excluded).
    pub fn instructions(&self) -> (usize, usize) {
        (self.forward.len(), self.backward.len())
    }

    #[track_caller]
    fn leaf_slot(&self, v: Var<'_, T>) -> Result<Slot> {
        let s = self.slot(v, &self.values, "the loss does not depend on it")?;
        if !matches!(self.ops[v.id()], Op::Param | Op::Constant) {
            return Err(self.access(
                v.id(),
                "only leaves (parameters, constants) can be set".into(),
            ));
        }
        Ok(s)
    }

    #[track_caller]
    fn slot(&self, v: Var<'_, T>, slots: &[Option<Slot>], missing: &str) -> Result<Slot> {
        if v.tape().id != self.tape_id {
            return Err(ErrorKind::ForeignVar {
                op: "replay",
                location: std::panic::Location::caller(),
            }
            .into());
        }
        match slots.get(v.id()).copied().flatten() {
            Some(s) => Ok(s),
            None if v.id() >= self.ops.len() => Err(ErrorKind::ReplayAccess {
                node: v.id(),
                op: "?",
                why: "recorded after the compiled loss".into(),
            }
            .into()),
            None => Err(self.access(v.id(), missing.into())),
        }
    }

    fn access(&self, node: NodeId, why: String) -> crate::Error {
        ErrorKind::ReplayAccess {
            node,
            op: self.ops[node].name(),
            why,
        }
        .into()
    }
}

/// The arena split around the one slot a backward instruction writes: that
/// slot is handed out mutably and every other element shared, by
/// `split_at_mut`, so the borrow checker (not a comment) keeps an
/// instruction's reads apart from its write. (A forward instruction reads
/// only earlier values, so it needs just the part before its output.)
///
/// Compile gives every value, every gradient and the scratch buffer its own
/// range of the arena, and an instruction reads slots other than the one it
/// writes, so a read lies wholly before or wholly after the write.
struct Split<'a, T> {
    /// The arena before the written slot.
    before: &'a [T],
    /// The arena after the written slot.
    after: &'a [T],
    /// The arena offset of `after`'s first element.
    after_off: usize,
}

/// Splits `arena` into the slot `w` (mutable) and a [`Split`] of the rest.
///
/// # Panics
/// If `w` lies outside the arena (compile sizes the arena to hold every slot).
#[inline(always)]
fn split<T>(arena: &mut [T], w: Slot) -> (&mut [T], Split<'_, T>) {
    let (before, rest) = arena.split_at_mut(w.off);
    let (out, after) = rest.split_at_mut(w.len);
    let view = Split {
        before,
        after,
        after_off: w.off + w.len,
    };
    (out, view)
}

impl<'a, T> Split<'a, T> {
    /// The elements of slot `s`.
    ///
    /// # Panics
    /// If `s` overlaps the written slot or lies outside the arena (compile
    /// never places a slot so).
    #[inline(always)]
    fn read(&self, s: Slot) -> &'a [T] {
        let end = s.off + s.len;
        if end <= self.before.len() {
            &self.before[s.off..end]
        } else {
            let off = s
                .off
                .checked_sub(self.after_off)
                .expect("replay: an instruction reads the slot it writes");
            &self.after[off..off + s.len]
        }
    }
}

/// A [`Mat`]'s operand view over its slot's data.
fn mat_ref<T>(data: &[T], m: Mat) -> MatRef<'_, T> {
    MatRef::new(data, m.rows, m.cols, m.trans)
}

/// Input `k`'s VJP factors for `C = op(A)·op(B)`, by the tape's own table
/// ([`matmul::vjp_plan`]), on slots.
fn factors(ta: bool, tb: bool, k: usize, a: Mat, b: Mat, g: Mat) -> (Mat, Mat) {
    let operands = [a, b, g];
    let [(i, ti), (j, tj)] = matmul::vjp_plan(ta, tb, k);
    (
        Mat {
            trans: ti,
            ..operands[i]
        },
        Mat {
            trans: tj,
            ..operands[j]
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(off: usize, len: usize) -> Slot {
        Slot { off, len }
    }

    #[test]
    fn a_split_reads_around_the_written_slot_and_refuses_to_alias_it() {
        let mut arena: Vec<f64> = (0..10).map(f64::from).collect();
        let (out, view) = split(&mut arena, slot(4, 3));
        assert_eq!(view.read(slot(0, 4)), &[0.0, 1.0, 2.0, 3.0]);
        assert_eq!(view.read(slot(7, 3)), &[7.0, 8.0, 9.0]);
        assert_eq!(view.read(slot(4, 0)), &[] as &[f64]);
        out.copy_from_slice(view.read(slot(1, 3)));
        assert_eq!(arena[4..7], [1.0, 2.0, 3.0]);
        // A read overlapping the write, or outside the arena, panics instead
        // of handing out a `&` beside the `&mut`.
        for bad in [slot(3, 2), slot(4, 1), slot(6, 2), slot(2, 6), slot(9, 2)] {
            let mut arena = vec![0.0f64; 10];
            let (_out, view) = split(&mut arena, slot(4, 3));
            let caught = std::panic::catch_unwind(|| view.read(bad).len());
            assert!(caught.is_err(), "{bad:?}");
        }
        let mut arena = vec![0.0f64; 10];
        let outside = std::panic::catch_unwind(move || split(&mut arena, slot(8, 3)).0.len());
        assert!(outside.is_err());
    }
}
