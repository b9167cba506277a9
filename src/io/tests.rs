//! File-level tests: round trips, checkpoints, bad files, atomic saves, PyTorch interop.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use safetensors::tensor::{Dtype, TensorView};

use super::test_util::TempDir;
use super::*;
use crate::float::Float;
use crate::optim::{OptimConfig, OptimKind, Optimizer};
use crate::tensor::Tensor;

/// Awkward finite values: signed zeros, subnormals, extremes of `f32`.
fn awkward<T: Float>(n: usize, salt: u64) -> Vec<T> {
    let special = [
        0.0,
        -0.0,
        1e-310,
        -1e-40,
        3.4e38,
        -3.4e38,
        f64::MIN_POSITIVE,
        1e-45,
        0.1,
        -1.0 / 3.0,
    ];
    let mut s = salt.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let x = special
                .get(i)
                .copied()
                .unwrap_or((s >> 11) as f64 / (1u64 << 40) as f64 - 4096.0);
            T::from_f64(x)
        })
        .collect()
}

/// Parameters for `layers` (with biases) filled with [`awkward`] values.
fn params<T: Float>(layers: &[usize], bias: bool) -> Vec<(String, Tensor<T>)> {
    expected_params(layers, bias)
        .into_iter()
        .enumerate()
        .map(|(i, (name, dims))| {
            let n = dims.iter().product();
            (
                name,
                Tensor::from_vec(awkward(n, i as u64 + 1), &dims).unwrap(),
            )
        })
        .collect()
}

/// A valid training state after `epoch` epochs of Adam.
fn train_state(epoch: u64) -> TrainState {
    TrainState {
        format: CHECKPOINT_FORMAT,
        epoch,
        seed: u64::MAX,
        batch_size: 32,
        epochs: 10,
        shuffle: true,
        test_fraction: 0.25,
        optimizer: OptimConfig::new(OptimKind::Adam, 0.01),
        optimizer_steps: 0,
        history: vec![(1, Some(2.0 / 3.0), None, Some(0.5), None)],
    }
}

fn meta(layers: &[usize], dtype: &str) -> ModelMeta {
    let (inputs, outputs) = (layers[0], *layers.last().unwrap());
    let means = [0.1, 2.0 / 3.0, -7.25];
    let stds = [1.0, 0.30000000000000004, 1e-8];
    ModelMeta {
        layers: layers.to_vec(),
        activation: "relu".into(),
        bias: true,
        loss: "cross_entropy".into(),
        classes: Some(match outputs {
            2 => vec!["no".into(), "yes".into()],
            n => (0..n).map(|i| format!("class {i}")).collect(),
        }),
        standardize: Some((
            (0..inputs).map(|i| means[i % 3]).collect(),
            (0..inputs).map(|i| stds[i % 3]).collect(),
        )),
        dtype: dtype.into(),
        data_fingerprint: Some("ab".repeat(32)),
        generated: None,
    }
}

fn bits<T: Float>(ps: &[(String, Tensor<T>)]) -> Vec<(String, Vec<u64>)> {
    ps.iter()
        .map(|(n, t)| {
            (
                n.clone(),
                t.data().iter().map(|x| x.as_f64().to_bits()).collect(),
            )
        })
        .collect()
}

/// Writes raw tensors (no checks) with optional metadata, as another tool might.
fn write_raw(
    path: &Path,
    tensors: &[(&str, Dtype, Vec<usize>, Vec<u8>)],
    metadata: Option<HashMap<String, String>>,
) {
    let views: Vec<(&str, TensorView<'_>)> = tensors
        .iter()
        .map(|(n, d, s, b)| (*n, TensorView::new(*d, s.clone(), b).unwrap()))
        .collect();
    fs::write(path, safetensors::serialize(views, metadata).unwrap()).unwrap();
}

fn f32_bytes(n: usize) -> Vec<u8> {
    (0..n).flat_map(|i| (i as f32).to_le_bytes()).collect()
}

/// Asserts a one-line message that starts with the path.
fn assert_names_file(err: &IoError, path: &Path) {
    let msg = err.to_string();
    assert!(msg.starts_with(&format!("{}: ", path.display())), "{msg}");
    assert!(!msg.contains('\n'), "{msg}");
    assert_eq!(err.path(), path);
}

fn round_trip<T: Float>() {
    let dir = TempDir::new("round-trip");
    let path = dir.path().join("m.safetensors");
    let layers = [3, 5, 4, 2];
    let ps = params::<T>(&layers, true);
    let m = meta(&layers, T::DTYPE);
    save_model(&path, &ps, &m).unwrap();
    let file = load_model(&path).unwrap();
    assert_eq!(file.meta.as_ref(), Some(&m));
    assert!(file.tensors.iter().all(|(_, t)| t.dtype() == T::DTYPE));
    let back = mlp_params::<T>(&file, &layers, true, &path).unwrap();
    assert_eq!(bits(&back), bits(&ps));
    let names: Vec<&str> = back.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    );
    assert_eq!(back[2].1.dims(), &[4, 5]);
}

#[test]
fn f32_round_trip_is_bitwise() {
    round_trip::<f32>();
}

#[test]
fn f64_round_trip_is_bitwise() {
    round_trip::<f64>();
}

#[test]
fn loading_converts_between_f32_and_f64() {
    let dir = TempDir::new("convert");
    let path = dir.path().join("m.safetensors");
    let layers = [3, 2];
    let ps = params::<f32>(&layers, false);
    let mut m = meta(&layers, "F64"); // save_model writes F32, T's dtype
    m.bias = false;
    save_model(&path, &ps, &m).unwrap();
    let file = load_model(&path).unwrap();
    assert_eq!(file.meta.as_ref().unwrap().dtype, "F32");
    let wide = mlp_params::<f64>(&file, &layers, false, &path).unwrap();
    let widened: Vec<f64> = ps[0].1.data().iter().map(|&x| x as f64).collect();
    assert_eq!(
        wide[0]
            .1
            .data()
            .iter()
            .map(|x| x.to_bits())
            .collect::<Vec<_>>(),
        widened.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    );
    let narrow = file.get("0.weight").unwrap().to_f64().cast::<f32>();
    assert_eq!(
        bits(&[("w".into(), narrow)]),
        bits(&[("w".into(), ps[0].1.clone())])
    );
}

#[test]
fn checkpoint_round_trip() {
    let dir = TempDir::new("checkpoint");
    let path = dir.path().join("ck.safetensors");
    let layers = [3, 4, 2];
    let ps = params::<f64>(&layers, true);
    let mut optimizer = Optimizer::new(OptimConfig::new(OptimKind::Adam, 0.01));
    optimizer.steps = 1234;
    optimizer.first = ps.iter().map(|(_, t)| Some(t.clone())).collect();
    optimizer.second = ps
        .iter()
        .map(|(_, t)| {
            Some(Tensor::from_vec(t.data().iter().map(|v| v * v).collect(), t.dims()).unwrap())
        })
        .collect();
    let ck = Checkpoint {
        params: ps,
        meta: meta(&layers, "F64"),
        optimizer,
        state: train_state(7),
    };
    save_checkpoint(&path, &ck).unwrap();
    let back = load_checkpoint::<f64>(&path).unwrap();
    assert_eq!(bits(&back.params), bits(&ck.params));
    assert_eq!(back.meta, ck.meta);
    assert_eq!(
        back.state,
        TrainState {
            optimizer_steps: 1234,
            ..ck.state.clone()
        }
    );
    assert_eq!(back.optimizer.config, ck.optimizer.config);
    assert_eq!(back.optimizer.steps, 1234);
    for (a, b) in [
        (&back.optimizer.first, &ck.optimizer.first),
        (&back.optimizer.second, &ck.optimizer.second),
    ] {
        let slots = |l: &Vec<Option<Tensor<f64>>>| -> Vec<(String, Tensor<f64>)> {
            l.iter()
                .map(|t| ("s".to_string(), t.clone().unwrap()))
                .collect()
        };
        assert_eq!(bits(&slots(a)), bits(&slots(b)));
    }
    let file = load_model(&path).unwrap();
    assert!(file.get("optim.state.2.bias.exp_avg_sq").is_some());
    // A checkpoint is a model file too; the optimiser tensors are skipped.
    assert_eq!(
        mlp_params::<f32>(&file, &layers, true, &path)
            .unwrap()
            .len(),
        4
    );
}

#[test]
fn a_model_file_is_not_a_checkpoint() {
    let dir = TempDir::new("not-checkpoint");
    let path = dir.path().join("m.safetensors");
    save_model(&path, &params::<f32>(&[3, 2], true), &meta(&[3, 2], "F32")).unwrap();
    let err = load_checkpoint::<f32>(&path).unwrap_err();
    assert_names_file(&err, &path);
    assert!(err.to_string().contains("not a checkpoint"), "{err}");
}

#[test]
fn truncated_files_say_so() {
    let dir = TempDir::new("truncated");
    let full = dir.path().join("full.safetensors");
    save_model(
        &full,
        &params::<f32>(&[3, 4, 2], true),
        &meta(&[3, 4, 2], "F32"),
    )
    .unwrap();
    let bytes = fs::read(&full).unwrap();
    let header_end = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let cut = dir.path().join("cut.safetensors");
    for len in [
        0,
        1,
        7,
        8,
        9,
        header_end / 2,
        header_end - 1,
        header_end,
        header_end + 1,
        bytes.len() - 1,
    ] {
        fs::write(&cut, &bytes[..len]).unwrap();
        let err = load_model(&cut).unwrap_err();
        assert!(
            matches!(err, IoError::Truncated { .. }),
            "cut at {len}: {err}"
        );
        assert_names_file(&err, &cut);
    }
    fs::write(&cut, &bytes[..bytes.len() - 1]).unwrap();
    let msg = load_model(&cut).unwrap_err().to_string();
    let want = format!(
        "truncated file: the header declares {} bytes in all but the file has {}",
        bytes.len(),
        bytes.len() - 1
    );
    assert!(msg.ends_with(&want), "{msg}");
}

#[test]
fn garbage_is_not_safetensors() {
    let dir = TempDir::new("garbage");
    let path = dir.path().join("junk.safetensors");
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let text = b"hello, this is a text file\n".to_vec();
    let zeros = vec![0u8; 64];
    let json_only = br#"{"0.weight": {"dtype": "F32"}}"#.to_vec();
    for bytes in [png, text, zeros, json_only] {
        fs::write(&path, &bytes).unwrap();
        let err = load_model(&path).unwrap_err();
        assert!(matches!(err, IoError::NotSafetensors { .. }), "{err}");
        assert_names_file(&err, &path);
    }
    // A plausible start with a broken JSON header: a damaged file.
    let header = b"{\"a\": not json at all}";
    let bytes = [&(header.len() as u64).to_le_bytes()[..], header].concat();
    fs::write(&path, bytes).unwrap();
    let err = load_model(&path).unwrap_err();
    assert!(matches!(err, IoError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("invalid JSON header"), "{err}");
}

#[test]
fn changing_any_byte_gives_an_error_or_a_model_never_a_panic() {
    let dir = TempDir::new("fuzz");
    let good = dir.path().join("good.safetensors");
    save_model(&good, &params::<f64>(&[2, 2], true), &meta(&[2, 2], "F64")).unwrap();
    let bytes = fs::read(&good).unwrap();
    let path = Path::new("bad.safetensors");
    for i in 0..bytes.len() {
        for v in [0u8, b'9', b'"', b'}', b',', 0xFF] {
            let mut b = bytes.clone();
            b[i] = v;
            match model::from_bytes(path, &b) {
                Ok((file, _)) => {
                    let _ = mlp_params::<f32>(&file, &[2, 2], true, path);
                }
                Err(err) => assert_names_file(&err, path),
            }
        }
    }
}

#[test]
fn wrong_shape_names_tensor_shapes_and_layers() {
    let dir = TempDir::new("shape");
    let path = dir.path().join("model.safetensors");
    let t = |n, s: &[usize]| (n, Dtype::F32, s.to_vec(), f32_bytes(s.iter().product()));
    write_raw(
        &path,
        &[
            t("0.weight", &[128, 784]),
            t("0.bias", &[128]),
            t("2.weight", &[10, 64]),
            t("2.bias", &[10]),
        ],
        None,
    );
    let file = load_model(&path).unwrap();
    assert_eq!(file.meta, None);
    let err = mlp_params::<f32>(&file, &[784, 128, 10], true, &path).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: tensor 2.weight has shape [10, 64], expected [10, 128] for --layers 784,128,10",
            path.display()
        )
    );
}

#[test]
fn missing_and_unexpected_tensors_are_named() {
    let dir = TempDir::new("missing");
    let path = dir.path().join("m.safetensors");
    let t = |n, s: &[usize]| (n, Dtype::F32, s.to_vec(), f32_bytes(s.iter().product()));
    write_raw(
        &path,
        &[t("0.weight", &[4, 3]), t("0.bias", &[4]), t("2.bias", &[2])],
        None,
    );
    let file = load_model(&path).unwrap();
    let err = mlp_params::<f64>(&file, &[3, 4, 2], true, &path).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: missing tensor 2.weight, expected for --layers 3,4,2",
            path.display()
        )
    );
    let err = mlp_params::<f64>(&file, &[3, 4], false, &path).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: unexpected tensor 0.bias for --layers 3,4 --no-bias",
            path.display()
        )
    );
    let err = mlp_params::<f64>(&file, &[3], true, &path).unwrap_err();
    assert_names_file(&err, &path);
}

#[test]
fn unsupported_dtype_is_named() {
    let dir = TempDir::new("dtype");
    let path = dir.path().join("m.safetensors");
    write_raw(
        &path,
        &[("0.weight", Dtype::BF16, vec![2, 2], vec![0; 8])],
        None,
    );
    let err = load_model(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: tensor 0.weight has unsupported dtype BF16, expected F32 or F64",
            path.display()
        )
    );
}

#[test]
fn bad_metadata_json_is_named() {
    let dir = TempDir::new("bad-meta");
    let path = dir.path().join("m.safetensors");
    let tensors = [("0.weight", Dtype::F32, vec![1, 1], f32_bytes(1))];
    write_raw(
        &path,
        &tensors,
        Some(HashMap::from([(
            META_KEY.into(),
            "{\"layers\": [1, 1],".into(),
        )])),
    );
    let err = load_model(&path).unwrap_err();
    assert!(matches!(err, IoError::Metadata { .. }), "{err}");
    assert_names_file(&err, &path);
    assert!(
        err.to_string()
            .contains("bad metadata: \"backprop\": invalid JSON"),
        "{err}"
    );

    // Metadata that contradicts the tensors' dtype.
    let text = meta(&[1, 1], "F64").to_json().to_string();
    write_raw(
        &path,
        &tensors,
        Some(HashMap::from([(META_KEY.into(), text)])),
    );
    let err = load_model(&path).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("bad metadata: dtype F64 but tensor 0.weight is stored as F32"),
        "{err}"
    );
}

#[test]
fn unreadable_file_is_named() {
    let path = PathBuf::from("/nonexistent/backprop/m.safetensors");
    let err = load_model(&path).unwrap_err();
    assert!(matches!(err, IoError::Read { .. }));
    assert_names_file(&err, &path);
}

#[test]
fn save_refuses_params_that_do_not_fit_the_metadata() {
    let dir = TempDir::new("save-check");
    let path = dir.path().join("m.safetensors");
    let err = save_model(
        &path,
        &params::<f32>(&[3, 4, 2], true),
        &meta(&[3, 5, 2], "F32"),
    )
    .unwrap_err();
    assert!(matches!(err, IoError::WrongShape { .. }), "{err}");
    let err = save_model(&path, &params::<f32>(&[3, 2], true), &meta(&[3], "F32")).unwrap_err();
    assert!(matches!(err, IoError::Metadata { .. }), "{err}");
    assert!(!path.exists());
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn saves_are_atomic_and_leave_no_temp_files() {
    let dir = TempDir::new("atomic-save");
    let path = dir.path().join("m.safetensors");
    let (ps, m) = (params::<f32>(&[3, 2], true), meta(&[3, 2], "F32"));
    save_model(&path, &ps, &m).unwrap();
    save_model(&path, &ps, &m).unwrap();
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["m.safetensors"]);

    let missing = dir.path().join("missing").join("m.safetensors");
    let err = save_model(&missing, &ps, &m).unwrap_err();
    assert!(matches!(err, IoError::Write { .. }));
    assert_names_file(&err, &missing);
    let blocked = dir.path().join("blocked");
    fs::create_dir(&blocked).unwrap();
    fs::write(blocked.join("x"), b"x").unwrap();
    let ck = Checkpoint {
        params: ps,
        meta: m,
        optimizer: Optimizer::new(OptimConfig::new(OptimKind::Sgd, 0.1)),
        state: train_state(1),
    };
    let err = save_checkpoint(&blocked, &ck).unwrap_err();
    assert!(err.to_string().contains("is a directory"), "{err}");
    let mut names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["blocked", "m.safetensors"]);
}

/// The fixture written by `tools/make_io_fixture.py` (PyTorch's `save_file`).
fn torch_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/torch_tiny.safetensors")
}

const W0: [[f32; 3]; 4] = [
    [0.1, -0.2, 0.3],
    [-0.4, 0.5, -0.6],
    [0.7, -0.8, 0.9],
    [-1.0, 1.1, -1.2],
];
const B0: [f32; 4] = [0.01, -0.02, 0.03, -0.04];
const W2: [[f32; 4]; 2] = [[0.15, -0.25, 0.35, -0.45], [0.55, -0.65, 0.75, -0.85]];
const B2: [f32; 2] = [0.5, -0.5];

#[test]
fn pytorch_file_loads_with_names_shapes_and_values() {
    let path = torch_fixture();
    let file = load_model(&path).unwrap();
    assert_eq!(file.meta, None);
    let shapes: Vec<(&str, &[usize], &str)> = file
        .tensors
        .iter()
        .map(|(n, t)| (n.as_str(), t.dims(), t.dtype()))
        .collect();
    assert_eq!(
        shapes,
        [
            ("0.bias", &[4][..], "F32"),
            ("0.weight", &[4, 3], "F32"),
            ("2.bias", &[2], "F32"),
            ("2.weight", &[2, 4], "F32")
        ]
    );
    let ps = mlp_params::<f32>(&file, &[3, 4, 2], true, &path).unwrap();
    assert_eq!(ps[0].1.data(), W0.concat().as_slice());
    assert_eq!(ps[1].1.data(), B0.as_slice());
    assert_eq!(ps[2].1.data(), W2.concat().as_slice());
    assert_eq!(ps[3].1.data(), B2.as_slice());
}

/// `y = W2·relu(W0·x + b0) + b2` in f64 from f32 weights, one input row.
fn forward(ps: &[(String, Tensor<f64>)], x: &[f64]) -> Vec<f64> {
    let linear = |w: &Tensor<f64>, b: &Tensor<f64>, x: &[f64]| -> Vec<f64> {
        let cols = w.dims()[1];
        w.data()
            .chunks(cols)
            .zip(b.data())
            .map(|(row, b)| row.iter().zip(x).map(|(w, x)| w * x).sum::<f64>() + b)
            .collect()
    };
    let h: Vec<f64> = linear(&ps[0].1, &ps[1].1, x)
        .into_iter()
        .map(|v| v.max(0.0))
        .collect();
    linear(&ps[2].1, &ps[3].1, &h)
}

#[test]
fn pytorch_file_computes_what_pytorch_computed() {
    let path = torch_fixture();
    let ps = mlp_params::<f64>(&load_model(&path).unwrap(), &[3, 4, 2], true, &path).unwrap();
    // model(torch.tensor(X)) as printed by tools/make_io_fixture.py
    let cases = [
        ([1.0, 2.0, 3.0], [1.2319998741149902, 1.2079997062683105]),
        ([-1.0, 0.5, 2.0], [0.8169999718666077, 0.2729998826980591]),
    ];
    for (x, want) in cases {
        let y = forward(&ps, &x);
        for (a, b) in y.iter().zip(want) {
            assert!((a - b).abs() < 1e-6, "{y:?} vs {want:?}");
        }
    }
}

#[test]
fn linear_names_follow_sequential_indices() {
    assert_eq!(linear_name(0, "weight"), "0.weight");
    assert_eq!(linear_name(1, "weight"), "2.weight");
    assert_eq!(linear_name(5, "bias"), "10.bias");
}

#[test]
fn the_same_model_saved_ten_times_is_the_same_bytes() {
    let dir = TempDir::new("same-bytes");
    let (ps, m) = (params::<f32>(&[3, 4, 2], true), meta(&[3, 4, 2], "F32"));
    let first = dir.path().join("m0.safetensors");
    save_model(&first, &ps, &m).unwrap();
    let want = fs::read(&first).unwrap();
    for i in 1..10 {
        let path = dir.path().join(format!("m{i}.safetensors"));
        save_model(&path, &ps, &m).unwrap();
        assert_eq!(fs::read(&path).unwrap(), want, "save {i} differs");
    }
    // The header's keys are sorted, `__metadata__` first among them.
    let n = u64::from_le_bytes(want[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&want[8..8 + n]).unwrap();
    assert!(header.starts_with(r#"{"0.bias":"#), "{header}");
    let meta_at = header.find(r#""__metadata__":{"backprop":"#).unwrap();
    assert!(meta_at < header.find(r#""format":"pt""#).unwrap());
    assert_eq!(load_model(&first).unwrap().meta, Some(m));
}

#[test]
fn non_finite_values_are_refused_on_load() {
    let dir = TempDir::new("non-finite");
    let path = dir.path().join("m.safetensors");
    for (bad, shown) in [
        (f64::NAN, "NaN"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
    ] {
        let mut ps = params::<f64>(&[2, 3, 2], true);
        ps[2].1.data_mut()[1] = bad; // 2.weight [2, 3], element 1
        save_model(&path, &ps, &meta(&[2, 3, 2], "F64")).unwrap();
        let err = load_model(&path).unwrap_err();
        assert_names_file(&err, &path);
        assert!(
            err.to_string().ends_with(&format!(
                "tensor 2.weight holds {shown} at element 1, expected finite numbers"
            )),
            "{err}"
        );
    }
}

#[test]
fn metadata_that_does_not_fit_the_tensors_is_refused_on_load() {
    let dir = TempDir::new("meta-vs-tensors");
    let path = dir.path().join("m.safetensors");
    let w = ("0.weight", Dtype::F32, vec![2, 3], f32_bytes(6));
    let b = ("0.bias", Dtype::F32, vec![2], f32_bytes(2));
    let cases = [
        // Fewer class names than outputs, and none at all.
        (r#""classes":["a"]"#, "1 class names for 2 outputs"),
        (r#""classes":[]"#, "0 class names for 2 outputs"),
        // Fewer standardisation means or deviations than inputs.
        (
            r#""standardize":{"mean":[0,0],"std":[1,1]}"#,
            "2 means and 2 deviations for 3 inputs",
        ),
        (
            r#""standardize":{"mean":[0,0,0],"std":[1]}"#,
            "3 means and 1 deviations for 3 inputs",
        ),
        // Layers that the tensors do not have.
        (
            r#""classes":null,"layers":[3,4,2]"#,
            "expected [4, 3] for --layers 3,4,2",
        ),
    ];
    for (field, want) in cases {
        let text = format!(
            r#"{{"layers":[3,2],"activation":"relu","bias":true,"loss":"cross-entropy","dtype":"F32",{field}}}"#
        );
        let text = text.replacen(
            r#""layers":[3,2],"#,
            "",
            usize::from(field.contains("layers")),
        );
        write_raw(
            &path,
            &[w.clone(), b.clone()],
            Some(HashMap::from([(META_KEY.into(), text)])),
        );
        let err = load_model(&path).unwrap_err();
        assert_names_file(&err, &path);
        assert!(err.to_string().contains(want), "{err} lacks {want}");
    }
}

/// A saved Adam checkpoint for `[3, 4, 2]` after one step, for corrupting.
fn adam_checkpoint() -> Checkpoint<f64> {
    let ps = params::<f64>(&[3, 4, 2], true);
    let mut optimizer = Optimizer::new(OptimConfig::new(OptimKind::Adam, 0.01));
    optimizer.steps = 1;
    optimizer.first = ps.iter().map(|(_, t)| Some(t.clone())).collect();
    optimizer.second = optimizer.first.clone();
    Checkpoint {
        params: ps,
        meta: meta(&[3, 4, 2], "F64"),
        optimizer,
        state: train_state(1),
    }
}

#[test]
fn checkpoint_optimizer_state_must_fit_the_parameters() {
    let dir = TempDir::new("ck-state");
    let path = dir.path().join("ck.safetensors");
    let check = |ck: &Checkpoint<f64>, want: &str| {
        save_checkpoint(&path, ck).unwrap();
        let err = load_checkpoint::<f64>(&path).unwrap_err();
        assert_names_file(&err, &path);
        assert!(err.to_string().contains(want), "{err} lacks {want}");
    };
    let mut ck = adam_checkpoint();
    ck.optimizer.second[2] = Some(Tensor::zeros(&[3]).unwrap());
    check(
        &ck,
        "tensor optim.state.2.weight.exp_avg_sq has shape [3], expected [2, 4]",
    );
    let mut ck = adam_checkpoint();
    ck.optimizer.first[1] = None;
    check(
        &ck,
        "missing tensor optim.state.0.bias.exp_avg: adam after 1 steps keeps exp_avg",
    );
    let mut ck = adam_checkpoint();
    ck.optimizer.steps = 0;
    check(&ck, "present, but the optimizer took no step");
    // Positional names of the format-1 checkpoints are not state of any parameter.
    let ck = adam_checkpoint();
    save_checkpoint(&path, &ck).unwrap();
    let file = load_model(&path).unwrap();
    let (_, metadata) = super::model::from_bytes(&path, &fs::read(&path).unwrap()).unwrap();
    let mut tensors: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = file
        .tensors
        .iter()
        .map(|(n, t)| {
            let t = t.to_f64();
            let bytes = t.data().iter().flat_map(|v| v.to_le_bytes()).collect();
            (n.clone(), Dtype::F64, t.dims().to_vec(), bytes)
        })
        .collect();
    tensors.push((
        "optim.optim.first.0".into(),
        Dtype::F64,
        vec![1],
        0f64.to_le_bytes().to_vec(),
    ));
    let views: Vec<_> = tensors
        .iter()
        .map(|(n, d, s, b)| (n.as_str(), *d, s.clone(), b.clone()))
        .collect();
    let refs: Vec<(&str, Dtype, Vec<usize>, Vec<u8>)> = views;
    write_raw(&path, &refs, metadata);
    let err = load_checkpoint::<f64>(&path).unwrap_err();
    assert!(
        err.to_string()
            .contains("unexpected tensor optim.optim.first.0"),
        "{err}"
    );
}

#[test]
fn checkpoint_state_errors_name_the_file() {
    let dir = TempDir::new("ck-epoch");
    let path = dir.path().join("ck.safetensors");
    let mut ck = adam_checkpoint();
    ck.state.epoch = u64::MAX;
    let err = save_checkpoint(&path, &ck).unwrap_err();
    assert!(
        err.to_string().contains("epoch 18446744073709551615"),
        "{err}"
    );
    // Written by hand: an epoch that would wrap, and a model file's missing state.
    save_model(&path, &ck.params, &ck.meta).unwrap();
    let err = load_checkpoint::<f64>(&path).unwrap_err();
    assert_names_file(&err, &path);
    assert!(
        err.to_string().contains("a model file, not a checkpoint"),
        "{err}"
    );
}

/// A module that is not an MLP: two branches summed.
mod any_module {
    use super::*;
    use crate::nn::{Init, Linear, Module, Params, Sequential, Visitor, VisitorMut};
    use crate::rng::NumpyRandom;
    use crate::tape::Var;

    struct TwoBranch {
        left: Linear<f64>,
        right: Sequential<f64>,
    }

    impl Module<f64> for TwoBranch {
        fn visit(&self, v: &mut Visitor<'_, f64>) {
            v.module("left", &self.left);
            v.module("right", &self.right);
        }
        fn visit_mut(&mut self, v: &mut VisitorMut<'_, f64>) {
            v.module("left", &mut self.left);
            v.module("right", &mut self.right);
        }
        fn forward<'t>(
            &self,
            x: Var<'t, f64>,
            p: &mut Params<'t, f64>,
        ) -> crate::Result<Var<'t, f64>> {
            self.left.forward(x, p)? + self.right.forward(x, p)?
        }
    }

    fn two_branch(seed: u32) -> TwoBranch {
        let mut rng = NumpyRandom::seed(seed);
        TwoBranch {
            left: Linear::new(3, 2, true, Init::Torch, &mut rng).unwrap(),
            right: Sequential::new()
                .layer(Linear::new(3, 5, true, Init::Torch, &mut rng).unwrap())
                .layer(crate::nn::Activation::Relu)
                .layer(Linear::new(5, 2, false, Init::Torch, &mut rng).unwrap()),
        }
    }

    fn bits(m: &TwoBranch) -> Vec<(String, Vec<u64>)> {
        m.named_parameters()
            .into_iter()
            .map(|(n, t)| (n, t.data().iter().map(|v| v.to_bits()).collect()))
            .collect()
    }

    #[test]
    fn any_module_round_trips_bit_for_bit() {
        let dir = TempDir::new("module");
        let path = dir.join("m.safetensors");
        let saved = two_branch(1);
        save_module(&path, &saved).unwrap();
        let mut back = two_branch(2);
        assert_ne!(bits(&back), bits(&saved));
        load_module(&path, &mut back).unwrap();
        assert_eq!(bits(&back), bits(&saved));
        let file = load_model(&path).unwrap();
        let names: Vec<&str> = file.tensors.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "left.bias",
                "left.weight",
                "right.0.bias",
                "right.0.weight",
                "right.2.weight"
            ]
        );
        assert_eq!(file.meta, None);
        // A model file of an MLP loads into any module with its names.
        let mlp = crate::nn::Mlp::<f32>::new(
            &[3, 4, 2],
            crate::nn::Activation::Relu,
            true,
            crate::nn::Init::Torch,
            0,
        )
        .unwrap();
        save_module(&path, &mlp).unwrap();
        let mut seq = Sequential::<f32>::from(
            crate::nn::Mlp::new(
                &[3, 4, 2],
                crate::nn::Activation::Relu,
                true,
                Init::Torch,
                9,
            )
            .unwrap(),
        );
        load_module(&path, &mut seq).unwrap();
        assert_eq!(seq.named_parameters(), mlp.named_params());
    }

    #[test]
    fn a_file_that_does_not_fit_names_the_tensor_and_changes_nothing() {
        let dir = TempDir::new("module-bad");
        let path = dir.join("m.safetensors");
        let mut m = two_branch(1);
        let before = bits(&m);
        let p = path.display();

        let mut other = two_branch(3);
        other.right = Sequential::new()
            .layer(Linear::new(3, 5, true, Init::Torch, &mut NumpyRandom::seed(0)).unwrap());
        save_module(&path, &other).unwrap();
        let err = load_module(&path, &mut m).unwrap_err().to_string();
        assert_eq!(
            err,
            format!("{p}: missing tensor right.2.weight, expected for the module")
        );

        let mut wider = two_branch(3);
        wider.left = Linear::new(3, 2, true, Init::Torch, &mut NumpyRandom::seed(0)).unwrap();
        wider.right = Sequential::new()
            .layer(Linear::new(3, 6, true, Init::Torch, &mut NumpyRandom::seed(0)).unwrap())
            .layer(crate::nn::Activation::Relu)
            .layer(Linear::new(6, 2, false, Init::Torch, &mut NumpyRandom::seed(0)).unwrap());
        save_module(&path, &wider).unwrap();
        let err = load_module(&path, &mut m).unwrap_err().to_string();
        assert_eq!(
            err,
            format!("{p}: tensor right.0.weight has shape [6, 3], expected [5, 3] for the module")
        );

        let mut extra = two_branch(4);
        extra.right.push(crate::nn::Activation::Relu);
        extra
            .right
            .push(Linear::new(2, 2, true, Init::Torch, &mut NumpyRandom::seed(0)).unwrap());
        save_module(&path, &extra).unwrap();
        let err = load_module(&path, &mut m).unwrap_err().to_string();
        assert_eq!(
            err,
            format!("{p}: unexpected tensor right.4.bias for the module")
        );
        assert_eq!(bits(&m), before);
    }
}

/// The optimiser's state, keyed by name, survives a checkpoint: training on
/// after a save and load gives the bits of training on without one.
#[test]
fn named_optimizer_state_survives_a_checkpoint() {
    use crate::nn::{Activation, Init, Loss, Mlp, Module, Params};
    use crate::tape::Tape;
    let dir = TempDir::new("named-state");
    let path = dir.join("ck.safetensors");
    let x = Tensor::from_rows(&[[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]]).unwrap();
    let y = [0usize, 1, 1];
    let step = |mlp: &mut Mlp<f64>, opt: &mut Optimizer<f64>| {
        let tape = Tape::new();
        let mut p = Params::new(&tape);
        let logits = Module::forward(&*mlp, tape.constant(&x), &mut p).unwrap();
        let loss = Mlp::loss(logits, tape.labels(&y), Loss::CrossEntropy).unwrap();
        opt.backward_step(mlp, &p, loss).unwrap();
    };
    let mut mlp = Mlp::<f64>::new(&[2, 4, 2], Activation::Relu, true, Init::Torch, 0).unwrap();
    let mut opt = Optimizer::new(OptimConfig::new(OptimKind::Adam, 0.01));
    for _ in 0..3 {
        step(&mut mlp, &mut opt);
    }
    let ck = Checkpoint {
        params: mlp.named_params(),
        meta: meta(&[2, 4, 2], "F64"),
        optimizer: opt.clone(),
        state: train_state(1),
    };
    save_checkpoint(&path, &ck).unwrap();
    let back = load_checkpoint::<f64>(&path).unwrap();
    assert_eq!(back.optimizer.names, opt.names);
    for name in &opt.names {
        for slot in ["exp_avg", "exp_avg_sq"] {
            assert_eq!(back.optimizer.state(name, slot), opt.state(name, slot));
        }
    }
    let mut resumed = Mlp::from_params(back.params, Activation::Relu, true);
    let mut resumed_opt = back.optimizer;
    for _ in 0..2 {
        step(&mut mlp, &mut opt);
        step(&mut resumed, &mut resumed_opt);
    }
    assert_eq!(bits(&resumed.named_params()), bits(&mlp.named_params()));
}
