//! The tuning algorithms of `.program` (write-verify, ISPP, feed-forward),
//! device by device through the pulse engine; see the module above for
//! what each does.

use super::engine::PulseEngine;
use super::*;

/// How one device's tuning ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Verified within tolerance (possibly without a pulse).
    Ok,
    Failed,
}

/// Calibrated ΔG(G, V) of the nominal device, for feed-forward.
pub(crate) struct FfTable {
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

    pub(crate) fn build(eng: &PulseEngine, vmax: f64) -> FfTable {
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
    pub(crate) fn amplitude(&self, g: f64, need: f64, set: bool) -> f64 {
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

pub(crate) struct Tuner<'a> {
    pub(crate) eng: &'a mut PulseEngine,
    pub(crate) s: &'a ProgramSpec,
    /// Per device: amplitude at which it last moved, set / reset (0: unknown).
    pub(crate) moved_at: Vec<[f64; 2]>,
    /// Feed-forward: per device amplitude offset (V; set, reset) and
    /// driver/cell voltage ratio.
    pub(crate) ff_offset: Vec<[f64; 2]>,
    pub(crate) ff_ratio: Vec<f64>,
    pub(crate) ff: Option<FfTable>,
    pub(crate) cycle: usize,
    pub(crate) stats: CycleStats,
    pub(crate) log: Vec<LogRow>,
    /// The last verify read (S).
    pub(crate) last_read: f64,
}

impl<'a> Tuner<'a> {
    pub(crate) fn new(eng: &'a mut PulseEngine, s: &'a ProgramSpec) -> Tuner<'a> {
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
            last_read: f64::NAN,
        }
    }

    /// Inside the tolerance band (verify passes and statistics).
    pub(crate) fn within(&self, k: usize, g: f64) -> bool {
        let t = self.s.target[k];
        (g - t).abs() <= self.s.tol * t
    }

    /// Close enough to stop tuning: within `aim`·tol.
    pub(crate) fn arrived(&self, k: usize, g: f64) -> bool {
        let t = self.s.target[k];
        (g - t).abs() <= self.s.aim * self.s.tol * t
    }

    pub(crate) fn read(&mut self, k: usize) -> Result<f64, SolveFailure> {
        self.stats.reads += 1;
        let g = self.eng.read(k)?;
        self.last_read = g;
        Ok(g)
    }

    pub(crate) fn pulse(&mut self, k: usize, v: f64) -> Result<f64, SolveFailure> {
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

    pub(crate) fn start(&self, k: usize, set: bool) -> f64 {
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

    pub(crate) fn tune(&mut self, k: usize, g0: f64) -> Result<Outcome, SolveFailure> {
        match self.s.algorithm {
            Algorithm::WriteVerify => self.write_verify(k, g0),
            Algorithm::Ispp => self.ispp(k, g0),
            Algorithm::FeedForward => self.feed_forward(k, g0),
        }
    }

    pub(crate) fn write_verify(&mut self, k: usize, mut g: f64) -> Result<Outcome, SolveFailure> {
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

    pub(crate) fn ispp(&mut self, k: usize, g: f64) -> Result<Outcome, SolveFailure> {
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

    pub(crate) fn feed_forward(&mut self, k: usize, mut g: f64) -> Result<Outcome, SolveFailure> {
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
