//! The seed notebook's network in library code: XOR, a 2-2-1 sigmoid network
//! without biases, weights from NumPy's `seed(42)` + `rand`, one step of
//! backpropagation with learning rate 1 on ½Σ(y−ŷ)², printed as NumPy prints.
//!
//! `cargo run --release --example xor` prints the notebook's numbers:
//! the outputs before (`[[0.53892274] …`) and after the step (`[[0.5315519 ] …`).

use backprop::numpy_fmt::format_f64_array as np;
use backprop::rng::NumpyRandom;
use backprop::{Tape, Tensor};

fn main() -> backprop::Result<()> {
    let x = Tensor::from_rows(&[[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])?;
    let y = Tensor::from_rows(&[[0.0], [1.0], [1.0], [0.0]])?;
    let mut rng = NumpyRandom::seed(42); // np.random.seed(42)
    let mut w1: Tensor<f64> = rng.rand(&[2, 2])?; // W1 = np.random.rand(2, 2)
    let mut w2: Tensor<f64> = rng.rand(&[2, 1])?; // W2 = np.random.rand(2, 1)

    // Forward: ŷ = σ(σ(X·W1)·W2), L = ½Σ(y − ŷ)², recorded on a tape.
    let tape = Tape::new();
    let (xv, yv) = (tape.constant(&x), tape.constant(&y));
    let (w1v, w2v) = (tape.param(&w1), tape.param(&w2));
    let hidden = xv.matmul(w1v)?.sigmoid();
    let predicted = hidden.matmul(w2v)?.sigmoid();
    let loss = predicted.half_sse(yv)?;
    println!(
        "Saída prevista antes da retropropagação:\n{}",
        np(predicted.to_tensor().data(), &[4, 1])
    );

    // Backward: the tape applies the chain rule from the loss inwards.
    let grads = tape.backward(loss)?;
    let (g1, g2) = (
        grads.get(w1v).expect("W1's gradient"),
        grads.get(w2v).expect("W2's gradient"),
    );
    println!(
        "∂L/∂W2:\n{}\n∂L/∂W1:\n{}",
        np(g2.data(), &[2, 1]),
        np(g1.data(), &[2, 2])
    );

    // The notebook's update, W += −∂L/∂W (learning rate 1), then forward again.
    for (w, g) in [(&mut w1, g1), (&mut w2, g2)] {
        w.data_mut()
            .iter_mut()
            .zip(g.data())
            .for_each(|(p, d)| *p -= d);
    }
    let tape = Tape::new();
    let hidden = tape.constant(&x).matmul(tape.param(&w1))?.sigmoid();
    let after = hidden.matmul(tape.param(&w2))?.sigmoid().to_tensor();
    println!(
        "Saída prevista após a retropropagação:\n{}",
        np(after.data(), &[4, 1])
    );
    Ok(())
}
