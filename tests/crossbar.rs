//! The `.crossbar` card: node-name contract, ideal currents, the driven-line
//! closed form, identity with the element-by-element network, and export to
//! ngspice.

use crate::common::*;
use std::collections::HashMap;

/// Zero wire resistance, ideal drivers at the west ports, columns held at 0 V
/// at the south ports: column currents are exactly Σ_i I(g_ij, V_i).
#[test]
fn zero_resistance_gives_ideal_currents() {
    let (n, m) = (5usize, 7usize);
    for law in ["linear", "sinh"] {
        let beta = if law == "sinh" { " beta=2.6" } else { "" };
        let mut t = format!("ideal\n.model d memristor (level={law}{beta})\n");
        let g = |i: usize, j: usize| 10e-6 + 1e-6 * ((i * 7 + j * 3) % 11) as f64;
        let vin = |i: usize| 0.1 + 0.05 * i as f64;
        // States as a CSV written beside the netlist.
        let dir = tmpdir(&format!("xb-ideal-{law}"));
        write_g_csv(&dir.join("g.csv"), n, m, g);
        t += &format!(".crossbar XB rows={n} cols={m} model=d g=file(\"g.csv\")\n");
        for i in 0..n {
            t += &format!("Vr{i} XB.w{i} 0 {}\n", vin(i));
        }
        for j in 0..m {
            t += &format!("Vs{j} XB.s{j} 0 0\n");
        }
        t += ".op\n";
        std::fs::write(dir.join("x.cir"), &t).unwrap();
        let (code, _, err) = run_bin(&[
            "run",
            "-q",
            dir.join("x.cir").to_str().unwrap(),
            "-o",
            dir.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        let q = read_qv(&dir.join("op.csv"));
        for j in 0..m {
            let ideal: f64 = (0..n)
                .map(|i| match law {
                    "linear" => g(i, j) * vin(i),
                    _ => g(i, j) / 2.6 * (2.6 * vin(i)).sinh(),
                })
                .sum();
            assert_close(
                q[&format!("i(vs{j})")],
                ideal,
                1e-12,
                &format!("{law} column {j}"),
            );
        }
        // Every contract name exists, merged nodes included.
        for name in ["xb.t0.0", "xb.b4.6", "xb.e3", "xb.n2", "xb.s6", "xb.w4"] {
            assert!(
                q.contains_key(&format!("v({name})")),
                "{law}: v({name}) missing"
            );
        }
        assert_close(q["v(xb.t2.5)"], vin(2), 1e-15, "merged row node");
    }
}

/// One driven row of N cells over grounded columns (rcol=0 and the columns
/// held at 0 V): V_k = V·cosh(θ(N+½−k))/cosh(θ(N+½)), cosh θ = 1 + rG/2.
#[test]
fn single_line_closed_form() {
    let (n, r, g, v): (usize, f64, f64, f64) = (128, 2.5, 1e-4, 0.3);
    let mut t = format!(".model d memristor (level=linear)\n.crossbar xb rows=1 cols={n} model=d rrow={r} g={g}\nV1 xb.w0 0 {v}\n");
    t = format!("line\n{t}");
    for j in 0..n {
        t += &format!("Vc{j} xb.n{j} 0 0\n");
    }
    t += ".op\n";
    let m = op_map(&t);
    let theta = (1.0 + r * g / 2.0).acosh();
    let nh = n as f64 + 0.5;
    for k in [1usize, 2, 64, 127, 128] {
        let want = v * (theta * (nh - k as f64)).cosh() / (theta * nh).cosh();
        assert_close(
            m[&format!("v(xb.t0.{})", k - 1)],
            want,
            1e-10,
            &format!("V_{k}"),
        );
    }
}

/// The card and the same network written element by element (the oracle's
/// ngspice netlist) give the same node voltages and source currents.
#[test]
fn card_equals_elementwise_network() {
    let dir = manifest().join("tests/oracles");
    for name in ["crossbar_card_linear_6x6_vhalf", "crossbar_card_sinh_8x12"] {
        let out = tmpdir(&format!("xb-eq-{name}"));
        let mut got: Vec<HashMap<String, f64>> = Vec::new();
        for (k, file) in [format!("{name}.cir"), format!("{name}.ng.cir")]
            .iter()
            .enumerate()
        {
            let o = out.join(k.to_string());
            let (code, _, err) = run_bin(&[
                "run",
                "-q",
                dir.join(file).to_str().unwrap(),
                "-o",
                o.to_str().unwrap(),
            ]);
            assert_eq!(code, 0, "{err}");
            got.push(read_qv(&o.join("op.csv")));
        }
        assert_eq!(got[0].len(), got[1].len(), "{name}: same quantities");
        // Node voltages within 1e-12 of the largest voltage; source currents
        // (KCL sums whose terms cancel, solved with different orderings)
        // within 1e-11 of the largest current.
        for (kind, tol) in [("v(", 1e-12), ("i(", 1e-11)] {
            let scale = got[0]
                .iter()
                .filter(|(k, _)| k.starts_with(kind))
                .map(|(_, v)| v.abs())
                .fold(0.0, f64::max);
            for (q, a) in got[0].iter().filter(|(k, _)| k.starts_with(kind)) {
                let b = got[1][q];
                assert!(
                    (a - b).abs() <= tol * scale,
                    "{name}: {q} card {a} vs elementwise {b}"
                );
            }
        }
    }
}

#[test]
fn card_errors() {
    let e =
        errors("t\n.model d memristor (level=linear)\n.crossbar xb rows=0 cols=2 model=d g=1u\n");
    assert!(
        e.contains("inline.cir:3:19: error: 'rows' must be a whole number 1..4194304"),
        "{e}"
    );
    assert!(!e.contains("needs rows"), "{e}");
    let e = errors("t\n.crossbar xb rows=2 cols=2 model=nope g=1u\n");
    assert!(
        e.contains("inline.cir:2:34: error: unknown model 'nope'"),
        "{e}"
    );
    let e = errors(
        "t\n.model d memristor (level=linear)\n.crossbar xb rows=2 cols=2 model=d rrow=-1 g=1u\n",
    );
    assert!(e.contains("'rrow' must be >= 0"), "{e}");
    let e = errors("t\n.model d memristor (level=linear)\n.crossbar xb rows=2 cols=2 model=d colour=red g=1u\n");
    assert!(e.contains("unknown .crossbar parameter 'colour'"), "{e}");
    let e = errors("t\n.model d memristor (level=linear)\n.crossbar xb rows=2 cols=2 model=d\n");
    assert!(e.contains("device states are not given"), "{e}");
    let e = errors("t\n.model d memristor (level=linear)\n.crossbar xb rows=2 cols=2 model=d g=1u\n.crossbar xb rows=1 cols=1 model=d g=1u\n");
    assert!(e.contains("crossbar 'xb' is defined twice"), "{e}");
}

#[test]
fn conductance_file_errors_name_the_csv_position() {
    let dir = tmpdir("xb-csv");
    std::fs::write(dir.join("g.csv"), "1e-5, 2e-5\n3e-5, oops\n").unwrap();
    std::fs::write(dir.join("g3.csv"), "1e-5, 2e-5, 3e-5\n").unwrap();
    let net = |g: &str| {
        format!("t\n.model d memristor (level=linear)\n.crossbar xb rows=2 cols=2 model=d g=file(\"{g}\")\nV1 xb.w0 0 1\nV2 xb.s0 0 0\n.op\n")
    };
    for (g, want) in [
        ("g.csv", "g.csv:2:7: 'oops' is not a conductance"),
        ("g3.csv", "g3.csv:1: expected 2 values"),
        ("missing.csv", "cannot read"),
    ] {
        std::fs::write(dir.join("x.cir"), net(g)).unwrap();
        let (code, _, err) = run_bin(&[
            "run",
            dir.join("x.cir").to_str().unwrap(),
            "-o",
            dir.join("o").to_str().unwrap(),
        ]);
        assert_eq!(code, 2);
        assert!(
            err.contains(want) && err.contains("x.cir:3:38: error:"),
            "{g}: {err}"
        );
    }
}

/// Export → (a) xbarsim runs the flat netlist to the same answer, (b) ngspice
/// runs it unchanged (when installed; CI installs it) and agrees within 1e-9
/// (linear) / 1e-6 (nonlinear) of the largest value of each kind.
#[test]
fn export_runs_in_xbarsim_and_ngspice() {
    let dir = manifest().join("tests/oracles");
    let have_ngspice = std::process::Command::new("ngspice")
        .arg("--version")
        .output()
        .is_ok();
    if !have_ngspice {
        eprintln!(
            "ngspice not installed: export checked against xbarsim only (CI installs ngspice)"
        );
    }
    for (name, tol) in [
        ("crossbar_card_linear_6x6_vhalf", 1e-9),
        ("crossbar_card_sinh_8x12", 1e-6),
        ("nonlinear_cubic_25", 1e-6),
        ("linear_random_20", 1e-9),
    ] {
        let out = tmpdir(&format!("xb-export-{name}"));
        let flat = out.join("flat.cir");
        let (code, _, err) = run_bin(&[
            "export",
            dir.join(format!("{name}.cir")).to_str().unwrap(),
            "-o",
            flat.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        let (code, _, err) = run_bin(&[
            "run",
            "-q",
            flat.to_str().unwrap(),
            "-o",
            out.join("x").to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        let mine = read_qv(&out.join("x/op.csv"));
        let orig = tmpdir(&format!("xb-export-orig-{name}"));
        let (code, _, _) = run_bin(&[
            "run",
            "-q",
            dir.join(format!("{name}.cir")).to_str().unwrap(),
            "-o",
            orig.to_str().unwrap(),
        ]);
        assert_eq!(code, 0);
        for (q, v) in read_qv(&orig.join("op.csv")) {
            if let Some(w) = mine.get(&q) {
                assert!(
                    close(v, *w, 1e-9, 1e-18),
                    "{name}: {q} original {v} vs exported {w}"
                );
            }
        }
        if !have_ngspice {
            continue;
        }
        // ngspice: the same file plus a control block that writes the operating point.
        let text = std::fs::read_to_string(&flat).unwrap();
        let body: String = text
            .lines()
            .filter(|l| !l.eq_ignore_ascii_case(".op") && !l.eq_ignore_ascii_case(".end"))
            .map(|l| format!("{l}\n"))
            .collect();
        let ng = out.join("ng.cir");
        std::fs::write(
            &ng,
            format!(
                "{body}.control\nset filetype=ascii\nop\nwrite ng.raw all\nquit\n.endc\n.end\n"
            ),
        )
        .unwrap();
        let st = std::process::Command::new("ngspice")
            .arg("-b")
            .arg("ng.cir")
            .current_dir(&out)
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "{name}: ngspice failed: {}",
            String::from_utf8_lossy(&st.stderr)
        );
        let ngv = read_raw(&out.join("ng.raw"));
        assert!(!ngv.is_empty(), "{name}: empty ngspice raw file");
        for kind in ["v(", "i("] {
            let scale = ngv
                .iter()
                .filter(|(k, _)| k.starts_with(kind))
                .map(|(_, v)| v.abs())
                .fold(0.0, f64::max);
            for (q, v) in ngv.iter().filter(|(k, _)| k.starts_with(kind)) {
                let w = mine
                    .get(q)
                    .unwrap_or_else(|| panic!("{name}: {q} from ngspice not in xbarsim's output"));
                assert!(
                    (v - w).abs() <= tol * scale,
                    "{name}: {q} ngspice {v} vs xbarsim {w}"
                );
            }
        }
    }
}

/// `.op` writes XB_vcell.csv: N lines of M values, v(t) − v(b) of every device.
#[test]
fn vcell_map_matches_node_voltages() {
    let dir = tmpdir("xb-vcell");
    std::fs::write(
        dir.join("x.cir"),
        "t\n.model d memristor (level=sinh beta=2)\n.crossbar XB rows=3 cols=4 model=d rrow=5 rcol=3 g=40u\nV0 XB.w0 0 0.3\nV1 XB.w1 0 0\nV2 XB.e2 0 0.2\n\
         Rs0 XB.s0 0 10\nRs1 XB.s1 0 10\nRs2 XB.n2 0 10\nRs3 XB.s3 0 10\n.op\n",
    )
    .unwrap();
    let (code, _, err) = run_bin(&[
        "run",
        "-q",
        dir.join("x.cir").to_str().unwrap(),
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let q = read_qv(&dir.join("op.csv"));
    let text = std::fs::read_to_string(dir.join("xb_vcell.csv")).unwrap();
    let rows: Vec<Vec<f64>> = text
        .lines()
        .map(|l| l.split(',').map(|x| x.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 3);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r.len(), 4);
        for (j, v) in r.iter().enumerate() {
            let want = q[&format!("v(xb.t{i}.{j})")] - q[&format!("v(xb.b{i}.{j})")];
            assert!(
                close(*v, want, 1e-15, 1e-18),
                "cell ({i},{j}): {v} vs {want}"
            );
        }
    }
}
