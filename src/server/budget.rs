//! The body budget: how many bytes of request bodies the server holds at once, across every
//! request. Without it, forty forged 25 MiB bodies take a gigabyte before one signature is
//! checked; with it, a delivery that does not fit is refused at once (503, `retry-after`) and
//! GitHub's redelivery brings it back.
//!
//! A body holds budget for the bytes that have arrived, not for the length it declares: every
//! body is unverified until its last byte, and four requests of 271 bytes declaring 25 MiB
//! each would otherwise hold the whole default budget without sending anything (issue 24).
//! `first_hold` and `hold_for` decide how much a body holds; no I/O.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// What a body holds before any of it arrives, at most: a typical delivery (a comment is
/// 5–15 KB) needs no more, and forty such requests together hold 2.5 MiB.
pub const FIRST_HOLD: usize = 64 * 1024;

/// What a body holds more at a time as it arrives past what it holds.
pub const STEP: usize = 1024 * 1024;

/// What a body declaring `declared` bytes (`None`: chunked) holds before any byte arrives.
pub fn first_hold(declared: Option<usize>) -> usize {
    declared.unwrap_or(FIRST_HOLD).min(FIRST_HOLD)
}

/// What a body holding `held` must hold once `arrived` bytes of it are in: unchanged while they
/// fit, else a `STEP` more (or what arrived, if more), never past what it declared (nor `max`).
pub fn hold_for(declared: Option<usize>, max: usize, arrived: usize, held: usize) -> usize {
    if arrived <= held {
        return held;
    }
    let ceiling = declared.unwrap_or(max).min(max);
    (held + STEP).min(ceiling).max(arrived)
}

#[derive(Debug)]
pub struct BodyBudget {
    limit: usize,
    used: AtomicUsize,
}

/// Bytes held for one request; given back when dropped.
#[derive(Debug)]
pub struct Reservation {
    budget: Arc<BodyBudget>,
    bytes: usize,
}

impl BodyBudget {
    pub fn new(limit: usize) -> Arc<BodyBudget> {
        Arc::new(BodyBudget {
            limit,
            used: AtomicUsize::new(0),
        })
    }

    fn take(&self, bytes: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|total| *total <= self.limit)
            })
            .is_ok()
    }

    /// Holds `bytes`, or `None` when they do not fit beside what other requests hold.
    pub fn reserve(self: &Arc<Self>, bytes: usize) -> Option<Reservation> {
        self.take(bytes).then(|| Reservation {
            budget: Arc::clone(self),
            bytes,
        })
    }

    #[cfg(test)]
    fn in_use(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }
}

impl Reservation {
    /// Holds `more` bytes besides (a body growing); false when they do not fit.
    pub fn grow(&mut self, more: usize) -> bool {
        let fits = self.budget.take(more);
        if fits {
            self.bytes += more;
        }
        fits
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_does_not_fit_is_refused_and_what_is_given_back_fits_again() {
        let budget = BodyBudget::new(100);
        let first = budget.reserve(60).unwrap();
        assert!(budget.reserve(50).is_none(), "60 + 50 > 100");
        let mut second = budget.reserve(40).unwrap();
        assert!(!second.grow(1), "full");
        drop(first);
        assert!(second.grow(60));
        assert_eq!((second.bytes(), budget.in_use()), (100, 100));
        drop(second);
        assert_eq!(budget.in_use(), 0);
    }

    #[test]
    fn a_body_holds_little_before_it_arrives_whatever_it_declares() {
        assert_eq!(first_hold(Some(25 * 1024 * 1024)), FIRST_HOLD);
        assert_eq!(first_hold(Some(13_694)), 13_694);
        assert_eq!(first_hold(Some(0)), 0);
        assert_eq!(first_hold(None), FIRST_HOLD);
    }

    #[test]
    fn a_body_holds_more_a_step_at_a_time_as_it_arrives_up_to_what_it_declared() {
        const MAX: usize = 25 * 1024 * 1024;
        let declared = Some(3 * STEP);
        assert_eq!(
            hold_for(declared, MAX, 1_000, FIRST_HOLD),
            FIRST_HOLD,
            "fits"
        );
        assert_eq!(
            hold_for(declared, MAX, FIRST_HOLD + 1, FIRST_HOLD),
            FIRST_HOLD + STEP
        );
        assert_eq!(
            hold_for(declared, MAX, 2 * STEP + 1, FIRST_HOLD + 2 * STEP),
            FIRST_HOLD + 2 * STEP
        );
        assert_eq!(
            hold_for(declared, MAX, 3 * STEP, 2 * STEP),
            3 * STEP,
            "never past what it declared"
        );
        assert_eq!(
            hold_for(None, MAX, MAX, MAX - 10),
            MAX,
            "chunked: never past the largest body"
        );
        assert_eq!(
            hold_for(Some(10), MAX, 5 * STEP, 0),
            5 * STEP,
            "what arrived, at least"
        );
    }
}
