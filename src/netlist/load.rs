//! Reading a netlist from disk: the top file, then every `.include` (paths
//! relative to the including file), spliced in place, and every `.lib FILE
//! SECTION` (the cards between `.lib SECTION` and `.endl` in FILE; sections
//! are skipped where a file is read whole). Include cycles and
//! unreadable files are errors located at the `.include` card. Other cards
//! are only located here; elaboration parses them.
//!
//! Limits, so that hostile input ends in an error instead of exhausting the
//! machine: every file at most [`MAX_FILE_BYTES`](super::source::MAX_FILE_BYTES),
//! at most [`MAX_INCLUDES`] included files in all (a file that includes
//! another twice, which includes another twice, … would otherwise load
//! 2^depth files), nested at most [`MAX_INCLUDE_DEPTH`] deep, and at most
//! [`MAX_TOTAL_BYTES`] read in all.

use super::ast::Deck;
use super::expr::Ctx;
use super::lines;
use super::parser::{parse_card, Parsed};

/// True when a card is an `.include` (handled while loading; every other card
/// is parsed later, by elaboration).
fn is_include(text: &str) -> bool {
    let w = text.split(|c: char| c.is_whitespace()).next().unwrap_or("");
    w.eq_ignore_ascii_case(".include") || w.eq_ignore_ascii_case(".inc")
}

/// A library card: `.lib FILE SECTION` (read SECTION of FILE), `.lib
/// SECTION` (a section of this file begins) or `.endl [SECTION]` (it ends).
enum LibCard {
    Read {
        file: String,
        section: String,
        span: Span,
    },
    Begin(String),
    End,
}

/// The library card `text` (at `base` of file `id`) is, if it is one.
fn lib_card(text: &str, id: FileId, base: usize) -> Option<Result<LibCard, Diagnostic>> {
    let words: Vec<(usize, &str)> = text
        .split_whitespace()
        .map(|w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
        .collect();
    let head = words.first()?.1;
    let unquote = |w: &str| w.trim_matches(|c| c == '"' || c == '\'').to_string();
    if head.eq_ignore_ascii_case(".endl") {
        return Some(Ok(LibCard::End));
    }
    if !head.eq_ignore_ascii_case(".lib") {
        return None;
    }
    Some(match words.as_slice() {
        [_, (_, sec)] => Ok(LibCard::Begin(unquote(sec).to_ascii_lowercase())),
        [_, (at, file), (_, sec)] => Ok(LibCard::Read {
            file: unquote(file),
            section: unquote(sec).to_ascii_lowercase(),
            span: Span::new(id, base + at, base + at + file.len()),
        }),
        _ => Err(Diagnostic::new(
            Span::new(id, base, base + head.len()),
            "expected `.lib FILE SECTION` (read a section) or `.lib SECTION` (begin one)",
        )),
    })
}
use super::source::{read_input, FileId, Span};

/// Most files one netlist may include, counting repeats.
pub const MAX_INCLUDES: usize = 1000;
/// Deepest chain of `.include`s.
pub const MAX_INCLUDE_DEPTH: usize = 64;
/// Most bytes read for one netlist, all its includes together: 2 GiB.
pub const MAX_TOTAL_BYTES: usize = 2 << 30;
use super::{Diagnostic, Diagnostics};
use std::path::{Path, PathBuf};

/// Load and parse `path` and everything it includes. On error the returned
/// deck still holds the sources, so the diagnostics can be rendered.
pub fn load(path: &Path) -> Result<Deck, (Box<Deck>, Diagnostics)> {
    match read_input(path, true) {
        Ok((text, lossy)) => {
            let r = load_text(path, text);
            match (r, lossy) {
                (Ok(mut deck), Some(line)) => {
                    deck.warnings.push(not_utf8(&deck, FileId(0), line));
                    Ok(deck)
                }
                (r, _) => r,
            }
        }
        Err(e) => Err((Box::default(), Diagnostic::unlocated(e.to_string()).into())),
    }
}

fn not_utf8(deck: &Deck, id: FileId, line: usize) -> Diagnostic {
    let f = deck.sources.get(id);
    let start = f.line_start(line);
    Diagnostic::new(
        Span::new(id, start, start + 1),
        "this file is not UTF-8 text (this line is the first that is not): read as Latin-1 (ISO-8859-1)",
    )
    .with_hint("LTspice and Windows editors write `µ` (micro) as the byte 0xB5; save the file as UTF-8 to silence this")
    .warning()
}

/// Parse netlist text as if read from `path` (includes resolve relative to it).
pub fn load_text(path: &Path, text: String) -> Result<Deck, (Box<Deck>, Diagnostics)> {
    let mut deck = Deck::default();
    let id = deck.sources.add(path.to_path_buf(), text);
    let mut errors = Vec::new();
    let mut walk = Walk {
        stack: vec![(canonical(path), None)],
        bytes: deck.sources.text(id).len(),
    };
    parse_file(&mut deck, id, true, None, &mut walk, &mut errors);
    if errors.is_empty() {
        Ok(deck)
    } else {
        Err((Box::new(deck), Diagnostics(errors)))
    }
}

/// Where the include walk is: the chain of files being read (for cycles and
/// depth) and the bytes read so far.
struct Walk {
    /// Each file being read, and the library section read of it.
    stack: Vec<(PathBuf, Option<String>)>,
    bytes: usize,
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Read file `id`'s cards into the deck. `section`: read only that library
/// section of it (`.lib SECTION` … `.endl`); otherwise library sections
/// are skipped (they are read where a `.lib FILE SECTION` names them).
/// Returns whether `section` was found.
fn parse_file(
    deck: &mut Deck,
    id: FileId,
    top: bool,
    section: Option<&str>,
    walk: &mut Walk,
    errors: &mut Vec<Diagnostic>,
) -> bool {
    // The text is moved out while its cards borrow it (includes add files to
    // `deck.sources` meanwhile), and put back at the end.
    let text = std::mem::take(deck.sources.text_mut(id));
    let (title, raw) = lines::split(&text, top);
    if top {
        deck.title = title;
    }
    // The library section the cards are in, if any, and whether it is read.
    let mut in_section: Option<bool> = None;
    let mut found = false;
    for rc in raw {
        match lib_card(&rc.text, id, rc.start) {
            Some(Ok(LibCard::Begin(name))) => {
                let wanted = section == Some(name.as_str());
                found |= wanted;
                in_section = Some(wanted);
                continue;
            }
            Some(Ok(LibCard::End)) => {
                in_section = None;
                continue;
            }
            _ => {}
        }
        let reading = match section {
            Some(_) => in_section == Some(true),
            None => in_section.is_none(),
        };
        if !reading {
            continue;
        }
        match lib_card(&rc.text, id, rc.start) {
            Some(Ok(LibCard::Read {
                file,
                section,
                span,
            })) => {
                include(deck, id, &file, Some(&section), span, walk, errors);
                continue;
            }
            Some(Err(d)) => {
                errors.push(d);
                continue;
            }
            _ => {}
        }
        if !is_include(&rc.text) {
            deck.push_card(id, rc);
            continue;
        }
        match parse_card(
            &rc.text,
            Ctx {
                file: id,
                base: rc.start,
            },
        ) {
            Ok(Parsed::Include(p, span)) => include(deck, id, &p, None, span, walk, errors),
            Ok(_) => {}
            Err(e) => errors.push(e.into()),
        }
    }
    *deck.sources.text_mut(id) = text;
    found
}

/// Read file `p` (relative to file `from`) in place: all of it, or only
/// library section `section`.
fn include(
    deck: &mut Deck,
    from: FileId,
    p: &str,
    section: Option<&str>,
    span: Span,
    walk: &mut Walk,
    errors: &mut Vec<Diagnostic>,
) {
    let base = deck
        .sources
        .path(from)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let path = base.join(p);
    let canon = (canonical(&path), section.map(str::to_string));
    if walk.stack.contains(&canon) {
        errors.push(
            Diagnostic::new(
                span,
                format!("include cycle: '{}' includes itself", path.display()),
            )
            .with_hint("remove one of the .include cards that form the cycle"),
        );
        return;
    }
    if walk.stack.len() > MAX_INCLUDE_DEPTH {
        errors.push(Diagnostic::new(
            span,
            format!("includes nested more than {MAX_INCLUDE_DEPTH} deep"),
        ));
        return;
    }
    if deck.sources.len() > MAX_INCLUDES {
        errors.push(
            Diagnostic::new(
                span,
                format!("more than {MAX_INCLUDES} included files in one netlist"),
            )
            .with_hint("a file included many times over (an include fan-out) repeats its cards each time; include it once"),
        );
        return;
    }
    let (text, lossy) = match read_input(&path, false) {
        Ok(t) => t,
        Err(e) => {
            errors.push(Diagnostic::new(span, format!("include: {e}")));
            return;
        }
    };
    walk.bytes += text.len();
    if walk.bytes > MAX_TOTAL_BYTES {
        errors.push(Diagnostic::new(
            span,
            format!(
                "the netlist and its includes exceed {} MiB in all",
                MAX_TOTAL_BYTES >> 20
            ),
        ));
        return;
    }
    let id = deck.sources.add(path.clone(), text);
    if let Some(line) = lossy {
        let w = not_utf8(deck, id, line);
        deck.warnings.push(w);
    }
    walk.stack.push(canon);
    let found = parse_file(deck, id, false, section, walk, errors);
    walk.stack.pop();
    if let (Some(sec), false) = (section, found) {
        errors.push(
            Diagnostic::new(
                span,
                format!("'{}' has no library section '{sec}'", path.display()),
            )
            .with_hint("a section is `.lib SECTION` ... `.endl` in that file"),
        );
    }
}
