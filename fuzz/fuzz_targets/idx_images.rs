//! An MNIST IDX image file's bytes, beside a valid label file of 4 labels.
#![no_main]

use backprop::data::{Dataset, LoadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let labels = [0, 0, 8, 1, 0, 0, 0, 4, 3, 1, 4, 1].to_vec();
    let opts = LoadOptions::default();
    let _ = Dataset::from_idx_bytes("fuzz-images-idx3-ubyte", bytes.to_vec(), "fuzz-labels-idx1-ubyte", labels, &opts);
});
