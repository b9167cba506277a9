//! The trainer's steps for a caller that steps one batch at a time and wants
//! the least work per step (the playground): a step compiled once per batch
//! size and replayed ([`Replay`]), its gradients kept, and an evaluation by
//! replay. They compute what [`Trainer::train_batch`],
//! [`Trainer::gradients_with`] and [`Trainer::evaluate`] compute: the same
//! kernels on the same values, so the same bits (the playground's tests check
//! it).

use super::{count_correct_in, Evaluation, TrainError, Trainer};
use crate::data::{batches, Dataset};
use crate::float::Float;
use crate::nn::{Loss, Module, Visitor, VisitorMut};
use crate::tape::{NodeId, Replay, Tape, Var};
use crate::tensor::Tensor;

/// The most batch sizes a trainer keeps a compiled step for (the oldest is
/// dropped beyond it).
const MAX_COMPILED: usize = 8;

/// The replayed steps of a trainer.
pub(super) struct Replays<T: Float> {
    /// One compiled step per batch size used, the oldest first.
    compiled: Vec<Compiled<T>>,
    /// The last replayed step's gradients, one per parameter (in
    /// [`Module::visit`] order), also handed to the optimiser.
    grads: Vec<Tensor<T>>,
}

impl<T: Float> Default for Replays<T> {
    fn default() -> Self {
        Replays {
            compiled: Vec::new(),
            grads: Vec::new(),
        }
    }
}

/// The training step for one batch size, compiled: its replay and where its
/// leaves and logits are on the trainer's tape.
struct Compiled<T: Float> {
    rows: usize,
    replay: Replay<T>,
    /// Parameter leaves, in [`Module::visit`] order.
    params: Vec<NodeId>,
    x: NodeId,
    targets: NodeId,
    logits: NodeId,
}

impl<T: Float, M: Module<T> + Send> Trainer<T, M> {
    /// One optimiser step on rows `idx` of `data`, the step of
    /// [`Trainer::train_batch`] (the same bits) replayed: recorded and
    /// compiled once per batch size ([`Replay`]), then run on preallocated
    /// buffers on this thread. Returns the batch's mean loss (gradient norms
    /// and correct predictions are not counted); the step's gradients, taken
    /// before its update, are then [`Trainer::replayed_gradients`]. A
    /// non-finite loss leaves the model as it was.
    ///
    /// Any module steps this way: [`Replay`] runs every op the tape records.
    pub fn replayed_step(&mut self, data: &Dataset, idx: &[usize]) -> Result<f64, TrainError> {
        self.gather_numbers(data, idx);
        let k = self.compiled(idx.len(), data.dim())?;
        let r = &mut self.replays;
        let c = &mut r.compiled[k];
        load(c, &self.tape, &self.model, &self.x, &self.y)?;
        let loss = c.replay.run()?.as_f64();
        if r.grads.is_empty() {
            r.grads = self
                .model
                .named_parameters()
                .into_iter()
                .map(|(_, p)| p)
                .collect();
        }
        for (g, &id) in r.grads.iter_mut().zip(&c.params) {
            g.data_mut()
                .copy_from_slice(c.replay.grad(Var::new(&self.tape, id))?);
        }
        if loss.is_finite() {
            let optim = &mut self.optim;
            optim.begin_step(r.grads.len());
            let mut i = 0;
            self.model.visit_mut(&mut VisitorMut::unnamed(&mut |_, p| {
                if let Some(g) = r.grads.get(i) {
                    optim.update(i, p, g);
                }
                i += 1;
            }));
        }
        Ok(loss)
    }

    /// The gradients of the last [`Trainer::replayed_step`], taken before
    /// its update, in [`Module::visit`] order (empty before the first).
    pub fn replayed_gradients(&self) -> &[Tensor<T>] {
        &self.replays.grads
    }

    /// [`Trainer::evaluate`]'s figures (the same bits: the same batches, in
    /// order, through the same kernels), from the replayed forward pass of
    /// each batch size.
    pub fn evaluate_replayed(&mut self, data: &Dataset) -> Result<Evaluation, TrainError> {
        let loss_kind = self.opts.loss;
        // Sized by the first batch's logits, as `evaluate` does.
        let mut confusion: Option<Vec<Vec<usize>>> = None;
        let (mut loss_sum, mut correct, mut count) = (0.0, 0usize, 0usize);
        let mut order = std::mem::take(&mut self.order);
        order.clear();
        order.extend(0..data.n);
        let outcome = (|| {
            for idx in batches(&order, self.opts.batch_size.max(256)) {
                self.gather_numbers(data, idx);
                let k = self.compiled(idx.len(), data.dim())?;
                let c = &mut self.replays.compiled[k];
                load(c, &self.tape, &self.model, &self.x, &self.y)?;
                let l = c.replay.forward()?.as_f64();
                let logits = c.replay.value(Var::new(&self.tape, c.logits))?;
                let targets = c.replay.value(Var::new(&self.tape, c.targets))?;
                let classes = (logits.len() / idx.len().max(1)).max(1);
                loss_sum += l * idx.len() as f64;
                correct += count_correct_in(logits, classes, targets, loss_kind);
                count += idx.len();
                if loss_kind == Loss::CrossEntropy {
                    let conf =
                        confusion.get_or_insert_with(|| vec![vec![0usize; classes]; classes]);
                    for (row, &label) in logits.chunks(classes).zip(&self.labels) {
                        conf[label][super::argmax(row)] += 1;
                    }
                }
            }
            Ok::<_, TrainError>(())
        })();
        self.order = order;
        outcome?;
        if loss_kind == Loss::CrossEntropy && confusion.is_none() {
            let width = data.target_width();
            confusion = Some(vec![vec![0usize; width]; width]);
        }
        let n = count.max(1) as f64;
        Ok(Evaluation {
            loss: loss_sum / n,
            accuracy: matches!(loss_kind, Loss::CrossEntropy | Loss::Bce)
                .then(|| correct as f64 / n),
            confusion,
        })
    }

    /// [`Trainer::gather`], with class labels also as numbers in `self.y`
    /// (the values of the targets' leaf).
    fn gather_numbers(&mut self, data: &Dataset, idx: &[usize]) {
        self.gather(data, idx);
        if self.opts.loss.is_classification() {
            self.y.clear();
            self.y
                .extend(self.labels.iter().map(|&l| T::from_f64(l as f64)));
        }
    }

    /// The index in `self.replays` of the step compiled for batches of
    /// `rows` (the batch gathered), compiling it if needed.
    fn compiled(&mut self, rows: usize, dim: usize) -> Result<usize, TrainError> {
        let compiled = &self.replays.compiled;
        if let Some(k) = compiled.iter().position(|c| c.rows == rows) {
            return Ok(k);
        }
        let made = (|| {
            let tape = &self.tape;
            let r = self.record_named(tape, rows, dim)?;
            let replay = Replay::compile(tape, r.loss)?;
            Ok::<_, TrainError>(Compiled {
                rows,
                replay,
                params: r.params.iter().map(Var::id).collect(),
                x: r.x.id(),
                targets: r.targets.id(),
                logits: r.logits.id(),
            })
        })();
        self.tape.clear();
        let compiled = &mut self.replays.compiled;
        if compiled.len() >= MAX_COMPILED {
            compiled.remove(0);
        }
        compiled.push(made?);
        Ok(compiled.len() - 1)
    }
}

/// Sets a compiled step's leaves: the model's parameters, the gathered
/// features `x`, and the targets (the gathered labels, already as numbers
/// in `y`, or the target values).
fn load<T: Float, M: Module<T> + ?Sized>(
    c: &mut Compiled<T>,
    tape: &Tape<T>,
    model: &M,
    x: &[T],
    y: &[T],
) -> Result<(), TrainError> {
    let mut failed = None;
    let mut k = 0;
    model.visit(&mut Visitor::unnamed(&mut |_, p| {
        if let (None, Some(&id)) = (&failed, c.params.get(k)) {
            failed = c.replay.set(Var::new(tape, id), p.data()).err();
        }
        k += 1;
    }));
    if let Some(e) = failed {
        return Err(e.into());
    }
    c.replay.set(Var::new(tape, c.x), x)?;
    c.replay.set(Var::new(tape, c.targets), y)?;
    Ok(())
}
