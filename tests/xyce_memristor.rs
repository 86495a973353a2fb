//! Xyce's memristor device in DC: `.model … memristor level=2` (TEAM),
//! `level=3` (Yakopcic) and `level=4` (PEM) with Xyce's parameter names,
//! `YMEMRISTOR` instances with their initial state (`XO=`, `X=`, `R_init=`,
//! `g=`, `IVRELATION=`), on netlists written for these tests. Each is
//! checked against the closed form of its series circuit, solved here by
//! bisection (1e-9 relative), and, exported as B-sources, against ngspice
//! (1e-9 on the linear TEAM circuits, 1e-6 on the nonlinear ones).

use crate::common::*;

/// TEAM's resistance at state x (XON, XOFF in the units of x).
fn team_r(exp: bool, ron: f64, roff: f64, xon: f64, xoff: f64, x: f64) -> f64 {
    if exp {
        ron * ((roff / ron).ln() * (x - xon) / (xoff - xon)).exp()
    } else {
        ron + (x - xon) * (roff - ron) / (xoff - xon)
    }
}

/// Six TEAM devices, each in series with its own resistor from its own
/// source: default state, XO= (with XSCALING), X=, R_init=, g=, and the
/// exponential form; a second model with XON != 0.
const TEAM: &str = "Xyce TEAM memristors at their initial state
.model mt memristor level=2 ron=50 roff=1000
+ koff=1.46e-18 kon=-4.68e-22 alphaoff=10 alphaon=10 wc=1.0e-12
+ ioff=115e-6 ion=-8.9e-6 xscaling=1.0e9 wt=4 resnoise=false
.model mt2 memristor level=2 (ron=100 roff=20k xon=1n xoff=5n xscaling=1e9)
V1 a1 0 0.5
R1 a1 n1 100
YMEMRISTOR m1 n1 0 mt
V2 a2 0 0.5
R2 a2 n2 100
YMEMRISTOR m2 n2 0 mt XO=1.5
V3 a3 0 -0.3
R3 a3 n3 220
ymemristor m3 n3 0 mt2 x=2.5
V4 a4 0 0.7
R4 a4 n4 1k
ymemristor m4 n4 0 mt r_init=640
V5 a5 0 0.7
R5 a5 n5 1k
ymemristor m5 n5 0 mt2 g=1m ivrelation=1
V6 a6 0 1.1
R6 a6 n6 330
ymemristor m6 n6 0 mt2 xo=3.2 IVRELATION=1
.op
.end
";

#[test]
fn team_states_give_the_closed_form_resistances() {
    let got = op_map(TEAM);
    // (source V, series R, device R at its state)
    let cases = [
        (0.5, 100.0, 50.0),                                       // x = 0: RON
        (0.5, 100.0, team_r(false, 50.0, 1e3, 0.0, 3.0, 1.5)),    // 525
        (-0.3, 220.0, team_r(false, 100.0, 20e3, 1.0, 5.0, 2.5)), // XON = 1 nm
        (0.7, 1e3, 640.0),
        (0.7, 1e3, 1e3),
        (1.1, 330.0, team_r(true, 100.0, 20e3, 1.0, 5.0, 3.2)),
    ];
    for (k, (v, r, rm)) in cases.iter().enumerate() {
        let n = k + 1;
        let vn = v * rm / (r + rm);
        assert_close(got[&format!("v(n{n})")], vn, 1e-12, &format!("v(n{n})"));
        assert_close(
            got[&format!("i(v{n})")],
            -v / (r + rm),
            1e-12,
            &format!("i(v{n})"),
        );
    }
    // The hand values themselves: 525 Ω at 1.5 nm of 3 nm.
    assert_close(
        team_r(false, 50.0, 1e3, 0.0, 3.0, 1.5),
        525.0,
        1e-15,
        "R(1.5)",
    );
}

#[test]
fn team_agrees_with_ngspice_through_export() {
    let (flat, dir) = exported("xyce-team-export", TEAM);
    assert!(flat.contains("Bmem_m2 n2 0 I="), "{flat}");
    if !have_ngspice() {
        eprintln!("ngspice not installed: export checked without it");
        return;
    }
    let ng = ngspice_op(&dir, &flat);
    assert!(ng.len() >= 12, "{ng:?}");
    assert_agrees_with_ngspice(&op_map(TEAM), &ng, 1e-6);
}

/// Yakopcic (A1 != A2) and PEM (with and without XO) devices behind
/// series resistors, swept through both polarities.
const NONLINEAR: &str = "Xyce Yakopcic and PEM memristors, swept
.MODEL my memristor level=3 a1=2e-3 a2=5e-4 b=3 vp=0.16 vn=0.15
+ ap=4000 an=4000 xp=0.3 xn=0.5 alphap=1 alphan=5 eta=1 xnoise=false
.model mp memristor level=4 fxpdata=fxp_table.csv fxmdata=fxm_table.csv
+ I1=85.37e-6 I2=90.16e-6 V1=0.265 V2=0.3 G0=130.72e-6
+ VP=0.7 VN=1.0 d1=9.87 d2=-4.82 C1=1000 C2=1000
VS in 0 0
R1 in n1 1k
ymemristor y1 n1 0 my xo=0.4
R2 in n2 2k
ymemristor p1 n2 0 mp xo=0.3
R3 in n3 2k
ymemristor p2 n3 0 mp
.dc VS -1.5 1.5 0.25
.print dc v(n1) v(n2) v(n3) i(ymemristor!y1) i(ymemristor!p1) i(ymemristor!p2)
.end
";

fn yakopcic(x: f64, v: f64) -> f64 {
    (if v >= 0.0 { 2e-3 } else { 5e-4 }) * x * (3.0 * v).sinh()
}

fn pem_h(v: f64) -> f64 {
    let (i1, i2, v1, v2, g0) = (85.37e-6, 90.16e-6, 0.265, 0.3, 130.72e-6);
    i1 * (v / v1).exp() - i2 * (-v / v2).exp() + g0 * v - (i1 - i2)
}

/// The device voltage of a source `v` behind `r` into a device `i(vd)`
/// (increasing in vd): the root of v − r·i(vd) − vd on [min(0,v), max(0,v)].
fn series(v: f64, r: f64, i: impl Fn(f64) -> f64) -> f64 {
    bisect(|vd| v - r * i(vd) - vd, v.min(0.0), v.max(0.0))
}

#[test]
fn yakopcic_and_pem_sweeps_match_their_closed_forms() {
    let (names, rows) = dc_table("xyce-nonlinear", NONLINEAR);
    assert_eq!(
        names,
        [
            "vs",
            "v(n1)",
            "v(n2)",
            "v(n3)",
            "i(ymemristor!y1)",
            "i(ymemristor!p1)",
            "i(ymemristor!p2)"
        ]
    );
    assert_eq!(rows.len(), 13);
    let near = |a: f64, b: f64, what: &str| {
        assert!(close(a, b, 1e-9, 1e-15), "{what}: xbarsim {a}, hand {b}");
    };
    for row in &rows {
        let v = row[0];
        let y = series(v, 1e3, |vd| yakopcic(0.4, vd));
        near(row[1], y, &format!("v(n1) at {v}"));
        near(row[4], yakopcic(0.4, y), &format!("i(y1) at {v}"));
        let p = series(v, 2e3, |vd| 0.3 * pem_h(vd));
        near(row[2], p, &format!("v(n2) at {v}"));
        near(row[5], 0.3 * pem_h(p), &format!("i(p1) at {v}"));
        // Without XO, Xyce's operating point takes x = 1 for V > 0, else 0.
        let q = series(v, 2e3, |vd| if vd > 0.0 { pem_h(vd) } else { 0.0 });
        near(row[3], q, &format!("v(n3) at {v}"));
        near(
            row[6],
            if q > 0.0 { pem_h(q) } else { 0.0 },
            &format!("i(p2) at {v}"),
        );
    }
    // The asymmetry shows: at ±1.5 V the device voltages differ.
    let (lo, hi) = (&rows[0], &rows[12]);
    assert!(lo[1].abs() > hi[1].abs() * 1.05, "{} vs {}", lo[1], hi[1]);
    assert_eq!(lo[6], 0.0);
    assert_close(lo[3], -1.5, 1e-15, "p2 open at -1.5 V");
}

#[test]
fn yakopcic_and_pem_agree_with_ngspice_through_export() {
    // One operating point per polarity (the .dc card left out).
    for v in ["0.8", "-0.9"] {
        let net = NONLINEAR
            .replace("VS in 0 0", &format!("VS in 0 {v}"))
            .replace(".dc VS -1.5 1.5 0.25", ".op")
            .replace(".print dc", "* .print dc");
        let (flat, dir) = exported(&format!("xyce-nl-export{v}"), &net);
        assert!(
            flat.contains("?"),
            "the asymmetric laws use a ternary: {flat}"
        );
        if !have_ngspice() {
            eprintln!("ngspice not installed: export checked without it");
            return;
        }
        let ng = ngspice_op(&dir, &flat);
        assert!(ng.len() >= 5, "{ng:?}");
        let got = op_map(&net);
        for (q, a) in &ng {
            let b = got[q];
            assert!(
                close(*a, b, 1e-6, 1e-12),
                "{q} at {v}: ngspice {a}, xbarsim {b}"
            );
        }
    }
}

#[test]
fn the_reference_guide_cards_are_accepted() {
    // Every parameter of the three levels, dynamics and noise included:
    // accepted, none changes the DC law.
    let net = "Xyce cards
.model mrm2 memristor level=2 ron=50 roff=1000 koff=1.46e-18 kon=-4.68e-22
+ alphaoff=10 alphaon=10 wc=1.0e-12 ioff=115e-6 ion=-8.9e-6 xscaling=1.0e9 wt=4
+ xon=0 xoff=3n aon=0 aoff=3n d=1 p=2 j=1 resnoise=0 resseed=1 reslambda=0 restd=0
+ reseptd=1e-10 resdelta=0 resdeltagrad=0
.MODEL mrm3 memristor level=3 a1=0.17 a2=0.17 b=0.05 vp=0.16 vn=0.15
+ ap=4000 an=4000 xp=0.3 xn=0.5 alphap=1 alphan=5 eta=1 xscaling=1
+ resnoise=false xnoise=false xseed=2 xlambda=0 xtd=0 xeptd=1e-10 xdelta=0 xdeltagrad=0
.model mrm4 memristor level=4 fxpdata=fxp_table.csv fxmdata=fxm_table.csv
+ I1=85.37e-6 I2=90.16e-6 V1=0.265 V2=0.265 G0=130.72e-6
+ VP=0.7 VN=1.0 d1=9.87 d2=-4.82 C1=1000 C2=1000
V1 n1 0 0.2
ymemristor mr1 n1 0 mrm2
ymemristor mr2 n1 0 mrm3 xo=0.11
ymemristor mr3 n1 0 mrm4
.op
.print op i(ymemristor!mr1) i(ymemristor!mr2) i(ymemristor!mr3)
+ n(ymemristor!mr1_x) n(ymemristor!mr1:r) n(ymemristor!mr2_x) N(YMEMRISTOR!MR2:R)
.end
";
    let got = op_map(net);
    assert_close(got["i(ymemristor!mr1)"], 0.2 / 50.0, 1e-15, "TEAM at x = 0");
    assert_close(
        got["i(ymemristor!mr2)"],
        0.17 * 0.11 * (0.05f64 * 0.2).sinh(),
        1e-15,
        "Yakopcic",
    );
    let h = 85.37e-6 * (0.2f64 / 0.265).exp() - 90.16e-6 * (-0.2f64 / 0.265).exp()
        + 130.72e-6 * 0.2
        - (85.37e-6 - 90.16e-6);
    assert_close(got["i(ymemristor!mr3)"], h, 1e-14, "PEM, x = 1 at V > 0");
    // Xyce's state and resistance outputs (R = 1/(dI/dV), as Xyce stores it).
    assert_eq!(got["n(ymemristor!mr1_x)"], 0.0);
    assert_close(got["n(ymemristor!mr1:r)"], 50.0, 1e-15, "TEAM R");
    assert_eq!(got["n(ymemristor!mr2_x)"], 0.11);
    let r = 1.0 / (0.17 * 0.11 * 0.05 * (0.05f64 * 0.2).cosh());
    assert_close(got["n(ymemristor!mr2:r)"], r, 1e-14, "Yakopcic R");
    let e = errors(&net.replace("n(ymemristor!mr1_x)", "n(ymemristor!nope_x)"));
    assert!(e.contains("'ymemristor!nope' is not a memristor"), "{e}");
}

#[test]
fn xyce_levels_inside_a_subcircuit() {
    let net = "Xyce memristor in a subcircuit
.model mt memristor level=2 ron=1k roff=9k xoff=1
.subckt cell a b params: x0=0.5
ymemristor m a b mt xo={x0}
.ends
V1 in 0 1
X1 in 0 cell
X2 in 0 cell x0=0.25
.op
.end
";
    let got = op_map(net);
    // 1/5k + 1/3k through the source.
    assert_close(got["i(v1)"], -(1.0 / 5e3 + 1.0 / 3e3), 1e-14, "i(v1)");
}

#[test]
fn bad_cards_are_located_errors() {
    let cases = [
        (
            ".model m memristor level=2 ron=50 kappa=1\nymemristor y1 n1 0 m\n",
            "unknown parameter 'kappa' for memristor level=2 (TEAM)",
        ),
        (
            ".model m memristor level=5\nymemristor y1 n1 0 m\n",
            "unknown memristor level 5",
        ),
        (
            ".model m memristor level=3 a1=1\nymemristor y1 n1 0 m r_init=1k\n",
            "unknown memristor instance parameter 'r_init' for an Xyce level=3 model",
        ),
        (
            ".model m memristor level=2\nymemristor y1 n1 0 m ivrelation=2\n",
            "IVRELATION must be 0 (linear) or 1 (exponential)",
        ),
        (
            ".model m memristor level=2\nymemristor y1 n1 0 m xo=-1n\n",
            "its TEAM resistance would be",
        ),
        (
            ".model m memristor level=2\nymemristor y1 n1 0 m xo=1n r_init=100\n",
            "the state is given twice",
        ),
        (
            ".model m memristor level=2 ron=0\nymemristor y1 n1 0 m\n",
            "TEAM needs RON > 0",
        ),
        (
            ".model m memristor level=3\n.crossbar XB rows=2 cols=2 model=m g=10u\n",
            "is Xyce's memristor level=3: a crossbar card needs one of xbarsim's laws",
        ),
        (
            ".model m memristor level=linear xo=1\nymemristor y1 n1 0 m g=1m\n",
            "unknown parameter 'xo' for this memristor level",
        ),
        (
            ".model m memristor level=linear g=1m\nymemristor y1 n1 0 m xo=1\n",
            "unknown memristor instance parameter 'xo'",
        ),
    ];
    for (cards, want) in cases {
        let net = format!("bad\nV1 n1 0 1\nR1 n1 0 1k\n{cards}.op\n.end\n");
        let e = errors(&net);
        assert!(e.contains(want), "{cards}: wanted '{want}', got:\n{e}");
        assert!(e.contains("inline.cir:"), "not located: {e}");
    }
}

#[test]
fn a_yakopcic_device_without_state_warns() {
    let c = circuit(
        "no state
V1 n1 0 1
R1 n1 0 1k
.model m memristor level=3 a1=0.17 a2=0.17 b=0.05
ymemristor y1 n1 0 m
.op
.end
",
    );
    assert!(
        c.warnings
            .iter()
            .any(|w| w.message.contains("state x = 0, so it carries no current")),
        "{:?}",
        c.warnings
    );
}

#[test]
fn a_param_level_is_numeric_and_words_stay_xbarsims() {
    let net = "levels
.param lv=2
.model a memristor level=lv ron=200
.model b memristor (level=sinh beta=2 g=1m)
V1 n1 0 0.5
ymemristor ya n1 0 a
ymemristor yb n1 0 b
.op
.end
";
    let got = op_map(net);
    let want = 0.5 / 200.0 + 1e-3 / 2.0 * (2.0f64 * 0.5).sinh();
    assert_close(got["i(v1)"], -want, 1e-14, "i(v1)");
}
