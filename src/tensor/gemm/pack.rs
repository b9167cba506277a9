//! Packing: B into `NR`-wide panels, A into `MR`-tall panels, zero-padded,
//! each read through its strides (a transposed operand is never copied first).

use super::element::{Element, NR_MAX};

/// A read-only strided matrix view: element `(i, j)` at `ptr[i·rs + j·cs]`.
#[derive(Clone, Copy)]
pub(super) struct Strided<E> {
    /// First element.
    pub ptr: *const E,
    /// Row stride in elements.
    pub rs: usize,
    /// Column stride in elements.
    pub cs: usize,
}

// SAFETY: a `Strided` is a shared view of `E: Sync` data that outlives the
// GEMM call which creates it; nothing writes through it.
unsafe impl<E: Sync> Send for Strided<E> {}
// SAFETY: as above.
unsafe impl<E: Sync> Sync for Strided<E> {}

impl<E: Copy> Strided<E> {
    /// Element `(i, j)`.
    ///
    /// # Safety
    /// `(i, j)` lies inside the viewed matrix.
    #[inline(always)]
    pub(super) unsafe fn at(&self, i: usize, j: usize) -> E {
        // SAFETY: forwarded from the caller.
        unsafe { *self.ptr.add(i * self.rs + j * self.cs) }
    }
}

/// Packs rows `row0..row0+rows`, depth `p0..p0+kq` of A into `mr`-tall
/// panels: panel `r` at `dst[r·kq·MR..]`, element `(p, i)` at `p·MR + i`;
/// rows past the end of the block are zeros.
///
/// # Safety
/// The block lies inside A; `dst` holds `ceil(rows/mr)·mr·kq` elements.
pub(super) unsafe fn pack_a<E: Element>(
    a: Strided<E>,
    mr: usize,
    row0: usize,
    rows: usize,
    p0: usize,
    kq: usize,
    dst: *mut E,
) {
    for r in 0..rows.div_ceil(mr) {
        let i0 = row0 + r * mr;
        let live = mr.min(rows - r * mr);
        // SAFETY: panel r of the destination, in bounds by the contract.
        let d = unsafe { dst.add(r * kq * mr) };
        for p in 0..kq {
            for i in 0..mr {
                // SAFETY: (i0+i, p0+p) is inside A when i < live; the
                // destination index is below kq·MR.
                unsafe {
                    *d.add(p * mr + i) = if i < live {
                        a.at(i0 + i, p0 + p)
                    } else {
                        E::ZERO
                    };
                }
            }
        }
    }
}

/// Packs depth `p0..p0+kq`, column panels `jp0..jp1` (of `nr` columns) of
/// the `·×n` matrix B: panel `jp` at `dst[(jp − jp0)·kq·nr..]`, element
/// `(p, j)` at `p·nr + j`; columns past `n` are zeros.
///
/// With `avx`, a transposed f32 operand is packed 8×8 blocks at a time
/// through AVX registers (the same values, so the same bits).
///
/// # Safety
/// The rows lie inside B; `dst` holds `(jp1 − jp0)·kq·nr` elements;
/// `nr ≤ NR_MAX`; `avx` only if the CPU supports AVX.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn pack_b<E: Element>(
    b: Strided<E>,
    avx: bool,
    nr: usize,
    n: usize,
    p0: usize,
    kq: usize,
    jp0: usize,
    jp1: usize,
    dst: *mut E,
) {
    assert!(nr <= NR_MAX, "pack_b: panel wider than NR_MAX");
    for jp in jp0..jp1 {
        let j0 = jp * nr;
        let live = nr.min(n - j0);
        // SAFETY: panel jp of the destination, in bounds by the contract.
        let d = unsafe { dst.add((jp - jp0) * kq * nr) };
        if live == nr && b.cs == 1 {
            // Rows of B contiguous: one NR-long copy per depth step.
            for p in 0..kq {
                // SAFETY: row p0+p, columns j0..j0+NR are inside B; the
                // destination row is inside the panel; they do not overlap.
                unsafe {
                    core::ptr::copy_nonoverlapping(
                        b.ptr.add((p0 + p) * b.rs + j0),
                        d.add(p * nr),
                        nr,
                    )
                };
            }
        } else if live == nr {
            // Columns of B contiguous (a transposed operand): NR sequential
            // streams, one element of each per depth step.
            // Column j0+j from row p0 (nr ≤ NR_MAX).
            let cols: [*const E; NR_MAX] = core::array::from_fn(|j| {
                b.ptr.wrapping_add((j0 + j.min(nr - 1)) * b.cs + p0 * b.rs)
            });
            let mut p_done = 0;
            #[cfg(target_arch = "x86_64")]
            if avx
                && b.rs == 1
                && nr.is_multiple_of(8)
                && core::any::TypeId::of::<E>() == core::any::TypeId::of::<f32>()
            {
                // SAFETY: the CPU has AVX (the caller vouches); E is f32;
                // columns j0..j0+nr from row p0 hold kq contiguous elements
                // each (rs = 1) inside B; the panel holds kq·nr elements.
                unsafe {
                    p_done = transpose_f32_avx(cols.as_ptr().cast(), nr, kq, d.cast());
                }
            }
            let _ = avx;
            for p in p_done..kq {
                for (j, col) in cols.iter().enumerate().take(nr) {
                    // SAFETY: (p0+p, j0+j) is inside B; the destination
                    // index is below kq·NR.
                    unsafe { *d.add(p * nr + j) = *col.add(p * b.rs) };
                }
            }
        } else {
            for p in 0..kq {
                for j in 0..nr {
                    // SAFETY: (p0+p, j0+j) is inside B when j < live.
                    unsafe {
                        *d.add(p * nr + j) = if j < live {
                            b.at(p0 + p, j0 + j)
                        } else {
                            E::ZERO
                        };
                    }
                }
            }
        }
    }
}

/// Packs depth steps `0..8·⌊kq/8⌋` of `nr` contiguous f32 columns (`cols[j]`
/// points at column `j`'s first element) into a panel (`(p, j)` at
/// `dst[p·nr + j]`), an 8×8 block at a time through AVX registers; returns
/// the depth steps done (the caller packs the rest).
///
/// # Safety
/// The CPU supports AVX; `nr` is a multiple of 8 and `≤ NR_MAX`; each of the
/// `nr` columns holds `kq` readable elements; `dst` holds `kq·nr` elements.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn transpose_f32_avx(cols: *const *const f32, nr: usize, kq: usize, dst: *mut f32) -> usize {
    use core::arch::x86_64::*;
    let full = kq / 8 * 8;
    for jb in (0..nr).step_by(8) {
        // SAFETY: jb + q < nr ≤ NR_MAX entries of `cols`.
        let col: [*const f32; 8] = core::array::from_fn(|q| unsafe { *cols.add(jb + q) });
        for pb in (0..full).step_by(8) {
            // SAFETY: pb + 8 ≤ kq elements of each column are readable; the
            // stores go to rows pb..pb+8, columns jb..jb+8 of the panel.
            unsafe {
                let r: [__m256; 8] = core::array::from_fn(|q| _mm256_loadu_ps(col[q].add(pb)));
                let t0 = _mm256_unpacklo_ps(r[0], r[1]);
                let t1 = _mm256_unpackhi_ps(r[0], r[1]);
                let t2 = _mm256_unpacklo_ps(r[2], r[3]);
                let t3 = _mm256_unpackhi_ps(r[2], r[3]);
                let t4 = _mm256_unpacklo_ps(r[4], r[5]);
                let t5 = _mm256_unpackhi_ps(r[4], r[5]);
                let t6 = _mm256_unpacklo_ps(r[6], r[7]);
                let t7 = _mm256_unpackhi_ps(r[6], r[7]);
                let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
                let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
                let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
                let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
                let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
                let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
                let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
                let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
                // Row p of the block: element p of each of the 8 columns.
                let rows = [
                    _mm256_permute2f128_ps::<0x20>(u0, u4),
                    _mm256_permute2f128_ps::<0x20>(u1, u5),
                    _mm256_permute2f128_ps::<0x20>(u2, u6),
                    _mm256_permute2f128_ps::<0x20>(u3, u7),
                    _mm256_permute2f128_ps::<0x31>(u0, u4),
                    _mm256_permute2f128_ps::<0x31>(u1, u5),
                    _mm256_permute2f128_ps::<0x31>(u2, u6),
                    _mm256_permute2f128_ps::<0x31>(u3, u7),
                ];
                for (p, row) in rows.iter().enumerate() {
                    _mm256_storeu_ps(dst.add((pb + p) * nr + jb), *row);
                }
            }
        }
    }
    full
}
