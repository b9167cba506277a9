//! `softmax` and `log_softmax` along an axis, shifted by the maximum so that
//! no `exp` overflows (logits of ±1e4 stay finite, in `f32` too).

use std::panic::Location;

use super::{check_axis, Op};
use crate::error::Result;
use crate::float::Float;
use crate::isa::per_isa;
use crate::math;
use crate::tape::{Tape, Var};
use crate::tensor::{Shape, Tensor};

/// Calls `f(first, step, len)` for every line along `axis`: the line's
/// elements sit at `first + i·step` for `i < len`.
#[inline(always)]
fn for_each_line(shape: Shape, axis: usize, mut f: impl FnMut(usize, usize, usize)) {
    let (outer, len, inner) = shape.split_at_axis(axis);
    for o in 0..outer {
        for n in 0..inner {
            f(o * len * inner + n, inner, len);
        }
    }
}

impl<'t, T: Float> Var<'t, T> {
    #[track_caller]
    fn normalise(self, axis: usize, log: bool) -> Result<Var<'t, T>> {
        let loc = Location::caller();
        let op = if log {
            Op::LogSoftmax { axis }
        } else {
            Op::Softmax { axis }
        };
        check_axis(op.name(), self.shape(), axis)?;
        self.tape().apply(op, &[self], self.shape(), loc)
    }

    /// `softmax(x)ᵢ = e^(xᵢ − m) / Σⱼ e^(xⱼ − m)` along `axis` (m the line's max).
    #[track_caller]
    pub fn softmax(self, axis: usize) -> Result<Var<'t, T>> {
        self.normalise(axis, false)
    }

    /// `log_softmax(x)ᵢ = xᵢ − m − ln Σⱼ e^(xⱼ − m)` along `axis`.
    #[track_caller]
    pub fn log_softmax(self, axis: usize) -> Result<Var<'t, T>> {
        self.normalise(axis, true)
    }
}

per_isa! {
    /// The forward rule over slices (`xd`, `yd` of `shape`), each line along
    /// `axis` shifted by its maximum: `log = false` gives softmax, `true` log-softmax.
    pub(crate) fn normalise_into<T: Float>(
        shape: Shape,
        axis: usize,
        log: bool,
        xd: &[T],
        yd: &mut [T],
    ) [len = yd.len()] {
        for_each_line(shape, axis, |first, step, len| {
            let line = (0..len).map(|i| first + i * step);
            // m = max, s = Σ e^(x − m): the shift makes every exp ≤ 1.
            let m = line.clone().fold(T::neg_infinity(), |m, i| m.max(xd[i]));
            let m = if m.is_finite() { m } else { T::zero() };
            // e^(x − m) into y first (a contiguous line is one vectorised loop),
            // then Σ in order, then y finished from it.
            if step == 1 {
                for (o, &v) in yd[first..first + len]
                    .iter_mut()
                    .zip(&xd[first..first + len])
                {
                    *o = math::exp(v - m);
                }
            } else {
                for i in line.clone() {
                    yd[i] = math::exp(xd[i] - m);
                }
            }
            let mut s = T::zero();
            for i in line.clone() {
                s += yd[i];
            }
            let ls = math::ln(s);
            for i in line {
                yd[i] = if log { xd[i] - m - ls } else { yd[i] / s };
            }
        });
    }
}

per_isa! {
    // Softmax: ∂yᵢ/∂xⱼ = yᵢ(δᵢⱼ − yⱼ), so x̄ = y ⊙ (ḡ − Σⱼ ḡⱼyⱼ).
    pub(crate) fn softmax_vjp_into<T: Float>(
        shape: Shape,
        axis: usize,
        yd: &[T],
        gd: &[T],
        dd: &mut [T],
    ) [len = dd.len()] {
        for_each_line(shape, axis, |first, step, len| {
            let line = (0..len).map(|i| first + i * step);
            let dot: T = line.clone().map(|i| gd[i] * yd[i]).sum();
            for i in line {
                dd[i] = yd[i] * (gd[i] - dot);
            }
        });
    }
}

// Forward mode: ẏ = y ⊙ (ẋ − Σⱼ yⱼẋⱼ) (the Jacobian is symmetric).
pub(crate) fn softmax_jvp<T: Float>(
    tape: &Tape<T>,
    axis: usize,
    y: &Tensor<T>,
    dx: &Tensor<T>,
) -> Tensor<T> {
    let mut out = tape.alloc_overwrite(y.shape());
    softmax_vjp_into(y.shape(), axis, y.data(), dx.data(), out.data_mut());
    tape.count_madds(2 * y.numel());
    out
}

per_isa! {
    // Log-softmax: ∂yᵢ/∂xⱼ = δᵢⱼ − softmax(x)ⱼ, so x̄ = ḡ − e^y ⊙ Σⱼ ḡⱼ.
    pub(crate) fn log_softmax_vjp_into<T: Float>(
        shape: Shape,
        axis: usize,
        yd: &[T],
        gd: &[T],
        dd: &mut [T],
    ) [len = dd.len()] {
        for_each_line(shape, axis, |first, step, len| {
            let line = (0..len).map(|i| first + i * step);
            let total: T = line.clone().map(|i| gd[i]).sum();
            for i in line {
                dd[i] = gd[i] - math::exp(yd[i]) * total;
            }
        });
    }
}

// Forward mode: ẏ = ẋ − Σⱼ e^(yⱼ)·ẋⱼ (the transpose of the rule above).
pub(crate) fn log_softmax_jvp<T: Float>(
    tape: &Tape<T>,
    axis: usize,
    y: &Tensor<T>,
    dx: &Tensor<T>,
) -> Tensor<T> {
    let mut out = tape.alloc_overwrite(y.shape());
    let (od, yd, dd) = (out.data_mut(), y.data(), dx.data());
    for_each_line(y.shape(), axis, |first, step, len| {
        let line = (0..len).map(|i| first + i * step);
        let dot: T = line.clone().map(|i| math::exp(yd[i]) * dd[i]).sum();
        for i in line {
            od[i] = dd[i] - dot;
        }
    });
    tape.count_madds(2 * y.numel());
    out
}
