//! The narration: the notebook's stages with its numbers, and between them
//! the chain rule "from the outside in", in English or in the notebook's
//! Portuguese. Every gradient shown is read from the observed backward pass
//! ([`Walkthrough::visits`]); nothing here computes a derivative.

use std::fmt::Write;

use super::{Lang, Walkthrough};
use crate::numpy_fmt::{format_f64_array, format_i64_array, format_py_float};
use crate::tensor::Tensor;

/// NumPy's `print` of a float64 array.
fn arr(t: &Tensor<f64>) -> String {
    format_f64_array(t.data(), t.dims())
}

/// NumPy's `print` of an integer array (X and y are integer arrays in the notebook).
fn ints(t: &Tensor<f64>) -> String {
    let data: Vec<i64> = t.data().iter().map(|&v| v as i64).collect();
    format_i64_array(&data, t.dims())
}

/// The negation of a tensor (the notebook's variables are −gradients).
fn neg(t: &Tensor<f64>) -> Tensor<f64> {
    let mut n = t.clone();
    n.data_mut().iter_mut().for_each(|v| *v = -*v);
    n
}

/// `print("\n<label>\n", value)`, as the notebook writes its blocks.
fn block(out: &mut String, newline: bool, label: &str, value: &str) {
    let nl = if newline { "\n" } else { "" };
    let _ = writeln!(out, "{nl}{label}\n {value}");
}

/// A labelled value in our own sections.
fn shown(out: &mut String, label: &str, value: &str) {
    let _ = writeln!(out, "{label}\n{value}");
}

struct Words {
    title: &'static str,
    network: &'static str,
    layers_kind: &'static str,
    initial: &'static str,
    dataset: &'static str,
    forward: &'static str,
    before: &'static str,
    loss_before: &'static str,
    error: &'static str,
    backward: &'static str,
    sign: &'static str,
    notebook_is: &'static str,
    sweep: &'static str,
    sweep_intro: &'static str,
    upstream: &'static str,
    sends: &'static str,
    max_diff: &'static str,
    update: &'static str,
    rest: &'static str,
    after_steps: &'static str,
    updated: &'static str,
    after: &'static str,
    expected: &'static str,
    loss_after: &'static str,
    loss_after_first: &'static str,
}

const EN: Words = Words {
    title: "backprop walkthrough: the seed notebook's network, step by step",
    network: "Network:",
    layers_kind: "sigmoid layers without biases",
    initial: "Step 1. Initial weights",
    dataset: "Step 2. The dataset (XOR): inputs X and expected outputs y",
    forward: "Step 3. Forward pass: zₖ = aₖ₋₁·Wₖ, aₖ = σ(zₖ) = 1/(1 + e^(−zₖ)), a₀ = X",
    before: "Predicted output before backpropagation:",
    loss_before: "Loss before the step, L = 0.5·Σ(y − ŷ)² =",
    error: "Step 4. The error: error = y − ŷ",
    backward: "Step 5. Backpropagation: the chain rule from the outside in",
    sign: "Sign convention: the notebook works with error = y − ŷ and adds its terms to the weights.\n\
           Since L = 0.5·Σ(y − ŷ)², ∂L/∂ŷ = ŷ − y = −error, so every notebook variable below is\n\
           the negative of a gradient, and `W += …` is the descent step W ← W − lr·∂L/∂W with lr = 1.\n\
           The values shown are the gradients as the engine's tape computed them.",
    notebook_is: "notebook",
    sweep: "Step 6. The same gradients as the engine's tape computes them",
    sweep_intro: "A reverse sweep over the recorded nodes, in the order they were visited (loss first);\n\
                  each node applies its op's rule to the gradient that reached it (ḡ) and sends the\n\
                  results to its inputs, which add up what they receive.",
    upstream: "ḡ",
    sends: "sends to",
    max_diff: "Largest difference between the tape's ∂L/∂W and the notebook's hand-written updates (negated):",
    update: "Step 7. The update: W ← W − lr·∂L/∂W (the notebook's W += …)",
    rest: "The remaining steps repeat steps 3 to 7 unobserved:",
    after_steps: "After",
    updated: "Updated weights",
    after: "Predicted output after backpropagation:",
    expected: "Expected values (y):",
    loss_after: "Loss before → after training:",
    loss_after_first: "Loss after the first step:",
};

const PT: Words = Words {
    title: "backprop walkthrough: a rede do notebook, passo a passo",
    network: "Rede:",
    layers_kind: "camadas sigmoides sem viés",
    initial: "Passo 1: Inicialização dos Pesos",
    dataset: "Passo 2: Definindo o dataset de entrada (X) e saída esperada (y), o XOR",
    forward: "Passo 3: Forward Pass (Passagem para frente): zₖ = aₖ₋₁·Wₖ, aₖ = σ(zₖ) = 1/(1 + e^(−zₖ)), a₀ = X",
    before: "Saída prevista antes da retropropagação:",
    loss_before: "Perda antes do passo, L = 0.5·Σ(y − ŷ)² =",
    error: "Passo 4: Calculando o erro: error = y − ŷ",
    backward: "Passo 5: Retropropagação (Backpropagation): a regra da cadeia de fora para dentro",
    sign: "Convenção de sinal: o notebook trabalha com error = y − ŷ e soma seus termos aos pesos.\n\
           Como L = 0.5·Σ(y − ŷ)², ∂L/∂ŷ = ŷ − y = −error; cada variável do notebook abaixo é o\n\
           negativo de um gradiente, e `W += …` é o passo de descida W ← W − lr·∂L/∂W com lr = 1.\n\
           Os valores mostrados são os gradientes como a fita do motor os calculou.",
    notebook_is: "notebook",
    sweep: "Passo 6: Os mesmos gradientes, como a fita do motor os calcula",
    sweep_intro: "Uma varredura reversa sobre os nós gravados, na ordem em que foram visitados (a perda primeiro);\n\
                  cada nó aplica a regra da sua operação ao gradiente que o alcançou (ḡ) e envia os\n\
                  resultados às suas entradas, que somam o que recebem.",
    upstream: "ḡ",
    sends: "envia a",
    max_diff: "Maior diferença entre ∂L/∂W da fita e as atualizações escritas à mão no notebook (negadas):",
    update: "Atualização dos pesos: W ← W − lr·∂L/∂W (o W += … do notebook)",
    rest: "Os passos restantes repetem os passos 3 a 7 sem observação:",
    after_steps: "Após",
    updated: "Pesos atualizados",
    after: "Saída prevista após a retropropagação:",
    expected: "Valores esperados (y):",
    loss_after: "Perda antes → depois do treino:",
    loss_after_first: "Perda após o primeiro passo:",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &EN,
        Lang::Pt => &PT,
    }
}

/// The notebook's name for the back-propagated error and delta of hidden layer `j` (1-based).
fn hidden_names(j: usize, depth: usize) -> (String, String) {
    if depth == 2 {
        ("error_hidden_layer".into(), "d_hidden_layer".into())
    } else {
        (
            format!("error_hidden_layer_{j}"),
            format!("d_hidden_layer_{j}"),
        )
    }
}

/// The first step, explained: stages 1 to 7 (initial weights to the update rule).
pub fn first_step(w: &Walkthrough, lang: Lang) -> String {
    let t = words(lang);
    let s = &w.settings;
    let mut out = String::new();
    let name = |id: usize| w.names[id].clone().unwrap_or_else(|| format!("#{id}"));
    let sizes: Vec<String> = s.layers.iter().map(|n| n.to_string()).collect();
    let _ = writeln!(out, "{}\n", t.title);
    let _ = writeln!(
        out,
        "{} {}, {}; seed {}; lr {}; L = 0.5·Σ(y − ŷ)²\n",
        t.network,
        sizes.join("-"),
        t.layers_kind,
        s.seed,
        format_py_float(s.lr)
    );

    let _ = writeln!(out, "== {}", t.initial);
    let _ = writeln!(out, "np.random.seed({})", s.seed);
    for (k, wk) in w.initial.iter().enumerate() {
        let d = wk.dims();
        shown(
            &mut out,
            &format!("W{} = np.random.rand({}, {})", k + 1, d[0], d[1]),
            &arr(wk),
        );
    }

    let _ = writeln!(out, "\n== {}", t.dataset);
    shown(&mut out, "X =", &ints(&w.x));
    shown(&mut out, "y =", &ints(&w.y));

    let _ = writeln!(out, "\n== {}", t.forward);
    for (k, l) in w.layers.iter().enumerate() {
        let (z, a, input) = (name(l.z), name(l.a), name(l.input));
        shown(
            &mut out,
            &format!("{z} = {input}·W{}", k + 1),
            &arr(&w.values[l.z]),
        );
        shown(&mut out, &format!("{a} = σ({z})"), &arr(&w.values[l.a]));
    }
    let last = *w.layers.last().expect("at least one layer");
    block(&mut out, true, t.before, &arr(&w.values[last.a]));
    let _ = writeln!(out, "{} {}", t.loss_before, format_py_float(w.loss_before));

    // ∂L/∂ŷ is what the loss node sends to ŷ; the notebook's error is its negative.
    let dl_dyhat = w
        .contribution(w.loss_id, last.a)
        .expect("the loss reaches ŷ");
    let _ = writeln!(out, "\n== {}", t.error);
    shown(&mut out, "error =", &arr(&neg(dl_dyhat)));

    let _ = writeln!(out, "\n== {}\n{}\n", t.backward, t.sign);
    let depth = w.layers.len();
    shown(
        &mut out,
        &format!(
            "∂L/∂ŷ = ŷ − y    ({}: error = y − ŷ = −∂L/∂ŷ)",
            t.notebook_is
        ),
        &arr(dl_dyhat),
    );
    for k in (0..depth).rev() {
        let l = w.layers[k];
        let (z, a, input) = (name(l.z), name(l.a), name(l.input));
        let d_name = if k + 1 == depth {
            "d_output".to_string()
        } else {
            hidden_names(k + 1, depth).1
        };
        let up_name = if k + 1 == depth {
            "error".to_string()
        } else {
            hidden_names(k + 1, depth).0
        };
        let delta = w.contribution(l.a, l.z).expect("σ sends to z");
        shown(
            &mut out,
            &format!(
                "\n∂L/∂{z} = ∂L/∂{a} ⊙ σ′({z}),  σ′({z}) = {a}⊙(1 − {a})\n    ({}: {d_name} = {up_name} * sigmoid_derivative({a}) = −∂L/∂{z})",
                t.notebook_is
            ),
            &arr(delta),
        );
        let dw = w.contribution(l.z, l.w).expect("matmul sends to W");
        shown(
            &mut out,
            &format!(
                "∂L/∂W{} = {input}ᵀ·∂L/∂{z}\n    ({}: W{} += {input}.T.dot({d_name}) = −∂L/∂W{})",
                k + 1,
                t.notebook_is,
                k + 1,
                k + 1
            ),
            &arr(dw),
        );
        if k > 0 {
            let (err_name, _) = hidden_names(k, depth);
            let da = w
                .contribution(l.z, l.input)
                .expect("matmul sends to its input");
            shown(
                &mut out,
                &format!(
                    "∂L/∂{input} = ∂L/∂{z}·W{}ᵀ\n    ({}: {err_name} = {d_name}.dot(W{}.T) = −∂L/∂{input})",
                    k + 1,
                    t.notebook_is,
                    k + 1
                ),
                &arr(da),
            );
        }
    }

    let _ = writeln!(out, "\n== {}\n{}\n", t.sweep, t.sweep_intro);
    for v in &w.visits {
        let label = v.name.clone().unwrap_or_else(|| v.op.to_string());
        let _ = writeln!(out, "#{} {label} [{}]  {}", v.id, v.op, v.rule);
        let _ = writeln!(
            out,
            "  {} = ∂L/∂{label} =\n{}",
            t.upstream,
            indent(&arr(&v.upstream))
        );
        for (to, c) in &v.contributions {
            if let Some(c) = c {
                let _ = writeln!(
                    out,
                    "  {} #{to} {}:\n{}",
                    t.sends,
                    name(*to),
                    indent(&arr(c))
                );
            }
        }
    }
    for (k, g) in w.gradients.iter().enumerate() {
        shown(&mut out, &format!("∂L/∂W{} (tape)", k + 1), &arr(g));
    }
    let _ = writeln!(out, "{} {}", t.max_diff, format_py_float(w.max_diff_hand));

    let _ = writeln!(out, "\n== {} (lr = {})", t.update, format_py_float(s.lr));
    out
}

/// The end of the walkthrough: the updated weights, the predictions after, and
/// the expected values, in the notebook's blocks; then the losses.
pub fn results(w: &Walkthrough, lang: Lang) -> String {
    let t = words(lang);
    let mut out = String::new();
    if w.settings.steps > 1 {
        let _ = writeln!(
            out,
            "\n{} {} {}:",
            t.after_steps,
            w.settings.steps,
            if lang == Lang::Pt { "passos" } else { "steps" }
        );
    }
    for (k, wk) in w.weights.iter().enumerate() {
        block(
            &mut out,
            k == 0,
            &format!("{} W{}:", t.updated, k + 1),
            &arr(wk),
        );
    }
    block(&mut out, true, t.after, &arr(&w.output_after));
    block(&mut out, true, t.expected, &ints(&w.y));
    let _ = writeln!(out);
    if w.settings.steps > 1 {
        let _ = writeln!(
            out,
            "{} {}",
            t.loss_after_first,
            format_py_float(w.loss_after_first)
        );
    }
    let _ = writeln!(
        out,
        "{} {} → {}",
        t.loss_after,
        format_py_float(w.loss_before),
        format_py_float(w.loss_after)
    );
    out
}

/// The line announcing the unobserved steps.
pub fn rest(w: &Walkthrough, lang: Lang) -> String {
    format!("{} {}", words(lang).rest, w.settings.steps - 1)
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
