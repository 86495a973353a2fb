//! `.pulse`: a sequence of individual write pulses on chosen devices of a
//! crossbar, each solved through the circuit (the pulse engine of
//! `.program`), with optional verify reads after each.

pub mod card;

use super::program::engine::{self, PulseEngine};
use crate::circuit::bias::Scheme;
use crate::solve::SolveFailure;

/// One `.pulse` card: `count` pulses of `v` on (row, col).
#[derive(Clone, Debug)]
pub struct PulseStep {
    pub row: usize,
    pub col: usize,
    pub v: f64,
    pub count: usize,
    pub tp: f64,
    pub scheme: Scheme,
    /// Verify-read the cell after each pulse.
    pub read: bool,
}

/// Consecutive `.pulse` cards on one crossbar: one engine, state carried on.
#[derive(Clone, Debug)]
pub struct PulseSeq {
    pub xbar: usize,
    pub steps: Vec<PulseStep>,
    pub seed: u64,
    pub rdrive: f64,
    pub rsense: f64,
    pub vread: f64,
    pub read_scheme: Scheme,
    pub disturb: bool,
}

impl PulseSeq {
    pub fn new(xbar: usize) -> PulseSeq {
        PulseSeq {
            xbar,
            steps: Vec::new(),
            seed: 1,
            rdrive: 1.0,
            rsense: 1.0,
            vread: 0.25,
            read_scheme: Scheme::Ground,
            disturb: true,
        }
    }
}

/// One applied pulse of a `.pulse` sequence.
#[derive(Clone, Debug)]
pub struct PulseRecord {
    pub row: usize,
    pub col: usize,
    pub outcome: engine::PulseOutcome,
    /// Verify read (S), when asked for.
    pub g_read: Option<f64>,
}

pub struct PulseSeqResult {
    pub solver: engine::SolveStats,
    pub rows: usize,
    pub cols: usize,
    pub records: Vec<PulseRecord>,
    /// States (S) before the first and after the last pulse, row-major.
    pub g_before: Vec<f64>,
    pub g_after: Vec<f64>,
    /// Set when a solve failed (the pulses before it are kept).
    pub failure: Option<SolveFailure>,
}

/// Run a `.pulse` sequence.
pub fn run(c: &crate::circuit::Circuit, q: &PulseSeq) -> Result<PulseSeqResult, SolveFailure> {
    let first = q
        .steps
        .first()
        .map(|s| (s.tp, s.scheme))
        .unwrap_or((1e-3, Scheme::Half));
    let mut eng = PulseEngine::new(
        c,
        q.xbar,
        q.rdrive,
        q.rsense,
        first.0,
        first.1,
        q.read_scheme,
        q.vread,
        q.seed,
    )?;
    eng.disturb = q.disturb;
    let n = eng.rows() * eng.cols();
    let g_before: Vec<f64> = (0..n).map(|k| eng.g(k)).collect();
    let mut records = Vec::new();
    let mut failure = None;
    'steps: for st in &q.steps {
        eng.tp = st.tp;
        eng.tread = st.tp;
        eng.write_scheme = st.scheme;
        let cell = st.row * eng.cols() + st.col;
        for _ in 0..st.count {
            let outcome = match eng.pulse(cell, st.v) {
                Ok(o) => o,
                Err(e) => {
                    failure = Some(e);
                    break 'steps;
                }
            };
            let g_read = if st.read {
                match eng.read(cell) {
                    Ok(g) => Some(g),
                    Err(e) => {
                        failure = Some(e);
                        break 'steps;
                    }
                }
            } else {
                None
            };
            records.push(PulseRecord {
                row: st.row,
                col: st.col,
                outcome,
                g_read,
            });
        }
    }
    let g_after = (0..n).map(|k| eng.g(k)).collect();
    Ok(PulseSeqResult {
        solver: eng.stats,
        rows: eng.rows(),
        cols: eng.cols(),
        records,
        g_before,
        g_after,
        failure,
    })
}

super::crossbar_analysis!(
    PulseSeq,
    "pulse",
    output(s, c) {
        format!("{0}_pulses ({0}_pulses.csv)", c.crossbars[s.xbar].name)
    },
    run(s, cx) {
        Ok(super::Outcome::Pulses(s, run(cx.c, s)?))
    }
);
