//! `backprop bench gemm`: the matrix-product kernel timed on this machine, so
//! users (and `compare/`) can set it beside NumPy's or PyTorch's `matmul`.

use std::time::Instant;

use anyhow::{bail, Context, Result};
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
    #[arg(long, default_value = "1024x1024x1024")]
    pub shape: String,
    /// Use A transposed (stored `[K, M]`), read through strides.
    #[arg(long)]
    pub ta: bool,
    /// Use B transposed (stored `[N, K]`), read through strides.
    #[arg(long)]
    pub tb: bool,
    /// Threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Timed repetitions after one warm-up; the median is reported.
    #[arg(long, default_value_t = 20)]
    pub reps: usize,
    /// Print a JSON object instead of a line of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `backprop bench …`.
pub fn run(cmd: BenchCommand) -> Result<()> {
    match cmd {
        BenchCommand::Gemm(args) => gemm(args),
    }
}

fn parse_shape(s: &str) -> Result<(usize, usize, usize)> {
    let dims: Vec<usize> = s
        .split('x')
        .map(|d| d.trim().parse::<usize>())
        .collect::<Result<_, _>>()
        .with_context(|| format!("--shape {s}: expected MxKxN, e.g. 128x784x256"))?;
    match dims[..] {
        [m, k, n] if m > 0 && k > 0 && n > 0 => Ok((m, k, n)),
        _ => bail!("--shape {s}: expected three positive sizes MxKxN, e.g. 128x784x256"),
    }
}

fn gemm(args: GemmArgs) -> Result<()> {
    let (m, k, n) = parse_shape(&args.shape)?;
    if args.reps == 0 {
        bail!("--reps 0: at least one timed repetition is needed");
    }
    if args.threads == Some(0) {
        bail!("--threads 0: at least one thread is needed");
    }
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(t) = args.threads {
        pool = pool.num_threads(t);
    }
    let pool = pool.build().context("cannot start the thread pool")?;
    let mut rng = NumpyRandom::seed(0);
    let (ar, ac) = if args.ta { (k, m) } else { (m, k) };
    let (br, bc) = if args.tb { (n, k) } else { (k, n) };
    let a = rng.rand::<f32>(&[ar, ac])?;
    let b = rng.rand::<f32>(&[br, bc])?;
    let mut c = vec![0.0f32; m * n];
    let mut seconds = Vec::with_capacity(args.reps);
    pool.install(|| {
        let (a, b) = (
            MatRef::new(a.data(), ar, ac, args.ta),
            MatRef::new(b.data(), br, bc, args.tb),
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
    let gflops = 2.0 * (m * k * n) as f64 / median / 1e9;
    let threads = pool.current_num_threads();
    if args.json {
        let out = serde_json::json!({
            "m": m, "k": k, "n": n, "ta": args.ta, "tb": args.tb,
            "threads": threads,
            "median_seconds": median,
            "gflops": gflops,
            "seconds": seconds,
        });
        println!("{out}");
    } else {
        println!(
            "gemm f32 {m}x{k}x{n}{}{} on {threads} threads: {:.1} GFLOP/s (median {:.3} ms of {})",
            if args.ta { " (A transposed)" } else { "" },
            if args.tb { " (B transposed)" } else { "" },
            gflops,
            median * 1e3,
            args.reps
        );
    }
    Ok(())
}
