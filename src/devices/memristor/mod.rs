//! Memristors: the static I–V law at the current state (`iv`), switching
//! dynamics under write pulses (`dynamics`), and the model card that selects
//! and parameterizes both.

pub mod dynamics;
pub mod iv;
pub mod tuning;
pub use dynamics::Dynamics;
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
    /// Switching dynamics (`dyn=` on the card), used by pulse analyses.
    pub dynamics: Option<Dynamics>,
}
