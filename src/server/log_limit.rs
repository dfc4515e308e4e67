//! At most one log line per window for things an attacker can repeat at will (refused
//! requests, accept errors): the first of each window is logged with how many were left out
//! before it; the rest go to `/metrics` (and the debug level). 18,000 forged requests a second
//! then cost one line, not 3.6 MB of log.

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
        self.suppressed.fetch_add(1, Ordering::AcqRel);
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
}
