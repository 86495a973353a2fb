//! Junction diodes, SPICE level 1 in DC: the selector of 1D1R and 1S1R
//! crosspoints.
//!
//! The DC law is SPICE's (as ngspice computes it), with `vte = N·Vt`,
//! `Vt = kT/q` at the device temperature and `Is` the temperature-adjusted
//! saturation current:
//!
//! ```text
//! vd ≥ −3·vte          I = Is·(exp(vd/vte) − 1)
//! −BV' ≤ vd < −3·vte   I = −Is·(1 + a³),  a = 3·vte/(e·vd)
//! vd < −BV'            I = −Is·exp(−(BV' + vd)/(NBV·Vt))     (BV given)
//! ```
//!
//! plus `gmin·vd` (the `.options gmin` conductance SPICE puts across every
//! junction). `BV'` is the breakdown voltage moved so that the breakdown
//! current at `−BV'` is `IBV` (the same fixed-point iteration SPICE runs).
//! Temperature: `Is(T) = Is·exp((T/Tnom − 1)·EG/vte + XTI/N·ln(T/Tnom))`,
//! `BV(T) = BV − TCV·(T − Tnom)`. Series resistance `RS` is not part of the
//! law: the elaborator puts it in as a resistor to an internal node.

/// Boltzmann constant over the electron charge (ngspice's values, CODATA
/// 2014), V/K.
pub const K_OVER_Q: f64 = 1.380_648_52e-23 / 1.602_176_620_8e-19;
/// 0 °C in kelvin.
pub const C_TO_K: f64 = 273.15;

/// The `.model name D (...)` parameters that shape the DC law.
#[derive(Clone, Debug, PartialEq)]
pub struct DiodeModel {
    /// Saturation current (A), `IS` (`JS`).
    pub is: f64,
    /// Emission coefficient `N`.
    pub n: f64,
    /// Series resistance (Ω), `RS`; 0 = none.
    pub rs: f64,
    /// Reverse breakdown voltage (V), `BV`; None = no breakdown.
    pub bv: Option<f64>,
    /// Current at the breakdown voltage (A), `IBV`.
    pub ibv: f64,
    /// Breakdown emission coefficient `NBV` (default `N`).
    pub nbv: f64,
    /// Activation energy (eV), `EG`.
    pub eg: f64,
    /// Saturation current temperature exponent `XTI`.
    pub xti: f64,
    /// Nominal temperature (°C), `TNOM`.
    pub tnom: f64,
    /// Breakdown voltage temperature coefficient (V/K), `TCV`.
    pub tcv: f64,
    /// Series resistance temperature coefficients `TRS1`, `TRS2`.
    pub trs1: f64,
    pub trs2: f64,
}

impl Default for DiodeModel {
    fn default() -> Self {
        DiodeModel {
            is: 1e-14,
            n: 1.0,
            rs: 0.0,
            bv: None,
            ibv: 1e-3,
            nbv: 1.0,
            eg: 1.11,
            xti: 3.0,
            tnom: 27.0,
            tcv: 0.0,
            trs1: 0.0,
            trs2: 0.0,
        }
    }
}

/// A diode's DC law at its temperature, area and multiplier.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DiodeLaw {
    /// Temperature-adjusted saturation current times area and m (A).
    pub csat: f64,
    /// N·Vt (V).
    pub vte: f64,
    /// NBV·Vt (V).
    pub vtebrk: f64,
    /// The matched breakdown voltage BV' (V), if the model has BV.
    pub bv: Option<f64>,
    /// Conductance across the junction (S), SPICE's gmin.
    pub gmin: f64,
}

impl DiodeModel {
    /// The law of an instance with `area` and multiplier `m` at `temp_c` °C;
    /// `reltol` is the tolerance of the breakdown match. Also returns the
    /// series conductance (S) to put in as a resistor (0: none).
    pub fn at(&self, temp_c: f64, area: f64, m: f64, gmin: f64, reltol: f64) -> (DiodeLaw, f64) {
        let t = temp_c + C_TO_K;
        let tn = self.tnom + C_TO_K;
        let vt = K_OVER_Q * t;
        let vte = self.n * vt;
        let ratio = t / tn;
        let csat = m
            * self.is
            * area
            * ((ratio - 1.0) * self.eg / vte + self.xti / self.n * ratio.ln()).exp();
        let bv = self.bv.map(|bv| {
            let tbv = bv - self.tcv * (t - tn);
            let nvt = self.nbv * vt;
            let cbv = m * self.ibv;
            if cbv < csat * tbv / vt {
                return tbv;
            }
            let tol = reltol * cbv;
            let mut xbv = tbv - nvt * (1.0 + cbv / csat).ln();
            for _ in 0..25 {
                xbv = tbv - nvt * (cbv / csat + 1.0 - xbv / vt).ln();
                let xcbv = csat * (((tbv - xbv) / nvt).exp() - 1.0 + xbv / vt);
                if (xcbv - cbv).abs() <= tol {
                    break;
                }
            }
            xbv
        });
        let gs = if self.rs > 0.0 {
            let dt = t - tn;
            m * area / (self.rs * (1.0 + self.trs1 * dt + self.trs2 * dt * dt))
        } else {
            0.0
        };
        (
            DiodeLaw {
                csat,
                vte,
                vtebrk: self.nbv * vt,
                bv,
                gmin,
            },
            gs,
        )
    }
}

impl DiodeModel {
    /// The model that gives an instance's law (at `temp_c`, `area`, `m`)
    /// with area 1 and m 1 at `temp_c` = TNOM, and no series resistance:
    /// what `xbarsim export` writes for ngspice.
    pub fn flat(&self, temp_c: f64, area: f64, m: f64) -> DiodeModel {
        let t = temp_c + C_TO_K;
        let tn = self.tnom + C_TO_K;
        let (law, _) = self.at(temp_c, area, m, 0.0, 1e-3);
        DiodeModel {
            is: law.csat,
            rs: 0.0,
            bv: self.bv.map(|bv| bv - self.tcv * (t - tn)),
            ibv: m * self.ibv,
            tnom: temp_c,
            tcv: 0.0,
            trs1: 0.0,
            trs2: 0.0,
            ..self.clone()
        }
    }
}

impl DiodeLaw {
    /// Current and dI/dvd at junction voltage `vd`.
    #[inline]
    pub fn eval(&self, vd: f64) -> (f64, f64) {
        let (i, g) = if vd >= -3.0 * self.vte {
            let e = (vd / self.vte).exp();
            (self.csat * (e - 1.0), self.csat * e / self.vte)
        } else if self.bv.is_none_or(|bv| vd >= -bv) {
            let a = 3.0 * self.vte / (vd * std::f64::consts::E);
            let a3 = a * a * a;
            (-self.csat * (1.0 + a3), self.csat * 3.0 * a3 / vd)
        } else {
            let bv = self.bv.unwrap_or(f64::INFINITY);
            let e = (-(bv + vd) / self.vtebrk).exp();
            (-self.csat * e, self.csat * e / self.vtebrk)
        };
        (i + self.gmin * vd, g + self.gmin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The law is continuous where its pieces meet, and its derivative is
    /// the derivative of its current (central differences).
    #[test]
    fn pieces_meet_and_slopes_match() {
        let m = DiodeModel {
            bv: Some(5.0),
            ..Default::default()
        };
        let (law, gs) = m.at(27.0, 1.0, 1.0, 1e-12, 1e-3);
        assert_eq!(gs, 0.0);
        // The matched breakdown: the current at the model's BV is IBV
        // (to the match tolerance, plus the Is·BV'/Vt the match includes).
        let bv = law.bv.unwrap();
        assert!(bv < 5.0 && bv > 4.0, "{bv}");
        let ibv = -law.eval(-5.0).0;
        assert!((ibv - 1e-3).abs() < 2e-6, "{ibv}");
        for vd in [-3.0 * law.vte, -bv] {
            let (a, _) = law.eval(vd * (1.0 - 1e-12));
            let (b, _) = law.eval(vd * (1.0 + 1e-12));
            assert!(
                (a - b).abs() <= 1e-9 * a.abs().max(1e-20),
                "{vd}: {a} vs {b}"
            );
        }
        for vd in [-6.0, -4.9, -1.0, -0.05, 0.0, 0.3, 0.7] {
            let h = 1e-7;
            let (_, g) = law.eval(vd);
            let d = (law.eval(vd + h).0 - law.eval(vd - h).0) / (2.0 * h);
            assert!((g - d).abs() <= 1e-5 * g.abs() + 1e-18, "{vd}: {g} vs {d}");
        }
        // Forward: Is·(e^{0.6/Vt} − 1) at 27 °C.
        let vt = K_OVER_Q * 300.15;
        let want = 1e-14 * ((0.6 / vt).exp() - 1.0) + 1e-12 * 0.6;
        assert!((law.eval(0.6).0 - want).abs() < 1e-15 * want.abs().max(1.0));
    }
}
