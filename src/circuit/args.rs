//! Reading card arguments into numbers: parameters evaluated, resistances
//! range-checked, every error kept with its span. Shared by the circuit's
//! elaboration and the analyses' card parsers.

use super::params::Params;
use crate::netlist::expr::Func;
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

const HINT_LAW: &str = "as a SPICE operating point does; xbarsim has no transient analysis, so the element's DC law is the one at t = 0";
const HINT_VALUE: &str =
    "a parameter or a card's value is a number; a function of time belongs in a B, E, G or R law";

/// The warning for a function of time (`f`, called at `at`) that a DC
/// analysis takes at t = 0. In an element's law (`in_law`) the law is the
/// one at t = 0; in a parameter or a card's value it is evaluated once.
pub fn time_warning(f: Func, at: Span, in_law: bool) -> Diagnostic {
    let (what, hint) = match (f, in_law) {
        (Func::Ddt, true) => ("ddt() is a time derivative: a DC analysis takes it as 0", HINT_LAW),
        (_, true) => ("sdt()/idt() is a time integral from t = 0: a DC analysis takes it as its initial value (its second argument, else 0)", HINT_LAW),
        (Func::Ddt, false) => ("ddt() outside an element's law is evaluated once, at t = 0: it is 0", HINT_VALUE),
        (_, false) => ("sdt()/idt() outside an element's law is evaluated once, at t = 0: it is its initial value (its second argument, else 0)", HINT_VALUE),
    };
    Diagnostic::new(at, what).with_hint(hint).warning()
}

/// What a function of time (`sdt`, `idt`, `ddt`) in a value does.
pub enum TimeInValue<'a> {
    /// The circuit's values (sources, elements, models, instances): taken
    /// at t = 0, as a DC analysis takes the laws, with a warning here.
    Warn(&'a mut Vec<Diagnostic>),
    /// An analysis card's values: refused, an error.
    Refuse,
}

/// Reads argument values, collecting errors in `errors`.
pub struct ArgReader<'a> {
    pub params: &'a mut Params,
    pub errors: &'a mut Vec<Diagnostic>,
    pub time: TimeInValue<'a>,
}

impl ArgReader<'_> {
    /// A card's numeric value (see [`Params::eval_value`]); errors are kept.
    /// A function of time in it is warned of or refused, as `time` says.
    pub fn value(&mut self, v: &Value) -> Option<f64> {
        if let Some((f, at)) = v.expr.first_time_call() {
            match &mut self.time {
                TimeInValue::Warn(warnings) => warnings.push(time_warning(f, at, false)),
                TimeInValue::Refuse => {
                    self.errors.push(
                        Diagnostic::new(
                            at,
                            format!("{}() is a function of time: an analysis card's values are numbers", f.name()),
                        )
                        .with_hint("xbarsim's analyses are DC; a function of time belongs in a B, E, G or R law, where it is taken at t = 0"),
                    );
                    return None;
                }
            }
        }
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
