//! `backprop train`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use backprop::data::generated::{loads_as_generated, resolve_lr, train_defaults, TrainDefaults};
use backprop::data::{Dataset, LoadOptions, Standardizer, TargetKind};
use backprop::io::{self, Checkpoint, GeneratedMeta, ModelMeta, TrainState};
use backprop::nn::{Activation, Init, Loss, Mlp};
use backprop::optim::{OptimConfig, OptimKind, Optimizer};
use backprop::plot::{self, Boundary, EpochPoint};
use backprop::train::distributed::{self, Collective};
use backprop::train::{EpochReport, LoopOptions, TrainError, Trainer};
use backprop::{Float, Tensor};
use clap::{Args, ValueEnum};

use super::args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

/// Element type of training.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Dtype {
    /// 32-bit floats (PyTorch's default).
    F32,
    /// 64-bit floats.
    F64,
}

/// `backprop train`'s flags.
///
/// Clap checks what a flag's value alone decides, where it is parsed: the
/// names of `--activation`, `--loss`, `--optimizer` and `--init` (the library
/// enums' `ValueEnum`), the ranges of `--lr`, `--momentum`, `--weight-decay`,
/// `--noise`, `--test-fraction`, `--epochs`, `--checkpoint-every`,
/// `--targets` and `--threads`, and the suffix of `--plot` (the value parsers
/// of [`super::args`]), and the pairs that exclude each other
/// (`--test-data`/`--test-fraction`, `--resume`/`--init-from`). What needs
/// the data or a file (`--layers` against the data's width, a checkpoint's
/// settings) is checked once they are read.
#[derive(Args)]
pub struct TrainArgs {
    /// A CSV file (optionally gzipped), an MNIST `*-images-idx3-ubyte[.gz]` file, or xor|moons|circles|spirals|blobs.
    #[arg(long, value_name = "SPEC")]
    pub data: String,
    /// A separate test set (same forms as --data).
    #[arg(long, value_name = "SPEC", conflicts_with = "test_fraction")]
    pub test_data: Option<String>,
    /// The last ⌊F·n⌋ rows (before shuffling) are the test set.
    #[arg(
        long,
        allow_negative_numbers = true,
        value_name = "F",
        default_value_t = 0.0,
        value_parser = args::fraction
    )]
    pub test_fraction: f64,
    /// Layer sizes, input first, output last (checked against the data); default in,64,out (a generated set: its own).
    #[arg(long, value_delimiter = ',')]
    pub layers: Option<Vec<usize>>,
    /// Hidden activation [default: relu; a generated set: its own].
    #[arg(long)]
    pub activation: Option<Activation>,
    /// Layers without biases.
    #[arg(long)]
    pub no_bias: bool,
    /// The loss (it sets the output activation).
    #[arg(long, default_value = "cross-entropy")]
    pub loss: Loss,
    /// The optimiser [default: sgd; a generated set: its own].
    #[arg(long)]
    pub optimizer: Option<OptimKind>,
    /// Learning rate [default: 0.01; a generated set without --optimizer: its own].
    #[arg(long, allow_negative_numbers = true, value_parser = args::learning_rate)]
    pub lr: Option<f64>,
    /// SGD momentum (default 0.9 with --optimizer momentum).
    #[arg(long, allow_negative_numbers = true, value_parser = args::non_negative)]
    pub momentum: Option<f64>,
    /// Nesterov momentum.
    #[arg(long)]
    pub nesterov: bool,
    /// Weight decay (default 0.01 for adamw, else 0).
    #[arg(long, allow_negative_numbers = true, value_parser = args::non_negative)]
    pub weight_decay: Option<f64>,
    /// Mini-batch size, 0 for the full batch [default: 32; a generated set: its own].
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Epochs [default: 10; a generated set: its own].
    #[arg(long, value_parser = args::at_least_1::<usize>)]
    pub epochs: Option<usize>,
    /// Seed of the initial weights, the shuffles and generated data.
    #[arg(long, default_value_t = 0)]
    pub seed: u32,
    /// Keep the data order in every epoch.
    #[arg(long)]
    pub no_shuffle: bool,
    /// Element type of training.
    #[arg(long, value_enum, default_value_t = Dtype::F32)]
    pub dtype: Dtype,
    /// Threads for matrix products (default: all cores).
    #[arg(long, value_parser = args::threads)]
    pub threads: Option<usize>,
    /// How the initial weights are drawn.
    #[arg(long, default_value = "torch")]
    pub init: Init,
    /// Start from the weights of a model file (ours or PyTorch's).
    #[arg(long, value_name = "FILE", conflicts_with = "resume")]
    pub init_from: Option<PathBuf>,
    /// Save the trained model (safetensors).
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Write a checkpoint every --checkpoint-every epochs.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Epochs between checkpoints.
    #[arg(long, default_value_t = 1, value_parser = args::at_least_1::<usize>)]
    pub checkpoint_every: usize,
    /// Continue from a checkpoint.
    #[arg(long, value_name = "FILE")]
    pub resume: Option<PathBuf>,
    /// Plot losses and accuracies (.svg or .png).
    #[arg(long, value_name = "FILE", value_parser = args::plot_file)]
    pub plot: Option<PathBuf>,
    /// One JSON line per epoch on stdout, nothing else.
    #[arg(long)]
    pub json: bool,
    /// No progress bar or epoch summaries.
    #[arg(long)]
    pub quiet: bool,
    /// Samples of a generated set.
    #[arg(long, default_value_t = 200)]
    pub samples: usize,
    /// Noise of a generated set [default: the set's own: 0.1, spirals 0.02, blobs 0.5].
    #[arg(long, allow_negative_numbers = true, value_parser = args::non_negative)]
    pub noise: Option<f64>,
    /// Regression targets: the last K columns.
    #[arg(long, default_value_t = 1, value_parser = args::at_least_1::<usize>)]
    pub targets: usize,
    /// Standardise features (z-scores of the training part, stored with the model).
    #[arg(long)]
    pub standardize: bool,
    /// The most MiB a gzip data file may inflate to.
    #[arg(long, value_name = "MIB", default_value_t = backprop::data::DEFAULT_MAX_INFLATE_MIB)]
    pub max_inflate_mib: u64,
    /// The most classes a data set may have.
    #[arg(long, value_name = "N", default_value_t = backprop::data::DEFAULT_MAX_CLASSES)]
    pub max_classes: usize,
    /// Data-parallel training under `mpirun -np N` (needs the `mpi` feature): the same weights as one process.
    #[arg(long)]
    pub distributed: bool,
}

/// The communication layer of `--distributed`: MPI's world (feature
/// `mpi`); without the feature, the flag is refused before anything runs.
#[cfg(feature = "mpi")]
type Comm = backprop::train::mpi::World;
#[cfg(not(feature = "mpi"))]
type Comm = backprop::train::distributed::Solo;

/// An error every rank of `--distributed` meets alike (decided from values
/// summed over the ranks): rank 0 reports it, and the others end quietly.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct AllRanks(String);

/// The general defaults of the flags that generated sets override: those of
/// file data (CSV, MNIST), unchanged from before the per-set defaults.
const GENERAL: TrainDefaults = backprop::data::generated::GENERAL_DEFAULTS;

/// The settings of a run once every omitted flag has its default: the one
/// place where `--layers`, `--activation`, `--optimizer`, `--lr`, `--epochs`,
/// `--batch-size` and `--noise` are resolved.
///
/// For a generated set each omitted flag takes the set's default
/// ([`train_defaults`]) on its own, whichever others are given; `--lr` takes
/// the set's default only when `--optimizer` is omitted too (the set's rate
/// is tuned for its optimiser), and otherwise the general 0.01. For file data
/// the general defaults ([`GENERAL`]) apply. Anything given wins.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// `--layers` as given, else `None`: then [`Settings::layers`] builds
    /// input, `hidden`, output from the data and `--loss`.
    pub layers: Option<Vec<usize>>,
    /// Hidden sizes when `--layers` is omitted.
    pub hidden: Vec<usize>,
    /// `--activation`.
    pub activation: Activation,
    /// `--optimizer`.
    pub optimizer: OptimKind,
    /// `--lr`.
    pub lr: f64,
    /// `--epochs`.
    pub epochs: usize,
    /// `--batch-size`.
    pub batch_size: usize,
    /// `--noise` (used by generated sets only).
    pub noise: f64,
    /// The generated set whose defaults apply, if `--data` is one.
    pub set: Option<&'static str>,
    /// The flags among the seven that were given, in the order above.
    pub given: Vec<&'static str>,
}

impl Settings {
    /// Resolves the flags of `a` (see [`Settings`]).
    pub fn resolve(a: &TrainArgs) -> Settings {
        let set = loads_as_generated(&a.data);
        Self::resolve_with(a, set, set.and_then(train_defaults))
    }

    /// [`resolve`](Self::resolve) with the generated set and its defaults given.
    fn resolve_with(
        a: &TrainArgs,
        set: Option<&'static str>,
        defaults: Option<TrainDefaults>,
    ) -> Settings {
        let d = defaults.unwrap_or(GENERAL);
        let given = [
            ("--layers", a.layers.is_some()),
            ("--activation", a.activation.is_some()),
            ("--optimizer", a.optimizer.is_some()),
            ("--lr", a.lr.is_some()),
            ("--epochs", a.epochs.is_some()),
            ("--batch-size", a.batch_size.is_some()),
            ("--noise", a.noise.is_some()),
        ]
        .into_iter()
        .filter_map(|(flag, given)| given.then_some(flag))
        .collect();
        Settings {
            layers: a.layers.clone(),
            hidden: d.hidden.to_vec(),
            activation: a.activation.unwrap_or(d.activation),
            optimizer: a.optimizer.unwrap_or(d.optimizer),
            lr: resolve_lr(a.lr, a.optimizer.is_some(), &d),
            epochs: a.epochs.unwrap_or(d.epochs),
            batch_size: a.batch_size.unwrap_or(d.batch_size),
            noise: a.noise.unwrap_or(d.noise),
            set,
            given,
        }
    }

    /// The layer sizes: `--layers`, else the data's input width, the hidden
    /// sizes and the output width `--loss` asks for.
    fn layers(&self, a: &TrainArgs, data: &Dataset) -> Vec<usize> {
        self.layers.clone().unwrap_or_else(|| {
            let mut l = vec![data.dim()];
            l.extend(&self.hidden);
            l.push(outputs(a, data));
            l
        })
    }

    /// The line on stderr that states a generated set's settings, e.g.
    /// `settings: --layers 2,16,16,2 --activation tanh --optimizer adam --lr
    /// 0.01 --epochs 200 --batch-size 32 --noise 0.1 (defaults for moons)`.
    fn line(&self, layers: &[usize], set: &str) -> String {
        let mut line = format!(
            "settings: --layers {} --activation {} --optimizer {} --lr {} --epochs {} --batch-size {} --noise {}",
            sizes_flag(layers),
            self.activation.name(),
            self.optimizer.name(),
            self.lr,
            self.epochs,
            self.batch_size,
            self.noise
        );
        if self.given.is_empty() {
            line += &format!(" (defaults for {set})");
        } else if self.given.len() == 7 {
            line += " (as given)";
        } else {
            line += &format!(
                " (defaults for {set}, except {} as given)",
                self.given.join(" ")
            );
        }
        line
    }
}

pub fn run(args: TrainArgs) -> Result<()> {
    let settings = Settings::resolve(&args);
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .context("cannot start the thread pool")?;
    }
    #[cfg(not(feature = "mpi"))]
    if args.distributed {
        bail!("--distributed: this backprop was built without the `mpi` feature; build it with `cargo build --release --features mpi` (needs Open MPI and libclang)");
    }
    #[cfg(feature = "mpi")]
    let mpi = match args.distributed {
        true => Some(backprop::train::mpi::init()?),
        false => None,
    };
    #[cfg(feature = "mpi")]
    let comm = mpi.as_ref().map(|(_, world)| *world);
    #[cfg(not(feature = "mpi"))]
    let comm: Option<Comm> = None;
    let result = match args.dtype {
        Dtype::F32 => train::<f32>(&args, &settings, comm),
        Dtype::F64 => train::<f64>(&args, &settings, comm),
    };
    #[cfg(feature = "mpi")]
    if let (Err(e), Some(world)) = (&result, comm) {
        if e.downcast_ref::<AllRanks>().is_none() {
            // This rank failed alone: say so, and end every rank now
            // rather than leave them waiting for it.
            eprintln!("error: rank {}: {e:#}", world.rank());
            world.abort(2);
        }
        if world.rank() != 0 {
            drop(mpi);
            std::process::exit(2);
        }
    }
    result
}

/// The training data, its test part, and the fingerprint of the whole `--data`.
fn load_data(a: &TrainArgs, s: &Settings) -> Result<(Dataset, Option<Dataset>, String)> {
    let target = if a.loss.is_classification() {
        TargetKind::Class
    } else {
        TargetKind::Values { k: a.targets }
    };
    let opts = LoadOptions {
        target,
        samples: a.samples,
        noise: s.noise,
        seed: a.seed as u64,
        class_names: None,
        max_inflate: a.max_inflate_mib.saturating_mul(1 << 20),
        max_classes: a.max_classes,
        unit_targets: a.loss == Loss::Bce,
    };
    let data = Dataset::load(&a.data, &opts)?;
    let fingerprint = backprop::data::fingerprint(&data);
    let (train, test) = data.split_tail(a.test_fraction);
    if train.n == 0 {
        bail!(
            "{}: no training rows left after --test-fraction {}",
            a.data,
            a.test_fraction
        );
    }
    let test = match &a.test_data {
        Some(spec) => {
            let opts = LoadOptions {
                class_names: train.classes().map(|c| c.to_vec()),
                ..opts
            };
            Some(Dataset::load(spec, &opts)?)
        }
        None => test,
    };
    if let Some(t) = &test {
        if t.dim() != train.dim() {
            bail!(
                "{}: {} features, but the training data has {}",
                t.source,
                t.dim(),
                train.dim()
            );
        }
    }
    Ok((train, test, fingerprint))
}

/// The output width the data asks for.
fn outputs(a: &TrainArgs, data: &Dataset) -> usize {
    match (a.loss, data.classes()) {
        (Loss::CrossEntropy, Some(c)) => c.len(),
        _ => a.targets,
    }
}

fn check_layers(a: &TrainArgs, layers: &[usize], data: &Dataset) -> Result<()> {
    let given = layers
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let out = outputs(a, data);
    if layers.len() < 2 || layers.contains(&0) {
        bail!("--layers {given}: expected at least an input and an output size, all positive");
    }
    if layers[0] != data.dim() {
        bail!(
            "--layers {given}: {} has {} features, so the first size must be {}",
            data.source,
            data.dim(),
            data.dim()
        );
    }
    if *layers.last().expect("len ≥ 2") != out {
        let what = if a.loss.is_classification() {
            "classes"
        } else {
            "target columns"
        };
        bail!(
            "--layers {given}: {} has {out} {what}, so the last size must be {out}",
            data.source
        );
    }
    Ok(())
}

fn meta(
    a: &TrainArgs,
    s: &Settings,
    layers: &[usize],
    data: &Dataset,
    std: Option<&Standardizer>,
    fingerprint: &str,
) -> ModelMeta {
    ModelMeta {
        layers: layers.to_vec(),
        activation: s.activation.name().into(),
        bias: !a.no_bias,
        loss: a.loss.name().into(),
        classes: data.classes().map(|c| c.to_vec()),
        standardize: std.map(|s| (s.mean.clone(), s.std.clone())),
        dtype: match a.dtype {
            Dtype::F32 => "F32".into(),
            Dtype::F64 => "F64".into(),
        },
        data_fingerprint: Some(fingerprint.to_string()),
        generated: s.set.map(|set| GeneratedMeta {
            set: set.into(),
            samples: a.samples,
            noise: s.noise,
            seed: a.seed.into(),
        }),
    }
}

fn optim_config(a: &TrainArgs, s: &Settings) -> OptimConfig {
    let mut c = OptimConfig::new(s.optimizer, s.lr);
    if let Some(m) = a.momentum {
        c.momentum = m;
    }
    c.nesterov = a.nesterov;
    if let Some(wd) = a.weight_decay {
        c.weight_decay = wd;
    }
    c
}

fn train<T: Float>(a: &TrainArgs, s: &Settings, mut comm: Option<Comm>) -> Result<()>
where
    Comm: Collective<T>,
{
    // Under --distributed, rank 0 alone prints and writes files.
    let lead = comm.as_ref().is_none_or(|c| Collective::<T>::rank(c) == 0);
    if lead {
        check_outputs(a)?;
    }
    let (data, test, fingerprint) = load_data(a, s)?;
    if let Some(c) = comm.as_mut() {
        let c: &mut dyn Collective<T> = c;
        let mut same = |what: &str, v| {
            distributed::check_same(c, what, v).map_err(|e| AllRanks(e.to_string()))
        };
        same(
            "the training data (--data)",
            distributed::hex_prefix(&fingerprint),
        )?;
        let test_print = test.as_ref().map_or(0, |t| {
            distributed::hex_prefix(&backprop::data::fingerprint(t))
        });
        same("the test data", test_print)?;
    }
    let layers = s.layers(a, &data);
    check_layers(a, &layers, &data)?;
    let std = a.standardize.then(|| Standardizer::fit(&data));
    let meta = meta(a, s, &layers, &data, std.as_ref(), &fingerprint);
    let opts = LoopOptions {
        loss: a.loss,
        batch_size: s.batch_size,
        shuffle: !a.no_shuffle,
        seed: a.seed as u64,
    };

    let mut start_epoch = 1;
    let mut history = Vec::new();
    let (model, optim) = if let Some(path) = &a.resume {
        let ck: Checkpoint<T> = io::load_checkpoint(path)?;
        check_resume(a, s, path, &ck, &meta)?;
        history = ck.state.history.iter().map(point_from_row).collect();
        start_epoch = ck.state.epoch as usize + 1;
        let mut optim = ck.optimizer;
        optim.config.lr = s.lr;
        (Mlp::from_params(ck.params, s.activation, !a.no_bias), optim)
    } else if let Some(path) = &a.init_from {
        let file = io::load_model(path)?;
        let mlp = Mlp::from_params(
            io::mlp_params::<T>(&file, &layers, !a.no_bias, path)?,
            s.activation,
            !a.no_bias,
        );
        (mlp, Optimizer::<T>::new(optim_config(a, s)))
    } else {
        let mlp = Mlp::new(&layers, s.activation, !a.no_bias, a.init, a.seed)
            .with_context(|| format!("--layers {}", sizes_flag(&layers)))?;
        (mlp, Optimizer::<T>::new(optim_config(a, s)))
    };
    reserve_training_memory::<T>(a, s, &layers, data.n)?;
    if let (Some(set), false, true) = (s.set, a.quiet, lead) {
        eprintln!("{}", s.line(&layers, set));
    }
    if let Some(c) = comm.as_mut() {
        let what = "the initial weights (from --seed, --init-from or --resume)";
        distributed::check_same::<T>(c, what, distributed::checksum(&model))
            .map_err(|e| AllRanks(e.to_string()))?;
    }
    let mut trainer = Trainer::new(model, optim, opts, std.clone());

    let mut out = Stdout::new();
    let mut divergence = Divergence::new(&history);
    for epoch in start_epoch..=s.epochs {
        let bar = progress_bar(a, s, epoch).filter(|_| lead);
        let mut report = {
            let mut seen = 0usize;
            let started = std::time::Instant::now();
            let mut on_batch = |done: usize, total: usize, loss: f64| {
                seen += 1;
                if let Some(bar) = &bar {
                    bar.set_length(total as u64);
                    bar.set_position(done as u64);
                    let rows = if s.batch_size == 0 {
                        data.n
                    } else {
                        s.batch_size
                    };
                    let rate = (seen * rows) as f64 / started.elapsed().as_secs_f64().max(1e-9);
                    bar.set_message(format!("loss {loss:.4} · {rate:.0} samples/s"));
                }
            };
            match comm.as_mut() {
                Some(c) => trainer
                    .epoch_distributed(&data, epoch, c, &mut on_batch)
                    .map_err(|e| match e {
                        TrainError::Engine(_) => anyhow::anyhow!("{e}"),
                        e => AllRanks(format!("{e}{}", kept_checkpoint(a))).into(),
                    }),
                None => trainer
                    .epoch(&data, epoch, &mut on_batch)
                    .map_err(|e| anyhow::anyhow!("{e}{}", kept_checkpoint(a))),
            }
        }?;
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        if let Some(t) = &test {
            let ev = match comm.as_mut() {
                Some(c) => trainer.evaluate_distributed(t, c)?,
                None => trainer.evaluate(t)?,
            };
            report.test_loss = Some(ev.loss);
            report.test_accuracy = ev.accuracy;
        }
        history.push(point(&report));
        if !lead {
            continue;
        }
        if a.json {
            out.line(&report_json(&report).to_string());
        }
        if !a.quiet {
            eprintln!("{}", summary(&report, s.epochs));
        }
        if let Some(warning) = divergence.check(epoch, report.train_loss, s.lr) {
            eprintln!("{warning}");
        }
        if let Some(path) = &a.checkpoint {
            if epoch % a.checkpoint_every == 0 || epoch == s.epochs {
                let ck = Checkpoint {
                    params: trainer.model.named_params(),
                    meta: meta.clone(),
                    optimizer: trainer.optim.clone(),
                    state: TrainState {
                        format: io::CHECKPOINT_FORMAT,
                        epoch: epoch as u64,
                        seed: u64::from(a.seed),
                        batch_size: s.batch_size,
                        epochs: s.epochs,
                        shuffle: !a.no_shuffle,
                        test_fraction: a.test_fraction,
                        optimizer: trainer.optim.config,
                        optimizer_steps: trainer.optim.steps,
                        history: history.iter().map(point_row).collect(),
                    },
                };
                io::save_checkpoint(path, &ck)?;
            }
        }
    }
    if !lead {
        return Ok(());
    }
    // The plot is drawn before anything is written, and the model is written
    // last: a failure leaves the previous --save file as it was.
    let plot = match &a.plot {
        Some(path) => {
            let boundary = if data.dim() == 2 {
                Some(boundary(&trainer, &data)?)
            } else {
                None
            };
            let title = format!("backprop train {}", a.data);
            Some((
                path,
                plot::render(path, &title, &history, boundary.as_ref())?,
            ))
        }
        None => None,
    };
    if let Some((path, bytes)) = plot {
        io::write_atomic(path, &bytes)?;
    }
    if let Some(path) = &a.save {
        io::save_model(path, &trainer.model.named_params(), &meta)?;
    }
    out.finish()
}

/// `784,128,10`.
fn sizes_flag(layers: &[usize]) -> String {
    let s: Vec<String> = layers.iter().map(usize::to_string).collect();
    s.join(",")
}

/// Reserves (and frees) the address space a run of this size will need, so
/// that a network or batch too large for the memory there is, or for a
/// `ulimit -v`, is one line before training rather than an abort during it.
///
/// The estimate counts each parameter four times (the model, its copy on the
/// tape, its gradient, its update) plus the optimiser's slots, and each of a
/// batch's activations six times (forward values and gradients of the
/// product, the bias and the activation). Untouched, the reservation costs
/// no memory where the system overcommits.
fn reserve_training_memory<T: Float>(
    a: &TrainArgs,
    s: &Settings,
    layers: &[usize],
    rows: usize,
) -> Result<()> {
    let slots = optim_config(a, s).slots().len();
    let params = layers.windows(2).try_fold(0usize, |acc, w| {
        acc.checked_add(w[0].checked_add(1)?.checked_mul(w[1])?)
    });
    let widths = layers.iter().try_fold(0usize, |acc, &w| acc.checked_add(w));
    let elements = params.zip(widths).and_then(|(p, w)| {
        // 0 is the full batch.
        let batch = if s.batch_size == 0 {
            rows
        } else {
            s.batch_size.min(rows)
        }
        .max(1);
        p.checked_mul(4 + slots)?
            .checked_add(batch.checked_mul(w)?.checked_mul(6)?)
    });
    let bytes = elements.and_then(|e| e.checked_mul(std::mem::size_of::<T>()));
    let mut probe: Vec<u8> = Vec::new();
    match bytes.map(|b| probe.try_reserve_exact(b)) {
        Some(Ok(())) => Ok(()),
        _ => bail!(
            "--layers {} --batch-size {}: training needs about {} of memory, which cannot be allocated here",
            sizes_flag(layers),
            s.batch_size,
            bytes.map_or("more than 2^64 bytes".into(), |b| format!("{} MiB", b >> 20))
        ),
    }
}

/// Stdout for `train`: a reader that left (a closed pipe) stops the output
/// but not the training; any other write error stops the output and is
/// reported once the run's files are written.
struct Stdout {
    out: std::io::StdoutLock<'static>,
    closed: bool,
    error: Option<std::io::Error>,
}

impl Stdout {
    fn new() -> Self {
        Stdout {
            out: std::io::stdout().lock(),
            closed: false,
            error: None,
        }
    }

    /// Writes one line and flushes it, unless an earlier write failed.
    fn line(&mut self, text: &str) {
        if self.closed || self.error.is_some() {
            return;
        }
        let result = writeln!(self.out, "{text}").and_then(|()| self.out.flush());
        match result {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => self.closed = true,
            Err(e) => self.error = Some(e),
            Ok(()) => {}
        }
    }

    /// The first write error other than a closed pipe, if any.
    fn finish(self) -> Result<()> {
        match self.error {
            Some(e) => Err(anyhow::Error::new(e).context("cannot write to stdout")),
            None => Ok(()),
        }
    }
}

/// Every output path is checked before the first epoch: its directory
/// exists and takes new files, it is not a directory or a special file, and
/// it is neither an input file nor another output.
fn check_outputs(a: &TrainArgs) -> Result<()> {
    let outputs = [
        ("--save", a.save.as_deref()),
        ("--checkpoint", a.checkpoint.as_deref()),
        ("--plot", a.plot.as_deref()),
    ];
    let outputs: Vec<(&str, &Path)> = outputs
        .into_iter()
        .filter_map(|(flag, p)| Some((flag, p?)))
        .collect();
    let inputs: Vec<(&str, &Path)> = [
        ("--data", Some(&a.data)),
        ("--test-data", a.test_data.as_ref()),
    ]
    .into_iter()
    .filter_map(|(flag, spec)| Some((flag, Path::new(spec?.as_str()))))
    .filter(|(_, p)| p.exists())
    .collect();
    for (i, &(flag, path)) in outputs.iter().enumerate() {
        io::probe_output(path).context(flag)?;
        for &(other, input) in &inputs {
            if io::same_file(path, input) {
                bail!(
                    "{flag} {}: is the {other} file; refusing to overwrite the data",
                    path.display()
                );
            }
        }
        for &(other, p) in &outputs[..i] {
            if io::same_file(path, p) {
                bail!(
                    "{flag} {}: is also the {other} file; give each output its own file",
                    path.display()
                );
            }
        }
    }
    Ok(())
}

/// A checkpoint resumes only the run that wrote it: the same architecture,
/// loss, dtype, data, optimizer and shuffling. A changed `--lr`, `--epochs`
/// or `--batch-size` is allowed, with a note on stderr.
fn check_resume<T: Float>(
    a: &TrainArgs,
    s: &Settings,
    path: &Path,
    ck: &Checkpoint<T>,
    meta: &ModelMeta,
) -> Result<()> {
    let (have, st) = (&ck.meta, &ck.state);
    let file = path.display();
    let want = optim_config(a, s);
    let (theirs, ours) = (&st.optimizer, &want);
    // (flag, the checkpoint's value, this run's value) for what must not change.
    let fixed: [(&str, String, String); 13] = [
        (
            "--layers",
            sizes_flag(&have.layers),
            sizes_flag(&meta.layers),
        ),
        (
            "--no-bias",
            (!have.bias).to_string(),
            (!meta.bias).to_string(),
        ),
        (
            "--activation",
            have.activation.clone(),
            meta.activation.clone(),
        ),
        ("--loss", have.loss.clone(), meta.loss.clone()),
        (
            "--dtype",
            have.dtype.to_lowercase(),
            T::DTYPE.to_lowercase(),
        ),
        (
            "--optimizer",
            theirs.kind.name().into(),
            ours.kind.name().into(),
        ),
        (
            "--momentum",
            theirs.momentum.to_string(),
            ours.momentum.to_string(),
        ),
        (
            "--nesterov",
            theirs.nesterov.to_string(),
            ours.nesterov.to_string(),
        ),
        (
            "--weight-decay",
            theirs.weight_decay.to_string(),
            ours.weight_decay.to_string(),
        ),
        ("--seed", st.seed.to_string(), a.seed.to_string()),
        (
            "--no-shuffle",
            (!st.shuffle).to_string(),
            a.no_shuffle.to_string(),
        ),
        (
            "--test-fraction",
            st.test_fraction.to_string(),
            a.test_fraction.to_string(),
        ),
        (
            "--standardize",
            have.standardize.is_some().to_string(),
            a.standardize.to_string(),
        ),
    ];
    if let Some((flag, theirs, ours)) = fixed.iter().find(|(_, t, o)| t != o) {
        bail!("{file}: the checkpoint was trained with {flag} {theirs}, not {ours}; resume with the same setting");
    }
    if let (Some(theirs), Some(ours)) = (&have.data_fingerprint, &meta.data_fingerprint) {
        if theirs != ours {
            bail!(
                "{file}: the checkpoint was trained on other data than --data {} (fingerprint {}…, this data {}…)",
                a.data,
                &theirs[..12],
                &ours[..12]
            );
        }
    }
    for (flag, theirs, ours) in [
        ("--lr", st.optimizer.lr.to_string(), s.lr.to_string()),
        ("--epochs", st.epochs.to_string(), s.epochs.to_string()),
        (
            "--batch-size",
            st.batch_size.to_string(),
            s.batch_size.to_string(),
        ),
    ] {
        if theirs != ours {
            eprintln!(
                "note: resuming {file} with {flag} {ours} (the checkpoint's run used {theirs})"
            );
        }
    }
    Ok(())
}

/// Where the last good checkpoint is, for an error message.
fn kept_checkpoint(a: &TrainArgs) -> String {
    match &a.checkpoint {
        Some(p) if p.exists() => format!("; the last good checkpoint is {}", p.display()),
        _ => String::new(),
    }
}

fn progress_bar(a: &TrainArgs, s: &Settings, epoch: usize) -> Option<ProgressBar> {
    if a.quiet {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("epoch {prefix} {bar:30} {pos}/{len} batches {msg}")
            .expect("a valid template"),
    );
    bar.set_prefix(format!("{epoch}/{}", s.epochs));
    Some(bar)
}

/// Watches the epochs' mean training loss for a run that blew up.
///
/// An epoch whose mean loss exceeds both 10× the lowest mean of the epochs
/// before it (including those of a resumed checkpoint) and 1e-3 gets one
/// warning, the first time only; the run goes on (a NaN loss stops it
/// elsewhere). The 1e-3 floor keeps a loss wobbling between 1e-6 and 1e-5,
/// which is converged, from counting.
struct Divergence {
    /// The lowest finite epoch mean so far.
    lowest: f64,
    /// Whether the warning was given.
    warned: bool,
}

impl Divergence {
    /// Starts from the losses of a resumed run's earlier epochs.
    fn new(history: &[EpochPoint]) -> Self {
        Divergence {
            lowest: history
                .iter()
                .map(|p| p.train_loss)
                .filter(|l| l.is_finite())
                .fold(f64::INFINITY, f64::min),
            warned: false,
        }
    }

    /// Records epoch `epoch`'s mean loss; the warning when it is the first
    /// to diverge.
    fn check(&mut self, epoch: usize, loss: f64, lr: f64) -> Option<String> {
        let lowest = self.lowest;
        if loss.is_finite() {
            self.lowest = self.lowest.min(loss);
        }
        if self.warned || !(loss > 10.0 * lowest && loss > 1e-3) {
            return None;
        }
        self.warned = true;
        Some(format!(
            "warning: the training loss rose to {loss:.4} at epoch {epoch}, more than 10× its lowest earlier epoch mean ({lowest:.3e}): the run is diverging; try a smaller --lr (now {lr}, e.g. {})",
            lr / 10.0
        ))
    }
}

fn summary(r: &EpochReport, epochs: usize) -> String {
    let mut s = format!("epoch {}/{epochs}: train loss {:.6}", r.epoch, r.train_loss);
    if let Some(acc) = r.train_accuracy {
        s += &format!(", accuracy {:.4}", acc);
    }
    if let Some(l) = r.test_loss {
        s += &format!("; test loss {l:.6}");
    }
    if let Some(acc) = r.test_accuracy {
        s += &format!(", accuracy {acc:.4}");
    }
    s + &format!(" ({:.2} s)", r.epoch_seconds)
}

fn report_json(r: &EpochReport) -> serde_json::Value {
    let mut line = json!({
        "epoch": r.epoch,
        "train_loss": r.train_loss,
        "train_accuracy": r.train_accuracy,
        "test_loss": r.test_loss,
        "test_accuracy": r.test_accuracy,
        "epoch_seconds": r.epoch_seconds,
        "grad_norms": r.grad_norms,
        "parallel_batches": r.parallel_batches,
    });
    // Under --distributed: what the epoch spent on the gradient sums.
    if let Some(c) = &r.comm {
        line["comm"] = json!({
            "steps": c.steps,
            "wait_seconds": c.wait_seconds,
            "gradient_bytes": c.gradient_bytes,
            "buckets": c.buckets,
        });
    }
    line
}

fn point(r: &EpochReport) -> EpochPoint {
    EpochPoint {
        epoch: r.epoch,
        train_loss: r.train_loss,
        test_loss: r.test_loss,
        train_accuracy: r.train_accuracy,
        test_accuracy: r.test_accuracy,
    }
}

/// An epoch's metrics as a checkpoint stores them.
fn point_row(p: &EpochPoint) -> io::HistoryRow {
    let finite = |v: f64| v.is_finite().then_some(v);
    (
        p.epoch as u64,
        finite(p.train_loss),
        p.test_loss.and_then(finite),
        p.train_accuracy.and_then(finite),
        p.test_accuracy.and_then(finite),
    )
}

/// An epoch's metrics from a checkpoint.
fn point_from_row(r: &io::HistoryRow) -> EpochPoint {
    EpochPoint {
        epoch: r.0 as usize,
        train_loss: r.1.unwrap_or(f64::NAN),
        test_loss: r.2,
        train_accuracy: r.3,
        test_accuracy: r.4,
    }
}

/// The decision boundary of a 2-D classifier over the data's range, on a
/// 200×200 grid, with the model's probability of each cell's class.
fn boundary<T: Float>(trainer: &Trainer<T>, data: &Dataset) -> Result<Boundary> {
    let (nx, ny) = (200, 200);
    let pad = |(lo, hi): (f64, f64)| {
        let m = 0.1 * (hi - lo).max(1e-9);
        (lo - m, hi + m)
    };
    let (xr, yr) = (pad(data.feature_range(0)), pad(data.feature_range(1)));
    let mut grid = Vec::with_capacity(nx * ny);
    let mut x = Tensor::<T>::zeros(&[nx * ny, 2])?;
    for j in 0..ny {
        for i in 0..nx {
            let (px, py) = (
                xr.0 + (xr.1 - xr.0) * (i as f64 + 0.5) / nx as f64,
                yr.0 + (yr.1 - yr.0) * (j as f64 + 0.5) / ny as f64,
            );
            let (px, py) = match &trainer.standardizer {
                Some(s) => (s.apply(0, px), s.apply(1, py)),
                None => (px, py),
            };
            let r = j * nx + i;
            x.data_mut()[2 * r] = T::from_f64(px);
            x.data_mut()[2 * r + 1] = T::from_f64(py);
        }
    }
    let probs = trainer.model.predict(&x, trainer.opts.loss)?;
    let k = probs.dims()[1];
    let mut confidence = Vec::with_capacity(nx * ny);
    for row in probs.data().chunks(k) {
        let (class, p) = if k == 1 {
            // bce: the probability of class 1; mse: a score, clamped to [0, 1].
            let p1 = row[0].as_f64().clamp(0.0, 1.0);
            if p1 > 0.5 {
                (1, p1)
            } else {
                (0, 1.0 - p1)
            }
        } else {
            let c = backprop::train::argmax(row);
            (c, row[c].as_f64())
        };
        grid.push(class);
        confidence.push(p);
    }
    let idx: Vec<usize> = (0..data.n).collect();
    let mut feats = vec![0f64; data.n * 2];
    data.gather_features(&idx, None, &mut feats);
    let mut labels = Vec::new();
    let classes = if let Some(c) = data.classes() {
        data.gather_labels(&idx, &mut labels);
        c.len()
    } else {
        let mut y = vec![0f64; data.n];
        data.gather_targets(&idx, &mut y);
        labels = y.iter().map(|&v| usize::from(v > 0.5)).collect();
        2
    };
    let points = feats
        .chunks(2)
        .zip(&labels)
        .map(|(p, &l)| (p[0], p[1], l))
        .collect();
    Ok(Boundary {
        x_range: xr,
        y_range: yr,
        nx,
        ny,
        grid,
        classes,
        points,
        confidence: Some(confidence),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// `TrainArgs` parsed from flags, as `backprop train` parses them.
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: TrainArgs,
    }

    fn args(flags: &[&str]) -> TrainArgs {
        let argv = std::iter::once("train").chain(flags.iter().copied());
        Cli::try_parse_from(argv).expect("valid flags").args
    }

    /// Defaults unlike the general ones in every field, so each is visible.
    const ODD: TrainDefaults = TrainDefaults {
        hidden: &[5, 6],
        activation: Activation::Gelu,
        optimizer: OptimKind::AdamW,
        lr: 0.123,
        epochs: 7,
        batch_size: 9,
        noise: 0.33,
    };

    fn resolve(flags: &[&str]) -> Settings {
        Settings::resolve_with(&args(flags), Some("moons"), Some(ODD))
    }

    #[test]
    fn each_omitted_flag_takes_the_set_default_on_its_own() {
        let all = resolve(&["--data", "moons"]);
        assert_eq!(
            (
                all.layers.clone(),
                all.hidden.clone(),
                all.activation,
                all.optimizer
            ),
            (None, vec![5, 6], Activation::Gelu, OptimKind::AdamW)
        );
        assert_eq!(
            (all.lr, all.epochs, all.batch_size, all.noise),
            (0.123, 7, 9, 0.33)
        );
        assert!(all.given.is_empty());
        // One flag given: the other six keep the set's defaults.
        for (flag, value) in [
            ("--layers", "2,3,2"),
            ("--activation", "sigmoid"),
            ("--lr", "0.5"),
            ("--epochs", "1"),
            ("--batch-size", "4"),
            ("--noise", "0"),
        ] {
            let s = resolve(&["--data", "moons", flag, value]);
            assert_eq!(s.given, [flag]);
            let mut expected = all.clone();
            match flag {
                "--layers" => expected.layers = Some(vec![2, 3, 2]),
                "--activation" => expected.activation = Activation::Sigmoid,
                "--lr" => expected.lr = 0.5,
                "--epochs" => expected.epochs = 1,
                "--batch-size" => expected.batch_size = 4,
                _ => expected.noise = 0.0,
            }
            expected.given = vec![flag];
            assert_eq!(s, expected, "{flag}");
        }
    }

    #[test]
    fn lr_takes_the_set_default_only_without_optimizer() {
        let s = resolve(&["--data", "moons", "--optimizer", "sgd"]);
        assert_eq!((s.optimizer, s.lr), (OptimKind::Sgd, GENERAL.lr));
        assert_eq!(
            (s.activation, s.epochs, s.noise),
            (Activation::Gelu, 7, 0.33)
        );
        let s = resolve(&["--data", "moons", "--optimizer", "sgd", "--lr", "0.2"]);
        assert_eq!((s.optimizer, s.lr), (OptimKind::Sgd, 0.2));
        assert_eq!(resolve(&["--data", "moons", "--epochs", "3"]).lr, 0.123);
    }

    #[test]
    fn file_data_keeps_the_general_defaults() {
        let s = Settings::resolve(&args(&["--data", "/no/such/file.csv"]));
        assert_eq!(s.set, None);
        assert_eq!(s.hidden, [64]);
        assert_eq!(
            (s.activation, s.optimizer),
            (Activation::Relu, OptimKind::Sgd)
        );
        assert_eq!((s.lr, s.epochs, s.batch_size, s.noise), (0.01, 10, 32, 0.1));
    }

    #[test]
    fn the_settings_line_names_the_set_and_what_was_given() {
        let layers = [2, 5, 6, 2];
        assert_eq!(
            resolve(&["--data", "moons"]).line(&layers, "moons"),
            "settings: --layers 2,5,6,2 --activation gelu --optimizer adamw --lr 0.123 --epochs 7 --batch-size 9 --noise 0.33 (defaults for moons)"
        );
        assert!(resolve(&["--data", "moons", "--epochs", "2", "--lr", "1"])
            .line(&layers, "moons")
            .ends_with("--epochs 2 --batch-size 9 --noise 0.33 (defaults for moons, except --lr --epochs as given)"));
        let every = [
            "--data",
            "moons",
            "--layers",
            "2,5,6,2",
            "--activation",
            "gelu",
            "--optimizer",
            "adamw",
            "--lr",
            "0.123",
            "--epochs",
            "7",
            "--batch-size",
            "9",
            "--noise",
            "0.33",
        ];
        assert!(resolve(&every)
            .line(&layers, "moons")
            .ends_with("(as given)"));
    }

    #[test]
    fn divergence_warns_once_past_10x_the_lowest_earlier_mean_and_1e_3() {
        let mut d = Divergence::new(&[]);
        let losses = [0.7, 0.1, 0.01, 0.05, 0.099, 0.11, 0.5, 2.0];
        let warned: Vec<usize> = losses
            .iter()
            .enumerate()
            .filter_map(|(i, &l)| d.check(i + 1, l, 0.2).map(|_| i + 1))
            .collect();
        // 0.11 is the first mean past 10 × 0.01; 0.5 and 2.0 are not warned again.
        assert_eq!(warned, [6]);
        let mut d = Divergence::new(&[]);
        let msg = [0.01, 0.2]
            .iter()
            .enumerate()
            .find_map(|(i, &l)| d.check(i + 1, l, 0.2));
        let msg = msg.expect("a warning");
        assert!(
            msg.contains("epoch 2") && msg.contains("smaller --lr"),
            "{msg}"
        );
        // Below 1e-3 a 10× rise is noise around convergence, not a divergence.
        let mut d = Divergence::new(&[]);
        assert!([1e-6, 1e-5, 9e-4]
            .iter()
            .all(|&l| d.check(1, l, 0.1).is_none()));
        // A resumed run remembers its checkpoint's epochs.
        let earlier = [EpochPoint {
            epoch: 1,
            train_loss: 0.001,
            test_loss: None,
            train_accuracy: None,
            test_accuracy: None,
        }];
        assert!(Divergence::new(&earlier).check(2, 0.02, 0.1).is_some());
        // NaN is never the lowest.
        let mut d = Divergence::new(&[]);
        assert!(d.check(1, f64::NAN, 0.1).is_none());
        assert!(d.check(2, 0.5, 0.1).is_none());
    }
}
