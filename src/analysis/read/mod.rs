//! `.read XB row=<i> col=<j> v=<V> scheme=<v/2|v/3|float|ground> [rdrive=Ω]
//! [rsense=Ω] [gon=S] [goff=S]`: reading one cell of a passive array.
//!
//! Bias (rows at their west ends through `rdrive`, columns at their south
//! ends through `rsense`; the selected row at V, the selected column at 0 V
//! into the sense source):
//! - `v/2`: unselected rows and columns at V/2;
//! - `v/3`: unselected rows at V/3, unselected columns at 2V/3;
//! - `ground`: unselected rows and columns at 0 V;
//! - `float`: unselected lines left open (sneak paths set their voltages).
//!
//! Three solves of the full circuit: the array as it is; the worst case for
//! reading an ON cell (selected at `gon`, every other device at `goff`); and
//! the worst case for an OFF cell (selected at `goff`, every other at `gon`).
//! `gon`/`goff` default to the model's conductance window, else to the
//! largest/smallest state in the array. The read margin is
//! ΔI = I_col(on, others off) − I_col(off, others on), also relative to
//! I_col(on, others off).

pub mod card;
use super::{drive_port, Engine};
use crate::circuit::Circuit;
use crate::solve::SolveFailure;

pub use crate::circuit::bias::Scheme;

/// Settings of one `.read` card.
#[derive(Clone, Debug)]
pub struct ReadSpec {
    pub xbar: usize,
    pub row: usize,
    pub col: usize,
    pub v: f64,
    pub scheme: Scheme,
    pub rdrive: f64,
    pub rsense: f64,
    pub gon: Option<f64>,
    pub goff: Option<f64>,
}

/// One solved case.
#[derive(Clone, Debug)]
pub struct ReadCase {
    pub name: &'static str,
    pub g_selected: Option<f64>,
    pub g_others: Option<f64>,
    pub v_cell: f64,
    pub i_cell: f64,
    pub i_column: f64,
    pub i_sneak: f64,
}

pub struct ReadResult {
    pub cases: Vec<ReadCase>,
    pub gon: f64,
    pub goff: f64,
    /// ΔI = I_col(on, others off) − I_col(off, others on).
    pub margin: f64,
    pub margin_rel: f64,
}

/// The circuit with the read bias added; returns it and the sense source index.
fn biased(c: &Circuit, s: &ReadSpec) -> (Circuit, usize) {
    let mut c = c.clone();
    let xb = c.crossbars[s.xbar].clone();
    let (vr, vc) = s.scheme.unselected(s.v);
    for i in 0..xb.rows {
        let volts = if i == s.row { Some(s.v) } else { vr };
        if let Some(volts) = volts {
            drive_port(
                &mut c,
                xb.w[i],
                &format!("{}.read_row{i}", xb.name),
                volts,
                s.rdrive,
                xb.span,
            );
        }
    }
    let mut sense = 0;
    for j in 0..xb.cols {
        if j == s.col {
            sense = drive_port(
                &mut c,
                xb.s[j],
                &format!("{}.read_col{j}", xb.name),
                0.0,
                s.rsense,
                xb.span,
            );
        } else if let Some(volts) = vc {
            drive_port(
                &mut c,
                xb.s[j],
                &format!("{}.read_col{j}", xb.name),
                volts,
                s.rsense,
                xb.span,
            );
        }
    }
    (c, sense)
}

fn solve_case(
    c: &Circuit,
    s: &ReadSpec,
    name: &'static str,
    sel: Option<f64>,
    others: Option<f64>,
) -> Result<ReadCase, SolveFailure> {
    let (mut cc, sense) = biased(c, s);
    let xb = cc.crossbars[s.xbar].clone();
    let seli = xb.device(s.row, s.col);
    if let Some(g) = others {
        for k in xb.first_device..xb.first_device + xb.rows * xb.cols {
            cc.memristors[k].g = g;
        }
    }
    if let Some(g) = sel {
        cc.memristors[seli].g = g;
    }
    if let Err(d) = crate::circuit::validate::validate(&cc, None, true) {
        return Err(SolveFailure::Invalid(
            d.0.iter()
                .map(|x| x.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
        ));
    }
    let mut e = Engine::new(&cc)?;
    e.solve()?;
    let cur = e.source_currents();
    let m = &cc.memristors[seli];
    let v_cell = e.sys.v[m.a.idx()] - e.sys.v[m.b.idx()];
    let i_cell = cc.models[m.model as usize]
        .law
        .current_dev(m.g, m.ns, v_cell);
    let i_column = cur[sense];
    Ok(ReadCase {
        name,
        g_selected: sel,
        g_others: others,
        v_cell,
        i_cell,
        i_column,
        i_sneak: i_column - i_cell,
    })
}

pub fn run(c: &Circuit, s: &ReadSpec) -> Result<ReadResult, SolveFailure> {
    let xb = &c.crossbars[s.xbar];
    let states: Vec<f64> = (0..xb.rows * xb.cols)
        .map(|k| c.memristors[xb.first_device + k].g)
        .collect();
    let window = c.models[xb.model as usize].g_window;
    let gon = s
        .gon
        .or(window.map(|w| w.1))
        .unwrap_or_else(|| states.iter().cloned().fold(0.0, f64::max));
    let goff = s
        .goff
        .or(window.map(|w| w.0))
        .unwrap_or_else(|| states.iter().cloned().fold(f64::INFINITY, f64::min));
    let actual = solve_case(c, s, "as_is", None, None)?;
    let on = solve_case(c, s, "worst_on", Some(gon), Some(goff))?;
    let off = solve_case(c, s, "worst_off", Some(goff), Some(gon))?;
    let margin = on.i_column - off.i_column;
    let margin_rel = if on.i_column != 0.0 {
        margin / on.i_column
    } else {
        0.0
    };
    Ok(ReadResult {
        cases: vec![actual, on, off],
        gon,
        goff,
        margin,
        margin_rel,
    })
}

super::crossbar_analysis!(
    ReadSpec,
    "read",
    run(s, cx) {
        Ok(super::Outcome::Read(s, run(cx.c, s)?))
    }
);
