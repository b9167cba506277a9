//! [`ModelMeta`] and its place in the safetensors `__metadata__` map.
//!
//! The map (string → string) holds `"format": "pt"` (what PyTorch's
//! `safetensors.torch.save_file` writes) and, under [`META_KEY`], one JSON object:
//!
//! ```json
//! {"version": 1, "layers": [784, 128, 10], "activation": "relu", "bias": true,
//!  "loss": "cross_entropy", "classes": ["0", "1", …] | null,
//!  "standardize": {"mean": [..], "std": [..]} | null, "dtype": "F32"}
//! ```
//!
//! Floats are written in their shortest round-trip form and read back exactly
//! (with Rust's correctly rounded parser, not `serde_json`'s default one).
//! Unknown keys are ignored, so later versions can add some.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{json, Map, Value};

use super::json::parse_exact;
use super::IoError;

/// The `__metadata__` key holding the model's JSON description.
pub const META_KEY: &str = "backprop";

/// The version of the JSON layout under [`META_KEY`] that this code writes.
pub const META_VERSION: u64 = 1;

/// Everything `eval`/`predict` need besides the weights.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelMeta {
    /// Layer sizes, input first: `[784, 128, 10]` is two `Linear` layers.
    pub layers: Vec<usize>,
    /// The hidden activation's name, e.g. `"relu"`.
    pub activation: String,
    /// Whether the `Linear` layers have biases.
    pub bias: bool,
    /// The loss's name, e.g. `"cross_entropy"`.
    pub loss: String,
    /// Class names, output index order (classification only).
    pub classes: Option<Vec<String>>,
    /// Input standardisation `(mean, std)`, one entry per feature.
    pub standardize: Option<(Vec<f64>, Vec<f64>)>,
    /// The dtype the weights are stored in: `"F32"` or `"F64"`.
    pub dtype: String,
}

impl ModelMeta {
    /// The architecture as the CLI spells it, for messages: `--layers 784,128,10`
    /// (with ` --no-bias` appended when there are no biases).
    pub fn arch(&self) -> String {
        arch(&self.layers, self.bias)
    }

    /// Checks the fields for consistency; `path` only labels the error.
    pub fn validate(&self, path: &Path) -> Result<(), IoError> {
        check(self).map_err(|detail| IoError::metadata(path, detail))
    }

    /// The JSON object stored under [`META_KEY`].
    pub fn to_json(&self) -> Value {
        let standardize = self
            .standardize
            .as_ref()
            .map(|(mean, std)| json!({ "mean": mean, "std": std }));
        json!({
            "version": META_VERSION,
            "layers": self.layers,
            "activation": self.activation,
            "bias": self.bias,
            "loss": self.loss,
            "classes": self.classes,
            "standardize": standardize,
            "dtype": self.dtype,
        })
    }

    /// Reads the JSON object stored under [`META_KEY`] (then [`validate`](Self::validate) it).
    pub fn from_json(value: &Value) -> Result<Self, String> {
        let obj = value.as_object().ok_or("expected a JSON object")?;
        check_version(obj)?;
        let meta = ModelMeta {
            layers: layers(field(obj, "layers")?)?,
            activation: string(obj, "activation")?,
            bias: field(obj, "bias")?
                .as_bool()
                .ok_or("bias must be true or false")?,
            loss: string(obj, "loss")?,
            classes: optional(obj, "classes", classes)?,
            standardize: optional(obj, "standardize", standardize)?,
            dtype: string(obj, "dtype")?,
        };
        check(&meta)?;
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
    let bad = |detail: String| IoError::metadata(path, format!("\"{META_KEY}\": {detail}"));
    let value = parse_exact(text).map_err(|e| bad(format!("invalid JSON: {e}")))?;
    ModelMeta::from_json(&value).map(Some).map_err(bad)
}

/// The consistency rules for a [`ModelMeta`].
fn check(meta: &ModelMeta) -> Result<(), String> {
    if meta.layers.len() < 2 || meta.layers.contains(&0) {
        return Err(format!(
            "layers {:?}: expected at least two sizes, all positive",
            meta.layers
        ));
    }
    if meta.dtype != "F32" && meta.dtype != "F64" {
        return Err(format!(
            "dtype {:?}: expected \"F32\" or \"F64\"",
            meta.dtype
        ));
    }
    if let Some((mean, std)) = &meta.standardize {
        if mean.len() != std.len() {
            let (m, s) = (mean.len(), std.len());
            return Err(format!("standardize: {m} means but {s} deviations"));
        }
        if !mean.iter().chain(std).all(|x| x.is_finite()) {
            return Err("standardize: expected finite numbers".to_string());
        }
    }
    Ok(())
}

/// Refuses layouts newer than [`META_VERSION`]; a missing version means 1.
fn check_version(obj: &Map<String, Value>) -> Result<(), String> {
    match obj.get("version").map(Value::as_u64) {
        None => Ok(()),
        Some(Some(v)) if v <= META_VERSION => Ok(()),
        Some(v) => Err(format!(
            "version {v:?} is not supported (this program reads up to {META_VERSION})"
        )),
    }
}

/// A required key.
fn field<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<&'a Value, String> {
    obj.get(key).ok_or_else(|| format!("missing key \"{key}\""))
}

/// A required string.
fn string(obj: &Map<String, Value>, key: &str) -> Result<String, String> {
    field(obj, key)?
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{key} must be a string"))
}

/// An optional key: absent or `null` is `None`, else `read` parses it.
fn optional<T>(
    obj: &Map<String, Value>,
    key: &str,
    read: fn(&Value) -> Result<T, String>,
) -> Result<Option<T>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => read(v).map(Some),
    }
}

/// `"layers": [784, 128, 10]`.
fn layers(v: &Value) -> Result<Vec<usize>, String> {
    let bad = || "layers must be an array of positive integers".to_string();
    let items = v.as_array().ok_or_else(bad)?;
    items
        .iter()
        .map(|x| {
            x.as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(bad)
        })
        .collect()
}

/// `"classes": ["cat", "dog"]`.
fn classes(v: &Value) -> Result<Vec<String>, String> {
    let bad = || "classes must be an array of strings".to_string();
    let items = v.as_array().ok_or_else(bad)?;
    items
        .iter()
        .map(|x| x.as_str().map(str::to_string).ok_or_else(bad))
        .collect()
}

/// `"standardize": {"mean": [...], "std": [...]}`.
fn standardize(v: &Value) -> Result<(Vec<f64>, Vec<f64>), String> {
    let obj = v
        .as_object()
        .ok_or("standardize must be an object with \"mean\" and \"std\"")?;
    let numbers = |key: &str| -> Result<Vec<f64>, String> {
        let bad = || format!("standardize.{key} must be an array of numbers");
        let items = field(obj, key)?.as_array().ok_or_else(bad)?;
        items.iter().map(|x| x.as_f64().ok_or_else(bad)).collect()
    };
    Ok((numbers("mean")?, numbers("std")?))
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
                "missing key \"layers\"",
            ),
            (
                r#"{"layers":[2,-1],"activation":"relu","bias":true,"loss":"mse","dtype":"F32"}"#,
                "positive integers",
            ),
            (
                r#"{"layers":[2],"activation":"relu","bias":true,"loss":"mse","dtype":"F32"}"#,
                "at least two sizes",
            ),
            (
                r#"{"layers":[2,1],"activation":"relu","bias":1,"loss":"mse","dtype":"F32"}"#,
                "bias must be",
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
                "2 means but 1 deviations",
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
