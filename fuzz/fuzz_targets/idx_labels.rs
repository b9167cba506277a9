//! An MNIST IDX label file's bytes, beside a valid image file of 4 2×2 images.
#![no_main]

use backprop::data::{Dataset, LoadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let mut images = vec![0, 0, 8, 3, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 2];
    images.extend(0..16u8);
    let opts = LoadOptions::default();
    let _ = Dataset::from_idx_bytes("fuzz-images-idx3-ubyte", images, "fuzz-labels-idx1-ubyte", bytes.to_vec(), &opts);
});
