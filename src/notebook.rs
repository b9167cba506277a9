//! The seed notebook's network: sigmoid layers without biases on XOR, weights
//! from NumPy's `np.random.seed(s); np.random.rand(n_in, n_out)` layer after
//! layer, loss `0.5·Σ(y − ŷ)²`. With layers `2,2,1` and seed 42 it is the
//! tutorial's network, number for number.

use std::borrow::Cow;

use crate::error::Result;
use crate::nn::Activation;
use crate::rng::NumpyRandom;
use crate::tape::{Grads, Tape, Var};
use crate::tensor::Tensor;

/// The XOR inputs `X` (`[4, 2]`) and targets `y` (`[4, 1]`) in the notebook's order.
pub fn xor() -> (Tensor<f64>, Tensor<f64>) {
    let x = Tensor::from_rows(&[[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]).expect("4×2");
    let y = Tensor::from_rows(&[[0.0], [1.0], [1.0], [0.0]]).expect("4×1");
    (x, y)
}

/// Weights `W₁ … W_L` for layer sizes `layers` (input first), drawn as the
/// notebook draws them: `rand(n_in, n_out)` row-major, layer after layer.
pub fn init_weights(seed: u32, layers: &[usize]) -> Result<Vec<Tensor<f64>>> {
    let mut rng = NumpyRandom::seed(seed);
    layers.windows(2).map(|w| rng.rand(&[w[0], w[1]])).collect()
}

/// The values of one recorded forward pass, as tape handles.
pub struct Forward<'t> {
    /// `X`, a constant.
    pub x: Var<'t, f64>,
    /// `y`, a constant.
    pub y: Var<'t, f64>,
    /// `W₁ … W_L`, parameters.
    pub weights: Vec<Var<'t, f64>>,
    /// `zₖ = aₖ₋₁·Wₖ` for each layer (`hidden_input`, `output_input` in the notebook).
    pub pre: Vec<Var<'t, f64>>,
    /// `aₖ = σ(zₖ)` for each layer (`hidden_output`, `predicted_output`).
    pub act: Vec<Var<'t, f64>>,
    /// `L = 0.5·Σ(y − ŷ)²`.
    pub loss: Var<'t, f64>,
}

impl Forward<'_> {
    /// ∂L/∂Wₖ for every layer, read from a backward pass of this forward pass.
    pub fn weight_grads(&self, grads: &Grads<f64>) -> Vec<Tensor<f64>> {
        self.weights
            .iter()
            .map(|w| {
                grads
                    .get(*w)
                    .cloned()
                    .expect("every weight reaches the loss")
            })
            .collect()
    }
}

/// The notebook's names for layer `k` (1-based) of `depth`: pre-activation and
/// activation (borrowed where they are fixed, so recording a step of the
/// notebook's network allocates no name).
pub fn layer_names(k: usize, depth: usize) -> (Cow<'static, str>, Cow<'static, str>) {
    match (k == depth, depth) {
        (true, _) => ("output_input".into(), "predicted_output".into()),
        (false, 2) => ("hidden_input".into(), "hidden_output".into()),
        (false, _) => (
            format!("hidden_input_{k}").into(),
            format!("hidden_output_{k}").into(),
        ),
    }
}

/// `"W<k>"` (1-based), borrowed for the first nine layers.
fn weight_name(k: usize) -> Cow<'static, str> {
    const NAMES: [&str; 9] = ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W9"];
    match NAMES.get(k - 1) {
        Some(n) => Cow::Borrowed(n),
        None => Cow::Owned(format!("W{k}")),
    }
}

/// Records the forward pass `aₖ = σ(aₖ₋₁·Wₖ)`, `a₀ = X`, and the loss, naming
/// every node with the notebook's names.
pub fn forward<'t>(
    tape: &'t Tape<f64>,
    x: &Tensor<f64>,
    y: &Tensor<f64>,
    weights: &[Tensor<f64>],
) -> Result<Forward<'t>> {
    forward_with(tape, x, y, weights, Activation::Sigmoid)
}

/// [`forward`] with `hidden` as the hidden layers' activation (the output
/// layer stays a sigmoid, as in the notebook).
pub fn forward_with<'t>(
    tape: &'t Tape<f64>,
    x: &Tensor<f64>,
    y: &Tensor<f64>,
    weights: &[Tensor<f64>],
    hidden: Activation,
) -> Result<Forward<'t>> {
    let xv = tape.constant(x).named("X");
    let yv = tape.constant(y).named("y");
    let depth = weights.len();
    let mut ws = Vec::with_capacity(depth);
    let (mut pre, mut act) = (Vec::with_capacity(depth), Vec::with_capacity(depth));
    let mut a = xv;
    for (k, w) in weights.iter().enumerate() {
        let wv = tape.param(w).named(weight_name(k + 1));
        let (zn, an) = layer_names(k + 1, depth);
        let z = a.matmul(wv)?.named(zn);
        let f = if k + 1 == depth {
            Activation::Sigmoid
        } else {
            hidden
        };
        a = f.apply(z).named(an);
        ws.push(wv);
        pre.push(z);
        act.push(a);
    }
    let loss = a.half_sse(yv)?.named("loss");
    Ok(Forward {
        x: xv,
        y: yv,
        weights: ws,
        pre,
        act,
        loss,
    })
}
