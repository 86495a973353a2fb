//! Newton robustness: steep laws that need damping, homotopy fallbacks, and
//! reuse of the symbolic factorization across sweep points.

use crate::common::*;
use xbarsim::analysis::{dc, op, Engine};

/// A very steep sinh device (β = 20/V) driven hard through a small resistor:
/// an undamped Newton from zero overshoots to sinh(huge).
#[test]
fn steep_sinh_converges() {
    let m = op_map("t\n.options reltol=1e-12 vntol=1e-15\nV1 a 0 5\nR1 a b 10\nB1 b 0 I=1e-6*sinh(20*V(b))\n.op\n");
    let vb = bisect(|x| (5.0 - x) / 10.0 - 1e-6 * (20.0 * x).sinh(), 0.0, 5.0);
    assert_close(m["v(b)"], vb, 1e-10, "v(b)");
}

/// Many nonlinear devices in series chains between rails.
#[test]
fn sinh_chain_matches_scalar_solution_by_symmetry() {
    // Two identical devices in series: the middle node sits at V/2 exactly.
    let m = op_map("t\n.options reltol=1e-12 vntol=1e-15\nV1 a 0 3\nB1 a m I=1e-5*sinh(4*V(a,m))\nB2 m 0 I=1e-5*sinh(4*V(m))\n.op\n");
    assert_close(m["v(m)"], 1.5, 1e-9, "v(m)");
}

#[test]
fn sweep_reuses_structure_and_warm_starts() {
    let c = circuit("t\nV1 a 0 0\nR1 a b 1k\nB1 b 0 I=1e-4*sinh(3*V(b))\n.dc V1 0 2 0.05\n");
    let mut e = Engine::new(&c).unwrap();
    let r = dc::run(
        &mut e,
        xbarsim::analysis::dc::SweptSource::V(0),
        0.0,
        2.0,
        0.05,
    );
    assert!(r.failure.is_none());
    assert_eq!(r.rows.len(), 41);
    // Warm starts: far fewer than ~6 iterations per point.
    assert!(
        r.stats.iterations < 41 * 5,
        "{} iterations",
        r.stats.iterations
    );
    // Linear circuits factor exactly once for a whole sweep.
    let c = circuit("t\nV1 a 0 0\nR1 a b 1k\nR2 b 0 1k\n.dc V1 0 1 0.01\n");
    let mut e = Engine::new(&c).unwrap();
    let r = dc::run(
        &mut e,
        xbarsim::analysis::dc::SweptSource::V(0),
        0.0,
        1.0,
        0.01,
    );
    assert_eq!(r.rows.len(), 101);
    assert_eq!(e.solver.factorizations, 1);
    let last = r.rows.last().unwrap();
    let ib = r.names.iter().position(|n| n == "v(b)").unwrap();
    assert_close(last[ib], 0.5, 1e-12, "v(b) at 1 V");
}

#[test]
fn op_reports_method_and_iterations() {
    let c = circuit("t\nV1 a 0 0.3\nR1 a b 100\nB1 b 0 I=1e-5*sinh(2.6*V(b))\n.op\n");
    let mut e = Engine::new(&c).unwrap();
    let r = op::run(&mut e).unwrap();
    assert_eq!(r.stats.method, "newton");
    assert!(
        r.stats.iterations >= 2 && r.stats.iterations < 10,
        "{:?}",
        r.stats
    );
}
