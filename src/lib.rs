//! xbarsim: a SPICE-style DC simulator for passive memristor crossbar arrays.
pub mod netlist;
pub mod circuit;
pub mod devices;
pub mod mna;
pub mod solve;
pub mod analysis;
pub mod cli;
pub mod report;
