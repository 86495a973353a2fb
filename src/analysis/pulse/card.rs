//! The `.pulse` card: `.pulse XB row=<i> col=<j> v=<V> [count=1] [tp=1m]
//! [scheme=v/2] [read=0]`; consecutive cards on one crossbar make one
//! sequence, whose first card may also set `seed= rdrive= rsense= vread=
//! read_scheme= disturb=`.

use super::super::card::{parts, CardCtx};
use super::super::Analysis;
use super::{PulseSeq, PulseStep};
use crate::circuit::bias::Scheme;
use crate::netlist::{Card, Diagnostic};
use std::any::Any;

/// `.pulse XB row=<i> col=<j> v=<V> [count=1] [tp=1m] [scheme=v/2] [read=0]`;
/// the first card of a run of consecutive `.pulse` cards on one crossbar may
/// also set `seed= rdrive= rsense= vread= read_scheme= disturb=`.
pub fn read(cx: &mut CardCtx, card: &Card, planned: &mut Vec<Box<dyn Analysis>>) {
    let Some((kind, words, args)) = parts(card) else {
        return;
    };
    let deck = cx.deck;
    let usage = ".pulse XB row=<i> col=<j> v=<V> [count=1] [tp=1m] [scheme=v/2|v/3|float] [read=0|1] [seed=1] [rdrive=1] [rsense=1] [vread=0.25] [read_scheme=ground] [disturb=1]";
    let Some(xbar) = cx
        .crossbar_arg(kind, words, ".pulse", usage)
        .and_then(|x| cx.with_dynamics(x, &words[0], ".pulse"))
    else {
        return;
    };
    let (rows, cols) = (cx.c.crossbars[xbar].rows, cx.c.crossbars[xbar].cols);
    let n0 = cx.errors.len();
    let mut step = PulseStep {
        row: usize::MAX,
        col: usize::MAX,
        v: f64::NAN,
        count: 1,
        tp: 1e-3,
        scheme: Scheme::Half,
        read: false,
    };
    let mut seq = PulseSeq::new(xbar);
    let mut seq_keys = false;
    for a in args {
        let key = a.key.text.as_str();
        match key {
            "row" | "col" => {
                let lim = if key == "row" { rows } else { cols };
                if let Some(x) = cx.num_arg(
                    a,
                    |x| x >= 0.0 && x.fract() == 0.0 && (x as usize) < lim,
                    &format!("a whole number in 0..{}", lim - 1),
                ) {
                    if key == "row" {
                        step.row = x as usize
                    } else {
                        step.col = x as usize
                    }
                }
            }
            "v" => {
                if let Some(x) = cx.num_arg(
                    a,
                    |x| x.is_finite() && x.abs() <= 100.0,
                    "a voltage within +-100 V",
                ) {
                    step.v = x
                }
            }
            "count" => {
                if let Some(x) = cx.num_arg(
                    a,
                    |x| x >= 1.0 && x.fract() == 0.0 && x <= 1e6,
                    "a whole number in 1..1e6",
                ) {
                    step.count = x as usize
                }
            }
            "tp" => {
                if let Some(x) = cx.num_arg(a, |x| x > 0.0 && x.is_finite(), "> 0 s") {
                    step.tp = x
                }
            }
            "read" => {
                if let Some(x) = cx.flag_arg(a) {
                    step.read = x
                }
            }
            "scheme" => {
                if let Some(sc) = cx.scheme_arg(deck, a, false) {
                    step.scheme = sc
                }
            }
            "read_scheme" => {
                seq_keys = true;
                if let Some(sc) = cx.scheme_arg(deck, a, true) {
                    seq.read_scheme = sc
                }
            }
            "seed" => {
                seq_keys = true;
                if let Some(x) = cx.seed_arg(a) {
                    seq.seed = x
                }
            }
            "disturb" => {
                seq_keys = true;
                if let Some(x) = cx.flag_arg(a) {
                    seq.disturb = x
                }
            }
            "rdrive" | "rsense" | "vread" => {
                seq_keys = true;
                if let Some(x) = cx.num_arg(a, |x| x > 0.0 && x.is_finite(), "> 0") {
                    match key {
                        "rdrive" => seq.rdrive = x,
                        "rsense" => seq.rsense = x,
                        _ => seq.vread = x,
                    }
                }
            }
            other => cx.errors.push(
                Diagnostic::new(a.key.span, format!("unexpected .pulse parameter '{other}'"))
                    .with_hint(usage),
            ),
        }
    }
    let needs = CardCtx::cell_needs(step.row, step.col, step.v);
    cx.require(n0, kind, usage, &needs);
    if cx.errors.len() > n0 {
        return;
    }
    if let Some(prev) = planned
        .last_mut()
        .and_then(|a| (a.as_mut() as &mut dyn Any).downcast_mut::<PulseSeq>())
    {
        if prev.xbar == xbar {
            if seq_keys {
                cx.errors.push(Diagnostic::new(kind.span, "seed, rdrive, rsense, vread, read_scheme and disturb belong on the first .pulse card of a sequence"));
                return;
            }
            prev.steps.push(step);
            return;
        }
    }
    seq.steps.push(step);
    planned.push(Box::new(seq));
}
