//! Losses, each fused into one node with a stable forward rule and its VJP.
//! Reductions follow PyTorch's defaults (`reduction="mean"`), except
//! [`Var::half_sse`], the seed notebook's `0.5·Σ(y − ŷ)²`.
//! Losses accumulate in `f64` whatever `T` is, then round once.

use std::panic::Location;

use super::Op;
use crate::error::{ErrorKind, Result};
use crate::float::Float;
use crate::tape::{Tape, Var};
use crate::tensor::{Shape, Tensor};

impl<'t, T: Float> Var<'t, T> {
    /// Records a loss `finish(Σ term(ŷᵢ, yᵢ), n)` after checking that `target` has `self`'s shape.
    #[track_caller]
    fn pairwise_loss(
        self,
        target: Var<'t, T>,
        op: Op<T>,
        term: impl Fn(f64, f64) -> f64,
        finish: impl Fn(f64, f64) -> f64,
    ) -> Result<Var<'t, T>> {
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
        let total: f64 = {
            let (p, t) = (self.value(), target.value());
            p.data()
                .iter()
                .zip(t.data())
                .map(|(&a, &b)| term(a.as_f64(), b.as_f64()))
                .sum()
        };
        let mut y = tape.alloc(Shape::SCALAR);
        y.data_mut()[0] = T::from_f64(finish(total, sp.numel() as f64));
        Ok(Var::new(
            tape,
            tape.push(op, &[self.id(), target.id()], y, loc),
        ))
    }

    /// Mean squared error `(1/n)·Σ(ŷ − y)²` (PyTorch's `MSELoss`); `self` is ŷ.
    #[track_caller]
    pub fn mse(self, target: Var<'t, T>) -> Result<Var<'t, T>> {
        self.pairwise_loss(target, Op::Mse, |p, t| (p - t) * (p - t), |sum, n| sum / n)
    }
}

/// Writes `contribs[k] = rule_k(i, ḡ)` element by element for each needed input.
fn pairwise_vjp<T: Float>(
    tape: &Tape<T>,
    inputs: &[&Tensor<T>],
    needs: &[bool],
    contribs: &mut [Option<Tensor<T>>],
    rules: [&dyn Fn(T, T) -> T; 2],
) {
    let (p, t) = (inputs[0], inputs[1]);
    for k in 0..2 {
        if needs[k] {
            tape.count_madds(p.numel());
            let mut d = tape.alloc_overwrite(p.shape());
            for ((o, &a), &b) in d.data_mut().iter_mut().zip(p.data()).zip(t.data()) {
                *o = rules[k](a, b);
            }
            contribs[k] = Some(d);
        }
    }
}

// MSE: ∂L/∂ŷ = 2(ŷ − y)/n, ∂L/∂y = −2(ŷ − y)/n.
pub(crate) fn mse_vjp<T: Float>(
    tape: &Tape<T>,
    inputs: &[&Tensor<T>],
    g: &Tensor<T>,
    needs: &[bool],
    contribs: &mut [Option<Tensor<T>>],
) {
    let s = g.data()[0] * T::from_f64(2.0 / inputs[0].numel() as f64);
    pairwise_vjp(
        tape,
        inputs,
        needs,
        contribs,
        [&|p, t| s * (p - t), &|p, t| s * (t - p)],
    );
}

impl<'t, T: Float> Var<'t, T> {
    /// `0.5·Σ(y − ŷ)²`, the seed notebook's loss (summed, not averaged); `self` is ŷ.
    #[track_caller]
    pub fn half_sse(self, target: Var<'t, T>) -> Result<Var<'t, T>> {
        self.pairwise_loss(
            target,
            Op::HalfSse,
            |p, t| (t - p) * (t - p),
            |sum, _| 0.5 * sum,
        )
    }
}

// Half SSE: ∂L/∂ŷ = ŷ − y (the notebook's `error = y − ŷ` is its negative), ∂L/∂y = y − ŷ.
pub(crate) fn half_sse_vjp<T: Float>(
    tape: &Tape<T>,
    inputs: &[&Tensor<T>],
    g: &Tensor<T>,
    needs: &[bool],
    contribs: &mut [Option<Tensor<T>>],
) {
    let s = g.data()[0];
    pairwise_vjp(
        tape,
        inputs,
        needs,
        contribs,
        [&|p, t| s * (p - t), &|p, t| s * (t - p)],
    );
}

impl<'t, T: Float> Var<'t, T> {
    /// Binary cross-entropy on logits, mean over elements (PyTorch's
    /// `BCEWithLogitsLoss`): `ℓ = max(x,0) − x·y + ln(1 + e^(−|x|))`, stable for any x.
    #[track_caller]
    pub fn bce_with_logits(self, target: Var<'t, T>) -> Result<Var<'t, T>> {
        self.pairwise_loss(
            target,
            Op::BceWithLogits,
            |x, y| x.max(0.0) - x * y + (-x.abs()).exp().ln_1p(),
            |sum, n| sum / n,
        )
    }
}

// BCE with logits: ∂ℓ/∂x = σ(x) − y, ∂ℓ/∂y = −x (each divided by n for the mean).
pub(crate) fn bce_vjp<T: Float>(
    tape: &Tape<T>,
    inputs: &[&Tensor<T>],
    g: &Tensor<T>,
    needs: &[bool],
    contribs: &mut [Option<Tensor<T>>],
) {
    let s = g.data()[0] / T::from_f64(inputs[0].numel() as f64);
    let sigmoid = |x: T| T::one() / (T::one() + (-x).exp());
    pairwise_vjp(
        tape,
        inputs,
        needs,
        contribs,
        [&|x, y| s * (sigmoid(x) - y), &|x, _| -s * x],
    );
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
        let classes = sx.dims()[1];
        let total: f64 = {
            let (x, l) = (self.value(), labels.value());
            let mut total = 0.0;
            for (n, &lab) in l.data().iter().enumerate() {
                let c = lab.as_f64();
                if !(c >= 0.0 && c < classes as f64 && c.fract() == 0.0) {
                    return Err(ErrorKind::BadLabel {
                        op: "cross_entropy",
                        index: n,
                        value: c,
                        classes,
                        location: loc,
                    }
                    .into());
                }
                let row = &x.data()[n * classes..(n + 1) * classes];
                let m = row.iter().fold(T::neg_infinity(), |m, &v| m.max(v));
                let s: T = row.iter().map(|&v| (v - m).exp()).sum();
                total += (m - row[c as usize]).as_f64() + s.as_f64().ln();
            }
            total
        };
        let mut y = tape.alloc(Shape::SCALAR);
        y.data_mut()[0] = T::from_f64(total / sx.dims()[0] as f64);
        Ok(Var::new(
            tape,
            tape.push(Op::CrossEntropy, &[self.id(), labels.id()], y, loc),
        ))
    }
}

// Cross-entropy: ∂ℓₙ/∂x[n,c] = softmax(x)[n,c] − [c = yₙ], divided by N for the mean.
pub(crate) fn cross_entropy_vjp<T: Float>(
    tape: &Tape<T>,
    inputs: &[&Tensor<T>],
    g: &Tensor<T>,
    contribs: &mut [Option<Tensor<T>>],
) {
    let (x, labels) = (inputs[0], inputs[1]);
    let (n_rows, classes) = (x.dims()[0], x.dims()[1]);
    let s = g.data()[0] / T::from_f64(n_rows as f64);
    let mut dx = tape.alloc_overwrite(x.shape());
    tape.count_madds(x.numel());
    for ((drow, row), &lab) in dx
        .data_mut()
        .chunks_mut(classes.max(1))
        .zip(x.data().chunks(classes.max(1)))
        .zip(labels.data())
    {
        let m = row.iter().fold(T::neg_infinity(), |m, &v| m.max(v));
        let sum: T = row.iter().map(|&v| (v - m).exp()).sum();
        for (c, (d, &v)) in drow.iter_mut().zip(row).enumerate() {
            let onehot = if c as f64 == lab.as_f64() {
                T::one()
            } else {
                T::zero()
            };
            *d = s * ((v - m).exp() / sum - onehot);
        }
    }
    contribs[0] = Some(dx);
}

/// Forward mode of a pairwise loss: `L̇ = Σᵢ (∂ℓ/∂ŷᵢ·ŷ̇ᵢ + ∂ℓ/∂yᵢ·ẏᵢ)`, with the
/// same per-element rules as the VJPs above at ḡ = 1.
pub(crate) fn pairwise_jvp<T: Float>(
    tape: &Tape<T>,
    op: Op<T>,
    inputs: &[&Tensor<T>],
    tangents: &[&Tensor<T>],
) -> Tensor<T> {
    let n = T::from_f64(inputs[0].numel() as f64);
    let sigmoid = |x: T| T::one() / (T::one() + (-x).exp());
    let two = T::from_f64(2.0);
    let rules = |p: T, t: T| -> (T, T) {
        match op {
            Op::Mse => (two * (p - t) / n, two * (t - p) / n),
            Op::HalfSse => (p - t, t - p),
            Op::BceWithLogits => ((sigmoid(p) - t) / n, -p / n),
            _ => unreachable!("not a pairwise loss"),
        }
    };
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
    let mut one = tape.alloc(Shape::SCALAR);
    one.data_mut()[0] = T::one();
    let mut slot = [None, None];
    cross_entropy_vjp(tape, inputs, &one, &mut slot);
    let grad = slot[0]
        .take()
        .expect("cross_entropy always differentiates its logits");
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
