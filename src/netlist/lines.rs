//! Splitting a file into logical cards (SPICE line conventions).
//!
//! - the first line of the top-level file is the title;
//! - `*` as the first non-blank character: comment line;
//! - `;` anywhere, or `$` at the start or after white space: comment to end of line
//!   (not inside quotes or braces);
//! - `+` as the first non-blank character continues the previous card;
//! - `.control` … `.endc` (ngspice's script block): its `op`, `dc` and
//!   `print` commands become `.op` / `.dc` / `.print` cards, its other
//!   commands `.control …` cards (`analysis::control` runs them);
//! - `.end` ends the netlist.
//!
//! A card's text keeps every byte at its file offset (comment and continuation
//! characters become spaces), so parser offsets map to file offsets by adding
//! the card's start.

use std::borrow::Cow;

/// One logical card: its text and the byte offset of its first character in the file.
#[derive(Debug)]
pub struct RawCard<'a> {
    pub text: Cow<'a, str>,
    pub start: usize,
}

/// Byte offset where a comment begins in `line`, if any.
fn comment_start(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let mut in_quote = false;
    let mut brace = 0i32;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'"' => in_quote = !in_quote,
            b'{' if !in_quote => brace += 1,
            b'}' if !in_quote => brace -= 1,
            b';' if !in_quote && brace <= 0 => return Some(i),
            b'$' if !in_quote && brace <= 0 && (i == 0 || b[i - 1].is_ascii_whitespace()) => {
                return Some(i)
            }
            _ => {}
        }
    }
    None
}

fn directive_is(line: &str, word: &str) -> bool {
    let t = line.trim_start();
    let first = t.split(|c: char| c.is_whitespace()).next().unwrap_or("");
    first.eq_ignore_ascii_case(word)
}

/// The card of one `.control` line (see `analysis::control`), at file
/// offset `line_start`: `op`, `dc …`, `print …` become `.op`, `.dc …`,
/// `.print …` (a leading '.', the start one byte back so offsets still
/// map); `run`, `quit`, `exit`, comments and blank lines none; `wrdata`,
/// `set`, `unset` a `.control <line>` card and any other command
/// `.control <command word>` (its arguments, ngspice's own script
/// language, are not read), the start nine bytes back (the `.control`
/// line itself is at least that far back).
fn control_card<'a>(
    text: &str,
    line: &str,
    line_start: usize,
    line_end: usize,
) -> Option<RawCard<'a>> {
    let trimmed = line.trim_start();
    if trimmed.is_empty() || trimmed.starts_with(['*', '#']) {
        return None;
    }
    let lead = line.len() - trimmed.len();
    let end = match comment_start(line) {
        Some(c) => line_start + c,
        None => line_end,
    };
    let at = line_start + lead;
    let body = text.get(at..end.max(at))?.trim_end();
    let word: String = body
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect::<String>()
        .to_ascii_lowercase();
    let (text, start) = match word.as_str() {
        "" | "run" | "quit" | "exit" => return None,
        "op" | "dc" | "print" => (format!(".{body}"), at.saturating_sub(1)),
        "wrdata" | "set" | "unset" => (format!(".control {body}"), at.saturating_sub(9)),
        _ => (format!(".control {word}"), at.saturating_sub(9)),
    };
    Some(RawCard {
        text: Cow::Owned(text),
        start,
    })
}

/// Split `text` into cards. `has_title`: skip the first line (top-level file).
/// Returns the title (if any) and the cards.
/// The card being assembled: start, end (exclusive), byte ranges to blank.
type Pending = Option<(usize, usize, Vec<(usize, usize)>)>;

pub fn split<'a>(text: &'a str, has_title: bool) -> (String, Vec<RawCard<'a>>) {
    let mut cards: Vec<RawCard> = Vec::new();
    let mut title = String::new();
    // Current card: start offset and end offset (exclusive) of its raw text,
    // plus the edits (ranges to blank) if it spans lines or has comments.
    let mut cur: Pending = None;
    let mut in_control = false;
    let mut offset = 0usize;
    let mut first = has_title;

    let flush = |cur: &mut Pending, cards: &mut Vec<RawCard<'a>>| {
        if let Some((s, e, blanks)) = cur.take() {
            let raw = &text[s..e];
            if blanks.is_empty() {
                cards.push(RawCard {
                    text: Cow::Borrowed(raw),
                    start: s,
                });
            } else {
                let mut bytes = raw.as_bytes().to_vec();
                for (bs, be) in blanks {
                    for b in &mut bytes[bs - s..be - s] {
                        *b = b' ';
                    }
                }
                // Only whole ASCII-delimited ranges were blanked; multi-byte
                // characters inside them became spaces byte by byte.
                let t = String::from_utf8(bytes)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
                cards.push(RawCard {
                    text: Cow::Owned(t),
                    start: s,
                });
            }
        }
    };

    for raw_line in text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw_line.len();
        let line = raw_line.trim_end_matches(['\n', '\r']);
        let line_end = line_start + line.len();
        if first {
            first = false;
            title = line.trim().to_string();
            continue;
        }
        if in_control {
            if directive_is(line, ".endc") {
                in_control = false;
            } else if let Some(card) = control_card(text, line, line_start, line_end) {
                cards.push(card);
            }
            continue;
        }
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('*') {
            // Blank or comment lines inside a continued card are blanked later.
            continue;
        }
        let lead = line.len() - trimmed.len();
        let content_end = match comment_start(line) {
            Some(c) => line_start + c,
            None => line_end,
        };
        if trimmed.starts_with('+') {
            if let Some((_, e, blanks)) = cur.as_mut() {
                // Blank everything between the previous end and this line's '+', inclusive.
                blanks.push((*e, line_start + lead + 1));
                *e = content_end.max(line_start + lead + 1);
                continue;
            }
            // A '+' with nothing to continue: treat the rest as a card of its own,
            // the parser will complain about it.
        }
        if text[line_start + lead..content_end].trim().is_empty() {
            continue;
        }
        flush(&mut cur, &mut cards);
        if directive_is(line, ".control") {
            in_control = true;
            continue;
        }
        if directive_is(line, ".end") {
            break;
        }
        cur = Some((line_start + lead, content_end, Vec::new()));
    }
    flush(&mut cur, &mut cards);
    (title, cards)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn continuation_and_comments() {
        let src = "title line\nR1 a b 1k ; inline\n* full comment\n+ extra $ dollar\nV1 a 0 DC 1\n.control\nop\n.endc\n.end\nR9 x y 1\n";
        let (title, cards) = split(src, true);
        assert_eq!(title, "title line");
        assert_eq!(cards.len(), 3);
        assert_eq!(cards[2].text, ".op");
        assert_eq!(
            cards[0].text.split_whitespace().collect::<Vec<_>>(),
            ["R1", "a", "b", "1k", "extra"]
        );
        // offsets are preserved
        let r1 = &cards[0];
        let pos = r1.text.find("extra").unwrap();
        assert_eq!(&src[r1.start + pos..r1.start + pos + 5], "extra");
        assert_eq!(cards[1].text, "V1 a 0 DC 1");
        assert_eq!(&src[cards[1].start..cards[1].start + 2], "V1");
    }
    #[test]
    fn no_title_in_includes() {
        let (t, cards) = split("R1 a b 1\n", false);
        assert_eq!(t, "");
        assert_eq!(cards.len(), 1);
    }
    #[test]
    fn comment_chars_inside_quotes_and_braces() {
        let (_, cards) = split("t\n.include \"a;b$c.cir\"\nR1 a b {1 ; 2}\n", true);
        assert_eq!(cards[0].text, ".include \"a;b$c.cir\"");
        assert_eq!(cards[1].text, "R1 a b {1 ; 2}");
    }
}
