//! The `.sizing` card: `.sizing XB sizes=<n1,n2,...> metric=<vmm|read> limit=<%>
//! [v=<V>] [scheme=...] [rdrive=] [rsense=] [g=] [gon=] [goff=]`.

use super::super::card::CardCtx;
use super::{Metric, SizingSpec};
use crate::circuit::bias::Scheme;
use crate::netlist::{Arg, Diagnostic, Name};

/// `.sizing XB sizes=<n1,n2,...> metric=<vmm|read> limit=<%> [v=<V>] [scheme=...] [rdrive=] [rsense=] [g=] [gon=] [goff=]`
pub fn parse(cx: &mut CardCtx, kind: &Name, words: &[Name], args: &[Arg]) -> Option<SizingSpec> {
    let deck = cx.deck;
    let usage = ".sizing XB sizes=16,32,64 metric=<vmm|read> limit=<%> [v=<V>] [scheme=v/2] [rdrive=<ohm>] [rsense=<ohm>] [g=<S>] [gon=<S>] [goff=<S>]";
    let xbar = cx.crossbar_arg(kind, words, ".sizing", usage)?;
    let n0 = cx.errors.len();
    let mut spec = SizingSpec {
        xbar,
        sizes: Vec::new(),
        metric: Metric::Vmm,
        limit: f64::NAN,
        v: 0.25,
        scheme: Scheme::Half,
        rdrive: 0.0,
        rsense: 0.0,
        g: None,
        gon: None,
        goff: None,
    };
    let mut have_metric = false;
    for a in args {
        let span = a.value.span(&a.key);
        let raw = deck
            .sources
            .text(span.file)
            .get(span.start..span.end)
            .unwrap_or("")
            .trim()
            .trim_matches('"')
            .to_ascii_lowercase();
        match a.key.text.as_str() {
            "sizes" => {
                let parsed: Option<Vec<usize>> = raw
                    .split([',', ' '])
                    .filter(|t| !t.is_empty())
                    .map(|t| t.parse::<usize>().ok().filter(|&n| (1..=4096).contains(&n)))
                    .collect();
                match parsed {
                    Some(v) if !v.is_empty() => spec.sizes = v,
                    _ => cx.errors.push(Diagnostic::new(
                        span,
                        format!(
                            "sizes must be a comma-separated list of sizes 1..4096, got '{raw}'"
                        ),
                    )),
                }
            }
            "metric" => match raw.as_str() {
                "vmm" => {
                    spec.metric = Metric::Vmm;
                    have_metric = true;
                }
                "read" => {
                    spec.metric = Metric::Read;
                    have_metric = true;
                }
                _ => cx.errors.push(
                    Diagnostic::new(span, format!("unknown metric '{raw}'"))
                        .with_hint("metrics: vmm (error <= limit %), read (margin >= limit %)"),
                ),
            },
            "scheme" => match Scheme::parse(&raw) {
                Some(sc) => spec.scheme = sc,
                None => cx.errors.push(
                    Diagnostic::new(span, format!("unknown read scheme '{raw}'"))
                        .with_hint("schemes: v/2, v/3, float, ground"),
                ),
            },
            key @ ("limit" | "v" | "rdrive" | "rsense" | "g" | "gon" | "goff") => {
                match cx.arg_value(a) {
                    Some(x) if key == "limit" => spec.limit = x,
                    Some(x) if key == "v" => spec.v = x,
                    Some(x) if x >= 0.0 => match key {
                        "rdrive" => spec.rdrive = x,
                        "rsense" => spec.rsense = x,
                        "g" => spec.g = Some(x),
                        "gon" => spec.gon = Some(x),
                        _ => spec.goff = Some(x),
                    },
                    Some(x) => cx.errors.push(Diagnostic::new(
                        span,
                        format!("'{key}' must be >= 0, got {x}"),
                    )),
                    None => {}
                }
            }
            other => cx.errors.push(
                Diagnostic::new(
                    a.key.span,
                    format!("unexpected .sizing parameter '{other}'"),
                )
                .with_hint(usage),
            ),
        }
    }
    for (ok, what) in [
        (!spec.sizes.is_empty(), "sizes=<n1,n2,...>"),
        (have_metric, "metric=<vmm|read>"),
        (spec.limit.is_finite(), "limit=<%>"),
    ] {
        if !ok && cx.errors.len() == n0 {
            cx.errors
                .push(Diagnostic::new(kind.span, format!(".sizing needs {what}")).with_hint(usage));
        }
    }
    if cx.errors.len() == n0
        && spec.metric == Metric::Vmm
        && cx.c.crossbars[xbar].selector.is_some()
    {
        cx.errors.push(
            Diagnostic::new(
                kind.span,
                "metric=vmm models arrays without selectors; this crossbar has one in every cell",
            )
            .with_hint("with selectors: metric=read"),
        );
    }
    if cx.errors.len() == n0 {
        let xb = &cx.c.crossbars[xbar];
        let resistive = xb.rrow > 0.0 || xb.rcol > 0.0;
        for &n in &spec.sizes {
            let selector = xb.selector.is_some();
            if let Err(d) =
                crate::circuit::crossbar::check_size(n, n, resistive, selector, kind.span)
            {
                cx.errors.push(d);
                break;
            }
        }
    }
    if cx.errors.len() == n0 && cx.window_ok(xbar, spec.gon, spec.goff, kind.span) {
        return Some(spec);
    }
    None
}
