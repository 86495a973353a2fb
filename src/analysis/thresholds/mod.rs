//! `.thresholds XB`: switching-threshold statistics of every device of a
//! crossbar, measured the way the 64×64 paper measured its Fig. 2 (Kim et al.,
//! seed 001), with every pulse and read a circuit solve ([`PulseEngine`]).
//!
//! Per device, in row-major order:
//! 1. write-verify it to `g_start` (14 µS) within `start_tol` (10 %);
//! 2. set ramp: pulses of `vstart`, `vstart + vstep`, … (1 ms, 50 mV steps),
//!    each followed by a read at `vread`, until the read conductance exceeds
//!    `g_stop` (50 µS) or the amplitude would pass `vmax`;
//! 3. reset ramp: −`vstart`, −(`vstart + vstep`), … until the device reads at
//!    or below `g_start` again or the amplitude would pass −`vmax`.
//!
//! A threshold is the paper's: the smallest pulse amplitude of a ramp after
//! which the read conductance differs from the ramp's first read by more than
//! `change` (20 %). A device without a set threshold (or that could not be
//! brought to `g_start`) is unswitchable and gets no reset ramp.
//!
//! What this measures is an operational threshold: it depends on the ramp,
//! the pulse width, the criterion and the circuit, not only on the model
//! card's `vset`/`vreset` (for the soft Nili model those are the midpoints of
//! the tanh voltage factor). The result keeps both, so a model card can be
//! checked against the statistics a paper reports.

pub mod card;
use super::program::engine::SolveStats;
use super::program::{Algorithm, Outcome, ProgramSpec, Tuner};
use crate::circuit::bias::Scheme;
use crate::solve::SolveFailure;

/// Settings of one `.thresholds` card (defaults: the paper's Fig. 2 protocol).
#[derive(Clone, Debug)]
pub struct ThresholdSpec {
    pub xbar: usize,
    /// Conductance (S, read at `vread`) each device is tuned to first and
    /// reset back to.
    pub g_start: f64,
    /// Relative precision of that first tuning.
    pub start_tol: f64,
    /// The set ramp stops once the device reads above this (S).
    pub g_stop: f64,
    /// Relative change of the read conductance that marks a threshold.
    pub change: f64,
    /// First amplitude of each ramp and its step (V, magnitudes).
    pub vstart: f64,
    pub vstep: f64,
    /// Largest amplitude of a ramp (V).
    pub vmax: f64,
    pub tp: f64,
    pub scheme: Scheme,
    pub read_scheme: Scheme,
    pub vread: f64,
    pub seed: u64,
    pub rdrive: f64,
    pub rsense: f64,
    pub disturb: bool,
}

impl ThresholdSpec {
    pub fn new(xbar: usize) -> ThresholdSpec {
        ThresholdSpec {
            xbar,
            g_start: 14e-6,
            start_tol: 0.1,
            g_stop: 50e-6,
            change: 0.2,
            vstart: 0.2,
            vstep: 0.05,
            vmax: 2.5,
            tp: 1e-3,
            scheme: Scheme::Half,
            read_scheme: Scheme::Ground,
            vread: 0.25,
            seed: 1,
            rdrive: 1.0,
            rsense: 1.0,
            disturb: true,
        }
    }

    /// The write-verify settings of step 1 (tuning to `g_start`); they also
    /// describe the pulse engine. `target` is left empty.
    fn preset(&self) -> ProgramSpec {
        let mut p = ProgramSpec::new(self.xbar, Vec::new());
        p.algorithm = Algorithm::WriteVerify;
        p.scheme = self.scheme;
        p.read_scheme = self.read_scheme;
        p.vread = self.vread;
        p.tol = self.start_tol;
        p.cycles = 1;
        p.seed = self.seed;
        p.tp = self.tp;
        p.vmax = self.vmax;
        p.rdrive = self.rdrive;
        p.rsense = self.rsense;
        p.disturb = self.disturb;
        p
    }
}

/// One device's measurement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DeviceThresholds {
    /// Measured set threshold (V, > 0); None: no 20 % change up to `vmax`.
    pub vset: Option<f64>,
    /// Measured reset threshold (V, < 0); None: none up to −`vmax`, or no
    /// reset ramp (unswitchable).
    pub vreset: Option<f64>,
    /// The device could be brought to `g_start` first.
    pub preset_ok: bool,
    /// The model card's draw for this device (tanh midpoints for Nili, hard
    /// thresholds for VTEAM and levels).
    pub vset_model: f64,
    pub vreset_model: f64,
    pub stuck: bool,
    /// First read of the set ramp (S): where the preset left the device.
    pub g_ramp_start: f64,
    /// Highest read conductance of the set ramp (S).
    pub g_peak: f64,
}

impl DeviceThresholds {
    /// Both thresholds measured.
    pub fn switchable(&self) -> bool {
        self.vset.is_some() && self.vreset.is_some()
    }
}

/// Mean, standard deviation (n − 1) and count of a sample.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Moments {
    pub mean: f64,
    pub sd: f64,
    pub n: usize,
}

impl Moments {
    pub fn of(x: &[f64]) -> Moments {
        let n = x.len();
        if n == 0 {
            return Moments {
                mean: f64::NAN,
                sd: f64::NAN,
                n,
            };
        }
        let mean = x.iter().sum::<f64>() / n as f64;
        let sd = if n > 1 {
            (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        Moments { mean, sd, n }
    }
}

/// Pearson correlation of two equally long samples (NaN below two points or
/// with a constant one).
pub fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (Moments::of(x), Moments::of(y));
    if x.len() < 2 || mx.sd == 0.0 || my.sd == 0.0 {
        return f64::NAN;
    }
    let s: f64 = x
        .iter()
        .zip(y)
        .map(|(a, b)| (a - mx.mean) * (b - my.mean))
        .sum();
    s / ((x.len() - 1) as f64 * mx.sd * my.sd)
}

/// Population statistics over the devices with both thresholds measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    pub set: Moments,
    pub reset: Moments,
    /// Correlation of the set threshold with |reset threshold|.
    pub corr: f64,
}

impl Summary {
    fn of(pairs: &[(f64, f64)]) -> Summary {
        let s: Vec<f64> = pairs.iter().map(|p| p.0).collect();
        let r: Vec<f64> = pairs.iter().map(|p| p.1).collect();
        let ar: Vec<f64> = r.iter().map(|v| v.abs()).collect();
        Summary {
            set: Moments::of(&s),
            reset: Moments::of(&r),
            corr: correlation(&s, &ar),
        }
    }
}

pub struct ThresholdResult {
    pub rows: usize,
    pub cols: usize,
    /// Row-major.
    pub devices: Vec<DeviceThresholds>,
    pub pulses: usize,
    pub reads: usize,
    pub solver: SolveStats,
    /// Set when a circuit solve failed (devices measured so far are kept;
    /// the rest have no thresholds and `preset_ok` false).
    pub failure: Option<SolveFailure>,
    /// Devices measured before a failure (all of them without one).
    pub measured: usize,
    /// Each device's static draw n_s (row-major; empty without a static
    /// spread on the card) and how many devices have a coefficient clamped
    /// at 0 somewhere in the window.
    pub static_draws: Vec<f64>,
    pub static_clamped: usize,
}

impl ThresholdResult {
    /// Measured statistics over the switchable devices.
    pub fn measured_summary(&self) -> Summary {
        Summary::of(
            &self
                .devices
                .iter()
                .filter_map(|d| Some((d.vset?, d.vreset?)))
                .collect::<Vec<_>>(),
        )
    }
    /// The model card's draws over the same devices.
    pub fn model_summary(&self) -> Summary {
        Summary::of(
            &self
                .devices
                .iter()
                .filter(|d| d.switchable())
                .map(|d| (d.vset_model, d.vreset_model))
                .collect::<Vec<_>>(),
        )
    }
    /// Devices measured without both thresholds.
    pub fn unswitchable(&self) -> usize {
        self.devices[..self.measured]
            .iter()
            .filter(|d| !d.switchable())
            .count()
    }
}

/// What one ramp found.
struct Ramp {
    /// Threshold (signed amplitude), if any.
    thr: Option<f64>,
    /// First read, and the highest.
    g0: f64,
    peak: f64,
}

/// One ramp: pulses of sign `dir` (+1 set, −1 reset) from `vstart` in
/// `vstep` steps up to `vmax`, a read before the first and after each, until
/// `done(g)`.
fn ramp(
    t: &mut Tuner,
    s: &ThresholdSpec,
    k: usize,
    dir: f64,
    done: impl Fn(f64) -> bool,
) -> Result<Ramp, SolveFailure> {
    let g0 = t.read(k)?;
    let (mut thr, mut peak) = (None, g0);
    let steps = ((s.vmax - s.vstart) / s.vstep + 1e-9).floor() as usize;
    for m in 0..=steps {
        // On the ramp's grid to 1 nV (no 2.3000000000000003 V in the results).
        let v = dir * ((s.vstart + m as f64 * s.vstep) * 1e9).round() * 1e-9;
        let g = t.pulse(k, v)?;
        peak = peak.max(g);
        if thr.is_none() && (g - g0).abs() > s.change * g0 {
            thr = Some(v);
        }
        if done(g) {
            break;
        }
    }
    Ok(Ramp { thr, g0, peak })
}

/// Run a `.thresholds` card on circuit `c`; `progress(done, total)` after
/// each device.
pub fn run(
    c: &crate::circuit::Circuit,
    s: &ThresholdSpec,
    mut progress: impl FnMut(usize, usize),
) -> Result<ThresholdResult, SolveFailure> {
    let mut preset = s.preset();
    let mut eng = preset.engine(c)?;
    let n = eng.rows() * eng.cols();
    preset.target = vec![s.g_start; n];
    let (rows, cols) = (eng.rows(), eng.cols());
    let mut devices: Vec<DeviceThresholds> = eng
        .devices
        .iter()
        .map(|d| DeviceThresholds {
            vset: None,
            vreset: None,
            preset_ok: false,
            vset_model: d.vset,
            vreset_model: d.vreset,
            stuck: d.stuck,
            g_ramp_start: f64::NAN,
            g_peak: f64::NAN,
        })
        .collect();
    let mut t = Tuner::new(&mut eng, &preset);
    let mut failure = None;
    let mut measured = 0;
    for (k, dev) in devices.iter_mut().enumerate() {
        let step = |t: &mut Tuner, dev: &mut DeviceThresholds| -> Result<(), SolveFailure> {
            let g = t.read(k)?;
            dev.preset_ok = t.within(k, g) || t.write_verify(k, g)? == Outcome::Ok;
            if !dev.preset_ok {
                return Ok(());
            }
            let up = ramp(t, s, k, 1.0, |g| g > s.g_stop)?;
            dev.vset = up.thr;
            dev.g_ramp_start = up.g0;
            dev.g_peak = up.peak;
            if up.thr.is_some() {
                dev.vreset = ramp(t, s, k, -1.0, |g| g <= s.g_start)?.thr;
            }
            Ok(())
        };
        if let Err(e) = step(&mut t, dev) {
            failure = Some(e);
            break;
        }
        measured = k + 1;
        progress(k + 1, n);
    }
    let (pulses, reads) = (t.stats.pulses, t.stats.reads);
    let (static_draws, static_clamped) = (eng.static_draws(), eng.static_clamped());
    Ok(ThresholdResult {
        static_draws,
        static_clamped,
        rows,
        cols,
        devices,
        pulses,
        reads,
        solver: eng.stats,
        failure,
        measured,
    })
}

super::crossbar_analysis!(
    ThresholdSpec,
    "thresholds",
    output(_s, _c) {
        "thresholds (thresholds.json)".into()
    },
    run(s, cx) {
        let r = run(cx.c, s, |done, total| {
            (cx.progress)(super::Progress {
                cycle: None,
                done,
                total,
            })
        })?;
        Ok(super::Outcome::Thresholds(s, r))
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_and_correlation_of_known_samples() {
        let m = Moments::of(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m.mean, 2.5);
        assert!((m.sd - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(m.n, 4);
        assert!(Moments::of(&[]).mean.is_nan());
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let y: Vec<f64> = x.iter().map(|v| 3.0 - 2.0 * v).collect();
        assert!((correlation(&x, &y) + 1.0).abs() < 1e-12);
        // Orthogonal deviations: no correlation.
        assert!(correlation(&[1.0, -1.0, 1.0, -1.0], &[1.0, 1.0, -1.0, -1.0]).abs() < 1e-15);
        assert!(correlation(&[1.0, 1.0], &[0.0, 2.0]).is_nan());
    }
}
