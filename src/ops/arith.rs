//! Element-wise `add sub mul div` with NumPy broadcasting.
//!
//! Operands of different shapes are first broadcast by an explicit
//! [`Op::BroadcastTo`] node, so the sum over broadcast axes that broadcasting
//! costs in the backward pass is a visible step of its own; the binary op itself
//! then works on equal shapes.

use std::panic::Location;

use super::Op;
use crate::error::{ErrorKind, Result};
use crate::float::Float;
use crate::isa::per_isa;
use crate::tape::{Tape, Var};
use crate::tensor::{Shape, Tensor};

/// One table row per op, the chain rule visible: the forward rule `f(a, b)`,
/// its vector-Jacobian products `ā` and `b̄` (given the upstream `g`, the
/// inputs and the output `y`), the tangent rule `ẏ` of forward mode, and the
/// rule as the walkthrough prints it. Each row becomes match arms of whole-
/// slice loops with the op chosen outside the loop, so every loop is a plain
/// (vectorisable) kernel, as in `unary_ops!`.
macro_rules! binary_ops {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident => $name:literal, $rule:literal,
            f($a:ident, $b:ident) = $f:expr,
            vjp($g:ident, $va:ident, $vb:ident, $vy:ident) = ($da:expr, $db:expr),
            jvp($ta:ident, $tb:ident) = $jvp:expr;
    )*) => {
        /// An element-wise binary op on equal shapes.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Binary {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl Binary {
            /// The op's name.
            pub fn name(self) -> &'static str {
                match self { $( Binary::$variant => $name, )* }
            }

            /// Its derivative rule as one line of math.
            pub fn rule(self) -> &'static str {
                match self { $( Binary::$variant => $rule, )* }
            }

            /// The forward rule, element by element.
            #[inline(always)]
            pub fn f<T: Float>(self, a: T, b: T) -> T {
                match self { $( Binary::$variant => { let ($a, $b) = (a, b); $f } )* }
            }
        }

        /// Forward over whole slices of equal length: `y = a ∘ b` element by
        /// element (compiled for each instruction set by `binary_forward`).
        #[inline(always)]
        fn binary_forward_loop<T: Float>(op: Binary, a: &[T], b: &[T], y: &mut [T]) {
            match op {
                $( Binary::$variant => {
                    for ((o, &$a), &$b) in y.iter_mut().zip(a).zip(b) {
                        *o = $f;
                    }
                } )*
            }
        }

        /// Input `k`'s VJP contribution over whole slices (`k` = 0: ā, 1: b̄),
        /// compiled for each instruction set by `binary_vjp_into`.
        #[inline(always)]
        #[allow(unused_variables)]
        fn binary_vjp_loop<T: Float>(
            op: Binary,
            k: usize,
            a: &[T],
            b: &[T],
            y: &[T],
            g: &[T],
            out: &mut [T],
        ) {
            let rows = out.iter_mut().zip(g).zip(a).zip(b).zip(y);
            match (op, k) {
                $(
                    (Binary::$variant, 0) => {
                        for ((((o, &$g), &$va), &$vb), &$vy) in rows {
                            *o = $da;
                        }
                    }
                    (Binary::$variant, _) => {
                        for ((((o, &$g), &$va), &$vb), &$vy) in rows {
                            *o = $db;
                        }
                    }
                )*
            }
        }

        /// Forward mode, the table's tangent rules: `ẏ` from `ȧ`, `ḃ`.
        #[allow(unused_variables)]
        fn binary_jvp_into<T: Float>(
            op: Binary,
            a: &[T],
            b: &[T],
            y: &[T],
            ta: &[T],
            tb: &[T],
            out: &mut [T],
        ) {
            let rows = out.iter_mut().zip(ta).zip(tb).zip(a).zip(b).zip(y);
            match op {
                $( Binary::$variant => {
                    for (((((o, &$ta), &$tb), &$a), &$b), &$vy) in rows {
                        *o = $jvp;
                    }
                } )*
            }
        }
    };
}

binary_ops! {
    /// `a + b`
    Add => "add", "ā = ḡ, b̄ = ḡ",
        f(a, b) = a + b,
        vjp(g, a, b, y) = (g, g),
        jvp(ta, tb) = ta + tb;
    /// `a − b`
    Sub => "sub", "ā = ḡ, b̄ = −ḡ",
        f(a, b) = a - b,
        vjp(g, a, b, y) = (g, -g),
        jvp(ta, tb) = ta - tb;
    /// `a ⊙ b`
    Mul => "mul", "ā = ḡ⊙b, b̄ = ḡ⊙a",
        f(a, b) = a * b,
        vjp(g, a, b, y) = (g * b, g * a),
        jvp(ta, tb) = ta * b + a * tb;
    /// `a ⊘ b` (b̄ = −ḡ⊙a/b² written as −ḡ⊙y/b, with the output `y = a/b`)
    Div => "div", "ā = ḡ/b, b̄ = −ḡ⊙a/b²",
        f(a, b) = a / b,
        vjp(g, a, b, y) = (g / b, -g * y / b),
        jvp(ta, tb) = (ta - y * tb) / b;
}

// The table's loops compiled for AVX-512, AVX2 and portable code.
per_isa! {
    /// Forward over whole slices of equal length: `y = a ∘ b` element by element.
    pub(crate) fn binary_forward<T: Float>(op: Binary, a: &[T], b: &[T], y: &mut [T])
        [len = y.len()] { binary_forward_loop(op, a, b, y) }
}

per_isa! {
    /// Input `k`'s VJP contribution over whole slices (`k` = 0: ā, 1: b̄).
    pub(crate) fn binary_vjp_into<T: Float>(
        op: Binary,
        k: usize,
        a: &[T],
        b: &[T],
        y: &[T],
        g: &[T],
        out: &mut [T],
    ) [len = out.len()] { binary_vjp_loop(op, k, a, b, y, g, out) }
}

/// Forward mode: the table's tangent rules applied to whole tensors.
pub(crate) fn jvp<T: Float>(
    tape: &Tape<T>,
    op: Binary,
    inputs: &[&Tensor<T>],
    y: &Tensor<T>,
    tangents: &[&Tensor<T>],
) -> Tensor<T> {
    let mut out = tape.alloc_overwrite(y.shape());
    binary_jvp_into(
        op,
        inputs[0].data(),
        inputs[1].data(),
        y.data(),
        tangents[0].data(),
        tangents[1].data(),
        out.data_mut(),
    );
    tape.count_madds(2 * y.numel());
    out
}

// `add sub mul div` are the primary API; the `std::ops` traits below are
// their operator forms.
#[allow(clippy::should_implement_trait)]
impl<'t, T: Float> Var<'t, T> {
    #[track_caller]
    fn binary(self, rhs: Var<'t, T>, op: Binary) -> Result<Var<'t, T>> {
        let loc = Location::caller();
        let tape = self.tape();
        tape.check_same(rhs.tape(), op.name(), loc)?;
        let (sa, sb) = (self.shape(), rhs.shape());
        let target = Shape::broadcast(&sa, &sb).ok_or(ErrorKind::ShapeMismatch {
            op: op.name(),
            lhs: sa,
            rhs: sb,
            why: "they do not broadcast: trailing axes must be equal or 1",
            location: loc,
        })?;
        let a = if sa == target {
            self
        } else {
            self.broadcast_at(target, loc)?
        };
        let b = if sb == target {
            rhs
        } else {
            rhs.broadcast_at(target, loc)?
        };
        tape.apply(Op::Binary(op), &[a, b], target, loc)
    }

    /// `self + rhs`, broadcasting as NumPy does.
    #[track_caller]
    pub fn add(self, rhs: Var<'t, T>) -> Result<Var<'t, T>> {
        self.binary(rhs, Binary::Add)
    }

    /// `self − rhs`, broadcasting as NumPy does.
    #[track_caller]
    pub fn sub(self, rhs: Var<'t, T>) -> Result<Var<'t, T>> {
        self.binary(rhs, Binary::Sub)
    }

    /// `self ⊙ rhs` (element-wise), broadcasting as NumPy does.
    #[track_caller]
    pub fn mul(self, rhs: Var<'t, T>) -> Result<Var<'t, T>> {
        self.binary(rhs, Binary::Mul)
    }

    /// `self ⊘ rhs` (element-wise), broadcasting as NumPy does.
    #[track_caller]
    pub fn div(self, rhs: Var<'t, T>) -> Result<Var<'t, T>> {
        self.binary(rhs, Binary::Div)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// `z + b` with `z: [N, C]` and `b: [C]` added to every row: a `Linear`
    /// layer's bias, with the broadcast fused into the op (no `[N, C]` copy of
    /// `b`, and one pass for its gradient).
    #[track_caller]
    pub fn add_bias(self, b: Var<'t, T>) -> Result<Var<'t, T>> {
        let loc = Location::caller();
        let tape = self.tape();
        tape.check_same(b.tape(), "add_bias", loc)?;
        let (sz, sb) = (self.shape(), b.shape());
        if sz.rank() != 2 || sb.rank() != 1 || sz.dims()[1] != sb.dims()[0] {
            return Err(ErrorKind::ShapeMismatch {
                op: "add_bias",
                lhs: sz,
                rhs: sb,
                why: "expected a matrix [N, C] and a bias [C]",
                location: loc,
            }
            .into());
        }
        tape.apply(Op::AddBias, &[self, b], sz, loc)
    }
}

per_isa! {
    /// `y[n, c] = z[n, c] + b[c]` over whole slices (`b.len()` = C),
    /// vectorised for the instruction set in use.
    pub(crate) fn add_bias_forward<T: Float>(z: &[T], b: &[T], y: &mut [T]) [len = y.len()] {
        let c = b.len().max(1);
        for (yr, zr) in y.chunks_mut(c).zip(z.chunks(c)) {
            for ((o, &z), &bb) in yr.iter_mut().zip(zr).zip(b) {
                *o = z + bb;
            }
        }
    }
}

per_isa! {
    /// `b̄[c] = Σₙ ḡ[n, c]`, rows added in order into `db` (`db.len()` = C):
    /// one partial sum per column on every instruction set (the columns are
    /// the vector lanes), so every set gives the same bits.
    pub(crate) fn add_bias_db_into<T: Float>(g: &[T], db: &mut [T]) [len = g.len()] {
        db.fill(T::zero());
        for row in g.chunks(db.len().max(1)) {
            for (d, &gv) in db.iter_mut().zip(row) {
                *d += gv;
            }
        }
    }
}

// Forward mode: ẏ[n, c] = ż[n, c] + ḃ[c].
pub(crate) fn add_bias_jvp<T: Float>(tape: &Tape<T>, y: &Tensor<T>, t: &[&Tensor<T>]) -> Tensor<T> {
    let c = t[1].numel();
    let mut out = tape.alloc_overwrite(y.shape());
    for (orow, zrow) in out
        .data_mut()
        .chunks_mut(c.max(1))
        .zip(t[0].data().chunks(c.max(1)))
    {
        for ((o, &z), &b) in orow.iter_mut().zip(zrow).zip(t[1].data()) {
            *o = z + b;
        }
    }
    out
}

// Operators, so that a formula reads as on paper: `(a * b + b.powf(3.0))?`.
//
// A shape mismatch surfaces as candle's does: `Var ∘ Var` gives a `Result`
// whose error names the caller's line (`#[track_caller]` all the way down),
// and `Result ∘ Var` and `Var ∘ Result` carry an earlier error on, so one
// `?` can end a chain. An `f64` on either side cannot mismatch, so
// `Var ∘ f64` and `f64 ∘ Var` give a `Var`. (Rust's orphan rule forbids
// `Result ∘ Result` and `Result ∘ f64`: there, `?` the left side first.)
macro_rules! overload {
    ($trait:ident, $method:ident, $scalar:ident, $rscalar:ident) => {
        /// Operator form of the method of the same name (a `Result`: shapes may not fit).
        impl<'t, T: Float> std::ops::$trait for Var<'t, T> {
            type Output = Result<Var<'t, T>>;
            #[track_caller]
            fn $method(self, rhs: Var<'t, T>) -> Result<Var<'t, T>> {
                Var::$method(self, rhs)
            }
        }
        /// An earlier error carried on, or the operator on its value.
        impl<'t, T: Float> std::ops::$trait<Var<'t, T>> for Result<Var<'t, T>> {
            type Output = Result<Var<'t, T>>;
            #[track_caller]
            fn $method(self, rhs: Var<'t, T>) -> Result<Var<'t, T>> {
                Var::$method(self?, rhs)
            }
        }
        /// An earlier error carried on, or the operator on its value.
        impl<'t, T: Float> std::ops::$trait<Result<Var<'t, T>>> for Var<'t, T> {
            type Output = Result<Var<'t, T>>;
            #[track_caller]
            fn $method(self, rhs: Result<Var<'t, T>>) -> Result<Var<'t, T>> {
                Var::$method(self, rhs?)
            }
        }
        /// With a scalar on the right (element-wise; cannot fail).
        impl<'t, T: Float> std::ops::$trait<f64> for Var<'t, T> {
            type Output = Var<'t, T>;
            #[track_caller]
            fn $method(self, c: f64) -> Var<'t, T> {
                Var::$scalar(self, c)
            }
        }
        /// With a scalar on the left (element-wise; cannot fail).
        impl<'t, T: Float> std::ops::$trait<Var<'t, T>> for f64 {
            type Output = Var<'t, T>;
            #[track_caller]
            fn $method(self, x: Var<'t, T>) -> Var<'t, T> {
                Var::$rscalar(x, self)
            }
        }
    };
}

overload!(Add, add, add_scalar, add_scalar);
overload!(Sub, sub, sub_scalar, rsub_scalar);
overload!(Mul, mul, mul_scalar, mul_scalar);
overload!(Div, div, div_scalar, rdiv_scalar);

impl<'t, T: Float> std::ops::Neg for Var<'t, T> {
    type Output = Var<'t, T>;
    #[track_caller]
    fn neg(self) -> Var<'t, T> {
        Var::neg(self)
    }
}
