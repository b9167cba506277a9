//! [`AnyTensor`] (a tensor in its stored dtype) and the byte conversions to and
//! from safetensors' little-endian buffers.

use std::borrow::Cow;
use std::path::Path;

use safetensors::tensor::{Dtype, TensorView, View};

use super::IoError;
use crate::float::Float;
use crate::tensor::Tensor;

/// A tensor as stored in a file: `f32` or `f64`.
#[derive(Clone, Debug, PartialEq)]
pub enum AnyTensor {
    /// Stored as `F32`.
    F32(Tensor<f32>),
    /// Stored as `F64`.
    F64(Tensor<f64>),
}

impl AnyTensor {
    /// The axis lengths.
    pub fn dims(&self) -> &[usize] {
        match self {
            AnyTensor::F32(t) => t.dims(),
            AnyTensor::F64(t) => t.dims(),
        }
    }

    /// The stored dtype, `"F32"` or `"F64"`.
    pub fn dtype(&self) -> &'static str {
        match self {
            AnyTensor::F32(_) => f32::DTYPE,
            AnyTensor::F64(_) => f64::DTYPE,
        }
    }

    /// The flat index and value of the first NaN or infinite element, if any.
    pub fn first_non_finite(&self) -> Option<(usize, f64)> {
        fn find<T: Float>(t: &Tensor<T>) -> Option<(usize, f64)> {
            let i = t.data().iter().position(|v| !v.as_f64().is_finite())?;
            Some((i, t.data()[i].as_f64()))
        }
        match self {
            AnyTensor::F32(t) => find(t),
            AnyTensor::F64(t) => find(t),
        }
    }

    /// The tensor as `f32` (F64 values rounded to nearest).
    pub fn to_f32(&self) -> Tensor<f32> {
        self.to_float()
    }

    /// The tensor as `f64` (F32 values widened exactly).
    pub fn to_f64(&self) -> Tensor<f64> {
        self.to_float()
    }

    /// The tensor as `T`; a copy of the same bits when `T` is the stored dtype.
    pub fn to_float<T: Float>(&self) -> Tensor<T> {
        match self {
            AnyTensor::F32(t) => t.cast(),
            AnyTensor::F64(t) => t.cast(),
        }
    }
}

impl<T: Float> From<Tensor<T>> for AnyTensor {
    /// Wraps a tensor under its own dtype.
    fn from(t: Tensor<T>) -> Self {
        if T::DTYPE == f32::DTYPE {
            AnyTensor::F32(t.cast())
        } else {
            AnyTensor::F64(t.cast())
        }
    }
}

/// A tensor encoded for safetensors: dtype, shape and little-endian bytes.
pub(crate) struct Encoded {
    dtype: Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

impl Encoded {
    /// Encodes a tensor in its own dtype (exactly: `as_f64` widens without loss).
    pub(crate) fn new<T: Float>(t: &Tensor<T>) -> Self {
        let values = t.data().iter().map(|x| x.as_f64());
        let (dtype, bytes) = if T::DTYPE == f32::DTYPE {
            let bytes = values.flat_map(|x| (x as f32).to_le_bytes()).collect();
            (Dtype::F32, bytes)
        } else {
            (Dtype::F64, values.flat_map(f64::to_le_bytes).collect())
        };
        Encoded {
            dtype,
            shape: t.dims().to_vec(),
            bytes,
        }
    }
}

impl View for &Encoded {
    fn dtype(&self) -> Dtype {
        self.dtype
    }

    fn shape(&self) -> &[usize] {
        &self.shape
    }

    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.bytes)
    }

    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

/// Decodes one stored tensor; errors on dtypes other than F32/F64 and on ranks we cannot hold.
pub(crate) fn decode(path: &Path, name: &str, view: &TensorView<'_>) -> Result<AnyTensor, IoError> {
    let bytes = view.data();
    let tensor = match view.dtype() {
        Dtype::F32 => {
            let data = bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            Tensor::from_vec(data, view.shape()).map(AnyTensor::F32)
        }
        Dtype::F64 => {
            let data = bytes
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect();
            Tensor::from_vec(data, view.shape()).map(AnyTensor::F64)
        }
        other => {
            return Err(IoError::UnsupportedDtype {
                path: path.to_path_buf(),
                name: name.to_string(),
                dtype: other.to_string(),
            })
        }
    };
    tensor.map_err(|e| IoError::corrupt(path, format!("tensor {name}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_keep_shape_and_round_as_documented() {
        let t = Tensor::<f64>::from_vec(vec![0.1, -2.5, 1e300], &[3]).unwrap();
        let any = AnyTensor::from(t.clone());
        assert_eq!(any.dtype(), "F64");
        assert_eq!(any.dims(), &[3]);
        assert_eq!(any.to_f64(), t);
        assert_eq!(any.to_f32().data(), &[0.1f32, -2.5, f32::INFINITY]);
        let back = AnyTensor::from(any.to_f32());
        assert_eq!(back.dtype(), "F32");
        assert_eq!(back.to_f64().data()[0], 0.1f32 as f64);
    }

    #[test]
    fn encoding_is_little_endian_in_the_tensors_dtype() {
        let t = Tensor::<f32>::from_vec(vec![1.0, -0.5], &[2]).unwrap();
        let e = Encoded::new(&t);
        assert_eq!(e.dtype, Dtype::F32);
        assert_eq!(
            e.bytes,
            [1.0f32.to_le_bytes(), (-0.5f32).to_le_bytes()].concat()
        );
        let view = TensorView::new(Dtype::F32, vec![2], &e.bytes).unwrap();
        assert_eq!(
            decode(Path::new("x"), "t", &view).unwrap(),
            AnyTensor::F32(t)
        );
    }

    #[test]
    fn other_dtypes_are_refused_by_name() {
        let bytes = [0u8; 4];
        let view = TensorView::new(Dtype::F16, vec![2], &bytes).unwrap();
        let err = decode(Path::new("m.safetensors"), "0.weight", &view).unwrap_err();
        assert_eq!(
            err.to_string(),
            "m.safetensors: tensor 0.weight has unsupported dtype F16, expected F32 or F64"
        );
    }
}
