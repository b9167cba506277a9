//! The element types the kernels are written for, with their blocking
//! parameters and micro-kernel selection.

use core::ops::{Add, Mul};

pub(super) use crate::isa::Isa;

/// Largest micro-tile, `MR·NR`, over the element types and instruction sets
/// (f32 AVX-512: 8×32).
pub(super) const TILE_MAX: usize = 256;
/// Widest micro-tile, `NR`, over the element types and instruction sets.
pub(super) const NR_MAX: usize = 32;

/// A micro-kernel: `C[MR×NR] ← α·A·B̃ + β·C` for an `MR×kc` block of A read
/// through its strides (`a`, row stride, column stride; a packed panel is
/// strides `(1, MR)`) and a `kc×NR` packed panel `B̃`, `C` at row stride
/// `rsc`; with `β = 0` the tile is written without being read.
///
/// Every element is accumulated as `acc ← fma(a_p, b_p, acc)` for `p` in
/// order from `acc = 0`, then stored as `fma(c, β, α·acc)` (or `α·acc`).
/// That is the whole of the arithmetic, so every kernel, whatever its tile
/// shape or vector width, gives the same bits.
pub(super) type Kernel<E> = unsafe fn(usize, *const E, usize, usize, *const E, *mut E, usize, E, E);

/// A micro-kernel with its tile shape and row blocking, for one instruction set.
#[derive(Clone, Copy)]
pub(super) struct Micro<E> {
    /// The kernel.
    pub kernel: Kernel<E>,
    /// Micro-tile rows.
    pub mr: usize,
    /// Micro-tile columns (the width of a packed B panel).
    pub nr: usize,
    /// Rows of A run over one packed B block at once (a multiple of `mr`):
    /// an `MC×KC` block of A stays in L2.
    pub mc: usize,
    /// Whether the kernel reads A only as packed `MR`-tall panels (strides
    /// `(1, MR)`); otherwise full panels are read in place.
    pub packed_a: bool,
    /// The instruction set the kernel needs (packing may use it too).
    pub isa: Isa,
}

/// An element type the packed GEMM serves (`f32`, `f64`).
pub(super) trait Element:
    Copy + Send + Sync + PartialEq + Add<Output = Self> + Mul<Output = Self> + 'static
{
    /// Zero.
    const ZERO: Self;
    /// One.
    const ONE: Self;
    /// Largest depth block, the same on every instruction set (the depth
    /// blocking fixes each element's order of summation, so it must not
    /// depend on the kernel): a `KC×NR` panel of B stays in L1.
    const KC: usize;

    /// `self·b + c` rounded once.
    fn fma(self, b: Self, c: Self) -> Self;

    /// The micro-kernel for `isa` (which this CPU must support to run it).
    fn micro(isa: Isa) -> Micro<Self>;
}

/// A kernel that reads A in place, with `mc` rows per block.
const fn in_place<E>(isa: Isa, kernel: Kernel<E>, mr: usize, nr: usize, mc: usize) -> Micro<E> {
    Micro {
        kernel,
        mr,
        nr,
        mc,
        packed_a: false,
        isa,
    }
}

const _: () = {
    // Every kernel's tile fits the edge-tile temporary and the packing
    // routines, and its row block is whole micro-panels.
    #[cfg(target_arch = "x86_64")]
    {
        use super::x86_512::{MICRO_F32, MICRO_F64};
        assert!(MICRO_F32.mr * MICRO_F32.nr <= TILE_MAX && MICRO_F32.nr <= NR_MAX);
        assert!(MICRO_F64.mr * MICRO_F64.nr <= TILE_MAX && MICRO_F64.nr <= NR_MAX);
        assert!(MICRO_F32.mc.is_multiple_of(MICRO_F32.mr));
        assert!(MICRO_F64.mc.is_multiple_of(MICRO_F64.mr));
    }
};

impl Element for f32 {
    const ZERO: f32 = 0.0;
    const ONE: f32 = 1.0;
    const KC: usize = 256;

    #[inline(always)]
    fn fma(self, b: f32, c: f32) -> f32 {
        self.mul_add(b, c)
    }

    fn micro(isa: Isa) -> Micro<f32> {
        match isa {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => super::x86_512::MICRO_F32,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => in_place(isa, super::x86::kernel_f32_6x16, 6, 16, 144),
            _ => in_place(Isa::Scalar, super::kernel::scalar::<f32, 6, 16>, 6, 16, 144),
        }
    }
}

impl Element for f64 {
    const ZERO: f64 = 0.0;
    const ONE: f64 = 1.0;
    const KC: usize = 256;

    #[inline(always)]
    fn fma(self, b: f64, c: f64) -> f64 {
        self.mul_add(b, c)
    }

    fn micro(isa: Isa) -> Micro<f64> {
        match isa {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => super::x86_512::MICRO_F64,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => in_place(isa, super::x86::kernel_f64_6x8, 6, 8, 72),
            _ => in_place(Isa::Scalar, super::kernel::scalar::<f64, 6, 8>, 6, 8, 72),
        }
    }
}
