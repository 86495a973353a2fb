//! Bias schemes of a crossbar: the voltages its unselected rows and columns
//! are held at while one device is read or written.
//!
//! - `v/2`: unselected rows and columns at V/2;
//! - `v/3`: unselected rows at V/3, unselected columns at 2V/3;
//! - `ground`: unselected rows and columns at 0 V;
//! - `float`: unselected lines left open (sneak paths set their voltages).

/// A bias scheme (`scheme=` / `read_scheme=` on the crossbar analyses' cards).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Half,
    Third,
    Ground,
    Float,
}

impl Scheme {
    pub fn parse(s: &str) -> Option<Scheme> {
        Some(match s {
            "v/2" | "v2" | "half" => Scheme::Half,
            "v/3" | "v3" | "third" => Scheme::Third,
            "ground" | "gnd" => Scheme::Ground,
            "float" | "floating" => Scheme::Float,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Half => "v/2",
            Scheme::Third => "v/3",
            Scheme::Ground => "ground",
            Scheme::Float => "float",
        }
    }
    /// Voltages of unselected rows and columns (None: open).
    pub fn unselected(self, v: f64) -> (Option<f64>, Option<f64>) {
        match self {
            Scheme::Half => (Some(v / 2.0), Some(v / 2.0)),
            Scheme::Third => (Some(v / 3.0), Some(2.0 * v / 3.0)),
            Scheme::Ground => (Some(0.0), Some(0.0)),
            Scheme::Float => (None, None),
        }
    }
}
