//! One kind of solve of the pulse engine (writes, or reads): its solver,
//! Newton's warm start, the line relaxation and the last two solutions.

use super::*;

/// One kind of solve, writes or reads: its Newton solver and warm start,
/// its line relaxation, and its last two solutions.
pub(super) struct Side {
    pub(super) solver: SparseSolver,
    /// Newton's unknowns; they lag behind `v` (line relaxation solved last)
    /// while `y_stale`, and are brought up to date only when Newton needs them.
    pub(super) y: Vec<f64>,
    pub(super) y_stale: bool,
    /// `solver` holds a factorization of this kind's last Jacobian.
    pub(super) factored: bool,
    /// Line relaxation (when the circuit is a bare crossbar with its drivers
    /// and `.options solver` is left at auto; it keeps the chain
    /// factorization of its own bias), with the warm start: the last
    /// solution. While `held`, the relaxation holds that solution by
    /// position and `v` is stale: relaxation solves from it and leaves its
    /// solution there, with no node vector loaded or stored; Newton stores
    /// it first (see [`Side::hold`]).
    pub(super) relax: Option<LineRelax>,
    /// Node voltages of the last solution.
    pub(super) v: Vec<f64>,
    pub(super) held: bool,
    /// The solution before the last, in the same order (by node or by
    /// position), and its key: (cell, amplitude) for writes, (cell, selected
    /// device's state) for reads. With the last, a secant.
    pub(super) prev: Option<(usize, f64)>,
    pub(super) v_prev: Vec<f64>,
}

impl Side {
    pub(super) fn new(
        solver: SparseSolver,
        relax: Option<LineRelax>,
        nn: usize,
        nodes: usize,
        warm_len: usize,
    ) -> Side {
        Side {
            solver,
            y: vec![0.0; nn],
            y_stale: false,
            factored: false,
            // Starts from 0 V everywhere, in either order.
            held: relax.is_some(),
            relax,
            v: vec![0.0; nodes],
            prev: None,
            v_prev: vec![0.0; warm_len],
        }
    }

    /// Keep the last solution in the line relaxation (`true`, loading it
    /// from the node vector if needed) or in the node vector (`false`,
    /// storing it there if needed). A move forgets the solution before it
    /// (no secant across orders).
    pub(super) fn hold(&mut self, sys: &System, on: bool) {
        let Some(lr) = &mut self.relax else { return };
        if self.held == on {
            return;
        }
        if on {
            lr.load(sys, &self.v);
        } else {
            lr.store(&mut self.v);
        }
        self.held = on;
        self.prev = None;
    }

    /// Bring Newton's warm start `y` up to the node voltages `v` if line
    /// relaxation moved those on.
    pub(super) fn refresh_y(&mut self, sys: &System) {
        self.hold(sys, false);
        if !self.y_stale {
            return;
        }
        self.y_stale = false;
        let off = sys.offsets();
        for (node, &u) in sys.map.unk.iter().enumerate() {
            if u != crate::mna::NONE {
                self.y[u as usize] = self.v[node] - off[node];
            }
        }
    }

    /// Each device's voltage in the last solution, wherever it is kept;
    /// `dev_pos` holds the devices' node positions in the relaxation.
    pub(super) fn device_voltages(&self, vdev: &mut [f64], dev_pos: &[(u32, u32)], xb: &Crossbar) {
        match &self.relax {
            Some(lr) if self.held => {
                let vp = lr.held();
                for (vd, &(t, b)) in vdev.iter_mut().zip(dev_pos) {
                    *vd = vp[t as usize] - vp[b as usize];
                }
            }
            _ => {
                for (k, vd) in vdev.iter_mut().enumerate() {
                    *vd = self.v[xb.t[k].idx()] - self.v[xb.b[k].idx()];
                }
            }
        }
    }

    /// The voltage of `node` in the last solution.
    pub(super) fn node_voltage(&self, node: NodeId) -> f64 {
        match &self.relax {
            Some(lr) if self.held => lr.held()[lr.position(node)],
            _ => self.v[node.idx()],
        }
    }

    /// Start the next solve from the line voltages that ideal wires and no
    /// devices would give (with line relaxation only).
    pub(super) fn start_from_ties(&mut self, c: &Circuit, sys: &System) {
        match &mut self.relax {
            Some(lr) if self.held => lr.start_held_from_ties(c, sys),
            Some(lr) => lr.start_from_ties(c, sys, &mut self.v),
            None => {}
        }
    }

    /// The last solution as it is kept (by position while held, else by
    /// node), and the one before it in the same order.
    pub(super) fn warm(&mut self) -> (&mut [f64], &mut [f64]) {
        let cur = match &mut self.relax {
            Some(lr) if self.held => lr.held_mut(),
            _ => &mut self.v[..],
        };
        let n = cur.len();
        (cur, &mut self.v_prev[..n])
    }

    /// The warm start of the next solve on the same cell: the last solution
    /// x₀ moved along the secant through the one before, x₀ + t·(x₀ − x₁),
    /// with t the new amplitude's (state's) step over the last one, if
    /// |t| ≤ [`SECANT_MAX`]; else x₀ scaled by `s`. x₀ becomes the solution
    /// before.
    pub(super) fn extrapolate(&mut self, t: Option<f64>, s: f64) {
        let (cur, prev) = self.warm();
        let xs = cur.iter_mut().zip(prev.iter_mut());
        match t {
            Some(t) if t.abs() <= SECANT_MAX => xs.for_each(|(x, p)| {
                let x0 = *x;
                *x = x0 + t * (x0 - *p);
                *p = x0;
            }),
            _ => xs.for_each(|(x, p)| {
                *p = *x;
                *x *= s;
            }),
        }
    }
}
