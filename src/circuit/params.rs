//! `.param` evaluation: parameters are global, may reference each other in any
//! order, and are evaluated lazily with cycle detection.

use crate::netlist::expr::{apply_func, BinOp, Expr};
use crate::netlist::{Diagnostic, Span};
use std::collections::HashMap;

#[derive(Default)]
pub struct Params {
    defs: HashMap<String, (Expr, Span)>,
    values: HashMap<String, f64>,
}

impl Params {
    /// Define `name` (a later definition of the same name replaces an earlier one, as in SPICE).
    pub fn define(&mut self, name: &str, expr: Expr, span: Span) {
        self.defs.insert(name.to_string(), (expr, span));
        self.values.clear();
    }

    /// Evaluate a constant expression (no `V(...)`).
    pub fn eval(&mut self, e: &Expr) -> Result<f64, Diagnostic> {
        let mut visiting = Vec::new();
        self.eval_in(e, &mut visiting)
    }

    fn lookup(
        &mut self,
        name: &str,
        span: Span,
        visiting: &mut Vec<String>,
    ) -> Result<f64, Diagnostic> {
        if let Some(v) = self.values.get(name) {
            return Ok(*v);
        }
        if visiting.iter().any(|n| n == name) {
            let cycle = visiting.join(" -> ");
            return Err(Diagnostic::new(
                span,
                format!("parameter '{name}' is defined in terms of itself ({cycle} -> {name})"),
            ));
        }
        let Some((expr, _)) = self.defs.get(name).cloned() else {
            return match name {
                "pi" => Ok(std::f64::consts::PI),
                _ => Err(
                    Diagnostic::new(span, format!("undefined parameter '{name}'"))
                        .with_hint("define it with .param name=value"),
                ),
            };
        };
        visiting.push(name.to_string());
        let v = self.eval_in(&expr, visiting)?;
        visiting.pop();
        self.values.insert(name.to_string(), v);
        Ok(v)
    }

    fn eval_in(&mut self, e: &Expr, visiting: &mut Vec<String>) -> Result<f64, Diagnostic> {
        Ok(match e {
            Expr::Num(v) => *v,
            Expr::Param(n, s) => self.lookup(n, *s, visiting)?,
            Expr::Volt(_, _, s) => {
                return Err(Diagnostic::new(
                    *s,
                    "node voltages V(...) are only allowed in B-source expressions",
                ))
            }
            Expr::Neg(a) => -self.eval_in(a, visiting)?,
            Expr::Bin(op, a, b) => {
                let (x, y) = (self.eval_in(a, visiting)?, self.eval_in(b, visiting)?);
                match op {
                    BinOp::Add => x + y,
                    BinOp::Sub => x - y,
                    BinOp::Mul => x * y,
                    BinOp::Div => x / y,
                    BinOp::Pow => x.powf(y),
                }
            }
            Expr::Call(f, args, s) => {
                let x = self.eval_in(&args[0], visiting)?;
                let y = match args.get(1) {
                    Some(a) => self.eval_in(a, visiting)?,
                    None => 0.0,
                };
                let r = apply_func(*f, x, y);
                if !r.is_finite() && x.is_finite() && y.is_finite() {
                    return Err(Diagnostic::new(
                        *s,
                        format!("{}() is undefined here (argument {x})", f.name()),
                    ));
                }
                r
            }
        })
    }

    /// Fold parameters into an expression that may contain `V(...)` probes:
    /// every sub-tree without probes becomes a number.
    pub fn fold(&mut self, e: &Expr) -> Result<Expr, Diagnostic> {
        if !e.has_probe() {
            return Ok(Expr::Num(self.eval(e)?));
        }
        Ok(match e {
            Expr::Neg(a) => Expr::Neg(Box::new(self.fold(a)?)),
            Expr::Bin(op, a, b) => Expr::Bin(*op, Box::new(self.fold(a)?), Box::new(self.fold(b)?)),
            Expr::Call(f, args, s) => Expr::Call(
                *f,
                args.iter()
                    .map(|a| self.fold(a))
                    .collect::<Result<_, _>>()?,
                *s,
            ),
            other => other.clone(),
        })
    }
}
