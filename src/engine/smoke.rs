//! The smoke test as a release step: releasebot dispatches the repository's smoke workflow on the
//! release branch's head (when the pull request opens, after each push to the branch, on
//! `/release retry`), because a branch or pull request made with the Actions token starts no
//! `pull_request` workflow. Its result becomes the commit status `releasebot/smoke` (a check a
//! repository can require), the status comment, and the pull request's checklist.
//!
//! Like the images build, the dispatch is recorded as intent (in the status comment's marker)
//! before it is sent, and the run id GitHub hands back after it; only that run's result counts.

use super::context::Context;
use super::conversation::StatusComment;
use super::outcome::{EngineError, Outcome};
use super::progress::{self, guarded_pick, Progress};
use super::release_marker::{now, Dispatch};
use super::stage::{plan, smoke_plan, Plan, Stage, Trigger};
use super::tracking;
use crate::domain::{CommitSha, Conclusion, StatusState};
use crate::event::{PullRequestEvent, WorkflowRun};
use crate::github::ApiError;
use crate::messages;
use crate::status::{SmokeRecord, SmokeState, Step};

/// The commit status context a repository can require in branch protection.
pub const CONTEXT: &str = "releasebot/smoke";

/// Dispatches the smoke run for `sha` on `branch`, replacing the record of any earlier run, and
/// redraws the status comment (with `progress` for the rest of it). A repository without a
/// usable smoke workflow gets the step skipped, with how to add one.
pub async fn run(
    ctx: &Context<'_>,
    version: &semver::Version,
    sha: &CommitSha,
    status: &mut StatusComment,
    progress: &Progress,
) -> Result<(), EngineError> {
    let branch = ctx.config.branch.render(version);
    if let Some(found) = intended_run(ctx, &branch, sha, status).await? {
        // A run of ours for this head, dispatched before a crash kept its id: adopt it.
        return record_run(ctx, sha, found, status, progress).await;
    }
    let intent = intend(&mut status.marker, sha);
    // The intent is in the status comment before the dispatch is sent.
    tracking::refresh(ctx.gh, ctx.config, ctx.repository, status, progress).await?;
    dispatch_intended(ctx, version, sha, status, progress, intent).await
}

/// Records in the marker the intent to smoke-test `sha` (replacing any earlier run's record).
pub fn intend(marker: &mut crate::status::StatusMarker, sha: &CommitSha) -> Dispatch {
    let previous = marker.smoke.as_ref().and_then(|s| s.dispatch.clone());
    let intent = match previous {
        Some(earlier) => earlier.again(now()),
        None => Dispatch::intended(now()),
    };
    marker.smoke = Some(SmokeRecord {
        attempt: 1,
        sha: sha.clone(),
        dispatch: Some(intent.clone()),
        run_url: None,
        state: SmokeState::Running,
    });
    intent
}

/// Dispatches the smoke run whose intent (`intend`) the status comment on GitHub already
/// holds, and records the run.
pub async fn dispatch_intended(
    ctx: &Context<'_>,
    version: &semver::Version,
    sha: &CommitSha,
    status: &mut StatusComment,
    progress: &Progress,
    intent: Dispatch,
) -> Result<(), EngineError> {
    let branch = ctx.config.branch.render(version);
    let workflow = &ctx.config.smoke.workflow;
    let inputs = serde_json::json!({ "version": version.to_string(), "sha": sha });
    let dispatched = match ctx.gh.dispatch_workflow(workflow, &branch, &inputs).await {
        Ok(details) => details,
        // No such workflow, or none that takes these inputs: the step is skipped, said why.
        Err(error) if error.is_not_found() || error.is_unprocessable() => {
            status.marker.smoke = Some(SmokeRecord {
                attempt: 1,
                sha: sha.clone(),
                dispatch: None,
                run_url: None,
                state: SmokeState::Skipped {
                    why: messages::smoke_unusable(workflow, &error.to_string()),
                },
            });
            tracking::refresh(ctx.gh, ctx.config, ctx.repository, status, progress).await?;
            return Ok(());
        }
        Err(error) => return Err(error.into()),
    };
    let run = match dispatched {
        Some(details) => match details.queued_run(workflow, &branch, sha, ctx.me) {
            Some(run) => Some(run),
            None => ctx.gh.workflow_run(details.workflow_run_id).await?,
        },
        None => {
            let runs = ctx.gh.dispatched_runs(workflow, &branch).await?;
            guarded_pick(runs, Some(&intent), ctx.me)
        }
    };
    match run {
        Some(run) => record_run(ctx, sha, run, status, progress).await,
        // Not listed yet (a server without run details): a later event finds it by the intent.
        None => {
            tracking::refresh(ctx.gh, ctx.config, ctx.repository, status, progress).await?;
            Ok(())
        }
    }
}

/// The run an earlier attempt dispatched for this head and did not get to record.
async fn intended_run(
    ctx: &Context<'_>,
    branch: &str,
    sha: &CommitSha,
    status: &StatusComment,
) -> Result<Option<WorkflowRun>, EngineError> {
    let Some(record) = status.marker.smoke.as_ref() else {
        return Ok(None);
    };
    let Some(intent) = record.dispatch.as_ref() else {
        return Ok(None);
    };
    if record.sha != *sha || record.state != SmokeState::Running || intent.run.is_some() {
        return Ok(None);
    }
    let runs = ctx
        .gh
        .dispatched_runs(&ctx.config.smoke.workflow, branch)
        .await?;
    Ok(guarded_pick(runs, Some(intent), ctx.me))
}

/// The commit status goes pending on the run, the marker keeps its id, the checklist waits.
async fn record_run(
    ctx: &Context<'_>,
    sha: &CommitSha,
    run: WorkflowRun,
    status: &mut StatusComment,
    progress: &Progress,
) -> Result<(), EngineError> {
    let run_url = Some(run.html_url.clone());
    ctx.gh
        .set_commit_status(
            sha,
            StatusState::Pending,
            CONTEXT,
            "Smoke test running",
            run_url.as_deref(),
        )
        .await?;
    if let Some(record) = status.marker.smoke.as_mut() {
        if let Some(dispatch) = record.dispatch.as_mut() {
            dispatch.run = Some(run.id);
        }
        record.run_url = run_url;
    }
    untick_checklist(ctx, progress, status).await?;
    tracking::refresh(ctx.gh, ctx.config, ctx.repository, status, progress).await?;
    Ok(())
}

/// New commits on the release pull request: the new head is smoke-tested; the earlier run no
/// longer counts.
pub async fn pushed(ctx: &Context<'_>, event: &PullRequestEvent) -> Result<Outcome, EngineError> {
    let (version, progress, mut status) = match release_pull(ctx, event).await? {
        Ok(found) => found,
        Err(ignored) => return Ok(ignored),
    };
    let stage = Stage::derive(&progress, Some(&status.marker))?;
    if let Plan::Nothing(why) = plan(&stage, Trigger::PullPushed) {
        return Ok(Outcome::Ignored(why.to_string()));
    }
    smoke_head(ctx, event, &version, &progress, &mut status).await
}

/// The release pull request was reopened: closing it had cancelled the release, so the
/// release is open again, and its head is smoke-tested unless it was already.
pub async fn reopened(ctx: &Context<'_>, event: &PullRequestEvent) -> Result<Outcome, EngineError> {
    let (version, progress, mut status) = match release_pull(ctx, event).await? {
        Ok(found) => found,
        Err(ignored) => return Ok(ignored),
    };
    let stage = Stage::derive(&progress, Some(&status.marker))?;
    if let Plan::Nothing(why) = plan(&stage, Trigger::PullReopened) {
        return Ok(Outcome::Ignored(why.to_string()));
    }
    status.marker.cancelled = false;
    status.marker.blocked = None;
    match plan(&stage, Trigger::PullPushed) {
        Plan::RunSmoke => smoke_head(ctx, event, &version, &progress, &mut status).await,
        _ => {
            tracking::refresh(ctx.gh, ctx.config, ctx.repository, &status, &progress).await?;
            Ok(Outcome::StatusRefreshed {
                version: version.to_string(),
            })
        }
    }
}

async fn smoke_head(
    ctx: &Context<'_>,
    event: &PullRequestEvent,
    version: &semver::Version,
    progress: &Progress,
    status: &mut StatusComment,
) -> Result<Outcome, EngineError> {
    let head = progress
        .pull
        .as_ref()
        .map_or(event.pull_request.head.sha.clone(), |p| p.head.sha.clone());
    run(ctx, version, &head, status, progress).await?;
    Ok(Outcome::SmokeDispatched {
        version: version.to_string(),
        sha: head,
    })
}

/// The release and its status comment, when the event's pull request is the bot's own release
/// pull request and a status comment tracks it; otherwise why the event is ignored.
async fn release_pull(
    ctx: &Context<'_>,
    event: &PullRequestEvent,
) -> Result<Result<(semver::Version, Progress, StatusComment), Outcome>, EngineError> {
    let pull = &event.pull_request;
    let Some(version) = ctx.config.branch.version_from(&pull.head.name) else {
        return Ok(Err(Outcome::Ignored(format!(
            "`{}` is not a release branch",
            pull.head.name
        ))));
    };
    if pull.user.login != ctx.me {
        return Ok(Err(Outcome::Ignored(format!(
            "pull request #{} is not releasebot's",
            pull.number
        ))));
    }
    let Some((progress, status)) = tracked(ctx, &version).await? else {
        return Ok(Err(Outcome::Ignored(format!(
            "no status comment tracks release {version}"
        ))));
    };
    Ok(Ok((version, progress, status)))
}

/// The smoke workflow finished: when the run is the one recorded for the branch's head, its
/// result goes to the commit status, the checklist and the status comment; a failure mentions
/// the owner once.
pub async fn finished(ctx: &Context<'_>, run: &WorkflowRun) -> Result<Outcome, EngineError> {
    let branch = run.head_branch.clone().unwrap_or_default();
    let Some(version) = ctx.config.branch.version_from(&branch) else {
        return Ok(Outcome::Ignored(format!(
            "run {} is not on a release branch",
            run.id
        )));
    };
    let Some((progress, mut status)) = tracked(ctx, &version).await? else {
        return Ok(Outcome::Ignored(format!(
            "no status comment tracks release {version}"
        )));
    };
    let record = status.marker.smoke.clone();
    let finished = (run.id, run.run_attempt);
    let (Plan::RecordSmoke, Some(record)) = (smoke_plan(record.as_ref(), finished), record) else {
        return Ok(Outcome::Ignored(format!(
            "run {} attempt {} is not the smoke test to record",
            run.id, run.run_attempt
        )));
    };
    let passed = run.conclusion == Some(Conclusion::Success);
    let state = if passed {
        SmokeState::Passed
    } else {
        SmokeState::Failed {
            conclusion: run.conclusion.unwrap_or(Conclusion::Failure).to_string(),
        }
    };
    let (commit_state, description) = if passed {
        (StatusState::Success, "Smoke test passed")
    } else {
        (StatusState::Failure, "Smoke test failed")
    };
    ctx.gh
        .set_commit_status(
            &record.sha,
            commit_state,
            CONTEXT,
            description,
            Some(&run.html_url),
        )
        .await?;
    status.marker.smoke = Some(SmokeRecord {
        state,
        run_url: Some(run.html_url.clone()),
        attempt: run.run_attempt,
        ..record
    });
    if let Some(pull) = &progress.pull {
        let body = messages::pull_body_with_smoke(
            pull.body.as_deref().unwrap_or(""),
            &ctx.config.smoke.covers,
            status.marker.smoke.as_ref().expect("set above"),
        );
        if Some(body.as_str()) != pull.body.as_deref() {
            ctx.gh.update_pull_body(pull.number, &body).await?;
        }
    }
    let tell_owner = !passed
        && !status
            .marker
            .notified
            .iter()
            .any(|s| s == Step::Smoke.key());
    if tell_owner {
        status.marker.notified.push(Step::Smoke.key().into());
    }
    tracking::refresh(ctx.gh, ctx.config, ctx.repository, &status, &progress).await?;
    if let (true, Some(issue)) = (tell_owner, progress.tracked_issue) {
        let notice = messages::failure_notice(
            &status.marker.owner,
            &version.to_string(),
            &format!(
                "the smoke test of the release branch failed ({}).",
                run.html_url
            ),
            &status.html_url,
        );
        ctx.gh.create_comment(issue, &notice).await?;
    }
    Ok(Outcome::SmokeReported {
        version: version.to_string(),
        passed,
    })
}

/// The release's state on GitHub and its status comment, when a status comment tracks it.
async fn tracked(
    ctx: &Context<'_>,
    version: &semver::Version,
) -> Result<Option<(Progress, StatusComment)>, EngineError> {
    let progress = progress::read(ctx.gh, ctx.config, version, ctx.me).await?;
    let status = tracking::find(ctx.gh, ctx.me, version, &progress)
        .await?
        .and_then(|t| t.status);
    Ok(status.map(|status| (progress, status)))
}

/// A new run starts: the items the smoke test covers are no longer ticked for this head.
async fn untick_checklist(
    ctx: &Context<'_>,
    progress: &Progress,
    status: &StatusComment,
) -> Result<(), ApiError> {
    let (Some(pull), Some(record)) = (&progress.pull, &status.marker.smoke) else {
        return Ok(());
    };
    let body = pull.body.as_deref().unwrap_or("");
    let updated = messages::pull_body_with_smoke(body, &ctx.config.smoke.covers, record);
    if updated != body {
        ctx.gh.update_pull_body(pull.number, &updated).await?;
    }
    Ok(())
}
