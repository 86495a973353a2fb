//! Conductance levels a device can be programmed to, and the error of
//! storing values on them.
//!
//! Level sets on a window [g_lo, g_hi] (conductances read at v_read, S):
//! - **uniform:** g_k = g_lo + k·(g_hi − g_lo)/(N − 1), k = 0…N−1.
//! - **variance-aware (VAQ, Lee et al., seed 000):** given the spread σ(g) of
//!   a device programmed to g, the levels are equally spaced in the
//!   σ-normalized distance u(g) = ∫_{g_lo}^{g} dg′/σ(g′):
//!   u(g_k) = k·u(g_hi)/(N − 1). Every pair of neighbours is then the same
//!   number of standard deviations apart, so their distributions overlap
//!   equally and the worst overlap is as small as N levels allow. Where σ
//!   grows with g (the 2DEG device of seed 000; any relative error) the
//!   levels crowd at low conductance, where trained weights and activations
//!   are dense; with σ ∝ g they are geometric, g_k = g_lo·(g_hi/g_lo)^{k/(N−1)}.
//!   With no spread (σ ≡ 0) VAQ is uniform.
//! - **quantized conductance (QC, Chen et al., seed 004):** the half-integer
//!   multiples m·G0/2 of the conductance quantum G0 = 2e²/h = 77.5 µS that
//!   lie in the window (the paper's 32 states 0.5 G0…16 G0); N of them,
//!   spread evenly over that list, when N is given.
//!
//! A target is stored on the nearest level. [`study`] measures, as seed 000
//! does, what that costs once each stored value is programmed with the
//! device's spread and read back by assigning the read conductance to the
//! nearest level: the per-state mean squared error and the relative error of
//! a matrix product computed from the read-back values.

use rand::SeedableRng;

/// The conductance quantum 2e²/h in S (77.48 µS).
pub const G0: f64 = 7.748_091_729e-5;

/// How the levels are placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Uniform,
    Vaq,
    Qc,
}

impl Scheme {
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Uniform => "uniform",
            Scheme::Vaq => "vaq",
            Scheme::Qc => "qc",
        }
    }

    pub fn parse(s: &str) -> Option<Scheme> {
        match s {
            "uniform" => Some(Scheme::Uniform),
            "vaq" => Some(Scheme::Vaq),
            "qc" => Some(Scheme::Qc),
            _ => None,
        }
    }
}

/// `n` uniform levels on [lo, hi] (n ≥ 2).
pub fn uniform(n: usize, lo: f64, hi: f64) -> Vec<f64> {
    let n = n.max(2);
    (0..n)
        .map(|k| lo + (hi - lo) * k as f64 / (n - 1) as f64)
        .collect()
}

/// `n` variance-aware levels on [lo, hi] for the spread `sigma(g)` (S).
/// u(g) = ∫ dg/σ is integrated by the trapezoid rule on 4096 intervals and
/// inverted by linear interpolation. Falls back to uniform if σ is not
/// positive and finite over the whole window.
pub fn vaq(n: usize, lo: f64, hi: f64, sigma: impl Fn(f64) -> f64) -> Vec<f64> {
    const STEPS: usize = 4096;
    let n = n.max(2);
    let gs: Vec<f64> = (0..=STEPS)
        .map(|k| lo + (hi - lo) * k as f64 / STEPS as f64)
        .collect();
    let inv: Vec<f64> = gs.iter().map(|&g| 1.0 / sigma(g)).collect();
    if inv.iter().any(|v| !v.is_finite() || *v <= 0.0) {
        return uniform(n, lo, hi);
    }
    let mut u = vec![0.0; STEPS + 1];
    for k in 1..=STEPS {
        u[k] = u[k - 1] + 0.5 * (inv[k - 1] + inv[k]) * (gs[k] - gs[k - 1]);
    }
    let total = u[STEPS];
    let mut out = Vec::with_capacity(n);
    let mut seg = 0;
    for k in 0..n {
        let target = total * k as f64 / (n - 1) as f64;
        while seg + 1 < STEPS && u[seg + 1] < target {
            seg += 1;
        }
        let (u0, u1) = (u[seg], u[seg + 1]);
        let t = if u1 > u0 {
            ((target - u0) / (u1 - u0)).clamp(0.0, 1.0)
        } else {
            0.0
        };
        out.push(gs[seg] + t * (gs[seg + 1] - gs[seg]));
    }
    out[0] = lo;
    out[n - 1] = hi;
    out
}

/// Most QC levels listed.
pub const MAX_QC_LEVELS: usize = 4096;

/// The QC states m·G0/2 (m = 1, 2, …) inside [lo, hi] (with a 1e-9 relative
/// slack at the ends), all of them, or `n` spread evenly over them.
/// `Err(available)` if fewer than max(n, 2) lie in the window.
pub fn qc(n: usize, lo: f64, hi: f64) -> Result<Vec<f64>, usize> {
    let half = 0.5 * G0;
    // Counted, not listed: a window of 1e6 S holds ~2.6e10 states.
    let first = ((lo * (1.0 - 1e-9)) / half).ceil().max(1.0);
    let last = ((hi * (1.0 + 1e-9)) / half).floor();
    let count = if last >= first {
        (last - first + 1.0).min(usize::MAX as f64 / 2.0) as usize
    } else {
        0
    };
    let want = if n == 0 { count } else { n };
    if count < want.max(2) || want > MAX_QC_LEVELS {
        return Err(count);
    }
    Ok((0..want)
        .map(|k| {
            let m = ((k as f64 * (count - 1) as f64) / (want - 1) as f64).round();
            (first + m) * half
        })
        .collect())
}

/// Index of the level nearest to `g` (`levels` ascending).
pub fn nearest(levels: &[f64], g: f64) -> usize {
    let k = levels.partition_point(|&l| l < g);
    if k == 0 {
        0
    } else if k == levels.len() {
        levels.len() - 1
    } else if g - levels[k - 1] <= levels[k] - g {
        k - 1
    } else {
        k
    }
}

/// Store-program-read error of one level set (see [`study`]).
#[derive(Clone, Debug)]
pub struct StudyResult {
    /// The levels (S).
    pub levels: Vec<f64>,
    /// Per level: values stored there and their mean squared error
    /// (normalized units, the window is [0, 1]; NaN when none).
    pub count: Vec<usize>,
    pub mse: Vec<f64>,
    /// Mean squared error over all stored values.
    pub mse_all: f64,
    /// Fraction of stored values read back at another level than intended.
    pub misread: f64,
    /// ‖Ŷ − Y‖_F / ‖Y‖_F for Y = W·X.
    pub product_error: f64,
}

/// Quantization error on a matrix product Y = W·X (W: `m`×`k`, X: `k`×`n`,
/// row-major, values in [0, 1], mapped linearly onto [lo, hi]).
///
/// Every value v is stored at the level nearest to g = lo + v·(hi − lo),
/// programmed as that level plus the device spread (`program(level, rng)`
/// returns the programmed conductance), read back as the level nearest to
/// that conductance, and mapped back to v̂. Per level: MSE of v̂ − v over the
/// values stored there (W and X together). Ŷ = Ŵ·X̂. `seed` fixes the draws.
#[allow(clippy::too_many_arguments)]
pub fn study(
    levels: &[f64],
    lo: f64,
    hi: f64,
    w: &[f64],
    x: &[f64],
    (m, k, n): (usize, usize, usize),
    mut program: impl FnMut(f64, &mut rand::rngs::StdRng) -> f64,
    seed: u64,
) -> StudyResult {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let nl = levels.len();
    let mut count = vec![0usize; nl];
    let mut sq = vec![0.0; nl];
    let mut misread = 0usize;
    let span = hi - lo;
    let mut roundtrip = |v: f64, rng: &mut rand::rngs::StdRng| -> f64 {
        let l = nearest(levels, lo + v * span);
        let g = program(levels[l], rng);
        let r = nearest(levels, g);
        if r != l {
            misread += 1;
        }
        let vh = (levels[r] - lo) / span;
        count[l] += 1;
        sq[l] += (vh - v) * (vh - v);
        vh
    };
    let wh: Vec<f64> = w.iter().map(|&v| roundtrip(v, &mut rng)).collect();
    let xh: Vec<f64> = x.iter().map(|&v| roundtrip(v, &mut rng)).collect();
    let (mut num, mut den) = (0.0, 0.0);
    for a in 0..m {
        for b in 0..n {
            let (mut y, mut yh) = (0.0, 0.0);
            for c in 0..k {
                y += w[a * k + c] * x[c * n + b];
                yh += wh[a * k + c] * xh[c * n + b];
            }
            num += (yh - y) * (yh - y);
            den += y * y;
        }
    }
    let total: usize = count.iter().sum();
    StudyResult {
        levels: levels.to_vec(),
        mse: count
            .iter()
            .zip(&sq)
            .map(|(&c, &s)| if c > 0 { s / c as f64 } else { f64::NAN })
            .collect(),
        mse_all: sq.iter().sum::<f64>() / total.max(1) as f64,
        misread: misread as f64 / total.max(1) as f64,
        count,
        product_error: if den > 0.0 { (num / den).sqrt() } else { 0.0 },
    }
}

/// Seed-000 style data: `len` values of a half-normal distribution with
/// standard deviation `s`, clipped to [0, 1] (normal-like magnitudes, dense
/// at small values, like the weights and activations of a trained layer).
pub fn half_normal(len: usize, s: f64, seed: u64) -> Vec<f64> {
    use rand::Rng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..len)
        .map(|_| {
            let z: f64 = rng.sample(rand_distr::StandardNormal);
            (s * z).abs().min(1.0)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_sets() {
        assert_eq!(uniform(4, 0.0, 3.0), vec![0.0, 1.0, 2.0, 3.0]);
        // σ ∝ g: geometric levels.
        let v = vaq(5, 1.0, 16.0, |g| 0.05 * g);
        for (k, g) in v.iter().enumerate() {
            assert!((g - 2f64.powi(k as i32)).abs() < 1e-5, "{v:?}");
        }
        // Constant σ, or none: uniform.
        let u = vaq(5, 1.0, 5.0, |_| 0.3);
        assert!(u
            .iter()
            .zip(uniform(5, 1.0, 5.0))
            .all(|(a, b)| (a - b).abs() < 1e-9));
        assert_eq!(vaq(3, 1.0, 5.0, |_| 0.0), uniform(3, 1.0, 5.0));
        // The 32 QC states of seed 004, and 4 of them.
        let q = qc(0, 0.5 * G0, 16.0 * G0).unwrap();
        assert_eq!(q.len(), 32);
        assert!((q[0] - 0.5 * G0).abs() < 1e-15 && (q[31] - 16.0 * G0).abs() < 1e-15);
        let q4 = qc(4, 0.5 * G0, 16.0 * G0).unwrap();
        assert_eq!(q4.len(), 4);
        assert_eq!(q4[0], q[0]);
        assert_eq!(q4[3], q[31]);
        assert_eq!(qc(4, 10e-6, 100e-6), Err(2));
    }

    #[test]
    fn nearest_level() {
        let l = [1.0, 2.0, 4.0];
        assert_eq!(nearest(&l, 0.0), 0);
        assert_eq!(nearest(&l, 1.4), 0);
        assert_eq!(nearest(&l, 1.6), 1);
        assert_eq!(nearest(&l, 3.1), 2);
        assert_eq!(nearest(&l, 9.0), 2);
    }

    #[test]
    fn noiseless_study_is_plain_rounding() {
        let levels = uniform(3, 0.0, 1.0);
        let w = [0.1, 0.6];
        let x = [1.0, 0.0];
        let r = study(&levels, 0.0, 1.0, &w, &x, (1, 2, 1), |g, _| g, 1);
        assert_eq!(r.misread, 0.0);
        assert_eq!(r.count, vec![2, 1, 1]);
        // 0.1 -> 0 and 0.6 -> 0.5: Y = 0.1, Ŷ = 0.
        assert!((r.product_error - 1.0).abs() < 1e-12);
        assert!((r.mse[0] - 0.005).abs() < 1e-12);
    }
}
