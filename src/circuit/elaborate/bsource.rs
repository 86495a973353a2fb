//! B-sources: the current expression folded, compiled to a stack program,
//! and recognized as a two-terminal law where it depends only on its own
//! branch voltage.

use super::*;

impl Elab {
    pub(super) fn bsource(
        &mut self,
        name: &Name,
        nodes: &[Name; 2],
        expr: &Expr,
        span: Span,
        voltage: bool,
    ) {
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
        // Probes, deduplicated.
        let mut probes: Vec<(NodeId, NodeId)> = Vec::new();
        let mut ops = Vec::new();
        let mut depth = 0usize;
        let mut cur = 0usize;
        compile(
            expr,
            &mut self.c.nodes,
            &mut probes,
            &mut ops,
            &mut cur,
            &mut depth,
        );
        if probes.len() > u16::MAX as usize {
            self.errors.push(Diagnostic::new(
                span,
                format!(
                    "more than {} different V(...) probes in one expression",
                    u16::MAX
                ),
            ));
            return;
        }
        let prog = Program { ops, depth };
        // Self-controlled: every probe is ±(V(a) − V(b)).
        let signs: Option<Vec<f64>> = probes
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
            .collect();
        if voltage {
            self.c.vbranches.push(VBranch {
                name: name.text.clone(),
                p: a,
                n: b,
                prog,
                probes,
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
            _ => self.c.controlled.push(Controlled {
                name: name.text.clone(),
                a,
                b,
                prog,
                probes,
            }),
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
    }
}

/// Compile a folded expression to stack code; probes are interned in `probes`.
fn compile(
    e: &Expr,
    nodes: &mut Nodes,
    probes: &mut Vec<(NodeId, NodeId)>,
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
            let k = match probes.iter().position(|&x| x == (p, q)) {
                Some(k) => k,
                None => {
                    probes.push((p, q));
                    probes.len() - 1
                }
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
