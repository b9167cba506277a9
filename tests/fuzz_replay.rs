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
