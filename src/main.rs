//! The `backprop` command line: `walkthrough`, `train`, `eval`, `predict`, `serve`, `bench`.

mod cli;

use std::io::Write as _;
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
    /// The playground's JSON API over HTTP (see docs/api.md).
    Serve(cli::serve::ServeArgs),
    /// Time a kernel on this machine (`bench gemm`, `bench peak`).
    #[command(subcommand)]
    Bench(cli::bench::BenchCommand),
}

/// Parses the arguments with `try_parse` to render clap's errors ourselves:
/// `--help` and `--version` print as clap prints them (exit 0); `backprop`
/// alone prints the full help on stderr (exit 2); any other error is one line
/// naming the flag and what it expects (exit 2), like every other bad input.
fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(),
        // `backprop` alone: the full help, on stderr.
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            eprint!("{}", e.render());
            return ExitCode::from(2);
        }
        // Every other error on one line (see `cli::args::one_line`).
        Err(e) => {
            eprintln!("{}", cli::args::one_line(&e));
            return ExitCode::from(2);
        }
    };
    // A forced instruction set this CPU lacks, or no set at all: refuse
    // before any work (the library would quietly ignore it).
    if let Err(e) = backprop::isa::requested() {
        let _ = writeln!(std::io::stderr(), "error: {e}");
        return ExitCode::from(2);
    }
    let result = match cli.command {
        Command::Walkthrough(args) => cli::walkthrough::run(args),
        Command::Train(args) => cli::train::run(*args),
        Command::Eval(args) => cli::predict::eval(args),
        Command::Predict(args) => cli::predict::predict(args),
        Command::Serve(args) => cli::serve::run(args),
        Command::Bench(cmd) => cli::bench::run(cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // `backprop predict … | head`: the reader left. Stop quietly with the
        // status a shell gives a command killed by SIGPIPE (128 + 13), so a
        // pipeline can tell the output was cut short. (`train` never gets
        // here: it goes on training and saving without its stdout.)
        Err(e) if is_broken_pipe(&e) => ExitCode::from(141),
        Err(e) => {
            // One line, naming what was wrong; bad input is exit code 2.
            let _ = writeln!(std::io::stderr(), "error: {}", one_line(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes on one line, `outer: inner`, leaving out a cause
/// whose text the line already holds (an OS error quoted by its wrapper).
fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string().replace('\n', " ");
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line += ": ";
        }
        line += &text;
    }
    line
}

/// Whether an error is stdout's reader having gone away.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
