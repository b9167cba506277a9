//! The `backprop` command line: `walkthrough`, `train`, `eval`, `predict`, `bench`.

mod cli;

use std::process::ExitCode;

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
    /// The seed notebook's network on XOR, reproduced to the digit and explained step by step.
    Walkthrough(cli::walkthrough::WalkArgs),
    /// Train a network on a CSV file, MNIST IDX files or a generated 2-D set.
    Train(Box<cli::train::TrainArgs>),
    /// Loss, accuracy and confusion matrix of a saved model on a data set.
    Eval(cli::predict::EvalArgs),
    /// Predictions of a saved model as CSV on stdout.
    Predict(cli::predict::PredictArgs),
    /// Time a kernel on this machine (`bench gemm`).
    #[command(subcommand)]
    Bench(cli::bench::BenchCommand),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(),
        // `backprop` alone: the full help, on stderr.
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            eprint!("{}", e.render());
            return ExitCode::from(2);
        }
        Err(e) => {
            let msg = e.render().to_string();
            eprintln!("{}", msg.lines().next().unwrap_or("error: bad arguments"));
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Walkthrough(args) => cli::walkthrough::run(args),
        Command::Train(args) => cli::train::run(*args),
        Command::Eval(args) => cli::predict::eval(args),
        Command::Predict(args) => cli::predict::predict(args),
        Command::Bench(cmd) => cli::bench::run(cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // `backprop predict … | head`: the reader left; nothing is wrong.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, naming what was wrong; bad input is exit code 2.
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::from(2)
        }
    }
}

/// Whether an error is stdout's reader having gone away.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
