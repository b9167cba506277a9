//! Replays the fuzz targets' inputs on stable Rust: every seed in
//! `fuzz/seeds/<target>/` (valid files: they must load) and every crash the
//! fuzzer ever found, kept in `fuzz/regressions/<target>/` (they must give
//! an error or a value, never a panic). The targets call the same functions,
//! see `fuzz/fuzz_targets/` and `fuzz/README.md`.

use std::fs;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The files under `fuzz/<kind>/<target>/`, sorted (none if the folder is absent).
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = Path::new(ROOT).join("fuzz").join(kind).join(target);
    let mut files: Vec<PathBuf> = match fs::read_dir(&dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

/// Runs `load` on every seed (which must succeed) and regression (which must not panic).
fn replay<E: std::fmt::Display>(target: &str, load: impl Fn(&[u8]) -> Result<(), E>) {
    let seeds = inputs("seeds", target);
    assert!(!seeds.is_empty(), "no seeds for {target}");
    for path in seeds {
        if let Err(e) = load(&fs::read(&path).unwrap()) {
            panic!("seed {} does not load: {e}", path.display());
        }
    }
    for path in inputs("regressions", target) {
        let _ = load(&fs::read(&path).unwrap());
    }
}

#[test]
fn model_inputs() {
    replay("model", |bytes| {
        let path = Path::new("fuzz.safetensors");
        let file = backprop::io::ModelFile::from_bytes(path, bytes)?;
        if let Some(meta) = &file.meta {
            backprop::io::mlp_params::<f32>(&file, &meta.layers, meta.bias, path)?;
        }
        Ok::<_, backprop::io::IoError>(())
    });
}

#[test]
fn checkpoint_inputs() {
    replay("checkpoint", |bytes| {
        let path = Path::new("fuzz.safetensors");
        let f32s = backprop::io::checkpoint_from_bytes::<f32>(path, bytes)?;
        let f64s = backprop::io::checkpoint_from_bytes::<f64>(path, bytes)?;
        assert_eq!(f32s.state, f64s.state);
        Ok::<_, backprop::io::IoError>(())
    });
}

#[test]
fn metadata_inputs() {
    replay("metadata", |bytes| {
        let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
        let meta = backprop::io::meta_from_text(Path::new("fuzz.json"), text)
            .map_err(|e| e.to_string())?;
        assert!(meta.layers.len() >= 2);
        Ok::<_, String>(())
    });
}

/// The CSV targets' load: class targets, then value targets in [0, 1] (as for
/// `bce`); a seed must load one way or the other.
fn csv_load(name: &str, bytes: &[u8]) -> Result<(), String> {
    use backprop::data::{Dataset, LoadOptions, TargetKind};
    let values = LoadOptions {
        target: TargetKind::Values { k: 1 },
        unit_targets: true,
        ..LoadOptions::default()
    };
    let path = Path::new(name);
    let classes = Dataset::from_bytes(path, bytes.to_vec(), &LoadOptions::default());
    let values = Dataset::from_bytes(path, bytes.to_vec(), &values);
    match (classes, values) {
        (Ok(d), _) | (_, Ok(d)) if d.n > 0 => Ok(()),
        (Err(e), _) => Err(e.to_string()),
        _ => Err("no rows".into()),
    }
}

#[test]
fn csv_inputs() {
    replay("csv", |bytes| csv_load("fuzz.csv", bytes));
}

#[test]
fn csv_gz_inputs() {
    replay("csv_gz", |bytes| csv_load("fuzz.csv.gz", bytes));
}

/// A valid label file of 4 labels, and a valid image file of 4 2×2 images (as the IDX targets use).
const LABELS: [u8; 12] = [0, 0, 8, 1, 0, 0, 0, 4, 3, 1, 4, 1];

fn images() -> Vec<u8> {
    let mut images = vec![0, 0, 8, 3, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 2];
    images.extend(0..16u8);
    images
}

fn idx_load(images: Vec<u8>, labels: Vec<u8>) -> Result<(), String> {
    let opts = backprop::data::LoadOptions::default();
    let names = ("fuzz-images-idx3-ubyte", "fuzz-labels-idx1-ubyte");
    let d = backprop::data::Dataset::from_idx_bytes(names.0, images, names.1, labels, &opts)
        .map_err(|e| e.to_string())?;
    assert_eq!((d.n, d.dim()), (4, 4));
    Ok(())
}

#[test]
fn idx_images_inputs() {
    replay("idx_images", |bytes| {
        idx_load(bytes.to_vec(), LABELS.to_vec())
    });
}

#[test]
fn idx_labels_inputs() {
    replay("idx_labels", |bytes| idx_load(images(), bytes.to_vec()));
}
