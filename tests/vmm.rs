//! `.vmm`: ideal products with ideal wires, agreement with the same periphery
//! written out by hand, located input errors.

use crate::common::*;

fn write_case(
    dir: &std::path::Path,
    law: &str,
    rline: f64,
    rdrive: f64,
    rsense: f64,
    vectors: &[Vec<f64>],
) -> std::path::PathBuf {
    let (n, m) = (4usize, 5usize);
    let g: String = (0..n)
        .map(|i| {
            (0..m)
                .map(|j| format!("{}u", 10 + 7 * i + 3 * j))
                .collect::<Vec<_>>()
                .join(",")
                + "\n"
        })
        .collect();
    std::fs::write(dir.join("g.csv"), g).unwrap();
    let v: String = vectors
        .iter()
        .map(|v| {
            v.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(",")
                + "\n"
        })
        .collect();
    std::fs::write(dir.join("in.csv"), v).unwrap();
    let beta = if law == "sinh" { " beta=2.6" } else { "" };
    let net = format!(
        "vmm\n.options reltol=1e-12 vntol=1e-15 abstol=1e-18\n.model d memristor (level={law}{beta})\n.crossbar xb rows={n} cols={m} model=d rrow={rline} rcol={rline} g=file(\"g.csv\")\n.vmm xb inputs=file(\"in.csv\") rdrive={rdrive} rsense={rsense}\n"
    );
    let p = dir.join("vmm.cir");
    std::fs::write(&p, net).unwrap();
    p
}

fn read_vmm(path: &std::path::Path) -> Vec<(usize, usize, f64, f64)> {
    let mut r = csv::Reader::from_path(path).unwrap();
    r.records()
        .map(|x| {
            let x = x.unwrap();
            (
                x[0].parse().unwrap(),
                x[1].parse().unwrap(),
                x[2].parse().unwrap(),
                x[3].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn ideal_wires_give_ideal_products() {
    for law in ["linear", "sinh"] {
        let dir = tmpdir(&format!("vmm-ideal-{law}"));
        let vecs = vec![
            vec![0.25, 0.0, 0.25, 0.1],
            vec![0.0, 0.0, 0.0, 0.0],
            vec![-0.2, 0.3, 0.05, 0.25],
        ];
        let p = write_case(&dir, law, 0.0, 0.0, 0.0, &vecs);
        let (code, _, err) = run_bin(&[
            "run",
            "-q",
            p.to_str().unwrap(),
            "-o",
            dir.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        let rows = read_vmm(&dir.join("vmm.csv"));
        assert_eq!(rows.len(), 3 * 5);
        for (k, j, got, ideal) in rows {
            assert!(
                close(got, ideal, 1e-12, 1e-20),
                "{law} vector {k} column {j}: {got} vs ideal {ideal}"
            );
        }
        // The IR-drop map of vector 0: no drop anywhere with ideal wires.
        let drop = std::fs::read_to_string(dir.join("xb_vmm_irdrop.csv")).unwrap();
        let vals: Vec<f64> = drop
            .lines()
            .flat_map(|l| {
                l.split(',')
                    .map(|x| x.parse::<f64>().unwrap())
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(vals.len(), 4 * 5);
        assert!(vals.iter().all(|d| d.abs() < 1e-12), "{law}: {vals:?}");
        assert!(dir.join("xb_vmm_irdrop.png").exists());
    }
}

/// With wire, driver and sense resistance, each vector's column currents equal
/// an operating point of the same circuit with the periphery written by hand.
#[test]
fn matches_explicit_periphery() {
    let dir = tmpdir("vmm-explicit");
    let vecs = vec![vec![0.25, 0.0, 0.25, 0.1], vec![0.3, 0.2, 0.1, 0.0]];
    let p = write_case(&dir, "sinh", 2.5, 10.0, 5.0, &vecs);
    let (code, _, err) = run_bin(&[
        "run",
        "-q",
        p.to_str().unwrap(),
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let rows = read_vmm(&dir.join("vmm.csv"));
    for (k, v) in vecs.iter().enumerate() {
        let mut t = String::from("explicit\n.options reltol=1e-12 vntol=1e-15 abstol=1e-18\n.model d memristor (level=sinh beta=2.6)\n.crossbar xb rows=4 cols=5 model=d rrow=2.5 rcol=2.5 g=file(\"g.csv\")\n");
        for (i, x) in v.iter().enumerate() {
            t += &format!("Vin{i} in{i} 0 {x}\nRd{i} in{i} xb.w{i} 10\n");
        }
        for j in 0..5 {
            t += &format!("Rs{j} xb.s{j} out{j} 5\nVout{j} out{j} 0 0\n");
        }
        t += ".op\n";
        std::fs::write(dir.join("explicit.cir"), t).unwrap();
        let o = dir.join(format!("e{k}"));
        let (code, _, err) = run_bin(&[
            "run",
            "-q",
            dir.join("explicit.cir").to_str().unwrap(),
            "-o",
            o.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        let q = read_qv(&o.join("op.csv"));
        for j in 0..5 {
            let got = rows.iter().find(|r| r.0 == k && r.1 == j).unwrap().2;
            assert_close(
                got,
                q[&format!("i(vout{j})")],
                1e-10,
                &format!("vector {k} column {j}"),
            );
            assert!(
                got < rows.iter().find(|r| r.0 == k && r.1 == j).unwrap().3 || got == 0.0,
                "IR drop lowers the current"
            );
        }
    }
}

#[test]
fn input_errors() {
    let dir = tmpdir("vmm-errors");
    let p = write_case(&dir, "linear", 1.0, 1.0, 1.0, &[vec![0.1, 0.2, 0.3, 0.4]]);
    std::fs::write(dir.join("in.csv"), "0.1,0.2,0.3,0.4\n0.1,0.2,0.3\n").unwrap();
    let (code, _, err) = run_bin(&["run", p.to_str().unwrap(), "-o", dir.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("in.csv:2: expected 4 values"), "{err}");
    std::fs::write(dir.join("in.csv"), "0.1,0.2,x,0.4\n").unwrap();
    let (code, _, err) = run_bin(&["run", p.to_str().unwrap(), "-o", dir.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("in.csv:1:9: 'x' is not a number"), "{err}");
    let e = errors("t\n.model d memristor (level=linear)\n.crossbar xb rows=2 cols=2 model=d g=1u\n.vmm yb inputs=file(\"x.csv\")\n");
    assert!(
        e.contains("inline.cir:4:6: error: no crossbar named 'yb'"),
        "{e}"
    );
}

/// Thousands of vectors run in parallel chunks. The currents must not depend
/// on the number of threads, and each vector must equal the same vector run
/// alone (solved by full Newton from scratch), on a nonlinear array with wire
/// resistance where the batched chord iteration does real work.
#[test]
fn chunked_vectors_match_single_solves_and_any_thread_count() {
    use rand::{Rng, SeedableRng};
    use xbarsim::analysis::vmm;
    let (n, m) = (6usize, 7usize);
    let g: String = (0..n)
        .map(|i| {
            (0..m)
                .map(|j| format!("{}u", 10 + (13 * i + 29 * j) % 90))
                .collect::<Vec<_>>()
                .join(",")
                + "\n"
        })
        .collect();
    let dir = tmpdir("vmm-chunks");
    std::fs::write(dir.join("g.csv"), g).unwrap();
    let text = format!(
        "chunks\n.options reltol=1e-10 vntol=1e-14 abstol=1e-18\n.model d memristor (level=sinh beta=4)\n.crossbar xb rows={n} cols={m} model=d rrow=20 rcol=20 g=file(\"{}\")\n* a tie to ground so the bare netlist elaborates; .vmm adds the drivers\nRtie xb.e0 0 1t\n",
        dir.join("g.csv").display()
    );
    let c = circuit(&text);
    let nvec = 2 * vmm::CHUNK + 37;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let inputs: Vec<f64> = (0..nvec * n)
        .map(|_| {
            if rng.random_bool(0.5) {
                rng.random_range(0.2..0.6)
            } else {
                0.0
            }
        })
        .collect();
    let on = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| vmm::run(&c, 0, &inputs, 50.0, 50.0).unwrap())
    };
    let one = on(1);
    let two = on(2);
    assert!(one.failure.is_none());
    assert_eq!(one.currents.len(), nvec * m);
    assert_eq!(one.currents, two.currents, "thread count changed a result");
    assert!(
        one.factorizations > 3,
        "one factorization per chunk at least"
    );
    for k in [0, 1, vmm::CHUNK, vmm::CHUNK + 1, nvec - 1] {
        let alone = vmm::run(&c, 0, &inputs[k * n..(k + 1) * n], 50.0, 50.0).unwrap();
        for j in 0..m {
            let (got, ideal) = one.currents[k * m + j];
            let want = alone.currents[j].0;
            assert_close(got, want, 1e-8, &format!("vector {k} column {j}"));
            assert_eq!(ideal, alone.currents[j].1);
        }
    }
    // The chord iteration took more than one step per vector: nonlinear.
    assert!(one.iterations > nvec + nvec / 2, "{}", one.iterations);
}

/// When the buffers of blocks of vectors would exceed the memory limit, the
/// vectors go one at a time (the console says so), to the same currents
/// within the solver's tolerance. (Through the binary: the limit is the
/// process's.)
#[test]
fn vectors_go_one_by_one_when_blocks_exceed_the_memory_limit() {
    let net = manifest().join("netlists/vmm64.cir");
    let run = |mem: &str| {
        let out = tmpdir(&format!("vmm-mem-{mem}"));
        let (code, said, err) = run_bin(&[
            "run",
            "--max-memory",
            mem,
            net.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        (said, read_vmm(&out.join("vmm.csv")))
    };
    // 8,448 unknowns: blocks of 64 vectors need 22 MB a worker; the array
    // itself about 5 MB.
    let (said, blocks) = run("1G");
    assert!(!said.contains("one vector at a time"), "{said}");
    let (said, single) = run("12M");
    assert!(said.contains("one vector at a time"), "{said}");
    assert_eq!(blocks.len(), 200 * 64);
    assert_eq!(blocks.len(), single.len());
    for (a, b) in blocks.iter().zip(&single) {
        assert_eq!((a.0, a.1, a.3), (b.0, b.1, b.3));
        assert_close(b.2, a.2, 1e-6, &format!("vector {} column {}", a.0, a.1));
    }
}
