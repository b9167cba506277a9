//! The transcendental functions every kernel uses: one implementation, the
//! same bits on every instruction set and every machine.
//!
//! std's `exp`, `ln` and `tanh` call the system's libm, and glibc picks its
//! own variant per CPU (with or without FMA), so a model trained on one
//! machine could differ in the last bit from the same run on another. These
//! functions are written in plain Rust with `+ − × ÷` and `sqrt` only (all
//! correctly rounded by IEEE 754; Rust never fuses `a·b + c` into an FMA), so
//! compiled for AVX-512, AVX2 or portable code they give the same bits.
//! They are branch-free where it matters (both sides computed, one chosen),
//! so a loop over a slice vectorises.
//!
//! Each function is generic over [`Float`]: `f64` is computed directly,
//! `f32` as the `f64` function of the widened value, rounded once.
//!
//! Accuracy in `f64`: [`exp`], [`ln`], [`ln_1p`] and [`tanh`] are within
//! 1 ulp of the true value (tested against 200-bit `mpmath` values at 7000
//! points with the edge cases, and against glibc at 1.6 million). [`powf`] and [`erf`] come from the
//! pure-Rust `libm` crate (musl's, also the same bits everywhere).
//!
//! ```
//! use backprop::math;
//! assert_eq!(math::exp(0.0f64), 1.0);
//! assert_eq!(math::ln(1.0f64), 0.0);
//! assert!((math::tanh(0.5f64) - 0.46211715726000974).abs() < 1e-16);
//! ```

use crate::float::Float;

/// `eˣ`, within 1 ulp in `f64`; `+∞` above ≈ 709.78, `0` below ≈ −745.13.
#[inline(always)]
pub fn exp<T: Float>(x: T) -> T {
    T::from_f64(exp64(x.as_f64()))
}

/// `ln x`, within 1 ulp in `f64`; `−∞` at ±0, NaN below 0.
#[inline(always)]
pub fn ln<T: Float>(x: T) -> T {
    T::from_f64(ln64(x.as_f64()))
}

/// `ln(1 + x)`, accurate for small `x` too, within 1 ulp in `f64`.
#[inline(always)]
pub fn ln_1p<T: Float>(x: T) -> T {
    T::from_f64(ln_1p64(x.as_f64()))
}

/// `tanh x`, within 1 ulp in `f64`.
#[inline(always)]
pub fn tanh<T: Float>(x: T) -> T {
    T::from_f64(tanh64(x.as_f64()))
}

/// `xʸ` (the `libm` crate's `pow`: the same bits everywhere, not vectorised).
#[inline]
pub fn powf<T: Float>(x: T, y: T) -> T {
    T::from_f64(libm::pow(x.as_f64(), y.as_f64()))
}

/// `erf x = 2/√π ∫₀ˣ e^{−t²} dt` (the `libm` crate's).
#[inline]
pub fn erf<T: Float>(x: T) -> T {
    T::from_f64(libm::erf(x.as_f64()))
}

/// `ln 2` split in two: `LN2_HI` has 32 significant bits, so `k·LN2_HI` is
/// exact for any `|k| < 2²¹`; `LN2_HI + LN2_LO` is `ln 2` to about 2⁻⁸⁵.
const LN2_HI: f64 = 0.6931471803691238; // 0x3fe62e42fee00000
const LN2_LO: f64 = 1.9082149292705877e-10; // 0x3dea39ef35793c76

/// 1.5·2⁵²: `(v + SHIFT) − SHIFT` rounds `v` to the nearest integer (ties to
/// even) for `|v| < 2⁵¹`, and `(v + SHIFT)`'s low bits hold that integer.
const SHIFT: f64 = 6_755_399_441_055_744.0;

mod exp_table;

/// `2ⁿ⁻¹⁰²³` for a biased exponent `n` in 1..=2046, built from its bits.
#[inline(always)]
fn pow2_biased(n: u64) -> f64 {
    f64::from_bits(n << 52)
}

/// `eˣ` in parts: `x = (128k + j)·ln2/128 + r`, `|r| ≤ ln2/256`, so
/// `eˣ = 2ᵏ·2^(j/128)·eʳ`; `2^(j/128)` from a table (with its tail) and
/// `eʳ − 1` by its Taylor series to `r⁵` (the next term is below 2⁻⁶⁰).
/// Returns `y + lo = 2^(j/128)·eʳ` (in [0.997, 1.995), `|lo| ≤ ulp(y)/2`)
/// and `2ᵏ` (see [`Parts`]).
/// `x` is clamped to [−746, 710] first, so `k` is in −1077..=1024.
#[inline(always)]
fn exp_parts(x: f64) -> Parts {
    // ln2/128 in two parts: `LN2_HI` has 32 significant bits, so `n·LN2_HI/128`
    // is exact for any |n| < 2²¹.
    const INV_LN2_N: f64 = 128.0 * std::f64::consts::LOG2_E;
    const LN2_HI_N: f64 = LN2_HI / 128.0;
    const LN2_LO_N: f64 = LN2_LO / 128.0;
    // NaN becomes −746 here; `exp64` puts it back.
    let x = x.clamp(-746.0, 710.0);
    // n = 128k + j = round(x·128/ln2), as a float and as bits (two's complement).
    let shifted = x * INV_LN2_N + SHIFT;
    let nd = shifted - SHIFT;
    let n = shifted.to_bits().wrapping_sub(SHIFT.to_bits());
    let j = (n & 127) as usize;
    // r = x − n·ln2/128 (its rounding error, ≤ 2⁻⁶² relative, is below notice).
    let r = (x - nd * LN2_HI_N) - nd * LN2_LO_N;
    // 2^(j/128)·eʳ ≈ t·(1 + tail + (eʳ − 1)) = t + t·u.
    let t = f64::from_bits(exp_table::HI[j]);
    let tail = f64::from_bits(exp_table::TAIL[j]);
    let r2 = r * r;
    let u = (tail + r)
        + r2 * (0.5 + r * 0.166_666_666_666_666_66)
        + (r2 * r2) * (0.041_666_666_666_666_664 + r * 0.008_333_333_333_333_333);
    let tu = t * u;
    let y = t + tu;
    let lo = (t - y) + tu;
    // k·2⁵² = (n − j)·2⁴⁵; k + 1100 ≥ 23 split into k1 + k2, both in −538..=512.
    let kbits = (n & !127).wrapping_shl(45);
    let kb = (n.wrapping_add(1100 << 7)) >> 7;
    let k1 = kb >> 1;
    let k2 = kb - k1;
    Parts {
        y,
        lo,
        t,
        u,
        kbits,
        s1: pow2_biased(k1 + (1023 - 550)),
        s2: pow2_biased(k2 + (1023 - 550)),
    }
}

/// What `exp_parts` finds: `2^(j/128)·eʳ = y + lo = t + t·u`, and `2ᵏ`.
struct Parts {
    /// `t + t·u`, rounded.
    y: f64,
    /// `t + t·u − y`.
    lo: f64,
    /// `2^(j/128)`.
    t: f64,
    /// `tail + eʳ − 1`.
    u: f64,
    /// `k·2⁵²`, to add to a double's bits.
    kbits: u64,
    /// `2ᵏ = s1·s2`, both normal.
    s1: f64,
    /// See `s1`.
    s2: f64,
}

/// `eˣ = 2ᵏ·(t + t·u)` (see `exp_parts`): about 0.51 ulp, plus one
/// rounding for a subnormal result.
#[inline(always)]
fn exp64(x: f64) -> f64 {
    let p = exp_parts(x);
    // In the normal range 2ᵏ goes into t's exponent (off the critical path);
    // near overflow and for subnormal results y·s1 is exact and ·s2 rounds
    // once.
    let ts = f64::from_bits(p.t.to_bits().wrapping_add(p.kbits));
    let fast = ts + ts * p.u;
    let slow = p.y * p.s1 * p.s2;
    let slow = if x.is_nan() { x } else { slow };
    if x.abs() < 700.0 {
        fast
    } else {
        slow
    }
}

/// `ln x` as `small + big`, the two parts the last addition joins:
/// `x = 2ᵏ·(1 + f)`, `1 + f` in [√½, √2), and `ln x = k·ln2 + ln(1 + f)`
/// with fdlibm's `ln(1 + f) = f − (½f² − s·(½f² + R(s²)))`, `s = f/(2 + f)`
/// (musl's `log`, branch-free). `c` (a relative correction to `x`, added
/// with the smallest terms) lets [`ln_1p`] round only once too.
#[inline(always)]
fn ln_kernel(x: f64, c: f64) -> f64 {
    const LG1: f64 = 0.6666666666666735; // 0x3fe5555555555593
    const LG2: f64 = 0.3999999999940942; // 0x3fd999999997fa04
    const LG3: f64 = 0.2857142874366239; // 0x3fd2492494229359
    const LG4: f64 = 0.22222198432149784; // 0x3fcc71c51d8e78af
    const LG5: f64 = 0.1818357216161805; // 0x3fc7466496cb03de
    const LG6: f64 = 0.15313837699209373; // 0x3fc39a09d078c69f
    const LG7: f64 = 0.14798198605116586; // 0x3fc2f112df3e5244
    const SQRT_HALF_BITS: u64 = 0x3fe6_a09e_667f_3bcd;
    // Subnormals are scaled into the normal range by 2⁵⁴ first.
    let sub = x < f64::MIN_POSITIVE;
    let xs = if sub { x * 18_014_398_509_481_984.0 } else { x };
    // bits − bits(√½) + 2⁶²: its top bits are k + 1024, its low 52 those of 1 + f.
    let ix = xs
        .to_bits()
        .wrapping_sub(SQRT_HALF_BITS)
        .wrapping_add(1 << 62);
    let m = f64::from_bits((ix & 0x000f_ffff_ffff_ffff).wrapping_add(SQRT_HALF_BITS));
    // k as a float, exactly: 2⁵² + (k + 1024) read from the bits, less 2⁵² + 1024.
    let kd = f64::from_bits(0x4330_0000_0000_0000 | (ix >> 52)) - 4_503_599_627_371_520.0;
    let kd = if sub { kd - 54.0 } else { kd };
    let f = m - 1.0;
    let hfsq = 0.5 * f * f;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let r = t2 + t1;
    s * (hfsq + r) + (kd * LN2_LO + c) - hfsq + f + kd * LN2_HI
}

/// `ln x` (see `ln_kernel`), with `ln(+∞) = +∞`, `ln(±0) = −∞` and NaN
/// below 0.
#[inline(always)]
fn ln64(x: f64) -> f64 {
    let v = ln_kernel(x, 0.0);
    let v = if x == f64::INFINITY { x } else { v };
    let v = if x == 0.0 { f64::NEG_INFINITY } else { v };
    if x >= 0.0 {
        v
    } else {
        f64::NAN
    }
}

/// `ln(1 + x) = ln u + ln(1 + δ/u)` with `u = 1 + x` rounded and `δ` its
/// rounding error (exact, by TwoSum): `ln(1 + δ/u) ≈ δ/u`, added inside
/// `ln u`'s last sum.
#[inline(always)]
fn ln_1p64(x: f64) -> f64 {
    let u = 1.0 + x;
    let bv = u - 1.0;
    let delta = (1.0 - (u - bv)) + (x - bv);
    let v = ln_kernel(u, delta / u);
    // At x = −1, at +∞ and below −1 (or NaN) u's logarithm is the answer.
    if x > -1.0 && x < f64::INFINITY {
        v
    } else {
        ln64(u)
    }
}

/// `tanh x`, odd: for `|x| < 0.625`, `x + x·z·P(z)/Q(z)` with `z = x²`
/// (Cephes' rational approximation); above, `1 − 2/(e^{2|x|} + 1)` with
/// `e^{2|x|}` and the sum carried to about twice `f64`'s precision, so
/// only the division and the last subtraction round at the result's scale.
#[inline(always)]
fn tanh64(x: f64) -> f64 {
    const P0: f64 = -0.9643991794250523; // 0xbfeedc5baafd6f4b
    const P1: f64 = -99.28772310019185; // 0xc058d26a0e26682d
    const P2: f64 = -1614.6876844170845; // 0xc0993ac030580563
    const Q0: f64 = 112.81167849163293; // 0x405c33f28a581b86
    const Q1: f64 = 2235.4883906010045; // 0x40a176fa0e5535fa
    const Q2: f64 = 4844.063053251255; // 0x40b2ec102442040c
    let a = x.abs();
    let z = a * a;
    let p = (P0 * z + P1) * z + P2;
    let q = ((z + Q0) * z + Q1) * z + Q2;
    let small = a + a * z * (p / q);
    // e^{2a} = 2ᵏ·(eh + el), then d = e^{2a} + 1 = dh + dl exactly (Fast2Sum).
    let p = exp_parts((a + a).min(40.0));
    // 2ᵏ with k ≤ 58.
    let scale = f64::from_bits(1f64.to_bits().wrapping_add(p.kbits));
    let (eh, el) = (p.y * scale, p.lo * scale);
    let dh = eh + 1.0;
    let dl = ((eh - dh) + 1.0) + el;
    // 2/(dh + dl) ≈ qh·(1 − dl/dh), qh = 2/dh; 1 − qh split exactly.
    let qh = 2.0 / dh;
    let t = 1.0 - qh;
    let err = (1.0 - t) - qh;
    let big = t + (err + qh * (dl * (0.5 * qh)));
    let v = if a < 0.625 { small } else { big };
    let v = v.copysign(x);
    if x.is_nan() {
        x
    } else {
        v
    }
}

#[cfg(test)]
mod tests;
