//! Standardisation: z-scores with the training part's mean and population std.

use super::Dataset;

/// Per-column mean and standard deviation, fitted on a training set and
/// applied to any set with the same columns (stored with the model).
///
/// `apply(col, v) = (v − mean[col]) / std[col]`. `std` is the population
/// standard deviation (divide by n); a column with zero variance (all values
/// equal) gets `std = 1`, so it is only centred.
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    /// The mean of each column.
    pub mean: Vec<f64>,
    /// The population standard deviation of each column, 1 where it is zero.
    pub std: Vec<f64>,
}

impl Standardizer {
    /// Fits the column means and population standard deviations of `ds`'s
    /// features (pixels of IDX data as byte/255). An empty set gives mean 0, std 1.
    pub fn fit(ds: &Dataset) -> Standardizer {
        let dim = ds.dim();
        let n = ds.n.max(1) as f64;
        let mut mean = vec![0.0; dim];
        let mut min = vec![f64::INFINITY; dim];
        let mut max = vec![f64::NEG_INFINITY; dim];
        ds.for_each_value(|j, v| {
            mean[j] += v;
            min[j] = min[j].min(v);
            max[j] = max[j].max(v);
        });
        mean.iter_mut().for_each(|m| *m /= n);
        let mut var = vec![0.0; dim];
        ds.for_each_value(|j, v| var[j] += (v - mean[j]) * (v - mean[j]));
        let std = (0..dim)
            .map(|j| {
                let s = (var[j] / n).sqrt();
                let constant = min[j] >= max[j];
                if constant || !(s.is_finite() && s > 0.0) {
                    1.0
                } else {
                    s
                }
            })
            .collect();
        Standardizer { mean, std }
    }

    /// The z-score of value `v` in column `col`. Panics if `col ≥ dim()`.
    #[inline]
    pub fn apply(&self, col: usize, v: f64) -> f64 {
        (v - self.mean[col]) / self.std[col]
    }

    /// The number of columns.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }
}
