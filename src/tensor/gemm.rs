//! Matrix products through the `gemm` crate (faer's kernels, rayon threads).
//!
//! A transposed operand is never copied: its strides are swapped and the
//! kernel's packing reads it in place. `gemm` was chosen over `matrixmultiply`
//! by a measurement on both cores: 175/188/184 against 151/161/162 GFLOP/s
//! (f32, 256/512/1024), 89/91/88 against 64/72/72 (f64), and 29 ns against
//! 165 ns for a 4×2·2×2 product, which matters for a tape of small ops
//! (figures in the engine issue's closing note).

use crate::float::Float;

/// A row-major matrix operand: its storage, whether it is used transposed, and
/// its stored (not logical) row and column counts.
#[derive(Clone, Copy)]
pub struct MatRef<'a, T> {
    /// Row-major storage of the stored matrix.
    pub data: &'a [T],
    /// Stored rows.
    pub rows: usize,
    /// Stored columns.
    pub cols: usize,
    /// Use the transpose of the stored matrix.
    pub trans: bool,
}

impl<'a, T> MatRef<'a, T> {
    /// An operand used as stored (`trans = false`) or transposed.
    pub fn new(data: &'a [T], rows: usize, cols: usize, trans: bool) -> Self {
        MatRef {
            data,
            rows,
            cols,
            trans,
        }
    }

    /// Logical `(rows, cols)` after the optional transpose.
    pub fn logical(&self) -> (usize, usize) {
        if self.trans {
            (self.cols, self.rows)
        } else {
            (self.rows, self.cols)
        }
    }

    /// Logical `(row stride, column stride)`.
    fn strides(&self) -> (isize, isize) {
        if self.trans {
            (1, self.cols as isize)
        } else {
            (self.cols as isize, 1)
        }
    }
}

/// `C ← α·op(A)·op(B) + β·C`, with `C` row-major `m×n`.
///
/// Panics if the shapes disagree or a buffer is too short (callers check
/// shapes first and return [`crate::Error`]s; this is the last line of defence).
pub fn gemm<T: Float>(alpha: T, a: MatRef<'_, T>, b: MatRef<'_, T>, beta: T, c: &mut [T]) {
    let (m, k) = a.logical();
    let (k2, n) = b.logical();
    assert_eq!(k, k2, "gemm: inner dimensions differ");
    assert_eq!(a.data.len(), a.rows * a.cols, "gemm: A buffer length");
    assert_eq!(b.data.len(), b.rows * b.cols, "gemm: B buffer length");
    assert_eq!(c.len(), m * n, "gemm: C buffer length");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        for x in c.iter_mut() {
            *x = if beta == T::zero() {
                T::zero()
            } else {
                *x * beta
            };
        }
        return;
    }
    let (rsa, csa) = a.strides();
    let (rsb, csb) = b.strides();
    // SAFETY: the lengths above guarantee every strided access is in bounds;
    // `c` is a unique borrow, so it aliases neither `a` nor `b`.
    unsafe {
        gemm_call(
            m,
            k,
            n,
            alpha,
            a.data.as_ptr(),
            rsa,
            csa,
            b.data.as_ptr(),
            rsb,
            csb,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// `C ← α·A·B + β·C` through the `gemm` crate (whose own convention is
/// `dst ← alpha·dst + beta·lhs·rhs`, with column stride first), on rayon's
/// global pool; `gemm` keeps small products on the calling thread.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_call<T: 'static + Copy + num_traits::Zero + PartialEq>(
    m: usize,
    k: usize,
    n: usize,
    alpha: T,
    a: *const T,
    rsa: isize,
    csa: isize,
    b: *const T,
    rsb: isize,
    csb: isize,
    beta: T,
    c: *mut T,
    rsc: isize,
    csc: isize,
) {
    let read_dst = beta != T::zero();
    // SAFETY: forwarded from `gemm`'s contract.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c,
            csc,
            rsc,
            read_dst,
            a,
            csa,
            rsa,
            b,
            csb,
            rsb,
            beta,
            alpha,
            false,
            false,
            false,
            gemm::Parallelism::Rayon(0),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference product by definition, for checking the kernel on small shapes only.
    fn reference(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
        (0..m * n)
            .map(|ij| (0..k).map(|p| a[ij / n * k + p] * b[p * n + ij % n]).sum())
            .collect()
    }

    fn transpose(x: &[f64], r: usize, c: usize) -> Vec<f64> {
        (0..r * c).map(|ji| x[(ji % r) * c + ji / r]).collect()
    }

    #[test]
    fn all_transpose_combinations_agree_with_definition() {
        let (m, k, n) = (5, 7, 3);
        let a: Vec<f64> = (0..m * k).map(|i| (i as f64 * 0.37).sin()).collect();
        let b: Vec<f64> = (0..k * n).map(|i| (i as f64 * 0.71).cos()).collect();
        let want = reference(&a, &b, m, k, n);
        let at = transpose(&a, m, k);
        let bt = transpose(&b, k, n);
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let ar = if ta {
                MatRef::new(&at[..], k, m, true)
            } else {
                MatRef::new(&a[..], m, k, false)
            };
            let br = if tb {
                MatRef::new(&bt[..], n, k, true)
            } else {
                MatRef::new(&b[..], k, n, false)
            };
            let mut c = vec![0.0; m * n];
            gemm(1.0, ar, br, 0.0, &mut c);
            for (x, y) in c.iter().zip(&want) {
                assert!((x - y).abs() < 1e-12, "ta={ta} tb={tb}: {x} vs {y}");
            }
        }
    }

    #[test]
    fn beta_accumulates() {
        let a = [1.0f32, 2.0];
        let b = [3.0f32, 4.0];
        let mut c = [10.0f32];
        gemm(
            1.0,
            MatRef::new(&a, 1, 2, false),
            MatRef::new(&b, 2, 1, false),
            1.0,
            &mut c,
        );
        assert_eq!(c, [21.0]);
    }
}
