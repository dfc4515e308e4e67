//! The body budget: how many bytes of request bodies the server holds at once, across every
//! request. Without it, forty forged 25 MiB bodies take a gigabyte before one signature is
//! checked; with it, a delivery that does not fit is refused at once (503, `retry-after`) and
//! GitHub's redelivery brings it back.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

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
    /// Holds `more` bytes besides (a body of unknown length growing); false when they do not fit.
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
}
