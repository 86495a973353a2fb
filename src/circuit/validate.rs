//! Topology checks that make the nodal equations solvable:
//! - no loop of voltage-defined elements (V, E, B with `V=`: their voltages
//!   would over-determine a node),
//! - every node has a DC path to ground through resistors, memristors,
//!   voltage-defined elements or self-controlled B-sources (current sources and
//!   controlled B-sources do not fix a voltage).

use super::{Circuit, NodeId};
use crate::netlist::{Card, Deck, Diagnostic, Diagnostics, Span};

/// Disjoint sets over node indices.
pub struct Dsu(Vec<u32>);

impl Dsu {
    pub fn new(n: usize) -> Self {
        Dsu((0..n as u32).collect())
    }
    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.0[x as usize] != x {
            let p = self.0[x as usize];
            self.0[x as usize] = self.0[p as usize];
            x = p;
        }
        x
    }
    /// Join; false if already joined.
    pub fn union(&mut self, a: u32, b: u32) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        // Keep ground (0) as the root of its set.
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.0[hi as usize] = lo;
        true
    }
}

/// The nodes joined by DC paths (resistors, voltage sources, memristors,
/// two-terminal B-sources and diodes whose current moves with their
/// voltage, voltage-defined branches): a node
/// has a DC path to ground when its set holds ground (0, always a root).
pub fn dc_paths(c: &Circuit) -> Dsu {
    let mut dc = Dsu::new(c.nodes.len());
    let edges = c
        .resistors
        .iter()
        .map(|r| (r.a, r.b))
        .chain(c.vsources.iter().map(|v| (v.p, v.n)))
        .chain(c.memristors.iter().map(|m| (m.a, m.b)))
        .chain(
            c.branches
                .iter()
                .filter(|b| b.law.conducts())
                .map(|b| (b.a, b.b)),
        )
        .chain(c.vbranches.iter().map(|b| (b.p, b.n)));
    for (a, b) in edges {
        dc.union(a.0, b.0);
    }
    dc
}

/// [`dc_paths`] plus the controlled B-sources whose law reads the voltage
/// across their own terminals (a behavioural resistor `r={f(V(x))}`, a
/// diode law scaled by another node's voltage): their current moves with
/// that voltage, so their nodes are not left floating. They do not count
/// for the state holds: a memristor state's `G` reads its own node through
/// a window that can make the slope 0.
fn conducting_paths(c: &Circuit) -> Dsu {
    let mut dc = dc_paths(c);
    for k in &c.controlled {
        if k.probes
            .iter()
            .any(|&(p, q)| (p, q) == (k.a, k.b) || (q, p) == (k.a, k.b))
        {
            dc.union(k.a.0, k.b.0);
        }
    }
    dc
}

/// Where a node is first written in the deck (for error messages).
fn node_span(c: &Circuit, deck: &Deck, id: NodeId) -> Option<Span> {
    let name = c.nodes.name(id);
    let k = c.nodes.first_card(id);
    if k as usize >= deck.cards.len() {
        return None;
    }
    card_node_span(deck, k as usize, name).or_else(|| {
        // A node a subcircuit port renamed (`x1 a s sub` with port `x`):
        // the first card that writes it, among the first cards of the deck
        // (this runs only to locate an error).
        (0..deck.cards.len().min(1 << 16)).find_map(|j| card_node_span(deck, j, name))
    })
}

/// Where card `k` writes node `name` (or, in a subcircuit body, its local
/// name), if it does.
fn card_node_span(deck: &Deck, k: usize, name: &str) -> Option<Span> {
    let Ok(crate::netlist::parser::Parsed::Card(card)) = deck.parse(k) else {
        return None;
    };
    // A subcircuit body's card names the node without the instance path
    // (`h` for `x1.h`).
    let local =
        |text: &str| text == name || name.strip_suffix(text).is_some_and(|p| p.ends_with('.'));
    if let Some(n) = card.nodes().iter().find(|n| local(&n.text)) {
        return Some(n.span);
    }
    // A node that only a B-source's V(...) names: point at the probe.
    if let Card::BSource { expr, .. } = &card {
        let mut probes = Vec::new();
        expr.probes(&mut probes);
        return probes
            .iter()
            .find(|(a, b, _)| local(a) || b.is_some_and(local))
            .map(|p| p.2);
    }
    None
}

/// Check `c`. `floating`: also require a DC path to ground from every node
/// (not needed when only analyses that add their own periphery run).
pub fn validate(c: &Circuit, deck: Option<&Deck>, floating: bool) -> Result<(), Diagnostics> {
    let mut errors = Vec::new();
    let n = c.nodes.len();
    let mut vs = Dsu::new(n);
    // Voltage sources, then E and B `V=` sources: each fixes a voltage
    // difference, and one that closes a loop of them would make the matrix
    // singular. (name, p, n, where, an independent source)
    let fixed = c
        .vsources
        .iter()
        .map(|v| (v.name.as_str(), v.p, v.n, v.span, true))
        .chain(
            c.vbranches
                .iter()
                .map(|b| (b.name.as_str(), b.p, b.n, b.span, false)),
        );
    for (name, p, q, span, source) in fixed {
        if p == q {
            let what = if source {
                "voltage source"
            } else {
                "voltage-defined source"
            };
            errors.push(Diagnostic::new(
                span,
                format!(
                    "{what} '{name}' has both terminals on node '{}'",
                    c.nodes.name(p)
                ),
            ));
        } else if !vs.union(p.0, q.0) {
            let msg = if source {
                format!("voltage source '{name}' closes a loop of voltage sources")
            } else {
                format!("'{name}' closes a loop of voltage-defined elements (V, E, B with V=)")
            };
            errors.push(Diagnostic::new(span, msg).with_hint(
                "a loop of ideal voltage sources over-determines its nodes; remove one or add a series resistor",
            ));
        }
    }
    if !floating {
        return if errors.is_empty() {
            Ok(())
        } else {
            Err(Diagnostics(errors))
        };
    }
    let mut dc = conducting_paths(c);
    // Group floating nodes by component.
    let mut groups: std::collections::BTreeMap<u32, Vec<u32>> = Default::default();
    for i in 1..n as u32 {
        let r = dc.find(i);
        if r != 0 {
            groups.entry(r).or_default().push(i);
        }
    }
    for (_, members) in groups {
        let first = c.nodes.name(NodeId(members[0]));
        let others: Vec<&str> = members[1..]
            .iter()
            .take(5)
            .map(|&m| c.nodes.name(NodeId(m)))
            .collect();
        let mut msg = format!("node '{first}' has no DC path to ground");
        if !others.is_empty() {
            msg += &format!(
                " (nor do {} other node(s) connected to it: {}{})",
                members.len() - 1,
                others.join(", "),
                if members.len() > 6 { ", ..." } else { "" }
            );
        }
        let d = match deck.and_then(|deck| node_span(c, deck, NodeId(members[0]))) {
            Some(s) => Diagnostic::new(s, msg),
            None => Diagnostic::unlocated(msg),
        };
        errors.push(d.with_hint("connect it to the rest of the circuit through a resistor, or tie it to ground with a large resistor"));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Diagnostics(errors))
    }
}
