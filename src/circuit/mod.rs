//! The elaborated circuit: nodes interned, parameters evaluated, models
//! resolved, elements in one `Vec` per kind, analyses listed, and the whole
//! validated (no voltage-source loops, every node with a DC path to ground).

pub mod budget;
pub mod crossbar;
pub mod elaborate;
pub mod nodes;
pub mod params;
pub mod validate;

use crate::devices::bsource::Program;
use crate::devices::memristor::MemristorModel;
use crate::netlist::Span;
pub use crossbar::Crossbar;
pub use elaborate::elaborate;
pub use nodes::{NodeId, Nodes};

#[derive(Clone, Debug)]
pub struct Resistor {
    pub name: Box<str>,
    pub a: NodeId,
    pub b: NodeId,
    /// Conductance (S).
    pub g: f64,
}

/// Independent DC voltage source: V(p) − V(n) = volts.
#[derive(Clone, Debug)]
pub struct VSource {
    pub name: String,
    pub p: NodeId,
    pub n: NodeId,
    pub volts: f64,
    pub span: Span,
}

/// Independent DC current source: `amps` flows from p through the source to n.
#[derive(Clone, Debug)]
pub struct ISource {
    pub name: String,
    pub p: NodeId,
    pub n: NodeId,
    pub amps: f64,
    pub span: Span,
}

/// A memristor at state `g`; current flows from `a` (+) through the device to `b`.
#[derive(Clone, Debug)]
pub struct Memristor {
    pub name: String,
    pub a: NodeId,
    pub b: NodeId,
    pub model: u32,
    pub g: f64,
}

/// A B-source whose current depends only on its own branch voltage V(a) − V(b):
/// it stamps symmetrically, like a nonlinear resistor.
#[derive(Clone, Debug)]
pub struct ExprBranch {
    pub name: Box<str>,
    pub a: NodeId,
    pub b: NodeId,
    pub law: BranchLaw,
}

/// The law of an [`ExprBranch`], I(v) with v = V(a) − V(b). Common forms are
/// recognized from the compiled expression and evaluated natively; anything
/// else runs the expression program.
#[derive(Clone, Debug, PartialEq)]
pub enum BranchLaw {
    /// I = g·v
    Linear { g: f64 },
    /// I = k·sinh(β·v)
    Sinh { k: f64, beta: f64 },
    /// I = c1·v + c3·v³
    Cubic { c1: f64, c3: f64 },
    /// General: probe j reads `signs[j]`·v.
    Program { prog: Program, signs: Vec<f64> },
}

impl BranchLaw {
    /// Recognize a native form of `prog` whose probes read `signs`·v.
    pub fn from_program(prog: Program, signs: Vec<f64>) -> BranchLaw {
        use crate::devices::bsource::Op::*;
        use crate::netlist::expr::{BinOp::*, Func::Sinh as FSinh};
        if signs.len() == 1 {
            let s = signs[0];
            match prog.ops.as_slice() {
                [Const(g), Probe(0), Bin(Mul)] | [Probe(0), Const(g), Bin(Mul)] => {
                    return BranchLaw::Linear { g: s * g }
                }
                [Const(k), Const(b), Probe(0), Bin(Mul), Call1(FSinh), Bin(Mul)]
                | [Const(k), Probe(0), Const(b), Bin(Mul), Call1(FSinh), Bin(Mul)] => {
                    return BranchLaw::Sinh { k: s * k, beta: *b }
                }
                [Const(c1), Probe(0), Bin(Mul), Const(c3), Probe(0), Bin(Mul), Probe(0), Bin(Mul), Probe(0), Bin(Mul), Bin(Add)] => {
                    return BranchLaw::Cubic {
                        c1: s * c1,
                        c3: s * c3,
                    }
                }
                _ => {}
            }
        }
        BranchLaw::Program { prog, signs }
    }
}

/// A general B-source: its current depends on other node voltages (a
/// controlled source); the Jacobian is not symmetric.
#[derive(Clone, Debug)]
pub struct Controlled {
    pub name: String,
    pub a: NodeId,
    pub b: NodeId,
    pub prog: Program,
    /// Probe k reads V(probes[k].0) − V(probes[k].1).
    pub probes: Vec<(NodeId, NodeId)>,
}

/// Numerical options (`.options`), SPICE names. Defaults are tighter than
/// SPICE's (reltol 1e-3) because crossbar studies compare small current
/// differences; Newton's quadratic convergence makes that cheap.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Relative tolerance on node voltages and node current balance.
    pub reltol: f64,
    /// Absolute tolerance on node current balance (A).
    pub abstol: f64,
    /// Absolute tolerance on node voltages (V).
    pub vntol: f64,
    /// Smallest shunt conductance (S) of gmin stepping.
    pub gmin: f64,
    /// Newton iteration limit for one solve.
    pub itl1: usize,
    /// Linear solver: auto (CG for large symmetric systems), direct, iterative.
    pub solver: crate::solve::SolverChoice,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            reltol: 1e-6,
            abstol: 1e-12,
            vntol: 1e-9,
            gmin: 1e-12,
            itl1: 100,
            solver: Default::default(),
        }
    }
}

/// One analysis to run, in netlist order.
#[derive(Clone, Debug)]
pub enum Analysis {
    Op,
    /// Sweep an independent source (index into `vsources` or `isources`).
    Dc {
        source: SweptSource,
        start: f64,
        stop: f64,
        step: f64,
    },
    /// Vector–matrix multiply on crossbar `xbar`: `inputs` holds one vector of
    /// `rows` voltages per input, row after row.
    Vmm {
        xbar: usize,
        inputs: Vec<f64>,
        rdrive: f64,
        rsense: f64,
    },
    /// Perceptron readout through a crossbar.
    Perceptron(Box<crate::analysis::perceptron::PerceptronSpec>),
    /// Read one cell under a bias scheme.
    Read(crate::analysis::read::ReadSpec),
    /// Largest array meeting a criterion.
    Sizing(crate::analysis::sizing::SizingSpec),
    /// Tune every device to a target map with write-verify pulses.
    Program(Box<crate::analysis::program::ProgramSpec>),
    /// A sequence of individual write pulses (consecutive `.pulse` cards).
    Pulses(crate::analysis::program::PulseSeq),
    /// Switching-threshold statistics of every device (the 64×64 paper's Fig. 2).
    Thresholds(Box<crate::analysis::program::thresholds::ThresholdSpec>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SweptSource {
    V(usize),
    I(usize),
}

/// An elaborated circuit.
#[derive(Clone, Debug, Default)]
pub struct Circuit {
    pub title: String,
    pub nodes: Nodes,
    pub resistors: Vec<Resistor>,
    pub vsources: Vec<VSource>,
    pub isources: Vec<ISource>,
    pub memristors: Vec<Memristor>,
    pub models: Vec<MemristorModel>,
    pub branches: Vec<ExprBranch>,
    pub controlled: Vec<Controlled>,
    pub options: Options,
    /// Circuit temperature (°C), `.temp`.
    pub temp: f64,
    pub analyses: Vec<Analysis>,
    /// Crossbar blocks (their elements live in the arrays above).
    pub crossbars: Vec<Crossbar>,
    /// Warnings found while elaborating (cards with no effect, ...).
    pub warnings: Vec<crate::netlist::Diagnostic>,
}

impl Circuit {
    /// True when every element is linear (one solve suffices).
    pub fn is_linear(&self) -> bool {
        self.branches.is_empty()
            && self.controlled.is_empty()
            && self
                .memristors
                .iter()
                .all(|m| self.models[m.model as usize].law.is_linear())
    }
}
