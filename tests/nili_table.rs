//! `dyn=nili_table`: the table-driven Nili 2020 pulse model of
//! models/tio2x_nili2020_table.lib against its equations written out here,
//! bin by bin, set and reset, with and without the device-to-device term;
//! the population draw; seeded runs bit-identical.

use crate::common::*;
use xbarsim::devices::memristor::dynamics::{Device, Dynamics, G0Interp, Kind};

/// Bin edges (µS) and, per bin, c0s c1s c2s c3s c4s d0s..d4s c0r..c4r d0r..d4r
/// (typed in again from ../shared/NILI-DYNAMICS.md, not read from the card).
const EDGES_US: [f64; 9] = [3.16, 5.62, 10.0, 17.8, 31.6, 56.2, 100.0, 178.0, 316.0];
#[rustfmt::skip]
const TABLE: [[f64; 20]; 8] = [
    [1.55e-4, -0.47, -3.851, 9.369, 10.4, -1.26, -0.02, 0.82, -0.57, 0.94, -0.89e-4, 0.89, 8.96, 6.2, -10.90, 0.04, 2e-4, 0.02, 5e-3, 0.03],
    [1.55e-4, -0.47, -3.769, 7.512, 8.419, -1.22, -0.02, 0.84, -0.57, 0.81, -0.89e-4, 0.51, 6.88, 6.2, -8.61, -5e-3, -4e-4, -2e-3, -0.01, 0.02],
    [1.55e-4, -0.47, -3.729, 6.801, 7.582, -1.03, -0.02, 0.72, -0.47, 0.63, -0.89e-4, 0.34, 4.93, 6.2, -8.14, -0.07, -3e-3, -0.07, -0.05, -0.02],
    [1.55e-4, -0.47, -3.517, 6.180, 6.851, -0.78, -0.01, 0.53, -0.33, 0.45, -0.89e-4, 0.25, 3.63, 6.2, -7.77, -0.11, -4e-3, -0.11, -0.09, -0.03],
    [1.55e-4, -0.47, -3.426, 5.946, 6.558, -0.37, 5e-3, 0.15, -0.01, 0.11, -0.89e-4, 0.23, 2.91, 6.2, -7.42, -0.15, -6e-3, -0.17, -0.13, -0.06],
    [1.55e-4, -0.47, -3.373, 5.005, 5.792, 0.14, 0.01, -0.29, 0.31, -0.21, -0.89e-4, 0.21, 2.33, 6.2, -7.30, -0.12, -5e-3, -0.16, -0.13, -0.06],
    [1.55e-4, -0.47, -3.422, 4.936, 5.840, 0.34, 0.01, -0.41, 0.37, -0.29, -0.89e-4, 0.22, 1.93, 6.2, -7.10, -0.04, -2e-3, -0.10, -0.11, -0.04],
    [1.55e-4, -0.47, -3.572, 4.864, 5.785, 0.26, 0.01, -0.29, 0.25, -0.20, -0.89e-4, 0.28, 1.68, 6.2, -7.00, 0.10, 3e-3, 0.02, -0.05, -4e-3],
];

/// ΔG of one pulse by the equations, from one row of coefficients `r`.
fn by_hand(r: &[f64; 20], v: f64, tp: f64, n: f64) -> f64 {
    let l = tp.ln();
    let (d, p) = if v > 0.0 {
        let d = r[0] * (1.0 - (r[1] * (l - r[2])).tanh()) * ((r[3] * v - r[4]).tanh() + 1.0);
        (d, &r[5..10])
    } else if v < 0.0 {
        let d = r[10] * (-1.0 - (r[11] * (l - r[12])).tanh()) * ((r[13] * v - r[14]).tanh() - 1.0);
        (d, &r[15..20])
    } else {
        return 0.0;
    };
    let poly = p[0] + p[1] * l * l + p[2] * v * l + p[3] * v * v * l + p[4] * v.powi(3);
    d + n * d * poly
}

fn card(interp: &str) -> Dynamics {
    let c = circuit(&format!(
        "t\n.include ../models/tio2x_nili2020_table.lib\n\
         .model tl memristor (level=cubic temp=27 gmin=3.16u gmax=316u dyn=nili_table g0interp={interp} {})\n\
         .crossbar xb rows=1 cols=1 model=tio2x_table g=20u\n\
         .crossbar xl rows=1 cols=1 model=tl g=20u\n\
         .pulse xb row=0 col=0 v=0\n.pulse xl row=0 col=0 v=0\n.end\n",
        table_keys()
    ));
    let name = if interp == "bin" { "tio2x_table" } else { "tl" };
    let m = c.models.iter().find(|m| m.name == name).unwrap();
    assert_eq!(m.g_window, Some((3.16e-6, 316e-6)));
    m.dynamics.clone().unwrap()
}

/// The table as card keys, from the constants above.
fn table_keys() -> String {
    const KEYS: [&str; 20] = [
        "c0s", "c1s", "c2s", "c3s", "c4s", "d0s", "d1s", "d2s", "d3s", "d4s", "c0r", "c1r", "c2r",
        "c3r", "c4r", "d0r", "d1r", "d2r", "d3r", "d4r",
    ];
    let mut s = format!("g0bins=\"{}\"", EDGES_US.map(|e| format!("{e}u")).join(","));
    for (k, key) in KEYS.iter().enumerate() {
        let col: Vec<String> = TABLE.iter().map(|r| format!("{:e}", r[k])).collect();
        s += &format!(" {key}=\"{}\"", col.join(","));
    }
    s
}

fn dev(n: f64) -> Device {
    Device {
        vset: 1.19,
        vreset: -1.39,
        stuck: false,
        n,
    }
}

const WINDOW: (f64, f64) = (3.16e-6, 316e-6);

#[test]
fn every_bin_follows_the_equations_set_and_reset_with_and_without_d2d() {
    let dy = card("bin");
    assert!(matches!(&dy.kind, Kind::NiliTable(t) if t.interp == G0Interp::Bin));
    let mut checked = 0;
    for (b, row) in TABLE.iter().enumerate() {
        let (lo, hi) = (EDGES_US[b] * 1e-6, EDGES_US[b + 1] * 1e-6);
        // Inside the bin: its low edge, its centre, just below its high edge.
        for g in [lo, (lo * hi).sqrt(), hi * (1.0 - 1e-9)] {
            for v in [
                0.5, 0.75, 1.0, 1.19, 1.5, 2.0, -0.5, -1.0, -1.39, -1.8, -2.5,
            ] {
                for tp in [1e-4, 1e-3, 1e-2] {
                    for n in [0.0, 1.0, -0.6, 2.3] {
                        let got = dy.delta(g, v, tp, &dev(n), WINDOW);
                        let want = by_hand(row, v, tp, n);
                        assert!(
                            (got - want).abs() <= 1e-12 * want.abs() + 1e-24,
                            "bin {b} g {g:e} v {v} tp {tp} n {n}: {got:e} vs {want:e}"
                        );
                        checked += 1;
                    }
                }
            }
        }
        // The nominal term: set raises, reset lowers, none at 0 V.
        let g = (lo * hi).sqrt();
        assert!(dy.delta(g, 1.2, 1e-3, &dev(0.0), WINDOW) > 0.0);
        assert!(dy.delta(g, -1.5, 1e-3, &dev(0.0), WINDOW) < 0.0);
        assert_eq!(dy.delta(g, 0.0, 1e-3, &dev(1.7), WINDOW), 0.0);
    }
    assert_eq!(checked, 8 * 3 * 11 * 3 * 4);
    // Outside the table: the outer bins.
    for (g, row) in [(1e-6, &TABLE[0]), (500e-6, &TABLE[7])] {
        let want = by_hand(row, 1.3, 1e-3, 0.4);
        assert_close(
            dy.delta(g, 1.3, 1e-3, &dev(0.4), WINDOW),
            want,
            1e-12,
            "outside",
        );
    }
    // The document's midpoint rate: 10.8..16.6 uS per 1 ms pulse at c4s/c3s.
    for (b, row) in TABLE.iter().enumerate() {
        let g = (EDGES_US[b] * EDGES_US[b + 1]).sqrt() * 1e-6;
        let dg = dy.delta(g, row[4] / row[3], 1e-3, &dev(0.0), WINDOW);
        assert!(dg > 10.7e-6 && dg < 16.7e-6, "bin {b}: {dg:e}");
    }
}

#[test]
fn the_d2d_term_as_written_can_reverse_a_pulse() {
    // 10-17.8 uS at 1.1 V, 1 ms: poly = -1.03 - 0.02 L^2 + 0.72 V L - 0.47 V^2 L + 0.63 V^3
    // is about -2.7, so n = 1 turns a set pulse into a reset of 1.7 times its size.
    let dy = card("bin");
    let row = &TABLE[2];
    let l = 1e-3f64.ln();
    let v = 1.1;
    let poly = row[5] + row[6] * l * l + row[7] * v * l + row[8] * v * v * l + row[9] * v.powi(3);
    assert!((poly + 2.7).abs() < 0.1, "{poly}");
    let nom = dy.delta(13e-6, v, 1e-3, &dev(0.0), WINDOW);
    let rev = dy.delta(13e-6, v, 1e-3, &dev(1.0), WINDOW);
    assert!(nom > 0.0 && rev < 0.0);
    assert_close(rev, nom * (1.0 + poly), 1e-12, "n = 1");
}

#[test]
fn log_interpolation_meets_the_bins_at_their_centres() {
    let bin = card("bin");
    let log = card("log");
    for (b, row) in TABLE.iter().enumerate() {
        let c = (EDGES_US[b] * EDGES_US[b + 1]).sqrt() * 1e-6;
        for v in [1.2, -1.6] {
            let got = log.delta(c, v, 1e-3, &dev(0.8), WINDOW);
            assert_close(got, by_hand(row, v, 1e-3, 0.8), 1e-9, "at a centre");
            assert_close(
                got,
                bin.delta(c, v, 1e-3, &dev(0.8), WINDOW),
                1e-9,
                "same as bin",
            );
        }
        if b + 1 < TABLE.len() {
            // Halfway (in ln G0) between two centres: the coefficients' mean.
            let c1 = (EDGES_US[b + 1] * EDGES_US[b + 2]).sqrt() * 1e-6;
            let mid = (c * c1).sqrt();
            let avg: [f64; 20] = std::array::from_fn(|i| 0.5 * (row[i] + TABLE[b + 1][i]));
            for v in [1.2, -1.6] {
                let got = log.delta(mid, v, 1e-3, &dev(-0.5), WINDOW);
                assert_close(got, by_hand(&avg, v, 1e-3, -0.5), 1e-9, "halfway");
            }
        }
    }
}

#[test]
fn population_draw_is_one_normal_per_device_and_the_stuck_fault() {
    use rand::SeedableRng;
    let dy = card("bin");
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let devs = xbarsim::devices::memristor::dynamics::sample_population(&dy, 40000, &mut rng);
    let n = devs.len() as f64;
    let mean = devs.iter().map(|d| d.n).sum::<f64>() / n;
    let sd = (devs.iter().map(|d| (d.n - mean).powi(2)).sum::<f64>() / n).sqrt();
    assert!(mean.abs() < 0.02 && (sd - 1.0).abs() < 0.02, "{mean} {sd}");
    let stuck = devs.iter().filter(|d| d.stuck).count() as f64 / n;
    assert!((stuck - 0.01125).abs() < 0.002, "{stuck}");
}

#[test]
fn bad_table_cards_are_refused() {
    let head = "t\n.model m memristor (level=cubic temp=27 gmin=3.16u gmax=316u dyn=nili_table ";
    let tail = ")\n.crossbar xb rows=1 cols=1 model=m g=20u\n.end\n";
    let e = errors(&format!(
        "{head}{}{tail}",
        table_keys().replace("g0bins=", "x=")
    ));
    assert!(e.contains("g0bins"), "{e}");
    let short = table_keys().replace("c3s=\"", "c3s=\"1,");
    assert!(errors(&format!("{head}{short}{tail}")).contains("c3s"));
    let e = errors(&format!("{head}{} g0interp=cubic{tail}", table_keys()));
    assert!(e.contains("g0interp"), "{e}");
    // Table keys need dyn=nili_table.
    let e = errors(
        "t\n.model m memristor (level=cubic gmin=3u gmax=100u dyn=nili g0interp=log)\n\
         .crossbar xb rows=1 cols=1 model=m g=20u\n.end\n",
    );
    assert!(e.contains("g0interp"), "{e}");
}

#[test]
fn seeded_table_runs_are_bit_identical() {
    // Write-verify on 4x4 and the Fig. 2 ramp on 3x3, each run twice: every
    // result file the same, byte for byte (the run log's timings aside).
    let lib = manifest().join("models/tio2x_nili2020_table.lib");
    let dir = tmpdir("nili-table-seeded");
    write_g_csv(&dir.join("t.csv"), 4, 4, |i, j| {
        (12.0 + 5.0 * (i * 4 + j) as f64) * 1e-6
    });
    let net = format!(
        "tb\n.include {}\n\
         .crossbar xb rows=4 cols=4 model=tio2x_table g=20u rrow=0.9 rcol=0.9\n\
         .program xb target=file(\"t.csv\") algorithm=wv scheme=v/2 tol=0.05 cycles=2 seed=7\n\
         .end\n",
        lib.display()
    );
    let thr = format!(
        "th\n.include {}\n.crossbar xb rows=3 cols=3 model=tio2x_table g=20u rrow=0.9 rcol=0.9\n\
         .thresholds xb g_start=14u g_stop=50u change=0.2 vstep=50m vmax=2.5 seed=3\n.end\n",
        lib.display()
    );
    for (name, text) in [("wv.cir", net), ("thr.cir", thr)] {
        std::fs::write(dir.join(name), text).unwrap();
        let mut outs = Vec::new();
        for k in 0..2 {
            let out = dir.join(format!("{name}-{k}"));
            let (code, _, err) = run_to(&dir.join(name), &out, &[]);
            assert_eq!(code, 0, "{err}");
            let mut files: Vec<_> = std::fs::read_dir(&out)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "csv"))
                .collect();
            files.sort();
            outs.push(files);
        }
        assert!(!outs[0].is_empty());
        assert_eq!(outs[0].len(), outs[1].len());
        for (a, b) in outs[0].iter().zip(&outs[1]) {
            assert_eq!(a.file_name(), b.file_name());
            let (x, y) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
            assert!(x == y, "{} differs between two seeded runs", a.display());
        }
    }
}
