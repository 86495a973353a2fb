//! The memory budget: what a run may allocate, and the up-front estimate of
//! what a circuit will need, so that an array too large for the machine is
//! refused with a clear error before anything is built, instead of dying on
//! an allocation half a minute later.
//!
//! The limit is `--max-memory` (or `XBARSIM_MAX_MEMORY`), by default 80 % of
//! the machine's physical memory. Estimates are checked against it at three
//! points: a `.crossbar` card (and every size a `.sizing` or `.perceptron`
//! sweep will build) before elaboration expands it, and a sparse factor once
//! its symbolic analysis has counted nnz(L), before numeric factorization.
//!
//! The per-crosspoint costs come from peak RSS of `.op` on card-built arrays
//! (2.5 Ω lines: 2.4 KB per cell at 256×256, 1.9 KB at 512×512, 1.75 KB at
//! 1024×1024; ideal lines: 0.74 KB at 512×512), rounded up.

use std::sync::atomic::{AtomicU64, Ordering};

/// 0: not set (the machine's default applies).
static MAX_MEMORY: AtomicU64 = AtomicU64::new(0);

/// Set the limit in bytes (`--max-memory`).
pub fn set_max_memory(bytes: u64) {
    MAX_MEMORY.store(bytes.max(1), Ordering::Relaxed);
}

/// The limit in bytes: the one set, else `XBARSIM_MAX_MEMORY`, else 80 % of
/// physical memory (8 GiB if that cannot be read).
pub fn max_memory() -> u64 {
    let set = MAX_MEMORY.load(Ordering::Relaxed);
    if set > 0 {
        return set;
    }
    if let Some(b) = std::env::var("XBARSIM_MAX_MEMORY")
        .ok()
        .and_then(|s| parse_bytes(&s))
    {
        return b;
    }
    physical_memory().map_or(8 << 30, |m| m / 5 * 4)
}

/// Total physical memory from `/proc/meminfo` (Linux), in bytes.
pub fn physical_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// `16G`, `512M`, `2.5GiB`, `1000000` (bytes) → bytes.
pub fn parse_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let x: f64 = num.parse().ok()?;
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let b = x * scale;
    (1.0..1.8e19).contains(&b).then_some(b as u64)
}

/// Human-readable bytes: `1.5 GB`.
pub fn show(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut x = bytes;
    let mut u = 0;
    while x >= 1024.0 && u + 1 < UNITS.len() {
        x /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{x:.0} B")
    } else {
        format!("{x:.1} {}", UNITS[u])
    }
}

/// Estimated peak memory (bytes) of solving one `rows`×`cols` crossbar:
/// its elements, nodes and matrix (~400 B per crosspoint), plus the sparse
/// factor. With resistive lines the nested-dissection factor grows like
/// n·log n (nnz(L) ≈ 4.7 · cells · log2(cells), 16 B per entry); with ideal
/// lines every line is one node and the factor stays about linear.
pub fn crossbar_bytes(rows: usize, cols: usize, resistive_lines: bool) -> f64 {
    let cells = rows as f64 * cols as f64;
    let per_cell = if resistive_lines {
        400.0 + 16.0 * 4.7 * cells.max(2.0).log2()
    } else {
        900.0
    };
    cells * per_cell
}

/// Bytes of a sparse factor with `nnz` entries (value and row index, and
/// the numeric workspace), for the check after symbolic factorization.
pub fn factor_bytes(nnz: usize) -> f64 {
    nnz as f64 * 24.0
}

/// A circuit refused by the memory budget: what (e.g. "a 4096x4096
/// crossbar"), its estimated bytes and the limit.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
#[error("{what} needs about {} of memory, more than the limit of {}", show(*.bytes), show(*.limit as f64))]
pub struct TooLarge {
    pub what: String,
    pub bytes: f64,
    pub limit: u64,
}

/// `Ok` when `bytes` fit the limit; otherwise the refusal.
pub fn check(what: &str, bytes: f64) -> Result<(), TooLarge> {
    let limit = max_memory();
    if bytes <= limit as f64 {
        return Ok(());
    }
    Err(TooLarge {
        what: what.to_string(),
        bytes,
        limit,
    })
}

/// The hint that goes with a refusal.
pub const HINT: &str = "use a smaller array, or raise the limit with --max-memory (default: 80 % of this machine's memory)";

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn bytes_parse() {
        assert_eq!(parse_bytes("16G"), Some(16 << 30));
        assert_eq!(parse_bytes("512MiB"), Some(512 << 20));
        assert_eq!(parse_bytes("1000"), Some(1000));
        assert_eq!(parse_bytes("1.5k"), Some(1536));
        assert_eq!(parse_bytes("lots"), None);
        assert_eq!(parse_bytes("-1G"), None);
    }
    #[test]
    fn estimates_cover_the_measured_peaks() {
        // Peak RSS measured for `.op` on card-built arrays (see the module doc).
        for (n, lines, measured) in [
            (256, true, 156e6),
            (512, true, 500e6),
            (1024, true, 1829e6),
            (512, false, 199e6),
        ] {
            let est = crossbar_bytes(n, n, lines);
            assert!(
                est + 32e6 >= 0.8 * measured && est <= 3.0 * measured,
                "{n}: {est} vs {measured}"
            );
        }
    }
}
