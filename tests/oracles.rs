//! Every plain-SPICE oracle netlist against the ngspice values stored beside it
//! (tests/oracles, copied from the project's shared oracles): linear circuits
//! within 1e-9 of the largest value of the same kind, nonlinear within 1e-6.
//! Runs through the `xbarsim run NETLIST -o DIR` contract.

use crate::common::*;

fn check(name: &str, tol: f64) {
    check_with(name, tol, None);
}

/// Run the oracle netlist, optionally with an extra `.options` card after the title.
fn check_with(name: &str, tol: f64, options: Option<&str>) {
    let dir = manifest().join("tests/oracles");
    let tag = options
        .map(|o| o.replace(['=', ' '], "_"))
        .unwrap_or_default();
    let out = tmpdir(&format!("oracle-{}{tag}", name.replace('.', "_")));
    let mut netlist = dir.join(format!("{name}.cir"));
    if let Some(o) = options {
        // Same netlist, one more card (these netlists reference no other files).
        let text = std::fs::read_to_string(&netlist).unwrap();
        let (title, rest) = text.split_once('\n').unwrap();
        netlist = out.join(format!("{name}.cir"));
        std::fs::write(&netlist, format!("{title}\n.options {o}\n{rest}")).unwrap();
    }
    let (code, _o, err) = run_bin(&[
        "run",
        "-q",
        netlist.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let got = read_qv(&out.join("op.csv"));
    let base = name.trim_end_matches(".ng");
    let want = read_qv(&dir.join(format!("{base}.oracle.csv")));
    for kind in ["v(", "i("] {
        let scale = want
            .iter()
            .filter(|(k, _)| k.starts_with(kind))
            .map(|(_, v)| v.abs())
            .fold(0.0, f64::max);
        for (k, w) in want.iter().filter(|(k, _)| k.starts_with(kind)) {
            let g = got
                .get(k)
                .unwrap_or_else(|| panic!("{name}: {k} missing from op.csv"));
            assert!(
                (g - w).abs() <= tol * scale,
                "{name}: {k} = {g}, ngspice {w} (scale {scale})"
            );
        }
    }
    // No extra quantities either: the same set of nodes and sources.
    assert_eq!(got.len(), want.len(), "{name}: quantity count");
}

#[test]
fn linear_random_20() {
    check("linear_random_20", 1e-9);
}
#[test]
fn crossbar_plain_linear_8() {
    check("crossbar_plain_linear_8", 1e-9);
}
#[test]
fn nonlinear_cubic_25() {
    check("nonlinear_cubic_25", 1e-6);
}
#[test]
fn nonlinear_sinh_25() {
    check("nonlinear_sinh_25", 1e-6);
}
/// The element-by-element (ngspice) forms of the crossbar-card oracles are plain
/// SPICE too, with ngspice's `.control` block, which xbarsim skips.
#[test]
fn crossbar_card_linear_6x6_elementwise() {
    check("crossbar_card_linear_6x6_vhalf.ng", 1e-9);
}
#[test]
fn crossbar_card_sinh_8x12_elementwise() {
    check("crossbar_card_sinh_8x12.ng", 1e-6);
}

/// The `.crossbar` card forms (g=file(...) relative to the netlist).
#[test]
fn crossbar_card_linear_6x6_vhalf() {
    check("crossbar_card_linear_6x6_vhalf", 1e-9);
}
#[test]
fn crossbar_card_sinh_8x12() {
    check("crossbar_card_sinh_8x12", 1e-6);
}

/// The iterative solver (CG with the strong-coupling preconditioner), forced on
/// every oracle, gives the same answers.
#[test]
fn all_oracles_with_iterative_solver() {
    for (name, tol) in [
        ("linear_random_20", 1e-9),
        ("crossbar_plain_linear_8", 1e-9),
        ("nonlinear_cubic_25", 1e-6),
        ("nonlinear_sinh_25", 1e-6),
        ("crossbar_card_linear_6x6_vhalf.ng", 1e-9),
        ("crossbar_card_sinh_8x12.ng", 1e-6),
    ] {
        check_with(name, tol, Some("solver=iterative"));
    }
}
