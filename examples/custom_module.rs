//! A model of your own: a struct of `Linear` layers implementing `Module`
//! (two branches, a tanh network and a linear shortcut, summed), trained by
//! `Trainer` on the generated `circles` set, saved to safetensors and
//! loaded back.
//!
//! `cargo run --release --example custom_module`

use backprop::data::{Dataset, LoadOptions};
use backprop::io::{load_module, save_module};
use backprop::prelude::*;
use backprop::rng::NumpyRandom;

/// `out(tanh(hidden(x))) + skip(x)`.
struct TwoBranch {
    hidden: Linear<f32>,
    out: Linear<f32>,
    skip: Linear<f32>,
}

impl TwoBranch {
    fn new(inputs: usize, width: usize, classes: usize, seed: u32) -> Result<Self> {
        let mut rng = NumpyRandom::seed(seed);
        Ok(TwoBranch {
            hidden: Linear::new(inputs, width, true, Init::Torch, &mut rng)?,
            out: Linear::new(width, classes, true, Init::Torch, &mut rng)?,
            skip: Linear::new(inputs, classes, false, Init::Torch, &mut rng)?,
        })
    }
}

impl Module<f32> for TwoBranch {
    fn visit(&self, v: &mut Visitor<'_, f32>) {
        v.module("hidden", &self.hidden);
        v.module("out", &self.out);
        v.module("skip", &self.skip);
    }
    fn visit_mut(&mut self, v: &mut VisitorMut<'_, f32>) {
        v.module("hidden", &mut self.hidden);
        v.module("out", &mut self.out);
        v.module("skip", &mut self.skip);
    }
    fn forward<'t>(&self, x: Var<'t, f32>, p: &mut Params<'t, f32>) -> Result<Var<'t, f32>> {
        let h = self.hidden.forward(x, p)?.tanh();
        self.out.forward(h, p)? + self.skip.forward(x, p)?
    }
}

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let (train, test) = Dataset::load("circles", &LoadOptions::default())?.split_tail(0.25);
    let test = test.ok_or("no test rows")?;
    let net = TwoBranch::new(2, 16, 2, 0)?;
    println!("{} parameters: {:?}", net.num_parameters(), names(&net));

    let opts = LoopOptions {
        loss: Loss::CrossEntropy,
        batch_size: 32,
        shuffle: true,
        seed: 0,
    };
    let optim = Optimizer::new(OptimConfig::new(OptimKind::Adam, 0.02));
    let mut trainer = Trainer::new(net, optim, opts, None);
    for epoch in 1..=40 {
        let report = trainer.epoch(&train, epoch, &mut |_, _, _| {})?;
        if epoch % 10 == 0 {
            let eval = trainer.evaluate(&test)?;
            let accuracy = 100.0 * eval.accuracy.unwrap_or(0.0);
            println!(
                "epoch {epoch}: training loss {:.4}, test accuracy {accuracy:.1}%",
                report.train_loss
            );
        }
    }

    // Saved under its parameter names, loaded into a freshly drawn network.
    let dir = std::env::temp_dir().join(format!("backprop-custom-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("two_branch.safetensors");
    save_module(&path, &trainer.model)?;
    let mut loaded = TwoBranch::new(2, 16, 2, 1)?;
    load_module(&path, &mut loaded)?;
    let x = Tensor::<f32>::from_rows(&[[0.1, -0.2], [0.9, 0.8]])?;
    assert_eq!(loaded.infer(&x)?, trainer.model.infer(&x)?);
    println!("saved to {} and loaded back: same outputs", path.display());
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

fn names(m: &impl Module<f32>) -> Vec<String> {
    m.named_parameters().into_iter().map(|(n, _)| n).collect()
}
