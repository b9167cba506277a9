//! Kernel benchmarks: the notebook step (f64), one MLP training step
//! 784-256-128-10 at batch 128 (f32), f32 GEMM at 256, 512 and 1024 and at
//! the MLP's shapes, and the fused ops of a layer (bias + ReLU, cross-entropy).
//! Run with `cargo bench --bench engine`; figures go in the issues' notes.

use backprop::data::{Dataset, LoadOptions};
use backprop::nn::{Activation, Init, Loss, Mlp};
use backprop::optim::{OptimConfig, OptimKind, Optimizer};
use backprop::rng::NumpyRandom;
use backprop::tensor::gemm::{gemm, MatRef};
use backprop::train::{LoopOptions, Trainer};
use backprop::{notebook, Replay, Tape};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;

/// One step of the notebook: forward, backward, update W ← W − ∂L/∂W, clear.
fn notebook_step(c: &mut Criterion) {
    let (x, y) = notebook::xor();
    let mut w = notebook::init_weights(42, &[2, 2, 1]).unwrap();
    let mut tape = Tape::new();
    c.bench_function("notebook_step_f64", |b| {
        b.iter(|| {
            let grads = {
                let fwd = notebook::forward(&tape, &x, &y, &w).unwrap();
                let grads = tape.backward(fwd.loss).unwrap();
                for (wk, v) in w.iter_mut().zip(&fwd.weights) {
                    for (p, g) in wk.data_mut().iter_mut().zip(grads.get(*v).unwrap().data()) {
                        *p -= *g;
                    }
                }
                grads
            };
            tape.recycle(grads);
            tape.clear();
        })
    });
    black_box(&w);
}

/// The same step replayed: recorded once, compiled into a `Replay`, then
/// forward, backward and W ← W − ∂L/∂W on preallocated buffers.
fn notebook_replay_step(c: &mut Criterion) {
    let (x, y) = notebook::xor();
    let w = notebook::init_weights(42, &[2, 2, 1]).unwrap();
    let tape = Tape::new();
    let fwd = notebook::forward(&tape, &x, &y, &w).unwrap();
    let mut replay = Replay::compile(&tape, fwd.loss).unwrap();
    c.bench_function("notebook_replay_step_f64", |b| {
        b.iter(|| {
            replay.run().unwrap();
            replay.sgd(1.0);
        })
    });
    black_box(replay.value(fwd.loss).unwrap());
}

/// One SGD step (lr 0.1) of a 784-256-128-10 ReLU MLP with softmax
/// cross-entropy on a batch of 128 MNIST images, through the library's
/// `Trainer::train_batch` (gather, forward, backward, update, clear).
fn mlp_step(c: &mut Criterion) {
    let mnist = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/mnist-10k-images-idx3-ubyte.gz"
    );
    let data = Dataset::load(mnist, &LoadOptions::default()).unwrap();
    let model =
        Mlp::<f32>::new(&[784, 256, 128, 10], Activation::Relu, true, Init::Torch, 0).unwrap();
    let opts = LoopOptions {
        loss: Loss::CrossEntropy,
        batch_size: 128,
        shuffle: false,
        seed: 0,
    };
    let mut trainer = Trainer::new(
        model,
        Optimizer::new(OptimConfig::new(OptimKind::Sgd, 0.1)),
        opts,
        None,
    );
    let batch: Vec<usize> = (0..128).collect();
    let mut norms = vec![0.0; 3];
    let mut group = c.benchmark_group("mlp_step_f32");
    group.throughput(Throughput::Elements(128));
    group.bench_function("784-256-128-10_batch128", |b| {
        b.iter(|| trainer.train_batch(&data, &batch, &mut norms).unwrap())
    });
    group.finish();
}

/// f32 GEMM C = A·B, square sizes; throughput in FLOP (2n³).
fn gemm_f32(c: &mut Criterion) {
    let mut group = c.benchmark_group("gemm_f32");
    group.sample_size(20);
    for n in [256usize, 512, 1024] {
        let mut rng = NumpyRandom::seed(1);
        let a = rng.rand::<f32>(&[n, n]).unwrap();
        let b = rng.rand::<f32>(&[n, n]).unwrap();
        let mut out = vec![0f32; n * n];
        group.throughput(Throughput::Elements(2 * (n as u64).pow(3)));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |bench, &n| {
            bench.iter(|| {
                gemm(
                    1.0,
                    MatRef::new(a.data(), n, n, false),
                    MatRef::new(b.data(), n, n, false),
                    0.0,
                    &mut out,
                );
                black_box(&out);
            })
        });
    }
    group.finish();
}

/// f32 GEMM at the MLP's shapes (batch 128), with transposed operands read
/// through strides as the backward pass reads them.
fn gemm_mlp_shapes(c: &mut Criterion) {
    let mut group = c.benchmark_group("gemm_f32_mlp");
    group.sample_size(30);
    // (name, m, k, n, A transposed, B transposed): forward x·Wᵀ, dW = Gᵀ·X, dX = G·W.
    let cases = [
        ("fwd_128x784x256", 128, 784, 256, false, true),
        ("fwd_128x256x128", 128, 256, 128, false, true),
        ("dW_256x128x784", 256, 128, 784, true, false),
        ("dX_128x128x256", 128, 128, 256, false, false),
    ];
    for (name, m, k, n, ta, tb) in cases {
        let mut rng = NumpyRandom::seed(2);
        let a = rng.rand::<f32>(&[m * k]).unwrap();
        let b = rng.rand::<f32>(&[k * n]).unwrap();
        let mut out = vec![0f32; m * n];
        let (ar, ac) = if ta { (k, m) } else { (m, k) };
        let (br, bc) = if tb { (n, k) } else { (k, n) };
        group.throughput(Throughput::Elements((2 * m * k * n) as u64));
        group.bench_function(name, |bench| {
            bench.iter(|| {
                gemm(
                    1.0,
                    MatRef::new(a.data(), ar, ac, ta),
                    MatRef::new(b.data(), br, bc, tb),
                    0.0,
                    &mut out,
                );
                black_box(&out);
            })
        });
    }
    group.finish();
}

/// The fused and element-wise ops of a Linear + ReLU layer at batch 128:
/// forward and backward of `relu(z + b)` for `z: [128, 256]`.
fn fused_ops(c: &mut Criterion) {
    let mut rng = NumpyRandom::seed(3);
    let z = rng.rand::<f32>(&[128, 256]).unwrap();
    let b = rng.rand::<f32>(&[256]).unwrap();
    let labels: Vec<usize> = (0..128).map(|i| i % 10).collect();
    let logits = rng.rand::<f32>(&[128, 10]).unwrap();
    let mut tape = Tape::<f32>::new();
    c.bench_function("add_bias_relu_fwd_bwd_128x256", |bench| {
        bench.iter(|| {
            let g = {
                let (zv, bv) = (tape.param(&z), tape.param(&b));
                let loss = zv.add_bias(bv).unwrap().relu().sum();
                tape.backward(loss).unwrap()
            };
            tape.recycle(g);
            tape.clear();
        })
    });
    c.bench_function("cross_entropy_fwd_bwd_128x10", |bench| {
        bench.iter(|| {
            let g = {
                let x = tape.param(&logits);
                let loss = x.cross_entropy(tape.labels(&labels)).unwrap();
                tape.backward(loss).unwrap()
            };
            tape.recycle(g);
            tape.clear();
        })
    });
}

criterion_group!(
    benches,
    notebook_step,
    notebook_replay_step,
    mlp_step,
    gemm_f32,
    gemm_mlp_shapes,
    fused_ops
);
criterion_main!(benches);
