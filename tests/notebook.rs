//! The seed notebook's network (2-2-1 sigmoid, no biases, XOR, NumPy seed 42,
//! loss 0.5·Σ(y − ŷ)²): the tape's gradients against the notebook's
//! hand-written backpropagation, and one step of learning rate 1 against the
//! weights the notebook printed (full precision from the issue).

use backprop::{notebook, Tape, Tensor, Var};

fn assert_close(got: &Tensor<f64>, want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.numel(), want.len(), "{what}: length");
    for (i, (g, w)) in got.data().iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol,
            "{what}[{i}]: {g} vs {w} (diff {:e})",
            (g - w).abs()
        );
    }
}

/// The notebook's own arithmetic, in its own operation order.
fn hand_written(
    x: &Tensor<f64>,
    y: &Tensor<f64>,
    w1: &Tensor<f64>,
    w2: &Tensor<f64>,
) -> (Tensor<f64>, Tensor<f64>) {
    let tape = Tape::new(); // used only as a calculator, inference mode
    tape.inference(|| {
        let (x, y, w1, w2) = (
            tape.constant(x),
            tape.constant(y),
            tape.constant(w1),
            tape.constant(w2),
        );
        let sd = |a| backprop::Var::mul(a, Var::rsub_scalar(a, 1.0)).unwrap(); // x * (1 - x)
        let hidden_output = x.matmul(w1).unwrap().sigmoid();
        let predicted = hidden_output.matmul(w2).unwrap().sigmoid();
        let error = y.sub(predicted).unwrap();
        let d_output = error.mul(sd(predicted)).unwrap();
        let error_hidden_layer = d_output.matmul_t(w2).unwrap();
        let d_hidden_layer = error_hidden_layer.mul(sd(hidden_output)).unwrap();
        // The notebook adds these to the weights: they are −∂L/∂W.
        let up2 = hidden_output.t_matmul(d_output).unwrap().to_tensor();
        let up1 = x.t_matmul(d_hidden_layer).unwrap().to_tensor();
        (up1, up2)
    })
}

#[test]
fn initial_weights_are_numpys() {
    let w = notebook::init_weights(42, &[2, 2, 1]).unwrap();
    assert_eq!(
        w[0].data(),
        &[
            0.3745401188473625,
            0.9507143064099162,
            0.7319939418114051,
            0.5986584841970366
        ]
    );
    assert_eq!(w[1].data(), &[0.15601864044243652, 0.15599452033620265]);
}

#[test]
fn tape_gradients_equal_the_notebooks_negated_updates() {
    let (x, y) = notebook::xor();
    let w = notebook::init_weights(42, &[2, 2, 1]).unwrap();
    let tape = Tape::new();
    let fwd = notebook::forward(&tape, &x, &y, &w).unwrap();
    // The notebook printed: Saída prevista antes da retropropagação
    assert_close(
        &fwd.act[1].to_tensor(),
        &[0.53892274, 0.55132394, 0.5510619, 0.56117033],
        5e-9,
        "predicted before",
    );
    let grads = tape.backward(fwd.loss).unwrap();
    let (up1, up2) = hand_written(&x, &y, &w[0], &w[1]);
    let neg = |t: &Tensor<f64>| t.data().iter().map(|v| -v).collect::<Vec<_>>();
    assert_close(
        grads.get(fwd.weights[0]).unwrap(),
        &neg(&up1),
        1e-12,
        "dL/dW1",
    );
    assert_close(
        grads.get(fwd.weights[1]).unwrap(),
        &neg(&up2),
        1e-12,
        "dL/dW2",
    );
}

#[test]
fn one_step_of_learning_rate_one_gives_the_notebooks_weights() {
    let (x, y) = notebook::xor();
    let mut w = notebook::init_weights(42, &[2, 2, 1]).unwrap();
    let tape = Tape::new();
    let fwd = notebook::forward(&tape, &x, &y, &w).unwrap();
    let grads = tape.backward(fwd.loss).unwrap();
    for (wk, v) in w.iter_mut().zip(&fwd.weights) {
        for (p, g) in wk.data_mut().iter_mut().zip(grads.get(*v).unwrap().data()) {
            *p -= g;
        }
    }
    assert_close(
        &w[0],
        &[
            0.37469709693975883,
            0.9510826629930994,
            0.7317645870081076,
            0.5995062449245857,
        ],
        1e-12,
        "W1 after",
    );
    assert_close(
        &w[1],
        &[0.12596692131489062, 0.12678415913393615],
        1e-12,
        "W2 after",
    );
    // The notebook printed: Saída prevista após a retropropagação
    let tape = Tape::new();
    let after = notebook::forward(&tape, &x, &y, &w).unwrap();
    assert_close(
        &after.act[1].to_tensor(),
        &[0.5315519, 0.54162756, 0.54142998, 0.54965008],
        5e-9,
        "predicted after",
    );
}

#[test]
fn notebook_network_passes_gradcheck_at_any_depth() {
    use backprop::check::{gradcheck, GradcheckOptions};
    let (x, y) = notebook::xor();
    for layers in [&[2, 2, 1][..], &[2, 3, 3, 1], &[2, 4, 3, 2, 1]] {
        let w = notebook::init_weights(7, layers).unwrap();
        gradcheck(
            |tape, v| {
                let (xv, yv) = (tape.constant(&x), tape.constant(&y));
                let mut a = xv;
                for wv in v {
                    a = a.matmul(*wv)?.sigmoid();
                }
                a.half_sse(yv)
            },
            &w,
            &GradcheckOptions::default(),
        )
        .unwrap();
    }
}
