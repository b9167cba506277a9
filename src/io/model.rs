//! Model files: [`save_model`], [`load_model`] and [`mlp_params`] for an
//! MLP with its metadata; [`save_module`] and [`load_module`] for any [`Module`].

use std::collections::HashMap;
use std::path::Path;

use super::format::{self, Decoded};
use super::meta::{self, arch};
use super::tensors::Encoded;
use super::{linear_name, write_atomic, AnyTensor, IoError, ModelMeta, OPTIM_PREFIX};
use crate::float::Float;
use crate::nn::{Module, Visitor, VisitorMut};
use crate::tensor::Tensor;

/// A loaded model file: its tensors in their stored dtype and, for our own
/// files, the [`ModelMeta`] (`None` for a file saved by PyTorch).
#[derive(Clone, Debug, PartialEq)]
pub struct ModelFile {
    /// Every tensor, ordered by name with numeric parts compared as numbers
    /// (`0.bias, 0.weight, 2.bias, …, 10.weight, optim.…`).
    pub tensors: Vec<(String, AnyTensor)>,
    /// The architecture and training settings, when the file carries them.
    pub meta: Option<ModelMeta>,
}

impl ModelFile {
    /// Decodes a model file's bytes (what [`load_model`] does after reading
    /// the file); `path` only labels errors. Any bytes give a checked file or
    /// an error, never a panic: the entry point of the model fuzz target.
    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<ModelFile, IoError> {
        from_bytes(path, bytes).map(|(file, _)| file)
    }

    /// The tensor called `name`, if present.
    pub fn get(&self, name: &str) -> Option<&AnyTensor> {
        self.tensors.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }
}

/// Saves an MLP's parameters (named by [`linear_name`]) and its metadata to
/// `path` atomically, in `T`'s dtype. The parameters are checked against
/// `meta.layers`/`meta.bias` first; the stored `dtype` is `T::DTYPE`
/// whatever `meta.dtype` says.
pub fn save_model<T: Float>(
    path: &Path,
    params: &[(String, Tensor<T>)],
    meta: &ModelMeta,
) -> Result<(), IoError> {
    let meta = checked_meta::<T>(path, params, meta)?;
    let tensors = encode_all(params, "");
    let bytes = format::encode(path, &tensors, meta::to_map(&meta))?;
    write_atomic(path, &bytes)
}

/// Loads a model file (ours or PyTorch's `save_file` of a `state_dict`).
///
/// Errors name the file: truncated, not safetensors, unsupported dtype, a
/// NaN or infinite value, bad metadata ([`ModelMeta::check`]), or metadata
/// that does not fit the tensors (their dtype, names and shapes).
pub fn load_model(path: &Path) -> Result<ModelFile, IoError> {
    load_with_metadata(path).map(|(file, _)| file)
}

/// [`load_model`], also returning the raw `__metadata__` map.
pub(crate) fn load_with_metadata(
    path: &Path,
) -> Result<(ModelFile, Option<HashMap<String, String>>), IoError> {
    let bytes = format::read(path)?;
    from_bytes(path, &bytes)
}

/// [`load_with_metadata`] on bytes already read; `path` labels errors.
pub(crate) fn from_bytes(
    path: &Path,
    bytes: &[u8],
) -> Result<(ModelFile, Option<HashMap<String, String>>), IoError> {
    let Decoded { tensors, metadata } = format::decode_file(path, bytes)?;
    let meta = meta::from_map(path, metadata.as_ref())?;
    let file = ModelFile { tensors, meta };
    check_finite(path, &file)?;
    check_dtypes(path, &file)?;
    if let Some(meta) = &file.meta {
        let found: Vec<(&str, &[usize])> = file
            .tensors
            .iter()
            .map(|(n, t)| (n.as_str(), t.dims()))
            .collect();
        check_architecture(path, &found, &meta.layers, meta.bias)?;
    }
    Ok((file, metadata))
}

/// The MLP's parameters in layer order (`0.weight`, `0.bias`, `2.weight`, …),
/// checked against `layers`/`bias` and converted to `T`.
///
/// Errors on a missing tensor, a wrong shape
/// (`m.safetensors: tensor 2.weight has shape [10, 64], expected [10, 128] for --layers 784,128,10`)
/// or a tensor the architecture has no place for (tensors under `optim.` are
/// optimiser state and ignored).
pub fn mlp_params<T: Float>(
    file: &ModelFile,
    layers: &[usize],
    bias: bool,
    path: &Path,
) -> Result<Vec<(String, Tensor<T>)>, IoError> {
    let found: Vec<(&str, &[usize])> = file
        .tensors
        .iter()
        .map(|(n, t)| (n.as_str(), t.dims()))
        .collect();
    let expected = check_architecture(path, &found, layers, bias)?;
    Ok(expected
        .into_iter()
        .map(|(name, _)| {
            let t = file.get(&name).expect("checked present").to_float();
            (name, t)
        })
        .collect())
}

/// The parameter names and shapes an MLP with these sizes has, in layer order.
pub fn expected_params(layers: &[usize], bias: bool) -> Vec<(String, Vec<usize>)> {
    let mut out = Vec::new();
    for (i, pair) in layers.windows(2).enumerate() {
        out.push((linear_name(i, "weight"), vec![pair[1], pair[0]]));
        if bias {
            out.push((linear_name(i, "bias"), vec![pair[1]]));
        }
    }
    out
}

/// `meta` with `dtype = T::DTYPE`, validated, and `params` checked against it.
pub(crate) fn checked_meta<T: Float>(
    path: &Path,
    params: &[(String, Tensor<T>)],
    meta: &ModelMeta,
) -> Result<ModelMeta, IoError> {
    let meta = ModelMeta {
        dtype: T::DTYPE.to_string(),
        ..meta.clone()
    };
    meta.validate(path)?;
    let found: Vec<(&str, &[usize])> = params.iter().map(|(n, t)| (n.as_str(), t.dims())).collect();
    check_architecture(path, &found, &meta.layers, meta.bias)?;
    Ok(meta)
}

/// Encodes tensors under `prefix + name`.
pub(crate) fn encode_all<T: Float>(
    tensors: &[(String, Tensor<T>)],
    prefix: &str,
) -> Vec<(String, Encoded)> {
    tensors
        .iter()
        .map(|(name, t)| (format!("{prefix}{name}"), Encoded::new(t)))
        .collect()
}

/// Checks `found` (name, shape) against the architecture; returns the expected list.
fn check_architecture(
    path: &Path,
    found: &[(&str, &[usize])],
    layers: &[usize],
    bias: bool,
) -> Result<Vec<(String, Vec<usize>)>, IoError> {
    if layers.len() < 2 || layers.contains(&0) {
        let why = format!("layer sizes {layers:?}: expected at least two sizes, all positive");
        return Err(IoError::invalid(path, why));
    }
    let expected = expected_params(layers, bias);
    check_tensors(path, found, &expected, &arch(layers, bias))?;
    Ok(expected)
}

/// Checks `found` (name, shape) against `expected`: every expected tensor is
/// there with its shape, and nothing else is but optimiser state (`optim.`).
/// `arch` says in the error what was expected (`2-2-1 without biases`, `the module`).
fn check_tensors(
    path: &Path,
    found: &[(&str, &[usize])],
    expected: &[(String, Vec<usize>)],
    arch: &str,
) -> Result<(), IoError> {
    for (name, shape) in expected {
        let got = found.iter().find(|(n, _)| n == name).map(|(_, d)| *d);
        match got {
            None => {
                return Err(IoError::MissingTensor {
                    path: path.to_path_buf(),
                    name: name.clone(),
                    arch: arch.to_string(),
                })
            }
            Some(got) if got != shape.as_slice() => {
                return Err(IoError::WrongShape {
                    path: path.to_path_buf(),
                    name: name.clone(),
                    got: got.to_vec(),
                    expected: shape.clone(),
                    arch: arch.to_string(),
                })
            }
            Some(_) => {}
        }
    }
    let unexpected = found
        .iter()
        .find(|(n, _)| !n.starts_with(OPTIM_PREFIX) && !expected.iter().any(|(e, _)| e == n));
    if let Some((name, _)) = unexpected {
        return Err(IoError::UnexpectedTensor {
            path: path.to_path_buf(),
            name: name.to_string(),
            arch: arch.to_string(),
        });
    }
    Ok(())
}

/// Every value of every tensor must be finite.
fn check_finite(path: &Path, file: &ModelFile) -> Result<(), IoError> {
    for (name, t) in &file.tensors {
        if let Some((index, value)) = t.first_non_finite() {
            return Err(IoError::NonFinite {
                path: path.to_path_buf(),
                name: name.clone(),
                index,
                value,
            });
        }
    }
    Ok(())
}

/// With metadata, every tensor must be stored in the dtype the metadata names.
fn check_dtypes(path: &Path, file: &ModelFile) -> Result<(), IoError> {
    let Some(meta) = &file.meta else {
        return Ok(());
    };
    match file.tensors.iter().find(|(_, t)| t.dtype() != meta.dtype) {
        Some((name, t)) => Err(IoError::metadata(
            path,
            format!(
                "dtype {} but tensor {name} is stored as {}",
                meta.dtype,
                t.dtype()
            ),
        )),
        None => Ok(()),
    }
}

/// Saves any [`Module`]'s parameters to `path` atomically, under their
/// `state_dict` names ([`Module::visit`]), in `T`'s dtype, with PyTorch's
/// `"format": "pt"` metadata: `safetensors.torch.load_file` reads it into a
/// PyTorch module with the same names.
///
/// ```
/// use backprop::io::{load_module, save_module};
/// use backprop::nn::{Activation, Init, Mlp, Module};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = std::env::temp_dir().join(format!("backprop-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("net.safetensors");
/// let net = Mlp::<f32>::new(&[2, 4, 1], Activation::Tanh, true, Init::Torch, 0)?;
/// save_module(&path, &net)?;
/// let mut back = Mlp::<f32>::new(&[2, 4, 1], Activation::Tanh, true, Init::Torch, 1)?;
/// load_module(&path, &mut back)?;
/// assert_eq!(back, net);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(()) }
/// ```
pub fn save_module<T: Float, M: Module<T> + ?Sized>(path: &Path, m: &M) -> Result<(), IoError> {
    let tensors = encode_all(&m.named_parameters(), "");
    let metadata = HashMap::from([("format".to_string(), "pt".to_string())]);
    let bytes = format::encode(path, &tensors, metadata)?;
    write_atomic(path, &bytes)
}

/// Loads every parameter of `m` from a safetensors file (ours, from
/// [`save_module`] or [`save_model`], or PyTorch's `save_file` of a
/// `state_dict`), converting to `T`.
///
/// The file must hold exactly the module's parameters (tensors under
/// `optim.`, a checkpoint's optimiser state, are ignored) with their shapes;
/// otherwise the error names the first tensor that does not fit
/// (`m.safetensors: tensor 0.weight has shape [4, 2], expected [8, 2] for
/// the module`) and `m` is left as it was. Errors like [`load_model`] for a
/// file that is not a valid model file.
pub fn load_module<T: Float, M: Module<T> + ?Sized>(path: &Path, m: &mut M) -> Result<(), IoError> {
    let (file, _) = load_with_metadata(path)?;
    let mut expected: Vec<(String, Vec<usize>)> = Vec::new();
    let mut name = String::new();
    m.visit(&mut Visitor::new(&mut name, &mut |n, t| {
        expected.push((n.to_string(), t.dims().to_vec()))
    }));
    let found: Vec<(&str, &[usize])> = file
        .tensors
        .iter()
        .map(|(n, t)| (n.as_str(), t.dims()))
        .collect();
    check_tensors(path, &found, &expected, "the module")?;
    name.clear();
    m.visit_mut(&mut VisitorMut::new(&mut name, &mut |n, t| {
        if let Some(stored) = file.get(n) {
            *t = stored.to_float();
        }
    }));
    Ok(())
}
