//! L2-regularised logistic regression by Newton's method (IRLS): the
//! problem is small (one weight per feature), so exact second-order steps
//! converge in a few iterations to scikit-learn's `LogisticRegression(C)`
//! optimum.
use anyhow::{bail, Result};
use vigil_inference_core::float::FloatLayer;
use vigil_inference_core::format::Activation;

use super::sigmoid;

/// Fit `w, b` minimising `Σ logloss + ||w||² / (2C)` over row-major
/// features `z` (`n × d`).
pub fn fit(z: &[f64], d: usize, y: &[bool], c: f64) -> Result<FloatLayer> {
    let n = y.len();
    let p = d + 1; // weights, then the intercept
    let mut theta = vec![0.0; p];
    let lambda = 1.0 / c;
    for _ in 0..100 {
        let mut grad = vec![0.0; p];
        let mut hess = vec![0.0; p * p];
        for i in 0..n {
            let x = &z[i * d..(i + 1) * d];
            let s = x.iter().zip(&theta).map(|(a, b)| a * b).sum::<f64>() + theta[d];
            let pr = sigmoid(s);
            let r = pr - f64::from(u8::from(y[i]));
            let h = (pr * (1.0 - pr)).max(1e-12);
            for a in 0..p {
                let xa = if a < d { x[a] } else { 1.0 };
                grad[a] += r * xa;
                let row = &mut hess[a * p..(a + 1) * p];
                for (b, hb) in row.iter_mut().enumerate().take(a + 1) {
                    let xb = if b < d { x[b] } else { 1.0 };
                    *hb += h * xa * xb;
                }
            }
        }
        for a in 0..d {
            grad[a] += lambda * theta[a];
            hess[a * p + a] += lambda;
        }
        for a in 0..p {
            for b in 0..a {
                hess[b * p + a] = hess[a * p + b];
            }
        }
        let step = solve_spd(&mut hess, &grad, p)?;
        let mut delta = 0.0f64;
        for (t, s) in theta.iter_mut().zip(&step) {
            *t -= s;
            delta = delta.max(s.abs());
        }
        if delta < 1e-10 {
            break;
        }
    }
    Ok(FloatLayer {
        weights: theta[..d].to_vec(),
        biases: vec![theta[d]],
        activation: Activation::Sigmoid,
    })
}

/// Solve `A x = b` for symmetric positive definite `A` (Cholesky, in place).
fn solve_spd(a: &mut [f64], b: &[f64], n: usize) -> Result<Vec<f64>> {
    for j in 0..n {
        let mut s = a[j * n + j];
        for k in 0..j {
            s -= a[j * n + k] * a[j * n + k];
        }
        if s <= 0.0 {
            bail!("logistic regression: the Hessian is not positive definite");
        }
        let l = s.sqrt();
        a[j * n + j] = l;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / l;
        }
    }
    let mut y = vec![0.0; n];
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= a[i * n + k] * y[k];
        }
        y[i] = s / a[i * n + i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let mut s = y[i];
        for k in i + 1..n {
            s -= a[k * n + i] * x[k];
        }
        x[i] = s / a[i * n + i];
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separates_a_simple_problem() {
        // y = x0 > 0, x1 noise.
        let xs = [
            -2.0, 0.3, -1.0, -0.2, 1.0, 0.1, 2.0, -0.4, -0.5, 0.0, 0.5, 0.2,
        ];
        let y = [false, false, true, true, false, true];
        let l = fit(&xs, 2, &y, 1.0).unwrap();
        assert!(l.weights[0] > 0.5, "{l:?}");
        let mut a = vec![4.0, 2.0, 2.0, 3.0];
        let x = solve_spd(&mut a, &[2.0, 1.0], 2).unwrap();
        assert!((x[0] - 0.5).abs() < 1e-12 && x[1].abs() < 1e-12);
    }
}
