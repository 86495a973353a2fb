//! How result files reach the disk, so that nothing a run leaves is
//! half-written, stale, mixed with another run, or written over an input.
//!
//! - **Atomic:** each file is written to a temporary beside it
//!   (`.NAME.XXXXXX.xbarsim-tmp[.png]`, through `tempfile`), synced, renamed
//!   into place, and the folder synced (a study's points sync only their
//!   record, which lists their files' sizes and hashes: [`set_durable`]).
//!   A temporary in flight is removed on SIGINT/SIGTERM/SIGHUP before the
//!   process exits; one left by SIGKILL is removed by the next run into
//!   that folder.
//! - **One run per folder:** a run takes an exclusive lock on the output
//!   folder (`.xbarsim-lock`), deletes the files its previous run recorded
//!   in `.xbarsim-outputs` (and nothing else), and records each file it
//!   writes there. A second run into the folder at the same time is refused.
//! - **Inside the folder, once:** while a run is active every result file
//!   must sit directly in its folder (a name cannot climb out of it), and no
//!   file is written twice in one run (two analyses would overwrite each
//!   other).
//! - **Never over an input:** a file read as input (netlist, include, CSV;
//!   see `netlist::source::read_input`) is never replaced, and neither is
//!   anything but a regular file (a device, FIFO or symlink at the target).
//! - **Numbers announced:** every CSV is scanned as it is written; a field
//!   that is `NaN` or `inf` is counted, and [`take_nonfinite`] hands the
//!   count to the runner, which fails the analysis instead of exiting 0.

use std::cell::RefCell;
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The journal of the files a run wrote into its folder.
pub const JOURNAL: &str = ".xbarsim-outputs";
/// The lock file of a folder a run is writing into.
pub const LOCK: &str = ".xbarsim-lock";
/// Marks xbarsim's temporary files.
const TMP_MARK: &str = ".xbarsim-tmp";

/// Temporaries being written, removed by the signal handler.
static IN_FLIGHT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

struct Run {
    dir: PathBuf,
    journal: std::fs::File,
    written: HashSet<PathBuf>,
    /// Sync each file and the folder as it is renamed into place (else the
    /// caller keeps account of what reached the disk, see [`set_durable`]).
    durable: bool,
    /// Draw the pictures (PNG) the analyses write (see [`set_plots`]).
    plots: bool,
    _lock: std::fs::File,
}

thread_local! {
    static RUN: RefCell<Option<Run>> = const { RefCell::new(None) };
    static NONFINITE: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn canonical_dir(dir: &Path) -> PathBuf {
    std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
}

/// Start a run into `dir` on this thread: create it, lock it, remove the
/// previous run's files and stale temporaries. Ended by [`end_run`].
pub fn begin_run(dir: &Path) -> std::io::Result<()> {
    install_signal_handler();
    std::fs::create_dir_all(dir)?;
    let dir = canonical_dir(dir);
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LOCK))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(std::io::Error::other(format!(
                "another xbarsim run is writing into {}",
                dir.display()
            )))
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(e),
    }
    // The previous run's files, as its journal lists them (plain names only).
    if let Ok(text) = std::fs::read_to_string(dir.join(JOURNAL)) {
        for name in text.lines().filter(|n| plain_name(n)) {
            let p = dir.join(name);
            if std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_file()) {
                std::fs::remove_file(&p)?;
            }
        }
    }
    // Temporaries left by a killed run (the lock says no run is writing).
    for entry in std::fs::read_dir(&dir)?.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && name.contains(TMP_MARK) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    let journal = std::fs::File::create(dir.join(JOURNAL))?;
    RUN.with(|r| {
        *r.borrow_mut() = Some(Run {
            dir,
            journal,
            written: HashSet::new(),
            durable: true,
            plots: true,
            _lock: lock,
        })
    });
    Ok(())
}

/// Whether this thread's run syncs each file as it lands (the default). A
/// study's point turns it off for its result files and lists them, with
/// their sizes and SHA-256, in its record, which it writes synced: a point
/// whose files did not all reach the disk (a power loss) does not match its
/// record and is run again by `--resume`.
pub fn set_durable(on: bool) {
    RUN.with(|r| {
        if let Some(run) = r.borrow_mut().as_mut() {
            run.durable = on;
        }
    });
}

/// Whether this thread's run draws pictures (the default); off, a PNG an
/// analysis would write is not drawn (a study's points, unless asked).
pub fn set_plots(on: bool) {
    RUN.with(|r| {
        if let Some(run) = r.borrow_mut().as_mut() {
            run.plots = on;
        }
    });
}

/// The run's (durable, plots) settings; outside a run, both on.
fn mode() -> (bool, bool) {
    RUN.with(|r| {
        r.borrow()
            .as_ref()
            .map_or((true, true), |run| (run.durable, run.plots))
    })
}

/// The files this thread's run has written so far, sorted.
pub fn written() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = RUN.with(|r| {
        r.borrow()
            .as_ref()
            .map(|run| run.written.iter().cloned().collect())
            .unwrap_or_default()
    });
    v.sort();
    v
}

/// End this thread's run (releases the folder's lock).
pub fn end_run() {
    RUN.with(|r| *r.borrow_mut() = None);
}

/// A file name without any path in it.
fn plain_name(n: &str) -> bool {
    !n.is_empty() && n != "." && n != ".." && !n.contains(['/', '\\'])
}

/// Refuse to write `path` when it is an input, not a regular file, outside
/// the active run's folder, or already written in this run.
fn guard(path: &Path) -> std::io::Result<()> {
    let refuse = |why: String| Err(std::io::Error::other(why));
    if let Ok(m) = std::fs::symlink_metadata(path) {
        if !m.is_file() {
            return refuse(format!(
                "refusing to replace {}: it is not a regular file",
                path.display()
            ));
        }
    }
    let canon = canonical_target(path);
    if crate::netlist::source::is_input(&canon) {
        return refuse(format!(
            "refusing to write {}: it is an input of this run",
            path.display()
        ));
    }
    RUN.with(|r| {
        let r = r.borrow();
        let Some(run) = r.as_ref() else {
            return Ok(());
        };
        if canon.parent() != Some(run.dir.as_path()) {
            return refuse(format!(
                "refusing to write {}: outside the output folder {}",
                path.display(),
                run.dir.display()
            ));
        }
        if run.written.contains(&canon) {
            return refuse(format!(
                "{} was already written by an earlier analysis of this run; give the cards different outputs",
                path.display()
            ));
        }
        Ok(())
    })
}

/// The canonical path `path` would have: its folder canonicalized, its
/// file name kept.
fn canonical_target(path: &Path) -> PathBuf {
    match path.file_name() {
        Some(n) => canonical_dir(&split(path).0).join(n),
        None => path.to_path_buf(),
    }
}

/// Record a written file in the run's journal.
fn record(path: &Path) {
    let canon = canonical_target(path);
    RUN.with(|r| {
        if let Some(run) = r.borrow_mut().as_mut() {
            if let Some(name) = canon.file_name() {
                let _ = writeln!(run.journal, "{}", name.to_string_lossy());
            }
            run.written.insert(canon);
        }
    });
}

/// The files of this thread written with NaN or inf in them since the last
/// call, as "FILE (N values, first on line L)".
pub fn take_nonfinite() -> Vec<String> {
    NONFINITE.with(|n| std::mem::take(&mut *n.borrow_mut()))
}

/// Write `path` atomically: `fill` writes into a temporary beside it, which
/// is synced and renamed into place (see the module doc for the rules).
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    guard(path)?;
    let durable = mode().0;
    let (dir, name) = split(path);
    let tmp = tracked(|| {
        tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(TMP_MARK)
            .permissions(result_permissions())
            .tempfile_in(&dir)
    })?;
    let tp = tmp.path().to_path_buf();
    let res = (|| -> std::io::Result<(usize, Option<usize>)> {
        let scan = path.extension().is_some_and(|e| e == "csv");
        let mut w = Scan::new(
            std::io::BufWriter::with_capacity(1 << 20, tmp.as_file()),
            scan,
        );
        fill(&mut w)?;
        w.inner.flush()?;
        let found = (w.count, w.first_line);
        drop(w);
        if durable {
            tmp.as_file().sync_all()?;
        }
        Ok(found)
    })();
    let res = res.and_then(|found| {
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(found)
    });
    untrack(&tp);
    let (count, first) = res?;
    if durable {
        sync_dir(&dir);
    }
    record(path);
    if count > 0 {
        let note = format!(
            "{} ({count} value(s) NaN or inf, first on line {})",
            path.display(),
            first.unwrap_or(0)
        );
        NONFINITE.with(|n| n.borrow_mut().push(note));
    }
    Ok(())
}

/// Write `path` atomically with a drawing function that writes a file by
/// name (plotters): same rules as [`write_atomic`]; the temporary keeps the
/// extension, by which the encoder picks the format. With the run's
/// pictures off ([`set_plots`]), nothing is drawn or written.
pub fn write_atomic_by_name(
    path: &Path,
    draw: impl FnOnce(&Path) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let (durable, plots) = mode();
    if !plots {
        return Ok(());
    }
    guard(path)?;
    let (dir, name) = split(path);
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let tmp = tracked(|| {
        tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(&format!("{TMP_MARK}{ext}"))
            .permissions(result_permissions())
            .tempfile_in(&dir)
    })?;
    let tp = tmp.path().to_path_buf();
    let res = draw(&tp).and_then(|_| {
        if durable {
            std::fs::File::open(&tp)?.sync_all()?;
        }
        tmp.persist(path).map(|_| ()).map_err(|e| e.error)
    });
    untrack(&tp);
    res?;
    if durable {
        sync_dir(&dir);
    }
    record(path);
    Ok(())
}

/// Result files are readable by all, as files a shell creates usually are
/// (a temporary file is created private).
fn result_permissions() -> std::fs::Permissions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::Permissions::from_mode(0o644)
    }
    #[cfg(not(unix))]
    {
        std::fs::metadata(".")
            .map(|m| m.permissions())
            .unwrap_or_else(|_| unreachable!())
    }
}

fn split(path: &Path) -> (PathBuf, String) {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (dir, name)
}

/// Make a rename durable: sync the folder (best effort; not on every OS).
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Create a temporary and record it as in flight under one lock, so that
/// a signal never finds it created but not yet recorded (the handler takes
/// the same lock).
fn tracked(
    make: impl FnOnce() -> std::io::Result<tempfile::NamedTempFile>,
) -> std::io::Result<tempfile::NamedTempFile> {
    let mut v = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = make()?;
    v.push(tmp.path().to_path_buf());
    Ok(tmp)
}

/// The temporary `tmp` is no longer in flight (renamed, or removed).
fn untrack(tmp: &Path) {
    IN_FLIGHT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|p| p != tmp);
}

/// On SIGINT, SIGTERM or SIGHUP: remove the temporaries in flight and exit
/// (130 for an interrupt, as shells report it).
fn install_signal_handler() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            let v = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
            for p in v.iter() {
                let _ = std::fs::remove_file(p);
            }
            eprintln!("xbarsim: interrupted; results written so far are complete");
            std::process::exit(130);
        });
    });
}

/// A writer that counts CSV fields reading NaN or inf as they pass.
struct Scan<W: Write> {
    inner: W,
    on: bool,
    field: [u8; 10],
    len: usize,
    line: usize,
    count: usize,
    first_line: Option<usize>,
}

impl<W: Write> Scan<W> {
    fn new(inner: W, on: bool) -> Self {
        Scan {
            inner,
            on,
            field: [0; 10],
            len: 0,
            line: 1,
            count: 0,
            first_line: None,
        }
    }
    fn end_field(&mut self) {
        if self.len <= self.field.len() {
            let f = &mut self.field[..self.len];
            f.make_ascii_lowercase();
            let t: &[u8] = f.strip_prefix(b"-").or(f.strip_prefix(b"+")).unwrap_or(f);
            if matches!(t, b"nan" | b"inf" | b"infinity") {
                self.count += 1;
                self.first_line.get_or_insert(self.line);
            }
        }
        self.len = 0;
    }
}

impl<W: Write> Write for Scan<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        if self.on {
            for &b in &buf[..n] {
                match b {
                    b',' | b'\r' => self.end_field(),
                    b'\n' => {
                        self.end_field();
                        self.line += 1;
                    }
                    b' ' | b'"' => {}
                    _ => {
                        if self.len < self.field.len() {
                            self.field[self.len] = b;
                        }
                        self.len += 1;
                    }
                }
            }
        }
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        if self.on && self.len > 0 {
            self.end_field();
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn scan_counts_nan_and_inf_fields_only() {
        let mut s = Scan::new(Vec::new(), true);
        s.write_all(b"a,NaN\nx,inf,-inf\ninfo,nano,1e5\n\"NaN\",2\n")
            .unwrap();
        s.flush().unwrap();
        assert_eq!(s.count, 4);
        assert_eq!(s.first_line, Some(1));
    }
}
