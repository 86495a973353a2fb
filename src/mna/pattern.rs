//! Sparsity pattern with slots: each stamp asks once, at setup, for the
//! position of its (row, column) entry; in the Newton loop it writes through
//! that slot. Symmetric systems store the lower triangle only (row ≥ column);
//! an upper-triangle request in that mode gets `NONE` (its mirror is stored).

use super::mapping::NONE;
use faer::sparse::SymbolicSparseColMat;

pub struct PatternBuilder {
    n: usize,
    lower: bool,
    /// Requested entries (column, row).
    req: Vec<(u32, u32)>,
}

/// Handle returned by [`PatternBuilder::entry`], resolved to a slot by [`Pattern`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryId(pub u32);

pub struct Pattern {
    pub symbolic: SymbolicSparseColMat<usize>,
    pub lower: bool,
    /// Slot (index into the value array) of each requested entry, or `NONE`.
    slots: Vec<u32>,
}

impl PatternBuilder {
    pub fn new(n: usize, lower: bool) -> Self {
        PatternBuilder {
            n,
            lower,
            req: Vec::new(),
        }
    }
    pub fn reserve(&mut self, k: usize) {
        self.req.reserve(k);
    }
    /// Ask for entry (row, col). Either index may be `NONE` (a known voltage): no entry.
    pub fn entry(&mut self, row: u32, col: u32) -> EntryId {
        let id = EntryId(self.req.len() as u32);
        if row == NONE || col == NONE || (self.lower && row < col) {
            self.req.push((NONE, NONE));
        } else {
            self.req.push((col, row));
        }
        id
    }

    pub fn build(self) -> Pattern {
        let n = self.n;
        // Counting sort by column, then sort+dedup rows inside each column.
        let mut count = vec![0usize; n + 1];
        for &(c, _) in &self.req {
            if c != NONE {
                count[c as usize + 1] += 1;
            }
        }
        // Every column gets its diagonal (gmin stepping writes there).
        for c in 0..n {
            count[c + 1] += 1;
        }
        for c in 0..n {
            count[c + 1] += count[c];
        }
        let mut rows = vec![0u32; count[n]];
        let mut fill = count.clone();
        for c in 0..n {
            rows[fill[c]] = c as u32;
            fill[c] += 1;
        }
        for &(c, r) in &self.req {
            if c != NONE {
                rows[fill[c as usize]] = r;
                fill[c as usize] += 1;
            }
        }
        let mut col_ptr = vec![0usize; n + 1];
        let mut row_idx: Vec<usize> = Vec::with_capacity(rows.len());
        for c in 0..n {
            let seg = &mut rows[count[c]..count[c + 1]];
            seg.sort_unstable();
            let mut last = NONE;
            for &r in seg.iter() {
                if r != last {
                    row_idx.push(r as usize);
                    last = r;
                }
            }
            col_ptr[c + 1] = row_idx.len();
        }
        let slots = self
            .req
            .iter()
            .map(|&(c, r)| {
                if c == NONE {
                    return NONE;
                }
                let (s, e) = (col_ptr[c as usize], col_ptr[c as usize + 1]);
                let k = row_idx[s..e]
                    .binary_search(&(r as usize))
                    .unwrap_or_else(|_| unreachable!("entry was inserted"));
                (s + k) as u32
            })
            .collect();
        let symbolic = SymbolicSparseColMat::new_checked(n, n, col_ptr, None, row_idx);
        Pattern {
            symbolic,
            lower: self.lower,
            slots,
        }
    }
}

impl Pattern {
    pub fn slot(&self, e: EntryId) -> u32 {
        self.slots[e.0 as usize]
    }
    pub fn nnz(&self) -> usize {
        self.symbolic.row_idx().len()
    }
    /// Slot of the diagonal entry of column `c`.
    pub fn diag_slot(&self, c: usize) -> u32 {
        let cp = self.symbolic.col_ptr();
        let ri = self.symbolic.row_idx();
        let k = ri[cp[c]..cp[c + 1]]
            .binary_search(&c)
            .unwrap_or_else(|_| unreachable!("diagonal always present"));
        (cp[c] + k) as u32
    }
}
