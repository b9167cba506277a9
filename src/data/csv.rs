//! CSV files: numeric feature columns, then the target column(s).
//!
//! Fields are separated by commas; a field may be double-quoted (`""` inside
//! quotes is a quote). Blank lines are skipped, `\r\n` endings and a UTF-8 BOM
//! are accepted. The first row is a header when one of its feature fields is
//! not a number, or when only its target fields are not numbers but the next
//! row's are (so a header-less file with string labels is read as data).

use std::borrow::Cow;
use std::iter::Peekable;

use super::error::DataError;
use super::labels::{unseen_message, LabelError, LabelSet};
use super::source::try_vec;
use super::{Dataset, Features, LoadOptions, TargetKind, Targets};

/// Parses a CSV file's contents (`name` is used in error messages).
pub(crate) fn parse(name: &str, bytes: &[u8], opts: &LoadOptions) -> Result<Dataset, DataError> {
    let text = utf8(name, bytes)?;
    let k = target_columns(name, &opts.target)?;
    let mut lines = non_blank_lines(text);
    let Some(&(first_no, first)) = lines.peek() else {
        return Err(DataError::line(
            name,
            1,
            "expected a CSV row, got an empty file",
        ));
    };
    let mut fields = Vec::new();
    split_fields(first, &mut fields).map_err(|m| DataError::line(name, first_no, m))?;
    let width = fields.len();
    if width <= k {
        return Err(DataError::line(
            name,
            first_no,
            format!(
                "expected at least {} fields (features, then {k} target column(s)), got {width}",
                k + 1
            ),
        ));
    }
    let dim = width - k;
    lines.next();
    if !is_header(&fields, dim, lines.peek().copied()) {
        lines = non_blank_lines(text); // the first row is data: read it again
    } else if lines.peek().is_none() {
        return Err(DataError::line(
            name,
            first_no + 1,
            "expected a data row after the header, got end of file",
        ));
    }
    // First pass: count the rows, so every buffer is reserved (fallibly) once.
    let n = lines.clone().count();
    let mut rows = Rows::new(name, dim, k, n, opts)?;
    for (no, line) in lines {
        split_fields(line, &mut fields).map_err(|m| DataError::line(name, no, m))?;
        rows.push(&fields, no)?;
    }
    rows.finish(opts)
}

/// The text of a CSV file, or an error at the line of the first invalid byte.
fn utf8<'a>(name: &str, bytes: &'a [u8]) -> Result<&'a str, DataError> {
    match std::str::from_utf8(bytes) {
        Ok(t) => Ok(t.strip_prefix('\u{feff}').unwrap_or(t)),
        Err(e) => {
            let ok = &bytes[..e.valid_up_to()];
            let line = ok.iter().filter(|&&b| b == b'\n').count() + 1;
            Err(DataError::line(
                name,
                line,
                "expected UTF-8 text (CSV, or gzip/IDX data), got invalid bytes",
            ))
        }
    }
}

/// How many trailing columns are targets.
fn target_columns(_name: &str, target: &TargetKind) -> Result<usize, DataError> {
    match *target {
        TargetKind::Class => Ok(1),
        // k = 0: features only (a file to predict on).
        TargetKind::Values { k } => Ok(k),
    }
}

/// The non-blank lines of `text` with their 1-based numbers.
fn non_blank_lines(text: &str) -> Peekable<impl Iterator<Item = (usize, &str)> + Clone> {
    text.split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .filter(|(_, l)| !l.trim().is_empty())
        .peekable()
}

/// Whether the first row is a header (see the module docs).
fn is_header(first: &[Cow<str>], dim: usize, next: Option<(usize, &str)>) -> bool {
    if !first[..dim].iter().all(|f| is_number(f)) {
        return true;
    }
    if first[dim..].iter().all(|f| is_number(f)) {
        return false;
    }
    let mut fields = Vec::new();
    match next {
        Some((_, line))
            if split_fields(line, &mut fields).is_ok() && fields.len() == first.len() =>
        {
            fields[dim..].iter().all(|f| is_number(f))
        }
        _ => false,
    }
}

/// Whether a field is a finite number.
fn is_number(field: &str) -> bool {
    number(field).is_some()
}

/// A field's value if it is a finite number.
fn number(field: &str) -> Option<f64> {
    field.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Splits a line into `out` (cleared first): commas, optional double quotes,
/// whitespace around unquoted fields trimmed.
fn split_fields<'a>(line: &'a str, out: &mut Vec<Cow<'a, str>>) -> Result<(), String> {
    out.clear();
    let mut rest = line;
    loop {
        let start = rest.trim_start();
        if let Some(quoted) = start.strip_prefix('"') {
            let (field, after) = quoted_field(quoted).ok_or_else(|| {
                format!(
                    "field {} has an opening quote but no closing one",
                    out.len() + 1
                )
            })?;
            out.push(field);
            let after = after.trim_start();
            match after.strip_prefix(',') {
                Some(r) => rest = r,
                None if after.is_empty() => return Ok(()),
                None => {
                    return Err(format!(
                        "field {} has text after its closing quote",
                        out.len()
                    ))
                }
            }
        } else {
            match rest.split_once(',') {
                Some((f, r)) => {
                    out.push(Cow::Borrowed(f.trim()));
                    rest = r;
                }
                None => {
                    out.push(Cow::Borrowed(rest.trim()));
                    return Ok(());
                }
            }
        }
    }
}

/// The contents of a quoted field (after its opening quote) and the text after its closing quote.
fn quoted_field(s: &str) -> Option<(Cow<'_, str>, &str)> {
    let mut owned: Option<String> = None;
    let mut from = 0;
    loop {
        let q = from + s[from..].find('"')?;
        if s[q + 1..].starts_with('"') {
            owned.get_or_insert_with(String::new).push_str(&s[from..=q]);
            from = q + 2;
            continue;
        }
        let field = match owned {
            Some(mut o) => {
                o.push_str(&s[from..q]);
                Cow::Owned(o)
            }
            None => Cow::Borrowed(&s[..q]),
        };
        return Some((field, &s[q + 1..]));
    }
}

/// The rows read so far.
struct Rows<'a> {
    /// The file's name, for errors.
    name: &'a str,
    /// Feature columns.
    dim: usize,
    /// Target columns.
    k: usize,
    /// `n · dim` feature values, row-major.
    features: Vec<f64>,
    /// The targets.
    targets: TargetRows,
    /// Whether target values must lie in `[0, 1]`.
    unit: bool,
    /// Rows read.
    n: usize,
}

/// The targets read so far.
enum TargetRows {
    /// Class labels, numbered at the end.
    Classes(LabelSet),
    /// `k` numbers per row.
    Values(Vec<f64>),
}

impl<'a> Rows<'a> {
    /// No rows yet, with room for `n` rows of `dim` features and `k` targets
    /// of the options' kind (reserved fallibly: [`DataError::Alloc`]).
    fn new(
        name: &'a str,
        dim: usize,
        k: usize,
        n: usize,
        opts: &LoadOptions,
    ) -> Result<Self, DataError> {
        let values = |per_row: usize, what: &str| -> Result<Vec<f64>, DataError> {
            let count = n
                .checked_mul(per_row)
                .ok_or_else(|| DataError::alloc_overflow(name, n, per_row, what))?;
            try_vec(count, name, what)
        };
        let features = values(dim, "feature values")?;
        let targets = match opts.target {
            TargetKind::Class => TargetRows::Classes(
                LabelSet::new(opts.max_classes, n)
                    .ok_or_else(|| DataError::alloc(name, n, 4, "class labels"))?,
            ),
            TargetKind::Values { .. } => TargetRows::Values(values(k, "target values")?),
        };
        Ok(Rows {
            name,
            dim,
            k,
            features,
            targets,
            unit: opts.unit_targets,
            n: 0,
        })
    }

    /// Adds one row (at 1-based line `no`), or says what is wrong with it.
    fn push(&mut self, fields: &[Cow<str>], no: usize) -> Result<(), DataError> {
        let at = |msg: String| DataError::line(self.name, no, msg);
        let width = self.dim + self.k;
        if fields.len() != width {
            return Err(at(format!("expected {width} fields, got {}", fields.len())));
        }
        for (j, f) in fields[..self.dim].iter().enumerate() {
            let v = number(f).ok_or_else(|| at(not_a_number(j, f, "")))?;
            self.features.push(v);
        }
        match &mut self.targets {
            TargetRows::Classes(set) => {
                let label = &fields[self.dim];
                if label.trim().is_empty() {
                    return Err(at(format!(
                        "expected a class label in field {}, got an empty one",
                        self.dim + 1
                    )));
                }
                set.push(label, no)
                    .map_err(|e| label_error(self.name, e, &[]))?;
            }
            TargetRows::Values(values) => {
                for (j, f) in fields.iter().enumerate().skip(self.dim) {
                    let why = " (regression targets are numbers)";
                    let v = number(f).ok_or_else(|| at(not_a_number(j, f, why)))?;
                    if self.unit && !(0.0..=1.0).contains(&v) {
                        return Err(at(format!(
                            "field {} is {f}, expected a target in [0, 1] for the bce loss",
                            j + 1
                        )));
                    }
                    values.push(v);
                }
            }
        }
        self.n += 1;
        Ok(())
    }

    /// The data set, with class labels numbered (or looked up in `opts.class_names`).
    fn finish(self, opts: &LoadOptions) -> Result<Dataset, DataError> {
        let name = self.name;
        let targets = match self.targets {
            TargetRows::Values(data) => Targets::Values { data, k: self.k },
            TargetRows::Classes(set) => {
                let names = opts.class_names.as_deref().unwrap_or_default();
                let (labels, names) = set
                    .finish(opts.class_names.as_deref())
                    .map_err(|e| label_error(name, e, names))?;
                Targets::Classes { labels, names }
            }
        };
        Ok(Dataset {
            features: Features::F64 {
                data: self.features,
                dim: self.dim,
            },
            targets,
            n: self.n,
            source: name.to_string(),
        })
    }
}

/// The error for a label that cannot be numbered (`names`: the training classes).
fn label_error(name: &str, e: LabelError, names: &[String]) -> DataError {
    match e {
        LabelError::Unseen(u) => DataError::line(name, u.at, unseen_message(&u.label, names)),
        LabelError::TooMany(t) => DataError::Limit {
            place: format!("{name}:{}", t.at),
            what: t.what(),
            limit: format!("{} classes", t.limit),
            flag: "--max-classes",
        },
    }
}

/// The message for field `j` (0-based) that is not a number.
fn not_a_number(j: usize, field: &str, why: &str) -> String {
    format!("field {} \"{field}\" is not a number{why}", j + 1)
}
