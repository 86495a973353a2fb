//! Building a [`LineRelax`] from a circuit: finding the chains, colouring
//! them by the memristors, laying out positions, groups and ties.

use super::*;

impl LineRelax {
    /// The chain structure of `c` as `sys` maps it, or `None` when the
    /// circuit is not of the supported form.
    pub fn new(c: &Circuit, sys: &System) -> Option<LineRelax> {
        if !c.branches.is_empty()
            || !c.controlled.is_empty()
            || !c.vbranches.is_empty()
            || !c.cccs.is_empty()
            || !c.isources.is_empty()
        {
            return None;
        }
        let law = c.models[c.memristors.first()?.model as usize].law;
        // Its kernels know xbarsim's own laws only.
        if law.xyce_level().is_some()
            || c.memristors
                .iter()
                .any(|m| c.models[m.model as usize].law != law)
        {
            return None;
        }
        let nn = c.nodes.len();
        let unk = &sys.map.unk;
        // Every unknown is one node's own voltage: grounded sources only.
        if c.vsources.iter().any(|v| v.n != NodeId::GROUND) {
            return None;
        }
        let mut used = vec![false; sys.n()];
        let mut known = Vec::new();
        for (node, &u) in unk.iter().enumerate() {
            if u == NONE {
                known.push(node as u32);
            } else {
                if used[u as usize] {
                    return None;
                }
                used[u as usize] = true;
            }
        }
        let is_unk = |n: NodeId| unk[n.idx()] != NONE;
        // Chain links: resistors between two unknown nodes.
        let mut nb: Vec<[(u32, u32); 2]> = vec![[(NONE, NONE); 2]; nn];
        let mut deg = vec![0u8; nn];
        let mut ties: Vec<Vec<(u32, u32)>> = vec![Vec::new(); nn];
        let mut mem: Vec<(u32, u32, f64)> = vec![(NONE, 0, 0.0); nn];
        for (k, r) in c.resistors.iter().enumerate() {
            let (a, b) = (r.a, r.b);
            if a == b {
                continue;
            }
            match (is_unk(a), is_unk(b)) {
                (true, true) => {
                    for (x, y) in [(a, b), (b, a)] {
                        let d = &mut deg[x.idx()];
                        if *d >= 2 {
                            return None;
                        }
                        nb[x.idx()][*d as usize] = (y.0, k as u32);
                        *d += 1;
                    }
                }
                (true, false) => ties[a.idx()].push((k as u32, b.0)),
                (false, true) => ties[b.idx()].push((k as u32, a.0)),
                (false, false) => {}
            }
        }
        for (k, m) in c.memristors.iter().enumerate() {
            if m.a == m.b {
                continue;
            }
            for (x, y, sg) in [(m.a, m.b, 1.0), (m.b, m.a, -1.0)] {
                if is_unk(x) {
                    if mem[x.idx()].0 != NONE {
                        return None;
                    }
                    mem[x.idx()] = (k as u32, y.0, sg);
                }
            }
        }
        // Walk every chain from an end (a node with at most one link).
        let mut chain_of = vec![NONE; nn];
        let mut chains: Vec<Vec<(u32, u32)>> = Vec::new();
        for s in 0..nn {
            if !is_unk(NodeId(s as u32)) || chain_of[s] != NONE || deg[s] > 1 {
                continue;
            }
            let id = chains.len() as u32;
            let mut ch = Vec::new();
            let (mut prev, mut cur) = (NONE, s as u32);
            loop {
                chain_of[cur as usize] = id;
                let next = nb[cur as usize][..deg[cur as usize] as usize]
                    .iter()
                    .find(|(y, _)| *y != prev)
                    .copied();
                match next {
                    Some((y, r)) if chain_of[y as usize] == NONE => {
                        ch.push((cur, r));
                        prev = cur;
                        cur = y;
                    }
                    _ => {
                        ch.push((cur, NONE));
                        break;
                    }
                }
            }
            chains.push(ch);
        }
        // Nodes left unvisited lie on cycles.
        if chains.iter().map(Vec::len).sum::<usize>() != sys.n() {
            return None;
        }
        // Two colours: a memristor between two unknown nodes joins chains
        // of different colours.
        let mut color = vec![u8::MAX; chains.len()];
        let mut adj: Vec<Vec<u32>> = vec![Vec::new(); chains.len()];
        for (x, &(m, y, _)) in mem.iter().enumerate() {
            if m != NONE && is_unk(NodeId(y)) {
                adj[chain_of[x] as usize].push(chain_of[y as usize]);
            }
        }
        for s in 0..chains.len() {
            if color[s] != u8::MAX {
                continue;
            }
            color[s] = 0;
            let mut stack = vec![s];
            while let Some(a) = stack.pop() {
                for &b in &adj[a] {
                    let b = b as usize;
                    if color[b] == u8::MAX {
                        color[b] = 1 - color[a];
                        stack.push(b);
                    } else if color[b] == color[a] {
                        return None;
                    }
                }
            }
        }
        // Layout: a padding block, colour 0's chains in groups of LANES, a
        // group's k-th nodes side by side (chains shorter than their group's
        // longest are padded with dummy positions), the known nodes, colour
        // 1's groups, a padding block.
        let mut node = vec![DUMMY; LANES];
        let mut link = vec![NONE; LANES];
        let mut groups = Vec::new();
        let (mut split_g, mut c0_end, mut k_end) = (0, 0, 0);
        for want in [0u8, 1] {
            let mine: Vec<&Vec<(u32, u32)>> = chains
                .iter()
                .enumerate()
                .filter(|&(k, _)| color[k] == want)
                .map(|(_, ch)| ch)
                .collect();
            for grp in mine.chunks(LANES) {
                let len = grp.iter().map(|ch| ch.len()).max().unwrap_or(0);
                groups.push(Group {
                    start: node.len(),
                    len,
                });
                for s in 0..len {
                    for l in 0..LANES {
                        let (nd, r) = grp
                            .get(l)
                            .and_then(|ch| ch.get(s))
                            .copied()
                            .unwrap_or((DUMMY, NONE));
                        node.push(nd);
                        link.push(r);
                    }
                }
            }
            if want == 0 {
                split_g = groups.len();
                c0_end = node.len();
                node.extend_from_slice(&known);
                link.resize(node.len(), NONE);
                k_end = node.len();
            }
        }
        let c1_end = node.len();
        node.extend(std::iter::repeat_n(DUMMY, LANES));
        link.resize(node.len(), NONE);
        let np = node.len();
        let mut pos = vec![0u32; nn];
        for (q, &nd) in node.iter().enumerate() {
            if nd != DUMMY {
                pos[nd as usize] = q as u32;
            }
        }
        let (mut tstart, mut tflat) = (vec![0u32], Vec::new());
        let (mut dev, mut other, mut sign) = (vec![NONE; np], vec![0u32; np], vec![0.0; np]);
        let mut tied = Vec::new();
        let unknown = |q: usize| {
            ((LANES..c0_end).contains(&q) || (k_end..c1_end).contains(&q)) && node[q] != DUMMY
        };
        for q in 0..np {
            // A dummy's device end is a padding position of the range its
            // colour reads.
            other[q] = if q < c0_end { (np - 1) as u32 } else { 0 };
            if unknown(q) {
                let nd = node[q] as usize;
                if !ties[nd].is_empty() {
                    tied.push(q as u32);
                }
                tflat.extend(ties[nd].iter().map(|&(r, k)| (r, pos[k as usize])));
                let (m, y, sg) = mem[nd];
                if m != NONE {
                    dev[q] = m;
                    other[q] = pos[y as usize];
                    sign[q] = sg;
                }
            }
            tstart.push(tflat.len() as u32);
        }
        let mut links: Vec<(u32, u32)> = link
            .iter()
            .enumerate()
            .filter(|&(_, &r)| r != NONE)
            .map(|(q, &r)| (r, q as u32))
            .collect();
        links.sort_unstable();
        let mut devs: Vec<(u32, u32, u32)> = Vec::new();
        for (q, &m) in dev.iter().enumerate() {
            if m != NONE {
                devs.push((m, NONE, NONE));
                let e = devs.last_mut().expect("pushed");
                if sign[q] > 0.0 {
                    e.1 = q as u32;
                } else {
                    e.2 = q as u32;
                }
            }
        }
        devs.sort_unstable();
        // A memristor between two unknown nodes appears twice: merge.
        devs.dedup_by(|b, a| {
            if a.0 == b.0 {
                a.1 = a.1.min(b.1);
                a.2 = a.2.min(b.2);
                true
            } else {
                false
            }
        });
        let dev_g = vec![f64::NAN; devs.len()];
        let (mut unknowns, mut knowns) = (Vec::new(), Vec::new());
        for (q, &nd) in node.iter().enumerate() {
            if nd != DUMMY {
                if (c0_end..k_end).contains(&q) {
                    knowns.push((q as u32, nd));
                } else {
                    unknowns.push((q as u32, nd));
                }
            }
        }
        Some(LineRelax {
            c0_end,
            k_end,
            c1_end,
            unknowns,
            knowns,
            links_read: false,
            groups,
            split_g,
            node,
            pos,
            links,
            devs,
            dev_g,
            tstart,
            ties: tflat,
            tied,
            dev,
            other,
            sign,
            law,
            gl: vec![0.0; np],
            tg: vec![0.0; np],
            tgv: vec![0.0; np],
            mg: vec![f64::NAN; np],
            ca: vec![0.0; np],
            cb: vec![0.0; np],
            inv: vec![0.0; np],
            cp: vec![0.0; np],
            lm: vec![0.0; np],
            factored: false,
            ties_changed: true,
            vp: vec![0.0; np],
            y: vec![0.0; np],
            #[cfg(target_arch = "x86_64")]
            avx2: std::arch::is_x86_feature_detected!("avx2"),
            threads: true,
            rho_bound: 0.0,
        })
    }
}
