//! Running a `.step` study: every point (the netlist elaborated with its
//! values) is planned and run into `out/point_<k>/`, up to `jobs` points at
//! a time, each on a thread of its own (a run's folder state is per
//! thread); then `out/steps.csv` gets one row per point.
//!
//! Each point ends with its record (`point.json`, written last and
//! atomically): what its inputs were (a SHA-256 of the netlist, its
//! includes and data files, the point's values and the version), how it
//! ended, and its headline numbers. With `--resume`, a point whose record
//! has the same inputs is not run again, so a study stopped part way (even
//! by SIGKILL) is completed by rerunning it, and only the unfinished points
//! run.

use super::run::{begin, in_order, progress_bar, run_in, Opts, RunError, CRASHED};
use crate::analysis::study::Study;
use crate::netlist::Deck;
use crate::report;
use crate::report::study::{PointRecord, PointRow};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Run the study of the netlist at `path`. A point that fails stops none of
/// the others; the error is the worst exit code of the points.
pub fn run_study(
    path: &Path,
    deck: &Deck,
    study: Study,
    out: &Path,
    opts: &Opts,
) -> Result<(), RunError> {
    let t0 = Instant::now();
    let n = study.points();
    let names: Vec<String> = study.steps.iter().map(|s| s.name.clone()).collect();
    let width = n.to_string().len();
    let inputs = inputs_digest(deck);
    let folder_of = |k: usize| format!("point_{:0width$}", k + 1);
    let run = |k: usize| {
        let values = study.point(k);
        let sample = study.sample(k);
        let key = point_key(&inputs, &values, sample.map(|s| s.1));
        let dir = out.join(folder_of(k));
        (values, sample, key, dir)
    };
    if let Some(p) = opts.point {
        // One point alone (a sample rerun, a point looked at closely).
        if p == 0 || p > n {
            return Err(RunError::Input(format!(
                "error: {}: --point {p}: the study has {n} point(s)\n",
                path.display()
            )));
        }
        let (values, sample, key, dir) = run(p - 1);
        let row = run_point(path, deck, &values, sample, &dir, folder_of(p - 1), key);
        if !opts.quiet {
            println!(
                "{}: point {p} of {n}: {} -> {}",
                path.display(),
                row.status,
                dir.display()
            );
        }
        return match row.code {
            0 => Ok(()),
            code => Err(RunError::Study(code)),
        };
    }
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
    let rows = in_order(mine.len(), opts.jobs, |j| {
        let k = mine[j];
        let (values, sample, key, dir) = run(k);
        let done = opts
            .resume
            .then(|| report::study::read_record(&dir))
            .flatten()
            .filter(|r| r.inputs == key && r.point.status != "crashed");
        let row = match done {
            Some(r) => {
                skipped.fetch_add(1, Ordering::Relaxed);
                r.point
            }
            None => run_point(path, deck, &values, sample, &dir, folder_of(k), key),
        };
        bar.inc(1);
        row
    });
    bar.finish_and_clear();
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
            let _run = begin(out)?;
            write_table(out, &names, &rows, study.mc.is_some())?
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

/// Milliseconds since the Unix epoch.
fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Lower-case hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Run one point into `dir` and leave its record there (last).
fn run_point(
    path: &Path,
    deck: &Deck,
    values: &[(String, f64)],
    sample: Option<(usize, u64)>,
    dir: &Path,
    folder: String,
    key: String,
) -> PointRow {
    let t = Instant::now();
    let run = || -> (String, u8, Vec<(String, f64)>) {
        let _run = match begin(dir) {
            Ok(g) => g,
            Err(e) => return report_error(&folder, values, e),
        };
        let res = crate::analysis::plan_with(deck, values, sample.map(|s| s.1))
            .map_err(|d| RunError::Input(d.render(&deck.sources)))
            .and_then(|p| run_in(path, &p, dir, true, t.elapsed()));
        let (status, code, scalars) = match res {
            Ok(sc) => ("ok".to_string(), 0, sc),
            Err(e) => report_error(&folder, values, e),
        };
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
        folder,
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

/// SHA-256 state over what every point depends on: the version, the
/// netlist and its includes (as read), and every other input file read so
/// far (data files: conductance maps, inputs, digits), by content.
fn inputs_digest(deck: &Deck) -> Sha256 {
    let mut h = Sha256::new();
    h.update(concat!("xbarsim ", env!("CARGO_PKG_VERSION"), "\n"));
    let mut seen = Vec::new();
    for k in 0..deck.sources.len() {
        let id = crate::netlist::FileId(k as u32);
        let p = deck.sources.path(id);
        seen.push(std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()));
        h.update(p.to_string_lossy().as_bytes());
        h.update([0]);
        h.update(deck.sources.text(id).as_bytes());
        h.update([0]);
    }
    let mut others: Vec<_> = crate::netlist::source::inputs()
        .into_iter()
        .filter(|p| !seen.contains(p))
        .collect();
    others.sort();
    for p in others {
        h.update(p.to_string_lossy().as_bytes());
        h.update([0]);
        match std::fs::read(&p) {
            Ok(bytes) => h.update(&bytes),
            Err(_) => h.update(b"(unreadable)"),
        }
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
