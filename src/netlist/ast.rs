//! The parsed netlist: one [`Card`] per element or directive, every name and
//! value with its [`Span`]. Names are lower-cased (SPICE is case-insensitive).

use super::expr::Expr;
use super::source::{Sources, Span};
use super::Diagnostic;

/// A name (element, node, model, parameter, option) and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

/// A value: an expression evaluated at elaboration (a plain number is `Expr::Num`).
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    pub expr: Expr,
    pub span: Span,
}

/// A `key=value` argument of a directive or model card.
#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    pub key: Name,
    pub value: ArgValue,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ArgValue {
    /// No `=value` (a flag such as `.options klu`).
    Flag,
    Value(Value),
    /// `"text"`
    Str(String, Span),
    /// `file("path")`
    File(String, Span),
}

impl ArgValue {
    pub fn span(&self, key: &Name) -> Span {
        match self {
            ArgValue::Flag => key.span,
            ArgValue::Value(v) => v.span,
            ArgValue::Str(_, s) | ArgValue::File(_, s) => *s,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Card {
    Resistor { name: Name, nodes: [Name; 2], value: Value },
    VSource { name: Name, nodes: [Name; 2], value: Value },
    ISource { name: Name, nodes: [Name; 2], value: Value },
    /// `Bname n+ n- I={expr}`: current from n+ through the source to n-.
    BSource { name: Name, nodes: [Name; 2], expr: Expr, span: Span },
    /// `YMEMRISTOR name n+ n- model [g=...]`
    Memristor { name: Name, nodes: [Name; 2], model: Name, args: Vec<Arg> },
    /// `.model name type (key=value ...)`
    Model { name: Name, kind: Name, args: Vec<Arg> },
    /// `.param a=1 b={2*a}`
    Param(Vec<(Name, Value)>),
    /// `.options reltol=1e-6 ...`
    Options(Vec<Arg>),
    /// `.temp 27`
    Temp(Value),
    /// `.op`
    Op(Span),
    /// `.dc src start stop step`
    Dc { span: Span, source: Name, start: Value, stop: Value, step: Value },
    /// `.crossbar XB rows=.. cols=.. model=.. ...`
    Crossbar { name: Name, args: Vec<Arg>, span: Span },
    /// Any other analysis/directive card with `key=value` arguments, whose
    /// meaning an analysis module gives (e.g. `.vmm`, `.read`): the directive
    /// name (without dot), its positional words, and its arguments.
    Directive { kind: Name, words: Vec<Name>, args: Vec<Arg> },
}

impl Card {
    /// The element name, for cards that are elements.
    pub fn element_name(&self) -> Option<&Name> {
        match self {
            Card::Resistor { name, .. }
            | Card::VSource { name, .. }
            | Card::ISource { name, .. }
            | Card::BSource { name, .. }
            | Card::Memristor { name, .. } => Some(name),
            _ => None,
        }
    }
}

/// A loaded netlist: title, cards in order (includes spliced in place), the
/// files they came from, and warnings.
#[derive(Debug, Default)]
pub struct Deck {
    pub title: String,
    pub cards: Vec<Card>,
    pub sources: Sources,
    pub warnings: Vec<Diagnostic>,
}
