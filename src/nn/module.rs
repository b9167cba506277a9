//! The [`Module`] trait: a model as a tree of named parameters, PyTorch's
//! `nn.Module` without the magic.
//!
//! A module does three things:
//!
//! * [`Module::visit`] and [`Module::visit_mut`] walk its parameters with
//!   their `state_dict` names, dotted like PyTorch's (`0.weight`,
//!   `encoder.1.bias`): a [`Visitor`] builds each name in one reused buffer,
//!   so a walk allocates nothing once the buffer has grown;
//! * [`Module::forward`] records the computation on a [`Tape`], taking each
//!   parameter's [`Var`] from a [`Params`] (which puts a parameter on the tape
//!   the first time it is asked for, and hands out the same `Var` afterwards);
//! * everything else — saving ([`crate::io::save_module`]), the optimiser's
//!   step ([`crate::optim::Optimizer::step_module`]), the training loop
//!   ([`crate::train::Trainer`]) — is built on those two.
//!
//! A parameter is known by its tensor's buffer: the `Var` that
//! [`Params::var`] handed out for `&self.weight` is the one whose gradient
//! the optimiser applies to `self.weight`, whatever the visiting order.
//!
//! A user's own model implements the trait in a few lines:
//!
//! ```
//! use backprop::nn::{Linear, Module, Params, Visitor, VisitorMut};
//! use backprop::prelude::*;
//!
//! /// `x + W₂·relu(W₁·x)`: a residual block.
//! struct Residual {
//!     inner: Linear<f64>,
//!     outer: Linear<f64>,
//! }
//!
//! impl Module<f64> for Residual {
//!     fn visit(&self, v: &mut Visitor<'_, f64>) {
//!         v.module("inner", &self.inner);
//!         v.module("outer", &self.outer);
//!     }
//!     fn visit_mut(&mut self, v: &mut VisitorMut<'_, f64>) {
//!         v.module("inner", &mut self.inner);
//!         v.module("outer", &mut self.outer);
//!     }
//!     fn forward<'t>(&self, x: Var<'t, f64>, p: &mut Params<'t, f64>) -> Result<Var<'t, f64>> {
//!         let h = self.inner.forward(x, p)?.relu();
//!         x + self.outer.forward(h, p)?
//!     }
//! }
//!
//! # fn main() -> backprop::Result<()> {
//! let mut rng = backprop::rng::NumpyRandom::seed(0);
//! let block = Residual {
//!     inner: Linear::new(4, 8, true, Init::Torch, &mut rng)?,
//!     outer: Linear::new(8, 4, true, Init::Torch, &mut rng)?,
//! };
//! let names: Vec<String> = block.named_parameters().into_iter().map(|(n, _)| n).collect();
//! assert_eq!(names, ["inner.weight", "inner.bias", "outer.weight", "outer.bias"]);
//! assert_eq!(block.num_parameters(), 8 * 4 + 8 + 4 * 8 + 4);
//! let y = block.infer(&Tensor::ones(&[3, 4])?)?;
//! assert_eq!(y.dims(), &[3, 4]);
//! # Ok(()) }
//! ```

use std::fmt::Write as _;

use super::{Activation, Linear, Mlp};
use crate::error::Result;
use crate::float::Float;
use crate::tape::{Grads, NodeId, Tape, Var};
use crate::tensor::Tensor;

/// A model: named parameters and a forward pass recorded on a tape.
///
/// Implementations list their parameters and child modules in
/// [`Module::visit`] and [`Module::visit_mut`] **in the same order with the
/// same names** (the optimiser's state and the saved files are keyed by
/// them), and take every parameter's [`Var`] from the [`Params`] in
/// [`Module::forward`]. See the [module documentation](self) for an example.
pub trait Module<T: Float> {
    /// Visits every parameter, read-only, with its dotted name
    /// ([`Visitor::param`], [`Visitor::module`]).
    fn visit(&self, v: &mut Visitor<'_, T>);

    /// Visits every parameter, mutably, in [`Module::visit`]'s order and
    /// names ([`VisitorMut::param`], [`VisitorMut::module`]).
    fn visit_mut(&mut self, v: &mut VisitorMut<'_, T>);

    /// The module's output for the batch `x`, recorded on `x`'s tape. Each
    /// parameter's `Var` comes from [`Params::var`].
    fn forward<'t>(&self, x: Var<'t, T>, p: &mut Params<'t, T>) -> Result<Var<'t, T>>;

    /// Every parameter's name and a copy of its value, in visiting order
    /// (PyTorch's `state_dict`).
    fn named_parameters(&self) -> Vec<(String, Tensor<T>)> {
        let mut out = Vec::new();
        let mut name = String::new();
        self.visit(&mut Visitor::new(&mut name, &mut |n, t| {
            out.push((n.to_string(), t.clone()))
        }));
        out
    }

    /// The number of parameter elements (weights and biases).
    fn num_parameters(&self) -> usize {
        let mut n = 0;
        self.visit(&mut Visitor::unnamed(&mut |_, t| n += t.numel()));
        n
    }

    /// The output for a batch `x` in inference mode (no gradients kept):
    /// [`Module::forward`] on a fresh tape.
    fn infer(&self, x: &Tensor<T>) -> Result<Tensor<T>> {
        let tape = Tape::new();
        tape.inference(|| {
            let mut p = Params::new(&tape);
            Ok(self.forward(tape.constant(x), &mut p)?.to_tensor())
        })
    }
}

/// The dotted name a visitor builds, in the caller's reused buffer (`None`:
/// names are not wanted, and every parameter is called `""`).
struct Names<'a>(Option<&'a mut String>);

impl Names<'_> {
    /// Appends `what` to the name; returns the length to [`Names::truncate`] back to.
    fn push(&mut self, what: std::fmt::Arguments<'_>) -> usize {
        match self.0.as_deref_mut() {
            Some(buf) => {
                let len = buf.len();
                buf.write_fmt(what).expect("writing to a String");
                len
            }
            None => 0,
        }
    }

    /// Cuts the name back to `len` bytes.
    fn truncate(&mut self, len: usize) {
        if let Some(buf) = self.0.as_deref_mut() {
            buf.truncate(len);
        }
    }

    /// The name built so far.
    fn as_str(&self) -> &str {
        self.0.as_deref().map_or("", String::as_str)
    }
}

/// Walks a module's parameters read-only, building each dotted name in one
/// reused buffer; handed to [`Module::visit`].
pub struct Visitor<'a, T: Float> {
    names: Names<'a>,
    f: &'a mut dyn FnMut(&str, &Tensor<T>),
}

impl<'a, T: Float> Visitor<'a, T> {
    /// A visitor calling `f(name, tensor)` for each parameter; names are
    /// built in `name` (its text is kept as a prefix: pass an empty string
    /// for top-level names). The buffer is reused, so a walk with a buffer
    /// that has grown once allocates nothing.
    pub fn new(name: &'a mut String, f: &'a mut dyn FnMut(&str, &Tensor<T>)) -> Self {
        Visitor {
            names: Names(Some(name)),
            f,
        }
    }

    /// A visitor that builds no names: `f` receives `""` for each.
    pub fn unnamed(f: &'a mut dyn FnMut(&str, &Tensor<T>)) -> Self {
        Visitor {
            names: Names(None),
            f,
        }
    }

    /// Visits a parameter called `name` (under the current prefix).
    pub fn param(&mut self, name: &str, t: &Tensor<T>) {
        let len = self.names.push(format_args!("{name}"));
        (self.f)(self.names.as_str(), t);
        self.names.truncate(len);
    }

    /// Visits a child module's parameters under `name.`.
    pub fn module<M: Module<T> + ?Sized>(&mut self, name: &str, m: &M) {
        let len = self.names.push(format_args!("{name}."));
        m.visit(self);
        self.names.truncate(len);
    }

    /// Visits a child module's parameters under `i.` (as `nn.Sequential`
    /// names its children), without formatting a string per call.
    pub fn indexed<M: Module<T> + ?Sized>(&mut self, i: usize, m: &M) {
        let len = self.names.push(format_args!("{i}."));
        m.visit(self);
        self.names.truncate(len);
    }
}

/// Walks a module's parameters mutably, building each dotted name in one
/// reused buffer; handed to [`Module::visit_mut`].
pub struct VisitorMut<'a, T: Float> {
    names: Names<'a>,
    f: &'a mut dyn FnMut(&str, &mut Tensor<T>),
}

impl<'a, T: Float> VisitorMut<'a, T> {
    /// A visitor calling `f(name, tensor)` for each parameter, names built
    /// in `name` as for [`Visitor::new`].
    pub fn new(name: &'a mut String, f: &'a mut dyn FnMut(&str, &mut Tensor<T>)) -> Self {
        VisitorMut {
            names: Names(Some(name)),
            f,
        }
    }

    /// A visitor that builds no names: `f` receives `""` for each.
    pub fn unnamed(f: &'a mut dyn FnMut(&str, &mut Tensor<T>)) -> Self {
        VisitorMut {
            names: Names(None),
            f,
        }
    }

    /// Visits a parameter called `name` (under the current prefix).
    pub fn param(&mut self, name: &str, t: &mut Tensor<T>) {
        let len = self.names.push(format_args!("{name}"));
        (self.f)(self.names.as_str(), t);
        self.names.truncate(len);
    }

    /// Visits a child module's parameters under `name.`.
    pub fn module<M: Module<T> + ?Sized>(&mut self, name: &str, m: &mut M) {
        let len = self.names.push(format_args!("{name}."));
        m.visit_mut(self);
        self.names.truncate(len);
    }

    /// Visits a child module's parameters under `i.`.
    pub fn indexed<M: Module<T> + ?Sized>(&mut self, i: usize, m: &mut M) {
        let len = self.names.push(format_args!("{i}."));
        m.visit_mut(self);
        self.names.truncate(len);
    }
}

/// The identity of a parameter: its buffer's address and length (stable
/// while the module is moved, since the buffer lives on the heap).
fn key<T: Float>(t: &Tensor<T>) -> (usize, usize) {
    (t.data().as_ptr() as usize, t.numel())
}

/// A module's parameters on a tape: [`Params::var`] puts a parameter on the
/// tape the first time it is asked for and hands out the same [`Var`] after
/// that (so a parameter used twice receives the sum of its gradients), and
/// [`Params::grad`] finds a parameter's gradient after the backward pass.
///
/// ```
/// use backprop::nn::{Linear, Module, Params};
/// use backprop::prelude::*;
/// # fn main() -> backprop::Result<()> {
/// let layer = Linear::<f64>::from_tensors(Tensor::from_rows(&[[2.0, -1.0]])?, None)?;
/// let tape = Tape::new();
/// let mut p = Params::new(&tape);
/// let y = layer.forward(tape.constant(&Tensor::from_rows(&[[1.0, 3.0]])?), &mut p)?;
/// let grads = tape.backward(y.sum())?;
/// assert_eq!(p.grad(&grads, &layer.weight).unwrap().data(), &[1.0, 3.0]); // ∂y/∂W = x
/// # Ok(()) }
/// ```
pub struct Params<'t, T: Float> {
    tape: &'t Tape<T>,
    /// `(buffer address, length, node)` per recorded parameter, in recording order.
    entries: Vec<(usize, usize, NodeId)>,
}

impl<'t, T: Float> Params<'t, T> {
    /// No parameters yet, recording on `tape`.
    pub fn new(tape: &'t Tape<T>) -> Self {
        Params {
            tape,
            entries: Vec::new(),
        }
    }

    /// [`Params::new`] reusing `buffer`'s allocation (from
    /// [`Params::into_buffer`]), so a training step allocates nothing for it.
    pub fn with_buffer(tape: &'t Tape<T>, mut buffer: Vec<(usize, usize, NodeId)>) -> Self {
        buffer.clear();
        Params {
            tape,
            entries: buffer,
        }
    }

    /// Gives back the allocation for [`Params::with_buffer`].
    pub fn into_buffer(self) -> Vec<(usize, usize, NodeId)> {
        self.entries
    }

    /// The tape the parameters are recorded on.
    pub fn tape(&self) -> &'t Tape<T> {
        self.tape
    }

    /// The [`Var`] of parameter `t`: put on the tape ([`Tape::param`]) the
    /// first time, the same `Var` afterwards.
    #[track_caller]
    pub fn var(&mut self, t: &Tensor<T>) -> Var<'t, T> {
        if let Some(v) = self.get(t) {
            return v;
        }
        let v = self.tape.param(t);
        let (at, len) = key(t);
        self.entries.push((at, len, v.id()));
        v
    }

    /// The [`Var`] of parameter `t`, if [`Params::var`] recorded it.
    pub fn get(&self, t: &Tensor<T>) -> Option<Var<'t, T>> {
        let k = key(t);
        self.entries
            .iter()
            .find(|&&(at, len, _)| (at, len) == k)
            .map(|&(_, _, id)| Var::new(self.tape, id))
    }

    /// Records every parameter of `m` in visiting order, before its forward
    /// pass does (so the tape starts with the parameter leaves, as
    /// [`Mlp::record`] lays it out).
    pub fn record<M: Module<T> + ?Sized>(&mut self, m: &M) {
        m.visit(&mut Visitor::unnamed(&mut |_, t| {
            if self.get(t).is_none() {
                let v = self.tape.param(t);
                let (at, len) = key(t);
                self.entries.push((at, len, v.id()));
            }
        }));
    }

    /// [`Params::record`], naming each leaf on the tape by its parameter
    /// name (for graphs and explanations; allocates the names).
    pub fn record_named<M: Module<T> + ?Sized>(&mut self, m: &M) {
        self.record(m);
        let mut name = String::new();
        m.visit(&mut Visitor::new(&mut name, &mut |n, t| {
            if let Some(v) = self.get(t) {
                v.named(n.to_string());
            }
        }));
    }

    /// The recorded parameters' `Var`s, in recording order.
    pub fn vars(&self) -> impl Iterator<Item = Var<'t, T>> + '_ {
        self.entries
            .iter()
            .map(move |&(_, _, id)| Var::new(self.tape, id))
    }

    /// The number of parameters recorded.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no parameter was recorded.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// ∂L/∂`t` from `grads` (of this tape's backward pass), or `None` when
    /// `t` was not recorded or the loss does not depend on it.
    pub fn grad<'g>(&self, grads: &'g Grads<T>, t: &Tensor<T>) -> Option<&'g Tensor<T>> {
        grads.get(self.get(t)?)
    }
}

impl<T: Float> Module<T> for Linear<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.param("weight", &self.weight);
        if let Some(b) = &self.bias {
            v.param("bias", b);
        }
    }

    fn visit_mut(&mut self, v: &mut VisitorMut<'_, T>) {
        v.param("weight", &mut self.weight);
        if let Some(b) = &mut self.bias {
            v.param("bias", b);
        }
    }

    /// `x·Wᵀ + b` (one product with the weight read transposed, then the
    /// bias broadcast over the rows).
    #[track_caller]
    fn forward<'t>(&self, x: Var<'t, T>, p: &mut Params<'t, T>) -> Result<Var<'t, T>> {
        let h = x.matmul_t(p.var(&self.weight))?;
        match &self.bias {
            Some(b) => h.add_bias(p.var(b)),
            None => Ok(h),
        }
    }
}

/// An activation is a module without parameters.
impl<T: Float> Module<T> for Activation {
    fn visit(&self, _: &mut Visitor<'_, T>) {}

    fn visit_mut(&mut self, _: &mut VisitorMut<'_, T>) {}

    #[track_caller]
    fn forward<'t>(&self, x: Var<'t, T>, _: &mut Params<'t, T>) -> Result<Var<'t, T>> {
        Ok(self.apply(x))
    }
}

/// Modules applied one after another, named `0`, `1`, … as PyTorch's
/// `nn.Sequential` names its children.
///
/// ```
/// use backprop::nn::{Activation, Linear, Module, Sequential};
/// use backprop::prelude::*;
/// # fn main() -> backprop::Result<()> {
/// let mut rng = backprop::rng::NumpyRandom::seed(0);
/// let net = Sequential::new()
///     .layer(Linear::<f32>::new(2, 8, true, Init::Torch, &mut rng)?)
///     .layer(Activation::Tanh)
///     .layer(Linear::new(8, 1, false, Init::Torch, &mut rng)?);
/// let names: Vec<String> = net.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["0.weight", "0.bias", "2.weight"]);
/// # Ok(()) }
/// ```
pub struct Sequential<T: Float> {
    layers: Vec<Box<dyn Module<T> + Send + Sync>>,
}

impl<T: Float> Default for Sequential<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Sequential<T> {
    /// No layers yet (the identity).
    pub fn new() -> Self {
        Sequential { layers: Vec::new() }
    }

    /// Appends `m` (child number [`Sequential::len`]).
    pub fn layer(mut self, m: impl Module<T> + Send + Sync + 'static) -> Self {
        self.push(m);
        self
    }

    /// Appends `m` in place.
    pub fn push(&mut self, m: impl Module<T> + Send + Sync + 'static) {
        self.layers.push(Box::new(m));
    }

    /// The number of children.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether there are no children.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// Child `i`.
    pub fn get(&self, i: usize) -> Option<&(dyn Module<T> + Send + Sync)> {
        self.layers.get(i).map(|m| &**m)
    }
}

impl<T: Float> std::fmt::Debug for Sequential<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut list = f.debug_list();
        let mut name = String::new();
        self.visit(&mut Visitor::new(&mut name, &mut |n, t| {
            list.entry(&format_args!("{n} {:?}", t.dims()));
        }));
        list.finish()
    }
}

impl<T: Float> Module<T> for Sequential<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        for (i, m) in self.layers.iter().enumerate() {
            v.indexed(i, &**m);
        }
    }

    fn visit_mut(&mut self, v: &mut VisitorMut<'_, T>) {
        for (i, m) in self.layers.iter_mut().enumerate() {
            v.indexed(i, &mut **m);
        }
    }

    fn forward<'t>(&self, x: Var<'t, T>, p: &mut Params<'t, T>) -> Result<Var<'t, T>> {
        self.layers.iter().try_fold(x, |h, m| m.forward(h, p))
    }
}

/// An [`Mlp`] is the `nn.Sequential` `Linear, activation, Linear, …`: layer
/// `i` is child `2i`, so its parameters are `0.weight`, `0.bias`,
/// `2.weight`, … ([`Mlp::named_params`]), and its forward pass is
/// [`Mlp::forward`]'s, with the same tape layout (every parameter leaf
/// first, named).
impl<T: Float> Module<T> for Mlp<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        for (i, l) in self.layers.iter().enumerate() {
            v.indexed(2 * i, l);
        }
    }

    fn visit_mut(&mut self, v: &mut VisitorMut<'_, T>) {
        for (i, l) in self.layers.iter_mut().enumerate() {
            v.indexed(2 * i, l);
        }
    }

    #[track_caller]
    fn forward<'t>(&self, x: Var<'t, T>, p: &mut Params<'t, T>) -> Result<Var<'t, T>> {
        for (i, l) in self.layers.iter().enumerate() {
            p.var(&l.weight).named(super::param_name(i, "weight"));
            if let Some(b) = &l.bias {
                p.var(b).named(super::param_name(i, "bias"));
            }
        }
        let mut h = x;
        for (i, l) in self.layers.iter().enumerate() {
            h = l.forward(h, p)?;
            if i + 1 < self.layers.len() {
                h = self.activation.apply(h);
            }
        }
        Ok(h)
    }
}

impl<T: Float> From<Mlp<T>> for Sequential<T> {
    /// The same network as a [`Sequential`]: the same names, the same outputs.
    fn from(mlp: Mlp<T>) -> Self {
        let n = mlp.layers.len();
        let mut s = Sequential::new();
        for (i, l) in mlp.layers.into_iter().enumerate() {
            s.push(l);
            if i + 1 < n {
                s.push(mlp.activation);
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::Init;
    use crate::rng::NumpyRandom;

    fn names<M: Module<f64> + ?Sized>(m: &M) -> Vec<String> {
        m.named_parameters().into_iter().map(|(n, _)| n).collect()
    }

    /// An encoder (a `Sequential`) and a head: a user's struct of modules.
    struct Net {
        encoder: Sequential<f64>,
        head: Linear<f64>,
    }

    impl Module<f64> for Net {
        fn visit(&self, v: &mut Visitor<'_, f64>) {
            v.module("encoder", &self.encoder);
            v.module("head", &self.head);
        }
        fn visit_mut(&mut self, v: &mut VisitorMut<'_, f64>) {
            v.module("encoder", &mut self.encoder);
            v.module("head", &mut self.head);
        }
        fn forward<'t>(&self, x: Var<'t, f64>, p: &mut Params<'t, f64>) -> Result<Var<'t, f64>> {
            let h = self.encoder.forward(x, p)?;
            self.head.forward(h, p)
        }
    }

    fn net() -> Net {
        let mut rng = NumpyRandom::seed(3);
        Net {
            encoder: Sequential::new()
                .layer(Linear::new(3, 4, true, Init::Torch, &mut rng).unwrap())
                .layer(Activation::Tanh)
                .layer(Linear::new(4, 4, true, Init::Torch, &mut rng).unwrap())
                .layer(Activation::Gelu),
            head: Linear::new(4, 2, false, Init::Torch, &mut rng).unwrap(),
        }
    }

    #[test]
    fn names_are_dotted_like_a_state_dict() {
        let mlp = Mlp::<f64>::new(&[2, 3, 3, 1], Activation::Relu, true, Init::Torch, 0).unwrap();
        let want = [
            "0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias",
        ];
        assert_eq!(names(&mlp), want);
        let from_mlp: Vec<String> = mlp.named_params().into_iter().map(|(n, _)| n).collect();
        assert_eq!(from_mlp, want);
        assert_eq!(names(&Sequential::from(mlp)), want);
        assert_eq!(
            names(&net()),
            [
                "encoder.0.weight",
                "encoder.0.bias",
                "encoder.2.weight",
                "encoder.2.bias",
                "head.weight"
            ]
        );
        assert_eq!(net().num_parameters(), 12 + 4 + 16 + 4 + 8);
    }

    #[test]
    fn visit_mut_updates_in_visiting_order() {
        let mut n = net();
        let mut k = 0.0;
        let mut name = String::from("model.");
        n.visit_mut(&mut VisitorMut::new(&mut name, &mut |n, t| {
            assert!(n.starts_with("model."), "{n}");
            k += 1.0;
            t.data_mut().fill(k);
        }));
        assert_eq!(name, "model.", "the prefix is restored");
        let got: Vec<f64> = n
            .named_parameters()
            .iter()
            .map(|(_, t)| t.data()[0])
            .collect();
        assert_eq!(got, [1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(n.head.weight.data(), &[5.0; 8]);
    }

    #[test]
    fn mlp_and_its_sequential_give_the_same_bits() {
        let mlp = Mlp::<f64>::new(&[3, 5, 2], Activation::Sigmoid, true, Init::Torch, 7).unwrap();
        let x = Tensor::from_rows(&[[0.5, -1.0, 2.0], [0.0, 0.25, -0.75]]).unwrap();
        let want = mlp.predict(&x, crate::nn::Loss::Mse).unwrap();
        assert_eq!(Module::infer(&mlp, &x).unwrap(), want);
        assert_eq!(Sequential::from(mlp).infer(&x).unwrap(), want);
    }

    #[test]
    fn mlp_module_forward_lays_out_the_tape_as_record_does() {
        let mlp = Mlp::<f64>::new(&[2, 3, 1], Activation::Tanh, true, Init::Torch, 1).unwrap();
        let x = Tensor::from_rows(&[[0.5, -1.0]]).unwrap();
        let layout = |tape: &Tape<f64>| -> Vec<(String, usize)> {
            tape.nodes()
                .iter()
                .map(|n| (format!("{:?}", n.name), n.inputs().len()))
                .collect()
        };
        let a = Tape::new();
        let params = mlp.record(&a);
        mlp.forward(a.constant(&x), &params).unwrap();
        let b = Tape::new();
        let mut p = Params::new(&b);
        p.record(&mlp);
        Module::forward(&mlp, b.constant(&x), &mut p).unwrap();
        assert_eq!(layout(&a), layout(&b));
    }

    #[test]
    fn a_modules_gradients_equal_finite_differences() {
        let mut n = net();
        let x = Tensor::from_rows(&[[0.3, -0.7, 1.1], [0.9, 0.2, -0.4]]).unwrap();
        let loss_of = |n: &Net| -> f64 {
            let y = n.infer(&x).unwrap();
            y.data().iter().map(|v| v * v).sum::<f64>()
        };
        // Analytic, by name.
        let tape = Tape::new();
        let mut p = Params::new(&tape);
        let y = n.forward(tape.constant(&x), &mut p).unwrap();
        let loss = y.mul(y).unwrap().sum();
        let grads = tape.backward(loss).unwrap();
        let mut analytic = Vec::new();
        n.visit(&mut Visitor::unnamed(&mut |_, t| {
            analytic.push(p.grad(&grads, t).unwrap().clone())
        }));
        assert_eq!(analytic.len(), 5);
        // Numeric: perturb each element through visit_mut.
        let eps = 1e-6;
        for (k, g) in analytic.iter().enumerate() {
            for j in 0..g.numel() {
                let nudge = |n: &mut Net, by: f64| {
                    let mut i = 0;
                    n.visit_mut(&mut VisitorMut::unnamed(&mut |_, t| {
                        if i == k {
                            t.data_mut()[j] += by;
                        }
                        i += 1;
                    }));
                };
                nudge(&mut n, eps);
                let up = loss_of(&n);
                nudge(&mut n, -2.0 * eps);
                let down = loss_of(&n);
                nudge(&mut n, eps);
                let numeric = (up - down) / (2.0 * eps);
                let a = g.data()[j];
                assert!(
                    (a - numeric).abs() < 1e-7 * (1.0 + numeric.abs()),
                    "parameter {k} element {j}: {a} vs {numeric}"
                );
            }
        }
    }

    #[test]
    fn a_parameter_used_twice_is_recorded_once() {
        let l = Linear::<f64>::from_tensors(Tensor::from_rows(&[[2.0]]).unwrap(), None).unwrap();
        let tape = Tape::new();
        let mut p = Params::new(&tape);
        let x = tape.constant(&Tensor::from_rows(&[[3.0]]).unwrap());
        let y = l.forward(l.forward(x, &mut p).unwrap(), &mut p).unwrap(); // y = w²x
        assert_eq!(p.len(), 1);
        let grads = tape.backward(y.sum()).unwrap();
        assert_eq!(p.grad(&grads, &l.weight).unwrap().data(), &[12.0]); // 2wx
    }

    #[test]
    fn linear_from_tensors_checks_shapes() {
        let w = Tensor::<f64>::zeros(&[2, 3]).unwrap();
        let err = Linear::from_tensors(w.clone(), Some(Tensor::zeros(&[3]).unwrap()));
        assert!(err
            .unwrap_err()
            .to_string()
            .contains("bias has shape [3], expected [2]"));
        assert!(Linear::from_tensors(Tensor::<f64>::zeros(&[3]).unwrap(), None).is_err());
        assert!(Linear::from_tensors(w, Some(Tensor::zeros(&[2]).unwrap())).is_ok());
    }
}
