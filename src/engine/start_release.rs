//! `/release <version>`: check, then branch + commit + pull request, reporting in the status
//! comment. Each effect is preceded by a look at GitHub, so running this again resumes.

use super::answer::answer;
use super::checks::{check_release, Approved};
use super::context::Context;
use super::conversation::{Conversation, StatusComment};
use super::outcome::{EngineError, Outcome, Reply};
use super::progress::{self, Progress};
use super::snapshot::{self, Snapshot};
use super::stage::{plan, Plan, Stage, Trigger};
use crate::domain::CommitSha;
use crate::event::CommentEvent;
use crate::github::models::{Commit, PullRequest};
use crate::github::{ApiError, CreateRef, RepoClient};
use crate::messages;
use crate::status::{StatusMarker, StatusView, Step, StepState};
use crate::version::parse_requested;

pub async fn run(
    ctx: &Context<'_>,
    event: &CommentEvent,
    conversation: &Conversation,
    version_text: &str,
    dry_run: bool,
    notes_url: Option<String>,
) -> Result<Outcome, EngineError> {
    let (gh, config) = (ctx.gh, ctx.config);
    let version = match parse_requested(version_text) {
        Ok(version) => version,
        Err(problem) => {
            let text = messages::version_refused(&problem.to_string());
            return answer(gh, event, Reply::VersionRefused, &text).await;
        }
    };
    // One release in flight per issue: its follow-up commands act on it alone.
    if let Some(other) = conversation
        .latest_status_comment()
        .filter(|s| s.marker.version != version.to_string())
    {
        let other_version = super::tracking::version_of(&other)?;
        let progress = progress::read(gh, config, &other_version, ctx.me).await?;
        let stage = Stage::derive(&progress, Some(&other.marker))?;
        if let Plan::Refuse(_) = plan(&stage, Trigger::StartAnother) {
            let text = messages::another_release_in_flight(
                &other_version.to_string(),
                &other.html_url,
                &version.to_string(),
            );
            return answer(gh, event, Reply::AnotherReleaseHere, &text).await;
        }
    }
    let existing = conversation.status_comment(&version.to_string());
    let resuming = existing
        .as_ref()
        .is_some_and(|s| s.marker.trigger_comment == event.comment.id);
    // The command that started the release (or an older one), delivered again after the
    // release was cancelled or moved on, does not start it again.
    if let Some(status) = &existing {
        let not_newer = event.comment.id <= status.marker.trigger_comment;
        if not_newer {
            let progress = progress::read(gh, config, &version, ctx.me).await?;
            let stage = Stage::derive(&progress, Some(&status.marker))?;
            if let Plan::Nothing(_) = plan(&stage, Trigger::Start { not_newer }) {
                super::tracking::redraw_if_behind(ctx, status, &progress).await?;
                return Ok(Outcome::NothingToResume {
                    version: version.to_string(),
                });
            }
        }
    }

    let base_branch = config.cut_from(&event.repository.default_branch);
    let target_branch = config.merge_into(&event.repository.default_branch);
    let paths: Vec<&str> = config
        .version_files
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    // The base branch's files and the tags, read together.
    let (base, tags) = tokio::try_join!(
        snapshot::read(gh, &base_branch, &paths),
        gh.matching_refs("tags")
    )?;
    let Some(base) = base else {
        let text = messages::base_branch_missing(&base_branch);
        return answer(gh, event, Reply::BaseBranchMissing, &text).await;
    };
    // A pull request into a branch that is not there would be refused after the release
    // branch was made: said first, with what to set. (Into the base branch, just read, it is.)
    if target_branch != base_branch
        && gh
            .git_ref(&format!("heads/{target_branch}"))
            .await?
            .is_none()
    {
        let text = messages::target_branch_missing(&target_branch);
        return answer(gh, event, Reply::TargetBranchMissing, &text).await;
    }
    let tags: Vec<String> = tags
        .into_iter()
        .filter_map(|r| r.name.strip_prefix("refs/tags/").map(str::to_string))
        .collect();
    let approved = match check_release(config, &version, &base, &tags) {
        Ok(approved) => approved,
        // A redelivery of the comment that started this release, after it moved on (merged,
        // tagged): the status comment already tells the story.
        Err(_) if resuming => {
            return Ok(Outcome::NothingToResume {
                version: version.to_string(),
            })
        }
        Err(refusal) => {
            let kind = match refusal {
                super::Refusal::Files(_) => Reply::FilesRefused,
                super::Refusal::Order(_) => Reply::VersionRefused,
            };
            return answer(gh, event, kind, &refusal.message()).await;
        }
    };
    if dry_run {
        let text = messages::dry_run_plan(config, &approved, (&base_branch, &target_branch));
        return answer(gh, event, Reply::DryRunPlan, &text).await;
    }

    let mut marker = existing
        .as_ref()
        .map(|s| s.marker.clone())
        .unwrap_or(StatusMarker {
            version: approved.version.to_string(),
            owner: event.comment.user.login.clone(),
            trigger_comment: event.comment.id,
            from_version: approved.changes.current_version.to_string(),
            notified: Vec::new(),
            notes_url: None,
            notes_from: None,
            notes_problem: None,
            blocked: None,
            cancelled: false,
            skipped_files: Vec::new(),
            unsigned_commit: None,
            smoke: None,
            notes_file: None,
            milestone_problem: None,
            announced: vec![],
            merge_back: None,
            packaging: None,
            candidates: Vec::new(),
        });
    if notes_url.is_some() {
        marker.notes_url = notes_url;
    }
    marker.skipped_files = approved.changes.skipped.clone();
    // A new attempt starts with nothing blocked or cancelled, and the status links its command.
    marker.blocked = None;
    marker.cancelled = false;
    marker.trigger_comment = marker.trigger_comment.max(event.comment.id);
    let repo_url = event.repository.html_url.clone();
    let trigger_url = existing
        .as_ref()
        .map(|s| super::tracking::trigger_url(&s.html_url, marker.trigger_comment))
        .unwrap_or_else(|| event.comment.html_url.clone());
    let render = |marker: &StatusMarker, progress: &Progress| {
        super::status_view::view(
            config,
            &repo_url,
            &target_branch,
            marker,
            &trigger_url,
            progress,
        )
    };
    let resumable = existing.is_some();

    let mut done = Progress::default();
    // A release with no status comment yet has made nothing on GitHub: the branch and the pull
    // request are made without looking first, and GitHub's refusal (422) of one that exists
    // sends the step to look at it. Once a status comment exists (a redelivery, a crash, a new
    // attempt), each is looked up before it is made.
    let look_first = resumable;
    let opened = open_pull_request(
        ctx,
        event,
        &approved,
        (&base, &target_branch),
        look_first,
        &mut done,
    )
    .await;
    // One release has one home: a pull request found from an earlier start names its issue.
    if let Ok((pull, _)) = &opened {
        let home = pull
            .body
            .as_deref()
            .and_then(crate::messages::issue_in_pull_body)
            .filter(|home| *home != event.issue.number);
        if let Some(home) = home {
            let text = messages::release_tracked_elsewhere(
                &approved.version.to_string(),
                home,
                (pull.number, &pull.html_url),
            );
            return answer(gh, event, Reply::TrackedElsewhere, &text).await;
        }
    }
    // The owner is assigned and the issue labelled once the pull request is open (or a step
    // failed): nothing on the way to the pull request waits for them.
    let owner = event.comment.user.login.as_str();
    gh.add_assignees(event.issue.number, &[owner]).await?;
    gh.add_labels(event.issue.number, &[config.label.as_str()])
        .await?;
    match opened {
        Ok((pull, unsigned)) => {
            marker.unsigned_commit = unsigned;
            // Bookkeeping, not a step: a milestone GitHub refuses is shown, and the release
            // goes on.
            marker.milestone_problem =
                super::milestone::put_on(gh, config, &approved.version, pull.number).await;
            let head = done
                .branch_head
                .clone()
                .expect("the branch was made or found");
            // A new release's status comment is made now, showing the open pull request and
            // holding the intent to smoke-test its head, which is dispatched next; a resumed
            // release's is written over below.
            let mut status = match existing {
                Some(found) => StatusComment {
                    marker: marker.clone(),
                    ..found
                },
                None => {
                    let intent = super::smoke::intend(&mut marker, &head);
                    let body = render(&marker, &done)?.render();
                    let created = gh.create_comment(event.issue.number, &body).await?;
                    let mut status = StatusComment {
                        id: created.id,
                        html_url: created.html_url,
                        marker: marker.clone(),
                        body,
                    };
                    let version = &approved.version;
                    super::smoke::dispatch_intended(
                        ctx,
                        version,
                        &head,
                        &mut status,
                        &done,
                        intent,
                    )
                    .await?;
                    return Ok(opened_outcome(&approved, &pull, &status));
                }
            };
            // The open pull request's head is smoke-tested unless it was (or is being) already;
            // an intent whose run was never recorded is looked up (or dispatched) again.
            let stage = Stage::derive(&done, Some(&status.marker))?;
            match plan(&stage, Trigger::PullPushed) {
                Plan::RunSmoke => {
                    super::smoke::run(ctx, &approved.version, &head, &mut status, &done).await?
                }
                _ => {
                    gh.update_comment(status.id, &render(&status.marker, &done)?.render())
                        .await?;
                }
            }
            Ok(opened_outcome(&approved, &pull, &status))
        }
        Err((step, error)) => {
            let mut view = render(&marker, &done)?;
            let status = existing.map(|found| StatusComment {
                marker: marker.clone(),
                ..found
            });
            let failed = (step, error);
            report_failure(gh, event, status.as_ref(), &mut view, failed, ctx.retried).await
        }
    }
}

fn opened_outcome(approved: &Approved, pull: &PullRequest, status: &StatusComment) -> Outcome {
    Outcome::ReleaseOpened {
        version: approved.version.to_string(),
        branch: approved.branch.clone(),
        pull_request: pull.number,
        pull_request_url: pull.html_url.clone(),
        status_comment: status.id,
    }
}

/// Branch, commit and pull request (into `target_branch`), each looked up before it is made;
/// `done` collects them.
async fn open_pull_request(
    ctx: &Context<'_>,
    event: &CommentEvent,
    approved: &Approved,
    (base, target_branch): (&Snapshot, &str),
    look_first: bool,
    done: &mut Progress,
) -> Result<(PullRequest, Option<String>), (Step, StepFailure)> {
    let (gh, config) = (ctx.gh, ctx.config);
    let message = config.commit_message.render(&approved.version);
    let head = ensure_branch(gh, approved, base, &message, look_first)
        .await
        .map_err(|e| (Step::Branch, e))?;
    done.branch_head = Some(head.sha.clone());
    let pull = ensure_pull(ctx, event, approved, target_branch, look_first)
        .await
        .map_err(|e| (Step::PullRequest, e))?;
    done.pull = Some(pull.clone());
    Ok((pull, unsigned_reason(&head)))
}

/// Why GitHub did not verify the release commit, when it did not. A commit made through the
/// API with an App or Actions token and no custom author is signed by GitHub; one made with a
/// personal token is not, and a branch that requires signed commits refuses to merge it.
fn unsigned_reason(commit: &Commit) -> Option<String> {
    match &commit.verification {
        Some(v) if v.verified => None,
        Some(v) if !v.reason.is_empty() => Some(v.reason.clone()),
        _ => Some("unsigned".into()),
    }
}

/// Why a step could not be done.
pub enum StepFailure {
    Api(ApiError),
    /// GitHub holds something in the way that a person must look at.
    Conflict {
        what: String,
        remedy: String,
    },
}

impl From<ApiError> for StepFailure {
    fn from(error: ApiError) -> Self {
        StepFailure::Api(error)
    }
}

/// The head commit of the release branch: made now, or found from an earlier run.
async fn ensure_branch(
    gh: &RepoClient,
    approved: &Approved,
    base: &Snapshot,
    message: &str,
    look_first: bool,
) -> Result<Commit, StepFailure> {
    let short_ref = format!("heads/{}", approved.branch);
    if look_first {
        if let Some(existing) = gh.git_ref(&short_ref).await? {
            return ours_or_conflict(gh, approved, &existing.object.sha, message).await;
        }
    }
    let files: Vec<(String, String, String)> = approved
        .changes
        .changes
        .iter()
        .map(|change| {
            let mode = base.mode(&change.path).unwrap_or("100644").to_string();
            (change.path.clone(), mode, change.new_text.clone())
        })
        .collect();
    let tree = gh.create_tree(&base.tree_sha, &files).await?;
    let commit = gh.create_commit(message, &tree, &[&base.head_sha]).await?;
    match gh
        .create_ref(&format!("refs/{short_ref}"), commit.sha.as_str())
        .await?
    {
        CreateRef::Created => Ok(commit),
        // Another run got there between our look and our act.
        CreateRef::AlreadyExists => {
            let existing = gh
                .git_ref(&short_ref)
                .await?
                .ok_or_else(|| StepFailure::Conflict {
                    what: format!(
                        "Branch `{}` appeared and vanished while it was being made",
                        approved.branch
                    ),
                    remedy: messages::retry_remedy(&approved.version.to_string()),
                })?;
            ours_or_conflict(gh, approved, &existing.object.sha, message).await
        }
    }
}

async fn ours_or_conflict(
    gh: &RepoClient,
    approved: &Approved,
    sha: &CommitSha,
    message: &str,
) -> Result<Commit, StepFailure> {
    let commit = gh.commit(sha).await?;
    if commit.message.trim_end() == message {
        return Ok(commit);
    }
    Err(StepFailure::Conflict {
        what: format!(
            "Branch `{}` already exists, and its last commit is not the release commit `{message}`",
            approved.branch
        ),
        remedy: format!(
            "If it is left over from an earlier attempt, delete the branch and comment `/release {}` again; otherwise pick another version.",
            approved.version
        ),
    })
}

async fn ensure_pull(
    ctx: &Context<'_>,
    event: &CommentEvent,
    approved: &Approved,
    target_branch: &str,
    look_first: bool,
) -> Result<PullRequest, StepFailure> {
    let (gh, config, me) = (ctx.gh, ctx.config, ctx.me);
    if look_first {
        if let Some(found) = find_pull(gh, Some(me), &approved.branch, target_branch).await? {
            return Ok(found);
        }
    }
    let version = &approved.version;
    let body = messages::pull_request_body(
        event.issue.number,
        &version.to_string(),
        &approved.changes,
        &config.checklist,
    );
    match gh
        .create_pull(
            &config.pr_title.render(version),
            (&approved.branch, target_branch),
            &body,
            config.pr_draft,
        )
        .await
    {
        Ok(pull) => Ok(pull),
        Err(error) if error.is_unprocessable() => {
            if let Some(ours) = find_pull(gh, Some(me), &approved.branch, target_branch).await? {
                return Ok(ours);
            }
            // Someone else's pull request from the branch is in the way: it is not ours to
            // tag, so a person decides.
            match find_pull(gh, None, &approved.branch, target_branch).await? {
                Some(theirs) => Err(StepFailure::Conflict {
                    what: format!(
                        "Pull request #{} from `{}` was opened by @{}, not by releasebot",
                        theirs.number, approved.branch, theirs.user.login
                    ),
                    remedy: format!(
                        "Close it and comment `/release {}` again: only releasebot's own pull request is tagged when merged.",
                        approved.version
                    ),
                }),
                None => Err(StepFailure::Api(error)),
            }
        }
        Err(error) => Err(error.into()),
    }
}

/// An open or merged pull request from the release branch into the target branch: by
/// `author` only, when given.
async fn find_pull(
    gh: &RepoClient,
    author: Option<&str>,
    branch: &str,
    target_branch: &str,
) -> Result<Option<PullRequest>, ApiError> {
    Ok(gh.pulls_from_branch(branch).await?.into_iter().find(|p| {
        author.is_none_or(|a| p.user.login == a)
            && p.base.name == target_branch
            && p.pull_state() != crate::domain::PullState::ClosedUnmerged
    }))
}

/// Shows the failure in the status comment and tells the owner once. With a queue that runs
/// the job again (`retried`), a failure that waiting may cure is only shown: the next attempt
/// redraws the status, and the owner is told when the queue gives up.
async fn report_failure(
    gh: &RepoClient,
    event: &CommentEvent,
    status: Option<&StatusComment>,
    view: &mut StatusView,
    (step, failure): (Step, StepFailure),
    retried: bool,
) -> Result<Outcome, EngineError> {
    let version = view.marker.version.clone();
    let queue_retries = retried
        && matches!(&failure, StepFailure::Api(error)
            if !matches!(error.status(), Some(400..=499)) || error.is_rate_limited());
    let (what, remedy, source) = match failure {
        StepFailure::Api(error) => (
            format!("{}: {error}", step_name(step)),
            match error.status() {
                _ if queue_retries => messages::retrying_remedy(&version),
                Some(400..=499) if !error.is_rate_limited() => messages::refused_remedy(&version),
                _ => messages::retry_remedy(&version),
            },
            Some(error),
        ),
        StepFailure::Conflict { what, remedy } => (what, remedy, None),
    };
    let first_time = !queue_retries && !view.marker.notified.iter().any(|k| k == step.key());
    if first_time {
        view.marker.notified.push(step.key().to_string());
    }
    view.set(
        step,
        StepState::Failed {
            what: what.clone(),
            remedy,
        },
    );
    // A new release's status comment is made here, showing the failure.
    let status_url = match status {
        Some(status) => {
            gh.update_comment(status.id, &view.render()).await?;
            status.html_url.clone()
        }
        None => {
            gh.create_comment(event.issue.number, &view.render())
                .await?
                .html_url
        }
    };
    if first_time {
        let notice = messages::failure_notice(
            &view.marker.owner,
            &version,
            &format!("{what}."),
            &status_url,
        );
        gh.create_comment(event.issue.number, &notice).await?;
    }
    match source {
        // Not told yet: the queue tells the issue if no attempt succeeds.
        Some(source) if queue_retries => Err(EngineError::Api(source)),
        Some(source) => Err(EngineError::StepFailed {
            version,
            step,
            source,
        }),
        None => Ok(Outcome::StepBlocked { version, step }),
    }
}

fn step_name(step: Step) -> &'static str {
    match step {
        Step::Checks => "Checks",
        Step::Branch => "Release branch",
        Step::PullRequest => "Pull request",
        Step::Smoke => "Smoke test",
        Step::Merge => "Merge",
        Step::Tag => "Tag",
        Step::Images => "Images",
        Step::DraftRelease => "Draft release",
    }
}
