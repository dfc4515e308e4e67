//! The fields the bot reads from GitHub's answers; everything else GitHub sends is ignored.

use serde::Deserialize;

use crate::domain::{
    CommitSha, Conclusion, IssueNumber, OpenOrClosed, PullNumber, PullState, ReleaseId, RunId,
    RunState, RunStatus, StatusState,
};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GitRef {
    #[serde(rename = "ref")]
    pub name: String,
    pub object: GitObject,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GitObject {
    /// A commit's id, or an annotated tag object's (`kind` says which).
    pub sha: CommitSha,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Commit {
    pub sha: CommitSha,
    pub message: String,
    pub tree: ShaOnly,
    #[serde(default)]
    pub parents: Vec<Parent>,
    #[serde(default)]
    pub html_url: String,
    /// GitHub's signature check; commits made through the API with an App or Actions token and
    /// no custom author are signed by GitHub.
    #[serde(default)]
    pub verification: Option<Verification>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Verification {
    pub verified: bool,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ShaOnly {
    pub sha: String,
}

/// A commit's parent, named by its id.
#[derive(Debug, Clone, Deserialize)]
pub struct Parent {
    pub sha: CommitSha,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Tree {
    pub sha: String,
    pub tree: Vec<TreeEntry>,
    #[serde(default)]
    pub truncated: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TreeEntry {
    pub path: String,
    pub mode: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub sha: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Blob {
    pub content: String,
    pub encoding: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FileContent {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub encoding: Option<String>,
}

/// A milestone, as listed and as made.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Milestone {
    pub number: u64,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct User {
    pub login: String,
    #[serde(rename = "type", default)]
    pub kind: String,
}

impl User {
    pub fn is_bot(&self) -> bool {
        self.kind == "Bot"
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IssueComment {
    pub id: u64,
    #[serde(default)]
    pub body: Option<String>,
    pub user: User,
    #[serde(default)]
    pub html_url: String,
}

impl IssueComment {
    pub fn body(&self) -> &str {
        self.body.as_deref().unwrap_or("")
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct CollaboratorPermission {
    pub permission: String,
    #[serde(default)]
    pub role_name: Option<String>,
}

/// A pull request, from the API or a webhook payload (one struct for both).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PullRequest {
    pub number: PullNumber,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub merge_commit_sha: Option<CommitSha>,
    pub user: User,
    #[serde(default)]
    pub state: OpenOrClosed,
    pub title: String,
    #[serde(default)]
    pub html_url: String,
    #[serde(default)]
    pub merged_at: Option<String>,
    /// Given by webhooks and the single-pull endpoint, not by lists.
    #[serde(default)]
    pub merged: Option<bool>,
    pub head: PullBranch,
    pub base: PullBranch,
}

impl PullRequest {
    /// Merged: `merged` where GitHub gives it, else `merged_at` (lists have no `merged`).
    pub fn is_merged(&self) -> bool {
        self.merged.unwrap_or(self.merged_at.is_some())
    }

    pub fn pull_state(&self) -> PullState {
        match (self.state, self.is_merged()) {
            (_, true) => PullState::Merged,
            (OpenOrClosed::Open, false) => PullState::Open,
            (OpenOrClosed::Closed, false) => PullState::ClosedUnmerged,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PullBranch {
    #[serde(rename = "ref")]
    pub name: String,
    pub sha: CommitSha,
    /// `None` when the head repository was deleted.
    #[serde(default)]
    pub repo: Option<RepositoryName>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RepositoryName {
    pub full_name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TagObject {
    pub sha: String,
    pub tag: String,
    pub object: GitObject,
}

/// A release, from the API or a webhook payload.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Release {
    pub id: ReleaseId,
    pub tag_name: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    pub draft: bool,
    #[serde(default)]
    pub prerelease: bool,
    #[serde(default)]
    pub html_url: String,
    /// Where assets are uploaded (`…/assets{?name,label}`, on the uploads host).
    #[serde(default)]
    pub upload_url: String,
    /// Who made it: a packaging workflow's draft is adopted only from its configured maker.
    #[serde(default)]
    pub author: Option<User>,
    #[serde(default)]
    pub assets: Vec<ReleaseAsset>,
    /// Published under the immutable releases setting: assets and tag are locked.
    #[serde(default)]
    pub immutable: bool,
}

/// A file attached to a release.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct ReleaseAsset {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub size: u64,
}

impl Release {
    pub fn body(&self) -> &str {
        self.body.as_deref().unwrap_or("")
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct NewRelease<'a> {
    pub tag_name: &'a str,
    pub target_commitish: &'a str,
    pub name: &'a str,
    pub body: &'a str,
    pub draft: bool,
    pub prerelease: bool,
    /// `"true"` or `"false"`: whether publishing makes it GitHub's "Latest" release (a backport
    /// must not take the badge).
    pub make_latest: &'a str,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WorkflowRuns {
    pub workflow_runs: Vec<WorkflowRun>,
}

/// A workflow run, from the API or a webhook payload.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WorkflowRun {
    pub id: RunId,
    /// `.github/workflows/<file>`.
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub head_branch: Option<String>,
    pub head_sha: CommitSha,
    #[serde(default)]
    pub status: RunStatus,
    #[serde(default)]
    pub conclusion: Option<Conclusion>,
    #[serde(default)]
    pub html_url: String,
    #[serde(default)]
    pub event: String,
    #[serde(default)]
    pub actor: Option<User>,
    #[serde(default)]
    pub created_at: Option<String>,
    /// 1 for the run as dispatched, one more for each re-run from the Actions page (same id).
    #[serde(default = "first_attempt")]
    pub run_attempt: u32,
}

fn first_attempt() -> u32 {
    1
}

impl WorkflowRun {
    pub fn run_state(&self) -> RunState {
        RunState::from_fields(self.status, self.conclusion)
    }

    pub fn actor_login(&self) -> Option<&str> {
        self.actor.as_ref().map(|a| a.login.as_str())
    }
}

/// The answer to a dispatch with `return_run_details: true`.
#[derive(Debug, Clone, Deserialize)]
pub struct DispatchedRun {
    pub workflow_run_id: RunId,
    #[serde(default)]
    pub html_url: String,
}

impl DispatchedRun {
    /// The run GitHub just started, as reading it back would show it (queued, by `actor`, on
    /// `git_ref` at `head_sha`): the dispatch's answer names it, so it is not read again.
    /// `None` when the answer carries no address for it (then it is read).
    pub fn queued_run(
        &self,
        workflow_file: &str,
        git_ref: &str,
        head_sha: &CommitSha,
        actor: &str,
    ) -> Option<WorkflowRun> {
        (!self.html_url.is_empty()).then(|| WorkflowRun {
            id: self.workflow_run_id,
            path: format!(".github/workflows/{workflow_file}"),
            head_branch: Some(git_ref.to_string()),
            head_sha: head_sha.clone(),
            status: RunStatus::Queued,
            conclusion: None,
            html_url: self.html_url.clone(),
            event: "workflow_dispatch".into(),
            actor: Some(User {
                login: actor.to_string(),
                kind: "Bot".into(),
            }),
            created_at: None,
            run_attempt: 1,
        })
    }
}

/// A commit status's latest state in one context.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CommitStatus {
    pub context: String,
    pub state: StatusState,
    #[serde(default)]
    pub description: Option<String>,
}

/// An issue as the issues list gives it; pull requests are in the list too, with a
/// `pull_request` field.
#[derive(Debug, Clone, Deserialize)]
pub struct IssueListed {
    pub number: IssueNumber,
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub pull_request: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Created {
    pub sha: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Gist {
    pub files: std::collections::BTreeMap<String, GistFile>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GistFile {
    pub filename: String,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub truncated: bool,
    #[serde(default)]
    pub raw_url: String,
}
