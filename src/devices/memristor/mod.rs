//! Memristors: the static I–V law at the current state (`iv`), and the model
//! card that selects and parameterizes it.

pub mod iv;
pub use iv::IvLaw;

/// A resolved `.model name memristor (...)` card.
#[derive(Clone, Debug, PartialEq)]
pub struct MemristorModel {
    pub name: String,
    pub law: IvLaw,
    /// Default state (S) for instances without `g=`.
    pub g_default: Option<f64>,
    /// Conductance window (S): states are clipped into [gmin, gmax] when set.
    pub g_window: Option<(f64, f64)>,
}
