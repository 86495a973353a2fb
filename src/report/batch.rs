//! `batch.csv`: one row per netlist of a batch (`xbarsim run a.cir b.cir`),
//! with its output folder, outcome, exit code and wall time.

use std::path::{Path, PathBuf};

/// One netlist of a batch.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BatchRow {
    pub netlist: PathBuf,
    pub output: PathBuf,
    /// `ok`, `failed`, `bad input`, `crashed` ...
    pub status: String,
    pub code: u8,
    pub seconds: f64,
}

/// Write the batch summary atomically (fields quoted where they need it).
pub fn write_batch(path: &Path, rows: &[BatchRow]) -> std::io::Result<()> {
    super::write_atomic(path, |w| {
        let mut c = csv::Writer::from_writer(w);
        c.write_record(["netlist", "output", "status", "exit_code", "seconds"])?;
        for r in rows {
            c.write_record([
                r.netlist.display().to_string(),
                r.output.display().to_string(),
                r.status.clone(),
                r.code.to_string(),
                format!("{:.3}", r.seconds),
            ])?;
        }
        c.flush()?;
        Ok(())
    })
}

/// What one shard of a batch (`run A.cir B.cir ... --shard I/N`) did: a
/// row per netlist of the batch, in order (a plain netlist that another
/// shard runs has exit code 10). Written as `batch_shard_I_of_N.json`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BatchShard {
    pub version: String,
    pub shard: usize,
    pub shards: usize,
    pub rows: Vec<BatchRow>,
}

/// The file name of batch shard `i` of `n`.
pub fn shard_file(i: usize, n: usize) -> String {
    format!("batch_shard_{i}_of_{n}.json")
}

/// Write a batch shard's manifest into `dir`.
pub fn write_shard(dir: &Path, m: &BatchShard) -> std::io::Result<()> {
    let json = serde_json::to_value(m).map_err(std::io::Error::other)?;
    super::write_json(&dir.join(shard_file(m.shard, m.shards)), &json)
}

/// Every batch shard manifest in `dir`, by path, each read or the reason
/// it cannot be.
pub fn read_shards(dir: &Path) -> std::io::Result<Vec<(PathBuf, Result<BatchShard, String>)>> {
    let found = super::manifest::read_named::<BatchShard>(dir, |n| {
        n.starts_with("batch_shard_") && n.ends_with(".json")
    })?;
    Ok(found
        .into_iter()
        .map(|(path, m)| {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let m = m.and_then(|m| {
                if m.shard >= m.shards || name.as_deref() != Some(&shard_file(m.shard, m.shards)) {
                    Err(format!("it says it is shard {} of {}", m.shard, m.shards))
                } else {
                    Ok(m)
                }
            });
            (path, m)
        })
        .collect())
}
