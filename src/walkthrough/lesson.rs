//! What the walkthrough's numbers mean, computed from them: the per-layer
//! gradient table that shows vanishing gradients, the per-example reading of
//! the result, and which steps the loss history samples.

use serde::Serialize;

use crate::nn::Activation;
use crate::tensor::Tensor;

/// A layer's gradient is flagged when it is at least this many times smaller
/// than the output layer's.
pub const VANISHING_RATIO: f64 = 100.0;

/// One row of the per-layer table (the JSON spelling of `layer_table`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerRow {
    /// The layer, 1-based (`W1` is layer 1).
    pub layer: usize,
    /// ‖∂L/∂Wₖ‖, the Frobenius norm.
    pub grad_norm: f64,
    /// The activation's derivative at the layer's pre-activations, averaged
    /// over every example and unit.
    pub mean_act_deriv: f64,
    /// ‖∂L/∂Wₖ‖ / ‖∂L/∂Wₖ₊₁‖; `None` for the output layer (and where
    /// ‖∂L/∂Wₖ₊₁‖ is 0).
    pub ratio: Option<f64>,
    /// Whether ‖∂L/∂Wₖ‖ is at least [`VANISHING_RATIO`]× smaller than the
    /// output layer's (never when the output layer's is 0: nothing learns then).
    pub flagged: bool,
}

/// The derivative of `act` at a pre-activation `z` whose activation is `a`
/// (each rule reuses what is cheapest: σ′ = a(1 − a), tanh′ = 1 − a², relu′ = [z > 0]).
pub fn act_deriv(act: Activation, z: f64, a: f64) -> f64 {
    match act {
        Activation::Tanh => 1.0 - a * a,
        Activation::Relu => f64::from(u8::from(z > 0.0)),
        _ => a * (1.0 - a),
    }
}

/// The activation of layer `k` (0-based) of `depth`: `hidden`, or the output's sigmoid.
pub fn layer_act(k: usize, depth: usize, hidden: Activation) -> Activation {
    if k + 1 == depth {
        Activation::Sigmoid
    } else {
        hidden
    }
}

/// The per-layer table from a step's gradients and its pre-activations and
/// activations (row-major, one slice per layer).
pub fn layer_table(
    gradients: &[Tensor<f64>],
    zs: &[&[f64]],
    acts: &[&[f64]],
    hidden: Activation,
) -> Vec<LayerRow> {
    let depth = gradients.len();
    let norms: Vec<f64> = gradients
        .iter()
        .map(|g| g.data().iter().map(|v| v * v).sum::<f64>().sqrt())
        .collect();
    let out = norms[depth - 1];
    (0..depth)
        .map(|k| {
            let act = layer_act(k, depth, hidden);
            let derivs = zs[k]
                .iter()
                .zip(acts[k])
                .map(|(&z, &a)| act_deriv(act, z, a));
            let mean = derivs.sum::<f64>() / zs[k].len().max(1) as f64;
            LayerRow {
                layer: k + 1,
                grad_norm: norms[k],
                mean_act_deriv: mean,
                ratio: (k + 1 < depth && norms[k + 1] > 0.0).then(|| norms[k] / norms[k + 1]),
                flagged: k + 1 < depth && out > 0.0 && norms[k] * VANISHING_RATIO <= out,
            }
        })
        .collect()
}

/// About ten steps evenly spaced from 1 to `steps` (all of them when fewer):
/// `1 + round(i·(steps − 1)/9)` for `i = 0…9`, without repeats.
pub fn sample_steps(steps: u64) -> Vec<u64> {
    let mut out: Vec<u64> = (0..10u64)
        .map(|i| 1 + ((i * (steps.max(1) - 1)) as f64 / 9.0).round() as u64)
        .collect();
    out.dedup();
    out
}

/// How one example's output moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moved {
    /// Nearer its target.
    Closer,
    /// Farther from its target.
    Farther,
    /// Exactly as far as before.
    Same,
}

/// One row of the reading of the result.
#[derive(Clone, Debug, PartialEq)]
pub struct ExampleRow {
    /// The input row, e.g. `[0, 1]`.
    pub input: Vec<f64>,
    /// The target.
    pub target: f64,
    /// ŷ before the first step.
    pub before: f64,
    /// ŷ after the last step.
    pub after: f64,
    /// Which way it moved.
    pub moved: Moved,
}

/// What happened to the loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    /// The loss fell and every example moved closer (or stayed).
    AllCloser,
    /// The loss fell, but some examples moved away from their targets.
    SomeAway,
    /// The loss rose: the step overshot.
    Rose,
}

/// The result read example by example, and the facts a sentence about it needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// One row per example.
    pub rows: Vec<ExampleRow>,
    /// The loss before the first step and after the last.
    pub loss: (f64, f64),
    /// Which case this is.
    pub case: Case,
    /// Mean |y − ŷ| before the step, over the examples that moved closer and
    /// over those that moved away.
    pub mean_error: (f64, f64),
    /// The sign of every entry of the last layer's first-step gradient, when
    /// they all agree: `1` positive (the last weights shrink), `-1` negative.
    pub last_grad_sign: Option<i8>,
    /// `1` when every output went up, `-1` when every output went down.
    pub outputs_moved: Option<i8>,
}

/// Reads the result: `x`, `y`, the outputs before and after, the losses, and
/// the last layer's first-step gradient.
pub fn outcome(
    x: &Tensor<f64>,
    y: &Tensor<f64>,
    before: &Tensor<f64>,
    after: &Tensor<f64>,
    loss: (f64, f64),
    last_grad: &Tensor<f64>,
) -> Outcome {
    let dim = x.dims()[1];
    let rows: Vec<ExampleRow> = (0..y.numel())
        .map(|i| {
            let (t, b, a) = (y.data()[i], before.data()[i], after.data()[i]);
            let (eb, ea) = ((t - b).abs(), (t - a).abs());
            let moved = if ea < eb {
                Moved::Closer
            } else if ea > eb {
                Moved::Farther
            } else {
                Moved::Same
            };
            ExampleRow {
                input: x.data()[i * dim..(i + 1) * dim].to_vec(),
                target: t,
                before: b,
                after: a,
                moved,
            }
        })
        .collect();
    let away = rows.iter().any(|r| r.moved == Moved::Farther);
    let case = if loss.1 > loss.0 {
        Case::Rose
    } else if away {
        Case::SomeAway
    } else {
        Case::AllCloser
    };
    let mean = |m: Moved| {
        let errs: Vec<f64> = rows
            .iter()
            .filter(|r| (r.moved == Moved::Farther) == (m == Moved::Farther))
            .map(|r| (r.target - r.before).abs())
            .collect();
        errs.iter().sum::<f64>() / errs.len().max(1) as f64
    };
    let sign_of = |vals: &mut dyn Iterator<Item = f64>| -> Option<i8> {
        let signs: Vec<i8> = vals
            .map(|v| {
                if v > 0.0 {
                    1
                } else if v < 0.0 {
                    -1
                } else {
                    0
                }
            })
            .collect();
        let first = *signs.first()?;
        (first != 0 && signs.iter().all(|&s| s == first)).then_some(first)
    };
    let last_grad_sign = sign_of(&mut last_grad.data().iter().copied());
    let outputs_moved = sign_of(&mut rows.iter().map(|r| r.after - r.before));
    let mean_error = (mean(Moved::Closer), mean(Moved::Farther));
    Outcome {
        rows,
        loss,
        case,
        mean_error,
        last_grad_sign,
        outputs_moved,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_steps_are_about_ten_and_span_the_run() {
        assert_eq!(sample_steps(1), [1]);
        assert_eq!(sample_steps(3), [1, 2, 3]);
        assert_eq!(sample_steps(10), (1..=10).collect::<Vec<_>>());
        let s = sample_steps(2000);
        assert_eq!((s.len(), s[0], s[9]), (10, 1, 2000));
        assert_eq!(s[1], 223);
    }

    #[test]
    fn the_table_flags_layers_100_times_smaller_than_the_output() {
        let g = |v: f64| Tensor::from_vec(vec![v], &[1, 1]).unwrap();
        let grads = [g(0.001), g(0.01), g(0.1)];
        let half: &[f64] = &[0.5];
        let rows = layer_table(&grads, &[half; 3], &[half; 3], Activation::Sigmoid);
        assert_eq!(
            rows.iter().map(|r| r.flagged).collect::<Vec<_>>(),
            [true, false, false]
        );
        assert!((rows[0].ratio.unwrap() - 0.1).abs() < 1e-12);
        assert_eq!(rows[2].ratio, None);
        assert_eq!(rows[0].mean_act_deriv, 0.25);
    }
}
