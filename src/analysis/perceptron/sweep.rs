//! Sweeps of `.perceptron … sweep=err,levels,quant,rwire,size`: each gives a
//! table (CSV) and curves (PNG).
//!
//! - `err`: accuracy vs import error e ∈ `errs` (the card's error model at
//!   each e; `seeds` draws per point, mean and standard deviation): the 64×64
//!   paper's Fig. 4d.
//! - `levels`: accuracy vs number of levels N ∈ `nlevels` for uniform,
//!   variance-aware and (where the window holds N states) QC levels, with
//!   the card's import error, `seeds` draws per point.
//! - `quant`: uniform vs variance-aware levels (N = the card's `levels`, or
//!   12 as seed 000) under the card's error model: per-state MSE, misread
//!   fraction and matrix-product error ([`crate::nn::quantize::study`]) for
//!   two data sets: seed-000 style half-normal weights (10×64) and
//!   activations (64×32), σ = 0.25 of the range; and the trained weights
//!   (normalized device targets, classes×inputs) times the binary test
//!   images.
//! - `rwire`: accuracy vs wire resistance per segment r ∈ `rwires` (rows and
//!   columns), XB's size, one import draw (seed) for every point.
//! - `size`: accuracy vs array size N×N, N ∈ `sizes`, one curve per wire
//!   resistance in `size_r` (default XB's own), the perceptron in rows 0…,
//!   columns 0… and every other device at XB's mean declared state; one
//!   import draw for every point.
//!
//! `rwire` and `size` arrays are rebuilt from XB's model alone, like
//! `.sizing`: other elements of the netlist are not attached. Points run in
//! parallel; each is deterministic in its seed.

use super::{
    bare_array, circuit_readout, ideal_readout, import_block, mean_state, with_block,
    PerceptronSpec, Prepared, SweepKind,
};
use crate::circuit::Circuit;
use crate::nn::import::{self, ErrorModel};
use crate::nn::quantize::{self, Scheme};
use crate::solve::{interrupt, SolveFailure};
use rayon::prelude::*;

/// One curve of a sweep's picture.
pub struct Curve {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// A sweep's tables and picture.
pub struct SweepResult {
    pub kind: SweepKind,
    /// (file suffix, header, rows): `<out>_sweep_<kind><suffix>.csv`.
    pub tables: Vec<(String, Vec<String>, Vec<Vec<String>>)>,
    pub title: String,
    pub x_desc: String,
    pub y_desc: String,
    pub curves: Vec<Curve>,
    /// One line for the console.
    pub summary: String,
    /// For perceptron.json.
    pub json: serde_json::Value,
}

/// A sweep table's header: its point columns, then the accuracy columns
/// every sweep writes.
fn header(point: &[&str]) -> Vec<String> {
    point
        .iter()
        .chain(&[
            "software_accuracy",
            "ideal_accuracy_mean",
            "ideal_accuracy_std",
            "circuit_accuracy_mean",
            "circuit_accuracy_std",
        ])
        .map(|x| x.to_string())
        .collect()
}

/// Mean and (sample) standard deviation.
fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n.max(1.0);
    let var = if v.len() > 1 {
        v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (m, var.sqrt())
}

fn f(x: f64) -> String {
    format!("{x}")
}

/// Ideal and circuit accuracy of one import draw on the card's circuit.
fn draw(
    c: &Circuit,
    spec: &PerceptronSpec,
    prep: &Prepared,
    err: &ErrorModel,
    levels: Option<&[f64]>,
    seed: u64,
) -> Result<(f64, f64), SolveFailure> {
    let xb = &c.crossbars[spec.xbar];
    let law = c.models[xb.model as usize].law;
    let p = &prep.p;
    let b = import_block(spec, p, law, err, levels, seed);
    let ideal = ideal_readout(spec, p, &prep.test, law, &b.g_state);
    let cc = with_block(c, spec.xbar, p.inputs, spec.map.cols(p.classes), &b.g_state);
    let (circ, _) = circuit_readout(&cc, spec.xbar, spec, p, &prep.test)?;
    Ok((ideal.accuracy, circ.accuracy))
}

/// Accuracy statistics of `seeds` draws at each point.
fn draws(
    c: &Circuit,
    spec: &PerceptronSpec,
    prep: &Prepared,
    points: &[(ErrorModel, Option<Vec<f64>>)],
) -> Result<Vec<[(f64, f64); 2]>, SolveFailure> {
    let jobs: Vec<(usize, u64)> = (0..points.len())
        .flat_map(|k| (0..spec.seeds as u64).map(move |s| (k, s)))
        .collect();
    let flag = interrupt::current();
    let acc: Vec<(f64, f64)> = jobs
        .par_iter()
        .map(|&(k, s)| {
            let (err, lv) = &points[k];
            interrupt::under(&flag, || {
                draw(c, spec, prep, err, lv.as_deref(), spec.seed + s)
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(acc
        .chunks(spec.seeds)
        .map(|ch| {
            let i: Vec<f64> = ch.iter().map(|a| a.0).collect();
            let c: Vec<f64> = ch.iter().map(|a| a.1).collect();
            [mean_std(&i), mean_std(&c)]
        })
        .collect())
}

pub fn run(
    c: &Circuit,
    spec: &PerceptronSpec,
    prep: &Prepared,
    kind: SweepKind,
) -> Result<SweepResult, SolveFailure> {
    match kind {
        SweepKind::Err => err_sweep(c, spec, prep),
        SweepKind::Levels => levels_sweep(c, spec, prep),
        SweepKind::Quant => Ok(quant_sweep(spec, prep)),
        SweepKind::Rwire | SweepKind::Size => wire_sweep(c, spec, prep, kind),
    }
}

fn pct(x: f64) -> f64 {
    100.0 * x
}

fn err_sweep(
    c: &Circuit,
    spec: &PerceptronSpec,
    prep: &Prepared,
) -> Result<SweepResult, SolveFailure> {
    let model = spec.error_model();
    let levels = spec.level_set();
    let points: Vec<_> = spec
        .errs
        .iter()
        .map(|&e| (model.with_err(e), levels.clone()))
        .collect();
    let st = draws(c, spec, prep, &points)?;
    let sw = prep.software_accuracy;
    let rows: Vec<Vec<String>> = spec
        .errs
        .iter()
        .zip(&st)
        .map(|(&e, s)| vec![f(e), f(sw), f(s[0].0), f(s[0].1), f(s[1].0), f(s[1].1)])
        .collect();
    let curve = |name: &str, k: usize| Curve {
        name: name.into(),
        points: spec
            .errs
            .iter()
            .zip(&st)
            .map(|(&e, s)| (pct(e), pct(s[k].0)))
            .collect(),
    };
    let software = Curve {
        name: "software".into(),
        points: spec.errs.iter().map(|&e| (pct(e), pct(sw))).collect(),
    };
    let first = st.first().map(|s| s[1].0).unwrap_or(f64::NAN);
    Ok(SweepResult {
        kind: SweepKind::Err,
        tables: vec![(String::new(), header(&["err"]), rows)],
        title: format!(
            "accuracy vs import error ({}, {} draws per point)",
            model.name(),
            spec.seeds
        ),
        x_desc: "import error e (%)".into(),
        y_desc: "test accuracy (%)".into(),
        curves: vec![
            software,
            curve("imported, ideal math", 0),
            curve("imported, circuit", 1),
        ],
        summary: format!(
            "software {:.2} %; circuit {:.2} % at {} % import error, {:.2} % at {} %",
            pct(sw),
            pct(first),
            pct(spec.errs.first().copied().unwrap_or(f64::NAN)),
            pct(st.last().map(|s| s[1].0).unwrap_or(f64::NAN)),
            pct(spec.errs.last().copied().unwrap_or(f64::NAN))
        ),
        json: serde_json::json!({
            "model": model.name(),
            "seeds": spec.seeds,
            "err": spec.errs,
            "ideal_accuracy_mean": st.iter().map(|s| s[0].0).collect::<Vec<_>>(),
            "circuit_accuracy_mean": st.iter().map(|s| s[1].0).collect::<Vec<_>>(),
        }),
    })
}

fn levels_sweep(
    c: &Circuit,
    spec: &PerceptronSpec,
    prep: &Prepared,
) -> Result<SweepResult, SolveFailure> {
    let model = spec.error_model();
    let mut keys = Vec::new();
    let mut points = Vec::new();
    for scheme in [Scheme::Uniform, Scheme::Vaq, Scheme::Qc] {
        for &n in &spec.nlevels {
            if let Ok(lv) = import::levels(scheme, n, &spec.map, model) {
                keys.push((scheme, n));
                points.push((model.clone(), Some(lv)));
            }
        }
    }
    let st = draws(c, spec, prep, &points)?;
    let sw = prep.software_accuracy;
    let rows = keys
        .iter()
        .zip(&st)
        .map(|(&(sc, n), s)| {
            vec![
                sc.name().to_string(),
                n.to_string(),
                f(sw),
                f(s[0].0),
                f(s[0].1),
                f(s[1].0),
                f(s[1].1),
            ]
        })
        .collect();
    let mut curves = vec![Curve {
        name: "software (float weights)".into(),
        points: spec
            .nlevels
            .iter()
            .map(|&n| ((n as f64).log2(), pct(sw)))
            .collect(),
    }];
    let mut summary = Vec::new();
    for scheme in [Scheme::Uniform, Scheme::Vaq, Scheme::Qc] {
        for (k, what) in [(0, "ideal"), (1, "circuit")] {
            if scheme == Scheme::Qc && k == 0 {
                continue;
            }
            let pts: Vec<(f64, f64)> = keys
                .iter()
                .zip(&st)
                .filter(|(key, _)| key.0 == scheme)
                .map(|(key, s)| ((key.1 as f64).log2(), pct(s[k].0)))
                .collect();
            if !pts.is_empty() {
                curves.push(Curve {
                    name: format!("{}, {what}", scheme.name()),
                    points: pts,
                });
            }
        }
        let circ: Vec<String> = keys
            .iter()
            .zip(&st)
            .filter(|(key, _)| key.0 == scheme)
            .map(|(key, s)| format!("{}: {:.1}", key.1, pct(s[1].0)))
            .collect();
        if !circ.is_empty() {
            summary.push(format!("{} {}", scheme.name(), circ.join(", ")));
        }
    }
    Ok(SweepResult {
        kind: SweepKind::Levels,
        tables: vec![(String::new(), header(&["quant", "levels"]), rows)],
        title: format!(
            "accuracy vs number of levels ({} import error {} %)",
            model.name(),
            pct(import_err(model))
        ),
        x_desc: "log2(number of levels)".into(),
        y_desc: "test accuracy (%)".into(),
        curves,
        summary: format!("circuit accuracy (%) by levels: {}", summary.join("; ")),
        json: serde_json::json!({
            "levels": keys.iter().map(|k| k.1).collect::<Vec<_>>(),
            "quant": keys.iter().map(|k| k.0.name()).collect::<Vec<_>>(),
            "ideal_accuracy_mean": st.iter().map(|s| s[0].0).collect::<Vec<_>>(),
            "circuit_accuracy_mean": st.iter().map(|s| s[1].0).collect::<Vec<_>>(),
        }),
    })
}

/// The error level of a model (largest scale for Student's t).
fn import_err(m: &ErrorModel) -> f64 {
    match m {
        ErrorModel::Uniform { e } | ErrorModel::Gauss { e } => *e,
        ErrorModel::StudentT { table } => table.iter().map(|t| t.scale).fold(0.0, f64::max),
    }
}

/// Levels the quant sweep compares: the card's count, else seed 000's 12.
pub fn quant_levels(spec: &PerceptronSpec) -> usize {
    if spec.levels >= 2 {
        spec.levels
    } else {
        12
    }
}

/// The two data sets of the quant sweep: (name, W, X, (m, k, n)).
#[allow(clippy::type_complexity)]
pub fn quant_data(
    spec: &PerceptronSpec,
    prep: &Prepared,
) -> Vec<(&'static str, Vec<f64>, Vec<f64>, (usize, usize, usize))> {
    let hn_w = quantize::half_normal(10 * 64, 0.25, spec.seed.wrapping_mul(1000) + 1);
    let hn_x = quantize::half_normal(64 * 32, 0.25, spec.seed.wrapping_mul(1000) + 2);
    // Trained weights as normalized device targets, classes(×2)×inputs.
    let p = &prep.p;
    let cols = spec.map.cols(p.classes);
    let t = spec.map.targets(p);
    let dg = spec.map.g_hi - spec.map.g_lo;
    let mut w = vec![0.0; cols * p.inputs];
    for i in 0..p.inputs {
        for j in 0..cols {
            w[j * p.inputs + i] = ((t[i * cols + j] - spec.map.g_lo) / dg).clamp(0.0, 1.0);
        }
    }
    let nt = prep.test.len();
    let mut x = vec![0.0; p.inputs * nt];
    for (b, &k) in prep.test.iter().enumerate() {
        for (i, &px) in spec.data.image(k).iter().enumerate() {
            x[i * nt + b] = px as f64;
        }
    }
    vec![
        ("halfnormal", hn_w, hn_x, (10, 64, 32)),
        ("perceptron", w, x, (cols, p.inputs, nt)),
    ]
}

fn quant_sweep(spec: &PerceptronSpec, prep: &Prepared) -> SweepResult {
    let model = spec.error_model();
    let n = quant_levels(spec);
    let m = &spec.map;
    let lu = quantize::uniform(n, m.g_lo, m.g_hi);
    let lv = quantize::vaq(n, m.g_lo, m.g_hi, |g| model.sigma(g, m));
    let mut per_state = Vec::new();
    let mut summary_rows = Vec::new();
    let mut curves = Vec::new();
    let mut summary = Vec::new();
    let mut json = Vec::new();
    for (dist, w, x, dims) in quant_data(spec, prep) {
        let mut res = Vec::new();
        for (scheme, levels) in [(Scheme::Uniform, &lu), (Scheme::Vaq, &lv)] {
            let r = quantize::study(
                levels,
                m.g_lo,
                m.g_hi,
                &w,
                &x,
                dims,
                |g, rng| model.sample(g, m, rng),
                spec.seed,
            );
            for k in 0..n {
                per_state.push(vec![
                    dist.to_string(),
                    scheme.name().to_string(),
                    k.to_string(),
                    f(r.levels[k]),
                    r.count[k].to_string(),
                    // A state no value was stored at has no error: empty.
                    if r.count[k] == 0 {
                        String::new()
                    } else {
                        f(r.mse[k])
                    },
                ]);
            }
            summary_rows.push(vec![
                dist.to_string(),
                scheme.name().to_string(),
                n.to_string(),
                f(r.mse_all),
                f(r.misread),
                f(r.product_error),
            ]);
            curves.push(Curve {
                name: format!("{dist}, {}", scheme.name()),
                points: (0..n)
                    .filter(|&k| r.mse[k].is_finite())
                    .map(|k| (k as f64, r.mse[k]))
                    .collect(),
            });
            res.push(r);
        }
        summary.push(format!(
            "{dist}: MSE {:.3e} -> {:.3e} ({:+.1} %), product error {:.2} % -> {:.2} %",
            res[0].mse_all,
            res[1].mse_all,
            100.0 * (res[1].mse_all / res[0].mse_all - 1.0),
            pct(res[0].product_error),
            pct(res[1].product_error)
        ));
        json.push(serde_json::json!({
            "data": dist,
            "uniform": {"mse": res[0].mse_all, "misread": res[0].misread, "product_error": res[0].product_error},
            "vaq": {"mse": res[1].mse_all, "misread": res[1].misread, "product_error": res[1].product_error},
        }));
    }
    SweepResult {
        kind: SweepKind::Quant,
        tables: vec![
            (
                String::new(),
                ["data", "quant", "state", "level_S", "count", "mse"]
                    .map(String::from)
                    .to_vec(),
                per_state,
            ),
            (
                "_summary".into(),
                [
                    "data",
                    "quant",
                    "levels",
                    "mse",
                    "misread",
                    "product_rel_error",
                ]
                .map(String::from)
                .to_vec(),
                summary_rows,
            ),
        ],
        title: format!(
            "per-state MSE, {n} levels, {} error {} %: uniform vs variance-aware",
            model.name(),
            pct(import_err(model))
        ),
        x_desc: "state (0 = lowest conductance)".into(),
        y_desc: "MSE of read-back value (window = 1)".into(),
        curves,
        summary: summary.join("; "),
        json: serde_json::json!({"levels": n, "model": model.name(), "err": import_err(model), "data": json}),
    }
}

fn wire_sweep(
    c: &Circuit,
    spec: &PerceptronSpec,
    prep: &Prepared,
    kind: SweepKind,
) -> Result<SweepResult, SolveFailure> {
    let xb = &c.crossbars[spec.xbar];
    let law = c.models[xb.model as usize].law;
    let p = &prep.p;
    let cols = spec.map.cols(p.classes);
    let levels = spec.level_set();
    let b = import_block(
        spec,
        p,
        law,
        spec.error_model(),
        levels.as_deref(),
        spec.seed,
    );
    let ideal = ideal_readout(spec, p, &prep.test, law, &b.g_state);
    let pad = mean_state(c, spec.xbar);
    // Jobs (x, wire resistance per segment): rwire varies r at XB's size;
    // size varies N at each of size_r (default XB's own rrow/rcol).
    let jobs: Vec<(f64, (f64, f64))> = match kind {
        SweepKind::Size => {
            let rs: Vec<(f64, f64)> = if spec.size_r.is_empty() {
                vec![(xb.rrow, xb.rcol)]
            } else {
                spec.size_r.iter().map(|&r| (r, r)).collect()
            };
            rs.iter()
                .flat_map(|&r| spec.sizes.iter().map(move |&n| (n as f64, r)))
                .collect()
        }
        _ => spec.rwires.iter().map(|&r| (r, (r, r))).collect(),
    };
    let flag = interrupt::current();
    let out: Vec<(f64, f64, f64)> = jobs
        .par_iter()
        .map(|&(x, r)| {
            interrupt::under(&flag, || {
                let dims = match kind {
                    SweepKind::Size => (x as usize, x as usize),
                    _ => (xb.rows, xb.cols),
                };
                let cc = bare_array(c, spec.xbar, dims, r, pad, (p.inputs, cols, &b.g_state));
                let (res, st) = circuit_readout(&cc, 0, spec, p, &prep.test)?;
                Ok((res.accuracy, st.mean_rel_error, st.secs))
            })
        })
        .collect::<Result<_, SolveFailure>>()?;
    let sw = prep.software_accuracy;
    let rname = |r: (f64, f64)| {
        if r.0 == r.1 {
            format!("{}", r.0)
        } else {
            format!("{}/{}", r.0, r.1)
        }
    };
    let (xname, xdesc, title) = match kind {
        SweepKind::Size => (
            "size",
            "array size N (N x N)".to_string(),
            "accuracy vs size of the array holding the perceptron".to_string(),
        ),
        _ => (
            "r_segment_ohm",
            "wire resistance per segment (ohm)".to_string(),
            format!(
                "accuracy vs wire resistance ({}x{} array)",
                xb.rows, xb.cols
            ),
        ),
    };
    let rows = jobs
        .iter()
        .zip(&out)
        .map(|(&(x, r), o)| {
            vec![
                f(x),
                rname(r),
                f(sw),
                f(ideal.accuracy),
                f(o.0),
                f(o.1),
                f(o.2),
            ]
        })
        .collect();
    let xs: Vec<f64> = {
        let mut v: Vec<f64> = jobs.iter().map(|j| j.0).collect();
        v.dedup();
        v
    };
    let line = |v: f64| xs.iter().map(|&x| (x, pct(v))).collect::<Vec<_>>();
    let mut curves = vec![
        Curve {
            name: "software".into(),
            points: line(sw),
        },
        Curve {
            name: "imported, ideal math".into(),
            points: line(ideal.accuracy),
        },
    ];
    // One circuit curve per wire resistance of the size sweep; one in all
    // for the wire sweep.
    let group = |j: &(f64, (f64, f64))| match kind {
        SweepKind::Size => j.1,
        _ => (f64::NAN, f64::NAN),
    };
    let mut groups: Vec<(f64, f64)> = jobs.iter().map(group).collect();
    groups.dedup_by(|a, b| a.0.total_cmp(&b.0).is_eq() && a.1.total_cmp(&b.1).is_eq());
    let mut summary = Vec::new();
    for g in &groups {
        let pts: Vec<(f64, f64)> = jobs
            .iter()
            .zip(&out)
            .filter(|(j, _)| {
                let k = group(j);
                k.0.total_cmp(&g.0).is_eq() && k.1.total_cmp(&g.1).is_eq()
            })
            .map(|(j, o)| (j.0, o.0))
            .collect();
        curves.push(Curve {
            name: match kind {
                SweepKind::Size => format!("imported, circuit, {} ohm/segment", rname(*g)),
                _ => "imported, circuit".into(),
            },
            points: pts.iter().map(|&(x, a)| (x, pct(a))).collect(),
        });
        // The first point whose circuit accuracy is 1 point (or more) below ideal.
        let costly = pts
            .iter()
            .find(|(_, a)| *a < ideal.accuracy - 0.01)
            .map(|(x, a)| format!("first >= 1 point below ideal at {x} ({:.2} %)", pct(*a)))
            .unwrap_or_else(|| "never 1 point below ideal".into());
        summary.push(match kind {
            SweepKind::Size => format!("{} ohm/segment: {costly}", rname(*g)),
            _ => costly,
        });
    }
    Ok(SweepResult {
        kind,
        tables: vec![(
            String::new(),
            vec![
                xname.to_string(),
                "r_wire_ohm".into(),
                "software_accuracy".into(),
                "ideal_accuracy".into(),
                "circuit_accuracy".into(),
                "mean_rel_current_error".into(),
                "seconds".into(),
            ],
            rows,
        )],
        title,
        x_desc: xdesc,
        y_desc: "test accuracy (%)".into(),
        curves,
        summary: format!(
            "circuit accuracy {} (ideal {:.2} %)",
            summary.join("; "),
            pct(ideal.accuracy)
        ),
        json: serde_json::json!({
            "x": jobs.iter().map(|j| j.0).collect::<Vec<_>>(),
            "r_wire_ohm": jobs.iter().map(|j| rname(j.1)).collect::<Vec<_>>(),
            "ideal_accuracy": ideal.accuracy,
            "circuit_accuracy": out.iter().map(|o| o.0).collect::<Vec<_>>(),
            "mean_rel_current_error": out.iter().map(|o| o.1).collect::<Vec<_>>(),
        }),
    })
}
