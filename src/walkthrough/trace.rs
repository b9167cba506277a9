//! `walkthrough --trace 'W1[1,0]'`: one weight's gradient in plain numbers.
//!
//! The chain rule "from the outside in", at its most concrete: for every
//! example and every path from the loss back to the weight, the local
//! factors on the path — `ŷ − y`, each activation's derivative, each weight
//! crossed, and finally the input the weight multiplies — and their product.
//! The products over all paths and examples add up to the tape's gradient.
//!
//! A weight `Wₖ[i,j]` (the notebook's `[in, out]` orientation, 0-based like
//! NumPy) has one path per example through each choice of a unit in every
//! hidden layer above layer `k`. Past [`MAX_TERMS`] paths in all, the trace
//! gives each example's layer deltas `δₗ = ∂L/∂zₗ` instead, which carry the
//! same sums layer by layer.

use serde::Serialize;

use super::lesson::{act_deriv, layer_act};
use super::{Walkthrough, WalkthroughError};

/// The most paths (over all examples) listed one by one.
pub const MAX_TERMS: u64 = 64;

/// One named local factor of a path.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Factor {
    /// What it is, e.g. `σ′(hidden_input[0])` or `W2[0,0]`.
    pub name: String,
    /// Its value.
    pub value: f64,
}

/// One path's term: its example, its factors from the loss inward, their product.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Term {
    /// The example (row of `X`), 0-based.
    pub example: usize,
    /// The factors, from the loss inward.
    pub factors: Vec<Factor>,
    /// The product of the factors.
    pub product: f64,
}

/// One example's delta of one layer: `δₗ = ∂L/∂zₗ`, as the tape computed it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Delta {
    /// The example, 0-based.
    pub example: usize,
    /// The layer, 1-based.
    pub layer: usize,
    /// `∂L/∂zₗ` for each unit of the layer, for this example.
    pub values: Vec<f64>,
}

/// A weight's gradient taken apart.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trace {
    /// The weight as given, normalised: `W1[1,0]`.
    pub weight: String,
    /// The layer (1-based), row and column.
    #[serde(skip)]
    pub at: (usize, usize, usize),
    /// Paths from the loss to the weight per example.
    #[serde(skip)]
    pub paths_per_example: u64,
    /// Every path's term, when there are at most [`MAX_TERMS`] in all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terms: Option<Vec<Term>>,
    /// Otherwise each example's layer deltas, from the output layer down to layer `k`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deltas: Option<Vec<Delta>>,
    /// Otherwise each example's contribution `δₖ[j]·aₖ₋₁[i]`.
    #[serde(skip)]
    pub contributions: Vec<f64>,
    /// The tape's gradient ∂L/∂Wₖ[i,j] (what the terms add up to).
    pub sum: f64,
}

/// Parses `W<k>[<i>,<j>]` (spaces allowed) into a 1-based layer and 0-based indices.
pub fn parse(spec: &str) -> Option<(usize, usize, usize)> {
    let s: String = spec.chars().filter(|c| !c.is_whitespace()).collect();
    let rest = s.strip_prefix('W').or_else(|| s.strip_prefix('w'))?;
    let (k, idx) = rest.split_once('[')?;
    let (i, j) = idx.strip_suffix(']')?.split_once(',')?;
    Some((k.parse().ok()?, i.parse().ok()?, j.parse().ok()?))
}

/// Traces `spec` through the walkthrough's first step.
pub fn trace(w: &Walkthrough, spec: &str) -> Result<Trace, WalkthroughError> {
    let layers = &w.settings.layers;
    let depth = layers.len() - 1;
    let bad = |why: String| WalkthroughError::Setting(format!("--trace {spec}: {why}"));
    let (k, i, j) = parse(spec).ok_or_else(|| {
        bad(
            "expected a weight as Wk[i,j], e.g. 'W1[1,0]' (quote it: shells expand brackets)"
                .into(),
        )
    })?;
    if k == 0 || k > depth {
        return Err(bad(format!(
            "there is no W{k}: the network has W1 to W{depth}"
        )));
    }
    let (rows, cols) = (layers[k - 1], layers[k]);
    if i >= rows || j >= cols {
        return Err(bad(format!(
            "W{k} has shape [{rows}, {cols}] ([in, out]), so i < {rows} and j < {cols}"
        )));
    }
    // One unit chosen in each hidden layer above layer k: layers k+1 … depth−1.
    let paths = layers[(k + 1).min(depth)..depth]
        .iter()
        .try_fold(1u64, |acc, &n| acc.checked_mul(n as u64))
        .unwrap_or(u64::MAX);
    let examples = w.y.numel();
    let sum = w.gradients[k - 1].data()[i * cols + j];
    let mut t = Trace {
        weight: format!("W{k}[{i},{j}]"),
        at: (k, i, j),
        paths_per_example: paths,
        terms: None,
        deltas: None,
        contributions: Vec::new(),
        sum,
    };
    if paths.saturating_mul(examples as u64) <= MAX_TERMS {
        t.terms = Some((0..examples).flat_map(|e| terms(w, e, k, i, j)).collect());
    } else {
        let mut deltas = Vec::new();
        for e in 0..examples {
            for l in (k..=depth).rev() {
                let ids = w.layers[l - 1];
                let d = w
                    .contribution(ids.a, ids.z)
                    .expect("the activation sends to z");
                let n = layers[l];
                deltas.push(Delta {
                    example: e,
                    layer: l,
                    values: d.data()[e * n..(e + 1) * n].to_vec(),
                });
            }
            let dk = w
                .contribution(w.layers[k - 1].a, w.layers[k - 1].z)
                .expect("δₖ");
            t.contributions
                .push(dk.data()[e * cols + j] * input(w, e, k, i));
        }
        t.deltas = Some(deltas);
    }
    Ok(t)
}

/// The value the weight multiplies in example `e`: `X[e,i]` or `aₖ₋₁[e,i]`.
fn input(w: &Walkthrough, e: usize, k: usize, i: usize) -> f64 {
    let t = &w.values[w.layers[k - 1].input];
    t.data()[e * t.dims()[1] + i]
}

/// The name of layer `l`'s (1-based) node `id`, with a unit index.
fn unit_name(w: &Walkthrough, id: usize, unit: usize) -> String {
    let name = w.names[id].clone().unwrap_or_else(|| format!("#{id}"));
    format!("{name}[{unit}]")
}

/// Every path's term for example `e` and weight `Wₖ[i,j]`.
fn terms(w: &Walkthrough, e: usize, k: usize, i: usize, j: usize) -> Vec<Term> {
    let layers = &w.settings.layers;
    let depth = layers.len() - 1;
    let hidden = w.settings.activation;
    let value = |id: usize, unit: usize| {
        let t = &w.values[id];
        t.data()[e * t.dims()[1] + unit]
    };
    // The derivative factor of layer l (1-based) at `unit`.
    let deriv = |l: usize, unit: usize| {
        let ids = w.layers[l - 1];
        let act = layer_act(l - 1, depth, hidden);
        let d = act_deriv(act, value(ids.z, unit), value(ids.a, unit));
        let sym = match act.name() {
            "sigmoid" => "σ′",
            "tanh" => "tanh′",
            _ => "relu′",
        };
        let name = w.names[ids.z].clone().unwrap_or_default();
        let name = if layers[l] == 1 {
            format!("{sym}({name})")
        } else {
            format!("{sym}({name}[{unit}])")
        };
        Factor { name, value: d }
    };
    let out = w.layers[depth - 1];
    let head = vec![
        Factor {
            name: "ŷ−y".into(),
            value: value(out.a, 0) - w.y.data()[e],
        },
        deriv(depth, 0),
    ];
    // Units chosen in layers depth−1 … k+1 (the hidden layers above k), outermost first.
    let mut out_terms = Vec::new();
    let mut choice = vec![0usize; depth.saturating_sub(k + 1)];
    loop {
        let mut factors = head.clone();
        let mut upper = 0; // the unit of layer l+1 the path comes from
        for l in (k..depth).rev() {
            // Crossing W_{l+1}[unit of layer l, unit of layer l+1].
            let unit = if l == k { j } else { choice[depth - 1 - l] };
            let wv = w.initial[l].data()[unit * layers[l + 1] + upper];
            factors.push(Factor {
                name: format!("W{}[{unit},{upper}]", l + 1),
                value: wv,
            });
            factors.push(deriv(l, unit));
            upper = unit;
        }
        let input_name = if k == 1 {
            format!("x[{i}]")
        } else {
            unit_name(w, w.layers[k - 1].input, i)
        };
        factors.push(Factor {
            name: input_name,
            value: input(w, e, k, i),
        });
        let product = factors.iter().map(|f| f.value).product();
        out_terms.push(Term {
            example: e,
            factors,
            product,
        });
        // Next choice of units (an odometer over the hidden layers above k).
        let mut pos = choice.len();
        loop {
            if pos == 0 {
                return out_terms;
            }
            pos -= 1;
            let l = depth - 1 - pos;
            choice[pos] += 1;
            if choice[pos] < layers[l] {
                break;
            }
            choice[pos] = 0;
        }
    }
}
