//! Cards of the field's SPICE netlists that change no DC result: capacitors
//! (open), inductors (short, with their current), transient/AC analyses and
//! output cards (warnings, not errors, their numbers still checked).

use crate::common::*;

const REACTIVE: &str = "C and L in DC
V1 a 0 1
R1 a b 1k
R2 b 0 1k
C1 b 0 1p IC=0.5
L1 a d 1u ic=1m
R3 d 0 2k
C2 d b {2*1p}
.op
.end
";

#[test]
fn capacitors_open_inductors_short_as_ngspice() {
    let got = op_map(REACTIVE);
    for (q, want) in [
        ("v(a)", 1.0),
        ("v(b)", 0.5),
        ("v(d)", 1.0),
        ("i(l1)", 5e-4),
        ("i(v1)", -1e-3),
    ] {
        assert!(
            close(got[q], want, 1e-12, 1e-18),
            "{q}: {} vs {want}",
            got[q]
        );
    }
    if !have_ngspice() {
        eprintln!("ngspice not installed: C and L checked against hand values only");
        return;
    }
    let ng = ngspice_op(&tmpdir("xb-dialect-cl"), REACTIVE);
    assert_agrees_with_ngspice(&got, &ng, 1e-6);
    assert_eq!(ng.len(), got.len());
}

#[test]
fn export_writes_capacitors_and_inductors() {
    let (text, _) = exported("xb-dialect-export", REACTIVE);
    assert!(text.lines().any(|l| l.starts_with("l1 a d 9.99")), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("c2 d b 1.999")),
        "{text}"
    );
    assert!(!text.lines().any(|l| l.starts_with("l1 a d DC")), "{text}");
    assert_eq!(op_map(&text)["i(l1)"], op_map(REACTIVE)["i(l1)"]);
}

#[test]
fn transient_and_output_cards_warn_and_change_nothing() {
    let plain = "t\nV1 a 0 1\nR1 a b 1k\nR2 b 0 3k\n.op\n.end\n";
    let full = "t
V1 a 0 1
R1 a b 1k
R2 b 0 3k
C1 b 0 10p
.tran 1n 10n 0 1p uic
.tran 1n {2*5n}
.ac dec 10 1 1k
.noise v(b) v1 dec 10 1 1k
.ic v(b)=0.5
.nodeset v(b)=1
.four 1k v(b)
.print tran v(b)
.plot dc v(b)
.probe v(b)
.save all
.backanno
.op
.end
";
    assert_eq!(op_map(plain), op_map(full));
    let c = circuit(full);
    let warned: Vec<&str> = c.warnings.iter().map(|d| d.message.as_str()).collect();
    // LTspice's back-annotation of currents onto its schematic.
    assert!(
        warned
            .iter()
            .any(|m| m.starts_with("'.backanno' has no effect in xbarsim")),
        "{warned:?}"
    );
    for card in [".tran", ".ac", ".noise", ".ic", ".nodeset", ".four"] {
        assert!(
            warned
                .iter()
                .any(|m| m.contains(&format!("'{card}' changes no DC result"))),
            "{card}: {warned:?}"
        );
    }
    // Their numbers are checked all the same.
    let e = errors("t\nV1 a 0 1\nR1 a 0 1k\n.tran 1n 10x1\n.op\n");
    assert!(e.contains("inline.cir:4:13: error:"), "{e}");
}

#[test]
fn a_node_reached_only_through_a_capacitor_is_located() {
    let e = errors("t\nV1 a 0 1\nR1 a b 1k\nR2 b 0 1k\nC1 b c 1p\n.op\n");
    assert!(
        e.contains("inline.cir:5:6: error: node 'c' has no DC path to ground"),
        "{e}"
    );
    let e = errors("t\nV1 a 0 1\nR1 a 0 1k\nL1 a 0 {1/0}\n.op\n");
    assert!(e.contains("inline.cir:4:"), "{e}");
}

const RESISTOR_FORMS: &str = "resistor instance parameters and quoted expressions
.param r0=1k
.temp 50
V1 a 0 '1+0.5'
R1 a b R=2k
R2 b 0 1k m=2
R3 b c 1k tc1=0.01 tc2=1e-4
R4 c 0 '2*r0'
R5 c 0 3k scale=2
R6 c 0 R='3*r0' m=0.5
.op
.end
";

#[test]
fn resistor_parameters_and_quoted_expressions_as_ngspice() {
    let got = op_map(RESISTOR_FORMS);
    // By hand: R1 2k, R2 500, R3 1k·(1 + 0.01·23 + 1e-4·23²), R4 2k, R5 6k, R6 6k.
    let r3 = 1000.0 * (1.0 + 0.01 * 23.0 + 1e-4 * 23.0 * 23.0);
    let rc = 1.0 / (1.0 / 2000.0 + 1.0 / 6000.0 + 1.0 / 6000.0);
    let rb = 1.0 / (1.0 / 500.0 + 1.0 / (r3 + rc));
    let vb = 1.5 * rb / (2000.0 + rb);
    let vc = vb * rc / (r3 + rc);
    assert!(
        close(got["v(b)"], vb, 1e-12, 0.0),
        "{} vs {vb}",
        got["v(b)"]
    );
    assert!(
        close(got["v(c)"], vc, 1e-12, 0.0),
        "{} vs {vc}",
        got["v(c)"]
    );
    if have_ngspice() {
        let ng = ngspice_op(&tmpdir("xb-dialect-r"), RESISTOR_FORMS);
        assert_agrees_with_ngspice(&got, &ng, 0.0);
    }
}

#[test]
fn resistor_parameters_refused_or_warned_with_their_place() {
    let e = errors("t\nV1 a 0 1\nR1 a 0 1k m=0\n.op\n");
    assert!(
        e.contains("inline.cir:3:13: error: m (devices in parallel) must be > 0, got 0"),
        "{e}"
    );
    let e = errors("t\nV1 a 0 1\nR1 a 0 m=2\n.op\n");
    assert!(
        e.contains("inline.cir:3:8: error: expected a resistance, found 'm='"),
        "{e}"
    );
    let e = errors("t\nV1 a 0 1\nR1 a 0 '2*\n.op\n");
    assert!(e.contains("inline.cir:3:8: error: unclosed '''"), "{e}");
    let c = circuit("t\nV1 a 0 1\nR1 a 0 1k w=1u\n.op\n");
    assert!(c
        .warnings
        .iter()
        .any(|d| d.message == "resistor parameter 'w' changes no DC result here; ignored"));
}

const PRINTED: &str = "t
V1 a 0 1.5
R1 a b 2k
R2 b 0 1k
L1 b c 1u
R3 c 0 3k
C1 c 0 1p
I1 0 b 1m
.print dc v(b) v(a,b) i(r1) @r2[i] i(v1)
.save i(l1) i(c1) i(i1)
.dc v1 0 1.5 0.5
.op
.end
";

#[test]
fn print_and_save_choose_the_quantities_and_their_order() {
    let p = planned(PRINTED);
    let c = &p.circuit;
    let mut e = xbarsim::analysis::Engine::new(c).unwrap();
    let r = xbarsim::analysis::op::run(&mut e).unwrap();
    assert_eq!(
        r.names,
        ["v(b)", "v(a,b)", "i(r1)", "@r2[i]", "i(v1)", "i(l1)", "i(c1)", "i(i1)"]
    );
    // By hand: b = (1.5/2k + 1m)/(1/2k + 1/1k + 1/3k), c = b.
    let vb = (1.5 / 2000.0 + 1e-3) / (1.0 / 2000.0 + 1.0 / 1000.0 + 1.0 / 3000.0);
    let want = [
        vb,
        1.5 - vb,
        (1.5 - vb) / 2000.0,
        vb / 1000.0,
        -(1.5 - vb) / 2000.0,
        vb / 3000.0,
        0.0,
        1e-3,
    ];
    for ((n, got), w) in r.names.iter().zip(&r.values).zip(want) {
        assert!(close(*got, w, 1e-12, 1e-18), "{n}: {got} vs {w}");
    }
    // The same list heads every .dc row, after the swept source.
    let dir = tmpdir("xb-dialect-print");
    let net = dir.join("p.cir");
    std::fs::write(&net, PRINTED).unwrap();
    let (code, _, err) = run_to(&net, &dir.join("out"), &[]);
    assert_eq!(code, 0, "{err}");
    let dc = std::fs::read_to_string(dir.join("out/dc.csv")).unwrap();
    assert!(
        dc.starts_with("v1,v(b),\"v(a,b)\",i(r1),@r2[i],i(v1),i(l1),i(c1),i(i1)\n"),
        "{dc}"
    );
    assert_eq!(dc.lines().count(), 5);
}

#[test]
fn output_cards_all_other_analyses_and_unknown_names() {
    // `all`, or a list for another analysis only: every quantity, as without.
    let plain = "t\nV1 a 0 1\nR1 a b 1k\nR2 b 0 1k\n.op\n.end\n";
    for extra in [".save all\n", ".print tran v(b)\n", ".probe\n"] {
        let text = plain.replace(".op", &format!("{extra}.op"));
        assert_eq!(op_map(&text), op_map(plain), "{extra}");
    }
    let c = circuit(&plain.replace(".op", ".print tran v(b)\n.op"));
    assert!(c
        .warnings
        .iter()
        .any(|d| d.message == "'.print tran': xbarsim runs DC analyses only; ignored"));
    for (card, col, msg) in [
        (".print dc v(zz)", 11, "'zz' is not a node of this circuit"),
        (
            ".save i(r9)",
            7,
            "'r9' is not an element whose current xbarsim writes",
        ),
        (
            ".probe vdb(b)",
            8,
            "'vdb(b)' is not an output xbarsim writes",
        ),
    ] {
        let e = errors(&plain.replace(".op", &format!("{card}\n.op")));
        let loc = format!("inline.cir:5:{col}: error: {msg}");
        assert!(e.contains(&loc), "{card}: expected {loc} in\n{e}");
    }
}

#[test]
fn csparam_is_a_param() {
    let a = op_map("t\n.param r=2k\nV1 a 0 1\nR1 a 0 {r}\n.op\n.end\n");
    let b = op_map("t\n.csparam r=2k\nV1 a 0 1\nR1 a 0 {r}\n.op\n.end\n");
    assert_eq!(a, b);
    assert!(close(b["i(v1)"], -0.5e-3, 1e-15, 0.0));
    let e = errors("t\n.csparam r\nV1 a 0 1\nR1 a 0 1k\n.op\n");
    assert!(
        e.contains("inline.cir:2:10: error: expected name=value in .csparam"),
        "{e}"
    );
}

const VCCS: &str = "vccs
.param gm=2m
V1 a 0 1.5
R1 a b 1k
R2 b 0 2k
G1 c 0 b 0 {gm}
R3 c 0 1k
G2 0 d a b 0.5m
R4 d 0 3k
Gself e 0 e 0 1m
V2 f 0 1
R5 f e 1k
.op
.end
";

#[test]
fn voltage_controlled_current_sources_as_ngspice() {
    let got = op_map(VCCS);
    // By hand: b = 1 V; G1 pushes 2 mA·1 V from c to ground: c = −2 V;
    // G2 pulls 0.5 mA·0.5 V out of ground into d: d = 0.75 V; Gself is a
    // 1 mS conductance: e = 1·1k⁻¹/(1k⁻¹ + 1m) = 0.5 V.
    for (q, want) in [("v(b)", 1.0), ("v(c)", -2.0), ("v(d)", 0.75), ("v(e)", 0.5)] {
        assert!(
            close(got[q], want, 1e-12, 1e-15),
            "{q}: {} vs {want}",
            got[q]
        );
    }
    if have_ngspice() {
        let ng = ngspice_op(&tmpdir("xb-dialect-g"), VCCS);
        assert_agrees_with_ngspice(&got, &ng, 1e-6);
    }
    let e = errors("t\nV1 a 0 1\nR1 a 0 1k\nG1 a 0 a\n.op\n");
    assert!(
        e.contains("inline.cir:4:9: error: expected the controlling - node"),
        "{e}"
    );
}

const LOGIC: &str = "conditional and logical expressions
.param k=2
.param t={k > 1 ? 3k : 1k}
V1 a 0 0.7
R1 a 0 {t}
B1 0 n1 I={V(a) > 0.5 ? 1m : 2m}
R2 n1 0 1k
B2 0 n2 I={(V(a) >= 0.7 && V(a) < 1) ? 1m : 0}
R3 n2 0 1k
B3 0 n3 I={(V(a) < 0.1 || k == 2) ? 0.5m : 0}
R4 n3 0 1k
B4 0 n4 I={u(V(a)-0.5)*1m + uramp(V(a)-0.2)*1m}
R5 n4 0 1k
B5 0 n5 I={!(V(a) > 1) ? 0.25m : 0}
R6 n5 0 1k
B6 n6 0 I={V(n6) > 0 ? 1m*V(n6) + 1u*V(n6)*V(n6)*V(n6) : 1m*V(n6)}
V2 n7 0 1
R7 n7 n6 1k
.op
.end
";

#[test]
fn conditional_and_logical_expressions_as_ngspice() {
    let got = op_map(LOGIC);
    for (q, want) in [
        ("v(n1)", 1.0),
        ("v(n2)", 1.0),
        ("v(n3)", 0.5),
        ("v(n4)", 1.5),
        ("v(n5)", 0.25),
        ("i(v1)", -0.7 / 3000.0),
    ] {
        assert!(
            close(got[q], want, 1e-12, 1e-18),
            "{q}: {} vs {want}",
            got[q]
        );
    }
    // n6: 1 V through 1 kΩ into 1 mS + 1 µS·v³ (Newton through the conditional).
    let v6 = got["v(n6)"];
    let residual = (1.0 - v6) / 1000.0 - (1e-3 * v6 + 1e-6 * v6 * v6 * v6);
    assert!(residual.abs() < 1e-15, "{v6}: {residual}");
    if have_ngspice() {
        let ng = ngspice_op(&tmpdir("xb-dialect-logic"), LOGIC);
        assert_agrees_with_ngspice(&got, &ng, 1e-6);
    }
}

#[test]
fn if_limit_and_their_errors() {
    let got = op_map(
        "t\n.param k=2 a={if(k-2, 1, 4)} b={limit(5, 0, 2)} c={limit(-1, 0, 2)}\nV1 n 0 {a+b+c}\nR1 n 0 1k\nB1 0 m I={limit(V(n), 0, 2.5)*1m}\nR2 m 0 1k\n.op\n.end\n",
    );
    assert_eq!(got["v(n)"], 6.0);
    assert!(close(got["v(m)"], 2.5, 1e-12, 0.0), "{}", got["v(m)"]);
    for (text, col, msg) in [
        ("{k > 1 ? 2}", 24, "expected ':' of 'cond ? a : b'"),
        ("{if(k, 1)}", 15, "if() takes 3 argument"),
        ("{k >}", 18, "expected a value"),
    ] {
        let e = errors(&format!(
            "t\n.param k=1 x={text}\nV1 a 0 {{x}}\nR1 a 0 1k\n.op\n"
        ));
        assert!(
            e.contains(&format!("inline.cir:2:{col}: error: {msg}")),
            "{text}: {e}"
        );
    }
}

/// The rest of ngspice's B-source functions (trigonometric and inverse,
/// hyperbolic inverses, sgn, floor, ceil, nint, u2), in parameters and in
/// laws, against ngspice (1e-6) and at one solved voltage by hand. (`int`,
/// HSPICE's, ngspice takes in `.param` but not in a B-source: it is in the
/// parameter only.)
#[test]
fn trigonometric_and_rounding_functions_agree_with_ngspice() {
    let laws = [
        ("sin", "1m*sin(2*V(n1))"),
        ("cos", "1m*(cos(V(n2))-1)"),
        ("tan", "1m*tan(V(n3))"),
        ("asin", "1m*asin(0.5*V(n4))"),
        ("acos", "1m*(acos(0)-acos(0.5*V(n5)))"),
        ("atan", "1m*atan(3*V(n6))"),
        ("asinh", "1m*asinh(V(n7))"),
        ("acosh", "1m*(acosh(2+V(n8))-acosh(2))"),
        ("atanh", "1m*atanh(0.5*V(n9))"),
        ("sgn", "1m*V(n10)*(1+sgn(V(n10)))"),
        ("floor", "1m*V(n11)*(1+floor(3.7))"),
        ("ceil", "1m*V(n12)*ceil(0.2)"),
        ("nint", "1m*V(n13)*nint(2.5)"),
        ("u2", "1m*V(n14)*(1+u2(0.4))"),
    ];
    let mut text =
        String::from("functions\n.param pf={floor(2.5)+ceil(0.1)+sgn(-3)+nint(1.4)+int(1.9)}\n");
    for (k, (_, law)) in laws.iter().enumerate() {
        let n = k + 1;
        text += &format!("V{n} a{n} 0 {{0.3*pf}}\nR{n} a{n} n{n} 1k\nB{n} n{n} 0 I={{{law}}}\n");
    }
    text += ".options reltol=1e-9 abstol=1e-15\n.op\n.end\n";
    let got = op_map(&text);
    // pf = 2 + 1 − 1 + 1 + 1 = 4: every source at 1.2 V.
    assert!(close(got["v(a1)"], 1.2, 1e-15, 0.0));
    // KCL at n1: (1.2 − v)/1k = 1m·sin(2v).
    let v = got["v(n1)"];
    assert!(close((1.2 - v) / 1e3, 1e-3 * (2.0 * v).sin(), 1e-9, 1e-15));
    if have_ngspice() {
        let ng = ngspice_op(&tmpdir("xb-functions"), &text);
        assert_agrees_with_ngspice(&got, &ng, 1e-6);
    }
}

/// HSPICE and LTspice forms met in public memristor netlists: `.params`,
/// ngspice's `.csparam x={x}` copy, parameter functions `.param f(x)=...`
/// (global and local to a subcircuit), G `CUR='expr'`, `C='value'`,
/// `gnd!`, a behavioural resistor `r={... V(x)}`, `I(resistor)` inside an
/// expression, LTspice's `stp()`, an `.ends` naming another subcircuit, and
/// `.probe` wildcards. ngspice runs the same circuit written its way
/// (`0` for `gnd!`, `u` for `stp`); they agree to 1e-9.
const HSPICE_FORMS: &str = "hspice and ltspice forms
.params rs=1k
.param gain=2m
.csparam gain={gain}
.param sq(x) = 'x*x'
.subckt memr plus minus Ron=100 Roff=10k x0=0.3
.params span='Roff-Ron'
.param w(v) = 'v*(1-v)'
Rin plus mid 'Ron'
Rm mid minus r={Roff - span*V(x)}
Gx gnd! x cur='1e3*I(Rin)*w(V(x)) + 1e-3*stp(V(plus,minus))'
Cx x gnd! C='1p' IC='x0'
Rx x gnd! 1k
.ends mem
V1 in gnd! 1.5
Rs in p {rs}
X1 p 0 memr
G2 0 q cur='gain*sq(V(p))'
R2 q 0 1k
.probe v(x1.*) v(q) i(r*) i(v1)
.op
.end
";

#[test]
fn hspice_and_ltspice_forms_against_ngspice() {
    let (dir, _) = run_netlist("xb-hspice-forms", HSPICE_FORMS);
    let got = read_qv(&dir.join("op.csv"));
    // The wildcards, in the circuit's node order and element name order;
    // the 0 V source that reads I(Rin) is not among them.
    let mut names: Vec<&String> = got.keys().collect();
    names.sort();
    assert_eq!(
        names,
        [
            "i(r.x1.rin)",
            "i(r.x1.rm)",
            "i(r.x1.rx)",
            "i(r2)",
            "i(rs)",
            "i(v1)",
            "v(q)",
            "v(x1.mid)",
            "v(x1.x)"
        ]
    );
    // By hand: the series current through Rs, Rin and the behavioural Rm.
    let (x, i) = (got["v(x1.x)"], got["i(rs)"]);
    let rm = 10e3 - 9_900.0 * x;
    assert!(close(1.5, i * (1e3 + 100.0 + rm), 1e-9, 0.0));
    assert!(close(got["i(r.x1.rin)"], i, 1e-12, 0.0));
    assert!(close(got["i(r.x1.rm)"], i, 1e-9, 0.0));
    // The state node: Gx's current into x leaves through Rx.
    assert!(close(
        -x / 1e3,
        -(1e3 * i * x * (1.0 - x) + 1e-3),
        1e-9,
        1e-15
    ));
    let vp = 1.5 - 1e3 * i;
    assert!(close(got["v(q)"], 1e3 * 2e-3 * vp * vp, 1e-9, 0.0));
    if !have_ngspice() {
        return;
    }
    let plain = HSPICE_FORMS
        .replace("gnd!", "0")
        .replace("stp(", "u(")
        .replace(".probe v(x1.*) v(q) i(r*) i(v1)\n", "");
    let ng = ngspice_op(&tmpdir("xb-hspice-forms-ng"), &plain);
    assert_quantities_agree(
        &ng,
        &got,
        &["v(x1.x)", "v(x1.mid)", "v(q)", "i(v1)"],
        1e-9,
        1e-15,
    );
    // The export names the inserted 0 V reader as a V card ngspice runs.
    let (flat, dir) = exported("xb-hspice-forms-export", HSPICE_FORMS);
    assert!(flat.contains("\nvr.x1.rin_meas "), "{flat}");
    let ng = ngspice_op(&dir, &flat.replace("stp(", "u("));
    assert_quantities_agree(&ng, &got, &["v(x1.x)", "v(q)", "i(v1)"], 1e-9, 1e-15);
}

/// Xyce's package options (`.options timeint reltol=...`) set nothing
/// (there, `reltol` is the time integrator's), with a warning; a card
/// that changes no DC result inside a subcircuit is warned about once.
#[test]
fn xyce_package_options_and_one_warning_per_card() {
    let net = "t\nV1 a 0 1\nR1 a 0 1k\n.options timeint reltol=1e-2\n.subckt s p\n.ic v(p)=0.5\nR2 p 0 1k\n.ends\nX1 a s\n.op\n.end\n";
    let (_, err) = run_warned("xb-xyce-pkg-options", net);
    let (flat, _) = exported("xb-xyce-pkg-options-export", net);
    // xbarsim's own default, 1e-6, not the time integrator's 1e-2.
    assert!(
        flat.contains(".options reltol=9.99999999999999955e-7 "),
        "{flat}"
    );
    assert!(
        err.contains("warning: Xyce's '.options timeint' package sets nothing in xbarsim"),
        "{err}"
    );
    assert_eq!(
        err.matches("'.ic' changes no DC result").count(),
        1,
        "{err}"
    );
}

/// A memristor subcircuit whose state is a capacitor voltage charged by a
/// current source (Pershin's and many public models): the state node has
/// no DC path but through the capacitor, so its `IC=` holds it, with a
/// warning, and DC gives the device at that state. ngspice finds no
/// operating point for the netlist as written (a singular matrix); with
/// the capacitor replaced by a source at its IC it agrees to 1e-9.
const STATE_CAP: &str = "state on a capacitor
.subckt mem plus minus Rinit=7k
Bx 0 x I={1e-3*V(plus,minus)}
Vx x x1 dc 0
Cx x1 0 1 IC={Rinit}
Rmem plus minus r={V(x)}
.ends
V1 in 0 1
Rs in p 1k
Xm p 0 mem Rinit=4k
.dc V1 -1 1 0.5
.end
";

#[test]
fn state_capacitor_held_at_its_initial_condition() {
    let (dir, err) = run_warned("xb-state-cap", STATE_CAP);
    assert!(
        err.contains(
            "node 'xm.x1' has no DC path but through capacitor 'c.xm.cx': held at its IC=4000 V"
        ),
        "{err}"
    );
    let t = read_table(&dir);
    let (v1, i1) = (col(&t, "v1"), col(&t, "i(v1)"));
    for k in 0..v1.len() {
        // Rmem = V(x) = 4 kΩ in series with Rs.
        assert!(close(i1[k], -v1[k] / 5e3, 1e-12, 1e-18), "point {k}");
    }
    // The state source carries what Bx pushes into x: 1e-3·V(p).
    let vp = col(&t, "v(p)");
    let ih = col(&t, "i(c.xm.cx)");
    for k in 0..v1.len() {
        assert!(close(ih[k], 1e-3 * vp[k], 1e-12, 1e-18), "point {k}");
    }
    if !have_ngspice() {
        return;
    }
    // The export writes the hold as a source ngspice runs.
    let (flat, dir) = exported("xb-state-cap-export", STATE_CAP);
    assert!(flat.contains("\nvc.xm.cx xm.x1 0 DC 4.0"), "{flat}");
    let ng = ngspice_dc(&dir, &flat);
    for (k, p) in ng.iter().enumerate() {
        assert!(
            close(p["i(v1)"], col(&t, "i(v1)")[k], 1e-9, 1e-15),
            "point {k}"
        );
    }
    let held = STATE_CAP.replace("Cx x1 0 1 IC={Rinit}", "Vcx x1 0 {Rinit}");
    let ng = ngspice_dc(&tmpdir("xb-state-cap-ng"), &held);
    for (k, p) in ng.iter().enumerate() {
        for q in ["v(p)", "i(v1)", "v(xm.x)"] {
            assert!(close(p[q], col(&t, q)[k], 1e-9, 1e-15), "{q} at point {k}");
        }
    }
}

/// LTspice's `.ic V(node)=value` inside a model's subcircuit (in the
/// instance's scope) holds a state node that has no DC path, with a
/// warning; the export writes the hold as a V card.
#[test]
fn ic_card_holds_a_state_node_without_dc_path() {
    let net = "ic card
.subckt m te be xsv x0=0.25
Gm te be value={1m*V(xsv)*V(te,be)}
Gx 0 xsv value={1u*V(te,be)}
Cx xsv 0 1
.ic V(xsv) = x0
.ends
V1 in 0 1
Rs in p 1k
X1 p 0 s m x0=0.5
.dc V1 0 1 0.5
.end
";
    let t = dc_table("xb-ic-card", net);
    let (v1, i1, s) = (col(&t, "v1"), col(&t, "i(v1)"), col(&t, "v(s)"));
    for k in 0..v1.len() {
        // G = 1m·0.5 = 0.5 mS in series with 1 kΩ.
        assert!(close(s[k], 0.5, 1e-12, 0.0));
        assert!(
            close(i1[k], -v1[k] / (1e3 + 2e3), 1e-12, 1e-18),
            "point {k}"
        );
    }
    let (flat, _) = exported("xb-ic-card-export", net);
    assert!(flat.contains("\nvic_s s 0 DC 5.0"), "{flat}");
}

/// A memdiode-shaped subcircuit (the form of a public HSPICE memdiode
/// model): the series resistor's value and the diode law read the state
/// node, so both are controlled B-sources, yet each reads the voltage
/// across its own terminals and so is a DC path; node `d` had been refused
/// as having none. The second state node is charged by a constant current,
/// which had counted as a DC path, so its capacitor was not held and the
/// solve failed. Now both states are held (two warnings), and the sweep
/// agrees with hand values and with ngspice given the holds as sources.
const MEMDIODE: &str = "memdiode-shaped subcircuit
.subckt md p n h0=0.25
Gh 0 h value={1u*V(p,n)*(1-V(h))}
Ch h 0 1 IC={h0}
Gk 0 k value={1u}
Ck k 0 1 IC=0.3
Rs p d r={10+90*V(h)+10*V(k)}
Gd d n value={1e-6*(1+9*V(h))*(exp(4*V(d,n))-1)}
.ends
V1 in 0 0
R1 in p 1k
X1 p 0 md
.options reltol=1e-9
.dc V1 -1 1 0.5
.end
";

#[test]
fn behavioural_paths_through_a_state_and_a_constant_charge() {
    let (dir, err) = run_warned("xb-memdiode", MEMDIODE);
    for w in [
        "node 'x1.h' has no DC path but through capacitor 'c.x1.ch': held at its IC=0.25 V",
        "node 'x1.k' has no DC path but through capacitor 'c.x1.ck': held at its IC=0.3 V",
    ] {
        assert!(err.contains(w), "{err}");
    }
    let t = read_table(&dir);
    let (v1, vp, vd) = (col(&t, "v1"), col(&t, "v(p)"), col(&t, "v(x1.d)"));
    let (h, k, ik) = (
        col(&t, "v(x1.h)"),
        col(&t, "v(x1.k)"),
        col(&t, "i(c.x1.ck)"),
    );
    assert_eq!(v1.len(), 5);
    for j in 0..v1.len() {
        assert_eq!((h[j], k[j]), (0.25, 0.3), "point {j}");
        // The constant charge current flows into the hold.
        assert!(close(ik[j], 1e-6, 1e-12, 0.0), "point {j}");
        // One series current through R1, Rs = 10 + 22.5 + 3 Ω and the diode law.
        let i = (v1[j] - vp[j]) / 1e3;
        assert!(close(vp[j] - vd[j], 35.5 * i, 1e-9, 1e-15), "point {j}");
        let id = 1e-6 * 3.25 * ((4.0 * vd[j]).exp() - 1.0);
        assert!(close(id, i, 1e-9, 1e-15), "point {j}");
    }
    if !have_ngspice() {
        return;
    }
    let held = MEMDIODE
        .replace("Ch h 0 1 IC={h0}", "Vch h 0 {h0}")
        .replace("Ck k 0 1 IC=0.3", "Vck k 0 0.3");
    let ng = ngspice_dc(&tmpdir("xb-memdiode-ng"), &held);
    assert_eq!(ng.len(), v1.len());
    for (j, p) in ng.iter().enumerate() {
        for q in ["v(p)", "v(x1.d)", "i(v1)"] {
            assert!(close(p[q], col(&t, q)[j], 1e-6, 1e-15), "{q} at point {j}");
        }
    }
}

/// A flux-controlled memristor written with LTspice/Xyce time functions:
/// its flux `sdt(V(p,n), phi0)`, an unused charge `idt(I(...))` and a
/// behavioural capacitor `ddt(...)`. xbarsim has no transient analysis; a
/// DC analysis is at t = 0, where an integral is its initial value and a
/// derivative 0, as a SPICE operating point has them.
const TIME_FUNCS: &str = "sdt, idt and ddt at t = 0
.param phi0=0.2
.subckt fluxmem p n
Eflux phi 0 value={sdt(V(p,n), phi0)}
Rphi phi 0 1meg
Bm p n I={(1m + 2m*V(phi))*V(p,n)}
Bc p n I={1u*DDT(V(p,n))}
Eq q 0 value={IDT(I(Bm))}
Rq q 0 1meg
Ez z 0 value={sdt(V(p,n)*1k, 0.5, V(p,n) > 0)}
Rz z 0 1meg
.ends
V1 in 0 1
R1 in a 100
X1 a 0 fluxmem
.dc V1 -1 1 0.5
.end
";

#[test]
fn time_integrals_and_derivatives_at_t_zero() {
    let (dir, err) = run_warned("xb-time-funcs", TIME_FUNCS);
    for (line, col, what) in [
        (4, 20, "sdt()/idt() is a time integral from t = 0"),
        (
            7,
            14,
            "ddt() is a time derivative: a DC analysis takes it as 0",
        ),
        (8, 15, "sdt()/idt() is a time integral from t = 0"),
        (10, 15, "sdt()/idt() is a time integral from t = 0"),
    ] {
        assert!(
            err.contains(&format!("net.cir:{line}:{col}: warning: {what}")),
            "{line}:{col}: {err}"
        );
    }
    let t = read_table(&dir);
    let (v1, i1) = (col(&t, "v1"), col(&t, "i(v1)"));
    // The memductance at the initial flux, 1m + 2m·0.2 = 1.4 mS, in series
    // with 100 Ω; no current through the capacitor.
    let r = 100.0 + 1.0 / 1.4e-3;
    for k in 0..v1.len() {
        assert!(close(i1[k], -v1[k] / r, 1e-12, 1e-18), "point {k}");
        assert_eq!(col(&t, "v(x1.phi)")[k], 0.2);
        assert_eq!(col(&t, "v(x1.q)")[k], 0.0);
        assert_eq!(col(&t, "v(x1.z)")[k], 0.5);
    }
    // The export writes the DC law (the integral's initial value), which
    // ngspice, with no sdt() of its own, runs.
    let (flat, dir) = exported("xb-time-funcs-export", TIME_FUNCS);
    assert!(!flat.to_ascii_lowercase().contains("dt("), "{flat}");
    if !have_ngspice() {
        return;
    }
    let ng = ngspice_dc(&dir, &flat);
    for (k, p) in ng.iter().enumerate() {
        for q in ["i(v1)", "v(a)", "v(x1.phi)", "v(x1.z)"] {
            assert!(close(p[q], col(&t, q)[k], 1e-9, 1e-15), "{q} at point {k}");
        }
    }
}

/// A function of time in a parameter is evaluated once, at t = 0 (a
/// warning, with the value by hand); each warning of a subcircuit's card is
/// said once however many instances it has; a measurement's param= refuses
/// one.
#[test]
fn time_functions_in_parameters() {
    let net = "t\n.subckt s a b\n.param q=sdt(1,2)\nB1 a b I=sdt(v(a),1m)+q*1m\n.ends\n\
               V1 1 0 1\nX1 1 0 s\nX2 1 0 s\n.param p=ddt(3)\nR2 1 0 {1k+p}\n\
               .meas op m param={1+2}\n\
               V3 3 0 DC {2+ddt(1)}\nR3 3 4 {1k+sdt(1,1k)} m={1+idt(4)}\n\
               .model mm memristor (level=linear g={1m+sdt(1,1m)})\nYMEMRISTOR m4 4 0 mm\n\
               .op\n.end\n";
    let (dir, err) = run_warned("xb-time-params", net);
    // Each once, the subcircuit's two as well as the top level's, and each
    // value's.
    let once = "outside an element's law is evaluated once, at t = 0";
    for (line, col, what) in [
        (3, 10, format!("sdt()/idt() {once}")),
        (4, 10, "sdt()/idt() is a time integral from t = 0".into()),
        (9, 10, format!("ddt() {once}: it is 0")),
        (12, 14, format!("ddt() {once}: it is 0")),
        (13, 12, format!("sdt()/idt() {once}")),
        (13, 28, format!("sdt()/idt() {once}")),
        (14, 41, format!("sdt()/idt() {once}")),
    ] {
        let at = format!("net.cir:{line}:{col}: warning: {what}");
        assert_eq!(err.matches(&at).count(), 1, "{at}: {err}");
    }
    // Each instance: 1m (the integral's initial value) + q·1m with q = 2;
    // R2 is 1 kΩ (p = 0).
    let op = read_qv(&dir.join("op.csv"));
    assert_close(op["i(v1)"], -(2.0 * 3e-3 + 1e-3), 1e-12, "i(v1)");
    // V3 is 2 V (ddt = 0) into R3 = 2 kΩ (1k + 1k, m = 1 + 0) and the
    // memristor's 2 mS (1m + 1m): 2 V over 2.5 kΩ.
    assert_close(op["i(v3)"], -2.0 / 2.5e3, 1e-12, "i(v3)");

    let e = errors("t\nV1 a 0 1\nR1 a 0 1k\n.meas op m param=\'2*ddt(3)\'\n.op\n.end\n");
    assert!(
        e.contains("inline.cir:4:21: error: ddt() is a function of time: param= combines numbers"),
        "{e}"
    );
    // An analysis card's values are numbers: refused, located.
    let e = errors("t\nV1 a 0 1\nR1 a 0 1k\n.dc V1 0 {1+sdt(1,2)} 0.5\n.end\n");
    assert!(
        e.contains(
            "inline.cir:4:13: error: sdt() is a function of time: an analysis card's values are numbers"
        ),
        "{e}"
    );
}

#[test]
fn time_functions_take_their_argument_counts() {
    for (text, col, msg) in [
        (
            "sdt(V(a), 1, 0, 2)",
            11,
            "sdt() takes 1 to 3 argument(s), got 4",
        ),
        ("idt()", 15, "expected a value"),
        ("ddt(V(a), 1)", 11, "ddt() takes 1 argument(s), got 2"),
    ] {
        let e = errors(&format!("t\nV1 a 0 1\nB1 a 0 I={{{text}}}\n.op\n"));
        assert!(
            e.contains(&format!("inline.cir:3:{col}: error: {msg}")),
            "{text}: {e}"
        );
    }
}

/// ngspice's XSPICE memristor code model (its `memristor_x` example's
/// form): DC takes it as its starting resistance RINIT, as the code model
/// does in DC; by hand, and against ngspice's operating point (whose code
/// model gives the current but no conductance, so its Newton stops within
/// ngspice's own tolerance: 1e-3 here).
const XSPICE_MEM: &str = "XSPICE memristor in DC
.param stime=10n
V1 0 1 DC 0.1
Rl 1 11 1k
amen 11 2 memr
.model memr memristor (rmin=1k rmax=10k rinit=7k alpha=0 beta='20e3/stime' vt=1.6)
vgnd 2 0 dc 0
.subckt two p n
a1 p m mdef
a2 m n memr
.model mdef memristor (vt=1)
.ends
X1 11 0 two
.dc V1 -3 3 1
.end
";

#[test]
fn xspice_memristor_is_its_starting_resistance_in_dc() {
    let (dir, err) = run_warned("xb-xspice", XSPICE_MEM);
    for (line, what) in [
        (
            5,
            "'amen': a DC analysis takes it as its starting resistance rinit = 7000 ohm",
        ),
        (
            9,
            "'a.x1.a1': a DC analysis takes it as its starting resistance rinit = 7000 ohm",
        ),
        (
            10,
            "'a.x1.a2': a DC analysis takes it as its starting resistance rinit = 7000 ohm",
        ),
    ] {
        assert!(
            err.contains(&format!(
                "net.cir:{line}:1: warning: XSPICE memristor {what}"
            )),
            "{line}: {err}"
        );
    }
    let t = read_table(&dir);
    let v1 = col(&t, "v1");
    // 1 kΩ into 7 kΩ (amen) parallel to 14 kΩ (X1, the default RINIT twice).
    let rp = 7e3 * 14e3 / 21e3;
    for (k, v1) in v1.iter().enumerate() {
        let v11 = -v1 * rp / (1e3 + rp);
        assert!(close(col(&t, "v(11)")[k], v11, 1e-12, 1e-15), "point {k}");
        assert!(
            close(col(&t, "i(vgnd)")[k], v11 / 7e3, 1e-12, 1e-18),
            "point {k}"
        );
        assert!(
            close(
                col(&t, "v(x1.m)")[k],
                col(&t, "v(11)")[k] / 2.0,
                1e-12,
                1e-15
            ),
            "point {k}"
        );
    }
    if have_ngspice() {
        let one = XSPICE_MEM
            .replace("X1 11 0 two\n", "")
            .replace(".dc V1 -3 3 1", ".op");
        let got = op_map(&one);
        let ng = ngspice_op(&tmpdir("xb-xspice-ng"), &one);
        for q in ["v(11)", "i(vgnd)", "i(v1)"] {
            assert!(
                close(ng[q], got[q], 1e-3, 0.0),
                "{q}: ngspice {}, xbarsim {}",
                ng[q],
                got[q]
            );
        }
        assert!(close(got["v(11)"], -0.0875, 1e-12, 0.0), "{}", got["v(11)"]);
    }
}

#[test]
fn xspice_memristor_forms_refused_with_their_place() {
    let m = ".model memr memristor (rinit=7k)\n.model own memristor (level=linear g=1m)\n";
    assert_errors(&[
        (
            &format!("t\n{m}V1 a 0 1\nYMEMRISTOR y1 a 0 memr\n.op\n"),
            "inline.cir:5:19: error: 'memr' is ngspice's XSPICE memristor model",
        ),
        (
            &format!("t\n{m}V1 a 0 1\nA1 a 0 own\n.op\n"),
            "inline.cir:5:8: error: 'own' is an xbarsim memristor model, not ngspice's XSPICE memristor",
        ),
        (
            &format!("t\n{m}V1 a 0 1\nA1 a 0 nothere\n.op\n"),
            "inline.cir:5:8: error: unknown XSPICE model 'nothere'",
        ),
        (
            &format!("t\n{m}V1 a 0 1\nA1 a 0 memr 2\n.op\n"),
            "inline.cir:5:13: error: unexpected field in an XSPICE memristor",
        ),
        (
            &format!("t\n{m}V1 a 0 1\nA1 %gd(a 0) memr\n.op\n"),
            "inline.cir:5:4: error: an XSPICE port or parameter form xbarsim does not read",
        ),
        (
            "t\n.model memr memristor (rinit=0 vt=1)\nV1 a 0 1\nA1 a 0 memr\n.op\n",
            "inline.cir:2:24: error: rinit, the XSPICE memristor's starting resistance, must be",
        ),
    ]);
}

/// LTspice's micro sign and its file encodings: `µ` (U+00B5, the byte 0xB5
/// in Latin-1) and Greek `μ` (U+03BC) are micro, in a value and in an
/// expression; a file in UTF-16 (with or without a byte-order mark), with a
/// UTF-8 byte-order mark, or in Latin-1 (with a located warning) gives the
/// same operating point as the UTF-8 file: 2 µA + 3 µA into 1 kΩ.
#[test]
fn ltspice_micro_sign_in_every_encoding() {
    let text = "micro\r\nI1 0 a 2\u{b5}\r\nI2 0 a {3\u{3bc}*1}\r\nR1 a 0 1k\r\n.op\r\n.end\r\n";
    let utf16 = |le: bool, bom: bool| -> Vec<u8> {
        let mut v = Vec::new();
        if bom {
            v.extend(if le { [0xFF, 0xFE] } else { [0xFE, 0xFF] });
        }
        for u in text.encode_utf16() {
            v.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        v
    };
    let latin1: Vec<u8> = text
        .replace('\u{3bc}', "\u{b5}")
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    let mut bom8 = vec![0xEF, 0xBB, 0xBF];
    bom8.extend(text.as_bytes());
    let dir = tmpdir("xb-micro");
    for (tag, bytes, warns) in [
        ("utf8", text.as_bytes().to_vec(), false),
        ("utf8bom", bom8, false),
        ("utf16le", utf16(true, true), false),
        ("utf16be", utf16(false, true), false),
        ("utf16le-nobom", utf16(true, false), false),
        ("latin1", latin1, true),
    ] {
        let net = dir.join(format!("{tag}.cir"));
        std::fs::write(&net, bytes).unwrap();
        let out = dir.join(tag);
        let (code, _, err) = run_to(&net, &out, &[]);
        assert_eq!(code, 0, "{tag}: {err}");
        let got = read_qv(&out.join("op.csv"));
        assert!(
            close(got["v(a)"], 5e-3, 1e-12, 0.0),
            "{tag}: {}",
            got["v(a)"]
        );
        let w = format!("{tag}.cir:2:1: warning: this file is not UTF-8 text (this line is the first that is not): read as Latin-1");
        assert_eq!(err.contains(&w), warns, "{tag}: {err}");
        assert_eq!(err.contains("warning"), warns, "{tag}: {err}");
    }
}
