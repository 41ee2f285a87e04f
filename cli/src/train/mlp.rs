//! A multilayer perceptron for binary classification: ReLU hidden layers, a
//! sigmoid output, log loss with L2 penalty, Adam on shuffled mini-batches,
//! Glorot-uniform initialisation and loss-plateau stopping: the recipe of
//! scikit-learn's `MLPClassifier` defaults, written out so it stays
//! deterministic from a seed and needs no BLAS. One addition: the weights
//! returned are an exponential moving average of the iterates (Polyak
//! averaging, decay 0.998 by default), which on eth-fraud raised the
//! cross-validated AUC and F1 and made the result less seed-dependent.
use indicatif::ProgressBar;
use vigil_inference_core::float::FloatLayer;
use vigil_inference_core::format::Activation;

use super::sigmoid;
use crate::rng::Rng;

/// Training settings.
#[derive(Clone, Debug)]
pub struct MlpParams {
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// Largest number of passes over the data.
    pub epochs: usize,
    /// Rows per step.
    pub batch: usize,
    /// Adam step size.
    pub lr: f64,
    /// L2 penalty (scikit-learn's `alpha`).
    pub alpha: f64,
    /// Stop after this many epochs without a loss improvement of `tol`.
    pub patience: usize,
    /// Improvement that counts.
    pub tol: f64,
    /// Decay of the exponential moving average of the weights that is
    /// returned (0: return the last weights).
    pub ema: f64,
}

impl Default for MlpParams {
    fn default() -> Self {
        MlpParams {
            hidden: vec![32, 16],
            epochs: 200,
            batch: 200,
            lr: 1e-3,
            alpha: 1e-4,
            patience: 10,
            tol: 1e-4,
            ema: 0.0,
        }
    }
}

struct Layer {
    fan_in: usize,
    fan_out: usize,
    w: Vec<f64>, // fan_out × fan_in
    b: Vec<f64>,
}

struct Adam {
    m: Vec<f64>,
    v: Vec<f64>,
}

impl Adam {
    fn new(n: usize) -> Self {
        Adam {
            m: vec![0.0; n],
            v: vec![0.0; n],
        }
    }

    fn step(&mut self, params: &mut [f64], grad: &[f64], lr_t: f64) {
        const B1: f64 = 0.9;
        const B2: f64 = 0.999;
        for ((p, g), (m, v)) in params
            .iter_mut()
            .zip(grad)
            .zip(self.m.iter_mut().zip(self.v.iter_mut()))
        {
            *m = B1 * *m + (1.0 - B1) * g;
            *v = B2 * *v + (1.0 - B2) * g * g;
            *p -= lr_t * *m / (v.sqrt() + 1e-8);
        }
    }
}

/// Train on row-major features `z` (`n × d`); returns the layers (hidden
/// ReLU, output sigmoid) and the final training loss.
pub fn fit(
    z: &[f64],
    d: usize,
    y: &[bool],
    p: &MlpParams,
    rng: &mut Rng,
    bar: &ProgressBar,
) -> (Vec<FloatLayer>, f64) {
    let n = y.len();
    let mut sizes = vec![d];
    sizes.extend(&p.hidden);
    sizes.push(1);
    let mut layers: Vec<Layer> = sizes
        .windows(2)
        .map(|s| {
            let bound = (6.0 / (s[0] + s[1]) as f64).sqrt();
            Layer {
                fan_in: s[0],
                fan_out: s[1],
                w: (0..s[0] * s[1]).map(|_| rng.range(-bound, bound)).collect(),
                b: (0..s[1]).map(|_| rng.range(-bound, bound)).collect(),
            }
        })
        .collect();
    let mut adam_w: Vec<Adam> = layers.iter().map(|l| Adam::new(l.w.len())).collect();
    let mut adam_b: Vec<Adam> = layers.iter().map(|l| Adam::new(l.b.len())).collect();
    let mut gw: Vec<Vec<f64>> = layers.iter().map(|l| vec![0.0; l.w.len()]).collect();
    let mut gb: Vec<Vec<f64>> = layers.iter().map(|l| vec![0.0; l.b.len()]).collect();
    // Per-layer activations and deltas of one row.
    let mut acts: Vec<Vec<f64>> = sizes.iter().map(|&s| vec![0.0; s]).collect();
    let mut deltas: Vec<Vec<f64>> = sizes.iter().map(|&s| vec![0.0; s]).collect();
    // Debiased like Adam's moments: start at zero, divide by 1 - decay^t.
    let mut ema: Vec<(Vec<f64>, Vec<f64>)> = layers
        .iter()
        .map(|l| (vec![0.0; l.w.len()], vec![0.0; l.b.len()]))
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    let (mut best, mut stall, mut t) = (f64::INFINITY, 0usize, 0u64);
    let mut last_loss = f64::INFINITY;
    bar.set_length(p.epochs as u64);
    for _epoch in 0..p.epochs {
        rng.shuffle(&mut order);
        let mut loss_sum = 0.0;
        for batch in order.chunks(p.batch.max(1)) {
            for g in gw.iter_mut().chain(gb.iter_mut()) {
                g.iter_mut().for_each(|v| *v = 0.0);
            }
            for &i in batch {
                acts[0].copy_from_slice(&z[i * d..(i + 1) * d]);
                let last = layers.len() - 1;
                for (k, l) in layers.iter().enumerate() {
                    let (ins, outs) = acts.split_at_mut(k + 1);
                    let x = &ins[k];
                    for (j, o) in outs[0].iter_mut().enumerate() {
                        let row = &l.w[j * l.fan_in..(j + 1) * l.fan_in];
                        let s = row.iter().zip(x).map(|(a, b)| a * b).sum::<f64>() + l.b[j];
                        *o = if k == last { s } else { s.max(0.0) };
                    }
                }
                let logit = acts[layers.len()][0];
                let yi = f64::from(u8::from(y[i]));
                // Log loss from the logit, stably.
                loss_sum += logit.max(0.0) - logit * yi + (-logit.abs()).exp().ln_1p();
                deltas[layers.len()][0] = sigmoid(logit) - yi;
                for k in (0..layers.len()).rev() {
                    let l = &layers[k];
                    let (lo, hi) = deltas.split_at_mut(k + 1);
                    let dout = &hi[0];
                    let x = &acts[k];
                    for j in 0..l.fan_out {
                        let dj = dout[j];
                        if dj == 0.0 {
                            continue;
                        }
                        gb[k][j] += dj;
                        let g = &mut gw[k][j * l.fan_in..(j + 1) * l.fan_in];
                        for (gv, xv) in g.iter_mut().zip(x) {
                            *gv += dj * xv;
                        }
                    }
                    if k > 0 {
                        let din = &mut lo[k];
                        din.iter_mut().for_each(|v| *v = 0.0);
                        for (&dj, row) in dout.iter().zip(l.w.chunks(l.fan_in)) {
                            if dj == 0.0 {
                                continue;
                            }
                            for (dv, wv) in din.iter_mut().zip(row) {
                                *dv += dj * wv;
                            }
                        }
                        // ReLU derivative.
                        for (dv, a) in din.iter_mut().zip(&acts[k]) {
                            if *a <= 0.0 {
                                *dv = 0.0;
                            }
                        }
                    }
                }
            }
            let m = batch.len() as f64;
            t += 1;
            let lr_t =
                p.lr * (1.0 - 0.999f64.powi(t as i32)).sqrt() / (1.0 - 0.9f64.powi(t as i32));
            for (k, l) in layers.iter_mut().enumerate() {
                for (g, w) in gw[k].iter_mut().zip(&l.w) {
                    *g = *g / m + p.alpha * w / m;
                }
                gb[k].iter_mut().for_each(|g| *g /= m);
                adam_w[k].step(&mut l.w, &gw[k], lr_t);
                adam_b[k].step(&mut l.b, &gb[k], lr_t);
                if p.ema > 0.0 {
                    let (ew, eb) = &mut ema[k];
                    for (e, v) in ew.iter_mut().zip(&l.w).chain(eb.iter_mut().zip(&l.b)) {
                        *e = p.ema * *e + (1.0 - p.ema) * v;
                    }
                }
            }
        }
        let penalty: f64 = layers
            .iter()
            .map(|l| l.w.iter().map(|w| w * w).sum::<f64>())
            .sum::<f64>()
            * p.alpha
            / (2.0 * n as f64);
        let loss = loss_sum / n as f64 + penalty;
        last_loss = loss;
        bar.inc(1);
        bar.set_message(format!("loss {loss:.5}"));
        if loss > best - p.tol {
            stall += 1;
        } else {
            stall = 0;
        }
        best = best.min(loss);
        if stall > p.patience {
            break;
        }
    }
    if p.ema > 0.0 && t > 0 {
        let debias = 1.0 - p.ema.powf(t as f64);
        for (l, (ew, eb)) in layers.iter_mut().zip(ema) {
            l.w = ew.into_iter().map(|v| v / debias).collect();
            l.b = eb.into_iter().map(|v| v / debias).collect();
        }
    }
    let last = layers.len() - 1;
    let out = layers
        .into_iter()
        .enumerate()
        .map(|(k, l)| FloatLayer {
            weights: l.w,
            biases: l.b,
            activation: if k == last {
                Activation::Sigmoid
            } else {
                Activation::Relu
            },
        })
        .collect();
    (out, last_loss)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_xor() {
        let mut rng = Rng::new(3);
        let mut z = Vec::new();
        let mut y = Vec::new();
        for _ in 0..400 {
            let (a, b) = (rng.range(-1.0, 1.0), rng.range(-1.0, 1.0));
            z.extend([a, b]);
            y.push((a > 0.0) != (b > 0.0));
        }
        let p = MlpParams {
            hidden: vec![8],
            epochs: 300,
            batch: 32,
            lr: 0.01,
            ..MlpParams::default()
        };
        let (layers, _) = fit(&z, 2, &y, &p, &mut Rng::new(1), &ProgressBar::hidden());
        let model = vigil_inference_core::float::FloatModel {
            threshold: 0.5,
            features: vec![vigil_inference_core::float::FloatFeature::IDENTITY; 2],
            body: vigil_inference_core::float::FloatBody::Mlp(layers),
        };
        let correct = (0..y.len())
            .filter(|&i| (model.predict(&z[2 * i..2 * i + 2]) >= 0.5) == y[i])
            .count();
        assert!(correct > 360, "{correct}/400");
    }
}
