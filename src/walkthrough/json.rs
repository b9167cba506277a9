//! `walkthrough --json`: one JSON object with the run's settings and numbers,
//! arrays as NumPy's `.tolist()` gives them (lists of rows).

use serde_json::{json, Value};

use super::Walkthrough;
use crate::tensor::Tensor;

/// A matrix as a list of rows, like NumPy's `.tolist()`.
fn rows(t: &Tensor<f64>) -> Value {
    json!(t.to_rows().expect("walkthrough values are matrices"))
}

/// The JSON object `walkthrough --json` prints.
pub fn to_json(w: &Walkthrough) -> Value {
    let s = &w.settings;
    let weights: Vec<Value> = w.weights.iter().map(rows).collect();
    json!({
        "seed": s.seed,
        "steps": s.steps,
        "lr": s.lr,
        "layers": s.layers,
        "weights": weights,
        "w1": weights.first(),
        "w2": weights.get(1),
        "output_before": rows(&w.output_before),
        "output_after": rows(&w.output_after),
        "loss_before": w.loss_before,
        "loss_after": w.loss_after,
        "gradients": w.gradients.iter().map(rows).collect::<Vec<_>>(),
        "train_seconds": w.train_seconds,
        "activation": s.activation.name(),
        "loss_history": w.loss_history.iter().map(|(n, l)| json!([n, l])).collect::<Vec<_>>(),
        "layer_table": {"start": w.layer_start, "end": w.layer_end},
    })
}
