//! `.dc`: DC transfer curves. One or more nested sweeps, the first on the
//! card the innermost (fastest), as ngspice runs `.dc VDS 0 5 0.1 VGS 0 2 1`.
//! A swept name is, in this order, an independent V or I source, a resistor
//! (its resistance before `m`, `scale`, `tc1`, `tc2`, as ngspice sweeps it),
//! `temp` (°C), or a `.param` (`param NAME` insists on the parameter).
//!
//! ```text
//! .dc NAME start stop step [NAME2 start2 stop2 step2]   SPICE, ngspice
//! .dc lin|dec|oct NAME start stop step|points ...       Xyce (dec/oct: points per decade/octave)
//! .dc NAME list v1 v2 ...                               Xyce
//! .dc NAME lin|dec|oct n start stop, NAME poi n v1..vn  HSPICE (lin: n points in all)
//! .dc NAME start=a stop=b step=s [sweep NAME2 ...]      HSPICE
//! ```
//!
//! A step sweep includes the stop value within rounding (1e-9 of a step), a
//! step of 0 or one pointing away from the stop is an error, and a sweep
//! has at most 1e6 points in all.
//!
//! The table (`dc.csv`) has one row per point: the swept values, innermost
//! first (one column per sweep, named after the swept source, resistor,
//! `temp` or parameter), then the quantities. A one-source sweep is the
//! source's column and the quantities, as always.
//!
//! Source sweeps keep one engine: each point is warm-started from the last
//! and a linear circuit is factored once. A resistor, `temp` or `.param`
//! changes the circuit itself: each new value elaborates the netlist again
//! (a resistor's conductance is set on a copy), on the symbolic analysis
//! of the last point and warm-started from its solution.

use super::card::CardCtx;
use super::{Analysis, Ctx, Engine, Outcome, Rebuild, Reuse};
use crate::circuit::{budget, Circuit};
use crate::netlist::ast::{DcMode, DcSweep};
use crate::netlist::parser::Parsed;
use crate::netlist::{Card, Diagnostic};
use crate::solve::{SolveFailure, Stats};

/// Most points of a `.dc` card, all sweeps together.
pub const MAX_POINTS: f64 = 1e6;

/// A source swept by [`run`]: an index into `vsources` or `isources`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SweptSource {
    V(usize),
    I(usize),
}

/// What one sweep varies.
#[derive(Clone, Debug, PartialEq)]
pub enum Var {
    V(usize),
    I(usize),
    /// Resistor `k`; its conductance at resistance x is `g_ohms / x`
    /// (`g_ohms`: its conductance times its written resistance).
    R {
        k: usize,
        g_ohms: f64,
    },
    Temp,
    Param(String),
}

/// One checked sweep.
#[derive(Clone, Debug)]
pub struct Sweep {
    pub var: Var,
    /// Its column name.
    pub name: String,
    pub values: Vec<f64>,
    /// start, stop, step of a step sweep (for `xbarsim export`).
    pub step: Option<[f64; 3]>,
}

impl Sweep {
    /// Whether a new value needs a new circuit (not a source value).
    fn rebuilds(&self) -> bool {
        !matches!(self.var, Var::V(_) | Var::I(_))
    }

    /// ngspice's name for the sweep vector (`wrdata` headers).
    pub fn ngspice_name(&self) -> String {
        match self.var {
            Var::V(_) => "v-sweep".into(),
            Var::I(_) => "i-sweep".into(),
            Var::R { .. } => "res-sweep".into(),
            Var::Temp => "temp-sweep".into(),
            Var::Param(_) => self.name.clone(),
        }
    }
}

/// A checked `.dc` card: its sweeps, innermost first.
#[derive(Clone, Debug)]
pub struct DcSpec {
    pub sweeps: Vec<Sweep>,
}

impl DcSpec {
    /// Whether it elaborates the netlist again (a `temp` or `.param` sweep).
    pub fn needs_deck(&self) -> bool {
        self.sweeps
            .iter()
            .any(|s| matches!(s.var, Var::Temp | Var::Param(_)))
    }
}

/// Whether one of `analyses` needs the netlist to run (see [`DcSpec::needs_deck`]).
pub fn needs_deck(analyses: &[Box<dyn Analysis>]) -> bool {
    analyses
        .iter()
        .any(|a| super::downcast::<DcSpec>(a.as_ref()).is_some_and(DcSpec::needs_deck))
}

/// Read a `.dc` card.
pub fn read(cx: &mut CardCtx, card: &Card, planned: &mut Vec<Box<dyn Analysis>>) {
    let Card::Dc { span, sweeps } = card else {
        return;
    };
    let n0 = cx.errors.len();
    let mut out: Vec<Sweep> = Vec::new();
    for s in sweeps {
        if let Some(sw) = sweep(cx, s) {
            if out.iter().any(|o| o.var == sw.var) {
                cx.errors.push(Diagnostic::new(
                    s.name.span,
                    format!("'{}' is swept twice", s.name.text),
                ));
            }
            out.push(sw);
        }
    }
    if cx.errors.len() > n0 {
        return;
    }
    // The table is kept whole until it is written: points × quantities.
    let points: f64 = out.iter().map(|s| s.values.len() as f64).product();
    if points > MAX_POINTS {
        cx.errors.push(
            Diagnostic::new(
                *span,
                format!("the sweeps have {points} points in all, more than {MAX_POINTS}"),
            )
            .with_hint("fewer or coarser values"),
        );
        return;
    }
    let c = cx.c;
    let columns = (c.nodes.len() + c.vsources.len() + out.len()) as f64;
    if let Err(m) = budget::check(
        &format!("a .dc table of {points} points x {columns} quantities"),
        points * columns * 8.0 * 2.0,
    ) {
        let at = sweeps[0].nums.last().map_or(*span, |v| v.span);
        cx.errors
            .push(Diagnostic::new(at, m.to_string()).with_hint(budget::HINT));
        return;
    }
    planned.push(Box::new(DcSpec { sweeps: out }));
}

/// Check one sweep: its variable and its values.
fn sweep(cx: &mut CardCtx, s: &DcSweep) -> Option<Sweep> {
    let c = cx.c;
    let t = s.name.text.as_str();
    let var = if s.param {
        cx.params.is_defined(t).then(|| Var::Param(t.to_string()))
    } else if let Some(k) = c.vsources.iter().position(|v| v.name == t) {
        Some(Var::V(k))
    } else if let Some(k) = c.isources.iter().position(|v| v.name == t) {
        Some(Var::I(k))
    } else if let Some(k) = c
        .resistors
        .iter()
        .position(|r| !t.is_empty() && &*r.name == t)
    {
        let g_ohms = c.resistors[k].g * written_ohms(cx, t).unwrap_or(1.0 / c.resistors[k].g);
        Some(Var::R { k, g_ohms })
    } else if t == "temp" {
        Some(Var::Temp)
    } else if cx.params.is_defined(t) {
        Some(Var::Param(t.to_string()))
    } else {
        None
    };
    let Some(var) = var else {
        let msg = if s.param {
            format!("no .param named '{t}' to sweep")
        } else {
            format!("no independent source named '{t}' to sweep")
        };
        cx.errors.push(
            Diagnostic::new(s.name.span, msg)
                .with_hint(".dc sweeps a V or I source, a resistor, temp or a .param"),
        );
        return None;
    };
    let mut nums = Vec::with_capacity(s.nums.len());
    for v in &s.nums {
        let x = cx.value(v)?;
        if !x.is_finite() {
            cx.errors.push(Diagnostic::new(
                v.span,
                format!("{x} is not a finite number"),
            ));
            return None;
        }
        nums.push(x);
    }
    let bad = |cx: &mut CardCtx, k: usize, msg: String| {
        cx.errors.push(Diagnostic::new(s.nums[k].span, msg));
        None
    };
    let mut step = None;
    let values = match s.mode {
        DcMode::List => nums,
        DcMode::Step => {
            let (a, b, st) = (nums[0], nums[1], nums[2]);
            if st == 0.0 || ((b - a) / st) < -1e-9 || ((b - a) / st) > MAX_POINTS {
                return bad(
                    cx,
                    2,
                    format!("step {st} does not go from {a} to {b} in at most 1e6 points"),
                );
            }
            step = Some([a, b, st]);
            points(a, b, st)
        }
        DcMode::Points => {
            let (a, b, n) = (nums[0], nums[1], nums[2]);
            if !(n >= 1.0 && n.fract() == 0.0 && n <= MAX_POINTS) {
                return bad(
                    cx,
                    2,
                    format!("the number of points must be a whole number 1..1e6, got {n}"),
                );
            }
            let n = n as usize;
            let d = if n > 1 { (b - a) / (n - 1) as f64 } else { 0.0 };
            (0..n).map(|k| a + k as f64 * d).collect()
        }
        DcMode::Dec | DcMode::Oct => {
            let (a, b, n) = (nums[0], nums[1], nums[2]);
            let (base, per) = if s.mode == DcMode::Dec {
                (10f64, "decade")
            } else {
                (2f64, "octave")
            };
            if a <= 0.0 {
                return bad(cx, 0, format!("a {per} sweep needs start > 0, got {a}"));
            }
            if b < a {
                return bad(cx, 1, format!("the range from {a} to {b} is empty"));
            }
            if !(n >= 1.0 && n.fract() == 0.0) {
                return bad(
                    cx,
                    2,
                    format!("points per {per} must be a whole number >= 1, got {n}"),
                );
            }
            let count = (b / a).log(base) * n;
            if count + 1.0 > MAX_POINTS {
                return bad(cx, 2, format!("more than 1e6 points from {a} to {b}"));
            }
            let count = (count + 1e-9).floor() as usize;
            (0..=count).map(|k| a * base.powf(k as f64 / n)).collect()
        }
    };
    Some(Sweep {
        var,
        name: t.to_string(),
        values,
        step,
    })
}

/// The resistance written on resistor `name`'s card (before its
/// instance factors), if its card is found.
fn written_ohms(cx: &mut CardCtx, name: &str) -> Option<f64> {
    let deck = cx.deck;
    for k in 0..deck.cards.len() {
        let text = deck.card_text(k).trim_start();
        let first = text.split(|c: char| c.is_whitespace()).next()?;
        if !first.eq_ignore_ascii_case(name) {
            continue;
        }
        if let Ok(Parsed::Card(Card::Resistor { value, .. })) = deck.parse(k) {
            return cx.value(&value);
        }
    }
    None
}

impl Analysis for DcSpec {
    fn directive(&self) -> &'static str {
        "dc"
    }
    fn spice(&self, c: &Circuit) -> String {
        let num = |v: f64| format!("{v:.17e}");
        let mut line = String::from(".dc");
        for s in &self.sweeps {
            let name = match &s.var {
                Var::V(k) => &c.vsources[*k].name,
                Var::I(k) => &c.isources[*k].name,
                _ => &s.name,
            };
            match (s.step, &s.var) {
                (Some([a, b, st]), Var::V(_) | Var::I(_) | Var::R { .. } | Var::Temp) => {
                    line += &format!(" {name} {} {} {}", num(a), num(b), num(st))
                }
                _ => {
                    return format!(
                        "* .dc over '{}' is not exported: ngspice sweeps sources, resistors and temp in steps only",
                        s.name
                    )
                }
            }
        }
        line
    }
    fn run<'s>(&'s self, cx: &mut Ctx<'_, '_>) -> Result<Outcome<'s>, SolveFailure> {
        Ok(Outcome::Dc(run_sweeps(cx.engine, cx.rebuild, &self.sweeps)))
    }
}

pub struct DcResult {
    /// Column names: the swept variables (innermost first), then the quantities.
    pub names: Vec<String>,
    /// How many leading columns are swept variables.
    pub swept: usize,
    /// One row per completed point: the swept values, then the quantities.
    pub rows: Vec<Vec<f64>>,
    pub stats: Stats,
    /// Set when a point failed: its swept values and why. Rows before it are kept.
    pub failure: Option<(Vec<f64>, SolveFailure)>,
}

/// Sweep points from start to stop inclusive (tolerant to rounding).
pub fn points(start: f64, stop: f64, step: f64) -> Vec<f64> {
    let n = ((stop - start) / step + 1e-9).floor().max(0.0) as usize;
    (0..=n).map(|k| start + k as f64 * step).collect()
}

/// Sweep one source from `start` to `stop` by `step`.
pub fn run(e: &mut Engine, src: SweptSource, start: f64, stop: f64, step: f64) -> DcResult {
    let (var, name) = match src {
        SweptSource::V(k) => (Var::V(k), e.c.vsources[k].name.clone()),
        SweptSource::I(k) => (Var::I(k), e.c.isources[k].name.clone()),
    };
    let s = Sweep {
        var,
        name,
        values: points(start, stop, step),
        step: Some([start, stop, step]),
    };
    run_sweeps(e, None, &[s])
}

/// The value of each sweep at point `k` (innermost fastest).
fn point(sweeps: &[Sweep], mut k: usize) -> Vec<f64> {
    sweeps
        .iter()
        .map(|s| {
            let x = s.values[k % s.values.len()];
            k /= s.values.len();
            x
        })
        .collect()
}

/// Set the swept source values of point `x` on `e`.
fn set_sources(e: &mut Engine, sweeps: &[Sweep], x: &[f64]) {
    for (s, &v) in sweeps.iter().zip(x) {
        match s.var {
            Var::V(k) => e.sys.v_values[k] = v,
            Var::I(k) => e.sys.i_values[k] = v,
            _ => {}
        }
    }
    e.sys.update_sources();
}

/// The circuit at point `x` of sweeps that change it: elaborated again
/// for `temp` and `.param`s, then resistors set.
fn circuit_at(
    c: &Circuit,
    rebuild: Option<&Rebuild>,
    sweeps: &[Sweep],
    x: &[f64],
) -> Result<Circuit, SolveFailure> {
    let overrides: Vec<(String, f64)> = sweeps
        .iter()
        .zip(x)
        .filter_map(|(s, &v)| match &s.var {
            Var::Temp => Some(("temp".to_string(), v)),
            Var::Param(p) => Some((p.clone(), v)),
            _ => None,
        })
        .collect();
    let mut out = if overrides.is_empty() {
        c.clone()
    } else {
        let rebuild = rebuild.ok_or_else(|| {
            SolveFailure::Invalid("a temp or .param sweep needs the netlist to elaborate".into())
        })?;
        rebuild(&overrides).map_err(SolveFailure::Invalid)?
    };
    for (s, &v) in sweeps.iter().zip(x) {
        if let Var::R { k, g_ohms } = s.var {
            if v <= 0.0 || v.is_nan() {
                return Err(SolveFailure::Invalid(format!(
                    "resistor '{}' swept to {v} ohm: a resistance must be > 0",
                    s.name
                )));
            }
            out.resistors[k].g = g_ohms / v;
        }
    }
    Ok(out)
}

/// Solve at point `x` and add its row; the point and the failure if it fails.
fn solve_point(
    e: &mut Engine,
    sweeps: &[Sweep],
    x: Vec<f64>,
    rows: &mut Vec<Vec<f64>>,
    stats: &mut Stats,
) -> Option<(Vec<f64>, SolveFailure)> {
    set_sources(e, sweeps, &x);
    match e.solve() {
        Ok(s) => {
            stats.iterations += s.iterations;
            stats.factorizations += s.factorizations;
            stats.method = s.method;
            let mut row = x;
            row.extend(e.quantities());
            rows.push(row);
            None
        }
        Err(err) => Some((x, err)),
    }
}

/// Run nested sweeps (innermost first) on `e`'s circuit.
pub fn run_sweeps(e: &mut Engine, rebuild: Option<&Rebuild>, sweeps: &[Sweep]) -> DcResult {
    let mut names: Vec<String> = sweeps.iter().map(|s| s.name.clone()).collect();
    names.extend(e.quantity_names());
    let total: usize = sweeps.iter().map(|s| s.values.len()).product();
    let mut rows = Vec::with_capacity(total);
    let mut stats = Stats {
        method: "newton",
        ..Default::default()
    };
    let mut failure = None;
    if !sweeps.iter().any(Sweep::rebuilds) {
        let orig = (e.sys.v_values.clone(), e.sys.i_values.clone());
        for k in 0..total {
            failure = solve_point(e, sweeps, point(sweeps, k), &mut rows, &mut stats);
            if failure.is_some() {
                break;
            }
        }
        (e.sys.v_values, e.sys.i_values) = orig;
        e.sys.update_sources();
    } else {
        // Points that share the values of the sweeps that change the circuit
        // share one circuit and engine; the engines share one analysis.
        let key = |x: &[f64]| -> Vec<f64> {
            sweeps
                .iter()
                .zip(x)
                .filter(|(s, _)| s.rebuilds())
                .map(|(_, &v)| v)
                .collect()
        };
        let mut reuse = Reuse::default();
        let mut y = e.y.clone();
        let mut k = 0;
        'groups: while k < total {
            let x0 = point(sweeps, k);
            let c = match circuit_at(e.c, rebuild, sweeps, &x0) {
                Ok(c) => c,
                Err(err) => {
                    failure = Some((x0, err));
                    break;
                }
            };
            let mut eng = match Engine::reusing(&c, &mut reuse) {
                Ok(eng) => eng,
                Err(err) => {
                    failure = Some((x0, err));
                    break;
                }
            };
            if eng.y.len() == y.len() {
                eng.y.copy_from_slice(&y);
            }
            let k0 = key(&x0);
            while k < total {
                let x = point(sweeps, k);
                if key(&x) != k0 {
                    break;
                }
                failure = solve_point(&mut eng, sweeps, x, &mut rows, &mut stats);
                if failure.is_some() {
                    e.sys.warnings.append(&mut eng.sys.warnings);
                    break 'groups;
                }
                k += 1;
            }
            e.sys.warnings.append(&mut eng.sys.warnings);
            y = eng.y;
        }
    }
    DcResult {
        names,
        swept: sweeps.len(),
        rows,
        stats,
        failure,
    }
}
