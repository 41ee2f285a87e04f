//! Preprocessing that lives inside the model: per feature an optional
//! signed `log1p`, then standardisation fitted on the training rows.
//!
//! Training sees the features exactly as the core computes them: each raw
//! value's `Wide` goes through the quantised transform
//! (`FeatureTransform::apply`), giving `I16F16` bits. Trees split on those
//! bits, so a threshold placed between two distinct training values keeps
//! them apart after quantisation.
use clap::ValueEnum;
use vigil_inference_core::float::{
    FloatBody, FloatFeature, FloatLayer, FloatModel, QuantizeOptions,
};
use vigil_inference_core::format::Activation;
use vigil_inference_core::preprocess::FeatureTransform;

use crate::data::Table;

/// Which columns get a signed `log1p`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogMode {
    /// Columns spanning a wide range (max |x| >= 100) or strongly skewed
    /// (|skewness| > 2).
    Auto,
    /// Every column.
    All,
    /// No column.
    None,
}

fn slog1p(x: f64) -> f64 {
    x.signum() * x.abs().ln_1p()
}

fn skewness(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let m2 = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let m3 = v.iter().map(|x| (x - mean).powi(3)).sum::<f64>() / n;
    if m2 <= 0.0 {
        0.0
    } else {
        m3 / m2.powf(1.5)
    }
}

/// Fit one transform per column on the table's rows.
pub fn fit_features(table: &Table, mode: LogMode) -> Vec<FloatFeature> {
    (0..table.n_features())
        .map(|j| {
            let col: Vec<f64> = table.rows.iter().map(|r| r.x[j]).collect();
            let log1p = match mode {
                LogMode::All => true,
                LogMode::None => false,
                LogMode::Auto => {
                    col.iter().fold(0.0f64, |m, x| m.max(x.abs())) >= 100.0
                        || skewness(&col).abs() > 2.0
                }
            };
            let y: Vec<f64> = if log1p {
                col.iter().map(|&x| slog1p(x)).collect()
            } else {
                col
            };
            let n = y.len() as f64;
            let mean = y.iter().sum::<f64>() / n;
            let var = y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
            let std = var.sqrt();
            FloatFeature {
                clip_lo: None,
                clip_hi: None,
                log1p,
                mean,
                std: if std > 1e-9 { std } else { 1.0 },
            }
        })
        .collect()
}

/// The integer transforms the core will store for these features (exactly
/// what `FloatModel::quantize` produces).
pub fn core_transforms(features: &[FloatFeature]) -> Vec<FeatureTransform> {
    let probe = FloatModel {
        threshold: 0.5,
        features: features.to_vec(),
        body: FloatBody::Linear(FloatLayer {
            weights: vec![0.0; features.len()],
            biases: vec![0.0],
            activation: Activation::Sigmoid,
        }),
    };
    probe.quantize(&QuantizeOptions::default()).features
}

/// Preprocessed features of a table, as the core computes them.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// Rows.
    pub n: usize,
    /// Features.
    pub d: usize,
    /// `I16F16` bits, column-major: `bits[feature][row]`.
    pub bits: Vec<Vec<i32>>,
    /// The same values as `f64`, row-major: `z[row * d + feature]`.
    pub z: Vec<f64>,
}

impl Prepared {
    /// Apply the core's transforms to every row's `Wide` inputs.
    pub fn new(table: &Table, transforms: &[FeatureTransform]) -> Prepared {
        let (n, d) = (table.rows.len(), transforms.len());
        let mut bits = vec![vec![0i32; n]; d];
        let mut z = vec![0.0; n * d];
        for (i, row) in table.rows.iter().enumerate() {
            for (j, t) in transforms.iter().enumerate() {
                let b = t.apply(row.wide[j]).to_bits();
                bits[j][i] = b;
                z[i * d + j] = f64::from(b) / 65536.0;
            }
        }
        Prepared { n, d, bits, z }
    }

    /// Row `i` as `f64` features.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.z[i * self.d..(i + 1) * self.d]
    }

    /// Largest |feature| over all rows (saturation is at 32768).
    pub fn max_abs(&self) -> f64 {
        self.z.iter().fold(0.0f64, |m, v| m.max(v.abs()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn standardises_and_logs_wide_columns() {
        let t = Table::parse(
            "a,b,label\n1,1e9,0\n2,-3,1\n3,1e3,0\n4,0,1\n",
            Path::new("t.csv"),
            "label",
            crate::data::LabelMode::Required,
        )
        .unwrap();
        let f = fit_features(&t, LogMode::Auto);
        assert!(!f[0].log1p);
        assert!(f[1].log1p);
        assert!((f[0].mean - 2.5).abs() < 1e-12);
        let tr = core_transforms(&f);
        let p = Prepared::new(&t, &tr);
        // Column a standardised: mean 0, population std 1.
        let col: Vec<f64> = (0..4).map(|i| p.row(i)[0]).collect();
        assert!(col.iter().sum::<f64>().abs() < 1e-3);
        assert!((col.iter().map(|v| v * v).sum::<f64>() / 4.0 - 1.0).abs() < 1e-3);
        // The core's preprocessing agrees with the f64 reference.
        for (i, r) in t.rows.iter().enumerate() {
            for (j, f) in f.iter().enumerate() {
                assert!((p.row(i)[j] - f.apply(r.x[j])).abs() < 1e-4);
            }
        }
    }
}
