//! Voltage-controlled switches (`S`, `.model name SW (VT VH RON ROFF)`) in
//! DC, on netlists written for these tests: against ngspice (1e-9: the
//! circuit is linear once the switch states are known) and hand values.

use crate::common::*;

/// On, off, in the hysteresis band with and without `ON`, default ROFF
/// (1/gmin).
const SWITCHES: &str = "switches
.model sw1 SW(VT=0.5 VH=0.1 RON=10 ROFF=1meg)
.model sw2 SW(VT=1 RON=100)
V1 a 0 2
R1 a b 1k
S1 b 0 c 0 sw1
Vc c 0 0.7
S2 b 0 d 0 sw1 ON
Vd d 0 0.55
R2 a e 1k
S3 e 0 d 0 sw2
S4 e 0 d 0 sw1
.op
.end
";

#[test]
fn switches_agree_with_ngspice() {
    let got = op_map(SWITCHES);
    // S1 and S2 on (10 ohm each): b = 2·5/(1k + 5).
    assert!(close(got["v(b)"], 2.0 * 5.0 / 1005.0, 1e-12, 0.0));
    // S3 off at 1e12 (1/gmin) and S4 off at 1 Mohm.
    let roff = 1.0 / (1.0 / 1e12 + 1.0 / 1e6);
    assert!(close(got["v(e)"], 2.0 * roff / (1e3 + roff), 1e-12, 0.0));
    if have_ngspice() {
        let ng = ngspice_op(&tmpdir("xb-switch-ng"), SWITCHES);
        assert_agrees_with_ngspice(&got, &ng, 1e-9);
    }
}

/// A `.dc` sweep of the control voltage through the threshold (VH = 0):
/// off up to VT, on above it, at every point.
#[test]
fn switch_sweep_turns_on_above_vt() {
    let text = "switch sweep
.model sw SW(VT=0.5 RON=50 ROFF=10k)
V1 a 0 1
R1 a b 1k
S1 b 0 c 0 sw
Vc c 0 0
.dc Vc 0 1 0.05
.end
";
    let (names, rows) = dc_table("xb-switch-dc", text);
    let kb = names.iter().position(|h| h == "v(b)").unwrap();
    assert_eq!(rows.len(), 21);
    for f in &rows {
        let (vc, vb) = (f[0], f[kb]);
        let r = if vc > 0.5 { 50.0 } else { 1e4 };
        assert!(close(vb, r / (1e3 + r), 1e-12, 0.0), "vc={vc}: {vb}");
    }
}

#[test]
fn switch_errors_are_located() {
    let cases: &[(&str, &str)] = &[
        (
            "t\nV1 a 0 1\nS1 a 0 a 0 nosw\n",
            "inline.cir:3:12: error: unknown switch model 'nosw'",
        ),
        (
            "t\n.model s SW(RON=0)\nV1 a 0 1\nS1 a 0 a 0 s\n",
            "inline.cir:2:13: error: switch parameter ron=0: out of range",
        ),
        (
            "t\n.model s SW(VON=1)\nV1 a 0 1\nS1 a 0 a 0 s\n",
            "inline.cir:2:13: error: unknown switch parameter 'von'",
        ),
        (
            "t\n.model s SW\nV1 a 0 1\nS1 a 0 a 0 s MAYBE\n",
            "inline.cir:4:14: error:",
        ),
        ("t\n.model s SW\nV1 a 0 1\nS1 a 0 a\n", "inline.cir:4:"),
    ];
    assert_errors(cases);
}

/// A switch whose own current decides its state with no consistent state
/// (on pulls its control below VT, off lets it rise above): no DC solution
/// exists, and the run says so with a non-zero exit instead of a number.
#[test]
fn a_switch_with_no_consistent_state_is_a_clear_failure() {
    let text =
        "no solution\n.model sw SW(VT=1 RON=100)\nV1 a 0 2\nR3 a f 1k\nS5 f 0 f 0 sw\n.op\n.end\n";
    let dir = tmpdir("xb-switch-nosol");
    let net = dir.join("s.cir");
    std::fs::write(&net, text).unwrap();
    let (code, _, err) = run_to(&net, &dir.join("out"), &[]);
    assert_ne!(code, 0);
    assert!(
        err.contains("no convergence") && err.contains("'f'"),
        "{err}"
    );
}

/// `xbarsim export` writes a switch as a B-source with its state law;
/// ngspice on the export agrees with xbarsim.
#[test]
fn exported_switches_run_in_ngspice() {
    let (flat, dir) = exported("xb-switch-export", SWITCHES);
    // ngspice reads a card's kind from its first letter: s1 is written bs1.
    assert!(flat.contains("\nbs1 b 0 I="), "{flat}");
    if have_ngspice() {
        let got = op_map(SWITCHES);
        let ng = ngspice_op(&dir, &flat);
        assert_agrees_with_ngspice(&got, &ng, 1e-9);
    }
}
