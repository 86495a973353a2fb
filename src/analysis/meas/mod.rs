//! `.meas`: named numbers measured from the results of `.op` and `.dc`
//! (ngspice's `.meas dc` where it applies), written to `meas.csv` and, in
//! a study, to `steps.csv` as `meas.NAME`.
//!
//! ```text
//! .meas op NAME find OUT                        OUT at the operating point
//! .meas dc NAME find OUT at=X                   OUT at sweep value X (linear interpolation)
//! .meas dc NAME when OUT=VAL [rise|fall|cross=N|last]
//!                                               the sweep value where OUT first crosses VAL
//!                                               (or its Nth/last rising, falling, any crossing)
//! .meas dc NAME find OUT when OUT2=VAL [rise|fall|cross=N|last]
//!                                               OUT where OUT2 crosses VAL
//! .meas dc NAME min|max|avg|pp|rms OUT [from=X] [to=Y]
//! .meas op|dc NAME param={expr}                 of earlier measurements and numbers
//! ```
//!
//! OUT is `v(node)`, `v(a,b)` (= v(a) − v(b)) or `i(vsource)`, as in
//! `op.csv`/`dc.csv`. `avg` and `rms` are trapezoidal averages over the
//! sweep variable. All `.meas` cards of a netlist run after its other
//! analyses, in card order; a measurement that cannot be made (a value
//! never crossed) is reported and left empty, and stops nothing.

use super::card::{parts, CardCtx};
use super::{Analysis, Ctx, Outcome};
use crate::circuit::Circuit;
use crate::netlist::expr::Expr;
use crate::netlist::{Arg, ArgValue, Card, Diagnostic, Name, Span};
use crate::solve::SolveFailure;
use std::any::Any;

/// Which results a measurement reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Op,
    Dc,
}

/// An output quantity: a column of `op.csv`/`dc.csv`, or the difference
/// of two (`v(a,b)`).
#[derive(Clone, Debug, PartialEq)]
pub struct Quantity {
    pub text: String,
    pub a: String,
    pub b: Option<String>,
}

/// A statistic over (part of) a sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stat {
    Min,
    Max,
    Avg,
    Pp,
    Rms,
}

/// What one `.meas` card measures.
#[derive(Clone, Debug, PartialEq)]
pub enum Measure {
    Find {
        q: Quantity,
        at: Option<f64>,
    },
    When {
        find: Option<Quantity>,
        q: Quantity,
        value: f64,
        /// Which crossing (`rise=`, `fall=`, `cross=`); none: the first of
        /// any kind, a start exactly at VAL included.
        edge: Option<Edge>,
    },
    Stat {
        stat: Stat,
        q: Quantity,
        from: Option<f64>,
        to: Option<f64>,
    },
    Param(Expr),
}

/// The crossing a `when` picks: the Nth (from 1) or the last of a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edge {
    pub kind: EdgeKind,
    /// `None`: the last.
    pub n: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    Rise,
    Fall,
    Cross,
}

/// One `.meas` card.
#[derive(Clone, Debug, PartialEq)]
pub struct Meas {
    pub name: String,
    pub source: Source,
    pub what: Measure,
    pub span: Span,
}

/// Every `.meas` card of a netlist: one analysis, run last.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MeasSet {
    pub cards: Vec<Meas>,
}

/// The results measurements read: `.op`'s quantities, `.dc`'s table.
#[derive(Clone, Debug, Default)]
pub struct Results {
    pub op: Option<(Vec<String>, Vec<f64>)>,
    pub dc: Option<(Vec<String>, Vec<Vec<f64>>)>,
}

/// The measured values, by name (Err: why it could not be made).
pub struct MeasResult {
    pub values: Vec<(String, Result<f64, String>)>,
}

const USAGE: &str = ".meas op|dc NAME find OUT [at=X] | when OUT=VAL [rise|fall|cross=N|last] | find OUT when OUT2=VAL [rise|fall|cross=N|last] | min|max|avg|pp|rms OUT [from=X] [to=Y] | param={expr}";

/// Read a `.meas` card into the netlist's one [`MeasSet`].
pub fn read(cx: &mut CardCtx, card: &Card, planned: &mut Vec<Box<dyn Analysis>>) {
    let Some((kind, words, args)) = parts(card) else {
        return;
    };
    let Some(m) = parse(cx, kind, words, args) else {
        return;
    };
    if let Some(set) = planned
        .iter_mut()
        .find_map(|a| (a.as_mut() as &mut dyn Any).downcast_mut::<MeasSet>())
    {
        if let Some(prev) = set.cards.iter().find(|p| p.name == m.name) {
            cx.errors.push(Diagnostic::defined_twice(
                m.span,
                format_args!("measurement '{}'", m.name),
                prev.span,
            ));
            return;
        }
        set.cards.push(m);
    } else {
        planned.push(Box::new(MeasSet { cards: vec![m] }));
    }
}

fn parse(cx: &mut CardCtx, kind: &Name, words: &[Name], args: &[Arg]) -> Option<Meas> {
    let err = |cx: &mut CardCtx, at: Span, msg: String| {
        cx.errors.push(Diagnostic::new(at, msg).with_hint(USAGE));
        None
    };
    let source = match words.first().map(|w| w.text.as_str()) {
        Some("op") => Source::Op,
        Some("dc") => Source::Dc,
        Some(other) => {
            let at = words[0].span;
            return err(
                cx,
                at,
                format!("xbarsim measures op and dc results, not '{other}'"),
            );
        }
        None => return err(cx, kind.span, ".meas needs op or dc and a name".into()),
    };
    let Some(name) = words.get(1) else {
        return err(cx, kind.span, ".meas needs a name".into());
    };
    let quantity = |cx: &mut CardCtx, w: Option<&Name>, at: Span| -> Option<Quantity> {
        let Some(w) = w else {
            cx.errors.push(
                Diagnostic::new(at, "expected an output: v(node), v(a,b) or i(vsource)")
                    .with_hint(USAGE),
            );
            return None;
        };
        match quantity(&w.text) {
            Some(q) => Some(q),
            None => {
                cx.errors.push(
                    Diagnostic::new(
                        w.span,
                        format!("'{}' is not v(node), v(a,b) or i(vsource)", w.text),
                    )
                    .with_hint(USAGE),
                );
                None
            }
        }
    };
    let num = |cx: &mut CardCtx, key: &str| -> Option<Option<f64>> {
        match args.iter().find(|a| a.key.text == key) {
            None => Some(None),
            Some(a) => cx.arg_value(a).map(Some),
        }
    };
    let verb = words.get(2);
    let what = match verb.map(|v| v.text.as_str()) {
        Some("find") if words.get(4).is_some_and(|w| w.text == "when") => {
            let q = quantity(cx, words.get(3), name.span)?;
            let (cond, value) = condition(cx, args, words[4].span)?;
            Measure::When {
                find: Some(q),
                q: cond,
                value,
                edge: edge(cx, args)?,
            }
        }
        Some("find") => {
            let q = quantity(cx, words.get(3), name.span)?;
            let at = num(cx, "at")?;
            if source == Source::Dc && at.is_none() {
                return err(
                    cx,
                    words[2].span,
                    ".meas dc ... find needs at=X or when OUT=VAL".into(),
                );
            }
            Measure::Find { q, at }
        }
        Some("when") => {
            let (q, value) = condition(cx, args, words[2].span)?;
            Measure::When {
                find: None,
                q,
                value,
                edge: edge(cx, args)?,
            }
        }
        Some(s @ ("min" | "max" | "avg" | "pp" | "rms")) => {
            let stat = match s {
                "min" => Stat::Min,
                "max" => Stat::Max,
                "avg" => Stat::Avg,
                "pp" => Stat::Pp,
                _ => Stat::Rms,
            };
            if source == Source::Op {
                return err(
                    cx,
                    words[2].span,
                    format!("'{s}' needs a sweep: use .meas dc"),
                );
            }
            let q = quantity(cx, words.get(3), words[2].span)?;
            Measure::Stat {
                stat,
                q,
                from: num(cx, "from")?,
                to: num(cx, "to")?,
            }
        }
        None if args.iter().any(|a| a.key.text == "param") => {
            let a = args.iter().find(|a| a.key.text == "param")?;
            match &a.value {
                ArgValue::Value(v) => Measure::Param(resolve(cx, &v.expr)),
                _ => {
                    return err(
                        cx,
                        a.key.span,
                        "param= needs an expression, e.g. param={vb*2}".into(),
                    )
                }
            }
        }
        Some(_) | None => {
            let at = verb.map_or(name.span, |v| v.span);
            return err(
                cx,
                at,
                "expected find, when, min, max, avg, pp, rms or param=".into(),
            );
        }
    };
    Some(Meas {
        name: name.text.clone(),
        source,
        what,
        span: kind.span,
    })
}

/// `OUT=VAL` of a `when` (the card's splitter reads it as an argument).
fn condition(cx: &mut CardCtx, args: &[Arg], at: Span) -> Option<(Quantity, f64)> {
    let Some(a) = args.iter().find(|a| quantity(&a.key.text).is_some()) else {
        cx.errors
            .push(Diagnostic::new(at, "when needs OUT=VAL, e.g. when v(b)=0.25").with_hint(USAGE));
        return None;
    };
    let q = quantity(&a.key.text)?;
    let v = cx.arg_value(a)?;
    Some((q, v))
}

/// `rise=N`, `fall=N` or `cross=N` (N a whole number from 1, or `last`)
/// of a `when`: at most one. `Some(None)`: none given.
fn edge(cx: &mut CardCtx, args: &[Arg]) -> Option<Option<Edge>> {
    let given: Vec<&Arg> = args
        .iter()
        .filter(|a| matches!(a.key.text.as_str(), "rise" | "fall" | "cross"))
        .collect();
    let Some(a) = given.first() else {
        return Some(None);
    };
    if let Some(b) = given.get(1) {
        cx.errors.push(
            Diagnostic::new(b.key.span, "a when takes one of rise=, fall= or cross=")
                .with_hint(USAGE),
        );
        return None;
    }
    let kind = match a.key.text.as_str() {
        "rise" => EdgeKind::Rise,
        "fall" => EdgeKind::Fall,
        _ => EdgeKind::Cross,
    };
    if let ArgValue::Value(v) = &a.value {
        if matches!(&v.expr, Expr::Param(n, _) if n == "last" && !cx.params.is_defined(n)) {
            return Some(Some(Edge { kind, n: None }));
        }
    }
    let n = cx.num_arg(
        a,
        |x| x >= 1.0 && x.fract() == 0.0 && x <= 1e9,
        "a whole number from 1, or last",
    )?;
    Some(Some(Edge {
        kind,
        n: Some(n as usize),
    }))
}

/// Netlist parameters in a `param=` expression become numbers; the other
/// names are earlier measurements, looked up when it runs.
fn resolve(cx: &mut CardCtx, e: &Expr) -> Expr {
    match e {
        Expr::Param(n, _) if cx.params.is_defined(n) => match cx.params.eval(e) {
            Ok(x) => Expr::Num(x),
            Err(d) => {
                cx.errors.push(d);
                e.clone()
            }
        },
        Expr::Neg(a) => Expr::Neg(Box::new(resolve(cx, a))),
        Expr::Bin(op, a, b) => Expr::Bin(*op, Box::new(resolve(cx, a)), Box::new(resolve(cx, b))),
        Expr::Call(f, _, s) if f.is_time() => {
            cx.errors.push(
                Diagnostic::new(
                    *s,
                    format!(
                        "{}() is a function of time: param= combines numbers",
                        f.name()
                    ),
                )
                .with_hint("measure the quantity itself (find, min, max, avg, rms)"),
            );
            e.clone()
        }
        Expr::Call(f, args, s) => Expr::Call(*f, args.iter().map(|a| resolve(cx, a)).collect(), *s),
        Expr::User(n, args, s) => {
            Expr::User(n.clone(), args.iter().map(|a| resolve(cx, a)).collect(), *s)
        }
        other => other.clone(),
    }
}

/// `v(x)`, `v(a,b)` or `i(v1)` as columns of the result tables.
fn quantity(text: &str) -> Option<Quantity> {
    let t = text.trim();
    let (f, inner) = t.split_once('(')?;
    let inner = inner.strip_suffix(')')?;
    if !matches!(f, "v" | "i") || inner.is_empty() {
        return None;
    }
    let (a, b) = match inner.split_once(',') {
        Some((a, b)) if f == "v" => (a.trim(), Some(b.trim())),
        Some(_) => return None,
        None => (inner.trim(), None),
    };
    Some(Quantity {
        text: t.to_string(),
        a: format!("{f}({a})"),
        b: b.map(|b| format!("v({b})")),
    })
}

impl Quantity {
    /// Its value in a row of a table with columns `names` (ground is 0 V).
    fn get(&self, names: &[String], row: &[f64]) -> Result<f64, String> {
        let col = |n: &str| -> Result<f64, String> {
            if n == "v(0)" || n == "v(gnd)" {
                return Ok(0.0);
            }
            names
                .iter()
                .position(|c| c == n)
                .map(|k| row[k])
                .ok_or_else(|| format!("no output named {n}"))
        };
        let a = col(&self.a)?;
        match &self.b {
            Some(b) => Ok(a - col(b)?),
            None => Ok(a),
        }
    }
}

/// Evaluate every measurement in card order.
pub fn run(set: &MeasSet, r: &Results) -> MeasResult {
    let mut values: Vec<(String, Result<f64, String>)> = Vec::new();
    for m in &set.cards {
        let v = measure(m, r, &values);
        values.push((m.name.clone(), v));
    }
    MeasResult { values }
}

fn measure(m: &Meas, r: &Results, done: &[(String, Result<f64, String>)]) -> Result<f64, String> {
    if let Measure::Param(e) = &m.what {
        return eval(e, done);
    }
    match m.source {
        Source::Op => {
            let (names, values) = r.op.as_ref().ok_or("the netlist has no .op")?;
            match &m.what {
                Measure::Find { q, .. } => q.get(names, values),
                _ => Err("op measurements are find and param".into()),
            }
        }
        Source::Dc => {
            let (names, rows) =
                r.dc.as_ref()
                    .ok_or("the netlist has no .dc (or it failed)")?;
            // The sweep variable is the first column.
            let x: Vec<f64> = rows.iter().map(|row| row[0]).collect();
            let series = |q: &Quantity| -> Result<Vec<f64>, String> {
                rows.iter().map(|row| q.get(&names[..], row)).collect()
            };
            match &m.what {
                Measure::Find { q, at: Some(at) } => interpolate_at(&x, &series(q)?, *at),
                Measure::Find { .. } => Err("find needs at=X".into()),
                Measure::When {
                    find,
                    q,
                    value,
                    edge,
                } => {
                    let y = series(q)?;
                    let (k, t) = match edge {
                        None => crossing(&y, *value)
                            .ok_or_else(|| format!("{} never crosses {value}", q.text))?,
                        Some(e) => nth_crossing(&y, *value, *e).ok_or_else(|| {
                            let what = match e.kind {
                                EdgeKind::Rise => "rises through",
                                EdgeKind::Fall => "falls through",
                                EdgeKind::Cross => "crosses",
                            };
                            match e.n {
                                Some(n) => {
                                    format!("{} {what} {value} fewer than {n} time(s)", q.text)
                                }
                                None => format!("{} never {what} {value}", q.text),
                            }
                        })?,
                    };
                    let at = x[k] + t * (x[k + 1] - x[k]);
                    match find {
                        None => Ok(at),
                        Some(f) => {
                            let yf = series(f)?;
                            Ok(yf[k] + t * (yf[k + 1] - yf[k]))
                        }
                    }
                }
                Measure::Stat { stat, q, from, to } => {
                    let y = series(q)?;
                    statistic(*stat, &x, &y, *from, *to)
                }
                Measure::Param(_) => unreachable!("handled above"),
            }
        }
    }
}

/// The first segment where `y` crosses `value` and the fraction along it.
fn crossing(y: &[f64], value: f64) -> Option<(usize, f64)> {
    for k in 0..y.len().saturating_sub(1) {
        let (a, b) = (y[k] - value, y[k + 1] - value);
        if a == 0.0 {
            return Some((k, 0.0));
        }
        if a * b < 0.0 || b == 0.0 {
            return Some((k, a / (a - b)));
        }
    }
    None
}

/// The crossing of `value` that `e` picks, as (segment, fraction along
/// it). A crossing is a segment that starts strictly on one side of the
/// value and ends on it or past it: a rise from below, a fall from above
/// (a curve that starts exactly on the value has not crossed it yet).
fn nth_crossing(y: &[f64], value: f64, e: Edge) -> Option<(usize, f64)> {
    let mut found = None;
    let mut count = 0;
    for k in 0..y.len().saturating_sub(1) {
        let (a, b) = (y[k] - value, y[k + 1] - value);
        let kind = if a < 0.0 && b >= 0.0 {
            EdgeKind::Rise
        } else if a > 0.0 && b <= 0.0 {
            EdgeKind::Fall
        } else {
            continue;
        };
        if e.kind != EdgeKind::Cross && e.kind != kind {
            continue;
        }
        count += 1;
        found = Some((k, a / (a - b)));
        if e.n == Some(count) {
            return found;
        }
    }
    if e.n.is_none() {
        found
    } else {
        None
    }
}

/// `y` at `at` by linear interpolation in the sweep `x` (either direction).
fn interpolate_at(x: &[f64], y: &[f64], at: f64) -> Result<f64, String> {
    for k in 0..x.len().saturating_sub(1) {
        let (x0, x1) = (x[k], x[k + 1]);
        if (x0 <= at && at <= x1) || (x1 <= at && at <= x0) {
            let t = if x1 == x0 { 0.0 } else { (at - x0) / (x1 - x0) };
            return Ok(y[k] + t * (y[k + 1] - y[k]));
        }
    }
    if x.len() == 1 && x[0] == at {
        return Ok(y[0]);
    }
    Err(format!("{at} is outside the sweep"))
}

fn statistic(
    s: Stat,
    x: &[f64],
    y: &[f64],
    from: Option<f64>,
    to: Option<f64>,
) -> Result<f64, String> {
    let (lo, hi) = (
        from.unwrap_or(f64::NEG_INFINITY),
        to.unwrap_or(f64::INFINITY),
    );
    let pts: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .filter(|(x, _)| **x >= lo.min(hi) && **x <= hi.max(lo))
        .map(|(x, y)| (*x, *y))
        .collect();
    if pts.is_empty() {
        return Err("no sweep point in from..to".into());
    }
    let ys = pts.iter().map(|p| p.1);
    Ok(match s {
        Stat::Min => ys.fold(f64::INFINITY, f64::min),
        Stat::Max => ys.fold(f64::NEG_INFINITY, f64::max),
        Stat::Pp => {
            let (a, b) = pts
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                    (a.min(p.1), b.max(p.1))
                });
            b - a
        }
        Stat::Avg | Stat::Rms => {
            if pts.len() == 1 {
                let y = pts[0].1;
                return Ok(if s == Stat::Avg { y } else { y.abs() });
            }
            let f = |y: f64| if s == Stat::Avg { y } else { y * y };
            let mut area = 0.0;
            for w in pts.windows(2) {
                area += 0.5 * (f(w[0].1) + f(w[1].1)) * (w[1].0 - w[0].0);
            }
            let span = pts[pts.len() - 1].0 - pts[0].0;
            let mean = area / span;
            if s == Stat::Avg {
                mean
            } else {
                mean.sqrt()
            }
        }
    })
}

/// A `param=` expression over earlier measurements.
fn eval(e: &Expr, done: &[(String, Result<f64, String>)]) -> Result<f64, String> {
    Ok(match e {
        Expr::Num(x) => *x,
        Expr::Param(n, _) => match done.iter().find(|(k, _)| k == n) {
            Some((_, Ok(v))) => *v,
            Some((_, Err(_))) => return Err(format!("'{n}' could not be measured")),
            None => {
                return Err(format!(
                    "'{n}' is neither a .param nor an earlier measurement"
                ))
            }
        },
        Expr::Neg(a) => -eval(a, done)?,
        Expr::Bin(op, a, b) => op.apply(eval(a, done)?, eval(b, done)?),
        Expr::Call(f, args, _) => {
            let mut a = Vec::with_capacity(args.len());
            for e in args {
                a.push(eval(e, done)?);
            }
            crate::netlist::expr::apply_func(*f, &a)
        }
        Expr::Volt(..) => return Err("V(...) is not allowed in param=; use find".into()),
        Expr::Curr(..) => return Err("I(...) is not allowed in param=; use find".into()),
        Expr::User(n, ..) => return Err(format!("unknown function '{n}'")),
    })
}

impl Analysis for MeasSet {
    fn directive(&self) -> &'static str {
        "meas"
    }
    fn spice(&self, _c: &Circuit) -> String {
        "* .meas cards are not exported".into()
    }
    fn solves_netlist(&self) -> bool {
        false
    }
    fn run<'s>(&'s self, cx: &mut Ctx<'_, '_>) -> Result<Outcome<'s>, SolveFailure> {
        Ok(Outcome::Meas(self, run(self, cx.results)))
    }
}
