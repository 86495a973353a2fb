//! Analysis outcomes as Python dicts of numpy arrays and numbers; the
//! package's `xbarsim/_results.py` turns each into its typed result class
//! (by its `kind`). Maps are 2-D arrays (rows × cols, row-major as in the
//! circuit); per-vector and per-image tables are (items × columns).

use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use xbarsim::analysis::Outcome;
use xbarsim::circuit::Circuit;

type Dict<'py> = Bound<'py, PyDict>;

pub fn vec1<'py, T: numpy::Element>(py: Python<'py>, v: Vec<T>) -> Bound<'py, PyArray1<T>> {
    PyArray1::from_vec(py, v)
}

/// `v` (row-major, `cols` per row) as a 2-D array.
pub fn mat<'py, T: numpy::Element>(
    py: Python<'py>,
    v: Vec<T>,
    cols: usize,
) -> Bound<'py, numpy::PyArray2<T>> {
    let rows = v.len().checked_div(cols).unwrap_or(0);
    Array2::from_shape_vec((rows, cols), v)
        .expect("a whole number of rows")
        .into_pyarray(py)
}

fn nan_none(x: Option<f64>) -> f64 {
    x.unwrap_or(f64::NAN)
}

/// The outcome as a dict: `kind`, `scalars` (the headline numbers a
/// study tabulates), and the kind's own fields.
pub fn outcome<'py>(py: Python<'py>, c: &Circuit, o: &Outcome) -> PyResult<Dict<'py>> {
    let d = PyDict::new(py);
    let scalars = PyDict::new(py);
    for (k, v) in xbarsim::report::outcome::scalars(o) {
        scalars.set_item(k, v)?;
    }
    d.set_item("scalars", scalars)?;
    let xname = |x: usize| c.crossbars[x].name.clone();
    match o {
        Outcome::Op(r) => {
            d.set_item("kind", "op")?;
            d.set_item("names", r.names.clone())?;
            d.set_item("values", vec1(py, r.values.clone()))?;
            let maps = PyDict::new(py);
            for (xb, cells) in c.crossbars.iter().zip(&r.vcell) {
                maps.set_item(&xb.name, mat(py, cells.clone(), xb.cols))?;
            }
            d.set_item("vcell", maps)?;
            d.set_item("iterations", r.stats.iterations)?;
            d.set_item("factorizations", r.stats.factorizations)?;
        }
        Outcome::Dc(r) => {
            d.set_item("kind", "dc")?;
            d.set_item("names", r.names.clone())?;
            let flat: Vec<f64> = r.rows.iter().flatten().copied().collect();
            d.set_item("table", mat(py, flat, r.names.len()))?;
            d.set_item(
                "failure",
                r.failure.as_ref().map(|(x, e)| {
                    let x: Vec<String> = x.iter().map(f64::to_string).collect();
                    format!("at {}: {e}", x.join(", "))
                }),
            )?;
        }
        Outcome::Vmm(s, r) => {
            d.set_item("kind", "vmm")?;
            d.set_item("crossbar", xname(s.xbar))?;
            vmm_fields(py, &d, r)?;
        }
        Outcome::Read(s, r) => {
            d.set_item("kind", "read")?;
            d.set_item("crossbar", xname(s.xbar))?;
            d.set_item("row", s.row)?;
            d.set_item("col", s.col)?;
            d.set_item("v", s.v)?;
            d.set_item("scheme", s.scheme.name())?;
            let cs = &r.cases;
            d.set_item("cases", cs.iter().map(|k| k.name).collect::<Vec<_>>())?;
            let col = |f: &dyn Fn(&xbarsim::analysis::read::ReadCase) -> f64| {
                vec1(py, cs.iter().map(f).collect())
            };
            d.set_item("g_selected", col(&|k| nan_none(k.g_selected)))?;
            d.set_item("g_others", col(&|k| nan_none(k.g_others)))?;
            d.set_item("v_cell", col(&|k| k.v_cell))?;
            d.set_item("i_cell", col(&|k| k.i_cell))?;
            d.set_item("i_column", col(&|k| k.i_column))?;
            d.set_item("i_sneak", col(&|k| k.i_sneak))?;
            d.set_item("gon", r.gon)?;
            d.set_item("goff", r.goff)?;
            d.set_item("margin", r.margin)?;
            d.set_item("margin_rel", r.margin_rel)?;
        }
        Outcome::Sizing(s, r) => {
            d.set_item("kind", "sizing")?;
            d.set_item("crossbar", xname(s.xbar))?;
            d.set_item("metric", format!("{:?}", s.metric).to_lowercase())?;
            d.set_item("limit", s.limit)?;
            d.set_item(
                "sizes",
                vec1(py, r.points.iter().map(|p| p.0 as u64).collect()),
            )?;
            d.set_item("figure", vec1(py, r.points.iter().map(|p| p.1).collect()))?;
            d.set_item("meets", vec1(py, r.points.iter().map(|p| p.2).collect()))?;
            d.set_item("best", r.best)?;
        }
        Outcome::Program(s, r) => {
            d.set_item("kind", "program")?;
            d.set_item("crossbar", xname(s.xbar))?;
            d.set_item("tol", s.tol)?;
            program_fields(py, &d, r)?;
        }
        Outcome::Pulses(s, r) => {
            d.set_item("kind", "pulses")?;
            d.set_item("crossbar", xname(s.xbar))?;
            d.set_item("g_before", mat(py, r.g_before.clone(), r.cols))?;
            d.set_item("g_after", mat(py, r.g_after.clone(), r.cols))?;
            let rec = &r.records;
            d.set_item("row", vec1(py, rec.iter().map(|p| p.row as u64).collect()))?;
            d.set_item("col", vec1(py, rec.iter().map(|p| p.col as u64).collect()))?;
            d.set_item(
                "v_cell",
                vec1(py, rec.iter().map(|p| p.outcome.v_cell).collect()),
            )?;
            d.set_item(
                "g_pulse_before",
                vec1(py, rec.iter().map(|p| p.outcome.g_before).collect()),
            )?;
            d.set_item(
                "g_pulse_after",
                vec1(py, rec.iter().map(|p| p.outcome.g_after).collect()),
            )?;
            d.set_item(
                "g_read",
                vec1(py, rec.iter().map(|p| nan_none(p.g_read)).collect()),
            )?;
            d.set_item("failure", r.failure.as_ref().map(|e| e.to_string()))?;
        }
        Outcome::Thresholds(s, r) => {
            d.set_item("kind", "thresholds")?;
            d.set_item("crossbar", xname(s.xbar))?;
            let dv = &r.devices;
            let m = |f: &dyn Fn(&xbarsim::analysis::thresholds::DeviceThresholds) -> f64| {
                mat(py, dv.iter().map(f).collect(), r.cols)
            };
            d.set_item("vset", m(&|x| nan_none(x.vset)))?;
            d.set_item("vreset", m(&|x| nan_none(x.vreset)))?;
            d.set_item("vset_model", m(&|x| x.vset_model))?;
            d.set_item("vreset_model", m(&|x| x.vreset_model))?;
            d.set_item("g_ramp_start", m(&|x| x.g_ramp_start))?;
            d.set_item("g_peak", m(&|x| x.g_peak))?;
            d.set_item(
                "preset_ok",
                mat(py, dv.iter().map(|x| x.preset_ok).collect(), r.cols),
            )?;
            d.set_item(
                "stuck",
                mat(py, dv.iter().map(|x| x.stuck).collect(), r.cols),
            )?;
            d.set_item("pulses", r.pulses)?;
            d.set_item("reads", r.reads)?;
            d.set_item("measured", r.measured)?;
            d.set_item("failure", r.failure.as_ref().map(|e| e.to_string()))?;
        }
        Outcome::Perceptron(s, r) => {
            d.set_item("kind", "perceptron")?;
            d.set_item("crossbar", xname(s.xbar))?;
            d.set_item("name", s.out.clone())?;
            let classes = r.prep.p.classes;
            d.set_item("software_accuracy", r.prep.software_accuracy)?;
            d.set_item("ideal_accuracy", r.ideal.accuracy)?;
            d.set_item("circuit_accuracy", r.circuit.accuracy)?;
            d.set_item(
                "confusion",
                mat(py, r.confusion.iter().map(|&x| x as u64).collect(), classes),
            )?;
            let u = |v: &[usize]| vec1(py, v.iter().map(|&x| x as u64).collect());
            d.set_item("test_index", u(&r.prep.test))?;
            d.set_item("software_pred", u(&r.prep.software_pred))?;
            d.set_item("ideal_pred", u(&r.ideal.pred))?;
            d.set_item("circuit_pred", u(&r.circuit.pred))?;
            d.set_item("ideal_currents", mat(py, r.ideal.currents.clone(), r.cols))?;
            d.set_item(
                "circuit_currents",
                mat(py, r.circuit.currents.clone(), r.cols),
            )?;
            let xb = &c.crossbars[s.xbar];
            d.set_item("xbar_states", mat(py, r.xbar_states.clone(), xb.cols))?;
            d.set_item("mean_rel_error", r.stats.mean_rel_error)?;
            match &r.programming {
                Some(p) => {
                    let pd = PyDict::new(py);
                    pd.set_item("kind", "program")?;
                    pd.set_item("crossbar", xname(s.xbar))?;
                    pd.set_item("tol", p.spec.tol)?;
                    pd.set_item("scalars", PyDict::new(py))?;
                    program_fields(py, &pd, &p.result)?;
                    d.set_item("programming", pd)?;
                }
                None => d.set_item("programming", py.None())?,
            }
        }
        Outcome::Meas(_, r) => {
            d.set_item("kind", "meas")?;
            let values = PyDict::new(py);
            let errors = PyDict::new(py);
            for (k, v) in &r.values {
                match v {
                    Ok(x) => values.set_item(k, *x)?,
                    Err(e) => {
                        values.set_item(k, f64::NAN)?;
                        errors.set_item(k, e)?;
                    }
                }
            }
            d.set_item("values", values)?;
            d.set_item("errors", errors)?;
        }
        Outcome::WrData(s, rows) => {
            d.set_item("kind", "wrdata")?;
            d.set_item("file", s.file.clone())?;
            d.set_item("rows", rows.len())?;
        }
    }
    Ok(d)
}

/// A `.vmm` result's fields.
fn vmm_fields(py: Python<'_>, d: &Dict<'_>, r: &xbarsim::analysis::vmm::VmmResult) -> PyResult<()> {
    let cols = r.cols;
    d.set_item(
        "currents",
        mat(py, r.currents.iter().map(|c| c.0).collect(), cols),
    )?;
    d.set_item(
        "ideal",
        mat(py, r.currents.iter().map(|c| c.1).collect(), cols),
    )?;
    d.set_item("rel_error", vec1(py, r.rel_error.clone()))?;
    d.set_item("ir_drop", mat(py, r.first_drop.clone(), cols))?;
    d.set_item("iterations", r.iterations)?;
    d.set_item("factorizations", r.factorizations)?;
    d.set_item(
        "failure",
        r.failure.as_ref().map(|(k, e)| format!("vector {k}: {e}")),
    )?;
    Ok(())
}

fn program_fields(
    py: Python<'_>,
    d: &Dict<'_>,
    r: &xbarsim::analysis::program::ProgramResult,
) -> PyResult<()> {
    let m = |v: &Vec<f64>| mat(py, v.clone(), r.cols);
    d.set_item("target", m(&r.target))?;
    d.set_item("g_initial", m(&r.g_initial))?;
    d.set_item("g_final", m(&r.g_final))?;
    d.set_item("g_state_final", m(&r.g_state_final))?;
    d.set_item("g_measured", m(&r.g_measured))?;
    d.set_item("error_pct", m(&r.error_pct))?;
    d.set_item("error_true_pct", m(&r.error_true_pct))?;
    d.set_item("stuck", mat(py, r.stuck.clone(), r.cols))?;
    let cy = &r.cycles;
    let cycles = PyDict::new(py);
    cycles.set_item(
        "mean_abs_error_pct",
        vec1(py, cy.iter().map(|c| c.mean_abs_error_pct).collect()),
    )?;
    cycles.set_item(
        "within_tol_pct",
        vec1(py, cy.iter().map(|c| c.within_tol_pct).collect()),
    )?;
    let u = |f: &dyn Fn(&xbarsim::analysis::program::CycleStats) -> usize| {
        vec1(py, cy.iter().map(|c| f(c) as u64).collect())
    };
    cycles.set_item("pulses", u(&|c| c.pulses))?;
    cycles.set_item("reads", u(&|c| c.reads))?;
    cycles.set_item("devices_tuned", u(&|c| c.devices_tuned))?;
    cycles.set_item("devices_failed", u(&|c| c.devices_failed))?;
    cycles.set_item("disturbed_devices", u(&|c| c.disturbed_devices))?;
    cycles.set_item("drifted_devices", u(&|c| c.drifted_devices))?;
    cycles.set_item("read_shifted_devices", u(&|c| c.read_shifted_devices))?;
    d.set_item("cycles", cycles)?;
    d.set_item("disturbed_devices", r.disturbed_devices)?;
    d.set_item("drifted_devices", r.drifted_devices)?;
    d.set_item("read_shifted_devices", r.read_shifted_devices)?;
    d.set_item("failed_devices", r.failed_devices)?;
    d.set_item("failure", r.failure.as_ref().map(|e| e.to_string()))?;
    Ok(())
}
