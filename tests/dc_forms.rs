//! `.dc` as SPICE dialects write it (nested sweeps, resistor, temp and
//! `.param` sweeps, Xyce's lin/dec/oct/list, HSPICE's counts, poi and
//! START=) and ngspice's `.control` blocks. Each form is checked against
//! hand values; where ngspice runs the form, against ngspice too (1e-9 on
//! linear circuits, 1e-6 on nonlinear ones).

use crate::common::*;

const DIVIDER: &str = "dc forms
V1 a 0 1
I1 0 b 0
R1 a b 1k
R2 b 0 3k
";

#[test]
fn nested_sources_first_innermost() {
    let net = format!("{DIVIDER}.dc V1 0 1 0.25 I1 0 1m 0.5m\n.end\n");
    let t = dc_table("dcf-nested", &net);
    assert_eq!(&t.0[..2], ["v1", "i1"]);
    assert_eq!(t.1.len(), 15);
    // v(b) = (V1/R1 + I1) · (R1 ‖ R2), V1 fastest.
    for r in &t.1 {
        let (v1, i1) = (r[0], r[1]);
        let vb = (v1 / 1e3 + i1) * 750.0;
        assert_close(
            col(&t, "v(b)")[t.1.iter().position(|x| x == r).unwrap()],
            vb,
            1e-12,
            "v(b)",
        );
    }
    assert_eq!(col(&t, "v1")[..5], [0.0, 0.25, 0.5, 0.75, 1.0]);
    assert_eq!(col(&t, "i1")[4..6], [0.0, 0.5e-3]);
    if have_ngspice() {
        agree(&t, &ngspice_dc(&tmpdir("dcf-nested-ng"), &net), 1e-9, 1e-9);
    }
}

#[test]
fn nonlinear_nested_agrees_with_ngspice() {
    let net = "cubic
.options reltol=1e-9 vntol=1e-12 abstol=1e-15
V1 a 0 0
V2 c 0 0
R1 a b 1k
R2 b c 10k
B1 b c I=2e-3*V(b,c)^3
.dc V1 0 2 0.5 V2 0 1 0.5
.end
";
    let t = dc_table("dcf-cubic", net);
    assert_eq!(t.1.len(), 15);
    // Each point: (V1 - vb)/1k = (vb - V2)/10k + 2e-3·(vb - V2)³, by bisection.
    for r in &t.1 {
        let (v1, v2) = (r[0], r[1]);
        let vb = bisect(
            |x| (v1 - x) / 1e3 - (x - v2) / 1e4 - 2e-3 * (x - v2).powi(3),
            -3.0,
            3.0,
        );
        let k = t.1.iter().position(|x| x == r).unwrap();
        assert!((col(&t, "v(b)")[k] - vb).abs() < 1e-9, "v(b) at {v1}, {v2}");
    }
    if have_ngspice() {
        // ngspice-39 writes only the first outer value of this nested
        // nonlinear sweep (its linear twin gets all 15): those 5 points are
        // compared, the rest checked by bisection above.
        let ng = ngspice_dc(&tmpdir("dcf-cubic-ng"), net);
        assert!(ng.len() >= 5, "{} points from ngspice", ng.len());
        let first = (t.0.clone(), t.1[..ng.len()].to_vec());
        agree(&first, &ng, 1e-6, 1e-6);
    }
}

#[test]
fn temp_and_resistor_sweeps_agree_with_ngspice() {
    let base = "temp and R
V1 a 0 1
R1 a b 1k
R2 b 0 2k tc1=0.01 tc2=1e-5
";
    let t_net = format!("{base}.dc temp -20 80 25\n.end\n");
    let t = dc_table("dcf-temp", &t_net);
    assert_eq!(col(&t, "temp"), [-20.0, 5.0, 30.0, 55.0, 80.0]);
    for (k, tc) in col(&t, "temp").iter().enumerate() {
        let dt = tc - 27.0;
        let r2 = 2e3 * (1.0 + 0.01 * dt + 1e-5 * dt * dt);
        assert_close(col(&t, "v(b)")[k], r2 / (1e3 + r2), 1e-12, "v(b) vs temp");
    }
    let r_net = format!("{base}.dc R1 1k 3k 500 V1 0 1 0.5\n.end\n");
    let r = dc_table("dcf-res", &r_net);
    assert_eq!(&r.0[..2], ["r1", "v1"]);
    assert_eq!(r.1.len(), 15);
    let last = r.1.last().unwrap();
    assert_eq!(&last[..2], [3e3, 1.0]);
    assert_close(col(&r, "v(b)")[14], 2e3 / 5e3, 1e-12, "v(b) at R1 = 3k");
    if have_ngspice() {
        agree(&t, &ngspice_dc(&tmpdir("dcf-temp-ng"), &t_net), 1e-9, 1e-9);
        agree(&r, &ngspice_dc(&tmpdir("dcf-res-ng"), &r_net), 1e-9, 1e-9);
    }
}

#[test]
fn param_sweeps_elaborate_each_value() {
    let base = "param
.param rb=1k
V1 a 0 2
R1 a b 1k
R2 b 0 {rb}
";
    for (tag, card) in [
        ("dcf-param", ".dc rb 1k 4k 1k"),
        ("dcf-param-kw", ".dc param rb 1k 4k 1k"),
    ] {
        let t = dc_table(tag, &format!("{base}{card}\n.end\n"));
        assert_eq!(col(&t, "rb"), [1e3, 2e3, 3e3, 4e3]);
        for (k, rb) in col(&t, "rb").iter().enumerate() {
            assert_close(col(&t, "v(b)")[k], 2.0 * rb / (1e3 + rb), 1e-12, card);
        }
    }
    // A source inside a parameter sweep: both columns, the source fastest.
    let t = dc_table(
        "dcf-param-v",
        &format!("{base}.dc V1 0 2 1 rb list 1k 3k\n.end\n"),
    );
    assert_eq!(&t.0[..2], ["v1", "rb"]);
    assert_eq!(t.1.len(), 6);
    assert_close(
        col(&t, "v(b)")[5],
        2.0 * 0.75,
        1e-12,
        "v(b) at V1 = 2, rb = 3k",
    );
    assert!(errors(&format!("{base}.dc param r9 1 2 1\n")).contains("no .param named 'r9'"));
}

#[test]
fn xyce_and_hspice_forms() {
    let cases: [(&str, &[f64]); 8] = [
        (".dc lin V1 0 1 0.5", &[0.0, 0.5, 1.0]),
        (".dc V1 list 0.5 -1 2", &[0.5, -1.0, 2.0]),
        (
            ".dc dec V1 1 100 2",
            &[1.0, 10f64.sqrt(), 10.0, 1e3f64.sqrt(), 100.0],
        ),
        (".dc oct V1 1 8 1", &[1.0, 2.0, 4.0, 8.0]),
        (".dc V1 lin 5 0 1", &[0.0, 0.25, 0.5, 0.75, 1.0]),
        (".dc V1 dec 1 0.1 10", &[0.1, 1.0, 10.0]),
        (".dc V1 poi 3 1 {2*2} 3", &[1.0, 4.0, 3.0]),
        (".dc V1 start=1 stop=2 step=0.5", &[1.0, 1.5, 2.0]),
    ];
    for (k, (card, want)) in cases.iter().enumerate() {
        let t = dc_table(&format!("dcf-form{k}"), &format!("{DIVIDER}{card}\n.end\n"));
        let got = col(&t, "v1");
        assert_eq!(got.len(), want.len(), "{card}");
        for (g, w) in got.iter().zip(*want) {
            assert_close(*g, *w, 1e-14, card);
        }
        for (j, v1) in got.iter().enumerate() {
            assert_close(col(&t, "v(b)")[j], 0.75 * v1, 1e-12, card);
        }
    }
    // HSPICE's `sweep` before the second sweep; Xyce's list per sweep.
    let t = dc_table(
        "dcf-sweepkw",
        &format!("{DIVIDER}.dc V1 0 1 1 sweep I1 list 0 1m\n.end\n"),
    );
    assert_eq!(col(&t, "i1"), [0.0, 0.0, 1e-3, 1e-3]);
    assert_close(col(&t, "v(b)")[3], (1e-3 + 1e-3) * 750.0, 1e-12, "v(b)");
}

#[test]
fn step_edges_and_limits() {
    // The stop value is reached within rounding (0.1 + 0.1 + 0.1 > 0.3).
    let t = dc_table("dcf-round", &format!("{DIVIDER}.dc V1 0 0.3 0.1\n.end\n"));
    assert_eq!(t.1.len(), 4);
    assert_close(*col(&t, "v1").last().unwrap(), 0.3, 1e-15, "last point");
    let t = dc_table("dcf-down", &format!("{DIVIDER}.dc V1 1 0 -0.25\n.end\n"));
    assert_eq!(col(&t, "v1"), [1.0, 0.75, 0.5, 0.25, 0.0]);
    let t = dc_table("dcf-one", &format!("{DIVIDER}.dc V1 0.5 0.5 1\n.end\n"));
    assert_eq!(col(&t, "v1"), [0.5]);
    for (card, at, msg) in [
        (".dc V1 0 1 0", ":6:12:", "step 0 does not go"),
        (".dc V1 0 1 -0.5", ":6:12:", "step -0.5 does not go"),
        (".dc V1 0 1 1e-30", ":6:12:", "in at most 1e6 points"),
        (
            ".dc V1 0 1 1e-3 I1 0 1 1e-3",
            ":6:1:",
            "1002001 points in all",
        ),
        (".dc dec V1 0 1 2", ":6:12:", "needs start > 0"),
        (".dc V1 lin 2.5 0 1", ":6:12:", "whole number"),
        (".dc V1 list", ":6:8:", "expected the values"),
        (".dc V1 0 1 0.5 V1 0 1 1", ":6:16:", "'v1' is swept twice"),
        (".dc V1 start=0 stop=1", ":6:5:", "needs STEP="),
        (".dc R1 -1k 1k 1k", "", "must be > 0"),
    ] {
        let e = errors(&format!("{DIVIDER}{card}\n"));
        if at.is_empty() {
            // Checked when the point is reached: the run fails there.
            let dir = tmpdir("dcf-neg-r");
            std::fs::write(dir.join("n.cir"), format!("{DIVIDER}{card}\n")).unwrap();
            let (code, _, err) = run_to(&dir.join("n.cir"), &dir, &[]);
            assert_eq!(code, 1, "{err}");
            assert!(err.contains(msg) && err.contains("r1 = -1000"), "{err}");
            continue;
        }
        assert!(e.contains(at) && e.contains(msg), "{card}:\n{e}");
    }
}

#[test]
fn one_source_table_keeps_its_shape() {
    let t = dc_table("dcf-plain", &format!("{DIVIDER}.dc V1 0 1 0.5\n.end\n"));
    assert_eq!(t.0, ["v1", "v(a)", "v(b)", "i(v1)"]);
    assert_eq!(t.1.len(), 3);
}

const CONTROL: &str = "control block
.options reltol=1e-9 vntol=1e-12 abstol=1e-15
V1 a 0 1
R1 a b 1k
R2 b 0 3k
B1 b 0 I=1e-4*V(b)^3
.control
set filetype=ascii
set wr_vecnames
dc V1 0 2 0.5
wrdata both.txt v(a) b i(V1)
set wr_singlescale
set numdgt=5
wrdata single v(b)
echo done
let x = v(a) * 2
quit
.endc
.end
";

#[test]
fn control_wrdata_writes_as_ngspice() {
    let (dir, _) = run_netlist("dcf-control", CONTROL);
    let both = std::fs::read_to_string(dir.join("both.txt")).unwrap();
    let lines: Vec<&str> = both.lines().collect();
    assert_eq!(lines.len(), 6);
    assert_eq!(
        lines[0],
        " v-sweep         v(a)            v-sweep         b               v-sweep         i(V1)          "
    );
    // Pairs of (sweep, value): 6 columns, "% .8e " each.
    let row: Vec<f64> = lines[2]
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    assert_eq!(row.len(), 6);
    assert_eq!(&lines[2][..16], " 5.00000000e-01 ");
    let single = std::fs::read_to_string(dir.join("single")).unwrap();
    assert!(
        single.starts_with(" v-sweep      v(b)        \n 0.00000e+00  0.00000e+00 \n"),
        "{single}"
    );
    if have_ngspice() {
        let ng = tmpdir("dcf-control-ng");
        std::fs::write(ng.join("c.cir"), CONTROL).unwrap();
        let st = std::process::Command::new("ngspice")
            .args(["-b", "c.cir"])
            .current_dir(&ng)
            .output()
            .unwrap();
        assert!(st.status.success());
        for f in ["both.txt", "single"] {
            let theirs = std::fs::read_to_string(ng.join(f)).unwrap();
            let ours = std::fs::read_to_string(dir.join(f)).unwrap();
            // The same layout, and the numbers to 1e-6 (nonlinear).
            assert_eq!(theirs.lines().next(), ours.lines().next(), "{f} header");
            for (a, b) in theirs.lines().skip(1).zip(ours.lines().skip(1)) {
                assert_eq!(a.len(), b.len(), "{f}: {a} | {b}");
                for (x, y) in a.split_whitespace().zip(b.split_whitespace()) {
                    let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
                    assert!((x - y).abs() <= 1e-6 * x.abs().max(1e-6), "{f}: {x} vs {y}");
                }
            }
        }
    }
}

#[test]
fn control_commands_warn_and_print_selects() {
    let dir = tmpdir("dcf-warn");
    let net = "warn
V1 a 0 1
R1 a b 1k
R2 b 0 1k
.control
op
print v(b)
plot v(b)
set color0=white
alter R1 2k
run
.endc
.end
";
    std::fs::write(dir.join("n.cir"), net).unwrap();
    let (code, _, err) = run_to(&dir.join("n.cir"), &dir, &[]);
    assert_eq!(code, 0, "{err}");
    for w in [
        ":8:1: warning: control command 'plot'",
        ":9:5: warning: 'set color0' changes nothing",
        ":10:1: warning: control command 'alter'",
    ] {
        assert!(err.contains(w), "{w} in\n{err}");
    }
    let op = read_qv(&dir.join("op.csv"));
    assert_eq!(op.len(), 1, "print selects v(b) only: {op:?}");
    assert_close(op["v(b)"], 0.5, 1e-12, "v(b)");
    // wrdata of a quantity nobody computes is a located error.
    let e = errors("t\nV1 a 0 1\nR1 a 0 1k\n.control\nop\nwrdata f.txt v(zz)\n.endc\n");
    assert!(e.contains(":6:14: error: wrdata: 'v(zz)'"), "{e}");
    let e = errors("t\nV1 a 0 1\nR1 a 0 1k\n.control\nwrdata ../f.txt v(a)\n.endc\n");
    assert!(e.contains("wrdata cannot write '../f.txt'"), "{e}");
}

/// A zero result has no sign in the CSVs: the current of a 0 V source
/// across a resistor is −(0.0) in arithmetic, 0.0 in op.csv and dc.csv.
#[test]
fn zeros_are_written_without_a_sign() {
    let net = "t\nV1 a 0 0\nR1 a 0 1k\nB1 0 c I={-V(a)}\nR3 c 0 1\n.op\n.dc V1 -1 1 1\n.end\n";
    let (dir, _) = run_netlist("xb-signed-zero", net);
    let op = std::fs::read_to_string(dir.join("op.csv")).unwrap();
    assert!(op.contains("\ni(v1),0.0\n"), "{op}");
    let dc = std::fs::read_to_string(dir.join("dc.csv")).unwrap();
    assert!(dc.contains("\n0.0,0.0,0.0,0.0\n"), "{dc}");
    assert!(!op.contains("-0.0") && !dc.contains("-0.0,"), "{op}{dc}");
}
