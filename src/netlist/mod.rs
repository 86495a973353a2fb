//! The netlist language: SPICE conventions, parsed with `nom` + `nom_locate`.
//!
//! `lines` splits a file into logical cards, `parser` turns a card into an
//! [`ast::Card`], `expr` parses `{expressions}`, `units` reads SPICE numbers,
//! `load` follows `.include`s, and `diag` renders errors like a compiler's.

pub mod ast;
pub mod diag;
pub mod expr;
pub mod lines;
pub mod load;
pub mod parser;
pub mod source;
pub mod units;

pub use ast::{Arg, ArgValue, Card, Deck, Name, SourceSpec, Value, Wave, WaveKind};
pub use diag::{Diagnostic, Diagnostics};
pub use load::{load, load_text};
pub use source::{FileId, Sources, Span};
