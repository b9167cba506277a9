//! The gradient store returned by a backward pass.

use super::{NodeId, Var};
use crate::float::Float;
use crate::tensor::Tensor;

/// Gradients from one backward pass, keyed by the handles of the tape they came
/// from (like candle's `GradStore`). Every node that a parameter reaches and
/// that the loss depends on has an entry: leaves and intermediate values alike,
/// so `d_output`-style intermediate gradients can be read and explained.
pub struct Grads<T: Float> {
    tape_id: usize,
    grads: Vec<Option<Tensor<T>>>,
}

impl<T: Float> Grads<T> {
    pub(crate) fn new(tape_id: usize, grads: Vec<Option<Tensor<T>>>) -> Self {
        Grads { tape_id, grads }
    }

    /// ∂L/∂v, or `None` when `v` needs no gradient, the loss does not depend on
    /// it, or `v` belongs to another tape.
    pub fn get(&self, v: Var<'_, T>) -> Option<&Tensor<T>> {
        if v.tape().id != self.tape_id {
            return None;
        }
        self.get_id(v.id())
    }

    /// ∂L/∂(node `id`) on the tape these gradients came from.
    pub fn get_id(&self, id: NodeId) -> Option<&Tensor<T>> {
        self.grads.get(id).and_then(|g| g.as_ref())
    }

    /// Takes ∂L/∂v out of the store.
    pub fn remove(&mut self, v: Var<'_, T>) -> Option<Tensor<T>> {
        if v.tape().id != self.tape_id {
            return None;
        }
        self.grads.get_mut(v.id()).and_then(|g| g.take())
    }

    /// The number of nodes that received a gradient.
    pub fn len(&self) -> usize {
        self.grads.iter().filter(|g| g.is_some()).count()
    }

    /// Whether no node received a gradient.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn into_slots(self) -> Vec<Option<Tensor<T>>> {
        self.grads
    }
}
