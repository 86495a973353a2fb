//! `.sizing`: ideal wires cost nothing at any size; the read metric follows
//! the V/2 closed form; a point equals the same `.vmm` run by hand.

use crate::common::*;

fn run_sizing(tag: &str, net: &str) -> Vec<(usize, f64, bool)> {
    let (dir, out) = run_netlist(&format!("sizing-{tag}"), net);
    assert!(out.contains(".sizing xb:"), "{out}");
    assert!(dir.join("sizing.png").exists());
    std::fs::read_to_string(dir.join("sizing.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].parse().unwrap(), f[1].parse().unwrap(), f[2] == "true")
        })
        .collect()
}

#[test]
fn ideal_wires_meet_any_vmm_limit() {
    let pts = run_sizing(
        "ideal",
        "s\n.options reltol=1e-12 vntol=1e-15 abstol=1e-18\n.model d memristor (level=sinh beta=2.6)\n.crossbar xb rows=2 cols=2 model=d g=50u\n.sizing xb sizes=4,16,64 metric=vmm limit=1e-6 v=0.3\n",
    );
    assert_eq!(pts.len(), 3);
    for (n, e, ok) in pts {
        assert!(e.abs() < 1e-9 && ok, "N={n}: {e} %");
    }
}

/// Linear devices, ideal wires, V/2: margin/I_on = [(gon−goff)V − (N−1)(gon−goff)V/2] / [gon V + (N−1) goff V/2].
#[test]
fn read_metric_follows_closed_form() {
    let (gon, goff, v) = (100e-6, 2e-6, 0.4);
    let pts = run_sizing(
        "read",
        &format!("s\n.options reltol=1e-12 vntol=1e-15 abstol=1e-18\n.model d memristor (level=linear)\n.crossbar xb rows=2 cols=2 model=d g=10u\n.sizing xb sizes=2,4,8,16,32 metric=read limit=20 v={v} scheme=v/2 gon={gon} goff={goff}\n"),
    );
    for (n, m, ok) in pts {
        let k = n as f64 - 1.0;
        let want = 100.0 * ((gon - goff) * v - k * (gon - goff) * v / 2.0)
            / (gon * v + k * goff * v / 2.0);
        assert!(
            (m - want).abs() < 1e-9 * want.abs().max(1.0),
            "N={n}: {m} vs {want}"
        );
        assert_eq!(ok, m >= 20.0);
    }
}

/// A sizing point equals `.vmm` on the same uniform array with every row at v.
#[test]
fn vmm_point_matches_vmm_analysis() {
    let (n, v, g) = (12usize, 0.25, 40e-6);
    let base = format!(".options reltol=1e-12 vntol=1e-15 abstol=1e-18\n.model d memristor (level=cubic)\n.crossbar xb rows={n} cols={n} model=d rrow=2 rcol=3 g={g}\n");
    let pts = run_sizing(
        "vmmpoint",
        &format!(
            "s\n{base}.sizing xb sizes={n},{} metric=vmm limit=50 v={v} rdrive=5 rsense=7\n",
            n + 1
        ),
    );
    let dir = tmpdir("sizing-vmm-direct");
    std::fs::write(dir.join("in.csv"), vec![v.to_string(); n].join(",") + "\n").unwrap();
    std::fs::write(
        dir.join("v.cir"),
        format!("v\n{base}.vmm xb inputs=file(\"in.csv\") rdrive=5 rsense=7\n"),
    )
    .unwrap();
    let (code, _, err) = run_bin(&[
        "run",
        "-q",
        dir.join("v.cir").to_str().unwrap(),
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let e: f64 = std::fs::read_to_string(dir.join("vmm_error.csv"))
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert_close(pts[0].1, 100.0 * e, 1e-9, "error at N");
    assert!(pts[1].1 > pts[0].1, "a larger array loses more to IR drop");
}
