//! `Var`'s operators: micrograd's own engine tests written as micrograd
//! writes them, and a shape mismatch surfacing as an error that names the
//! caller's line.

use backprop::{Tape, Tensor};

fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-10 * b.abs().max(1.0), "{a} vs {b}");
}

/// micrograd's `test_sanity_check`; PyTorch gives y = −20, ∂y/∂x = 46.
#[test]
fn micrograd_sanity_check() -> backprop::Result<()> {
    let tape = Tape::<f64>::new();
    let x = tape.param(&Tensor::scalar(-4.0));
    let z = (2.0 * x + 2.0 + x)?; // z = 2 * x + 2 + x
    let q = (z.relu() + (z * x)?)?; // q = z.relu() + z * x
    let h = (z * z)?.relu(); // h = (z * z).relu()
    let y = ((h + q)? + (q * x)?)?; // y = h + q + q * x
    let grads = tape.backward(y)?;
    close(y.item().expect("a scalar"), -20.0);
    close(grads.get(x).expect("x's gradient").data()[0], 46.0);
    Ok(())
}

/// micrograd's `test_more_ops`, with the values PyTorch gives.
#[test]
fn micrograd_more_ops() -> backprop::Result<()> {
    let tape = Tape::<f64>::new();
    let a = tape.param(&Tensor::scalar(-4.0));
    let b = tape.param(&Tensor::scalar(2.0));
    let c = (a + b)?; // c = a + b
    let d = (a * b + b.powf(3.0))?; // d = a * b + b**3
    let c = (c + c)? + 1.0; // c += c + 1
    let c = ((c + (1.0 + c))? + -a)?; // c += 1 + c + (-a)
    let d = ((d + d * 2.0)? + (b + a)?.relu())?; // d += d * 2 + (b + a).relu()
    let d = ((d + 3.0 * d)? + (b - a)?.relu())?; // d += 3 * d + (b - a).relu()
    let e = (c - d)?; // e = c - d
    let f = e.powf(2.0); // f = e**2
    let g = f / 2.0; // g = f / 2.0
    let g = (g + 10.0 / f)?; // g += 10.0 / f
    let grads = tape.backward(g)?;
    close(g.item().expect("a scalar"), 24.70408163265306);
    close(
        grads.get(a).expect("a's gradient").data()[0],
        138.83381924198252,
    );
    close(
        grads.get(b).expect("b's gradient").data()[0],
        645.5772594752186,
    );
    Ok(())
}

#[test]
fn a_shape_mismatch_is_an_error_naming_the_callers_line() {
    let tape = Tape::<f64>::new();
    let u = tape.param(&Tensor::zeros(&[2, 3]).unwrap());
    let v = tape.param(&Tensor::zeros(&[4]).unwrap());
    let line = line!() + 1;
    let err = (u + v).unwrap_err().to_string();
    assert!(err.contains(&format!("tests/operators.rs:{line}")), "{err}");
    // An earlier error is carried through the next operator.
    let line = line!() + 1;
    let err = (u * (u - v)).unwrap_err().to_string();
    assert!(err.contains(&format!("tests/operators.rs:{line}")), "{err}");
    // Scalars cannot mismatch, so they give a `Var`.
    let w = 2.0 * u - 1.0;
    assert_eq!(w.to_tensor().data(), &[-1.0; 6]);
}
