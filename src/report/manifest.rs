//! `manifest.json`: what a run into a folder was: the command, xbarsim's
//! version, every input (the netlist, its includes, the data files they
//! read) by size and SHA-256, how it ended, when and how long, and the
//! files it wrote. Written last, inside the run, so it names only that
//! run's files.

use super::study::FileDigest;
use std::path::Path;

/// The manifest of one run (a netlist, a study or a batch).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct RunManifest {
    pub xbarsim: String,
    /// The command line, as given.
    pub command: Vec<String>,
    /// The netlist (empty for a batch's own manifest).
    pub netlist: String,
    /// The inputs as they were read: path, size, SHA-256.
    pub inputs: Vec<InputFile>,
    /// When the run started (ms since the Unix epoch) and how long it took.
    pub started_ms: u64,
    pub seconds: f64,
    /// `ok`, `analysis failed`, `input error`, ... and the exit code.
    pub status: String,
    pub exit_code: u8,
    /// Points of a study (1 for a plain netlist), netlists of a batch.
    pub units: usize,
    /// The files this run wrote into the folder (this one aside).
    pub outputs: Vec<FileDigest>,
}

/// An input file by path, size and SHA-256.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct InputFile {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";

/// The SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}

/// Lower-case hex of `bytes` (a digest).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Write `m` into `dir` (inside the run into `dir`), its outputs listed
/// from the run's journal.
pub fn write(dir: &Path, m: &RunManifest) -> std::io::Result<()> {
    let mut m = m.clone();
    m.outputs = super::files::written()
        .iter()
        .map(|p| super::study::digest(p))
        .collect::<std::io::Result<_>>()?;
    let json = serde_json::to_value(&m).map_err(std::io::Error::other)?;
    super::write_json(&dir.join(MANIFEST), &json)
}

/// The manifest in `dir`, if it has a readable one.
pub fn read(dir: &Path) -> Option<RunManifest> {
    let text = std::fs::read_to_string(dir.join(MANIFEST)).ok()?;
    serde_json::from_str(&text).ok()
}

/// The JSON files in `dir` whose names `pick` accepts, by path (sorted),
/// each read as a `T` or the reason it cannot be.
pub fn read_named<T: serde::de::DeserializeOwned>(
    dir: &Path,
    pick: impl Fn(&str) -> bool,
) -> std::io::Result<Vec<(std::path::PathBuf, Result<T, String>)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if !pick(&entry.file_name().to_string_lossy()) {
            continue;
        }
        let path = entry.path();
        let read = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<T>(&t).map_err(|e| e.to_string()));
        found.push((path, read));
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(found)
}

impl InputFile {
    /// The file at `path` as it is now (an unreadable one: empty).
    pub fn read(path: &Path) -> InputFile {
        let bytes = std::fs::read(path).unwrap_or_default();
        Self::of(path, &bytes)
    }

    /// `bytes`, read from `path`.
    pub fn of(path: &Path, bytes: &[u8]) -> InputFile {
        InputFile {
            path: path.display().to_string(),
            bytes: bytes.len() as u64,
            sha256: sha256_hex(bytes),
        }
    }
}
