//! `.program XB target=file("t.csv") algorithm=<wv|ispp|ff> scheme=<v/2|v/3|float>
//! tol=<fraction> cycles=<n> [seed=] ...`: tune every device of a crossbar to
//! a target conductance map with write pulses and verify reads that all go
//! through the circuit ([`engine::PulseEngine`]).
//!
//! Targets and errors are in read conductance, I(vread)/vread (the 64×64
//! paper's convention); the tuning error of a device is
//! 100·(G_target − G)/G_target with G the device's own read conductance.
//!
//! Algorithms (per device, in row-major order; `cycles` passes over the array,
//! each re-tuning the devices whose verify read is out of tolerance, e.g.
//! because later pulses disturbed them):
//! - `wv`, write-verify after Alibart et al. 2012 as used in the 64×64 paper:
//!   read; pulse with the sign of the error; the amplitude ramps up to `vmax`
//!   (2.5 V) while a pulse moves the device by less than [`MIN_MOVE`] of the
//!   distance still to go (a responding device keeps its amplitude); on
//!   overshoot the polarity flips and the ramp restarts; stop once within
//!   `aim`·tol. Steps: `vstep_coarse` (50 mV, the paper's characterization
//!   step) until the device first responds in a ramp, then one coarse step
//!   back and the paper's `vstep_set`/`vstep_reset` (4 mV / 8 mV). The
//!   algorithm is adaptable: a ramp starts `backoff` below the amplitude at
//!   which this device last responded in that direction, with fine steps
//!   (never below `vstart_set`/`vstart_reset`). `vstep_coarse=0` gives the
//!   plain fine ramp.
//! - `ispp`, incremental step pulse programming: one polarity (the sign of the
//!   first error), V_k = vstart + k·vstep, verify after each pulse, stop
//!   (inhibit) when the device passes the near edge of the tolerance band;
//!   a device that jumps past the far edge has failed.
//! - `ff`, feed-forward (seed 002): each pulse's amplitude is picked from a
//!   calibrated table of ΔG(G, V) of the nominal device (built from the model
//!   before tuning) for the ΔG still needed, scaled by the ratio of driver to
//!   cell voltage seen on the last pulse; a device that under- or over-reacts
//!   shifts its own amplitude offset. Needs a continuous dynamics model.
//!
//! A device fails when its ramp reaches `vmax` without reaching the target or
//! it used `maxpulses` pulses in one cycle; stuck devices always fail. A
//! failed device is not tried again in later cycles (the paper excludes its
//! unswitchable devices; ramping one to vmax again would only disturb its
//! neighbours again).

pub mod card;
pub mod engine;
mod result;
mod tune;

use crate::circuit::bias::Scheme;
use crate::devices::memristor::dynamics::Kind;
use crate::solve::SolveFailure;
use engine::PulseEngine;
use result::{mean_abs_pct, within_pct};
pub use result::{CycleStats, LogRow, ProgramResult};
use tune::FfTable;
pub(crate) use tune::{Outcome, Tuner};

/// Write-verify keeps its amplitude while a pulse moves the device by at
/// least this fraction of the distance still to go, and ramps otherwise.
pub const MIN_MOVE: f64 = 0.25;

pub use crate::devices::memristor::tuning::Algorithm;

/// Settings of one `.program` card.
#[derive(Clone, Debug)]
pub struct ProgramSpec {
    pub xbar: usize,
    /// Target read conductance (S) per device, row-major.
    pub target: Vec<f64>,
    pub algorithm: Algorithm,
    pub scheme: Scheme,
    pub read_scheme: Scheme,
    pub vread: f64,
    /// Relative tolerance (0.05 = 5 %): the verify passes re-tune devices
    /// outside it, and the statistics count devices inside it.
    pub tol: f64,
    /// A device's tuning stops once it reads within `aim`·tol of its target
    /// (margin for the read shifts other devices' tuning causes).
    pub aim: f64,
    pub cycles: usize,
    pub seed: u64,
    /// Pulse width (s).
    pub tp: f64,
    pub vstart_set: f64,
    /// Magnitude of the first reset amplitude.
    pub vstart_reset: f64,
    pub vstep_set: f64,
    pub vstep_reset: f64,
    /// Write-verify: step of the ramp until the device first responds (0:
    /// fine steps from the start).
    pub vstep_coarse: f64,
    pub vmax: f64,
    pub backoff: f64,
    pub max_pulses: usize,
    pub rdrive: f64,
    pub rsense: f64,
    /// False: only the selected device moves (half-select disturbance off).
    pub disturb: bool,
    /// Write a pulse log.
    pub log: bool,
}

impl ProgramSpec {
    pub fn new(xbar: usize, target: Vec<f64>) -> ProgramSpec {
        ProgramSpec {
            xbar,
            target,
            algorithm: Algorithm::WriteVerify,
            scheme: Scheme::Half,
            read_scheme: Scheme::Ground,
            vread: 0.25,
            tol: 0.05,
            aim: 0.5,
            cycles: 3,
            seed: 1,
            tp: 1e-3,
            vstart_set: 0.8,
            vstart_reset: 0.8,
            vstep_set: 4e-3,
            vstep_reset: 8e-3,
            vstep_coarse: 0.05,
            vmax: 2.5,
            backoff: 0.05,
            max_pulses: 1000,
            rdrive: 1.0,
            rsense: 1.0,
            disturb: true,
            log: false,
        }
    }
}

impl ProgramSpec {
    /// The pulse engine these settings describe: crossbar, periphery, pulse
    /// width, schemes, read voltage, seed and disturbance.
    pub fn engine(&self, c: &crate::circuit::Circuit) -> Result<PulseEngine, SolveFailure> {
        let mut eng = PulseEngine::new(
            c,
            self.xbar,
            self.rdrive,
            self.rsense,
            self.tp,
            self.scheme,
            self.read_scheme,
            self.vread,
            self.seed,
        )?;
        eng.disturb = self.disturb;
        Ok(eng)
    }
}

/// A device as the algorithm left it within tolerance: the read through the
/// circuit that decided so, and the device's own read conductance
/// I(g, vread)/vread at that moment.
#[derive(Clone, Copy, Default)]
struct Left {
    read: f64,
    own: f64,
}

impl Left {
    fn now(t: &Tuner, k: usize, read: f64) -> Left {
        Left {
            read,
            own: t.eng.g_read_true(k),
        }
    }

    /// What the device would read if only its own state had changed since
    /// (own conductance now `own`), the rest of the circuit's share of the
    /// read (IR drop, sneak currents) staying the same fraction.
    fn drifted_read(&self, own: f64) -> f64 {
        self.read * own / self.own
    }
}

/// Run a `.program` card on circuit `c`. `progress(done, total)` is called
/// after each device of each cycle.
pub fn run(
    c: &crate::circuit::Circuit,
    s: &ProgramSpec,
    mut progress: impl FnMut(usize, usize, usize),
) -> Result<ProgramResult, SolveFailure> {
    let mut eng = s.engine(c)?;
    if s.algorithm == Algorithm::FeedForward && matches!(eng.dynamics.kind, Kind::Levels(_)) {
        return Err(SolveFailure::Invalid(
            "feed-forward needs a continuous dynamics model (nili or vteam)".into(),
        ));
    }
    let n = eng.rows() * eng.cols();
    let stuck: Vec<bool> = eng.devices.iter().map(|d| d.stuck).collect();
    let g_initial: Vec<f64> = (0..n).map(|k| eng.g_read_true(k)).collect();
    let ff = (s.algorithm == Algorithm::FeedForward).then(|| FfTable::build(&eng, s.vmax));
    let mut t = Tuner::new(&mut eng, s);
    t.ff = ff;
    let mut cycles = Vec::new();
    let mut ever_disturbed = vec![false; n];
    let mut ever_drifted = vec![false; n];
    let mut ever_shifted = vec![false; n];
    let mut failed_last = vec![false; n];
    let mut failure = None;
    // Verify reads of the last pass (None before the first cycle), and each
    // device's own read conductance at that pass.
    let mut measured: Option<Vec<f64>> = None;
    let mut own_measured = vec![f64::NAN; n];
    'cycles: for cyc in 0..s.cycles {
        t.cycle = cyc;
        t.stats = CycleStats::default();
        let mut left_ok = vec![false; n];
        // When the algorithm left a device within tolerance: the read that
        // decided it and the device's own read conductance then.
        let mut left = vec![Left::default(); n];
        for k in 0..n {
            // Cycle 1 reads every device; later cycles re-tune the devices the
            // last verify pass found out of tolerance.
            if let Some(m) = &measured {
                // Devices within tolerance are left alone; so are devices that
                // already failed (ramping an unswitchable device to vmax again
                // would only disturb its neighbours again).
                if t.within(k, m[k]) || failed_last[k] {
                    left_ok[k] = !failed_last[k];
                    left[k] = Left {
                        read: m[k],
                        own: own_measured[k],
                    };
                    progress(cyc, k + 1, n);
                    continue;
                }
            }
            let g = match t.read(k) {
                Ok(g) => g,
                Err(e) => {
                    failure = Some(e);
                    break 'cycles;
                }
            };
            if t.within(k, g) {
                left_ok[k] = true;
                failed_last[k] = false;
                left[k] = Left::now(&t, k, g);
            } else {
                t.stats.devices_tuned += 1;
                match t.tune(k, g) {
                    Ok(Outcome::Ok) => {
                        left_ok[k] = true;
                        failed_last[k] = false;
                        // Tuning ends on a read of this device.
                        left[k] = Left::now(&t, k, t.last_read);
                    }
                    Ok(Outcome::Failed) => {
                        t.stats.devices_failed += 1;
                        failed_last[k] = true;
                    }
                    Err(e) => {
                        failure = Some(e);
                        break 'cycles;
                    }
                }
            }
            progress(cyc, k + 1, n);
        }
        // Verify pass: read every device through the circuit, as the bench does.
        let mut m = Vec::with_capacity(n);
        for k in 0..n {
            match t.read(k) {
                Ok(g) => m.push(g),
                Err(e) => {
                    failure = Some(e);
                    break 'cycles;
                }
            }
        }
        for (k, o) in own_measured.iter_mut().enumerate() {
            *o = t.eng.g_read_true(k);
        }
        let err: Vec<f64> = (0..n)
            .map(|k| 100.0 * (s.target[k] - m[k]) / s.target[k])
            .collect();
        for k in 0..n {
            if left_ok[k] && err[k].abs() > 100.0 * s.tol * (1.0 + 1e-9) && !stuck[k] {
                t.stats.disturbed_devices += 1;
                ever_disturbed[k] = true;
                if t.within(k, left[k].drifted_read(own_measured[k])) {
                    t.stats.read_shifted_devices += 1;
                    ever_shifted[k] = true;
                } else {
                    t.stats.drifted_devices += 1;
                    ever_drifted[k] = true;
                }
            }
        }
        t.stats.mean_abs_error_pct = mean_abs_pct(&err, &stuck);
        t.stats.within_tol_pct = within_pct(&err, &stuck, s.tol);
        cycles.push(std::mem::take(&mut t.stats));
        measured = Some(m);
    }
    let log = std::mem::take(&mut t.log);
    let g_final: Vec<f64> = (0..n).map(|k| eng.g_read_true(k)).collect();
    let g_state_final: Vec<f64> = (0..n).map(|k| eng.g(k)).collect();
    let error_true_pct = (0..n)
        .map(|k| 100.0 * (s.target[k] - g_final[k]) / s.target[k])
        .collect();
    // No verify pass completed (a solve failed in cycle 1): nothing measured.
    let g_measured = measured.unwrap_or_else(|| vec![f64::NAN; n]);
    let error_pct = (0..n)
        .map(|k| 100.0 * (s.target[k] - g_measured[k]) / s.target[k])
        .collect();
    Ok(ProgramResult {
        rows: eng.rows(),
        cols: eng.cols(),
        target: s.target.clone(),
        g_final,
        g_state_final,
        g_measured,
        g_initial,
        error_pct,
        error_true_pct,
        stuck,
        cycles,
        disturbed_devices: ever_disturbed.iter().filter(|d| **d).count(),
        drifted_devices: ever_drifted.iter().filter(|d| **d).count(),
        read_shifted_devices: ever_shifted.iter().filter(|d| **d).count(),
        failed_devices: failed_last.iter().filter(|d| **d).count(),
        log,
        solver: eng.stats,
        failure,
        static_draws: eng.static_draws(),
        static_clamped: eng.static_clamped(),
    })
}

super::crossbar_analysis!(
    ProgramSpec,
    "program",
    output(_s, _c) {
        "program (program.json)".into()
    },
    run(s, cx) {
        let cycles = s.cycles;
        let r = run(cx.c, s, |cycle, done, total| {
            (cx.progress)(super::Progress {
                cycle: Some((cycle, cycles)),
                done,
                total,
            })
        })?;
        Ok(super::Outcome::Program(s, r))
    }
);
