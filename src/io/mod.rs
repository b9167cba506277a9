//! Model files: safetensors laid out like PyTorch's `nn.Sequential`.
//!
//! An MLP with layer sizes `[784, 128, 10]` is stored as the `state_dict` of
//! `nn.Sequential(Linear(784, 128), act, Linear(128, 10))`: `0.weight [128, 784]`,
//! `0.bias [128]`, `2.weight [10, 128]`, `2.bias [10]` — layer `i` is module
//! `2·i` ([`linear_name`]). So `model.load_state_dict(safetensors.torch.load_file(path))`
//! works in PyTorch, and a file PyTorch saved that way loads here
//! ([`load_model`] + [`mlp_params`], the architecture from the caller).
//!
//! Tensors are stored in the training dtype (F32 or F64) and loaded in the
//! stored dtype as [`AnyTensor`], convertible either way. The `__metadata__`
//! map holds `"format": "pt"` and, under [`META_KEY`], the [`ModelMeta`] as
//! JSON (layout in [`meta`]), so `eval`/`predict` need nothing else.
//! Checkpoints add optimiser tensors and the training state ([`checkpoint`]).
//!
//! Every write goes through [`write_atomic`]. Every read error is an
//! [`IoError`] whose one-line message starts with the file's path.
//!
//! ```no_run
//! use std::path::Path;
//! use backprop::io::{load_model, mlp_params};
//! # fn main() -> Result<(), backprop::io::IoError> {
//! let path = Path::new("model.safetensors");
//! let file = load_model(path)?;
//! let meta = file.meta.clone().expect("a file saved by backprop");
//! let params = mlp_params::<f32>(&file, &meta.layers, meta.bias, path)?;
//! assert_eq!(params[0].0, "0.weight");
//! # Ok(()) }
//! ```

mod atomic;
pub mod checkpoint;
mod error;
mod format;
mod json;
pub mod meta;
mod model;
mod tensors;

#[cfg(test)]
mod test_util;
#[cfg(test)]
mod tests;

pub use atomic::{check_output, probe_output, same_file, write_atomic};
pub use checkpoint::{
    checkpoint_from_bytes, load_checkpoint, optim_state_name, save_checkpoint, Checkpoint,
    HistoryRow, TrainState, CHECKPOINT_FORMAT, CHECKPOINT_KEY, MAX_EPOCH,
};
pub use error::IoError;
pub use meta::{from_text as meta_from_text, GeneratedMeta, ModelMeta, META_KEY, META_VERSION};
pub use model::{expected_params, load_model, mlp_params, save_model, ModelFile};
pub use tensors::AnyTensor;

/// The prefix of optimiser tensors in a checkpoint (`optim.state.0.weight.exp_avg`).
pub const OPTIM_PREFIX: &str = "optim.";

/// The `state_dict` name of an MLP layer's parameter: layer `i` is module
/// `2·i` of the `nn.Sequential` (activations sit in between).
///
/// ```
/// assert_eq!(backprop::io::linear_name(1, "weight"), "2.weight");
/// ```
pub fn linear_name(layer: usize, what: &str) -> String {
    format!("{}.{what}", 2 * layer)
}
