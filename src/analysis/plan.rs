//! From a deck to a circuit and its analyses: elaborate, read every analysis
//! card through the registry (refusing two that would write the same
//! files), then validate the circuit.

use super::card::{directive, CardCtx};
use super::{registry, Analysis};
use crate::circuit::{elaborate, Circuit};
use crate::netlist::{Deck, Diagnostic, Diagnostics, Span};
use std::collections::HashMap;

/// A checked netlist: its circuit and the analyses to run, in card order.
#[derive(Debug)]
pub struct Plan {
    pub circuit: Circuit,
    pub analyses: Vec<Box<dyn Analysis>>,
}

/// Directives that are not analyses (read by the circuit's elaboration).
const CIRCUIT_DIRECTIVES: &str = ".param .include .model .options .temp";

/// Elaborate `deck` and plan its analyses. All errors found (parse,
/// elaboration, analysis cards, validation) are returned together.
pub fn plan(deck: &Deck) -> Result<Plan, Diagnostics> {
    let mut el = elaborate(deck);
    let mut analyses: Vec<Box<dyn Analysis>> = Vec::new();
    let mut outputs: HashMap<String, Span> = HashMap::new();
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
        let Some(entry) = registry::find(name) else {
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
        };
        let before = analyses.len();
        (entry.read)(&mut cx, card, &mut analyses);
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
    let own = analyses.is_empty() || analyses.iter().any(|a| a.solves_netlist());
    let circuit = el.finish(deck, own)?;
    Ok(Plan { circuit, analyses })
}
