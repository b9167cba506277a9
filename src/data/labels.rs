//! Class labels: from the strings of a file to indices and sorted names.
//!
//! Integer labels (`3`, also written `3.0`) are used as indices and the names
//! are `"0"` … `"max"`; any other labels are numbered in sorted order (numeric
//! order when all are numbers, byte order otherwise) and keep their names.
//! With the names of a training set given, each label is looked up among them.

use std::cmp::Reverse;
use std::collections::HashMap;

/// Integer labels up to this value are used as indices directly; larger ones are
/// numbered in sorted order like strings (so a label of 10⁹ cannot ask for 10⁹ classes).
const MAX_INDEX_LABEL: u32 = 65_535;

/// A label that is not among the training set's class names.
pub(crate) struct Unseen {
    /// The label as written (canonical form).
    pub label: String,
    /// Where it first occurs (a 1-based line, or a record number).
    pub at: usize,
}

/// A label that would make more classes than the limit (`--max-classes`).
pub(crate) struct TooMany {
    /// The label as written (canonical form).
    pub label: String,
    /// Where it first occurs (a 1-based line).
    pub at: usize,
    /// How many classes it would make.
    pub classes: usize,
    /// The limit.
    pub limit: usize,
    /// Whether the labels are class indices (integers), so that the label's
    /// value, not the count of distinct labels, sets the class count.
    pub index: bool,
}

/// Why a label set cannot be numbered.
pub(crate) enum LabelError {
    /// A label is not among the training set's class names.
    Unseen(Unseen),
    /// More classes than the limit.
    TooMany(TooMany),
}

impl TooMany {
    /// What the label does, for [`super::DataError::Limit`].
    pub fn what(&self) -> String {
        if self.index {
            format!(
                "label \"{}\" asks for {} classes (integer labels are class indices)",
                self.label, self.classes
            )
        } else {
            format!(
                "label \"{}\" makes {} distinct class labels",
                self.label, self.classes
            )
        }
    }
}

/// The labels of a file, collected row by row and numbered at the end.
pub(crate) struct LabelSet {
    /// The most classes allowed.
    max_classes: usize,
    /// Each distinct label's id (its position in `distinct`).
    ids: HashMap<String, u32>,
    /// Each distinct label (canonical form) and where it first occurs.
    distinct: Vec<(String, usize)>,
    /// The id of each row's label.
    rows: Vec<u32>,
}

impl LabelSet {
    /// An empty set allowing at most `max_classes` classes, with room for
    /// `rows` labels (`None` if that memory cannot be had).
    pub fn new(max_classes: usize, rows: usize) -> Option<Self> {
        let mut v = Vec::new();
        v.try_reserve_exact(rows).ok()?;
        Some(LabelSet {
            max_classes,
            ids: HashMap::new(),
            distinct: Vec::new(),
            rows: v,
        })
    }

    /// Records the label of the next row, first seen at `at`; a new label
    /// past the class limit is an error.
    pub fn push(&mut self, label: &str, at: usize) -> Result<(), LabelError> {
        let label = canonical(label);
        let id = match self.ids.get(label.as_ref()) {
            Some(&id) => id,
            None => {
                if self.distinct.len() >= self.max_classes {
                    return Err(LabelError::TooMany(TooMany {
                        label: label.into_owned(),
                        at,
                        classes: self.distinct.len() + 1,
                        limit: self.max_classes,
                        index: false,
                    }));
                }
                let id = self.distinct.len() as u32;
                self.ids.insert(label.to_string(), id);
                self.distinct.push((label.into_owned(), at));
                id
            }
        };
        self.rows.push(id);
        Ok(())
    }

    /// The labels as class indices and the class names: the given training
    /// names if any (an unseen label is an error), else derived from the
    /// labels (more classes than the limit is an error).
    pub fn finish(
        self,
        class_names: Option<&[String]>,
    ) -> Result<(Vec<u32>, Vec<String>), LabelError> {
        let (to_class, names) = match class_names {
            Some(names) => (
                self.lookup(names).map_err(LabelError::Unseen)?,
                names.to_vec(),
            ),
            None => self.number().map_err(LabelError::TooMany)?,
        };
        let labels = self.rows.iter().map(|&id| to_class[id as usize]).collect();
        Ok((labels, names))
    }

    /// Each distinct label's position among `names`.
    fn lookup(&self, names: &[String]) -> Result<Vec<u32>, Unseen> {
        self.distinct
            .iter()
            .map(|(label, at)| {
                position(names, label).ok_or_else(|| Unseen {
                    label: label.clone(),
                    at: *at,
                })
            })
            .collect()
    }

    /// Each distinct label's class index, and the class names; integer
    /// labels asking for more classes than the limit are an error.
    fn number(&self) -> Result<(Vec<u32>, Vec<String>), TooMany> {
        let ints: Option<Vec<u32>> = self
            .distinct
            .iter()
            .map(|(l, _)| l.parse::<u32>().ok().filter(|&v| v <= MAX_INDEX_LABEL))
            .collect();
        if let Some(ints) = ints {
            let Some((i, &max)) = ints
                .iter()
                .enumerate()
                .max_by_key(|&(i, &v)| (v, Reverse(i)))
            else {
                return Ok((ints, index_names(1)));
            };
            let classes = max as usize + 1;
            if classes > self.max_classes {
                let (label, at) = self.distinct[i].clone();
                return Err(TooMany {
                    label,
                    at,
                    classes,
                    limit: self.max_classes,
                    index: true,
                });
            }
            return Ok((ints, index_names(classes)));
        }
        let mut sorted: Vec<&str> = self.distinct.iter().map(|(l, _)| l.as_str()).collect();
        sort_labels(&mut sorted);
        let names: Vec<String> = sorted.iter().map(|s| s.to_string()).collect();
        let to_class = self
            .distinct
            .iter()
            .map(|(l, _)| position(&names, l).unwrap_or(0))
            .collect();
        Ok((to_class, names))
    }
}

/// The names `"0"`, `"1"`, … of `c` index classes.
pub(crate) fn index_names(c: usize) -> Vec<String> {
    (0..c).map(|i| i.to_string()).collect()
}

/// The position of `label` among `names`.
pub(crate) fn position(names: &[String], label: &str) -> Option<u32> {
    names.iter().position(|n| n == label).map(|p| p as u32)
}

/// Relabels `labels` (indices into `own`) as indices into `target` names.
pub(crate) fn remap(labels: &mut [u32], own: &[String], target: &[String]) -> Result<(), Unseen> {
    let map: Vec<Option<u32>> = own.iter().map(|n| position(target, n)).collect();
    for (i, l) in labels.iter_mut().enumerate() {
        *l = map[*l as usize].ok_or_else(|| Unseen {
            label: own[*l as usize].clone(),
            at: i,
        })?;
    }
    Ok(())
}

/// The message for a label missing from the training classes.
pub(crate) fn unseen_message(label: &str, names: &[String]) -> String {
    const SHOWN: usize = 12;
    let mut list = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        list.push_str(", …");
    }
    format!("class \"{label}\" is not one of the training classes ({list})")
}

/// A label's canonical form: integral numbers as integers (`3.0` → `3`), others as written.
fn canonical(label: &str) -> std::borrow::Cow<'_, str> {
    match label.parse::<f64>() {
        Ok(v) if v.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&v) => {
            let s = (v as u64).to_string();
            if s == label {
                label.into()
            } else {
                s.into()
            }
        }
        _ => label.into(),
    }
}

/// Sorts labels: numerically when all are numbers, else by bytes.
fn sort_labels(labels: &mut [&str]) {
    let nums: Option<Vec<f64>> = labels.iter().map(|l| l.parse::<f64>().ok()).collect();
    match nums {
        Some(_) => labels.sort_by(|a, b| {
            let (x, y) = (
                a.parse::<f64>().unwrap_or(0.0),
                b.parse::<f64>().unwrap_or(0.0),
            );
            x.total_cmp(&y).then_with(|| a.cmp(b))
        }),
        None => labels.sort_unstable(),
    }
}
