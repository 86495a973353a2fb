//! Xyce's memristor levels: `.model name memristor level=2|3|4 …` (TEAM,
//! Yakopcic, PEM, with Xyce's parameter names and defaults) and the
//! `YMEMRISTOR` instance parameters that set their initial state. DC uses
//! each law at the initial state (see [`crate::devices::memristor::iv`]);
//! the parameters of the switching dynamics and of the noise models are
//! accepted and change nothing here.

use super::*;

/// One level: its name, the parameters the static law reads with Xyce's
/// defaults, the other numeric parameters Xyce takes (dynamics, windows,
/// noise: accepted, unused in DC), and those that take a word or a file
/// name.
struct Level {
    name: &'static str,
    law: &'static [(&'static str, f64)],
    other: &'static [&'static str],
    words: &'static [&'static str],
}

/// Xyce 7.x's memristor device, `Xyce -doc Memristor <level>` tables
/// (Reference Guide) and the parameter lists of its device sources.
const TEAM: Level = Level {
    name: "TEAM",
    law: &[
        ("ron", 50.0),
        ("roff", 1000.0),
        ("xon", 0.0),
        ("xoff", 3e-9),
        ("xscaling", 1.0),
    ],
    other: &[
        "alphaoff",
        "alphaon",
        "aoff",
        "aon",
        "d",
        "ioff",
        "ion",
        "j",
        "koff",
        "kon",
        "p",
        "wc",
        "wt",
        "resseed",
        "reslambda",
        "restd",
        "reseptd",
        "resdelta",
        "resdeltagrad",
    ],
    words: &["resnoise"],
};

const YAKOPCIC: Level = Level {
    name: "Yakopcic",
    law: &[("a1", 1.0), ("a2", 1.0), ("b", 1.0)],
    other: &[
        "alphan",
        "alphap",
        "an",
        "ap",
        "eta",
        "vn",
        "vp",
        "xn",
        "xp",
        "xscaling",
        "resseed",
        "reslambda",
        "restd",
        "reseptd",
        "resdelta",
        "resdeltagrad",
        "xseed",
        "xlambda",
        "xtd",
        "xeptd",
        "xdelta",
        "xdeltagrad",
    ],
    words: &["resnoise", "xnoise"],
};

const PEM: Level = Level {
    name: "PEM",
    law: &[
        ("i1", 1.0),
        ("i2", 1.0),
        ("v1", 1.0),
        ("v2", 1.0),
        ("g0", 1.0),
    ],
    other: &["c1", "c2", "d1", "d2", "vn", "vp"],
    words: &["fxpdata", "fxmdata"],
};

fn level_of(n: u8) -> &'static Level {
    match n {
        2 => &TEAM,
        3 => &YAKOPCIC,
        _ => &PEM,
    }
}

impl Elab {
    /// A `.model … memristor level=<n>` card with a numeric level: Xyce's
    /// device of that level.
    pub(super) fn xyce_model(
        &mut self,
        name: &Name,
        level: f64,
        level_span: crate::netlist::Span,
        args: &[Arg],
    ) -> Option<MemristorModel> {
        let n = match level {
            2.0 => 2,
            3.0 => 3,
            4.0 => 4,
            _ => {
                self.errors.push(
                    Diagnostic::new(
                        level_span,
                        format!("unknown memristor level {}", show(level)),
                    )
                    .with_hint(
                        "Xyce's levels: 2 (TEAM), 3 (Yakopcic), 4 (PEM); xbarsim's: linear, sinh, cubic",
                    ),
                );
                return None;
            }
        };
        let lv = level_of(n);
        let n0 = self.errors.len();
        let mut p: Vec<f64> = lv.law.iter().map(|(_, d)| *d).collect();
        for a in args {
            let k = a.key.text.as_str();
            if k == "level" || lv.words.contains(&k) {
                continue;
            }
            if let Some(i) = lv.law.iter().position(|(key, _)| *key == k) {
                if let Some(v) = self.arg_value(a) {
                    p[i] = v;
                }
            } else if lv.other.contains(&k) {
                // Dynamics and noise: checked to be numbers, not used in DC.
                let _ = self.arg_value(a);
            } else {
                let mut all: Vec<&str> = lv.law.iter().map(|(k, _)| *k).collect();
                all.extend(lv.other);
                all.extend(lv.words);
                all.sort_unstable();
                self.errors.push(
                    Diagnostic::new(
                        a.key.span,
                        format!(
                            "unknown parameter '{}' for memristor level={n} ({})",
                            a.key.text, lv.name
                        ),
                    )
                    .with_hint(format!("parameters: level {}", all.join(" "))),
                );
            }
        }
        if self.errors.len() > n0 {
            return None;
        }
        let bad = |m: &str| Diagnostic::new(name.span, format!("memristor level={n}: {m}"));
        let law = match n {
            2 => {
                let [ron, roff, xon, xoff, s] = [p[0], p[1], p[2], p[3], p[4]];
                if !(ron > 0.0 && roff > 0.0 && s != 0.0 && xon != xoff) {
                    self.errors.push(bad(&format!(
                        "TEAM needs RON > 0, ROFF > 0, XON != XOFF and XSCALING != 0; got RON={} ROFF={} XON={} XOFF={} XSCALING={}",
                        show(ron), show(roff), show(xon), show(xoff), show(s)
                    )));
                    return None;
                }
                IvLaw::TeamLinear {
                    ron,
                    roff,
                    xon: xon * s,
                    xoff: xoff * s,
                }
            }
            3 => IvLaw::Yakopcic {
                a1: p[0],
                a2: p[1],
                b: p[2],
            },
            _ => {
                if p[2] == 0.0 || p[3] == 0.0 {
                    self.errors
                        .push(bad("PEM needs V1 and V2 != 0 (they divide V)"));
                    return None;
                }
                IvLaw::Pem {
                    i1: p[0],
                    i2: p[1],
                    v1: p[2],
                    v2: p[3],
                    g0: p[4],
                    by_sign: false,
                }
            }
        };
        if p.iter().any(|x| !x.is_finite()) {
            self.errors
                .push(bad("the law's parameters must be finite numbers"));
            return None;
        }
        Some(MemristorModel {
            name: name.text.clone(),
            law,
            g_default: None,
            g_window: None,
            dynamics: None,
        })
    }

    /// A `YMEMRISTOR` instance of an Xyce-level model `mi`: the index of
    /// the model (with the instance's law) and the initial state x.
    ///
    /// - level 2 (TEAM): `IVRELATION=0|1` (Xyce's instance parameter:
    ///   linear or exponential R(x)); the state from `XO=`/`X=` (in Xyce's
    ///   scaled units of x), `R_init=` (Ω, R(x) inverted) or `g=` (S, as
    ///   R_init = 1/g); by default x = 0, where Xyce's state starts.
    /// - level 3 (Yakopcic): `XO=` (or `X=`), default 0 as in Xyce.
    /// - level 4 (PEM): `XO=` (or `X=`); without it, Xyce's operating
    ///   point rule (x = 1 for V > 0, else 0).
    pub(super) fn xyce_instance(
        &mut self,
        name: &Name,
        mi: u32,
        args: &[Arg],
    ) -> Option<(u32, f64)> {
        let base = self.c.models[mi as usize].law;
        let level = base.xyce_level()?;
        let n0 = self.errors.len();
        let mut state: Option<(&Arg, &str, f64)> = None;
        let mut ivrelation = 0.0;
        for a in args {
            let k = a.key.text.as_str();
            match k {
                "xo" | "x" | "r_init" | "g" if level == 2 || !matches!(k, "r_init" | "g") => {
                    let Some(v) = self.arg_value(a) else {
                        continue;
                    };
                    if let Some((prev, pk, _)) = state {
                        self.errors.push(
                            Diagnostic::new(
                                a.key.span,
                                format!("memristor '{}': the state is given twice ({pk}= and {k}=)", name.text),
                            )
                            .with_note(prev.key.span, "first given here"),
                        );
                        continue;
                    }
                    state = Some((a, k, v));
                }
                "ivrelation" if level == 2 => {
                    if let Some(v) = self.arg_value(a) {
                        if v == 0.0 || v == 1.0 {
                            ivrelation = v;
                        } else {
                            self.errors.push(Diagnostic::new(
                                a.value.span(&a.key),
                                format!("IVRELATION must be 0 (linear) or 1 (exponential), got {}", show(v)),
                            ));
                        }
                    }
                }
                other => self.errors.push(
                    Diagnostic::new(
                        a.key.span,
                        format!(
                            "unknown memristor instance parameter '{other}' for an Xyce level={level} model"
                        ),
                    )
                    .with_hint(if level == 2 {
                        "instance parameters: ivrelation=0|1 and one of xo= (x=), r_init=<ohm>, g=<S>"
                    } else {
                        "instance parameters: xo= (or x=), the initial state"
                    }),
                ),
            }
        }
        if self.errors.len() > n0 {
            return None;
        }
        let (law, x) = match base {
            IvLaw::TeamLinear {
                ron,
                roff,
                xon,
                xoff,
            } => {
                let law = if ivrelation == 1.0 {
                    IvLaw::TeamExp {
                        ron,
                        lambda: (roff / ron).ln(),
                        xon,
                        xoff,
                    }
                } else {
                    base
                };
                let x = match state {
                    None => 0.0,
                    Some((_, "xo" | "x", x)) => x,
                    Some((a, k, v)) => {
                        let r = if k == "g" { 1.0 / v } else { v };
                        if !(r > 0.0 && r.is_finite()) {
                            self.errors.push(Diagnostic::new(
                                a.value.span(&a.key),
                                format!("{k} must be > 0 and finite, got {}", show(v)),
                            ));
                            return None;
                        }
                        law.team_state(r)
                    }
                };
                let r = law.team_resistance(x);
                if !(r > 0.0 && r.is_finite()) {
                    let at = state
                        .map(|(a, _, _)| a.value.span(&a.key))
                        .unwrap_or(name.span);
                    self.errors.push(
                        Diagnostic::new(
                            at,
                            format!(
                                "memristor '{}': at state x = {} its TEAM resistance would be {} Ω",
                                name.text,
                                show(x),
                                show(r)
                            ),
                        )
                        .with_hint("R(x) = RON + (x - XON)(ROFF - RON)/(XOFF - XON), XON and XOFF times XSCALING: keep x where R(x) > 0"),
                    );
                    return None;
                }
                (law, x)
            }
            IvLaw::Pem {
                i1, i2, v1, v2, g0, ..
            } => match state {
                Some((_, _, x)) => (base, x),
                None => (
                    IvLaw::Pem {
                        i1,
                        i2,
                        v1,
                        v2,
                        g0,
                        by_sign: true,
                    },
                    1.0,
                ),
            },
            _ => {
                let x = state.map_or(0.0, |s| s.2);
                if x == 0.0 {
                    self.c.warnings.push(
                        Diagnostic::new(
                            name.span,
                            format!(
                                "memristor '{}': state x = 0, so it carries no current in DC",
                                name.text
                            ),
                        )
                        .with_hint("XO=<x> sets its initial state (Xyce's default is 0)")
                        .warning(),
                    );
                }
                (base, x)
            }
        };
        if !x.is_finite() {
            self.errors.push(Diagnostic::new(
                name.span,
                format!("memristor '{}': state x must be finite", name.text),
            ));
            return None;
        }
        // One model entry per law in use: IVRELATION and PEM's default
        // state change the law, not the card.
        let m = &self.c.models[mi as usize];
        if law == m.law {
            return Some((mi, x));
        }
        let found = self
            .c
            .models
            .iter()
            .position(|o| o.name == m.name && o.law == law);
        let k = match found {
            Some(k) => k,
            None => {
                let mut d = m.clone();
                d.law = law;
                self.c.models.push(d);
                self.c.models.len() - 1
            }
        };
        Some((k as u32, x))
    }
}
