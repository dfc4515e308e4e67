//! The release's nouns as types of their own, so a pull request number cannot be passed where an
//! issue number belongs, and a missing commit id is an error rather than an empty string.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A full 40-hex git object id, as GitHub gives it. Read from GitHub's answers and payloads
/// through `parse`, so an id that is none is refused where it is read, not where it is used.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CommitSha(String);

impl TryFrom<String> for CommitSha {
    type Error = String;

    fn try_from(text: String) -> Result<CommitSha, String> {
        CommitSha::parse(&text).ok_or_else(|| format!("`{text}` is not a git object id"))
    }
}

impl From<CommitSha> for String {
    fn from(sha: CommitSha) -> String {
        sha.0
    }
}

impl CommitSha {
    /// `None` for text that is not an object id (empty, short, not hex).
    pub fn parse(text: &str) -> Option<CommitSha> {
        let ok =
            (text.len() == 40 || text.len() == 64) && text.bytes().all(|b| b.is_ascii_hexdigit());
        ok.then(|| CommitSha(text.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first seven digits, as GitHub shows a commit to people.
    pub fn short(&self) -> &str {
        &self.0[..7]
    }
}

impl fmt::Display for CommitSha {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! number {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

number!(
    /// A pull request's number in its repository.
    PullNumber
);
number!(
    /// An issue's number in its repository.
    IssueNumber
);
number!(
    /// A GitHub Actions workflow run's id.
    RunId
);
number!(
    /// A GitHub release's id.
    ReleaseId
);

impl PullNumber {
    /// The same number as GitHub's issues API knows it: every pull request is also an issue
    /// (its comments, labels and assignees are the issue's).
    pub fn as_issue(self) -> IssueNumber {
        IssueNumber(self.0)
    }
}

/// GitHub's `state` of an issue or pull request (a merged pull request is `closed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OpenOrClosed {
    Open,
    /// Also what a payload without a state is taken for, as before: not open.
    #[default]
    Closed,
}

/// Where a pull request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullState {
    Open,
    Merged,
    ClosedUnmerged,
}

/// GitHub's `status` of a workflow run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Requested,
    Queued,
    InProgress,
    Waiting,
    Pending,
    Completed,
    /// A status GitHub may add later, or none given: not completed.
    #[default]
    #[serde(other)]
    Unknown,
}

/// GitHub's `conclusion` of a completed workflow run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conclusion {
    Success,
    Failure,
    Neutral,
    Cancelled,
    Skipped,
    TimedOut,
    ActionRequired,
    Stale,
    StartupFailure,
    /// A conclusion GitHub may add later: not a success.
    #[serde(other)]
    Unknown,
}

impl Conclusion {
    /// GitHub's word for it, as people see it on the Actions page.
    pub fn as_str(self) -> &'static str {
        match self {
            Conclusion::Success => "success",
            Conclusion::Failure => "failure",
            Conclusion::Neutral => "neutral",
            Conclusion::Cancelled => "cancelled",
            Conclusion::Skipped => "skipped",
            Conclusion::TimedOut => "timed_out",
            Conclusion::ActionRequired => "action_required",
            Conclusion::Stale => "stale",
            Conclusion::StartupFailure => "startup_failure",
            Conclusion::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Conclusion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a workflow run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    /// Queued, waiting, or in progress.
    Running,
    Succeeded,
    /// Completed with another conclusion (`failure`, `cancelled`, `timed_out`, …).
    Failed {
        conclusion: Conclusion,
    },
}

impl RunState {
    /// From GitHub's `status` and `conclusion` fields.
    pub fn from_fields(status: RunStatus, conclusion: Option<Conclusion>) -> RunState {
        match (status, conclusion) {
            (RunStatus::Completed, Some(Conclusion::Success)) => RunState::Succeeded,
            (RunStatus::Completed, conclusion) => RunState::Failed {
                conclusion: conclusion.unwrap_or(Conclusion::Failure),
            },
            _ => RunState::Running,
        }
    }
}

/// The state of a commit status (`POST /repos/…/statuses/{sha}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusState {
    Pending,
    Success,
    Failure,
    Error,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_full_object_id_is_a_commit_sha() {
        let sha = "A".repeat(40);
        assert_eq!(CommitSha::parse(&sha).unwrap().as_str(), "a".repeat(40));
        for bad in ["", "abc", &"g".repeat(40), &"a".repeat(41)] {
            assert_eq!(CommitSha::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_commit_sha_is_checked_when_it_is_read() {
        let sha = "a".repeat(40);
        let read: CommitSha = serde_json::from_value(serde_json::json!(sha)).unwrap();
        assert_eq!(read.as_str(), sha);
        let refused = serde_json::from_value::<CommitSha>(serde_json::json!("abc")).unwrap_err();
        assert!(
            refused.to_string().contains("`abc` is not a git object id"),
            "{refused}"
        );
    }

    #[test]
    fn states_are_read_from_github_words() {
        let read = |json: serde_json::Value| {
            let status: RunStatus = serde_json::from_value(json["status"].clone()).unwrap();
            let conclusion: Option<Conclusion> =
                serde_json::from_value(json["conclusion"].clone()).unwrap();
            RunState::from_fields(status, conclusion)
        };
        use serde_json::json;
        assert_eq!(read(json!({"status": "queued"})), RunState::Running);
        assert_eq!(read(json!({"status": "in_progress"})), RunState::Running);
        // A status GitHub adds later is not taken for completed.
        assert_eq!(read(json!({"status": "brand_new"})), RunState::Running);
        assert_eq!(
            read(json!({"status": "completed", "conclusion": "success"})),
            RunState::Succeeded
        );
        assert_eq!(
            read(json!({"status": "completed", "conclusion": "timed_out"})),
            RunState::Failed {
                conclusion: Conclusion::TimedOut
            }
        );
        assert_eq!(
            read(json!({"status": "completed", "conclusion": "brand_new"})),
            RunState::Failed {
                conclusion: Conclusion::Unknown
            }
        );
        assert_eq!(
            read(json!({"status": "completed"})),
            RunState::Failed {
                conclusion: Conclusion::Failure
            }
        );
        let open: OpenOrClosed = serde_json::from_value(json!("open")).unwrap();
        assert_eq!(open, OpenOrClosed::Open);
        let status: StatusState = serde_json::from_value(json!("success")).unwrap();
        assert_eq!(status, StatusState::Success);
        assert!(serde_json::from_value::<StatusState>(json!("done")).is_err());
    }
}
