//! The one entry point for matrix products `C = op(A)·op(B)`: tiny products by
//! a direct loop on the calling thread (no packing, no thread pool, no
//! allocation), the rest by the packed [`gemm`](super::gemm) kernel.
//!
//! The tape's ops and the [`Replay`](crate::tape::Replay) of a recorded step
//! both go through [`Product`], so the two agree bit for bit.

use std::panic::Location;

use super::gemm::{gemm, MatRef};
use super::Shape;
use crate::error::{ErrorKind, Result};
use crate::float::Float;

/// Products of at most this many multiply-adds (`m·n·k`) take the direct loop:
/// below it, packing operands for the blocked kernel costs more than it saves
/// (the notebook's 4×2·2×2 product is 16 multiply-adds).
pub const DIRECT_MAX_MADDS: usize = 4096;

/// How a product of given shapes is computed, chosen once from the shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Product {
    /// `C[i,j] = Σₚ A[i,p]·B[p,j]` by three nested loops, p innermost and in order.
    Direct,
    /// The blocked, packed GEMM kernel (threads above its own threshold).
    Blocked,
}

impl Product {
    /// The kernel for an `m×k · k×n` product.
    pub fn for_shape(m: usize, k: usize, n: usize) -> Product {
        if m.saturating_mul(n).saturating_mul(k) <= DIRECT_MAX_MADDS {
            Product::Direct
        } else {
            Product::Blocked
        }
    }

    /// `C ← op(A)·op(B)` (overwriting `C`, row-major `m×n`).
    ///
    /// # Panics
    /// If the operands' logical shapes disagree or `c` does not hold `m·n`
    /// elements (callers check shapes first and return errors).
    pub fn run<T: Float>(self, a: MatRef<'_, T>, b: MatRef<'_, T>, c: &mut [T]) {
        match self {
            Product::Direct => direct(a, b, c),
            Product::Blocked => gemm(T::one(), a, b, T::zero(), c),
        }
    }
}

/// `C ← op(A)·op(B)` with the kernel [`Product::for_shape`] picks.
///
/// # Panics
/// As [`Product::run`]: if the shapes disagree or `c` has the wrong length.
pub fn product<T: Float>(a: MatRef<'_, T>, b: MatRef<'_, T>, c: &mut [T]) {
    let (m, k) = a.logical();
    let n = b.logical().1;
    Product::for_shape(m, k, n).run(a, b, c)
}

/// The direct loop: each `C[i,j]` a left-to-right sum of its `k` products.
fn direct<T: Float>(a: MatRef<'_, T>, b: MatRef<'_, T>, c: &mut [T]) {
    let (m, k) = a.logical();
    let (k2, n) = b.logical();
    assert_eq!(k, k2, "product: inner dimensions differ");
    // `a` and `b` hold m·k and k·n elements, so only m·n can overflow, and
    // then no `c` has that length.
    let Ok(plan) = Direct::new(m, k, n, a.trans(), b.trans()) else {
        panic!("product: C buffer length ({m}×{n} overflows usize)");
    };
    plan.run(a.data(), b.data(), c);
}

/// A direct product's shape and strides, worked out once: a replayed step
/// keeps one per tiny product and calls [`Direct::run`] on fresh operands.
#[derive(Clone, Copy, Debug)]
pub struct Direct {
    m: usize,
    k: usize,
    n: usize,
    rsa: usize,
    csa: usize,
    rsb: usize,
    csb: usize,
}

impl Direct {
    /// The plan for `op(A)·op(B)` with logical shapes `m×k · k×n`, each
    /// operand stored row-major and used transposed or not.
    ///
    /// # Errors
    /// [`ErrorKind::BadShape`] (op `"product"`) if one of the buffer lengths
    /// `m·k`, `k·n` or `m·n` overflows `usize`: no buffers of those lengths
    /// can exist, and [`Direct::run`] relies on the products being exact.
    ///
    /// ```
    /// use backprop::tensor::product::Direct;
    /// assert!(Direct::new(2, 3, 4, false, false).is_ok());
    /// assert!(Direct::new(1 << 40, 1 << 40, 1, false, false).is_err());
    /// ```
    #[track_caller]
    pub fn new(m: usize, k: usize, n: usize, ta: bool, tb: bool) -> Result<Direct> {
        let fits = |x: usize, y: usize| x.checked_mul(y).is_some();
        if !(fits(m, k) && fits(k, n) && fits(m, n)) {
            return Err(ErrorKind::BadShape {
                op: "product",
                shape: Shape::new(&[m, k, n])?,
                why: format!("an {m}×{k} · {k}×{n} product has buffers longer than usize::MAX"),
                location: Location::caller(),
            }
            .into());
        }
        // Logical element (i, p) of a row-major matrix stored `[rows, cols]`,
        // used transposed or not, sits at i·rs + p·cs.
        let (rsa, csa) = if ta { (1, m) } else { (k, 1) };
        let (rsb, csb) = if tb { (1, k) } else { (n, 1) };
        Ok(Direct {
            m,
            k,
            n,
            rsa,
            csa,
            rsb,
            csb,
        })
    }

    /// `C ← op(A)·op(B)`, `C[i,j] = ((0 + A[i,0]·B[0,j]) + A[i,1]·B[1,j]) + …`.
    ///
    /// # Panics
    /// If a buffer's length does not match the plan (`a` holds `m·k`
    /// elements, `b` `k·n`, `c` `m·n`).
    #[inline]
    pub fn run<T: Float>(&self, a: &[T], b: &[T], c: &mut [T]) {
        let Direct {
            m,
            k,
            n,
            rsa,
            csa,
            rsb,
            csb,
        } = *self;
        assert!(
            a.len() == m * k && b.len() == k * n && c.len() == m * n,
            "product: buffer lengths do not match {m}×{k}·{k}×{n}"
        );
        for i in 0..m {
            for j in 0..n {
                let (mut ia, mut ib) = (i * rsa, j * csb);
                let mut acc = T::zero();
                for _ in 0..k {
                    // SAFETY: i < m, j < n and p < k, so ia = i·rsa + p·csa and
                    // ib = p·rsb + j·csb index the m·k and k·n elements asserted
                    // above (exact products: `new` refused any that overflow,
                    // and the fields are private, so they cannot change).
                    acc += unsafe { *a.get_unchecked(ia) * *b.get_unchecked(ib) };
                    ia += csa;
                    ib += rsb;
                }
                // SAFETY: i·n + j < m·n = c.len() (exact, as above).
                unsafe { *c.get_unchecked_mut(i * n + j) = acc };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_and_blocked_agree_for_every_transpose() {
        let (m, k, n) = (3, 5, 4);
        let a: Vec<f64> = (0..m * k).map(|i| (i as f64 * 0.37).sin()).collect();
        let b: Vec<f64> = (0..k * n).map(|i| (i as f64 * 0.71).cos()).collect();
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let ar = if ta {
                MatRef::new(&a[..], k, m, true)
            } else {
                MatRef::new(&a[..], m, k, false)
            };
            let br = if tb {
                MatRef::new(&b[..], n, k, true)
            } else {
                MatRef::new(&b[..], k, n, false)
            };
            let (mut c1, mut c2) = (vec![0.0; m * n], vec![0.0; m * n]);
            Product::Direct.run(ar, br, &mut c1);
            Product::Blocked.run(ar, br, &mut c2);
            for (x, y) in c1.iter().zip(&c2) {
                assert!((x - y).abs() < 1e-13, "ta={ta} tb={tb}: {x} vs {y}");
            }
        }
    }

    #[test]
    fn the_notebook_product_is_direct_and_a_layer_is_blocked() {
        assert_eq!(Product::for_shape(4, 2, 2), Product::Direct);
        assert_eq!(Product::for_shape(128, 784, 256), Product::Blocked);
    }
}
