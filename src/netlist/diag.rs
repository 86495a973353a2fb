//! Diagnostics that look like a compiler's:
//!
//! ```text
//! deck.cir:12:7: error: resistance must be positive, got -5
//!    |
//! 12 | R1 a b -5
//!    |        ^^
//!    = hint: use a 0 V voltage source to short two nodes
//! ```

use super::source::{Sources, Span};
use std::fmt::Write as _;

/// One error, optionally located in a source file.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub span: Option<Span>,
    pub message: String,
    pub hint: Option<String>,
    /// A secondary location ("first defined here").
    pub note: Option<(Span, String)>,
    /// A warning rather than an error: reported, but does not stop the run.
    pub warning: bool,
}

impl Diagnostic {
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            span: Some(span),
            message: message.into(),
            hint: None,
            note: None,
            warning: false,
        }
    }
    pub fn unlocated(message: impl Into<String>) -> Self {
        Diagnostic {
            span: None,
            message: message.into(),
            hint: None,
            note: None,
            warning: false,
        }
    }
    pub fn warning(mut self) -> Self {
        self.warning = true;
        self
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    pub fn with_note(mut self, span: Span, note: impl Into<String>) -> Self {
        self.note = Some((span, note.into()));
        self
    }
    /// `what` (e.g. "model 'm1'") written a second time at `at`, first at
    /// `first`.
    pub fn defined_twice(at: Span, what: impl std::fmt::Display, first: Span) -> Self {
        Diagnostic::new(at, format!("{what} is defined twice"))
            .with_note(first, "first defined here")
    }

    /// `path:line:col` of the primary span, if any.
    pub fn location(&self, sources: &Sources) -> Option<(String, usize, usize)> {
        let span = self.span?;
        if span.file.0 as usize >= sources.len() {
            return None;
        }
        let f = sources.get(span.file);
        let (l, c) = f.line_col(span.start);
        Some((f.path.display().to_string(), l, c))
    }

    /// Render with source line and caret.
    pub fn render(&self, sources: &Sources) -> String {
        let mut out = String::new();
        let level = if self.warning { "warning" } else { "error" };
        match self.span.filter(|s| (s.file.0 as usize) < sources.len()) {
            Some(span) => {
                let f = sources.get(span.file);
                let (line, col) = f.line_col(span.start);
                let _ = writeln!(
                    out,
                    "{}:{}:{}: {level}: {}",
                    f.path.display(),
                    line,
                    col,
                    self.message
                );
                snippet(&mut out, sources, span);
            }
            None => {
                let _ = writeln!(out, "{level}: {}", self.message);
            }
        }
        if let Some((span, note)) = &self.note {
            if (span.file.0 as usize) < sources.len() {
                let f = sources.get(span.file);
                let (line, col) = f.line_col(span.start);
                let _ = writeln!(out, "{}:{}:{}: note: {}", f.path.display(), line, col, note);
                snippet(&mut out, sources, *span);
            }
        }
        if let Some(h) = &self.hint {
            let _ = writeln!(out, "   = hint: {h}");
        }
        out
    }
}

/// Longest source line shown whole; a longer one is shown as a window of
/// this many characters around the caret, with `…` at the cut ends.
const MAX_SHOWN: usize = 120;

fn snippet(out: &mut String, sources: &Sources, span: Span) {
    let f = sources.get(span.file);
    let (line, col) = f.line_col(span.start);
    let full = f.line_text(line);
    let (eline, ecol) = f.line_col(span.end.max(span.start));
    let width = if eline == line && ecol > col {
        ecol - col
    } else {
        1
    };
    let n = full.chars().count();
    let (text, col, width) = if n <= MAX_SHOWN {
        (full.to_string(), col, width)
    } else {
        let from = col.saturating_sub(MAX_SHOWN / 2 + 1).min(n - MAX_SHOWN);
        let body: String = full.chars().skip(from).take(MAX_SHOWN).collect();
        let head = if from > 0 { "…" } else { "" };
        let tail = if from + MAX_SHOWN < n { "…" } else { "" };
        let col = col - from + head.chars().count();
        (
            format!("{head}{body}{tail}"),
            col,
            width.min(MAX_SHOWN + 1 - (col - head.chars().count())),
        )
    };
    let text = text.as_str();
    let gutter = line.to_string().len();
    let _ = writeln!(out, "{:gutter$} |", "");
    let _ = writeln!(out, "{line} | {text}");
    let _ = writeln!(
        out,
        "{:gutter$} | {}{}",
        "",
        " ".repeat(col - 1),
        "^".repeat(width.min(text.chars().count().saturating_sub(col - 1).max(1)))
    );
}

/// A list of diagnostics (a netlist can have several errors).
#[derive(Debug, Clone, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn render(&self, sources: &Sources) -> String {
        self.0.iter().map(|d| d.render(sources)).collect()
    }

    /// What a caller that reports one error takes from them (the Python
    /// package's exceptions): all of them rendered, and the first one's
    /// message and `file:line:col`.
    pub fn summary(&self, sources: &Sources) -> (String, String, Option<(String, usize, usize)>) {
        let first = self.0.first();
        (
            self.render(sources),
            first.map_or(String::new(), |x| x.message.clone()),
            first.and_then(|x| x.location(sources)),
        )
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}
