//! [`IoError`]: every way reading or writing a model file can fail.

use std::path::{Path, PathBuf};

/// An error reading or writing a model or checkpoint file.
///
/// Every message is one line that starts with the file's path and says what
/// was expected, e.g.
/// `model.safetensors: tensor 2.weight has shape [10, 64], expected [10, 128] for --layers 784,128,10`.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// The file could not be opened or read.
    #[error("{}: cannot read: {source}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file (or its temporary sibling) could not be written or renamed.
    #[error("{}: cannot write: {source}", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file ends before its header or tensor data does.
    #[error("{}: truncated file: {detail}", .path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// How much was expected and how much is there.
        detail: String,
    },
    /// The file does not start like a safetensors file.
    #[error("{}: not a safetensors file: {detail}", .path.display())]
    NotSafetensors {
        /// The file.
        path: PathBuf,
        /// What was found instead.
        detail: String,
    },
    /// A safetensors header that is inconsistent (bad offsets, trailing bytes…).
    #[error("{}: corrupt safetensors file: {detail}", .path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is inconsistent.
        detail: String,
    },
    /// A tensor the architecture needs is not in the file.
    #[error("{}: missing tensor {name}, expected for {arch}", .path.display())]
    MissingTensor {
        /// The file.
        path: PathBuf,
        /// The tensor's name, e.g. `2.weight`.
        name: String,
        /// The architecture, e.g. `--layers 784,128,10`.
        arch: String,
    },
    /// A tensor the architecture has no place for.
    #[error("{}: unexpected tensor {name} for {arch}", .path.display())]
    UnexpectedTensor {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
        /// The architecture, e.g. `--layers 784,128,10 --no-bias`.
        arch: String,
    },
    /// A tensor whose shape does not fit the architecture.
    #[error("{}: tensor {name} has shape {got:?}, expected {expected:?} for {arch}", .path.display())]
    WrongShape {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
        /// The shape in the file.
        got: Vec<usize>,
        /// The shape the architecture needs.
        expected: Vec<usize>,
        /// The architecture, e.g. `--layers 784,128,10`.
        arch: String,
    },
    /// A tensor stored in a dtype other than F32 or F64.
    #[error("{}: tensor {name} has unsupported dtype {dtype}, expected F32 or F64", .path.display())]
    UnsupportedDtype {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
        /// The dtype in the file, e.g. `F16`.
        dtype: String,
    },
    /// A tensor holding NaN or an infinite value.
    #[error("{}: tensor {name} holds {value} at element {index}, expected finite numbers", .path.display())]
    NonFinite {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
        /// The flat (row-major) index of the first such element.
        index: usize,
        /// The value: NaN, inf or -inf.
        value: f64,
    },
    /// The `__metadata__` is missing a key, is not valid JSON, or does not fit the tensors.
    #[error("{}: bad metadata: {detail}", .path.display())]
    Metadata {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// Arguments that cannot be saved or used (bad layer sizes, duplicate names…).
    #[error("{}: {detail}", .path.display())]
    Invalid {
        /// The file being saved or read.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
}

/// Shorthands that attach the path; each returns the error for `?`/`map_err`.
impl IoError {
    pub(crate) fn truncated(path: &Path, detail: impl Into<String>) -> Self {
        IoError::Truncated {
            path: path.to_path_buf(),
            detail: detail.into(),
        }
    }

    pub(crate) fn not_safetensors(path: &Path, detail: impl Into<String>) -> Self {
        IoError::NotSafetensors {
            path: path.to_path_buf(),
            detail: detail.into(),
        }
    }

    pub(crate) fn corrupt(path: &Path, detail: impl Into<String>) -> Self {
        IoError::Corrupt {
            path: path.to_path_buf(),
            detail: detail.into(),
        }
    }

    pub(crate) fn metadata(path: &Path, detail: impl Into<String>) -> Self {
        IoError::Metadata {
            path: path.to_path_buf(),
            detail: detail.into(),
        }
    }

    pub(crate) fn invalid(path: &Path, detail: impl Into<String>) -> Self {
        IoError::Invalid {
            path: path.to_path_buf(),
            detail: detail.into(),
        }
    }

    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            IoError::Read { path, .. }
            | IoError::Write { path, .. }
            | IoError::Truncated { path, .. }
            | IoError::NotSafetensors { path, .. }
            | IoError::Corrupt { path, .. }
            | IoError::MissingTensor { path, .. }
            | IoError::UnexpectedTensor { path, .. }
            | IoError::WrongShape { path, .. }
            | IoError::UnsupportedDtype { path, .. }
            | IoError::NonFinite { path, .. }
            | IoError::Metadata { path, .. }
            | IoError::Invalid { path, .. } => path,
        }
    }
}
