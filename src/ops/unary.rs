//! Element-wise functions `y = f(x)`: each op is one line of a table giving its
//! forward rule `f(x)` and its local derivative `df(x, y) = dy/dx`, side by side
//! (`df` may reuse the output `y`: σ′ = y(1−y), tanh′ = 1−y², exp′ = y).
//! The VJP of every one of them is the same chain-rule step: `x̄ = ḡ ⊙ df(x, y)`.
//! Transcendental functions come from [`crate::math`] (never std's, which
//! call the system's libm), so every machine and instruction set gives the
//! same bits; `Plan` compiles these loops for each instruction set.

use std::panic::Location;

use crate::float::Float;
use crate::isa::per_isa;
use crate::math;
use crate::tape::{Tape, Var};
use crate::tensor::Tensor;

#[inline(always)]
fn c<T: Float>(x: f64) -> T {
    T::from_f64(x)
}

/// The slope of `leaky_relu` for negative inputs (PyTorch's default, 0.01).
pub const LEAKY_RELU_SLOPE: f64 = 0.01;

macro_rules! unary_ops {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident $(($param:ident))? => $name:literal, $rule:literal,
            f($x:ident) = $f:expr,
            df($dx:ident, $dy:ident) = $df:expr;
    )*) => {
        /// An element-wise function; scalar operands are stored as `f64`.
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub enum Unary {
            $( $(#[doc = $doc])* $variant $((unary_ops!(@ty $param)))?, )*
        }

        impl Unary {
            /// The op's name.
            pub fn name(self) -> &'static str {
                match self { $( Unary::$variant $((unary_ops!(@ignore $param)))? => $name, )* }
            }

            /// The derivative rule as one line of math.
            pub fn rule(self) -> &'static str {
                match self { $( Unary::$variant $((unary_ops!(@ignore $param)))? => $rule, )* }
            }

            /// The forward rule `y = f(x)`.
            #[inline(always)]
            #[allow(unused_variables)]
            pub fn f<T: Float>(self, x: T) -> T {
                match self {
                    $( Unary::$variant $(($param))? => {
                        $( let $param: T = c($param); )?
                        let $x = x;
                        $f
                    } )*
                }
            }

            /// The local derivative `dy/dx` at `x`, given `y = f(x)`.
            #[inline(always)]
            #[allow(unused_variables)]
            pub fn df<T: Float>(self, x: T, y: T) -> T {
                match self {
                    $( Unary::$variant $(($param))? => {
                        $( let $param: T = c($param); )?
                        let ($dx, $dy) = (x, y);
                        $df
                    } )*
                }
            }

            /// `y = f(x)` over whole slices: the op is chosen once, outside
            /// the loop, so each loop is a plain (vectorisable) kernel,
            /// compiled for each instruction set by [`Unary::f_slice`].
            #[inline(always)]
            #[allow(unused_variables)]
            fn f_loop<T: Float>(self, x: &[T], y: &mut [T]) {
                match self {
                    $( Unary::$variant $(($param))? => {
                        $( let $param: T = c($param); )?
                        for (o, &$x) in y.iter_mut().zip(x) {
                            *o = $f;
                        }
                    } )*
                }
            }

            /// The chain-rule step `x̄ = ḡ ⊙ f′(x)` over whole slices, the op
            /// chosen once outside the loop (compiled for each instruction
            /// set by [`Unary::chain_slice`]).
            #[inline(always)]
            #[allow(unused_variables)]
            fn chain_loop<T: Float>(self, x: &[T], y: &[T], g: &[T], out: &mut [T]) {
                match self {
                    $( Unary::$variant $(($param))? => {
                        $( let $param: T = c($param); )?
                        for (((o, &$dx), &$dy), &gi) in out.iter_mut().zip(x).zip(y).zip(g) {
                            *o = gi * $df;
                        }
                    } )*
                }
            }
        }
    };
    (@ty $p:ident) => { f64 };
    (@ignore $p:ident) => { _ };
}

unary_ops! {
    /// `−x`
    Neg => "neg", "d/dx (−x) = −1",
        f(x) = -x,
        df(x, y) = -T::one();
    /// `eˣ`
    Exp => "exp", "d/dx eˣ = eˣ",
        f(x) = math::exp(x),
        df(x, y) = y;
    /// `ln x`
    Log => "log", "d/dx ln x = 1/x",
        f(x) = math::ln(x),
        df(x, y) = x.recip();
    /// `√x`
    Sqrt => "sqrt", "d/dx √x = 1/(2√x)",
        f(x) = x.sqrt(),
        df(x, y) = (y + y).recip();
    /// `|x|` (derivative 0 at 0, as PyTorch)
    Abs => "abs", "d/dx |x| = sign(x)",
        f(x) = x.abs(),
        df(x, y) = if x > T::zero() { T::one() } else if x < T::zero() { -T::one() } else { T::zero() };
    /// `xᵖ`
    Powf(p) => "powf", "d/dx xᵖ = p·xᵖ⁻¹",
        f(x) = math::powf(x, p),
        df(x, y) = p * math::powf(x, p - T::one());
    /// `σ(x) = 1/(1+e⁻ˣ)`, computed exactly so (saturates to 0 or 1, never NaN)
    Sigmoid => "sigmoid", "d/dx σ(x) = σ(x)(1−σ(x))",
        f(x) = T::one() / (T::one() + math::exp(-x)),
        df(x, y) = y * (T::one() - y);
    /// `tanh x`
    Tanh => "tanh", "d/dx tanh x = 1 − tanh²x",
        f(x) = math::tanh(x),
        df(x, y) = T::one() - y * y;
    /// `max(x, 0)` (derivative 0 at 0, as PyTorch)
    Relu => "relu", "d/dx relu(x) = [x > 0]",
        f(x) = if x > T::zero() { x } else { T::zero() },
        df(x, y) = if x > T::zero() { T::one() } else { T::zero() };
    /// `x` for x > 0, else `0.01·x` (PyTorch's default slope)
    LeakyRelu => "leaky_relu", "d/dx leaky_relu(x) = 1 if x > 0 else 0.01",
        f(x) = if x > T::zero() { x } else { x * c(LEAKY_RELU_SLOPE) },
        df(x, y) = if x > T::zero() { T::one() } else { c(LEAKY_RELU_SLOPE) };
    /// `x·Φ(x) = x/2·(1 + erf(x/√2))`, the exact GELU (PyTorch's default)
    Gelu => "gelu", "d/dx x·Φ(x) = Φ(x) + x·φ(x)",
        f(x) = x * c(0.5) * (T::one() + (x * c(std::f64::consts::FRAC_1_SQRT_2)).erf()),
        df(x, y) = c::<T>(0.5) * (T::one() + (x * c(std::f64::consts::FRAC_1_SQRT_2)).erf())
            + x * math::exp(-(x * x) * c(0.5)) * c(0.5 * std::f64::consts::FRAC_2_SQRT_PI * std::f64::consts::FRAC_1_SQRT_2);
    /// `ln(1 + eˣ)`, computed as `max(x,0) + ln(1 + e^(−|x|))` (no overflow)
    Softplus => "softplus", "d/dx ln(1+eˣ) = σ(x)",
        f(x) = x.max(T::zero()) + math::ln_1p(math::exp(-x.abs())),
        df(x, y) = T::one() / (T::one() + math::exp(-x));
    /// `x + c`
    AddScalar(s) => "add_scalar", "d/dx (x + c) = 1",
        f(x) = x + s,
        df(x, y) = T::one();
    /// `x − c`
    SubScalar(s) => "sub_scalar", "d/dx (x − c) = 1",
        f(x) = x - s,
        df(x, y) = T::one();
    /// `c − x`
    RSubScalar(s) => "rsub_scalar", "d/dx (c − x) = −1",
        f(x) = s - x,
        df(x, y) = -T::one();
    /// `c·x`
    MulScalar(s) => "mul_scalar", "d/dx (c·x) = c",
        f(x) = x * s,
        df(x, y) = s;
    /// `x / c`
    DivScalar(s) => "div_scalar", "d/dx (x/c) = 1/c",
        f(x) = x / s,
        df(x, y) = s.recip();
    /// `c / x`
    RDivScalar(s) => "rdiv_scalar", "d/dx (c/x) = −c/x²",
        f(x) = s / x,
        df(x, y) = -y / x;
}

impl Unary {
    /// `y = f(x)` over whole slices, vectorised for the instruction set in
    /// use (the same bits on every set).
    #[inline]
    pub fn f_slice<T: Float>(self, x: &[T], y: &mut [T]) {
        unary_forward(self, x, y)
    }

    /// The chain-rule step `x̄ = ḡ ⊙ f′(x)` over whole slices, vectorised
    /// for the instruction set in use (the same bits on every set).
    #[inline]
    pub fn chain_slice<T: Float>(self, x: &[T], y: &[T], g: &[T], out: &mut [T]) {
        unary_chain(self, x, y, g, out)
    }
}

// The table's loops compiled for AVX-512, AVX2 and portable code.
per_isa! {
    fn unary_forward<T: Float>(u: Unary, x: &[T], y: &mut [T]) [len = y.len()] {
        u.f_loop(x, y)
    }
}

per_isa! {
    fn unary_chain<T: Float>(u: Unary, x: &[T], y: &[T], g: &[T], out: &mut [T]) [len = out.len()] {
        u.chain_loop(x, y, g, out)
    }
}

/// A user-defined element-wise op: its forward rule and derivative as plain
/// functions (`df(x, y)` with `y = f(x)`), recorded like a built-in.
///
/// ```
/// use backprop::{ops::Custom, Tape, Tensor};
/// // y = x³, dy/dx = 3x²
/// let cube = Custom::<f64> { name: "cube", f: |x| x * x * x, df: |x, _y| 3.0 * x * x };
/// let tape = Tape::new();
/// let x = tape.param(&Tensor::from_vec(vec![2.0], &[1]).unwrap());
/// let g = tape.backward(x.map_custom(cube).sum()).unwrap();
/// assert_eq!(g.get(x).unwrap().data(), &[12.0]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Custom<T: Float> {
    /// The op's name, shown in explanations.
    pub name: &'static str,
    /// The forward rule `y = f(x)`.
    pub f: fn(T) -> T,
    /// The local derivative `dy/dx`, given `x` and `y`.
    pub df: fn(T, T) -> T,
}

/// Forward mode of every element-wise op: the Jacobian is diagonal, so the
/// tangent rule is the VJP's product with a tangent in place of `ḡ`:
/// `ẏ = f′(x) ⊙ ẋ`.
pub(crate) fn jvp<T: Float>(
    tape: &Tape<T>,
    u: Unary,
    x: &Tensor<T>,
    y: &Tensor<T>,
    g: &Tensor<T>,
) -> Tensor<T> {
    let mut dx = tape.alloc_overwrite(x.shape());
    u.chain_slice(x.data(), y.data(), g.data(), dx.data_mut());
    tape.count_madds(x.numel());
    dx
}

/// The same tangent rule for a [`Custom`] op, through its function pointers.
pub(crate) fn custom_jvp<T: Float>(
    tape: &Tape<T>,
    op: Custom<T>,
    x: &Tensor<T>,
    y: &Tensor<T>,
    g: &Tensor<T>,
) -> Tensor<T> {
    let mut dx = tape.alloc_overwrite(x.shape());
    custom_chain(op, x.data(), y.data(), g.data(), dx.data_mut());
    tape.count_madds(x.numel());
    dx
}

/// A [`Custom`] op's forward rule over whole slices: `y = f(x)`.
pub(crate) fn custom_forward<T: Float>(op: Custom<T>, x: &[T], y: &mut [T]) {
    for (o, &xi) in y.iter_mut().zip(x) {
        *o = (op.f)(xi);
    }
}

/// A [`Custom`] op's chain-rule step over whole slices: `x̄ = ḡ ⊙ f′(x)`.
pub(crate) fn custom_chain<T: Float>(op: Custom<T>, x: &[T], y: &[T], g: &[T], out: &mut [T]) {
    for (((d, &xi), &yi), &gi) in out.iter_mut().zip(x).zip(y).zip(g) {
        *d = gi * (op.df)(xi, yi);
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Records an element-wise node of kind `op`.
    #[track_caller]
    fn map(self, op: Op<T>) -> Var<'t, T> {
        self.tape()
            .apply(op, &[self], self.shape(), Location::caller())
            .expect("an element-wise op accepts any values")
    }

    #[track_caller]
    fn unary(self, u: Unary) -> Var<'t, T> {
        self.map(Op::Unary(u))
    }

    /// Applies a user-defined element-wise op (see [`Custom`]).
    #[track_caller]
    pub fn map_custom(self, op: Custom<T>) -> Var<'t, T> {
        self.map(Op::Custom(op))
    }

    /// `−x` (also `-x` through `std::ops::Neg`).
    #[allow(clippy::should_implement_trait)]
    #[track_caller]
    pub fn neg(self) -> Var<'t, T> {
        self.unary(Unary::Neg)
    }
    /// `eˣ`.
    #[track_caller]
    pub fn exp(self) -> Var<'t, T> {
        self.unary(Unary::Exp)
    }
    /// `ln x`.
    #[track_caller]
    pub fn log(self) -> Var<'t, T> {
        self.unary(Unary::Log)
    }
    /// `√x`.
    #[track_caller]
    pub fn sqrt(self) -> Var<'t, T> {
        self.unary(Unary::Sqrt)
    }
    /// `|x|`.
    #[track_caller]
    pub fn abs(self) -> Var<'t, T> {
        self.unary(Unary::Abs)
    }
    /// `xᵖ`.
    #[track_caller]
    pub fn powf(self, p: f64) -> Var<'t, T> {
        self.unary(Unary::Powf(p))
    }
    /// `σ(x) = 1/(1+e⁻ˣ)`.
    #[track_caller]
    pub fn sigmoid(self) -> Var<'t, T> {
        self.unary(Unary::Sigmoid)
    }
    /// `tanh x`.
    #[track_caller]
    pub fn tanh(self) -> Var<'t, T> {
        self.unary(Unary::Tanh)
    }
    /// `max(x, 0)`.
    #[track_caller]
    pub fn relu(self) -> Var<'t, T> {
        self.unary(Unary::Relu)
    }
    /// `x` if `x > 0`, else `0.01·x`.
    #[track_caller]
    pub fn leaky_relu(self) -> Var<'t, T> {
        self.unary(Unary::LeakyRelu)
    }
    /// The exact (erf) GELU, `x·Φ(x)`.
    #[track_caller]
    pub fn gelu(self) -> Var<'t, T> {
        self.unary(Unary::Gelu)
    }
    /// `ln(1 + eˣ)`, computed stably.
    #[track_caller]
    pub fn softplus(self) -> Var<'t, T> {
        self.unary(Unary::Softplus)
    }
    /// `x + c`.
    #[track_caller]
    pub fn add_scalar(self, c: f64) -> Var<'t, T> {
        self.unary(Unary::AddScalar(c))
    }
    /// `x − c`.
    #[track_caller]
    pub fn sub_scalar(self, c: f64) -> Var<'t, T> {
        self.unary(Unary::SubScalar(c))
    }
    /// `c − x` (the notebook's `1 - x`).
    #[track_caller]
    pub fn rsub_scalar(self, c: f64) -> Var<'t, T> {
        self.unary(Unary::RSubScalar(c))
    }
    /// `c·x`.
    #[track_caller]
    pub fn mul_scalar(self, c: f64) -> Var<'t, T> {
        self.unary(Unary::MulScalar(c))
    }
    /// `x / c`.
    #[track_caller]
    pub fn div_scalar(self, c: f64) -> Var<'t, T> {
        self.unary(Unary::DivScalar(c))
    }
    /// `c / x`.
    #[track_caller]
    pub fn rdiv_scalar(self, c: f64) -> Var<'t, T> {
        self.unary(Unary::RDivScalar(c))
    }
}

use super::Op;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_saturates_without_nan() {
        assert_eq!(Unary::Sigmoid.f(-1000.0f64), 0.0);
        assert_eq!(Unary::Sigmoid.f(1000.0f64), 1.0);
        assert_eq!(Unary::Sigmoid.f(-100.0f32), 0.0);
        assert!(!Unary::Sigmoid.f(f64::MAX).is_nan());
    }

    #[test]
    fn softplus_is_stable_at_large_inputs() {
        assert_eq!(Unary::Softplus.f(1000.0f64), 1000.0);
        assert!(Unary::Softplus.f(-1000.0f64) >= 0.0);
        assert!((Unary::Softplus.f(0.0f64) - 2f64.ln()).abs() < 1e-15);
    }

    #[test]
    fn gelu_matches_pytorch_values() {
        // Python: [0.5*x*(1+math.erf(x/math.sqrt(2))) for x in (-1.0, 0.5, 2.0)]
        // (the exact GELU, as torch.nn.functional.gelu with approximate='none')
        let want = [
            -0.15865525393145707,
            0.34573123063700656,
            1.9544997361036416,
        ];
        for (x, w) in [-1.0f64, 0.5, 2.0].iter().zip(want) {
            assert!((Unary::Gelu.f(*x) - w).abs() < 1e-12);
        }
    }
}
