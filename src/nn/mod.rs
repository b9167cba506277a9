//! Networks of any depth: [`Linear`] layers (PyTorch layout), a multi-layer
//! perceptron [`Mlp`] built from layer sizes, its activations, losses and
//! initialisers. The forward pass records on a [`Tape`]; the gradients come
//! from the ordinary backward sweep.

mod init;
mod module;

pub use init::Init;
pub use module::{Module, Params, Sequential, Visitor, VisitorMut};

use crate::error::{ErrorKind, Result};
use crate::float::Float;
use crate::named::named_enum;
use crate::rng::NumpyRandom;
use crate::tape::{Tape, Var};
use crate::tensor::{Shape, Tensor};

/// The most parameters (weights and biases) [`Mlp::new`] builds: 2²⁸ ≈ 268
/// million, 1 GiB of `f32` weights. Training holds several more copies
/// (gradients, optimiser state, the tape), so a larger network is refused up
/// front rather than exhausting memory part way.
pub const MAX_PARAMS: usize = 1 << 28;

named_enum! {
    /// A hidden-layer activation (named as on the command line and in model
    /// files: `sigmoid`, `tanh`, `relu`, `leaky-relu` or `gelu`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Activation("activation") {
        /// `σ(x) = 1/(1+e⁻ˣ)`.
        Sigmoid = "sigmoid",
        /// `tanh x`.
        Tanh = "tanh",
        /// `max(x, 0)`.
        Relu = "relu",
        /// `x` or `0.01·x` (PyTorch's default slope).
        LeakyRelu = "leaky-relu" | "leaky_relu",
        /// The exact (erf) GELU, PyTorch's default.
        Gelu = "gelu",
    }
}

impl Activation {
    /// Applies the activation on the tape.
    #[track_caller]
    pub fn apply<'t, T: Float>(self, x: Var<'t, T>) -> Var<'t, T> {
        match self {
            Activation::Sigmoid => x.sigmoid(),
            Activation::Tanh => x.tanh(),
            Activation::Relu => x.relu(),
            Activation::LeakyRelu => x.leaky_relu(),
            Activation::Gelu => x.gelu(),
        }
    }
}

named_enum! {
    /// The training loss; the output activation follows it (softmax inside
    /// cross-entropy, sigmoid inside BCE, identity for MSE). All use PyTorch's
    /// default mean reduction. Named `mse`, `bce` or `cross-entropy` on the
    /// command line and in model files (`"loss": "cross-entropy"`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Loss("loss") {
        /// Mean squared error on the raw outputs (regression).
        Mse = "mse",
        /// Binary cross-entropy on logits (targets in [0, 1]).
        Bce = "bce",
        /// Softmax cross-entropy on logits and class labels.
        CrossEntropy = "cross-entropy" | "cross_entropy" | "ce",
    }
}

impl Loss {
    /// Whether targets are class labels.
    pub fn is_classification(self) -> bool {
        self == Loss::CrossEntropy
    }
}

/// A fully connected layer `y = x·Wᵀ + b`, stored as PyTorch stores
/// `nn.Linear`: weight `[out, in]`, bias `[out]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Linear<T: Float> {
    /// `[out, in]`.
    pub weight: Tensor<T>,
    /// `[out]`, or `None` without bias.
    pub bias: Option<Tensor<T>>,
}

impl<T: Float> Linear<T> {
    /// A layer from `fan_in` to `fan_out` features, with a bias or not,
    /// drawn by `init` from `rng` (PyTorch's default is [`Init::Torch`]).
    /// Sizes too large for memory are an error.
    ///
    /// ```
    /// use backprop::nn::{Init, Linear};
    /// let mut rng = backprop::rng::NumpyRandom::seed(0);
    /// let l = Linear::<f32>::new(3, 2, true, Init::Torch, &mut rng).unwrap();
    /// assert_eq!((l.weight.dims(), l.bias.unwrap().dims()), (&[2, 3][..], &[2][..]));
    /// ```
    pub fn new(
        fan_in: usize,
        fan_out: usize,
        bias: bool,
        init: Init,
        rng: &mut NumpyRandom,
    ) -> Result<Self> {
        init.linear(rng, fan_in, fan_out, bias, Activation::Relu)
    }

    /// A layer from its weight `[out, in]` and optional bias `[out]`;
    /// other shapes are an [`ErrorKind::BadShape`] error (op `"Linear"`).
    #[track_caller]
    pub fn from_tensors(weight: Tensor<T>, bias: Option<Tensor<T>>) -> Result<Self> {
        let why = match (weight.dims(), bias.as_ref().map(|b| b.dims())) {
            ([_, _], None) => None,
            ([out, _], Some([b])) if b == out => None,
            ([out, _], Some(b)) => Some(format!("bias has shape {b:?}, expected [{out}]")),
            _ => Some("the weight must be [out, in]".to_string()),
        };
        match why {
            None => Ok(Linear { weight, bias }),
            Some(why) => Err(ErrorKind::BadShape {
                op: "Linear",
                shape: weight.shape(),
                why,
                location: std::panic::Location::caller(),
            }
            .into()),
        }
    }

    /// Input width.
    pub fn fan_in(&self) -> usize {
        self.weight.dims()[1]
    }

    /// Output width.
    pub fn fan_out(&self) -> usize {
        self.weight.dims()[0]
    }
}

/// A multi-layer perceptron: `Linear → activation → … → Linear`, any depth.
///
/// ```
/// use backprop::nn::{Activation, Init, Mlp};
/// use backprop::{Tape, Tensor};
/// let mlp = Mlp::<f64>::new(&[2, 8, 3], Activation::Relu, true, Init::Torch, 0).unwrap();
/// let tape = Tape::new();
/// let params = mlp.record(&tape);
/// let x = tape.constant(&Tensor::zeros(&[5, 2]).unwrap());
/// let logits = mlp.forward(x, &params).unwrap();
/// assert_eq!(logits.shape().dims(), &[5, 3]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp<T: Float> {
    /// The layers, input side first.
    pub layers: Vec<Linear<T>>,
    /// The activation between layers (none after the last).
    pub activation: Activation,
}

impl<T: Float> Mlp<T> {
    /// A network with layer sizes `sizes` (input first), initialised by `init`
    /// from `seed`.
    ///
    /// The parameter count is checked first (with checked arithmetic) against
    /// [`MAX_PARAMS`], and every tensor is allocated fallibly, so sizes too
    /// large for memory are an [`ErrorKind::BadShape`] error (op `"Mlp::new"`
    /// or `"full"`), never a panic or an abort.
    ///
    /// ```
    /// use backprop::nn::{Activation, Init, Mlp};
    /// let err = Mlp::<f32>::new(&[4, usize::MAX, 3], Activation::Relu, true, Init::Torch, 0);
    /// assert!(err.unwrap_err().to_string().contains("layer 1 (4 → 18446744073709551615)"));
    /// ```
    #[track_caller]
    pub fn new(
        sizes: &[usize],
        activation: Activation,
        bias: bool,
        init: Init,
        seed: u32,
    ) -> Result<Self> {
        let mut total = 0usize;
        for (i, w) in sizes.windows(2).enumerate() {
            let (fan_in, fan_out) = (w[0], w[1]);
            let layer = fan_in
                .checked_mul(fan_out)
                .and_then(|n| n.checked_add(if bias { fan_out } else { 0 }));
            let sum = layer.and_then(|n| n.checked_add(total));
            match sum {
                Some(n) if n <= MAX_PARAMS => total = n,
                _ => {
                    let count =
                        sum.map_or_else(|| format!("more than {}", usize::MAX), |n| n.to_string());
                    return Err(ErrorKind::BadShape {
                        op: "Mlp::new",
                        shape: Shape::new(&[fan_out, fan_in])?,
                        why: format!(
                            "layer {} ({fan_in} → {fan_out}) brings the network to {count} parameters, over the limit of {MAX_PARAMS}; use smaller --layers",
                            i + 1
                        ),
                        location: std::panic::Location::caller(),
                    }
                    .into());
                }
            }
        }
        let mut rng = NumpyRandom::seed(seed);
        let layers = sizes
            .windows(2)
            .map(|w| init.linear(&mut rng, w[0], w[1], bias, activation))
            .collect::<Result<Vec<_>>>()?;
        Ok(Mlp { layers, activation })
    }

    /// Builds a network from named parameters (`0.weight`, `0.bias`, `2.weight`…),
    /// as [`Mlp::named_params`] gives them.
    pub fn from_params(
        params: Vec<(String, Tensor<T>)>,
        activation: Activation,
        bias: bool,
    ) -> Self {
        let mut it = params.into_iter();
        let mut layers = Vec::new();
        while let Some((_, weight)) = it.next() {
            let bias = if bias {
                it.next().map(|(_, b)| b)
            } else {
                None
            };
            layers.push(Linear { weight, bias });
        }
        Mlp { layers, activation }
    }

    /// Layer sizes, input first.
    pub fn sizes(&self) -> Vec<usize> {
        let mut s = vec![self.layers[0].fan_in()];
        s.extend(self.layers.iter().map(|l| l.fan_out()));
        s
    }

    /// Whether the layers have biases.
    pub fn has_bias(&self) -> bool {
        self.layers.iter().all(|l| l.bias.is_some())
    }

    /// Parameters with PyTorch `nn.Sequential` names: layer `i` is module `2i`.
    /// ([`Module::named_parameters`] of the network as a [`Module`].)
    pub fn named_params(&self) -> Vec<(String, Tensor<T>)> {
        Module::named_parameters(self)
    }

    /// The parameters in [`Mlp::named_params`] order, mutable, without allocating.
    pub fn params_iter_mut(&mut self) -> impl Iterator<Item = &mut Tensor<T>> {
        self.layers
            .iter_mut()
            .flat_map(|l| std::iter::once(&mut l.weight).chain(l.bias.as_mut()))
    }

    /// Puts every parameter on the tape (in [`Mlp::named_params`] order).
    #[track_caller]
    pub fn record<'t>(&self, tape: &'t Tape<T>) -> Vec<Var<'t, T>> {
        let mut out = Vec::new();
        self.record_into(tape, &mut out);
        out
    }

    /// [`Mlp::record`] into a reused vector (cleared first), so a training
    /// step allocates nothing for it.
    #[track_caller]
    pub fn record_into<'t>(&self, tape: &'t Tape<T>, out: &mut Vec<Var<'t, T>>) {
        out.clear();
        for (i, l) in self.layers.iter().enumerate() {
            out.push(tape.param(&l.weight).named(param_name(i, "weight")));
            if let Some(b) = &l.bias {
                out.push(tape.param(b).named(param_name(i, "bias")));
            }
        }
    }

    /// The logits for a batch `x: [N, in]`: `h ← act(h·Wᵀ + b)` per layer,
    /// no activation after the last (the loss supplies it). `params` come from
    /// [`Mlp::record`]; any other count of them is an error
    /// ([`ErrorKind::BadShape`], op `"Mlp::forward"`), as is a shape that does not fit.
    #[track_caller]
    pub fn forward<'t>(&self, x: Var<'t, T>, params: &[Var<'t, T>]) -> Result<Var<'t, T>> {
        let expected = self.layers.len() + self.layers.iter().filter(|l| l.bias.is_some()).count();
        if params.len() != expected {
            return Err(ErrorKind::BadShape {
                op: "Mlp::forward",
                shape: x.shape(),
                why: format!(
                    "{} parameter handles given, expected {expected} (from Mlp::record)",
                    params.len()
                ),
                location: std::panic::Location::caller(),
            }
            .into());
        }
        let mut h = x;
        let mut p = params.iter();
        for (i, l) in self.layers.iter().enumerate() {
            let w = *p.next().expect("a weight per layer");
            h = h.matmul_t(w)?;
            if l.bias.is_some() {
                h = h.add_bias(*p.next().expect("a bias per layer"))?;
            }
            if i + 1 < self.layers.len() {
                h = self.activation.apply(h);
            }
        }
        Ok(h)
    }

    /// The loss of logits against targets, recorded on the tape.
    /// `targets` holds class labels (cross-entropy) or target values.
    #[track_caller]
    pub fn loss<'t>(logits: Var<'t, T>, targets: Var<'t, T>, loss: Loss) -> Result<Var<'t, T>> {
        match loss {
            Loss::Mse => logits.mse(targets),
            Loss::Bce => logits.bce_with_logits(targets),
            Loss::CrossEntropy => logits.cross_entropy(targets),
        }
    }

    /// Outputs after the loss's output activation (probabilities for
    /// classification, values for MSE), in inference mode.
    pub fn predict(&self, x: &Tensor<T>, loss: Loss) -> Result<Tensor<T>> {
        let tape = Tape::new();
        tape.inference(|| {
            let params = self.record(&tape);
            let logits = self.forward(tape.constant(x), &params)?;
            Ok(match loss {
                Loss::Mse => logits,
                Loss::Bce => logits.sigmoid(),
                Loss::CrossEntropy => logits.softmax(1)?,
            }
            .to_tensor())
        })
    }
}

/// `"<2i>.<what>"`, PyTorch's `nn.Sequential` name of layer `i`'s parameter;
/// borrowed from a table for the first 16 layers (no allocation per step).
fn param_name(i: usize, what: &'static str) -> std::borrow::Cow<'static, str> {
    const WEIGHTS: [&str; 16] = [
        "0.weight",
        "2.weight",
        "4.weight",
        "6.weight",
        "8.weight",
        "10.weight",
        "12.weight",
        "14.weight",
        "16.weight",
        "18.weight",
        "20.weight",
        "22.weight",
        "24.weight",
        "26.weight",
        "28.weight",
        "30.weight",
    ];
    const BIASES: [&str; 16] = [
        "0.bias", "2.bias", "4.bias", "6.bias", "8.bias", "10.bias", "12.bias", "14.bias",
        "16.bias", "18.bias", "20.bias", "22.bias", "24.bias", "26.bias", "28.bias", "30.bias",
    ];
    let table = if what == "weight" { &WEIGHTS } else { &BIASES };
    match table.get(i) {
        Some(name) => std::borrow::Cow::Borrowed(name),
        None => std::borrow::Cow::Owned(format!("{}.{what}", 2 * i)),
    }
}
