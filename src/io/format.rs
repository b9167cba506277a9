//! The safetensors container: bytes ⇄ named tensors and `__metadata__`, with
//! errors that say what is wrong (truncated, not safetensors, corrupt).

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use safetensors::{SafeTensorError, SafeTensors};

use super::tensors::{decode, Encoded};
use super::{AnyTensor, IoError};

/// The length of the little-endian `u64` that starts every file.
const LEN_BYTES: usize = 8;

/// The largest header safetensors accepts.
const MAX_HEADER: u64 = 100_000_000;

/// A decoded file: tensors in [`name_order`] and the `__metadata__` map.
pub(crate) struct Decoded {
    pub(crate) tensors: Vec<(String, AnyTensor)>,
    pub(crate) metadata: Option<HashMap<String, String>>,
}

/// Reads a whole file.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, IoError> {
    std::fs::read(path).map_err(|source| IoError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Encodes named tensors and metadata; refuses empty or duplicate names.
pub(crate) fn encode(
    path: &Path,
    tensors: &[(String, Encoded)],
    metadata: HashMap<String, String>,
) -> Result<Vec<u8>, IoError> {
    let mut seen = HashSet::new();
    for (name, _) in tensors {
        if name.is_empty() || name == "__metadata__" || !seen.insert(name.as_str()) {
            let why = format!("cannot save: tensor name {name:?} is empty, reserved or repeated");
            return Err(IoError::invalid(path, why));
        }
    }
    let views = tensors.iter().map(|(name, t)| (name.as_str(), t));
    let bytes = safetensors::serialize(views, Some(metadata))
        .map_err(|e| IoError::invalid(path, format!("cannot save: {e}")))?;
    sorted_header(&bytes).ok_or_else(|| IoError::invalid(path, "cannot save: unreadable header"))
}

/// The same file with its JSON header's keys in sorted order at every level.
///
/// safetensors writes the `__metadata__` map in `HashMap` order, which varies
/// from run to run; sorted, two saves of the same model are the same bytes,
/// so a hash identifies a model. Only the header changes: the tensors' data
/// offsets are relative to the data section, which is kept as it is.
fn sorted_header(bytes: &[u8]) -> Option<Vec<u8>> {
    let n = usize::try_from(u64::from_le_bytes(bytes.get(..LEN_BYTES)?.try_into().ok()?)).ok()?;
    let end = LEN_BYTES.checked_add(n)?;
    let header: BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(bytes.get(LEN_BYTES..end)?).ok()?;
    let mut text = serde_json::to_vec(&header).ok()?;
    // safetensors pads the header with spaces to a multiple of 8 bytes.
    text.resize(text.len().next_multiple_of(LEN_BYTES), b' ');
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(&text);
    out.extend_from_slice(&bytes[end..]);
    Some(out)
}

/// Decodes a file's bytes; every failure names `path`.
pub(crate) fn decode_file(path: &Path, bytes: &[u8]) -> Result<Decoded, IoError> {
    check_framing(path, bytes)?;
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| explain(path, bytes, e))?;
    let st = SafeTensors::deserialize(bytes).map_err(|e| explain(path, bytes, e))?;
    let metadata = header.metadata().clone();
    let mut tensors = st
        .iter()
        .map(|(name, view)| Ok((name.to_string(), decode(path, name, &view)?)))
        .collect::<Result<Vec<_>, IoError>>()?;
    tensors.sort_by(|a, b| name_order(&a.0, &b.0));
    Ok(Decoded { tensors, metadata })
}

/// Checks the length prefix and the start of the header before safetensors
/// parses it, to tell a cut-off file from one that never was safetensors.
fn check_framing(path: &Path, bytes: &[u8]) -> Result<(), IoError> {
    let Some(prefix) = bytes.get(..LEN_BYTES) else {
        let got = bytes.len();
        return Err(IoError::truncated(
            path,
            format!(
                "{got} bytes, but a safetensors file starts with an {LEN_BYTES}-byte header length"
            ),
        ));
    };
    let n = u64::from_le_bytes(prefix.try_into().expect("8 bytes"));
    let header_starts = bytes.get(LEN_BYTES).is_none_or(|&b| b == b'{');
    if !(2..=MAX_HEADER).contains(&n) || !header_starts {
        return Err(IoError::not_safetensors(
            path,
            format!(
                "expected an {LEN_BYTES}-byte header length (got {n}) followed by a JSON header"
            ),
        ));
    }
    let have = bytes.len() - LEN_BYTES;
    if (have as u64) < n {
        return Err(IoError::truncated(
            path,
            format!("the header needs {n} bytes but only {have} follow its length"),
        ));
    }
    Ok(())
}

/// Turns a safetensors error into ours, measuring the data when the lengths disagree.
fn explain(path: &Path, bytes: &[u8], err: SafeTensorError) -> IoError {
    match err {
        SafeTensorError::InvalidHeader(_) | SafeTensorError::InvalidHeaderDeserialization(_) => {
            IoError::corrupt(path, format!("invalid JSON header ({err})"))
        }
        SafeTensorError::MetadataIncompleteBuffer => match declared_len(bytes) {
            Some(want) if want > bytes.len() => IoError::truncated(
                path,
                format!(
                    "the header declares {want} bytes in all but the file has {}",
                    bytes.len()
                ),
            ),
            Some(want) => IoError::corrupt(
                path,
                format!(
                    "{} bytes after the {want} the header declares",
                    bytes.len() - want
                ),
            ),
            None => IoError::corrupt(path, err.to_string()),
        },
        other => IoError::corrupt(path, other.to_string()),
    }
}

/// The file length the header declares: length prefix + header + the largest data end offset.
fn declared_len(bytes: &[u8]) -> Option<usize> {
    let n = usize::try_from(u64::from_le_bytes(bytes.get(..LEN_BYTES)?.try_into().ok()?)).ok()?;
    let header = bytes.get(LEN_BYTES..LEN_BYTES.checked_add(n)?)?;
    let value: serde_json::Value = serde_json::from_slice(header).ok()?;
    let data_end = value
        .as_object()?
        .values()
        .filter_map(|info| info.get("data_offsets")?.get(1)?.as_u64())
        .max()
        .unwrap_or(0);
    (LEN_BYTES + n).checked_add(usize::try_from(data_end).ok()?)
}

/// Orders names part by dot-separated part, numbers numerically and before
/// words: `0.bias < 0.weight < 2.bias < 10.weight < optim.x`.
pub(crate) fn name_order(a: &str, b: &str) -> Ordering {
    let key = |s: &str| -> Vec<(u8, u64, String)> {
        s.split('.')
            .map(|p| match p.parse::<u64>() {
                Ok(n) if !p.starts_with('+') => (0, n, String::new()),
                _ => (1, 0, p.to_string()),
            })
            .collect()
    };
    key(a).cmp(&key(b)).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::Tensor;

    fn sample_bytes() -> Vec<u8> {
        let t = Tensor::<f32>::from_vec(vec![1.0, 2.0, 3.0], &[3]).unwrap();
        let tensors = vec![("a".to_string(), Encoded::new(&t))];
        encode(Path::new("x"), &tensors, HashMap::new()).unwrap()
    }

    #[test]
    fn names_sort_numerically_by_part() {
        let mut names = vec![
            "10.weight",
            "2.weight",
            "0.weight",
            "2.bias",
            "optim.x",
            "0.bias",
        ];
        names.sort_by(|a, b| name_order(a, b));
        assert_eq!(
            names,
            [
                "0.bias",
                "0.weight",
                "2.bias",
                "2.weight",
                "10.weight",
                "optim.x"
            ]
        );
    }

    #[test]
    fn duplicate_names_are_refused() {
        let t = Tensor::<f64>::zeros(&[1]).unwrap();
        let tensors = vec![
            ("a".to_string(), Encoded::new(&t)),
            ("a".to_string(), Encoded::new(&t)),
        ];
        let err = encode(Path::new("m.st"), &tensors, HashMap::new()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("m.st: cannot save: tensor name \"a\""),
            "{err}"
        );
    }

    #[test]
    fn trailing_bytes_are_corrupt_not_truncated() {
        let mut bytes = sample_bytes();
        bytes.extend_from_slice(&[0; 3]);
        let err = decode_file(Path::new("m"), &bytes).err().unwrap();
        assert_eq!(
            err.to_string(),
            format!(
                "m: corrupt safetensors file: 3 bytes after the {} the header declares",
                bytes.len() - 3
            )
        );
    }

    #[test]
    fn every_cut_is_reported_as_truncated() {
        let bytes = sample_bytes();
        for len in 0..bytes.len() {
            let err = decode_file(Path::new("m"), &bytes[..len]).err().unwrap();
            assert!(
                matches!(err, IoError::Truncated { .. }),
                "cut at {len}: {err}"
            );
        }
    }
}
