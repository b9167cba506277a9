//! Optimisers with PyTorch's update rules, operation for operation (so that
//! f64 training matches PyTorch to rounding): `SGD` (momentum, Nesterov,
//! weight decay), `Adam` (L2 weight decay) and `AdamW` (decoupled).
//!
//! The state is keyed by parameter name: [`Optimizer::step_module`] walks a
//! [`Module`]'s parameters by name and applies each one's gradient, and
//! [`Optimizer::backward_step`] runs the backward pass first (candle's
//! `opt.backward_step(&loss)`):
//!
//! ```
//! use backprop::nn::{Linear, Module, Params};
//! use backprop::prelude::*;
//! # fn main() -> backprop::Result<()> {
//! let mut layer = Linear::<f64>::from_tensors(Tensor::from_rows(&[[1.0, 1.0]])?, None)?;
//! let mut opt = Optimizer::new(OptimConfig::new(OptimKind::Adam, 0.1));
//! let x = Tensor::from_rows(&[[1.0, 2.0], [-1.0, 0.5]])?;
//! for _ in 0..3 {
//!     let tape = Tape::new();
//!     let mut p = Params::new(&tape);
//!     let y = layer.forward(tape.constant(&x), &mut p)?;
//!     let loss = y.mul(y)?.mean();
//!     opt.backward_step(&mut layer, &p, loss)?;
//! }
//! assert_eq!(opt.names, ["weight"]);
//! assert!(opt.state("weight", "exp_avg").is_some());
//! # Ok(()) }
//! ```

use crate::float::Float;
use crate::isa::per_isa;
use crate::math;
use crate::named::named_enum;
use crate::nn::{Module, Params, VisitorMut};
use crate::tape::{Grads, Var};
use crate::tensor::Tensor;

named_enum! {
    /// Which update rule, named `sgd`, `momentum`, `adam` or `adamw` on the
    /// command line and in checkpoints (`"kind": "adamw"`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum OptimKind("optimizer") {
        /// `torch.optim.SGD` without momentum (unless `momentum` is set).
        Sgd = "sgd",
        /// `torch.optim.SGD` with momentum (default 0.9), optionally Nesterov.
        Momentum = "momentum",
        /// `torch.optim.Adam`.
        Adam = "adam",
        /// `torch.optim.AdamW`.
        AdamW = "adamw",
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
    /// The parameters' names, the keys of the state: `names[i]` owns
    /// `first[i]` and `second[i]`. Empty for positional use
    /// ([`Optimizer::step`]); filled by [`Optimizer::step_module`] or a
    /// loaded checkpoint.
    pub names: Vec<String>,
    /// Visiting position → state index, resolved by name once (at the
    /// first named step) and checked by name at every step.
    order: Vec<usize>,
    /// The buffer the named step builds names in (reused: no allocation).
    name_buf: String,
}

impl<T: Float> Optimizer<T> {
    /// A fresh optimiser (no state yet).
    pub fn new(config: OptimConfig) -> Self {
        Optimizer {
            config,
            steps: 0,
            first: Vec::new(),
            second: Vec::new(),
            names: Vec::new(),
            order: Vec::new(),
            name_buf: String::new(),
        }
    }

    /// One update of every parameter of `module` that has a gradient in
    /// `grads` (found through `params`, the [`Params`] its forward pass
    /// used); parameters without one are left alone, as PyTorch skips a
    /// `None` grad. The state is keyed by the parameters' names: they are
    /// resolved to state slots at the first step (new names get fresh
    /// state) and only compared afterwards, so a steady-state step
    /// allocates nothing.
    pub fn step_module<M: Module<T> + ?Sized>(
        &mut self,
        module: &mut M,
        params: &Params<'_, T>,
        grads: &Grads<T>,
    ) {
        self.step_module_by(module, |_, p| params.grad(grads, p));
    }

    /// [`Optimizer::step_module`] with the gradients from `grad_of(k, p)`:
    /// the gradient of `p`, the `k`-th parameter in visiting order, or
    /// `None` to leave it alone (data-parallel training passes gradients
    /// summed over the ranks this way).
    pub fn step_module_by<'g, M: Module<T> + ?Sized>(
        &mut self,
        module: &mut M,
        mut grad_of: impl FnMut(usize, &Tensor<T>) -> Option<&'g Tensor<T>>,
    ) where
        T: 'g,
    {
        self.steps += 1;
        let mut name = std::mem::take(&mut self.name_buf);
        name.clear();
        let mut k = 0;
        module.visit_mut(&mut VisitorMut::new(&mut name, &mut |n, p| {
            if let Some(g) = grad_of(k, p) {
                let i = self.slot(k, n);
                self.update(i, p, g);
            }
            k += 1;
        }));
        self.name_buf = name;
    }

    /// Runs the backward pass from `loss` (on `params`' tape), then
    /// [`Optimizer::step_module`]; the gradients' buffers go back to the tape.
    pub fn backward_step<'t, M: Module<T> + ?Sized>(
        &mut self,
        module: &mut M,
        params: &Params<'t, T>,
        loss: Var<'t, T>,
    ) -> crate::Result<()> {
        let tape = params.tape();
        let grads = tape.backward(loss)?;
        self.step_module(module, params, &grads);
        tape.recycle(grads);
        Ok(())
    }

    /// The state slot `slot` (a name from [`OptimConfig::slots`], such as
    /// `"exp_avg"`) of the parameter called `name`, once a step made it.
    pub fn state(&self, name: &str, slot: &str) -> Option<&Tensor<T>> {
        let i = self.names.iter().position(|n| n == name)?;
        let list = match self.config.slots().iter().position(|s| *s == slot)? {
            0 => &self.first,
            _ => &self.second,
        };
        list.get(i)?.as_ref()
    }

    /// The state index of the parameter visited `k`-th, called `name`.
    fn slot(&mut self, k: usize, name: &str) -> usize {
        if let Some(&i) = self.order.get(k) {
            if self.names.get(i).is_some_and(|n| n == name) {
                return i;
            }
        }
        let i = match self.names.iter().position(|n| n == name) {
            Some(i) => i,
            None => {
                // Positional state from before any name took the next slot.
                self.names.push(name.to_string());
                self.names.len() - 1
            }
        };
        if self.order.len() <= k {
            self.order.resize(k + 1, usize::MAX);
        }
        self.order[k] = i;
        let n = self.names.len().max(self.first.len());
        self.first.resize_with(n, || None);
        self.second.resize_with(n, || None);
        i
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
        let k = SgdStep {
            wd,
            mu,
            lr,
            decay: c.weight_decay != 0.0,
            nesterov: c.nesterov,
        };
        sgd_loop(
            p.data_mut(),
            g.data(),
            buf.as_mut().map(|b| b.data_mut()),
            &k,
        );
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
        // Python's `beta1 ** step` and `bias_correction2 ** 0.5`: pow (from
        // `libm`, the same bits everywhere; its pow(x, 0.5) is √x).
        let step_size = T::from_f64(lr / (1.0 - math::powf(b1, t)));
        let bc2_sqrt = T::from_f64(math::powf(1.0 - math::powf(b2, t), 0.5));
        let k = AdamStep {
            decay_mode: match (c.weight_decay != 0.0, decoupled) {
                (false, _) => Decay::None,
                (true, true) => Decay::Decoupled,
                (true, false) => Decay::L2,
            },
            wd,
            decay,
            w1,
            beta2,
            w2,
            step_size,
            bc2_sqrt,
            eps: T::from_f64(c.eps),
            lerp_low: w1 < T::from_f64(0.5),
        };
        adam_loop(p.data_mut(), g.data(), m.data_mut(), v.data_mut(), &k);
    }
}

/// How weight decay enters an Adam step.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Decay {
    /// None.
    None,
    /// AdamW's `p = p·(1 − lr·wd)` first.
    Decoupled,
    /// Adam's `g = g + wd·p`.
    L2,
}

/// One Adam step's constants, as `T`.
struct AdamStep<T> {
    decay_mode: Decay,
    wd: T,
    decay: T,
    w1: T,
    beta2: T,
    w2: T,
    step_size: T,
    bc2_sqrt: T,
    eps: T,
    /// `torch.lerp`'s branch: the weight `1 − β₁` is below ½.
    lerp_low: bool,
}

per_isa! {
    /// The Adam / AdamW update of one parameter, element by element
    /// (vectorised for the instruction set in use; see [`Optimizer::update`]).
    fn adam_loop<T: Float>(p: &mut [T], g: &[T], m: &mut [T], v: &mut [T], k: &AdamStep<T>)
        [len = p.len()]
    {
        for (((pv, &gv), mv), vv) in p.iter_mut().zip(g).zip(m).zip(v) {
            let mut grad = gv;
            match k.decay_mode {
                Decay::None => {}
                Decay::Decoupled => *pv *= k.decay,
                Decay::L2 => grad += k.wd * *pv,
            }
            // torch.lerp: weight < 0.5 ⇒ m + w·(g − m), else g − (g − m)·(1 − w).
            *mv = if k.lerp_low {
                *mv + k.w1 * (grad - *mv)
            } else {
                grad - (grad - *mv) * (T::one() - k.w1)
            };
            *vv = *vv * k.beta2 + k.w2 * grad * grad;
            let denom = vv.sqrt() / k.bc2_sqrt + k.eps;
            *pv += -k.step_size * *mv / denom;
        }
    }
}

/// One SGD step's constants, as `T`.
struct SgdStep<T> {
    wd: T,
    mu: T,
    lr: T,
    /// Weight decay is on.
    decay: bool,
    nesterov: bool,
}

per_isa! {
    /// The SGD update of one parameter after its first step: `d = g + wd·p`;
    /// with a momentum buffer `buf = μ·buf + d` and `d = d + μ·buf`
    /// (Nesterov) or `buf`; `p = p − lr·d` (vectorised for the set in use).
    fn sgd_loop<T: Float>(p: &mut [T], g: &[T], buf: Option<&mut [T]>, k: &SgdStep<T>)
        [len = p.len()]
    {
        // One loop per case, so that each is a plain vectorisable kernel.
        let decayed = |pv: T, gv: T| if k.decay { gv + k.wd * pv } else { gv };
        match buf {
            None => {
                for (pv, &gv) in p.iter_mut().zip(g) {
                    let d = decayed(*pv, gv);
                    *pv += -k.lr * d;
                }
            }
            Some(b) => {
                for ((pv, &gv), bv) in p.iter_mut().zip(g).zip(b) {
                    let d = decayed(*pv, gv);
                    *bv = *bv * k.mu + d;
                    let d = if k.nesterov { d + k.mu * *bv } else { *bv };
                    *pv += -k.lr * d;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{Activation, Init, Loss, Mlp};
    use crate::tape::Tape;

    fn batch() -> (Tensor<f64>, Vec<usize>) {
        let x = Tensor::from_rows(&[[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0], [0.0, 0.1]]).unwrap();
        (x, vec![0, 1, 2, 1])
    }

    /// `steps` steps of `config` on an MLP, by name or by position.
    fn train(config: OptimConfig, named: bool, steps: usize) -> (Mlp<f64>, Optimizer<f64>) {
        let mut mlp = Mlp::<f64>::new(&[2, 5, 3], Activation::Tanh, true, Init::Torch, 4).unwrap();
        let mut opt = Optimizer::new(config);
        let (x, y) = batch();
        for _ in 0..steps {
            let tape = Tape::new();
            if named {
                let mut p = Params::new(&tape);
                let logits = forward(&mlp, tape.constant(&x), &mut p);
                let loss = Mlp::loss(logits, tape.labels(&y), Loss::CrossEntropy).unwrap();
                opt.backward_step(&mut mlp, &p, loss).unwrap();
            } else {
                let vars = mlp.record(&tape);
                let logits = mlp.forward(tape.constant(&x), &vars).unwrap();
                let loss = Mlp::loss(logits, tape.labels(&y), Loss::CrossEntropy).unwrap();
                let grads = tape.backward(loss).unwrap();
                let g: Vec<&Tensor<f64>> = vars.iter().map(|v| grads.get(*v).unwrap()).collect();
                let mut ps: Vec<&mut Tensor<f64>> = mlp.params_iter_mut().collect();
                opt.step(&mut ps, &g);
            }
        }
        (mlp, opt)
    }

    fn forward<'t>(m: &Mlp<f64>, x: Var<'t, f64>, p: &mut Params<'t, f64>) -> Var<'t, f64> {
        Module::forward(m, x, p).unwrap()
    }

    fn bits(m: &Mlp<f64>) -> Vec<u64> {
        m.named_params()
            .iter()
            .flat_map(|(_, t)| t.data().iter().map(|v| v.to_bits()))
            .collect()
    }

    #[test]
    fn the_named_step_is_the_positional_step_bit_for_bit() {
        let mut sgd = OptimConfig::new(OptimKind::Momentum, 0.1);
        sgd.nesterov = true;
        sgd.weight_decay = 0.01;
        let mut adam = OptimConfig::new(OptimKind::Adam, 0.01);
        adam.weight_decay = 0.1;
        for config in [
            OptimConfig::new(OptimKind::Sgd, 0.5),
            sgd,
            adam,
            OptimConfig::new(OptimKind::AdamW, 0.01),
        ] {
            let (by_name, named) = train(config, true, 4);
            let (by_position, positional) = train(config, false, 4);
            assert_eq!(bits(&by_name), bits(&by_position), "{config:?}");
            assert_eq!(named.steps, 4);
            assert_eq!(named.names, ["0.weight", "0.bias", "2.weight", "2.bias"]);
            for (i, (name, _)) in by_name.named_params().iter().enumerate() {
                for slot in config.slots() {
                    let list = if *slot == config.slots()[0] {
                        &positional.first
                    } else {
                        &positional.second
                    };
                    assert_eq!(named.state(name, slot), list[i].as_ref(), "{name} {slot}");
                }
            }
        }
    }

    #[test]
    fn state_follows_the_name_when_the_order_changes() {
        let config = OptimConfig::new(OptimKind::Adam, 0.01);
        let (mut mlp, mut opt) = train(config, true, 2);
        let before = opt.state("2.bias", "exp_avg").unwrap().clone();
        // The same state under other positions: the names decide.
        opt.names.reverse();
        opt.first.reverse();
        opt.second.reverse();
        let (x, y) = batch();
        let tape = Tape::new();
        let mut p = Params::new(&tape);
        let logits = forward(&mlp, tape.constant(&x), &mut p);
        let loss = Mlp::loss(logits, tape.labels(&y), Loss::CrossEntropy).unwrap();
        let grads = tape.backward(loss).unwrap();
        let g = p
            .grad(&grads, mlp.layers[1].bias.as_ref().unwrap())
            .unwrap()
            .data()[0];
        opt.step_module(&mut mlp, &p, &grads);
        let after = opt.state("2.bias", "exp_avg").unwrap();
        // m ← m + (1 − β₁)(g − m)
        let want = before.data()[0] + 0.1 * (g - before.data()[0]);
        assert!((after.data()[0] - want).abs() < 1e-15);
        assert_eq!(opt.names[0], "2.bias");
    }
}
