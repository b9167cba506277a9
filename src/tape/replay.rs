//! Replay: a recorded step compiled once, then run again and again on fresh
//! values, with every buffer allocated up front.
//!
//! A [`Tape`] interprets: each op checks shapes, takes a buffer from the pool
//! and pushes a node; each backward step looks up its inputs and allocates its
//! contributions. For a training loop whose graph never changes (the notebook's
//! network, an MLP), that work is the same every step. [`Replay::compile`]
//! does it once: it walks the nodes the loss depends on, gives every value, every
//! gradient and one scratch buffer a fixed place in three arenas, and writes
//! the step down as two flat instruction lists, forward and backward: each an
//! op's plan (the op with its shapes resolved) and its slots. Running the
//! step is then a loop over those instructions through the **same** dispatch
//! the tape's ops and sweep use (`ops::Plan`: each op's forward rule and VJP
//! over slices), so a replayed step equals a recorded one bit for bit. It
//! allocates nothing, chooses each product's kernel once, and leaves tiny
//! products to the direct loop of [`Product`](crate::tensor::product::Product),
//! never a thread.
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
//! Every op replays: a new op needs one row in the dispatch table and nothing
//! here.

use crate::error::{ErrorKind, Result};
use crate::float::Float;
use crate::ops::{accumulate, Fault, Op, Plan};
use crate::tape::{NodeId, Tape, Var};

/// A place in one of the arenas (values, gradients).
#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    off: usize,
    len: usize,
}

impl Slot {
    /// This slot's elements of `arena`.
    ///
    /// # Panics
    /// If the slot lies outside `arena` (compile sizes the arenas to hold every slot).
    #[inline(always)]
    fn of<T>(self, arena: &[T]) -> &[T] {
        &arena[self.off..self.off + self.len]
    }

    #[inline(always)]
    fn of_mut<T>(self, arena: &mut [T]) -> &mut [T] {
        &mut arena[self.off..self.off + self.len]
    }
}

/// One forward instruction: a node's plan, its inputs' value slots and its own.
#[derive(Clone, Copy, Debug)]
struct Fwd<T: Float> {
    plan: Plan<T>,
    ins: [Slot; 2],
    y: Slot,
    node: NodeId,
}

/// One backward instruction: input `k`'s VJP contribution of forward
/// instruction `fwd`, from the node's gradient `g` into the input's gradient
/// `dst`, written there when it is the input's first contribution, or else
/// into the scratch buffer and then added (`acc`), exactly as the tape's
/// sweep sums them.
#[derive(Clone, Copy, Debug)]
struct Bwd {
    fwd: usize,
    k: usize,
    g: Slot,
    dst: Slot,
    acc: bool,
}

/// A recorded step compiled for replay: see the [module docs](self).
pub struct Replay<T: Float> {
    tape_id: usize,
    /// Every live value, in node order.
    values: Vec<T>,
    /// Every gradient, in node order: an input's gradient lies before its
    /// consumer's, so one split hands out both.
    grads: Vec<T>,
    /// A later contribution, before it is added in.
    scratch: Vec<T>,
    value_slots: Vec<Option<Slot>>,
    grad_slots: Vec<Option<Slot>>,
    ops: Vec<Op<T>>,
    forward: Vec<Fwd<T>>,
    backward: Vec<Bwd>,
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
        // Values and gradients in node order, each in its own arena.
        let place = |wanted: &dyn Fn(NodeId) -> bool| {
            let mut top = 0;
            let slots: Vec<Option<Slot>> = (0..n)
                .map(|id| {
                    wanted(id).then(|| {
                        let s = Slot {
                            off: top,
                            len: nodes[id].value.numel(),
                        };
                        top += s.len;
                        s
                    })
                })
                .collect();
            (slots, top)
        };
        let (value_slots, values_len) = place(&|id| live[id]);
        let (grad_slots, grads_len) = place(&|id| live[id] && nodes[id].requires_grad);
        let scratch_len = (0..n)
            .filter(|&id| grad_slots[id].is_some())
            .map(|id| nodes[id].value.numel())
            .max()
            .unwrap_or(0);
        let mut values = vec![T::zero(); values_len];
        for id in 0..n {
            if let Some(s) = value_slots[id] {
                s.of_mut(&mut values)
                    .copy_from_slice(nodes[id].value.data());
            }
        }
        let val = |id: NodeId| value_slots[id].expect("an input of a live node is live");

        let mut forward = Vec::new();
        let mut fwd_of = vec![usize::MAX; n];
        let mut params = Vec::new();
        for id in (0..n).filter(|&id| live[id]) {
            let node = &nodes[id];
            match node.op {
                Op::Param => params.push(id),
                Op::Constant => {}
                op => {
                    let inputs = node.inputs();
                    let mut ins = [Slot::default(); 2];
                    let mut shapes = [crate::tensor::Shape::SCALAR; 2];
                    for (k, &i) in inputs.iter().enumerate() {
                        ins[k] = val(i);
                        shapes[k] = nodes[i].value.shape();
                    }
                    let arity = inputs.len();
                    fwd_of[id] = forward.len();
                    forward.push(Fwd {
                        plan: Plan::compiled(op, &shapes[..arity], node.value.shape())?,
                        ins,
                        y: val(id),
                        node: id,
                    });
                }
            }
        }

        // Backward, in the tape's reverse order; an input's first contribution
        // is written in place, later ones go through the scratch buffer.
        let mut backward = Vec::new();
        let mut written = vec![false; n];
        for id in (0..n).rev() {
            let Some(g) = grad_slots[id] else { continue };
            for (k, &input) in nodes[id].inputs().iter().enumerate() {
                let Some(dst) = grad_slots[input] else {
                    continue;
                };
                backward.push(Bwd {
                    fwd: fwd_of[id],
                    k,
                    g,
                    dst,
                    acc: written[input],
                });
                written[input] = true;
            }
        }
        let ops = nodes[..n].iter().map(|node| node.op).collect();
        Ok(Replay {
            tape_id: tape.id,
            values,
            grads: vec![T::zero(); grads_len],
            scratch: vec![T::zero(); scratch_len],
            value_slots,
            grad_slots,
            ops,
            forward,
            backward,
            params,
            loss: loss.id(),
        })
    }

    /// The forward pass on the current leaf values; returns the loss.
    pub fn forward(&mut self) -> Result<T> {
        for f in &self.forward {
            // An instruction's inputs are earlier nodes, whose values compile
            // placed before its own: one split gives the inputs (shared) and
            // the output (mutable).
            let (inputs, rest) = self.values.split_at_mut(f.y.off);
            let out = &mut rest[..f.y.len];
            let xs = [f.ins[0].of(inputs), f.ins[1].of(inputs)];
            if let Err(Fault::BadLabel {
                index,
                value,
                classes,
            }) = f.plan.forward(&xs, out)
            {
                return Err(ErrorKind::ReplayAccess {
                    node: f.node,
                    op: f.plan.op.name(),
                    why: format!(
                        "label {value} at position {index} is not a class in 0..{classes}"
                    ),
                }
                .into());
            }
        }
        let loss = self.value_slots[self.loss].expect("the loss is live");
        Ok(self.values[loss.off])
    }

    /// The backward sweep for the last forward pass: ∂L/∂(every value a
    /// parameter reaches), read with [`Replay::grad`].
    pub fn backward(&mut self) {
        let Replay {
            values,
            grads,
            scratch,
            forward,
            backward,
            ..
        } = self;
        if let Some(seed) = self.grad_slots[self.loss] {
            grads[seed.off] = T::one();
        }
        for b in backward.iter() {
            let f = &forward[b.fwd];
            let xs = [f.ins[0].of(values), f.ins[1].of(values)];
            let y = f.y.of(values);
            // The input's gradient lies before its consumer's: one split
            // hands out the one (mutable) and the other (shared).
            let (before, from_g) = grads.split_at_mut(b.g.off);
            let (g, dst) = (&from_g[..b.g.len], b.dst.of_mut(before));
            if b.acc {
                let c = &mut scratch[..b.dst.len];
                f.plan.vjp(b.k, &xs, y, g, c);
                accumulate(dst, c);
            } else {
                f.plan.vjp(b.k, &xs, y, g, dst);
            }
        }
    }

    /// [`Replay::forward`] then [`Replay::backward`]; returns the loss.
    #[inline]
    pub fn run(&mut self) -> Result<T> {
        let loss = self.forward()?;
        self.backward();
        Ok(loss)
    }

    /// Calls `f(i, value, gradient)` for the `i`-th parameter (tape order)
    /// with its value to update in place and its gradient from the last sweep.
    #[inline]
    pub fn update(&mut self, mut f: impl FnMut(usize, &mut [T], &[T])) {
        for (i, &id) in self.params.iter().enumerate() {
            let v = self.value_slots[id].expect("live");
            let Some(g) = self.grad_slots[id] else {
                continue;
            };
            f(i, v.of_mut(&mut self.values), g.of(&self.grads));
        }
    }

    /// Plain gradient descent on every parameter: `p ← p − lr·∂L/∂p`.
    #[inline]
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
        s.of_mut(&mut self.values).copy_from_slice(data);
        Ok(())
    }

    /// A value from the last forward pass (or a leaf's current value).
    #[track_caller]
    pub fn value(&self, v: Var<'_, T>) -> Result<&[T]> {
        let s = self.slot(v, &self.value_slots, "the loss does not depend on it")?;
        Ok(s.of(&self.values))
    }

    /// ∂L/∂v from the last backward sweep.
    #[track_caller]
    pub fn grad(&self, v: Var<'_, T>) -> Result<&[T]> {
        let s = self.slot(v, &self.grad_slots, "no parameter reaches it from the loss")?;
        Ok(s.of(&self.grads))
    }

    /// The number of forward and backward instructions (leaves excluded).
    pub fn instructions(&self) -> (usize, usize) {
        (self.forward.len(), self.backward.len())
    }

    #[track_caller]
    fn leaf_slot(&self, v: Var<'_, T>) -> Result<Slot> {
        let s = self.slot(v, &self.value_slots, "the loss does not depend on it")?;
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
