//! Every input error: a compiler-style message at the right line:column, and
//! exit code 2 from the binary, never a panic.

use crate::common::*;

/// Assert the rendered errors contain `path:line:col: error: <msg...>`.
#[track_caller]
fn expect(text: &str, line: usize, col: usize, msg: &str) {
    let e = errors(text);
    let loc = format!("inline.cir:{line}:{col}: error: ");
    let found = e.lines().any(|l| l.contains(&loc) && l.contains(msg));
    assert!(found, "expected '{loc}{msg}' in:\n{e}");
    // With a source line and a caret.
    assert!(e.contains(" | ") && e.contains('^'), "{e}");
}

#[test]
fn unknown_element_letter() {
    expect("t\nR1 a 0 1k\n  Q1 a b c\n", 3, 3, "unknown element 'Q1'");
}
#[test]
fn missing_nodes() {
    expect("t\nR1 a\n", 2, 5, "expected a second node name");
    expect("t\nV1\n", 2, 3, "expected a node name");
    expect("t\nR1 a b\n", 2, 7, "expected a resistance");
}
#[test]
fn bad_numbers() {
    expect("t\nR1 a 0 1k2\n", 2, 10, "unexpected '2'");
    expect(
        "t\nV1 a 0 DC abc\nR1 a 0 1\n",
        2,
        11,
        "undefined parameter 'abc'",
    );
    expect("t\nR1 a 0 {1+}\n", 2, 11, "expected a value");
}
#[test]
fn unknown_model() {
    expect(
        "t\nV1 a 0 1\nYMEMRISTOR m1 a 0 nomod g=1u\n",
        3,
        19,
        "unknown model 'nomod'",
    );
}
#[test]
fn unknown_model_level_and_param() {
    expect(
        "t\n.model d memristor (level=quantum)\n",
        2,
        27,
        "unknown memristor level 'quantum'",
    );
    expect(
        "t\n.model d memristor (level=sinh betta=2)\n",
        2,
        32,
        "unknown parameter 'betta'",
    );
}
#[test]
fn duplicate_names() {
    let text = "t\nR1 a 0 1k\nr1 a 0 2k\n";
    expect(text, 3, 1, "duplicate element name 'r1'");
    assert!(errors(text).contains("inline.cir:2:1: note: first defined here"));
}
#[test]
fn zero_and_negative_resistance() {
    expect(
        "t\nV1 a 0 1\nR1 a 0 0\n",
        3,
        8,
        "resistance must be positive",
    );
    expect(
        "t\nV1 a 0 1\nR1 a 0 -5\n",
        3,
        8,
        "resistance must be positive",
    );
}
#[test]
fn voltage_source_loop() {
    expect(
        "t\nV1 a 0 1\nV2 a b 1\nV3 b 0 1\nR1 a 0 1\n",
        4,
        1,
        "'v3' closes a loop of voltage sources",
    );
    expect(
        "t\nV1 a a 1\nR1 a 0 1\n",
        2,
        1,
        "both terminals on node 'a'",
    );
}
#[test]
fn node_without_dc_path_is_named() {
    expect(
        "t\nV1 a 0 1\nR1 a 0 1k\nR2 c d 1k\n",
        4,
        4,
        "node 'c' has no DC path to ground",
    );
    // A node reached only by a current source.
    expect(
        "t\nI1 0 x 1m\nR1 y 0 1\n",
        2,
        6,
        "node 'x' has no DC path to ground",
    );
}
#[test]
fn unknown_function_and_directive() {
    expect(
        "t\nV1 a 0 1\nB1 a 0 I=foo(V(a))\n",
        3,
        10,
        "unknown function 'foo'",
    );
    expect(
        "t\n.frobnicate x=1\n",
        2,
        1,
        "unknown directive '.frobnicate'",
    );
    expect(
        "t\n.func f(x\nV1 a 0 1\n",
        2,
        10,
        "expected an argument name or ')'",
    );
    expect("t\n.func f(x) {x+}\n", 2, 15, "expected a value, found '}'");
}
#[test]
fn sources_other_than_dc() {
    expect(
        "t\nV1 a 0 SIN(0)\nR1 a 0 1\n",
        2,
        11,
        "SIN takes 2 to 6 arguments, got 1",
    );
}
#[test]
fn bsource_syntax() {
    expect("t\nB1 a 0 V=\n", 2, 10, "expected the voltage expression");
    expect("t\nB1 a 0 X=1\n", 2, 8, "expected 'I=' or 'V='");
    expect("t\nB1 a 0 I=\n", 2, 10, "expected the current expression");
    expect("t\nB1 a 0 I=(1+V(a)\n", 2, 17, "expected ')'");
}
#[test]
fn dc_of_unknown_source_and_bad_step() {
    expect(
        "t\nV1 a 0 1\nR1 a 0 1\n.dc V9 0 1 0.1\n",
        4,
        5,
        "no independent source named 'v9'",
    );
    expect(
        "t\nV1 a 0 1\nR1 a 0 1\n.dc V1 0 1 -0.1\n",
        4,
        12,
        "step -0.1 does not go from 0 to 1",
    );
}

#[test]
fn binary_exit_codes_and_stderr() {
    let dir = tmpdir("exitcodes");
    let bad = dir.join("bad.cir");
    std::fs::write(&bad, "t\nV1 a 0 1\nR1 a 0 -1\n.op\n").unwrap();
    let (code, _, err) = run_bin(&[
        "run",
        bad.to_str().unwrap(),
        "-o",
        dir.join("o").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("bad.cir:3:8: error: resistance must be positive"),
        "{err}"
    );
    assert!(!dir.join("o/op.csv").exists());
    // Missing file and bad usage: 2 as well.
    let (code, _, err) = run_bin(&[
        "run",
        dir.join("nope.cir").to_str().unwrap(),
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = run_bin(&["run"]);
    assert_eq!(code, 2);
    let (code, _, _) = run_bin(&["frobnicate"]);
    assert_eq!(code, 2);
}

/// KCL at `a`: a/1k + 1e-3 + 1e-3·a² = 0 has no real root: Newton, gmin and
/// source stepping all fail; exit 1 naming the node.
#[test]
fn no_solution_reports_worst_node() {
    let dir = tmpdir("noconv");
    let net = dir.join("noconv.cir");
    std::fs::write(&net, "t\nR1 a 0 1k\nB1 a 0 I=1e-3 + 1e-3*V(a)*V(a)\n.op\n").unwrap();
    let (code, _, err) = run_bin(&[
        "run",
        "-q",
        net.to_str().unwrap(),
        "-o",
        dir.join("o").to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("no convergence") && err.contains("worst node 'a'"),
        "{err}"
    );
}

/// A batch keeps going past a failing netlist and still writes the others.
#[test]
fn batch_continues_after_failure() {
    let dir = tmpdir("batch");
    let good = dir.join("good.cir");
    let bad = dir.join("bad.cir");
    std::fs::write(&good, "t\nV1 a 0 1\nR1 a 0 1k\n.op\n").unwrap();
    std::fs::write(&bad, "t\nV1 a 0 1\nQ1 a 0 1k\n.op\n").unwrap();
    let out = dir.join("o");
    let (code, _, err) = run_bin(&[
        "run",
        "-q",
        bad.to_str().unwrap(),
        good.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(out.join("good/op.csv").exists());
    assert!(!out.join("bad/op.csv").exists());
}

/// `--jobs 3` runs the same netlists to the same files and the same table
/// (in the order given) as one at a time; a failing netlist among them
/// stops nothing.
#[test]
fn parallel_batch_equals_sequential() {
    let dir = tmpdir("batch-jobs");
    let mut nets = Vec::new();
    for (k, r) in ["1k", "2k", "bad", "4k", "5k"].iter().enumerate() {
        let p = dir.join(format!("n{k}.cir"));
        let body = if *r == "bad" {
            "t\nV1 a 0 1\nQ1 a 0 1k\n.op\n".to_string()
        } else {
            format!("t\n.param r={r}\nV1 a 0 1\nR1 a b {{r}}\nR2 b 0 3k\n.dc V1 0 1 0.25\n.op\n")
        };
        std::fs::write(&p, body).unwrap();
        nets.push(p.to_str().unwrap().to_string());
    }
    let run = |jobs: &str, out: &str| {
        let out = dir.join(out);
        let mut args = vec!["run", "-q", "--jobs", jobs, "--threads", "1"];
        args.extend(nets.iter().map(String::as_str));
        args.extend(["-o", out.to_str().unwrap()]);
        let (code, _, err) = run_bin(&args);
        assert_eq!(code, 2, "{err}");
        out
    };
    let (seq, par) = (run("1", "seq"), run("3", "par"));
    // batch.csv: the same rows in the same order, times and folders aside.
    let rows = |out: &std::path::Path| -> Vec<String> {
        let text = std::fs::read_to_string(out.join("batch.csv")).unwrap();
        text.lines()
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                format!("{},{},{}", f[0], f[2], f[3])
            })
            .collect()
    };
    assert_eq!(rows(&seq), rows(&par));
    assert_eq!(rows(&par).len(), 6);
    assert!(rows(&par)[3].ends_with("input error,2"), "{:?}", rows(&par));
    for k in [0, 1, 3, 4] {
        for f in ["op.csv", "dc.csv"] {
            let a = std::fs::read(seq.join(format!("n{k}/{f}"))).unwrap();
            let b = std::fs::read(par.join(format!("n{k}/{f}"))).unwrap();
            assert_eq!(a, b, "n{k}/{f}");
        }
    }
    assert!(!par.join("n2/op.csv").exists());
}

#[test]
fn bad_solver_option() {
    expect(
        "t\n.options solver=magic\nV1 a 0 1\nR1 a 0 1\n",
        2,
        17,
        "solver must be auto, direct or iterative",
    );
}
