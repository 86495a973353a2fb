//! The nodal equations of a circuit, assembled through slots.
//!
//! Unknowns y are the voltages of the free nodes (and supernode roots, see
//! [`super::mapping`]). The residual F(y) is, per unknown, the net current
//! leaving its node(s) through every element; the Jacobian J = ∂F/∂y. Setup
//! (once per topology) resolves every stamp to value slots; `assemble` only
//! reads device laws and writes through slots: one loop per element kind.

use super::mapping::{Mapping, NONE};
use super::pattern::{EntryId, Pattern, PatternBuilder};
use crate::circuit::{BranchLaw, Circuit, NodeId};

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
}

/// Assembled nodal system and everything needed to evaluate it.
pub struct System {
    pub map: Mapping,
    pub pattern: Pattern,
    /// Symmetric (Cholesky-able) when there are no controlled sources.
    pub symmetric: bool,
    res: Vec<Stamp2>,
    mem: Vec<Stamp2>,
    br: Vec<Stamp2>,
    ctl: Vec<CtlStamp>,
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
    /// Jacobian values (pattern order) and residual of the last assembly.
    pub vals: Vec<f64>,
    pub f: Vec<f64>,
    /// Per unknown: largest element current magnitude at the last assembly (for reltol).
    pub scale: Vec<f64>,
    pbuf: Vec<f64>,
    sbuf: Vec<f64>,
    stack: Vec<(f64, f64)>,
}

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
        let n = map.n_unknowns();
        let symmetric = c.controlled.is_empty();
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
        let ctl_e: Vec<Vec<[EntryId; 4]>> = c
            .controlled
            .iter()
            .map(|b| {
                let (ua, ub) = (u(b.a), u(b.b));
                b.probes
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
                    .collect()
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
            .map(|(b, es)| CtlStamp {
                ua: u(b.a),
                ub: u(b.b),
                s: es.iter().map(|e| e.map(|x| pattern.slot(x))).collect(),
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
            .chain(c.controlled.iter().map(|b| b.probes.len()))
            .max()
            .unwrap_or(0);
        let nn = c.nodes.len();
        let nnz = pattern.nnz();
        let mut s = System {
            map,
            pattern,
            symmetric,
            res,
            mem,
            br,
            ctl,
            isrc,
            diag,
            i_values: c.isources.iter().map(|s| s.amps).collect(),
            v_values: c.vsources.iter().map(|s| s.volts).collect(),
            source_scale: 1.0,
            gshunt: 0.0,
            off: vec![0.0; nn],
            v: vec![0.0; nn],
            vals: vec![0.0; nnz],
            f: vec![0.0; n],
            scale: vec![0.0; n],
            pbuf: vec![0.0; maxp],
            sbuf: vec![0.0; maxp],
            stack: Vec::new(),
        };
        s.update_sources();
        s
    }

    pub fn n(&self) -> usize {
        self.map.n_unknowns()
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
            let (i, g) = law.eval(m.g, v[m.a.idx()] - v[m.b.idx()]);
            put(f, sc, vals, st, i, g, jac);
        }
        for (b, st) in c.branches.iter().zip(&self.br) {
            let vab = v[b.a.idx()] - v[b.b.idx()];
            let (i, g) = branch_eval(&b.law, vab, &mut self.pbuf, &mut self.sbuf, &mut self.stack);
            put(f, sc, vals, st, i, g, jac);
        }
        for (b, st) in c.controlled.iter().zip(&self.ctl) {
            for (k, &(p, q)) in b.probes.iter().enumerate() {
                self.pbuf[k] = v[p.idx()] - v[q.idx()];
                self.sbuf[k] = 0.0;
            }
            let mut i = 0.0;
            if b.probes.is_empty() {
                i = b.prog.eval_dual(&self.pbuf, &self.sbuf, &mut self.stack).0;
            }
            for k in 0..b.probes.len() {
                self.sbuf[k] = 1.0;
                let (val, d) = b.prog.eval_dual(&self.pbuf, &self.sbuf, &mut self.stack);
                self.sbuf[k] = 0.0;
                i = val;
                if jac {
                    let s = &st.s[k];
                    for (slot, sign) in s.iter().zip([1.0, -1.0, -1.0, 1.0]) {
                        if *slot != NONE {
                            vals[*slot as usize] += sign * d;
                        }
                    }
                }
            }
            let st2 = Stamp2 {
                ua: st.ua,
                ub: st.ub,
                s: [NONE; 4],
            };
            put(f, sc, vals, &st2, i, 0.0, false);
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
    pub fn leaving_currents(&mut self, c: &Circuit) -> Vec<f64> {
        let v = &self.v;
        let mut out = vec![0.0; v.len()];
        let mut add = |a: NodeId, b: NodeId, i: f64| {
            out[a.idx()] += i;
            out[b.idx()] -= i;
        };
        for r in &c.resistors {
            add(r.a, r.b, r.g * (v[r.a.idx()] - v[r.b.idx()]));
        }
        for m in &c.memristors {
            add(
                m.a,
                m.b,
                c.models[m.model as usize]
                    .law
                    .current(m.g, v[m.a.idx()] - v[m.b.idx()]),
            );
        }
        for b in &c.branches {
            let vab = v[b.a.idx()] - v[b.b.idx()];
            add(
                b.a,
                b.b,
                branch_eval(&b.law, vab, &mut self.pbuf, &mut self.sbuf, &mut self.stack).0,
            );
        }
        for b in &c.controlled {
            for (k, &(p, q)) in b.probes.iter().enumerate() {
                self.pbuf[k] = v[p.idx()] - v[q.idx()];
                self.sbuf[k] = 0.0;
            }
            add(
                b.a,
                b.b,
                b.prog.eval_dual(&self.pbuf, &self.sbuf, &mut self.stack).0,
            );
        }
        for (s, &amps) in c.isources.iter().zip(&self.i_values) {
            add(s.p, s.n, amps * self.source_scale);
        }
        out
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
        BranchLaw::Program { prog, signs } => {
            for (k, &sg) in signs.iter().enumerate() {
                pbuf[k] = sg * v;
                sbuf[k] = sg;
            }
            prog.eval_dual(pbuf, sbuf, stack)
        }
    }
}
