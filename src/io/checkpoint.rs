//! Checkpoints (format 2): a model file plus the optimiser and the training state.
//!
//! * The parameters are stored exactly as in a model file, with the same
//!   [`ModelMeta`], so a checkpoint is also a valid model file (loadable by
//!   [`load_model`](super::load_model), by `--init-from`, and by PyTorch
//!   after dropping the `optim.` tensors).
//! * The optimiser's per-parameter state is keyed by parameter and PyTorch's
//!   slot name ([`OptimConfig::slots`]): [`OPTIM_PREFIX`]` + `[`optim_state_name`],
//!   e.g. `optim.state.0.weight.exp_avg`.
//! * Everything else resuming depends on is [`TrainState`], JSON under the
//!   `__metadata__` key [`CHECKPOINT_KEY`]: the optimiser's kind and
//!   hyper-parameters, its step count, the epoch, seed, batch size, shuffling
//!   and the history of epoch metrics.
//!
//! [`load_checkpoint`] checks all of it against itself: the state names a
//! known optimiser with sane numbers; there is exactly one state tensor of the
//! parameter's shape per parameter and slot once a step was taken, and none
//! before; every value is finite. A format-1 checkpoint (written before the
//! optimiser was stored) is refused with a message naming `--init-from`.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::format;
use super::meta::to_map;
use super::model::{checked_meta, encode_all, from_bytes};
use super::{mlp_params, write_atomic, IoError, ModelMeta, OPTIM_PREFIX};
use crate::float::Float;
use crate::optim::{OptimConfig, Optimizer};
use crate::tensor::Tensor;

/// The `__metadata__` key holding a checkpoint's [`TrainState`] as JSON.
pub const CHECKPOINT_KEY: &str = "backprop.checkpoint";

/// The checkpoint format this code writes and reads.
pub const CHECKPOINT_FORMAT: u32 = 2;

/// The largest epoch number a checkpoint may record.
pub const MAX_EPOCH: u64 = u32::MAX as u64;

/// Everything needed to resume training.
#[derive(Clone, Debug)]
pub struct Checkpoint<T: Float> {
    /// The MLP's parameters in layer order (`0.weight`, `0.bias`, `2.weight`, …).
    pub params: Vec<(String, Tensor<T>)>,
    /// The architecture and training settings.
    pub meta: ModelMeta,
    /// The optimiser: its rule and hyper-parameters, step count, and its
    /// state keyed by parameter name ([`Optimizer::names`]; a loaded
    /// checkpoint names them in the order of `params`; an optimiser used
    /// positionally, without names, is saved in the order of `params`).
    pub optimizer: Optimizer<T>,
    /// The rest of the training state.
    pub state: TrainState,
}

/// The training state of a checkpoint besides tensors (stored as JSON).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainState {
    /// [`CHECKPOINT_FORMAT`].
    pub format: u32,
    /// Epochs completed (at least 1, at most [`MAX_EPOCH`]).
    pub epoch: u64,
    /// The seed of the initial weights and the shuffles.
    pub seed: u64,
    /// The mini-batch size the epochs so far used.
    pub batch_size: usize,
    /// The number of epochs the run was asked for.
    pub epochs: usize,
    /// Whether each epoch shuffles the rows.
    pub shuffle: bool,
    /// The fraction of the data's last rows held out as the test set.
    pub test_fraction: f64,
    /// The optimiser's rule and hyper-parameters.
    pub optimizer: OptimConfig,
    /// Optimiser steps taken (Adam's bias correction depends on it).
    pub optimizer_steps: u64,
    /// Per epoch: `[epoch, train loss, test loss, train accuracy, test accuracy]`.
    pub history: Vec<HistoryRow>,
}

/// One epoch's metrics in a checkpoint: epoch, train loss, test loss, train
/// accuracy, test accuracy (`null` where absent or not finite).
pub type HistoryRow = (u64, Option<f64>, Option<f64>, Option<f64>, Option<f64>);

/// The name of one optimiser slot of one parameter, PyTorch-like:
/// `("0.weight", "exp_avg")` → `"state.0.weight.exp_avg"` (stored as `optim.state.0.weight.exp_avg`).
pub fn optim_state_name(param: &str, slot: &str) -> String {
    format!("state.{param}.{slot}")
}

/// Saves a checkpoint atomically (see the [module docs](self) for the layout).
pub fn save_checkpoint<T: Float>(path: &Path, ck: &Checkpoint<T>) -> Result<(), IoError> {
    let meta = checked_meta::<T>(path, &ck.params, &ck.meta)?;
    let state = TrainState {
        format: CHECKPOINT_FORMAT,
        optimizer: ck.optimizer.config,
        optimizer_steps: ck.optimizer.steps,
        ..ck.state.clone()
    };
    check_state(&state).map_err(|e| IoError::invalid(path, format!("cannot save: {e}")))?;
    let mut tensors = encode_all(&ck.params, "");
    tensors.extend(encode_all(
        &state_tensors(&ck.params, &ck.optimizer),
        OPTIM_PREFIX,
    ));
    let mut map = to_map(&meta);
    let json = serde_json::to_string(&state).expect("plain data serialises");
    map.insert(CHECKPOINT_KEY.to_string(), json);
    let bytes = format::encode(path, &tensors, map)?;
    write_atomic(path, &bytes)
}

/// Loads a checkpoint, converting its tensors to `T` (`meta.dtype` keeps the
/// stored dtype). Errors like [`load_model`](super::load_model), and when the
/// file lacks the checkpoint state or it does not hold together (see the
/// [module docs](self)).
pub fn load_checkpoint<T: Float>(path: &Path) -> Result<Checkpoint<T>, IoError> {
    checkpoint_from_bytes(path, &format::read(path)?)
}

/// [`load_checkpoint`] on bytes already read; `path` only labels errors. Any
/// bytes give a checked checkpoint or an error, never a panic: the entry
/// point of the checkpoint fuzz target.
pub fn checkpoint_from_bytes<T: Float>(
    path: &Path,
    bytes: &[u8],
) -> Result<Checkpoint<T>, IoError> {
    let (file, metadata) = from_bytes(path, bytes)?;
    let state = read_state(path, metadata.as_ref())?;
    let meta = file.meta.clone().ok_or_else(|| {
        IoError::metadata(
            path,
            "no \"backprop\" key: not a checkpoint written by backprop",
        )
    })?;
    let params = mlp_params(&file, &meta.layers, meta.bias, path)?;
    let stored: Vec<(String, Tensor<T>)> = file
        .tensors
        .iter()
        .filter_map(|(name, t)| Some((name.strip_prefix(OPTIM_PREFIX)?.to_string(), t.to_float())))
        .collect();
    let optimizer = restore_optimizer(path, &state, &params, stored)?;
    Ok(Checkpoint {
        params,
        meta,
        optimizer,
        state,
    })
}

/// The optimiser's state tensors, named by parameter and slot.
fn state_tensors<T: Float>(
    params: &[(String, Tensor<T>)],
    optim: &Optimizer<T>,
) -> Vec<(String, Tensor<T>)> {
    let slots = optim.config.slots();
    let mut out = Vec::new();
    for (i, (name, _)) in params.iter().enumerate() {
        // Keyed by name once the optimiser knows its parameters' names;
        // by position before (the positional API).
        let i = if optim.names.is_empty() {
            i
        } else {
            match optim.names.iter().position(|n| n == name) {
                Some(i) => i,
                None => continue,
            }
        };
        for (slot, list) in slots.iter().zip([&optim.first, &optim.second]) {
            if let Some(Some(t)) = list.get(i) {
                out.push((optim_state_name(name, slot), t.clone()));
            }
        }
    }
    out
}

/// The optimiser the state and tensors describe; every tensor must have its
/// place, and every place its tensor once a step was taken.
fn restore_optimizer<T: Float>(
    path: &Path,
    state: &TrainState,
    params: &[(String, Tensor<T>)],
    mut stored: Vec<(String, Tensor<T>)>,
) -> Result<Optimizer<T>, IoError> {
    let bad = |detail: String| IoError::metadata(path, detail);
    let mut optim = Optimizer::new(state.optimizer);
    optim.steps = state.optimizer_steps;
    optim.first = vec![None; params.len()];
    optim.second = vec![None; params.len()];
    optim.names = params.iter().map(|(n, _)| n.clone()).collect();
    let slots = state.optimizer.slots();
    let kind = state.optimizer.kind.name();
    for (i, (name, p)) in params.iter().enumerate() {
        for (s, slot) in slots.iter().enumerate() {
            let key = optim_state_name(name, slot);
            let found = stored.iter().position(|(n, _)| *n == key);
            let t = match (found, state.optimizer_steps) {
                (None, 0) => continue,
                (None, steps) => {
                    return Err(bad(format!(
                        "missing tensor {OPTIM_PREFIX}{key}: {kind} after {steps} steps keeps {slot} for every parameter"
                    )))
                }
                (Some(_), 0) => {
                    return Err(bad(format!(
                        "tensor {OPTIM_PREFIX}{key} present, but the optimizer took no step"
                    )))
                }
                (Some(j), _) => stored.swap_remove(j).1,
            };
            if t.dims() != p.dims() {
                return Err(IoError::WrongShape {
                    path: path.to_path_buf(),
                    name: format!("{OPTIM_PREFIX}{key}"),
                    got: t.dims().to_vec(),
                    expected: p.dims().to_vec(),
                    arch: format!("parameter {name}"),
                });
            }
            let list = if s == 0 {
                &mut optim.first
            } else {
                &mut optim.second
            };
            list[i] = Some(t);
        }
    }
    if let Some((name, _)) = stored.first() {
        return Err(bad(format!(
            "unexpected tensor {OPTIM_PREFIX}{name}: {kind} keeps {}",
            if slots.is_empty() {
                "no state".to_string()
            } else {
                format!("state.<parameter>.{}", slots.join("|"))
            }
        )));
    }
    Ok(optim)
}

/// The [`TrainState`] under [`CHECKPOINT_KEY`], parsed and checked.
fn read_state(
    path: &Path,
    metadata: Option<&HashMap<String, String>>,
) -> Result<TrainState, IoError> {
    let text = metadata
        .and_then(|m| m.get(CHECKPOINT_KEY))
        .ok_or_else(|| {
            IoError::metadata(
                path,
                format!("no \"{CHECKPOINT_KEY}\" key: a model file, not a checkpoint"),
            )
        })?;
    state_from_text(text).map_err(|e| IoError::metadata(path, format!("\"{CHECKPOINT_KEY}\": {e}")))
}

/// Parses and checks the JSON of a [`TrainState`].
fn state_from_text(text: &str) -> Result<TrainState, String> {
    let value = serde_json::from_str::<serde_json::Value>(text)
        .map_err(|e| format!("invalid JSON: {e}"))?;
    match value.get("format") {
        Some(f) if f.as_u64() == Some(u64::from(CHECKPOINT_FORMAT)) => {}
        None => {
            return Err("checkpoint format 1 does not record its optimizer, so it cannot be resumed; start from its weights with --init-from".into())
        }
        Some(f) => return Err(format!("format {f} is not supported (this program reads {CHECKPOINT_FORMAT})")),
    }
    let state: TrainState =
        serde_path_to_error::deserialize(&value).map_err(|e| match e.path().to_string() {
            p if p == "." => e.inner().to_string(),
            p => format!("{p}: {}", e.inner()),
        })?;
    check_state(&state)?;
    Ok(state)
}

/// The rules a [`TrainState`] must follow.
fn check_state(s: &TrainState) -> Result<(), String> {
    if !(1..=MAX_EPOCH).contains(&s.epoch) {
        return Err(format!("epoch {}: expected 1 to {MAX_EPOCH}", s.epoch));
    }
    if s.batch_size == 0 || s.epochs == 0 {
        return Err("batch_size and epochs must be at least 1".into());
    }
    if !(0.0..1.0).contains(&s.test_fraction) {
        return Err(format!(
            "test_fraction {}: expected a fraction in [0, 1)",
            s.test_fraction
        ));
    }
    s.optimizer.check().map_err(|e| format!("optimizer: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_json(edit: impl FnOnce(&mut serde_json::Value)) -> String {
        let mut v = serde_json::json!({
            "format": 2, "epoch": 3, "seed": 0, "batch_size": 32, "epochs": 10,
            "shuffle": true, "test_fraction": 0.0, "optimizer_steps": 12,
            "optimizer": {"kind": "adam", "lr": 0.001, "momentum": 0.0, "nesterov": false,
                          "weight_decay": 0.0, "betas": [0.9, 0.999], "eps": 1e-8},
            "history": [[1, 0.5, null, 0.9, null]],
        });
        edit(&mut v);
        v.to_string()
    }

    #[test]
    fn a_good_state_parses() {
        let s = state_from_text(&state_json(|_| {})).unwrap();
        assert_eq!((s.epoch, s.optimizer_steps), (3, 12));
        assert_eq!(s.optimizer.kind, crate::optim::OptimKind::Adam);
        assert_eq!(s.history[0], (1, Some(0.5), None, Some(0.9), None));
    }

    #[test]
    fn bad_states_name_the_field() {
        type Edit = fn(&mut serde_json::Value);
        let cases: [(Edit, &str); 8] = [
            (
                |v| v["epoch"] = u64::MAX.into(),
                "epoch 18446744073709551615: expected 1 to 4294967295",
            ),
            (|v| v["epoch"] = 0.into(), "epoch 0: expected 1"),
            (
                |v| v["optimizer_steps"] = "many".into(),
                "optimizer_steps: invalid type: string \"many\"",
            ),
            (
                |v| v["optimizer"]["kind"] = "rmsprop".into(),
                "optimizer.kind: unknown variant `rmsprop`",
            ),
            (
                |v| v["optimizer"]["lr"] = (-1.0).into(),
                "optimizer: lr -1 is out of range",
            ),
            (
                |v| v["optimizer"]["betas"] = serde_json::json!([0.9, 1.0]),
                "betas[1] 1 is out of range",
            ),
            (
                |v| {
                    v.as_object_mut().unwrap().remove("format");
                },
                "checkpoint format 1",
            ),
            (
                |v| {
                    v.as_object_mut().unwrap().remove("seed");
                },
                "missing field `seed`",
            ),
        ];
        for (edit, want) in cases {
            let err = state_from_text(&state_json(edit)).unwrap_err();
            assert!(err.contains(want), "{err:?} lacks {want:?}");
        }
    }
}
