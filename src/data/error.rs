//! [`DataError`]: what went wrong while loading a data set, in one line.

/// An error while loading or generating a data set.
///
/// Every message is one line that names the file (and the 1-based line for
/// CSV) and says what was expected, e.g. `data/x.csv:17: expected 5 fields, got 4`.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The spec is neither an existing file nor a generated set's name.
    #[error(
        "no such file and not a generated set: {spec} (expected a file, or one of xor, moons, circles, spirals, blobs)"
    )]
    UnknownSpec {
        /// The spec as given.
        spec: String,
    },
    /// The file could not be read (or its gzip stream is corrupt).
    #[error("{path}: {what}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What we were doing, e.g. `cannot read` or `not a valid gzip stream`.
        what: &'static str,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A CSV line does not have the expected form.
    #[error("{path}:{line}: {msg}")]
    Line {
        /// The file.
        path: String,
        /// The 1-based line number.
        line: usize,
        /// What was expected and what was found.
        msg: String,
    },
    /// A binary file (IDX) or a whole file does not have the expected form.
    #[error("{path}: {msg}")]
    File {
        /// The file.
        path: String,
        /// What was expected and what was found.
        msg: String,
    },
    /// The data exceed a limit that a flag sets (`--max-inflate-mib`,
    /// `--max-classes`): nothing past the limit is read or allocated.
    #[error("{place}: {what} (limit {limit}; raise it with {flag})")]
    Limit {
        /// The file (`path` or `path:line`, 1-based) or generated set.
        place: String,
        /// What was found, e.g. `the gzip stream inflates to more than 1024 MiB`.
        what: String,
        /// The limit in force, e.g. `1024 MiB` or `1000 classes`.
        limit: String,
        /// The flag that sets it, e.g. `--max-inflate-mib`.
        flag: &'static str,
    },
    /// Memory for the data could not be had: its size overflows or the
    /// allocation failed (checked before filling, so nothing aborts).
    #[error("{place}: cannot allocate memory for {what}")]
    Alloc {
        /// The file (`path` or `path:line`) or generated set.
        place: String,
        /// What needed the memory and how much, e.g. `600 feature values, 4800 bytes`.
        what: String,
    },
    /// A generated set was asked for with options it cannot honour.
    #[error("{set}: {msg}")]
    Options {
        /// The generated set's name (or the option's owner).
        set: String,
        /// What was expected.
        msg: String,
    },
}

impl DataError {
    /// A CSV error at a 1-based line of `path`.
    pub(crate) fn line(path: &str, line: usize, msg: impl Into<String>) -> Self {
        DataError::Line {
            path: path.to_string(),
            line,
            msg: msg.into(),
        }
    }

    /// An error about the whole of `path` (or a binary record in it).
    pub(crate) fn file(path: &str, msg: impl Into<String>) -> Self {
        DataError::File {
            path: path.to_string(),
            msg: msg.into(),
        }
    }

    /// An allocation of `count` items of `what` (each `item` bytes) that failed
    /// or whose size overflows.
    pub(crate) fn alloc(place: &str, count: usize, item: usize, what: &str) -> Self {
        let what = match count.checked_mul(item) {
            _ if item == 1 => format!("{count} {what}"),
            Some(b) => format!("{count} {what}, {b} bytes"),
            None => format!("{count} {what}, more bytes than fit in memory"),
        };
        DataError::Alloc {
            place: place.to_string(),
            what,
        }
    }

    /// An allocation of `rows × per_row` items of `what` whose count overflows.
    pub(crate) fn alloc_overflow(place: &str, rows: usize, per_row: usize, what: &str) -> Self {
        DataError::Alloc {
            place: place.to_string(),
            what: format!("{rows} × {per_row} {what}, more than fit in memory"),
        }
    }

    /// An error about the options of a generated set.
    pub(crate) fn options(set: &str, msg: impl Into<String>) -> Self {
        DataError::Options {
            set: set.to_string(),
            msg: msg.into(),
        }
    }
}
