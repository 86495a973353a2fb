//! `.model name SW (VT VH RON ROFF)` cards and `S` elements: a
//! voltage-controlled switch, in DC a conductance 1/RON or 1/ROFF chosen by
//! its controlling voltage vc = V(nc+) − V(nc−): on above VT + VH, off below
//! VT − VH, and in between (the hysteresis band, VH > 0) its initial state
//! (`ON` on the card, else off). It is a B-source reading two voltages:
//! I = V(n+, n−)·(vc > VT+VH ? 1/RON : vc < VT−VH ? 1/ROFF : g_initial).

use super::*;
use crate::netlist::expr::{BinOp, Func};

/// A switch model's parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct SwitchModel {
    vt: f64,
    vh: f64,
    ron: f64,
    roff: Option<f64>,
}

impl Elab {
    /// A `.model name SW (...)` card.
    pub(super) fn switch_model(&mut self, args: &[Arg]) -> Option<SwitchModel> {
        let mut m = SwitchModel {
            vt: 0.0,
            vh: 0.0,
            ron: 1.0,
            roff: None,
        };
        let mut ok = true;
        for a in args {
            let Some(x) = self.arg_value(a) else {
                ok = false;
                continue;
            };
            let k = a.key.text.as_str();
            match k {
                "vt" if x.is_finite() => m.vt = x,
                "vh" if x.is_finite() && x >= 0.0 => m.vh = x,
                "ron" if resistance_ok(x) => m.ron = x,
                "roff" if resistance_ok(x) => m.roff = Some(x),
                "vt" | "vh" | "ron" | "roff" => {
                    self.errors.push(Diagnostic::new(
                        a.key.span,
                        format!("switch parameter {k}={}: out of range", show(x)),
                    ));
                    ok = false;
                }
                _ => {
                    self.errors.push(
                        Diagnostic::new(a.key.span, format!("unknown switch parameter '{k}'"))
                            .with_hint("SW parameters: VT VH RON ROFF"),
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(m)
    }

    /// An `S` element.
    pub(super) fn switch(&mut self, name: Name, nodes: [Name; 4], model: Name, on: bool) {
        let m = match self.switches.get(&model.text) {
            Some(Some(m)) => *m,
            Some(None) => return, // the model card's error is reported
            None => {
                self.errors.push(
                    Diagnostic::new(model.span, format!("unknown switch model '{}'", model.text))
                        .with_hint(
                            "define it with `.model <name> SW (VT=... VH=... RON=... ROFF=...)`",
                        ),
                );
                return;
            }
        };
        let gon = 1.0 / m.ron;
        // ngspice's default ROFF is 1/gmin.
        let goff = m.roff.map_or(self.c.options.gmin, |r| 1.0 / r);
        let span = name.span;
        let [a, b, cp, cn] = nodes;
        let volt = |p: &Name, q: &Name| Expr::Volt(p.text.clone(), Some(q.text.clone()), span);
        let vc = volt(&cp, &cn);
        let cond =
            |op: BinOp, at: f64| Expr::Bin(op, Box::new(vc.clone()), Box::new(Expr::Num(at)));
        let g = Expr::Call(
            Func::If,
            vec![
                cond(BinOp::Gt, m.vt + m.vh),
                Expr::Num(gon),
                Expr::Call(
                    Func::If,
                    vec![
                        cond(BinOp::Lt, m.vt - m.vh),
                        Expr::Num(goff),
                        Expr::Num(if on { gon } else { goff }),
                    ],
                    span,
                ),
            ],
            span,
        );
        let law = Expr::Bin(BinOp::Mul, Box::new(volt(&a, &b)), Box::new(g));
        self.bsource(&name, &[a, b], &law, span, false);
    }
}
