//! Analytic answers: dividers, bridges, the driven-line ladder, floating and
//! current sources, B-source and memristor laws, controlled sources.

use crate::common::*;

#[test]
fn divider_and_source_current_sign() {
    let m = op_map("divider\nV1 in 0 DC 10\nR1 in mid 3k\nR2 mid 0 7k\n.op\n");
    assert_close(m["v(mid)"], 7.0, 1e-12, "v(mid)");
    assert_close(m["v(in)"], 10.0, 1e-15, "v(in)");
    // SPICE: positive current flows into the + terminal; a source delivering power has i < 0.
    assert_close(m["i(v1)"], -1e-3, 1e-12, "i(v1)");
}

/// Unbalanced Wheatstone bridge against the 2×2 nodal equations solved by hand (Cramer).
#[test]
fn wheatstone_bridge() {
    let (v, r1, r2, r3, r4, r5) = (10.0, 1e3, 2e3, 3e3, 4e3, 5e3);
    let m = op_map(&format!("bridge\nV1 a 0 {v}\nR1 a c {r1}\nR2 a d {r2}\nR3 c 0 {r3}\nR4 d 0 {r4}\nR5 c d {r5}\n.op\n"));
    // [1/r1+1/r3+1/r5, -1/r5; -1/r5, 1/r2+1/r4+1/r5] [vc vd]^T = [v/r1, v/r2]
    let (a11, a12, a22) = (
        1.0 / r1 + 1.0 / r3 + 1.0 / r5,
        -1.0 / r5,
        1.0 / r2 + 1.0 / r4 + 1.0 / r5,
    );
    let (b1, b2) = (v / r1, v / r2);
    let det = a11 * a22 - a12 * a12;
    let vc = (b1 * a22 - a12 * b2) / det;
    let vd = (a11 * b2 - a12 * b1) / det;
    assert_close(m["v(c)"], vc, 1e-12, "v(c)");
    assert_close(m["v(d)"], vd, 1e-12, "v(d)");
    let i_src = (v - vc) / r1 + (v - vd) / r2;
    assert_close(m["i(v1)"], -i_src, 1e-12, "i(v1)");
}

/// Single driven line of N cells (REFERENCE §6):
/// V_k = V·cosh(θ(N+½−k))/cosh(θ(N+½)), cosh θ = 1 + rG/2.
fn ladder(device: &str) {
    let (n, r, g, v): (usize, f64, f64, f64) = (200, 2.5, 1e-4, 0.3);
    let mut t = String::from("ladder\n.model lin memristor (level=linear)\n");
    t += &format!("V1 n0 0 {v}\n");
    for k in 1..=n {
        t += &format!("R{k} n{} n{k} {r}\n", k - 1);
        match device {
            "resistor" => t += &format!("RG{k} n{k} 0 {}\n", 1.0 / g),
            _ => t += &format!("YMEMRISTOR m{k} n{k} 0 lin g={g}\n"),
        }
    }
    t += ".op\n";
    let m = op_map(&t);
    let theta = (1.0 + r * g / 2.0).acosh();
    let nh = n as f64 + 0.5;
    for k in [1, 2, 50, 100, 199, 200] {
        let want = v * (theta * (nh - k as f64)).cosh() / (theta * nh).cosh();
        assert_close(m[&format!("v(n{k})")], want, 1e-10, &format!("V_{k}"));
    }
}

#[test]
fn ladder_closed_form_resistors() {
    ladder("resistor");
}
#[test]
fn ladder_closed_form_linear_memristors() {
    ladder("memristor");
}

/// A voltage source between two non-ground nodes (a supernode).
#[test]
fn floating_voltage_source() {
    let m = op_map("float\nV1 a 0 5\nR1 a b 1k\nV2 b c 2\nR2 c 0 1k\n.op\n");
    assert_close(m["v(c)"], 1.5, 1e-12, "v(c)");
    assert_close(m["v(b)"], 3.5, 1e-12, "v(b)");
    assert_close(m["i(v2)"], 1.5e-3, 1e-12, "i(v2)");
    assert_close(m["i(v1)"], -1.5e-3, 1e-12, "i(v1)");
}

/// A floating chain of sources with a floating root, no grounded source at all.
#[test]
fn floating_source_chain() {
    // Vx holds x − y = 1, Vy holds y − z = 2; resistors to ground from each.
    let m = op_map("chain\nVx x y 1\nVy y z 2\nR1 x 0 1k\nR2 y 0 2k\nR3 z 0 4k\nI1 0 x 1m\n.op\n");
    // KCL on the supernode: vx/1k + vy/2k + vz/4k = 1 mA, vx = vz + 3, vy = vz + 2.
    let vz = (1e-3 - 3.0 / 1e3 - 2.0 / 2e3) / (1.0 / 1e3 + 1.0 / 2e3 + 1.0 / 4e3);
    assert_close(m["v(z)"], vz, 1e-12, "v(z)");
    assert_close(m["v(x)"], vz + 3.0, 1e-12, "v(x)");
    // Vy carries the current of R3 (from y to z through Vy = into its + terminal).
    assert_close(m["i(vy)"], vz / 4e3, 1e-12, "i(vy)");
}

#[test]
fn current_sources() {
    // I1 0 a 1m: 1 mA flows from 0 through the source into a.
    let m = op_map("isrc\nI1 0 a 1m\nR1 a 0 1k\nI2 b 0 DC 2mA\nR2 b 0 500\n.op\n");
    assert_close(m["v(a)"], 1.0, 1e-12, "v(a)");
    assert_close(m["v(b)"], -1.0, 1e-12, "v(b)");
}

#[test]
fn bsource_sinh_with_series_resistor() {
    let m = op_map("b\n.options reltol=1e-12 vntol=1e-15\nV1 a 0 0.5\nR1 a b 1k\nB1 b 0 I=1e-4*sinh(3*V(b))\n.op\n");
    let vb = bisect(|x| (0.5 - x) / 1e3 - 1e-4 * (3.0 * x).sinh(), 0.0, 0.5);
    assert_close(m["v(b)"], vb, 1e-10, "v(b)");
    // Same law written with braces, V(b,0), a parameter and ** power.
    let m2 = op_map("t\n.options reltol=1e-12 vntol=1e-15\n.param k=1e-4 beta=3\nV1 a 0 0.5\nR1 a b 1k\nB1 b 0 I = {k*sinh(beta*V(b,0))} + 0*V(b)**3\n.op\n");
    assert_close(m2["v(b)"], vb, 1e-10, "v(b) param form");
}

#[test]
fn bsource_cubic_negative_voltage_keeps_sign() {
    // I = 1e-4*V^3 + 1e-4*V: with V(b) < 0 the current must be negative (not |V|^3).
    let m = op_map("b\n.options reltol=1e-12 vntol=1e-15\nV1 a 0 -0.8\nR1 a b 1k\nB1 b 0 I=1e-4*V(b)^3 + 1e-4*V(b)\n.op\n");
    let vb = bisect(
        |x| (-0.8 - x) / 1e3 - (1e-4 * x * x * x + 1e-4 * x),
        -0.8,
        0.0,
    );
    assert_close(m["v(b)"], vb, 1e-10, "v(b)");
}

#[test]
fn memristor_laws_against_hand_values() {
    // Each device alone across a source: the source current is −I(V).
    let net = "m\n.model lin memristor (level=linear)\n.model sh memristor level=sinh beta=2.6\n.model cu memristor (level=cubic temp=27)\n\
               V1 a 0 0.25\nYMEMRISTOR m1 a 0 lin g=50u\n\
               V2 b 0 -0.7\nYMEMRISTOR m2 b 0 sh g=20u\n\
               V3 c 0 0.25\nYMEMRISTOR m3 c 0 cu g=8u\n.op\n";
    let m = op_map(net);
    assert_close(m["i(v1)"], -50e-6 * 0.25, 1e-12, "linear");
    assert_close(
        m["i(v2)"],
        -(20e-6 / 2.6) * (2.6f64 * -0.7).sinh(),
        1e-12,
        "sinh",
    );
    // Nili 2020 at 27 °C with G0 = 8 µS: A1 = -2.58e-6 + 0.977 G0 + 1.166e-7 T, A3 = 1.18 G0 + 6596 G0² + 1.605e-3 T^-1.33.
    let g0: f64 = 8e-6;
    let a1 = -2.58e-6 + 0.977 * g0 + 1.166e-7 * 27.0;
    let a3 = 1.18 * g0 + 6596.0 * g0 * g0 + 1.605e-3 * 27f64.powf(-1.33);
    let i = a1 * 0.25 + a3 * 0.25f64.powi(3);
    assert_close(m["i(v3)"], -i, 1e-12, "cubic");
    assert!(
        (i - 2.56e-6).abs() < 0.01e-6,
        "paper value 2.56 µA, got {i}"
    );
}

#[test]
fn model_default_state_and_temp_card() {
    // g from the model card; cubic temperature from .temp.
    let m = op_map("t\n.temp 50\n.model cu memristor (level=cubic g=8u)\nV1 a 0 0.25\nYMEMRISTOR m1 a 0 cu\n.op\n");
    let (g0, t): (f64, f64) = (8e-6, 50.0);
    let a1 = -2.58e-6 + 0.977 * g0 + 1.166e-7 * t;
    let a3 = 1.18 * g0 + 6596.0 * g0 * g0 + 1.605e-3 * t.powf(-1.33);
    assert_close(
        m["i(v1)"],
        -(a1 * 0.25 + a3 * 0.015625),
        1e-12,
        "cubic at 50 °C",
    );
}

/// A voltage-controlled current source (non-symmetric Jacobian: LU).
#[test]
fn controlled_source_uses_lu() {
    let c = circuit("vccs\nV1 a 0 1\nR1 a 0 1k\nB1 0 b I=2e-3*V(a)\nR2 b 0 1k\n.op\n");
    let e = xbarsim::analysis::Engine::new(&c).unwrap();
    assert!(!e.solver.is_cholesky());
    let m = op_map("vccs\nV1 a 0 1\nR1 a 0 1k\nB1 0 b I=2e-3*V(a)\nR2 b 0 1k\n.op\n");
    assert_close(m["v(b)"], 2.0, 1e-12, "v(b)");
}

/// Negative differential conductance makes J indefinite: Cholesky fails, LU takes over.
#[test]
fn negative_conductance_falls_back_to_lu() {
    let m = op_map("neg\nV1 s 0 1\nR1 s a 1k\nB1 a 0 I=-2e-3*V(a)\n.op\n");
    assert_close(m["v(a)"], -1.0, 1e-12, "v(a)");
}

#[test]
fn dc_sweep_linear_and_nonlinear() {
    let out = tmpdir("dcsweep");
    let net = out.join("sweep.cir");
    std::fs::write(&net, "sweep\n.options reltol=1e-12 vntol=1e-15\nV1 a 0 0\nR1 a b 1k\nB1 b 0 I=1e-4*sinh(3*V(b))\nR2 a c 1k\nR3 c 0 3k\n.dc V1 0 1 0.25\n.op\n").unwrap();
    let (code, _, err) = run_bin(&[
        "run",
        "-q",
        net.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let mut r = csv::Reader::from_path(out.join("dc.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    assert_eq!(&h[0], "v1");
    let ib = h.iter().position(|x| x == "v(b)").unwrap();
    let ic = h.iter().position(|x| x == "v(c)").unwrap();
    let rows: Vec<Vec<f64>> = r
        .records()
        .map(|x| x.unwrap().iter().map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 5);
    for row in rows {
        let v = row[0];
        assert_close(row[ic], 0.75 * v, 1e-12, "v(c)");
        let vb = bisect(|x| (v - x) / 1e3 - 1e-4 * (3.0 * x).sinh(), -1e-9, v + 1e-9);
        assert!(
            (row[ib] - vb).abs() < 1e-10,
            "v(b) at {v}: {} vs {vb}",
            row[ib]
        );
    }
}

/// Forced CG on a circuit whose matrix is indefinite: the preconditioner is not
/// positive definite, CG gives way to Cholesky, which gives way to LU.
#[test]
fn iterative_falls_back_to_direct_then_lu() {
    let m =
        op_map("neg\n.options solver=iterative\nV1 s 0 1\nR1 s a 1k\nB1 a 0 I=-2e-3*V(a)\n.op\n");
    assert_close(m["v(a)"], -1.0, 1e-12, "v(a)");
}

/// Ladder closed form through CG.
#[test]
fn ladder_closed_form_iterative() {
    let (n, r, g, v): (usize, f64, f64, f64) = (300, 2.5, 1e-4, 0.3);
    let mut t = String::from("ladder\n.options solver=iterative\n");
    t += &format!("V1 n0 0 {v}\n");
    for k in 1..=n {
        t += &format!("R{k} n{} n{k} {r}\nRG{k} n{k} 0 {}\n", k - 1, 1.0 / g);
    }
    t += ".op\n";
    let c = circuit(&t);
    let e = xbarsim::analysis::Engine::new(&c).unwrap();
    assert!(e.solver.is_iterative());
    let m = op_map(&t);
    let theta = (1.0 + r * g / 2.0).acosh();
    let nh = n as f64 + 0.5;
    for k in [1, 150, 300] {
        let want = v * (theta * (nh - k as f64)).cosh() / (theta * nh).cosh();
        assert_close(m[&format!("v(n{k})")], want, 1e-10, &format!("V_{k}"));
    }
}

/// A state outside the model's conductance window is clipped, with a warning.
#[test]
fn state_outside_window_is_clipped() {
    let c = circuit("w\n.model d memristor (level=linear gmin=3u gmax=100u)\nV1 a 0 1\nYMEMRISTOR m1 a 0 d g=200u\nYMEMRISTOR m2 a 0 d g=1u\n.op\n");
    assert_close(c.memristors[0].g, 100e-6, 1e-15, "clipped to gmax");
    assert_close(c.memristors[1].g, 3e-6, 1e-15, "clipped to gmin");
    assert_eq!(c.warnings.len(), 2);
    assert!(c.warnings[0].message.contains("outside its model's window"));
}
