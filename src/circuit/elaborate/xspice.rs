//! ngspice's XSPICE memristor code model: `.model name memristor (RMIN RMAX
//! RINIT ALPHA BETA VT)` and its `Aname n+ n- name` elements.
//!
//! The code model is Pershin and Di Ventra's threshold memristor: in a
//! transient its resistance moves, between RMIN and RMAX, at a rate
//! f(V) = BETA·V + ½(ALPHA − BETA)(|V + VT| − |V − VT|). Its DC and AC
//! analyses take the resistance it starts with, RINIT (its source says so),
//! so here, with no transient analysis, it is a linear resistor of RINIT,
//! said once per element with a warning. (ngspice's DC load sets the
//! current but no conductance, so its Newton converges only slowly to the
//! same point; ngspice 39's `.dc` sweep of one fails.)

use super::*;

/// The code model's parameters and their defaults (its interface file's).
const KEYS: [(&str, f64); 6] = [
    ("rmin", 10.0),
    ("rmax", 1e4),
    ("rinit", 7e3),
    ("alpha", 0.0),
    ("beta", 1.0),
    ("vt", 0.0),
];

/// An XSPICE memristor model in DC: its starting resistance (Ω).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct XspiceMemristor {
    rinit: f64,
}

/// A `memristor` model card is the XSPICE one when it names one of the
/// code model's own parameters (RMIN, RMAX, RINIT, VT, ALPHA) and nothing
/// outside its six. (BETA alone is also xbarsim's sinh level's, and an empty
/// card is xbarsim's linear law.)
pub(super) fn is_xspice_memristor(args: &[Arg]) -> bool {
    let keys = || args.iter().map(|a| a.key.text.as_str());
    keys().all(|k| KEYS.iter().any(|(n, _)| *n == k))
        && keys().any(|k| matches!(k, "rmin" | "rmax" | "rinit" | "vt" | "alpha"))
}

impl Elab {
    /// An XSPICE `memristor` model card (see [`is_xspice_memristor`]).
    pub(super) fn xspice_model(&mut self, args: &[Arg]) -> Option<XspiceMemristor> {
        let mut p: Vec<f64> = KEYS.iter().map(|(_, d)| *d).collect();
        let mut ok = true;
        for a in args {
            let k = KEYS.iter().position(|(n, _)| *n == a.key.text);
            match (k, self.arg_value(a)) {
                (Some(k), Some(x)) if x.is_finite() => p[k] = x,
                (_, None) => ok = false,
                (_, Some(x)) => {
                    self.errors.push(Diagnostic::new(
                        a.key.span,
                        format!("{}={}: not a finite number", a.key.text, show(x)),
                    ));
                    ok = false;
                }
            }
        }
        let rinit = p[2];
        if ok && !resistance_ok(rinit) {
            let at = args
                .iter()
                .find(|a| a.key.text == "rinit")
                .map_or_else(|| args[0].key.span, |a| a.key.span);
            self.errors.push(Diagnostic::new(
                at,
                format!(
                    "rinit, the XSPICE memristor's starting resistance, must be {MIN_OHMS:e}..{MAX_OHMS:e} ohm, got {}",
                    show(rinit)
                ),
            ));
            ok = false;
        }
        ok.then_some(XspiceMemristor { rinit })
    }

    /// An `A` element of the XSPICE memristor: in DC, a resistor of RINIT.
    pub(super) fn xspice_memristor(
        &mut self,
        name: Name,
        nodes: [Name; 2],
        model: Name,
        model_index: &HashMap<String, u32>,
    ) {
        let m = match self.xspice.get(&model.text) {
            Some(Some(m)) => *m,
            Some(None) => return, // the model card's error is reported
            None => {
                let msg = if model_index.contains_key(&model.text) {
                    format!(
                        "'{}' is an xbarsim memristor model, not ngspice's XSPICE memristor",
                        model.text
                    )
                } else {
                    format!("unknown XSPICE model '{}'", model.text)
                };
                self.errors.push(Diagnostic::new(model.span, msg).with_hint(
                    "an A element takes `.model <name> memristor (rmin=... rmax=... rinit=... alpha=... beta=... vt=...)`; xbarsim's own memristors are YMEMRISTOR elements",
                ));
                return;
            }
        };
        self.c.warnings.push(
            Diagnostic::new(
                name.span,
                format!(
                    "XSPICE memristor '{}': a DC analysis takes it as its starting resistance rinit = {} ohm",
                    name.text,
                    show(m.rinit)
                ),
            )
            .with_hint("as ngspice's code model does in DC; its threshold dynamics act only in a transient, which xbarsim does not run")
            .warning(),
        );
        let (a, b) = self.two_nodes(&nodes);
        self.c.resistors.push(Resistor {
            name: name.text.into_boxed_str(),
            a,
            b,
            g: 1.0 / m.rinit,
        });
    }
}
