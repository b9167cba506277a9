//! `backprop bench gemm`: the matrix-product kernel timed on this machine, so
//! users (and `compare/`) can set it beside NumPy's or PyTorch's `matmul`.

use std::io::Write as _;
use std::time::Instant;

use anyhow::{Context, Result};
use backprop::rng::NumpyRandom;
use backprop::tensor::gemm::MatRef;
use backprop::tensor::product::product;
use clap::{Args, Subcommand};

/// What to time.
#[derive(Subcommand)]
pub enum BenchCommand {
    /// f32 `C = op(A)·op(B)`: the median time of repeated products, in GFLOP/s.
    Gemm(GemmArgs),
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
    }
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
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(t) = args.threads {
        pool = pool.num_threads(t);
    }
    let pool = pool.build().context("cannot start the thread pool")?;
    let mut rng = NumpyRandom::seed(0);
    let (ar, ac) = if args.ta { (k, m) } else { (m, k) };
    let (br, bc) = if args.tb { (n, k) } else { (k, n) };
    // The same draws as `rng.rand::<f32>(&[r, c])`, A then B.
    let a = random_matrix(&mut rng, &args.shape.text, "A", ar, ac)?;
    let b = random_matrix(&mut rng, &args.shape.text, "B", br, bc)?;
    let mut c = matrix(&args.shape.text, "C", m, n)?;
    let mut seconds = Vec::with_capacity(args.reps);
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
    // Write errors (a closed pipe, a full disk) go back to `main`.
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let json = serde_json::json!({
            "m": m, "k": k, "n": n, "ta": args.ta, "tb": args.tb,
            "threads": threads,
            "median_seconds": median,
            "gflops": gflops,
            "seconds": seconds,
        });
        writeln!(out, "{json}").context(STDOUT)?;
    } else {
        writeln!(
            out,
            "gemm f32 {m}x{k}x{n}{}{} on {threads} threads: {:.1} GFLOP/s (median {:.3} ms of {})",
            if args.ta { " (A transposed)" } else { "" },
            if args.tb { " (B transposed)" } else { "" },
            gflops,
            median * 1e3,
            args.reps
        )
        .context(STDOUT)?;
    }
    out.flush().context(STDOUT)?;
    Ok(())
}
