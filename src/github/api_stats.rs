//! Process-wide counts of GitHub API calls and the last rate-limit reading, for `/metrics`.
//! One process talks to one GitHub, so plain globals are the honest shape for these.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

static CALLS: AtomicU64 = AtomicU64::new(0);
static FAILED: AtomicU64 = AtomicU64::new(0);
/// `x-ratelimit-remaining` of the last answer that carried it; -1 until one did.
static RATE_LIMIT_REMAINING: AtomicI64 = AtomicI64::new(-1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiStats {
    pub calls: u64,
    /// Calls GitHub answered with an error status, or that never got an answer.
    pub failed: u64,
    pub rate_limit_remaining: Option<i64>,
}

pub(crate) fn record(headers: Option<&http::HeaderMap>, ok: bool) {
    CALLS.fetch_add(1, Ordering::Relaxed);
    if !ok {
        FAILED.fetch_add(1, Ordering::Relaxed);
    }
    let remaining = headers
        .and_then(|h| h.get("x-ratelimit-remaining"))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    if let Some(remaining) = remaining {
        RATE_LIMIT_REMAINING.store(remaining, Ordering::Relaxed);
    }
}

pub fn snapshot() -> ApiStats {
    let remaining = RATE_LIMIT_REMAINING.load(Ordering::Relaxed);
    ApiStats {
        calls: CALLS.load(Ordering::Relaxed),
        failed: FAILED.load(Ordering::Relaxed),
        rate_limit_remaining: (remaining >= 0).then_some(remaining),
    }
}
