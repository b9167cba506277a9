//! Forward mode beside reverse mode: the same ∂L/∂W computed with one tangent
//! pass per weight (each op's JVP) and with one reverse sweep (each op's VJP),
//! with the passes and multiply-adds each took, counted by the kernels.

use super::WalkthroughError;
use crate::nn::Activation;
use crate::notebook;
use crate::tape::Tape;
use crate::tensor::Tensor;

/// The outcome of the comparison.
#[derive(Clone, Debug)]
pub struct Modes {
    /// The number of weights (= forward-mode passes).
    pub weights: usize,
    /// Forward-mode passes made.
    pub forward_passes: usize,
    /// Multiply-adds of all forward-mode passes (JVP kernels).
    pub forward_madds: u64,
    /// Reverse sweeps made (always 1).
    pub reverse_sweeps: usize,
    /// Multiply-adds of the reverse sweep (VJP kernels).
    pub reverse_madds: u64,
    /// ∂L/∂Wₖ from forward mode.
    pub forward: Vec<Tensor<f64>>,
    /// ∂L/∂Wₖ from reverse mode.
    pub reverse: Vec<Tensor<f64>>,
    /// The largest |forward − reverse| over all weights.
    pub max_diff: f64,
}

/// Computes ∂L/∂W both ways at the given weights (`hidden`: the hidden
/// layers' activation).
pub fn compare(
    x: &Tensor<f64>,
    y: &Tensor<f64>,
    weights: &[Tensor<f64>],
    hidden: Activation,
) -> Result<Modes, WalkthroughError> {
    let tape = Tape::new();
    let fwd = notebook::forward_with(&tape, x, y, weights, hidden)?;

    tape.reset_madds();
    let grads = tape.backward(fwd.loss)?;
    let reverse_madds = tape.madds();
    let reverse: Vec<Tensor<f64>> = fwd.weight_grads(&grads);

    tape.reset_madds();
    let mut forward = Vec::with_capacity(weights.len());
    let mut passes = 0;
    for (k, w) in weights.iter().enumerate() {
        let mut dw = Tensor::zeros(w.dims())?;
        for i in 0..w.numel() {
            // Tangent: move weight i of layer k by one unit, all others fixed.
            let mut e = Tensor::zeros(w.dims())?;
            e.data_mut()[i] = 1.0;
            let d = tape.jvp(fwd.loss, &[(fwd.weights[k], &e)])?;
            dw.data_mut()[i] = d.and_then(|t| t.item()).unwrap_or(0.0);
            passes += 1;
        }
        forward.push(dw);
    }
    let forward_madds = tape.madds();
    let max_diff = forward
        .iter()
        .zip(&reverse)
        .map(|(a, b)| a.max_abs_diff(b))
        .fold(0.0, f64::max);
    Ok(Modes {
        weights: weights.iter().map(|w| w.numel()).sum(),
        forward_passes: passes,
        forward_madds,
        reverse_sweeps: 1,
        reverse_madds,
        forward,
        reverse,
        max_diff,
    })
}

/// The hidden widths of the [`widths`] table: networks `2,H,H,1`.
pub const WIDTHS: [usize; 6] = [2, 4, 8, 16, 32, 64];

/// One row of the [`widths`] table (the JSON spelling of `modes.widths`).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct WidthRow {
    /// The hidden width H of `2,H,H,1`.
    pub hidden: usize,
    /// Weights (= forward-mode passes).
    pub weights: usize,
    /// Forward-mode passes.
    pub forward_passes: usize,
    /// Their multiply-adds.
    pub forward_madds: u64,
    /// Reverse sweeps (1).
    pub reverse_sweeps: usize,
    /// Its multiply-adds.
    pub reverse_madds: u64,
}

/// Forward against reverse mode for `2,H,H,1` at each H of [`WIDTHS`], with
/// the walkthrough's seed and activation: forward mode's cost grows with the
/// number of weights, reverse mode's with the size of one pass.
pub fn widths(seed: u32, hidden: Activation) -> Result<Vec<WidthRow>, WalkthroughError> {
    let (x, y) = notebook::xor();
    WIDTHS
        .iter()
        .map(|&h| {
            let w = notebook::init_weights(seed, &[2, h, h, 1])?;
            let m = compare(&x, &y, &w, hidden)?;
            Ok(WidthRow {
                hidden: h,
                weights: m.weights,
                forward_passes: m.forward_passes,
                forward_madds: m.forward_madds,
                reverse_sweeps: m.reverse_sweeps,
                reverse_madds: m.reverse_madds,
            })
        })
        .collect()
}
