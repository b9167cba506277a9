//! Initialisers, following PyTorch's definitions (the random stream is ours:
//! MT19937 as NumPy's, so `uniform01` reproduces the notebook's `rand`).

use super::{Activation, Linear};
use crate::error::Result;
use crate::float::Float;
use crate::named::named_enum;
use crate::rng::NumpyRandom;
use crate::tensor::Tensor;

named_enum! {
    /// How a [`Linear`] layer's parameters are drawn (named `torch`, `xavier`,
    /// `he` or `uniform01` on the command line).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Init("init") {
        /// PyTorch's default for `nn.Linear`: weight and bias from U(−1/√in, 1/√in).
        Torch = "torch",
        /// PyTorch's `xavier_uniform_`: U(±√(6/(in+out))), zero bias.
        Xavier = "xavier",
        /// PyTorch's `kaiming_uniform_` for ReLU: U(±√(6/in)), zero bias.
        He = "he" | "kaiming",
        /// NumPy's `rand(in, out)` as in the notebook, stored transposed; zero bias.
        Uniform01 = "uniform01",
    }
}

impl Init {
    /// Draws one layer `[out, in]` (+ bias `[out]`), weight first, row-major.
    pub(crate) fn linear<T: Float>(
        self,
        rng: &mut NumpyRandom,
        fan_in: usize,
        fan_out: usize,
        bias: bool,
        _activation: Activation,
    ) -> Result<Linear<T>> {
        let uniform = |rng: &mut NumpyRandom, dims: &[usize], bound: f64| -> Result<Tensor<T>> {
            let mut t = Tensor::zeros(dims)?;
            for v in t.data_mut() {
                *v = T::from_f64(rng.uniform(-bound, bound));
            }
            Ok(t)
        };
        let (weight, bias_bound) = match self {
            Init::Torch => {
                let b = 1.0 / (fan_in as f64).sqrt();
                (uniform(rng, &[fan_out, fan_in], b)?, Some(b))
            }
            Init::Xavier => (
                uniform(
                    rng,
                    &[fan_out, fan_in],
                    (6.0 / (fan_in as f64 + fan_out as f64)).sqrt(),
                )?,
                None,
            ),
            Init::He => (
                uniform(rng, &[fan_out, fan_in], (6.0 / fan_in as f64).sqrt())?,
                None,
            ),
            Init::Uniform01 => {
                // rand(in, out), then stored [out, in].
                let drawn: Tensor<f64> = rng.rand(&[fan_in, fan_out])?;
                let mut w = Tensor::zeros(&[fan_out, fan_in])?;
                for i in 0..fan_in {
                    for o in 0..fan_out {
                        w.data_mut()[o * fan_in + i] = T::from_f64(drawn.data()[i * fan_out + o]);
                    }
                }
                (w, None)
            }
        };
        let bias = if bias {
            Some(match bias_bound {
                Some(b) => uniform(rng, &[fan_out], b)?,
                None => Tensor::zeros(&[fan_out])?,
            })
        } else {
            None
        };
        Ok(Linear { weight, bias })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::Mlp;

    #[test]
    fn uniform01_is_the_notebooks_rand_transposed() {
        let m =
            Mlp::<f64>::new(&[2, 2, 1], Activation::Sigmoid, false, Init::Uniform01, 42).unwrap();
        // np.random.seed(42); rand(2,2) = [[0.3745, 0.9507], [0.7320, 0.5987]] → stored transposed.
        assert_eq!(
            m.layers[0].weight.data(),
            &[
                0.3745401188473625,
                0.7319939418114051,
                0.9507143064099162,
                0.5986584841970366
            ]
        );
        assert_eq!(
            m.layers[1].weight.data(),
            &[0.15601864044243652, 0.15599452033620265]
        );
    }

    #[test]
    fn bounds_follow_pytorch() {
        for (init, bound) in [
            (Init::Torch, 1.0 / 10.0),
            (Init::Xavier, (6.0f64 / 120.0).sqrt()),
            (Init::He, (6.0f64 / 100.0).sqrt()),
        ] {
            let m = Mlp::<f64>::new(&[100, 20], Activation::Relu, true, init, 1).unwrap();
            let w = m.layers[0].weight.data();
            let max = w.iter().fold(0.0f64, |a, &b| a.max(b.abs()));
            assert!(
                max <= bound && max > 0.9 * bound,
                "{init}: {max} vs {bound}"
            );
            let b = m.layers[0].bias.as_ref().unwrap().data();
            if init == Init::Torch {
                assert!(b.iter().all(|v| v.abs() <= bound) && b.iter().any(|&v| v != 0.0));
            } else {
                assert!(b.iter().all(|&v| v == 0.0));
            }
        }
    }

    #[test]
    fn sizes_past_memory_or_the_limit_are_errors() {
        for init in [Init::Torch, Init::Xavier, Init::He, Init::Uniform01] {
            let e =
                Mlp::<f32>::new(&[4, usize::MAX, 3], Activation::Relu, true, init, 0).unwrap_err();
            assert!(
                e.to_string().starts_with(&format!(
                    "Mlp::new: shape [{}, 4] is not valid here (layer 1 (4 → {}) brings the network to more than {} parameters",
                    usize::MAX, usize::MAX, usize::MAX
                )),
                "{e}"
            );
        }
        let e = Mlp::<f32>::new(
            &[2, 8, crate::nn::MAX_PARAMS],
            Activation::Relu,
            false,
            Init::He,
            0,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains(&format!(
                "layer 2 (8 → 268435456) brings the network to {} parameters, over the limit of 268435456",
                16 + 8 * crate::nn::MAX_PARAMS
            )),
            "{e}"
        );
    }
}
