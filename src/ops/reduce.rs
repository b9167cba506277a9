//! Reductions: `sum mean` over all elements or along an axis (with keep-dims),
//! and `max` along an axis.
//!
//! Along an axis, a shape splits into `(outer, len, inner)` (see
//! [`Shape::split_at_axis`]) and the reduction runs over the middle index.

use std::panic::Location;

use super::{check_axis, Op};
use crate::error::Result;
use crate::float::Float;
use crate::isa::per_isa;
use crate::tape::{Tape, Var};
use crate::tensor::{Shape, Tensor};

/// The output shape of a reduction.
fn reduced(shape: Shape, axis: Option<usize>, keepdim: bool) -> Shape {
    match (axis, keepdim) {
        (None, false) => Shape::SCALAR,
        (None, true) => Shape::new(&vec![1; shape.rank()]).expect("same rank"),
        (Some(a), true) => shape.with_axis(a, 1),
        (Some(a), false) => shape.without_axis(a),
    }
}

/// `(outer, len, inner)` of a reduction (`axis: None` reduces everything).
fn split(shape: Shape, axis: Option<usize>) -> (usize, usize, usize) {
    match axis {
        None => (1, shape.numel(), 1),
        Some(a) => shape.split_at_axis(a),
    }
}

/// Σ over the middle index of `(outer, len, inner)`, scaled by `scale`.
/// `out` must hold zeros (or the values to add to).
#[inline(always)]
pub(crate) fn sum_into<T: Float>(
    xd: &[T],
    shape: Shape,
    axis: Option<usize>,
    scale: T,
    out: &mut [T],
) {
    let (outer, len, inner) = split(shape, axis);
    if inner == 1 && len > 0 {
        // A contiguous line per output (a full sum, or the last axis): the
        // same left-to-right additions, without a one-element slice each.
        for (d, line) in out.iter_mut().zip(xd.chunks_exact(len.max(1))) {
            *d = sum_line(*d, line, scale);
        }
        return;
    }
    for o in 0..outer {
        let dst = &mut out[o * inner..(o + 1) * inner];
        for i in 0..len {
            let row = &xd[(o * len + i) * inner..(o * len + i + 1) * inner];
            for (d, &v) in dst.iter_mut().zip(row) {
                *d += v;
            }
        }
        for d in dst.iter_mut() {
            *d *= scale;
        }
    }
}

per_isa! {
    /// The forward rule of a sum or mean: `out` zero-filled, then
    /// [`sum_into`], vectorised for the instruction set in use (along a
    /// middle axis the lanes are the independent outputs; a line's own sum
    /// stays one left-to-right chain on every set).
    pub(crate) fn sum_forward<T: Float>(
        shape: Shape,
        axis: Option<usize>,
        scale: T,
        xd: &[T],
        out: &mut [T],
    ) [len = xd.len()] {
        out.fill(T::zero());
        sum_into(xd, shape, axis, scale, out);
    }
}

/// `scale·(init + Σ line)`, added left to right: a full reduction's kernel.
#[inline(always)]
fn sum_line<T: Float>(init: T, line: &[T], scale: T) -> T {
    line.iter().fold(init, |acc, &v| acc + v) * scale
}

/// The factor a sum (`mean = false`) or mean over `axis` (or all) of
/// `shape` applies: 1, or 1/len for a mean.
pub(crate) fn reduction_scale<T: Float>(mean: bool, shape: Shape, axis: Option<usize>) -> T {
    let (_, len, _) = split(shape, axis);
    if mean {
        T::one() / T::from_f64(len as f64)
    } else {
        T::one()
    }
}

per_isa! {
    /// `dd[o,i,n] = scale·gd[o,n]` over whole slices, `dd` of the input's
    /// `shape` (vectorised for the instruction set in use).
    pub(crate) fn spread_into<T: Float>(
        shape: Shape,
        axis: Option<usize>,
        scale: T,
        gd: &[T],
        dd: &mut [T],
    ) [len = dd.len()] {
        let (outer, len, inner) = split(shape, axis);
        if inner == 1 {
            for (line, &gv) in dd.chunks_exact_mut(len.max(1)).zip(gd) {
                line.fill(gv * scale);
            }
            return;
        }
        for o in 0..outer {
            for i in 0..len {
                let dst = &mut dd[(o * len + i) * inner..(o * len + i + 1) * inner];
                for (d, &gv) in dst.iter_mut().zip(&gd[o * inner..(o + 1) * inner]) {
                    *d = gv * scale;
                }
            }
        }
    }
}

impl<'t, T: Float> Var<'t, T> {
    #[track_caller]
    fn reduce(self, op: Op<T>, axis: Option<usize>, keepdim: bool) -> Result<Var<'t, T>> {
        let loc = Location::caller();
        let shape = self.shape();
        if let Some(a) = axis {
            check_axis(op.name(), shape, a)?;
        }
        self.tape()
            .apply(op, &[self], reduced(shape, axis, keepdim), loc)
    }

    /// Σ of all elements, a scalar.
    #[track_caller]
    pub fn sum(self) -> Var<'t, T> {
        self.reduce(
            Op::Sum {
                axis: None,
                keepdim: false,
            },
            None,
            false,
        )
        .expect("a full reduction cannot fail")
    }

    /// Σ along `axis`; `keepdim` keeps it with length 1.
    #[track_caller]
    pub fn sum_axis(self, axis: usize, keepdim: bool) -> Result<Var<'t, T>> {
        self.reduce(
            Op::Sum {
                axis: Some(axis),
                keepdim,
            },
            Some(axis),
            keepdim,
        )
    }
}

// Forward mode: ẏ = Σ ẋ along the axis (sum is linear), scaled by 1/n for the mean.
pub(crate) fn sum_jvp<T: Float>(
    tape: &Tape<T>,
    dx: &Tensor<T>,
    axis: Option<usize>,
    y: &Tensor<T>,
    mean: bool,
) -> Tensor<T> {
    let scale = reduction_scale(mean, dx.shape(), axis);
    let mut out = tape.alloc(y.shape());
    sum_into(dx.data(), dx.shape(), axis, scale, out.data_mut());
    tape.count_madds(dx.numel());
    out
}

impl<'t, T: Float> Var<'t, T> {
    /// Mean of all elements, a scalar.
    #[track_caller]
    pub fn mean(self) -> Var<'t, T> {
        self.reduce(
            Op::Mean {
                axis: None,
                keepdim: false,
            },
            None,
            false,
        )
        .expect("a full reduction cannot fail")
    }

    /// Mean along `axis`; `keepdim` keeps it with length 1.
    #[track_caller]
    pub fn mean_axis(self, axis: usize, keepdim: bool) -> Result<Var<'t, T>> {
        self.reduce(
            Op::Mean {
                axis: Some(axis),
                keepdim,
            },
            Some(axis),
            keepdim,
        )
    }
}

/// maxᵢ x[o,i,n] of `xd` (of `shape`); NaN propagates (as in PyTorch).
pub(crate) fn max_into<T: Float>(shape: Shape, axis: usize, xd: &[T], out: &mut [T]) {
    let (outer, len, inner) = shape.split_at_axis(axis);
    for o in 0..outer {
        for n in 0..inner {
            let mut m = T::neg_infinity();
            for i in 0..len {
                let v = xd[(o * len + i) * inner + n];
                if v > m || v.is_nan() {
                    m = v;
                    if v.is_nan() {
                        break;
                    }
                }
            }
            out[o * inner + n] = m;
        }
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Maximum along `axis`; `keepdim` keeps it with length 1. The axis must
    /// not be empty.
    #[track_caller]
    pub fn max_axis(self, axis: usize, keepdim: bool) -> Result<Var<'t, T>> {
        let shape = self.shape();
        if axis < shape.rank() && shape.dims()[axis] == 0 {
            return Err(crate::error::ErrorKind::BadShape {
                op: "max",
                shape,
                why: format!("axis {axis} is empty"),
                location: Location::caller(),
            }
            .into());
        }
        self.reduce(Op::Max { axis, keepdim }, Some(axis), keepdim)
    }
}

// d/dxᵢ maxⱼ xⱼ = [i = argmax]: ḡ goes to the first maximal element, 0 elsewhere
// (as PyTorch's `max(dim)`).
pub(crate) fn max_vjp_into<T: Float>(
    shape: Shape,
    axis: usize,
    xd: &[T],
    yd: &[T],
    gd: &[T],
    dd: &mut [T],
) {
    let (outer, len, inner) = shape.split_at_axis(axis);
    dd.fill(T::zero());
    for o in 0..outer {
        for n in 0..inner {
            if let Some(i) = argmax_at(xd, yd[o * inner + n], o, n, len, inner) {
                dd[(o * len + i) * inner + n] = gd[o * inner + n];
            }
        }
    }
}

/// The first position along the axis where `x` attains the line's maximum `m`.
fn argmax_at<T: Float>(
    xd: &[T],
    m: T,
    o: usize,
    n: usize,
    len: usize,
    inner: usize,
) -> Option<usize> {
    (0..len).find(|&i| {
        let v = xd[(o * len + i) * inner + n];
        v == m || (v.is_nan() && m.is_nan())
    })
}

// Forward mode: ẏ = ẋ at the arg-max (the max passes on its winner's change).
pub(crate) fn max_jvp<T: Float>(
    tape: &Tape<T>,
    x: &Tensor<T>,
    axis: usize,
    y: &Tensor<T>,
    dx: &Tensor<T>,
) -> Tensor<T> {
    let (outer, len, inner) = x.shape().split_at_axis(axis);
    let mut out = tape.alloc(y.shape());
    let (od, xd, yd, dd) = (out.data_mut(), x.data(), y.data(), dx.data());
    for o in 0..outer {
        for n in 0..inner {
            if let Some(i) = argmax_at(xd, yd[o * inner + n], o, n, len, inner) {
                od[o * inner + n] = dd[(o * len + i) * inner + n];
            }
        }
    }
    out
}
