//! `.perceptron XB data=file("digits.csv") …`: a single-layer perceptron
//! read out through the whole crossbar circuit (Kim et al., seed 001, Fig. 4).
//!
//! 1. Weights: trained in software on the data's training split
//!    ([`crate::nn::train`]), or read from `weights=file(...)`.
//! 2. Import: weights → target read conductances (linear into
//!    [gmin, gmax]; differential column pairs with `diff=1`) → nearest level
//!    (`levels=N quant=uniform|vaq|qc`) → import error (`import=… err=…`,
//!    seeded) → device states by inverting the model's law at `vread`
//!    ([`crate::nn::import`]). The perceptron occupies rows 0…n−1 and columns
//!    0…c−1 of XB (c = classes, or 2·classes with pairs); other devices keep
//!    their `.crossbar` states.
//!    With `import=wv` the (quantized) targets are instead tuned by the
//!    programming engine through the circuit ([`import_wv`]): the states are
//!    the ones the pulses left, stuck devices and disturbance included.
//! 3. Readout: every test image is a `.vmm` input vector (pixel 1 → `vread`
//!    on its row, 0 V otherwise, unused rows at 0 V): rows driven at their
//!    west ends through `rdrive`, columns at virtual ground at their south
//!    ends through `rsense`, the whole circuit solved with wire resistance
//!    and the device law. Scores s_j = I_j/(vread·Δg) + b_j (pairs:
//!    (I_2j − I_2j+1)/(vread·Δg) + b_j), class = argmax.
//!
//! Three accuracies on the test split: `software` (trained weights, exact
//! arithmetic), `ideal` (imported states, I_j = Σ_i I(g_ij, V_i): no wire,
//! driver or sense resistance) and `circuit` (imported states, full solve).
//! Sweeps ([`sweep`]) repeat parts of this over import error, level count,
//! wire resistance and array size, and compare uniform with variance-aware
//! levels.

pub mod card;
pub mod sweep;

use super::program::{self, ProgramResult, ProgramSpec};
use super::vmm;
use crate::circuit::crossbar::{self, CrossbarSpec, GSpec};
use crate::circuit::Circuit;
use crate::devices::memristor::IvLaw;
use crate::nn::data::Digits;
use crate::nn::import::{self, ErrorModel, Import, Mapping, Tuning};
use crate::nn::quantize::Scheme;
use crate::nn::train::{argmax, Perceptron, TrainConfig};
use crate::solve::SolveFailure;
use std::sync::Arc;
use std::time::Instant;

/// What a sweep varies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SweepKind {
    /// Accuracy vs import error (`errs=`).
    Err,
    /// Accuracy vs number of levels (`nlevels=`), uniform / VAQ / QC.
    Levels,
    /// Uniform vs variance-aware quantization error (per-state MSE, product error).
    Quant,
    /// Accuracy vs wire resistance per segment (`rwires=`).
    Rwire,
    /// Accuracy vs array size N×N (`sizes=`).
    Size,
}

impl SweepKind {
    pub fn name(self) -> &'static str {
        match self {
            SweepKind::Err => "err",
            SweepKind::Levels => "levels",
            SweepKind::Quant => "quant",
            SweepKind::Rwire => "rwire",
            SweepKind::Size => "size",
        }
    }

    pub fn parse(s: &str) -> Option<SweepKind> {
        [
            SweepKind::Err,
            SweepKind::Levels,
            SweepKind::Quant,
            SweepKind::Rwire,
            SweepKind::Size,
        ]
        .into_iter()
        .find(|k| k.name() == s)
    }
}

/// A checked `.perceptron` card.
#[derive(Clone, Debug)]
pub struct PerceptronSpec {
    pub xbar: usize,
    /// The data file as written on the card, and its contents.
    pub data_name: String,
    pub data: Arc<Digits>,
    /// Weights read from `weights=file(...)` instead of training.
    pub weights: Option<(String, Perceptron)>,
    pub train: TrainConfig,
    pub map: Mapping,
    pub import: Import,
    /// 0: continuous targets.
    pub levels: usize,
    pub quant: Scheme,
    /// Seed of the import draws (sweeps use seed, seed+1, …).
    pub seed: u64,
    pub rdrive: f64,
    pub rsense: f64,
    /// Prefix of the output files.
    pub out: String,
    pub sweeps: Vec<SweepKind>,
    /// Import draws per sweep point.
    pub seeds: usize,
    pub errs: Vec<f64>,
    pub nlevels: Vec<usize>,
    pub rwires: Vec<f64>,
    pub sizes: Vec<usize>,
    /// Wire resistances per segment of the size sweep (empty: XB's own).
    pub size_r: Vec<f64>,
}

impl PerceptronSpec {
    /// The card's error model (with `import=wv`, its uniform ±tol stand-in,
    /// which only variance-aware level placement uses).
    pub fn error_model(&self) -> &ErrorModel {
        self.import.error_model()
    }

    /// The write-verify settings, with `import=wv`.
    pub fn tuning(&self) -> Option<&Tuning> {
        match &self.import {
            Import::WriteVerify(t) => Some(t),
            Import::Model(_) => None,
        }
    }

    /// The card's level set, if quantized.
    pub fn level_set(&self) -> Option<Vec<f64>> {
        if self.levels == 0 && self.quant != Scheme::Qc {
            return None;
        }
        import::levels(self.quant, self.levels, &self.map, self.error_model()).ok()
    }
}

/// Trained (or loaded) weights and their software predictions.
pub struct Prepared {
    pub p: Perceptron,
    pub trained: bool,
    pub test: Vec<usize>,
    pub train_count: usize,
    pub software_pred: Vec<usize>,
    pub software_accuracy: f64,
    pub train_secs: f64,
}

/// Train or load the weights; classify the test split in software.
pub fn prepare(spec: &PerceptronSpec) -> Prepared {
    let t = Instant::now();
    let d = &spec.data;
    let (p, trained) = match &spec.weights {
        Some((_, p)) => (p.clone(), false),
        None => (crate::nn::train::train(d, spec.map.diff, &spec.train), true),
    };
    let train_secs = t.elapsed().as_secs_f64();
    let test = d.test_set();
    let software_pred: Vec<usize> = test.iter().map(|&k| p.predict(d.image(k))).collect();
    let software_accuracy = accuracy(d, &test, &software_pred);
    Prepared {
        p,
        trained,
        train_count: d.len() - test.len(),
        test,
        software_pred,
        software_accuracy,
        train_secs,
    }
}

/// Fraction of `pred` equal to the labels of `set`.
pub fn accuracy(d: &Digits, set: &[usize], pred: &[usize]) -> f64 {
    let ok = set
        .iter()
        .zip(pred)
        .filter(|(&k, &p)| d.labels[k] as usize == p)
        .count();
    ok as f64 / set.len().max(1) as f64
}

/// Imported block: read conductances and device states, `inputs`×`cols`.
pub struct Block {
    pub g_read: Vec<f64>,
    pub g_state: Vec<f64>,
}

/// Program the perceptron's targets with `err` on `levels`, seed `seed`.
pub fn import_block(
    spec: &PerceptronSpec,
    p: &Perceptron,
    law: IvLaw,
    err: &ErrorModel,
    levels: Option<&[f64]>,
    seed: u64,
) -> Block {
    let targets = spec.map.targets(p);
    let g_read = import::program(
        &targets,
        levels,
        &Import::Model(err.clone()),
        &spec.map,
        seed,
    );
    let g_state = g_read
        .iter()
        .map(|&g| import::state_for(law, g, spec.map.vread))
        .collect();
    Block { g_read, g_state }
}

/// What a write-verify import did.
pub struct Programming {
    /// The `.program` settings it ran with.
    pub spec: ProgramSpec,
    pub result: ProgramResult,
    /// Devices of XB outside the perceptron's block (targets: their own
    /// read conductance as declared).
    pub outside: usize,
    pub secs: f64,
}

/// `import=wv`: tune the whole of crossbar `xbar` of `c` with the
/// programming engine, every pulse and verify read a circuit solve. The
/// block's targets are the ones the statistical modes draw around (mapped,
/// snapped to `levels`); every other device of XB is aimed at its own read
/// conductance as declared, i.e. left where it is (clamped into the model's
/// window), as the statistical modes leave it. The devices start from the
/// netlist's states. Returns the block as tuned (each device's own read
/// conductance and its state) and the whole crossbar's final states.
pub fn import_wv(
    c: &Circuit,
    spec: &PerceptronSpec,
    p: &Perceptron,
    t: &Tuning,
    levels: Option<&[f64]>,
) -> Result<(Block, Vec<f64>, Programming), SolveFailure> {
    let clock = Instant::now();
    let xb = &c.crossbars[spec.xbar];
    let model = &c.models[xb.model as usize];
    let law = model.law;
    let v = spec.map.vread;
    let cols = spec.map.cols(p.classes);
    let read = |g: f64| law.current(g, v) / v;
    let (wlo, whi) = model.g_window.unwrap_or((0.0, f64::INFINITY));
    let mut target: Vec<f64> = (0..xb.rows * xb.cols)
        .map(|d| read(c.memristors[xb.first_device + d].g.clamp(wlo, whi)))
        .collect();
    let block = import::program(&spec.map.targets(p), levels, &spec.import, &spec.map, 0);
    for i in 0..p.inputs {
        target[i * xb.cols..i * xb.cols + cols].copy_from_slice(&block[i * cols..(i + 1) * cols]);
    }
    let mut ps = ProgramSpec::new(spec.xbar, target);
    ps.algorithm = t.algorithm;
    ps.scheme = t.scheme;
    ps.tol = t.tol;
    ps.cycles = t.cycles;
    ps.seed = t.seed;
    ps.vread = v;
    // The readout's periphery if it has one (the engine needs a switch).
    if spec.rdrive > 0.0 {
        ps.rdrive = spec.rdrive;
    }
    if spec.rsense > 0.0 {
        ps.rsense = spec.rsense;
    }
    let mut r = program::run(c, &ps, |_, _, _| {})?;
    if let Some(e) = r.failure.take() {
        return Err(e);
    }
    let (mut g_read, mut g_state) = (Vec::new(), Vec::new());
    for i in 0..p.inputs {
        let row = i * xb.cols..i * xb.cols + cols;
        g_read.extend_from_slice(&r.g_final[row.clone()]);
        g_state.extend_from_slice(&r.g_state_final[row]);
    }
    let states = r.g_state_final.clone();
    Ok((
        Block { g_read, g_state },
        states,
        Programming {
            spec: ps,
            result: r,
            outside: xb.rows * xb.cols - p.inputs * cols,
            secs: clock.elapsed().as_secs_f64(),
        },
    ))
}

/// Class predictions and the column currents they came from.
pub struct Readout {
    pub pred: Vec<usize>,
    pub accuracy: f64,
    /// Per test image, the perceptron's `cols` column currents (A).
    pub currents: Vec<f64>,
}

/// Classify from per-image column currents (`cols` per image).
fn classify(
    spec: &PerceptronSpec,
    p: &Perceptron,
    test: &[usize],
    cols: usize,
    currents: Vec<f64>,
) -> Readout {
    let mut s = vec![0.0; p.classes];
    let pred: Vec<usize> = currents
        .chunks(cols)
        .map(|c| {
            spec.map.scores(p, c, &mut s);
            argmax(&s)
        })
        .collect();
    Readout {
        accuracy: accuracy(&spec.data, test, &pred),
        pred,
        currents,
    }
}

/// Ideal math: I_j = Σ_i I(g_ij, x_i·vread), no wires.
pub fn ideal_readout(
    spec: &PerceptronSpec,
    p: &Perceptron,
    test: &[usize],
    law: IvLaw,
    g_state: &[f64],
) -> Readout {
    ideal_readout_dev(spec, p, test, law, g_state, &[])
}

/// [`ideal_readout`] with each device's static draw `ns` (same layout as
/// `g_state`; empty: the mean law for all).
pub fn ideal_readout_dev(
    spec: &PerceptronSpec,
    p: &Perceptron,
    test: &[usize],
    law: IvLaw,
    g_state: &[f64],
    ns: &[f64],
) -> Readout {
    let cols = spec.map.cols(p.classes);
    let on: Vec<f64> = g_state
        .iter()
        .enumerate()
        .map(|(k, &g)| law.current_dev(g, ns.get(k).copied().unwrap_or(0.0), spec.map.vread))
        .collect();
    let mut currents = vec![0.0; test.len() * cols];
    for (t, &k) in test.iter().enumerate() {
        let out = &mut currents[t * cols..(t + 1) * cols];
        for (i, &x) in spec.data.image(k).iter().enumerate() {
            if x != 0 {
                for (o, c) in out.iter_mut().zip(&on[i * cols..(i + 1) * cols]) {
                    *o += c;
                }
            }
        }
    }
    classify(spec, p, test, cols, currents)
}

/// Solver effort and agreement of one circuit readout.
#[derive(Clone, Debug, Default)]
pub struct CircuitStats {
    pub iterations: usize,
    pub factorizations: usize,
    /// Mean over images of ‖I − I_ideal‖₂/‖I_ideal‖₂ over all of XB's columns.
    pub mean_rel_error: f64,
    pub secs: f64,
}

/// The circuit `c` with the block's states written into crossbar `xbar`
/// (rows 0…inputs−1, columns 0…cols−1).
pub fn with_block(
    c: &Circuit,
    xbar: usize,
    inputs: usize,
    cols: usize,
    g_state: &[f64],
) -> Circuit {
    let mut cc = c.clone();
    let xb = &c.crossbars[xbar];
    for i in 0..inputs {
        for j in 0..cols {
            cc.memristors[xb.device(i, j)].g = g_state[i * cols + j];
        }
    }
    cc
}

/// Every test image through the circuit `c` (whose crossbar `xbar` already
/// holds the states) as a `.vmm` vector.
pub fn circuit_readout(
    c: &Circuit,
    xbar: usize,
    spec: &PerceptronSpec,
    p: &Perceptron,
    test: &[usize],
) -> Result<(Readout, CircuitStats), SolveFailure> {
    let t = Instant::now();
    let xb = &c.crossbars[xbar];
    let (rows, xcols) = (xb.rows, xb.cols);
    let cols = spec.map.cols(p.classes);
    let mut inputs = vec![0.0; test.len() * rows];
    for (t, &k) in test.iter().enumerate() {
        for (i, &x) in spec.data.image(k).iter().enumerate() {
            inputs[t * rows + i] = x as f64 * spec.map.vread;
        }
    }
    let r = vmm::run(c, xbar, &inputs, spec.rdrive, spec.rsense)?;
    if let Some((_, e)) = r.failure {
        return Err(e);
    }
    let currents: Vec<f64> = r
        .currents
        .chunks(xcols)
        .flat_map(|v| v[..cols].iter().map(|x| x.0))
        .collect();
    let stats = CircuitStats {
        iterations: r.iterations,
        factorizations: r.factorizations,
        mean_rel_error: r.rel_error.iter().sum::<f64>() / r.rel_error.len().max(1) as f64,
        secs: t.elapsed().as_secs_f64(),
    };
    Ok((classify(spec, p, test, cols, currents), stats))
}

/// A bare rows×cols crossbar with XB's model and `rline` per segment, every
/// device at `pad`, then the block written in (for the wire and size sweeps).
pub fn bare_array(
    c: &Circuit,
    xbar: usize,
    (rows, cols): (usize, usize),
    rline: (f64, f64),
    pad: f64,
    block: (usize, usize, &[f64]),
) -> Circuit {
    let x = &c.crossbars[xbar];
    let mut cc = Circuit {
        models: c.models.clone(),
        options: c.options.clone(),
        temp: c.temp,
        ..Default::default()
    };
    let sp = CrossbarSpec {
        rows,
        cols,
        model: String::new(),
        model_span: x.span,
        rrow: rline.0,
        rcol: rline.1,
        g: GSpec::Uniform(pad),
        selector_card: None,
        selector: x.selector.clone(),
    };
    let (xb, _) = crossbar::build(&mut cc, &x.name, &sp, x.model, &[pad], x.span);
    cc.crossbars.push(xb);
    with_block(&cc, 0, block.0, block.1, block.2)
}

/// Mean declared state of crossbar `xbar`'s devices (the padding of sweeps).
pub fn mean_state(c: &Circuit, xbar: usize) -> f64 {
    let x = &c.crossbars[xbar];
    let k = x.rows * x.cols;
    (0..k)
        .map(|d| c.memristors[x.first_device + d].g)
        .sum::<f64>()
        / k as f64
}

/// Everything `.perceptron` measured.
pub struct PerceptronResult {
    pub prep: Prepared,
    pub cols: usize,
    pub levels: Option<Vec<f64>>,
    pub block: Block,
    pub ideal: Readout,
    pub circuit: Readout,
    pub stats: CircuitStats,
    /// confusion[true*classes + predicted], circuit predictions.
    pub confusion: Vec<usize>,
    /// The whole crossbar's states after import (rows×cols of XB).
    pub xbar_states: Vec<f64>,
    pub import_secs: f64,
    /// `import=wv`: what the tuning did.
    pub programming: Option<Programming>,
    pub sweeps: Vec<sweep::SweepResult>,
}

/// Run the card.
pub fn run(c: &Circuit, spec: &PerceptronSpec) -> Result<PerceptronResult, SolveFailure> {
    let prep = prepare(spec);
    if !prep.p.w.iter().chain(&prep.p.b).all(|x| x.is_finite()) {
        return Err(SolveFailure::Invalid(format!(
            "training diverged: the weights are not finite numbers (lr={}); lower the learning rate",
            spec.train.lr
        )));
    }
    let xb = &c.crossbars[spec.xbar];
    let law = c.models[xb.model as usize].law;
    let p = &prep.p;
    let cols = spec.map.cols(p.classes);
    let t = Instant::now();
    let levels = spec.level_set();
    let (block, cc, programming) = match spec.tuning() {
        None => {
            let block = import_block(
                spec,
                p,
                law,
                spec.error_model(),
                levels.as_deref(),
                spec.seed,
            );
            let cc = with_block(c, spec.xbar, p.inputs, cols, &block.g_state);
            (block, cc, None)
        }
        Some(tu) => {
            let (block, states, pr) = import_wv(c, spec, p, tu, levels.as_deref())?;
            let mut cc = with_block(c, spec.xbar, xb.rows, xb.cols, &states);
            // The devices keep their static draws from the tuning (the
            // readout is the same devices).
            for (k, &ns) in pr.result.static_draws.iter().enumerate() {
                cc.memristors[xb.first_device + k].ns = ns;
            }
            (block, cc, Some(pr))
        }
    };
    let import_secs = t.elapsed().as_secs_f64();
    // The block's static draws (empty without a static spread).
    let ns_block: Vec<f64> = match &programming {
        Some(pr) if !pr.result.static_draws.is_empty() => (0..p.inputs)
            .flat_map(|i| (0..cols).map(move |j| (i, j)))
            .map(|(i, j)| pr.result.static_draws[i * xb.cols + j])
            .collect(),
        _ => Vec::new(),
    };
    let ideal = ideal_readout_dev(spec, p, &prep.test, law, &block.g_state, &ns_block);
    let (circuit, stats) = circuit_readout(&cc, spec.xbar, spec, p, &prep.test)?;
    let mut confusion = vec![0; p.classes * p.classes];
    for (&k, &pr) in prep.test.iter().zip(&circuit.pred) {
        confusion[spec.data.labels[k] as usize * p.classes + pr] += 1;
    }
    let xbar_states = (0..xb.rows * xb.cols)
        .map(|d| cc.memristors[xb.first_device + d].g)
        .collect();
    let sweeps = spec
        .sweeps
        .iter()
        .map(|&k| sweep::run(c, spec, &prep, k))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PerceptronResult {
        prep,
        cols,
        levels,
        block,
        ideal,
        circuit,
        stats,
        confusion,
        xbar_states,
        import_secs,
        programming,
        sweeps,
    })
}

super::crossbar_analysis!(
    PerceptronSpec,
    "perceptron",
    output(s, _c) {
        format!("{0} ({0}.json)", s.out)
    },
    run(s, cx) {
        Ok(super::Outcome::Perceptron(s, run(cx.c, s)?))
    }
);
