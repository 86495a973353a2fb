//! The `.vmm` card: `.vmm XB inputs=file("v.csv") [rdrive=<ohm>] [rsense=<ohm>]`.

use super::super::card::CardCtx;
use super::VmmSpec;
use crate::netlist::{Arg, ArgValue, Diagnostic, Name};

/// `.vmm XB inputs=file("v.csv") [rdrive=Ω] [rsense=Ω]`
pub fn parse(cx: &mut CardCtx, kind: &Name, words: &[Name], args: &[Arg]) -> Option<VmmSpec> {
    let deck = cx.deck;
    let usage = ".vmm XB inputs=file(\"inputs.csv\") [rdrive=<ohm>] [rsense=<ohm>]";
    let xbar = cx.crossbar_arg(kind, words, ".vmm", usage)?;
    let rows = cx.c.crossbars[xbar].rows;
    let (mut inputs, mut rdrive, mut rsense) = (None, 0.0, 0.0);
    for a in args {
        match (a.key.text.as_str(), &a.value) {
            ("inputs", ArgValue::File(p, s)) => {
                let path = crate::circuit::args::file_path(deck, p, *s);
                match crate::circuit::crossbar::read_rows(&path, None, rows, false) {
                    Ok((v, 0)) if v.is_empty() => cx
                        .errors
                        .push(Diagnostic::new(*s, "the input file has no vectors")),
                    Ok((v, _)) => inputs = Some(v),
                    Err(m) => cx.errors.push(Diagnostic::new(*s, m.to_string())),
                }
            }
            ("rdrive" | "rsense", _) => match cx.arg_value(a) {
                Some(x) if x >= 0.0 => {
                    if a.key.text == "rdrive" {
                        rdrive = x
                    } else {
                        rsense = x
                    }
                }
                Some(x) => cx.errors.push(Diagnostic::new(
                    a.value.span(&a.key),
                    format!("'{}' must be >= 0 ohm, got {x}", a.key.text),
                )),
                None => {}
            },
            (k, _) => cx.errors.push(
                Diagnostic::new(a.key.span, format!("unexpected .vmm parameter '{k}'"))
                    .with_hint("parameters: inputs=file(\"v.csv\") rdrive=<ohm> rsense=<ohm>"),
            ),
        }
    }
    match inputs {
        Some(inputs) => Some(VmmSpec {
            xbar,
            inputs,
            rdrive,
            rsense,
        }),
        None => {
            cx.errors.push(Diagnostic::new(
                kind.span,
                ".vmm needs inputs=file(\"<csv: one vector of N voltages per line>\")",
            ));
            None
        }
    }
}
