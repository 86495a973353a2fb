//! A crossbar held between calls, built from a conductance matrix rather
//! than read from a netlist: the library's entry for callers such as the
//! Python package's `Crossbar`.
//!
//! An [`Array`] is the array a `.crossbar` card builds (same node names,
//! model cards and line layout: [`crate::circuit::crossbar`]) completed
//! with the `.vmm` periphery: each row's west end driven from an ideal
//! source through `rdrive`, each column's south end held at 0 V through
//! `rsense` ([`super::vmm::with_periphery`]). Its engine is kept between
//! calls: a linear array factors once and every later solve costs only
//! the triangular solves; a nonlinear one keeps its symbolic analysis and
//! warm-starts Newton from the last solution. New conductances keep the
//! symbolic analysis ([`super::Reuse`]).
//!
//! The analyses a card describes (`.read`, `.sizing`, `.program`, ...) run
//! through [`Array::run_card`] on the array as it is, parsed by the card's
//! own reader: they mean what the card means.

use super::vmm::{Prepared, VmmResult};
use super::{Ctx, Engine, Outcome, Reuse};
use crate::circuit::Circuit;
use crate::netlist::{load_text, Deck, Diagnostics};
use crate::solve::SolveFailure;
use std::path::Path;

self_cell::self_cell!(
    /// The periphery circuit and the engine built on it.
    struct Held {
        owner: Prepared,
        #[covariant]
        dependent: Engine,
    }
);

/// What an array is made of.
#[derive(Clone, Debug)]
pub struct ArraySpec<'a> {
    pub rows: usize,
    pub cols: usize,
    /// Netlist text that defines `model` (a shipped library's text, or a
    /// `.model` card).
    pub library: &'a str,
    pub model: &'a str,
    /// Ω per row and column segment (0: ideal lines).
    pub rrow: f64,
    pub rcol: f64,
    /// Ω between each row's source and its west end, and between each
    /// column's south end and its 0 V sense (0: direct).
    pub rdrive: f64,
    pub rsense: f64,
    /// Device states (S), row-major, `rows·cols` of them.
    pub g: &'a [f64],
}

/// Why an array could not be built or a card not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArrayError {
    /// The array's description or a card does not elaborate: the rendered
    /// diagnostics, and the first one's message and `file:line:col`.
    #[error("{rendered}")]
    Input {
        rendered: String,
        message: String,
        location: Option<(String, usize, usize)>,
    },
    /// A value out of range (shapes, conductances, resistances).
    #[error("{0}")]
    Value(String),
    #[error(transparent)]
    Solve(#[from] SolveFailure),
}

impl ArrayError {
    fn input(deck: &Deck, d: &Diagnostics) -> ArrayError {
        let (rendered, message, location) = d.summary(&deck.sources);
        ArrayError::Input {
            rendered,
            message,
            location,
        }
    }
}

/// A crossbar with its periphery and engine, kept for repeated solves.
pub struct Array {
    held: Option<Held>,
    reuse: Reuse,
    /// The library and `.crossbar` card the array was elaborated from
    /// (cards run through [`Array::run_card`] are appended to it).
    head: String,
    pub rows: usize,
    pub cols: usize,
    /// Device states clipped into the model's window by the last
    /// [`Array::new`] or [`Array::set_conductances`].
    pub clipped: usize,
}

/// A number as netlist text, exactly (shortest round-trip form).
fn num(x: f64) -> String {
    format!("{x:e}")
}

fn check_ohms(what: &str, r: f64) -> Result<(), ArrayError> {
    if r.is_finite() && r >= 0.0 {
        Ok(())
    } else {
        Err(ArrayError::Value(format!(
            "{what} must be a finite resistance >= 0 ohm, got {r}"
        )))
    }
}

impl Array {
    pub fn new(s: &ArraySpec) -> Result<Array, ArrayError> {
        if s.rows == 0 || s.cols == 0 {
            return Err(ArrayError::Value(format!(
                "a crossbar needs at least one row and one column, got {}x{}",
                s.rows, s.cols
            )));
        }
        for (what, r) in [
            ("r_row", s.rrow),
            ("r_col", s.rcol),
            ("r_drive", s.rdrive),
            ("r_sense", s.rsense),
        ] {
            check_ohms(what, r)?;
        }
        if !s
            .model
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
            || s.model.is_empty()
        {
            return Err(ArrayError::Value(format!(
                "'{}' is not a model name (letters, digits and _)",
                s.model
            )));
        }
        check_states(s.rows, s.cols, s.g)?;
        // The card's uniform g only stands in until the states are set.
        let head = format!(
            "* xbarsim array\n{}\n.crossbar xb rows={} cols={} model={} rrow={} rcol={} g={}\n",
            s.library,
            s.rows,
            s.cols,
            s.model,
            num(s.rrow),
            num(s.rcol),
            num(s.g[0])
        );
        let deck = parse(&head, "")?;
        let el = crate::circuit::elaborate(&deck);
        let mut c = el
            .finish(&deck, false)
            .map_err(|d| ArrayError::input(&deck, &d))?;
        let clipped = set_states(&mut c, s.g)?;
        let prepared = Prepared::owning(c, 0, s.rdrive, s.rsense)?;
        let mut reuse = Reuse::default();
        let held = Held::try_new(prepared, |p| Engine::reusing(&p.cc, &mut reuse))?;
        Ok(Array {
            held: Some(held),
            reuse,
            head,
            rows: s.rows,
            cols: s.cols,
            clipped,
        })
    }

    fn held(&self) -> &Held {
        self.held
            .as_ref()
            .expect("an array always holds its engine")
    }

    /// Engines built on the symbolic analysis kept from the first (each
    /// [`Array::set_conductances`] builds one).
    pub fn symbolic_reuses(&self) -> usize {
        self.reuse.hits
    }

    /// The circuit solved: the crossbar with its drivers and sense.
    pub fn circuit(&self) -> &Circuit {
        &self.held().borrow_owner().cc
    }

    /// Solve every input vector (`inputs`: `rows` voltages per vector, one
    /// vector after another) as `.vmm` does; with `maps`, keep each
    /// vector's cell voltages.
    pub fn solve(&mut self, inputs: &[f64], maps: bool) -> VmmResult {
        let held = self
            .held
            .as_mut()
            .expect("an array always holds its engine");
        held.with_dependent_mut(|p, e| p.run_on(e, inputs, maps))
    }

    /// The device states (S), row-major.
    pub fn conductances(&self) -> Vec<f64> {
        let c = self.circuit();
        let xb = &c.crossbars[0];
        c.memristors[xb.first_device..xb.first_device + xb.rows * xb.cols]
            .iter()
            .map(|m| m.g)
            .collect()
    }

    /// Set new device states (S, row-major). The structure, and so the
    /// symbolic analysis, is kept; the next solve factors anew.
    pub fn set_conductances(&mut self, g: &[f64]) -> Result<(), ArrayError> {
        let held = self.held.take().expect("an array always holds its engine");
        let mut p = held.into_owner();
        let res = set_states(&mut p.cc, g);
        let reuse = &mut self.reuse;
        let held = Held::try_new(p, |p| Engine::reusing(&p.cc, reuse))?;
        self.held = Some(held);
        self.clipped = res?;
        Ok(())
    }

    /// Run one analysis card on the array as it is now: `card` names the
    /// crossbar `xb` (`.read xb row=0 col=0 v=0.25 scheme=v/2`). Relative
    /// `file(...)` paths resolve against `dir`. `visit` sees the outcome.
    /// A `.program` or `.pulse` leaves its final device states in the array.
    pub fn run_card<R>(
        &mut self,
        card: &str,
        dir: &str,
        visit: impl FnOnce(&Circuit, &Outcome) -> R,
    ) -> Result<R, ArrayError> {
        if card.contains('\n') || card.contains('\r') {
            return Err(ArrayError::Value("a card is one line".into()));
        }
        let text = format!("{}{card}\n.end\n", self.head);
        let deck = parse(&text, dir)?;
        let mut plan = super::plan(&deck).map_err(|d| ArrayError::input(&deck, &d))?;
        if plan.study.is_study() || plan.analyses.len() != 1 {
            return Err(ArrayError::Value(format!(
                "expected one analysis card on crossbar xb, got '{card}'"
            )));
        }
        set_states(&mut plan.circuit, &self.conductances())?;
        let c = &plan.circuit;
        let mut engine = Engine::new(c)?;
        let results = super::meas::Results::default();
        let outcome = plan.analyses[0].run(&mut Ctx {
            c,
            engine: &mut engine,
            progress: &mut |_| {},
            results: &results,
            rebuild: None,
        })?;
        let after = match &outcome {
            Outcome::Program(_, r) => Some(r.g_state_final.clone()),
            Outcome::Pulses(_, r) => Some(r.g_after.clone()),
            _ => None,
        };
        let r = visit(c, &outcome);
        drop(outcome);
        if let Some(g) = after {
            self.set_conductances(&g)?;
        }
        Ok(r)
    }
}

/// Parse `text` as a netlist in folder `dir` (relative paths resolve there).
fn parse(text: &str, dir: &str) -> Result<Deck, ArrayError> {
    let path = Path::new(dir).join("<crossbar>");
    load_text(&path, text.to_string()).map_err(|(deck, d)| ArrayError::input(&deck, &d))
}

/// Put states `g` (S, row-major) into crossbar 0 of `c`, clipped into the
/// model's window as the `.crossbar` card does; returns how many were.
fn set_states(c: &mut Circuit, g: &[f64]) -> Result<usize, ArrayError> {
    let xb = &c.crossbars[0];
    let n = xb.rows * xb.cols;
    check_states(xb.rows, xb.cols, g)?;
    let window = c.models[xb.model as usize].g_window;
    let first = xb.first_device;
    let mut clipped = 0;
    for (m, &x) in c.memristors[first..first + n].iter_mut().zip(g) {
        let (x, moved) = crate::circuit::crossbar::clip(window, x);
        m.g = x;
        clipped += usize::from(moved);
    }
    Ok(clipped)
}

/// `g` must hold `rows·cols` finite conductances >= 0 S.
fn check_states(rows: usize, cols: usize, g: &[f64]) -> Result<(), ArrayError> {
    if g.len() != rows * cols {
        return Err(ArrayError::Value(format!(
            "expected {} conductances ({rows}x{cols}), got {}",
            rows * cols,
            g.len()
        )));
    }
    if let Some(k) = g.iter().position(|x| !(x.is_finite() && *x >= 0.0)) {
        return Err(ArrayError::Value(format!(
            "conductance [{}, {}] is {}: conductances must be finite and >= 0 S",
            k / cols,
            k % cols,
            g[k]
        )));
    }
    Ok(())
}
