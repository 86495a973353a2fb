//! `.dc src start stop step`: sweep one independent source. Each point is
//! warm-started from the previous one; linear circuits factor only once.

use super::Engine;
use crate::circuit::SweptSource;
use crate::solve::{SolveFailure, Stats};

pub struct DcResult {
    /// Column names: the swept source, then the quantities.
    pub names: Vec<String>,
    /// One row per completed point: the source value, then the quantities.
    pub rows: Vec<Vec<f64>>,
    pub stats: Stats,
    /// Set when a point failed: the sweep value and why. Rows before it are kept.
    pub failure: Option<(f64, SolveFailure)>,
}

/// Sweep points from start to stop inclusive (tolerant to rounding).
pub fn points(start: f64, stop: f64, step: f64) -> Vec<f64> {
    let n = ((stop - start) / step + 1e-9).floor().max(0.0) as usize;
    (0..=n).map(|k| start + k as f64 * step).collect()
}

pub fn run(e: &mut Engine, src: SweptSource, start: f64, stop: f64, step: f64) -> DcResult {
    let (name, orig) = match src {
        SweptSource::V(k) => (e.c.vsources[k].name.clone(), e.sys.v_values[k]),
        SweptSource::I(k) => (e.c.isources[k].name.clone(), e.sys.i_values[k]),
    };
    let mut names = vec![name];
    names.extend(e.quantity_names());
    let mut rows = Vec::new();
    let mut stats = Stats {
        method: "newton",
        ..Default::default()
    };
    let mut failure = None;
    for x in points(start, stop, step) {
        match src {
            SweptSource::V(k) => e.sys.v_values[k] = x,
            SweptSource::I(k) => e.sys.i_values[k] = x,
        }
        e.sys.update_sources();
        match e.solve() {
            Ok(s) => {
                stats.iterations += s.iterations;
                stats.factorizations += s.factorizations;
                stats.method = s.method;
                let mut row = vec![x];
                row.extend(e.quantities());
                rows.push(row);
            }
            Err(err) => {
                failure = Some((x, err));
                break;
            }
        }
    }
    match src {
        SweptSource::V(k) => e.sys.v_values[k] = orig,
        SweptSource::I(k) => e.sys.i_values[k] = orig,
    }
    e.sys.update_sources();
    DcResult {
        names,
        rows,
        stats,
        failure,
    }
}
