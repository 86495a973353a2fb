//! The `.program` card: `.program XB target=file("t.csv") [algorithm=wv|ispp|ff]
//! [scheme=v/2|v/3|float] [tol=] [cycles=] [seed=] ...`.

use super::super::card::CardCtx;
use super::{Algorithm, ProgramSpec};
use crate::netlist::{Arg, ArgValue, Diagnostic, Name};

/// `.program XB target=file("t.csv") [algorithm=wv|ispp|ff] [scheme=v/2|v/3|float] [tol=] [cycles=] [seed=] ...`
pub fn parse(cx: &mut CardCtx, kind: &Name, words: &[Name], args: &[Arg]) -> Option<ProgramSpec> {
    let deck = cx.deck;
    let usage = ".program XB target=file(\"t.csv\") [algorithm=wv|ispp|ff] [scheme=v/2|v/3|float] [tol=0.05] [aim=0.5] [cycles=3] [seed=1] [vread=0.25] [read_scheme=ground] [tp=1m] [vstart_set=0.8] [vstart_reset=0.8] [vstep_set=4m] [vstep_reset=8m] [vstep_coarse=50m] [vmax=2.5] [backoff=50m] [maxpulses=1000] [rdrive=1] [rsense=1] [disturb=1] [log=0]";
    let xbar = cx.crossbar_arg(kind, words, ".program", usage)?;
    cx.with_dynamics(xbar, &words[0], ".program")?;
    let (rows, cols) = (cx.c.crossbars[xbar].rows, cx.c.crossbars[xbar].cols);
    let n0 = cx.errors.len();
    let mut spec = ProgramSpec::new(xbar, Vec::new());
    let pos = |x: f64| x > 0.0 && x.is_finite();
    let nonneg = |x: f64| x >= 0.0 && x.is_finite();
    let whole = |x: f64| x >= 1.0 && x.fract() == 0.0 && x <= 1e9;
    for a in args {
        let key = a.key.text.as_str();
        match (key, &a.value) {
            ("target", ArgValue::File(p, sp)) => {
                let path = crate::circuit::args::file_path(deck, p, *sp);
                match crate::circuit::crossbar::read_matrix(&path, rows, cols) {
                    Ok(t) => match t.iter().position(|g| !(*g > 0.0 && g.is_finite())) {
                        None => spec.target = t,
                        Some(k) => cx.errors.push(Diagnostic::new(
                            *sp,
                            format!(
                                "target ({}, {}) must be a conductance > 0 S, got {}",
                                k / cols,
                                k % cols,
                                t[k]
                            ),
                        )),
                    },
                    Err(m) => cx.errors.push(Diagnostic::new(*sp, m.to_string())),
                }
            }
            ("target", _) => {
                if let Some(g) = cx.num_arg(a, pos, "> 0 S (or file(\"t.csv\"))") {
                    spec.target = vec![g; rows * cols];
                }
            }
            ("algorithm", _) => {
                let raw = CardCtx::raw_value(deck, a);
                match Algorithm::parse(&raw) {
                    Some(al) => spec.algorithm = al,
                    None => cx.errors.push(
                        Diagnostic::new(a.value.span(&a.key), format!("unknown algorithm '{raw}'"))
                            .with_hint("algorithms: wv (write-verify), ispp, ff (feed-forward)"),
                    ),
                }
            }
            ("scheme", _) => {
                if let Some(sc) = cx.scheme_arg(deck, a, false) {
                    spec.scheme = sc;
                }
            }
            ("read_scheme", _) => {
                if let Some(sc) = cx.scheme_arg(deck, a, true) {
                    spec.read_scheme = sc;
                }
            }
            ("tol", _) => {
                if let Some(x) =
                    cx.num_arg(a, |x| x > 0.0 && x < 1.0, "a fraction in (0, 1), e.g. 0.05")
                {
                    spec.tol = x
                }
            }
            ("aim", _) => {
                if let Some(x) =
                    cx.num_arg(a, |x| x > 0.0 && x <= 1.0, "a fraction of tol in (0, 1]")
                {
                    spec.aim = x
                }
            }
            ("cycles", _) => {
                if let Some(x) =
                    cx.num_arg(a, |x| whole(x) && x <= 1e4, "a whole number in 1..10000")
                {
                    spec.cycles = x as usize
                }
            }
            ("maxpulses", _) => {
                if let Some(x) =
                    cx.num_arg(a, |x| whole(x) && x <= 1e5, "a whole number in 1..100000")
                {
                    spec.max_pulses = x as usize
                }
            }
            ("seed", _) => {
                if let Some(x) = cx.seed_arg(a) {
                    spec.seed = x
                }
            }
            ("disturb", _) => {
                if let Some(x) = cx.flag_arg(a) {
                    spec.disturb = x
                }
            }
            ("log", _) => {
                if let Some(x) = cx.flag_arg(a) {
                    spec.log = x
                }
            }
            ("vread" | "tp" | "vmax" | "rdrive" | "rsense" | "vstep_set" | "vstep_reset", _) => {
                let volts = matches!(key, "vread" | "vmax" | "vstep_set" | "vstep_reset");
                let ok = |x: f64| pos(x) && (!volts || x <= 100.0);
                let rule = if volts { "in (0, 100] V" } else { "> 0" };
                if let Some(x) = cx.num_arg(a, ok, rule) {
                    match key {
                        "vread" => spec.vread = x,
                        "tp" => spec.tp = x,
                        "vmax" => spec.vmax = x,
                        "rdrive" => spec.rdrive = x,
                        "rsense" => spec.rsense = x,
                        "vstep_set" => spec.vstep_set = x,
                        _ => spec.vstep_reset = x,
                    }
                }
            }
            ("vstart_set" | "vstart_reset" | "backoff" | "vstep_coarse", _) => {
                if let Some(x) = cx.num_arg(a, nonneg, ">= 0 (a magnitude in V)") {
                    match key {
                        "vstart_set" => spec.vstart_set = x,
                        "vstart_reset" => spec.vstart_reset = x,
                        "vstep_coarse" => spec.vstep_coarse = x,
                        _ => spec.backoff = x,
                    }
                }
            }
            (other, _) => cx.errors.push(
                Diagnostic::new(
                    a.key.span,
                    format!("unexpected .program parameter '{other}'"),
                )
                .with_hint(usage),
            ),
        }
    }
    if spec.target.is_empty() && cx.errors.len() == n0 {
        cx.errors.push(
            Diagnostic::new(
                kind.span,
                ".program needs target=file(\"<csv of rows x cols target conductances in S>\")",
            )
            .with_hint(usage),
        );
    }
    if spec.vstart_set > spec.vmax || spec.vstart_reset > spec.vmax {
        cx.errors.push(Diagnostic::new(
            kind.span,
            format!(
                "vstart_set/vstart_reset must not exceed vmax = {} V",
                spec.vmax
            ),
        ));
    }
    if cx.errors.len() == n0 {
        return Some(spec);
    }
    None
}
