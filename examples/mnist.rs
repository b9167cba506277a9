//! MNIST's 10,000 test digits through `Trainer`: a 784-256-128-10 ReLU
//! network, Adam, 5 epochs on 8,000 digits, scored on the other 2,000.
//!
//! The data are `data/mnist-10k-images-idx3-ubyte.gz` and its labels in the
//! repository (MNIST's test set, from Yann LeCun's site; see
//! `data/README.md`); they are not in the published crate. Pass another IDX
//! images file (its labels beside it) as the first argument.
//!
//! `cargo run --release --example mnist`

use backprop::data::{Dataset, LoadOptions};
use backprop::nn::{Activation, Init, Loss, Mlp};
use backprop::optim::{OptimConfig, OptimKind, Optimizer};
use backprop::train::{LoopOptions, Trainer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/data/mnist-10k-images-idx3-ubyte.gz"
        )
        .into()
    });
    let data = Dataset::load(&path, &LoadOptions::default())?;
    let (train, test) = data.split_tail(0.2);
    let test = test.ok_or("no test rows")?;
    println!("{} training digits, {} test digits", train.n, test.n);

    let model = Mlp::<f32>::new(&[784, 256, 128, 10], Activation::Relu, true, Init::Torch, 0)?;
    let opts = LoopOptions {
        loss: Loss::CrossEntropy,
        batch_size: 64,
        shuffle: true,
        seed: 0,
    };
    let optim = Optimizer::new(OptimConfig::new(OptimKind::Adam, 1e-3));
    let mut trainer = Trainer::new(model, optim, opts, None);
    for epoch in 1..=5 {
        let report = trainer.epoch(&train, epoch, &mut |_, _, _| {})?;
        let eval = trainer.evaluate(&test)?;
        println!(
            "epoch {epoch}: training loss {:.4}, test loss {:.4}, test accuracy {:.2}%",
            report.train_loss,
            eval.loss,
            100.0 * eval.accuracy.unwrap_or(0.0)
        );
    }
    Ok(())
}
