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
/// # Safety
/// The rows lie inside B; `dst` holds `(jp1 − jp0)·kq·nr` elements;
/// `nr ≤ NR_MAX`.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn pack_b<E: Element>(
    b: Strided<E>,
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
            for p in 0..kq {
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
