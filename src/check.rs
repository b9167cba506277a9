//! Gradient checking: the tape's gradients against central finite differences.
//!
//! For a function `f` of some input tensors, [`gradcheck`] records `f` on a
//! tape, contracts a non-scalar output with fixed random weights `r` (so it
//! checks the vector-Jacobian product `rᵀ·J`, exactly what backward computes),
//! and compares every input element's analytic gradient with
//! `(φ(x + εeᵢ) − φ(x − εeᵢ)) / 2ε`, where `φ(x) = Σ r ⊙ f(x)`, all in `f64`.
//! An element passes when `|analytic − numeric| ≤ atol + rtol·|numeric|`
//! (PyTorch's `gradcheck` defaults: atol 1e-5, rtol 1e-3, ε 1e-6).
//!
//! [`jvp_vjp_identity`] checks forward mode against reverse mode without finite
//! differences: for random directions `u` (inputs) and `v` (output),
//! `⟨v, J·u⟩ = ⟨Jᵀ·v, u⟩` must hold to rounding.

use crate::error::Error;
use crate::rng::NumpyRandom;
use crate::tape::{Tape, Var};
use crate::tensor::Tensor;

/// Tolerances and step for [`gradcheck`].
#[derive(Clone, Copy, Debug)]
pub struct GradcheckOptions {
    /// Finite-difference step ε.
    pub eps: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Relative tolerance.
    pub rtol: f64,
    /// Seed of the output weights `r`.
    pub seed: u32,
}

impl Default for GradcheckOptions {
    fn default() -> Self {
        GradcheckOptions {
            eps: 1e-6,
            atol: 1e-5,
            rtol: 1e-3,
            seed: 0,
        }
    }
}

/// The worst-agreeing element of a check.
#[derive(Clone, Debug, PartialEq)]
pub struct Worst {
    /// Which input (position in the `inputs` slice).
    pub input: usize,
    /// The element's multi-index in that input.
    pub index: Vec<usize>,
    /// The tape's gradient.
    pub analytic: f64,
    /// The finite-difference estimate.
    pub numeric: f64,
    /// `|analytic − numeric| / (atol + rtol·|numeric|)`: above 1 fails.
    pub ratio: f64,
}

/// The outcome of a passing check.
#[derive(Clone, Debug)]
pub struct GradcheckReport {
    /// The number of elements compared.
    pub checked: usize,
    /// The worst element (`None` when there were no elements).
    pub worst: Option<Worst>,
}

/// Why a check failed.
#[derive(Debug, thiserror::Error)]
pub enum GradcheckError {
    /// The function itself failed (a shape error, say).
    #[error("the function under check failed: {0}")]
    Op(#[from] Error),
    /// Forward and reverse mode disagree ([`jvp_vjp_identity`]).
    #[error("forward mode ⟨v, J·u⟩ = {forward:.12e} but reverse mode ⟨Jᵀ·v, u⟩ = {reverse:.12e}")]
    Identity {
        /// ⟨v, J·u⟩ from one forward-mode sweep.
        forward: f64,
        /// ⟨Jᵀ·v, u⟩ from one reverse-mode sweep.
        reverse: f64,
    },
    /// An element's analytic and numeric gradients disagree.
    #[error(
        "gradient mismatch at input {}, element {:?}: analytic {:.10e}, numeric {:.10e} ({:.1}× the tolerance)",
        .0.input, .0.index, .0.analytic, .0.numeric, .0.ratio
    )]
    Mismatch(Worst),
}

/// A function of tape values that [`gradcheck`] can differentiate.
pub trait CheckFn:
    for<'t> Fn(&'t Tape<f64>, &[Var<'t, f64>]) -> Result<Var<'t, f64>, Error>
{
}
impl<F> CheckFn for F where
    F: for<'t> Fn(&'t Tape<f64>, &[Var<'t, f64>]) -> Result<Var<'t, f64>, Error>
{
}

/// Checks the tape's gradients of `f` at `inputs` against central differences.
///
/// ```
/// use backprop::check::{gradcheck, GradcheckOptions};
/// use backprop::Tensor;
/// let x = Tensor::from_vec(vec![0.3, -1.2, 2.0], &[3]).unwrap();
/// let report = gradcheck(|_, v| Ok(v[0].tanh()), &[x], &GradcheckOptions::default()).unwrap();
/// assert_eq!(report.checked, 3);
/// ```
pub fn gradcheck(
    f: impl CheckFn,
    inputs: &[Tensor<f64>],
    opts: &GradcheckOptions,
) -> Result<GradcheckReport, GradcheckError> {
    // φ(inputs) = Σ r ⊙ f(inputs), with r fixed for the whole check.
    let phi = |xs: &[Tensor<f64>], r: &Tensor<f64>| -> Result<f64, Error> {
        let tape = Tape::new();
        let vars: Vec<_> = xs.iter().map(|x| tape.constant(x)).collect();
        let out = f(&tape, &vars)?;
        let v = out.value();
        Ok(v.data().iter().zip(r.data()).map(|(a, b)| a * b).sum())
    };

    let tape = Tape::new();
    let vars: Vec<_> = inputs.iter().map(|x| tape.param(x)).collect();
    let out = f(&tape, &vars)?;
    let mut rng = NumpyRandom::seed(opts.seed);
    let mut r = Tensor::zeros(out.shape().dims())?;
    if r.numel() == 1 {
        r.data_mut()[0] = 1.0;
    } else {
        for w in r.data_mut() {
            *w = rng.uniform(-1.0, 1.0);
        }
    }
    let grads = tape.backward_seeded(out, &r)?;

    let mut worst: Option<Worst> = None;
    let mut checked = 0;
    let mut xs = inputs.to_vec();
    for (k, x) in inputs.iter().enumerate() {
        let analytic = grads.get(vars[k]);
        for j in 0..x.numel() {
            let orig = x.data()[j];
            xs[k].data_mut()[j] = orig + opts.eps;
            let up = phi(&xs, &r)?;
            xs[k].data_mut()[j] = orig - opts.eps;
            let down = phi(&xs, &r)?;
            xs[k].data_mut()[j] = orig;
            let numeric = (up - down) / (2.0 * opts.eps);
            let a = analytic.map_or(0.0, |g| g.data()[j]);
            let ratio = (a - numeric).abs() / (opts.atol + opts.rtol * numeric.abs());
            let ratio = if ratio.is_nan() { f64::INFINITY } else { ratio };
            checked += 1;
            if worst.as_ref().is_none_or(|w| ratio > w.ratio) {
                worst = Some(Worst {
                    input: k,
                    index: x.unravel(j),
                    analytic: a,
                    numeric,
                    ratio,
                });
            }
        }
    }
    match worst {
        Some(w) if w.ratio > 1.0 => Err(GradcheckError::Mismatch(w)),
        worst => Ok(GradcheckReport { checked, worst }),
    }
}

/// Both sides of `⟨v, J·u⟩ = ⟨Jᵀ·v, u⟩` for `f` at `inputs`, with random
/// directions from `seed`: the forward-mode side (one [`Tape::jvp`] sweep) and
/// the reverse-mode side (one [`Tape::backward_seeded`] sweep).
/// Errors with [`GradcheckError::Identity`] when they differ by more than
/// `1e-10·(1 + |either|)`.
pub fn jvp_vjp_identity(
    f: impl CheckFn,
    inputs: &[Tensor<f64>],
    seed: u32,
) -> Result<(f64, f64), GradcheckError> {
    let tape = Tape::new();
    let vars: Vec<_> = inputs.iter().map(|x| tape.param(x)).collect();
    let out = f(&tape, &vars)?;
    let mut rng = NumpyRandom::seed(seed);
    let mut draw = |dims: &[usize]| -> Result<Tensor<f64>, Error> {
        let mut t = Tensor::zeros(dims)?;
        t.data_mut()
            .iter_mut()
            .for_each(|x| *x = rng.uniform(-1.0, 1.0));
        Ok(t)
    };
    let us: Vec<Tensor<f64>> = inputs
        .iter()
        .map(|x| draw(x.dims()))
        .collect::<Result<_, _>>()?;
    let v = draw(out.shape().dims())?;
    let pairs: Vec<_> = vars.iter().copied().zip(us.iter()).collect();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let forward = tape
        .jvp(out, &pairs)?
        .map_or(0.0, |ju| dot(v.data(), ju.data()));
    let grads = tape.backward_seeded(out, &v)?;
    let reverse: f64 = vars
        .iter()
        .zip(&us)
        .map(|(x, u)| grads.get(*x).map_or(0.0, |g| dot(g.data(), u.data())))
        .sum();
    let gap = (forward - reverse).abs();
    if gap > 1e-10 * (1.0 + forward.abs().max(reverse.abs())) || gap.is_nan() {
        return Err(GradcheckError::Identity { forward, reverse });
    }
    Ok((forward, reverse))
}
