//! JSON parsing that reads every float exactly.
//!
//! Our metadata stores `f64`s (standardisation means and deviations) as JSON
//! numbers in their shortest round-trip form. `serde_json` without its
//! `float_roundtrip` feature may read such a number back one ULP off (about
//! one value in ten), so [`parse_exact`] lifts every number token into a
//! tagged string before `serde_json` sees it, then converts the tagged text
//! with Rust's correctly rounded `str::parse`: integers stay integers,
//! floats come back bit-for-bit.

use serde_json::{Map, Number, Value};

/// Marks a string that was a number token (U+0001, never in our own strings).
const TAG: char = '\u{1}';

/// Parses JSON text like `serde_json::from_str`, but with exactly rounded floats.
pub(crate) fn parse_exact(text: &str) -> Result<Value, String> {
    let tagged = tag_numbers(text);
    let value: Value = serde_json::from_str(&tagged).map_err(|e| e.to_string())?;
    untag(value)
}

/// Rewrites every number token outside strings as the string `"\u0001<token>"`.
fn tag_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    let mut chars = text.chars().peekable();
    let (mut in_string, mut escaped) = (false, false);
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '-' || c.is_ascii_digit() {
            out.push_str("\"\\u0001");
            out.push(c);
            while let Some(&d) = chars.peek() {
                if !(d.is_ascii_digit() || matches!(d, '.' | 'e' | 'E' | '+' | '-')) {
                    break;
                }
                out.push(d);
                chars.next();
            }
            out.push('"');
        } else {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

/// Turns tagged strings back into numbers, recursively.
fn untag(value: Value) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => match s.strip_prefix(TAG) {
            Some(token) => Value::Number(number(token)?),
            None => Value::String(s),
        },
        Value::Array(items) => {
            Value::Array(items.into_iter().map(untag).collect::<Result<_, _>>()?)
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| Ok((k, untag(v)?)))
                .collect::<Result<Map<_, _>, String>>()?,
        ),
        other => other,
    })
}

/// A number token as an integer if it is one, else as an exactly rounded finite float.
fn number(token: &str) -> Result<Number, String> {
    if let Ok(u) = token.parse::<u64>() {
        return Ok(u.into());
    }
    if let Ok(i) = token.parse::<i64>() {
        return Ok(i.into());
    }
    token
        .parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .ok_or_else(|| format!("invalid or out-of-range number {token:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A xorshift stream of floats spread over many magnitudes.
    fn floats(n: usize) -> Vec<f64> {
        let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..n)
            .map(|i| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let unit = (s >> 11) as f64 / (1u64 << 53) as f64;
                let scale = 10f64.powi(i as i32 % 40 - 20);
                if i % 2 == 0 {
                    unit * scale
                } else {
                    -unit * scale
                }
            })
            .collect()
    }

    #[test]
    fn floats_round_trip_bit_for_bit() {
        let xs = floats(20_000);
        let text = serde_json::to_string(&xs).unwrap();
        let back = parse_exact(&text).unwrap();
        let back: Vec<f64> = back
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        for (x, y) in xs.iter().zip(&back) {
            assert_eq!(x.to_bits(), y.to_bits(), "{x:?} came back as {y:?}");
        }
    }

    #[test]
    fn integers_strings_and_structure_survive() {
        let text = r#"{"a": [1, -2, 18446744073709551615, 0.5e1], "s": "x\"1, 2\"\\", "n": null, "t": true}"#;
        let v = parse_exact(text).unwrap();
        assert_eq!(v["a"][0].as_u64(), Some(1));
        assert_eq!(v["a"][1].as_i64(), Some(-2));
        assert_eq!(v["a"][2].as_u64(), Some(u64::MAX));
        assert_eq!(v["a"][3].as_f64(), Some(5.0));
        assert_eq!(v["s"].as_str(), Some("x\"1, 2\"\\"));
        assert!(v["n"].is_null());
        assert_eq!(v["t"].as_bool(), Some(true));
    }

    #[test]
    fn bad_json_is_an_error() {
        for text in [
            "",
            "{",
            "[1,]",
            "{\"a\": 1e999}",
            "[1-2]",
            "[--1]",
            "nul",
            "{\"a\" 1}",
        ] {
            assert!(parse_exact(text).is_err(), "{text:?} parsed");
        }
    }
}
