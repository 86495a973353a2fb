//! The nodal equations of a circuit, assembled through slots.
//!
//! Unknowns y are the voltages of the free nodes (and supernode roots, see
//! [`super::mapping`]), then one branch current per E, H and B `V=` source
//! and per voltage source whose current an F or H reads. The residual F(y)
//! is, per node unknown, the net current leaving its node(s) through every
//! element, and per branch unknown its constraint V(p) − V(n) − law = 0
//! (weighted, see `assemble`); the Jacobian J = ∂F/∂y. Circuits without
//! these elements have node unknowns only, as before. Setup
//! (once per topology) resolves every stamp to value slots; `assemble` only
//! reads device laws and writes through slots: one loop per element kind.

use super::mapping::{Mapping, NONE};
use super::pattern::{EntryId, Pattern, PatternBuilder};
use crate::circuit::{BranchLaw, Circuit, CurrentOf, NodeId};

/// Slots of a two-terminal conductance stamp: (a,a), (b,b), (a,b), (b,a).
#[derive(Clone, Copy, Debug)]
pub struct Stamp2 {
    pub ua: u32,
    pub ub: u32,
    pub s: [u32; 4],
}

#[derive(Clone, Debug)]
struct CtlStamp {
    ua: u32,
    ub: u32,
    /// Per probe: slots (a,c), (a,d), (b,c), (b,d) for probe V(c) − V(d).
    s: Vec<[u32; 4]>,
    /// Per current probe: its unknown `crow` and slots (a, crow), (b, crow).
    cur: Vec<(u32, [u32; 2])>,
}

/// Slots of a voltage-defined branch (E, B with `V=`): its current is
/// unknown `row`, entering the KCL rows of `up` (+) and `un` (−); row `row`
/// is its constraint V(p) − V(n) − f(probes) = 0.
#[derive(Clone, Debug)]
struct VbStamp {
    up: u32,
    un: u32,
    row: u32,
    /// (up, row), (un, row), (row, up), (row, un).
    s: [u32; 4],
    /// Per probe V(c) − V(d): (row, c), (row, d).
    pr: Vec<[u32; 2]>,
    /// Per current probe: its unknown `crow` and slot (row, crow).
    cur: Vec<(u32, u32)>,
    /// An H source: slot (row, crow), the controlling current's unknown
    /// `crow`, and the transresistance.
    ctl: Option<(u32, u32, f64)>,
}

/// An F source: gain·y[crow] from `up` to `un`; slots (up, crow), (un, crow).
#[derive(Clone, Copy, Debug)]
struct FStamp {
    up: u32,
    un: u32,
    crow: u32,
    gain: f64,
    s: [u32; 2],
}

/// Assembled nodal system and everything needed to evaluate it.
pub struct System {
    pub map: Mapping,
    pub pattern: Pattern,
    /// Symmetric (Cholesky-able) when there are no controlled sources.
    pub symmetric: bool,
    /// Node unknowns come first; then one branch current per `vbranches`.
    pub n_nodes: usize,
    res: Vec<Stamp2>,
    mem: Vec<Stamp2>,
    br: Vec<Stamp2>,
    ctl: Vec<CtlStamp>,
    vb: Vec<VbStamp>,
    /// Voltage sources with a branch unknown (an F or H reads them): the
    /// source's index and its stamp (no probes).
    vsb: Vec<(u32, VbStamp)>,
    fs: Vec<FStamp>,
    /// Per voltage source: its branch unknown, or `NONE` (eliminated).
    vs_row: Vec<u32>,
    /// Per voltage-defined branch (`vbranches`, then `vsb`): the weight (S) of its constraint row,
    /// taken at the last Jacobian assembly (see `assemble`).
    vb_w: Vec<f64>,
    isrc: Vec<(u32, u32)>,
    diag: Vec<u32>,
    /// Current source values (A) and voltage source values (V) in use (sweeps change them).
    pub i_values: Vec<f64>,
    pub v_values: Vec<f64>,
    /// Source-stepping factor applied to every independent source.
    pub source_scale: f64,
    /// Shunt conductance from every unknown to ground (gmin stepping).
    pub gshunt: f64,
    off: Vec<f64>,
    /// Node voltages at the last assembly.
    pub v: Vec<f64>,
    /// Branch currents of `vbranches` at the last assembly (SPICE sign).
    pub ibr: Vec<f64>,
    /// Jacobian values (pattern order) and residual of the last assembly.
    pub vals: Vec<f64>,
    pub f: Vec<f64>,
    /// Per unknown: largest element current magnitude at the last assembly (for reltol).
    pub scale: Vec<f64>,
    pbuf: Vec<f64>,
    sbuf: Vec<f64>,
    stack: Vec<(f64, f64)>,
    /// Node → incident elements, built the first time a source current
    /// needs the cut of a cluster (see [`System::leaving_currents`]).
    incidence: Option<Incidence>,
    /// Accuracy warnings of [`System::leaving_currents`] (one per node),
    /// kept until the caller drains them.
    pub warnings: Vec<String>,
}

/// Which element: resistor, memristor, two-terminal B-source, controlled
/// B-source or current source, and its index in that list.
#[derive(Clone, Copy, Debug)]
enum Elem {
    R(u32),
    M(u32),
    B(u32),
    C(u32),
    I(u32),
    /// A voltage-defined branch (its current is an unknown).
    V(u32),
    /// A voltage source with a branch unknown (by its source index).
    W(u32),
    /// An F source.
    F(u32),
}

/// Adds sign·d at each Jacobian slot of `slots` (slots that are not in
/// the matrix, `NONE`, are skipped): one probe's or current's partial
/// derivative stamped with its signs.
#[inline]
fn add_signed(vals: &mut [f64], slots: &[u32], signs: &[f64], d: f64) {
    for (slot, sign) in slots.iter().zip(signs) {
        if *slot != NONE {
            vals[*slot as usize] += sign * d;
        }
    }
}

/// Load a program's inputs: the voltages V(c) − V(d) of `probes` (from node
/// voltages `v`), then the currents in unknowns `rows` (unknown r is
/// `y[r − base]`), every seed cleared. Returns how many.
fn load_probes(
    pbuf: &mut [f64],
    sbuf: &mut [f64],
    v: &[f64],
    probes: &[(NodeId, NodeId)],
    rows: impl Iterator<Item = u32>,
    y: &[f64],
    base: usize,
) -> usize {
    let mut n = 0;
    let currents = rows.map(|r| y[r as usize - base]);
    for x in probes
        .iter()
        .map(|&(p, q)| v[p.idx()] - v[q.idx()])
        .chain(currents)
    {
        pbuf[n] = x;
        sbuf[n] = 0.0;
        n += 1;
    }
    n
}

/// The value of `prog` at the `n` loaded inputs and, when `jac`, each
/// input k's partial derivative handed to `partial(k, d)` (one evaluation
/// per input, seeded on it; one evaluation in all without `jac`).
fn eval_partials(
    prog: &crate::devices::bsource::Program,
    n: usize,
    jac: bool,
    pbuf: &mut [f64],
    sbuf: &mut [f64],
    stack: &mut Vec<(f64, f64)>,
    mut partial: impl FnMut(usize, f64),
) -> f64 {
    if n == 0 || !jac {
        return prog.eval_dual(pbuf, sbuf, stack).0;
    }
    let mut val = 0.0;
    for k in 0..n {
        sbuf[k] = 1.0;
        let (x, d) = prog.eval_dual(pbuf, sbuf, stack);
        sbuf[k] = 0.0;
        val = x;
        partial(k, d);
    }
    val
}

/// Node → incident elements (CSR).
struct Incidence {
    start: Vec<u32>,
    items: Vec<Elem>,
}

/// A branch whose two end voltages agree to this relative difference or
/// better loses at least four digits when its current is computed from
/// their difference: source currents are then taken from a cut around it.
const STIFF: f64 = 1e-4;
/// Largest cluster of nodes gathered for one source terminal.
const MAX_CLUSTER: usize = 1 << 16;
/// A source current whose estimated relative rounding error exceeds this
/// is reported with a warning.
const WARN_REL_ERROR: f64 = 1e-9;

fn stamp2(pb: &mut PatternBuilder, ua: u32, ub: u32) -> [EntryId; 4] {
    if ua == ub {
        // Both ends in one supernode (or both known): the element is internal.
        let e = pb.entry(NONE, NONE);
        return [e; 4];
    }
    [
        pb.entry(ua, ua),
        pb.entry(ub, ub),
        pb.entry(ua, ub),
        pb.entry(ub, ua),
    ]
}

impl System {
    pub fn new(c: &Circuit) -> System {
        let map = Mapping::new(c);
        let n_nodes = map.n_unknowns();
        let branch_vs = c.branch_vsources();
        let nvb = c.vbranches.len();
        let mut vs_row = vec![NONE; c.vsources.len()];
        let mut vsb_src = Vec::new();
        for (k, _) in branch_vs.iter().enumerate().filter(|x| *x.1) {
            vs_row[k] = (n_nodes + nvb + vsb_src.len()) as u32;
            vsb_src.push(k as u32);
        }
        let n = n_nodes + nvb + vsb_src.len();
        // The unknown holding a current an expression reads.
        let crow = |of: &CurrentOf| match *of {
            CurrentOf::VSource(k) => vs_row[k],
            CurrentOf::VBranch(j) => (n_nodes + j) as u32,
        };
        let symmetric = c.controlled.is_empty() && c.vbranches.is_empty() && c.cccs.is_empty();
        let mut pb = PatternBuilder::new(n, symmetric);
        pb.reserve(4 * (c.resistors.len() + c.memristors.len() + c.branches.len()));
        let u = |x: NodeId| map.unk[x.idx()];
        let res_e: Vec<_> = c
            .resistors
            .iter()
            .map(|r| stamp2(&mut pb, u(r.a), u(r.b)))
            .collect();
        let mem_e: Vec<_> = c
            .memristors
            .iter()
            .map(|m| stamp2(&mut pb, u(m.a), u(m.b)))
            .collect();
        let br_e: Vec<_> = c
            .branches
            .iter()
            .map(|b| stamp2(&mut pb, u(b.a), u(b.b)))
            .collect();
        type CtlEntries = (Vec<[EntryId; 4]>, Vec<[EntryId; 2]>);
        let ctl_e: Vec<CtlEntries> = c
            .controlled
            .iter()
            .map(|b| {
                let (ua, ub) = (u(b.a), u(b.b));
                let v = b
                    .probes
                    .iter()
                    .map(|&(pc, pd)| {
                        let (uc, ud) = (u(pc), u(pd));
                        [
                            pb.entry(ua, uc),
                            pb.entry(ua, ud),
                            pb.entry(ub, uc),
                            pb.entry(ub, ud),
                        ]
                    })
                    .collect();
                let i = b
                    .currents
                    .iter()
                    .map(|of| [pb.entry(ua, crow(of)), pb.entry(ub, crow(of))])
                    .collect();
                (v, i)
            })
            .collect();
        type VbEntries = (
            [EntryId; 4],
            Vec<[EntryId; 2]>,
            Vec<EntryId>,
            Option<EntryId>,
        );
        let branch4 = |pb: &mut PatternBuilder, up: u32, un: u32, row: u32| {
            [
                pb.entry(up, row),
                pb.entry(un, row),
                pb.entry(row, up),
                pb.entry(row, un),
            ]
        };
        let vb_e: Vec<VbEntries> = c
            .vbranches
            .iter()
            .enumerate()
            .map(|(k, b)| {
                let (up, un, row) = (u(b.p), u(b.n), (n_nodes + k) as u32);
                let s = branch4(&mut pb, up, un, row);
                let pr = b
                    .probes
                    .iter()
                    .map(|&(pc, pd)| [pb.entry(row, u(pc)), pb.entry(row, u(pd))])
                    .collect();
                let cur = b
                    .currents
                    .iter()
                    .map(|of| pb.entry(row, crow(of)))
                    .collect();
                let ctl = b.ccvs.map(|(j, _)| pb.entry(row, vs_row[j]));
                (s, pr, cur, ctl)
            })
            .collect();
        let vsb_e: Vec<[EntryId; 4]> = vsb_src
            .iter()
            .map(|&k| {
                let v = &c.vsources[k as usize];
                branch4(&mut pb, u(v.p), u(v.n), vs_row[k as usize])
            })
            .collect();
        let f_e: Vec<[EntryId; 2]> = c
            .cccs
            .iter()
            .map(|f| {
                let crow = vs_row[f.ctrl];
                [pb.entry(u(f.p), crow), pb.entry(u(f.n), crow)]
            })
            .collect();
        let pattern = pb.build();
        let to_stamp = |ua: u32, ub: u32, e: &[EntryId; 4]| Stamp2 {
            ua,
            ub,
            s: e.map(|x| pattern.slot(x)),
        };
        let res = c
            .resistors
            .iter()
            .zip(&res_e)
            .map(|(r, e)| to_stamp(u(r.a), u(r.b), e))
            .collect();
        let mem = c
            .memristors
            .iter()
            .zip(&mem_e)
            .map(|(m, e)| to_stamp(u(m.a), u(m.b), e))
            .collect();
        let br = c
            .branches
            .iter()
            .zip(&br_e)
            .map(|(b, e)| to_stamp(u(b.a), u(b.b), e))
            .collect();
        let ctl = c
            .controlled
            .iter()
            .zip(&ctl_e)
            .map(|(b, (es, ci))| CtlStamp {
                ua: u(b.a),
                ub: u(b.b),
                s: es.iter().map(|e| e.map(|x| pattern.slot(x))).collect(),
                cur: b
                    .currents
                    .iter()
                    .zip(ci)
                    .map(|(of, e)| (crow(of), e.map(|x| pattern.slot(x))))
                    .collect(),
            })
            .collect();
        let vb = c
            .vbranches
            .iter()
            .zip(&vb_e)
            .enumerate()
            .map(|(k, (b, (s, pr, cur, ctl)))| VbStamp {
                up: u(b.p),
                un: u(b.n),
                row: (n_nodes + k) as u32,
                s: s.map(|x| pattern.slot(x)),
                pr: pr.iter().map(|e| e.map(|x| pattern.slot(x))).collect(),
                cur: b
                    .currents
                    .iter()
                    .zip(cur)
                    .map(|(of, e)| (crow(of), pattern.slot(*e)))
                    .collect(),
                ctl: ctl
                    .zip(b.ccvs)
                    .map(|(e, (j, g))| (pattern.slot(e), vs_row[j], g)),
            })
            .collect();
        let vsb = vsb_src
            .iter()
            .zip(&vsb_e)
            .map(|(&k, s)| {
                let v = &c.vsources[k as usize];
                (
                    k,
                    VbStamp {
                        up: u(v.p),
                        un: u(v.n),
                        row: vs_row[k as usize],
                        s: s.map(|x| pattern.slot(x)),
                        pr: Vec::new(),
                        cur: Vec::new(),
                        ctl: None,
                    },
                )
            })
            .collect::<Vec<_>>();
        let fs = c
            .cccs
            .iter()
            .zip(&f_e)
            .map(|(f, s)| FStamp {
                up: u(f.p),
                un: u(f.n),
                crow: vs_row[f.ctrl],
                gain: f.gain,
                s: s.map(|x| pattern.slot(x)),
            })
            .collect();
        let diag = (0..n).map(|k| pattern.diag_slot(k)).collect();
        let isrc = c.isources.iter().map(|s| (u(s.p), u(s.n))).collect();
        let maxp = c
            .branches
            .iter()
            .map(|b| match &b.law {
                BranchLaw::Program { signs, .. } => signs.len(),
                _ => 0,
            })
            .chain(
                c.controlled
                    .iter()
                    .map(|b| b.probes.len() + b.currents.len()),
            )
            .chain(
                c.vbranches
                    .iter()
                    .map(|b| b.probes.len() + b.currents.len()),
            )
            .max()
            .unwrap_or(0);
        let nn = c.nodes.len();
        let nnz = pattern.nnz();
        let mut s = System {
            map,
            pattern,
            symmetric,
            n_nodes,
            res,
            mem,
            br,
            ctl,
            vb_w: vec![1.0; n - n_nodes],
            vb,
            vsb,
            fs,
            vs_row,
            isrc,
            diag,
            i_values: c.isources.iter().map(|s| s.amps).collect(),
            v_values: c.vsources.iter().map(|s| s.volts).collect(),
            source_scale: 1.0,
            gshunt: 0.0,
            off: vec![0.0; nn],
            v: vec![0.0; nn],
            ibr: vec![0.0; n - n_nodes],
            vals: vec![0.0; nnz],
            f: vec![0.0; n],
            scale: vec![0.0; n],
            pbuf: vec![0.0; maxp],
            sbuf: vec![0.0; maxp],
            stack: Vec::new(),
            incidence: None,
            warnings: Vec::new(),
        };
        s.update_sources();
        s
    }

    pub fn n(&self) -> usize {
        self.n_nodes + self.vb.len() + self.vsb.len()
    }

    /// A name for unknown `k` in messages: its (root) node, or the branch
    /// whose current it is.
    pub fn unknown_name(&self, c: &Circuit, k: usize) -> String {
        match self.map.root.get(k) {
            Some(&r) => c.nodes.name(r).to_string(),
            None => {
                let j = k - self.n_nodes;
                match c.vbranches.get(j) {
                    Some(b) => format!("{}#branch", b.name),
                    None => self
                        .vsb
                        .get(j - self.vb.len())
                        .map(|(s, _)| format!("{}#branch", c.vsources[*s as usize].name))
                        .unwrap_or_default(),
                }
            }
        }
    }

    /// Recompute known node voltages after changing `v_values` or `source_scale`.
    pub fn update_sources(&mut self) {
        let lam = self.source_scale;
        let scaled: Vec<f64> = self.v_values.iter().map(|v| v * lam).collect();
        self.map.offsets(&scaled, &mut self.off);
    }

    /// Per node: the voltage the sources fix (known nodes), or the offset
    /// added to its unknown (see [`System::node_voltages`]).
    pub fn offsets(&self) -> &[f64] {
        &self.off
    }

    /// Node voltages from unknowns.
    pub fn node_voltages(&mut self, y: &[f64]) {
        for ((v, &u), &o) in self.v.iter_mut().zip(&self.map.unk).zip(&self.off) {
            *v = if u == NONE { 0.0 } else { y[u as usize] } + o;
        }
        self.ibr.copy_from_slice(&y[self.n_nodes..]);
    }

    /// Evaluate F(y) and, if `jac`, J(y).
    pub fn assemble(&mut self, c: &Circuit, y: &[f64], jac: bool) {
        self.node_voltages(y);
        self.f.iter_mut().for_each(|x| *x = 0.0);
        self.scale.iter_mut().for_each(|x| *x = 0.0);
        if jac {
            self.vals.iter_mut().for_each(|x| *x = 0.0);
        }
        let v = &self.v;
        let f = &mut self.f;
        let sc = &mut self.scale;
        let vals = &mut self.vals;

        #[inline(always)]
        fn put(
            f: &mut [f64],
            sc: &mut [f64],
            vals: &mut [f64],
            st: &Stamp2,
            i: f64,
            g: f64,
            jac: bool,
        ) {
            let ai = i.abs();
            if st.ua != NONE {
                f[st.ua as usize] += i;
                let s = &mut sc[st.ua as usize];
                *s = s.max(ai);
            }
            if st.ub != NONE {
                f[st.ub as usize] -= i;
                let s = &mut sc[st.ub as usize];
                *s = s.max(ai);
            }
            if jac {
                if st.s[0] != NONE {
                    vals[st.s[0] as usize] += g;
                }
                if st.s[1] != NONE {
                    vals[st.s[1] as usize] += g;
                }
                if st.s[2] != NONE {
                    vals[st.s[2] as usize] -= g;
                }
                if st.s[3] != NONE {
                    vals[st.s[3] as usize] -= g;
                }
            }
        }

        for (r, st) in c.resistors.iter().zip(&self.res) {
            let i = r.g * (v[r.a.idx()] - v[r.b.idx()]);
            put(f, sc, vals, st, i, r.g, jac);
        }
        for (m, st) in c.memristors.iter().zip(&self.mem) {
            let law = c.models[m.model as usize].law;
            let (i, g) = law.eval_dev(m.g, m.ns, v[m.a.idx()] - v[m.b.idx()]);
            put(f, sc, vals, st, i, g, jac);
        }
        for (b, st) in c.branches.iter().zip(&self.br) {
            let vab = v[b.a.idx()] - v[b.b.idx()];
            let (i, g) = branch_eval(&b.law, vab, &mut self.pbuf, &mut self.sbuf, &mut self.stack);
            put(f, sc, vals, st, i, g, jac);
        }
        for (b, st) in c.controlled.iter().zip(&self.ctl) {
            let np = b.probes.len();
            let rows = st.cur.iter().map(|x| x.0);
            let n = load_probes(&mut self.pbuf, &mut self.sbuf, v, &b.probes, rows, y, 0);
            let i = eval_partials(
                &b.prog,
                n,
                jac,
                &mut self.pbuf,
                &mut self.sbuf,
                &mut self.stack,
                |k, d| {
                    let (slots, signs): (&[u32], &[f64]) = if k < np {
                        (&st.s[k], &[1.0, -1.0, -1.0, 1.0])
                    } else {
                        (&st.cur[k - np].1, &[1.0, -1.0])
                    };
                    add_signed(vals, slots, signs, d);
                },
            );
            let st2 = Stamp2 {
                ua: st.ua,
                ub: st.ub,
                s: [NONE; 4],
            };
            put(f, sc, vals, &st2, i, 0.0, false);
        }
        let weight = |vals: &[f64], st: &VbStamp, w: &mut f64| {
            let d = |u: u32| {
                if u == NONE {
                    0.0
                } else {
                    vals[self.diag[u as usize] as usize].abs()
                }
            };
            let g = d(st.up).max(d(st.un));
            *w = if g.is_finite() && g > 0.0 { g } else { 1.0 };
        };
        for ((b, st), w) in c.vbranches.iter().zip(&self.vb).zip(&mut self.vb_w) {
            // The constraint row is in volts; it is weighted by the larger
            // node conductance at its terminals so that the line search's
            // ‖F‖ weighs it like the KCL rows (amps) it trades against. The
            // Newton step does not depend on a row's weight. The weight is
            // fixed at each Jacobian assembly, so every F compared in one
            // line search, and a factored matrix and later right-hand sides,
            // use the same one.
            if jac {
                weight(vals, st, w);
            }
            let w = *w;
            // KCL: the branch current leaves n+ and enters n−.
            let i = y[st.row as usize];
            let st2 = Stamp2 {
                ua: st.up,
                ub: st.un,
                s: [NONE; 4],
            };
            put(f, sc, vals, &st2, i, 0.0, false);
            let np = b.probes.len();
            let rows = st.cur.iter().map(|x| x.0);
            let n = load_probes(&mut self.pbuf, &mut self.sbuf, v, &b.probes, rows, y, 0);
            let mut e = eval_partials(
                &b.prog,
                n,
                jac,
                &mut self.pbuf,
                &mut self.sbuf,
                &mut self.stack,
                |k, d| {
                    let (slots, signs): (&[u32], &[f64]) = if k < np {
                        (&st.pr[k], &[-w, w])
                    } else {
                        (std::slice::from_ref(&st.cur[k - np].1), &[-w])
                    };
                    add_signed(vals, slots, signs, d);
                },
            );
            if let Some((slot, crow, g)) = st.ctl {
                // H: plus gain·I(controlling source).
                e += g * y[crow as usize];
                if jac && slot != NONE {
                    vals[slot as usize] -= w * g;
                }
            }
            // Constraint: w·(V(p) − V(n) − e) = 0; its tolerance scale is
            // the voltages involved (times w).
            let (vp, vn) = (v[b.p.idx()], v[b.n.idx()]);
            let r = st.row as usize;
            f[r] = w * (vp - vn - e);
            sc[r] = w * vp.abs().max(vn.abs()).max(e.abs());
            if jac {
                add_signed(vals, &st.s, &[1.0, -1.0, w, -w], 1.0);
            }
        }
        let nvb = self.vb.len();
        for ((k, st), w) in self.vsb.iter().zip(&mut self.vb_w[nvb..]) {
            // A voltage source with a branch unknown: like an E with a
            // constant law.
            let r = st.row as usize;
            let st2 = Stamp2 {
                ua: st.up,
                ub: st.un,
                s: [NONE; 4],
            };
            put(f, sc, vals, &st2, y[r], 0.0, false);
            if jac {
                weight(vals, st, w);
            }
            let w = *w;
            let src = &c.vsources[*k as usize];
            let e = self.v_values[*k as usize] * self.source_scale;
            let (vp, vn) = (v[src.p.idx()], v[src.n.idx()]);
            f[r] = w * (vp - vn - e);
            sc[r] = w * vp.abs().max(vn.abs()).max(e.abs());
            if jac {
                add_signed(vals, &st.s, &[1.0, -1.0, w, -w], 1.0);
            }
        }
        for st in &self.fs {
            let i = st.gain * y[st.crow as usize];
            let st2 = Stamp2 {
                ua: st.up,
                ub: st.un,
                s: [NONE; 4],
            };
            put(f, sc, vals, &st2, i, 0.0, false);
            if jac {
                add_signed(vals, &st.s, &[st.gain, -st.gain], 1.0);
            }
        }
        for (&(up, un), &amps) in self.isrc.iter().zip(&self.i_values) {
            let i = amps * self.source_scale;
            let st = Stamp2 {
                ua: up,
                ub: un,
                s: [NONE; 4],
            };
            put(f, sc, vals, &st, i, 0.0, false);
        }
        if self.gshunt > 0.0 {
            for (k, (fk, &d)) in f.iter_mut().zip(&self.diag).enumerate() {
                *fk += self.gshunt * y[k];
                if jac {
                    vals[d as usize] += self.gshunt;
                }
            }
        }
    }

    /// Net current leaving each node through all elements except voltage
    /// sources, at node voltages `self.v` (after `assemble` or `node_voltages`).
    ///
    /// At the terminals of voltage sources (whose currents are recovered
    /// from these sums) a plain sum can cancel: through a 1 µΩ resistor
    /// carrying 10 µA the two end voltages differ by 1e-11 V out of 1 V, so
    /// g·(V(a) − V(b)) keeps only five digits. There the sum is taken over a
    /// cut instead: the terminal and every free node (no source attached)
    /// that it reaches through such stiff branches form a cluster, whose
    /// free nodes satisfy KCL, so the current leaving the terminal equals
    /// the current leaving the cluster through its boundary elements, each
    /// computed from a well-separated voltage pair. Where even the boundary
    /// cancels (a stiff branch into another source's node) the estimated
    /// error is reported in [`System::warnings`].
    pub fn leaving_currents(&mut self, c: &Circuit) -> Vec<f64> {
        let n = self.v.len();
        let mut out = vec![0.0; n];
        let elems = self.all_elements(c);
        let mut terminal = vec![false; n];
        for s in &c.vsources {
            terminal[s.p.idx()] = true;
            terminal[s.n.idx()] = true;
        }
        terminal[0] = false;
        let mut refine = vec![false; n];
        let mut any = false;
        for e in elems.clone() {
            let (a, b, i) = self.element(c, e);
            out[a] += i;
            out[b] -= i;
            if (terminal[a] || terminal[b]) && self.stiff(e, a, b) {
                refine[a] |= terminal[a];
                refine[b] |= terminal[b];
                any = true;
            }
        }
        if !any {
            return out;
        }
        if self.incidence.is_none() {
            self.incidence = Some(Incidence::new(c, n, elems));
        }
        let inc = self
            .incidence
            .take()
            .unwrap_or_else(|| Incidence::new(c, n, std::iter::empty()));
        let mut member = vec![false; n];
        let mut cluster = Vec::new();
        for x in (0..n).filter(|&x| refine[x]) {
            // Gather the cluster of x.
            cluster.clear();
            cluster.push(x);
            member[x] = true;
            let mut k = 0;
            while k < cluster.len() && cluster.len() < MAX_CLUSTER {
                let y = cluster[k];
                k += 1;
                for &e in inc.at(y) {
                    let (a, b) = ends(c, e);
                    let z = if a == y { b } else { a };
                    if z != 0 && !terminal[z] && !member[z] && self.stiff(e, a, b) {
                        member[z] = true;
                        cluster.push(z);
                    }
                }
            }
            // Current leaving the cluster, and its rounding error estimate.
            let (mut sum, mut err) = (0.0, 0.0);
            for &y in &cluster {
                for &e in inc.at(y) {
                    let (a, b, i) = self.element(c, e);
                    if member[a] == member[b] {
                        continue; // internal (or a self-loop)
                    }
                    sum += if member[a] { i } else { -i };
                    err += self.rounding(e, a, b, i);
                }
            }
            for &y in &cluster {
                member[y] = false;
            }
            out[x] = sum;
            let node = c.nodes.name(crate::circuit::NodeId(x as u32));
            let seen = self
                .warnings
                .iter()
                .any(|w| w.contains(&format!("at node '{node}'")));
            if err > WARN_REL_ERROR * sum.abs().max(1e-15) && !seen {
                self.warnings.push(format!(
                    "the current of the voltage source(s) at node '{node}' may be inaccurate: estimated rounding error {:.1e} A of {:.3e} A ({:.1e} relative), from a branch whose end voltages differ by less than float64 resolves; a 0 V source instead of a near-zero resistance gives it exactly",
                    err,
                    sum,
                    err / sum.abs().max(1e-300)
                ));
            }
        }
        self.incidence = Some(inc);
        out
    }

    /// Ends (a, b) and the current from a to b of element `e`, at `self.v`.
    fn element(&mut self, c: &Circuit, e: Elem) -> (usize, usize, f64) {
        let (a, b) = ends(c, e);
        let v = &self.v;
        let i = match e {
            Elem::R(k) => c.resistors[k as usize].g * (v[a] - v[b]),
            Elem::M(k) => {
                let m = &c.memristors[k as usize];
                c.models[m.model as usize]
                    .law
                    .current_dev(m.g, m.ns, v[a] - v[b])
            }
            Elem::B(k) => {
                let law = &c.branches[k as usize].law;
                branch_eval(
                    law,
                    v[a] - v[b],
                    &mut self.pbuf,
                    &mut self.sbuf,
                    &mut self.stack,
                )
                .0
            }
            Elem::C(k) => {
                let b = &c.controlled[k as usize];
                let rows = self.ctl[k as usize].cur.iter().map(|x| x.0);
                let ib = &self.ibr;
                load_probes(
                    &mut self.pbuf,
                    &mut self.sbuf,
                    v,
                    &b.probes,
                    rows,
                    ib,
                    self.n_nodes,
                );
                b.prog.eval_dual(&self.pbuf, &self.sbuf, &mut self.stack).0
            }
            Elem::I(k) => self.i_values[k as usize] * self.source_scale,
            Elem::V(k) => self.ibr[k as usize],
            Elem::W(k) => self.ibr[(self.vs_row[k as usize] as usize) - self.n_nodes],
            Elem::F(k) => self.cccs_current(k as usize),
        };
        (a, b, i)
    }

    /// Voltage-source currents (SPICE sign) from `leaving` (see
    /// [`System::leaving_currents`]): eliminated sources by KCL, those with
    /// a branch unknown from it.
    pub fn source_currents(&self, c: &Circuit, leaving: &[f64]) -> Vec<f64> {
        let mut cur = self.map.source_currents(c, leaving);
        for (k, &r) in self.vs_row.iter().enumerate() {
            if r != NONE {
                cur[k] = self.ibr[r as usize - self.n_nodes];
            }
        }
        cur
    }

    /// The current `of` (an expression's `I(...)`) at the last solution.
    pub fn current_of(&self, of: CurrentOf) -> f64 {
        match of {
            CurrentOf::VSource(k) => self.ibr[self.vs_row[k] as usize - self.n_nodes],
            CurrentOf::VBranch(j) => self.ibr[j],
        }
    }

    /// The current of F source `cccs[k]` at the last solution.
    pub fn cccs_current(&self, k: usize) -> f64 {
        let f = &self.fs[k];
        f.gain * self.ibr[f.crow as usize - self.n_nodes]
    }

    /// Every element that carries a current other than an eliminated
    /// voltage source, in the order their currents are summed.
    fn all_elements(&self, c: &Circuit) -> impl Iterator<Item = Elem> + Clone {
        let n = |len: usize| 0..len as u32;
        let vsb: Vec<u32> = self.vsb.iter().map(|x| x.0).collect();
        n(c.resistors.len())
            .map(Elem::R)
            .chain(n(c.memristors.len()).map(Elem::M))
            .chain(n(c.branches.len()).map(Elem::B))
            .chain(n(c.controlled.len()).map(Elem::C))
            .chain(n(c.isources.len()).map(Elem::I))
            .chain(n(c.vbranches.len()).map(Elem::V))
            .chain(vsb.into_iter().map(Elem::W))
            .chain(n(c.cccs.len()).map(Elem::F))
    }

    /// True when `e` is a branch whose current is a function of its own end
    /// voltages and those agree to [`STIFF`] relative difference.
    fn stiff(&self, e: Elem, a: usize, b: usize) -> bool {
        if matches!(
            e,
            Elem::C(_) | Elem::I(_) | Elem::V(_) | Elem::W(_) | Elem::F(_)
        ) || a == b
        {
            return false;
        }
        let (va, vb) = (self.v[a], self.v[b]);
        let scale = va.abs().max(vb.abs());
        scale > 0.0 && (va - vb).abs() <= STIFF * scale
    }

    /// Rounding error of a branch current from its end voltages: each end
    /// is known to half an ulp, so |i|·max|v|/|Δv|·ε.
    fn rounding(&self, e: Elem, a: usize, b: usize, i: f64) -> f64 {
        if matches!(
            e,
            Elem::C(_) | Elem::I(_) | Elem::V(_) | Elem::W(_) | Elem::F(_)
        ) {
            return 0.0;
        }
        if self.map.unk[a] == NONE && self.map.unk[b] == NONE {
            // Both voltages are set by sources: exact, and so is their
            // difference when they are this close (Sterbenz).
            return 0.0;
        }
        let (va, vb) = (self.v[a], self.v[b]);
        let dv = (va - vb).abs();
        let scale = va.abs().max(vb.abs());
        if dv == 0.0 {
            return if i == 0.0 { 0.0 } else { i.abs() };
        }
        i.abs() * scale / dv * f64::EPSILON
    }
}

/// The node indices (a, b) of element `e`; its current flows from a to b.
fn ends(c: &Circuit, e: Elem) -> (usize, usize) {
    match e {
        Elem::R(k) => {
            let r = &c.resistors[k as usize];
            (r.a.idx(), r.b.idx())
        }
        Elem::M(k) => {
            let m = &c.memristors[k as usize];
            (m.a.idx(), m.b.idx())
        }
        Elem::B(k) => {
            let b = &c.branches[k as usize];
            (b.a.idx(), b.b.idx())
        }
        Elem::C(k) => {
            let b = &c.controlled[k as usize];
            (b.a.idx(), b.b.idx())
        }
        Elem::I(k) => {
            let s = &c.isources[k as usize];
            (s.p.idx(), s.n.idx())
        }
        Elem::V(k) => {
            let b = &c.vbranches[k as usize];
            (b.p.idx(), b.n.idx())
        }
        Elem::W(k) => {
            let s = &c.vsources[k as usize];
            (s.p.idx(), s.n.idx())
        }
        Elem::F(k) => {
            let s = &c.cccs[k as usize];
            (s.p.idx(), s.n.idx())
        }
    }
}

impl Incidence {
    fn new(c: &Circuit, n: usize, elems: impl Iterator<Item = Elem> + Clone) -> Incidence {
        let mut start = vec![0u32; n + 1];
        for e in elems.clone() {
            let (a, b) = ends(c, e);
            start[a + 1] += 1;
            if b != a {
                start[b + 1] += 1;
            }
        }
        for k in 0..n {
            start[k + 1] += start[k];
        }
        let mut fill: Vec<u32> = start[..n].to_vec();
        let mut items = vec![Elem::R(0); start[n] as usize];
        for e in elems {
            let (a, b) = ends(c, e);
            items[fill[a] as usize] = e;
            fill[a] += 1;
            if b != a {
                items[fill[b] as usize] = e;
                fill[b] += 1;
            }
        }
        Incidence { start, items }
    }

    fn at(&self, node: usize) -> &[Elem] {
        &self.items[self.start[node] as usize..self.start[node + 1] as usize]
    }
}

/// Current and dI/dv of a two-terminal B-source law at branch voltage `v`.
#[inline]
pub fn branch_eval(
    law: &BranchLaw,
    v: f64,
    pbuf: &mut [f64],
    sbuf: &mut [f64],
    stack: &mut Vec<(f64, f64)>,
) -> (f64, f64) {
    match law {
        BranchLaw::Linear { g } => (g * v, *g),
        BranchLaw::Sinh { k, beta } => {
            let x = beta * v;
            (k * x.sinh(), k * beta * x.cosh())
        }
        BranchLaw::Cubic { c1, c3 } => (c1 * v + c3 * v * v * v, c1 + 3.0 * c3 * v * v),
        BranchLaw::Diode { law, .. } => law.eval(v),
        BranchLaw::Program { prog, signs } => {
            for (k, &sg) in signs.iter().enumerate() {
                pbuf[k] = sg * v;
                sbuf[k] = sg;
            }
            prog.eval_dual(pbuf, sbuf, stack)
        }
    }
}
