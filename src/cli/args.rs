//! Value parsers for clap: a flag's value is checked where it is parsed, and a
//! bad one is clap's `ValueValidation` error carrying a [`Reason`], the reason
//! alone (`expected a non-negative finite number`). `main` prints it on one
//! line with the flag and the value, as the checks after parsing always have:
//! `error: --noise -1: expected a non-negative finite number`.
//!
//! Each parser takes the value as written (negative numbers reach it: the
//! flags set `allow_negative_numbers`) and refuses what does not parse with
//! the same reason as what is out of range.

use std::fmt;
use std::path::PathBuf;

/// Why a flag's value was refused, without the flag or the value (`main`
/// adds them: see [`one_line`]).
#[derive(Debug, PartialEq)]
pub struct Reason(pub String);

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Reason {}

impl From<&str> for Reason {
    fn from(s: &str) -> Reason {
        Reason(s.into())
    }
}

impl From<String> for Reason {
    fn from(s: String) -> Reason {
        Reason(s)
    }
}

/// A clap error on one line, for bad arguments (exit code 2):
/// - a value one of our parsers refused: `error: --lr -1: the learning rate
///   must be a positive finite number` (flag, value as given, [`Reason`]);
/// - any other: clap's own first paragraph with its indented lines folded in,
///   e.g. `error: invalid value 'x' for '--loss <LOSS>' [possible values:
///   mse, bce, cross-entropy]` or `error: the argument '--resume <FILE>'
///   cannot be used with '--init-from <FILE>'`. The tip and the usage that
///   follow the blank line are left out (`--help` has them).
pub fn one_line(e: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() == ErrorKind::ValueValidation {
        let reason = std::error::Error::source(e).and_then(|s| s.downcast_ref::<Reason>());
        if let (Some(reason), Some(ContextValue::String(arg)), Some(ContextValue::String(value))) = (
            reason,
            e.get(ContextKind::InvalidArg),
            e.get(ContextKind::InvalidValue),
        ) {
            // `--lr <LR>`: the flag is the first word.
            let flag = arg.split(' ').next().unwrap_or(arg);
            return format!("error: {flag} {value}: {reason}");
        }
    }
    let text = e.render().to_string();
    let mut line = String::new();
    for l in text.lines() {
        let l = l.trim();
        if l.is_empty() {
            break;
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line += l;
    }
    if line.is_empty() {
        "error: bad arguments".into()
    } else {
        line
    }
}

/// A learning rate: a positive finite number (`--lr`).
pub fn learning_rate(s: &str) -> Result<f64, Reason> {
    float_where(
        s,
        |v| v > 0.0,
        "the learning rate must be a positive finite number",
    )
}

/// A non-negative finite number (`--momentum`, `--weight-decay`, `--noise`).
pub fn non_negative(s: &str) -> Result<f64, Reason> {
    float_where(s, |v| v >= 0.0, "expected a non-negative finite number")
}

/// A fraction in `[0, 1)` (`--test-fraction`).
pub fn fraction(s: &str) -> Result<f64, Reason> {
    float_where(
        s,
        |v| (0.0..1.0).contains(&v),
        "expected a fraction in [0, 1)",
    )
}

/// A whole number of at least 1 (`--epochs`, `--checkpoint-every`, `--targets`).
/// (`--steps` of the walkthrough as `u64`).
pub fn at_least_1<T: std::str::FromStr + PartialOrd + From<u8>>(s: &str) -> Result<T, Reason> {
    match s.parse::<T>() {
        Ok(n) if n >= T::from(1) => Ok(n),
        _ => Err("expected a whole number of at least 1".into()),
    }
}

/// A number of threads, at least 1 (`--threads`).
pub fn threads(s: &str) -> Result<usize, Reason> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        Ok(_) => Err("at least one thread is needed".into()),
        Err(_) => Err("expected a whole number of threads".into()),
    }
}

/// A plot's file name, ending in `.svg` or `.png` (`--plot`).
pub fn plot_file(s: &str) -> Result<PathBuf, Reason> {
    let p = PathBuf::from(s);
    match p.extension().and_then(|e| e.to_str()) {
        Some("svg" | "png") => Ok(p),
        _ => Err("the file name must end in .svg or .png".into()),
    }
}

/// A graph's file name, ending in `.dot` or `.svg` (`walkthrough --graph`).
pub fn graph_file(s: &str) -> Result<PathBuf, Reason> {
    let p = PathBuf::from(s);
    match p.extension().and_then(|e| e.to_str()) {
        Some("dot" | "svg") => Ok(p),
        _ => Err("the file name must end in .dot or .svg".into()),
    }
}

/// A finite `f64` for which `ok` holds, else `why`.
fn float_where(s: &str, ok: impl Fn(f64) -> bool, why: &str) -> Result<f64, Reason> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && ok(v) => Ok(v),
        _ => Err(why.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A command with one arg of each kind, to see `one_line` on its errors.
    fn render(argv: &[&str]) -> String {
        use clap::{Arg, ArgAction, Command};
        let cmd = Command::new("t")
            .arg(Arg::new("a").long("a").value_parser(at_least_1::<usize>))
            .arg(Arg::new("b").long("b").action(ArgAction::SetTrue))
            .arg(Arg::new("c").long("c").action(ArgAction::SetTrue))
            .arg(
                Arg::new("d")
                    .long("d")
                    .action(ArgAction::SetTrue)
                    .conflicts_with_all(["b", "c"]),
            )
            .arg(Arg::new("e").long("e").required(true))
            .arg(Arg::new("f").long("f").required(true))
            .arg(Arg::new("g").long("g").value_parser(["x", "y"]));
        let e = cmd.try_get_matches_from(argv).unwrap_err();
        one_line(&e)
    }

    #[test]
    fn clap_errors_fold_onto_one_line() {
        let base = ["t", "--e", "1", "--f", "2"];
        let with = |extra: &[&'static str]| [&base[..], extra].concat();
        assert_eq!(
            render(&with(&["--a", "0"])),
            "error: --a 0: expected a whole number of at least 1"
        );
        assert_eq!(
            render(&with(&["--g", "z"])),
            "error: invalid value 'z' for '--g <g>' [possible values: x, y]"
        );
        assert_eq!(
            render(&["t"]),
            "error: the following required arguments were not provided: --e <e> --f <f>"
        );
        assert_eq!(
            render(&with(&["--b", "--d"])),
            "error: the argument '--b' cannot be used with '--d'"
        );
    }

    #[test]
    fn ranges_are_checked_and_nan_or_infinity_refused() {
        assert_eq!(learning_rate("0.5"), Ok(0.5));
        for bad in ["0", "-1", "nan", "inf", "x", ""] {
            assert!(learning_rate(bad).is_err(), "{bad}");
        }
        assert_eq!(non_negative("0"), Ok(0.0));
        assert!(non_negative("-0.5").is_err());
        assert_eq!(fraction("0"), Ok(0.0));
        assert!(fraction("1").is_err() && fraction("-0.25").is_err());
        assert_eq!(at_least_1::<usize>("3"), Ok(3));
        assert!(at_least_1::<u64>("0").is_err() && at_least_1::<usize>("-1").is_err());
        assert_eq!(threads("0").unwrap_err().0, "at least one thread is needed");
    }
}
