//! `steps.csv`: one row per point of a `.step` study: its folder, the
//! stepped values, its outcome and time, and every analysis' headline
//! numbers (empty where a point did not produce them).

use std::path::Path;

/// One point of a study.
pub struct PointRow {
    /// The point's folder name (inside the study's folder).
    pub folder: String,
    /// The stepped values, in `.step` card order.
    pub values: Vec<f64>,
    /// `ok`, `analysis failed`, `input error`, `crashed`.
    pub status: String,
    pub code: u8,
    pub seconds: f64,
    /// Headline numbers by name.
    pub scalars: Vec<(String, f64)>,
}

/// Write the study table atomically. Columns: `point`, the stepped names,
/// `status`, `exit_code`, `seconds`, then every scalar name any point
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
        head.extend(["status", "exit_code", "seconds"].map(String::from));
        head.extend(cols.iter().map(|s| s.to_string()));
        c.write_record(&head)?;
        for r in rows {
            let mut rec: Vec<String> = vec![r.folder.clone()];
            rec.extend(r.values.iter().map(|v| v.to_string()));
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
    /// its includes, the data files they read, the point's values and the
    /// version of xbarsim.
    pub inputs: String,
    pub version: String,
    pub values: Vec<(String, f64)>,
    pub status: String,
    pub exit_code: u8,
    pub seconds: f64,
    /// When it finished (ms since the Unix epoch).
    pub finished_ms: u64,
    pub scalars: Vec<(String, f64)>,
}

/// The record's file name.
pub const RECORD: &str = "point.json";

/// Write a point's record into its folder (inside the point's run).
pub fn write_record(dir: &Path, r: &PointRecord) -> std::io::Result<()> {
    let mut r = r.clone();
    r.scalars.retain(|s| s.1.is_finite());
    let json = serde_json::to_value(&r).map_err(std::io::Error::other)?;
    super::write_json(&dir.join(RECORD), &json)
}

/// A point's record, if it has a readable one.
pub fn read_record(dir: &Path) -> Option<PointRecord> {
    let text = std::fs::read_to_string(dir.join(RECORD)).ok()?;
    serde_json::from_str(&text).ok()
}
