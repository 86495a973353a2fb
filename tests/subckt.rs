//! Subcircuits (`.subckt`/`X`), library sections (`.lib FILE SECTION`) and
//! user functions (`.func`), on netlists written for these tests: each runs
//! unchanged in xbarsim and in ngspice and the two agree, under ngspice's
//! hierarchical names (`v(x1.n2)`, `i(v.x1.vs)`).

use crate::common::*;

/// Two levels of nesting, parameters by `params:` and bare, overrides and
/// defaults that use earlier parameters, a body `.param`, a definition
/// after its use, a B-source reading local nodes, ground inside a body.
const HIER: &str = "subcircuits, nested, with parameters
.param rglob=3k
V1 in 0 2
X1 in mid cell r=2k
X2 mid 0 cell
Xtop in 0 pair
.subckt cell a b params: r=1k k={r/1k}
.param rl={2*r}
R1 a m {r}
Vs m n 0
X9 n b leaf rr={rl} g={k*1e-4}
Rg m 0 {rglob*k}
.ends cell
.subckt leaf p q rr=5 g=1e-4
R1 p q {rr}
B1 p q I={g*V(p,q)*V(p,q)}
.ends
.subckt pair top bot
Xa top c cell r=500
Xb c bot cell r={1.5k}
.ends pair
.op
.end
";

#[test]
fn nested_subcircuits_agree_with_ngspice_under_its_names() {
    let got = op_map(HIER);
    for q in [
        "v(x1.m)",
        "v(x1.n)",
        "i(v.x1.vs)",
        "v(xtop.c)",
        "v(xtop.xa.m)",
        "i(v.xtop.xb.vs)",
    ] {
        assert!(got.contains_key(q), "{q} missing: {:?}", got.keys());
    }
    // x2 (defaults r=1k, k=1): R1 then leaf rr=2k ‖ B-source, shunted by 3k.
    // Ground inside a body stays ground: x2's Rg goes to node 0.
    let vm = got["v(x2.m)"];
    let vmid = got["v(mid)"];
    let i_r1 = (vmid - vm) / 1e3;
    let i_leaf = vm / 2e3 + 1e-4 * vm * vm;
    let i_rg = vm / 3e3;
    assert!(close(i_r1, i_leaf + i_rg, 1e-9, 1e-15), "KCL at x2.m");
    assert!(close(got["i(v.x2.vs)"], i_leaf, 1e-9, 1e-15));
    if !have_ngspice() {
        eprintln!("ngspice not installed: subcircuits checked by hand only");
        return;
    }
    let ng = ngspice_op(&tmpdir("xb-subckt-hier"), HIER);
    assert_agrees_with_ngspice(&got, &ng, 1e-6);
    assert_eq!(ng.len(), got.len(), "{ng:?}\n{got:?}");
}

const CELLS_LIB: &str = "* two corners of one cell
.lib fast
.subckt cell a b
R1 a b 1k
.ends
.endl fast
.lib slow
.subckt cell a b
R1 a b 4k
Rx a b {rs}
.ends
.param rs=4k
.endl
";

const DIVIDER: &str = "* a divider subcircuit
.subckt div top out bot r=1k
Ra top out {r}
Rb out bot {r}
.ends
";

#[test]
fn subcircuits_from_include_and_library_sections() {
    let dir = tmpdir("xb-subckt-lib");
    std::fs::write(dir.join("cells.lib"), CELLS_LIB).unwrap();
    std::fs::write(dir.join("div.inc"), DIVIDER).unwrap();
    let net = "library sections and includes
V1 in 0 1
X1 in out cell
Xd out half 0 div r=10k
.lib \"cells.lib\" slow
.include div.inc
.op
.end
";
    std::fs::write(dir.join("net.cir"), net).unwrap();
    let (code, _, err) = run_to(&dir.join("net.cir"), &dir.join("out"), &[]);
    assert_eq!(code, 0, "{err}");
    let got = read_qv(&dir.join("out/op.csv"));
    // slow corner: 4k ‖ 4k = 2k in series with 20k.
    assert!(close(got["v(out)"], 20.0 / 22.0, 1e-12, 0.0), "{got:?}");
    assert!(close(got["v(half)"], 10.0 / 22.0, 1e-12, 0.0));
    // The other section is not read: `fast` would have given 20/21.
    if have_ngspice() {
        let ng = ngspice_op(&dir, net);
        assert_agrees_with_ngspice(&got, &ng, 1e-6);
    }
    // A section the file does not have is a located error.
    let bad = net.replace("slow", "typical");
    std::fs::write(dir.join("bad.cir"), bad).unwrap();
    let (code, _, err) = run_to(&dir.join("bad.cir"), &dir.join("out2"), &[]);
    assert_ne!(code, 0);
    assert!(
        err.contains("bad.cir:5:6: error:") && err.contains("has no library section 'typical'"),
        "{err}"
    );
}

const FUNCS: &str = "user functions
.func par(a, b) = a*b/(a+b)
.func sq(x) {x*x}
.func law(v, g) = g*v + 1e-5*sq(v)*v
.param r2={par(2k, 2k)}
V1 in 0 1.5
R1 in a {par(3k, 6k)}
R2 a 0 {r2}
B1 a 0 I={law(V(a), 1e-4)}
.op
.end
";

#[test]
fn user_functions_expand_in_values_and_laws() {
    let got = op_map(FUNCS);
    // R1 = 2k, R2 = 1k; KCL at a: (1.5-v)/2k = v/1k + 1e-4 v + 1e-5 v^3.
    let v = got["v(a)"];
    let kcl = (1.5 - v) / 2e3 - v / 1e3 - 1e-4 * v - 1e-5 * v * v * v;
    assert!(kcl.abs() < 1e-12, "KCL {kcl}");
    if have_ngspice() {
        let ng = ngspice_op(&tmpdir("xb-subckt-func"), FUNCS);
        assert_agrees_with_ngspice(&got, &ng, 1e-6);
    }
}

#[test]
fn subcircuit_and_function_errors_are_located() {
    assert_errors(&[
        (
            "t\nV1 a 0 1\nX1 a 0 nope\n.op\n",
            "inline.cir:3:8: error: unknown subcircuit 'nope'",
        ),
        (
            "t\nV1 a 0 1\nX1 a 0 0 c\n.subckt c p q\nR1 p q 1\n.ends\n.op\n",
            "inline.cir:3:1: error: 'x1' connects 3 node(s), but subcircuit 'c' has 2 port(s)",
        ),
        (
            "t\nV1 a 0 1\nX1 a 0 c\n.subckt c p q\nX2 p q c\n.ends\n.op\n",
            "inline.cir:5:8: error: subcircuit 'c' contains itself (c -> c)",
        ),
        (
            "t\nV1 a 0 1\nR1 a 0 1\n.subckt c p q\nR1 p q 1\n.op\n",
            "inline.cir:4:9: error: subcircuit 'c' has no .ends",
        ),
        (
            "t\nV1 a 0 1\nX1 a 0 c w=2\n.subckt c p q r=1\nR1 p q {r}\n.ends\n.op\n",
            "inline.cir:3:10: error: subcircuit 'c' has no parameter 'w'",
        ),
        (
            "t\nV1 a 0 1\nR1 a 0 {f(2)}\n.op\n",
            "inline.cir:3:9: error: unknown function 'f'",
        ),
        (
            "t\n.func f(x) = 2*x\nV1 a 0 1\nR1 a 0 {f(2, 3)}\n.op\n",
            "inline.cir:4:9: error: f() takes 1 argument(s), got 2",
        ),
        (
            "t\n.func f(x) = f(x)\nV1 a 0 1\nR1 a 0 {f(2)}\n.op\n",
            "functions call each other more than 64 deep",
        ),
        (
            "t\nV1 a 0 1\nR1 a 0 1\n.ends\n.op\n",
            "inline.cir:4:1: error: .ends without a .subckt",
        ),
    ]);
    // An error inside a body names the instance it came from.
    let e = errors("t\nV1 a 0 1\nX1 a 0 c r=-1\n.subckt c p q r=1\nR1 p q {r}\n.ends\n.op\n");
    assert!(
        e.contains("inline.cir:5:8: error: resistance must be positive")
            && e.contains("in 'x1', an instance of 'c'"),
        "{e}"
    );
}

/// A 16×16 crossbar built from one subcircuit per cell (row and column
/// line segments and the memristor) solves to the `.crossbar` card's
/// numbers: every crosspoint's two node voltages and every device current.
#[test]
fn subcircuit_per_cell_crossbar_equals_the_crossbar_card() {
    let n = 16;
    let g = |i: usize, j: usize| 1e-5 * (1.0 + ((i * 7 + j * 3) % 11) as f64);
    let model = ".model mm memristor (level=sinh beta=2.6)\n\
                 .options reltol=1e-12 vntol=1e-15 abstol=1e-18\n";
    let drive = |w: &dyn Fn(usize) -> String, s: &dyn Fn(usize) -> String| {
        let mut t = String::new();
        for i in 0..n {
            t += &format!("Vr{i} {} 0 {}\n", w(i), 0.3 + 0.02 * i as f64);
        }
        for j in 0..n {
            t += &format!("Vc{j} {} 0 0\n", s(j));
        }
        t
    };
    let gcsv = tmpdir("xb-subckt-xbar").join("g.csv");
    write_g_csv(&gcsv, n, n, g);
    let mut card = format!(
        "card\n{model}.crossbar xb rows={n} cols={n} model=mm rrow=2.5 rcol=2.5 g=file(\"{}\")\n",
        gcsv.display()
    );
    card += &drive(&|i| format!("xb.w{i}"), &|j| format!("xb.s{j}"));
    card += ".op\n.end\n";
    let mut cells = format!(
        "cells\n{model}.subckt cell left top up bot params: g=1e-5 rr=1 rc=1\n\
         Rr left top {{rr}}\nRc up bot {{rc}}\nYMEMRISTOR m top bot mm g={{g}}\n.ends\n"
    );
    for i in 0..n {
        for j in 0..n {
            let left = if j == 0 {
                format!("w{i}")
            } else {
                format!("t{i}_{}", j - 1)
            };
            let up = if i == 0 {
                format!("n{j}")
            } else {
                format!("b{}_{j}", i - 1)
            };
            cells += &format!(
                "X{i}_{j} {left} t{i}_{j} {up} b{i}_{j} cell g={:e} rr=2.5 rc=2.5\n",
                g(i, j)
            );
        }
        cells += &format!("Re{i} t{i}_{} e{i} 2.5\n", n - 1);
    }
    for j in 0..n {
        cells += &format!("Rs{j} b{}_{j} s{j} 2.5\n", n - 1);
    }
    cells += &drive(&|i| format!("w{i}"), &|j| format!("s{j}"));
    cells += ".op\n.end\n";
    let a = op_map(&card);
    let b = op_map(&cells);
    let mut worst: f64 = 0.0;
    for i in 0..n {
        for j in 0..n {
            for (x, y) in [
                (format!("v(xb.t{i}.{j})"), format!("v(t{i}_{j})")),
                (format!("v(xb.b{i}.{j})"), format!("v(b{i}_{j})")),
            ] {
                let (u, v) = (a[&x], b[&y]);
                worst = worst.max((u - v).abs() / u.abs().max(1e-3));
            }
        }
    }
    assert!(worst <= 1e-12, "worst relative difference {worst:e}");
    assert_eq!(
        b.keys().filter(|k| k.starts_with("v(x")).count(),
        0,
        "cell nodes are all ports"
    );
}

/// A `.crossbar` card inside a subcircuit: each instance has its own
/// array (`x1.xb`, nodes `x1.xb.t0.0`), solved as the same card at the top.
#[test]
fn crossbar_card_inside_a_subcircuit() {
    let model = ".model mm memristor (level=linear)\n";
    let sub = format!(
        "xbar in a subckt\n{model}.subckt arr in1 in2 out1 out2 params: gg=1e-4\n\
         .crossbar xb rows=2 cols=2 model=mm rrow=1 rcol=1 g={{gg}}\n\
         R1 in1 xb.w0 1\nR2 in2 xb.w1 1\nR3 xb.s0 out1 1\nR4 xb.s1 out2 1\n.ends\n\
         V1 a 0 0.2\nV2 b 0 0.1\nX1 a b o1 o2 arr gg=2e-4\nX2 a b p1 p2 arr\n\
         Ro1 o1 0 10\nRo2 o2 0 10\nRp1 p1 0 10\nRp2 p2 0 10\n.op\n.end\n"
    );
    let got = op_map(&sub);
    for (inst, gg) in [("x1", 2e-4), ("x2", 1e-4)] {
        let top = format!(
            "top\n{model}.crossbar xb rows=2 cols=2 model=mm rrow=1 rcol=1 g={gg}\n\
             R1 a xb.w0 1\nR2 b xb.w1 1\nR3 xb.s0 o1 1\nR4 xb.s1 o2 1\n\
             V1 a 0 0.2\nV2 b 0 0.1\nRo1 o1 0 10\nRo2 o2 0 10\n.op\n.end\n"
        );
        let want = op_map(&top);
        for i in 0..2 {
            for j in 0..2 {
                let w = want[&format!("v(xb.t{i}.{j})")];
                let g = got[&format!("v({inst}.xb.t{i}.{j})")];
                assert!(close(g, w, 1e-12, 1e-18), "{inst} t{i}.{j}: {g} vs {w}");
            }
        }
    }
}

/// `xbarsim export` writes the instances flattened under ngspice's names
/// (`x1.m`, `v.x1.vs`); ngspice on the export gives what ngspice gives on
/// the hierarchical netlist and what xbarsim gives.
#[test]
fn export_flattens_instances_under_ngspice_names() {
    let (flat, dir) = exported("xb-subckt-export", HIER);
    assert!(!flat.to_ascii_lowercase().contains(".subckt"), "{flat}");
    assert!(flat.contains("v.x1.vs x1.m x1.n"), "{flat}");
    if !have_ngspice() {
        return;
    }
    let got = op_map(HIER);
    let ng_flat = ngspice_op(&dir, &flat);
    let ng_hier = ngspice_op(&tmpdir("xb-subckt-export-h"), HIER);
    for (q, v) in &ng_hier {
        let w = ng_flat
            .get(q)
            .unwrap_or_else(|| panic!("{q} missing from ngspice's run of the export"));
        assert!((v - w).abs() <= 1e-9 * v.abs().max(1e-6), "{q}: {v} vs {w}");
    }
    assert_agrees_with_ngspice(&got, &ng_flat, 1e-6);
}

/// `.global` nodes keep their names inside every instance: two cells that
/// each tie to `vdd` share the top level's supply (without `.global` each
/// would have its own floating `x1.vdd`). Against ngspice and by hand.
#[test]
fn global_nodes_are_shared_by_instances() {
    let net = "global nodes
.global vdd
Vdd vdd 0 1.2
.subckt cell a
R1 vdd a 1k
R2 a 0 2k
.ends
X1 n1 cell
X2 n2 cell
R3 n1 n2 500
.op
.end
";
    let got = op_map(net);
    assert!(close(got["v(n1)"], 0.8, 1e-12, 0.0), "{got:?}");
    assert!(close(got["i(vdd)"], -2.0 * 1.2 / 3e3, 1e-12, 0.0));
    assert!(!got.contains_key("v(x1.vdd)"), "{got:?}");
    if have_ngspice() {
        let ng = ngspice_op(&tmpdir("xb-global"), net);
        assert_agrees_with_ngspice(&got, &ng, 1e-9);
    }
}
