//! What handling an event came to: for logs, for the Action's outputs, and for tests.

use crate::event::EventParseError;
use crate::github::ApiError;

/// Which answer the bot gave to a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Help,
    NotPermitted,
    NotOnPullRequest,
    CommandNotUnderstood,
    ConfigInvalid,
    VersionRefused,
    BaseBranchMissing,
    FilesRefused,
    DryRunPlan,
    NoReleaseHere,
    NotesUnreadable,
    NothingToRetry,
    CancelRefused,
    /// A command that would change a release, in a dry-run-only setup.
    RehearsalOnly,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing for the bot in this event.
    Ignored(String),
    /// A redelivery of a comment the bot had already answered.
    AlreadyAnswered,
    /// The bot answered with a comment and changed nothing else.
    Answered(Reply),
    /// The release pull request is open (made now, or found from an earlier run).
    ReleaseOpened {
        version: String,
        branch: String,
        pull_request: u64,
        pull_request_url: String,
        status_comment: u64,
    },
    /// A step cannot go on until a person resolves what is in its way (see the status comment).
    StepBlocked { version: String, step: &'static str },
    /// The tag has its draft release and its images build.
    Released {
        version: String,
        tag: String,
        release_url: String,
        latest: bool,
    },
    /// The release pull request was merged and tagged.
    Tagged { version: String, tag: String },
    /// The release was cancelled (pull request closed unmerged, or `/release cancel`).
    Cancelled { version: String },
    /// The status comment and draft release now show the images build's result.
    ImagesReported { version: String, success: bool },
    /// The status comment (and draft release) were brought up to date.
    StatusRefreshed { version: String },
    /// A repeated start of a release that has already moved past what the command does.
    NothingToResume { version: String },
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("the event could not be read: {0}")]
    Event(#[from] EventParseError),
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A step failed after the status comment told the owner so.
    #[error("release {version}: {step} failed: {source}")]
    StepFailed {
        version: String,
        step: &'static str,
        source: ApiError,
    },
}
