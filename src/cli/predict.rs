//! `backprop eval` and `backprop predict`: a saved model on a data set.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use backprop::data::generated::{loads_as_generated, train_defaults};
use backprop::data::{
    fingerprint, read_maybe_gz, DataError, Dataset, LoadOptions, Standardizer, TargetKind,
    DEFAULT_MAX_CLASSES, DEFAULT_MAX_INFLATE_MIB, DEFAULT_NOISE, DEFAULT_SAMPLES,
};
use backprop::io::{self, ModelMeta};
use backprop::nn::{Activation, Loss, Mlp};
use backprop::train::evaluate;
use backprop::Tensor;
use clap::Args;
use serde_json::json;

#[derive(Args)]
pub struct EvalArgs {
    /// A model file written by `backprop train --save`.
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// The data set (same forms as `train --data`).
    #[arg(long, value_name = "SPEC")]
    data: String,
    /// Print `loss`, `accuracy` and `confusion` as one JSON object.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    generated: GeneratedFlags,
    #[command(flatten)]
    limits: Limits,
}

#[derive(Args)]
pub struct PredictArgs {
    /// A model file written by `backprop train --save`.
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// The data set; a target column present in it is ignored.
    #[arg(long, value_name = "SPEC")]
    data: String,
    #[command(flatten)]
    generated: GeneratedFlags,
    #[command(flatten)]
    limits: Limits,
}

/// A saved model with everything its metadata says.
struct Loaded {
    mlp: Mlp<f64>,
    meta: ModelMeta,
    loss: Loss,
    std: Option<Standardizer>,
}

fn load(path: &Path) -> Result<Loaded> {
    let file = io::load_model(path)?;
    let meta = file.meta.clone().with_context(|| {
        format!(
            "{}: no backprop metadata (architecture, loss) in the file",
            path.display()
        )
    })?;
    let activation: Activation = meta
        .activation
        .parse()
        .map_err(|e: String| anyhow::anyhow!("{}: {e}", path.display()))?;
    let loss: Loss = meta
        .loss
        .parse()
        .map_err(|e: String| anyhow::anyhow!("{}: {e}", path.display()))?;
    let params = io::mlp_params::<f64>(&file, &meta.layers, meta.bias, path)?;
    let std = meta
        .standardize
        .clone()
        .map(|(mean, std)| Standardizer { mean, std });
    Ok(Loaded {
        mlp: Mlp::from_params(params, activation, meta.bias),
        meta,
        loss,
        std,
    })
}

/// The limits of loading, from the flags (shared by `eval` and `predict`).
#[derive(Args, Clone, Copy)]
struct Limits {
    /// The most MiB a gzip data file may inflate to.
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_MAX_INFLATE_MIB)]
    max_inflate_mib: u64,
    /// The most classes a data set may have.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CLASSES)]
    max_classes: usize,
}

/// `--samples`, `--noise` and `--seed` as given (each `None` when omitted;
/// shared by `eval` and `predict`).
#[derive(Args)]
struct GeneratedFlags {
    /// Points of a generated set [default: the model's, when it was trained on the same set; else 200].
    #[arg(long)]
    samples: Option<usize>,
    /// Noise of a generated set [default: the model's, when it was trained on the same set; else the set's training default].
    #[arg(long, allow_negative_numbers = true, value_parser = super::args::non_negative)]
    noise: Option<f64>,
    /// Seed of a generated set [default: the model's, when it was trained on the same set; else 0].
    #[arg(long)]
    seed: Option<u64>,
}

impl GeneratedFlags {
    /// The samples, noise and seed of the generated set `spec` names: each
    /// given flag wins; an omitted one takes the value recorded in the model
    /// when it was trained on the same set (so that `eval --data spirals`
    /// scores the set the model was trained on), else the default of
    /// `train --data <set>` (200 samples, the set's noise, seed 0). `None`
    /// when `spec` is not a generated set (the flags are then ignored).
    fn resolve(&self, spec: &str, meta: &ModelMeta) -> Result<Option<(usize, f64, u64)>> {
        let Some(set) = loads_as_generated(spec) else {
            return Ok(None);
        };
        let recorded = meta.generated.as_ref().filter(|g| g.set == set);
        let default_noise = train_defaults(set).map_or(DEFAULT_NOISE, |d| d.noise);
        Ok(Some((
            self.samples
                .or(recorded.map(|g| g.samples))
                .unwrap_or(DEFAULT_SAMPLES),
            self.noise
                .or(recorded.map(|g| g.noise))
                .unwrap_or(default_noise),
            self.seed.or(recorded.map(|g| g.seed)).unwrap_or(0),
        )))
    }
}

/// The data for a model: features and targets (`eval`, `with_targets`), or
/// features with or without targets (`predict`).
fn load_data(
    spec: &str,
    m: &Loaded,
    with_targets: bool,
    limits: Limits,
    generated: &GeneratedFlags,
) -> Result<Dataset> {
    let (samples, noise, seed) =
        generated
            .resolve(spec, &m.meta)?
            .unwrap_or((DEFAULT_SAMPLES, DEFAULT_NOISE, 0));
    let out = *m.meta.layers.last().unwrap_or(&1);
    let target = if m.loss.is_classification() {
        TargetKind::Class
    } else {
        TargetKind::Values { k: out }
    };
    let opts = LoadOptions {
        target,
        class_names: m.meta.classes.clone(),
        max_inflate: limits.max_inflate_mib.saturating_mul(1 << 20),
        max_classes: limits.max_classes,
        // `eval` scores BCE targets, so they must be probabilities.
        unit_targets: with_targets && m.loss == Loss::Bce,
        samples,
        noise,
        seed,
    };
    // A pipe can be read once: keep its bytes for the second try below.
    let piped = match std::fs::metadata(spec) {
        Ok(md) if !md.is_file() && !md.is_dir() => {
            Some(read_maybe_gz(Path::new(spec), opts.max_inflate)?)
        }
        _ => None,
    };
    let load = |o: &LoadOptions| match &piped {
        Some(bytes) => Dataset::parse_csv(spec, bytes, o),
        None => Dataset::load(spec, o),
    };
    let first = load(&opts);
    let data = match first {
        Ok(d) if d.dim() == m.meta.layers[0] => d,
        // Limits, memory, unreadable or missing files: no second try.
        Err(
            e @ (DataError::Limit { .. }
            | DataError::Alloc { .. }
            | DataError::Io { .. }
            | DataError::UnknownSpec { .. }),
        ) => return Err(e.into()),
        // Maybe features only: `predict` takes them, `eval` needs targets.
        first => {
            let features_only = LoadOptions {
                target: TargetKind::Values { k: 0 },
                unit_targets: false,
                ..opts
            };
            match load(&features_only) {
                Ok(d) if d.dim() == m.meta.layers[0] => {
                    if with_targets {
                        let what = if m.loss.is_classification() {
                            "a class label column".to_string()
                        } else {
                            format!("{out} target column(s)")
                        };
                        anyhow::bail!(
                            "{spec}: no label/target column: eval needs the model's {} features followed by {what} (predict takes features alone)",
                            d.dim()
                        );
                    }
                    d
                }
                _ => first?,
            }
        }
    };
    if data.dim() != m.meta.layers[0] {
        anyhow::bail!(
            "{spec}: {} features, but the model expects {}",
            data.dim(),
            m.meta.layers[0]
        );
    }
    Ok(data)
}

pub fn eval(a: EvalArgs) -> Result<()> {
    let m = load(&a.model)?;
    let outputs = *m.meta.layers.last().unwrap_or(&1);
    if m.loss.is_classification() && outputs > a.limits.max_classes {
        anyhow::bail!(
            "{}: the model has {outputs} classes (limit {} classes, for the confusion matrix; raise it with --max-classes)",
            a.model.display(),
            a.limits.max_classes
        );
    }
    let (limits, generated) = (a.limits, &a.generated);
    let data = load_data(&a.data, &m, true, limits, generated)?;
    let on_training_data = m.meta.data_fingerprint.as_deref() == Some(fingerprint(&data).as_str());
    let ev = evaluate(&m.mlp, &data, m.loss, m.std.as_ref(), 512)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if a.json {
        writeln!(
            out,
            "{}",
            json!({"loss": ev.loss, "accuracy": ev.accuracy, "confusion": ev.confusion})
        )?;
    } else {
        write_report(&mut out, &m, &ev, data.n)?;
    }
    // After the scores, once they are out: a closed or full stdout stays
    // the one message.
    out.flush()?;
    if on_training_data {
        eprintln!(
            "warning: {} is the data {} was trained on (same fingerprint), and eval has no split: the scores above include the training rows; score other data (e.g. another --seed) to measure generalisation",
            a.data,
            a.model.display()
        );
    }
    Ok(())
}

/// `eval`'s text report: loss, accuracy and the confusion matrix.
fn write_report(
    out: &mut impl std::io::Write,
    m: &Loaded,
    ev: &backprop::train::Evaluation,
    n: usize,
) -> Result<()> {
    writeln!(out, "loss {:.6}", ev.loss)?;
    if let Some(acc) = ev.accuracy {
        writeln!(out, "accuracy {acc:.4} ({n} samples)")?;
    }
    if let Some(conf) = &ev.confusion {
        let names = m
            .meta
            .classes
            .clone()
            .unwrap_or_else(|| (0..conf.len()).map(|i| i.to_string()).collect());
        let w = names.iter().map(|n| n.len()).max().unwrap_or(1).max(5);
        writeln!(
            out,
            "confusion matrix (rows = true class, columns = predicted):"
        )?;
        write!(out, "{:w$}", "")?;
        for n in &names {
            write!(out, " {n:>w$}")?;
        }
        writeln!(out)?;
        for (n, row) in names.iter().zip(conf) {
            write!(out, "{n:>w$}")?;
            for c in row {
                write!(out, " {c:>w$}")?;
            }
            writeln!(out)?;
        }
    }
    Ok(())
}

pub fn predict(a: PredictArgs) -> Result<()> {
    let m = load(&a.model)?;
    let (limits, generated) = (a.limits, &a.generated);
    let data = load_data(&a.data, &m, false, limits, generated)?;
    let dim = data.dim();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let k = *m.meta.layers.last().unwrap_or(&1);
    if m.loss.is_classification() {
        let names = m
            .meta
            .classes
            .clone()
            .unwrap_or_else(|| (0..k).map(|i| i.to_string()).collect());
        write!(out, "class")?;
        for n in &names {
            write!(out, ",p_{n}")?;
        }
        writeln!(out)?;
        for_batches(&m, &data, dim, |row| {
            let best = backprop::train::argmax(row);
            write!(out, "{}", names[best])?;
            for p in row {
                write!(out, ",{p}")?;
            }
            writeln!(out)?;
            Ok(())
        })?;
    } else {
        writeln!(
            out,
            "{}",
            (0..k)
                .map(|i| format!("y{i}"))
                .collect::<Vec<_>>()
                .join(",")
        )?;
        for_batches(&m, &data, dim, |row| {
            writeln!(
                out,
                "{}",
                row.iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            )?;
            Ok(())
        })?;
    }
    out.flush()?;
    Ok(())
}

/// Calls `f` with each row of the model's outputs, in data order.
fn for_batches(
    m: &Loaded,
    data: &Dataset,
    dim: usize,
    mut f: impl FnMut(&[f64]) -> Result<()>,
) -> Result<()> {
    // Row indices one batch at a time (no vector of all n rows).
    let mut idx = Vec::with_capacity(512);
    let mut x = Vec::new();
    for start in (0..data.n).step_by(512) {
        idx.clear();
        idx.extend(start..(start + 512).min(data.n));
        let idx = &idx[..];
        x.resize(idx.len() * dim, 0.0);
        data.gather_features(idx, m.std.as_ref(), &mut x);
        let probs = m
            .mlp
            .predict(&Tensor::from_vec(x.clone(), &[idx.len(), dim])?, m.loss)?;
        let k = probs.dims()[1];
        for row in probs.data().chunks(k) {
            f(row)?;
        }
    }
    Ok(())
}
