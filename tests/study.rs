//! `.step` studies: every point equals the same netlist run alone with its
//! values, bit for bit; a stepped array size rebuilds the array and agrees
//! with `.sizing`; points run in parallel give the same files; a failing
//! point stops nothing; bad cards are located errors.

use crate::common::*;
use std::collections::BTreeMap;
use std::path::Path;

/// Every result file of a folder (journal and lock aside), by name.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with(".xbarsim"))
        .map(|n| (n.clone(), std::fs::read(dir.join(&n)).unwrap()))
        .collect()
}

/// The netlist of the equality test, with `.param` lines `params` and the
/// `.step` lines `steps`.
fn crossbar_net(params: &str, steps: &str) -> String {
    format!(
        "stepped crossbar\n\
         .model d memristor (level=sinh beta=2.6 gmin=5u gmax=100u)\n\
         {params}\
         .crossbar xb rows=6 cols=5 model=d rrow={{rw}} rcol={{rw}} g=40u\n\
         vr0 r0 0 {{vin}}\nrd0 r0 xb.w0 10\nvr1 r1 0 0.1\nrd1 r1 xb.w3 10\n\
         rs0 xb.s1 0 10\nrs1 xb.s4 0 10\n\
         {steps}\
         .op\n\
         .read xb row=2 col=3 v={{vin}} scheme=v/3 rdrive=5 rsense=5\n"
    )
}

#[test]
fn stepped_points_equal_single_runs_bit_for_bit() {
    let dir = tmpdir("study-eq");
    let net = crossbar_net(
        ".param rw=1\n.param vin=0.2\n",
        ".step param rw list 0.5 2.5\n.step vin lin 0.2 0.3 0.1\n",
    );
    std::fs::write(dir.join("s.cir"), &net).unwrap();
    let run = |jobs: &str, out: &str| {
        let (code, _, err) = run_to(&dir.join("s.cir"), &dir.join(out), &["--jobs", jobs]);
        assert_eq!(code, 0, "{err}");
        dir.join(out)
    };
    let (one, two) = (run("1", "j1"), run("2", "j2"));
    // With their pictures, as a point run alone draws them.
    let (code, _, err) = run_to(&dir.join("s.cir"), &dir.join("pp"), &["--point-plots"]);
    assert_eq!(code, 0, "{err}");
    let pp = dir.join("pp");
    let table = std::fs::read_to_string(one.join("steps.csv")).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 5, "{table}");
    assert!(
        lines[0].starts_with("point,rw,vin,status,exit_code,seconds,"),
        "{table}"
    );
    let mut k = 0;
    for rw in ["0.5", "2.5"] {
        for vin in ["0.2", "0.3"] {
            k += 1;
            let folder = format!("point_{k}");
            assert!(
                lines[k].starts_with(&format!("{folder},{rw},{vin},ok,0,")),
                "{}",
                lines[k]
            );
            // The same netlist run alone with these values.
            let single = crossbar_net(&format!(".param rw={rw}\n.param vin={vin}\n"), "");
            let d = dir.join(format!("single{k}"));
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("s.cir"), single).unwrap();
            let (code, _, err) = run_to(&d.join("s.cir"), &d.join("out"), &[]);
            assert_eq!(code, 0, "{err}");
            let mut want = files(&d.join("out"));
            assert!(want.remove("manifest.json").is_some());
            assert!(want.contains_key("op.csv") && want.contains_key("read.csv"));
            assert!(want.contains_key("xb_vcell.png"));
            let mut got = files(&pp.join(&folder));
            assert!(got.remove("point.json").is_some(), "{folder}: no record");
            assert_eq!(got, want, "{folder} in {}", pp.display());
            // Without (the default): the same tables, no pictures.
            assert!(want.remove("xb_vcell.png").is_some());
            for out in [&one, &two] {
                let mut got = files(&out.join(&folder));
                assert!(got.remove("point.json").is_some(), "{folder}: no record");
                assert_eq!(got, want, "{folder} in {}", out.display());
            }
        }
    }
    // A plot per headline number (rw against vin, one curve per rw).
    let png = std::fs::read(one.join("steps_read_margin_pct.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 1000);
    assert!(!one.join("steps_op_iterations.png").exists());
    // The table's read margin is the point's read.csv figure.
    let head: Vec<&str> = lines[0].split(',').collect();
    let col = head.iter().position(|h| *h == "read.margin_pct").unwrap();
    let cells: Vec<&str> = lines[1].split(',').collect();
    let pct: f64 = cells[col].parse().unwrap();
    assert!(pct.is_finite() && pct != 0.0, "{pct}");
}

/// `.step` of the array size rebuilds the crossbar at every point, and the
/// worst-case read margin at each size is the one `.sizing` computes.
#[test]
fn stepped_rows_rebuild_and_agree_with_sizing() {
    let dir = tmpdir("study-size");
    let head = ".model d memristor (level=sinh beta=2.6)\n.param n=4\n\
        .crossbar xb rows={n} cols={n} model=d rrow=2 rcol=2 g=20u\n";
    let step = format!(
        "t\n{head}.step param n list 4 8 16\n\
         .read xb row=0 col={{n-1}} v=0.3 scheme=v/2 rdrive=10 rsense=10 gon=100u goff=10u\n"
    );
    let sizing = format!(
        "t\n{head}.sizing xb sizes=4,8,16 metric=read limit=10 v=0.3 scheme=v/2 rdrive=10 rsense=10 g=20u gon=100u goff=10u\n"
    );
    std::fs::write(dir.join("step.cir"), step).unwrap();
    std::fs::write(dir.join("sizing.cir"), sizing).unwrap();
    for (net, out) in [("step.cir", "a"), ("sizing.cir", "b")] {
        let (code, _, err) = run_to(&dir.join(net), &dir.join(out), &[]);
        assert_eq!(code, 0, "{err}");
    }
    let table = std::fs::read_to_string(dir.join("a/steps.csv")).unwrap();
    let mut rows = csv::Reader::from_reader(table.as_bytes());
    let head = rows.headers().unwrap().clone();
    let col = head.iter().position(|h| h == "read.margin_pct").unwrap();
    let stepped: Vec<(usize, f64)> = rows
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[1].parse().unwrap(), r[col].parse().unwrap())
        })
        .collect();
    let mut sz = csv::Reader::from_path(dir.join("b/sizing.csv")).unwrap();
    let sized: Vec<(usize, f64)> = sz
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].parse().unwrap(), r[1].parse().unwrap())
        })
        .collect();
    assert_eq!(stepped, sized);
    // Each point really is an n x n array.
    let cells = |k: usize| {
        let t = std::fs::read_to_string(dir.join(format!("a/point_{k}/read.csv"))).unwrap();
        t.lines().count()
    };
    assert!(cells(1) > 1 && cells(3) > 1);
    assert!(sized[0].1 > sized[2].1, "the margin shrinks with the array");
}

/// `.step V1 ...`, `.step I1 ...` and `.step temp ...` set the source values
/// and the temperature: each point equals the netlist written with them.
#[test]
fn stepped_sources_and_temperature_equal_written_ones() {
    let dir = tmpdir("study-src");
    let net = |v: &str, i: &str, t: &str, steps: &str| {
        format!(
            "t\n.model c memristor (level=cubic)\n.temp {t}\nV1 a 0 {v}\nI1 0 b {i}\n\
             R1 a b 2k\nYMEMRISTOR m1 b 0 c g=20u\n{steps}.op\n"
        )
    };
    std::fs::write(
        dir.join("s.cir"),
        net(
            "0.1",
            "1u",
            "27",
            ".step v1 list 0.3 0.6\n.step param i1 list 0 2u\n.step temp list 27 85\n",
        ),
    )
    .unwrap();
    let (code, _, err) = run_to(&dir.join("s.cir"), &dir.join("o"), &[]);
    assert_eq!(code, 0, "{err}");
    let mut k = 0;
    let mut temps = Vec::new();
    for v in ["0.3", "0.6"] {
        for i in ["0", "2u"] {
            for t in ["27", "85"] {
                k += 1;
                let d = dir.join(format!("w{k}"));
                std::fs::create_dir_all(&d).unwrap();
                std::fs::write(d.join("s.cir"), net(v, i, t, "")).unwrap();
                let (code, _, err) = run_to(&d.join("s.cir"), &d.join("o"), &[]);
                assert_eq!(code, 0, "{err}");
                let got = std::fs::read(dir.join(format!("o/point_{k}/op.csv"))).unwrap();
                assert_eq!(got, std::fs::read(d.join("o/op.csv")).unwrap(), "point {k}");
                temps.push(read_qv(&d.join("o/op.csv"))["v(b)"]);
            }
        }
    }
    // The values really changed the circuit (the temperature included).
    assert!(temps[0] != temps[1] && temps[0] != temps[2] && temps[0] != temps[4]);
}

#[test]
fn a_failing_point_stops_nothing() {
    let dir = tmpdir("study-fail");
    let net = "t\n.param r=1k\nV1 a 0 1\nR1 a b {r}\nR2 b 0 3k\n.step param r list 1k -1 2k\n.op\n";
    std::fs::write(dir.join("s.cir"), net).unwrap();
    let out = dir.join("o");
    let (code, _, err) = run_to(&dir.join("s.cir"), &out, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("point_2 (r=-1)") && err.contains("resistance must be positive"),
        "{err}"
    );
    let table = std::fs::read_to_string(out.join("steps.csv")).unwrap();
    let status: Vec<String> = table
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().to_string())
        .collect();
    assert_eq!(status, ["ok", "input error", "ok"], "{table}");
    let v = read_qv(&out.join("point_3/op.csv"));
    assert!((v["v(b)"] - 0.6).abs() < 1e-12, "{}", v["v(b)"]);
    assert!(!out.join("point_2/op.csv").exists());
}

#[test]
fn bad_step_cards_are_located() {
    let e = errors("t\n.param r=1k\nV1 a 0 1\nR1 a 0 {r}\n.step param q list 1 2\n.op\n");
    assert!(
        e.contains(
            "inline.cir:5:13: error: 'q' is not a .param, an independent source or temp of this netlist"
        ),
        "{e}"
    );
    let e = errors("t\n.param r=1k\nV1 a 0 1\nR1 a 0 {r}\n.step param r lin 1k 2k 0\n.op\n");
    assert!(
        e.contains(":5:25: error: a step of 0 never reaches the stop value"),
        "{e}"
    );
    let e = errors("t\n.param r=1k\nV1 a 0 1\nR1 a 0 {r}\n.step r lin 5 1 1\n.op\n");
    assert!(
        e.contains(":5:17: error: a step of 1 does not go from 5 to 1"),
        "{e}"
    );
    let e = errors("t\n.param r=1k\nV1 a 0 1\nR1 a 0 {r}\n.step param r dec 0 10 3\n.op\n");
    assert!(
        e.contains(":5:19: error: .step dec needs start and stop > 0"),
        "{e}"
    );
    let e = errors("t\n.param r=1k\nV1 a 0 1\nR1 a 0 {r}\n.step param r list\n.op\n");
    assert!(
        e.contains(":5:1: error: .step list needs at least one value"),
        "{e}"
    );
    let e = errors(
        "t\n.param r=1k\nV1 a 0 1\nR1 a 0 {r}\n.step param r list 1 2\n.step r list 3\n.op\n",
    );
    assert!(e.contains(":6:1: error: 'r' is stepped twice"), "{e}");
    let e = errors("t\nV1 a 0 1\nR1 a 0 1k\n.step r1 list 1 2\n.op\n");
    assert!(
        e.contains(":4:7: error: 'r1' is not a .param, an independent source or temp"),
        "{e}"
    );
    // More points than the limit: refused unless raised.
    let dir = tmpdir("study-big");
    let net = "t\n.param a=1\n.param b=1\nV1 x 0 {a}\nR1 x 0 {b}\n.step param a lin 1 2000 1\n.step param b lin 1 1000 1\n.op\n";
    std::fs::write(dir.join("s.cir"), net).unwrap();
    let (code, _, err) = run_bin(&["check", dir.join("s.cir").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "s.cir:7:1: error: the study has 2000000 points, more than the limit of 1000000"
        ),
        "{err}"
    );
    let (code, _, err) = run_bin(&[
        "check",
        "--max-points",
        "3000000",
        dir.join("s.cir").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
}

/// A study of 300 points of a 24×24 sinh crossbar's `.op` (a second or two
/// here): long enough to be caught running.
fn long_study() -> String {
    let mut net = String::from(
        "long\n.model d memristor (level=sinh beta=2.6)\n.param vin=0.1\n\
         .crossbar xb rows=24 cols=24 model=d rrow=2.5 rcol=2.5 g=55u\n",
    );
    for i in 0..24 {
        net += &format!("vr{i} r{i} 0 {{vin}}\nrd{i} r{i} xb.w{i} 10\nrs{i} xb.s{i} 0 10\n");
    }
    net + ".step param vin lin 0.001 0.3 0.001\n.op\n"
}

/// Start `xbarsim run -q --jobs 1 NET -o OUT` (a study of up to 999 points)
/// and return it, running, once `records` of its points have their record
/// (failing after `within` seconds).
fn start_study(net: &Path, out: &Path, records: usize, within: u64) -> std::process::Child {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_xbarsim"))
        .args(["run", "-q", "--jobs", "1"])
        .arg(net)
        .arg("-o")
        .arg(out)
        .spawn()
        .unwrap();
    let done = || {
        (1..=999)
            .filter(|k| {
                out.join(format!("point_{k:03}"))
                    .join("point.json")
                    .exists()
            })
            .count()
    };
    let t = std::time::Instant::now();
    while done() < records {
        assert!(t.elapsed().as_secs() < within, "the study did not start");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child
}

/// A study killed by SIGKILL part way and rerun with `--resume` ends with
/// every point equal to an uninterrupted run, and the points that had
/// finished are not run again (their records stay byte for byte).
#[test]
fn resume_after_sigkill_completes_without_rerunning() {
    let dir = tmpdir("study-resume");
    let net = long_study();
    std::fs::write(dir.join("s.cir"), &net).unwrap();
    let a = dir.join("a");
    let mut child = start_study(&dir.join("s.cir"), &a, 5, 120);
    let records = |out: &Path| -> BTreeMap<String, Vec<u8>> {
        (1..=300)
            .map(|k| format!("point_{k:03}"))
            .filter_map(|f| {
                let b = std::fs::read(out.join(&f).join("point.json")).ok()?;
                Some((f, b))
            })
            .collect()
    };
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let resume = || {
        run_bin(&[
            "run",
            "--resume",
            dir.join("s.cir").to_str().unwrap(),
            "-o",
            a.to_str().unwrap(),
        ])
    };
    let before = records(&a);
    assert!(
        before.len() < 300 && !a.join("steps.csv").exists(),
        "the study finished before it could be killed ({} points)",
        before.len()
    );
    let (code, out, err) = resume();
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!("({} already done, not run again)", before.len())),
        "{out}"
    );
    let after = records(&a);
    assert_eq!(after.len(), 300);
    for (f, b) in &before {
        assert_eq!(&after[f], b, "{f} was run again");
    }
    // Everything equals an uninterrupted run.
    let b = dir.join("b");
    let (code, _, err) = run_to(&dir.join("s.cir"), &b, &["--jobs", "2"]);
    assert_eq!(code, 0, "{err}");
    for k in 1..=300 {
        let f = format!("point_{k:03}");
        let mut x = files(&a.join(&f));
        let mut y = files(&b.join(&f));
        x.remove("point.json");
        y.remove("point.json");
        assert_eq!(x.keys().collect::<Vec<_>>(), ["op.csv", "xb_vcell.csv"]);
        assert_eq!(x, y, "{f}");
    }
    assert_eq!(table_sans_seconds(&a), table_sans_seconds(&b));
    // A point whose files are not as its record lists them (a write lost
    // to a power loss: the files are not synced one by one) runs again.
    let damaged = a.join("point_007").join("op.csv");
    let text = std::fs::read(&damaged).unwrap();
    std::fs::write(&damaged, &text[..text.len() / 2]).unwrap();
    let flipped = a.join("point_011").join("xb_vcell.csv");
    let mut text = std::fs::read(&flipped).unwrap();
    text[10] = if text[10] == b'1' { b'2' } else { b'1' };
    std::fs::write(&flipped, &text).unwrap();
    let (code, out, err) = resume();
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("(298 already done, not run again)"), "{out}");
    for f in ["point_007", "point_011"] {
        assert_eq!(
            files(&a.join(f)).remove("op.csv"),
            files(&b.join(f)).remove("op.csv")
        );
        assert_eq!(
            files(&a.join(f)).remove("xb_vcell.csv"),
            files(&b.join(f)).remove("xb_vcell.csv")
        );
    }
    // A changed input reruns every point.
    std::fs::write(dir.join("s.cir"), net.replace("g=55u", "g=56u")).unwrap();
    let (code, out, err) = resume();
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("already done"), "{out}");
}

/// `.mc` with one seed is the same bits at 1 and 2 jobs, and any sample
/// reruns alone (`--point K`) to the same files.
#[test]
fn monte_carlo_is_reproducible_and_any_sample_reruns_alone() {
    let dir = tmpdir("study-mc");
    let net = "mc\n.model d memristor (level=sinh beta=2.6)\n.param gdev=agauss(40u, 4u, 1)\n\
        .param rw=1\n.crossbar xb rows=4 cols=4 model=d rrow={rw} rcol={rw} g={gdev}\n\
        vr0 r0 0 0.2\nrd0 r0 xb.w0 10\nrs0 xb.s2 0 {aunif(10, 5)}\n\
        .step param rw list 1 3\n.mc 6 seed=11\n.op\n";
    std::fs::write(dir.join("s.cir"), net).unwrap();
    let run = |args: &[&str], out: &str| {
        let (code, _, err) = run_to(&dir.join("s.cir"), &dir.join(out), args);
        assert_eq!(code, 0, "{err}");
        dir.join(out)
    };
    let one = run(&["--jobs", "1", "--threads", "1"], "j1");
    let two = run(&["--jobs", "2", "--threads", "2"], "j2");
    let table = std::fs::read_to_string(one.join("steps.csv")).unwrap();
    assert!(table.starts_with("point,rw,sample,seed,status,"), "{table}");
    let seeds: Vec<&str> = table
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(3).unwrap())
        .collect();
    assert_eq!(seeds.len(), 12);
    // Sample j has one seed at both rw values (common random numbers).
    assert_eq!(seeds[..6], seeds[6..]);
    let mut vb = Vec::new();
    for k in 1..=12 {
        let f = format!("point_{k:02}");
        let mut a = files(&one.join(&f));
        let mut b = files(&two.join(&f));
        a.remove("point.json");
        b.remove("point.json");
        assert_eq!(a, b, "{f}");
        vb.push(read_qv(&one.join(&f).join("op.csv"))["v(xb.s2)"]);
    }
    // The samples differ from each other.
    assert!(vb[0] != vb[1] && vb[1] != vb[2], "{vb:?}");
    // Sample 4 of rw=3 (point 10) alone.
    let alone = run(&["--point", "10"], "alone");
    let mut a = files(&alone.join("point_10"));
    let mut b = files(&one.join("point_10"));
    a.remove("point.json");
    b.remove("point.json");
    // A point run alone draws its pictures; the study's points do not.
    assert!(a.remove("xb_vcell.png").is_some());
    assert_eq!(a, b);
    assert!(!alone.join("steps.csv").exists());
}

/// The draws have the distributions asked for: agauss(1k, 100, 1) over 400
/// samples has mean 1k and standard deviation 100 (within 4 standard
/// errors); unif(10k, 0.1) stays within 9k..11k. Without `.mc` both give
/// their nominal value.
#[test]
fn monte_carlo_draws_have_the_asked_moments() {
    let dir = tmpdir("study-mc-moments");
    let body = "t\n.param r=agauss(1k, 100, 1)\nV1 a 0 1\nR1 a 0 {r}\nV2 b 0 1\nR2 b 0 {unif(10k, 0.1)}\n.op\n";
    std::fs::write(dir.join("s.cir"), format!("{body}.mc 400 seed=3\n")).unwrap();
    let out = dir.join("o");
    let (code, _, err) = run_to(&dir.join("s.cir"), &out, &["--jobs", "2"]);
    assert_eq!(code, 0, "{err}");
    let (mut r, mut u) = (Vec::new(), Vec::new());
    for k in 1..=400 {
        let q = read_qv(&out.join(format!("point_{k:03}/op.csv")));
        r.push(-1.0 / q["i(v1)"]);
        u.push(-1.0 / q["i(v2)"]);
    }
    let n = r.len() as f64;
    let mean = r.iter().sum::<f64>() / n;
    let sd = (r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    assert!(
        (mean - 1000.0).abs() < 4.0 * 100.0 / n.sqrt(),
        "mean {mean}"
    );
    assert!(
        (sd - 100.0).abs() < 4.0 * 100.0 / (2.0 * n).sqrt(),
        "sd {sd}"
    );
    assert!(u.iter().all(|x| (9000.0..=11000.0).contains(x)));
    let umean = u.iter().sum::<f64>() / n;
    assert!(
        (umean - 10000.0).abs() < 4.0 * 1000.0 / 3f64.sqrt() / n.sqrt(),
        "{umean}"
    );
    // No .mc: the nominal values.
    let v = op_map(body);
    assert_eq!(v["i(v1)"], -1.0 / 1000.0);
    assert_eq!(v["i(v2)"], -1.0 / 10000.0);
}

#[test]
fn bad_monte_carlo_cards_are_located() {
    let e = errors("t\nV1 a 0 1\nR1 a 0 {agauss(1k, 100, -1)}\n.op\n");
    assert!(
        e.contains("inline.cir:3:9: error: agauss() needs a variation >= 0 and a sigma > 0, got 100 and -1"),
        "{e}"
    );
    let e = errors("t\nV1 a 0 1\nR1 a 0 {aunif(1k, -5)}\n.op\n");
    assert!(
        e.contains(":3:9: error: aunif() needs a variation >= 0, got -5"),
        "{e}"
    );
    let e = errors("t\nV1 a 0 1\nR1 a 0 1k\n.mc 0\n.op\n");
    assert!(
        e.contains(":4:5: error: the number of samples must be a whole number >= 1, got '0'"),
        "{e}"
    );
    let e = errors("t\nV1 a 0 1\nR1 a 0 1k\n.mc 3 sed=1\n.op\n");
    assert!(
        e.contains(":4:7: error: unexpected .mc parameter 'sed'"),
        "{e}"
    );
    let e = errors("t\nV1 a 0 1\nR1 a 0 1k\n.mc 3\n.mc 4\n.op\n");
    assert!(
        e.contains(":5:1: error: a netlist may have one .mc card"),
        "{e}"
    );
    let e = errors("t\nV1 a 0 1\nR1 a b 1k\nB1 b 0 I={agauss(1m, 1u, 1)*V(b)}\n.op\n");
    assert!(e.is_empty(), "{e}");
    let e = errors("t\nV1 a 0 1\nR1 a b 1k\nB1 b 0 I={agauss(V(b), 1u, 1)}\n.op\n");
    assert!(
        e.contains("a Monte Carlo function (agauss, gauss, aunif, unif) here depends on V(...)"),
        "{e}"
    );
}

/// A study's table without its `seconds` column (wall-clock time).
fn table_sans_seconds(out: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(out.join("steps.csv"))
        .unwrap_or_else(|e| panic!("{}: {e}", out.display()));
    let at = text
        .lines()
        .next()
        .unwrap()
        .split(',')
        .position(|c| c == "seconds")
        .unwrap();
    text.lines()
        .map(|l| {
            let mut c: Vec<&str> = l.split(',').collect();
            c.remove(at);
            c.join(",")
        })
        .collect()
}

/// Shards (`--shard I/N`), run at the same time into one folder or into
/// folders of their own, merge (`xbarsim merge`) into the table the
/// single run writes, bit for bit, with the same point folders; an
/// incomplete or ambiguous set of shards is refused and writes nothing.
#[test]
fn shards_merged_equal_the_single_run() {
    let dir = tmpdir("study-shard");
    let net = crossbar_net(
        ".param rw=1\n.param vin=0.2\n",
        ".step param rw list 0.5 1 2.5\n.step vin lin 0.1 0.3 0.1\n",
    );
    let s = dir.join("s.cir");
    std::fs::write(&s, net).unwrap();
    let single = dir.join("single");
    let (code, _, err) = run_to(&s, &single, &[]);
    assert_eq!(code, 0, "{err}");
    let want = table_sans_seconds(&single);
    assert_eq!(want.len(), 10);
    // Four shards at the same time into one folder.
    let shared = dir.join("shared");
    let children: Vec<_> = (0..4)
        .map(|i| {
            std::process::Command::new(env!("CARGO_BIN_EXE_xbarsim"))
                .args(["run", "-q", "--shard", &format!("{i}/4")])
                .arg(&s)
                .arg("-o")
                .arg(&shared)
                .output()
                .unwrap()
        })
        .collect();
    for c in &children {
        assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stderr));
    }
    assert!(!shared.join("steps.csv").exists());
    for i in 0..4 {
        assert!(shared.join(format!("shard_{i}_of_4.json")).is_file());
    }
    let merge = |dirs: &[&Path], out: &Path| {
        let mut args = vec!["merge".to_string()];
        args.extend(dirs.iter().map(|d| d.display().to_string()));
        args.extend(["-o".to_string(), out.display().to_string()]);
        run_bin(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let (code, out, err) = merge(&[&shared], &shared);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("4 shard(s) merged: 9 point(s), 9 ok"), "{out}");
    assert_eq!(table_sans_seconds(&shared), want);
    for k in 1..=9 {
        let f = format!("point_{k}");
        let mut a = files(&single.join(&f));
        let mut b = files(&shared.join(&f));
        a.remove("point.json");
        b.remove("point.json");
        assert!(a.contains_key("read.csv"));
        assert_eq!(a, b, "{f}");
    }
    // Two shards in folders of their own, merged into a third.
    let parts = [dir.join("part0"), dir.join("part1")];
    for (i, p) in parts.iter().enumerate() {
        let (code, _, err) = run_to(&s, p, &["--shard", &format!("{i}/2")]);
        assert_eq!(code, 0, "{err}");
    }
    let joined = dir.join("joined");
    let (code, _, err) = merge(&[&parts[0], &parts[1]], &joined);
    assert_eq!(code, 0, "{err}");
    assert_eq!(table_sans_seconds(&joined), want);
    // Manifests of another splitting in the folder are left out, and said.
    std::fs::copy(
        parts[0].join("shard_0_of_2.json"),
        shared.join("shard_0_of_2.json"),
    )
    .unwrap();
    let again = dir.join("again");
    let (code, _, err) = merge(&[&shared], &again);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("left out") && err.contains("missing shard(s) 1"),
        "{err}"
    );
    assert_eq!(table_sans_seconds(&again), want);
    // The same study split again (3 shards, the netlist named by another
    // path): the newest complete set is merged.
    let other_name = dir.join(".").join("s.cir");
    for i in 0..3 {
        let (code, _, err) = run_to(&other_name, &shared, &["--shard", &format!("{i}/3")]);
        assert_eq!(code, 0, "{err}");
    }
    let (code, out, err) = merge(&[&shared], &dir.join("newest"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("3 shard(s) merged"), "{out}");
    assert_eq!(table_sans_seconds(&dir.join("newest")), want);
    // A point folder that lost a file: refused.
    std::fs::remove_file(parts[0].join("point_3").join("op.csv")).unwrap();
    let (code, _, err) = merge(&[&parts[0], &parts[1]], &dir.join("lost"));
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "point_3: its record is missing, or its files are not as the record lists them"
        ),
        "{err}"
    );
    assert!(!dir.join("lost").join("steps.csv").exists());
    // The same shard twice; a shard missing: refused, nothing written.
    let (code, _, err) = merge(&[&shared, &parts[0]], &dir.join("twice"));
    assert_eq!(code, 2);
    assert!(
        err.contains("shard 0 of 2 of one study is found twice"),
        "{err}"
    );
    std::fs::remove_file(parts[1].join("shard_1_of_2.json")).unwrap();
    let (code, _, err) = merge(&[&parts[0], &parts[1]], &dir.join("none"));
    assert_eq!(code, 2);
    assert!(
        err.contains("no complete set of shards") && err.contains("missing shard(s) 1"),
        "{err}"
    );
    assert!(!dir.join("none").join("steps.csv").exists());
    let (code, _, err) = merge(&[&dir.join("single")], &dir.join("none"));
    assert_eq!(code, 2);
    assert!(err.contains("no shard manifests"), "{err}");
    // Bad shard arguments.
    for bad in ["4/4", "1/0", "x/2", "3"] {
        let (code, _, err) = run_to(&s, &dir.join("bad"), &["--shard", bad]);
        assert_eq!(code, 2, "{bad}");
        assert!(err.contains("is not a shard I/N"), "{err}");
    }
}

/// A batch run in shards (`run A B C D --shard I/N`): plain netlists go to
/// one shard each by position, studies to every shard by point; merged,
/// the batch table and every netlist's folder equal one process's.
#[test]
fn batch_shards_merge_to_the_single_batch() {
    let dir = tmpdir("study-batch-shard");
    let nets = [
        ("a", crossbar_net(".param rw=1\n.param vin=0.2\n", "")),
        (
            "s",
            crossbar_net(
                ".param rw=1\n.param vin=0.2\n",
                ".step param rw list 0.5 1 2.5\n",
            ),
        ),
        ("bad", "bad\nR1 a 0 {nope}\n.op\n".to_string()),
        ("b", crossbar_net(".param rw=3\n.param vin=0.1\n", "")),
    ];
    let mut args: Vec<String> = vec!["run".into(), "-q".into()];
    for (name, text) in &nets {
        let p = dir.join(format!("{name}.cir"));
        std::fs::write(&p, text).unwrap();
        args.push(p.display().to_string());
    }
    let run = |extra: &[&str], out: &str| {
        let mut a = args.clone();
        a.extend(["-o".to_string(), dir.join(out).display().to_string()]);
        a.extend(extra.iter().map(|s| s.to_string()));
        std::process::Command::new(env!("CARGO_BIN_EXE_xbarsim"))
            .args(&a)
            .output()
            .unwrap()
    };
    let single = run(&[], "single");
    assert_eq!(single.status.code(), Some(2));
    // Two shards at the same time into one folder.
    let (s0, s1) = std::thread::scope(|sc| {
        let a = sc.spawn(|| run(&["--shard", "0/2"], "sharded"));
        let b = sc.spawn(|| run(&["--shard", "1/2"], "sharded"));
        (a.join().unwrap(), b.join().unwrap())
    });
    for r in [&s0, &s1] {
        assert_eq!(
            r.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&r.stderr)
        );
    }
    let sharded = dir.join("sharded");
    assert!(!sharded.join("batch.csv").exists());
    // Plain netlists: a (position 0) and b (position 3) each ran once.
    assert!(sharded.join("a").join("op.csv").exists() && sharded.join("b").join("op.csv").exists());
    let (code, _, err) = run_bin(&[
        "merge",
        sharded.to_str().unwrap(),
        "-o",
        sharded.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    let table = |d: &Path| -> Vec<String> {
        std::fs::read_to_string(d.join("batch.csv"))
            .unwrap()
            .lines()
            .map(|l| {
                let c: Vec<&str> = l.split(',').collect();
                // netlist, output folder's name, status, exit code (not the seconds)
                let out = c[1].rsplit(['/', '\\']).next().unwrap();
                format!("{},{out},{},{}", c[0], c[2], c[3])
            })
            .collect()
    };
    let want = table(&dir.join("single"));
    assert_eq!(want.len(), 5);
    assert!(want[3].contains("input error,2"), "{want:?}");
    assert_eq!(table(&sharded), want);
    assert_eq!(
        table_sans_seconds(&sharded.join("s")),
        table_sans_seconds(&dir.join("single").join("s"))
    );
    for name in ["a", "b"] {
        let mut x = files(&sharded.join(name));
        let mut y = files(&dir.join("single").join(name));
        x.remove("manifest.json");
        y.remove("manifest.json");
        assert_eq!(x, y, "{name}");
    }
    // A batch shard missing: refused.
    std::fs::remove_file(sharded.join("batch_shard_1_of_2.json")).unwrap();
    let (code, _, err) = run_bin(&[
        "merge",
        sharded.to_str().unwrap(),
        "-o",
        dir.join("x").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("not one complete set of batch shards: 2 shard(s), missing 1"),
        "{err}"
    );
}

/// Circuits of one structure share one symbolic analysis (a study's points
/// that change only values), and their solutions are the bits of engines
/// built alone; another structure (a seventh row) builds its own.
#[test]
fn points_of_one_structure_share_the_symbolic_analysis() {
    use xbarsim::analysis::{Engine, Reuse};
    let a = circuit(&crossbar_net(".param rw=1\n.param vin=0.2\n", ""));
    let b = circuit(&crossbar_net(".param rw=2.5\n.param vin=0.3\n", ""));
    let c = circuit(&crossbar_net(".param rw=1\n.param vin=0.2\n", "").replace("rows=6", "rows=7"));
    let mut reuse = Reuse::default();
    for (x, hits, misses) in [(&a, 0, 1), (&b, 1, 1), (&c, 1, 2), (&a, 1, 3), (&b, 2, 3)] {
        let mut e = Engine::reusing(x, &mut reuse).unwrap();
        e.solve().unwrap();
        let mut alone = Engine::new(x).unwrap();
        alone.solve().unwrap();
        let bits = |y: &[f64]| y.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&e.y), bits(&alone.y));
        assert!(e.solver.is_cholesky());
        assert_eq!((reuse.hits, reuse.misses), (hits, misses));
    }
}

/// Every run leaves `manifest.json`: its inputs by SHA-256, how it ended,
/// and its files by SHA-256; `--resume` does not rerun a netlist whose
/// manifest matches its inputs and files, and reruns it when either changed.
#[test]
fn manifests_list_inputs_and_outputs_and_resume_plain_runs() {
    let dir = tmpdir("study-manifest");
    let s = dir.join("s.cir");
    std::fs::write(&s, crossbar_net(".param rw=1\n.param vin=0.2\n", "")).unwrap();
    let out = dir.join("out");
    let (code, _, err) = run_to(&s, &out, &[]);
    assert_eq!(code, 0, "{err}");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["status"], "ok");
    assert_eq!(m["exit_code"], 0);
    let text = std::fs::read(&s).unwrap();
    assert_eq!(m["inputs"][0]["bytes"], text.len() as u64);
    assert_eq!(m["inputs"][0]["sha256"].as_str().unwrap().len(), 64);
    let outputs: Vec<&str> = m["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        outputs,
        ["op.csv", "read.csv", "xb_vcell.csv", "xb_vcell.png"]
    );
    let resume = || {
        run_bin(&[
            "run",
            "--resume",
            s.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
    };
    let (code, said, err) = resume();
    assert_eq!(code, 0, "{err}");
    assert!(said.contains("not run again"), "{said}");
    // A damaged result: run again, and the file is whole again.
    let op = std::fs::read(out.join("op.csv")).unwrap();
    std::fs::write(out.join("op.csv"), &op[..op.len() / 2]).unwrap();
    let (code, said, err) = resume();
    assert_eq!(code, 0, "{err}");
    assert!(!said.contains("not run again"), "{said}");
    assert_eq!(std::fs::read(out.join("op.csv")).unwrap(), op);
    // A changed netlist: run again.
    std::fs::write(&s, crossbar_net(".param rw=1\n.param vin=0.25\n", "")).unwrap();
    let (code, said, err) = resume();
    assert_eq!(code, 0, "{err}");
    assert!(!said.contains("not run again"), "{said}");
    assert_ne!(std::fs::read(out.join("op.csv")).unwrap(), op);
    // A study's and a batch's manifests.
    let st = dir.join("st.cir");
    std::fs::write(
        &st,
        crossbar_net(".param rw=1\n.param vin=0.2\n", ".step param rw list 1 2\n"),
    )
    .unwrap();
    let b = dir.join("batch");
    let (code, _, err) = run_bin(&[
        "run",
        "-q",
        s.to_str().unwrap(),
        st.to_str().unwrap(),
        "-o",
        b.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let read = |p: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(p.join("manifest.json")).unwrap()).unwrap()
    };
    let (mb, ms) = (read(&b), read(&b.join("st")));
    assert_eq!(
        (mb["units"].as_u64(), ms["units"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(mb["outputs"][0]["name"], "batch.csv");
    assert_eq!(ms["outputs"][0]["name"], "steps.csv");
    assert_eq!(mb["inputs"].as_array().unwrap().len(), 2);
}

/// `.program` publishes its per-cycle numbers and the devices' own error
/// to the study table: the values of program.json, by name.
#[test]
fn program_studies_carry_per_cycle_and_device_numbers() {
    let dir = tmpdir("study-program");
    let net = "p\n.param sd=0.31\n\
        .model m memristor (level=cubic temp=27 gmin=3u gmax=100u dyn=nili vset_sd={sd} vreset_sd=0.37 vcorr=0.6)\n\
        .crossbar xb rows=6 cols=6 model=m g=20u rrow=1 rcol=1\n\
        .program xb target=50u cycles=2 seed=3\n.step param sd list 0.31 0.1\n.end\n";
    std::fs::write(dir.join("s.cir"), net).unwrap();
    let out = dir.join("out");
    let (code, _, err) = run_to(&dir.join("s.cir"), &out, &[]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(out.join("steps.csv")).unwrap();
    let head: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    for k in 1..=2 {
        let row: Vec<&str> = text.lines().nth(k).unwrap().split(',').collect();
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.join(format!("point_{k}")).join("program.json")).unwrap(),
        )
        .unwrap();
        let col = |name: &str| -> f64 {
            let at = head
                .iter()
                .position(|h| *h == name)
                .unwrap_or_else(|| panic!("{name}: {head:?}"));
            row[at].parse().unwrap()
        };
        assert_eq!(
            col("program.true_within_tol_pct"),
            json["true_within_tol_pct"].as_f64().unwrap()
        );
        assert_eq!(
            col("program.true_mean_abs_error_pct"),
            json["true_mean_abs_error_pct"].as_f64().unwrap()
        );
        for (q, key) in [
            ("disturbed", "disturbed_devices"),
            ("drifted", "drifted_devices"),
            ("read_shifted", "read_shifted_devices"),
        ] {
            assert_eq!(
                col(&format!("program.{q}")),
                json[key].as_f64().unwrap(),
                "{q}"
            );
        }
        for c in 0..2 {
            let per = &json["per_cycle"];
            assert_eq!(
                col(&format!("program.cycle{}.within_tol_pct", c + 1)),
                per["within_tol_pct"][c].as_f64().unwrap()
            );
            assert_eq!(
                col(&format!("program.cycle{}.mean_abs_error_pct", c + 1)),
                per["mean_abs_error_pct"][c].as_f64().unwrap()
            );
            for (q, key) in [
                ("disturbed", "disturbed_devices"),
                ("drifted", "drifted_devices"),
                ("read_shifted", "read_shifted_devices"),
            ] {
                assert_eq!(
                    col(&format!("program.cycle{}.{q}", c + 1)),
                    per[key][c].as_f64().unwrap(),
                    "{q}"
                );
            }
        }
    }
}

/// A study owns its folder: the point folders of an earlier, larger study
/// there go (what else is in them and the folder's other files stay), and
/// a second study into the folder while one runs is refused.
#[test]
fn a_study_removes_an_earlier_studys_points_and_owns_its_folder() {
    let dir = tmpdir("study-stale");
    let big = crossbar_net(
        ".param rw=1\n.param vin=0.2\n",
        ".step param rw list 0.5 1 1.5 2 2.5 3 3.5 4 4.5 5 5.5 6\n",
    );
    let small = crossbar_net(
        ".param rw=1\n.param vin=0.2\n",
        ".step param rw list 0.5 1\n",
    );
    let out = dir.join("out");
    std::fs::write(dir.join("big.cir"), &big).unwrap();
    std::fs::write(dir.join("small.cir"), &small).unwrap();
    let (code, _, err) = run_to(&dir.join("big.cir"), &out, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.join("point_12").join("op.csv").exists());
    // The user's own files: in the folder, in a stale point folder, and a
    // point-like folder without a record.
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    std::fs::write(out.join("point_05").join("mine.txt"), "mine").unwrap();
    std::fs::create_dir_all(out.join("point_77")).unwrap();
    let (code, _, err) = run_to(&dir.join("small.cir"), &out, &[]);
    assert_eq!(code, 0, "{err}");
    let mut left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with(".xbarsim") && !n.ends_with(".png"))
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            "manifest.json",
            "notes.txt",
            "point_05",
            "point_1",
            "point_2",
            "point_77",
            "steps.csv"
        ]
    );
    let kept: Vec<String> = std::fs::read_dir(out.join("point_05"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(kept, ["mine.txt"]);
    // Two studies into one folder at the same time: the second is refused.
    std::fs::write(dir.join("long.cir"), long_study()).unwrap();
    let busy = dir.join("busy");
    let mut first = start_study(&dir.join("long.cir"), &busy, 1, 60);
    let (code, _, err) = run_to(&dir.join("small.cir"), &busy, &[]);
    let still = first.try_wait().unwrap().is_none();
    assert!(first.wait().unwrap().success());
    assert!(still, "the first study ended before the second started");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("another xbarsim run is writing into"), "{err}");
    assert!(!busy.join("point_1").exists());
}
