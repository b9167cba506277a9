//! The element types the kernels are written for, with their blocking
//! parameters and micro-kernel selection.

use core::ops::{Add, Mul};

/// Largest micro-tile, `MR·NR`, over the element types (f32: 6×16).
pub(super) const TILE_MAX: usize = 96;

/// A micro-kernel: `C[MR×NR] ← α·A·B̃ + β·C` for an `MR×kc` block of A read
/// through its strides (`a`, row stride, column stride; a packed panel is
/// strides `(1, MR)`) and a `kc×NR` packed panel `B̃`, `C` at row stride
/// `rsc`; with `β = 0` the tile is written without being read.
///
/// Every element is accumulated as `acc ← fma(a_p, b_p, acc)` for `p` in
/// order from `acc = 0`, then stored as `fma(c, β, α·acc)` (or `α·acc`).
pub(super) type Kernel<E> = unsafe fn(usize, *const E, usize, usize, *const E, *mut E, usize, E, E);

/// The instruction set chosen at run time for this call.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Isa {
    /// Portable scalar code.
    Scalar,
    /// AVX2 and FMA (x86-64).
    #[cfg(target_arch = "x86_64")]
    Avx2Fma,
}

impl Isa {
    /// The best instruction set this CPU supports.
    pub(super) fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                return Isa::Avx2Fma;
            }
        }
        Isa::Scalar
    }
}

/// An element type the packed GEMM serves (`f32`, `f64`).
pub(super) trait Element:
    Copy + Send + Sync + PartialEq + Add<Output = Self> + Mul<Output = Self> + 'static
{
    /// Zero.
    const ZERO: Self;
    /// One.
    const ONE: Self;
    /// Micro-tile rows.
    const MR: usize;
    /// Micro-tile columns.
    const NR: usize;
    /// Largest depth block: a `KC×NR` panel of B stays in L1.
    const KC: usize;
    /// Rows of A packed at once (a multiple of `MR`): an `MC×KC` block stays in L2.
    const MC: usize;

    /// `self·b + c` rounded once.
    fn fma(self, b: Self, c: Self) -> Self;

    /// The micro-kernel for `isa`.
    fn kernel(isa: Isa) -> Kernel<Self>;
}

impl Element for f32 {
    const ZERO: f32 = 0.0;
    const ONE: f32 = 1.0;
    const MR: usize = 6;
    const NR: usize = 16;
    const KC: usize = 256;
    const MC: usize = 144;

    #[inline(always)]
    fn fma(self, b: f32, c: f32) -> f32 {
        self.mul_add(b, c)
    }

    fn kernel(isa: Isa) -> Kernel<f32> {
        match isa {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => super::x86::kernel_f32_6x16,
            Isa::Scalar => super::kernel::scalar::<f32>,
        }
    }
}

impl Element for f64 {
    const ZERO: f64 = 0.0;
    const ONE: f64 = 1.0;
    const MR: usize = 6;
    const NR: usize = 8;
    const KC: usize = 256;
    const MC: usize = 72;

    #[inline(always)]
    fn fma(self, b: f64, c: f64) -> f64 {
        self.mul_add(b, c)
    }

    fn kernel(isa: Isa) -> Kernel<f64> {
        match isa {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => super::x86::kernel_f64_6x8,
            Isa::Scalar => super::kernel::scalar::<f64>,
        }
    }
}

const _: () = assert!(
    <f32 as Element>::MR * <f32 as Element>::NR <= TILE_MAX
        && <f64 as Element>::MR * <f64 as Element>::NR <= TILE_MAX
        && <f32 as Element>::NR <= 32
        && <f32 as Element>::MC % <f32 as Element>::MR == 0
        && <f64 as Element>::MC % <f64 as Element>::MR == 0
);
