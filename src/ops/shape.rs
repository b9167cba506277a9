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
        self.tape().apply(Op::BroadcastTo, &[self], target, loc)
    }
}

/// Forward: `y[o] = x[i]` for every place `o` of `target` that source element
/// `i` of `src` is copied to.
pub(crate) fn broadcast_into<T: Float>(src: Shape, target: Shape, xd: &[T], yd: &mut [T]) {
    for_each_broadcast(&target, &src.broadcast_strides(&target), |o, i| {
        yd[o] = xd[i]
    });
}

// d/dx broadcast(x): x̄ = Σ of ḡ over the broadcast axes (each source element
// was copied to several places, so its gradient is the sum of theirs).
pub(crate) fn broadcast_vjp_into<T: Float>(src: Shape, target: Shape, gd: &[T], dd: &mut [T]) {
    dd.fill(T::zero());
    for_each_broadcast(&target, &src.broadcast_strides(&target), |o, i| {
        dd[i] += gd[o]
    });
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
        self.tape().apply(Op::Reshape, &[self], target, loc)
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

// Forward mode of reshape: ẏ = ẋ in y's shape.
pub(crate) fn reshape_jvp<T: Float>(tape: &Tape<T>, y: &Tensor<T>, dx: &Tensor<T>) -> Tensor<T> {
    let mut dy = tape.alloc_overwrite(y.shape());
    dy.data_mut().copy_from_slice(dx.data());
    dy
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
        self.tape()
            .apply(Op::Transpose, &[self], transposed(src), loc)
    }
}

/// `shape` with its last two axes swapped.
pub(crate) fn transposed(shape: Shape) -> Shape {
    let r = shape.rank();
    shape
        .with_axis(r - 2, shape.dims()[r - 1])
        .with_axis(r - 1, shape.dims()[r - 2])
}

// Forward mode: ẏ = ẋᵀ (the transpose is its own adjoint).
pub(crate) fn transpose_jvp<T: Float>(tape: &Tape<T>, dx: &Tensor<T>) -> Tensor<T> {
    let mut out = tape.alloc_overwrite(transposed(dx.shape()));
    transpose_into(dx.shape(), dx.data(), out.data_mut());
    out
}

/// Writes the last-two-axes transpose of `x` (of `shape`) into `out`; the
/// forward rule, and its own VJP (x̄ = ḡᵀ, with `shape` the output's).
pub(crate) fn transpose_into<T: Float>(shape: Shape, x: &[T], out: &mut [T]) {
    let r = shape.rank();
    let (rows, cols) = (shape.dims()[r - 2], shape.dims()[r - 1]);
    let mat = rows * cols;
    if mat == 0 {
        return;
    }
    for (src, dst) in x.chunks(mat).zip(out.chunks_mut(mat)) {
        for i in 0..rows {
            for j in 0..cols {
                dst[j * rows + i] = src[i * cols + j];
            }
        }
    }
}
