//! Matrix products: our own packed, blocked GEMM with rayon work stealing.
//!
//! BLIS-style: B is packed into `NR`-wide, zero-padded panels (`KC` deep, so
//! a panel stays in L1), and an `MR×NR` micro-kernel runs over them. The
//! kernel is picked at run time by [`crate::isa::current`], the widest
//! instruction set the CPU has (or the one `BACKPROP_ISA` or
//! [`crate::isa::with_isa`] forces; never one the CPU lacks):
//!
//! | set | f32 | f64 | A |
//! | --- | --- | --- | --- |
//! | AVX-512F | 8×32 | 8×16 | packed into `MR`-row panels |
//! | AVX2 + FMA | 6×16 | 6×8 | full panels read in place |
//! | portable | 6×16 | 6×8 | full panels read in place |
//!
//! Reading full `MR`-row panels of A in place through their strides was
//! measured faster than packing them for the 6-row kernels; the AVX-512
//! kernels read packed panels (one pointer, each step's `MR` values
//! contiguous; not measured against reading in place). A partial last panel is always packed with zero padding. A
//! transposed operand is never copied whole: packing reads it through its
//! strides. Tiny products take a direct loop; larger ones are split into
//! row-block × column-block tasks on the *current* rayon pool (each packs its
//! own B columns, so no task waits for another), and idle threads steal
//! unstarted tasks. Packing buffers are reused from thread-locals, so a
//! steady state allocates nothing.
//!
//! **The same bits everywhere.** Every element is accumulated in the same
//! order whatever the thread count and whatever the instruction set: one
//! fused multiply-add per depth step in order, depth blocks of a size fixed
//! by `k` alone (`KC` = 256 on every set), folded into C as
//! `fma(c, β, α·acc)` (see `driver` for the order). The tile shape only
//! decides which elements a kernel call computes together, never how one is
//! summed, so results are bitwise reproducible across thread counts,
//! instruction sets and machines.

mod buffer;
mod driver;
mod element;
mod kernel;
mod pack;
#[cfg(target_arch = "x86_64")]
mod x86;
#[cfg(target_arch = "x86_64")]
mod x86_512;

use core::any::TypeId;
use std::cell::Cell;

use std::panic::Location;

use super::Shape;
use crate::error::{ErrorKind, Result};
use crate::float::Float;

thread_local! {
    /// Whether products called from this thread may use the pool's threads.
    static PARALLEL: Cell<bool> = const { Cell::new(true) };
}

/// Runs `f` with the matrix products it calls on this thread kept on this
/// thread (`parallel = false`) or allowed onto the current rayon pool (`true`,
/// the default). The results are the same bits either way (every element is
/// accumulated in one fixed order), so a caller may choose per call, e.g.
/// by timing both on a machine that other processes share.
pub fn with_parallelism<R>(parallel: bool, f: impl FnOnce() -> R) -> R {
    /// Restores the previous setting, also if `f` panics.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            PARALLEL.with(|p| p.set(self.0));
        }
    }
    let _restore = Restore(PARALLEL.with(|p| p.replace(parallel)));
    f()
}

/// Whether products called from this thread may use the pool's threads.
pub(crate) fn parallel_allowed() -> bool {
    PARALLEL.with(|p| p.get())
}

/// A row-major matrix operand: its storage, whether it is used transposed, and
/// its stored (not logical) row and column counts.
///
/// The fields are private and the constructors check that `data` holds
/// exactly `rows·cols` elements (without overflow), so [`gemm`] can read any
/// element of the stated shape without a bounds check.
#[derive(Clone, Copy)]
pub struct MatRef<'a, T> {
    /// Row-major storage of the stored matrix (`rows·cols` elements).
    data: &'a [T],
    /// Stored rows.
    rows: usize,
    /// Stored columns.
    cols: usize,
    /// Use the transpose of the stored matrix.
    trans: bool,
}

impl<'a, T> MatRef<'a, T> {
    /// An operand used as stored (`trans = false`) or transposed.
    ///
    /// # Panics
    /// If `data` does not hold exactly `rows·cols` elements (see
    /// [`MatRef::try_new`] for the error instead).
    #[track_caller]
    pub fn new(data: &'a [T], rows: usize, cols: usize, trans: bool) -> Self {
        match Self::try_new(data, rows, cols, trans) {
            Ok(m) => m,
            Err(e) => panic!("{e}"),
        }
    }

    /// [`MatRef::new`], or an error if `data` does not hold exactly
    /// `rows·cols` elements: [`ErrorKind::LengthMismatch`], or
    /// [`ErrorKind::BadShape`] (op `"MatRef"`) when `rows·cols` overflows `usize`.
    ///
    /// ```
    /// use backprop::tensor::gemm::MatRef;
    /// assert!(MatRef::try_new(&[1.0, 2.0], 1, 2, false).is_ok());
    /// assert!(MatRef::try_new(&[1.0, 2.0], 2, 2, false).is_err());
    /// assert!(MatRef::<f64>::try_new(&[], 1 << 32, 1 << 32, false).is_err());
    /// ```
    #[track_caller]
    pub fn try_new(data: &'a [T], rows: usize, cols: usize, trans: bool) -> Result<Self> {
        let shape = Shape::new(&[rows, cols])?;
        match rows.checked_mul(cols) {
            Some(len) if len == data.len() => Ok(MatRef {
                data,
                rows,
                cols,
                trans,
            }),
            Some(len) => Err(ErrorKind::LengthMismatch {
                shape,
                expected: len,
                got: data.len(),
            }
            .into()),
            None => Err(ErrorKind::BadShape {
                op: "MatRef",
                shape,
                why: "rows·cols overflows usize".into(),
                location: Location::caller(),
            }
            .into()),
        }
    }

    /// The row-major storage of the stored matrix.
    pub fn data(&self) -> &'a [T] {
        self.data
    }

    /// Stored `(rows, cols)`, before the optional transpose.
    pub fn stored(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// Whether the operand is used transposed.
    pub fn trans(&self) -> bool {
        self.trans
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
    fn strides(&self) -> (usize, usize) {
        if self.trans {
            (1, self.cols)
        } else {
            (self.cols, 1)
        }
    }
}

/// `C ← α·op(A)·op(B) + β·C`, with `C` row-major `m×n`.
///
/// # Panics
/// If the inner dimensions of `op(A)` and `op(B)` differ or `c` does not hold
/// exactly `m·n` elements (callers check shapes first and return
/// [`crate::Error`]s; this is the last line of defence). The operands' own
/// lengths were checked when they were made ([`MatRef::try_new`]).
pub fn gemm<T: Float>(alpha: T, a: MatRef<'_, T>, b: MatRef<'_, T>, beta: T, c: &mut [T]) {
    let (m, k) = a.logical();
    let (k2, n) = b.logical();
    assert_eq!(k, k2, "gemm: inner dimensions differ");
    // MatRef's constructors guarantee these; kept as a cheap, once-per-call check.
    assert_eq!(a.data.len(), a.rows * a.cols, "gemm: A buffer length");
    assert_eq!(b.data.len(), b.rows * b.cols, "gemm: B buffer length");
    assert_eq!(m.checked_mul(n), Some(c.len()), "gemm: C buffer length");
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
    if TypeId::of::<T>() == TypeId::of::<f32>() {
        // SAFETY: A holds exactly m·k elements and B k·n (no overflow:
        // `MatRef::try_new` checked, and its fields are private), C exactly
        // m·n (checked above), so every strided access is in bounds; `c` is
        // a unique borrow, aliasing neither operand; T is f32.
        unsafe { run_as::<T, f32>(m, n, k, alpha, a, b, beta, c) }
    } else {
        // SAFETY: as above; `Float` is sealed to f32 and f64, so T is f64.
        unsafe { run_as::<T, f64>(m, n, k, alpha, a, b, beta, c) }
    }
}

/// Runs the product on element type `E`, which must be `T` itself.
///
/// # Safety
/// `TypeId::of::<T>() == TypeId::of::<E>()`; shapes checked by [`gemm`].
#[allow(clippy::too_many_arguments)]
unsafe fn run_as<T: Float, E: element::Element>(
    m: usize,
    n: usize,
    k: usize,
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: &mut [T],
) {
    debug_assert!(TypeId::of::<T>() == TypeId::of::<E>());
    let view = |x: &MatRef<'_, T>| {
        let (rs, cs) = x.strides();
        pack::Strided {
            ptr: x.data.as_ptr().cast::<E>(),
            rs,
            cs,
        }
    };
    // SAFETY: T and E are the same type, so reading a T as an E is a no-op.
    let (alpha, beta) = unsafe {
        (
            core::mem::transmute_copy::<T, E>(&alpha),
            core::mem::transmute_copy::<T, E>(&beta),
        )
    };
    let problem = driver::Problem {
        m,
        n,
        k,
        alpha,
        beta,
        a: view(&a),
        b: view(&b),
    };
    // SAFETY: the caller checked the lengths; `c` is exclusively borrowed.
    unsafe { driver::run(problem, c.as_mut_ptr().cast::<E>()) }
}

#[cfg(test)]
mod tests_random;

#[cfg(test)]
mod tests_isa;

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
