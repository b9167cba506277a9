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

    /// The value, borrowed from the tape. Drop the borrow before recording
    /// further ops on the same tape: appending while it is held panics
    /// (a `RefCell` borrow). Use [`Var::to_tensor`] for an owned copy.
    pub fn value(&self) -> Ref<'t, Tensor<T>> {
        Ref::map(self.tape.nodes.borrow(), |n| &n[self.id].value)
    }

    /// An owned copy of the value.
    pub fn to_tensor(&self) -> Tensor<T> {
        self.value().clone()
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
