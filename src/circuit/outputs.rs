//! `.print`, `.save` and `.probe`: the quantities the DC analyses write.
//! Without such cards (or with `all`) they write every node voltage and
//! voltage-source current; with them, exactly the listed quantities in the
//! order listed: `v(a)`, `v(a,b)`, `i(x)` or `@x[i]` for a voltage or
//! current source, resistor, memristor (crossbar devices by name,
//! `i(xb.m3.4)`), inductor (its short) or capacitor (0 in DC).

use super::{Circuit, NodeId};
use crate::netlist::{Card, Diagnostic, Name};
use std::collections::HashMap;

/// One written quantity: its column name and what it reads.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    pub label: String,
    pub of: ProbeOf,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ProbeOf {
    Node(NodeId),
    Diff(NodeId, NodeId),
    /// The current of `vsources[k]` (SPICE sign: into its + terminal).
    VSource(usize),
    /// The current of `vbranches[k]` (an E or B `V=` source; SPICE sign).
    VBranch(usize),
    /// The current of `cccs[k]` (an F source), from + through it to −.
    Cccs(usize),
    /// `isources[k]`'s value: from + through the source to −.
    ISource(usize),
    /// `resistors[k]`'s current from its first node to its second.
    Resistor(usize),
    /// `memristors[k]`'s current from + to −.
    Memristor(usize),
    /// `branches[k]`'s current (a two-terminal B-source or a diode), from
    /// its first node through it to its second.
    Branch(usize),
    /// `controlled[k]`'s current (a B-source reading other nodes).
    Controlled(usize),
    /// A capacitor: no current in DC.
    Zero,
    /// `memristors[k]`'s state (Xyce's `n(ymemristor!name_x)`).
    MemState(usize),
    /// `memristors[k]`'s resistance as Xyce stores it (`n(ymemristor!name:r)`):
    /// 1/(dI/dV) at the solution.
    MemResistance(usize),
}

/// Resolve the output cards among `cards` against the elaborated circuit:
/// None when there are none (or one says `all`). Unknown names are located
/// errors; cards for other analyses (`.print tran ...`) are warnings.
pub fn resolve(
    c: &Circuit,
    cards: &[Card],
    errors: &mut Vec<Diagnostic>,
    warnings: &mut Vec<Diagnostic>,
) -> Option<Vec<Probe>> {
    let mut items: Vec<&Name> = Vec::new();
    let mut all = false;
    let mut any = false;
    for card in cards {
        let Card::Output {
            kind,
            analysis,
            items: list,
        } = card
        else {
            continue;
        };
        if let Some(a) = analysis
            .as_ref()
            .filter(|a| !matches!(a.text.as_str(), "op" | "dc"))
        {
            warnings.push(
                Diagnostic::new(
                    a.span,
                    format!(
                        "'{} {}': xbarsim runs DC analyses only; ignored",
                        kind.text, a.text
                    ),
                )
                .warning(),
            );
            continue;
        }
        any = true;
        for it in list {
            if it.text == "all" {
                all = true;
            } else {
                items.push(it);
            }
        }
    }
    if !any || all || items.is_empty() {
        return None;
    }
    // Xyce names a YMEMRISTOR's current `i(ymemristor!name)`.
    let xyce_names: Vec<(String, usize)> = c
        .memristors
        .iter()
        .enumerate()
        .filter_map(|(k, m)| {
            let rest = m.name.strip_prefix("ymemristor ")?;
            Some((format!("ymemristor!{rest}"), k))
        })
        .collect();
    let mut by_name: HashMap<&str, ProbeOf> = HashMap::new();
    for (n, k) in &xyce_names {
        by_name.insert(n, ProbeOf::Memristor(*k));
    }
    for (k, r) in c.resistors.iter().enumerate() {
        if !r.name.is_empty() {
            by_name.insert(&r.name, ProbeOf::Resistor(k));
        }
    }
    for (k, m) in c.memristors.iter().enumerate() {
        by_name.insert(&m.name, ProbeOf::Memristor(k));
    }
    for (k, b) in c.branches.iter().enumerate() {
        by_name.insert(&b.name, ProbeOf::Branch(k));
    }
    for (k, b) in c.controlled.iter().enumerate() {
        by_name.insert(&b.name, ProbeOf::Controlled(k));
    }
    for (k, s) in c.isources.iter().enumerate() {
        by_name.insert(&s.name, ProbeOf::ISource(k));
    }
    for (k, s) in c.vsources.iter().enumerate() {
        by_name.insert(&s.name, ProbeOf::VSource(k));
    }
    for (k, b) in c.vbranches.iter().enumerate() {
        by_name.insert(&b.name, ProbeOf::VBranch(k));
    }
    for (k, f) in c.cccs.iter().enumerate() {
        by_name.insert(&f.name, ProbeOf::Cccs(k));
    }
    for r in &c.reactives {
        if r.short.is_none() {
            by_name.insert(&r.name, ProbeOf::Zero);
        }
    }
    let mut out = Vec::with_capacity(items.len());
    for it in items {
        // HSPICE's wildcards: `v(x1.*)`, `i(r?)`.
        if it.text.contains(['*', '?']) {
            let before = out.len();
            wildcard(c, &by_name, &it.text, &mut out);
            if out.len() == before {
                warnings.push(
                    Diagnostic::new(it.span, format!("'{}' matches nothing; ignored", it.text))
                        .warning(),
                );
            }
            continue;
        }
        match probe(c, &by_name, &it.text) {
            Ok(of) => out.push(Probe {
                label: it.text.split_whitespace().collect(),
                of,
            }),
            Err(m) => errors.push(Diagnostic::new(it.span, m).with_hint(
                "v(node), v(a,b), i(element) or @element[i]: voltage or current sources, E, F, H, resistors, memristors, B-sources, diodes, L, C",
            )),
        }
    }
    Some(out)
}

/// The quantities a wildcard item names, `v(pattern)` over the node names
/// (in the circuit's order) or `i(pattern)` over the element names (in
/// name order); `*` matches any run of characters, `?` one.
fn wildcard(c: &Circuit, by_name: &HashMap<&str, ProbeOf>, text: &str, out: &mut Vec<Probe>) {
    let t: String = text.split_whitespace().collect();
    if let Some(p) = t.strip_prefix("v(").and_then(|r| r.strip_suffix(')')) {
        for k in 1..c.nodes.len() {
            let n = c.nodes.name(NodeId(k as u32));
            if glob(p, n) {
                out.push(Probe {
                    label: format!("v({n})"),
                    of: ProbeOf::Node(NodeId(k as u32)),
                });
            }
        }
    } else if let Some(p) = t.strip_prefix("i(").and_then(|r| r.strip_suffix(')')) {
        // Not the 0 V sources xbarsim inserted to read a current (`#meas`).
        let mut names: Vec<(&&str, &ProbeOf)> = by_name
            .iter()
            .filter(|(n, _)| !n.contains('#') && glob(p, n))
            .collect();
        names.sort_by_key(|x| x.0);
        out.extend(names.into_iter().map(|(n, of)| Probe {
            label: format!("i({n})"),
            of: *of,
        }));
    }
}

/// `name` matches `pattern` (`*`: any run, `?`: any one character).
fn glob(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    // ok[j]: pattern prefix matches name prefix of length j.
    let mut ok = vec![false; n.len() + 1];
    ok[0] = true;
    for &pc in &p {
        let mut next = vec![false; n.len() + 1];
        if pc == '*' {
            let mut any = false;
            for j in 0..=n.len() {
                any |= ok[j];
                next[j] = any;
            }
        } else {
            for j in 1..=n.len() {
                next[j] = ok[j - 1] && (pc == '?' || pc == n[j - 1]);
            }
        }
        ok = next;
    }
    ok[n.len()]
}

fn probe(c: &Circuit, by_name: &HashMap<&str, ProbeOf>, text: &str) -> Result<ProbeOf, String> {
    let t: String = text.split_whitespace().collect();
    let node = |n: &str| {
        if n == "0" || super::nodes::is_ground_alias(n) {
            return Ok(NodeId::GROUND);
        }
        c.nodes
            .get(n)
            .ok_or_else(|| format!("'{n}' is not a node of this circuit"))
    };
    let inner = |open: &str, close: char| t.strip_prefix(open).and_then(|r| r.strip_suffix(close));
    if let Some(args) = inner("v(", ')') {
        return match args.split_once(',') {
            Some((a, b)) => Ok(ProbeOf::Diff(node(a)?, node(b)?)),
            None => Ok(ProbeOf::Node(node(args)?)),
        };
    }
    // ngspice also names a diode's current @d1[id] (and @d1[c]).
    let element = inner("i(", ')').or_else(|| {
        inner("@", ']').and_then(|r| {
            r.strip_suffix("[i")
                .or_else(|| r.strip_suffix("[id"))
                .or_else(|| r.strip_suffix("[c"))
        })
    });
    // Xyce's state and resistance outputs of a YMEMRISTOR.
    if let Some(name) = inner("n(", ')') {
        let (dev, of): (_, fn(usize) -> ProbeOf) = if let Some(d) = name.strip_suffix("_x") {
            (d, ProbeOf::MemState)
        } else if let Some(d) = name.strip_suffix(":r") {
            (d, ProbeOf::MemResistance)
        } else {
            return Err(format!("'{text}' is not an output xbarsim writes"));
        };
        return match by_name.get(dev) {
            Some(ProbeOf::Memristor(k)) if dev.starts_with("ymemristor!") => Ok(of(*k)),
            _ => Err(format!("'{dev}' is not a memristor (n(ymemristor!name_x) is its state, n(ymemristor!name:r) its resistance)")),
        };
    }
    if let Some(name) = element {
        return by_name
            .get(name)
            .copied()
            .ok_or_else(|| format!("'{name}' is not an element whose current xbarsim writes"));
    }
    Err(format!("'{text}' is not an output xbarsim writes"))
}
