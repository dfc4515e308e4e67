//! What becomes of a job after one run of the engine: done, wait for a rate limit, back off and
//! try again, or fail for good at once. Pure, so every case is tested without a network.
//!
//! Permanent vs transient: what waiting cannot fix (the repository or installation is gone, the
//! request is invalid, the token is refused even fresh, the payload is unreadable) fails at once,
//! instead of retrying for an hour while the repository's next job waits; what may pass (5xx,
//! the network, a plain 403) backs off and tries again.

use std::time::Duration;

use crate::engine::{EngineError, Outcome};
use crate::github::ApiError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    Done,
    /// GitHub asked us to wait (403/429 with `retry-after`, a spent limit, or a secondary rate
    /// limit): not a failure, so the attempt is given back.
    WaitFor {
        wait: Duration,
        error: String,
    },
    /// Worth another attempt after the back-off (5xx, network, other refusals that may pass).
    /// `tell`: when the attempts run out, the issue the delivery came from is told (unless a
    /// failed step told its owner already).
    Retry {
        error: String,
        tell: bool,
    },
    /// Will never succeed as it is: dead now. `tell` says whether people can be told on the
    /// issue the delivery came from (not when the payload is unreadable or the installation's
    /// token is refused, since then there is nobody or no way to tell).
    Permanent {
        error: String,
        tell: bool,
    },
}

/// Statuses that say the request cannot succeed by being repeated: the installation or the
/// repository is gone (404), removed for good (410), or the request is invalid (422).
const PERMANENT_STATUSES: &[u16] = &[404, 410, 422];

/// `token_refreshed`: the worker already fetched a new installation token after a 401 and ran
/// the job again, so this result is the second try. `secondary_limit_wait`: the least a
/// secondary rate limit waits.
pub fn disposition(
    result: &Result<Outcome, EngineError>,
    token_refreshed: bool,
    secondary_limit_wait: Duration,
) -> Disposition {
    let error = match result {
        Ok(_) => return Disposition::Done,
        Err(error) => error,
    };
    let text = error.to_string();
    let api = match error {
        // None passes by waiting: an unreadable event or state, an unknown identity.
        EngineError::Event(_) | EngineError::Unreadable(_) | EngineError::Identity(_) => {
            return Disposition::Permanent {
                error: text,
                tell: !matches!(error, EngineError::Event(_)),
            }
        }
        EngineError::Api(api) => api,
        EngineError::StepFailed { source, .. } => source,
    };
    // A failed step already told its owner, in the status comment and a mention.
    let told_already = matches!(error, EngineError::StepFailed { .. });
    if let ApiError::Unsendable { .. } = api {
        return Disposition::Permanent {
            error: text,
            tell: false,
        };
    }
    let ApiError::Status {
        status,
        message,
        retry_after,
        ..
    } = api
    else {
        return Disposition::Retry {
            error: text,
            tell: !told_already,
        };
    };
    match *status {
        403 | 429 if is_secondary_rate_limit(message) => Disposition::WaitFor {
            wait: retry_after.unwrap_or_default().max(secondary_limit_wait),
            error: text,
        },
        403 | 429 if retry_after.is_some() => Disposition::WaitFor {
            wait: retry_after.unwrap_or_default().max(Duration::from_secs(1)),
            error: text,
        },
        401 if token_refreshed => Disposition::Permanent {
            error: text,
            tell: false,
        },
        status if PERMANENT_STATUSES.contains(&status) => Disposition::Permanent {
            error: text,
            tell: !told_already,
        },
        _ => Disposition::Retry {
            error: text,
            tell: !told_already,
        },
    }
}

/// GitHub's wording for its secondary limits ("You have exceeded a secondary rate limit…"),
/// and the older "abuse detection mechanism" one.
fn is_secondary_rate_limit(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    message.contains("secondary rate limit") || message.contains("abuse detection")
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

    const MINUTE: Duration = Duration::from_secs(60);

    #[allow(clippy::result_large_err)] // the engine's own result type, built for the test
    fn answer(
        status: u16,
        message: &str,
        retry_after: Option<u64>,
    ) -> Result<Outcome, EngineError> {
        Err(EngineError::Api(ApiError::Status {
            method: "POST",
            route: "/repos/o/r/pulls".into(),
            status,
            message: message.into(),
            retry_after: retry_after.map(Duration::from_secs),
        }))
    }

    #[allow(clippy::result_large_err)]
    fn status(status: u16, retry_after: Option<u64>) -> Result<Outcome, EngineError> {
        answer(status, "m", retry_after)
    }

    fn first_try(result: &Result<Outcome, EngineError>) -> Disposition {
        disposition(result, false, MINUTE)
    }

    #[test]
    fn a_handled_event_is_done() {
        assert_eq!(
            first_try(&Ok(Outcome::Ignored("x".into()))),
            Disposition::Done
        );
    }

    #[test]
    fn a_rate_limit_waits_for_as_long_as_github_asked() {
        assert!(matches!(
            first_try(&status(403, Some(30))),
            Disposition::WaitFor { wait, .. } if wait == Duration::from_secs(30)
        ));
        assert!(matches!(
            first_try(&status(429, Some(0))),
            Disposition::WaitFor { wait, .. } if wait == Duration::from_secs(1)
        ));
    }

    #[test]
    fn a_secondary_rate_limit_waits_at_least_a_minute_with_or_without_retry_after() {
        let said = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.";
        for (code, message, retry_after, expected) in [
            (403, said, None, 60),
            (429, said, None, 60),
            (403, said, Some(5), 60),
            (403, said, Some(120), 120),
            (403, "YOU HAVE EXCEEDED A SECONDARY RATE LIMIT", None, 60),
            (
                403,
                "You have triggered an abuse detection mechanism. Please wait a few minutes.",
                None,
                60,
            ),
        ] {
            assert_eq!(
                first_try(&answer(code, message, retry_after)),
                Disposition::WaitFor {
                    wait: Duration::from_secs(expected),
                    error: format!("GitHub answered {code} to POST /repos/o/r/pulls: {message}"),
                },
                "{code} {message} {retry_after:?}"
            );
        }
    }

    #[test]
    fn the_secondary_limits_floor_is_the_one_given() {
        let limited = answer(403, "secondary rate limit", Some(1));
        assert!(matches!(
            disposition(&limited, false, Duration::from_secs(2)),
            Disposition::WaitFor { wait, .. } if wait == Duration::from_secs(2)
        ));
    }

    #[test]
    fn a_step_failed_on_a_secondary_limit_waits_too() {
        let step = Err(EngineError::StepFailed {
            version: "0.1.3".into(),
            step: crate::status::Step::Branch,
            source: ApiError::Status {
                method: "POST",
                route: "/repos/o/r/git/refs".into(),
                status: 403,
                message: "You have exceeded a secondary rate limit".into(),
                retry_after: None,
            },
        });
        assert!(matches!(
            first_try(&step),
            Disposition::WaitFor { wait, .. } if wait == MINUTE
        ));
    }

    #[test]
    fn server_errors_transport_failures_and_plain_refusals_back_off() {
        for (code, retry_after) in [(502, None), (500, Some(5)), (503, None), (403, None)] {
            assert!(
                matches!(
                    first_try(&status(code, retry_after)),
                    Disposition::Retry { .. }
                ),
                "{code}"
            );
        }
        assert!(matches!(
            first_try(&answer(403, "Resource not accessible by integration", None)),
            Disposition::Retry { .. }
        ));
        let step = Err(EngineError::StepFailed {
            version: "0.1.3".into(),
            step: crate::status::Step::PullRequest,
            source: ApiError::Transport {
                method: "POST",
                route: "/repos/o/r/pulls".into(),
                detail: "connection reset".into(),
            },
        });
        assert!(
            matches!(first_try(&step), Disposition::Retry { error, .. } if error.contains("connection reset"))
        );
    }

    /// No installation to act for, or a path that is no URI: repeating it changes nothing.
    #[test]
    fn a_request_that_cannot_be_sent_fails_at_once() {
        let unsendable = Err(EngineError::Api(ApiError::Unsendable {
            method: "POST",
            route: "/app/installations/{id}/access_tokens".into(),
            detail: "the event names no installation".into(),
        }));
        assert!(matches!(
            first_try(&unsendable),
            Disposition::Permanent { tell: false, .. }
        ));
    }

    #[test]
    fn a_repository_gone_or_an_invalid_request_fails_at_once_and_is_told() {
        for code in [404, 410, 422] {
            assert_eq!(
                first_try(&answer(code, "Not Found", None)),
                Disposition::Permanent {
                    error: format!("GitHub answered {code} to POST /repos/o/r/pulls: Not Found"),
                    tell: true
                },
                "{code}"
            );
        }
        let step = Err(EngineError::StepFailed {
            version: "0.1.3".into(),
            step: crate::status::Step::Branch,
            source: ApiError::Status {
                method: "POST",
                route: "/repos/o/r/git/refs".into(),
                status: 422,
                message: "Validation Failed".into(),
                retry_after: None,
            },
        });
        assert!(
            matches!(
                first_try(&step),
                Disposition::Permanent { error, tell: false } if error.starts_with("release 0.1.3: branch failed")
            ),
            "a failed step told its owner already"
        );
    }

    #[test]
    fn a_401_is_permanent_only_once_a_fresh_token_was_refused_too() {
        assert!(matches!(
            disposition(&status(401, None), false, MINUTE),
            Disposition::Retry { .. }
        ));
        assert!(matches!(
            disposition(&status(401, None), true, MINUTE),
            Disposition::Permanent { tell: false, .. }
        ));
    }

    #[test]
    fn an_unreadable_payload_fails_at_once_with_nobody_to_tell() {
        let unreadable = crate::event::parse("issue_comment", b"{\"action\":\"created\"}");
        let result = unreadable
            .map(|_| Outcome::AlreadyAnswered)
            .map_err(EngineError::from);
        assert!(matches!(
            first_try(&result),
            Disposition::Permanent { tell: false, .. }
        ));
    }

    #[test]
    fn only_a_401_refreshes_the_token() {
        assert!(is_refused_token(&status(401, None)));
        assert!(!is_refused_token(&status(403, None)));
        assert!(!is_refused_token(&Ok(Outcome::AlreadyAnswered)));
    }
}
