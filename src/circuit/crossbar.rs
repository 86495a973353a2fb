//! The `.crossbar` card: one line of netlist, a whole passive array.
//!
//! ```text
//! .crossbar XB rows=<N> cols=<M> model=<memristor model> [rrow=<Ω>] [rcol=<Ω>]
//! +         [g=<S> | g=file("<csv of N rows × M values in S>")]
//! ```
//!
//! Rows are numbered 0…N−1 north to south, columns 0…M−1 west to east.
//! Crosspoint (i,j) has a top node `XB.t<i>.<j>` on row i and a bottom node
//! `XB.b<i>.<j>` on column j; the memristor goes from top (+) to bottom (−).
//! Row i is the chain `XB.w<i>`–`XB.t<i>.0`–…–`XB.t<i>.<M−1>`–`XB.e<i>` with one
//! `rrow` resistor per link; column j is `XB.n<j>`–`XB.b0.<j>`–…–
//! `XB.b<N−1>.<j>`–`XB.s<j>` with one `rcol` per link. `rrow=0` (the default)
//! or `rcol=0` merges a line into one node, which keeps every contract name
//! as an alias. The block is generated straight into the circuit's element
//! arrays (struct of arrays, no cards); [`Crossbar`] remembers where.

use super::{BranchLaw, Circuit, ExprBranch, Memristor, NodeId, Resistor};
use crate::netlist::{Arg, ArgValue, Deck, Diagnostic, Span, Value};

/// A crossbar's layout inside the circuit.
#[derive(Clone, Debug)]
pub struct Crossbar {
    /// Lower-case name, the prefix of its node names.
    pub name: String,
    pub rows: usize,
    pub cols: usize,
    pub model: u32,
    /// Ω per row / column segment (0: ideal line).
    pub rrow: f64,
    pub rcol: f64,
    /// Top and bottom node of crosspoint (i,j), row-major.
    pub t: Vec<NodeId>,
    pub b: Vec<NodeId>,
    /// Line-end ports: west/east of each row, north/south of each column.
    pub w: Vec<NodeId>,
    pub e: Vec<NodeId>,
    pub n: Vec<NodeId>,
    pub s: Vec<NodeId>,
    /// The devices are `circuit.memristors[first_device + i*cols + j]`.
    pub first_device: usize,
    pub span: Span,
    /// A selector in series with every device (1S1R / 1D1R), or None.
    pub selector: Option<CellSelector>,
}

/// The selector of every crosspoint: diodes (`d.<xb>.<i>.<j>`, the
/// reverse one of a pair `d.<xb>.r<i>.<j>`) between the device's internal
/// node `<xb>.x<i>.<j>` and its column, the device then running from the
/// row to that node. `both`: two antiparallel diodes (`selector=`, a
/// bidirectional selector that reads and writes in both polarities); else
/// one with its anode at the device (`diode=`, 1D1R).
#[derive(Clone, Debug, PartialEq)]
pub struct CellSelector {
    pub law: crate::devices::diode::DiodeLaw,
    /// The model that gives `law` (for `xbarsim export`).
    pub model: crate::devices::diode::DiodeModel,
    pub both: bool,
}

impl Crossbar {
    /// Index into `circuit.memristors` of device (i,j).
    pub fn device(&self, i: usize, j: usize) -> usize {
        self.first_device + i * self.cols + j
    }
}

/// Memory a cell's selector adds (bytes; see [`check_size`]).
const SELECTOR_BYTES_PER_CELL: f64 = 1000.0;

/// Largest array one card may declare (rows·cols).
pub const MAX_CELLS: usize = 4 << 20;

/// Refuse an `r`×`c` array (with resistive or ideal lines) that exceeds
/// [`MAX_CELLS`] or, by the estimate of [`super::budget`], the memory limit.
/// Every card that builds arrays (`.crossbar`, `.sizing`, `.perceptron`
/// size sweeps) checks each size here before anything is allocated.
/// `selector`: a selector in every cell (an internal node and one or two
/// diodes more per cell, about 1 kB: measured 61 MB more at 256×256).
pub fn check_size(
    r: usize,
    c: usize,
    resistive: bool,
    selector: bool,
    at: Span,
) -> Result<(), Diagnostic> {
    let cells = r.saturating_mul(c);
    if cells > MAX_CELLS {
        return Err(Diagnostic::new(
            at,
            format!("a {r}x{c} crossbar has {cells} cells, more than the limit of {MAX_CELLS}"),
        ));
    }
    let what = format!("a {r}x{c} crossbar");
    let extra = if selector {
        SELECTOR_BYTES_PER_CELL * cells as f64
    } else {
        0.0
    };
    super::budget::check(
        &what,
        super::budget::crossbar_bytes(r, c, resistive) + extra,
    )
    .map_err(|m| Diagnostic::new(at, m.to_string()).with_hint(super::budget::HINT))
}

/// The settings of a `.crossbar` card, checked.
pub struct CrossbarSpec {
    pub rows: usize,
    pub cols: usize,
    pub model: String,
    pub model_span: Span,
    pub rrow: f64,
    pub rcol: f64,
    pub g: GSpec,
    /// `selector=<D model>` (antiparallel pair) or `diode=<D model>` (one):
    /// the model's name, where, and whether a pair; resolved by the
    /// elaborator into `selector`.
    pub selector_card: Option<(String, Span, bool)>,
    pub selector: Option<CellSelector>,
}

pub enum GSpec {
    Uniform(f64),
    File(String, Span),
    ModelDefault,
}

/// Read `rows=… cols=… model=… rrow=… rcol=… g=…`; `value` evaluates expressions.
pub fn spec(
    name_span: Span,
    args: &[Arg],
    mut value: impl FnMut(&Value) -> Result<f64, Diagnostic>,
) -> Result<CrossbarSpec, Vec<Diagnostic>> {
    let mut errs = Vec::new();
    let (mut rows, mut cols, mut model, mut rrow, mut rcol, mut g) =
        (None, None, None, 0.0, 0.0, GSpec::ModelDefault);
    let mut selector_card = None;
    let mut seen: Vec<&str> = Vec::new();
    for a in args {
        let key = a.key.text.as_str();
        seen.push(key);
        let span = a.value.span(&a.key);
        let num = |v: &ArgValue,
                   value: &mut dyn FnMut(&Value) -> Result<f64, Diagnostic>|
         -> Result<f64, Diagnostic> {
            match v {
                ArgValue::Value(v) => value(v),
                _ => Err(Diagnostic::new(span, format!("'{key}' needs a number"))),
            }
        };
        match key {
            "rows" | "cols" => match num(&a.value, &mut value) {
                Ok(x) if x >= 1.0 && x.fract() == 0.0 && x <= MAX_CELLS as f64 => {
                    if key == "rows" {
                        rows = Some(x as usize)
                    } else {
                        cols = Some(x as usize)
                    }
                }
                Ok(x) => errs.push(Diagnostic::new(
                    span,
                    format!("'{key}' must be a whole number 1..{MAX_CELLS}, got {x}"),
                )),
                Err(d) => errs.push(d),
            },
            "rrow" | "rcol" => match num(&a.value, &mut value) {
                Ok(x) if x == 0.0 || super::args::resistance_ok(x) => {
                    if key == "rrow" {
                        rrow = x
                    } else {
                        rcol = x
                    }
                }
                Ok(x) => errs.push(Diagnostic::new(
                    span,
                    format!(
                        "'{key}' must be >= 0: 0 (ideal) or {:e}..{:e} ohm per segment, got {}",
                        super::args::MIN_OHMS,
                        super::args::MAX_OHMS,
                        super::args::show(x)
                    ),
                )),
                Err(d) => errs.push(d),
            },
            "model" => match &a.value {
                ArgValue::Value(Value {
                    expr: crate::netlist::expr::Expr::Param(m, s),
                    ..
                }) => model = Some((m.clone(), *s)),
                _ => errs.push(Diagnostic::new(span, "'model' needs a model name")),
            },
            "selector" | "diode" => match &a.value {
                ArgValue::Value(Value {
                    expr: crate::netlist::expr::Expr::Param(m, s),
                    ..
                }) if selector_card.is_none() => {
                    selector_card = Some((m.clone(), *s, key == "selector"))
                }
                ArgValue::Value(Value {
                    expr: crate::netlist::expr::Expr::Param(..),
                    ..
                }) => errs.push(Diagnostic::new(
                    span,
                    "a crossbar has one selector: give selector= or diode=, not both",
                )),
                _ => errs.push(Diagnostic::new(
                    span,
                    format!("'{key}' needs a diode model name (.model <name> D ...)"),
                )),
            },
            "g" => match &a.value {
                ArgValue::File(p, s) => g = GSpec::File(p.clone(), *s),
                other => match num(other, &mut value) {
                    Ok(x) if x >= 0.0 && x.is_finite() => g = GSpec::Uniform(x),
                    Ok(x) => errs.push(Diagnostic::new(span, format!("g must be >= 0 S, got {x}"))),
                    Err(d) => errs.push(d),
                },
            },
            other => errs.push(
                Diagnostic::new(a.key.span, format!("unknown .crossbar parameter '{other}'"))
                    .with_hint("parameters: rows cols model rrow rcol g selector diode"),
            ),
        }
    }
    let missing = |what: &str| Diagnostic::new(name_span, format!(".crossbar needs {what}"));
    for (key, what) in [
        ("rows", "rows=<N>"),
        ("cols", "cols=<M>"),
        ("model", "model=<memristor model>"),
    ] {
        if !seen.contains(&key) {
            errs.push(missing(what));
        }
    }
    if let (Some(r), Some(c)) = (rows, cols) {
        let selector = selector_card.is_some();
        if let Err(d) = check_size(r, c, rrow > 0.0 || rcol > 0.0, selector, name_span) {
            errs.push(d);
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let (model, model_span) = model.unwrap_or_default();
    Ok(CrossbarSpec {
        rows: rows.unwrap_or(0),
        cols: cols.unwrap_or(0),
        model,
        model_span,
        rrow,
        rcol,
        g,
        selector_card,
        selector: None,
    })
}

/// A CSV file of numbers (conductance maps, input vectors, weights) that
/// cannot be used. Located errors read `file:line[:col]: ...`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CsvError {
    #[error(transparent)]
    Input(#[from] crate::netlist::source::InputError),
    /// The CSV reader's own error (e.g. bad quoting).
    #[error("{file}: {source}")]
    Syntax { file: String, source: csv::Error },
    #[error("{file}:{line}: more than the {rows} rows expected")]
    TooManyRows {
        file: String,
        line: usize,
        rows: usize,
    },
    #[error("{file}:{line}: expected {cols} values (one per column), found {found}")]
    Width {
        file: String,
        line: usize,
        cols: usize,
        found: usize,
    },
    #[error("{file}:{line}:{col}: '{field}' {}", if *.nonneg { "is not a conductance (a number >= 0 in S)" } else { "is not a number" })]
    Value {
        file: String,
        line: usize,
        col: usize,
        field: String,
        nonneg: bool,
    },
    #[error("{file}: expected {rows} rows of {cols} values, found {found} rows")]
    Rows {
        file: String,
        rows: usize,
        cols: usize,
        found: usize,
    },
}

/// Read an N×M matrix of conductances (S) from a CSV file: one row per line,
/// comma-separated, SPICE numbers allowed, `#` comments. Errors carry
/// `file:line:col`.
pub fn read_matrix(path: &std::path::Path, rows: usize, cols: usize) -> Result<Vec<f64>, CsvError> {
    let (v, nrec) = read_rows(path, Some(rows), cols, true)?;
    if nrec != rows {
        return Err(CsvError::Rows {
            file: path.display().to_string(),
            rows,
            cols,
            found: nrec,
        });
    }
    Ok(v)
}

/// Read rows of `cols` numbers each (at most `max_rows` if given); returns the
/// values row after row and the row count. `nonneg`: values must be >= 0.
pub fn read_rows(
    path: &std::path::Path,
    max_rows: Option<usize>,
    cols: usize,
    nonneg: bool,
) -> Result<(Vec<f64>, usize), CsvError> {
    let (text, _) = crate::netlist::source::read_input(path, false)?;
    parse_rows(&text, &path.display().to_string(), max_rows, cols, nonneg)
}

/// [`read_rows`] on text already read; `name` is the file name in errors.
pub fn parse_rows(
    text: &str,
    name: &str,
    max_rows: Option<usize>,
    cols: usize,
    nonneg: bool,
) -> Result<(Vec<f64>, usize), CsvError> {
    let rows = max_rows.unwrap_or(usize::MAX);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::with_capacity(max_rows.map_or(0, |r| r.saturating_mul(cols).min(1 << 24)));
    let mut nrec = 0;
    let (mut line, mut counted_to) = (1usize, 0usize);
    for rec in rdr.records() {
        let rec = rec.map_err(|source| CsvError::Syntax {
            file: name.to_string(),
            source,
        })?;
        // Located from the record's byte offset in the text (the reader's
        // line count skips blank lines differently from `str::lines`).
        let at = record_start(text, rec.position().map_or(0, |p| p.byte() as usize));
        // Lines counted on from the previous record (records only move forward).
        if at >= counted_to {
            line += text.as_bytes()[counted_to..at]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            counted_to = at;
        }
        if rec.iter().all(|f| f.is_empty()) {
            continue;
        }
        nrec += 1;
        if nrec > rows {
            return Err(CsvError::TooManyRows {
                file: name.to_string(),
                line,
                rows,
            });
        }
        if rec.len() != cols {
            return Err(CsvError::Width {
                file: name.to_string(),
                line,
                cols,
                found: rec.len(),
            });
        }
        for (k, f) in rec.iter().enumerate() {
            match crate::netlist::units::parse_number(f) {
                Some(v) if (v >= 0.0 || !nonneg) && v.is_finite() => out.push(v),
                _ => {
                    return Err(CsvError::Value {
                        file: name.to_string(),
                        line,
                        col: field_column(text, at, k, f),
                        field: f.to_string(),
                        nonneg,
                    });
                }
            }
        }
    }
    Ok((out, nrec))
}

/// Byte offset of the first line at or after `from` that holds a record:
/// the reader's position is where it started looking, before the blank and
/// `#` comment lines it skipped.
fn record_start(text: &str, from: usize) -> usize {
    let mut at = from.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    loop {
        let end = text[at..].find('\n').map_or(text.len(), |p| at + p);
        let line = text[at..end].trim();
        if !(line.is_empty() || line.starts_with('#')) || end == text.len() {
            return at;
        }
        at = end + 1;
    }
}

/// 1-based column (in characters) of field `k` (trimmed text `field`) of the
/// CSV record that starts at byte `at` of `text`. Only for error messages:
/// never panics, whatever the text.
fn field_column(text: &str, at: usize, k: usize, field: &str) -> usize {
    let line_start = text[..at].rfind('\n').map_or(0, |p| p + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |p| at + p);
    let line = &text[at..line_end];
    // Start of field k: after the k-th comma, then past leading blanks.
    let mut start = 0;
    for _ in 0..k {
        match line[start..].find(',') {
            Some(p) => start += p + 1,
            None => break,
        }
    }
    let lead = line[start..].len() - line[start..].trim_start().len();
    let mut pos = start + lead;
    if !line[pos..].starts_with(field) {
        pos = line.find(field).unwrap_or(pos);
    }
    text[line_start..at + pos].chars().count() + 1
}

/// Generate the crossbar into `c`: nodes (with aliases for ideal lines),
/// line resistors and devices. Returns its layout and any warnings.
pub fn build(
    c: &mut Circuit,
    name: &str,
    sp: &CrossbarSpec,
    model: u32,
    g: &[f64],
    span: Span,
) -> (Crossbar, Vec<Diagnostic>) {
    let (nr, nc) = (sp.rows, sp.cols);
    let mut warnings = Vec::new();
    let nodes = &mut c.nodes;
    nodes.reserve(2 * nr * nc + 2 * (nr + nc));
    let mut w = Vec::with_capacity(nr);
    let mut e = Vec::with_capacity(nr);
    let mut t = Vec::with_capacity(nr * nc);
    for i in 0..nr {
        let wi = nodes.intern(&format!("{name}.w{i}"));
        w.push(wi);
        for j in 0..nc {
            t.push(line_node(nodes, &format!("{name}.t{i}.{j}"), sp.rrow, wi));
        }
        e.push(line_node(nodes, &format!("{name}.e{i}"), sp.rrow, wi));
    }
    let mut n = Vec::with_capacity(nc);
    let mut s = Vec::with_capacity(nc);
    let mut b = vec![NodeId::GROUND; nr * nc];
    for j in 0..nc {
        let nj = nodes.intern(&format!("{name}.n{j}"));
        n.push(nj);
        for i in 0..nr {
            b[i * nc + j] = line_node(nodes, &format!("{name}.b{i}.{j}"), sp.rcol, nj);
        }
        s.push(line_node(nodes, &format!("{name}.s{j}"), sp.rcol, nj));
    }
    if sp.rrow > 0.0 {
        c.resistors.reserve(nr * (nc + 1));
        for i in 0..nr {
            push_chain(
                &mut c.resistors,
                w[i],
                (0..nc).map(|j| t[i * nc + j]),
                e[i],
                1.0 / sp.rrow,
            );
        }
    }
    if sp.rcol > 0.0 {
        c.resistors.reserve(nc * (nr + 1));
        for j in 0..nc {
            push_chain(
                &mut c.resistors,
                n[j],
                (0..nr).map(|i| b[i * nc + j]),
                s[j],
                1.0 / sp.rcol,
            );
        }
    }
    let window = c.models[model as usize].g_window;
    let mut clipped = 0usize;
    let first_device = c.memristors.len();
    c.memristors.reserve(nr * nc);
    for i in 0..nr {
        for j in 0..nc {
            let (gij, moved) = clip(window, g[(i * nc + j) % g.len()]);
            clipped += usize::from(moved);
            let k = i * nc + j;
            let low = match &sp.selector {
                None => b[k],
                Some(sel) => {
                    let x = c.nodes.intern(&format!("{name}.x{i}.{j}"));
                    let diode = |a, b, tag: &str| ExprBranch {
                        name: format!("d.{name}.{tag}{i}.{j}").into_boxed_str(),
                        a,
                        b,
                        law: BranchLaw::Diode {
                            law: sel.law,
                            model: Box::new(sel.model.clone()),
                        },
                    };
                    c.branches.push(diode(x, b[k], ""));
                    if sel.both {
                        c.branches.push(diode(b[k], x, "r"));
                    }
                    x
                }
            };
            c.memristors.push(Memristor {
                name: format!("{name}.m{i}.{j}"),
                a: t[k],
                b: low,
                model,
                g: gij,
                ns: 0.0,
            });
        }
    }
    if clipped > 0 {
        warnings.push(
            Diagnostic::new(span, format!("{clipped} device state(s) of crossbar '{name}' outside the model's conductance window were clipped into it"))
                .warning(),
        );
    }
    let xb = Crossbar {
        name: name.to_string(),
        rows: nr,
        cols: nc,
        model,
        rrow: sp.rrow,
        rcol: sp.rcol,
        t,
        b,
        w,
        e,
        n,
        s,
        first_device,
        span,
        selector: sp.selector.clone(),
    };
    (xb, warnings)
}

/// A device state clipped into the model's conductance window, and
/// whether it had to be.
pub fn clip(window: Option<(f64, f64)>, g: f64) -> (f64, bool) {
    match window {
        Some((lo, hi)) if g < lo || g > hi => (g.clamp(lo, hi), true),
        _ => (g, false),
    }
}

/// One line: `first`–`mid`…–`last`, a resistor of conductance `g` per link.
fn push_chain(
    res: &mut Vec<Resistor>,
    first: NodeId,
    mid: impl Iterator<Item = NodeId>,
    last: NodeId,
    g: f64,
) {
    let mut prev = first;
    for node in mid.chain(std::iter::once(last)) {
        res.push(Resistor {
            name: Box::from(""),
            a: prev,
            b: node,
            g,
        });
        prev = node;
    }
}

/// A node on a line whose first node is `first`: its own node when the line
/// has resistance `r` > 0, else merged into `first` (an alias).
fn line_node(nodes: &mut super::Nodes, name: &str, r: f64, first: NodeId) -> NodeId {
    if r > 0.0 {
        nodes.intern(name)
    } else {
        alias_or_intern(nodes, name, first)
    }
}

/// `name` as an alias of `to`, unless it already names a node (then that node).
fn alias_or_intern(nodes: &mut super::Nodes, name: &str, to: NodeId) -> NodeId {
    if let Some(id) = nodes.get(name) {
        return id;
    }
    nodes.alias(name, to);
    to
}

/// Resolve the conductance map of a spec: uniform, file (relative to the
/// netlist that holds the card) or the model's default.
pub fn conductances(
    sp: &CrossbarSpec,
    deck: &Deck,
    span: Span,
    model_g: Option<f64>,
) -> Result<Vec<f64>, Diagnostic> {
    match &sp.g {
        GSpec::Uniform(g) => Ok(vec![*g]),
        GSpec::ModelDefault => match model_g {
            Some(g) => Ok(vec![g]),
            None => Err(
                Diagnostic::new(span, "the crossbar's device states are not given")
                    .with_hint("give g=<S>, g=file(\"states.csv\"), or g=<S> on the model card"),
            ),
        },
        GSpec::File(p, fspan) => {
            read_matrix(&super::args::file_path(deck, p, span), sp.rows, sp.cols)
                .map_err(|m| Diagnostic::new(*fspan, m.to_string()))
        }
    }
}
