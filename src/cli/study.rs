//! Running a `.step` study: every point (the netlist elaborated with its
//! values) is planned and run into `out/point_<k>/`, up to `jobs` points at
//! a time, each on a thread of its own (a run's folder state is per
//! thread; each thread keeps the symbolic analysis of the last structure
//! it solved, [`Reuse`]); then `out/steps.csv` gets one row per point, and
//! `out/manifest.json` says what the run was.
//!
//! Each point ends with its record (`point.json`, written last, atomically
//! and synced): what its inputs were (a SHA-256 of the netlist, its
//! includes and data files, the point's values and the version), how it
//! ended, its headline numbers, and its files with their hashes (they are
//! not synced one by one). With `--resume`, a point whose record has the
//! same inputs and whose files are intact is not run again, so a study
//! stopped part way (even by SIGKILL or a power loss) is completed by
//! rerunning it, and only the unfinished points run.
//!
//! With `--shard I/N` only the points k with k mod N = I run, and the
//! shard's rows go to `out/shard_I_of_N.json` for `xbarsim merge`.

use super::run::{begin, in_order, now_ms, progress_bar, run_in, Draft, Opts, RunError, CRASHED};
use crate::analysis::study::Study;
use crate::analysis::Reuse;
use crate::netlist::Deck;
use crate::report;
use crate::report::manifest::hex;
use crate::report::study::{PointRecord, PointRow};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Run the study of the netlist at `path`. A point that fails stops none of
/// the others; the error is the worst exit code of the points.
pub(super) fn run_study(
    path: &Path,
    deck: &Deck,
    study: Study,
    out: &Path,
    opts: &Opts,
    draft: &Draft,
) -> Result<(), RunError> {
    let t0 = Instant::now();
    let n = study.points();
    let names: Vec<String> = study.steps.iter().map(|s| s.name.clone()).collect();
    let width = n.to_string().len();
    let inputs = inputs_digest(&draft.inputs);
    let folder_of = |k: usize| format!("point_{:0width$}", k + 1);
    let job = |k: usize| {
        let values = study.point(k);
        let sample = study.sample(k);
        // The values fixed for the whole study, then the point's own.
        let planned: Vec<(String, f64)> = opts.fixed.iter().chain(&values).cloned().collect();
        Job {
            key: point_key(&inputs, &planned, sample.map(|s| s.1)),
            dir: out.join(folder_of(k)),
            folder: folder_of(k),
            values,
            planned,
            sample,
        }
    };
    if let Some(p) = opts.point {
        // One point alone (a sample rerun, a point looked at closely).
        if p == 0 || p > n {
            return Err(RunError::Input(format!(
                "error: {}: --point {p}: the study has {n} point(s)\n",
                path.display()
            )));
        }
        let job = job(p - 1);
        let row = run_point(path, deck, &job, &mut Reuse::default(), true);
        if !opts.quiet {
            println!(
                "{}: point {p} of {n}: {} -> {}",
                path.display(),
                row.status,
                job.dir.display()
            );
        }
        return match row.code {
            0 => Ok(()),
            code => Err(RunError::Study(code)),
        };
    }
    // A whole study owns its folder from the start (a second one into it
    // at the same time is refused): what an earlier run wrote there goes,
    // its point folders of another grid or netlist too. Shards share the
    // folder and leave it to the merge.
    let _run = match opts.shard {
        None => {
            let run = begin(out)?;
            let ours: std::collections::HashSet<String> = (0..n).map(folder_of).collect();
            remove_stale_points(out, &ours);
            Some(run)
        }
        Some(_) => None,
    };
    // This process's share: every point, or those of its shard.
    let mine: Vec<usize> = match opts.shard {
        Some((i, m)) => (i..n).step_by(m).collect(),
        None => (0..n).collect(),
    };
    let skipped = AtomicUsize::new(0);
    let bar = progress_bar(
        mine.len() as u64,
        opts.quiet,
        "  .step [{bar:30}] {pos}/{len} points, {elapsed} elapsed, ~{eta} left",
    );
    let rows = in_order(mine.len(), opts.jobs, Reuse::default, |reuse, j| {
        let k = mine[j];
        let job = job(k);
        let done = opts
            .resume
            .then(|| report::study::read_record(&job.dir))
            .flatten()
            .filter(|r| r.inputs == job.key && r.point.status != "crashed")
            .filter(|r| report::study::files_intact(&job.dir, &r.files));
        let row = match done {
            Some(r) => {
                skipped.fetch_add(1, Ordering::Relaxed);
                r.point
            }
            None => run_point(path, deck, &job, reuse, opts.point_plots),
        };
        bar.inc(1);
        row
    });
    bar.finish_and_clear();
    if crate::solve::interrupt::check().is_err() {
        // The points not run have no row: no table of part of the study.
        return Err(RunError::Analysis(format!(
            "error: {}: study interrupted; the points finished are in their folders\n",
            path.display()
        )));
    }
    let mut what: Vec<String> = names.clone();
    if let Some(m) = &study.mc {
        what.push(format!("{} samples", m.samples));
    }
    let target = match opts.shard {
        Some((i, m)) => {
            // No table: `xbarsim merge` makes it from all the shards.
            let manifest = report::study::ShardManifest {
                version: env!("CARGO_PKG_VERSION").to_string(),
                netlist: path.display().to_string(),
                study: hex(inputs.clone().finalize().as_slice()),
                points: n,
                names: names.clone(),
                mc: study.mc.is_some(),
                shard: i,
                shards: m,
                finished_ms: now_ms(),
                indices: mine.clone(),
                rows: rows.clone(),
            };
            let file = out.join(report::study::shard_file(i, m));
            std::fs::create_dir_all(out)
                .and_then(|_| report::study::write_shard(out, &manifest))
                .map_err(|e| {
                    RunError::Analysis(format!("error: cannot write {}: {e}\n", file.display()))
                })?;
            what.push(format!("shard {i} of {m}"));
            file
        }
        None => {
            let table = write_table(out, &names, &rows, study.mc.is_some())?;
            let worst = rows.iter().map(|r| r.code).max().unwrap_or(0);
            draft.write(out, (worst > 0).then_some(&RunError::Study(worst)), n)?;
            table
        }
    };
    let failed = rows.iter().filter(|r| r.code != 0).count();
    if !opts.quiet {
        let skipped = skipped.load(Ordering::Relaxed);
        println!(
            "{}: study {}: {} point(s), {} ok, {failed} failed{}, {:.3} s -> {}",
            path.display(),
            what.join(" x "),
            rows.len(),
            rows.len() - failed,
            if skipped > 0 {
                format!(" ({skipped} already done, not run again)")
            } else {
                String::new()
            },
            t0.elapsed().as_secs_f64(),
            target.display()
        );
    }
    match rows.iter().map(|r| r.code).max().unwrap_or(0) {
        0 => Ok(()),
        code => Err(RunError::Study(code)),
    }
}

/// Remove the point folders in `out` that an earlier study wrote (a
/// `point_<digits>` folder with a record) and that are not in `ours`: the
/// files their runs recorded, their record and bookkeeping, and the folder
/// if that leaves it empty (anything else in it stays, and so does it).
fn remove_stale_points(out: &Path, ours: &std::collections::HashSet<String>) {
    let Ok(entries) = std::fs::read_dir(out) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let numbered = name
            .strip_prefix("point_")
            .is_some_and(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()));
        let dir = e.path();
        if !numbered || ours.contains(&name) || !dir.join(report::study::RECORD).is_file() {
            continue;
        }
        // A run into it removes what its last run recorded (and nothing else).
        if report::files::begin_run(&dir).is_ok() {
            report::files::end_run();
        }
        for f in [
            report::study::RECORD,
            report::files::JOURNAL,
            report::files::LOCK,
        ] {
            let _ = std::fs::remove_file(dir.join(f));
        }
        let _ = std::fs::remove_dir(&dir);
    }
}

/// Write a study's table (`steps.csv`) and, unless it is a Monte Carlo
/// study, its plots into `out`, inside a run into `out`; returns the table.
pub(super) fn write_table(
    out: &Path,
    names: &[String],
    rows: &[PointRow],
    mc: bool,
) -> Result<std::path::PathBuf, RunError> {
    let table = out.join("steps.csv");
    report::study::write_steps(&table, names, rows).map_err(|e| {
        RunError::Analysis(format!("error: cannot write {}: {e}\n", table.display()))
    })?;
    if !mc {
        report::study::plot_steps(out, names, rows).map_err(|e| {
            RunError::Analysis(format!(
                "error: cannot write a plot into {}: {e}\n",
                out.display()
            ))
        })?;
    }
    Ok(table)
}

/// One point of a study: its values, Monte Carlo sample, inputs key and folder.
struct Job {
    /// The stepped values (the row of `steps.csv`).
    values: Vec<(String, f64)>,
    /// What the point is planned with: the study's fixed values, then
    /// `values`.
    planned: Vec<(String, f64)>,
    sample: Option<(usize, u64)>,
    key: String,
    dir: std::path::PathBuf,
    folder: String,
}

/// Run one point into its folder and leave its record there (last).
fn run_point(path: &Path, deck: &Deck, job: &Job, reuse: &mut Reuse, plots: bool) -> PointRow {
    let t = Instant::now();
    let Job {
        values,
        planned,
        sample,
        key,
        dir,
        folder,
    } = job;
    let sample = *sample;
    let run = || -> (String, u8, Vec<(String, f64)>) {
        let _run = match begin(dir) {
            Ok(g) => g,
            Err(e) => return report_error(folder, values, e),
        };
        report::files::set_durable(false);
        report::files::set_plots(plots);
        let res = crate::analysis::plan_with(deck, planned, sample.map(|s| s.1))
            .map_err(|d| RunError::Input(d.render(&deck.sources)))
            .and_then(|p| {
                let rebuild = crate::analysis::rebuilder(deck, planned, sample.map(|s| s.1));
                run_in(
                    path,
                    &p,
                    dir,
                    true,
                    t.elapsed(),
                    reuse,
                    Some(&rebuild),
                    &mut |_, _| {},
                )
            });
        let (status, code, scalars) = match res {
            Ok(sc) => ("ok".to_string(), 0, sc),
            Err(e) => report_error(folder, values, e),
        };
        let files: std::io::Result<Vec<_>> = report::files::written()
            .iter()
            .map(|p| report::study::digest(p))
            .collect();
        let files = match files {
            Ok(f) => f,
            Err(e) => {
                eprintln!("error: {folder}: cannot read back its files: {e}");
                return ("analysis failed".into(), 1, scalars);
            }
        };
        report::files::set_durable(true);
        // Stopped part way (Python's Ctrl-C): no record, so a resumed study
        // runs the point again.
        if crate::solve::interrupt::check().is_err() {
            return ("interrupted".into(), 1, scalars);
        }
        let record = PointRecord {
            inputs: key.clone(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            names: values.iter().map(|v| v.0.clone()).collect(),
            finished_ms: now_ms(),
            point: PointRow {
                folder: folder.clone(),
                values: values.iter().map(|v| v.1).collect(),
                sample,
                status: status.clone(),
                code,
                seconds: t.elapsed().as_secs_f64(),
                scalars: scalars.clone(),
            },
            files,
        };
        if let Err(e) = report::study::write_record(dir, &record) {
            eprintln!("error: {folder}: cannot write its record: {e}");
            return ("analysis failed".into(), 1, scalars);
        }
        (status, code, scalars)
    };
    let (status, code, scalars) = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run))
    {
        Ok(r) => r,
        Err(_) => {
            eprintln!("error: {}: {folder}: internal error (a bug in xbarsim; please report it with this netlist); completed results are kept", path.display());
            ("crashed".to_string(), CRASHED, Vec::new())
        }
    };
    PointRow {
        folder: folder.clone(),
        values: values.iter().map(|v| v.1).collect(),
        sample,
        status,
        code,
        seconds: t.elapsed().as_secs_f64(),
        scalars,
    }
}

/// Say why a point failed (with its values); its status and exit code.
fn report_error(
    folder: &str,
    values: &[(String, f64)],
    e: RunError,
) -> (String, u8, Vec<(String, f64)>) {
    let at: Vec<String> = values.iter().map(|(k, v)| format!("{k}={v}")).collect();
    eprint!("{folder} ({}): {}", at.join(" "), e.message());
    let status = match e {
        RunError::Input(_) => "input error",
        _ => "analysis failed",
    };
    (status.to_string(), e.code(), Vec::new())
}

/// SHA-256 state over what every point depends on: the version and every
/// input (the netlist, its includes, the data files they read) by content,
/// in reading order (not by path: the same netlist named by another path,
/// or run from another folder, is the same study).
fn inputs_digest(inputs: &[crate::report::manifest::InputFile]) -> Sha256 {
    let mut h = Sha256::new();
    h.update(concat!("xbarsim ", env!("CARGO_PKG_VERSION"), "\n"));
    for f in inputs {
        h.update(f.sha256.as_bytes());
        h.update([0]);
    }
    h
}

/// The inputs key of one point: the study's digest, the point's values and
/// its sample's seed.
fn point_key(inputs: &Sha256, values: &[(String, f64)], seed: Option<u64>) -> String {
    let mut h = inputs.clone();
    for (k, v) in values {
        h.update(k.as_bytes());
        h.update([b'=']);
        h.update(v.to_bits().to_le_bytes());
    }
    if let Some(s) = seed {
        h.update(b"seed=");
        h.update(s.to_le_bytes());
    }
    hex(h.finalize().as_slice())
}
