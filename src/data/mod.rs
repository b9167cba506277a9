//! Data sets: CSV and MNIST IDX files, generated 2-D sets, splits,
//! standardisation and mini-batches.
//!
//! [`Dataset::load`] takes the `--data` SPEC: a path naming anything that
//! exists and is not a directory is read as a file (so a pipe works); a SPEC
//! that does not exist is one of the generated sets `xor`, `moons`,
//! `circles`, `spirals`, `blobs` (see [`generated`]); anything else is an error.
//!
//! Memory is bounded: every buffer whose size comes from the input or the
//! options is sized with checked arithmetic and reserved fallibly before it
//! is filled ([`DataError::Alloc`] instead of an abort), a gzip file inflates
//! to at most [`LoadOptions::max_inflate`] bytes and a data set has at most
//! [`LoadOptions::max_classes`] classes ([`DataError::Limit`]).
//!
//! * **CSV** (plain or gzip, detected by the magic bytes `1f 8b`): numeric
//!   features, then the target in the last column — a class for
//!   [`TargetKind::Class`] (integer labels 0..C−1 are indices, other labels
//!   are numbered in sorted order and keep their names), or the last `k`
//!   columns as numbers for [`TargetKind::Values`]. A header row is detected
//!   (see [`csv`]).
//! * **IDX** (plain or gzip): `X-images-idx3-ubyte[.gz]` with
//!   `X-labels-idx1-ubyte[.gz]` beside it; pixels stay bytes (value =
//!   byte/255) and are converted per batch (see [`idx`]).
//!
//! Defaults ([`LoadOptions::default`]): classification targets,
//! [`DEFAULT_SAMPLES`] = 200 samples, [`DEFAULT_NOISE`] = 0.1 noise, seed 0.
//!
//! A training step reads a batch with [`Dataset::gather_features`] and
//! [`Dataset::gather_labels`] / [`Dataset::gather_targets`] into buffers it
//! keeps; the row order of each epoch comes from [`epoch_order`] and is cut
//! by [`batches`].
//!
//! ```
//! use backprop::data::{batches, epoch_order, Dataset, LoadOptions, Standardizer};
//! let ds = Dataset::load("moons", &LoadOptions::default()).unwrap();
//! let (train, test) = ds.split_tail(0.25);
//! assert_eq!((train.n, test.unwrap().n), (150, 50));
//! let std = Standardizer::fit(&train);
//! let (mut order, mut x, mut y) = (Vec::new(), vec![0f32; 32 * train.dim()], Vec::new());
//! epoch_order(train.n, 42, 0, true, &mut order);
//! for batch in batches(&order, 32) {
//!     let x = &mut x[..batch.len() * train.dim()];
//!     train.gather_features(batch, Some(&std), x);
//!     train.gather_labels(batch, &mut y);
//! }
//! ```

mod batch;
pub mod csv;
mod error;
mod fingerprint;
pub mod generated;
pub mod idx;
mod labels;
mod source;
mod standardize;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::Path;

use crate::float::Float;

pub use batch::{batches, epoch_order};
pub use error::DataError;
pub use fingerprint::fingerprint;
pub use generated::{is_generated, GENERATED_SETS, MAX_NOISE};
pub use source::{gunzip, is_gzip, read_file, read_maybe_gz};
pub use standardize::Standardizer;

/// The default number of points of a generated set (`--samples`).
pub const DEFAULT_SAMPLES: usize = 200;
/// The default noise of a generated set (`--noise`): the standard deviation of
/// Gaussian noise added to each coordinate.
pub const DEFAULT_NOISE: f64 = 0.1;

/// The default limit on a gzip file's inflated size, in MiB
/// (`--max-inflate-mib`; [`LoadOptions::max_inflate`] holds it in bytes): a
/// small `.gz` that inflates past it is an error, not an exhausted memory.
pub const DEFAULT_MAX_INFLATE_MIB: u64 = 1024;
/// The default limit on the number of classes of a data set (`--max-classes`,
/// [`LoadOptions::max_classes`]): the confusion matrix and the output layer
/// grow with it (the matrix as its square).
pub const DEFAULT_MAX_CLASSES: usize = 1000;

/// The feature matrix, row-major, `n × dim`.
#[derive(Debug, Clone, PartialEq)]
pub enum Features {
    /// Values as `f64` (CSV files, generated sets), so that `--dtype f64`
    /// trains on the numbers exactly as written.
    F64 {
        /// `n · dim` values, row-major.
        data: Vec<f64>,
        /// Features per row.
        dim: usize,
    },
    /// Bytes whose value is `byte / 255` (IDX images), converted per batch.
    Bytes {
        /// `n · dim` bytes, row-major.
        data: Vec<u8>,
        /// Features (pixels) per row.
        dim: usize,
    },
}

/// The targets of a data set.
#[derive(Debug, Clone, PartialEq)]
pub enum Targets {
    /// One class index per row, and the class names (index `i` is `names[i]`).
    Classes {
        /// `n` class indices, each `< names.len()`.
        labels: Vec<u32>,
        /// The class names.
        names: Vec<String>,
    },
    /// `k` numbers per row (regression), row-major.
    Values {
        /// `n · k` values, row-major.
        data: Vec<f64>,
        /// Targets per row.
        k: usize,
    },
}

/// What the target columns are, chosen by the loss: classes for
/// cross-entropy, numbers for `mse`/`bce`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// The last column is a class label.
    Class,
    /// The last `k` columns are numbers (`--targets K`, default 1); `k = 0`
    /// reads a CSV file as features only (data to predict on).
    Values {
        /// How many trailing columns are targets.
        k: usize,
    },
}

/// A loaded or generated data set.
#[derive(Clone, PartialEq)]
pub struct Dataset {
    /// The feature matrix.
    pub features: Features,
    /// The targets, one (class) or `k` (values) per row.
    pub targets: Targets,
    /// The number of rows.
    pub n: usize,
    /// Where it came from: the file path or the generated set's name, as given.
    pub source: String,
}

/// How to load a SPEC.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadOptions {
    /// What the target columns are.
    pub target: TargetKind,
    /// Points of a generated set (ignored for files).
    pub samples: usize,
    /// Standard deviation of the Gaussian noise of a generated set (ignored for files).
    pub noise: f64,
    /// Seed of a generated set (ignored for files).
    pub seed: u64,
    /// The training set's class names: labels are mapped to these indices and
    /// a label not among them is an error (eval/predict, `--test-data`).
    pub class_names: Option<Vec<String>>,
    /// The most bytes a gzip file may inflate to (`--max-inflate-mib`, default
    /// [`DEFAULT_MAX_INFLATE_MIB`] MiB); past it loading is [`DataError::Limit`].
    pub max_inflate: u64,
    /// The most classes a data set may have (`--max-classes`, default
    /// [`DEFAULT_MAX_CLASSES`]): distinct CSV labels, or the largest integer
    /// label + 1 (CSV index labels, IDX labels); past it loading is [`DataError::Limit`].
    pub max_classes: usize,
    /// Whether regression targets must lie in `[0, 1]` (the `bce` loss): a
    /// CSV target outside is an error naming the file, line and value.
    pub unit_targets: bool,
}

impl Default for LoadOptions {
    /// Classes, [`DEFAULT_SAMPLES`], [`DEFAULT_NOISE`], seed 0, no class
    /// names, [`DEFAULT_MAX_INFLATE_MIB`], [`DEFAULT_MAX_CLASSES`], targets unbounded.
    fn default() -> Self {
        LoadOptions {
            target: TargetKind::Class,
            samples: DEFAULT_SAMPLES,
            noise: DEFAULT_NOISE,
            seed: 0,
            class_names: None,
            max_inflate: DEFAULT_MAX_INFLATE_MIB << 20,
            max_classes: DEFAULT_MAX_CLASSES,
            unit_targets: false,
        }
    }
}

impl fmt::Debug for Dataset {
    /// A summary (source, size, targets), not the data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let targets = match &self.targets {
            Targets::Classes { names, .. } => format!("{} classes", names.len()),
            Targets::Values { k, .. } => format!("{k} target values"),
        };
        write!(
            f,
            "Dataset({}: {} rows × {} features, {targets})",
            self.source,
            self.n,
            self.dim()
        )
    }
}

impl Dataset {
    /// Loads a SPEC: anything that exists and is not a directory is read as a
    /// file (CSV or IDX, plain or gzip; a pipe such as `<(zcat x.csv.gz)` or a
    /// device is read as CSV); a directory is [`DataError::File`]; a SPEC
    /// that does not exist is a generated set's name or [`DataError::UnknownSpec`].
    pub fn load(spec: &str, opts: &LoadOptions) -> Result<Dataset, DataError> {
        let path = Path::new(spec);
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => Err(DataError::file(
                spec,
                "is a directory, expected a CSV or IDX file",
            )),
            Ok(m) if m.is_file() => Self::load_file(path, opts),
            // A pipe or a device: read as CSV (plain or gzip).
            Ok(_) => Self::parse_csv(spec, &read_maybe_gz(path, opts.max_inflate)?, opts),
            Err(_) if is_generated(spec) => Self::generate(spec, opts),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                Err(DataError::UnknownSpec {
                    spec: spec.to_string(),
                })
            }
            Err(source) => Err(DataError::Io {
                path: spec.to_string(),
                what: "cannot read",
                source,
            }),
        }
    }

    /// Loads a CSV or IDX file (gzip detected by its magic bytes), inflating
    /// at most [`LoadOptions::max_inflate`] bytes.
    pub fn load_file(path: &Path, opts: &LoadOptions) -> Result<Dataset, DataError> {
        Self::from_bytes(path, source::read_file(path)?, opts)
    }

    /// The data set in the bytes of a file named `path` (what
    /// [`load_file`](Self::load_file) does once the file is read): gzip is
    /// inflated within `opts.max_inflate`; IDX images (by name or by their
    /// leading zero bytes) take their labels from the file beside `path`;
    /// anything else is CSV. Any bytes give a data set or an error, never a
    /// panic: the entry point of the CSV fuzz targets.
    pub fn from_bytes(path: &Path, raw: Vec<u8>, opts: &LoadOptions) -> Result<Dataset, DataError> {
        let name = path.display().to_string();
        let bytes = source::gunzip(&name, raw, opts.max_inflate)?;
        if idx::looks_like_idx(path, &bytes) {
            idx::load(path, bytes, opts)
        } else {
            csv::parse(&name, &bytes, opts)
        }
    }

    /// An IDX image file's and label file's bytes (each plain or gzip), named
    /// `images_name` and `labels_name` in messages: what loading an IDX file
    /// does once both are read, and the entry point of the IDX fuzz targets.
    pub fn from_idx_bytes(
        images_name: &str,
        images: Vec<u8>,
        labels_name: &str,
        labels: Vec<u8>,
        opts: &LoadOptions,
    ) -> Result<Dataset, DataError> {
        let images = source::gunzip(images_name, images, opts.max_inflate)?;
        idx::from_parts(images_name, images, opts, || {
            let labels = source::gunzip(labels_name, labels, opts.max_inflate)?;
            Ok((labels_name.to_string(), labels))
        })
    }

    /// Parses CSV text (plain or already gunzipped, as [`read_maybe_gz`]
    /// gives it) read from `name` (used in messages): the way to load a pipe
    /// more than once, e.g. with targets and then as features only.
    pub fn parse_csv(name: &str, bytes: &[u8], opts: &LoadOptions) -> Result<Dataset, DataError> {
        csv::parse(name, bytes, opts)
    }

    /// Generates the set `name` (one of [`GENERATED_SETS`]) with the options'
    /// samples, noise and seed. With [`TargetKind::Values`] `{ k: 1 }` the 0/1
    /// class is the target value (for `bce`/`mse`).
    pub fn generate(name: &str, opts: &LoadOptions) -> Result<Dataset, DataError> {
        let p = generated::generate(name, opts.samples, opts.noise, opts.seed)?;
        let n = p.labels.len();
        let targets = match opts.target {
            TargetKind::Class => generated_classes(name, p.labels, opts)?,
            TargetKind::Values { k: 1 } => {
                let mut data = source::try_vec(n, name, "target values (--samples)")?;
                data.extend(p.labels.iter().map(|&l| f64::from(l)));
                Targets::Values { data, k: 1 }
            }
            TargetKind::Values { k } => {
                return Err(DataError::options(
                    name,
                    format!("expected 1 target (the 0/1 class), got targets {k}"),
                ))
            }
        };
        Ok(Dataset {
            features: Features::F64 { data: p.xy, dim: 2 },
            targets,
            n,
            source: name.to_string(),
        })
    }

    /// The number of features per row.
    pub fn dim(&self) -> usize {
        match self.features {
            Features::F64 { dim, .. } | Features::Bytes { dim, .. } => dim,
        }
    }

    /// The class names, for a classification set.
    pub fn classes(&self) -> Option<&[String]> {
        match &self.targets {
            Targets::Classes { names, .. } => Some(names),
            Targets::Values { .. } => None,
        }
    }

    /// The width of one row's target: the class count (one-hot) or `k`.
    pub fn target_width(&self) -> usize {
        match &self.targets {
            Targets::Classes { names, .. } => names.len(),
            Targets::Values { k, .. } => *k,
        }
    }

    /// Splits off the last ⌊fraction·n⌋ rows as the test set (`None` if that
    /// is 0 rows). Take it before any shuffling; a fraction ≤ 0 or NaN keeps
    /// every row for training, one ≥ 1 moves every row to the test set.
    pub fn split_tail(mut self, fraction: f64) -> (Dataset, Option<Dataset>) {
        let n_test = tail_rows(self.n, fraction);
        if n_test == 0 {
            return (self, None);
        }
        let keep = self.n - n_test;
        let features = match &mut self.features {
            Features::F64 { data, dim } => Features::F64 {
                data: data.split_off(keep * *dim),
                dim: *dim,
            },
            Features::Bytes { data, dim } => Features::Bytes {
                data: data.split_off(keep * *dim),
                dim: *dim,
            },
        };
        let targets = match &mut self.targets {
            Targets::Classes { labels, names } => Targets::Classes {
                labels: labels.split_off(keep),
                names: names.clone(),
            },
            Targets::Values { data, k } => Targets::Values {
                data: data.split_off(keep * *k),
                k: *k,
            },
        };
        self.n = keep;
        let test = Dataset {
            features,
            targets,
            n: n_test,
            source: self.source.clone(),
        };
        (self, Some(test))
    }

    /// Writes rows `idx` into `x` (`idx.len() · dim`, row-major) converting to
    /// `T` and applying `std` if given. Does not allocate.
    ///
    /// Panics if `x.len() != idx.len() · dim()`, a row index is `≥ n`, or `std`
    /// has fewer columns than the set.
    pub fn gather_features<T: Float>(
        &self,
        idx: &[usize],
        std: Option<&Standardizer>,
        x: &mut [T],
    ) {
        let dim = self.dim();
        assert_eq!(x.len(), idx.len() * dim, "gather_features: buffer length");
        if dim == 0 {
            return;
        }
        // Bytes scale as byte/255, looked up for each of the 256 bytes (in `T`
        // when nothing follows, so no conversion per element: the same values).
        match (&self.features, std) {
            (Features::F64 { data, .. }, None) => {
                gather_rows(data, dim, idx, x, |_, &v| T::from_f64(v))
            }
            (Features::F64 { data, .. }, Some(s)) => {
                gather_rows(data, dim, idx, x, |j, &v| T::from_f64(s.apply(j, v)))
            }
            (Features::Bytes { data, .. }, None) => {
                let scaled: [T; 256] = std::array::from_fn(|b| T::from_f64(b as f64 / 255.0));
                gather_rows(data, dim, idx, x, |_, &b| scaled[usize::from(b)])
            }
            (Features::Bytes { data, .. }, Some(s)) => {
                let scaled: [f64; 256] = std::array::from_fn(|b| b as f64 / 255.0);
                gather_rows(data, dim, idx, x, |j, &b| {
                    T::from_f64(s.apply(j, scaled[usize::from(b)]))
                })
            }
        }
    }

    /// The class labels of rows `idx` into `out` (cleared first). A regression
    /// set leaves `out` empty. Does not allocate once `out` has room.
    pub fn gather_labels(&self, idx: &[usize], out: &mut Vec<usize>) {
        out.clear();
        if let Targets::Classes { labels, .. } = &self.targets {
            out.extend(idx.iter().map(|&r| labels[r] as usize));
        }
    }

    /// The targets of rows `idx` into `y` (`idx.len() · target_width()`,
    /// row-major): the `k` values of a regression set, or the one-hot rows of
    /// a classification set. Does not allocate.
    ///
    /// Panics if `y.len() != idx.len() · target_width()` or a row index is `≥ n`.
    pub fn gather_targets<T: Float>(&self, idx: &[usize], y: &mut [T]) {
        let w = self.target_width();
        assert_eq!(y.len(), idx.len() * w, "gather_targets: buffer length");
        if w == 0 {
            return;
        }
        for (out, &r) in y.chunks_exact_mut(w).zip(idx) {
            match &self.targets {
                Targets::Values { data, .. } => {
                    for (o, &v) in out.iter_mut().zip(&data[r * w..(r + 1) * w]) {
                        *o = T::from_f64(v);
                    }
                }
                Targets::Classes { labels, .. } => {
                    out.fill(T::zero());
                    out[labels[r] as usize] = T::one();
                }
            }
        }
    }

    /// The smallest and largest value of feature `col` (as the model sees it,
    /// before standardisation); `(0, 0)` for an empty set or a column `≥ dim`.
    pub fn feature_range(&self, col: usize) -> (f64, f64) {
        if col >= self.dim() || self.n == 0 {
            return (0.0, 0.0);
        }
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        self.for_each_value(|j, v| {
            if j == col {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        });
        (lo, hi)
    }

    /// Calls `f(col, value)` for every feature value, row by row.
    pub(crate) fn for_each_value(&self, mut f: impl FnMut(usize, f64)) {
        let dim = self.dim().max(1);
        match &self.features {
            Features::F64 { data, .. } => {
                for (i, &v) in data.iter().enumerate() {
                    f(i % dim, v);
                }
            }
            Features::Bytes { data, .. } => {
                for (i, &b) in data.iter().enumerate() {
                    f(i % dim, f64::from(b) / 255.0);
                }
            }
        }
    }
}

/// The number of tail rows a test fraction takes: ⌊fraction·n⌋, within `0..=n`.
fn tail_rows(n: usize, fraction: f64) -> usize {
    if fraction > 0.0 {
        ((fraction * n as f64).floor() as usize).min(n)
    } else {
        0
    }
}

/// Copies rows `idx` of a row-major `data` into `x`, converting each value with `value`.
fn gather_rows<S, T: Float>(
    data: &[S],
    dim: usize,
    idx: &[usize],
    x: &mut [T],
    value: impl Fn(usize, &S) -> T,
) {
    for (out, &r) in x.chunks_exact_mut(dim).zip(idx) {
        let row = &data[r * dim..(r + 1) * dim];
        for (j, (o, v)) in out.iter_mut().zip(row).enumerate() {
            *o = value(j, v);
        }
    }
}

/// The class targets of a generated set: names "0" and "1", or the given names.
fn generated_classes(
    name: &str,
    mut labels: Vec<u32>,
    opts: &LoadOptions,
) -> Result<Targets, DataError> {
    let own = labels::index_names(2);
    let names = match &opts.class_names {
        None => own,
        Some(names) => {
            labels::remap(&mut labels, &own, names)
                .map_err(|u| DataError::options(name, labels::unseen_message(&u.label, names)))?;
            names.clone()
        }
    };
    Ok(Targets::Classes { labels, names })
}
