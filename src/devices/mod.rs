//! Element kinds. Each is a plain struct held in a `Vec` per kind (one loop per
//! device type in the Newton assembly, no dynamic dispatch).

pub mod bsource;
pub mod diode;
pub mod memristor;
