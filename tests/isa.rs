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

/// Element-wise kernels and their transcendental functions give the same
/// bits on every set: a small network of every kind of op trained with Adam.
mod elementwise {
    use backprop::isa::{with_isa, Isa};
    use backprop::optim::{OptimConfig, OptimKind, Optimizer};
    use backprop::{Float, Tape, Tensor, Var};

    /// Deterministic values in (−2, 2), from a small linear congruential generator.
    fn values<T: Float>(n: usize, seed: u64) -> Vec<T> {
        let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                T::from_f64(((s >> 11) as f64 / (1u64 << 53) as f64) * 4.0 - 2.0)
            })
            .collect()
    }

    fn bits<T: Float>(v: &[T]) -> Vec<u64> {
        v.iter().map(|x| x.as_f64().to_bits()).collect()
    }

    /// Parameters of a 7-19-23-21-5 network (odd widths: loop tails everywhere).
    fn params<T: Float>() -> Vec<Tensor<T>> {
        let dims: [&[usize]; 8] = [
            &[7, 19],
            &[19],
            &[19, 23],
            &[23],
            &[23, 21],
            &[21],
            &[21, 5],
            &[5],
        ];
        dims.iter()
            .enumerate()
            .map(|(i, d)| {
                let n = d.iter().product();
                let v: Vec<T> = values::<T>(n, 10 + i as u64)
                    .into_iter()
                    .map(|x| x * T::from_f64(0.4))
                    .collect();
                Tensor::from_vec(v, d).unwrap()
            })
            .collect()
    }

    /// A layer `act(h·W + b)`.
    fn layer<'t, T: Float>(h: Var<'t, T>, w: Var<'t, T>, b: Var<'t, T>) -> Var<'t, T> {
        h.matmul(w).unwrap().add_bias(b).unwrap()
    }

    /// Ten Adam steps (tanh, sigmoid, gelu, relu, softplus, exp, log, softmax,
    /// cross-entropy) on 37 examples: every parameter's bits, and the losses'.
    fn train<T: Float>() -> Vec<u64> {
        let x = Tensor::from_vec(values::<T>(37 * 7, 1), &[37, 7]).unwrap();
        let labels: Vec<usize> = (0..37).map(|i| (i * 7 + 3) % 5).collect();
        let mut ps = params::<T>();
        let mut opt = Optimizer::new(OptimConfig::new(OptimKind::Adam, 0.01));
        let mut out = Vec::new();
        for _ in 0..10 {
            let tape = Tape::<T>::new();
            let v: Vec<Var<'_, T>> = ps.iter().map(|p| tape.param(p)).collect();
            let xv = tape.constant(&x);
            let h1 = layer(xv, v[0], v[1]).tanh();
            let h2 = layer(h1, v[2], v[3]).sigmoid();
            let h3 = layer(h2, v[4], v[5]).gelu().relu();
            let logits = layer(h3, v[6], v[7]);
            let ce = logits.cross_entropy(tape.labels(&labels)).unwrap();
            // The other element-wise ops, summed into the loss.
            let extra = (h3.softplus().mean() * 0.1
                + ((h2.exp().log().mean()) * 0.1 + logits.softmax(1).unwrap().mean()).unwrap())
            .unwrap();
            let loss = (ce + extra).unwrap();
            out.push(loss.value().data()[0].as_f64().to_bits());
            let grads = tape.backward(loss).unwrap();
            let g: Vec<&Tensor<T>> = v.iter().map(|p| grads.get(*p).unwrap()).collect();
            let mut refs: Vec<&mut Tensor<T>> = ps.iter_mut().collect();
            opt.step(&mut refs, &g);
        }
        for p in &ps {
            out.extend(bits(p.data()));
        }
        out
    }

    fn every_set<R: PartialEq + std::fmt::Debug>(what: &str, f: impl Fn() -> R) {
        let want = with_isa(Isa::Scalar, &f).unwrap();
        for isa in Isa::available() {
            let got = with_isa(isa, &f).unwrap();
            assert!(got == want, "{what}: {isa} gives other bits than scalar");
        }
    }

    #[test]
    fn a_trained_network_is_the_same_bits_on_every_set_f64_and_f32() {
        every_set("f64 network", train::<f64>);
        every_set("f32 network", train::<f32>);
    }

    /// One op's output and input gradient over a slice of `n` values.
    fn op_bits<T: Float>(n: usize, op: fn(Var<'_, T>) -> Var<'_, T>, positive: bool) -> Vec<u64> {
        let mut xs = values::<T>(n, n as u64);
        if positive {
            xs.iter_mut().for_each(|v| *v = v.abs() + T::from_f64(1e-3));
        }
        let tape = Tape::<T>::new();
        let x = tape.param(&Tensor::from_vec(xs, &[n]).unwrap());
        let y = op(x);
        let mut out = bits(y.value().data());
        let w = tape.constant(&Tensor::from_vec(values::<T>(n, 99), &[n]).unwrap());
        let grads = tape.backward(y.mul(w).unwrap().sum()).unwrap();
        out.extend(bits(grads.get(x).unwrap().data()));
        out
    }

    #[test]
    fn ops_over_odd_lengths_are_the_same_bits_on_every_set() {
        /// An op's name, the op, and whether it needs positive inputs.
        type Row<T> = (&'static str, fn(Var<'_, T>) -> Var<'_, T>, bool);
        fn ops<T: Float>() -> Vec<Row<T>> {
            vec![
                ("exp", |x| x.exp(), false),
                ("log", |x| x.log(), true),
                ("tanh", |x| x.tanh(), false),
                ("sigmoid", |x| x.sigmoid(), false),
                ("gelu", |x| x.gelu(), false),
                ("softplus", |x| x.softplus(), false),
                ("powf", |x| x.powf(1.5), true),
                ("relu", |x| x.relu(), false),
            ]
        }
        for n in [1, 3, 31, 32, 33, 63, 67, 130, 257] {
            for (name, op, positive) in ops::<f64>() {
                every_set(&format!("{name} f64 n={n}"), || {
                    op_bits::<f64>(n, op, positive)
                });
            }
            for (name, op, positive) in ops::<f32>() {
                every_set(&format!("{name} f32 n={n}"), || {
                    op_bits::<f32>(n, op, positive)
                });
            }
            // Softmax along a row of n, and log-softmax along a column.
            every_set(&format!("softmax n={n}"), || {
                op_bits::<f64>(
                    n,
                    |x| {
                        x.reshape(&[1, x.shape().numel()])
                            .unwrap()
                            .softmax(1)
                            .unwrap()
                    },
                    false,
                )
            });
            every_set(&format!("log_softmax n={n}"), || {
                op_bits::<f32>(
                    n,
                    |x| {
                        x.reshape(&[x.shape().numel(), 1])
                            .unwrap()
                            .log_softmax(0)
                            .unwrap()
                    },
                    false,
                )
            });
        }
    }
}
