//! The static (I–V) law's device-to-device spread (`sa1=`, `sa3=` on a cubic
//! card; `tio2x_table_s` in models/tio2x_nili2020_table.lib): each device's
//! law against the formulas written out here, the clamp of non-physical
//! draws, what the circuit reads, the draw's statistics and stream, seeded
//! runs bit-identical, and a card without the keys unchanged.

use crate::common::*;
use xbarsim::analysis::program::engine::{static_clamped_in, static_seed, PulseEngine};
use xbarsim::analysis::read::Scheme;
use xbarsim::devices::memristor::IvLaw;

/// The spread as the source states it (typed in again from
/// ../shared/NILI-DYNAMICS.md, not read from the card): G0 in S, T in °C.
fn sigma_a1(g: f64, t: f64) -> f64 {
    -1.07e-6 + 0.25 * g + 2.20e-8 * t - 1300.0 * g * g
}
fn sigma_a3(g: f64, t: f64) -> f64 {
    1.17e-5 + 1.30 * g - 1.0e-7 * t - 6500.0 * g * g - 2.50e-3 * g * t
}
/// The mean law (REFERENCE.md §2).
fn a1(g: f64, t: f64) -> f64 {
    -2.58e-6 + 0.977 * g + 1.166e-7 * t
}
fn a3(g: f64, t: f64) -> f64 {
    1.18 * g + 6596.0 * g * g + 1.605e-3 * t.powf(-1.33)
}
/// One device's current by hand, clamp included (each coefficient at 0).
fn by_hand(g: f64, t: f64, ns: f64, v: f64) -> f64 {
    let b1 = (a1(g, t) + ns * sigma_a1(g, t)).max(0.0);
    let b3 = (a3(g, t) + ns * sigma_a3(g, t)).max(0.0);
    b1 * v + b3 * v * v * v
}

const SA: &str = "sa1=\"-1.07e-6,0.25,2.20e-8,-1300\" sa3=\"1.17e-5,1.30,-1.0e-7,-6500,-2.50e-3\"";

fn lib() -> String {
    manifest()
        .join("models/tio2x_nili2020_table.lib")
        .display()
        .to_string()
}

/// A card with the spread typed in here at `temp` °C (Nili dynamics: any
/// dyn= will do for the law).
fn law_at(temp: f64) -> IvLaw {
    let c = circuit(&format!(
        "t\n.model m memristor (level=cubic temp={temp} gmin=3.16u gmax=316u dyn=nili {SA})\n\
         .crossbar xb rows=1 cols=1 model=m g=20u\n.pulse xb row=0 col=0 v=0\n.end\n"
    ));
    c.models[0].law
}

/// The engine of an n×n crossbar of `model` (from the shipped .lib), lines
/// of `r` ohm per segment, switches of `rsw` ohm.
fn engine(model: &str, n: usize, r: f64, rsw: f64, g: f64, seed: u64) -> PulseEngine {
    let c = circuit(&format!(
        "t\n.include {}\n.crossbar xb rows={n} cols={n} model={model} g={g} rrow={r} rcol={r}\n\
         .pulse xb row=0 col=0 v=0\n.end\n",
        lib()
    ));
    PulseEngine::new(
        &c,
        0,
        rsw,
        rsw,
        1e-3,
        Scheme::Half,
        Scheme::Ground,
        0.25,
        seed,
    )
    .unwrap()
}

#[test]
fn each_devices_law_follows_the_formulas() {
    let mut checked = 0;
    for t in [5.0, 27.0, 85.0] {
        let law = law_at(t);
        for g in [3.16e-6, 8e-6, 14e-6, 50e-6, 150e-6, 316e-6] {
            for ns in [0.0, 1.0, -0.7, 2.2, -1.2, 0.3] {
                for v in [0.1, 0.25, -0.25, 1.0, -1.3, 2.5, -2.5] {
                    let (i, d) = law.eval_dev(g, ns, v);
                    let want = by_hand(g, t, ns, v);
                    assert!(
                        (i - want).abs() <= 1e-12 * want.abs() + 1e-24,
                        "T {t} g {g:e} ns {ns} v {v}: {i:e} vs {want:e}"
                    );
                    // dI/dV against a central difference of the hand formula.
                    let h = 1e-6;
                    let fd = (by_hand(g, t, ns, v + h) - by_hand(g, t, ns, v - h)) / (2.0 * h);
                    assert!((d - fd).abs() <= 1e-6 * fd.abs() + 1e-15, "slope {d} {fd}");
                    checked += 1;
                }
            }
            // n_s = 0 is the mean law, bit for bit (and the law without keys).
            let mean = IvLaw::cubic(t);
            assert_eq!(law.eval_dev(g, 0.0, 0.7), mean.eval(g, 0.7));
            // A positive draw raises the low-G0 current, a negative one lowers it.
            if g < 100e-6 {
                assert!(law.current_dev(g, 1.0, 1.0) > mean.current(g, 1.0));
                assert!(law.current_dev(g, -1.0, 1.0) < mean.current(g, 1.0));
            }
        }
    }
    assert_eq!(checked, 3 * 6 * 6 * 7);
}

#[test]
fn non_physical_draws_are_clamped_at_zero() {
    let t = 27.0;
    let law = law_at(t);
    // At 20 uS, 27 degC sigma_A3/A3 = 0.67: n_s below -1.49 makes A3
    // negative as written; at n_s = -2 the unguarded cubic gives a negative
    // current at +2 V (at -1.6 from about 2.1 V).
    let (g, ns) = (20e-6, -2.0);
    let raw3 = a3(g, t) + ns * sigma_a3(g, t);
    let raw1 = a1(g, t) + ns * sigma_a1(g, t);
    assert!(raw3 < 0.0 && raw1 > 0.0, "{raw3:e} {raw1:e}");
    assert!(raw1 * 2.0 + raw3 * 8.0 < 0.0, "unguarded: negative at +2 V");
    let (b1, b3, clamped) = law.cubic_dev(g, ns);
    assert!(clamped);
    assert_eq!(b3, 0.0);
    assert_close(b1, raw1, 1e-12, "A1 kept");
    for v in [0.25, 1.0, 2.0, 2.5] {
        // Linear, and the sign of V.
        assert_close(law.current_dev(g, ns, v), raw1 * v, 1e-12, "linear");
        assert!(law.current_dev(g, ns, v) > 0.0 && law.current_dev(g, ns, -v) < 0.0);
        assert!(law.eval_dev(g, ns, v).1 > 0.0);
    }
    // At 316 uS sigma_A3 < 0: a large positive draw clamps A3 there.
    let g = 316e-6;
    assert!(sigma_a3(g, t) < 0.0);
    assert!(law.cubic_dev(g, 4.5).2 && law.cubic_dev(g, 4.5).1 == 0.0);
    assert!(!law.cubic_dev(g, 3.0).2);
    // A1 clamps too (a draw far out at low G0).
    let (b1, _, c) = law.cubic_dev(5e-6, -9.0);
    assert!(c && b1 == 0.0 && a1(5e-6, t) - 9.0 * sigma_a1(5e-6, t) < 0.0);
    // Not clamped just inside: n_s = -1.4 at 20 uS keeps both.
    assert!(!law.cubic_dev(20e-6, -1.4).2);
    // Clamped somewhere in the window: the hand condition on a fine grid.
    let w: (f64, f64) = (3.16e-6, 316e-6);
    for ns in [-1.6, -1.5, -1.45, -1.0, 0.5, 3.9, 4.3, 6.0] {
        let hand = (0..=4000).any(|k| {
            let g = w.0 * (w.1 / w.0).powf(k as f64 / 4000.0);
            a3(g, t) + ns * sigma_a3(g, t) < 0.0 || a1(g, t) + ns * sigma_a1(g, t) < 0.0
        });
        assert_eq!(static_clamped_in(law, ns, w), hand, "ns {ns}");
    }
}

#[test]
fn the_circuit_reads_each_devices_own_law() {
    // 3x3, nearly ideal wires and switches: a ground read of cell k is that
    // device's own I(g, 0.25 V)/0.25 V, with its own n_s.
    let mut e = engine("tio2x_table_s", 3, 1e-3, 1e-3, 20e-6, 5);
    let t = 27.0;
    for k in 0..9 {
        let ns = e.ns(k);
        assert!(ns != 0.0);
        let g = e.g(k);
        let want = by_hand(g, t, ns, 0.25) / 0.25;
        assert_close(e.g_read_true(k), want, 1e-12, "device alone");
        let got = e.read(k).unwrap();
        // The read disturbs the device a little: compare with its law at
        // the state it had during the read (before the read moved it).
        assert!(
            (got - want).abs() <= 2e-4 * want,
            "cell {k}: read {got:e} vs {want:e} (ns {ns})"
        );
        // And not the mean law's read (the draw moves it by n_s·σ).
        let mean = (a1(g, t) * 0.25 + a3(g, t) * 0.25f64.powi(3)) / 0.25;
        if ns.abs() > 0.2 {
            assert!(
                (got - mean).abs() > 0.03 * mean,
                "cell {k}: {got:e} {mean:e}"
            );
        }
    }
    // One device with a floating read (no sneak paths in a 1x1; the
    // floating bias solves by Newton on the MNA system, not by line
    // relaxation): its own law again.
    for seed in [1, 2, 3, 4] {
        let c = circuit(&format!(
            "t\n.include {}\n.crossbar xb rows=1 cols=1 model=tio2x_table_s g=30u rrow=1m rcol=1m\n\
             .pulse xb row=0 col=0 v=0\n.end\n",
            lib()
        ));
        let mut e1 = PulseEngine::new(
            &c,
            0,
            1e-3,
            1e-3,
            1e-3,
            Scheme::Float,
            Scheme::Float,
            0.25,
            seed,
        )
        .unwrap();
        let (g, ns) = (e1.g(0), e1.ns(0));
        let want = by_hand(g, t, ns, 0.25) / 0.25;
        let got = e1.read(0).unwrap();
        assert!(
            (got - want).abs() <= 2e-4 * want,
            "seed {seed}: {got:e} vs {want:e}"
        );
        let mean = (a1(g, t) * 0.25 + a3(g, t) * 0.25f64.powi(3)) / 0.25;
        if ns.abs() > 0.2 {
            assert!(
                (got - mean).abs() > 0.03 * mean,
                "seed {seed}: {got:e} {mean:e}"
            );
        }
        assert!(e1.stats.iterations > 0, "solved by Newton");
    }
    // A write solve: every device's current through the MNA/relaxation
    // solution matches its law at the voltage it saw (nearly ideal wires:
    // V/2 on the half-selected, V on the selected, 0 elsewhere).
    e.solve_write(4, 1.6).unwrap();
    for k in 0..9 {
        let v = e.vdev[k];
        let want = if k == 4 {
            1.6
        } else if k / 3 == 1 || k % 3 == 1 {
            0.8
        } else {
            0.0
        };
        assert!((v - want).abs() < 1e-3, "cell {k}: {v}");
    }
}

#[test]
fn the_draw_is_standard_normal_seeded_and_apart_from_the_dynamics() {
    let e = engine("tio2x_table_s", 64, 0.9, 1.0, 20e-6, 1);
    let ns = e.static_draws();
    assert_eq!(ns.len(), 4096);
    let n = ns.len() as f64;
    let mean = ns.iter().sum::<f64>() / n;
    let sd = (ns.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    assert!(mean.abs() < 0.05 && (sd - 1.0).abs() < 0.05, "{mean} {sd}");
    // The dynamics' draws are those of the card without the spread (same
    // seed), and the static ones are not them.
    let plain = engine("tio2x_table", 64, 0.9, 1.0, 20e-6, 1);
    assert_eq!(e.devices, plain.devices);
    assert!(plain.static_draws().is_empty());
    let dn: Vec<f64> = e.devices.iter().map(|d| d.n).collect();
    let corr = dn.iter().zip(&ns).map(|(a, b)| a * b).sum::<f64>() / n;
    assert!(corr.abs() < 0.06, "{corr}");
    // The stream: N(0,1) from StdRng seeded static_seed(seed), in
    // row-major order.
    use rand::SeedableRng;
    use rand_distr::Distribution;
    let mut rng = rand::rngs::StdRng::seed_from_u64(static_seed(1));
    for x in &ns[..16] {
        let z: f64 = rand_distr::StandardNormal.sample(&mut rng);
        assert_eq!(*x, z);
    }
    // Same seed, same draws; another seed, others.
    let again = engine("tio2x_table_s", 64, 0.9, 1.0, 20e-6, 1);
    assert_eq!(again.static_draws(), ns);
    let other = engine("tio2x_table_s", 64, 0.9, 1.0, 20e-6, 2);
    assert_ne!(other.static_draws(), ns);
    // The clamp count over the window: about P(n_s < -1.49), 6.8 %.
    let clamped = e.static_clamped();
    let hand = ns
        .iter()
        .filter(|&&x| static_clamped_in(e.law, x, e.window))
        .count();
    assert_eq!(clamped, hand);
    assert!((200..360).contains(&clamped), "{clamped}");
}

#[test]
fn a_card_without_the_keys_runs_as_before_and_zero_spread_is_the_mean_law() {
    // Same card with sa1 = sa3 = 0: every solve and every pulse as the
    // table card, bit for bit.
    let zero = lib_with_zero_spread();
    let mk = |model: &str| {
        let c = circuit(&format!(
            "t\n.include {}\n.include {}\n\
             .crossbar xb rows=4 cols=4 model={model} g=20u rrow=0.9 rcol=0.9\n\
             .pulse xb row=0 col=0 v=0\n.end\n",
            lib(),
            zero.display()
        ));
        PulseEngine::new(&c, 0, 1.0, 1.0, 1e-3, Scheme::Half, Scheme::Ground, 0.25, 9).unwrap()
    };
    let (mut a, mut b) = (mk("tio2x_table"), mk("tz"));
    assert!(a.static_draws().is_empty() && !b.static_draws().is_empty());
    for (cell, v) in [(0, 1.3), (5, -1.8), (5, 1.1), (15, 2.2)] {
        let (ra, rb) = (a.read(cell).unwrap(), b.read(cell).unwrap());
        assert_eq!(ra.to_bits(), rb.to_bits());
        a.pulse(cell, v).unwrap();
        b.pulse(cell, v).unwrap();
        for k in 0..16 {
            assert_eq!(a.g(k).to_bits(), b.g(k).to_bits(), "cell {k}");
            assert_eq!(a.vdev[k].to_bits(), b.vdev[k].to_bits());
        }
    }
    // The table card's result files carry nothing new.
    let dir = tmpdir("static-d2d-plain");
    let net = dir.join("thr.cir");
    std::fs::write(
        &net,
        format!(
            "th\n.include {}\n.crossbar xb rows=2 cols=2 model=tio2x_table g=20u rrow=0.9 rcol=0.9\n\
             .thresholds xb seed=3\n.end\n",
            lib()
        ),
    )
    .unwrap();
    let (code, _, err) = run_to(&net, &dir.join("out"), &[]);
    assert_eq!(code, 0, "{err}");
    let json = std::fs::read_to_string(dir.join("out/thresholds.json")).unwrap();
    assert!(!json.contains("static_d2d"));
    let csv = std::fs::read_to_string(dir.join("out/xb_thresholds.csv")).unwrap();
    assert!(csv.lines().next().unwrap().ends_with(",g_peak"));
}

/// A copy of the shipped `tio2x_table_s` card named `tz` with both spreads 0.
fn lib_with_zero_spread() -> std::path::PathBuf {
    let text = std::fs::read_to_string(lib()).unwrap();
    let from = text.find(".model tio2x_table_s").unwrap();
    let card = text[from..]
        .replace(".model tio2x_table_s", ".model tz")
        .replace("sa1=\"-1.07e-6,0.25,2.20e-8,-1300\"", "sa1=\"0,0,0,0\"")
        .replace(
            "sa3=\"1.17e-5,1.30,-1.0e-7,-6500,-2.50e-3\"",
            "sa3=\"0,0,0,0,0\"",
        );
    assert!(card.contains("sa1=\"0,0,0,0\"") && card.contains("sa3=\"0,0,0,0,0\""));
    let p = tmpdir("static-d2d-zero").join("tz.lib");
    std::fs::write(&p, card).unwrap();
    p
}

#[test]
fn seeded_runs_are_bit_identical_and_report_the_draws() {
    let dir = tmpdir("static-d2d-seeded");
    let net = dir.join("thr.cir");
    std::fs::write(
        &net,
        format!(
            "th\n.include {}\n.crossbar xb rows=3 cols=3 model=tio2x_table_s g=20u rrow=0.9 rcol=0.9\n\
             .thresholds xb g_start=14u g_stop=50u change=0.2 vstep=50m vmax=2.5 seed=3\n.end\n",
            lib()
        ),
    )
    .unwrap();
    let mut csvs = Vec::new();
    for k in 0..2 {
        let out = dir.join(format!("out{k}"));
        let (code, _, err) = run_to(&net, &out, &[]);
        assert_eq!(code, 0, "{err}");
        csvs.push(std::fs::read(out.join("xb_thresholds.csv")).unwrap());
    }
    assert!(csvs[0] == csvs[1], "two seeded runs differ");
    let csv = String::from_utf8(csvs[0].clone()).unwrap();
    assert!(csv.lines().next().unwrap().ends_with(",ns"));
    // The ns column is the engine's draw for seed 3.
    let e = engine("tio2x_table_s", 3, 0.9, 1.0, 20e-6, 3);
    for (k, line) in csv.lines().skip(1).enumerate() {
        let ns: f64 = line.rsplit(',').next().unwrap().parse().unwrap();
        assert_eq!(ns, e.ns(k));
    }
    let json = std::fs::read_to_string(dir.join("out0/thresholds.json")).unwrap();
    assert!(json.contains("\"static_d2d\"") && json.contains("\"clamped_devices\""));
}

#[test]
fn bad_spread_keys_are_refused_where_they_are() {
    let card = |law: &str, extra: &str| {
        errors(&format!(
            "t\n.model m memristor (level={law} gmin=3u gmax=100u dyn=nili {extra})\n\
             .crossbar xb rows=1 cols=1 model=m g=20u\n.end\n"
        ))
    };
    for law in ["sinh", "linear"] {
        let e = card(law, SA);
        assert!(
            e.contains("'sa1'") && e.contains("needs level=cubic"),
            "{e}"
        );
        assert!(e.contains("inline.cir:2:"), "located: {e}");
    }
    let e = card("cubic", "sa1=\"1e-6,0,0,0\"");
    assert!(e.contains("both sa1= and sa3="), "{e}");
    let e = card("cubic", "sa1=\"1e-6,0,0\" sa3=\"0,0,0,0,0\"");
    assert!(e.contains("sa1= needs 4"), "{e}");
    let e = card("cubic", "sa1=\"1e-6,0,0,0\" sa3=\"0,0,x,0,0\"");
    assert!(e.contains("sa3= needs 5"), "{e}");
    let e = errors(&format!(
        "t\n.model m memristor (level=cubic gmin=3u gmax=100u {SA})\n\
         .crossbar xb rows=1 cols=1 model=m g=20u\n.end\n"
    ));
    assert!(e.contains("need dyn="), "{e}");
    // The shipped card loads.
    assert_eq!(
        errors(&format!(
            "t\n.include {}\n.crossbar xb rows=1 cols=1 model=tio2x_table_s g=20u\n\
             .pulse xb row=0 col=0 v=0\n.end\n",
            lib()
        )),
        ""
    );
}

/// The table card (no spread keys) gives, byte for byte, the result files
/// the build before the spread existed gave (commit 679ad6e, x86_64 Linux,
/// `xbarsim run`): a 3×3 Fig. 2 ramp and a 4×4 write-verify, both seeded.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
#[test]
fn the_table_card_gives_the_files_it_gave_before_the_spread() {
    use sha2::{Digest, Sha256};
    let dir = tmpdir("static-d2d-golden");
    // Targets 12..87 uS, as the golden run read them (this text).
    std::fs::write(
        dir.join("t.csv"),
        "1.200000e-05,1.700000e-05,2.200000e-05,2.700000e-05\n\
         3.200000e-05,3.700000e-05,4.200000e-05,4.700000e-05\n\
         5.200000e-05,5.700000e-05,6.200000e-05,6.700000e-05\n\
         7.200000e-05,7.700000e-05,8.200000e-05,8.700000e-05\n",
    )
    .unwrap();
    let thr = format!(
        "th\n.include {}\n.crossbar xb rows=3 cols=3 model=tio2x_table g=20u rrow=0.9 rcol=0.9\n\
         .thresholds xb g_start=14u g_stop=50u change=0.2 vstep=50m vmax=2.5 seed=3\n.end\n",
        lib()
    );
    let wv = format!(
        "tb\n.include {}\n.crossbar xb rows=4 cols=4 model=tio2x_table g=20u rrow=0.9 rcol=0.9\n\
         .program xb target=file(\"t.csv\") algorithm=wv scheme=v/2 tol=0.05 cycles=2 seed=7\n.end\n",
        lib()
    );
    for (name, text, files) in [
        (
            "thr.cir",
            thr,
            &[(
                "xb_thresholds.csv",
                "512a5f6ae2ae89e565e6aa18ed931cdb298e963a6f7f082f6345cbdda0b1d19e",
            )][..],
        ),
        (
            "wv.cir",
            wv,
            &[
                (
                    "xb_program_g.csv",
                    "91a7e8a1e642212b832bb354fb0bdd7c3951081ac3b16eb3a7de80f3ab2249f3",
                ),
                (
                    "xb_program_g_measured.csv",
                    "c4e924755faa54bf9d6f286e0f5522aa2dc35522e906c8f30550321e03638c62",
                ),
            ][..],
        ),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
        let out = dir.join(format!("{name}-out"));
        let (code, _, err) = run_to(&dir.join(name), &out, &[]);
        assert_eq!(code, 0, "{err}");
        for (f, want) in files {
            let bytes = std::fs::read(out.join(f)).unwrap();
            let got: String = Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(&got, want, "{f} changed");
        }
    }
}
