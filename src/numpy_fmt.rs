//! NumPy-style printing of arrays and Python-style printing of floats.
//!
//! [`format_f64_array`] and [`format_i64_array`] reproduce `print(arr)` under
//! NumPy 2.x's default print options (`precision=8`, `floatmode='maxprec'`,
//! `suppress=False`, `sign='-'`, `linewidth=75`, `threshold=1000`,
//! `edgeitems=3`). They port `numpy/_core/arrayprint.py`:
//!
//! * `FloatingFormat.fillFormat` picks positional or scientific notation for
//!   the whole array and a common width: every element is written with at most
//!   8 fractional digits (the shortest round-trip digits when those are fewer),
//!   the integer parts are right-aligned and the fractional parts padded with
//!   spaces (positional) or zeros (scientific) to the longest one;
//! * `_formatArray` nests the brackets, separates elements by one space and
//!   rows by newlines (one blank line more per extra axis), and wraps rows at
//!   75 columns;
//! * arrays of more than 1000 elements are summarised to their first and last
//!   3 entries along every axis, with `...` in between.
//!
//! [`format_py_float`] is Python's `repr` of a float, which is also what
//! `print` shows for a 0-D float array.
//!
//! The shortest round-trip digits come from Rust's `{:e}` (with exact ties
//! sent to the even digit, as Python and Dragon4 do), the 8-digit roundings
//! from `{:.8}` and `{:.8e}`, which round the exact binary value half to even
//! like Dragon4 with `precision=8`.

/// Fractional digits kept by NumPy's default `precision`.
const PRECISION: usize = 8;
/// NumPy's default `linewidth`.
const LINE_WIDTH: usize = 75;
/// NumPy's default `threshold`: larger arrays are summarised.
const THRESHOLD: usize = 1000;
/// NumPy's default `edgeitems`: entries kept at each end when summarising.
const EDGE_ITEMS: usize = 3;
/// What stands for the elided entries of a summarised axis.
const SUMMARY: &str = "...";

/// `print(arr)` of a float64 NumPy array with default print options.
///
/// `data` is row-major with shape `dims`; an empty `dims` is a 0-D array,
/// printed like the scalar (see [`format_py_float`]). The result has no
/// trailing newline.
///
/// ```
/// use backprop::numpy_fmt::format_f64_array;
/// let w = [0.37469709693975883, 0.9510826629930994, 0.7317645870081076, 0.5995062449245857];
/// assert_eq!(
///     format_f64_array(&w, &[2, 2]),
///     "[[0.3746971  0.95108266]\n [0.73176459 0.59950624]]"
/// );
/// assert_eq!(format_f64_array(&[0.5, 0.25, -1e-5], &[3]), "[ 5.0e-01  2.5e-01 -1.0e-05]");
/// ```
///
/// # Panics
/// If `data.len()` is not the product of `dims`.
pub fn format_f64_array(data: &[f64], dims: &[usize]) -> String {
    check_len(data.len(), dims);
    if dims.is_empty() {
        return format_py_float(data[0]);
    }
    format_array(data, dims, |shown| {
        let format = FloatFormat::new(shown);
        move |x| format.element(x)
    })
}

/// `print(arr)` of an integer NumPy array (int64).
///
/// Elements are right-aligned to the widest of the shown minimum and
/// maximum; layout, wrapping and summarising are as in [`format_f64_array`].
///
/// ```
/// use backprop::numpy_fmt::format_i64_array;
/// assert_eq!(format_i64_array(&[0, 1, 1, 0], &[4, 1]), "[[0]\n [1]\n [1]\n [0]]");
/// assert_eq!(format_i64_array(&[5, -12, 300], &[3]), "[  5 -12 300]");
/// ```
///
/// # Panics
/// If `data.len()` is not the product of `dims`.
pub fn format_i64_array(data: &[i64], dims: &[usize]) -> String {
    check_len(data.len(), dims);
    if dims.is_empty() {
        return data[0].to_string();
    }
    format_array(data, dims, |shown| {
        let format = IntFormat::new(shown);
        move |x| format.element(x)
    })
}

/// Python's `repr(x)` (and `print(x)`) of a float.
///
/// The shortest digits that round-trip, positional when the decimal exponent
/// is in `-4..16` (always with a fractional part: `5.0`), scientific
/// otherwise with a signed, at least two-digit exponent (`1e-05`, `1.5e+16`);
/// `inf`, `-inf`, `nan` and `-0.0` as Python writes them.
///
/// ```
/// use backprop::numpy_fmt::format_py_float;
/// assert_eq!(format_py_float(0.1 + 0.2), "0.30000000000000004");
/// assert_eq!(format_py_float(5.0), "5.0");
/// assert_eq!(format_py_float(1e-5), "1e-05");
/// assert_eq!(format_py_float(1e16), "1e+16");
/// assert_eq!(format_py_float(-0.0), "-0.0");
/// assert_eq!(format_py_float(f64::NEG_INFINITY), "-inf");
/// ```
pub fn format_py_float(x: f64) -> String {
    if let Some(s) = non_finite_str(x) {
        return s.to_string();
    }
    let (digits, exp) = shortest_digits(x.abs());
    let sign = sign_str(x);
    if (-4..16).contains(&exp) {
        let (int, frac) = positional_from_digits(&digits, exp);
        let frac = if frac.is_empty() {
            "0".to_string()
        } else {
            frac
        };
        format!("{sign}{int}.{frac}")
    } else {
        let (lead, rest) = digits.split_at(1);
        let point = if rest.is_empty() { "" } else { "." };
        format!("{sign}{lead}{point}{rest}e{}", exp_str(exp, 2))
    }
}

/// Panics unless `len` elements fill the shape `dims`.
fn check_len(len: usize, dims: &[usize]) {
    let size: usize = dims.iter().product();
    assert_eq!(
        len, size,
        "numpy_fmt: {len} elements do not fill shape {dims:?}"
    );
}

/// `nan`, `inf` or `-inf` for a non-finite `x`.
fn non_finite_str(x: f64) -> Option<&'static str> {
    match x {
        _ if x.is_nan() => Some("nan"),
        f64::INFINITY => Some("inf"),
        f64::NEG_INFINITY => Some("-inf"),
        _ => None,
    }
}

/// Splits `"123.45"` into `("123", "45")`; no point gives an empty fraction.
fn split_point(s: &str) -> (&str, &str) {
    s.split_once('.').unwrap_or((s, ""))
}

/// Splits Rust's `"1.5e-7"` into `("1.5", -7)`.
fn split_exp(s: &str) -> (&str, i32) {
    let (mantissa, exp) = s.split_once('e').expect("`{:e}` output has an exponent");
    (
        mantissa,
        exp.parse().expect("`{:e}` exponent is an integer"),
    )
}

/// An exponent as NumPy and Python write it: sign, then at least `digits` digits.
fn exp_str(exp: i32, digits: usize) -> String {
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{sign}{:0digits$}", exp.unsigned_abs())
}

/// `"-"` for a negative sign bit (also `-0.0`), else `""`.
fn sign_str(x: f64) -> &'static str {
    if x.is_sign_negative() {
        "-"
    } else {
        ""
    }
}

/// The shortest significant digits that round-trip to a finite `abs >= 0`,
/// and the decimal exponent of the first one (`abs = d.ddd × 10^exp`).
///
/// When two such digit strings are equally near `abs` (its exact value ends
/// in a 5 just past them), the even one is taken, as Python's `repr` and
/// NumPy's Dragon4 do; Rust's `{:e}` would take the upper one.
fn shortest_digits(abs: f64) -> (String, i32) {
    let shortest = format!("{abs:e}");
    let (mantissa, _) = split_exp(&shortest);
    let count = mantissa.chars().filter(char::is_ascii_digit).count();
    // the nearest decimal with as many digits, ties to even
    let nearest = format!("{abs:.prec$e}", prec = count - 1);
    let chosen = if nearest.parse::<f64>() == Ok(abs) {
        nearest
    } else {
        shortest
    };
    let (mantissa, exp) = split_exp(&chosen);
    let digits = mantissa.replace('.', "");
    let trimmed = digits.trim_end_matches('0');
    let digits = if trimmed.is_empty() { "0" } else { trimmed };
    (digits.to_string(), exp)
}

/// Integer and fractional parts of `0.d1d2… × 10^(exp + 1)` written out in full.
fn positional_from_digits(digits: &str, exp: i32) -> (String, String) {
    match usize::try_from(exp) {
        Ok(exp) if digits.len() > exp + 1 => {
            let (int, frac) = digits.split_at(exp + 1);
            (int.to_string(), frac.to_string())
        }
        Ok(exp) => (format!("{digits:0<width$}", width = exp + 1), String::new()),
        Err(_) => {
            let zeros = "0".repeat(exp.unsigned_abs() as usize - 1);
            ("0".to_string(), format!("{zeros}{digits}"))
        }
    }
}

/// The digits of a finite `x` as `dragon4_positional(x, precision=8,
/// unique=True, fractional=True, trim='.')`: signed integer part and
/// fractional part without trailing zeros.
fn positional_parts(x: f64) -> (String, String) {
    let (digits, exp) = shortest_digits(x.abs());
    let (int, frac) = positional_from_digits(&digits, exp);
    let (int, frac) = if frac.len() <= PRECISION {
        (int, frac)
    } else {
        let rounded = format!("{:.PRECISION$}", x.abs());
        let (int, frac) = split_point(&rounded);
        (int.to_string(), frac.trim_end_matches('0').to_string())
    };
    (format!("{}{int}", sign_str(x)), frac)
}

/// The digits of a finite `x` as `dragon4_scientific(x, precision=8,
/// unique=True, trim='.')`: signed leading digit, fractional digits without
/// trailing zeros, and the decimal exponent.
fn scientific_parts(x: f64) -> (String, String, i32) {
    let (digits, exp) = shortest_digits(x.abs());
    let (lead, frac) = digits.split_at(1);
    let (lead, frac, exp) = if frac.len() <= PRECISION {
        (lead.to_string(), frac.to_string(), exp)
    } else {
        let rounded = format!("{:.PRECISION$e}", x.abs());
        let (mantissa, exp) = split_exp(&rounded);
        let (lead, frac) = split_point(mantissa);
        (
            lead.to_string(),
            frac.trim_end_matches('0').to_string(),
            exp,
        )
    };
    (format!("{}{lead}", sign_str(x)), frac, exp)
}

/// Number of decimal digits in an exponent (at least 2, as Dragon4 writes them).
fn exp_digits(exp: i32) -> usize {
    exp.unsigned_abs().to_string().len().max(2)
}

/// Notation and padding chosen for every element of a float array
/// (NumPy's `FloatingFormat` with default options).
struct FloatFormat {
    /// Scientific notation, with this many digits in every exponent.
    exp_digits: Option<usize>,
    /// Width of the (signed) integer part.
    pad_left: usize,
    /// Fractional digits: spaces pad positional ones, zeros scientific ones.
    precision: usize,
    /// Width of everything right of the point (used to align `nan`, `inf`).
    pad_right: usize,
}

impl FloatFormat {
    /// `FloatingFormat.fillFormat` over the elements that will be shown.
    fn new(shown: &[f64]) -> Self {
        let finite: Vec<f64> = shown.iter().copied().filter(|x| x.is_finite()).collect();
        let mut format = if finite.is_empty() {
            FloatFormat {
                exp_digits: None,
                pad_left: 0,
                precision: 0,
                pad_right: 0,
            }
        } else if needs_scientific(&finite) {
            Self::scientific(&finite)
        } else {
            Self::positional(&finite)
        };
        if finite.len() != shown.len() {
            // room for `nan`, `inf`, `-inf` in the pad_left + 1 + pad_right columns
            let neg_inf = shown.contains(&f64::NEG_INFINITY);
            let needed = 3 + usize::from(neg_inf);
            let right = format.pad_right + 1;
            format.pad_left = format.pad_left.max(needed.saturating_sub(right));
        }
        format
    }

    /// Positional notation: integer parts right-aligned, fractions padded with spaces.
    fn positional(finite: &[f64]) -> Self {
        let parts: Vec<_> = finite.iter().map(|&x| positional_parts(x)).collect();
        let pad_left = parts.iter().map(|(int, _)| int.len()).max().unwrap_or(0);
        let precision = parts.iter().map(|(_, frac)| frac.len()).max().unwrap_or(0);
        FloatFormat {
            exp_digits: None,
            pad_left,
            precision,
            pad_right: precision,
        }
    }

    /// Scientific notation: fractions padded with zeros, exponents to a common width.
    fn scientific(finite: &[f64]) -> Self {
        let parts: Vec<_> = finite.iter().map(|&x| scientific_parts(x)).collect();
        let pad_left = parts.iter().map(|(int, _, _)| int.len()).max().unwrap_or(0);
        let precision = parts
            .iter()
            .map(|(_, frac, _)| frac.len())
            .max()
            .unwrap_or(0);
        let digits = parts
            .iter()
            .map(|&(_, _, e)| exp_digits(e))
            .max()
            .unwrap_or(2);
        // "e", the exponent's sign and digits, then the fraction
        let pad_right = 2 + digits + precision;
        FloatFormat {
            exp_digits: Some(digits),
            pad_left,
            precision,
            pad_right,
        }
    }

    /// One element, padded to the common width.
    fn element(&self, x: f64) -> String {
        if let Some(s) = non_finite_str(x) {
            let width = self.pad_left + self.pad_right + 1;
            return format!("{s:>width$}");
        }
        let (pad_left, precision) = (self.pad_left, self.precision);
        match self.exp_digits {
            Some(digits) => {
                let (int, frac, exp) = scientific_parts(x);
                format!(
                    "{int:>pad_left$}.{frac:0<precision$}e{}",
                    exp_str(exp, digits)
                )
            }
            None => {
                let (int, frac) = positional_parts(x);
                format!("{int:>pad_left$}.{frac:<precision$}")
            }
        }
    }
}

/// NumPy's rule for switching the whole array to scientific notation: the
/// largest magnitude is at least 1e8, or among the non-zero finite values the
/// smallest is below 1e-4 or more than 1000 times smaller than the largest.
fn needs_scientific(finite: &[f64]) -> bool {
    let mut abs_non_zero = finite.iter().map(|x| x.abs()).filter(|&a| a != 0.0);
    let Some(first) = abs_non_zero.next() else {
        return false;
    };
    let (min, max) = abs_non_zero.fold((first, first), |(lo, hi), a| (lo.min(a), hi.max(a)));
    max >= 1e8 || min < 1e-4 || max / min > 1e3
}

/// Width chosen for every element of an integer array (NumPy's `IntegerFormat`).
struct IntFormat {
    /// Characters in the longer of the shown minimum and maximum.
    width: usize,
}

impl IntFormat {
    /// Right-aligns to the longer of `str(max)` and `str(min)`.
    fn new(shown: &[i64]) -> Self {
        let len = |v: Option<&i64>| v.map_or(0, |v| v.to_string().len());
        IntFormat {
            width: len(shown.iter().max()).max(len(shown.iter().min())),
        }
    }

    /// One element, right-aligned to the common width.
    fn element(&self, x: i64) -> String {
        format!("{x:>width$}", width = self.width)
    }
}

/// Row-major array walked as `_formatArray` walks it.
struct Layout<'a, T> {
    data: &'a [T],
    dims: &'a [usize],
    /// Elements between consecutive indices of each axis.
    strides: Vec<usize>,
    /// Whether axes longer than `2 * EDGE_ITEMS` are cut to their edges.
    summarise: bool,
}

impl<T: Copy> Layout<'_, T> {
    /// The indices shown along `axis`, `None` marking the summary `...`.
    fn indices(&self, axis: usize) -> Vec<Option<usize>> {
        let len = self.dims[axis];
        if self.summarise && len > 2 * EDGE_ITEMS {
            let lead = (0..EDGE_ITEMS).map(Some);
            let trail = (len - EDGE_ITEMS..len).map(Some);
            lead.chain(std::iter::once(None)).chain(trail).collect()
        } else {
            (0..len).map(Some).collect()
        }
    }

    /// Appends the elements that will be printed (`_leading_trailing`).
    fn collect_shown(&self, axis: usize, offset: usize, out: &mut Vec<T>) {
        if axis == self.dims.len() {
            out.push(self.data[offset]);
            return;
        }
        for i in self.indices(axis).into_iter().flatten() {
            self.collect_shown(axis + 1, offset + i * self.strides[axis], out);
        }
    }

    /// `_formatArray`'s `recurser`: the sub-array at `offset` from `axis` on,
    /// continuation lines starting with `hanging`, lines at most `width` long.
    fn recurse(
        &self,
        element: &impl Fn(T) -> String,
        axis: usize,
        offset: usize,
        hanging: &str,
        width: usize,
    ) -> String {
        if axis == self.dims.len() {
            return element(self.data[offset]);
        }
        // one more column of indent and one less of width for this axis's "[" and "]"
        let next_hanging = format!("{hanging} ");
        let next_width = width.saturating_sub(1);
        let item = |index: Option<usize>| match index {
            Some(i) => {
                let offset = offset + i * self.strides[axis];
                self.recurse(element, axis + 1, offset, &next_hanging, next_width)
            }
            None => SUMMARY.to_string(),
        };
        let indices = self.indices(axis);
        let axes_left = self.dims.len() - axis;
        let body = if axes_left == 1 {
            let mut s = String::new();
            let mut line = hanging.to_string();
            for (n, &index) in indices.iter().enumerate() {
                if n > 0 {
                    line.push(' ');
                }
                extend_line(
                    &mut s,
                    &mut line,
                    &item(index),
                    width.saturating_sub(1),
                    hanging,
                );
            }
            s + &line
        } else {
            let items: Vec<String> = indices
                .iter()
                .map(|&index| format!("{hanging}{}", item(index)))
                .collect();
            items.join(&"\n".repeat(axes_left - 1))
        };
        format!("[{}]", &body[hanging.len()..])
    }
}

/// `_extendLine`: appends `word` to `line`, first moving `line` into `s` and
/// starting a new one at `prefix` if it would grow past `width` (unless the
/// line holds nothing but the prefix, where wrapping would not help).
fn extend_line(s: &mut String, line: &mut String, word: &str, width: usize, prefix: &str) {
    if line.len() + word.len() > width && line.len() > prefix.len() {
        s.push_str(line.trim_end());
        s.push('\n');
        *line = prefix.to_string();
    }
    line.push_str(word);
}

/// `_array2string` + `_formatArray` for an array of rank >= 1: the element
/// formatter is built from the shown elements only, as NumPy does.
fn format_array<T: Copy, G: Fn(T) -> String>(
    data: &[T],
    dims: &[usize],
    make_element: impl FnOnce(&[T]) -> G,
) -> String {
    if data.is_empty() {
        return "[]".to_string();
    }
    let mut strides = vec![1; dims.len()];
    for axis in (0..dims.len() - 1).rev() {
        strides[axis] = strides[axis + 1] * dims[axis + 1];
    }
    let layout = Layout {
        data,
        dims,
        strides,
        summarise: data.len() > THRESHOLD,
    };
    let mut shown = Vec::new();
    layout.collect_shown(0, 0, &mut shown);
    let element = make_element(&shown);
    layout.recurse(&element, 0, 0, " ", LINE_WIDTH)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses a table's space-separated element reprs.
    fn parse<T: std::str::FromStr>(data: &str) -> Vec<T>
    where
        T::Err: std::fmt::Debug,
    {
        data.split_whitespace()
            .map(|v| v.parse().expect("table value parses"))
            .collect()
    }

    /// Runs `cases` through `format`, reporting every mismatch at once.
    fn check_table<T: std::str::FromStr>(
        cases: &[(&[usize], &str, &str)],
        format: fn(&[T], &[usize]) -> String,
    ) where
        T::Err: std::fmt::Debug,
    {
        let failures: Vec<String> = cases
            .iter()
            .filter_map(|&(dims, data, want)| {
                let got = format(&parse(data), dims);
                (got != want)
                    .then(|| format!("dims {dims:?} data {data}\nwant:\n{want}\ngot:\n{got}"))
            })
            .collect();
        assert!(
            failures.is_empty(),
            "{} of {} cases differ:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n\n")
        );
    }

    #[test]
    fn f64_arrays_match_numpy() {
        check_table(F64_CASES, format_f64_array);
    }

    #[test]
    fn i64_arrays_match_numpy() {
        check_table(I64_CASES, format_i64_array);
    }

    #[test]
    fn py_floats_match_python_repr() {
        for &repr in PY_FLOAT_CASES {
            let x: f64 = repr.parse().unwrap();
            assert_eq!(format_py_float(x), repr);
        }
    }

    #[test]
    fn generated_arrays_match_numpy() {
        for &(dims, k, m, scale, offset, is_int, want) in GEN_CASES {
            let n: usize = dims.iter().product();
            let base = (0..n).map(|i| (i * k) % m);
            let got = if is_int {
                let data: Vec<i64> = base
                    .map(|b| b as i64 * scale as i64 + offset as i64)
                    .collect();
                format_i64_array(&data, dims)
            } else {
                let data: Vec<f64> = base.map(|b| b as f64 * scale + offset).collect();
                format_f64_array(&data, dims)
            };
            assert_eq!(
                got, want,
                "dims {dims:?} k {k} m {m} scale {scale} offset {offset}"
            );
        }
    }

    #[test]
    #[should_panic(expected = "do not fill shape")]
    fn wrong_length_panics() {
        format_f64_array(&[1.0, 2.0, 3.0], &[2, 2]);
    }

    // Generated by tools/numpy_fmt_cases.py with NumPy 2.4.6.
    /// `(dims, data, print(np.array(data, dtype=float64).reshape(dims)))`.
    #[rustfmt::skip]
    const F64_CASES: &[(&[usize], &str, &str)] = &[
        (&[2, 2], "0.3745401188473625 0.9507143064099162 0.7319939418114051 0.5986584841970366", "[[0.37454012 0.95071431]\n [0.73199394 0.59865848]]"),
        (&[2, 1], "0.15601864044243652 0.15599452033620265", "[[0.15601864]\n [0.15599452]]"),
        (&[4, 1], "0.5389227351340603 0.5513239428462114 0.5510619022592611 0.5611703331248984", "[[0.53892274]\n [0.55132394]\n [0.5510619 ]\n [0.56117033]]"),
        (&[4, 1], "-0.13391422698992794 0.11098713554949181 0.1110640001138629 -0.13819279071085655", "[[-0.13391423]\n [ 0.11098714]\n [ 0.111064  ]\n [-0.13819279]]"),
        (&[4, 2], "-0.005223278907717099 -0.005222471401371793 0.003797239308193113 0.003962576273927168 0.004183572203886911 0.0034831721295613487 -0.0040265941114905794 -0.0031148155463780855", "[[-0.00522328 -0.00522247]\n [ 0.00379724  0.00396258]\n [ 0.00418357  0.00348317]\n [-0.00402659 -0.00311482]]"),
        (&[2, 2], "0.37469709693975883 0.9510826629930994 0.7317645870081076 0.5995062449245857", "[[0.3746971  0.95108266]\n [0.73176459 0.59950624]]"),
        (&[2, 1], "0.12596692131489062 0.12678415913393615", "[[0.12596692]\n [0.12678416]]"),
        (&[4, 1], "0.5315519038605548 0.5416275622560276 0.5414299800247802 0.5496500846677069", "[[0.5315519 ]\n [0.54162756]\n [0.54142998]\n [0.54965008]]"),
        (&[2, 2], "-0.00015697809239633136 -0.0003683565831832632 0.0002293548032974665 -0.0008477607275490825", "[[-0.00015698 -0.00036836]\n [ 0.00022935 -0.00084776]]"),
        (&[], "0.5041027385450144", "0.5041027385450144"),
        (&[2], "0.5 0.25", "[0.5  0.25]"),
        (&[2], "1.0 2.0", "[1. 2.]"),
        (&[3], "0.30000000000000004 0.3333333333333333 0.6666666666666666", "[0.3        0.33333333 0.66666667]"),
        (&[2], "0.999999999 0.5", "[1.  0.5]"),
        (&[2], "0.999999995 1.5", "[1.  1.5]"),
        (&[1], "1e-05", "[1.e-05]"),
        (&[2], "1e-05 1.0", "[1.e-05 1.e+00]"),
        (&[1], "123456789.0", "[1.23456789e+08]"),
        (&[1], "99999999.0", "[99999999.]"),
        (&[1], "99999999.5", "[99999999.5]"),
        (&[1], "1e+16", "[1.e+16]"),
        (&[2], "-0.0 1.0", "[-0.  1.]"),
        (&[1], "-0.0", "[-0.]"),
        (&[1], "0.0", "[0.]"),
        (&[2], "0.0 0.0", "[0. 0.]"),
        (&[2], "-0.0 1e-05", "[-0.e+00  1.e-05]"),
        (&[2], "0.001953125 0.005859375", "[0.00195312 0.00585938]"),
        (&[1], "0.0001", "[0.0001]"),
        (&[2], "0.0001 0.1", "[0.0001 0.1   ]"),
        (&[1], "9.999999999e-05", "[1.e-04]"),
        (&[2], "1.0 1000.0", "[   1. 1000.]"),
        (&[2], "1.0 1000.0000001", "[1.e+00 1.e+03]"),
        (&[2], "1.0 1001.0", "[1.000e+00 1.001e+03]"),
        (&[2], "5e-324 1.0", "[5.e-324 1.e+000]"),
        (&[2], "1.7976931348623157e+308 -1.0", "[ 1.79769313e+308 -1.00000000e+000]"),
        (&[2], "1e-05 1e-100", "[1.e-005 1.e-100]"),
        (&[2], "1.5e-05 10000000000.0", "[1.5e-05 1.0e+10]"),
        (&[2], "9.9999999999e-05 0.001", "[1.e-04 1.e-03]"),
        (&[2], "0.12345678949 0.5", "[0.12345679 0.5       ]"),
        (&[2], "0.123456785 1.0", "[0.12345678 1.        ]"),
        (&[1], "nan", "[nan]"),
        (&[1], "inf", "[inf]"),
        (&[1], "-inf", "[-inf]"),
        (&[3], "nan -inf inf", "[ nan -inf  inf]"),
        (&[3], "nan 1.5 -inf", "[ nan  1.5 -inf]"),
        (&[2], "nan 1e-07", "[   nan 1.e-07]"),
        (&[3], "inf -1e+20 3.0", "[    inf -1.e+20  3.e+00]"),
        (&[2], "nan 0.0", "[nan  0.]"),
        (&[2], "-inf 0.12345678", "[      -inf 0.12345678]"),
        (&[2], "1e+300 1e-300", "[1.e+300 1.e-300]"),
        (&[1], "-1e-300", "[-1.e-300]"),
        (&[3], "2.5 -2.5 0.125", "[ 2.5   -2.5    0.125]"),
        (&[2], "10000000.0 12345678.9", "[10000000.  12345678.9]"),
        (&[1], "-99999999.99999", "[-99999999.99999]"),
        (&[3], "0.3 0.7 0.1", "[0.3 0.7 0.1]"),
        (&[2], "100.0 0.1", "[100.    0.1]"),
        (&[3], "0.0001 0.1 0.09999", "[0.0001  0.1     0.09999]"),
        (&[2], "4.35 100.0", "[  4.35 100.  ]"),
        (&[2], "9007199254740992.0 1.0", "[9.00719925e+15 1.00000000e+00]"),
        (&[2, 2], "1.0 -2.5 3.25 4.0", "[[ 1.   -2.5 ]\n [ 3.25  4.  ]]"),
        (&[2, 1], "nan 1.0", "[[nan]\n [ 1.]]"),
        (&[2, 2], "-0.0 0.0 0.0 -0.0", "[[-0.  0.]\n [ 0. -0.]]"),
        (&[3, 4], "0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0", "[[0. 0. 0. 0.]\n [0. 0. 0. 0.]\n [0. 0. 0. 0.]]"),
        (&[2, 3, 2], "1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0", "[[[1. 1.]\n  [1. 1.]\n  [1. 1.]]\n\n [[1. 1.]\n  [1. 1.]\n  [1. 1.]]]"),
        (&[1], "8.50581841378674e-09", "[8.50581841e-09]"),
        (&[2], "3.848072035585418e-10 6.698876412602103e-11", "[3.84807204e-10 6.69887641e-11]"),
        (&[3], "9.995861949071899e-10 1.0442584944857044e-11 2.272127162666651e-09", "[9.99586195e-10 1.04425849e-11 2.27212716e-09]"),
        (&[5], "9.100635507892421e-11 9.118239286341567e-13 1.051744490159435e-11 2.4954666580287473e-12 2.4112953097049374e-09", "[9.10063551e-11 9.11823929e-13 1.05174449e-11 2.49546666e-12\n 2.41129531e-09]"),
        (&[8], "2.5567044782626872e-09 2.7326914084667304e-10 3.833781333011101e-11 2.365765552350882e-11 1.0199361297218719e-11 1.121978109973925e-12 1.2901266498503602e-12 2.2678299646474462e-10", "[2.55670448e-09 2.73269141e-10 3.83378133e-11 2.36576555e-11\n 1.01993613e-11 1.12197811e-12 1.29012665e-12 2.26782996e-10]"),
        (&[2, 2], "5.372010343504749e-12 1.5397033266723396e-12 3.4760089810054943e-13 4.8503975796044547e-11", "[[5.37201034e-12 1.53970333e-12]\n [3.47600898e-13 4.85039758e-11]]"),
        (&[3, 1], "1.6611002409706055e-12 5.758964292731888e-10 0.0", "[[1.66110024e-12]\n [5.75896429e-10]\n [0.00000000e+00]]"),
        (&[4, 1], "9.873539302372878e-10 3.9270817480386495e-10 8.344595519557056e-12 1.9922514436692018e-11", "[[9.87353930e-10]\n [3.92708175e-10]\n [8.34459552e-12]\n [1.99225144e-11]]"),
        (&[1, 4], "1.9725112235783066e-10 3.5699827023943862e-12 6.819482294954783e-13 9.388994747031025e-11", "[[1.97251122e-10 3.56998270e-12 6.81948229e-13 9.38899475e-11]]"),
        (&[2, 3], "-7.084339677279765e-09 -4.087971028027664e-11 0.0 -8.249692564021428e-12 0.0 0.0", "[[-7.08433968e-09 -4.08797103e-11  0.00000000e+00]\n [-8.24969256e-12  0.00000000e+00  0.00000000e+00]]"),
        (&[4, 3], "8.347959605994202e-13 4.085579594431344e-12 2.860802807908676e-12 2.1750842555332453e-10 1.0159972703665246e-10 2.101739223297183e-10 1.3521411704922296e-09 6.712590613437148e-13 9.76914812251538e-12 5.374405751118367e-12 5.1142414492077725e-12 2.9378051916840186e-09", "[[8.34795961e-13 4.08557959e-12 2.86080281e-12]\n [2.17508426e-10 1.01599727e-10 2.10173922e-10]\n [1.35214117e-09 6.71259061e-13 9.76914812e-12]\n [5.37440575e-12 5.11424145e-12 2.93780519e-09]]"),
        (&[1], "1.0377353252891122e-06", "[1.03773533e-06]"),
        (&[2], "3.501550581713782e-06 -7.300399796007011e-05", "[ 3.50155058e-06 -7.30039980e-05]"),
        (&[3], "3.437397354932128e-05 3.7974974273091706e-06 -7.646530967453095e-06", "[ 3.43739735e-05  3.79749743e-06 -7.64653097e-06]"),
        (&[5], "1.6475470769859417e-06 3.592233496473444e-07 0.0 0.0 2.808141158850951e-06", "[1.64754708e-06 3.59223350e-07 0.00000000e+00 0.00000000e+00\n 2.80814116e-06]"),
        (&[8], "6.866230233529764e-06 4.679925523495961e-07 0.0 0.00012954865505213534 9.018572219161946e-06 0.00019748563971715917 9.804620800702993e-07 9.250106635116767e-06", "[6.86623023e-06 4.67992552e-07 0.00000000e+00 1.29548655e-04\n 9.01857222e-06 1.97485640e-04 9.80462080e-07 9.25010664e-06]"),
        (&[2, 2], "3.700128865302735e-05 2.7376507631066845e-06 9.03804933221817e-06 1.9289491983699404e-05", "[[3.70012887e-05 2.73765076e-06]\n [9.03804933e-06 1.92894920e-05]]"),
        (&[3, 1], "-3.7388976720469323e-06 -7.0541298261630525e-06 0.00010169614136402064", "[[-3.73889767e-06]\n [-7.05412983e-06]\n [ 1.01696141e-04]]"),
        (&[4, 1], "4.941989202687054e-05 6.073535427831428e-07 1.2869722638755284e-05 4.270395201412265e-05", "[[4.94198920e-05]\n [6.07353543e-07]\n [1.28697226e-05]\n [4.27039520e-05]]"),
        (&[1, 4], "0.00018436920125165573 0.0 6.0325776820405564e-05 4.5969023449095204e-05", "[[1.84369201e-04 0.00000000e+00 6.03257768e-05 4.59690234e-05]]"),
        (&[2, 3], "9.330302622452507e-05 1.4936966735286443e-05 1.7009806696977267e-05 5.2272392510200746e-06 1.3681025623145218e-06 1.0584669906805808e-06", "[[9.33030262e-05 1.49369667e-05 1.70098067e-05]\n [5.22723925e-06 1.36810256e-06 1.05846699e-06]]"),
        (&[4, 3], "2.6848286584112803e-06 7.26739482508886e-07 3.230858615378713e-05 0.00014374396425027126 0.00019035678527957152 1.05407682794659e-05 0.0005600236508122642 1.678760113067476e-05 0.0 3.8619260864482783e-05 8.008621408795343e-06 0.0", "[[2.68482866e-06 7.26739483e-07 3.23085862e-05]\n [1.43743964e-04 1.90356785e-04 1.05407683e-05]\n [5.60023651e-04 1.67876011e-05 0.00000000e+00]\n [3.86192609e-05 8.00862141e-06 0.00000000e+00]]"),
        (&[1], "7.347065180387047e-05", "[7.34706518e-05]"),
        (&[2], "0.0024317360448548684 5.4166722729888316e-05", "[2.43173604e-03 5.41667227e-05]"),
        (&[3], "-0.0001583300170368746 -0.00021711619315596865 0.00021639399938812542", "[-0.00015833 -0.00021712  0.00021639]"),
        (&[5], "-0.00846213790202772 0.0017230766128511297 0.00014809858955418186 -0.0004442121163250346 -0.002793949675250635", "[-0.00846214  0.00172308  0.0001481  -0.00044421 -0.00279395]"),
        (&[8], "0.00013057608326989188 9.118084242964803e-05 0.001006557483177242 8.07393923800919e-05 0.004514154421398938 0.008381076210830347 0.0006976462206143685 0.000141057311914952", "[1.30576083e-04 9.11808424e-05 1.00655748e-03 8.07393924e-05\n 4.51415442e-03 8.38107621e-03 6.97646221e-04 1.41057312e-04]"),
        (&[2, 2], "0.003965509844107902 0.0018020035611620937 3.5203701146229585e-05 0.0010096122381750366", "[[3.96550984e-03 1.80200356e-03]\n [3.52037011e-05 1.00961224e-03]]"),
        (&[3, 1], "0.00013287743849063553 0.0005528764034782363 0.0", "[[0.00013288]\n [0.00055288]\n [0.        ]]"),
        (&[4, 1], "0.0006159554968293208 0.00568007866209506 0.0028791715786722254 0.0016156695228224857", "[[0.00061596]\n [0.00568008]\n [0.00287917]\n [0.00161567]]"),
        (&[1, 4], "-0.005318602940030953 0.0006884426499493218 5.9660122051303087e-05 -0.0006832469269145559", "[[-5.31860294e-03  6.88442650e-04  5.96601221e-05 -6.83246927e-04]]"),
        (&[2, 3], "-0.0016500311295321545 -0.0002734032822498152 0.0 -0.0008900791287475264 -0.007161418723252444 0.0", "[[-0.00165003 -0.0002734   0.        ]\n [-0.00089008 -0.00716142  0.        ]]"),
        (&[4, 3], "0.00013101098764402392 0.0011528508521710251 0.0 0.0004970183812079124 0.0001222169522246679 0.0 0.000718579726477341 0.006383116285157033 0.0003761384901294577 7.570801752397468e-05 0.005132170609639905 0.0006581453269439261", "[[1.31010988e-04 1.15285085e-03 0.00000000e+00]\n [4.97018381e-04 1.22216952e-04 0.00000000e+00]\n [7.18579726e-04 6.38311629e-03 3.76138490e-04]\n [7.57080175e-05 5.13217061e-03 6.58145327e-04]]"),
        (&[1], "-0.0005912772403790731", "[-0.00059128]"),
        (&[2], "-0.02027479592458894 0.07526077522206717", "[-0.0202748   0.07526078]"),
        (&[3], "0.0 -0.017755793262251428 0.0", "[ 0.         -0.01775579  0.        ]"),
        (&[5], "0.28334490247406896 0.0 0.006213933084676189 0.0045730796008488 0.0013637632999954504", "[0.2833449  0.         0.00621393 0.00457308 0.00136376]"),
        (&[8], "0.02386344802903733 -0.002166123757076022 -0.20565583697806203 -0.0012838489163715023 0.04520258621748714 0.0016236813056957043 0.004271387060566222 -0.5363513787232147", "[ 0.02386345 -0.00216612 -0.20565584 -0.00128385  0.04520259  0.00162368\n  0.00427139 -0.53635138]"),
        (&[2, 2], "0.1428866473552341 0.0 0.0 0.0007107111706107383", "[[0.14288665 0.        ]\n [0.         0.00071071]]"),
        (&[3, 1], "0.0002814717592753827 0.07599725895048735 0.02016895393642035", "[[0.00028147]\n [0.07599726]\n [0.02016895]]"),
        (&[4, 1], "0.0040227485668529505 0.033747251539476296 0.27528058484147677 0.0", "[[0.00402275]\n [0.03374725]\n [0.27528058]\n [0.        ]]"),
        (&[1, 4], "0.03800569976731619 0.06808030115689949 0.08432822547207296 0.006316869011850917", "[[0.0380057  0.0680803  0.08432823 0.00631687]]"),
        (&[2, 3], "0.1513571025979134 -0.18808774948921692 -0.13690798338513357 -0.012660797759854677 0.02819694380873073 0.3766468125469011", "[[ 0.1513571  -0.18808775 -0.13690798]\n [-0.0126608   0.02819694  0.37664681]]"),
        (&[4, 3], "0.3920576347575634 0.002750517659756414 0.06903834415382626 0.02603608050473097 0.04241248678582539 0.002742691499741471 0.03297311081244565 0.7090469211314927 0.0040031198227593245 0.026650283410529312 0.00018213042337815813 0.01084738146828122", "[[3.92057635e-01 2.75051766e-03 6.90383442e-02]\n [2.60360805e-02 4.24124868e-02 2.74269150e-03]\n [3.29731108e-02 7.09046921e-01 4.00311982e-03]\n [2.66502834e-02 1.82130423e-04 1.08473815e-02]]"),
        (&[1], "4.062790914960226", "[4.06279091]"),
        (&[2], "-0.8472287827060694 -1.3195416998585494", "[-0.84722878 -1.3195417 ]"),
        (&[3], "0.0 0.463999304122466 0.09842054235531394", "[0.         0.4639993  0.09842054]"),
        (&[5], "1.4021525246434676 0.8369902269613668 0.35963733514011753 0.2952766326987394 2.405389607232309", "[1.40215252 0.83699023 0.35963734 0.29527663 2.40538961]"),
        (&[8], "0.24096514176611147 0.0 1.492141600664394 0.014620825198208367 1.0519645151810617 0.37308149523743517 0.0 0.11148358646130485", "[0.24096514 0.         1.4921416  0.01462083 1.05196452 0.3730815\n 0.         0.11148359]"),
        (&[2, 2], "1.6311810340241404 0.4381455969357565 0.7848905030213631 5.987717882345263", "[[1.63118103 0.4381456 ]\n [0.7848905  5.98771788]]"),
        (&[3, 1], "6.521983120722526 3.850985155727142 -1.5348551873899594", "[[ 6.52198312]\n [ 3.85098516]\n [-1.53485519]]"),
        (&[4, 1], "0.08063792802349243 0.042227100258816076 4.5947240906995175 -0.047083880680908144", "[[ 0.08063793]\n [ 0.0422271 ]\n [ 4.59472409]\n [-0.04708388]]"),
        (&[1, 4], "0.20132569942259435 1.045246286902365 0.05177086395097724 1.153972887287367", "[[0.2013257  1.04524629 0.05177086 1.15397289]]"),
        (&[2, 3], "-0.2569359861132795 0.1720680429069867 -0.09201285197448948 0.34057233525863145 3.417990340209896 0.07695451544226697", "[[-0.25693599  0.17206804 -0.09201285]\n [ 0.34057234  3.41799034  0.07695452]]"),
        (&[4, 3], "2.027930817130053 1.1731473158198855 2.674317779241257 0.10489286399506162 0.4729666684002085 0.10265160122996994 1.7708173448971565 0.8276016006129631 0.744014558173947 3.989202753578978 0.40626007370762435 0.3428073534669003", "[[2.02793082 1.17314732 2.67431778]\n [0.10489286 0.47296667 0.1026516 ]\n [1.77081734 0.8276016  0.74401456]\n [3.98920275 0.40626007 0.34280735]]"),
        (&[1], "16.355195877094236", "[16.35519588]"),
        (&[2], "24.399582758999543 1.4780359465661026", "[24.39958276  1.47803595]"),
        (&[3], "23.07666945625153 -6.9954540880928935 -1.0481567895319646", "[23.07666946 -6.99545409 -1.04815679]"),
        (&[5], "38.74266603714694 0.7451421482010311 25.82279876083574 3.339800394985808 1.6965096924514593", "[38.74266604  0.74514215 25.82279876  3.33980039  1.69650969]"),
        (&[8], "1.1176991200535782 1.5348327930360088 1.2665242021626701 0.7032178832447212 0.5637333743882795 4.7591394811288446 0.21983434006955913 0.9910062577788672", "[1.11769912 1.53483279 1.2665242  0.70321788 0.56373337 4.75913948\n 0.21983434 0.99100626]"),
        (&[2, 2], "-0.8368872424105959 -7.759093676063644 32.670116715847094 -10.533859034685257", "[[ -0.83688724  -7.75909368]\n [ 32.67011672 -10.53385903]]"),
        (&[3, 1], "19.82959767667672 3.445644870051442 3.644868686390108", "[[19.82959768]\n [ 3.44564487]\n [ 3.64486869]]"),
        (&[4, 1], "1.9139356890424621 11.048942716754553 11.147426915804097 9.756880239425156", "[[ 1.91393569]\n [11.04894272]\n [11.14742692]\n [ 9.75688024]]"),
        (&[1, 4], "15.204673472365323 7.861781582545168 15.225713696469024 13.9160588371859", "[[15.20467347  7.86178158 15.2257137  13.91605884]]"),
        (&[2, 3], "0.568502540049311 1.1752106325031848 5.130398307736885 4.36143230325621 33.66562849716088 3.5828084926207766", "[[ 0.56850254  1.17521063  5.13039831]\n [ 4.3614323  33.6656285   3.58280849]]"),
        (&[4, 3], "39.4863501080966 3.0173265415287767 31.783661177117626 6.104077642828477 3.4419432535519476 0.0 1.277558631122083 1.080406758830342 2.291575813140372 12.67162255503278 3.1873745471473307 1.263228919423597", "[[39.48635011  3.01732654 31.78366118]\n [ 6.10407764  3.44194325  0.        ]\n [ 1.27755863  1.08040676  2.29157581]\n [12.67162256  3.18737455  1.26322892]]"),
        (&[1], "122.54461174268113", "[122.54461174]"),
        (&[2], "0.0 44.259194749648216", "[ 0.         44.25919475]"),
        (&[3], "10.194399821409574 0.0 0.0", "[10.19439982  0.          0.        ]"),
        (&[5], "-24.99874439782901 33.93655801806087 -13.217866897148564 -13.782716838509497 82.53193261842955", "[-24.9987444   33.93655802 -13.2178669  -13.78271684  82.53193262]"),
        (&[8], "74.71727745350563 0.0 24.764474878164314 8.30808695082592 4.338909161679949 81.00524226398622 19.530880641873622 18.69898051237331", "[74.71727745  0.         24.76447488  8.30808695  4.33890916 81.00524226\n 19.53088064 18.69898051]"),
        (&[2, 2], "10.07081971851523 464.04737328126276 27.23640151008201 64.8035721859236", "[[ 10.07081972 464.04737328]\n [ 27.23640151  64.80357219]]"),
        (&[3, 1], "261.9546879613555 237.89868785301664 0.0", "[[261.95468796]\n [237.89868785]\n [  0.        ]]"),
        (&[4, 1], "-37.42120656217918 -165.7495365472136 12.505750180626823 48.18360184131814", "[[ -37.42120656]\n [-165.74953655]\n [  12.50575018]\n [  48.18360184]]"),
        (&[1, 4], "6.3816130916542395 62.8182773209276 41.541167295902774 305.0379554336449", "[[  6.38161309  62.81827732  41.5411673  305.03795543]]"),
        (&[2, 3], "5.078596723760235 57.65265388869311 0.0 7.182502225029634 94.6547047395488 150.35746508816152", "[[  5.07859672  57.65265389   0.        ]\n [  7.18250223  94.65470474 150.35746509]]"),
        (&[4, 3], "-47.15327071721502 -93.38521341237477 -429.51479960899644 23.921328251664928 19.71504074376276 -75.35207413372332 -32.11682730040976 159.55975472941938 209.53823262610325 320.1557367376196 -62.083334457900705 -26.669576423204298", "[[ -47.15327072  -93.38521341 -429.51479961]\n [  23.92132825   19.71504074  -75.35207413]\n [ -32.1168273   159.55975473  209.53823263]\n [ 320.15573674  -62.08333446  -26.66957642]]"),
        (&[1], "438.78032218245363", "[438.78032218]"),
        (&[2], "0.0 40464.05531895319", "[    0.         40464.05531895]"),
        (&[3], "0.0 1371.3716918666698 147.96347208239231", "[   0.         1371.37169187  147.96347208]"),
        (&[5], "1281.4392552644479 -3337.536943147971 -26527.34060961114 0.0 5999.952065019372", "[  1281.43925526  -3337.53694315 -26527.34060961      0.\n   5999.95206502]"),
        (&[8], "-1104.1707267389052 246.48036587803887 -318.2413498706061 -2095.533218532565 -65.4579842496622 -77.75870064089857 236.16887880881208 0.0", "[-1104.17072674   246.48036588  -318.24134987 -2095.53321853\n   -65.45798425   -77.75870064   236.16887881     0.        ]"),
        (&[2, 2], "207.04370783238136 272.55786931792943 -6000.576626589196 -643.1146919343589", "[[  207.04370783   272.55786932]\n [-6000.57662659  -643.11469193]]"),
        (&[3, 1], "4260.738943750716 109.49507732029724 1371.787961581856", "[[4260.73894375]\n [ 109.49507732]\n [1371.78796158]]"),
        (&[4, 1], "0.0 0.0 652.9344448128857 165.75746688190972", "[[  0.        ]\n [  0.        ]\n [652.93444481]\n [165.75746688]]"),
        (&[1, 4], "0.0 -15258.956745119684 0.0 -312.178801825189", "[[     0.         -15258.95674512      0.           -312.17880183]]"),
        (&[2, 3], "2093.0551854627056 170.40243996952984 40968.922173515275 4853.769992694788 2541.1122346151337 114.84455923812395", "[[ 2093.05518546   170.40243997 40968.92217352]\n [ 4853.76999269  2541.11223462   114.84455924]]"),
        (&[4, 3], "3208.0720694471543 5688.866786703501 283.90946435411263 269.8052109026757 22078.54607366345 4217.6790315038015 20.003585032089127 106.92108486641641 8914.517801176095 223.17697077157362 4023.696572316937 881.6236686824323", "[[3.20807207e+03 5.68886679e+03 2.83909464e+02]\n [2.69805211e+02 2.20785461e+04 4.21767903e+03]\n [2.00035850e+01 1.06921085e+02 8.91451780e+03]\n [2.23176971e+02 4.02369657e+03 8.81623669e+02]]"),
        (&[1], "-509133.44913714536", "[-509133.44913715]"),
        (&[2], "625950.745983284 2357714.527304708", "[ 625950.74598328 2357714.52730471]"),
        (&[3], "-16009375.370381057 1766332.32439598 0.0", "[-16009375.37038106   1766332.32439598         0.        ]"),
        (&[5], "48227.93263988722 8610335.699864995 -50735602.81549291 -6243055.897496004 -983725.8723660707", "[ 4.82279326e+04  8.61033570e+06 -5.07356028e+07 -6.24305590e+06\n -9.83725872e+05]"),
        (&[8], "23666231.74338436 -626926.9659369515 -5548173.6869254215 0.0 -38447.28859339843 0.0 0.0 -2571882.803295986", "[23666231.74338436  -626926.96593695 -5548173.68692542        0.\n   -38447.2885934         0.                0.         -2571882.80329599]"),
        (&[2, 2], "-194745.71410217413 -504485.206216287 -398607.68567190104 318327.7678452324", "[[-194745.71410217 -504485.20621629]\n [-398607.6856719   318327.76784523]]"),
        (&[3, 1], "168076.42343479642 102894.32928254799 71266.34265475791", "[[168076.4234348 ]\n [102894.32928255]\n [ 71266.34265476]]"),
        (&[4, 1], "-201269.07863388472 -141901.75114930322 5043126.487784872 -209443.68710411745", "[[-201269.07863388]\n [-141901.7511493 ]\n [5043126.48778487]\n [-209443.68710412]]"),
        (&[1, 4], "-528587.6382522001 -963089.0354581078 161079.60796635036 0.0", "[[-528587.6382522  -963089.03545811  161079.60796635       0.        ]]"),
        (&[2, 3], "235699.29672768182 0.0 -21192792.415991306 -126834.52784372971 -454162.5028133354 -6999087.661027968", "[[   235699.29672768         0.         -21192792.41599131]\n [  -126834.52784373   -454162.50281334  -6999087.66102797]]"),
        (&[4, 3], "1130110.7663274468 547266.4736594089 15016699.079177398 356082.5465857139 3018496.563511779 3351425.482699192 6290966.069194634 113693.87904360126 79509.59169319316 4442631.689080601 37089634.06014728 384344.0397239881", "[[ 1130110.76632745   547266.47365941 15016699.0791774 ]\n [  356082.54658571  3018496.56351178  3351425.48269919]\n [ 6290966.06919463   113693.8790436     79509.59169319]\n [ 4442631.6890806  37089634.06014728   384344.03972399]]"),
        (&[1], "0.0", "[0.]"),
        (&[2], "20058207.572805174 -2816827.540252068", "[20058207.57280517 -2816827.54025207]"),
        (&[3], "317528799.015887 11954833.320736108 33941042.06025112", "[3.17528799e+08 1.19548333e+07 3.39410421e+07]"),
        (&[5], "-716349489.8917506 -3443139.260447453 224042440.3536052 60002182.89742402 -730504302.8816192", "[-7.16349490e+08 -3.44313926e+06  2.24042440e+08  6.00021829e+07\n -7.30504303e+08]"),
        (&[8], "5407849.14053117 7428738.546452923 -11114359.30444545 -804459698.7324927 -23975553.406738788 122109737.72814992 -14595173.898373242 -153787118.08898818", "[ 5.40784914e+06  7.42873855e+06 -1.11143593e+07 -8.04459699e+08\n -2.39755534e+07  1.22109738e+08 -1.45951739e+07 -1.53787118e+08]"),
        (&[2, 2], "-95889430.32452913 -61134971.01274635 -34569985.51621826 -54275598.02846227", "[[-95889430.32452913 -61134971.01274635]\n [-34569985.51621826 -54275598.02846227]]"),
        (&[3, 1], "27761989.809648164 0.0 37537969.482462086", "[[27761989.80964816]\n [       0.        ]\n [37537969.48246209]]"),
        (&[4, 1], "0.0 0.0 9087692.14958879 -68296730.9931659", "[[        0.        ]\n [        0.        ]\n [  9087692.14958879]\n [-68296730.9931659 ]]"),
        (&[1, 4], "35358964.39623727 35148115.4306801 98322617.07070781 34611969.461912", "[[35358964.39623727 35148115.4306801  98322617.07070781 34611969.461912  ]]"),
        (&[2, 3], "3586799.6380082034 154829845.85625955 663486807.5512229 4661798.96639214 6379730.33167989 5345575.743379795", "[[3.58679964e+06 1.54829846e+08 6.63486808e+08]\n [4.66179897e+06 6.37973033e+06 5.34557574e+06]]"),
        (&[4, 3], "-10628706.564154807 27589810.902246136 45287802.92137676 474017443.79022455 -3040683.8041809076 66430406.701112166 -110755190.68442555 59900929.290772475 -35313822.804582044 313471808.8187418 378706003.18549776 450816910.7396883", "[[-1.06287066e+07  2.75898109e+07  4.52878029e+07]\n [ 4.74017444e+08 -3.04068380e+06  6.64304067e+07]\n [-1.10755191e+08  5.99009293e+07 -3.53138228e+07]\n [ 3.13471809e+08  3.78706003e+08  4.50816911e+08]]"),
        (&[1], "3322228769.6669436", "[3.32222877e+09]"),
        (&[2], "4721688803.057058 53886658630.0757", "[4.72168880e+09 5.38866586e+10]"),
        (&[3], "-110993232298.50204 -323421736995.3041 -30142079058.048195", "[-1.10993232e+11 -3.23421737e+11 -3.01420791e+10]"),
        (&[5], "-96941234.96789241 1294188717.9365013 971481609.238218 1199980267.0361838 279053238859.92413", "[-9.69412350e+07  1.29418872e+09  9.71481609e+08  1.19998027e+09\n  2.79053239e+11]"),
        (&[8], "-171694288608.89056 177532654.32628545 2515558557.3965044 190828805.67512769 -84924400.26341549 36788510264.919075 -63716278256.64508 -182798858254.84534", "[-1.71694289e+11  1.77532654e+08  2.51555856e+09  1.90828806e+08\n -8.49244003e+07  3.67885103e+10 -6.37162783e+10 -1.82798858e+11]"),
        (&[2, 2], "0.0 7624634521.118693 0.0 85038120516.61977", "[[0.00000000e+00 7.62463452e+09]\n [0.00000000e+00 8.50381205e+10]]"),
        (&[3, 1], "-2297615398.113513 89228902981.23189 0.0", "[[-2.2976154e+09]\n [ 8.9228903e+10]\n [ 0.0000000e+00]]"),
        (&[4, 1], "-68228612.5023765 5635534584.308977 -5803979499.947405 22143792235.932304", "[[-6.82286125e+07]\n [ 5.63553458e+09]\n [-5.80397950e+09]\n [ 2.21437922e+10]]"),
        (&[1, 4], "3126502797.7605205 323259059303.64465 -12087966424.02649 -3423766077.5294394", "[[ 3.12650280e+09  3.23259059e+11 -1.20879664e+10 -3.42376608e+09]]"),
        (&[2, 3], "51947956443.77666 332719098711.33606 229919373.75283152 3526431431.622522 3546259510.725995 191225952.4590383", "[[5.19479564e+10 3.32719099e+11 2.29919374e+08]\n [3.52643143e+09 3.54625951e+09 1.91225952e+08]]"),
        (&[4, 3], "1769421232.2266145 119900788601.1042 0.0 655213635335.4473 464728772.03029335 0.0 4983040326.740097 4150415801.895799 1230935768.8240054 549495166.8924344 375081024.7595036 12640658308.579535", "[[1.76942123e+09 1.19900789e+11 0.00000000e+00]\n [6.55213635e+11 4.64728772e+08 0.00000000e+00]\n [4.98304033e+09 4.15041580e+09 1.23093577e+09]\n [5.49495167e+08 3.75081025e+08 1.26406583e+10]]"),
        (&[1], "103390.79673312158", "[103390.79673312]"),
        (&[2], "0.00015236980813395626 -1.4263360839897814e-06", "[ 1.52369808e-04 -1.42633608e-06]"),
        (&[3], "1278467824.4226768 0.0006835970202495571 1.2997196586049649e-08", "[1.27846782e+09 6.83597020e-04 1.29971966e-08]"),
        (&[5], "356045847967.9706 1.9112014570622972e-08 1.3448468668379589e-09 398394.1894046297 2.2915568759330264e-11", "[3.56045848e+11 1.91120146e-08 1.34484687e-09 3.98394189e+05\n 2.29155688e-11]"),
        (&[8], "0.0 0.0018018723211538224 1.4380306931189835 3.876504534339097e-09 4.7756316321286804e-06 0.0006178552013778582 0.0 -0.00013374386125234", "[ 0.00000000e+00  1.80187232e-03  1.43803069e+00  3.87650453e-09\n  4.77563163e-06  6.17855201e-04  0.00000000e+00 -1.33743861e-04]"),
        (&[2, 2], "33794735.96772101 7.264896822907181e-09 12135905.211613633 282.7442769826936", "[[3.37947360e+07 7.26489682e-09]\n [1.21359052e+07 2.82744277e+02]]"),
        (&[3, 1], "-1.7218010276881557 62784.85350101577 4.702446728427429e-08", "[[-1.72180103e+00]\n [ 6.27848535e+04]\n [ 4.70244673e-08]]"),
        (&[4, 1], "289606981.6560868 0.0 0.0 1.6510109574636444e-09", "[[2.89606982e+08]\n [0.00000000e+00]\n [0.00000000e+00]\n [1.65101096e-09]]"),
        (&[1, 4], "26637.577470077355 2.9610544763345303e-07 2.009893502362134e-05 704421253.6771195", "[[2.66375775e+04 2.96105448e-07 2.00989350e-05 7.04421254e+08]]"),
        (&[2, 3], "-835235.6336218354 0.0003208675669974278 -7.580968308275358e-12 -3.5295506439901455e-12 -1878037597.2551436 3233.4134493472234", "[[-8.35235634e+05  3.20867567e-04 -7.58096831e-12]\n [-3.52955064e-12 -1.87803760e+09  3.23341345e+03]]"),
        (&[4, 3], "1.953659017949601e-07 555.8874002033831 13851.397216260526 623929368.8715209 11593926995.194374 1.5151290708735504e-05 2163906744.8041697 22616.685903615544 57578.42822549475 0.050217276781518536 194.31857467103345 1.169066350753938e-11", "[[1.95365902e-07 5.55887400e+02 1.38513972e+04]\n [6.23929369e+08 1.15939270e+10 1.51512907e-05]\n [2.16390674e+09 2.26166859e+04 5.75784282e+04]\n [5.02172768e-02 1.94318575e+02 1.16906635e-11]]"),
        (&[1], "0.07314232705486962", "[0.07314233]"),
        (&[2], "7.6171673022924935 -3.6773750243201797", "[ 7.6171673  -3.67737502]"),
        (&[3], "82.215157017746 0.015128224148248836 0.04255652264135013", "[8.22151570e+01 1.51282241e-02 4.25565226e-02]"),
        (&[5], "0.474182449513784 6.195837471545459 0.05927215275323557 0.004014637153753643 0.5302430902056335", "[4.74182450e-01 6.19583747e+00 5.92721528e-02 4.01463715e-03\n 5.30243090e-01]"),
        (&[8], "0.1144690126955038 0.0 0.014303110520112159 0.0 3.578363695325268 0.03265644481889083 60.154101109710346 0.003556290229020468", "[1.14469013e-01 0.00000000e+00 1.43031105e-02 0.00000000e+00\n 3.57836370e+00 3.26564448e-02 6.01541011e+01 3.55629023e-03]"),
        (&[2, 2], "0.26068367293846173 0.13601589195188926 0.014079288315120808 0.09594214506065338", "[[0.26068367 0.13601589]\n [0.01407929 0.09594215]]"),
        (&[3, 1], "0.1519143420849163 0.021814177254909084 15.909804648006201", "[[ 0.15191434]\n [ 0.02181418]\n [15.90980465]]"),
        (&[4, 1], "0.0 -23.328520536980612 0.058293183609035334 -40.45248003472384", "[[  0.        ]\n [-23.32852054]\n [  0.05829318]\n [-40.45248003]]"),
        (&[1, 4], "2.0696299459150542 0.007435179536247319 1.2003980310011748 0.02741146514380775", "[[2.06962995 0.00743518 1.20039803 0.02741147]]"),
        (&[2, 3], "0.06646880758838901 0.833153780727087 1.853507604834047 0.013615869552784385 0.0 0.15157558263281154", "[[0.06646881 0.83315378 1.8535076 ]\n [0.01361587 0.         0.15157558]]"),
        (&[4, 3], "0.05934187076879175 6.92212564006133 0.05532908469489637 0.25701125375591216 0.06469352647603863 0.003288952282340431 4.94216804062726 0.010676005519999249 9.995910151894751 0.017923176150873178 53.6749858652115 15.067263287331546", "[[5.93418708e-02 6.92212564e+00 5.53290847e-02]\n [2.57011254e-01 6.46935265e-02 3.28895228e-03]\n [4.94216804e+00 1.06760055e-02 9.99591015e+00]\n [1.79231762e-02 5.36749859e+01 1.50672633e+01]]"),
        (&[4], "6.0 53.0 -2.0 94.0", "[ 6. 53. -2. 94.]"),
        (&[3, 2], "-156.0 -0.0 193.0 0.0 43.0 5.0", "[[-156.   -0.]\n [ 193.    0.]\n [  43.    5.]]"),
        (&[4], "-0.3 -0.1 -0.3 -0.0", "[-0.3 -0.1 -0.3 -0. ]"),
        (&[3, 2], "3.7 0.6 -0.7 0.5 -0.0 0.2", "[[ 3.7  0.6]\n [-0.7  0.5]\n [-0.   0.2]]"),
        (&[4], "2.03 -154.85 0.06 0.05", "[ 2.0300e+00 -1.5485e+02  6.0000e-02  5.0000e-02]"),
        (&[3, 2], "-0.01 9.83 0.0 1.84 -0.88 -256.58", "[[-1.0000e-02  9.8300e+00]\n [ 0.0000e+00  1.8400e+00]\n [-8.8000e-01 -2.5658e+02]]"),
        (&[4], "0.14 0.766 -0.767 -0.008", "[ 0.14   0.766 -0.767 -0.008]"),
        (&[3, 2], "0.024 127.439 0.927 13.106 27.867 188.331", "[[2.40000e-02 1.27439e+02]\n [9.27000e-01 1.31060e+01]\n [2.78670e+01 1.88331e+02]]"),
        (&[4], "1.6567 0.0765 0.004 -0.064", "[ 1.6567  0.0765  0.004  -0.064 ]"),
        (&[3, 2], "0.9192 -0.0045 -0.0274 -0.0495 -0.1202 0.0234", "[[ 0.9192 -0.0045]\n [-0.0274 -0.0495]\n [-0.1202  0.0234]]"),
        (&[4], "-0.02262 0.9679 99.67603 -2.0136", "[-2.262000e-02  9.679000e-01  9.967603e+01 -2.013600e+00]"),
        (&[3, 2], "0.0924 0.01276 1.74575 -0.00701 -0.0122 -3.22023", "[[ 0.0924   0.01276]\n [ 1.74575 -0.00701]\n [-0.0122  -3.22023]]"),
        (&[4], "1.026712 152.928049 -5.348666 0.158943", "[  1.026712 152.928049  -5.348666   0.158943]"),
        (&[3, 2], "-0.441881 -0.013277 0.010926 -0.213422 -4.754302 0.224857", "[[-0.441881 -0.013277]\n [ 0.010926 -0.213422]\n [-4.754302  0.224857]]"),
        (&[4], "-2.4388936 0.0071603 0.3841502 -2.4492945", "[-2.4388936  0.0071603  0.3841502 -2.4492945]"),
        (&[3, 2], "20.3769003 -0.0106184 16.0862886 0.0554475 96.7871065 73.4114673", "[[ 2.03769003e+01 -1.06184000e-02]\n [ 1.60862886e+01  5.54475000e-02]\n [ 9.67871065e+01  7.34114673e+01]]"),
        (&[4], "583.50511607 -386.226172 -0.21224547 -0.06759904", "[ 5.83505116e+02 -3.86226172e+02 -2.12245470e-01 -6.75990400e-02]"),
        (&[3, 2], "0.01122395 -0.05393327 -1.31144699 -5.25613448 -2.07637267 -14.26440651", "[[ 1.12239500e-02 -5.39332700e-02]\n [-1.31144699e+00 -5.25613448e+00]\n [-2.07637267e+00 -1.42644065e+01]]"),
        (&[4], "-0.026478473 0.037775668 -67.089900797 225.616470397", "[-2.64784730e-02  3.77756680e-02 -6.70899008e+01  2.25616470e+02]"),
        (&[3, 2], "38.696062232 19.065236776 25.937929889 0.248280523 0.006539594 217.799275774", "[[3.86960622e+01 1.90652368e+01]\n [2.59379299e+01 2.48280523e-01]\n [6.53959400e-03 2.17799276e+02]]"),
        (&[3], "99999999.9159606 100000000.0765554 99999999.94558816", "[9.99999999e+07 1.00000000e+08 9.99999999e+07]"),
        (&[3], "100000000.03229253 99999999.9592723 99999999.9803962", "[1.e+08 1.e+08 1.e+08]"),
        (&[3], "100000000.08150125 99999999.95106179 100000000.03063187", "[1.e+08 1.e+08 1.e+08]"),
        (&[3], "999.9999995992968 999.9999999758678 1000.0000004547464", "[ 999.9999996   999.99999998 1000.00000045]"),
        (&[3], "999.99999997896 1000.0000002677392 1000.0000000775498", "[ 999.99999998 1000.00000027 1000.00000008]"),
        (&[3], "1.0000000003047462 1.000000000392105 0.9999999999035769", "[1. 1. 1.]"),
        (&[3], "100000000.09259197 100000000.00679164 100000000.08410701", "[1.e+08 1.e+08 1.e+08]"),
        (&[3], "0.9999999997156875 1.0000000003942013 0.9999999995515909", "[1. 1. 1.]"),
        (&[3], "999.999999049853 999.9999995524414 999.9999996571084", "[999.99999905 999.99999955 999.99999966]"),
        (&[3], "100000000.01485515 100000000.05867442 100000000.06275876", "[1.e+08 1.e+08 1.e+08]"),
        (&[3], "100000000.09514791 99999999.99459265 99999999.99550526", "[1.e+08 1.e+08 1.e+08]"),
        (&[3], "0.9999999991043033 0.9999999998786215 1.0000000001599532", "[1. 1. 1.]"),
        (&[4], "0.5767158443882467 0.06345499322813221 0.8111906451890414 0.9328808368935846", "[0.57671584 0.06345499 0.81119065 0.93288084]"),
        (&[4], "0.024189952325652634 0.4966509389532708 0.5970244456542835 0.28085885835144725", "[0.02418995 0.49665094 0.59702445 0.28085886]"),
        (&[4], "0.5223956255324053 0.8408570743934747 0.8247008544637726 0.8701811633322205", "[0.52239563 0.84085707 0.82470085 0.87018116]"),
        (&[4], "0.5324474458726267 0.7928947633170712 0.6387195851877001 0.8155532270880461", "[0.53244745 0.79289476 0.63871959 0.81555323]"),
        (&[4], "0.635022335403554 0.19144195885058984 0.07369471004901833 0.13162368824115006", "[0.63502234 0.19144196 0.07369471 0.13162369]"),
        (&[4], "0.1394914956495616 0.8342395518418947 0.952851758126454 0.929935203120682", "[0.1394915  0.83423955 0.95285176 0.9299352 ]"),
        (&[4], "0.6986015298433943 0.598475490816483 0.4443658418481502 0.48463660135649966", "[0.69860153 0.59847549 0.44436584 0.4846366 ]"),
        (&[4], "0.898379358424208 0.41667051382896164 0.44419043545277104 0.5645398553966097", "[0.89837936 0.41667051 0.44419044 0.56453986]"),
        (&[4], "0.6415151348193071 0.4351161910058871 0.14047788517287443 0.8844729242245544", "[0.64151513 0.43511619 0.14047789 0.88447292]"),
        (&[4], "0.40324026056914614 0.8023961515581686 0.8805831032104261 0.7048093759021108", "[0.40324026 0.80239615 0.8805831  0.70480938]"),
        (&[4], "nan 2.774724191628357e-06 4.0816097363091795e-07 -inf", "[           nan 2.77472419e-06 4.08160974e-07           -inf]"),
        (&[2, 3], "nan 4.794173320938546e-06 -9.452002888621893e-06 -4.614352292522999e-06 -3.6877903633628862e-06 -inf", "[[            nan  4.79417332e-06 -9.45200289e-06]\n [-4.61435229e-06 -3.68779036e-06            -inf]]"),
        (&[4], "nan -0.169129951575383 7.683870035429711 -inf", "[        nan -0.16912995  7.68387004        -inf]"),
        (&[2, 3], "nan -0.7594673712908409 0.07518796938381328 0.17093963111023652 0.4115765487085129 inf", "[[        nan -0.75946737  0.07518797]\n [ 0.17093963  0.41157655         inf]]"),
        (&[4], "nan 2304.3923644397123 -226.68298157113432 -inf", "[          nan 2304.39236444 -226.68298157          -inf]"),
        (&[2, 3], "nan -2116.5618931359727 974.8795314721623 -34718.66980003949 -322.25437997896995 -inf", "[[            nan  -2116.56189314    974.87953147]\n [-34718.66980004   -322.25437998            -inf]]"),
        (&[4], "nan 694724180.098603 1731510481.7993653 -inf", "[           nan 6.94724180e+08 1.73151048e+09           -inf]"),
        (&[2, 3], "nan -232066608.8115344 -302359998.0212927 216480899.059976 135222226.0261888 inf", "[[            nan -2.32066609e+08 -3.02359998e+08]\n [ 2.16480899e+08  1.35222226e+08             inf]]"),
        (&[17], "-2.9922600849220418 -0.1519139424818669 -0.7644047951865494 -0.6680567251746778 -0.07823664608554134 6.589733933840023 0.38857786609792344 -0.2683930749828243 3.301846814429589 -4.190075201367511 -0.5061540167191182 0.34576075513211474 7.9875464521405375 1.3378863818981452 -3.214563348765215 -1.7746274372915714 1.8985062612471268", "[-2.99226008 -0.15191394 -0.7644048  -0.66805673 -0.07823665  6.58973393\n  0.38857787 -0.26839307  3.30184681 -4.1900752  -0.50615402  0.34576076\n  7.98754645  1.33788638 -3.21456335 -1.77462744  1.89850626]"),
        (&[2, 11], "-1.1997493872954 1.5001369088184682 -2.2517711744006728 1.6681316367616046 -2.0764930749513337 0.5225020637877302 0.051749005167709416 2.849999872585257 -0.0653865201125586 -0.6160752122789339 -1.5708733297863517 -0.7833169275069782 -0.32425987203508944 0.44374757758425354 -0.030613715743218816 5.0712836088108935 0.5938234608421402 0.06401967733757723 1.7115703520327386 4.014669711848471 0.2357906494217754 0.19277577297942491", "[[-1.19974939  1.50013691 -2.25177117  1.66813164 -2.07649307  0.52250206\n   0.05174901  2.84999987 -0.06538652 -0.61607521 -1.57087333]\n [-0.78331693 -0.32425987  0.44374758 -0.03061372  5.07128361  0.59382346\n   0.06401968  1.71157035  4.01466971  0.23579065  0.19277577]]"),
        (&[2, 2, 3], "-1.0360181080289594 0.4366627798829842 0.07960079976063651 -0.937381970175931 0.3222626460048744 -0.04931392559510945 0.1828504997218996 1.595055278079574 -0.23797964089933932 -1.0507777073034075 0.012224069215619644 0.20922330402531147", "[[[-1.03601811  0.43666278  0.0796008 ]\n  [-0.93738197  0.32226265 -0.04931393]]\n\n [[ 0.1828505   1.59505528 -0.23797964]\n  [-1.05077771  0.01222407  0.2092233 ]]]"),
        (&[17], "-9.671599983082253e-07 -9.582966062972712e-05 -2.2124132644716187e-06 -2.7170861334986387e-05 -0.0002797312981600548 0.00012952597395010914 -0.00017196332067847888 1.8595752895482918e-05 -0.00029327727250795543 -0.0002047249212106241 1.7051826630619123e-06 -1.3033952494839422e-05 -7.233293097929055e-06 0.0002364266221961425 4.209131406986108e-07 -4.021596058255265e-06 -1.7144841319617811e-06", "[-9.67159998e-07 -9.58296606e-05 -2.21241326e-06 -2.71708613e-05\n -2.79731298e-04  1.29525974e-04 -1.71963321e-04  1.85957529e-05\n -2.93277273e-04 -2.04724921e-04  1.70518266e-06 -1.30339525e-05\n -7.23329310e-06  2.36426622e-04  4.20913141e-07 -4.02159606e-06\n -1.71448413e-06]"),
        (&[2, 11], "7.3527358641809775e-06 -2.8268612845149043e-06 -0.00018293958201385667 4.843622452584233e-05 2.14962416934223e-05 1.8221118006036231e-06 7.498599499511226e-06 0.0001687444543496435 -8.319678346711094e-06 -8.935803656243284e-05 3.998343486618629e-05 4.8304370149681675e-05 0.0005182657237835813 -5.434424507080461e-06 -1.8878850635828754e-06 1.142074439148577e-06 0.0004261359262162102 -1.1481864146490724e-05 0.00025325222812305195 2.5664037193816695e-05 -3.73043711224609e-07 2.4331396436006738e-05", "[[ 7.35273586e-06 -2.82686128e-06 -1.82939582e-04  4.84362245e-05\n   2.14962417e-05  1.82211180e-06  7.49859950e-06  1.68744454e-04\n  -8.31967835e-06 -8.93580366e-05  3.99834349e-05]\n [ 4.83043701e-05  5.18265724e-04 -5.43442451e-06 -1.88788506e-06\n   1.14207444e-06  4.26135926e-04 -1.14818641e-05  2.53252228e-04\n   2.56640372e-05 -3.73043711e-07  2.43313964e-05]]"),
        (&[2, 2, 3], "0.00011933131089025774 -1.604275396740508e-05 -1.6839538246455113e-05 2.8528559699553555e-05 -3.0599339198492878e-06 2.5509950414324373e-06 -0.0005704654608376379 4.2087487837999835e-07 -3.689532116680835e-05 0.0004936484401353501 -4.9570344526419936e-06 0.0005337069916647652", "[[[ 1.19331311e-04 -1.60427540e-05 -1.68395382e-05]\n  [ 2.85285597e-05 -3.05993392e-06  2.55099504e-06]]\n\n [[-5.70465461e-04  4.20874878e-07 -3.68953212e-05]\n  [ 4.93648440e-04 -4.95703445e-06  5.33706992e-04]]]"),
        (&[17], "-175.09245439857366 -9.941858838205784 142.27616136371952 -0.22865083749792933 -219.54994283768823 15.830255534155048 -27.59965087027364 426.1947741599638 -6.720216857133079 612.4493515178526 0.8819635614534753 -3.9625181667352676 -22.03320041725336 -123.53354837556658 -15.147669614391381 -36.5755938121243 -1.1959769710498416", "[-1.75092454e+02 -9.94185884e+00  1.42276161e+02 -2.28650837e-01\n -2.19549943e+02  1.58302555e+01 -2.75996509e+01  4.26194774e+02\n -6.72021686e+00  6.12449352e+02  8.81963561e-01 -3.96251817e+00\n -2.20332004e+01 -1.23533548e+02 -1.51476696e+01 -3.65755938e+01\n -1.19597697e+00]"),
        (&[2, 11], "-20.33185795483698 130.90028020309362 -103.01199649690777 2.16817080741123 -3.555359608955534 -19.53838054647009 -375.58842900427874 -170.73267323536294 31.371307368143114 -92.55301257927428 23.668216885358067 0.5160268377047995 141.5925056328181 -7.621224948170953 -21.45311804045943 0.7259794502623766 2.0093553456998157 18.748269665339986 -284.86330665232776 297.6709953738684 -0.185261970550816 -99.6180197361535", "[[-2.03318580e+01  1.30900280e+02 -1.03011996e+02  2.16817081e+00\n  -3.55535961e+00 -1.95383805e+01 -3.75588429e+02 -1.70732673e+02\n   3.13713074e+01 -9.25530126e+01  2.36682169e+01]\n [ 5.16026838e-01  1.41592506e+02 -7.62122495e+00 -2.14531180e+01\n   7.25979450e-01  2.00935535e+00  1.87482697e+01 -2.84863307e+02\n   2.97670995e+02 -1.85261971e-01 -9.96180197e+01]]"),
        (&[2, 2, 3], "-0.709412632673183 -11.611750912917639 12.550859140552545 77.52215523395498 1.3087993886585687 -263.25443914209046 -201.93499360097468 0.8399516647105838 432.40054236790513 -78.36942086526138 -12.764475640341365 -3.736111583968056", "[[[  -0.70941263  -11.61175091   12.55085914]\n  [  77.52215523    1.30879939 -263.25443914]]\n\n [[-201.9349936     0.83995166  432.40054237]\n  [ -78.36942087  -12.76447564   -3.73611158]]]"),
        (&[17], "5864863012.436102 -148243733538.6076 -0.003694901394123067 1.1981567059213181e-09 7.740919793737147e-08 2.1355537125221477e-06 -1729023.026849573 170958.5515146999 -52757500.920342326 -3290092219.0109735 8622403.166571189 0.00046525901327163996 -0.02322563538998198 2.0368288385415077e-12 -1684148.1239134248 -7.631639793205278e-11 1.2093721322907227e-11", "[ 5.86486301e+09 -1.48243734e+11 -3.69490139e-03  1.19815671e-09\n  7.74091979e-08  2.13555371e-06 -1.72902303e+06  1.70958552e+05\n -5.27575009e+07 -3.29009222e+09  8.62240317e+06  4.65259013e-04\n -2.32256354e-02  2.03682884e-12 -1.68414812e+06 -7.63163979e-11\n  1.20937213e-11]"),
        (&[2, 11], "-0.08953568306001328 4.484944413985711e-07 33184804.21692013 -23.177057535214153 -0.03182993241319308 -2.447272990207866e-08 -0.21940961308356619 0.2975536144830289 5.8046228968266276e-05 0.021138160662657113 -0.8431529241744024 -4.087085907799972e-12 264353.10886909044 1.3680675762283833e-10 2.435715659544946e-12 -74857824.33552627 -5891511.787722463 972338.0517451067 6.316635196644866e-05 -1.1741746003308632e-05 2.3866990185149608e-05 10846399660.316257", "[[-8.95356831e-02  4.48494441e-07  3.31848042e+07 -2.31770575e+01\n  -3.18299324e-02 -2.44727299e-08 -2.19409613e-01  2.97553614e-01\n   5.80462290e-05  2.11381607e-02 -8.43152924e-01]\n [-4.08708591e-12  2.64353109e+05  1.36806758e-10  2.43571566e-12\n  -7.48578243e+07 -5.89151179e+06  9.72338052e+05  6.31663520e-05\n  -1.17417460e-05  2.38669902e-05  1.08463997e+10]]"),
        (&[2, 2, 3], "1.4329145528575168e-06 -0.004909943251418052 -100.52912734270635 -58719.21374258496 -12.43042035407004 2.7620501126175637e-09 0.00027381078055023337 -3.383784784322311e-11 -5.485090519586199e-09 115455.57836199463 1.2923659284761607e-05 6.322084528221", "[[[ 1.43291455e-06 -4.90994325e-03 -1.00529127e+02]\n  [-5.87192137e+04 -1.24304204e+01  2.76205011e-09]]\n\n [[ 2.73810781e-04 -3.38378478e-11 -5.48509052e-09]\n  [ 1.15455578e+05  1.29236593e-05  6.32208453e+00]]]"),
        (&[2, 1, 2, 2], "1.3156816180209419 -0.3413238260182866 -1.372519623903946 -3.4924426626860354 -1.150144828316108 2.2496453391987368 0.2737733535009556 -4.847572889820979", "[[[[ 1.31568162 -0.34132383]\n   [-1.37251962 -3.49244266]]]\n\n\n [[[-1.15014483  2.24964534]\n   [ 0.27377335 -4.84757289]]]]"),
        (&[3, 2, 1], "1.3417327445442395 -0.06664033318076215 -1.4177161309801927 -1.470842231154951 -0.03604096175453033 -0.13144994047582556", "[[[ 1.34173274]\n  [-0.06664033]]\n\n [[-1.41771613]\n  [-1.47084223]]\n\n [[-0.03604096]\n  [-0.13144994]]]"),
        (&[2, 0], "", "[]"),
        (&[0], "", "[]"),
        (&[], "0.1", "0.1"),
        (&[], "-0.0", "-0.0"),
        (&[], "1e+16", "1e+16"),
        (&[], "1e-05", "1e-05"),
        (&[], "123.0", "123.0"),
        (&[], "nan", "nan"),
        (&[], "-inf", "-inf"),
    ];

    /// `(dims, data, print(np.array(data, dtype=int64).reshape(dims)))`.
    #[rustfmt::skip]
    const I64_CASES: &[(&[usize], &str, &str)] = &[
        (&[4, 1], "0 1 1 0", "[[0]\n [1]\n [1]\n [0]]"),
        (&[4, 2], "0 0 0 1 1 0 1 1", "[[0 0]\n [0 1]\n [1 0]\n [1 1]]"),
        (&[1], "0", "[0]"),
        (&[1], "-1", "[-1]"),
        (&[3], "5 -12 300", "[  5 -12 300]"),
        (&[2], "9223372036854775807 -9223372036854775808", "[ 9223372036854775807 -9223372036854775808]"),
        (&[2, 2], "1 22 333 -4444", "[[    1    22]\n [  333 -4444]]"),
        (&[2, 3, 4], "0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23", "[[[ 0  1  2  3]\n  [ 4  5  6  7]\n  [ 8  9 10 11]]\n\n [[12 13 14 15]\n  [16 17 18 19]\n  [20 21 22 23]]]"),
        (&[40], "-20 -19 -18 -17 -16 -15 -14 -13 -12 -11 -10 -9 -8 -7 -6 -5 -4 -3 -2 -1 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19", "[-20 -19 -18 -17 -16 -15 -14 -13 -12 -11 -10  -9  -8  -7  -6  -5  -4  -3\n  -2  -1   0   1   2   3   4   5   6   7   8   9  10  11  12  13  14  15\n  16  17  18  19]"),
        (&[2, 1], "7 -7", "[[ 7]\n [-7]]"),
        (&[0, 3], "", "[]"),
        (&[6], "-3 4 -3 4 6 -5", "[-3  4 -3  4  6 -5]"),
        (&[3, 4], "-4 6 0 -2 -3 -7 -7 -5 -10 -1 -6 -1", "[[ -4   6   0  -2]\n [ -3  -7  -7  -5]\n [-10  -1  -6  -1]]"),
        (&[2, 13], "1 5 6 0 -10 -10 -5 -5 6 -5 -2 7 9 3 -6 2 9 -3 -10 8 -6 4 5 3 0 0", "[[  1   5   6   0 -10 -10  -5  -5   6  -5  -2   7   9]\n [  3  -6   2   9  -3 -10   8  -6   4   5   3   0   0]]"),
        (&[6], "835 -659 772 -256 -674 963", "[ 835 -659  772 -256 -674  963]"),
        (&[3, 4], "-678 -224 896 640 407 -796 -971 -737 972 238 -126 720", "[[-678 -224  896  640]\n [ 407 -796 -971 -737]\n [ 972  238 -126  720]]"),
        (&[2, 13], "665 -951 -870 -719 576 115 -627 863 154 205 692 674 -931 -481 -590 429 451 -722 -457 554 284 909 757 893 757 -722", "[[ 665 -951 -870 -719  576  115 -627  863  154  205  692  674 -931]\n [-481 -590  429  451 -722 -457  554  284  909  757  893  757 -722]]"),
        (&[6], "-538294 201025 -196504 355945 195894 634747", "[-538294  201025 -196504  355945  195894  634747]"),
        (&[3, 4], "-750050 -73308 140987 -329267 762083 520843 255631 -621295 177476 -934687 -710122 -244133", "[[-750050  -73308  140987 -329267]\n [ 762083  520843  255631 -621295]\n [ 177476 -934687 -710122 -244133]]"),
        (&[2, 13], "73761 579833 -503795 -4814 -919226 -561793 -183713 -713243 149972 -174634 57025 -879810 478015 655397 571154 -945826 -622782 -923236 -91911 -456453 49012 192651 282610 -511118 62202 -365544", "[[  73761  579833 -503795   -4814 -919226 -561793 -183713 -713243  149972\n  -174634   57025 -879810  478015]\n [ 655397  571154 -945826 -622782 -923236  -91911 -456453   49012  192651\n   282610 -511118   62202 -365544]]"),
        (&[6], "-644563305998 356869755207 719722783513 -34064806449 -132691520916 -619073241264", "[-644563305998  356869755207  719722783513  -34064806449 -132691520916\n -619073241264]"),
        (&[3, 4], "181516354648 554550503555 667944560228 -435085572939 702679570607 -174867360631 215733105625 -394988713718 420321746895 671327758867 -326930331659 860198379302", "[[ 181516354648  554550503555  667944560228 -435085572939]\n [ 702679570607 -174867360631  215733105625 -394988713718]\n [ 420321746895  671327758867 -326930331659  860198379302]]"),
        (&[2, 13], "-689423981543 550012844879 -588248913976 -729565816449 -152597288700 398150583989 218635938350 -785328662316 -648305744703 686409587551 -362327751592 -211840720071 814951269475 534998961511 -90384950472 348405164003 -929310283875 -45127817900 841523560559 -40718188147 78107759613 -597141318182 16342825996 -348585622273 -643432820818 -129170665354", "[[-689423981543  550012844879 -588248913976 -729565816449 -152597288700\n   398150583989  218635938350 -785328662316 -648305744703  686409587551\n  -362327751592 -211840720071  814951269475]\n [ 534998961511  -90384950472  348405164003 -929310283875  -45127817900\n   841523560559  -40718188147   78107759613 -597141318182   16342825996\n  -348585622273 -643432820818 -129170665354]]"),
        (&[6], "-190462499594432857 -999556077079776221 460198366481322440 -692578541100702057 866616191824911026 -533532076068657535", "[-190462499594432857 -999556077079776221  460198366481322440\n -692578541100702057  866616191824911026 -533532076068657535]"),
        (&[3, 4], "-603468007267967668 -83785393111482022 915919745049020378 502125148817711661 486902340934458283 542439450549854612 320111398436587653 78964351789532626 -792576700103535559 682983922231039243 549660868662437193 -838036436955800346", "[[-603468007267967668  -83785393111482022  915919745049020378\n   502125148817711661]\n [ 486902340934458283  542439450549854612  320111398436587653\n    78964351789532626]\n [-792576700103535559  682983922231039243  549660868662437193\n  -838036436955800346]]"),
        (&[2, 13], "23424270633038948 -869259673854684372 144892982328068994 -521477111029544565 780379045716002659 -81556996351845857 163856014011478983 -972179713815447375 -36318017047285524 -960660923341650038 43142743055306493 239227714739064324 719819495899241286 -824513516752959953 36179639678306997 -412611818080424435 903860323720326418 -658602644879541475 70211143115587704 -532557313517947520 -919757981613215721 -203019309320206539 -602324623827952919 149761741349866173 -254682091113514333 -325785704837133569", "[[  23424270633038948 -869259673854684372  144892982328068994\n  -521477111029544565  780379045716002659  -81556996351845857\n   163856014011478983 -972179713815447375  -36318017047285524\n  -960660923341650038   43142743055306493  239227714739064324\n   719819495899241286]\n [-824513516752959953   36179639678306997 -412611818080424435\n   903860323720326418 -658602644879541475   70211143115587704\n  -532557313517947520 -919757981613215721 -203019309320206539\n  -602324623827952919  149761741349866173 -254682091113514333\n  -325785704837133569]]"),
    ];

    /// `repr(x)`: parsing it gives `x` exactly, formatting `x` must give it back.
    #[rustfmt::skip]
    const PY_FLOAT_CASES: &[&str] = &[
        "0.0", "-0.0", "1.0", "5.0", "-5.0", "0.1",
        "0.30000000000000004", "0.3333333333333333", "1e-05", "0.0001", "0.0001234", "1.234e-05",
        "1e+16", "1000000000000000.0", "9999999999999998.0", "1.5e+16", "123456789.0", "1e+22",
        "1e-07", "5e-324", "2.2250738585072014e-308", "1.7976931348623157e+308", "inf", "-inf",
        "nan", "9007199254740992.0", "1.152921504606847e+18", "-1e-300", "100.0", "0.5",
        "1234567890123456.8", "0.30000000000000004", "12345.678", "1e+100", "1.25e-10", "-13694983808562.543",
        "395565.4605046833", "80530.48631436306", "-235.22756408774094", "-1.843702398946644e-11", "0.00584071235945526", "64101204502460.08",
        "343.6908134414205", "-5991521607.340816", "2.4183162899914304e+16", "3.4052240042640073e-06", "47274386.536224514", "33068925930.06846",
        "-104324.00028295645", "84086069494314.06", "6.709484945143641e-08", "-4645777.64353195", "0.0004933760860947542", "2.8076278357538288e+17",
        "-1.3422791247868319e-12", "5987844835933617.0", "-1.984283427385657e-07", "4.998281017287487e-05", "-7.888513625926925e-11", "2235704841646.9424",
        "493056494.7597315", "-118.87141733776443", "-13.909190296105113", "14099681070.952545", "-1.6724966469881064", "-5.213989500385373e-13",
        "4.234404308967594e-08", "-22907399580277.887", "1659475482946867.8", "2.6920687701791996e-08", "-5.301649733042133e+16", "1.2001953833084517e-08",
        "9.362789542771948e-06", "-0.028445503661645714", "199863165.60844094", "0.5315519",
    ];

    /// `(dims, k, m, scale, offset, is_int, print(arr))` with
    /// `arr[i] = ((i * k) % m) * scale + offset` row-major.
    type GenCase = (&'static [usize], usize, usize, f64, f64, bool, &'static str);

    /// Arrays generated from [`GenCase`] formulas.
    #[rustfmt::skip]
    const GEN_CASES: &[GenCase] = &[
        (&[1001], 1, 1000000000, 1.0, 0.0, false, "[   0.    1.    2. ...  998.  999. 1000.]"),
        (&[1001], 1, 1000000000, 1.0, 0.0, true, "[   0    1    2 ...  998  999 1000]"),
        (&[2000], 37, 101, 0.37, -3.0, false, "[-3.   10.69 24.38 ... 18.46 32.15  8.47]"),
        (&[1500, 2], 7, 13, 0.125, -0.5, false, "[[-0.5    0.375]\n [-0.375  0.5  ]\n [-0.25   0.625]\n ...\n [-0.25   0.625]\n [-0.125  0.75 ]\n [ 0.     0.875]]"),
        (&[2, 1500], 11, 97, 1.5e-05, 0.0, false, "[[0.       0.000165 0.00033  ... 0.00111  0.001275 0.00144 ]\n [0.00015  0.000315 0.00048  ... 0.00126  0.001425 0.000135]]"),
        (&[12, 12, 12], 5, 1000, 1.0, -500.0, true, "[[[-500 -495 -490 ... -455 -450 -445]\n  [-440 -435 -430 ... -395 -390 -385]\n  [-380 -375 -370 ... -335 -330 -325]\n  ...\n  [  40   45   50 ...   85   90   95]\n  [ 100  105  110 ...  145  150  155]\n  [ 160  165  170 ...  205  210  215]]\n\n [[ 220  225  230 ...  265  270  275]\n  [ 280  285  290 ...  325  330  335]\n  [ 340  345  350 ...  385  390  395]\n  ...\n  [-240 -235 -230 ... -195 -190 -185]\n  [-180 -175 -170 ... -135 -130 -125]\n  [-120 -115 -110 ...  -75  -70  -65]]\n\n [[ -60  -55  -50 ...  -15  -10   -5]\n  [   0    5   10 ...   45   50   55]\n  [  60   65   70 ...  105  110  115]\n  ...\n  [ 480  485  490 ... -475 -470 -465]\n  [-460 -455 -450 ... -415 -410 -405]\n  [-400 -395 -390 ... -355 -350 -345]]\n\n ...\n\n [[ -20  -15  -10 ...   25   30   35]\n  [  40   45   50 ...   85   90   95]\n  [ 100  105  110 ...  145  150  155]\n  ...\n  [-480 -475 -470 ... -435 -430 -425]\n  [-420 -415 -410 ... -375 -370 -365]\n  [-360 -355 -350 ... -315 -310 -305]]\n\n [[-300 -295 -290 ... -255 -250 -245]\n  [-240 -235 -230 ... -195 -190 -185]\n  [-180 -175 -170 ... -135 -130 -125]\n  ...\n  [ 240  245  250 ...  285  290  295]\n  [ 300  305  310 ...  345  350  355]\n  [ 360  365  370 ...  405  410  415]]\n\n [[ 420  425  430 ...  465  470  475]\n  [ 480  485  490 ... -475 -470 -465]\n  [-460 -455 -450 ... -415 -410 -405]\n  ...\n  [ -40  -35  -30 ...    5   10   15]\n  [  20   25   30 ...   65   70   75]\n  [  80   85   90 ...  125  130  135]]]"),
        (&[10, 10, 11], 3, 17, 1000000.0, 1.0, false, "[[[1.0000000e+00 3.0000010e+06 6.0000010e+06 ... 7.0000010e+06\n   1.0000001e+07 1.3000001e+07]\n  [1.6000001e+07 2.0000010e+06 5.0000010e+06 ... 6.0000010e+06\n   9.0000010e+06 1.2000001e+07]\n  [1.5000001e+07 1.0000010e+06 4.0000010e+06 ... 5.0000010e+06\n   8.0000010e+06 1.1000001e+07]\n  ...\n  [1.0000001e+07 1.3000001e+07 1.6000001e+07 ... 1.0000000e+00\n   3.0000010e+06 6.0000010e+06]\n  [9.0000010e+06 1.2000001e+07 1.5000001e+07 ... 1.6000001e+07\n   2.0000010e+06 5.0000010e+06]\n  [8.0000010e+06 1.1000001e+07 1.4000001e+07 ... 1.5000001e+07\n   1.0000010e+06 4.0000010e+06]]\n\n [[7.0000010e+06 1.0000001e+07 1.3000001e+07 ... 1.4000001e+07\n   1.0000000e+00 3.0000010e+06]\n  [6.0000010e+06 9.0000010e+06 1.2000001e+07 ... 1.3000001e+07\n   1.6000001e+07 2.0000010e+06]\n  [5.0000010e+06 8.0000010e+06 1.1000001e+07 ... 1.2000001e+07\n   1.5000001e+07 1.0000010e+06]\n  ...\n  [1.0000000e+00 3.0000010e+06 6.0000010e+06 ... 7.0000010e+06\n   1.0000001e+07 1.3000001e+07]\n  [1.6000001e+07 2.0000010e+06 5.0000010e+06 ... 6.0000010e+06\n   9.0000010e+06 1.2000001e+07]\n  [1.5000001e+07 1.0000010e+06 4.0000010e+06 ... 5.0000010e+06\n   8.0000010e+06 1.1000001e+07]]\n\n [[1.4000001e+07 1.0000000e+00 3.0000010e+06 ... 4.0000010e+06\n   7.0000010e+06 1.0000001e+07]\n  [1.3000001e+07 1.6000001e+07 2.0000010e+06 ... 3.0000010e+06\n   6.0000010e+06 9.0000010e+06]\n  [1.2000001e+07 1.5000001e+07 1.0000010e+06 ... 2.0000010e+06\n   5.0000010e+06 8.0000010e+06]\n  ...\n  [7.0000010e+06 1.0000001e+07 1.3000001e+07 ... 1.4000001e+07\n   1.0000000e+00 3.0000010e+06]\n  [6.0000010e+06 9.0000010e+06 1.2000001e+07 ... 1.3000001e+07\n   1.6000001e+07 2.0000010e+06]\n  [5.0000010e+06 8.0000010e+06 1.1000001e+07 ... 1.2000001e+07\n   1.5000001e+07 1.0000010e+06]]\n\n ...\n\n [[1.5000001e+07 1.0000010e+06 4.0000010e+06 ... 5.0000010e+06\n   8.0000010e+06 1.1000001e+07]\n  [1.4000001e+07 1.0000000e+00 3.0000010e+06 ... 4.0000010e+06\n   7.0000010e+06 1.0000001e+07]\n  [1.3000001e+07 1.6000001e+07 2.0000010e+06 ... 3.0000010e+06\n   6.0000010e+06 9.0000010e+06]\n  ...\n  [8.0000010e+06 1.1000001e+07 1.4000001e+07 ... 1.5000001e+07\n   1.0000010e+06 4.0000010e+06]\n  [7.0000010e+06 1.0000001e+07 1.3000001e+07 ... 1.4000001e+07\n   1.0000000e+00 3.0000010e+06]\n  [6.0000010e+06 9.0000010e+06 1.2000001e+07 ... 1.3000001e+07\n   1.6000001e+07 2.0000010e+06]]\n\n [[5.0000010e+06 8.0000010e+06 1.1000001e+07 ... 1.2000001e+07\n   1.5000001e+07 1.0000010e+06]\n  [4.0000010e+06 7.0000010e+06 1.0000001e+07 ... 1.1000001e+07\n   1.4000001e+07 1.0000000e+00]\n  [3.0000010e+06 6.0000010e+06 9.0000010e+06 ... 1.0000001e+07\n   1.3000001e+07 1.6000001e+07]\n  ...\n  [1.5000001e+07 1.0000010e+06 4.0000010e+06 ... 5.0000010e+06\n   8.0000010e+06 1.1000001e+07]\n  [1.4000001e+07 1.0000000e+00 3.0000010e+06 ... 4.0000010e+06\n   7.0000010e+06 1.0000001e+07]\n  [1.3000001e+07 1.6000001e+07 2.0000010e+06 ... 3.0000010e+06\n   6.0000010e+06 9.0000010e+06]]\n\n [[1.2000001e+07 1.5000001e+07 1.0000010e+06 ... 2.0000010e+06\n   5.0000010e+06 8.0000010e+06]\n  [1.1000001e+07 1.4000001e+07 1.0000000e+00 ... 1.0000010e+06\n   4.0000010e+06 7.0000010e+06]\n  [1.0000001e+07 1.3000001e+07 1.6000001e+07 ... 1.0000000e+00\n   3.0000010e+06 6.0000010e+06]\n  ...\n  [5.0000010e+06 8.0000010e+06 1.1000001e+07 ... 1.2000001e+07\n   1.5000001e+07 1.0000010e+06]\n  [4.0000010e+06 7.0000010e+06 1.0000001e+07 ... 1.1000001e+07\n   1.4000001e+07 1.0000000e+00]\n  [3.0000010e+06 6.0000010e+06 9.0000010e+06 ... 1.0000001e+07\n   1.3000001e+07 1.6000001e+07]]]"),
        (&[1000], 13, 23, 0.1, 0.0, false, "[0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1 0.1 1.4\n 0.4 1.7 0.7 2.  1.  0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5 0.5 1.8\n 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7 2.  1.  0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2\n 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7 2.  1.  0.  1.3 0.3\n 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7\n 2.  1.  0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1\n 0.1 1.4 0.4 1.7 0.7 2.  1.  0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5\n 0.5 1.8 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7 2.  1.  0.  1.3 0.3 1.6 0.6 1.9\n 0.9 2.2 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7 2.  1.  0.\n 1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1 0.1 1.4 0.4\n 1.7 0.7 2.  1.  0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5 0.5 1.8 0.8\n 2.1 1.1 0.1 1.4 0.4 1.7 0.7 2.  1.  0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2\n 0.2 1.5 0.5 1.8 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7 2.  1.  0.  1.3 0.3 1.6\n 0.6 1.9 0.9 2.2 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7 2.\n 1.  0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1 0.1\n 1.4 0.4 1.7 0.7 2.  1.  0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5 0.5\n 1.8 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7 2.  1.  0.  1.3 0.3 1.6 0.6 1.9 0.9\n 2.2 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7 2.  1.  0.  1.3\n 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1 0.1 1.4 0.4 1.7\n 0.7 2.  1.  0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5 0.5 1.8 0.8 2.1\n 1.1 0.1 1.4 0.4 1.7 0.7 2.  1.  0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2\n 1.5 0.5 1.8 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7 2.  1.  0.  1.3 0.3 1.6 0.6\n 1.9 0.9 2.2 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7 2.  1.\n 0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1 0.1 1.4\n 0.4 1.7 0.7 2.  1.  0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5 0.5 1.8\n 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7 2.  1.  0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2\n 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7 2.  1.  0.  1.3 0.3\n 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7\n 2.  1.  0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1\n 0.1 1.4 0.4 1.7 0.7 2.  1.  0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5\n 0.5 1.8 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7 2.  1.  0.  1.3 0.3 1.6 0.6 1.9\n 0.9 2.2 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7 2.  1.  0.\n 1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1 0.1 1.4 0.4\n 1.7 0.7 2.  1.  0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5 0.5 1.8 0.8\n 2.1 1.1 0.1 1.4 0.4 1.7 0.7 2.  1.  0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2\n 0.2 1.5 0.5 1.8 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7 2.  1.  0.  1.3 0.3 1.6\n 0.6 1.9 0.9 2.2 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7 2.\n 1.  0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1 0.1\n 1.4 0.4 1.7 0.7 2.  1.  0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5 0.5\n 1.8 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7 2.  1.  0.  1.3 0.3 1.6 0.6 1.9 0.9\n 2.2 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7 2.  1.  0.  1.3\n 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1 0.1 1.4 0.4 1.7\n 0.7 2.  1.  0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5 0.5 1.8 0.8 2.1\n 1.1 0.1 1.4 0.4 1.7 0.7 2.  1.  0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2\n 1.5 0.5 1.8 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7 2.  1.  0.  1.3 0.3 1.6 0.6\n 1.9 0.9 2.2 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7 2.  1.\n 0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1 0.1 1.4\n 0.4 1.7 0.7 2.  1.  0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5 0.5 1.8\n 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7 2.  1.  0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2\n 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7 2.  1.  0.  1.3 0.3\n 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7\n 2.  1.  0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1\n 0.1 1.4 0.4 1.7 0.7 2.  1.  0.  1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5\n 0.5 1.8 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7 2.  1.  0.  1.3 0.3 1.6 0.6 1.9\n 0.9 2.2 1.2 0.2 1.5 0.5 1.8 0.8 2.1 1.1 0.1 1.4 0.4 1.7 0.7 2.  1.  0.\n 1.3 0.3 1.6 0.6 1.9 0.9 2.2 1.2 0.2 1.5]"),
        (&[30], 3, 1000, 0.001, 0.5, false, "[0.5   0.503 0.506 0.509 0.512 0.515 0.518 0.521 0.524 0.527 0.53  0.533\n 0.536 0.539 0.542 0.545 0.548 0.551 0.554 0.557 0.56  0.563 0.566 0.569\n 0.572 0.575 0.578 0.581 0.584 0.587]"),
        (&[4, 25], 29, 31, 1000000000.0, 0.0, false, "[[0.0e+00 2.9e+10 2.7e+10 2.5e+10 2.3e+10 2.1e+10 1.9e+10 1.7e+10 1.5e+10\n  1.3e+10 1.1e+10 9.0e+09 7.0e+09 5.0e+09 3.0e+09 1.0e+09 3.0e+10 2.8e+10\n  2.6e+10 2.4e+10 2.2e+10 2.0e+10 1.8e+10 1.6e+10 1.4e+10]\n [1.2e+10 1.0e+10 8.0e+09 6.0e+09 4.0e+09 2.0e+09 0.0e+00 2.9e+10 2.7e+10\n  2.5e+10 2.3e+10 2.1e+10 1.9e+10 1.7e+10 1.5e+10 1.3e+10 1.1e+10 9.0e+09\n  7.0e+09 5.0e+09 3.0e+09 1.0e+09 3.0e+10 2.8e+10 2.6e+10]\n [2.4e+10 2.2e+10 2.0e+10 1.8e+10 1.6e+10 1.4e+10 1.2e+10 1.0e+10 8.0e+09\n  6.0e+09 4.0e+09 2.0e+09 0.0e+00 2.9e+10 2.7e+10 2.5e+10 2.3e+10 2.1e+10\n  1.9e+10 1.7e+10 1.5e+10 1.3e+10 1.1e+10 9.0e+09 7.0e+09]\n [5.0e+09 3.0e+09 1.0e+09 3.0e+10 2.8e+10 2.6e+10 2.4e+10 2.2e+10 2.0e+10\n  1.8e+10 1.6e+10 1.4e+10 1.2e+10 1.0e+10 8.0e+09 6.0e+09 4.0e+09 2.0e+09\n  0.0e+00 2.9e+10 2.7e+10 2.5e+10 2.3e+10 2.1e+10 1.9e+10]]"),
        (&[4, 25], 29, 31, 1.0, -15.0, true, "[[-15  14  12  10   8   6   4   2   0  -2  -4  -6  -8 -10 -12 -14  15  13\n   11   9   7   5   3   1  -1]\n [ -3  -5  -7  -9 -11 -13 -15  14  12  10   8   6   4   2   0  -2  -4  -6\n   -8 -10 -12 -14  15  13  11]\n [  9   7   5   3   1  -1  -3  -5  -7  -9 -11 -13 -15  14  12  10   8   6\n    4   2   0  -2  -4  -6  -8]\n [-10 -12 -14  15  13  11   9   7   5   3   1  -1  -3  -5  -7  -9 -11 -13\n  -15  14  12  10   8   6   4]]"),
        (&[1010], 1, 1000000000, 1.0, -5e+18, true, "[-5000000000000000000 -4999999999999999999 -4999999999999999998 ...\n -4999999999999998993 -4999999999999998992 -4999999999999998991]"),
        (&[7, 200], 101, 1009, 0.0123, 0.0, false, "[[ 0.      1.2423  2.4846 ...  8.9298 10.1721 11.4144]\n [ 0.246   1.4883  2.7306 ...  9.1758 10.4181 11.6604]\n [ 0.492   1.7343  2.9766 ...  9.4218 10.6641 11.9064]\n ...\n [ 0.984   2.2263  3.4686 ...  9.9138 11.1561 12.3984]\n [ 1.23    2.4723  3.7146 ... 10.1598 11.4021  0.2337]\n [ 1.476   2.7183  3.9606 ... 10.4058 11.6481  0.4797]]"),
        (&[1200], 1, 1000000000, 1.0, 1e-07, false, "[1.0000000e-07 1.0000001e+00 2.0000001e+00 ... 1.1970000e+03 1.1980000e+03\n 1.1990000e+03]"),
    ];
}
