//! The `.read` card: `.read XB row=<i> col=<j> v=<V> scheme=<v/2|v/3|float|ground>
//! [rdrive=<ohm>] [rsense=<ohm>] [gon=<S>] [goff=<S>]`.

use super::super::card::CardCtx;
use super::{ReadSpec, Scheme};
use crate::netlist::{Arg, Diagnostic, Name};

/// `.read XB row=<i> col=<j> v=<V> scheme=<v/2|v/3|float|ground> [rdrive=Ω] [rsense=Ω] [gon=S] [goff=S]`
pub fn parse(cx: &mut CardCtx, kind: &Name, words: &[Name], args: &[Arg]) -> Option<ReadSpec> {
    let deck = cx.deck;
    let usage = ".read XB row=<i> col=<j> v=<V> scheme=<v/2|v/3|float|ground> [rdrive=<ohm>] [rsense=<ohm>] [gon=<S>] [goff=<S>]";
    let xbar = cx.crossbar_arg(kind, words, ".read", usage)?;
    let (rows, cols) = (cx.c.crossbars[xbar].rows, cx.c.crossbars[xbar].cols);
    let mut spec = ReadSpec {
        xbar,
        row: usize::MAX,
        col: usize::MAX,
        v: f64::NAN,
        scheme: Scheme::Half,
        rdrive: 0.0,
        rsense: 0.0,
        gon: None,
        goff: None,
    };
    let mut have_scheme = false;
    let n0 = cx.errors.len();
    for a in args {
        let span = a.value.span(&a.key);
        match a.key.text.as_str() {
            "scheme" => {
                let text = deck
                    .sources
                    .text(span.file)
                    .get(span.start..span.end)
                    .unwrap_or("")
                    .to_ascii_lowercase();
                match Scheme::parse(text.trim()) {
                    Some(sc) => {
                        spec.scheme = sc;
                        have_scheme = true;
                    }
                    None => cx.errors.push(
                        Diagnostic::new(span, format!("unknown read scheme '{text}'"))
                            .with_hint("schemes: v/2, v/3, float, ground"),
                    ),
                }
            }
            key @ ("row" | "col") => {
                let lim = if key == "row" { rows } else { cols };
                match cx.arg_value(a) {
                    Some(x) if x >= 0.0 && x.fract() == 0.0 && (x as usize) < lim => {
                        if key == "row" {
                            spec.row = x as usize
                        } else {
                            spec.col = x as usize
                        }
                    }
                    Some(x) => cx.errors.push(Diagnostic::new(
                        span,
                        format!("{key} must be a whole number in 0..{}, got {x}", lim - 1),
                    )),
                    None => {}
                }
            }
            key @ ("v" | "rdrive" | "rsense" | "gon" | "goff") => match cx.arg_value(a) {
                Some(x) if key == "v" => spec.v = x,
                Some(x) if x >= 0.0 => match key {
                    "rdrive" => spec.rdrive = x,
                    "rsense" => spec.rsense = x,
                    "gon" => spec.gon = Some(x),
                    _ => spec.goff = Some(x),
                },
                Some(x) => cx.errors.push(Diagnostic::new(
                    span,
                    format!("'{key}' must be >= 0, got {x}"),
                )),
                None => {}
            },
            other => cx.errors.push(
                Diagnostic::new(a.key.span, format!("unexpected .read parameter '{other}'"))
                    .with_hint(usage),
            ),
        }
    }
    let mut needs = CardCtx::cell_needs(spec.row, spec.col, spec.v).to_vec();
    needs.push((have_scheme, "scheme=<v/2|v/3|float|ground>"));
    cx.require(n0, kind, usage, &needs);
    if cx.errors.len() == n0 && cx.window_ok(xbar, spec.gon, spec.goff, kind.span) {
        return Some(spec);
    }
    None
}
