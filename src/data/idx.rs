//! MNIST IDX files: `…images-idx3-ubyte[.gz]` with `…labels-idx1-ubyte[.gz]` beside it.
//!
//! An image file is big-endian magic 2051, count, rows, cols, then one byte
//! per pixel; a label file is magic 2049, count, then one byte per label.
//! Pixels stay bytes in memory ([`Features::Bytes`], value = byte/255) and are
//! converted per batch. Labels are class indices; the class names are `"0"` …
//! `"9"` (or up to the largest label, for IDX sets with more classes).

use std::path::{Path, PathBuf};

use super::error::DataError;
use super::labels::{index_names, remap, unseen_message};
use super::source::{read_maybe_gz, try_vec};
use super::{Dataset, Features, LoadOptions, TargetKind, Targets};

/// The magic number of an unsigned-byte, 3-dimensional IDX file (images).
pub const IMAGES_MAGIC: u32 = 2051;
/// The magic number of an unsigned-byte, 1-dimensional IDX file (labels).
pub const LABELS_MAGIC: u32 = 2049;

/// The part of an image file's name that the label file's name replaces.
const IMAGES_TAG: &str = "images-idx3";
/// What replaces [`IMAGES_TAG`] in the label file's name.
const LABELS_TAG: &str = "labels-idx1";

/// Whether a file looks like IDX: its name says so, or it starts with two zero
/// bytes (as every IDX magic does, and no CSV text does).
pub(crate) fn looks_like_idx(path: &Path, bytes: &[u8]) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.contains("-idx") || bytes.starts_with(&[0, 0])
}

/// Loads an IDX image file (already read and gunzipped) and its label file.
pub(crate) fn load(path: &Path, bytes: Vec<u8>, opts: &LoadOptions) -> Result<Dataset, DataError> {
    let name = path.display().to_string();
    from_parts(&name, bytes, opts, || {
        let labels_path = find_labels(path)?;
        let labels = read_maybe_gz(&labels_path, opts.max_inflate)?;
        Ok((labels_path.display().to_string(), labels))
    })
}

/// IDX labels are classes: a loss that wants values is an error naming `name`.
fn check_target(name: &str, opts: &LoadOptions) -> Result<(), DataError> {
    match opts.target {
        TargetKind::Class => Ok(()),
        TargetKind::Values { .. } => Err(DataError::file(
            name,
            "expected a classification loss (cross-entropy): IDX labels are classes, not values",
        )),
    }
}

/// An image file's contents (already gunzipped, named `name` in messages)
/// and, once the images are found valid, the label file's name and contents
/// from `labels`.
pub(crate) fn from_parts(
    name: &str,
    images: Vec<u8>,
    opts: &LoadOptions,
    labels: impl FnOnce() -> Result<(String, Vec<u8>), DataError>,
) -> Result<Dataset, DataError> {
    check_target(name, opts)?;
    let (pixels, count, dim) = parse_images(name, images)?;
    let (labels_name, labels) = labels()?;
    let name = name.to_string();
    let mut labels = parse_labels(&labels_name, labels, count, &name)?;
    // Classes 0..=max label (at least the 10 digits, within the limit).
    let (at, max) = labels
        .iter()
        .enumerate()
        .max_by_key(|&(i, &l)| (l, std::cmp::Reverse(i)))
        .map_or((0, 0), |(i, &l)| (i, l as usize));
    if !labels.is_empty() && max + 1 > opts.max_classes {
        return Err(DataError::Limit {
            place: labels_name,
            what: format!(
                "label record {}: label {max} asks for {} classes",
                at + 1,
                max + 1
            ),
            limit: format!("{} classes", opts.max_classes),
            flag: "--max-classes",
        });
    }
    let own = index_names((max + 1).max(10).min(opts.max_classes.max(max + 1)));
    let names = match &opts.class_names {
        None => own,
        Some(names) => {
            remap(&mut labels, &own, names).map_err(|u| {
                let msg = unseen_message(&u.label, names);
                DataError::file(&labels_name, format!("label record {}: {msg}", u.at + 1))
            })?;
            names.clone()
        }
    };
    Ok(Dataset {
        features: Features::Bytes { data: pixels, dim },
        targets: Targets::Classes { labels, names },
        n: count,
        source: name,
    })
}

/// The big-endian `u32` at `at`, if the bytes are there.
fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
    Some(u32::from_be_bytes(b))
}

/// An IDX header of `words` big-endian words, the first being `magic`.
fn header(
    name: &str,
    bytes: &[u8],
    words: usize,
    magic: u32,
    what: &str,
) -> Result<Vec<usize>, DataError> {
    if bytes.len() < 4 * words {
        return Err(DataError::file(
            name,
            format!(
                "expected a {}-byte IDX {what} header, got a {}-byte file",
                4 * words,
                bytes.len()
            ),
        ));
    }
    let h: Vec<u32> = (0..words).filter_map(|i| be_u32(bytes, 4 * i)).collect();
    if h[0] != magic {
        return Err(DataError::file(
            name,
            format!("expected IDX magic {magic} ({what}), got {}", h[0]),
        ));
    }
    Ok(h[1..].iter().map(|&w| w as usize).collect())
}

/// The pixels of an image file, the image count and the pixels per image.
fn parse_images(name: &str, mut bytes: Vec<u8>) -> Result<(Vec<u8>, usize, usize), DataError> {
    let h = header(name, &bytes, 4, IMAGES_MAGIC, "images")?;
    let (count, rows, cols) = (h[0], h[1], h[2]);
    if rows == 0 || cols == 0 {
        return Err(DataError::file(
            name,
            format!("expected images of at least 1×1 pixels, got {rows}×{cols}"),
        ));
    }
    let want = rows.checked_mul(cols).and_then(|d| d.checked_mul(count));
    let got = bytes.len() - 16;
    if want != Some(got) {
        let want = want.map_or_else(|| "more than memory holds".into(), |w| w.to_string());
        return Err(DataError::file(
            name,
            format!("expected {count}×{rows}×{cols} = {want} pixel bytes after the header, got {got} (truncated or corrupt?)"),
        ));
    }
    bytes.drain(..16);
    Ok((bytes, count, rows * cols))
}

/// The labels of a label file, which must hold `count` of them (as many as `images`).
fn parse_labels(
    name: &str,
    mut bytes: Vec<u8>,
    count: usize,
    images: &str,
) -> Result<Vec<u32>, DataError> {
    let h = header(name, &bytes, 2, LABELS_MAGIC, "labels")?;
    if h[0] != count {
        return Err(DataError::file(
            name,
            format!(
                "expected {count} labels (one per image in {images}), got a count of {}",
                h[0]
            ),
        ));
    }
    let got = bytes.len() - 8;
    if got != count {
        return Err(DataError::file(
            name,
            format!(
                "expected {count} label bytes after the header, got {got} (truncated or corrupt?)"
            ),
        ));
    }
    bytes.drain(..8);
    let mut labels = try_vec(count, name, "labels")?;
    labels.extend(bytes.into_iter().map(u32::from));
    Ok(labels)
}

/// The label file beside an image file: `images-idx3` replaced by
/// `labels-idx1` in the name, tried as is, then with `.gz` added or removed.
fn find_labels(images: &Path) -> Result<PathBuf, DataError> {
    let name = images.display().to_string();
    let file = images
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !file.contains(IMAGES_TAG) {
        return Err(DataError::file(
            &name,
            format!("expected a file name containing \"{IMAGES_TAG}\", to find the \"{LABELS_TAG}\" file beside it"),
        ));
    }
    let labels = file.replace(IMAGES_TAG, LABELS_TAG);
    let other = match labels.strip_suffix(".gz") {
        Some(plain) => plain.to_string(),
        None => format!("{labels}.gz"),
    };
    let tried: Vec<PathBuf> = [labels, other]
        .iter()
        .map(|f| images.with_file_name(f))
        .collect();
    tried.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        DataError::file(
            &name,
            format!(
                "expected its labels file beside it, tried {} and {}",
                tried[0].display(),
                tried[1].display()
            ),
        )
    })
}
