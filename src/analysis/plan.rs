//! From a deck to a circuit and its analyses: elaborate, read every analysis
//! card through the registry (refusing two that would write the same
//! files) and the `.step` cards of a study, then validate the circuit.

use super::card::{directive, parts, CardCtx};
use super::study::{self, Study};
use super::{registry, Analysis};
use crate::circuit::{elaborate_with, Circuit};
use crate::netlist::{Deck, Diagnostic, Diagnostics, Span};
use std::collections::HashMap;

/// A checked netlist: its circuit and the analyses to run, in card order.
#[derive(Debug)]
pub struct Plan {
    pub circuit: Circuit,
    pub analyses: Vec<Box<dyn Analysis>>,
    /// The `.step` cards (no steps: one point, the netlist as written).
    pub study: Study,
    /// The `.param`s (as overridden), for callers that check a name.
    pub params: crate::circuit::params::Params,
}

/// Directives that are not analyses (read by the circuit's elaboration).
const CIRCUIT_DIRECTIVES: &str = ".param .include .model .options .temp .step .mc";

/// Elaborate `deck` and plan its analyses. All errors found (parse,
/// elaboration, analysis cards, validation) are returned together.
pub fn plan(deck: &Deck) -> Result<Plan, Diagnostics> {
    plan_with(deck, &[], None)
}

/// The netlist `deck` elaborated again at one study point (`base`,
/// `sample`) with more overrides, which win over `base`'s (a `.dc` over
/// `temp` or a `.param`; see [`super::Rebuild`]).
pub fn rebuilder<'d>(
    deck: &'d Deck,
    base: &'d [(String, f64)],
    sample: Option<u64>,
) -> impl Fn(&[(String, f64)]) -> Result<Circuit, String> + 'd {
    move |more| {
        let mut all: Vec<(String, f64)> = base
            .iter()
            .filter(|(n, _)| !more.iter().any(|m| &m.0 == n))
            .cloned()
            .collect();
        all.extend_from_slice(more);
        plan_with(deck, &all, sample)
            .map(|p| p.circuit)
            .map_err(|d| d.render(&deck.sources))
    }
}

/// [`plan`] at one point of a study: the named `.param`s (sources, temp)
/// fixed to values, and `sample` the seed of a Monte Carlo sample.
pub fn plan_with(
    deck: &Deck,
    overrides: &[(String, f64)],
    sample: Option<u64>,
) -> Result<Plan, Diagnostics> {
    let mut el = elaborate_with(deck, overrides, sample);
    let mut mc = None;
    let mut steps = Vec::new();
    let mut analyses: Vec<Box<dyn Analysis>> = Vec::new();
    let mut outputs: HashMap<String, Span> = HashMap::new();
    let mut control_vars = super::control::Vars::default();
    let mut warnings = Vec::new();
    let cards = std::mem::take(&mut el.cards);
    for card in &cards {
        let Some((name, span)) = directive(card) else {
            continue;
        };
        let mut cx = CardCtx {
            deck,
            c: &el.circuit,
            params: &mut el.params,
            errors: &mut el.errors,
        };
        if name == "mc" {
            if let Some((kind, words, args)) = parts(card) {
                if let Some(m) = study::read_mc(&mut cx, kind, words, args) {
                    if mc.is_some() {
                        cx.errors
                            .push(Diagnostic::new(span, "a netlist may have one .mc card"));
                    } else {
                        mc = Some(m);
                    }
                }
            }
            continue;
        }
        if name == "step" {
            if let Some((kind, words, args)) = parts(card) {
                if let Some(a) = args.first() {
                    cx.errors.push(Diagnostic::new(
                        a.key.span,
                        format!("unexpected .step argument '{}'", a.key.text),
                    ));
                } else if let Some(s) = study::read(&mut cx, kind, words) {
                    if let Some(prev) = steps.iter().find(|p: &&study::Step| p.name == s.name) {
                        cx.errors.push(
                            Diagnostic::new(span, format!("'{}' is stepped twice", s.name))
                                .with_note(prev.span, "first stepped here"),
                        );
                    } else {
                        steps.push(s);
                    }
                }
            }
            continue;
        }
        let before = analyses.len();
        if name == "control" {
            // A `.control` block's command (netlist::lines made it a card).
            if let Some((_, words, args)) = parts(card) {
                super::control::read(
                    &mut cx,
                    words,
                    args,
                    &mut control_vars,
                    &mut analyses,
                    &mut warnings,
                );
            }
        } else if let Some(entry) = registry::find(name) {
            (entry.read)(&mut cx, card, &mut analyses);
        } else {
            let names: Vec<String> = registry::ANALYSES
                .iter()
                .map(|e| format!(".{}", e.name))
                .collect();
            cx.errors.push(
                Diagnostic::new(span, format!("unknown directive '.{name}'")).with_hint(format!(
                    "directives: {CIRCUIT_DIRECTIVES} {} .crossbar {} .end",
                    names[..2].join(" "),
                    names[2..].join(" ")
                )),
            );
            continue;
        }
        if analyses.len() == before + 1 {
            let key = analyses[before].output(&el.circuit);
            // `.perceptron out=program` writes program.json too: one namespace.
            let stem = key.split(' ').next().unwrap_or("").to_string();
            if let Some(&first) = outputs.get(&stem) {
                analyses.pop();
                el.errors.push(
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
    super::control::finish(&el.circuit, &mut analyses, &mut el.errors);
    // `.meas` reads the other analyses' results: it runs last.
    if let Some(k) = analyses
        .iter()
        .position(|a| super::downcast::<super::meas::MeasSet>(a.as_ref()).is_some())
    {
        let m = analyses.remove(k);
        analyses.push(m);
    }
    let study = Study { steps, mc };
    if study.is_study() {
        let mut cx = CardCtx {
            deck,
            c: &el.circuit,
            params: &mut el.params,
            errors: &mut el.errors,
        };
        study::check_size(&mut cx, &study);
    }
    let own = analyses.is_empty() || analyses.iter().any(|a| a.solves_netlist());
    let params = std::mem::take(&mut el.params);
    let mut circuit = el.finish(deck, own)?;
    circuit.warnings.extend(warnings);
    Ok(Plan {
        circuit,
        analyses,
        study,
        params,
    })
}
