//! The JSON a model file keeps under `__metadata__["backprop"]`.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = backprop::io::meta_from_text(Path::new("fuzz.safetensors"), text);
    }
});
