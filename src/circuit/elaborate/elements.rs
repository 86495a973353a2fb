//! Element cards (R, V, I, B, memristor) and `.crossbar` blocks into the
//! circuit's arrays.

use super::*;
use crate::netlist::expr::BinOp;

impl Elab {
    /// One element card into its `Vec`.
    pub(super) fn element(
        &mut self,
        card: Card,
        model_index: &HashMap<String, u32>,
        model_cards: &HashMap<&str, (&Name, &Name, &Vec<Arg>)>,
    ) {
        let e = self;
        match card {
            Card::Resistor {
                name,
                nodes,
                value,
                args,
            } => {
                if value.expr.has_probe() {
                    // A behavioural resistor (`r={V(x)}`), as ngspice has
                    // it: a B-source I = V(n+, n−)/(value·factor).
                    let mut f = 1.0;
                    if !args.is_empty() {
                        let Some(x) = e.resistor_factor(&args) else {
                            return;
                        };
                        f = x;
                    }
                    let volt = Expr::Volt(
                        nodes[0].text.clone(),
                        Some(nodes[1].text.clone()),
                        value.span,
                    );
                    let r = Expr::Bin(BinOp::Mul, Box::new(value.expr), Box::new(Expr::Num(f)));
                    let law = Expr::Bin(BinOp::Div, Box::new(volt), Box::new(r));
                    e.bsource(&name, &nodes, &law, value.span, false);
                    return;
                }
                let Some(mut r) = e.value(&value) else { return };
                if !args.is_empty() {
                    let Some(f) = e.resistor_factor(&args) else {
                        return;
                    };
                    r *= f;
                }
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
            Card::VSource { name, nodes, spec } => {
                let Some((v, wave)) = e.source(&name, &spec) else {
                    return;
                };
                let (p, n) = e.two_nodes(&nodes);
                e.c.vsources.push(VSource {
                    name: name.text,
                    p,
                    n,
                    volts: v,
                    span: name.span,
                    wave,
                });
            }
            Card::ISource { name, nodes, spec } => {
                let Some((v, wave)) = e.source(&name, &spec) else {
                    return;
                };
                let (p, n) = e.two_nodes(&nodes);
                e.c.isources.push(ISource {
                    name: name.text,
                    p,
                    n,
                    amps: v,
                    span: name.span,
                    wave,
                });
            }
            Card::Reactive {
                name,
                nodes,
                value,
                args,
            } => {
                let Some(x) = e.value(&value) else { return };
                if !x.is_finite() {
                    e.errors.push(Diagnostic::new(
                        value.span,
                        format!("'{}' must be a finite number, got {x}", name.text),
                    ));
                    return;
                }
                let (a, b) = e.two_nodes(&nodes);
                let inductor = name.text.starts_with('l');
                let short = inductor.then(|| {
                    e.c.vsources.push(VSource {
                        name: name.text.clone(),
                        p: a,
                        n: b,
                        volts: 0.0,
                        span: name.span,
                        wave: None,
                    });
                    e.c.vsources.len() - 1
                });
                // A capacitor's initial condition, kept in case its node
                // has no other DC path (see `hold_state_capacitors`).
                if !inductor {
                    if let Some(ic) = args.into_iter().find(|a| a.key.text == "ic") {
                        e.ics.push((e.c.reactives.len(), ic, name.span));
                    }
                }
                e.c.reactives.push(super::super::Reactive {
                    name: name.text,
                    a,
                    b,
                    value: x,
                    short,
                });
            }
            Card::BSource {
                name,
                nodes,
                expr,
                span,
                voltage,
            } => e.bsource(&name, &nodes, &expr, span, voltage),
            Card::CcSource {
                name,
                nodes,
                control,
                gain,
                voltage,
            } => e.ccsource(name, &nodes, control, &gain, voltage),
            Card::Diode {
                name,
                nodes,
                model,
                area,
                args,
            } => e.diode(name, nodes, model, area, args),
            Card::Switch {
                name,
                nodes,
                model,
                on,
            } => e.switch(name, nodes, model, on),
            Card::Memristor {
                name,
                nodes,
                model,
                xspice: true,
                ..
            } => e.xspice_memristor(name, nodes, model, model_index),
            Card::Memristor {
                name,
                nodes,
                model,
                args,
                ..
            } => {
                let Some(&mi) = model_index.get(&model.text) else {
                    if e.xspice.contains_key(&model.text) {
                        e.errors.push(
                            Diagnostic::new(
                                model.span,
                                format!("'{}' is ngspice's XSPICE memristor model (rmin rmax rinit alpha beta vt)", model.text),
                            )
                            .with_hint(format!("its element is `Aname n+ n- {}`", model.text)),
                        );
                    } else if e.diodes.contains_key(&model.text) {
                        e.errors.push(Diagnostic::new(
                            model.span,
                            format!("'{}' is a diode model, not a memristor model", model.text),
                        ));
                    } else if !model_cards.contains_key(model.text.as_str()) {
                        e.errors.push(
                            Diagnostic::new(model.span, format!("unknown model '{}'", model.text))
                                .with_hint("define it with `.model <name> memristor (level=linear|sinh|cubic ...)` or .include its model file"),
                        );
                    }
                    return;
                };
                if e.c.models[mi as usize].law.xyce_level().is_some() {
                    if let Some((mi, x)) = e.xyce_instance(&name, mi, &args) {
                        let (a, b) = e.two_nodes(&nodes);
                        e.c.memristors.push(Memristor {
                            name: name.text,
                            a,
                            b,
                            model: mi,
                            g: x,
                            ns: 0.0,
                        });
                    }
                    return;
                }
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
                    ns: 0.0,
                });
            }
            Card::Ic { nodes, values } => e.node_ics(&nodes, &values),
            _ => {}
        }
    }

    /// One `.crossbar` card into the element arrays (`path`: the
    /// subcircuit instance it is in, empty at the top level).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn crossbar(
        &mut self,
        deck: &Deck,
        name: &Name,
        args: &[Arg],
        span: crate::netlist::Span,
        model_index: &HashMap<String, u32>,
        model_cards: &HashMap<&str, (&Name, &Name, &Vec<Arg>)>,
        path: &str,
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
        let mut sp = match super::crossbar::spec(name.span, args, |v| params.eval_value(v)) {
            Ok(sp) => sp,
            Err(errs) => {
                self.errors.extend(errs);
                return;
            }
        };
        if let Some((sel, at, both)) = &sp.selector_card {
            let Some(law) = self.cell_selector(sel, *at, *both) else {
                return;
            };
            sp.selector = Some(law);
        }
        let Some(&mi) = model_index.get(&sp.model) else {
            if self.diodes.contains_key(&sp.model) {
                self.errors.push(Diagnostic::new(
                    sp.model_span,
                    format!("'{}' is a diode model: model= takes the memristor model", sp.model),
                ).with_hint("a diode in series with every device: selector=<D model> (antiparallel pair) or diode=<D model>"));
            } else if !model_cards.contains_key(sp.model.as_str()) {
                self.errors.push(
                    Diagnostic::new(sp.model_span, format!("unknown model '{}'", sp.model))
                        .with_hint("define it with `.model <name> memristor (level=linear|sinh|cubic ...)` or .include its model file"),
                );
            }
            return;
        };
        if let Some(level) = self.c.models[mi as usize].law.xyce_level() {
            self.errors.push(
                Diagnostic::new(
                    sp.model_span,
                    format!(
                        "model '{}' is Xyce's memristor level={level}: a crossbar card needs one of xbarsim's laws (level=linear, sinh or cubic), whose state is a conductance",
                        sp.model
                    ),
                )
                .with_hint("build the array from YMEMRISTOR elements (a subcircuit per cell) to use an Xyce level"),
            );
            return;
        }
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
        // Inside a subcircuit instance the array is `x1.xb` (nodes `x1.xb.t0.0`).
        let full = if path.is_empty() {
            name.text.clone()
        } else {
            format!("{path}.{}", name.text)
        };
        let (xb, warnings) = super::crossbar::build(&mut self.c, &full, &sp, mi, &g, span);
        self.c.warnings.extend(warnings);
        self.c.crossbars.push(xb);
    }

    pub(super) fn two_nodes(&mut self, n: &[Name; 2]) -> (NodeId, NodeId) {
        (
            self.c.nodes.intern(&n[0].text),
            self.c.nodes.intern(&n[1].text),
        )
    }
}
