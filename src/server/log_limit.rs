//! At most one log line per window for things an attacker can repeat at will (refused
//! requests, accept errors) and for failures every delivery meets at once (a deleted database,
//! a PostgreSQL outage): the first of each window is logged with how many were left out
//! before it; the rest go to `/metrics` (and the debug level). 18,000 forged requests a second
//! then cost one line, not 3.6 MB of log; a storage outage under load, one line per 10 s with
//! the count, not 36,000 lines in 4 s (issue 24).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Debug)]
pub struct LogLimit {
    window_ms: u64,
    /// When the current window opened (ms); `u64::MAX` before the first line.
    opened: AtomicU64,
    suppressed: AtomicU64,
}

impl LogLimit {
    pub fn new(window: Duration) -> LogLimit {
        LogLimit {
            window_ms: window.as_millis() as u64,
            opened: AtomicU64::new(u64::MAX),
            suppressed: AtomicU64::new(0),
        }
    }

    /// `Some(left out since the last line)` when this one may be logged, else `None`.
    pub fn allow(&self, now_ms: u64) -> Option<u64> {
        self.allow_many(now_ms, 1)
    }

    /// As `allow`, for a line that stands for `count` things (a batch): when it is left out,
    /// all of them are counted.
    pub fn allow_many(&self, now_ms: u64, count: u64) -> Option<u64> {
        let opened = self.opened.load(Ordering::Acquire);
        let due = opened == u64::MAX || now_ms >= opened.saturating_add(self.window_ms);
        if due
            && self
                .opened
                .compare_exchange(opened, now_ms, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            return Some(self.suppressed.swap(0, Ordering::AcqRel));
        }
        self.suppressed.fetch_add(count, Ordering::AcqRel);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_window_telling_how_many_were_left_out() {
        let limit = LogLimit::new(Duration::from_secs(10));
        assert_eq!(limit.allow(1_000), Some(0));
        assert_eq!(limit.allow(1_001), None);
        assert_eq!(limit.allow(10_999), None);
        assert_eq!(limit.allow(11_000), Some(2));
        assert_eq!(limit.allow(11_001), None);
    }

    #[test]
    fn a_batch_left_out_is_counted_whole() {
        let limit = LogLimit::new(Duration::from_secs(10));
        assert_eq!(limit.allow_many(0, 3), Some(0));
        assert_eq!(limit.allow_many(5, 40), None);
        assert_eq!(limit.allow(9), None);
        assert_eq!(limit.allow_many(10_000, 2), Some(41));
    }
}
