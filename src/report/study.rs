//! `steps.csv`: one row per point of a `.step` study: its folder, the
//! stepped values, its outcome and time, and every analysis' headline
//! numbers (empty where a point did not produce them).

use std::path::Path;

/// One point of a study.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PointRow {
    /// The point's folder name (inside the study's folder).
    pub folder: String,
    /// The stepped values, in `.step` card order.
    pub values: Vec<f64>,
    /// The Monte Carlo sample (index from 0) and its seed, in a `.mc` study.
    pub sample: Option<(usize, u64)>,
    /// `ok`, `analysis failed`, `input error`, `crashed`.
    pub status: String,
    pub code: u8,
    pub seconds: f64,
    /// Headline numbers by name.
    pub scalars: Vec<(String, f64)>,
}

/// Write the study table atomically. Columns: `point`, the stepped names,
/// in a `.mc` study `sample` (from 1) and `seed`, `status`, `exit_code`,
/// `seconds`, then every scalar name any point
/// produced, in the order first seen. Numbers are written in full (the
/// shortest digits that read back to the same double; scalars in
/// scientific notation).
pub fn write_steps(path: &Path, names: &[String], rows: &[PointRow]) -> std::io::Result<()> {
    let mut cols: Vec<&str> = Vec::new();
    for r in rows {
        for (k, _) in &r.scalars {
            if !cols.contains(&k.as_str()) {
                cols.push(k);
            }
        }
    }
    super::write_atomic(path, |w| {
        let mut c = csv::Writer::from_writer(w);
        let mut head: Vec<String> = vec!["point".into()];
        head.extend(names.iter().cloned());
        let mc = rows.iter().any(|r| r.sample.is_some());
        if mc {
            head.extend(["sample", "seed"].map(String::from));
        }
        head.extend(["status", "exit_code", "seconds"].map(String::from));
        head.extend(cols.iter().map(|s| s.to_string()));
        c.write_record(&head)?;
        for r in rows {
            let mut rec: Vec<String> = vec![r.folder.clone()];
            rec.extend(r.values.iter().map(|v| v.to_string()));
            if mc {
                let (j, seed) = r.sample.unwrap_or_default();
                rec.extend([(j + 1).to_string(), seed.to_string()]);
            }
            rec.extend([
                r.status.clone(),
                r.code.to_string(),
                format!("{:.3}", r.seconds),
            ]);
            for k in &cols {
                rec.push(
                    r.scalars
                        .iter()
                        .find(|(n, x)| n == k && x.is_finite())
                        .map_or(String::new(), |(_, x)| format!("{x:e}")),
                );
            }
            c.write_record(&rec)?;
        }
        c.flush()?;
        Ok(())
    })
}

/// The record of a finished point (`point.json` in its folder, written last,
/// atomically): a point folder without one did not finish.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PointRecord {
    /// SHA-256 of everything the point's results depend on: the netlist and
    /// its includes, the data files they read, the point's values and
    /// sample seed, and the version of xbarsim.
    pub inputs: String,
    pub version: String,
    /// The stepped names (the values are in `point`).
    pub names: Vec<String>,
    /// When it finished (ms since the Unix epoch).
    pub finished_ms: u64,
    pub point: PointRow,
    /// The point's result files (the record aside) as they were written.
    #[serde(default)]
    pub files: Vec<FileDigest>,
}

/// A result file by name, size and SHA-256 (lower-case hex).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FileDigest {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// The digest of the file at `path`.
pub fn digest(path: &Path) -> std::io::Result<FileDigest> {
    let bytes = std::fs::read(path)?;
    Ok(FileDigest {
        name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        bytes: bytes.len() as u64,
        sha256: super::manifest::sha256_hex(&bytes),
    })
}

/// True when every file listed is in `dir` as it was written.
pub fn files_intact(dir: &Path, files: &[FileDigest]) -> bool {
    files.iter().all(|f| {
        let p = dir.join(&f.name);
        // The size first: cheap, and what a lost write changes.
        std::fs::metadata(&p).is_ok_and(|m| m.len() == f.bytes) && digest(&p).is_ok_and(|d| d == *f)
    })
}

/// The record's file name.
pub const RECORD: &str = "point.json";

/// Write a point's record into its folder (inside the point's run).
pub fn write_record(dir: &Path, r: &PointRecord) -> std::io::Result<()> {
    let mut r = r.clone();
    r.point.scalars.retain(|s| s.1.is_finite());
    let json = serde_json::to_value(&r).map_err(std::io::Error::other)?;
    super::write_json(&dir.join(RECORD), &json)
}

/// A point's record, if it has a readable one.
pub fn read_record(dir: &Path) -> Option<PointRecord> {
    let text = std::fs::read_to_string(dir.join(RECORD)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Most curves in one study plot (a grid with more values of its first
/// `.step` gets no plot).
const MAX_SERIES: usize = 12;

/// One PNG per headline number (`steps_<name>.png`, solver counts of `.op`
/// and `.dc` aside) of a study of one or two `.step` cards: the number
/// against the last stepped value, one curve per value of the first card
/// when there are two. Points that failed are left out. Returns the files.
pub fn plot_steps(
    dir: &Path,
    names: &[String],
    rows: &[PointRow],
) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut files = Vec::new();
    if names.is_empty() || names.len() > 2 {
        return Ok(files);
    }
    let mut keys: Vec<&str> = Vec::new();
    for r in rows {
        for (k, _) in &r.scalars {
            if !keys.contains(&k.as_str()) && !k.starts_with("op.") && !k.starts_with("dc.") {
                keys.push(k);
            }
        }
    }
    let x_name = &names[names.len() - 1];
    let mut groups: Vec<f64> = Vec::new();
    if names.len() == 2 {
        for r in rows {
            if !groups.contains(&r.values[0]) {
                groups.push(r.values[0]);
            }
        }
    } else {
        groups.push(f64::NAN);
    }
    if groups.len() > MAX_SERIES {
        return Ok(files);
    }
    let labels: Vec<String> = groups.iter().map(|g| format!("{}={g}", names[0])).collect();
    for key in keys {
        let series: Vec<super::plot::Series> = groups
            .iter()
            .zip(&labels)
            .map(|(g, label)| super::plot::Series {
                name: if names.len() == 2 { label } else { key },
                points: rows
                    .iter()
                    .filter(|r| r.code == 0 && (names.len() == 1 || r.values[0] == *g))
                    .filter_map(|r| {
                        let y = r.scalars.iter().find(|s| s.0 == key)?.1;
                        y.is_finite().then_some((r.values[names.len() - 1], y))
                    })
                    .collect(),
            })
            .collect();
        let path = dir.join(format!("steps_{}.png", key.replace('.', "_")));
        super::plot::curves(
            &path,
            &format!("{key} vs {x_name}"),
            x_name,
            key,
            &series,
            None,
        )?;
        files.push(path);
    }
    Ok(files)
}

/// What one shard of a study (`--shard I/N`) ran: enough to rebuild the
/// study's table from all shards (`xbarsim merge`) without the netlist.
/// Written atomically as `shard_<I>_of_<N>.json` into the study's folder
/// once every point of the shard has ended.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ShardManifest {
    /// xbarsim's version.
    pub version: String,
    /// The netlist, as named on the command line.
    pub netlist: String,
    /// SHA-256 of the study's inputs (netlist, includes, data files,
    /// version): shards of one study agree on it.
    pub study: String,
    /// Points in the whole study, and its stepped names.
    pub points: usize,
    pub names: Vec<String>,
    /// A Monte Carlo study (its table gets no plots).
    pub mc: bool,
    /// This shard: `shard` of `shards` (from 0).
    pub shard: usize,
    pub shards: usize,
    /// When the shard ended (ms since the Unix epoch).
    pub finished_ms: u64,
    /// The shard's points (0-based study indices) and their rows.
    pub indices: Vec<usize>,
    pub rows: Vec<PointRow>,
}

/// The file name of shard `i` of `n`.
pub fn shard_file(i: usize, n: usize) -> String {
    format!("shard_{i}_of_{n}.json")
}

/// Write a shard's manifest into `dir`.
pub fn write_shard(dir: &Path, m: &ShardManifest) -> std::io::Result<()> {
    let mut m = m.clone();
    for r in &mut m.rows {
        r.scalars.retain(|s| s.1.is_finite());
    }
    let json = serde_json::to_value(&m).map_err(std::io::Error::other)?;
    super::write_json(&dir.join(shard_file(m.shard, m.shards)), &json)
}

/// Every shard manifest in `dir` (`shard_*_of_*.json`), by path, each read
/// or the reason it cannot be.
pub fn read_shards(
    dir: &Path,
) -> std::io::Result<Vec<(std::path::PathBuf, Result<ShardManifest, String>)>> {
    let named = |n: &str| {
        n.strip_prefix("shard_")
            .and_then(|s| s.strip_suffix(".json"))
            .and_then(|s| s.split_once("_of_"))
            .is_some_and(|(i, k)| i.parse::<usize>().is_ok() && k.parse::<usize>().is_ok())
    };
    let found = super::manifest::read_named::<ShardManifest>(dir, named)?;
    Ok(found
        .into_iter()
        .map(|(path, m)| {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let m = m.and_then(|m| {
                if m.shard >= m.shards || m.indices.len() != m.rows.len() {
                    Err("inconsistent manifest (shard index or row count)".into())
                } else if name.as_deref() != Some(&shard_file(m.shard, m.shards)) {
                    Err(format!("it says it is shard {} of {}", m.shard, m.shards))
                } else {
                    Ok(m)
                }
            });
            (path, m)
        })
        .collect())
}
