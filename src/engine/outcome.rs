//! What handling an event came to: for logs, for the Action's outputs, and for tests.

use crate::domain::{CommitSha, PullNumber};
use crate::event::EventParseError;
use crate::github::ApiError;
use crate::status::Step;

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
    /// `target_branch` names a branch that does not exist.
    TargetBranchMissing,
    FilesRefused,
    DryRunPlan,
    NoReleaseHere,
    /// `/release <version>` on an issue whose other release is in flight.
    AnotherReleaseHere,
    /// `/release <version>` on another issue than the one tracking that release.
    TrackedElsewhere,
    NotesUnreadable,
    /// `/release notes sync` could not run (no notes path, no open pull request, a missing
    /// template or navigation, the branch moved): said, with what to do.
    NotesSyncRefused,
    /// `/release notes sync` found every merged pull request cited already.
    NotesInStep,
    /// `/release notes sync` committed the notes file.
    NotesSynced,
    NothingToRetry,
    CancelRefused,
    /// `/release candidate` with no open release pull request, or after the merge.
    CandidateRefused,
    /// `/release candidate` when the newest candidate, published, is the branch's head already.
    NoNewCandidate,
    /// The release's state on GitHub cannot be read (a damaged marker, a merge without a
    /// merge commit): said, with what to fix.
    StateUnreadable,
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
        pull_request: PullNumber,
        pull_request_url: String,
        status_comment: u64,
    },
    /// A step cannot go on until a person resolves what is in its way (see the status comment).
    StepBlocked { version: String, step: Step },
    /// The tag has its draft release and its images build (`tagged`: the tag was made by
    /// this run, from the merged pull request).
    Released {
        version: String,
        tag: String,
        release_url: String,
        latest: bool,
        tagged: bool,
    },
    /// The merged pull request was tagged; the draft and the images were already made.
    Tagged { version: String, tag: String },
    /// `/release retry` dispatched the images build again after a failed run.
    Redispatched {
        version: String,
        tag: String,
        run_url: String,
    },
    /// A person published the draft and `latest` was moved to it (`latest = "on-publish"`).
    Promoted {
        version: String,
        tag: String,
        release_url: String,
    },
    /// The smoke test was dispatched on the release branch's head.
    SmokeDispatched { version: String, sha: CommitSha },
    /// The smoke test of the release branch finished; its result is recorded.
    SmokeReported { version: String, passed: bool },
    /// A person published the release and GitHub's "Latest" badge was checked (and set or
    /// withheld) by the same rule as `latest`.
    PublishedChecked { version: String, latest: bool },
    /// The release was cancelled (pull request closed unmerged, or `/release cancel`).
    Cancelled { version: String },
    /// The status comment and draft release now show the images build's result.
    ImagesReported { version: String, success: bool },
    /// A workflow after the tag (`[[step]]`) finished; what comes after it was carried on.
    StepReported {
        version: String,
        step: String,
        success: bool,
    },
    /// The status comment (and draft release) were brought up to date.
    StatusRefreshed { version: String },
    /// `/release notes sync` committed the notes file (and the navigation) to the release
    /// branch.
    NotesSynced {
        version: String,
        commit: String,
        added: Vec<u64>,
        left: usize,
    },
    /// A repeated start of a release that has already moved past what the command does.
    NothingToResume { version: String },
    /// A QA candidate moved on (tagged, packaged, built, or published as a pre-release); the
    /// status comment lists where it stands.
    Candidate {
        version: String,
        tag: String,
        state: crate::status::CandidateState,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Which account the bot acts as cannot be told, so it cannot tell its own words from
    /// others': it acts on nothing.
    #[error("cannot tell which account releasebot acts as ({0}); with a token that has no user (an App installation token), set the action's `bot-login` input (RELEASEBOT_BOT_LOGIN) to the login it acts as, e.g. `my-app[bot]`")]
    Identity(String),
    /// What GitHub holds cannot be read into a release's state.
    #[error("release state unreadable: {0}")]
    Unreadable(#[from] super::stage::Unreadable),
    #[error("the event could not be read: {0}")]
    Event(#[from] EventParseError),
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A step failed after the status comment told the owner so.
    #[error("release {version}: {step} failed: {source}")]
    StepFailed {
        version: String,
        step: Step,
        source: ApiError,
    },
}
