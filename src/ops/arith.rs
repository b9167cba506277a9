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
use crate::tape::{Tape, Var};
use crate::tensor::{Shape, Tensor};

/// An element-wise binary op on equal shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binary {
    /// `a + b`
    Add,
    /// `a − b`
    Sub,
    /// `a ⊙ b`
    Mul,
    /// `a ⊘ b`
    Div,
}

impl Binary {
    /// The op's name.
    pub fn name(self) -> &'static str {
        match self {
            Binary::Add => "add",
            Binary::Sub => "sub",
            Binary::Mul => "mul",
            Binary::Div => "div",
        }
    }

    /// Its derivative rule as one line of math.
    pub fn rule(self) -> &'static str {
        match self {
            Binary::Add => "ā = ḡ, b̄ = ḡ",
            Binary::Sub => "ā = ḡ, b̄ = −ḡ",
            Binary::Mul => "ā = ḡ⊙b, b̄ = ḡ⊙a",
            Binary::Div => "ā = ḡ/b, b̄ = −ḡ⊙a/b²",
        }
    }

    /// The forward rule, element by element.
    #[inline(always)]
    fn f<T: Float>(self, a: T, b: T) -> T {
        match self {
            Binary::Add => a + b, // a + b
            Binary::Sub => a - b, // a − b
            Binary::Mul => a * b, // a·b
            Binary::Div => a / b, // a/b
        }
    }
}

/// The VJPs, written beside [`Binary::f`]'s rules:
/// `add`: ā = ḡ, b̄ = ḡ · `sub`: ā = ḡ, b̄ = −ḡ · `mul`: ā = ḡ⊙b, b̄ = ḡ⊙a ·
/// `div`: ā = ḡ/b, b̄ = −ḡ⊙a/b² = −ḡ⊙y/b.
pub(crate) fn vjp<T: Float>(
    tape: &Tape<T>,
    op: Binary,
    inputs: &[&Tensor<T>],
    y: &Tensor<T>,
    g: &Tensor<T>,
    needs: &[bool],
    contribs: &mut [Option<Tensor<T>>],
) {
    tape.count_madds(needs.iter().filter(|&&n| n).count() * g.numel());
    for k in 0..2 {
        if needs[k] {
            let mut d = tape.alloc_overwrite(g.shape());
            binary_vjp_into(
                op,
                k,
                inputs[0].data(),
                inputs[1].data(),
                y.data(),
                g.data(),
                d.data_mut(),
            );
            contribs[k] = Some(d);
        }
    }
}

/// Forward over whole slices of equal length: `y = a ∘ b` element by element.
pub(crate) fn binary_forward<T: Float>(op: Binary, a: &[T], b: &[T], y: &mut [T]) {
    for ((o, &x), &z) in y.iter_mut().zip(a).zip(b) {
        *o = op.f(x, z);
    }
}

/// Input `k`'s VJP contribution over whole slices, one plain loop per rule
/// (the op is chosen outside the loop).
pub(crate) fn binary_vjp_into<T: Float>(
    op: Binary,
    k: usize,
    a: &[T],
    b: &[T],
    y: &[T],
    g: &[T],
    out: &mut [T],
) {
    let zip1 = |out: &mut [T], f: fn(T, T) -> T, other: &[T]| {
        for ((o, &gi), &v) in out.iter_mut().zip(g).zip(other) {
            *o = f(gi, v);
        }
    };
    match (op, k) {
        (Binary::Add | Binary::Sub, 0) | (Binary::Add, _) => out.copy_from_slice(g),
        (Binary::Mul, 0) => zip1(out, |gi, b| gi * b, b),
        (Binary::Div, 0) => zip1(out, |gi, b| gi / b, b),
        (Binary::Sub, _) => zip1(out, |gi, _| -gi, g),
        (Binary::Mul, _) => zip1(out, |gi, a| gi * a, a),
        (Binary::Div, _) => {
            for (((o, &gi), &y), &b) in out.iter_mut().zip(g).zip(y).zip(b) {
                *o = -gi * y / b;
            }
        }
    }
}

/// Forward mode, the same rules applied to tangents: `add`: ẏ = ȧ + ḃ ·
/// `sub`: ẏ = ȧ − ḃ · `mul`: ẏ = ȧ⊙b + a⊙ḃ · `div`: ẏ = (ȧ − y⊙ḃ)/b.
pub(crate) fn jvp<T: Float>(
    tape: &Tape<T>,
    op: Binary,
    inputs: &[&Tensor<T>],
    y: &Tensor<T>,
    tangents: &[&Tensor<T>],
) -> Tensor<T> {
    let (a, b, ta, tb) = (
        inputs[0].data(),
        inputs[1].data(),
        tangents[0].data(),
        tangents[1].data(),
    );
    let mut out = tape.alloc_overwrite(y.shape());
    for (i, o) in out.data_mut().iter_mut().enumerate() {
        *o = match op {
            Binary::Add => ta[i] + tb[i],
            Binary::Sub => ta[i] - tb[i],
            Binary::Mul => ta[i] * b[i] + a[i] * tb[i],
            Binary::Div => (ta[i] - y.data()[i] * tb[i]) / b[i],
        };
    }
    tape.count_madds(2 * y.numel());
    out
}

// `add sub mul div` are the fallible primary API; the `std::ops` traits below
// are implemented too, as panicking shorthands for the same methods.
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
        let mut y = tape.alloc_overwrite(target);
        binary_forward(op, a.value().data(), b.value().data(), y.data_mut());
        let id = tape.push(Op::Binary(op), &[a.id(), b.id()], y, loc);
        Ok(Var::new(tape, id))
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
        let mut y = tape.alloc_overwrite(sz);
        add_bias_forward(self.value().data(), b.value().data(), y.data_mut());
        Ok(Var::new(
            tape,
            tape.push(Op::AddBias, &[self.id(), b.id()], y, loc),
        ))
    }
}

// VJP of y = z + b·1ᵀ: z̄ = ḡ, b̄[c] = Σₙ ḡ[n, c] (the sum a broadcast's VJP takes).
pub(crate) fn add_bias_vjp<T: Float>(
    tape: &Tape<T>,
    inputs: &[&Tensor<T>],
    g: &Tensor<T>,
    needs: &[bool],
    contribs: &mut [Option<Tensor<T>>],
) {
    if needs[0] {
        contribs[0] = Some(tape.alloc_copy(g));
    }
    if needs[1] {
        let mut db = tape.alloc_overwrite(inputs[1].shape());
        add_bias_db_into(g.data(), db.data_mut());
        tape.count_madds(g.numel());
        contribs[1] = Some(db);
    }
}

/// `y[n, c] = z[n, c] + b[c]` over whole slices (`b.len()` = C).
pub(crate) fn add_bias_forward<T: Float>(z: &[T], b: &[T], y: &mut [T]) {
    let c = b.len().max(1);
    for (yr, zr) in y.chunks_mut(c).zip(z.chunks(c)) {
        for ((o, &z), &bb) in yr.iter_mut().zip(zr).zip(b) {
            *o = z + bb;
        }
    }
}

/// `b̄[c] = Σₙ ḡ[n, c]`, rows added in order into `db` (`db.len()` = C).
pub(crate) fn add_bias_db_into<T: Float>(g: &[T], db: &mut [T]) {
    db.fill(T::zero());
    for row in g.chunks(db.len().max(1)) {
        for (d, &gv) in db.iter_mut().zip(row) {
            *d += gv;
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
