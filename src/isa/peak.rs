//! The FMA peak: how many floating-point operations per second one thread
//! does on an instruction set when nothing but fused multiply-adds run, the
//! ceiling a matrix product can approach (`backprop bench peak`).
//!
//! Twelve independent chains of fused multiply-adds, each on a full vector
//! of the set (one number for the portable set), hide the FMA latency; no
//! memory is touched. (The multiplier and addend are hidden from the
//! optimiser: with known constants it sees that `fma(1, 0.999, 0.001)` is 1
//! and drops the loop.) Each operation counts as two flops, as in GEMM's
//! `2·m·n·k`.

use core::any::TypeId;
use core::hint::black_box;

use super::Isa;
use crate::error::Result;
use crate::float::Float;

/// Independent FMA chains per thread.
pub const CHAINS: usize = 12;

/// The flops one round of [`fma_chains`] does on `isa` with element type `T`:
/// `2 · CHAINS · lanes`.
pub fn flops_per_round<T: Float>(isa: Isa) -> u64 {
    let lanes = (isa.bits() / (8 * core::mem::size_of::<T>())).max(1);
    (2 * CHAINS * lanes) as u64
}

/// Runs `rounds` rounds of [`CHAINS`] independent fused multiply-adds on
/// `isa`'s vectors of `T` on this thread, and returns the flops done
/// (`rounds · flops_per_round`). Time it to get the peak.
///
/// # Errors
/// [`crate::error::ErrorKind::Isa`] if this CPU lacks `isa`.
pub fn fma_chains<T: Float>(isa: Isa, rounds: u64) -> Result<u64> {
    if !isa.supported() {
        return Err(super::features().choose(Some(isa.name())).unwrap_err());
    }
    let f64 = TypeId::of::<T>() == TypeId::of::<f64>();
    let sink = match isa {
        // SAFETY: the CPU supports AVX-512F (checked above).
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { x86::avx512(f64, rounds) },
        // SAFETY: the CPU supports AVX2 and FMA (checked above).
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { x86::avx2(f64, rounds) },
        _ if f64 => portable::<f64>(rounds),
        _ => portable::<f32>(rounds),
    };
    black_box(sink);
    Ok(rounds * flops_per_round::<T>(isa))
}

/// The portable chains (the scalar kernels' `mul_add`).
fn portable<T: Float>(rounds: u64) -> f64 {
    let (x, y) = black_box((T::from_f64(0.999), T::from_f64(0.001)));
    let mut acc = [T::one(); CHAINS];
    for _ in 0..rounds {
        for a in &mut acc {
            *a = a.mul_add(x, y);
        }
    }
    acc.iter().map(|a| a.as_f64()).sum()
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::*;
    use core::hint::black_box;

    use super::CHAINS;

    /// The chains on 512-bit vectors; returns a sum so nothing is elided.
    ///
    /// # Safety
    /// The CPU supports AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn avx512(f64: bool, rounds: u64) -> f64 {
        if f64 {
            let (x, y) = black_box((_mm512_set1_pd(0.999), _mm512_set1_pd(0.001)));
            let mut acc = [_mm512_set1_pd(1.0); CHAINS];
            for _ in 0..rounds {
                for a in &mut acc {
                    *a = _mm512_fmadd_pd(*a, x, y);
                }
            }
            acc.iter().map(|&a| _mm512_reduce_add_pd(a)).sum()
        } else {
            let (x, y) = black_box((_mm512_set1_ps(0.999), _mm512_set1_ps(0.001)));
            let mut acc = [_mm512_set1_ps(1.0); CHAINS];
            for _ in 0..rounds {
                for a in &mut acc {
                    *a = _mm512_fmadd_ps(*a, x, y);
                }
            }
            acc.iter()
                .map(|&a| f64::from(_mm512_reduce_add_ps(a)))
                .sum()
        }
    }

    /// The chains on 256-bit vectors; returns a sum so nothing is elided.
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn avx2(f64: bool, rounds: u64) -> f64 {
        let mut out = [0.0f64; 4];
        if f64 {
            let (x, y) = black_box((_mm256_set1_pd(0.999), _mm256_set1_pd(0.001)));
            let mut acc = [_mm256_set1_pd(1.0); CHAINS];
            for _ in 0..rounds {
                for a in &mut acc {
                    *a = _mm256_fmadd_pd(*a, x, y);
                }
            }
            let sum = acc
                .iter()
                .fold(_mm256_setzero_pd(), |s, &a| _mm256_add_pd(s, a));
            // SAFETY: `out` holds four doubles.
            unsafe { _mm256_storeu_pd(out.as_mut_ptr(), sum) };
        } else {
            let (x, y) = black_box((_mm256_set1_ps(0.999), _mm256_set1_ps(0.001)));
            let mut acc = [_mm256_set1_ps(1.0); CHAINS];
            for _ in 0..rounds {
                for a in &mut acc {
                    *a = _mm256_fmadd_ps(*a, x, y);
                }
            }
            let sum = acc
                .iter()
                .fold(_mm256_setzero_ps(), |s, &a| _mm256_add_ps(s, a));
            let lo = _mm256_cvtps_pd(_mm256_castps256_ps128(sum));
            let hi = _mm256_cvtps_pd(_mm256_extractf128_ps(sum, 1));
            // SAFETY: `out` holds four doubles.
            unsafe { _mm256_storeu_pd(out.as_mut_ptr(), _mm256_add_pd(lo, hi)) };
        }
        out.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_set_the_cpu_runs_counts_its_flops() {
        for isa in Isa::ALL {
            match fma_chains::<f32>(isa, 10) {
                Ok(flops) => assert_eq!(flops, 10 * flops_per_round::<f32>(isa)),
                Err(_) => assert!(!isa.supported()),
            }
        }
        assert_eq!(flops_per_round::<f32>(Isa::Avx512), 2 * 12 * 16);
        assert_eq!(flops_per_round::<f64>(Isa::Avx2), 2 * 12 * 4);
        assert_eq!(flops_per_round::<f64>(Isa::Scalar), 2 * 12);
        assert_eq!(fma_chains::<f64>(Isa::Scalar, 3).unwrap(), 72);
    }
}
