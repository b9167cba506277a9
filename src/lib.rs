//! # backprop
//!
//! Reverse-mode automatic differentiation on a tape, shown step by step.
//!
//! **The tape in ten lines.** A [`Tape`] is a Wengert list. Leaves go on it as
//! parameters ([`Tape::param`], differentiated) or constants ([`Tape::constant`],
//! data such as `X` and `y`). Every op applied to a [`Var`] computes its value
//! and appends a node (op, inputs, output). Creation order is a topological
//! order, so [`Tape::backward`] is a plain reverse loop: seed ∂L/∂L = 1, then at
//! each node apply the op's vector-Jacobian product — the chain rule's local
//! step — and add the results into the inputs' gradients (a value used twice
//! receives the sum). Gradients come back in a fresh [`Grads`] store each call;
//! [`Tape::backward_with`] lets an observer watch each step of the sweep.
//!
//! ```
//! use backprop::{Tape, Tensor};
//! # fn main() -> backprop::Result<()> {
//! let tape = Tape::<f64>::new();
//! let x = tape.constant(&Tensor::from_rows(&[[1.0, 2.0]])?);   // data
//! let w = tape.param(&Tensor::from_rows(&[[0.5], [-0.25]])?);  // a weight
//! let loss = x.matmul(w)?.sigmoid().sum();                     // σ(x·w)
//! let grads = tape.backward(loss)?;
//! // ∂L/∂w = xᵀ·σ′(x·w), and σ′(0) = 1/4
//! assert_eq!(grads.get(w).unwrap().data(), &[0.25, 0.5]);
//! # Ok(()) }
//! ```
//!
//! ## The map
//! | module | holds |
//! | --- | --- |
//! | [`float`] | the sealed [`Float`] trait: `f32` and `f64`, one generic code path |
//! | [`math`] | `exp`, `ln`, `ln_1p`, `tanh` of our own: the same bits on every instruction set and machine, within 1 ulp |
//! | [`tensor`] | [`Tensor`]: shape + row-major buffer, broadcasting, the GEMM call |
//! | [`tape`] | [`Tape`], [`Var`], [`Grads`], the backward sweep and its observer; [`Replay`]: a recorded step compiled once, run again on preallocated buffers |
//! | [`ops`] | every op, its forward rule beside its vector-Jacobian product |
//! | [`check`] | [`gradcheck`](check::gradcheck): the tape against finite differences |
//! | [`rng`] | NumPy-compatible `seed` + `rand` (MT19937) |
//! | [`numpy_fmt`] | NumPy's `print` of arrays, Python's `repr` of floats |
//! | [`graph`] | the recorded graph as DOT, or as SVG laid out by us |
//! | [`notebook`] | the seed notebook's network, recorded on a tape with its names |
//! | [`walkthrough`] | the notebook replayed and explained from the observed backward pass |
//! | [`nn`] | the `Module` trait (named parameters, PyTorch names), `Linear` (PyTorch layout), `Sequential`, `Mlp` of any depth, activations, losses, initialisers |
//! | [`optim`] | SGD (momentum, Nesterov), Adam, AdamW with PyTorch's update rules, state keyed by parameter name |
//! | [`data`] | CSV (plain or gzipped), MNIST IDX, generated 2-D sets; batching and shuffling |
//! | [`train`] | the training loop, per-epoch metrics, evaluation; [`train::distributed`]: data-parallel training over any [`train::distributed::Collective`] (MPI with the `mpi` feature) |
//! | [`isa`] | the instruction set the kernels use (AVX-512, AVX2, portable), chosen at run time; `BACKPROP_ISA` |
//! | [`io`] | safetensors model and checkpoint files, PyTorch-compatible; atomic writes |
//! | `plot` | training curves and decision boundaries (plotters, embedded font; feature `cli`) |
//! | [`error`] | [`Error`], with op names, shapes and the caller's line |
//! | [`prelude`] | the common types in one `use` |
//!
//! ## Errors and panics
//! Ops return [`Result`]: a shape mismatch names the op, both shapes and the
//! caller's source line. Ops that cannot fail (element-wise functions, full
//! reductions) return a [`Var`] directly. The operators `+ − * /` on `Var`
//! are the same methods, so `Var ∘ Var` gives a `Result` (candle's way), a
//! `Result` on either side carries an earlier error on, and an `f64` on
//! either side gives a `Var`: micrograd's `d = a * b + b**3` reads
//! `let d = (a * b + b.powf(3.0))?;`. Data from files or the command line is
//! validated before it reaches an op. Where a function panics by design, its
//! documentation says so under `# Panics`.
//!
//! ## The prelude
//! `use backprop::prelude::*;` brings the tape, tensors, the network, its
//! optimisers and the training loop:
//!
//! ```
//! use backprop::prelude::*;
//! # fn main() -> backprop::Result<()> {
//! let tape = Tape::<f64>::new();
//! let a = tape.param(&Tensor::scalar(-4.0));
//! let b = tape.param(&Tensor::scalar(2.0));
//! let d = (a * b + b.powf(3.0))?;              // micrograd: d = a * b + b**3
//! let grads = tape.backward(d)?;
//! assert_eq!(grads.get(a).unwrap().data(), &[2.0]);        // ∂d/∂a = b
//! assert_eq!(grads.get(b).unwrap().data(), &[-4.0 + 12.0]); // ∂d/∂b = a + 3b²
//! # Ok(()) }
//! ```
//!
//! ## Why our own tensor
//! [`Tensor`] is a small own type (an inline [`Shape`] and a `Vec`) rather than
//! `ndarray`: the tape owns every value and recycles buffers through a pool,
//! views are never needed (transposed GEMM operands are read through strides),
//! and the type stays small enough that every kernel is visible.

pub mod check;
pub mod data;
pub mod error;
pub mod float;
pub mod graph;
pub mod io;
pub mod isa;
pub mod math;
mod named;
pub mod nn;
pub mod notebook;
pub mod numpy_fmt;
pub mod ops;
pub mod optim;
pub mod playground;
#[cfg(feature = "cli")]
pub mod plot;
pub mod rng;
pub mod tape;
pub mod tensor;
pub mod train;
pub mod walkthrough;

pub use error::{Error, Result};

/// What most programs using the library need, in one `use backprop::prelude::*;`.
pub mod prelude {
    pub use crate::data::{Dataset, LoadOptions};
    pub use crate::nn::{
        Activation, Init, Linear, Loss, Mlp, Module, Params, Sequential, Visitor, VisitorMut,
    };
    pub use crate::optim::{OptimConfig, OptimKind, Optimizer};
    pub use crate::train::{LoopOptions, Trainer};
    pub use crate::{Error, Float, Grads, Result, Tape, Tensor, Var};
}
pub use float::Float;
pub use tape::{BackwardObserver, BackwardStep, Grads, Node, NodeId, Replay, Tape, Var};
pub use tensor::{Shape, Tensor};
