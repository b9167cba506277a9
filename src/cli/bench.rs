//! `backprop bench gemm`: the matrix-product kernel timed on this machine, so
//! users (and `compare/`) can set it beside NumPy's or PyTorch's `matmul`;
//! `backprop bench peak`: the machine's FMA peak on each instruction set, the
//! ceiling `bench gemm` reports its share of.

use std::io::Write as _;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use backprop::isa::{self, peak, Isa};
use backprop::rng::NumpyRandom;
use backprop::tensor::gemm::MatRef;
use backprop::tensor::product::product;
use clap::{Args, Subcommand};

/// What to time.
#[derive(Subcommand)]
pub enum BenchCommand {
    /// f32 `C = op(A)·op(B)`: the median time of repeated products, in GFLOP/s.
    Gemm(GemmArgs),
    /// The FMA peak in GFLOP/s for each instruction set this CPU runs, f32
    /// and f64, on one thread and on all.
    Peak(PeakArgs),
}

/// `backprop bench peak` arguments.
#[derive(Args)]
pub struct PeakArgs {
    /// Threads for the "all threads" rows (default: all cores).
    #[arg(long, value_parser = super::args::threads)]
    pub threads: Option<usize>,
    /// Print a JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `backprop bench gemm` arguments.
#[derive(Args)]
pub struct GemmArgs {
    /// The product's shape `MxKxN` (`C[M,N] = A[M,K]·B[K,N]`).
    #[arg(long, default_value = "1024x1024x1024", value_parser = parse_shape)]
    pub shape: GemmShape,
    /// Use A transposed (stored `[K, M]`), read through strides.
    #[arg(long)]
    pub ta: bool,
    /// Use B transposed (stored `[N, K]`), read through strides.
    #[arg(long)]
    pub tb: bool,
    /// Threads (default: all cores).
    #[arg(long, value_parser = super::args::threads)]
    pub threads: Option<usize>,
    /// Timed repetitions after one warm-up; the median is reported (at most 1000000).
    #[arg(long, default_value_t = 20, value_parser = reps)]
    pub reps: usize,
    /// Print a JSON object instead of a line of text.
    #[arg(long)]
    pub json: bool,
}

/// The most timed repetitions `--reps` takes (their timings are kept for the median).
pub const MAX_REPS: usize = 1_000_000;

/// The context of a failed write of the result.
const STDOUT: &str = "cannot write the result to stdout";

/// Runs `backprop bench …`.
pub fn run(cmd: BenchCommand) -> Result<()> {
    match cmd {
        BenchCommand::Gemm(args) => gemm(args),
        BenchCommand::Peak(args) => peak(args),
    }
}

/// A rayon pool of `threads` (default: all cores).
fn pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    if threads == Some(0) {
        bail!("--threads 0: at least one thread is needed");
    }
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        pool = pool.num_threads(t);
    }
    pool.build().context("cannot start the thread pool")
}

/// The FMA peak of `isa` on `T` in GFLOP/s with every thread of `pool`
/// running its chains at once: the best of three runs of about `seconds / 3`.
fn peak_gflops<T: backprop::Float>(
    pool: &rayon::ThreadPool,
    isa: Isa,
    seconds: f64,
) -> Result<f64> {
    // Rounds that take about 5 ms on one thread.
    let mut rounds = 1u64 << 12;
    let per_round = loop {
        let t = Instant::now();
        peak::fma_chains::<T>(isa, rounds)?;
        let s = t.elapsed().as_secs_f64();
        if s >= 0.005 || rounds >= 1 << 40 {
            break s / rounds as f64;
        }
        rounds *= 4;
    };
    let rounds = ((seconds / 3.0 / per_round) as u64).max(1);
    let mut best = 0.0f64;
    for _ in 0..3 {
        let t = Instant::now();
        let flops: Vec<Result<u64>> =
            pool.broadcast(|_| peak::fma_chains::<T>(isa, rounds).map_err(Into::into));
        let s = t.elapsed().as_secs_f64();
        let total = flops.into_iter().sum::<Result<u64>>()?;
        best = best.max(total as f64 / s / 1e9);
    }
    Ok(best)
}

fn peak(args: PeakArgs) -> Result<()> {
    let all = pool(args.threads)?;
    let one = pool(Some(1))?;
    let mut rows = Vec::new();
    for isa in Isa::available() {
        for precision in ["f32", "f64"] {
            for p in [&one, &all] {
                let gflops = match precision {
                    "f32" => peak_gflops::<f32>(p, isa, 0.3)?,
                    _ => peak_gflops::<f64>(p, isa, 0.3)?,
                };
                rows.push((isa, precision, p.current_num_threads(), gflops));
            }
        }
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let json: Vec<_> = rows
            .iter()
            .map(|(isa, precision, threads, gflops)| {
                serde_json::json!({
                    "isa": isa.name(), "precision": precision,
                    "threads": threads, "gflops": gflops,
                })
            })
            .collect();
        writeln!(out, "{}", serde_json::Value::Array(json)).context(STDOUT)?;
    } else {
        writeln!(
            out,
            "FMA peak ({} independent chains per thread), GFLOP/s; in use: {}",
            peak::CHAINS,
            isa::current()
        )
        .context(STDOUT)?;
        writeln!(
            out,
            "{:<8} {:<6} {:>8} {:>10}",
            "isa", "type", "threads", "GFLOP/s"
        )
        .context(STDOUT)?;
        for (isa, precision, threads, gflops) in &rows {
            writeln!(
                out,
                "{:<8} {:<6} {:>8} {:>10.1}",
                isa.name(),
                precision,
                threads,
                gflops
            )
            .context(STDOUT)?;
        }
    }
    out.flush().context(STDOUT)?;
    Ok(())
}

/// `--reps`: 1 to [`MAX_REPS`] (checked by clap, see [`super::args`]).
fn reps(s: &str) -> Result<usize, super::args::Reason> {
    match s.parse::<usize>() {
        Ok(0) => Err("at least one timed repetition is needed".into()),
        Ok(n) if n <= MAX_REPS => Ok(n),
        _ => Err(format!("expected at most {MAX_REPS} timed repetitions").into()),
    }
}

/// `--shape MxKxN`, parsed and checked by clap ([`parse_shape`]).
#[derive(Clone)]
pub struct GemmShape {
    /// The value as given, for messages (`--shape 128x784x256: …`).
    pub text: String,
    /// Rows of A and C.
    pub m: usize,
    /// Columns of A, rows of B.
    pub k: usize,
    /// Columns of B and C.
    pub n: usize,
}

/// Three positive sizes `MxKxN`.
fn parse_shape(s: &str) -> Result<GemmShape, super::args::Reason> {
    let dims: Vec<usize> = s
        .split('x')
        .map(|d| d.trim().parse::<usize>())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("expected MxKxN, e.g. 128x784x256: {e}"))?;
    match dims[..] {
        [m, k, n] if m > 0 && k > 0 && n > 0 => Ok(GemmShape {
            text: s.to_string(),
            m,
            k,
            n,
        }),
        _ => Err("expected three positive sizes MxKxN, e.g. 128x784x256".into()),
    }
}

/// A zeroed `f32` buffer of `rows × cols` for `--shape`, or an error naming
/// the flag if its size overflows or the memory cannot be had.
fn matrix(shape: &str, what: &str, rows: usize, cols: usize) -> Result<Vec<f32>> {
    let too_big = || {
        anyhow::anyhow!(
            "--shape {shape}: {what} ({rows}×{cols} f32) needs more memory than can be allocated"
        )
    };
    let n = rows.checked_mul(cols).ok_or_else(too_big)?;
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| too_big())?;
    v.resize(n, 0.0);
    Ok(v)
}

/// `rows × cols` uniform draws for `--shape` (fallible like [`matrix`]).
fn random_matrix(
    rng: &mut NumpyRandom,
    shape: &str,
    what: &str,
    rows: usize,
    cols: usize,
) -> Result<Vec<f32>> {
    let mut v = matrix(shape, what, rows, cols)?;
    for x in &mut v {
        *x = rng.random() as f32;
    }
    Ok(v)
}

fn gemm(args: GemmArgs) -> Result<()> {
    let GemmShape { m, k, n, .. } = args.shape;
    let pool = pool(args.threads)?;
    let mut rng = NumpyRandom::seed(0);
    let (ar, ac) = if args.ta { (k, m) } else { (m, k) };
    let (br, bc) = if args.tb { (n, k) } else { (k, n) };
    // The same draws as `rng.rand::<f32>(&[r, c])`, A then B.
    let a = random_matrix(&mut rng, &args.shape.text, "A", ar, ac)?;
    let b = random_matrix(&mut rng, &args.shape.text, "B", br, bc)?;
    let mut c = matrix(&args.shape.text, "C", m, n)?;
    let mut seconds = Vec::with_capacity(args.reps);
    let isa = isa::current();
    let peak_before = peak_gflops::<f32>(&pool, isa, 0.075)?;
    pool.install(|| {
        let (a, b) = (
            MatRef::new(&a, ar, ac, args.ta),
            MatRef::new(&b, br, bc, args.tb),
        );
        product(a, b, &mut c);
        for _ in 0..args.reps {
            let t = Instant::now();
            product(a, b, &mut c);
            seconds.push(t.elapsed().as_secs_f64());
        }
    });
    let mut sorted = seconds.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let gflops = 2.0 * m as f64 * k as f64 * n as f64 / median / 1e9;
    let threads = pool.current_num_threads();
    // The ceiling for this set, precision and thread count, measured briefly
    // before and after the products (the better of the two, so a busy
    // moment on a shared machine does not lower it).
    let peak = peak_before.max(peak_gflops::<f32>(&pool, isa, 0.075)?);
    // Write errors (a closed pipe, a full disk) go back to `main`.
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let json = serde_json::json!({
            "m": m, "k": k, "n": n, "ta": args.ta, "tb": args.tb,
            "threads": threads,
            "isa": isa.name(),
            "peak_gflops": peak,
            "peak_share": gflops / peak,
            "median_seconds": median,
            "gflops": gflops,
            "seconds": seconds,
        });
        writeln!(out, "{json}").context(STDOUT)?;
    } else {
        writeln!(
            out,
            "gemm f32 {m}x{k}x{n}{}{} on {threads} threads, {isa}: {:.1} GFLOP/s (median {:.3} ms of {}), {:.0}% of the {isa} f32 peak ({:.1} GFLOP/s)",
            if args.ta { " (A transposed)" } else { "" },
            if args.tb { " (B transposed)" } else { "" },
            gflops,
            median * 1e3,
            args.reps,
            100.0 * gflops / peak,
            peak
        )
        .context(STDOUT)?;
    }
    out.flush().context(STDOUT)?;
    Ok(())
}
