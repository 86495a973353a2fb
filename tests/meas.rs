//! `.meas` against hand values: a divider V1—1k—b—1k—0 swept 0..1 V, so
//! v(b) = V1/2 and i(v1) = −V1/2k.

use crate::common::*;

const NET: &str = "t\n.param k=2\nV1 a 0 1\nR1 a b 1k\nR2 b 0 1k\n\
    .meas op vb find v(b)\n.meas op vab find v(a,b)\n.meas op i1 find i(v1)\n\
    .meas dc t1 when v(b)=0.25\n.meas dc mx max v(b) from=0 to=1\n.meas dc av avg v(b)\n\
    .meas dc rm rms v(b)\n.meas dc pp pp v(b) from=0.2 to=0.8\n.meas dc fa find v(b) at=0.3\n\
    .meas dc fw find i(v1) when v(b)=0.1\n.meas dc nv when v(b)=7\n\
    .meas op p2 param={vb*k+1}\n.op\n.dc V1 0 1 0.1\n";

fn meas(dir: &std::path::Path) -> std::collections::HashMap<String, (String, String)> {
    let mut r = csv::Reader::from_path(dir.join("meas.csv")).unwrap();
    r.records()
        .map(|x| {
            let x = x.unwrap();
            (x[0].to_string(), (x[1].to_string(), x[2].to_string()))
        })
        .collect()
}

#[test]
fn measurements_match_hand_values() {
    let (dir, out) = run_netlist("meas", NET);
    let m = meas(&dir);
    let v = |k: &str| -> f64 { m[k].0.parse().unwrap_or_else(|_| panic!("{k}: {:?}", m[k])) };
    let close =
        |k: &str, want: f64| assert!((v(k) - want).abs() < 1e-12, "{k} = {} not {want}", v(k));
    close("vb", 0.5);
    close("vab", 0.5);
    close("i1", -0.5e-3);
    close("t1", 0.5);
    close("mx", 0.5);
    close("av", 0.25);
    // Trapezoidal rms of V/2 over 10 steps: sqrt((1/4)(1/3 + 1/600)).
    close("rm", (0.25f64 * (1.0 / 3.0 + 1.0 / 600.0)).sqrt());
    close("pp", 0.3);
    close("fa", 0.15);
    close("fw", -1e-4);
    close("p2", 2.0);
    assert_eq!(m["nv"], (String::new(), "v(b) never crosses 7".to_string()));
    assert!(out.contains(".meas: 11 of 12 measurement(s) made"), "{out}");
}

#[test]
fn measurements_join_the_study_table() {
    let net = NET
        .replace(".param k=2\n", ".param k=2\n.param r2=1k\n")
        .replace("R2 b 0 1k", "R2 b 0 {r2}")
        + ".step param r2 list 1k 3k\n";
    let (dir, _) = run_netlist("meas-step", &net);
    let mut r = csv::Reader::from_path(dir.join("steps.csv")).unwrap();
    let head = r.headers().unwrap().clone();
    let col = head.iter().position(|h| h == "meas.vb").unwrap();
    let vb: Vec<f64> = r
        .records()
        .map(|x| x.unwrap()[col].parse().unwrap())
        .collect();
    assert!(
        (vb[0] - 0.5).abs() < 1e-12 && (vb[1] - 0.75).abs() < 1e-12,
        "{vb:?}"
    );
}

#[test]
fn bad_meas_cards_are_located() {
    let e = errors("t\nV1 a 0 1\nR1 a 0 1k\n.meas tran x find v(a)\n.op\n");
    assert!(
        e.contains(":4:7: error: xbarsim measures op and dc results, not 'tran'"),
        "{e}"
    );
    let e = errors("t\nV1 a 0 1\nR1 a 0 1k\n.meas op x find q(a)\n.op\n");
    assert!(
        e.contains(":4:17: error: 'q(a)' is not v(node), v(a,b) or i(vsource)"),
        "{e}"
    );
    let e = errors("t\nV1 a 0 1\nR1 a 0 1k\n.meas dc x find v(a)\n.dc V1 0 1 1\n");
    assert!(
        e.contains(":4:12: error: .meas dc ... find needs at=X or when OUT=VAL"),
        "{e}"
    );
    let e = errors("t\nV1 a 0 1\nR1 a 0 1k\n.meas op x max v(a)\n.op\n");
    assert!(
        e.contains(":4:12: error: 'max' needs a sweep: use .meas dc"),
        "{e}"
    );
    let e = errors("t\nV1 a 0 1\nR1 a 0 1k\n.meas op x find v(a)\n.meas op x find v(a)\n.op\n");
    assert!(
        e.contains(":5:1: error: measurement 'x' is defined twice"),
        "{e}"
    );
    let e = errors("t\nV1 a 0 1\nR1 a 0 1k\n.meas op x frob v(a)\n.op\n");
    assert!(
        e.contains(":4:12: error: expected find, when, min, max, avg, pp, rms or param="),
        "{e}"
    );
}

/// `rise=`, `fall=`, `cross=` (N or `last`) pick among several crossings:
/// v(o) = 4(V1 − 0.5)(V1 − 1)(V1 − 1.5) through 1 Ω crosses 0.1 rising
/// near 0.5, falling near 1 and rising near 1.5 (the roots found by
/// bisection here). The sweep's 2001 points interpolate linearly, so within
/// 2e-6 V.
#[test]
fn when_picks_the_asked_crossing() {
    let net = "t\nV1 a 0 0\nR0 a 0 1k\nB1 0 o I={4*(V(a)-0.5)*(V(a)-1)*(V(a)-1.5)}\nR1 o 0 1\n\
        .meas dc r1 when v(o)=0.1 rise=1\n.meas dc r2 when v(o)=0.1 rise=2\n\
        .meas dc f1 when v(o)=0.1 fall=1\n.meas dc fl when v(o)=0.1 fall=last\n\
        .meas dc c3 when v(o)=0.1 cross=3\n.meas dc cl when v(o)=0.1 cross=last\n\
        .meas dc c2 when v(o)=0.1 cross=2\n.meas dc first when v(o)=0.1\n\
        .meas dc fi find i(v1) when v(o)=0.1 rise=2\n.meas dc r3 when v(o)=0.1 rise=3\n\
        .dc V1 0 2 0.001\n";
    let (dir, out) = run_netlist("meas-edges", net);
    let m = meas(&dir);
    let v = |k: &str| -> f64 {
        m[k].0
            .parse()
            .unwrap_or_else(|_| panic!("{k}: {:?} {out}", m[k]))
    };
    let f = |x: f64| 4.0 * (x - 0.5) * (x - 1.0) * (x - 1.5) - 0.1;
    let (ra, fa, rb) = (
        bisect(f, 0.5, 0.75),
        bisect(f, 0.75, 1.0),
        bisect(f, 1.5, 1.75),
    );
    assert!(ra < fa && fa < rb);
    for (k, want) in [
        ("r1", ra),
        ("r2", rb),
        ("f1", fa),
        ("fl", fa),
        ("c2", fa),
        ("c3", rb),
        ("cl", rb),
        ("first", ra),
    ] {
        assert!((v(k) - want).abs() < 2e-6, "{k} = {} not {want}", v(k));
    }
    // i(v1) at the second rise: the 1k load draws V1/1k out of V1's + end.
    assert!((v("fi") + rb / 1e3).abs() < 2e-9, "{}", v("fi"));
    assert_eq!(m["r3"].0, "");
    assert!(
        m["r3"].1.contains("rises through 0.1 fewer than 3 time(s)"),
        "{:?}",
        m["r3"]
    );
    // Bad edges are located errors.
    for (card, msg) in [
        (
            ".meas dc x when v(a)=0.5 rise=0",
            "a whole number from 1, or last",
        ),
        (
            ".meas dc x when v(a)=0.5 cross=1.5",
            "a whole number from 1, or last",
        ),
        (
            ".meas dc x when v(a)=0.5 rise=1 fall=1",
            "one of rise=, fall= or cross=",
        ),
    ] {
        let e = errors(&format!("t\nV1 a 0 0\nR0 a 0 1k\n{card}\n.dc V1 0 1 0.1\n"));
        assert!(e.contains(msg) && e.contains(":4:"), "{card}: {e}");
    }
}
