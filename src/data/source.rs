//! Reading a file's bytes, gunzipping it when it starts with the gzip magic,
//! with every buffer reserved fallibly (an allocation that fails is an error,
//! not an abort) and the inflated size bounded by a limit.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::error::DataError;

/// The two bytes every gzip stream starts with.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// One mebibyte, the unit of `--max-inflate-mib`.
const MIB: u64 = 1 << 20;

/// Bytes read per call when the size is not known in advance (a pipe, a gzip stream).
const CHUNK: usize = 64 * 1024;

/// Whether `bytes` start like a gzip stream (whatever the file's extension).
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&GZIP_MAGIC)
}

/// An empty vector with room for `n` items, or [`DataError::Alloc`] naming
/// `place` and `what` if the size overflows or the memory cannot be had.
pub(crate) fn try_vec<T>(n: usize, place: &str, what: &str) -> Result<Vec<T>, DataError> {
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| DataError::alloc(place, n, std::mem::size_of::<T>(), what))?;
    Ok(v)
}

/// The contents of `path`, decompressed if they are gzip (detected by the
/// magic bytes): [`read_file`] then [`gunzip`].
pub fn read_maybe_gz(path: &Path, max_inflate: u64) -> Result<Vec<u8>, DataError> {
    gunzip(&path.display().to_string(), read_file(path)?, max_inflate)
}

/// The bytes of `path`, read into a buffer reserved fallibly.
///
/// `path` may be any readable non-directory: a regular file is read into a
/// buffer of its size, a pipe or device is read to its end.
pub fn read_file(path: &Path) -> Result<Vec<u8>, DataError> {
    let name = path.display().to_string();
    let cannot_read = |source| DataError::Io {
        path: name.clone(),
        what: "cannot read",
        source,
    };
    let mut file = File::open(path).map_err(cannot_read)?;
    let len = file.metadata().map_err(cannot_read)?.len();
    let mut raw = Vec::new();
    if len > 0 {
        let n = usize::try_from(len).unwrap_or(usize::MAX);
        raw.try_reserve_exact(n)
            .map_err(|_| DataError::alloc(&name, n, 1, "bytes of the file"))?;
    }
    read_fallibly(
        &mut file,
        &mut raw,
        &name,
        "bytes of the file",
        "cannot read",
    )?;
    Ok(raw)
}

/// `raw` inflated if it is a gzip stream (by its magic bytes), else `raw`
/// itself. A stream that inflates to more than `max_inflate` bytes is
/// [`DataError::Limit`] (`--max-inflate-mib`): nothing past the limit is
/// kept. `name` labels errors.
pub fn gunzip(name: &str, raw: Vec<u8>, max_inflate: u64) -> Result<Vec<u8>, DataError> {
    if !is_gzip(&raw) {
        return Ok(raw);
    }
    let mut out = Vec::new();
    let mut inflate =
        flate2::read::MultiGzDecoder::new(raw.as_slice()).take(max_inflate.saturating_add(1));
    read_fallibly(
        &mut inflate,
        &mut out,
        name,
        "bytes of the inflated gzip stream",
        "not a valid gzip stream",
    )?;
    if out.len() as u64 > max_inflate {
        let limit = if max_inflate.is_multiple_of(MIB) {
            format!("{} MiB", max_inflate / MIB)
        } else {
            format!("{max_inflate} bytes")
        };
        return Err(DataError::Limit {
            place: name.to_string(),
            what: format!("the gzip stream inflates to more than {limit}"),
            limit,
            flag: "--max-inflate-mib",
        });
    }
    Ok(out)
}

/// Reads `r` to its end into `out`, growing `out` fallibly (a failed
/// allocation is [`DataError::Alloc`] naming `place` and `what`; a read error
/// is [`DataError::Io`] saying `io_what`). When `out` is full, a small probe
/// read checks for the end before growing, so a buffer reserved at the file's
/// size is not doubled to find the end.
fn read_fallibly(
    r: &mut impl Read,
    out: &mut Vec<u8>,
    place: &str,
    what: &str,
    io_what: &'static str,
) -> Result<(), DataError> {
    let io_err = |source| DataError::Io {
        path: place.to_string(),
        what: io_what,
        source,
    };
    loop {
        if out.len() == out.capacity() {
            let mut probe = [0u8; 64];
            let n = match r.read(&mut probe) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_err(e)),
            };
            if n == 0 {
                return Ok(());
            }
            // Amortised (doubling) growth, fallible.
            out.try_reserve(CHUNK.max(n))
                .map_err(|_| DataError::alloc(place, out.len().saturating_add(CHUNK), 1, what))?;
            out.extend_from_slice(&probe[..n]);
            continue;
        }
        let start = out.len();
        let room = out.capacity() - start;
        // Read into the spare capacity, zeroed first (no unsafe code).
        out.resize(start + room.min(CHUNK), 0);
        match r.read(&mut out[start..]) {
            Ok(0) => {
                out.truncate(start);
                return Ok(());
            }
            Ok(n) => out.truncate(start + n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => out.truncate(start),
            Err(e) => return Err(io_err(e)),
        }
    }
}
