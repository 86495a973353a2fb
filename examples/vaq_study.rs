//! Uniform vs variance-aware (VAQ) levels over a range of device spreads
//! and data widths: the regime map behind the README's quantization notes.
//!
//! For each Gaussian device spread e (σ = e·G) and half-normal data width s
//! (fraction of the window), 10 data seeds of seed-000 style matrices
//! (W 10×64, X 64×32) are stored on 12 levels in 10–100 µS, programmed with
//! the spread, read back at the nearest level (`nn::quantize::study`), and
//! the mean over seeds of the product error ‖Ŷ − Y‖/‖Y‖, the misread
//! fraction and the mean squared error are printed for both level sets.
//!
//! `cargo run --release --example vaq_study`

use xbarsim::nn::import::{ErrorModel, Mapping};
use xbarsim::nn::quantize;

fn main() {
    let m = Mapping {
        g_lo: 10e-6,
        g_hi: 100e-6,
        vread: 0.25,
        diff: false,
    };
    let n = 12;
    let seeds = 10;
    println!("| spread e | data width s | product error uniform → VAQ | misread uniform → VAQ | MSE uniform → VAQ |");
    println!("|---|---|---|---|---|");
    for e in [0.01, 0.02, 0.05, 0.1] {
        let model = ErrorModel::Gauss { e };
        let lu = quantize::uniform(n, m.g_lo, m.g_hi);
        let lv = quantize::vaq(n, m.g_lo, m.g_hi, |g| model.sigma(g, &m));
        for s in [0.15, 0.25, 0.4] {
            let mut acc = [0.0; 6];
            for seed in 1..=seeds {
                let w = quantize::half_normal(10 * 64, s, 10 * seed);
                let x = quantize::half_normal(64 * 32, s, 10 * seed + 1);
                let run = |levels: &[f64]| {
                    quantize::study(
                        levels,
                        m.g_lo,
                        m.g_hi,
                        &w,
                        &x,
                        (10, 64, 32),
                        |g, rng| model.sample(g, &m, rng),
                        seed,
                    )
                };
                let (u, v) = (run(&lu), run(&lv));
                for (k, x) in [
                    u.product_error,
                    v.product_error,
                    u.misread,
                    v.misread,
                    u.mse_all,
                    v.mse_all,
                ]
                .iter()
                .enumerate()
                {
                    acc[k] += x / seeds as f64;
                }
            }
            println!(
                "| {:.0} % | {s} | {:.2} % → {:.2} % | {:.1} % → {:.1} % | {:.2e} → {:.2e} |",
                100.0 * e,
                100.0 * acc[0],
                100.0 * acc[1],
                100.0 * acc[2],
                100.0 * acc[3],
                acc[4],
                acc[5]
            );
        }
    }
}
