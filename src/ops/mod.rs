//! The ops, one module per family. In each, an op's forward rule and its
//! vector-Jacobian product (VJP) sit side by side with the math in a comment:
//!
//! | module | ops |
//! | --- | --- |
//! | [`unary`] | element-wise `f(x)`: `neg exp log sqrt abs powf sigmoid tanh relu leaky_relu gelu softplus`, scalar `+ − × ÷` |
//! | [`arith`] | element-wise `add sub mul div` with NumPy broadcasting (an explicit `broadcast_to` node); the fused `add_bias` |
//! | [`shape`] | `broadcast_to reshape transpose` |
//! | [`reduce`] | `sum mean` (all, or along an axis with keep-dims), `max` along an axis |
//! | [`matmul`] | 2-D `matmul`, with transposed operands read through strides |
//! | [`softmax`] | `softmax log_softmax` along an axis (max-shifted, stable) |
//! | [`loss`] | `mse bce_with_logits cross_entropy half_sse` (fused, stable) |
//!
//! [`Op`] names what a node did. The tape and [`Replay`](crate::tape::Replay)
//! reach every op's forward rule and VJP through one dispatch table, `plan`
//! (one row per op: its rule, forward, VJP and cost); `jvp` routes forward
//! mode to the families' tangent rules.

pub mod arith;
pub mod loss;
pub mod matmul;
mod plan;
pub mod reduce;
pub mod shape;
pub mod softmax;
pub mod unary;

pub use arith::Binary;
pub(crate) use plan::{accumulate, Fault, Plan};
pub use unary::{Custom, Unary};

use crate::float::Float;
use crate::tape::Tape;
use crate::tensor::{Shape, Tensor};

/// What a tape node did: the op and its parameters (axis, scalar, flags).
#[derive(Clone, Copy, Debug)]
pub enum Op<T: Float> {
    /// A parameter leaf: differentiated.
    Param,
    /// A constant leaf (data, labels, or any value made in inference mode).
    Constant,
    /// An element-wise function `y = f(x)`.
    Unary(Unary),
    /// A user-defined element-wise function with its derivative.
    Custom(Custom<T>),
    /// An element-wise binary op on operands of equal shape.
    Binary(Binary),
    /// `z + b` for a matrix `z: [N, C]` and a bias `b: [C]` added to every row
    /// (a `Linear` layer's bias: broadcasting fused into the op).
    AddBias,
    /// NumPy broadcasting of the input to this node's shape.
    BroadcastTo,
    /// The same elements in a new shape.
    Reshape,
    /// Swap of the last two axes.
    Transpose,
    /// `op(A)·op(B)`, `ta`/`tb` telling which operand is used transposed.
    MatMul {
        /// A is used transposed.
        ta: bool,
        /// B is used transposed.
        tb: bool,
    },
    /// Sum over all elements (`axis: None`) or along one axis.
    Sum {
        /// The reduced axis, or all.
        axis: Option<usize>,
        /// Keep the reduced axis with length 1.
        keepdim: bool,
    },
    /// Mean over all elements or along one axis.
    Mean {
        /// The reduced axis, or all.
        axis: Option<usize>,
        /// Keep the reduced axis with length 1.
        keepdim: bool,
    },
    /// Maximum along one axis.
    Max {
        /// The reduced axis.
        axis: usize,
        /// Keep the reduced axis with length 1.
        keepdim: bool,
    },
    /// Softmax along an axis.
    Softmax {
        /// The normalised axis.
        axis: usize,
    },
    /// Log-softmax along an axis.
    LogSoftmax {
        /// The normalised axis.
        axis: usize,
    },
    /// Mean squared error (PyTorch's `MSELoss`, mean reduction).
    Mse,
    /// Binary cross-entropy on logits (PyTorch's `BCEWithLogitsLoss`, mean).
    BceWithLogits,
    /// Cross-entropy of logits `[N, C]` and class labels `[N]` (PyTorch's `CrossEntropyLoss`, mean).
    CrossEntropy,
    /// `0.5·Σ(y − ŷ)²`, the seed notebook's loss.
    HalfSse,
}

impl<T: Float> Op<T> {
    /// A short name: `"matmul"`, `"sigmoid"`, `"add"`…
    pub fn name(&self) -> &'static str {
        match self {
            Op::Param => "param",
            Op::Constant => "constant",
            Op::Unary(u) => u.name(),
            Op::Custom(c) => c.name,
            Op::Binary(b) => b.name(),
            Op::AddBias => "add_bias",
            Op::BroadcastTo => "broadcast_to",
            Op::Reshape => "reshape",
            Op::Transpose => "transpose",
            Op::MatMul { .. } => "matmul",
            Op::Sum { .. } => "sum",
            Op::Mean { .. } => "mean",
            Op::Max { .. } => "max",
            Op::Softmax { .. } => "softmax",
            Op::LogSoftmax { .. } => "log_softmax",
            Op::Mse => "mse",
            Op::BceWithLogits => "bce_with_logits",
            Op::CrossEntropy => "cross_entropy",
            Op::HalfSse => "half_sse",
        }
    }
}

impl<T: Float> Op<T> {
    /// Applies this op's Jacobian-vector product (forward mode): given the
    /// node's inputs, its output and a tangent for every input (zeros where an
    /// input has none), returns the output's tangent `ẏ = J·ẋ`.
    pub(crate) fn jvp(
        &self,
        tape: &Tape<T>,
        inputs: &[&Tensor<T>],
        out: &Tensor<T>,
        t: &[&Tensor<T>],
    ) -> Tensor<T> {
        match *self {
            Op::Param | Op::Constant => unreachable!("leaves have no inputs"),
            Op::Unary(u) => unary::jvp(tape, u, inputs[0], out, t[0]),
            Op::Custom(c) => unary::custom_jvp(tape, c, inputs[0], out, t[0]),
            Op::Binary(b) => arith::jvp(tape, b, inputs, out, t),
            Op::AddBias => arith::add_bias_jvp(tape, out, t),
            Op::BroadcastTo => shape::broadcast_jvp(tape, inputs[0], t[0], out),
            Op::Reshape => shape::reshape_jvp(tape, out, t[0]),
            Op::Transpose => shape::transpose_jvp(tape, t[0]),
            Op::MatMul { ta, tb } => matmul::jvp(tape, ta, tb, inputs, out, t),
            Op::Sum { axis, .. } => reduce::sum_jvp(tape, t[0], axis, out, false),
            Op::Mean { axis, .. } => reduce::sum_jvp(tape, t[0], axis, out, true),
            Op::Max { axis, .. } => reduce::max_jvp(tape, inputs[0], axis, out, t[0]),
            Op::Softmax { axis } => softmax::softmax_jvp(tape, axis, out, t[0]),
            Op::LogSoftmax { axis } => softmax::log_softmax_jvp(tape, axis, out, t[0]),
            Op::Mse | Op::BceWithLogits | Op::HalfSse => loss::pairwise_jvp(tape, *self, inputs, t),
            Op::CrossEntropy => loss::cross_entropy_jvp(tape, inputs, t),
        }
    }
}

/// Checks an axis against a shape, for ops that take one.
#[track_caller]
pub(crate) fn check_axis(op: &'static str, shape: Shape, axis: usize) -> crate::Result<()> {
    if axis < shape.rank() {
        Ok(())
    } else {
        Err(crate::error::ErrorKind::BadShape {
            op,
            shape,
            why: format!("axis {axis} is out of range for rank {}", shape.rank()),
            location: std::panic::Location::caller(),
        }
        .into())
    }
}
