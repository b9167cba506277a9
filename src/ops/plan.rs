//! The one dispatch from an [`Op`] to its kernels, shared by the tape and
//! [`Replay`](crate::tape::Replay).
//!
//! A [`Plan`] is an op with its input and output shapes resolved. It runs the
//! op's forward rule and its vector-Jacobian product over plain slices, so the
//! tape (which records and sweeps [`Tensor`](crate::Tensor)s from its pool)
//! and Replay (which runs a compiled step on slots of one arena) call the very
//! same code and agree bit for bit. The table below is that dispatch: one row
//! per op, its derivative rule as printed, its forward rule, the VJP that
//! writes input `k`'s contribution `d` from the inputs `x`, the output `y`
//! and the upstream gradient `g`, and the multiply-adds that VJP costs (the
//! walkthrough counts them). Every kernel writes all of its output, so a
//! caller never zero-fills. Each kernel the table calls compiles its loops
//! for AVX-512F, AVX2+FMA and portable code (`per_isa!`), with the same bits.

use super::{arith, loss, matmul, reduce, shape, softmax, unary, Op};
use crate::error::Result;
use crate::float::Float;
use crate::isa::per_isa;
use crate::tensor::gemm::MatRef;
use crate::tensor::product::{product, Direct, Product};
use crate::tensor::Shape;

/// An op with its shapes resolved: see the [module docs](self).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Plan<T: Float> {
    /// The op.
    pub(crate) op: Op<T>,
    /// The inputs' shapes (unused entries are scalars).
    pub(crate) ins: [Shape; 2],
    /// The output's shape (also the upstream gradient's).
    pub(crate) out: Shape,
    /// A reduction's factor: 1 for a sum, 1/n for a mean.
    scale: T,
    /// A product's operands and kernels, chosen once: the forward `C`, then
    /// the VJPs of inputs 0 and 1. `None` chooses at each call (the tape runs
    /// each product once, so choosing ahead would not pay).
    kernels: [Option<(Factor, Factor, Kernel)>; 3],
}

/// Why a forward rule refused its inputs' values (shapes were checked before).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Fault {
    /// A cross-entropy label that is not a class: its position and value.
    BadLabel {
        /// The label's position.
        index: usize,
        /// Its value.
        value: f64,
        /// The number of classes.
        classes: usize,
    },
}

/// A product's kernel, chosen by [`Product::for_shape`] as `product` chooses it.
#[derive(Clone, Copy, Debug)]
enum Kernel {
    Direct(Direct),
    Blocked,
}

impl Kernel {
    fn new(m: usize, k: usize, n: usize, ta: bool, tb: bool) -> Result<Kernel> {
        Ok(match Product::for_shape(m, k, n) {
            Product::Direct => Kernel::Direct(Direct::new(m, k, n, ta, tb)?),
            Product::Blocked => Kernel::Blocked,
        })
    }
}

impl<T: Float> Plan<T> {
    /// `op` applied to inputs of shapes `ins`, giving `out`; the shapes must
    /// be ones the op's recording checked.
    pub(crate) fn new(op: Op<T>, ins: &[Shape], out: Shape) -> Plan<T> {
        let mut shapes = [Shape::SCALAR; 2];
        shapes[..ins.len()].copy_from_slice(ins);
        let scale = match op {
            Op::Sum { axis, .. } => reduce::reduction_scale(false, shapes[0], axis),
            Op::Mean { axis, .. } => reduce::reduction_scale(true, shapes[0], axis),
            _ => T::one(),
        };
        Plan {
            op,
            ins: shapes,
            out,
            scale,
            kernels: [None; 3],
        }
    }

    /// [`Plan::new`] with a product's three kernels chosen now, for a step
    /// that runs many times.
    pub(crate) fn compiled(op: Op<T>, ins: &[Shape], out: Shape) -> Result<Plan<T>> {
        let mut plan = Plan::new(op, ins, out);
        if matches!(op, Op::MatMul { .. }) {
            for idx in 0..3 {
                let [a, b] = plan.factors(idx);
                let kernel = Kernel::new(a.rows(), a.cols(), b.cols(), a.trans, b.trans)?;
                plan.kernels[idx] = Some((a, b, kernel));
            }
        }
        Ok(plan)
    }

    /// Product `idx`'s operands: 0 is the forward `op(A)·op(B)`, `1 + k`
    /// input `k`'s VJP (the table of `matmul::vjp_plan`).
    fn factors(&self, idx: usize) -> [Factor; 2] {
        let Op::MatMul { ta, tb } = self.op else {
            unreachable!("only a matmul has products")
        };
        let pairs = match idx {
            0 => [(0, ta), (1, tb)],
            _ => matmul::vjp_plan(ta, tb, idx - 1),
        };
        pairs.map(|(i, trans)| {
            let d = match i {
                0 => self.ins[0].dims(),
                1 => self.ins[1].dims(),
                _ => self.out.dims(),
            };
            Factor {
                operand: i,
                stored: (d[0], d[1]),
                trans,
            }
        })
    }

    /// Runs product `idx` (see [`Plan::factors`]) on the operands (A, B, Ḡ) into `c`.
    #[inline(always)]
    fn product(&self, idx: usize, data: [&[T]; 3], c: &mut [T]) {
        match &self.kernels[idx] {
            Some((a, b, Kernel::Direct(d))) => d.run(data[a.operand], data[b.operand], c),
            Some((a, b, Kernel::Blocked)) => {
                Product::Blocked.run(a.mat(data[a.operand]), b.mat(data[b.operand]), c)
            }
            None => {
                let [a, b] = self.factors(idx);
                product(a.mat(data[a.operand]), b.mat(data[b.operand]), c)
            }
        }
    }

    /// The multiply-adds of product `idx`: `m·k·n`.
    fn product_madds(&self, idx: usize) -> usize {
        let [a, b] = self.factors(idx);
        a.rows() * a.cols() * b.cols()
    }
}

/// One operand of a product: which (0 = A, 1 = B, 2 = Ḡ), its stored
/// `[rows, cols]`, and whether it is used transposed.
#[derive(Clone, Copy, Debug)]
struct Factor {
    operand: usize,
    stored: (usize, usize),
    trans: bool,
}

impl Factor {
    /// Logical rows.
    fn rows(&self) -> usize {
        if self.trans {
            self.stored.1
        } else {
            self.stored.0
        }
    }

    /// Logical columns.
    fn cols(&self) -> usize {
        if self.trans {
            self.stored.0
        } else {
            self.stored.1
        }
    }

    /// The operand's GEMM view of `data`.
    fn mat<'a, T>(&self, data: &'a [T]) -> MatRef<'a, T> {
        MatRef::new(data, self.stored.0, self.stored.1, self.trans)
    }
}

/// The dispatch table: each row is `pattern => rule, forward, vjp, madds`
/// over the plan `p`, the inputs' values `x`, the output `y`, and in the VJP
/// the input index `k`, the upstream gradient `g` and the contribution `d`.
macro_rules! dispatch {
    (|$p:ident, $k:ident, $x:ident, $y:ident, $g:ident, $d:ident| $(
        $pat:pat => $rule:expr,
            fwd = $fwd:expr,
            vjp = $vjp:expr,
            madds = $madds:expr;
    )*) => {
        impl<T: Float> Plan<T> {
            /// The forward rule: `y = op(x)` over whole slices (an op of one
            /// input ignores `x[1]`).
            #[inline(always)]
            #[allow(unused_variables, clippy::unit_arg)]
            pub(crate) fn forward(&self, $x: &[&[T]; 2], $y: &mut [T]) -> Result<(), Fault> {
                let $p = self;
                match self.op {
                    $( $pat => $fwd, )*
                }
                Ok(())
            }

            /// Input `k`'s VJP contribution `d`, given the inputs `x`, the
            /// output `y` and the upstream gradient `g`.
            #[inline(always)]
            #[allow(unused_variables, clippy::unit_arg)]
            pub(crate) fn vjp(&self, $k: usize, $x: &[&[T]; 2], $y: &[T], $g: &[T], $d: &mut [T]) {
                let $p = self;
                match self.op {
                    $( $pat => $vjp, )*
                }
            }

            /// The multiply-adds input `k`'s VJP costs.
            #[allow(unused_variables)]
            pub(crate) fn madds(&self, $k: usize) -> usize {
                let $p = self;
                match self.op {
                    $( $pat => $madds, )*
                }
            }
        }

        impl<T: Float> Op<T> {
            /// The local derivative rule this op's VJP applies, as one line of math.
            #[allow(unused_variables)]
            pub fn rule(&self) -> &'static str {
                match *self {
                    $( $pat => $rule, )*
                }
            }
        }
    };
}

dispatch! { |p, k, x, y, g, d|
    Op::Param | Op::Constant => "leaf",
        fwd = (),
        vjp = (),
        madds = 0;
    // y = f(x); x̄ = ḡ ⊙ f′(x, y): the rows of `unary_ops!`.
    Op::Unary(u) => u.rule(),
        fwd = u.f_slice(x[0], y),
        vjp = u.chain_slice(x[0], y, g, d),
        madds = p.ins[0].numel();
    Op::Custom(c) => "ḡ·f'(x)",
        fwd = unary::custom_forward(c, x[0], y),
        vjp = unary::custom_chain(c, x[0], y, g, d),
        madds = p.ins[0].numel();
    // y = a ∘ b; ā, b̄: the rows of `binary_ops!`.
    Op::Binary(b) => b.rule(),
        fwd = arith::binary_forward(b, x[0], x[1], y),
        vjp = arith::binary_vjp_into(b, k, x[0], x[1], y, g, d),
        madds = p.out.numel();
    // y = z + 1·bᵀ; z̄ = ḡ, b̄ = Σ over rows of ḡ.
    Op::AddBias => "z̄ = ḡ, b̄ = Σₙ ḡ[n, ·]",
        fwd = arith::add_bias_forward(x[0], x[1], y),
        vjp = if k == 0 { d.copy_from_slice(g) } else { arith::add_bias_db_into(g, d) },
        madds = if k == 0 { 0 } else { p.out.numel() };
    // y = x copied along new or length-1 axes; x̄ = ḡ summed back over them.
    Op::BroadcastTo => "x̄ = Σ over broadcast axes of ḡ",
        fwd = shape::broadcast_into(p.ins[0], p.out, x[0], y),
        vjp = shape::broadcast_vjp_into(p.ins[0], p.out, g, d),
        madds = 0;
    // y = x in a new shape; x̄ = ḡ in x's.
    Op::Reshape => "x̄ = reshape(ḡ)",
        fwd = y.copy_from_slice(x[0]),
        vjp = d.copy_from_slice(g),
        madds = 0;
    // y = xᵀ; x̄ = ḡᵀ.
    Op::Transpose => "x̄ = ḡᵀ",
        fwd = shape::transpose_into(p.ins[0], x[0], y),
        vjp = shape::transpose_into(p.out, g, d),
        madds = 0;
    // C = op(A)·op(B); Ā = Ḡ·op(B)ᵀ, B̄ = op(A)ᵀ·Ḡ (as stored: `matmul::vjp_plan`).
    Op::MatMul { .. } => "Ā = Ḡ·Bᵀ, B̄ = Aᵀ·Ḡ",
        fwd = p.product(0, [x[0], x[1], &[]], y),
        vjp = p.product(k + 1, [x[0], x[1], g], d),
        madds = p.product_madds(k + 1);
    // y = Σ x along the axis; x̄ = ḡ copied back along it.
    Op::Sum { axis, .. } => "x̄ = broadcast(ḡ)",
        fwd = reduce::sum_forward(p.ins[0], axis, p.scale, x[0], y),
        vjp = reduce::spread_into(p.ins[0], axis, p.scale, g, d),
        madds = p.ins[0].numel();
    // y = Σ x / n; x̄ = ḡ / n copied back.
    Op::Mean { axis, .. } => "x̄ = broadcast(ḡ)/n",
        fwd = reduce::sum_forward(p.ins[0], axis, p.scale, x[0], y),
        vjp = reduce::spread_into(p.ins[0], axis, p.scale, g, d),
        madds = p.ins[0].numel();
    // y = max x along the axis; x̄ = ḡ at the first arg-max.
    Op::Max { axis, .. } => "x̄ = ḡ at the arg-max, 0 elsewhere",
        fwd = reduce::max_into(p.ins[0], axis, x[0], y),
        vjp = reduce::max_vjp_into(p.ins[0], axis, x[0], y, g, d),
        madds = 0;
    // y = e^(x − m)/Σe^(x − m); x̄ = y ⊙ (ḡ − Σ ḡ⊙y).
    Op::Softmax { axis } => "x̄ = y⊙(ḡ − Σ ḡ⊙y)",
        fwd = softmax::normalise_into(p.ins[0], axis, false, x[0], y),
        vjp = softmax::softmax_vjp_into(p.out, axis, y, g, d),
        madds = 2 * p.out.numel();
    // y = x − m − ln Σe^(x − m); x̄ = ḡ − e^y·Σḡ.
    Op::LogSoftmax { axis } => "x̄ = ḡ − softmax(x)·Σḡ",
        fwd = softmax::normalise_into(p.ins[0], axis, true, x[0], y),
        vjp = softmax::log_softmax_vjp_into(p.out, axis, y, g, d),
        madds = 2 * p.out.numel();
    // L = finish(Σ ℓ(ŷ, y)); the rows of `pairwise_losses!`.
    op @ (Op::Mse | Op::BceWithLogits | Op::HalfSse) => loss::pairwise_rule(&op),
        fwd = y[0] = loss::pairwise_forward(op, x[0], x[1]),
        vjp = loss::pairwise_vjp_into(op, k, g[0], x[0], x[1], d),
        madds = p.ins[0].numel();
    // L = mean of m − x[n, yₙ] + ln Σ e^(x − m); x̄ = (softmax(x) − onehot(y))/N·ḡ.
    Op::CrossEntropy => "x̄ = (softmax(x) − onehot(y))/N·ḡ",
        fwd = y[0] = cross_entropy(p, x)?,
        vjp = loss::cross_entropy_vjp_into(g[0], x[0], x[1], d),
        madds = p.ins[0].numel();
}

per_isa! {
    /// Adds a later contribution `c` into a gradient `acc` (a value used
    /// twice receives the sum): the tape's sweep and Replay add in the same
    /// order.
    pub(crate) fn accumulate<T: Float>(acc: &mut [T], c: &[T]) [len = acc.len()] {
        for (a, &b) in acc.iter_mut().zip(c) {
            *a += b;
        }
    }
}

/// The cross-entropy forward rule, a label that is not a class a [`Fault`].
fn cross_entropy<T: Float>(p: &Plan<T>, x: &[&[T]; 2]) -> Result<T, Fault> {
    let classes = p.ins[0].dims()[1];
    loss::cross_entropy_forward(x[0], x[1], classes).map_err(|(index, value)| Fault::BadLabel {
        index,
        value,
        classes,
    })
}
