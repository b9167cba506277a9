//! A checkpoint's bytes, through the loader `train --resume` uses.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let path = Path::new("fuzz.safetensors");
    let _ = backprop::io::checkpoint_from_bytes::<f32>(path, bytes);
    let _ = backprop::io::checkpoint_from_bytes::<f64>(path, bytes);
});
