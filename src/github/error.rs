//! API failures, kept apart from the user's mistakes: these are logged and reported as a failed
//! step, never blamed on the person who typed the command.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("GitHub answered {status} to {method} {route}: {message}")]
    Status {
        method: &'static str,
        route: String,
        status: u16,
        message: String,
        /// From `retry-after` (seconds) on rate-limited answers.
        retry_after: Option<Duration>,
    },
    #[error("{method} {route} failed: {detail}")]
    Transport {
        method: &'static str,
        route: String,
        detail: String,
    },
    /// The request cannot be made as it stands (no installation to act for, a path that is
    /// no URI): repeating it changes nothing, so it is not retried.
    #[error("{method} {route} cannot be sent: {detail}")]
    Unsendable {
        method: &'static str,
        route: String,
        detail: String,
    },
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            ApiError::Transport { .. } | ApiError::Unsendable { .. } => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    pub fn is_unprocessable(&self) -> bool {
        self.status() == Some(422)
    }

    /// A 429, or a 403 that asks to wait (`retry-after`, a spent limit, a secondary limit).
    pub fn is_rate_limited(&self) -> bool {
        match self {
            ApiError::Status {
                status: 403 | 429,
                retry_after,
                message,
                ..
            } => {
                let message = message.to_ascii_lowercase();
                retry_after.is_some()
                    || message.contains("rate limit")
                    || message.contains("abuse detection")
            }
            _ => false,
        }
    }

    pub(crate) fn from_octocrab(method: &'static str, route: &str, error: octocrab::Error) -> Self {
        let route = strip_query(route);
        match error {
            octocrab::Error::GitHub { source, .. } => {
                let retry_after = source
                    .headers
                    .as_ref()
                    .and_then(|headers| rate_limit_wait(headers, chrono::Utc::now().timestamp()));
                ApiError::Status {
                    method,
                    route,
                    status: source.status_code.as_u16(),
                    message: source.message.clone(),
                    retry_after,
                }
            }
            other => ApiError::Transport {
                method,
                route,
                detail: other.to_string(),
            },
        }
    }
}

/// How long GitHub asks us to wait: `retry-after` (secondary limits), or, when the primary
/// limit is spent (`x-ratelimit-remaining: 0`), until `x-ratelimit-reset` (epoch seconds).
pub(crate) fn rate_limit_wait(headers: &http::HeaderMap, now: i64) -> Option<Duration> {
    let number = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<i64>().ok())
    };
    if let Some(seconds) = number("retry-after") {
        return Some(Duration::from_secs(seconds.max(0) as u64));
    }
    if number("x-ratelimit-remaining") == Some(0) {
        let reset = number("x-ratelimit-reset")?;
        // At least a second, so a clock a little ahead of GitHub's does not spin.
        return Some(Duration::from_secs((reset - now).max(1) as u64));
    }
    None
}

fn strip_query(route: &str) -> String {
    route.split('?').next().unwrap_or(route).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn retry_after_is_taken_as_it_is() {
        let wait = rate_limit_wait(&headers(&[("retry-after", "7")]), 0);
        assert_eq!(wait, Some(Duration::from_secs(7)));
    }

    #[test]
    fn a_spent_primary_limit_waits_until_its_reset() {
        let spent = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1700000090"),
        ]);
        assert_eq!(
            rate_limit_wait(&spent, 1_700_000_000),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            rate_limit_wait(&spent, 1_700_000_100),
            Some(Duration::from_secs(1)),
            "a reset already past still waits a second"
        );
    }

    #[test]
    fn a_403_with_limit_left_is_not_a_rate_limit() {
        let forbidden = headers(&[
            ("x-ratelimit-remaining", "4999"),
            ("x-ratelimit-reset", "1700000090"),
        ]);
        assert_eq!(rate_limit_wait(&forbidden, 1_700_000_000), None);
    }
}
