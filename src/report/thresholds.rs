//! Result files of `.thresholds`: per-device table, JSON summary, threshold
//! maps and histogram (the 64×64 paper's Fig. 2b–d). Written atomically.

use super::{plot, write_atomic, write_json};
use crate::analysis::thresholds::{Summary, ThresholdResult, ThresholdSpec};
use std::path::{Path, PathBuf};

/// A [`Summary`] as JSON (NaN as null).
fn summary_json(s: &Summary) -> serde_json::Value {
    let num = |x: f64| {
        if x.is_finite() {
            serde_json::json!(x)
        } else {
            serde_json::Value::Null
        }
    };
    serde_json::json!({
        "set_mean_v": num(s.set.mean),
        "set_sd_v": num(s.set.sd),
        "reset_mean_v": num(s.reset.mean),
        "reset_sd_v": num(s.reset.sd),
        "set_abs_reset_correlation": num(s.corr),
        "devices": s.set.n,
    })
}

/// Write everything `.thresholds` produces for crossbar `name` into `out`.
pub fn write_thresholds(
    out: &Path,
    name: &str,
    s: &ThresholdSpec,
    r: &ThresholdResult,
    seconds: f64,
) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let measured = r.measured_summary();
    let model = r.model_summary();
    let done = &r.devices[..r.measured];
    let json = serde_json::json!({
        "crossbar": name,
        "rows": r.rows,
        "cols": r.cols,
        "protocol": {
            "g_start": s.g_start,
            "start_tol": s.start_tol,
            "g_stop": s.g_stop,
            "change": s.change,
            "vstart": s.vstart,
            "vstep": s.vstep,
            "vmax": s.vmax,
            "tp": s.tp,
            "scheme": s.scheme.name(),
            "read_scheme": s.read_scheme.name(),
            "vread": s.vread,
            "seed": s.seed,
            "disturbance": s.disturb,
        },
        "devices_measured": r.measured,
        "switchable_devices": done.iter().filter(|d| d.switchable()).count(),
        "unswitchable_devices": r.unswitchable(),
        "stuck_devices": done.iter().filter(|d| d.stuck).count(),
        "preset_failed": done.iter().filter(|d| !d.preset_ok).count(),
        "no_set_threshold": done.iter().filter(|d| d.preset_ok && d.vset.is_none()).count(),
        "no_reset_threshold": done.iter().filter(|d| d.vset.is_some() && d.vreset.is_none()).count(),
        "measured": summary_json(&measured),
        "model": summary_json(&model),
        "pulses": r.pulses,
        "reads": r.reads,
        "solver": {
            "solves": r.solver.solves,
            "line_sweeps": r.solver.sweeps,
            "line_tries": r.solver.relax_tries,
            "line_fallbacks": r.solver.relax_fallbacks,
            "newton_iterations": r.solver.iterations,
            "factorizations": r.solver.factorizations,
            "seconds": seconds,
        },
        "failure": r.failure.as_ref().map(|e| e.to_string()),
    });
    let mut json = json;
    if !r.static_draws.is_empty() {
        // Only with a static spread on the card: other cards' files are
        // those they always were.
        let m = crate::analysis::thresholds::Moments::of(&r.static_draws);
        json["static_d2d"] = serde_json::json!({
            "draws": m.n,
            "ns_mean": m.mean,
            "ns_sd": m.sd,
            "clamp": "each coefficient at 0",
            "clamped_devices": r.static_clamped,
        });
    }
    let p = out.join("thresholds.json");
    write_json(&p, &json)?;
    files.push(p);

    let f = |suffix: &str| out.join(format!("{name}_thresholds{suffix}"));
    let opt = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    let sci = |x: f64| {
        if x.is_finite() {
            format!("{x:e}")
        } else {
            String::new()
        }
    };
    let p = f(".csv");
    let with_ns = !r.static_draws.is_empty();
    write_atomic(&p, |w| {
        writeln!(
            w,
            "row,col,vset,vreset,vset_model,vreset_model,stuck,preset_ok,g_ramp_start,g_peak{}",
            if with_ns { ",ns" } else { "" }
        )?;
        for (k, d) in done.iter().enumerate() {
            write!(
                w,
                "{},{},{},{},{},{},{},{},{},{}",
                k / r.cols,
                k % r.cols,
                opt(d.vset),
                opt(d.vreset),
                d.vset_model,
                d.vreset_model,
                u8::from(d.stuck),
                u8::from(d.preset_ok),
                sci(d.g_ramp_start),
                sci(d.g_peak)
            )?;
            if with_ns {
                write!(w, ",{}", r.static_draws[k])?;
            }
            writeln!(w)?;
        }
        Ok(())
    })?;
    files.push(p);

    // Maps (unmeasured / unswitchable devices in magenta) and histogram.
    let map = |sel: fn(&crate::analysis::thresholds::DeviceThresholds) -> Option<f64>| {
        r.devices
            .iter()
            .map(|d| sel(d).unwrap_or(f64::NAN))
            .collect::<Vec<f64>>()
    };
    let p = f("_set.png");
    plot::heatmap(
        &p,
        &format!("{name}: set threshold (V), magenta: none"),
        "V",
        r.rows,
        r.cols,
        &map(|d| d.vset),
    )?;
    files.push(p);
    let p = f("_reset.png");
    plot::heatmap(
        &p,
        &format!("{name}: reset threshold (V), magenta: none"),
        "V",
        r.rows,
        r.cols,
        &map(|d| d.vreset),
    )?;
    files.push(p);
    // One bin per ramp step: measured thresholds sit on the ramp's grid.
    let hist = |vals: Vec<f64>| -> Vec<(f64, f64)> {
        let nb = (s.vmax / s.vstep).ceil() as usize + 1;
        let mut h = vec![0usize; nb];
        for v in vals {
            h[((v / s.vstep).round() as usize).min(nb - 1)] += 1;
        }
        h.iter()
            .enumerate()
            .map(|(k, n)| (k as f64 * s.vstep, *n as f64))
            .collect()
    };
    let sw = || done.iter().filter(|d| d.switchable());
    let series = [
        plot::Series {
            name: "set",
            points: hist(sw().filter_map(|d| d.vset).collect()),
        },
        plot::Series {
            name: "|reset|",
            points: hist(sw().filter_map(|d| d.vreset).map(f64::abs).collect()),
        },
    ];
    let p = f("_hist.png");
    plot::curves(
        &p,
        &format!("{name}: switching thresholds (switchable devices)"),
        "|threshold| (V)",
        "devices",
        &series,
        None,
    )?;
    files.push(p);
    Ok(files)
}
