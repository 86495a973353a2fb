//! `.op`: the DC operating point.

use super::Engine;
use crate::solve::{SolveFailure, Stats};

pub struct OpResult {
    pub names: Vec<String>,
    pub values: Vec<f64>,
    pub stats: Stats,
}

pub fn run(e: &mut Engine) -> Result<OpResult, SolveFailure> {
    let stats = e.solve()?;
    Ok(OpResult {
        names: e.quantity_names(),
        values: e.quantities(),
        stats,
    })
}
