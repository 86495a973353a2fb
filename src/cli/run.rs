//! `xbarsim run`: load, elaborate, run every analysis, write results atomically.

use crate::analysis::program::thresholds;
use crate::analysis::{dc, op, program, read, sizing, vmm, Engine};
use crate::circuit::{elaborate, Analysis, Circuit};
use crate::netlist::{load, Deck};
use crate::report;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Outcome of one netlist.
#[derive(Debug)]
pub enum RunError {
    /// Bad input (exit 2): the rendered diagnostics.
    Input(String),
    /// An analysis failed (exit 1).
    Analysis(String),
}

impl RunError {
    pub fn code(&self) -> u8 {
        match self {
            RunError::Input(_) => 2,
            RunError::Analysis(_) => 1,
        }
    }
}

/// Parse, include, elaborate. Warnings are printed to stderr.
pub fn prepare(path: &Path) -> Result<(Deck, Circuit), RunError> {
    let t = Instant::now();
    let deck = load(path).map_err(|(deck, d)| RunError::Input(d.render(&deck.sources)))?;
    if std::env::var_os("XBARSIM_TIMING").is_some() {
        eprintln!(
            "[timing] read + split {} card(s): {:.3} s",
            deck.cards.len(),
            t.elapsed().as_secs_f64()
        );
    }
    for w in &deck.warnings {
        eprint!("{}", w.render(&deck.sources));
    }
    let c = elaborate(&deck).map_err(|d| RunError::Input(d.render(&deck.sources)))?;
    for w in &c.warnings {
        eprint!("{}", w.render(&deck.sources));
    }
    Ok((deck, c))
}

/// Run one netlist into `out`. Results of analyses that succeeded are written
/// even when a later one fails.
pub fn run_one(path: &Path, out: &Path, quiet: bool) -> Result<(), RunError> {
    let timing = std::env::var_os("XBARSIM_TIMING").is_some();
    let t0 = Instant::now();
    let (deck, c) = prepare(path)?;
    drop(deck); // the source text is not needed once elaborated
    let t_parse = t0.elapsed();
    report::files::begin_run(out).map_err(|e| {
        RunError::Input(format!(
            "error: cannot use output directory {}: {e}\n",
            out.display()
        ))
    })?;
    let _run = EndRun;
    report::files::take_nonfinite();
    let io = |e: std::io::Error, f: &str| {
        RunError::Analysis(format!(
            "error: cannot write {}: {e}\n",
            out.join(f).display()
        ))
    };
    let t1 = Instant::now();
    let mut engine = Engine::new(&c).map_err(|e| match e {
        // Refused by the memory budget: the input is too large for this machine.
        crate::solve::SolveFailure::Linear(crate::solve::sparse::SolveError::TooLarge(m)) => {
            RunError::Input(format!(
                "error: {}: {m}\n   = hint: {}\n",
                path.display(),
                crate::circuit::budget::HINT
            ))
        }
        e => RunError::Analysis(format!("error: {e}\n")),
    })?;
    let t_setup = t1.elapsed();
    if !quiet {
        println!(
            "{}: {} nodes, {} unknowns, {} elements; parsed in {:.3} s, set up in {:.3} s ({})",
            path.display(),
            c.nodes.len() - 1,
            engine.sys.n(),
            c.resistors.len()
                + c.vsources.len()
                + c.isources.len()
                + c.memristors.len()
                + c.branches.len()
                + c.controlled.len(),
            t_parse.as_secs_f64(),
            t_setup.as_secs_f64(),
            if engine.solver.is_iterative() {
                "CG with strong-coupling preconditioner"
            } else if engine.solver.is_cholesky() {
                "Cholesky"
            } else {
                "LU"
            },
        );
    }
    if c.analyses.is_empty() && !quiet {
        println!("  no analysis cards (.op, .dc): nothing to run");
    }
    for a in &c.analyses {
        nonfinite_check(path)?;
        let t = Instant::now();
        match a {
            Analysis::Op => {
                let r = op::run(&mut engine).map_err(|e| {
                    RunError::Analysis(format!("error: {}: .op failed: {e}\n", path.display()))
                })?;
                drain_warnings(&mut engine, path);
                let tw = Instant::now();
                report::write_op_csv(&out.join("op.csv"), &r.names, &r.values)
                    .map_err(|e| io(e, "op.csv"))?;
                for xb in &c.crossbars {
                    let f = format!("{}_vcell.csv", xb.name);
                    let v = &engine.sys.v;
                    let cells: Vec<f64> =
                        xb.t.iter()
                            .zip(&xb.b)
                            .map(|(t, b)| v[t.idx()] - v[b.idx()])
                            .collect();
                    report::write_matrix_csv(&out.join(&f), xb.cols, &cells)
                        .map_err(|e| io(e, &f))?;
                    let png = format!("{}_vcell.png", xb.name);
                    let title = format!(
                        "{}: voltage across each device ({}x{})",
                        xb.name, xb.rows, xb.cols
                    );
                    report::plot::heatmap(&out.join(&png), &title, "V", xb.rows, xb.cols, &cells)
                        .map_err(|e| io(e, &png))?;
                }
                if timing {
                    let s = &engine.solver;
                    eprintln!(
                        "[timing] .op: factor {:.3} s ({}, nnz(L) {}), solve {:.3} s ({}, {} CG iterations), rest {:.3} s, write op.csv {:.3} s",
                        s.factor_secs,
                        s.factorizations,
                        s.factor_nnz(),
                        s.solve_secs,
                        s.solves,
                        s.cg_iterations,
                        (tw - t).as_secs_f64() - s.factor_secs - s.solve_secs,
                        tw.elapsed().as_secs_f64()
                    );
                }
                if !quiet {
                    println!(
                        "  .op: {} iteration(s), {} factorization(s) ({}), {:.3} s -> {}",
                        r.stats.iterations,
                        r.stats.factorizations,
                        r.stats.method,
                        t.elapsed().as_secs_f64(),
                        out.join("op.csv").display()
                    );
                }
            }
            Analysis::Dc {
                source,
                start,
                stop,
                step,
            } => {
                let r = dc::run(&mut engine, *source, *start, *stop, *step);
                drain_warnings(&mut engine, path);
                report::write_table_csv(&out.join("dc.csv"), &r.names, &r.rows)
                    .map_err(|e| io(e, "dc.csv"))?;
                if let Some((x, err)) = r.failure {
                    return Err(RunError::Analysis(format!(
                        "error: {}: .dc failed at {} = {x}: {err}\n  ({} completed point(s) written to {})\n",
                        path.display(),
                        r.names[0],
                        r.rows.len(),
                        out.join("dc.csv").display()
                    )));
                }
                if !quiet {
                    println!(
                        "  .dc {}: {} point(s), {} iteration(s), {} factorization(s), {:.3} s -> {}",
                        r.names[0],
                        r.rows.len(),
                        r.stats.iterations,
                        r.stats.factorizations,
                        t.elapsed().as_secs_f64(),
                        out.join("dc.csv").display()
                    );
                }
            }
            Analysis::Sizing(spec) => {
                let xname = &c.crossbars[spec.xbar].name;
                let r = sizing::run(&c, spec).map_err(|e| {
                    RunError::Analysis(format!("error: {}: .sizing {xname}: {e}\n", path.display()))
                })?;
                let (label, crit) = match spec.metric {
                    sizing::Metric::Vmm => ("vmm_error_pct", format!("error <= {} %", spec.limit)),
                    sizing::Metric::Read => {
                        ("read_margin_pct", format!("margin >= {} %", spec.limit))
                    }
                };
                report::write_atomic(&out.join("sizing.csv"), |w| {
                    writeln!(w, "size,{label},meets_criterion")?;
                    for (n, f, ok) in &r.points {
                        writeln!(w, "{n},{f:e},{ok}")?;
                    }
                    Ok(())
                })
                .map_err(|e| io(e, "sizing.csv"))?;
                let series = [report::plot::Series {
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
                report::plot::curves(
                    &out.join("sizing.png"),
                    &title,
                    "array size N",
                    label,
                    &series,
                    Some((spec.limit, &crit)),
                )
                .map_err(|e| io(e, "sizing.png"))?;
                if !quiet {
                    match r.best {
                        Some(n) => println!(
                            "  .sizing {xname}: largest array with {crit}: {n}x{n} ({:.3} s) -> {}",
                            t.elapsed().as_secs_f64(),
                            out.join("sizing.csv").display()
                        ),
                        None => println!(
                            "  .sizing {xname}: no listed size meets {crit} ({:.3} s) -> {}",
                            t.elapsed().as_secs_f64(),
                            out.join("sizing.csv").display()
                        ),
                    }
                }
            }
            Analysis::Perceptron(spec) => {
                super::perceptron::run_and_write(&c, spec, path, out, quiet)?;
            }
            Analysis::Read(spec) => {
                let xname = &c.crossbars[spec.xbar].name;
                let r = read::run(&c, spec).map_err(|e| {
                    RunError::Analysis(format!("error: {}: .read {xname}: {e}\n", path.display()))
                })?;
                report::write_read(&out.join("read.csv"), spec, &r)
                    .map_err(|e| io(e, "read.csv"))?;
                nonfinite_check(path)?;
                if !quiet {
                    let a = &r.cases[0];
                    println!(
                        "  .read {xname} ({},{}) at {} V, {}: cell {:.4e} A, column {:.4e} A, sneak {:.4e} A; worst-case margin {:.4e} A ({:.2} %), {:.3} s -> {}",
                        spec.row,
                        spec.col,
                        spec.v,
                        spec.scheme.name(),
                        a.i_cell,
                        a.i_column,
                        a.i_sneak,
                        r.margin,
                        100.0 * r.margin_rel,
                        t.elapsed().as_secs_f64(),
                        out.join("read.csv").display()
                    );
                }
            }
            Analysis::Program(spec) => {
                let xname = &c.crossbars[spec.xbar].name;
                let n = spec.target.len();
                let bar = device_bar(".program", (n * spec.cycles) as u64, quiet);
                // Without a terminal the bar is hidden: a line per tenth of a
                // cycle on stderr instead, so long runs in logs show progress.
                let plain = bar.is_hidden() && !quiet;
                let r = program::run(&c, spec, |cyc, done, total| {
                    if done == 1 || done == total || done % 16 == 0 {
                        bar.set_message(format!("{xname} cycle {}", cyc + 1));
                        bar.set_position((cyc * total + done) as u64);
                    }
                    if plain && (done * 10 / total) != ((done - 1) * 10 / total) {
                        eprintln!(
                            "  .program {xname}: cycle {} of {}, {done}/{total} devices, {:.1} s",
                            cyc + 1,
                            spec.cycles,
                            t.elapsed().as_secs_f64()
                        );
                    }
                })
                .map_err(|e| {
                    RunError::Analysis(format!(
                        "error: {}: .program {xname}: {e}\n",
                        path.display()
                    ))
                })?;
                bar.finish_and_clear();
                let secs = t.elapsed().as_secs_f64();
                report::program::write_program(out, xname, spec, &r, secs)
                    .map_err(|e| io(e, "program.json"))?;
                if let Some(err) = &r.failure {
                    return Err(RunError::Analysis(format!(
                        "error: {}: .program {xname} stopped after {} cycle(s): {err}\n  (results so far written to {})\n",
                        path.display(),
                        r.cycles.len(),
                        out.join("program.json").display()
                    )));
                }
                if !quiet {
                    println!(
                        "  .program {xname}: {} x {}, {}, {}, {} cycle(s): mean |error| {:.2} % (devices alone: {:.2} %), {:.2} % of switchable devices within {} %, {} stuck, {} failed, {} disturbed; {} pulses, {} reads, {} solves, {:.3} s -> {}",
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
                        r.pulses(),
                        r.reads(),
                        r.solver.solves,
                        secs,
                        out.join("program.json").display()
                    );
                }
            }
            Analysis::Thresholds(spec) => {
                let xname = &c.crossbars[spec.xbar].name;
                let xb = &c.crossbars[spec.xbar];
                let n = xb.rows * xb.cols;
                let bar = device_bar(".thresholds", n as u64, quiet);
                bar.set_message(xname.clone());
                let plain = bar.is_hidden() && !quiet;
                let r = thresholds::run(&c, spec, |done, total| {
                    if done == 1 || done == total || done % 16 == 0 {
                        bar.set_position(done as u64);
                    }
                    if plain && (done * 10 / total) != ((done - 1) * 10 / total) {
                        eprintln!(
                            "  .thresholds {xname}: {done}/{total} devices, {:.1} s",
                            t.elapsed().as_secs_f64()
                        );
                    }
                })
                .map_err(|e| {
                    RunError::Analysis(format!(
                        "error: {}: .thresholds {xname}: {e}\n",
                        path.display()
                    ))
                })?;
                bar.finish_and_clear();
                let secs = t.elapsed().as_secs_f64();
                report::thresholds::write_thresholds(out, xname, spec, &r, secs)
                    .map_err(|e| io(e, "thresholds.json"))?;
                if let Some(err) = &r.failure {
                    return Err(RunError::Analysis(format!(
                        "error: {}: .thresholds {xname} stopped after {} device(s): {err}\n  (results so far written to {})\n",
                        path.display(),
                        r.measured,
                        out.join("thresholds.json").display()
                    )));
                }
                if !quiet {
                    let (m, d) = (r.measured_summary(), r.model_summary());
                    // Statistics of fewer than two devices are undefined: n/a.
                    let f = |x: f64, p: usize| {
                        if x.is_finite() {
                            format!("{x:.p$}")
                        } else {
                            "n/a".to_string()
                        }
                    };
                    println!(
                        "  .thresholds {xname}: {} x {}, {}: set {} +- {} V, reset {} +- {} V, correlation {} over {} switchable devices ({} unswitchable); model card's draws for them: set {} +- {} V, reset {} +- {} V; {} pulses, {} reads, {:.3} s -> {}",
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
                        secs,
                        out.join("thresholds.json").display()
                    );
                }
            }
            Analysis::Pulses(seq) => {
                let xname = &c.crossbars[seq.xbar].name;
                let r = program::run_pulses(&c, seq).map_err(|e| {
                    RunError::Analysis(format!("error: {}: .pulse {xname}: {e}\n", path.display()))
                })?;
                let files = report::program::write_pulses(out, xname, &r)
                    .map_err(|e| io(e, "pulses.csv"))?;
                if let Some(err) = &r.failure {
                    return Err(RunError::Analysis(format!(
                        "error: {}: .pulse {xname} stopped after {} pulse(s): {err}\n",
                        path.display(),
                        r.records.len()
                    )));
                }
                if !quiet {
                    println!(
                        "  .pulse {xname}: {} pulse(s), {} solve(s), {} line sweep(s), {} Newton iteration(s), {} factorization(s), {:.3} s -> {}",
                        r.records.len(),
                        r.solver.solves,
                        r.solver.sweeps,
                        r.solver.iterations,
                        r.solver.factorizations,
                        t.elapsed().as_secs_f64(),
                        files[0].display()
                    );
                }
            }
            Analysis::Vmm {
                xbar,
                inputs,
                rdrive,
                rsense,
            } => {
                let xname = &c.crossbars[*xbar].name;
                let r = vmm::run(&c, *xbar, inputs, *rdrive, *rsense).map_err(|e| {
                    RunError::Analysis(format!("error: {}: .vmm {xname}: {e}\n", path.display()))
                })?;
                report::write_vmm(&out.join("vmm.csv"), &out.join("vmm_error.csv"), &r)
                    .map_err(|e| io(e, "vmm.csv"))?;
                if !r.first_drop.is_empty() {
                    let xb = &c.crossbars[*xbar];
                    let f = format!("{xname}_vmm_irdrop");
                    report::write_matrix_csv(&out.join(format!("{f}.csv")), xb.cols, &r.first_drop)
                        .map_err(|e| io(e, &f))?;
                    let title = format!("{xname}: IR drop of vector 0 (V_in - V_cell)");
                    report::plot::heatmap(
                        &out.join(format!("{f}.png")),
                        &title,
                        "V",
                        xb.rows,
                        xb.cols,
                        &r.first_drop,
                    )
                    .map_err(|e| io(e, &f))?;
                }
                nonfinite_check(path)?;
                if let Some((k, err)) = &r.failure {
                    return Err(RunError::Analysis(format!(
                        "error: {}: .vmm {xname} failed at vector {k}: {err}\n  ({k} completed vector(s) written to {})\n",
                        path.display(),
                        out.join("vmm.csv").display()
                    )));
                }
                if !quiet {
                    let n = r.rel_error.len().max(1) as f64;
                    let mean = r.rel_error.iter().sum::<f64>() / n;
                    let max = r.rel_error.iter().cloned().fold(0.0, f64::max);
                    println!(
                        "  .vmm {xname}: {} vector(s), relative error vs ideal: mean {:.3} %, max {:.3} %; {} iteration(s), {} factorization(s), {:.3} s -> {}",
                        r.rel_error.len(),
                        100.0 * mean,
                        100.0 * max,
                        r.iterations,
                        r.factorizations,
                        t.elapsed().as_secs_f64(),
                        out.join("vmm.csv").display()
                    );
                }
            }
        }
    }
    nonfinite_check(path)?;
    Ok(())
}

/// Ends the output folder's run (and releases its lock) however `run_one` returns.
struct EndRun;
impl Drop for EndRun {
    fn drop(&mut self) {
        report::files::end_run();
    }
}

/// An analysis that wrote NaN or inf into a result file has failed: the
/// file stays as written (the message counts its NaN/inf fields and names
/// the first line), and the exit code says so.
fn nonfinite_check(path: &Path) -> Result<(), RunError> {
    let bad = report::files::take_nonfinite();
    if bad.is_empty() {
        return Ok(());
    }
    Err(RunError::Analysis(format!(
        "error: {}: the results are not all finite numbers: {}\n   = hint: an overflow (a huge source, state or parameter) or a device law undefined at its voltage (log, sqrt, division by zero)\n",
        path.display(),
        bad.join("; ")
    )))
}

/// Print (to stderr) and forget the engine's accuracy warnings.
fn drain_warnings(engine: &mut Engine, path: &Path) {
    for w in engine.sys.warnings.drain(..) {
        eprintln!("warning: {}: {w}", path.display());
    }
}

/// Progress bar of an analysis that works device by device (`len` steps);
/// hidden when `quiet` or without a terminal.
fn device_bar(directive: &str, len: u64, quiet: bool) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    if quiet {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "  {directive} {{msg}} [{{bar:30}}] {{pos}}/{{len}} devices, {{elapsed}} elapsed, ~{{eta}} left"
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

/// Exit code of a netlist whose run crashed (a panic, or killed by a signal).
pub const CRASHED: u8 = 3;

/// Several netlists: each into its own sub-directory (one netlist: `out`
/// itself). With more than one, each runs in a child process of its own, so
/// that nothing one netlist does (a panic, an abort, running out of memory,
/// a kill) stops the others; `out/batch.csv` lists every netlist's outcome.
pub fn run_many(netlists: &[PathBuf], out: &Path, quiet: bool) -> u8 {
    if netlists.len() == 1 {
        return in_process(&netlists[0], || run_one(&netlists[0], out, quiet).err());
    }
    let jobs = batch_jobs(netlists, out);
    // The batch's folder is a run's folder too: what an earlier run wrote
    // there (a single netlist's results, an older batch.csv) is removed.
    if let Err(e) = report::files::begin_run(out) {
        eprintln!("error: cannot use output directory {}: {e}", out.display());
        return 2;
    }
    let _run = EndRun;
    let mut rows = Vec::new();
    let mut worst = 0u8;
    for (p, dir) in &jobs {
        let t = Instant::now();
        let mut args: Vec<std::ffi::OsString> =
            vec!["run".into(), p.into(), "-o".into(), dir.into()];
        if quiet {
            args.push("-q".into());
        }
        let (code, status) = child(&args);
        worst = worst.max(code);
        rows.push((
            p.clone(),
            dir.clone(),
            status,
            code,
            t.elapsed().as_secs_f64(),
        ));
    }
    let summary = out.join("batch.csv");
    let written = std::fs::create_dir_all(out).and_then(|_| {
        report::write_atomic(&summary, |w| {
            writeln!(w, "netlist,output,status,exit_code,seconds")?;
            for (p, d, status, code, secs) in &rows {
                writeln!(
                    w,
                    "{},{},{status},{code},{secs:.3}",
                    csv_field(&p.display().to_string()),
                    csv_field(&d.display().to_string())
                )?;
            }
            Ok(())
        })
    });
    if let Err(e) = written {
        eprintln!("error: cannot write {}: {e}", summary.display());
        worst = worst.max(1);
    }
    let failed: Vec<String> = rows
        .iter()
        .filter(|r| r.3 != 0)
        .map(|r| format!("{} ({})", r.0.display(), r.2))
        .collect();
    if !quiet {
        println!(
            "{} of {} netlist(s) ran without error -> {}",
            rows.len() - failed.len(),
            rows.len(),
            summary.display()
        );
        if !failed.is_empty() {
            println!("failed: {}", failed.join(", "));
        }
    }
    worst
}

/// The batch's (netlist, output folder) pairs. A netlist listed twice runs
/// once; two netlists with one file name get `NAME`, `NAME-2`, … (said on
/// stderr), so no folder is shared.
fn batch_jobs(netlists: &[PathBuf], out: &Path) -> Vec<(PathBuf, PathBuf)> {
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut used: std::collections::HashMap<String, usize> = Default::default();
    let mut jobs = Vec::new();
    for p in netlists {
        let canon = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
        if seen.contains(&canon) {
            eprintln!("warning: {} is listed twice; it runs once", p.display());
            continue;
        }
        seen.push(canon);
        let stem = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| !s.is_empty() && !s.starts_with('.'))
            .unwrap_or_else(|| "netlist".into());
        let n = used.entry(stem.to_lowercase()).or_insert(0);
        *n += 1;
        let name = if *n == 1 {
            stem
        } else {
            let name = format!("{stem}-{n}");
            eprintln!(
                "warning: another netlist of this batch is also named '{stem}': the results of {} go to {}",
                p.display(),
                out.join(&name).display()
            );
            name
        };
        jobs.push((p.clone(), out.join(name)));
    }
    jobs
}

/// A CSV field, quoted when it must be.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Run this executable with `args` (its output goes to ours), passing the
/// memory limit on; returns the exit code to report and a status word.
fn child(args: &[std::ffi::OsString]) -> (u8, String) {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => return (CRASHED, format!("not started: {e}")),
    };
    let status = std::process::Command::new(exe)
        .args(args)
        .arg("--max-memory")
        .arg(crate::circuit::budget::max_memory().to_string())
        .status();
    match status {
        Err(e) => (CRASHED, format!("not started: {e}")),
        Ok(s) => match s.code() {
            Some(0) => (0, "ok".into()),
            Some(1) => (1, "analysis failed".into()),
            Some(2) => (2, "input error".into()),
            Some(c) => (CRASHED, format!("crashed (exit {c})")),
            None => {
                #[cfg(unix)]
                {
                    use std::os::unix::process::ExitStatusExt;
                    let sig = s.signal().unwrap_or(0);
                    eprintln!(
                        "error: {}: the run was killed by signal {sig}{} (its completed results are kept)",
                        args.get(1).map(|a| a.to_string_lossy().into_owned()).unwrap_or_default(),
                        match sig {
                            6 => " (abort: out of memory?)",
                            9 => " (SIGKILL: out of memory?)",
                            11 => " (segmentation fault)",
                            _ => "",
                        }
                    );
                    (CRASHED, format!("crashed (signal {sig})"))
                }
                #[cfg(not(unix))]
                (CRASHED, "crashed".into())
            }
        },
    }
}

/// Run `f` here; a panic (a bug) becomes exit code [`CRASHED`] and a message
/// instead of tearing the process down.
fn in_process(p: &Path, f: impl FnOnce() -> Option<RunError>) -> u8 {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(None) => 0,
        Ok(Some(e)) => {
            match &e {
                RunError::Input(s) | RunError::Analysis(s) => eprint!("{s}"),
            }
            e.code()
        }
        Err(_) => {
            eprintln!(
                "error: {}: internal error (a bug in xbarsim; please report it with this netlist); completed results are kept",
                p.display()
            );
            CRASHED
        }
    }
}

/// Check netlists; several run in child processes, like `run`.
pub fn check_many(netlists: &[PathBuf]) -> u8 {
    if netlists.len() == 1 {
        let p = &netlists[0];
        return in_process(p, || match prepare(p) {
            Ok((_, c)) => {
                println!(
                    "{}: ok ({} nodes, {} analyses)",
                    p.display(),
                    c.nodes.len() - 1,
                    c.analyses.len()
                );
                None
            }
            Err(e) => Some(e),
        });
    }
    let mut worst = 0u8;
    for p in netlists {
        let (code, _) = child(&["check".into(), p.into()]);
        worst = worst.max(code);
    }
    worst
}

/// `xbarsim export`: the elaborated circuit as a flat ngspice netlist.
pub fn export(path: &Path, out: &Path) -> u8 {
    let (_deck, c) = match prepare(path) {
        Ok(x) => x,
        Err(e) => {
            let (RunError::Input(s) | RunError::Analysis(s)) = &e;
            eprint!("{s}");
            return e.code();
        }
    };
    if out.as_os_str() == "-" {
        let mut w = std::io::BufWriter::new(std::io::stdout().lock());
        return match report::spice::write_flat(&c, &path.display().to_string(), &mut w)
            .and_then(|_| std::io::Write::flush(&mut w))
        {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("error: cannot write the flat netlist to standard output: {e}");
                1
            }
        };
    }
    match report::write_atomic(out, |w| {
        report::spice::write_flat(&c, &path.display().to_string(), w)
    }) {
        Ok(()) => {
            println!("{} -> {}", path.display(), out.display());
            0
        }
        Err(e) if e.kind() == std::io::ErrorKind::Other => {
            // Refused: the target is an input or not a regular file.
            eprintln!("error: {e}");
            2
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", out.display());
            1
        }
    }
}
