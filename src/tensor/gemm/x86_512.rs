//! AVX-512F micro-kernels: f32 8×32 and f64 8×16, two 512-bit vectors of
//! each of `MR` rows held in registers (16 accumulators of the 32 registers,
//! enough independent chains to keep both FMA units busy).
//!
//! They read A only as packed `MR`-tall panels (the driver packs every panel
//! for them, [`Micro::packed_a`]): one pointer, each depth step's `MR`
//! values contiguous at fixed offsets, broadcast straight from memory.
//! The arithmetic is that of every other kernel: per element one fused
//! multiply-add per depth step, in order from zero, then `fma(c, β, α·acc)`,
//! so the results are the same bits as the AVX2 and portable kernels'.

use core::arch::x86_64::*;

use super::element::{Isa, Micro};

/// Rows of the f32 micro-tile. Measured on an Intel Xeon (family 6, model
/// 207) shared with a compiler, one thread: 8, 12 and 14 rows within noise
/// of each other at 1024³ (~85–98 GFLOP/s); 8 rows divide the MLP's batch of
/// 128 and its 256-row products, so no edge tiles there, and it was level or
/// ahead on the three MLP shapes.
const MR_F32: usize = 8;
/// Rows of the f64 micro-tile (as f32's).
const MR_F64: usize = 8;

/// The f32 AVX-512 kernel with its blocking.
pub(super) const MICRO_F32: Micro<f32> = Micro {
    kernel: kernel_f32::<MR_F32>,
    mr: MR_F32,
    nr: 32,
    mc: 168,
    packed_a: true,
    isa: Isa::Avx512,
};

/// The f64 AVX-512 kernel with its blocking.
pub(super) const MICRO_F64: Micro<f64> = Micro {
    kernel: kernel_f64::<MR_F64>,
    mr: MR_F64,
    nr: 16,
    mc: 96,
    packed_a: true,
    isa: Isa::Avx512,
};

/// f32 `MR×32` micro-kernel (see [`super::element::Kernel`]); A packed.
///
/// # Safety
/// The CPU supports AVX-512F; `a` is a packed panel, strides `(1, MR)`, of
/// `MR·kc` floats (`rsa`, `csa` are ignored); `b` holds `32·kc` floats;
/// `c` is valid for reads and writes of the `MR×32` tile at row stride `rsc`.
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn kernel_f32<const MR: usize>(
    kc: usize,
    a: *const f32,
    rsa: usize,
    csa: usize,
    b: *const f32,
    c: *mut f32,
    rsc: usize,
    alpha: f32,
    beta: f32,
) {
    debug_assert!(rsa == 1 && csa == MR);
    let mut acc = [[_mm512_setzero_ps(); 2]; MR];
    for p in 0..kc {
        // SAFETY: p < kc, so row p of B̃ (32 floats) and column p of the
        // packed A panel (MR floats) are inside what the caller vouches for.
        unsafe {
            let bp = b.add(p * 32);
            let b0 = _mm512_loadu_ps(bp);
            let b1 = _mm512_loadu_ps(bp.add(16));
            let ap = a.add(p * MR);
            for (i, row) in acc.iter_mut().enumerate() {
                let ai = _mm512_set1_ps(*ap.add(i));
                row[0] = _mm512_fmadd_ps(ai, b0, row[0]);
                row[1] = _mm512_fmadd_ps(ai, b1, row[1]);
            }
        }
    }
    let va = _mm512_set1_ps(alpha);
    let vb = _mm512_set1_ps(beta);
    for (i, row) in acc.iter().enumerate() {
        // SAFETY: row i < MR of the tile the caller vouches for, 32 floats.
        unsafe {
            let ci = c.add(i * rsc);
            let t0 = _mm512_mul_ps(va, row[0]);
            let t1 = _mm512_mul_ps(va, row[1]);
            if beta == 0.0 {
                _mm512_storeu_ps(ci, t0);
                _mm512_storeu_ps(ci.add(16), t1);
            } else {
                _mm512_storeu_ps(ci, _mm512_fmadd_ps(_mm512_loadu_ps(ci), vb, t0));
                _mm512_storeu_ps(
                    ci.add(16),
                    _mm512_fmadd_ps(_mm512_loadu_ps(ci.add(16)), vb, t1),
                );
            }
        }
    }
}

/// f64 `MR×16` micro-kernel (see [`super::element::Kernel`]); A packed.
///
/// # Safety
/// The CPU supports AVX-512F; `a` is a packed panel, strides `(1, MR)`, of
/// `MR·kc` doubles (`rsa`, `csa` are ignored); `b` holds `16·kc` doubles;
/// `c` is valid for reads and writes of the `MR×16` tile at row stride `rsc`.
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn kernel_f64<const MR: usize>(
    kc: usize,
    a: *const f64,
    rsa: usize,
    csa: usize,
    b: *const f64,
    c: *mut f64,
    rsc: usize,
    alpha: f64,
    beta: f64,
) {
    debug_assert!(rsa == 1 && csa == MR);
    let mut acc = [[_mm512_setzero_pd(); 2]; MR];
    for p in 0..kc {
        // SAFETY: p < kc, so row p of B̃ (16 doubles) and column p of the
        // packed A panel (MR doubles) are inside what the caller vouches for.
        unsafe {
            let bp = b.add(p * 16);
            let b0 = _mm512_loadu_pd(bp);
            let b1 = _mm512_loadu_pd(bp.add(8));
            let ap = a.add(p * MR);
            for (i, row) in acc.iter_mut().enumerate() {
                let ai = _mm512_set1_pd(*ap.add(i));
                row[0] = _mm512_fmadd_pd(ai, b0, row[0]);
                row[1] = _mm512_fmadd_pd(ai, b1, row[1]);
            }
        }
    }
    let va = _mm512_set1_pd(alpha);
    let vb = _mm512_set1_pd(beta);
    for (i, row) in acc.iter().enumerate() {
        // SAFETY: row i < MR of the tile the caller vouches for, 16 doubles.
        unsafe {
            let ci = c.add(i * rsc);
            let t0 = _mm512_mul_pd(va, row[0]);
            let t1 = _mm512_mul_pd(va, row[1]);
            if beta == 0.0 {
                _mm512_storeu_pd(ci, t0);
                _mm512_storeu_pd(ci.add(8), t1);
            } else {
                _mm512_storeu_pd(ci, _mm512_fmadd_pd(_mm512_loadu_pd(ci), vb, t0));
                _mm512_storeu_pd(
                    ci.add(8),
                    _mm512_fmadd_pd(_mm512_loadu_pd(ci.add(8)), vb, t1),
                );
            }
        }
    }
}
