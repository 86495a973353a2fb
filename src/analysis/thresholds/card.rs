//! The `.thresholds` card: `.thresholds XB [g_start=14u] [start_tol=0.1] [g_stop=50u]
//! [change=0.2] [vstart=0.2] [vstep=50m] [vmax=2.5] ...`.

use super::super::card::CardCtx;
use super::ThresholdSpec;
use crate::netlist::{Arg, Diagnostic, Name};

/// Most steps in one `.thresholds` ramp.
const MAX_RAMP_STEPS: f64 = 10_000.0;

/// `.thresholds XB [g_start=14u] [start_tol=0.1] [g_stop=50u] [change=0.2] [vstart=0.2] [vstep=50m] [vmax=2.5] ...`
pub fn parse(cx: &mut CardCtx, kind: &Name, words: &[Name], args: &[Arg]) -> Option<ThresholdSpec> {
    let deck = cx.deck;
    let usage = ".thresholds XB [g_start=14u] [start_tol=0.1] [g_stop=50u] [change=0.2] [vstart=0.2] [vstep=50m] [vmax=2.5] [tp=1m] [scheme=v/2|v/3|float] [read_scheme=ground] [vread=0.25] [seed=1] [rdrive=1] [rsense=1] [disturb=1]";
    let xbar = cx.crossbar_arg(kind, words, ".thresholds", usage)?;
    cx.with_dynamics(xbar, &words[0], ".thresholds")?;
    let n0 = cx.errors.len();
    let mut spec = ThresholdSpec::new(xbar);
    let pos = |x: f64| x > 0.0 && x.is_finite();
    let volts = |x: f64| x > 0.0 && x <= 100.0;
    let frac = |x: f64| x > 0.0 && x < 1.0;
    for a in args {
        let key = a.key.text.as_str();
        match key {
            "scheme" => {
                if let Some(sc) = cx.scheme_arg(deck, a, false) {
                    spec.scheme = sc;
                }
            }
            "read_scheme" => {
                if let Some(sc) = cx.scheme_arg(deck, a, true) {
                    spec.read_scheme = sc;
                }
            }
            "seed" => {
                if let Some(x) = cx.seed_arg(a) {
                    spec.seed = x
                }
            }
            "disturb" => {
                if let Some(x) = cx.flag_arg(a) {
                    spec.disturb = x
                }
            }
            "start_tol" | "change" => {
                if let Some(x) = cx.num_arg(a, frac, "a fraction in (0, 1)") {
                    if key == "change" {
                        spec.change = x
                    } else {
                        spec.start_tol = x
                    }
                }
            }
            "vstart" | "vstep" | "vmax" | "vread" => {
                if let Some(x) = cx.num_arg(a, volts, "in (0, 100] V") {
                    match key {
                        "vstart" => spec.vstart = x,
                        "vstep" => spec.vstep = x,
                        "vmax" => spec.vmax = x,
                        _ => spec.vread = x,
                    }
                }
            }
            "g_start" | "g_stop" | "tp" | "rdrive" | "rsense" => {
                if let Some(x) = cx.num_arg(a, pos, "> 0") {
                    match key {
                        "g_start" => spec.g_start = x,
                        "g_stop" => spec.g_stop = x,
                        "tp" => spec.tp = x,
                        "rdrive" => spec.rdrive = x,
                        _ => spec.rsense = x,
                    }
                }
            }
            other => cx.errors.push(
                Diagnostic::new(
                    a.key.span,
                    format!("unexpected .thresholds parameter '{other}'"),
                )
                .with_hint(usage),
            ),
        }
    }
    if cx.errors.len() > n0 {
        return None;
    }
    for (bad, what) in [
        (
            spec.g_stop <= spec.g_start,
            format!(
                "g_stop = {} S must exceed g_start = {} S",
                spec.g_stop, spec.g_start
            ),
        ),
        (
            spec.vstart > spec.vmax,
            format!(
                "vstart = {} V must not exceed vmax = {} V",
                spec.vstart, spec.vmax
            ),
        ),
        (
            // Every step of a ramp is a pulse and a read on every device.
            (spec.vmax - spec.vstart) / spec.vstep > MAX_RAMP_STEPS,
            format!(
                "a ramp from {} V to {} V in steps of {} V takes more than {MAX_RAMP_STEPS} pulses",
                spec.vstart, spec.vmax, spec.vstep
            ),
        ),
    ] {
        if bad {
            cx.errors
                .push(Diagnostic::new(kind.span, what).with_hint(usage));
            return None;
        }
    }
    Some(spec)
}
