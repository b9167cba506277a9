"""Test cases for src/numpy_fmt.rs: NumPy's `print(arr)` and Python's `repr(x)`.

Prints Rust source (the `#[rustfmt::skip]` const tables of the `tests` module in
src/numpy_fmt.rs) built from deterministic inputs: the seed notebook's arrays,
random arrays from a fixed seed across magnitudes 1e-12..1e12 (negatives,
zeros, rounded values, nan/inf, 0-D/1-D/2-D/3-D, column vectors), integer
arrays, hard scalars for Python's float repr, and arrays longer than the line
width or over the summarisation threshold.

Inputs are written as Python `repr` strings (shortest round-trip digits, so
Rust's `str::parse::<f64>` gives back the exact same double).  Arrays too
large to write out are generated on both sides by the exact IEEE formula
`((i * k) % m) * scale + offset` (one rounded multiply, one rounded add).

Usage (from the repository root); paste the output over the tables at the end
of src/numpy_fmt.rs:
    /work/venv/bin/python tools/numpy_fmt_cases.py > /tmp/numpy_fmt_cases.rs
"""

import math
import sys

import numpy as np


def rust_str(s):
    """A Rust string literal for `s`."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def data_str(arr):
    """Space-separated exact reprs of the elements, row-major."""
    return " ".join(repr(float(v)) if arr.dtype.kind == "f" else str(int(v)) for v in arr.ravel())


def dims_str(arr):
    return "&[" + ", ".join(str(d) for d in arr.shape) + "]"


def magnitudes(rng, shape, lo, hi, neg=0.5, zeros=0.0):
    """Random values with log10 magnitude uniform in [lo, hi)."""
    mag = 10.0 ** rng.uniform(lo, hi, size=shape)
    sign = np.where(rng.random(shape) < neg, -1.0, 1.0)
    vals = sign * mag * rng.uniform(1.0, 10.0, size=shape) / 10.0
    vals[rng.random(shape) < zeros] = 0.0
    return vals


def notebook_arrays():
    """The seed notebook: one training step of the 2-2-1 XOR net, seed 42."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    y = np.array([[0], [1], [1], [0]])
    sig = lambda x: 1 / (1 + np.exp(-x))
    dsig = lambda x: x * (1 - x)
    np.random.seed(42)
    w1 = np.random.rand(2, 2)
    w2 = np.random.rand(2, 1)
    out = [w1.copy(), w2.copy()]
    h = sig(X.dot(w1))
    o = sig(h.dot(w2))
    d_o = (y - o) * dsig(o)
    d_h = d_o.dot(w2.T) * dsig(h)
    w2 += h.T.dot(d_o)
    w1 += X.T.dot(d_h)
    h2 = sig(X.dot(w1))
    o2 = sig(h2.dot(w2))
    out += [o, d_o, d_h, w1, w2, o2, -X.T.dot(d_h), 0.5 * np.sum((y - o) ** 2)]
    return out, [y, X]


def float_cases(rng):
    cases, ints = notebook_arrays()
    # hand-picked hard cases
    hard = [
        [0.5, 0.25], [1.0, 2.0], [0.1 + 0.2, 1 / 3, 2 / 3], [0.999999999, 0.5],
        [0.999999995, 1.5], [1e-5], [1e-5, 1.0], [123456789.0], [99999999.0],
        [1e8 - 0.5], [1e16], [-0.0, 1.0], [-0.0], [0.0], [0.0, 0.0], [-0.0, 1e-5],
        [0.001953125, 0.005859375], [0.0001], [0.0001, 0.1], [0.00009999999999],
        [1.0, 1000.0], [1.0, 1000.0000001], [1.0, 1001.0], [5e-324, 1.0],
        [1.7976931348623157e308, -1.0], [1e-5, 1e-100], [1.5e-5, 1e10],
        [9.9999999999e-5, 1e-3], [0.12345678949, 0.5], [0.123456785, 1.0],
        [math.nan], [math.inf], [-math.inf], [math.nan, -math.inf, math.inf],
        [math.nan, 1.5, -math.inf], [math.nan, 1e-7], [math.inf, -1e20, 3.0],
        [math.nan, 0.0], [-math.inf, 0.12345678], [1e300, 1e-300], [-1e-300],
        [2.5, -2.5, 0.125], [1e7, 12345678.9], [-99999999.99999], [0.3, 0.7, 0.1],
        [100.0, 0.1], [1e-4, 0.1, 0.09999], [4.35, 1e2], [float(2**53), 1.0],
    ]
    cases += [np.array(h) for h in hard]
    cases += [np.array([[1.0, -2.5], [3.25, 4.0]]), np.array([[math.nan], [1.0]]),
              np.array([[-0.0, 0.0], [0.0, -0.0]]), np.zeros((3, 4)), np.ones((2, 3, 2))]
    # random arrays across magnitudes and shapes
    shapes = [(1,), (2,), (3,), (5,), (8,), (2, 2), (3, 1), (4, 1), (1, 4), (2, 3), (4, 3)]
    ranges = [(-12, -8), (-6, -3), (-4, -2), (-3, 0), (-1, 1), (0, 2), (1, 3),
              (2, 5), (5, 8), (7, 9), (8, 12), (-12, 12), (-2, 2)]
    for lo, hi in ranges:
        for shape in shapes:
            vals = magnitudes(rng, shape, lo, hi, neg=rng.choice([0.0, 0.5]),
                              zeros=rng.choice([0.0, 0.2]))
            cases.append(vals)
    # rounded values (exercise maxprec padding and integral values)
    for digits in range(0, 10):
        for shape in [(4,), (3, 2)]:
            cases.append(np.round(magnitudes(rng, shape, -2, 3), digits))
    # values close to the 8-place and exp-mode boundaries
    for _ in range(12):
        base = rng.choice([1e-4, 1e8, 1.0, 1000.0])
        cases.append(base * (1 + rng.uniform(-1e-9, 1e-9, size=3)))
    for _ in range(10):
        cases.append(np.round(rng.uniform(0, 1, size=4), 8) + rng.uniform(-6e-9, 6e-9, size=4))
    # non-finite mixed in
    for lo, hi in [(-6, -3), (-1, 1), (2, 5), (8, 12)]:
        for shape in [(4,), (2, 3)]:
            vals = magnitudes(rng, shape, lo, hi).ravel()
            vals[0] = math.nan
            vals[-1] = rng.choice([math.inf, -math.inf])
            cases.append(vals.reshape(shape))
    # rows longer than the line width, 3-D, 4-D
    for lo, hi in [(-1, 1), (-6, -3), (0, 3), (-12, 12)]:
        cases.append(magnitudes(rng, (17,), lo, hi))
        cases.append(magnitudes(rng, (2, 11), lo, hi))
        cases.append(magnitudes(rng, (2, 2, 3), lo, hi))
    cases.append(magnitudes(rng, (2, 1, 2, 2), -1, 1))
    cases.append(magnitudes(rng, (3, 2, 1), -1, 1))
    cases.append(np.zeros((2, 0)))
    cases.append(np.zeros((0,)))
    cases += [np.array(v) for v in [0.1, -0.0, 1e16, 1e-5, 123.0, math.nan, -math.inf]]
    return cases, ints


def int_cases(rng, notebook_ints):
    cases = list(notebook_ints)
    cases += [np.array([0]), np.array([-1]), np.array([5, -12, 300]),
              np.array([2**63 - 1, -(2**63)]), np.array([[1, 22], [333, -4444]]),
              np.arange(24).reshape(2, 3, 4), np.arange(40) - 20,
              np.array([[7], [-7]]), np.zeros((0, 3), dtype=np.int64)]
    for hi in [10, 1000, 10**6, 10**12, 10**18]:
        for shape in [(6,), (3, 4), (2, 13)]:
            cases.append(rng.integers(-hi, hi, size=shape))
    return [np.asarray(c, dtype=np.int64) for c in cases]


def py_float_cases(rng):
    xs = [0.0, -0.0, 1.0, 5.0, -5.0, 0.1, 0.1 + 0.2, 1 / 3, 1e-5, 1e-4, 0.0001234,
          0.00001234, 1e16, 1e15, 9999999999999998.0, 1.5e16, 123456789.0,
          1e22, 1e-7, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
          math.inf, -math.inf, math.nan, 2.0**53, 2.0**60, -1e-300, 100.0, 0.5,
          1234567890123456.7, 0.30000000000000004, 12345.678, 1e100, 1.25e-10]
    xs += list(magnitudes(rng, (40,), -12, 18))
    xs.append(0.5315519)
    return xs


def gen_cases():
    """(dims, k, m, scale, offset, is_int): data[i] = ((i*k) % m) * scale + offset."""
    return [
        ((1001,), 1, 10**9, 1.0, 0.0, False),
        ((1001,), 1, 10**9, 1.0, 0.0, True),
        ((2000,), 37, 101, 0.37, -3.0, False),
        ((1500, 2), 7, 13, 0.125, -0.5, False),
        ((2, 1500), 11, 97, 1.5e-5, 0.0, False),
        ((12, 12, 12), 5, 1000, 1.0, -500.0, True),
        ((10, 10, 11), 3, 17, 1e6, 1.0, False),
        ((1000,), 13, 23, 0.1, 0.0, False),
        ((30,), 3, 1000, 1e-3, 0.5, False),
        ((4, 25), 29, 31, 1e9, 0.0, False),
        ((4, 25), 29, 31, 1.0, -15.0, True),
        ((1010,), 1, 10**9, 1.0, -5e18, True),
        ((7, 200), 101, 1009, 0.0123, 0.0, False),
        ((1200,), 1, 10**9, 1.0, 1e-7, False),
    ]


def gen_data(dims, k, m, scale, offset, is_int):
    n = int(np.prod(dims))
    base = (np.arange(n, dtype=np.int64) * k) % m
    if is_int:
        return (base * int(scale) + int(offset)).reshape(dims)
    return (base.astype(np.float64) * scale + offset).reshape(dims)


def main():
    rng = np.random.default_rng(20240611)
    floats, notebook_ints = float_cases(rng)
    ints = int_cases(rng, notebook_ints)
    out = sys.stdout
    out.write(f"    // Generated by tools/numpy_fmt_cases.py with NumPy {np.__version__}.\n")
    out.write("    /// `(dims, data, print(np.array(data, dtype=float64).reshape(dims)))`.\n")
    out.write("    #[rustfmt::skip]\n")
    out.write("    const F64_CASES: &[(&[usize], &str, &str)] = &[\n")
    for a in floats:
        a = np.asarray(a, dtype=np.float64)
        out.write(f"        ({dims_str(a)}, {rust_str(data_str(a))}, {rust_str(str(a))}),\n")
    out.write("    ];\n\n")
    out.write("    /// `(dims, data, print(np.array(data, dtype=int64).reshape(dims)))`.\n")
    out.write("    #[rustfmt::skip]\n")
    out.write("    const I64_CASES: &[(&[usize], &str, &str)] = &[\n")
    for a in ints:
        out.write(f"        ({dims_str(a)}, {rust_str(data_str(a))}, {rust_str(str(a))}),\n")
    out.write("    ];\n\n")
    out.write("    /// `repr(x)`: parsing it gives `x` exactly, formatting `x` must give it back.\n")
    out.write("    #[rustfmt::skip]\n")
    out.write("    const PY_FLOAT_CASES: &[&str] = &[\n")
    xs = [repr(float(x)) for x in py_float_cases(rng)]
    for x in xs:
        assert str(np.float64(x)) == x and str(np.array(float(x))) == x
    for i in range(0, len(xs), 6):
        out.write("        " + " ".join(rust_str(x) + "," for x in xs[i:i + 6]) + "\n")
    out.write("    ];\n\n")
    out.write("    /// `(dims, k, m, scale, offset, is_int, print(arr))` with\n")
    out.write("    /// `arr[i] = ((i * k) % m) * scale + offset` row-major.\n")
    out.write("    #[rustfmt::skip]\n")
    out.write("    const GEN_CASES: &[(&[usize], usize, usize, f64, f64, bool, &str)] = &[\n")
    for dims, k, m, scale, offset, is_int in gen_cases():
        a = gen_data(dims, k, m, scale, offset, is_int)
        out.write(f"        ({dims_str(a)}, {k}, {m}, {scale!r}, {offset!r}, "
                  f"{'true' if is_int else 'false'}, {rust_str(str(a))}),\n")
    out.write("    ];\n")


if __name__ == "__main__":
    main()
