//! Expressions: `{2*rval}`, `.param a=1k b={a/2}`, and B-source laws such as
//! `I=1e-5*sinh(2.6*V(a,b))`.
//!
//! Grammar (each rule is one parser function below; whitespace allowed between tokens):
//! ```text
//! expr   := or ('?' expr ':' expr)?             the conditional (as if(c, a, b))
//! or     := and ('||' and)*
//! and    := cmp ('&&' cmp)*
//! cmp    := sum (('<' | '<=' | '>' | '>=' | '==' | '!=') sum)?   1 when true, else 0
//! sum    := term (('+' | '-') term)*
//! term   := unary (('*' | '/') unary)*
//! unary  := ('-' | '+' | '!') unary | power
//! power  := atom (('^' | '**') unary)?          right-associative, binds tighter than unary minus
//! atom   := number | '(' expr ')' | '{' expr '}' | "'" expr "'" | vprobe | iprobe | call | ident
//! vprobe := 'V' '(' node (',' node)? ')'
//! iprobe := 'I' '(' element ')'                 a branch current (B-source laws only)
//! call   := func '(' expr (',' expr)* ')'       func: exp log ln log10 sqrt sinh cosh tanh abs min max pow
//!                                                if limit u uramp (and the Monte Carlo draws)
//! ```
//! So `-2^2` is −4. `x^y` is the real power: for a negative base and an integer
//! exponent it keeps the sign (`V(a)^3` is negative when `V(a)` is); a negative
//! base with a non-integer exponent is an evaluation error. (ngspice 39 computes
//! |x|^y instead; write `x*x*x` for netlists meant for both.)

use super::source::{FileId, Span};
use nom::{
    branch::alt,
    bytes::complete::{tag, take_while1},
    character::complete::{char, space0},
    combinator::opt,
    error::{ErrorKind, ParseError},
    sequence::{delimited, preceded},
    IResult, Parser,
};
use nom_locate::LocatedSpan;

/// Where a card's text sits in its file: the parser adds `base` to every offset.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ctx {
    pub file: FileId,
    pub base: usize,
}

pub type In<'a> = LocatedSpan<&'a str, Ctx>;

/// A parse error at a position, with a message.
#[derive(Debug, Clone, PartialEq)]
pub struct PErr {
    pub span: Span,
    /// Static for the errors nom produces while backtracking (no allocation on
    /// the hot path); owned for the committed errors users see.
    pub msg: std::borrow::Cow<'static, str>,
    pub hint: Option<String>,
}

impl<'a> ParseError<In<'a>> for PErr {
    fn from_error_kind(input: In<'a>, kind: ErrorKind) -> Self {
        PErr {
            span: span_at(&input, 1),
            msg: std::borrow::Cow::Borrowed(if kind == ErrorKind::Digit {
                "expected a number"
            } else {
                "syntax error"
            }),
            hint: None,
        }
    }
    fn append(_: In<'a>, _: ErrorKind, other: Self) -> Self {
        other
    }
}

pub type Res<'a, T> = IResult<In<'a>, T, PErr>;

/// Span of `len` bytes starting at `i`.
pub fn span_at(i: &In, len: usize) -> Span {
    let start = i.extra.base + i.location_offset();
    Span::new(
        i.extra.file,
        start,
        start + len.min(i.fragment().len()).max(1),
    )
}

/// Span from `a` (start) to `b` (where parsing stopped).
pub fn span_between(a: &In, b: &In) -> Span {
    let s = a.extra.base + a.location_offset();
    let e = b.extra.base + b.location_offset();
    Span::new(a.extra.file, s, e.max(s + 1))
}

/// A committed error at `i`: stops backtracking.
pub fn fail<T>(i: In, len: usize, msg: impl Into<String>) -> Res<T> {
    Err(nom::Err::Failure(PErr {
        span: span_at(&i, len),
        msg: std::borrow::Cow::Owned(msg.into()),
        hint: None,
    }))
}

/// Built-in functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    Exp,
    Log,
    Log10,
    Sqrt,
    Sinh,
    Cosh,
    Tanh,
    Abs,
    Min,
    Max,
    Pow,
    /// `agauss(nom, abs, sigma)`: nom + (abs/sigma)·N(0,1) in a Monte Carlo
    /// sample, nom otherwise (HSPICE/ngspice meaning).
    Agauss,
    /// `gauss(nom, rel, sigma)`: nom·(1 + (rel/sigma)·N(0,1)).
    Gauss,
    /// `aunif(nom, abs)`: uniform in [nom − abs, nom + abs].
    Aunif,
    /// `unif(nom, rel)`: nom·(1 + U(−rel, rel)).
    Unif,
    /// `if(c, a, b)` and `c ? a : b`: a where c ≠ 0, else b.
    If,
    /// `limit(x, lo, hi)`: x clamped into [lo, hi].
    Limit,
    /// `u(x)`: the unit step, 1 for x > 0, else 0.
    U,
    /// `uramp(x)`: x for x > 0, else 0.
    Uramp,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Asinh,
    Acosh,
    Atanh,
    /// `sgn(x)`: −1, 0 or 1.
    Sgn,
    /// `floor(x)`, `ceil(x)`; `int(x)` toward zero, `nint(x)` to the nearest
    /// (halves to even, as ngspice).
    Floor,
    Ceil,
    Int,
    Nint,
    /// `u2(x)`: 0 below 0, x on [0, 1], 1 above (ngspice).
    U2,
    /// `sdt(x[, ic[, reset]])` and `idt(...)` (LTspice, Xyce): the time
    /// integral of x from t = 0, plus ic. A DC analysis is at t = 0, so its
    /// value there is ic (0 without one), as a SPICE operating point has it.
    Sdt,
    /// `ddt(x)`: the time derivative of x; 0 in a DC analysis.
    Ddt,
}

impl Func {
    pub fn from_name(name: &str) -> Option<Func> {
        const NAMES: [(&str, Func); 40] = [
            ("exp", Func::Exp),
            ("log", Func::Log),
            ("ln", Func::Log),
            ("log10", Func::Log10),
            ("sqrt", Func::Sqrt),
            ("sinh", Func::Sinh),
            ("cosh", Func::Cosh),
            ("tanh", Func::Tanh),
            ("abs", Func::Abs),
            ("min", Func::Min),
            ("max", Func::Max),
            ("pow", Func::Pow),
            ("pwr", Func::Pow),
            ("agauss", Func::Agauss),
            ("gauss", Func::Gauss),
            ("aunif", Func::Aunif),
            ("unif", Func::Unif),
            ("if", Func::If),
            ("limit", Func::Limit),
            ("u", Func::U),
            // LTspice's name of the unit step.
            ("stp", Func::U),
            ("uramp", Func::Uramp),
            ("sin", Func::Sin),
            ("cos", Func::Cos),
            ("tan", Func::Tan),
            ("asin", Func::Asin),
            ("acos", Func::Acos),
            ("atan", Func::Atan),
            ("asinh", Func::Asinh),
            ("acosh", Func::Acosh),
            ("atanh", Func::Atanh),
            ("sgn", Func::Sgn),
            ("floor", Func::Floor),
            ("ceil", Func::Ceil),
            ("int", Func::Int),
            ("nint", Func::Nint),
            ("u2", Func::U2),
            ("sdt", Func::Sdt),
            ("idt", Func::Sdt),
            ("ddt", Func::Ddt),
        ];
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, f)| f)
    }
    /// The fewest and the most arguments it takes.
    pub fn arity(self) -> (usize, usize) {
        match self {
            Func::Min | Func::Max | Func::Pow | Func::Aunif | Func::Unif => (2, 2),
            Func::Agauss | Func::Gauss | Func::If | Func::Limit => (3, 3),
            Func::Sdt => (1, 3),
            _ => (1, 1),
        }
    }
    /// A function of time (`sdt`, `idt`, `ddt`), which a DC analysis takes
    /// at t = 0.
    pub fn is_time(self) -> bool {
        matches!(self, Func::Sdt | Func::Ddt)
    }
    /// A Monte Carlo draw (`agauss`, `gauss`, `aunif`, `unif`).
    pub fn is_random(self) -> bool {
        matches!(self, Func::Agauss | Func::Gauss | Func::Aunif | Func::Unif)
    }
    pub fn name(self) -> &'static str {
        match self {
            Func::Exp => "exp",
            Func::Log => "log",
            Func::Log10 => "log10",
            Func::Sqrt => "sqrt",
            Func::Sinh => "sinh",
            Func::Cosh => "cosh",
            Func::Tanh => "tanh",
            Func::Abs => "abs",
            Func::Min => "min",
            Func::Max => "max",
            Func::Pow => "pow",
            Func::Agauss => "agauss",
            Func::Gauss => "gauss",
            Func::Aunif => "aunif",
            Func::Unif => "unif",
            Func::If => "if",
            Func::Limit => "limit",
            Func::U => "u",
            Func::Uramp => "uramp",
            Func::Sin => "sin",
            Func::Cos => "cos",
            Func::Tan => "tan",
            Func::Asin => "asin",
            Func::Acos => "acos",
            Func::Atan => "atan",
            Func::Asinh => "asinh",
            Func::Acosh => "acosh",
            Func::Atanh => "atanh",
            Func::Sgn => "sgn",
            Func::Floor => "floor",
            Func::Ceil => "ceil",
            Func::Int => "int",
            Func::Nint => "nint",
            Func::U2 => "u2",
            Func::Sdt => "sdt",
            Func::Ddt => "ddt",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    /// Comparisons and logic: 1 when true, 0 when false.
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

impl BinOp {
    /// `a op b`.
    pub fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            BinOp::Add => a + b,
            BinOp::Sub => a - b,
            BinOp::Mul => a * b,
            BinOp::Div => a / b,
            BinOp::Pow => a.powf(b),
            BinOp::Lt => f64::from(a < b),
            BinOp::Le => f64::from(a <= b),
            BinOp::Gt => f64::from(a > b),
            BinOp::Ge => f64::from(a >= b),
            BinOp::Eq => f64::from(a == b),
            BinOp::Ne => f64::from(a != b),
            BinOp::And => f64::from(a != 0.0 && b != 0.0),
            BinOp::Or => f64::from(a != 0.0 || b != 0.0),
        }
    }

    /// Its SPICE spelling.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Pow => "^",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::And => "&&",
            BinOp::Or => "||",
        }
    }
}

/// Expression tree. Names are stored lower-case.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Num(f64),
    Param(String, Span),
    /// `V(a)` or `V(a,b)`: node names (lower-case) and the span of the probe.
    Volt(String, Option<String>, Span),
    /// `I(name)`: the current of an element with a branch unknown (a
    /// voltage source, an inductor, an E, H or B `V=` source), by its name
    /// (lower-case), and the span of the probe.
    Curr(String, Span),
    Neg(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>, Span),
    /// A call of a function that is not built in: a `.func` the
    /// elaboration expands in place (an error if none is defined).
    User(String, Vec<Expr>, Span),
}

fn ws<'a, O>(
    p: impl Parser<In<'a>, Output = O, Error = PErr>,
) -> impl Parser<In<'a>, Output = O, Error = PErr> {
    delimited(space0, p, space0)
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}
fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}
/// A node name inside `V(...)`: anything but whitespace, `,`, `(`, `)`, braces, quotes.
pub fn is_node_char(c: char) -> bool {
    !c.is_whitespace() && !matches!(c, ',' | '(' | ')' | '{' | '}' | '"' | '=' | '\'')
}

/// ident := [A-Za-z_][A-Za-z0-9_.]*
pub fn ident(i: In) -> Res<In> {
    let first = i.fragment().chars().next();
    match first {
        Some(c) if is_ident_start(c) => take_while1(is_ident_char).parse(i),
        _ => Err(nom::Err::Error(PErr::from_error_kind(i, ErrorKind::Alpha))),
    }
}

/// number := SPICE number with suffix (see `units`), no sign.
fn number(i: In) -> Res<f64> {
    let frag = *i.fragment();
    let m = super::units::mantissa_len(frag);
    if m == 0 {
        return Err(nom::Err::Error(PErr::from_error_kind(i, ErrorKind::Digit)));
    }
    let letters = super::units::suffix_len(&frag[m..]);
    let v: f64 = match frag[..m].parse() {
        Ok(v) => v,
        Err(_) => return fail(i, m, "bad number"),
    };
    let scale = super::units::suffix_scale(&frag[m..m + letters]);
    // nom's take counts characters (a micro sign is one, of two bytes).
    let chars = frag[..m + letters].chars().count();
    let (rest, _) = nom::bytes::complete::take(chars).parse(i)?;
    Ok((rest, v * scale))
}

/// Deepest nesting the parser accepts: parentheses, braces, function calls,
/// signs and powers each open a level. Parsing recurses once per level (on
/// rayon's 2 MiB stacks), so the limit keeps hostile input from overflowing
/// the stack; real netlists nest a handful of levels.
pub const MAX_NESTING: usize = 100;
/// Tallest expression tree accepted (a chain of n binary operators is n
/// levels tall). Evaluation, folding and dropping walk the tree recursively.
pub const MAX_HEIGHT: usize = 1000;

/// An expression and the height of its tree.
type Tall = (Expr, usize);

fn too_deep<T>(i: In) -> Res<T> {
    fail(
        i,
        1,
        format!("expression nested more than {MAX_NESTING} levels deep"),
    )
}

/// Join two operands under a binary operator, refusing trees taller than
/// [`MAX_HEIGHT`] (the error points at the operator).
fn join<'a>(at: In<'a>, op: BinOp, (a, ha): Tall, (b, hb): Tall) -> Result<Tall, nom::Err<PErr>> {
    let h = ha.max(hb) + 1;
    if h > MAX_HEIGHT {
        return Err(nom::Err::Failure(PErr {
            span: span_at(&at, 1),
            msg: format!("expression too long: more than {MAX_HEIGHT} operators deep").into(),
            hint: Some("split it over several .param definitions".into()),
        }));
    }
    Ok((Expr::Bin(op, Box::new(a), Box::new(b)), h))
}

/// A probe's head: its letter (either case), '(' and the name inside
/// (`what` is the error when the name is missing).
fn probe_head<'a>(
    i: In<'a>,
    letter: (&'static str, &'static str),
    what: &'static str,
) -> Res<'a, In<'a>> {
    let (i, _) = alt((tag(letter.0), tag(letter.1))).parse(i)?;
    let (i, _) = preceded(space0, char('(')).parse(i)?;
    ws(take_while1(is_node_char))
        .parse(i)
        .or_else(|_| fail(i, 1, what))
}

/// vprobe := 'V' '(' node (',' node)? ')'
fn vprobe(i: In) -> Res<Expr> {
    let start = i;
    let (i, a) = probe_head(i, ("V", "v"), "expected a node name in V(...)")?;
    let (i, b) = opt(preceded(ws(char(',')), take_while1(is_node_char))).parse(i)?;
    let (i, _) = ws(char(')'))
        .parse(i)
        .or_else(|_: nom::Err<PErr>| fail(i, 1, "expected ')' to close V(...)"))?;
    let span = span_between(&start, &i);
    Ok((
        i,
        Expr::Volt(
            a.fragment().to_ascii_lowercase(),
            b.map(|b| b.fragment().to_ascii_lowercase()),
            span,
        ),
    ))
}

/// iprobe := 'I' '(' element ')'
fn iprobe(i: In) -> Res<Expr> {
    let start = i;
    let (i, name) = probe_head(i, ("I", "i"), "expected an element name in I(...)")?;
    let (i, _) = ws(char(')')).parse(i).or_else(|_: nom::Err<PErr>| {
        fail(
            i,
            1,
            "expected ')' to close I(...): it reads one element's current",
        )
    })?;
    let span = span_between(&start, &i);
    Ok((i, Expr::Curr(name.fragment().to_ascii_lowercase(), span)))
}

/// call := func '(' expr (',' expr)* ')' ; otherwise a bare identifier is a parameter.
fn call_or_param(i: In, depth: usize) -> Res<Tall> {
    let start = i;
    let (i, name) = ident(i)?;
    let (after_ws, open) = opt(preceded(space0, char('('))).parse(i)?;
    let name_span = span_between(&start, &i);
    if open.is_none() {
        return Ok((
            i,
            (
                Expr::Param(name.fragment().to_ascii_lowercase(), name_span),
                1,
            ),
        ));
    }
    let f = Func::from_name(name.fragment());
    if depth >= MAX_NESTING {
        return too_deep(start);
    }
    let mut args = Vec::new();
    let mut height = 0;
    let mut i = after_ws;
    loop {
        let (j, (a, h)) = expr_at(i, depth + 1)?;
        args.push(a);
        height = height.max(h + 1);
        match char::<In, PErr>(',').parse(j) {
            Ok((k, _)) => i = k,
            Err(_) => {
                i = j;
                break;
            }
        }
    }
    let (i, _) = ws(char(')'))
        .parse(i)
        .or_else(|_: nom::Err<PErr>| fail(i, 1, "expected ')' or ',' in function call"))?;
    let Some(f) = f else {
        // Not built in: a `.func`, checked when the elaboration expands it.
        let user = Expr::User(name.fragment().to_ascii_lowercase(), args, name_span);
        return Ok((i, (user, height)));
    };
    let (lo, hi) = f.arity();
    if !(lo..=hi).contains(&args.len()) {
        let takes = if lo == hi {
            format!("{lo}")
        } else {
            format!("{lo} to {hi}")
        };
        return Err(nom::Err::Failure(PErr {
            span: name_span,
            msg: format!(
                "{}() takes {takes} argument(s), got {}",
                name.fragment().to_ascii_lowercase(),
                args.len()
            )
            .into(),
            hint: None,
        }));
    }
    Ok((i, (Expr::Call(f, args, name_span), height)))
}

/// A bracketed sub-expression: '(' expr ')' or '{' expr '}'.
fn group(i: In, depth: usize, open: char, close: char) -> Res<Tall> {
    if depth >= MAX_NESTING {
        return too_deep(i);
    }
    let (j, e) = preceded(char(open), |k| expr_at(k, depth + 1)).parse(i)?;
    let (j, _) = ws(char(close))
        .parse(j)
        .or_else(|_: nom::Err<PErr>| fail(j, 1, format!("expected '{close}'")))?;
    Ok((j, e))
}

/// atom := number | '(' expr ')' | '{' expr '}' | vprobe | call | ident
fn atom(i: In, depth: usize) -> Res<Tall> {
    let (i, _) = space0(i)?;
    if let Ok((rest, v)) = number(i) {
        return Ok((rest, (Expr::Num(v), 1)));
    }
    let c = i.fragment().chars().next();
    match c {
        Some('(') => group(i, depth, '(', ')'),
        Some('{') => group(i, depth, '{', '}'),
        // HSPICE writes expressions in single quotes.
        Some('\'') => group(i, depth, '\'', '\''),
        Some('v') | Some('V') => {
            // V( is a probe unless followed by an identifier continuing the name.
            let frag = i.fragment();
            let after = frag[1..].trim_start();
            if after.starts_with('(') {
                vprobe(i).map(|(r, e)| (r, (e, 1)))
            } else {
                call_or_param(i, depth)
            }
        }
        // Likewise I( is a current probe.
        Some('i') | Some('I') if i.fragment()[1..].trim_start().starts_with('(') => {
            iprobe(i).map(|(r, e)| (r, (e, 1)))
        }
        Some(c) if is_ident_start(c) => call_or_param(i, depth),
        None => fail(i, 1, "expected a value, found the end of the expression"),
        Some(c) => fail(i, 1, format!("expected a value, found '{c}'")),
    }
}

/// power := atom (('^' | '**') unary)?
fn power(i: In, depth: usize) -> Res<Tall> {
    let (i, base) = atom(i, depth)?;
    let (j, op) = opt(ws(alt((tag("**"), tag("^"))))).parse(i)?;
    match op {
        None => Ok((i, base)),
        Some(_) => {
            if depth >= MAX_NESTING {
                return too_deep(i);
            }
            let (j2, exp) = unary(j, depth + 1)?;
            let e = join(i, BinOp::Pow, base, exp)?;
            Ok((j2, e))
        }
    }
}

/// unary := ('-' | '+') unary | power
fn unary(i: In, depth: usize) -> Res<Tall> {
    let (i, _) = space0(i)?;
    if i.fragment().starts_with('!') && !i.fragment().starts_with("!=") {
        // Logical not: x == 0.
        if depth >= MAX_NESTING {
            return too_deep(i);
        }
        let (j, _) = take_bytes(i, 1);
        let (j, (e, h)) = unary(j, depth + 1)?;
        return Ok((
            j,
            (
                Expr::Bin(BinOp::Eq, Box::new(e), Box::new(Expr::Num(0.0))),
                h + 1,
            ),
        ));
    }
    let sign = match i.fragment().as_bytes().first() {
        Some(b'-') => Some(true),
        Some(b'+') => Some(false),
        _ => None,
    };
    let Some(neg) = sign else {
        return power(i, depth);
    };
    if depth >= MAX_NESTING {
        return too_deep(i);
    }
    let (j, _) = take_bytes(i, 1);
    let (j, (e, h)) = unary(j, depth + 1)?;
    if !neg {
        return Ok((j, (e, h)));
    }
    Ok((
        j,
        match e {
            Expr::Num(v) => (Expr::Num(-v), h),
            e => (Expr::Neg(Box::new(e)), h + 1),
        },
    ))
}

/// term := unary (('*' | '/') unary)*
fn term(i: In, depth: usize) -> Res<Tall> {
    let (mut i, mut acc) = unary(i, depth)?;
    loop {
        let (j, _) = space0(i)?;
        let frag = j.fragment();
        let op = if frag.starts_with("**") {
            None
        } else if frag.starts_with('*') {
            Some(BinOp::Mul)
        } else if frag.starts_with('/') {
            Some(BinOp::Div)
        } else {
            None
        };
        let Some(op) = op else { return Ok((i, acc)) };
        let (k, _) = take_bytes(j, 1);
        let (k, rhs) = unary(k, depth)?;
        acc = join(j, op, acc, rhs)?;
        i = k;
    }
}

/// expr := term (('+' | '-') term)*
pub fn expr(i: In) -> Res<Expr> {
    expr_at(i, 0).map(|(r, (e, _))| (r, e))
}

/// expr := or ('?' expr ':' expr)?   (the conditional, right-associative)
fn expr_at(i: In, depth: usize) -> Res<Tall> {
    let (i, cond) = logic(i, depth, 0)?;
    let (j, _) = space0(i)?;
    if !j.fragment().starts_with('?') {
        return Ok((i, cond));
    }
    if depth >= MAX_NESTING {
        return too_deep(j);
    }
    let (k, _) = take_bytes(j, 1);
    let (k, (a, ha)) = expr_at(k, depth + 1)?;
    let (k, _) = space0(k)?;
    if !k.fragment().starts_with(':') {
        return fail(k, 1, "expected ':' of 'cond ? a : b'");
    }
    let (k, _) = take_bytes(k, 1);
    let (k, (b, hb)) = expr_at(k, depth + 1)?;
    let h = cond.1.max(ha).max(hb) + 1;
    let span = span_at(&j, 1);
    Ok((k, (Expr::Call(Func::If, vec![cond.0, a, b], span), h)))
}

/// The binary operators below `+`/`-`, loosest first: `||`, `&&`, then the
/// comparisons (not chained).
const LEVELS: [&[(&str, BinOp)]; 3] = [
    &[("||", BinOp::Or)],
    &[("&&", BinOp::And)],
    &[
        ("<=", BinOp::Le),
        (">=", BinOp::Ge),
        ("==", BinOp::Eq),
        ("!=", BinOp::Ne),
        ("<", BinOp::Lt),
        (">", BinOp::Gt),
    ],
];

fn logic(i: In, depth: usize, level: usize) -> Res<Tall> {
    fn next(i: In, depth: usize, level: usize) -> Res<Tall> {
        if level + 1 < LEVELS.len() {
            logic(i, depth, level + 1)
        } else {
            sum(i, depth)
        }
    }
    let (mut i, mut acc) = next(i, depth, level)?;
    loop {
        let (j, _) = space0(i)?;
        let Some(&(sym, op)) = LEVELS[level]
            .iter()
            .find(|(s, _)| j.fragment().starts_with(s))
        else {
            return Ok((i, acc));
        };
        let (k, _) = take_bytes(j, sym.len());
        let (k, rhs) = next(k, depth, level)?;
        acc = join(j, op, acc, rhs)?;
        i = k;
        if level == 2 {
            return Ok((i, acc));
        }
    }
}

/// sum := term (('+' | '-') term)*
fn sum(i: In, depth: usize) -> Res<Tall> {
    let (mut i, mut acc) = term(i, depth)?;
    loop {
        let (j, _) = space0(i)?;
        let op = match j.fragment().as_bytes().first() {
            Some(b'+') => BinOp::Add,
            Some(b'-') => BinOp::Sub,
            _ => return Ok((i, acc)),
        };
        let (k, _) = take_bytes(j, 1);
        let (k, rhs) = term(k, depth)?;
        acc = join(j, op, acc, rhs)?;
        i = k;
    }
}

/// Split `i` after its first `n` **bytes**: `(rest, taken)`. (nom's `take`
/// counts characters; every length computed in this parser is in bytes, so
/// this is the only way it advances.) `n` is clamped to a char boundary.
pub fn take_bytes(i: In, n: usize) -> (In, In) {
    let s = *i.fragment();
    let mut n = n.min(s.len());
    while !s.is_char_boundary(n) {
        n += 1;
    }
    nom::Input::take_split(&i, n)
}

/// Parse all of `text` as one expression (optionally wrapped in braces).
pub fn parse_full(text: In) -> Result<Expr, PErr> {
    let (rest, e) = match expr(text) {
        Ok(x) => x,
        Err(nom::Err::Error(e)) | Err(nom::Err::Failure(e)) => return Err(e),
        Err(nom::Err::Incomplete(_)) => {
            return Err(PErr {
                span: span_at(&text, 1),
                msg: "incomplete expression".into(),
                hint: None,
            })
        }
    };
    let (rest, _) = space0::<In, PErr>(rest).map_err(|_| PErr {
        span: span_at(&rest, 1),
        msg: "syntax".into(),
        hint: None,
    })?;
    if !rest.fragment().is_empty() {
        let c = rest.fragment().chars().next().unwrap_or(' ');
        return Err(PErr {
            span: span_at(&rest, 1),
            msg: format!("unexpected '{c}' in expression").into(),
            hint: None,
        });
    }
    Ok(e)
}

/// Evaluate a function on real arguments. Errors are messages for the caller to locate.
pub fn apply_func(f: Func, args: &[f64]) -> f64 {
    let arg = |k: usize| args.get(k).copied().unwrap_or(0.0);
    let (a, b) = (arg(0), arg(1));
    match f {
        Func::Exp => a.exp(),
        Func::Log => a.ln(),
        Func::Log10 => a.log10(),
        Func::Sqrt => a.sqrt(),
        Func::Sinh => a.sinh(),
        Func::Cosh => a.cosh(),
        Func::Tanh => a.tanh(),
        Func::Abs => a.abs(),
        Func::Min => a.min(b),
        Func::Max => a.max(b),
        Func::Pow => a.powf(b),
        Func::If => {
            if a != 0.0 {
                b
            } else {
                arg(2)
            }
        }
        Func::Limit => a.max(b).min(arg(2)),
        Func::U => f64::from(a > 0.0),
        Func::Uramp => a.max(0.0),
        Func::Sin => a.sin(),
        Func::Cos => a.cos(),
        Func::Tan => a.tan(),
        Func::Asin => a.asin(),
        Func::Acos => a.acos(),
        Func::Atan => a.atan(),
        Func::Asinh => a.asinh(),
        Func::Acosh => a.acosh(),
        Func::Atanh => a.atanh(),
        Func::Sgn => {
            if a > 0.0 {
                1.0
            } else if a < 0.0 {
                -1.0
            } else {
                0.0
            }
        }
        Func::Floor => a.floor(),
        Func::Ceil => a.ceil(),
        Func::Int => a.trunc(),
        Func::Nint => a.round_ties_even(),
        Func::U2 => a.clamp(0.0, 1.0),
        // At t = 0: the integral is its initial value, the derivative 0.
        Func::Sdt => b,
        Func::Ddt => 0.0,
        // The nominal value: draws happen where parameters are evaluated.
        Func::Agauss | Func::Gauss | Func::Aunif | Func::Unif => a,
    }
}

impl Expr {
    /// Visit every sub-expression, parents before children, left to right.
    pub fn visit<'e>(&'e self, f: &mut dyn FnMut(&'e Expr)) {
        f(self);
        match self {
            Expr::Neg(e) => e.visit(f),
            Expr::Bin(_, a, b) => {
                a.visit(f);
                b.visit(f);
            }
            Expr::Call(_, args, _) | Expr::User(_, args, _) => args.iter().for_each(|a| a.visit(f)),
            Expr::Num(_) | Expr::Param(..) | Expr::Volt(..) | Expr::Curr(..) => {}
        }
    }
    /// True when some sub-expression satisfies `p`.
    fn any(&self, p: impl Fn(&Expr) -> bool) -> bool {
        let mut found = false;
        self.visit(&mut |e| found = found || p(e));
        found
    }
    /// Visit every `V(...)` probe.
    pub fn probes<'e>(&'e self, out: &mut Vec<(&'e str, Option<&'e str>, Span)>) {
        self.visit(&mut |e| {
            if let Expr::Volt(a, b, s) = e {
                out.push((a, b.as_deref(), *s));
            }
        });
    }
    /// True when the expression calls a Monte Carlo function.
    pub fn has_random(&self) -> bool {
        self.any(|e| matches!(e, Expr::Call(f, ..) if f.is_random()))
    }
    /// The first call of a function of time (`sdt`, `idt`, `ddt`), with its
    /// span.
    pub fn first_time_call(&self) -> Option<(Func, Span)> {
        let mut time = None;
        self.visit(&mut |e| match e {
            Expr::Call(f, _, s) if f.is_time() && time.is_none() => time = Some((*f, *s)),
            _ => {}
        });
        time
    }
    /// True when the expression references a parameter.
    pub fn has_param(&self) -> bool {
        self.any(|e| matches!(e, Expr::Param(..)))
    }
    /// True when the expression reads a node voltage or a branch current.
    pub fn has_probe(&self) -> bool {
        self.any(|e| matches!(e, Expr::Volt(..) | Expr::Curr(..)))
    }
    /// Visit every parameter reference.
    pub fn params<'e>(&'e self, out: &mut Vec<(&'e str, Span)>) {
        self.visit(&mut |e| {
            if let Expr::Param(n, s) = e {
                out.push((n, *s));
            }
        });
    }
    /// Visit every sub-expression, parents before children (a visitor that
    /// replaces a node sees the replacement's children next).
    pub fn visit_mut(&mut self, f: &mut dyn FnMut(&mut Expr)) {
        f(self);
        match self {
            Expr::Neg(e) => e.visit_mut(f),
            Expr::Bin(_, a, b) => {
                a.visit_mut(f);
                b.visit_mut(f);
            }
            Expr::Call(_, args, _) | Expr::User(_, args, _) => {
                args.iter_mut().for_each(|a| a.visit_mut(f))
            }
            Expr::Num(_) | Expr::Param(..) | Expr::Volt(..) | Expr::Curr(..) => {}
        }
    }
    /// The first call of a function that is not built in, if any.
    pub fn first_user(&self) -> Option<(&str, Span)> {
        let mut first = None;
        self.visit(&mut |e| {
            if let (None, Expr::User(n, _, s)) = (&first, e) {
                first = Some((n.as_str(), *s));
            }
        });
        first
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Expr {
        parse_full(In::new_extra(s, Ctx::default())).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }
    fn ev(e: &Expr) -> f64 {
        match e {
            Expr::Num(v) => *v,
            Expr::Neg(e) => -ev(e),
            Expr::Bin(op, a, b) => op.apply(ev(a), ev(b)),
            Expr::Call(f, args, _) => apply_func(*f, &args.iter().map(ev).collect::<Vec<_>>()),
            _ => f64::NAN,
        }
    }
    #[test]
    fn precedence() {
        for (s, v) in [
            ("1+2*3", 7.0),
            ("(1+2)*3", 9.0),
            ("-2^2", -4.0),
            ("2^3^2", 512.0),
            ("2**-1", 0.5),
            ("8/2/2", 2.0),
            ("1k*2", 2000.0),
            ("{3}", 3.0),
            ("max(1, 2*3)", 6.0),
            ("pow(-2,3)", -8.0),
            ("- - 3", 3.0),
            ("sqrt(16) + exp(0)", 5.0),
            ("2 - 3 - 4", -5.0),
        ] {
            assert!((ev(&p(s)) - v).abs() < 1e-12, "{s}");
        }
    }
    #[test]
    fn probes_and_errors() {
        let e = p("1e-5*sinh(2.6*V(xb.t0.0, XB.b0.0)) + V(n1)");
        let mut pr = vec![];
        e.probes(&mut pr);
        assert_eq!(pr.len(), 2);
        assert_eq!(pr[0].0, "xb.t0.0");
        assert_eq!(pr[0].1, Some("xb.b0.0"));
        assert_eq!(pr[1], ("n1", None, pr[1].2));
        // An unknown name is parsed as a call of a user function (.func); it is
        // an error only at elaboration, where the .func definitions are known.
        let e = parse_full(In::new_extra("1 + foo(2)", Ctx::default())).unwrap();
        let (name, span) = e.first_user().expect("foo is a user call");
        assert_eq!(name, "foo");
        assert_eq!(span.start, 4);
        let err = parse_full(In::new_extra("(1+2", Ctx::default())).unwrap_err();
        assert!(err.msg.contains("')'"), "{err:?}");
        let err = parse_full(In::new_extra("1 +", Ctx::default())).unwrap_err();
        assert!(err.msg.contains("expected a value"), "{err:?}");
        let err = parse_full(In::new_extra("min(1)", Ctx::default())).unwrap_err();
        assert!(err.msg.contains("2 argument"), "{err:?}");
    }
}
