//! `GET /api/sessions/{id}/trace?weight=Wk[i,j]`: how the last step's
//! gradient of one weight was assembled, example by example.
//!
//! The chain rule from the outside in, made concrete: the gradient of
//! `Wₖ[i,j]` (the notebook's `[in, out]` orientation) is a sum over the
//! batch's examples of a product of local factors. For the notebook preset
//! this is the walkthrough's own `--trace` ([`walkthrough::trace`]), replayed
//! from the weights the last step started from: one term per example and per
//! path through the hidden layers above `k`. For other sessions each example
//! contributes `∂L/∂zₖ[e,j] · aₖ₋₁[e,i]`, the layer's delta (which already
//! holds the loss's mean over the batch) times the input the weight
//! multiplies, both read off a tape that re-runs the last step's batch from
//! the parameters it started from.

use serde_json::{json, Value};

use super::PlaygroundError;
use crate::data::Dataset;
use crate::float::Float;
use crate::nn::Mlp;
use crate::tape::{BackwardObserver, BackwardStep, NodeId};
use crate::tensor::Tensor;
use crate::walkthrough::{self, to_f64, trace::parse};

/// The most terms an answer lists (the sum is over all of them).
pub const MAX_SHOWN: usize = 200;

/// One value as NumPy prints an array's element (8 decimals).
pub fn numpy_text(v: f64) -> String {
    let s = crate::numpy_fmt::format_f64_array(&[v], &[1]);
    s.trim_start_matches('[')
        .trim_end_matches(']')
        .trim()
        .to_string()
}

/// `W<k>[<i>,<j>]` checked against `layers`: `(k, i, j)`, `k` from 1.
pub fn weight_at(spec: &str, layers: &[usize]) -> Result<(usize, usize, usize), PlaygroundError> {
    let bad = |why: String| PlaygroundError::bad("weight", format!("{spec:?}: {why}"));
    let (k, i, j) = parse(spec).ok_or_else(|| bad("expected Wk[i,j], e.g. W1[0,1]".into()))?;
    let depth = layers.len() - 1;
    if k == 0 || k > depth {
        return Err(bad(format!("the network has W1 to W{depth}")));
    }
    let (rows, cols) = (layers[k - 1], layers[k]);
    if i >= rows || j >= cols {
        return Err(bad(format!(
            "W{k} has shape [{rows}, {cols}] ([in, out]), so i < {rows} and j < {cols}"
        )));
    }
    Ok((k, i, j))
}

/// The answer's common part, before the terms are known.
fn answer(k: usize, i: usize, j: usize, value: f64, gradient: Option<f64>) -> Value {
    json!({
        "weight": format!("W{k}[{i},{j}]"),
        "value": value,
        "value_text": numpy_text(value),
        "gradient": gradient,
        "gradient_text": gradient.map(numpy_text),
        "terms": null,
        "total": 0,
        "sum": null,
    })
}

/// Fills in `terms` (at most [`MAX_SHOWN`]), `total` and `sum`.
fn with_terms(mut a: Value, terms: Vec<Value>, sum: f64) -> Value {
    a["total"] = json!(terms.len());
    a["sum"] = json!(sum);
    a["terms"] = json!(terms.into_iter().take(MAX_SHOWN).collect::<Vec<_>>());
    a
}

fn term(example: usize, factors: &[(String, f64)]) -> Value {
    json!({
        "example": example,
        "factors": factors.iter().map(|(n, v)| json!({"name": n, "value": v})).collect::<Vec<_>>(),
        "product": factors.iter().map(|f| f.1).product::<f64>(),
    })
}

/// The notebook preset's trace: the walkthrough's first step, run from
/// `before` (the weights the last step started from), traced by `--trace`'s
/// code. `current` holds the weights now; `before` is `None` before the first step.
pub fn notebook(
    settings: &walkthrough::Settings,
    current: &[Tensor<f64>],
    before: Option<&[Tensor<f64>]>,
    spec: &str,
) -> Result<Value, PlaygroundError> {
    let (k, i, j) = weight_at(spec, &settings.layers)?;
    let cols = settings.layers[k];
    let value = current[k - 1].data()[i * cols + j];
    let Some(before) = before else {
        return Ok(answer(k, i, j, value, None));
    };
    let w = walkthrough::begin_from(settings, before.to_vec())?;
    let tr = walkthrough::trace::trace(&w, spec)?;
    let a = answer(k, i, j, value, Some(tr.sum));
    let (terms, sum) = match &tr.terms {
        Some(ts) => (
            ts.iter()
                .map(|t| {
                    let f: Vec<(String, f64)> = t
                        .factors
                        .iter()
                        .map(|f| (f.name.clone(), f.value))
                        .collect();
                    term(t.example, &f)
                })
                .collect::<Vec<_>>(),
            ts.iter().map(|t| t.product).sum(),
        ),
        None => {
            // Too many paths to list: each example's delta times its input.
            let ids = w.layers[k - 1];
            let delta = w
                .contribution(ids.a, ids.z)
                .expect("the activation sends to z");
            let input = &w.values[ids.input];
            let name = w.names[ids.input].clone().unwrap_or_else(|| "x".into());
            let n = input.dims()[0];
            let rows: Vec<(usize, [(String, f64); 2])> = (0..n)
                .map(|e| {
                    (
                        e,
                        [
                            (format!("δ{k}[{j}]"), delta.data()[e * cols + j]),
                            (
                                format!("{name}[{i}]"),
                                input.data()[e * input.dims()[1] + i],
                            ),
                        ],
                    )
                })
                .collect();
            let sum = rows.iter().map(|(_, f)| f[0].1 * f[1].1).sum();
            (rows.iter().map(|(e, f)| term(*e, f)).collect(), sum)
        }
    };
    let mut a = with_terms(a, terms, sum);
    a["walkthrough"] = serde_json::to_value(&tr).unwrap_or(Value::Null);
    Ok(a)
}

/// A general session's trace: the last step's batch `rows` of `data`, run
/// again by `rerun` (the session's re-run of that step from the parameters
/// it started from) under an observer that keeps every visited node. `rows`
/// is `None` before the first step; `current` is the model now.
pub fn general<T: Float>(
    current: &Mlp<T>,
    data: &Dataset,
    rows: Option<&[usize]>,
    spec: &str,
    rerun: impl FnOnce(&mut dyn BackwardObserver<T>) -> Result<Option<Vec<Tensor<T>>>, PlaygroundError>,
) -> Result<Value, PlaygroundError> {
    let layers = current.sizes();
    let (k, i, j) = weight_at(spec, &layers)?;
    let inputs = layers[k - 1];
    // Mlp keeps PyTorch's `[out, in]`: Wₖ[i,j] is `{2(k-1)}.weight[j, i]`.
    let value = current.layers[k - 1].weight.data()[j * inputs + i].as_f64();
    // Every visited node: its name, inputs, value and upstream gradient.
    struct Seen {
        id: NodeId,
        name: Option<String>,
        inputs: Vec<NodeId>,
        value: Tensor<f64>,
        upstream: Tensor<f64>,
    }
    let mut seen: Vec<Seen> = Vec::new();
    let grads = rerun(&mut |s: &BackwardStep<'_, T>| {
        seen.push(Seen {
            id: s.id,
            name: s.node.name.as_ref().map(|n| n.to_string()),
            inputs: s.node.inputs().to_vec(),
            value: to_f64(&s.node.value),
            upstream: to_f64(s.upstream),
        })
    })?;
    let (Some(grads), Some(rows)) = (grads, rows) else {
        return Ok(answer(k, i, j, value, None));
    };
    // PyTorch's `nn.Sequential` names: the activations take the odd indices.
    let weight_name = format!("{}.weight", 2 * (k - 1));
    let weight_id = seen
        .iter()
        .find(|s| s.name.as_deref() == Some(weight_name.as_str()))
        .map(|s| s.id)
        .ok_or_else(|| PlaygroundError::Internal(format!("{weight_name} was not visited")))?;
    let product = seen
        .iter()
        .find(|s| s.inputs.len() == 2 && s.inputs[1] == weight_id)
        .ok_or_else(|| PlaygroundError::Internal(format!("no product uses {weight_name}")))?;
    let delta = &product.upstream; // ∂L/∂zₖ, [batch, out]
    let input_id = product.inputs[0];
    // aₖ₋₁: a visited node's value, or (the first layer) the batch's
    // features, gathered as the trainer gathers them.
    let input: Vec<f64> = match seen.iter().find(|s| s.id == input_id) {
        Some(s) => s.value.data().to_vec(),
        None => {
            let mut x = vec![T::zero(); rows.len() * inputs];
            data.gather_features(rows, None, &mut x);
            x.iter().map(|v| v.as_f64()).collect()
        }
    };
    let input_name = if k == 1 {
        "x".to_string()
    } else {
        format!("h{}", k - 1)
    };
    let outs = layers[k];
    let mut sum = 0.0;
    let terms: Vec<Value> = (0..rows.len())
        .map(|e| {
            let f = [
                (format!("∂L/∂z{k}[{j}]"), delta.data()[e * outs + j]),
                (format!("{input_name}[{i}]"), input[e * inputs + i]),
            ];
            sum += f[0].1 * f[1].1;
            let mut t = term(e, &f);
            t["row"] = json!(rows[e]);
            t
        })
        .collect();
    let gradient = grads[trainer_param_index(current, k)].data()[j * inputs + i].as_f64();
    Ok(with_terms(
        answer(k, i, j, value, Some(gradient)),
        terms,
        sum,
    ))
}

/// The position of layer `k`'s weight (from 1) among the model's recorded
/// parameters: weight, then bias if any, layer by layer.
fn trainer_param_index<T: Float>(model: &Mlp<T>, k: usize) -> usize {
    let per = if model.has_bias() { 2 } else { 1 };
    (k - 1) * per
}
