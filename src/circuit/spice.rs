//! Writing an elaborated circuit back out as a flat SPICE netlist that ngspice
//! runs unchanged: crossbars expanded element by element, memristors as
//! B-sources with their I–V law, every number with 17 significant digits.
//!
//! Cubic terms are written as products (`V*V*V`): ngspice 39 evaluates `x^y`
//! as |x|^y. Expression programs of B-sources are written back from their
//! compiled form (parameters already folded into numbers).

use super::{BranchLaw, Circuit, CurrentOf, NodeId};
use crate::devices::bsource::{Op, Program};
use crate::netlist::expr::{BinOp, Func};
use std::collections::HashSet;
use std::io::{self, Write};

fn num(v: f64) -> String {
    format!("{v:.17e}")
}

/// Write `prog` as an infix expression; probe k is the text `probe(k)`.
pub fn program_text(prog: &Program, probe: &dyn Fn(usize) -> String) -> String {
    let mut st: Vec<String> = Vec::new();
    let pop = |st: &mut Vec<String>| st.pop().unwrap_or_else(|| "0".into());
    for op in &prog.ops {
        match *op {
            Op::Const(c) => st.push(if c < 0.0 {
                format!("({})", num(c))
            } else {
                num(c)
            }),
            Op::Probe(k) => st.push(probe(k as usize)),
            Op::Neg => {
                let a = pop(&mut st);
                st.push(format!("(-{a})"));
            }
            Op::Bin(b) => {
                let y = pop(&mut st);
                let x = pop(&mut st);
                st.push(match b {
                    BinOp::Add => format!("({x}+{y})"),
                    BinOp::Sub => format!("({x}-{y})"),
                    BinOp::Mul => format!("({x}*{y})"),
                    BinOp::Div => format!("({x}/{y})"),
                    BinOp::Pow => power(&x, &y),
                    b => format!("({x}{}{y})", b.symbol()),
                });
            }
            Op::Call1(f) => {
                let a = pop(&mut st);
                st.push(format!("{}({a})", func_name(f)));
            }
            Op::Call2(f) => {
                let y = pop(&mut st);
                let x = pop(&mut st);
                st.push(match f {
                    Func::Pow => power(&x, &y),
                    _ => format!("{}({x},{y})", func_name(f)),
                });
            }
            Op::Call3(f) => {
                let c = pop(&mut st);
                let b = pop(&mut st);
                let a = pop(&mut st);
                st.push(match f {
                    Func::If => format!("(({a})!=0?({b}):({c}))"),
                    _ => format!("min(max({a},{b}),{c})"),
                });
            }
        }
    }
    pop(&mut st)
}

/// x^y with xbarsim's meaning: small integer exponents as products (sign
/// kept, unlike ngspice's `^`), anything else as `pow`.
fn power(x: &str, y: &str) -> String {
    match y.parse::<f64>() {
        Ok(k) if k.fract() == 0.0 && (1.0..=8.0).contains(&k) => {
            let f: Vec<&str> = std::iter::repeat_n(x, k as usize).collect();
            format!("({})", f.join("*"))
        }
        Ok(k) if k.fract() == 0.0 && (-8.0..=-1.0).contains(&k) => {
            let f: Vec<&str> = std::iter::repeat_n(x, (-k) as usize).collect();
            format!("(1/({}))", f.join("*"))
        }
        _ => format!("pow({x},{y})"),
    }
}

fn func_name(f: Func) -> &'static str {
    match f {
        Func::Log => "ln",
        other => other.name(),
    }
}

/// A name no other element has: `base`, else `base_2`, `base_3`, …
fn unique(base: String, used: &mut HashSet<String>) -> String {
    let mut name = base.clone();
    let mut k = 2;
    while !used.insert(name.to_ascii_lowercase()) {
        name = format!("{base}_{k}");
        k += 1;
    }
    name
}

/// A behavioural source's card name: its own when it starts with `b`, else
/// (a G or E source with a general law, or a switch, which xbarsim holds as
/// B-sources) `b` + its name, since ngspice reads a card's kind from its
/// first letter.
fn bname(name: &str, used: &mut HashSet<String>) -> String {
    if name.starts_with('b') {
        name.to_string()
    } else {
        unique(format!("b{name}"), used)
    }
}

/// An E source of the linear form gain·V(c, d): (gain, c, d).
fn e_gain(b: &super::VBranch) -> Option<(f64, NodeId, NodeId)> {
    if !b.name.starts_with(['e', 'E']) || !b.currents.is_empty() {
        return None;
    }
    match (b.prog.ops.as_slice(), b.probes.as_slice()) {
        ([Op::Const(g), Op::Probe(0), Op::Bin(BinOp::Mul)], [(pc, pd)]) => Some((*g, *pc, *pd)),
        _ => None,
    }
}

/// Write the flat netlist.
pub fn write_flat(
    c: &Circuit,
    source: &str,
    analyses: &[String],
    w: &mut dyn Write,
) -> io::Result<()> {
    let node = |n: NodeId| c.nodes.name(n).to_string();
    let v = |a: NodeId, b: NodeId| {
        if b.is_ground() {
            format!("V({})", node(a))
        } else {
            format!("V({},{})", node(a), node(b))
        }
    };
    writeln!(
        w,
        "{}",
        if c.title.is_empty() {
            "xbarsim export"
        } else {
            &c.title
        }
    )?;
    writeln!(w, "* flat netlist exported by xbarsim from {source}: crossbars expanded, memristors as B-sources")?;
    let mut used: HashSet<String> = HashSet::new();
    for s in &c.vsources {
        used.insert(s.name.clone());
    }
    for s in &c.isources {
        used.insert(s.name.clone());
    }
    for r in c.resistors.iter().filter(|r| !r.name.is_empty()) {
        used.insert(r.name.to_string());
    }
    for b in &c.branches {
        used.insert(b.name.to_string());
    }
    for b in &c.controlled {
        used.insert(b.name.clone());
    }
    for b in &c.vbranches {
        used.insert(b.name.clone());
    }
    for f in &c.cccs {
        used.insert(f.name.clone());
    }
    // Card names of the voltage sources: their own, but a source xbarsim
    // made (a `#meas` current reader, an `ic#` hold, a held capacitor's)
    // gets `v` + its name, since ngspice reads a card's kind from its first
    // letter; an inductor's short is its L card.
    let inductor_short: HashSet<usize> = c
        .reactives
        .iter()
        .filter(|r| r.name.starts_with('l'))
        .filter_map(|r| r.short)
        .collect();
    let vs_names: Vec<String> = c
        .vsources
        .iter()
        .enumerate()
        .map(|(k, s)| {
            if inductor_short.contains(&k) || (s.name.starts_with('v') && !s.name.contains('#')) {
                s.name.clone()
            } else {
                unique(format!("v{}", s.name.replace('#', "_")), &mut used)
            }
        })
        .collect();
    // Card names of E, H and B `V=` sources, which expressions' I(...) use.
    let vb_names: Vec<String> = c
        .vbranches
        .iter()
        .map(|b| {
            if b.ccvs.is_some() || e_gain(b).is_some() {
                b.name.clone()
            } else {
                bname(&b.name, &mut used)
            }
        })
        .collect();
    // Probe k of an expression with voltage probes `pr` and current probes `cu`.
    let probe = |pr: &[(NodeId, NodeId)], cu: &[CurrentOf], k: usize| match pr.get(k) {
        Some(&(a, b)) => v(a, b),
        None => match cu[k - pr.len()] {
            CurrentOf::VSource(j) => format!("I({})", vs_names[j]),
            CurrentOf::VBranch(j) => format!("I({})", vb_names[j]),
        },
    };
    if (c.temp - 27.0).abs() > 0.0 {
        writeln!(w, ".temp {}", num(c.temp))?;
    }
    for (k, r) in c.resistors.iter().enumerate() {
        let name = if r.name.is_empty() {
            unique(format!("Rline{k}"), &mut used)
        } else {
            r.name.to_string()
        };
        writeln!(w, "{name} {} {} {}", node(r.a), node(r.b), num(1.0 / r.g))?;
    }
    let shorts: HashSet<usize> = c.reactives.iter().filter_map(|r| r.short).collect();
    for r in &c.reactives {
        writeln!(w, "{} {} {} {}", r.name, node(r.a), node(r.b), num(r.value))?;
        // A capacitor held at its IC (a state node with no other DC
        // path): the hold, as a source in parallel.
        if let (Some(k), false) = (r.short, r.name.starts_with('l')) {
            let v = num(c.vsources[k].volts);
            writeln!(w, "{} {} {} DC {v}", vs_names[k], node(r.a), node(r.b))?;
        }
    }
    for (k, s) in c.vsources.iter().enumerate() {
        if shorts.contains(&k) {
            continue; // an inductor or a held capacitor, written above
        }
        writeln!(
            w,
            "{} {} {} DC {}{}",
            vs_names[k],
            node(s.p),
            node(s.n),
            num(s.volts),
            wave_text(s.wave.as_deref())
        )?;
    }
    for s in &c.isources {
        writeln!(
            w,
            "{} {} {} DC {}{}",
            s.name,
            node(s.p),
            node(s.n),
            num(s.amps),
            wave_text(s.wave.as_deref())
        )?;
    }
    for m in &c.memristors {
        let law = c.models[m.model as usize].law;
        let short = m
            .name
            .rsplit(' ')
            .next()
            .unwrap_or(&m.name)
            .replace('.', "_");
        let name = unique(format!("Bmem_{short}"), &mut used);
        writeln!(
            w,
            "{name} {} {} I={}",
            node(m.a),
            node(m.b),
            law.to_spice_expr_dev(m.g, m.ns, &v(m.a, m.b))
        )?;
    }
    for b in &c.branches {
        let vab = v(b.a, b.b);
        let expr = match &b.law {
            BranchLaw::Linear { g } => format!("{}*{vab}", num(*g)),
            BranchLaw::Sinh { k, beta } => format!("{}*sinh({}*{vab})", num(*k), num(*beta)),
            BranchLaw::Cubic { c1, c3 } => {
                format!("{}*{vab}+{}*{vab}*{vab}*{vab}", num(*c1), num(*c3))
            }
            BranchLaw::Diode { model: d, .. } => {
                let mname = unique(format!("{}_model", b.name.replace('.', "_")), &mut used);
                let bv =
                    d.bv.map(|bv| format!(" BV={} IBV={}", num(bv), num(d.ibv)))
                        .unwrap_or_default();
                writeln!(
                    w,
                    ".model {mname} D(IS={} N={} NBV={} EG={} XTI={} TNOM={}{bv})",
                    num(d.is),
                    num(d.n),
                    num(d.nbv),
                    num(d.eg),
                    num(d.xti),
                    num(d.tnom)
                )?;
                writeln!(w, "{} {} {} {mname}", b.name, node(b.a), node(b.b))?;
                continue;
            }
            BranchLaw::Program { prog, signs } => program_text(prog, &|k| {
                if signs[k] < 0.0 {
                    format!("(-{vab})")
                } else {
                    vab.clone()
                }
            }),
        };
        writeln!(
            w,
            "{} {} {} I={expr}",
            bname(&b.name, &mut used),
            node(b.a),
            node(b.b)
        )?;
    }
    for b in &c.controlled {
        let expr = program_text(&b.prog, &|k| probe(&b.probes, &b.currents, k));
        writeln!(
            w,
            "{} {} {} I={expr}",
            bname(&b.name, &mut used),
            node(b.a),
            node(b.b)
        )?;
    }
    for (b, name) in c.vbranches.iter().zip(&vb_names) {
        // An E card keeps its form (gain·V(c, d)); any other law is a B V=.
        if let Some((j, g)) = b.ccvs {
            let src = &vs_names[j];
            writeln!(w, "{name} {} {} {src} {}", node(b.p), node(b.n), num(g))?;
        } else if let Some((g, pc, pd)) = e_gain(b) {
            writeln!(
                w,
                "{name} {} {} {} {} {}",
                node(b.p),
                node(b.n),
                node(pc),
                node(pd),
                num(g)
            )?
        } else {
            let expr = program_text(&b.prog, &|k| probe(&b.probes, &b.currents, k));
            writeln!(w, "{name} {} {} V={expr}", node(b.p), node(b.n))?;
        }
    }
    for f in &c.cccs {
        let src = &vs_names[f.ctrl];
        writeln!(
            w,
            "{} {} {} {src} {}",
            f.name,
            node(f.p),
            node(f.n),
            num(f.gain)
        )?;
    }
    let o = &c.options;
    writeln!(
        w,
        ".options reltol={} abstol={} vntol={} gmin={}",
        num(o.reltol),
        num(o.abstol),
        num(o.vntol),
        num(o.gmin)
    )?;
    for line in analyses {
        writeln!(w, "{line}")?;
    }
    writeln!(w, ".end")
}

/// A source's AC and time-domain specification as card text (with a
/// leading space), empty without one.
fn wave_text(w: Option<&super::SourceWave>) -> String {
    let Some(w) = w else {
        return String::new();
    };
    let mut t = String::new();
    if let Some((m, p)) = w.ac {
        t += &format!(" AC {} {}", num(m), num(p));
    }
    if let Some((k, args)) = &w.wave {
        let a: Vec<String> = args.iter().map(|x| num(*x)).collect();
        t += &format!(" {}({})", k.name(), a.join(" "));
    }
    t
}
