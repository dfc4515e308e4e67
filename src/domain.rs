//! The release's nouns as types of their own, so a pull request number cannot be passed where an
//! issue number belongs, and a missing commit id is an error rather than an empty string.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A full 40-hex git object id, as GitHub gives it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CommitSha(String);

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

/// Where a pull request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullState {
    Open,
    Merged,
    ClosedUnmerged,
}

/// Where a workflow run stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunState {
    /// Queued, waiting, or in progress.
    Running,
    Succeeded,
    /// Completed with another conclusion (`failure`, `cancelled`, `timed_out`, …).
    Failed {
        conclusion: String,
    },
}

impl RunState {
    /// From GitHub's `status` and `conclusion` fields.
    pub fn from_fields(status: &str, conclusion: Option<&str>) -> RunState {
        match (status, conclusion) {
            ("completed", Some("success")) => RunState::Succeeded,
            ("completed", conclusion) => RunState::Failed {
                conclusion: conclusion.unwrap_or("failure").to_string(),
            },
            _ => RunState::Running,
        }
    }
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
    fn a_run_state_is_read_from_status_and_conclusion() {
        assert_eq!(RunState::from_fields("queued", None), RunState::Running);
        assert_eq!(
            RunState::from_fields("in_progress", None),
            RunState::Running
        );
        assert_eq!(
            RunState::from_fields("completed", Some("success")),
            RunState::Succeeded
        );
        assert_eq!(
            RunState::from_fields("completed", Some("cancelled")),
            RunState::Failed {
                conclusion: "cancelled".into()
            }
        );
        assert_eq!(
            RunState::from_fields("completed", None),
            RunState::Failed {
                conclusion: "failure".into()
            }
        );
    }
}
