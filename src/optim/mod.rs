//! Optimisers with PyTorch's update rules, operation for operation (so that
//! f64 training matches PyTorch to rounding): `SGD` (momentum, Nesterov,
//! weight decay), `Adam` (L2 weight decay) and `AdamW` (decoupled).

use std::fmt;
use std::str::FromStr;

use crate::float::Float;
use crate::tensor::Tensor;

/// Which update rule (stored in checkpoints by its CLI name: `"adamw"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimKind {
    /// `torch.optim.SGD` without momentum (unless `momentum` is set).
    Sgd,
    /// `torch.optim.SGD` with momentum (default 0.9), optionally Nesterov.
    Momentum,
    /// `torch.optim.Adam`.
    Adam,
    /// `torch.optim.AdamW`.
    AdamW,
}

impl OptimKind {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            OptimKind::Sgd => "sgd",
            OptimKind::Momentum => "momentum",
            OptimKind::Adam => "adam",
            OptimKind::AdamW => "adamw",
        }
    }
}

impl FromStr for OptimKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "sgd" => OptimKind::Sgd,
            "momentum" => OptimKind::Momentum,
            "adam" => OptimKind::Adam,
            "adamw" => OptimKind::AdamW,
            _ => {
                return Err(format!(
                    "unknown optimizer {s:?}: expected sgd, momentum, adam or adamw"
                ))
            }
        })
    }
}

impl fmt::Display for OptimKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Hyper-parameters. [`OptimConfig::new`] gives PyTorch's defaults for a kind.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptimConfig {
    /// The rule.
    pub kind: OptimKind,
    /// Learning rate.
    pub lr: f64,
    /// SGD momentum μ (0 for plain SGD, 0.9 by default for `momentum`).
    pub momentum: f64,
    /// Nesterov momentum.
    pub nesterov: bool,
    /// Weight decay: added to the gradient (SGD, Adam) or decoupled (AdamW, default 0.01).
    pub weight_decay: f64,
    /// Adam's β₁, β₂.
    pub betas: (f64, f64),
    /// Adam's ε.
    pub eps: f64,
}

impl OptimConfig {
    /// PyTorch's defaults for `kind` at learning rate `lr`.
    pub fn new(kind: OptimKind, lr: f64) -> Self {
        OptimConfig {
            kind,
            lr,
            momentum: if kind == OptimKind::Momentum {
                0.9
            } else {
                0.0
            },
            nesterov: false,
            weight_decay: if kind == OptimKind::AdamW { 0.01 } else { 0.0 },
            betas: (0.9, 0.999),
            eps: 1e-8,
        }
    }

    /// The per-parameter state this rule keeps, by PyTorch's names: for
    /// [`Optimizer::first`] then [`Optimizer::second`]. `["exp_avg",
    /// "exp_avg_sq"]` for Adam and AdamW, `["momentum_buffer"]` for SGD with
    /// momentum, none for plain SGD.
    pub fn slots(&self) -> &'static [&'static str] {
        match self.kind {
            OptimKind::Adam | OptimKind::AdamW => &["exp_avg", "exp_avg_sq"],
            OptimKind::Sgd | OptimKind::Momentum if self.momentum != 0.0 => &["momentum_buffer"],
            OptimKind::Sgd | OptimKind::Momentum => &[],
        }
    }

    /// Checks the numbers: a positive finite `lr` and `eps`, a non-negative
    /// finite `momentum` and `weight_decay`, betas in `[0, 1)`; says which is wrong.
    pub fn check(&self) -> Result<(), String> {
        let ok = |v: f64| v.is_finite() && v >= 0.0;
        let (b1, b2) = self.betas;
        let bad = if !(ok(self.lr) && self.lr > 0.0) {
            Some(("lr", self.lr))
        } else if !(ok(self.eps) && self.eps > 0.0) {
            Some(("eps", self.eps))
        } else if !ok(self.momentum) {
            Some(("momentum", self.momentum))
        } else if !ok(self.weight_decay) {
            Some(("weight_decay", self.weight_decay))
        } else if !(ok(b1) && b1 < 1.0) {
            Some(("betas[0]", b1))
        } else if !(ok(b2) && b2 < 1.0) {
            Some(("betas[1]", b2))
        } else {
            None
        };
        match bad {
            Some((name, v)) => Err(format!("{name} {v} is out of range")),
            None => Ok(()),
        }
    }
}

/// An optimiser and its per-parameter state.
#[derive(Clone, Debug)]
pub struct Optimizer<T: Float> {
    /// The hyper-parameters.
    pub config: OptimConfig,
    /// Steps taken so far.
    pub steps: u64,
    /// Momentum buffers (SGD) or first moments (Adam), one per parameter once used.
    pub first: Vec<Option<Tensor<T>>>,
    /// Second moments (Adam), one per parameter once used.
    pub second: Vec<Option<Tensor<T>>>,
}

impl<T: Float> Optimizer<T> {
    /// A fresh optimiser (no state yet).
    pub fn new(config: OptimConfig) -> Self {
        Optimizer {
            config,
            steps: 0,
            first: Vec::new(),
            second: Vec::new(),
        }
    }

    /// One update of every parameter from its gradient.
    pub fn step(&mut self, params: &mut [&mut Tensor<T>], grads: &[&Tensor<T>]) {
        self.begin_step(params.len());
        for (i, (p, g)) in params.iter_mut().zip(grads).enumerate() {
            self.update(i, p, g);
        }
    }

    /// Starts a step over `n` parameters; follow with [`Optimizer::update`]
    /// for each (this pair allocates nothing once the state exists).
    pub fn begin_step(&mut self, n: usize) {
        self.steps += 1;
        self.first.resize_with(n, || None);
        self.second.resize_with(n, || None);
    }

    /// Updates parameter `i` from its gradient, within the current step.
    pub fn update(&mut self, i: usize, p: &mut Tensor<T>, g: &Tensor<T>) {
        match self.config.kind {
            OptimKind::Sgd | OptimKind::Momentum => self.sgd(i, p, g),
            OptimKind::Adam | OptimKind::AdamW => self.adam(i, p, g),
        }
    }

    /// `torch.optim.SGD` (dampening 0):
    /// `d = g + wd·p`; with momentum `buf = d` at the first step, else
    /// `buf = μ·buf + d`; `d = d + μ·buf` (Nesterov) or `d = buf`; `p = p − lr·d`.
    fn sgd(&mut self, i: usize, p: &mut Tensor<T>, g: &Tensor<T>) {
        let c = self.config;
        let (wd, mu, lr) = (
            T::from_f64(c.weight_decay),
            T::from_f64(c.momentum),
            T::from_f64(c.lr),
        );
        let mut buf = self.first[i].take();
        if c.momentum != 0.0 && buf.is_none() {
            buf = Some(g.clone());
            // The first buffer is the decayed gradient itself.
            if c.weight_decay != 0.0 {
                let b = buf.as_mut().expect("just set");
                for (bv, &pv) in b.data_mut().iter_mut().zip(p.data()) {
                    *bv += wd * pv;
                }
            }
            let b = buf.as_ref().expect("just set");
            for (pv, &bv) in p.data_mut().iter_mut().zip(b.data()) {
                let d = if c.nesterov { (bv) + mu * bv } else { bv };
                *pv += -lr * d;
            }
            self.first[i] = buf;
            return;
        }
        // One loop per case, so that each is a plain vectorisable kernel.
        let decayed = |pv: T, gv: T| {
            if c.weight_decay != 0.0 {
                gv + wd * pv
            } else {
                gv
            }
        };
        match buf.as_mut() {
            None => {
                for (pv, &gv) in p.data_mut().iter_mut().zip(g.data()) {
                    let d = decayed(*pv, gv);
                    *pv += -lr * d;
                }
            }
            Some(b) => {
                for ((pv, &gv), bv) in p.data_mut().iter_mut().zip(g.data()).zip(b.data_mut()) {
                    let d = decayed(*pv, gv);
                    *bv = *bv * mu + d;
                    let d = if c.nesterov { d + mu * *bv } else { *bv };
                    *pv += -lr * d;
                }
            }
        }
        self.first[i] = buf;
    }

    /// `torch.optim.Adam` / `AdamW` (single-tensor path):
    /// AdamW first decays `p = p·(1 − lr·wd)`; Adam adds `wd·p` to `g`;
    /// `m = m + (1−β₁)(g − m)`, `v = β₂v + (1−β₂)g²`,
    /// `p = p − (lr/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε)`.
    fn adam(&mut self, i: usize, p: &mut Tensor<T>, g: &Tensor<T>) {
        let c = self.config;
        let t = self.steps as f64;
        let (b1, b2) = c.betas;
        let lr = c.lr;
        let shape = p.shape();
        let m = self.first[i]
            .get_or_insert_with(|| Tensor::zeros(shape.dims()).expect("a parameter's shape"));
        let v = self.second[i]
            .get_or_insert_with(|| Tensor::zeros(shape.dims()).expect("a parameter's shape"));
        let decoupled = c.kind == OptimKind::AdamW;
        let wd = T::from_f64(c.weight_decay);
        let decay = T::from_f64(1.0 - lr * c.weight_decay);
        let w1 = T::from_f64(1.0 - b1);
        let (beta2, w2) = (T::from_f64(b2), T::from_f64(1.0 - b2));
        let step_size = T::from_f64(lr / (1.0 - b1.powf(t)));
        let bc2_sqrt = T::from_f64((1.0 - b2.powf(t)).powf(0.5));
        let eps = T::from_f64(c.eps);
        let half = T::from_f64(0.5);
        for (((pv, &gv), mv), vv) in p
            .data_mut()
            .iter_mut()
            .zip(g.data())
            .zip(m.data_mut())
            .zip(v.data_mut())
        {
            let mut grad = gv;
            if c.weight_decay != 0.0 {
                if decoupled {
                    *pv *= decay;
                } else {
                    grad += wd * *pv;
                }
            }
            // torch.lerp: weight < 0.5 ⇒ m + w·(g − m), else g − (g − m)·(1 − w).
            *mv = if w1 < half {
                *mv + w1 * (grad - *mv)
            } else {
                grad - (grad - *mv) * (T::one() - w1)
            };
            *vv = *vv * beta2 + w2 * grad * grad;
            let denom = vv.sqrt() / bc2_sqrt + eps;
            *pv += -step_size * *mv / denom;
        }
    }
}
