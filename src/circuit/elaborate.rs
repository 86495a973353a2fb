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
    for card in &directives {
        e.analysis(deck, card);
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
                if r.is_nan() || r <= 0.0 || r.is_infinite() {
                    e.errors.push(
                        Diagnostic::new(
                            value.span,
                            format!("resistance must be positive and finite, got {r}"),
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
                name, nodes, expr, ..
            } => e.bsource(&name, &nodes, &expr),
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
        match card::spec(deck, kind, xbar, &self.c, args, |v| params.eval(&v.expr)) {
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
        let params = &mut self.params;
        let sp = match super::crossbar::spec(name.span, args, |v| params.eval(&v.expr)) {
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
        if self.errors.len() == n0 {
            self.c.analyses.push(Analysis::Read(spec));
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
            self.c.analyses.push(Analysis::Sizing(spec));
        }
    }

    /// One analysis (or unknown directive) card.
    fn analysis(&mut self, deck: &Deck, card: &Card) {
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
                if s == 0.0 || !s.is_finite() || ((b - a) / s) < -1e-9 || ((b - a) / s) > 1e7 {
                    e.errors.push(Diagnostic::new(
                        step.span,
                        format!("step {s} does not go from {a} to {b} in at most 1e7 points"),
                    ));
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
                    "directives: .param .include .model .options .temp .op .dc .crossbar .vmm .read .sizing .perceptron .end",
                ),
            ),
            _ => {}
        }
    }

    fn value(&mut self, v: &Value) -> Option<f64> {
        match self.params.eval(&v.expr) {
            Ok(x) if x.is_finite() => Some(x),
            Ok(x) => {
                self.errors.push(Diagnostic::new(
                    v.span,
                    format!("value is not a finite number ({x})"),
                ));
                None
            }
            Err(d) => {
                self.errors.push(d);
                None
            }
        }
    }

    fn arg_value(&mut self, a: &Arg) -> Option<f64> {
        match &a.value {
            ArgValue::Value(v) => self.value(v),
            other => {
                self.errors.push(Diagnostic::new(
                    other.span(&a.key),
                    format!("'{}' needs a numeric value", a.key.text),
                ));
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
            match key {
                "reltol" if v > 0.0 && v < 1.0 => o.reltol = v,
                "abstol" if v > 0.0 => o.abstol = v,
                "vntol" if v > 0.0 => o.vntol = v,
                "gmin" if v >= 0.0 => o.gmin = v,
                "itl1" if v >= 1.0 => o.itl1 = v as usize,
                "reltol" => bad(self, "must be in (0, 1)"),
                "itl1" => bad(self, "must be at least 1"),
                _ => bad(self, "must be positive"),
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
        for a in args {
            if a.key.text == "level" {
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
        for (a, _) in &nums {
            if !allowed.contains(&a.key.text.as_str()) {
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
            Some("cubic") => IvLaw::cubic(get("temp").unwrap_or(self.c.temp)),
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
        Some(MemristorModel {
            name: name.text.clone(),
            law,
            g_default: get("g"),
            g_window,
        })
    }

    fn bsource(&mut self, name: &Name, nodes: &[Name; 2], expr: &Expr) {
        // Fold parameters into constants (only if there are any: most
        // generated netlists have plain numbers).
        let folded;
        let expr = if expr.has_param() {
            folded = match self.params.fold(expr) {
                Ok(f) => f,
                Err(d) => {
                    self.errors.push(d);
                    return;
                }
            };
            &folded
        } else {
            expr
        };
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
