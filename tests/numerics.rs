//! Numerical stability of the normalising ops and losses at extreme logits,
//! in f32 against f64.

use backprop::{Tape, Tensor};

const EXTREME: [f64; 8] = [1e4, -1e4, 0.0, 1e4, -1e4, 3.5, 9999.0, -9999.5];

fn values<T: backprop::Float>(f: impl for<'t> Fn(&'t Tape<T>) -> backprop::Var<'t, T>) -> Vec<f64> {
    let tape = Tape::new();
    f(&tape)
        .to_tensor()
        .data()
        .iter()
        .map(|x| x.as_f64())
        .collect()
}

fn logits<T: backprop::Float>() -> Tensor<T> {
    Tensor::from_vec(EXTREME.iter().map(|&x| T::from_f64(x)).collect(), &[2, 4]).unwrap()
}

fn rel(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        a.abs()
    } else {
        ((a - b) / b).abs()
    }
}

#[test]
fn log_softmax_is_finite_and_f32_matches_f64() {
    let lo32 = values::<f32>(|t| t.param(&logits()).log_softmax(1).unwrap());
    let lo64 = values::<f64>(|t| t.param(&logits()).log_softmax(1).unwrap());
    for (a, b) in lo32.iter().zip(&lo64) {
        assert!(a.is_finite() && b.is_finite());
        assert!(rel(*a, *b) <= 1e-6, "{a} vs {b}");
    }
    // Row 0: [1e4, −1e4, 0, 1e4] ⇒ log_softmax[0] = −ln 2.
    assert!((lo64[0] + std::f64::consts::LN_2).abs() < 1e-12);
}

#[test]
fn softmax_probabilities_f32_within_1e6_of_f64() {
    let p32 = values::<f32>(|t| t.param(&logits()).softmax(1).unwrap());
    let p64 = values::<f64>(|t| t.param(&logits()).softmax(1).unwrap());
    for (a, b) in p32.iter().zip(&p64) {
        assert!((a - b).abs() <= 1e-6, "{a} vs {b}");
    }
    assert!((p64[0] - 0.5).abs() < 1e-15 && p64[1] == 0.0);
}

#[test]
fn cross_entropy_is_finite_and_f32_matches_f64() {
    for labels in [[0usize, 2], [1, 3], [2, 0]] {
        let l32 = values::<f32>(|t| t.param(&logits()).cross_entropy(t.labels(&labels)).unwrap());
        let l64 = values::<f64>(|t| t.param(&logits()).cross_entropy(t.labels(&labels)).unwrap());
        assert!(l32[0].is_finite());
        assert!(
            rel(l32[0], l64[0]) <= 1e-6,
            "labels {labels:?}: {} vs {}",
            l32[0],
            l64[0]
        );
    }
    // Gradients stay finite too.
    let tape = Tape::<f32>::new();
    let x = tape.param(&logits());
    let g = tape
        .backward(x.cross_entropy(tape.labels(&[1, 3])).unwrap())
        .unwrap();
    assert!(g.get(x).unwrap().data().iter().all(|v| v.is_finite()));
}

#[test]
fn bce_with_logits_and_softplus_do_not_overflow() {
    let x = Tensor::<f32>::from_vec(vec![1e4, -1e4, 100.0, -100.0], &[4]).unwrap();
    let y = Tensor::<f32>::from_vec(vec![0.0, 1.0, 1.0, 0.0], &[4]).unwrap();
    let tape = Tape::new();
    let loss = tape.param(&x).bce_with_logits(tape.constant(&y)).unwrap();
    // (1e4 + 1e4 + 0 + 0)/4, each log1p term underflowing to 0.
    assert_eq!(loss.value().item(), Some(5000.0));
    let sp = tape.param(&x).softplus().to_tensor();
    assert_eq!(sp.data()[0], 1e4);
    assert_eq!(sp.data()[1], 0.0);
}
