//! Nodes DC cannot otherwise fix: a memristor model's state variable, a
//! capacitor charged by a current source, held at its initial condition
//! (`IC=` on the capacitor, or `.ic V(node)=value`) so that DC analyses give
//! the device at that state.

use super::*;

impl Elab {
    /// Record `.ic V(node)=value` entries (evaluated now, in the scope of
    /// the card: an instance's parameters are already substituted; the
    /// node is looked up once every element is in).
    pub(super) fn node_ics(&mut self, nodes: &[Name], values: &[crate::netlist::Value]) {
        for (n, v) in nodes.iter().zip(values) {
            let Some(x) = self.value(v) else { continue };
            self.node_ics.push((n.text.clone(), x, n.span));
        }
    }

    /// A capacitor with `IC=` whose node has no other DC path (the state
    /// variable of a memristor subcircuit model: a current source charging
    /// a capacitor) is held at its initial condition by a voltage source of
    /// its name, so DC analyses give the device at that state, with a
    /// warning. ngspice finds no operating point there (a singular matrix);
    /// a capacitor whose nodes have a DC path stays open, as in SPICE.
    pub(super) fn hold_state_capacitors(&mut self) {
        if self.ics.is_empty() && self.node_ics.is_empty() {
            return;
        }
        let mut dsu = validate::dc_paths(&self.c);
        for (k, arg, span) in std::mem::take(&mut self.ics) {
            let (a, b) = (self.c.reactives[k].a, self.c.reactives[k].b);
            let (ra, rb) = (dsu.find(a.0), dsu.find(b.0));
            if ra == rb || (ra == 0 && rb == 0) {
                continue;
            }
            let Some(ic) = self.arg_value(&arg) else {
                continue;
            };
            let c = &mut self.c;
            let r = &c.reactives[k];
            let floating = if ra != 0 { a } else { b };
            c.warnings.push(
                Diagnostic::new(
                    span,
                    format!(
                        "node '{}' has no DC path but through capacitor '{}': held at its IC={} V (a state variable), so DC results are at that state",
                        c.nodes.name(floating),
                        r.name,
                        ic
                    ),
                )
                .warning(),
            );
            c.vsources.push(VSource {
                name: r.name.clone(),
                p: a,
                n: b,
                volts: ic,
                span,
                wave: None,
            });
            c.reactives[k].short = Some(c.vsources.len() - 1);
            dsu.union(a.0, b.0);
        }
        // Then `.ic V(node)=v` on a node still without a DC path (LTspice
        // models write the state's initial value so): a source `ic#node`
        // from it to ground.
        for (name, v, span) in std::mem::take(&mut self.node_ics) {
            let Some(node) = self.c.nodes.get(&name) else {
                self.c.warnings.push(
                    Diagnostic::new(
                        span,
                        format!("'.ic': no node '{name}' in this circuit; ignored"),
                    )
                    .warning(),
                );
                continue;
            };
            if dsu.find(node.0) == 0 {
                self.c.warnings.push(
                    Diagnostic::new(
                        span,
                        "'.ic' changes no DC result and xbarsim runs DC analyses only; ignored",
                    )
                    .with_hint("only a node with no DC path is held at its .ic value")
                    .warning(),
                );
                continue;
            }
            let c = &mut self.c;
            c.warnings.push(
                Diagnostic::new(
                    span,
                    format!(
                        "node '{name}' has no DC path: held at its .ic value {v} V (a state variable), so DC results are at that state"
                    ),
                )
                .warning(),
            );
            c.vsources.push(VSource {
                name: format!("ic#{name}"),
                p: node,
                n: NodeId::GROUND,
                volts: v,
                span,
                wave: None,
            });
            dsu.union(node.0, 0);
        }
    }
}
