//! Verify reads through the circuit: reuse of an unchanged read, the
//! rank-one prediction of a read from the last one, and the read itself.

use super::*;

/// A read is solved again once the largest relative state change of any
/// device, summed over the pulses since the last solved read of the same
/// cell, exceeds this (10⁻³ of the default reltol: the old solution is the
/// new one to far better than tolerance).
pub const READ_REUSE_REL: f64 = 1e-9;

/// The last solved read: its cell and bias, sense current, device voltages
/// and the selected device's state it was solved at.
pub(super) struct ReadCache {
    pub(super) cell: usize,
    pub(super) vread: f64,
    pub(super) scheme: Scheme,
    pub(super) i: f64,
    pub(super) vdev: Vec<f64>,
    pub(super) g_sel: f64,
}

/// Rank-one read predictor of one cell: z = J⁻¹a, a = e_t − e_b of the
/// selected device, with J the read Jacobian's factorization.
pub(super) struct Predictor {
    pub(super) cell: usize,
    /// The read solver's factorization count z was computed with.
    pub(super) factor_id: usize,
    pub(super) z: Vec<f64>,
    /// aᵀz.
    pub(super) azt: f64,
}

impl PulseEngine {
    /// Warm start of a read of `cell` that follows a read of the same cell
    /// (pulses on it in between): the selected device's state change from
    /// g₀ to g₁ changes the residual by a·ΔI, ΔI = I(g₁, v) − I(g₀, v), and
    /// the Jacobian by δ·aaᵀ, δ = I′(g₁, v) − I′(g₀, v); Sherman–Morrison
    /// gives the Newton step −z·ΔI/(1 + δ·aᵀz) without a triangular solve
    /// once z = J⁻¹a is known (one solve per cell). Newton then starts from
    /// there, so the result is the same, in fewer iterations.
    pub(super) fn predict_read(&mut self, cell: usize) {
        self.r.refresh_y(&self.sys);
        let Some(rc) = &self.read_cache else { return };
        if rc.cell != cell || !self.r.factored || self.r.solver.is_iterative() {
            return;
        }
        let (g0, v) = (rc.g_sel, rc.vdev[cell]);
        let g1 = self.g(cell);
        if g1 == g0 {
            return;
        }
        let xb = &self.c.crossbars[self.xbar];
        let (ut, ub) = (
            self.sys.map.unk[xb.t[cell].idx()],
            self.sys.map.unk[xb.b[cell].idx()],
        );
        let factor_id = self.r.solver.factorizations;
        if self
            .predictor
            .as_ref()
            .is_none_or(|p| p.cell != cell || p.factor_id != factor_id)
        {
            let mut z = vec![0.0; self.sys.n()];
            if ut != crate::mna::NONE {
                z[ut as usize] += 1.0;
            }
            if ub != crate::mna::NONE {
                z[ub as usize] -= 1.0;
            }
            self.r.solver.solve(&mut z);
            let at = |u: u32| {
                if u == crate::mna::NONE {
                    0.0
                } else {
                    z[u as usize]
                }
            };
            let azt = at(ut) - at(ub);
            self.predictor = Some(Predictor {
                cell,
                factor_id,
                z,
                azt,
            });
        }
        let Some(p) = &self.predictor else { return };
        let ns = self.c.memristors[self.first + cell].ns;
        let (i0, d0) = self.law.eval_dev(g0, ns, v);
        let (i1, d1) = self.law.eval_dev(g1, ns, v);
        let den = 1.0 + (d1 - d0) * p.azt;
        if !(den.is_finite() && den > 0.0) {
            return;
        }
        let s = (i1 - i0) / den;
        for (y, z) in self.r.y.iter_mut().zip(&p.z) {
            *y -= z * s;
        }
    }

    /// Read `cell` through the circuit: the sense current over `vread`
    /// (times 1 + read noise).
    pub fn read(&mut self, cell: usize) -> Result<f64, SolveFailure> {
        let (vread, scheme) = (self.vread, self.read_scheme);
        // Nothing moved since the last solved read of this cell (same bias)
        // by more than READ_REUSE_REL in all: that solution is this one, far
        // inside reltol.
        let cached = match &self.read_cache {
            Some(rc) => {
                rc.cell == cell
                    && rc.vread == vread
                    && rc.scheme == scheme
                    && self.drift < READ_REUSE_REL
            }
            None => false,
        };
        let i = match &self.read_cache {
            Some(rc) if cached => {
                self.vdev.clone_from(&rc.vdev);
                self.stats.reused_reads += 1;
                rc.i
            }
            _ => {
                let bias = Bias::Read {
                    cell,
                    v: vread,
                    scheme,
                };
                if self.bias != bias {
                    self.set_bias(cell, vread, scheme);
                    self.bias = bias;
                }
                if self.relaxing(false) {
                    if self.last_read_cell != Some(cell) {
                        self.r.prev = None;
                        match (self.last_read_cell, &self.read_cache) {
                            // Another cell at the same read bias: the last
                            // read's solution, the two cells' lines first.
                            (Some(c0), Some(rc)) if rc.vread == vread && rc.scheme == scheme => {
                                self.moved_from = Some(c0);
                            }
                            _ => self.r.start_from_ties(&self.c, &self.sys),
                        }
                    } else if let Some((_, gk)) = self.last_read_g.filter(|r| r.0 == cell) {
                        // The selected device moved from g_k (the last read)
                        // to g: extrapolate along the secant of the last two
                        // reads of this cell, in its state.
                        let g = self.g(cell);
                        let pair = self.r.prev.filter(|&(c1, g1)| c1 == cell && g1 != gk);
                        let t = pair.map(|(_, g1)| (g - gk) / (gk - g1));
                        self.r.extrapolate(t, 1.0);
                        self.r.prev = Some((cell, gk));
                    }
                } else {
                    self.predict_read(cell);
                }
                self.last_read_cell = Some(cell);
                self.newton(false)?;
                self.last_read_g = Some((cell, self.g(cell)));
                let d = self.col_drv[cell % self.cols];
                let i = (self.r.node_voltage(d.port) - self.r.node_voltage(d.at)) * d.g;
                self.drift = 0.0;
                let g_sel = self.g(cell);
                let rc = self.read_cache.get_or_insert_with(|| ReadCache {
                    cell,
                    vread,
                    scheme,
                    i,
                    vdev: Vec::new(),
                    g_sel,
                });
                rc.cell = cell;
                rc.vread = vread;
                rc.scheme = scheme;
                rc.i = i;
                rc.vdev.clone_from(&self.vdev);
                rc.g_sel = g_sel;
                i
            }
        };
        // A read is a pulse too: every device moves by what it saw (read
        // disturb; nothing below a hard threshold, ~nothing far below a soft one).
        self.accept(cell, self.tread);
        let mut g = i / self.vread;
        let rn = self.dynamics.var.read_noise;
        if rn > 0.0 {
            g *= 1.0 + rn * dynamics::normal(&mut self.rng);
        }
        Ok(g)
    }
}
