//! Commands on an issue whose release has started: link the notes, redraw the status, retry
//! (from the first failed step, or one step after the tag), cancel. Each derives the release's
//! stage, plans from it, and carries the plan out — or, with `--dry-run`, says what it would do
//! and changes nothing.

use semver::Version;

use super::answer::answer;
use super::context::Context;
use super::conversation::{Conversation, StatusComment};
use super::outcome::{EngineError, Outcome, Reply};
use super::progress;
use super::stage::{plan, Plan, Refusal, Stage, Trigger};
use super::tracking;
use super::{merged, release_path, start_release};
use crate::event::CommentEvent;
use crate::messages;

/// `/release notes <url>`: remember the link; when the draft exists, put the notes in it now.
pub async fn link_notes(
    ctx: &Context<'_>,
    event: &CommentEvent,
    mut status: StatusComment,
    url: String,
    dry_run: bool,
) -> Result<Outcome, EngineError> {
    let version = tracking::version_of(&status)?;
    let progress = progress::read(ctx.gh, ctx.config, &version, ctx.me).await?;
    let tag = ctx.config.tag.render(&version);
    let draft = progress.release.as_ref().filter(|r| r.draft);
    if dry_run {
        let text = messages::dry_run_notes(&url, draft.map(|_| tag.as_str()));
        return answer(ctx.gh, event, Reply::DryRunPlan, &text).await;
    }
    status.marker.notes_url = Some(url.clone());
    status.marker.notes_problem = None;
    let mut unreadable = None;
    if let Some(release) = draft {
        match super::notes_reader::read(ctx.gh, &url, &tag, ctx.notes).await {
            Ok(text) => {
                let body = messages::replace_notes(release.body(), &Ok(text));
                if body != release.body() {
                    ctx.gh.update_release_body(release.id, &body).await?;
                }
            }
            // The draft keeps what it had; the status comment and a reply say why.
            Err(problem) => {
                status.marker.notes_problem = Some(problem.clone());
                unreadable = Some(problem);
            }
        }
    }
    tracking::refresh(ctx.gh, ctx.config, ctx.repository, &status, &progress).await?;
    if let Some(problem) = unreadable {
        let text = messages::notes_unreadable(&url, &problem);
        return answer(ctx.gh, event, Reply::NotesUnreadable, &text).await;
    }
    Ok(Outcome::StatusRefreshed {
        version: version.to_string(),
    })
}

/// `/release status`: redraw the status comment from what GitHub holds now.
pub async fn refresh_status(
    ctx: &Context<'_>,
    status: StatusComment,
) -> Result<Outcome, EngineError> {
    let version = tracking::version_of(&status)?;
    let progress = progress::read(ctx.gh, ctx.config, &version, ctx.me).await?;
    tracking::refresh(ctx.gh, ctx.config, ctx.repository, &status, &progress).await?;
    Ok(Outcome::StatusRefreshed {
        version: version.to_string(),
    })
}

/// The release's version, what GitHub holds for it and the plan for `trigger`; or, when the
/// plan refuses, the answer given (after the status comment is brought up to date, since the
/// answer points at it).
pub(super) async fn planned(
    ctx: &Context<'_>,
    event: &CommentEvent,
    status: &StatusComment,
    trigger: Trigger,
) -> Result<Result<(Version, progress::Progress, Plan), Outcome>, EngineError> {
    let version = tracking::version_of(status)?;
    let progress = progress::read(ctx.gh, ctx.config, &version, ctx.me).await?;
    let stage = Stage::derive(&progress, Some(&status.marker))?;
    let due = plan(&stage, trigger);
    if let Plan::Refuse(refusal) = due {
        tracking::redraw_if_behind(ctx, status, &progress).await?;
        let answered = refuse(ctx, event, refusal, (&version, status)).await?;
        return Ok(Err(answered));
    }
    Ok(Ok((version, progress, due)))
}

/// `/release retry`: the first step that failed or is missing, run again.
pub async fn retry(
    ctx: &Context<'_>,
    event: &CommentEvent,
    conversation: &Conversation,
    mut status: StatusComment,
    dry_run: bool,
) -> Result<Outcome, EngineError> {
    let (version, progress, due) = match planned(ctx, event, &status, Trigger::Retry).await? {
        Ok(planned) => planned,
        Err(refused) => return Ok(refused),
    };
    if dry_run {
        let would = super::plan_words::describe(&due, ctx.config, &version, &progress);
        let text = messages::dry_run_follow_up("retry", &would);
        return answer(ctx.gh, event, Reply::DryRunPlan, &text).await;
    }
    // Whatever blocked the release is looked at afresh.
    status.marker.blocked = None;
    match due {
        Plan::OpenPullRequest => {
            start_release::run(ctx, event, conversation, &version.to_string(), false, None).await
        }
        Plan::TagMergeCommit { merge_commit } => {
            let issue = event.issue.number;
            merged::tag_merge_commit(ctx, &version, &merge_commit, (issue, status), progress).await
        }
        // The release path checks the moved tag's commit, then builds it.
        due @ (Plan::ReleaseTag | Plan::RebuildMoved { .. }) => {
            tracking::refresh(ctx.gh, ctx.config, ctx.repository, &status, &progress).await?;
            let known = release_path::Known {
                tracking: Some(tracking::Tracking {
                    issue: event.issue.number,
                    status: Some(status),
                }),
                progress,
                files_checked: false,
                asked_again: true,
            };
            let tag = ctx.config.tag.render(&version);
            release_path::run_known(ctx, &tag, Some(known), Some(due)).await
        }
        Plan::Redispatch { failed } => {
            super::rebuild::images(ctx, &version, Some(&status), progress, failed).await
        }
        Plan::RunSmoke => {
            let head = progress
                .pull
                .as_ref()
                .map(|p| p.head.sha.clone())
                .expect("an open pull request has a head");
            super::smoke::run(ctx, &version, &head, &mut status, &progress).await?;
            Ok(Outcome::SmokeDispatched {
                version: version.to_string(),
                sha: head,
            })
        }
        Plan::ResumeSteps => {
            let again = super::steps_run::Again::Failed;
            let progress =
                super::steps_run::carry_on(ctx, &version, progress, Some(&mut status), again)
                    .await?;
            // Published already with what follows it unfinished: that is retried too.
            let published = progress.release.as_ref().filter(|r| !r.draft);
            if let Some(release) = published.filter(|_| status.marker.after_publication_left()) {
                let tag = ctx.config.tag.render(&version);
                let facts = (&version, tag.as_str(), release.html_url.as_str());
                super::after_publication::run(ctx, facts, &mut status, &progress, true).await?;
            }
            tracking::refresh(ctx.gh, ctx.config, ctx.repository, &status, &progress).await?;
            Ok(Outcome::StatusRefreshed {
                version: version.to_string(),
            })
        }
        Plan::AfterPublication => {
            let tag = ctx.config.tag.render(&version);
            let url = progress
                .release
                .as_ref()
                .map(|r| r.html_url.clone())
                .unwrap_or_default();
            let release = (&version, tag.as_str(), url.as_str());
            super::after_publication::run(ctx, release, &mut status, &progress, true).await?;
            Ok(Outcome::StatusRefreshed {
                version: version.to_string(),
            })
        }
        other => unreachable!("retry never plans {other:?}"),
    }
}

/// `/release cancel`: close the pull request, delete the branch, mark the release cancelled.
/// After the merge the release is out of the bot's hands.
pub async fn cancel(
    ctx: &Context<'_>,
    event: &CommentEvent,
    mut status: StatusComment,
    dry_run: bool,
) -> Result<Outcome, EngineError> {
    let (version, progress, due) = match planned(ctx, event, &status, Trigger::Cancel).await? {
        Ok(planned) => planned,
        Err(refused) => return Ok(refused),
    };
    if dry_run {
        let would = super::plan_words::describe(&due, ctx.config, &version, &progress);
        let text = messages::dry_run_follow_up("cancel", &would);
        return answer(ctx.gh, event, Reply::DryRunPlan, &text).await;
    }
    if let Some(pull) = progress
        .pull
        .as_ref()
        .filter(|p| p.pull_state() == crate::domain::PullState::Open)
    {
        ctx.gh.close_pull(pull.number).await?;
    }
    if progress.branch_head.is_some() {
        match ctx
            .gh
            .delete_ref(&format!("heads/{}", ctx.config.branch.render(&version)))
            .await
        {
            Ok(()) => {}
            // Already gone: what cancelling wants.
            Err(error) if error.is_unprocessable() || error.is_not_found() => {}
            Err(error) => return Err(error.into()),
        }
    }
    status.marker.cancelled = true;
    let progress = progress::read(ctx.gh, ctx.config, &version, ctx.me).await?;
    tracking::refresh(ctx.gh, ctx.config, ctx.repository, &status, &progress).await?;
    Ok(Outcome::Cancelled {
        version: version.to_string(),
    })
}

pub(super) async fn refuse(
    ctx: &Context<'_>,
    event: &CommentEvent,
    refusal: Refusal,
    (version, status): (&Version, &StatusComment),
) -> Result<Outcome, EngineError> {
    let status_url = status.html_url.as_str();
    // A QA candidate that stopped is the one thing there is to run again before the merge.
    let stopped = status
        .marker
        .candidates
        .last()
        .and_then(|c| match &c.state {
            crate::status::CandidateState::Failed { reason } => {
                Some((c.tag.as_str(), reason.as_str()))
            }
            _ => None,
        });
    let (kind, text) = match refusal {
        Refusal::WaitingForMerge => (Reply::NothingToRetry, messages::waiting_for_merge(stopped)),
        Refusal::NothingToRetry => (
            Reply::NothingToRetry,
            messages::nothing_to_retry(&version.to_string()),
        ),
        Refusal::RetryCancelled => (
            Reply::NothingToRetry,
            messages::retry_cancelled(&version.to_string()),
        ),
        // Only a start plans this (follow-ups act on the issue's newest release); said plainly
        // should that ever change.
        Refusal::AnotherInFlight => (
            Reply::AnotherReleaseHere,
            messages::another_release_in_flight(
                &version.to_string(),
                status_url,
                "another version",
            ),
        ),
        Refusal::CandidateWithoutPull => (
            Reply::CandidateRefused,
            messages::candidate_without_pull(&ctx.config.branch.render(version)),
        ),
        Refusal::CandidateAfterMerge => (
            Reply::CandidateRefused,
            messages::candidate_after_merge(&ctx.config.tag.render(version)),
        ),
        Refusal::CancelTooLate => (
            Reply::CancelRefused,
            messages::cancel_too_late(&ctx.config.tag.render(version)),
        ),
    };
    answer(ctx.gh, event, kind, &text).await
}

/// `/release retry <step>`: that step's workflow dispatched again, when the release has a
/// draft, the step is known and its run finished; an unknown name is answered with the names.
pub async fn retry_one(
    ctx: &Context<'_>,
    event: &CommentEvent,
    mut status: StatusComment,
    name: &str,
    dry_run: bool,
) -> Result<Outcome, EngineError> {
    let trigger = Trigger::RetryStep;
    let (version, progress, due) = match planned(ctx, event, &status, trigger).await? {
        Ok(planned) => planned,
        Err(refused) => return Ok(refused),
    };
    let marker = progress
        .release_marker()
        .map_err(super::stage::Unreadable::from)?
        .unwrap_or_default();
    let states = super::steps::states(ctx.config, &marker, &progress);
    if let Err(refused) = super::steps::again(ctx.config, &states, name) {
        let text = match refused {
            super::steps::NotAgain::Unknown { known } => messages::unknown_step(name, &known),
            super::steps::NotAgain::NotFinished => messages::step_not_finished(name),
        };
        return answer(ctx.gh, event, Reply::NothingToRetry, &text).await;
    }
    if dry_run {
        let would = super::plan_words::describe(&due, ctx.config, &version, &progress);
        let text = messages::dry_run_follow_up(&format!("retry {name}"), &would);
        return answer(ctx.gh, event, Reply::DryRunPlan, &text).await;
    }
    let again = super::steps_run::Again::One(name);
    let progress =
        super::steps_run::carry_on(ctx, &version, progress, Some(&mut status), again).await?;
    tracking::refresh(ctx.gh, ctx.config, ctx.repository, &status, &progress).await?;
    Ok(Outcome::StatusRefreshed {
        version: version.to_string(),
    })
}
