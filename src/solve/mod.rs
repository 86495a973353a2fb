//! Solvers: sparse direct factorization (`sparse`, faer) and Newton–Raphson
//! with damping, gmin stepping and source stepping (`newton`); line
//! relaxation for crossbars whose lines are all driven (`lines`); the flag
//! that stops them from outside (`interrupt`).

pub mod interrupt;
pub mod lines;
pub mod newton;
pub mod ordering;
pub mod pair;
pub mod pcg;
pub mod sparse;

pub use newton::{Newton, SolveFailure, Stats};
pub use sparse::{SolveError, SolverChoice, SparseSolver};
