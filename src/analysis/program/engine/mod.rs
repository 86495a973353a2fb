//! The pulse engine: one crossbar with its periphery, solved for every write
//! pulse and every verify read.
//!
//! Periphery (added to a copy of the circuit): each row's west end `XB.w<i>`
//! and each column's south end `XB.s<j>` is wired to its own ideal source
//! through a switch of resistance `rdrive` (rows) / `rsense` (columns). A line
//! left floating by a bias scheme has its switch opened (conductance 0), so
//! every bias shares one sparsity pattern and one symbolic factorization.
//!
//! A write pulse (cell (i,j), amplitude V, scheme) sets row i to V, column j
//! to 0 and the others by the scheme (V/2: all at V/2; V/3: rows V/3, columns
//! 2V/3; float: open). The nonlinear circuit is solved by Newton; then every
//! device's state moves by its dynamics model from the voltage it actually
//! saw (state changes only on accept). A read (cell (i,j), `vread`, read
//! scheme) solves the circuit the same way and returns the current into
//! column j's sense source divided by `vread`: what a bench would measure,
//! sneak currents and IR drop included. A read is a pulse of width `tread`
//! as well: devices move by what they saw (read disturb).
//!
//! How a solve is done: when every line is driven (V/2, V/3, ground reads),
//! by line relaxation ([`crate::solve::lines`]), from the last solution of
//! the same kind, the selected cell's row and column relaxed first; else, or
//! if relaxation gives up, by Newton with a sparse factorization. Writes and
//! reads keep separate warm starts (and factorizations): a write's Jacobian
//! is reused by the next write (a chord step first, refactored only when
//! convergence slows); the next pulse on the same cell starts along the
//! secant of the last two solutions in the amplitude (or from the last one
//! scaled by the amplitude ratio, exact for linear devices); with
//! relaxation, a pulse on a new cell starts from the last one's solution
//! scaled to its amplitude, both cells' lines relaxed first (with Newton,
//! from the ideal-wire line voltages). A read of the same cell starts along
//! the secant of its last two reads in the selected device's state.

use crate::analysis::drive_port;
use crate::circuit::bias::Scheme;
use crate::circuit::{Circuit, Crossbar, NodeId};
use crate::devices::memristor::dynamics::{self, Device, Dynamics, Kind, StuckState};
use crate::devices::memristor::IvLaw;
use crate::mna::System;
use crate::solve::lines::LineRelax;
use crate::solve::{Newton, SolveFailure, SparseSolver};
use rand::rngs::StdRng;
use rand::SeedableRng;

mod read;
mod side;
pub use read::READ_REUSE_REL;
use read::{Predictor, ReadCache};
use side::Side;

/// One line-end driver: the source and its switch.
#[derive(Clone, Copy, Debug)]
struct Driver {
    src: usize,
    res: usize,
    g: f64,
    /// The source's node and the line-end node.
    at: NodeId,
    port: NodeId,
}

/// Which bias the system currently holds.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Bias {
    None,
    Write { cell: usize, v: f64, scheme: Scheme },
    Read { cell: usize, v: f64, scheme: Scheme },
}

/// What one pulse did.
#[derive(Clone, Copy, Debug, Default)]
pub struct PulseOutcome {
    /// Voltage across the selected device.
    pub v_cell: f64,
    /// Its state before and after.
    pub g_before: f64,
    pub g_after: f64,
    /// Largest |ΔG| of any other device, and how many moved by more than
    /// `moved_rel` of their state.
    pub max_other_dg: f64,
    pub others_moved: usize,
    /// Largest |V| across a half-selected device (same row or column).
    pub v_half_max: f64,
}

pub struct PulseEngine {
    pub c: Circuit,
    xbar: usize,
    rows: usize,
    cols: usize,
    first: usize,
    sys: System,
    /// Writes and reads: each keeps its own solvers and last solutions.
    w: Side,
    r: Side,
    /// Each device's top and bottom node positions in the relaxations (the
    /// same in both), for its voltage from the voltages held.
    dev_pos: Vec<(u32, u32)>,
    /// The cell of the last read (a read of another cell starts afresh).
    last_read_cell: Option<usize>,
    row_drv: Vec<Driver>,
    col_drv: Vec<Driver>,
    bias: Bias,
    /// Last write: (cell, amplitude) for the warm-start scaling (the one
    /// before is `w.prev`).
    last_write: Option<(usize, f64)>,
    /// Last solved read: (cell, selected device's state); the one before is
    /// `r.prev`.
    last_read_g: Option<(usize, f64)>,
    /// The warm start of the next solve was solved for this other cell.
    moved_from: Option<usize>,
    pub law: IvLaw,
    pub dynamics: Dynamics,
    pub window: (f64, f64),
    pub devices: Vec<Device>,
    /// Each device's dead band (see [`Dynamics::dead_band`]; (∞, −∞), an
    /// empty band, when it has none).
    dead: Vec<(f64, f64)>,
    level: Vec<u32>,
    pub tp: f64,
    /// Read pulse width (s): reads move devices by their dynamics too.
    pub tread: f64,
    pub write_scheme: Scheme,
    pub read_scheme: Scheme,
    pub vread: f64,
    /// When false only the selected device moves (half-select disturbance off).
    pub disturb: bool,
    rng: StdRng,
    /// Device voltages of the last solve (row-major).
    pub vdev: Vec<f64>,
    pub stats: SolveStats,
    read_cache: Option<ReadCache>,
    predictor: Option<Predictor>,
    /// Sum over accepted pulses of the largest relative state change of any
    /// device, since the cached read was solved.
    drift: f64,
}

/// What the engine's solves took (reported in `program.json`).
#[derive(Clone, Copy, Debug, Default)]
pub struct SolveStats {
    pub solves: usize,
    /// Newton iterations (solves by line relaxation take none).
    pub iterations: usize,
    /// Of `solves` and `iterations`: those of write pulses.
    pub write_solves: usize,
    pub write_iterations: usize,
    /// Line-relaxation sweeps (those of solves it gave up on included), and
    /// solves that fell back to Newton.
    pub sweeps: usize,
    pub relax_fallbacks: usize,
    /// Solves line relaxation was tried on (those it gave up on included).
    pub relax_tries: usize,
    pub factorizations: usize,
    /// Reads answered from the last read of the same cell (nothing moved).
    pub reused_reads: usize,
}

/// After this many solves that line relaxation gave up on, if they are also
/// more than one in [`FALLBACK_SHARE`] of those it was tried on, the engine
/// uses Newton alone (relaxation does not suit this circuit's bias). Rarer
/// failures (1.3 % of the solves of the table card's 64×64 tuning) each
/// cost one Newton solve and leave relaxation on for the rest.
pub const MAX_FALLBACKS: usize = 3;
/// See [`MAX_FALLBACKS`]: a failed relaxation costs at most its sweeps and
/// one Newton solve, so relaxation pays while fewer than one solve in
/// this many fails.
pub const FALLBACK_SHARE: usize = 10;

/// Whether line relaxation stays on after `fallbacks` of its `tries` failed
/// (see [`MAX_FALLBACKS`]).
pub fn relax_pays(fallbacks: usize, tries: usize) -> bool {
    fallbacks < MAX_FALLBACKS || fallbacks * FALLBACK_SHARE <= tries
}

/// A write (a read) warm-starts along the secant of the last two solutions
/// on its cell when the amplitude (the selected device's state) moves by at
/// most this many times their difference; else from the last solution
/// (scaled to the new amplitude, for a write).
pub const SECANT_MAX: f64 = 2.0;

/// ΔG below this fraction of a device's state is not counted as "moved".
pub const MOVED_REL: f64 = 1e-3;

/// The seed of the static draws' stream (one N(0,1) per device, row-major)
/// for an analysis seeded `seed`: a fixed odd constant added, so it is
/// never the dynamics' stream of the same seed.
pub fn static_seed(seed: u64) -> u64 {
    seed.wrapping_add(0x5354_4154_4943_5f31)
}

/// Whether a device with static draw `ns` has a coefficient clamped at some
/// state of `window` (257 states evenly spaced in ln G0, ends included).
pub fn static_clamped_in(law: IvLaw, ns: f64, window: (f64, f64)) -> bool {
    if law.spread().is_none() || ns == 0.0 {
        return false;
    }
    let (lo, hi) = (window.0.max(1e-12), window.1.max(1e-12));
    (0..=256).any(|i| {
        let g = lo * (hi / lo).powf(i as f64 / 256.0);
        law.cubic_dev(g, ns).2
    })
}
impl PulseEngine {
    /// Build the engine for crossbar `xbar` of `c` (whose model must have
    /// dynamics). Samples the device population from `seed`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        c: &Circuit,
        xbar: usize,
        rdrive: f64,
        rsense: f64,
        tp: f64,
        write_scheme: Scheme,
        read_scheme: Scheme,
        vread: f64,
        seed: u64,
    ) -> Result<PulseEngine, SolveFailure> {
        let xb = c.crossbars[xbar].clone();
        // Two circuits, a write and a read side, each with its own factor
        // and line relaxation: about twice what the card's estimate counts
        // for one (measured: a `.pulse` on 1000x1000 peaks at 3.6 GB; the
        // card's estimate is 1.8 GB).
        crate::circuit::budget::check(
            &format!(
                "the pulse engine of a {}x{} crossbar (a write and a read circuit)",
                xb.rows, xb.cols
            ),
            2.0 * crate::circuit::budget::crossbar_bytes(
                xb.rows,
                xb.cols,
                xb.rrow > 0.0 || xb.rcol > 0.0,
            ),
        )
        .map_err(|e| SolveFailure::Linear(crate::solve::SolveError::TooLarge(e)))?;
        let model = &c.models[xb.model as usize];
        let dynamics = model.dynamics.clone().ok_or_else(|| {
            SolveFailure::Invalid(format!(
                "model '{}' has no switching dynamics (add dyn=nili|vteam|levels|quantized)",
                model.name
            ))
        })?;
        let window = model.g_window.ok_or_else(|| {
            SolveFailure::Invalid(format!("model '{}' has no conductance window", model.name))
        })?;
        let law = model.law;
        let mut cc = c.clone();
        // Each line end gets its own source behind a switch (a resistor whose
        // conductance the bias sets): `drive_port` with r > 0 adds exactly that.
        if !(rdrive > 0.0 && rsense > 0.0) {
            return Err(SolveFailure::Invalid(format!(
                "the switches need rdrive > 0 and rsense > 0 ohm (got {rdrive}, {rsense})"
            )));
        }
        let add = |cc: &mut Circuit, port: NodeId, tag: String, r: f64| -> Driver {
            let src = drive_port(cc, port, &tag, 0.0, r, xb.span);
            Driver {
                src,
                res: cc.resistors.len() - 1,
                g: 1.0 / r,
                at: cc.vsources[src].p,
                port,
            }
        };
        let row_drv: Vec<Driver> = (0..xb.rows)
            .map(|i| add(&mut cc, xb.w[i], format!("{}.prog_row{i}", xb.name), rdrive))
            .collect();
        let col_drv: Vec<Driver> = (0..xb.cols)
            .map(|j| add(&mut cc, xb.s[j], format!("{}.prog_col{j}", xb.name), rsense))
            .collect();
        if let Err(d) = crate::circuit::validate::validate(&cc, None, true) {
            let msgs: Vec<String> = d.0.iter().map(|x| x.message.clone()).collect();
            return Err(SolveFailure::Invalid(msgs.join("; ")));
        }
        let mut rng = StdRng::seed_from_u64(seed);
        let n = xb.rows * xb.cols;
        let devices = dynamics::sample_population(&dynamics, n, &mut rng);
        if law.spread().is_some() {
            // The static law's own draw, one N(0,1) per device, from a
            // stream of its own: the dynamics' draws (and everything the
            // engine's `rng` draws later) are those of the card without it.
            let mut srng = StdRng::seed_from_u64(static_seed(seed));
            for k in 0..n {
                cc.memristors[xb.first_device + k].ns = dynamics::normal(&mut srng);
            }
        }
        let mut level = vec![0u32; n];
        for (k, d) in devices.iter().enumerate() {
            let m = &mut cc.memristors[xb.first_device + k];
            if d.stuck {
                match dynamics.var.stuck_state {
                    StuckState::Off => m.g = window.0,
                    StuckState::On => m.g = window.1,
                    StuckState::AsIs => {}
                }
            }
            if let Kind::Levels(l) = &dynamics.kind {
                level[k] = l.nearest(m.g) as u32;
            }
        }
        let dead = devices
            .iter()
            .map(|d| {
                dynamics
                    .dead_band(d)
                    .unwrap_or((f64::INFINITY, f64::NEG_INFINITY))
            })
            .collect();
        let sys = System::new(&cc);
        let engine_order = crate::analysis::engine::crossbar_ordering(&cc, &sys);
        let mk = |sys: &System| -> Result<SparseSolver, SolveFailure> {
            Ok(match &engine_order {
                Some(fwd) if cc.options.solver != crate::solve::SolverChoice::Iterative => {
                    SparseSolver::with_ordering(&sys.pattern, fwd)?
                }
                _ => SparseSolver::new(&sys.pattern, cc.options.solver)?,
            })
        };
        let nn = sys.n();
        let relax = || {
            if cc.options.solver == crate::solve::SolverChoice::Auto {
                LineRelax::new(&cc, &sys)
            } else {
                None
            }
        };
        let (wrelax, rrelax) = (relax(), relax());
        let dev_pos = match &wrelax {
            Some(lr) => (0..n)
                .map(|k| (lr.position(xb.t[k]) as u32, lr.position(xb.b[k]) as u32))
                .collect(),
            None => Vec::new(),
        };
        // Room for either order of the warm starts' previous solution.
        let nodes = cc.nodes.len();
        let warm_len = nodes.max(wrelax.as_ref().map_or(0, |lr| lr.held().len()));
        Ok(PulseEngine {
            xbar,
            rows: xb.rows,
            cols: xb.cols,
            first: xb.first_device,
            w: Side::new(mk(&sys)?, wrelax, nn, nodes, warm_len),
            r: Side::new(mk(&sys)?, rrelax, nn, nodes, warm_len),
            sys,
            dev_pos,
            last_read_cell: None,
            row_drv,
            col_drv,
            bias: Bias::None,
            last_write: None,
            last_read_g: None,
            moved_from: None,
            law,
            dynamics,
            window,
            devices,
            dead,
            level,
            tp,
            tread: tp,
            write_scheme,
            read_scheme,
            vread,
            disturb: true,
            rng,
            vdev: vec![0.0; n],
            stats: SolveStats::default(),
            read_cache: None,
            predictor: None,
            drift: 0.0,
            c: cc,
        })
    }

    pub fn rows(&self) -> usize {
        self.rows
    }
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// State of device k (row-major).
    pub fn g(&self, k: usize) -> f64 {
        self.c.memristors[self.first + k].g
    }

    /// Set device k's state (clipped into the window).
    pub fn set_g(&mut self, k: usize, g: f64) {
        let g = g.clamp(self.window.0, self.window.1);
        self.c.memristors[self.first + k].g = g;
        self.drift = f64::INFINITY;
        if let Kind::Levels(l) = &self.dynamics.kind {
            self.level[k] = l.nearest(g) as u32;
        }
    }

    /// The conductance a read at `vread` of the device alone would give:
    /// I(g, vread)/vread.
    pub fn g_read_true(&self, k: usize) -> f64 {
        self.law.current_dev(self.g(k), self.ns(k), self.vread) / self.vread
    }

    /// Device k's static draw n_s (0 without a static spread on the card).
    pub fn ns(&self, k: usize) -> f64 {
        self.c.memristors[self.first + k].ns
    }

    /// The static draws of every device (row-major; empty without a static
    /// spread on the card).
    pub fn static_draws(&self) -> Vec<f64> {
        if self.law.spread().is_none() {
            return Vec::new();
        }
        (0..self.rows * self.cols).map(|k| self.ns(k)).collect()
    }

    /// How many devices have a coefficient clamped at 0 (see
    /// [`IvLaw::cubic_dev`]) at some state of the window (checked on 257
    /// states spaced evenly in ln G0 from gmin to gmax, both included).
    pub fn static_clamped(&self) -> usize {
        (0..self.rows * self.cols)
            .filter(|&k| static_clamped_in(self.law, self.ns(k), self.window))
            .count()
    }

    /// Drive every line for `scheme` with the selected row at `v` and the
    /// selected column at 0.
    fn set_bias(&mut self, cell: usize, v: f64, scheme: Scheme) {
        let (i, j) = (cell / self.cols, cell % self.cols);
        let (vr, vc) = match scheme {
            Scheme::Half => (Some(v / 2.0), Some(v / 2.0)),
            Scheme::Third => (Some(v / 3.0), Some(2.0 * v / 3.0)),
            Scheme::Ground => (Some(0.0), Some(0.0)),
            Scheme::Float => (None, None),
        };
        let set = |c: &mut Circuit, vals: &mut [f64], d: &Driver, volts: Option<f64>| {
            let (g, v) = match volts {
                Some(v) => (d.g, v),
                None => (0.0, 0.0),
            };
            c.resistors[d.res].g = g;
            vals[d.src] = v;
        };
        for (r, d) in self.row_drv.iter().enumerate() {
            set(
                &mut self.c,
                &mut self.sys.v_values,
                d,
                if r == i { Some(v) } else { vr },
            );
        }
        for (col, d) in self.col_drv.iter().enumerate() {
            set(
                &mut self.c,
                &mut self.sys.v_values,
                d,
                if col == j { Some(0.0) } else { vc },
            );
        }
        self.sys.update_sources();
    }

    /// True when this solve may use line relaxation: the engine has it, the
    /// bias drives every line (a floating line has no tie to a known voltage,
    /// and relaxation would crawl), and it has not given up too often.
    fn relaxing(&self, write: bool) -> bool {
        let scheme = if write {
            self.write_scheme
        } else {
            self.read_scheme
        };
        self.w.relax.is_some()
            && scheme != Scheme::Float
            && relax_pays(self.stats.relax_fallbacks, self.stats.relax_tries)
    }

    fn newton(&mut self, write: bool) -> Result<(), SolveFailure> {
        crate::solve::interrupt::check()?;
        if self.relaxing(write) {
            let side = if write { &mut self.w } else { &mut self.r };
            side.hold(&self.sys, true);
            let lr = side.relax.as_mut().expect("relaxing() checked");
            // The selected cell's row and column carry most of what changed
            // since the warm start: relax them first.
            // So do the lines of the cell the warm start was solved for.
            let xb = &self.c.crossbars[self.xbar];
            let mut seeds = Vec::with_capacity(4);
            if let Bias::Write { cell, .. } | Bias::Read { cell, .. } = self.bias {
                seeds.extend([xb.t[cell], xb.b[cell]]);
            }
            if let Some(c0) = self.moved_from.take() {
                seeds.extend([xb.t[c0], xb.b[c0]]);
            }
            self.stats.relax_tries += 1;
            match lr.solve_held(&self.c, &self.sys, &seeds) {
                Ok(sweeps) => {
                    side.y_stale = true;
                    self.stats.solves += 1;
                    self.stats.sweeps += sweeps;
                    if write {
                        self.stats.write_solves += 1;
                    }
                    self.device_voltages(write);
                    return Ok(());
                }
                Err(e) => {
                    // Solved again by Newton below, from relaxation's last
                    // iterate if it is finite, else from Newton's own last
                    // solution of this kind.
                    self.stats.sweeps += e.sweeps;
                    self.stats.relax_fallbacks += 1;
                    side.hold(&self.sys, false);
                    side.y_stale = side.v.iter().all(|x| x.is_finite());
                }
            }
        }
        let side = if write { &mut self.w } else { &mut self.r };
        side.refresh_y(&self.sys);
        let mut nt = Newton::new(&self.c.options, self.sys.n());
        nt.reuse_first = side.factored;
        let f0 = side.solver.factorizations;
        let r = nt.solve(&mut self.sys, &mut side.solver, &self.c, &mut side.y);
        side.factored = r.is_ok();
        let st = &mut self.stats;
        st.solves += 1;
        st.iterations += nt.iterations();
        if write {
            st.write_solves += 1;
            st.write_iterations += nt.iterations();
        }
        st.factorizations += side.solver.factorizations - f0;
        r.map(|_| ())?;
        self.sys.node_voltages(&side.y);
        side.v.copy_from_slice(&self.sys.v);
        self.device_voltages(write);
        Ok(())
    }

    /// [`PulseEngine::vdev`] from the last solution of a write or a read.
    fn device_voltages(&mut self, write: bool) {
        let side = if write { &self.w } else { &self.r };
        side.device_voltages(&mut self.vdev, &self.dev_pos, &self.c.crossbars[self.xbar]);
    }

    /// Solve the circuit under the write bias only (no state change): the
    /// device voltages are left in [`PulseEngine::vdev`].
    pub fn solve_write(&mut self, cell: usize, v: f64) -> Result<(), SolveFailure> {
        let scheme = self.write_scheme;
        if self.bias != (Bias::Write { cell, v, scheme }) {
            self.set_bias(cell, v, self.write_scheme);
            match self.last_write {
                Some((c0, v0)) if c0 == cell && v0 != 0.0 && (v / v0) > 0.0 => {
                    let s = v / v0;
                    if !self.w.y_stale {
                        self.w.y.iter_mut().for_each(|y| *y *= s);
                    }
                    // Two solutions of this cell at amplitudes v1, v0 (a
                    // ramp): extrapolate along their secant, which carries
                    // the devices' nonlinearity; else scale by v/v0.
                    let pair = self.w.prev.filter(|&(c1, v1)| c1 == cell && v1 != v0);
                    let t = pair.map(|(_, v1)| (v - v0) / (v0 - v1));
                    self.w.extrapolate(t, s);
                    self.w.prev = Some((cell, v0));
                }
                // Another cell (or polarity): other devices carry the large
                // voltages, so the old Jacobian would contract slowly.
                last => {
                    self.w.factored = false;
                    self.w.prev = None;
                    match last {
                        // Relaxation: the last write's solution scaled to
                        // this amplitude (the laws are odd, so any sign) is
                        // right away from the two cells' lines, which are
                        // relaxed first.
                        Some((c0, v0)) if v0 != 0.0 && self.relaxing(true) => {
                            let s = v / v0;
                            self.w.warm().0.iter_mut().for_each(|x| *x *= s);
                            self.moved_from = Some(c0);
                        }
                        _ => self.w.start_from_ties(&self.c, &self.sys),
                    }
                }
            }
            self.bias = Bias::Write { cell, v, scheme };
        }
        if let Err(e) = self.newton(true) {
            // The iterate is no solution: never scale it as one.
            self.last_write = None;
            self.w.prev = None;
            return Err(e);
        }
        self.last_write = Some((cell, v));
        Ok(())
    }

    /// One write pulse of amplitude `v` (driver voltage) on `cell`.
    pub fn pulse(&mut self, cell: usize, v: f64) -> Result<PulseOutcome, SolveFailure> {
        self.solve_write(cell, v)?;
        Ok(self.accept(cell, self.tp))
    }

    /// Move every device by its dynamics from the voltage it saw in the last
    /// solve, for a pulse of width `tp` on `cell` (state changes on accept).
    fn accept(&mut self, cell: usize, tp: f64) -> PulseOutcome {
        let (i, j) = (cell / self.cols, cell % self.cols);
        let mut out = PulseOutcome {
            v_cell: self.vdev[cell],
            g_before: self.g(cell),
            ..Default::default()
        };
        let dy = &self.dynamics;
        let w = dy.width(tp);
        let mut moved_most = 0.0f64;
        for k in 0..self.rows * self.cols {
            let selected = k == cell;
            let vk = self.vdev[k];
            if !selected && !self.disturb {
                continue;
            }
            let (lo, hi) = self.dead[k];
            if vk > lo && vk < hi {
                continue;
            }
            let d = &self.devices[k];
            let m = &mut self.c.memristors[self.first + k];
            let g0 = m.g;
            let g1 = dy.apply(
                g0,
                &mut self.level[k],
                vk,
                &w,
                d,
                self.window,
                &mut self.rng,
            );
            m.g = g1;
            if g1 != g0 {
                let rel = (g1 - g0).abs() / g0.abs().max(f64::MIN_POSITIVE);
                moved_most = moved_most.max(rel);
            }
            if !selected {
                let dg = (g1 - g0).abs();
                out.max_other_dg = out.max_other_dg.max(dg);
                if dg > MOVED_REL * g0 {
                    out.others_moved += 1;
                }
            }
        }
        // The half-selected devices: row i and column j.
        let (row, cols) = (i * self.cols, self.cols);
        for k in (row..row + cols).chain((j..self.rows * cols).step_by(cols)) {
            if k != cell {
                out.v_half_max = out.v_half_max.max(self.vdev[k].abs());
            }
        }
        // Accumulated over pulses: many tiny moves add up.
        self.drift += moved_most;
        out.g_after = self.g(cell);
        out
    }
}
