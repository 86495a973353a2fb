//! Parsing one logical card (see [`super::lines`]) into a [`Card`].
//!
//! Card grammar (whitespace separates fields; `=` may have spaces around it):
//! ```text
//! card     := element | directive
//! element  := Rname n+ n- value
//!           | Vname n+ n- [DC] [value]        (value defaults to 0)
//!           | Iname n+ n- [DC] [value]
//!           | Bname n+ n- I '=' expr          (the rest of the card is the expression)
//!           | YMEMRISTOR name n+ n- model [key=value]*
//!           | Xname node* subckt [params:] [key=value]*
//! directive:= '.' word field*
//! field    := key '=' value | value
//! value    := '{' expr '}' | '"' text '"' | file '(' '"' path '"' ')' | word
//! word     := a run of characters other than white space, '=', '{', '}', '"'
//!             (parentheses are kept, so `2*(x+1)` and `V(a,b)` stay one word)
//! ```
//! A bare `word` used as a value is parsed as an expression, so `1k`, `{rval}`,
//! `rval` and `2*rval` all work.

use super::ast::{Arg, ArgValue, Card, Name, SourceSpec, Value, Wave, WaveKind};
use super::ast::{DcMode, DcSweep};
use super::expr::{self, fail, span_at, span_between, take_bytes, Ctx, In, PErr, Res};
use super::source::Span;

/// What one card turned into. (Short-lived, one at a time: not boxed.)
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Parsed {
    Card(Card),
    /// `.include "path"` with the span of the path.
    Include(String, Span),
    /// A card that is understood but has no effect here (e.g. `.save`), with a warning.
    Ignored(PErr),
}

/// One whitespace-separated field of a card.
#[derive(Clone, Copy, Debug)]
struct Field<'a> {
    key: Option<In<'a>>,
    val: Option<In<'a>>,
    whole: In<'a>,
}

fn skip_ws(i: In, parens_as_space: bool) -> In {
    let n = i
        .fragment()
        .bytes()
        .take_while(|&c| {
            c.is_ascii_whitespace()
                || c == b',' && parens_as_space
                || (parens_as_space && (c == b'(' || c == b')'))
        })
        .count();
    take_bytes(i, n).0
}

/// Length of a balanced `open…close` group at the start of `s` (quotes respected).
fn balanced_len(s: &str, open: u8, close: u8) -> Option<usize> {
    let b = s.as_bytes();
    let mut depth = 0i32;
    let mut q = false;
    for (k, &c) in b.iter().enumerate() {
        if c == b'"' {
            q = !q;
        } else if !q && c == open {
            depth += 1;
        } else if !q && c == close {
            depth -= 1;
            if depth == 0 {
                return Some(k + 1);
            }
        }
    }
    None
}

/// value := '{' expr '}' | '"' text '"' | word
fn value_token(i: In, parens_as_space: bool) -> Res<In> {
    let s = *i.fragment();
    let n = match s.as_bytes().first() {
        Some(b'{') => match balanced_len(s, b'{', b'}') {
            Some(n) => n,
            None => return fail(i, 1, "unclosed '{'"),
        },
        Some(b'"') => match s[1..].find('"') {
            Some(k) => k + 2,
            None => return fail(i, 1, "unclosed '\"'"),
        },
        // HSPICE's single-quoted expression, as {...}.
        Some(b'\'') => match s[1..].find('\'') {
            Some(k) => k + 2,
            None => return fail(i, 1, "unclosed '\''"),
        },
        _ => {
            // A word; parentheses inside it must balance (file("x"), V(a,b), 2*(x+1)).
            let b = s.as_bytes();
            let mut k = 0;
            let mut depth = 0i32;
            while k < b.len() {
                let c = b[k];
                if c == b'(' && !parens_as_space {
                    depth += 1;
                } else if c == b')' && !parens_as_space {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                } else if c == b'"' && depth > 0 {
                    match s[k + 1..].find('"') {
                        Some(e) => k += e + 1,
                        None => return fail(i, 1, "unclosed '\"'"),
                    }
                } else if depth == 0
                    && (c.is_ascii_whitespace()
                        || c == b'='
                        || c == b'{'
                        || c == b'}'
                        || c == b'"'
                        || (parens_as_space && (c == b'(' || c == b')' || c == b',')))
                {
                    break;
                }
                k += 1;
            }
            if depth > 0 {
                return fail(i, 1, "unbalanced '(' in this field");
            }
            k
        }
    };
    if n == 0 {
        let c = s.chars().next().unwrap_or(' ');
        return fail(i, 1, format!("unexpected '{c}'"));
    }
    Ok(take_bytes(i, n))
}

/// All fields of `i`.
fn fields(mut i: In, parens_as_space: bool) -> Result<Vec<Field>, PErr> {
    let mut out = Vec::new();
    loop {
        i = skip_ws(i, parens_as_space);
        if i.fragment().is_empty() {
            return Ok(out);
        }
        let start = i;
        let (rest, tok) = value_token(i, parens_as_space).map_err(unwrap_err)?;
        let after = skip_ws(rest, false);
        if after.fragment().starts_with('=') {
            let (after_eq, _) = take_bytes(after, 1);
            let v_start = skip_ws(after_eq, false);
            if v_start.fragment().is_empty() {
                return Err(PErr {
                    span: span_at(&after, 1),
                    msg: format!("expected a value after '{}='", tok.fragment()).into(),
                    hint: None,
                });
            }
            let (rest2, val) = value_token(v_start, parens_as_space).map_err(unwrap_err)?;
            out.push(Field {
                key: Some(tok),
                val: Some(val),
                whole: start,
            });
            i = rest2;
        } else {
            out.push(Field {
                key: None,
                val: Some(tok),
                whole: start,
            });
            i = rest;
        }
    }
}

fn unwrap_err(e: nom::Err<PErr>) -> PErr {
    match e {
        nom::Err::Error(e) | nom::Err::Failure(e) => e,
        nom::Err::Incomplete(_) => PErr {
            span: Span::default(),
            msg: "incomplete input".into(),
            hint: None,
        },
    }
}

fn name_of(i: &In) -> Name {
    Name {
        text: i.fragment().to_ascii_lowercase(),
        span: span_at(i, i.fragment().len()),
    }
}

/// Parse a value token as an expression (braces optional).
fn value_of(i: In) -> Result<Value, PErr> {
    let span = span_at(&i, i.fragment().len());
    // Fast path: most values are plain numbers.
    if let Some(v) = super::units::parse_number(i.fragment()) {
        return Ok(Value {
            expr: expr::Expr::Num(v),
            span,
        });
    }
    let e = expr::parse_full(i)?;
    Ok(Value { expr: e, span })
}

fn arg_of(f: &Field) -> Result<Arg, PErr> {
    let Some(key) = f.key else {
        let v = f.val.unwrap_or(f.whole);
        return Ok(Arg {
            key: name_of(&v),
            value: ArgValue::Flag,
        });
    };
    let key = name_of(&key);
    let Some(v) = f.val else {
        return Ok(Arg {
            key,
            value: ArgValue::Flag,
        });
    };
    let s = *v.fragment();
    let value = if s.starts_with('"') {
        ArgValue::Str(s[1..s.len() - 1].to_string(), span_at(&v, s.len()))
    } else if s.contains(',') && !s.contains('(') && !s.starts_with('{') {
        // A comma-separated list (`sizes=16,32,64`): kept as text for the directive.
        ArgValue::Str(s.to_string(), span_at(&v, s.len()))
    } else if s.len() > 5 && s.get(..5).is_some_and(|h| h.eq_ignore_ascii_case("file(")) {
        // `file(` is ASCII, so byte 5 is a char boundary; the last byte is
        // checked to be `)` before it is cut off.
        let inner = s[5..].strip_suffix(')').unwrap_or(&s[5..]).trim();
        let path = inner.trim_matches('"').to_string();
        if path.is_empty() || !s.ends_with(')') {
            return Err(PErr {
                span: span_at(&v, s.len()),
                msg: "expected file(\"path\")".into(),
                hint: None,
            });
        }
        ArgValue::File(path, span_at(&v, s.len()))
    } else {
        ArgValue::Value(value_of(v)?)
    };
    Ok(Arg { key, value })
}

fn expect_positional<'a>(
    fs: &[Field<'a>],
    k: usize,
    card: &In<'a>,
    what: &str,
) -> Result<In<'a>, PErr> {
    match fs.get(k) {
        Some(Field {
            key: None,
            val: Some(v),
            ..
        }) => Ok(*v),
        Some(f) => Err(PErr {
            span: span_at(&f.whole, 1),
            msg: format!(
                "expected {what}, found '{}='",
                f.key.map(|k| k.fragment().to_string()).unwrap_or_default()
            )
            .into(),
            hint: None,
        }),
        None => {
            let end = card.fragment().trim_end().len();
            let (e, _) = take_bytes(*card, end);
            Err(PErr {
                span: span_at(&e, 1),
                msg: format!("expected {what}").into(),
                hint: None,
            })
        }
    }
}

/// A controlled source's POLY, VALUE or TABLE form (E and G take all
/// three, F and H POLY).
fn special_form(f: &Field) -> bool {
    let key = f.key.map(|k| k.fragment().to_ascii_lowercase());
    is_poly(f) || is_table(f) || matches!(key.as_deref(), Some("value" | "vol" | "cur" | "table"))
}

/// True when `f` opens a `POLY(n)` form.
fn is_poly(f: &Field) -> bool {
    f.key.is_none() && {
        let t = f.whole.fragment().to_ascii_lowercase();
        t.starts_with("poly") && !t[4..].starts_with(|c: char| c.is_alphanumeric())
    }
}

/// True when `f` opens a `TABLE {expr} = (x, y) …` form.
fn is_table(f: &Field) -> bool {
    f.key.is_none() && {
        let t = f.whole.fragment().to_ascii_lowercase();
        t.starts_with("table") && !t[5..].starts_with(|c: char| c.is_alphanumeric())
    }
}

/// Most TABLE points accepted on one card.
const MAX_TABLE_POINTS: usize = 100_000;

/// The law of a controlled source's `TABLE {expr} [=] (x0, y0) (x1, y1) …`
/// form, starting at field `at` (the `TABLE` keyword): y at x = expr,
/// interpolated linearly between the points and held at the end values
/// outside them, as PSpice defines it. The x values must increase. The
/// law is a tree of `if`s that halves the points at each level, so its
/// depth grows with log₂ of their number.
fn table_law(at: &Field) -> Result<expr::Expr, PErr> {
    use expr::{BinOp, Expr as E, Func};
    let whole = span_at(&at.whole, at.whole.fragment().trim_end().len().max(1));
    let hint = "TABLE {expr} = (x0, y0) (x1, y1) ... with increasing x";
    let err = |span: Span, msg: String| PErr {
        span,
        msg: msg.into(),
        hint: Some(hint.into()),
    };
    let (rest, _) = take_bytes(at.whole, 5);
    let rest = skip_ws(rest, false);
    if rest.fragment().is_empty() {
        return Err(err(whole, "expected the TABLE's expression".into()));
    }
    let (rest, tok) = value_token(rest, false).map_err(unwrap_err)?;
    let x = value_of(tok)?.expr;
    let mut rest = skip_ws(rest, false);
    if rest.fragment().starts_with('=') {
        rest = take_bytes(rest, 1).0;
    }
    let mut pts: Vec<(E, Span)> = Vec::new();
    for f in fields(rest, true)? {
        match (f.key, f.val) {
            (None, Some(v)) => pts.push((value_of(v)?.expr, span_at(&v, v.fragment().len()))),
            _ => return Err(too_many(&f, "a TABLE form")),
        }
    }
    if pts.len() < 2 || pts.len() % 2 == 1 {
        return Err(err(
            pts.last().map_or(whole, |p| p.1),
            format!(
                "a TABLE needs (x, y) pairs: found {} value(s) after its expression",
                pts.len()
            ),
        ));
    }
    // Each segment and split holds a copy of the expression: bound the
    // law's size, not only the points.
    let mut size = 0usize;
    x.visit(&mut |_| size += 1);
    let npts = pts.len() / 2;
    if npts > MAX_TABLE_POINTS || npts.saturating_mul(size) > 10 * MAX_TABLE_POINTS {
        return Err(err(
            whole,
            format!(
                "TABLE too large: more than {MAX_TABLE_POINTS} points, or points times the size of its expression above {}",
                10 * MAX_TABLE_POINTS
            ),
        ));
    }
    let (xs, ys): (Vec<_>, Vec<_>) = pts
        .chunks(2)
        .map(|p| (p[0].clone(), p[1].0.clone()))
        .unzip();
    for w in xs.windows(2) {
        if let ((E::Num(a), _), (E::Num(b), s)) = (&w[0], &w[1]) {
            if b <= a {
                return Err(err(
                    *s,
                    format!("TABLE x values must increase: {b} after {a}"),
                ));
            }
        }
    }
    let xs: Vec<E> = xs.into_iter().map(|p| p.0).collect();
    let n = xs.len();
    if n == 1 {
        return Ok(ys[0].clone());
    }
    let bx = |e: &E| Box::new(e.clone());
    let sub = |a: &E, b: &E| E::Bin(BinOp::Sub, bx(a), bx(b));
    let iff = |c: E, a: E, b: E| E::Call(Func::If, vec![c, a, b], whole);
    let le = |a: &E, b: &E| E::Bin(BinOp::Le, bx(a), bx(b));
    // Segment k: y_k + (x − x_k)·(y_{k+1} − y_k)/(x_{k+1} − x_k).
    let seg = |k: usize| {
        let slope = E::Bin(
            BinOp::Div,
            Box::new(sub(&ys[k + 1], &ys[k])),
            Box::new(sub(&xs[k + 1], &xs[k])),
        );
        E::Bin(
            BinOp::Add,
            bx(&ys[k]),
            Box::new(E::Bin(
                BinOp::Mul,
                Box::new(sub(&x, &xs[k])),
                Box::new(slope),
            )),
        )
    };
    let split = |m: usize, a: E, b: E| iff(le(&x, &xs[m]), a, b);
    let inner = table_tree(0, n - 1, &seg, &split);
    Ok(iff(
        le(&x, &xs[0]),
        ys[0].clone(),
        iff(le(&xs[n - 1], &x), ys[n - 1].clone(), inner),
    ))
}

/// Segments `lo..hi` of a TABLE, split at the middle point.
fn table_tree(
    lo: usize,
    hi: usize,
    seg: &dyn Fn(usize) -> expr::Expr,
    split: &dyn Fn(usize, expr::Expr, expr::Expr) -> expr::Expr,
) -> expr::Expr {
    if hi - lo == 1 {
        return seg(lo);
    }
    let mid = (lo + hi) / 2;
    split(
        mid,
        table_tree(lo, mid, seg, split),
        table_tree(mid, hi, seg, split),
    )
}

/// Largest POLY dimension accepted (SPICE's own limit is far lower in
/// practice; a netlist with more is almost surely malformed).
const MAX_POLY_DIM: usize = 32;
/// Most POLY coefficients accepted on one card.
const MAX_POLY_COEFFS: usize = 10_000;
/// Highest POLY degree accepted (a product of this many controls is a
/// chain of that height in the expression tree).
const MAX_POLY_DEGREE: usize = 32;

/// The law of a controlled source's `POLY(n)` form, starting at field
/// `at` (the `POLY` keyword): `n` controls (node pairs `nc+ nc-` for E and
/// G, voltage-source names for F and H, pairs also written `(a,b)`), then
/// the coefficients p0 p1 … in SPICE's order: the constant, the n linear
/// terms, then the products of each higher degree with non-decreasing
/// control indices (for n = 2: p3·x1², p4·x1·x2, p5·x2², p6·x1³ …). A
/// one-dimensional POLY with a single coefficient is p1 (p0 = 0), as SPICE
/// defines it.
fn poly_law(at: &Field, currents: bool) -> Result<expr::Expr, PErr> {
    use expr::{BinOp, Expr as E};
    let fs = fields(at.whole, true)?;
    let whole = span_at(&at.whole, at.whole.fragment().trim_end().len().max(1));
    let bad = |f: Option<&Field>, msg: String| {
        PErr {
        span: f.map_or(whole, |f| span_at(&f.whole, f.whole.fragment().len().max(1))),
        msg: msg.into(),
        hint: Some(
            "POLY(n) then n controls (node pairs for E/G, voltage sources for F/H), then coefficients p0 p1 ..."
                .into(),
        ),
    }
    };
    let dim_field = fs.get(1);
    let n: usize = dim_field
        .and_then(|f| f.val)
        .filter(|_| dim_field.is_some_and(|f| f.key.is_none()))
        .and_then(|v| v.fragment().parse().ok())
        .filter(|n| (1..=MAX_POLY_DIM).contains(n))
        .ok_or_else(|| {
            bad(
                dim_field,
                format!(
                    "expected the POLY dimension, a whole number 1..{MAX_POLY_DIM}, in POLY(n)"
                ),
            )
        })?;
    let per = if currents { 1 } else { 2 };
    let mut k = 2;
    let mut xs: Vec<E> = Vec::with_capacity(n);
    for j in 0..n {
        let mut names = Vec::with_capacity(per);
        for _ in 0..per {
            match fs.get(k) {
                Some(Field {
                    key: None,
                    val: Some(v),
                    ..
                }) => names.push(*v),
                f => {
                    return Err(bad(
                        f,
                        format!(
                            "expected {} of control {} of POLY({n})",
                            if currents {
                                "the voltage source"
                            } else {
                                "a node"
                            },
                            j + 1
                        ),
                    ))
                }
            }
            k += 1;
        }
        let name = |v: &In| v.fragment().to_ascii_lowercase();
        xs.push(if currents {
            E::Curr(
                name(&names[0]),
                span_at(&names[0], names[0].fragment().len()),
            )
        } else {
            E::Volt(
                name(&names[0]),
                Some(name(&names[1])),
                span_at(&names[0], names[0].fragment().len()),
            )
        });
    }
    let mut coeffs = Vec::new();
    for f in fs.get(k..).unwrap_or(&[]) {
        match (f.key, f.val) {
            (None, Some(v)) => coeffs.push(value_of(v)?.expr),
            _ => return Err(too_many(f, "a POLY form")),
        }
    }
    if coeffs.is_empty() {
        return Err(bad(None, format!("POLY({n}) has no coefficients")));
    }
    if coeffs.len() > MAX_POLY_COEFFS {
        return Err(bad(
            fs.get(k + MAX_POLY_COEFFS),
            format!("more than {MAX_POLY_COEFFS} POLY coefficients"),
        ));
    }
    if n == 1 && coeffs.len() == 1 {
        coeffs.insert(0, E::Num(0.0));
    }
    // Monomials in SPICE's order: by degree, then non-decreasing indices.
    let mut terms: Vec<E> = Vec::with_capacity(coeffs.len());
    let mut idx: Vec<usize> = Vec::new();
    for c in coeffs {
        if idx.len() > MAX_POLY_DEGREE {
            return Err(bad(
                None,
                format!("POLY terms above degree {MAX_POLY_DEGREE} (too many coefficients)"),
            ));
        }
        let mono = idx.iter().fold(None, |acc: Option<E>, &j| {
            let x = xs[j].clone();
            Some(match acc {
                None => x,
                Some(a) => E::Bin(BinOp::Mul, Box::new(a), Box::new(x)),
            })
        });
        if c != E::Num(0.0) {
            terms.push(match mono {
                None => c,
                Some(m) => E::Bin(BinOp::Mul, Box::new(c), Box::new(m)),
            });
        }
        // The next index tuple: raise the rightmost index below n − 1 and
        // set the ones after it equal to it; past the last, one degree up.
        match idx.iter().rposition(|&j| j + 1 < n) {
            Some(p) => {
                let v = idx[p] + 1;
                idx[p..].iter_mut().for_each(|j| *j = v);
            }
            None => idx = vec![0; idx.len() + 1],
        }
    }
    // A balanced sum keeps the tree shallow for long coefficient lists.
    fn sum(mut t: Vec<E>) -> E {
        match t.len() {
            0 => E::Num(0.0),
            1 => t.pop().unwrap_or(E::Num(0.0)),
            len => {
                let right = t.split_off(len / 2);
                E::Bin(BinOp::Add, Box::new(sum(t)), Box::new(sum(right)))
            }
        }
    }
    Ok(sum(terms))
}

fn special_form_error(f: &Field, voltage: bool) -> PErr {
    PErr {
        span: span_at(&f.whole, f.whole.fragment().len().max(1)),
        msg: "this form of a controlled source is not supported (F and H take no VALUE= or TABLE)"
            .into(),
        hint: Some(if voltage {
            "write the law as a B-source: Bname n+ n- V={expr}".into()
        } else {
            "write the law as a B-source: Bname n+ n- I={expr}".into()
        }),
    }
}

fn too_many(f: &Field, what: &str) -> PErr {
    PErr {
        span: span_at(
            &f.whole,
            f.whole
                .fragment()
                .split_whitespace()
                .next()
                .map(str::len)
                .unwrap_or(1),
        ),
        msg: format!("unexpected field in {what}").into(),
        hint: None,
    }
}

/// `Rname n+ n- value`
fn two_node_element<'a>(fs: &[Field<'a>], card: &In<'a>) -> Result<(Name, [Name; 2]), PErr> {
    let name = name_of(&fs[0].val.unwrap_or(fs[0].whole));
    let a = expect_positional(fs, 1, card, "a node name")?;
    let b = expect_positional(fs, 2, card, "a second node name")?;
    Ok((name, [name_of(&a), name_of(&b)]))
}

fn parse_source(fs: &[Field], card: &In, kind: char) -> Result<Card, PErr> {
    let (name, nodes) = two_node_element(fs, card)?;
    let what = if kind == 'v' {
        "a voltage source"
    } else {
        "a current source"
    };
    let mut spec = SourceSpec::default();
    let twice = |f: &Field, what: &str| PErr {
        span: span_at(&f.whole, f.whole.fragment().len().clamp(1, 2)),
        msg: format!("{what} given twice").into(),
        hint: None,
    };
    let mut k = 3;
    while k < fs.len() {
        let f = &fs[k];
        let v = f.val.unwrap_or(f.whole);
        if let Some(key) = f.key {
            // HSPICE's DC=v and AC=v.
            match key.fragment().to_ascii_lowercase().as_str() {
                "dc" if spec.dc.is_none() => spec.dc = Some(value_of(v)?),
                "ac" if spec.ac.is_none() => spec.ac = Some((value_of(v)?, None)),
                "dc" => return Err(twice(f, "the DC value")),
                "ac" => return Err(twice(f, "the AC value")),
                _ => return Err(too_many(f, what)),
            }
            k += 1;
            continue;
        }
        let low = v.fragment().to_ascii_lowercase();
        if low == "dc" {
            if spec.dc.is_some() {
                return Err(twice(f, "the DC value"));
            }
            let x = expect_positional(fs, k + 1, card, "the DC value after 'DC'")?;
            spec.dc = Some(value_of(x)?);
            k += 2;
            continue;
        }
        if low == "ac" {
            if spec.ac.is_some() {
                return Err(twice(f, "the AC value"));
            }
            let m = expect_positional(fs, k + 1, card, "the AC magnitude after 'AC'")?;
            k += 2;
            let mut phase = None;
            if let Some(p) = fs.get(k).filter(|f| f.key.is_none()).and_then(|f| f.val) {
                if !is_source_keyword(p.fragment()) {
                    phase = Some(value_of(p)?);
                    k += 1;
                }
            }
            spec.ac = Some((value_of(m)?, phase));
            continue;
        }
        let head = low.split('(').next().unwrap_or("");
        if let Some(wk) = WaveKind::parse(head) {
            if spec.wave.is_some() {
                return Err(twice(f, "the time-domain function"));
            }
            // `SIN(...)` in one field, or `SIN (...)` in two.
            let (group, used) = if low.len() > head.len() {
                (take_bytes(v, head.len()).0, 1)
            } else {
                match fs
                    .get(k + 1)
                    .filter(|g| g.key.is_none())
                    .and_then(|g| g.val)
                {
                    Some(g) if g.fragment().starts_with('(') => (g, 2),
                    _ => {
                        return Err(PErr {
                            span: span_at(&v, v.fragment().len()),
                            msg: format!("expected '(' and the arguments of {}", wk.name()).into(),
                            hint: Some(wave_usage(wk).into()),
                        })
                    }
                }
            };
            spec.wave = Some(parse_wave(wk, group)?);
            k += used;
            continue;
        }
        if k == 3 && !is_source_keyword(v.fragment()) {
            // A bare value first: the DC value.
            spec.dc = Some(value_of(v)?);
            k += 1;
            continue;
        }
        return Err(too_many(f, what));
    }
    Ok(if kind == 'v' {
        Card::VSource { name, nodes, spec }
    } else {
        Card::ISource { name, nodes, spec }
    })
}

/// `DC`, `AC` or a source function's name (with or without its arguments).
fn is_source_keyword(word: &str) -> bool {
    let low = word.to_ascii_lowercase();
    let head = low.split('(').next().unwrap_or("");
    low == "dc" || low == "ac" || WaveKind::parse(head).is_some()
}

fn wave_usage(k: WaveKind) -> &'static str {
    match k {
        WaveKind::Sin => "SIN(VO VA [FREQ [TD [THETA [PHASE]]]])",
        WaveKind::Pulse => "PULSE(V1 V2 [TD [TR [TF [PW [PER]]]]])",
        WaveKind::Pwl => "PWL(T1 V1 [T2 V2 ...])",
        WaveKind::Exp => "EXP(V1 V2 [TD1 [TAU1 [TD2 [TAU2]]]])",
        WaveKind::Sffm => "SFFM(VO VA [FC [MDI [FS]]])",
        WaveKind::Am => "AM(VA VO [MF [FC [TD]]])",
    }
}

/// The arguments of a source function: `group` is `(a b c)` (commas or
/// spaces between them, each a number or `{expression}`).
fn parse_wave(kind: WaveKind, group: In) -> Result<Wave, PErr> {
    let span = span_at(&group, group.fragment().len());
    let text = group.fragment();
    if !(text.starts_with('(') && text.ends_with(')')) {
        return Err(PErr {
            span,
            msg: format!("expected {}", wave_usage(kind)).into(),
            hint: None,
        });
    }
    let inner = take_bytes(take_bytes(group, 1).0, text.len() - 2).1;
    let mut args = Vec::new();
    for f in fields(inner, true)? {
        match (f.key, f.val) {
            (None, Some(v)) => args.push(value_of(v)?),
            _ => {
                return Err(PErr {
                    span: span_at(&f.whole, 1),
                    msg: format!("unexpected 'name=' in {}(...)", kind.name()).into(),
                    hint: Some(wave_usage(kind).into()),
                })
            }
        }
    }
    let (lo, hi) = kind.arity();
    let odd = kind == WaveKind::Pwl && args.len() % 2 == 1;
    if args.len() < lo || args.len() > hi || odd {
        return Err(PErr {
            span,
            msg: format!(
                "{} takes {}, got {}",
                kind.name(),
                match kind {
                    WaveKind::Pwl => "time-value pairs".to_string(),
                    _ => format!("{lo} to {hi} arguments"),
                },
                args.len()
            )
            .into(),
            hint: Some(wave_usage(kind).into()),
        });
    }
    Ok(Wave { kind, args })
}

/// `Bname n+ n- I = expr` — the expression is the rest of the card.
fn parse_bsource<'a>(card: In<'a>) -> Result<Card, PErr> {
    // name and two nodes are plain words.
    let mut i = card;
    let mut words = Vec::new();
    for what in ["", "a node name", "a second node name"] {
        i = skip_ws(i, false);
        let n = i
            .fragment()
            .bytes()
            .take_while(|c| !c.is_ascii_whitespace())
            .count();
        if n == 0 {
            return Err(PErr {
                span: span_at(&i, 1),
                msg: format!("expected {what}").into(),
                hint: None,
            });
        }
        let (r, w) = take_bytes(i, n);
        words.push(w);
        i = r;
    }
    i = skip_ws(i, false);
    let kind_at = i;
    let c = i.fragment().chars().next().map(|c| c.to_ascii_lowercase());
    let voltage = match c {
        Some('i') => false,
        Some('v') => true,
        _ => {
            return Err(PErr {
                span: span_at(&i, 1),
                msg: "expected 'I=' or 'V=' and the source's expression".into(),
                hint: Some("e.g. B1 a b I=1e-5*sinh(2.6*V(a,b))".into()),
            })
        }
    };
    let (r, _) = take_bytes(i, 1);
    let r = skip_ws(r, false);
    if !r.fragment().starts_with('=') {
        return Err(PErr {
            span: span_at(&r, 1),
            msg: format!("expected '=' after '{}'", if voltage { 'V' } else { 'I' }).into(),
            hint: None,
        });
    }
    let (r, _) = take_bytes(r, 1);
    let body = skip_ws(r, false);
    if body.fragment().trim().is_empty() {
        return Err(PErr {
            span: span_at(&body, 1),
            msg: if voltage {
                "expected the voltage expression after 'V='".into()
            } else {
                "expected the current expression after 'I='".into()
            },
            hint: None,
        });
    }
    let e = expr::parse_full(body)?;
    let span = span_between(&kind_at, &body).to(span_at(&body, body.fragment().trim_end().len()));
    Ok(Card::BSource {
        name: name_of(&words[0]),
        nodes: [name_of(&words[1]), name_of(&words[2])],
        expr: e,
        span,
        voltage,
    })
}

fn parse_memristor(fs: &[Field], card: &In) -> Result<Card, PErr> {
    let head = fs[0].val.unwrap_or(fs[0].whole);
    if !head.fragment().eq_ignore_ascii_case("ymemristor") {
        return Err(PErr {
            span: span_at(&head, head.fragment().len()),
            msg: format!("unknown Y element type '{}'", head.fragment()).into(),
            hint: Some("the memristor element is `YMEMRISTOR name n+ n- model [g=<S>]`".into()),
        });
    }
    let name = expect_positional(fs, 1, card, "the memristor's name")?;
    let a = expect_positional(fs, 2, card, "a node name")?;
    let b = expect_positional(fs, 3, card, "a second node name")?;
    let m = expect_positional(fs, 4, card, "a model name")?;
    let mut args = Vec::new();
    for f in &fs[5..] {
        if f.key.is_none() {
            return Err(too_many(f, "a memristor (expected key=value)"));
        }
        args.push(arg_of(f)?);
    }
    let mut n = name_of(&name);
    n.text = format!("ymemristor {}", n.text);
    Ok(Card::Memristor {
        name: n,
        nodes: [name_of(&a), name_of(&b)],
        model: name_of(&m),
        args,
        xspice: false,
    })
}

/// `Aname n+ n- model`: an XSPICE code model instance. xbarsim has one of
/// them, ngspice's memristor (one `gd` port: two nodes); whether the model
/// is that one is checked where models are known.
fn parse_xspice(fs: &[Field], card: &In) -> Result<Card, PErr> {
    const FORM: &str =
        "xbarsim reads one XSPICE code model, ngspice's memristor: `Aname n+ n- model`";
    for f in fs {
        let w = f.whole.fragment();
        if f.key.is_some() || w.starts_with(['[', '%', '~']) {
            return Err(PErr {
                span: span_at(&f.whole, w.len()),
                msg: "an XSPICE port or parameter form xbarsim does not read".into(),
                hint: Some(FORM.into()),
            });
        }
    }
    let name = fs[0].val.unwrap_or(fs[0].whole);
    let a = expect_positional(fs, 1, card, "a node name")?;
    let b = expect_positional(fs, 2, card, "a second node name")?;
    let m = expect_positional(fs, 3, card, "a model name")?;
    if let Some(f) = fs.get(4) {
        let mut e = too_many(f, "an XSPICE memristor");
        e.hint = Some(FORM.into());
        return Err(e);
    }
    Ok(Card::Memristor {
        name: name_of(&name),
        nodes: [name_of(&a), name_of(&b)],
        model: name_of(&m),
        args: Vec::new(),
        xspice: true,
    })
}

/// The sweeps of a `.dc` card (fields after the directive), innermost first:
/// ```text
/// sweep := [lin|dec|oct] ['param'] NAME start stop (step|points)   SPICE, Xyce
///        | ['param'] NAME list v1 v2 ...                            Xyce
///        | ['param'] NAME (lin|dec|oct) n start stop                HSPICE
///        | ['param'] NAME poi n v1 ... vn                           HSPICE
///        | ['param'] NAME start=a stop=b step=s                     HSPICE
/// dc    := sweep ([sweep] sweep)*                                   (HSPICE's `sweep` word between them)
/// ```
/// A `list` ends at the first field that is not a number or `{expression}`.
fn dc_sweeps<'a>(fs: &[Field<'a>], card: &In<'a>) -> Result<Vec<DcSweep>, PErr> {
    let word = |k: usize| match fs.get(k) {
        Some(Field {
            key: None,
            val: Some(v),
            ..
        }) => v.fragment().to_ascii_lowercase(),
        _ => String::new(),
    };
    let numeric = |k: usize| {
        let w = word(k);
        w.starts_with(|c: char| c.is_ascii_digit() || "{'.+-".contains(c))
    };
    let value = |k: usize, what: &str| value_of(expect_positional(fs, k, card, what)?);
    let mut sweeps = Vec::new();
    let mut k = 1;
    loop {
        if !sweeps.is_empty() && word(k) == "sweep" {
            k += 1;
        }
        let mut mode = match word(k).as_str() {
            "lin" if fs.len() > k + 1 => Some(DcMode::Step),
            "dec" if fs.len() > k + 1 => Some(DcMode::Dec),
            "oct" if fs.len() > k + 1 => Some(DcMode::Oct),
            _ => None,
        };
        if mode.is_some() {
            k += 1;
        }
        let param = word(k) == "param" && fs.get(k + 1).is_some_and(|f| f.key.is_none());
        if param {
            k += 1;
        }
        let name = name_of(&expect_positional(fs, k, card, "the swept source's name")?);
        k += 1;
        let mut nums = Vec::new();
        match (mode, word(k).as_str()) {
            (None, "list") => {
                k += 1;
                while numeric(k) {
                    nums.push(value(k, "a value")?);
                    k += 1;
                }
                if nums.is_empty() {
                    return Err(PErr {
                        span: span_at(&fs[k - 1].whole, fs[k - 1].whole.fragment().len()),
                        msg: "expected the values of the list".into(),
                        hint: Some(".dc NAME list V1 V2 ...".into()),
                    });
                }
                mode = Some(DcMode::List);
            }
            (None, "poi") => {
                let n = expect_positional(fs, k + 1, card, "the number of points")?;
                let count = match super::units::parse_number(n.fragment()) {
                    Some(x) if x >= 1.0 && x.fract() == 0.0 && x <= 1e6 => x as usize,
                    _ => {
                        return Err(PErr {
                            span: span_at(&n, n.fragment().len()),
                            msg: "the number of points must be a whole number 1..1e6".into(),
                            hint: Some(".dc NAME poi N V1 ... VN".into()),
                        })
                    }
                };
                k += 2;
                for _ in 0..count {
                    nums.push(value(k, "another value (poi N lists N values)")?);
                    k += 1;
                }
                mode = Some(DcMode::List);
            }
            (None, m @ ("lin" | "dec" | "oct")) => {
                let n = value(k + 1, "a number of points")?;
                nums.push(value(k + 2, "a start value")?);
                nums.push(value(k + 3, "a stop value")?);
                nums.push(n);
                k += 4;
                mode = Some(match m {
                    "lin" => DcMode::Points,
                    "dec" => DcMode::Dec,
                    _ => DcMode::Oct,
                });
            }
            _ if mode.is_none() && fs.get(k).is_some_and(|f| f.key.is_some()) => {
                // HSPICE's START= STOP= STEP=, in any order.
                let mut got: [Option<Value>; 3] = [None, None, None];
                while let Some(f) = fs.get(k) {
                    let (Some(key), Some(v)) = (f.key, f.val) else {
                        break;
                    };
                    let at = match key.fragment().to_ascii_lowercase().as_str() {
                        "start" => 0,
                        "stop" => 1,
                        "step" => 2,
                        _ => break,
                    };
                    got[at] = Some(value_of(v)?);
                    k += 1;
                }
                for (slot, what) in got.into_iter().zip(["START=", "STOP=", "STEP="]) {
                    match slot {
                        Some(v) => nums.push(v),
                        None => {
                            return Err(PErr {
                                span: name.span,
                                msg: format!("this sweep needs {what}").into(),
                                hint: Some(".dc NAME START=a STOP=b STEP=s".into()),
                            })
                        }
                    }
                }
                mode = Some(DcMode::Step);
            }
            _ => {
                for what in ["a start value", "a stop value", "a step"] {
                    nums.push(value(k, what)?);
                    k += 1;
                }
            }
        }
        sweeps.push(DcSweep {
            name,
            param,
            mode: mode.unwrap_or(DcMode::Step),
            nums,
        });
        if k >= fs.len() {
            return Ok(sweeps);
        }
        if fs[k].key.is_some() {
            return Err(too_many(&fs[k], ".dc"));
        }
    }
}

fn parse_directive<'a>(fs: &[Field<'a>], card: In<'a>) -> Result<Parsed, PErr> {
    let head = fs[0].val.unwrap_or(fs[0].whole);
    let kind = head.fragment().to_ascii_lowercase();
    let hspan = span_at(&head, head.fragment().len());
    let args = |from: usize| -> Result<Vec<Arg>, PErr> { fs[from..].iter().map(arg_of).collect() };
    Ok(Parsed::Card(match kind.as_str() {
        ".op" => {
            if let Some(f) = fs.get(1) {
                return Err(too_many(f, ".op"));
            }
            Card::Op(hspan)
        }
        ".dc" => Card::Dc {
            span: hspan,
            sweeps: dc_sweeps(fs, &card)?,
        },
        // Xyce's .csparam (parameters changeable in a study) is a .param
        // here; `.params` is LTspice's and ngspice's spelling.
        ".param" | ".params" | ".csparam" => {
            let mut ps = Vec::new();
            for f in &fs[1..] {
                match (f.key, f.val) {
                    (Some(k), Some(v)) => ps.push((name_of(&k), value_of(v)?)),
                    _ => {
                        return Err(PErr {
                            span: span_at(&f.whole, 1),
                            msg: format!("expected name=value in {kind}").into(),
                            hint: None,
                        })
                    }
                }
            }
            if ps.is_empty() {
                return Err(PErr {
                    span: hspan,
                    msg: format!("{kind} needs at least one name=value").into(),
                    hint: None,
                });
            }
            if kind == ".csparam" {
                // ngspice's `.csparam x={x}` copies a `.param` into its
                // control language: no new value for the circuit.
                ps.retain(|(n, v)| !matches!(&v.expr, expr::Expr::Param(m, _) if *m == n.text));
            }
            Card::Param(ps)
        }
        ".include" | ".inc" => {
            let p = expect_positional(fs, 1, &card, "a file name")?;
            let s = p.fragment().trim_matches('"').to_string();
            if let Some(f) = fs.get(2) {
                return Err(too_many(f, ".include"));
            }
            return Ok(Parsed::Include(s, span_at(&p, p.fragment().len())));
        }
        ".options" | ".option" | ".opt" | ".opts" => Card::Options(args(1)?),
        ".temp" => {
            let v = expect_positional(fs, 1, &card, "a temperature in °C")?;
            Card::Temp(value_of(v)?)
        }
        ".model" => {
            // Re-split with parentheses as white space: `.model m memristor (level=sinh beta=2.6)`.
            let fs2 = fields(card, true)?;
            let name = expect_positional(&fs2, 1, &card, "a model name")?;
            let kind = expect_positional(&fs2, 2, &card, "a model type (memristor)")?;
            let args: Result<Vec<Arg>, PErr> = fs2[3..].iter().map(arg_of).collect();
            Card::Model {
                name: name_of(&name),
                kind: name_of(&kind),
                args: args?,
            }
        }
        ".crossbar" => {
            let name = expect_positional(fs, 1, &card, "the crossbar's name")?;
            Card::Crossbar {
                name: name_of(&name),
                args: args(2)?,
                span: hspan,
            }
        }
        ".save" | ".print" | ".probe" => {
            let mut analysis = None;
            let mut items = Vec::new();
            for (k, f) in fs[1..].iter().enumerate() {
                let v = f.val.unwrap_or(f.whole);
                if f.key.is_some() {
                    return Err(PErr {
                        span: span_at(&f.whole, 1),
                        msg: format!("unexpected 'name=' in {kind}").into(),
                        hint: Some(format!(
                            "{kind} [dc|op] v(node) v(a,b) i(element) @element[i] all"
                        )),
                    });
                }
                let low = v.fragment().to_ascii_lowercase();
                let is_analysis = matches!(
                    low.as_str(),
                    "op" | "dc" | "tran" | "ac" | "noise" | "tf" | "sens"
                );
                if k == 0 && kind != ".save" && is_analysis {
                    analysis = Some(name_of(&v));
                } else {
                    items.push(name_of(&v));
                }
            }
            Card::Output {
                kind: Name {
                    text: kind.to_string(),
                    span: hspan,
                },
                analysis,
                items,
            }
        }
        ".global" => Card::Global(
            fs[1..]
                .iter()
                .map(|f| name_of(&f.val.unwrap_or(f.whole)))
                .collect(),
        ),
        ".plot" | ".width" | ".title" | ".backanno" => {
            return Ok(Parsed::Ignored(PErr { span: hspan, msg: format!("'{kind}' has no effect in xbarsim (.print, .save and .probe choose what is written); ignored").into(), hint: None }));
        }
        ".ic" => {
            // .ic V(node)=value ... (`v(a,b)=` pairs are not node ICs).
            let (mut nodes, mut values) = (Vec::new(), Vec::new());
            for f in &fs[1..] {
                let node = f.key.and_then(|k| {
                    let t = k.fragment();
                    let inner = t.strip_prefix(['v', 'V'])?.trim_start().strip_prefix('(')?;
                    let n = inner.strip_suffix(')')?.trim();
                    (!n.is_empty() && !n.contains(',')).then(|| Name {
                        text: n.to_ascii_lowercase(),
                        span: span_at(&k, t.len()),
                    })
                });
                match (node, f.val) {
                    (Some(n), Some(v)) => {
                        nodes.push(n);
                        values.push(value_of(v)?);
                    }
                    _ => {
                        return Err(PErr {
                            span: span_at(&f.whole, f.whole.fragment().len().max(1)),
                            msg: "expected V(node)=value in .ic".into(),
                            hint: Some(".ic V(a)=0.5 V(b)=1".into()),
                        })
                    }
                }
            }
            Card::Ic { nodes, values }
        }
        ".tran" | ".ac" | ".noise" | ".tf" | ".four" | ".fourier" | ".sens" | ".pz" | ".disto"
        | ".nodeset" => {
            // Analyses and settings that change no DC result: their numbers
            // are still checked, so the card parses fully.
            for f in &fs[1..] {
                if let (None, Some(v)) = (f.key, f.val) {
                    let w = v.fragment().to_ascii_lowercase();
                    let word = w.chars().all(|c| c.is_ascii_alphabetic() || c == '_');
                    let probe = w.starts_with("v(") || w.starts_with("i(");
                    if !word && !probe {
                        value_of(v)?;
                    }
                }
            }
            return Ok(Parsed::Ignored(PErr {
                span: hspan,
                msg: format!(
                    "'{kind}' changes no DC result and xbarsim runs DC analyses only; ignored"
                )
                .into(),
                hint: None,
            }));
        }
        ".subckt" => {
            let name = expect_positional(fs, 1, &card, "the subcircuit's name")?;
            let (ports, params) = words_then_params(&fs[2..], ".subckt")?;
            Card::Subckt {
                name: name_of(&name),
                ports,
                params,
            }
        }
        ".ends" => {
            let name = match fs.get(1) {
                Some(Field {
                    key: None,
                    val: Some(v),
                    ..
                }) => Some(name_of(v)),
                None => None,
                Some(f) => return Err(too_many(f, ".ends")),
            };
            if let Some(f) = fs.get(2) {
                return Err(too_many(f, ".ends"));
            }
            Card::Ends(name, hspan)
        }
        ".lib" | ".endl" => {
            // Sections are cut out while the files are read (see `load`);
            // one that reaches here is a `.lib` card with no file.
            return Err(PErr {
                span: hspan,
                msg: format!("'{kind}' outside a library file's section").into(),
                hint: Some(
                    ".lib \"file\" SECTION reads SECTION (`.lib SECTION` ... `.endl`) of file"
                        .into(),
                ),
            });
        }
        _ => {
            // Analysis directives defined by analysis modules (.vmm, .read, ...).
            let mut words = Vec::new();
            let mut a = Vec::new();
            for f in &fs[1..] {
                match f.key {
                    None if a.is_empty() => words.push(name_of(&f.val.unwrap_or(f.whole))),
                    _ => a.push(arg_of(f)?),
                }
            }
            Card::Directive {
                kind: Name {
                    text: kind[1..].to_string(),
                    span: hspan,
                },
                words,
                args: a,
            }
        }
    }))
}

/// Positional words, then (after an optional `params:`) `key=value`
/// parameters: a `.subckt`'s ports and defaults, an `X` card's nodes and
/// overrides.
#[allow(clippy::type_complexity)]
fn words_then_params(fs: &[Field], what: &str) -> Result<(Vec<Name>, Vec<(Name, Value)>), PErr> {
    let mut words = Vec::new();
    let mut params = Vec::new();
    for f in fs {
        match (f.key, f.val) {
            (None, Some(v)) if v.fragment().eq_ignore_ascii_case("params:") => {}
            (None, Some(v)) if params.is_empty() => words.push(name_of(&v)),
            (Some(k), Some(v)) => {
                let mut key = name_of(&k);
                // `params:r=1k` written without a space.
                if let Some(rest) = key.text.strip_prefix("params:") {
                    key.text = rest.to_string();
                }
                params.push((key, value_of(v)?));
            }
            _ => {
                return Err(PErr {
                    span: span_at(&f.whole, 1),
                    msg: format!("expected name=value after the parameters began in {what}").into(),
                    hint: None,
                })
            }
        }
    }
    Ok((words, params))
}

/// `Xname node... SUBCKT [params:] [k=v ...]`
fn parse_instance(fs: &[Field], card: &In) -> Result<Card, PErr> {
    let name = name_of(&fs[0].val.unwrap_or(fs[0].whole));
    let (mut words, params) = words_then_params(&fs[1..], "a subcircuit instance")?;
    let Some(subckt) = words.pop() else {
        return Err(expect_positional(fs, 1, card, "the subcircuit's name")
            .err()
            .unwrap_or_else(|| too_many(&fs[1], "a subcircuit instance")));
    };
    Ok(Card::Instance {
        name,
        nodes: words,
        subckt,
        params,
    })
}

/// `.func name(a, b) = expr`, `.func name(a, b) {expr}` or `'expr'`.
/// True when the card `text` (directive `head`) is a parameter function,
/// `.param name(args) = expr` (HSPICE, LTspice): a `.func`.
fn is_param_function(text: &str, head: &str) -> bool {
    if !(head.eq_ignore_ascii_case(".param") || head.eq_ignore_ascii_case(".params")) {
        return false;
    }
    let rest = text.trim_start()[head.len()..].trim_start();
    let name = rest
        .bytes()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
        .count();
    name > 0
        && rest.as_bytes()[0].is_ascii_alphabetic()
        && rest[name..].trim_start().starts_with('(')
}

/// `.func name(args) = expr`, or HSPICE's and LTspice's `.param
/// name(args) = expr` (`head`: the directive's length).
fn parse_func(card: In, head: usize) -> Result<Card, PErr> {
    let i = skip_ws(card, false);
    let (i, _) = take_bytes(i, head);
    let i = skip_ws(i, false);
    let (i, name) = expr::ident(i).map_err(|_| PErr {
        span: span_at(&i, 1),
        msg: "expected the function's name".into(),
        hint: Some(".func name(a, b) = expr".into()),
    })?;
    let mut i = skip_ws(i, false);
    if !i.fragment().starts_with('(') {
        return Err(PErr {
            span: span_at(&i, 1),
            msg: "expected '(' and the function's arguments".into(),
            hint: Some(".func name(a, b) = expr".into()),
        });
    }
    i = take_bytes(i, 1).0;
    let mut args = Vec::new();
    loop {
        i = skip_ws(i, false);
        if let Some(rest) = i.fragment().strip_prefix(')') {
            let n = i.fragment().len() - rest.len();
            i = take_bytes(i, n).0;
            break;
        }
        let (j, a) = expr::ident(i).map_err(|_| PErr {
            span: span_at(&i, 1),
            msg: "expected an argument name or ')'".into(),
            hint: None,
        })?;
        args.push(name_of(&a));
        i = skip_ws(j, false);
        if i.fragment().starts_with(',') {
            i = take_bytes(i, 1).0;
        }
    }
    let mut body = skip_ws(i, false);
    if body.fragment().starts_with('=') {
        body = skip_ws(take_bytes(body, 1).0, false);
    }
    if body.fragment().trim().is_empty() {
        return Err(PErr {
            span: span_at(&body, 1),
            msg: "expected the function's expression".into(),
            hint: None,
        });
    }
    Ok(Card::Func {
        name: name_of(&name),
        args,
        body: expr::parse_full(body)?,
    })
}

/// Parse one card's text, located at `ctx`.
pub fn parse_card(text: &str, ctx: Ctx) -> Result<Parsed, PErr> {
    let card = In::new_extra(text, ctx);
    let first = text
        .trim_start()
        .chars()
        .next()
        .map(|c| c.to_ascii_lowercase());
    if first == Some('b') {
        return parse_bsource(card).map(Parsed::Card);
    }
    let head = text.trim_start().split(|c: char| c.is_whitespace()).next();
    if head.is_some_and(|h| h.eq_ignore_ascii_case(".func")) {
        return parse_func(card, ".func".len()).map(Parsed::Card);
    }
    if let Some(h) = head.filter(|h| is_param_function(text, h)) {
        return parse_func(card, h.len()).map(Parsed::Card);
    }
    let fs = fields(card, false)?;
    let Some(f0) = fs.first() else {
        return Err(PErr {
            span: span_at(&card, 1),
            msg: "empty card".into(),
            hint: None,
        });
    };
    if f0.key.is_some() {
        return Err(PErr {
            span: span_at(&f0.whole, 1),
            msg: "a card must start with an element name or a directive".into(),
            hint: None,
        });
    }
    match first {
        Some('r') => {
            let (name, nodes) = two_node_element(&fs, &card)?;
            let mut value = None;
            let mut k = 3;
            if let Some(Field {
                key: None,
                val: Some(v),
                ..
            }) = fs.get(3)
            {
                value = Some(value_of(*v)?);
                k = 4;
            }
            // HSPICE and ngspice instance parameters: R=value, m=, tc1= ...
            let mut args = Vec::new();
            for f in fs.get(k..).unwrap_or(&[]) {
                if f.key.is_none() {
                    return Err(too_many(f, "a resistor"));
                }
                let a = arg_of(f)?;
                match (&a.value, a.key.text.as_str()) {
                    (ArgValue::Value(v), "r" | "resistance") if value.is_none() => {
                        value = Some(v.clone())
                    }
                    _ => args.push(a),
                }
            }
            let Some(value) = value else {
                return Err(expect_positional(&fs, 3, &card, "a resistance")
                    .err()
                    .unwrap_or_else(|| too_many(&fs[3], "a resistor")));
            };
            Ok(Parsed::Card(Card::Resistor {
                name,
                nodes,
                value,
                args,
            }))
        }
        Some('g') | Some('e') => {
            // Voltage-controlled current source, gain·V(nc+, nc−) from n+
            // through the source to n−: a B-source with that expression;
            // a voltage-controlled voltage source, V(n+) − V(n−) =
            // gain·V(nc+, nc−): a B-source with V= that expression.
            let voltage = first == Some('e');
            let (name, nodes) = two_node_element(&fs, &card)?;
            if let Some(f) = fs.get(3).filter(|f| special_form(f)) {
                // PSpice's and ngspice's `VALUE={expr}` (HSPICE's `VOL=` on
                // E, `CUR=` on G): a B-source with that law.
                let key = f.key.map(|k| k.fragment().to_ascii_lowercase());
                if let (Some("value" | "vol" | "cur"), Some(v)) = (key.as_deref(), f.val) {
                    if let Some(extra) = fs.get(4) {
                        return Err(too_many(extra, "a controlled source's VALUE= form"));
                    }
                    let law = value_of(v)?;
                    return Ok(Parsed::Card(Card::BSource {
                        name,
                        nodes,
                        span: law.span,
                        expr: law.expr,
                        voltage,
                    }));
                }
                if is_poly(f) || is_table(f) {
                    return Ok(Parsed::Card(Card::BSource {
                        name,
                        nodes,
                        span: span_at(&f.whole, f.whole.fragment().trim_end().len()),
                        expr: if is_poly(f) {
                            poly_law(f, false)?
                        } else {
                            table_law(f)?
                        },
                        voltage,
                    }));
                }
                return Err(special_form_error(f, voltage));
            }
            let cp = expect_positional(&fs, 3, &card, "the controlling + node")?;
            let cn = expect_positional(&fs, 4, &card, "the controlling - node")?;
            let gain = value_of(expect_positional(
                &fs,
                5,
                &card,
                if voltage {
                    "a voltage gain"
                } else {
                    "a transconductance (S)"
                },
            )?)?;
            if let Some(f) = fs.get(6) {
                return Err(too_many(
                    f,
                    if voltage {
                        "a voltage-controlled voltage source"
                    } else {
                        "a voltage-controlled current source"
                    },
                ));
            }
            let span = gain.span;
            let probe = expr::Expr::Volt(
                cp.fragment().to_ascii_lowercase(),
                Some(cn.fragment().to_ascii_lowercase()),
                span_at(&cp, cp.fragment().len()),
            );
            Ok(Parsed::Card(Card::BSource {
                name,
                nodes,
                expr: expr::Expr::Bin(expr::BinOp::Mul, Box::new(gain.expr), Box::new(probe)),
                span,
                voltage,
            }))
        }
        Some('f') | Some('h') => {
            // Current-controlled sources: I(vname) is the current of an
            // independent voltage source.
            let voltage = first == Some('h');
            let (name, nodes) = two_node_element(&fs, &card)?;
            if let Some(f) = fs.get(3).filter(|f| special_form(f)) {
                if is_poly(f) {
                    // A B-source reading the controlling sources' currents.
                    return Ok(Parsed::Card(Card::BSource {
                        name,
                        nodes,
                        span: span_at(&f.whole, f.whole.fragment().trim_end().len()),
                        expr: poly_law(f, true)?,
                        voltage,
                    }));
                }
                return Err(special_form_error(f, voltage));
            }
            let control = expect_positional(&fs, 3, &card, "the controlling voltage source")?;
            let gain = value_of(expect_positional(
                &fs,
                4,
                &card,
                if voltage {
                    "a transresistance (ohm)"
                } else {
                    "a current gain"
                },
            )?)?;
            if let Some(f) = fs.get(5) {
                return Err(too_many(
                    f,
                    if voltage {
                        "a current-controlled voltage source"
                    } else {
                        "a current-controlled current source"
                    },
                ));
            }
            Ok(Parsed::Card(Card::CcSource {
                name,
                nodes,
                control: name_of(&control),
                gain,
                voltage,
            }))
        }
        Some('c') | Some('l') => {
            let (name, nodes) = two_node_element(&fs, &card)?;
            let what = if first == Some('c') {
                "a capacitance"
            } else {
                "an inductance"
            };
            // The value positional, or HSPICE's `C=value` / `L=value`.
            fn keyed<'a>(f: &Field<'a>, first: Option<char>) -> Option<In<'a>> {
                let k = f.key.map(|k| k.fragment().to_ascii_lowercase());
                match (k.as_deref(), first) {
                    (Some("c" | "capacitance"), Some('c'))
                    | (Some("l" | "inductance"), Some('l')) => f.val,
                    _ => None,
                }
            }
            let (value, rest) = match fs.get(3) {
                Some(f) if f.key.is_some() => match fs[3..].iter().find_map(|f| keyed(f, first)) {
                    Some(v) => (value_of(v)?, 3),
                    None => {
                        return Err(expect_positional(&fs, 3, &card, what)
                            .err()
                            .unwrap_or_else(|| too_many(f, what)))
                    }
                },
                _ => (value_of(expect_positional(&fs, 3, &card, what)?)?, 4),
            };
            // ic=, m=, tc1= ...: kept (they change no DC result).
            let mut args = Vec::new();
            for f in &fs[rest..] {
                if keyed(f, first).is_some() {
                    continue;
                }
                if f.key.is_none() {
                    return Err(too_many(
                        f,
                        if first == Some('c') {
                            "a capacitor"
                        } else {
                            "an inductor"
                        },
                    ));
                }
                args.push(arg_of(f)?);
            }
            Ok(Parsed::Card(Card::Reactive {
                name,
                nodes,
                value,
                args,
            }))
        }
        Some('s') => {
            // Sname n+ n- nc+ nc- model [ON|OFF]
            let (name, [a, b]) = two_node_element(&fs, &card)?;
            let cp = name_of(&expect_positional(&fs, 3, &card, "the controlling + node")?);
            let cn = name_of(&expect_positional(&fs, 4, &card, "the controlling - node")?);
            let model = name_of(&expect_positional(&fs, 5, &card, "a switch model name")?);
            let mut on = false;
            for f in fs.get(6..).unwrap_or(&[]) {
                match (f.key, f.val) {
                    (None, Some(v)) if v.fragment().eq_ignore_ascii_case("on") => on = true,
                    (None, Some(v)) if v.fragment().eq_ignore_ascii_case("off") => on = false,
                    _ => return Err(too_many(f, "a switch (expected ON or OFF)")),
                }
            }
            Ok(Parsed::Card(Card::Switch {
                name,
                nodes: [a, b, cp, cn],
                model,
                on,
            }))
        }
        Some('d') => {
            // Dname n+ n- model [area] [off] [area= m= temp= dtemp= ic= pj=]
            let (name, nodes) = two_node_element(&fs, &card)?;
            let model = name_of(&expect_positional(&fs, 3, &card, "a diode model name")?);
            let mut area = None;
            let mut args = Vec::new();
            for f in fs.get(4..).unwrap_or(&[]) {
                match (f.key, f.val) {
                    (None, Some(v)) if v.fragment().eq_ignore_ascii_case("off") => {}
                    (None, Some(v)) if area.is_none() => area = Some(value_of(v)?),
                    (None, _) => return Err(too_many(f, "a diode")),
                    _ => args.push(arg_of(f)?),
                }
            }
            Ok(Parsed::Card(Card::Diode {
                name,
                nodes,
                model,
                area,
                args,
            }))
        }
        Some('v') => parse_source(&fs, &card, 'v').map(Parsed::Card),
        Some('i') => parse_source(&fs, &card, 'i').map(Parsed::Card),
        Some('y') => parse_memristor(&fs, &card).map(Parsed::Card),
        Some('a') => parse_xspice(&fs, &card).map(Parsed::Card),
        Some('x') => parse_instance(&fs, &card).map(Parsed::Card),
        Some('.') => parse_directive(&fs, card),
        Some('+') => Err(PErr {
            span: span_at(&card, 1),
            msg: "continuation line '+' with no card before it".into(),
            hint: None,
        }),
        _ => {
            let w = f0.val.unwrap_or(f0.whole);
            Err(PErr {
                span: span_at(&w, 1),
                msg: format!("unknown element '{}'", w.fragment()).into(),
                hint: Some("elements: R (resistor), C and L (open and short in DC), V and I (sources), E, F, G, H (controlled sources), B (behavioural source, I= or V=), D (diode), S (voltage-controlled switch), YMEMRISTOR (memristor), A (ngspice's XSPICE memristor), X (subcircuit instance)".into()),
            })
        }
    }
}

impl From<PErr> for super::Diagnostic {
    fn from(e: PErr) -> Self {
        let d = super::Diagnostic::new(e.span, e.msg);
        match e.hint {
            Some(h) => d.with_hint(h),
            None => d,
        }
    }
}
