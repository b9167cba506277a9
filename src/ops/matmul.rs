//! 2-D matrix products. `op(A)·op(B)` with either operand optionally used
//! transposed; transposes are read through strides by the GEMM kernel, never copied.

use std::panic::Location;

use super::Op;
use crate::error::{ErrorKind, Result};
use crate::float::Float;
use crate::tape::{Tape, Var};
use crate::tensor::gemm::{gemm, MatRef};
use crate::tensor::{Shape, Tensor};

/// A stored matrix as a GEMM operand.
fn mat<T: Float>(t: &Tensor<T>, trans: bool) -> MatRef<'_, T> {
    MatRef::new(t.data(), t.dims()[0], t.dims()[1], trans)
}

impl<'t, T: Float> Var<'t, T> {
    /// Forward: `C = op(A)·op(B)`, `C[i,j] = Σₚ op(A)[i,p]·op(B)[p,j]`.
    #[track_caller]
    fn matmul_op(self, rhs: Var<'t, T>, ta: bool, tb: bool) -> Result<Var<'t, T>> {
        let loc = Location::caller();
        let tape = self.tape();
        tape.check_same(rhs.tape(), "matmul", loc)?;
        let (sa, sb) = (self.shape(), rhs.shape());
        let mismatch = |why| {
            ErrorKind::ShapeMismatch {
                op: "matmul",
                lhs: sa,
                rhs: sb,
                why,
                location: loc,
            }
            .into()
        };
        if sa.rank() != 2 || sb.rank() != 2 {
            return Err(mismatch("both operands must be matrices (2 axes)"));
        }
        let (m, k) = if ta {
            (sa.dims()[1], sa.dims()[0])
        } else {
            (sa.dims()[0], sa.dims()[1])
        };
        let (k2, n) = if tb {
            (sb.dims()[1], sb.dims()[0])
        } else {
            (sb.dims()[0], sb.dims()[1])
        };
        if k != k2 {
            return Err(mismatch(match (ta, tb) {
                (false, false) => "columns of the first must equal rows of the second",
                (true, false) => {
                    "rows of the first must equal rows of the second (first transposed)"
                }
                (false, true) => {
                    "columns of the first must equal columns of the second (second transposed)"
                }
                (true, true) => {
                    "rows of the first must equal columns of the second (both transposed)"
                }
            }));
        }
        tape.apply(
            Op::MatMul { ta, tb },
            &[self, rhs],
            Shape::new(&[m, n])?,
            loc,
        )
    }

    /// `A·B` for matrices `[m, k]·[k, n]`.
    #[track_caller]
    pub fn matmul(self, rhs: Var<'t, T>) -> Result<Var<'t, T>> {
        self.matmul_op(rhs, false, false)
    }

    /// `Aᵀ·B` for `A: [k, m]`, `B: [k, n]`, without copying the transpose.
    #[track_caller]
    pub fn t_matmul(self, rhs: Var<'t, T>) -> Result<Var<'t, T>> {
        self.matmul_op(rhs, true, false)
    }

    /// `A·Bᵀ` for `A: [m, k]`, `B: [n, k]`, without copying the transpose
    /// (a PyTorch `Linear`: `x·Wᵀ` with `W: [out, in]`).
    #[track_caller]
    pub fn matmul_t(self, rhs: Var<'t, T>) -> Result<Var<'t, T>> {
        self.matmul_op(rhs, false, true)
    }
}

// VJP of C = op(A)·op(B): d op(A) = Ḡ·op(B)ᵀ, d op(B) = op(A)ᵀ·Ḡ; a stored
// transposed operand receives the transpose of that, which is again a GEMM
// with swapped operands and flags:
//   C = A·B    Ā = Ḡ·Bᵀ      B̄ = Aᵀ·Ḡ
//   C = Aᵀ·B   Ā = B·Ḡᵀ      B̄ = A·Ḡ
//   C = A·Bᵀ   Ā = Ḡ·B       B̄ = Ḡᵀ·A
//   C = Aᵀ·Bᵀ  Ā = Bᵀ·Ḡᵀ     B̄ = Ḡᵀ·Aᵀ
//
// `plan` runs these products; `vjp_plan` gives them.

/// Which stored operands (0 = A, 1 = B, 2 = Ḡ) and transpose flags make the
/// product that is input `k`'s VJP contribution (the table above).
pub(crate) fn vjp_plan(ta: bool, tb: bool, k: usize) -> [(usize, bool); 2] {
    match (k, ta, tb) {
        (0, false, _) => [(2, false), (1, !tb)],
        (0, true, false) => [(1, false), (2, true)],
        (0, true, true) => [(1, true), (2, true)],
        (_, _, false) => [(0, !ta), (2, false)],
        (_, false, true) => [(2, true), (0, false)],
        (_, true, true) => [(2, true), (0, true)],
    }
}

// Forward mode, the product rule: Ċ = op(Ȧ)·op(B) + op(A)·op(Ḃ), two GEMMs
// into one buffer (the second accumulates with β = 1).
pub(crate) fn jvp<T: Float>(
    tape: &Tape<T>,
    ta: bool,
    tb: bool,
    inputs: &[&Tensor<T>],
    c: &Tensor<T>,
    tangents: &[&Tensor<T>],
) -> Tensor<T> {
    let (a, b) = (inputs[0], inputs[1]);
    let mut out = tape.alloc_overwrite(c.shape());
    gemm(
        T::one(),
        mat(tangents[0], ta),
        mat(b, tb),
        T::zero(),
        out.data_mut(),
    );
    gemm(
        T::one(),
        mat(a, ta),
        mat(tangents[1], tb),
        T::one(),
        out.data_mut(),
    );
    let k = if ta { a.dims()[0] } else { a.dims()[1] };
    tape.count_madds(2 * c.numel() * k);
    out
}
