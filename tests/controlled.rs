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
    assert_errors(&[
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
            "t\nV1 a 0 1\nR1 a 0 1k\nE1 b 0 POLY(1) a 0 0 1 x\nR2 b 0 1k\n.op\n",
            "inline.cir:4:24: error: undefined parameter 'x'",
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
    ]);
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
    assert_errors(&[
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
            "t\nV1 a 0 1\nR1 a 0 1k\nF1 0 b VALUE={2*I(V1)}\nR2 b 0 1k\n.op\n",
            "inline.cir:4:8: error: this form of a controlled source is not supported (F and H take no VALUE= or TABLE)",
        ),
        (
            "t\nV1 a 0 1\nR1 a 0 1k\nH1 b 0 V1\nR2 b 0 1k\n.op\n",
            "inline.cir:4:10: error: expected a transresistance (ohm)",
        ),
        (
            "t\nV1 a 0 1\nR1 a 0 1k\nF1 0 b V1 2 3\nR2 b 0 1k\n.op\n",
            "inline.cir:4:13: error: unexpected field in a current-controlled current source",
        ),
    ]);
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

/// SPICE's `POLY(n)` forms of E, G, F and H: the constant, linear and
/// product terms in SPICE's order (for n = 2: p3·x1², p4·x1·x2, p5·x2²,
/// p6·x1³), node pairs also written `(a,b)`, the single-coefficient POLY(1)
/// as p1; against hand values and ngspice (1e-9).
const POLY: &str = "poly forms
V1 a 0 0.7
R1 a 0 1k
V2 b 0 -0.3
R2 b 0 1k
G1 c 0 POLY(2) (a,0) (b,0) 0.1m 1m 2m 0.5m 0.25m 0.75m 0.1m
R3 c 0 1k
E1 d 0 POLY(1) a 0 0.2 1 0.5
R4 d 0 1k
E2 e 0 POLY(1) a b 3
R5 e 0 1k
Vs f 0 0
R6 a f 2k
F1 0 g POLY(2) Vs V2 0 2 1k 0 0 5e5
R7 g 0 1k
H1 h 0 POLY(1) Vs 0 1k 2e5
R8 h 0 1k
E3 k 0 POLY(3) a 0 b 0 c 0 0 1 1 1 0.1 0.2 0.3 0.4 0.5 0.6 0.01
R9 k 0 1k
.options reltol=1e-9
.op
.end
";

#[test]
fn poly_forms_against_hand_values_and_ngspice() {
    let got = op_map(POLY);
    let (a, b) = (0.7, -0.3);
    // G1: current from c through the source to ground, so V(c) = −R·I.
    let ig = 0.1e-3
        + 1e-3 * a
        + 2e-3 * b
        + 0.5e-3 * a * a
        + 0.25e-3 * a * b
        + 0.75e-3 * b * b
        + 0.1e-3 * a * a * a;
    let c = -1e3 * ig;
    assert!(close(got["v(c)"], c, 1e-12, 0.0), "{got:?}");
    assert!(close(got["v(d)"], 0.2 + a + 0.5 * a * a, 1e-12, 0.0));
    // A one-dimensional POLY with one coefficient is the linear gain.
    assert!(close(got["v(e)"], 3.0 * (a - b), 1e-12, 0.0));
    // F1: p1·I(Vs) + p2·I(V2) + p5·I(V2)², delivered into g.
    let (is, i2) = (a / 2e3, got["i(v2)"]);
    assert!(close(i2, -b / 1e3, 1e-12, 0.0));
    let fg = 2.0 * is + 1e3 * i2 + 5e5 * i2 * i2;
    assert!(close(got["v(g)"], 1e3 * fg, 1e-12, 0.0));
    assert!(close(got["v(h)"], 1e3 * is + 2e5 * is * is, 1e-12, 0.0));
    // E3, three controls: x1 x2 x3, then x1² x1x2 x1x3 x2² x2x3 x3², then x1³.
    let (x1, x2, x3) = (a, b, c);
    let k = x1
        + x2
        + x3
        + 0.1 * x1 * x1
        + 0.2 * x1 * x2
        + 0.3 * x1 * x3
        + 0.4 * x2 * x2
        + 0.5 * x2 * x3
        + 0.6 * x3 * x3
        + 0.01 * x1 * x1 * x1;
    assert!(close(got["v(k)"], k, 1e-12, 1e-15));
    if have_ngspice() {
        let ng = ngspice_op(&tmpdir("xb-poly"), POLY);
        assert_quantities_agree(
            &ng,
            &got,
            &[
                "v(c)", "v(d)", "v(e)", "v(g)", "v(h)", "v(k)", "i(vs)", "i(v2)",
            ],
            1e-9,
            1e-15,
        );
    }
}

#[test]
fn poly_errors_are_located() {
    assert_errors(&[
        (
            "t\nV1 a 0 1\nR1 a 0 1k\nE1 b 0 POLY(x) a 0 1\nR2 b 0 1k\n.op\n",
            "inline.cir:4:13: error: expected the POLY dimension",
        ),
        (
            "t\nV1 a 0 1\nR1 a 0 1k\nE1 b 0 POLY(1) a 0\nR2 b 0 1k\n.op\n",
            "inline.cir:4:8: error: POLY(1) has no coefficients",
        ),
        (
            // Hostile: a degree-9999 term would be a 9999-deep product.
            &format!(
                "t\nV1 a 0 1\nR1 a 0 1k\nE1 b 0 POLY(1) a 0{}\nR2 b 0 1k\n.op\n",
                " 1".repeat(10_000)
            ),
            "inline.cir:4:8: error: POLY terms above degree 32",
        ),
        (
            // Hostile: 20,000 copies of a 400-node expression.
            &format!(
                "t\nV1 a 0 1\nR1 a 0 1k\nE1 b 0 TABLE {{{}}} = {}\nR2 b 0 1k\n.op\n",
                vec!["V(a)"; 200].join("+"),
                (0..20_000)
                    .map(|i| format!("({i},{i})"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            "inline.cir:4:8: error: TABLE too large",
        ),
        (
            "t\nV1 a 0 1\nR1 a 0 1k\nG1 b 0 POLY(2) a 0\nR2 b 0 1k\n.op\n",
            "inline.cir:4:8: error: expected a node of control 2 of POLY(2)",
        ),
        (
            "t\nV1 a 0 1\nR1 a 0 1k\nF1 b 0 POLY(1) Vx 1\nR2 b 0 1k\n.op\n",
            "inline.cir:4:16: error: I(vx): no element 'vx' in this circuit",
        ),
        (
            "t\nV1 a 0 1\nR1 a 0 1k\nE1 b 0 TABLE {V(a)} = (0,0) (1,1) (1,2)\nR2 b 0 1k\n.op\n",
            "inline.cir:4:36: error: TABLE x values must increase: 1 after 1",
        ),
        (
            "t\nV1 a 0 1\nR1 a 0 1k\nG1 b 0 TABLE {V(a)} = (0,0) (1)\nR2 b 0 1k\n.op\n",
            "inline.cir:4:30: error: a TABLE needs (x, y) pairs: found 3 value(s)",
        ),
        (
            "t\nV1 a 0 1\nR1 a 0 1k\nH1 b 0 TABLE {V(a)} = (0,0) (1,1)\nR2 b 0 1k\n.op\n",
            "inline.cir:4:8: error: this form of a controlled source is not supported",
        ),
    ]);
}

/// PSpice's `TABLE {expr} = (x, y) ...` form of E and G: linear between
/// the points, the end values outside them. ngspice rounds each corner
/// over a small interval (at the corner of `TABLE_NET`, x = 1 between
/// slopes 2 and 1, ngspice gives 1.975 where the linear table gives 2),
/// so the comparison with ngspice is at points away from the corners,
/// and at the corners against the table by hand.
const TABLE_NET: &str = "table forms
V1 a 0 0.5
R1 a 0 1k
E1 b 0 TABLE {V(a)} = (0,0) (1,2) (2,3)
R2 b 0 1k
G1 c 0 TABLE {2*V(a)} (-1,-1m) (0,0) (1,4m) (3,5m)
R3 c 0 1k
.options reltol=1e-9
.dc V1 -1 2.5 0.5
.end
";

#[test]
fn table_forms_against_hand_values_and_ngspice() {
    let t = dc_table("xb-table", TABLE_NET);
    let table = |x: f64, pts: &[(f64, f64)]| {
        if x <= pts[0].0 {
            return pts[0].1;
        }
        for w in pts.windows(2) {
            if x <= w[1].0 {
                return w[0].1 + (x - w[0].0) * (w[1].1 - w[0].1) / (w[1].0 - w[0].0);
            }
        }
        pts[pts.len() - 1].1
    };
    let e = [(0.0, 0.0), (1.0, 2.0), (2.0, 3.0)];
    let g = [(-1.0, -1e-3), (0.0, 0.0), (1.0, 4e-3), (3.0, 5e-3)];
    let (va, vb, vc) = (col(&t, "v1"), col(&t, "v(b)"), col(&t, "v(c)"));
    for k in 0..va.len() {
        assert!(
            close(vb[k], table(va[k], &e), 1e-12, 1e-15),
            "v(b) at {}",
            va[k]
        );
        assert!(
            close(vc[k], -1e3 * table(2.0 * va[k], &g), 1e-12, 1e-15),
            "v(c) at {}",
            va[k]
        );
    }
    if !have_ngspice() {
        return;
    }
    // Away from every corner of both tables.
    let net = TABLE_NET.replace(".dc V1 -1 2.5 0.5", ".dc V1 -0.75 2.75 0.5");
    let t = dc_table("xb-table-off", &net);
    let ng = ngspice_dc(&tmpdir("xb-table-ng"), &net);
    assert_eq!(ng.len(), t.1.len());
    for (k, p) in ng.iter().enumerate() {
        for q in ["v(b)", "v(c)"] {
            assert!(close(p[q], col(&t, q)[k], 1e-9, 1e-15), "{q} at point {k}");
        }
    }
}
