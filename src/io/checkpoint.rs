//! Checkpoints: a model file plus optimiser tensors and the training state.
//!
//! The parameters are stored exactly as in a model file (so a checkpoint is
//! also a valid model file, loadable by [`load_model`](super::load_model) and
//! by PyTorch after dropping the `optim.` tensors); each optimiser tensor is
//! stored as [`OPTIM_PREFIX`]` + name`; the free-form state (epoch, seed,
//! step counters…) is JSON under the `__metadata__` key [`CHECKPOINT_KEY`].

use std::collections::HashMap;
use std::path::Path;

use super::format;
use super::json::parse_exact;
use super::meta::to_map;
use super::model::{checked_meta, encode_all, load_with_metadata};
use super::{mlp_params, write_atomic, IoError, ModelMeta, OPTIM_PREFIX};
use crate::float::Float;
use crate::tensor::Tensor;

/// The `__metadata__` key holding a checkpoint's training state as JSON.
pub const CHECKPOINT_KEY: &str = "backprop.checkpoint";

/// Everything needed to resume training.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint<T: Float> {
    /// The MLP's parameters in layer order (`0.weight`, `0.bias`, `2.weight`, …).
    pub params: Vec<(String, Tensor<T>)>,
    /// The architecture and training settings.
    pub meta: ModelMeta,
    /// Optimiser tensors by name (see [`optim_state_name`]); stored with the
    /// prefix [`OPTIM_PREFIX`], given back without it, ordered by name.
    pub optimizer: Vec<(String, Tensor<T>)>,
    /// Free-form training state: epoch, seed, optimiser step counters…
    pub state: serde_json::Value,
}

/// The name of one optimiser slot of one parameter, PyTorch-like:
/// `("0.weight", "exp_avg")` → `"state.0.weight.exp_avg"` (stored as `optim.state.0.weight.exp_avg`).
pub fn optim_state_name(param: &str, slot: &str) -> String {
    format!("state.{param}.{slot}")
}

/// Saves a checkpoint atomically (see the [module docs](self) for the layout).
pub fn save_checkpoint<T: Float>(path: &Path, ck: &Checkpoint<T>) -> Result<(), IoError> {
    let meta = checked_meta::<T>(path, &ck.params, &ck.meta)?;
    let mut tensors = encode_all(&ck.params, "");
    tensors.extend(encode_all(&ck.optimizer, OPTIM_PREFIX));
    let mut map = to_map(&meta);
    map.insert(CHECKPOINT_KEY.to_string(), ck.state.to_string());
    let bytes = format::encode(path, &tensors, map)?;
    write_atomic(path, &bytes)
}

/// Loads a checkpoint, converting its tensors to `T`. `meta.dtype` keeps the
/// stored dtype. Errors like [`load_model`](super::load_model) and [`mlp_params`], and when the
/// file lacks the model or checkpoint metadata.
pub fn load_checkpoint<T: Float>(path: &Path) -> Result<Checkpoint<T>, IoError> {
    let (file, metadata) = load_with_metadata(path)?;
    let state = read_state(path, metadata.as_ref())?;
    let meta = file.meta.clone().ok_or_else(|| {
        IoError::metadata(
            path,
            "no \"backprop\" key: not a checkpoint written by backprop",
        )
    })?;
    let params = mlp_params(&file, &meta.layers, meta.bias, path)?;
    let optimizer = file
        .tensors
        .iter()
        .filter_map(|(name, t)| Some((name.strip_prefix(OPTIM_PREFIX)?.to_string(), t.to_float())))
        .collect();
    Ok(Checkpoint {
        params,
        meta,
        optimizer,
        state,
    })
}

/// The JSON under [`CHECKPOINT_KEY`] (floats read exactly).
fn read_state(
    path: &Path,
    metadata: Option<&HashMap<String, String>>,
) -> Result<serde_json::Value, IoError> {
    let text = metadata
        .and_then(|m| m.get(CHECKPOINT_KEY))
        .ok_or_else(|| {
            IoError::metadata(
                path,
                format!("no \"{CHECKPOINT_KEY}\" key: a model file, not a checkpoint"),
            )
        })?;
    parse_exact(text)
        .map_err(|e| IoError::metadata(path, format!("\"{CHECKPOINT_KEY}\": invalid JSON: {e}")))
}
