//! Reading a file's bytes, gunzipping it when it starts with the gzip magic.

use std::io::Read;
use std::path::Path;

use super::error::DataError;

/// The two bytes every gzip stream starts with.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Whether `bytes` start like a gzip stream (whatever the file's extension).
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&GZIP_MAGIC)
}

/// The contents of `path`, decompressed if they are gzip (detected by the magic bytes).
pub fn read_maybe_gz(path: &Path) -> Result<Vec<u8>, DataError> {
    let name = path.display().to_string();
    let raw = std::fs::read(path).map_err(|source| DataError::Io {
        path: name.clone(),
        what: "cannot read",
        source,
    })?;
    if !is_gzip(&raw) {
        return Ok(raw);
    }
    let mut out = Vec::with_capacity(raw.len().saturating_mul(4));
    flate2::read::MultiGzDecoder::new(raw.as_slice())
        .read_to_end(&mut out)
        .map_err(|source| DataError::Io {
            path: name,
            what: "not a valid gzip stream",
            source,
        })?;
    Ok(out)
}
