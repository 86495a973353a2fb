//! Numerical options of a circuit (`.options`): tolerances, iteration
//! limits and the choice of linear solver.

/// Numerical options (`.options`), SPICE names. Defaults are tighter than
/// SPICE's (reltol 1e-3) because crossbar studies compare small current
/// differences; Newton's quadratic convergence makes that cheap.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Relative tolerance on node voltages and node current balance.
    pub reltol: f64,
    /// Absolute tolerance on node current balance (A).
    pub abstol: f64,
    /// Absolute tolerance on node voltages (V).
    pub vntol: f64,
    /// Smallest shunt conductance (S) of gmin stepping.
    pub gmin: f64,
    /// Newton iteration limit for one solve.
    pub itl1: usize,
    /// Linear solver: auto (CG for large symmetric systems), direct, iterative.
    pub solver: SolverChoice,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            reltol: 1e-6,
            abstol: 1e-12,
            vntol: 1e-9,
            gmin: 1e-12,
            itl1: 100,
            solver: Default::default(),
        }
    }
}

/// Which linear solver to use (`.options solver=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SolverChoice {
    /// Iterative for symmetric systems of at least `solve::sparse::PCG_MIN_UNKNOWNS` unknowns, direct otherwise.
    #[default]
    Auto,
    Direct,
    Iterative,
}
