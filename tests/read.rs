//! `.read`: the closed forms of REFERENCE §6 with ideal wires and linear
//! devices (V/2, V/3, ground, floating with the Liang–Wong sneak resistance,
//! the V/2 worst-case margin), and where they stop holding (line resistance).

use crate::common::*;
use std::collections::HashMap;

/// Run a `.read` on an N×M linear array with states `g(i,j)`; rows of read.csv by case.
fn read_case(
    tag: &str,
    n: usize,
    m: usize,
    g: impl Fn(usize, usize) -> f64,
    rline: f64,
    card: &str,
) -> HashMap<String, Vec<String>> {
    let dir = tmpdir(&format!("read-{tag}"));
    write_g_csv(&dir.join("g.csv"), n, m, g);
    let net = format!(
        "read\n.options reltol=1e-12 vntol=1e-15 abstol=1e-18\n.model d memristor (level=linear gmin=10u gmax=100u)\n.crossbar xb rows={n} cols={m} model=d rrow={rline} rcol={rline} g=file(\"g.csv\")\n{card}\n"
    );
    std::fs::write(dir.join("r.cir"), net).unwrap();
    let (code, _, err) = run_bin(&[
        "run",
        "-q",
        dir.join("r.cir").to_str().unwrap(),
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{tag}: {err}");
    let text = std::fs::read_to_string(dir.join("read.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<String> = l.split(',').map(str::to_string).collect();
            (f[0].clone(), f)
        })
        .collect()
}

fn num(f: &[String], k: usize) -> f64 {
    f[k].parse().unwrap()
}
const V_CELL: usize = 7;
const I_CELL: usize = 8;
const I_COL: usize = 9;
const I_SNEAK: usize = 10;

fn g(i: usize, j: usize) -> f64 {
    10e-6 + 5e-6 * ((3 * i + 5 * j) % 17) as f64
}

#[test]
fn half_and_third_schemes() {
    let (n, m, r, c, v) = (6, 5, 2, 3, 0.4);
    for (scheme, frac) in [("v/2", 0.5), ("v/3", 1.0 / 3.0)] {
        let rows = read_case(
            &format!("scheme{}", &scheme[2..]),
            n,
            m,
            g,
            0.0,
            &format!(".read xb row={r} col={c} v={v} scheme={scheme}"),
        );
        let a = &rows["as_is"];
        let want: f64 = g(r, c) * v
            + (0..n)
                .filter(|&i| i != r)
                .map(|i| g(i, c) * v * frac)
                .sum::<f64>();
        assert_close(num(a, I_COL), want, 1e-12, scheme);
        assert_close(num(a, V_CELL), v, 1e-12, "selected cell sees V");
        assert_close(num(a, I_CELL), g(r, c) * v, 1e-12, "selected cell current");
        assert_close(num(a, I_SNEAK), want - g(r, c) * v, 1e-9, "sneak");
    }
}

#[test]
fn ground_scheme_has_no_sneak_current() {
    let rows = read_case(
        "ground",
        5,
        7,
        g,
        0.0,
        ".read xb row=4 col=0 v=0.3 scheme=ground",
    );
    let a = &rows["as_is"];
    assert_close(num(a, I_COL), g(4, 0) * 0.3, 1e-12, "column");
    assert!(
        num(a, I_SNEAK).abs() <= 1e-12 * num(a, I_COL),
        "sneak {}",
        num(a, I_SNEAK)
    );
}

/// §6: ΔI = [I_on − I_off](V) − (N−1)·[I_on − I_off](V/2) for V/2, linear, ideal wires.
#[test]
fn half_scheme_worst_case_margin() {
    let (n, v) = (16, 0.5);
    let rows = read_case(
        "margin",
        n,
        16,
        g,
        0.0,
        &format!(".read xb row=7 col=9 v={v} scheme=v/2 gon=100u goff=10u"),
    );
    let m = &rows["margin"];
    let d = (100e-6 - 10e-6) * v;
    let want = d - (n as f64 - 1.0) * d / 2.0;
    assert_close(num(m, 9), want, 1e-12, "margin");
    assert_close(
        num(&rows["worst_on"], I_COL),
        100e-6 * v + 15.0 * 10e-6 * v / 2.0,
        1e-12,
        "worst on",
    );
    assert_close(
        num(&rows["worst_off"], I_COL),
        10e-6 * v + 15.0 * 100e-6 * v / 2.0,
        1e-12,
        "worst off",
    );
}

/// Floating lines, load R_L: I = V / (R_L + R_s ∥ R_sn),
/// R_sn = R_u/(M−1) + R_u/((M−1)(N−1)) + R_u/(N−1) (Liang & Wong, TED 57:2531, 2010).
#[test]
fn floating_scheme_matches_sneak_resistance() {
    let (n, m, r, c, v, rl) = (7usize, 9usize, 2usize, 5usize, 0.5, 1000.0);
    let (gu, gs) = (20e-6, 80e-6);
    let rows = read_case(
        "float",
        n,
        m,
        |i, j| if (i, j) == (r, c) { gs } else { gu },
        0.0,
        &format!(".read xb row={r} col={c} v={v} scheme=float rsense={rl}"),
    );
    let ru = 1.0 / gu;
    let rsn =
        ru / (m as f64 - 1.0) + ru / ((m as f64 - 1.0) * (n as f64 - 1.0)) + ru / (n as f64 - 1.0);
    let rs = 1.0 / gs;
    let want = v / (rl + rs * rsn / (rs + rsn));
    assert_close(num(&rows["as_is"], I_COL), want, 1e-12, "floating read");
}

/// Where the closed forms break: with line resistance the V/2 column current
/// falls measurably below g·V + Σ g·V/2 (each cell sees less than its bias).
#[test]
fn line_resistance_breaks_the_closed_form() {
    let (n, v) = (32, 0.5);
    let rows = read_case(
        "breaks",
        n,
        32,
        |_, _| 100e-6,
        10.0,
        &format!(".read xb row=31 col=31 v={v} scheme=v/2"),
    );
    let a = &rows["as_is"];
    let ideal = 100e-6 * v + (n as f64 - 1.0) * 100e-6 * v / 2.0;
    let got = num(a, I_COL);
    assert!(
        got < 0.97 * ideal,
        "IR drop should cost > 3 %: {got} vs {ideal}"
    );
    assert!(
        num(a, V_CELL) < 0.97 * v,
        "far cell sees less than V: {}",
        num(a, V_CELL)
    );
}

#[test]
fn read_card_errors() {
    let base = "t\n.model d memristor (level=linear)\n.crossbar xb rows=4 cols=4 model=d g=10u\n";
    let e = errors(&format!("{base}.read xb row=1 col=1 v=0.5 scheme=v/4\n"));
    assert!(
        e.contains("inline.cir:4:35: error: unknown read scheme 'v/4'"),
        "{e}"
    );
    let e = errors(&format!("{base}.read xb row=4 col=1 v=0.5 scheme=v/2\n"));
    assert!(
        e.contains("inline.cir:4:14: error: row must be a whole number in 0..3"),
        "{e}"
    );
    let e = errors(&format!("{base}.read xb row=1 col=1 scheme=v/2\n"));
    assert!(e.contains(".read needs v=<V>"), "{e}");
}
