//! From nodes to unknowns: voltage sources are eliminated, not added as
//! branch-current unknowns (except the few whose current an F or H source
//! reads, and E and B `V=` sources: those get one, see [`super::system`]).
//!
//! Voltage sources form a forest over the nodes (loops are rejected by
//! validation). In the tree that contains ground every node voltage is known:
//! the sum of source voltages along the path from ground. Every other tree is a
//! *supernode*: one unknown (the voltage of its root), and each member's voltage
//! is the root's plus a known offset. Writing v = P·y + c, the reduced equations
//! Pᵀ·F(P·y + c) = 0 keep the Jacobian Pᵀ·J·P symmetric positive definite
//! whenever J is (passive, monotonic elements), so sparse Cholesky applies to
//! every circuit without controlled sources.
//!
//! Source currents are recovered after the solve by KCL, peeling each tree
//! from its leaves toward the root.

use crate::circuit::{Circuit, NodeId};

/// Marks a node with no unknown (its voltage is known).
pub const NONE: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
pub struct TreeEdge {
    pub node: u32,
    pub parent: u32,
    pub src: u32,
    /// True when `node` is the source's + terminal.
    pub node_is_p: bool,
}

#[derive(Clone, Debug)]
pub struct Mapping {
    /// Per node: the unknown holding its root's voltage, or `NONE` (known voltage).
    pub unk: Vec<u32>,
    /// Per unknown: the root node (for names in messages).
    pub root: Vec<NodeId>,
    /// Voltage-source tree edges in breadth-first order from the roots.
    pub tree: Vec<TreeEdge>,
}

impl Mapping {
    pub fn new(c: &Circuit) -> Mapping {
        let n = c.nodes.len();
        // Sources with a branch unknown stay out of the forest.
        let skip = c.branch_vsources();
        let kept = |k: usize| !skip[k];
        // Adjacency of voltage sources per node (CSR).
        let mut deg = vec![0u32; n + 1];
        for v in c
            .vsources
            .iter()
            .enumerate()
            .filter(|(k, _)| kept(*k))
            .map(|x| x.1)
        {
            deg[v.p.idx()] += 1;
            deg[v.n.idx()] += 1;
        }
        let mut start = vec![0usize; n + 1];
        for i in 0..n {
            start[i + 1] = start[i] + deg[i] as usize;
        }
        let mut fill = start.clone();
        let mut adj = vec![0u32; start[n]];
        for (k, v) in c.vsources.iter().enumerate().filter(|(k, _)| kept(*k)) {
            adj[fill[v.p.idx()]] = k as u32;
            fill[v.p.idx()] += 1;
            adj[fill[v.n.idx()]] = k as u32;
            fill[v.n.idx()] += 1;
        }
        let mut unk = vec![NONE; n];
        let mut seen = vec![false; n];
        let mut root = Vec::new();
        let mut tree = Vec::new();
        let mut queue = std::collections::VecDeque::new();
        for r in 0..n {
            if seen[r] {
                continue;
            }
            seen[r] = true;
            let u = if r == 0 {
                NONE
            } else {
                root.push(NodeId(r as u32));
                (root.len() - 1) as u32
            };
            unk[r] = u;
            queue.push_back(r);
            while let Some(x) = queue.pop_front() {
                for &k in &adj[start[x]..start[x + 1]] {
                    let v = &c.vsources[k as usize];
                    let (other, other_is_p) = if v.p.idx() == x {
                        (v.n.idx(), false)
                    } else {
                        (v.p.idx(), true)
                    };
                    if seen[other] {
                        continue;
                    }
                    seen[other] = true;
                    unk[other] = u;
                    tree.push(TreeEdge {
                        node: other as u32,
                        parent: x as u32,
                        src: k,
                        node_is_p: other_is_p,
                    });
                    queue.push_back(other);
                }
            }
        }
        Mapping { unk, root, tree }
    }

    pub fn n_unknowns(&self) -> usize {
        self.root.len()
    }

    /// Node voltage offsets from the source voltages `volts` (per source).
    pub fn offsets(&self, volts: &[f64], off: &mut [f64]) {
        off.iter_mut().for_each(|o| *o = 0.0);
        for e in &self.tree {
            let v = volts[e.src as usize];
            off[e.node as usize] = off[e.parent as usize] + if e.node_is_p { v } else { -v };
        }
    }

    /// Source currents (SPICE convention: positive into the + terminal) from
    /// `leaving[node]`, the net current leaving each node through all other
    /// elements. Sources outside the forest (branch unknowns) are left 0.
    pub fn source_currents(&self, c: &Circuit, leaving: &[f64]) -> Vec<f64> {
        let mut acc = leaving.to_vec();
        let mut cur = vec![0.0; c.vsources.len()];
        for e in self.tree.iter().rev() {
            // Current leaving `node` into the source that joins it to its parent.
            let leave = -acc[e.node as usize];
            acc[e.parent as usize] += acc[e.node as usize];
            cur[e.src as usize] = if e.node_is_p { leave } else { -leave };
        }
        cur
    }
}
