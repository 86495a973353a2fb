//! The `.options` card: tolerances, iteration limit, solver choice.

use super::*;

/// Most Newton iterations `.options itl1=` may ask for.
const MAX_ITL1: f64 = 10_000.0;

impl Elab {
    pub(super) fn options(&mut self, args: &[Arg]) {
        // Xyce qualifies options by package (`.options timeint reltol=1e-4`):
        // its keys mean other things than SPICE's (there, the time
        // integrator's tolerance), so none of them sets xbarsim's.
        if let Some(a) = args.first().filter(|a| {
            matches!(a.value, ArgValue::Flag)
                && matches!(
                    a.key.text.as_str(),
                    "timeint"
                        | "device"
                        | "nonlin"
                        | "nonlin-tran"
                        | "nonlin-hb"
                        | "linsol"
                        | "linsol-hb"
                        | "output"
                        | "restart"
                        | "hbint"
                        | "parser"
                        | "diagnostic"
                        | "measure"
                        | "sensitivity"
                )
        }) {
            self.c.warnings.push(
                Diagnostic::new(
                    a.key.span,
                    format!(
                        "Xyce's '.options {}' package sets nothing in xbarsim; ignored",
                        a.key.text
                    ),
                )
                .warning(),
            );
            return;
        }
        for a in args {
            let key = a.key.text.as_str();
            if key == "solver" {
                use crate::circuit::SolverChoice;
                let word = match &a.value {
                    ArgValue::Value(Value {
                        expr: Expr::Param(w, _),
                        ..
                    }) => w.as_str(),
                    _ => "",
                };
                match word {
                    "auto" => self.c.options.solver = SolverChoice::Auto,
                    "direct" => self.c.options.solver = SolverChoice::Direct,
                    "iterative" => self.c.options.solver = SolverChoice::Iterative,
                    _ => self.errors.push(
                        Diagnostic::new(a.value.span(&a.key), "solver must be auto, direct or iterative")
                            .with_hint("auto: conjugate gradients for large symmetric systems, sparse Cholesky/LU otherwise"),
                    ),
                }
                continue;
            }
            let known = matches!(key, "reltol" | "abstol" | "vntol" | "gmin" | "itl1");
            if !known {
                // Other simulators' options (klu, method=gear, ...) are accepted and ignored.
                continue;
            }
            let Some(v) = self.arg_value(a) else { continue };
            let bad = |e: &mut Self, why: &str| {
                e.errors.push(Diagnostic::new(
                    a.value.span(&a.key),
                    format!("option {key}={v}: {why}"),
                ))
            };
            let o = &mut self.c.options;
            // Ranges beyond which a "converged" result would break KCL by
            // more than a user could mean to allow, or Newton never ends.
            match key {
                "reltol" if v > 0.0 && v <= 0.1 => o.reltol = v,
                "abstol" if v > 0.0 && v <= 1e-3 => o.abstol = v,
                "vntol" if v > 0.0 && v <= 1e-1 => o.vntol = v,
                "gmin" if (0.0..=1e-3).contains(&v) => o.gmin = v,
                "itl1" if (1.0..=MAX_ITL1).contains(&v) && v.fract() == 0.0 => o.itl1 = v as usize,
                "reltol" => bad(self, "must be in (0, 0.1]"),
                "abstol" => bad(self, "must be in (0, 1e-3] A"),
                "vntol" => bad(self, "must be in (0, 0.1] V"),
                "gmin" => bad(self, "must be in [0, 1e-3] S"),
                _ => bad(self, "must be a whole number 1..10000"),
            }
        }
    }
}
