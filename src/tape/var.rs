//! `Var`: a cheap handle to a value on a tape.

use std::borrow::Cow;
use std::cell::Ref;

use super::{NodeId, Tape};
use crate::float::Float;
use crate::tensor::{Shape, Tensor};

/// A handle to one value on a [`Tape`]: `Copy`, borrowing the tape, so
/// expressions read like the math: `x.matmul(w)?.sigmoid()`.
///
/// The ops are methods of `Var`, one family per module of [`crate::ops`].
#[derive(Clone, Copy)]
pub struct Var<'t, T: Float> {
    tape: &'t Tape<T>,
    id: NodeId,
}

impl<'t, T: Float> Var<'t, T> {
    pub(crate) fn new(tape: &'t Tape<T>, id: NodeId) -> Self {
        Var { tape, id }
    }

    /// The node's position on its tape.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The tape that holds this value.
    pub fn tape(&self) -> &'t Tape<T> {
        self.tape
    }

    /// The value, borrowed from the tape through a guard.
    ///
    /// Prefer [`Var::to_tensor`] (an owned copy), [`Var::item`] (a scalar)
    /// or [`Var::with_value`] (a borrow that cannot outlive a closure): none
    /// of them leaves a guard behind.
    ///
    /// # Panics
    /// Recording an op (or a leaf) on the same tape while the returned guard
    /// is alive panics, since the tape's nodes sit in a `RefCell`:
    ///
    /// ```should_panic
    /// use backprop::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.param(&Tensor::ones(&[2]).unwrap());
    /// let held = x.value();
    /// let _y = x.exp(); // panics: `held` still borrows the tape
    /// # drop(held);
    /// ```
    pub fn value(&self) -> Ref<'t, Tensor<T>> {
        Ref::map(self.tape.nodes.borrow(), |n| &n[self.id].value)
    }

    /// Calls `f` with the value borrowed from the tape and returns what it
    /// returns; the borrow ends with the call, so no guard can be held by
    /// mistake across later ops.
    ///
    /// ```
    /// use backprop::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.param(&Tensor::from_vec(vec![1.0, 2.0], &[2]).unwrap());
    /// let total = x.with_value(|t| t.data().iter().sum::<f64>());
    /// let y = x.mul_scalar(total); // recording afterwards is fine
    /// assert_eq!(y.to_tensor().data(), &[3.0, 6.0]);
    /// ```
    ///
    /// # Panics
    /// If `f` itself records on the same tape (the borrow is alive inside `f`).
    pub fn with_value<R>(&self, f: impl FnOnce(&Tensor<T>) -> R) -> R {
        f(&self.tape.nodes.borrow()[self.id].value)
    }

    /// An owned copy of the value (the borrow of the tape ends before it returns).
    pub fn to_tensor(&self) -> Tensor<T> {
        self.with_value(Tensor::clone)
    }

    /// The value as a scalar, if it holds exactly one element (a loss, say);
    /// no borrow of the tape outlives the call.
    pub fn item(&self) -> Option<T> {
        self.with_value(Tensor::item)
    }

    /// The shape of the value.
    pub fn shape(&self) -> Shape {
        self.tape.nodes.borrow()[self.id].value.shape()
    }

    /// Whether a parameter reaches this value (so backward differentiates it).
    pub fn requires_grad(&self) -> bool {
        self.tape.nodes.borrow()[self.id].requires_grad
    }

    /// Names the node (`"hidden_input"`, `"d_output"`…) for explanations; returns `self`.
    pub fn named(self, name: impl Into<Cow<'static, str>>) -> Self {
        self.tape.set_name(self.id, name.into());
        self
    }
}

impl<T: Float> std::fmt::Debug for Var<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Var#{} {:?}", self.id, &*self.value())
    }
}
