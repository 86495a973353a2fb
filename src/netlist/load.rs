//! Reading a netlist from disk: the top file, then every `.include` (paths
//! relative to the including file), spliced in place. Include cycles and
//! unreadable files are errors located at the `.include` card. Other cards
//! are only located here; elaboration parses them.

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
use super::source::{FileId, Span};
use super::{Diagnostic, Diagnostics};
use std::path::{Path, PathBuf};

/// Load and parse `path` and everything it includes. On error the returned
/// deck still holds the sources, so the diagnostics can be rendered.
pub fn load(path: &Path) -> Result<Deck, (Box<Deck>, Diagnostics)> {
    match std::fs::read_to_string(path) {
        Ok(text) => load_text(path, text),
        Err(e) => Err((
            Box::default(),
            Diagnostic::unlocated(format!("cannot read {}: {e}", path.display())).into(),
        )),
    }
}

/// Parse netlist text as if read from `path` (includes resolve relative to it).
pub fn load_text(path: &Path, text: String) -> Result<Deck, (Box<Deck>, Diagnostics)> {
    let mut deck = Deck::default();
    let id = deck.sources.add(path.to_path_buf(), text);
    let mut errors = Vec::new();
    let mut stack = vec![canonical(path)];
    parse_file(&mut deck, id, true, &mut stack, &mut errors);
    if errors.is_empty() {
        Ok(deck)
    } else {
        Err((Box::new(deck), Diagnostics(errors)))
    }
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn parse_file(
    deck: &mut Deck,
    id: FileId,
    top: bool,
    stack: &mut Vec<PathBuf>,
    errors: &mut Vec<Diagnostic>,
) {
    // The text is moved out while its cards borrow it (includes add files to
    // `deck.sources` meanwhile), and put back at the end.
    let text = std::mem::take(deck.sources.text_mut(id));
    let (title, raw) = lines::split(&text, top);
    if top {
        deck.title = title;
    }
    for rc in raw {
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
            Ok(Parsed::Include(p, span)) => include(deck, id, &p, span, stack, errors),
            Ok(_) => {}
            Err(e) => errors.push(e.into()),
        }
    }
    *deck.sources.text_mut(id) = text;
}

fn include(
    deck: &mut Deck,
    from: FileId,
    p: &str,
    span: Span,
    stack: &mut Vec<PathBuf>,
    errors: &mut Vec<Diagnostic>,
) {
    let base = deck
        .sources
        .path(from)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let path = base.join(p);
    let canon = canonical(&path);
    if stack.contains(&canon) {
        errors.push(
            Diagnostic::new(
                span,
                format!("include cycle: '{}' includes itself", path.display()),
            )
            .with_hint("remove one of the .include cards that form the cycle"),
        );
        return;
    }
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            errors.push(Diagnostic::new(
                span,
                format!("cannot read include file '{}': {e}", path.display()),
            ));
            return;
        }
    };
    let id = deck.sources.add(path, text);
    stack.push(canon);
    parse_file(deck, id, false, stack, errors);
    stack.pop();
}
