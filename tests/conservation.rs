//! Conservation laws on random circuits (seeded): Kirchhoff's current law at
//! every node and power balance (sources deliver what resistors and devices
//! dissipate), computed here from the written node voltages and source
//! currents with the element laws re-implemented independently.

use crate::common::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;

enum El {
    R(String, String, f64),
    V(String, String, String, f64),
    I(String, String, f64),
    /// sinh device: g, beta
    M(String, String, f64, f64),
}

fn random_circuit(seed: u64, nonlinear: bool, reltol: Option<f64>) -> (String, Vec<El>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let n = rng.random_range(5..40);
    let node = |k: usize| {
        if k == 0 {
            "0".to_string()
        } else {
            format!("n{k}")
        }
    };
    let mut els = Vec::new();
    for k in 1..=n {
        let p = rng.random_range(0..k);
        els.push(El::R(node(k), node(p), rng.random_range(10.0..1e5)));
    }
    for _ in 0..n {
        let (a, b) = (rng.random_range(0..=n), rng.random_range(0..=n));
        if a != b {
            els.push(El::R(node(a), node(b), rng.random_range(10.0..1e5)));
        }
    }
    // Voltage sources without loops (disjoint sets).
    let mut dsu: Vec<usize> = (0..=n).collect();
    fn find(d: &mut Vec<usize>, x: usize) -> usize {
        if d[x] != x {
            let r = find(d, d[x]);
            d[x] = r;
        }
        d[x]
    }
    let mut nv = 0;
    for _ in 0..rng.random_range(1..5) {
        let (a, b) = (rng.random_range(0..=n), rng.random_range(0..=n));
        let (ra, rb) = (find(&mut dsu, a), find(&mut dsu, b));
        if ra != rb {
            dsu[ra] = rb;
            nv += 1;
            els.push(El::V(
                format!("v{nv}"),
                node(a),
                node(b),
                rng.random_range(-2.0..2.0),
            ));
        }
    }
    for _ in 0..rng.random_range(0..4) {
        let (a, b) = (rng.random_range(0..=n), rng.random_range(0..=n));
        els.push(El::I(node(a), node(b), rng.random_range(-1e-4..1e-4)));
    }
    if nonlinear {
        for _ in 0..n {
            let (a, b) = (rng.random_range(0..=n), rng.random_range(0..=n));
            if a != b {
                els.push(El::M(
                    node(a),
                    node(b),
                    rng.random_range(1e-5..1e-4),
                    rng.random_range(1.0..3.0),
                ));
            }
        }
    }
    let mut t = format!("random seed {seed}\n");
    if let Some(r) = reltol {
        t += &format!(".options reltol={r:e} abstol=1e-18 vntol=1e-15\n");
    }
    for (k, e) in els.iter().enumerate() {
        t += &match e {
            El::R(a, b, r) => format!("R{k} {a} {b} {r:.17e}\n"),
            El::V(name, a, b, v) => format!("{name} {a} {b} DC {v:.17e}\n"),
            El::I(a, b, i) => format!("I{k} {a} {b} {i:.17e}\n"),
            El::M(a, b, g, beta) => format!(".model md{k} memristor (level=sinh beta={beta:.17e})\nYMEMRISTOR m{k} {a} {b} md{k} g={g:.17e}\n"),
        };
    }
    t += ".op\n";
    (t, els)
}

/// `reltol`: the netlist's option (None: the default). KCL must hold to the
/// solver's promise |ΣI| ≤ reltol·max|I| + abstol at every node; the power
/// balance to `ptol` relative.
fn check(seed: u64, nonlinear: bool, reltol: Option<f64>, ptol: f64) {
    let (text, els) = random_circuit(seed, nonlinear, reltol);
    let rt = reltol.unwrap_or(xbarsim::circuit::Options::default().reltol);
    let abstol = if reltol.is_some() {
        1e-18
    } else {
        xbarsim::circuit::Options::default().abstol
    };
    let m = op_map(&text);
    let v = |n: &str| if n == "0" { 0.0 } else { m[&format!("v({n})")] };
    let mut kcl: HashMap<String, f64> = HashMap::new();
    let mut scale: HashMap<String, f64> = HashMap::new();
    let mut leave = |a: &str, b: &str, i: f64| {
        *kcl.entry(a.to_string()).or_default() += i;
        *kcl.entry(b.to_string()).or_default() -= i;
        for x in [a, b] {
            let s = scale.entry(x.to_string()).or_default();
            *s = s.max(i.abs());
        }
    };
    let (mut delivered, mut dissipated) = (0.0, 0.0);
    for e in &els {
        match e {
            El::R(a, b, r) => {
                let i = (v(a) - v(b)) / r;
                leave(a, b, i);
                dissipated += i * (v(a) - v(b));
            }
            El::M(a, b, g, beta) => {
                let vab = v(a) - v(b);
                let i = g / beta * (beta * vab).sinh();
                leave(a, b, i);
                dissipated += i * vab;
            }
            El::V(name, a, b, volts) => {
                let i = m[&format!("i({name})")];
                leave(a, b, i);
                delivered -= volts * i;
            }
            El::I(a, b, amps) => {
                leave(a, b, *amps);
                delivered += amps * (v(b) - v(a));
            }
        }
    }
    for (node, sum) in &kcl {
        if node == "0" {
            continue;
        }
        let s = scale[node];
        assert!(
            sum.abs() <= rt * s + abstol,
            "seed {seed}: KCL at {node}: {sum:e} (scale {s:e})"
        );
    }
    let p = delivered.abs().max(dissipated.abs());
    assert!(
        (delivered - dissipated).abs() <= ptol * p + 1e-18,
        "seed {seed}: power {delivered:e} delivered vs {dissipated:e} dissipated"
    );
}

#[test]
fn kcl_and_power_balance_linear() {
    for seed in 0..40 {
        check(seed, false, None, 1e-9);
    }
}

#[test]
fn kcl_and_power_balance_nonlinear_default_tolerance() {
    for seed in 100..140 {
        check(seed, true, None, 1e-5);
    }
}

#[test]
fn kcl_and_power_balance_nonlinear_tight_tolerance() {
    for seed in 100..140 {
        check(seed, true, Some(1e-11), 1e-9);
    }
}
