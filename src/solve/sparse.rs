//! Sparse direct solves with faer: symbolic factorization once per pattern,
//! numeric factorization per Newton step into preallocated storage.
//!
//! Symmetric systems (lower triangle stored) use Cholesky LLᵀ (faer picks
//! simplicial or supernodal) with AMD, or with a given ordering (nested
//! dissection from a crossbar's geometry, [`super::ordering`]); large ones
//! may use conjugate gradients instead ([`super::pcg`]). If
//! Cholesky meets a non-positive pivot (a device with negative differential
//! conductance makes J indefinite) the solver switches, permanently, to LU on
//! the mirrored full pattern. Non-symmetric systems use LU from the start.

use super::pcg::{CgStats, CgWork, StrongPrecond};
use crate::mna::pattern::Pattern;
use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::sparse::linalg::cholesky::{
    factorize_symbolic_cholesky, SymbolicCholesky, SymmetricOrdering,
};
use faer::sparse::linalg::lu::{factorize_symbolic_lu, NumericLu, SymbolicLu};
use faer::sparse::linalg::LuError;
use faer::sparse::{SparseColMatRef, SymbolicSparseColMat};
use faer::{Conj, MatMut, Par, Side};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SolveError {
    /// No pivot could be found for this unknown (the system's numbering):
    /// the matrix is singular.
    #[error("the matrix is singular (near unknown {0})")]
    Singular(usize),
    /// faer's own failure (index overflow, out of memory).
    #[error("sparse factorization failed: {0:?}")]
    Faer(#[source] faer::sparse::FaerError),
    /// The factor would not fit the memory budget (see `circuit::budget`).
    #[error(transparent)]
    TooLarge(#[from] crate::circuit::budget::TooLarge),
}

struct Lu {
    symbolic: SymbolicSparseColMat<usize>,
    /// For each full-pattern entry, the slot of the caller's value array.
    from: Vec<u32>,
    sym: SymbolicLu<usize>,
    num: NumericLu<usize, f64>,
    vals: Vec<f64>,
}

/// One per solver: the size difference of the variants does not matter.
#[allow(clippy::large_enum_variant)]
enum Kind {
    /// Preconditioned CG (large symmetric systems); `pre` is built at the first factor.
    Pcg(Box<PcgState>),
    Llt {
        /// Shared with the solvers of other circuits of this pattern
        /// ([`SparseSolver::analysis`]).
        sym: std::sync::Arc<SymbolicCholesky<usize>>,
        l: Vec<f64>,
    },
    Lu(Box<Lu>),
}

struct PcgState {
    pre: Option<StrongPrecond>,
    /// CG iterations of the first solve after the preconditioner was last refreshed,
    /// and of the last solve: M is refreshed only when CG slows down.
    base_iters: usize,
    last_iters: usize,
    vals: Vec<f64>,
    work: CgWork,
    rhs: Vec<f64>,
}

pub use crate::circuit::SolverChoice;

/// `Auto` uses CG from this many unknowns on (about a 230×230 crossbar).
pub const PCG_MIN_UNKNOWNS: usize = 100_000;
/// CG stops at this relative residual (or when it stagnates below 1e-10).
pub const PCG_TOL: f64 = 1e-14;
pub const PCG_MAX_ITER: usize = 1000;

/// A symbolic Cholesky analysis kept for other matrices of its pattern
/// ([`SparseSolver::analysis`], [`SparseSolver::on`]).
pub struct Analysis {
    symbolic: SymbolicSparseColMat<usize>,
    sym: std::sync::Arc<SymbolicCholesky<usize>>,
    par: Par,
}

impl Analysis {
    /// The pattern it was made for.
    pub fn pattern(&self) -> &SymbolicSparseColMat<usize> {
        &self.symbolic
    }
}

pub struct SparseSolver {
    symbolic: SymbolicSparseColMat<usize>,
    kind: Kind,
    mem: MemBuffer,
    par: Par,
    /// Statistics: numeric factorizations and solves done.
    pub factorizations: usize,
    pub solves: usize,
    /// Seconds spent in numeric factorization and in solves.
    pub factor_secs: f64,
    pub solve_secs: f64,
    /// Total CG iterations (iterative mode).
    pub cg_iterations: usize,
    /// Scratch for multi-right-hand-side solves, and how many columns it fits.
    mem_many: MemBuffer,
    mem_many_cols: usize,
}

impl SparseSolver {
    /// A direct solver with a given fill-reducing ordering (`fwd[new] = old`),
    /// e.g. nested dissection from a crossbar's geometry.
    pub fn with_ordering(p: &Pattern, fwd: &[usize]) -> Result<SparseSolver, SolveError> {
        if !p.lower {
            return Self::direct(p.symbolic.clone(), false, None);
        }
        Self::direct(p.symbolic.clone(), true, Some(fwd))
    }

    /// Symbolic analysis of `p` (ordering + elimination structure), once.
    pub fn new(p: &Pattern, choice: SolverChoice) -> Result<SparseSolver, SolveError> {
        let n = p.symbolic.nrows();
        let iterative = p.lower
            && match choice {
                SolverChoice::Auto => n >= PCG_MIN_UNKNOWNS,
                SolverChoice::Direct => false,
                SolverChoice::Iterative => true,
            };
        if iterative {
            let state = PcgState {
                pre: None,
                base_iters: 0,
                last_iters: 0,
                vals: Vec::new(),
                work: CgWork::default(),
                rhs: Vec::new(),
            };
            return Ok(Self::fresh(
                p.symbolic.clone(),
                Kind::Pcg(Box::new(state)),
                StackReq::EMPTY,
                Par::Seq,
            ));
        }
        Self::direct(p.symbolic.clone(), p.lower, None)
    }

    /// A direct solver (Cholesky when `lower`, else LU) for this pattern.
    fn direct(
        symbolic: SymbolicSparseColMat<usize>,
        lower: bool,
        fwd: Option<&[usize]>,
    ) -> Result<SparseSolver, SolveError> {
        let par = Par::Seq; // measured: Par::rayon(2) was slower on 2 cores (7.3 s vs 6.95 s end to end at 512x512)
        let (kind, req) = if lower {
            // faer picks simplicial or supernodal by itself (forcing supernodal
            // was measured slower for .vmm's many-right-hand-side solves at 64x64).
            let n = symbolic.nrows();
            let mut inv = vec![0usize; if fwd.is_some() { n } else { 0 }];
            if let Some(f) = fwd {
                for (new, &old) in f.iter().enumerate() {
                    inv[old] = new;
                }
            }
            let ordering = match fwd {
                Some(f) => SymmetricOrdering::Custom(faer::perm::PermRef::new_checked(f, &inv, n)),
                None => SymmetricOrdering::Amd,
            };
            let sym = factorize_symbolic_cholesky(
                symbolic.as_ref(),
                Side::Lower,
                ordering,
                Default::default(),
            )
            .map_err(SolveError::Faer)?;
            let what = format!(
                "the sparse Cholesky factor of {n} unknowns (nnz(L) = {})",
                sym.len_val()
            );
            crate::circuit::budget::check(
                &what,
                crate::circuit::budget::factor_bytes(sym.len_val()),
            )?;
            return Ok(Self::llt(symbolic, std::sync::Arc::new(sym), par));
        } else {
            let lu = Self::lu_parts(&symbolic, None)?;
            let req = StackReq::any_of(&[
                lu.sym
                    .factorize_numeric_lu_scratch::<f64>(par, Default::default()),
                lu.sym.solve_in_place_scratch::<f64>(1, par),
            ]);
            (Kind::Lu(Box::new(lu)), req)
        };
        Ok(Self::fresh(symbolic, kind, req, par))
    }

    /// A Cholesky solver of this symbolic analysis, nothing done yet.
    fn llt(
        symbolic: SymbolicSparseColMat<usize>,
        sym: std::sync::Arc<SymbolicCholesky<usize>>,
        par: Par,
    ) -> SparseSolver {
        let req = StackReq::any_of(&[
            sym.factorize_numeric_llt_scratch::<f64>(par, Default::default()),
            sym.solve_in_place_scratch::<f64>(1, par),
        ]);
        let l = vec![0.0; sym.len_val()];
        Self::fresh(symbolic, Kind::Llt { sym, l }, req, par)
    }

    /// This solver's symbolic analysis (ordering and elimination structure)
    /// for solvers of other matrices of the same pattern; `None` unless
    /// this is a direct Cholesky solver.
    pub fn analysis(&self) -> Option<Analysis> {
        match &self.kind {
            Kind::Llt { sym, .. } => Some(Analysis {
                symbolic: self.symbolic.clone(),
                sym: sym.clone(),
                par: self.par,
            }),
            _ => None,
        }
    }

    /// A new solver on a kept analysis: the numbers it computes are the
    /// bits a solver built afresh for the same pattern computes.
    pub fn on(a: &Analysis) -> SparseSolver {
        Self::llt(a.symbolic.clone(), a.sym.clone(), a.par)
    }

    /// A solver of `kind` with `req` scratch, nothing done yet.
    fn fresh(
        symbolic: SymbolicSparseColMat<usize>,
        kind: Kind,
        req: StackReq,
        par: Par,
    ) -> SparseSolver {
        SparseSolver {
            symbolic,
            kind,
            mem: MemBuffer::new(req),
            par,
            factorizations: 0,
            solves: 0,
            factor_secs: 0.0,
            solve_secs: 0.0,
            cg_iterations: 0,
            mem_many: MemBuffer::new(StackReq::EMPTY),
            mem_many_cols: 0,
        }
    }

    /// Leave CG for good: direct Cholesky on the same pattern (keeps statistics).
    fn switch_to_direct(&mut self) -> Result<(), SolveError> {
        let mut d = Self::direct(self.symbolic.clone(), true, None)?;
        d.factorizations = self.factorizations;
        d.solves = self.solves;
        d.factor_secs = self.factor_secs;
        d.solve_secs = self.solve_secs;
        d.cg_iterations = self.cg_iterations;
        *self = d;
        Ok(())
    }

    /// True when a "factorization" is cheap (CG: only the preconditioner).
    pub fn cheap_factor(&self) -> bool {
        matches!(self.kind, Kind::Pcg(_))
    }

    /// True while the iterative solver is in use.
    pub fn is_iterative(&self) -> bool {
        matches!(self.kind, Kind::Pcg(_))
    }

    /// LU structures; `mirror`: build the full pattern from a lower-triangle one.
    fn lu_parts(
        symbolic: &SymbolicSparseColMat<usize>,
        mirror: Option<()>,
    ) -> Result<Lu, SolveError> {
        let n = symbolic.nrows();
        let (cp, ri) = (symbolic.col_ptr(), symbolic.row_idx());
        let (full, from) = if mirror.is_some() {
            // Entries (r, c, slot) for both triangles.
            let mut e: Vec<(usize, usize, u32)> = Vec::with_capacity(2 * ri.len());
            for c in 0..n {
                for (k, &r) in ri[cp[c]..cp[c + 1]].iter().enumerate() {
                    let slot = (cp[c] + k) as u32;
                    e.push((c, r, slot));
                    if r != c {
                        e.push((r, c, slot));
                    }
                }
            }
            e.sort_unstable_by_key(|&(c, r, _)| (c, r));
            let mut col_ptr = vec![0usize; n + 1];
            for &(c, _, _) in &e {
                col_ptr[c + 1] += 1;
            }
            for c in 0..n {
                col_ptr[c + 1] += col_ptr[c];
            }
            let row_idx = e.iter().map(|x| x.1).collect();
            let from = e.iter().map(|x| x.2).collect();
            (
                SymbolicSparseColMat::new_checked(n, n, col_ptr, None, row_idx),
                from,
            )
        } else {
            (symbolic.clone(), (0..ri.len() as u32).collect())
        };
        let sym =
            factorize_symbolic_lu(full.as_ref(), Default::default()).map_err(SolveError::Faer)?;
        let vals = vec![0.0; full.row_idx().len()];
        Ok(Lu {
            symbolic: full,
            from,
            sym,
            num: NumericLu::new(),
            vals,
        })
    }

    pub fn is_cholesky(&self) -> bool {
        matches!(self.kind, Kind::Llt { .. })
    }

    /// Numeric factorization of the matrix with values `vals` (pattern order).
    pub fn factor(&mut self, vals: &[f64]) -> Result<(), SolveError> {
        let t = std::time::Instant::now();
        let r = self.factor_inner(vals);
        self.factor_secs += t.elapsed().as_secs_f64();
        r
    }

    fn factor_inner(&mut self, vals: &[f64]) -> Result<(), SolveError> {
        self.factorizations += 1;
        if let Kind::Pcg(st) = &mut self.kind {
            st.vals.clear();
            st.vals.extend_from_slice(vals);
            let fresh = st.pre.is_none();
            if fresh {
                st.pre = StrongPrecond::new(&self.symbolic, vals);
            }
            // The preconditioner may lag behind A (CG stays exact); refresh it
            // when CG has slowed down by half since the last refresh.
            let refresh = fresh || st.last_iters > st.base_iters + st.base_iters / 2 + 2;
            let ok = match &mut st.pre {
                Some(m) => {
                    m.set_matrix(vals);
                    !refresh || m.refresh()
                }
                None => false,
            };
            if refresh {
                st.base_iters = 0;
            }
            if ok {
                return Ok(());
            }
            self.switch_to_direct()?;
        }
        if let Kind::Llt { sym, l } = &mut self.kind {
            let a = SparseColMatRef::new(self.symbolic.as_ref(), vals);
            match sym.factorize_numeric_llt::<f64>(
                l,
                a,
                Side::Lower,
                Default::default(),
                self.par,
                MemStack::new(&mut self.mem),
                Default::default(),
            ) {
                Ok(_) => return Ok(()),
                Err(_) => {
                    // Not positive definite: switch to LU for good.
                    let lu = Self::lu_parts(&self.symbolic, Some(()))?;
                    let req = StackReq::any_of(&[
                        lu.sym
                            .factorize_numeric_lu_scratch::<f64>(self.par, Default::default()),
                        lu.sym.solve_in_place_scratch::<f64>(1, self.par),
                    ]);
                    self.mem = MemBuffer::new(req);
                    self.kind = Kind::Lu(Box::new(lu));
                }
            }
        }
        let Kind::Lu(lu) = &mut self.kind else {
            unreachable!()
        };
        for (v, &s) in lu.vals.iter_mut().zip(&lu.from) {
            *v = vals[s as usize];
        }
        let a = SparseColMatRef::new(lu.symbolic.as_ref(), &lu.vals);
        lu.sym
            .factorize_numeric_lu::<f64>(
                &mut lu.num,
                a,
                self.par,
                MemStack::new(&mut self.mem),
                Default::default(),
            )
            .map_err(|e| match e {
                LuError::SymbolicSingular { index } => {
                    SolveError::Singular(lu.sym.col_perm().arrays().0[index])
                }
                LuError::Generic(e) => SolveError::Faer(e),
            })?;
        Ok(())
    }

    /// Solve A x = b in place (after `factor`).
    pub fn solve(&mut self, b: &mut [f64]) {
        self.solve_tol(b, PCG_TOL);
    }

    /// Solve, allowing the iterative solver to stop at relative residual `tol`
    /// (Newton steps need not be solved to rounding level: the outer loop
    /// checks the true residual). Direct solvers ignore `tol`.
    pub fn solve_tol(&mut self, b: &mut [f64], tol: f64) {
        let t = std::time::Instant::now();
        self.solve_inner(b, tol);
        self.solve_secs += t.elapsed().as_secs_f64();
    }

    fn solve_inner(&mut self, b: &mut [f64], tol: f64) {
        self.solves += 1;
        if let Kind::Pcg(st) = &mut self.kind {
            st.rhs.clear();
            st.rhs.extend_from_slice(b);
            let stats = match &mut st.pre {
                Some(m) => m.solve(b, &mut st.work, tol, PCG_MAX_ITER),
                None => CgStats {
                    iterations: 0,
                    rel_residual: f64::NAN,
                    converged: false,
                },
            };
            self.cg_iterations += stats.iterations;
            if st.base_iters == 0 {
                st.base_iters = stats.iterations;
            }
            st.last_iters = stats.iterations;
            if stats.converged {
                return;
            }
            // CG did not converge: factor the stored matrix directly and solve again.
            let vals = std::mem::take(&mut st.vals);
            let rhs = std::mem::take(&mut st.rhs);
            if self.switch_to_direct().is_ok() && self.factor_inner(&vals).is_ok() {
                b.copy_from_slice(&rhs);
                self.solve_inner(b, tol);
            } else {
                b.iter_mut().for_each(|v| *v = f64::NAN);
            }
            return;
        }
        let n = b.len();
        let rhs = MatMut::from_column_major_slice_mut(b, n, 1);
        match &self.kind {
            Kind::Pcg(_) => unreachable!("handled above"),
            Kind::Llt { sym, l } => {
                let llt = faer::sparse::linalg::cholesky::LltRef::new(sym, l);
                llt.solve_in_place_with_conj(Conj::No, rhs, self.par, MemStack::new(&mut self.mem));
            }
            Kind::Lu(lu) => {
                let r = faer::sparse::linalg::lu::LuRef::new_unchecked(&lu.sym, &lu.num);
                r.solve_in_place_with_conj(Conj::No, rhs, self.par, MemStack::new(&mut self.mem));
            }
        }
    }

    /// Solve A X = B for `ncols` right-hand sides stored column after column
    /// in `b` (one triangular sweep for all of them: much cheaper per column
    /// than separate solves). False for the iterative solver (not done).
    pub fn solve_many(&mut self, b: &mut [f64], ncols: usize) -> bool {
        let t = std::time::Instant::now();
        let n = self.symbolic.nrows();
        if ncols == 0 || b.len() != n * ncols {
            return ncols == 0;
        }
        let req = match &self.kind {
            Kind::Pcg(_) => return false,
            Kind::Llt { sym, .. } => sym.solve_in_place_scratch::<f64>(ncols, self.par),
            Kind::Lu(lu) => lu.sym.solve_in_place_scratch::<f64>(ncols, self.par),
        };
        if self.mem_many_cols < ncols {
            self.mem_many = MemBuffer::new(req);
            self.mem_many_cols = ncols;
        }
        let rhs = MatMut::from_column_major_slice_mut(b, n, ncols);
        match &self.kind {
            Kind::Pcg(_) => unreachable!(),
            Kind::Llt { sym, l } => faer::sparse::linalg::cholesky::LltRef::new(sym, l)
                .solve_in_place_with_conj(
                    Conj::No,
                    rhs,
                    self.par,
                    MemStack::new(&mut self.mem_many),
                ),
            Kind::Lu(lu) => faer::sparse::linalg::lu::LuRef::new_unchecked(&lu.sym, &lu.num)
                .solve_in_place_with_conj(
                    Conj::No,
                    rhs,
                    self.par,
                    MemStack::new(&mut self.mem_many),
                ),
        }
        self.solves += ncols;
        self.solve_secs += t.elapsed().as_secs_f64();
        true
    }

    /// Nonzeros in the factor(s), for reports.
    pub fn factor_nnz(&self) -> usize {
        match &self.kind {
            Kind::Pcg(st) => st.pre.as_ref().map(|m| m.factor_nnz()).unwrap_or(0),
            Kind::Llt { sym, .. } => sym.len_val(),
            Kind::Lu(lu) => lu.symbolic.row_idx().len(),
        }
    }
}
