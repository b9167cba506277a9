//! The walkthrough as a lesson (issue 10): one weight's trace adds up to the
//! tape's gradient, the default output is short and keeps the notebook's
//! blocks, the per-layer table flags vanishing gradients, and the sentence
//! reads the result in its three cases.

#[path = "common/cli.rs"]
mod cli;

use backprop::nn::Activation;
use backprop::walkthrough::{self, lesson::Case, text, trace, Lang, Settings};
use cli::{fails, ok};
use serde_json::Value;

fn settings(seed: u32, layers: &[usize], activation: Activation) -> Settings {
    Settings {
        seed,
        layers: layers.to_vec(),
        activation,
        ..Settings::default()
    }
}

#[test]
fn trace_terms_add_up_to_the_tapes_gradient_for_every_weight() {
    for layers in [&[2, 2, 1][..], &[2, 3, 3, 1]] {
        for seed in [0, 7, 42] {
            for act in [Activation::Sigmoid, Activation::Tanh, Activation::Relu] {
                let w = walkthrough::begin(&settings(seed, layers, act)).unwrap();
                for (k, g) in w.gradients.iter().enumerate() {
                    let cols = g.dims()[1];
                    for (idx, &grad) in g.data().iter().enumerate() {
                        let spec = format!("W{}[{},{}]", k + 1, idx / cols, idx % cols);
                        let t = trace::trace(&w, &spec).unwrap();
                        assert_eq!(t.sum, grad, "{spec}: sum is the tape's gradient");
                        let terms = t.terms.as_ref().expect("at most 64 paths here");
                        let paths: u64 = layers[(k + 2).min(layers.len() - 1)..layers.len() - 1]
                            .iter()
                            .map(|&n| n as u64)
                            .product();
                        assert_eq!(
                            terms.len() as u64,
                            4 * paths,
                            "{spec}: one term per path and example"
                        );
                        let total: f64 = terms.iter().map(|t| t.product).sum();
                        let scale: f64 = terms.iter().map(|t| t.product.abs()).sum();
                        assert!(
                            (total - grad).abs() <= 1e-12 * scale.max(f64::MIN_POSITIVE),
                            "{layers:?} seed {seed} {act:?} {spec}: Σ terms {total} vs tape {grad}"
                        );
                        for term in terms {
                            let p = term.factors.iter().map(|f| f.value).product::<f64>();
                            assert_eq!(p, term.product, "{spec}: the product of its factors");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn the_notebooks_trace_reads_as_the_issue_writes_it() {
    let out = ok(&["walkthrough", "--trace", "W1[1,0]"]);
    assert!(out.contains(
        "example 1: ŷ−y −0.4487 × σ′(output_input) 0.2474 × W2[0,0] 0.1560 × σ′(hidden_input[0]) 0.2193 × x[1] 1 = −0.003797"
    ), "{out}");
    assert!(
        out.contains("x[1] 0 = 0\n"),
        "examples with x = 0 show a product of 0"
    );
    assert!(
        out.contains("−0.00379724 + 0.00402659 = 0.00022935 = ∂L/∂W1[1,0]"),
        "{out}"
    );
    assert!(out.contains("Each σ′ is at most 0.25"), "{out}");
    let tanh = ok(&["walkthrough", "--activation", "tanh", "--trace", "W1[0,0]"]);
    assert!(tanh.contains("tanh′ is at most 1"));
    let relu = ok(&["walkthrough", "--activation", "relu", "--trace", "W1[0,0]"]);
    assert!(relu.contains("relu′ is 0 or 1"));
}

#[test]
fn past_64_paths_the_trace_gives_layer_deltas() {
    let j: Value = serde_json::from_str(&ok(&[
        "walkthrough",
        "--layers",
        "2,8,8,8,8,1",
        "--json",
        "--trace",
        "W1[1,0]",
    ]))
    .unwrap();
    let t = &j["trace"];
    assert_eq!(t["weight"], "W1[1,0]");
    assert!(t.get("terms").is_none());
    let deltas = t["deltas"].as_array().unwrap();
    // 4 examples × layers 5, 4, 3, 2, 1.
    assert_eq!(deltas.len(), 20);
    assert_eq!(
        (deltas[0]["example"].as_u64(), deltas[0]["layer"].as_u64()),
        (Some(0), Some(5))
    );
    assert_eq!(deltas[4]["values"].as_array().unwrap().len(), 8);
    // Each example's term δ1[0]·x[1], summed, is the tape's gradient.
    let x1 = [0.0, 1.0, 0.0, 1.0];
    let total: f64 = (0..4)
        .map(|e| deltas[e * 5 + 4]["values"][0].as_f64().unwrap() * x1[e])
        .sum();
    let sum = t["sum"].as_f64().unwrap();
    assert!(
        (total - sum).abs() <= 1e-12 * total.abs(),
        "{total} vs {sum}"
    );
    assert_eq!(sum, j["gradients"][0][1][0].as_f64().unwrap());
    let text = ok(&[
        "walkthrough",
        "--layers",
        "2,8,8,8,8,1",
        "--trace",
        "W1[1,0]",
    ]);
    assert!(text.contains("512 path(s), 2048 in all"), "{text}");
    assert!(text.contains("Over 64 paths"), "{text}");
}

#[test]
fn a_weight_that_does_not_exist_is_one_line() {
    fails(
        &["walkthrough", "--trace", "W3[0,0]"],
        "there is no W3: the network has W1 to W2",
    );
    fails(
        &["walkthrough", "--trace", "W1[2,0]"],
        "W1 has shape [2, 2]",
    );
    fails(
        &["walkthrough", "--trace", "W1(0,0)"],
        "expected a weight as Wk[i,j]",
    );
}

#[test]
fn the_default_is_short_and_keeps_the_tape_behind_a_flag() {
    for lang in ["en", "pt"] {
        let out = ok(&["walkthrough", "--lang", lang]);
        let lines = out.lines().count();
        assert!(lines <= 125, "{lang}: {lines} lines");
        assert!(
            !out.contains("(tape)"),
            "{lang}: the sweep is behind --tape"
        );
        // ∂L/∂output_input's values appear once.
        assert_eq!(out.matches("[[ 0.13391423]").count(), 1, "{lang}");
        // ŷ before is printed once (in the notebook's block).
        assert_eq!(
            out.matches("0.53892274]").count(),
            2,
            "{lang}: block and results table"
        );
        let tape = ok(&["walkthrough", "--lang", lang, "--tape"]);
        assert!(tape.contains("∂L/∂W1 (tape)") && tape.contains("#8 loss [half_sse]"));
    }
    let out = ok(&["walkthrough"]);
    for shape in [
        "W1 = np.random.rand(2, 2)  [2, 2]",
        "X  [4, 2]",
        "hidden_input = X·W1  [4, 2]",
        "∂L/∂W2 = hidden_outputᵀ·∂L/∂output_input  [2, 1]",
    ] {
        assert!(out.contains(shape), "{shape}");
    }
    let key: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("Key:"))
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(
        key.len() <= 5
            && key.concat().contains('⊙')
            && key.concat().contains('ᵀ')
            && key.concat().contains("ḡ")
    );
    assert!(key.concat().contains("Xᵀ·ḡ"), "{key:?}");
}

#[test]
fn portuguese_steps_are_numbered_and_titled_as_the_notebook_does() {
    let out = ok(&["walkthrough", "--lang", "pt"]);
    let titles = [
        "== Passo 1: Inicialização dos Pesos",
        "== Passo 2: Definindo o dataset de entrada (X) e saída esperada (y)",
        "== Passo 3: Forward Pass (Passagem para frente)",
        "== Passo 4: Calculando o erro",
        "== Passo 5: Retropropagação (Backpropagation)",
        "== Atualização dos pesos",
        "== Passo 6: Forward Pass novamente para obter a saída prevista após a retropropagação",
    ];
    let at: Vec<usize> = titles
        .iter()
        .map(|t| out.find(t).unwrap_or_else(|| panic!("{t} missing")))
        .collect();
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "in the notebook's order"
    );
}

#[test]
fn the_layer_table_flags_vanishing_gradients_in_a_deep_sigmoid_network() {
    let w = walkthrough::begin(&settings(42, &[2, 8, 8, 8, 8, 1], Activation::Sigmoid)).unwrap();
    let rows = &w.layer_start;
    let flags: Vec<bool> = rows.iter().map(|r| r.flagged).collect();
    assert_eq!(flags, [true, true, true, false, false]);
    let out = rows[4].grad_norm;
    let times: Vec<f64> = rows[..4]
        .iter()
        .map(|r| (out / r.grad_norm).round())
        .collect();
    assert_eq!(times, [7726.0, 1258.0, 241.0, 26.0]);
    assert_eq!(rows[4].ratio, None);
    assert!((rows[0].ratio.unwrap() - rows[0].grad_norm / rows[1].grad_norm).abs() < 1e-15);
    for r in rows {
        assert!(
            r.mean_act_deriv > 0.0 && r.mean_act_deriv <= 0.25,
            "σ′ ≤ 1/4"
        );
    }
    let text = ok(&["walkthrough", "--layers", "2,8,8,8,8,1"]);
    assert_eq!(
        text.matches("← ≥100× smaller than the output layer's")
            .count(),
        3
    );
}

#[test]
fn the_sentence_reads_the_three_cases_from_the_table() {
    let run = |steps: u64, lr: f64| {
        let mut w = walkthrough::begin(&Settings {
            steps,
            lr,
            ..Settings::default()
        })
        .unwrap();
        w.train_rest(|_| {}).unwrap();
        let o = text::outcome(&w);
        (
            o.case,
            text::sentence(&o, &w, Lang::En),
            text::sentence(&o, &w, Lang::Pt),
        )
    };
    let (case, en, pt) = run(1, 1.0);
    assert_eq!(case, Case::SomeAway);
    assert!(
        en.contains("The loss fell from 0.504103 to 0.502527, but [0 1], [1 0] moved away"),
        "{en}"
    );
    assert!(en.contains("a sum over the examples"), "{en}");
    assert!(
        en.contains("∂L/∂W2 is positive, so W2 shrinks and every output goes down."),
        "{en}"
    );
    assert!(
        pt.contains("A perda caiu") && pt.contains("W2 diminui"),
        "{pt}"
    );
    let (case, en, _) = run(2000, 1.0);
    assert_eq!(case, Case::AllCloser);
    assert!(
        en.contains("every example moved closer to its target"),
        "{en}"
    );
    let (case, en, pt) = run(1, 10.0);
    assert_eq!(case, Case::Rose);
    assert!(
        en.contains("The loss rose from 0.504103 to 0.505281") && en.contains("smaller --lr"),
        "{en}"
    );
    assert!(pt.contains("A perda subiu"), "{pt}");
    // The table: the two examples whose target is 1 moved away in the notebook's step.
    let out = ok(&["walkthrough"]);
    assert!(
        out.contains("[0 1]   1      0.55132394  0.54162756  farther"),
        "{out}"
    );
}

#[test]
fn json_gains_the_history_the_layer_tables_and_the_widths() {
    let j: Value = serde_json::from_str(&ok(&[
        "walkthrough",
        "--json",
        "--steps",
        "2000",
        "--modes",
    ]))
    .unwrap();
    let h = j["loss_history"].as_array().unwrap();
    assert_eq!(h.len(), 10);
    assert_eq!(h[0][0], 1);
    assert_eq!(h[0][1], j["loss_before"]);
    assert_eq!(h[9][0], 2000);
    let losses: Vec<f64> = h.iter().map(|p| p[1].as_f64().unwrap()).collect();
    assert!(losses.windows(2).all(|w| w[1] < w[0]), "{losses:?}");
    for part in ["start", "end"] {
        let rows = j["layer_table"][part].as_array().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1]["ratio"], Value::Null);
        assert_eq!(rows[1]["layer"], 2);
        assert_eq!(rows[0]["flagged"], false);
    }
    assert_ne!(j["layer_table"]["start"], j["layer_table"]["end"]);
    let g0 = &j["gradients"][1];
    let norm = (g0[0][0].as_f64().unwrap().powi(2) + g0[1][0].as_f64().unwrap().powi(2)).sqrt();
    assert!((j["layer_table"]["start"][1]["grad_norm"].as_f64().unwrap() - norm).abs() < 1e-15);
    let widths = j["modes"]["widths"].as_array().unwrap();
    let hidden: Vec<u64> = widths
        .iter()
        .map(|r| r["hidden"].as_u64().unwrap())
        .collect();
    assert_eq!(hidden, [2, 4, 8, 16, 32, 64]);
    for r in widths {
        let h = r["hidden"].as_u64().unwrap();
        assert_eq!(r["forward_passes"].as_u64().unwrap(), 2 * h + h * h + h);
        assert_eq!(r["reverse_sweeps"], 1);
    }
    let text = ok(&["walkthrough", "--steps", "2000"]);
    assert!(
        text.contains("== Loss during training\n1: 0.504103"),
        "{text}"
    );
    assert!(text.contains("(at the first step)") && text.contains("(at the last step)"));
}

#[test]
fn the_activation_flag_changes_the_hidden_layers_only() {
    let j: Value =
        serde_json::from_str(&ok(&["walkthrough", "--json", "--activation", "tanh"])).unwrap();
    assert_eq!(j["activation"], "tanh");
    let text = ok(&["walkthrough", "--activation", "relu", "--layers", "2,4,1"]);
    assert!(
        text.contains("hidden_output = relu(hidden_input)"),
        "{text}"
    );
    assert!(
        text.contains("predicted_output = σ(output_input)"),
        "{text}"
    );
    fails(
        &["walkthrough", "--activation", "gelu"],
        "invalid value 'gelu'",
    );
}
