//! `backprop walkthrough` end to end: NumPy's numbers (tests/fixtures/
//! walkthrough_numpy.json, made by tools/walkthrough_reference.py from the
//! notebook's own code), the notebook's printed blocks in Portuguese, the
//! explanation against the JSON, forward/reverse mode counts, the graph, and
//! bad options.

#[path = "common/cli.rs"]
mod cli;

use backprop::numpy_fmt::format_f64_array;
use cli::{ok as stdout, run as backprop};
use serde_json::Value;

fn json(args: &[&str]) -> Value {
    let mut all = vec!["walkthrough", "--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&stdout(&all)).expect("stdout is one JSON object")
}

/// Every number in a JSON value, flattened in order.
fn numbers(v: &Value, out: &mut Vec<f64>) {
    match v {
        Value::Number(n) => out.push(n.as_f64().unwrap()),
        Value::Array(a) => a.iter().for_each(|x| numbers(x, out)),
        _ => panic!("expected numbers, got {v}"),
    }
}

fn flat(v: &Value) -> Vec<f64> {
    let mut out = Vec::new();
    numbers(v, &mut out);
    out
}

#[test]
fn json_matches_numpy_on_every_reference_case() {
    let fixture: Value =
        serde_json::from_str(include_str!("fixtures/walkthrough_numpy.json")).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() >= 12);
    for case in cases {
        let layers: Vec<String> = case["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.to_string())
            .collect();
        let (seed, steps, lr) = (
            case["seed"].to_string(),
            case["steps"].to_string(),
            case["lr"].to_string(),
        );
        let got = json(&[
            "--seed",
            &seed,
            "--steps",
            &steps,
            "--lr",
            &lr,
            "--layers",
            &layers.join(","),
        ]);
        let notebook = seed == "42" && steps == "1" && layers.join(",") == "2,2,1";
        for key in [
            "weights",
            "w1",
            "w2",
            "output_before",
            "output_after",
            "loss_before",
            "loss_after",
            "gradients",
        ] {
            let (want, have) = (flat(&case[key]), flat(&got[key]));
            assert_eq!(want.len(), have.len(), "{key} length, case {case}");
            for (w, h) in want.iter().zip(&have) {
                // The notebook's own setting to 1e-12; the others to 1e-10 relative.
                let tol = if notebook {
                    1e-12
                } else {
                    1e-10 * w.abs().max(1e-3)
                };
                assert!(
                    (w - h).abs() <= tol,
                    "{key}: {h} vs NumPy {w} (seed {seed} steps {steps} lr {lr} layers {layers:?})"
                );
            }
        }
        assert_eq!(got["seed"].to_string(), seed);
        assert!(got["train_seconds"].as_f64().unwrap() >= 0.0);
    }
}

/// The block the notebook printed for `label`: the label line and the array lines after it.
fn seed_block(seed: &str, label: &str) -> String {
    let start = seed
        .find(&format!("\n{label}\n ["))
        .unwrap_or_else(|| panic!("{label} in the seed"))
        + 1;
    let end = seed[start..].find("]]").unwrap() + start + 2;
    seed[start..end].to_string()
}

#[test]
fn portuguese_output_shows_the_notebooks_printed_blocks_character_for_character() {
    let seed = include_str!("fixtures/seed_notebook.txt");
    let out = stdout(&["walkthrough", "--lang", "pt"]);
    for label in [
        "Saída prevista antes da retropropagação:",
        "Pesos atualizados W1:",
        "Pesos atualizados W2:",
        "Saída prevista após a retropropagação:",
        "Valores esperados (y):",
    ] {
        let block = seed_block(seed, label);
        assert!(
            out.contains(&block),
            "missing the notebook's block:\n{block}\n--- in ---\n{out}"
        );
    }
    // The blocks come in the notebook's order.
    let w1 = out.find("Pesos atualizados W1:").unwrap();
    let w2 = out.find("Pesos atualizados W2:").unwrap();
    let after = out.find("Saída prevista após").unwrap();
    let y = out.find("Valores esperados (y):").unwrap();
    assert!(out.find("Saída prevista antes").unwrap() < w1 && w1 < w2 && w2 < after && after < y);
}

#[test]
fn explanation_values_equal_the_json_gradients() {
    let args = ["--seed", "7", "--layers", "2,3,3,1"];
    let text = stdout(&[&["walkthrough", "--tape"][..], &args].concat());
    let j = json(&args);
    for (k, g) in j["gradients"].as_array().unwrap().iter().enumerate() {
        let rows = g.as_array().unwrap();
        let dims = [rows.len(), rows[0].as_array().unwrap().len()];
        let printed = format_f64_array(&flat(g), &dims);
        // In the chain-rule stage and in the tape's own list.
        let chain = format!("∂L/∂W{} = ", k + 1);
        let at = text
            .find(&chain)
            .unwrap_or_else(|| panic!("{chain} in the text"));
        let after_label = &text[at..];
        let body = &after_label[after_label.find("\n[").unwrap() + 1..];
        assert!(
            body.starts_with(&printed),
            "∂L/∂W{}: text shows\n{}\nJSON gives\n{printed}",
            k + 1,
            &body[..printed.len().min(body.len())]
        );
        assert!(text.contains(&format!("∂L/∂W{} (tape)\n{printed}", k + 1)));
    }
}

#[test]
fn modes_counts_follow_the_theory() {
    let mut seen = Vec::new();
    for (layers, weights) in [("2,2,1", 6), ("2,3,3,1", 18), ("2,4,3,2,1", 28)] {
        let j = json(&["--layers", layers, "--modes"]);
        let m = &j["modes"];
        assert_eq!(m["weights"], weights);
        assert_eq!(m["forward_passes"], weights, "one tangent pass per weight");
        assert_eq!(m["reverse_sweeps"], 1, "one reverse sweep");
        assert!(m["max_diff"].as_f64().unwrap() < 1e-15);
        let (f, r) = (
            m["forward_madds"].as_u64().unwrap(),
            m["reverse_madds"].as_u64().unwrap(),
        );
        assert!(f > r, "{layers}: forward {f} vs reverse {r}");
        seen.push((f, r));
    }
    // Forward-mode work grows with the number of weights much faster than reverse mode's.
    assert!(seen[2].0 / seen[0].0 > seen[2].1 / seen[0].1);
}

#[test]
fn svg_graph_is_well_formed_and_names_every_tape_node() {
    let dir = std::env::temp_dir().join(format!("backprop-graph-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg_path = dir.join("g.svg");
    let dot_path = dir.join("g.dot");
    stdout(&["walkthrough", "--graph", svg_path.to_str().unwrap()]);
    stdout(&["walkthrough", "--graph", dot_path.to_str().unwrap()]);
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let dot = std::fs::read_to_string(&dot_path).unwrap();
    assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"));
    assert_well_formed(&svg);
    for name in [
        "X",
        "y",
        "W1",
        "W2",
        "hidden_input",
        "hidden_output",
        "output_input",
        "predicted_output",
        "loss",
    ] {
        assert!(
            svg.contains(&format!(">{name}")) || svg.contains(&format!("{name} ")),
            "{name} in the SVG"
        );
        assert!(dot.contains(name), "{name} in the DOT");
    }
    for id in 0..=8 {
        assert!(
            svg.contains(&format!("id=\"node-{id}\"")),
            "node {id} in the SVG"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A small XML well-formedness check: tags balance and nest, attributes are
/// quoted, and text holds no raw `<` or stray `&`.
fn assert_well_formed(xml: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = xml;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        assert!(
            !text.contains('>'),
            "raw '>' outside a tag is fine in XML but suspicious here: {text}"
        );
        for (i, _) in text.match_indices('&') {
            let ent = &text[i..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#"]
                    .iter()
                    .any(|e| ent.starts_with(e)),
                "stray & in text: {}",
                &ent[..ent.len().min(12)]
            );
        }
        let close = rest[open..].find('>').expect("tag closes") + open;
        let tag = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(
                stack.pop().as_deref(),
                Some(name.trim()),
                "closing tag nests"
            );
            continue;
        }
        let self_closing = tag.ends_with('/');
        let body = tag.trim_end_matches('/');
        let name = body
            .split_whitespace()
            .next()
            .expect("tag name")
            .to_string();
        assert_eq!(
            body.matches('"').count() % 2,
            0,
            "attributes quoted in <{body}>"
        );
        if !self_closing {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed tags: {stack:?}");
}

#[test]
fn bad_options_give_one_line_errors_and_nonzero_exit() {
    let unwritable = "/nonexistent-dir/graph.svg";
    for args in [
        &["walkthrough", "--lang", "xx"][..],
        &["walkthrough", "--steps", "-1"],
        &["walkthrough", "--steps", "0"],
        &["walkthrough", "--lr", "nan"],
        &["walkthrough", "--lr", "-1"],
        &["walkthrough", "--layers", "3,2,1"],
        &["walkthrough", "--layers", "2,0,1"],
        &["walkthrough", "--layers", "2,x,1"],
        &["walkthrough", "--graph", unwritable],
        &["walkthrough", "--graph", "/tmp/graph.png"],
    ] {
        let out = backprop(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} should fail");
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{args:?}: one line, got {err:?}"
        );
        assert!(err.contains("error"), "{args:?}: {err}");
    }
    let err = String::from_utf8_lossy(&backprop(&["walkthrough", "--layers", "3,2,1"]).stderr)
        .to_string();
    assert!(err.contains("2 inputs"), "{err}");
    let err = String::from_utf8_lossy(&backprop(&["walkthrough", "--graph", unwritable]).stderr)
        .to_string();
    assert!(err.contains(unwritable), "{err}");
}
