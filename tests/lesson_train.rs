//! `train` on the generated sets: per-set defaults that learn, the settings
//! line, the divergence warning; `eval`/`predict` scoring the set a model was
//! trained on, and `eval`'s warning when that is its training data.

#[path = "common/cli.rs"]
mod cli;

use backprop::io::{self, GeneratedMeta};
use cli::{data, ok, run, s, scratch};
use serde_json::Value;

/// Stdout and stderr of a run that must succeed.
fn ok_both(args: &[&str]) -> (String, String) {
    let out = run(args);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{args:?} failed: {err}");
    (String::from_utf8(out.stdout).unwrap(), err)
}

/// The `--json` lines of a training run.
fn epochs(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect()
}

/// The lines of `stderr` starting with `prefix`.
fn lines_with<'a>(stderr: &'a str, prefix: &str) -> Vec<&'a str> {
    stderr.lines().filter(|l| l.starts_with(prefix)).collect()
}

#[test]
fn default_settings_learn_every_generated_set() {
    for (set, least) in [
        ("xor", 0.95),
        ("moons", 0.95),
        ("circles", 0.95),
        ("spirals", 0.90),
        ("blobs", 0.95),
    ] {
        for seed in ["0", "1", "2"] {
            let out = ok(&[
                "train",
                "--data",
                set,
                "--test-fraction",
                "0.2",
                "--seed",
                seed,
                "--json",
                "--quiet",
            ]);
            let last = epochs(&out).pop().expect("at least one epoch");
            let acc = last["test_accuracy"].as_f64().unwrap();
            assert!(
                acc >= least,
                "{set} seed {seed}: test accuracy {acc} < {least}"
            );
        }
    }
}

#[test]
fn the_settings_line_states_the_defaults_on_stderr_only() {
    let (stdout, stderr) = ok_both(&["train", "--data", "moons", "--json"]);
    assert_eq!(
        lines_with(&stderr, "settings:"),
        ["settings: --layers 2,16,16,2 --activation tanh --optimizer adam --lr 0.005 --epochs 200 --batch-size 32 --noise 0.1 (defaults for moons)"]
    );
    // Stdout is JSON epochs and nothing else.
    let lines = epochs(&stdout);
    assert_eq!(lines.len(), 200);
    assert!(!stdout.contains("settings"));
    let (_, stderr) = ok_both(&["train", "--data", "spirals", "--epochs", "1"]);
    assert_eq!(
        lines_with(&stderr, "settings:"),
        ["settings: --layers 2,64,64,2 --activation relu --optimizer adam --lr 0.01 --epochs 1 --batch-size 200 --noise 0.02 (defaults for spirals, except --epochs as given)"]
    );
    // --quiet hides it; file data has no per-set defaults and no line.
    let (_, stderr) = ok_both(&["train", "--data", "xor", "--epochs", "1", "--quiet"]);
    assert_eq!(stderr, "");
    let (_, stderr) = ok_both(&["train", "--data", &data("iris.csv"), "--epochs", "1"]);
    assert!(lines_with(&stderr, "settings:").is_empty(), "{stderr}");
}

#[test]
fn each_omitted_flag_keeps_its_set_default() {
    let settings = |extra: &[&str]| {
        let mut args = vec!["train", "--data", "circles", "--epochs", "1"];
        args.extend_from_slice(extra);
        let (_, stderr) = ok_both(&args);
        lines_with(&stderr, "settings:")[0].to_string()
    };
    let line = settings(&["--activation", "relu"]);
    assert!(
        line.starts_with("settings: --layers 2,16,16,2 --activation relu --optimizer adam --lr 0.005 --epochs 1 --batch-size 32 --noise 0.1"),
        "{line}"
    );
    assert!(line.ends_with("(defaults for circles, except --activation --epochs as given)"));
    // --optimizer given: --lr falls back to the general 0.01, the rest stay the set's.
    let line = settings(&["--optimizer", "momentum"]);
    assert!(
        line.contains("--layers 2,16,16,2 --activation tanh --optimizer momentum --lr 0.01 --epochs 1 --batch-size 32 --noise 0.1"),
        "{line}"
    );
    let line = settings(&["--lr", "0.003", "--batch-size", "8", "--noise", "0.05"]);
    assert!(
        line.contains(
            "--activation tanh --optimizer adam --lr 0.003 --epochs 1 --batch-size 8 --noise 0.05"
        ),
        "{line}"
    );
    // The output width follows --loss.
    let line = settings(&["--loss", "bce"]);
    assert!(line.contains("--layers 2,16,16,1 "), "{line}");
    // Everything given: as given.
    let line = settings(&[
        "--layers",
        "2,4,2",
        "--activation",
        "sigmoid",
        "--optimizer",
        "sgd",
        "--lr",
        "0.1",
        "--batch-size",
        "10",
        "--noise",
        "0.2",
    ]);
    assert_eq!(
        line,
        "settings: --layers 2,4,2 --activation sigmoid --optimizer sgd --lr 0.1 --epochs 1 --batch-size 10 --noise 0.2 (as given)"
    );
}

#[test]
fn the_model_records_the_generated_set_and_file_data_does_not() {
    let dir = scratch("lesson-meta");
    let model = dir.join("m.safetensors");
    ok(&[
        "train",
        "--data",
        "spirals",
        "--samples",
        "90",
        "--noise",
        "0.05",
        "--seed",
        "3",
        "--epochs",
        "2",
        "--quiet",
        "--save",
        s(&model),
    ]);
    let meta = io::load_model(&model).unwrap().meta.unwrap();
    assert_eq!(
        meta.generated,
        Some(GeneratedMeta {
            set: "spirals".into(),
            samples: 90,
            noise: 0.05,
            seed: 3,
        })
    );
    assert_eq!(
        (meta.layers, meta.activation),
        (vec![2, 64, 64, 2], "relu".to_string())
    );
    let iris = dir.join("iris.safetensors");
    ok(&[
        "train",
        "--data",
        &data("iris.csv"),
        "--epochs",
        "1",
        "--quiet",
        "--save",
        s(&iris),
    ]);
    let meta = io::load_model(&iris).unwrap().meta.unwrap();
    assert_eq!(meta.generated, None);
    assert_eq!(
        (meta.layers, meta.activation),
        (vec![4, 64, 3], "relu".to_string())
    );
}

#[test]
fn eval_and_predict_default_to_the_models_samples_noise_and_seed() {
    let dir = scratch("lesson-eval-defaults");
    let model = dir.join("m.safetensors");
    ok(&[
        "train",
        "--data",
        "spirals",
        "--samples",
        "100",
        "--noise",
        "0.05",
        "--seed",
        "3",
        "--epochs",
        "20",
        "--quiet",
        "--save",
        s(&model),
    ]);
    let eval = |extra: &[&str]| {
        let mut args = vec!["eval", "--model", s(&model), "--data", "spirals", "--json"];
        args.extend_from_slice(extra);
        ok_both(&args)
    };
    let (default, warned) = eval(&[]);
    let explicit = eval(&["--samples", "100", "--noise", "0.05", "--seed", "3"]).0;
    assert_eq!(default, explicit);
    let conf: Value = serde_json::from_str(&default).unwrap();
    let rows: u64 = conf["confusion"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(rows, 100, "not the 100 rows trained on");
    assert_eq!(lines_with(&warned, "warning:").len(), 1, "{warned}");
    // Each flag overrides its own value only.
    for extra in [
        &["--samples", "50"][..],
        &["--noise", "0.1"],
        &["--seed", "4"],
    ] {
        let (other, stderr) = eval(extra);
        assert_ne!(other, default, "{extra:?} changed nothing");
        assert_eq!(stderr, "", "{extra:?}");
    }
    let text = ok(&[
        "eval",
        "--model",
        s(&model),
        "--data",
        "spirals",
        "--samples",
        "50",
    ]);
    assert!(text.contains("(50 samples)"), "{text}");
    // predict: the same 100 points, in the same order as eval scores them.
    let csv = ok(&["predict", "--model", s(&model), "--data", "spirals"]);
    assert_eq!(csv.lines().count(), 101);
    let other = ok(&[
        "predict",
        "--model",
        s(&model),
        "--data",
        "spirals",
        "--seed",
        "9",
    ]);
    assert_ne!(csv, other);
    let same = ok(&[
        "predict",
        "--model",
        s(&model),
        "--data",
        "spirals",
        "--samples",
        "100",
        "--noise",
        "0.05",
        "--seed",
        "3",
    ]);
    assert_eq!(csv, same);
    // Another generated set takes that set's own defaults: 200 rows.
    let csv = ok(&["predict", "--model", s(&model), "--data", "moons"]);
    assert_eq!(csv.lines().count(), 201);
    // Bad values are one line, exit 2.
    cli::fails(
        &[
            "eval",
            "--model",
            s(&model),
            "--data",
            "spirals",
            "--noise",
            "-1",
        ],
        "--noise -1: expected a non-negative finite number",
    );
    cli::fails(
        &[
            "predict",
            "--model",
            s(&model),
            "--data",
            "spirals",
            "--samples",
            "0",
        ],
        "expected at least 1 sample",
    );
}

#[test]
fn eval_warns_when_given_the_training_data_and_only_then() {
    let dir = scratch("lesson-fingerprint");
    let model = dir.join("m.safetensors");
    ok(&[
        "train",
        "--data",
        "moons",
        "--test-fraction",
        "0.2",
        "--epochs",
        "5",
        "--quiet",
        "--save",
        s(&model),
    ]);
    for extra in [&[][..], &["--json"]] {
        let mut args = vec!["eval", "--model", s(&model), "--data", "moons"];
        args.extend_from_slice(extra);
        let (stdout, stderr) = ok_both(&args);
        let warnings = lines_with(&stderr, "warning:");
        assert_eq!(warnings.len(), 1, "{stderr}");
        assert!(
            warnings[0].contains("trained on") && warnings[0].contains("include the training rows"),
            "{}",
            warnings[0]
        );
        assert!(!stdout.contains("warning"), "{stdout}");
    }
    // Other data: other seed, other noise, a CSV file with the same points.
    for extra in [&["--seed", "1"][..], &["--noise", "0.11"]] {
        let mut args = vec!["eval", "--model", s(&model), "--data", "moons"];
        args.extend_from_slice(extra);
        assert_eq!(ok_both(&args).1, "", "{extra:?}");
    }
    let csv_model = dir.join("iris.safetensors");
    let iris = data("iris.csv");
    ok(&[
        "train",
        "--data",
        &iris,
        "--epochs",
        "1",
        "--quiet",
        "--save",
        s(&csv_model),
    ]);
    let (_, stderr) = ok_both(&["eval", "--model", s(&csv_model), "--data", &iris]);
    assert_eq!(lines_with(&stderr, "warning:").len(), 1, "{stderr}");
    let head: String = std::fs::read_to_string(&iris)
        .unwrap()
        .lines()
        .take(60)
        .map(|l| format!("{l}\n"))
        .collect();
    let part = dir.join("part.csv");
    std::fs::write(&part, head).unwrap();
    let (_, stderr) = ok_both(&["eval", "--model", s(&csv_model), "--data", s(&part)]);
    assert_eq!(stderr, "");
}

/// The first epoch whose mean loss exceeds 10× the lowest earlier one and 1e-3.
fn first_divergence(losses: &[f64]) -> Option<usize> {
    let mut lowest = f64::INFINITY;
    for (i, &l) in losses.iter().enumerate() {
        if l > 10.0 * lowest && l > 1e-3 {
            return Some(i + 1);
        }
        lowest = lowest.min(l);
    }
    None
}

#[test]
fn a_diverging_run_is_warned_about_once_and_goes_on() {
    // Adam at lr 0.2 on circles reaches a loss near 0.03, then blows up past 1.
    let args = [
        "train", "--data", "circles", "--lr", "0.2", "--epochs", "100", "--json", "--quiet",
    ];
    let (stdout, stderr) = ok_both(&args);
    let losses: Vec<f64> = epochs(&stdout)
        .iter()
        .map(|e| e["train_loss"].as_f64().unwrap())
        .collect();
    assert_eq!(losses.len(), 100, "the run stopped");
    let epoch = first_divergence(&losses).expect("these flags diverge");
    let warnings = lines_with(&stderr, "warning:");
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        warnings[0].contains(&format!("at epoch {epoch},")) && warnings[0].contains("smaller --lr"),
        "{} (expected epoch {epoch})",
        warnings[0]
    );
    assert!(!stdout.contains("warning"));
    // A run that converges is not warned about.
    let (stdout, stderr) = ok_both(&["train", "--data", "circles", "--json", "--quiet"]);
    let losses: Vec<f64> = epochs(&stdout)
        .iter()
        .map(|e| e["train_loss"].as_f64().unwrap())
        .collect();
    assert_eq!(first_divergence(&losses), None);
    assert_eq!(stderr, "");
}

#[test]
fn a_run_on_defaults_resumes() {
    let dir = scratch("lesson-resume");
    let (a, ck, b) = (
        dir.join("a.safetensors"),
        dir.join("ck.safetensors"),
        dir.join("b.safetensors"),
    );
    ok(&[
        "train",
        "--data",
        "xor",
        "--epochs",
        "6",
        "--quiet",
        "--save",
        s(&a),
    ]);
    ok(&[
        "train",
        "--data",
        "xor",
        "--epochs",
        "3",
        "--quiet",
        "--checkpoint",
        s(&ck),
    ]);
    ok(&[
        "train",
        "--data",
        "xor",
        "--epochs",
        "6",
        "--quiet",
        "--resume",
        s(&ck),
        "--save",
        s(&b),
    ]);
    let tensors = |p: &std::path::Path| {
        let file = io::load_model(p).unwrap();
        file.tensors
            .iter()
            .map(|(n, t)| (n.clone(), t.to_f64().data().to_vec()))
            .collect::<Vec<_>>()
    };
    assert_eq!(tensors(&a), tensors(&b));
    // A changed default-bearing flag is still refused where it must be.
    cli::fails(
        &[
            "train",
            "--data",
            "xor",
            "--epochs",
            "6",
            "--quiet",
            "--resume",
            s(&ck),
            "--activation",
            "relu",
        ],
        "--activation tanh, not relu",
    );
}
