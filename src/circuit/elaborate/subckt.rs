//! Subcircuits and user functions.
//!
//! - `.subckt NAME ports… [params: k=v …]` … `.ends`: the cards between are
//!   the definition's body (read once, parsed once). Definitions may come
//!   after their use, in `.include`d files or `.lib` sections; a `.subckt`
//!   inside another is defined globally. `.model` and `.func` cards in a
//!   body are global too; `.param` cards are local to each instance.
//! - `Xname nodes… NAME [params:] [k=v …]`: one instance. Each body card is
//!   copied with its parameters evaluated in the instance's scope (the
//!   instance's values, else the definition's defaults, then the body's
//!   `.param`s, then the global ones), and renamed as ngspice names
//!   flattened elements: node `n2` of `x1` is `x1.n2` (ports are the
//!   instance's nodes; `0` and `gnd` stay ground), element `vs` is
//!   `v.x1.vs`, nested instance `x2` makes `x1.x2.n2` and `r.x1.x2.r1`, a
//!   crossbar `xb` is `x1.xb` (its nodes `x1.xb.t0.0` …).
//! - `.func name(a, b) = expr`: calls are expanded in place wherever an
//!   expression is written (values, B-source laws, arguments).

use super::*;
use crate::netlist::Span;

/// Deepest nesting of instances (and of `.func` calls).
pub const MAX_DEPTH: usize = 64;
/// Most instances one netlist may expand to, all levels together.
pub const MAX_INSTANCES: usize = 4 << 20;
/// Most expression nodes `.func` expansion may create in one card.
const MAX_EXPANDED: usize = 1 << 20;

/// A subcircuit definition: its card's name, ports and default
/// parameters, and its body's cards (card index, parsed card).
pub(super) struct SubDef {
    pub name: Name,
    pub ports: Vec<Name>,
    pub params: Vec<(Name, Value)>,
    pub body: Vec<(usize, Card)>,
}

/// The user functions: name → (argument names, body, where defined).
pub(super) type Funcs = HashMap<String, (Vec<String>, Expr, Span)>;

/// Expand every user-function call in `card`.
pub(super) fn expand_card(card: &mut Card, funcs: &Funcs) -> Result<(), Diagnostic> {
    let mut err = None;
    card.exprs_mut(&mut |e| {
        if err.is_none() {
            let mut budget = MAX_EXPANDED;
            if let Err(d) = expand(e, funcs, 0, &mut budget) {
                err = Some(d);
            }
        }
    });
    err.map_or(Ok(()), Err)
}

/// Replace every call of a `.func` in `e` by its body with the arguments
/// in place of its parameters.
pub(super) fn expand(
    e: &mut Expr,
    funcs: &Funcs,
    depth: usize,
    budget: &mut usize,
) -> Result<(), Diagnostic> {
    if e.first_user().is_none() {
        return Ok(());
    }
    let mut err = None;
    e.visit_mut(&mut |x| {
        if err.is_some() {
            return;
        }
        let Expr::User(name, args, span) = x else {
            return;
        };
        let r = (|| {
            let Some((formals, body, def)) = funcs.get(name.as_str()) else {
                return Err(super::super::params::unknown_function(name, *span));
            };
            if formals.len() != args.len() {
                return Err(Diagnostic::new(
                    *span,
                    format!(
                        "{name}() takes {} argument(s), got {}",
                        formals.len(),
                        args.len()
                    ),
                )
                .with_note(*def, "defined here"));
            }
            if depth >= MAX_DEPTH {
                return Err(Diagnostic::new(
                    *span,
                    format!("functions call each other more than {MAX_DEPTH} deep here"),
                )
                .with_hint("a .func may not call itself"));
            }
            let mut actual = std::mem::take(args);
            for a in &mut actual {
                expand(a, funcs, depth + 1, budget)?;
            }
            let mut out = body.clone();
            let mut size = 0usize;
            out.visit_mut(&mut |y| {
                size += 1;
                if let Expr::Param(p, _) = y {
                    if let Some(k) = formals.iter().position(|f| f == p) {
                        *y = actual[k].clone();
                    }
                }
            });
            *budget = budget.saturating_sub(size);
            if *budget == 0 {
                return Err(Diagnostic::new(
                    *span,
                    "expanding the .func calls here makes an expression too large",
                ));
            }
            expand(&mut out, funcs, depth + 1, budget)?;
            Ok(out)
        })();
        match r {
            Ok(out) => *x = out,
            Err(d) => err = Some(d),
        }
    });
    err.map_or(Ok(()), Err)
}

/// An instance being expanded: its hierarchical path (`x1`, `x1.x2`),
/// the actual node of each port, and its evaluated parameters.
struct Scope<'a> {
    path: String,
    ports: HashMap<&'a str, String>,
    locals: HashMap<String, f64>,
    globals: &'a std::collections::HashSet<String>,
}

impl Scope<'_> {
    fn node(&self, n: &str) -> String {
        if n == "0" || crate::circuit::nodes::is_ground_alias(n) || self.globals.contains(n) {
            return n.to_string();
        }
        match self.ports.get(n) {
            Some(actual) => actual.clone(),
            None => format!("{}.{n}", self.path),
        }
    }

    /// A body card as this instance has it: parameters in place, nodes
    /// and element name renamed.
    fn card(&self, mut card: Card) -> Card {
        card.exprs_mut(&mut |e| substitute(e, &self.locals));
        for n in card.nodes_mut() {
            n.text = self.node(&n.text);
        }
        // Probes in any expression (a B-source's law, a behavioural
        // resistor's value) read this instance's nodes and elements.
        {
            card.exprs_mut(&mut |expr| {
                expr.visit_mut(&mut |x| {
                    if let Expr::Volt(a, b, _) = x {
                        *a = self.node(a);
                        if let Some(b) = b {
                            *b = self.node(b);
                        }
                    }
                    // I(name) reads an element of this instance, renamed as
                    // its card is below.
                    if let Expr::Curr(n, _) = x {
                        let letter = n.chars().next().unwrap_or('v');
                        *n = format!("{letter}.{}.{n}", self.path);
                    }
                })
            });
        }
        if let Card::CcSource { control, .. } = &mut card {
            let letter = control.text.chars().next().unwrap_or('v');
            control.text = format!("{letter}.{}.{}", self.path, control.text);
        }
        let instance = matches!(card, Card::Instance { .. });
        if let Some(name) = card.element_name_mut() {
            name.text = if instance {
                format!("{}.{}", self.path, name.text)
            } else if let Some(rest) = name.text.strip_prefix("ymemristor ") {
                format!("ymemristor {}.{rest}", self.path)
            } else {
                let letter = name.text.chars().next().unwrap_or('x');
                format!("{letter}.{}.{}", self.path, name.text)
            };
        }
        card
    }
}

/// Parameters of the scope as numbers.
fn substitute(e: &mut Expr, locals: &HashMap<String, f64>) {
    if locals.is_empty() {
        return;
    }
    e.visit_mut(&mut |x| {
        if let Expr::Param(n, _) = x {
            if let Some(v) = locals.get(n.as_str()) {
                *x = Expr::Num(*v);
            }
        }
    });
}

/// What expanding instances needs besides the elaboration itself.
pub(super) struct InstCx<'a> {
    pub deck: &'a Deck,
    pub defs: &'a HashMap<String, SubDef>,
    pub model_index: &'a HashMap<String, u32>,
    pub model_cards: &'a HashMap<&'a str, (&'a Name, &'a Name, &'a Vec<Arg>)>,
    /// `.global` node names.
    pub globals: &'a std::collections::HashSet<String>,
}

impl Elab {
    /// Expand instance `card` (its nodes already the parent's actual nodes,
    /// its parameter values the parent's, its name the full path).
    pub(super) fn instance(
        &mut self,
        cx: &InstCx,
        card: Card,
        parent: &HashMap<String, f64>,
        stack: &mut Vec<String>,
        count: &mut usize,
    ) {
        let Card::Instance {
            name,
            nodes,
            subckt,
            params,
        } = card
        else {
            return;
        };
        let Some(def) = cx.defs.get(&subckt.text) else {
            self.errors.push(
                Diagnostic::new(subckt.span, format!("unknown subcircuit '{}'", subckt.text))
                    .with_hint(
                        "define it with .subckt ... .ends, or .include / .lib the file that does",
                    ),
            );
            return;
        };
        if stack.contains(&subckt.text) {
            self.errors.push(Diagnostic::new(
                subckt.span,
                format!(
                    "subcircuit '{}' contains itself ({} -> {})",
                    subckt.text,
                    stack.join(" -> "),
                    subckt.text
                ),
            ));
            return;
        }
        if stack.len() >= MAX_DEPTH {
            self.errors.push(Diagnostic::new(
                subckt.span,
                format!("subcircuit instances nested more than {MAX_DEPTH} deep"),
            ));
            return;
        }
        *count += 1;
        if *count > MAX_INSTANCES {
            if *count == MAX_INSTANCES + 1 {
                self.errors.push(Diagnostic::new(
                    name.span,
                    format!(
                        "the netlist expands to more than {MAX_INSTANCES} subcircuit instances"
                    ),
                ));
            }
            return;
        }
        if nodes.len() != def.ports.len() {
            self.errors.push(
                Diagnostic::new(
                    name.span,
                    format!(
                        "'{}' connects {} node(s), but subcircuit '{}' has {} port(s)",
                        name.text,
                        nodes.len(),
                        def.name.text,
                        def.ports.len()
                    ),
                )
                .with_note(def.name.span, "defined here"),
            );
            return;
        }
        let before = self.errors.len();
        let mut scope = Scope {
            path: name.text.clone(),
            ports: def
                .ports
                .iter()
                .map(|p| p.text.as_str())
                .zip(nodes.into_iter().map(|n| n.text))
                .collect(),
            locals: HashMap::new(),
            globals: cx.globals,
        };
        // Parameters: the instance's values (in the parent's scope), else
        // the defaults (which may use the ones before them), then the
        // body's .param cards.
        let mut given: HashMap<&str, f64> = HashMap::new();
        for (k, v) in &params {
            if !def.params.iter().any(|(p, _)| p.text == k.text) {
                self.errors.push(
                    Diagnostic::new(
                        k.span,
                        format!(
                            "subcircuit '{}' has no parameter '{}'",
                            def.name.text, k.text
                        ),
                    )
                    .with_note(def.name.span, "defined here"),
                );
                continue;
            }
            if let Some(x) = self.value(v) {
                given.insert(&k.text, x);
            }
        }
        let eval_local = |e: &mut Elab, scope: &mut Scope, n: &Name, v: &Value| {
            let mut v = v.clone();
            substitute(&mut v.expr, parent);
            substitute(&mut v.expr, &scope.locals);
            if let Some(x) = e.value(&v) {
                scope.locals.insert(n.text.clone(), x);
            }
        };
        for (p, v) in &def.params {
            match given.get(p.text.as_str()) {
                Some(x) => {
                    scope.locals.insert(p.text.clone(), *x);
                }
                None => eval_local(self, &mut scope, p, v),
            }
        }
        for (_, c) in &def.body {
            if let Card::Param(ps) = c {
                for (n, v) in ps {
                    eval_local(self, &mut scope, n, v);
                }
            }
        }
        if self.errors.len() == before {
            stack.push(subckt.text.clone());
            for (k, c) in &def.body {
                if matches!(c, Card::Param(_)) {
                    continue;
                }
                self.c.nodes.set_card(*k as u32);
                let c = scope.card(c.clone());
                match c {
                    Card::Instance { .. } => self.instance(cx, c, &scope.locals, stack, count),
                    Card::Crossbar { name, args, span } => self.crossbar(
                        cx.deck,
                        &name,
                        &args,
                        span,
                        cx.model_index,
                        cx.model_cards,
                        &scope.path,
                    ),
                    c => self.element(c, cx.model_index, cx.model_cards),
                }
            }
            stack.pop();
        }
        // Say where an error inside the body came from.
        let note = format!("in '{}', an instance of '{}'", name.text, def.name.text);
        for d in &mut self.errors[before..] {
            if d.note.is_none() {
                d.note = Some((name.span, note.clone()));
            }
        }
    }
}
