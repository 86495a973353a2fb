//! Stopping a running analysis from outside (Python's Ctrl-C): the caller
//! holds an [`Interrupt`] flag, runs the work under it ([`Interrupt::watch`]),
//! and every solve the work makes on that thread polls it first
//! ([`check`]): once it is raised, the next solve fails with
//! [`SolveFailure::Interrupted`], and the analysis ends as any failed one
//! does (results written so far stay complete). Parallel loops hand the
//! flag to their workers ([`current`], [`under`]).
//!
//! The flag belongs to one call: another thread's work, under another flag
//! or none, is not stopped. Polling costs a thread-local read and an atomic
//! load per solve.

use super::SolveFailure;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

thread_local! {
    static WATCHED: RefCell<Option<Interrupt>> = const { RefCell::new(None) };
}

/// A flag that stops the work run under it.
#[derive(Clone, Debug, Default)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    pub fn new() -> Interrupt {
        Interrupt::default()
    }

    /// Ask the work under this flag to stop at its next solve.
    pub fn raise(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_raised(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Run `f` on this thread with its solves polling this flag (the
    /// thread's previous flag, if any, is restored afterwards, also when `f`
    /// panics).
    pub fn watch<T>(&self, f: impl FnOnce() -> T) -> T {
        under(&Some(self.clone()), f)
    }
}

/// The flag this thread's solves poll, to hand to the workers of a parallel
/// loop.
pub fn current() -> Option<Interrupt> {
    WATCHED.with_borrow(|w| w.clone())
}

/// Run `f` with `flag` (from [`current`]) polled by its solves.
pub fn under<T>(flag: &Option<Interrupt>, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<Interrupt>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let prev = self.0.take();
            WATCHED.with_borrow_mut(|w| *w = prev);
        }
    }
    let prev = WATCHED.with_borrow_mut(|w| std::mem::replace(w, flag.clone()));
    let _restore = Restore(prev);
    f()
}

/// Err([`SolveFailure::Interrupted`]) once this thread's flag is raised.
#[inline]
pub fn check() -> Result<(), SolveFailure> {
    if WATCHED.with_borrow(|w| w.as_ref().is_some_and(Interrupt::is_raised)) {
        Err(SolveFailure::Interrupted)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raised_flag_stops_only_the_work_under_it() {
        assert!(check().is_ok(), "no flag: nothing to stop");
        let flag = Interrupt::new();
        flag.watch(|| {
            assert!(check().is_ok());
            flag.raise();
            assert!(matches!(check(), Err(SolveFailure::Interrupted)));
            // A worker of a parallel loop, handed the flag.
            let cur = current();
            std::thread::scope(|s| {
                s.spawn(|| {
                    assert!(check().is_ok(), "a new thread polls nothing");
                    under(&cur, || assert!(check().is_err()));
                    assert!(check().is_ok(), "restored");
                });
            });
            // Nested work under another flag, then this one again.
            Interrupt::new().watch(|| assert!(check().is_ok()));
            assert!(check().is_err());
        });
        assert!(check().is_ok(), "restored after the work");
    }
}
