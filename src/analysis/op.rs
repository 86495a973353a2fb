//! `.op`: the DC operating point of the netlist's circuit.

use super::{Analysis, Ctx, Engine, Outcome};
use crate::circuit::Circuit;
use crate::netlist::Card;
use crate::solve::{SolveFailure, Stats};

/// The `.op` card (a second one in a netlist adds nothing).
#[derive(Clone, Debug)]
pub struct OpSpec;

pub struct OpResult {
    pub names: Vec<String>,
    pub values: Vec<f64>,
    pub stats: Stats,
    /// Per crossbar, the voltage across each device (row-major).
    pub vcell: Vec<Vec<f64>>,
}

/// Read an `.op` card.
pub fn read(_cx: &mut super::card::CardCtx, _card: &Card, planned: &mut Vec<Box<dyn Analysis>>) {
    if !planned
        .iter()
        .any(|a| super::downcast::<OpSpec>(a.as_ref()).is_some())
    {
        planned.push(Box::new(OpSpec));
    }
}

/// Solve the operating point and list every output quantity.
pub fn run(e: &mut Engine) -> Result<OpResult, SolveFailure> {
    let stats = e.solve()?;
    let values = e.quantities();
    let v = &e.sys.v;
    let vcell =
        e.c.crossbars
            .iter()
            .map(|xb| {
                xb.t.iter()
                    .zip(&xb.b)
                    .map(|(t, b)| v[t.idx()] - v[b.idx()])
                    .collect()
            })
            .collect();
    Ok(OpResult {
        names: e.quantity_names(),
        values,
        stats,
        vcell,
    })
}

impl Analysis for OpSpec {
    fn directive(&self) -> &'static str {
        "op"
    }
    fn spice(&self, _c: &Circuit) -> String {
        ".op".into()
    }
    fn label(&self, _c: &Circuit) -> String {
        ".op failed".into()
    }
    fn run<'s>(&'s self, cx: &mut Ctx<'_, '_>) -> Result<Outcome<'s>, SolveFailure> {
        run(cx.engine).map(Outcome::Op)
    }
}
