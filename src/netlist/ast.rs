//! The parsed netlist: one [`Card`] per element or directive, every name and
//! value with its [`Span`]. Names are lower-cased (SPICE is case-insensitive).

use super::expr::Expr;
use super::source::{Sources, Span};
use super::Diagnostic;

/// A name (element, node, model, parameter, option) and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

/// A value: an expression evaluated at elaboration (a plain number is `Expr::Num`).
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    pub expr: Expr,
    pub span: Span,
}

/// A `key=value` argument of a directive or model card.
#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    pub key: Name,
    pub value: ArgValue,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ArgValue {
    /// No `=value` (a flag such as `.options klu`).
    Flag,
    Value(Value),
    /// `"text"`
    Str(String, Span),
    /// `file("path")`
    File(String, Span),
}

impl ArgValue {
    pub fn span(&self, key: &Name) -> Span {
        match self {
            ArgValue::Flag => key.span,
            ArgValue::Value(v) => v.span,
            ArgValue::Str(_, s) | ArgValue::File(_, s) => *s,
        }
    }
}

/// An independent source's card after its nodes: the DC value and what
/// the later analyses (AC, transient) take, all kept as written.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SourceSpec {
    /// `DC v`, `DC=v` or a bare value; None: not given (then the DC value
    /// is the waveform's value at time 0, as SPICE takes it, else 0).
    pub dc: Option<Value>,
    /// `AC mag [phase]` (phase in degrees).
    pub ac: Option<(Value, Option<Value>)>,
    pub wave: Option<Wave>,
}

/// A time-domain source function: `SIN(VO VA FREQ TD THETA PHASE)`,
/// `PULSE(V1 V2 TD TR TF PW PER)`, `PWL(T1 V1 T2 V2 ...)`,
/// `EXP(V1 V2 TD1 TAU1 TD2 TAU2)`, `SFFM(VO VA FC MDI FS)`, `AM(VA VO MF FC TD)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Wave {
    pub kind: WaveKind,
    pub args: Vec<Value>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaveKind {
    Sin,
    Pulse,
    Pwl,
    Exp,
    Sffm,
    Am,
}

impl WaveKind {
    pub fn parse(word: &str) -> Option<WaveKind> {
        Some(match word.to_ascii_lowercase().as_str() {
            "sin" => WaveKind::Sin,
            "pulse" => WaveKind::Pulse,
            "pwl" => WaveKind::Pwl,
            "exp" => WaveKind::Exp,
            "sffm" => WaveKind::Sffm,
            "am" => WaveKind::Am,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            WaveKind::Sin => "SIN",
            WaveKind::Pulse => "PULSE",
            WaveKind::Pwl => "PWL",
            WaveKind::Exp => "EXP",
            WaveKind::Sffm => "SFFM",
            WaveKind::Am => "AM",
        }
    }

    /// The arguments it takes at least and at most.
    pub fn arity(self) -> (usize, usize) {
        match self {
            WaveKind::Sin => (2, 6),
            WaveKind::Pulse => (2, 7),
            WaveKind::Pwl => (2, usize::MAX),
            WaveKind::Exp => (2, 6),
            WaveKind::Sffm => (2, 5),
            WaveKind::Am => (2, 5),
        }
    }

    /// The value at time 0 of the function with arguments `a` (as ngspice
    /// evaluates it for an operating point when no DC value is given).
    pub fn at_zero(self, a: &[f64]) -> f64 {
        let arg = |k: usize| a.get(k).copied().unwrap_or(0.0);
        match self {
            // VO + VA·sin(PHASE), the value up to the delay.
            WaveKind::Sin => arg(0) + arg(1) * arg(5).to_radians().sin(),
            WaveKind::Pulse | WaveKind::Exp | WaveKind::Sffm => arg(0),
            // Modulated carrier sin(0) = 0.
            WaveKind::Am => 0.0,
            WaveKind::Pwl => {
                let pts: Vec<(f64, f64)> = a.chunks_exact(2).map(|p| (p[0], p[1])).collect();
                match pts.iter().position(|p| p.0 >= 0.0) {
                    None => pts.last().map_or(0.0, |p| p.1),
                    Some(0) => pts[0].1,
                    Some(k) => {
                        let ((t0, v0), (t1, v1)) = (pts[k - 1], pts[k]);
                        if t1 == t0 {
                            v1
                        } else {
                            v0 + (v1 - v0) * (0.0 - t0) / (t1 - t0)
                        }
                    }
                }
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Card {
    /// `Rname n+ n- value [m=.. tc1=.. tc2=.. scale=..]` (or `R=value`).
    Resistor {
        name: Name,
        nodes: [Name; 2],
        value: Value,
        args: Vec<Arg>,
    },
    /// `Vname n+ n- [[DC] v | DC=v] [AC mag [phase]] [SIN(...) | PULSE(...) | ...]`
    VSource {
        name: Name,
        nodes: [Name; 2],
        spec: SourceSpec,
    },
    ISource {
        name: Name,
        nodes: [Name; 2],
        spec: SourceSpec,
    },
    /// `Cname n+ n- value [ic=v ...]` and `Lname n+ n- value [ic=i ...]`:
    /// open and short in DC, kept for the transient analysis to come.
    Reactive {
        name: Name,
        nodes: [Name; 2],
        value: Value,
        args: Vec<Arg>,
    },
    /// `Bname n+ n- I={expr}`: current from n+ through the source to n-;
    /// with `voltage`, `Bname n+ n- V={expr}` or `Ename n+ n- nc+ nc- gain`:
    /// V(n+) − V(n−) = expr.
    BSource {
        name: Name,
        nodes: [Name; 2],
        expr: Expr,
        span: Span,
        voltage: bool,
    },
    /// `Fname n+ n- vname gain`: gain·I(vname) from n+ through the source
    /// to n−; with `voltage`, `Hname n+ n- vname gain`: V(n+) − V(n−) =
    /// gain·I(vname). I(vname) is the current of an independent voltage
    /// source (SPICE sign, into its + terminal).
    CcSource {
        name: Name,
        nodes: [Name; 2],
        control: Name,
        gain: Value,
        voltage: bool,
    },
    /// `Dname n+ n- model [area] [off] [key=value ...]`
    Diode {
        name: Name,
        nodes: [Name; 2],
        model: Name,
        area: Option<Value>,
        args: Vec<Arg>,
    },
    /// `Sname n+ n- nc+ nc- model [ON|OFF]`: voltage-controlled switch.
    Switch {
        name: Name,
        /// n+, n-, nc+, nc-.
        nodes: [Name; 4],
        model: Name,
        /// Initial state `ON` (else off).
        on: bool,
    },
    /// `YMEMRISTOR name n+ n- model [g=...]`, or ngspice's XSPICE
    /// `Aname n+ n- model` (`xspice`: its memristor code model).
    Memristor {
        name: Name,
        nodes: [Name; 2],
        model: Name,
        args: Vec<Arg>,
        xspice: bool,
    },
    /// `.model name type (key=value ...)`
    Model {
        name: Name,
        kind: Name,
        args: Vec<Arg>,
    },
    /// `.param a=1 b={2*a}`
    Param(Vec<(Name, Value)>),
    /// `.options reltol=1e-6 ...`
    Options(Vec<Arg>),
    /// `.temp 27`
    Temp(Value),
    /// `.op`
    Op(Span),
    /// `.dc` with one or more sweeps, the first the innermost (fastest).
    Dc { span: Span, sweeps: Vec<DcSweep> },
    /// `.print [op|dc|...] item...`, `.save item...`, `.probe item...`:
    /// what the DC analyses write (`v(a)`, `v(a,b)`, `i(x)`, `@x[i]`,
    /// `all`); `analysis` is the analysis word, if given.
    Output {
        kind: Name,
        analysis: Option<Name>,
        items: Vec<Name>,
    },
    /// `.crossbar XB rows=.. cols=.. model=.. ...`
    Crossbar {
        name: Name,
        args: Vec<Arg>,
        span: Span,
    },
    /// `.subckt NAME port... [params:] [k=v ...]`: a subcircuit definition
    /// starts; its default parameter values.
    Subckt {
        name: Name,
        ports: Vec<Name>,
        params: Vec<(Name, Value)>,
    },
    /// `.ends [NAME]`
    Ends(Option<Name>, Span),
    /// `.global NODE...`: nodes every subcircuit instance shares with the
    /// top level instead of renaming them.
    Global(Vec<Name>),
    /// `.ic V(node)=value ...`: initial node voltages (used in DC only to
    /// hold a node with no DC path, see the elaboration).
    Ic {
        nodes: Vec<Name>,
        values: Vec<Value>,
    },
    /// `Xname node... SUBCKT [params:] [k=v ...]`: an instance of a subcircuit.
    Instance {
        name: Name,
        nodes: Vec<Name>,
        subckt: Name,
        params: Vec<(Name, Value)>,
    },
    /// `.func name(a, b) = expr` (or `{expr}`): a user function.
    Func {
        name: Name,
        args: Vec<Name>,
        body: Expr,
    },
    /// Any other analysis/directive card with `key=value` arguments, whose
    /// meaning an analysis module gives (e.g. `.vmm`, `.read`): the directive
    /// name (without dot), its positional words, and its arguments.
    Directive {
        kind: Name,
        words: Vec<Name>,
        args: Vec<Arg>,
    },
}

impl Card {
    /// The element name, for cards that are elements.
    pub fn element_name(&self) -> Option<&Name> {
        match self {
            Card::Resistor { name, .. }
            | Card::VSource { name, .. }
            | Card::ISource { name, .. }
            | Card::BSource { name, .. }
            | Card::CcSource { name, .. }
            | Card::Reactive { name, .. }
            | Card::Instance { name, .. }
            | Card::Diode { name, .. }
            | Card::Switch { name, .. }
            | Card::Memristor { name, .. } => Some(name),
            _ => None,
        }
    }

    /// The element name, mutable (for renaming inside subcircuit instances).
    pub fn element_name_mut(&mut self) -> Option<&mut Name> {
        match self {
            Card::Resistor { name, .. }
            | Card::VSource { name, .. }
            | Card::ISource { name, .. }
            | Card::BSource { name, .. }
            | Card::CcSource { name, .. }
            | Card::Reactive { name, .. }
            | Card::Instance { name, .. }
            | Card::Diode { name, .. }
            | Card::Switch { name, .. }
            | Card::Memristor { name, .. } => Some(name),
            _ => None,
        }
    }

    /// The nodes an element card connects (an instance's ports in order;
    /// a switch's n+ n- nc+ nc-); none for other cards.
    pub fn nodes(&self) -> &[Name] {
        match self {
            Card::Resistor { nodes, .. }
            | Card::VSource { nodes, .. }
            | Card::ISource { nodes, .. }
            | Card::BSource { nodes, .. }
            | Card::CcSource { nodes, .. }
            | Card::Reactive { nodes, .. }
            | Card::Diode { nodes, .. }
            | Card::Memristor { nodes, .. } => nodes,
            Card::Switch { nodes, .. } => nodes,
            Card::Instance { nodes, .. } | Card::Ic { nodes, .. } => nodes,
            _ => &[],
        }
    }

    /// [`Card::nodes`], mutable (for renaming inside subcircuit instances).
    pub fn nodes_mut(&mut self) -> &mut [Name] {
        match self {
            Card::Resistor { nodes, .. }
            | Card::VSource { nodes, .. }
            | Card::ISource { nodes, .. }
            | Card::BSource { nodes, .. }
            | Card::CcSource { nodes, .. }
            | Card::Reactive { nodes, .. }
            | Card::Diode { nodes, .. }
            | Card::Memristor { nodes, .. } => nodes,
            Card::Switch { nodes, .. } => nodes,
            Card::Instance { nodes, .. } | Card::Ic { nodes, .. } => nodes,
            _ => &mut [],
        }
    }

    /// Visit every expression the card holds (values, arguments, source
    /// specifications, B-source laws, parameter definitions).
    pub fn exprs_mut(&mut self, f: &mut dyn FnMut(&mut Expr)) {
        fn args(a: &mut [Arg], f: &mut dyn FnMut(&mut Expr)) {
            for a in a {
                if let ArgValue::Value(v) = &mut a.value {
                    f(&mut v.expr);
                }
            }
        }
        fn spec(s: &mut SourceSpec, f: &mut dyn FnMut(&mut Expr)) {
            if let Some(v) = &mut s.dc {
                f(&mut v.expr);
            }
            if let Some((m, p)) = &mut s.ac {
                f(&mut m.expr);
                if let Some(p) = p {
                    f(&mut p.expr);
                }
            }
            if let Some(w) = &mut s.wave {
                w.args.iter_mut().for_each(|v| f(&mut v.expr));
            }
        }
        match self {
            Card::Resistor { value, args: a, .. } | Card::Reactive { value, args: a, .. } => {
                f(&mut value.expr);
                args(a, f);
            }
            Card::VSource { spec: s, .. } | Card::ISource { spec: s, .. } => spec(s, f),
            Card::BSource { expr, .. } => f(expr),
            Card::CcSource { gain, .. } => f(&mut gain.expr),
            Card::Diode { area, args: a, .. } => {
                if let Some(v) = area {
                    f(&mut v.expr);
                }
                args(a, f)
            }
            Card::Memristor { args: a, .. }
            | Card::Model { args: a, .. }
            | Card::Options(a)
            | Card::Crossbar { args: a, .. }
            | Card::Directive { args: a, .. } => args(a, f),
            Card::Param(ps)
            | Card::Subckt { params: ps, .. }
            | Card::Instance { params: ps, .. } => ps.iter_mut().for_each(|(_, v)| f(&mut v.expr)),
            Card::Temp(v) => f(&mut v.expr),
            Card::Dc { sweeps, .. } => sweeps
                .iter_mut()
                .flat_map(|s| s.nums.iter_mut())
                .for_each(|v| f(&mut v.expr)),
            Card::Func { body, .. } => f(body),
            Card::Ic { values, .. } => values.iter_mut().for_each(|v| f(&mut v.expr)),
            Card::Op(_)
            | Card::Output { .. }
            | Card::Ends(..)
            | Card::Switch { .. }
            | Card::Global(_) => {}
        }
    }
}

/// One swept variable of a `.dc` card: a source, resistor, `temp` or
/// `.param` name, and how its values go.
#[derive(Clone, Debug, PartialEq)]
pub struct DcSweep {
    pub name: Name,
    /// Written `param NAME`: the name must be a `.param`.
    pub param: bool,
    pub mode: DcMode,
    /// `Step`, `Points`, `Dec`, `Oct`: start, stop and the third number
    /// (step, number of points, points per decade or octave); `List`: the values.
    pub nums: Vec<Value>,
}

/// How a `.dc` sweep's values go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DcMode {
    /// start, start+step, ... up to stop (SPICE; Xyce `lin`).
    Step,
    /// n points evenly from start to stop (HSPICE `lin n start stop`).
    Points,
    Dec,
    Oct,
    /// The values as listed (Xyce `list`, HSPICE `poi n ...`).
    List,
}

/// Where one logical card's text is: a range of its file, or (for cards
/// that span lines or have comments removed) an owned copy. Either way its
/// byte offsets map to the file by adding `start`.
#[derive(Debug)]
pub struct CardRef {
    pub file: super::FileId,
    pub start: usize,
    text: CardText,
}

#[derive(Debug)]
enum CardText {
    Range(usize),
    Owned(Box<str>),
}

/// A loaded netlist: title, the location of every card in order (includes
/// spliced in place), the files they came from, and warnings. Cards are parsed
/// on demand ([`Deck::parse`]): a million-element netlist never exists as a
/// million syntax trees at once.
#[derive(Debug, Default)]
pub struct Deck {
    pub title: String,
    pub cards: Vec<CardRef>,
    pub sources: Sources,
    pub warnings: Vec<Diagnostic>,
}

impl Deck {
    pub(crate) fn push_card(&mut self, file: super::FileId, raw: super::lines::RawCard) {
        let text = match raw.text {
            std::borrow::Cow::Borrowed(t) => CardText::Range(raw.start + t.len()),
            std::borrow::Cow::Owned(t) => CardText::Owned(t.into_boxed_str()),
        };
        self.cards.push(CardRef {
            file,
            start: raw.start,
            text,
        });
    }

    /// The text of card `k`.
    pub fn card_text(&self, k: usize) -> &str {
        let c = &self.cards[k];
        match &c.text {
            CardText::Range(end) => &self.sources.text(c.file)[c.start..*end],
            CardText::Owned(t) => t,
        }
    }

    /// Parse card `k`.
    pub fn parse(&self, k: usize) -> Result<super::parser::Parsed, super::expr::PErr> {
        let c = &self.cards[k];
        super::parser::parse_card(
            self.card_text(k),
            super::expr::Ctx {
                file: c.file,
                base: c.start,
            },
        )
    }

    /// Parse every card (small netlists, tests): cards, or all parse errors.
    pub fn parse_all(&self) -> Result<Vec<Card>, super::Diagnostics> {
        let mut cards = Vec::new();
        let mut errs = Vec::new();
        for k in 0..self.cards.len() {
            match self.parse(k) {
                Ok(super::parser::Parsed::Card(c)) => cards.push(c),
                Ok(_) => {}
                Err(e) => errs.push(e.into()),
            }
        }
        if errs.is_empty() {
            Ok(cards)
        } else {
            Err(super::Diagnostics(errs))
        }
    }
}
