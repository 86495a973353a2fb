//! B-sources: the current expression folded, compiled to a stack program,
//! and recognized as a two-terminal law where it depends only on its own
//! branch voltage.

use super::super::args::time_warning;
use super::*;

impl Elab {
    /// A time integral or derivative in `expr` is taken at t = 0, where a DC
    /// analysis is: a warning at its first call. `in_param`: `expr` defines
    /// a parameter (evaluated once), else an element's law.
    pub(super) fn warn_time(&mut self, expr: &Expr, in_param: bool) {
        if let Some((f, at)) = expr.first_time_call() {
            self.c.warnings.push(time_warning(f, at, !in_param));
        }
    }

    pub(super) fn bsource(
        &mut self,
        name: &Name,
        nodes: &[Name; 2],
        expr: &Expr,
        span: Span,
        voltage: bool,
    ) {
        self.warn_time(expr, false);
        // Fold parameters and constant parts into numbers; a constant part
        // that is not finite (`1/0`) is an input error here, not a solve
        // that cannot converge later.
        let expr = match self.params.fold(expr, span) {
            Ok(f) => f,
            Err(d) => {
                self.errors.push(d);
                return;
            }
        };
        if expr.has_random() {
            self.errors.push(
                Diagnostic::new(
                    span,
                    "a Monte Carlo function (agauss, gauss, aunif, unif) here depends on V(...)",
                )
                .with_hint("its arguments must be constants: it is drawn once per sample"),
            );
            return;
        }
        let expr = &expr;
        let (a, b) = self.two_nodes(nodes);
        // Probes, deduplicated: voltages first, then currents.
        let mut senses: Vec<Sense> = Vec::new();
        let mut ops = Vec::new();
        let mut depth = 0usize;
        let mut cur = 0usize;
        compile(
            expr,
            &mut self.c.nodes,
            &mut senses,
            &mut ops,
            &mut cur,
            &mut depth,
        );
        if senses.len() > u16::MAX as usize {
            self.errors.push(Diagnostic::new(
                span,
                format!(
                    "more than {} different V(...) and I(...) probes in one expression",
                    u16::MAX
                ),
            ));
            return;
        }
        let (probes, currents) = voltages_first(&mut senses, &mut ops);
        let prog = Program { ops, depth };
        // Self-controlled: every probe is ±(V(a) − V(b)).
        let signs: Option<Vec<f64>> = if !currents.is_empty() {
            None
        } else {
            probes
                .iter()
                .map(|&(p, q)| {
                    if (p, q) == (a, b) {
                        Some(1.0)
                    } else if (p, q) == (b, a) {
                        Some(-1.0)
                    } else {
                        None
                    }
                })
                .collect()
        };
        let reads = |k: usize| currents.iter().map(move |(n, s)| (k, n.clone(), *s));
        if voltage {
            let k = self.c.vbranches.len();
            self.current_reads
                .extend(reads(k).map(|(k, n, s)| (true, k, n, s)));
            self.c.vbranches.push(VBranch {
                name: name.text.clone(),
                p: a,
                n: b,
                prog,
                probes,
                currents: vec![CurrentOf::VSource(usize::MAX); currents.len()],
                span,
                ccvs: None,
            });
            return;
        }
        match signs {
            Some(signs) if a != b => self.c.branches.push(ExprBranch {
                name: name.text.clone().into_boxed_str(),
                a,
                b,
                law: BranchLaw::from_program(prog, signs),
            }),
            _ => {
                let k = self.c.controlled.len();
                self.current_reads
                    .extend(reads(k).map(|(k, n, s)| (false, k, n, s)));
                self.c.controlled.push(Controlled {
                    name: name.text.clone(),
                    a,
                    b,
                    prog,
                    probes,
                    currents: vec![CurrentOf::VSource(usize::MAX); currents.len()],
                })
            }
        }
    }
}

impl Elab {
    /// An F or H card; its controlling source is looked up once every
    /// element is in (see [`Elab::resolve_controls`]).
    pub(super) fn ccsource(
        &mut self,
        name: Name,
        nodes: &[Name; 2],
        control: Name,
        gain: &Value,
        voltage: bool,
    ) {
        let Some(g) = self.value(gain) else { return };
        let (p, n) = self.two_nodes(nodes);
        if voltage {
            self.c.vbranches.push(VBranch {
                name: name.text,
                p,
                n,
                prog: Program {
                    ops: vec![Op::Const(0.0)],
                    depth: 1,
                },
                probes: Vec::new(),
                currents: Vec::new(),
                span: name.span,
                ccvs: Some((usize::MAX, g)),
            });
            self.controls
                .push((true, self.c.vbranches.len() - 1, control));
        } else {
            self.c.cccs.push(Cccs {
                name: name.text,
                p,
                n,
                ctrl: usize::MAX,
                gain: g,
            });
            self.controls.push((false, self.c.cccs.len() - 1, control));
        }
    }

    /// Point every F and H at its controlling voltage source.
    pub(super) fn resolve_controls(&mut self) {
        for (voltage, k, control) in std::mem::take(&mut self.controls) {
            let Some(j) = self.c.vsources.iter().position(|v| v.name == control.text) else {
                self.errors.push(
                    Diagnostic::new(
                        control.span,
                        format!("'{}' is not a voltage source of this circuit", control.text),
                    )
                    .with_hint("F and H sources read the current of an independent voltage source: put a 0 V source in series with the branch to measure"),
                );
                continue;
            };
            if voltage {
                if let Some(c) = self.c.vbranches[k].ccvs.as_mut() {
                    c.0 = j;
                }
            } else {
                self.c.cccs[k].ctrl = j;
            }
        }
        // Every expression's I(...), in order of appearance per source.
        let mut slot: HashMap<(bool, usize), usize> = HashMap::new();
        for (voltage, k, name, span) in std::mem::take(&mut self.current_reads) {
            let j = slot.entry((voltage, k)).or_insert(0);
            let of = self.current_of(&name, span);
            let list = if voltage {
                &mut self.c.vbranches[k].currents
            } else {
                &mut self.c.controlled[k].currents
            };
            if let (Some(of), Some(x)) = (of, list.get_mut(*j)) {
                *x = of;
            }
            *j += 1;
        }
    }

    /// The element whose current `I(name)` reads, or a located error. A
    /// two-terminal element other than a voltage-defined one gets a 0 V
    /// source in series to carry its current, as ngspice does: node
    /// `name#meas` between the element and its − terminal, and the source
    /// `name#meas` from there to that terminal.
    fn current_of(&mut self, name: &str, span: Span) -> Option<CurrentOf> {
        let c = &mut self.c;
        if let Some(j) = c.vsources.iter().position(|v| v.name == name) {
            return Some(CurrentOf::VSource(j));
        }
        if let Some(j) = c.vbranches.iter().position(|v| v.name == name) {
            return Some(CurrentOf::VBranch(j));
        }
        // Read before: its 0 V source is in already.
        let meas = format!("{name}#meas");
        if let Some(j) = c.vsources.iter().position(|v| v.name == meas) {
            return Some(CurrentOf::VSource(j));
        }
        let in_crossbar = |k: usize| {
            c.crossbars
                .iter()
                .any(|x| (x.first_device..x.first_device + x.rows * x.cols).contains(&k))
        };
        // The element's − terminal, to be moved onto the new node.
        let minus: Option<&mut NodeId> =
            if let Some(r) = c.resistors.iter_mut().find(|r| &*r.name == name) {
                Some(&mut r.b)
            } else if let Some(k) = c
                .memristors
                .iter()
                .position(|m| m.name == name)
                .filter(|&k| !in_crossbar(k))
            {
                Some(&mut c.memristors[k].b)
            } else if let Some(r) = c.branches.iter_mut().find(|r| &*r.name == name) {
                Some(&mut r.b)
            } else if let Some(r) = c.controlled.iter_mut().find(|r| r.name == name) {
                Some(&mut r.b)
            } else if let Some(r) = c.cccs.iter_mut().find(|r| r.name == name) {
                Some(&mut r.n)
            } else if let Some(r) = c.isources.iter_mut().find(|r| r.name == name) {
                Some(&mut r.n)
            } else {
                None
            };
        if let Some(minus) = minus {
            let m = c.nodes.intern(&meas);
            let n = std::mem::replace(minus, m);
            c.vsources.push(VSource {
                name: meas,
                p: m,
                n,
                volts: 0.0,
                span,
                wave: None,
            });
            return Some(CurrentOf::VSource(c.vsources.len() - 1));
        }
        let d = if c.reactives.iter().any(|r| r.name == name) {
            Diagnostic::new(
                span,
                format!("I({name}): '{name}' is a capacitor, which carries no current in DC"),
            )
        } else if c.memristors.iter().any(|m| m.name == name) {
            Diagnostic::new(
                span,
                format!(
                    "I({name}): a crossbar device's current cannot be read inside an expression"
                ),
            )
        } else {
            Diagnostic::new(
                span,
                format!("I({name}): no element '{name}' in this circuit"),
            )
        };
        self.errors.push(d.with_hint(
            "I(name) reads the current of a two-terminal element of this circuit (in a subcircuit, of the instance's own)",
        ));
        None
    }
}

/// What a compiled expression's probe reads.
#[derive(Clone, Debug, PartialEq)]
enum Sense {
    /// V(a) − V(b).
    V(NodeId, NodeId),
    /// I(name), resolved once every element is in.
    I(String, Span),
}

/// Voltage probes (c, d) and current reads (name, where).
type Split = (Vec<(NodeId, NodeId)>, Vec<(String, Span)>);

/// Renumber the probes so that voltages come first, in their order, then
/// currents; return both lists.
fn voltages_first(senses: &mut Vec<Sense>, ops: &mut [Op]) -> Split {
    let mut probes = Vec::new();
    let mut currents = Vec::new();
    for s in senses.iter() {
        match s {
            Sense::V(p, q) => probes.push((*p, *q)),
            Sense::I(n, sp) => currents.push((n.clone(), *sp)),
        }
    }
    let (mut v, mut i) = (0u16, probes.len() as u16);
    let new: Vec<u16> = senses
        .iter()
        .map(|s| {
            let x = if matches!(s, Sense::V(..)) {
                &mut v
            } else {
                &mut i
            };
            *x += 1;
            *x - 1
        })
        .collect();
    for op in ops.iter_mut() {
        if let Op::Probe(k) = op {
            *k = new[*k as usize];
        }
    }
    senses.clear();
    (probes, currents)
}

/// Compile a folded expression to stack code; probes are interned in `probes`.
fn compile(
    e: &Expr,
    nodes: &mut Nodes,
    probes: &mut Vec<Sense>,
    ops: &mut Vec<Op>,
    cur: &mut usize,
    depth: &mut usize,
) {
    use crate::netlist::expr::Expr as E;
    let push = |ops: &mut Vec<Op>, op: Op, cur: &mut usize, depth: &mut usize, delta: isize| {
        ops.push(op);
        *cur = (*cur as isize + delta) as usize;
        *depth = (*depth).max(*cur);
    };
    match e {
        E::Num(v) => push(ops, Op::Const(*v), cur, depth, 1),
        // Folded away (or refused, for an unknown function) before compile.
        E::Param(..) | E::User(..) => push(ops, Op::Const(f64::NAN), cur, depth, 1),
        E::Volt(p, q, _) => {
            let p = nodes.intern(p);
            let q = q
                .as_deref()
                .map(|q| nodes.intern(q))
                .unwrap_or(NodeId::GROUND);
            let k = intern(probes, Sense::V(p, q));
            push(ops, Op::Probe(k as u16), cur, depth, 1)
        }
        E::Curr(n, s) => {
            let k = match probes
                .iter()
                .position(|x| matches!(x, Sense::I(m, _) if m == n))
            {
                Some(k) => k,
                None => intern(probes, Sense::I(n.clone(), *s)),
            };
            push(ops, Op::Probe(k as u16), cur, depth, 1)
        }
        E::Neg(a) => {
            compile(a, nodes, probes, ops, cur, depth);
            push(ops, Op::Neg, cur, depth, 0)
        }
        E::Bin(op, a, b) => {
            compile(a, nodes, probes, ops, cur, depth);
            compile(b, nodes, probes, ops, cur, depth);
            push(ops, Op::Bin(*op), cur, depth, -1)
        }
        E::Call(f, args, _) => {
            for a in args {
                compile(a, nodes, probes, ops, cur, depth);
            }
            match args.len() {
                3 => push(ops, Op::Call3(*f), cur, depth, -2),
                2 => push(ops, Op::Call2(*f), cur, depth, -1),
                _ => push(ops, Op::Call1(*f), cur, depth, 0),
            }
        }
    }
}

/// The index of `s` in `probes`, added if new.
fn intern(probes: &mut Vec<Sense>, s: Sense) -> usize {
    match probes.iter().position(|x| *x == s) {
        Some(k) => k,
        None => {
            probes.push(s);
            probes.len() - 1
        }
    }
}
