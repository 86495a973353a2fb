//! `.param` evaluation: parameters are global, may reference each other in any
//! order, and are evaluated lazily with cycle detection.

use crate::netlist::expr::{apply_func, Expr, Func};
use crate::netlist::{Diagnostic, Span, Value};

/// Magnitudes a card value may have (besides 0).
pub const MIN_MAGNITUDE: f64 = 1e-30;
pub const MAX_MAGNITUDE: f64 = 1e30;
use std::collections::{HashMap, HashSet};

#[derive(Default, Debug)]
pub struct Params {
    defs: HashMap<String, (Expr, Span)>,
    values: HashMap<String, f64>,
    /// A Monte Carlo sample's generator: `agauss`, `gauss`, `aunif` and
    /// `unif` draw from it; without one they give their nominal value.
    rng: Option<rand::rngs::StdRng>,
}

impl Params {
    /// Define `name` (a later definition of the same name replaces an earlier one, as in SPICE).
    pub fn define(&mut self, name: &str, expr: Expr, span: Span) {
        self.defs.insert(name.to_string(), (expr, span));
        self.values.clear();
    }

    /// Draw the Monte Carlo functions from a generator seeded with `seed`
    /// (one sample). A parameter is evaluated once, so every use of a
    /// `.param` defined by a draw sees the same value in a sample; a draw
    /// written in an element's value is drawn for that element.
    pub fn set_sample(&mut self, seed: u64) {
        use rand::SeedableRng;
        self.rng = Some(rand::rngs::StdRng::seed_from_u64(seed));
        self.values.clear();
    }

    /// Whether `name` is defined by a `.param`.
    pub fn is_defined(&self, name: &str) -> bool {
        self.defs.contains_key(name)
    }

    /// The span of `name`'s definition.
    pub fn span_of(&self, name: &str) -> Option<Span> {
        self.defs.get(name).map(|d| d.1)
    }

    /// Evaluate a constant expression (no `V(...)`).
    pub fn eval(&mut self, e: &Expr) -> Result<f64, Diagnostic> {
        self.eval_in(e)
    }

    /// A card's numeric value: finite, and 0 or of a magnitude within
    /// [`MIN_MAGNITUDE`, `MAX_MAGNITUDE`] (a subnormal read voltage reads
    /// every device as 0 S; a 1e308 V source overflows every current).
    /// Errors are located at the value.
    pub fn eval_value(&mut self, v: &Value) -> Result<f64, Diagnostic> {
        let x = self.eval(&v.expr)?;
        if !x.is_finite() {
            return Err(Diagnostic::new(
                v.span,
                format!("value is not a finite number ({x})"),
            ));
        }
        if x != 0.0 && !(MIN_MAGNITUDE..=MAX_MAGNITUDE).contains(&x.abs()) {
            return Err(Diagnostic::new(
                v.span,
                format!("value {x:e} is outside the range xbarsim computes with (0 or a magnitude of {MIN_MAGNITUDE:e}..{MAX_MAGNITUDE:e})"),
            ));
        }
        Ok(x)
    }

    /// The value of `name` if it is already known (evaluated, or built in).
    fn known(&self, name: &str) -> Option<f64> {
        if let Some(v) = self.values.get(name) {
            return Some(*v);
        }
        match name {
            "pi" if !self.defs.contains_key(name) => Some(std::f64::consts::PI),
            _ => None,
        }
    }

    /// Evaluate parameter `name` (referenced at `span`) and every parameter
    /// it depends on, deepest first. The walk keeps its own stack, so a chain
    /// of ten thousand `.param` definitions costs no call-stack depth; only
    /// one expression tree at a time is evaluated recursively.
    fn lookup(&mut self, name: &str, span: Span) -> Result<f64, Diagnostic> {
        if let Some(v) = self.known(name) {
            return Ok(v);
        }
        if !self.defs.contains_key(name) {
            return Err(undefined(name, span));
        }
        let mut path: Vec<String> = vec![name.to_string()];
        let mut on_path: HashSet<String> = HashSet::from([name.to_string()]);
        while let Some(top) = path.last() {
            let expr = &self.defs[top.as_str()].0;
            let mut refs = Vec::new();
            expr.params(&mut refs);
            let pending = refs
                .into_iter()
                .find(|(n, _)| self.known(n).is_none())
                .map(|(n, s)| (n.to_string(), s));
            match pending {
                Some((n, s)) => {
                    if on_path.contains(&n) {
                        let from = path.iter().position(|p| *p == n).unwrap_or(0);
                        let ring = &path[from..];
                        let cycle = if ring.len() <= 8 {
                            ring.join(" -> ")
                        } else {
                            format!(
                                "{} -> ... {} more ... -> {}",
                                ring[..4].join(" -> "),
                                ring.len() - 7,
                                ring[ring.len() - 3..].join(" -> ")
                            )
                        };
                        return Err(Diagnostic::new(
                            s,
                            format!(
                                "parameter '{n}' is defined in terms of itself ({cycle} -> {n})"
                            ),
                        ));
                    }
                    if !self.defs.contains_key(&n) {
                        return Err(undefined(&n, s));
                    }
                    on_path.insert(n.clone());
                    path.push(n);
                }
                None => {
                    let expr = self.defs[top.as_str()].0.clone();
                    let v = self.eval_in(&expr)?;
                    let done = path.pop().unwrap_or_default();
                    on_path.remove(&done);
                    self.values.insert(done, v);
                }
            }
        }
        self.known(name).ok_or_else(|| undefined(name, span))
    }

    fn eval_in(&mut self, e: &Expr) -> Result<f64, Diagnostic> {
        Ok(match e {
            Expr::Num(v) => *v,
            Expr::Param(n, s) => self.lookup(n, *s)?,
            Expr::Volt(_, _, s) => {
                return Err(Diagnostic::new(
                    *s,
                    "node voltages V(...) are only allowed in B-source expressions",
                ))
            }
            Expr::Curr(_, s) => {
                return Err(Diagnostic::new(
                    *s,
                    "branch currents I(...) are only allowed in B-source expressions",
                ))
            }
            Expr::Neg(a) => -self.eval_in(a)?,
            Expr::Bin(op, a, b) => {
                let (x, y) = (self.eval_in(a)?, self.eval_in(b)?);
                op.apply(x, y)
            }
            Expr::User(n, _, s) => return Err(unknown_function(n, *s)),
            Expr::Call(f, args, s) if f.is_random() => {
                let mut a = [0.0; 3];
                for (k, e) in args.iter().enumerate().take(3) {
                    a[k] = self.eval_in(e)?;
                }
                self.draw(*f, a, *s)?
            }
            Expr::Call(f, args, s) => {
                let mut a = [0.0; 3];
                for (k, e) in args.iter().enumerate().take(3) {
                    a[k] = self.eval_in(e)?;
                }
                let x = a[0];
                let r = apply_func(*f, &a[..args.len().min(3)]);
                if !r.is_finite() && a.iter().all(|v| v.is_finite()) {
                    return Err(Diagnostic::new(
                        *s,
                        format!("{}() is undefined here (argument {x})", f.name()),
                    ));
                }
                r
            }
        })
    }

    /// A Monte Carlo function's value: a draw in a sample, else the nominal.
    fn draw(&mut self, f: Func, a: [f64; 3], at: Span) -> Result<f64, Diagnostic> {
        use rand::Rng;
        use rand_distr::{Distribution, StandardNormal};
        let (nom, var, sigma) = (a[0], a[1], a[2]);
        let gaussian = matches!(f, Func::Agauss | Func::Gauss);
        if !(var >= 0.0 && var.is_finite()) || (gaussian && !(sigma > 0.0 && sigma.is_finite())) {
            let what = if gaussian {
                format!("a variation >= 0 and a sigma > 0, got {var} and {sigma}")
            } else {
                format!("a variation >= 0, got {var}")
            };
            return Err(Diagnostic::new(at, format!("{}() needs {what}", f.name())));
        }
        let Some(rng) = self.rng.as_mut() else {
            return Ok(nom);
        };
        Ok(match f {
            Func::Agauss => {
                let z: f64 = StandardNormal.sample(rng);
                nom + var / sigma * z
            }
            Func::Gauss => {
                let z: f64 = StandardNormal.sample(rng);
                nom * (1.0 + var / sigma * z)
            }
            Func::Aunif => nom + var * rng.random_range(-1.0..=1.0),
            _ => nom * (1.0 + var * rng.random_range(-1.0..=1.0)),
        })
    }

    /// Fold parameters into an expression that may contain `V(...)` probes:
    /// every sub-tree without probes becomes a number.
    /// A constant part that is not a finite number (`1/0`, `log(0)`) is an
    /// error located at `at` (the expression): it would make every solve fail.
    pub fn fold(&mut self, e: &Expr, at: Span) -> Result<Expr, Diagnostic> {
        if !e.has_probe() {
            let v = self.eval(e)?;
            if !v.is_finite() {
                return Err(Diagnostic::new(
                    at,
                    format!("a constant part of this expression is not a finite number ({v})"),
                )
                .with_hint("look for a division by zero or a function outside its domain"));
            }
            return Ok(Expr::Num(v));
        }
        Ok(match e {
            // A function of time at t = 0 (a DC analysis): `sdt`'s initial
            // value, `ddt`'s 0, whatever x reads.
            Expr::Call(Func::Sdt, args, _) => match args.get(1) {
                Some(ic) => self.fold(ic, at)?,
                None => Expr::Num(0.0),
            },
            Expr::Call(Func::Ddt, ..) => Expr::Num(0.0),
            Expr::Neg(a) => Expr::Neg(Box::new(self.fold(a, at)?)),
            Expr::Bin(op, a, b) => Expr::Bin(
                *op,
                Box::new(self.fold(a, at)?),
                Box::new(self.fold(b, at)?),
            ),
            Expr::Call(f, args, s) => Expr::Call(
                *f,
                args.iter()
                    .map(|a| self.fold(a, at))
                    .collect::<Result<_, _>>()?,
                *s,
            ),
            Expr::User(n, _, s) => return Err(unknown_function(n, *s)),
            other => other.clone(),
        })
    }
}

/// A call of a function that is neither built in nor a `.func`.
pub fn unknown_function(name: &str, span: Span) -> Diagnostic {
    Diagnostic::new(span, format!("unknown function '{name}'")).with_hint(
        "built in: exp log ln log10 sqrt sin cos tan asin acos atan sinh cosh tanh asinh acosh atanh abs sgn floor ceil int nint min max pow pwr if limit u u2 uramp stp agauss gauss aunif unif sdt idt ddt; or define it with .func name(args) = expr",
    )
}

fn undefined(name: &str, span: Span) -> Diagnostic {
    Diagnostic::new(span, format!("undefined parameter '{name}'"))
        .with_hint("define it with .param name=value")
}
