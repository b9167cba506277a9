//! AVX2 + FMA micro-kernels: f32 6×16 and f64 6×8, twelve accumulators each.
//!
//! Chosen when the CPU has AVX2 and FMA but not AVX-512F, or when
//! `BACKPROP_ISA=avx2` asks for them ([`crate::isa`]); `x86_512` holds the
//! 512-bit kernels. Both compute exactly the portable kernel's arithmetic.

use core::arch::x86_64::*;

/// f32 6×16 micro-kernel (see [`super::element::Kernel`]).
///
/// # Safety
/// The CPU supports AVX2 and FMA; `a` is valid for the 6×kc block at
/// strides `(rsa, csa)`; `b` holds `16·kc` floats;
/// `c` is valid for reads and writes of the 6×16 tile at row stride `rsc`.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn kernel_f32_6x16(
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
    let mut acc = [[_mm256_setzero_ps(); 2]; 6];
    let rows: [*const f32; 6] = core::array::from_fn(|i| a.wrapping_add(i * rsa));
    for p in 0..kc {
        // SAFETY: p < kc, so row p of B̃ and column p of the A block are
        // inside what the caller vouches for.
        unsafe {
            let bp = b.add(p * 16);
            let b0 = _mm256_loadu_ps(bp);
            let b1 = _mm256_loadu_ps(bp.add(8));
            let off = p * csa;
            for (row, r) in acc.iter_mut().zip(&rows) {
                let ai = _mm256_broadcast_ss(&*r.add(off));
                row[0] = _mm256_fmadd_ps(ai, b0, row[0]);
                row[1] = _mm256_fmadd_ps(ai, b1, row[1]);
            }
        }
    }
    let va = _mm256_set1_ps(alpha);
    for (i, row) in acc.iter().enumerate() {
        // SAFETY: row i < 6 of the tile the caller vouches for, 16 floats.
        unsafe {
            let ci = c.add(i * rsc);
            let t0 = _mm256_mul_ps(va, row[0]);
            let t1 = _mm256_mul_ps(va, row[1]);
            if beta == 0.0 {
                _mm256_storeu_ps(ci, t0);
                _mm256_storeu_ps(ci.add(8), t1);
            } else {
                let vb = _mm256_set1_ps(beta);
                _mm256_storeu_ps(ci, _mm256_fmadd_ps(_mm256_loadu_ps(ci), vb, t0));
                _mm256_storeu_ps(
                    ci.add(8),
                    _mm256_fmadd_ps(_mm256_loadu_ps(ci.add(8)), vb, t1),
                );
            }
        }
    }
}

/// f64 6×8 micro-kernel (see [`super::element::Kernel`]).
///
/// # Safety
/// The CPU supports AVX2 and FMA; `a` is valid for the 6×kc block at
/// strides `(rsa, csa)`; `b` holds `8·kc` doubles;
/// `c` is valid for reads and writes of the 6×8 tile at row stride `rsc`.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn kernel_f64_6x8(
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
    let mut acc = [[_mm256_setzero_pd(); 2]; 6];
    let rows: [*const f64; 6] = core::array::from_fn(|i| a.wrapping_add(i * rsa));
    for p in 0..kc {
        // SAFETY: p < kc, so row p of B̃ and column p of the A block are
        // inside what the caller vouches for.
        unsafe {
            let bp = b.add(p * 8);
            let b0 = _mm256_loadu_pd(bp);
            let b1 = _mm256_loadu_pd(bp.add(4));
            let off = p * csa;
            for (row, r) in acc.iter_mut().zip(&rows) {
                let ai = _mm256_broadcast_sd(&*r.add(off));
                row[0] = _mm256_fmadd_pd(ai, b0, row[0]);
                row[1] = _mm256_fmadd_pd(ai, b1, row[1]);
            }
        }
    }
    let va = _mm256_set1_pd(alpha);
    for (i, row) in acc.iter().enumerate() {
        // SAFETY: row i < 6 of the tile the caller vouches for, 8 doubles.
        unsafe {
            let ci = c.add(i * rsc);
            let t0 = _mm256_mul_pd(va, row[0]);
            let t1 = _mm256_mul_pd(va, row[1]);
            if beta == 0.0 {
                _mm256_storeu_pd(ci, t0);
                _mm256_storeu_pd(ci.add(4), t1);
            } else {
                let vb = _mm256_set1_pd(beta);
                _mm256_storeu_pd(ci, _mm256_fmadd_pd(_mm256_loadu_pd(ci), vb, t0));
                _mm256_storeu_pd(
                    ci.add(4),
                    _mm256_fmadd_pd(_mm256_loadu_pd(ci.add(4)), vb, t1),
                );
            }
        }
    }
}
