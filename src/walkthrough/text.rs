//! The narration: the notebook's stages with its numbers, and between them
//! the chain rule "from the outside in", in English or in the notebook's
//! Portuguese (numbered and titled as the notebook numbers its steps). Every
//! gradient shown is read from the observed backward pass
//! ([`Walkthrough::visits`]); nothing here computes a derivative. After the
//! notebook's stages come the lesson's: the result read example by example,
//! the gradient per layer (where vanishing gradients show), the loss over the
//! steps, and on request one weight's trace ([`trace`]) and the tape's sweep.

use std::fmt::Write;

use super::lesson::{self, Case, LayerRow, Moved, Outcome};
use super::trace::Trace;
use super::{Lang, Walkthrough};
use crate::nn::Activation;
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

/// A matrix's shape as printed beside it: `[4, 2]`.
fn shape(t: &Tensor<f64>) -> String {
    let d: Vec<String> = t.dims().iter().map(usize::to_string).collect();
    format!("[{}]", d.join(", "))
}

/// A labelled value with its shape: `label  [4, 2]` then the array.
fn shaped(out: &mut String, label: &str, t: &Tensor<f64>) {
    noted(out, label, t, "");
}

/// [`shaped`] with a note after the shape (the notebook's name for the value).
fn noted(out: &mut String, label: &str, t: &Tensor<f64>, note: &str) {
    let _ = writeln!(out, "{label}  {}{note}\n{}", shape(t), arr(t));
}

/// Every fixed phrase, in one language.
struct Words {
    title: &'static str,
    network: &'static str,
    without_biases: &'static str,
    key: &'static str,
    initial: &'static str,
    dataset: &'static str,
    forward: &'static str,
    printed_below: &'static str,
    before: &'static str,
    loss_before: &'static str,
    error: &'static str,
    backward: &'static str,
    sign: &'static str,
    notebook_is: &'static str,
    hand: &'static str,
    see_tape: &'static str,
    sweep: &'static str,
    sweep_intro: &'static str,
    sends: &'static str,
    update: &'static str,
    again: &'static str,
    rest: &'static str,
    after_steps: &'static str,
    steps_word: &'static str,
    updated: &'static str,
    after: &'static str,
    expected: &'static str,
    loss_after: &'static str,
    reading: &'static str,
    reading_head: [&'static str; 5],
    closer: &'static str,
    farther: &'static str,
    same: &'static str,
    per_layer: &'static str,
    per_layer_head: [&'static str; 4],
    flag: &'static str,
    flag_note: &'static str,
    no_flag_note: &'static str,
    start_of: &'static str,
    end_of: &'static str,
    history: &'static str,
    trace: &'static str,
}

const EN: Words = Words {
    title: "backprop walkthrough: the seed notebook's network, step by step",
    network: "Network:",
    without_biases: "{act} layers without biases, sigmoid output",
    key: "Key: ∂L/∂v is how much the loss L changes per unit of v; ḡ is the gradient reaching a node.\n\
          ⊙ multiplies element by element, ᵀ transposes, A·B is the matrix product, [4, 2] a shape.\n\
          Row e of every matrix is example e, so Xᵀ·ḡ (or aᵀ·ḡ) adds up the 4 examples:\n\
          each weight's gradient is a sum over the data.",
    initial: "Step 1. Initial weights",
    dataset: "Step 2. The dataset (XOR): inputs X and expected outputs y",
    forward: "Step 3. Forward pass:",
    printed_below: "printed as the notebook prints it:",
    before: "Predicted output before backpropagation:",
    loss_before: "Loss before the step, L = 0.5·Σ(y − ŷ)² =",
    error: "Step 4. The error: error = y − ŷ",
    backward: "Step 5. Backpropagation: the chain rule from the outside in",
    sign: "∂L/∂ŷ = ŷ − y = −error: the notebook's variables are the negatives of these gradients,\n\
           and its W += … is the descent step. Every value below is the tape's.",
    notebook_is: "notebook",
    hand: "The tape's ∂L/∂W and the notebook's hand-written updates (negated) differ by at most",
    see_tape: "--tape shows the tape's sweep node by node.",
    sweep: "The tape's sweep, node by node",
    sweep_intro: "Nodes in the order the reverse sweep visited them (loss first); each applies its op's\n\
                  rule to the gradient that reached it (ḡ) and sends the results to its inputs,\n\
                  which add up what they receive.",
    sends: "sends to",
    update: "Weight update: W ← W − lr·∂L/∂W (the notebook's W += …)",
    again: "Step 6. Forward pass again: the predictions after backpropagation",
    rest: "The remaining steps repeat steps 3 to 6 unobserved:",
    after_steps: "After",
    steps_word: "steps",
    updated: "Updated weights",
    after: "Predicted output after backpropagation:",
    expected: "Expected values (y):",
    loss_after: "Loss before → after training:",
    reading: "Reading the result",
    reading_head: ["input", "target", "ŷ before", "ŷ after", "moved"],
    closer: "closer",
    farther: "farther",
    same: "unchanged",
    per_layer: "Gradients per layer",
    per_layer_head: ["layer", "‖∂L/∂Wₖ‖", "mean act′", "ratio to next"],
    flag: "≥100× smaller than the output layer's",
    flag_note: "Flagged layers learn over 100× slower than the output layer: vanishing gradients.",
    no_flag_note: "No layer's gradient is 100× smaller than the output layer's.",
    start_of: "at the first step",
    end_of: "at the last step",
    history: "Loss during training",
    trace: "One weight's gradient in plain numbers",
};

const PT: Words = Words {
    title: "backprop walkthrough: a rede do notebook, passo a passo",
    network: "Rede:",
    without_biases: "camadas {act} sem viés, saída sigmoide",
    key: "Legenda: ∂L/∂v é quanto a perda L muda por unidade de v; ḡ é o gradiente que chega a um nó.\n\
          ⊙ multiplica elemento a elemento, ᵀ transpõe, A·B é o produto de matrizes, [4, 2] uma forma.\n\
          A linha e de cada matriz é o exemplo e, então Xᵀ·ḡ (ou aᵀ·ḡ) soma os 4 exemplos:\n\
          o gradiente de cada peso é uma soma sobre os dados.",
    initial: "Passo 1: Inicialização dos Pesos",
    dataset: "Passo 2: Definindo o dataset de entrada (X) e saída esperada (y)",
    forward: "Passo 3: Forward Pass (Passagem para frente):",
    printed_below: "impressa como o notebook a imprime:",
    before: "Saída prevista antes da retropropagação:",
    loss_before: "Perda antes do passo, L = 0.5·Σ(y − ŷ)² =",
    error: "Passo 4: Calculando o erro: error = y − ŷ",
    backward: "Passo 5: Retropropagação (Backpropagation): a regra da cadeia de fora para dentro",
    sign: "∂L/∂ŷ = ŷ − y = −error: as variáveis do notebook são os negativos destes gradientes,\n\
           e o seu W += … é o passo de descida. Todos os valores abaixo são os da fita.",
    notebook_is: "notebook",
    hand: "∂L/∂W da fita e as atualizações escritas à mão no notebook (negadas) diferem no máximo",
    see_tape: "--tape mostra a varredura da fita nó a nó.",
    sweep: "A varredura da fita, nó a nó",
    sweep_intro: "Nós na ordem em que a varredura reversa os visitou (a perda primeiro); cada um aplica a\n\
                  regra da sua operação ao gradiente que o alcançou (ḡ) e envia os resultados às suas\n\
                  entradas, que somam o que recebem.",
    sends: "envia a",
    update: "Atualização dos pesos: W ← W − lr·∂L/∂W (o W += … do notebook)",
    again: "Passo 6: Forward Pass novamente para obter a saída prevista após a retropropagação",
    rest: "Os passos restantes repetem os passos 3 a 6 sem observação:",
    after_steps: "Após",
    steps_word: "passos",
    updated: "Pesos atualizados",
    after: "Saída prevista após a retropropagação:",
    expected: "Valores esperados (y):",
    loss_after: "Perda antes → depois do treino:",
    reading: "Lendo o resultado",
    reading_head: ["entrada", "alvo", "ŷ antes", "ŷ depois", "moveu-se"],
    closer: "mais perto",
    farther: "mais longe",
    same: "igual",
    per_layer: "Gradientes por camada",
    per_layer_head: ["camada", "‖∂L/∂Wₖ‖", "act′ média", "razão à próxima"],
    flag: "≥100× menor que o da camada de saída",
    flag_note: "Camadas marcadas aprendem mais de 100× mais devagar que a de saída: gradientes que desvanecem.",
    no_flag_note: "Nenhuma camada tem gradiente 100× menor que o da camada de saída.",
    start_of: "no primeiro passo",
    end_of: "no último passo",
    history: "A perda durante o treino",
    trace: "O gradiente de um peso em números simples",
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

/// The symbol of an activation in formulas, and its derivative written with
/// what it reuses: `("σ", "a⊙(1 − a)")`.
fn act_symbols(act: Activation) -> (&'static str, &'static str) {
    match act {
        Activation::Tanh => ("tanh", "1 − {a}⊙{a}"),
        Activation::Relu => ("relu", "[{z} > 0]"),
        _ => ("σ", "{a}⊙(1 − {a})"),
    }
}

/// The first step, explained: steps 1 to 5 of the notebook, then the update's
/// rule (the tape's sweep too when `tape`).
pub fn first_step(w: &Walkthrough, lang: Lang, tape: bool) -> String {
    let t = words(lang);
    let s = &w.settings;
    let mut out = String::new();
    let name = |id: usize| w.names[id].clone().unwrap_or_else(|| format!("#{id}"));
    let sizes: Vec<String> = s.layers.iter().map(|n| n.to_string()).collect();
    let depth = w.layers.len();
    let hidden = s.activation;
    let _ = writeln!(out, "{}\n", t.title);
    let _ = writeln!(
        out,
        "{} {}, {}; seed {}; lr {}; L = 0.5·Σ(y − ŷ)²",
        t.network,
        sizes.join("-"),
        t.without_biases.replace("{act}", hidden.name()),
        s.seed,
        format_py_float(s.lr)
    );
    let _ = writeln!(out, "{}\n", t.key);

    let _ = writeln!(out, "== {}", t.initial);
    let _ = writeln!(out, "np.random.seed({})", s.seed);
    for (k, wk) in w.initial.iter().enumerate() {
        let d = wk.dims();
        shaped(
            &mut out,
            &format!("W{} = np.random.rand({}, {})", k + 1, d[0], d[1]),
            wk,
        );
    }

    let _ = writeln!(out, "\n== {}", t.dataset);
    let _ = writeln!(out, "X  {}\n{}", shape(&w.x), ints(&w.x));
    let _ = writeln!(out, "y  {}\n{}", shape(&w.y), ints(&w.y));

    let (hs, hrule) = act_symbols(hidden);
    let output_note = if hidden == Activation::Sigmoid {
        String::new()
    } else {
        format!(
            " (σ at the output, σ′ = {})",
            "{a}⊙(1 − {a})".replace("{a}", "aₖ")
        )
    };
    let _ = writeln!(
        out,
        "\n== {} zₖ = aₖ₋₁·Wₖ, aₖ = {hs}(zₖ), a₀ = X; {hs}′(zₖ) = {}{output_note}",
        t.forward,
        hrule.replace("{a}", "aₖ").replace("{z}", "zₖ")
    );
    let last = *w.layers.last().expect("at least one layer");
    for (k, l) in w.layers.iter().enumerate() {
        let (z, a, input) = (name(l.z), name(l.a), name(l.input));
        let (sym, _) = act_symbols(lesson::layer_act(k, depth, hidden));
        shaped(
            &mut out,
            &format!("{z} = {input}·W{}", k + 1),
            &w.values[l.z],
        );
        if k + 1 < depth {
            shaped(&mut out, &format!("{a} = {sym}({z})"), &w.values[l.a]);
        } else {
            // ŷ is printed once: in the notebook's own block.
            let _ = writeln!(
                out,
                "{a} = {sym}({z})  {}, {}",
                shape(&w.values[l.a]),
                t.printed_below
            );
        }
    }
    block(&mut out, false, t.before, &arr(&w.values[last.a]));
    let _ = writeln!(out, "{} {}", t.loss_before, format_py_float(w.loss_before));

    // ∂L/∂ŷ is what the loss node sends to ŷ; the notebook's error is its negative.
    let dl_dyhat = w
        .contribution(w.loss_id, last.a)
        .expect("the loss reaches ŷ");
    let _ = writeln!(out, "\n== {}  {}", t.error, shape(dl_dyhat));
    let _ = writeln!(out, "{}", arr(&neg(dl_dyhat)));

    let _ = writeln!(out, "\n== {}\n{}", t.backward, t.sign);
    for k in (0..depth).rev() {
        let l = w.layers[k];
        let (z, a, input) = (name(l.z), name(l.a), name(l.input));
        let (sym, _) = act_symbols(lesson::layer_act(k, depth, hidden));
        let (d_name, up_name) = if k + 1 == depth {
            ("d_output".to_string(), "error".to_string())
        } else {
            let (e, d) = hidden_names(k + 1, depth);
            (d, e)
        };
        let delta = w.contribution(l.a, l.z).expect("the activation sends to z");
        let nb = if hidden == Activation::Sigmoid || k + 1 == depth {
            format!(
                "    ({}: {d_name} = {up_name} * sigmoid_derivative({a}))",
                t.notebook_is
            )
        } else {
            String::new()
        };
        noted(
            &mut out,
            &format!("∂L/∂{z} = ∂L/∂{a} ⊙ {sym}′({z})"),
            delta,
            &nb,
        );
        let dw = w.contribution(l.z, l.w).expect("matmul sends to W");
        noted(
            &mut out,
            &format!("∂L/∂W{} = {input}ᵀ·∂L/∂{z}", k + 1),
            dw,
            &format!(
                "    ({}: W{} += {input}.T.dot({d_name}))",
                t.notebook_is,
                k + 1
            ),
        );
        if k > 0 {
            let (err_name, _) = hidden_names(k, depth);
            let da = w
                .contribution(l.z, l.input)
                .expect("matmul sends to its input");
            noted(
                &mut out,
                &format!("∂L/∂{input} = ∂L/∂{z}·W{}ᵀ", k + 1),
                da,
                &format!(
                    "    ({}: {err_name} = {d_name}.dot(W{}.T))",
                    t.notebook_is,
                    k + 1
                ),
            );
        }
    }
    if let Some(d) = w.max_diff_hand {
        let _ = write!(out, "{} {}. ", t.hand, format_py_float(d));
    }
    if tape {
        out.push('\n');
        out += &sweep(w, lang);
    } else {
        let _ = writeln!(out, "{}", t.see_tape);
    }
    let _ = writeln!(out, "\n== {}, lr = {}", t.update, format_py_float(s.lr));
    out
}

/// The tape's reverse sweep, node by node (`--tape`).
fn sweep(w: &Walkthrough, lang: Lang) -> String {
    let t = words(lang);
    let name = |id: usize| w.names[id].clone().unwrap_or_else(|| format!("#{id}"));
    let mut out = String::new();
    let _ = writeln!(out, "\n== {}\n{}\n", t.sweep, t.sweep_intro);
    for v in &w.visits {
        let label = v.name.clone().unwrap_or_else(|| v.op.to_string());
        let _ = writeln!(out, "#{} {label} [{}]  {}", v.id, v.op, v.rule);
        let _ = writeln!(
            out,
            "  ḡ = ∂L/∂{label}  {} =\n{}",
            shape(&v.upstream),
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
    out
}

/// The end of the notebook's step: the updated weights, then the forward pass
/// again — the predictions after and the expected values — in the notebook's
/// printed blocks.
pub fn results(w: &Walkthrough, lang: Lang) -> String {
    let t = words(lang);
    let mut out = String::new();
    if w.settings.steps > 1 {
        let _ = writeln!(
            out,
            "\n{} {} {}:",
            t.after_steps, w.settings.steps, t.steps_word
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
    let _ = writeln!(out, "\n== {}", t.again);
    block(&mut out, true, t.after, &arr(&w.output_after));
    block(&mut out, true, t.expected, &ints(&w.y));
    out
}

/// The line announcing the unobserved steps.
pub fn rest(w: &Walkthrough, lang: Lang) -> String {
    format!("{} {}", words(lang).rest, w.settings.steps - 1)
}

/// The lesson after the notebook's stages: the result read example by
/// example with a sentence on what happened, the loss over the steps, the
/// gradient per layer, and the losses.
pub fn lesson(w: &Walkthrough, lang: Lang) -> String {
    let t = words(lang);
    let mut out = String::new();
    let o = outcome(w);
    let _ = writeln!(out, "\n== {}", t.reading);
    let h = t.reading_head;
    let _ = writeln!(
        out,
        "{:<7} {:<6} {:<11} {:<11} {}",
        h[0], h[1], h[2], h[3], h[4]
    );
    for r in &o.rows {
        let input: Vec<String> = r.input.iter().map(|v| format!("{v}")).collect();
        let moved = match r.moved {
            Moved::Closer => t.closer,
            Moved::Farther => t.farther,
            Moved::Same => t.same,
        };
        let _ = writeln!(
            out,
            "{:<7} {:<6} {:<11.8} {:<11.8} {moved}",
            format!("[{}]", input.join(" ")),
            r.target,
            r.before,
            r.after
        );
    }
    let _ = writeln!(out, "{}", wrap(&sentence(&o, w, lang), 100));
    if w.settings.steps > 1 {
        let _ = writeln!(out, "\n== {}", t.history);
        let cells: Vec<String> = w
            .loss_history
            .iter()
            .map(|(n, l)| format!("{n}: {l:.6}"))
            .collect();
        for chunk in cells.chunks(5) {
            let _ = writeln!(out, "{}", chunk.join("   "));
        }
    }
    if w.settings.steps > 1 {
        let _ = writeln!(out, "\n== {} ({})", t.per_layer, t.start_of);
        layer_rows(&mut out, &w.layer_start, t);
        let _ = writeln!(out, "\n== {} ({})", t.per_layer, t.end_of);
        layer_rows(&mut out, &w.layer_end, t);
    } else {
        let _ = writeln!(out, "\n== {}", t.per_layer);
        layer_rows(&mut out, &w.layer_start, t);
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

/// The per-layer table and its note.
fn layer_rows(out: &mut String, rows: &[LayerRow], t: &Words) {
    let h = t.per_layer_head;
    let _ = writeln!(out, "{:<7} {:<11} {:<11} {:<14}", h[0], h[1], h[2], h[3]);
    for r in rows {
        let ratio = r.ratio.map_or("—".to_string(), |x| format!("{x:.3e}"));
        let flag = if r.flagged {
            format!("← {}", t.flag)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{:<7} {:<11.3e} {:<11.4} {:<14} {flag}",
            format!("W{}", r.layer),
            r.grad_norm,
            r.mean_act_deriv,
            ratio
        );
    }
    let note = if rows.iter().any(|r| r.flagged) {
        t.flag_note
    } else {
        t.no_flag_note
    };
    let _ = writeln!(out, "{note}");
}

/// The result, example by example.
pub fn outcome(w: &Walkthrough) -> Outcome {
    lesson::outcome(
        &w.x,
        &w.y,
        &w.output_before,
        &w.output_after,
        (w.loss_before, w.loss_after),
        w.gradients.last().expect("at least one layer"),
    )
}

/// The examples of a set of rows, as `[0 1], [1 0]`.
fn inputs_of<'a>(rows: impl Iterator<Item = &'a lesson::ExampleRow>) -> String {
    rows.map(|r| {
        let v: Vec<String> = r.input.iter().map(|x| format!("{x}")).collect();
        format!("[{}]", v.join(" "))
    })
    .collect::<Vec<_>>()
    .join(", ")
}

/// A sentence on what happened, generated from the table.
pub fn sentence(o: &Outcome, w: &Walkthrough, lang: Lang) -> String {
    let pt = lang == Lang::Pt;
    let (before, after) = (format!("{:.6}", o.loss.0), format!("{:.6}", o.loss.1));
    let away: Vec<&lesson::ExampleRow> = o
        .rows
        .iter()
        .filter(|r| r.moved == Moved::Farther)
        .collect();
    let last = w.layers.len();
    match o.case {
        Case::AllCloser => {
            if pt {
                format!("A perda caiu de {before} para {after} e todos os exemplos chegaram mais perto dos seus alvos.")
            } else {
                format!("The loss fell from {before} to {after} and every example moved closer to its target.")
            }
        }
        Case::Rose => {
            let n = away.len();
            if pt {
                format!(
                    "A perda subiu de {before} para {after}: o passo foi longe demais ({n} de {} exemplos se afastaram). \
                     Um --lr menor dá passos menores, que seguem a descida.",
                    o.rows.len()
                )
            } else {
                format!(
                    "The loss rose from {before} to {after}: the step overshot ({n} of {} examples moved away). \
                     A smaller --lr takes smaller steps, which follow the descent.",
                    o.rows.len()
                )
            }
        }
        Case::SomeAway => {
            let who = inputs_of(away.iter().copied());
            let (e_close, e_away) = (
                format!("{:.4}", o.mean_error.0),
                format!("{:.4}", o.mean_error.1),
            );
            let mut s = if pt {
                format!(
                    "A perda caiu de {before} para {after}, mas {who} se afastaram dos seus alvos. O passo segue o \
                     gradiente da perda total, uma soma sobre os exemplos, então exemplos que puxam para o outro lado \
                     podem perder: os que se aproximaram tinham os erros maiores (|y − ŷ| médio {e_close} contra {e_away})."
                )
            } else {
                format!(
                    "The loss fell from {before} to {after}, but {who} moved away from their targets. The step follows \
                     the gradient of the total loss, a sum over the examples, so examples that pull the other way can \
                     lose: those that moved closer had the larger errors (mean |y − ŷ| {e_close} against {e_away})."
                )
            };
            if let (Some(g), Some(m)) = (o.last_grad_sign, o.outputs_moved) {
                let _ = match (pt, g > 0, m > 0) {
                    (false, true, _) => write!(s, " ∂L/∂W{last} is positive, so W{last} shrinks"),
                    (false, false, _) => write!(s, " ∂L/∂W{last} is negative, so W{last} grows"),
                    (true, true, _) => write!(s, " ∂L/∂W{last} é positivo, então W{last} diminui"),
                    (true, false, _) => write!(s, " ∂L/∂W{last} é negativo, então W{last} cresce"),
                };
                s += match (pt, m > 0) {
                    (false, true) => " and every output goes up.",
                    (false, false) => " and every output goes down.",
                    (true, true) => " e todas as saídas sobem.",
                    (true, false) => " e todas as saídas descem.",
                };
            }
            s
        }
    }
}

/// One weight's gradient taken apart (`--trace`).
pub fn trace(w: &Walkthrough, tr: &Trace, lang: Lang) -> String {
    let pt = lang == Lang::Pt;
    let t = words(lang);
    let (k, i, j) = tr.at;
    let mut out = String::new();
    let _ = writeln!(out, "\n== {}: ∂L/∂{}", t.trace, tr.weight);
    let layer = w.names[w.layers[k - 1].z].clone().unwrap_or_default();
    let examples = w.y.numel() as u64;
    let total = tr.paths_per_example.saturating_mul(examples);
    let _ = if pt {
        writeln!(
            out,
            "{} liga a entrada {i} à unidade {j} de {layer}. Cada exemplo chega ao peso por {} caminho(s), {total} ao todo;\n\
             cada termo é o produto dos fatores locais do caminho, da perda para dentro:",
            tr.weight, tr.paths_per_example
        )
    } else {
        writeln!(
            out,
            "{} joins input {i} to unit {j} of {layer}. Each example reaches it along {} path(s), {total} in all;\n\
             each term is the product of the local factors on its path, from the loss inward:",
            tr.weight, tr.paths_per_example
        )
    };
    let sig = |v: f64| minus(&format!("{}", Sig4(v)));
    match (&tr.terms, &tr.deltas) {
        (Some(terms), _) => {
            for term in terms {
                let factors: Vec<String> = term
                    .factors
                    .iter()
                    .map(|f| format!("{} {}", f.name, sig(f.value)))
                    .collect();
                let _ = writeln!(
                    out,
                    "  {} {}: {} = {}",
                    if pt { "exemplo" } else { "example" },
                    term.example,
                    factors.join(" × "),
                    sig(term.product)
                );
            }
            let nonzero: Vec<String> = terms
                .iter()
                .filter(|t| t.product != 0.0)
                .map(|t| minus(&eight(t.product)))
                .collect();
            let lhs = if nonzero.is_empty() {
                "0".to_string()
            } else {
                nonzero.join(" + ").replace("+ −", "− ")
            };
            let _ = writeln!(
                out,
                "{}: {lhs} = {} = ∂L/∂{} ({})",
                if pt {
                    "Soma sobre os exemplos"
                } else {
                    "Sum over the examples"
                },
                minus(&eight(tr.sum)),
                tr.weight,
                if pt {
                    "o gradiente da fita"
                } else {
                    "the tape's gradient"
                }
            );
        }
        (None, Some(deltas)) => {
            let _ = if pt {
                writeln!(
                    out,
                    "Mais de {} caminhos: em vez de listá-los, os deltas δₗ = ∂L/∂zₗ de cada exemplo, da saída para dentro;\n\
                     cada δ já soma todos os caminhos acima dele, e o termo do exemplo é δ{k}[{j}]·a{}[{i}].",
                    super::trace::MAX_TERMS,
                    k - 1
                )
            } else {
                writeln!(
                    out,
                    "Over {} paths: instead of listing them, each example's deltas δₗ = ∂L/∂zₗ from the output inward;\n\
                     each δ already sums every path above it, and the example's term is δ{k}[{j}]·a{}[{i}].",
                    super::trace::MAX_TERMS,
                    k - 1
                )
            };
            for (e, c) in tr.contributions.iter().enumerate() {
                for d in deltas.iter().filter(|d| d.example == e) {
                    let v: Vec<String> = d.values.iter().map(|x| sig(*x)).collect();
                    let _ = writeln!(
                        out,
                        "  {} {e}: δ{} = [{}]",
                        if pt { "exemplo" } else { "example" },
                        d.layer,
                        v.join(" ")
                    );
                }
                let _ = writeln!(
                    out,
                    "  {} {e}: δ{k}[{j}]·a{}[{i}] = {}",
                    if pt { "exemplo" } else { "example" },
                    k - 1,
                    sig(*c)
                );
            }
            let _ = writeln!(
                out,
                "{}: {} = ∂L/∂{}",
                if pt {
                    "Soma sobre os exemplos"
                } else {
                    "Sum over the examples"
                },
                minus(&eight(tr.sum)),
                tr.weight
            );
        }
        _ => {}
    }
    let _ = writeln!(out, "{}", bound_line(w.settings.activation, pt));
    out
}

/// Why each derivative factor shrinks (or cuts) a path's product.
fn bound_line(act: Activation, pt: bool) -> &'static str {
    match (act, pt) {
        (Activation::Tanh, false) => "Each tanh′ is at most 1 (and σ′ at the output at most 0.25): a path shrinks wherever a unit saturates, which is where vanishing gradients come from.",
        (Activation::Tanh, true) => "Cada tanh′ é no máximo 1 (e σ′ na saída no máximo 0,25): um caminho encolhe onde uma unidade satura; daí vêm os gradientes que desvanecem.",
        (Activation::Relu, false) => "Each relu′ is 0 or 1 (σ′ at the output at most 0.25): a path passes unchanged or is cut, so depth alone does not shrink it.",
        (Activation::Relu, true) => "Cada relu′ vale 0 ou 1 (σ′ na saída no máximo 0,25): um caminho passa inteiro ou é cortado, então a profundidade sozinha não o encolhe.",
        (_, false) => "Each σ′ is at most 0.25, so every layer a path crosses shrinks its product at least 4×: this is where vanishing gradients come from.",
        (_, true) => "Cada σ′ é no máximo 0,25, então cada camada que um caminho cruza encolhe o produto pelo menos 4×: daí vêm os gradientes que desvanecem.",
    }
}

/// A number to 4 significant digits, without trailing zeros beyond them (`0.1560`, `1`, `−0.003797`).
struct Sig4(f64);

impl std::fmt::Display for Sig4 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.0;
        if v == 0.0 {
            return write!(f, "0");
        }
        if v.fract() == 0.0 && v.abs() < 1e6 {
            return write!(f, "{v}");
        }
        let mag = v.abs().log10().floor() as i32;
        if !(-4..6).contains(&mag) {
            return write!(f, "{v:.3e}");
        }
        let decimals = (3 - mag).max(0) as usize;
        write!(f, "{v:.decimals$}")
    }
}

/// Breaks `text` into lines of at most `width` characters at spaces.
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in text.split(' ') {
        let n = word.chars().count();
        if line > 0 && line + 1 + n > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out += word;
        line += n;
    }
    out
}

/// A gradient to 8 decimals as NumPy prints them, or to 5 significant digits
/// in scientific notation below 10⁻⁴ (where 8 decimals would hide it).
fn eight(v: f64) -> String {
    if v == 0.0 || v.abs() >= 1e-4 {
        format!("{:.8}", v + 0.0)
    } else {
        format!("{v:.4e}")
    }
}

/// Writes minus signs as `−` (U+2212), as the explanation does.
fn minus(s: &str) -> String {
    s.replace('-', "−")
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
