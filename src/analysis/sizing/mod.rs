//! `.sizing XB sizes=<n1,n2,...> metric=<vmm|read> limit=<%> [v=<V>]
//! [scheme=<v/2|v/3|float|ground>] [rdrive=Ω] [rsense=Ω] [g=<S>] [gon=<S>] [goff=<S>]`:
//! how large may an array be?
//!
//! For every size N an N×N array is built with crossbar XB's model and line
//! resistances, every device at `g` (default: the mean state of XB), and:
//! - `metric=vmm`: every row driven at `v` (rows at their west ends through
//!   `rdrive`, columns at virtual ground at their south ends through
//!   `rsense`); the figure is the relative error of the column currents
//!   against the ideal products, in %; the criterion is error ≤ `limit`;
//! - `metric=read`: the cell farthest from both drivers (row 0, column N−1)
//!   is read under `scheme` at `v`; the figure is the worst-case read margin
//!   ΔI / I_on in % (see `.read`); the criterion is margin ≥ `limit`.
//!
//! The answer is the largest listed size that meets the criterion.

pub mod card;
use super::read::{ReadSpec, Scheme};
use crate::circuit::crossbar::{build, CrossbarSpec, GSpec};
use crate::circuit::Circuit;
use crate::solve::SolveFailure;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    Vmm,
    Read,
}

#[derive(Clone, Debug)]
pub struct SizingSpec {
    pub xbar: usize,
    pub sizes: Vec<usize>,
    pub metric: Metric,
    /// % (maximum VMM error, or minimum read margin).
    pub limit: f64,
    pub v: f64,
    pub scheme: Scheme,
    pub rdrive: f64,
    pub rsense: f64,
    pub g: Option<f64>,
    pub gon: Option<f64>,
    pub goff: Option<f64>,
}

pub struct SizingResult {
    /// (N, figure in %, meets the criterion)
    pub points: Vec<(usize, f64, bool)>,
    pub best: Option<usize>,
}

pub fn run(c: &Circuit, s: &SizingSpec) -> Result<SizingResult, SolveFailure> {
    let x = &c.crossbars[s.xbar];
    let g = s.g.unwrap_or_else(|| {
        let k = x.rows * x.cols;
        (0..k)
            .map(|d| c.memristors[x.first_device + d].g)
            .sum::<f64>()
            / k as f64
    });
    let mut points = Vec::new();
    for &n in &s.sizes {
        let mut cc = Circuit {
            models: c.models.clone(),
            options: c.options.clone(),
            temp: c.temp,
            ..Default::default()
        };
        let sp = CrossbarSpec {
            rows: n,
            cols: n,
            model: String::new(),
            model_span: x.span,
            rrow: x.rrow,
            rcol: x.rcol,
            g: GSpec::Uniform(g),
            selector_card: None,
            selector: x.selector.clone(),
        };
        let (xb, _) = build(&mut cc, &x.name, &sp, x.model, &[g], x.span);
        cc.crossbars.push(xb);
        let (figure, ok) = match s.metric {
            Metric::Vmm => {
                let r = super::vmm::run(&cc, 0, &vec![s.v; n], s.rdrive, s.rsense)?;
                if let Some((_, e)) = r.failure {
                    return Err(e);
                }
                let e = 100.0 * r.rel_error[0];
                (e, e <= s.limit)
            }
            Metric::Read => {
                let spec = ReadSpec {
                    xbar: 0,
                    row: 0,
                    col: n - 1,
                    v: s.v,
                    scheme: s.scheme,
                    rdrive: s.rdrive,
                    rsense: s.rsense,
                    gon: s.gon,
                    goff: s.goff,
                };
                let r = super::read::run(&cc, &spec)?;
                let m = 100.0 * r.margin_rel;
                (m, m >= s.limit)
            }
        };
        points.push((n, figure, ok));
    }
    let best = points.iter().filter(|p| p.2).map(|p| p.0).max();
    Ok(SizingResult { points, best })
}

super::crossbar_analysis!(
    SizingSpec,
    "sizing",
    run(s, cx) {
        Ok(super::Outcome::Sizing(s, run(cx.c, s)?))
    }
);
