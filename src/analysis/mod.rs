//! Analyses: what is done with a circuit. Each lives in a folder (or file) of
//! its own with its card parser, its spec, its run and its result type:
//!
//! - `op`, `dc`: operating point and source sweep on the netlist's circuit;
//! - `vmm`, `read`, `sizing`: vector–matrix multiply, one-cell reads and
//!   array sizing on a crossbar completed with drivers and sense;
//! - `program`, `pulse`, `thresholds`: write pulses through the circuit
//!   (write-verify tuning, single pulses, switching-threshold statistics);
//! - `perceptron`: a digit classifier read out through the crossbar.
//!
//! [`registry::ANALYSES`] lists them; [`plan`] reads a deck's analysis cards
//! through it. An analysis returns an [`Outcome`]; `report` writes it.
//! Adding one (`.step`, `.tran`) means a new folder, a line in the
//! registry, a variant of [`Outcome`] and its writer in `report`.

pub mod array;
pub mod card;
pub mod control;
pub mod dc;
pub mod engine;
pub mod meas;
pub mod op;
pub mod perceptron;
pub mod plan;
pub mod program;
pub mod pulse;
pub mod read;
pub mod registry;
pub mod sizing;
pub mod study;
pub mod thresholds;
pub mod vmm;

use crate::circuit::Circuit;
use crate::solve::SolveFailure;
use std::any::Any;

pub use engine::{drive_port, Engine, Reuse};
pub use plan::{plan, plan_with, rebuilder, Plan};

/// One planned analysis: a checked card, ready to run.
pub trait Analysis: Any + std::fmt::Debug + Send + Sync {
    /// The card's directive without the dot (`op`, `read`, ...).
    fn directive(&self) -> &'static str;

    /// The crossbar it works on, if any.
    fn crossbar(&self) -> Option<usize> {
        None
    }

    /// Its output files' stem and main file, e.g. `read (read.csv)`: two
    /// analyses with one stem would overwrite each other's files.
    fn output(&self, _c: &Circuit) -> String {
        format!("{0} ({0}.csv)", self.directive())
    }

    /// Whether it solves the netlist's own circuit (`.op`, `.dc`), which then
    /// must be solvable as it is; the crossbar analyses complete a copy with
    /// their drivers and sense.
    fn solves_netlist(&self) -> bool {
        self.crossbar().is_none()
    }

    /// Its line in a flat SPICE netlist (`xbarsim export`).
    fn spice(&self, c: &Circuit) -> String {
        format!(
            "* .{} on crossbar '{}' is not exported: ngspice has no such analysis",
            self.directive(),
            self.crossbar().map_or("", |x| c.crossbars[x].name.as_str())
        )
    }

    /// What an error message says ran: `.read XB`.
    fn label(&self, c: &Circuit) -> String {
        match self.crossbar() {
            Some(x) => format!(".{} {}", self.directive(), c.crossbars[x].name),
            None => format!(".{}", self.directive()),
        }
    }

    /// Run it. Errors that leave no result are `Err`; an analysis that
    /// stopped part way returns its partial results with the reason inside.
    fn run<'s>(&'s self, cx: &mut Ctx<'_, '_>) -> Result<Outcome<'s>, SolveFailure>;
}

/// Implements [`Analysis`] for the spec of an analysis on one crossbar
/// (`self.xbar`): its directive, its run and (when not `<directive>.csv`)
/// the key of its output files, given as blocks over the spec (bound to the
/// name the caller gives).
macro_rules! crossbar_analysis {
    ($spec:ty, $directive:literal,
     $(output($s:ident, $c:ident) $output:block,)?
     run($r:ident, $cx:ident) $run:block) => {
        impl $crate::analysis::Analysis for $spec {
            fn directive(&self) -> &'static str {
                $directive
            }
            fn crossbar(&self) -> Option<usize> {
                Some(self.xbar)
            }
            $(
                fn output(&self, $c: &$crate::circuit::Circuit) -> String {
                    let $s = self;
                    $output
                }
            )?
            fn run<'s>(
                &'s self,
                $cx: &mut $crate::analysis::Ctx<'_, '_>,
            ) -> Result<$crate::analysis::Outcome<'s>, $crate::solve::SolveFailure> {
                let $r = self;
                $run
            }
        }
    };
}
pub(crate) use crossbar_analysis;

/// What an analysis runs with.
pub struct Ctx<'a, 'c> {
    pub c: &'c Circuit,
    /// The netlist's circuit, set up once for `.op` and `.dc`.
    pub engine: &'a mut Engine<'c>,
    /// Called as device-by-device work advances.
    pub progress: &'a mut dyn FnMut(Progress),
    /// The results of the analyses run so far (for `.meas`).
    pub results: &'a meas::Results,
    /// Elaborates the netlist again (a `.dc` over `temp` or a `.param`);
    /// None where no netlist is at hand.
    pub rebuild: Option<&'a Rebuild<'a>>,
}

/// The netlist elaborated again with more `(name, value)` overrides (a
/// `.param`, `temp`, a source's value): the circuit, or the rendered errors.
pub type Rebuild<'a> = dyn Fn(&[(String, f64)]) -> Result<Circuit, String> + 'a;

/// How far a device-by-device analysis is.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Cycle (0-based) and number of cycles, for multi-pass analyses.
    pub cycle: Option<(usize, usize)>,
    /// Devices done in this pass, of `total`.
    pub done: usize,
    pub total: usize,
}

/// The result of one analysis, handed to `report`. (One is alive at a
/// time and moved once: the size difference of its variants costs nothing.)
#[allow(clippy::large_enum_variant)]
pub enum Outcome<'s> {
    Op(op::OpResult),
    Dc(dc::DcResult),
    Vmm(&'s vmm::VmmSpec, vmm::VmmResult),
    Read(&'s read::ReadSpec, read::ReadResult),
    Sizing(&'s sizing::SizingSpec, sizing::SizingResult),
    Program(&'s program::ProgramSpec, program::ProgramResult),
    Pulses(&'s pulse::PulseSeq, pulse::PulseSeqResult),
    Thresholds(&'s thresholds::ThresholdSpec, thresholds::ThresholdResult),
    Perceptron(&'s perceptron::PerceptronSpec, perceptron::PerceptronResult),
    Meas(&'s meas::MeasSet, meas::MeasResult),
    /// A `.control` block's `wrdata`: rows of [scale, vectors...].
    WrData(&'s control::WrData, Vec<Vec<f64>>),
}

/// The analysis of `planned` as its concrete type, if it is one.
pub fn downcast<T: Analysis>(a: &dyn Analysis) -> Option<&T> {
    (a as &dyn Any).downcast_ref::<T>()
}
