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

use super::Engine;
use crate::circuit::{Circuit, NodeId, Resistor, VSource};
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
    let mut inputs = Vec::with_capacity(xb.rows);
    for i in 0..xb.rows {
        let at = if rdrive > 0.0 {
            let n = c.nodes.intern(&format!("{}.vmm_in{i}", xb.name));
            c.resistors.push(Resistor {
                name: Box::from(""),
                a: n,
                b: xb.w[i],
                g: 1.0 / rdrive,
            });
            n
        } else {
            xb.w[i]
        };
        inputs.push(c.vsources.len());
        c.vsources.push(VSource {
            name: format!("v{}.vmm_in{i}", xb.name),
            p: at,
            n: NodeId::GROUND,
            volts: 0.0,
            span,
        });
    }
    let mut senses = Vec::with_capacity(xb.cols);
    for j in 0..xb.cols {
        let at = if rsense > 0.0 {
            let n = c.nodes.intern(&format!("{}.vmm_out{j}", xb.name));
            c.resistors.push(Resistor {
                name: Box::from(""),
                a: xb.s[j],
                b: n,
                g: 1.0 / rsense,
            });
            n
        } else {
            xb.s[j]
        };
        senses.push(c.vsources.len());
        c.vsources.push(VSource {
            name: format!("v{}.vmm_out{j}", xb.name),
            p: at,
            n: NodeId::GROUND,
            volts: 0.0,
            span,
        });
    }
    c.analyses.clear();
    (c, inputs, senses)
}

/// Run every input vector (`inputs`: rows voltages per vector).
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
    let mut e = Engine::new(&cc)?;
    let nvec = inputs.len() / rows;
    let mut res = VmmResult {
        rows,
        cols,
        currents: Vec::with_capacity(nvec * cols),
        rel_error: Vec::with_capacity(nvec),
        iterations: 0,
        factorizations: 0,
        failure: None,
    };
    for k in 0..nvec {
        let v = &inputs[k * rows..(k + 1) * rows];
        for (i, &s) in ins.iter().enumerate() {
            e.sys.v_values[s] = v[i];
        }
        e.sys.update_sources();
        match e.solve() {
            Ok(st) => {
                res.iterations += st.iterations;
                res.factorizations += st.factorizations;
            }
            Err(err) => {
                res.failure = Some((k, err));
                break;
            }
        }
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
    }
    Ok(res)
}
