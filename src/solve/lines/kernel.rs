//! The sweep and residual kernels: LANES chains stepped side by side
//! (portable and AVX2 copies of the same operations), split over two
//! threads for large colours.

use super::*;

/// Positions from which a colour (or the residual test) is split over two
/// threads: below it, the cost of handing work over outweighs the work.
pub const PARALLEL_MIN: usize = 2048;

/// The coefficient arrays and law the loops read (all by position).
pub(super) struct Coefs<'a> {
    pub(super) gl: &'a [f64],
    pub(super) tg: &'a [f64],
    pub(super) tgv: &'a [f64],
    pub(super) ca: &'a [f64],
    pub(super) cb: &'a [f64],
    pub(super) other: &'a [u32],
    pub(super) sign: &'a [f64],
    pub(super) lm: &'a [f64],
    pub(super) inv: &'a [f64],
    pub(super) cp: &'a [f64],
    pub(super) law: IvLaw,
    pub(super) avx2: bool,
}

/// Some consecutive groups of one colour: their voltages `own` and steps
/// `y` (position `off` first) to write, and the positions they read of
/// everything else, `shared` (position `shared_off` first).
pub(super) struct Part<'a, 'b> {
    pub(super) c: &'b Coefs<'a>,
    pub(super) groups: &'b [Group],
    pub(super) own: &'b mut [f64],
    pub(super) y: &'b mut [f64],
    pub(super) off: usize,
    pub(super) shared: &'b [f64],
    pub(super) shared_off: usize,
    pub(super) mask: &'b [f64; LANES],
    pub(super) o: &'b crate::circuit::Options,
}

impl Part<'_, '_> {
    /// Step every group; the largest |step| (NaN if one is not finite) and
    /// whether every step is within half its tolerance.
    pub(super) fn run(self) -> (f64, bool) {
        #[cfg(target_arch = "x86_64")]
        if self.c.avx2 {
            // SAFETY: `avx2` is set only when the CPU has AVX2.
            return unsafe { self.run_avx2() };
        }
        self.run_any()
    }

    /// [`Part::run`] compiled for AVX2: one lane set per vector.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    pub(super) fn run_avx2(self) -> (f64, bool) {
        self.run_any()
    }

    #[inline(always)]
    pub(super) fn run_any(mut self) -> (f64, bool) {
        // One copy of the loop per law, so the device current inlines.
        let (mut step, mut within) = (0.0f64, true);
        for g in 0..self.groups.len() {
            let (s, w) = match self.c.law {
                IvLaw::Linear => self.group_step(g, |a, _, x| a * x),
                IvLaw::Sinh { .. } => self.group_step(g, |a, b, x| a * (b * x).sinh()),
                IvLaw::Cubic { .. } => self.group_step(g, |a, b, x| (a + b * x * x) * x),
                _ => unreachable!("LineRelax::new takes xbarsim's own laws only"),
            };
            if !s.is_finite() {
                return (f64::NAN, false);
            }
            step = step.max(s);
            within &= w;
        }
        (step, within)
    }

    /// One group's step: forward elimination from the residual, then back
    /// substitution, LANES chains side by side.
    #[inline(always)]
    pub(super) fn group_step(
        &mut self,
        g: usize,
        current: impl Fn(f64, f64, f64) -> f64,
    ) -> (f64, bool) {
        let Group { start, len } = self.groups[g];
        let c = self.c;
        let (own, y, off) = (&mut self.own[..], &mut self.y[..], self.off);
        let (shared, so, mask, o) = (self.shared, self.shared_off, self.mask, self.o);
        let zero = [0.0; LANES];
        let mut yprev = zero;
        for s in 0..len {
            let b = start + s * LANES;
            let i = b - off;
            // A chain's first and last nodes have no link on that side.
            let v = lanes(own, i);
            let (vm, glm) = if s == 0 {
                (zero, zero)
            } else {
                (lanes(own, i - LANES), lanes(c.gl, b - LANES))
            };
            let vn = if s + 1 == len {
                zero
            } else {
                lanes(own, i + LANES)
            };
            let glq = lanes(c.gl, b);
            let NodeLanes {
                t,
                tv,
                a,
                b: bb,
                sg,
            } = c.node_lanes(b);
            let (l_m, iv) = (lanes(c.lm, b), lanes(c.inv, b));
            let oth: [f64; LANES] = std::array::from_fn(|l| shared[c.other[b + l] as usize - so]);
            let mut yq = [0.0; LANES];
            for l in 0..LANES {
                let f = t[l] * v[l] - tv[l]
                    + glm[l] * (v[l] - vm[l])
                    + glq[l] * (v[l] - vn[l])
                    + sg[l] * current(a[l], bb[l], sg[l] * (v[l] - oth[l]));
                // Forward substitution; the lower entry is 0 at a chain's start.
                yq[l] = l_m[l] * yprev[l] - f * iv[l];
            }
            y[i..i + LANES].copy_from_slice(&yq);
            yprev = yq;
        }
        let mut xnext = zero;
        let mut step = zero;
        let mut sum = zero;
        let mut within = [true; LANES];
        for s in (0..len).rev() {
            let b = start + s * LANES;
            let i = b - off;
            let (yq, cq, old) = (lanes(y, i), lanes(c.cp, b), lanes(own, i));
            let mut nv = zero;
            for l in 0..LANES {
                // cp is 0 at a chain's end.
                let x = (yq[l] - cq[l] * xnext[l]) * mask[l];
                xnext[l] = x;
                nv[l] = old[l] + x;
                sum[l] += x;
                let ax = x.abs();
                step[l] = if ax > step[l] { ax } else { step[l] };
                within[l] &= 2.0 * ax <= o.reltol * old[l].abs().max(nv[l].abs()) + o.vntol;
            }
            own[i..i + LANES].copy_from_slice(&nv);
        }
        if sum.iter().all(|x| x.is_finite()) {
            (
                step.iter().fold(0.0f64, |m, &x| m.max(x)),
                within.iter().all(|&w| w),
            )
        } else {
            (f64::NAN, false)
        }
    }
}

/// A node's terms, LANES side by side: tie conductance, tie current
/// Σ g·V, the I–V law's two coefficients and the device sign.
pub(super) struct NodeLanes {
    pub(super) t: [f64; LANES],
    pub(super) tv: [f64; LANES],
    pub(super) a: [f64; LANES],
    pub(super) b: [f64; LANES],
    pub(super) sg: [f64; LANES],
}

impl Coefs<'_> {
    /// The node terms from position `b` on (what the sweep and the
    /// residual test both read).
    #[inline(always)]
    pub(super) fn node_lanes(&self, b: usize) -> NodeLanes {
        NodeLanes {
            t: lanes(self.tg, b),
            tv: lanes(self.tgv, b),
            a: lanes(self.ca, b),
            b: lanes(self.cb, b),
            sg: lanes(self.sign, b),
        }
    }

    /// [`LineRelax::residual_ok`] over `groups`.
    pub(super) fn residual(
        &self,
        vp: &[f64],
        groups: &[Group],
        o: &crate::circuit::Options,
    ) -> bool {
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // SAFETY: `avx2` is set only when the CPU has AVX2.
            return unsafe { self.residual_avx2(vp, groups, o) };
        }
        self.residual_any(vp, groups, o)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    pub(super) fn residual_avx2(
        &self,
        vp: &[f64],
        groups: &[Group],
        o: &crate::circuit::Options,
    ) -> bool {
        self.residual_any(vp, groups, o)
    }

    #[inline(always)]
    pub(super) fn residual_any(
        &self,
        vp: &[f64],
        groups: &[Group],
        o: &crate::circuit::Options,
    ) -> bool {
        match self.law {
            IvLaw::Linear => self.residual_with(vp, groups, o, |a, _, x| a * x),
            IvLaw::Sinh { .. } => self.residual_with(vp, groups, o, |a, b, x| a * (b * x).sinh()),
            IvLaw::Cubic { .. } => self.residual_with(vp, groups, o, |a, b, x| (a + b * x * x) * x),
            _ => unreachable!("LineRelax::new takes xbarsim's own laws only"),
        }
    }

    #[inline(always)]
    pub(super) fn residual_with(
        &self,
        vp: &[f64],
        groups: &[Group],
        o: &crate::circuit::Options,
        current: impl Fn(f64, f64, f64) -> f64,
    ) -> bool {
        let mut ok = [true; LANES];
        for gr in groups {
            for b in (gr.start..gr.start + gr.len * LANES).step_by(LANES) {
                // Links at a chain's ends are 0 (the neighbour positions
                // read there are padding, known nodes or another chain).
                let (v, vm, vn) = (lanes(vp, b), lanes(vp, b - LANES), lanes(vp, b + LANES));
                let (glm, glq) = (lanes(self.gl, b - LANES), lanes(self.gl, b));
                let NodeLanes {
                    t,
                    tv,
                    a,
                    b: bb,
                    sg,
                } = self.node_lanes(b);
                let oth: [f64; LANES] = std::array::from_fn(|l| vp[self.other[b + l] as usize]);
                for l in 0..LANES {
                    let it = t[l] * v[l] - tv[l];
                    let im = sg[l] * current(a[l], bb[l], sg[l] * (v[l] - oth[l]));
                    let il = glm[l] * (v[l] - vm[l]);
                    let ir = glq[l] * (v[l] - vn[l]);
                    let f = it + im + il + ir;
                    let scale = it.abs().max(im.abs()).max(il.abs()).max(ir.abs());
                    ok[l] &= f.abs() <= o.reltol * scale + o.abstol;
                }
            }
        }
        ok.iter().all(|&x| x)
    }
}

/// The LANES entries of `a` from `b`.
#[inline(always)]
pub(super) fn lanes(a: &[f64], b: usize) -> [f64; LANES] {
    a[b..b + LANES].try_into().expect("LANES entries")
}
