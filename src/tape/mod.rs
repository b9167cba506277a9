//! The tape: a Wengert list of every op applied to tape values, and the
//! reverse sweep that turns it into gradients.
//!
//! * [`Tape::param`] and [`Tape::constant`] put leaves on the tape; every op on a
//!   [`Var`] appends a [`Node`] (op, inputs, output value) in creation order.
//! * Creation order is a topological order, so [`Tape::backward`] is a plain
//!   reverse loop: seed ∂L/∂L = 1, then at each node apply its op's
//!   vector-Jacobian product and add the results into its inputs' gradients
//!   (a value used twice receives the sum).
//! * Gradients come back in a fresh [`Grads`] store on every call, keyed by the
//!   handles; nothing is kept in global state, so `backward` is idempotent.
//! * [`Tape::clear`] drops the nodes but keeps their buffers in a pool, so a
//!   training loop of fixed shapes stops allocating after its first step.

mod grads;
pub mod replay;
mod var;

pub use grads::Grads;
pub use replay::Replay;
pub use var::Var;

use std::borrow::Cow;
use std::cell::{Cell, Ref, RefCell};
use std::panic::Location;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{ErrorKind, Result};
use crate::float::Float;
use crate::ops::{accumulate, Fault, Op, Plan};
use crate::tensor::{Shape, Tensor};

/// The position of a node on its tape (creation order).
pub type NodeId = usize;

/// One entry of the tape: an op, the ids of its inputs, and its output value.
pub struct Node<T: Float> {
    /// The op that produced this value ([`Op::Param`] / [`Op::Constant`] for leaves).
    pub op: Op<T>,
    inputs: [NodeId; 2],
    arity: u8,
    /// The value computed by the forward pass.
    pub value: Tensor<T>,
    /// Whether a parameter is reachable from this node (so it gets a gradient).
    pub requires_grad: bool,
    /// An optional name (`"hidden_input"`, `"d_output"`…) for explanations.
    pub name: Option<Cow<'static, str>>,
    /// The user's source line that created the node.
    pub location: &'static Location<'static>,
}

impl<T: Float> Node<T> {
    /// The ids of this node's inputs, in the op's argument order.
    pub fn inputs(&self) -> &[NodeId] {
        &self.inputs[..self.arity as usize]
    }

    /// Whether this node is a leaf (a parameter or a constant).
    pub fn is_leaf(&self) -> bool {
        self.arity == 0
    }
}

/// What a [`BackwardObserver`] sees at each node of the reverse sweep.
pub struct BackwardStep<'a, T: Float> {
    /// The node being visited.
    pub id: NodeId,
    /// The node itself (op, name, value, inputs).
    pub node: &'a Node<T>,
    /// The upstream gradient ∂L/∂(this node's value), summed over all its uses.
    pub upstream: &'a Tensor<T>,
    /// For each input (same order as `node.inputs()`), the contribution this
    /// node's vector-Jacobian product adds to that input's gradient; `None` for
    /// an input that needs no gradient. Empty for leaves.
    pub contributions: &'a [Option<Tensor<T>>],
}

/// Receives every step of a backward pass, in the order the tape is walked.
///
/// Explanations, traces and graph drawings are made from these events, so
/// they can never disagree with the gradients that training uses.
pub trait BackwardObserver<T: Float> {
    /// Called once per node that received a gradient, from the loss to the leaves.
    fn visit(&mut self, step: &BackwardStep<'_, T>);
}

impl<T: Float, F: FnMut(&BackwardStep<'_, T>)> BackwardObserver<T> for F {
    fn visit(&mut self, step: &BackwardStep<'_, T>) {
        self(step)
    }
}

static NEXT_TAPE_ID: AtomicUsize = AtomicUsize::new(1);

/// A Wengert list of tensor ops, generic over the element type.
///
/// ```
/// use backprop::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.param(&Tensor::from_vec(vec![3.0], &[1]).unwrap());
/// let y = x.mul(x).unwrap().sum(); // y = x², dy/dx = 2x
/// let grads = tape.backward(y).unwrap();
/// assert_eq!(grads.get(x).unwrap().data(), &[6.0]);
/// ```
pub struct Tape<T: Float> {
    id: usize,
    nodes: RefCell<Vec<Node<T>>>,
    pool: RefCell<Vec<Vec<T>>>,
    grad_enabled: Cell<bool>,
    madds: Cell<u64>,
    /// The slot vector of the last recycled [`Grads`], reused by the next sweep.
    spare_slots: RefCell<Vec<Option<Tensor<T>>>>,
}

impl<T: Float> Default for Tape<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Tape<T> {
    /// An empty tape, recording.
    pub fn new() -> Self {
        Tape {
            id: NEXT_TAPE_ID.fetch_add(1, Ordering::Relaxed),
            nodes: RefCell::new(Vec::new()),
            pool: RefCell::new(Vec::new()),
            grad_enabled: Cell::new(true),
            madds: Cell::new(0),
            spare_slots: RefCell::new(Vec::new()),
        }
    }

    /// A parameter leaf: a copy of `value` that backward computes a gradient for.
    #[track_caller]
    pub fn param(&self, value: &Tensor<T>) -> Var<'_, T> {
        self.leaf(Op::Param, value, self.grad_enabled.get())
    }

    /// A constant leaf (data such as X and y): drawn and explained, never differentiated.
    #[track_caller]
    pub fn constant(&self, value: &Tensor<T>) -> Var<'_, T> {
        self.leaf(Op::Constant, value, false)
    }

    /// A constant leaf holding a copy of `data` in shape `dims` (no
    /// intermediate tensor; errors if the length does not match).
    #[track_caller]
    pub fn constant_from(&self, data: &[T], dims: &[usize]) -> Result<Var<'_, T>> {
        let shape = Shape::new(dims)?;
        if shape.numel() != data.len() {
            return Err(ErrorKind::LengthMismatch {
                shape,
                expected: shape.numel(),
                got: data.len(),
            }
            .into());
        }
        let mut t = self.alloc_overwrite(shape);
        t.data_mut().copy_from_slice(data);
        let id = self.push_node(Op::Constant, &[], t, false, Location::caller());
        Ok(Var::new(self, id))
    }

    /// A constant leaf of class labels, stored as numbers of type `T`
    /// (exact below 2²⁴ in `f32`), for [`Var::cross_entropy`].
    #[track_caller]
    pub fn labels(&self, labels: &[usize]) -> Var<'_, T> {
        let mut t = self.alloc_overwrite(Shape::new(&[labels.len()]).expect("rank 1"));
        for (o, &l) in t.data_mut().iter_mut().zip(labels) {
            *o = T::from_f64(l as f64);
        }
        let id = self.push(Op::Constant, &[], t, Location::caller());
        Var::new(self, id)
    }

    /// A constant leaf that takes `value` itself, without a copy (a batch of
    /// data, say). Move the buffer back out with [`Tape::take`] before
    /// [`Tape::clear`] to reuse it; otherwise `clear` keeps it in the pool.
    #[track_caller]
    pub fn constant_owned(&self, value: Tensor<T>) -> Var<'_, T> {
        let id = self.push_node(Op::Constant, &[], value, false, Location::caller());
        Var::new(self, id)
    }

    /// Moves a value out of the tape, leaving an empty tensor in its place:
    /// for getting back a buffer given to [`Tape::constant_owned`] once the
    /// step is done. Ops or a backward pass that read `v` afterwards see no
    /// elements (and may panic), so take values last.
    pub fn take(&self, v: Var<'_, T>) -> Tensor<T> {
        std::mem::take(&mut self.nodes.borrow_mut()[v.id()].value)
    }

    #[track_caller]
    fn leaf(&self, op: Op<T>, value: &Tensor<T>, requires_grad: bool) -> Var<'_, T> {
        let mut t = self.alloc_overwrite(value.shape());
        t.data_mut().copy_from_slice(value.data());
        let id = self.push_node(op, &[], t, requires_grad, Location::caller());
        Var::new(self, id)
    }

    /// Runs `f` in inference mode: no op nodes are recorded; every result is
    /// kept as a constant value without inputs, so nothing can be differentiated
    /// and no graph is built. Recording resumes afterwards (also on panic).
    pub fn inference<R>(&self, f: impl FnOnce() -> R) -> R {
        struct Restore<'a>(&'a Cell<bool>, bool);
        impl Drop for Restore<'_> {
            fn drop(&mut self) {
                self.0.set(self.1);
            }
        }
        let _restore = Restore(&self.grad_enabled, self.grad_enabled.replace(false));
        f()
    }

    /// Whether ops are being recorded (false inside [`Tape::inference`]).
    pub fn is_recording(&self) -> bool {
        self.grad_enabled.get()
    }

    /// The number of entries (leaves, values and op nodes) on the tape.
    pub fn len(&self) -> usize {
        self.nodes.borrow().len()
    }

    /// Whether the tape holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of recorded op nodes (entries with inputs).
    pub fn op_count(&self) -> usize {
        self.nodes.borrow().iter().filter(|n| !n.is_leaf()).count()
    }

    /// Read access to all nodes, in creation order (for explanations and drawings).
    ///
    /// # Panics
    /// Recording on this tape while the returned guard is alive panics (the
    /// nodes sit in a `RefCell`); drop the guard first.
    pub fn nodes(&self) -> Ref<'_, [Node<T>]> {
        Ref::map(self.nodes.borrow(), |v| v.as_slice())
    }

    /// Drops every node and keeps their buffers (and the node list's capacity)
    /// for reuse, so the next step of the same shapes allocates nothing.
    /// Handles into the tape cannot outlive this call (it takes `&mut self`).
    pub fn clear(&mut self) {
        let nodes = self.nodes.get_mut();
        let pool = self.pool.get_mut();
        for n in nodes.drain(..) {
            pool.push(n.value.into_data());
        }
    }

    /// Gives the buffers of a gradient store back to the tape's pool.
    pub fn recycle(&self, grads: Grads<T>) {
        let mut pool = self.pool.borrow_mut();
        let mut slots = grads.into_slots();
        for t in slots.drain(..).flatten() {
            pool.push(t.into_data());
        }
        *self.spare_slots.borrow_mut() = slots;
    }

    /// Multiply-adds done by the derivative kernels (VJPs and JVPs) on this
    /// tape since it was made or [`Tape::reset_madds`] was called; each kernel
    /// counts its own work (a GEMM `m·n·k`, an element-wise product one per element).
    pub fn madds(&self) -> u64 {
        self.madds.get()
    }

    /// Sets the multiply-add counter back to zero.
    pub fn reset_madds(&self) {
        self.madds.set(0);
    }

    pub(crate) fn count_madds(&self, n: usize) {
        self.madds.set(self.madds.get() + n as u64);
    }

    /// A zero-filled tensor of `shape`, from the pool when a buffer fits
    /// (for kernels that accumulate into their output).
    pub(crate) fn alloc(&self, shape: Shape) -> Tensor<T> {
        let mut data = self.take_buffer(shape.numel());
        data.clear();
        data.resize(shape.numel(), T::zero());
        Tensor::from_parts(shape, data)
    }

    /// A tensor of `shape` whose elements are left as the pooled buffer had
    /// them (initialised, but arbitrary), for kernels that overwrite every
    /// element: it saves the zero-filling pass.
    pub(crate) fn alloc_overwrite(&self, shape: Shape) -> Tensor<T> {
        let mut data = self.take_buffer(shape.numel());
        data.resize(shape.numel(), T::zero());
        Tensor::from_parts(shape, data)
    }

    /// The smallest pooled buffer that holds `n` elements, or a new one.
    fn take_buffer(&self, n: usize) -> Vec<T> {
        let mut pool = self.pool.borrow_mut();
        let best = pool
            .iter()
            .enumerate()
            .filter(|(_, v)| v.capacity() >= n)
            .min_by_key(|(_, v)| v.capacity())
            .map(|(i, _)| i);
        match best {
            Some(i) => pool.swap_remove(i),
            None => Vec::with_capacity(n),
        }
    }

    /// A pooled copy of `t`.
    pub(crate) fn alloc_copy(&self, t: &Tensor<T>) -> Tensor<T> {
        let mut out = self.alloc_overwrite(t.shape());
        out.data_mut().copy_from_slice(t.data());
        out
    }

    /// Returns a buffer to the pool.
    pub(crate) fn give_back(&self, t: Tensor<T>) {
        self.pool.borrow_mut().push(t.into_data());
    }

    /// Records `op` on `inputs` (whose tape and shapes the caller checked),
    /// its value of shape `out` computed by the op's forward rule through the
    /// one dispatch the sweep and [`Replay`] share ([`Plan`]).
    pub(crate) fn apply<'t>(
        &'t self,
        op: Op<T>,
        inputs: &[Var<'t, T>],
        out: Shape,
        location: &'static Location<'static>,
    ) -> Result<Var<'t, T>> {
        let mut ids = [0; 2];
        let n = inputs.len();
        for (id, v) in ids.iter_mut().zip(inputs) {
            *id = v.id();
        }
        let mut y = self.alloc_overwrite(out);
        let done = {
            let nodes = self.nodes.borrow();
            let (shapes, xs) = operands(&nodes, &ids[..n]);
            Plan::new(op, &shapes[..n], out).forward(&xs, y.data_mut())
        };
        match done {
            Ok(()) => Ok(Var::new(self, self.push(op, &ids[..n], y, location))),
            Err(Fault::BadLabel {
                index,
                value,
                classes,
            }) => {
                self.give_back(y);
                Err(ErrorKind::BadLabel {
                    op: op.name(),
                    index,
                    value,
                    classes,
                    location,
                }
                .into())
            }
        }
    }

    /// Appends an op node; in inference mode, a constant value without inputs.
    pub(crate) fn push(
        &self,
        op: Op<T>,
        inputs: &[NodeId],
        value: Tensor<T>,
        location: &'static Location<'static>,
    ) -> NodeId {
        if !self.grad_enabled.get() {
            return self.push_node(Op::Constant, &[], value, false, location);
        }
        let requires_grad = {
            let nodes = self.nodes.borrow();
            inputs.iter().any(|&i| nodes[i].requires_grad)
        };
        self.push_node(op, inputs, value, requires_grad, location)
    }

    fn push_node(
        &self,
        op: Op<T>,
        inputs: &[NodeId],
        value: Tensor<T>,
        requires_grad: bool,
        location: &'static Location<'static>,
    ) -> NodeId {
        let mut ins = [0; 2];
        ins[..inputs.len()].copy_from_slice(inputs);
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(Node {
            op,
            inputs: ins,
            arity: inputs.len() as u8,
            value,
            requires_grad,
            name: None,
            location,
        });
        nodes.len() - 1
    }

    pub(crate) fn set_name(&self, id: NodeId, name: Cow<'static, str>) {
        self.nodes.borrow_mut()[id].name = Some(name);
    }

    pub(crate) fn check_same(
        &self,
        other: &Tape<T>,
        op: &'static str,
        location: &'static Location<'static>,
    ) -> Result<()> {
        if self.id == other.id {
            Ok(())
        } else {
            Err(ErrorKind::ForeignVar { op, location }.into())
        }
    }

    /// Reverse-mode gradients of a scalar `loss` with respect to every node
    /// that a parameter reaches; read them with [`Grads::get`].
    #[track_caller]
    pub fn backward(&self, loss: Var<'_, T>) -> Result<Grads<T>> {
        self.backward_with(loss, &mut |_: &BackwardStep<'_, T>| {})
    }

    /// [`Tape::backward`], reporting each step of the sweep to `observer`.
    ///
    /// # Panics
    /// If `observer` records on this tape: the sweep holds the nodes
    /// borrowed while it reports (reading values is fine).
    #[track_caller]
    pub fn backward_with(
        &self,
        loss: Var<'_, T>,
        observer: &mut dyn BackwardObserver<T>,
    ) -> Result<Grads<T>> {
        let shape = loss.shape();
        if shape.numel() != 1 {
            return Err(ErrorKind::NonScalarLoss { shape }.into());
        }
        let mut seed = self.alloc(shape);
        seed.data_mut()[0] = T::one();
        self.sweep(loss, seed, observer)
    }

    /// The vector-Jacobian product `seedᵀ·∂out/∂(every node)` for a non-scalar
    /// output (`seed` has `out`'s shape).
    #[track_caller]
    pub fn backward_seeded(&self, out: Var<'_, T>, seed: &Tensor<T>) -> Result<Grads<T>> {
        if seed.shape() != out.shape() {
            return Err(ErrorKind::ShapeMismatch {
                op: "backward_seeded",
                lhs: out.shape(),
                rhs: seed.shape(),
                why: "the seed must have the output's shape",
                location: Location::caller(),
            }
            .into());
        }
        let seed = self.alloc_copy(seed);
        self.sweep(out, seed, &mut |_: &BackwardStep<'_, T>| {})
    }

    #[track_caller]
    fn sweep(
        &self,
        out: Var<'_, T>,
        seed: Tensor<T>,
        observer: &mut dyn BackwardObserver<T>,
    ) -> Result<Grads<T>> {
        self.check_same(out.tape(), "backward", Location::caller())?;
        let nodes = self.nodes.borrow();
        let mut grads = std::mem::take(&mut *self.spare_slots.borrow_mut());
        grads.clear();
        grads.resize_with(out.id() + 1, || None);
        if !nodes[out.id()].requires_grad {
            self.give_back(seed);
            return Ok(Grads::new(self.id, grads));
        }
        grads[out.id()] = Some(seed);
        let mut contribs: [Option<Tensor<T>>; 2] = [None, None];
        for id in (0..=out.id()).rev() {
            let node = &nodes[id];
            let (earlier, here) = grads.split_at_mut(id);
            let Some(upstream) = here[0].as_ref() else {
                continue;
            };
            let ins = node.inputs();
            if ins.is_empty() {
                observer.visit(&BackwardStep {
                    id,
                    node,
                    upstream,
                    contributions: &[],
                });
                continue;
            }
            let n = ins.len();
            let (shapes, xs) = operands(&nodes, ins);
            let plan = Plan::new(node.op, &shapes[..n], node.value.shape());
            for (k, &i) in ins.iter().enumerate() {
                if nodes[i].requires_grad {
                    let mut d = self.alloc_overwrite(shapes[k]);
                    let (y, g) = (node.value.data(), upstream.data());
                    plan.vjp(k, &xs, y, g, d.data_mut());
                    self.count_madds(plan.madds(k));
                    contribs[k] = Some(d);
                }
            }
            observer.visit(&BackwardStep {
                id,
                node,
                upstream,
                contributions: &contribs[..ins.len()],
            });
            // Sum into the inputs' gradients: a value used twice gets both terms.
            for (k, &i) in ins.iter().enumerate() {
                let Some(c) = contribs[k].take() else {
                    continue;
                };
                match &mut earlier[i] {
                    Some(acc) => {
                        accumulate(acc.data_mut(), c.data());
                        self.give_back(c);
                    }
                    slot @ None => *slot = Some(c),
                }
            }
        }
        Ok(Grads::new(self.id, grads))
    }

    /// Forward-mode differentiation: the directional derivative of `out` when
    /// the leaves in `tangents` move along the given directions (all other
    /// leaves held fixed), by one forward sweep applying each op's
    /// Jacobian-vector product. `None` when `out` does not depend on them.
    ///
    /// ```
    /// use backprop::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.param(&Tensor::from_vec(vec![3.0], &[1]).unwrap());
    /// let y = x.mul(x).unwrap(); // dy/dx = 2x = 6
    /// let dy = tape.jvp(y, &[(x, &Tensor::ones(&[1]).unwrap())]).unwrap().unwrap();
    /// assert_eq!(dy.data(), &[6.0]);
    /// ```
    #[track_caller]
    pub fn jvp(
        &self,
        out: Var<'_, T>,
        tangents: &[(Var<'_, T>, &Tensor<T>)],
    ) -> Result<Option<Tensor<T>>> {
        let loc = Location::caller();
        self.check_same(out.tape(), "jvp", loc)?;
        let nodes = self.nodes.borrow();
        let mut dot: Vec<Option<Tensor<T>>> = Vec::new();
        dot.resize_with(out.id() + 1, || None);
        for &(v, t) in tangents {
            self.check_same(v.tape(), "jvp", loc)?;
            let shape = nodes[v.id()].value.shape();
            if t.shape() != shape {
                return Err(ErrorKind::ShapeMismatch {
                    op: "jvp",
                    lhs: shape,
                    rhs: t.shape(),
                    why: "a tangent must have its leaf's shape",
                    location: loc,
                }
                .into());
            }
            if v.id() <= out.id() {
                dot[v.id()] = Some(self.alloc_copy(t));
            }
        }
        for id in 0..=out.id() {
            let node = &nodes[id];
            let ins = node.inputs();
            if ins.is_empty() || ins.iter().all(|&i| dot[i].is_none()) {
                continue;
            }
            // Inputs without a tangent move by zero.
            let zeros: Vec<Option<Tensor<T>>> = ins
                .iter()
                .map(|&i| dot[i].is_none().then(|| self.alloc(nodes[i].value.shape())))
                .collect();
            let values: Vec<&Tensor<T>> = ins.iter().map(|&i| &nodes[i].value).collect();
            let tans: Vec<&Tensor<T>> = ins
                .iter()
                .zip(&zeros)
                .map(|(&i, z)| dot[i].as_ref().or(z.as_ref()).expect("tangent or zeros"))
                .collect();
            let t = node.op.jvp(self, &values, &node.value, &tans);
            for z in zeros.into_iter().flatten() {
                self.give_back(z);
            }
            dot[id] = Some(t);
        }
        let result = dot[out.id()].take();
        for t in dot.into_iter().flatten() {
            self.give_back(t);
        }
        Ok(result)
    }
}

/// The shapes and values of the nodes `ids` (an op's inputs, at most two),
/// as the dispatch ([`Plan`]) takes them: unused entries are scalars and empty.
fn operands<'n, T: Float>(nodes: &'n [Node<T>], ids: &[NodeId]) -> ([Shape; 2], [&'n [T]; 2]) {
    let mut shapes = [Shape::SCALAR; 2];
    let mut xs: [&[T]; 2] = [&[], &[]];
    for (k, &i) in ids.iter().enumerate() {
        shapes[k] = nodes[i].value.shape();
        xs[k] = nodes[i].value.data();
    }
    (shapes, xs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records one graph that uses every op family, sweeps it, and returns the
    /// loss and every parameter's gradient, flattened.
    fn every_op(tape: &Tape<f64>) -> Vec<f64> {
        let t = |d: &[usize], k: f64| {
            let n: usize = d.iter().product();
            Tensor::from_vec((0..n).map(|i| ((i as f64 + k) * 0.37).sin()).collect(), d).unwrap()
        };
        let a = tape.param(&t(&[3, 4], 1.0));
        let b = tape.param(&t(&[4], 2.0));
        let w = tape.param(&t(&[5, 4], 3.0));
        let y = tape.constant(&t(&[3, 5], 4.0));
        let h = a
            .add(b)
            .unwrap()
            .tanh()
            .mul(a)
            .unwrap()
            .div(a.exp())
            .unwrap()
            .sub(b.sigmoid())
            .unwrap();
        let z = h
            .matmul_t(w)
            .unwrap()
            .add_bias(
                b.add_scalar(0.5)
                    .reshape(&[4])
                    .unwrap()
                    .sum()
                    .broadcast_to(&[5])
                    .unwrap(),
            )
            .unwrap()
            .gelu();
        let z2 = a
            .t_matmul(h)
            .unwrap()
            .softplus()
            .reshape(&[16])
            .unwrap()
            .reshape(&[4, 4])
            .unwrap();
        let s = z
            .softmax(1)
            .unwrap()
            .add(z.log_softmax(0).unwrap())
            .unwrap()
            .transpose()
            .unwrap();
        let r = s
            .sum_axis(1, true)
            .unwrap()
            .mean_axis(0, false)
            .unwrap()
            .sum();
        let m = z2
            .max_axis(1, false)
            .unwrap()
            .leaky_relu()
            .relu()
            .abs()
            .sum();
        let l1 = z.mse(y).unwrap().add(z.half_sse(y).unwrap()).unwrap();
        let l2 = z
            .bce_with_logits(y.sigmoid())
            .unwrap()
            .add(z.cross_entropy(tape.labels(&[0, 4, 2])).unwrap())
            .unwrap();
        let loss = r
            .add(m)
            .unwrap()
            .add(l1)
            .unwrap()
            .add(l2)
            .unwrap()
            .powf(1.5)
            .sqrt()
            .mean();
        let g = tape.backward(loss).unwrap();
        let mut out = vec![loss.value().item().unwrap()];
        for v in [a, b, w] {
            out.extend_from_slice(g.get(v).unwrap().data());
        }
        tape.recycle(g);
        out
    }

    #[test]
    fn reused_buffers_never_leak_stale_values() {
        let fresh = every_op(&Tape::new());
        let mut tape = Tape::new();
        every_op(&tape);
        tape.clear();
        // Poison every pooled buffer: an element a kernel fails to write stays NaN.
        for buf in tape.pool.get_mut() {
            buf.clear();
            buf.resize(buf.capacity(), f64::NAN);
        }
        let again = every_op(&tape);
        assert!(again.iter().all(|v| v.is_finite()));
        assert_eq!(
            fresh.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            again.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }
}
