//! Junction diodes (`D`, `.model name D (...)`), SPICE level 1 in DC, on
//! netlists written for these tests: closed forms, ngspice (1e-6, the
//! nonlinear bound; ngspice run at reltol=1e-9), `xbarsim export`, a 1D1R
//! cell as a subcircuit, located errors.

use crate::common::*;

/// Forward, reverse, breakdown (with the IBV match and NBV), series
/// resistance, area and m, a temperature other than TNOM (EG, XTI, TCV, TRS1).
const DIODES: &str = "diodes in every region
.model dm D(IS=1e-14 N=1.2 RS=10 BV=5 IBV=1e-4 CJO=1p TT=1n)
.model dz D(IS=2e-12 N=1.8 BV=3.3 IBV=5m NBV=2 TCV=1m)
.model dt D(IS=3e-15 EG=0.69 XTI=2 RS=50 TRS1=4m TNOM=40)
.options reltol=1e-9
V1 a 0 1.5
R1 a b 1k
D1 b 0 dm
V2 c 0 -10
R2 c e 500
D2 e 0 dz area=2
V3 f 0 0.3
D3 f g dm m=3
R3 g 0 100k
V4 h 0 -4.5
D4 h 0 dm
V5 k 0 0.9
R5 k l 200
D5 l 0 dt
I6 0 p 2m
D6 p 0 dz
.op
.end
";

fn at_temp(t: f64) -> String {
    DIODES.replace(".op\n", &format!(".temp {t}\n.op\n"))
}

#[test]
fn diodes_agree_with_ngspice() {
    for text in [DIODES.to_string(), at_temp(75.0), at_temp(-20.0)] {
        let got = op_map(&text);
        // D2 in breakdown (about −3.3 V), D4 just short of it, D1 forward.
        assert!(got["v(e)"] < -3.0 && got["v(e)"] > -3.6, "{}", got["v(e)"]);
        assert!(got["v(b)"] > 0.6 && got["v(b)"] < 0.9);
        // KCL at b: the current through R1 is the current into D1's RS.
        let i_r1 = (got["v(a)"] - got["v(b)"]) / 1e3;
        let i_rs = (got["v(b)"] - got["v(d1#internal)"]) / 10.0;
        assert!(close(i_r1, i_rs, 1e-9, 1e-15));
        if !have_ngspice() {
            eprintln!("ngspice not installed: diodes checked by KCL only");
            return;
        }
        let ng = ngspice_op(&tmpdir("xb-diode-ng"), &text);
        assert!(ng.len() >= 15, "{ng:?}");
        for (q, v) in &ng {
            let w = got
                .get(q)
                .unwrap_or_else(|| panic!("{q} from ngspice not in xbarsim's output"));
            assert!(
                (v - w).abs() <= 1e-6 * v.abs().max(1e-9),
                "{q}: ngspice {v}, xbarsim {w}"
            );
        }
    }
}

/// A diode straight across a source: the current is the law itself,
/// Is·(exp(V/(N·Vt)) − 1) + gmin·V, Vt = kT/q at 27 °C; and in the
/// reverse region −Is·(1 + (3·N·Vt/(e·V))³) + gmin·V.
#[test]
fn diode_current_is_the_level1_law() {
    let vt = 1.380_648_52e-23 / 1.602_176_620_8e-19 * 300.15;
    for (v, n) in [(0.55f64, 1.0f64), (0.7, 1.5), (-0.5, 1.0), (-0.02, 2.0)] {
        let text = format!("law\n.model d D(IS=4e-14 N={n})\nV1 a 0 {v}\nD1 a 0 d\n.op\n.end\n");
        let got = op_map(&text);
        let vte = n * vt;
        let want = if v >= -3.0 * vte {
            4e-14 * ((v / vte).exp() - 1.0)
        } else {
            let a = 3.0 * vte / (std::f64::consts::E * v);
            -4e-14 * (1.0 + a * a * a)
        } + 1e-12 * v;
        assert!(
            close(-got["i(v1)"], want, 1e-12, 1e-24),
            "{v} V: {} vs {want}",
            -got["i(v1)"]
        );
    }
}

/// `xbarsim export` writes each diode as a D card with a model that gives
/// its law (temperature, area and m folded in) and RS as a resistor;
/// ngspice's answer on the export equals xbarsim's on the original.
#[test]
fn exported_diodes_run_in_ngspice() {
    let text = at_temp(60.0);
    let (flat, dir) = exported("xb-diode-export", &text);
    assert!(flat.contains(".model d1_model D(IS="), "{flat}");
    assert!(
        flat.lines().any(|l| l.starts_with("d2 e 0 d2_model")),
        "{flat}"
    );
    assert!(flat.contains("rs#d1 b d1#internal"), "{flat}");
    if !have_ngspice() {
        return;
    }
    let got = op_map(&text);
    let ng = ngspice_op(&dir, &flat);
    for q in ["v(b)", "v(e)", "v(g)", "v(l)", "v(p)", "i(v2)", "i(v5)"] {
        assert!(
            close(ng[q], got[q], 1e-6, 1e-12),
            "{q}: ngspice {} on the export, xbarsim {}",
            ng[q],
            got[q]
        );
    }
}

/// A 1D1R cell (diode in series with a memristor) as a subcircuit: the
/// diode blocks the reverse path, under ngspice's hierarchical names.
#[test]
fn one_diode_one_resistor_cell_as_a_subcircuit() {
    let text = "1D1R cells
.model sel D(IS=1e-12 N=1.5 RS=100)
.subckt cell t b params: g=1e-4
D1 t m sel
B1 m b I={g*V(m,b)}
.ends
V1 in 0 1
X1 in 0 cell g=2e-4
X2 0 in cell
.options reltol=1e-9
.op
.end
";
    let got = op_map(text);
    // X2 is reverse biased: its current is the tiny reverse current.
    let i_total = -got["i(v1)"];
    let vm = got["v(x1.m)"];
    let i_x1 = 2e-4 * vm;
    assert!(
        (i_total - i_x1).abs() < 1e-10,
        "{i_total} vs forward cell {i_x1}"
    );
    assert!(got.contains_key("v(d.x1.d1#internal)"), "{:?}", got.keys());
    if have_ngspice() {
        let ng = ngspice_op(&tmpdir("xb-diode-cell"), text);
        for q in ["v(x1.m)", "v(x2.m)", "i(v1)"] {
            assert!(
                close(ng[q], got[q], 1e-6, 1e-12),
                "{q}: ngspice {}, xbarsim {}",
                ng[q],
                got[q]
            );
        }
    }
}

#[test]
fn diode_errors_are_located() {
    let cases: &[(&str, &str)] = &[
        (
            "t\nV1 a 0 1\nD1 a 0 nomodel\n",
            "inline.cir:3:8: error: unknown diode model 'nomodel'",
        ),
        (
            "t\n.model d D(IS=1e-14 XYZ=3)\nV1 a 0 1\nD1 a 0 d\n",
            "inline.cir:2:21: error: unknown diode parameter 'xyz'",
        ),
        (
            "t\n.model d D(level=3)\nV1 a 0 1\nD1 a 0 d\n",
            "inline.cir:2:12: error: diode parameter level=3: xbarsim has the level-1 diode only",
        ),
        (
            "t\n.model d D(IS=-1)\nV1 a 0 1\nD1 a 0 d\n",
            "inline.cir:2:12: error: diode parameter is=-1: out of range",
        ),
        (
            "t\n.model d D\nV1 a 0 1\nD1 a 0 d area=0\n",
            "inline.cir:4:10: error: diode area must be positive, got 0",
        ),
        (
            "t\n.model d D\nV1 a 0 1\nD1 a 0 d 1 2\n",
            "inline.cir:4:12: error: unexpected",
        ),
        (
            "t\n.model d D\nV1 a 0 1\nD1 a 0 d q=1\n",
            "inline.cir:4:10: error: unknown diode instance parameter 'q'",
        ),
        (
            "t\n.model d D\nV1 a 0 1\nYMEMRISTOR m1 a 0 d g=1e-4\n",
            "inline.cir:4:19: error: 'd' is a diode model, not a memristor model",
        ),
    ];
    for (net, want) in cases {
        let err = errors(net);
        assert!(err.contains(want), "want '{want}' in:\n{err}");
    }
}

/// `.print` selects diode and B-source currents (`i(d1)`, ngspice's
/// `@d1[id]`, `i(b1)`): their sum is the resistor's current (KCL at b), and
/// the diode's is the law at its junction voltage.
#[test]
fn diode_and_bsource_currents_are_outputs() {
    let text = "currents
.model dm D(IS=1e-14 RS=5)
V1 a 0 1
R1 a b 1k
D1 b 0 dm
B1 b 0 I={1e-4*V(b)}
.options reltol=1e-9 abstol=1e-15
.print dc i(d1) @d1[id] i(b1) i(r1) v(b) v(d1#internal)
.op
.end
";
    let got = op_map(text);
    assert_eq!(got.len(), 6, "{got:?}");
    assert_eq!(got["i(d1)"], got["@d1[id]"]);
    assert!(close(
        got["i(r1)"],
        got["i(d1)"] + got["i(b1)"],
        1e-9,
        1e-15
    ));
    assert!(close(got["i(b1)"], 1e-4 * got["v(b)"], 1e-12, 1e-18));
    let vt = 1.380_648_52e-23 / 1.602_176_620_8e-19 * 300.15;
    let vd = got["v(d1#internal)"];
    let law = 1e-14 * ((vd / vt).exp() - 1.0) + 1e-12 * vd;
    assert!(close(got["i(d1)"], law, 1e-9, 1e-18));
    assert!(close(got["i(d1)"], (got["v(b)"] - vd) / 5.0, 1e-6, 1e-15));
}
