//! Data-parallel training, as PyTorch's `DistributedDataParallel` defines
//! it, over any communication layer that implements [`Collective`] (MPI
//! with the `mpi` feature: [`crate::train::mpi`]).
//!
//! Every rank holds the same model and draws the same global shuffle. Each
//! global batch of `B` rows is cut into `N` contiguous shards, as equal as
//! possible ([`shard`]); each rank runs forward and backward on its own.
//! Rank `r`'s gradient, the mean over its `b_r` rows, is weighted by
//! `b_r / B` and the weighted gradients are summed over the ranks:
//!
//! `Σ_r (b_r/B)·(1/b_r)·Σ_{i∈r} ∇ℓᵢ = (1/B)·Σ_i ∇ℓᵢ`, the full batch's mean gradient.
//!
//! Every rank then takes the same optimiser step. Only the order of the
//! sums differs from one process, so the weights agree with it to rounding.
//!
//! **Overlap.** The gradients go into one flat buffer, cut into buckets
//! ([`Buckets`]) in the order the backward sweep finishes them (last layer
//! first). Parameters are put on the tape just before their layer uses them,
//! so a parameter leaf is visited, with its final gradient, as soon as the
//! sweep is past its layer; when a bucket's last parameter arrives, its sum
//! starts ([`BucketSink::start`]) while the sweep goes on, and the sweep lets
//! started sums progress ([`BucketSink::poll`]) between nodes.
//!
//! **No rank parts ways.** Every decision that could differ between ranks is
//! taken from summed values: the loss that stops training when it is not
//! finite, and which parameters received a gradient at all. The initial
//! weights, the data and the weights after every epoch are compared with
//! rank 0's by checksum ([`check_same`]), and a mismatch is an error on every
//! rank.

use std::ops::Range;
use std::time::Instant;

use sha2::{Digest, Sha256};

use super::{count_correct, is_weight, sum_of_squares, TrainError, Trainer};
use crate::data::Dataset;
use crate::float::Float;
use crate::nn::{Mlp, Module, Params, Visitor};
use crate::tape::{BackwardStep, NodeId};
use crate::tensor::Tensor;

/// What can go wrong between ranks.
#[derive(Debug, thiserror::Error)]
pub enum DistError {
    /// A value that every rank must share differs from rank 0's.
    #[error("rank {ranks}: {what} differ from rank 0's; every rank must run the same build with the same flags and data")]
    Mismatch {
        /// What was compared, e.g. "the initial weights".
        what: String,
        /// The ranks that differ, e.g. `1, 3`.
        ranks: String,
    },
    /// The communication layer failed.
    #[error("{0}")]
    Comm(String),
}

/// The collective operations data-parallel training needs.
///
/// Every rank calls the same operations in the same order (MPI's rule for
/// collectives). Implementations: [`Solo`] (one process), the MPI world
/// (`mpi` feature).
pub trait Collective<T: Float>: Send {
    /// This process's rank, `0..size`.
    fn rank(&self) -> usize;
    /// The number of ranks.
    fn size(&self) -> usize;
    /// Sums `buf` element-wise over the ranks, in place.
    fn sum_f64(&mut self, buf: &mut [f64]) -> Result<(), DistError>;
    /// Replaces `buf` with rank 0's.
    fn broadcast_u64(&mut self, buf: &mut [u64]) -> Result<(), DistError>;
    /// Runs `work`, which fills `send` bucket by bucket (`buckets` are
    /// ranges of `send`, in ascending order) and starts each bucket's sum
    /// through the [`BucketSink`] it is given; returns once every bucket's
    /// sum over the ranks is in the same range of `out`. A bucket that `work`
    /// did not start is started (as it stands) when `work` returns.
    fn sum_buckets(
        &mut self,
        send: &mut [T],
        out: &mut [T],
        buckets: &[Range<usize>],
        work: &mut dyn FnMut(&mut dyn BucketSink<T>),
    ) -> Result<(), DistError>;
}

/// The buckets of one [`Collective::sum_buckets`] call, as `work` sees them.
pub trait BucketSink<T> {
    /// Bucket `b`'s part of the send buffer, to fill.
    ///
    /// # Panics
    /// If bucket `b` was started already.
    fn fill(&mut self, b: usize) -> &mut [T];
    /// Starts summing bucket `b` over the ranks (it must be filled).
    fn start(&mut self, b: usize);
    /// Lets the started sums progress (a communication layer may make no
    /// progress in the background).
    fn poll(&mut self);
}

/// One process: every sum is the value itself.
#[derive(Clone, Copy, Debug, Default)]
pub struct Solo;

impl<T: Float> Collective<T> for Solo {
    fn rank(&self) -> usize {
        0
    }
    fn size(&self) -> usize {
        1
    }
    fn sum_f64(&mut self, _: &mut [f64]) -> Result<(), DistError> {
        Ok(())
    }
    fn broadcast_u64(&mut self, _: &mut [u64]) -> Result<(), DistError> {
        Ok(())
    }
    fn sum_buckets(
        &mut self,
        send: &mut [T],
        out: &mut [T],
        buckets: &[Range<usize>],
        work: &mut dyn FnMut(&mut dyn BucketSink<T>),
    ) -> Result<(), DistError> {
        let mut sink = Copying {
            send,
            out,
            buckets,
            started: vec![false; buckets.len()],
        };
        work(&mut sink);
        for b in 0..buckets.len() {
            if !sink.started[b] {
                sink.start(b);
            }
        }
        Ok(())
    }
}

/// [`Solo`]'s sink: a started bucket is copied to the output.
struct Copying<'a, T> {
    send: &'a mut [T],
    out: &'a mut [T],
    buckets: &'a [Range<usize>],
    started: Vec<bool>,
}

impl<T: Float> BucketSink<T> for Copying<'_, T> {
    fn fill(&mut self, b: usize) -> &mut [T] {
        assert!(!self.started[b], "bucket {b} was started already");
        &mut self.send[self.buckets[b].clone()]
    }
    fn start(&mut self, b: usize) {
        let r = self.buckets[b].clone();
        self.out[r.clone()].copy_from_slice(&self.send[r]);
        self.started[b] = true;
    }
    fn poll(&mut self) {}
}

/// Rank `rank`'s shard of a batch of `rows` rows cut into `size` contiguous
/// shards, as equal as possible: the first `rows mod size` shards have one
/// row more. A shard may be empty (fewer rows than ranks).
///
/// ```
/// use backprop::train::distributed::shard;
/// assert_eq!([0, 1, 2].map(|r| shard(10, 3, r)), [0..4, 4..7, 7..10]);
/// assert_eq!(shard(1, 2, 1), 1..1);
/// ```
pub fn shard(rows: usize, size: usize, rank: usize) -> Range<usize> {
    let (q, extra) = (rows / size, rows % size);
    let start = rank * q + rank.min(extra);
    start..start + q + usize::from(rank < extra)
}

/// Where each parameter's gradient lies in the flat buffer, and the buckets.
///
/// Parameters are numbered in [`Module::visit`] order; the flat buffer holds
/// them in reverse (the order in which the backward sweep finishes them),
/// so that each bucket is one range.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// Parameter `k`'s range in the flat buffer.
    pub ranges: Vec<Range<usize>>,
    /// Parameter `k`'s bucket.
    pub bucket_of: Vec<usize>,
    /// The buckets' ranges, ascending.
    pub buckets: Vec<Range<usize>>,
    /// The flat buffer's length.
    pub len: usize,
}

/// The default most bytes of a bucket (one parameter larger than this is a
/// bucket of its own): 256 KiB, which cuts the MNIST network 784-256-128-10
/// into two buckets in f32 (four in f64). PyTorch's DistributedDataParallel
/// uses 25 MiB for networks a hundred times larger.
pub const DEFAULT_BUCKET_BYTES: usize = 256 << 10;

impl Layout {
    /// The layout of parameters of `sizes` elements (in visiting order) of
    /// `elem` bytes each, in buckets of at most `cap` bytes: a bucket closes
    /// before the parameter that would take it past `cap`.
    pub fn new(sizes: &[usize], elem: usize, cap: usize) -> Layout {
        let n = sizes.len();
        let (mut ranges, mut bucket_of) = (vec![0..0; n], vec![0; n]);
        let mut buckets: Vec<Range<usize>> = Vec::new();
        let mut at = 0;
        for k in (0..n).rev() {
            let open = buckets.last().filter(|b| {
                let bytes = (b.end - b.start + sizes[k]) * elem;
                !b.is_empty() && bytes <= cap
            });
            if open.is_none() {
                buckets.push(at..at);
            }
            let b = buckets.len() - 1;
            ranges[k] = at..at + sizes[k];
            at += sizes[k];
            buckets[b].end = at;
            bucket_of[k] = b;
        }
        Layout {
            ranges,
            bucket_of,
            buckets,
            len: at,
        }
    }

    /// The layout of `model`'s parameters.
    pub fn of<T: Float, M: Module<T> + ?Sized>(model: &M, cap: usize) -> Layout {
        let mut sizes = Vec::new();
        model.visit(&mut Visitor::unnamed(&mut |_, t| {
            sizes.push(t.data().len())
        }));
        Layout::new(&sizes, std::mem::size_of::<T>(), cap)
    }

    /// The parameters in bucket `b`.
    pub fn params_in(&self, b: usize) -> usize {
        self.bucket_of.iter().filter(|&&x| x == b).count()
    }
}

/// A checksum of `model`'s parameters: the first 8 bytes of the SHA-256 of
/// their names, shapes and values (little-endian), in visiting order.
pub fn checksum<T: Float, M: Module<T> + ?Sized>(model: &M) -> u64 {
    let mut h = Sha256::new();
    let mut name = String::new();
    model.visit(&mut Visitor::new(&mut name, &mut |n, t: &Tensor<T>| {
        h.update(n.as_bytes());
        for &d in t.dims() {
            h.update((d as u64).to_le_bytes());
        }
        for &v in t.data() {
            h.update(v.as_f64().to_le_bytes());
        }
    }));
    let digest = h.finalize();
    u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"))
}

/// The first 8 bytes of a hex digest (such as [`crate::data::fingerprint`])
/// as a number, to compare across ranks.
pub fn hex_prefix(hex: &str) -> u64 {
    u64::from_str_radix(hex.get(..16).unwrap_or(hex), 16).unwrap_or(0)
}

/// Compares this rank's `value` with rank 0's; a difference on any rank is
/// a [`DistError::Mismatch`] on every rank (naming the ranks that differ),
/// so that all of them stop together.
pub fn check_same<T: Float>(
    comm: &mut dyn Collective<T>,
    what: &str,
    value: u64,
) -> Result<(), DistError> {
    let mut theirs = [value];
    comm.broadcast_u64(&mut theirs)?;
    let mut differs = vec![0.0; comm.size()];
    differs[comm.rank()] = f64::from(u8::from(theirs[0] != value));
    comm.sum_f64(&mut differs)?;
    let ranks: Vec<String> = (0..differs.len())
        .filter(|&r| differs[r] != 0.0)
        .map(|r| r.to_string())
        .collect();
    if ranks.is_empty() {
        Ok(())
    } else {
        Err(DistError::Mismatch {
            what: what.to_string(),
            ranks: ranks.join(", "),
        })
    }
}

/// A trainer's data-parallel buffers, made at its first distributed step
/// and reused (a steady-state step allocates nothing).
pub(super) struct State<T: Float> {
    layout: Layout,
    send: Vec<T>,
    out: Vec<T>,
    /// The summed gradient of each parameter (visiting order).
    grads: Vec<Tensor<T>>,
    /// This step's parameter leaves: (node, visiting position).
    leaves: Vec<(NodeId, usize)>,
    /// Parameters still to arrive, per bucket.
    remaining: Vec<usize>,
    /// Whether parameter `k` received a gradient on this rank.
    got: Vec<bool>,
    /// The step's sums: loss × rows, correct rows, then one per parameter
    /// (1 where it received a gradient).
    sums: Vec<f64>,
    /// Steps and seconds waited on communication since the last report.
    steps: usize,
    wait: f64,
}

impl<T: Float> State<T> {
    fn new<M: Module<T> + ?Sized>(model: &M) -> Result<Self, TrainError> {
        let layout = Layout::of(model, DEFAULT_BUCKET_BYTES);
        let mut grads = Vec::new();
        let mut err = None;
        model.visit(&mut Visitor::unnamed(
            &mut |_, t| match Tensor::zeros(t.dims()) {
                Ok(z) => grads.push(z),
                Err(e) => err = Some(e),
            },
        ));
        if let Some(e) = err {
            return Err(e.into());
        }
        let n = grads.len();
        Ok(State {
            send: vec![T::zero(); layout.len],
            out: vec![T::zero(); layout.len],
            grads,
            leaves: Vec::with_capacity(n),
            remaining: Vec::with_capacity(layout.buckets.len()),
            got: vec![false; n],
            sums: Vec::with_capacity(n + 2),
            steps: 0,
            wait: 0.0,
            layout,
        })
    }

    /// The communication figures since the last call, and a fresh count.
    pub(super) fn take_report(&mut self) -> super::CommReport {
        let report = super::CommReport {
            steps: self.steps,
            wait_seconds: self.wait,
            gradient_bytes: self.layout.len * std::mem::size_of::<T>(),
            buckets: self.layout.buckets.len(),
        };
        (self.steps, self.wait) = (0, 0.0);
        report
    }
}

impl<T: Float, M: Module<T> + Send> Trainer<T, M> {
    /// One data-parallel step on the global batch `idx`: forward and
    /// backward on this rank's shard, the gradients summed over the ranks
    /// bucket by bucket while the sweep goes on, then the optimiser step
    /// every rank takes alike. Returns the whole batch's mean loss and
    /// correct rows (summed over the ranks).
    pub(super) fn step_distributed(
        &mut self,
        data: &Dataset,
        idx: &[usize],
        comm: &mut dyn Collective<T>,
        norms: &mut [f64],
    ) -> Result<(f64, usize), TrainError> {
        let mine = &idx[shard(idx.len(), comm.size(), comm.rank())];
        let rows = mine.len();
        let mut st = match self.dist.take() {
            Some(st) => st,
            None => State::new(&self.model)?,
        };
        // This rank's share of the mean: (b_r/B)·(1/b_r)·Σ = (1/B)·Σ.
        let scale = T::from_f64(rows as f64 / idx.len().max(1) as f64);
        let mut x = None;
        if rows > 0 {
            rayon::scope(|_| self.gather(data, mine));
            let dim = data.dim();
            x = Some(Tensor::from_vec(std::mem::take(&mut self.x), &[rows, dim])?);
        }
        let State {
            layout,
            send,
            out,
            leaves,
            remaining,
            got,
            ..
        } = &mut st;
        remaining.clear();
        remaining.extend((0..layout.buckets.len()).map(|b| layout.params_in(b)));
        got.fill(false);
        let (tape, model, loss_kind) = (&self.tape, &self.model, self.opts.loss);
        let (labels, y) = (&self.labels, &self.y);
        let (mut local, mut failure, mut batch) = ((0.0, 0usize), None, None);
        let mut swept = None;
        comm.sum_buckets(send, out, &layout.buckets, &mut |sink| {
            if let Some(x) = x.take() {
                let step = (|| -> Result<(), TrainError> {
                    // Parameters go on the tape as their layer asks for
                    // them, so the sweep visits each one as soon as it is
                    // past that layer (a parameter first recorded would be
                    // final only at the end of the sweep).
                    let mut params = Params::new(tape);
                    let xv = tape.constant_owned(x);
                    let targets = if loss_kind.is_classification() {
                        tape.labels(labels)
                    } else {
                        tape.constant_from(y, &[rows, y.len() / rows])?
                    };
                    let logits = model.forward(xv, &mut params)?;
                    let loss = Mlp::loss(logits, targets, loss_kind)?;
                    let value = loss.value().item().expect("scalar").as_f64();
                    let right = count_correct(&logits.value(), &targets.value(), loss_kind);
                    local = (value * rows as f64, right);
                    leaves.clear();
                    let mut k = 0;
                    model.visit(&mut Visitor::unnamed(&mut |_, t| {
                        if let Some(v) = params.get(t) {
                            leaves.push((v.id(), k));
                        }
                        k += 1;
                    }));
                    let grads = tape.backward_with(loss, &mut |step: &BackwardStep<'_, T>| {
                        if step.node.is_leaf() {
                            if let Some(&(_, k)) = leaves.iter().find(|(id, _)| *id == step.id) {
                                let b = layout.bucket_of[k];
                                let at = layout.ranges[k].start - layout.buckets[b].start;
                                let dst = &mut sink.fill(b)[at..at + layout.ranges[k].len()];
                                for (d, &g) in dst.iter_mut().zip(step.upstream.data()) {
                                    *d = g * scale;
                                }
                                got[k] = true;
                                remaining[b] -= 1;
                                if remaining[b] == 0 {
                                    sink.start(b);
                                }
                            }
                        }
                        sink.poll();
                    })?;
                    tape.recycle(grads);
                    batch = Some(tape.take(xv));
                    Ok(())
                })();
                failure = step.err();
            }
            // What did not arrive (an empty shard, a parameter the loss does
            // not reach) sends zeros.
            for (k, _) in got.iter().enumerate().filter(|(_, &g)| !g) {
                let b = layout.bucket_of[k];
                let at = layout.ranges[k].start - layout.buckets[b].start;
                sink.fill(b)[at..at + layout.ranges[k].len()].fill(T::zero());
                remaining[b] -= 1;
                if remaining[b] == 0 {
                    sink.start(b);
                }
            }
            swept = Some(Instant::now());
        })?;
        let waited = swept.map_or(0.0, |t| t.elapsed().as_secs_f64());
        self.x = batch.map(Tensor::into_data).unwrap_or_default();
        self.tape.clear();
        st.sums.clear();
        st.sums.extend([local.0, local.1 as f64]);
        st.sums
            .extend(st.got.iter().map(|&g| f64::from(u8::from(g))));
        let summed = Instant::now();
        let sum = comm.sum_f64(&mut st.sums);
        st.wait += waited + summed.elapsed().as_secs_f64();
        st.steps += 1;
        let outcome = match sum {
            Ok(()) => self.finish_distributed(&mut st, idx.len(), norms, failure),
            Err(e) => Err(e.into()),
        };
        self.dist = Some(st);
        outcome
    }

    /// From the step's loss, correct rows and which parameters have a
    /// gradient, summed over the ranks: the optimiser step (unless the loss
    /// is not finite: every rank then stops alike).
    fn finish_distributed(
        &mut self,
        st: &mut State<T>,
        batch: usize,
        norms: &mut [f64],
        failure: Option<TrainError>,
    ) -> Result<(f64, usize), TrainError> {
        if let Some(e) = failure {
            return Err(e);
        }
        let loss = st.sums[0] / batch as f64;
        let right = st.sums[1] as usize;
        for (k, g) in st.grads.iter_mut().enumerate() {
            g.data_mut()
                .copy_from_slice(&st.out[st.layout.ranges[k].clone()]);
        }
        let reached = |k: usize| st.sums[2 + k] > 0.0;
        let (mut k, mut w) = (0, 0);
        let mut name = std::mem::take(&mut self.name_buf);
        name.clear();
        self.model.visit(&mut Visitor::new(&mut name, &mut |n, _| {
            if is_weight(n) {
                if let (Some(norm), true) = (norms.get_mut(w), reached(k)) {
                    *norm += sum_of_squares(st.grads[k].data()).sqrt();
                }
                w += 1;
            }
            k += 1;
        }));
        self.name_buf = name;
        if loss.is_finite() {
            let grads = &st.grads;
            self.optim
                .step_module_by(&mut self.model, |k, _| reached(k).then(|| &grads[k]));
        }
        Ok((loss, right))
    }

    /// [`Trainer::evaluate`] as one rank of data-parallel training: each
    /// rank evaluates a contiguous shard of `data`, and the sums (loss,
    /// correct rows, confusion counts) are summed over the ranks, so every
    /// rank returns the evaluation of the whole set.
    pub fn evaluate_distributed(
        &mut self,
        data: &Dataset,
        comm: &mut dyn Collective<T>,
    ) -> Result<super::Evaluation, TrainError> {
        let part = shard(data.n, comm.size(), comm.rank());
        let sums = super::evaluate_sums(
            &self.model,
            data,
            part,
            self.opts.loss,
            self.standardizer.as_ref(),
            self.opts.batch_size.max(256),
        )?;
        // The confusion matrix's width: the model's output, as the ranks
        // that saw rows found it (a rank without rows reports 0).
        let mut widths = vec![0.0; comm.size()];
        widths[comm.rank()] = sums.confusion.as_ref().map_or(0, Vec::len) as f64;
        comm.sum_f64(&mut widths)?;
        let width = widths.iter().fold(0.0f64, |a, &b| a.max(b)) as usize;
        let mut flat = vec![sums.loss_sum, sums.correct as f64, sums.count as f64];
        let confusion = sums.confusion.filter(|c| c.len() == width);
        let cells = if self.opts.loss == crate::nn::Loss::CrossEntropy {
            width * width
        } else {
            0
        };
        flat.resize(3 + cells, 0.0);
        if let Some(c) = &confusion {
            for (i, row) in c.iter().enumerate() {
                for (j, &v) in row.iter().enumerate() {
                    flat[3 + i * width + j] = v as f64;
                }
            }
        }
        comm.sum_f64(&mut flat)?;
        let total = super::EvalSums {
            loss_sum: flat[0],
            correct: flat[1] as usize,
            count: flat[2] as usize,
            confusion: (cells > 0).then(|| {
                (0..width)
                    .map(|i| {
                        (0..width)
                            .map(|j| flat[3 + i * width + j] as usize)
                            .collect()
                    })
                    .collect()
            }),
        };
        Ok(total.finish(self.opts.loss, data.target_width()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_the_batch_in_order_and_differ_by_at_most_one_row() {
        for rows in 0..20 {
            for size in 1..6 {
                let parts: Vec<_> = (0..size).map(|r| shard(rows, size, r)).collect();
                assert_eq!(parts[0].start, 0);
                assert_eq!(parts[size - 1].end, rows);
                for w in parts.windows(2) {
                    assert_eq!(w[0].end, w[1].start);
                    assert!(w[0].len() == w[1].len() || w[0].len() == w[1].len() + 1);
                }
            }
        }
    }

    #[test]
    fn the_mnist_network_has_two_buckets_in_f32_last_layer_first() {
        // 0.weight, 0.bias, 1.weight, 1.bias, 2.weight, 2.bias.
        let sizes = [256 * 784, 256, 128 * 256, 128, 10 * 128, 10];
        let l = Layout::new(&sizes, 4, DEFAULT_BUCKET_BYTES);
        assert_eq!(l.buckets.len(), 2);
        assert_eq!(l.bucket_of, vec![1, 0, 0, 0, 0, 0]);
        assert_eq!(l.ranges[5], 0..10);
        assert_eq!(l.ranges[0], l.len - 256 * 784..l.len);
        assert_eq!(l.buckets[0], 0..l.len - 256 * 784);
        let f64s = Layout::new(&sizes, 8, DEFAULT_BUCKET_BYTES);
        assert_eq!(f64s.buckets.len(), 4);
        assert_eq!(f64s.bucket_of, vec![3, 2, 1, 0, 0, 0]);
        assert_eq!(f64s.params_in(0), 3);
    }

    /// A [`Solo`] that logs what the trainer asks of it.
    struct Logged(Vec<String>);

    impl<T: Float> Collective<T> for Logged {
        fn rank(&self) -> usize {
            0
        }
        fn size(&self) -> usize {
            1
        }
        fn sum_f64(&mut self, _: &mut [f64]) -> Result<(), DistError> {
            self.0.push("sum".into());
            Ok(())
        }
        fn broadcast_u64(&mut self, _: &mut [u64]) -> Result<(), DistError> {
            Ok(())
        }
        fn sum_buckets(
            &mut self,
            send: &mut [T],
            out: &mut [T],
            buckets: &[Range<usize>],
            work: &mut dyn FnMut(&mut dyn BucketSink<T>),
        ) -> Result<(), DistError> {
            let log = &mut self.0;
            let mut inner = Copying {
                send,
                out,
                buckets,
                started: vec![false; buckets.len()],
            };
            struct Sink<'a, 'b, T> {
                inner: &'a mut Copying<'b, T>,
                log: &'a mut Vec<String>,
            }
            impl<T: Float> BucketSink<T> for Sink<'_, '_, T> {
                fn fill(&mut self, b: usize) -> &mut [T] {
                    self.inner.fill(b)
                }
                fn start(&mut self, b: usize) {
                    self.log.push(format!("start {b}"));
                    self.inner.start(b);
                }
                fn poll(&mut self) {
                    self.log.push("poll".into());
                }
            }
            work(&mut Sink {
                inner: &mut inner,
                log,
            });
            log.push("backward done".into());
            Ok(())
        }
    }

    /// The first bucket's sum starts while the sweep still has nodes to
    /// visit (the backward pass overlaps it), and each bucket starts once.
    #[test]
    fn the_first_bucket_starts_before_backward_ends() {
        use crate::data::LoadOptions;
        use crate::nn::{Activation, Init, Loss};
        use crate::optim::{OptimConfig, OptimKind, Optimizer};
        use crate::train::LoopOptions;
        let data = Dataset::load("moons", &LoadOptions::default()).unwrap();
        // 2-200-200-2 in f64: layer 2 and 1.bias make bucket 0, 1.weight
        // (320 kB) bucket 1, and layer 0 bucket 2.
        let mlp =
            Mlp::<f64>::new(&[2, 200, 200, 2], Activation::Tanh, true, Init::Torch, 0).unwrap();
        let opts = LoopOptions {
            loss: Loss::CrossEntropy,
            batch_size: 50,
            shuffle: false,
            seed: 0,
        };
        let optim = Optimizer::new(OptimConfig::new(OptimKind::Sgd, 0.1));
        let mut t = Trainer::new(mlp, optim, opts, None);
        let layout = Layout::of(&t.model, DEFAULT_BUCKET_BYTES);
        assert_eq!(layout.bucket_of, [2, 2, 1, 0, 0, 0], "{layout:?}");
        let mut log = Logged(Vec::new());
        let idx: Vec<usize> = (0..50).collect();
        t.step_distributed(&data, &idx, &mut log, &mut [0.0; 3])
            .unwrap();
        let at = |what: &str| log.0.iter().position(|e| e == what).unwrap();
        let polls = |from: &str, to: &str| {
            let part = &log.0[at(from)..at(to)];
            part.iter().filter(|e| *e == "poll").count()
        };
        // After bucket 0 starts, the sweep still visits layer 1's product
        // and all of layer 0 (a poll after each node).
        assert!(polls("start 0", "backward done") >= 4, "{:?}", log.0);
        assert!(at("start 0") < at("start 1") && at("start 1") < at("start 2"));
        assert!(at("start 2") < at("backward done"));
        assert_eq!(log.0.iter().filter(|e| e.starts_with("start")).count(), 3);
    }

    /// Data-parallel training with one rank is the plain epoch, bit for bit.
    #[test]
    fn one_rank_trains_the_plain_epoch_bit_for_bit() {
        use crate::data::LoadOptions;
        use crate::nn::{Activation, Init, Loss};
        use crate::optim::{OptimConfig, OptimKind, Optimizer};
        use crate::train::LoopOptions;
        let data = Dataset::load("spirals", &LoadOptions::default()).unwrap();
        let opts = LoopOptions {
            loss: Loss::CrossEntropy,
            batch_size: 32,
            shuffle: true,
            seed: 5,
        };
        let net =
            || Mlp::<f32>::new(&[2, 16, 16, 3], Activation::Relu, true, Init::Torch, 1).unwrap();
        let optim = || Optimizer::new(OptimConfig::new(OptimKind::Adam, 0.01));
        let mut plain = Trainer::new(net(), optim(), opts.clone(), None);
        let mut dist = Trainer::new(net(), optim(), opts, None);
        for epoch in 1..=3 {
            let a = plain.epoch(&data, epoch, &mut |_, _, _| {}).unwrap();
            let b = dist
                .epoch_distributed(&data, epoch, &mut Solo, &mut |_, _, _| {})
                .unwrap();
            assert_eq!(a.grad_norms, b.grad_norms);
            assert_eq!(a.train_accuracy, b.train_accuracy);
            assert!((a.train_loss - b.train_loss).abs() < 1e-12);
        }
        assert_eq!(plain.model.named_params(), dist.model.named_params());
        let (ea, eb) = (
            plain.evaluate(&data).unwrap(),
            dist.evaluate_distributed(&data, &mut Solo).unwrap(),
        );
        assert_eq!(ea, eb);
    }

    #[test]
    fn one_process_shares_everything_with_itself() {
        let mut solo = Solo;
        check_same::<f64>(&mut solo, "the weights", 42).unwrap();
        let l = Layout::new(&[3, 2], 8, 16);
        assert_eq!(l.buckets, vec![0..2, 2..5]);
        let mut send = vec![0.0f64; l.len];
        let mut out = vec![0.0; l.len];
        Collective::<f64>::sum_buckets(&mut solo, &mut send, &mut out, &l.buckets, &mut |s| {
            s.fill(1).copy_from_slice(&[1.0, 2.0, 3.0]);
            s.start(1);
        })
        .unwrap();
        assert_eq!(out, vec![0.0, 0.0, 1.0, 2.0, 3.0]);
    }
}
