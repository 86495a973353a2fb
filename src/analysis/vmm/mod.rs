//! `.vmm XB inputs=file("v.csv") [rdrive=Ω] [rsense=Ω]`: vector–matrix
//! multiplication through the whole circuit.
//!
//! The analysis adds its own periphery to a copy of the circuit:
//! - each row's west end `XB.w<i>` is driven from an ideal source V_i through
//!   `rdrive`;
//! - each column's south end `XB.s<j>` is held at virtual ground (0 V) through
//!   `rsense`; the other line ends stay as the netlist left them.
//!
//! Column current I_j is the current into the virtual ground. The ideal
//! current is Σ_i I(g_ij, V_i): the device law at the full input voltage, with
//! no wire, driver or sense resistance. Linear arrays factor once and solve
//! per vector; nonlinear ones iterate from vector 0's solution with one
//! factorization (see [`run`]). Chunks of vectors run in parallel.

pub mod card;
use super::{drive_port, Engine};
use crate::circuit::{budget, Circuit};
use crate::solve::{interrupt, SolveFailure};

pub struct VmmResult {
    pub rows: usize,
    pub cols: usize,
    /// Per vector and column: (current, ideal current), vector-major.
    pub currents: Vec<(f64, f64)>,
    /// Per vector: ‖I − I_ideal‖₂ / ‖I_ideal‖₂.
    pub rel_error: Vec<f64>,
    pub iterations: usize,
    pub factorizations: usize,
    /// Set when a vector failed (the ones before it are kept).
    pub failure: Option<(usize, SolveFailure)>,
    /// IR drop of vector 0, row-major: V_in(i) − (V(t_ij) − V(b_ij)), the
    /// part of its input each device does not see.
    pub first_drop: Vec<f64>,
    /// Asked for by [`Prepared::run_on`]: every vector's cell voltages
    /// V(t_ij) − V(b_ij), vector-major then row-major (else empty).
    pub maps: Vec<f64>,
    /// The vectors after the first were solved one at a time, because the
    /// buffers of blocks of [`BLOCK`] would not fit the memory limit (see
    /// [`blocks_fit`]).
    pub one_by_one: bool,
}

impl VmmResult {
    /// Mean and largest relative error over the vectors (0 for none).
    pub fn error_stats(&self) -> (f64, f64) {
        let n = self.rel_error.len().max(1) as f64;
        let mean = self.rel_error.iter().sum::<f64>() / n;
        let max = self.rel_error.iter().cloned().fold(0.0, f64::max);
        (mean, max)
    }
}

/// The circuit with the VMM periphery added: returns it and the indices of
/// the input and sense sources.
pub fn with_periphery(
    c: &Circuit,
    xbar: usize,
    rdrive: f64,
    rsense: f64,
) -> (Circuit, Vec<usize>, Vec<usize>) {
    add_periphery(c.clone(), xbar, rdrive, rsense)
}

/// [`with_periphery`] on a circuit given away.
fn add_periphery(
    mut c: Circuit,
    xbar: usize,
    rdrive: f64,
    rsense: f64,
) -> (Circuit, Vec<usize>, Vec<usize>) {
    let xb = c.crossbars[xbar].clone();
    let span = xb.span;
    let inputs = (0..xb.rows)
        .map(|i| {
            drive_port(
                &mut c,
                xb.w[i],
                &format!("{}.vmm_in{i}", xb.name),
                0.0,
                rdrive,
                span,
            )
        })
        .collect();
    let senses = (0..xb.cols)
        .map(|j| {
            drive_port(
                &mut c,
                xb.s[j],
                &format!("{}.vmm_out{j}", xb.name),
                0.0,
                rsense,
                span,
            )
        })
        .collect();
    (c, inputs, senses)
}

/// Vectors solved together (one multi-right-hand-side solve per iteration).
pub const BLOCK: usize = 64;
/// Vectors per chunk. Chunks are independent (each starts from vector 0's
/// solution and the zero-bias Jacobian), so they run in parallel and the results do not
/// depend on the number of threads.
pub const CHUNK: usize = 4 * BLOCK;
/// Chord iterations a block may take before its stragglers fall back to the
/// full Newton strategy one by one.
pub const BLOCK_ITERS: usize = 40;
/// A block that needed more iterations than this refreshes the factorization.
pub const REFRESH_ITERS: usize = 12;

/// What one chunk of vectors produced.
#[derive(Default)]
struct ChunkOut {
    currents: Vec<(f64, f64)>,
    rel_error: Vec<f64>,
    iterations: usize,
    factorizations: usize,
    /// The vector that failed; the chunk's results stop before it.
    failure: Option<(usize, SolveFailure)>,
    maps: Vec<f64>,
}

/// Run every input vector (`inputs`: rows voltages per vector).
///
/// The first vector is solved by the full strategy. The others go in chunks of [`CHUNK`] vectors, in
/// parallel; each chunk starts from vector 0's solution and the zero-bias
/// Jacobian's factorization.
/// Within a chunk, vectors go in blocks of [`BLOCK`]: every block iterates
/// y ← y − J₀⁻¹F(y) for all its vectors at once (a chord iteration with one
/// multi-right-hand-side solve, accelerated by Anderson mixing of depth 1),
/// each vector stopping by the same step and residual tests as Newton. For
/// linear arrays one iteration is exact. Stragglers, and every vector when
/// the iterative solver is in use, take the full strategy.
pub fn run(
    c: &Circuit,
    xbar: usize,
    inputs: &[f64],
    rdrive: f64,
    rsense: f64,
) -> Result<VmmResult, SolveFailure> {
    let p = Prepared::new(c, xbar, rdrive, rsense)?;
    let mut e = Engine::new(&p.cc)?;
    Ok(p.run_on(&mut e, inputs, false))
}

/// A crossbar completed with the VMM periphery and checked, ready for
/// engines to be built on it ([`Prepared::run_on`]); kept by callers that
/// solve one array many times.
pub struct Prepared {
    /// The circuit with input and sense sources added.
    pub cc: Circuit,
    pub xbar: usize,
    /// Indices of the input (per row) and sense (per column) sources.
    pub ins: Vec<usize>,
    pub outs: Vec<usize>,
}

impl Prepared {
    /// Add the periphery to a copy of `c` and validate it.
    pub fn new(
        c: &Circuit,
        xbar: usize,
        rdrive: f64,
        rsense: f64,
    ) -> Result<Prepared, SolveFailure> {
        Self::owning(c.clone(), xbar, rdrive, rsense)
    }

    /// [`Prepared::new`] on a circuit given away (no copy).
    pub fn owning(
        c: Circuit,
        xbar: usize,
        rdrive: f64,
        rsense: f64,
    ) -> Result<Prepared, SolveFailure> {
        let (cc, ins, outs) = add_periphery(c, xbar, rdrive, rsense);
        if let Err(d) = crate::circuit::validate::validate(&cc, None, true) {
            let msgs: Vec<String> = d.0.iter().map(|x| x.message.clone()).collect();
            return Err(SolveFailure::Invalid(msgs.join("; ")));
        }
        Ok(Prepared {
            cc,
            xbar,
            ins,
            outs,
        })
    }

    /// Run every input vector (`inputs`: rows voltages per vector) on
    /// engine `e` built on [`Prepared::cc`]; with `maps`, keep every
    /// vector's cell voltages ([`VmmResult::maps`]). A linear circuit's
    /// factorization, once made, is kept in `e` and reused by later calls.
    pub fn run_on<'a>(&'a self, e: &mut Engine<'a>, inputs: &[f64], maps: bool) -> VmmResult {
        run_on(self, e, inputs, maps)
    }
}

fn run_on<'a>(p: &'a Prepared, e: &mut Engine<'a>, inputs: &[f64], maps: bool) -> VmmResult {
    use rayon::prelude::*;
    let cc = &p.cc;
    let xbar = p.xbar;
    let xb = &cc.crossbars[xbar];
    let (rows, cols) = (xb.rows, xb.cols);
    let nvec = inputs.len() / rows;
    let mut res = VmmResult {
        rows,
        cols,
        currents: Vec::with_capacity(nvec * cols),
        rel_error: Vec::with_capacity(nvec),
        iterations: 0,
        factorizations: 0,
        failure: None,
        first_drop: Vec::new(),
        maps: Vec::new(),
        one_by_one: false,
    };
    if nvec == 0 {
        return res;
    }
    let blocks = nvec < 2 || e.solver.is_iterative() || blocks_fit(e);
    res.one_by_one = !blocks;
    let job = Job {
        cc,
        xbar,
        inputs,
        ins: &p.ins,
        outs: &p.outs,
        maps,
        blocks,
    };
    let mut first = ChunkOut::default();
    if e.holds_linear_factor() {
        // A kept factorization: solve from zero as a new engine would, so
        // every call on the same inputs gives the same bits.
        e.y.fill(0.0);
    }
    if !job.full(e, 0, &mut first) {
        res.failure = first.failure;
        return res;
    }
    job.record(e, 0, &mut first);
    // After `record`, the node voltages are those of vector 0.
    res.first_drop = (0..rows * cols)
        .map(|k| inputs[k / cols] - (e.sys.v[xb.t[k].idx()] - e.sys.v[xb.b[k].idx()]))
        .collect();
    let y0 = e.y.clone();
    // The chord matrix: the Jacobian at zero bias (every device at its
    // small-signal conductance). Measured on 10,000 random binary vectors
    // (64×64 cubic, 2.5 Ω): 5.0 iterations per vector, against 7.0 with the
    // Jacobian at vector 0's solution and 6.0 at the mean input's.
    // (A linear circuit's matrix is the same at every point: the one
    // factored for vector 0 serves.)
    let zero = vec![0.0; y0.len()];
    res.merge(first);

    let starts: Vec<usize> = (1..nvec).step_by(CHUNK).collect();
    let mut spare = Some(e);
    let mut engines: Vec<Option<&mut Engine>> = starts.iter().map(|_| spare.take()).collect();
    // Each worker polls the caller's interrupt flag.
    let flag = interrupt::current();
    let chunks: Vec<ChunkOut> = starts
        .par_iter()
        .zip(engines.par_iter_mut())
        .map_init(
            || None::<Engine>,
            |worker, (&k0, given)| {
                interrupt::under(&flag, || {
                    let mut out = ChunkOut::default();
                    let e: &mut Engine = match given.take() {
                        Some(e) => e,
                        None => {
                            if worker.is_none() {
                                match Engine::new(cc) {
                                    Ok(e) => *worker = Some(e),
                                    Err(err) => {
                                        out.failure = Some((k0, err));
                                        return out;
                                    }
                                }
                            }
                            worker.as_mut().expect("engine made above")
                        }
                    };
                    // Every chunk starts from the same point and matrix.
                    job.set_inputs(e, 0);
                    if !e.holds_linear_factor() {
                        if let Err(err) = e.factor_at(&zero) {
                            out.failure = Some((k0, err));
                            return out;
                        }
                        out.factorizations += 1;
                    }
                    e.y.copy_from_slice(&y0);
                    job.chunk(e, k0, (k0 + CHUNK).min(nvec), &mut out);
                    out
                })
            },
        )
        .collect();
    for ch in chunks {
        let failed = ch.failure.is_some();
        res.merge(ch);
        if failed {
            break;
        }
    }
    res
}

/// Whether every worker's block buffers fit the memory limit beside its
/// factor: the iterates, right-hand sides, previous iterates and residuals
/// of [`BLOCK`] vectors and the solve's own copy, five vectors of n
/// unknowns per vector of the block (at 8.4 million unknowns, 2048×2048
/// cells, 21 GB a worker). If not, the vectors go one by one: slower, the
/// same tolerances.
fn blocks_fit(e: &Engine) -> bool {
    let n = e.sys.n() as f64;
    let workers = rayon::current_num_threads() as f64;
    let per_worker = budget::factor_bytes(e.solver.factor_nnz()) + 5.0 * BLOCK as f64 * n * 8.0;
    budget::check("", workers * per_worker).is_ok()
}

impl VmmResult {
    fn merge(&mut self, ch: ChunkOut) {
        self.currents.extend(ch.currents);
        self.rel_error.extend(ch.rel_error);
        self.iterations += ch.iterations;
        self.factorizations += ch.factorizations;
        self.maps.extend(ch.maps);
        if self.failure.is_none() {
            self.failure = ch.failure;
        }
    }
}

/// The shared, read-only inputs of one `.vmm` run.
struct Job<'a> {
    cc: &'a Circuit,
    xbar: usize,
    inputs: &'a [f64],
    ins: &'a [usize],
    outs: &'a [usize],
    /// Record each vector's cell voltages.
    maps: bool,
    /// Solve direct-solver vectors in blocks of [`BLOCK`] (else one by one).
    blocks: bool,
}

impl Job<'_> {
    fn rows(&self) -> usize {
        self.cc.crossbars[self.xbar].rows
    }

    fn set_inputs(&self, e: &mut Engine, k: usize) {
        let rows = self.rows();
        let v = &self.inputs[k * rows..(k + 1) * rows];
        for (i, &s) in self.ins.iter().enumerate() {
            e.sys.v_values[s] = v[i];
        }
        e.sys.update_sources();
    }

    /// Record vector k's column currents at the engine's current solution.
    fn record(&self, e: &mut Engine, k: usize, out: &mut ChunkOut) {
        let xb = &self.cc.crossbars[self.xbar];
        let law = self.cc.models[xb.model as usize].law;
        let rows = xb.rows;
        let v = &self.inputs[k * rows..(k + 1) * rows];
        let cur = e.source_currents();
        let (mut num, mut den) = (0.0, 0.0);
        for (j, &s) in self.outs.iter().enumerate() {
            let ideal: f64 = (0..rows)
                .map(|i| {
                    let m = &self.cc.memristors[xb.device(i, j)];
                    law.current_dev(m.g, m.ns, v[i])
                })
                .sum();
            let got = cur[s];
            num += (got - ideal) * (got - ideal);
            den += ideal * ideal;
            out.currents.push((got, ideal));
        }
        out.rel_error.push(if den > 0.0 {
            (num / den).sqrt()
        } else {
            num.sqrt()
        });
        if self.maps {
            // `source_currents` left the node voltages of this solution.
            let v = &e.sys.v;
            out.maps
                .extend(xb.t.iter().zip(&xb.b).map(|(t, b)| v[t.idx()] - v[b.idx()]));
        }
    }

    /// Vector k by the engine's full strategy (warm-started from its last
    /// solution); false, with the failure recorded, if it did not converge.
    fn full(&self, e: &mut Engine, k: usize, out: &mut ChunkOut) -> bool {
        self.set_inputs(e, k);
        match e.solve() {
            Ok(st) => {
                out.iterations += st.iterations;
                out.factorizations += st.factorizations;
                true
            }
            Err(err) => {
                out.failure = Some((k, err));
                false
            }
        }
    }

    /// Vectors k0..k1 in blocks of [`BLOCK`], from the engine's solution and
    /// factorization; stops at the first vector that fails.
    fn chunk(&self, e: &mut Engine, k0: usize, k1: usize, out: &mut ChunkOut) {
        let o = &self.cc.options;
        let n = e.sys.n();
        let batched = self.blocks && !e.solver.is_iterative();
        // A linear circuit's chord step is its Newton step, exact: one
        // step ends every vector (no second solve to confirm it).
        let exact = e.holds_linear_factor();
        let mut ys = Vec::new();
        let mut rhs = Vec::new();
        let (mut prev_x, mut prev_f) = (Vec::new(), Vec::new());
        let mut kb = k0;
        while kb < k1 {
            let bsz = BLOCK.min(k1 - kb);
            if !batched {
                for k in kb..kb + bsz {
                    if !self.full(e, k, out) {
                        return;
                    }
                    self.record(e, k, out);
                }
                kb += bsz;
                continue;
            }
            ys.clear();
            for _ in 0..bsz {
                ys.extend_from_slice(&e.y);
            }
            let mut done = vec![false; bsz];
            let mut step_ok = vec![false; bsz];
            let mut have_prev = vec![false; bsz];
            prev_x.resize(bsz * n, 0.0);
            prev_f.resize(bsz * n, 0.0);
            let mut active: Vec<usize> = Vec::with_capacity(bsz);
            let mut iters = 0;
            for _ in 0..BLOCK_ITERS {
                active.clear();
                rhs.clear();
                for b in 0..bsz {
                    if done[b] {
                        continue;
                    }
                    self.set_inputs(e, kb + b);
                    e.sys.assemble(self.cc, &ys[b * n..(b + 1) * n], false);
                    let res_ok = e
                        .sys
                        .f
                        .iter()
                        .zip(&e.sys.scale)
                        .all(|(f, s)| f.abs() <= o.reltol * s + o.abstol);
                    if step_ok[b] && res_ok {
                        done[b] = true;
                        continue;
                    }
                    active.push(b);
                    rhs.extend(e.sys.f.iter().map(|f| -f));
                }
                if active.is_empty() {
                    break;
                }
                iters += 1;
                out.iterations += active.len();
                if !e.solver.solve_many(&mut rhs, active.len()) {
                    break;
                }
                for (col, &b) in active.iter().enumerate() {
                    let dy = &rhs[col * n..(col + 1) * n];
                    let y = &mut ys[b * n..(b + 1) * n];
                    if !dy.iter().all(|d| d.is_finite()) {
                        done[b] = false;
                        step_ok[b] = false;
                        continue;
                    }
                    // Converged when the chord correction itself is within tolerance.
                    step_ok[b] = y
                        .iter()
                        .zip(dy)
                        .all(|(a, d)| d.abs() <= o.reltol * a.abs().max((a + d).abs()) + o.vntol);
                    // Anderson mixing, depth 1: with f = dy and the previous (x, f),
                    // x ← x + f − γ(Δx + Δf), γ = Δf·f / Δf·Δf.
                    let (px, pf) = (
                        &mut prev_x[b * n..(b + 1) * n],
                        &mut prev_f[b * n..(b + 1) * n],
                    );
                    let mut gamma = 0.0;
                    if have_prev[b] {
                        let (mut num, mut den) = (0.0, 0.0);
                        for i in 0..n {
                            let df = dy[i] - pf[i];
                            num += df * dy[i];
                            den += df * df;
                        }
                        if den > 0.0 && num.is_finite() {
                            gamma = num / den;
                        }
                    }
                    for i in 0..n {
                        let (x, f) = (y[i], dy[i]);
                        let step = f - gamma * ((x - px[i]) + (f - pf[i]));
                        px[i] = x;
                        pf[i] = f;
                        y[i] = x + step;
                    }
                    have_prev[b] = true;
                    if exact {
                        done[b] = true;
                    }
                }
            }
            for b in 0..bsz {
                let k = kb + b;
                if done[b] {
                    e.y.copy_from_slice(&ys[b * n..(b + 1) * n]);
                    self.set_inputs(e, k);
                } else {
                    // Straggler: the full strategy, warm-started from where it got to.
                    let y = &ys[b * n..(b + 1) * n];
                    if y.iter().all(|v| v.is_finite()) {
                        e.y.copy_from_slice(y);
                    }
                    if !self.full(e, k, out) {
                        return;
                    }
                }
                self.record(e, k, out);
            }
            if iters > REFRESH_ITERS {
                // Slow contraction: refactor at the last solution for the next block.
                let y = e.y.clone();
                if let Err(err) = e.factor_at(&y) {
                    out.failure = Some((kb + bsz, err));
                    return;
                }
                out.factorizations += 1;
            }
            kb += bsz;
        }
    }
}

/// A checked `.vmm` card: vector–matrix multiply on crossbar `xbar`;
/// `inputs` holds one vector of `rows` voltages per input, row after row.
#[derive(Clone, Debug)]
pub struct VmmSpec {
    pub xbar: usize,
    pub inputs: Vec<f64>,
    pub rdrive: f64,
    pub rsense: f64,
}

super::crossbar_analysis!(
    VmmSpec,
    "vmm",
    run(s, cx) {
        let r = run(cx.c, s.xbar, &s.inputs, s.rdrive, s.rsense)?;
        Ok(super::Outcome::Vmm(s, r))
    }
);
