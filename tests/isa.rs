//! The instruction sets: every set this CPU runs trains the same bits, and
//! the binary refuses a `BACKPROP_ISA` it cannot honour with one line and
//! exit code 2.

use backprop::isa::{with_isa, Isa};
use serde_json::Value;

#[path = "common/cli.rs"]
mod cli;

/// The sets this CPU runs, with a notice for each it lacks.
fn sets() -> Vec<Isa> {
    for isa in Isa::ALL {
        if !isa.supported() {
            eprintln!("notice: this CPU lacks {isa}; it is not tested here");
        }
    }
    Isa::available()
}

/// A few Adam steps of an MLP on MNIST in a pool of `threads`, on the
/// current instruction set: the trained weights' bits.
fn train_bits(threads: usize) -> Vec<u32> {
    use backprop::data::{Dataset, LoadOptions};
    use backprop::nn::{Activation, Init, Loss, Mlp};
    use backprop::optim::{OptimConfig, OptimKind, Optimizer};
    use backprop::train::{LoopOptions, Trainer};
    let mnist = cli::data("mnist-10k-images-idx3-ubyte.gz");
    let data = Dataset::load(&mnist, &LoadOptions::default()).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let model =
            Mlp::<f32>::new(&[784, 128, 64, 10], Activation::Relu, true, Init::Torch, 5).unwrap();
        let opts = LoopOptions {
            loss: Loss::CrossEntropy,
            batch_size: 100,
            shuffle: false,
            seed: 0,
        };
        let optim = Optimizer::new(OptimConfig::new(OptimKind::Adam, 1e-3));
        let mut trainer = Trainer::new(model, optim, opts, None);
        let mut norms = vec![0.0; 3];
        for b in 0..4 {
            let idx: Vec<usize> = (b * 100..(b + 1) * 100).collect();
            trainer.train_batch(&data, &idx, &mut norms).unwrap();
        }
        trainer
            .model
            .named_params()
            .into_iter()
            .flat_map(|(_, t)| t.data().iter().map(|v| v.to_bits()).collect::<Vec<_>>())
            .collect()
    })
}

/// The same seed and thread count give the same trained weights on every
/// instruction set (and, as before, on every thread count).
#[test]
fn trained_weights_are_the_same_bits_on_every_instruction_set() {
    let want = with_isa(Isa::Scalar, || train_bits(1)).unwrap();
    for isa in sets() {
        for threads in [1, 2] {
            let got = with_isa(isa, || train_bits(threads)).unwrap();
            assert!(
                got == want,
                "{isa} with {threads} threads trains other bits than scalar on 1"
            );
        }
    }
}

/// `bench gemm` under `BACKPROP_ISA=name`.
fn bench_gemm(isa: &str) -> std::process::Output {
    cli::cmd(&[
        "bench",
        "gemm",
        "--shape",
        "40x50x60",
        "--threads",
        "1",
        "--reps",
        "3",
        "--json",
    ])
    .env("BACKPROP_ISA", isa)
    .output()
    .expect("the binary runs")
}

#[test]
fn the_binary_runs_each_set_the_cpu_has_and_refuses_the_others() {
    for isa in Isa::ALL {
        let out = bench_gemm(isa.name());
        if isa.supported() {
            assert!(
                out.status.success(),
                "{isa}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(v["isa"].as_str(), Some(isa.name()));
            let share = v["peak_share"].as_f64().unwrap();
            assert!(share > 0.0 && share.is_finite(), "{share}");
        } else {
            let line = cli::one_line_exit_2(&out, &["bench", "gemm"], "BACKPROP_ISA");
            assert!(
                line.contains(isa.name()) && line.contains("lacks"),
                "{line}"
            );
        }
    }
}

#[test]
fn an_unknown_set_is_one_line_and_exit_2() {
    for bad in ["bogus", "avx1024"] {
        let out = bench_gemm(bad);
        let line = cli::one_line_exit_2(&out, &["bench", "gemm"], "BACKPROP_ISA");
        assert!(
            line.contains(&format!("BACKPROP_ISA={bad}:")) && line.contains("avx512, avx2, scalar"),
            "{line}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn bench_peak_lists_every_set_the_cpu_has() {
    let out = cli::ok(&["bench", "peak", "--threads", "1", "--json"]);
    let rows: Vec<Value> = serde_json::from_str(out.trim()).unwrap();
    let sets = sets();
    assert_eq!(rows.len(), sets.len() * 2 * 2);
    for isa in sets {
        for precision in ["f32", "f64"] {
            let found = rows
                .iter()
                .filter(|r| r["isa"] == isa.name() && r["precision"] == precision)
                .count();
            assert_eq!(found, 2, "{isa} {precision}");
        }
    }
    assert!(rows.iter().all(|r| r["gflops"]
        .as_f64()
        .is_some_and(|g| g > 0.0 && g.is_finite())));
}
