//! Static I–V laws of a memristor at state `g` (its conductance near 0 V).
//!
//! - `linear`: I = g·V
//! - `sinh`:   I = (g/β)·sinh(βV)                     (slope g at 0 V)
//! - `cubic`:  I = A1·V + A3·V³ (Nili et al., IEEE TNANO 19:344, 2020), with
//!   A1 = −2.58e-6 + 0.977·G0 + 1.166e-7·T and
//!   A3 = 1.18·G0 + 6596·G0² + 1.605e-3·T^−1.33, G0 = g in siemens, T in °C.
//!   (T in °C reproduces the paper's numbers: G0 = 8 µS at 27 °C gives
//!   2.56 µA at 0.25 V; T in kelvin would not.)

/// One static law with its parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum IvLaw {
    Linear,
    Sinh {
        beta: f64,
    },
    /// `a1_t` = −2.58e-6 + 1.166e-7·T and `a3_t` = 1.605e-3·T^−1.33 are the
    /// temperature terms, computed once by [`IvLaw::cubic`].
    Cubic {
        temp_c: f64,
        a1_t: f64,
        a3_t: f64,
    },
}

impl IvLaw {
    /// The Nili 2020 cubic law at `temp_c` °C.
    pub fn cubic(temp_c: f64) -> IvLaw {
        IvLaw::Cubic {
            temp_c,
            a1_t: -2.58e-6 + 1.166e-7 * temp_c,
            a3_t: 1.605e-3 * temp_c.powf(-1.33),
        }
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
        }
    }

    /// Current only.
    #[inline]
    pub fn current(self, g: f64, v: f64) -> f64 {
        self.eval(g, v).0
    }

    pub fn is_linear(self) -> bool {
        matches!(self, IvLaw::Linear)
    }

    /// The law as a B-source expression for ngspice (`v` is the branch voltage text).
    /// Cubic terms are written as products: ngspice computes `x^3` as |x|^3.
    pub fn to_spice_expr(self, g: f64, v: &str) -> String {
        match self {
            IvLaw::Linear => format!("{:.17e}*{v}", g),
            IvLaw::Sinh { beta } => format!("{:.17e}*sinh({:.17e}*{v})", g / beta, beta),
            IvLaw::Cubic { temp_c, .. } => {
                let (a1, a3) = cubic_coeffs(g, temp_c);
                format!("{a1:.17e}*{v}+{a3:.17e}*{v}*{v}*{v}")
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
    }
}
