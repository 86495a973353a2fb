//! Weight import: trained weights → target conductances → (levels) →
//! programmed conductances → device states.
//!
//! **Mapping** (64×64 paper): a weight w ∈ [0, 1] becomes the conductance
//! G = g_lo + w·(g_hi − g_lo) (10–100 µS there). Signed weights w ∈ [−1, 1]
//! use a differential pair of columns, G⁺ = g_lo + max(w, 0)·Δg and
//! G⁻ = g_lo + max(−w, 0)·Δg, class j on columns 2j (G⁺) and 2j+1 (G⁻).
//! Conductance here is what the paper tunes and measures: the read
//! conductance I(g, v_read)/v_read. The device state g that gives it is
//! found by inverting the model's law at v_read ([`state_for`]), so a binary
//! input at v_read produces exactly the intended current on an ideal array;
//! nonlinearity matters only where IR drop lowers a device's voltage.
//!
//! **Readout:** with column currents I, class scores are
//! s_j = I_j/(v_read·Δg) + b_j (single columns) or
//! s_j = (I_2j − I_2j+1)/(v_read·Δg) + b_j (pairs), the bias in software.
//! For single columns I_j/(v_read·Δg) = Σ_i x_i·w_ij + n_on·g_lo/Δg; the
//! second term is the same for every class and cancels in the argmax.
//!
//! **Import error** (applied to each target, after quantization, with a
//! seeded generator, devices in row-major order):
//! - `uniform` (the paper's simulation, Fig. 4d): G·U[1 − e, 1 + e];
//! - `gauss`: G·(1 + e·N(0, 1));
//! - `studentt` (Diao et al., seed 002): in normalized units y = (G − g_lo)/Δg,
//!   y_actual = Q(y_ideal) + loc(y) + scale(y)·T_ν(y), T_ν Student's t with ν
//!   degrees of freedom; loc, scale, ν per level from a table (linear
//!   interpolation in y), or constant (loc, scale = e and ν from the card).
//!
//! Programmed conductances are kept ≥ 0; they may leave the model's window,
//! as in the paper's simulation.
//!
//! Each model's spread σ(G) (its standard deviation) is what variance-aware
//! quantization places levels by: e·G/√3 (uniform), e·G (gauss),
//! scale·Δg·√(ν/(ν − 2)) (Student's t, ν > 2; scale·Δg otherwise).
//!
//! **Import modes:** [`Import`] is how the targets reach the devices: drawn
//! from a statistical error model ([`program`]), or tuned by write-verify
//! through the circuit ([`Import::WriteVerify`]: the programming engine,
//! [`crate::analysis::program`], run by `analysis::perceptron`; here
//! [`program`] gives such an import its quantized targets, unchanged).

use crate::devices::memristor::IvLaw;
use crate::nn::quantize;
use crate::nn::train::Perceptron;
use rand::{Rng, SeedableRng};

/// Weight → conductance mapping and the readout's scale.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mapping {
    /// Conductance of weight 0 and of weight 1 (S, read at `vread`).
    pub g_lo: f64,
    pub g_hi: f64,
    /// Read voltage of a pixel 1 (V).
    pub vread: f64,
    /// Differential pairs (signed weights).
    pub diff: bool,
}

impl Mapping {
    /// Columns a perceptron with `classes` outputs needs.
    pub fn cols(&self, classes: usize) -> usize {
        if self.diff {
            2 * classes
        } else {
            classes
        }
    }

    /// Target conductances, `inputs`×`cols` row-major.
    pub fn targets(&self, p: &Perceptron) -> Vec<f64> {
        let dg = self.g_hi - self.g_lo;
        let mut out = Vec::with_capacity(p.inputs * self.cols(p.classes));
        for &w in &p.w {
            if self.diff {
                out.push(self.g_lo + w.max(0.0) * dg);
                out.push(self.g_lo + (-w).max(0.0) * dg);
            } else {
                out.push(self.g_lo + w * dg);
            }
        }
        out
    }

    /// Class scores from one image's column currents (`cols` values).
    pub fn scores(&self, p: &Perceptron, currents: &[f64], out: &mut [f64]) {
        let k = 1.0 / (self.vread * (self.g_hi - self.g_lo));
        for (j, o) in out.iter_mut().enumerate() {
            let i = if self.diff {
                currents[2 * j] - currents[2 * j + 1]
            } else {
                currents[j]
            };
            *o = i * k + p.b[j];
        }
    }
}

/// One Student's-t level: at normalized conductance `y`, error
/// loc + scale·T_ν.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TLevel {
    pub y: f64,
    pub loc: f64,
    pub scale: f64,
    pub nu: f64,
}

/// Statistical import error.
#[derive(Clone, Debug, PartialEq)]
pub enum ErrorModel {
    /// G·U[1 − e, 1 + e].
    Uniform { e: f64 },
    /// G·(1 + e·N(0, 1)).
    Gauss { e: f64 },
    /// y + loc(y) + scale(y)·T_ν(y) in normalized units; `table` sorted by y
    /// (one row: constant parameters).
    StudentT { table: Vec<TLevel> },
}

/// How target conductances reach the devices.
#[derive(Clone, Debug, PartialEq)]
pub enum Import {
    /// Drawn from an error model around each target (the paper's
    /// simulation).
    Model(ErrorModel),
    /// Tuned by pulses and verify reads through the circuit (the 64×64
    /// paper's experiment).
    WriteVerify(Tuning),
}

/// Settings of a write-verify import (`import=wv`).
#[derive(Clone, Debug, PartialEq)]
pub struct Tuning {
    pub algorithm: crate::devices::memristor::tuning::Algorithm,
    /// Write bias of the unselected lines.
    pub scheme: crate::circuit::bias::Scheme,
    /// Relative tolerance of the verify reads (0.01 = 1 %).
    pub tol: f64,
    pub cycles: usize,
    /// Seed of the device population (threshold spread, stuck devices,
    /// write and read noise).
    pub seed: u64,
    /// Statistical stand-in where a spread σ(G) is needed (variance-aware
    /// level placement): uniform ±tol, what tuning into the band leaves.
    pub spread: ErrorModel,
}

impl Import {
    pub fn name(&self) -> &'static str {
        match self {
            Import::Model(e) => e.name(),
            Import::WriteVerify(_) => "wv",
        }
    }

    /// The error model draws come from, or a write-verify import's stand-in.
    pub fn error_model(&self) -> &ErrorModel {
        match self {
            Import::Model(e) => e,
            Import::WriteVerify(t) => &t.spread,
        }
    }
}

impl ErrorModel {
    pub fn name(&self) -> &'static str {
        match self {
            ErrorModel::Uniform { .. } => "uniform",
            ErrorModel::Gauss { .. } => "gauss",
            ErrorModel::StudentT { .. } => "studentt",
        }
    }

    /// The same kind of model at error level `e` (a sweep point): e is the
    /// relative error for uniform/gauss and the scale for a constant
    /// Student's t (a table is scaled so that its largest scale is e).
    pub fn with_err(&self, e: f64) -> ErrorModel {
        match self {
            ErrorModel::Uniform { .. } => ErrorModel::Uniform { e },
            ErrorModel::Gauss { .. } => ErrorModel::Gauss { e },
            ErrorModel::StudentT { table } => {
                let mx = table.iter().map(|t| t.scale).fold(0.0, f64::max);
                let f = if mx > 0.0 { e / mx } else { 0.0 };
                ErrorModel::StudentT {
                    table: table
                        .iter()
                        .map(|t| TLevel {
                            scale: t.scale * f,
                            ..*t
                        })
                        .collect(),
                }
            }
        }
    }

    /// Student's-t parameters at normalized conductance y.
    fn t_at(table: &[TLevel], y: f64) -> TLevel {
        let k = table.partition_point(|t| t.y < y);
        if k == 0 {
            return table[0];
        }
        if k == table.len() {
            return table[k - 1];
        }
        let (a, b) = (table[k - 1], table[k]);
        let t = if b.y > a.y {
            (y - a.y) / (b.y - a.y)
        } else {
            0.0
        };
        let mix = |p: f64, q: f64| p + t * (q - p);
        TLevel {
            y,
            loc: mix(a.loc, b.loc),
            scale: mix(a.scale, b.scale),
            nu: mix(a.nu, b.nu),
        }
    }

    /// A programmed conductance for target `g`.
    pub fn sample(&self, g: f64, m: &Mapping, rng: &mut impl Rng) -> f64 {
        let out = match self {
            ErrorModel::Uniform { e } => {
                if *e == 0.0 {
                    g
                } else {
                    g * rng.random_range(1.0 - e..=1.0 + e)
                }
            }
            ErrorModel::Gauss { e } => {
                let z: f64 = rng.sample(rand_distr::StandardNormal);
                g * (1.0 + e * z)
            }
            ErrorModel::StudentT { table } => {
                let dg = m.g_hi - m.g_lo;
                let y = (g - m.g_lo) / dg;
                let p = Self::t_at(table, y);
                let t = if p.scale > 0.0 {
                    let d = rand_distr::StudentT::new(p.nu.max(1e-3)).expect("nu > 0");
                    p.scale * rng.sample(d)
                } else {
                    0.0
                };
                m.g_lo + (y + p.loc + t) * dg
            }
        };
        out.max(0.0)
    }

    /// Spread (standard deviation, S) of a device programmed to `g`.
    pub fn sigma(&self, g: f64, m: &Mapping) -> f64 {
        match self {
            ErrorModel::Uniform { e } => e * g / 3f64.sqrt(),
            ErrorModel::Gauss { e } => e * g,
            ErrorModel::StudentT { table } => {
                let p = Self::t_at(table, (g - m.g_lo) / (m.g_hi - m.g_lo));
                let f = if p.nu > 2.0 {
                    (p.nu / (p.nu - 2.0)).sqrt()
                } else {
                    1.0
                };
                p.scale * (m.g_hi - m.g_lo) * f
            }
        }
    }
}

/// Levels of `scheme` for this mapping and error model (`n` levels; for QC
/// `n = 0` means all states in the window). `Err(available)` for QC when the
/// window holds too few states.
pub fn levels(
    scheme: quantize::Scheme,
    n: usize,
    m: &Mapping,
    err: &ErrorModel,
) -> Result<Vec<f64>, usize> {
    match scheme {
        quantize::Scheme::Uniform => Ok(quantize::uniform(n, m.g_lo, m.g_hi)),
        quantize::Scheme::Vaq => Ok(quantize::vaq(n, m.g_lo, m.g_hi, |g| err.sigma(g, m))),
        quantize::Scheme::Qc => quantize::qc(n, m.g_lo, m.g_hi),
    }
}

/// Programmed conductances: each target snapped to the nearest level (if
/// any), then drawn from the import error. Deterministic in `seed`. A
/// write-verify import gets the snapped targets themselves: they are what
/// the tuning aims at, and it happens in the circuit, not here.
pub fn program(
    targets: &[f64],
    levels: Option<&[f64]>,
    import: &Import,
    m: &Mapping,
    seed: u64,
) -> Vec<f64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    targets
        .iter()
        .map(|&g| {
            let q = match levels {
                Some(l) => l[quantize::nearest(l, g)],
                None => g,
            };
            match import {
                Import::Model(err) => err.sample(q, m, &mut rng),
                Import::WriteVerify(_) => q,
            }
        })
        .collect()
}

/// The device state g whose read conductance I(g, v)/v is `g_read`
/// (linear: g itself; sinh: g_read·βv/sinh(βv); cubic: the positive root of
/// the quadratic A1(g) + A3(g)·v² = g_read). Never negative.
///
/// The mean law, also for a cubic law with a device-to-device spread
/// (`sa1=`/`sa3=`): the open-loop import does not know a device's static
/// draw n_s (the pulse analyses draw it, and only a write-verify import
/// tunes each device through its own law), so it inverts the population's
/// mean law, as a programmer without per-device calibration would.
pub fn state_for(law: IvLaw, g_read: f64, v: f64) -> f64 {
    if v == 0.0 {
        return g_read.max(0.0);
    }
    let g = match law {
        IvLaw::Linear => g_read,
        IvLaw::Sinh { beta } => {
            let x = beta * v;
            g_read * x / x.sinh()
        }
        IvLaw::Cubic { a1_t, a3_t, .. } => {
            // 6596 v² g² + (0.977 + 1.18 v²) g + (a1_t + a3_t v² − g_read) = 0
            let a = 6596.0 * v * v;
            let b = 0.977 + 1.18 * v * v;
            let c = a1_t + a3_t * v * v - g_read;
            let disc = (b * b - 4.0 * a * c).max(0.0);
            // Stable form of (−b + √disc)/(2a).
            -2.0 * c / (b + disc.sqrt())
        }
        // Xyce's laws: TEAM is the resistance 1/g_read; the others are
        // proportional to their state x.
        IvLaw::TeamLinear { .. } | IvLaw::TeamExp { .. } => law.team_state(1.0 / g_read),
        IvLaw::Yakopcic { .. } | IvLaw::Pem { .. } => g_read * v / law.current(1.0, v),
    };
    g.max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_inverts_each_law() {
        for law in [IvLaw::Linear, IvLaw::Sinh { beta: 2.6 }, IvLaw::cubic(27.0)] {
            for gr in [10e-6, 55e-6, 100e-6] {
                let g = state_for(law, gr, 0.25);
                let back = law.current(g, 0.25) / 0.25;
                assert!(
                    (back - gr).abs() < 1e-12 * gr.max(1.0),
                    "{law:?}: {back} vs {gr}"
                );
            }
        }
    }

    #[test]
    fn mapping_and_scores() {
        let p = Perceptron {
            inputs: 2,
            classes: 2,
            signed: true,
            w: vec![0.5, -1.0, 0.0, 1.0],
            b: vec![0.1, 0.2],
        };
        let m = Mapping {
            g_lo: 10e-6,
            g_hi: 100e-6,
            vread: 0.25,
            diff: true,
        };
        let t = m.targets(&p);
        assert_eq!(t.len(), 8);
        assert!((t[0] - 55e-6).abs() < 1e-18 && t[1] == 10e-6 && (t[3] - 100e-6).abs() < 1e-18);
        // Image x = (1, 1): ideal currents v·Σ G per column, scores = x·W + b.
        let cur: Vec<f64> = (0..4).map(|c| 0.25 * (t[c] + t[4 + c])).collect();
        let mut s = [0.0; 2];
        m.scores(&p, &cur, &mut s);
        assert!(
            (s[0] - 0.6).abs() < 1e-12 && (s[1] - 0.2).abs() < 1e-12,
            "{s:?}"
        );
    }

    #[test]
    fn error_models() {
        let m = Mapping {
            g_lo: 10e-6,
            g_hi: 100e-6,
            vread: 0.25,
            diff: false,
        };
        let t = vec![50e-6; 20000];
        let imp = |e: ErrorModel| program(&t, None, &Import::Model(e), &m, 7);
        let u = imp(ErrorModel::Uniform { e: 0.1 });
        assert!(u.iter().all(|g| (45e-6..=55e-6).contains(g)));
        let mean = u.iter().sum::<f64>() / u.len() as f64;
        assert!((mean - 50e-6).abs() < 0.2e-6);
        let g = imp(ErrorModel::Gauss { e: 0.1 });
        let sd = (g.iter().map(|x| (x - 50e-6).powi(2)).sum::<f64>() / g.len() as f64).sqrt();
        assert!((sd / 5e-6 - 1.0).abs() < 0.03, "{sd}");
        // Student's t: median at target + loc, deterministic in the seed.
        let tl = TLevel {
            y: 0.0,
            loc: 0.02,
            scale: 0.01,
            nu: 3.0,
        };
        let st = ErrorModel::StudentT { table: vec![tl] };
        let mut s = imp(st.clone());
        assert_eq!(s, imp(st));
        s.sort_by(f64::total_cmp);
        let med = s[s.len() / 2];
        assert!((med - (50e-6 + 0.02 * 90e-6)).abs() < 0.05e-6, "{med}");
        // Per-level table interpolates.
        let tab = [
            TLevel {
                y: 0.0,
                loc: 0.0,
                scale: 0.0,
                nu: 3.0,
            },
            TLevel {
                y: 1.0,
                loc: 0.0,
                scale: 0.02,
                nu: 5.0,
            },
        ];
        let p = ErrorModel::t_at(&tab, 0.25);
        assert!((p.scale - 0.005).abs() < 1e-15 && (p.nu - 3.5).abs() < 1e-12);
        // Levels: quantized targets land exactly on a level with no error.
        let lv = quantize::uniform(4, m.g_lo, m.g_hi);
        let q = program(
            &[12e-6, 41e-6],
            Some(&lv),
            &Import::Model(ErrorModel::Uniform { e: 0.0 }),
            &m,
            1,
        );
        assert_eq!(q, vec![lv[0], lv[1]]);
    }
}
