//! Losses, each fused into one node with a stable forward rule and its VJP.
//! Reductions follow PyTorch's defaults (`reduction="mean"`), except
//! [`Var::half_sse`], the seed notebook's `0.5·Σ(y − ŷ)²`.
//! Losses accumulate in `f64` whatever `T` is, then round once.

use std::panic::Location;

use super::Op;
use crate::error::{ErrorKind, Result};
use crate::float::Float;
use crate::isa::per_isa;
use crate::math;
use crate::tape::{Tape, Var};
use crate::tensor::{Shape, Tensor};

impl<'t, T: Float> Var<'t, T> {
    /// Records a loss `finish(Σ term(ŷᵢ, yᵢ), n)` after checking that `target` has `self`'s shape.
    #[track_caller]
    fn pairwise_loss(self, target: Var<'t, T>, op: Op<T>) -> Result<Var<'t, T>> {
        let loc = Location::caller();
        let tape = self.tape();
        tape.check_same(target.tape(), op.name(), loc)?;
        let (sp, st) = (self.shape(), target.shape());
        if sp != st {
            return Err(ErrorKind::ShapeMismatch {
                op: op.name(),
                lhs: sp,
                rhs: st,
                why: "prediction and target must have the same shape",
                location: loc,
            }
            .into());
        }
        tape.apply(op, &[self, target], Shape::SCALAR, loc)
    }

    /// Mean squared error `(1/n)·Σ(ŷ − y)²` (PyTorch's `MSELoss`); `self` is ŷ.
    #[track_caller]
    pub fn mse(self, target: Var<'t, T>) -> Result<Var<'t, T>> {
        self.pairwise_loss(target, Op::Mse)
    }

    /// Binary cross-entropy on logits, mean over elements (PyTorch's
    /// `BCEWithLogitsLoss`): `ℓ = max(x,0) − x·y + ln(1 + e^(−|x|))`, stable for any x.
    #[track_caller]
    pub fn bce_with_logits(self, target: Var<'t, T>) -> Result<Var<'t, T>> {
        self.pairwise_loss(target, Op::BceWithLogits)
    }

    /// `0.5·Σ(y − ŷ)²`, the seed notebook's loss (summed, not averaged); `self` is ŷ.
    #[track_caller]
    pub fn half_sse(self, target: Var<'t, T>) -> Result<Var<'t, T>> {
        self.pairwise_loss(target, Op::HalfSse)
    }
}

/// The pairwise losses, one table row each, the chain rule visible: the
/// per-element term `ℓ(p, t)` and how the sum of terms finishes into the
/// loss (over `n` elements); then the VJP as a scale `s(ḡ, n)` times the
/// per-element partials `∂ℓ/∂p` and `∂ℓ/∂t`; and the rule as printed. Terms
/// are added in `f64` left to right and rounded once; the partials run in `T`.
macro_rules! pairwise_losses {
    ($(
        $variant:ident, $rule:literal,
            term($p:ident, $t:ident) = $term:expr, finish($sum:ident, $n:ident) = $finish:expr,
            vjp($g:ident, $gn:ident) = $scale:expr, ($dp:expr, $dt:expr);
    )*) => {
        /// The forward rule of a pairwise loss over prediction `p` and target
        /// `t`: `finish(Σ term(pᵢ, tᵢ), n)`.
        #[allow(unused_variables)]
        pub(crate) fn pairwise_forward<T: Float>(op: Op<T>, p: &[T], t: &[T]) -> T {
            let n = p.len() as f64;
            T::from_f64(match op {
                $( Op::$variant => {
                    let $sum: f64 = p.iter().zip(t).map(|(&a, &b)| {
                        let ($p, $t) = (a.as_f64(), b.as_f64());
                        $term
                    }).sum();
                    let $n = n;
                    $finish
                } )*
                _ => unreachable!("not a pairwise loss"),
            })
        }

        /// Input `k`'s VJP contribution of a pairwise loss with upstream `g`
        /// (a scalar), element by element: `out[i] = s·∂ℓ/∂(p or t)`
        /// (compiled for each instruction set by `pairwise_vjp_into`).
        #[inline(always)]
        #[allow(unused_variables)]
        fn pairwise_vjp_loop<T: Float>(
            op: Op<T>,
            k: usize,
            g: T,
            p: &[T],
            t: &[T],
            out: &mut [T],
        ) {
            let rows = out.iter_mut().zip(p).zip(t);
            match op {
                $( Op::$variant => {
                    let ($g, $gn) = (g, p.len() as f64);
                    let s: T = $scale;
                    if k == 0 {
                        for ((o, &$p), &$t) in rows { *o = s * $dp; }
                    } else {
                        for ((o, &$p), &$t) in rows { *o = s * $dt; }
                    }
                } )*
                _ => unreachable!("not a pairwise loss"),
            }
        }

        /// `(∂L/∂pᵢ, ∂L/∂tᵢ)` at ḡ = 1, for forward mode.
        #[allow(unused_variables)]
        fn pairwise_partials<T: Float>(op: Op<T>, n: usize, pi: T, ti: T) -> (T, T) {
            match op {
                $( Op::$variant => {
                    let ($p, $t) = (pi, ti);
                    let ($g, $gn) = (T::one(), n as f64);
                    let s: T = $scale;
                    (s * $dp, s * $dt)
                } )*
                _ => unreachable!("not a pairwise loss"),
            }
        }

        /// A pairwise loss's rule as one line of math.
        pub(crate) fn pairwise_rule<T: Float>(op: &Op<T>) -> &'static str {
            match op {
                $( Op::$variant => $rule, )*
                _ => unreachable!("not a pairwise loss"),
            }
        }
    };
}

#[inline(always)]
fn sigmoid<T: Float>(x: T) -> T {
    T::one() / (T::one() + math::exp(-x))
}

pairwise_losses! {
    // MSE, PyTorch's MSELoss: ℓ = (ŷ − y)², mean; ∂ℓ/∂ŷ = 2(ŷ − y), ∂ℓ/∂y = −2(ŷ − y).
    Mse, "ŷ̄ = 2(ŷ − y)/n·ḡ",
        term(p, t) = (p - t) * (p - t), finish(sum, n) = sum / n,
        vjp(g, n) = g * T::from_f64(2.0 / n), (p - t, t - p);
    // The notebook's ½Σ(y − ŷ)², summed: ∂L/∂ŷ = ŷ − y (its `error = y − ŷ` negated).
    HalfSse, "ŷ̄ = (ŷ − y)·ḡ",
        term(p, t) = (t - p) * (t - p), finish(sum, n) = 0.5 * sum,
        vjp(g, n) = g, (p - t, t - p);
    // BCE on logits x, PyTorch's BCEWithLogitsLoss: ℓ = max(x,0) − x·y + ln(1 + e^(−|x|)),
    // stable for any x; ∂ℓ/∂x = σ(x) − y, ∂ℓ/∂y = −x; mean.
    BceWithLogits, "x̄ = (σ(x) − y)/n·ḡ",
        term(p, t) = p.max(0.0) - p * t + math::ln_1p(math::exp(-p.abs())), finish(sum, n) = sum / n,
        vjp(g, n) = g / T::from_f64(n), (sigmoid(p) - t, -p);
}

per_isa! {
    /// Input `k`'s VJP contribution of a pairwise loss with upstream `g`
    /// (a scalar), element by element, vectorised for the instruction set in use.
    pub(crate) fn pairwise_vjp_into<T: Float>(op: Op<T>, k: usize, g: T, p: &[T], t: &[T], out: &mut [T])
        [len = out.len()] { pairwise_vjp_loop(op, k, g, p, t, out) }
}

impl<'t, T: Float> Var<'t, T> {
    /// Cross-entropy of logits `[N, C]` (self) and class labels `[N]` (a
    /// constant from [`Tape::labels`]), mean over the batch (PyTorch's
    /// `CrossEntropyLoss`): `ℓₙ = (m − x[n, yₙ]) + ln Σ_c e^(x[n,c] − m)`, m the row max.
    #[track_caller]
    pub fn cross_entropy(self, labels: Var<'t, T>) -> Result<Var<'t, T>> {
        let loc = Location::caller();
        let tape = self.tape();
        tape.check_same(labels.tape(), "cross_entropy", loc)?;
        let (sx, sl) = (self.shape(), labels.shape());
        if sx.rank() != 2 || sl.rank() != 1 || sx.dims()[0] != sl.dims()[0] {
            return Err(ErrorKind::ShapeMismatch {
                op: "cross_entropy",
                lhs: sx,
                rhs: sl,
                why: "logits must be [N, C] and labels [N]",
                location: loc,
            }
            .into());
        }
        if labels.requires_grad() {
            return Err(ErrorKind::BadShape {
                op: "cross_entropy",
                shape: sl,
                why: "labels must be a constant, not a parameter".into(),
                location: loc,
            }
            .into());
        }
        tape.apply(Op::CrossEntropy, &[self, labels], Shape::SCALAR, loc)
    }
}

per_isa! {
    /// The mean cross-entropy of logits `x` (`[N, C]` row-major, `C = classes`)
    /// and labels `[N]`, accumulated in `f64` and rounded once; `Err((n, label))`
    /// for the first label that is not an integer in `0..C`.
    pub(crate) fn cross_entropy_forward<T: Float>(
        x: &[T],
        labels: &[T],
        classes: usize,
    ) -> Result<T, (usize, f64)> [len = x.len()] {
        let mut total = 0.0;
        for (n, &lab) in labels.iter().enumerate() {
            let c = lab.as_f64();
            if !(c >= 0.0 && c < classes as f64 && c.fract() == 0.0) {
                return Err((n, c));
            }
            let row = &x[n * classes..(n + 1) * classes];
            let m = row.iter().fold(T::neg_infinity(), |m, &v| m.max(v));
            // Σ e^(v − m), the exponentials a chunk at a time (one vectorised
            // loop), then added in order.
            let mut s = T::zero();
            let mut buf = [T::zero(); 32];
            for chunk in row.chunks(buf.len()) {
                let e = &mut buf[..chunk.len()];
                for (b, &v) in e.iter_mut().zip(chunk) {
                    *b = math::exp(v - m);
                }
                for &b in e.iter() {
                    s += b;
                }
            }
            total += (m - row[c as usize]).as_f64() + math::ln(s.as_f64());
        }
        Ok(T::from_f64(total / labels.len() as f64))
    }
}

per_isa! {
    /// `x̄ = (softmax(x) − onehot(y))·ḡ/N` over whole slices (`dx` has `x`'s length).
    pub(crate) fn cross_entropy_vjp_into<T: Float>(g: T, x: &[T], labels: &[T], dx: &mut [T]) [len = dx.len()] {
        let n_rows = labels.len();
        let classes = x.len().checked_div(n_rows).unwrap_or(0);
        let s = g / T::from_f64(n_rows as f64);
        for ((drow, row), &lab) in dx
            .chunks_mut(classes.max(1))
            .zip(x.chunks(classes.max(1)))
            .zip(labels)
        {
            let m = row.iter().fold(T::neg_infinity(), |m, &v| m.max(v));
            // e^(v − m) into the gradient first (one vectorised loop), then Σ in order.
            for (d, &v) in drow.iter_mut().zip(row) {
                *d = math::exp(v - m);
            }
            let mut sum = T::zero();
            for &d in drow.iter() {
                sum += d;
            }
            let label = lab.as_f64();
            for (c, d) in drow.iter_mut().enumerate() {
                let onehot = if c as f64 == label {
                    T::one()
                } else {
                    T::zero()
                };
                *d = s * (*d / sum - onehot);
            }
        }
    }
}

/// Forward mode of a pairwise loss: `L̇ = Σᵢ (∂ℓ/∂ŷᵢ·ŷ̇ᵢ + ∂ℓ/∂yᵢ·ẏᵢ)`, with the
/// same per-element rules as the VJPs above at ḡ = 1.
pub(crate) fn pairwise_jvp<T: Float>(
    tape: &Tape<T>,
    op: Op<T>,
    inputs: &[&Tensor<T>],
    tangents: &[&Tensor<T>],
) -> Tensor<T> {
    let n = inputs[0].numel();
    let rules = |p: T, t: T| pairwise_partials(op, n, p, t);
    let mut total = T::zero();
    let (p, t, dp, dt) = (
        inputs[0].data(),
        inputs[1].data(),
        tangents[0].data(),
        tangents[1].data(),
    );
    for i in 0..p.len() {
        let (gp, gt) = rules(p[i], t[i]);
        total += gp * dp[i] + gt * dt[i];
    }
    tape.count_madds(2 * p.len());
    let mut out = tape.alloc(Shape::SCALAR);
    out.data_mut()[0] = total;
    out
}

// Forward mode of cross-entropy: L̇ = (1/N)·Σₙ Σ_c (softmax(x)[n,c] − [c = yₙ])·ẋ[n,c].
pub(crate) fn cross_entropy_jvp<T: Float>(
    tape: &Tape<T>,
    inputs: &[&Tensor<T>],
    tangents: &[&Tensor<T>],
) -> Tensor<T> {
    let x = inputs[0];
    let mut grad = tape.alloc_overwrite(x.shape());
    cross_entropy_vjp_into(T::one(), x.data(), inputs[1].data(), grad.data_mut());
    tape.count_madds(x.numel());
    let mut one = tape.alloc(Shape::SCALAR);
    let total: T = grad
        .data()
        .iter()
        .zip(tangents[0].data())
        .map(|(&g, &d)| g * d)
        .sum();
    tape.count_madds(grad.numel());
    tape.give_back(grad);
    one.data_mut()[0] = total;
    one
}
