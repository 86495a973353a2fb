//! Switching dynamics: what one write pulse of amplitude V (the voltage the
//! device actually sees) and width tp does to a device's state g.
//!
//! Dynamics are applied only after a converged circuit solve (state changes on
//! accept); evaluating them never mutates the circuit. Every model clips the
//! result into the model's conductance window.
//!
//! - `nili` (Nili et al., IEEE TNANO 19:344, 2020), per pulse:
//!   ΔG_set   = c0·w_s(g)·[1 − tanh(c1(ln tp − c2))]·[tanh(c3·V − c4) + 1]
//!   ΔG_reset = −c0r·w_r(g)·[1 + tanh(c1r(ln tp − c2r))]·[1 − tanh(c3r·V − c4r)]
//!   (the paper's reset expression with its sign made explicit). The paper
//!   tabulates c0…c4 per G0 bin; here the state dependence is carried by the
//!   window factors w_s = (gmax − g)/(gmax − gmin), w_r = (g − gmin)/(gmax − gmin)
//!   and c4 = c3·vset, c4r = c3r·vreset, so a device's threshold shift moves c4.
//!   Both terms act on every pulse: the thresholds are soft, which gives
//!   sub-threshold drift (half-select disturbance) for free.
//! - `nili_table`: the same family with the coefficients tabulated per G0
//!   bin (a third-party port of the Nili 2020 table; see [`NiliTable`]):
//!   with L = ln tp (tp in s), for V > 0
//!   D = c0s·[1 − tanh(c1s(L − c2s))]·[tanh(c3s·V − c4s) + 1],
//!   for V < 0 D = c0r·[−1 − tanh(c1r(L − c2r))]·[tanh(c3r·V − c4r) − 1]
//!   (c0r < 0, so D < 0), D = 0 at V = 0; plus a device-to-device term
//!   D_d2d = n·D·(d0 + d1·L² + d2·V·L + d3·V²·L + d4·V³) with n ~ N(0,1) fixed
//!   per device, taken as written: ΔG = D·(1 + n·poly), which has the sign
//!   of D unless n·poly < −1, when the pulse moves the device the other way.
//!   The state is the bin's key (bin lookup, or linear interpolation of the
//!   coefficients in ln G0 between bin centres with `g0interp=log`).
//! - `vteam` (Kvatinsky et al., 2015), state x = (g − gmin)/(gmax − gmin):
//!   dx/dt = kset·(V/vset − 1)^aset·f(x) for V > vset,
//!   dx/dt = −kreset·(V/vreset − 1)^areset·f(x) for V < vreset, 0 between
//!   (hard thresholds), window f(x) = 1 − x^(2p) while setting and
//!   1 − (1 − x)^(2p) while resetting (Biolek-style: it stops at the edge it
//!   moves to and never locks at the one it leaves); RK4 over tp with the
//!   voltage held.
//! - `levels` (table-driven, seeds 000/002/004 style): an ordered list of
//!   levels with a per-level spread; a pulse beyond a threshold moves the
//!   device one level (up for set, down for reset) and its conductance is drawn
//!   from N(level, sd²). `quantized` (seed 004) generates the list: 32
//!   half-integer states n = 1…32 (after n reset pulses) with μ = 16.5 − 0.5n
//!   in units of G0 = 77.5 µS and spread σ·(1 − k·n)·G0. (The paper writes
//!   G = (1 − kn)·N(μ, σ²); read literally the last state would sit at
//!   0.07·μ, so the factor is taken as the shrinking spread its Fig. 3 shows.)

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// Nili 2020 pulse-model coefficients (set, then reset).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Nili {
    pub c0: f64,
    pub c1: f64,
    pub c2: f64,
    pub c3: f64,
    pub c0r: f64,
    pub c1r: f64,
    pub c2r: f64,
    pub c3r: f64,
}

impl Default for Nili {
    /// A change of c0 at threshold for a 1 ms pulse (c2 = ln 1 ms), growing
    /// with width (c1 < 0 for set; c1r > 0 for reset, whose width factor is
    /// 1 + tanh(c1r(ln tp − c2r))); edge sharpness c3 = 30/V: 0.1 V below threshold a
    /// pulse moves ~0.25 % of what it does at threshold, 0.3 V below ~1e-8.
    fn default() -> Self {
        let c2 = (1e-3f64).ln();
        Nili {
            c0: 2e-6,
            c1: -0.25,
            c2,
            c3: 30.0,
            c0r: 2e-6,
            c1r: 0.25,
            c2r: c2,
            c3r: 30.0,
        }
    }
}

/// VTEAM parameters (rates in 1/s of the normalized state).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Vteam {
    pub kset: f64,
    pub aset: f64,
    pub kreset: f64,
    pub areset: f64,
    pub p: f64,
}

impl Default for Vteam {
    fn default() -> Self {
        Vteam {
            kset: 5.0,
            aset: 3.0,
            kreset: 5.0,
            areset: 3.0,
            p: 2.0,
        }
    }
}

/// Discrete levels (S, ascending) with their spreads (S).
#[derive(Clone, Debug, PartialEq)]
pub struct Levels {
    pub g: Vec<f64>,
    pub sd: Vec<f64>,
}

impl Levels {
    /// Seed 004's quantized-conductance states: state n = 1…nstates after n
    /// reset pulses, μ_n = (nstates/2 + 0.5 − 0.5n)·g0 (16 G0 down to 0.5 G0
    /// for 32 states), spread σ·(1 − k·n)·g0. Returned ascending.
    pub fn quantized(g0: f64, nstates: usize, k: f64, sigma: f64) -> Levels {
        let top = nstates as f64 / 2.0 + 0.5;
        let mut g = Vec::with_capacity(nstates);
        let mut sd = Vec::with_capacity(nstates);
        for n in (1..=nstates).rev() {
            let nf = n as f64;
            g.push((top - 0.5 * nf) * g0);
            sd.push((sigma * (1.0 - k * nf)).max(0.0) * g0);
        }
        Levels { g, sd }
    }

    /// Index of the level nearest to `g`.
    pub fn nearest(&self, g: f64) -> usize {
        let mut best = (0, f64::INFINITY);
        for (k, &l) in self.g.iter().enumerate() {
            let d = (l - g).abs();
            if d < best.1 {
                best = (k, d);
            }
        }
        best.0
    }
}

/// One G0 bin of the table-driven Nili model: set c0s…c4s, its
/// device-to-device polynomial d0s…d4s, reset c0r…c4r and d0r…d4r.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct NiliBin {
    pub cs: [f64; 5],
    pub ds: [f64; 5],
    pub cr: [f64; 5],
    pub dr: [f64; 5],
}

/// How a state picks its coefficients from the table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum G0Interp {
    /// The bin that holds G0 (below the first edge the first bin, above the
    /// last the last), as the source does.
    Bin,
    /// Linear in ln G0 between the bins' geometric centres (constant beyond
    /// the outer centres).
    Log,
}

/// The Nili per-G0-bin coefficient table.
#[derive(Clone, Debug, PartialEq)]
pub struct NiliTable {
    /// Bin edges (S), ascending, one more than bins.
    pub edges: Vec<f64>,
    pub bins: Vec<NiliBin>,
    pub interp: G0Interp,
}

impl NiliTable {
    /// Index of the bin holding `g`.
    pub fn bin_of(&self, g: f64) -> usize {
        let n = self.bins.len();
        (1..n)
            .find(|&k| g < self.edges[k])
            .unwrap_or(n)
            .saturating_sub(1)
    }

    /// The coefficients at state `g`.
    pub fn at(&self, g: f64) -> NiliBin {
        match self.interp {
            G0Interp::Bin => self.bins[self.bin_of(g)],
            G0Interp::Log => {
                let n = self.bins.len();
                let centre = |k: usize| 0.5 * (self.edges[k].ln() + self.edges[k + 1].ln());
                let x = g.max(f64::MIN_POSITIVE).ln();
                if n == 1 || x <= centre(0) {
                    return self.bins[0];
                }
                if x >= centre(n - 1) {
                    return self.bins[n - 1];
                }
                let k = (0..n - 1).find(|&k| x < centre(k + 1)).unwrap_or(n - 2);
                let t = (x - centre(k)) / (centre(k + 1) - centre(k));
                let (a, b) = (&self.bins[k], &self.bins[k + 1]);
                let mix = |p: &[f64; 5], q: &[f64; 5]| -> [f64; 5] {
                    std::array::from_fn(|i| p[i] + t * (q[i] - p[i]))
                };
                NiliBin {
                    cs: mix(&a.cs, &b.cs),
                    ds: mix(&a.ds, &b.ds),
                    cr: mix(&a.cr, &b.cr),
                    dr: mix(&a.dr, &b.dr),
                }
            }
        }
    }

    /// ΔG of one pulse of `v` (V) and ln-width `lt` (tp in s) at state `g`
    /// for a device whose device-to-device draw is `n`.
    pub fn delta(&self, g: f64, v: f64, lt: f64, n: f64) -> f64 {
        if v == 0.0 || v.is_nan() {
            return 0.0;
        }
        let b = self.at(g);
        let (nominal, d) = if v > 0.0 {
            let c = b.cs;
            let w = 1.0 - (c[1] * (lt - c[2])).tanh();
            (c[0] * w * ((c[3] * v - c[4]).tanh() + 1.0), b.ds)
        } else {
            let c = b.cr;
            let w = -1.0 - (c[1] * (lt - c[2])).tanh();
            (c[0] * w * ((c[3] * v - c[4]).tanh() - 1.0), b.dr)
        };
        if n == 0.0 {
            return nominal;
        }
        let poly = d[0] + d[1] * lt * lt + d[2] * v * lt + d[3] * v * v * lt + d[4] * v * v * v;
        nominal + n * nominal * poly
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Nili(Nili),
    NiliTable(NiliTable),
    Vteam(Vteam),
    Levels(Levels),
}

/// Which state a stuck device keeps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StuckState {
    /// The window's low end (the paper: mostly stuck at high resistance).
    Off,
    On,
    /// Whatever state it had at the start.
    AsIs,
}

/// Device-to-device variation and faults of a population (all seeded by the
/// analysis that samples them).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Variation {
    pub vset_sd: f64,
    pub vreset_sd: f64,
    /// Correlation of the set and reset threshold shifts.
    pub corr: f64,
    /// Fraction of devices that never switch.
    pub stuck: f64,
    pub stuck_state: StuckState,
    /// Cycle-to-cycle write noise: each ΔG is multiplied by 1 + c2c·N(0,1).
    pub c2c: f64,
    /// Read noise: each measured current is multiplied by 1 + read_noise·N(0,1).
    pub read_noise: f64,
}

impl Default for Variation {
    fn default() -> Self {
        Variation {
            vset_sd: 0.0,
            vreset_sd: 0.0,
            corr: 0.0,
            stuck: 0.0,
            stuck_state: StuckState::Off,
            c2c: 0.0,
            read_noise: 0.0,
        }
    }
}

/// A model card's dynamics: the kind, nominal thresholds and the population's
/// variation.
#[derive(Clone, Debug, PartialEq)]
pub struct Dynamics {
    pub kind: Kind,
    /// Nominal set (> 0) and reset (< 0) thresholds, V.
    pub vset: f64,
    pub vreset: f64,
    pub var: Variation,
}

/// One device's own draw from the population.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Device {
    pub vset: f64,
    pub vreset: f64,
    pub stuck: bool,
    /// The device-to-device draw of `nili_table` (0 for the other kinds).
    pub n: f64,
}

/// A pulse's width and the Nili factors that depend on it alone
/// ([`Dynamics::width`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Width {
    pub tp: f64,
    /// ln tp (tp clamped to [`TP_MIN`]).
    lt: f64,
    set: f64,
    reset: f64,
}

/// From this |x| on, `tanh(x)` is exactly ±1 in double precision: 1 − tanh(x)
/// is below half an ulp of 1 from x ≈ 19.0615 on (glibc returns ±1 by a
/// branch from 22 on; a unit test checks a dense grid of [19.1, 22]).
pub const TANH_SATURATES: f64 = 19.1;

/// Width below which the pulse-width factor of the Nili model is not fitted.
pub const TP_MIN: f64 = 100e-9;
/// RK4 steps per VTEAM pulse.
const VTEAM_STEPS: usize = 16;

impl Dynamics {
    /// Draw one device: correlated Gaussian threshold shifts (kept on their
    /// side of zero) and the stuck fault.
    pub fn sample(&self, rng: &mut impl Rng) -> Device {
        let v = &self.var;
        if let Kind::NiliTable(_) = self.kind {
            // The table's own device-to-device term replaces threshold
            // shifts: one N(0,1) per device, then the stuck fault.
            let n: f64 = rng.sample(StandardNormal);
            let stuck = v.stuck > 0.0 && rng.random::<f64>() < v.stuck;
            return Device {
                vset: self.vset,
                vreset: self.vreset,
                stuck,
                n,
            };
        }
        let z1: f64 = rng.sample(StandardNormal);
        let z2: f64 = rng.sample(StandardNormal);
        let rho = v.corr.clamp(-1.0, 1.0);
        let z2 = rho * z1 + (1.0 - rho * rho).sqrt() * z2;
        // Positive correlation: a larger set voltage goes with a larger |reset|.
        let vset = (self.vset + v.vset_sd * z1).max(0.05 * self.vset.abs().max(0.01));
        let vreset = (self.vreset - v.vreset_sd * z2).min(-0.05 * self.vreset.abs().max(0.01));
        let stuck = v.stuck > 0.0 && rng.random::<f64>() < v.stuck;
        Device {
            vset,
            vreset,
            stuck,
            n: 0.0,
        }
    }

    /// The nominal device (no variation, not stuck).
    pub fn nominal(&self) -> Device {
        Device {
            vset: self.vset,
            vreset: self.vreset,
            stuck: false,
            n: 0.0,
        }
    }

    /// The factors of a pulse that depend on its width alone, computed once
    /// per pulse instead of once per device.
    pub fn width(&self, tp: f64) -> Width {
        match &self.kind {
            Kind::Nili(p) => {
                let lt = tp.max(TP_MIN).ln();
                Width {
                    tp,
                    lt,
                    set: 1.0 - (p.c1 * (lt - p.c2)).tanh(),
                    reset: 1.0 + (p.c1r * (lt - p.c2r)).tanh(),
                }
            }
            _ => Width {
                tp,
                lt: tp.max(TP_MIN).ln(),
                set: 0.0,
                reset: 0.0,
            },
        }
    }

    /// ΔG of the noiseless continuous models for one pulse (0 for `levels`).
    pub fn delta(&self, g: f64, v: f64, tp: f64, d: &Device, window: (f64, f64)) -> f64 {
        self.delta_w(g, v, &self.width(tp), d, window)
    }

    /// [`Dynamics::delta`] with the width factors already computed.
    pub fn delta_w(&self, g: f64, v: f64, w: &Width, d: &Device, window: (f64, f64)) -> f64 {
        let (lo, hi) = window;
        let span = (hi - lo).max(f64::MIN_POSITIVE);
        match &self.kind {
            Kind::Nili(p) => {
                // A voltage factor whose tanh argument is past
                // TANH_SATURATES is exactly 0: that side is skipped, which
                // changes no bit of the result.
                let a = p.c3 * (v - d.vset);
                let set = if a <= -TANH_SATURATES {
                    0.0
                } else {
                    let ws = ((hi - g) / span).clamp(0.0, 1.0);
                    p.c0 * ws * w.set * (a.tanh() + 1.0)
                };
                let ar = p.c3r * (v - d.vreset);
                let reset = if ar >= TANH_SATURATES {
                    0.0
                } else {
                    let wr = ((g - lo) / span).clamp(0.0, 1.0);
                    p.c0r * wr * w.reset * (1.0 - ar.tanh())
                };
                set - reset
            }
            Kind::NiliTable(t) => t.delta(g, v, w.lt, d.n),
            Kind::Vteam(p) => {
                let rate = if v > d.vset {
                    p.kset * (v / d.vset - 1.0).powf(p.aset)
                } else if v < d.vreset {
                    -p.kreset * (v / d.vreset - 1.0).powf(p.areset)
                } else {
                    return 0.0;
                };
                // Window by direction (Biolek style): a set slows towards
                // x = 1, a reset towards x = 0, and neither locks at the edge
                // it moves away from.
                let f = |x: f64| {
                    if rate > 0.0 {
                        1.0 - x.powf(2.0 * p.p)
                    } else {
                        1.0 - (1.0 - x).powf(2.0 * p.p)
                    }
                };
                let h = w.tp / VTEAM_STEPS as f64;
                let mut x = ((g - lo) / span).clamp(0.0, 1.0);
                for _ in 0..VTEAM_STEPS {
                    let k1 = rate * f(x);
                    let k2 = rate * f((x + 0.5 * h * k1).clamp(0.0, 1.0));
                    let k3 = rate * f((x + 0.5 * h * k2).clamp(0.0, 1.0));
                    let k4 = rate * f((x + h * k3).clamp(0.0, 1.0));
                    x = (x + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)).clamp(0.0, 1.0);
                }
                lo + x * span - g
            }
            Kind::Levels(_) => 0.0,
        }
    }

    /// The state after one pulse. `level` is the device's level index (used
    /// by `levels` only). Stuck devices never move.
    #[allow(clippy::too_many_arguments)]
    pub fn apply(
        &self,
        g: f64,
        level: &mut u32,
        v: f64,
        w: &Width,
        d: &Device,
        window: (f64, f64),
        rng: &mut impl Rng,
    ) -> f64 {
        if d.stuck {
            return g;
        }
        let (lo, hi) = window;
        match &self.kind {
            Kind::Levels(l) => {
                let k = *level as usize;
                let next = if v >= d.vset && k + 1 < l.g.len() {
                    k + 1
                } else if v <= d.vreset && k > 0 {
                    k - 1
                } else {
                    return g;
                };
                *level = next as u32;
                let z: f64 = rng.sample(StandardNormal);
                (l.g[next] + l.sd[next] * z).clamp(lo, hi)
            }
            _ => {
                let mut dg = self.delta_w(g, v, w, d, window);
                if dg == 0.0 {
                    return g;
                }
                if self.var.c2c > 0.0 {
                    let z: f64 = rng.sample(StandardNormal);
                    dg *= (1.0 + self.var.c2c * z).max(0.0);
                }
                (g + dg).clamp(lo, hi)
            }
        }
    }

    /// The open band of voltages in which a pulse leaves a device drawn as
    /// `d` exactly as it is: between the thresholds for the hard-threshold
    /// models; for Nili, where both tanh voltage factors are exactly ±1 in
    /// double precision (|argument| ≥ [`TANH_SATURATES`]), so ΔG is exactly
    /// 0 there and skipping the device changes nothing, not even a bit.
    pub fn dead_band(&self, d: &Device) -> Option<(f64, f64)> {
        match &self.kind {
            Kind::Nili(p) if p.c3 > 0.0 && p.c3r > 0.0 => Some((
                d.vreset + TANH_SATURATES / p.c3r,
                d.vset - TANH_SATURATES / p.c3,
            )),
            // Only V = 0 leaves a table device exactly as it is.
            Kind::Nili(_) | Kind::NiliTable(_) => None,
            Kind::Vteam(_) | Kind::Levels(_) => Some((d.vreset, d.vset)),
        }
    }
}

/// Draw `n` devices from the population with a fixed seed.
pub fn sample_population(dy: &Dynamics, n: usize, rng: &mut impl Rng) -> Vec<Device> {
    (0..n).map(|_| dy.sample(rng)).collect()
}

/// A standard normal draw (re-exported for the analyses' noise models).
pub fn normal(rng: &mut impl Rng) -> f64 {
    StandardNormal.sample(rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn nili() -> Dynamics {
        Dynamics {
            kind: Kind::Nili(Nili::default()),
            vset: 1.19,
            vreset: -1.39,
            var: Variation::default(),
        }
    }

    /// Inside the Nili dead band a pulse moves nothing, exactly: the engine
    /// may skip those devices without changing a bit of the result.
    #[test]
    fn nili_dead_band_is_exactly_no_change() {
        let grid = (0..=200_000).map(|k| TANH_SATURATES + 3.0 * k as f64 / 200_000.0);
        for x in grid.chain([22.5, 25.0, 40.0, 700.0, f64::INFINITY]) {
            assert_eq!(x.tanh(), 1.0, "{x}");
            assert_eq!((-x).tanh(), -1.0, "{x}");
        }
        let dy = nili();
        let mut rng = rand::rngs::StdRng::seed_from_u64(4);
        for vset in [0.3, 0.8, 1.19, 1.9] {
            let d = Device {
                vset,
                vreset: -vset - 0.2,
                stuck: false,
                n: 0.0,
            };
            let (lo, hi) = dy.dead_band(&d).unwrap();
            if vset < 0.5 {
                // Thresholds this low leave no voltage without any drift.
                assert!(lo >= hi, "{lo} {hi}");
                continue;
            }
            for k in 1..200 {
                let v = lo + (hi - lo) * k as f64 / 200.0;
                for g in [3e-6, 20e-6, 99e-6] {
                    assert_eq!(dy.delta(g, v, 1e-3, &d, (3e-6, 100e-6)), 0.0, "v {v}");
                    let mut level = 0;
                    assert_eq!(
                        dy.apply(
                            g,
                            &mut level,
                            v,
                            &dy.width(1e-3),
                            &d,
                            (3e-6, 100e-6),
                            &mut rng
                        ),
                        g
                    );
                }
            }
            // Just outside, the soft edge still moves it (by very little).
            assert!(dy.delta(20e-6, hi + 0.15, 1e-3, &d, (3e-6, 100e-6)) > 0.0);
            assert!(dy.delta(20e-6, lo - 0.15, 1e-3, &d, (3e-6, 100e-6)) < 0.0);
        }
    }

    #[test]
    fn nili_equation_by_hand() {
        let dy = nili();
        let d = dy.nominal();
        let w = (3e-6, 100e-6);
        let g = 20e-6;
        let v = 1.25;
        let p = Nili::default();
        let ws = (w.1 - g) / (w.1 - w.0);
        let wr = (g - w.0) / (w.1 - w.0);
        let set = p.c0
            * ws
            * (1.0 - (p.c1 * (1e-3f64.ln() - p.c2)).tanh())
            * ((p.c3 * v - p.c3 * 1.19).tanh() + 1.0);
        let reset = p.c0r
            * wr
            * (1.0 + (p.c1r * (1e-3f64.ln() - p.c2r)).tanh())
            * (1.0 - (p.c3r * v + p.c3r * 1.39).tanh());
        let got = dy.delta(g, v, 1e-3, &d, w);
        assert!(
            (got - (set - reset)).abs() < 1e-18,
            "{got} vs {}",
            set - reset
        );
        // Longer pulses move more, set and reset; sub-threshold pulses drift
        // but little.
        assert!(dy.delta(g, v, 10e-3, &d, w) > got);
        assert!(dy.delta(g, -1.6, 10e-3, &d, w) < dy.delta(g, -1.6, 1e-3, &d, w));
        assert!(dy.delta(g, -1.6, 1e-3, &d, w) < dy.delta(g, -1.6, 1e-4, &d, w));
        let drift = dy.delta(g, 0.6, 1e-3, &d, w);
        assert!(drift > 0.0 && drift < 1e-6 * got, "{drift}");
        assert!(dy.delta(g, -1.5, 1e-3, &d, w) < 0.0);
    }

    #[test]
    fn vteam_hard_threshold_and_window() {
        let dy = Dynamics {
            kind: Kind::Vteam(Vteam::default()),
            vset: 1.0,
            vreset: -1.0,
            var: Variation::default(),
        };
        let d = dy.nominal();
        let w = (10e-6, 100e-6);
        assert_eq!(dy.delta(50e-6, 0.99, 1e-3, &d, w), 0.0);
        assert_eq!(dy.delta(50e-6, -0.99, 1e-3, &d, w), 0.0);
        assert!(dy.delta(50e-6, 1.5, 1e-3, &d, w) > 0.0);
        assert!(dy.delta(50e-6, -1.5, 1e-3, &d, w) < 0.0);
        // The window stops the state at the edge it moves to, and a device
        // at an edge can leave it.
        assert_eq!(dy.delta(100e-6, 1.5, 1e-3, &d, w), 0.0);
        assert_eq!(dy.delta(10e-6, -1.5, 1e-3, &d, w), 0.0);
        assert!(dy.delta(10e-6, 1.5, 1e-3, &d, w) > 0.0);
        assert!(dy.delta(100e-6, -1.5, 1e-3, &d, w) < 0.0);
        // Non-integer window exponents stay finite.
        let frac = Dynamics {
            kind: Kind::Vteam(Vteam {
                p: 1.25,
                ..Vteam::default()
            }),
            ..dy.clone()
        };
        assert!(frac.delta(30e-6, 1.5, 1e-3, &d, w).is_finite());
    }

    #[test]
    fn quantized_levels_and_correlated_thresholds() {
        let l = Levels::quantized(77.5e-6, 32, 0.03, 1.0);
        assert_eq!(l.g.len(), 32);
        assert!((l.g[31] - 16.0 * 77.5e-6).abs() < 1e-12);
        assert!((l.g[0] - 0.5 * 77.5e-6).abs() < 1e-12);
        assert!((l.sd[0] - 0.04 * 77.5e-6).abs() < 1e-12);
        let dy = Dynamics {
            kind: Kind::Nili(Nili::default()),
            vset: 1.19,
            vreset: -1.39,
            var: Variation {
                vset_sd: 0.31,
                vreset_sd: 0.37,
                corr: 0.8,
                stuck: 0.01125,
                ..Variation::default()
            },
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let devs = sample_population(&dy, 40000, &mut rng);
        let n = devs.len() as f64;
        let ms = devs.iter().map(|d| d.vset).sum::<f64>() / n;
        let mr = devs.iter().map(|d| d.vreset).sum::<f64>() / n;
        let ss = (devs.iter().map(|d| (d.vset - ms).powi(2)).sum::<f64>() / n).sqrt();
        let sr = (devs.iter().map(|d| (d.vreset - mr).powi(2)).sum::<f64>() / n).sqrt();
        let cov = devs
            .iter()
            .map(|d| (d.vset - ms) * (-(d.vreset - mr)))
            .sum::<f64>()
            / n;
        assert!(
            (ms - 1.19).abs() < 0.01 && (mr + 1.39).abs() < 0.01,
            "{ms} {mr}"
        );
        assert!(
            (ss - 0.31).abs() < 0.01 && (sr - 0.37).abs() < 0.01,
            "{ss} {sr}"
        );
        assert!((cov / (ss * sr) - 0.8).abs() < 0.02);
        let stuck = devs.iter().filter(|d| d.stuck).count() as f64 / n;
        assert!((stuck - 0.01125).abs() < 0.002, "{stuck}");
    }
}
