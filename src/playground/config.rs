//! A playground session's configuration: the request body as sent, and the
//! full configuration once every omitted field has its default.

use serde::{Deserialize, Serialize};

use std::sync::Arc;

use super::{Limits, PlaygroundError, Upload};
use crate::data::generated::{resolve_lr, train_defaults, GENERAL_DEFAULTS, GENERATED_SETS};
use crate::nn::{Activation, Init, Loss};
use crate::optim::OptimKind;

/// A configuration as a client sends it: the fields are named like
/// `backprop train`'s flags, and any may be omitted.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigRequest {
    /// xor, moons, circles, spirals or blobs (default moons), or `upload:<id>`.
    pub dataset: Option<String>,
    /// Number of generated points (default 200).
    pub samples: Option<usize>,
    /// Noise of the generated points (default: the set's).
    pub noise: Option<f64>,
    /// The last ⌊F·n⌋ points are the test set (default 0).
    pub test_fraction: Option<f64>,
    /// Layer sizes, input first (default: 2, the set's hidden sizes, the outputs of `loss`).
    pub layers: Option<Vec<usize>>,
    /// Hidden activation (default: the set's).
    pub activation: Option<String>,
    /// Whether layers have biases (default true).
    pub bias: Option<bool>,
    /// cross-entropy (default), bce or mse.
    pub loss: Option<String>,
    /// sgd, momentum, adam or adamw (default: the set's).
    pub optimizer: Option<String>,
    /// Learning rate (default: the set's, or 0.01 when `optimizer` is given).
    pub lr: Option<f64>,
    /// Mini-batch size, 0 for the full batch (default: the set's).
    pub batch_size: Option<usize>,
    /// Seed of the data, the weights and the shuffles (default 0).
    pub seed: Option<u32>,
    /// torch (default), xavier, he or uniform01.
    pub init: Option<String>,
    /// f32 (default) or f64.
    pub dtype: Option<String>,
}

/// The notebook preset as a client sends it: `{"preset": "notebook"}` with
/// optionally `walkthrough`'s `seed`, `lr` and `layers`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresetRequest {
    /// Must be `"notebook"`.
    pub preset: String,
    /// `np.random.seed` (default 42).
    pub seed: Option<u32>,
    /// Learning rate (default 1).
    pub lr: Option<f64>,
    /// Layer sizes `2,H…,1` (default 2,2,1).
    pub layers: Option<Vec<usize>>,
}

/// The full configuration of a session, every field resolved.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Config {
    /// `"notebook"` for the notebook preset, else `null`.
    pub preset: Option<&'static str>,
    /// The generated set (`"xor"` for the preset: the notebook's 4 points).
    pub dataset: String,
    /// Number of points.
    pub samples: usize,
    /// Noise of the points.
    pub noise: f64,
    /// Fraction of points held out as the test set.
    pub test_fraction: f64,
    /// Layer sizes, input first.
    pub layers: Vec<usize>,
    /// Hidden activation.
    pub activation: String,
    /// Whether layers have biases.
    pub bias: bool,
    /// The loss (`half-sse`, ½Σ(y−ŷ)², for the preset).
    pub loss: String,
    /// The optimiser.
    pub optimizer: String,
    /// Learning rate.
    pub lr: f64,
    /// Mini-batch size; 0 is the full batch.
    pub batch_size: usize,
    /// Seed.
    pub seed: u32,
    /// Initialiser (`numpy-rand` for the preset).
    pub init: String,
    /// Element type.
    pub dtype: String,
}

/// A configuration resolved and checked, with its parsed values.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The configuration as reported.
    pub config: Config,
    /// Parsed `activation`.
    pub activation: Activation,
    /// Parsed `loss` (unused by the preset).
    pub loss: Loss,
    /// Parsed `optimizer`.
    pub optimizer: OptimKind,
    /// Parsed `init` (unused by the preset).
    pub init: Init,
    /// Whether `dtype` is f64.
    pub f64: bool,
    /// The uploaded data set, for a `dataset` of `upload:<id>`.
    pub upload: Option<Arc<Upload>>,
}

fn bad(field: &str, why: impl Into<String>) -> PlaygroundError {
    PlaygroundError::BadField {
        field: field.into(),
        why: why.into(),
    }
}

fn parse<T: std::str::FromStr<Err = String>>(
    field: &str,
    v: Option<&str>,
    default: T,
) -> Result<T, PlaygroundError> {
    match v {
        None => Ok(default),
        Some(s) => s.parse().map_err(|e: String| bad(field, e)),
    }
}

/// Parses a request body: a configuration, or the notebook preset when it
/// has a `preset` field. Errors name the offending field. No upload exists.
pub fn parse_body(body: &[u8], limits: &Limits) -> Result<Resolved, PlaygroundError> {
    parse_body_with(body, limits, &|_| None)
}

/// Looks up an upload by name (`upload:<id>`).
pub type Uploads<'a> = &'a dyn Fn(&str) -> Option<Arc<Upload>>;

/// [`parse_body`] where a `dataset` of `upload:<id>` is looked up in `uploads`.
pub fn parse_body_with(
    body: &[u8],
    limits: &Limits,
    uploads: Uploads<'_>,
) -> Result<Resolved, PlaygroundError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| bad("body", format!("malformed JSON: {e}")))?;
    if !value.is_object() {
        return Err(bad("body", "expected a JSON object"));
    }
    let field_error = |e: serde_path_to_error::Error<serde_json::Error>| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // "unknown field `x`, expected …" names its field itself.
        let field = if path == "." {
            inner.split('`').nth(1).unwrap_or("body").to_string()
        } else {
            path
        };
        bad(&field, inner)
    };
    if value.get("preset").is_some() {
        let req: PresetRequest = serde_path_to_error::deserialize(value).map_err(field_error)?;
        resolve_preset(&req, limits)
    } else {
        let req: ConfigRequest = serde_path_to_error::deserialize(value).map_err(field_error)?;
        resolve_with(&req, limits, uploads)
    }
}

fn check_layers(layers: &[usize], limits: &Limits) -> Result<(), PlaygroundError> {
    if layers.len() < 2 || layers.contains(&0) {
        return Err(bad(
            "layers",
            "expected at least an input and an output size, all positive",
        ));
    }
    if layers.len() - 2 > limits.max_hidden_layers {
        return Err(bad(
            "layers",
            format!(
                "{} hidden layers, over the limit of {}",
                layers.len() - 2,
                limits.max_hidden_layers
            ),
        ));
    }
    if let Some(&big) = layers[1..layers.len() - 1]
        .iter()
        .find(|&&n| n > limits.max_units)
    {
        return Err(bad(
            "layers",
            format!(
                "a hidden layer of {big} units, over the limit of {}",
                limits.max_units
            ),
        ));
    }
    Ok(())
}

fn positive_lr(lr: f64) -> Result<(), PlaygroundError> {
    if lr.is_finite() && lr > 0.0 {
        Ok(())
    } else {
        Err(bad(
            "lr",
            format!("{lr}: the learning rate must be a positive finite number"),
        ))
    }
}

/// Resolves a configuration as `train --data SET` resolves its flags: each
/// omitted field takes the set's default ([`train_defaults`]).
pub fn resolve(r: &ConfigRequest, limits: &Limits) -> Result<Resolved, PlaygroundError> {
    resolve_with(r, limits, &|_| None)
}

/// [`resolve`] where a `dataset` of `upload:<id>` is looked up in `uploads`:
/// its rows are the points (no `samples` or `noise`), and the settings'
/// defaults are those of `train --data FILE.csv`.
pub fn resolve_with(
    r: &ConfigRequest,
    limits: &Limits,
    uploads: Uploads<'_>,
) -> Result<Resolved, PlaygroundError> {
    let dataset = r.dataset.clone().unwrap_or_else(|| "moons".into());
    let upload = if dataset.starts_with("upload:") {
        let u = uploads(&dataset).ok_or_else(|| {
            bad(
                "dataset",
                format!("no upload {dataset:?} (never uploaded, or expired)"),
            )
        })?;
        for (field, given) in [
            ("samples", r.samples.is_some()),
            ("noise", r.noise.is_some()),
        ] {
            if given {
                return Err(bad(
                    field,
                    "an uploaded data set has its own points: omit this field",
                ));
            }
        }
        Some(u)
    } else {
        None
    };
    let d = match (&upload, train_defaults(&dataset)) {
        (Some(_), _) => GENERAL_DEFAULTS,
        (None, Some(d)) => d,
        (None, None) => {
            return Err(bad(
                "dataset",
                format!(
                    "unknown dataset {dataset:?}: expected one of {}, or upload:<id> from POST /api/datasets",
                    GENERATED_SETS.join(", ")
                ),
            ))
        }
    };
    let samples = match &upload {
        Some(u) => u.rows,
        None => r.samples.unwrap_or(crate::data::DEFAULT_SAMPLES),
    };
    if samples == 0 || samples > limits.max_samples {
        return Err(bad(
            "samples",
            format!("{samples}: expected 1 to {} samples", limits.max_samples),
        ));
    }
    let noise = if upload.is_some() {
        0.0
    } else {
        r.noise.unwrap_or(d.noise)
    };
    if !(0.0..=crate::data::MAX_NOISE).contains(&noise) {
        return Err(bad(
            "noise",
            format!(
                "{noise}: expected a noise level in [0, {}]",
                crate::data::MAX_NOISE
            ),
        ));
    }
    let test_fraction = r.test_fraction.unwrap_or(0.0);
    if !(0.0..1.0).contains(&test_fraction) {
        return Err(bad(
            "test_fraction",
            format!("{test_fraction}: expected a fraction in [0, 1)"),
        ));
    }
    if samples - (test_fraction * samples as f64).floor() as usize == 0 {
        return Err(bad("test_fraction", "no training points left"));
    }
    let activation = parse("activation", r.activation.as_deref(), d.activation)?;
    let loss = parse("loss", r.loss.as_deref(), Loss::CrossEntropy)?;
    let optimizer = parse("optimizer", r.optimizer.as_deref(), d.optimizer)?;
    let init = parse("init", r.init.as_deref(), Init::Torch)?;
    let lr = resolve_lr(r.lr, r.optimizer.is_some(), &d);
    positive_lr(lr)?;
    let f64 = match r.dtype.as_deref().unwrap_or("f32") {
        "f32" => false,
        "f64" => true,
        other => {
            return Err(bad(
                "dtype",
                format!("unknown dtype {other:?}: expected f32 or f64"),
            ))
        }
    };
    let outputs = if loss == Loss::CrossEntropy { 2 } else { 1 };
    let layers = r.layers.clone().unwrap_or_else(|| {
        let mut l = vec![2];
        l.extend(d.hidden);
        l.push(outputs);
        l
    });
    check_layers(&layers, limits)?;
    if layers[0] != 2 {
        return Err(bad(
            "layers",
            "the points have 2 coordinates, so the first size must be 2",
        ));
    }
    if layers[layers.len() - 1] != outputs {
        return Err(bad(
            "layers",
            format!(
                "loss {} needs {outputs} outputs, so the last size must be {outputs}",
                loss.name()
            ),
        ));
    }
    let batch_size = r.batch_size.unwrap_or(d.batch_size);
    Ok(Resolved {
        config: Config {
            preset: None,
            dataset,
            samples,
            noise,
            test_fraction,
            layers,
            activation: activation.name().into(),
            bias: r.bias.unwrap_or(true),
            loss: loss.name().into(),
            optimizer: optimizer.name().into(),
            lr,
            batch_size,
            seed: r.seed.unwrap_or(0),
            init: init.name().into(),
            dtype: if f64 { "f64" } else { "f32" }.into(),
        },
        activation,
        loss,
        optimizer,
        init,
        f64,
        upload,
    })
}

/// Resolves the notebook preset with `walkthrough`'s defaults and checks.
pub fn resolve_preset(r: &PresetRequest, limits: &Limits) -> Result<Resolved, PlaygroundError> {
    if r.preset != "notebook" {
        return Err(bad(
            "preset",
            format!("unknown preset {:?}: expected notebook", r.preset),
        ));
    }
    let defaults = crate::walkthrough::Settings::default();
    let layers = r.layers.clone().unwrap_or(defaults.layers.clone());
    check_layers(&layers, limits)?;
    let settings = crate::walkthrough::Settings {
        seed: r.seed.unwrap_or(defaults.seed),
        lr: r.lr.unwrap_or(defaults.lr),
        layers,
        ..defaults
    };
    positive_lr(settings.lr)?;
    settings.validate().map_err(|e| {
        let field = if matches!(e, crate::walkthrough::WalkthroughError::Layers { .. }) {
            "layers"
        } else {
            "lr"
        };
        bad(field, e.to_string())
    })?;
    Ok(Resolved {
        config: Config {
            preset: Some("notebook"),
            dataset: "xor".into(),
            samples: 4,
            noise: 0.0,
            test_fraction: 0.0,
            layers: settings.layers,
            activation: "sigmoid".into(),
            bias: false,
            loss: "half-sse".into(),
            optimizer: "sgd".into(),
            lr: settings.lr,
            batch_size: 0,
            seed: settings.seed,
            init: "numpy-rand".into(),
            dtype: "f64".into(),
        },
        activation: Activation::Sigmoid,
        loss: Loss::Mse,
        optimizer: OptimKind::Sgd,
        init: Init::Uniform01,
        f64: true,
        upload: None,
    })
}
