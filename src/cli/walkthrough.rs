//! `backprop walkthrough`.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use backprop::graph;
use backprop::io::write_atomic;
use backprop::nn::Activation;
use backprop::numpy_fmt::format_f64_array;
use backprop::walkthrough::{self, json, modes, text, trace, Lang, Settings};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Clone, Copy, ValueEnum)]
pub enum LangArg {
    /// English.
    En,
    /// Portuguese, with the notebook's own labels.
    Pt,
}

#[derive(Args)]
pub struct WalkArgs {
    /// NumPy seed for the initial weights (`np.random.seed`).
    #[arg(long, default_value_t = 42)]
    seed: u32,
    /// Training steps; the explanation covers the first.
    #[arg(long, default_value_t = 1, value_parser = super::args::at_least_1::<u64>)]
    steps: u64,
    /// Learning rate.
    #[arg(
        long,
        default_value_t = 1.0,
        allow_negative_numbers = true,
        value_parser = super::args::learning_rate
    )]
    lr: f64,
    /// Layer sizes, input first: 2,H1,…,1 (sigmoid layers without biases).
    #[arg(long, value_delimiter = ',', default_value = "2,2,1")]
    layers: Vec<usize>,
    /// Language of the explanation.
    #[arg(long, value_enum, default_value_t = LangArg::En)]
    lang: LangArg,
    /// Write the first step's computational graph to FILE (.dot or .svg).
    #[arg(long, value_name = "FILE", value_parser = super::args::graph_file)]
    graph: Option<PathBuf>,
    /// Also compute ∂L/∂W in forward mode and compare with reverse mode.
    #[arg(long)]
    modes: bool,
    /// Print one JSON object on stdout instead of the explanation.
    #[arg(long)]
    json: bool,
    /// Take one weight's gradient apart: 'Wk[i,j]' in the notebook's [in, out]
    /// orientation, 0-based (quote it: shells expand brackets).
    #[arg(long, value_name = "WEIGHT")]
    trace: Option<String>,
    /// Also show the tape's reverse sweep, node by node.
    #[arg(long)]
    tape: bool,
    /// Hidden layers' activation (the output stays a sigmoid).
    #[arg(long, value_enum, default_value_t = ActArg::Sigmoid)]
    activation: ActArg,
}

/// The activations the walkthrough explains.
#[derive(Clone, Copy, ValueEnum)]
pub enum ActArg {
    /// The notebook's σ(x) = 1/(1 + e^(−x)).
    Sigmoid,
    /// tanh x.
    Tanh,
    /// max(x, 0).
    Relu,
}

pub fn run(args: WalkArgs) -> Result<()> {
    let lang = match args.lang {
        LangArg::En => Lang::En,
        LangArg::Pt => Lang::Pt,
    };
    let settings = Settings {
        seed: args.seed,
        steps: args.steps,
        lr: args.lr,
        layers: args.layers,
        activation: match args.activation {
            ActArg::Sigmoid => Activation::Sigmoid,
            ActArg::Tanh => Activation::Tanh,
            ActArg::Relu => Activation::Relu,
        },
    };
    settings.validate()?;
    // `--graph` ends in .dot or .svg (checked by clap).
    let svg = args
        .graph
        .as_deref()
        .map(|p| p.extension().is_some_and(|e| e == "svg"));
    if let Some(path) = &args.graph {
        // Before the steps run: a bad --graph path must not cost the run.
        backprop::io::probe_output(path).context("--graph")?;
    }

    let mut w = walkthrough::begin(&settings)?;
    let traced = args
        .trace
        .as_deref()
        .map(|spec| trace::trace(&w, spec))
        .transpose()?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if !args.json {
        write!(out, "{}", text::first_step(&w, lang, args.tape))?;
        if settings.steps > 1 {
            writeln!(out, "{}", text::rest(&w, lang))?;
        }
        out.flush()?;
    }
    if settings.steps > 1 {
        let bar = ProgressBar::new(settings.steps);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} steps {per_sec} eta {eta}")
                .expect("a valid template"),
        );
        bar.set_position(1);
        w.train_rest(|done| bar.set_position(done))?;
        bar.finish_and_clear();
    }
    if let (Some(path), Some(svg)) = (&args.graph, svg) {
        let doc = if svg {
            graph::to_svg(&w.graph)
        } else {
            graph::to_dot(&w.graph)
        };
        write_atomic(path, doc.as_bytes())?;
    }
    let modes = if args.modes {
        let (x, y) = backprop::notebook::xor();
        let m = modes::compare(&x, &y, &w.initial, settings.activation)?;
        Some((m, modes::widths(settings.seed, settings.activation)?))
    } else {
        None
    };
    if args.json {
        let mut obj = json::to_json(&w);
        if let Some((m, widths)) = &modes {
            obj["modes"] = serde_json::json!({
                "weights": m.weights,
                "forward_passes": m.forward_passes,
                "forward_madds": m.forward_madds,
                "reverse_sweeps": m.reverse_sweeps,
                "reverse_madds": m.reverse_madds,
                "max_diff": m.max_diff,
                "widths": widths,
            });
        }
        if let Some(t) = &traced {
            obj["trace"] = serde_json::to_value(t)?;
        }
        writeln!(out, "{obj}")?;
        return Ok(());
    }
    write!(out, "{}", text::results(&w, lang))?;
    if let Some(t) = &traced {
        write!(out, "{}", text::trace(&w, t, lang))?;
    }
    write!(out, "{}", text::lesson(&w, lang))?;
    if let Some((m, widths)) = &modes {
        write!(out, "{}", modes_text(m, widths, lang))?;
    }
    if let Some(path) = &args.graph {
        writeln!(out, "\ngraph: {}", path.display())?;
    }
    Ok(())
}

fn modes_text(m: &modes::Modes, widths: &[modes::WidthRow], lang: Lang) -> String {
    let (title, fwd, rev, agree, why) = match lang {
        Lang::En => (
            "Forward mode beside reverse mode (the first step's ∂L/∂W)",
            "forward mode: one tangent pass per weight",
            "reverse mode: one sweep for all weights",
            "largest difference between the two",
            "Forward mode needs a pass per input direction; reverse mode one per output. A loss has one\noutput and many weights: that is why backpropagation runs in reverse.",
        ),
        Lang::Pt => (
            "Modo direto ao lado do modo reverso (∂L/∂W do primeiro passo)",
            "modo direto: uma passagem tangente por peso",
            "modo reverso: uma varredura para todos os pesos",
            "maior diferença entre os dois",
            "O modo direto precisa de uma passagem por direção de entrada; o reverso, de uma por saída. Uma perda\ntem uma saída e muitos pesos: por isso a retropropagação corre em modo reverso.",
        ),
    };
    let mut s = format!("\n== {title}\n");
    s += &format!(
        "{fwd}: {} passes, {} multiply-adds\n",
        m.forward_passes, m.forward_madds
    );
    s += &format!(
        "{rev}: {} sweep, {} multiply-adds\n",
        m.reverse_sweeps, m.reverse_madds
    );
    for (k, (f, r)) in m.forward.iter().zip(&m.reverse).enumerate() {
        s += &format!(
            "∂L/∂W{} forward:\n{}\n∂L/∂W{} reverse:\n{}\n",
            k + 1,
            format_f64_array(f.data(), f.dims()),
            k + 1,
            format_f64_array(r.data(), r.dims())
        );
    }
    s += &format!("{agree}: {:e}\n{why}\n", m.max_diff);
    let (head, note) = match lang {
        Lang::En => (
            ["network", "weights", "forward passes", "forward madds", "reverse sweeps", "reverse madds", "ratio"],
            "Forward mode's passes grow with the weights; reverse mode stays one sweep: the gap widens with every unit.",
        ),
        Lang::Pt => (
            ["rede", "pesos", "passagens diretas", "madds diretas", "varreduras reversas", "madds reversas", "razão"],
            "As passagens do modo direto crescem com os pesos; o modo reverso segue com uma varredura: a distância cresce a cada unidade.",
        ),
    };
    s += &format!(
        "\n{:<12} {:>7} {:>14} {:>14} {:>14} {:>14} {:>8}\n",
        head[0], head[1], head[2], head[3], head[4], head[5], head[6]
    );
    for r in widths {
        s += &format!(
            "{:<12} {:>7} {:>14} {:>14} {:>14} {:>14} {:>7.0}×\n",
            format!("2,{},{},1", r.hidden, r.hidden),
            r.weights,
            r.forward_passes,
            r.forward_madds,
            r.reverse_sweeps,
            r.reverse_madds,
            r.forward_madds as f64 / r.reverse_madds.max(1) as f64
        );
    }
    s += note;
    s.push('\n');
    s
}
