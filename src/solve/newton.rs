//! Newton–Raphson on the nodal equations F(y) = 0.
//!
//! Each iteration assembles F, solves J·Δ = −F with the reused symbolic
//! factorization, and damps the step by backtracking on ‖F‖₂ (Armijo, halving
//! up to 12 times) so exponential laws such as sinh cannot run away. The
//! numeric factorization of J is kept across iterations while the steps
//! contract fast (modified Newton) and refreshed when they do not.
//! Convergence (SPICE-style), all unknowns:
//!   |Δyᵢ| ≤ reltol·max(|yᵢ|, |yᵢ + Δyᵢ|) + vntol   (the last step), and
//!   |Fᵢ|  ≤ reltol·max|element current at i| + abstol (at the new point).
//! When steps are within tolerance but ‖F‖ has stopped falling (a residual
//! tolerance below what float64 can resolve), the iterate is accepted.
//! When plain Newton fails: the same start with full steps (SPICE's own
//! Newton: on a law with two roots, such as a bistable memristor state, the
//! line search can settle in a dip of ‖F‖ that is no root, where full steps
//! go on to one), then gmin stepping (a shunt from every unknown to
//! ground, 1e-2 S down to `gmin` by decades, each stage warm-started, then
//! removed), then source stepping (all independent sources scaled by λ, 0 → 1,
//! adaptive steps). A failure names the worst node and its residual.

use super::sparse::{SolveError, SparseSolver};
use crate::circuit::{Circuit, Options};
use crate::mna::System;

/// How a solve went.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    pub iterations: usize,
    pub factorizations: usize,
    /// "linear", "newton", "full-step newton", "gmin stepping" or "source
    /// stepping".
    pub method: &'static str,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SolveFailure {
    #[error("no convergence after {iterations} Newton iterations (damped, full-step, gmin stepping and source stepping tried); worst node '{node}' has a current imbalance of {residual:.3e} A")]
    NoConvergence {
        node: String,
        residual: f64,
        iterations: usize,
    },
    #[error("{0}")]
    Linear(#[from] SolveError),
    #[error("the circuit cannot be solved: {0}")]
    Invalid(String),
    #[error("the solution is not finite near node '{node}'")]
    NotFinite { node: String },
    #[error("the circuit's matrix is singular near node '{node}': its voltage is not fixed by the circuit")]
    Singular { node: String },
    /// Stopped from outside (see [`super::interrupt`]).
    #[error("interrupted")]
    Interrupted,
}

/// A chord step must be at most this fraction of the previous step, or the
/// Jacobian is refactored.
pub const CHORD_RATIO: f64 = 0.3;
/// Relative residual to which an iterative solver solves each Newton step
/// (inexact Newton; the outer loop checks the true node residuals).
pub const NEWTON_LINEAR_TOL: f64 = 1e-6;
/// At the rounding floor a residual may exceed its tolerance by at most this
/// factor (a tolerance below float64 resolution), never more.
pub const FLOOR_SLACK: f64 = 1e4;
/// Below this many unknowns a factorization costs about a solve: always
/// refactor (full Newton, quadratic convergence).
pub const CHORD_MIN_UNKNOWNS: usize = 5000;
/// At most this many chord steps in a row.
pub const CHORD_MAX: usize = 12;

pub struct Newton<'a> {
    pub opts: &'a Options,
    /// Start the first Newton attempt with the solver's current factorization
    /// (a chord step) instead of refactoring: set when the previous solve of
    /// the same circuit left one (sweeps, input vectors).
    pub reuse_first: bool,
    /// Backtrack on ‖F‖ (false: every step taken whole, junction limits
    /// kept).
    damped: bool,
    /// Where the present solve started (the full-step retry starts there).
    start: Vec<f64>,
    dy: Vec<f64>,
    ytry: Vec<f64>,
    iterations: usize,
}

fn norm2(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>().sqrt()
}

impl<'a> Newton<'a> {
    pub fn new(opts: &'a Options, n: usize) -> Self {
        Newton {
            opts,
            reuse_first: false,
            damped: true,
            start: Vec::with_capacity(n),
            dy: vec![0.0; n],
            ytry: vec![0.0; n],
            iterations: 0,
        }
    }

    /// Every node residual within `factor` times its tolerance.
    fn residual_within(&self, sys: &System, factor: f64) -> bool {
        let o = self.opts;
        sys.f
            .iter()
            .zip(&sys.scale)
            .all(|(f, s)| f.abs() <= factor * (o.reltol * s + o.abstol))
    }

    fn residual_ok(&self, sys: &System) -> bool {
        let o = self.opts;
        sys.f
            .iter()
            .zip(&sys.scale)
            .all(|(f, s)| f.abs() <= o.reltol * s + o.abstol)
    }

    /// Worst unknown by scaled residual (after an assembly).
    fn worst(&self, sys: &System, c: &Circuit) -> (String, f64) {
        let o = self.opts;
        let mut best = (0usize, -1.0f64);
        for (k, (f, s)) in sys.f.iter().zip(&sys.scale).enumerate() {
            let r = f.abs() / (o.reltol * s + o.abstol);
            if r > best.1 || r.is_nan() {
                best = (k, if r.is_nan() { f64::INFINITY } else { r });
            }
        }
        let name = sys.unknown_name(c, best.0);
        (name, sys.f.get(best.0).copied().unwrap_or(0.0))
    }

    /// One linear solve: exact for linear circuits. `refactor`: the matrix changed.
    pub fn linear(
        &mut self,
        sys: &mut System,
        solver: &mut SparseSolver,
        c: &Circuit,
        y: &mut [f64],
        refactor: bool,
    ) -> Result<(), SolveFailure> {
        super::interrupt::check()?;
        sys.assemble(c, y, refactor);
        if refactor {
            solver.factor(&sys.vals).map_err(|e| match e {
                SolveError::Singular(k) => SolveFailure::Singular {
                    node: sys.unknown_name(c, k),
                },
                e => e.into(),
            })?;
        }
        for (d, f) in self.dy.iter_mut().zip(&sys.f) {
            *d = -f;
        }
        solver.solve(&mut self.dy);
        for (yi, d) in y.iter_mut().zip(&self.dy) {
            *yi += d;
        }
        self.iterations += 1;
        if let Some(k) = y.iter().position(|v| !v.is_finite()) {
            return Err(SolveFailure::NotFinite {
                node: sys.unknown_name(c, k),
            });
        }
        Ok(())
    }

    /// Damped modified Newton from `y`. Ok(true) when converged.
    ///
    /// The factorization of J is reused (chord steps) while the steps shrink
    /// by at least [`CHORD_RATIO`] per iteration; J is refactored at the
    /// current point when they do not, when the line search had to damp, or
    /// after [`CHORD_MAX`] chord steps. On large arrays one factorization costs
    /// about ten solves, and mildly nonlinear devices contract well under a
    /// slightly old Jacobian.
    pub fn newton(
        &mut self,
        sys: &mut System,
        solver: &mut SparseSolver,
        c: &Circuit,
        y: &mut [f64],
    ) -> Result<bool, SolveFailure> {
        let o = self.opts;
        let mut step_ok = false;
        let mut refactor = !std::mem::take(&mut self.reuse_first);
        let mut chord_steps = 0usize;
        let mut last_step = f64::INFINITY;
        let small = sys.n() < CHORD_MIN_UNKNOWNS;
        // ‖F‖ at the previous iteration, and how many full steps in a row were
        // already within the step tolerance without ‖F‖ falling.
        let mut prev_f = f64::INFINITY;
        let mut floor_hits = 0;
        // The line search left F(y) in `sys.f` (no Jacobian needed next).
        let mut f_current = false;
        for _ in 0..o.itl1 {
            if !f_current || refactor {
                sys.assemble(c, y, refactor);
            }
            f_current = false;
            if !sys.f.iter().all(|x| x.is_finite()) {
                return Ok(false);
            }
            if step_ok && self.residual_ok(sys) {
                return Ok(true);
            }
            if refactor {
                match solver.factor(&sys.vals) {
                    Ok(()) => {}
                    Err(SolveError::Faer(_)) | Err(SolveError::Singular(_)) => return Ok(false),
                    Err(e @ SolveError::TooLarge(_)) => return Err(e.into()),
                }
                chord_steps = 0;
            } else {
                chord_steps += 1;
            }
            self.iterations += 1;
            for (d, f) in self.dy.iter_mut().zip(&sys.f) {
                *d = -f;
            }
            solver.solve_tol(&mut self.dy, NEWTON_LINEAR_TOL);
            if !self.dy.iter().all(|d| d.is_finite()) {
                return Ok(false);
            }
            let f0 = norm2(&sys.f);
            // A step already within the step tolerance is taken whole: near the
            // rounding floor ‖F‖ cannot decrease, and a line search there
            // would only shrink the step forever.
            let within = y
                .iter()
                .zip(&self.dy)
                .all(|(a, d)| d.abs() <= o.reltol * a.abs().max((a + d).abs()) + o.vntol);
            // Junctions: no diode's forward voltage jumps more than SPICE's
            // junction limiting allows (the whole step is scaled to the
            // tightest), so an exponential far past its knee cannot stall
            // the line search on an overflowing residual.
            let mut alpha = if within {
                1.0
            } else {
                junction_limit(sys, c, &self.dy)
            };
            for k in 0..=12 {
                for ((t, yi), d) in self.ytry.iter_mut().zip(y.iter()).zip(&self.dy) {
                    *t = yi + alpha * d;
                }
                if within || !self.damped {
                    break;
                }
                sys.assemble(c, &self.ytry, false);
                let f1 = norm2(&sys.f);
                if (f1.is_finite() && f1 <= (1.0 - 1e-4 * alpha) * f0)
                    || self.residual_ok(sys)
                    || k == 12
                {
                    f_current = true;
                    break;
                }
                alpha *= 0.5;
            }
            // At the rounding floor: steps within tolerance and ‖F‖ no longer
            // falling twice in a row. Nothing better is representable.
            floor_hits = if within && f0 >= 0.5 * prev_f {
                floor_hits + 1
            } else {
                0
            };
            prev_f = f0;
            if floor_hits >= 2 && self.residual_within(sys, FLOOR_SLACK) {
                y.copy_from_slice(&self.ytry);
                return Ok(true);
            }
            step_ok = alpha == 1.0
                && (within
                    || y.iter()
                        .zip(&self.ytry)
                        .all(|(a, b)| (a - b).abs() <= o.reltol * a.abs().max(b.abs()) + o.vntol));
            let step = alpha * norm2(&self.dy);
            refactor = solver.cheap_factor()
                || small
                || alpha < 1.0
                || step > CHORD_RATIO * last_step
                || chord_steps >= CHORD_MAX;
            last_step = step;
            y.copy_from_slice(&self.ytry);
        }
        Ok(false)
    }

    /// The full strategy: Newton, then gmin stepping, then source stepping.
    pub fn solve(
        &mut self,
        sys: &mut System,
        solver: &mut SparseSolver,
        c: &Circuit,
        y: &mut [f64],
    ) -> Result<Stats, SolveFailure> {
        super::interrupt::check()?;
        self.iterations = 0;
        let f0 = solver.factorizations;
        let stats = |s: &Self, m: &'static str, solver: &SparseSolver| Stats {
            iterations: s.iterations,
            factorizations: solver.factorizations - f0,
            method: m,
        };
        self.start.clear();
        self.start.extend_from_slice(y);
        if self.newton(sys, solver, c, y)? {
            return Ok(stats(self, "newton", solver));
        }
        // Where plain Newton got to: reported if every strategy fails.
        let y_plain = y.to_vec();
        // Full steps from the same start.
        y.copy_from_slice(&self.start);
        self.damped = false;
        let full = self.newton(sys, solver, c, y);
        self.damped = true;
        if full? {
            return Ok(stats(self, "full-step newton", solver));
        }
        // gmin stepping from zero.
        y.iter_mut().for_each(|v| *v = 0.0);
        let mut g = 1e-2;
        let mut ok = true;
        while g >= self.opts.gmin.max(1e-15) {
            sys.gshunt = g;
            if !self.newton(sys, solver, c, y)? {
                ok = false;
                break;
            }
            g /= 10.0;
        }
        sys.gshunt = 0.0;
        if ok && self.newton(sys, solver, c, y)? {
            return Ok(stats(self, "gmin stepping", solver));
        }
        // Source stepping.
        y.iter_mut().for_each(|v| *v = 0.0);
        let mut lam: f64 = 0.0;
        let mut dl: f64 = 0.1;
        let mut good = y.to_vec();
        let mut reached = false;
        while dl > 1e-4 {
            let next = (lam + dl).min(1.0);
            sys.source_scale = next;
            sys.update_sources();
            if self.newton(sys, solver, c, y)? {
                lam = next;
                good.copy_from_slice(y);
                if lam >= 1.0 {
                    reached = true;
                    break;
                }
                dl = (dl * 1.5).min(0.5);
            } else {
                y.copy_from_slice(&good);
                dl /= 4.0;
            }
        }
        sys.source_scale = 1.0;
        sys.update_sources();
        if reached {
            return Ok(stats(self, "source stepping", solver));
        }
        // Report from where plain Newton stopped (a source-stepping point at
        // λ < 1 is not a solution of the real circuit).
        y.copy_from_slice(&y_plain);
        sys.assemble(c, y, false);
        let (node, residual) = self.worst(sys, c);
        Err(SolveFailure::NoConvergence {
            node,
            residual,
            iterations: self.iterations,
        })
    }

    pub fn iterations(&self) -> usize {
        self.iterations
    }
}

/// The largest fraction (≤ 1) of step `dy` that keeps every diode's new
/// forward voltage within SPICE's junction limit (`pnjlim`): above the
/// critical voltage vcrit = vte·ln(vte/(√2·Is)) a forward step of more than
/// 2·vte is cut to vte·ln(1 + Δ/vte) (from a forward-biased start) or to
/// vte·ln(v_new/vte) (from below zero).
fn junction_limit(sys: &System, c: &Circuit, dy: &[f64]) -> f64 {
    use crate::circuit::BranchLaw;
    let unk = &sys.map.unk;
    let d = |n: crate::circuit::NodeId| match unk[n.idx()] {
        crate::mna::mapping::NONE => 0.0,
        k => dy[k as usize],
    };
    let mut alpha: f64 = 1.0;
    for b in &c.branches {
        let BranchLaw::Diode { law, .. } = &b.law else {
            continue;
        };
        let vte = law.vte;
        let vold = sys.v[b.a.idx()] - sys.v[b.b.idx()];
        let dv = d(b.a) - d(b.b);
        let vnew = vold + dv;
        // Small steps first: they need no limit, nor the logarithm below.
        if dv.abs() <= 2.0 * vte {
            continue;
        }
        let vcrit = vte * (vte / (std::f64::consts::SQRT_2 * law.csat)).ln();
        if vnew <= vcrit {
            continue;
        }
        let vlim = if vold > 0.0 {
            let arg = 1.0 + dv / vte;
            if arg > 0.0 {
                vold + vte * arg.ln()
            } else {
                vcrit
            }
        } else {
            vte * (vnew / vte).ln()
        };
        if dv != 0.0 {
            let r = (vlim - vold) / dv;
            if r > 0.0 && r < alpha {
                alpha = r;
            }
        }
    }
    alpha
}
