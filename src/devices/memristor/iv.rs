//! Static I–V laws of a memristor at state `g` (its conductance near 0 V).
//!
//! - `linear`: I = g·V
//! - `sinh`:   I = (g/β)·sinh(βV)                     (slope g at 0 V)
//! - `cubic`:  I = A1·V + A3·V³ (Nili et al., IEEE TNANO 19:344, 2020), with
//!   A1 = −2.58e-6 + 0.977·G0 + 1.166e-7·T and
//!   A3 = 1.18·G0 + 6596·G0² + 1.605e-3·T^−1.33, G0 = g in siemens, T in °C.
//!   (T in °C reproduces the paper's numbers: G0 = 8 µS at 27 °C gives
//!   2.56 µA at 0.25 V; T in kelvin would not.)
//!
//! Xyce's memristor levels, with the state `g` holding Xyce's internal
//! variable x instead of a conductance (Xyce Reference Guide, "Memristor";
//! the formulas as Xyce 7.x evaluates them):
//!
//! - level 2 (TEAM), `IVRELATION=0`: V = R(x)·I with
//!   R(x) = RON + (x − XON)·(ROFF − RON)/(XOFF − XON);
//!   `IVRELATION=1`: R(x) = RON·exp(λ(x − XON)/(XOFF − XON)), λ = ln(ROFF/RON).
//!   XON and XOFF here are already multiplied by XSCALING (x is in Xyce's
//!   scaled units).
//! - level 3 (Yakopcic): I = A1·x·sinh(B·V) for V ≥ 0, A2·x·sinh(B·V) for V < 0.
//! - level 4 (PEM): I = x·h(V), h(V) = I1·exp(V/V1) − I2·exp(−V/V2) + G0·V − (I1 − I2);
//!   without an initial state Xyce's operating point takes x = 1 for V > 0
//!   and x = 0 otherwise (`by_sign`).

/// One static law with its parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum IvLaw {
    Linear,
    Sinh {
        beta: f64,
    },
    /// `a1_t` = −2.58e-6 + 1.166e-7·T and `a3_t` = 1.605e-3·T^−1.33 are the
    /// temperature terms, computed once by [`IvLaw::cubic`]. `spread`: the
    /// device-to-device spread of A1 and A3 (`sa1=`, `sa3=` on the card),
    /// scaled by each device's own static draw n_s (see [`CubicSpread`]).
    Cubic {
        temp_c: f64,
        a1_t: f64,
        a3_t: f64,
        spread: Option<CubicSpread>,
    },
    /// Xyce level 2 (TEAM), linear in x (`IVRELATION=0`); state = x.
    TeamLinear {
        ron: f64,
        roff: f64,
        xon: f64,
        xoff: f64,
    },
    /// Xyce level 2 (TEAM), exponential in x (`IVRELATION=1`); `lambda` =
    /// ln(ROFF/RON).
    TeamExp {
        ron: f64,
        lambda: f64,
        xon: f64,
        xoff: f64,
    },
    /// Xyce level 3 (Yakopcic); state = x.
    Yakopcic {
        a1: f64,
        a2: f64,
        b: f64,
    },
    /// Xyce level 4 (PEM); state = x, ignored (taken as 1 for V > 0, else
    /// 0) when `by_sign`.
    Pem {
        i1: f64,
        i2: f64,
        v1: f64,
        v2: f64,
        g0: f64,
        by_sign: bool,
    },
}

/// The device-to-device spread of the cubic law's coefficients, as
/// polynomials in the state G0 (S) and the temperature T (°C) given on the
/// card (`sa1="p0,p1,p2,p3"`, `sa3="q0,q1,q2,q3,q4"`):
///
///   σ_A1 = p0 + p1·G0 + p2·T + p3·G0²
///   σ_A3 = q0 + q1·G0 + q2·T + q3·G0² + q4·G0·T
///
/// held with T folded in: σ_A1 = s1\[0\] + s1\[1\]·G0 + s1\[2\]·G0², the same
/// for σ_A3 with s3. A device whose static draw is n_s (N(0,1), fixed for
/// its life) has A1 + n_s·σ_A1 and A3 + n_s·σ_A3, the σ's evaluated at its
/// present state; each is clamped at 0 from below ([`IvLaw::cubic_dev`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CubicSpread {
    pub s1: [f64; 3],
    pub s3: [f64; 3],
}

impl CubicSpread {
    /// The card's coefficient lists at `temp_c` °C.
    pub fn new(sa1: [f64; 4], sa3: [f64; 5], temp_c: f64) -> CubicSpread {
        CubicSpread {
            s1: [sa1[0] + sa1[2] * temp_c, sa1[1], sa1[3]],
            s3: [sa3[0] + sa3[2] * temp_c, sa3[1] + sa3[4] * temp_c, sa3[3]],
        }
    }

    /// (σ_A1, σ_A3) at state `g`.
    #[inline]
    pub fn at(&self, g: f64) -> (f64, f64) {
        let (s1, s3) = (&self.s1, &self.s3);
        (
            s1[0] + s1[1] * g + s1[2] * g * g,
            s3[0] + s3[1] * g + s3[2] * g * g,
        )
    }
}

impl IvLaw {
    /// The Nili 2020 cubic law at `temp_c` °C.
    pub fn cubic(temp_c: f64) -> IvLaw {
        IvLaw::Cubic {
            temp_c,
            a1_t: -2.58e-6 + 1.166e-7 * temp_c,
            a3_t: 1.605e-3 * temp_c.powf(-1.33),
            spread: None,
        }
    }

    /// The law's device-to-device spread of its static coefficients, if it
    /// has one (the cubic law with `sa1=`/`sa3=`).
    pub fn spread(self) -> Option<CubicSpread> {
        match self {
            IvLaw::Cubic { spread, .. } => spread,
            _ => None,
        }
    }

    /// The cubic law's coefficients (A1, A3) of a device at state `g` whose
    /// static draw is `ns`, and whether either was clamped: A + n_s·σ_A,
    /// each at least 0. Why 0: a draw below about −1.4 (σ_A3/A3 ≈ 0.7 at
    /// 14 µS, 27 °C) makes A3 negative, and I = A1·V + A3·V³ then bends back
    /// at write voltages (negative current at a positive voltage). With
    /// both coefficients ≥ 0 the current has the sign of V and grows with it
    /// (dI/dV = A1 + 3·A3·V² ≥ 0): what a passive device does and what the
    /// solvers' symmetric positive definite Jacobian needs. The clamp at 0
    /// changes the law least (the device keeps its own A1 and becomes
    /// linear); a floor at a fraction of the mean would invent a coefficient
    /// the draw does not give. Without a spread (or with `ns` = 0) the mean
    /// law, bit for bit what [`IvLaw::eval`] computes. NaN for other laws.
    #[inline]
    pub fn cubic_dev(self, g: f64, ns: f64) -> (f64, f64, bool) {
        match self {
            IvLaw::Cubic {
                a1_t, a3_t, spread, ..
            } => {
                let a1 = a1_t + 0.977 * g;
                let a3 = 1.18 * g + 6596.0 * g * g + a3_t;
                match spread {
                    Some(s) if ns != 0.0 => {
                        let (s1, s3) = s.at(g);
                        let (b1, b3) = (a1 + ns * s1, a3 + ns * s3);
                        (b1.max(0.0), b3.max(0.0), b1 < 0.0 || b3 < 0.0)
                    }
                    _ => (a1, a3, false),
                }
            }
            _ => (f64::NAN, f64::NAN, false),
        }
    }

    /// [`IvLaw::eval`] for a device whose static draw is `ns` (only the
    /// cubic law with a spread reads it; else exactly `eval`).
    #[inline]
    pub fn eval_dev(self, g: f64, ns: f64, v: f64) -> (f64, f64) {
        if ns != 0.0 {
            if let IvLaw::Cubic {
                spread: Some(_), ..
            } = self
            {
                let (a1, a3, _) = self.cubic_dev(g, ns);
                return (a1 * v + a3 * v * v * v, a1 + 3.0 * a3 * v * v);
            }
        }
        self.eval(g, v)
    }

    /// Current only, for a device whose static draw is `ns`.
    #[inline]
    pub fn current_dev(self, g: f64, ns: f64, v: f64) -> f64 {
        self.eval_dev(g, ns, v).0
    }

    /// Current and its derivative dI/dV at voltage `v` for state `g`.
    #[inline]
    pub fn eval(self, g: f64, v: f64) -> (f64, f64) {
        match self {
            IvLaw::Linear => (g * v, g),
            IvLaw::Sinh { beta } => {
                let x = beta * v;
                (g / beta * x.sinh(), g * x.cosh())
            }
            IvLaw::Cubic { a1_t, a3_t, .. } => {
                let a1 = a1_t + 0.977 * g;
                let a3 = 1.18 * g + 6596.0 * g * g + a3_t;
                (a1 * v + a3 * v * v * v, a1 + 3.0 * a3 * v * v)
            }
            IvLaw::TeamLinear { .. } | IvLaw::TeamExp { .. } => {
                let gx = 1.0 / self.team_resistance(g);
                (gx * v, gx)
            }
            IvLaw::Yakopcic { a1, a2, b } => {
                let a = if v >= 0.0 { a1 } else { a2 } * g;
                let x = b * v;
                (a * x.sinh(), a * b * x.cosh())
            }
            IvLaw::Pem {
                i1,
                i2,
                v1,
                v2,
                g0,
                by_sign,
            } => {
                let x = if by_sign {
                    if v > 0.0 {
                        1.0
                    } else {
                        0.0
                    }
                } else {
                    g
                };
                let (ep, en) = ((v / v1).exp(), (-v / v2).exp());
                (
                    x * (i1 * ep - i2 * en + g0 * v - (i1 - i2)),
                    x * (i1 / v1 * ep + i2 / v2 * en + g0),
                )
            }
        }
    }

    /// TEAM's resistance R(x) at state `x` (NaN for the other laws).
    pub fn team_resistance(self, x: f64) -> f64 {
        match self {
            IvLaw::TeamLinear {
                ron,
                roff,
                xon,
                xoff,
            } => ron + (x - xon) * (roff - ron) / (xoff - xon),
            IvLaw::TeamExp {
                ron,
                lambda,
                xon,
                xoff,
            } => ron * (lambda * (x - xon) / (xoff - xon)).exp(),
            _ => f64::NAN,
        }
    }

    /// TEAM's state x at which R(x) = `r` (the inverse of
    /// [`IvLaw::team_resistance`]; NaN for the other laws).
    pub fn team_state(self, r: f64) -> f64 {
        match self {
            IvLaw::TeamLinear {
                ron,
                roff,
                xon,
                xoff,
            } => xon + (r - ron) * (xoff - xon) / (roff - ron),
            IvLaw::TeamExp {
                ron,
                lambda,
                xon,
                xoff,
            } => xon + (r / ron).ln() * (xoff - xon) / lambda,
            _ => f64::NAN,
        }
    }

    /// The Xyce memristor level this law is (2, 3 or 4), None for xbarsim's
    /// own laws (whose state is a conductance).
    pub fn xyce_level(self) -> Option<u8> {
        match self {
            IvLaw::Linear | IvLaw::Sinh { .. } | IvLaw::Cubic { .. } => None,
            IvLaw::TeamLinear { .. } | IvLaw::TeamExp { .. } => Some(2),
            IvLaw::Yakopcic { .. } => Some(3),
            IvLaw::Pem { .. } => Some(4),
        }
    }

    /// Current only.
    #[inline]
    pub fn current(self, g: f64, v: f64) -> f64 {
        self.eval(g, v).0
    }

    /// Linear in the voltage at a fixed state (one solve suffices).
    pub fn is_linear(self) -> bool {
        matches!(
            self,
            IvLaw::Linear | IvLaw::TeamLinear { .. } | IvLaw::TeamExp { .. }
        )
    }

    /// The law as a B-source expression for ngspice (`v` is the branch voltage text).
    /// Cubic terms are written as products: ngspice computes `x^3` as |x|^3.
    pub fn to_spice_expr(self, g: f64, v: &str) -> String {
        self.to_spice_expr_dev(g, 0.0, v)
    }

    /// [`IvLaw::to_spice_expr`] for a device whose static draw is `ns`.
    pub fn to_spice_expr_dev(self, g: f64, ns: f64, v: &str) -> String {
        match self {
            IvLaw::Linear => format!("{:.17e}*{v}", g),
            IvLaw::Sinh { beta } => format!("{:.17e}*sinh({:.17e}*{v})", g / beta, beta),
            IvLaw::Cubic {
                temp_c,
                spread: None,
                ..
            } => {
                let (a1, a3) = cubic_coeffs(g, temp_c);
                format!("{a1:.17e}*{v}+{a3:.17e}*{v}*{v}*{v}")
            }
            IvLaw::Cubic { .. } => {
                let (a1, a3, _) = self.cubic_dev(g, ns);
                format!("{a1:.17e}*{v}+{a3:.17e}*{v}*{v}*{v}")
            }
            IvLaw::TeamLinear { .. } | IvLaw::TeamExp { .. } => {
                format!("{:.17e}*{v}", 1.0 / self.team_resistance(g))
            }
            IvLaw::Yakopcic { a1, a2, b } if a1 == a2 => {
                format!("{:.17e}*sinh({b:.17e}*{v})", a1 * g)
            }
            IvLaw::Yakopcic { a1, a2, b } => format!(
                "({v}>=0?{:.17e}:{:.17e})*sinh({b:.17e}*{v})",
                a1 * g,
                a2 * g
            ),
            IvLaw::Pem {
                i1,
                i2,
                v1,
                v2,
                g0,
                by_sign,
            } => {
                // Signs written as "+-": ngspice reads a unary minus there.
                let h = format!(
                    "{i1:.17e}*exp({:.17e}*{v})+{:.17e}*exp({:.17e}*{v})+{g0:.17e}*{v}+{:.17e}",
                    1.0 / v1,
                    -i2,
                    -1.0 / v2,
                    i2 - i1
                );
                if by_sign {
                    format!("({v}>0?1:0)*({h})")
                } else {
                    format!("{g:.17e}*({h})")
                }
            }
        }
    }
}

/// Nili 2020 cubic coefficients (A1, A3) for state `g0` (S) at `temp_c` (°C).
#[inline]
pub fn cubic_coeffs(g0: f64, temp_c: f64) -> (f64, f64) {
    let a1 = -2.58e-6 + 0.977 * g0 + 1.166e-7 * temp_c;
    let a3 = 1.18 * g0 + 6596.0 * g0 * g0 + 1.605e-3 * temp_c.powf(-1.33);
    (a1, a3)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn cubic_matches_reference_numbers() {
        // REFERENCE.md §2: at 27 °C, G0 = 8 µS → 2.56 µA at 0.25 V, K/2 = 1.16 at 0.25 V, 2.41 at 1 V;
        // G0 = 50 µS → 13.9 µA, 1.09, 1.98.
        let law = IvLaw::cubic(27.0);
        for (g0, i025, k025, k1) in [(8e-6, 2.56e-6, 1.16, 2.41), (50e-6, 13.9e-6, 1.09, 1.98)] {
            let i = law.current(g0, 0.25);
            assert!((i - i025).abs() / i025 < 0.005, "{g0}: {i}");
            let kh = |v: f64| law.current(g0, v) / law.current(g0, v / 2.0) / 2.0;
            assert!((kh(0.25) - k025).abs() < 0.006, "{}", kh(0.25));
            assert!((kh(1.0) - k1).abs() < 0.006, "{}", kh(1.0));
        }
    }
    #[test]
    fn precomputed_cubic_terms_match_the_formula() {
        for (g, t) in [(8e-6, 27.0), (5e-5, 85.0), (1e-4, 0.5)] {
            let (a1, a3) = cubic_coeffs(g, t);
            let (i, _) = IvLaw::cubic(t).eval(g, 0.7);
            assert!((i - (a1 * 0.7 + a3 * 0.343)).abs() <= 1e-15 * i.abs());
        }
    }
    #[test]
    fn derivatives_match_finite_differences() {
        for law in [IvLaw::Linear, IvLaw::Sinh { beta: 2.6 }, IvLaw::cubic(27.0)] {
            for v in [-1.3, -0.2, 0.0, 0.25, 0.9] {
                let h = 1e-6;
                let fd = (law.current(3e-5, v + h) - law.current(3e-5, v - h)) / (2.0 * h);
                let (_, d) = law.eval(3e-5, v);
                assert!((fd - d).abs() <= 1e-6 * d.abs() + 1e-15, "{law:?} {v}");
            }
        }
        // Xyce's laws at a state x (0 excluded: Yakopcic's and PEM's
        // slopes may jump there).
        let pem = |by_sign| IvLaw::Pem {
            i1: 85.37e-6,
            i2: 90.16e-6,
            v1: 0.265,
            v2: 0.3,
            g0: 130.72e-6,
            by_sign,
        };
        for (law, x) in [
            (xyce_team(false), 1.2),
            (xyce_team(true), 2.4),
            (
                IvLaw::Yakopcic {
                    a1: 0.17,
                    a2: 0.11,
                    b: 0.05,
                },
                0.11,
            ),
            (
                IvLaw::Yakopcic {
                    a1: 3e-4,
                    a2: 1e-4,
                    b: 2.5,
                },
                0.7,
            ),
            (pem(false), 0.4),
            (pem(true), 0.4),
        ] {
            for v in [-1.3, -0.2, 0.25, 0.9] {
                let h = 1e-6;
                let fd = (law.current(x, v + h) - law.current(x, v - h)) / (2.0 * h);
                let (_, d) = law.eval(x, v);
                assert!((fd - d).abs() <= 1e-6 * d.abs() + 1e-15, "{law:?} {v}");
            }
        }
    }

    fn xyce_team(exp: bool) -> IvLaw {
        let (ron, roff, xon, xoff) = (50.0, 1000.0, 0.0, 3.0);
        if exp {
            IvLaw::TeamExp {
                ron,
                lambda: (roff / ron).ln(),
                xon,
                xoff,
            }
        } else {
            IvLaw::TeamLinear {
                ron,
                roff,
                xon,
                xoff,
            }
        }
    }

    #[test]
    fn xyce_closed_forms() {
        // TEAM: R(XON) = RON and R(XOFF) = ROFF in both forms, and R(x) is
        // inverted by team_state.
        for exp in [false, true] {
            let law = xyce_team(exp);
            assert!((law.team_resistance(0.0) - 50.0).abs() < 1e-12);
            assert!((law.team_resistance(3.0) - 1000.0).abs() < 1e-9);
            let r = law.team_resistance(1.1);
            assert!((law.team_state(r) - 1.1).abs() < 1e-12);
            let (i, g) = law.eval(1.1, 0.3);
            assert!((i - 0.3 / r).abs() < 1e-15 && (g - 1.0 / r).abs() < 1e-15);
        }
        // Linear: R(1.1) = 50 + 1.1·950/3.
        let r = xyce_team(false).team_resistance(1.1);
        assert!((r - (50.0 + 1.1 * 950.0 / 3.0)).abs() < 1e-12);
        // Yakopcic: a1 for V >= 0, a2 below.
        let y = IvLaw::Yakopcic {
            a1: 0.17,
            a2: 0.11,
            b: 0.05,
        };
        assert_eq!(y.current(0.11, 0.5), 0.17 * 0.11 * (0.025f64).sinh());
        assert_eq!(y.current(0.11, -0.5), 0.11 * 0.11 * (-0.025f64).sinh());
        // PEM: h(0) = 0; by_sign conducts only for V > 0.
        let p = IvLaw::Pem {
            i1: 1e-4,
            i2: 2e-4,
            v1: 0.3,
            v2: 0.2,
            g0: 1e-4,
            by_sign: true,
        };
        assert_eq!(p.current(0.0, 0.0), 0.0);
        assert_eq!(p.eval(0.0, -0.4), (0.0, 0.0));
        let h = 1e-4 * (0.4f64 / 0.3).exp() - 2e-4 * (-0.4f64 / 0.2).exp() + 1e-4 * 0.4 + 1e-4;
        assert!((p.current(0.0, 0.4) - h).abs() < 1e-18);
    }
}
