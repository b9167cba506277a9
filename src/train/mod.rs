//! The training loop: mini-batches through the tape, the optimiser step,
//! per-epoch metrics, and evaluation (loss, accuracy, confusion matrix).
//!
//! [`Trainer`] trains any [`Module`] (an [`Mlp`] by default, the CLI's
//! network): each step records the module's parameters and forward pass on a
//! reused tape, runs the backward sweep, and hands the gradients to the
//! optimiser by parameter name ([`Optimizer::step_module`]).

use std::time::Instant;

pub mod distributed;
#[cfg(feature = "mpi")]
pub mod mpi;
mod replayed;
mod threads;
use distributed::{Collective, DistError};
use threads::ThreadPolicy;

use crate::data::{batches, epoch_order, Dataset, Standardizer};
use crate::float::Float;
use crate::nn::{Loss, Mlp, Module, Params, Visitor};
use crate::optim::Optimizer;
use crate::tape::{NodeId, Tape, Var};
use crate::tensor::{gemm, Tensor};

/// What can stop training.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The loss stopped being finite.
    #[error("the training loss became {value} at epoch {epoch}, batch {batch}; stopped (try a smaller --lr)")]
    NonFinite {
        /// 1-based epoch.
        epoch: usize,
        /// 1-based batch within the epoch.
        batch: usize,
        /// The loss value.
        value: f64,
    },
    /// A parameter stopped being finite while the loss stayed finite (a NaN
    /// bias of a unit that ReLU keeps at 0 never reaches the loss).
    #[error("parameter {name} became {value} at element {index} in epoch {epoch}; stopped (try a smaller --lr)")]
    NonFiniteParam {
        /// 1-based epoch.
        epoch: usize,
        /// The parameter's `state_dict` name, e.g. `0.bias`.
        name: String,
        /// The flat index of its first non-finite element.
        index: usize,
        /// That element's value.
        value: f64,
    },
    /// An engine error (a shape that slipped through validation).
    #[error(transparent)]
    Engine(#[from] crate::Error),
    /// Data-parallel training: the ranks disagree, or communication failed.
    #[error(transparent)]
    Distributed(#[from] DistError),
}

/// One epoch's figures (the `--json` line).
#[derive(Clone, Debug, PartialEq)]
pub struct EpochReport {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean loss over the epoch's samples.
    pub train_loss: f64,
    /// Fraction of training samples classified right during the epoch (classification only).
    pub train_accuracy: Option<f64>,
    /// Loss on the test set after the epoch.
    pub test_loss: Option<f64>,
    /// Accuracy on the test set after the epoch.
    pub test_accuracy: Option<f64>,
    /// Wall time of the epoch's training alone.
    pub epoch_seconds: f64,
    /// L2 norm of each layer's weight gradient, averaged over the epoch's batches.
    pub grad_norms: Vec<f64>,
    /// Batches whose matrix products used the pool's threads (the rest kept
    /// them on the training thread, which timing showed faster at the time;
    /// see [`Trainer::epoch`]). The results are the same bits either way.
    pub parallel_batches: usize,
    /// Data-parallel training's communication ([`Trainer::epoch_distributed`];
    /// `None` in one process).
    pub comm: Option<CommReport>,
}

/// What an epoch of data-parallel training spent on communication.
#[derive(Clone, Debug, PartialEq)]
pub struct CommReport {
    /// Steps (global batches).
    pub steps: usize,
    /// Seconds this rank waited for the gradient sums after its backward
    /// sweep ended (the part the sweep did not hide), plus the step's
    /// loss-and-metrics sum, over the epoch.
    pub wait_seconds: f64,
    /// Bytes of gradient each step sums over the ranks (the model's
    /// gradient size).
    pub gradient_bytes: usize,
    /// Buckets per step.
    pub buckets: usize,
}

/// Settings of the loop itself.
#[derive(Clone, Debug)]
pub struct LoopOptions {
    /// The loss.
    pub loss: Loss,
    /// Rows per mini-batch (the last partial batch is kept); 0 is the full
    /// batch (as `train --batch-size 0`).
    pub batch_size: usize,
    /// Shuffle each epoch (deterministically from `seed` and the epoch).
    pub shuffle: bool,
    /// Seed of the shuffles.
    pub seed: u64,
}

/// A model, its optimiser and a reusable tape: one object that trains.
///
/// Any [`Module`] trains through the same loop; the playground's replayed
/// steps ([`Trainer::replayed_step`]) are the [`Mlp`]'s.
pub struct Trainer<T: Float, M: Module<T> = Mlp<T>> {
    /// The network.
    pub model: M,
    /// The optimiser and its state.
    pub optim: Optimizer<T>,
    /// Loop settings.
    pub opts: LoopOptions,
    /// Feature standardisation, applied to every batch.
    pub standardizer: Option<Standardizer>,
    tape: Tape<T>,
    /// Capacity for the step's [`Params`], reused from step to step
    /// ([`Params::with_buffer`]).
    params: Vec<(usize, usize, NodeId)>,
    /// The buffer parameter names are built in (reused).
    name_buf: String,
    order: Vec<usize>,
    x: Vec<T>,
    y: Vec<T>,
    labels: Vec<usize>,
    /// Whether products use the pool's threads, chosen batch by batch.
    policy: Option<ThreadPolicy>,
    /// Steps compiled for replay, one per batch size used
    /// ([`Trainer::replayed_step`], [`Trainer::evaluate_replayed`]).
    replays: replayed::Replays<T>,
    /// Data-parallel buffers ([`Trainer::epoch_distributed`]), made at the first step.
    dist: Option<distributed::State<T>>,
}

/// The nodes of a recorded forward pass that a step reads.
struct Recorded<'t, T: Float> {
    /// The parameter leaves, in [`Module::visit`] order.
    params: Vec<Var<'t, T>>,
    x: Var<'t, T>,
    targets: Var<'t, T>,
    logits: Var<'t, T>,
    loss: Var<'t, T>,
}

/// Loss and accuracy of a model on a data set.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Mean loss.
    pub loss: f64,
    /// Fraction right (classification only).
    pub accuracy: Option<f64>,
    /// `confusion[true][predicted]` counts (cross-entropy only).
    pub confusion: Option<Vec<Vec<usize>>>,
}

impl<T: Float, M: Module<T> + Send> Trainer<T, M> {
    /// A trainer for `model` with `optim`.
    pub fn new(
        model: M,
        optim: Optimizer<T>,
        opts: LoopOptions,
        standardizer: Option<Standardizer>,
    ) -> Self {
        Trainer {
            model,
            optim,
            opts,
            standardizer,
            tape: Tape::new(),
            params: Vec::new(),
            name_buf: String::new(),
            order: Vec::new(),
            x: Vec::new(),
            y: Vec::new(),
            labels: Vec::new(),
            policy: None,
            replays: replayed::Replays::default(),
            dist: None,
        }
    }

    /// Fills the batch buffers for rows `idx`.
    fn gather(&mut self, data: &Dataset, idx: &[usize]) {
        let dim = data.dim();
        self.x.resize(idx.len() * dim, T::zero());
        data.gather_features(idx, self.standardizer.as_ref(), &mut self.x);
        if self.opts.loss.is_classification() {
            data.gather_labels(idx, &mut self.labels);
        } else {
            self.y.resize(idx.len() * data.target_width(), T::zero());
            data.gather_targets(idx, &mut self.y);
        }
    }

    /// Trains one epoch (1-based `epoch`); `progress(batches_done, batches, loss)` after each batch.
    ///
    /// The epoch runs on a thread of rayon's pool, which then takes part in
    /// each matrix product's parallel work instead of sleeping beside the
    /// pool's threads (three threads on two cores cost a context switch per
    /// product; measured: 15% of an MNIST epoch).
    ///
    /// Batch by batch, the trainer times its steps with the products spread
    /// over the pool and kept on this thread, and uses the faster (probing
    /// the other now and then): on a machine shared with busy processes one
    /// thread can beat two. Results do not depend on the choice.
    pub fn epoch(
        &mut self,
        data: &Dataset,
        epoch: usize,
        progress: &mut (dyn FnMut(usize, usize, f64) + Send),
    ) -> Result<EpochReport, TrainError> {
        rayon::scope(|_| self.epoch_here(data, epoch, None, progress))
    }

    /// [`Trainer::epoch`] as one rank of data-parallel training
    /// ([`distributed`]): every rank of `comm` calls it with the same data,
    /// settings and model; each global batch is cut into shards, and the
    /// gradients summed over the ranks make every rank take the step one
    /// process would take on the whole batch. `progress` sees the whole
    /// batch's loss on every rank.
    pub fn epoch_distributed(
        &mut self,
        data: &Dataset,
        epoch: usize,
        comm: &mut dyn Collective<T>,
        progress: &mut (dyn FnMut(usize, usize, f64) + Send),
    ) -> Result<EpochReport, TrainError> {
        let report = rayon::scope(|_| self.epoch_here(data, epoch, Some(&mut *comm), progress))?;
        let what = format!("the weights after epoch {epoch}");
        distributed::check_same(comm, &what, distributed::checksum(&self.model))?;
        Ok(report)
    }

    fn epoch_here(
        &mut self,
        data: &Dataset,
        epoch: usize,
        mut comm: Option<&mut dyn Collective<T>>,
        progress: &mut (dyn FnMut(usize, usize, f64) + Send),
    ) -> Result<EpochReport, TrainError> {
        let started = Instant::now();
        let distributed = comm.is_some();
        let mut order = std::mem::take(&mut self.order);
        epoch_order(
            data.n,
            self.opts.seed,
            epoch as u64,
            self.opts.shuffle,
            &mut order,
        );
        // A batch size of 0 is the full batch.
        let n_batches = match self.opts.batch_size {
            0 => usize::from(data.n > 0),
            b => data.n.div_ceil(b),
        };
        let mut norms = vec![0.0; self.weight_count()];
        let (mut loss_sum, mut correct) = (0.0, 0usize);
        let mut failure = None;
        let mut policy = self
            .policy
            .take()
            .unwrap_or_else(|| ThreadPolicy::new(rayon::current_num_threads()));
        let parallel_before = policy.counts().0;
        for (b, idx) in batches(&order, self.opts.batch_size).enumerate() {
            let parallel = policy.parallel();
            let t = Instant::now();
            let step = gemm::with_parallelism(parallel, || match comm.as_deref_mut() {
                Some(comm) => self.step_distributed(data, idx, comm, &mut norms),
                None => self.train_batch(data, idx, &mut norms),
            });
            policy.record(parallel, idx.len(), t.elapsed());
            let (loss, right) = match step {
                Ok(r) => r,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            };
            if !loss.is_finite() {
                failure = Some(TrainError::NonFinite {
                    epoch,
                    batch: b + 1,
                    value: loss,
                });
                break;
            }
            loss_sum += loss * idx.len() as f64;
            correct += right;
            progress(b + 1, n_batches, loss);
        }
        self.order = order;
        let parallel_batches = (policy.counts().0 - parallel_before) as usize;
        self.policy = Some(policy);
        if let Some(e) = failure {
            return Err(e);
        }
        self.check_finite(epoch)?;
        let batches_done = n_batches.max(1) as f64;
        Ok(EpochReport {
            epoch,
            train_loss: loss_sum / data.n as f64,
            train_accuracy: self.classifies().then(|| correct as f64 / data.n as f64),
            test_loss: None,
            test_accuracy: None,
            epoch_seconds: started.elapsed().as_secs_f64(),
            grad_norms: norms.iter().map(|s| s / batches_done).collect(),
            parallel_batches,
            comm: if distributed {
                self.dist.as_mut().map(distributed::State::take_report)
            } else {
                None
            },
        })
    }

    /// Every parameter must be finite at the end of an epoch.
    fn check_finite(&self, epoch: usize) -> Result<(), TrainError> {
        let mut found = None;
        let mut name = String::new();
        self.model.visit(&mut Visitor::new(&mut name, &mut |n, t| {
            if found.is_none() {
                if let Some(index) = t.data().iter().position(|v| !v.as_f64().is_finite()) {
                    found = Some(TrainError::NonFiniteParam {
                        epoch,
                        name: n.to_string(),
                        index,
                        value: t.data()[index].as_f64(),
                    });
                }
            }
        }));
        found.map_or(Ok(()), Err)
    }

    /// The number of weights (parameters named `weight` or `….weight`),
    /// each of which gets a gradient norm ([`EpochReport::grad_norms`]).
    pub fn weight_count(&self) -> usize {
        let mut n = 0;
        let mut name = String::new();
        self.model.visit(&mut Visitor::new(&mut name, &mut |p, _| {
            n += usize::from(is_weight(p));
        }));
        n
    }

    /// Whether accuracy is meaningful for the loss.
    fn classifies(&self) -> bool {
        matches!(self.opts.loss, Loss::CrossEntropy | Loss::Bce)
    }

    /// One optimiser step on rows `idx` of `data`: returns the batch's mean
    /// loss and how many rows were classified right. After the first step of
    /// a shape it allocates nothing (the tape, its buffers and every batch
    /// buffer are reused). `norms[l]` accumulates the gradient norm of the
    /// `l`-th weight ([`Trainer::weight_count`]; layer `l`'s for an [`Mlp`]).
    pub fn train_batch(
        &mut self,
        data: &Dataset,
        idx: &[usize],
        norms: &mut [f64],
    ) -> Result<(f64, usize), TrainError> {
        // On a pool thread, as in `epoch` (a no-op when already on one).
        rayon::scope(|_| {
            self.gather(data, idx);
            self.step(idx.len(), data.dim(), norms)
        })
    }

    /// One optimiser step on the gathered batch; returns (loss, correct predictions).
    fn step(
        &mut self,
        rows: usize,
        dim: usize,
        norms: &mut [f64],
    ) -> Result<(f64, usize), TrainError> {
        let x = Tensor::from_vec(std::mem::take(&mut self.x), &[rows, dim])?;
        let mut buffer = std::mem::take(&mut self.params);
        let mut name = std::mem::take(&mut self.name_buf);
        let mut batch = None;
        let outcome = (|| {
            let tape = &self.tape;
            let mut params = Params::with_buffer(tape, std::mem::take(&mut buffer));
            params.record(&self.model);
            let xv = tape.constant_owned(x);
            let targets = if self.opts.loss.is_classification() {
                tape.labels(&self.labels)
            } else {
                tape.constant_from(&self.y, &[rows, self.y.len() / rows.max(1)])?
            };
            let logits = self.model.forward(xv, &mut params)?;
            let loss = Mlp::loss(logits, targets, self.opts.loss)?;
            let loss_value = loss.value().item().expect("scalar").as_f64();
            let right = count_correct(&logits.value(), &targets.value(), self.opts.loss);
            let grads = tape.backward(loss)?;
            let mut w = 0;
            name.clear();
            self.model.visit(&mut Visitor::new(&mut name, &mut |n, p| {
                if is_weight(n) {
                    if let (Some(norm), Some(g)) = (norms.get_mut(w), params.grad(&grads, p)) {
                        *norm += sum_of_squares(g.data()).sqrt();
                    }
                    w += 1;
                }
            }));
            if loss_value.is_finite() {
                self.optim.step_module(&mut self.model, &params, &grads);
            }
            tape.recycle(grads);
            batch = Some(tape.take(xv));
            buffer = params.into_buffer();
            Ok::<_, TrainError>((loss_value, right))
        })();
        self.params = buffer;
        self.name_buf = name;
        // The batch buffer comes back for the next gather (on an error it
        // stays in the tape's pool and the next gather makes a new one).
        self.x = batch.map(Tensor::into_data).unwrap_or_default();
        self.tape.clear();
        outcome
    }

    /// The gradient of every parameter (in [`Module::visit`] order) of
    /// the loss on rows `idx` of `data`, with `observer` watching the
    /// backward sweep, and the batch's loss; the model is not updated. Run
    /// just before [`Trainer::train_batch`] on the same rows, it shows that
    /// step (the same ops on the same values, so the same numbers).
    pub fn gradients_with(
        &mut self,
        data: &Dataset,
        idx: &[usize],
        observer: &mut dyn crate::tape::BackwardObserver<T>,
    ) -> Result<(f64, Vec<Tensor<T>>), TrainError> {
        self.gather(data, idx);
        let tape = Tape::new();
        let Recorded { params, loss, .. } = self.record_named(&tape, idx.len(), data.dim())?;
        let value = loss.value().item().expect("scalar").as_f64();
        let grads = tape.backward_with(loss, observer)?;
        let out = params
            .iter()
            .map(|p| {
                grads
                    .get(*p)
                    .cloned()
                    .expect("every parameter reaches the loss")
            })
            .collect();
        Ok((value, out))
    }

    /// Records the forward pass and loss of the gathered batch (`rows` rows
    /// of `dim` features) on `tape`, with the nodes an explanation names
    /// (`X`, `y`, `logits`, `loss`) named.
    fn record_named<'t>(
        &self,
        tape: &'t Tape<T>,
        rows: usize,
        dim: usize,
    ) -> Result<Recorded<'t, T>, TrainError> {
        let mut params = Params::new(tape);
        params.record_named(&self.model);
        let x = tape.constant_from(&self.x, &[rows, dim])?.named("X");
        let targets = if self.opts.loss.is_classification() {
            tape.labels(&self.labels)
        } else {
            tape.constant_from(&self.y, &[rows, self.y.len() / rows.max(1)])?
        }
        .named("y");
        let logits = self.model.forward(x, &mut params)?.named("logits");
        let loss = Mlp::loss(logits, targets, self.opts.loss)?.named("loss");
        Ok(Recorded {
            params: params.vars().collect(),
            x,
            targets,
            logits,
            loss,
        })
    }

    /// Loss, accuracy and confusion matrix of the current model on `data`.
    pub fn evaluate(&mut self, data: &Dataset) -> Result<Evaluation, TrainError> {
        evaluate(
            &self.model,
            data,
            self.opts.loss,
            self.standardizer.as_ref(),
            self.opts.batch_size.max(256),
        )
    }
}

/// Correct predictions in a batch: arg-max against the label (cross-entropy),
/// or `logit > 0` against `target > 0.5` (BCE); 0 for MSE.
fn count_correct<T: Float>(logits: &Tensor<T>, targets: &Tensor<T>, loss: Loss) -> usize {
    let classes = logits.dims().get(1).copied().unwrap_or(1);
    count_correct_in(logits.data(), classes, targets.data(), loss)
}

/// [`count_correct`] on the data of logits `[rows, classes]` and targets.
fn count_correct_in<T: Float>(logits: &[T], classes: usize, targets: &[T], loss: Loss) -> usize {
    match loss {
        Loss::CrossEntropy => logits
            .chunks(classes)
            .zip(targets)
            .filter(|(row, &label)| argmax(row) as f64 == label.as_f64())
            .count(),
        Loss::Bce => logits
            .iter()
            .zip(targets)
            .filter(|(&z, &t)| (z > T::zero()) == (t.as_f64() > 0.5))
            .count(),
        Loss::Mse => 0,
    }
}

/// The first index of the largest element.
pub fn argmax<T: Float>(row: &[T]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = i;
        }
    }
    best
}

/// Loss, accuracy and (for cross-entropy) the confusion matrix of `model` on
/// `data`, in inference mode, in batches of `batch`. The confusion matrix is
/// as wide as the model's output.
pub fn evaluate<T: Float, M: Module<T> + ?Sized>(
    model: &M,
    data: &Dataset,
    loss: Loss,
    standardizer: Option<&Standardizer>,
    batch: usize,
) -> Result<Evaluation, TrainError> {
    let sums = evaluate_sums(model, data, 0..data.n, loss, standardizer, batch)?;
    Ok(sums.finish(loss, data.target_width()))
}

/// The sums an [`Evaluation`] is made of, over some rows.
pub(crate) struct EvalSums {
    pub(crate) loss_sum: f64,
    pub(crate) correct: usize,
    pub(crate) count: usize,
    pub(crate) confusion: Option<Vec<Vec<usize>>>,
}

impl EvalSums {
    /// The evaluation (without rows, a cross-entropy confusion matrix is
    /// `width` wide).
    pub(crate) fn finish(self, loss: Loss, width: usize) -> Evaluation {
        let mut confusion = self.confusion;
        if loss == Loss::CrossEntropy && confusion.is_none() {
            confusion = Some(vec![vec![0usize; width]; width]);
        }
        let n = self.count.max(1) as f64;
        Evaluation {
            loss: self.loss_sum / n,
            accuracy: matches!(loss, Loss::CrossEntropy | Loss::Bce)
                .then(|| self.correct as f64 / n),
            confusion,
        }
    }
}

/// [`evaluate`]'s sums over rows `part` of `data`.
pub(crate) fn evaluate_sums<T: Float, M: Module<T> + ?Sized>(
    model: &M,
    data: &Dataset,
    part: std::ops::Range<usize>,
    loss: Loss,
    standardizer: Option<&Standardizer>,
    batch: usize,
) -> Result<EvalSums, TrainError> {
    let dim = data.dim();
    let width = data.target_width();
    // Sized by the first batch's logits.
    let mut confusion: Option<Vec<Vec<usize>>> = None;
    let (mut loss_sum, mut correct, mut count) = (0.0, 0usize, 0usize);
    let order: Vec<usize> = part.collect();
    let (mut x, mut y, mut labels) = (Vec::new(), Vec::new(), Vec::new());
    let mut tape = Tape::<T>::new();
    for idx in batches(&order, batch) {
        x.resize(idx.len() * dim, T::zero());
        data.gather_features(idx, standardizer, &mut x);
        let xt = Tensor::from_vec(x.clone(), &[idx.len(), dim])?;
        let targets = if loss.is_classification() {
            data.gather_labels(idx, &mut labels);
            let mut t = Tensor::zeros(&[idx.len()])?;
            t.data_mut()
                .iter_mut()
                .zip(&labels)
                .for_each(|(o, &l)| *o = T::from_f64(l as f64));
            t
        } else {
            y.resize(idx.len() * width, T::zero());
            data.gather_targets(idx, &mut y);
            Tensor::from_vec(y.clone(), &[idx.len(), width])?
        };
        let (l, logits) = tape.inference(|| -> Result<_, TrainError> {
            let mut params = Params::new(&tape);
            params.record(model);
            let logits = model.forward(tape.constant(&xt), &mut params)?;
            let l = Mlp::loss(logits, tape.constant(&targets), loss)?;
            let value = l.value().item().expect("scalar").as_f64();
            Ok((value, logits.to_tensor()))
        })?;
        loss_sum += l * idx.len() as f64;
        correct += count_correct(&logits, &targets, loss);
        count += idx.len();
        if loss == Loss::CrossEntropy {
            let classes = logits.dims().get(1).copied().unwrap_or(1);
            let conf = confusion.get_or_insert_with(|| vec![vec![0usize; classes]; classes]);
            for (row, &label) in logits.data().chunks(classes).zip(&labels) {
                conf[label][argmax(row)] += 1;
            }
        }
        tape.clear();
    }
    Ok(EvalSums {
        loss_sum,
        correct,
        count,
        confusion,
    })
}

/// Whether a parameter name is a weight's (`weight` or `….weight`).
fn is_weight(name: &str) -> bool {
    name == "weight" || name.ends_with(".weight")
}

/// `Σ xᵢ²` in f64, over eight independent partial sums so that the loop
/// vectorises (a single running sum would serialise every addition).
fn sum_of_squares<T: Float>(x: &[T]) -> f64 {
    let mut acc = [0f64; 8];
    let chunks = x.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            let v = v.as_f64();
            *a += v * v;
        }
    }
    let tail: f64 = rest.iter().map(|&v| v.as_f64() * v.as_f64()).sum();
    acc.iter().sum::<f64>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nan_bias_hidden_by_relu_stops_the_epoch() {
        use crate::data::LoadOptions;
        use crate::nn::{Activation, Init};
        use crate::optim::{OptimConfig, OptimKind};
        let data = Dataset::load("xor", &LoadOptions::default()).unwrap();
        let mut mlp = Mlp::<f64>::new(&[2, 4, 2], Activation::Relu, true, Init::Torch, 0).unwrap();
        // ReLU turns NaN into 0 and passes no gradient back: the loss stays finite.
        mlp.layers[0].bias.as_mut().unwrap().data_mut()[2] = f64::NAN;
        let optim = Optimizer::new(OptimConfig::new(OptimKind::Sgd, 0.1));
        let opts = LoopOptions {
            loss: Loss::CrossEntropy,
            batch_size: 32,
            shuffle: false,
            seed: 0,
        };
        let mut trainer = Trainer::new(mlp, optim, opts, None);
        match trainer.epoch(&data, 1, &mut |_, _, loss| assert!(loss.is_finite())) {
            Err(TrainError::NonFiniteParam {
                epoch: 1,
                name,
                index: 2,
                value,
            }) => {
                assert_eq!(name, "0.bias");
                assert!(value.is_nan());
            }
            other => panic!("expected a non-finite parameter, got {other:?}"),
        }
    }

    /// A user's module trains through the same loop; an MLP and its
    /// `Sequential` train to the same bits.
    #[test]
    fn any_module_trains_and_a_sequential_matches_its_mlp() {
        use crate::data::LoadOptions;
        use crate::nn::{Activation, Init, Sequential};
        use crate::optim::{OptimConfig, OptimKind};
        let data = Dataset::load("moons", &LoadOptions::default()).unwrap();
        let opts = LoopOptions {
            loss: Loss::CrossEntropy,
            batch_size: 32,
            shuffle: true,
            seed: 1,
        };
        let mlp = Mlp::<f64>::new(&[2, 8, 2], Activation::Tanh, true, Init::Torch, 0).unwrap();
        let optim = || Optimizer::new(OptimConfig::new(OptimKind::Adam, 0.02));
        let mut a = Trainer::new(mlp.clone(), optim(), opts.clone(), None);
        let mut b = Trainer::new(Sequential::from(mlp), optim(), opts, None);
        assert_eq!(b.weight_count(), 2);
        let mut first = None;
        for epoch in 1..=5 {
            let ra = a.epoch(&data, epoch, &mut |_, _, _| {}).unwrap();
            let rb = b.epoch(&data, epoch, &mut |_, _, _| {}).unwrap();
            assert_eq!(ra.train_loss.to_bits(), rb.train_loss.to_bits());
            assert_eq!(ra.grad_norms, rb.grad_norms);
            first.get_or_insert(rb.train_loss);
        }
        assert_eq!(a.model.named_params(), b.model.named_parameters());
        let eval = b.evaluate(&data).unwrap();
        assert_eq!(eval, a.evaluate(&data).unwrap());
        assert!(eval.loss < first.unwrap(), "{} vs {first:?}", eval.loss);
        assert!(eval.accuracy.unwrap() > 0.8, "{eval:?}");
    }

    /// The replayed step of any module is its tape step, bit for bit.
    #[test]
    fn a_sequential_replays_its_tape_step() {
        use crate::data::LoadOptions;
        use crate::nn::{Activation, Init, Sequential};
        use crate::optim::{OptimConfig, OptimKind};
        let data = Dataset::load("circles", &LoadOptions::default()).unwrap();
        let opts = LoopOptions {
            loss: Loss::CrossEntropy,
            batch_size: 16,
            shuffle: false,
            seed: 0,
        };
        let net = || {
            let mlp = Mlp::<f32>::new(&[2, 6, 6, 2], Activation::Relu, true, Init::Torch, 3);
            Sequential::from(mlp.unwrap())
        };
        let optim = || Optimizer::new(OptimConfig::new(OptimKind::Momentum, 0.05));
        let mut taped = Trainer::new(net(), optim(), opts.clone(), None);
        let mut replayed = Trainer::new(net(), optim(), opts, None);
        let mut norms = vec![0.0; 3];
        for b in 0..4 {
            let idx: Vec<usize> = (b * 16..(b + 1) * 16).collect();
            let (a, _) = taped.train_batch(&data, &idx, &mut norms).unwrap();
            let r = replayed.replayed_step(&data, &idx).unwrap();
            assert_eq!(a.to_bits(), r.to_bits(), "batch {b}");
        }
        assert_eq!(
            taped.model.named_parameters(),
            replayed.model.named_parameters()
        );
        assert_eq!(
            replayed.evaluate_replayed(&data).unwrap(),
            taped.evaluate(&data).unwrap()
        );
    }
}
