//! Result files. Every file is written to a temporary name in the target
//! directory and renamed into place, so an interrupted run never leaves a
//! half-written result.

pub mod spice;

use std::io::Write;
use std::path::Path;

/// Write `path` atomically with the bytes produced by `fill`.
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let res = (|| {
        let f = std::fs::File::create(&tmp)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        fill(&mut w)?;
        w.flush()?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
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

/// Shortest round-trip formatting of f64 (ryu) into a reused buffer.
mod ryu_like {
    #[derive(Default)]
    pub struct Buf(ryu::Buffer);
    impl Buf {
        pub fn fmt(&mut self, v: f64) -> &[u8] {
            if v.is_finite() {
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
