//! What every analysis card parser shares: the deck, the circuit, the
//! parameters and the error list ([`CardCtx`]), and the readers of the
//! arguments analyses have in common (crossbar name, bias scheme, ...).

use super::Analysis;
use crate::circuit::args::{ArgReader, TimeInValue};
use crate::circuit::bias::Scheme;
use crate::circuit::params::Params;
use crate::circuit::Circuit;
use crate::netlist::{Arg, Card, Deck, Diagnostic, Name, Span, Value};

/// The context of one analysis card: errors go to `errors`, with spans.
pub struct CardCtx<'a> {
    pub deck: &'a Deck,
    pub c: &'a Circuit,
    pub params: &'a mut Params,
    pub errors: &'a mut Vec<Diagnostic>,
}

/// The name of a directive card (`op`, `dc`, `read`, ...), None for the
/// cards that are not directives of the analysis kind (`.param`, ...).
pub fn directive(card: &Card) -> Option<(&str, Span)> {
    match card {
        Card::Op(span) => Some(("op", *span)),
        Card::Dc { span, .. } => Some(("dc", *span)),
        Card::Directive { kind, .. } => Some((kind.text.as_str(), kind.span)),
        _ => None,
    }
}

/// The parts of a generic directive card: its kind, words and arguments.
pub fn parts(card: &Card) -> Option<(&Name, &[Name], &[Arg])> {
    match card {
        Card::Directive { kind, words, args } => Some((kind, words, args)),
        _ => None,
    }
}

/// Read a card whose parser plans at most one analysis: push what `parse`
/// returns.
pub fn push<T: Analysis>(
    cx: &mut CardCtx,
    card: &Card,
    planned: &mut Vec<Box<dyn Analysis>>,
    parse: fn(&mut CardCtx, &Name, &[Name], &[Arg]) -> Option<T>,
) {
    if let Some((kind, words, args)) = parts(card) {
        if let Some(spec) = parse(cx, kind, words, args) {
            planned.push(Box::new(spec));
        }
    }
}

impl CardCtx<'_> {
    /// The argument reader over this card's parameters and errors.
    pub fn args(&mut self) -> ArgReader<'_> {
        ArgReader {
            params: self.params,
            errors: self.errors,
            time: TimeInValue::Refuse,
        }
    }

    /// A numeric value (parameters evaluated); errors are kept.
    pub fn value(&mut self, v: &Value) -> Option<f64> {
        self.args().value(v)
    }

    /// An argument's numeric value (see [`ArgReader::arg_value`]).
    pub fn arg_value(&mut self, a: &Arg) -> Option<f64> {
        self.args().arg_value(a)
    }

    /// A numeric argument checked by `ok` (`what` says the rule).
    pub fn num_arg(&mut self, a: &Arg, ok: impl Fn(f64) -> bool, what: &str) -> Option<f64> {
        self.args().num_arg(a, ok, what)
    }

    /// A seed: a whole number >= 0.
    pub fn seed_arg(&mut self, a: &Arg) -> Option<u64> {
        self.args().seed_arg(a)
    }

    /// A switch: 0 or 1.
    pub fn flag_arg(&mut self, a: &Arg) -> Option<bool> {
        self.args().flag_arg(a)
    }

    /// Raw lower-case text of an argument's value (words such as `v/2`).
    pub fn raw_value(deck: &Deck, a: &Arg) -> String {
        ArgReader::raw_value(deck, a)
    }

    /// The crossbar named by an analysis card's first word (its index), or an error.
    pub fn crossbar_arg(
        &mut self,
        kind: &Name,
        words: &[Name],
        directive: &str,
        usage: &str,
    ) -> Option<usize> {
        let Some(xname) = words.first() else {
            self.errors.push(
                Diagnostic::new(kind.span, format!("{directive} needs the crossbar's name"))
                    .with_hint(usage),
            );
            return None;
        };
        let found = self.c.crossbars.iter().position(|x| x.name == xname.text);
        match found {
            None => self.errors.push(Diagnostic::new(
                xname.span,
                format!("no crossbar named '{}'", xname.text),
            )),
            // Reads and their sizing go through the whole circuit; the other
            // analyses model a device straight between its row and column.
            Some(k)
                if self.c.crossbars[k].selector.is_some()
                    && !matches!(directive, ".read" | ".sizing") =>
            {
                self.errors.push(
                    Diagnostic::new(
                        xname.span,
                        format!("crossbar '{}' has a selector in every cell; {directive} models arrays without one", xname.text),
                    )
                    .with_hint("with selectors: .op, .dc, .read and .sizing metric=read"),
                );
                return None;
            }
            Some(_) => {}
        }
        found
    }

    /// A worst-case read needs gon > goff (given, or else the model's
    /// window): the other way round its "margin" would be a swapped one.
    pub fn window_ok(
        &mut self,
        xbar: usize,
        gon: Option<f64>,
        goff: Option<f64>,
        at: Span,
    ) -> bool {
        let window = self.c.models[self.c.crossbars[xbar].model as usize].g_window;
        let on = gon.or(window.map(|w| w.1));
        let off = goff.or(window.map(|w| w.0));
        match (on, off) {
            (Some(on), Some(off)) if on <= off => {
                self.errors.push(
                    Diagnostic::new(
                        at,
                        format!("gon ({on:.4e} S) must be larger than goff ({off:.4e} S)"),
                    )
                    .with_hint("gon is the ON (high) conductance, goff the OFF (low) one"),
                );
                false
            }
            _ => true,
        }
    }

    /// A write scheme word (v/2, v/3, float; `ground` too when `read`).
    pub fn scheme_arg(&mut self, deck: &Deck, a: &Arg, read: bool) -> Option<Scheme> {
        let raw = Self::raw_value(deck, a);
        match Scheme::parse(&raw) {
            Some(Scheme::Ground) if !read => {
                self.errors.push(Diagnostic::new(a.value.span(&a.key), "a write scheme must be v/2, v/3 or float").with_hint("ground biases every unselected device at -V or 0: use it for reads (read_scheme=ground)"));
                None
            }
            Some(sc) => Some(sc),
            None => {
                self.errors.push(
                    Diagnostic::new(a.value.span(&a.key), format!("unknown scheme '{raw}'"))
                        .with_hint(if read {
                            "schemes: ground, v/2, v/3, float"
                        } else {
                            "schemes: v/2, v/3, float"
                        }),
                );
                None
            }
        }
    }

    /// The required arguments of a card on one cell: `row=`, `col=`, `v=`.
    pub fn cell_needs(row: usize, col: usize, v: f64) -> [(bool, &'static str); 3] {
        [
            (row != usize::MAX, "row=<i>"),
            (col != usize::MAX, "col=<j>"),
            (v.is_finite(), "v=<V>"),
        ]
    }

    /// The card's required arguments: for each `(given, what)` not given,
    /// "<.directive> needs <what>", unless the card already had errors
    /// (beyond the first `n0`).
    pub fn require(&mut self, n0: usize, kind: &Name, usage: &str, needs: &[(bool, &str)]) {
        for (ok, what) in needs {
            if !ok && self.errors.len() == n0 {
                self.errors.push(
                    Diagnostic::new(kind.span, format!(".{} needs {what}", kind.text))
                        .with_hint(usage),
                );
            }
        }
    }

    /// `xbar` if the crossbar's model has switching dynamics (else an error
    /// at `at`, the crossbar's name on the card).
    pub fn with_dynamics(&mut self, xbar: usize, at: &Name, directive: &str) -> Option<usize> {
        let m = &self.c.models[self.c.crossbars[xbar].model as usize];
        if m.dynamics.is_some() {
            return Some(xbar);
        }
        self.errors.push(
            Diagnostic::new(
                at.span,
                format!(
                    "{directive}: model '{}' of this crossbar has no switching dynamics",
                    m.name
                ),
            )
            .with_hint(
                "add dyn=nili (or vteam, levels, quantized) and gmin/gmax to its .model card",
            ),
        );
        None
    }
}
