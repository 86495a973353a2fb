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

pub mod engine;
pub mod thresholds;

use crate::analysis::read::Scheme;
use crate::devices::memristor::dynamics::Kind;
use crate::solve::SolveFailure;
use engine::PulseEngine;

/// Write-verify keeps its amplitude while a pulse moves the device by at
/// least this fraction of the distance still to go, and ramps otherwise.
pub const MIN_MOVE: f64 = 0.25;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    WriteVerify,
    Ispp,
    FeedForward,
}

impl Algorithm {
    pub fn parse(s: &str) -> Option<Algorithm> {
        Some(match s {
            "wv" | "write-verify" | "write_verify" | "alibart" => Algorithm::WriteVerify,
            "ispp" => Algorithm::Ispp,
            "ff" | "feed-forward" | "feedforward" | "feed_forward" => Algorithm::FeedForward,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::WriteVerify => "write-verify",
            Algorithm::Ispp => "ispp",
            Algorithm::FeedForward => "feed-forward",
        }
    }
}

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

/// Statistics of one cycle, from the verify pass that ends it (every device
/// read through the circuit).
#[derive(Clone, Debug, Default)]
pub struct CycleStats {
    /// Mean |error| (%) over switchable devices.
    pub mean_abs_error_pct: f64,
    /// Share of switchable devices within tolerance (%).
    pub within_tol_pct: f64,
    pub pulses: usize,
    pub reads: usize,
    /// Devices this cycle tried to tune (verify read out of tolerance).
    pub devices_tuned: usize,
    /// Devices whose tuning failed in this cycle.
    pub devices_failed: usize,
    /// Devices the algorithm had left within tolerance (tuned or verified)
    /// that the verify pass found outside it.
    pub disturbed_devices: usize,
}

/// One logged pulse.
#[derive(Clone, Debug)]
pub struct LogRow {
    pub cycle: usize,
    pub cell: usize,
    pub v_drive: f64,
    pub v_cell: f64,
    pub g_before: f64,
    pub g_after: f64,
    pub g_read: f64,
    pub v_half_max: f64,
    pub others_moved: usize,
}

pub struct ProgramResult {
    pub rows: usize,
    pub cols: usize,
    pub target: Vec<f64>,
    /// Final read conductance of each device alone, I(g, vread)/vread (S).
    pub g_final: Vec<f64>,
    /// Final model state g of each device (S), row-major: the crossbar as
    /// the tuning left it (stuck devices at their stuck state).
    pub g_state_final: Vec<f64>,
    /// Final verify read of each device through the circuit (S): what the
    /// bench measures, IR drop and sneak currents included.
    pub g_measured: Vec<f64>,
    /// Initial read conductance of each device (S).
    pub g_initial: Vec<f64>,
    /// Final error (%) as measured, 100·(target − G_measured)/target (the
    /// paper's definition).
    pub error_pct: Vec<f64>,
    /// Final error (%) of the devices themselves, from `g_final`.
    pub error_true_pct: Vec<f64>,
    pub stuck: Vec<bool>,
    pub cycles: Vec<CycleStats>,
    /// Distinct devices disturbed in some cycle.
    pub disturbed_devices: usize,
    pub failed_devices: usize,
    pub log: Vec<LogRow>,
    pub solver: engine::SolveStats,
    /// Set when a circuit solve failed (the results so far are kept).
    pub failure: Option<SolveFailure>,
}

impl ProgramResult {
    /// Mean |error| (%) over switchable devices.
    pub fn mean_abs_error_pct(&self) -> f64 {
        mean_abs_pct(&self.error_pct, &self.stuck)
    }
    /// Mean |true device error| (%) over switchable devices.
    pub fn true_mean_abs_error_pct(&self) -> f64 {
        mean_abs_pct(&self.error_true_pct, &self.stuck)
    }
    /// Mean |error| (%) over all devices, stuck ones included.
    pub fn mean_abs_error_all_pct(&self) -> f64 {
        self.error_pct.iter().map(|e| e.abs()).sum::<f64>() / self.error_pct.len().max(1) as f64
    }
    pub fn within_tol_pct(&self, tol: f64) -> f64 {
        within_pct(&self.error_pct, &self.stuck, tol)
    }
    pub fn pulses(&self) -> usize {
        self.cycles.iter().map(|c| c.pulses).sum()
    }
    pub fn reads(&self) -> usize {
        self.cycles.iter().map(|c| c.reads).sum()
    }
}

/// Mean |error| (%) over the devices that are not stuck (0 when none is).
fn mean_abs_pct(err: &[f64], stuck: &[bool]) -> f64 {
    let (s, n) = err
        .iter()
        .zip(stuck)
        .filter(|(_, s)| !**s)
        .fold((0.0, 0usize), |(s, n), (e, _)| (s + e.abs(), n + 1));
    if n == 0 {
        0.0
    } else {
        s / n as f64
    }
}

fn within_pct(err: &[f64], stuck: &[bool], tol: f64) -> f64 {
    let (k, n) =
        err.iter()
            .zip(stuck)
            .filter(|(_, s)| !**s)
            .fold((0usize, 0usize), |(k, n), (e, _)| {
                (
                    k + usize::from(e.abs() <= 100.0 * tol * (1.0 + 1e-9)),
                    n + 1,
                )
            });
    if n == 0 {
        0.0
    } else {
        100.0 * k as f64 / n as f64
    }
}

/// How one device's tuning ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// Verified within tolerance (possibly without a pulse).
    Ok,
    Failed,
}

/// Calibrated ΔG(G, V) of the nominal device, for feed-forward.
struct FfTable {
    /// Log-spaced state bins (S).
    g: Vec<f64>,
    /// Amplitudes (V, > 0) tried for set; reset uses −v.
    v: Vec<f64>,
    /// ΔG per (bin, amplitude), set then reset (reset stored as |ΔG|).
    set: Vec<f64>,
    reset: Vec<f64>,
}

impl FfTable {
    const BINS: usize = 48;
    const DV: f64 = 0.005;

    fn build(eng: &PulseEngine, vmax: f64) -> FfTable {
        let (lo, hi) = eng.window;
        let lo = lo.max(hi * 1e-4);
        let g: Vec<f64> = (0..Self::BINS)
            .map(|k| lo * (hi / lo).powf(k as f64 / (Self::BINS - 1) as f64))
            .collect();
        let nv = (vmax / Self::DV).ceil() as usize;
        let v: Vec<f64> = (1..=nv).map(|k| k as f64 * Self::DV).collect();
        let d = eng.dynamics.nominal();
        let mut set = Vec::with_capacity(g.len() * v.len());
        let mut reset = Vec::with_capacity(g.len() * v.len());
        for &gg in &g {
            for &vv in &v {
                set.push(eng.dynamics.delta(gg, vv, eng.tp, &d, eng.window).max(0.0));
                reset.push((-eng.dynamics.delta(gg, -vv, eng.tp, &d, eng.window)).max(0.0));
            }
        }
        FfTable { g, v, set, reset }
    }

    /// Smallest device amplitude whose calibrated |ΔG| at state `g` reaches
    /// `need` (the largest amplitude when none does).
    fn amplitude(&self, g: f64, need: f64, set: bool) -> f64 {
        let b = match self.g.binary_search_by(|x| x.total_cmp(&g)) {
            Ok(b) => b,
            Err(b) => b.min(self.g.len() - 1),
        };
        let row =
            &(if set { &self.set } else { &self.reset })[b * self.v.len()..(b + 1) * self.v.len()];
        for (k, &dg) in row.iter().enumerate() {
            if dg >= need {
                return self.v[k];
            }
        }
        *self.v.last().unwrap_or(&0.0)
    }
}

struct Tuner<'a> {
    eng: &'a mut PulseEngine,
    s: &'a ProgramSpec,
    /// Per device: amplitude at which it last moved, set / reset (0: unknown).
    moved_at: Vec<[f64; 2]>,
    /// Feed-forward: per device amplitude offset (V; set, reset) and
    /// driver/cell voltage ratio.
    ff_offset: Vec<[f64; 2]>,
    ff_ratio: Vec<f64>,
    ff: Option<FfTable>,
    cycle: usize,
    stats: CycleStats,
    log: Vec<LogRow>,
}

impl<'a> Tuner<'a> {
    fn new(eng: &'a mut PulseEngine, s: &'a ProgramSpec) -> Tuner<'a> {
        let n = eng.rows() * eng.cols();
        Tuner {
            eng,
            s,
            moved_at: vec![[0.0; 2]; n],
            ff_offset: vec![[0.0; 2]; n],
            ff_ratio: vec![1.0; n],
            ff: None,
            cycle: 0,
            stats: CycleStats::default(),
            log: Vec::new(),
        }
    }

    /// Inside the tolerance band (verify passes and statistics).
    fn within(&self, k: usize, g: f64) -> bool {
        let t = self.s.target[k];
        (g - t).abs() <= self.s.tol * t
    }

    /// Close enough to stop tuning: within `aim`·tol.
    fn arrived(&self, k: usize, g: f64) -> bool {
        let t = self.s.target[k];
        (g - t).abs() <= self.s.aim * self.s.tol * t
    }

    fn read(&mut self, k: usize) -> Result<f64, SolveFailure> {
        self.stats.reads += 1;
        self.eng.read(k)
    }

    fn pulse(&mut self, k: usize, v: f64) -> Result<f64, SolveFailure> {
        self.stats.pulses += 1;
        let o = self.eng.pulse(k, v)?;
        let g = self.read(k)?;
        if self.s.log {
            self.log.push(LogRow {
                cycle: self.cycle,
                cell: k,
                v_drive: v,
                v_cell: o.v_cell,
                g_before: o.g_before,
                g_after: o.g_after,
                g_read: g,
                v_half_max: o.v_half_max,
                others_moved: o.others_moved,
            });
        }
        Ok(g)
    }

    fn start(&self, k: usize, set: bool) -> f64 {
        let (v0, idx) = if set {
            (self.s.vstart_set, 0)
        } else {
            (self.s.vstart_reset, 1)
        };
        let m = self.moved_at[k][idx];
        if m > 0.0 {
            (m - self.s.backoff).max(v0)
        } else {
            v0
        }
    }

    fn tune(&mut self, k: usize, g0: f64) -> Result<Outcome, SolveFailure> {
        match self.s.algorithm {
            Algorithm::WriteVerify => self.write_verify(k, g0),
            Algorithm::Ispp => self.ispp(k, g0),
            Algorithm::FeedForward => self.feed_forward(k, g0),
        }
    }

    fn write_verify(&mut self, k: usize, mut g: f64) -> Result<Outcome, SolveFailure> {
        let t = self.s.target[k];
        let mut set = g < t;
        // Fine steps once the device has responded in this ramp (or when its
        // response amplitude is known from an earlier ramp).
        let mut fine = self.s.vstep_coarse <= 0.0 || self.moved_at[k][usize::from(!set)] > 0.0;
        let mut v = self.start(k, set);
        let mut moved = false;
        for _ in 0..self.s.max_pulses {
            let g1 = self.pulse(k, if set { v } else { -v })?;
            if self.arrived(k, g1) {
                return Ok(Outcome::Ok);
            }
            let dir = if set { 1.0 } else { -1.0 };
            let progress = (g1 - g) * dir;
            g = g1;
            // Remember where this device first responded in this ramp.
            let overshoot = (g1 < t) != set;
            if !moved && progress > 0.25 * self.s.tol * t {
                moved = true;
                self.moved_at[k][usize::from(!set)] = v;
                if !fine && !overshoot {
                    // First response on the coarse ramp: step back and go on
                    // with the fine steps.
                    fine = true;
                    v = (v - self.s.vstep_coarse).max(self.start(k, set));
                    continue;
                }
            }
            if overshoot {
                // Overshoot: flip polarity and restart the ramp.
                set = !set;
                fine = self.s.vstep_coarse <= 0.0 || self.moved_at[k][usize::from(!set)] > 0.0;
                v = self.start(k, set);
                moved = false;
            } else if progress < MIN_MOVE * (t - g1).abs() {
                // Too little response: ramp up (a responding device keeps its
                // amplitude; that is what makes the algorithm adaptable).
                v += match (fine, set) {
                    (false, _) => self.s.vstep_coarse,
                    (true, true) => self.s.vstep_set,
                    (true, false) => self.s.vstep_reset,
                };
                if v > self.s.vmax + 1e-12 {
                    return Ok(Outcome::Failed);
                }
            }
        }
        Ok(Outcome::Failed)
    }

    fn ispp(&mut self, k: usize, g: f64) -> Result<Outcome, SolveFailure> {
        let t = self.s.target[k];
        let set = g < t;
        let (mut v, step) = if set {
            (self.s.vstart_set, self.s.vstep_set)
        } else {
            (self.s.vstart_reset, self.s.vstep_reset)
        };
        for _ in 0..self.s.max_pulses {
            let g1 = self.pulse(k, if set { v } else { -v })?;
            if self.within(k, g1) {
                return Ok(Outcome::Ok);
            }
            if (g1 < t) != set {
                // Jumped past the whole band: ISPP has no way back.
                return Ok(Outcome::Failed);
            }
            v += step;
            if v > self.s.vmax + 1e-12 {
                return Ok(Outcome::Failed);
            }
        }
        Ok(Outcome::Failed)
    }

    fn feed_forward(&mut self, k: usize, mut g: f64) -> Result<Outcome, SolveFailure> {
        let t = self.s.target[k];
        for _ in 0..self.s.max_pulses {
            let set = g < t;
            let need = (t - g).abs();
            let Some(table) = self.ff.as_ref() else {
                return Ok(Outcome::Failed);
            };
            // Aim at the target from the measured state (the table's ΔG is
            // in state units, close to read-conductance units for these
            // laws), plus what this device has shown it needs beyond the
            // nominal one in this direction.
            let dir = usize::from(!set);
            let vdev = table.amplitude(g.max(1e-30), need, set) + self.ff_offset[k][dir];
            let vdrv = (vdev.max(0.0) * self.ff_ratio[k]).min(self.s.vmax);
            let predicted = need;
            let g1 = self.pulse(k, if set { vdrv } else { -vdrv })?;
            let vc = self.eng.vdev[k].abs();
            if vc > 1e-9 && vdrv > 0.0 {
                self.ff_ratio[k] = (vdrv / vc).clamp(1.0, 4.0);
            }
            if self.arrived(k, g1) {
                return Ok(Outcome::Ok);
            }
            // Under-reacted: this device needs more voltage than the nominal
            // one; over-reacted: less.
            let got = (g1 - g).abs();
            if got < 0.5 * predicted && (g1 < t) == set {
                self.ff_offset[k][dir] += 0.02;
            } else if (g1 < t) != set && got > 1.5 * predicted {
                self.ff_offset[k][dir] -= 0.01;
            }
            if vdrv >= self.s.vmax && got < 1e-3 * predicted {
                return Ok(Outcome::Failed);
            }
            g = g1;
        }
        Ok(Outcome::Failed)
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
    let mut failed_last = vec![false; n];
    let mut failure = None;
    // Verify reads of the last pass (None before the first cycle).
    let mut measured: Option<Vec<f64>> = None;
    'cycles: for cyc in 0..s.cycles {
        t.cycle = cyc;
        t.stats = CycleStats::default();
        let mut left_ok = vec![false; n];
        for k in 0..n {
            // Cycle 1 reads every device; later cycles re-tune the devices the
            // last verify pass found out of tolerance.
            if let Some(m) = &measured {
                // Devices within tolerance are left alone; so are devices that
                // already failed (ramping an unswitchable device to vmax again
                // would only disturb its neighbours again).
                if t.within(k, m[k]) || failed_last[k] {
                    left_ok[k] = !failed_last[k];
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
            } else {
                t.stats.devices_tuned += 1;
                match t.tune(k, g) {
                    Ok(Outcome::Ok) => {
                        left_ok[k] = true;
                        failed_last[k] = false;
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
        let err: Vec<f64> = (0..n)
            .map(|k| 100.0 * (s.target[k] - m[k]) / s.target[k])
            .collect();
        for k in 0..n {
            if left_ok[k] && err[k].abs() > 100.0 * s.tol * (1.0 + 1e-9) && !stuck[k] {
                t.stats.disturbed_devices += 1;
                ever_disturbed[k] = true;
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
        failed_devices: failed_last.iter().filter(|d| **d).count(),
        log,
        solver: eng.stats,
        failure,
    })
}

/// One `.pulse` card: `count` pulses of `v` on (row, col).
#[derive(Clone, Debug)]
pub struct PulseStep {
    pub row: usize,
    pub col: usize,
    pub v: f64,
    pub count: usize,
    pub tp: f64,
    pub scheme: Scheme,
    /// Verify-read the cell after each pulse.
    pub read: bool,
}

/// Consecutive `.pulse` cards on one crossbar: one engine, state carried on.
#[derive(Clone, Debug)]
pub struct PulseSeq {
    pub xbar: usize,
    pub steps: Vec<PulseStep>,
    pub seed: u64,
    pub rdrive: f64,
    pub rsense: f64,
    pub vread: f64,
    pub read_scheme: Scheme,
    pub disturb: bool,
}

impl PulseSeq {
    pub fn new(xbar: usize) -> PulseSeq {
        PulseSeq {
            xbar,
            steps: Vec::new(),
            seed: 1,
            rdrive: 1.0,
            rsense: 1.0,
            vread: 0.25,
            read_scheme: Scheme::Ground,
            disturb: true,
        }
    }
}

/// One applied pulse of a `.pulse` sequence.
#[derive(Clone, Debug)]
pub struct PulseRecord {
    pub row: usize,
    pub col: usize,
    pub outcome: engine::PulseOutcome,
    /// Verify read (S), when asked for.
    pub g_read: Option<f64>,
}

pub struct PulseSeqResult {
    pub solver: engine::SolveStats,
    pub rows: usize,
    pub cols: usize,
    pub records: Vec<PulseRecord>,
    /// States (S) before the first and after the last pulse, row-major.
    pub g_before: Vec<f64>,
    pub g_after: Vec<f64>,
    /// Set when a solve failed (the pulses before it are kept).
    pub failure: Option<SolveFailure>,
}

/// Run a `.pulse` sequence.
pub fn run_pulses(
    c: &crate::circuit::Circuit,
    q: &PulseSeq,
) -> Result<PulseSeqResult, SolveFailure> {
    let first = q
        .steps
        .first()
        .map(|s| (s.tp, s.scheme))
        .unwrap_or((1e-3, Scheme::Half));
    let mut eng = PulseEngine::new(
        c,
        q.xbar,
        q.rdrive,
        q.rsense,
        first.0,
        first.1,
        q.read_scheme,
        q.vread,
        q.seed,
    )?;
    eng.disturb = q.disturb;
    let n = eng.rows() * eng.cols();
    let g_before: Vec<f64> = (0..n).map(|k| eng.g(k)).collect();
    let mut records = Vec::new();
    let mut failure = None;
    'steps: for st in &q.steps {
        eng.tp = st.tp;
        eng.tread = st.tp;
        eng.write_scheme = st.scheme;
        let cell = st.row * eng.cols() + st.col;
        for _ in 0..st.count {
            let outcome = match eng.pulse(cell, st.v) {
                Ok(o) => o,
                Err(e) => {
                    failure = Some(e);
                    break 'steps;
                }
            };
            let g_read = if st.read {
                match eng.read(cell) {
                    Ok(g) => Some(g),
                    Err(e) => {
                        failure = Some(e);
                        break 'steps;
                    }
                }
            } else {
                None
            };
            records.push(PulseRecord {
                row: st.row,
                col: st.col,
                outcome,
                g_read,
            });
        }
    }
    let g_after = (0..n).map(|k| eng.g(k)).collect();
    Ok(PulseSeqResult {
        solver: eng.stats,
        rows: eng.rows(),
        cols: eng.cols(),
        records,
        g_before,
        g_after,
        failure,
    })
}
