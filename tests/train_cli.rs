//! `backprop train / eval / predict` end to end: accuracy on real data,
//! determinism, resuming, and bad input.

use std::path::Path;

use serde_json::Value;

#[path = "common/cli.rs"]
mod cli;

use cli::{data, fails, ok, run as backprop, s, scratch};

/// The JSON lines of a `train --json` run.
fn epochs(args: &[&str]) -> Vec<Value> {
    let mut all = vec!["train", "--json", "--quiet"];
    all.extend_from_slice(args);
    ok(&all)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[test]
fn mnist_10k_reaches_94_percent() {
    // 784-256-128-10 ReLU, Adam lr 0.001, batch 64, 10 epochs, last 20% as the test set.
    // PyTorch on the same data: see tests/fixtures/torch/mnist_baseline.log.
    for seed in ["0", "1"] {
        let lines = epochs(&[
            "--data",
            &data("mnist-10k-images-idx3-ubyte.gz"),
            "--test-fraction",
            "0.2",
            "--layers",
            "784,256,128,10",
            "--activation",
            "relu",
            "--loss",
            "cross-entropy",
            "--optimizer",
            "adam",
            "--lr",
            "0.001",
            "--batch-size",
            "64",
            "--epochs",
            "10",
            "--seed",
            seed,
        ]);
        assert_eq!(lines.len(), 10);
        let acc = lines[9]["test_accuracy"].as_f64().unwrap();
        assert!(acc >= 0.94, "seed {seed}: test accuracy {acc}");
        assert!(
            lines[9]["train_loss"].as_f64().unwrap() < lines[0]["train_loss"].as_f64().unwrap()
        );
        assert_eq!(lines[0]["grad_norms"].as_array().unwrap().len(), 3);
    }
}

#[test]
fn iris_reaches_95_percent() {
    // Setting: standardised features, 4-16-3 tanh, Adam lr 0.01, batch 16, 100 epochs, last 20% as test.
    let lines = epochs(&[
        "--data",
        &data("iris.csv"),
        "--test-fraction",
        "0.2",
        "--standardize",
        "--layers",
        "4,16,3",
        "--activation",
        "tanh",
        "--optimizer",
        "adam",
        "--lr",
        "0.01",
        "--batch-size",
        "16",
        "--epochs",
        "100",
        "--seed",
        "0",
    ]);
    let acc = lines.last().unwrap()["test_accuracy"].as_f64().unwrap();
    assert!(acc >= 0.95, "iris test accuracy {acc}");
}

#[test]
fn digits_reach_95_percent() {
    // Setting: the rows in a fixed random order (data/digits-shuffled.csv.gz, made by
    // tools/shuffle_digits.py: the last 20% of the UCI file in its own order are later
    // writers, on which the same network reaches only 0.91–0.93), standardised
    // features, 64-64-10 ReLU, Adam lr 0.001, batch 32, 30 epochs, last 20% as test.
    let lines = epochs(&[
        "--data",
        &data("digits-shuffled.csv.gz"),
        "--test-fraction",
        "0.2",
        "--standardize",
        "--layers",
        "64,64,10",
        "--activation",
        "relu",
        "--optimizer",
        "adam",
        "--lr",
        "0.001",
        "--batch-size",
        "32",
        "--epochs",
        "30",
        "--seed",
        "0",
    ]);
    let acc = lines.last().unwrap()["test_accuracy"].as_f64().unwrap();
    assert!(acc >= 0.95, "digits test accuracy {acc}");
}

/// Every tensor of a model file, as f64, by name.
fn tensors(path: &Path) -> Vec<(String, Vec<f64>)> {
    let file = backprop::io::load_model(path).unwrap();
    file.tensors
        .iter()
        .map(|(n, t)| (n.clone(), t.to_f64().data().to_vec()))
        .collect()
}

#[test]
fn same_seed_same_threads_is_bit_identical_and_resume_matches() {
    let dir = scratch("determinism");
    let common = [
        "--data",
        "moons",
        "--samples",
        "300",
        "--noise",
        "0.2",
        "--layers",
        "2,16,16,2",
        "--activation",
        "tanh",
        "--optimizer",
        "momentum",
        "--lr",
        "0.05",
        "--batch-size",
        "32",
        "--seed",
        "3",
        "--dtype",
        "f64",
        "--threads",
        "2",
    ];
    let run = |extra: &[&str]| {
        let mut a = vec!["train", "--quiet"];
        a.extend_from_slice(&common);
        a.extend_from_slice(extra);
        ok(&a)
    };
    let (a, b, c) = (
        dir.join("a.safetensors"),
        dir.join("b.safetensors"),
        dir.join("c.safetensors"),
    );
    run(&["--epochs", "4", "--save", s(&a)]);
    run(&["--epochs", "4", "--save", s(&b)]);
    assert_eq!(
        tensors(&a),
        tensors(&b),
        "two runs with the same seed differ"
    );

    // Stop at epoch 2 of 4 with a checkpoint, resume, compare bitwise.
    let ck = dir.join("ck.safetensors");
    run(&["--epochs", "2", "--checkpoint", s(&ck)]);
    run(&["--epochs", "4", "--resume", s(&ck), "--save", s(&c)]);
    assert_eq!(
        tensors(&a),
        tensors(&c),
        "the resumed run differs from the uninterrupted one"
    );
}

#[test]
fn eval_and_predict_use_the_saved_model() {
    let dir = scratch("eval");
    let model = dir.join("iris.safetensors");
    ok(&[
        "train",
        "--quiet",
        "--data",
        &data("iris.csv"),
        "--standardize",
        "--layers",
        "4,16,3",
        "--activation",
        "tanh",
        "--optimizer",
        "adam",
        "--lr",
        "0.01",
        "--batch-size",
        "16",
        "--epochs",
        "60",
        "--save",
        s(&model),
    ]);
    let ev: Value = serde_json::from_str(&ok(&[
        "eval",
        "--model",
        s(&model),
        "--data",
        &data("iris.csv"),
        "--json",
    ]))
    .unwrap();
    assert!(ev["accuracy"].as_f64().unwrap() > 0.9);
    let conf = ev["confusion"].as_array().unwrap();
    assert_eq!(conf.len(), 3);
    let total: u64 = conf
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, 150);
    let text = ok(&["eval", "--model", s(&model), "--data", &data("iris.csv")]);
    assert!(text.contains("confusion matrix") && text.contains("setosa"));

    let csv = ok(&["predict", "--model", s(&model), "--data", &data("iris.csv")]);
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("class,p_"), "{header}");
    assert_eq!(header.split(',').count(), 4);
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 150);
    for r in &rows {
        let f: Vec<&str> = r.split(',').collect();
        let p: f64 = f[1..].iter().map(|x| x.parse::<f64>().unwrap()).sum();
        assert!((p - 1.0).abs() < 1e-6, "probabilities sum to {p}");
    }
}

#[test]
fn plot_writes_svg_and_png() {
    let dir = scratch("plot");
    for ext in ["svg", "png"] {
        let p = dir.join(format!("curves.{ext}"));
        ok(&[
            "train",
            "--quiet",
            "--data",
            "moons",
            "--layers",
            "2,8,2",
            "--epochs",
            "3",
            "--test-fraction",
            "0.25",
            "--plot",
            s(&p),
        ]);
        let bytes = std::fs::read(&p).unwrap();
        assert!(bytes.len() > 1000, "{ext} plot too small");
    }
}

/// Runs a failing command: exit code 2, one line on stderr containing `needle`.
#[test]
fn bad_input_gives_one_line_exit_2_and_no_output_file() {
    let dir = scratch("bad");
    let save = dir.join("out.safetensors");
    let write = |name: &str, text: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let train = |data: &Path, extra: &[&str], needle: &str| {
        let mut a = vec!["train", "--quiet", "--data", s(data), "--save", s(&save)];
        a.extend_from_slice(extra);
        fails(&a, needle);
        assert!(!save.exists(), "{a:?} left an output file");
    };
    let ragged = write("ragged.csv", b"1,2,0\n3,4,1\n5,1\n");
    train(&ragged, &[], "ragged.csv:3");
    let words = write("words.csv", b"1,2,0\n3,abc,1\n");
    train(&words, &[], "words.csv:2");
    let empty = write("empty.csv", b"");
    train(&empty, &[], "empty.csv");
    let good = write("good.csv", b"1,2,0\n3,4,1\n5,6,0\n7,8,1\n");
    let unseen = write("unseen.csv", b"1,2,0\n3,4,7\n");
    train(&good, &["--test-data", s(&unseen)], "unseen.csv:2");
    train(&good, &["--layers", "3,4,2"], "--layers 3,4,2");
    let magic = write(
        "bad-images-idx3-ubyte",
        &[0, 0, 8, 4, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 7],
    );
    train(&magic, &[], "bad-images-idx3-ubyte");
    let mut idx = std::fs::read(data("mnist-10k-images-idx3-ubyte.gz")).unwrap();
    idx.truncate(idx.len() / 2);
    let trunc = write("trunc-images-idx3-ubyte.gz", &idx);
    train(&trunc, &[], "trunc-images-idx3-ubyte.gz");

    // Model files: truncated, and shapes that do not fit --layers.
    let model = dir.join("m.safetensors");
    ok(&[
        "train",
        "--quiet",
        "--data",
        s(&good),
        "--layers",
        "2,3,2",
        "--epochs",
        "1",
        "--save",
        s(&model),
    ]);
    let bytes = std::fs::read(&model).unwrap();
    let cut = write("cut.safetensors", &bytes[..bytes.len() - 7]);
    train(
        &good,
        &["--layers", "2,3,2", "--init-from", s(&cut)],
        "cut.safetensors",
    );
    train(
        &good,
        &["--layers", "2,5,2", "--init-from", s(&model)],
        "m.safetensors",
    );

    // Resuming with other settings than the checkpoint's.
    let ck2 = dir.join("ck2.safetensors");
    ok(&[
        "train",
        "--quiet",
        "--data",
        s(&good),
        "--layers",
        "2,3,2",
        "--epochs",
        "1",
        "--checkpoint",
        s(&ck2),
    ]);
    train(
        &good,
        &[
            "--layers",
            "2,3,2",
            "--epochs",
            "2",
            "--activation",
            "tanh",
            "--resume",
            s(&ck2),
        ],
        "ck2.safetensors",
    );

    // A loss that diverges: stopped with the epoch and batch named, the last good checkpoint kept.
    let ck = dir.join("ck.safetensors");
    let reg = write("reg.csv", b"1,2,3\n2,3,5\n3,4,7\n4,5,9\n");
    train(
        &reg,
        &[
            "--loss",
            "mse",
            "--layers",
            "2,4,1",
            "--optimizer",
            "sgd",
            "--lr",
            "1e30",
            "--epochs",
            "5",
            "--batch-size",
            "2",
            "--checkpoint",
            s(&ck),
        ],
        "epoch 1, batch",
    );
}

#[test]
fn bench_gemm_reports_a_median_and_refuses_bad_shapes() {
    let out = ok(&[
        "bench",
        "gemm",
        "--shape",
        "48x40x24",
        "--tb",
        "--threads",
        "1",
        "--reps",
        "5",
        "--json",
    ]);
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (v["m"].as_u64(), v["k"].as_u64(), v["n"].as_u64()),
        (Some(48), Some(40), Some(24))
    );
    assert_eq!(v["tb"], Value::Bool(true));
    assert_eq!(v["threads"].as_u64(), Some(1));
    let secs: Vec<f64> = v["seconds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_f64().unwrap())
        .collect();
    assert_eq!(secs.len(), 5);
    let median = v["median_seconds"].as_f64().unwrap();
    assert!(secs.contains(&median));
    let gflops = v["gflops"].as_f64().unwrap();
    assert!((gflops - 2.0 * 48.0 * 40.0 * 24.0 / median / 1e9).abs() <= 1e-9 * gflops);
    for bad in ["12x3", "0x4x4", "ax4x4"] {
        let o = backprop(&["bench", "gemm", "--shape", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(&format!("--shape {bad}")) && err.lines().count() == 1,
            "{err}"
        );
    }
}

#[test]
fn batch_size_0_is_the_full_batch() {
    let dir = scratch("full-batch");
    let iris = data("iris.csv");
    let (a, b) = (dir.join("zero.safetensors"), dir.join("all.safetensors"));
    // iris has 150 rows, 120 after --test-fraction 0.2: one batch of 120 either way.
    for (size, path) in [("0", &a), ("120", &b)] {
        let lines = epochs(&[
            "--data",
            &iris,
            "--test-fraction",
            "0.2",
            "--batch-size",
            size,
            "--epochs",
            "4",
            "--save",
            s(path),
        ]);
        assert_eq!(lines.len(), 4);
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

/// Bad flags are refused by clap, and `main` prints clap's error on one line:
/// exit 2, nothing on stdout, the flag and what it expects named.
#[test]
fn clap_errors_are_one_line_naming_the_flag_and_what_it_expects() {
    let refused = |args: &[&str], expected: &str| {
        let out = backprop(args);
        let line = cli::one_line_exit_2(&out, args, expected);
        assert_eq!(line.trim_end(), expected, "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?} wrote to stdout");
    };
    // A bad enum value: clap's wording, the possible values folded in.
    refused(
        &["train", "--data", "moons", "--activation", "swish"],
        "error: invalid value 'swish' for '--activation <ACTIVATION>' [possible values: sigmoid, tanh, relu, leaky-relu, gelu]",
    );
    refused(
        &["train", "--data", "moons", "--optimizer", "rmsprop"],
        "error: invalid value 'rmsprop' for '--optimizer <OPTIMIZER>' [possible values: sgd, momentum, adam, adamw]",
    );
    // Out of range: the flag, the value as given and the reason.
    refused(
        &["train", "--data", "moons", "--epochs", "0"],
        "error: --epochs 0: expected a whole number of at least 1",
    );
    refused(
        &["train", "--data", "moons", "--threads", "0"],
        "error: --threads 0: at least one thread is needed",
    );
    refused(
        &["train", "--data", "moons", "--lr", "nan"],
        "error: --lr nan: the learning rate must be a positive finite number",
    );
    refused(
        &["train", "--data", "moons", "--plot", "p.jpg"],
        "error: --plot p.jpg: the file name must end in .svg or .png",
    );
    refused(
        &["walkthrough", "--graph", "g.png"],
        "error: --graph g.png: the file name must end in .dot or .svg",
    );
    refused(
        &["bench", "gemm", "--reps", "0"],
        "error: --reps 0: at least one timed repetition is needed",
    );
    // Conflicting pairs, in the order given.
    refused(
        &[
            "train",
            "--data",
            "moons",
            "--test-data",
            "xor",
            "--test-fraction",
            "0.2",
        ],
        "error: the argument '--test-data <SPEC>' cannot be used with '--test-fraction <F>'",
    );
    refused(
        &[
            "train",
            "--data",
            "moons",
            "--init-from",
            "a",
            "--resume",
            "b",
        ],
        "error: the argument '--init-from <FILE>' cannot be used with '--resume <FILE>'",
    );
    // A missing required flag: its name on the same line.
    refused(
        &["train"],
        "error: the following required arguments were not provided: --data <SPEC>",
    );
    // Aliases are accepted as before.
    ok(&[
        "train",
        "--data",
        "xor",
        "--activation",
        "leaky_relu",
        "--loss",
        "ce",
        "--init",
        "kaiming",
        "--epochs",
        "1",
        "--quiet",
    ]);
    // --help and --version still print on stdout with exit 0.
    for args in [&["train", "--help"][..], &["--version"]] {
        let out = backprop(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(!out.stdout.is_empty() && out.stderr.is_empty(), "{args:?}");
    }
    let help = ok(&["train", "--help"]);
    assert!(
        help.contains("leaky-relu") && help.contains("cross-entropy"),
        "{help}"
    );
}

/// Without the `mpi` feature, `--distributed` is one line naming the
/// feature (exit 2), before any data is read.
#[cfg(not(feature = "mpi"))]
#[test]
fn distributed_without_the_mpi_feature_names_the_feature() {
    fails(
        &["train", "--data", "/nonexistent.csv", "--distributed"],
        "built without the `mpi` feature",
    );
}
