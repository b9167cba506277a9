//! Interoperability with PyTorch, against fixtures written once by
//! `tools/torch_reference.py` (PyTorch 2.x; see tests/fixtures/torch/torch_reference.log).
//! No Python is needed here.
//!
//! * `training_matches_pytorch_in_f64`: every scenario of
//!   tests/fixtures/torch/scenarios.json is trained by the binary from PyTorch's
//!   initial weights (`--init-from`, `--dtype f64`), and every saved tensor must
//!   equal PyTorch's float64 result to 1e-10 relative (|a − b| ≤ 1e-10·max(|b|, 1e-3)).
//! * `pytorch_models_load_and_predict_the_same`: float32 models written by PyTorch
//!   (no backprop metadata) are loaded with `train --init-from M --optimizer sgd
//!   --lr 1e-300 --epochs 1 --dtype f32` — the learning rate rounds to 0 in f32, so
//!   the weights are kept bit for bit (checked) — and `backprop predict` must give
//!   PyTorch's outputs to 1e-6.
//! * `our_model_loads_in_pytorch`: tests/fixtures/torch/ours.safetensors, saved by
//!   `backprop train`, was loaded by PyTorch with `load_state_dict(strict=True)`;
//!   `backprop predict` must give PyTorch's probabilities to 1e-6.

#[path = "common/cli.rs"]
mod cli;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use backprop::io::load_model;
use serde_json::Value;

const REL_TOL: f64 = 1e-10;
/// Values below this magnitude are compared absolutely (to REL_TOL · FLOOR).
const FLOOR: f64 = 1e-3;
const PREDICT_TOL: f64 = 1e-6;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(rel: &str) -> PathBuf {
    root().join(rel)
}

fn manifest(name: &str) -> Vec<Value> {
    let p = fixture(&format!("tests/fixtures/torch/{name}"));
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    v.as_array()
        .unwrap_or_else(|| panic!("{}: expected a list", p.display()))
        .clone()
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("missing string {key:?} in {v}"))
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("missing list {key:?} in {v}"))
        .iter()
        .map(|x| x.as_str().expect("a string").to_string())
        .collect()
}

/// Runs the binary from the repository root; stdout on success, else Err(a report).
fn backprop(args: &[String]) -> Result<String, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_backprop"))
        .args(args)
        .current_dir(root())
        .output()
        .map_err(|e| format!("cannot run backprop: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "backprop {} failed ({}):\n{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8(out.stdout)
        .map_err(|e| format!("backprop {}: stdout is not UTF-8: {e}", args.join(" ")))
}

/// Every tensor of a model file as (name, dims, values in f64), sorted by name.
fn tensors(path: &Path) -> Vec<(String, Vec<usize>, Vec<f64>)> {
    let file = load_model(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut v: Vec<_> = file
        .tensors
        .iter()
        .map(|(name, t)| {
            let t = t.to_f64();
            (name.clone(), t.dims().to_vec(), t.data().to_vec())
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// The worst element of `ours` against `torch`: (metric, tensor, index, ours, torch).
struct Worst {
    err: f64,
    at: String,
    ours: f64,
    torch: f64,
}

/// Compares two model files tensor by tensor; Err on differing names or shapes.
fn compare(ours: &Path, torch: &Path) -> Result<Worst, String> {
    let (a, b) = (tensors(ours), tensors(torch));
    let names =
        |v: &[(String, Vec<usize>, Vec<f64>)]| v.iter().map(|t| t.0.clone()).collect::<Vec<_>>();
    if names(&a) != names(&b) {
        return Err(format!(
            "tensor names differ: ours {:?}, PyTorch {:?}",
            names(&a),
            names(&b)
        ));
    }
    let mut worst = Worst {
        err: 0.0,
        at: String::new(),
        ours: 0.0,
        torch: 0.0,
    };
    for ((name, da, va), (_, db, vb)) in a.iter().zip(&b) {
        if da != db {
            return Err(format!("{name}: shape {da:?}, PyTorch's is {db:?}"));
        }
        for (i, (&x, &y)) in va.iter().zip(vb).enumerate() {
            let err = (x - y).abs() / y.abs().max(FLOOR);
            if err.is_nan() || err > worst.err {
                worst = Worst {
                    err,
                    at: format!("{name}[{i}]"),
                    ours: x,
                    torch: y,
                };
            }
        }
    }
    Ok(worst)
}

#[test]
fn training_matches_pytorch_in_f64() {
    let scenarios = manifest("scenarios.json");
    assert!(scenarios.len() >= 10, "expected the full set of scenarios");
    let tmp = cli::scratch("torch-train");
    let mut failures = Vec::new();
    let mut report = Vec::new();
    for sc in &scenarios {
        let name = s(sc, "name");
        let saved = tmp.join(format!("{name}.safetensors"));
        let mut args = vec!["train".to_string(), "--data".into(), s(sc, "data").into()];
        args.extend(strings(sc, "flags"));
        args.extend([
            "--init-from".into(),
            s(sc, "init").into(),
            "--dtype".into(),
            "f64".into(),
            "--save".into(),
            saved.display().to_string(),
        ]);
        if let Err(e) = backprop(&args) {
            failures.push(format!("{name}: {e}"));
            continue;
        }
        match compare(&saved, &fixture(s(sc, "final"))) {
            Err(e) => failures.push(format!("{name}: {e}")),
            Ok(w) => {
                let line = format!(
                    "{name}: worst {:.2e} at {} (ours {:e}, PyTorch {:e})",
                    w.err, w.at, w.ours, w.torch
                );
                if w.err <= REL_TOL {
                    report.push(line);
                } else {
                    failures.push(line);
                }
            }
        }
    }
    for line in &report {
        eprintln!("ok   {line}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios differ from PyTorch beyond {REL_TOL:e}:\n{}",
        failures.len(),
        scenarios.len(),
        failures.join("\n")
    );
}

#[test]
fn scenarios_cover_losses_optimizers_activations() {
    let scenarios = manifest("scenarios.json");
    let flag = |sc: &Value, f: &str| -> Option<String> {
        let fl = strings(sc, "flags");
        fl.iter()
            .position(|x| x == f)
            .and_then(|i| fl.get(i + 1).cloned())
    };
    let has = |sc: &Value, f: &str| strings(sc, "flags").iter().any(|x| x == f);
    let set = |f: &str| {
        scenarios
            .iter()
            .filter_map(|sc| flag(sc, f))
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(
        set("--loss"),
        ["bce", "cross-entropy", "mse"].map(String::from).into()
    );
    assert_eq!(
        set("--optimizer"),
        ["adam", "adamw", "momentum", "sgd"]
            .map(String::from)
            .into()
    );
    assert_eq!(
        set("--activation"),
        ["gelu", "leaky-relu", "relu", "sigmoid", "tanh"]
            .map(String::from)
            .into()
    );
    let opt = |sc: &Value| flag(sc, "--optimizer").unwrap_or_default();
    assert!(scenarios
        .iter()
        .any(|sc| opt(sc) == "momentum" && has(sc, "--nesterov")));
    assert!(scenarios
        .iter()
        .any(|sc| opt(sc) == "momentum" && has(sc, "--weight-decay")));
    assert!(scenarios
        .iter()
        .any(|sc| opt(sc) == "adam" && has(sc, "--weight-decay")));
    assert!(scenarios.iter().any(|sc| has(sc, "--no-bias")));
    assert!(scenarios
        .iter()
        .any(|sc| sc["layers"].as_array().map_or(0, |l| l.len()) >= 5));
    for sc in &scenarios {
        let batch: usize = flag(sc, "--batch-size")
            .and_then(|b| b.parse().ok())
            .expect("--batch-size");
        let epochs: usize = flag(sc, "--epochs")
            .and_then(|b| b.parse().ok())
            .expect("--epochs");
        assert!(
            60 % batch != 0 && epochs >= 3,
            "{}: a partial last batch over 3+ epochs",
            s(sc, "name")
        );
    }
}

/// A prediction CSV: the header and the numeric rows (a `class` column kept as text).
fn read_predictions(text: &str, what: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines
        .next()
        .unwrap_or_else(|| panic!("{what}: empty"))
        .split(',')
        .map(|x| x.trim().to_string())
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(|x| x.trim().to_string()).collect())
        .collect();
    (header, rows)
}

/// Compares `backprop predict` output with PyTorch's CSV (same layout).
fn compare_predictions(ours: &str, torch_csv: &Path, what: &str) -> Result<f64, String> {
    let torch_text =
        std::fs::read_to_string(torch_csv).map_err(|e| format!("{}: {e}", torch_csv.display()))?;
    let (h_ours, r_ours) = read_predictions(ours, what);
    let (h_torch, r_torch) = read_predictions(&torch_text, &torch_csv.display().to_string());
    if h_ours != h_torch {
        return Err(format!("{what}: header {h_ours:?}, PyTorch's {h_torch:?}"));
    }
    if r_ours.len() != r_torch.len() {
        return Err(format!(
            "{what}: {} rows, PyTorch has {}",
            r_ours.len(),
            r_torch.len()
        ));
    }
    let mut worst = 0.0f64;
    for (i, (a, b)) in r_ours.iter().zip(&r_torch).enumerate() {
        if a.len() != b.len() {
            return Err(format!(
                "{what}: row {i} has {} fields, PyTorch's {}",
                a.len(),
                b.len()
            ));
        }
        for (j, (x, y)) in a.iter().zip(b).enumerate() {
            if h_torch[j] == "class" {
                if x != y {
                    return Err(format!("{what}: row {i}: class {x}, PyTorch's {y}"));
                }
                continue;
            }
            let parse = |v: &str| {
                v.parse::<f64>()
                    .map_err(|e| format!("{what}: row {i}: {v:?}: {e}"))
            };
            let d = (parse(x)? - parse(y)?).abs();
            if d.is_nan() || d > PREDICT_TOL {
                return Err(format!(
                    "{what}: row {i}, {}: ours {x}, PyTorch {y} (|Δ| = {d:e})",
                    h_torch[j]
                ));
            }
            worst = worst.max(d);
        }
    }
    Ok(worst)
}

#[test]
fn pytorch_models_load_and_predict_the_same() {
    let checks = manifest("predict_checks.json");
    assert!(!checks.is_empty());
    let tmp = cli::scratch("torch-predict");
    let mut failures = Vec::new();
    for c in &checks {
        let name = s(c, "name");
        let model = tmp.join(format!("{name}.safetensors"));
        let mut args = vec!["train".to_string(), "--data".into(), s(c, "data").into()];
        args.extend(strings(c, "flags"));
        args.extend([
            "--init-from".into(),
            s(c, "model").into(),
            "--dtype".into(),
            "f32".into(),
            "--save".into(),
            model.display().to_string(),
        ]);
        if let Err(e) = backprop(&args) {
            failures.push(format!("{name}: {e}"));
            continue;
        }
        // lr = 1e-300 is 0 in f32: the weights must be PyTorch's, bit for bit.
        match compare(&model, &fixture(s(c, "model"))) {
            Ok(w) if w.err == 0.0 => {}
            Ok(w) => failures.push(format!(
                "{name}: weights changed on loading: {} ours {:e}, PyTorch {:e}",
                w.at, w.ours, w.torch
            )),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
        let args = [
            "predict",
            "--model",
            &model.display().to_string(),
            "--data",
            s(c, "data"),
        ]
        .map(String::from);
        match backprop(&args)
            .and_then(|out| compare_predictions(&out, &fixture(s(c, "predictions")), name))
        {
            Ok(w) => eprintln!("ok   {name}: max |Δ| {w:.2e}"),
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn our_model_loads_in_pytorch() {
    let ours = fixture("tests/fixtures/torch/ours.safetensors");
    let file = load_model(&ours).unwrap_or_else(|e| panic!("{}: {e}", ours.display()));
    let names: Vec<&str> = file.tensors.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["0.bias", "0.weight", "2.bias", "2.weight"],
        "PyTorch's nn.Sequential names only"
    );
    let args = [
        "predict",
        "--model",
        "tests/fixtures/torch/ours.safetensors",
        "--data",
        "tests/fixtures/torch/cls3.csv",
    ]
    .map(String::from);
    let out = backprop(&args).unwrap_or_else(|e| panic!("{e}"));
    let worst = compare_predictions(
        &out,
        &fixture("tests/fixtures/torch/ours_torch_predictions.csv"),
        "ours",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("ok   ours: max |Δ| {worst:.2e}");
}
