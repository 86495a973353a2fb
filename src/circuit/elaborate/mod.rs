//! From a parsed [`Deck`] to a [`Circuit`]: directives first (`.param`,
//! `.model`, `.options`, `.temp`, `.crossbar`), then every element card.
//! Analysis cards are left to the layers above ([`Elaborated::cards`]);
//! [`Elaborated::finish`] validates the result once they are read.
//!
//! - `elements.rs`: element cards and `.crossbar` blocks;
//! - `models.rs`: `.model` cards (I–V law, switching dynamics);
//! - `bsource.rs`: B-source expressions compiled to stack programs, F/H
//!   controls and `I(name)` reads resolved;
//! - `holds.rs`: state nodes with no DC path held at their initial condition;
//! - `options.rs`: the `.options` card;
//! - `subckt.rs`: `.subckt` definitions, `X` instances, `.func` expansion;
//! - `xyce.rs`: Xyce's memristor levels (model cards and instance parameters);
//! - `xspice.rs`: ngspice's XSPICE memristor code model (`A` elements).

mod bsource;
mod diode;
mod elements;
mod holds;
mod models;
mod options;
mod subckt;
mod switch;
mod xspice;
mod xyce;

use super::args::{resistance_ok, show, ArgReader, TimeInValue, MAX_OHMS, MIN_OHMS};
use super::params::Params;
use super::validate;
use super::*;
use crate::devices::bsource::{Op, Program};
use crate::devices::memristor::{IvLaw, MemristorModel};
use crate::netlist::expr::Expr;
use crate::netlist::parser::Parsed;
use crate::netlist::{Arg, ArgValue, Card, Deck, Diagnostic, Diagnostics, Name, Value};
use std::collections::HashMap;

/// Elaborate a deck; every error found is kept in [`Elaborated::errors`].
///
/// Pass 1 parses the directive cards (`.param`, `.model`, `.options`, `.temp`,
/// `.crossbar`; analysis cards are kept for later); pass 2 parses each element card and turns it into its
/// struct-of-arrays entry at once, so no full syntax tree of a large netlist is
/// ever held.
pub fn elaborate(deck: &Deck) -> Elaborated {
    elaborate_with(deck, &[], None)
}

/// [`elaborate`] at one point of a `.step` study: each `(name, value)`
/// sets a `.param` (replacing the netlist's definition wherever the name is
/// used: element values, crossbar and model cards, analysis arguments), or,
/// when no `.param` has that name, the value of the independent source so
/// named, or the temperature (`temp`). Other names are ignored here; the
/// study checks its names when it reads its cards. `sample`: the seed of a
/// Monte Carlo sample (`.mc`), from which `agauss` and the other draws come.
pub fn elaborate_with(deck: &Deck, overrides: &[(String, f64)], sample: Option<u64>) -> Elaborated {
    let mut e = Elab {
        params: Params::default(),
        errors: Vec::new(),
        c: Circuit::default(),
        diodes: HashMap::new(),
        switches: HashMap::new(),
        xspice: HashMap::new(),
        controls: Vec::new(),
        current_reads: Vec::new(),
        ics: Vec::new(),
        node_ics: Vec::new(),
    };
    e.c.title = deck.title.clone();
    e.c.temp = 27.0;

    // Pass 1: directives, and the bodies of subcircuit definitions.
    let mut directives: Vec<Card> = Vec::new();
    let mut elements: Vec<usize> = Vec::with_capacity(deck.cards.len());
    let mut count = [0usize; 4]; // R, B, Y, other
    let mut open: Vec<(Card, Vec<usize>)> = Vec::new();
    let mut defs: HashMap<String, subckt::SubDef> = HashMap::new();
    let mut def_cards: Vec<(Card, Vec<usize>)> = Vec::new();
    let word_of = |k: usize| {
        let text = deck.card_text(k).trim_start();
        let first = text.as_bytes().first().map(u8::to_ascii_lowercase);
        let word = if first == Some(b'.') {
            text.split(|c: char| c.is_whitespace())
                .next()
                .unwrap_or("")
                .to_ascii_lowercase()
        } else {
            String::new()
        };
        (first, word)
    };
    // A .subckt that no .ends closes is reported and does not open a body:
    // the cards after it stay top-level cards (and report their own errors).
    let mut unclosed: Vec<usize> = Vec::new();
    for k in 0..deck.cards.len() {
        match word_of(k).1.as_str() {
            ".subckt" => unclosed.push(k),
            ".ends" => {
                unclosed.pop();
            }
            _ => {}
        }
    }
    for k in 0..deck.cards.len() {
        let (first, word) = word_of(k);
        if word == ".subckt" && unclosed.contains(&k) {
            match deck.parse(k) {
                Ok(Parsed::Card(Card::Subckt { name, .. })) => e.errors.push(
                    Diagnostic::new(
                        name.span,
                        format!("subcircuit '{}' has no .ends", name.text),
                    )
                    .with_hint("end the definition with .ends"),
                ),
                Ok(_) => {}
                Err(err) => e.errors.push(err.into()),
            }
            continue;
        }
        if word == ".subckt" || word == ".ends" {
            match deck.parse(k) {
                Ok(Parsed::Card(c @ Card::Subckt { .. })) => open.push((c, Vec::new())),
                Ok(Parsed::Card(Card::Ends(name, span))) => match open.pop() {
                    Some(def) => {
                        if let (Some(n), Card::Subckt { name: d, .. }) = (&name, &def.0) {
                            if n.text != d.text {
                                // ngspice and Xyce close the open definition
                                // whatever the name says.
                                e.c.warnings.push(
                                    Diagnostic::new(
                                        n.span,
                                        format!(
                                            "'.ends {}' closes subcircuit '{}' (the name differs; taken as its end)",
                                            n.text, d.text
                                        ),
                                    )
                                    .with_note(d.span, "which starts here")
                                    .warning(),
                                );
                            }
                        }
                        def_cards.push(def);
                    }
                    None => e
                        .errors
                        .push(Diagnostic::new(span, ".ends without a .subckt")),
                },
                Ok(_) => {}
                Err(err) => e.errors.push(err.into()),
            }
            continue;
        }
        if let Some((_, body)) = open.last_mut() {
            // Inside a definition: elements, .param and .crossbar belong to
            // it; .model and .func are global; other cards do nothing there.
            match word.as_str() {
                "" | ".param" | ".params" | ".csparam" | ".crossbar" | ".ic" => {
                    body.push(k);
                    continue;
                }
                ".model" | ".func" => {}
                _ => {
                    let parsed = match deck.parse(k) {
                        Ok(Parsed::Card(c)) => Some(c),
                        Ok(Parsed::Ignored(w)) => {
                            // Warned once here, not again at the top level.
                            e.c.warnings.push(Diagnostic::from(w).warning());
                            continue;
                        }
                        Ok(Parsed::Include(..)) => None,
                        Err(err) => {
                            e.errors.push(err.into());
                            None
                        }
                    };
                    if let Some(c) = parsed {
                        let span = match &c {
                            Card::Op(s) => Some(*s),
                            Card::Directive { kind, .. } | Card::Output { kind, .. } => {
                                Some(kind.span)
                            }
                            _ => None,
                        };
                        if let Some(span) = span {
                            e.c.warnings.push(
                                Diagnostic::new(span, format!("'{word}' inside a subcircuit definition does nothing; ignored"))
                                    .with_hint("write analysis and output cards at the top level")
                                    .warning(),
                            );
                            continue;
                        }
                    }
                }
            }
        }
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
    debug_assert!(open.is_empty(), "every opened body is closed");
    // User functions, expanded wherever an expression is written.
    let mut funcs: subckt::Funcs = HashMap::new();
    for card in &directives {
        if let Card::Func { name, args, body } = card {
            let formals = args.iter().map(|a| a.text.clone()).collect();
            if let Some(prev) = funcs.insert(name.text.clone(), (formals, body.clone(), name.span))
            {
                e.errors.push(Diagnostic::defined_twice(
                    name.span,
                    format_args!("function '{}'", name.text),
                    prev.2,
                ));
            }
        }
    }
    for card in &mut directives {
        if let Err(d) = subckt::expand_card(card, &funcs) {
            e.errors.push(d);
        }
    }
    // Subcircuit definitions, their bodies parsed once.
    for (def, body) in def_cards {
        let Card::Subckt {
            name,
            ports,
            mut params,
        } = def
        else {
            continue;
        };
        for (_, v) in &mut params {
            let mut budget = usize::MAX;
            if let Err(d) = subckt::expand(&mut v.expr, &funcs, 0, &mut budget) {
                e.errors.push(d);
            }
        }
        let mut cards = Vec::with_capacity(body.len());
        let mut seen: HashMap<String, crate::netlist::Span> = HashMap::new();
        // Functions defined in the body (`.func`, `.param f(x)=...`) are
        // its own, over the global ones.
        let parsed: Vec<_> = body.into_iter().map(|k| (k, deck.parse(k))).collect();
        let mut local: Option<subckt::Funcs> = None;
        for (_, p) in &parsed {
            if let Ok(Parsed::Card(Card::Func { name, args, body })) = p {
                let formals = args.iter().map(|a| a.text.clone()).collect();
                local
                    .get_or_insert_with(|| funcs.clone())
                    .insert(name.text.clone(), (formals, body.clone(), name.span));
            }
        }
        let funcs = local.as_ref().unwrap_or(&funcs);
        for (k, p) in parsed {
            match p {
                Ok(Parsed::Card(mut c)) => {
                    if let Err(d) = subckt::expand_card(&mut c, funcs) {
                        e.errors.push(d);
                        continue;
                    }
                    if let Some(n) = c.element_name() {
                        if let Some(prev) = seen.insert(n.text.clone(), n.span) {
                            e.errors.push(
                                Diagnostic::new(
                                    n.span,
                                    format!("duplicate element name '{}'", n.text),
                                )
                                .with_note(prev, "first defined here"),
                            );
                            continue;
                        }
                    }
                    cards.push((k, c));
                }
                Ok(Parsed::Ignored(w)) => e.c.warnings.push(Diagnostic::from(w).warning()),
                Ok(Parsed::Include(..)) => {}
                Err(err) => e.errors.push(err.into()),
            }
        }
        if let Some(prev) = defs.get(&name.text) {
            e.errors.push(Diagnostic::defined_twice(
                name.span,
                format_args!("subcircuit '{}'", name.text),
                prev.name.span,
            ));
            continue;
        }
        defs.insert(
            name.text.clone(),
            subckt::SubDef {
                name,
                ports,
                params,
                body: cards,
            },
        );
    }
    for card in &directives {
        if let Card::Param(ps) = card {
            for (n, v) in ps {
                e.warn_time(&v.expr, true);
                e.params.define(&n.text, v.expr.clone(), n.span);
            }
        }
    }
    for (name, x) in overrides {
        if let Some(span) = e.params.span_of(name) {
            e.params.define(name, Expr::Num(*x), span);
        }
    }
    if let Some(seed) = sample {
        e.params.set_sample(seed);
    }
    let mut model_cards: HashMap<&str, (&Name, &Name, &Vec<Arg>)> = HashMap::new();
    for card in &directives {
        match card {
            Card::Options(args) => e.options(args),
            Card::Ic { nodes, values } => e.node_ics(nodes, values),
            Card::Temp(v) => {
                if let Some(t) = e.value(v) {
                    e.c.temp = t;
                }
            }
            Card::Model { name, kind, args } => {
                if let Some((prev, _, _)) = model_cards.get(name.text.as_str()) {
                    e.errors.push(Diagnostic::defined_twice(
                        name.span,
                        format_args!("model '{}'", name.text),
                        prev.span,
                    ));
                } else {
                    model_cards.insert(&name.text, (name, kind, args));
                }
            }
            _ => {}
        }
    }
    // A stepped temperature (a `.param` named temp would have been set above).
    if let Some((_, t)) = overrides
        .iter()
        .find(|(n, _)| n == "temp" && !e.params.is_defined(n))
    {
        e.c.temp = *t;
    }
    let mut model_index: HashMap<String, u32> = HashMap::new();
    let mut names: Vec<&&str> = model_cards.keys().collect();
    names.sort();
    for key in names {
        let (name, kind, args) = model_cards[*key];
        if kind.text == "d" {
            let m = e.diode_model(args);
            e.diodes.insert(name.text.clone(), m);
            continue;
        }
        if kind.text == "sw" {
            let m = e.switch_model(args);
            e.switches.insert(name.text.clone(), m);
            continue;
        }
        if kind.text == "memristor" && xspice::is_xspice_memristor(args) {
            let m = e.xspice_model(args);
            e.xspice.insert(name.text.clone(), m);
            continue;
        }
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
                e.errors.push(Diagnostic::defined_twice(
                    name.span,
                    format_args!("crossbar '{}'", name.text),
                    prev,
                ));
                continue;
            }
            e.crossbar(deck, name, args, *span, &model_index, &model_cards, "");
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
    // `.global` nodes keep their names inside every instance.
    let globals: std::collections::HashSet<String> = directives
        .iter()
        .filter_map(|c| match c {
            Card::Global(ns) => Some(ns.iter().map(|n| n.text.clone())),
            _ => None,
        })
        .flatten()
        .collect();
    let inst = subckt::InstCx {
        deck,
        defs: &defs,
        model_index: &model_index,
        model_cards: &model_cards,
        globals: &globals,
    };
    let mut instances = 0usize;
    for chunk in elements.chunks(PARSE_CHUNK) {
        use rayon::prelude::*;
        let parsed: Vec<_> = chunk.par_iter().map(|&k| deck.parse(k)).collect();
        for (&k, p) in chunk.iter().zip(parsed) {
            let mut card = match p {
                Ok(Parsed::Card(c)) => c,
                Ok(_) => continue,
                Err(err) => {
                    e.errors.push(err.into());
                    continue;
                }
            };
            if let Err(d) = subckt::expand_card(&mut card, &funcs) {
                e.errors.push(d);
                continue;
            }
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
            if matches!(card, Card::Instance { .. }) {
                e.instance(
                    &inst,
                    card,
                    &HashMap::new(),
                    &mut Vec::new(),
                    &mut instances,
                );
            } else {
                e.element(card, &model_index, &model_cards);
            }
        }
    }

    e.resolve_controls();
    e.hold_state_capacitors();
    let mut warnings = Vec::new();
    e.c.outputs = super::outputs::resolve(&e.c, &directives, &mut e.errors, &mut warnings);
    e.c.warnings.extend(warnings);
    // A card inside a subcircuit is elaborated once per instance: each
    // warning is said once.
    let mut seen = std::collections::HashSet::new();
    e.c.warnings
        .retain(|w| seen.insert((w.span, w.message.clone())));

    // Stepped source values.
    for (name, x) in overrides {
        if e.params.is_defined(name) {
            continue;
        }
        if let Some(v) = e.c.vsources.iter_mut().find(|v| &v.name == name) {
            v.volts = *x;
        } else if let Some(i) = e.c.isources.iter_mut().find(|i| &i.name == name) {
            i.amps = *x;
        }
    }
    Elaborated {
        circuit: e.c,
        params: e.params,
        cards: directives,
        errors: e.errors,
    }
}

/// A deck elaborated into a circuit, not yet validated: the analysis cards
/// among `cards` are still to be read (by the analyses, with `params`).
pub struct Elaborated {
    pub circuit: Circuit,
    /// The deck's `.param` definitions, to evaluate the analysis cards' values.
    pub params: Params,
    /// The directive cards, in netlist order (the analyses' among them).
    pub cards: Vec<Card>,
    /// Errors so far; readers of `cards` append theirs.
    pub errors: Vec<Diagnostic>,
}

impl Elaborated {
    /// Validate the circuit and return it, or every error found (in the
    /// order found). `own`: the netlist's circuit is solved as it is (not
    /// only copies that analyses complete with their own drivers and sense),
    /// so every node needs a DC path to ground.
    pub fn finish(mut self, deck: &Deck, own: bool) -> Result<Circuit, Diagnostics> {
        if self.errors.is_empty() {
            if let Err(d) = validate::validate(&self.circuit, Some(deck), own) {
                self.errors.extend(d.0);
            }
        }
        if self.errors.is_empty() {
            Ok(self.circuit)
        } else {
            Err(Diagnostics(self.errors))
        }
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
    /// Diode models by name (None: the card had errors, already reported).
    diodes: HashMap<String, Option<crate::devices::diode::DiodeModel>>,
    /// Switch models, likewise.
    switches: HashMap<String, Option<switch::SwitchModel>>,
    /// ngspice's XSPICE memristor models, likewise.
    xspice: HashMap<String, Option<xspice::XspiceMemristor>>,
    /// F and H sources (H: true, index in `vbranches`; F: false, index in
    /// `cccs`) and the name of the voltage source each reads.
    controls: Vec<(bool, usize, Name)>,
    /// Every `I(name)` in a B-source law, resolved with the controls: in
    /// `vbranches` (true) or `controlled`, the source's index, the name
    /// read and where.
    current_reads: Vec<(bool, usize, String, Span)>,
    /// Capacitors with `IC=`: index in `reactives`, the argument (evaluated
    /// only if the hold is needed), the name's place.
    ics: Vec<(usize, Arg, Span)>,
    /// `.ic V(node)=value` entries: the node's name, the value, where.
    node_ics: Vec<(String, f64, Span)>,
}

impl Elab {
    /// The argument reader over this elaboration's parameters and errors.
    fn args(&mut self) -> ArgReader<'_> {
        ArgReader {
            params: &mut self.params,
            errors: &mut self.errors,
            time: TimeInValue::Warn(&mut self.c.warnings),
        }
    }

    /// A card's numeric value (see [`Params::eval_value`]); errors are kept.
    fn value(&mut self, v: &Value) -> Option<f64> {
        self.args().value(v)
    }

    /// The factor a resistor's instance parameters put on its value, as
    /// ngspice applies them: scale·(1 + tc1·ΔT + tc2·ΔT²)/m with ΔT the
    /// circuit temperature less the nominal 27 °C. Others (w=, l=, ac=,
    /// noisy= ...) change no DC result: a warning each.
    fn resistor_factor(&mut self, args: &[Arg]) -> Option<f64> {
        let (mut m, mut tc1, mut tc2, mut scale) = (1.0, 0.0, 0.0, 1.0);
        for a in args {
            let key = a.key.text.as_str();
            match key {
                "m" | "tc1" | "tc2" | "scale" => {
                    let x = self.arg_value(a)?;
                    match key {
                        "m" if x > 0.0 && x.is_finite() => m = x,
                        "m" => {
                            self.errors.push(Diagnostic::new(
                                a.value.span(&a.key),
                                format!("m (devices in parallel) must be > 0, got {x}"),
                            ));
                            return None;
                        }
                        "tc1" => tc1 = x,
                        "tc2" => tc2 = x,
                        _ => scale = x,
                    }
                }
                _ => self.c.warnings.push(
                    Diagnostic::new(
                        a.key.span,
                        format!("resistor parameter '{key}' changes no DC result here; ignored"),
                    )
                    .warning(),
                ),
            }
        }
        let dt = self.c.temp - 27.0;
        Some(scale * (1.0 + tc1 * dt + tc2 * dt * dt) / m)
    }

    /// A source's DC value and the rest of its specification, evaluated.
    /// Without a DC value, the DC value is the time-domain function's
    /// value at time 0, as SPICE takes it (with a warning, as ngspice
    /// gives one), else 0.
    fn source(
        &mut self,
        name: &crate::netlist::Name,
        spec: &crate::netlist::SourceSpec,
    ) -> Option<(f64, Option<Box<super::SourceWave>>)> {
        let dc = match &spec.dc {
            Some(v) => Some(self.value(v)?),
            None => None,
        };
        let ac = match &spec.ac {
            Some((m, p)) => {
                let m = self.value(m)?;
                let p = match p {
                    Some(p) => self.value(p)?,
                    None => 0.0,
                };
                Some((m, p))
            }
            None => None,
        };
        let wave = match &spec.wave {
            Some(w) => {
                let mut args = Vec::with_capacity(w.args.len());
                for a in &w.args {
                    args.push(self.value(a)?);
                }
                Some((w.kind, args))
            }
            None => None,
        };
        let volts = match (dc, &wave) {
            (Some(v), _) => v,
            (None, Some((k, a))) => {
                let v = k.at_zero(a);
                self.c.warnings.push(
                    Diagnostic::new(
                        name.span,
                        format!(
                            "'{}' has no DC value: the DC analyses use its {}'s value at time 0, {}",
                            name.text,
                            k.name(),
                            super::args::show(v)
                        ),
                    )
                    .with_hint("give one (`DC 0`) to set it explicitly")
                    .warning(),
                );
                v
            }
            (None, None) => 0.0,
        };
        let rest =
            (ac.is_some() || wave.is_some()).then(|| Box::new(super::SourceWave { ac, wave }));
        Some((volts, rest))
    }

    /// An argument's numeric value (see [`ArgReader::arg_value`]).
    fn arg_value(&mut self, a: &Arg) -> Option<f64> {
        self.args().arg_value(a)
    }
}
