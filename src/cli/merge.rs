//! `xbarsim merge DIR... -o OUT`: the table of a study run in shards
//! (`xbarsim run --shard I/N`), from the shards' manifests; or of a batch
//! run in shards (each of its studies merged in its folder, then
//! `batch.csv`).
//!
//! The manifests found in the folders are grouped by study (the SHA-256 of
//! its inputs) and by N. The group used is the one whose shards are all
//! there (of one study split twice, the newest); manifests of another
//! splitting or of an older version of the netlist are left alone and
//! named. Anything short of one complete, consistent set (a shard missing,
//! found twice, points not covered exactly once, a point folder beside its
//! manifest without its record or with files not as recorded) is an input
//! error that writes nothing. The table's `point` column names the folders
//! as the shards wrote them (beside their manifests).

use super::run::{begin, now_ms, Draft, RunError};
use super::study::write_table;
use crate::report::study::{read_shards, ShardManifest};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Exit code: 0 every point ok, 1 some point failed (the table is written
/// all the same), 2 the shards are not one complete study.
pub fn merge(dirs: &[PathBuf], out: &Path, quiet: bool) -> u8 {
    match merged(dirs, out, quiet) {
        Ok(code) => code,
        Err(e) => {
            eprint!("{}", e.message());
            e.code()
        }
    }
}

/// Every manifest `read` finds in the folders, each once (a folder named
/// twice is read once); one that cannot be read is an error.
fn gather<T>(
    dirs: &[PathBuf],
    read: impl Fn(&Path) -> std::io::Result<Vec<(PathBuf, Result<T, String>)>>,
) -> Result<Vec<(PathBuf, T)>, RunError> {
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut found = Vec::new();
    for d in dirs {
        let list =
            read(d).map_err(|e| input(format!("cannot read the folder {}: {e}", d.display())))?;
        for (path, m) in list {
            let canon = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if seen.contains(&canon) {
                continue;
            }
            seen.push(canon);
            let m = m.map_err(|why| input(format!("{}: {why}", path.display())))?;
            found.push((path, m));
        }
    }
    Ok(found)
}

/// The shards of one splitting by index, each with the file it came from.
type Splitting<T> = BTreeMap<usize, (PathBuf, T)>;

/// Manifests grouped by splitting (`key` gives the group and the shard
/// index); a shard index twice in one group is an error (`label` names it).
fn by_splitting<K: Ord, T>(
    found: Vec<(PathBuf, T)>,
    key: impl Fn(&T) -> (K, usize),
    label: impl Fn(&T) -> String,
) -> Result<BTreeMap<K, Splitting<T>>, RunError> {
    let mut groups: BTreeMap<K, Splitting<T>> = BTreeMap::new();
    for (path, m) in found {
        let (k, i) = key(&m);
        let g = groups.entry(k).or_default();
        if let Some((other, _)) = g.get(&i) {
            return Err(input(format!(
                "{} is found twice: {} and {}",
                label(&m),
                other.display(),
                path.display()
            )));
        }
        g.insert(i, (path, m));
    }
    Ok(groups)
}

/// The shard indices from 0 to `n` − 1 that `g` lacks.
fn missing<T>(n: usize, g: &BTreeMap<usize, T>) -> Vec<String> {
    (0..n)
        .filter(|i| !g.contains_key(i))
        .map(|i| i.to_string())
        .collect()
}

fn input(msg: String) -> RunError {
    RunError::Input(format!("error: merge: {msg}\n"))
}

fn merged(dirs: &[PathBuf], out: &Path, quiet: bool) -> Result<u8, RunError> {
    if let Some(code) = merge_batch(dirs, out, quiet)? {
        return Ok(code);
    }
    merged_study(dirs, out, quiet)
}

/// The study merge (see the module doc): its exit code.
fn merged_study(dirs: &[PathBuf], out: &Path, quiet: bool) -> Result<u8, RunError> {
    let (t0, started_ms) = (std::time::Instant::now(), now_ms());
    let found: Vec<(PathBuf, ShardManifest)> = gather(dirs, read_shards)?;
    if found.is_empty() {
        let names: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        return Err(input(format!(
            "no shard manifests (shard_I_of_N.json) in {}; they are written by `xbarsim run NETLIST -o DIR --shard I/N`",
            names.join(", ")
        )));
    }
    // Group by (study, N); each shard index once per group.
    let groups = by_splitting(
        found,
        |m| ((m.study.clone(), m.shards), m.shard),
        |m| format!("shard {} of {} of one study", m.shard, m.shards),
    )?;
    let describe = |(study, n): &(String, usize), g: &Splitting<ShardManifest>| {
        let any = &g.values().next().expect("a group has a shard").1;
        let missing = missing(*n, g);
        format!(
            "{} (inputs {}…), {n} shard(s){}",
            any.netlist,
            &study[..12.min(study.len())],
            if missing.is_empty() {
                String::new()
            } else {
                format!(", missing shard(s) {}", missing.join(", "))
            }
        )
    };
    let complete: Vec<_> = groups.iter().filter(|((_, n), g)| g.len() == *n).collect();
    // One study may have been split twice (another N): its newest complete set.
    let newest =
        |g: &Splitting<ShardManifest>| g.values().map(|(_, m)| m.finished_ms).max().unwrap_or(0);
    let one_study = complete.windows(2).all(|w| w[0].0 .0 == w[1].0 .0);
    let (key, group) = match complete.as_slice() {
        [one] => *one,
        many @ [_, _, ..] if one_study => *many
            .iter()
            .max_by_key(|(_, g)| newest(g))
            .expect("two or more"),
        [] => {
            let all: Vec<String> = groups.iter().map(|(k, g)| describe(k, g)).collect();
            return Err(input(format!(
                "no complete set of shards: {}",
                all.join("; ")
            )));
        }
        many => {
            let all: Vec<String> = many.iter().map(|(k, g)| describe(k, g)).collect();
            return Err(input(format!(
                "the folders hold more than one complete study: {}; merge each alone",
                all.join("; ")
            )));
        }
    };
    for (k, g) in &groups {
        if k != key && !quiet {
            eprintln!(
                "warning: merge: left out, another study or splitting: {}",
                describe(k, g)
            );
        }
    }
    // One consistent study; every point exactly once.
    let first = &group.values().next().expect("complete").1;
    let mut rows: Vec<Option<crate::report::study::PointRow>> = vec![None; first.points];
    for (path, m) in group.values() {
        if m.points != first.points || m.names != first.names || m.mc != first.mc {
            return Err(input(format!(
                "{} does not describe the same study as {} (points, stepped names)",
                path.display(),
                group.values().next().expect("complete").0.display()
            )));
        }
        for (&k, row) in m.indices.iter().zip(&m.rows) {
            match rows.get_mut(k) {
                Some(slot @ None) => *slot = Some(row.clone()),
                Some(Some(_)) => {
                    return Err(input(format!(
                        "point {} is in two shards (the second: {})",
                        k + 1,
                        path.display()
                    )))
                }
                None => {
                    return Err(input(format!(
                        "{}: point {} is beyond the study's {} points",
                        path.display(),
                        k + 1,
                        first.points
                    )))
                }
            }
        }
    }
    let missing: Vec<String> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_none())
        .map(|(k, _)| (k + 1).to_string())
        .take(20)
        .collect();
    if !missing.is_empty() {
        return Err(input(format!(
            "the shards do not cover point(s) {}",
            missing.join(", ")
        )));
    }
    let rows: Vec<_> = rows.into_iter().flatten().collect();
    // Each point's folder, beside its shard's manifest, holds its record and
    // its files as the record lists them.
    for (path, m) in group.values() {
        let dir = path.parent().unwrap_or(Path::new("."));
        for row in &m.rows {
            let at = dir.join(&row.folder);
            let ok = crate::report::study::read_record(&at).is_some_and(|r| {
                r.point.values == row.values
                    && r.point.status == row.status
                    && r.point.scalars == row.scalars
                    && crate::report::study::files_intact(&at, &r.files)
            });
            if !ok {
                return Err(input(format!(
                    "{}: its record is missing, or its files are not as the record lists them; rerun shard {} of {} with --resume",
                    at.display(),
                    m.shard,
                    m.shards
                )));
            }
        }
    }
    let _run = begin(out)?;
    let table = write_table(out, &first.names, &rows, first.mc)?;
    // The merge's manifest: the shards' manifests are its inputs.
    let draft = Draft {
        netlist: first.netlist.clone(),
        inputs: group
            .values()
            .map(|(p, _)| crate::report::manifest::InputFile::read(p))
            .collect(),
        started_ms,
        t0,
    };
    let worst = rows.iter().map(|r| r.code).max().unwrap_or(0);
    draft.write(
        out,
        (worst > 0).then_some(&RunError::Study(worst)),
        rows.len(),
    )?;
    let failed = rows.iter().filter(|r| r.code != 0).count();
    if !quiet {
        println!(
            "{}: {} shard(s) merged: {} point(s), {} ok, {failed} failed -> {}",
            first.netlist,
            group.len(),
            rows.len(),
            rows.len() - failed,
            table.display()
        );
    }
    Ok(rows.iter().map(|r| r.code).max().unwrap_or(0).min(1))
}

/// A sharded batch (`batch_shard_I_of_N.json` in the folders): each study
/// of the batch merged in its own folder, then the batch's table
/// (`OUT/batch.csv`) as one process writes it: per netlist, the row of the
/// shard that ran it (a plain netlist), or the worst of its shards' rows
/// (a study; the seconds summed). `None` when the folders hold no batch
/// shards.
fn merge_batch(dirs: &[PathBuf], out: &Path, quiet: bool) -> Result<Option<u8>, RunError> {
    use crate::report::batch::{read_shards, BatchRow, BatchShard};
    let (t0, started_ms) = (std::time::Instant::now(), now_ms());
    let groups = by_splitting(
        gather(dirs, read_shards)?,
        |m: &BatchShard| (m.shards, m.shard),
        |m| format!("batch shard {} of {}", m.shard, m.shards),
    )?;
    if groups.is_empty() {
        return Ok(None);
    }
    let complete: Vec<_> = groups.iter().filter(|(n, g)| g.len() == **n).collect();
    let [(_, group)] = complete.as_slice() else {
        let all: Vec<String> = groups
            .iter()
            .map(|(n, g)| format!("{n} shard(s), missing {}", missing(*n, g).join(", ")))
            .collect();
        return Err(input(format!(
            "not one complete set of batch shards: {}",
            all.join("; ")
        )));
    };
    let shards: Vec<&BatchShard> = group.values().map(|(_, m)| m).collect();
    let first = shards[0];
    let same_batch = shards.iter().all(|m| {
        m.rows.len() == first.rows.len()
            && m.rows
                .iter()
                .zip(&first.rows)
                .all(|(a, b)| a.netlist == b.netlist && a.output == b.output)
    });
    if !same_batch {
        return Err(input(
            "the batch shards list different netlists or folders: run every shard with the same netlists in the same order".into(),
        ));
    }
    let mut rows: Vec<BatchRow> = Vec::new();
    for (j, row) in first.rows.iter().enumerate() {
        let parts: Vec<&BatchRow> = shards
            .iter()
            .map(|m| &m.rows[j])
            .filter(|r| r.code != super::run::OTHER_SHARD)
            .collect();
        let code = parts.iter().map(|r| r.code).max().unwrap_or(0);
        let mut merged = BatchRow {
            netlist: row.netlist.clone(),
            output: row.output.clone(),
            status: super::run::status_word(code),
            code,
            seconds: parts.iter().map(|r| r.seconds).sum(),
        };
        if parts.iter().any(|r| r.status.starts_with("crashed")) {
            merged.status = "crashed".into();
        }
        // A study: its shards' manifests are in its folder.
        let is_study = crate::report::study::read_shards(&row.output)
            .map(|l| !l.is_empty())
            .unwrap_or(false);
        if is_study {
            match merged_study(std::slice::from_ref(&row.output), &row.output, true) {
                Ok(_) => {}
                Err(e) => {
                    eprint!("{}", e.message());
                    merged.code = merged.code.max(2);
                    merged.status = super::run::status_word(merged.code);
                }
            }
        }
        rows.push(merged);
    }
    let _run = begin(out)?;
    let code = super::run::finish_batch(out, &rows, t0, started_ms, quiet);
    Ok(Some(code))
}
