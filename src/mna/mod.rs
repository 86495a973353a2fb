//! Modified nodal analysis: unknowns (`mapping`), sparsity pattern and slots
//! (`pattern`), and assembly of residual and Jacobian (`system`).

pub mod mapping;
pub mod pattern;
pub mod system;

pub use mapping::{Mapping, NONE};
pub use system::System;
