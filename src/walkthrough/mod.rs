//! The walkthrough: the seed notebook's training step replayed on the engine,
//! with every number of the explanation taken from the tape's observed
//! backward pass.
//!
//! [`run`] records the first step's forward pass with the notebook's names,
//! sweeps it backwards under an observer (keeping each visited node's upstream
//! gradient and contributions), then trains the remaining steps. [`text`]
//! narrates the result (English or the notebook's Portuguese), [`json`]
//! serialises it, [`modes`] compares forward with reverse mode, and
//! [`graph_nodes`] turns the first step's tape into a drawing.

pub mod json;
pub mod lesson;
pub mod modes;
pub mod text;
pub mod trace;

use std::time::Instant;

use crate::graph::{GraphNode, NodeKind};
use crate::nn::Activation;
use crate::notebook;
use crate::numpy_fmt::format_f64_array;
use crate::ops::Op;
use crate::tape::{BackwardStep, NodeId, Replay, Tape};
use crate::tensor::Tensor;

/// What can go wrong in a walkthrough.
#[derive(Debug, thiserror::Error)]
pub enum WalkthroughError {
    /// The layer sizes do not fit the XOR data.
    #[error("--layers {given}: {why}")]
    Layers {
        /// The sizes as given.
        given: String,
        /// What was expected.
        why: String,
    },
    /// A setting out of range.
    #[error("{0}")]
    Setting(String),
    /// The loss stopped being a finite number.
    #[error("the loss became {value} at step {step}; try a smaller --lr")]
    NonFinite {
        /// The step (1-based) whose loss was not finite.
        step: u64,
        /// The value.
        value: f64,
    },
    /// An engine error (should not happen with validated settings).
    #[error(transparent)]
    Engine(#[from] crate::Error),
}

/// The output language of the narration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Portuguese, with the notebook's own labels.
    Pt,
}

/// The walkthrough's settings; [`Settings::default`] is the notebook's.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `np.random.seed`.
    pub seed: u32,
    /// Training steps (full-batch gradient descent).
    pub steps: u64,
    /// Learning rate.
    pub lr: f64,
    /// Layer sizes, input first: `[2, H₁, …, 1]`.
    pub layers: Vec<usize>,
    /// The hidden layers' activation (the output is always a sigmoid):
    /// sigmoid (the notebook's), tanh or relu.
    pub activation: Activation,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            seed: 42,
            steps: 1,
            lr: 1.0,
            layers: vec![2, 2, 1],
            activation: Activation::Sigmoid,
        }
    }
}

impl Settings {
    /// Checks the settings against the XOR data (2 inputs, 1 output).
    pub fn validate(&self) -> Result<(), WalkthroughError> {
        let given = self
            .layers
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let bad = |why: &str| {
            Err(WalkthroughError::Layers {
                given: given.clone(),
                why: why.into(),
            })
        };
        if self.layers.len() < 3 {
            return bad("needs at least one hidden layer: 2,H,…,1");
        }
        if self.layers[0] != 2 {
            return bad("the XOR data has 2 inputs, so the first size must be 2");
        }
        if *self.layers.last().expect("len ≥ 3") != 1 {
            return bad("the XOR target has 1 column, so the last size must be 1");
        }
        if self.layers.contains(&0) {
            return bad("every layer needs at least one unit");
        }
        if self.layers.iter().any(|&n| n > 4096) {
            return bad("layers are limited to 4096 units in the walkthrough");
        }
        if !matches!(
            self.activation,
            Activation::Sigmoid | Activation::Tanh | Activation::Relu
        ) {
            return Err(WalkthroughError::Setting(format!(
                "--activation {}: the walkthrough explains sigmoid, tanh or relu",
                self.activation.name()
            )));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(WalkthroughError::Setting(format!(
                "--lr {}: the learning rate must be a positive finite number",
                self.lr
            )));
        }
        if self.steps == 0 {
            return Err(WalkthroughError::Setting(
                "--steps 0: at least one step is needed".into(),
            ));
        }
        Ok(())
    }
}

/// One node visited by the first step's backward sweep, as the observer saw it.
#[derive(Clone, Debug)]
pub struct Visit {
    /// The node's tape position.
    pub id: NodeId,
    /// Its name (`"hidden_input"`…), if any.
    pub name: Option<String>,
    /// Its op's name.
    pub op: &'static str,
    /// Its op's derivative rule.
    pub rule: &'static str,
    /// ∂L/∂(this node).
    pub upstream: Tensor<f64>,
    /// For each input: its id and the contribution sent to it (`None`: no gradient needed).
    pub contributions: Vec<(NodeId, Option<Tensor<f64>>)>,
}

impl Visit {
    /// What an observer saw at one step of a sweep, its tensors as `f64`
    /// (a copy for an `f64` tape).
    pub fn from_step<T: crate::Float>(s: &BackwardStep<'_, T>) -> Visit {
        Visit {
            id: s.id,
            name: s.node.name.as_ref().map(|n| n.to_string()),
            op: s.node.op.name(),
            rule: s.node.op.rule(),
            upstream: to_f64(s.upstream),
            contributions: s
                .node
                .inputs()
                .iter()
                .copied()
                .zip(s.contributions.iter().map(|c| c.as_ref().map(to_f64)))
                .collect(),
        }
    }
}

/// A tensor's values as `f64`, same shape.
pub fn to_f64<T: crate::Float>(t: &Tensor<T>) -> Tensor<f64> {
    let data = t.data().iter().map(|v| v.as_f64()).collect();
    Tensor::from_vec(data, t.dims()).expect("same shape, same count")
}

/// One layer `k` of the first step, with the tape ids of its values.
#[derive(Clone, Copy, Debug)]
pub struct LayerIds {
    /// `Wₖ` (a parameter).
    pub w: NodeId,
    /// `zₖ = aₖ₋₁·Wₖ`.
    pub z: NodeId,
    /// `aₖ = σ(zₖ)`.
    pub a: NodeId,
    /// `aₖ₋₁` (`X` for the first layer).
    pub input: NodeId,
}

/// Everything a walkthrough produced.
pub struct Walkthrough {
    /// The settings it ran with.
    pub settings: Settings,
    /// `X` and `y`.
    pub x: Tensor<f64>,
    /// The XOR targets.
    pub y: Tensor<f64>,
    /// The initial weights.
    pub initial: Vec<Tensor<f64>>,
    /// The weights after all steps.
    pub weights: Vec<Tensor<f64>>,
    /// The values of the first forward pass, by tape id.
    pub values: Vec<Tensor<f64>>,
    /// Names of the first step's nodes, by tape id.
    pub names: Vec<Option<String>>,
    /// The first step's tape ids, layer by layer.
    pub layers: Vec<LayerIds>,
    /// The loss node's id.
    pub loss_id: NodeId,
    /// The backward sweep of the first step, in visiting order.
    pub visits: Vec<Visit>,
    /// ∂L/∂Wₖ of the first step.
    pub gradients: Vec<Tensor<f64>>,
    /// Largest |∂L/∂Wₖ + notebook update| between the tape and the
    /// notebook's hand-written arithmetic (same step, same weights); `None`
    /// when the hidden activation is not the notebook's sigmoid.
    pub max_diff_hand: Option<f64>,
    /// Network output before any step.
    pub output_before: Tensor<f64>,
    /// Network output after the last step.
    pub output_after: Tensor<f64>,
    /// Loss before any step.
    pub loss_before: f64,
    /// Loss after the first step.
    pub loss_after_first: f64,
    /// Loss after the last step.
    pub loss_after: f64,
    /// Wall time of the training steps alone.
    pub train_seconds: f64,
    /// The first step's tape, drawn (one node per tape entry up to the loss).
    pub graph: Vec<GraphNode>,
    /// About ten `(step, loss)` samples, evenly spaced over the steps: the
    /// loss each step's forward pass computed, before its update.
    pub loss_history: Vec<(u64, f64)>,
    /// The per-layer gradient table of the first step.
    pub layer_start: Vec<lesson::LayerRow>,
    /// The per-layer gradient table of the last step (before its update).
    pub layer_end: Vec<lesson::LayerRow>,
}

impl Walkthrough {
    /// The observed visit of node `id`, if the sweep reached it.
    pub fn visit(&self, id: NodeId) -> Option<&Visit> {
        self.visits.iter().find(|v| v.id == id)
    }

    /// The contribution node `from` sent to its input `to`.
    pub fn contribution(&self, from: NodeId, to: NodeId) -> Option<&Tensor<f64>> {
        self.visit(from)?
            .contributions
            .iter()
            .find(|(i, _)| *i == to)
            .and_then(|(_, c)| c.as_ref())
    }
}

/// Forward pass only, in inference mode: the network's output and loss.
pub fn predict(
    x: &Tensor<f64>,
    y: &Tensor<f64>,
    weights: &[Tensor<f64>],
    hidden: Activation,
) -> crate::Result<(Tensor<f64>, f64)> {
    let tape = Tape::new();
    tape.inference(|| {
        let f = notebook::forward_with(&tape, x, y, weights, hidden)?;
        let out = f.act.last().expect("at least one layer").to_tensor();
        let loss = f.loss.value().item().expect("scalar loss");
        Ok((out, loss))
    })
}

/// The notebook's own backpropagation (its operation order: `error = y − ŷ`,
/// `d = error * a(1 − a)`, `error_hidden = d·Wᵀ`…), generalised to any depth;
/// returns the updates it adds to the weights, `aₖ₋₁ᵀ·dₖ` (= −∂L/∂Wₖ). Used
/// only to measure how far the tape's gradients are from the hand derivation.
pub fn notebook_updates(
    x: &Tensor<f64>,
    y: &Tensor<f64>,
    weights: &[Tensor<f64>],
) -> crate::Result<Vec<Tensor<f64>>> {
    let tape = Tape::new();
    tape.inference(|| {
        let f = notebook::forward(&tape, x, y, weights)?;
        let sd = |a| crate::Var::mul(a, crate::Var::rsub_scalar(a, 1.0));
        let depth = weights.len();
        let mut updates = vec![None; depth];
        let mut d = f.y.sub(f.act[depth - 1])?.mul(sd(f.act[depth - 1])?)?;
        for k in (0..depth).rev() {
            let a_prev = if k == 0 { f.x } else { f.act[k - 1] };
            updates[k] = Some(a_prev.t_matmul(d)?.to_tensor());
            if k > 0 {
                d = d.matmul_t(f.weights[k])?.mul(sd(f.act[k - 1])?)?;
            }
        }
        Ok(updates
            .into_iter()
            .map(|u| u.expect("every layer"))
            .collect())
    })
}

/// Runs the whole walkthrough: [`begin`] then [`Walkthrough::train_rest`].
pub fn run(
    settings: &Settings,
    progress: impl FnMut(u64),
) -> Result<Walkthrough, WalkthroughError> {
    let mut w = begin(settings)?;
    w.train_rest(progress)?;
    Ok(w)
}

/// The first step, observed: forward pass recorded with the notebook's names,
/// backward sweep under an observer, update. The returned walkthrough holds
/// the weights after step 1; [`Walkthrough::train_rest`] does the others.
pub fn begin(settings: &Settings) -> Result<Walkthrough, WalkthroughError> {
    settings.validate()?;
    let initial = notebook::init_weights(settings.seed, &settings.layers)?;
    begin_from(settings, initial)
}

/// [`begin`] from the weights `initial` (one `[in, out]` tensor per layer of
/// `settings.layers`) instead of the seed's: the playground traces a later
/// step this way.
pub fn begin_from(
    settings: &Settings,
    initial: Vec<Tensor<f64>>,
) -> Result<Walkthrough, WalkthroughError> {
    settings.validate()?;
    let fits = initial.len() + 1 == settings.layers.len()
        && initial
            .iter()
            .zip(settings.layers.windows(2))
            .all(|(w, io)| w.dims() == io);
    if !fits {
        return Err(WalkthroughError::Setting(format!(
            "the initial weights do not fit the layers {:?}",
            settings.layers
        )));
    }
    let (x, y) = notebook::xor();
    let mut weights = initial.clone();
    let hidden = settings.activation;
    let (output_before, loss_before) = predict(&x, &y, &weights, hidden)?;

    let tape = Tape::new();
    let started = Instant::now();
    let fwd = notebook::forward_with(&tape, &x, &y, &weights, hidden)?;
    let mut visits = Vec::new();
    let grads = tape.backward_with(fwd.loss, &mut |s: &BackwardStep<'_, f64>| {
        visits.push(Visit::from_step(s))
    })?;
    let gradients: Vec<Tensor<f64>> = fwd.weight_grads(&grads);
    apply(&mut weights, &gradients, settings.lr);
    let train_seconds = started.elapsed().as_secs_f64();

    let layers: Vec<LayerIds> = (0..weights.len())
        .map(|k| LayerIds {
            w: fwd.weights[k].id(),
            z: fwd.pre[k].id(),
            a: fwd.act[k].id(),
            input: if k == 0 {
                fwd.x.id()
            } else {
                fwd.act[k - 1].id()
            },
        })
        .collect();
    let loss_id = fwd.loss.id();
    let (values, names, graph) = {
        let nodes = tape.nodes();
        let nodes = &nodes[..=loss_id];
        let values: Vec<Tensor<f64>> = nodes.iter().map(|n| n.value.clone()).collect();
        let names = nodes
            .iter()
            .map(|n| n.name.as_ref().map(|s| s.to_string()))
            .collect();
        (
            values,
            names,
            graph_nodes(nodes, &|id| grads.get_id(id).cloned()),
        )
    };
    let max_diff_hand = if hidden == Activation::Sigmoid {
        let hand = notebook_updates(&x, &y, &initial)?;
        Some(
            gradients
                .iter()
                .zip(&hand)
                .flat_map(|(g, u)| g.data().iter().zip(u.data()).map(|(a, b)| (a + b).abs()))
                .fold(0.0, f64::max),
        )
    } else {
        None
    };
    let layer_start = {
        let zs: Vec<&[f64]> = layers.iter().map(|l| values[l.z].data()).collect();
        let acts: Vec<&[f64]> = layers.iter().map(|l| values[l.a].data()).collect();
        lesson::layer_table(&gradients, &zs, &acts, hidden)
    };
    let (output_after, loss_after) = predict(&x, &y, &weights, hidden)?;
    if !loss_after.is_finite() {
        return Err(WalkthroughError::NonFinite {
            step: 1,
            value: loss_after,
        });
    }
    Ok(Walkthrough {
        settings: settings.clone(),
        x,
        y,
        initial,
        weights,
        values,
        names,
        layers,
        loss_id,
        visits,
        gradients,
        max_diff_hand,
        output_before,
        output_after,
        loss_before,
        loss_after_first: loss_after,
        loss_after,
        train_seconds,
        graph,
        loss_history: vec![(1, loss_before)],
        layer_end: layer_start.clone(),
        layer_start,
    })
}

impl Walkthrough {
    /// Steps 2…N: the same step, unobserved, recorded once and replayed
    /// ([`Replay`]: preallocated buffers, the tape's own kernels, bit for bit
    /// the recorded step). `progress` hears the number of steps done.
    pub fn train_rest(&mut self, mut progress: impl FnMut(u64)) -> Result<(), WalkthroughError> {
        let lr = self.settings.lr;
        let steps = self.settings.steps;
        let hidden = self.settings.activation;
        let samples = lesson::sample_steps(steps);
        let tape = Tape::new();
        let started = Instant::now();
        if steps >= 2 {
            let fwd = notebook::forward_with(&tape, &self.x, &self.y, &self.weights, hidden)?;
            let mut step = Replay::compile(&tape, fwd.loss)?;
            // The sampled steps, ascending: the next one is the only one to test.
            let mut next_sample = samples.iter().skip_while(|&&s| s < 2).peekable();
            for n in 2..=steps {
                let loss = step.run()?;
                if !loss.is_finite() {
                    return Err(WalkthroughError::NonFinite {
                        step: n,
                        value: loss,
                    });
                }
                if next_sample.next_if_eq(&&n).is_some() {
                    self.loss_history.push((n, loss));
                }
                if n == steps {
                    // The last step's gradients, before its update.
                    let grads = fwd
                        .weights
                        .iter()
                        .zip(&self.weights)
                        .map(|(v, w)| Tensor::from_vec(step.grad(*v)?.to_vec(), w.dims()))
                        .collect::<crate::Result<Vec<_>>>()?;
                    let zs = fwd
                        .pre
                        .iter()
                        .map(|v| step.value(*v))
                        .collect::<crate::Result<Vec<_>>>()?;
                    let acts = fwd
                        .act
                        .iter()
                        .map(|v| step.value(*v))
                        .collect::<crate::Result<Vec<_>>>()?;
                    self.layer_end = lesson::layer_table(&grads, &zs, &acts, hidden);
                }
                step.sgd(lr);
                if n % 256 == 0 || n == steps {
                    progress(n);
                }
            }
            for (w, v) in self.weights.iter_mut().zip(&fwd.weights) {
                w.data_mut().copy_from_slice(step.value(*v)?);
            }
        }
        self.train_seconds += started.elapsed().as_secs_f64();
        let (out, loss) = predict(&self.x, &self.y, &self.weights, hidden)?;
        if !loss.is_finite() {
            return Err(WalkthroughError::NonFinite {
                step: steps,
                value: loss,
            });
        }
        self.output_after = out;
        self.loss_after = loss;
        Ok(())
    }
}

/// `W ← W − lr·∂L/∂W` for every layer (the notebook's `W += …` with lr = 1).
pub fn apply(weights: &mut [Tensor<f64>], gradients: &[Tensor<f64>], lr: f64) {
    for (w, g) in weights.iter_mut().zip(gradients) {
        for (p, d) in w.data_mut().iter_mut().zip(g.data()) {
            *p -= lr * d;
        }
    }
}

/// The drawing of a recorded tape: one [`GraphNode`] per entry, with values
/// and gradients in NumPy's print format.
pub fn graph_nodes(
    nodes: &[crate::Node<f64>],
    grad: &dyn Fn(NodeId) -> Option<Tensor<f64>>,
) -> Vec<GraphNode> {
    nodes
        .iter()
        .enumerate()
        .map(|(id, n)| {
            let g = grad(id);
            GraphNode {
                id,
                name: n.name.as_ref().map(|s| s.to_string()),
                op: n.op.name().to_string(),
                kind: match n.op {
                    Op::Param => NodeKind::Param,
                    Op::Constant => NodeKind::Constant,
                    _ => NodeKind::Op,
                },
                shape: n.value.dims().to_vec(),
                value: format_f64_array(n.value.data(), n.value.dims()),
                grad: g.as_ref().map(|g| format_f64_array(g.data(), g.dims())),
                grad_norm: g.as_ref().map(|g| crate::graph::frobenius_norm(g.data())),
                inputs: n.inputs().to_vec(),
            }
        })
        .collect()
}
