//! The element types a [`Tensor`](crate::Tensor) can hold: `f32` and `f64`.
//!
//! [`Float`] is sealed: it carries exactly what the ops need (the math of
//! [`num_traits::Float`], `erf` for GELU, conversions, a dtype tag) so every op is written once,
//! generically, and serves both types.

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// The element type of a tensor. Implemented for `f32` and `f64` only.
///
/// f64 serves gradient checks and the notebook replay (bit-exact with NumPy);
/// f32 serves training speed and PyTorch model files.
pub trait Float:
    num_traits::Float
    + sealed::Sealed
    + Default
    + Debug
    + Display
    + Send
    + Sync
    + Sum
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + 'static
{
    /// The dtype name as safetensors and NumPy spell it (`"F32"`, `"F64"`).
    const DTYPE: &'static str;

    /// Converts from `f64`, rounding to nearest.
    fn from_f64(x: f64) -> Self;

    /// Converts to `f64` exactly.
    fn as_f64(self) -> f64;

    /// The error function, `erf(x) = 2/√π ∫₀ˣ e^{-t²} dt` (from `libm`).
    fn erf(self) -> Self;
}

impl Float for f32 {
    const DTYPE: &'static str = "F32";

    #[inline]
    fn from_f64(x: f64) -> Self {
        x as f32
    }

    #[inline]
    fn as_f64(self) -> f64 {
        self as f64
    }

    #[inline]
    fn erf(self) -> Self {
        libm::erff(self)
    }
}

impl Float for f64 {
    const DTYPE: &'static str = "F64";

    #[inline]
    fn from_f64(x: f64) -> Self {
        x
    }

    #[inline]
    fn as_f64(self) -> f64 {
        self
    }

    #[inline]
    fn erf(self) -> Self {
        libm::erf(self)
    }
}
