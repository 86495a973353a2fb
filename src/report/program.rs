//! Result files of `.program` and `.pulse`: JSON summary, maps, histogram,
//! per-cycle table, pulse logs, PNGs. Every file is written atomically.

use super::{plot, write_atomic, write_json, write_matrix_csv};
use crate::analysis::program::{ProgramResult, ProgramSpec};
use crate::analysis::pulse::PulseSeqResult;
use std::path::{Path, PathBuf};

/// Histogram bin width of |error| (%).
const HIST_BIN_PCT: f64 = 1.0;

/// The static draws' summary (only with a static spread on the card, so
/// other cards' files are those they always were).
pub fn static_json(r: &ProgramResult) -> Option<serde_json::Value> {
    if r.static_draws.is_empty() {
        return None;
    }
    let m = crate::analysis::thresholds::Moments::of(&r.static_draws);
    Some(serde_json::json!({
        "draws": m.n,
        "ns_mean": m.mean,
        "ns_sd": m.sd,
        "clamp": "each coefficient at 0",
        "clamped_devices": r.static_clamped,
    }))
}

/// Write everything `.program` produces for crossbar `name` into `out`;
/// returns the files written.
pub fn write_program(
    out: &Path,
    name: &str,
    s: &ProgramSpec,
    r: &ProgramResult,
    seconds: f64,
) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let per = |f: fn(&crate::analysis::program::CycleStats) -> serde_json::Value| {
        serde_json::Value::Array(r.cycles.iter().map(f).collect())
    };
    let json = serde_json::json!({
        "crossbar": name,
        "rows": r.rows,
        "cols": r.cols,
        "algorithm": s.algorithm.name(),
        "scheme": s.scheme.name(),
        "read_scheme": s.read_scheme.name(),
        "vread": s.vread,
        "tol_pct": 100.0 * s.tol,
        "seed": s.seed,
        "disturbance": s.disturb,
        "cycles": r.cycles.len(),
        "mean_abs_error_pct": r.mean_abs_error_pct(),
        "mean_abs_error_all_pct": r.mean_abs_error_all_pct(),
        "within_tol_pct": r.within_tol_pct(s.tol),
        "true_mean_abs_error_pct": r.true_mean_abs_error_pct(),
        "true_within_tol_pct": r.true_within_tol_pct(s.tol),
        "stuck_devices": r.stuck.iter().filter(|x| **x).count(),
        "switchable_devices": r.stuck.iter().filter(|x| !**x).count(),
        "failed_devices": r.failed_devices,
        "pulses": r.pulses(),
        "reads": r.reads(),
        "disturbed_devices": r.disturbed_devices,
        "drifted_devices": r.drifted_devices,
        "read_shifted_devices": r.read_shifted_devices,
        "per_cycle": {
            "mean_abs_error_pct": per(|c| c.mean_abs_error_pct.into()),
            "within_tol_pct": per(|c| c.within_tol_pct.into()),
            "pulses": per(|c| c.pulses.into()),
            "reads": per(|c| c.reads.into()),
            "devices_tuned": per(|c| c.devices_tuned.into()),
            "devices_failed": per(|c| c.devices_failed.into()),
            "disturbed_devices": per(|c| c.disturbed_devices.into()),
            "drifted_devices": per(|c| c.drifted_devices.into()),
            "read_shifted_devices": per(|c| c.read_shifted_devices.into()),
        },
        "solver": {
            "solves": r.solver.solves,
            "newton_iterations": r.solver.iterations,
            "write_solves": r.solver.write_solves,
            "write_newton_iterations": r.solver.write_iterations,
            "line_sweeps": r.solver.sweeps,
            "line_tries": r.solver.relax_tries,
            "line_fallbacks": r.solver.relax_fallbacks,
            "factorizations": r.solver.factorizations,
            "reads_without_solve": r.solver.reused_reads,
            "seconds": seconds,
        },
        "failure": r.failure.as_ref().map(|e| e.to_string()),
    });
    let mut json = json;
    if let Some(sd) = static_json(r) {
        json["static_d2d"] = sd;
    }
    let p = out.join("program.json");
    write_json(&p, &json)?;
    files.push(p);
    if !r.static_draws.is_empty() {
        let p = out.join(format!("{name}_program_ns.csv"));
        write_matrix_csv(&p, r.cols, &r.static_draws)?;
        files.push(p);
    }

    let f = |suffix: &str| out.join(format!("{name}_program_{suffix}"));
    let p = f("g.csv");
    write_matrix_csv(&p, r.cols, &r.g_final)?;
    files.push(p);
    let p = f("g_measured.csv");
    write_matrix_csv(&p, r.cols, &r.g_measured)?;
    files.push(p);
    let p = f("error.csv");
    write_matrix_csv(&p, r.cols, &r.error_pct)?;
    files.push(p);
    let p = f("error_true.csv");
    write_matrix_csv(&p, r.cols, &r.error_true_pct)?;
    files.push(p);

    // Histogram of |error| over switchable devices.
    let top = r
        .error_pct
        .iter()
        .zip(&r.stuck)
        .filter(|(_, s)| !**s)
        .map(|(e, _)| e.abs())
        .fold(0.0, f64::max);
    let nb = ((top / HIST_BIN_PCT).floor() as usize + 1).clamp(1, 200);
    let mut hist = vec![0usize; nb];
    for (e, st) in r.error_pct.iter().zip(&r.stuck) {
        if !*st {
            hist[((e.abs() / HIST_BIN_PCT) as usize).min(nb - 1)] += 1;
        }
    }
    let p = f("hist.csv");
    write_atomic(&p, |w| {
        writeln!(w, "abs_error_from_pct,abs_error_to_pct,devices")?;
        for (k, n) in hist.iter().enumerate() {
            writeln!(
                w,
                "{},{},{n}",
                k as f64 * HIST_BIN_PCT,
                (k + 1) as f64 * HIST_BIN_PCT
            )?;
        }
        Ok(())
    })?;
    files.push(p);

    let p = f("cycles.csv");
    write_atomic(&p, |w| {
        writeln!(w, "cycle,mean_abs_error_pct,within_tol_pct,pulses,reads,devices_tuned,devices_failed,disturbed_devices,drifted_devices,read_shifted_devices")?;
        for (k, c) in r.cycles.iter().enumerate() {
            writeln!(
                w,
                "{},{},{},{},{},{},{},{},{},{}",
                k + 1,
                c.mean_abs_error_pct,
                c.within_tol_pct,
                c.pulses,
                c.reads,
                c.devices_tuned,
                c.devices_failed,
                c.disturbed_devices,
                c.drifted_devices,
                c.read_shifted_devices
            )?;
        }
        Ok(())
    })?;
    files.push(p);

    if s.log {
        let p = f("pulses.csv");
        write_atomic(&p, |w| {
            writeln!(
                w,
                "cycle,row,col,v_drive,v_cell,g_before,g_after,g_read,v_half_max,others_moved"
            )?;
            for l in &r.log {
                writeln!(
                    w,
                    "{},{},{},{},{},{:e},{:e},{:e},{},{}",
                    l.cycle + 1,
                    l.cell / r.cols,
                    l.cell % r.cols,
                    l.v_drive,
                    l.v_cell,
                    l.g_before,
                    l.g_after,
                    l.g_read,
                    l.v_half_max,
                    l.others_moved
                )?;
            }
            Ok(())
        })?;
        files.push(p);
    }

    // Maps on one colour scale (µS), error map, histogram.
    let us = |v: &[f64]| v.iter().map(|g| g * 1e6).collect::<Vec<_>>();
    let (t_us, g_us) = (us(&r.target), us(&r.g_measured));
    let lo = t_us
        .iter()
        .chain(&g_us)
        .cloned()
        .fold(f64::INFINITY, f64::min);
    let hi = t_us
        .iter()
        .chain(&g_us)
        .cloned()
        .fold(f64::NEG_INFINITY, f64::max);
    let p = f("target.png");
    plot::heatmap_range(
        &p,
        &format!("{name}: target G at {} V", s.vread),
        "µS",
        r.rows,
        r.cols,
        &t_us,
        Some((lo, hi)),
    )?;
    files.push(p);
    let p = f("g.png");
    plot::heatmap_range(
        &p,
        &format!(
            "{name}: tuned G read at {} V ({} cycles, {})",
            s.vread,
            r.cycles.len(),
            s.scheme.name()
        ),
        "µS",
        r.rows,
        r.cols,
        &g_us,
        Some((lo, hi)),
    )?;
    files.push(p);
    let p = f("error.png");
    let clipped: Vec<f64> = r.error_pct.iter().map(|e| e.clamp(-20.0, 20.0)).collect();
    plot::heatmap_range(
        &p,
        &format!("{name}: tuning error (%), clipped to ±20"),
        "%",
        r.rows,
        r.cols,
        &clipped,
        Some((-20.0, 20.0)),
    )?;
    files.push(p);
    let p = f("hist.png");
    let series = [plot::Series {
        name: "devices",
        points: hist
            .iter()
            .enumerate()
            .map(|(k, n)| ((k as f64 + 0.5) * HIST_BIN_PCT, *n as f64))
            .collect(),
    }];
    plot::curves(
        &p,
        &format!("{name}: |tuning error| histogram (switchable devices)"),
        "|error| (%)",
        "devices",
        &series,
        Some((100.0 * s.tol, "tolerance")),
    )?;
    files.push(p);
    Ok(files)
}

/// `.pulse` results: one row per pulse, and the state maps before and after.
pub fn write_pulses(out: &Path, name: &str, r: &PulseSeqResult) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let p = out.join(format!("{name}_pulses.csv"));
    write_atomic(&p, |w| {
        writeln!(
            w,
            "pulse,row,col,v_cell,g_before,g_after,g_read,v_half_max,max_other_dg,others_moved"
        )?;
        for (k, rec) in r.records.iter().enumerate() {
            let o = &rec.outcome;
            let gr = rec.g_read.map(|g| format!("{g:e}")).unwrap_or_default();
            writeln!(
                w,
                "{},{},{},{},{:e},{:e},{gr},{},{:e},{}",
                k + 1,
                rec.row,
                rec.col,
                o.v_cell,
                o.g_before,
                o.g_after,
                o.v_half_max,
                o.max_other_dg,
                o.others_moved
            )?;
        }
        Ok(())
    })?;
    files.push(p);
    let p = out.join(format!("{name}_pulse_g.csv"));
    write_matrix_csv(&p, r.cols, &r.g_after)?;
    files.push(p);
    let dg: Vec<f64> = r
        .g_after
        .iter()
        .zip(&r.g_before)
        .map(|(a, b)| (a - b) * 1e6)
        .collect();
    let p = out.join(format!("{name}_pulse_dg.png"));
    plot::heatmap(
        &p,
        &format!("{name}: state change over the pulse sequence"),
        "µS",
        r.rows,
        r.cols,
        &dg,
    )?;
    files.push(p);
    Ok(files)
}
