//! [`fingerprint`]: the SHA-256 of a data set's parsed values, so that a model
//! or checkpoint can name the data it was trained on.

use sha2::{Digest, Sha256};

use super::{Dataset, Features, Targets};

/// The SHA-256 (lowercase hex) of the parsed features and targets, as
/// little-endian `f64`s in row order: for each row, its features (IDX pixels
/// as `byte / 255`), then its target — the class index, or the `k` values.
///
/// Taken before any split or standardisation, it is stored in model and
/// checkpoint metadata as `data_fingerprint`: the same numbers give the same
/// fingerprint whatever file, format or compression they came from.
///
/// ```
/// use backprop::data::{fingerprint, Dataset, LoadOptions};
/// let a = Dataset::load("xor", &LoadOptions::default()).unwrap();
/// let b = Dataset::load("xor", &LoadOptions::default()).unwrap();
/// assert_eq!(fingerprint(&a), fingerprint(&b));
/// assert_eq!(fingerprint(&a).len(), 64);
/// ```
pub fn fingerprint(ds: &Dataset) -> String {
    let dim = ds.dim();
    let mut h = Sha256::new();
    let mut put = |v: f64| h.update(v.to_le_bytes());
    for r in 0..ds.n {
        match &ds.features {
            Features::F64 { data, .. } => data[r * dim..(r + 1) * dim].iter().for_each(|&v| put(v)),
            Features::Bytes { data, .. } => data[r * dim..(r + 1) * dim]
                .iter()
                .for_each(|&b| put(f64::from(b) / 255.0)),
        }
        match &ds.targets {
            Targets::Classes { labels, .. } => put(f64::from(labels[r])),
            Targets::Values { data, k } => data[r * k..(r + 1) * k].iter().for_each(|&v| put(v)),
        }
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
