//! Behavioural current sources `Bname n+ n- I={expr}`: the expression is
//! compiled (parameters folded to constants) to a small stack program that is
//! evaluated with forward-mode derivatives (dual numbers), so Newton gets
//! exact Jacobian entries. `V(a)` and `V(a,b)` become probes: the program
//! reads probe k's voltage from an input slice.

use crate::netlist::expr::{apply_func, BinOp, Func};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    Const(f64),
    Probe(u16),
    Neg,
    Bin(BinOp),
    Call1(Func),
    Call2(Func),
    Call3(Func),
}

/// A compiled expression.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Program {
    pub ops: Vec<Op>,
    /// Deepest stack use, to size scratch once.
    pub depth: usize,
}

#[derive(Clone, Copy, Debug, Default)]
struct Dual {
    v: f64,
    d: f64,
}

impl Program {
    /// True when the program is affine in its probes (constants, sums,
    /// products and quotients by constants): one linear solve is exact.
    pub fn is_linear(&self) -> bool {
        // Per stack entry: true when it is a constant.
        let mut st: Vec<bool> = Vec::with_capacity(self.depth);
        for op in &self.ops {
            match *op {
                Op::Const(_) => st.push(true),
                Op::Probe(_) => st.push(false),
                Op::Neg => {}
                Op::Bin(b) => {
                    let y = st.pop().unwrap_or(true);
                    let x = st.pop().unwrap_or(true);
                    let ok = match b {
                        BinOp::Add | BinOp::Sub => true,
                        BinOp::Mul => x || y,
                        BinOp::Div => y,
                        _ => x && y,
                    };
                    if !ok {
                        return false;
                    }
                    st.push(x && y);
                }
                Op::Call1(_) | Op::Call2(_) | Op::Call3(_) => {
                    let n = match *op {
                        Op::Call1(_) => 1,
                        Op::Call2(_) => 2,
                        _ => 3,
                    };
                    let mut all = true;
                    for _ in 0..n {
                        all &= st.pop().unwrap_or(true);
                    }
                    if !all {
                        return false;
                    }
                    st.push(true);
                }
            }
        }
        true
    }

    /// Evaluate with probe values `p` and a seed direction `s` (dp/dt):
    /// returns (value, directional derivative Σ ∂f/∂p_k · s_k).
    /// `stack` is scratch reused across calls (no allocation once grown).
    #[inline]
    pub fn eval_dual(&self, p: &[f64], s: &[f64], stack: &mut Vec<(f64, f64)>) -> (f64, f64) {
        stack.clear();
        for op in &self.ops {
            match *op {
                Op::Const(c) => stack.push((c, 0.0)),
                Op::Probe(k) => stack.push((p[k as usize], s[k as usize])),
                Op::Neg => {
                    if let Some(t) = stack.last_mut() {
                        *t = (-t.0, -t.1);
                    }
                }
                Op::Bin(b) => {
                    let (y, dy) = stack.pop().unwrap_or_default();
                    let (x, dx) = stack.pop().unwrap_or_default();
                    let r = bin(b, Dual { v: x, d: dx }, Dual { v: y, d: dy });
                    stack.push((r.v, r.d));
                }
                Op::Call1(f) => {
                    let (x, dx) = stack.pop().unwrap_or_default();
                    let r = call1(f, Dual { v: x, d: dx });
                    stack.push((r.v, r.d));
                }
                Op::Call2(f) => {
                    let (y, dy) = stack.pop().unwrap_or_default();
                    let (x, dx) = stack.pop().unwrap_or_default();
                    let r = call2(f, Dual { v: x, d: dx }, Dual { v: y, d: dy });
                    stack.push((r.v, r.d));
                }
                Op::Call3(f) => {
                    let c = stack.pop().unwrap_or_default();
                    let b = stack.pop().unwrap_or_default();
                    let a = stack.pop().unwrap_or_default();
                    stack.push(call3(f, a, b, c));
                }
            }
        }
        stack.pop().unwrap_or_default()
    }
}

#[inline]
fn bin(op: BinOp, x: Dual, y: Dual) -> Dual {
    match op {
        BinOp::Add => Dual {
            v: x.v + y.v,
            d: x.d + y.d,
        },
        BinOp::Sub => Dual {
            v: x.v - y.v,
            d: x.d - y.d,
        },
        BinOp::Mul => Dual {
            v: x.v * y.v,
            d: strong_mul(x.d, y.v) + strong_mul(x.v, y.d),
        },
        BinOp::Div => {
            // d(x/y) = (dx - (x/y) dy) / y: the quotient first, so y² never
            // overflows; where y has overflowed to ±inf (an exp far past
            // 709) the quotient is 0 and so is its slope, not inf/inf.
            let q = x.v / y.v;
            Dual {
                v: q,
                d: (x.d - strong_mul(q, y.d)) / y.v,
            }
        }
        BinOp::Pow => pow(x, y),
        // Comparisons and logic: piecewise constant.
        _ => bin_logic(op, x, y),
    }
}

/// a·b where an exact 0 wins over ±inf (a constant's zero slope times an
/// overflowed value, an underflowed value times an overflowed slope): the
/// chain rule's terms are products of a factor that does not move with one
/// that does, and 0·inf = NaN would poison the Jacobian of a law whose
/// value is finite.
#[inline]
fn strong_mul(a: f64, b: f64) -> f64 {
    if a == 0.0 || b == 0.0 {
        0.0
    } else {
        a * b
    }
}

#[inline]
fn pow(x: Dual, y: Dual) -> Dual {
    let v = x.v.powf(y.v);
    // d(x^y) = y x^(y-1) dx + x^y ln(x) dy ; the second term only when dy != 0.
    let mut d = if x.d != 0.0 {
        y.v * x.v.powf(y.v - 1.0) * x.d
    } else {
        0.0
    };
    if y.d != 0.0 {
        d += v * x.v.ln() * y.d;
    }
    Dual { v, d }
}

#[inline]
fn call1(f: Func, x: Dual) -> Dual {
    let v = apply_func(f, &[x.v]);
    let dfdx = match f {
        Func::Exp => v,
        Func::Log => 1.0 / x.v,
        Func::Log10 => 1.0 / (x.v * std::f64::consts::LN_10),
        Func::Sqrt => 0.5 / v,
        Func::Sinh => x.v.cosh(),
        Func::Cosh => x.v.sinh(),
        Func::Tanh => 1.0 - v * v,
        Func::Abs => {
            if x.v >= 0.0 {
                1.0
            } else {
                -1.0
            }
        }
        Func::U => 0.0,
        Func::Uramp => f64::from(x.v > 0.0),
        Func::Sin => x.v.cos(),
        Func::Cos => -x.v.sin(),
        Func::Tan => 1.0 + v * v,
        Func::Asin => 1.0 / (1.0 - x.v * x.v).sqrt(),
        Func::Acos => -1.0 / (1.0 - x.v * x.v).sqrt(),
        Func::Atan => 1.0 / (1.0 + x.v * x.v),
        Func::Asinh => 1.0 / (x.v * x.v + 1.0).sqrt(),
        Func::Acosh => 1.0 / (x.v * x.v - 1.0).sqrt(),
        Func::Atanh => 1.0 / (1.0 - x.v * x.v),
        // Piecewise constant: no slope (as ngspice).
        Func::Sgn | Func::Floor | Func::Ceil | Func::Int | Func::Nint => 0.0,
        Func::U2 => f64::from(x.v > 0.0 && x.v < 1.0),
        // Two- and three-argument functions are differentiated below; the
        // Monte Carlo draws never reach a program (they are folded first).
        Func::Min | Func::Max | Func::Pow | Func::If | Func::Limit => 0.0,
        Func::Agauss | Func::Gauss | Func::Aunif | Func::Unif => 0.0,
        // At t = 0 (folded before compile, too): constants in x.
        Func::Sdt | Func::Ddt => 0.0,
    };
    Dual {
        v,
        d: if x.d == 0.0 { 0.0 } else { dfdx * x.d },
    }
}

/// `if(c, a, b)`: the chosen branch with its derivative; `limit(x, lo,
/// hi)`: x where inside, else the bound it meets (their value and slope).
#[inline]
fn call3(f: Func, a: (f64, f64), b: (f64, f64), c: (f64, f64)) -> (f64, f64) {
    match f {
        Func::If => {
            if a.0 != 0.0 {
                b
            } else {
                c
            }
        }
        // sdt(x, ic, reset) at t = 0 is ic.
        Func::Sdt => b,
        _ => {
            if a.0 < b.0 {
                b
            } else if a.0 > c.0 {
                c
            } else {
                a
            }
        }
    }
}

#[inline]
fn bin_logic(op: BinOp, x: Dual, y: Dual) -> Dual {
    Dual {
        v: op.apply(x.v, y.v),
        d: 0.0,
    }
}

#[inline]
fn call2(f: Func, x: Dual, y: Dual) -> Dual {
    match f {
        Func::Min => {
            if x.v <= y.v {
                x
            } else {
                y
            }
        }
        Func::Max => {
            if x.v >= y.v {
                x
            } else {
                y
            }
        }
        // sdt(x, ic) at t = 0 is ic.
        Func::Sdt => y,
        _ => pow(x, y),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn dual_sinh() {
        // 2e-5*sinh(2.6*p0)
        let p = Program {
            ops: vec![
                Op::Const(2e-5),
                Op::Const(2.6),
                Op::Probe(0),
                Op::Bin(BinOp::Mul),
                Op::Call1(Func::Sinh),
                Op::Bin(BinOp::Mul),
            ],
            depth: 3,
        };
        let mut st = Vec::new();
        let (v, d) = p.eval_dual(&[0.3], &[1.0], &mut st);
        assert!((v - 2e-5 * (0.78f64).sinh()).abs() < 1e-18);
        assert!((d - 2e-5 * 2.6 * (0.78f64).cosh()).abs() < 1e-18);
    }
    #[test]
    fn quotient_by_an_overflowed_exp_has_zero_slope() {
        // -9900/(1+0.8*exp(-4e4*p0)): the slope is exact where exp is finite
        // and 0 (not NaN) where it has overflowed.
        let p = Program {
            ops: vec![
                Op::Const(-9900.0),
                Op::Const(1.0),
                Op::Const(0.8),
                Op::Const(-4e4),
                Op::Probe(0),
                Op::Bin(BinOp::Mul),
                Op::Call1(Func::Exp),
                Op::Bin(BinOp::Mul),
                Op::Bin(BinOp::Add),
                Op::Bin(BinOp::Div),
            ],
            depth: 5,
        };
        let mut st = Vec::new();
        assert_eq!(p.eval_dual(&[-1e4], &[1.0], &mut st), (0.0, 0.0));
        let x = 1e-5f64;
        let e = (-4e4 * x).exp();
        let (v, d) = p.eval_dual(&[x], &[1.0], &mut st);
        assert!((v + 9900.0 / (1.0 + 0.8 * e)).abs() < 1e-9);
        let want = -9900.0 * 0.8 * 4e4 * e / (1.0 + 0.8 * e).powi(2);
        assert!((d - want).abs() < 1e-9 * want.abs(), "{d} {want}");
    }
    #[test]
    fn pow_negative_base_integer_exponent() {
        let p = Program {
            ops: vec![Op::Probe(0), Op::Const(3.0), Op::Bin(BinOp::Pow)],
            depth: 2,
        };
        let mut st = Vec::new();
        let (v, d) = p.eval_dual(&[-2.0], &[1.0], &mut st);
        assert_eq!(v, -8.0);
        assert_eq!(d, 12.0);
    }
}
