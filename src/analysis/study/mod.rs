//! Studies: `.step` sweeps a `.param` over a list of values; several `.step`
//! cards nest into a grid (the first card is the outermost loop, so the
//! points run in reading order, like nested `for` loops). Every point is the
//! whole netlist elaborated with its values, and every analysis of the
//! netlist runs at every point.
//!
//! ```text
//! .step param NAME [lin] START STOP STEP     START, START+STEP, ... up to STOP
//! .step param NAME dec START STOP N          N points per decade (oct: per octave)
//! .step param NAME list V1 V2 ...
//! ```
//!
//! (`param` may be left out, as in Xyce.) Values are SPICE numbers (`1k`,
//! `2.5m`). The stepped name is a `.param` of the netlist (it may set
//! anything a parameter sets: element values, `.crossbar` sizes and
//! resistances, model cards, analysis arguments, seeds), else the value of
//! an independent V or I source of that name (`.step V1 ...`), else `temp`
//! (the circuit temperature, °C).

use super::card::CardCtx;
use crate::netlist::units::parse_number;
use crate::netlist::{Diagnostic, Name, Span};
use std::sync::atomic::{AtomicU64, Ordering};

/// Most points a study may have unless raised (`--max-points`).
pub const DEFAULT_MAX_POINTS: u64 = 1_000_000;
static MAX_POINTS: AtomicU64 = AtomicU64::new(DEFAULT_MAX_POINTS);

/// The largest study allowed.
pub fn max_points() -> u64 {
    MAX_POINTS.load(Ordering::Relaxed)
}

/// Raise (or lower) the largest study allowed.
pub fn set_max_points(n: u64) {
    MAX_POINTS.store(n.max(1), Ordering::Relaxed);
}

/// Most values one `.step` card may list or generate.
const MAX_VALUES: usize = 10_000_000;

/// One `.step` card: a parameter and its values.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub name: String,
    /// The card's directive (for errors about the whole study).
    pub span: Span,
    pub values: Vec<f64>,
}

/// A `.mc N [seed=S]` card: N Monte Carlo samples.
#[derive(Clone, Debug, PartialEq)]
pub struct Mc {
    pub samples: usize,
    pub seed: u64,
    pub span: Span,
}

/// The grid of a netlist's `.step` cards, times its `.mc` samples.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Study {
    pub steps: Vec<Step>,
    pub mc: Option<Mc>,
}

impl Study {
    /// Whether the netlist is a study (has `.step` or `.mc` cards).
    pub fn is_study(&self) -> bool {
        !self.steps.is_empty() || self.mc.is_some()
    }

    /// Number of points (1 for a netlist without `.step` or `.mc`).
    pub fn points(&self) -> usize {
        self.grid() * self.mc.as_ref().map_or(1, |m| m.samples)
    }

    /// Points of the `.step` grid alone.
    fn grid(&self) -> usize {
        self.steps.iter().map(|s| s.values.len()).product()
    }

    /// The Monte Carlo sample of point `k` (0-based): its index and its
    /// seed. Samples vary fastest (inside the `.step` grid), and sample `j`
    /// has the same seed at every grid point, so every grid point sees the
    /// same draws (common random numbers).
    pub fn sample(&self, k: usize) -> Option<(usize, u64)> {
        let m = self.mc.as_ref()?;
        let j = k % m.samples;
        Some((j, sample_seed(m.seed, j)))
    }

    /// The stepped values of point `k` (0-based), one per `.step` card in
    /// card order; the last card varies fastest (then the samples).
    pub fn point(&self, k: usize) -> Vec<(String, f64)> {
        let k = k / self.mc.as_ref().map_or(1, |m| m.samples);
        let mut rest = k;
        let mut out = vec![(String::new(), 0.0); self.steps.len()];
        for (i, s) in self.steps.iter().enumerate().rev() {
            let n = s.values.len();
            out[i] = (s.name.clone(), s.values[rest % n]);
            rest /= n;
        }
        out
    }
}

/// Whether `name` is what a study point may fix: a `.param`, an
/// independent source, or `temp`.
pub fn steppable(
    c: &crate::circuit::Circuit,
    params: &crate::circuit::params::Params,
    name: &str,
) -> bool {
    params.is_defined(name)
        || name == "temp"
        || c.vsources.iter().any(|v| v.name == name)
        || c.isources.iter().any(|v| v.name == name)
}

/// Read a `.step` card (`kind` is its directive, `words` what follows).
pub fn read(cx: &mut CardCtx, kind: &Name, words: &[Name]) -> Option<Step> {
    let usage = ".step param NAME [lin] START STOP STEP | dec START STOP N | oct START STOP N | list V1 V2 ...";
    let mut w = words;
    if w.first().is_some_and(|n| n.text == "param") {
        w = &w[1..];
    }
    let Some(name) = w.first() else {
        cx.errors.push(
            Diagnostic::new(kind.span, ".step needs the name of a .param to step").with_hint(usage),
        );
        return None;
    };
    let bad = |cx: &mut CardCtx, at: Span, msg: String| {
        cx.errors.push(Diagnostic::new(at, msg).with_hint(usage));
        None
    };
    let t = name.text.as_str();
    if !steppable(cx.c, cx.params, t) {
        return bad(
            cx,
            name.span,
            format!("'{t}' is not a .param, an independent source or temp of this netlist"),
        );
    }
    let mut rest = &w[1..];
    let mode = match rest.first().map(|n| n.text.as_str()) {
        Some(m @ ("lin" | "dec" | "oct" | "list")) => {
            rest = &rest[1..];
            m
        }
        _ => "lin",
    };
    let mut nums = Vec::with_capacity(rest.len());
    for n in rest {
        match parse_number(&n.text) {
            Some(x) if x.is_finite() => nums.push((x, n.span)),
            _ => return bad(cx, n.span, format!("'{}' is not a number", n.text)),
        }
    }
    let values = match mode {
        "list" => {
            if nums.is_empty() {
                return bad(cx, kind.span, ".step list needs at least one value".into());
            }
            if nums.len() > MAX_VALUES {
                return bad(
                    cx,
                    kind.span,
                    format!(".step list has more than {MAX_VALUES} values"),
                );
            }
            nums.iter().map(|n| n.0).collect()
        }
        _ => {
            if nums.len() != 3 {
                let at = nums.get(3).map_or(kind.span, |n| n.1);
                return bad(
                    cx,
                    at,
                    format!(".step {mode} needs three numbers, got {}", nums.len()),
                );
            }
            let (a, b, s) = (nums[0].0, nums[1].0, nums[2].0);
            match values(mode, a, b, s) {
                Ok(v) => v,
                Err((k, m)) => return bad(cx, nums[k].1, m),
            }
        }
    };
    Some(Step {
        name: name.text.clone(),
        span: kind.span,
        values,
    })
}

/// The values of a `lin`, `dec` or `oct` sweep from `a` to `b` (inclusive,
/// within rounding); `s` is the step (`lin`) or points per decade/octave.
/// An error says which of the three numbers (0, 1, 2) is at fault.
pub fn values(mode: &str, a: f64, b: f64, s: f64) -> Result<Vec<f64>, (usize, String)> {
    if mode == "lin" {
        if s == 0.0 {
            return Err((2, "a step of 0 never reaches the stop value".into()));
        }
        let n = (b - a) / s;
        if n < -1e-9 {
            return Err((
                2,
                format!("a step of {s} does not go from {a} to {b}: the range is empty"),
            ));
        }
        if n + 1.0 > MAX_VALUES as f64 {
            return Err((
                2,
                format!("more than {MAX_VALUES} values from {a} to {b} in steps of {s}"),
            ));
        }
        let n = (n + 1e-9).floor().max(0.0) as usize;
        return Ok((0..=n).map(|k| decimal(a + k as f64 * s)).collect());
    }
    let base: f64 = if mode == "dec" { 10.0 } else { 2.0 };
    if !(a > 0.0 && b > 0.0) {
        let k = if a > 0.0 { 1 } else { 0 };
        return Err((
            k,
            format!(".step {mode} needs start and stop > 0, got {a} and {b}"),
        ));
    }
    if b < a {
        return Err((1, format!("the range from {a} to {b} is empty")));
    }
    if !(s >= 1.0 && s.fract() == 0.0) {
        let per = if mode == "dec" { "decade" } else { "octave" };
        return Err((
            2,
            format!("points per {per} must be a whole number >= 1, got {s}"),
        ));
    }
    let n = (b / a).log(base) * s;
    if n + 1.0 > MAX_VALUES as f64 {
        return Err((2, format!("more than {MAX_VALUES} values from {a} to {b}")));
    }
    let n = (n + 1e-9).floor() as usize;
    Ok((0..=n)
        .map(|k| decimal(a * base.powf(k as f64 / s)))
        .collect())
}

/// `x` rounded to 15 significant digits: a sweep's rounding (0.2 + 0.1 =
/// 0.30000000000000004) is dropped, so its values are the decimals a user
/// writes (0.3), and a point can be rerun alone with the value its table
/// shows.
fn decimal(x: f64) -> f64 {
    format!("{x:.14e}").parse().unwrap_or(x)
}

/// The seed of Monte Carlo sample `j` of a study seeded with `seed`
/// (splitmix64 of the pair: neighbouring samples get unrelated streams).
pub fn sample_seed(seed: u64, j: usize) -> u64 {
    let mut z = seed.wrapping_add((j as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Most samples one `.mc` card may ask for.
const MAX_SAMPLES: f64 = 1e9;

/// Read a `.mc N [seed=S]` card.
pub fn read_mc(
    cx: &mut CardCtx,
    kind: &Name,
    words: &[Name],
    args: &[crate::netlist::Arg],
) -> Option<Mc> {
    let usage = ".mc N [seed=S]";
    let Some(n) = words.first() else {
        cx.errors
            .push(Diagnostic::new(kind.span, ".mc needs the number of samples").with_hint(usage));
        return None;
    };
    let samples = match parse_number(&n.text) {
        Some(x) if x >= 1.0 && x.fract() == 0.0 && x <= MAX_SAMPLES => x as usize,
        _ => {
            cx.errors.push(
                Diagnostic::new(
                    n.span,
                    format!(
                        "the number of samples must be a whole number >= 1, got '{}'",
                        n.text
                    ),
                )
                .with_hint(usage),
            );
            return None;
        }
    };
    if let Some(extra) = words.get(1) {
        cx.errors.push(
            Diagnostic::new(extra.span, format!("unexpected .mc word '{}'", extra.text))
                .with_hint(usage),
        );
        return None;
    }
    let mut seed = 1;
    for a in args {
        if a.key.text == "seed" {
            seed = cx.seed_arg(a)?;
        } else {
            cx.errors.push(
                Diagnostic::new(
                    a.key.span,
                    format!("unexpected .mc parameter '{}'", a.key.text),
                )
                .with_hint(usage),
            );
            return None;
        }
    }
    Some(Mc {
        samples,
        seed,
        span: kind.span,
    })
}

/// Check the size of a study (errors at its last card).
pub fn check_size(cx: &mut CardCtx, study: &Study) -> bool {
    let mut n: u64 = 1;
    for s in &study.steps {
        n = n.saturating_mul(s.values.len() as u64);
    }
    if let Some(m) = &study.mc {
        n = n.saturating_mul(m.samples as u64);
    }
    let limit = max_points();
    if n > limit {
        let at = study
            .mc
            .as_ref()
            .map(|m| m.span)
            .or(study.steps.last().map(|s| s.span))
            .unwrap_or_default();
        cx.errors.push(
            Diagnostic::new(
                at,
                format!("the study has {n} points, more than the limit of {limit}"),
            )
            .with_hint("fewer or coarser .step values, or raise the limit with --max-points"),
        );
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweeps() {
        assert_eq!(values("lin", 1.0, 3.0, 1.0).unwrap(), vec![1.0, 2.0, 3.0]);
        assert_eq!(values("lin", 3.0, 1.0, -1.0).unwrap(), vec![3.0, 2.0, 1.0]);
        assert_eq!(values("lin", 0.0, 1.0, 0.3).unwrap().len(), 4);
        assert_eq!(values("lin", 0.2, 0.3, 0.1).unwrap(), vec![0.2, 0.3]);
        assert_eq!(values("lin", 0.0, 0.7, 0.1).unwrap()[7], 0.7);
        assert!(values("lin", 0.0, 1.0, 0.0).is_err());
        assert!(values("lin", 0.0, 1.0, -0.1).is_err());
        let d = values("dec", 1.0, 100.0, 2.0).unwrap();
        assert_eq!(d.len(), 5);
        assert!((d[1] - 10f64.sqrt()).abs() < 1e-14 && d[4] == 100.0);
        assert_eq!(
            values("oct", 1.0, 8.0, 1.0).unwrap(),
            vec![1.0, 2.0, 4.0, 8.0]
        );
        assert!(values("dec", 0.0, 1.0, 1.0).is_err());
        assert!(values("dec", 1.0, 10.0, 0.5).is_err());
    }

    #[test]
    fn points_nest_last_fastest() {
        let st = |n: &str, v: &[f64]| Step {
            name: n.into(),
            span: Span::default(),
            values: v.to_vec(),
        };
        let mut s = Study {
            steps: vec![st("a", &[1.0, 2.0]), st("b", &[10.0, 20.0, 30.0])],
            mc: None,
        };
        assert_eq!(s.points(), 6);
        let got: Vec<(f64, f64)> = (0..6)
            .map(|k| {
                let p = s.point(k);
                (p[0].1, p[1].1)
            })
            .collect();
        assert_eq!(
            got,
            [
                (1.0, 10.0),
                (1.0, 20.0),
                (1.0, 30.0),
                (2.0, 10.0),
                (2.0, 20.0),
                (2.0, 30.0)
            ]
        );
        assert_eq!(Study::default().points(), 1);
        // Samples vary fastest; sample j has one seed at every grid point.
        s.mc = Some(Mc {
            samples: 2,
            seed: 7,
            span: Span::default(),
        });
        assert_eq!(s.points(), 12);
        assert_eq!(s.point(3)[1].1, 20.0);
        assert_eq!(s.sample(3).unwrap().0, 1);
        assert_eq!(s.sample(3), s.sample(11));
        assert_ne!(s.sample(2).unwrap().1, s.sample(3).unwrap().1);
    }
}
