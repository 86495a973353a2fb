//! `.dc src start stop step`: sweep one independent source. Each point is
//! warm-started from the previous one; linear circuits factor only once.

use super::card::CardCtx;
use super::{Analysis, Ctx, Engine, Outcome};
use crate::circuit::{budget, Circuit};
use crate::netlist::{Card, Diagnostic};
use crate::solve::{SolveFailure, Stats};

/// The source a `.dc` sweeps: an index into `vsources` or `isources`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SweptSource {
    V(usize),
    I(usize),
}

/// A checked `.dc` card.
#[derive(Clone, Debug)]
pub struct DcSpec {
    pub source: SweptSource,
    pub start: f64,
    pub stop: f64,
    pub step: f64,
}

/// Read a `.dc <source> <start> <stop> <step>` card.
pub fn read(cx: &mut CardCtx, card: &Card, planned: &mut Vec<Box<dyn Analysis>>) {
    let Card::Dc {
        source,
        start,
        stop,
        step,
        ..
    } = card
    else {
        return;
    };
    let c = cx.c;
    let src = c
        .vsources
        .iter()
        .position(|v| v.name == source.text)
        .map(SweptSource::V)
        .or_else(|| {
            c.isources
                .iter()
                .position(|v| v.name == source.text)
                .map(SweptSource::I)
        });
    let Some(src) = src else {
        cx.errors.push(
            Diagnostic::new(
                source.span,
                format!("no independent source named '{}' to sweep", source.text),
            )
            .with_hint(".dc sweeps a V or I source"),
        );
        return;
    };
    let (Some(a), Some(b), Some(s)) = (cx.value(start), cx.value(stop), cx.value(step)) else {
        return;
    };
    if s == 0.0 || !s.is_finite() || ((b - a) / s) < -1e-9 || ((b - a) / s) > 1e6 {
        cx.errors.push(Diagnostic::new(
            step.span,
            format!("step {s} does not go from {a} to {b} in at most 1e6 points"),
        ));
        return;
    }
    // The table is kept whole until it is written: points × quantities.
    let points = ((b - a) / s).floor().max(0.0) + 1.0;
    let columns = (c.nodes.len() + c.vsources.len() + 1) as f64;
    if let Err(m) = budget::check(
        &format!("a .dc table of {points} points x {columns} quantities"),
        points * columns * 8.0 * 2.0,
    ) {
        cx.errors
            .push(Diagnostic::new(step.span, m.to_string()).with_hint(budget::HINT));
        return;
    }
    planned.push(Box::new(DcSpec {
        source: src,
        start: a,
        stop: b,
        step: s,
    }));
}

impl Analysis for DcSpec {
    fn directive(&self) -> &'static str {
        "dc"
    }
    fn spice(&self, c: &Circuit) -> String {
        let name = match self.source {
            SweptSource::V(k) => &c.vsources[k].name,
            SweptSource::I(k) => &c.isources[k].name,
        };
        let num = |v: f64| format!("{v:.17e}");
        format!(
            ".dc {name} {} {} {}",
            num(self.start),
            num(self.stop),
            num(self.step)
        )
    }
    fn run<'s>(&'s self, cx: &mut Ctx<'_, '_>) -> Result<Outcome<'s>, SolveFailure> {
        Ok(Outcome::Dc(run(
            cx.engine,
            self.source,
            self.start,
            self.stop,
            self.step,
        )))
    }
}

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
