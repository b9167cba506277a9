//! The tape's contract: summed fan-out, idempotent backward, constants never
//! differentiated, inference mode, buffer reuse, observation, and errors that
//! name the op, the shapes and the caller's line.

use backprop::check::{gradcheck, GradcheckError, GradcheckOptions};
use backprop::error::ErrorKind;
use backprop::ops::Custom;
use backprop::{BackwardStep, Tape, Tensor};

fn t(data: &[f64], dims: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(data.to_vec(), dims).unwrap()
}

#[test]
fn planted_wrong_derivative_is_caught_and_named() {
    // y = x³ with a flipped-sign derivative: −3x² instead of 3x².
    let wrong = Custom::<f64> {
        name: "cube_wrong",
        f: |x| x * x * x,
        df: |x, _| -3.0 * x * x,
    };
    let x = t(&[0.5, -1.0, 1.5, 2.0, -0.25, 0.75], &[2, 3]);
    let err = gradcheck(
        |_, v| Ok(v[0].map_custom(wrong).sum()),
        std::slice::from_ref(&x),
        &GradcheckOptions::default(),
    )
    .unwrap_err();
    let GradcheckError::Mismatch(worst) = &err else {
        panic!("expected a mismatch, got {err}");
    };
    // The worst element is the largest |x|: 2.0 at [1, 0], where 3x² = 12.
    assert_eq!(worst.input, 0);
    assert_eq!(worst.index, vec![1, 0]);
    assert!((worst.analytic + 12.0).abs() < 1e-12);
    assert!((worst.numeric - 12.0).abs() < 1e-5);
    assert!(err.to_string().contains("element [1, 0]"), "{err}");

    // The same op with the right derivative passes.
    let right = Custom::<f64> {
        df: |x, _| 3.0 * x * x,
        ..wrong
    };
    let report = gradcheck(
        |_, v| Ok(v[0].map_custom(right).sum()),
        &[x],
        &GradcheckOptions::default(),
    )
    .unwrap();
    assert_eq!(report.checked, 6);
    assert!(report.worst.unwrap().ratio < 1.0);
}

#[test]
fn fan_out_contributions_are_summed() {
    // y = x·x + 3x  ⇒  dy/dx = 2x + 3
    let tape = Tape::new();
    let x = tape.param(&t(&[2.0, -1.0], &[2]));
    let y = x.mul(x).unwrap().add(x.mul_scalar(3.0)).unwrap().sum();
    let g = tape.backward(y).unwrap();
    assert_eq!(g.get(x).unwrap().data(), &[7.0, 1.0]);
}

#[test]
fn backward_twice_gives_the_same_answer() {
    let tape = Tape::new();
    let x = tape.param(&t(&[0.3, -0.7, 1.1], &[3]));
    let loss = x.tanh().mul(x).unwrap().sum();
    let a = tape.backward(loss).unwrap();
    let b = tape.backward(loss).unwrap();
    assert_eq!(a.get(x).unwrap(), b.get(x).unwrap());
}

#[test]
fn constants_get_no_gradient_and_data_vjps_are_skipped() {
    let tape = Tape::new();
    let x = tape.constant(&t(&[1.0, 2.0], &[1, 2]));
    let w = tape.param(&t(&[0.5, -0.5], &[2, 1]));
    let z = x.matmul(w).unwrap();
    let loss = z.sum();
    let mut visited = Vec::new();
    let g = tape
        .backward_with(loss, &mut |s: &BackwardStep<'_, f64>| {
            visited.push((
                s.node.op.name(),
                s.contributions
                    .iter()
                    .map(|c| c.is_some())
                    .collect::<Vec<_>>(),
            ))
        })
        .unwrap();
    assert!(g.get(x).is_none());
    assert_eq!(g.get(w).unwrap().data(), &[1.0, 2.0]);
    // Reverse order, the loss first; the matmul computes no dX for the data.
    assert_eq!(
        visited,
        vec![
            ("sum", vec![true]),
            ("matmul", vec![false, true]),
            ("param", vec![])
        ]
    );
}

#[test]
fn observer_sees_upstream_and_contributions() {
    // L = Σ σ(x): upstream of σ is 1, its contribution is σ(x)(1 − σ(x)).
    let tape = Tape::new();
    let x = tape.param(&t(&[0.0], &[1]));
    let s = x.sigmoid().named("activation");
    let loss = s.sum();
    let mut seen = None;
    tape.backward_with(loss, &mut |step: &BackwardStep<'_, f64>| {
        if step.node.name.as_deref() == Some("activation") {
            seen = Some((
                step.upstream.data().to_vec(),
                step.contributions[0].clone().unwrap().data().to_vec(),
            ));
        }
    })
    .unwrap();
    assert_eq!(seen, Some((vec![1.0], vec![0.25])));
}

#[test]
fn inference_mode_records_no_ops() {
    let tape = Tape::new();
    let w = tape.param(&t(&[1.0, 2.0], &[2]));
    let before = tape.op_count();
    let y = tape.inference(|| w.exp().sum());
    assert_eq!(tape.op_count(), before);
    assert!(!y.requires_grad());
    assert!((y.value().item().unwrap() - (1f64.exp() + 2f64.exp())).abs() < 1e-12);
    assert!(tape.is_recording());
    // Nothing reaches the parameter through an inference value.
    let g = tape.backward(y).unwrap();
    assert!(g.get(w).is_none());
}

#[test]
fn cleared_tape_reuses_its_buffers() {
    let mut tape = Tape::<f32>::new();
    let x = Tensor::<f32>::ones(&[8, 16]).unwrap();
    let w = Tensor::<f32>::full(&[16, 4], 0.1).unwrap();
    let step = |tape: &Tape<f32>| {
        let xv = tape.constant(&x);
        let wv = tape.param(&w);
        let loss = xv.matmul(wv).unwrap().relu().mean();
        let g = tape.backward(loss).unwrap();
        let dw = g.get(wv).unwrap().clone();
        tape.recycle(g);
        dw
    };
    let first = step(&tape);
    tape.clear();
    assert!(tape.is_empty());
    let second = step(&tape);
    assert_eq!(first, second);
}

#[test]
fn shape_errors_name_op_shapes_and_caller_line() {
    let tape = Tape::new();
    let a = tape.param(&t(&[1.0; 6], &[2, 3]));
    let b = tape.param(&t(&[1.0; 6], &[2, 3]));
    let line = line!() + 1;
    let err = a.matmul(b).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(
        err.kind(),
        ErrorKind::ShapeMismatch { op: "matmul", .. }
    ));
    assert!(msg.contains("[2, 3] and [2, 3]"), "{msg}");
    assert!(msg.contains(&format!("tests/tape.rs:{line}")), "{msg}");

    let c = tape.param(&t(&[1.0; 4], &[4]));
    let err = a.add(c).unwrap_err().to_string();
    assert!(err.starts_with("add: shapes [2, 3] and [4]"), "{err}");

    let err = a.sum_axis(2, false).unwrap_err().to_string();
    assert!(err.contains("axis 2 is out of range for rank 2"), "{err}");

    let err = a
        .cross_entropy(tape.labels(&[0, 3]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("label 3 at position 1 is not a class in 0..3"),
        "{err}"
    );
}

#[test]
fn operator_overloads_return_the_ops_error() {
    let tape = Tape::new();
    let a = tape.param(&t(&[1.0; 2], &[2]));
    let b = tape.param(&t(&[1.0; 3], &[3]));
    let msg = (a + b).unwrap_err().to_string();
    assert!(
        msg.starts_with("add: shapes [2] and [3] do not fit"),
        "{msg}"
    );
}

#[test]
fn non_scalar_backward_needs_a_seed() {
    let tape = Tape::new();
    let x = tape.param(&t(&[1.0, 2.0], &[2]));
    let y = x.mul_scalar(3.0);
    assert!(
        matches!(tape.backward(y), Err(e) if matches!(e.kind(), ErrorKind::NonScalarLoss { .. }))
    );
    let g = tape.backward_seeded(y, &t(&[1.0, -1.0], &[2])).unwrap();
    assert_eq!(g.get(x).unwrap().data(), &[3.0, -3.0]);
}

#[test]
fn vars_from_another_tape_are_refused() {
    let t1 = Tape::new();
    let t2 = Tape::new();
    let a = t1.param(&t(&[1.0], &[1]));
    let b = t2.param(&t(&[1.0], &[1]));
    assert!(
        matches!(a.add(b), Err(e) if matches!(e.kind(), ErrorKind::ForeignVar { op: "add", .. }))
    );
}

#[test]
fn broadcasting_is_a_visible_node_whose_vjp_sums() {
    // x: [2, 3] + b: [3]  ⇒  b̄ = column sums of ḡ (here all ones ⇒ 2 each)
    let tape = Tape::new();
    let x = tape.param(&t(&[1.0; 6], &[2, 3]));
    let b = tape.param(&t(&[0.0; 3], &[3]));
    let y = x.add(b).unwrap();
    let ops: Vec<_> = tape.nodes().iter().map(|n| n.op.name()).collect();
    assert_eq!(ops, vec!["param", "param", "broadcast_to", "add"]);
    let g = tape.backward(y.sum()).unwrap();
    assert_eq!(g.get(b).unwrap().data(), &[2.0, 2.0, 2.0]);
}
