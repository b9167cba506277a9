//! NumPy-compatible random numbers: `np.random.seed(s)` then `np.random.rand`.
//!
//! NumPy's legacy `RandomState` seeded with an integer is MT19937 initialised by
//! `init_genrand(s)`; each double takes two 32-bit draws `a, b` and is
//! `((a >> 5)·2²⁶ + (b >> 6)) / 2⁵³`. The generator itself comes from the
//! `rand_mt` crate; only the double construction is ours.

use rand_mt::Mt;

use crate::error::Result;
use crate::float::Float;
use crate::tensor::Tensor;

/// A random stream identical to NumPy's `np.random.seed(seed)` state.
///
/// ```
/// use backprop::rng::NumpyRandom;
/// let mut rng = NumpyRandom::seed(42);
/// assert_eq!(rng.random(), 0.3745401188473625); // np.random.seed(42); np.random.rand()
/// ```
pub struct NumpyRandom {
    mt: Mt,
}

impl NumpyRandom {
    /// `np.random.seed(seed)`.
    pub fn seed(seed: u32) -> Self {
        NumpyRandom { mt: Mt::new(seed) }
    }

    /// `np.random.random_sample()`: a double in `[0, 1)` with 53 random bits.
    pub fn random(&mut self) -> f64 {
        let a = (self.mt.next_u32() >> 5) as f64;
        let b = (self.mt.next_u32() >> 6) as f64;
        (a * 67108864.0 + b) / 9007199254740992.0
    }

    /// `np.random.rand(*dims)`: a tensor filled row-major (rounded to `T`).
    pub fn rand<T: Float>(&mut self, dims: &[usize]) -> Result<Tensor<T>> {
        let mut t = Tensor::zeros(dims)?;
        for x in t.data_mut() {
            *x = T::from_f64(self.random());
        }
        Ok(t)
    }

    /// A draw from `U(low, high)`, as `np.random.uniform(low, high)`.
    pub fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.random()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_numpy_seed_42() {
        // np.random.seed(42); np.random.rand(2, 2); np.random.rand(2, 1)
        let mut r = NumpyRandom::seed(42);
        let w1 = r.rand::<f64>(&[2, 2]).unwrap();
        let w2 = r.rand::<f64>(&[2, 1]).unwrap();
        assert_eq!(
            w1.data(),
            &[
                0.3745401188473625,
                0.9507143064099162,
                0.7319939418114051,
                0.5986584841970366
            ]
        );
        assert_eq!(w2.data(), &[0.15601864044243652, 0.15599452033620265]);
    }

    #[test]
    fn rand_too_large_is_an_error() {
        let mut r = NumpyRandom::seed(0);
        let e = r.rand::<f32>(&[usize::MAX, 2]).unwrap_err();
        assert!(e.to_string().starts_with(
            "full: shape [18446744073709551615, 2] is not valid here (more elements than fit in memory)"
        ));
        // 8 TiB: the size is fine, the allocation fails (an error, not an abort).
        let e = r.rand::<f64>(&[1 << 40]).unwrap_err();
        assert!(
            e.to_string()
                .contains("(8796093022208 bytes cannot be allocated) at src/rng.rs"),
            "{e}"
        );
    }
}
