//! Source files and spans.
//!
//! Every token the parser produces carries a [`Span`]: the file it came from and
//! the byte range inside it. Line and column numbers (1-based, columns counted
//! in characters) are computed only when a diagnostic is rendered.

use std::path::{Path, PathBuf};

/// Index of a file in [`Sources`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct FileId(pub u32);

/// A byte range `start..end` of one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span { file, start, end }
    }
    /// The smallest span covering both (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// One loaded file.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: PathBuf, text: String) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            path,
            text,
            line_starts,
        }
    }

    /// 1-based (line, column) of a byte offset; the column counts characters.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(l) => l,
            Err(l) => l - 1,
        };
        let start = self.line_starts[line];
        let col = self
            .text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(offset - start);
        (line + 1, col + 1)
    }

    /// Byte offset where 1-based line `line` starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len())
    }

    /// The text of 1-based line `line`, without its newline.
    pub fn line_text(&self, line: usize) -> &str {
        let start = self.line_starts.get(line - 1).copied().unwrap_or(0);
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }
}

/// All files read while loading one netlist (the top file and its includes).
#[derive(Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn add(&mut self, path: PathBuf, text: String) -> FileId {
        self.files.push(SourceFile::new(path, text));
        FileId(self.files.len() as u32 - 1)
    }
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }
    pub fn path(&self, id: FileId) -> &Path {
        &self.get(id).path
    }
    pub fn text(&self, id: FileId) -> &str {
        &self.get(id).text
    }
    pub fn text_mut(&mut self, id: FileId) -> &mut String {
        &mut self.files[id.0 as usize].text
    }
    pub fn len(&self) -> usize {
        self.files.len()
    }
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// Every file read through [`read_input`] in this process (canonical paths):
/// result writers refuse to replace any of them.
static INPUTS: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// True when `canonical` was read as an input by this process.
/// Every file read through [`read_input`] so far (canonical paths, in
/// reading order, once per read).
pub fn inputs() -> Vec<PathBuf> {
    INPUTS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

pub fn is_input(canonical: &Path) -> bool {
    INPUTS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .any(|p| p == canonical)
}

/// Largest file read as input (netlist, include, CSV): 1 GiB. A 1024×1024
/// crossbar written element by element is 170 MB; anything near this limit
/// would not fit the memory budget once elaborated anyway.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// An input file (netlist, include, CSV) that cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot read {path}: it is a directory")]
    Directory { path: String },
    #[error("cannot read {path}: not a regular file (a device, FIFO or socket)")]
    NotRegular { path: String },
    #[error("{path} is larger than the input limit of {limit_mib} MiB")]
    TooLarge { path: String, limit_mib: u64 },
}

/// Read an input file as text, refusing more than [`MAX_FILE_BYTES`]
/// (`/dev/zero` must not fill the memory) and, unless `special_ok`, anything
/// but a regular file (a FIFO or a device would block or never end).
/// Text that is not UTF-8 is read as [`decode`] says; the second value is
/// then, for Latin-1, the 1-based line of the first byte that is not
/// UTF-8, for a warning.
/// Errors name the file.
pub fn read_input(path: &Path, special_ok: bool) -> Result<(String, Option<usize>), InputError> {
    use std::io::Read;
    let shown = path.display().to_string();
    let io = |source| InputError::Io {
        path: shown.clone(),
        source,
    };
    if let Ok(canon) = std::fs::canonicalize(path) {
        // In reading order, a file read again listed again (a long-lived
        // process's later run finds its own reads at the end).
        INPUTS.lock().unwrap_or_else(|e| e.into_inner()).push(canon);
    }
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(InputError::Directory { path: shown });
    }
    if !special_ok && !meta.is_file() {
        return Err(InputError::NotRegular { path: shown });
    }
    let f = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    f.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(InputError::TooLarge {
            path: shown,
            limit_mib: MAX_FILE_BYTES >> 20,
        });
    }
    Ok(decode(bytes))
}

/// Text from a file's bytes: UTF-8 (a byte-order mark dropped); UTF-16 with
/// its byte-order mark, or little-endian without one when its first
/// characters are ASCII (LTspice writes its netlists so); otherwise
/// Latin-1, byte for byte (LTspice's and Windows' `µ` is 0xB5 there), with
/// the 1-based line of the first byte that is not UTF-8, for a warning.
pub fn decode(bytes: Vec<u8>) -> (String, Option<usize>) {
    let utf16 = |b: &[u8], le: bool| -> String {
        let units = b.chunks(2).map(|c| {
            let pair = [c[0], c.get(1).copied().unwrap_or(0)];
            if le {
                u16::from_le_bytes(pair)
            } else {
                u16::from_be_bytes(pair)
            }
        });
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect()
    };
    match bytes.as_slice() {
        [0xEF, 0xBB, 0xBF, rest @ ..] => {
            if let Ok(text) = std::str::from_utf8(rest) {
                return (text.to_owned(), None);
            }
        }
        [0xFF, 0xFE, rest @ ..] => return (utf16(rest, true), None),
        [0xFE, 0xFF, rest @ ..] => return (utf16(rest, false), None),
        b if looks_utf16le(b) => return (utf16(b, true), None),
        _ => {}
    }
    match String::from_utf8(bytes) {
        Ok(s) => (s, None),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let b = e.as_bytes();
            let line = b[..at].iter().filter(|&&c| c == b'\n').count() + 1;
            (b.iter().map(|&c| char::from(c)).collect(), Some(line))
        }
    }
}

/// UTF-16LE without a byte-order mark: an even length, a first character
/// that is ASCII (not NUL) followed by a zero byte, and zero high bytes in
/// at least half of the first 32 characters (Latin-1 letters such as `µ`
/// have them too). No netlist in UTF-8 or Latin-1 has a NUL as its second
/// byte.
fn looks_utf16le(b: &[u8]) -> bool {
    let head = &b[..b.len().min(64)];
    let zero_high = head.chunks(2).filter(|c| c.get(1) == Some(&0)).count();
    b.len() >= 4
        && b.len().is_multiple_of(2)
        && b[0] != 0
        && b[0].is_ascii()
        && b[1] == 0
        && 2 * zero_high >= head.len() / 2
}
