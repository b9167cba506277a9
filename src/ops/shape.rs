//! Shape ops: `broadcast_to reshape transpose`.

use std::panic::Location;

use super::Op;
use crate::error::{ErrorKind, Result};
use crate::float::Float;
use crate::tape::{Tape, Var};
use crate::tensor::{for_each_broadcast, Shape, Tensor};

impl<'t, T: Float> Var<'t, T> {
    /// NumPy broadcasting of `self` to `dims`.
    /// Forward: copies along the new or length-1 axes.
    #[track_caller]
    pub fn broadcast_to(self, dims: &[usize]) -> Result<Var<'t, T>> {
        self.broadcast_at(Shape::new(dims)?, Location::caller())
    }

    pub(crate) fn broadcast_at(
        self,
        target: Shape,
        loc: &'static Location<'static>,
    ) -> Result<Var<'t, T>> {
        let src = self.shape();
        if !src.broadcasts_to(&target) {
            return Err(ErrorKind::ShapeMismatch {
                op: "broadcast_to",
                lhs: src,
                rhs: target,
                why: "the first must broadcast to the second",
                location: loc,
            }
            .into());
        }
        let tape = self.tape();
        let mut y = tape.alloc_overwrite(target);
        {
            let x = self.value();
            let (xd, yd) = (x.data(), y.data_mut());
            for_each_broadcast(&target, &src.broadcast_strides(&target), |o, i| {
                yd[o] = xd[i]
            });
        }
        Ok(Var::new(
            tape,
            tape.push(Op::BroadcastTo, &[self.id()], y, loc),
        ))
    }
}

// d/dx broadcast(x): x̄ = Σ of ḡ over the broadcast axes (each source element
// was copied to several places, so its gradient is the sum of theirs).
pub(crate) fn broadcast_vjp<T: Float>(tape: &Tape<T>, x: &Tensor<T>, g: &Tensor<T>) -> Tensor<T> {
    let mut dx = tape.alloc(x.shape());
    let dd = dx.data_mut();
    let gd = g.data();
    let target = g.shape();
    for_each_broadcast(&target, &x.shape().broadcast_strides(&target), |o, i| {
        dd[i] += gd[o]
    });
    dx
}

impl<'t, T: Float> Var<'t, T> {
    /// The same elements, row-major, in a new shape with as many elements.
    #[track_caller]
    pub fn reshape(self, dims: &[usize]) -> Result<Var<'t, T>> {
        let loc = Location::caller();
        let (src, target) = (self.shape(), Shape::new(dims)?);
        if src.numel() != target.numel() {
            return Err(ErrorKind::ShapeMismatch {
                op: "reshape",
                lhs: src,
                rhs: target,
                why: "both must hold the same number of elements",
                location: loc,
            }
            .into());
        }
        let tape = self.tape();
        let mut y = tape.alloc_overwrite(target);
        y.data_mut().copy_from_slice(self.value().data());
        Ok(Var::new(tape, tape.push(Op::Reshape, &[self.id()], y, loc)))
    }
}

// Forward mode: ẏ = broadcast(ẋ), the same copy as the forward rule.
pub(crate) fn broadcast_jvp<T: Float>(
    tape: &Tape<T>,
    x: &Tensor<T>,
    dx: &Tensor<T>,
    y: &Tensor<T>,
) -> Tensor<T> {
    let mut out = tape.alloc_overwrite(y.shape());
    let (od, dd) = (out.data_mut(), dx.data());
    let target = y.shape();
    for_each_broadcast(&target, &x.shape().broadcast_strides(&target), |o, i| {
        od[o] = dd[i]
    });
    out
}

// d/dx reshape(x): x̄ = ḡ in x's shape (and forward mode: ẏ = ẋ in y's shape).
pub(crate) fn reshape_vjp<T: Float>(tape: &Tape<T>, x: &Tensor<T>, g: &Tensor<T>) -> Tensor<T> {
    let mut dx = tape.alloc_overwrite(x.shape());
    dx.data_mut().copy_from_slice(g.data());
    dx
}

impl<'t, T: Float> Var<'t, T> {
    /// Swaps the last two axes (the matrix transpose for rank 2).
    ///
    /// A transpose feeding a [`Var::matmul`] is better written with
    /// [`Var::t_matmul`] / [`Var::matmul_t`], which read it through strides.
    #[track_caller]
    pub fn transpose(self) -> Result<Var<'t, T>> {
        let loc = Location::caller();
        let src = self.shape();
        if src.rank() < 2 {
            return Err(ErrorKind::BadShape {
                op: "transpose",
                shape: src,
                why: "needs at least 2 axes".into(),
                location: loc,
            }
            .into());
        }
        let tape = self.tape();
        let r = src.rank();
        let target = src
            .with_axis(r - 2, src.dims()[r - 1])
            .with_axis(r - 1, src.dims()[r - 2]);
        let mut y = tape.alloc_overwrite(target);
        transpose_into(&self.value(), y.data_mut());
        Ok(Var::new(
            tape,
            tape.push(Op::Transpose, &[self.id()], y, loc),
        ))
    }
}

// d/dx xᵀ: x̄ = ḡᵀ.
pub(crate) fn transpose_vjp<T: Float>(tape: &Tape<T>, g: &Tensor<T>) -> Tensor<T> {
    let s = g.shape();
    let r = s.rank();
    let mut dx = tape.alloc_overwrite(
        s.with_axis(r - 2, s.dims()[r - 1])
            .with_axis(r - 1, s.dims()[r - 2]),
    );
    transpose_into(g, dx.data_mut());
    dx
}

// Forward mode: ẏ = ẋᵀ (the transpose is its own adjoint).
pub(crate) fn transpose_jvp<T: Float>(tape: &Tape<T>, dx: &Tensor<T>) -> Tensor<T> {
    transpose_vjp(tape, dx)
}

/// Writes the last-two-axes transpose of `x` into `out`.
fn transpose_into<T: Float>(x: &Tensor<T>, out: &mut [T]) {
    let r = x.shape().rank();
    let (rows, cols) = (x.dims()[r - 2], x.dims()[r - 1]);
    let mat = rows * cols;
    if mat == 0 {
        return;
    }
    for (src, dst) in x.data().chunks(mat).zip(out.chunks_mut(mat)) {
        for i in 0..rows {
            for j in 0..cols {
                dst[j * rows + i] = src[i * cols + j];
            }
        }
    }
}
