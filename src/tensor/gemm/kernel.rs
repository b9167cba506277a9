//! The portable micro-kernel and the store step it shares with the edge tiles.

use super::element::{Element, TILE_MAX};

/// Stores an accumulated tile: `c ← fma(c, β, α·acc)`, or `α·acc` when
/// `β = 0` (then `c` is not read), for an `MR×NR` tile at row stride `rsc`.
///
/// # Safety
/// `c` must be valid for reads and writes of the `MR×NR` tile at stride `rsc`.
#[inline(always)]
pub(super) unsafe fn store_tile<E: Element, const MR: usize, const NR: usize>(
    acc: &[E],
    c: *mut E,
    rsc: usize,
    alpha: E,
    beta: E,
) {
    for i in 0..MR {
        for j in 0..NR {
            let t = alpha * acc[i * NR + j];
            // SAFETY: (i, j) lies in the tile the caller vouches for.
            unsafe {
                let cij = c.add(i * rsc + j);
                *cij = if beta == E::ZERO {
                    t
                } else {
                    (*cij).fma(beta, t)
                };
            }
        }
    }
}

/// The portable `MR×NR` micro-kernel (see [`super::element::Kernel`]), same
/// arithmetic as the SIMD kernels: one fused multiply-add per step, in order.
///
/// # Safety
/// `a` is valid for the `MR×kc` block at strides `(rsa, csa)`, `b` holds
/// `kc·NR` elements; `c` is valid for the tile.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn scalar<E: Element, const MR: usize, const NR: usize>(
    kc: usize,
    a: *const E,
    rsa: usize,
    csa: usize,
    b: *const E,
    c: *mut E,
    rsc: usize,
    alpha: E,
    beta: E,
) {
    const { assert!(MR * NR <= TILE_MAX) };
    let mut acc = [E::ZERO; TILE_MAX];
    for p in 0..kc {
        for i in 0..MR {
            // SAFETY: p < kc and i < MR index the block's bounds.
            let ai = unsafe { *a.add(i * rsa + p * csa) };
            for j in 0..NR {
                // SAFETY: as above, j < NR.
                let bj = unsafe { *b.add(p * NR + j) };
                acc[i * NR + j] = ai.fma(bj, acc[i * NR + j]);
            }
        }
    }
    // SAFETY: forwarded from the caller.
    unsafe { store_tile::<E, MR, NR>(&acc, c, rsc, alpha, beta) }
}
