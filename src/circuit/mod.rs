//! The elaborated circuit: nodes interned, parameters evaluated, models
//! resolved, elements in one `Vec` per kind, and the whole validated (no voltage-source loops, every node with a DC path to ground).

pub mod args;
pub mod bias;
pub mod budget;
pub mod crossbar;
pub mod elaborate;
pub mod library;
pub mod nodes;
pub mod options;
pub mod outputs;
pub mod params;
pub mod spice;
pub mod validate;

use crate::devices::bsource::Program;
use crate::devices::memristor::MemristorModel;
use crate::netlist::Span;
pub use crossbar::Crossbar;
pub use elaborate::{elaborate, elaborate_with, Elaborated};
pub use nodes::{NodeId, Nodes};
pub use options::{Options, SolverChoice};

#[derive(Clone, Debug)]
pub struct Resistor {
    pub name: Box<str>,
    pub a: NodeId,
    pub b: NodeId,
    /// Conductance (S).
    pub g: f64,
}

/// Independent voltage source: V(p) − V(n) = volts in DC analyses.
#[derive(Clone, Debug)]
pub struct VSource {
    pub name: String,
    pub p: NodeId,
    pub n: NodeId,
    pub volts: f64,
    pub span: Span,
    /// Its AC and time-domain specification, if the card gave one.
    pub wave: Option<Box<SourceWave>>,
}

/// Independent current source: `amps` flows from p through the source to n
/// in DC analyses.
#[derive(Clone, Debug)]
pub struct ISource {
    pub name: String,
    pub p: NodeId,
    pub n: NodeId,
    pub amps: f64,
    pub span: Span,
    pub wave: Option<Box<SourceWave>>,
}

/// A capacitor or an inductor: open (C) or short (L) in DC. An inductor's
/// short is the 0 V voltage source `vsources[short]` of the same name, so
/// its current is `i(lname)` as ngspice writes it. A capacitor with `IC=`
/// whose node has no other DC path is held at its IC by the source
/// `vsources[short]` of its name.
#[derive(Clone, Debug)]
pub struct Reactive {
    pub name: String,
    pub a: NodeId,
    pub b: NodeId,
    /// Farads or henries.
    pub value: f64,
    pub short: Option<usize>,
}

/// What a source's card says beyond its DC value, evaluated: kept for the
/// analyses to come (AC, transient) and written back by `xbarsim export`.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceWave {
    /// `AC mag phase` (phase in degrees).
    pub ac: Option<(f64, f64)>,
    /// The time-domain function and its arguments.
    pub wave: Option<(crate::netlist::WaveKind, Vec<f64>)>,
}

/// A memristor at state `g`; current flows from `a` (+) through the device to `b`.
#[derive(Clone, Debug)]
pub struct Memristor {
    pub name: String,
    pub a: NodeId,
    pub b: NodeId,
    pub model: u32,
    pub g: f64,
    /// The device's static draw n_s (N(0,1)) for a law with a
    /// device-to-device spread ([`crate::devices::memristor::iv::CubicSpread`]);
    /// 0 (the mean law) unless a pulse analysis drew its population.
    pub ns: f64,
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
    /// A junction diode (SPICE level 1); its model card is kept for
    /// `xbarsim export`.
    Diode {
        law: crate::devices::diode::DiodeLaw,
        model: Box<crate::devices::diode::DiodeModel>,
    },
}

impl BranchLaw {
    /// The current moves with the branch voltage (not a constant source):
    /// the branch is a DC path between its nodes.
    pub fn conducts(&self) -> bool {
        match self {
            BranchLaw::Linear { g } => *g != 0.0,
            BranchLaw::Program { signs, .. } => !signs.is_empty(),
            _ => true,
        }
    }

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

/// A branch current an expression reads, `I(name)`: SPICE's sign, into
/// the element's + terminal and through it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CurrentOf {
    /// An independent voltage source (or an inductor's short), by index in
    /// `vsources`: it gets a branch-current unknown.
    VSource(usize),
    /// A voltage-defined branch (E, H, B `V=`), by index in `vbranches`.
    VBranch(usize),
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
    /// Probe `probes.len() + j` reads the current `currents[j]`.
    pub currents: Vec<CurrentOf>,
}

/// A voltage-defined element other than an independent source: an `E`
/// (voltage-controlled voltage source) or a B-source with `V=`:
/// V(p) − V(n) = prog(probes). Its current is an unknown of the nodal
/// system (a modified-nodal branch), positive from p through it to n,
/// which is SPICE's sign for `i(name)` (into the + terminal).
#[derive(Clone, Debug)]
pub struct VBranch {
    pub name: String,
    pub p: NodeId,
    pub n: NodeId,
    pub prog: Program,
    /// Probe k reads V(probes[k].0) − V(probes[k].1).
    pub probes: Vec<(NodeId, NodeId)>,
    /// Probe `probes.len() + j` reads the current `currents[j]` (its own
    /// included).
    pub currents: Vec<CurrentOf>,
    pub span: Span,
    /// An `H` source: the index of the controlling voltage source and the
    /// transresistance; V(p) − V(n) = prog + gain·I(vsource).
    pub ccvs: Option<(usize, f64)>,
}

/// A current-controlled current source `F`: gain·I(vsources[ctrl]) from
/// p through the source to n.
#[derive(Clone, Debug)]
pub struct Cccs {
    pub name: String,
    pub p: NodeId,
    pub n: NodeId,
    pub ctrl: usize,
    pub gain: f64,
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
    /// E sources and B-sources with `V=` (branch-current unknowns).
    pub vbranches: Vec<VBranch>,
    /// F sources.
    pub cccs: Vec<Cccs>,
    /// Capacitors and inductors (open and short in DC).
    pub reactives: Vec<Reactive>,
    /// What `.print`/`.save`/`.probe` select for the DC analyses to write
    /// (None: every node voltage and source current).
    pub outputs: Option<Vec<outputs::Probe>>,
    pub options: Options,
    /// Circuit temperature (°C), `.temp`.
    pub temp: f64,
    /// Crossbar blocks (their elements live in the arrays above).
    pub crossbars: Vec<Crossbar>,
    /// Warnings found while elaborating (cards with no effect, ...).
    pub warnings: Vec<crate::netlist::Diagnostic>,
}

impl Circuit {
    /// Per voltage source: true when an F or H source, or an expression's
    /// `I(...)`, reads its current (it then gets a branch-current unknown
    /// instead of being eliminated).
    pub fn branch_vsources(&self) -> Vec<bool> {
        let mut b = vec![false; self.vsources.len()];
        let read = self
            .controlled
            .iter()
            .flat_map(|x| &x.currents)
            .chain(self.vbranches.iter().flat_map(|x| &x.currents))
            .filter_map(|c| match *c {
                CurrentOf::VSource(k) => Some(k),
                CurrentOf::VBranch(_) => None,
            });
        for k in self
            .cccs
            .iter()
            .map(|f| f.ctrl)
            .chain(self.vbranches.iter().filter_map(|h| h.ccvs.map(|x| x.0)))
            .chain(read)
        {
            if let Some(x) = b.get_mut(k) {
                *x = true;
            }
        }
        b
    }

    /// True when every element is linear (one solve suffices).
    pub fn is_linear(&self) -> bool {
        self.branches.is_empty()
            && self.controlled.is_empty()
            && self.vbranches.iter().all(|b| b.prog.is_linear())
            && self
                .memristors
                .iter()
                .all(|m| self.models[m.model as usize].law.is_linear())
    }
}
