//! Helpers: run a netlist through the library or the `xbarsim` binary.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use xbarsim::analysis::{op, Engine};
use xbarsim::analysis::{plan, Plan};
use xbarsim::circuit::Circuit;
use xbarsim::netlist::load_text;

pub fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Elaborate netlist text (as if in `tests/`) and plan its analyses.
pub fn planned(text: &str) -> Plan {
    let path = manifest().join("tests/inline.cir");
    let deck = load_text(&path, text.to_string())
        .unwrap_or_else(|(d, e)| panic!("{}", e.render(&d.sources)));
    plan(&deck).unwrap_or_else(|e| panic!("{}", e.render(&deck.sources)))
}

/// Elaborate netlist text (as if in `tests/`).
pub fn circuit(text: &str) -> Circuit {
    planned(text).circuit
}

/// Operating point of netlist text: quantity name → value.
pub fn op_map(text: &str) -> HashMap<String, f64> {
    let c = circuit(text);
    let mut e = Engine::new(&c).expect("setup");
    let r = op::run(&mut e).unwrap_or_else(|err| panic!("{err}"));
    r.names.into_iter().zip(r.values).collect()
}

/// Elaboration or parse errors of netlist text, rendered.
pub fn errors(text: &str) -> String {
    let path = manifest().join("tests/inline.cir");
    match load_text(&path, text.to_string()) {
        Err((d, e)) => e.render(&d.sources),
        Ok(deck) => match plan(&deck) {
            Err(e) => e.render(&deck.sources),
            Ok(_) => String::new(),
        },
    }
}

/// Run the binary; returns (exit code, stdout, stderr).
pub fn run_bin(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xbarsim"))
        .args(args)
        .output()
        .expect("run xbarsim");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Write `net` to a fresh directory `tag` and run it there; the run must
/// succeed. Returns the directory (the outputs), stdout and stderr.
fn run_netlist_in(tag: &str, net: &str) -> (PathBuf, String, String) {
    let dir = tmpdir(tag);
    std::fs::write(dir.join("net.cir"), net).unwrap();
    let (code, out, err) = run_bin(&[
        "run",
        dir.join("net.cir").to_str().unwrap(),
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    (dir, out, err)
}

/// [`run_netlist_in`]: the directory and stdout.
pub fn run_netlist(tag: &str, net: &str) -> (PathBuf, String) {
    let (dir, out, _) = run_netlist_in(tag, net);
    (dir, out)
}

/// [`run_netlist_in`]: the directory and stderr (the warnings).
pub fn run_warned(tag: &str, net: &str) -> (PathBuf, String) {
    let (dir, _, err) = run_netlist_in(tag, net);
    (dir, err)
}

/// `xbarsim run -q EXTRA... NET -o OUT`: (exit code, stdout, stderr).
pub fn run_to(net: &Path, out: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["run", "-q"];
    args.extend_from_slice(extra);
    args.extend([net.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    run_bin(&args)
}

/// Read a `quantity,value` CSV.
pub fn read_qv(path: &Path) -> HashMap<String, f64> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    r.records()
        .map(|rec| {
            let rec = rec.expect("record");
            (rec[0].to_string(), rec[1].parse::<f64>().expect("number"))
        })
        .collect()
}

/// A fresh temporary directory under target/.
pub fn tmpdir(name: &str) -> PathBuf {
    let d = manifest()
        .join("target/test-tmp")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

pub fn close(a: f64, b: f64, rel: f64, abs: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()) + abs
}

#[track_caller]
pub fn assert_close(a: f64, b: f64, rel: f64, what: &str) {
    assert!(
        close(a, b, rel, 1e-300),
        "{what}: {a} vs {b} (rel {:.3e})",
        (a - b).abs() / a.abs().max(b.abs())
    );
}

/// Root of a scalar function by bisection on [lo, hi] (independent of the solver).
pub fn bisect(f: impl Fn(f64) -> f64, mut lo: f64, mut hi: f64) -> f64 {
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if (f(mid) > 0.0) == (f(hi) > 0.0) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Write an N×M conductance map `g(i, j)` as CSV (for `g=file(...)`).
pub fn write_g_csv(path: &Path, n: usize, m: usize, g: impl Fn(usize, usize) -> f64) {
    let csv: String = (0..n)
        .map(|i| {
            (0..m)
                .map(|j| format!("{:e}", g(i, j)))
                .collect::<Vec<_>>()
                .join(",")
                + "\n"
        })
        .collect();
    std::fs::write(path, csv).unwrap();
}

/// Parse an ngspice ASCII raw file (one operating point) into quantity → value.
pub fn read_raw(path: &std::path::Path) -> HashMap<String, f64> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut names = Vec::new();
    let mut lines = text.lines();
    for l in lines.by_ref() {
        if l.starts_with("Variables:") {
            break;
        }
    }
    for l in lines.by_ref() {
        if l.starts_with("Values:") {
            break;
        }
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() >= 2 {
            let n = f[1].to_ascii_lowercase();
            names.push(if let Some(src) = n.strip_suffix("#branch") {
                format!("i({src})")
            } else if n.starts_with("v(") || n.starts_with("i(") {
                n
            } else {
                format!("v({n})")
            });
        }
    }
    let vals: Vec<f64> = lines
        .flat_map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .filter_map(|t| t.parse::<f64>().ok())
        .collect();
    // The first number is the point index.
    names.into_iter().zip(vals.into_iter().skip(1)).collect()
}

/// Whether ngspice is installed (CI installs it; tests that need it say
/// so and check the rest without it).
pub fn have_ngspice() -> bool {
    std::process::Command::new("ngspice")
        .arg("--version")
        .output()
        .is_ok()
}

/// ngspice's operating point of netlist `text` (written to `dir`, run
/// unchanged with a control block appended that writes every quantity).
pub fn ngspice_op(dir: &Path, text: &str) -> HashMap<String, f64> {
    let body: String = text
        .lines()
        .filter(|l| !l.trim().eq_ignore_ascii_case(".op") && !l.trim().eq_ignore_ascii_case(".end"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(
        dir.join("ng.cir"),
        format!("{body}.control\nset filetype=ascii\nop\nwrite ng.raw all\nquit\n.endc\n.end\n"),
    )
    .unwrap();
    let st = std::process::Command::new("ngspice")
        .arg("-b")
        .arg("ng.cir")
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "ngspice failed: {}",
        String::from_utf8_lossy(&st.stderr)
    );
    read_raw(&dir.join("ng.raw"))
}

/// `xbarsim export` of netlist `text` (written to a fresh folder named
/// after `tag`): the flat netlist's text and its folder.
pub fn exported(tag: &str, text: &str) -> (String, PathBuf) {
    let dir = tmpdir(tag);
    let net = dir.join("in.cir");
    std::fs::write(&net, text).unwrap();
    let flat = dir.join("flat.cir");
    let (code, _, err) = run_bin(&[
        "export",
        net.to_str().unwrap(),
        "-o",
        flat.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    (std::fs::read_to_string(&flat).unwrap(), dir)
}

/// Every quantity ngspice gave (`ng`) is in xbarsim's (`got`) and within
/// 1e-9 of max(|ngspice's value|, `floor`).
#[track_caller]
pub fn assert_agrees_with_ngspice(
    got: &HashMap<String, f64>,
    ng: &HashMap<String, f64>,
    floor: f64,
) {
    for (q, v) in ng {
        let w = got
            .get(q)
            .unwrap_or_else(|| panic!("{q} from ngspice not in xbarsim's output"));
        assert!(
            (v - w).abs() <= 1e-9 * v.abs().max(floor),
            "{q}: ngspice {v}, xbarsim {w}"
        );
    }
}

/// xbarsim's dc.csv of netlist `net`: header and rows.
pub fn dc_table(tag: &str, net: &str) -> (Vec<String>, Vec<Vec<f64>>) {
    let (dir, _) = run_netlist(tag, net);
    read_table(&dir)
}

/// The dc.csv in `dir`: header and rows.
pub fn read_table(dir: &Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let mut r = csv::Reader::from_path(dir.join("dc.csv")).unwrap();
    let names = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(|x| x.parse().unwrap()).collect())
        .collect();
    (names, rows)
}

/// ngspice's DC sweep of netlist `net` (its `.dc` card run as written):
/// one map per point, quantity → value (the sweep vector left out).
pub fn ngspice_dc(dir: &Path, net: &str) -> Vec<HashMap<String, f64>> {
    let body = net.trim_end().trim_end_matches(".end");
    std::fs::write(
        dir.join("ng.cir"),
        format!("{body}\n.control\nset filetype=ascii\nrun\nwrite ng.raw all\nquit\n.endc\n.end\n"),
    )
    .unwrap();
    let st = std::process::Command::new("ngspice")
        .args(["-b", "ng.cir"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let text = std::fs::read_to_string(dir.join("ng.raw")).unwrap();
    let (head, values) = text.split_once("Values:").expect("a raw file");
    let vars = head.split_once("\nVariables:").unwrap().1;
    let names: Vec<String> = vars
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .map(|n| {
            let n = n.to_ascii_lowercase();
            match n.strip_suffix("#branch") {
                Some(s) => format!("i({s})"),
                None if n.contains('(') => n,
                None => format!("v({n})"),
            }
        })
        .collect();
    let nums: Vec<f64> = values
        .split_whitespace()
        .map(|t| t.parse().unwrap())
        .collect();
    nums.chunks(names.len() + 1)
        .map(|p| {
            names[1..]
                .iter()
                .cloned()
                .zip(p[2..].iter().copied())
                .collect()
        })
        .collect()
}

/// Column `name` of a table.
pub fn col(t: &(Vec<String>, Vec<Vec<f64>>), name: &str) -> Vec<f64> {
    let k = t.0.iter().position(|n| n == name).unwrap_or_else(|| {
        panic!("no column {name} in {:?}", t.0);
    });
    t.1.iter().map(|r| r[k]).collect()
}

/// Every point ngspice gives is xbarsim's row of the same index, within
/// `rel` of max(|value|, `floor`).
#[track_caller]
pub fn agree(
    ours: &(Vec<String>, Vec<Vec<f64>>),
    ng: &[HashMap<String, f64>],
    rel: f64,
    floor: f64,
) {
    assert_eq!(ours.1.len(), ng.len(), "number of points");
    for (k, p) in ng.iter().enumerate() {
        for (q, v) in p {
            let w = col(ours, q)[k];
            assert!(
                (v - w).abs() <= rel * v.abs().max(floor),
                "point {k}, {q}: ngspice {v}, xbarsim {w}"
            );
        }
    }
}

/// Each quantity of `qs` agrees between ngspice (`ng`) and xbarsim (`got`):
/// `close(ng[q], got[q], rel, abs)`.
#[track_caller]
pub fn assert_quantities_agree(
    ng: &HashMap<String, f64>,
    got: &HashMap<String, f64>,
    qs: &[&str],
    rel: f64,
    abs: f64,
) {
    for q in qs {
        let (n, g) = (ng[*q], got[*q]);
        assert!(close(n, g, rel, abs), "{q}: ngspice {n}, xbarsim {g}");
    }
}

/// Each netlist of `cases` fails with an error message containing its
/// `want` (a located `file:line:col: error: ...` as written).
#[track_caller]
pub fn assert_errors(cases: &[(&str, &str)]) {
    for (net, want) in cases {
        let err = errors(net);
        assert!(err.contains(want), "{net}\n---\nwant {want}\ngot {err}");
    }
}
