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
//! no wire, driver or sense resistance. Every vector runs on one engine:
//! linear arrays factor once and solve per vector; nonlinear ones warm-start
//! Newton from the previous vector's solution and factorization.

use super::{drive_port, Engine};
use crate::circuit::Circuit;
use crate::solve::SolveFailure;

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
}

/// The circuit with the VMM periphery added: returns it and the indices of
/// the input and sense sources.
pub fn with_periphery(
    c: &Circuit,
    xbar: usize,
    rdrive: f64,
    rsense: f64,
) -> (Circuit, Vec<usize>, Vec<usize>) {
    let mut c = c.clone();
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
    c.analyses.clear();
    (c, inputs, senses)
}

/// Vectors solved together (one multi-right-hand-side solve per iteration).
pub const BLOCK: usize = 64;
/// Chord iterations a block may take before its stragglers fall back to the
/// full Newton strategy one by one.
pub const BLOCK_ITERS: usize = 40;
/// A block that needed more iterations than this refreshes the factorization.
pub const REFRESH_ITERS: usize = 12;

/// Run every input vector (`inputs`: rows voltages per vector).
///
/// The first vector is solved by the full strategy (which leaves a
/// factorization of the Jacobian). The others go in blocks of [`BLOCK`]:
/// every block iterates y ← y − J₀⁻¹F(y) for all its vectors at once (a chord
/// iteration with one multi-right-hand-side solve, accelerated by Anderson
/// mixing of depth 1), each vector stopping by the same step and residual
/// tests as Newton. For linear arrays one
/// iteration is exact. Stragglers, and every vector when the iterative solver
/// is in use, take the full strategy.
pub fn run(
    c: &Circuit,
    xbar: usize,
    inputs: &[f64],
    rdrive: f64,
    rsense: f64,
    mut progress: impl FnMut(usize, usize),
) -> Result<VmmResult, SolveFailure> {
    let (cc, ins, outs) = with_periphery(c, xbar, rdrive, rsense);
    if let Err(d) = crate::circuit::validate::validate(&cc, None, true) {
        let msgs: Vec<String> = d.0.iter().map(|x| x.message.clone()).collect();
        return Err(SolveFailure::Invalid(msgs.join("; ")));
    }
    let xb = &cc.crossbars[xbar];
    let (rows, cols) = (xb.rows, xb.cols);
    let law = cc.models[xb.model as usize].law;
    let o = &cc.options;
    let mut e = Engine::new(&cc)?;
    let n = e.sys.n();
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
    };

    let set_inputs = |e: &mut Engine, k: usize| {
        let v = &inputs[k * rows..(k + 1) * rows];
        for (i, &s) in ins.iter().enumerate() {
            e.sys.v_values[s] = v[i];
        }
        e.sys.update_sources();
    };
    // Record vector k's column currents at the engine's current solution.
    let mut record = |e: &mut Engine, k: usize, res: &mut VmmResult| {
        let v = &inputs[k * rows..(k + 1) * rows];
        let cur = e.source_currents();
        let (mut num, mut den) = (0.0, 0.0);
        for (j, &s) in outs.iter().enumerate() {
            let ideal: f64 = (0..rows)
                .map(|i| law.current(cc.memristors[xb.device(i, j)].g, v[i]))
                .sum();
            let got = cur[s];
            num += (got - ideal) * (got - ideal);
            den += ideal * ideal;
            res.currents.push((got, ideal));
        }
        res.rel_error.push(if den > 0.0 {
            (num / den).sqrt()
        } else {
            num.sqrt()
        });
        progress(k + 1, nvec);
    };
    let full = |e: &mut Engine, k: usize, res: &mut VmmResult| -> bool {
        set_inputs(e, k);
        match e.solve() {
            Ok(st) => {
                res.iterations += st.iterations;
                res.factorizations += st.factorizations;
                true
            }
            Err(err) => {
                res.failure = Some((k, err));
                false
            }
        }
    };
    if nvec == 0 {
        return Ok(res);
    }
    if !full(&mut e, 0, &mut res) {
        return Ok(res);
    }
    record(&mut e, 0, &mut res);
    // After `record`, the node voltages are those of vector 0.
    res.first_drop = (0..rows * cols)
        .map(|k| inputs[k / cols] - (e.sys.v[xb.t[k].idx()] - e.sys.v[xb.b[k].idx()]))
        .collect();
    let batched = !e.solver.is_iterative();
    let mut k0 = 1;
    let mut ys = Vec::new();
    let mut rhs = Vec::new();
    let (mut prev_x, mut prev_f) = (Vec::new(), Vec::new());
    while k0 < nvec {
        let bsz = BLOCK.min(nvec - k0);
        if !batched {
            for k in k0..k0 + bsz {
                if !full(&mut e, k, &mut res) {
                    return Ok(res);
                }
                record(&mut e, k, &mut res);
            }
            k0 += bsz;
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
                set_inputs(&mut e, k0 + b);
                e.sys.assemble(&cc, &ys[b * n..(b + 1) * n], false);
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
            res.iterations += active.len();
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
            }
        }
        for b in 0..bsz {
            let k = k0 + b;
            if done[b] {
                e.y.copy_from_slice(&ys[b * n..(b + 1) * n]);
                set_inputs(&mut e, k);
            } else {
                // Straggler: the full strategy, warm-started from where it got to.
                let y = &ys[b * n..(b + 1) * n];
                if y.iter().all(|v| v.is_finite()) {
                    e.y.copy_from_slice(y);
                }
                if !full(&mut e, k, &mut res) {
                    return Ok(res);
                }
            }
            record(&mut e, k, &mut res);
        }
        if iters > REFRESH_ITERS {
            // Slow contraction: refactor at the last solution for the next block.
            e.sys.assemble(&cc, &e.y.clone(), true);
            e.solver.factor(&e.sys.vals)?;
            res.factorizations += 1;
        }
        k0 += bsz;
    }
    Ok(res)
}
