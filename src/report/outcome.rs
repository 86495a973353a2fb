//! Every analysis outcome to its files and its console lines: the one place
//! that knows which files each analysis writes.

use super::{plot, program, thresholds, write_atomic, WriteError};
use crate::analysis::{sizing, Outcome};
use crate::circuit::Circuit;
use std::path::{Path, PathBuf};

/// Write an outcome's files into `out` (`secs`: the analysis' run time, for
/// the JSON summaries). Returns the main file, the one the console names.
pub fn write(out: &Path, c: &Circuit, o: &Outcome, secs: f64) -> Result<PathBuf, WriteError> {
    match o {
        Outcome::Op(r) => {
            super::write_op_csv(&out.join("op.csv"), &r.names, &r.values)
                .map_err(|e| WriteError::new("op.csv", e))?;
            for (xb, cells) in c.crossbars.iter().zip(&r.vcell) {
                let f = format!("{}_vcell.csv", xb.name);
                super::write_matrix_csv(&out.join(&f), xb.cols, cells)
                    .map_err(|e| WriteError::new(&f, e))?;
                let png = format!("{}_vcell.png", xb.name);
                let title = format!(
                    "{}: voltage across each device ({}x{})",
                    xb.name, xb.rows, xb.cols
                );
                plot::heatmap(&out.join(&png), &title, "V", xb.rows, xb.cols, cells)
                    .map_err(|e| WriteError::new(&png, e))?;
            }
            Ok(out.join("op.csv"))
        }
        Outcome::Dc(r) => {
            super::write_table_csv(&out.join("dc.csv"), &r.names, &r.rows)
                .map_err(|e| WriteError::new("dc.csv", e))?;
            Ok(out.join("dc.csv"))
        }
        Outcome::Sizing(spec, r) => {
            let xname = &c.crossbars[spec.xbar].name;
            let (label, crit) = sizing_criterion(spec);
            write_atomic(&out.join("sizing.csv"), |w| {
                writeln!(w, "size,{label},meets_criterion")?;
                for (n, f, ok) in &r.points {
                    writeln!(w, "{n},{f:e},{ok}")?;
                }
                Ok(())
            })
            .map_err(|e| WriteError::new("sizing.csv", e))?;
            let series = [plot::Series {
                name: label,
                points: r.points.iter().map(|p| (p.0 as f64, p.1)).collect(),
            }];
            let title = format!(
                "{xname}: {} vs array size (N x N)",
                if spec.metric == sizing::Metric::Vmm {
                    "VMM error"
                } else {
                    "worst-case read margin"
                }
            );
            plot::curves(
                &out.join("sizing.png"),
                &title,
                "array size N",
                label,
                &series,
                Some((spec.limit, &crit)),
            )
            .map_err(|e| WriteError::new("sizing.png", e))?;
            Ok(out.join("sizing.csv"))
        }
        Outcome::Read(spec, r) => {
            super::write_read(&out.join("read.csv"), spec, r)
                .map_err(|e| WriteError::new("read.csv", e))?;
            Ok(out.join("read.csv"))
        }
        Outcome::Program(spec, r) => {
            let xname = &c.crossbars[spec.xbar].name;
            program::write_program(out, xname, spec, r, secs)
                .map_err(|e| WriteError::new("program.json", e))?;
            Ok(out.join("program.json"))
        }
        Outcome::Thresholds(spec, r) => {
            let xname = &c.crossbars[spec.xbar].name;
            thresholds::write_thresholds(out, xname, spec, r, secs)
                .map_err(|e| WriteError::new("thresholds.json", e))?;
            Ok(out.join("thresholds.json"))
        }
        Outcome::Pulses(seq, r) => {
            let xname = &c.crossbars[seq.xbar].name;
            let files = program::write_pulses(out, xname, r)
                .map_err(|e| WriteError::new("pulses.csv", e))?;
            Ok(files[0].clone())
        }
        Outcome::Vmm(spec, r) => {
            let xname = &c.crossbars[spec.xbar].name;
            super::write_vmm(&out.join("vmm.csv"), &out.join("vmm_error.csv"), r)
                .map_err(|e| WriteError::new("vmm.csv", e))?;
            if !r.first_drop.is_empty() {
                let xb = &c.crossbars[spec.xbar];
                let f = format!("{xname}_vmm_irdrop");
                super::write_matrix_csv(&out.join(format!("{f}.csv")), xb.cols, &r.first_drop)
                    .map_err(|e| WriteError::new(&f, e))?;
                let title = format!("{xname}: IR drop of vector 0 (V_in - V_cell)");
                plot::heatmap(
                    &out.join(format!("{f}.png")),
                    &title,
                    "V",
                    xb.rows,
                    xb.cols,
                    &r.first_drop,
                )
                .map_err(|e| WriteError::new(&f, e))?;
            }
            Ok(out.join("vmm.csv"))
        }
        Outcome::Perceptron(spec, r) => {
            let files = super::perceptron::write(out, c, spec, r, secs)?;
            Ok(files[0].clone())
        }
        Outcome::Meas(_, r) => {
            write_atomic(&out.join("meas.csv"), |w| {
                let mut c = csv::Writer::from_writer(w);
                c.write_record(["name", "value", "note"])?;
                for (name, v) in &r.values {
                    match v {
                        Ok(x) => c.write_record([name.as_str(), &format!("{x:e}"), ""])?,
                        Err(why) => c.write_record([name.as_str(), "", why.as_str()])?,
                    }
                }
                c.flush()?;
                Ok(())
            })
            .map_err(|e| WriteError::new("meas.csv", e))?;
            Ok(out.join("meas.csv"))
        }
        Outcome::WrData(spec, rows) => {
            let text = crate::analysis::control::text(spec, rows);
            write_atomic(&out.join(&spec.file), |w| w.write_all(text.as_bytes()))
                .map_err(|e| WriteError::new(&spec.file, e))?;
            Ok(out.join(&spec.file))
        }
    }
}

/// The column label and the criterion text of a `.sizing` card.
fn sizing_criterion(spec: &sizing::SizingSpec) -> (&'static str, String) {
    match spec.metric {
        sizing::Metric::Vmm => ("vmm_error_pct", format!("error <= {} %", spec.limit)),
        sizing::Metric::Read => ("read_margin_pct", format!("margin >= {} %", spec.limit)),
    }
}

/// Why an analysis stopped part way (its partial results are written), as
/// the error message's text after `error: <netlist>: `; None when it ran
/// to the end.
pub fn failure(c: &Circuit, o: &Outcome, file: &Path) -> Option<String> {
    match o {
        Outcome::Dc(r) => r.failure.as_ref().map(|(x, err)| {
            let at: Vec<String> = (r.names.iter().zip(x))
                .map(|(n, v)| format!("{n} = {v}"))
                .collect();
            format!(
                ".dc failed at {}: {err}\n  ({} completed point(s) written to {})",
                at.join(", "),
                r.rows.len(),
                file.display()
            )
        }),
        Outcome::Program(spec, r) => (r.failure.as_ref())
            .map(|err| stopped(c, spec.xbar, "program", r.cycles.len(), "cycle", err, file)),
        Outcome::Thresholds(spec, r) => (r.failure.as_ref())
            .map(|err| stopped(c, spec.xbar, "thresholds", r.measured, "device", err, file)),
        Outcome::Pulses(seq, r) => r.failure.as_ref().map(|err| {
            format!(
                ".pulse {} stopped after {} pulse(s): {err}",
                c.crossbars[seq.xbar].name,
                r.records.len()
            )
        }),
        Outcome::Vmm(spec, r) => r.failure.as_ref().map(|(k, err)| {
            format!(
                ".vmm {} failed at vector {k}: {err}\n  ({k} completed vector(s) written to {})",
                c.crossbars[spec.xbar].name,
                file.display()
            )
        }),
        Outcome::Op(_)
        | Outcome::Read(..)
        | Outcome::Sizing(..)
        | Outcome::Perceptron(..)
        | Outcome::Meas(..)
        | Outcome::WrData(..) => None,
    }
}

/// ".<directive> <crossbar> stopped after <n> <unit>(s): <err>", and where
/// the results so far are.
fn stopped(
    c: &Circuit,
    xbar: usize,
    directive: &str,
    n: usize,
    unit: &str,
    err: &dyn std::fmt::Display,
    file: &Path,
) -> String {
    format!(
        ".{directive} {} stopped after {n} {unit}(s): {err}\n  (results so far written to {})",
        c.crossbars[xbar].name,
        file.display()
    )
}

/// The console lines of an outcome that ran to the end (`file`: its main
/// file, `secs`: its time).
pub fn summary(c: &Circuit, o: &Outcome, secs: f64, file: &Path) -> Vec<String> {
    let line = match o {
        Outcome::Op(r) => format!(
            "  .op: {} iteration(s), {} factorization(s) ({}), {secs:.3} s -> {}",
            r.stats.iterations,
            r.stats.factorizations,
            r.stats.method,
            file.display()
        ),
        Outcome::Dc(r) => format!(
            "  .dc {}: {} point(s), {} iteration(s), {} factorization(s), {secs:.3} s -> {}",
            r.names[..r.swept].join(" "),
            r.rows.len(),
            r.stats.iterations,
            r.stats.factorizations,
            file.display()
        ),
        Outcome::Sizing(spec, r) => {
            let xname = &c.crossbars[spec.xbar].name;
            let (_, crit) = sizing_criterion(spec);
            match r.best {
                Some(n) => format!(
                    "  .sizing {xname}: largest array with {crit}: {n}x{n} ({secs:.3} s) -> {}",
                    file.display()
                ),
                None => format!(
                    "  .sizing {xname}: no listed size meets {crit} ({secs:.3} s) -> {}",
                    file.display()
                ),
            }
        }
        Outcome::Read(spec, r) => {
            let a = &r.cases[0];
            format!(
                "  .read {} ({},{}) at {} V, {}: cell {:.4e} A, column {:.4e} A, sneak {:.4e} A; worst-case margin {:.4e} A ({:.2} %), {secs:.3} s -> {}",
                c.crossbars[spec.xbar].name,
                spec.row,
                spec.col,
                spec.v,
                spec.scheme.name(),
                a.i_cell,
                a.i_column,
                a.i_sneak,
                r.margin,
                100.0 * r.margin_rel,
                file.display()
            )
        }
        Outcome::Program(spec, r) => format!(
            "  .program {}: {} x {}, {}, {}, {} cycle(s): mean |error| {:.2} % (devices alone: {:.2} %), {:.2} % of switchable devices within {} %, {} stuck, {} failed, {} disturbed ({} drifted, {} by read shift); {} pulses, {} reads, {} solves, {secs:.3} s -> {}",
            c.crossbars[spec.xbar].name,
            r.rows,
            r.cols,
            spec.algorithm.name(),
            spec.scheme.name(),
            r.cycles.len(),
            r.mean_abs_error_pct(),
            r.true_mean_abs_error_pct(),
            r.within_tol_pct(spec.tol),
            100.0 * spec.tol,
            r.stuck.iter().filter(|x| **x).count(),
            r.failed_devices,
            r.disturbed_devices,
            r.drifted_devices,
            r.read_shifted_devices,
            r.pulses(),
            r.reads(),
            r.solver.solves,
            file.display()
        ),
        Outcome::Thresholds(spec, r) => {
            let (m, d) = (r.measured_summary(), r.model_summary());
            // Statistics of fewer than two devices are undefined: n/a.
            let f = |x: f64, p: usize| {
                if x.is_finite() {
                    format!("{x:.p$}")
                } else {
                    "n/a".to_string()
                }
            };
            format!(
                "  .thresholds {}: {} x {}, {}: set {} +- {} V, reset {} +- {} V, correlation {} over {} switchable devices ({} unswitchable); model card's draws for them: set {} +- {} V, reset {} +- {} V; {} pulses, {} reads, {secs:.3} s -> {}",
                c.crossbars[spec.xbar].name,
                r.rows,
                r.cols,
                spec.scheme.name(),
                f(m.set.mean, 3),
                f(m.set.sd, 3),
                f(m.reset.mean, 3),
                f(m.reset.sd, 3),
                f(m.corr, 2),
                m.set.n,
                r.unswitchable(),
                f(d.set.mean, 3),
                f(d.set.sd, 3),
                f(d.reset.mean, 3),
                f(d.reset.sd, 3),
                r.pulses,
                r.reads,
                file.display()
            )
        }
        Outcome::Pulses(seq, r) => format!(
            "  .pulse {}: {} pulse(s), {} solve(s), {} line sweep(s), {} Newton iteration(s), {} factorization(s), {secs:.3} s -> {}",
            c.crossbars[seq.xbar].name,
            r.records.len(),
            r.solver.solves,
            r.solver.sweeps,
            r.solver.iterations,
            r.solver.factorizations,
            file.display()
        ),
        Outcome::Vmm(spec, r) => {
            let (mean, max) = r.error_stats();
            format!(
                "  .vmm {}: {} vector(s), relative error vs ideal: mean {:.3} %, max {:.3} %; {} iteration(s), {} factorization(s){}, {secs:.3} s -> {}",
                c.crossbars[spec.xbar].name,
                r.rel_error.len(),
                100.0 * mean,
                100.0 * max,
                r.iterations,
                r.factorizations,
                if r.one_by_one {
                    " (one vector at a time: blocks of vectors would exceed the memory limit)"
                } else {
                    ""
                },
                file.display()
            )
        }
        Outcome::Perceptron(spec, r) => {
            return super::perceptron::summary(c, spec, r, secs, file)
        }
        Outcome::Meas(_, r) => {
            let ok = r.values.iter().filter(|v| v.1.is_ok()).count();
            format!(
                "  .meas: {ok} of {} measurement(s) made -> {}",
                r.values.len(),
                file.display()
            )
        }
        Outcome::WrData(_, rows) => {
            format!("  wrdata: {} row(s) -> {}", rows.len(), file.display())
        }
    };
    vec![line]
}

/// The headline numbers of an outcome, by name (`<directive>.<what>`), for
/// a study's table: the numbers its console line gives.
pub fn scalars(o: &Outcome) -> Vec<(String, f64)> {
    let named = |d: &str, v: &[(&str, f64)]| -> Vec<(String, f64)> {
        v.iter().map(|(k, x)| (format!("{d}.{k}"), *x)).collect()
    };
    match o {
        Outcome::Op(r) => named(
            "op",
            &[
                ("iterations", r.stats.iterations as f64),
                ("factorizations", r.stats.factorizations as f64),
            ],
        ),
        Outcome::Dc(r) => named("dc", &[("points", r.rows.len() as f64)]),
        // No listed size meets the criterion: no number (an empty cell).
        Outcome::Sizing(_, r) => r
            .best
            .map(|n| named("sizing", &[("best", n as f64)]))
            .unwrap_or_default(),
        Outcome::Read(_, r) => {
            let a = &r.cases[0];
            named(
                "read",
                &[
                    ("i_cell", a.i_cell),
                    ("i_column", a.i_column),
                    ("i_sneak", a.i_sneak),
                    ("margin", r.margin),
                    ("margin_pct", 100.0 * r.margin_rel),
                ],
            )
        }
        Outcome::Vmm(_, r) => {
            let (mean, max) = r.error_stats();
            named(
                "vmm",
                &[
                    ("mean_error_pct", 100.0 * mean),
                    ("max_error_pct", 100.0 * max),
                ],
            )
        }
        Outcome::Program(spec, r) => {
            let mut v = named(
                "program",
                &[
                    ("mean_abs_error_pct", r.mean_abs_error_pct()),
                    ("within_tol_pct", r.within_tol_pct(spec.tol)),
                    ("true_mean_abs_error_pct", r.true_mean_abs_error_pct()),
                    ("true_within_tol_pct", r.true_within_tol_pct(spec.tol)),
                    ("stuck", r.stuck.iter().filter(|x| **x).count() as f64),
                    ("failed", r.failed_devices as f64),
                    ("disturbed", r.disturbed_devices as f64),
                    ("drifted", r.drifted_devices as f64),
                    ("read_shifted", r.read_shifted_devices as f64),
                    ("pulses", r.pulses() as f64),
                ],
            );
            // Per cycle (from 1), as xb_program_cycles.csv has them.
            for (k, c) in r.cycles.iter().enumerate() {
                v.extend(named(
                    &format!("program.cycle{}", k + 1),
                    &[
                        ("mean_abs_error_pct", c.mean_abs_error_pct),
                        ("within_tol_pct", c.within_tol_pct),
                        ("disturbed", c.disturbed_devices as f64),
                        ("drifted", c.drifted_devices as f64),
                        ("read_shifted", c.read_shifted_devices as f64),
                    ],
                ));
            }
            v
        }
        Outcome::Thresholds(_, r) => {
            let m = r.measured_summary();
            named(
                "thresholds",
                &[
                    ("set_mean", m.set.mean),
                    ("set_sd", m.set.sd),
                    ("reset_mean", m.reset.mean),
                    ("reset_sd", m.reset.sd),
                    ("corr", m.corr),
                    ("unswitchable", r.unswitchable() as f64),
                ],
            )
        }
        Outcome::Pulses(_, r) => named("pulse", &[("pulses", r.records.len() as f64)]),
        Outcome::Meas(_, r) => r
            .values
            .iter()
            .filter_map(|(k, v)| Some((format!("meas.{k}"), *v.as_ref().ok()?)))
            .collect(),
        Outcome::WrData(..) => Vec::new(),
        Outcome::Perceptron(_, r) => named(
            "perceptron",
            &[
                ("software_accuracy", r.prep.software_accuracy),
                ("ideal_accuracy", r.ideal.accuracy),
                ("circuit_accuracy", r.circuit.accuracy),
            ],
        ),
    }
}
