//! Our GEMM against the `gemm` crate (0.19) in one binary, alternating, on
//! rayon's global pool: medians of GFLOP/s per shape, and a timed loop for
//! contention runs.
//!
//! `cargo bench --bench gemm_vs` prints the table;
//! `cargo bench --bench gemm_vs -- loop SECONDS` times a loop of the MLP
//! shapes for each implementation (run it beside busy processes);
//! `cargo bench --bench gemm_vs -- threshold` times ours on 1 and 2 threads
//! around the size where it starts using threads.

use backprop::tensor::gemm::{gemm, MatRef};
use std::hint::black_box;
use std::time::Instant;

/// (name, m, k, n, A transposed, B transposed).
type Case = (&'static str, usize, usize, usize, bool, bool);

const CASES: [Case; 12] = [
    ("sq256", 256, 256, 256, false, false),
    ("sq512", 512, 512, 512, false, false),
    ("sq1024", 1024, 1024, 1024, false, false),
    ("fwd_128x784x256", 128, 784, 256, false, true),
    ("dW_256x128x784", 256, 128, 784, true, false),
    ("dX_128x256x784", 128, 256, 784, false, false),
    ("fwd_128x256x128", 128, 256, 128, false, true),
    ("dW_128x128x256", 128, 128, 256, true, false),
    ("dX_128x128x256", 128, 128, 256, false, false),
    ("fwd_128x128x10", 128, 128, 10, false, true),
    ("dW_10x128x128", 10, 128, 128, true, false),
    ("dX_128x10x128", 128, 10, 128, false, false),
];

#[allow(clippy::too_many_arguments)]
/// The `gemm` crate, as the old `src/tensor/gemm.rs` called it.
fn old(m: usize, k: usize, n: usize, a: &[f32], ta: bool, b: &[f32], tb: bool, c: &mut [f32]) {
    let (rsa, csa) = if ta { (1, m as isize) } else { (k as isize, 1) };
    let (rsb, csb) = if tb { (1, k as isize) } else { (n as isize, 1) };
    // SAFETY: buffer lengths match the shapes; `c` is unique.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.as_ptr(),
            csa,
            rsa,
            b.as_ptr(),
            csb,
            rsb,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::Rayon(0),
        )
    }
}

#[allow(clippy::too_many_arguments)]
/// Ours.
fn new(m: usize, k: usize, n: usize, a: &[f32], ta: bool, b: &[f32], tb: bool, c: &mut [f32]) {
    let ar = if ta {
        MatRef::new(a, k, m, true)
    } else {
        MatRef::new(a, m, k, false)
    };
    let br = if tb {
        MatRef::new(b, n, k, true)
    } else {
        MatRef::new(b, k, n, false)
    };
    gemm(1.0, ar, br, 0.0, c);
}

type Impl = fn(usize, usize, usize, &[f32], bool, &[f32], bool, &mut [f32]);

struct Data {
    a: Vec<f32>,
    b: Vec<f32>,
    c: Vec<f32>,
}

fn data(m: usize, k: usize, n: usize) -> Data {
    let f = |i: usize| ((i * 2654435761) % 1000) as f32 / 1000.0 - 0.5;
    Data {
        a: (0..m * k).map(f).collect(),
        b: (0..k * n).map(|i| f(i + 7)).collect(),
        c: vec![0.0; m * n],
    }
}

/// Seconds per call: the median of `reps` timings of enough calls for ~2 ms.
fn time(imp: Impl, case: &Case, d: &mut Data, reps: usize) -> Vec<f64> {
    let &(_, m, k, n, ta, tb) = case;
    let calls = (4_000_000 / (m * k * n)).clamp(1, 10_000);
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..calls {
                imp(m, k, n, &d.a, ta, &d.b, tb, &mut d.c);
                black_box(&d.c);
            }
            t.elapsed().as_secs_f64() / calls as f64
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn table() {
    println!(
        "{:<18} {:>10} {:>10} {:>7}",
        "shape", "old GF/s", "new GF/s", "new/old"
    );
    for case in &CASES {
        let &(name, m, k, n, ..) = case;
        let mut d = data(m, k, n);
        let flop = 2.0 * (m * k * n) as f64;
        let (mut to, mut tn) = (Vec::new(), Vec::new());
        for _ in 0..15 {
            to.extend(time(old, case, &mut d, 3));
            tn.extend(time(new, case, &mut d, 3));
        }
        let (go, gn) = (flop / median(to) / 1e9, flop / median(tn) / 1e9);
        println!("{name:<18} {go:>10.1} {gn:>10.1} {:>7.2}", gn / go);
    }
}

/// One pass over the MLP shapes (forward and backward of 784-256-128-10).
fn mlp_pass(imp: Impl, ds: &mut [Data]) {
    for (case, d) in CASES[3..].iter().zip(ds.iter_mut()) {
        let &(_, m, k, n, ta, tb) = case;
        imp(m, k, n, &d.a, ta, &d.b, tb, &mut d.c);
        black_box(&d.c);
    }
}

fn contention(seconds: f64) {
    let mut ds: Vec<Data> = CASES[3..]
        .iter()
        .map(|&(_, m, k, n, ..)| data(m, k, n))
        .collect();
    for (label, imp) in [
        ("old", old as Impl),
        ("new", new as Impl),
        ("old", old),
        ("new", new),
    ] {
        let mut passes = Vec::new();
        let start = Instant::now();
        while start.elapsed().as_secs_f64() < seconds {
            let t = Instant::now();
            for _ in 0..20 {
                mlp_pass(imp, &mut ds);
            }
            passes.push(t.elapsed().as_secs_f64() / 20.0);
        }
        println!(
            "{label}: median MLP pass {:.1} us ({} samples)",
            median(passes.clone()) * 1e6,
            passes.len()
        );
    }
}

/// Ours in a 1-thread against a 2-thread pool around the parallel threshold.
fn threshold() {
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let two = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    println!(
        "{:<14} {:>9} {:>9} {:>9}",
        "m×k×n", "madds", "1 thr us", "2 thr us"
    );
    for (m, k, n) in [
        (128, 10, 128),
        (64, 64, 64),
        (128, 16, 128),
        (128, 32, 128),
        (96, 96, 96),
        (128, 64, 128),
        (128, 128, 128),
    ] {
        let case: Case = ("", m, k, n, false, false);
        let mut d = data(m, k, n);
        let (mut t1, mut t2) = (Vec::new(), Vec::new());
        for _ in 0..15 {
            t1.extend(one.install(|| time(new, &case, &mut d, 3)));
            t2.extend(two.install(|| time(new, &case, &mut d, 3)));
        }
        println!(
            "{:<14} {:>9} {:>9.2} {:>9.2}",
            format!("{m}x{k}x{n}"),
            m * k * n,
            median(t1) * 1e6,
            median(t2) * 1e6
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "threshold") {
        return threshold();
    }
    match args.iter().position(|a| a == "loop") {
        Some(i) => contention(args.get(i + 1).and_then(|s| s.parse().ok()).unwrap_or(3.0)),
        None if args.iter().any(|a| a == "--bench") || args.len() == 1 => table(),
        None => {}
    }
}
