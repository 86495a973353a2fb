//! `batch.csv`: one row per netlist of a batch (`xbarsim run a.cir b.cir`),
//! with its output folder, outcome, exit code and wall time.

use std::path::{Path, PathBuf};

/// One netlist of a batch.
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
