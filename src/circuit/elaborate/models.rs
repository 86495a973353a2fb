//! `.model <name> memristor (...)` cards: the I–V law, the state window and
//! the switching dynamics.

use super::*;

/// The keys of `dyn=nili_table`'s coefficient lists, in table order.
/// The keys of the cubic law's device-to-device spread (σ_A1, σ_A3).
const SPREAD_KEYS: [&str; 2] = ["sa1", "sa3"];

const TABLE_KEYS: [&str; 21] = [
    "g0bins", "c0s", "c1s", "c2s", "c3s", "c4s", "d0s", "d1s", "d2s", "d3s", "d4s", "c0r", "c1r",
    "c2r", "c3r", "c4r", "d0r", "d1r", "d2r", "d3r", "d4r",
];

impl Elab {
    pub(super) fn model(
        &mut self,
        name: &Name,
        kind: &Name,
        args: &[Arg],
    ) -> Option<MemristorModel> {
        if kind.text != "memristor" {
            self.errors.push(
                Diagnostic::new(kind.span, format!("unknown model type '{}'", kind.text))
                    .with_hint("xbarsim models: memristor, D (diode), SW (switch)"),
            );
            return None;
        }
        // A numeric level (`level=2`, or a `.param`) is one of Xyce's.
        if let Some(ArgValue::Value(v)) = args
            .iter()
            .find(|a| a.key.text == "level")
            .map(|a| &a.value)
        {
            let word = match &v.expr {
                Expr::Param(w, _) => {
                    matches!(w.as_str(), "linear" | "sinh" | "cubic") || !self.params.is_defined(w)
                }
                _ => false,
            };
            if !word {
                let level = self.value(v)?;
                return self.xyce_model(name, level, v.span, args);
            }
        }
        let mut level: Option<(String, crate::netlist::Span)> = None;
        let mut nums: Vec<(&Arg, f64)> = Vec::new();
        let mut words: Vec<(&Arg, String)> = Vec::new();
        for a in args {
            let k = a.key.text.as_str();
            if matches!(
                k,
                "dyn" | "stuck_state" | "levels" | "level_sd" | "g0interp"
            ) || ((TABLE_KEYS.contains(&k) || SPREAD_KEYS.contains(&k))
                && matches!(a.value, ArgValue::Str(..)))
            {
                match &a.value {
                    ArgValue::Value(Value {
                        expr: Expr::Param(w, _),
                        ..
                    }) => words.push((a, w.to_ascii_lowercase())),
                    ArgValue::Str(w, _) => words.push((a, w.to_ascii_lowercase())),
                    ArgValue::Value(v) => match self.value(v) {
                        Some(x) => words.push((a, format!("{x:e}"))),
                        None => return None,
                    },
                    other => {
                        self.errors.push(Diagnostic::new(
                            other.span(&a.key),
                            format!("'{}' needs a word or a list", a.key.text),
                        ));
                        return None;
                    }
                }
            } else if a.key.text == "level" {
                match &a.value {
                    ArgValue::Value(Value {
                        expr: Expr::Param(w, s),
                        ..
                    }) => level = Some((w.clone(), *s)),
                    ArgValue::Str(w, s) => level = Some((w.to_ascii_lowercase(), *s)),
                    other => {
                        self.errors.push(Diagnostic::new(
                            other.span(&a.key),
                            "level must be one of linear, sinh, cubic (or Xyce's 2, 3, 4)",
                        ));
                        return None;
                    }
                }
            } else if let Some(v) = self.arg_value(a) {
                nums.push((a, v));
            }
        }
        let get = |k: &str| nums.iter().find(|(a, _)| a.key.text == k).map(|(_, v)| *v);
        let allowed: &[&str] = match level.as_ref().map(|l| l.0.as_str()) {
            Some("linear") | None => &["g", "gmin", "gmax"],
            Some("sinh") => &["g", "gmin", "gmax", "beta"],
            Some("cubic") => &["g", "gmin", "gmax", "temp"],
            Some(other) => {
                let s = level.as_ref().map(|l| l.1).unwrap_or(kind.span);
                self.errors.push(
                    Diagnostic::new(s, format!("unknown memristor level '{other}'")).with_hint(
                        "levels: linear, sinh, cubic; Xyce's: 2 (TEAM), 3 (Yakopcic), 4 (PEM)",
                    ),
                );
                return None;
            }
        };
        let dyn_kind = words
            .iter()
            .find(|(a, _)| a.key.text == "dyn")
            .map(|(a, w)| (*a, w.clone()));
        let dyn_allowed: &[&str] = match dyn_kind.as_ref().map(|d| d.1.as_str()) {
            None => &[],
            Some("nili") => &[
                "c0", "c1", "c2", "c3", "c0r", "c1r", "c2r", "c3r", "vset", "vreset",
            ],
            Some("nili_table") => &["vset", "vreset"],
            Some("vteam") => &["kset", "aset", "kreset", "areset", "p", "vset", "vreset"],
            Some("levels") => &["vset", "vreset"],
            Some("quantized") => &["g0q", "nstates", "k", "sigma", "vset", "vreset"],
            Some(other) => {
                let (a, _) = dyn_kind
                    .as_ref()
                    .map(|d| (d.0, ()))
                    .unwrap_or((&args[0], ()));
                self.errors.push(
                    Diagnostic::new(
                        a.value.span(&a.key),
                        format!("unknown switching dynamics '{other}'"),
                    )
                    .with_hint("dyn=nili, nili_table, vteam, levels or quantized"),
                );
                return None;
            }
        };
        const VARIATION: [&str; 6] = [
            "vset_sd",
            "vreset_sd",
            "vcorr",
            "stuck",
            "c2c",
            "read_noise",
        ];
        for (a, _) in &words {
            let k = a.key.text.as_str();
            let ok = match k {
                "dyn" => true,
                "stuck_state" => dyn_kind.is_some(),
                _ if k == "g0interp" || TABLE_KEYS.contains(&k) => {
                    dyn_kind.as_ref().is_some_and(|d| d.1 == "nili_table")
                }
                // Checked with the law below.
                _ if SPREAD_KEYS.contains(&k) => true,
                _ => dyn_kind.as_ref().is_some_and(|d| d.1 == "levels"),
            };
            if !ok {
                self.errors.push(
                    Diagnostic::new(
                        a.key.span,
                        format!("'{k}' needs dyn= (and levels= needs dyn=levels)"),
                    )
                    .with_hint("dyn=nili, vteam, levels or quantized"),
                );
            }
        }
        for (a, _) in &nums {
            let k = a.key.text.as_str();
            if dyn_allowed.contains(&k) || (dyn_kind.is_some() && VARIATION.contains(&k)) {
                continue;
            }
            if !allowed.contains(&k) {
                self.errors.push(
                    Diagnostic::new(
                        a.key.span,
                        format!(
                            "unknown parameter '{}' for this memristor level",
                            a.key.text
                        ),
                    )
                    .with_hint(format!("parameters: level {}", allowed.join(" "))),
                );
            }
        }
        if level.as_ref().map(|l| l.0.as_str()) != Some("cubic") {
            if let Some((a, _)) = words
                .iter()
                .find(|(a, _)| SPREAD_KEYS.contains(&a.key.text.as_str()))
            {
                self.errors.push(
                    Diagnostic::new(
                        a.key.span,
                        format!(
                            "'{}' (the static law's device-to-device spread) needs level=cubic",
                            a.key.text
                        ),
                    )
                    .with_hint("sa1= and sa3= spread the Nili 2020 cubic law's A1 and A3"),
                );
                return None;
            }
        }
        let law = match level.as_ref().map(|l| l.0.as_str()) {
            Some("sinh") => {
                let beta = get("beta").unwrap_or(1.0);
                if beta.is_nan() || beta <= 0.0 {
                    self.errors
                        .push(Diagnostic::new(name.span, "sinh model needs beta > 0"));
                    return None;
                }
                IvLaw::Sinh { beta }
            }
            Some("cubic") => {
                let t = get("temp").unwrap_or(self.c.temp);
                // The Nili 2020 fit carries T^-1.33 with T in °C: undefined at
                // and below 0 °C, overflowing just above it.
                if !(1.0..=1000.0).contains(&t) {
                    self.errors.push(
                        Diagnostic::new(
                            name.span,
                            format!("the cubic (Nili 2020) law needs a temperature of 1..1000 °C, got {t} °C"),
                        )
                        .with_hint("its fit has T^-1.33 with T in °C; set temp= on the model or .temp"),
                    );
                    return None;
                }
                match self.cubic_spread(&words, t, dyn_kind.is_some()) {
                    Ok(spread) => match IvLaw::cubic(t) {
                        IvLaw::Cubic {
                            temp_c, a1_t, a3_t, ..
                        } => IvLaw::Cubic {
                            temp_c,
                            a1_t,
                            a3_t,
                            spread,
                        },
                        law => law,
                    },
                    Err(()) => return None,
                }
            }
            _ => IvLaw::Linear,
        };
        let g_window = match (get("gmin"), get("gmax")) {
            (Some(a), Some(b)) if a >= 0.0 && b > a => Some((a, b)),
            (None, None) => None,
            _ => {
                self.errors.push(Diagnostic::new(
                    name.span,
                    "conductance window needs both gmin and gmax with 0 <= gmin < gmax",
                ));
                None
            }
        };
        let mut g_window = g_window;
        let dynamics = match dyn_kind {
            None => None,
            Some((a, kind)) => {
                let word = |k: &str| {
                    words
                        .iter()
                        .find(|(a, _)| a.key.text == k)
                        .map(|(_, w)| w.clone())
                };
                let d = self.dynamics(name, a, &kind, &get, &word, &mut g_window)?;
                Some(d)
            }
        };
        if let Some(g) = get("g").filter(|g| *g < 0.0) {
            self.errors.push(Diagnostic::new(
                name.span,
                format!("the model's state g must be >= 0 S, got {g:e}"),
            ));
            return None;
        }
        Some(MemristorModel {
            name: name.text.clone(),
            law,
            g_default: get("g"),
            g_window,
            dynamics,
        })
    }

    /// The cubic law's device-to-device spread from `sa1="p0,p1,p2,p3"` and
    /// `sa3="q0,q1,q2,q3,q4"` (both or neither; they need dyn=, whose pulse
    /// analyses draw each device's n_s), folded at `temp` °C.
    fn cubic_spread(
        &mut self,
        words: &[(&Arg, String)],
        temp: f64,
        has_dyn: bool,
    ) -> Result<Option<crate::devices::memristor::iv::CubicSpread>, ()> {
        let find = |k: &str| words.iter().find(|(a, _)| a.key.text == k);
        let (s1, s3) = (find("sa1"), find("sa3"));
        let Some((at, _)) = s1.or(s3) else {
            return Ok(None);
        };
        let span = at.value.span(&at.key);
        let hint = "sa1=\"p0,p1,p2,p3\" (sigma_A1 = p0 + p1*G0 + p2*T + p3*G0^2) and sa3=\"q0,q1,q2,q3,q4\" (sigma_A3 = q0 + q1*G0 + q2*T + q3*G0^2 + q4*G0*T); see models/tio2x_nili2020_table.lib";
        let (Some((a1, w1)), Some((a3, w3))) = (s1, s3) else {
            self.errors.push(
                Diagnostic::new(span, "the static spread needs both sa1= and sa3=").with_hint(hint),
            );
            return Err(());
        };
        if !has_dyn {
            self.errors.push(
                Diagnostic::new(
                    span,
                    "sa1=/sa3= need dyn=: the pulse analyses draw each device's static factor",
                )
                .with_hint(hint),
            );
            return Err(());
        }
        let mut list = |a: &Arg, w: &str, n: usize| -> Option<Vec<f64>> {
            let v: Option<Vec<f64>> = w
                .split([',', ' '])
                .filter(|t| !t.is_empty())
                .map(crate::netlist::units::parse_number)
                .collect();
            match v {
                Some(v) if v.len() == n && v.iter().all(|x| x.is_finite()) => Some(v),
                _ => {
                    self.errors.push(
                        Diagnostic::new(
                            a.value.span(&a.key),
                            format!("{}= needs {n} finite numbers", a.key.text),
                        )
                        .with_hint(hint),
                    );
                    None
                }
            }
        };
        let (p, q) = (list(a1, w1, 4), list(a3, w3, 5));
        let (Some(p), Some(q)) = (p, q) else {
            return Err(());
        };
        Ok(Some(crate::devices::memristor::iv::CubicSpread::new(
            [p[0], p[1], p[2], p[3]],
            [q[0], q[1], q[2], q[3], q[4]],
            temp,
        )))
    }

    /// The coefficient table of `dyn=nili_table`: `g0bins=` (bin edges, S)
    /// and one list per coefficient column, one value per bin.
    fn nili_table(
        &mut self,
        span: crate::netlist::Span,
        word: &dyn Fn(&str) -> Option<String>,
    ) -> Option<crate::devices::memristor::dynamics::NiliTable> {
        use crate::devices::memristor::dynamics::*;
        let list = |k: &str| -> Result<Vec<f64>, String> {
            let w = word(k).ok_or_else(|| format!("dyn=nili_table needs {k}=\"...\""))?;
            w.split([',', ' '])
                .filter(|t| !t.is_empty())
                .map(|t| {
                    crate::netlist::units::parse_number(t)
                        .ok_or_else(|| format!("'{t}' in {k}= is not a number"))
                })
                .collect()
        };
        let mut fail = |m: String| {
            self.errors.push(Diagnostic::new(span, m).with_hint(
                "see models/tio2x_nili2020_table.lib: g0bins= and c0s..d4s, c0r..d4r lists",
            ));
        };
        let edges = match list("g0bins") {
            Ok(e) if e.len() >= 2 && e[0] > 0.0 && e.windows(2).all(|w| w[0] < w[1]) => e,
            Ok(_) => {
                fail("g0bins= needs at least two ascending edges > 0 S".into());
                return None;
            }
            Err(m) => {
                fail(m);
                return None;
            }
        };
        let nb = edges.len() - 1;
        let mut bins = vec![NiliBin::default(); nb];
        for (col, key) in TABLE_KEYS.iter().enumerate().skip(1) {
            let v = match list(key) {
                Ok(v) if v.len() == nb && v.iter().all(|x| x.is_finite()) => v,
                Ok(v) => {
                    fail(format!(
                        "{key}= needs {nb} finite values (one per bin), got {}",
                        v.len()
                    ));
                    return None;
                }
                Err(m) => {
                    fail(m);
                    return None;
                }
            };
            let (group, i) = ((col - 1) / 5, (col - 1) % 5);
            for (b, x) in bins.iter_mut().zip(v) {
                match group {
                    0 => b.cs[i] = x,
                    1 => b.ds[i] = x,
                    2 => b.cr[i] = x,
                    _ => b.dr[i] = x,
                }
            }
        }
        let interp = match word("g0interp").as_deref() {
            None | Some("bin") => G0Interp::Bin,
            Some("log") => G0Interp::Log,
            Some(w) => {
                fail(format!("unknown g0interp '{w}' (bin or log)"));
                return None;
            }
        };
        Some(NiliTable {
            edges,
            bins,
            interp,
        })
    }

    /// The `dyn=` part of a memristor model card (see
    /// [`crate::devices::memristor::dynamics`]).
    pub(super) fn dynamics(
        &mut self,
        name: &Name,
        at: &Arg,
        kind: &str,
        get: &dyn Fn(&str) -> Option<f64>,
        word: &dyn Fn(&str) -> Option<String>,
        window: &mut Option<(f64, f64)>,
    ) -> Option<crate::devices::memristor::Dynamics> {
        use crate::devices::memristor::dynamics::*;
        let span = at.value.span(&at.key);
        let n0 = self.errors.len();
        let (vset, vreset) = (get("vset").unwrap_or(1.19), get("vreset").unwrap_or(-1.39));
        if !(vset > 0.0 && vreset < 0.0) {
            self.errors.push(Diagnostic::new(
                span,
                format!("thresholds need vset > 0 > vreset, got vset={vset} vreset={vreset}"),
            ));
        }
        let kind = match kind {
            "nili" => {
                let d = Nili::default();
                Kind::Nili(Nili {
                    c0: get("c0").unwrap_or(d.c0),
                    c1: get("c1").unwrap_or(d.c1),
                    c2: get("c2").unwrap_or(d.c2),
                    c3: get("c3").unwrap_or(d.c3),
                    c0r: get("c0r").unwrap_or(d.c0r),
                    c1r: get("c1r").unwrap_or(d.c1r),
                    c2r: get("c2r").unwrap_or(d.c2r),
                    c3r: get("c3r").unwrap_or(d.c3r),
                })
            }
            "nili_table" => Kind::NiliTable(self.nili_table(span, word)?),
            "vteam" => {
                let d = Vteam::default();
                let p = Vteam {
                    kset: get("kset").unwrap_or(d.kset),
                    aset: get("aset").unwrap_or(d.aset),
                    kreset: get("kreset").unwrap_or(d.kreset),
                    areset: get("areset").unwrap_or(d.areset),
                    p: get("p").unwrap_or(d.p),
                };
                if !(p.kset >= 0.0
                    && p.kreset >= 0.0
                    && p.aset > 0.0
                    && p.areset > 0.0
                    && p.p > 0.0)
                {
                    self.errors.push(Diagnostic::new(
                        span,
                        "vteam needs kset, kreset >= 0 and aset, areset, p > 0",
                    ));
                }
                Kind::Vteam(p)
            }
            "quantized" => {
                let g0 = get("g0q").unwrap_or(77.5e-6);
                let n = get("nstates").unwrap_or(32.0);
                let (k, sigma) = (get("k").unwrap_or(0.03), get("sigma").unwrap_or(1.0));
                if !(g0 > 0.0
                    && n >= 2.0
                    && n.fract() == 0.0
                    && n <= 4096.0
                    && sigma >= 0.0
                    && k >= 0.0)
                {
                    self.errors.push(Diagnostic::new(
                        span,
                        "quantized needs g0q > 0, whole nstates in 2..4096, k >= 0, sigma >= 0",
                    ));
                    return None;
                }
                Kind::Levels(Levels::quantized(g0, n as usize, k, sigma))
            }
            _ => {
                let list = |k: &str| -> Option<Result<Vec<f64>, Diagnostic>> {
                    let w = word(k)?;
                    Some(
                        w.split([',', ' '])
                            .filter(|t| !t.is_empty())
                            .map(|t| {
                                crate::netlist::units::parse_number(t).ok_or_else(|| {
                                    Diagnostic::new(span, format!("'{t}' in {k}= is not a number"))
                                })
                            })
                            .collect(),
                    )
                };
                let g = match list("levels") {
                    Some(Ok(g))
                        if g.len() >= 2 && g.windows(2).all(|w| w[0] < w[1]) && g[0] > 0.0 =>
                    {
                        g
                    }
                    Some(Err(d)) => {
                        self.errors.push(d);
                        return None;
                    }
                    _ => {
                        self.errors.push(Diagnostic::new(
                            span,
                            "dyn=levels needs levels=<g1,g2,...> (S, at least two, ascending, > 0)",
                        ));
                        return None;
                    }
                };
                let sd = match list("level_sd") {
                    None => vec![0.0; g.len()],
                    Some(Ok(s)) if s.len() == 1 && s[0] >= 0.0 => vec![s[0]; g.len()],
                    Some(Ok(s)) if s.len() == g.len() && s.iter().all(|x| *x >= 0.0) => s,
                    Some(Ok(s)) => {
                        self.errors.push(Diagnostic::new(
                            span,
                            format!(
                                "level_sd= needs one value or one per level ({}), >= 0; got {}",
                                g.len(),
                                s.len()
                            ),
                        ));
                        return None;
                    }
                    Some(Err(d)) => {
                        self.errors.push(d);
                        return None;
                    }
                };
                Kind::Levels(Levels { g, sd })
            }
        };
        if let Kind::Levels(l) = &kind {
            if window.is_none() {
                let lo =
                    l.g.iter()
                        .zip(&l.sd)
                        .map(|(g, s)| g - 4.0 * s)
                        .fold(f64::INFINITY, f64::min);
                let hi =
                    l.g.iter()
                        .zip(&l.sd)
                        .map(|(g, s)| g + 4.0 * s)
                        .fold(0.0, f64::max);
                *window = Some((lo.max(0.0), hi));
            }
        } else if window.is_none() {
            self.errors.push(
                Diagnostic::new(name.span, "switching dynamics need a conductance window")
                    .with_hint("add gmin=<S> gmax=<S> to the model card"),
            );
        }
        let stuck_state = match word("stuck_state") {
            None => StuckState::Off,
            Some(w) if w == "off" => StuckState::Off,
            Some(w) if w == "on" => StuckState::On,
            Some(w) if w == "asis" || w == "as_is" => StuckState::AsIs,
            Some(w) => {
                self.errors.push(
                    Diagnostic::new(span, format!("unknown stuck_state '{w}'"))
                        .with_hint("stuck_state=off, on or asis"),
                );
                StuckState::Off
            }
        };
        let var = Variation {
            vset_sd: get("vset_sd").unwrap_or(0.0),
            vreset_sd: get("vreset_sd").unwrap_or(0.0),
            corr: get("vcorr").unwrap_or(0.0),
            stuck: get("stuck").unwrap_or(0.0),
            stuck_state,
            c2c: get("c2c").unwrap_or(0.0),
            read_noise: get("read_noise").unwrap_or(0.0),
        };
        if !(var.vset_sd >= 0.0
            && var.vreset_sd >= 0.0
            && (-1.0..=1.0).contains(&var.corr)
            && (0.0..=1.0).contains(&var.stuck)
            && var.c2c >= 0.0
            && var.read_noise >= 0.0)
        {
            self.errors.push(Diagnostic::new(span, "variation needs vset_sd, vreset_sd, c2c, read_noise >= 0, vcorr in [-1, 1], stuck in [0, 1]"));
        }
        if self.errors.len() > n0 {
            return None;
        }
        Some(Dynamics {
            kind,
            vset,
            vreset,
            var,
        })
    }
}
