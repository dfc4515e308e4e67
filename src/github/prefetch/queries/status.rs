//! A commit's combined status: the latest state of each context, as the commit-status REST
//! list gives it.

use serde::Deserialize;

use crate::domain::StatusState;
use crate::github::models::CommitStatus;

/// The selection of a commit's status, read into `Status`.
pub const STATUS: &str = "... on Commit { status { contexts { context state description } } }";

#[derive(Deserialize)]
pub struct Status {
    contexts: Vec<Context>,
}

#[derive(Deserialize)]
struct Context {
    context: String,
    state: State,
    description: Option<String>,
}

/// GraphQL's `StatusState`.
#[derive(Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum State {
    Pending,
    Expected,
    Success,
    Failure,
    Error,
    /// One GitHub may add later: that context is not reported.
    #[serde(other)]
    Unknown,
}

impl State {
    fn rest(&self) -> Option<StatusState> {
        Some(match self {
            State::Pending | State::Expected => StatusState::Pending,
            State::Success => StatusState::Success,
            State::Failure => StatusState::Failure,
            State::Error => StatusState::Error,
            State::Unknown => return None,
        })
    }
}

/// The statuses of a commit that has them; none where it has no status.
pub fn statuses(status: Option<&Status>) -> Vec<CommitStatus> {
    status
        .into_iter()
        .flat_map(|s| &s.contexts)
        .filter_map(|c| {
            Some(CommitStatus {
                context: c.context.clone(),
                state: c.state.rest()?,
                description: c.description.clone(),
            })
        })
        .collect()
}
