//! What `.program` returns: per-cycle statistics, the pulse log and the
//! final state and error of every device.

use super::engine;
use crate::solve::SolveFailure;

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
    /// Of those, the devices whose own state moved enough to leave the band:
    /// scaling the read that left them within tolerance by the change of
    /// their own read conductance I(g, vread)/vread puts them outside it.
    pub drifted_devices: usize,
    /// The rest: their own change alone would have kept them inside, so the
    /// read moved because other devices' new states changed the IR drop and
    /// sneak currents it sees.
    pub read_shifted_devices: usize,
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
    /// Distinct devices counted as drifted, and as read-shifted, in some
    /// cycle (see [`CycleStats`]; a device can be both, in two cycles).
    pub drifted_devices: usize,
    pub read_shifted_devices: usize,
    pub failed_devices: usize,
    pub log: Vec<LogRow>,
    pub solver: engine::SolveStats,
    /// Set when a circuit solve failed (the results so far are kept).
    pub failure: Option<SolveFailure>,
    /// Each device's static draw n_s (row-major; empty without a static
    /// spread on the card), and how many devices have a coefficient clamped
    /// at 0 somewhere in the window.
    pub static_draws: Vec<f64>,
    pub static_clamped: usize,
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
    /// Share (%) of switchable devices whose own conductance is within `tol`.
    pub fn true_within_tol_pct(&self, tol: f64) -> f64 {
        within_pct(&self.error_true_pct, &self.stuck, tol)
    }
    pub fn pulses(&self) -> usize {
        self.cycles.iter().map(|c| c.pulses).sum()
    }
    pub fn reads(&self) -> usize {
        self.cycles.iter().map(|c| c.reads).sum()
    }
}

/// Mean |error| (%) over the devices that are not stuck (0 when none is).
pub(super) fn mean_abs_pct(err: &[f64], stuck: &[bool]) -> f64 {
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

pub(super) fn within_pct(err: &[f64], stuck: &[bool], tol: f64) -> f64 {
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
