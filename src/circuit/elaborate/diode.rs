//! `.model name D (...)` cards and `D` elements: a junction diode is a
//! two-terminal branch with SPICE's level-1 law
//! ([`crate::devices::diode`]); its series resistance `RS` is a resistor to
//! an internal node `<name>#internal`.

use super::*;
use crate::devices::diode::{DiodeModel, C_TO_K};

/// Diode model parameters that only shape charge storage, noise or the
/// transient, not a DC result: accepted and unused in DC.
const NOT_DC: &[&str] = &[
    "cjo", "cj0", "cj", "vj", "pb", "m", "mj", "fc", "tt", "kf", "af", "cjp", "cjsw", "php",
    "vjsw", "mjsw", "fcs", "ffe", "cta", "ctp", "tpb", "tphp", "tlevc", "tm1", "tm2", "ttt1",
    "ttt2", "lm", "lp", "wm", "wp", "xom", "xoi", "xm", "xp", "sbd", "soft", "bv_max", "id_max",
    "pd_max", "te_max", "rth0", "cth0", "isr", "nr", "vp", "xw",
];

impl Elab {
    /// A `.model name D (...)` card.
    pub(super) fn diode_model(&mut self, args: &[Arg]) -> Option<DiodeModel> {
        let mut m = DiodeModel::default();
        let mut nbv = None;
        let mut ok = true;
        for a in args {
            let k = a.key.text.as_str();
            let Some(x) = self.arg_value(a) else {
                ok = false;
                continue;
            };
            let bad = |e: &mut Self, why: &str| {
                e.errors.push(Diagnostic::new(
                    a.key.span,
                    format!("diode parameter {k}={}: {why}", show(x)),
                ));
            };
            match k {
                "is" | "js" if x > 0.0 && x.is_finite() => m.is = x,
                "n" if x > 0.0 && x.is_finite() => m.n = x,
                "rs" if x >= 0.0 && x.is_finite() => m.rs = x,
                "bv" | "vb" | "vrev" | "var" if x > 0.0 && x.is_finite() => m.bv = Some(x),
                "ibv" | "ib" | "irev" if x > 0.0 && x.is_finite() => m.ibv = x,
                "nbv" if x > 0.0 && x.is_finite() => nbv = Some(x),
                "eg" if x > 0.0 && x.is_finite() => m.eg = x,
                "xti" if x.is_finite() => m.xti = x,
                "tnom" | "tref" if x > -C_TO_K && x.is_finite() => m.tnom = x,
                "tcv" if x.is_finite() => m.tcv = x,
                "trs" | "trs1" if x.is_finite() => m.trs1 = x,
                "trs2" if x.is_finite() => m.trs2 = x,
                "level" if x == 1.0 => {}
                "level" => {
                    bad(self, "xbarsim has the level-1 diode only");
                    ok = false;
                }
                "is" | "js" | "n" | "rs" | "bv" | "vb" | "vrev" | "var" | "ibv" | "ib" | "irev"
                | "nbv" | "eg" | "xti" | "tnom" | "tref" | "tcv" | "trs" | "trs1" | "trs2" => {
                    bad(self, "out of range");
                    ok = false;
                }
                "ikf" | "ik" | "ikr" | "jsw" | "isw" | "ns" | "jtun" | "jtunsw" | "ntun"
                | "xtitun" | "keg" => {
                    if x != 0.0 {
                        self.c.warnings.push(
                            Diagnostic::new(
                                a.key.span,
                                format!("diode parameter '{k}' is not modelled: its DC effect is left out"),
                            )
                            .with_hint("xbarsim's diode is SPICE level 1 with IS N RS BV IBV NBV EG XTI TNOM TCV TRS1 TRS2")
                            .warning(),
                        );
                    }
                }
                _ if NOT_DC.contains(&k) => {}
                _ => {
                    self.errors.push(
                        Diagnostic::new(a.key.span, format!("unknown diode parameter '{k}'"))
                            .with_hint("DC parameters: IS N RS BV IBV NBV EG XTI TNOM TCV TRS1 TRS2 (capacitance and noise parameters are accepted)"),
                    );
                    ok = false;
                }
            }
        }
        m.nbv = nbv.unwrap_or(m.n);
        ok.then_some(m)
    }

    /// The diode model called `name` (used at `at`): None, with the error
    /// reported, when there is none (or its card had errors, reported there).
    fn diode_model_named(&mut self, name: &str, at: Span) -> Option<DiodeModel> {
        match self.diodes.get(name) {
            Some(m) => m.clone(),
            None => {
                self.errors.push(
                    Diagnostic::new(at, format!("unknown diode model '{name}'"))
                        .with_hint("define it with `.model <name> D (IS=... N=... RS=... BV=...)`"),
                );
                None
            }
        }
    }

    /// A `D` element.
    pub(super) fn diode(
        &mut self,
        name: Name,
        nodes: [Name; 2],
        model: Name,
        area: Option<Value>,
        args: Vec<Arg>,
    ) {
        let Some(dm) = self.diode_model_named(&model.text, model.span) else {
            return;
        };
        let mut area_x = match &area {
            Some(v) => match self.value(v) {
                Some(x) => Some((x, v.span)),
                None => return,
            },
            None => None,
        };
        let mut mult = 1.0;
        let mut temp = self.c.temp;
        let mut dtemp = 0.0;
        for a in &args {
            let Some(x) = self.arg_value(a) else { return };
            match a.key.text.as_str() {
                "area" => area_x = Some((x, a.key.span)),
                "m" if x > 0.0 && x.is_finite() => mult = x,
                "temp" if x.is_finite() => temp = x,
                "dtemp" if x.is_finite() => dtemp = x,
                "ic" | "pj" | "w" | "l" => {}
                "m" | "temp" | "dtemp" => {
                    self.errors.push(Diagnostic::new(
                        a.key.span,
                        format!("{}={}: out of range", a.key.text, show(x)),
                    ));
                    return;
                }
                other => {
                    self.errors.push(
                        Diagnostic::new(
                            a.key.span,
                            format!("unknown diode instance parameter '{other}'"),
                        )
                        .with_hint("instance parameters: [area] off area= m= temp= dtemp= ic= pj="),
                    );
                    return;
                }
            }
        }
        let area = match area_x {
            Some((x, _)) if x > 0.0 && x.is_finite() => x,
            Some((x, span)) => {
                self.errors.push(Diagnostic::new(
                    span,
                    format!("diode area must be positive, got {}", show(x)),
                ));
                return;
            }
            None => 1.0,
        };
        let temp = temp + dtemp;
        let o = &self.c.options;
        let (law, gs) = dm.at(temp, area, mult, o.gmin, o.reltol);
        let (a, b) = self.two_nodes(&nodes);
        let junction = if gs > 0.0 {
            let inner = self.c.nodes.intern(&format!("{}#internal", name.text));
            self.c.resistors.push(Resistor {
                name: format!("rs#{}", name.text).into_boxed_str(),
                a,
                b: inner,
                g: gs,
            });
            inner
        } else {
            a
        };
        self.c.branches.push(ExprBranch {
            name: name.text.into_boxed_str(),
            a: junction,
            b,
            law: BranchLaw::Diode {
                law,
                model: Box::new(dm.flat(temp, area, mult)),
            },
        });
    }
}

impl Elab {
    /// The selector of a `.crossbar` card's cells from a diode model.
    pub(super) fn cell_selector(
        &mut self,
        model: &str,
        at: Span,
        both: bool,
    ) -> Option<crate::circuit::crossbar::CellSelector> {
        let dm = self.diode_model_named(model, at)?;
        if dm.rs > 0.0 {
            self.errors.push(
                Diagnostic::new(at, format!("the crossbar selector '{model}' has RS={}", show(dm.rs)))
                    .with_hint("a crossbar's selectors have no series resistance: use a model without RS, or a subcircuit per cell"),
            );
            return None;
        }
        let o = &self.c.options;
        let (law, _) = dm.at(self.c.temp, 1.0, 1.0, o.gmin, o.reltol);
        Some(crate::circuit::crossbar::CellSelector {
            law,
            model: dm.flat(self.c.temp, 1.0, 1.0),
            both,
        })
    }
}
