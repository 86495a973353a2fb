//! ngspice's `.control` … `.endc` script, the part that makes sense for a
//! batch DC run (`netlist::lines` turns its lines into cards):
//!
//! - `op`, `dc …` run as `.op` / `.dc` cards (every form `.dc` takes);
//! - `print …` selects what is written, as a `.print` card;
//! - `run`: the netlist's analysis cards run anyway (`quit`, `exit`: ignored);
//! - `wrdata FILE vec…`: the named vectors of the last `op` or `dc` before
//!   it (else the first after it) into `FILE` in the output folder, as
//!   ngspice writes them: per vector a column of the sweep (the scale) and
//!   one of its values, `% .8e ` each; `set wr_singlescale` writes the scale
//!   once, `set wr_vecnames` a header line, `set numdgt=N` N digits. After
//!   `op` the scale is the first quantity, as ngspice takes its plot's
//!   first vector. A vector is `v(node)`, `node`, `v(a,b)`, `i(source)`,
//!   `source#branch` or any quantity `.print`/`.save` selected.
//! - `set` / `unset` of those three variables; any other variable, and any
//!   other command, is a warning.

use super::card::CardCtx;
use super::{dc::DcSpec, op::OpSpec, Analysis, Ctx, Outcome};
use crate::circuit::Circuit;
use crate::netlist::{Arg, Diagnostic, Name, Span};
use crate::solve::SolveFailure;

/// The `set` variables `wrdata` reads, as set so far.
#[derive(Clone, Copy, Debug)]
pub struct Vars {
    pub vecnames: bool,
    pub singlescale: bool,
    pub digits: usize,
}

impl Default for Vars {
    fn default() -> Self {
        Vars {
            vecnames: false,
            singlescale: false,
            digits: 8,
        }
    }
}

/// Which analysis a `wrdata` writes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plot {
    Op,
    Dc,
}

/// A checked `wrdata` command.
#[derive(Clone, Debug)]
pub struct WrData {
    /// File name in the output folder.
    pub file: String,
    /// Each vector: its name as written (the header) and its quantity name.
    pub vectors: Vec<(String, String)>,
    pub vars: Vars,
    pub span: Span,
    /// Resolved once every card is read ([`finish`]).
    pub plot: Option<Plot>,
    /// The header of the scale column.
    pub scale: String,
}

/// The quantity a `wrdata`/`print` vector names: `v(a)`, `i(v1)`, a bare
/// node `a` as `v(a)`, `v1#branch` as `i(v1)`.
pub fn quantity(vector: &str) -> String {
    let v: String = vector
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    if let Some(src) = v.strip_suffix("#branch") {
        return format!("i({src})");
    }
    if v.contains('(') || v.starts_with('@') {
        v
    } else {
        format!("v({v})")
    }
}

/// Read one `.control` command card (`words[0]` the command).
pub fn read(
    cx: &mut CardCtx,
    words: &[Name],
    args: &[Arg],
    vars: &mut Vars,
    planned: &mut Vec<Box<dyn Analysis>>,
    warnings: &mut Vec<Diagnostic>,
) {
    let Some(cmd) = words.first() else {
        return;
    };
    let warn = |warnings: &mut Vec<Diagnostic>, at: Span, msg: String| {
        warnings.push(Diagnostic::new(at, msg).warning());
    };
    match cmd.text.as_str() {
        "run" | "quit" | "exit" => {}
        "set" | "unset" => {
            let on = cmd.text == "set";
            for w in &words[1..] {
                match w.text.as_str() {
                    "wr_vecnames" => vars.vecnames = on,
                    "wr_singlescale" => vars.singlescale = on,
                    "numdgt" if !on => vars.digits = 8,
                    t => warn(
                        warnings,
                        w.span,
                        format!("'{} {t}' changes nothing in xbarsim; ignored", cmd.text),
                    ),
                }
            }
            for a in args {
                if on && a.key.text == "numdgt" {
                    if let Some(n) = cx.num_arg(
                        a,
                        |x| (1.0..=17.0).contains(&x) && x.fract() == 0.0,
                        "a whole number 1..17",
                    ) {
                        vars.digits = n as usize;
                    }
                } else {
                    warn(
                        warnings,
                        a.key.span,
                        format!(
                            "'{} {}' changes nothing in xbarsim; ignored",
                            cmd.text, a.key.text
                        ),
                    );
                }
            }
        }
        "wrdata" => wrdata(cx, cmd, &words[1..], args, *vars, planned),
        other => warn(
            warnings,
            cmd.span,
            format!(
                "control command '{other}' is not run by xbarsim (op, dc, run, print, wrdata, set are); ignored"
            ),
        ),
    }
}

fn wrdata(
    cx: &mut CardCtx,
    cmd: &Name,
    words: &[Name],
    args: &[Arg],
    vars: Vars,
    planned: &mut Vec<Box<dyn Analysis>>,
) {
    let usage = "wrdata FILE v(node) i(source) ...";
    if let Some(a) = args.first() {
        cx.errors.push(
            Diagnostic::new(
                a.key.span,
                format!("unexpected '{}=' in wrdata", a.key.text),
            )
            .with_hint(usage),
        );
        return;
    }
    let Some((file, vecs)) = words.split_first() else {
        cx.errors
            .push(Diagnostic::new(cmd.span, "wrdata needs a file name").with_hint(usage));
        return;
    };
    let original = |n: &Name| {
        cx.deck
            .sources
            .text(n.span.file)
            .get(n.span.start..n.span.end)
            .map_or_else(|| n.text.clone(), str::to_string)
    };
    let name = original(file).trim_matches('"').to_string();
    if name.is_empty()
        || name.contains(['/', '\\', ' '])
        || name.starts_with('.')
        || name.ends_with(".json")
    {
        cx.errors.push(
            Diagnostic::new(file.span, format!("wrdata cannot write '{name}'"))
                .with_hint("wrdata writes into the output folder: give a plain file name"),
        );
        return;
    }
    if vecs.is_empty() {
        cx.errors
            .push(Diagnostic::new(file.span, "wrdata needs the vectors to write").with_hint(usage));
        return;
    }
    let known = super::engine::quantity_names(cx.c);
    let mut vectors = Vec::new();
    for v in vecs {
        let q = quantity(&v.text);
        if !known.contains(&q) {
            cx.errors.push(
                Diagnostic::new(v.span, format!("wrdata: '{q}' is not a quantity this netlist writes"))
                    .with_hint("node voltages and source currents are written; .print or .save selects others (v(a,b), i(R1))"),
            );
            return;
        }
        vectors.push((original(v), q));
    }
    planned.push(Box::new(WrData {
        file: name,
        vectors,
        vars,
        span: cmd.span,
        plot: None,
        scale: String::new(),
    }));
}

/// Give each `wrdata` its analysis: the last `op`/`dc` before it, else the
/// first after it; and run them after every other analysis but `.meas`.
pub fn finish(c: &Circuit, analyses: &mut Vec<Box<dyn Analysis>>, errors: &mut Vec<Diagnostic>) {
    let plot_of = |a: &dyn Analysis| -> Option<(Plot, String)> {
        if let Some(d) = super::downcast::<DcSpec>(a) {
            return Some((Plot::Dc, d.sweeps[0].ngspice_name()));
        }
        super::downcast::<OpSpec>(a)?;
        let first = super::engine::quantity_names(c).into_iter().next()?;
        let scale = match first.strip_prefix("i(") {
            Some(src) => format!("{}#branch", src.trim_end_matches(')')),
            None => first
                .strip_prefix("v(")
                .map_or(first.clone(), |n| n.trim_end_matches(')').to_string()),
        };
        Some((Plot::Op, scale))
    };
    let mut w = Vec::new();
    let mut k = 0;
    while k < analyses.len() {
        if super::downcast::<WrData>(analyses[k].as_ref()).is_some() {
            let before = analyses[..k].iter().rev().find_map(|a| plot_of(a.as_ref()));
            let found =
                before.or_else(|| analyses[k + 1..].iter().find_map(|a| plot_of(a.as_ref())));
            let mut a = analyses.remove(k);
            let spec = (a.as_mut() as &mut dyn std::any::Any).downcast_mut::<WrData>();
            if let Some(spec) = spec {
                match found {
                    Some((p, scale)) => {
                        spec.plot = Some(p);
                        spec.scale = scale;
                        w.push(a);
                    }
                    None => errors.push(Diagnostic::new(
                        spec.span,
                        "wrdata has nothing to write: no op or dc runs in this netlist",
                    )),
                }
            }
        } else {
            k += 1;
        }
    }
    analyses.extend(w);
}

impl Analysis for WrData {
    fn directive(&self) -> &'static str {
        "wrdata"
    }
    fn output(&self, _c: &Circuit) -> String {
        format!("{0} ({0})", self.file)
    }
    fn solves_netlist(&self) -> bool {
        false
    }
    fn spice(&self, _c: &Circuit) -> String {
        let v: Vec<&str> = self.vectors.iter().map(|v| v.0.as_str()).collect();
        format!(
            "* wrdata {} {} (a .control command)",
            self.file,
            v.join(" ")
        )
    }
    fn run<'s>(&'s self, cx: &mut Ctx<'_, '_>) -> Result<Outcome<'s>, SolveFailure> {
        let (names, rows): (&[String], Vec<&[f64]>) = match self.plot {
            Some(Plot::Dc) => match &cx.results.dc {
                Some((n, r)) => (n, r.iter().map(Vec::as_slice).collect()),
                None => (&[], Vec::new()),
            },
            _ => match &cx.results.op {
                Some((n, v)) => (n, vec![v.as_slice()]),
                None => (&[], Vec::new()),
            },
        };
        let mut cols = Vec::new();
        for (_, q) in &self.vectors {
            match names.iter().position(|n| n == q) {
                Some(k) => cols.push(k),
                None => {
                    return Err(SolveFailure::Invalid(format!(
                        "wrdata {}: '{q}' was not computed",
                        self.file
                    )))
                }
            }
        }
        let table = rows
            .iter()
            .map(|r| {
                let mut row = vec![r[0]];
                row.extend(cols.iter().map(|&k| r[k]));
                row
            })
            .collect();
        Ok(Outcome::WrData(self, table))
    }
}

/// `x` as C's `% .{digits}e` (a space for the sign of a positive number,
/// at least two exponent digits).
fn c_exp(x: f64, digits: usize) -> String {
    if !x.is_finite() {
        return format!("{}{x}", if x.is_sign_negative() { "" } else { " " });
    }
    // -0 as 0: ngspice's vectors hold no negative zero.
    let x = x + 0.0;
    let s = format!("{x:.digits$e}");
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = exp.parse().unwrap_or(0);
    let sign = if e < 0 { '-' } else { '+' };
    let lead = if mant.starts_with('-') { "" } else { " " };
    format!("{lead}{mant}e{sign}{:02}", e.abs())
}

/// The text of a `wrdata` file: `rows` are [scale, vectors...].
pub fn text(spec: &WrData, rows: &[Vec<f64>]) -> String {
    let d = spec.vars.digits;
    let mut out = String::new();
    if spec.vars.vecnames {
        let mut names: Vec<&str> = Vec::new();
        for (label, _) in &spec.vectors {
            if !spec.vars.singlescale || names.is_empty() {
                names.push(&spec.scale);
            }
            names.push(label);
        }
        let w = d + 7;
        let cells: Vec<String> = names.iter().map(|n| format!("{n:<w$}")).collect();
        out += &format!(" {}\n", cells.join(" "));
    }
    for r in rows {
        for (k, v) in r[1..].iter().enumerate() {
            if !spec.vars.singlescale || k == 0 {
                out += &c_exp(r[0], d);
                out.push(' ');
            }
            out += &c_exp(*v, d);
            out.push(' ');
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn c_format() {
        assert_eq!(c_exp(0.5, 8), " 5.00000000e-01");
        assert_eq!(c_exp(-2.5e-4, 8), "-2.50000000e-04");
        assert_eq!(c_exp(1e100, 2), " 1.00e+100");
        assert_eq!(c_exp(0.0, 4), " 0.0000e+00");
        assert_eq!(quantity("A"), "v(a)");
        assert_eq!(quantity("V1#branch"), "i(v1)");
        assert_eq!(quantity("v( a , b )"), "v(a,b)");
    }
}
