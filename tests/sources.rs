//! Independent sources with SPICE's full specification (`DC`, `DC=`, `AC`,
//! `SIN`, `PULSE`, `PWL`, `EXP`, `SFFM`, `AM`): parsed and kept; the DC
//! analyses use the DC value, or the function's value at time 0 as ngspice
//! does. Checked against hand values, against ngspice running the same
//! netlist unchanged (when installed; CI installs it), and through
//! `xbarsim export`.

use crate::common::*;

/// Every form ngspice takes, each source into its own 1 kΩ load: the
/// node voltage is the source's DC value (n20: 1 mA into 1 kΩ).
const NGSPICE_FORMS: &str = "sources in every form
.param vo=0.25
V1 n1 0 DC 1.5 AC 1 SIN(0 1 1k)
V2 n2 0 SIN({vo} 1 1k)
V3 n3 0 PULSE(0.1 1 1u 1n 1n 5u 10u)
V4 n4 0 PWL(0 0.3 1m 1)
V5 n5 0 EXP(0.7 1 1u 1u 2u 1u)
V6 n6 0 0.9 AC 1 0
V8 n8 0 AC 1
V9 n9 0 sin (0.5 1 1k 0 0 0)
V10 n10 0 SIN(0.2 1 1k 0 0 30)
V11 n11 0 SFFM(0.4 1 1k 5 100)
V12 n12 0 AM(0.5 1 1k 10k 0)
V13 n13 0 PWL(-1 0 1 2)
V14 n14 0 pulse(0.1, 1, 0, 1u, 1n, 5u, 10u)
V15 n15 0 dc 0.6 pwl(0 2 1 3)
I1 0 n20 PULSE(1m 2m 0 1n 1n 1u 2u)
R1 n1 0 1k
R2 n2 0 1k
R3 n3 0 1k
R4 n4 0 1k
R5 n5 0 1k
R6 n6 0 1k
R8 n8 0 1k
R9 n9 0 1k
R10 n10 0 1k
R11 n11 0 1k
R12 n12 0 1k
R13 n13 0 1k
R14 n14 0 1k
R15 n15 0 1k
R20 n20 0 1k
.op
.end
";

/// The node voltages by hand: DC values, else values at time 0
/// (SIN: VO + VA·sin(PHASE); PWL(-1 0 1 2) at 0: 1; AM: 0).
const HAND: [(&str, f64); 15] = [
    ("v(n1)", 1.5),
    ("v(n2)", 0.25),
    ("v(n3)", 0.1),
    ("v(n4)", 0.3),
    ("v(n5)", 0.7),
    ("v(n6)", 0.9),
    ("v(n8)", 0.0),
    ("v(n9)", 0.5),
    ("v(n10)", 0.7),
    ("v(n11)", 0.4),
    ("v(n12)", 0.0),
    ("v(n13)", 1.0),
    ("v(n14)", 0.1),
    ("v(n15)", 0.6),
    ("v(n20)", 1.0),
];

#[test]
fn dc_values_and_time_zero_values_agree_with_hand_and_ngspice() {
    let got = op_map(NGSPICE_FORMS);
    for (q, want) in HAND {
        assert!(
            close(got[q], want, 1e-12, 1e-15),
            "{q}: {} vs {want}",
            got[q]
        );
    }
    if !have_ngspice() {
        eprintln!("ngspice not installed: source forms checked against hand values only");
        return;
    }
    let dir = tmpdir("xb-sources-ngspice");
    // (read_raw names every quantity v(...) or i(...).)
    let ng = ngspice_op(&dir, NGSPICE_FORMS);
    assert_agrees_with_ngspice(&got, &ng, 1e-3);
    assert!(ng.len() >= 29, "ngspice gave {} quantities", ng.len());
}

#[test]
fn hspice_forms_and_expressions() {
    let got = op_map(
        "hspice forms
.param a=0.3 f=1k
V1 n1 0 DC=1.2 AC=1
V2 n2 0 SIN({a} 1 {2*f})
I1 0 n3 DC=2m
V4 n4 0 PWL(0, {a*2}, 1m, 1)
R1 n1 0 1k
R2 n2 0 1k
R3 n3 0 1k
R4 n4 0 1k
.op
.end
",
    );
    for (q, want) in [
        ("v(n1)", 1.2),
        ("v(n2)", 0.3),
        ("v(n3)", 2.0),
        ("v(n4)", 0.6),
    ] {
        assert!(
            close(got[q], want, 1e-12, 1e-15),
            "{q}: {} vs {want}",
            got[q]
        );
    }
}

#[test]
fn the_specification_is_kept_and_the_time_zero_choice_warned() {
    let c = circuit(NGSPICE_FORMS);
    let v1 = c.vsources.iter().find(|s| s.name == "v1").unwrap();
    let w = v1.wave.as_ref().unwrap();
    assert_eq!(w.ac, Some((1.0, 0.0)));
    let (kind, args) = w.wave.as_ref().unwrap();
    assert_eq!(
        (kind.name(), args.as_slice()),
        ("SIN", &[0.0, 1.0, 1000.0][..])
    );
    let v2 = c.vsources.iter().find(|s| s.name == "v2").unwrap();
    assert_eq!(v2.wave.as_ref().unwrap().wave.as_ref().unwrap().1[0], 0.25);
    assert!(c
        .vsources
        .iter()
        .find(|s| s.name == "v6")
        .unwrap()
        .wave
        .as_ref()
        .unwrap()
        .wave
        .is_none());
    // Sources with a function and no DC value: one warning each, naming it.
    let warned: Vec<&str> = c
        .warnings
        .iter()
        .filter(|d| d.message.contains("has no DC value"))
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(warned.len(), 11, "{warned:?}");
    assert!(warned
        .iter()
        .any(|m| m.contains("'v10'") && m.contains("SIN's value at time 0, 0.7")));
}

#[test]
fn export_writes_the_specification_back() {
    let (text, dir) = exported("xb-sources-export", NGSPICE_FORMS);
    let line = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} in\n{text}"))
    };
    let v1 = line("v1");
    assert!(
        v1.contains(" DC 1.5") && v1.contains(" AC 1.0") && v1.contains(" SIN(0.0"),
        "{v1}"
    );
    assert!(line("v13").contains(" PWL(-1.0"), "{}", line("v13"));
    assert!(!line("v6").contains('('), "{}", line("v6"));
    // The export reads back to the same circuit.
    let back = op_map(&text);
    for (q, want) in HAND {
        assert!(close(back[q], want, 1e-12, 1e-15), "{q}");
    }
    if have_ngspice() {
        let ng = ngspice_op(&dir, &text);
        for (q, want) in HAND {
            assert!((ng[q] - want).abs() <= 1e-9, "{q}: ngspice {}", ng[q]);
        }
    }
}

#[test]
fn bad_specifications_are_located() {
    for (card, col, msg) in [
        ("V1 a 0 SIN(0)", 11, "SIN takes 2 to 6 arguments, got 1"),
        ("V1 a 0 PWL(0 1 2)", 11, "PWL takes time-value pairs, got 3"),
        (
            "V1 a 0 PULSE(0 1 2 3 4 5 6 7)",
            13,
            "PULSE takes 2 to 7 arguments, got 8",
        ),
        ("V1 a 0 DC", 10, "expected the DC value after 'DC'"),
        ("V1 a 0 AC", 10, "expected the AC magnitude after 'AC'"),
        ("V1 a 0 DC 1 DC 2", 13, "the DC value given twice"),
        ("V1 a 0 SIN", 8, "expected '(' and the arguments of SIN"),
        (
            "V1 a 0 SIN(0 1) PULSE(0 1)",
            17,
            "the time-domain function given twice",
        ),
        ("V1 a 0 SIN(0 r=1)", 14, "unexpected 'name=' in SIN(...)"),
        ("V1 a 0 1 2", 10, "unexpected field in a voltage source"),
        ("I1 a 0 DC=1 DC=2", 13, "the DC value given twice"),
    ] {
        let e = errors(&format!("t\n{card}\nR1 a 0 1k\n.op\n"));
        let loc = format!("inline.cir:2:{col}: error: {msg}");
        assert!(e.contains(&loc), "{card}: expected '{loc}' in\n{e}");
    }
}
