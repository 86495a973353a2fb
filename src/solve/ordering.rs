//! Fill-reducing ordering (nested dissection) for symmetric sparse patterns, for faer's sparse
//! Cholesky with `SymmetricOrdering::Custom`.
//!
//! It works on any graph (flat netlists: no grid geometry needed). On crossbar systems it
//! cuts faer's numeric Cholesky time 1.6x (256², 512²) to 2.3x (1024²) against faer's
//! built-in AMD, within 10-25% of a geometric grid nested dissection.
//!
//! # Algorithm
//!
//! 1. The lower-triangle CSC pattern becomes a symmetric adjacency graph (diagonal, duplicate
//!    and out-of-range entries dropped; upper entries are accepted too).
//! 2. Dense vertices (degree > max(16, 10·√n), AMD's rule) are taken out and numbered last;
//!    vertices isolated in what is left are numbered first (they cause no fill).
//! 3. The rest goes to METIS_NodeND (multilevel nested dissection: heavy-edge coarsening,
//!    vertex separators refined with FM, minimum degree on parts below ~120 vertices), from
//!    the vendored METIS 5 of the `metis-sys` crate. If METIS fails, or the graph does not
//!    fit its 32-bit indices, faer's AMD is used instead.
//! 4. Post-processing for faer (this matters as much as the separators): faer detects
//!    supernodes as contiguous column ranges and amalgamates a child supernode into its parent
//!    only when the child's last column immediately precedes the parent. METIS' order is not
//!    an elimination-tree postorder and its minimum-degree leaves make bushy subtrees, so
//!    faer saw ~0.75 supernodes per column and was *slower* than with AMD despite 3x fewer
//!    flops. So the order is (a) postordered along its elimination tree, (b) every maximal
//!    elimination subtree of at most `LEAF` vertices (a contiguous range after (a), and a
//!    connected block whose internal order does not change fill outside it) is renumbered by
//!    reverse Cuthill-McKee, which makes it chain-like so faer merges it into few supernodes,
//!    and (c) postordered again. (a) alone took 256x256 numeric LLT from 0.23 s to 0.14 s,
//!    (b) with LEAF = 16 to 0.09 s.
//!
//! # Measured
//!
//! 2-core x86-64 (shared, other builds running), `cargo build --release`, faer 0.24.4 f64
//! `Par::Seq`; crossbar with 2.5 Ω wire segments, uniform random 10-100 µS devices, t(i,0)
//! and b(N-1,j) driven with 0.1 S; node numbering randomly shuffled (the METIS order barely
//! depends on it; AMD's symbolic does). "order" is this function, AMD's ordering is inside
//! faer's "symbolic"; numeric = best of 3 (2 at 1024) `factorize_numeric_llt`; peak = max RSS
//! of the whole benchmark process (/usr/bin/time -v). Relative residual of A x = b: ≤ 2e-13
//! for all. "grid ND" is the geometric crossbar bisection (knows the layout), for reference.
//!
//! | N=M  | ordering | order  | symbolic | nnz(L) | numeric LLT | peak    |
//! |------|----------|--------|----------|--------|-------------|---------|
//! | 256  | AMD      | -      | 0.17 s   | 6.0 M  | 0.123 s     | 80 MB   |
//! | 256  | this     | 0.69 s | 0.03 s   | 4.9 M  | 0.075 s     | 88 MB   |
//! | 256  | grid ND  | 0.00 s | 0.03 s   | 4.7 M  | 0.066 s     | 70 MB   |
//! | 512  | AMD      | -      | 1.68 s   | 29.2 M | 0.687 s     | 352 MB  |
//! | 512  | this     | 3.63 s | 0.16 s   | 22.5 M | 0.436 s     | 331 MB  |
//! | 512  | grid ND  | 0.01 s | 0.16 s   | 21.2 M | 0.341 s     | 285 MB  |
//! | 1024 | AMD      | -      | 8.01 s   | 150 M  | 5.44 s      | 1.65 GB |
//! | 1024 | this     | 16.3 s | 0.82 s   | 98.6 M | 2.37 s      | 1.29 GB |
//! | 1024 | grid ND  | 0.07 s | 0.90 s   | 94.6 M | 2.07 s      | 1.20 GB |
//!
//! Unshuffled numbering: AMD symbolic 0.085 / 0.49 / 2.2 s, numeric 0.117 / 0.65 / 4.27 s;
//! this order 0.67 / 3.2 / 17.4 s, numeric 0.069 / 0.33 / 2.15 s. Flops (Σ colcount²) at
//! 1024: AMD 1.1e11, this 2.7e10, grid ND 2.2e10. Timings on the shared machine vary ±20%.
//!
//! The price is the ordering time (METIS ≈ 6-8 µs per unknown here, ~90% of it inside
//! METIS): it is paid once per topology. Against AMD's ordering+symbolic it is recovered
//! after ~3 factorizations (1024², shuffled numbering) to ~8-9 (512², or a natural
//! numbering, where AMD's symbolic is fast). For one or a few factorizations, AMD is cheaper
//! end to end; for Newton loops and sweeps on large arrays, this ordering.
//!
//! METIS keeps process-global state (GKlib's random generator), so calls are serialised by a
//! mutex. The result is deterministic for a given input.

use std::sync::Mutex;

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::sparse::linalg::amd;
use faer::sparse::SymbolicSparseColMatRef;

/// Maximal elimination subtrees of at most this many vertices are renumbered by reverse
/// Cuthill-McKee (step 4b). 16 was best of {0, 16, 32, 64, 128} at 256² and 512² crossbars.
const LEAF: usize = 16;

const NONE: usize = usize::MAX;

/// Serialises METIS calls (process-global random state in GKlib).
static METIS_LOCK: Mutex<()> = Mutex::new(());

/// Fill-reducing ordering of the symmetric pattern whose LOWER triangle (row >= col, diagonal
/// included or not) is given in CSC form (`col_ptr.len() == n + 1`, `row_idx` sorted per column).
/// Returns `fwd` with `fwd[new] = old`, a permutation of 0..n.
pub fn nested_dissection(n: usize, col_ptr: &[usize], row_idx: &[usize]) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let g = Graph::from_csc(n, col_ptr, row_idx);

    // Dense vertices go last, like AMD does (threshold max(16, 10 sqrt(n))).
    let dense_min = ((10.0 * (n as f64).sqrt()) as usize).max(16);
    let is_dense: Vec<bool> = (0..n).map(|v| g.degree(v) > dense_min).collect();
    let mut fwd = Vec::with_capacity(n);
    let mut dense = Vec::new();
    let mut keep = vec![false; n];
    for v in 0..n {
        if is_dense[v] {
            dense.push(v);
        } else if g.neighbours(v).iter().all(|&u| is_dense[u]) {
            fwd.push(v); // isolated once dense vertices are gone: no fill, number first
        } else {
            keep[v] = true;
        }
    }
    // The rest, numbered in breadth-first order: METIS and the passes below run ~30% faster
    // on a graph with locality than on a randomly numbered one.
    let mut old_of = Vec::with_capacity(n - fwd.len() - dense.len());
    let mut local = vec![NONE; n]; // old -> index in the ordered subgraph
    for root in 0..n {
        if !keep[root] || local[root] != NONE {
            continue;
        }
        local[root] = old_of.len();
        old_of.push(root);
        let mut q = old_of.len() - 1;
        while q < old_of.len() {
            let v = old_of[q];
            q += 1;
            for &u in g.neighbours(v) {
                if keep[u] && local[u] == NONE {
                    local[u] = old_of.len();
                    old_of.push(u);
                }
            }
        }
    }
    if !old_of.is_empty() {
        let sub = g.induced(&local, &old_of);
        let order = metis_order(&sub).unwrap_or_else(|| amd_order(&sub));
        let order = postorder(&sub, &order);
        let order = banded_leaves(&sub, order, LEAF);
        let order = postorder(&sub, &order);
        fwd.extend(order.into_iter().map(|v| old_of[v]));
    }
    fwd.extend(dense);
    debug_assert!(is_permutation(&fwd, n));
    fwd
}

/// Symmetric adjacency (both directions, no self loops, no duplicates) in CSR form.
struct Graph {
    ptr: Vec<usize>,
    adj: Vec<usize>,
}

impl Graph {
    /// Builds the symmetric adjacency from a CSC pattern: entries below and above the
    /// diagonal are both taken (so a full or an upper pattern works too); diagonal entries,
    /// out-of-range rows and duplicates are dropped. Never panics: a short or non-monotone
    /// `col_ptr` is read as far as it makes sense.
    fn from_csc(n: usize, col_ptr: &[usize], row_idx: &[usize]) -> Graph {
        let col = |j: usize| -> &[usize] {
            match (col_ptr.get(j), col_ptr.get(j + 1)) {
                (Some(&a), Some(&b)) if a < b.min(row_idx.len()) => {
                    &row_idx[a..b.min(row_idx.len())]
                }
                _ => &[],
            }
        };
        let mut ptr = vec![0usize; n + 1];
        for j in 0..n {
            for &r in col(j) {
                if r < n && r != j {
                    ptr[r + 1] += 1;
                    ptr[j + 1] += 1;
                }
            }
        }
        for v in 0..n {
            ptr[v + 1] += ptr[v];
        }
        let mut fill = ptr.clone();
        let mut adj = vec![0usize; ptr[n]];
        for j in 0..n {
            for &r in col(j) {
                if r < n && r != j {
                    adj[fill[r]] = j;
                    fill[r] += 1;
                    adj[fill[j]] = r;
                    fill[j] += 1;
                }
            }
        }
        // Drop duplicates in place (marker array, O(nnz)).
        let mut mark = vec![NONE; n];
        let (mut out, mut start) = (0, 0);
        for v in 0..n {
            let end = ptr[v + 1];
            for k in start..end {
                let u = adj[k];
                if mark[u] != v {
                    mark[u] = v;
                    adj[out] = u;
                    out += 1;
                }
            }
            start = end;
            ptr[v + 1] = out;
        }
        adj.truncate(out);
        Graph { ptr, adj }
    }

    /// Subgraph induced by `old_of` (`local[old]` is its new index, NONE if left out).
    fn induced(&self, local: &[usize], old_of: &[usize]) -> Graph {
        let mut ptr = Vec::with_capacity(old_of.len() + 1);
        let mut adj = Vec::with_capacity(self.adj.len());
        ptr.push(0);
        for &v in old_of {
            adj.extend(
                self.neighbours(v)
                    .iter()
                    .map(|&u| local[u])
                    .filter(|&u| u != NONE),
            );
            ptr.push(adj.len());
        }
        Graph { ptr, adj }
    }

    fn n(&self) -> usize {
        self.ptr.len() - 1
    }

    fn neighbours(&self, v: usize) -> &[usize] {
        &self.adj[self.ptr[v]..self.ptr[v + 1]]
    }

    fn degree(&self, v: usize) -> usize {
        self.ptr[v + 1] - self.ptr[v]
    }
}

/// METIS_NodeND with default options. `None` if the graph does not fit METIS' 32-bit
/// indices, METIS reports an error, or its output is not a permutation.
fn metis_order(g: &Graph) -> Option<Vec<usize>> {
    use metis_sys as m;
    type Idx = m::idx_t;
    let n = g.n();
    if n == 0 || n > Idx::MAX as usize || g.adj.len() > Idx::MAX as usize {
        return None;
    }
    let mut xadj: Vec<Idx> = g.ptr.iter().map(|&p| p as Idx).collect();
    let mut adjncy: Vec<Idx> = g.adj.iter().map(|&u| u as Idx).collect();
    let mut nv = n as Idx;
    let mut options = [0 as Idx; m::METIS_NOPTIONS as usize];
    let mut perm = vec![0 as Idx; n];
    let mut iperm = vec![0 as Idx; n];
    let status = {
        let _guard = METIS_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: all arrays have the lengths METIS_NodeND reads or writes (xadj n + 1,
        // adjncy xadj[n], options METIS_NOPTIONS, perm and iperm n); indices are in range and
        // the graph is symmetric without self loops; vwgt may be null.
        unsafe {
            m::METIS_SetDefaultOptions(options.as_mut_ptr());
            options[m::moptions_et_METIS_OPTION_NUMBERING as usize] = 0;
            m::METIS_NodeND(
                &mut nv,
                xadj.as_mut_ptr(),
                adjncy.as_mut_ptr(),
                std::ptr::null_mut(),
                options.as_mut_ptr(),
                perm.as_mut_ptr(),
                iperm.as_mut_ptr(),
            )
        }
    };
    if status != m::rstatus_et_METIS_OK {
        return None;
    }
    // METIS: row i of the permuted matrix is row perm[i] of the original, i.e. perm[new] = old.
    let fwd: Vec<usize> = perm.iter().map(|&p| p as usize).collect();
    is_permutation(&fwd, n).then_some(fwd)
}

/// faer's approximate minimum degree (fallback), or the identity if even that fails.
fn amd_order(g: &Graph) -> Vec<usize> {
    let n = g.n();
    let mut adj = g.adj.clone();
    for v in 0..n {
        adj[g.ptr[v]..g.ptr[v + 1]].sort_unstable();
    }
    // Valid by construction (monotone pointers, sorted in-range indices): does not panic.
    let pattern = SymbolicSparseColMatRef::<usize>::new_checked(n, n, &g.ptr, None, &adj);
    let mut perm = vec![0usize; n];
    let mut perm_inv = vec![0usize; n];
    let ok = MemBuffer::try_new(amd::order_scratch::<usize>(n, adj.len())).is_ok_and(|mut mem| {
        amd::order(
            &mut perm,
            &mut perm_inv,
            pattern,
            Default::default(),
            MemStack::new(&mut mem),
        )
        .is_ok()
    });
    if ok && is_permutation(&perm, n) {
        perm
    } else {
        (0..n).collect()
    }
}

/// Elimination tree of the pattern permuted by `fwd` (`parent[k]` in the new numbering,
/// NONE for roots): Liu's algorithm with path compression, O(nnz · α).
fn etree(g: &Graph, fwd: &[usize]) -> Vec<usize> {
    let n = fwd.len();
    let mut inv = vec![0usize; n];
    for (k, &v) in fwd.iter().enumerate() {
        inv[v] = k;
    }
    let mut parent = vec![NONE; n];
    let mut ancestor = vec![NONE; n];
    for (k, &v) in fwd.iter().enumerate() {
        for &u in g.neighbours(v) {
            let mut i = inv[u];
            if i >= k {
                continue;
            }
            loop {
                let next = ancestor[i];
                if next == k {
                    break;
                }
                ancestor[i] = k;
                if next == NONE {
                    parent[i] = k;
                    break;
                }
                i = next;
            }
        }
    }
    parent
}

/// Renumbers `fwd` (`fwd[new] = old`) in a postorder of its elimination tree: the same fill,
/// but every subtree becomes a contiguous range ending in its root.
fn postorder(g: &Graph, fwd: &[usize]) -> Vec<usize> {
    let n = fwd.len();
    let parent = etree(g, fwd);
    // Children lists, each increasing (pushed in decreasing order).
    let mut head = vec![NONE; n];
    let mut next = vec![NONE; n];
    for k in (0..n).rev() {
        if parent[k] != NONE {
            next[k] = head[parent[k]];
            head[parent[k]] = k;
        }
    }
    let mut out = Vec::with_capacity(n);
    let mut stack = Vec::new();
    for root in (0..n).filter(|&k| parent[k] == NONE) {
        stack.push(root);
        while let Some(&top) = stack.last() {
            let c = head[top];
            if c != NONE {
                head[top] = next[c];
                stack.push(c);
            } else {
                stack.pop();
                out.push(fwd[top]);
            }
        }
    }
    out
}

/// For a postordered `fwd`: renumbers every maximal elimination subtree of 3..=`leaf`
/// vertices (a contiguous range, connected in the graph) by reverse Cuthill-McKee of the
/// subgraph it induces. Eliminating a connected block first fills the rest the same whatever
/// its internal order, and a banded internal order gives a chain-like subtree that faer
/// amalgamates into few supernodes.
fn banded_leaves(g: &Graph, mut fwd: Vec<usize>, leaf: usize) -> Vec<usize> {
    let n = fwd.len();
    let parent = etree(g, &fwd);
    let mut size = vec![1usize; n];
    for k in 0..n {
        if parent[k] != NONE {
            size[parent[k]] += size[k];
        }
    }
    let mut block = vec![NONE; n]; // vertex -> root position of the block being renumbered
    let mut seen = vec![0usize; n];
    let mut tag = 0usize;
    let mut order: Vec<usize> = Vec::new();
    for k in 0..n {
        let p = parent[k];
        if size[k] < 3 || size[k] > leaf || (p != NONE && size[p] <= leaf) {
            continue;
        }
        let lo = k + 1 - size[k];
        for &v in &fwd[lo..=k] {
            block[v] = k;
        }
        let inside = |u: usize| block[u] == k;
        let deg = |v: usize| g.neighbours(v).iter().filter(|&&u| inside(u)).count();
        // Cuthill-McKee BFS from `start` (neighbours by increasing degree); returns the
        // eccentricity of `start` and where its last level begins in `order`.
        let mut cm = |start: usize, order: &mut Vec<usize>, seen: &mut [usize]| -> (usize, usize) {
            tag += 1;
            order.clear();
            order.push(start);
            seen[start] = tag;
            let (mut q, mut level_start, mut level_end, mut ecc) = (0, 0, 1, 0);
            while q < order.len() {
                if q == level_end {
                    (level_start, level_end) = (level_end, order.len());
                    ecc += 1;
                }
                let v = order[q];
                q += 1;
                let first = order.len();
                for &u in g.neighbours(v) {
                    if inside(u) && seen[u] != tag {
                        seen[u] = tag;
                        order.push(u);
                    }
                }
                order[first..].sort_by_key(|&u| deg(u));
            }
            (ecc, level_start)
        };
        // Pseudo-peripheral start (George-Liu): restart from a minimum-degree vertex of the
        // last level while the eccentricity grows.
        let mut start = fwd[lo];
        let (mut ecc, mut last) = cm(start, &mut order, &mut seen);
        for _ in 0..4 {
            let cand = order[last..]
                .iter()
                .copied()
                .min_by_key(|&v| deg(v))
                .unwrap_or(start);
            let (e, l) = cm(cand, &mut order, &mut seen);
            if e <= ecc {
                break;
            }
            (ecc, last, start) = (e, l, cand);
        }
        cm(start, &mut order, &mut seen);
        if order.len() == size[k] {
            order.reverse();
            fwd[lo..=k].copy_from_slice(&order);
        } // else: not connected (cannot happen for an elimination subtree); keep as is
    }
    fwd
}

fn is_permutation(p: &[usize], n: usize) -> bool {
    let mut seen = vec![false; n];
    p.len() == n
        && p.iter()
            .all(|&v| v < n && !std::mem::replace(&mut seen[v], true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::perm::PermRef;
    use faer::sparse::linalg::cholesky::{factorize_symbolic_cholesky, SymmetricOrdering};
    use faer::sparse::{SparseColMat, Triplet};
    use faer::Side;

    /// Lower-triangle CSC pattern (diagonal included) of an undirected edge list.
    fn lower_csc(n: usize, edges: &[(usize, usize)]) -> (Vec<usize>, Vec<usize>) {
        let mut cols: Vec<Vec<usize>> = (0..n).map(|j| vec![j]).collect();
        for &(a, b) in edges {
            if a != b {
                cols[a.min(b)].push(a.max(b));
            }
        }
        let mut ptr = vec![0];
        let mut idx = Vec::new();
        for mut c in cols {
            c.sort_unstable();
            c.dedup();
            idx.extend(c);
            ptr.push(idx.len());
        }
        (ptr, idx)
    }

    fn check(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
        let (ptr, idx) = lower_csc(n, edges);
        let p = nested_dissection(n, &ptr, &idx);
        assert!(is_permutation(&p, n), "not a permutation of 0..{n}");
        p
    }

    /// Tiny deterministic generator (xorshift64*), to keep the tests dependency-free.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, m: usize) -> usize {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % m
        }
    }

    /// Crossbar graph as the simulator builds it: t(i,j) = 2(iM+j), b(i,j) = t(i,j) + 1,
    /// optionally renumbered by a random permutation.
    fn crossbar(nr: usize, mc: usize, shuffle: Option<u64>) -> (usize, Vec<(usize, usize)>) {
        let (n, e, _) = crossbar_with_kinds(nr, mc, shuffle);
        (n, e)
    }

    /// `crossbar`, plus for each edge whether it is a device (else a wire segment).
    fn crossbar_with_kinds(
        nr: usize,
        mc: usize,
        shuffle: Option<u64>,
    ) -> (usize, Vec<(usize, usize)>, Vec<bool>) {
        let n = 2 * nr * mc;
        let mut map: Vec<usize> = (0..n).collect();
        if let Some(seed) = shuffle {
            let mut rng = Rng(seed);
            for i in (1..n).rev() {
                map.swap(i, rng.below(i + 1));
            }
        }
        let t = |i: usize, j: usize| map[2 * (i * mc + j)];
        let b = |i: usize, j: usize| map[2 * (i * mc + j) + 1];
        let (mut e, mut dev) = (Vec::new(), Vec::new());
        for i in 0..nr {
            for j in 0..mc {
                if j + 1 < mc {
                    e.push((t(i, j), t(i, j + 1)));
                    dev.push(false);
                }
                if i + 1 < nr {
                    e.push((b(i, j), b(i + 1, j)));
                    dev.push(false);
                }
                e.push((t(i, j), b(i, j)));
                dev.push(true);
            }
        }
        (n, e, dev)
    }

    /// len_val() of faer's symbolic Cholesky (nnz(L) incl. amalgamation padding).
    fn nnz_l(n: usize, edges: &[(usize, usize)], perm: Option<&[usize]>) -> usize {
        let (ptr, idx) = lower_csc(n, edges);
        let a = SymbolicSparseColMatRef::new_checked(n, n, &ptr, None, &idx);
        let inv: Vec<usize>;
        let ordering = match perm {
            None => SymmetricOrdering::Amd,
            Some(p) => {
                let mut iv = vec![0; n];
                for (new, &old) in p.iter().enumerate() {
                    iv[old] = new;
                }
                inv = iv;
                SymmetricOrdering::Custom(PermRef::new_checked(p, &inv, n))
            }
        };
        factorize_symbolic_cholesky(a, Side::Lower, ordering, Default::default())
            .unwrap()
            .len_val()
    }

    #[test]
    fn trivial_graphs() {
        assert!(nested_dissection(0, &[0], &[]).is_empty());
        assert!(nested_dissection(0, &[], &[]).is_empty());
        assert_eq!(check(1, &[]), vec![0]);
        check(5, &[]); // diagonal only
        assert_eq!(nested_dissection(3, &[0, 0, 0, 0], &[]).len(), 3); // nothing stored
        check(2, &[(0, 1)]);
        check(3, &[(0, 1), (1, 2), (0, 2)]);
    }

    #[test]
    fn malformed_input_does_not_panic() {
        // out-of-range rows, upper entries, duplicates, short and non-monotone col_ptr
        let p = nested_dissection(4, &[0, 3, 2, 5], &[0, 9, 1, 0, 3, 3]);
        assert!(is_permutation(&p, 4));
        let p = nested_dissection(3, &[0, 2, 4, 6], &[1, 1, 0, 2, 2, 2]);
        assert!(is_permutation(&p, 3));
    }

    #[test]
    fn disconnected_and_isolated() {
        let (n1, mut e) = crossbar(6, 7, Some(1));
        let (n2, e2) = crossbar(5, 3, None);
        e.extend(e2.iter().map(|&(a, b)| (a + n1, b + n1)));
        let n = n1 + n2 + 10; // ten isolated vertices at the end
        let p = check(n, &e);
        // isolated vertices come first
        assert!(p[..10].iter().all(|&v| v >= n1 + n2));
        // many small components
        let e: Vec<_> = (0..300).map(|k| (3 * k, 3 * k + 1)).collect();
        check(900, &e);
    }

    #[test]
    fn star_paths_cliques() {
        for n in [2, 6, 17, 100, 5000] {
            let star: Vec<_> = (1..n).map(|k| (0, k)).collect();
            let p = check(n, &star);
            if n > 17 {
                assert_eq!(p[n - 1], 0, "the centre (dense row) is numbered last");
            }
            let path: Vec<_> = (1..n).map(|k| (k - 1, k)).collect();
            check(n, &path);
        }
        let k30: Vec<_> = (0..30).flat_map(|a| (0..a).map(move |b| (a, b))).collect();
        check(30, &k30);
        // a crossbar plus one node wired to everything (a dense row)
        let (n, mut e) = crossbar(20, 20, Some(7));
        e.extend((0..n).map(|k| (k, n)));
        let p = check(n + 1, &e);
        assert_eq!(p[n], n);
    }

    #[test]
    fn random_graphs() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for trial in 0..40 {
            let n = 1 + rng.below(if trial < 30 { 60 } else { 3000 });
            let m = rng.below(4 * n + 1);
            let e: Vec<_> = (0..m).map(|_| (rng.below(n), rng.below(n))).collect();
            let p = check(n, &e);
            assert_eq!(p, check(n, &e), "deterministic");
        }
    }

    /// On a 64x64 crossbar (8192 unknowns, natural and shuffled numbering) nnz(L) must not
    /// exceed AMD's by more than 10%. Measured: 133-134 k vs AMD's 145-151 k (7-11% below). The margin: at this size ND and AMD are close (ND's advantage grows with N:
    /// -19% at 256², -23% at 512², -34% at 1024²), METIS' result varies a little with the
    /// input numbering, and len_val() includes the explicit zeros of faer's relaxed
    /// supernodes, which the leaf renumbering deliberately trades for fewer supernodes. 10%
    /// tolerates that while still catching a broken ordering (the identity on the shuffled
    /// crossbar gives 4.1 M, a swapped fwd/inv 4.3 M: ~29x AMD).
    #[test]
    fn crossbar_64_fill_not_worse_than_amd() {
        for shuffle in [None, Some(42)] {
            let (n, e) = crossbar(64, 64, shuffle);
            let nd = nnz_l(n, &e, Some(&check(n, &e)));
            let amd = nnz_l(n, &e, None);
            assert!(
                nd * 10 <= amd * 11,
                "nnz(L): nested dissection {nd}, AMD {amd}"
            );
        }
    }

    /// Solves A x = b with the ordering on a 32x32 crossbar system and checks the residual.
    #[test]
    fn crossbar_solve_residual() {
        use faer::dyn_stack::StackReq;
        use faer::{Conj, Mat, Par};
        let (nr, mc) = (32, 32);
        let (n, e, dev) = crossbar_with_kinds(nr, mc, Some(3));
        let mut rng = Rng(5);
        let mut diag = vec![0.0; n];
        let mut trips = Vec::new();
        for (k, &(a, b)) in e.iter().enumerate() {
            // devices 10-100 uS, wire segments 1/2.5 S
            let g = if dev[k] {
                1e-5 * (1.0 + rng.below(10) as f64)
            } else {
                0.4
            };
            diag[a] += g;
            diag[b] += g;
            trips.push(Triplet::new(a.max(b), a.min(b), -g));
        }
        for d in diag.iter_mut().step_by(7) {
            *d += 0.1; // drivers
        }
        for (k, &d) in diag.iter().enumerate() {
            trips.push(Triplet::new(k, k, d));
        }
        let a = SparseColMat::<usize, f64>::try_new_from_triplets(n, n, &trips).unwrap();
        let fwd = nested_dissection(n, a.symbolic().col_ptr(), a.symbolic().row_idx());
        let mut inv = vec![0; n];
        for (new, &old) in fwd.iter().enumerate() {
            inv[old] = new;
        }
        let ord = SymmetricOrdering::Custom(PermRef::new_checked(&fwd, &inv, n));
        let sym = factorize_symbolic_cholesky(a.symbolic(), Side::Lower, ord, Default::default())
            .unwrap();
        let par = Par::Seq;
        let mut mem = MemBuffer::new(StackReq::any_of(&[
            sym.factorize_numeric_llt_scratch::<f64>(par, Default::default()),
            sym.solve_in_place_scratch::<f64>(1, par),
        ]));
        let mut l = vec![0.0; sym.len_val()];
        let llt = sym
            .factorize_numeric_llt::<f64>(
                &mut l,
                a.as_ref(),
                Side::Lower,
                Default::default(),
                par,
                MemStack::new(&mut mem),
                Default::default(),
            )
            .unwrap();
        let rhs: Vec<f64> = (0..n).map(|k| (k % 13) as f64 - 6.0).collect();
        let mut x = Mat::<f64>::from_fn(n, 1, |i, _| rhs[i]);
        llt.solve_in_place_with_conj(Conj::No, x.as_mut(), par, MemStack::new(&mut mem));
        let mut ax = vec![0.0; n];
        let (cp, ri, v) = (a.symbolic().col_ptr(), a.symbolic().row_idx(), a.val());
        for j in 0..n {
            for k in cp[j]..cp[j + 1] {
                ax[ri[k]] += v[k] * x[(j, 0)];
                if ri[k] != j {
                    ax[j] += v[k] * x[(ri[k], 0)];
                }
            }
        }
        let res: f64 = ax
            .iter()
            .zip(&rhs)
            .map(|(p, q)| (p - q).powi(2))
            .sum::<f64>()
            .sqrt();
        let nb: f64 = rhs.iter().map(|q| q * q).sum::<f64>().sqrt();
        assert!(res / nb < 1e-10, "relative residual {}", res / nb);
    }
}
