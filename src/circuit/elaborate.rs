//! From a parsed [`Deck`] to a validated [`Circuit`].

use super::params::Params;
use super::validate;
use super::*;
use crate::devices::bsource::{Op, Program};
use crate::devices::memristor::{IvLaw, MemristorModel};
use crate::netlist::expr::Expr;
use crate::netlist::parser::Parsed;
use crate::netlist::{Arg, ArgValue, Card, Deck, Diagnostic, Diagnostics, Name, Value};
use std::collections::HashMap;

/// Elaborate a deck. All errors found (parse and elaboration) are returned together.
///
/// Pass 1 parses the directive cards (`.param`, `.model`, `.options`, `.temp`,
/// analyses); pass 2 parses each element card and turns it into its
/// struct-of-arrays entry at once, so no full syntax tree of a large netlist is
/// ever held.
pub fn elaborate(deck: &Deck) -> Result<Circuit, Diagnostics> {
    let mut e = Elab {
        params: Params::default(),
        errors: Vec::new(),
        c: Circuit::default(),
    };
    e.c.title = deck.title.clone();
    e.c.temp = 27.0;

    // Pass 1: directives.
    let mut directives: Vec<Card> = Vec::new();
    let mut elements: Vec<usize> = Vec::with_capacity(deck.cards.len());
    let mut count = [0usize; 4]; // R, B, Y, other
    for k in 0..deck.cards.len() {
        let first = deck
            .card_text(k)
            .trim_start()
            .as_bytes()
            .first()
            .map(u8::to_ascii_lowercase);
        if first != Some(b'.') {
            elements.push(k);
            count[match first {
                Some(b'r') => 0,
                Some(b'b') => 1,
                Some(b'y') => 2,
                _ => 3,
            }] += 1;
            continue;
        }
        match deck.parse(k) {
            Ok(Parsed::Card(c)) => directives.push(c),
            Ok(Parsed::Ignored(w)) => e.c.warnings.push(Diagnostic::from(w).warning()),
            Ok(Parsed::Include(..)) => {}
            Err(err) => e.errors.push(err.into()),
        }
    }
    for card in &directives {
        if let Card::Param(ps) = card {
            for (n, v) in ps {
                e.params.define(&n.text, v.expr.clone(), n.span);
            }
        }
    }
    let mut model_cards: HashMap<&str, (&Name, &Name, &Vec<Arg>)> = HashMap::new();
    for card in &directives {
        match card {
            Card::Options(args) => e.options(args),
            Card::Temp(v) => {
                if let Some(t) = e.value(v) {
                    e.c.temp = t;
                }
            }
            Card::Model { name, kind, args } => {
                if let Some((prev, _, _)) = model_cards.get(name.text.as_str()) {
                    e.errors.push(
                        Diagnostic::new(
                            name.span,
                            format!("model '{}' is defined twice", name.text),
                        )
                        .with_note(prev.span, "first defined here"),
                    );
                } else {
                    model_cards.insert(&name.text, (name, kind, args));
                }
            }
            _ => {}
        }
    }
    let mut model_index: HashMap<String, u32> = HashMap::new();
    let mut names: Vec<&&str> = model_cards.keys().collect();
    names.sort();
    for key in names {
        let (name, kind, args) = model_cards[*key];
        if let Some(m) = e.model(name, kind, args) {
            model_index.insert(name.text.clone(), e.c.models.len() as u32);
            e.c.models.push(m);
        }
    }

    // Crossbars, before the elements that connect to their ports.
    let mut xb_names: HashMap<String, crate::netlist::Span> = HashMap::new();
    for card in &directives {
        if let Card::Crossbar { name, args, span } = card {
            if let Some(prev) = xb_names.insert(name.text.clone(), name.span) {
                e.errors.push(
                    Diagnostic::new(
                        name.span,
                        format!("crossbar '{}' is defined twice", name.text),
                    )
                    .with_note(prev, "first defined here"),
                );
                continue;
            }
            e.crossbar(deck, name, args, *span, &model_index, &model_cards);
        }
    }

    // Reserve once: growing these by doubling costs copies and page faults
    // on multi-million-element netlists.
    e.c.resistors.reserve(count[0]);
    e.c.branches.reserve(count[1]);
    e.c.memristors.reserve(count[2]);
    e.c.nodes.reserve(elements.len());

    // Pass 2: elements. Cards are parsed in parallel chunks (parsing is pure),
    // then interned and appended in order.
    let mut names = NameSet::default();
    for chunk in elements.chunks(PARSE_CHUNK) {
        use rayon::prelude::*;
        let parsed: Vec<_> = chunk.par_iter().map(|&k| deck.parse(k)).collect();
        for (&k, p) in chunk.iter().zip(parsed) {
            let card = match p {
                Ok(Parsed::Card(c)) => c,
                Ok(_) => continue,
                Err(err) => {
                    e.errors.push(err.into());
                    continue;
                }
            };
            e.c.nodes.set_card(k as u32);
            if let Some(n) = card.element_name() {
                if let Some(prev) = names.insert(deck, &n.text, k) {
                    e.errors.push(
                        Diagnostic::new(n.span, format!("duplicate element name '{}'", n.text))
                            .with_note(prev, "first defined here"),
                    );
                    continue;
                }
            }
            e.element(card, &model_index, &model_cards);
        }
    }

    // Analyses.
    let mut outputs = HashMap::new();
    for card in &directives {
        e.analysis(deck, card, &mut outputs);
    }

    if e.errors.is_empty() {
        // Only .vmm/.read analyses: they add drivers and sense to a copy and check that.
        let own = e.c.analyses.is_empty()
            || e.c.analyses.iter().any(|a| {
                !matches!(
                    a,
                    Analysis::Vmm { .. }
                        | Analysis::Read(_)
                        | Analysis::Sizing(_)
                        | Analysis::Program(_)
                        | Analysis::Pulses(_)
                        | Analysis::Thresholds(_)
                        | Analysis::Perceptron(_)
                )
            });
        if let Err(d) = validate::validate(&e.c, Some(deck), own) {
            e.errors.extend(d.0);
        }
    }
    if e.errors.is_empty() {
        Ok(e.c)
    } else {
        Err(Diagnostics(e.errors))
    }
}

/// Smallest and largest resistance accepted anywhere (elements, line
/// segments, drivers, sense): beyond them 1/R is not a conductance the
/// equations can carry (4e-320 ohm gives an infinite one).
pub const MIN_OHMS: f64 = 1e-18;
pub const MAX_OHMS: f64 = 1e18;

/// Most steps in one `.thresholds` ramp.
const MAX_RAMP_STEPS: f64 = 10_000.0;

/// Most Newton iterations `.options itl1=` may ask for.
const MAX_ITL1: f64 = 10_000.0;

/// Card arguments that are resistances (checked by `arg_value`).
const RESISTANCE_KEYS: [&str; 2] = ["rdrive", "rsense"];

/// A number for a message: plain when it reads well, else scientific (a
/// subnormal printed plainly is 320 zeros).
pub fn show(x: f64) -> String {
    if x == 0.0 || (1e-4..1e15).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// A resistance within [`MIN_OHMS`, `MAX_OHMS`].
pub fn resistance_ok(r: f64) -> bool {
    (MIN_OHMS..=MAX_OHMS).contains(&r)
}

/// Cards parsed per parallel batch in pass 2.
const PARSE_CHUNK: usize = 16384;

/// Element names seen so far, without storing them: a map from the name's
/// hash to its card; equal hashes are confirmed by re-reading that card, and
/// genuine collisions spill into an exact map.
#[derive(Default)]
struct NameSet {
    by_hash: rustc_hash::FxHashMap<u64, u32>,
    spill: HashMap<String, crate::netlist::Span>,
}

impl NameSet {
    /// Record `name` (card `k`); `Some(span of the first)` if it was seen before.
    fn insert(&mut self, deck: &Deck, name: &str, k: usize) -> Option<crate::netlist::Span> {
        use std::hash::BuildHasher;
        let h = rustc_hash::FxBuildHasher.hash_one(name);
        match self.by_hash.get(&h) {
            None => {
                self.by_hash.insert(h, k as u32);
                None
            }
            Some(&k0) => {
                if let Ok(Parsed::Card(c0)) = deck.parse(k0 as usize) {
                    if let Some(n0) = c0.element_name() {
                        if n0.text == name {
                            return Some(n0.span);
                        }
                    }
                }
                let span = match deck.parse(k) {
                    Ok(Parsed::Card(c)) => c.element_name().map(|n| n.span).unwrap_or_default(),
                    _ => Default::default(),
                };
                match self.spill.get(name) {
                    Some(s) => Some(*s),
                    None => {
                        self.spill.insert(name.to_string(), span);
                        None
                    }
                }
            }
        }
    }
}

struct Elab {
    params: Params,
    errors: Vec<Diagnostic>,
    c: Circuit,
}

impl Elab {
    /// One element card into its `Vec`.
    fn element(
        &mut self,
        card: Card,
        model_index: &HashMap<String, u32>,
        model_cards: &HashMap<&str, (&Name, &Name, &Vec<Arg>)>,
    ) {
        let e = self;
        match card {
            Card::Resistor { name, nodes, value } => {
                let Some(r) = e.value(&value) else { return };
                if !resistance_ok(r) {
                    e.errors.push(
                        Diagnostic::new(
                            value.span,
                            format!(
                                "resistance must be positive, {MIN_OHMS:e}..{MAX_OHMS:e} ohm, got {}",
                                show(r)
                            ),
                        )
                        .with_hint("to short two nodes use a 0 V voltage source"),
                    );
                    return;
                }
                let (a, b) = e.two_nodes(&nodes);
                e.c.resistors.push(Resistor {
                    name: name.text.into_boxed_str(),
                    a,
                    b,
                    g: 1.0 / r,
                });
            }
            Card::VSource { name, nodes, value } => {
                let Some(v) = e.value(&value) else { return };
                let (p, n) = e.two_nodes(&nodes);
                e.c.vsources.push(VSource {
                    name: name.text,
                    p,
                    n,
                    volts: v,
                    span: name.span,
                });
            }
            Card::ISource { name, nodes, value } => {
                let Some(v) = e.value(&value) else { return };
                let (p, n) = e.two_nodes(&nodes);
                e.c.isources.push(ISource {
                    name: name.text,
                    p,
                    n,
                    amps: v,
                    span: name.span,
                });
            }
            Card::BSource {
                name,
                nodes,
                expr,
                span,
            } => e.bsource(&name, &nodes, &expr, span),
            Card::Memristor {
                name,
                nodes,
                model,
                args,
            } => {
                let Some(&mi) = model_index.get(&model.text) else {
                    if !model_cards.contains_key(model.text.as_str()) {
                        e.errors.push(
                            Diagnostic::new(model.span, format!("unknown model '{}'", model.text))
                                .with_hint("define it with `.model <name> memristor (level=linear|sinh|cubic ...)` or .include its model file"),
                        );
                    }
                    return;
                };
                let mut g = e.c.models[mi as usize].g_default;
                for a in &args {
                    match a.key.text.as_str() {
                        "g" => g = e.arg_value(a),
                        other => e.errors.push(
                            Diagnostic::new(
                                a.key.span,
                                format!("unknown memristor instance parameter '{other}'"),
                            )
                            .with_hint("instance parameters: g=<S>"),
                        ),
                    }
                }
                let Some(g) = g else {
                    e.errors.push(
                        Diagnostic::new(
                            name.span,
                            format!("memristor '{}' has no state", name.text),
                        )
                        .with_hint("give g=<S> on the instance, or g=<S> on its model card"),
                    );
                    return;
                };
                if g.is_nan() || g < 0.0 || g.is_infinite() {
                    e.errors.push(Diagnostic::new(
                        name.span,
                        format!("memristor state g must be >= 0, got {g}"),
                    ));
                    return;
                }
                let mut g = g;
                if let Some((lo, hi)) = e.c.models[mi as usize].g_window {
                    if g < lo || g > hi {
                        let clipped = g.clamp(lo, hi);
                        e.c.warnings.push(
                            Diagnostic::new(name.span, format!("memristor '{}': state g = {g:e} S is outside its model's window [{lo:e}, {hi:e}] S; clipped to {clipped:e} S", name.text))
                                .warning(),
                        );
                        g = clipped;
                    }
                }
                let (a, b) = e.two_nodes(&nodes);
                e.c.memristors.push(Memristor {
                    name: name.text,
                    a,
                    b,
                    model: mi,
                    g,
                });
            }
            _ => {}
        }
    }

    /// The crossbar named by an analysis card's first word (its index), or an error.
    fn crossbar_arg(
        &mut self,
        kind: &Name,
        words: &[Name],
        directive: &str,
        usage: &str,
    ) -> Option<usize> {
        let Some(xname) = words.first() else {
            self.errors.push(
                Diagnostic::new(kind.span, format!("{directive} needs the crossbar's name"))
                    .with_hint(usage),
            );
            return None;
        };
        let found = self.c.crossbars.iter().position(|x| x.name == xname.text);
        if found.is_none() {
            self.errors.push(Diagnostic::new(
                xname.span,
                format!("no crossbar named '{}'", xname.text),
            ));
        }
        found
    }

    /// `.perceptron XB data=file(...) ...` (checked by `analysis::perceptron::card`).
    fn perceptron(&mut self, deck: &Deck, kind: &Name, words: &[Name], args: &[Arg]) {
        use crate::analysis::perceptron::card;
        let Some(xbar) = self.crossbar_arg(kind, words, ".perceptron", card::USAGE) else {
            return;
        };
        let params = &mut self.params;
        match card::spec(deck, kind, xbar, &self.c, args, |v| params.eval_value(v)) {
            Ok(s) => self.c.analyses.push(Analysis::Perceptron(Box::new(s))),
            Err(d) => self.errors.extend(d),
        }
    }

    /// One `.crossbar` card into the element arrays.
    fn crossbar(
        &mut self,
        deck: &Deck,
        name: &Name,
        args: &[Arg],
        span: crate::netlist::Span,
        model_index: &HashMap<String, u32>,
        model_cards: &HashMap<&str, (&Name, &Name, &Vec<Arg>)>,
    ) {
        if !name
            .text
            .chars()
            .all(|ch| ch.is_alphanumeric() || ch == '_' || ch == '-')
        {
            // The name prefixes node names (XB.t0.0) and result files (XB_vcell.csv).
            self.errors.push(
                Diagnostic::new(
                    name.span,
                    format!(
                        "crossbar name '{}' may hold only letters, digits, '_' and '-'",
                        name.text
                    ),
                )
                .with_hint("it is the prefix of the array's node names and of its result files"),
            );
            return;
        }
        let params = &mut self.params;
        let sp = match super::crossbar::spec(name.span, args, |v| params.eval_value(v)) {
            Ok(sp) => sp,
            Err(errs) => {
                self.errors.extend(errs);
                return;
            }
        };
        let Some(&mi) = model_index.get(&sp.model) else {
            if !model_cards.contains_key(sp.model.as_str()) {
                self.errors.push(
                    Diagnostic::new(sp.model_span, format!("unknown model '{}'", sp.model))
                        .with_hint("define it with `.model <name> memristor (level=linear|sinh|cubic ...)` or .include its model file"),
                );
            }
            return;
        };
        let g = match super::crossbar::conductances(
            &sp,
            deck,
            name.span,
            self.c.models[mi as usize].g_default,
        ) {
            Ok(g) => g,
            Err(d) => {
                self.errors.push(d);
                return;
            }
        };
        let (xb, warnings) = super::crossbar::build(&mut self.c, &name.text, &sp, mi, &g, span);
        self.c.warnings.extend(warnings);
        self.c.crossbars.push(xb);
    }

    /// `.vmm XB inputs=file("v.csv") [rdrive=Ω] [rsense=Ω]`
    fn vmm(&mut self, deck: &Deck, kind: &Name, words: &[Name], args: &[Arg]) {
        let usage = ".vmm XB inputs=file(\"inputs.csv\") [rdrive=<ohm>] [rsense=<ohm>]";
        let Some(xbar) = self.crossbar_arg(kind, words, ".vmm", usage) else {
            return;
        };
        let rows = self.c.crossbars[xbar].rows;
        let (mut inputs, mut rdrive, mut rsense) = (None, 0.0, 0.0);
        for a in args {
            match (a.key.text.as_str(), &a.value) {
                ("inputs", ArgValue::File(p, s)) => {
                    let base = deck
                        .sources
                        .path(s.file)
                        .parent()
                        .map(std::path::Path::to_path_buf)
                        .unwrap_or_default();
                    match super::crossbar::read_rows(&base.join(p), None, rows, false) {
                        Ok((v, 0)) if v.is_empty() => self
                            .errors
                            .push(Diagnostic::new(*s, "the input file has no vectors")),
                        Ok((v, _)) => inputs = Some(v),
                        Err(m) => self.errors.push(Diagnostic::new(*s, m)),
                    }
                }
                ("rdrive" | "rsense", _) => match self.arg_value(a) {
                    Some(x) if x >= 0.0 => {
                        if a.key.text == "rdrive" {
                            rdrive = x
                        } else {
                            rsense = x
                        }
                    }
                    Some(x) => self.errors.push(Diagnostic::new(
                        a.value.span(&a.key),
                        format!("'{}' must be >= 0 ohm, got {x}", a.key.text),
                    )),
                    None => {}
                },
                (k, _) => self.errors.push(
                    Diagnostic::new(a.key.span, format!("unexpected .vmm parameter '{k}'"))
                        .with_hint("parameters: inputs=file(\"v.csv\") rdrive=<ohm> rsense=<ohm>"),
                ),
            }
        }
        match inputs {
            Some(inputs) => self.c.analyses.push(Analysis::Vmm {
                xbar,
                inputs,
                rdrive,
                rsense,
            }),
            None => self.errors.push(Diagnostic::new(
                kind.span,
                ".vmm needs inputs=file(\"<csv: one vector of N voltages per line>\")",
            )),
        }
    }

    /// `.read XB row=<i> col=<j> v=<V> scheme=<v/2|v/3|float|ground> [rdrive=Ω] [rsense=Ω] [gon=S] [goff=S]`
    fn read(&mut self, deck: &Deck, kind: &Name, words: &[Name], args: &[Arg]) {
        use crate::analysis::read::{ReadSpec, Scheme};
        let usage = ".read XB row=<i> col=<j> v=<V> scheme=<v/2|v/3|float|ground> [rdrive=<ohm>] [rsense=<ohm>] [gon=<S>] [goff=<S>]";
        let Some(xbar) = self.crossbar_arg(kind, words, ".read", usage) else {
            return;
        };
        let (rows, cols) = (self.c.crossbars[xbar].rows, self.c.crossbars[xbar].cols);
        let mut spec = ReadSpec {
            xbar,
            row: usize::MAX,
            col: usize::MAX,
            v: f64::NAN,
            scheme: Scheme::Half,
            rdrive: 0.0,
            rsense: 0.0,
            gon: None,
            goff: None,
        };
        let mut have_scheme = false;
        let n0 = self.errors.len();
        for a in args {
            let span = a.value.span(&a.key);
            match a.key.text.as_str() {
                "scheme" => {
                    let text = deck
                        .sources
                        .text(span.file)
                        .get(span.start..span.end)
                        .unwrap_or("")
                        .to_ascii_lowercase();
                    match Scheme::parse(text.trim()) {
                        Some(sc) => {
                            spec.scheme = sc;
                            have_scheme = true;
                        }
                        None => self.errors.push(
                            Diagnostic::new(span, format!("unknown read scheme '{text}'"))
                                .with_hint("schemes: v/2, v/3, float, ground"),
                        ),
                    }
                }
                key @ ("row" | "col") => {
                    let lim = if key == "row" { rows } else { cols };
                    match self.arg_value(a) {
                        Some(x) if x >= 0.0 && x.fract() == 0.0 && (x as usize) < lim => {
                            if key == "row" {
                                spec.row = x as usize
                            } else {
                                spec.col = x as usize
                            }
                        }
                        Some(x) => self.errors.push(Diagnostic::new(
                            span,
                            format!("{key} must be a whole number in 0..{}, got {x}", lim - 1),
                        )),
                        None => {}
                    }
                }
                key @ ("v" | "rdrive" | "rsense" | "gon" | "goff") => match self.arg_value(a) {
                    Some(x) if key == "v" => spec.v = x,
                    Some(x) if x >= 0.0 => match key {
                        "rdrive" => spec.rdrive = x,
                        "rsense" => spec.rsense = x,
                        "gon" => spec.gon = Some(x),
                        _ => spec.goff = Some(x),
                    },
                    Some(x) => self.errors.push(Diagnostic::new(
                        span,
                        format!("'{key}' must be >= 0, got {x}"),
                    )),
                    None => {}
                },
                other => self.errors.push(
                    Diagnostic::new(a.key.span, format!("unexpected .read parameter '{other}'"))
                        .with_hint(usage),
                ),
            }
        }
        for (ok, what) in [
            (spec.row != usize::MAX, "row=<i>"),
            (spec.col != usize::MAX, "col=<j>"),
            (spec.v.is_finite(), "v=<V>"),
            (have_scheme, "scheme=<v/2|v/3|float|ground>"),
        ] {
            if !ok && self.errors.len() == n0 {
                self.errors.push(
                    Diagnostic::new(kind.span, format!(".read needs {what}")).with_hint(usage),
                );
            }
        }
        if self.errors.len() == n0 && self.window_ok(xbar, spec.gon, spec.goff, kind.span) {
            self.c.analyses.push(Analysis::Read(spec));
        }
    }

    /// A worst-case read needs gon > goff (given, or else the model's
    /// window): the other way round its "margin" would be a swapped one.
    fn window_ok(&mut self, xbar: usize, gon: Option<f64>, goff: Option<f64>, at: Span) -> bool {
        let window = self.c.models[self.c.crossbars[xbar].model as usize].g_window;
        let on = gon.or(window.map(|w| w.1));
        let off = goff.or(window.map(|w| w.0));
        match (on, off) {
            (Some(on), Some(off)) if on <= off => {
                self.errors.push(
                    Diagnostic::new(
                        at,
                        format!("gon ({on:.4e} S) must be larger than goff ({off:.4e} S)"),
                    )
                    .with_hint("gon is the ON (high) conductance, goff the OFF (low) one"),
                );
                false
            }
            _ => true,
        }
    }

    /// `.sizing XB sizes=<n1,n2,...> metric=<vmm|read> limit=<%> [v=<V>] [scheme=...] [rdrive=] [rsense=] [g=] [gon=] [goff=]`
    fn sizing(&mut self, deck: &Deck, kind: &Name, words: &[Name], args: &[Arg]) {
        use crate::analysis::read::Scheme;
        use crate::analysis::sizing::{Metric, SizingSpec};
        let usage = ".sizing XB sizes=16,32,64 metric=<vmm|read> limit=<%> [v=<V>] [scheme=v/2] [rdrive=<ohm>] [rsense=<ohm>] [g=<S>] [gon=<S>] [goff=<S>]";
        let Some(xbar) = self.crossbar_arg(kind, words, ".sizing", usage) else {
            return;
        };
        let n0 = self.errors.len();
        let mut spec = SizingSpec {
            xbar,
            sizes: Vec::new(),
            metric: Metric::Vmm,
            limit: f64::NAN,
            v: 0.25,
            scheme: Scheme::Half,
            rdrive: 0.0,
            rsense: 0.0,
            g: None,
            gon: None,
            goff: None,
        };
        let mut have_metric = false;
        for a in args {
            let span = a.value.span(&a.key);
            let raw = deck
                .sources
                .text(span.file)
                .get(span.start..span.end)
                .unwrap_or("")
                .trim()
                .trim_matches('"')
                .to_ascii_lowercase();
            match a.key.text.as_str() {
                "sizes" => {
                    let parsed: Option<Vec<usize>> = raw
                        .split([',', ' '])
                        .filter(|t| !t.is_empty())
                        .map(|t| t.parse::<usize>().ok().filter(|&n| (1..=4096).contains(&n)))
                        .collect();
                    match parsed {
                        Some(v) if !v.is_empty() => spec.sizes = v,
                        _ => self.errors.push(Diagnostic::new(span, format!("sizes must be a comma-separated list of sizes 1..4096, got '{raw}'"))),
                    }
                }
                "metric" => match raw.as_str() {
                    "vmm" => {
                        spec.metric = Metric::Vmm;
                        have_metric = true;
                    }
                    "read" => {
                        spec.metric = Metric::Read;
                        have_metric = true;
                    }
                    _ => self.errors.push(
                        Diagnostic::new(span, format!("unknown metric '{raw}'"))
                            .with_hint("metrics: vmm (error <= limit %), read (margin >= limit %)"),
                    ),
                },
                "scheme" => match Scheme::parse(&raw) {
                    Some(sc) => spec.scheme = sc,
                    None => self.errors.push(
                        Diagnostic::new(span, format!("unknown read scheme '{raw}'"))
                            .with_hint("schemes: v/2, v/3, float, ground"),
                    ),
                },
                key @ ("limit" | "v" | "rdrive" | "rsense" | "g" | "gon" | "goff") => {
                    match self.arg_value(a) {
                        Some(x) if key == "limit" => spec.limit = x,
                        Some(x) if key == "v" => spec.v = x,
                        Some(x) if x >= 0.0 => match key {
                            "rdrive" => spec.rdrive = x,
                            "rsense" => spec.rsense = x,
                            "g" => spec.g = Some(x),
                            "gon" => spec.gon = Some(x),
                            _ => spec.goff = Some(x),
                        },
                        Some(x) => self.errors.push(Diagnostic::new(
                            span,
                            format!("'{key}' must be >= 0, got {x}"),
                        )),
                        None => {}
                    }
                }
                other => self.errors.push(
                    Diagnostic::new(
                        a.key.span,
                        format!("unexpected .sizing parameter '{other}'"),
                    )
                    .with_hint(usage),
                ),
            }
        }
        for (ok, what) in [
            (!spec.sizes.is_empty(), "sizes=<n1,n2,...>"),
            (have_metric, "metric=<vmm|read>"),
            (spec.limit.is_finite(), "limit=<%>"),
        ] {
            if !ok && self.errors.len() == n0 {
                self.errors.push(
                    Diagnostic::new(kind.span, format!(".sizing needs {what}")).with_hint(usage),
                );
            }
        }
        if self.errors.len() == n0 {
            let xb = &self.c.crossbars[xbar];
            let resistive = xb.rrow > 0.0 || xb.rcol > 0.0;
            for &n in &spec.sizes {
                if let Err(d) = super::crossbar::check_size(n, n, resistive, kind.span) {
                    self.errors.push(d);
                    break;
                }
            }
        }
        if self.errors.len() == n0 && self.window_ok(xbar, spec.gon, spec.goff, kind.span) {
            self.c.analyses.push(Analysis::Sizing(spec));
        }
    }

    /// Raw lower-case text of an argument's value (words such as `v/2`).
    fn raw_value(deck: &Deck, a: &Arg) -> String {
        let span = a.value.span(&a.key);
        deck.sources
            .text(span.file)
            .get(span.start..span.end)
            .unwrap_or("")
            .trim()
            .trim_matches('"')
            .to_ascii_lowercase()
    }

    /// A write scheme word (v/2, v/3, float; `ground` too when `read`).
    fn scheme_arg(
        &mut self,
        deck: &Deck,
        a: &Arg,
        read: bool,
    ) -> Option<crate::analysis::read::Scheme> {
        use crate::analysis::read::Scheme;
        let raw = Self::raw_value(deck, a);
        match Scheme::parse(&raw) {
            Some(Scheme::Ground) if !read => {
                self.errors.push(Diagnostic::new(a.value.span(&a.key), "a write scheme must be v/2, v/3 or float").with_hint("ground biases every unselected device at -V or 0: use it for reads (read_scheme=ground)"));
                None
            }
            Some(sc) => Some(sc),
            None => {
                self.errors.push(
                    Diagnostic::new(a.value.span(&a.key), format!("unknown scheme '{raw}'"))
                        .with_hint(if read {
                            "schemes: ground, v/2, v/3, float"
                        } else {
                            "schemes: v/2, v/3, float"
                        }),
                );
                None
            }
        }
    }

    /// A seed: a whole number >= 0 (below 9e15, exact in a double).
    fn seed_arg(&mut self, a: &Arg) -> Option<u64> {
        self.num_arg(
            a,
            |x| x >= 0.0 && x.fract() == 0.0 && x < 9.0e15,
            "a whole number >= 0",
        )
        .map(|x| x as u64)
    }

    /// A switch: 0 or 1.
    fn flag_arg(&mut self, a: &Arg) -> Option<bool> {
        self.num_arg(a, |x| x == 0.0 || x == 1.0, "0 or 1")
            .map(|x| x == 1.0)
    }

    /// A numeric argument checked by `ok` (`what` says the rule).
    fn num_arg(&mut self, a: &Arg, ok: impl Fn(f64) -> bool, what: &str) -> Option<f64> {
        let x = self.arg_value(a)?;
        if ok(x) {
            Some(x)
        } else {
            self.errors.push(Diagnostic::new(
                a.value.span(&a.key),
                format!("'{}' must be {what}, got {x}", a.key.text),
            ));
            None
        }
    }

    /// Checks the crossbar's model has switching dynamics.
    fn needs_dynamics(&mut self, xbar: usize, at: &Name, directive: &str) -> bool {
        let m = &self.c.models[self.c.crossbars[xbar].model as usize];
        if m.dynamics.is_some() {
            return true;
        }
        self.errors.push(
            Diagnostic::new(
                at.span,
                format!(
                    "{directive}: model '{}' of this crossbar has no switching dynamics",
                    m.name
                ),
            )
            .with_hint(
                "add dyn=nili (or vteam, levels, quantized) and gmin/gmax to its .model card",
            ),
        );
        false
    }

    /// `.program XB target=file("t.csv") [algorithm=wv|ispp|ff] [scheme=v/2|v/3|float] [tol=] [cycles=] [seed=] ...`
    fn program(&mut self, deck: &Deck, kind: &Name, words: &[Name], args: &[Arg]) {
        use crate::analysis::program::{Algorithm, ProgramSpec};
        let usage = ".program XB target=file(\"t.csv\") [algorithm=wv|ispp|ff] [scheme=v/2|v/3|float] [tol=0.05] [aim=0.5] [cycles=3] [seed=1] [vread=0.25] [read_scheme=ground] [tp=1m] [vstart_set=0.8] [vstart_reset=0.8] [vstep_set=4m] [vstep_reset=8m] [vstep_coarse=50m] [vmax=2.5] [backoff=50m] [maxpulses=1000] [rdrive=1] [rsense=1] [disturb=1] [log=0]";
        let Some(xbar) = self.crossbar_arg(kind, words, ".program", usage) else {
            return;
        };
        if !self.needs_dynamics(xbar, &words[0], ".program") {
            return;
        }
        let (rows, cols) = (self.c.crossbars[xbar].rows, self.c.crossbars[xbar].cols);
        let n0 = self.errors.len();
        let mut spec = ProgramSpec::new(xbar, Vec::new());
        let pos = |x: f64| x > 0.0 && x.is_finite();
        let nonneg = |x: f64| x >= 0.0 && x.is_finite();
        let whole = |x: f64| x >= 1.0 && x.fract() == 0.0 && x <= 1e9;
        for a in args {
            let key = a.key.text.as_str();
            match (key, &a.value) {
                ("target", ArgValue::File(p, sp)) => {
                    let base = deck
                        .sources
                        .path(sp.file)
                        .parent()
                        .map(std::path::Path::to_path_buf)
                        .unwrap_or_default();
                    match super::crossbar::read_matrix(&base.join(p), rows, cols) {
                        Ok(t) => match t.iter().position(|g| !(*g > 0.0 && g.is_finite())) {
                            None => spec.target = t,
                            Some(k) => self.errors.push(Diagnostic::new(
                                *sp,
                                format!(
                                    "target ({}, {}) must be a conductance > 0 S, got {}",
                                    k / cols,
                                    k % cols,
                                    t[k]
                                ),
                            )),
                        },
                        Err(m) => self.errors.push(Diagnostic::new(*sp, m)),
                    }
                }
                ("target", _) => {
                    if let Some(g) = self.num_arg(a, pos, "> 0 S (or file(\"t.csv\"))") {
                        spec.target = vec![g; rows * cols];
                    }
                }
                ("algorithm", _) => {
                    let raw = Self::raw_value(deck, a);
                    match Algorithm::parse(&raw) {
                        Some(al) => spec.algorithm = al,
                        None => self.errors.push(
                            Diagnostic::new(
                                a.value.span(&a.key),
                                format!("unknown algorithm '{raw}'"),
                            )
                            .with_hint("algorithms: wv (write-verify), ispp, ff (feed-forward)"),
                        ),
                    }
                }
                ("scheme", _) => {
                    if let Some(sc) = self.scheme_arg(deck, a, false) {
                        spec.scheme = sc;
                    }
                }
                ("read_scheme", _) => {
                    if let Some(sc) = self.scheme_arg(deck, a, true) {
                        spec.read_scheme = sc;
                    }
                }
                ("tol", _) => {
                    if let Some(x) =
                        self.num_arg(a, |x| x > 0.0 && x < 1.0, "a fraction in (0, 1), e.g. 0.05")
                    {
                        spec.tol = x
                    }
                }
                ("aim", _) => {
                    if let Some(x) =
                        self.num_arg(a, |x| x > 0.0 && x <= 1.0, "a fraction of tol in (0, 1]")
                    {
                        spec.aim = x
                    }
                }
                ("cycles", _) => {
                    if let Some(x) =
                        self.num_arg(a, |x| whole(x) && x <= 1e4, "a whole number in 1..10000")
                    {
                        spec.cycles = x as usize
                    }
                }
                ("maxpulses", _) => {
                    if let Some(x) =
                        self.num_arg(a, |x| whole(x) && x <= 1e5, "a whole number in 1..100000")
                    {
                        spec.max_pulses = x as usize
                    }
                }
                ("seed", _) => {
                    if let Some(x) = self.seed_arg(a) {
                        spec.seed = x
                    }
                }
                ("disturb", _) => {
                    if let Some(x) = self.flag_arg(a) {
                        spec.disturb = x
                    }
                }
                ("log", _) => {
                    if let Some(x) = self.flag_arg(a) {
                        spec.log = x
                    }
                }
                (
                    "vread" | "tp" | "vmax" | "rdrive" | "rsense" | "vstep_set" | "vstep_reset",
                    _,
                ) => {
                    let volts = matches!(key, "vread" | "vmax" | "vstep_set" | "vstep_reset");
                    let ok = |x: f64| pos(x) && (!volts || x <= 100.0);
                    let rule = if volts { "in (0, 100] V" } else { "> 0" };
                    if let Some(x) = self.num_arg(a, ok, rule) {
                        match key {
                            "vread" => spec.vread = x,
                            "tp" => spec.tp = x,
                            "vmax" => spec.vmax = x,
                            "rdrive" => spec.rdrive = x,
                            "rsense" => spec.rsense = x,
                            "vstep_set" => spec.vstep_set = x,
                            _ => spec.vstep_reset = x,
                        }
                    }
                }
                ("vstart_set" | "vstart_reset" | "backoff" | "vstep_coarse", _) => {
                    if let Some(x) = self.num_arg(a, nonneg, ">= 0 (a magnitude in V)") {
                        match key {
                            "vstart_set" => spec.vstart_set = x,
                            "vstart_reset" => spec.vstart_reset = x,
                            "vstep_coarse" => spec.vstep_coarse = x,
                            _ => spec.backoff = x,
                        }
                    }
                }
                (other, _) => self.errors.push(
                    Diagnostic::new(
                        a.key.span,
                        format!("unexpected .program parameter '{other}'"),
                    )
                    .with_hint(usage),
                ),
            }
        }
        if spec.target.is_empty() && self.errors.len() == n0 {
            self.errors.push(
                Diagnostic::new(
                    kind.span,
                    ".program needs target=file(\"<csv of rows x cols target conductances in S>\")",
                )
                .with_hint(usage),
            );
        }
        if spec.vstart_set > spec.vmax || spec.vstart_reset > spec.vmax {
            self.errors.push(Diagnostic::new(
                kind.span,
                format!(
                    "vstart_set/vstart_reset must not exceed vmax = {} V",
                    spec.vmax
                ),
            ));
        }
        if self.errors.len() == n0 {
            self.c.analyses.push(Analysis::Program(Box::new(spec)));
        }
    }

    /// `.thresholds XB [g_start=14u] [start_tol=0.1] [g_stop=50u] [change=0.2] [vstart=0.2] [vstep=50m] [vmax=2.5] ...`
    fn thresholds(&mut self, deck: &Deck, kind: &Name, words: &[Name], args: &[Arg]) {
        use crate::analysis::program::thresholds::ThresholdSpec;
        let usage = ".thresholds XB [g_start=14u] [start_tol=0.1] [g_stop=50u] [change=0.2] [vstart=0.2] [vstep=50m] [vmax=2.5] [tp=1m] [scheme=v/2|v/3|float] [read_scheme=ground] [vread=0.25] [seed=1] [rdrive=1] [rsense=1] [disturb=1]";
        let Some(xbar) = self.crossbar_arg(kind, words, ".thresholds", usage) else {
            return;
        };
        if !self.needs_dynamics(xbar, &words[0], ".thresholds") {
            return;
        }
        let n0 = self.errors.len();
        let mut spec = ThresholdSpec::new(xbar);
        let pos = |x: f64| x > 0.0 && x.is_finite();
        let volts = |x: f64| x > 0.0 && x <= 100.0;
        let frac = |x: f64| x > 0.0 && x < 1.0;
        for a in args {
            let key = a.key.text.as_str();
            match key {
                "scheme" => {
                    if let Some(sc) = self.scheme_arg(deck, a, false) {
                        spec.scheme = sc;
                    }
                }
                "read_scheme" => {
                    if let Some(sc) = self.scheme_arg(deck, a, true) {
                        spec.read_scheme = sc;
                    }
                }
                "seed" => {
                    if let Some(x) = self.seed_arg(a) {
                        spec.seed = x
                    }
                }
                "disturb" => {
                    if let Some(x) = self.flag_arg(a) {
                        spec.disturb = x
                    }
                }
                "start_tol" | "change" => {
                    if let Some(x) = self.num_arg(a, frac, "a fraction in (0, 1)") {
                        if key == "change" {
                            spec.change = x
                        } else {
                            spec.start_tol = x
                        }
                    }
                }
                "vstart" | "vstep" | "vmax" | "vread" => {
                    if let Some(x) = self.num_arg(a, volts, "in (0, 100] V") {
                        match key {
                            "vstart" => spec.vstart = x,
                            "vstep" => spec.vstep = x,
                            "vmax" => spec.vmax = x,
                            _ => spec.vread = x,
                        }
                    }
                }
                "g_start" | "g_stop" | "tp" | "rdrive" | "rsense" => {
                    if let Some(x) = self.num_arg(a, pos, "> 0") {
                        match key {
                            "g_start" => spec.g_start = x,
                            "g_stop" => spec.g_stop = x,
                            "tp" => spec.tp = x,
                            "rdrive" => spec.rdrive = x,
                            _ => spec.rsense = x,
                        }
                    }
                }
                other => self.errors.push(
                    Diagnostic::new(
                        a.key.span,
                        format!("unexpected .thresholds parameter '{other}'"),
                    )
                    .with_hint(usage),
                ),
            }
        }
        if self.errors.len() > n0 {
            return;
        }
        for (bad, what) in [
            (
                spec.g_stop <= spec.g_start,
                format!(
                    "g_stop = {} S must exceed g_start = {} S",
                    spec.g_stop, spec.g_start
                ),
            ),
            (
                spec.vstart > spec.vmax,
                format!(
                    "vstart = {} V must not exceed vmax = {} V",
                    spec.vstart, spec.vmax
                ),
            ),
            (
                // Every step of a ramp is a pulse and a read on every device.
                (spec.vmax - spec.vstart) / spec.vstep > MAX_RAMP_STEPS,
                format!(
                    "a ramp from {} V to {} V in steps of {} V takes more than {MAX_RAMP_STEPS} pulses",
                    spec.vstart, spec.vmax, spec.vstep
                ),
            ),
        ] {
            if bad {
                self.errors
                    .push(Diagnostic::new(kind.span, what).with_hint(usage));
                return;
            }
        }
        self.c.analyses.push(Analysis::Thresholds(Box::new(spec)));
    }

    /// `.pulse XB row=<i> col=<j> v=<V> [count=1] [tp=1m] [scheme=v/2] [read=0]`;
    /// the first card of a run of consecutive `.pulse` cards on one crossbar may
    /// also set `seed= rdrive= rsense= vread= read_scheme= disturb=`.
    fn pulse(&mut self, deck: &Deck, kind: &Name, words: &[Name], args: &[Arg]) {
        use crate::analysis::program::{PulseSeq, PulseStep};
        let usage = ".pulse XB row=<i> col=<j> v=<V> [count=1] [tp=1m] [scheme=v/2|v/3|float] [read=0|1] [seed=1] [rdrive=1] [rsense=1] [vread=0.25] [read_scheme=ground] [disturb=1]";
        let Some(xbar) = self.crossbar_arg(kind, words, ".pulse", usage) else {
            return;
        };
        if !self.needs_dynamics(xbar, &words[0], ".pulse") {
            return;
        }
        let (rows, cols) = (self.c.crossbars[xbar].rows, self.c.crossbars[xbar].cols);
        let n0 = self.errors.len();
        let mut step = PulseStep {
            row: usize::MAX,
            col: usize::MAX,
            v: f64::NAN,
            count: 1,
            tp: 1e-3,
            scheme: crate::analysis::read::Scheme::Half,
            read: false,
        };
        let mut seq = PulseSeq::new(xbar);
        let mut seq_keys = false;
        for a in args {
            let key = a.key.text.as_str();
            match key {
                "row" | "col" => {
                    let lim = if key == "row" { rows } else { cols };
                    if let Some(x) = self.num_arg(
                        a,
                        |x| x >= 0.0 && x.fract() == 0.0 && (x as usize) < lim,
                        &format!("a whole number in 0..{}", lim - 1),
                    ) {
                        if key == "row" {
                            step.row = x as usize
                        } else {
                            step.col = x as usize
                        }
                    }
                }
                "v" => {
                    if let Some(x) = self.num_arg(
                        a,
                        |x| x.is_finite() && x.abs() <= 100.0,
                        "a voltage within +-100 V",
                    ) {
                        step.v = x
                    }
                }
                "count" => {
                    if let Some(x) = self.num_arg(
                        a,
                        |x| x >= 1.0 && x.fract() == 0.0 && x <= 1e6,
                        "a whole number in 1..1e6",
                    ) {
                        step.count = x as usize
                    }
                }
                "tp" => {
                    if let Some(x) = self.num_arg(a, |x| x > 0.0 && x.is_finite(), "> 0 s") {
                        step.tp = x
                    }
                }
                "read" => {
                    if let Some(x) = self.flag_arg(a) {
                        step.read = x
                    }
                }
                "scheme" => {
                    if let Some(sc) = self.scheme_arg(deck, a, false) {
                        step.scheme = sc
                    }
                }
                "read_scheme" => {
                    seq_keys = true;
                    if let Some(sc) = self.scheme_arg(deck, a, true) {
                        seq.read_scheme = sc
                    }
                }
                "seed" => {
                    seq_keys = true;
                    if let Some(x) = self.seed_arg(a) {
                        seq.seed = x
                    }
                }
                "disturb" => {
                    seq_keys = true;
                    if let Some(x) = self.flag_arg(a) {
                        seq.disturb = x
                    }
                }
                "rdrive" | "rsense" | "vread" => {
                    seq_keys = true;
                    if let Some(x) = self.num_arg(a, |x| x > 0.0 && x.is_finite(), "> 0") {
                        match key {
                            "rdrive" => seq.rdrive = x,
                            "rsense" => seq.rsense = x,
                            _ => seq.vread = x,
                        }
                    }
                }
                other => self.errors.push(
                    Diagnostic::new(a.key.span, format!("unexpected .pulse parameter '{other}'"))
                        .with_hint(usage),
                ),
            }
        }
        for (ok, what) in [
            (step.row != usize::MAX, "row=<i>"),
            (step.col != usize::MAX, "col=<j>"),
            (step.v.is_finite(), "v=<V>"),
        ] {
            if !ok && self.errors.len() == n0 {
                self.errors.push(
                    Diagnostic::new(kind.span, format!(".pulse needs {what}")).with_hint(usage),
                );
            }
        }
        if self.errors.len() > n0 {
            return;
        }
        if let Some(Analysis::Pulses(prev)) = self.c.analyses.last_mut() {
            if prev.xbar == xbar {
                if seq_keys {
                    self.errors.push(Diagnostic::new(kind.span, "seed, rdrive, rsense, vread, read_scheme and disturb belong on the first .pulse card of a sequence"));
                    return;
                }
                prev.steps.push(step);
                return;
            }
        }
        seq.steps.push(step);
        self.c.analyses.push(Analysis::Pulses(seq));
    }

    /// One analysis (or unknown directive) card.
    /// One analysis card; refuses a second card whose results would
    /// overwrite an earlier one's files.
    fn analysis(&mut self, deck: &Deck, card: &Card, outputs: &mut HashMap<String, Span>) {
        let before = self.c.analyses.len();
        self.analysis_card(deck, card);
        let span = match card {
            Card::Directive { kind, .. } => kind.span,
            Card::Dc { span, .. } | Card::Op(span) => *span,
            _ => return,
        };
        if self.c.analyses.len() == before + 1 {
            let key = match &self.c.analyses[before] {
                Analysis::Op => "op (op.csv)".to_string(),
                Analysis::Dc { .. } => "dc (dc.csv)".to_string(),
                Analysis::Vmm { .. } => "vmm (vmm.csv)".to_string(),
                Analysis::Read(_) => "read (read.csv)".to_string(),
                Analysis::Sizing(_) => "sizing (sizing.csv)".to_string(),
                Analysis::Program(_) => "program (program.json)".to_string(),
                Analysis::Thresholds(_) => "thresholds (thresholds.json)".to_string(),
                Analysis::Pulses(seq) => {
                    format!(
                        "{0}_pulses ({0}_pulses.csv)",
                        self.c.crossbars[seq.xbar].name
                    )
                }
                Analysis::Perceptron(spec) => format!("{0} ({0}.json)", spec.out),
            };
            // `.perceptron out=program` writes program.json too: one namespace.
            let stem = key.split(' ').next().unwrap_or("").to_string();
            if let Some(&first) = outputs.get(&stem) {
                self.c.analyses.pop();
                self.errors.push(
                    Diagnostic::new(
                        span,
                        format!(
                            "this card's results would overwrite those of an earlier card: {key}"
                        ),
                    )
                    .with_note(first, "the earlier card")
                    .with_hint(
                        "run it from a second netlist (a .perceptron card takes out=<name>)",
                    ),
                );
            } else {
                outputs.insert(stem, span);
            }
        }
    }

    fn analysis_card(&mut self, deck: &Deck, card: &Card) {
        let e = self;
        match card {
            Card::Directive { kind, words, args } if kind.text == "perceptron" => {
                e.perceptron(deck, kind, words, args)
            }
            Card::Directive { kind, words, args } if kind.text == "vmm" => {
                e.vmm(deck, kind, words, args)
            }
            Card::Directive { kind, words, args } if kind.text == "read" => {
                e.read(deck, kind, words, args)
            }
            Card::Directive { kind, words, args } if kind.text == "sizing" => {
                e.sizing(deck, kind, words, args)
            }
            Card::Directive { kind, words, args } if kind.text == "program" => {
                e.program(deck, kind, words, args)
            }
            Card::Directive { kind, words, args } if kind.text == "pulse" => {
                e.pulse(deck, kind, words, args)
            }
            Card::Directive { kind, words, args } if kind.text == "thresholds" => {
                e.thresholds(deck, kind, words, args)
            }
            Card::Op(_) if !e.c.analyses.iter().any(|a| matches!(a, Analysis::Op)) => {
                e.c.analyses.push(Analysis::Op)
            }
            Card::Dc {
                source,
                start,
                stop,
                step,
                ..
            } => {
                let src =
                    e.c.vsources
                        .iter()
                        .position(|v| v.name == source.text)
                        .map(SweptSource::V)
                        .or_else(|| {
                            e.c.isources
                                .iter()
                                .position(|v| v.name == source.text)
                                .map(SweptSource::I)
                        });
                let Some(src) = src else {
                    e.errors.push(
                        Diagnostic::new(
                            source.span,
                            format!("no independent source named '{}' to sweep", source.text),
                        )
                        .with_hint(".dc sweeps a V or I source"),
                    );
                    return;
                };
                let (Some(a), Some(b), Some(s)) = (e.value(start), e.value(stop), e.value(step))
                else {
                    return;
                };
                if s == 0.0 || !s.is_finite() || ((b - a) / s) < -1e-9 || ((b - a) / s) > 1e6 {
                    e.errors.push(Diagnostic::new(
                        step.span,
                        format!("step {s} does not go from {a} to {b} in at most 1e6 points"),
                    ));
                    return;
                }
                // The table is kept whole until it is written: points × quantities.
                let points = ((b - a) / s).floor().max(0.0) + 1.0;
                let columns = (e.c.nodes.len() + e.c.vsources.len() + 1) as f64;
                if let Err(m) = super::budget::check(
                    &format!("a .dc table of {points} points x {columns} quantities"),
                    points * columns * 8.0 * 2.0,
                ) {
                    e.errors.push(Diagnostic::new(step.span, m).with_hint(super::budget::HINT));
                    return;
                }
                e.c.analyses.push(Analysis::Dc {
                    source: src,
                    start: a,
                    stop: b,
                    step: s,
                });
            }
            Card::Directive { kind, .. } => e.errors.push(
                Diagnostic::new(kind.span, format!("unknown directive '.{}'", kind.text))
                    .with_hint(
                    "directives: .param .include .model .options .temp .op .dc .crossbar .vmm .read .sizing .program .pulse .thresholds .perceptron .end",
                ),
            ),
            _ => {}
        }
    }

    /// A card's numeric value (see [`Params::eval_value`]); errors are kept.
    fn value(&mut self, v: &Value) -> Option<f64> {
        match self.params.eval_value(v) {
            Ok(x) => Some(x),
            Err(d) => {
                self.errors.push(d);
                None
            }
        }
    }

    fn arg_value(&mut self, a: &Arg) -> Option<f64> {
        match &a.value {
            ArgValue::Value(v) if RESISTANCE_KEYS.contains(&a.key.text.as_str()) => {
                // 0 means none (an ideal connection); anything else must be a
                // resistance the equations can carry.
                let x = self.value(v)?;
                if x > 0.0 && !resistance_ok(x) {
                    self.errors.push(Diagnostic::new(
                        v.span,
                        format!(
                            "'{}' must be 0 or {MIN_OHMS:e}..{MAX_OHMS:e} ohm, got {}",
                            a.key.text,
                            show(x)
                        ),
                    ));
                    return None;
                }
                Some(x)
            }
            ArgValue::Value(v) => self.value(v),
            other => {
                let mut d = Diagnostic::new(
                    other.span(&a.key),
                    format!("'{}' needs a numeric value", a.key.text),
                );
                // `levels=14u,30u`: the comma ended the value and `30u` reads
                // as a parameter name of its own.
                if crate::netlist::units::parse_number(&a.key.text).is_some() {
                    d = d.with_hint("a list of values goes in quotes, e.g. levels=\"14u,30u,60u\"");
                }
                self.errors.push(d);
                None
            }
        }
    }

    fn two_nodes(&mut self, n: &[Name; 2]) -> (NodeId, NodeId) {
        (
            self.c.nodes.intern(&n[0].text),
            self.c.nodes.intern(&n[1].text),
        )
    }

    fn options(&mut self, args: &[Arg]) {
        for a in args {
            let key = a.key.text.as_str();
            if key == "solver" {
                use crate::solve::SolverChoice;
                let word = match &a.value {
                    ArgValue::Value(Value {
                        expr: Expr::Param(w, _),
                        ..
                    }) => w.as_str(),
                    _ => "",
                };
                match word {
                    "auto" => self.c.options.solver = SolverChoice::Auto,
                    "direct" => self.c.options.solver = SolverChoice::Direct,
                    "iterative" => self.c.options.solver = SolverChoice::Iterative,
                    _ => self.errors.push(
                        Diagnostic::new(a.value.span(&a.key), "solver must be auto, direct or iterative")
                            .with_hint("auto: conjugate gradients for large symmetric systems, sparse Cholesky/LU otherwise"),
                    ),
                }
                continue;
            }
            let known = matches!(key, "reltol" | "abstol" | "vntol" | "gmin" | "itl1");
            if !known {
                // Other simulators' options (klu, method=gear, ...) are accepted and ignored.
                continue;
            }
            let Some(v) = self.arg_value(a) else { continue };
            let bad = |e: &mut Self, why: &str| {
                e.errors.push(Diagnostic::new(
                    a.value.span(&a.key),
                    format!("option {key}={v}: {why}"),
                ))
            };
            let o = &mut self.c.options;
            // Ranges beyond which a "converged" result would break KCL by
            // more than a user could mean to allow, or Newton never ends.
            match key {
                "reltol" if v > 0.0 && v <= 0.1 => o.reltol = v,
                "abstol" if v > 0.0 && v <= 1e-3 => o.abstol = v,
                "vntol" if v > 0.0 && v <= 1e-1 => o.vntol = v,
                "gmin" if (0.0..=1e-3).contains(&v) => o.gmin = v,
                "itl1" if (1.0..=MAX_ITL1).contains(&v) && v.fract() == 0.0 => o.itl1 = v as usize,
                "reltol" => bad(self, "must be in (0, 0.1]"),
                "abstol" => bad(self, "must be in (0, 1e-3] A"),
                "vntol" => bad(self, "must be in (0, 0.1] V"),
                "gmin" => bad(self, "must be in [0, 1e-3] S"),
                _ => bad(self, "must be a whole number 1..10000"),
            }
        }
    }

    fn model(&mut self, name: &Name, kind: &Name, args: &[Arg]) -> Option<MemristorModel> {
        if kind.text != "memristor" {
            self.errors.push(
                Diagnostic::new(kind.span, format!("unknown model type '{}'", kind.text))
                    .with_hint("xbarsim models: memristor"),
            );
            return None;
        }
        let mut level: Option<(String, crate::netlist::Span)> = None;
        let mut nums: Vec<(&Arg, f64)> = Vec::new();
        let mut words: Vec<(&Arg, String)> = Vec::new();
        for a in args {
            if matches!(
                a.key.text.as_str(),
                "dyn" | "stuck_state" | "levels" | "level_sd"
            ) {
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
                            "level must be one of linear, sinh, cubic",
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
                    Diagnostic::new(s, format!("unknown memristor level '{other}'"))
                        .with_hint("levels: linear, sinh, cubic"),
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
                    .with_hint("dyn=nili, vteam, levels or quantized"),
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
                IvLaw::cubic(t)
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

    /// The `dyn=` part of a memristor model card (see
    /// [`crate::devices::memristor::dynamics`]).
    fn dynamics(
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
                let list = |k: &str| -> Option<Result<Vec<f64>, String>> {
                    let w = word(k)?;
                    Some(
                        w.split([',', ' '])
                            .filter(|t| !t.is_empty())
                            .map(|t| {
                                crate::netlist::units::parse_number(t)
                                    .ok_or_else(|| format!("'{t}' in {k}= is not a number"))
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
                    Some(Err(m)) => {
                        self.errors.push(Diagnostic::new(span, m));
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
                    Some(Err(m)) => {
                        self.errors.push(Diagnostic::new(span, m));
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

    fn bsource(&mut self, name: &Name, nodes: &[Name; 2], expr: &Expr, span: Span) {
        // Fold parameters and constant parts into numbers; a constant part
        // that is not finite (`1/0`) is an input error here, not a solve
        // that cannot converge later.
        let expr = match self.params.fold(expr, span) {
            Ok(f) => f,
            Err(d) => {
                self.errors.push(d);
                return;
            }
        };
        let expr = &expr;
        let (a, b) = self.two_nodes(nodes);
        // Probes, deduplicated.
        let mut probes: Vec<(NodeId, NodeId)> = Vec::new();
        let mut ops = Vec::new();
        let mut depth = 0usize;
        let mut cur = 0usize;
        compile(
            expr,
            &mut self.c.nodes,
            &mut probes,
            &mut ops,
            &mut cur,
            &mut depth,
        );
        if probes.len() > u16::MAX as usize {
            self.errors.push(Diagnostic::new(
                span,
                format!(
                    "more than {} different V(...) probes in one expression",
                    u16::MAX
                ),
            ));
            return;
        }
        let prog = Program { ops, depth };
        // Self-controlled: every probe is ±(V(a) − V(b)).
        let signs: Option<Vec<f64>> = probes
            .iter()
            .map(|&(p, q)| {
                if (p, q) == (a, b) {
                    Some(1.0)
                } else if (p, q) == (b, a) {
                    Some(-1.0)
                } else {
                    None
                }
            })
            .collect();
        match signs {
            Some(signs) if a != b => self.c.branches.push(ExprBranch {
                name: name.text.clone().into_boxed_str(),
                a,
                b,
                law: BranchLaw::from_program(prog, signs),
            }),
            _ => self.c.controlled.push(Controlled {
                name: name.text.clone(),
                a,
                b,
                prog,
                probes,
            }),
        }
    }
}

/// Compile a folded expression to stack code; probes are interned in `probes`.
fn compile(
    e: &Expr,
    nodes: &mut Nodes,
    probes: &mut Vec<(NodeId, NodeId)>,
    ops: &mut Vec<Op>,
    cur: &mut usize,
    depth: &mut usize,
) {
    use crate::netlist::expr::Expr as E;
    let push = |ops: &mut Vec<Op>, op: Op, cur: &mut usize, depth: &mut usize, delta: isize| {
        ops.push(op);
        *cur = (*cur as isize + delta) as usize;
        *depth = (*depth).max(*cur);
    };
    match e {
        E::Num(v) => push(ops, Op::Const(*v), cur, depth, 1),
        E::Param(..) => push(ops, Op::Const(f64::NAN), cur, depth, 1), // folded away before compile
        E::Volt(p, q, _) => {
            let p = nodes.intern(p);
            let q = q
                .as_deref()
                .map(|q| nodes.intern(q))
                .unwrap_or(NodeId::GROUND);
            let k = match probes.iter().position(|&x| x == (p, q)) {
                Some(k) => k,
                None => {
                    probes.push((p, q));
                    probes.len() - 1
                }
            };
            push(ops, Op::Probe(k as u16), cur, depth, 1)
        }
        E::Neg(a) => {
            compile(a, nodes, probes, ops, cur, depth);
            push(ops, Op::Neg, cur, depth, 0)
        }
        E::Bin(op, a, b) => {
            compile(a, nodes, probes, ops, cur, depth);
            compile(b, nodes, probes, ops, cur, depth);
            push(ops, Op::Bin(*op), cur, depth, -1)
        }
        E::Call(f, args, _) => {
            for a in args {
                compile(a, nodes, probes, ops, cur, depth);
            }
            if args.len() == 2 {
                push(ops, Op::Call2(*f), cur, depth, -1)
            } else {
                push(ops, Op::Call1(*f), cur, depth, 0)
            }
        }
    }
}
