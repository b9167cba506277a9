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
pub mod meta;
mod model;
mod tensors;

#[cfg(test)]
pub(crate) mod test_util;
#[cfg(test)]
mod tests;

pub use atomic::{check_output, probe_output, same_file, write_atomic};
pub use checkpoint::{
    checkpoint_from_bytes, load_checkpoint, optim_state_name, save_checkpoint, Checkpoint,
    HistoryRow, TrainState, CHECKPOINT_FORMAT, CHECKPOINT_KEY, MAX_EPOCH,
};
pub use error::IoError;
pub use meta::{from_text as meta_from_text, GeneratedMeta, ModelMeta, META_KEY, META_VERSION};
pub use model::{
    expected_params, load_model, load_module, mlp_params, save_model, save_module, ModelFile,
};
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

/// Metadata and checkpoints store `f64`s as JSON numbers in their shortest
/// round-trip form; `serde_json`'s `float_roundtrip` feature (enabled in
/// Cargo.toml) reads them back bit for bit. These tests hold it to that.
#[cfg(test)]
mod json_tests {

    /// A xorshift stream of floats spread over many magnitudes.
    fn floats(n: usize) -> Vec<f64> {
        let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..n)
            .map(|i| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let unit = (s >> 11) as f64 / (1u64 << 53) as f64;
                let scale = 10f64.powi(i as i32 % 40 - 20);
                if i % 2 == 0 {
                    unit * scale
                } else {
                    -unit * scale
                }
            })
            .collect()
    }

    #[test]
    fn floats_round_trip_bit_for_bit() {
        let xs = floats(20_000);
        let text = serde_json::to_string(&xs).unwrap();
        let back = serde_json::from_str::<serde_json::Value>(&text).unwrap();
        let back: Vec<f64> = back
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        for (x, y) in xs.iter().zip(&back) {
            assert_eq!(x.to_bits(), y.to_bits(), "{x:?} came back as {y:?}");
        }
    }

    #[test]
    fn integers_strings_and_structure_survive() {
        let text = r#"{"a": [1, -2, 18446744073709551615, 0.5e1], "s": "x\"1, 2\"\\", "n": null, "t": true}"#;
        let v = serde_json::from_str::<serde_json::Value>(text).unwrap();
        assert_eq!(v["a"][0].as_u64(), Some(1));
        assert_eq!(v["a"][1].as_i64(), Some(-2));
        assert_eq!(v["a"][2].as_u64(), Some(u64::MAX));
        assert_eq!(v["a"][3].as_f64(), Some(5.0));
        assert_eq!(v["s"].as_str(), Some("x\"1, 2\"\\"));
        assert!(v["n"].is_null());
        assert_eq!(v["t"].as_bool(), Some(true));
    }

    #[test]
    fn bad_json_is_an_error() {
        for text in [
            "",
            "{",
            "[1,]",
            "{\"a\": 1e999}",
            "[1-2]",
            "[--1]",
            "nul",
            "{\"a\" 1}",
        ] {
            assert!(
                serde_json::from_str::<serde_json::Value>(text).is_err(),
                "{text:?} parsed"
            );
        }
    }
}
