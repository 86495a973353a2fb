//! Fork–join on two threads for short, frequent jobs: one helper thread
//! that waits for work by spinning (parking only after [`SPIN`] without
//! any), so handing it a job of a few microseconds costs well under one.
//!
//! Line relaxation steps each colour of a crossbar's lines in two halves;
//! one sweep of a 64×64 array is ~30 µs, and a tuning run does millions of
//! them. A thread pool that puts its workers to sleep between jobs spends
//! more in waking them than the half saves (measured with rayon's `join`:
//! the 64×64 tuning's first cycle went from 56 s to 73 s, a third of it
//! in the kernel). The helper is shared by the whole process; a caller
//! that finds it busy (another thread's solve holds it) runs both halves
//! itself, and so does every caller on a one-core machine or with
//! `RAYON_NUM_THREADS=1`.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long the helper spins for the next job before it parks.
pub const SPIN: Duration = Duration::from_millis(2);

/// A job handed to the helper: a closure on the caller's stack, valid
/// until the caller has seen it done.
#[derive(Clone, Copy)]
struct Job(*mut (dyn FnMut() + Send + 'static));
// SAFETY: the closure is `Send`; the pointer is dereferenced by the helper
// only between the caller publishing it and the caller seeing it done,
// while the caller keeps the closure alive and does not touch it.
unsafe impl Send for Job {}

struct Helper {
    /// Held by the caller whose job the helper runs (or is about to).
    busy: AtomicBool,
    /// Jobs published so far, and jobs finished.
    posted: AtomicU64,
    done: AtomicU64,
    /// The job panicked.
    panicked: AtomicBool,
    job: Mutex<Option<Job>>,
    /// The helper is parked (under this lock) waiting for `posted` to move.
    parked: Mutex<bool>,
    wake: Condvar,
}

static HELPER: OnceLock<Option<&'static Helper>> = OnceLock::new();

fn helper() -> Option<&'static Helper> {
    *HELPER.get_or_init(|| {
        // One core, or one thread asked for (RAYON_NUM_THREADS=1, which
        // sizes the process's thread pool too): no helper.
        if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2
            || rayon::current_num_threads() < 2
        {
            return None;
        }
        let h: &'static Helper = Box::leak(Box::new(Helper {
            busy: AtomicBool::new(false),
            posted: AtomicU64::new(0),
            done: AtomicU64::new(0),
            panicked: AtomicBool::new(false),
            job: Mutex::new(None),
            parked: Mutex::new(false),
            wake: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("xbarsim-pair".into())
            .spawn(move || h.serve())
            .ok()
            .map(|_| h)
    })
}

impl Helper {
    fn serve(&self) {
        let mut seen = 0u64;
        loop {
            let since = Instant::now();
            let mut spins = 0u32;
            while self.posted.load(Ordering::Acquire) == seen {
                std::hint::spin_loop();
                spins = spins.wrapping_add(1);
                if spins.is_multiple_of(1024) && since.elapsed() > SPIN {
                    let mut parked = self.parked.lock().unwrap_or_else(|e| e.into_inner());
                    *parked = true;
                    while self.posted.load(Ordering::Acquire) == seen {
                        parked = self.wake.wait(parked).unwrap_or_else(|e| e.into_inner());
                    }
                    *parked = false;
                }
            }
            seen = self.posted.load(Ordering::Acquire);
            let job = self.job.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(Job(f)) = job {
                // SAFETY: see `Job`.
                let r = catch_unwind(AssertUnwindSafe(|| unsafe { (*f)() }));
                if r.is_err() {
                    self.panicked.store(true, Ordering::Relaxed);
                }
            }
            self.done.store(seen, Ordering::Release);
        }
    }
}

/// Run `a` here and `b` on the helper thread at the same time, and return
/// both results; both run here, one after the other, when there is no
/// helper or another caller holds it.
pub fn join<RA, RB>(a: impl FnOnce() -> RA, b: impl FnOnce() -> RB + Send) -> (RA, RB)
where
    RB: Send,
{
    let Some(h) = helper().filter(|h| {
        h.busy
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }) else {
        return (a(), b());
    };
    let mut b = Some(b);
    let mut rb: Option<RB> = None;
    let mut task = || rb = b.take().map(|b| b());
    let dynf: &mut (dyn FnMut() + Send) = &mut task;
    // SAFETY: the lifetime is erased only for the hand-over; this function
    // does not return (nor unwind, see below) before the helper is done.
    let f: *mut (dyn FnMut() + Send + 'static) = unsafe { std::mem::transmute(dynf) };
    *h.job.lock().unwrap_or_else(|e| e.into_inner()) = Some(Job(f));
    let n = h.posted.fetch_add(1, Ordering::AcqRel) + 1;
    if *h.parked.lock().unwrap_or_else(|e| e.into_inner()) {
        h.wake.notify_one();
    }
    let ra = catch_unwind(AssertUnwindSafe(a));
    while h.done.load(Ordering::Acquire) != n {
        std::hint::spin_loop();
    }
    let panicked = h.panicked.swap(false, Ordering::Relaxed);
    h.busy.store(false, Ordering::Release);
    let ra = ra.unwrap_or_else(|e| resume_unwind(e));
    if panicked {
        panic!("a job on the helper thread panicked");
    }
    (ra, rb.expect("the helper ran the job"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_run_and_return() {
        let data: Vec<u64> = (0..10_000).collect();
        let (lo, hi) = data.split_at(5_000);
        for _ in 0..1_000 {
            let (a, b) = join(|| lo.iter().sum::<u64>(), || hi.iter().sum::<u64>());
            assert_eq!(a + b, 10_000 * 9_999 / 2);
        }
        // Mutable halves, written on both threads.
        let mut v = vec![0u32; 1_000];
        let (x, y) = v.split_at_mut(500);
        join(
            || x.iter_mut().for_each(|e| *e = 1),
            || y.iter_mut().for_each(|e| *e = 2),
        );
        assert_eq!(v.iter().map(|&e| e as usize).sum::<usize>(), 1_500);
    }

    #[test]
    fn callers_on_many_threads_all_get_their_results() {
        std::thread::scope(|s| {
            for t in 0..4u64 {
                s.spawn(move || {
                    for k in 0..2_000u64 {
                        let (a, b) = join(|| t * k, || t + k);
                        assert_eq!((a, b), (t * k, t + k));
                    }
                });
            }
        });
    }
}
