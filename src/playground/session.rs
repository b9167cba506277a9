//! One playground session: its data, network and optimiser, stepped on
//! request, and the snapshots the API reports.

use std::sync::OnceLock;

use serde::Serialize;
use serde_json::{json, Value};

use super::config::Resolved;
use super::PlaygroundError;
use crate::data::{epoch_order, Dataset, LoadOptions, TargetKind};
use crate::float::Float;
use crate::nn::{Activation, Loss, Mlp};
use crate::notebook;
use crate::optim::{OptimConfig, Optimizer};
use crate::tape::{BackwardObserver, BackwardStep, Tape};
use crate::tensor::Tensor;
use crate::train::{LoopOptions, Trainer};
use crate::walkthrough::{self, to_f64, Visit};

/// The most points [`Session::history`] keeps.
pub const HISTORY_POINTS: usize = 1000;

/// What `POST /api/sessions/{id}/step` answers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepReport {
    /// Optimiser steps done in all.
    pub step: u64,
    /// The whole training set's loss after the last update.
    pub loss: f64,
    /// The training set's accuracy after the last update (classification).
    pub train_accuracy: Option<f64>,
    /// The test set's loss, if there is a test set.
    pub test_loss: Option<f64>,
    /// The test set's accuracy, if there is a test set.
    pub test_accuracy: Option<f64>,
}

/// The last step, seen before its update.
struct Last {
    /// Weight gradients per layer, `[in, out]`.
    weights: Vec<Tensor<f64>>,
    /// Bias gradients per layer, if the layers have biases.
    biases: Option<Vec<Tensor<f64>>>,
    /// The backward sweep, node by node: taken with the step (notebook), or
    /// swept again from the step's parameters and rows when first asked for
    /// (a general network: see [`General::sweep`]).
    visits: OnceLock<Vec<SweepNode>>,
}

/// The most numbers the hidden units' pictures of one `boundary` answer
/// hold (units × H²): 512 units at H = 100 would be 5 million, 100 MB of JSON.
pub const MAX_HIDDEN_CELLS: usize = 1_000_000;

/// At most this many rows of each tensor of a kept backward sweep (`GET
/// …/backward` sends them with the full shapes): a full batch of 10,000
/// rows through 8 layers of 64 units would otherwise keep and send about
/// half a gigabyte.
pub const SWEEP_ROWS: usize = 32;

/// One node of a kept sweep: the visit with its tensors cut to their first
/// [`SWEEP_ROWS`] rows, and the tensors' full shapes.
#[derive(Debug)]
struct SweepNode {
    visit: Visit,
    upstream_shape: Vec<usize>,
    shapes: Vec<Option<Vec<usize>>>,
}

/// The first `keep` rows of a matrix (a vector: its first `64·keep`
/// elements), as `f64`.
fn head<T: Float>(t: &Tensor<T>, keep: usize) -> Tensor<f64> {
    let dims = t.dims();
    let (data, shape): (&[T], Vec<usize>) = match *dims {
        [rows, cols] if rows > keep => (&t.data()[..keep * cols], vec![keep, cols]),
        [n] if n > 64 * keep => (&t.data()[..64 * keep], vec![64 * keep]),
        _ => (t.data(), dims.to_vec()),
    };
    let data = data.iter().map(|v| v.as_f64()).collect();
    Tensor::from_vec(data, &shape).expect("the count fits the shape")
}

impl SweepNode {
    /// What an observer saw at one step, its tensors cut to `keep` rows.
    fn capture<T: Float>(s: &BackwardStep<'_, T>, keep: usize) -> SweepNode {
        SweepNode {
            visit: Visit {
                id: s.id,
                name: s.node.name.as_ref().map(|n| n.to_string()),
                op: s.node.op.name(),
                rule: s.node.op.rule(),
                upstream: head(s.upstream, keep),
                contributions: s
                    .node
                    .inputs()
                    .iter()
                    .copied()
                    .zip(
                        s.contributions
                            .iter()
                            .map(|c| c.as_ref().map(|t| head(t, keep))),
                    )
                    .collect(),
            },
            upstream_shape: s.upstream.dims().to_vec(),
            shapes: s
                .contributions
                .iter()
                .map(|c| c.as_ref().map(|t| t.dims().to_vec()))
                .collect(),
        }
    }
}

/// A network trained by [`Trainer`] on a generated set.
struct General<T: Float> {
    trainer: Trainer<T>,
    train: Dataset,
    test: Option<Dataset>,
    order: Vec<usize>,
    epoch: u64,
    batch: usize,
    /// The last observed step's network before its update, and its rows:
    /// what its backward sweep and its traces are swept again from.
    observed: Option<(Mlp<T>, Vec<usize>)>,
}

/// The notebook's network, stepped by the walkthrough's code.
struct NotebookNet {
    x: Tensor<f64>,
    y: Tensor<f64>,
    weights: Vec<Tensor<f64>>,
    lr: f64,
    /// The weights the last observed step started from (for traces).
    before: Option<Vec<Tensor<f64>>>,
}

enum Net {
    F32(Box<General<f32>>),
    F64(Box<General<f64>>),
    Notebook(Box<NotebookNet>),
}

/// A session: configuration, network, step count, last step and history.
pub struct Session {
    /// The resolved configuration.
    pub config: super::Config,
    net: Net,
    step: u64,
    loss: f64,
    last: Option<Last>,
    history: Vec<(u64, f64)>,
    /// Steps between kept history points (doubles as the history thins).
    stride: u64,
    /// The input plane shown by [`Session::boundary`]: `[x0, x1, y0, y1]`.
    plane: [f64; 4],
    /// The uploaded data set it was made from: held, so that the upload is
    /// kept while a session uses it.
    _upload: Option<std::sync::Arc<super::Upload>>,
}

/// `lo..hi` widened by a tenth of its span on each side (at least 0.25).
fn padded((lo, hi): (f64, f64)) -> (f64, f64) {
    let pad = ((hi - lo) * 0.1).max(0.25);
    (lo - pad, hi + pad)
}

impl Session {
    /// Builds a session: generates its data and initialises its network.
    pub fn new(r: &Resolved) -> Result<Session, PlaygroundError> {
        let c = &r.config;
        let (net, plane) = if c.preset.is_some() {
            let (x, y) = notebook::xor();
            let weights = notebook::init_weights(c.seed, &c.layers)?;
            let net = NotebookNet {
                x,
                y,
                weights,
                lr: c.lr,
                before: None,
            };
            let (x0, x1) = padded((0.0, 1.0));
            (Net::Notebook(Box::new(net)), [x0, x1, x0, x1])
        } else {
            let opts = LoadOptions {
                target: if r.loss.is_classification() {
                    TargetKind::Class
                } else {
                    TargetKind::Values { k: 1 }
                },
                samples: c.samples,
                noise: c.noise,
                seed: u64::from(c.seed),
                unit_targets: r.loss == Loss::Bce,
                ..LoadOptions::default()
            };
            let data = match &r.upload {
                Some(u) => Dataset::from_bytes(
                    std::path::Path::new("upload"),
                    u.bytes.clone(),
                    &LoadOptions {
                        target: opts.target,
                        unit_targets: opts.unit_targets,
                        ..super::upload_options()
                    },
                ),
                None => Dataset::generate(&c.dataset, &opts),
            }
            .map_err(|e| PlaygroundError::bad("dataset", e.to_string()))?;
            let (x0, x1) = padded(data.feature_range(0));
            let (y0, y1) = padded(data.feature_range(1));
            let (train, test) = data.split_tail(c.test_fraction);
            let net = if r.f64 {
                Net::F64(Box::new(General::new(r, train, test)?))
            } else {
                Net::F32(Box::new(General::new(r, train, test)?))
            };
            (net, [x0, x1, y0, y1])
        };
        let mut s = Session {
            config: c.clone(),
            net,
            step: 0,
            loss: f64::NAN,
            last: None,
            history: Vec::new(),
            stride: 1,
            plane,
            _upload: r.upload.clone(),
        };
        s.loss = s.evaluate()?.loss;
        s.history.push((0, s.loss));
        Ok(s)
    }

    /// Optimiser steps done so far.
    pub fn steps_done(&self) -> u64 {
        self.step
    }

    /// Loss and accuracies of the current network.
    fn evaluate(&mut self) -> Result<StepReport, PlaygroundError> {
        let report = match &mut self.net {
            Net::F32(g) => g.evaluate()?,
            Net::F64(g) => g.evaluate()?,
            Net::Notebook(n) => {
                let (out, loss) =
                    walkthrough::predict(&n.x, &n.y, &n.weights, Activation::Sigmoid)?;
                let right = out
                    .data()
                    .iter()
                    .zip(n.y.data())
                    .filter(|(o, t)| (**o > 0.5) == (**t > 0.5))
                    .count();
                StepReport {
                    step: 0,
                    loss,
                    train_accuracy: Some(right as f64 / 4.0),
                    test_loss: None,
                    test_accuracy: None,
                }
            }
        };
        Ok(StepReport {
            step: self.step,
            ..report
        })
    }

    /// Runs `steps` optimiser steps (the last one observed), then reports.
    /// A step whose loss is not finite stops the run with an error; the
    /// steps before it stay done.
    pub fn step(&mut self, steps: u64) -> Result<StepReport, PlaygroundError> {
        for k in 0..steps {
            let observe = k + 1 == steps;
            let (loss, last) = match &mut self.net {
                Net::F32(g) => g.step(observe)?,
                Net::F64(g) => g.step(observe)?,
                Net::Notebook(n) => n.step(observe)?,
            };
            if !loss.is_finite() {
                return Err(PlaygroundError::Diverged {
                    step: self.step + 1,
                    value: loss,
                });
            }
            self.step += 1;
            if last.is_some() {
                self.last = last;
            }
            self.record(loss);
        }
        let report = self.evaluate()?;
        self.loss = report.loss;
        Ok(report)
    }

    /// Keeps `(step, loss)` every `stride` steps, halving the points and
    /// doubling the stride when they reach [`HISTORY_POINTS`].
    fn record(&mut self, loss: f64) {
        if !self.step.is_multiple_of(self.stride) {
            return;
        }
        if self.history.len() >= HISTORY_POINTS {
            self.stride *= 2;
            self.history.retain(|(s, _)| s % self.stride == 0);
            if !self.step.is_multiple_of(self.stride) {
                return;
            }
        }
        self.history.push((self.step, loss));
    }

    /// The loss history: `(step, loss)` with the loss each kept step's
    /// forward pass computed on its batch, before its update; step 0 is the
    /// whole training set's loss before training.
    pub fn history(&self) -> &[(u64, f64)] {
        &self.history
    }

    /// `GET /api/sessions/{id}`: step, configuration, parameters `[in, out]`,
    /// the last step's gradients and their norms, loss and history.
    pub fn state(&self) -> Value {
        let (weights, biases) = match &self.net {
            Net::F32(g) => g.params(),
            Net::F64(g) => g.params(),
            Net::Notebook(n) => (n.weights.clone(), None),
        };
        let rows_all = |ts: &[Tensor<f64>]| ts.iter().map(tensor_json).collect::<Vec<_>>();
        let last = self.last.as_ref();
        json!({
            "step": self.step,
            "config": self.config,
            "weights": rows_all(&weights),
            "biases": biases.as_deref().map(rows_all),
            "gradients": last.map(|l| rows_all(&l.weights)),
            "bias_gradients": last.and_then(|l| l.biases.as_deref().map(rows_all)),
            "grad_norms": last.map(|l| l.weights.iter().map(|g| crate::graph::frobenius_norm(g.data())).collect::<Vec<_>>()),
            "loss": self.loss,
            "history": self.history.iter().map(|(s, l)| json!([s, l])).collect::<Vec<_>>(),
            "printed": {
                "weights": printed(&weights),
                "gradients": last.map(|l| printed(&l.weights)),
            },
        })
    }

    /// `GET /api/sessions/{id}/backward`: the last step's reverse sweep in
    /// visiting order (empty before the first step).
    pub fn backward(&self) -> Value {
        let visits = self.last.as_ref().map_or(&[][..], |l| {
            l.visits.get_or_init(|| {
                match &self.net {
                    Net::F32(g) => g.sweep(SWEEP_ROWS),
                    Net::F64(g) => g.sweep(SWEEP_ROWS),
                    Net::Notebook(_) => Ok(Vec::new()),
                }
                // The step it sweeps again ran without an error.
                .expect("the last step's sweep runs again")
            })
        });
        let list: Vec<Value> = visits
            .iter()
            .map(|n| {
                let v = &n.visit;
                json!({
                    "id": v.id,
                    "name": v.name,
                    "op": v.op,
                    "rule": v.rule,
                    "upstream": tensor_json(&v.upstream),
                    "upstream_shape": n.upstream_shape,
                    "contributions": v.contributions.iter().zip(&n.shapes).map(|((to, c), shape)| json!({
                        "to": to,
                        "gradient": c.as_ref().map(tensor_json),
                        "shape": shape,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({"step": self.step, "rows_kept": SWEEP_ROWS, "nodes": list})
    }

    /// `GET /api/sessions/{id}/boundary`: the network's output (probability
    /// of class 1) over a `resolution`² grid of the input plane, and every
    /// hidden unit's output over a `hidden_resolution`² grid. Rows run along
    /// the second coordinate (`y`), columns along the first (`x`).
    pub fn boundary(
        &self,
        resolution: usize,
        hidden_resolution: usize,
    ) -> Result<Value, PlaygroundError> {
        let units: usize = self.config.layers[1..self.config.layers.len() - 1]
            .iter()
            .sum();
        if units.saturating_mul(hidden_resolution * hidden_resolution) > MAX_HIDDEN_CELLS {
            let most = ((MAX_HIDDEN_CELLS / units.max(1)) as f64).sqrt() as usize;
            return Err(PlaygroundError::bad(
                "hidden_resolution",
                format!(
                    "{hidden_resolution}: {units} hidden units × {hidden_resolution}² cells is over \
                     {MAX_HIDDEN_CELLS}; at most {most} for this network"
                ),
            ));
        }
        let [x0, x1, y0, y1] = self.plane;
        let grid = |r: usize| {
            let at = |lo: f64, hi: f64, i: usize| {
                if r == 1 {
                    (lo + hi) / 2.0
                } else {
                    lo + (hi - lo) * i as f64 / (r - 1) as f64
                }
            };
            let mut pts = Vec::with_capacity(2 * r * r);
            for j in 0..r {
                for i in 0..r {
                    pts.push(at(x0, x1, i));
                    pts.push(at(y0, y1, j));
                }
            }
            pts
        };
        let (output, _) = self.layer_outputs(&grid(resolution), false)?;
        let (_, hidden) = self.layer_outputs(&grid(hidden_resolution), true)?;
        let square =
            |v: &[f64], r: usize| -> Vec<Vec<f64>> { v.chunks(r).map(<[f64]>::to_vec).collect() };
        let hidden: Vec<Vec<Vec<Vec<f64>>>> = hidden
            .iter()
            .map(|h| {
                let units = h.dims()[1];
                (0..units)
                    .map(|u| {
                        let col: Vec<f64> =
                            h.data().iter().skip(u).step_by(units).copied().collect();
                        square(&col, hidden_resolution)
                    })
                    .collect()
            })
            .collect();
        Ok(json!({
            "x_range": [x0, x1],
            "y_range": [y0, y1],
            "resolution": resolution,
            "output": square(&output, resolution),
            "hidden_resolution": hidden_resolution,
            "hidden": hidden,
        }))
    }

    /// `GET /api/sessions/{id}/trace?weight=Wk[i,j]`: how the last step's
    /// gradient of one weight was assembled (see [`super::trace`]).
    pub fn trace(&self, spec: &str) -> Result<Value, PlaygroundError> {
        match &self.net {
            Net::Notebook(nb) => {
                let settings = walkthrough::Settings {
                    seed: self.config.seed,
                    steps: 1,
                    lr: nb.lr,
                    layers: self.config.layers.clone(),
                    activation: Activation::Sigmoid,
                };
                super::trace::notebook(&settings, &nb.weights, nb.before.as_deref(), spec)
            }
            Net::F32(g) => g.trace(spec),
            Net::F64(g) => g.trace(spec),
        }
    }

    /// `GET /api/sessions/{id}/points`: the training and test points, each
    /// `[x, y, label]` (`test` empty without a test set).
    pub fn points(&self) -> Value {
        match &self.net {
            Net::Notebook(nb) => {
                let pts: Vec<[f64; 3]> = (0..4)
                    .map(|r| [nb.x.data()[2 * r], nb.x.data()[2 * r + 1], nb.y.data()[r]])
                    .collect();
                json!({"train": pts, "test": []})
            }
            Net::F32(g) => g.points(),
            Net::F64(g) => g.points(),
        }
    }

    /// The probability of class 1 at each point of `pts` (x, y pairs) and,
    /// when `hidden`, each hidden layer's outputs `[points, units]`.
    fn layer_outputs(
        &self,
        pts: &[f64],
        hidden: bool,
    ) -> Result<(Vec<f64>, Vec<Tensor<f64>>), PlaygroundError> {
        let n = pts.len() / 2;
        match &self.net {
            Net::F32(g) => g.layer_outputs(pts, hidden),
            Net::F64(g) => g.layer_outputs(pts, hidden),
            Net::Notebook(nb) => {
                let x = Tensor::from_vec(pts.to_vec(), &[n, 2])?;
                let y = Tensor::zeros(&[n, 1])?;
                let tape = Tape::new();
                tape.inference(|| {
                    let f = notebook::forward(&tape, &x, &y, &nb.weights)?;
                    let acts: Vec<Tensor<f64>> = f.act.iter().map(|a| a.to_tensor()).collect();
                    let (out, hid) = acts.split_last().expect("at least one layer");
                    Ok((
                        out.data().to_vec(),
                        if hidden { hid.to_vec() } else { Vec::new() },
                    ))
                })
            }
        }
    }
}

/// A data set's points as `[x, y, label]`: the class index, or the target value.
fn points_json(d: &Dataset) -> Value {
    let rows: Vec<usize> = (0..d.n).collect();
    let mut xy = vec![0.0; d.n * d.dim()];
    d.gather_features::<f64>(&rows, None, &mut xy);
    let label = |r: usize| match &d.targets {
        crate::data::Targets::Classes { labels, .. } => f64::from(labels[r]),
        crate::data::Targets::Values { data, k } => data[r * k],
    };
    let dim = d.dim();
    json!((0..d.n)
        .map(|r| [xy[r * dim], xy[r * dim + 1], label(r)])
        .collect::<Vec<_>>())
}

/// Each tensor as NumPy prints it (8 decimals), as the walkthrough prints them.
fn printed(ts: &[Tensor<f64>]) -> Vec<String> {
    ts.iter()
        .map(|t| crate::numpy_fmt::format_f64_array(t.data(), t.dims()))
        .collect()
}

/// A 2-D tensor as a list of rows, anything else as a flat list.
fn tensor_json(t: &Tensor<f64>) -> Value {
    match t.to_rows() {
        Some(rows) if t.dims().len() == 2 => json!(rows),
        _ => json!(t.data()),
    }
}

/// `[out, in]` (PyTorch's layout) as `[in, out]` (the notebook's).
fn transposed(t: &Tensor<f64>) -> Tensor<f64> {
    let (o, i) = (t.dims()[0], t.dims()[1]);
    let d = t.data();
    let data = (0..i * o).map(|k| d[(k % o) * i + k / o]).collect();
    Tensor::from_vec(data, &[i, o]).expect("same count")
}

impl<T: Float> General<T> {
    fn new(r: &Resolved, train: Dataset, test: Option<Dataset>) -> Result<Self, PlaygroundError> {
        let c = &r.config;
        let model = Mlp::new(&c.layers, r.activation, c.bias, r.init, c.seed)?;
        let optim = Optimizer::new(OptimConfig::new(r.optimizer, c.lr));
        let opts = LoopOptions {
            loss: r.loss,
            batch_size: c.batch_size,
            shuffle: true,
            seed: u64::from(c.seed),
        };
        Ok(General {
            trainer: Trainer::new(model, optim, opts, None),
            train,
            test,
            order: Vec::new(),
            epoch: 0,
            batch: 0,
            observed: None,
        })
    }

    /// See [`Session::trace`].
    fn trace(&self, spec: &str) -> Result<Value, PlaygroundError> {
        let rows = self.observed.as_ref().map(|(_, rows)| &rows[..]);
        super::trace::general(&self.trainer.model, &self.train, rows, spec, |observer| {
            self.rerun(observer)
        })
    }

    /// The training and test points (see [`Session::points`]).
    fn points(&self) -> Value {
        json!({
            "train": points_json(&self.train),
            "test": self.test.as_ref().map_or(json!([]), points_json),
        })
    }

    /// The figures of a [`StepReport`] (its `step` left 0).
    fn evaluate(&mut self) -> Result<StepReport, PlaygroundError> {
        let tr = self.trainer.evaluate_replayed(&self.train)?;
        let te = match &self.test {
            Some(t) if t.n > 0 => Some(self.trainer.evaluate_replayed(t)?),
            _ => None,
        };
        Ok(StepReport {
            step: 0,
            loss: tr.loss,
            train_accuracy: tr.accuracy,
            test_loss: te.as_ref().map(|e| e.loss),
            test_accuracy: te.and_then(|e| e.accuracy),
        })
    }

    /// One optimiser step on the next batch of the epoch's shuffled order
    /// (a new epoch, a new order), replayed ([`Trainer::replayed_step`]);
    /// when `observe`, the step's gradients (taken before its update) are
    /// kept, with the network and rows its backward sweep is made from on
    /// request ([`General::sweep`]).
    fn step(&mut self, observe: bool) -> Result<(f64, Option<Last>), PlaygroundError> {
        let n = self.train.n;
        let size = if self.trainer.opts.batch_size == 0 {
            n
        } else {
            self.trainer.opts.batch_size.min(n)
        };
        if self.batch == 0 {
            self.epoch += 1;
            epoch_order(n, self.trainer.opts.seed, self.epoch, true, &mut self.order);
        }
        let start = self.batch * size;
        let end = (start + size).min(n);
        self.batch = if end >= n { 0 } else { self.batch + 1 };
        // The order is lent out for the step rather than copied per batch.
        let order = std::mem::take(&mut self.order);
        let result = self.step_on(&order[start..end], observe);
        self.order = order;
        result
    }

    /// [`step`](Self::step) on the rows `idx`.
    fn step_on(
        &mut self,
        idx: &[usize],
        observe: bool,
    ) -> Result<(f64, Option<Last>), PlaygroundError> {
        if !observe {
            return Ok((self.trainer.replayed_step(&self.train, idx)?, None));
        }
        // The network and rows are kept for the sweep, which is swept again
        // only if asked for: most requests never show it. A step whose loss
        // is not finite is not kept (the session's last step stays the one
        // before it).
        let before = (self.trainer.model.clone(), idx.to_vec());
        let loss = self.trainer.replayed_step(&self.train, idx)?;
        if !loss.is_finite() {
            return Ok((loss, None));
        }
        self.observed = Some(before);
        let grads = self.trainer.replayed_gradients();
        let bias = self.trainer.model.has_bias();
        let per = if bias { 2 } else { 1 };
        let weights = grads
            .iter()
            .step_by(per)
            .map(|g| transposed(&to_f64(g)))
            .collect();
        let biases = bias.then(|| grads.iter().skip(1).step_by(2).map(to_f64).collect());
        Ok((
            loss,
            Some(Last {
                weights,
                biases,
                visits: OnceLock::new(),
            }),
        ))
    }

    /// The last observed step's backward sweep, node by node: the step
    /// recorded again on a tape, from the network before its update and the
    /// same rows ([`Trainer::gradients_with`]), so the same numbers as when
    /// it ran; empty before the first step.
    fn sweep(&self, keep: usize) -> Result<Vec<SweepNode>, PlaygroundError> {
        let mut visits = Vec::new();
        self.rerun(&mut |s: &BackwardStep<'_, T>| visits.push(SweepNode::capture(s, keep)))?;
        Ok(visits)
    }

    /// The last observed step run again on a tape, from the network before
    /// its update and the same rows, under `observer`: its gradients (in
    /// [`Mlp::record`] order), or `None` before the first step. The sweep and
    /// the traces are both made this way.
    fn rerun(
        &self,
        observer: &mut dyn BackwardObserver<T>,
    ) -> Result<Option<Vec<Tensor<T>>>, PlaygroundError> {
        let Some((model, rows)) = &self.observed else {
            return Ok(None);
        };
        let t = &self.trainer;
        let optim = Optimizer::new(t.optim.config);
        let mut again = Trainer::new(model.clone(), optim, t.opts.clone(), t.standardizer.clone());
        Ok(Some(again.gradients_with(&self.train, rows, observer)?.1))
    }

    fn params(&self) -> (Vec<Tensor<f64>>, Option<Vec<Tensor<f64>>>) {
        let m = &self.trainer.model;
        let weights = m
            .layers
            .iter()
            .map(|l| transposed(&to_f64(&l.weight)))
            .collect();
        let biases = m.has_bias().then(|| {
            m.layers
                .iter()
                .filter_map(|l| l.bias.as_ref().map(to_f64))
                .collect()
        });
        (weights, biases)
    }

    fn layer_outputs(
        &self,
        pts: &[f64],
        hidden: bool,
    ) -> Result<(Vec<f64>, Vec<Tensor<f64>>), PlaygroundError> {
        let model = &self.trainer.model;
        let n = pts.len() / 2;
        let data: Vec<T> = pts.iter().map(|&v| T::from_f64(v)).collect();
        let tape = Tape::<T>::new();
        let (logits, hid) = tape.inference(|| -> crate::Result<_> {
            let params = model.record(&tape);
            let mut h = tape.constant_from(&data, &[n, 2])?;
            let mut p = params.iter();
            let mut hid = Vec::new();
            for (i, l) in model.layers.iter().enumerate() {
                h = h.matmul_t(*p.next().expect("a weight per layer"))?;
                if l.bias.is_some() {
                    h = h.add_bias(*p.next().expect("a bias per layer"))?;
                }
                if i + 1 < model.layers.len() {
                    h = model.activation.apply(h);
                    if hidden {
                        hid.push(to_f64(&h.value()));
                    }
                }
            }
            Ok((to_f64(&h.value()), hid))
        })?;
        let out = match self.trainer.opts.loss {
            Loss::CrossEntropy => logits
                .data()
                .chunks(2)
                .map(|z| 1.0 / (1.0 + (z[0] - z[1]).exp()))
                .collect(),
            Loss::Bce => logits
                .data()
                .iter()
                .map(|z| 1.0 / (1.0 + (-z).exp()))
                .collect(),
            Loss::Mse => logits.data().to_vec(),
        };
        Ok((out, hid))
    }
}

impl NotebookNet {
    /// The walkthrough's step: the notebook's forward pass recorded with its
    /// names, the backward sweep (observed when `observe`), `W ← W − lr·∂L/∂W`.
    fn step(&mut self, observe: bool) -> Result<(f64, Option<Last>), PlaygroundError> {
        let tape = Tape::new();
        let fwd = notebook::forward(&tape, &self.x, &self.y, &self.weights)?;
        let loss = fwd.loss.value().item().expect("scalar loss");
        let mut visits = Vec::new();
        let grads = if observe {
            tape.backward_with(fwd.loss, &mut |s: &BackwardStep<'_, f64>| {
                visits.push(SweepNode::capture(s, SWEEP_ROWS))
            })?
        } else {
            tape.backward(fwd.loss)?
        };
        let gradients = fwd.weight_grads(&grads);
        if !loss.is_finite() {
            return Ok((loss, None));
        }
        if observe {
            self.before = Some(self.weights.clone());
        }
        walkthrough::apply(&mut self.weights, &gradients, self.lr);
        Ok((
            loss,
            observe.then_some(Last {
                weights: gradients,
                biases: None,
                visits: OnceLock::from(visits),
            }),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::batches;
    use crate::playground::{config, Limits};

    /// A session from a request body.
    fn session(body: &str) -> Session {
        Session::new(&config::parse_body(body.as_bytes(), &Limits::default()).unwrap()).unwrap()
    }

    /// Steps `s` in requests of `requests` steps beside a trainer stepping
    /// the same batches with [`Trainer::train_batch`], observing the last of
    /// each request with [`Trainer::gradients_with`] first: the weights, the
    /// kept gradients, the backward sweep and the report must be the same
    /// bits.
    fn same_as_the_trainer<T: Float>(
        s: &mut Session,
        general: fn(&Session) -> &General<T>,
        requests: &[u64],
    ) {
        let g = general(s);
        let t = &g.trainer;
        let optim = Optimizer::new(t.optim.config);
        let mut reference = Trainer::new(t.model.clone(), optim, t.opts.clone(), None);
        let (train, test) = (g.train.clone(), g.test.clone());
        let mut norms = vec![0.0; t.model.layers.len()];
        let (mut order, mut epoch, mut queue) = (Vec::new(), 0, Vec::<Vec<usize>>::new());
        for &k in requests {
            let report = s.step(k).unwrap();
            let mut last = None;
            for i in 0..k {
                if queue.is_empty() {
                    epoch += 1;
                    epoch_order(train.n, reference.opts.seed, epoch, true, &mut order);
                    let bs = reference.opts.batch_size;
                    queue = batches(&order, bs).map(<[usize]>::to_vec).collect();
                    queue.reverse();
                }
                let idx = queue.pop().unwrap();
                if i + 1 == k {
                    let mut visits = Vec::new();
                    let (_, grads) = reference
                        .gradients_with(&train, &idx, &mut |st: &BackwardStep<'_, T>| {
                            visits.push(format!("{:?}", Visit::from_step(st)))
                        })
                        .unwrap();
                    last = Some((grads, visits));
                }
                reference.train_batch(&train, &idx, &mut norms).unwrap();
            }
            let g = general(s);
            assert!(g.trainer.model == reference.model, "weights differ");
            let (grads, visits) = last.unwrap();
            assert!(
                g.trainer.replayed_gradients() == &grads[..],
                "gradients differ"
            );
            let swept: Vec<String> = g
                .sweep(usize::MAX)
                .unwrap()
                .iter()
                .map(|n| format!("{:?}", n.visit))
                .collect();
            assert_eq!(swept, visits);
            assert_eq!(
                s.backward()["nodes"].as_array().unwrap().len(),
                visits.len()
            );
            let ev = reference.evaluate(&train).unwrap();
            assert_eq!(report.loss.to_bits(), ev.loss.to_bits());
            assert_eq!(report.train_accuracy, ev.accuracy);
            if let Some(test) = test.as_ref().filter(|t| t.n > 0) {
                let ev = reference.evaluate(test).unwrap();
                assert_eq!(report.test_loss.map(f64::to_bits), Some(ev.loss.to_bits()));
                assert_eq!(report.test_accuracy, ev.accuracy);
            }
        }
    }

    fn f64_net(s: &Session) -> &General<f64> {
        match &s.net {
            Net::F64(g) => g,
            _ => panic!("an f64 network"),
        }
    }

    fn f32_net(s: &Session) -> &General<f32> {
        match &s.net {
            Net::F32(g) => g,
            _ => panic!("an f32 network"),
        }
    }

    #[test]
    fn replayed_steps_are_the_trainers_bit_for_bit() {
        let mut s = session(
            r#"{"dataset": "moons", "samples": 200, "layers": [2, 8, 8, 1], "activation": "relu",
                "loss": "bce", "optimizer": "sgd", "batch_size": 0, "dtype": "f64"}"#,
        );
        same_as_the_trainer(&mut s, f64_net, &[1, 5, 1, 20]);
        let mut s = session(
            r#"{"dataset": "moons", "samples": 150, "test_fraction": 0.3, "layers": [2, 6, 1],
                "activation": "tanh", "loss": "bce", "optimizer": "adam", "batch_size": 32,
                "dtype": "f32"}"#,
        );
        same_as_the_trainer(&mut s, f32_net, &[1, 3, 7, 1]);
        let mut s = session(
            r#"{"dataset": "blobs", "samples": 300, "test_fraction": 0.2, "layers": [2, 5, 2],
                "activation": "sigmoid", "loss": "cross-entropy", "optimizer": "momentum",
                "batch_size": 64, "dtype": "f64"}"#,
        );
        same_as_the_trainer(&mut s, f64_net, &[2, 4, 9]);
    }

    #[test]
    fn a_diverged_step_keeps_the_last_sweep() {
        let mut s =
            session(r#"{"dataset": "moons", "layers": [2, 4, 1], "loss": "bce", "dtype": "f64"}"#);
        s.step(2).unwrap();
        let sweep = |s: &Session| format!("{:?}", f64_net(s).sweep(usize::MAX).unwrap());
        let before = sweep(&s);
        let Net::F64(g) = &mut s.net else {
            panic!("an f64 network")
        };
        let last = g.trainer.model.layers.last_mut().unwrap();
        last.bias.as_mut().unwrap().data_mut()[0] = f64::NAN;
        assert!(matches!(
            s.step(1),
            Err(PlaygroundError::Diverged { step: 3, .. })
        ));
        assert_eq!(s.steps_done(), 2);
        assert_eq!(sweep(&s), before);
    }
}
