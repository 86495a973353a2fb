//! `xbarsim._xbarsim`: the native half of the Python package. The public
//! API (argument checking, result classes, pandas) is `xbarsim/*.py`; this
//! module runs netlists and holds arrays on the Rust library, with the GIL
//! released for every solve.

mod convert;

// As the CLI (src/main.rs): building and factoring a large array is
// allocation-heavy. Only Rust's own allocations go through it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use numpy::PyReadonlyArray2;
use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;
use xbarsim::analysis::array::{Array, ArrayError, ArraySpec};
use xbarsim::solve::interrupt::Interrupt;

create_exception!(
    _xbarsim,
    NetlistError,
    PyValueError,
    "A netlist (or a card, or an array's description) that xbarsim refuses: \
     `file`, `line`, `column` (1-based; None where there is no place), `message` \
     and the rendered `diagnostic`."
);
create_exception!(
    _xbarsim,
    AnalysisError,
    PyRuntimeError,
    "An analysis that failed on a valid circuit (no convergence, a singular \
     circuit, a result that is not finite)."
);

/// Solves running now with the GIL released, and the most seen at once
/// (what the package's test of parallel solves counts).
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
static MOST_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// Stack of the thread a native call runs on: as a main thread's (a
/// spawned thread's default, 2 MiB, is less than the calling Python
/// thread's).
const WORK_STACK: usize = 8 << 20;
/// How often the waiting thread looks for a signal (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(50);
/// Input vectors beyond which a solve is interruptible: those are solved
/// in parallel chunks of this many; a few take milliseconds per vector.
const LONG_SOLVE: usize = xbarsim::analysis::vmm::CHUNK;

/// Run `f` with the GIL released, counted in [`IN_FLIGHT`], on this
/// thread: for calls that take milliseconds.
fn detached<T: Send>(py: Python<'_>, f: impl FnOnce() -> T + Send) -> T {
    py.detach(|| {
        let now = IN_FLIGHT.fetch_add(1, Ordering::SeqCst) + 1;
        MOST_IN_FLIGHT.fetch_max(now, Ordering::SeqCst);
        let r = f();
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
        r
    })
}

/// As [`detached`], and interruptible: `f` runs on a thread of its own
/// under an [`Interrupt`] flag while this thread waits, looking every
/// [`SIGNAL_POLL`] for a signal. When Python's handler raises (Ctrl-C:
/// `KeyboardInterrupt`), the flag stops `f` at its next solve; once `f` has
/// returned (the files it wrote are complete), that exception is raised in
/// place of its result. Only the main thread sees signals, as in Python.
/// The thread costs about 20 µs a call (measured): for the calls that can
/// take seconds.
fn interruptible<T: Send>(py: Python<'_>, f: impl FnOnce() -> T + Send) -> PyResult<T> {
    let flag = Interrupt::new();
    let mut signal: Option<PyErr> = None;
    let r = detached(py, || {
        let (done, result) = std::sync::mpsc::sync_channel(1);
        std::thread::scope(|s| {
            let work = std::thread::Builder::new()
                .name("xbarsim".into())
                .stack_size(WORK_STACK)
                .spawn_scoped(s, || {
                    // The receiver outlives this thread (joined below).
                    let _ = done.send(flag.watch(f));
                })
                .expect("a thread for the native call");
            let r = loop {
                match result.recv_timeout(SIGNAL_POLL) {
                    Ok(r) => break Some(r),
                    // `f` panicked: the join below carries the panic.
                    Err(RecvTimeoutError::Disconnected) => break None,
                    Err(RecvTimeoutError::Timeout) => {}
                }
                if signal.is_none() {
                    if let Err(e) = Python::attach(|py| py.check_signals()) {
                        flag.raise();
                        signal = Some(e);
                    }
                }
            };
            if let Err(panic) = work.join() {
                std::panic::resume_unwind(panic);
            }
            r.expect("the call returned or panicked")
        })
    });
    match signal {
        Some(e) => Err(e),
        None => Ok(r),
    }
}

/// The most native calls that ran at the same time with the GIL released
/// since the last reset; `reset` sets it to 0.
#[pyfunction]
#[pyo3(signature = (reset=false))]
fn _most_in_flight(reset: bool) -> usize {
    if reset {
        MOST_IN_FLIGHT.swap(0, Ordering::SeqCst)
    } else {
        MOST_IN_FLIGHT.load(Ordering::SeqCst)
    }
}

fn netlist_error(
    py: Python<'_>,
    code: u8,
    rendered: &str,
    message: &str,
    location: Option<&(String, usize, usize)>,
) -> PyErr {
    let e = if code == 2 {
        NetlistError::new_err(rendered.trim_end().to_string())
    } else {
        AnalysisError::new_err(rendered.trim_end().to_string())
    };
    let v = e.value(py);
    let (file, line, col) = match location {
        Some((f, l, c)) => (Some(f.clone()), Some(*l), Some(*c)),
        None => (None, None, None),
    };
    // Setting attributes on a fresh exception instance cannot fail.
    let _ = v.setattr("file", file);
    let _ = v.setattr("line", line);
    let _ = v.setattr("column", col);
    let _ = v.setattr("message", message.to_string());
    let _ = v.setattr("diagnostic", rendered.to_string());
    let _ = v.setattr("exit_code", code);
    e
}

fn array_error(py: Python<'_>, e: ArrayError) -> PyErr {
    match e {
        ArrayError::Input {
            rendered,
            message,
            location,
        } => netlist_error(py, 2, &rendered, &message, location.as_ref()),
        ArrayError::Value(m) => PyValueError::new_err(m),
        ArrayError::Solve(f) => AnalysisError::new_err(f.to_string()),
        e => PyRuntimeError::new_err(e.to_string()),
    }
}

/// Run a netlist into folder `out` as `xbarsim run` does; returns
/// `{"analyses": [dict per analysis], "study": bool, "warnings": [str]}`.
#[pyfunction]
#[pyo3(signature = (path, text, params, out, plots, verbose))]
fn run(
    py: Python<'_>,
    path: String,
    text: Option<String>,
    params: Vec<(String, f64)>,
    out: String,
    plots: bool,
    verbose: bool,
) -> PyResult<Py<PyDict>> {
    let params: Vec<(String, f64)> = params
        .into_iter()
        .map(|(k, v)| (k.to_lowercase(), v))
        .collect();
    let r = xbarsim::cli::run::Embedded {
        path: Path::new(&path),
        text,
        params: &params,
        out: Path::new(&out),
        quiet: !verbose,
        plots,
    };
    let mut analyses: Vec<PyResult<Py<PyDict>>> = Vec::new();
    let res = interruptible(py, || {
        xbarsim::cli::run::run_embedded(&r, &mut |c, o| {
            analyses.push(Python::attach(|py| {
                convert::outcome(py, c, o).map(|d| d.unbind())
            }));
        })
    })?;
    let d = PyDict::new(py);
    let list: Vec<Py<PyDict>> = analyses.into_iter().collect::<PyResult<_>>()?;
    match res {
        Ok(run) => {
            d.set_item("analyses", list)?;
            d.set_item("study", run.study)?;
            d.set_item("warnings", run.warnings)?;
            Ok(d.unbind())
        }
        Err(e) => Err(netlist_error(
            py,
            e.code,
            &e.rendered,
            &e.message,
            e.location.as_ref(),
        )),
    }
}

/// The text of the shipped model library that defines `name`, and its
/// file name; None if no shipped library does.
#[pyfunction]
fn library(name: &str) -> Option<(&'static str, &'static str)> {
    xbarsim::circuit::library::find(name).map(|(f, t)| (t, f))
}

/// Every model name the shipped libraries define.
#[pyfunction]
fn library_models() -> Vec<&'static str> {
    xbarsim::circuit::library::all_names()
}

/// A crossbar held between calls (see `xbarsim.Crossbar`).
#[pyclass(module = "xbarsim._xbarsim")]
struct NativeArray {
    a: Array,
}

/// `g` row-major, from any layout.
fn row_major(g: &PyReadonlyArray2<f64>) -> (usize, usize, Vec<f64>) {
    let v = g.as_array();
    let (r, c) = v.dim();
    (r, c, v.iter().copied().collect())
}

#[pymethods]
impl NativeArray {
    #[new]
    #[pyo3(signature = (g, library, model, rrow, rcol, rdrive, rsense))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        g: PyReadonlyArray2<f64>,
        library: &str,
        model: &str,
        rrow: f64,
        rcol: f64,
        rdrive: f64,
        rsense: f64,
    ) -> PyResult<NativeArray> {
        let (rows, cols, g) = row_major(&g);
        let spec = ArraySpec {
            rows,
            cols,
            library,
            model,
            rrow,
            rcol,
            rdrive,
            rsense,
            g: &g,
        };
        let a = detached(py, || Array::new(&spec)).map_err(|e| array_error(py, e))?;
        Ok(NativeArray { a })
    }

    #[getter]
    fn rows(&self) -> usize {
        self.a.rows
    }

    #[getter]
    fn cols(&self) -> usize {
        self.a.cols
    }

    #[getter]
    fn clipped(&self) -> usize {
        self.a.clipped
    }

    #[getter]
    fn unknowns(&self) -> usize {
        let c = self.a.circuit();
        c.nodes.len() - 1 + c.vsources.len()
    }

    /// The device states (S) as a new rows × cols array.
    fn conductances<'py>(&self, py: Python<'py>) -> Bound<'py, numpy::PyArray2<f64>> {
        convert::mat(py, self.a.conductances(), self.a.cols)
    }

    fn set_conductances(&mut self, py: Python<'_>, g: PyReadonlyArray2<f64>) -> PyResult<()> {
        let (r, c, g) = row_major(&g);
        if (r, c) != (self.a.rows, self.a.cols) {
            return Err(PyValueError::new_err(format!(
                "g has shape ({r}, {c}); this crossbar is ({}, {})",
                self.a.rows, self.a.cols
            )));
        }
        let a = &mut self.a;
        detached(py, || a.set_conductances(&g)).map_err(|e| array_error(py, e))
    }

    /// Solve input vectors `v` (rows × k); returns the column currents
    /// (cols × k) and, with `maps`, the cell voltages (rows × cols × k).
    #[pyo3(signature = (v, maps=false))]
    fn solve<'py>(
        &mut self,
        py: Python<'py>,
        v: PyReadonlyArray2<f64>,
        maps: bool,
    ) -> PyResult<(Bound<'py, PyAny>, Option<Bound<'py, PyAny>>)> {
        let (rows, cols) = (self.a.rows, self.a.cols);
        let view = v.as_array();
        let (r, k) = view.dim();
        if r != rows {
            return Err(PyValueError::new_err(format!(
                "v has {r} rows; this crossbar has {rows}"
            )));
        }
        if let Some(x) = view.iter().find(|x| !x.is_finite()) {
            return Err(PyValueError::new_err(format!(
                "input voltages must be finite, got {x}"
            )));
        }
        // Vector-major, as the solver takes them (one copy, any layout).
        let inputs: Vec<f64> = view.t().iter().copied().collect();
        let a = &mut self.a;
        let res = if k > LONG_SOLVE {
            interruptible(py, || a.solve(&inputs, maps))?
        } else {
            detached(py, || a.solve(&inputs, maps))
        };
        if let Some((j, e)) = &res.failure {
            return Err(AnalysisError::new_err(format!("input vector {j}: {e}")));
        }
        // (k × cols) → (cols × k), (k × rows·cols) → (rows × cols × k).
        let mut cur = vec![0.0; cols * k];
        for (n, c) in res.currents.iter().enumerate() {
            cur[(n % cols) * k + n / cols] = c.0;
        }
        let cur = numpy::ndarray::Array2::from_shape_vec((cols, k), cur).expect("shape");
        let maps = if maps {
            let rc = rows * cols;
            let mut m = vec![0.0; rc * k];
            for (n, x) in res.maps.iter().enumerate() {
                m[(n % rc) * k + n / rc] = *x;
            }
            let m = numpy::ndarray::Array3::from_shape_vec((rows, cols, k), m).expect("shape");
            Some(numpy::IntoPyArray::into_pyarray(m, py).into_any())
        } else {
            None
        };
        Ok((numpy::IntoPyArray::into_pyarray(cur, py).into_any(), maps))
    }

    /// `.vmm` on this array: `inputs` (vectors × rows) as the card's CSV.
    fn vmm<'py>(
        &mut self,
        py: Python<'py>,
        inputs: PyReadonlyArray2<f64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let view = inputs.as_array();
        if view.dim().1 != self.a.rows {
            return Err(PyValueError::new_err(format!(
                "inputs has {} values per vector; this crossbar has {} rows",
                view.dim().1,
                self.a.rows
            )));
        }
        let flat: Vec<f64> = view.iter().copied().collect();
        let a = &mut self.a;
        let r = if view.dim().0 > LONG_SOLVE {
            interruptible(py, || a.solve(&flat, false))?
        } else {
            detached(py, || a.solve(&flat, false))
        };
        // As the `.vmm` card's outcome, so its dict (scalars included) is
        // the card's.
        let spec = xbarsim::analysis::vmm::VmmSpec {
            xbar: 0,
            inputs: Vec::new(),
            rdrive: 0.0,
            rsense: 0.0,
        };
        convert::outcome(
            py,
            self.a.circuit(),
            &xbarsim::analysis::Outcome::Vmm(&spec, r),
        )
    }

    /// Run one analysis card on crossbar `xb` as the array is now.
    fn run_card<'py>(
        &mut self,
        py: Python<'py>,
        card: &str,
        dir: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        let a = &mut self.a;
        let out = interruptible(py, || {
            a.run_card(card, dir, |c, o| {
                Python::attach(|py| convert::outcome(py, c, o).map(|d| d.unbind()))
            })
        })?
        .map_err(|e| array_error(py, e))??;
        Ok(out.into_bound(py))
    }
}

#[pymodule]
fn _xbarsim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("NetlistError", m.py().get_type::<NetlistError>())?;
    m.add("AnalysisError", m.py().get_type::<AnalysisError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(library, m)?)?;
    m.add_function(wrap_pyfunction!(library_models, m)?)?;
    m.add_function(wrap_pyfunction!(_most_in_flight, m)?)?;
    m.add_class::<NativeArray>()?;
    Ok(())
}
