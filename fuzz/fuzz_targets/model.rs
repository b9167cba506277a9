//! A model file's bytes, through the loader `eval`/`predict`/`--init-from` use.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(file) = backprop::io::ModelFile::from_bytes(Path::new("fuzz.safetensors"), bytes) {
        if let Some(meta) = &file.meta {
            let path = Path::new("fuzz.safetensors");
            let _ = backprop::io::mlp_params::<f32>(&file, &meta.layers, meta.bias, path);
        }
    }
});
