//! Controlled sources with a branch-current unknown: `E` (voltage-controlled
//! voltage source) and B-sources with `V=`, on small netlists written for
//! these tests. Each agrees with ngspice (1e-9 linear, 1e-6 nonlinear) and
//! with a hand value; outputs are named as ngspice names them (`i(e1)`,
//! `i(e.x1.e1)`); errors are located.

use crate::common::*;

/// An inverting amplifier: a finite-gain op-amp as a VCVS.
const INVERTING: &str = "inverting amplifier
V1 in 0 1
R1 in n 1k
R2 n out 10k
E1 out 0 0 n 1e5
RL out 0 2k
.op
.end
";

#[test]
fn inverting_amplifier_with_a_vcvs() {
    let got = op_map(INVERTING);
    // vn·(1/R1 + (1 + A)/R2) = vin/R1, vout = −A·vn.
    let (a, r1, r2, rl) = (1e5, 1e3, 1e4, 2e3);
    let vn = (1.0 / r1) / (1.0 / r1 + (1.0 + a) / r2);
    let vout = -a * vn;
    assert!(close(got["v(n)"], vn, 1e-12, 0.0), "{got:?}");
    assert!(close(got["v(out)"], vout, 1e-12, 0.0));
    // i(e1): into the + terminal, the current out's other elements deliver.
    let ie = -(vout - vn) / r2 - vout / rl;
    assert!(close(got["i(e1)"], ie, 1e-12, 0.0), "{}", got["i(e1)"]);
    assert!(close(got["i(v1)"], -(1.0 - vn) / r1, 1e-12, 0.0));
    if !have_ngspice() {
        eprintln!("ngspice not installed: E checked by hand only");
        return;
    }
    let ng = ngspice_op(&tmpdir("xb-ctl-inv"), INVERTING);
    assert!(ng.contains_key("i(e1)"), "{ng:?}");
    assert_agrees_with_ngspice(&got, &ng, 1e-9);
}

/// A nonlinear behavioural voltage source reading its own output's
/// neighbour and a fixed node, with a diode on the controlling node.
const BV: &str = "behavioural voltage source
.options reltol=1e-10 abstol=1e-16 vntol=1e-13
V1 a 0 0.8
R1 a b 1k
B1 c 0 V={0.5*tanh(3*V(b)) + 0.1*V(a)*V(a)}
R2 c b 2k
R3 c 0 500
D1 b 0 dmod
.model dmod D(IS=1e-14 N=1.5)
.op
.end
";

#[test]
fn nonlinear_b_source_with_v_equals() {
    let got = op_map(BV);
    let (va, vb, vc) = (got["v(a)"], got["v(b)"], got["v(c)"]);
    // The law holds, and KCL at c gives the source's current.
    let law = 0.5 * (3.0 * vb).tanh() + 0.1 * va * va;
    assert!(close(vc, law, 1e-12, 1e-15), "{vc} vs {law}");
    let ib = -(vc - vb) / 2e3 - vc / 500.0;
    assert!(
        close(got["i(b1)"], ib, 1e-9, 1e-15),
        "{} vs {ib}",
        got["i(b1)"]
    );
    if !have_ngspice() {
        eprintln!("ngspice not installed: B V= checked by hand only");
        return;
    }
    let ng = ngspice_op(&tmpdir("xb-ctl-bv"), BV);
    for (q, v) in &ng {
        let w = got[q];
        assert!(
            (v - w).abs() <= 1e-6 * v.abs().max(1e-6),
            "{q}: ngspice {v}, xbarsim {w}"
        );
    }
}

/// Sources inside a subcircuit, with a parameter for the gain: names as
/// ngspice writes them (`i(e.x1.e1)`, `i(b.x2.bc)`).
const SUB: &str = "amplifiers in subcircuits
V1 in 0 0.3
X1 in o1 amp a=4
X2 o1 o2 amp
R9 o2 0 1k
.subckt amp p q params: a=2
E1 q 0 p 0 {a}
Bc m 0 V={0.5*V(p) - 0.1}
Rm m 0 1k
.ends
.op
.end
";

#[test]
fn controlled_sources_inside_subcircuits() {
    let got = op_map(SUB);
    assert!(close(got["v(o1)"], 1.2, 1e-15, 0.0), "{got:?}");
    assert!(close(got["v(o2)"], 2.4, 1e-15, 0.0));
    assert!(close(got["v(x2.m)"], 0.5, 1e-15, 0.0));
    assert!(close(got["i(e.x2.e1)"], -2.4e-3, 1e-15, 0.0));
    assert!(close(got["i(b.x1.bc)"], -0.05e-3, 1e-12, 0.0));
    if have_ngspice() {
        let ng = ngspice_op(&tmpdir("xb-ctl-sub"), SUB);
        assert!(ng.contains_key("i(e.x2.e1)"), "{ng:?}");
        assert_agrees_with_ngspice(&got, &ng, 1e-9);
    }
}

/// A `.dc` sweep through an E-source amplifier with a voltage divider in
/// its feedback: every point against the closed form and ngspice.
const SWEEP: &str = "non-inverting amplifier swept
V1 in 0 0
E1 out 0 in fb 2e4
R1 out fb 9k
R2 fb 0 1k
.dc V1 -0.9 1.1 0.25
.end
";

#[test]
fn dc_sweep_through_a_vcvs() {
    let t = dc_table("xb-ctl-sweep", SWEEP);
    let a = 2e4;
    for (vin, vout) in col(&t, "v1").iter().zip(col(&t, "v(out)")) {
        // vout = A·(vin − vout/10)
        let want = a * vin / (1.0 + a / 10.0);
        assert!(close(vout, want, 1e-12, 1e-15), "{vin}: {vout} vs {want}");
    }
    if have_ngspice() {
        agree(
            &t,
            &ngspice_dc(&tmpdir("xb-ctl-sweep-ng"), SWEEP),
            1e-9,
            1e-9,
        );
    }
}

/// `xbarsim export` writes E and B V= cards that ngspice runs to the same
/// operating point.
#[test]
fn export_writes_controlled_sources() {
    for (tag, net) in [("inv", INVERTING), ("sub", SUB)] {
        let (flat, dir) = exported(&format!("xb-ctl-export-{tag}"), net);
        let got = op_map(net);
        assert!(
            flat.lines()
                .any(|l| l.to_ascii_lowercase().starts_with("e")),
            "{flat}"
        );
        if have_ngspice() {
            let ng = ngspice_op(&dir, &flat);
            assert_agrees_with_ngspice(&got, &ng, 1e-9);
        }
    }
    let (flat, _) = exported("xb-ctl-export-bv", BV);
    assert!(flat.contains("\nb1 c 0 V="), "{flat}");
}

#[test]
fn controlled_source_errors_are_located() {
    for (net, want) in [
        (
            "t\nV1 a 0 1\nE1 a 0 b 0 2\nR1 b 0 1k\n.op\n",
            "inline.cir:3:12: error: 'e1' closes a loop of voltage-defined elements",
        ),
        (
            "t\nV1 a 0 1\nR1 a b 1k\nE1 b b a 0 2\n.op\n",
            "inline.cir:4:12: error: voltage-defined source 'e1' has both terminals on node 'b'",
        ),
        (
            "t\nV1 a 0 1\nR1 a 0 1k\nE1 b 0 nowhere 0 2\nR2 b 0 1k\n.op\n",
            "inline.cir:4:8: error: node 'nowhere' has no DC path to ground",
        ),
        (
            "t\nV1 a 0 1\nR1 a 0 1k\nE1 b 0 POLY(1) a 0 0 1\nR2 b 0 1k\n.op\n",
            "inline.cir:4:8: error: POLY and TABLE forms of controlled sources (and VALUE= on F and H) are not supported",
        ),
        (
            "t\nV1 a 0 1\nR1 a 0 1k\nB1 b 0 V=\nR2 b 0 1k\n.op\n",
            "inline.cir:4:10: error: expected the voltage expression after 'V='",
        ),
        (
            "t\nV1 a 0 1\nR1 a 0 1k\nE1 b 0 a 0\nR2 b 0 1k\n.op\n",
            "inline.cir:4:11: error: expected a voltage gain",
        ),
        (
            "t\nV1 a 0 1\nB1 a 0 V={2*V(b)}\nR1 b 0 1k\n.op\n",
            "inline.cir:3:8: error: 'b1' closes a loop of voltage-defined elements",
        ),
    ] {
        let e = errors(net);
        assert!(e.contains(want), "{net}\n---\n{e}");
    }
}

/// A current mirror (F) and a transresistance amplifier (H) reading the
/// current of one 0 V source, which becomes a branch unknown.
const MIRROR: &str = "current mirror and transresistance
V1 in 0 2
R1 in a 1k
Vs a 0 0
F1 0 m Vs 3
Rm m 0 500
H1 t 0 Vs 2k
Rt t 0 1k
Rx t in 4k
.op
.end
";

#[test]
fn current_mirror_and_transresistance() {
    let got = op_map(MIRROR);
    // I(Vs) = 2 V / 1k into its + terminal; F1 pushes 3·I(Vs) from 0
    // through itself into m; H1 holds t at 2k·I(Vs).
    let is = 2.0 / 1e3;
    assert!(close(got["i(vs)"], is, 1e-12, 0.0), "{got:?}");
    assert!(close(got["v(m)"], 3.0 * is * 500.0, 1e-12, 0.0));
    let vt = 2e3 * is;
    assert!(close(got["v(t)"], vt, 1e-12, 0.0));
    // H1's current: into its + terminal, what t's resistors deliver.
    assert!(close(
        got["i(h1)"],
        -vt / 1e3 - (vt - 2.0) / 4e3,
        1e-12,
        0.0
    ));
    // V1 feeds R1 and Rx; its current is recovered by KCL as before.
    assert!(close(got["i(v1)"], -is - (2.0 - vt) / 4e3, 1e-12, 0.0));
    if have_ngspice() {
        let ng = ngspice_op(&tmpdir("xb-ctl-mirror"), MIRROR);
        assert!(
            ng.contains_key("i(h1)") && ng.contains_key("i(vs)"),
            "{ng:?}"
        );
        assert_agrees_with_ngspice(&got, &ng, 1e-9);
    }
    // `.print` of the F source's own current.
    let p = op_map(&MIRROR.replace(".op", ".print dc i(f1) @h1[i] i(vs)\n.op"));
    assert!(close(p["i(f1)"], 3.0 * is, 1e-12, 0.0), "{p:?}");
    assert_eq!(p["@h1[i]"], got["i(h1)"]);
}

/// F and H inside subcircuits (each reads its own instance's source,
/// `v.x1.vs`), swept from outside and by their controlling source itself.
const SENSE: &str = "sensing subcircuits
V1 in 0 1
X1 in o1 sense k=2
X2 in o2 sense
Rl o2 in 3k
.subckt sense p q params: k=1
R1 p a 2k
Vs a 0 0
F1 0 q Vs {k}
Rq q 0 1k
H1 h 0 Vs {k*1k}
Rh h 0 1k
.ends
";

#[test]
fn current_controlled_sources_in_subcircuits_and_sweeps() {
    let net = format!("{SENSE}.dc V1 -1 2 0.5\n.end\n");
    let t = dc_table("xb-ctl-sense", &net);
    for (k, &v1) in col(&t, "v1").iter().enumerate() {
        // x1: I(Vs) = v1/2k, o1 = 2·I·1k = v1, h = 2k·I = v1.
        assert!(close(col(&t, "v(o1)")[k], v1, 1e-12, 1e-15));
        assert!(close(col(&t, "v(x1.h)")[k], v1, 1e-12, 1e-15));
        assert!(close(col(&t, "i(v.x1.vs)")[k], v1 / 2e3, 1e-12, 1e-18));
    }
    if have_ngspice() {
        agree(
            &t,
            &ngspice_dc(&tmpdir("xb-ctl-sense-ng"), &net),
            1e-9,
            1e-9,
        );
    }
    // The controlling source itself swept (a 0 V source at 0.5 V steps).
    let net = format!("{SENSE}.dc v.x2.vs 0 1 0.5\n.end\n");
    let t = dc_table("xb-ctl-sense-vs", &net);
    assert_eq!(t.1.len(), 3, "{:?}", t.0);
    for (k, vs) in col(&t, "v.x2.vs").iter().enumerate() {
        assert!(close(col(&t, "v(x2.a)")[k], *vs, 1e-12, 1e-15));
    }
}

/// `xbarsim export` writes F and H cards; ngspice runs them.
#[test]
fn export_writes_current_controlled_sources() {
    let (flat, dir) = exported("xb-ctl-export-fh", MIRROR);
    assert!(flat.contains("\nf1 0 m vs 3"), "{flat}");
    assert!(flat.contains("\nh1 t 0 vs 2"), "{flat}");
    if have_ngspice() {
        let ng = ngspice_op(&dir, &flat);
        assert_agrees_with_ngspice(&op_map(MIRROR), &ng, 1e-9);
    }
}

#[test]
fn current_controlled_source_errors_are_located() {
    for (net, want) in [
        (
            "t\nV1 a 0 1\nR1 a 0 1k\nF1 0 b Vnone 2\nR2 b 0 1k\n.op\n",
            "inline.cir:4:8: error: 'vnone' is not a voltage source of this circuit",
        ),
        (
            "t\nV1 a 0 1\nR1 a 0 1k\nF1 0 b R1 2\nR2 b 0 1k\n.op\n",
            "inline.cir:4:8: error: 'r1' is not a voltage source of this circuit",
        ),
        (
            "t\nV1 a 0 1\nR1 a 0 1k\nH1 a 0 V1 2\n.op\n",
            "inline.cir:4:1: error: 'h1' closes a loop of voltage-defined elements",
        ),
        (
            "t\nV1 a 0 1\nR1 a 0 1k\nF1 0 b POLY(1) V1 0 2\nR2 b 0 1k\n.op\n",
            "inline.cir:4:8: error: POLY and TABLE forms of controlled sources (and VALUE= on F and H) are not supported",
        ),
        (
            "t\nV1 a 0 1\nR1 a 0 1k\nH1 b 0 V1\nR2 b 0 1k\n.op\n",
            "inline.cir:4:10: error: expected a transresistance (ohm)",
        ),
        (
            "t\nV1 a 0 1\nR1 a 0 1k\nF1 0 b V1 2 3\nR2 b 0 1k\n.op\n",
            "inline.cir:4:13: error: unexpected field in a current-controlled current source",
        ),
    ] {
        let e = errors(net);
        assert!(e.contains(want), "{net}\n---\n{e}");
    }
}

/// PSpice's and ngspice's `VALUE={expr}` forms of E and G (and E's
/// `VOL='expr'`): B-sources with those laws, against ngspice (1e-6) and
/// KCL by hand, and one reading a source current `I(v)`.
#[test]
fn value_forms_of_e_and_g() {
    let text = "value forms
V1 a 0 0.8
R1 a b 1k
G1 b 0 VALUE={2m*tanh(3*V(b))}
E1 c 0 value = {0.5*V(b)*V(b)+0.1}
R2 c d 2k
E2 d 0 VOL='V(b)-0.2'
R3 d 0 1k
.options reltol=1e-9
.op
.end
";
    let got = op_map(text);
    let vb = got["v(b)"];
    assert!(close(
        (0.8 - vb) / 1e3,
        2e-3 * (3.0 * vb).tanh(),
        1e-9,
        1e-15
    ));
    assert!(close(got["v(c)"], 0.5 * vb * vb + 0.1, 1e-12, 0.0));
    assert!(close(got["v(d)"], vb - 0.2, 1e-12, 1e-15));
    if have_ngspice() {
        let ng = ngspice_op(&tmpdir("xb-value-forms"), text);
        assert_quantities_agree(&ng, &got, &["v(b)", "v(c)", "v(d)", "i(v1)"], 1e-6, 1e-12);
    }
    // A source current inside one (more in current_probes.rs).
    let got = op_map("t\nV1 a 0 1\nVm a b 0\nR1 b 0 1k\nE1 c 0 value={2*I(Vm)}\nR2 c 0 1k\n.op\n");
    assert!(close(got["v(c)"], 2e-3, 1e-12, 0.0), "{got:?}");
}
