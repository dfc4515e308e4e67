//! What becomes of a job after one run of the engine: done, wait for a rate limit, back off and
//! try again, or give up at once. Pure, so every case is tested without a network.

use std::time::Duration;

use crate::engine::{EngineError, Outcome};
use crate::github::ApiError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    Done,
    /// GitHub asked us to wait (403/429 with `retry-after` or a spent limit): not a failure.
    WaitFor {
        wait: Duration,
        error: String,
    },
    /// Worth another attempt after the back-off (5xx, network, other refusals that may pass).
    Retry {
        error: String,
    },
    /// Will never succeed as it is (a payload that cannot be read): dead now.
    GiveUp {
        error: String,
    },
}

pub fn disposition(result: &Result<Outcome, EngineError>) -> Disposition {
    let error = match result {
        Ok(_) => return Disposition::Done,
        Err(error) => error,
    };
    let text = error.to_string();
    let api = match error {
        // Neither passes by waiting: an unreadable event or state, an unknown identity.
        EngineError::Event(_) | EngineError::Unreadable(_) | EngineError::Identity(_) => {
            return Disposition::GiveUp { error: text }
        }
        EngineError::Api(api) => api,
        EngineError::StepFailed { source, .. } => source,
    };
    match api {
        ApiError::Status {
            status: 403 | 429,
            retry_after: Some(wait),
            ..
        } => Disposition::WaitFor {
            wait: (*wait).max(Duration::from_secs(1)),
            error: text,
        },
        _ => Disposition::Retry { error: text },
    }
}

/// A 401 means the installation token was refused: refresh it once before failing the job.
pub fn is_refused_token(result: &Result<Outcome, EngineError>) -> bool {
    let api = match result {
        Err(EngineError::Api(api)) | Err(EngineError::StepFailed { source: api, .. }) => api,
        _ => return false,
    };
    api.status() == Some(401)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::result_large_err)] // the engine's own result type, built for the test
    fn status(status: u16, retry_after: Option<u64>) -> Result<Outcome, EngineError> {
        Err(EngineError::Api(ApiError::Status {
            method: "POST",
            route: "/repos/o/r/pulls".into(),
            status,
            message: "m".into(),
            retry_after: retry_after.map(Duration::from_secs),
        }))
    }

    #[test]
    fn a_handled_event_is_done() {
        assert_eq!(
            disposition(&Ok(Outcome::Ignored("x".into()))),
            Disposition::Done
        );
    }

    #[test]
    fn a_rate_limit_waits_for_as_long_as_github_asked() {
        assert!(matches!(
            disposition(&status(403, Some(30))),
            Disposition::WaitFor { wait, .. } if wait == Duration::from_secs(30)
        ));
        assert!(matches!(
            disposition(&status(429, Some(0))),
            Disposition::WaitFor { wait, .. } if wait == Duration::from_secs(1)
        ));
    }

    #[test]
    fn server_errors_and_plain_refusals_back_off() {
        for (code, retry_after) in [(502, None), (403, None), (404, None), (500, Some(5))] {
            assert!(
                matches!(
                    disposition(&status(code, retry_after)),
                    Disposition::Retry { .. }
                ),
                "{code}"
            );
        }
        let step = Err(EngineError::StepFailed {
            version: "0.1.3".into(),
            step: "open the pull request",
            source: ApiError::Transport {
                method: "POST",
                route: "/repos/o/r/pulls".into(),
                detail: "connection reset".into(),
            },
        });
        assert!(
            matches!(disposition(&step), Disposition::Retry { error } if error.contains("connection reset"))
        );
    }

    #[test]
    fn an_unreadable_payload_is_given_up_at_once() {
        let unreadable = crate::event::parse("issue_comment", b"{\"action\":\"created\"}");
        let result = unreadable
            .map(|_| Outcome::AlreadyAnswered)
            .map_err(EngineError::from);
        assert!(matches!(disposition(&result), Disposition::GiveUp { .. }));
    }

    #[test]
    fn only_a_401_refreshes_the_token() {
        assert!(is_refused_token(&status(401, None)));
        assert!(!is_refused_token(&status(403, None)));
        assert!(!is_refused_token(&Ok(Outcome::AlreadyAnswered)));
    }
}
