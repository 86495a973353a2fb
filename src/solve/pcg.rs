//! Preconditioned conjugate gradients for large SPD nodal systems, with a
//! "strong-coupling" Cholesky preconditioner.
//!
//! In a crossbar the wire segments couple neighbouring nodes with conductances
//! (~0.1–10 S) thousands of times larger than the devices (~1e-6–1e-3 S). The
//! preconditioner M keeps the whole diagonal of A and only its *strong*
//! off-diagonal entries, |a_ij| ≥ τ·√(a_ii·a_jj): for a crossbar that is a set
//! of independent row and column chains, whose Cholesky factor has almost no
//! fill and costs O(n). Because A is diagonally dominant (a conductance
//! matrix), so is M, hence M is SPD. Nothing about geometry is assumed:
//! strength is judged from the values of the first matrix.
//!
//! CG runs in the elimination order of M (AMD on the strong graph): for a
//! crossbar that lays each line out contiguously, so the matrix–vector
//! products and the triangular solves walk memory in order.
//!
//! The solve stops at `tol`·‖b‖ or when the residual stagnates; a caller
//! falls back to a direct factorization of A if CG does not converge.

use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::sparse::linalg::cholesky::{
    factorize_symbolic_cholesky, LltRef, SymbolicCholesky, SymmetricOrdering,
};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMat};
use faer::{Conj, MatMut, Par, Side};

/// Off-diagonal entries at least this fraction of √(a_ii·a_jj) are strong.
pub const STRENGTH: f64 = 0.01;

/// A symmetric matrix in lower CSC form with `u32` indices, in CG order.
struct Lower {
    col_ptr: Vec<u32>,
    row_idx: Vec<u32>,
    vals: Vec<f64>,
    /// For each entry, the slot of the caller's value array it copies.
    from: Vec<u32>,
}

/// The preconditioner and the permuted copy of A that CG works on.
pub struct StrongPrecond {
    /// fwd[new] = old
    fwd: Vec<u32>,
    a: Lower,
    /// Pattern of M (permuted, lower): diagonal plus strong entries; `m_from[k]`
    /// is the index into `a.vals` it copies.
    m_sym: SymbolicSparseColMat<usize>,
    m_from: Vec<u32>,
    m_vals: Vec<f64>,
    chol: SymbolicCholesky<usize>,
    l: Vec<f64>,
    mem: MemBuffer,
}

/// Lower CSC (usize) → entries (row, col, slot) with row ≥ col.
fn entries(a: &SymbolicSparseColMat<usize>) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    let (cp, ri) = (a.col_ptr(), a.row_idx());
    (0..a.ncols()).flat_map(move |c| (cp[c]..cp[c + 1]).map(move |k| (ri[k], c, k)))
}

/// Build a lower CSC from (row, col, payload) with row ≥ col, rows sorted
/// per column: a counting sort by column, then a sort of each (short) column.
fn build_lower(n: usize, e: Vec<(u32, u32, u32)>) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
    let mut col_ptr = vec![0u32; n + 1];
    for &(_, c, _) in &e {
        col_ptr[c as usize + 1] += 1;
    }
    for c in 0..n {
        col_ptr[c + 1] += col_ptr[c];
    }
    let mut fill: Vec<u32> = col_ptr[..n].to_vec();
    let mut rows = vec![(0u32, 0u32); e.len()];
    for (r, c, k) in e {
        rows[fill[c as usize] as usize] = (r, k);
        fill[c as usize] += 1;
    }
    for c in 0..n {
        rows[col_ptr[c] as usize..col_ptr[c + 1] as usize].sort_unstable_by_key(|x| x.0);
    }
    let row_idx = rows.iter().map(|x| x.0).collect();
    let from = rows.iter().map(|x| x.1).collect();
    (col_ptr, row_idx, from)
}

impl StrongPrecond {
    /// Choose the strong entries of A (lower CSC pattern `a`, values `vals`),
    /// order them, and lay A out in that order.
    pub fn new(a: &SymbolicSparseColMat<usize>, vals: &[f64]) -> Option<StrongPrecond> {
        let n = a.nrows();
        let mut diag = vec![0.0f64; n];
        for (r, c, k) in entries(a) {
            if r == c {
                diag[c] = vals[k];
            }
        }
        let strong = |r: usize, c: usize, k: usize| {
            r == c || vals[k].abs() >= STRENGTH * (diag[r] * diag[c]).abs().sqrt()
        };
        // Order the strong graph (original numbering) with AMD.
        let mut col_ptr = vec![0usize; n + 1];
        let mut row_idx = Vec::new();
        for c in 0..n {
            for k in a.col_ptr()[c]..a.col_ptr()[c + 1] {
                let r = a.row_idx()[k];
                if strong(r, c, k) {
                    row_idx.push(r);
                }
            }
            col_ptr[c + 1] = row_idx.len();
        }
        let s0 = SymbolicSparseColMat::new_checked(n, n, col_ptr, None, row_idx);
        let order = factorize_symbolic_cholesky(
            s0.as_ref(),
            Side::Lower,
            SymmetricOrdering::Amd,
            Default::default(),
        )
        .ok()?;
        let (fwd, inv): (Vec<u32>, Vec<u32>) = match order.perm() {
            Some(p) => {
                let (f, i) = p.arrays();
                (
                    f.iter().map(|&x| x as u32).collect(),
                    i.iter().map(|&x| x as u32).collect(),
                )
            }
            None => ((0..n as u32).collect(), (0..n as u32).collect()),
        };
        drop(order);
        // A in the new order.
        let e: Vec<(u32, u32, u32)> = entries(a)
            .map(|(r, c, k)| {
                let (nr, nc) = (inv[r], inv[c]);
                (nr.max(nc), nr.min(nc), k as u32)
            })
            .collect();
        let (acp, ari, afrom) = build_lower(n, e);
        let avals = vec![0.0; afrom.len()];
        // M's pattern in the new order (natural ordering: already eliminated in order).
        let mut mcp = vec![0usize; n + 1];
        let mut mri = Vec::new();
        let mut mfrom = Vec::new();
        for c in 0..n {
            for k in acp[c] as usize..acp[c + 1] as usize {
                let r = ari[k] as usize;
                let ko = afrom[k] as usize;
                let (or, oc) = (fwd[r] as usize, fwd[c] as usize);
                if strong(or.max(oc), or.min(oc), ko) {
                    mri.push(r);
                    mfrom.push(k as u32);
                }
            }
            mcp[c + 1] = mri.len();
        }
        let m_sym = SymbolicSparseColMat::new_checked(n, n, mcp, None, mri);
        // An explicit identity permutation: faer's `Identity` ordering does not
        // accept a lower-triangle input the way its permuted paths do.
        let ident: Vec<usize> = (0..n).collect();
        let perm = faer::perm::PermRef::new_checked(&ident, &ident, n);
        let chol = factorize_symbolic_cholesky(
            m_sym.as_ref(),
            Side::Lower,
            SymmetricOrdering::Custom(perm),
            Default::default(),
        )
        .ok()?;
        let par = Par::Seq;
        let mem = MemBuffer::new(StackReq::any_of(&[
            chol.factorize_numeric_llt_scratch::<f64>(par, Default::default()),
            chol.solve_in_place_scratch::<f64>(1, par),
        ]));
        let l = vec![0.0; chol.len_val()];
        let m_vals = vec![0.0; mfrom.len()];
        Some(StrongPrecond {
            fwd,
            a: Lower {
                col_ptr: acp,
                row_idx: ari,
                vals: avals,
                from: afrom,
            },
            m_sym,
            m_from: mfrom,
            m_vals,
            chol,
            l,
            mem,
        })
    }

    /// Nonzeros of the preconditioner's factor.
    pub fn factor_nnz(&self) -> usize {
        self.chol.len_val()
    }

    /// Take new values of A (CG solves with them from now on).
    pub fn set_matrix(&mut self, vals: &[f64]) {
        for (v, &k) in self.a.vals.iter_mut().zip(&self.a.from) {
            *v = vals[k as usize];
        }
    }

    /// Factor M from the current A. False if M is not positive definite.
    pub fn refresh(&mut self) -> bool {
        for (m, &k) in self.m_vals.iter_mut().zip(&self.m_from) {
            *m = self.a.vals[k as usize];
        }
        let m = SparseColMatRef::new(self.m_sym.as_ref(), &self.m_vals);
        self.chol
            .factorize_numeric_llt::<f64>(
                &mut self.l,
                m,
                Side::Lower,
                Default::default(),
                Par::Seq,
                MemStack::new(&mut self.mem),
                Default::default(),
            )
            .is_ok()
    }

    /// z ← M⁻¹ z (permuted space).
    fn apply(&mut self, z: &mut [f64]) {
        let n = z.len();
        let llt = LltRef::new(&self.chol, &self.l);
        llt.solve_in_place_with_conj(
            Conj::No,
            MatMut::from_column_major_slice_mut(z, n, 1),
            Par::Seq,
            MemStack::new(&mut self.mem),
        );
    }

    /// y ← A·x (permuted space).
    fn matvec(&self, x: &[f64], y: &mut [f64]) {
        y.iter_mut().for_each(|v| *v = 0.0);
        let a = &self.a;
        for c in 0..x.len() {
            let xc = x[c];
            let mut acc = 0.0;
            for k in a.col_ptr[c] as usize..a.col_ptr[c + 1] as usize {
                let r = a.row_idx[k] as usize;
                let v = a.vals[k];
                y[r] += v * xc;
                if r != c {
                    acc += v * x[r];
                }
            }
            y[c] += acc;
        }
    }

    /// Solve A x = b (b in `x` on entry, x on exit) by PCG from zero.
    pub fn solve(&mut self, x: &mut [f64], w: &mut CgWork, tol: f64, max_iter: usize) -> CgStats {
        let n = x.len();
        for v in [&mut w.r, &mut w.z, &mut w.p, &mut w.q, &mut w.x] {
            v.resize(n, 0.0);
        }
        for (i, &o) in self.fwd.iter().enumerate() {
            w.r[i] = x[o as usize];
        }
        w.x.iter_mut().for_each(|v| *v = 0.0);
        let stats = self.cg(w, tol, max_iter);
        for (i, &o) in self.fwd.iter().enumerate() {
            x[o as usize] = w.x[i];
        }
        stats
    }

    fn cg(&mut self, w: &mut CgWork, tol: f64, max_iter: usize) -> CgStats {
        let n = w.r.len();
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
        let bnorm = dot(&w.r, &w.r).sqrt();
        if bnorm == 0.0 {
            return CgStats {
                iterations: 0,
                rel_residual: 0.0,
                converged: true,
            };
        }
        w.z.copy_from_slice(&w.r);
        self.apply(&mut w.z);
        w.p.copy_from_slice(&w.z);
        let mut rz = dot(&w.r, &w.z);
        let mut best = f64::INFINITY;
        let mut stall = 0;
        for it in 1..=max_iter {
            self.matvec(&w.p, &mut w.q);
            let pq = dot(&w.p, &w.q);
            if pq.is_nan() || pq <= 0.0 {
                return CgStats {
                    iterations: it,
                    rel_residual: f64::NAN,
                    converged: false,
                };
            }
            let alpha = rz / pq;
            for i in 0..n {
                w.x[i] += alpha * w.p[i];
                w.r[i] -= alpha * w.q[i];
            }
            let rel = dot(&w.r, &w.r).sqrt() / bnorm;
            if rel <= tol {
                return CgStats {
                    iterations: it,
                    rel_residual: rel,
                    converged: true,
                };
            }
            // Stagnation at rounding level counts as converged if it is small.
            if rel < best * 0.5 {
                best = rel;
                stall = 0;
            } else {
                stall += 1;
                if stall >= 10 {
                    return CgStats {
                        iterations: it,
                        rel_residual: rel,
                        converged: rel <= 1e-10,
                    };
                }
            }
            w.z.copy_from_slice(&w.r);
            self.apply(&mut w.z);
            let rz_new = dot(&w.r, &w.z);
            let beta = rz_new / rz;
            rz = rz_new;
            for i in 0..n {
                w.p[i] = w.z[i] + beta * w.p[i];
            }
        }
        let rel = dot(&w.r, &w.r).sqrt() / bnorm;
        CgStats {
            iterations: max_iter,
            rel_residual: rel,
            converged: rel <= 1e-10,
        }
    }
}

/// Work vectors of CG, allocated once.
#[derive(Default)]
pub struct CgWork {
    r: Vec<f64>,
    z: Vec<f64>,
    p: Vec<f64>,
    q: Vec<f64>,
    x: Vec<f64>,
}

/// Outcome of one CG solve.
#[derive(Clone, Copy, Debug)]
pub struct CgStats {
    pub iterations: usize,
    pub rel_residual: f64,
    pub converged: bool,
}
