//! Accuracy of `src/math.rs`: against 200-bit `mpmath` values (the fixture
//! `tests/fixtures/math_reference.txt`, from `tools/math_reference.py`), against
//! std (glibc) over many random points, and the special values.

use super::{exp64 as exp, ln64 as ln, ln_1p64 as ln_1p, tanh64 as tanh};

/// The spacing of doubles at `v` (`2⁻¹⁰⁷⁴` for subnormals).
fn ulp(v: f64) -> f64 {
    let a = v.abs();
    if a < f64::MIN_POSITIVE {
        f64::from_bits(1)
    } else {
        f64::from_bits(a.to_bits() + 1) - a
    }
}

/// The error of `got` in ulps of the true value `hi + lo`.
fn ulps(got: f64, hi: f64, lo: f64) -> f64 {
    if got == hi && lo == 0.0 {
        return 0.0;
    }
    if hi.is_infinite() || got.is_infinite() {
        return if got == hi { 0.0 } else { f64::INFINITY };
    }
    ((got - hi) - lo).abs() / ulp(hi)
}

fn fixture() -> Vec<(String, f64, f64, f64)> {
    let text = include_str!("../../tests/fixtures/math_reference.txt");
    let hex = |s: &str| f64::from_bits(u64::from_str_radix(s, 16).unwrap());
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let w: Vec<&str> = l.split(' ').collect();
            (w[0].to_string(), hex(w[1]), hex(w[2]), hex(w[3]))
        })
        .collect()
}

/// Every function within 1 ulp of the true value at every fixture point.
#[test]
fn within_one_ulp_of_the_200_bit_reference() {
    let rows = fixture();
    let mut worst = std::collections::BTreeMap::new();
    for (name, x, hi, lo) in &rows {
        let got = match name.as_str() {
            "exp" => exp(*x),
            "ln" => ln(*x),
            "ln_1p" => ln_1p(*x),
            "tanh" => tanh(*x),
            other => panic!("{other}"),
        };
        let e = ulps(got, *hi, *lo);
        // Subnormal results are reported apart (they round twice).
        let key = if hi.abs() < f64::MIN_POSITIVE && *hi != 0.0 {
            format!("{name}, subnormal")
        } else {
            name.clone()
        };
        let w = worst.entry(key).or_insert((0.0f64, 0.0));
        if e > w.0 {
            *w = (e, *x);
        }
        if e > 1.0 {
            eprintln!("{name}({x:e}) = {got:e}, true {hi:e} + {lo:e}: {e} ulp");
        }
    }
    eprintln!("worst error in ulps (x): {worst:?}");
    assert!(worst.len() >= 4);
    assert!(worst.values().all(|w| w.0 <= 1.0), "{worst:?}");
}

/// A small xorshift generator: the random points.
fn points(n: usize, seed: u64, lo: f64, hi: f64) -> impl Iterator<Item = f64> {
    let mut s = seed;
    (0..n).map(move |_| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        lo + (hi - lo) * ((s >> 11) as f64 / (1u64 << 53) as f64)
    })
}

/// Against glibc over many points: exp, ln, ln_1p within 1 ulp of it (it is
/// within about ½ ulp of the truth); tanh within 2 (glibc's tanh is not).
#[test]
fn close_to_glibc_over_many_points() {
    let check = |name: &str, ours: fn(f64) -> f64, std: fn(f64) -> f64, xs: Vec<f64>, max: f64| {
        let mut worst = (0.0, 0.0);
        for x in xs {
            let (a, b) = (ours(x), std(x));
            let e = if a == b { 0.0 } else { (a - b).abs() / ulp(b) };
            if e > worst.0 {
                worst = (e, x);
            }
        }
        eprintln!("{name}: worst {} ulp from glibc at {:e}", worst.0, worst.1);
        assert!(worst.0 <= max, "{name}: {worst:?}");
    };
    let n = 200_000;
    let exps = points(n, 1, -745.0, 709.0)
        .chain(points(n, 2, -2.0, 2.0))
        .collect();
    check("exp", exp, f64::exp, exps, 1.0);
    let lns = points(n, 3, -1074.0, 1023.0)
        .map(f64::exp2)
        .chain(points(n, 4, 0.5, 2.0))
        .collect();
    check("ln", ln, f64::ln, lns, 1.0);
    let l1p = points(n, 5, -60.0, 60.0)
        .map(|e| e.exp2() * if e > 0.0 { 1.0 } else { -1.0 } * 0.999)
        .chain(points(n, 6, -0.9, 2.0))
        .collect();
    check("ln_1p", ln_1p, f64::ln_1p, l1p, 1.0);
    let tanhs = points(n, 7, -20.0, 20.0)
        .chain(points(n, 8, -1.0, 1.0))
        .collect();
    check("tanh", tanh, f64::tanh, tanhs, 2.0);
}

#[test]
fn special_values() {
    let nan = f64::NAN;
    let inf = f64::INFINITY;
    assert!(exp(nan).is_nan() && ln(nan).is_nan() && tanh(nan).is_nan() && ln_1p(nan).is_nan());
    assert_eq!(exp(inf), inf);
    assert_eq!(exp(-inf), 0.0);
    assert_eq!(exp(709.8), inf);
    assert_eq!(exp(-745.2), 0.0);
    assert_eq!(exp(-745.1), f64::from_bits(1));
    assert_eq!(exp(0.0), 1.0);
    assert_eq!(exp(-0.0), 1.0);
    assert_eq!(exp(1e-300), 1.0);
    assert_eq!(ln(1.0), 0.0);
    assert_eq!(ln(0.0), -inf);
    assert_eq!(ln(-0.0), -inf);
    assert!(ln(-1.0).is_nan() && ln(-inf).is_nan());
    assert_eq!(ln(inf), inf);
    assert_eq!(ln(f64::from_bits(1)), -744.4400719213812);
    assert_eq!(ln_1p(0.0), 0.0);
    assert_eq!(ln_1p(-1.0), -inf);
    assert_eq!(ln_1p(inf), inf);
    assert_eq!(ln_1p(1e-300), 1e-300);
    assert!(ln_1p(-2.0).is_nan());
    assert_eq!(tanh(0.0).to_bits(), 0.0f64.to_bits());
    assert_eq!(tanh(-0.0).to_bits(), (-0.0f64).to_bits());
    assert_eq!(tanh(inf), 1.0);
    assert_eq!(tanh(-inf), -1.0);
    assert_eq!(tanh(30.0), 1.0);
    assert_eq!(tanh(1e-300), 1e-300);
    assert_eq!(tanh(f64::from_bits(1)), f64::from_bits(1));
    // f32: the f64 function rounded once.
    assert_eq!(super::exp(1.0f32), std::f32::consts::E);
    assert_eq!(super::exp(100.0f32), f32::INFINITY);
    assert_eq!(super::ln(2.0f32), std::f32::consts::LN_2);
}
