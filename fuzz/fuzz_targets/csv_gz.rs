//! A gzipped CSV file's bytes (mutated from gzip seeds), through the loader `train`/`eval`/`predict --data` use,
//! with class targets and with value targets (as for `bce`).
#![no_main]

use std::path::Path;

use backprop::data::{Dataset, LoadOptions, TargetKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let path = Path::new("fuzz.csv.gz");
    let classes = LoadOptions::default();
    let values = LoadOptions {
        target: TargetKind::Values { k: 1 },
        unit_targets: true,
        ..LoadOptions::default()
    };
    for opts in [classes, values] {
        let _ = Dataset::from_bytes(path, bytes.to_vec(), &opts);
    }
});
