//! Line relaxation: a nonlinear block Gauss–Seidel solver for circuits whose
//! resistors between unknown nodes form chains, the shape of a crossbar.
//!
//! In a crossbar every row and every column is a chain of wire segments
//! (0.1–10 Ω) with devices (10 kΩ and up) hanging between chains. When every
//! chain is also tied to a known voltage (a driver or sense source behind a
//! switch), each chain is nearly independent of the others: solving one chain
//! with the others held fixed is an excellent step, and sweeping all chains
//! converges by orders of magnitude per sweep. One sweep visits every node
//! once and costs O(n): per chain, a tridiagonal step from the exact residual
//! at the latest voltages of every node. The chains' tridiagonal matrices
//! (wires, ties and device slopes) are factored at the start of a solve and
//! kept while they still contract fast (a chord iteration: the matrix only
//! sets the speed, the residual sets the answer).
//!
//! The stopping test is Newton's, made stricter: in the last sweep every
//! node moved by at most half of reltol·|v| + vntol while the sweeps contract
//! by at least 2× (so the error left is within the tolerance too), and every
//! node's current balance is within reltol times its largest element current
//! plus abstol. The contraction ρ is the ratio of the last two sweeps' largest
//! steps, but never less than the bound the chain factorization implies
//! (Gauss–Seidel's asymptotic rate on the two-coloured chains, the square of
//! block Jacobi's, whose ∞-norm is one tridiagonal solve per chain): weakly
//! tied lines thus never pass on two small steps from a good start while a
//! slow mode is unresolved. A solve that does not meet it within [`MAX_SWEEPS`], or still
//! contracts by less than 2× after refactoring, returns an error; the caller
//! then solves by Newton with a sparse factorization.
//!
//! The chains come in two colours (a crossbar's rows and its columns) with
//! devices only between colours, so one sweep is: every chain of colour 0
//! (independent of each other given colour 1), then every chain of colour 1.
//! The chains of a colour are stored in groups of [`LANES`], node by node
//! side by side, so one pass over a group carries LANES independent
//! recurrences (the elimination of a single chain is one long dependency
//! chain); each chain's arithmetic is the same as stepping it alone. The
//! loops also have an AVX2 copy, chosen at run time. A colour of at least
//! [`PARALLEL_MIN`] positions is split in two halves stepped on two threads
//! ([`super::pair`]), and so is the residual test; the chains of a colour do
//! not read each other, so this changes no bit either.
//!
//! Applies only when the circuit is resistors, memristors of one I–V law and
//! grounded voltage sources, every resistor between two unknown nodes on a
//! simple chain, at most one memristor per unknown node, and the chains
//! two-coloured by the memristors ([`LineRelax::new`] says `None` otherwise).

use crate::circuit::{Circuit, NodeId};
use crate::devices::memristor::IvLaw;
use crate::mna::{System, NONE};

mod build;
mod kernel;
pub use kernel::PARALLEL_MIN;
use kernel::{Coefs, Part};

/// Sweeps one solve may take before it gives up.
pub const MAX_SWEEPS: usize = 60;
/// Rounds of relaxing only the seed chains before the sweeps.
pub const SEED_ROUNDS: usize = 3;
/// A solve that needed this many sweeps refactors the chains once.
pub const REFACTOR_SWEEPS: usize = 4;

/// Chains side by side in one group: each sweep steps LANES chains at once,
/// so the loops carry LANES independent recurrences (and vectorize).
pub const LANES: usize = 4;
/// Position of no node (padding, and the dummies that fill a group's
/// shorter chains).
const DUMMY: u32 = u32::MAX;

/// LANES chains of one colour: positions `start + s·LANES + l` hold the
/// s-th node of the group's l-th chain, s < `len`.
#[derive(Clone, Copy, Debug)]
struct Group {
    start: usize,
    len: usize,
}

/// Positions: a padding block of LANES, colour 0's groups up to `c0_end`,
/// the known nodes up to `k_end`, colour 1's groups up to `c1_end`, and
/// another padding block. So while one colour moves, everything it reads
/// of the other colour and the known nodes is one contiguous range. Padding
/// and dummy positions have no links, ties or device, a voltage of 0 and a
/// step of 0.
pub struct LineRelax {
    c0_end: usize,
    k_end: usize,
    c1_end: usize,
    groups: Vec<Group>,
    /// Groups `..split_g` are colour 0.
    split_g: usize,
    /// Node of each position (`DUMMY` for none), and position of each node;
    /// (position, node) of the unknown and of the known nodes.
    node: Vec<u32>,
    pos: Vec<u32>,
    unknowns: Vec<(u32, u32)>,
    knowns: Vec<(u32, u32)>,
    /// The chain links (resistor, position it links to the next) and the
    /// memristors (memristor, its a and b positions or `NONE`), both in the
    /// circuit's order, so gathering reads the circuit front to back; the
    /// states the device coefficients were computed for.
    links: Vec<(u32, u32)>,
    links_read: bool,
    devs: Vec<(u32, u32, u32)>,
    dev_g: Vec<f64>,
    /// Per position: its ties (resistor, known position) in
    /// `ties[tstart[q]..tstart[q+1]]`, its memristor (`NONE` if none), the
    /// position at the memristor's other end, and +1/−1 when it is the
    /// memristor's a/b terminal (0 without one). `tied`: the positions with
    /// ties.
    tstart: Vec<u32>,
    ties: Vec<(u32, u32)>,
    tied: Vec<u32>,
    dev: Vec<u32>,
    other: Vec<u32>,
    sign: Vec<f64>,
    law: IvLaw,
    /// Gathered at the start of each solve: conductance of the link to the
    /// next position, tie conductance, Σ g·V of the ties, device state and
    /// the two coefficients of its law (linear: g, 0; cubic: A1, A3; sinh:
    /// g/β, β), recomputed when the state changed.
    gl: Vec<f64>,
    tg: Vec<f64>,
    tgv: Vec<f64>,
    mg: Vec<f64>,
    ca: Vec<f64>,
    cb: Vec<f64>,
    /// The chains' factorization: 1/pivot, the lower multiplier (link to
    /// the previous position over the pivot) and the upper multiplier; and
    /// whether the link and tie conductances changed since it was made.
    inv: Vec<f64>,
    lm: Vec<f64>,
    cp: Vec<f64>,
    factored: bool,
    ties_changed: bool,
    /// Voltages by position, and the last sweep's steps.
    vp: Vec<f64>,
    y: Vec<f64>,
    /// The CPU has AVX2: the sweep and residual loops run their AVX2 copy
    /// (same operations in the same order, so the same bits).
    #[cfg(target_arch = "x86_64")]
    avx2: bool,
    /// Large colours may be split over two threads.
    threads: bool,
    /// Asymptotic contraction per sweep implied by the last factorization
    /// (see `factor`); the stopping test never assumes faster.
    rho_bound: f64,
}

/// A solve that stopped without converging, after `sweeps` sweeps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NotConverged {
    pub sweeps: usize,
}

impl LineRelax {
    /// Use the AVX2 copy of the loops when the CPU has it (`true`, the
    /// default) or the baseline copy (`false`): for testing that both give
    /// the same bits.
    pub fn use_avx2(&mut self, on: bool) {
        #[cfg(target_arch = "x86_64")]
        {
            self.avx2 = on && std::arch::is_x86_feature_detected!("avx2");
        }
        let _ = on;
    }

    /// Let large colours be split over two threads (`true`, the default) or
    /// keep every solve on the calling thread: for testing that both give
    /// the same bits.
    pub fn use_threads(&mut self, on: bool) {
        self.threads = on;
    }

    /// Load node voltages `v` into positions, known nodes from `sys`.
    /// (Padding and dummy positions hold 0 from the start: their steps are 0.)
    pub fn load(&mut self, sys: &System, v: &[f64]) {
        for &(q, nd) in &self.unknowns {
            self.vp[q as usize] = v[nd as usize];
        }
        self.load_knowns(sys);
    }

    fn load_knowns(&mut self, sys: &System) {
        let off = sys.offsets();
        for &(q, nd) in &self.knowns {
            self.vp[q as usize] = off[nd as usize];
        }
    }

    /// Store positions back into node voltages `v` (known nodes included).
    pub fn store(&self, v: &mut [f64]) {
        for &(q, nd) in self.unknowns.iter().chain(&self.knowns) {
            v[nd as usize] = self.vp[q as usize];
        }
    }

    /// The voltages this relaxation holds, by position: the last solve's
    /// solution, which the next [`LineRelax::solve_held`] starts from. A
    /// caller may change them in place (a warm start); padding and dummy
    /// positions must stay 0 (any elementwise map that keeps 0 at 0 does),
    /// and known positions are set from the system at each solve.
    pub fn held_mut(&mut self) -> &mut [f64] {
        &mut self.vp
    }

    /// The voltages held, by position (see [`LineRelax::position`]).
    pub fn held(&self) -> &[f64] {
        &self.vp
    }

    /// A node's position in [`LineRelax::held_mut`].
    pub fn position(&self, node: NodeId) -> usize {
        self.pos[node.idx()] as usize
    }

    /// Read the chain links' conductances again at the next solve (they are
    /// read once, at the first solve: see [`LineRelax::solve_seeded`]).
    pub fn refresh_links(&mut self) {
        self.links_read = false;
    }

    /// Set every chain that is tied to known nodes through resistors to the
    /// conductance-weighted mean of those voltages (the solution with ideal
    /// wires and no devices): a start for a new bias. `v` is per node; its
    /// known nodes are set from `sys`.
    pub fn start_from_ties(&mut self, c: &Circuit, sys: &System, v: &mut [f64]) {
        self.load(sys, v);
        self.start_held_from_ties(c, sys);
        self.store(v);
    }

    /// [`LineRelax::start_from_ties`] on the voltages held.
    pub fn start_held_from_ties(&mut self, c: &Circuit, sys: &System) {
        self.load_knowns(sys);
        for gr in &self.groups {
            for l in 0..LANES {
                let at = |s: usize| gr.start + s * LANES + l;
                let (mut gs, mut gv) = (0.0, 0.0);
                for s in 0..gr.len {
                    let p = at(s);
                    for &(r, k) in &self.ties[self.tstart[p] as usize..self.tstart[p + 1] as usize]
                    {
                        let g = c.resistors[r as usize].g;
                        gs += g;
                        gv += g * self.vp[k as usize];
                    }
                }
                if gs > 0.0 {
                    for s in 0..gr.len {
                        if self.node[at(s)] != DUMMY {
                            self.vp[at(s)] = gv / gs;
                        }
                    }
                }
            }
        }
    }

    /// Gather conductances, tie currents and device states for this solve.
    fn gather(&mut self, c: &Circuit) {
        let mut changed = false;
        if !self.links_read {
            self.links_read = true;
            for &(r, q) in &self.links {
                let x = c.resistors[r as usize].g;
                let g = &mut self.gl[q as usize];
                changed |= x != *g;
                *g = x;
            }
        }
        for &q in &self.tied {
            let q = q as usize;
            let (mut g, mut gv) = (0.0, 0.0);
            for &(r, k) in &self.ties[self.tstart[q] as usize..self.tstart[q + 1] as usize] {
                let x = c.resistors[r as usize].g;
                g += x;
                gv += x * self.vp[k as usize];
            }
            changed |= g != self.tg[q];
            self.tg[q] = g;
            self.tgv[q] = gv;
        }
        self.ties_changed |= changed;
        for (&(m, qa, qb), seen) in self.devs.iter().zip(self.dev_g.iter_mut()) {
            let g = c.memristors[m as usize].g;
            if g == *seen {
                continue;
            }
            *seen = g;
            let (a, b) = match self.law {
                IvLaw::Linear => (g, 0.0),
                IvLaw::Sinh { beta } => (g / beta, beta),
                // The device's own coefficients (its static draw n_s; the
                // mean law's bits without a spread).
                IvLaw::Cubic { .. } => {
                    let (a1, a3, _) = self.law.cubic_dev(g, c.memristors[m as usize].ns);
                    (a1, a3)
                }
                _ => unreachable!("LineRelax::new takes xbarsim's own laws only"),
            };
            for q in [qa, qb] {
                if q != NONE {
                    let q = q as usize;
                    (self.mg[q], self.ca[q], self.cb[q]) = (g, a, b);
                }
            }
        }
    }

    /// dI/dV of position `q`'s device at `vd`: for the cubic law from the
    /// gathered per-device coefficients (the same operations as
    /// [`IvLaw::eval`], so the same bits for the mean law).
    #[inline]
    fn slope(&self, q: usize, vd: f64) -> f64 {
        match self.law {
            IvLaw::Cubic { .. } => self.ca[q] + 3.0 * self.cb[q] * vd * vd,
            _ => self.law.eval(self.mg[q], vd).1,
        }
    }

    /// Factor every chain's tridiagonal matrix (links, ties and device
    /// slopes at the current voltages).
    fn factor(&mut self) {
        self.factored = true;
        self.ties_changed = false;
        for gr in &self.groups {
            for st in 0..gr.len {
                for l in 0..LANES {
                    let q = gr.start + st * LANES + l;
                    if self.node[q] == DUMMY {
                        // Never moves: its step is 0 whatever its residual.
                        (self.inv[q], self.lm[q], self.cp[q]) = (0.0, 0.0, 0.0);
                        continue;
                    }
                    let slope = if self.dev[q] == NONE {
                        0.0
                    } else {
                        let vd = self.sign[q] * (self.vp[q] - self.vp[self.other[q] as usize]);
                        self.slope(q, vd)
                    };
                    // The link to the previous position (none at a chain's start).
                    let (glp, invp) = if st == 0 {
                        (0.0, 0.0)
                    } else {
                        (self.gl[q - LANES], self.inv[q - LANES])
                    };
                    let d = self.tg[q] + self.gl[q] + glp + slope;
                    let den = d - glp * glp * invp;
                    self.inv[q] = 1.0 / den;
                    self.lm[q] = glp * self.inv[q];
                    self.cp[q] = -self.gl[q] * self.inv[q];
                }
            }
        }
        // A bound on how fast sweeps can contract. Block Jacobi's iteration
        // matrix is T⁻¹C (T the chains' matrices, C the device slopes to the
        // other colour), nonnegative, so its ∞-norm is max(T⁻¹c), c the
        // slopes: a solve per chain with the factorization just made. The
        // chains are two-coloured (2-cyclic), so Gauss–Seidel contracts
        // asymptotically by the square of Jacobi's radius.
        let mut rho_j = 0.0f64;
        for gr in &self.groups {
            let mut z = vec![[0.0; LANES]; gr.len];
            let mut prev = [0.0; LANES];
            for (st, zs) in z.iter_mut().enumerate() {
                for l in 0..LANES {
                    let q = gr.start + st * LANES + l;
                    let o = self.other[q] as usize;
                    let coupled = self.dev[q] != NONE
                        && ((LANES..self.c0_end).contains(&o)
                            || (self.k_end..self.c1_end).contains(&o));
                    let c = if coupled {
                        let vd = self.sign[q] * (self.vp[q] - self.vp[o]);
                        self.slope(q, vd)
                    } else {
                        0.0
                    };
                    zs[l] = self.lm[q] * prev[l] + c * self.inv[q];
                }
                prev = *zs;
            }
            let mut next = [0.0; LANES];
            for st in (0..gr.len).rev() {
                for l in 0..LANES {
                    let q = gr.start + st * LANES + l;
                    next[l] = z[st][l] - self.cp[q] * next[l];
                    rho_j = rho_j.max(next[l]);
                }
            }
        }
        self.rho_bound = (rho_j * rho_j).min(1.0);
    }

    /// Solve the circuit for node voltages `v` (warm start in, solution out;
    /// known nodes are taken from `sys`, whose sources must be up to date).
    /// Returns the number of sweeps. Every solve reads the ties' and the
    /// memristors' present values from `c`; the chain links (the wires) are
    /// read at the first solve only, and again after
    /// [`LineRelax::refresh_links`].
    pub fn solve(
        &mut self,
        c: &Circuit,
        sys: &System,
        v: &mut [f64],
    ) -> Result<usize, NotConverged> {
        self.solve_seeded(c, sys, v, &[])
    }

    /// [`LineRelax::solve`], first relaxing the chains through the `seeds`
    /// nodes among themselves a few times (with every other chain held): the
    /// lines of a selected cell, where a change since the warm start is
    /// concentrated. Only the start changes; the stopping test is the same.
    pub fn solve_seeded(
        &mut self,
        c: &Circuit,
        sys: &System,
        v: &mut [f64],
        seeds: &[NodeId],
    ) -> Result<usize, NotConverged> {
        self.load(sys, v);
        let r = self.solve_held(c, sys, seeds);
        if r.is_ok() {
            self.store(v);
        }
        r
    }

    /// [`LineRelax::solve_seeded`] from the voltages held (the last
    /// solution, or what the caller made of it through
    /// [`LineRelax::held_mut`]), leaving the solution there: no node
    /// vector is loaded or stored. After an error the held voltages are the
    /// last iterate, not a solution (possibly not finite).
    pub fn solve_held(
        &mut self,
        c: &Circuit,
        sys: &System,
        seeds: &[NodeId],
    ) -> Result<usize, NotConverged> {
        self.load_knowns(sys);
        self.gather(c);
        if !self.factored || self.ties_changed {
            self.factor();
        }
        // The seed chains: their groups, each with a mask of its seed lanes.
        let mut seeded: Vec<(usize, [f64; LANES])> = Vec::with_capacity(seeds.len());
        for nd in seeds {
            let q = self.pos[nd.idx()] as usize;
            if !((LANES..self.c0_end).contains(&q) || (self.k_end..self.c1_end).contains(&q))
                || self.node[q] == DUMMY
            {
                continue;
            }
            let g = self.groups.partition_point(|gr| gr.start <= q) - 1;
            let lane = (q - self.groups[g].start) % LANES;
            match seeded.iter_mut().find(|(h, _)| *h == g) {
                Some((_, m)) => m[lane] = 1.0,
                None => {
                    let mut m = [0.0; LANES];
                    m[lane] = 1.0;
                    seeded.push((g, m));
                }
            }
        }
        for _ in 0..if seeded.is_empty() { 0 } else { SEED_ROUNDS } {
            for &(g, mask) in &seeded {
                self.half(g..g + 1, &mask, &c.options);
            }
        }
        let mut prev_step = f64::INFINITY;
        let mut refactored = false;
        let mut sweeps = 0;
        for sweep in 1..=MAX_SWEEPS {
            sweeps = sweep;
            let (step, within) = self.sweep(&c.options);
            if !step.is_finite() {
                break;
            }
            // Contraction estimate: with ρ per sweep the error left after a
            // step of size s is about s·ρ/(1 − ρ); the step test must hold
            // for that too.
            // Never faster than the bound: a good start can make two steps
            // shrink fast while a slow mode is still unresolved.
            let rho = if prev_step.is_finite() && prev_step > 0.0 {
                (step / prev_step).min(1.0)
            } else {
                0.0
            }
            .max(self.rho_bound);
            prev_step = step;
            // `within`: every step within half its tolerance, so the step
            // test holds for step/(1 − ρ) whenever ρ ≤ 1/2.
            if rho <= 0.5 && within && self.residual_ok(&c.options) {
                return Ok(sweep);
            }
            if sweep == REFACTOR_SWEEPS && !refactored {
                // Slow: the device slopes moved since the chains were factored.
                self.factor();
                refactored = true;
                prev_step = f64::INFINITY;
            } else if sweep > 2 * REFACTOR_SWEEPS && rho > 0.5 {
                // Contracting by less than 2× per sweep even with a fresh
                // factorization: weakly tied lines; Newton does better.
                break;
            }
        }
        self.factored = false;
        Err(NotConverged { sweeps })
    }

    /// One sweep: colour 0, then colour 1. Leaves each node's step in `y`;
    /// returns the largest |step| (NaN if a step is not finite) and whether
    /// every step is within half of Newton's step tolerance,
    /// reltol·max(|v_old|, |v_new|) + vntol.
    fn sweep(&mut self, o: &crate::circuit::Options) -> (f64, bool) {
        let all = [1.0; LANES];
        let (a, b) = (
            self.half(0..self.split_g, &all, o),
            self.half(self.split_g..self.groups.len(), &all, o),
        );
        let step = if a.0.is_finite() && b.0.is_finite() {
            a.0.max(b.0)
        } else {
            f64::NAN
        };
        (step, a.1 && b.1)
    }

    /// The coefficient arrays the loops read.
    fn coefs(&self) -> Coefs<'_> {
        Coefs {
            gl: &self.gl,
            tg: &self.tg,
            tgv: &self.tgv,
            ca: &self.ca,
            cb: &self.cb,
            other: &self.other,
            sign: &self.sign,
            lm: &self.lm,
            inv: &self.inv,
            cp: &self.cp,
            law: self.law,
            avx2: self.avx2(),
        }
    }

    fn avx2(&self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            self.avx2
        }
        #[cfg(not(target_arch = "x86_64"))]
        false
    }

    /// Groups `gs` (of one colour): the residual at the latest voltages, one
    /// factored tridiagonal step per chain, applied to the lanes whose `mask`
    /// is 1 (the others keep their voltages). Large enough colours are split
    /// in two halves stepped on two threads (the chains of a colour do not
    /// read each other, so the result is the same bits).
    fn half(
        &mut self,
        gs: std::ops::Range<usize>,
        mask: &[f64; LANES],
        o: &crate::circuit::Options,
    ) -> (f64, bool) {
        if gs.is_empty() {
            return (0.0, true);
        }
        // The arrays written, taken out of `self` (no copy) while the
        // coefficients are borrowed from it.
        let (mut vp, mut y) = (std::mem::take(&mut self.vp), std::mem::take(&mut self.y));
        let r = self.half_in(gs, &mut vp, &mut y, mask, o);
        (self.vp, self.y) = (vp, y);
        r
    }

    fn half_in(
        &self,
        gs: std::ops::Range<usize>,
        vp: &mut [f64],
        y: &mut [f64],
        mask: &[f64; LANES],
        o: &crate::circuit::Options,
    ) -> (f64, bool) {
        let groups = &self.groups[gs.clone()];
        let lo = groups[0].start;
        let last = groups[groups.len() - 1];
        let hi = last.start + last.len * LANES;
        let colour0 = gs.start < self.split_g;
        // What this colour writes (its own positions) and what it reads of
        // the rest: one contiguous range either way.
        let (own, shared, shared_off) = if colour0 {
            let (a, b) = vp.split_at_mut(self.c0_end);
            (&mut a[lo..hi], &*b, self.c0_end)
        } else {
            let (a, b) = vp.split_at_mut(self.k_end);
            (&mut b[lo - self.k_end..hi - self.k_end], &*a, 0)
        };
        let y = &mut y[lo..hi];
        let c = self.coefs();
        let part = |groups, own, y, off| Part {
            c: &c,
            groups,
            own,
            y,
            off,
            shared,
            shared_off,
            mask,
            o,
        };
        if self.threads && groups.len() >= 2 && hi - lo >= PARALLEL_MIN {
            let m = groups.len() / 2;
            let cut = groups[m].start - lo;
            let (own_a, own_b) = own.split_at_mut(cut);
            let (y_a, y_b) = y.split_at_mut(cut);
            let (pa, pb) = (
                part(&groups[..m], own_a, y_a, lo),
                part(&groups[m..], own_b, y_b, lo + cut),
            );
            let (a, b) = super::pair::join(|| pa.run(), || pb.run());
            if a.0.is_finite() && b.0.is_finite() {
                (a.0.max(b.0), a.1 && b.1)
            } else {
                (f64::NAN, false)
            }
        } else {
            part(groups, own, y, lo).run()
        }
    }

    /// Every unknown node's current balance within reltol times its largest
    /// element current plus abstol (Newton's residual test; a node's ties to
    /// known nodes count as one element). Two threads take half of the
    /// groups each when the circuit is large.
    fn residual_ok(&self, o: &crate::circuit::Options) -> bool {
        let c = self.coefs();
        let vp = &self.vp[..];
        let n = self.groups.len();
        let check = |gs: &[Group]| c.residual(vp, gs, o);
        if self.threads && n >= 2 && self.c1_end >= PARALLEL_MIN {
            let (a, b) = super::pair::join(
                || check(&self.groups[..n / 2]),
                || check(&self.groups[n / 2..]),
            );
            a && b
        } else {
            check(&self.groups)
        }
    }
}
