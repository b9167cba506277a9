//! [`ModelMeta`] and its place in the safetensors `__metadata__` map.
//!
//! The map (string → string) holds `"format": "pt"` (what PyTorch's
//! `safetensors.torch.save_file` writes) and, under [`META_KEY`], one JSON object:
//!
//! ```json
//! {"version": 1, "layers": [784, 128, 10], "activation": "relu", "bias": true,
//!  "loss": "cross-entropy", "classes": ["0", "1", …] | null,
//!  "standardize": {"mean": [..], "std": [..]} | null, "dtype": "F32",
//!  "data_fingerprint": "<64 hex digits>",
//!  "generated": {"set": "moons", "samples": 200, "noise": 0.1, "seed": 0}}
//! ```
//!
//! The object is (de)serialised by serde from [`ModelMeta`]; keys are written
//! in sorted order, floats in their shortest round-trip form and read back
//! exactly. Unknown keys are ignored, so later versions can add some;
//! `data_fingerprint` and `generated` are absent from files written before
//! they existed (and `generated` from models trained on file data).
//!
//! [`ModelMeta::validate`] is the one place where every field is checked:
//! names that parse, sizes that fit the layers, finite numbers. It runs on
//! every load and every save, and the loader then checks the tensors against
//! the layers.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::IoError;
use crate::nn::{Activation, Loss};

/// The `__metadata__` key holding the model's JSON description.
pub const META_KEY: &str = "backprop";

/// The version of the JSON layout under [`META_KEY`] that this code writes.
pub const META_VERSION: u64 = 1;

/// Everything `eval`/`predict` need besides the weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    /// Layer sizes, input first: `[784, 128, 10]` is two `Linear` layers.
    pub layers: Vec<usize>,
    /// The hidden activation's name, e.g. `"relu"` (see [`Activation`]).
    pub activation: String,
    /// Whether the `Linear` layers have biases.
    pub bias: bool,
    /// The loss's name, e.g. `"cross-entropy"` (see [`Loss`]).
    pub loss: String,
    /// Class names, output index order (classification only).
    #[serde(default)]
    pub classes: Option<Vec<String>>,
    /// Input standardisation `(mean, std)`, one entry per feature.
    #[serde(default, with = "standardize_json")]
    pub standardize: Option<(Vec<f64>, Vec<f64>)>,
    /// The dtype the weights are stored in: `"F32"` or `"F64"`.
    pub dtype: String,
    /// The training data's [`fingerprint`](crate::data::fingerprint), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_fingerprint: Option<String>,
    /// The generated set the model was trained on, with its samples, noise
    /// and seed (absent for file data, and from files written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<GeneratedMeta>,
}

/// How a generated training set was made: `"generated": {"set": "moons",
/// "samples": 200, "noise": 0.1, "seed": 0}`. `eval` and `predict` default
/// their `--samples`, `--noise` and `--seed` to these for the same set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratedMeta {
    /// The set's name, one of [`GENERATED_SETS`](crate::data::GENERATED_SETS).
    pub set: String,
    /// Points generated (`--samples`), before any test split.
    pub samples: usize,
    /// Noise level (`--noise`).
    pub noise: f64,
    /// Seed of the points (`--seed`).
    pub seed: u64,
}

/// `"standardize": {"mean": [...], "std": [...]}` ⇄ `Option<(mean, std)>`.
mod standardize_json {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Pair {
        mean: Vec<f64>,
        std: Vec<f64>,
    }

    type Value = Option<(Vec<f64>, Vec<f64>)>;

    pub fn serialize<S: Serializer>(v: &Value, s: S) -> Result<S::Ok, S::Error> {
        v.as_ref()
            .map(|(mean, std)| Pair {
                mean: mean.clone(),
                std: std.clone(),
            })
            .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        Ok(Option::<Pair>::deserialize(d)?.map(|p| (p.mean, p.std)))
    }
}

impl ModelMeta {
    /// The architecture as the CLI spells it, for messages: `--layers 784,128,10`
    /// (with ` --no-bias` appended when there are no biases).
    pub fn arch(&self) -> String {
        arch(&self.layers, self.bias)
    }

    /// Checks every field (see [`ModelMeta::check`]); `path` labels the error.
    pub fn validate(&self, path: &Path) -> Result<(), IoError> {
        self.check()
            .map_err(|detail| IoError::metadata(path, detail))
    }

    /// The parsed hidden activation (valid once [`validate`](Self::validate)d).
    pub fn activation(&self) -> Result<Activation, String> {
        self.activation.parse()
    }

    /// The parsed loss (valid once [`validate`](Self::validate)d).
    pub fn loss(&self) -> Result<Loss, String> {
        self.loss.parse()
    }

    /// The consistency rules: at least two positive layer sizes; an activation
    /// and a loss this program knows; a dtype of `F32` or `F64`; class names
    /// (classification losses only) non-empty, distinct and exactly one per
    /// output; one finite mean and one finite positive deviation per input;
    /// a fingerprint of 64 lowercase hex digits; a generated set this program
    /// knows, with at least one sample and a noise level in `[0, MAX_NOISE]`.
    pub fn check(&self) -> Result<(), String> {
        let (inputs, outputs) = match self.layers[..] {
            [first, .., last] if !self.layers.contains(&0) => (first, last),
            _ => {
                return Err(format!(
                    "layers {:?}: expected at least two sizes, all positive",
                    self.layers
                ))
            }
        };
        self.activation()
            .map_err(|e| format!("activation {:?}: {e}", self.activation))?;
        let loss = self
            .loss()
            .map_err(|e| format!("loss {:?}: {e}", self.loss))?;
        if self.dtype != "F32" && self.dtype != "F64" {
            return Err(format!(
                "dtype {:?}: expected \"F32\" or \"F64\"",
                self.dtype
            ));
        }
        if let Some(names) = &self.classes {
            if !loss.is_classification() {
                return Err(format!(
                    "classes given for the {} loss, which has none",
                    self.loss
                ));
            }
            if names.len() != outputs {
                return Err(format!(
                    "{} class names for {outputs} outputs: expected one name per output",
                    names.len()
                ));
            }
            if let Some(i) = names.iter().position(|n| n.trim().is_empty()) {
                return Err(format!("class name {} is empty", i + 1));
            }
            let mut sorted: Vec<&String> = names.iter().collect();
            sorted.sort();
            if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
                return Err(format!("class name {:?} appears twice", w[0]));
            }
        }
        if let Some((mean, std)) = &self.standardize {
            if mean.len() != inputs || std.len() != inputs {
                let (m, s) = (mean.len(), std.len());
                return Err(format!(
                    "standardize: {m} means and {s} deviations for {inputs} inputs: expected one of each per input"
                ));
            }
            if !mean.iter().all(|x| x.is_finite()) || !std.iter().all(|x| x.is_finite() && *x > 0.0)
            {
                return Err(
                    "standardize: expected finite means and finite positive deviations".into(),
                );
            }
        }
        if let Some(g) = &self.generated {
            if !crate::data::is_generated(&g.set) {
                return Err(format!(
                    "generated.set {:?}: expected one of {}",
                    g.set,
                    crate::data::GENERATED_SETS.join(", ")
                ));
            }
            if g.samples == 0 {
                return Err("generated.samples 0: expected at least 1".into());
            }
            if !(0.0..=crate::data::MAX_NOISE).contains(&g.noise) {
                return Err(format!(
                    "generated.noise {}: expected a noise level in [0, {}]",
                    g.noise,
                    crate::data::MAX_NOISE
                ));
            }
        }
        if let Some(f) = &self.data_fingerprint {
            let hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
            if f.len() != 64 || !f.chars().all(hex) {
                return Err(format!(
                    "data_fingerprint {f:?}: expected 64 lowercase hex digits"
                ));
            }
        }
        Ok(())
    }

    /// The JSON object stored under [`META_KEY`] (keys sorted, `version` included).
    pub fn to_json(&self) -> Value {
        let mut v = serde_json::to_value(self).expect("plain data serialises");
        v["version"] = META_VERSION.into();
        v
    }

    /// Reads the JSON object stored under [`META_KEY`] and [`check`](Self::check)s it.
    pub fn from_json(value: &Value) -> Result<Self, String> {
        let obj = value.as_object().ok_or("expected a JSON object")?;
        match obj.get("version") {
            None => {}
            Some(v) if v.as_u64().is_some_and(|v| (1..=META_VERSION).contains(&v)) => {}
            Some(v) => {
                return Err(format!(
                    "version {v} is not supported (this program reads 1 to {META_VERSION})"
                ))
            }
        }
        let meta = ModelMeta::deserialize(value).map_err(|e| e.to_string())?;
        meta.check()?;
        Ok(meta)
    }
}

/// `--layers 784,128,10`, plus ` --no-bias` when `bias` is false.
pub(crate) fn arch(layers: &[usize], bias: bool) -> String {
    let sizes: Vec<String> = layers.iter().map(usize::to_string).collect();
    let suffix = if bias { "" } else { " --no-bias" };
    format!("--layers {}{suffix}", sizes.join(","))
}

/// The `__metadata__` map for a model: `format` and the JSON under [`META_KEY`].
pub(crate) fn to_map(meta: &ModelMeta) -> HashMap<String, String> {
    HashMap::from([
        ("format".to_string(), "pt".to_string()),
        (META_KEY.to_string(), meta.to_json().to_string()),
    ])
}

/// The [`ModelMeta`] in a `__metadata__` map; `None` when the key is absent (a PyTorch file).
pub(crate) fn from_map(
    path: &Path,
    map: Option<&HashMap<String, String>>,
) -> Result<Option<ModelMeta>, IoError> {
    let Some(text) = map.and_then(|m| m.get(META_KEY)) else {
        return Ok(None);
    };
    from_text(path, text).map(Some)
}

/// The [`ModelMeta`] in the JSON text stored under [`META_KEY`]; `path` labels errors.
///
/// The entry point of the metadata fuzz target: any text gives a
/// `ModelMeta` that passed [`ModelMeta::check`], or an error.
pub fn from_text(path: &Path, text: &str) -> Result<ModelMeta, IoError> {
    let bad = |detail: String| IoError::metadata(path, format!("\"{META_KEY}\": {detail}"));
    let value = serde_json::from_str::<serde_json::Value>(text)
        .map_err(|e| bad(format!("invalid JSON: {e}")))?;
    ModelMeta::from_json(&value).map_err(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ModelMeta {
        ModelMeta {
            layers: vec![4, 3, 3],
            activation: "tanh".into(),
            bias: true,
            loss: "cross_entropy".into(),
            classes: Some(vec![
                "setosa".into(),
                "versi\"color".into(),
                "virginica".into(),
            ]),
            standardize: Some((
                vec![
                    5.843333333333334,
                    3.0573333333333337,
                    3.758,
                    1.1993333333333336,
                ],
                vec![
                    0.8253012917851409,
                    0.4344109677354946,
                    1.759404065775303,
                    0.7596926279021594,
                ],
            )),
            dtype: "F64".into(),
            data_fingerprint: Some("0123456789abcdef".repeat(4)),
            generated: None,
        }
    }

    #[test]
    fn round_trips_through_the_map_exactly() {
        let meta = sample();
        let map = to_map(&meta);
        assert_eq!(map["format"], "pt");
        let back = from_map(Path::new("m"), Some(&map)).unwrap().unwrap();
        assert_eq!(back, meta);
        let (m, s) = back.standardize.unwrap();
        let (m0, s0) = meta.standardize.unwrap();
        assert!(m
            .iter()
            .chain(&s)
            .zip(m0.iter().chain(&s0))
            .all(|(a, b)| a.to_bits() == b.to_bits()));
    }

    #[test]
    fn optional_fields_may_be_null_or_absent() {
        let mut meta = sample();
        meta.classes = None;
        meta.standardize = None;
        let back = from_map(Path::new("m"), Some(&to_map(&meta))).unwrap();
        assert_eq!(back, Some(meta));
        let text =
            r#"{"layers":[2,1],"activation":"relu","bias":false,"loss":"mse","dtype":"F32"}"#;
        let map = HashMap::from([(META_KEY.to_string(), text.to_string())]);
        let m = from_map(Path::new("m"), Some(&map)).unwrap().unwrap();
        assert_eq!((m.layers, m.bias, m.classes), (vec![2, 1], false, None));
    }

    #[test]
    fn the_json_spelling_is_fixed() {
        let meta = ModelMeta {
            layers: vec![2, 3],
            activation: "relu".into(),
            bias: true,
            loss: "cross-entropy".into(),
            classes: Some(vec!["a".into(), "b".into(), "c".into()]),
            standardize: Some((vec![0.5, -1.0], vec![2.0, 0.1])),
            dtype: "F32".into(),
            data_fingerprint: None,
            generated: None,
        };
        assert_eq!(
            to_map(&meta)[META_KEY],
            r#"{"activation":"relu","bias":true,"classes":["a","b","c"],"dtype":"F32","layers":[2,3],"loss":"cross-entropy","standardize":{"mean":[0.5,-1.0],"std":[2.0,0.1]},"version":1}"#
        );
    }

    #[test]
    fn the_generated_set_is_spelled_and_read_back() {
        let meta = ModelMeta {
            layers: vec![2, 2],
            activation: "tanh".into(),
            bias: true,
            loss: "cross-entropy".into(),
            classes: None,
            standardize: None,
            dtype: "F32".into(),
            data_fingerprint: None,
            generated: Some(GeneratedMeta {
                set: "spirals".into(),
                samples: 100,
                noise: 0.02,
                seed: 7,
            }),
        };
        let text = &to_map(&meta)[META_KEY];
        assert_eq!(
            text,
            r#"{"activation":"tanh","bias":true,"classes":null,"dtype":"F32","generated":{"noise":0.02,"samples":100,"seed":7,"set":"spirals"},"layers":[2,2],"loss":"cross-entropy","standardize":null,"version":1}"#
        );
        assert_eq!(from_text(Path::new("m"), text).unwrap(), meta);
    }

    #[test]
    fn no_key_means_no_metadata() {
        let map = HashMap::from([("format".to_string(), "pt".to_string())]);
        assert_eq!(from_map(Path::new("m"), Some(&map)).unwrap(), None);
        assert_eq!(from_map(Path::new("m"), None).unwrap(), None);
    }

    #[test]
    fn bad_metadata_names_the_file_and_the_problem() {
        let cases = [
            ("{not json", "invalid JSON"),
            ("[1, 2]", "expected a JSON object"),
            (
                r#"{"activation":"relu","bias":true,"loss":"mse","dtype":"F32"}"#,
                "missing field `layers`",
            ),
            (
                r#"{"layers":[2,-1],"activation":"relu","bias":true,"loss":"mse","dtype":"F32"}"#,
                "expected usize",
            ),
            (
                r#"{"layers":[2],"activation":"relu","bias":true,"loss":"mse","dtype":"F32"}"#,
                "at least two sizes",
            ),
            (
                r#"{"layers":[2,1],"activation":"relu","bias":1,"loss":"mse","dtype":"F32"}"#,
                "expected a boolean",
            ),
            (
                r#"{"layers":[2,1],"activation":"relu","bias":true,"loss":"mse","dtype":"F16"}"#,
                "dtype \"F16\"",
            ),
            (
                r#"{"version":2,"layers":[2,1],"activation":"relu","bias":true,"loss":"mse","dtype":"F32"}"#,
                "version",
            ),
            (
                r#"{"layers":[2,1],"activation":"relu","bias":true,"loss":"mse","dtype":"F32","standardize":{"mean":[0,1],"std":[1]}}"#,
                "2 means and 1 deviations for 2 inputs",
            ),
            (
                r#"{"layers":[2,3],"activation":"relu","bias":true,"loss":"cross-entropy","dtype":"F32","classes":["a","b"]}"#,
                "2 class names for 3 outputs",
            ),
            (
                r#"{"layers":[2,2],"activation":"relu","bias":true,"loss":"cross-entropy","dtype":"F32","classes":[]}"#,
                "0 class names for 2 outputs",
            ),
            (
                r#"{"layers":[2,2],"activation":"relu","bias":true,"loss":"cross-entropy","dtype":"F32","classes":["a","a"]}"#,
                "appears twice",
            ),
            (
                r#"{"layers":[2,1],"activation":"relu","bias":true,"loss":"mse","dtype":"F32","classes":["a"]}"#,
                "classes given for the mse loss",
            ),
            (
                r#"{"layers":[2,1],"activation":"swish","bias":true,"loss":"mse","dtype":"F32"}"#,
                "activation \"swish\"",
            ),
            (
                r#"{"layers":[2,1],"activation":"relu","bias":true,"loss":"hinge","dtype":"F32"}"#,
                "loss \"hinge\"",
            ),
            (
                r#"{"layers":[2,1],"activation":"relu","bias":true,"loss":"mse","dtype":"F32","standardize":{"mean":[0],"std":[1]}}"#,
                "1 means and 1 deviations for 2 inputs",
            ),
            (
                r#"{"layers":[2,1],"activation":"relu","bias":true,"loss":"mse","dtype":"F32","standardize":{"mean":[0,0],"std":[1,0]}}"#,
                "finite positive deviations",
            ),
            (
                r#"{"layers":[2,1],"activation":"relu","bias":true,"loss":"mse","dtype":"F32","data_fingerprint":"xyz"}"#,
                "64 lowercase hex digits",
            ),
            (
                r#"{"layers":[2,2],"activation":"relu","bias":true,"loss":"mse","dtype":"F32","generated":{"set":"blob","samples":10,"noise":0.1,"seed":0}}"#,
                "generated.set \"blob\"",
            ),
            (
                r#"{"layers":[2,2],"activation":"relu","bias":true,"loss":"mse","dtype":"F32","generated":{"set":"xor","samples":0,"noise":0.1,"seed":0}}"#,
                "generated.samples 0",
            ),
            (
                r#"{"layers":[2,2],"activation":"relu","bias":true,"loss":"mse","dtype":"F32","generated":{"set":"xor","samples":4,"noise":-1,"seed":0}}"#,
                "generated.noise -1",
            ),
            (
                r#"{"layers":[2,2],"activation":"relu","bias":true,"loss":"mse","dtype":"F32","generated":{"set":"xor","samples":4,"noise":0.1}}"#,
                "missing field `seed`",
            ),
        ];
        for (text, want) in cases {
            let map = HashMap::from([(META_KEY.to_string(), text.to_string())]);
            let err = from_map(Path::new("dir/m.safetensors"), Some(&map)).unwrap_err();
            let msg = err.to_string();
            assert!(
                msg.starts_with("dir/m.safetensors: bad metadata: \"backprop\": "),
                "{msg}"
            );
            assert!(msg.contains(want), "{msg} lacks {want}");
            assert!(!msg.contains('\n'), "{msg}");
        }
    }

    #[test]
    fn arch_spells_the_cli_flag() {
        assert_eq!(arch(&[784, 128, 10], true), "--layers 784,128,10");
        assert_eq!(arch(&[3, 1], false), "--layers 3,1 --no-bias");
    }
}
