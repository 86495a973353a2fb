//! The `.perceptron` card, checked into a [`PerceptronSpec`]:
//!
//! ```text
//! .perceptron XB data=file("<digits csv>") [weights=file("<weights csv>")]
//! +   [vread=0.25] [gmin=10u] [gmax=100u] [diff=0|1]
//! +   [import=uniform|gauss|studentt] [err=0] [nu=3] [tloc=0] [tparams=file("<y,loc,scale,nu csv>")]
//! +   [import=wv [tol=0.01] [cycles=3] [scheme=v/2|v/3|float] [algorithm=wv|ispp|ff] [pseed=1]]
//! +   [levels=0] [quant=uniform|vaq|qc] [seed=1]
//! +   [epochs=60] [lr=0.05] [batch=16] [gain=4] [tseed=1]
//! +   [rdrive=0] [rsense=0] [out=perceptron]
//! +   [sweep=err,levels,quant,rwire,size] [seeds=5] [errs=...] [nlevels=...] [rwires=...] [sizes=...] [size_r=...]
//! ```
//!
//! Files are relative to the netlist that holds the card and are read at
//! elaboration, so their errors carry file:line:col like the card's own.

use super::{PerceptronSpec, SweepKind};
use crate::analysis::program::Algorithm;
use crate::analysis::read::Scheme as Bias;
use crate::circuit::crossbar::read_rows;
use crate::circuit::Circuit;
use crate::devices::memristor::dynamics::Kind;
use crate::netlist::{Arg, ArgValue, Deck, Diagnostic, Name, Span, Value};
use crate::nn::data::Digits;
use crate::nn::import::{self, ErrorModel, Import, Mapping, TLevel, Tuning};
use crate::nn::quantize::{Scheme, G0};
use crate::nn::train::{Perceptron, TrainConfig};
use std::path::PathBuf;
use std::sync::Arc;

pub const USAGE: &str = ".perceptron XB data=file(\"digits.csv\") [weights=file(\"w.csv\")] [vread=0.25] [gmin=10u] [gmax=100u] [diff=0|1] [import=uniform|gauss|studentt|wv] [err=0] [nu=3] [tloc=0] [tparams=file(\"t.csv\")] [tol=0.01] [cycles=3] [scheme=v/2|v/3|float] [algorithm=wv|ispp|ff] [pseed=1] [levels=0] [quant=uniform|vaq|qc] [seed=1] [epochs=60] [lr=0.05] [batch=16] [gain=4] [tseed=1] [rdrive=0] [rsense=0] [out=perceptron] [sweep=err,levels,quant,rwire,size] [seeds=5] [errs=...] [nlevels=...] [rwires=...] [sizes=...] [size_r=...]";

/// Default sweep points.
pub const ERRS: [f64; 8] = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5];
pub const NLEVELS: [usize; 5] = [4, 8, 16, 32, 64];
pub const RWIRES: [f64; 8] = [0.0, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0];
pub const SIZES: [usize; 3] = [64, 96, 128];

/// Check a `.perceptron` card on crossbar `xbar` of `c`.
pub fn spec(
    deck: &Deck,
    kind: &Name,
    xbar: usize,
    c: &Circuit,
    args: &[Arg],
    mut eval: impl FnMut(&Value) -> Result<f64, Diagnostic>,
) -> Result<PerceptronSpec, Vec<Diagnostic>> {
    let mut errs: Vec<Diagnostic> = Vec::new();
    let mut data: Option<(String, Digits)> = None;
    let mut weights: Option<(String, PathBuf, Span)> = None;
    let mut tparams: Option<(PathBuf, Span)> = None;
    let mut train = TrainConfig {
        gain: 4.0,
        ..Default::default()
    };
    let (mut vread, mut gmin, mut gmax, mut diff) = (0.25, None, None, false);
    let (mut model, mut err, mut nu, mut tloc) = ("uniform".to_string(), 0.0, 3.0, 0.0);
    let (mut levels, mut quant, mut seed) = (0usize, Scheme::Uniform, 1u64);
    let mut quant_span: Option<Span> = None;
    let (mut rdrive, mut rsense, mut out) = (0.0, 0.0, "perceptron".to_string());
    let mut sweeps: Vec<(SweepKind, Span)> = Vec::new();
    let mut seeds = 5usize;
    let mut errs_list = ERRS.to_vec();
    let mut nlevels = NLEVELS.to_vec();
    let mut rwires = RWIRES.to_vec();
    let mut size_r: Vec<f64> = Vec::new();
    let mut sizes: Option<(Vec<usize>, Span)> = None;
    let mut import_span = kind.span;
    // Keys of one import mode only, where given: (key, span).
    let mut stat_keys: Vec<(&str, Span)> = Vec::new();
    let mut wv_keys: Vec<(&str, Span)> = Vec::new();
    let mut tuning = Tuning {
        algorithm: Algorithm::WriteVerify,
        scheme: Bias::Half,
        tol: 0.01,
        cycles: 3,
        seed: 1,
        spread: ErrorModel::Uniform { e: 0.01 },
    };

    for a in args {
        let key = a.key.text.as_str();
        let span = a.value.span(&a.key);
        let text = crate::circuit::args::raw_text(deck, span);
        // One number (an expression) or a located error.
        let mut num = |errs: &mut Vec<Diagnostic>| -> Option<f64> {
            match &a.value {
                ArgValue::Value(v) => match eval(v) {
                    Ok(x) if x.is_finite() => Some(x),
                    Ok(x) => {
                        errs.push(Diagnostic::new(
                            span,
                            format!("'{key}' is not finite ({x})"),
                        ));
                        None
                    }
                    Err(d) => {
                        errs.push(d);
                        None
                    }
                },
                _ => {
                    errs.push(Diagnostic::new(span, format!("'{key}' needs a number")));
                    None
                }
            }
        };
        let whole = |x: f64, lo: f64, hi: f64| x.fract() == 0.0 && x >= lo && x <= hi;
        let bad = |msg: String| Diagnostic::new(span, msg);
        match key {
            "err" | "nu" | "tloc" => stat_keys.push((key, a.key.span)),
            "tol" | "cycles" | "scheme" | "algorithm" | "pseed" => wv_keys.push((key, a.key.span)),
            _ => {}
        }
        match key {
            "tol" => match num(&mut errs) {
                Some(x) if x > 0.0 && x < 1.0 => tuning.tol = x,
                Some(x) => errs.push(bad(format!(
                    "'tol' must be a fraction in (0, 1), e.g. 0.01, got {x}"
                ))),
                None => {}
            },
            "cycles" => match num(&mut errs) {
                Some(x) if whole(x, 1.0, 1e3) => tuning.cycles = x as usize,
                Some(x) => errs.push(bad(format!("'cycles' must be a whole number 1..1000, got {x}"))),
                None => {}
            },
            "pseed" => match num(&mut errs) {
                Some(x) if whole(x, 0.0, 1e15) => tuning.seed = x as u64,
                Some(x) => errs.push(bad(format!("'pseed' must be a whole number >= 0, got {x}"))),
                None => {}
            },
            "scheme" => match Bias::parse(&text) {
                Some(Bias::Ground) | None => errs.push(
                    bad(format!("unknown write scheme '{text}'"))
                        .with_hint("write schemes: v/2, v/3, float"),
                ),
                Some(b) => tuning.scheme = b,
            },
            "algorithm" => match Algorithm::parse(&text) {
                Some(al) => tuning.algorithm = al,
                None => errs.push(
                    bad(format!("unknown algorithm '{text}'"))
                        .with_hint("algorithms: wv (write-verify), ispp, ff (feed-forward)"),
                ),
            },
            "data" | "weights" | "tparams" => {
                let ArgValue::File(p, fs) = &a.value else {
                    errs.push(bad(format!("'{key}' needs file(\"<path>\")")));
                    continue;
                };
                let path = crate::circuit::args::file_path(deck, p, *fs);
                match key {
                    "data" => match Digits::load(&path) {
                        Ok(d) => data = Some((p.clone(), d)),
                        Err(m) => errs.push(Diagnostic::new(*fs, m.to_string())),
                    },
                    "weights" => weights = Some((p.clone(), path, *fs)),
                    _ => tparams = Some((path, *fs)),
                }
            }
            "vread" | "gmin" | "gmax" | "err" | "nu" | "tloc" | "lr" | "gain" | "rdrive"
            | "rsense" => {
                let Some(x) = num(&mut errs) else { continue };
                let ok = match key {
                    "vread" | "lr" | "gain" | "nu" => x > 0.0,
                    "tloc" => true,
                    "rdrive" | "rsense" => x == 0.0 || crate::circuit::args::resistance_ok(x),
                    _ => x >= 0.0,
                };
                if !ok {
                    let need = if matches!(key, "vread" | "lr" | "gain" | "nu") {
                        "> 0"
                    } else {
                        ">= 0"
                    };
                    errs.push(bad(format!("'{key}' must be {need}, got {x}")));
                    continue;
                }
                match key {
                    "vread" => vread = x,
                    "gmin" => gmin = Some(x),
                    "gmax" => gmax = Some(x),
                    "err" => err = x,
                    "nu" => nu = x,
                    "tloc" => tloc = x,
                    "lr" => train.lr = x,
                    "gain" => train.gain = x,
                    "rdrive" => rdrive = x,
                    _ => rsense = x,
                }
            }
            "diff" => match num(&mut errs) {
                Some(x) if x == 0.0 || x == 1.0 => diff = x == 1.0,
                Some(x) => errs.push(bad(format!("'diff' must be 0 or 1, got {x}"))),
                None => {}
            },
            "levels" => match num(&mut errs) {
                Some(x) if x == 0.0 || whole(x, 2.0, 4096.0) => levels = x as usize,
                Some(x) => errs.push(bad(format!(
                    "'levels' must be 0 (continuous) or a whole number 2..4096, got {x}"
                ))),
                None => {}
            },
            "seed" | "tseed" => match num(&mut errs) {
                Some(x) if whole(x, 0.0, 1e15) => {
                    if key == "seed" {
                        seed = x as u64
                    } else {
                        train.seed = x as u64
                    }
                }
                Some(x) => errs.push(bad(format!("'{key}' must be a whole number >= 0, got {x}"))),
                None => {}
            },
            "epochs" | "batch" | "seeds" => match num(&mut errs) {
                // Bounds that keep a card's work finite: 1e5 epochs of the
                // largest data set, 1000 seeds of each sweep point.
                Some(x) if whole(x, 1.0, if key == "batch" { 1e6 } else if key == "epochs" { 1e5 } else { 1e3 }) => match key {
                    "epochs" => train.epochs = x as usize,
                    "batch" => train.batch = x as usize,
                    _ => seeds = x as usize,
                },
                Some(x) => errs.push(bad(format!(
                    "'{key}' must be a whole number 1..{}, got {x}",
                    match key {
                        "batch" => "1000000",
                        "epochs" => "100000",
                        _ => "1000",
                    }
                ))),
                None => {}
            },
            "import" => match text.as_str() {
                "uniform" | "gauss" | "studentt" | "wv" => {
                    model = text.clone();
                    import_span = span;
                }
                _ => errs.push(
                    bad(format!("unknown import error model '{text}'"))
                        .with_hint("models: uniform (G*U[1-e,1+e]), gauss (G*(1+e*N)), studentt; or wv (write-verify through the circuit)"),
                ),
            },
            "quant" => match Scheme::parse(&text) {
                Some(s) => {
                    quant = s;
                    quant_span = Some(span);
                }
                None => errs
                    .push(bad(format!("unknown level placement '{text}'")).with_hint(
                        "quant=uniform, vaq (variance-aware) or qc (multiples of G0/2)",
                    )),
            },
            "out" => {
                if !text.is_empty()
                    && text
                        .chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
                {
                    out = text.clone();
                } else {
                    errs.push(bad(format!(
                        "'out' must be a file-name prefix of letters, digits, '_' or '-', got '{text}'"
                    )));
                }
            }
            "sweep" => {
                for w in text.split([',', ' ']).filter(|t| !t.is_empty()) {
                    match SweepKind::parse(w) {
                        Some(k) if !sweeps.iter().any(|s| s.0 == k) => sweeps.push((k, span)),
                        Some(_) => {}
                        None => errs.push(
                            bad(format!("unknown sweep '{w}'"))
                                .with_hint("sweeps: err, levels, quant, rwire, size"),
                        ),
                    }
                }
            }
            "errs" | "rwires" | "size_r" => {
                let v: Option<Vec<f64>> = text
                    .split([',', ' '])
                    .filter(|t| !t.is_empty())
                    .map(|t| {
                        crate::netlist::units::parse_number(t).filter(|&x| {
                            x >= 0.0
                                && (key == "errs"
                                    || x == 0.0
                                    || crate::circuit::args::resistance_ok(x))
                        })
                    })
                    .collect();
                match v {
                    Some(v) if !v.is_empty() => match key {
                        "errs" => errs_list = v,
                        "rwires" => rwires = v,
                        _ => size_r = v,
                    },
                    _ => errs.push(bad(format!(
                        "'{key}' must be a comma-separated list of numbers >= 0, got '{text}'"
                    ))),
                }
            }
            "nlevels" | "sizes" => {
                let (lo, hi) = if key == "nlevels" {
                    (2, 4096)
                } else {
                    (1, 1024)
                };
                let v: Option<Vec<usize>> = text
                    .split([',', ' '])
                    .filter(|t| !t.is_empty())
                    .map(|t| t.parse::<usize>().ok().filter(|n| (lo..=hi).contains(n)))
                    .collect();
                match v {
                    Some(v) if !v.is_empty() => {
                        if key == "nlevels" {
                            nlevels = v
                        } else {
                            sizes = Some((v, span))
                        }
                    }
                    _ => errs.push(bad(format!(
                        "'{key}' must be a comma-separated list of whole numbers {lo}..{hi}, got '{text}'"
                    ))),
                }
            }
            other => errs.push(
                Diagnostic::new(
                    a.key.span,
                    format!("unexpected .perceptron parameter '{other}'"),
                )
                .with_hint(USAGE),
            ),
        }
    }
    let Some((data_name, data)) = data else {
        if errs.is_empty() {
            errs.push(
                Diagnostic::new(kind.span, ".perceptron needs data=file(\"<digits csv>\")")
                    .with_hint(
                        "the 8x8 digit sets are data/uci_digits_8x8.csv and data/mnist_8x8.csv",
                    ),
            );
        }
        return Err(errs);
    };

    // The window: the paper's 10-100 uS, or seed 004's 0.5-16 G0 for QC levels.
    let (dlo, dhi) = if quant == Scheme::Qc {
        (0.5 * G0, 16.0 * G0)
    } else {
        (10e-6, 100e-6)
    };
    let (g_lo, g_hi) = (gmin.unwrap_or(dlo), gmax.unwrap_or(dhi));
    if g_hi <= g_lo {
        errs.push(Diagnostic::new(
            kind.span,
            format!("the conductance window needs gmax > gmin, got gmin={g_lo:e} gmax={g_hi:e}"),
        ));
    }
    let map = Mapping {
        g_lo,
        g_hi,
        vread,
        diff,
    };
    let xb = &c.crossbars[xbar];
    let cols = map.cols(data.classes);
    if xb.rows < data.inputs || xb.cols < cols {
        errs.push(
            Diagnostic::new(
                kind.span,
                format!(
                    "crossbar '{}' is {}x{}; this perceptron needs at least {}x{} ({} inputs, {} classes{})",
                    xb.name,
                    xb.rows,
                    xb.cols,
                    data.inputs,
                    cols,
                    data.inputs,
                    data.classes,
                    if diff { " as differential pairs" } else { "" }
                ),
            )
            .with_note(xb.span, "declared here"),
        );
    }
    let error_model = match model.as_str() {
        "gauss" => ErrorModel::Gauss { e: err },
        "studentt" => {
            let table = match &tparams {
                None => vec![TLevel {
                    y: 0.0,
                    loc: tloc,
                    scale: err,
                    nu,
                }],
                Some((path, fs)) => match read_rows(path, None, 4, false) {
                    Ok((v, _)) if !v.is_empty() => {
                        let mut t: Vec<TLevel> = v
                            .chunks(4)
                            .map(|r| TLevel {
                                y: r[0],
                                loc: r[1],
                                scale: r[2],
                                nu: r[3],
                            })
                            .collect();
                        if t.iter().any(|l| l.scale < 0.0 || l.nu <= 0.0) {
                            errs.push(Diagnostic::new(
                                *fs,
                                "every level needs scale >= 0 and nu > 0 (columns y,loc,scale,nu)",
                            ));
                        }
                        t.sort_by(|a, b| a.y.total_cmp(&b.y));
                        t
                    }
                    Ok(_) => {
                        errs.push(Diagnostic::new(*fs, "the Student's t table has no rows"));
                        Vec::new()
                    }
                    Err(m) => {
                        errs.push(Diagnostic::new(*fs, m.to_string()));
                        Vec::new()
                    }
                },
            };
            ErrorModel::StudentT { table }
        }
        _ => ErrorModel::Uniform { e: err },
    };
    let wv = model == "wv";
    if wv {
        for (k, sp) in &stat_keys {
            errs.push(
                Diagnostic::new(*sp, format!("'{k}' applies to the statistical import models"))
                    .with_hint("import=wv tunes through the circuit; its keys are tol, cycles, scheme, algorithm, pseed"),
            );
        }
        if let Some((_, sp)) = sweeps.first() {
            errs.push(
                Diagnostic::new(
                    *sp,
                    "the sweeps draw statistical imports; import=wv runs one tuning",
                )
                .with_hint("sweep on another .perceptron card with import=uniform err=<tol>"),
            );
        }
        let m = &c.models[c.crossbars[xbar].model as usize];
        match &m.dynamics {
            None => errs.push(
                Diagnostic::new(
                    import_span,
                    format!(
                        "import=wv tunes by pulses, but model '{}' has no switching dynamics",
                        m.name
                    ),
                )
                .with_hint("add dyn=nili (or vteam, levels, quantized) and gmin/gmax to its .model card, e.g. tio2x_pulse in models/tio2x_nili2020.lib"),
            ),
            Some(_) if m.g_window.is_none() => errs.push(Diagnostic::new(
                import_span,
                format!("import=wv needs model '{}' to have gmin and gmax", m.name),
            )),
            Some(d)
                if tuning.algorithm == Algorithm::FeedForward
                    && matches!(d.kind, Kind::Levels(_)) =>
            {
                errs.push(Diagnostic::new(
                    import_span,
                    "algorithm=ff needs a continuous dynamics model (nili or vteam)",
                ))
            }
            Some(_) => {}
        }
        tuning.spread = ErrorModel::Uniform { e: tuning.tol };
    } else {
        for (k, sp) in &wv_keys {
            errs.push(
                Diagnostic::new(*sp, format!("'{k}' applies to import=wv")).with_hint(
                    "give import=wv to tune the weights by write-verify through the circuit",
                ),
            );
        }
    }
    if tparams.is_some() && model != "studentt" {
        errs.push(Diagnostic::new(
            tparams.as_ref().map(|t| t.1).unwrap_or(kind.span),
            "tparams applies to import=studentt",
        ));
    }
    if let (Some(span), 0, Scheme::Uniform | Scheme::Vaq) = (quant_span, levels, quant) {
        errs.push(
            Diagnostic::new(
                span,
                format!(
                    "quant={} places levels, but levels is 0 (continuous)",
                    quant.name()
                ),
            )
            .with_hint("give levels=<N>, e.g. levels=16"),
        );
    }
    if quant == Scheme::Qc && errs.is_empty() {
        if let Err(avail) = import::levels(quant, levels, &map, &error_model) {
            errs.push(Diagnostic::new(
                kind.span,
                format!(
                    "the window {g_lo:e}..{g_hi:e} S holds {avail} QC state(s) (multiples of G0/2 = 38.7 uS); need {}",
                    levels.max(2)
                ),
            ).with_hint("with quant=qc the window defaults to 0.5..16 G0 (seed 004); leave gmin/gmax out or widen them"));
        }
    }
    let weights = match weights {
        None => None,
        Some((name, path, fs)) => match Perceptron::load(&path, data.inputs, data.classes, diff) {
            Ok(p) => Some((name, p)),
            Err(m) => {
                errs.push(Diagnostic::new(fs, m.to_string()));
                None
            }
        },
    };
    let sizes = match sizes {
        Some((v, span)) => {
            let need = data.inputs.max(cols);
            if let Some(n) = v.iter().find(|&&n| n < need) {
                errs.push(Diagnostic::new(
                    span,
                    format!("size {n} is smaller than the perceptron ({need} lines needed)"),
                ));
            }
            v
        }
        None => SIZES
            .iter()
            .copied()
            .filter(|&n| n >= data.inputs.max(cols))
            .collect(),
    };
    if let Some((_, span)) = sweeps.iter().find(|s| s.0 == SweepKind::Quant) {
        if err == 0.0 && tparams.is_none() && !wv {
            errs.push(
                Diagnostic::new(
                    *span,
                    "sweep=quant compares level placements under device spread; err is 0",
                )
                .with_hint("give the device spread with err=<e> (e.g. import=gauss err=0.05)"),
            );
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(PerceptronSpec {
        xbar,
        data_name,
        data: Arc::new(data),
        weights,
        train,
        map,
        import: if wv {
            Import::WriteVerify(tuning)
        } else {
            Import::Model(error_model)
        },
        levels,
        quant,
        seed,
        rdrive,
        rsense,
        out,
        sweeps: sweeps.into_iter().map(|s| s.0).collect(),
        seeds,
        errs: errs_list,
        nlevels,
        rwires,
        sizes,
        size_r,
    })
}

/// Read a `.perceptron` card into the plan.
pub fn read(
    cx: &mut super::super::card::CardCtx,
    card: &crate::netlist::Card,
    planned: &mut Vec<Box<dyn super::super::Analysis>>,
) {
    let Some((kind, words, args)) = super::super::card::parts(card) else {
        return;
    };
    let Some(xbar) = cx.crossbar_arg(kind, words, ".perceptron", USAGE) else {
        return;
    };
    let params = &mut *cx.params;
    match spec(cx.deck, kind, xbar, cx.c, args, |v| params.eval_value(v)) {
        Ok(s) => planned.push(Box::new(s)),
        Err(d) => cx.errors.extend(d),
    }
}
