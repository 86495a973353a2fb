//! Reading card arguments into numbers: parameters evaluated, resistances
//! range-checked, every error kept with its span. Shared by the circuit's
//! elaboration and the analyses' card parsers.

use super::params::Params;
use crate::netlist::{Arg, ArgValue, Deck, Diagnostic, Span, Value};

/// Smallest and largest resistance accepted anywhere (elements, line
/// segments, drivers, sense): beyond them 1/R is not a conductance the
/// equations can carry (4e-320 ohm gives an infinite one).
pub const MIN_OHMS: f64 = 1e-18;
pub const MAX_OHMS: f64 = 1e18;

/// Card arguments that are resistances (checked by `arg_value`).
const RESISTANCE_KEYS: [&str; 2] = ["rdrive", "rsense"];

/// A number for a message: plain when it reads well, else scientific (a
/// subnormal printed plainly is 320 zeros).
pub fn show(x: f64) -> String {
    if x == 0.0 || (1e-4..1e15).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// A resistance within [`MIN_OHMS`, `MAX_OHMS`].
pub fn resistance_ok(r: f64) -> bool {
    (MIN_OHMS..=MAX_OHMS).contains(&r)
}

/// Reads argument values, collecting errors in `errors`.
pub struct ArgReader<'a> {
    pub params: &'a mut Params,
    pub errors: &'a mut Vec<Diagnostic>,
}

impl ArgReader<'_> {
    /// A card's numeric value (see [`Params::eval_value`]); errors are kept.
    pub fn value(&mut self, v: &Value) -> Option<f64> {
        match self.params.eval_value(v) {
            Ok(x) => Some(x),
            Err(d) => {
                self.errors.push(d);
                None
            }
        }
    }

    /// An argument's numeric value; `rdrive=`/`rsense=` must be 0 (none) or
    /// a resistance in [`MIN_OHMS`, `MAX_OHMS`].
    pub fn arg_value(&mut self, a: &Arg) -> Option<f64> {
        match &a.value {
            ArgValue::Value(v) if RESISTANCE_KEYS.contains(&a.key.text.as_str()) => {
                // 0 means none (an ideal connection); anything else must be a
                // resistance the equations can carry.
                let x = self.value(v)?;
                if x > 0.0 && !resistance_ok(x) {
                    self.errors.push(Diagnostic::new(
                        v.span,
                        format!(
                            "'{}' must be 0 or {MIN_OHMS:e}..{MAX_OHMS:e} ohm, got {}",
                            a.key.text,
                            show(x)
                        ),
                    ));
                    return None;
                }
                Some(x)
            }
            ArgValue::Value(v) => self.value(v),
            other => {
                let mut d = Diagnostic::new(
                    other.span(&a.key),
                    format!("'{}' needs a numeric value", a.key.text),
                );
                // `levels=14u,30u`: the comma ended the value and `30u` reads
                // as a parameter name of its own.
                if crate::netlist::units::parse_number(&a.key.text).is_some() {
                    d = d.with_hint("a list of values goes in quotes, e.g. levels=\"14u,30u,60u\"");
                }
                self.errors.push(d);
                None
            }
        }
    }

    /// A numeric argument checked by `ok` (`what` says the rule).
    pub fn num_arg(&mut self, a: &Arg, ok: impl Fn(f64) -> bool, what: &str) -> Option<f64> {
        let x = self.arg_value(a)?;
        if ok(x) {
            Some(x)
        } else {
            self.errors.push(Diagnostic::new(
                a.value.span(&a.key),
                format!("'{}' must be {what}, got {x}", a.key.text),
            ));
            None
        }
    }

    /// A seed: a whole number >= 0 (below 9e15, exact in a double).
    pub fn seed_arg(&mut self, a: &Arg) -> Option<u64> {
        self.num_arg(
            a,
            |x| x >= 0.0 && x.fract() == 0.0 && x < 9.0e15,
            "a whole number >= 0",
        )
        .map(|x| x as u64)
    }

    /// A switch: 0 or 1.
    pub fn flag_arg(&mut self, a: &Arg) -> Option<bool> {
        self.num_arg(a, |x| x == 0.0 || x == 1.0, "0 or 1")
            .map(|x| x == 1.0)
    }

    /// Raw lower-case text of an argument's value (words such as `v/2`).
    pub fn raw_value(deck: &Deck, a: &Arg) -> String {
        raw_text(deck, a.value.span(&a.key))
    }
}

/// A file named on a card (`file("p")` at `span`), relative to the netlist
/// file the card is written in.
pub fn file_path(deck: &Deck, p: &str, span: Span) -> std::path::PathBuf {
    deck.sources
        .path(span.file)
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default()
        .join(p)
}

/// The text at `span`, trimmed, quotes removed, lower case.
pub fn raw_text(deck: &Deck, span: Span) -> String {
    deck.sources
        .text(span.file)
        .get(span.start..span.end)
        .unwrap_or("")
        .trim()
        .trim_matches('"')
        .to_ascii_lowercase()
}
