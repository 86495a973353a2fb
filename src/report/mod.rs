//! Result files. Every file is written through [`files`]: to a temporary
//! beside it, renamed into place, recorded in its folder's journal, never
//! over an input, and scanned for NaN/inf.

pub mod batch;
pub mod files;
pub mod manifest;
pub mod outcome;
pub mod perceptron;
pub mod plot;
pub mod program;
pub mod study;
pub mod thresholds;

use std::path::Path;

pub use files::write_atomic;

/// A result file that could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
#[error("cannot write {file}: {source}")]
pub struct WriteError {
    /// The file's name within the output folder.
    pub file: String,
    #[source]
    pub source: std::io::Error,
}

impl WriteError {
    pub fn new(file: &str, source: std::io::Error) -> WriteError {
        WriteError {
            file: file.to_string(),
            source,
        }
    }
}

/// Pretty-printed JSON with a final newline, written atomically.
pub fn write_json(path: &Path, json: &serde_json::Value) -> std::io::Result<()> {
    write_atomic(path, |w| {
        serde_json::to_writer_pretty(&mut *w, json).map_err(std::io::Error::other)?;
        writeln!(w)
    })
}

/// `quantity,value` CSV (op.csv).
pub fn write_op_csv(path: &Path, names: &[String], values: &[f64]) -> std::io::Result<()> {
    write_atomic(path, |w| {
        let mut c = csv::Writer::from_writer(w);
        c.write_record(["quantity", "value"])?;
        let mut buf = ryu_like::Buf::default();
        for (n, v) in names.iter().zip(values) {
            c.write_record([n.as_bytes(), buf.fmt(*v)])?;
        }
        c.flush()?;
        Ok(())
    })
}

/// A table with a header row (dc.csv).
pub fn write_table_csv(path: &Path, header: &[String], rows: &[Vec<f64>]) -> std::io::Result<()> {
    write_atomic(path, |w| {
        let mut c = csv::Writer::from_writer(w);
        c.write_record(header)?;
        let mut buf = ryu_like::Buf::default();
        for r in rows {
            for v in r {
                c.write_field(buf.fmt(*v))?;
            }
            c.write_record(None::<&[u8]>)?;
        }
        c.flush()?;
        Ok(())
    })
}

/// A matrix as CSV, `cols` values per line, no header (e.g. XB_vcell.csv).
pub fn write_matrix_csv(path: &Path, cols: usize, values: &[f64]) -> std::io::Result<()> {
    write_atomic(path, |w| {
        let mut buf = ryu_like::Buf::default();
        for row in values.chunks(cols.max(1)) {
            for (j, v) in row.iter().enumerate() {
                if j > 0 {
                    w.write_all(b",")?;
                }
                w.write_all(buf.fmt(*v))?;
            }
            w.write_all(b"\n")?;
        }
        Ok(())
    })
}

/// vmm.csv (`vector,column,current,ideal_current`) and vmm_error.csv
/// (`vector,rel_error`: ‖I − I_ideal‖₂/‖I_ideal‖₂ per vector).
pub fn write_vmm(
    path: &Path,
    err_path: &Path,
    r: &crate::analysis::vmm::VmmResult,
) -> std::io::Result<()> {
    write_atomic(path, |w| {
        let mut c = csv::Writer::from_writer(w);
        c.write_record(["vector", "column", "current", "ideal_current"])?;
        let mut b1 = ryu_like::Buf::default();
        let mut b2 = ryu_like::Buf::default();
        for (k, (got, ideal)) in r.currents.iter().enumerate() {
            let (v, j) = (k / r.cols, k % r.cols);
            c.write_record([
                v.to_string().as_bytes(),
                j.to_string().as_bytes(),
                b1.fmt(*got),
                b2.fmt(*ideal),
            ])?;
        }
        c.flush()?;
        Ok(())
    })?;
    write_atomic(err_path, |w| {
        let mut c = csv::Writer::from_writer(w);
        c.write_record(["vector", "rel_error"])?;
        let mut b = ryu_like::Buf::default();
        for (k, e) in r.rel_error.iter().enumerate() {
            c.write_record([k.to_string().as_bytes(), b.fmt(*e)])?;
        }
        c.flush()?;
        Ok(())
    })
}

/// read.csv: one row per solved case, then the margin.
pub fn write_read(
    path: &Path,
    spec: &crate::analysis::read::ReadSpec,
    r: &crate::analysis::read::ReadResult,
) -> std::io::Result<()> {
    write_atomic(path, |w| {
        let f = |x: Option<f64>| {
            x.map(|v| format!("{v:e}"))
                .unwrap_or_else(|| "array".into())
        };
        writeln!(
            w,
            "case,scheme,row,col,v_read,g_selected,g_others,v_cell,i_cell,i_column,i_sneak"
        )?;
        for c in &r.cases {
            writeln!(
                w,
                "{},{},{},{},{:e},{},{},{:e},{:e},{:e},{:e}",
                c.name,
                spec.scheme.name(),
                spec.row,
                spec.col,
                spec.v,
                f(c.g_selected),
                f(c.g_others),
                c.v_cell,
                c.i_cell,
                c.i_column,
                c.i_sneak
            )?;
        }
        writeln!(
            w,
            "margin,{},{},{},{:e},{:e},{:e},,,{:e},{:e}",
            spec.scheme.name(),
            spec.row,
            spec.col,
            spec.v,
            r.gon,
            r.goff,
            r.margin,
            r.margin_rel
        )
    })
}

/// Shortest round-trip formatting of f64 (ryu) into a reused buffer.
mod ryu_like {
    #[derive(Default)]
    pub struct Buf(ryu::Buffer);
    impl Buf {
        pub fn fmt(&mut self, v: f64) -> &[u8] {
            if v == 0.0 {
                // −0.0 too (a current of −(0.0), a negated empty sum): a
                // zero in a result file has no sign.
                b"0.0"
            } else if v.is_finite() {
                self.0.format_finite(v).as_bytes()
            } else if v.is_nan() {
                b"NaN"
            } else if v > 0.0 {
                b"inf"
            } else {
                b"-inf"
            }
        }
    }
}
