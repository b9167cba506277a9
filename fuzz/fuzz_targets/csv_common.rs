//! What the two CSV targets run: the loader with class targets, then with
//! value targets in [0, 1] (as for `bce`).

use std::path::Path;

use backprop::data::{Dataset, LoadOptions, TargetKind};

/// Loads `bytes` as the file `name` both ways; any result but a panic is fine.
pub fn load(name: &str, bytes: &[u8]) {
    let classes = LoadOptions::default();
    let values = LoadOptions {
        target: TargetKind::Values { k: 1 },
        unit_targets: true,
        ..LoadOptions::default()
    };
    for opts in [classes, values] {
        let _ = Dataset::from_bytes(Path::new(name), bytes.to_vec(), &opts);
    }
}
