//! The single-layer perceptron of the 64×64 paper (Kim et al., seed 001):
//! n inputs (binary pixels x_i ∈ {0, 1}), one output per class, scores
//!
//!   s_j = Σ_i x_i·W_ij + b_j,      class = argmax_j s_j,
//!
//! with the weights W clipped to [0, 1] (one device per weight) or, for
//! differential pairs, to [−1, 1], and the bias b_j kept in software.
//!
//! Training: softmax cross-entropy on logits α·s (α the gain, default 4;
//! the argmax does not depend on α, but the clipped weights learnt do),
//! minibatch gradient descent:
//!   p = softmax(α·s),  ∂L/∂W_ij = α·x_i·(p_j − [j = y]),  ∂L/∂b_j = α·(p_j − [j = y]),
//! averaged over a minibatch, W ← clip(W − η_e·∂L/∂W), b ← b − η_e·∂L/∂b,
//! with η_e = η·(E − e)/E in epoch e of E (linear decay). The training
//! images are shuffled every epoch by a seeded generator (ChaCha12,
//! `rand::rngs::StdRng`): the same seed gives the same weights on every
//! machine. The initial weights are uniform in [0, 0.01] (signed: ±0.005).
//! The paper trained ReLU neurons with dropout on 60,000 images; this is
//! the same network and constraint, trained on the shipped training split.

use crate::nn::data::Digits;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::path::Path;

/// Trained weights and software biases.
#[derive(Clone, Debug, PartialEq)]
pub struct Perceptron {
    pub inputs: usize,
    pub classes: usize,
    /// Weights in [−1, 1] (differential pairs) rather than [0, 1].
    pub signed: bool,
    /// W_ij at `w[i*classes + j]`.
    pub w: Vec<f64>,
    pub b: Vec<f64>,
}

/// Gradient-descent settings.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    pub epochs: usize,
    /// Learning rate η.
    pub lr: f64,
    /// Minibatch size.
    pub batch: usize,
    pub seed: u64,
    /// Softmax gain α: training sees logits α·s_j. The classifier (argmax of
    /// s) does not depend on α, but the clipped weights it learns do.
    pub gain: f64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 60,
            lr: 0.05,
            batch: 16,
            seed: 1,
            gain: 1.0,
        }
    }
}

/// Index of the largest value (the first one on ties).
pub fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (k, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = k;
        }
    }
    best
}

/// Train on the training split of `data`.
pub fn train(data: &Digits, signed: bool, cfg: &TrainConfig) -> Perceptron {
    let (n, m) = (data.inputs, data.classes);
    let lo = if signed { -1.0 } else { 0.0 };
    let mut rng = rand::rngs::StdRng::seed_from_u64(cfg.seed);
    let w = (0..n * m)
        .map(|_| {
            let u: f64 = rng.random();
            if signed {
                0.01 * u - 0.005
            } else {
                0.01 * u
            }
        })
        .collect();
    let mut p = Perceptron {
        inputs: n,
        classes: m,
        signed,
        w,
        b: vec![0.0; m],
    };
    let mut order = data.train_set();
    let batch = cfg.batch.max(1);
    let mut gw = vec![0.0; n * m];
    let mut gb = vec![0.0; m];
    let mut s = vec![0.0; m];
    for epoch in 0..cfg.epochs {
        // Linear decay of the learning rate to lr/epochs in the last epoch.
        let lr = cfg.lr * (cfg.epochs - epoch) as f64 / cfg.epochs as f64;
        order.shuffle(&mut rng);
        for chunk in order.chunks(batch) {
            gw.iter_mut().for_each(|g| *g = 0.0);
            gb.iter_mut().for_each(|g| *g = 0.0);
            for &k in chunk {
                let x = data.image(k);
                p.scores(x, &mut s);
                s.iter_mut().for_each(|v| *v *= cfg.gain);
                softmax(&mut s);
                s[data.labels[k] as usize] -= 1.0;
                for (i, &xi) in x.iter().enumerate() {
                    if xi != 0 {
                        for (g, d) in gw[i * m..(i + 1) * m].iter_mut().zip(&s) {
                            *g += d;
                        }
                    }
                }
                for (g, d) in gb.iter_mut().zip(&s) {
                    *g += d;
                }
            }
            // d(loss)/d(s) = α·(p − onehot).
            let eta = cfg.gain * lr / chunk.len() as f64;
            for (wij, g) in p.w.iter_mut().zip(&gw) {
                *wij = (*wij - eta * g).clamp(lo, 1.0);
            }
            for (bj, g) in p.b.iter_mut().zip(&gb) {
                *bj -= eta * g;
            }
        }
    }
    p
}

/// In place: s ← softmax(s).
fn softmax(s: &mut [f64]) {
    let mx = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for v in s.iter_mut() {
        *v = (*v - mx).exp();
        sum += *v;
    }
    for v in s.iter_mut() {
        *v /= sum;
    }
}

/// A weights file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WeightsError {
    #[error(transparent)]
    Csv(#[from] crate::circuit::crossbar::CsvError),
    #[error(
        "{file}: expected {inputs} lines of weights and one line of biases, found {found} lines"
    )]
    Lines {
        file: String,
        inputs: usize,
        found: usize,
    },
    #[error("{file}: weight {class} of input {input} is {value}, outside [{}, 1]{}", if *.signed { -1.0 } else { 0.0 }, if *.signed { "" } else { " (signed weights need diff=1)" })]
    Range {
        file: String,
        class: usize,
        input: usize,
        value: f64,
        signed: bool,
    },
}

impl Perceptron {
    /// Software scores s_j = Σ_i x_i·W_ij + b_j.
    pub fn scores(&self, x: &[u8], out: &mut [f64]) {
        out.copy_from_slice(&self.b);
        let m = self.classes;
        for (i, &xi) in x.iter().enumerate() {
            if xi != 0 {
                for (o, w) in out.iter_mut().zip(&self.w[i * m..(i + 1) * m]) {
                    *o += w;
                }
            }
        }
    }

    pub fn predict(&self, x: &[u8]) -> usize {
        let mut s = vec![0.0; self.classes];
        self.scores(x, &mut s);
        argmax(&s)
    }

    /// Fraction of `set` classified correctly.
    pub fn accuracy(&self, data: &Digits, set: &[usize]) -> f64 {
        let ok = set
            .iter()
            .filter(|&&k| self.predict(data.image(k)) == data.labels[k] as usize)
            .count();
        ok as f64 / set.len().max(1) as f64
    }

    /// Write the weights file: `#` comment lines, then `inputs` lines of
    /// `classes` weights, then one line of the biases (17 significant digits,
    /// so a reload is exact).
    pub fn write(&self, w: &mut dyn std::io::Write, comment: &str) -> std::io::Result<()> {
        writeln!(
            w,
            "# xbarsim perceptron weights: {} lines (inputs) of {} weights (classes), then one line of {} software biases",
            self.inputs, self.classes, self.classes
        )?;
        writeln!(
            w,
            "# weights in [{}, 1]; {comment}",
            if self.signed { -1 } else { 0 }
        )?;
        let m = self.classes;
        for row in self.w.chunks(m).chain(std::iter::once(self.b.as_slice())) {
            let line: Vec<String> = row.iter().map(|v| format!("{v:.17e}")).collect();
            writeln!(w, "{}", line.join(","))?;
        }
        Ok(())
    }

    /// Read a weights file written by [`Perceptron::write`] (or by hand: `#`
    /// comments, `inputs` lines of `classes` numbers, then the biases).
    /// `signed`: weights may be negative (differential pairs).
    pub fn load(
        path: &Path,
        inputs: usize,
        classes: usize,
        signed: bool,
    ) -> Result<Perceptron, WeightsError> {
        let (v, rows) =
            crate::circuit::crossbar::read_rows(path, Some(inputs + 1), classes, false)?;
        if rows != inputs + 1 {
            return Err(WeightsError::Lines {
                file: path.display().to_string(),
                inputs,
                found: rows,
            });
        }
        let lo = if signed { -1.0 } else { 0.0 };
        if let Some(k) = v[..inputs * classes]
            .iter()
            .position(|&x| !(lo..=1.0).contains(&x))
        {
            return Err(WeightsError::Range {
                file: path.display().to_string(),
                class: k % classes,
                input: k / classes,
                value: v[k],
                signed,
            });
        }
        Ok(Perceptron {
            inputs,
            classes,
            signed,
            w: v[..inputs * classes].to_vec(),
            b: v[inputs * classes..].to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Digits {
        // Class 0 lights the left pixels, class 1 the right ones.
        let mut text = String::from("index,label,split,p0,p1,p2,p3\n");
        for k in 0..40 {
            let (y, px) = if k % 2 == 0 {
                (0, "1,1,0,0")
            } else {
                (1, "0,0,1,1")
            };
            let split = if k % 5 == 4 { "test" } else { "train" };
            text += &format!("{k},{y},{split},{px}\n");
        }
        Digits::parse(&text, "toy").unwrap()
    }

    #[test]
    fn learns_a_separable_toy_and_is_deterministic() {
        let d = toy();
        let cfg = TrainConfig {
            epochs: 20,
            ..Default::default()
        };
        for signed in [false, true] {
            let p = train(&d, signed, &cfg);
            assert_eq!(p.accuracy(&d, &d.test_set()), 1.0);
            assert_eq!(p, train(&d, signed, &cfg));
            let lo = if signed { -1.0 } else { 0.0 };
            assert!(p.w.iter().all(|w| (lo..=1.0).contains(w)));
        }
    }

    #[test]
    fn weights_file_round_trips() {
        let d = toy();
        let p = train(&d, true, &TrainConfig::default());
        let dir = std::env::temp_dir().join(format!("xbarsim-w-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("w.csv");
        let mut buf = Vec::new();
        p.write(&mut buf, "toy").unwrap();
        std::fs::write(&f, buf).unwrap();
        assert_eq!(Perceptron::load(&f, 4, 2, true).unwrap(), p);
        let e = Perceptron::load(&f, 4, 2, false);
        assert!(p.w.iter().all(|&w| w >= 0.0) || e.is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
