//! Kernel benchmarks: the notebook step (f64), one MLP training step
//! 784-256-128-10 at batch 128 (f32), and f32 GEMM at 256, 512 and 1024.
//! Run with `cargo bench --bench engine`; figures go in the issues' notes.

use backprop::rng::NumpyRandom;
use backprop::tensor::gemm::{gemm, MatRef};
use backprop::{notebook, Tape, Tensor};
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

/// One SGD step (lr 0.1) of a 784-256-128-10 ReLU MLP with softmax
/// cross-entropy on a batch of 128, PyTorch layout (W: [out, in], bias [out]).
fn mlp_step(c: &mut Criterion) {
    let sizes = [784, 256, 128, 10];
    let batch = 128;
    let mut rng = NumpyRandom::seed(0);
    let x = rng.rand::<f32>(&[batch, sizes[0]]).unwrap();
    let labels: Vec<usize> = (0..batch).map(|i| i % 10).collect();
    let mut params: Vec<Tensor<f32>> = Vec::new();
    for w in sizes.windows(2) {
        let bound = 1.0 / (w[0] as f64).sqrt();
        let mut wt = rng.rand::<f32>(&[w[1], w[0]]).unwrap();
        wt.data_mut()
            .iter_mut()
            .for_each(|v| *v = (*v * 2.0 - 1.0) * bound as f32);
        params.push(wt);
        params.push(Tensor::zeros(&[w[1]]).unwrap());
    }
    let mut tape = Tape::<f32>::new();
    let mut group = c.benchmark_group("mlp_step_f32");
    group.throughput(Throughput::Elements(batch as u64));
    group.bench_function("784-256-128-10_batch128", |b| {
        b.iter(|| {
            let grads = {
                let vars: Vec<_> = params.iter().map(|p| tape.param(p)).collect();
                let mut h = tape.constant(&x);
                for (l, pair) in vars.chunks(2).enumerate() {
                    h = h.matmul_t(pair[0]).unwrap().add(pair[1]).unwrap();
                    if l + 1 < vars.len() / 2 {
                        h = h.relu();
                    }
                }
                let loss = h.cross_entropy(tape.labels(&labels)).unwrap();
                let grads = tape.backward(loss).unwrap();
                for (p, v) in params.iter_mut().zip(&vars) {
                    for (w, g) in p.data_mut().iter_mut().zip(grads.get(*v).unwrap().data()) {
                        *w -= 0.1 * g;
                    }
                }
                grads
            };
            tape.recycle(grads);
            tape.clear();
        })
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

criterion_group!(benches, notebook_step, mlp_step, gemm_f32);
criterion_main!(benches);
