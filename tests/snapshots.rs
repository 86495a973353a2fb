//! Snapshot tests (insta): the rendered diagnostics of every kind of input
//! error, and the result files and console report of the shipped 8x8 example.
//!
//! Snapshots live in `tests/snapshots/`. A changed output fails the test; to
//! accept a deliberate change, rerun with `INSTA_UPDATE=always` (or `cargo
//! insta review`) and read the diff of the `.snap` files before committing.
//! Under CI (`CI=true`) insta never writes snapshots, it only compares.
//!
//! Machine-specific paths are replaced before comparing: the repository by
//! `<repo>`, a test's temporary directory by `<tmp>`.

use crate::common::*;
use std::path::Path;
use xbarsim::analysis::plan;
use xbarsim::netlist::{load, load_text, Deck, Diagnostics};

/// Replace the temporary directory `tmp` (if any), then the repository root,
/// by placeholders, so a snapshot reads the same on every machine.
fn normalize(text: &str, tmp: Option<&Path>) -> String {
    let mut s = text.to_string();
    if let Some(t) = tmp {
        s = s.replace(t.to_str().expect("utf-8 path"), "<tmp>");
    }
    s.replace(manifest().to_str().expect("utf-8 path"), "<repo>")
}

/// Everything a load and elaboration report, rendered: load errors, or the
/// loader's warnings followed by elaboration's errors or warnings.
fn report(loaded: Result<Deck, (Box<Deck>, Diagnostics)>) -> String {
    let deck = match loaded {
        Err((deck, e)) => return e.render(&deck.sources),
        Ok(deck) => deck,
    };
    let mut out: String = deck
        .warnings
        .iter()
        .map(|w| w.render(&deck.sources))
        .collect();
    match plan(&deck) {
        Err(e) => out += &e.render(&deck.sources),
        Ok(p) => out.extend(p.circuit.warnings.iter().map(|w| w.render(&deck.sources))),
    }
    out
}

/// Diagnostics of inline netlist text, located as `tests/inline.cir` (the
/// path [`errors`] uses, so relative file names resolve from `tests/`).
fn inline(text: &str) -> String {
    let out = report(load_text(
        &manifest().join("tests/inline.cir"),
        text.to_string(),
    ));
    if !out.contains("warning:") {
        // Errors only: the same text as the shared helper renders.
        assert_eq!(out, errors(text));
    }
    assert!(!out.is_empty(), "no diagnostics for:\n{text}");
    normalize(&out, None)
}

/// Diagnostics of netlist text written to `<dir>/net.cir` and loaded from
/// disk (as the binary does), with `<dir>` shown as `<tmp>`.
fn on_disk(dir: &Path, text: &str) -> String {
    let path = dir.join("net.cir");
    std::fs::write(&path, text).unwrap();
    let out = report(load(&path));
    assert!(!out.is_empty(), "no diagnostics for:\n{text}");
    normalize(&out, Some(dir))
}

#[test]
fn diag_element_cards() {
    let text = "element syntax errors
R1 a 0 1k2
R2 a
V1
R3 a b
Q1 a b c
YFOO y1 a 0 m
YMEMRISTOR
YMEMRISTOR m1 a 0 m 5
V2 a 0 SIN(0)
V3 a 0 1 2
R4 a 0 1 2
I1 a 0 DC 1 AC
B1 a 0 V=
B2 a 0 x
B3 a 0 I 1
B4 a 0 I=
B5
=5 a b
x=1 a b
R5 a 0 \"abc
R6 a 0 {1
R7 a 0 (1
R8 a 0 1k)
";
    insta::assert_snapshot!("diag_element_cards", inline(text));
}

#[test]
fn diag_expressions() {
    let deep = format!("{}1{}", "(".repeat(101), ")".repeat(101));
    let tall = vec!["1"; 1002].join("+");
    let text = format!(
        "expression errors
.param p1={{1+}}
.param p2={{foo(1)}}
.param p3={{min(1)}}
.param p4={{max(1,2}}
.param p5={{(1+2}}
.param p6={{2 $ 3}}
.param p7={{1..2}}
.param p8={{max(1 2)}}
.param p9={{{deep}}}
.param p10={{{tall}}}
.param p11=
.param
.param x
V1 a 0 1
R1 a 0 1k
B1 a 0 I={{V(}}
B2 a 0 I={{V(a}}
B3 a 0 I={{1e-3*V(a,0)+}}
"
    );
    insta::assert_snapshot!("diag_expressions", inline(&text));
}

#[test]
fn diag_values_and_parameters() {
    let text = "values and parameters
.param big=1e40 tiny=1e-40
V1 n1 0 DC {undefined_p}
R1 n1 0 {big}
R2 n1 0 {tiny}
R3 n1 0 {sqrt(-1)}
I4 n1 0 {V(n1)}
R5 n1 0 {1/0}
R6 n1 0 0
R7 n1 0 -5
R8 n1 0 1e19
B1 n1 0 I={1/0 + V(n1)}
B2 n1 0 I={log(0)*V(n1)}
R11 n1 0 1e400
";
    insta::assert_snapshot!("diag_values_and_parameters", inline(text));
}

#[test]
fn diag_parameter_cycles() {
    let long: String = (0..12).map(|i| format!(" p{i}={{p{}}}", i + 1)).collect();
    let text = format!(
        "parameter cycles
.param a={{b+1}} b={{c*2}} c={{a}}
.param s={{s}}
.param{long} p12={{p0}}
V1 n1 0 DC {{a}}
R1 n1 0 {{s}}
R2 n1 0 {{p3}}
"
    );
    insta::assert_snapshot!("diag_parameter_cycles", inline(&text));
}

#[test]
fn diag_directives_and_options() {
    let text = "directive errors
V1 a 0 1
R1 a 0 1k
.op extra
.dc
.dc V1 0
.dc V1 0 1 0.1 V2 0 1 0.1
.dc V9 0 1 0.1
.dc V1 0 1 0
.dc V1 0 1 -0.1
.dc V1 0 1 1e-9
.temp
.model
.model m
.subckt foo a b
.tran 1n 1u
.ic v(a)=0
.frobnicate 1 2
.options reltol=1 abstol=0 vntol=-1 gmin=1 itl1=0.5 solver=magic
.crossbar
.model mm memristor (g=file(x)
";
    insta::assert_snapshot!("diag_directives_and_options", inline(text));
}

#[test]
fn diag_include_card_syntax() {
    insta::assert_snapshot!(
        "diag_include_card_syntax",
        inline("include syntax\n.include\n.include a.cir b.cir\n.inc\n")
    );
}

#[test]
fn diag_include_files() {
    let dir = tmpdir("snap-include");
    // A cycle through two files, a missing file, a directory.
    std::fs::write(dir.join("a.lib"), "* a\n.include b.lib\n").unwrap();
    std::fs::write(dir.join("b.lib"), "* b\nR9 x 0 1k\n.include a.lib\n").unwrap();
    std::fs::create_dir_all(dir.join("adir")).unwrap();
    let text = "includes
.include a.lib
.include missing.lib
.include adir
.include net.cir
";
    insta::assert_snapshot!("diag_include_files", on_disk(&dir, text));
}

#[test]
fn diag_include_depth() {
    let dir = tmpdir("snap-include-deep");
    for k in 0..70 {
        std::fs::write(
            dir.join(format!("d{k}.lib")),
            format!("* level {k}\n.include d{}.lib\n", k + 1),
        )
        .unwrap();
    }
    std::fs::write(dir.join("d70.lib"), "* bottom\n").unwrap();
    insta::assert_snapshot!(
        "diag_include_depth",
        on_disk(
            &dir,
            "deep includes\n.include d0.lib\nV1 a 0 1\nR1 a 0 1k\n"
        )
    );
}

#[test]
fn diag_not_utf8_warnings() {
    let dir = tmpdir("snap-utf8");
    std::fs::write(dir.join("sub.lib"), b"* sub \xe9\nR2 a 0 1k\n").unwrap();
    let path = dir.join("net.cir");
    std::fs::write(&path, b"latin1 \xe9\nV1 a 0 1\nR1 a 0 1k\n.inc sub.lib\n").unwrap();
    let out = normalize(&report(load(&path)), Some(&dir));
    insta::assert_snapshot!("diag_not_utf8_warnings", out);
}

#[test]
fn diag_models_and_memristors() {
    let text = "model errors
.model m1 memristor (level=linear gmin=1u gmax=100u)
.model M1 memristor (level=linear)
.model d diode (is=1e-14)
.model q1 memristor (level=quantum)
.model q2 memristor (level=sinh betta=2)
.model q3 memristor (level=sinh beta=0)
.model q4 memristor (level=cubic temp=-300)
.model q5 memristor (level=linear gmin=100u gmax=1u)
.model q6 memristor (level=linear g=-1u)
.model q7 memristor (level=linear gmin=1u gmax=100u dyn=magic)
.model q8 memristor (level=linear gmin=1u gmax=100u dyn=nili vset=-1 vreset=1)
.model q9 memristor (level=linear gmin=1u gmax=100u dyn=vteam kset=-1)
.model q10 memristor (level=linear gmin=1u gmax=100u dyn=quantized nstates=1)
.model q11 memristor (level=linear gmin=1u gmax=100u dyn=levels)
.model q12 memristor (level=linear gmin=1u gmax=100u dyn=levels levels=\"10u,20u,30u\" level_sd=\"1u,2u\")
.model q13 memristor (level=linear gmin=1u gmax=100u dyn=nili stuck_state=sideways)
.model q14 memristor (level=linear gmin=1u gmax=100u dyn=nili c2c=-1)
.model q15 memristor (level=linear vset_sd=0.1)
.model q16 memristor (level=linear dyn=nili)
.model q17 memristor (level=linear gmin=1u gmax=100u dyn=levels levels=\"10u,abc\")
.model q18 memristor (level=linear gmin=abc)
.model q19 memristor (level=5)
.model q20 memristor (level=linear gmin=1u gmax=100u dyn=1)
.model q21 memristor (level=linear gmin=1u gmax=100u stuck_state=off)
.model q22 memristor (level=linear gmin=\"1u\")
V1 a 0 1
R1 a 0 1k
YMEMRISTOR y1 a 0 nomod g=1u
YMEMRISTOR y2 a 0 m1 g=1u w=3
YMEMRISTOR y3 a 0 m1
YMEMRISTOR y4 a 0 m1 g=-1u
";
    insta::assert_snapshot!("diag_models_and_memristors", inline(text));
}

#[test]
fn diag_duplicates() {
    let text = "duplicates
.model lin memristor (level=linear)
.model LIN memristor (level=linear)
.crossbar xk rows=2 cols=2 model=lin g=1u
.crossbar XK rows=2 cols=2 model=lin g=1u
V1 a 0 1
R1 a 0 1k
r1 a 0 2k
YMEMRISTOR y1 a 0 lin g=1u
Ymemristor Y1 a 0 lin g=1u
";
    insta::assert_snapshot!("diag_duplicates", inline(text));
}

#[test]
fn diag_crossbar_arguments() {
    let text = "crossbar errors
.model lin memristor (level=linear gmin=1u gmax=100u)
.crossbar xa
.crossbar xb rows=0 cols=1.5 model=lin g=1u
.crossbar xc rows=2 cols=2 model=lin rrow=-1 rcol=1e-30 g=-1u
.crossbar xd rows=2 cols=2 model=1 g=1u
.crossbar xe rows=2 cols=2 model=lin g=1u colour=red
.crossbar xf rows=abc cols=2 model=lin g=1u
.crossbar xg rows=4096 cols=4096 model=lin g=1u
.crossbar xh rows=2 cols=2 model=nomod g=1u
.crossbar xi rows=2 cols=2 model=lin
.crossbar x.j rows=2 cols=2 model=lin g=1u
.crossbar xk rows=\"2\" cols=2 model=lin g=1u
";
    insta::assert_snapshot!("diag_crossbar_arguments", inline(text));
}

#[test]
fn diag_csv_files() {
    let dir = tmpdir("snap-csv");
    let w = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    w("short.csv", "10u,20u,30u\n");
    w("long.csv", "10u,20u,30u\n10u,20u,30u\n10u,20u,30u\n");
    // Comment and blank lines count for the line number.
    w("cols.csv", "# states\n10u,20u,30u\n\n10u,20u\n");
    w("word.csv", "10u, 20u, 30u\n10u, abc, 30u\n");
    w("neg.csv", "10u,20u,30u\n10u,20u,-30u\n");
    w("empty.csv", "# nothing\n\n");
    w("vin.csv", "0.1,0.2\n0.1,zz\n");
    w("vshort.csv", "0.1,0.2,0.3\n");
    w("target.csv", "10u,20u,30u\n0,30u,40u\n");
    std::fs::create_dir_all(dir.join("adir")).unwrap();
    let text = "csv file contents
.model lin memristor (level=linear gmin=1u gmax=100u)
.model nili memristor (level=cubic temp=27 gmin=3u gmax=100u dyn=nili vset=1.19 vreset=-1.39)
.crossbar x1 rows=2 cols=3 model=lin g=file(\"short.csv\")
.crossbar x2 rows=2 cols=3 model=lin g=file(\"long.csv\")
.crossbar x3 rows=2 cols=3 model=lin g=file(\"cols.csv\")
.crossbar x4 rows=2 cols=3 model=lin g=file(\"word.csv\")
.crossbar x5 rows=2 cols=3 model=lin g=file(\"neg.csv\")
.crossbar x6 rows=2 cols=3 model=lin g=file(\"missing.csv\")
.crossbar x7 rows=2 cols=3 model=lin g=file(\"adir\")
.crossbar x8 rows=2 cols=3 model=lin g=file(\"\")
.crossbar ok rows=2 cols=2 model=lin g=10u
.crossbar okp rows=2 cols=3 model=nili g=10u
.vmm ok inputs=file(\"empty.csv\")
.vmm ok inputs=file(\"vin.csv\")
.vmm ok inputs=file(\"vshort.csv\")
.program okp target=file(\"target.csv\")
.program okp target=file(\"short.csv\")
";
    insta::assert_snapshot!("diag_csv_files", on_disk(&dir, text));
}

#[test]
fn diag_vmm_and_read_cards() {
    let text = "vmm and read card errors
.model lin memristor (level=linear gmin=1u gmax=100u)
.crossbar xb rows=2 cols=2 model=lin g=10u
.vmm
.vmm nosuch inputs=file(\"x.csv\")
.vmm xb
.vmm xb inputs=file(\"missing.csv\") rdrive=-1 rsense=abc colour=1
.read xb
.read xb row=0
.read xb row=2 col=-1 v=0.2 scheme=v/4 rdrive=-2 foo=1
.read xb row=0 col=0 v=0.2 scheme=v/2 gon=1u goff=10u
.read xb row=0.5 col=0 v=0.2 scheme=float
";
    insta::assert_snapshot!("diag_vmm_and_read_cards", inline(text));
}

#[test]
fn diag_sizing_and_program_cards() {
    let text = "sizing and program card errors
.model lin memristor (level=linear gmin=1u gmax=100u)
.model nili memristor (level=cubic temp=27 gmin=3u gmax=100u dyn=nili vset=1.19 vreset=-1.39)
.crossbar xs rows=2 cols=2 model=lin g=10u
.crossbar xp rows=2 cols=2 model=nili g=10u
.sizing xs
.sizing xs sizes=0,5000 metric=power limit=5 scheme=v/5 rdrive=-1 bogus=1
.sizing xs sizes=a,b metric=read limit=5
.sizing xs sizes=8,16 limit=5
.program
.program xs target=50u
.program xp
.program xp target=50u algorithm=magic scheme=ground tol=2 aim=0 cycles=0 maxpulses=1.5
.program xp target=50u vmax=200 vstart_set=-1 read_scheme=v/9 frob=1
.program xp target=-1u
.program xp target=50u vstart_set=3 vmax=2
";
    insta::assert_snapshot!("diag_sizing_and_program_cards", inline(text));
}

#[test]
fn diag_pulse_and_thresholds_cards() {
    let text = "pulse and thresholds card errors
.model lin memristor (level=linear gmin=1u gmax=100u)
.model nili memristor (level=cubic temp=27 gmin=3u gmax=100u dyn=nili vset=1.19 vreset=-1.39)
.crossbar xs rows=2 cols=2 model=lin g=10u
.crossbar xp rows=2 cols=2 model=nili g=10u
.pulse xs row=0 col=0 v=1.3
.pulse xp
.pulse xp row=5 col=0 v=200 count=0 scheme=v/7 wat=1
.pulse xp row=0 col=0 v=1.3
.pulse xp row=0 col=0 v=1.3 seed=3
.thresholds
.thresholds xs
.thresholds xp start_tol=2 vmax=0 zap=1
.thresholds xp g_start=50u g_stop=10u
.thresholds xp vstart=3 vmax=2
.thresholds xp vstart=1m vstep=1u vmax=2.5
";
    insta::assert_snapshot!("diag_pulse_and_thresholds_cards", inline(text));
}

#[test]
fn diag_perceptron_cards() {
    let text = "perceptron card errors
.model lin memristor (level=linear)
.crossbar xb rows=64 cols=10 model=lin g=10u
.crossbar small rows=8 cols=8 model=lin g=10u
.perceptron
.perceptron xb
.perceptron xb data=file(\"../data/uci_digits_8x8.csv\") tol=2 cycles=0 pseed=-1 scheme=v/9 algorithm=zz weights=3 diff=2 levels=1 epochs=0 import=magic quant=zz out=a.b sweep=foo errs=a nlevels=1 bogus=1 vread=1e999
.perceptron xb data=file(\"../data/uci_digits_8x8.csv\") gmin=100u gmax=10u out=p2
.perceptron small data=file(\"../data/uci_digits_8x8.csv\") out=p3
.perceptron xb data=file(\"../data/uci_digits_8x8.csv\") import=wv out=p4
.perceptron xb data=file(\"../data/uci_digits_8x8.csv\") import=gauss tol=0.1 out=p5 tparams=file(\"x.csv\") quant=vaq
.perceptron xb data=file(\"../data/uci_digits_8x8.csv\") import=wv sweep=err out=p6
.perceptron xb data=file(\"../data/uci_digits_8x8.csv\") sweep=quant levels=4 out=p7
.perceptron xb data=file(\"../data/uci_digits_8x8.csv\") quant=qc levels=64 gmin=40u gmax=100u out=p8
.perceptron xb data=file(\"../netlists/xbar8x8_read.cir\") out=p9
.perceptron xb data=file(\"../data/uci_digits_8x8.csv\") sweep=size sizes=2 out=p10
.perceptron xb data=file(\"../data/no_such_digits.csv\") out=p11
";
    insta::assert_snapshot!("diag_perceptron_cards", inline(text));
}

#[test]
fn diag_output_collisions() {
    let text = "output collisions
.model lin memristor (level=linear)
.crossbar xb rows=64 cols=10 model=lin g=10u
V1 a 0 1
R1 a 0 1k
.dc V1 0 1 0.5
.dc V1 0 2 0.5
.read xb row=0 col=0 v=0.2 scheme=v/2
.read xb row=1 col=1 v=0.2 scheme=v/3
.perceptron xb data=file(\"../data/uci_digits_8x8.csv\")
.perceptron xb data=file(\"../data/uci_digits_8x8.csv\") diff=0
";
    insta::assert_snapshot!("diag_output_collisions", inline(text));
}

#[test]
fn diag_topology() {
    let text = "topology errors
V1 a 0 1
V2 a 0 2
V3 b b 1
R1 b 0 1k
R2 c d 1k
R3 d e 1k
I1 f 0 1m
R4 n1 n2 1k
R5 n2 n3 1k
R6 n3 n4 1k
R7 n4 n5 1k
R8 n5 n6 1k
R9 n6 n7 1k
R10 n7 n8 1k
";
    insta::assert_snapshot!("diag_topology", inline(text));
}

#[test]
fn diag_floating_crossbar() {
    // A bare crossbar under .op: no node of it reaches ground, and the
    // error has no card to point at.
    let text = "floating crossbar
.model lin memristor (level=linear)
.crossbar xb rows=2 cols=2 model=lin g=10u
.op
";
    insta::assert_snapshot!("diag_floating_crossbar", inline(text));
}

#[test]
fn diag_warnings() {
    let text = "warnings only
.model lin memristor (level=linear gmin=1u gmax=100u)
V1 a 0 1
R1 a 0 1k
YMEMRISTOR y1 a 0 lin g=1
.crossbar xb rows=2 cols=2 model=lin g=5
.probe v(a)
.print dc v(a)
.save all
.width out=80
.title foo
.global gnd
.plot dc v(a)
.read xb row=0 col=0 v=0.2 scheme=v/2
";
    let out = inline(text);
    assert!(!out.contains("error:"), "{out}");
    insta::assert_snapshot!("diag_warnings", out);
}

// ---- the shipped example's results ----

/// Replace `<digits>.<digits> s` (a duration) by `<t> s`.
fn mask_seconds(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        // A number starts here if the previous byte is not part of a word.
        let starts = b[i].is_ascii_digit()
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.'));
        if starts {
            let mut j = i;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j + 1 < b.len() && b[j] == b'.' && b[j + 1].is_ascii_digit() {
                let mut k = j + 1;
                while k < b.len() && b[k].is_ascii_digit() {
                    k += 1;
                }
                if text[k..].starts_with(" s")
                    && !text[k + 2..].starts_with(|c: char| c.is_alphanumeric())
                {
                    out.push_str("<t>");
                    i = k;
                    continue;
                }
            }
            out.push_str(&text[i..j]);
            i = j;
            continue;
        }
        let c = text[i..].chars().next().unwrap_or_else(|| unreachable!());
        out.push(c);
        i += c.len_utf8();
    }
    out
}

#[test]
fn mask_seconds_masks_only_durations() {
    assert_eq!(
        mask_seconds("parsed in 0.006 s, set up in 12.500 s (x)"),
        "parsed in <t> s, set up in <t> s (x)"
    );
    assert_eq!(mask_seconds("0.25 s\n"), "<t> s\n");
    // Not durations: no unit, another unit, a version, an integer.
    assert_eq!(
        mask_seconds("v=0.25 V, 1.5 sec, 1.2.3 s, 3 s, x1.5 s"),
        "v=0.25 V, 1.5 sec, 1.2.3 s, 3 s, x1.5 s"
    );
}

#[test]
fn example_8x8_results() {
    let dir = tmpdir("snap-example-8x8");
    let net = manifest().join("netlists/xbar8x8_read.cir");
    let (code, out, err) = run_bin(&["run", net.to_str().unwrap(), "-o", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(err, "", "no warnings expected");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    insta::assert_snapshot!("example_8x8_files", names.join("\n"));
    for name in &names {
        let path = dir.join(name);
        if name.ends_with(".png") {
            let len = std::fs::metadata(&path).unwrap().len();
            assert!(len > 0, "{name} is empty");
        } else if name == "manifest.json" {
            // Times and absolute paths: its fields are checked in tests/study.rs.
            continue;
        } else if name.ends_with(".csv") || name.ends_with(".json") {
            let text = std::fs::read_to_string(&path).unwrap();
            insta::assert_snapshot!(format!("example_8x8_{}", name.replace('.', "_")), text);
        }
    }
    insta::assert_snapshot!(
        "example_8x8_stdout",
        mask_seconds(&normalize(&out, Some(&dir)))
    );
}
