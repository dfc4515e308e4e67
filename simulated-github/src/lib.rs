//! A simulated GitHub: a stateful HTTP server with the REST endpoints releasebot uses, in
//! GitHub's shapes and status codes, the GraphQL fields it reads (`graphql`), and the webhooks
//! GitHub would send. Tests start it on
//! 127.0.0.1; `releasebot simulate` runs it on its own for trying releasebot without an account.
//!
//! The bot reaches it through octocrab with a base URL, exactly as it reaches api.github.com.

pub mod app_manifests;
mod assets;
pub mod conformance;
mod control;
mod gate;
pub mod git;
mod graphql;
mod history;
mod issue_events;
mod merge_queue;
mod merging;
mod milestones;
mod packaging;
mod payloads;
mod people;
mod pull_state;
mod refs;
mod releases;
mod routes;
mod runs;
mod seed;
mod webhooks;
mod world;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

pub use conformance::Violation;
pub use merging::MergeMethod;
pub use packaging::{Packaging, ACTIONS_BOT};
pub use seed::RepoSeed;
pub use webhooks::signature;
pub use world::{
    Asset, Delivery, Fault, RecordedRequest, Release, RunAttempt, UserKind, WorkflowRun,
};

use git::{Object, MODE_FILE};
use routes::{lock, Shared};
use world::{FaultRule, Repo, User, World};

/// A handle on a running simulated GitHub; cheap to clone.
#[derive(Clone)]
pub struct SimulatedGitHub {
    state: Shared,
    addr: SocketAddr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    pub message: String,
    pub tree: String,
    pub parents: Vec<String>,
    pub author: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullInfo {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub head: String,
    pub base: String,
    pub state: String,
    pub merged: bool,
    pub author: String,
    pub draft: bool,
    /// The title of the milestone it is on.
    pub milestone: Option<String>,
    /// Who merged it (a person, or the merge queue's bot).
    pub merged_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneInfo {
    pub number: u64,
    pub title: String,
    pub state: String,
    pub creator: String,
}

impl PullInfo {
    /// Open, as GitHub's `state` says it.
    pub fn is_open(&self) -> bool {
        self.state == "open"
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueInfo {
    pub title: String,
    pub body: String,
    pub state: String,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentInfo {
    pub id: u64,
    pub author: String,
    pub body: String,
}

/// GitHub's refusal, (status, message), as the text an in-process move returns.
fn refusal((status, message): (u16, String)) -> String {
    format!("{status}: {message}")
}

impl SimulatedGitHub {
    /// Binds `addr` (port 0 picks a free one) and serves until the runtime stops.
    pub async fn start(addr: SocketAddr) -> std::io::Result<SimulatedGitHub> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state: Shared = Arc::new(Mutex::new(World {
            base_url: format!("http://{addr}/"),
            ..World::default()
        }));
        let handle = SimulatedGitHub {
            state: state.clone(),
            addr,
        };
        let api = routes::router(state.clone()).layer(axum::middleware::from_fn_with_state(
            state.clone(),
            gate::gate,
        ));
        let app = control::router(handle.clone())
            .merge(app_manifests::web_router(state.clone()))
            .merge(routes::assets::objects_router(state.clone()))
            .merge(api);
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "simulated GitHub stopped");
            }
        });
        Ok(handle)
    }

    /// The API base URL, with a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// GitHub's web host (`https://github.com` for the real one): the same server, where the
    /// manifest flow's pages are.
    pub fn web_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        lock(&self.state)
    }

    // ----- setting the world up -----

    pub fn add_user(&self, login: &str, kind: UserKind) {
        let mut world = self.world();
        let id = world.new_id();
        world.users.insert(login.to_string(), User { id, kind });
    }

    pub fn add_token(&self, token: &str, login: &str) {
        self.world()
            .tokens
            .insert(token.to_string(), login.to_string());
    }

    /// Adds a repository with one commit holding the seed's files, and its tags on that commit.
    pub fn add_repo(&self, seed: RepoSeed) {
        let mut world = self.world();
        let id = world.new_id();
        let (owner, name) = seed
            .full_name
            .split_once('/')
            .unwrap_or(("owner", &seed.full_name));
        let mut repo = Repo {
            id,
            owner: owner.to_string(),
            name: name.to_string(),
            default_branch: seed.default_branch.clone(),
            private: seed.private,
            ..Repo::default()
        };
        let owner_login = owner.to_string();
        world
            .repos
            .insert(seed.full_name.clone(), std::mem::take(&mut repo));
        let head = world
            .commit_files(
                &seed.full_name,
                None,
                &owner_login,
                "Initial commit",
                &seed.files,
            )
            .expect("the repository was just added");
        let repo = world.repo_mut(&seed.full_name).expect("just added");
        repo.refs
            .insert(format!("refs/heads/{}", seed.default_branch), head.clone());
        for tag in &seed.tags {
            repo.refs.insert(format!("refs/tags/{tag}"), head.clone());
        }
    }

    /// Registers a GitHub App by its public key; its installation tokens act as `bot`.
    pub fn register_app(&self, app_id: u64, public_key_pem: &str, bot: &str) {
        self.world()
            .apps
            .insert(app_id, (public_key_pem.to_string(), bot.to_string()));
    }

    /// The person signed in to GitHub's web pages: the manifest flow registers Apps under
    /// their account (organisations' pages register them under the organisation).
    pub fn sign_in(&self, login: &str) {
        self.world().web_user = Some(login.to_string());
    }

    /// The Apps registered through the manifest flow, oldest first.
    pub fn registered_apps(&self) -> Vec<app_manifests::RegisteredApp> {
        self.world().app_records.values().cloned().collect()
    }

    /// Time passes on the simulated GitHub for what expires there (manifest codes, installation
    /// tokens), without waiting. JWTs are still checked against the real clock, the one the
    /// bot signs them with.
    pub fn advance_clock(&self, by: std::time::Duration) {
        self.world().clock_offset += by.as_secs() as i64;
    }

    /// How long installation tokens issued from now on live (GitHub: one hour).
    pub fn set_token_lifetime(&self, seconds: i64) {
        self.world().token_lifetime_secs = seconds;
    }

    /// Every installation token issued so far stops working now (GitHub revoked or expired it).
    pub fn expire_installation_tokens(&self) {
        for expiry in self.world().token_expiry.values_mut() {
            *expiry = 0;
        }
    }

    /// How many requests `Fault::Hold` is holding (or held).
    pub fn held_requests(&self) -> u64 {
        self.world().held
    }

    /// The installation id GitHub puts in this repository's webhooks.
    pub fn installation_id(&self, repo: &str) -> Option<u64> {
        self.world().repo(repo).map(|r| 1000 + r.id)
    }

    /// Adds a gist with these (file name, content) pairs.
    pub fn add_gist(&self, id: &str, owner: &str, files: &[(&str, &str)]) {
        let files = files
            .iter()
            .map(|(n, c)| (n.to_string(), c.to_string()))
            .collect();
        self.world()
            .gists
            .insert(id.to_string(), (owner.to_string(), files));
    }

    /// Gives a person a role on the repository (admin, maintain, write, triage, read).
    pub fn set_role(&self, repo: &str, login: &str, role: &str) {
        if let Some(r) = self.world().repo_mut(repo) {
            r.collaborators.insert(login.to_string(), role.to_string());
        }
    }

    /// Sends every delivery from now on to `url`, signed with `secret`.
    pub fn set_webhook_target(&self, url: &str, secret: &str) {
        let sender = webhooks::spawn_sender(url.to_string(), secret.as_bytes().to_vec());
        self.world().delivery_sender = Some(sender);
    }

    /// The next `n` API requests fail with `fault`.
    pub fn fail_next(&self, n: usize, fault: Fault) {
        self.world().faults.push(FaultRule {
            method: None,
            path_contains: None,
            skip: 0,
            remaining: n,
            fault,
        });
    }

    /// The next `n` requests with this method whose path contains `path_part` fail with `fault`.
    pub fn fail_matching(&self, method: &str, path_part: &str, n: usize, fault: Fault) {
        self.fail_matching_after(method, path_part, 0, n, fault);
    }

    /// The same, after letting `skip` such requests through first.
    pub fn fail_matching_after(
        &self,
        method: &str,
        path_part: &str,
        skip: usize,
        n: usize,
        fault: Fault,
    ) {
        self.world().faults.push(FaultRule {
            method: Some(method.to_string()),
            path_contains: Some(path_part.to_string()),
            skip,
            remaining: n,
            fault,
        });
    }

    // ----- what people do -----

    /// Opens an issue; emits `issues` `opened`.
    pub fn create_issue(&self, repo: &str, author: &str, title: &str, body: &str) -> u64 {
        people::open_issue(&mut self.world(), repo, author, title, body)
            .and_then(|issue| issue["number"].as_u64())
            .unwrap_or(0)
    }

    /// Comments on an issue or pull request; emits `issue_comment` `created`. Returns its id.
    pub fn post_comment(&self, repo: &str, issue: u64, author: &str, body: &str) -> u64 {
        let mut world = self.world();
        webhooks::add_comment(&mut world, repo, issue, author, body)
            .and_then(|c| c["id"].as_u64())
            .unwrap_or(0)
    }

    /// Edits a comment; emits `issue_comment` `edited`.
    pub fn edit_comment(&self, repo: &str, comment_id: u64, _author: &str, body: &str) {
        let mut world = self.world();
        webhooks::edit_comment(&mut world, repo, comment_id, body);
    }

    /// Pushes one commit changing `files` to `branch` (made from the default branch when it does
    /// not exist); emits `push`. Returns the commit id.
    pub fn push_commit(
        &self,
        repo: &str,
        branch: &str,
        author: &str,
        message: &str,
        files: &[(&str, &str)],
    ) -> String {
        let mut world = self.world();
        let Some(r) = world.repo(repo) else {
            return String::new();
        };
        let name = format!("refs/heads/{branch}");
        let before = r.refs.get(&name).cloned();
        let parent = before.clone().or_else(|| {
            r.refs
                .get(&format!("refs/heads/{}", r.default_branch))
                .cloned()
        });
        let files: Vec<(String, Vec<u8>, String)> = files
            .iter()
            .map(|(path, text)| {
                (
                    path.to_string(),
                    text.as_bytes().to_vec(),
                    MODE_FILE.to_string(),
                )
            })
            .collect();
        let Some(sha) = world.commit_files(repo, parent.as_deref(), author, message, &files) else {
            return String::new();
        };
        if let Some(r) = world.repo_mut(repo) {
            r.refs.insert(name.clone(), sha.clone());
        }
        if before.is_none() {
            webhooks::emit_create(&mut world, repo, &name, author);
        }
        webhooks::emit_push(
            &mut world,
            repo,
            &name,
            before.as_deref(),
            Some(&sha),
            author,
        );
        // Open pull requests from the branch have new commits: GitHub says `synchronize`.
        let open_from_branch = world
            .repo(repo)
            .map(|r| r.open_pulls_from(branch))
            .unwrap_or_default();
        let previous = before.clone().unwrap_or_else(|| "0".repeat(40));
        for number in open_from_branch {
            webhooks::emit_pull_request_synchronize(
                &mut world,
                repo,
                number,
                (&previous, &sha),
                author,
            );
        }
        sha
    }

    /// Pushes a tag (annotated when asked) on a commit; emits `create` and `push` like GitHub.
    /// A tag that exists is moved there, as `git push --force` moves it: one forced `push`.
    pub fn push_tag(&self, repo: &str, tag: &str, commit: &str, by: &str, annotated: bool) {
        let _no_such_commit = refs::push_tag(&mut self.world(), repo, tag, commit, by, annotated);
    }

    /// Whether GitHub refuses a person's push of this tag (a locked or reserved tag name).
    pub fn push_tag_refused(&self, repo: &str, tag: &str, commit: &str, by: &str) -> bool {
        refs::push_tag(&mut self.world(), repo, tag, commit, by, false).is_err()
    }

    /// A person deletes a branch or tag (`refs/heads/…`, `refs/tags/…`); emits `delete` and a
    /// `push` with `deleted: true`. Open pull requests from a deleted branch close (`pull_request`
    /// `closed`). Refused for the default branch and for a ref that does not exist.
    pub fn delete_ref(&self, repo: &str, full_ref: &str, by: &str) -> Result<(), String> {
        refs::delete(&mut self.world(), repo, full_ref, by).map_err(refusal)
    }

    /// A person opens a pull request; emits `pull_request` `opened`. Returns its number.
    pub fn open_pull(&self, repo: &str, head: &str, base: &str, author: &str, title: &str) -> u64 {
        self.open_pull_with_body(repo, head, base, author, title, "")
    }

    /// The same, with a description.
    pub fn open_pull_with_body(
        &self,
        repo: &str,
        head: &str,
        base: &str,
        author: &str,
        title: &str,
        body: &str,
    ) -> u64 {
        self.open_pull_from(repo, None, head, base, author, title, body)
    }

    /// Someone opens a pull request from `branch` of their fork (owned by `fork_owner`), whose
    /// head is `head_sha` (a commit this repository has, as GitHub keeps a fork's pull request
    /// head under `refs/pull/<number>/head`).
    pub fn open_pull_from_fork(
        &self,
        repo: &str,
        fork_owner: &str,
        branch: &str,
        head_sha: &str,
        base: &str,
        title: &str,
    ) -> u64 {
        self.open_pull_from(
            repo,
            Some((fork_owner, head_sha)),
            branch,
            base,
            fork_owner,
            title,
            "",
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn open_pull_from(
        &self,
        repo: &str,
        fork: Option<(&str, &str)>,
        head: &str,
        base: &str,
        author: &str,
        title: &str,
        body: &str,
    ) -> u64 {
        let mut world = self.world();
        let now = world.timestamp();
        let Some(r) = world.repo_mut(repo) else {
            return 0;
        };
        let number = r.take_number();
        if let Some((_, sha)) = fork {
            r.refs
                .insert(format!("refs/pull/{number}/head"), sha.to_string());
        }
        r.issues.insert(
            number,
            world::Issue {
                number,
                title: title.to_string(),
                body: body.to_string(),
                author: author.to_string(),
                state: "open".into(),
                labels: vec![],
                assignees: vec![],
                created_at: now.clone(),
                updated_at: now,
                milestone: None,
                pull: Some(world::Pull {
                    head: head.to_string(),
                    base: base.to_string(),
                    merged: false,
                    merge_commit_sha: None,
                    merged_at: None,
                    merged_by: None,
                    head_owner: fork.map(|(owner, _)| owner.to_string()),
                    draft: false,
                    deleted_head: None,
                }),
            },
        );
        webhooks::emit_pull_request(&mut world, repo, "opened", number, author);
        number
    }

    /// A person merges a pull request; emits `pull_request` `closed` (merged) and `push`.
    pub fn merge_pull(
        &self,
        repo: &str,
        number: u64,
        method: MergeMethod,
        by: &str,
    ) -> Result<String, String> {
        let mut world = self.world();
        merging::merge(&mut world, repo, number, method, by).map_err(refusal)
    }

    /// A person adds a pull request to the merge queue, which merges it: `merge_group`
    /// `checks_requested`, then `pull_request` `closed` (merged) and `push` sent by
    /// `github-merge-queue[bot]`, whose commit it returns. Refused as a merge is (a draft, a
    /// conflict, a closed pull request).
    pub fn merge_through_queue(
        &self,
        repo: &str,
        number: u64,
        method: MergeMethod,
        by: &str,
    ) -> Result<String, String> {
        merge_queue::enqueue(&mut self.world(), repo, number, method, by).map_err(refusal)
    }

    /// A person marks a draft pull request ready for review; emits `pull_request`
    /// `ready_for_review`.
    pub fn mark_ready(&self, repo: &str, number: u64, by: &str) -> Result<(), String> {
        pull_state::mark_ready(&mut self.world(), repo, number, by).map_err(refusal)
    }

    /// A person makes a milestone on the repository's page; emits `milestone` `created`.
    pub fn create_milestone(&self, repo: &str, title: &str, by: &str) -> Result<u64, String> {
        milestones::create(&mut self.world(), repo, title, None, "open", by)
            .map(|m| m.number)
            .map_err(|refused| format!("{refused:?}"))
    }

    pub fn milestones(&self, repo: &str) -> Vec<MilestoneInfo> {
        let world = self.world();
        let Some(r) = world.repo(repo) else {
            return vec![];
        };
        r.milestones
            .iter()
            .map(|m| MilestoneInfo {
                number: m.number,
                title: m.title.clone(),
                state: m.state.clone(),
                creator: m.creator.clone(),
            })
            .collect()
    }

    /// A person closes a pull request without merging it; emits `pull_request` `closed`.
    /// Refused when it is not open.
    pub fn close_pull(&self, repo: &str, number: u64, by: &str) -> Result<(), String> {
        pull_state::close(&mut self.world(), repo, number, by).map_err(refusal)
    }

    /// A person reopens a closed pull request; emits `pull_request` `reopened`. GitHub refuses
    /// (422) a merged pull request, or one whose head branch was deleted.
    pub fn reopen_pull(&self, repo: &str, number: u64, by: &str) -> Result<(), String> {
        pull_state::reopen(&mut self.world(), repo, number, by).map_err(refusal)
    }

    /// A queued workflow run starts on a runner; emits `workflow_run` `in_progress`. Nothing
    /// happens to a run that is not queued.
    pub fn start_run(&self, repo: &str, run_id: u64) {
        let _not_queued = runs::start(&mut self.world(), repo, run_id);
    }

    /// A workflow run's job waits for a reviewer to approve its environment (`status:
    /// "waiting"`); no webhook, as on GitHub. Completing it later stands for the approval and
    /// the run.
    pub fn await_approval(&self, repo: &str, run_id: u64) -> Result<(), String> {
        runs::await_approval(&mut self.world(), repo, run_id).map_err(refusal)
    }

    /// A workflow run's current attempt finishes (`success` or `failure`); emits `workflow_run`
    /// `in_progress` first when it was still queued, then `completed`, as GitHub does. Refused
    /// (no webhook) when the attempt is already completed.
    pub fn complete_run(&self, repo: &str, run_id: u64, conclusion: &str) -> Result<(), String> {
        runs::complete(&mut self.world(), repo, run_id, conclusion).map_err(refusal)
    }

    /// A person re-runs a completed workflow run from the Actions page: the same run id, the
    /// next `run_attempt`, queued, with the person as `triggering_actor` (the `actor` stays);
    /// emits `workflow_run` `requested`. Returns the new attempt's number. GitHub refuses (403)
    /// a run that is still queued or in progress.
    pub fn rerun_run(&self, repo: &str, run_id: u64, by: &str) -> Result<u32, String> {
        runs::rerun(&mut self.world(), repo, run_id, by).map_err(refusal)
    }

    /// Dispatched runs of this repository appear in run lists only `delay` after the dispatch
    /// (the dispatch still answers with the run's id at once, and the run is readable by it).
    pub fn delay_run_listing(&self, repo: &str, delay: std::time::Duration) {
        if let Some(r) = self.world().repo_mut(repo) {
            r.run_listing_delay = delay;
        }
    }

    /// A person dispatches a workflow from the Actions tab (or `gh workflow run`); the run's id.
    pub fn dispatch_workflow(
        &self,
        repo: &str,
        file: &str,
        git_ref: &str,
        inputs: serde_json::Value,
        by: &str,
    ) -> Option<u64> {
        let mut world = self.world();
        let inputs = inputs.as_object().cloned().unwrap_or_default();
        routes::actions::start_run(&mut world, repo, file, git_ref, inputs, by).ok()
    }

    /// Makes the repository answer dispatches as an older Enterprise Server does, refusing the
    /// `return_run_details` field (422).
    pub fn refuse_run_details(&self, repo: &str) {
        if let Some(r) = self.world().repo_mut(repo) {
            r.refuses_run_details = true;
        }
    }

    /// Turns the repository's immutable releases setting on or off, as its admin would.
    pub fn set_immutable_releases(&self, repo: &str, on: bool) {
        if let Some(r) = self.world().repo_mut(repo) {
            r.immutable_releases = on;
        }
    }

    /// Gives the repository its own packaging workflow (its file must be in the repository for
    /// a run to start): see `Packaging`.
    pub fn set_packaging(&self, repo: &str, packaging: Packaging) {
        if let Some(r) = self.world().repo_mut(repo) {
            r.packaging = Some(packaging);
        }
    }

    /// A person (or a workflow, by its token's login) attaches a file to a release; refused
    /// for an immutable release and for a name the release has. Returns the asset's id.
    pub fn upload_asset(
        &self,
        repo: &str,
        release: u64,
        name: &str,
        data: &[u8],
        by: &str,
    ) -> Result<u64, String> {
        let about = (name, None, "application/octet-stream");
        assets::upload(&mut self.world(), repo, release, about, data.to_vec(), by)
            .map(|asset| asset.id)
            .map_err(refusal)
    }

    /// The release GitHub shows as "Latest".
    pub fn latest_release(&self, repo: &str) -> Option<u64> {
        self.world().repo(repo).and_then(|r| r.latest_release)
    }

    /// The statuses of a commit, oldest first, as (context, state, target URL).
    pub fn statuses(&self, repo: &str, sha: &str) -> Vec<(String, String, Option<String>)> {
        self.world()
            .repo(repo)
            .map(|r| {
                r.statuses
                    .iter()
                    .filter(|s| s.sha == sha)
                    .map(|s| (s.context.clone(), s.state.clone(), s.target_url.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether GitHub signed (and shows as "Verified") a commit.
    pub fn is_verified(&self, repo: &str, sha: &str) -> bool {
        self.world()
            .repo(repo)
            .is_some_and(|r| r.verified_commits.contains(sha))
    }

    /// A person creates a release on an existing tag and publishes it at once (GitHub's
    /// default `make_latest`); emits `release` `published`. Returns its id.
    pub fn publish_new_release(&self, repo: &str, tag: &str, by: &str) -> Option<u64> {
        let mut world = self.world();
        let id = world.new_id();
        let now = world.timestamp();
        let r = world.repo_mut(repo)?;
        r.refs.get(&format!("refs/tags/{tag}"))?;
        r.releases.push(world::Release {
            id,
            tag_name: tag.to_string(),
            target_commitish: r.default_branch.clone(),
            name: tag.to_string(),
            body: String::new(),
            draft: true,
            prerelease: false,
            author: by.to_string(),
            created_at: now,
            published_at: None,
            make_latest: "legacy".into(),
            immutable: false,
            assets: Vec::new(),
        });
        releases::publish(&mut world, repo, id, by).ok()?;
        Some(id)
    }

    /// Changes a release's text behind everyone's back: no webhook (for a test that only
    /// wants the text changed). A person's edit is `edit_release`.
    pub fn edit_release_body(&self, repo: &str, id: u64, body: &str) {
        if let Some(release) = self
            .world()
            .repo_mut(repo)
            .and_then(|r| r.releases.iter_mut().find(|rel| rel.id == id))
        {
            release.body = body.to_string();
        }
    }

    /// Changes a pull request's description behind everyone's back: no webhook (for a test that
    /// only wants the text changed, e.g. a checklist item ticked by hand).
    pub fn edit_pull_body(&self, repo: &str, number: u64, body: &str) {
        if let Some(issue) = self
            .world()
            .repo_mut(repo)
            .and_then(|r| r.issues.get_mut(&number))
            .filter(|issue| issue.pull.is_some())
        {
            issue.body = body.to_string();
        }
    }

    /// A person edits a release's title and/or notes on its page (draft or published), e.g.
    /// pasting notes over the whole body; emits `release` `edited` with the old text in
    /// `changes` (nothing when nothing changed).
    pub fn edit_release(
        &self,
        repo: &str,
        id: u64,
        by: &str,
        name: Option<&str>,
        body: Option<&str>,
    ) -> Result<(), String> {
        releases::edit_text(&mut self.world(), repo, id, by, name, body)
            .map(|_| ())
            .map_err(refusal)
    }

    /// A person deletes a release, draft or published (its tag stays; "Latest" passes to the
    /// highest other stable release); emits `release` `deleted`.
    pub fn delete_release(&self, repo: &str, id: u64, by: &str) -> Result<(), String> {
        releases::delete(&mut self.world(), repo, id, by).map_err(refusal)
    }

    /// A person publishes a draft release; emits `release` `published`, then `released` (or
    /// `prereleased`). Refused, with no webhook, when it is already published.
    pub fn publish_release(&self, repo: &str, id: u64, by: &str) -> Result<(), String> {
        releases::publish(&mut self.world(), repo, id, by).map_err(refusal)
    }

    // ----- looking at the world -----

    /// A branch, tag or commit id (the default branch when `None`), as a commit id.
    pub fn resolve(&self, repo: &str, what: Option<&str>) -> Option<String> {
        let world = self.world();
        let r = world.repo(repo)?;
        r.resolve(what.unwrap_or(&r.default_branch))
    }

    /// The ids of every comment in the repository.
    pub fn comments_anywhere(&self, repo: &str) -> Vec<u64> {
        self.world()
            .repo(repo)
            .map(|r| r.comments.iter().map(|c| c.id).collect())
            .unwrap_or_default()
    }

    pub fn releases(&self, repo: &str) -> Vec<world::Release> {
        self.world()
            .repo(repo)
            .map(|r| r.releases.clone())
            .unwrap_or_default()
    }

    pub fn runs(&self, repo: &str) -> Vec<world::WorkflowRun> {
        self.world()
            .repo(repo)
            .map(|r| r.runs.clone())
            .unwrap_or_default()
    }

    /// The annotated tag object with this id, if it is one.
    pub fn tag_object(&self, repo: &str, sha: &str) -> Option<git::TagObject> {
        match self.world().repo(repo)?.git.get(sha)? {
            Object::Tag(tag) => Some(tag.clone()),
            _ => None,
        }
    }

    /// What broke GitHub's published descriptions so far: requests the simulator received,
    /// answers it gave and webhooks it sent (see `conformance`).
    pub fn violations(&self) -> Vec<Violation> {
        self.world().violations.clone()
    }

    /// The same, emptied.
    pub fn take_violations(&self) -> Vec<Violation> {
        std::mem::take(&mut self.world().violations)
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.world().requests.clone()
    }

    /// Forgets the requests made so far; round trips are counted afresh from here.
    pub fn clear_requests(&self) {
        let mut world = self.world();
        world.requests.clear();
        world.answered_round = 0;
    }

    /// Every API answer takes this long from now on, as over a network: requests sent
    /// together overlap, and `RecordedRequest::round` tells them from requests sent one after
    /// another.
    pub fn set_latency(&self, latency: std::time::Duration) {
        self.world().latency = latency;
    }

    /// The deliveries made since the last call, oldest first.
    pub fn take_deliveries(&self) -> Vec<Delivery> {
        std::mem::take(&mut self.world().outbox)
    }

    pub fn refs(&self, repo: &str) -> BTreeMap<String, String> {
        self.world()
            .repo(repo)
            .map(|r| r.refs.clone())
            .unwrap_or_default()
    }

    /// A file's bytes and mode at a branch, tag or commit.
    pub fn file(&self, repo: &str, at: &str, path: &str) -> Option<(Vec<u8>, String)> {
        let world = self.world();
        let r = world.repo(repo)?;
        let commit = r.resolve(at)?;
        let tree = &r.git.commit(&commit)?.tree;
        let (mode, sha) = r.git.flatten(tree).get(path)?.clone();
        Some((r.git.blob(&sha)?.clone(), mode))
    }

    pub fn commit(&self, repo: &str, sha: &str) -> Option<CommitInfo> {
        let world = self.world();
        let commit = world.repo(repo)?.git.commit(sha)?.clone();
        Some(CommitInfo {
            message: commit.message,
            tree: commit.tree,
            parents: commit.parents,
            author: commit.author.name,
        })
    }

    /// Every file of a commit: path → (mode, blob id).
    pub fn tree_paths(&self, repo: &str, commit: &str) -> BTreeMap<String, (String, String)> {
        let world = self.world();
        let Some(r) = world.repo(repo) else {
            return BTreeMap::new();
        };
        match r.git.commit(commit) {
            Some(c) => r.git.flatten(&c.tree),
            None => BTreeMap::new(),
        }
    }

    pub fn pulls(&self, repo: &str) -> Vec<PullInfo> {
        let world = self.world();
        let Some(r) = world.repo(repo) else {
            return vec![];
        };
        r.issues
            .values()
            .filter_map(|issue| {
                let pull = issue.pull.as_ref()?;
                Some(PullInfo {
                    number: issue.number,
                    title: issue.title.clone(),
                    body: issue.body.clone(),
                    head: pull.head.clone(),
                    base: pull.base.clone(),
                    state: issue.state.clone(),
                    merged: pull.merged,
                    author: issue.author.clone(),
                    draft: pull.draft,
                    milestone: issue.milestone.and_then(|n| {
                        let found = r.milestones.iter().find(|m| m.number == n);
                        found.map(|m| m.title.clone())
                    }),
                    merged_by: pull.merged_by.clone(),
                })
            })
            .collect()
    }

    pub fn issue(&self, repo: &str, number: u64) -> Option<IssueInfo> {
        let world = self.world();
        let issue = world.repo(repo)?.issues.get(&number)?;
        Some(IssueInfo {
            title: issue.title.clone(),
            body: issue.body.clone(),
            state: issue.state.clone(),
            labels: issue.labels.clone(),
            assignees: issue.assignees.clone(),
        })
    }

    pub fn comments(&self, repo: &str, issue: u64) -> Vec<CommentInfo> {
        let world = self.world();
        let Some(r) = world.repo(repo) else {
            return vec![];
        };
        r.comments
            .iter()
            .filter(|c| c.issue == issue)
            .map(|c| CommentInfo {
                id: c.id,
                author: c.author.clone(),
                body: c.body.clone(),
            })
            .collect()
    }

    pub fn reactions(&self, repo: &str, comment: u64) -> Vec<(String, String)> {
        let world = self.world();
        world
            .repo(repo)
            .and_then(|r| r.comments.iter().find(|c| c.id == comment))
            .map(|c| c.reactions.clone())
            .unwrap_or_default()
    }
}
