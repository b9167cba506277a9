//! Tensors: an n-dimensional, row-major array of [`Float`]s.
//!
//! Storage is our own small type, a [`Shape`] (inline, `Copy`) and an owned
//! contiguous `Vec<T>`, rather than `ndarray`: the tape owns every value it
//! records and hands buffers back to a pool when it is cleared, so a tensor
//! never needs shared or strided views; transposed matrix operands are handled
//! by passing strides to the GEMM kernel instead (see [`gemm`]). That keeps the
//! type, its errors and its compile time small, and every kernel visible.

pub mod gemm;
pub mod product;
mod shape;

pub(crate) use shape::for_each_broadcast;
pub use shape::{Shape, MAX_RANK};

use crate::error::{ErrorKind, Result};
use crate::float::Float;

/// An n-dimensional row-major array of `f32` or `f64`.
///
/// ```
/// use backprop::Tensor;
/// let t = Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
/// assert_eq!(t.shape().dims(), &[2, 2]);
/// assert_eq!(t.at(&[1, 0]), 3.0);
/// ```
#[derive(Clone, PartialEq)]
pub struct Tensor<T: Float> {
    shape: Shape,
    data: Vec<T>,
}

/// An empty tensor: shape `[0]`, no elements, nothing allocated.
impl<T: Float> Default for Tensor<T> {
    fn default() -> Self {
        Tensor {
            shape: Shape::new(&[0]).expect("one axis"),
            data: Vec::new(),
        }
    }
}

impl<T: Float> Tensor<T> {
    /// A tensor from row-major data; errors if the length does not match the shape.
    pub fn from_vec(data: Vec<T>, dims: &[usize]) -> Result<Self> {
        let shape = Shape::new(dims)?;
        Self::from_shape_vec(shape, data)
    }

    /// A tensor from a [`Shape`] and row-major data.
    pub fn from_shape_vec(shape: Shape, data: Vec<T>) -> Result<Self> {
        if data.len() != shape.numel() {
            return Err(ErrorKind::LengthMismatch {
                shape,
                expected: shape.numel(),
                got: data.len(),
            }
            .into());
        }
        Ok(Tensor { shape, data })
    }

    /// A matrix from rows of `f64` (converted to `T`); errors on ragged rows.
    ///
    /// ```
    /// use backprop::Tensor;
    /// let w = Tensor::<f32>::from_rows(&[[0.5, 1.0], [2.0, 4.0]]).unwrap();
    /// assert_eq!(w.shape().dims(), &[2, 2]);
    /// ```
    pub fn from_rows<R: AsRef<[f64]>>(rows: &[R]) -> Result<Self> {
        let cols = rows.first().map_or(0, |r| r.as_ref().len());
        let mut data = Vec::with_capacity(rows.len() * cols);
        for r in rows {
            let r = r.as_ref();
            if r.len() != cols {
                return Err(ErrorKind::LengthMismatch {
                    shape: Shape::new(&[rows.len(), cols])?,
                    expected: rows.len() * cols,
                    got: data.len() + r.len(),
                }
                .into());
            }
            data.extend(r.iter().map(|&x| T::from_f64(x)));
        }
        Self::from_vec(data, &[rows.len(), cols])
    }

    /// A scalar (rank-0) tensor.
    pub fn scalar(x: T) -> Self {
        Tensor {
            shape: Shape::SCALAR,
            data: vec![x],
        }
    }

    /// A tensor filled with `value`.
    ///
    /// The element count is checked (an overflowing product of the axis
    /// lengths) and the memory reserved fallibly, so a shape too large for
    /// memory is [`ErrorKind::BadShape`] (op `"full"`), never an abort.
    ///
    /// ```
    /// use backprop::{error::ErrorKind, Tensor};
    /// let err = Tensor::<f32>::zeros(&[usize::MAX, 2]).unwrap_err();
    /// assert!(matches!(err.kind(), ErrorKind::BadShape { op: "full", .. }));
    /// ```
    #[track_caller]
    pub fn full(dims: &[usize], value: T) -> Result<Self> {
        let shape = Shape::new(dims)?;
        // No closures here: they would hide the caller's location.
        let Some(numel) = shape.checked_numel() else {
            return Err(too_large::<T>(shape, None));
        };
        let mut data = Vec::new();
        if data.try_reserve_exact(numel).is_err() {
            return Err(too_large::<T>(shape, Some(numel)));
        }
        data.resize(numel, value);
        Ok(Tensor { shape, data })
    }

    /// A tensor of zeros (fallible like [`Tensor::full`]).
    #[track_caller]
    pub fn zeros(dims: &[usize]) -> Result<Self> {
        Self::full(dims, T::zero())
    }

    /// A tensor of ones (fallible like [`Tensor::full`]).
    #[track_caller]
    pub fn ones(dims: &[usize]) -> Result<Self> {
        Self::full(dims, T::one())
    }

    pub(crate) fn from_parts(shape: Shape, data: Vec<T>) -> Self {
        debug_assert_eq!(shape.numel(), data.len());
        Tensor { shape, data }
    }

    pub(crate) fn into_data(self) -> Vec<T> {
        self.data
    }

    /// The shape.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// The axis lengths (shorthand for `shape().dims()`).
    pub fn dims(&self) -> &[usize] {
        self.shape.dims()
    }

    /// The number of elements.
    pub fn numel(&self) -> usize {
        self.data.len()
    }

    /// The elements in row-major order.
    pub fn data(&self) -> &[T] {
        &self.data
    }

    /// The elements in row-major order, mutable (the shape stays fixed).
    pub fn data_mut(&mut self) -> &mut [T] {
        &mut self.data
    }

    /// The element at a multi-index. Panics if the index is out of range.
    pub fn at(&self, index: &[usize]) -> T {
        self.data[self.flat_index(index)]
    }

    /// The flat (row-major) position of a multi-index. Panics if out of range.
    pub fn flat_index(&self, index: &[usize]) -> usize {
        assert_eq!(index.len(), self.shape.rank(), "index rank");
        let st = self.shape.strides();
        index
            .iter()
            .zip(self.dims())
            .enumerate()
            .map(|(i, (&ix, &d))| {
                assert!(ix < d, "index {ix} out of range for axis {i} of length {d}");
                ix * st[i]
            })
            .sum()
    }

    /// The multi-index of a flat (row-major) position.
    pub fn unravel(&self, mut flat: usize) -> Vec<usize> {
        let mut idx = vec![0; self.shape.rank()];
        for (i, &d) in self.dims().iter().enumerate().rev() {
            idx[i] = flat % d;
            flat /= d;
        }
        idx
    }

    /// The single element of a one-element tensor (a scalar loss).
    pub fn item(&self) -> Option<T> {
        (self.data.len() == 1).then(|| self.data[0])
    }

    /// The same data converted element by element to another float type.
    pub fn cast<U: Float>(&self) -> Tensor<U> {
        Tensor {
            shape: self.shape,
            data: self.data.iter().map(|&x| U::from_f64(x.as_f64())).collect(),
        }
    }

    /// The rows of a matrix as `f64` vectors (like NumPy's `.tolist()`); `None` unless rank 2.
    pub fn to_rows(&self) -> Option<Vec<Vec<f64>>> {
        if self.shape.rank() != 2 {
            return None;
        }
        let cols = self.dims()[1];
        if cols == 0 {
            return Some(vec![vec![]; self.dims()[0]]);
        }
        Some(
            self.data
                .chunks(cols)
                .map(|r| r.iter().map(|x| x.as_f64()).collect())
                .collect(),
        )
    }

    /// The largest absolute element-wise difference to `other` (∞ if shapes differ).
    pub fn max_abs_diff(&self, other: &Tensor<T>) -> f64 {
        if self.shape != other.shape {
            return f64::INFINITY;
        }
        self.data
            .iter()
            .zip(&other.data)
            .map(|(a, b)| (a.as_f64() - b.as_f64()).abs())
            .fold(0.0, f64::max)
    }
}

/// The error for a tensor of `shape` (holding `numel` elements of `T`, if
/// that count fits in a `usize`) that cannot be allocated.
#[track_caller]
fn too_large<T>(shape: Shape, numel: Option<usize>) -> crate::error::Error {
    let why = match numel.and_then(|n| n.checked_mul(std::mem::size_of::<T>())) {
        Some(bytes) => format!("{bytes} bytes cannot be allocated"),
        None => "more elements than fit in memory".to_string(),
    };
    ErrorKind::BadShape {
        op: "full",
        shape,
        why,
        location: std::panic::Location::caller(),
    }
    .into()
}

impl<T: Float> std::fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tensor{}{:?}", self.shape, self.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_large_tensors_are_errors_at_the_callers_line() {
        let e = Tensor::<f32>::zeros(&[3, usize::MAX]).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::BadShape { op: "full", .. }));
        let msg = e.to_string();
        assert!(
            msg.starts_with("full: shape [3, 18446744073709551615] is not valid here (more elements than fit in memory) at src/tensor/mod.rs:"),
            "{msg}"
        );
        let e = Tensor::<f64>::ones(&[1 << 20, 1 << 20]).unwrap_err();
        assert!(
            e.to_string()
                .contains("(8796093022208 bytes cannot be allocated)"),
            "{e}"
        );
        assert_eq!(Shape::new(&[3, usize::MAX]).unwrap().checked_numel(), None);
        assert_eq!(Shape::new(&[3, 4]).unwrap().checked_numel(), Some(12));
        assert_eq!(Tensor::<f32>::full(&[2, 2], 1.5).unwrap().data(), &[1.5; 4]);
    }
}
