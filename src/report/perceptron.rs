//! Output of `.perceptron` (every file written atomically; `<out>` is the
//! card's `out=` prefix, default `perceptron`):
//! - `<out>.json`: settings, `n_train`, `n_test`, `software_accuracy`,
//!   `ideal_accuracy`, `circuit_accuracy`, the confusion matrix, solver
//!   effort, timings and a summary of each sweep; with `import=wv`, the
//!   tuning's statistics under `programming`;
//! - `<out>_confusion.csv`: true class (rows) × circuit prediction (columns);
//! - `<out>_currents.csv`: per test image its label, the three predictions,
//!   the circuit's and the ideal column currents;
//! - `<out>_weights.csv`: the weights and biases used (reload with
//!   `weights=file(...)`);
//! - `<out>_g.csv` / `.png`: XB's device states after the import;
//! - per sweep, `<out>_sweep_<kind>.csv` (and `_summary.csv` for `quant`)
//!   and `<out>_sweep_<kind>.png`.

use super::WriteError;
use crate::analysis::perceptron::{self, PerceptronResult, PerceptronSpec};
use crate::circuit::Circuit;
use crate::report;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Write the card's files into `out`.
pub fn write(
    out: &Path,
    c: &Circuit,
    spec: &PerceptronSpec,
    r: &PerceptronResult,
    secs: f64,
) -> Result<Vec<PathBuf>, WriteError> {
    let xname = &c.crossbars[spec.xbar].name;
    let io = |e: std::io::Error, f: &str| WriteError::new(f, e);
    let name = |suffix: &str| format!("{}{suffix}", spec.out);
    let f = name("_weights.csv");
    let comment = match &spec.weights {
        Some((w, _)) => format!("read from {w}"),
        None => format!(
            "trained on the train split of {} ({} images): {} epochs, lr {}, batch {}, gain {}, seed {}",
            spec.data_name,
            r.prep.train_count,
            spec.train.epochs,
            spec.train.lr,
            spec.train.batch,
            spec.train.gain,
            spec.train.seed
        ),
    };
    report::write_atomic(&out.join(&f), |w| r.prep.p.write(w, &comment)).map_err(|e| io(e, &f))?;
    let f = name("_confusion.csv");
    report::write_atomic(&out.join(&f), |w| write_confusion(w, r)).map_err(|e| io(e, &f))?;
    let f = name("_currents.csv");
    report::write_atomic(&out.join(&f), |w| write_currents(w, spec, r)).map_err(|e| io(e, &f))?;
    let xb = &c.crossbars[spec.xbar];
    let f = name("_g.csv");
    report::write_matrix_csv(&out.join(&f), xb.cols, &r.xbar_states).map_err(|e| io(e, &f))?;
    let f = name("_g.png");
    let us: Vec<f64> = r.xbar_states.iter().map(|g| g * 1e6).collect();
    report::plot::heatmap(
        &out.join(&f),
        &format!("{xname}: device states after weight import (model state g)"),
        "uS",
        xb.rows,
        xb.cols,
        &us,
    )
    .map_err(|e| io(e, &f))?;
    for s in &r.sweeps {
        let base = format!("{}_sweep_{}", spec.out, s.kind.name());
        for (suffix, header, rows) in &s.tables {
            let f = format!("{base}{suffix}.csv");
            report::write_atomic(&out.join(&f), |w| {
                writeln!(w, "{}", header.join(","))?;
                for row in rows {
                    writeln!(w, "{}", row.join(","))?;
                }
                Ok(())
            })
            .map_err(|e| io(e, &f))?;
        }
        let f = format!("{base}.png");
        let series: Vec<report::plot::Series> = s
            .curves
            .iter()
            .map(|cv| report::plot::Series {
                name: &cv.name,
                points: cv.points.clone(),
            })
            .collect();
        report::plot::curves(&out.join(&f), &s.title, &s.x_desc, &s.y_desc, &series, None)
            .map_err(|e| io(e, &f))?;
    }
    let f = name(".json");
    let json = to_json(c, spec, r, secs);
    report::write_json(&out.join(&f), &json).map_err(|e| io(e, &f))?;
    Ok(vec![out.join(&f)])
}

fn import_err_text(spec: &PerceptronSpec) -> String {
    use crate::nn::import::ErrorModel;
    if let Some(t) = spec.tuning() {
        return format!("tol {} %, {} cycle(s)", 100.0 * t.tol, t.cycles);
    }
    match spec.error_model() {
        ErrorModel::Uniform { e } | ErrorModel::Gauss { e } => format!("{} %", 100.0 * e),
        ErrorModel::StudentT { table } if table.len() == 1 => {
            format!("scale {}, nu {}", table[0].scale, table[0].nu)
        }
        ErrorModel::StudentT { table } => format!("table of {} levels", table.len()),
    }
}

fn write_confusion(w: &mut dyn Write, r: &PerceptronResult) -> std::io::Result<()> {
    let m = r.prep.p.classes;
    let head: Vec<String> = (0..m).map(|j| format!("pred_{j}")).collect();
    writeln!(w, "true,{}", head.join(","))?;
    for i in 0..m {
        let row: Vec<String> = r.confusion[i * m..(i + 1) * m]
            .iter()
            .map(|n| n.to_string())
            .collect();
        writeln!(w, "{i},{}", row.join(","))?;
    }
    Ok(())
}

fn write_currents(
    w: &mut dyn Write,
    spec: &PerceptronSpec,
    r: &PerceptronResult,
) -> std::io::Result<()> {
    let cols = r.cols;
    let mut head = vec![
        "image".to_string(),
        "index".into(),
        "label".into(),
        "software".into(),
        "ideal".into(),
        "circuit".into(),
    ];
    head.extend((0..cols).map(|j| format!("i_col{j}")));
    head.extend((0..cols).map(|j| format!("ideal_col{j}")));
    writeln!(w, "{}", head.join(","))?;
    let mut buf = super::ryu_like::Buf::default();
    for (t, &k) in r.prep.test.iter().enumerate() {
        write!(
            w,
            "{t},{},{},{},{},{}",
            spec.data.index[k],
            spec.data.labels[k],
            r.prep.software_pred[t],
            r.ideal.pred[t],
            r.circuit.pred[t]
        )?;
        for v in r.circuit.currents[t * cols..(t + 1) * cols]
            .iter()
            .chain(&r.ideal.currents[t * cols..(t + 1) * cols])
        {
            w.write_all(b",")?;
            w.write_all(buf.fmt(*v))?;
        }
        writeln!(w)?;
    }
    Ok(())
}

fn to_json(
    c: &Circuit,
    spec: &PerceptronSpec,
    r: &PerceptronResult,
    secs: f64,
) -> serde_json::Value {
    use crate::nn::import::{ErrorModel, Import};
    let xb = &c.crossbars[spec.xbar];
    let m = r.prep.p.classes;
    let agree = r
        .prep
        .software_pred
        .iter()
        .zip(&r.circuit.pred)
        .filter(|(a, b)| a == b)
        .count() as f64
        / r.prep.test.len().max(1) as f64;
    let import = match &spec.import {
        Import::WriteVerify(t) => serde_json::json!({
            "model": "wv",
            "algorithm": t.algorithm.name(),
            "scheme": t.scheme.name(),
            "tol": t.tol,
            "cycles": t.cycles,
            "pseed": t.seed,
        }),
        Import::Model(ErrorModel::Uniform { e }) => {
            serde_json::json!({"model": "uniform", "err": e})
        }
        Import::Model(ErrorModel::Gauss { e }) => serde_json::json!({"model": "gauss", "err": e}),
        Import::Model(ErrorModel::StudentT { table }) => serde_json::json!({
            "model": "studentt",
            "levels": table.iter().map(|t| serde_json::json!({"y": t.y, "loc": t.loc, "scale": t.scale, "nu": t.nu})).collect::<Vec<_>>(),
        }),
    };
    serde_json::json!({
        "crossbar": xb.name,
        "array": [xb.rows, xb.cols],
        "rrow_ohm": xb.rrow,
        "rcol_ohm": xb.rcol,
        "model": c.models[xb.model as usize].name,
        "device_law": format!("{:?}", c.models[xb.model as usize].law),
        "data": spec.data_name,
        "inputs": r.prep.p.inputs,
        "classes": m,
        "columns_used": r.cols,
        "diff": spec.map.diff,
        "vread": spec.map.vread,
        "gmin": spec.map.g_lo,
        "gmax": spec.map.g_hi,
        "rdrive": spec.rdrive,
        "rsense": spec.rsense,
        "weights": match &spec.weights { Some((w, _)) => serde_json::json!(w), None => serde_json::json!("trained") },
        "train": {
            "epochs": spec.train.epochs, "lr": spec.train.lr, "batch": spec.train.batch,
            "gain": spec.train.gain, "seed": spec.train.seed, "seconds": r.prep.train_secs,
        },
        "import": import,
        "import_seed": spec.seed,
        "quant": if r.levels.is_some() { spec.quant.name() } else { "none" },
        "levels": r.levels.as_ref().map(|l| l.len()).unwrap_or(0),
        "level_values": r.levels,
        "n_train": r.prep.train_count,
        "n_test": r.prep.test.len(),
        "software_accuracy": r.prep.software_accuracy,
        "ideal_accuracy": r.ideal.accuracy,
        "circuit_accuracy": r.circuit.accuracy,
        "circuit_vs_software_agreement": agree,
        "circuit_vs_ideal_agreement": r.ideal.pred.iter().zip(&r.circuit.pred).filter(|(a, b)| a == b).count() as f64 / r.prep.test.len().max(1) as f64,
        "confusion": r.confusion.chunks(m).collect::<Vec<_>>(),
        "mean_rel_current_error": r.stats.mean_rel_error,
        "iterations": r.stats.iterations,
        "factorizations": r.stats.factorizations,
        "seconds": {"total": secs, "train": r.prep.train_secs, "import": r.import_secs, "circuit": r.stats.secs},
        "sweeps": r.sweeps.iter().map(|s| (s.kind.name().to_string(), s.json.clone())).collect::<serde_json::Map<_, _>>(),
        "programming": r.programming.as_ref().map(programming_json),
    })
}

/// The write-verify tuning's statistics: over XB's switchable devices as
/// measured by the last verify pass (the paper's numbers), and of the
/// devices alone (`true_…`).
fn programming_json(pg: &perceptron::Programming) -> serde_json::Value {
    let (r, s) = (&pg.result, &pg.spec);
    let within_true = {
        let sw: Vec<f64> = r
            .error_true_pct
            .iter()
            .zip(&r.stuck)
            .filter(|(_, st)| !**st)
            .map(|(e, _)| e.abs())
            .collect();
        100.0
            * sw.iter()
                .filter(|e| **e <= 100.0 * s.tol * (1.0 + 1e-9))
                .count() as f64
            / sw.len().max(1) as f64
    };
    let per = |f: fn(&crate::analysis::program::CycleStats) -> serde_json::Value| {
        serde_json::Value::Array(r.cycles.iter().map(f).collect())
    };
    let mut json = serde_json::json!({
        "algorithm": s.algorithm.name(),
        "scheme": s.scheme.name(),
        "read_scheme": s.read_scheme.name(),
        "tol_pct": 100.0 * s.tol,
        "aim": s.aim,
        "cycles": r.cycles.len(),
        "pseed": s.seed,
        "rdrive": s.rdrive,
        "rsense": s.rsense,
        "devices": r.rows * r.cols,
        "devices_outside_block": pg.outside,
        "mean_abs_error_pct": r.mean_abs_error_pct(),
        "mean_abs_error_all_pct": r.mean_abs_error_all_pct(),
        "within_tol_pct": r.within_tol_pct(s.tol),
        "true_mean_abs_error_pct": r.true_mean_abs_error_pct(),
        "true_within_tol_pct": within_true,
        "stuck_devices": r.stuck.iter().filter(|x| **x).count(),
        "failed_devices": r.failed_devices,
        "disturbed_devices": r.disturbed_devices,
        "drifted_devices": r.drifted_devices,
        "read_shifted_devices": r.read_shifted_devices,
        "pulses": r.pulses(),
        "reads": r.reads(),
        "per_cycle": {
            "mean_abs_error_pct": per(|c| c.mean_abs_error_pct.into()),
            "within_tol_pct": per(|c| c.within_tol_pct.into()),
            "pulses": per(|c| c.pulses.into()),
            "devices_tuned": per(|c| c.devices_tuned.into()),
            "devices_failed": per(|c| c.devices_failed.into()),
            "disturbed_devices": per(|c| c.disturbed_devices.into()),
            "drifted_devices": per(|c| c.drifted_devices.into()),
            "read_shifted_devices": per(|c| c.read_shifted_devices.into()),
        },
        "solves": r.solver.solves,
        "newton_iterations": r.solver.iterations,
        "factorizations": r.solver.factorizations,
        "seconds": pg.secs,
    });
    if let Some(sd) = super::program::static_json(r) {
        json["static_d2d"] = sd;
    }
    json
}

/// The console lines of a `.perceptron` run (`file`: its JSON).
pub fn summary(
    c: &Circuit,
    spec: &PerceptronSpec,
    r: &PerceptronResult,
    secs: f64,
    file: &Path,
) -> Vec<String> {
    let xname = &c.crossbars[spec.xbar].name;
    let mut lines = Vec::new();
    lines.push(format!(
        "  .perceptron {xname}: {} test images of {}; accuracy software {:.2} %, ideal {:.2} %, circuit {:.2} % ({} import {}); {} iteration(s), {:.3} s -> {}",
        r.prep.test.len(),
        spec.data_name,
        100.0 * r.prep.software_accuracy,
        100.0 * r.ideal.accuracy,
        100.0 * r.circuit.accuracy,
        spec.import.name(),
        import_err_text(spec),
        r.stats.iterations,
        secs,
        file.display()
    ));
    if let Some(pg) = &r.programming {
        let pr = &pg.result;
        lines.push(format!(
            "    write-verify ({}, {}): mean |error| {:.2} %, {:.1} % within {} %, {} stuck, {} failed, {} disturbed ({} drifted, {} by read shift); {} pulses, {} reads, {} solves, {:.1} s",
            pg.spec.algorithm.name(),
            pg.spec.scheme.name(),
            pr.mean_abs_error_pct(),
            pr.within_tol_pct(pg.spec.tol),
            100.0 * pg.spec.tol,
            pr.stuck.iter().filter(|s| **s).count(),
            pr.failed_devices,
            pr.disturbed_devices,
            pr.drifted_devices,
            pr.read_shifted_devices,
            pr.pulses(),
            pr.reads(),
            pr.solver.solves,
            pg.secs
        ));
    }
    for s in &r.sweeps {
        lines.push(format!("    sweep {}: {}", s.kind.name(), s.summary));
    }
    lines
}
