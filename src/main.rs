//! The `backprop` command line.

use anyhow::{Context, Result};
use backprop::{notebook, Tape};
use clap::{Parser, Subcommand};

/// Does and shows backpropagation.
#[derive(Parser)]
#[command(name = "backprop", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The seed notebook's 2-2-1 sigmoid network on XOR: forward pass and tape gradients.
    Walkthrough {
        /// NumPy seed for the initial weights (`np.random.seed`).
        #[arg(long, default_value_t = 42)]
        seed: u32,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Walkthrough { seed } => walkthrough(seed),
    }
}

fn walkthrough(seed: u32) -> Result<()> {
    let (x, y) = notebook::xor();
    let weights =
        notebook::init_weights(seed, &[2, 2, 1]).context("drawing the initial weights")?;
    let tape = Tape::new();
    let fwd = notebook::forward(&tape, &x, &y, &weights)?;
    println!("Forward pass (seed {seed})");
    for v in [
        fwd.weights[0],
        fwd.weights[1],
        fwd.pre[0],
        fwd.act[0],
        fwd.pre[1],
        fwd.act[1],
        fwd.loss,
    ] {
        let node = &tape.nodes()[v.id()];
        println!(
            "{} ({}) =\n{}",
            node.name.as_deref().unwrap_or("?"),
            node.op.name(),
            rows(&v.to_tensor())
        );
    }
    let grads = tape.backward(fwd.loss)?;
    println!("\nTape gradients (reverse sweep)");
    for (k, w) in fwd.weights.iter().enumerate() {
        let g = grads.get(*w).context("a weight received no gradient")?;
        println!("dL/dW{} =\n{}", k + 1, rows(g));
    }
    Ok(())
}

fn rows(t: &backprop::Tensor<f64>) -> String {
    match t.to_rows() {
        Some(r) => r
            .iter()
            .map(|row| format!("  {row:?}"))
            .collect::<Vec<_>>()
            .join("\n"),
        None => format!("  {:?}", t.data()),
    }
}
