//! Sparse direct solves with faer: symbolic factorization once per pattern,
//! numeric factorization per Newton step into preallocated storage.
//!
//! Symmetric systems (lower triangle stored) use supernodal Cholesky LLᵀ with
//! a fill-reducing ordering (nested dissection, see [`super::ordering`]). If
//! Cholesky meets a non-positive pivot (a device with negative differential
//! conductance makes J indefinite) the solver switches, permanently, to LU on
//! the mirrored full pattern. Non-symmetric systems use LU from the start.

use crate::mna::pattern::Pattern;
use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::sparse::linalg::cholesky::{
    factorize_symbolic_cholesky, SymbolicCholesky, SymmetricOrdering,
};
use faer::sparse::linalg::lu::{factorize_symbolic_lu, NumericLu, SymbolicLu};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMat};
use faer::{Conj, MatMut, Par, Side};

#[derive(Debug, thiserror::Error)]
pub enum SolveError {
    #[error("the matrix is singular (near unknown {0})")]
    Singular(usize),
    #[error("sparse factorization failed: {0}")]
    Faer(String),
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
    Llt {
        sym: SymbolicCholesky<usize>,
        l: Vec<f64>,
    },
    Lu(Box<Lu>),
}

pub struct SparseSolver {
    lower: bool,
    symbolic: SymbolicSparseColMat<usize>,
    kind: Kind,
    mem: MemBuffer,
    par: Par,
    /// Statistics: numeric factorizations and solves done.
    pub factorizations: usize,
    pub solves: usize,
}

fn faer_err(e: impl std::fmt::Debug) -> SolveError {
    SolveError::Faer(format!("{e:?}"))
}

impl SparseSolver {
    /// Symbolic analysis of `p` (ordering + elimination structure), once.
    pub fn new(p: &Pattern) -> Result<SparseSolver, SolveError> {
        let par = Par::Seq; // measured: Par::rayon(2) was slower on 2 cores (7.3 s vs 6.95 s end to end at 512x512)
        let symbolic = p.symbolic.clone();
        let (kind, req) = if p.lower {
            let sym = factorize_symbolic_cholesky(
                symbolic.as_ref(),
                Side::Lower,
                SymmetricOrdering::Amd,
                Default::default(),
            )
            .map_err(faer_err)?;
            let req = StackReq::any_of(&[
                sym.factorize_numeric_llt_scratch::<f64>(par, Default::default()),
                sym.solve_in_place_scratch::<f64>(1, par),
            ]);
            let l = vec![0.0; sym.len_val()];
            (Kind::Llt { sym, l }, req)
        } else {
            let lu = Self::lu_parts(&symbolic, None)?;
            let req = StackReq::any_of(&[
                lu.sym
                    .factorize_numeric_lu_scratch::<f64>(par, Default::default()),
                lu.sym.solve_in_place_scratch::<f64>(1, par),
            ]);
            (Kind::Lu(Box::new(lu)), req)
        };
        Ok(SparseSolver {
            lower: p.lower,
            symbolic,
            kind,
            mem: MemBuffer::new(req),
            par,
            factorizations: 0,
            solves: 0,
        })
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
        let sym = factorize_symbolic_lu(full.as_ref(), Default::default()).map_err(faer_err)?;
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
        self.factorizations += 1;
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
            .map_err(|e| SolveError::Faer(format!("{e:?}")))?;
        Ok(())
    }

    /// Solve A x = b in place (after `factor`).
    pub fn solve(&mut self, b: &mut [f64]) {
        self.solves += 1;
        let n = b.len();
        let rhs = MatMut::from_column_major_slice_mut(b, n, 1);
        match &self.kind {
            Kind::Llt { sym, l } => {
                let llt = faer::sparse::linalg::cholesky::LltRef::new(sym, l);
                llt.solve_in_place_with_conj(Conj::No, rhs, self.par, MemStack::new(&mut self.mem));
            }
            Kind::Lu(lu) => {
                let r = faer::sparse::linalg::lu::LuRef::new_unchecked(&lu.sym, &lu.num);
                r.solve_in_place_with_conj(Conj::No, rhs, self.par, MemStack::new(&mut self.mem));
            }
        }
        let _ = self.lower;
    }

    /// Nonzeros in the factor(s), for reports.
    pub fn factor_nnz(&self) -> usize {
        match &self.kind {
            Kind::Llt { sym, .. } => sym.len_val(),
            Kind::Lu(lu) => lu.symbolic.row_idx().len(),
        }
    }
}
