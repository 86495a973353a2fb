//! `.op` on generated crossbar netlists (the generator of
//! `examples/gen_crossbar.rs`: rows driven at 0.25 V through 10 Ω, columns
//! sensed through 10 Ω, 2.5 Ω per line segment, devices 10–100 µS), through
//! the whole pipeline: read, elaborate, set up, solve. Sizes 64–256 here;
//! `benches/vs_ngspice.sh` runs 64–1024 end to end against ngspice.
//!
//! `cargo bench --bench op`

#[allow(dead_code)]
#[path = "../examples/gen_crossbar.rs"]
mod gen;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::path::Path;
use std::time::Duration;
use xbarsim::analysis::{op, Engine};

fn solve(path: &Path) -> usize {
    let deck =
        xbarsim::netlist::load(path).unwrap_or_else(|(d, e)| panic!("{}", e.render(&d.sources)));
    let c = xbarsim::analysis::plan(&deck)
        .unwrap_or_else(|e| panic!("{}", e.render(&deck.sources)))
        .circuit;
    drop(deck);
    let mut e = Engine::new(&c).expect("setup");
    op::run(&mut e).expect("op").values.len()
}

fn bench(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("xbarsim-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut g = c.benchmark_group("op");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    for law in [gen::Law::Linear, gen::Law::Sinh] {
        let name = match law {
            gen::Law::Linear => "linear",
            gen::Law::Sinh => "sinh",
        };
        for n in [64usize, 128, 256] {
            let args = gen::Args {
                rows: n,
                cols: n,
                law,
                out: dir.clone(),
                seed: 1,
                rline: 2.5,
                rdrive: 10.0,
                rsense: 10.0,
                vin: 0.25,
                beta: 2.6,
                gmin: 10e-6,
                gmax: 100e-6,
                ng_options: None,
            };
            let (netlist, _) = gen::run(&args).unwrap();
            g.bench_with_input(
                BenchmarkId::new(name, format!("{n}x{n}")),
                &netlist,
                |b, p| b.iter(|| solve(p)),
            );
        }
    }
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
