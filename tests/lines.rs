//! Line relaxation (`solve::lines`): the operating point of a driven
//! crossbar equals Newton's, Kirchhoff's current law holds at every node, and
//! circuits outside its form are refused.

use crate::common::*;
use xbarsim::analysis::Engine;
use xbarsim::solve::lines::LineRelax;

/// A 5×6 sinh crossbar, every line end driven or sensed through resistors.
fn driven(rline: f64) -> String {
    let mut t = format!(
        "lines\n.options reltol=1e-9 vntol=1e-12 abstol=1e-15\n.model d memristor (level=sinh beta=3)\n.crossbar xb rows=5 cols=6 model=d rrow={rline} rcol={rline} g=40u\n"
    );
    for i in 0..5 {
        t += &format!(
            "Vr{i} r{i} 0 {}\nRr{i} r{i} xb.w{i} 2\n",
            0.2 + 0.1 * i as f64
        );
    }
    for j in 0..6 {
        t += &format!("Vc{j} c{j} 0 {}\nRc{j} c{j} xb.s{j} 3\n", -0.05 * j as f64);
    }
    t + ".end\n"
}

/// Newton's operating point of `c`: the engine and its node voltages.
fn newton(c: &xbarsim::circuit::Circuit) -> (Engine<'_>, Vec<f64>) {
    let mut e = Engine::new(c).unwrap();
    e.solve().unwrap();
    let y = e.y.clone();
    e.sys.node_voltages(&y);
    let want = e.sys.v.clone();
    (e, want)
}

/// Solve `c` by line relaxation twice, with `set(lr, false)` and then
/// `set(lr, true)` applied first: both within `tol` of Newton at every node,
/// in the same number of sweeps, to the same bits.
fn same_bits_either_way(
    c: &xbarsim::circuit::Circuit,
    tol: f64,
    set: impl Fn(&mut LineRelax, bool),
) {
    let (e, want) = newton(c);
    let mut got = Vec::new();
    for on in [false, true] {
        let mut lr = LineRelax::new(c, &e.sys).expect("the chain form");
        set(&mut lr, on);
        let mut v = vec![0.0; c.nodes.len()];
        lr.start_from_ties(c, &e.sys, &mut v);
        let sweeps = lr.solve(c, &e.sys, &mut v).unwrap();
        for (k, (a, b)) in v.iter().zip(&want).enumerate() {
            assert!((a - b).abs() <= tol, "node {k}: {a} vs {b}");
        }
        got.push((sweeps, v.iter().map(|x| x.to_bits()).collect::<Vec<_>>()));
    }
    assert_eq!(got[0], got[1]);
}

#[test]
fn operating_point_equals_newton_and_satisfies_kcl() {
    let c = circuit(&driven(4.0));
    let (e, want) = newton(&c);
    let mut lr = LineRelax::new(&c, &e.sys).expect("a driven crossbar has the chain form");
    let mut v = vec![0.0; c.nodes.len()];
    lr.start_from_ties(&c, &e.sys, &mut v);
    let sweeps = lr.solve(&c, &e.sys, &mut v).unwrap();
    assert!(sweeps > 1 && sweeps < 30, "{sweeps}");
    for (k, (a, b)) in v.iter().zip(&want).enumerate() {
        assert!((a - b).abs() <= 1e-10, "node {k}: {a} vs {b}");
    }
    // KCL at every unknown node, from the elements themselves.
    let mut net = vec![0.0; c.nodes.len()];
    let mut scale = vec![0.0f64; c.nodes.len()];
    let mut add = |a: usize, b: usize, i: f64| {
        net[a] += i;
        net[b] -= i;
        scale[a] = scale[a].max(i.abs());
        scale[b] = scale[b].max(i.abs());
    };
    for r in &c.resistors {
        add(r.a.idx(), r.b.idx(), r.g * (v[r.a.idx()] - v[r.b.idx()]));
    }
    for m in &c.memristors {
        let law = c.models[m.model as usize].law;
        add(
            m.a.idx(),
            m.b.idx(),
            law.current(m.g, v[m.a.idx()] - v[m.b.idx()]),
        );
    }
    for (k, &u) in e.sys.map.unk.iter().enumerate() {
        if u != xbarsim::mna::NONE {
            assert!(
                net[k].abs() <= 1e-9 * scale[k] + 1e-14,
                "node {k}: {}",
                net[k]
            );
        }
    }
    // Warm-started from the solution it stops at once.
    assert_eq!(lr.solve(&c, &e.sys, &mut v).unwrap(), 1);
}

#[test]
fn circuits_outside_the_chain_form_are_refused() {
    let take = |text: &str| {
        let c = circuit(text);
        let e = Engine::new(&c).unwrap();
        LineRelax::new(&c, &e.sys).is_some()
    };
    assert!(take(&driven(1.0)));
    // Ideal lines merge each line into one node with many devices.
    assert!(!take(&driven(0.0)));
    // A resistor triangle is a cycle, not a chain.
    assert!(!take(
        "tri\n.model d memristor (level=linear)\nV1 a 0 1\nR1 a b 1\nR2 b c 1\nR3 c d 1\nR4 d b 1\nYMEMRISTOR y1 c 0 d g=1u\n.end\n"
    ));
    // A floating voltage source.
    assert!(!take(
        "fl\n.model d memristor (level=linear)\nV1 a 0 1\nR1 a b 1\nV2 b c 0.5\nR2 c 0 1\nYMEMRISTOR y1 b 0 d g=1u\n.end\n"
    ));
    // No memristor at all.
    assert!(!take("r\nV1 a 0 1\nR1 a b 1\nR2 b 0 1\n.end\n"));
}

/// Chains of unequal length side by side (row 0 and column 5 reach their
/// ties through extra nodes, so their groups carry padding): the solution
/// still equals Newton's, and the AVX2 and baseline loops give the same bits.
#[test]
fn unequal_chains_and_both_loop_copies_agree_with_newton() {
    let text = driven(4.0)
        .replace("Rr0 r0 xb.w0 2\n", "Rr0 r0 x0 1\nRx0 x0 xb.w0 1\n")
        .replace(
            "Rc5 c5 xb.s5 3\n",
            "Rc5 c5 y0 1\nRy0 y0 y1 1\nRy1 y1 xb.s5 1\n",
        );
    same_bits_either_way(&circuit(&text), 1e-10, |lr, on| lr.use_avx2(on));
}

/// A crossbar large enough that each colour is split over two threads: the
/// same bits as on one thread, and KCL-true (Newton agrees).
#[test]
fn two_threads_give_the_same_bits_as_one() {
    let n = 48;
    let mut t = format!(
        "big\n.model d memristor (level=cubic temp=27)\n.crossbar xb rows={n} cols={n} model=d rrow=0.5 rcol=0.5 g=30u\n"
    );
    for i in 0..n {
        let v = if i == 7 { 1.1 } else { 0.55 };
        t += &format!("Vr{i} r{i} 0 {v}\nRr{i} r{i} xb.w{i} 1\n");
    }
    for j in 0..n {
        let v = if j == 30 { 0.0 } else { 0.55 };
        t += &format!("Vc{j} c{j} 0 {v}\nRc{j} c{j} xb.s{j} 1\n");
    }
    same_bits_either_way(&circuit(&(t + ".end\n")), 1e-8, |lr, on| lr.use_threads(on));
}
