//! A replayed step equals a recorded one bit for bit: the notebook's network
//! over many steps, MLPs with every loss, fan-out, custom ops and reductions;
//! and non-scalar losses, bad leaves and bad labels give errors (every op
//! replays: `tests/replay_every_op.rs`).

use backprop::error::ErrorKind;
use backprop::nn::{Activation, Init, Loss, Mlp};
use backprop::ops::Custom;
use backprop::rng::NumpyRandom;
use backprop::tape::Replay;
use backprop::{notebook, Float, Tape, Tensor};

fn bits<T: Float>(x: &[T]) -> Vec<u64> {
    x.iter().map(|v| v.as_f64().to_bits()).collect()
}

/// `--layers 2,3,3,1` of the notebook, seed 7, lr 0.5: 200 steps recorded on
/// a fresh tape each time against 200 replays of the first recording.
#[test]
fn notebook_replay_matches_the_tape_bitwise_over_200_steps() {
    let (x, y) = notebook::xor();
    let layers = [2, 3, 3, 1];
    let mut w_tape = notebook::init_weights(7, &layers).unwrap();
    let lr = 0.5;

    let rec = Tape::new();
    let fwd = notebook::forward(&rec, &x, &y, &w_tape).unwrap();
    let mut replay = Replay::compile(&rec, fwd.loss).unwrap();
    assert_eq!(replay.instructions(), (7, 9));

    let mut tape = Tape::new();
    for step in 0..200 {
        let (loss, grads_tape) = {
            let f = notebook::forward(&tape, &x, &y, &w_tape).unwrap();
            let loss = f.loss.value().item().unwrap();
            let g = tape.backward(f.loss).unwrap();
            (loss, f.weight_grads(&g))
        };
        tape.clear();
        let loss_replay = replay.run().unwrap();
        assert_eq!(loss.to_bits(), loss_replay.to_bits(), "loss at step {step}");
        for (k, (g, v)) in grads_tape.iter().zip(&fwd.weights).enumerate() {
            assert_eq!(
                bits(g.data()),
                bits(replay.grad(*v).unwrap()),
                "∂L/∂W{} at step {step}",
                k + 1
            );
        }
        for (w, g) in w_tape.iter_mut().zip(&grads_tape) {
            for (p, d) in w.data_mut().iter_mut().zip(g.data()) {
                *p -= lr * d;
            }
        }
        replay.sgd(lr);
        for (w, v) in w_tape.iter().zip(&fwd.weights) {
            assert_eq!(bits(w.data()), bits(replay.value(*v).unwrap()));
        }
    }
    // Training moved the weights: the comparison was not of constants.
    let w0 = notebook::init_weights(7, &layers).unwrap();
    assert_ne!(bits(w_tape[0].data()), bits(w0[0].data()));
}

/// An MLP step through the tape and through a replay, gradients compared bitwise.
fn mlp_case<T: Float>(act: Activation, loss: Loss, bias: bool, seed: u32) {
    let sizes = [5, 7, 6, 3];
    let model = Mlp::<T>::new(&sizes, act, bias, Init::Torch, seed).unwrap();
    let mut rng = NumpyRandom::seed(seed + 100);
    let n = 9;
    let x: Tensor<T> = rng.rand::<T>(&[n, 5]).unwrap();
    let targets: Tensor<T> = match loss {
        Loss::CrossEntropy => {
            let labels: Vec<T> = (0..n).map(|i| T::from_f64((i % 3) as f64)).collect();
            Tensor::from_vec(labels, &[n]).unwrap()
        }
        _ => rng.rand::<T>(&[n, 3]).unwrap(),
    };
    let tape = Tape::new();
    let params = model.record(&tape);
    let xv = tape.constant(&x);
    let tv = tape.constant(&targets);
    let out = model.forward(xv, &params).unwrap();
    let l = Mlp::<T>::loss(out, tv, loss).unwrap();
    let grads = tape.backward(l).unwrap();
    let mut replay = Replay::compile(&tape, l).unwrap();
    let lr = replay.run().unwrap();
    assert_eq!(
        l.value().item().unwrap().as_f64().to_bits(),
        lr.as_f64().to_bits()
    );
    for p in &params {
        assert_eq!(
            bits(grads.get(*p).unwrap().data()),
            bits(replay.grad(*p).unwrap()),
            "{act:?} {loss:?} bias={bias}"
        );
    }
    // New data through `set`: still equal to a fresh recording.
    let x2: Tensor<T> = rng.rand::<T>(&[n, 5]).unwrap();
    replay.set(xv, x2.data()).unwrap();
    replay.run().unwrap();
    let tape2 = Tape::new();
    let params2 = model.record(&tape2);
    let out2 = model.forward(tape2.constant(&x2), &params2).unwrap();
    let l2 = Mlp::<T>::loss(out2, tape2.constant(&targets), loss).unwrap();
    let grads2 = tape2.backward(l2).unwrap();
    for (p, p2) in params.iter().zip(&params2) {
        assert_eq!(
            bits(grads2.get(*p2).unwrap().data()),
            bits(replay.grad(*p).unwrap())
        );
    }
}

#[test]
fn mlp_replay_matches_the_tape_bitwise_for_every_loss_and_activation() {
    for (i, act) in [
        Activation::Relu,
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::LeakyRelu,
        Activation::Gelu,
    ]
    .into_iter()
    .enumerate()
    {
        for loss in [Loss::CrossEntropy, Loss::Mse, Loss::Bce] {
            mlp_case::<f64>(act, loss, true, i as u32);
            mlp_case::<f32>(act, loss, i % 2 == 0, i as u32);
        }
    }
}

/// Fan-out (`x·x`, a value used by three ops), a custom op, reshape, sums and
/// means along axes and in full: the scratch-and-add path of the sweep.
#[test]
fn fan_out_custom_ops_and_reductions_replay_bitwise() {
    let cube = Custom::<f64> {
        name: "cube",
        f: |x| x * x * x,
        df: |x, _| 3.0 * x * x,
    };
    let mut rng = NumpyRandom::seed(3);
    let a = rng.rand::<f64>(&[3, 4]).unwrap();
    let b = rng.rand::<f64>(&[3, 4]).unwrap();
    let tape = Tape::new();
    let av = tape.param(&a);
    let bv = tape.param(&b);
    let sq = av.mul(av).unwrap();
    let q = sq.div(bv.add_scalar(1.0)).unwrap().sub(av).unwrap();
    let c = q.map_custom(cube).reshape(&[4, 3]).unwrap();
    let s1 = c.sum_axis(0, false).unwrap();
    let s2 = c.mean_axis(1, true).unwrap().sum();
    let loss = s1.mean().add(s2).unwrap().tanh();
    let grads = tape.backward(loss).unwrap();
    let mut replay = Replay::compile(&tape, loss).unwrap();
    replay.run().unwrap();
    for v in [av, bv] {
        assert_eq!(
            bits(grads.get(v).unwrap().data()),
            bits(replay.grad(v).unwrap())
        );
    }
    // Twice in a row: the sweep starts from clean gradients every time.
    replay.run().unwrap();
    for v in [av, bv] {
        assert_eq!(
            bits(grads.get(v).unwrap().data()),
            bits(replay.grad(v).unwrap())
        );
    }
}

#[test]
fn non_scalar_losses_bad_leaves_and_bad_labels_are_errors() {
    let tape = Tape::<f64>::new();
    let x = tape.param(&Tensor::from_rows(&[[1.0, 2.0], [3.0, 4.0]]).unwrap());
    let not_scalar = x.sigmoid();
    let err = Replay::compile(&tape, not_scalar).err().unwrap();
    assert!(
        matches!(err.kind(), ErrorKind::NonScalarLoss { .. }),
        "{err}"
    );

    let tape = Tape::<f64>::new();
    let logits = tape.param(&Tensor::from_rows(&[[1.0, 2.0], [0.5, -1.0]]).unwrap());
    let labels = tape.labels(&[0, 1]);
    let h = logits.tanh();
    let loss = h.cross_entropy(labels).unwrap();
    let mut replay = Replay::compile(&tape, loss).unwrap();
    let e = replay.set(logits, &[1.0]).unwrap_err();
    assert!(e.to_string().contains("expected 4 values, got 1"), "{e}");
    let e = replay.set(h, &[0.0; 4]).unwrap_err();
    assert!(e.to_string().contains("only leaves"), "{e}");
    replay.set(labels, &[0.0, 2.0]).unwrap();
    let e = replay.run().unwrap_err();
    assert!(
        e.to_string()
            .contains("label 2 at position 1 is not a class in 0..2"),
        "{e}"
    );

    let other = Tape::<f64>::new();
    let foreign = other.param(&Tensor::from_rows(&[[1.0]]).unwrap());
    assert!(matches!(
        replay.value(foreign).unwrap_err().kind(),
        ErrorKind::ForeignVar { .. }
    ));
}
