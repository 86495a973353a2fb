//! `.perceptron`: the shipped digit data, circuit = ideal with ideal wires
//! and linear devices, accuracy vs import error, variance-aware vs uniform
//! levels, saved weights reused, sweeps, located card errors, write-verify
//! import through the circuit.

use crate::common::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use xbarsim::analysis::perceptron::{self, card, ideal_readout, import_block, prepare};
use xbarsim::analysis::{downcast, perceptron::PerceptronSpec};
use xbarsim::devices::memristor::IvLaw;
use xbarsim::nn::data::Digits;
use xbarsim::nn::import::{ErrorModel, Import, Mapping};
use xbarsim::nn::quantize;

fn data(name: &str) -> PathBuf {
    manifest().join("data").join(name)
}

/// Write `text` as `dir/net.cir` and run it; returns the output directory.
fn run_net(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("net.cir");
    std::fs::write(&p, text).unwrap();
    let out = dir.join("out");
    let (code, _, err) = run_bin(&[
        "run",
        "-q",
        p.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    out
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A CSV with a header as rows of name → text.
fn table(path: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|x| {
            let x = x.unwrap();
            h.iter().cloned().zip(x.iter().map(String::from)).collect()
        })
        .collect()
}

fn num(r: &HashMap<String, String>, k: &str) -> f64 {
    r[k].parse().unwrap_or_else(|_| panic!("{k}: {}", r[k]))
}

#[test]
fn data_files_have_the_documented_shapes_and_balance() {
    // (file, images, train, test, per-class test range, per-class total range)
    for (f, n, ntr, nte, (tlo, thi), (clo, chi)) in [
        ("uci_digits_8x8.csv", 1797, 1442, 355, (34, 36), (174, 183)),
        ("mnist_8x8.csv", 5000, 4000, 1000, (100, 100), (500, 500)),
    ] {
        let d = Digits::load(&data(f)).unwrap();
        assert_eq!((d.len(), d.inputs, d.classes), (n, 64, 10), "{f}");
        let (tr, te) = (d.train_set(), d.test_set());
        assert_eq!((tr.len(), te.len()), (ntr, nte), "{f}");
        let all: Vec<usize> = (0..n).collect();
        assert!(
            d.class_counts(&all).iter().all(|c| (clo..=chi).contains(c)),
            "{f}"
        );
        assert!(
            d.class_counts(&te).iter().all(|c| (tlo..=thi).contains(c)),
            "{f}"
        );
        // The documented split rule and the source row numbers.
        let mut seen = [0usize; 10];
        for k in 0..n {
            assert_eq!(d.index[k] as usize, k, "{f}");
            let y = d.labels[k] as usize;
            assert_eq!(d.test[k], seen[y] % 5 == 4, "{f} image {k}");
            seen[y] += 1;
        }
        // Real, varied images: every one has ink, none is all ink, and
        // the mean ink is a fair part of the 8x8 field.
        let ink: Vec<usize> = (0..n)
            .map(|k| d.image(k).iter().filter(|&&p| p == 1).count())
            .collect();
        assert!(ink.iter().all(|&i| (1..64).contains(&i)), "{f}");
        let mean = ink.iter().sum::<usize>() as f64 / n as f64;
        assert!((12.0..32.0).contains(&mean), "{f}: mean ink {mean}");
    }
}

/// Zero wire resistance, ideal drivers, linear devices, no import error: the
/// circuit's currents are the ideal sums, so every image gets the ideal
/// prediction, which is the software one.
#[test]
fn ideal_wires_and_linear_devices_give_the_ideal_predictions() {
    let dir = tmpdir("perceptron-exact");
    let net = format!(
        "exact\n.model lin memristor (level=linear)\n.crossbar xb rows=64 cols=20 model=lin g=10u\n\
         .perceptron xb data=file(\"{}\")\n\
         .perceptron xb data=file(\"{}\") diff=1 out=pairs\n",
        data("mnist_8x8.csv").display(),
        data("uci_digits_8x8.csv").display()
    );
    let out = run_net(&dir, &net);
    for (prefix, n, cols) in [("perceptron", 1000, 10), ("pairs", 355, 20)] {
        let j = json(&out.join(format!("{prefix}.json")));
        assert_eq!(j["n_test"], n);
        assert_eq!(j["columns_used"], cols);
        let rows = table(&out.join(format!("{prefix}_currents.csv")));
        assert_eq!(rows.len(), n);
        let mut correct = 0;
        for r in &rows {
            assert_eq!(r["circuit"], r["ideal"], "{prefix} image {}", r["image"]);
            assert_eq!(r["ideal"], r["software"], "{prefix} image {}", r["image"]);
            for c in 0..cols {
                let (a, b) = (
                    num(r, &format!("i_col{c}")),
                    num(r, &format!("ideal_col{c}")),
                );
                assert!(
                    close(a, b, 1e-12, 1e-18),
                    "{prefix} image {} col {c}: {a} vs {b}",
                    r["image"]
                );
            }
            correct += (r["circuit"] == r["label"]) as usize;
        }
        let acc = j["circuit_accuracy"].as_f64().unwrap();
        assert_eq!(acc, j["ideal_accuracy"].as_f64().unwrap());
        assert_eq!(acc, j["software_accuracy"].as_f64().unwrap());
        assert_eq!(acc, correct as f64 / n as f64);
        assert!(acc > 0.8, "{prefix}: {acc}");
        // The confusion matrix holds every test image; its trace the correct ones.
        let conf = table(&out.join(format!("{prefix}_confusion.csv")));
        let (mut total, mut trace) = (0.0, 0.0);
        for (i, r) in conf.iter().enumerate() {
            for k in 0..10 {
                let v = num(r, &format!("pred_{k}"));
                total += v;
                if k == i {
                    trace += v;
                }
            }
        }
        assert_eq!((total, trace), (n as f64, correct as f64));
    }
}

/// Wire resistance breaks the equality: IR drop lowers every current.
#[test]
fn wire_resistance_lowers_currents_and_costs_accuracy() {
    let dir = tmpdir("perceptron-wire");
    let net = format!(
        "wire\n.include {}\n.crossbar xb rows=64 cols=10 model=tio2x rrow=2.5 rcol=2.5 g=10u\n\
         .perceptron xb data=file(\"{}\") sweep=rwire rwires=0,1,5,20\n",
        manifest().join("models/tio2x_nili2020.lib").display(),
        data("mnist_8x8.csv").display()
    );
    let out = run_net(&dir, &net);
    for r in table(&out.join("perceptron_currents.csv")) {
        for c in 0..10 {
            let (a, b) = (
                num(&r, &format!("i_col{c}")),
                num(&r, &format!("ideal_col{c}")),
            );
            assert!(
                a < b || b == 0.0,
                "image {} col {c}: {a} vs ideal {b}",
                r["image"]
            );
        }
    }
    let sw = table(&out.join("perceptron_sweep_rwire.csv"));
    let acc: Vec<f64> = sw.iter().map(|r| num(r, "circuit_accuracy")).collect();
    let err: Vec<f64> = sw
        .iter()
        .map(|r| num(r, "mean_rel_current_error"))
        .collect();
    assert_eq!(acc[0], num(&sw[0], "ideal_accuracy"), "0 ohm is ideal");
    assert!(err[0] < 1e-9, "{err:?}");
    assert!(err.windows(2).all(|w| w[1] > w[0]), "{err:?}");
    assert!(
        acc[3] < acc[0] - 0.1,
        "20 ohm per segment costs accuracy: {acc:?}"
    );
    assert!(out.join("perceptron_sweep_rwire.png").exists());
}

/// Accuracy (ideal math, 10 draws per point; circuit, 4 draws) falls with
/// the import error, monotonically within the spread over seeds.
#[test]
fn accuracy_degrades_monotonically_with_import_error() {
    let text = format!(
        "t\n.model lin memristor (level=linear)\n.crossbar xb rows=64 cols=10 model=lin g=10u\n.perceptron xb data=file(\"{}\")\n",
        data("mnist_8x8.csv").display()
    );
    let p = planned(&text);
    let Some(spec) = downcast::<PerceptronSpec>(p.analyses[0].as_ref()) else {
        panic!("no perceptron analysis")
    };
    let prep = prepare(spec);
    let errs = [0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5];
    let stats: Vec<(f64, f64)> = errs
        .iter()
        .map(|&e| {
            let acc: Vec<f64> = (0..10)
                .map(|s| {
                    let b = import_block(
                        spec,
                        &prep.p,
                        IvLaw::Linear,
                        &ErrorModel::Uniform { e },
                        None,
                        100 + s,
                    );
                    ideal_readout(spec, &prep.p, &prep.test, IvLaw::Linear, &b.g_state).accuracy
                })
                .collect();
            let m = acc.iter().sum::<f64>() / 10.0;
            let sd = (acc.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / 9.0).sqrt();
            (m, sd / 10f64.sqrt())
        })
        .collect();
    assert!(
        (stats[0].0 - prep.software_accuracy).abs() < 1e-12,
        "no error: the software accuracy"
    );
    for k in 1..errs.len() {
        let (a, b) = (stats[k - 1], stats[k]);
        let noise = 2.0 * (a.1 * a.1 + b.1 * b.1).sqrt() + 1e-3;
        assert!(
            b.0 <= a.0 + noise,
            "err {} -> {}: {stats:?}",
            errs[k - 1],
            errs[k]
        );
    }
    assert!(stats[6].0 < stats[0].0 - 0.15, "{stats:?}");

    // Through the circuit (the err sweep of the card, cubic devices, wires).
    let dir = tmpdir("perceptron-errsweep");
    let net = format!(
        "errs\n.include {}\n.crossbar xb rows=64 cols=10 model=tio2x rrow=1 rcol=1 g=10u\n\
         .perceptron xb data=file(\"{}\") err=0.01 sweep=err errs=0.01,0.1,0.3,0.5 seeds=4\n",
        manifest().join("models/tio2x_nili2020.lib").display(),
        data("mnist_8x8.csv").display()
    );
    let out = run_net(&dir, &net);
    let sw = table(&out.join("perceptron_sweep_err.csv"));
    assert_eq!(sw.len(), 4);
    for w in sw.windows(2) {
        let (a, b) = (
            num(&w[0], "circuit_accuracy_mean"),
            num(&w[1], "circuit_accuracy_mean"),
        );
        let noise =
            (num(&w[0], "circuit_accuracy_std") + num(&w[1], "circuit_accuracy_std")) / 2f64.sqrt();
        assert!(b <= a + noise, "{sw:?}");
    }
    assert!(num(&sw[3], "circuit_accuracy_mean") < num(&sw[0], "circuit_accuracy_mean") - 0.15);
    assert!(out.join("perceptron_sweep_err.png").exists());
}

/// Seed 000: with a spread that grows with conductance (2 % here, so that
/// neighbouring states hardly overlap, as the paper chose its 12 states),
/// variance-aware levels store normal-like (half-normal) weights and
/// activations with a lower error than uniform ones, above all at the low
/// states where the data are dense, and give a more accurate matrix product.
#[test]
fn vaq_beats_uniform_on_seed000_style_distributions() {
    let m = Mapping {
        g_lo: 10e-6,
        g_hi: 100e-6,
        vread: 0.25,
        diff: false,
    };
    let model = ErrorModel::Gauss { e: 0.02 };
    let n = 12;
    let lu = quantize::uniform(n, m.g_lo, m.g_hi);
    let lv = quantize::vaq(n, m.g_lo, m.g_hi, |g| model.sigma(g, &m));
    // Levels: same ends, VAQ denser at the bottom.
    assert_eq!((lv[0], lv[n - 1]), (lu[0], lu[n - 1]));
    assert!(lv[1] - lv[0] < 0.5 * (lu[1] - lu[0]));
    let (mut pu, mut pv) = (0.0, 0.0);
    for seed in 1..=10u64 {
        let w = quantize::half_normal(10 * 64, 0.25, 10 * seed);
        let x = quantize::half_normal(64 * 32, 0.25, 10 * seed + 1);
        let run = |levels: &[f64]| {
            quantize::study(
                levels,
                m.g_lo,
                m.g_hi,
                &w,
                &x,
                (10, 64, 32),
                |g, r| model.sample(g, &m, r),
                seed,
            )
        };
        let (u, v) = (run(&lu), run(&lv));
        assert!(
            v.mse_all < 0.8 * u.mse_all,
            "seed {seed}: {} vs {}",
            v.mse_all,
            u.mse_all
        );
        // The two lowest states: most of the data, most of the gain.
        for k in 0..2 {
            assert!(
                v.mse[k] < 0.5 * u.mse[k],
                "seed {seed} state {k}: {} vs {}",
                v.mse[k],
                u.mse[k]
            );
        }
        pu += u.product_error;
        pv += v.product_error;
    }
    assert!(pv < 0.9 * pu, "product error {pv} vs {pu}");
}

/// The card's quant sweep writes its tables; levels sweep covers both schemes.
#[test]
fn quant_and_levels_sweeps_write_their_tables() {
    let dir = tmpdir("perceptron-quant");
    let net = format!(
        "q\n.model lin memristor (level=linear)\n.crossbar xb rows=64 cols=10 model=lin g=10u\n\
         .perceptron xb data=file(\"{}\") import=gauss err=0.05 sweep=quant,levels nlevels=4,16 seeds=2\n",
        data("uci_digits_8x8.csv").display()
    );
    let out = run_net(&dir, &net);
    let s = table(&out.join("perceptron_sweep_quant_summary.csv"));
    let get = |d: &str, q: &str| {
        let r = s
            .iter()
            .find(|r| r["data"] == d && r["quant"] == q)
            .unwrap();
        num(r, "mse")
    };
    assert!(get("halfnormal", "vaq") < get("halfnormal", "uniform"));
    assert_eq!(
        table(&out.join("perceptron_sweep_quant.csv")).len(),
        2 * 2 * 12
    );
    let lv = table(&out.join("perceptron_sweep_levels.csv"));
    let keys: Vec<(String, String)> = lv
        .iter()
        .map(|r| (r["quant"].clone(), r["levels"].clone()))
        .collect();
    assert_eq!(
        keys,
        [
            ("uniform", "4"),
            ("uniform", "16"),
            ("vaq", "4"),
            ("vaq", "16")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    for p in ["perceptron_sweep_quant.png", "perceptron_sweep_levels.png"] {
        assert!(out.join(p).exists(), "{p}");
    }
}

/// The weights written by one run, read back by another, give the same
/// results, bit for bit.
#[test]
fn trained_weights_are_saved_and_reused() {
    let dir = tmpdir("perceptron-weights");
    let lib = manifest().join("models/tio2x_nili2020.lib");
    let d = data("uci_digits_8x8.csv");
    let head = format!(
        ".include {}\n.crossbar xb rows=64 cols=10 model=tio2x rrow=1 rcol=1 g=10u\n",
        lib.display()
    );
    let out = run_net(
        &dir,
        &format!(
            "a\n{head}.perceptron xb data=file(\"{}\") err=0.01 levels=16\n",
            d.display()
        ),
    );
    let w = dir.join("w.csv");
    std::fs::copy(out.join("perceptron_weights.csv"), &w).unwrap();
    let a = std::fs::read_to_string(out.join("perceptron_currents.csv")).unwrap();
    let ja = json(&out.join("perceptron.json"));
    let out2 = run_net(
        &dir,
        &format!("b\n{head}.perceptron xb data=file(\"{}\") err=0.01 levels=16 weights=file(\"w.csv\")\n", d.display()),
    );
    let b = std::fs::read_to_string(out2.join("perceptron_currents.csv")).unwrap();
    assert_eq!(a, b);
    let jb = json(&out2.join("perceptron.json"));
    assert_eq!(jb["weights"], "w.csv");
    for k in ["software_accuracy", "ideal_accuracy", "circuit_accuracy"] {
        assert_eq!(ja[k], jb[k], "{k}");
    }
    // A different training seed gives different weights.
    let out3 = run_net(
        &dir,
        &format!(
            "c\n{head}.perceptron xb data=file(\"{}\") tseed=2\n",
            d.display()
        ),
    );
    assert_ne!(
        std::fs::read_to_string(out3.join("perceptron_weights.csv")).unwrap(),
        std::fs::read_to_string(&w).unwrap()
    );
}

#[test]
fn card_errors_are_located() {
    let d = "../data/uci_digits_8x8.csv";
    let head =
        ".model lin memristor (level=linear)\n.crossbar xb rows=64 cols=10 model=lin g=10u\n";
    let cases: [(String, &str); 10] = [
        (format!(".perceptron xb data=file(\"{d}\") import=fancy\n"), "inline.cir:4:63: error: unknown import error model 'fancy'"),
        (format!(".perceptron xb data=file(\"{d}\") diff=1\n"), "inline.cir:4:1: error: crossbar 'xb' is 64x10; this perceptron needs at least 64x20"),
        (".perceptron xb err=0.1\n".to_string(), "inline.cir:4:1: error: .perceptron needs data=file"),
        (".perceptron xb data=file(\"missing.csv\")\n".to_string(), "inline.cir:4:21: error: cannot read"),
        (format!(".perceptron xb data=file(\"{d}\") colour=red\n"), "inline.cir:4:56: error: unexpected .perceptron parameter 'colour'"),
        (format!(".perceptron xb data=file(\"{d}\") sweep=quant\n"), "inline.cir:4:62: error: sweep=quant compares level placements under device spread"),
        (format!(".perceptron xb data=file(\"{d}\") quant=qc levels=4 gmin=10u gmax=100u\n"), "holds 2 QC state(s) (multiples of G0/2 = 38.7 uS); need 4"),
        (format!(".perceptron xb data=file(\"{d}\") levels=1\n"), "inline.cir:4:63: error: 'levels' must be 0 (continuous) or a whole number 2..4096, got 1"),
        (format!(".perceptron yb data=file(\"{d}\")\n"), "inline.cir:4:13: error: no crossbar named 'yb'"),
        (format!(".perceptron xb data=file(\"{d}\") quant=vaq\n"), "inline.cir:4:62: error: quant=vaq places levels, but levels is 0"),
    ];
    for (card, want) in cases {
        let e = errors(&format!("t\n{head}{card}"));
        assert!(e.contains(want), "{card}: {e}");
    }
    // A bad data file: its own line and column; exit code 2 from the binary.
    let dir = tmpdir("perceptron-baddata");
    std::fs::write(
        dir.join("d.csv"),
        "index,label,split,p0,p1\n0,1,train,0,1\n1,2,test,1,x\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("net.cir"),
        format!("t\n{head}.perceptron xb data=file(\"d.csv\")\n"),
    )
    .unwrap();
    let (code, _, err) = run_bin(&[
        "run",
        dir.join("net.cir").to_str().unwrap(),
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("d.csv:3:12: pixel 'x' is not 0 or 1"), "{err}");
    // The card's defaults, as documented.
    let p = planned(&format!("t\n{head}.perceptron xb data=file(\"{d}\")\n"));
    let Some(s) = downcast::<PerceptronSpec>(p.analyses[0].as_ref()) else {
        panic!()
    };
    assert_eq!(
        (s.map.g_lo, s.map.g_hi, s.map.vread, s.map.diff),
        (10e-6, 100e-6, 0.25, false)
    );
    assert_eq!(
        (s.levels, s.seed, s.seeds, s.out.as_str()),
        (0, 1, 5, "perceptron")
    );
    assert_eq!(
        (
            s.train.epochs,
            s.train.lr,
            s.train.batch,
            s.train.gain,
            s.train.seed
        ),
        (60, 0.05, 16, 4.0, 1)
    );
    assert_eq!(s.errs, card::ERRS.to_vec());
    assert_eq!(*s.error_model(), ErrorModel::Uniform { e: 0.0 });
}

/// A small digit set for tuning tests: the MNIST 8x8 images pooled to 4x4
/// (a pixel is on when any pixel of its 2x2 block is), digits 0-3 only. Its
/// 16x4 perceptron has 64 devices, which write-verify tunes in about a
/// second.
fn small_digits(dir: &Path) -> PathBuf {
    let d = Digits::load(&data("mnist_8x8.csv")).unwrap();
    let mut s = String::from("index,label,split");
    for k in 0..16 {
        s += &format!(",p{k}");
    }
    s.push('\n');
    for k in 0..d.len() {
        if d.labels[k] >= 4 {
            continue;
        }
        let img = d.image(k);
        let px: Vec<&str> = (0..16)
            .map(|p| {
                let (r, c) = (p / 4, p % 4);
                let on = (0..4).any(|q| img[(2 * r + q / 2) * 8 + 2 * c + q % 2] != 0);
                if on {
                    "1"
                } else {
                    "0"
                }
            })
            .collect();
        let split = if d.test[k] { "test" } else { "train" };
        s += &format!("{},{},{split},{}\n", d.index[k], d.labels[k], px.join(","));
    }
    let p = dir.join("small.csv");
    std::fs::write(&p, s).unwrap();
    p
}

/// Ideal devices (linear, pulse dynamics without spread, near-ideal wires):
/// write-verify brings every device within its tolerance, the device
/// outside the perceptron stays where it was, and the readout is as good as
/// the uniform 1 % import's.
#[test]
fn write_verify_import_reaches_every_target_with_ideal_devices() {
    let dir = tmpdir("perceptron-wv-ideal");
    let small = small_digits(&dir);
    let net = format!(
        "wv\n.model ideal memristor (level=linear gmin=1u gmax=200u dyn=nili vset=1.19 vreset=-1.39)\n\
         .crossbar xb rows=16 cols=5 model=ideal rrow=1m rcol=1m g=10u\n\
         .perceptron xb data=file(\"{0}\") import=wv tol=0.01 out=wv\n\
         .perceptron xb data=file(\"{0}\") import=uniform err=0.01 out=u1\n",
        small.display()
    );
    let out = run_net(&dir, &net);
    let (wv, u1) = (json(&out.join("wv.json")), json(&out.join("u1.json")));
    let pg = &wv["programming"];
    assert_eq!(wv["import"]["model"], "wv");
    assert_eq!(u1["programming"], serde_json::Value::Null);
    assert_eq!(
        (pg["devices"].as_u64(), pg["devices_outside_block"].as_u64()),
        (Some(80), Some(16))
    );
    for k in ["within_tol_pct", "true_within_tol_pct"] {
        assert_eq!(pg[k].as_f64(), Some(100.0), "{k}: {pg}");
    }
    assert_eq!(pg["stuck_devices"], 0);
    assert_eq!(pg["failed_devices"], 0);
    assert!(pg["mean_abs_error_pct"].as_f64().unwrap() < 1.0, "{pg}");
    assert!(pg["pulses"].as_u64().unwrap() > 64, "{pg}");
    let (a_wv, a_u1) = (
        wv["circuit_accuracy"].as_f64().unwrap(),
        u1["circuit_accuracy"].as_f64().unwrap(),
    );
    assert!(
        (a_wv - a_u1).abs() <= 0.02,
        "wv {a_wv} vs uniform 1 % {a_u1}"
    );
    assert!(a_u1 > 0.7, "{a_u1}");

    // Device by device, through the library (deterministic: the same run).
    let p = planned(&net);
    let c = &p.circuit;
    let Some(spec) = downcast::<PerceptronSpec>(p.analyses[0].as_ref()) else {
        panic!("no perceptron analysis")
    };
    let r = perceptron::run(c, spec).unwrap();
    assert_eq!(r.circuit.accuracy, a_wv);
    let pr = &r.programming.as_ref().unwrap().result;
    assert_eq!(pr.pulses() as u64, pg["pulses"].as_u64().unwrap());
    let targets = spec.map.targets(&r.prep.p);
    for i in 0..16 {
        for j in 0..5 {
            let (k, g) = (i * 5 + j, pr.g_final[i * 5 + j]);
            let t = if j < 4 { targets[i * 4 + j] } else { 10e-6 };
            assert!(close(pr.target[k], t, 1e-12, 0.0), "target ({i}, {j})");
            assert!((g - t).abs() <= 0.01 * t, "({i}, {j}): {g} vs {t}");
            // Linear devices: the state is the read conductance, and the
            // readout used the tuned states.
            assert_eq!(pr.g_state_final[k], r.xbar_states[k]);
            if j < 4 {
                assert_eq!(r.block.g_state[i * 4 + j], pr.g_state_final[k]);
            }
        }
    }
}

/// Stuck devices (a tenth of them, stuck off at gmin) are reported by the
/// programming statistics and read out at gmin.
#[test]
fn write_verify_import_reports_stuck_devices() {
    let dir = tmpdir("perceptron-wv-stuck");
    let small = small_digits(&dir);
    let net = format!(
        "wv\n.model m memristor (level=linear gmin=1u gmax=200u dyn=nili vset=1.19 vreset=-1.39 stuck=0.1 stuck_state=off)\n\
         .crossbar xb rows=16 cols=4 model=m rrow=1m rcol=1m g=10u\n\
         .perceptron xb data=file(\"{}\") import=wv tol=0.01 pseed=3\n",
        small.display()
    );
    let out = run_net(&dir, &net);
    let pg = json(&out.join("perceptron.json"))["programming"].clone();
    let p = planned(&net);
    let c = &p.circuit;
    let Some(spec) = downcast::<PerceptronSpec>(p.analyses[0].as_ref()) else {
        panic!("no perceptron analysis")
    };
    let r = perceptron::run(c, spec).unwrap();
    let pr = &r.programming.as_ref().unwrap().result;
    let stuck = pr.stuck.iter().filter(|s| **s).count();
    assert!(stuck > 0, "a tenth of 64 devices");
    assert_eq!(pg["stuck_devices"].as_u64(), Some(stuck as u64));
    for (k, _) in pr.stuck.iter().enumerate().filter(|(_, s)| **s) {
        assert_eq!(r.xbar_states[k], 1e-6, "stuck device {k} reads out at gmin");
    }
    // The switchable devices still reach their targets; the stuck ones
    // (targets >= 10 uS, stuck at 1 uS) weigh on the all-device mean only.
    assert_eq!(pg["within_tol_pct"].as_f64(), Some(100.0), "{pg}");
    let (sw, all) = (
        pg["mean_abs_error_pct"].as_f64().unwrap(),
        pg["mean_abs_error_all_pct"].as_f64().unwrap(),
    );
    assert!(sw < 1.0 && all > sw + 80.0 * stuck as f64 / 64.0, "{pg}");
}

#[test]
fn write_verify_card_keys_and_errors() {
    let d = "../data/uci_digits_8x8.csv";
    let lin = ".model lin memristor (level=linear)\n.crossbar xb rows=64 cols=10 model=lin g=10u\n";
    let dy = ".model dy memristor (level=linear gmin=1u gmax=200u dyn=nili)\n.crossbar xb rows=64 cols=10 model=dy g=10u\n";
    let cases: [(&str, String, &str); 7] = [
        (lin, format!(".perceptron xb data=file(\"{d}\") import=wv\n"), "inline.cir:4:63: error: import=wv tunes by pulses, but model 'lin' has no switching dynamics"),
        (lin, format!(".perceptron xb data=file(\"{d}\") tol=0.01\n"), "inline.cir:4:56: error: 'tol' applies to import=wv"),
        (dy, format!(".perceptron xb data=file(\"{d}\") import=wv err=0.01\n"), "inline.cir:4:66: error: 'err' applies to the statistical import models"),
        (dy, format!(".perceptron xb data=file(\"{d}\") import=wv sweep=err\n"), "inline.cir:4:72: error: the sweeps draw statistical imports; import=wv runs one tuning"),
        (dy, format!(".perceptron xb data=file(\"{d}\") import=wv scheme=ground\n"), "inline.cir:4:73: error: unknown write scheme 'ground'"),
        (dy, format!(".perceptron xb data=file(\"{d}\") import=wv algorithm=magic\n"), "inline.cir:4:76: error: unknown algorithm 'magic'"),
        (dy, format!(".perceptron xb data=file(\"{d}\") import=wv tol=1.5\n"), "inline.cir:4:70: error: 'tol' must be a fraction in (0, 1)"),
    ];
    for (head, card, want) in cases {
        let e = errors(&format!("t\n{head}{card}"));
        assert!(e.contains(want), "{card}: {e}");
    }
    // Defaults, and every key read.
    let p = planned(&format!(
        "t\n{dy}.perceptron xb data=file(\"{d}\") import=wv\n"
    ));
    let Some(s) = downcast::<PerceptronSpec>(p.analyses[0].as_ref()) else {
        panic!()
    };
    let Import::WriteVerify(t) = &s.import else {
        panic!("{:?}", s.import)
    };
    assert_eq!(
        (t.tol, t.cycles, t.scheme.name(), t.algorithm.name(), t.seed),
        (0.01, 3, "v/2", "write-verify", 1)
    );
    let p = planned(&format!(
        "t\n{dy}.perceptron xb data=file(\"{d}\") import=wv tol=0.02 cycles=5 scheme=v/3 algorithm=ispp pseed=7\n"
    ));
    let Some(s) = downcast::<PerceptronSpec>(p.analyses[0].as_ref()) else {
        panic!()
    };
    let t = s.tuning().unwrap();
    assert_eq!(
        (t.tol, t.cycles, t.scheme.name(), t.algorithm.name(), t.seed),
        (0.02, 5, "v/3", "ispp", 7)
    );
    assert_eq!(*s.error_model(), ErrorModel::Uniform { e: 0.02 });
}
