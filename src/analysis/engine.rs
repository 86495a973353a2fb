//! The engine the analyses share: a circuit's nodal system, its
//! factorization structure and its last solution, built once and reused for
//! every point of `.op` and `.dc`; and the helpers that complete a crossbar
//! with periphery (drivers, sense).

use crate::circuit::Circuit;
use crate::mna::System;
use crate::solve::{Newton, SolveFailure, SparseSolver, Stats};

/// Nested dissection from the crossbars' geometry, when crossbar crosspoints
/// hold at least half of the unknowns of a symmetric system.
pub(crate) fn crossbar_ordering(c: &Circuit, sys: &System) -> Option<Vec<usize>> {
    if c.crossbars.is_empty() || !sys.pattern.lower {
        return None;
    }
    let unk = &sys.map.unk;
    let lists: Vec<(usize, usize, Vec<u32>, Vec<u32>)> = c
        .crossbars
        .iter()
        .map(|x| {
            (
                x.rows,
                x.cols,
                x.t.iter().map(|n| unk[n.idx()]).collect(),
                x.b.iter().map(|n| unk[n.idx()]).collect(),
            )
        })
        .collect();
    let cells: usize = lists.iter().map(|l| l.2.len() + l.3.len()).sum();
    if 2 * cells < sys.n() {
        return None;
    }
    let refs: Vec<(usize, usize, &[u32], &[u32])> = lists
        .iter()
        .map(|l| (l.0, l.1, l.2.as_slice(), l.3.as_slice()))
        .collect();
    Some(crate::solve::ordering::crossbar_nd(sys.n(), &refs))
}

/// Add a periphery driver: a grounded DC source of `volts` named `v<tag>` at
/// node `<tag>`, joined to `port` through `r` ohms (directly when `r` is 0).
/// Returns the source's index (its current is the port's current).
pub fn drive_port(
    c: &mut Circuit,
    port: crate::circuit::NodeId,
    tag: &str,
    volts: f64,
    r: f64,
    span: crate::netlist::Span,
) -> usize {
    use crate::circuit::{NodeId, Resistor, VSource};
    let at = if r > 0.0 {
        let n = c.nodes.intern(tag);
        c.resistors.push(Resistor {
            name: Box::from(""),
            a: n,
            b: port,
            g: 1.0 / r,
        });
        n
    } else {
        port
    };
    c.vsources.push(VSource {
        name: format!("v{tag}"),
        p: at,
        n: NodeId::GROUND,
        volts,
        span,
        wave: None,
    });
    c.vsources.len() - 1
}

/// A circuit ready to solve: system, factorization structure, last solution.
pub struct Engine<'c> {
    pub c: &'c Circuit,
    pub sys: System,
    pub solver: SparseSolver,
    /// Unknowns of the last solution (warm start for the next).
    pub y: Vec<f64>,
    linear: bool,
    factored: bool,
}

/// The factorization structure of the last circuit an engine was built
/// for, kept for the next: the points of a study that change only values
/// (resistances, conductances, sources, model parameters) have the same
/// pattern and ordering and share one symbolic analysis instead of redoing
/// it per point. Each engine still factors and solves from scratch, so its
/// numbers are the bits an engine built alone gives. A point whose
/// topology differs (another `rows`) builds its own and is kept instead.
#[derive(Default)]
pub struct Reuse {
    /// The ordering asked for, the solver choice, and the analysis.
    last: Option<(
        Option<Vec<usize>>,
        crate::solve::SolverChoice,
        crate::solve::sparse::Analysis,
    )>,
    /// Engines built on a kept analysis, and engines built afresh.
    pub hits: usize,
    pub misses: usize,
}

impl<'c> Engine<'c> {
    pub fn new(c: &'c Circuit) -> Result<Engine<'c>, SolveFailure> {
        let (sys, fwd) = Self::system(c);
        let solver = Self::solver(c, &sys, &fwd)?;
        Ok(Self::with(c, sys, solver))
    }

    /// [`Engine::new`], on the symbolic analysis `reuse` kept when the
    /// pattern and ordering are the same; keeps this one's otherwise.
    pub fn reusing(c: &'c Circuit, reuse: &mut Reuse) -> Result<Engine<'c>, SolveFailure> {
        let (sys, fwd) = Self::system(c);
        let choice = c.options.solver;
        let kept = reuse.last.as_ref().filter(|(f, ch, a)| {
            *f == fwd
                && *ch == choice
                && sys.pattern.lower
                && a.pattern().col_ptr() == sys.pattern.symbolic.col_ptr()
                && a.pattern().row_idx() == sys.pattern.symbolic.row_idx()
        });
        let solver = match kept {
            Some((_, _, a)) => {
                reuse.hits += 1;
                SparseSolver::on(a)
            }
            None => {
                reuse.misses += 1;
                let s = Self::solver(c, &sys, &fwd)?;
                reuse.last = s.analysis().map(|a| (fwd, choice, a));
                s
            }
        };
        Ok(Self::with(c, sys, solver))
    }

    /// The nodal system and the crossbar ordering asked for (none when the
    /// solver is iterative or the circuit is not mostly crossbar).
    fn system(c: &Circuit) -> (System, Option<Vec<usize>>) {
        let sys = System::new(c);
        let fwd = crossbar_ordering(c, &sys)
            .filter(|_| c.options.solver != crate::solve::SolverChoice::Iterative);
        (sys, fwd)
    }

    fn solver(
        c: &Circuit,
        sys: &System,
        fwd: &Option<Vec<usize>>,
    ) -> Result<SparseSolver, SolveFailure> {
        Ok(match fwd {
            Some(f) => SparseSolver::with_ordering(&sys.pattern, f)?,
            None => SparseSolver::new(&sys.pattern, c.options.solver)?,
        })
    }

    fn with(c: &'c Circuit, sys: System, solver: SparseSolver) -> Engine<'c> {
        let n = sys.n();
        Engine {
            c,
            sys,
            solver,
            y: vec![0.0; n],
            linear: c.is_linear(),
            factored: false,
        }
    }

    /// Solve at the current source values, warm-started from the last solution.
    /// Linear circuits factor once and afterwards only re-solve (source values
    /// enter the right-hand side only).
    pub fn solve(&mut self) -> Result<Stats, SolveFailure> {
        let mut nt = Newton::new(&self.c.options, self.sys.n());
        if self.linear {
            let f0 = self.solver.factorizations;
            nt.linear(
                &mut self.sys,
                &mut self.solver,
                self.c,
                &mut self.y,
                !self.factored,
            )?;
            self.factored = true;
            return Ok(Stats {
                iterations: 1,
                factorizations: self.solver.factorizations - f0,
                method: "linear",
            });
        }
        nt.reuse_first = self.factored;
        let r = nt.solve(&mut self.sys, &mut self.solver, self.c, &mut self.y);
        self.factored = r.is_ok();
        r
    }

    /// True when the circuit is linear and its matrix is factored already
    /// (every later solve needs only the triangular solves).
    pub fn holds_linear_factor(&self) -> bool {
        self.linear && self.factored
    }

    /// Make `y` the last solution and factor the Jacobian there (sources as
    /// they are set). Later solves start from this point and this matrix.
    pub fn factor_at(&mut self, y: &[f64]) -> Result<(), SolveFailure> {
        self.y.copy_from_slice(y);
        self.sys.assemble(self.c, y, true);
        self.solver.factor(&self.sys.vals)?;
        self.factored = true;
        Ok(())
    }

    /// Output quantities at the last solution: `v(node)` for every node but
    /// ground, then every alias name (nodes merged by ideal crossbar lines),
    /// then `i(vsource)`, then `i(ename)` of E and B `V=` sources (positive
    /// into the + terminal).
    pub fn quantities(&mut self) -> Vec<f64> {
        let y = std::mem::take(&mut self.y);
        self.sys.node_voltages(&y);
        self.y = y;
        let leaving = self.sys.leaving_currents(self.c);
        let cur = self.sys.source_currents(self.c, &leaving);
        if let Some(list) = &self.c.outputs {
            return self.selected(list, &cur);
        }
        let aliases = self.c.nodes.aliases();
        let mut out = Vec::with_capacity(
            self.sys.v.len() - 1 + aliases.len() + cur.len() + self.c.vbranches.len(),
        );
        out.extend_from_slice(&self.sys.v[1..]);
        out.extend(aliases.iter().map(|(_, id)| self.sys.v[id.idx()]));
        out.extend(cur);
        out.extend_from_slice(&self.sys.ibr[..self.c.vbranches.len()]);
        out
    }

    /// The `.print`/`.save` selection at the last solution (node voltages
    /// already in `sys.v`; `cur` the voltage-source currents).
    fn selected(&self, list: &[crate::circuit::outputs::Probe], cur: &[f64]) -> Vec<f64> {
        use crate::circuit::outputs::ProbeOf;
        let c = self.c;
        let v = &self.sys.v;
        list.iter()
            .map(|p| match p.of {
                ProbeOf::Node(n) => v[n.idx()],
                ProbeOf::Diff(a, b) => v[a.idx()] - v[b.idx()],
                ProbeOf::VSource(k) => cur[k],
                ProbeOf::VBranch(k) => self.sys.ibr[k],
                ProbeOf::Cccs(k) => self.sys.cccs_current(k),
                ProbeOf::ISource(k) => c.isources[k].amps,
                ProbeOf::Resistor(k) => {
                    let r = &c.resistors[k];
                    r.g * (v[r.a.idx()] - v[r.b.idx()])
                }
                ProbeOf::Memristor(k) => {
                    let m = &c.memristors[k];
                    c.models[m.model as usize].law.current_dev(
                        m.g,
                        m.ns,
                        v[m.a.idx()] - v[m.b.idx()],
                    )
                }
                ProbeOf::Branch(k) => {
                    let b = &c.branches[k];
                    let n = match &b.law {
                        crate::circuit::BranchLaw::Program { signs, .. } => signs.len(),
                        _ => 0,
                    };
                    let (mut p, mut s) = (vec![0.0; n], vec![0.0; n]);
                    let vab = v[b.a.idx()] - v[b.b.idx()];
                    crate::mna::system::branch_eval(&b.law, vab, &mut p, &mut s, &mut Vec::new()).0
                }
                ProbeOf::Controlled(k) => {
                    let b = &c.controlled[k];
                    let p: Vec<f64> = b
                        .probes
                        .iter()
                        .map(|&(x, y)| v[x.idx()] - v[y.idx()])
                        .chain(b.currents.iter().map(|&of| self.sys.current_of(of)))
                        .collect();
                    let s = vec![0.0; p.len()];
                    b.prog.eval_dual(&p, &s, &mut Vec::new()).0
                }
                ProbeOf::Zero => 0.0,
                ProbeOf::MemState(k) => c.memristors[k].g,
                ProbeOf::MemResistance(k) => {
                    let m = &c.memristors[k];
                    1.0 / c.models[m.model as usize]
                        .law
                        .eval_dev(m.g, m.ns, v[m.a.idx()] - v[m.b.idx()])
                        .1
                }
            })
            .collect()
    }

    /// Voltage-source currents at the last solution (SPICE sign).
    pub fn source_currents(&mut self) -> Vec<f64> {
        let y = std::mem::take(&mut self.y);
        self.sys.node_voltages(&y);
        self.y = y;
        let leaving = self.sys.leaving_currents(self.c);
        self.sys.source_currents(self.c, &leaving)
    }

    /// Names matching [`Engine::quantities`].
    pub fn quantity_names(&self) -> Vec<String> {
        quantity_names(self.c)
    }
}

/// The names of the quantities an engine on `c` gives ([`Engine::quantities`]).
pub fn quantity_names(c: &Circuit) -> Vec<String> {
    if let Some(list) = &c.outputs {
        return list.iter().map(|p| p.label.clone()).collect();
    }
    (1..c.nodes.len())
        .map(|k| format!("v({})", c.nodes.name(crate::circuit::NodeId(k as u32))))
        .chain(c.nodes.aliases().iter().map(|(n, _)| format!("v({n})")))
        .chain(c.vsources.iter().map(|v| format!("i({})", v.name)))
        .chain(c.vbranches.iter().map(|b| format!("i({})", b.name)))
        .collect()
}
