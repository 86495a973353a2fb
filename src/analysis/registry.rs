//! The table of analyses: directive name → card reader. One line per
//! analysis; [`super::plan`] reads every analysis card through it.

use super::card::{push, CardCtx};
use super::{dc, meas, op, perceptron, program, pulse, read, sizing, thresholds, vmm, Analysis};
use crate::netlist::Card;

/// Reads one card and pushes the analysis it plans onto the list (or, for
/// a card that continues the previous analysis, extends that one). Errors
/// go to the context, with spans.
pub type Reader = fn(&mut CardCtx, &Card, &mut Vec<Box<dyn Analysis>>);

/// One analysis kind.
pub struct Entry {
    /// The directive, without its dot.
    pub name: &'static str,
    pub read: Reader,
}

/// Every analysis, in the order the help lists them.
#[rustfmt::skip]
pub const ANALYSES: &[Entry] = &[
    Entry { name: "op", read: op::read },
    Entry { name: "dc", read: dc::read },
    Entry { name: "vmm", read: |cx, card, out| push(cx, card, out, vmm::card::parse) },
    Entry { name: "read", read: |cx, card, out| push(cx, card, out, read::card::parse) },
    Entry { name: "sizing", read: |cx, card, out| push(cx, card, out, sizing::card::parse) },
    Entry { name: "program", read: |cx, card, out| push(cx, card, out, program::card::parse) },
    Entry { name: "pulse", read: pulse::card::read },
    Entry { name: "thresholds", read: |cx, card, out| push(cx, card, out, thresholds::card::parse) },
    Entry { name: "perceptron", read: perceptron::card::read },
    Entry { name: "meas", read: meas::read },
];

/// The entry of a directive.
pub fn find(name: &str) -> Option<&'static Entry> {
    ANALYSES.iter().find(|e| e.name == name)
}
