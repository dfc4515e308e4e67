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
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            ApiError::Transport { .. } => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    pub fn is_unprocessable(&self) -> bool {
        self.status() == Some(422)
    }

    pub(crate) fn from_octocrab(method: &'static str, route: &str, error: octocrab::Error) -> Self {
        let route = strip_query(route);
        match error {
            octocrab::Error::GitHub { source, .. } => {
                let retry_after = source
                    .headers
                    .as_ref()
                    .and_then(|headers| headers.get("retry-after"))
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
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

fn strip_query(route: &str) -> String {
    route.split('?').next().unwrap_or(route).to_string()
}
