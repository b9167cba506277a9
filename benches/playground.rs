//! The playground's step path (issue 11): `Session::step` of a 2-8-8-1
//! network with BCE, plain SGD and f64 on the full batch of 200 moons points,
//! for ReLU, tanh and sigmoid hidden layers.
//!
//! * `step1/ACT`: one request of one step, as the page sends it (the step,
//!   its observed gradients and the report's whole-set loss).
//! * `per_step_in_step100/ACT`: one request of 100 steps, its time divided
//!   by 100 (criterion's figure is per step).
//!
//! * `step1_then_backward/ACT`: a request of one step, then the step's
//!   backward sweep asked for (`GET …/backward`, which works it out and
//!   writes its JSON); `backward_again/ACT`: that JSON alone, the sweep kept.
//! * `parts/…/ACT`: the pieces of a request through the library's `Trainer`
//!   (a replayed step, a whole-set evaluation), and `Replay::run` alone with
//!   an SGD update, the floor of a step.
//!
//! Run with `cargo bench --bench playground`; figures go in the issues' notes.

use std::hint::black_box;
use std::time::{Duration, Instant};

use backprop::data::{Dataset, LoadOptions, TargetKind};
use backprop::nn::{Activation, Init, Loss, Mlp};
use backprop::optim::{OptimConfig, OptimKind, Optimizer};
use backprop::playground::{config, Limits, Session};
use backprop::train::{LoopOptions, Trainer};
use backprop::{Replay, Tape};
use criterion::{criterion_group, criterion_main, Criterion};

/// A session of the issue's network with hidden activation `act`.
fn session(act: &str) -> Session {
    let body = format!(
        r#"{{"dataset": "moons", "samples": 200, "test_fraction": 0, "layers": [2, 8, 8, 1],
            "activation": "{act}", "loss": "bce", "optimizer": "sgd", "batch_size": 0,
            "dtype": "f64"}}"#
    );
    let resolved = config::parse_body(body.as_bytes(), &Limits::default()).unwrap();
    Session::new(&resolved).unwrap()
}

fn step_path(c: &mut Criterion) {
    let mut group = c.benchmark_group("playground");
    for act in ["relu", "tanh", "sigmoid"] {
        let mut s = session(act);
        group.bench_function(format!("step1/{act}"), |b| {
            b.iter(|| black_box(s.step(1).unwrap()))
        });
        let mut s = session(act);
        group.bench_function(format!("per_step_in_step100/{act}"), |b| {
            b.iter_custom(|iters| {
                let t = Instant::now();
                for _ in 0..iters {
                    black_box(s.step(100).unwrap());
                }
                t.elapsed() / 100
            })
        });
        // A step, then its backward sweep asked for (the sweep is worked out
        // on request, not by the step), and that sweep's JSON again (the
        // sweep kept): their difference is the sweep's cost.
        let mut s = session(act);
        group.bench_function(format!("step1_then_backward/{act}"), |b| {
            b.iter(|| {
                black_box(s.step(1).unwrap());
                black_box(s.backward())
            })
        });
        group.bench_function(format!("backward_again/{act}"), |b| {
            b.iter(|| black_box(s.backward()))
        });
    }
    group.finish();
}

/// The issue's network with hidden activation `act`, as a trainer, and
/// 200 moons points.
fn trainer(act: Activation) -> (Trainer<f64>, Dataset) {
    let opts = LoadOptions {
        target: TargetKind::Values { k: 1 },
        samples: 200,
        noise: 0.1,
        seed: 0,
        unit_targets: true,
        ..LoadOptions::default()
    };
    let data = Dataset::generate("moons", &opts).unwrap();
    let model = Mlp::new(&[2, 8, 8, 1], act, true, Init::Torch, 0).unwrap();
    let optim = Optimizer::new(OptimConfig::new(OptimKind::Sgd, 0.01));
    let opts = LoopOptions {
        loss: Loss::Bce,
        batch_size: 0,
        shuffle: true,
        seed: 0,
    };
    (Trainer::new(model, optim, opts, None), data)
}

fn parts(c: &mut Criterion) {
    let mut group = c.benchmark_group("parts");
    for act in [Activation::Relu, Activation::Tanh, Activation::Sigmoid] {
        let name = act.name();
        let (mut t, data) = trainer(act);
        let idx: Vec<usize> = (0..data.n).rev().collect();
        group.bench_function(format!("replayed_step/{name}"), |b| {
            b.iter(|| black_box(t.replayed_step(&data, &idx).unwrap()))
        });
        group.bench_function(format!("evaluate_replayed/{name}"), |b| {
            b.iter(|| black_box(t.evaluate_replayed(&data).unwrap()))
        });
        // The floor: the recorded step replayed, with plain SGD.
        let tape = Tape::new();
        let params = t.model.record(&tape);
        let mut x = vec![0.0; 2 * data.n];
        data.gather_features(&idx, None, &mut x);
        let mut y = vec![0.0; data.n];
        data.gather_targets(&idx, &mut y);
        let xv = tape.constant_from(&x, &[data.n, 2]).unwrap();
        let yv = tape.constant_from(&y, &[data.n, 1]).unwrap();
        let logits = t.model.forward(xv, &params).unwrap();
        let loss = Mlp::loss(logits, yv, Loss::Bce).unwrap();
        let mut replay = Replay::compile(&tape, loss).unwrap();
        group.bench_function(format!("replay_run_sgd/{name}"), |b| {
            b.iter(|| {
                let l = replay.run().unwrap();
                replay.sgd(0.01);
                black_box(l)
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3));
    targets = step_path, parts
}
criterion_main!(benches);
