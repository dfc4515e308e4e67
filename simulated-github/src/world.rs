//! Everything the simulated GitHub holds, as plain data. Handlers and people's actions read and
//! change it; failures are switches on it.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::git::{CommitObject, Signature, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserKind {
    User,
    Bot,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: u64,
    pub kind: UserKind,
}

#[derive(Debug, Default)]
pub struct Repo {
    pub id: u64,
    pub owner: String,
    pub name: String,
    pub default_branch: String,
    pub private: bool,
    /// login → role name (admin, maintain, write, triage, read).
    pub collaborators: BTreeMap<String, String>,
    pub git: Store,
    /// Full ref name (`refs/heads/master`) → object id.
    pub refs: BTreeMap<String, String>,
    pub issues: BTreeMap<u64, Issue>,
    pub comments: Vec<Comment>,
    pub labels: Vec<String>,
    pub next_number: u64,
    pub releases: Vec<Release>,
    pub runs: Vec<WorkflowRun>,
    /// The release GitHub shows as "Latest".
    pub latest_release: Option<u64>,
    /// Commits GitHub signed: made through the API by an App or Actions token, no custom author.
    pub verified_commits: std::collections::HashSet<String>,
    /// Answers dispatches as an older Enterprise Server does: `return_run_details` is refused.
    pub refuses_run_details: bool,
    /// Commit statuses, oldest first.
    pub statuses: Vec<CommitStatus>,
    /// How long a dispatched run takes to appear in run lists (GitHub: a moment, sometimes
    /// seconds). The run exists, and is readable by its id, at once.
    pub run_listing_delay: std::time::Duration,
    /// What happened to issues and pull requests (closed, reopened, labeled, …), oldest first.
    pub issue_events: Vec<IssueEvent>,
    /// Milestones, numbered from 1 in the order made.
    pub milestones: Vec<Milestone>,
    /// GitHub's immutable releases setting: a release published while it is on is locked
    /// (its assets and its tag), and its tag name stays reserved after it is deleted.
    pub immutable_releases: bool,
    /// Tag names once used by an immutable release that was deleted since: never again.
    pub reserved_tags: std::collections::BTreeSet<String>,
    /// The repository's own packaging workflow, when it has one (see `packaging`).
    pub packaging: Option<super::packaging::Packaging>,
}

/// A milestone issues and pull requests are put on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    pub number: u64,
    pub title: String,
    pub description: Option<String>,
    /// `open` or `closed`.
    pub state: String,
    pub creator: String,
    pub created_at: String,
    pub updated_at: String,
}

/// One entry of an issue's or pull request's events, as GitHub lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueEvent {
    pub id: u64,
    pub issue: u64,
    /// `closed`, `reopened`, `merged`, `labeled`, `assigned`, `head_ref_deleted`.
    pub event: String,
    pub actor: String,
    pub created_at: String,
    /// The label's name, the assignee's login or the commit id, for events that have one.
    pub subject: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitStatus {
    pub id: u64,
    pub sha: String,
    pub state: String,
    pub context: String,
    pub description: Option<String>,
    pub target_url: Option<String>,
    pub creator: String,
    pub created_at: String,
}

/// Why GitHub refused a move, as (status, message): what the API answers, and what a person
/// sees on the page.
pub type Refusal = (u16, String);

/// GitHub's 404, for a repository, pull request, run or release that is not there.
pub fn not_found() -> Refusal {
    (404, "Not Found".to_string())
}

impl Repo {
    /// The open pull requests whose head is `branch` of this repository (not a fork's).
    pub fn open_pulls_from(&self, branch: &str) -> Vec<u64> {
        self.issues
            .values()
            .filter(|i| i.state == "open")
            .filter(|i| {
                i.pull
                    .as_ref()
                    .is_some_and(|p| p.head == branch && p.head_owner.is_none())
            })
            .map(|i| i.number)
            .collect()
    }

    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    /// A branch, tag or commit id, resolved to a commit id.
    pub fn resolve(&self, what: &str) -> Option<String> {
        let by_ref = [
            format!("refs/heads/{what}"),
            format!("refs/tags/{what}"),
            format!("refs/{what}"),
        ]
        .into_iter()
        .find_map(|name| self.refs.get(&name).cloned());
        let sha = by_ref.or_else(|| self.git.get(what).map(|_| what.to_string()))?;
        self.git.peel_to_commit(&sha)
    }

    pub fn take_number(&mut self) -> u64 {
        self.next_number += 1;
        self.next_number
    }
}

#[derive(Debug, Clone)]
pub struct Issue {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub author: String,
    pub state: String,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    /// The number of the milestone it is on.
    pub milestone: Option<u64>,
    /// Set when this issue is a pull request.
    pub pull: Option<Pull>,
}

#[derive(Debug, Clone)]
pub struct Pull {
    /// The head branch's name, in the head repository.
    pub head: String,
    /// The owner of the fork the head branch is in; `None` for a branch of this repository.
    /// A fork's head commit is kept here as `refs/pull/<number>/head`, as GitHub keeps it.
    pub head_owner: Option<String>,
    pub base: String,
    pub merged: bool,
    pub merge_commit_sha: Option<String>,
    pub merged_at: Option<String>,
    /// Who merged it.
    pub merged_by: Option<String>,
    pub draft: bool,
    /// The head branch's last commit once the branch is deleted: GitHub still names it as the
    /// pull request's head.
    pub deleted_head: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub id: u64,
    pub tag_name: String,
    pub target_commitish: String,
    pub name: String,
    pub body: String,
    pub draft: bool,
    pub prerelease: bool,
    pub author: String,
    pub created_at: String,
    pub published_at: Option<String>,
    /// `"true"`, `"false"` or `"legacy"` (GitHub's default): decides "Latest" on publishing.
    pub make_latest: String,
    /// Published while the repository's immutable releases setting was on: its assets and tag
    /// are locked.
    pub immutable: bool,
    pub assets: Vec<Asset>,
}

/// A file attached to a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    pub id: u64,
    pub name: String,
    pub label: Option<String>,
    pub content_type: String,
    pub data: Vec<u8>,
    pub uploader: String,
    pub created_at: String,
}

impl Repo {
    /// The release that locks tag `tag`: a published immutable release on it.
    pub fn locking_release(&self, tag: &str) -> Option<&Release> {
        self.releases
            .iter()
            .find(|rel| rel.immutable && rel.tag_name == tag)
    }

    /// Why GitHub refuses to create, move or delete tag ref `full_ref`, if it does: the tag
    /// belongs to an immutable release, or its name was used by one (and is reserved).
    pub fn tag_ref_refusal(&self, full_ref: &str, creating: bool) -> Option<Refusal> {
        let tag = full_ref.strip_prefix("refs/tags/")?;
        if creating && self.reserved_tags.contains(tag) {
            return Some((
                422,
                "Repository rule violations found\n\nGH013: Cannot create ref due to creations being restricted: the tag name was used by an immutable release".into(),
            ));
        }
        self.locking_release(tag).map(|_| {
            (
                422,
                "Repository rule violations found\n\nGH013: Cannot update this protected ref: the tag belongs to an immutable release".into(),
            )
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowRun {
    pub id: u64,
    /// `.github/workflows/<file>`
    pub path: String,
    pub name: String,
    pub event: String,
    /// The branch or tag name the run is on.
    pub head_branch: String,
    pub head_sha: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub inputs: serde_json::Map<String, Value>,
    pub run_number: u64,
    pub created_at: String,
    /// Who started the run; a re-run keeps it.
    pub actor: String,
    /// Who started this attempt: the actor, or the person who re-ran it.
    pub triggering_actor: String,
    /// 1, and one more for every re-run (same run id).
    pub run_attempt: u32,
    /// When this attempt started.
    pub run_started_at: String,
    pub updated_at: String,
    /// The attempts before this one, oldest first, as they ended.
    pub previous_attempts: Vec<RunAttempt>,
    /// From when run lists show it.
    pub listed_from: std::time::Instant,
}

impl WorkflowRun {
    /// Completed, as GitHub's `status` says it (queued and in-progress runs are not).
    pub fn is_completed(&self) -> bool {
        self.status == "completed"
    }
}

/// An attempt of a workflow run that was re-run, as it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunAttempt {
    pub run_attempt: u32,
    pub triggering_actor: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub run_started_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone)]
pub struct Comment {
    pub id: u64,
    pub issue: u64,
    pub author: String,
    pub body: String,
    pub created_at: String,
    pub updated_at: String,
    /// (login, content), in the order given.
    pub reactions: Vec<(String, String)>,
}

/// One API request, as the bot made it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub status: u16,
    pub body: Option<Value>,
    /// Its round trip: one more than the latest round of the requests answered before it
    /// arrived, so requests sent together (in flight at once) share a round, and a request
    /// sent after an answer came back starts the next one.
    pub round: u32,
}

impl std::fmt::Display for RecordedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} -> {}", self.method, self.path, self.status)
    }
}

/// A webhook as GitHub would send it.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub event: String,
    pub id: String,
    pub payload: Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and GitHub's error body.
    Status(u16),
    /// A secondary rate limit: 403 with `retry-after`.
    RateLimited { retry_after_secs: u64 },
    /// Never answer: the request hangs, as if GitHub were slow, until the client gives up or
    /// dies (for crash tests).
    Hold,
    /// Someone else wins a race: just before the request is handled, the ref is set to this
    /// commit (created, or moved), as a concurrent writer would have done.
    RefSetFirst { name: String, sha: String },
    /// Answer as usual, but only after this many milliseconds: a slow GitHub.
    Delay { millis: u64 },
    /// Answer as usual, but without this top-level property of the JSON body: an answer that
    /// breaks GitHub's description, to see the conformance check catch it.
    Omit { property: String },
    /// Answer as usual, but with this top-level string property set to `value`: GitHub's
    /// answer as a compromised or broken proxy might change it (a line break in a slug).
    SetText { property: String, value: String },
}

#[derive(Debug, Clone)]
pub struct FaultRule {
    pub method: Option<String>,
    pub path_contains: Option<String>,
    /// Matching requests let through before the fault starts (to fail the second write).
    pub skip: usize,
    pub remaining: usize,
    pub fault: Fault,
}

#[derive(Default)]
pub struct World {
    pub base_url: String,
    pub next_id: u64,
    pub users: BTreeMap<String, User>,
    pub tokens: HashMap<String, String>,
    pub repos: BTreeMap<String, Repo>,
    pub requests: Vec<RecordedRequest>,
    pub outbox: Vec<Delivery>,
    pub faults: Vec<FaultRule>,
    pub rate_limit_used: u64,
    pub clock: i64,
    /// GitHub Apps by id: (public key PEM, the bot login its installation tokens act as).
    pub apps: BTreeMap<u64, (String, String)>,
    /// When each installation token stops working (seconds since the epoch).
    pub token_expiry: HashMap<String, i64>,
    /// Requests held by `Fault::Hold` so far.
    pub held: u64,
    /// How long new installation tokens live (GitHub: one hour).
    pub token_lifetime_secs: i64,
    /// Gists by id: (owner, files as (name, content)).
    pub gists: BTreeMap<String, (String, Vec<(String, String)>)>,
    /// Where deliveries go besides the outbox, when a webhook URL is set.
    pub delivery_sender: Option<tokio::sync::mpsc::UnboundedSender<Delivery>>,
    /// What broke GitHub's published descriptions so far (see `conformance`).
    pub violations: Vec<super::conformance::Violation>,
    /// The person signed in to GitHub's web pages (the manifest flow's personal account).
    pub web_user: Option<String>,
    /// Apps registered through the manifest flow, by id.
    pub app_records: BTreeMap<u64, super::app_manifests::RegisteredApp>,
    /// Codes handed out on the manifest flow's redirect, not yet converted.
    pub manifest_codes: HashMap<String, super::app_manifests::ManifestCode>,
    /// Seconds the simulated GitHub's clock is ahead of the real one (a test making time pass).
    pub clock_offset: i64,
    /// How long every API answer takes (a network's round trip), so requests sent together
    /// are in flight together.
    pub latency: std::time::Duration,
    /// The highest round of the requests answered so far (see `RecordedRequest::round`).
    pub answered_round: u32,
}

impl World {
    pub fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Now, in seconds since the epoch, for what expires on GitHub (installation tokens,
    /// manifest codes): the real time plus however far a test moved the clock on.
    pub fn now(&self) -> i64 {
        chrono::Utc::now().timestamp() + self.clock_offset
    }

    /// A monotonic clock, one second per tick, starting at the real time: timestamps differ
    /// between events and never go backwards.
    pub fn tick(&mut self) -> i64 {
        let now = chrono::Utc::now().timestamp();
        self.clock = now.max(self.clock + 1);
        self.clock
    }

    pub fn timestamp(&mut self) -> String {
        let time = self.tick();
        format_time(time)
    }

    pub fn user(&self, login: &str) -> Option<&User> {
        self.users.get(login)
    }

    pub fn repo(&self, full_name: &str) -> Option<&Repo> {
        self.repos.get(full_name)
    }

    pub fn repo_mut(&mut self, full_name: &str) -> Option<&mut Repo> {
        self.repos.get_mut(full_name)
    }

    pub fn signature(&mut self, login: &str) -> Signature {
        let time = self.tick();
        Signature {
            name: login.to_string(),
            email: format!("{login}@users.noreply.simulated"),
            time,
        }
    }

    /// Takes the first fault that matches the request, counting it down; a rule still skipping
    /// lets the request through and counts that down instead.
    pub fn take_fault(&mut self, method: &str, path: &str) -> Option<Fault> {
        let index = self.faults.iter().position(|rule| {
            rule.remaining > 0
                && rule.method.as_deref().is_none_or(|m| m == method)
                && rule
                    .path_contains
                    .as_deref()
                    .is_none_or(|p| path.contains(p))
        })?;
        let rule = &mut self.faults[index];
        if rule.skip > 0 {
            rule.skip -= 1;
            return None;
        }
        rule.remaining -= 1;
        let fault = rule.fault.clone();
        if rule.remaining == 0 {
            self.faults.remove(index);
        }
        Some(fault)
    }

    /// A new commit on top of `parent` with the given files changed, returning its id.
    pub fn commit_files(
        &mut self,
        repo: &str,
        parent: Option<&str>,
        author: &str,
        message: &str,
        files: &[(String, Vec<u8>, String)],
    ) -> Option<String> {
        let signature = self.signature(author);
        let repo = self.repos.get_mut(repo)?;
        let mut flat = match parent {
            Some(parent) => {
                let tree = repo.git.commit(parent)?.tree.clone();
                repo.git.flatten(&tree)
            }
            None => BTreeMap::new(),
        };
        for (path, content, mode) in files {
            let blob = repo.git.put(super::git::Object::Blob(content.clone()));
            flat.insert(path.clone(), (mode.clone(), blob));
        }
        let tree = repo.git.write_tree(&flat);
        let commit = CommitObject {
            tree,
            parents: parent.map(|p| vec![p.to_string()]).unwrap_or_default(),
            author: signature.clone(),
            committer: signature,
            message: message.to_string(),
        };
        Some(repo.git.put(super::git::Object::Commit(commit)))
    }
}

pub fn format_time(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}
