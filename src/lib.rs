//! xbarsim: a SPICE-style DC simulator for passive memristor crossbar arrays.
//!
//! Data flow: `netlist` (parse, with spans) → `circuit` (elaborate, validate)
//! → `mna` (unknowns, pattern, assembly) → `solve` (faer factorizations,
//! Newton) → `analysis` (op, dc) → `report` (CSV files); `cli` is the binary.

// Diagnostics (with spans, hints and notes) are the error type of the input
// path; they are built only on errors, so their size does not matter.
#![allow(clippy::result_large_err)]
pub mod analysis;
pub mod circuit;
pub mod cli;
pub mod devices;
pub mod mna;
pub mod netlist;
pub mod nn;
pub mod report;
pub mod solve;
