//! Steady state allocates nothing: after warm-up, a full MLP training step
//! (784-256-128-10, batch 128, on 2 threads, through `Trainer::train_batch`)
//! and a full notebook step (replayed, and on a reused tape) are counted by a
//! global allocator that sees every thread, and the count must be zero.
//!
//! One test in this binary, so no other test allocates while it counts.

mod common;

use backprop::data::{Dataset, LoadOptions};
use backprop::nn::{Activation, Init, Loss, Mlp};
use backprop::optim::{OptimConfig, OptimKind, Optimizer};
use backprop::train::{LoopOptions, Trainer};
use backprop::{notebook, Replay, Tape};
use common::counting::count;

#[test]
fn steady_state_training_steps_allocate_nothing() {
    // The notebook step, replayed.
    let (x, y) = notebook::xor();
    let mut w = notebook::init_weights(42, &[2, 2, 1]).unwrap();
    let tape = Tape::new();
    let fwd = notebook::forward(&tape, &x, &y, &w).unwrap();
    let mut replay = Replay::compile(&tape, fwd.loss).unwrap();
    replay.run().unwrap();
    replay.sgd(1.0);
    let n = count(|| {
        for _ in 0..100 {
            replay.run().unwrap();
            replay.sgd(1.0);
        }
    });
    assert_eq!(n, 0, "replayed notebook steps allocated {n} times");

    // The notebook step recorded afresh on a reused tape each time (its
    // buffers and gradient slots come back through the tape's pool).
    let mut tape = Tape::new();
    let step = |tape: &mut Tape<f64>, w: &mut [backprop::Tensor<f64>]| {
        let grads = {
            let (xv, yv) = (tape.constant(&x), tape.constant(&y));
            let (w1, w2) = (tape.param(&w[0]), tape.param(&w[1]));
            let out = xv
                .matmul(w1)
                .unwrap()
                .sigmoid()
                .matmul(w2)
                .unwrap()
                .sigmoid();
            let loss = out.half_sse(yv).unwrap();
            let grads = tape.backward(loss).unwrap();
            for (wk, v) in w.iter_mut().zip([w1, w2]) {
                for (p, g) in wk.data_mut().iter_mut().zip(grads.get(v).unwrap().data()) {
                    *p -= *g;
                }
            }
            grads
        };
        tape.recycle(grads);
        tape.clear();
    };
    for _ in 0..3 {
        step(&mut tape, &mut w);
    }
    let n = count(|| {
        for _ in 0..100 {
            step(&mut tape, &mut w);
        }
    });
    assert_eq!(n, 0, "recorded notebook steps allocated {n} times");

    // An MLP training step on MNIST, 2 threads.
    let mnist = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/mnist-10k-images-idx3-ubyte.gz"
    );
    let data = Dataset::load(mnist, &LoadOptions::default()).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    pool.install(|| {
        for (kind, lr) in [
            (OptimKind::Sgd, 0.1),
            (OptimKind::Momentum, 0.05),
            (OptimKind::Adam, 1e-3),
            (OptimKind::AdamW, 1e-3),
        ] {
            let model =
                Mlp::<f32>::new(&[784, 256, 128, 10], Activation::Relu, true, Init::Torch, 0)
                    .unwrap();
            let opts = LoopOptions {
                loss: Loss::CrossEntropy,
                batch_size: 128,
                shuffle: false,
                seed: 0,
            };
            let mut trainer = Trainer::new(
                model,
                Optimizer::new(OptimConfig::new(kind, lr)),
                opts,
                None,
            );
            let batches: Vec<Vec<usize>> =
                (0..4).map(|b| (b * 128..(b + 1) * 128).collect()).collect();
            let mut norms = vec![0.0; 3];
            for _ in 0..2 {
                for batch in &batches {
                    trainer.train_batch(&data, batch, &mut norms).unwrap();
                }
            }
            let n = count(|| {
                for batch in &batches {
                    trainer.train_batch(&data, batch, &mut norms).unwrap();
                }
            });
            assert_eq!(n, 0, "{kind:?}: 4 MLP steps allocated {n} times");
        }
    });
}
