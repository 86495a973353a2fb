//! Pulse programming: device dynamics by their equations, bias schemes seen
//! by half-selected devices, reads that do not disturb hard-threshold
//! devices, and the tuning algorithms on ideal and on stuck devices.

use crate::common::*;
use xbarsim::analysis::program::engine::PulseEngine;
use xbarsim::analysis::program::{self, Algorithm, ProgramSpec};
use xbarsim::analysis::read::Scheme;

const NILI: &str =
    ".model m memristor (level=cubic temp=27 gmin=3u gmax=100u dyn=nili vset=1.19 vreset=-1.39)";

/// Nili 2020 pulse model written out independently of the library (default
/// coefficients of the model card).
pub(crate) fn nili_dg(g: f64, v: f64, tp: f64) -> f64 {
    let (lo, hi) = (3e-6, 100e-6);
    let (c0, c1, c2, c3) = (2e-6, -0.25, (1e-3f64).ln(), 30.0);
    let c1r = 0.25;
    let set = c0 * (hi - g) / (hi - lo)
        * (1.0 - (c1 * (tp.ln() - c2)).tanh())
        * ((c3 * v - c3 * 1.19).tanh() + 1.0);
    let reset = c0 * (g - lo) / (hi - lo)
        * (1.0 + (c1r * (tp.ln() - c2)).tanh())
        * (1.0 - (c3 * v + c3 * 1.39).tanh());
    set - reset
}

fn run_dir(tag: &str, net: &str) -> std::path::PathBuf {
    run_netlist(&format!("program-{tag}"), net).0
}

#[test]
fn single_device_follows_the_nili_equation_pulse_by_pulse() {
    let net = format!(
        "one device\n{NILI}\n.crossbar xb rows=1 cols=1 model=m g=20u\n\
         .pulse xb row=0 col=0 v=1.3 count=5 tp=1m\n.pulse xb row=0 col=0 v=1.25 count=3 tp=10m\n\
         .pulse xb row=0 col=0 v=-1.6 count=3 tp=1m\n.pulse xb row=0 col=0 v=-1.6 count=3 tp=10m\n.end\n"
    );
    let dir = run_dir("single", &net);
    let text = std::fs::read_to_string(dir.join("xb_pulses.csv")).unwrap();
    let mut g = 20e-6;
    let tps = [1e-3; 5]
        .into_iter()
        .chain([10e-3; 3])
        .chain([1e-3; 3])
        .chain([10e-3; 3])
        .collect::<Vec<_>>();
    let mut n = 0;
    let mut trace = vec![g];
    for (line, tp) in text.lines().skip(1).zip(tps) {
        let f: Vec<f64> = line
            .split(',')
            .map(|x| x.parse().unwrap_or(f64::NAN))
            .collect();
        let (v_cell, g0, g1) = (f[3], f[4], f[5]);
        assert_close(g0, g, 1e-12, "state carried from the last pulse");
        // The device sees less than the driver (1 ohm switches at both ends).
        assert!(v_cell.abs() < 1.6 && v_cell.abs() > 1.2, "{v_cell}");
        let want = (g + nili_dg(g, v_cell, tp)).clamp(3e-6, 100e-6);
        assert_close(g1, want, 1e-9, "state after the pulse");
        g = g1;
        trace.push(g);
        n += 1;
    }
    assert_eq!(n, 14);
    // Set pulses raise the state, reset pulses lower it, every time.
    assert!(trace[..9].windows(2).all(|w| w[1] > w[0]), "{trace:?}");
    assert!(trace[8..].windows(2).all(|w| w[1] < w[0]), "{trace:?}");
}

/// Circuit of `net` (a crossbar `xb` without periphery; a placeholder
/// `.pulse` card marks the lines as driven by an analysis).
fn xbar_circuit(net: &str) -> xbarsim::circuit::Circuit {
    let net = net.replace(".end\n", ".pulse xb row=0 col=0 v=0\n.end\n");
    circuit(&net)
}

fn engine(net: &str, scheme: Scheme, rdrive: f64, seed: u64) -> PulseEngine {
    let c = xbar_circuit(net);
    PulseEngine::new(
        &c,
        0,
        rdrive,
        rdrive,
        1e-3,
        scheme,
        Scheme::Ground,
        0.25,
        seed,
    )
    .unwrap()
}

#[test]
fn half_selected_devices_see_the_scheme_voltage() {
    // Ideal lines and near-ideal switches: exactly the textbook voltages.
    let lin = ".model m memristor (level=linear gmin=1u gmax=100u dyn=vteam vset=1 vreset=-1)";
    let net = format!("hs\n{lin}\n.crossbar xb rows=6 cols=7 model=m g=50u\n.end\n");
    for (scheme, half, other) in [
        (Scheme::Half, 0.5, 0.0),
        (Scheme::Third, 1.0 / 3.0, -1.0 / 3.0),
    ] {
        let mut e = engine(&net, scheme, 1e-6, 1);
        e.solve_write(2 * 7 + 3, 1.0).unwrap();
        for k in 0..42 {
            let (i, j) = (k / 7, k % 7);
            let want = if i == 2 && j == 3 {
                1.0
            } else if i == 2 || j == 3 {
                half
            } else {
                other
            };
            assert!(
                (e.vdev[k] - want).abs() < 1e-6,
                "{scheme:?} ({i},{j}): {} vs {want}",
                e.vdev[k]
            );
        }
    }
    // Floating lines, uniform linear N x N array: V(N-1)/(2N-1) across the
    // half-selected devices (sneak paths set it).
    let net6 = format!("fl\n{lin}\n.crossbar xb rows=6 cols=6 model=m g=50u\n.end\n");
    let mut e = engine(&net6, Scheme::Float, 1e-6, 1);
    e.solve_write(0, 1.0).unwrap();
    let v_half = 1.0 * 5.0 / 11.0;
    // Half-selected on the selected row see V - V(row-floating lines);
    // by symmetry all floating columns sit at the same voltage.
    let vr = e.vdev[1];
    assert!(
        (vr - (1.0 - v_half)).abs() < 1e-6 || (vr - v_half).abs() < 1e-6,
        "{vr}"
    );
    // With wire resistance the half-selected devices see V/2 minus the IR drop.
    let wired = format!("w\n{lin}\n.crossbar xb rows=6 cols=7 model=m g=50u rrow=5 rcol=5\n.end\n");
    let mut e = engine(&wired, Scheme::Half, 1.0, 1);
    e.solve_write(2 * 7 + 3, 1.0).unwrap();
    for k in 0..42 {
        let (i, j) = (k / 7, k % 7);
        if (i == 2) != (j == 3) {
            assert!(
                e.vdev[k] < 0.5 && e.vdev[k] > 0.49,
                "({i},{j}) {}",
                e.vdev[k]
            );
        }
    }
    assert!(e.vdev[2 * 7 + 3] < 1.0 && e.vdev[2 * 7 + 3] > 0.98);
}

#[test]
fn reads_below_a_hard_threshold_never_move_a_device() {
    let net =
        "r\n.model m memristor (level=linear gmin=1u gmax=100u dyn=vteam vset=0.3 vreset=-0.3)\n\
               .crossbar xb rows=4 cols=4 model=m g=30u rrow=2 rcol=2\n.end\n";
    let mut e = engine(net, Scheme::Half, 1.0, 1);
    let before: Vec<f64> = (0..16).map(|k| e.g(k)).collect();
    for _ in 0..20 {
        for k in 0..16 {
            e.read(k).unwrap();
        }
    }
    let after: Vec<f64> = (0..16).map(|k| e.g(k)).collect();
    assert_eq!(before, after);
    // Above the threshold the same reads do move the selected devices.
    e.vread = 0.45;
    for k in 0..16 {
        e.read(k).unwrap();
    }
    assert!((0..16).any(|k| e.g(k) != before[k]));
}

fn spec_for(target: Vec<f64>, alg: Algorithm) -> ProgramSpec {
    let mut s = ProgramSpec::new(0, target);
    s.algorithm = alg;
    s.cycles = 2;
    s
}

fn targets(n: usize, seed: u64) -> Vec<f64> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            10e-6 + 80e-6 * ((x >> 11) as f64 / (1u64 << 53) as f64)
        })
        .collect()
}

#[test]
fn every_algorithm_converges_on_ideal_devices() {
    let net =
        format!("ideal\n{NILI}\n.crossbar xb rows=5 cols=5 model=m g=20u rrow=1 rcol=1\n.end\n");
    let c = xbar_circuit(&net);
    for alg in [
        Algorithm::WriteVerify,
        Algorithm::Ispp,
        Algorithm::FeedForward,
    ] {
        let s = spec_for(targets(25, 3), alg);
        let r = program::run(&c, &s, |_, _, _| {}).unwrap();
        assert!(r.failure.is_none());
        assert_eq!(r.failed_devices, 0, "{alg:?}");
        assert_eq!(r.within_tol_pct(s.tol), 100.0, "{alg:?}: {:?}", r.error_pct);
        assert!(r.mean_abs_error_pct() < 100.0 * s.tol, "{alg:?}");
        assert!(r.pulses() > 0);
    }
}

#[test]
fn stuck_devices_are_reported_as_failures() {
    let net = "stuck\n.model m memristor (level=cubic temp=27 gmin=3u gmax=100u dyn=nili stuck=0.15 stuck_state=off)\n\
               .crossbar xb rows=6 cols=6 model=m g=20u rrow=1 rcol=1\n.end\n";
    let c = xbar_circuit(net);
    let mut s = spec_for(targets(36, 9), Algorithm::WriteVerify);
    s.cycles = 3;
    let r = program::run(&c, &s, |_, _, _| {}).unwrap();
    let nstuck = r.stuck.iter().filter(|x| **x).count();
    assert!((2..15).contains(&nstuck), "{nstuck}");
    assert_eq!(r.failed_devices, nstuck);
    for k in 0..36 {
        if r.stuck[k] {
            assert!(
                r.error_pct[k].abs() > 5.0,
                "stuck device {k} cannot be within tolerance"
            );
            assert_eq!(r.g_final[k], r.g_initial[k]);
        } else {
            assert!(
                r.error_pct[k].abs() <= 5.0,
                "device {k}: {}",
                r.error_pct[k]
            );
        }
    }
}

#[test]
fn same_seed_same_result_other_seed_other_devices() {
    let net = "seed\n.model m memristor (level=cubic temp=27 gmin=3u gmax=100u dyn=nili vset_sd=0.3 vreset_sd=0.3 vcorr=0.5 stuck=0.05 c2c=0.2)\n\
               .crossbar xb rows=4 cols=4 model=m g=20u rrow=1 rcol=1\n.end\n";
    let c = xbar_circuit(net);
    let mut s = spec_for(targets(16, 5), Algorithm::WriteVerify);
    let a = program::run(&c, &s, |_, _, _| {}).unwrap();
    let b = program::run(&c, &s, |_, _, _| {}).unwrap();
    assert_eq!(a.g_final, b.g_final);
    assert_eq!(a.pulses(), b.pulses());
    s.seed = 2;
    let d = program::run(&c, &s, |_, _, _| {}).unwrap();
    assert_ne!(a.g_final, d.g_final);
}

#[test]
fn quantized_device_steps_one_state_per_pulse() {
    // Seed 004: from the top state (16 G0), each reset pulse lowers it by 0.5 G0.
    let net = "qc\n.model m memristor (level=linear dyn=quantized sigma=0 vset=1 vreset=-1)\n\
               .crossbar xb rows=1 cols=1 model=m g=1.24m\n.end\n";
    let mut e = engine(net, Scheme::Half, 1.0, 1);
    let g0 = 77.5e-6;
    assert_close(e.g(0), 16.0 * g0, 1e-9, "top state");
    for n in 1..=5 {
        e.pulse(0, -1.5).unwrap();
        assert_close(e.g(0), (16.0 - 0.5 * n as f64) * g0, 1e-9, "state n");
    }
    e.pulse(0, -0.5).unwrap(); // below threshold: no step
    assert_close(e.g(0), 13.5 * g0, 1e-9, "no step below threshold");
    e.pulse(0, 1.5).unwrap();
    assert_close(e.g(0), 14.0 * g0, 1e-9, "a set pulse steps back up");
}

/// A ramp of 8×8 targets from 10 to 100 µS in `dir/t.csv`, and the card
/// whose Gaussian thresholds the programming tests use.
fn ramp_targets(dir: &std::path::Path) -> &'static str {
    write_g_csv(&dir.join("t.csv"), 8, 8, |i, j| {
        10e-6 + 90e-6 * ((i * 8 + j) as f64 / 63.0)
    });
    ".model m memristor (level=cubic temp=27 gmin=3u gmax=100u dyn=nili vset_sd=0.31 vreset_sd=0.37 vcorr=0.6)"
}

/// `head` (title, card, crossbar xb) with a three-cycle `.program` of xb to
/// `dir/t.csv` plus `extra`, run in a fresh folder `tag`: the folder,
/// program.json and stdout.
fn program_in(
    dir: &std::path::Path,
    tag: &str,
    head: &str,
    extra: &str,
) -> (std::path::PathBuf, serde_json::Value, String) {
    let t = dir.join("t.csv");
    let net = format!(
        "{head}.program xb target=file(\"{}\") cycles=3 {extra}\n.end\n",
        t.display()
    );
    let (d, out) = run_netlist(tag, &net);
    let j =
        serde_json::from_str(&std::fs::read_to_string(d.join("program.json")).unwrap()).unwrap();
    (d, j, out)
}

#[test]
fn program_writes_its_files_and_disturbance_shows() {
    let dir = tmpdir("program-files");
    let lib = ramp_targets(&dir);
    let base = format!("f\n{lib}\n.crossbar xb rows=8 cols=8 model=m g=20u rrow=1 rcol=1\n");
    let read = |tag: &str, extra: &str| {
        let (d, j, out) = program_in(
            &dir,
            &format!("program-files-{tag}"),
            &base,
            &format!("log=1 {extra}"),
        );
        assert!(out.contains(".program xb: 8 x 8"), "{out}");
        for f in [
            "xb_program_g.csv",
            "xb_program_error.csv",
            "xb_program_hist.csv",
            "xb_program_cycles.csv",
            "xb_program_pulses.csv",
            "xb_program_g.png",
            "xb_program_target.png",
        ] {
            assert!(d.join(f).exists(), "{f}");
        }
        (d, j)
    };
    let (on_dir, on) = read("on", "");
    let (off_dir, off) = read("off", "disturb=0");
    for j in [&on, &off] {
        for k in [
            "mean_abs_error_pct",
            "within_tol_pct",
            "stuck_devices",
            "cycles",
            "pulses",
            "disturbed_devices",
        ] {
            assert!(j.get(k).is_some(), "{k}");
        }
        assert_eq!(j["per_cycle"]["pulses"].as_array().unwrap().len(), 3);
    }
    // With disturbance, half-selected devices move; without, the first
    // cycle already has every device in.
    let log_on = std::fs::read_to_string(on_dir.join("xb_program_pulses.csv")).unwrap();
    assert!(
        log_on
            .lines()
            .skip(1)
            .any(|l| l.rsplit(',').next() != Some("0")),
        "no pulse moved another device"
    );
    let log_off = std::fs::read_to_string(off_dir.join("xb_program_pulses.csv")).unwrap();
    assert!(log_off
        .lines()
        .skip(1)
        .all(|l| l.rsplit(',').next() == Some("0")));
    assert_eq!(
        off["per_cycle"]["within_tol_pct"][0].as_f64().unwrap(),
        100.0
    );
    assert_eq!(off["disturbed_devices"].as_u64().unwrap(), 0);
    // The log's half-selected voltages are about V/2.
    let log = std::fs::read_to_string(on_dir.join("xb_program_pulses.csv")).unwrap();
    for l in log.lines().skip(1).take(200) {
        let f: Vec<f64> = l.split(',').map(|x| x.parse().unwrap()).collect();
        let (vd, vh) = (f[3], f[8]);
        assert!(vh <= vd.abs() / 2.0 + 1e-9 && vh > 0.45 * vd.abs(), "{l}");
    }
}

/// A disturbed device either drifted (its own state left the band) or was
/// read-shifted (other devices' new states moved its read): with near-ideal
/// wires and switches a read is the device's own conductance, so every
/// disturbed device drifted; with `disturb=0` no device moves once left, so
/// every disturbed one was read-shifted; with both, both occur and add up.
#[test]
fn disturbed_devices_split_into_drift_and_read_shift() {
    let dir = tmpdir("program-split");
    let lib = ramp_targets(&dir);
    let run = |tag: &str, wires: &str, extra: &str| -> serde_json::Value {
        let head = format!("f\n{lib}\n.crossbar xb rows=8 cols=8 model=m g=20u {wires}\n");
        let (d, j, out) = program_in(&dir, &format!("program-split-{tag}"), &head, extra);
        let line = format!(
            "{} disturbed ({} drifted, {} by read shift)",
            j["disturbed_devices"], j["drifted_devices"], j["read_shifted_devices"]
        );
        assert!(out.contains(&line), "{line}\n{out}");
        // Per cycle the two add up to the disturbed devices, in program.json
        // and in the cycles table.
        let per = &j["per_cycle"];
        let at = |k: &str, c: usize| per[k][c].as_u64().unwrap();
        let table = std::fs::read_to_string(d.join("xb_program_cycles.csv")).unwrap();
        let mut lines = table.lines();
        assert!(lines
            .next()
            .unwrap()
            .ends_with(",disturbed_devices,drifted_devices,read_shifted_devices"));
        for (c, l) in lines.enumerate() {
            assert_eq!(
                at("drifted_devices", c) + at("read_shifted_devices", c),
                at("disturbed_devices", c),
                "{tag} cycle {c}"
            );
            let f: Vec<u64> = l.rsplit(',').take(3).map(|x| x.parse().unwrap()).collect();
            assert_eq!(
                f,
                [
                    at("read_shifted_devices", c),
                    at("drifted_devices", c),
                    at("disturbed_devices", c)
                ],
                "{l}"
            );
        }
        j
    };
    let count = |j: &serde_json::Value, k: &str| j[k].as_u64().unwrap();

    let ideal = run("ideal", "rrow=1m rcol=1m", "rdrive=1m rsense=1m");
    assert!(count(&ideal, "disturbed_devices") > 0);
    assert_eq!(
        count(&ideal, "drifted_devices"),
        count(&ideal, "disturbed_devices")
    );
    assert_eq!(count(&ideal, "read_shifted_devices"), 0);

    let still = run("still", "rrow=100 rcol=100", "disturb=0");
    assert!(count(&still, "disturbed_devices") > 0);
    assert_eq!(count(&still, "drifted_devices"), 0);
    assert_eq!(
        count(&still, "read_shifted_devices"),
        count(&still, "disturbed_devices")
    );

    let both = run("both", "rrow=100 rcol=100", "");
    let (d, dr, sh) = (
        count(&both, "disturbed_devices"),
        count(&both, "drifted_devices"),
        count(&both, "read_shifted_devices"),
    );
    assert!(dr > 0 && sh > 0, "{d} {dr} {sh}");
    // Distinct devices: each kind at most all, together at least all.
    assert!(dr <= d && sh <= d && dr + sh >= d, "{d} {dr} {sh}");
}

#[test]
fn program_card_errors_are_located() {
    let e = errors("x\n.model m memristor (level=linear gmin=1u gmax=1m)\n.crossbar xb rows=2 cols=2 model=m g=10u\n.program xb target=50u\n.end\n");
    assert!(
        e.contains(":4:") && e.contains("no switching dynamics"),
        "{e}"
    );
    let e = errors("x\n.model m memristor (level=linear gmin=1u gmax=1m dyn=magic)\n.end\n");
    assert!(
        e.contains(":2:") && e.contains("unknown switching dynamics 'magic'"),
        "{e}"
    );
    let e = errors("x\n.model m memristor (level=linear gmin=1u gmax=1m dyn=nili)\n.crossbar xb rows=2 cols=2 model=m g=10u\n.program xb target=50u scheme=ground\n.end\n");
    assert!(e.contains(":4:") && e.contains("write scheme"), "{e}");
    let e = errors("x\n.model m memristor (level=linear gmin=1u gmax=1m dyn=nili)\n.crossbar xb rows=2 cols=2 model=m g=10u\n.pulse xb row=5 col=0 v=1\n.end\n");
    assert!(e.contains(":4:") && e.contains("row"), "{e}");
}

#[test]
fn reads_answered_without_a_solve_track_many_tiny_moves() {
    // Pulses far below threshold move the device by ~1e-11 each: single
    // moves are below the read-reuse limit, their sum is not. Every read
    // must still equal a fresh solve at the device's final state.
    let net =
        format!("tiny\n{NILI}\n.crossbar xb rows=2 cols=2 model=m g=20u rrow=1 rcol=1\n.end\n");
    let mut e = engine(&net, Scheme::Half, 1.0, 1);
    let mut last = 0.0;
    for _ in 0..3000 {
        e.pulse(0, 0.8).unwrap();
        last = e.read(0).unwrap();
    }
    assert!(e.stats.reused_reads > 0, "no read was reused");
    assert!(e.stats.reused_reads < 3000, "every read was reused");
    let finals: Vec<f64> = (0..4).map(|k| e.g(k)).collect();
    let mut fresh = engine(&net, Scheme::Half, 1.0, 1);
    for (k, g) in finals.iter().enumerate() {
        fresh.set_g(k, *g);
    }
    let want = fresh.read(0).unwrap();
    assert!((last - want).abs() <= 1e-8 * want, "{last} vs {want}");
}

/// Every device voltage of the last solve of `a` equals `b`'s to 1e-9 V
/// plus 1e-6 of its size.
fn same_device_voltages(a: &PulseEngine, b: &PulseEngine, what: &str) {
    assert_eq!(a.vdev.len(), b.vdev.len());
    for (k, (x, y)) in a.vdev.iter().zip(&b.vdev).enumerate() {
        assert!(
            (x - y).abs() <= 1e-9 + 1e-6 * y.abs(),
            "{what} device {k}: {x} vs {y}"
        );
    }
}

/// A crossbar of `NILI` devices (`.crossbar xb <params>`) with the solver
/// left at auto (line relaxation), and the same with `solver=direct`.
fn relaxed_and_direct(params: &str) -> (xbarsim::circuit::Circuit, xbarsim::circuit::Circuit) {
    let body = format!("{NILI}\n.crossbar xb {params}\n.end\n");
    (
        xbar_circuit(&format!("relaxed\n{body}")),
        xbar_circuit(&format!("direct\n.options solver=direct\n{body}")),
    )
}

/// The pulse engine solves driven crossbars by line relaxation; its solution
/// must be Newton's with a sparse factorization (`.options solver=direct`)
/// to within the tolerances, bias by bias, and a whole tuning run must take
/// the same decisions and end in the same states.
#[test]
fn line_relaxation_matches_newton_with_a_factorization() {
    let (relaxed, direct) = relaxed_and_direct("rows=7 cols=6 model=m g=20u rrow=2 rcol=3");
    for scheme in [Scheme::Half, Scheme::Third] {
        let mk = |c: &xbarsim::circuit::Circuit| {
            PulseEngine::new(c, 0, 5.0, 5.0, 1e-3, scheme, Scheme::Ground, 0.25, 3).unwrap()
        };
        let (mut a, mut b) = (mk(&relaxed), mk(&direct));
        // A ramp on one cell, another cell, and reads in between.
        for (cell, v) in [
            (9, 1.1),
            (9, 1.2),
            (9, 1.3),
            (30, -1.4),
            (30, -1.5),
            (0, 2.0),
        ] {
            a.solve_write(cell, v).unwrap();
            b.solve_write(cell, v).unwrap();
            same_device_voltages(&a, &b, &format!("{scheme:?} write ({cell}, {v})"));
            let (ga, gb) = (a.read(cell).unwrap(), b.read(cell).unwrap());
            assert!(
                (ga - gb).abs() <= 1e-6 * gb.abs(),
                "read {cell}: {ga} vs {gb}"
            );
        }
        assert!(a.stats.sweeps > 0, "relaxation was used");
        assert_eq!(a.stats.relax_fallbacks, 0);
        assert_eq!(b.stats.sweeps, 0, "solver=direct keeps Newton");
    }
    let s = spec_for(targets(42, 11), Algorithm::WriteVerify);
    let ra = program::run(&relaxed, &s, |_, _, _| {}).unwrap();
    let rb = program::run(&direct, &s, |_, _, _| {}).unwrap();
    assert_eq!(ra.pulses(), rb.pulses());
    assert_eq!(ra.reads(), rb.reads());
    for k in 0..42 {
        assert!(
            (ra.g_final[k] - rb.g_final[k]).abs() <= 1e-6 * rb.g_final[k],
            "device {k}: {} vs {}",
            ra.g_final[k],
            rb.g_final[k]
        );
    }
    assert!(ra.solver.sweeps > 0 && rb.solver.sweeps == 0);
}

/// Weakly tied lines (switches of 1 MΩ) make relaxation crawl: the engine
/// gives up on it after a few tries and the answers are Newton's.
#[test]
fn weak_ties_fall_back_to_newton() {
    let (relaxed, direct) = relaxed_and_direct("rows=6 cols=6 model=m g=50u rrow=1 rcol=1");
    let mk = |c: &xbarsim::circuit::Circuit| {
        PulseEngine::new(c, 0, 1e6, 1e6, 1e-3, Scheme::Half, Scheme::Ground, 0.25, 3).unwrap()
    };
    let (mut a, mut b) = (mk(&relaxed), mk(&direct));
    for k in 0..6 {
        a.solve_write(7 * k % 36, 1.2).unwrap();
        b.solve_write(7 * k % 36, 1.2).unwrap();
        same_device_voltages(&a, &b, &format!("pulse {k}"));
    }
    assert_eq!(
        a.stats.relax_fallbacks,
        xbarsim::analysis::program::engine::MAX_FALLBACKS
    );
    assert_eq!(a.stats.relax_tries, a.stats.relax_fallbacks);
}

/// Relaxation is given up after 3 failures only when failures are also
/// more than one in 10 of its tries: a long run with a rare failure keeps it.
#[test]
fn relaxation_stays_on_through_rare_failures() {
    use xbarsim::analysis::program::engine::relax_pays;
    for (fallbacks, tries, on) in [
        (0, 0, true),
        (2, 2, true),
        (3, 3, false),
        (3, 29, false),
        (3, 30, true),
        (3, 1_800_000, true),
        (11, 100, false),
        (10, 100, true),
    ] {
        assert_eq!(relax_pays(fallbacks, tries), on, "{fallbacks} of {tries}");
    }
}

/// While line relaxation solves, the engine keeps the last solution in the
/// relaxation's own order; a bias only Newton can solve (floating lines)
/// moves it to the node vector and the next driven bias moves it back.
/// Across those moves, writes (same cell ramps and a new cell) and reads
/// must still be Newton's with a sparse factorization.
#[test]
fn warm_starts_survive_switching_between_relaxation_and_newton() {
    let (relaxed, direct) = relaxed_and_direct("rows=6 cols=7 model=m g=30u rrow=2 rcol=3");
    let mk = |c: &xbarsim::circuit::Circuit| {
        PulseEngine::new(c, 0, 5.0, 5.0, 1e-3, Scheme::Half, Scheme::Ground, 0.25, 5).unwrap()
    };
    let (mut a, mut b) = (mk(&relaxed), mk(&direct));
    let steps = [
        (Scheme::Half, Scheme::Ground, 9, 1.1),
        (Scheme::Half, Scheme::Ground, 9, 1.2),
        (Scheme::Float, Scheme::Float, 9, 1.3),
        (Scheme::Float, Scheme::Ground, 9, 1.35),
        (Scheme::Half, Scheme::Ground, 9, 1.4),
        (Scheme::Half, Scheme::Ground, 9, 1.45),
        (Scheme::Half, Scheme::Float, 20, -1.3),
        (Scheme::Third, Scheme::Ground, 20, -1.4),
        (Scheme::Third, Scheme::Ground, 33, 1.2),
    ];
    let mut sweeps = 0;
    for (ws, rs, cell, v) in steps {
        for e in [&mut a, &mut b] {
            e.write_scheme = ws;
            e.read_scheme = rs;
        }
        a.solve_write(cell, v).unwrap();
        b.solve_write(cell, v).unwrap();
        same_device_voltages(&a, &b, &format!("{ws:?} write ({cell}, {v})"));
        let (ga, gb) = (a.read(cell).unwrap(), b.read(cell).unwrap());
        assert!(
            (ga - gb).abs() <= 1e-6 * gb.abs(),
            "{rs:?} read {cell}: {ga} vs {gb}"
        );
        same_device_voltages(&a, &b, &format!("{rs:?} read {cell}"));
        // Relaxation solves every driven bias, Newton the floating ones.
        let driven = (ws != Scheme::Float) as usize + (rs != Scheme::Float) as usize;
        assert_eq!(a.stats.sweeps > sweeps, driven > 0, "{ws:?} {rs:?}");
        sweeps = a.stats.sweeps;
    }
    assert_eq!(a.stats.relax_fallbacks, 0);
}
