//! `.include` and `.param` edge cases.

use crate::common::*;

#[test]
fn include_relative_to_including_file() {
    let d = tmpdir("include");
    std::fs::create_dir_all(d.join("lib/models")).unwrap();
    std::fs::write(
        d.join("lib/models/dev.lib"),
        "* a model file (no title line)\n.model dev memristor (level=sinh beta=2)\n",
    )
    .unwrap();
    std::fs::write(
        d.join("lib/parts.cir"),
        ".include \"models/dev.lib\"\n.param rs=1k\n",
    )
    .unwrap();
    std::fs::write(
        d.join("top.cir"),
        "top\n.options reltol=1e-12 abstol=1e-18 vntol=1e-15\n.include lib/parts.cir\nV1 a 0 0.5\nR1 a b {rs}\nYMEMRISTOR m1 b 0 dev g=1e-4\n.op\n",
    )
    .unwrap();
    let out = d.join("o");
    let (code, _, err) = run_bin(&[
        "run",
        "-q",
        d.join("top.cir").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let m = read_qv(&out.join("op.csv"));
    let vb = m["v(b)"];
    // KCL at b: (0.5 − vb)/1k = (1e-4/2)·sinh(2 vb)
    assert!(((0.5 - vb) / 1e3 - 0.5e-4 * (2.0 * vb).sinh()).abs() < 1e-14);
}

#[test]
fn errors_inside_included_file_name_that_file() {
    let d = tmpdir("include-err");
    std::fs::write(d.join("inc.cir"), "R1 a 0 1k\nR2 a 0 {nope}\n").unwrap();
    std::fs::write(d.join("top.cir"), "top\nV1 a 0 1\n.include inc.cir\n.op\n").unwrap();
    let (code, _, err) = run_bin(&[
        "run",
        d.join("top.cir").to_str().unwrap(),
        "-o",
        d.join("o").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("inc.cir:2:9: error: undefined parameter 'nope'"),
        "{err}"
    );
}

#[test]
fn include_cycle_is_an_error() {
    let d = tmpdir("include-cycle");
    std::fs::write(d.join("a.cir"), "R1 x 0 1\n.include b.cir\n").unwrap();
    std::fs::write(d.join("b.cir"), "R2 x 0 1\n.include a.cir\n").unwrap();
    std::fs::write(d.join("top.cir"), "top\nV1 x 0 1\n.include a.cir\n.op\n").unwrap();
    let (code, _, err) = run_bin(&[
        "run",
        d.join("top.cir").to_str().unwrap(),
        "-o",
        d.join("o").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("b.cir:2:10: error: include cycle"), "{err}");
    let (code, _, err) = run_bin(&["check", d.join("nothere.cir").to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn params_any_order_functions_and_suffixes() {
    let m = op_map(
        "p\n.param r2={2*r1} vin=1.5\n.param r1 = 1k\n.param x=max(1, pow(2,3)) y={-2^2} z=sqrt(16)*exp(0)+abs(-1)\n\
         V1 a 0 {vin}\nR1 a b {r1}\nR2 b 0 {r2}\nV2 c 0 {x+y+z}\nR3 c 0 10kohm\nV3 d 0 2.5V\nR4 d 0 1meg\n.op\n",
    );
    assert_close(m["v(b)"], 1.0, 1e-12, "v(b)");
    assert_close(m["v(c)"], 8.0 - 4.0 + 5.0, 1e-12, "v(c)");
    assert_close(m["v(d)"], 2.5, 1e-12, "v(d)");
    assert_close(m["i(v3)"], -2.5e-6, 1e-12, "1meg");
}

#[test]
fn param_cycle_and_undefined() {
    let e = errors("t\n.param a={b+1} b={c} c={a}\nV1 n 0 {a}\nR1 n 0 1\n");
    assert!(
        e.contains("inline.cir:2:") && e.contains("defined in terms of itself"),
        "{e}"
    );
    let e = errors("t\n.param a={zz}\nV1 n 0 {a}\nR1 n 0 1\n");
    assert!(
        e.contains("inline.cir:2:11: error: undefined parameter 'zz'"),
        "{e}"
    );
}

#[test]
fn case_comments_continuations_gnd() {
    let m = op_map("title: v1 r1 are case-insensitive\n* comment\nv1 IN gnd dc 2 ; inline comment\nR1 in\n+ MID\n* comment inside a continued card\n+ 1K $ dollar comment\nr2 mid 0 1k\n.OP\n.end\nR3 this is ignored\n");
    assert_close(m["v(mid)"], 1.0, 1e-12, "v(mid)");
    assert!(m.contains_key("v(in)") && !m.contains_key("v(gnd)"));
}

#[test]
fn options_are_read_and_foreign_ones_ignored() {
    let c = circuit("t\n.options reltol=1e-8 abstol=1e-15 vntol=1e-12 gmin=1e-14 itl1=40 klu method=gear\nV1 a 0 1\nR1 a 0 1\n.op\n");
    assert_eq!(c.options.reltol, 1e-8);
    assert_eq!(c.options.abstol, 1e-15);
    assert_eq!(c.options.vntol, 1e-12);
    assert_eq!(c.options.gmin, 1e-14);
    assert_eq!(c.options.itl1, 40);
    let e = errors("t\n.options reltol=2\nV1 a 0 1\nR1 a 0 1\n");
    assert!(e.contains("inline.cir:2:17: error: option reltol=2"), "{e}");
}
