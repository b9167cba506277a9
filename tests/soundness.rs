//! The public API cannot reach undefined behaviour, and errors name the
//! caller's line: products with overflowing or inconsistent shapes are
//! refused before any element is read, a value can be read without leaving
//! a guard on the tape, and every location a tape records or an error
//! carries is the user's, not the library's.

use std::panic::{catch_unwind, AssertUnwindSafe};

use backprop::error::ErrorKind;
use backprop::nn::{Activation, Init, Loss, Mlp};
use backprop::tape::Replay;
use backprop::tensor::gemm::{gemm, MatRef};
use backprop::tensor::product::{product, Direct};
use backprop::{BackwardStep, Tape, Tensor};

fn t(data: &[f64], dims: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(data.to_vec(), dims).unwrap()
}

/// Whether `f` panics (the panic message still goes to stderr).
fn panics(f: impl FnOnce()) -> bool {
    catch_unwind(AssertUnwindSafe(f)).is_err()
}

/// A dimension whose double overflows `usize`.
const HALF: usize = usize::MAX / 2 + 1;

#[test]
fn a_direct_plan_with_overflowing_lengths_cannot_be_made() {
    // m·k wraps to 0 (2⁶³·2 on 64-bit): the old check `a.len() == m * k`
    // accepted empty buffers, and the loop read far outside them.
    let err = Direct::new(HALF, 2, 1, false, false).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::BadShape { op: "product", .. }),
        "{err}"
    );
    assert!(Direct::new(1, 2, HALF, true, false).is_err(), "k·n");
    assert!(Direct::new(HALF, 0, 2, false, true).is_err(), "m·n");
    // An honest plan still runs, and a buffer of the wrong length panics
    // before anything is read.
    let plan = Direct::new(1, 2, 1, false, false).unwrap();
    let mut c = [0.0];
    plan.run(&[1.0, 2.0], &[3.0, 4.0], &mut c);
    assert_eq!(c, [11.0]);
    assert!(panics(|| plan.run(&[1.0], &[3.0, 4.0], &mut [0.0])));
    assert!(panics(|| plan.run(&[1.0, 2.0], &[3.0, 4.0], &mut [])));
}

#[test]
fn an_operand_whose_length_does_not_match_its_shape_cannot_be_made() {
    // rows·cols overflows: no buffer has that length.
    let err = MatRef::<f32>::try_new(&[], HALF, 2, false).err().unwrap();
    assert!(
        matches!(err.kind(), ErrorKind::BadShape { op: "MatRef", .. }),
        "{err}"
    );
    // rows·cols fits but is not the buffer's length.
    let err = MatRef::try_new(&[1.0f32; 3], 2, 2, true).err().unwrap();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::LengthMismatch {
                expected: 4,
                got: 3,
                ..
            }
        ),
        "{err}"
    );
    assert!(panics(|| {
        MatRef::new(&[1.0f32; 3], 2, 2, false);
    }));
    let ok = MatRef::try_new(&[1.0f32; 6], 2, 3, true).unwrap();
    assert_eq!(
        (ok.stored(), ok.logical(), ok.trans()),
        ((2, 3), (3, 2), true)
    );
    assert_eq!(ok.data().len(), 6);
}

#[test]
fn gemm_and_product_refuse_inconsistent_shapes_before_reading() {
    let a = [1.0f64; 6];
    let b = [1.0f64; 6];
    let a23 = MatRef::new(&a, 2, 3, false);
    let b23 = MatRef::new(&b, 2, 3, false);
    let b32 = MatRef::new(&b, 3, 2, false);
    // Inner dimensions differ (3 against 2).
    assert!(panics(|| gemm(1.0, a23, b23, 0.0, &mut [0.0; 6])));
    assert!(panics(|| product(a23, b23, &mut [0.0; 6])));
    // C too short or too long.
    assert!(panics(|| gemm(1.0, a23, b32, 0.0, &mut [0.0; 3])));
    assert!(panics(|| product(a23, b32, &mut [0.0; 5])));
    // m·n overflows (k = 0, so the operands are empty and valid).
    let tall = MatRef::<f64>::new(&[], usize::MAX, 0, false);
    let wide = MatRef::<f64>::new(&[], 0, 2, false);
    assert!(panics(|| gemm(1.0, tall, wide, 0.0, &mut [])));
    assert!(panics(|| product(tall, wide, &mut [])));
    // And the consistent product is right.
    let mut c = [0.0; 4];
    gemm(1.0, a23, b32, 0.0, &mut c);
    assert_eq!(c, [3.0; 4]);
}

#[test]
fn values_can_be_read_without_a_guard_between_ops() {
    let tape = Tape::new();
    let x = tape.param(&t(&[1.0, 2.0, 3.0], &[3]));
    let copy = x.to_tensor();
    let sum = x.with_value(|v| v.data().iter().sum::<f64>());
    // Neither read left a borrow behind: recording works.
    let y = x.mul_scalar(sum).sum();
    assert_eq!(copy.data(), &[1.0, 2.0, 3.0]);
    assert_eq!(y.item(), Some(36.0));
    assert_eq!(x.item(), None, "three elements are not a scalar");
    // `value()`'s guard, held across a recording, panics as documented.
    assert!(panics(|| {
        let held = x.value();
        let _ = x.exp();
        drop(held);
    }));
}

/// `file:line` of the caller's line `line`, as errors display it.
fn at(line: u32) -> String {
    format!("{}:{line}:", file!())
}

#[test]
fn leaves_record_the_callers_line() {
    let tape = Tape::<f64>::new();
    let (p, lp) = (tape.param(&t(&[1.0], &[1])), line!());
    let (c, lc) = (tape.constant(&t(&[1.0], &[1])), line!());
    let (f, lf) = (tape.constant_from(&[1.0], &[1]).unwrap(), line!());
    let (l, ll) = (tape.labels(&[0]), line!());
    let (o, lo) = (tape.constant_owned(t(&[1.0], &[1])), line!());
    let (e, le) = (p.exp(), line!());
    let nodes = tape.nodes();
    for (v, line) in [(p, lp), (c, lc), (f, lf), (l, ll), (o, lo), (e, le)] {
        let loc = nodes[v.id()].location;
        assert_eq!((loc.file(), loc.line()), (file!(), line), "node {}", v.id());
    }
}

#[test]
fn backward_errors_name_the_callers_line() {
    let tape = Tape::new();
    let x = tape.param(&t(&[1.0, 2.0], &[2]));
    let y = x.exp();
    let line = line!() + 1;
    let err = tape.backward_seeded(y, &t(&[1.0], &[1])).err().unwrap();
    assert!(err.to_string().contains(&at(line)), "{err}");

    let other = Tape::new();
    let z = other.param(&t(&[1.0], &[1]));
    let line = line!() + 1;
    let err = tape.backward(z).err().unwrap();
    assert!(
        matches!(err.kind(), ErrorKind::ForeignVar { op: "backward", .. }),
        "{err}"
    );
    assert!(err.to_string().contains(&at(line)), "{err}");
    let mut quiet = |_: &BackwardStep<'_, f64>| {};
    let line = line!() + 1;
    let err = tape.backward_with(z, &mut quiet).err().unwrap();
    assert!(err.to_string().contains(&at(line)), "{err}");
}

#[test]
fn replay_errors_name_the_callers_line() {
    let tape = Tape::new();
    let w = tape.param(&t(&[0.5, -0.25], &[2, 1]));
    let x = tape.constant(&t(&[1.0, 2.0], &[1, 2]));
    let loss = x.matmul(w).unwrap().sigmoid().sum();
    let other = Tape::new();
    let stranger = other.param(&t(&[1.0], &[1]));

    let line = line!() + 1;
    let err = Replay::compile(&tape, stranger).err().unwrap();
    assert!(err.to_string().contains(&at(line)), "{err}");

    let mut step = Replay::compile(&tape, loss).unwrap();
    step.run().unwrap();
    let line = line!() + 1;
    let err = step.value(stranger).unwrap_err();
    assert!(err.to_string().contains(&at(line)), "{err}");
    let line = line!() + 1;
    let err = step.grad(stranger).unwrap_err();
    assert!(err.to_string().contains(&at(line)), "{err}");
    let line = line!() + 1;
    let err = step.set(stranger, &[1.0]).unwrap_err();
    assert!(err.to_string().contains(&at(line)), "{err}");
}

#[test]
fn a_networks_errors_and_nodes_name_the_callers_line() {
    let mlp = Mlp::<f64>::new(&[2, 3, 1], Activation::Tanh, true, Init::Torch, 0).unwrap();
    let tape = Tape::new();
    let (params, lp) = (mlp.record(&tape), line!());
    let nodes = tape.nodes();
    assert!(params.iter().all(|p| nodes[p.id()].location.line() == lp));
    drop(nodes);

    // Three inputs for a network of two.
    let x = tape.constant(&t(&[1.0; 3], &[1, 3]));
    let line = line!() + 1;
    let err = mlp.forward(x, &params).unwrap_err();
    assert!(err.to_string().contains(&at(line)), "{err}");

    let x = tape.constant(&t(&[1.0; 2], &[1, 2]));
    let logits = mlp.forward(x, &params).unwrap();
    let line = line!() + 1;
    let err = Mlp::loss(logits, tape.labels(&[0, 1]), Loss::Mse).unwrap_err();
    assert!(err.to_string().contains(&at(line)), "{err}");
}

#[test]
fn mlp_forward_with_the_wrong_parameters_is_an_error_not_a_panic() {
    use backprop::nn::{Activation, Init, Mlp};
    let mlp = Mlp::<f64>::new(&[2, 3, 1], Activation::Tanh, true, Init::Torch, 0).unwrap();
    let tape = backprop::Tape::new();
    let params = mlp.record(&tape);
    let x = tape.constant(&backprop::Tensor::zeros(&[4, 2]).unwrap());
    for given in [
        &params[..0],
        &params[..3],
        &[params.clone(), params.clone()].concat()[..],
    ] {
        let line = line!() + 1;
        let err = mlp.forward(x, given).unwrap_err().to_string();
        assert!(err.contains("expected 4 (from Mlp::record)"), "{err}");
        assert!(err.contains(&format!("tests/soundness.rs:{line}")), "{err}");
    }
    assert!(mlp.forward(x, &params).is_ok());
}
