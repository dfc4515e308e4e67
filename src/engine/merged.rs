//! The release pull request was closed: merged → tag the merge commit and run the release path
//! in the same run (a tag made with the Actions token starts no workflow, so nothing else would);
//! not merged → the release is cancelled. Only the bot's own pull request, from this repository,
//! counts: anyone (another bot included) may open one from a branch named like a release.

use super::context::Context;
use super::conversation::StatusComment;
use super::outcome::{EngineError, Outcome};
use super::progress::{self, Progress};
use super::release_path::{self, Known};
use super::snapshot;
use super::stage::{plan, Plan, Stage, Trigger, Unreadable};
use super::tracking::{self, Tracking};
use crate::domain::{CommitSha, IssueNumber};
use crate::event::PullRequestEvent;
use crate::github::CreateRef;
use crate::messages;
use crate::status::{Blocked, Step, StepState};

pub async fn run(ctx: &Context<'_>, event: &PullRequestEvent) -> Result<Outcome, EngineError> {
    let pull = &event.pull_request;
    let Some(version) = ctx.config.branch.version_from(&pull.head.name) else {
        return Ok(Outcome::Ignored(format!(
            "`{}` is not a release branch",
            pull.head.name
        )));
    };
    let same_repository = pull
        .head
        .repo
        .as_ref()
        .is_some_and(|r| r.full_name == event.repository.full_name);
    // The bot's own pull request, merged, is final as delivered: it is not listed again.
    let ours_merged = same_repository && pull.user.login == ctx.me && pull.is_merged();
    let delivered = progress::Delivered {
        merged_pull: ours_merged.then_some(pull),
        // The release path decides `latest` and the notes from every tag: listed once, the
        // version's own found among them.
        list_tags: true,
        ..Default::default()
    };
    let progress = progress::read_with(ctx.gh, ctx.config, &version, ctx.me, delivered).await?;
    let tracking = tracking::find(ctx.gh, ctx.me, &version, &progress).await?;
    let Some(Tracking {
        status: Some(status),
        ..
    }) = &tracking
    else {
        return Ok(Outcome::Ignored(format!(
            "no status comment tracks release {version}"
        )));
    };
    if !same_repository || pull.user.login != ctx.me {
        // Only the bot's own release pull request, from this repository, is tagged.
        if !pull.is_merged() {
            return Ok(Outcome::Ignored(format!(
                "pull request #{} is not releasebot's",
                pull.number
            )));
        }
        let mut status = status.clone();
        status.marker.blocked = Some(Blocked {
            step: Step::Tag,
            what: format!(
                "Pull request #{} was merged, but it was not releasebot's release pull request (opened by @{} from {}), so nothing was tagged",
                pull.number,
                pull.user.login,
                pull.head.repo.as_ref().map_or("a deleted repository", |r| r.full_name.as_str())
            ),
            remedy: format!("Comment `/release {version}` to get releasebot's pull request, or `/release retry` once the release commit is on the base branch."),
        });
        tracking::refresh(ctx.gh, ctx.config, ctx.repository, &status, &progress).await?;
        return Ok(Outcome::StepBlocked {
            version: version.to_string(),
            step: Step::Tag,
        });
    }
    let mut status = status.clone();
    let stage = Stage::derive(&progress, Some(&status.marker))?;
    let merge_commit = match (pull.is_merged(), &pull.merge_commit_sha) {
        (false, _) => None,
        (true, Some(sha)) => Some(sha.clone()),
        (true, None) => return Err(Unreadable::NoMergeCommit(pull.number).into()),
    };
    match plan(&stage, Trigger::PullClosed { merge_commit }) {
        Plan::MarkCancelled => {
            status.marker.cancelled = true;
            tracking::refresh(ctx.gh, ctx.config, ctx.repository, &status, &progress).await?;
            Ok(Outcome::Cancelled {
                version: version.to_string(),
            })
        }
        Plan::TagMergeCommit { merge_commit } => {
            let issue = tracking.as_ref().map(|t| t.issue).expect("matched above");
            let shown = (status.clone(), progress.clone());
            let result =
                tag_merge_commit(ctx, &version, &merge_commit, (issue, status), progress).await;
            if let Err(EngineError::Api(error)) = &result {
                show_failure(ctx, &version, shown, error).await;
            }
            result
        }
        Plan::TagElsewhere {
            tag_commit,
            merge_commit,
        } => {
            let tag = ctx.config.tag.render(&version);
            let what = format!(
                "Tag `{tag}` already exists on {tag_commit}, not on the merge commit {merge_commit}"
            );
            blocked(ctx, &version, status, &progress, what).await
        }
        // Tagged already (by a person, or by this job before it failed): the release path
        // carries out the same plan from the tag.
        due @ (Plan::ReleaseTag
        | Plan::Redispatch { .. }
        | Plan::RebuildMoved { .. }
        | Plan::Settle) => {
            let known = Known {
                progress,
                tracking,
                files_checked: false,
                asked_again: false,
            };
            let tag = ctx.config.tag.render(&version);
            release_path::run_known(ctx, &tag, Some(known), Some(due)).await
        }
        _ => {
            tracking::redraw_if_behind(ctx, &status, &progress).await?;
            Ok(Outcome::NothingToResume {
                version: version.to_string(),
            })
        }
    }
}

/// Checks the merge commit says the version, tags it, and runs the release path.
pub async fn tag_merge_commit(
    ctx: &Context<'_>,
    version: &semver::Version,
    merge_commit: &CommitSha,
    (issue, mut status): (IssueNumber, StatusComment),
    progress: Progress,
) -> Result<Outcome, EngineError> {
    let version = version.clone();
    let tag = ctx.config.tag.render(&version);

    // The merge commit must say the version (a squash or a conflict fix can lose the bump).
    let disagreements =
        snapshot::disagreements_at(ctx.gh, ctx.config, merge_commit, &version).await?;
    // (The plan tags only a release whose tag does not exist: a tag elsewhere was decided on.)
    if !disagreements.is_empty() {
        let what =
            messages::merge_disagrees(&version.to_string(), merge_commit.as_str(), &disagreements);
        return blocked(ctx, &version, status, &progress, what).await;
    }

    let mut made_tag = false;
    let mut made_object = None;
    // What was read stays true once the tag is ours; a tag someone else made meanwhile is
    // released from a fresh read.
    let mut read_again = false;
    if progress.tag_commit.is_none() {
        let message = format!("{}\n", ctx.config.commit_message.render(&version));
        let object = ctx
            .gh
            .create_tag_object(&tag, &message, merge_commit)
            .await?;
        match ctx
            .gh
            .create_ref(&format!("refs/tags/{tag}"), &object)
            .await?
        {
            CreateRef::Created => {
                made_tag = true;
                made_object = Some(object);
            }
            // Made by a concurrent run (or a person) between our look and our act: check it.
            CreateRef::AlreadyExists => {
                let now = progress::tag_commit(ctx.gh, &tag).await?;
                if let Some(existing) = now.filter(|c| c != merge_commit) {
                    let what =
                        messages::tag_race_lost(&tag, existing.as_str(), merge_commit.as_str());
                    return blocked(ctx, &version, status, &progress, what).await;
                }
                read_again = true;
            }
        }
    }
    let progress = Progress {
        tag_commit: Some(merge_commit.clone()),
        tag_object: made_object.or(progress.tag_object),
        ..progress
    };
    if status.marker.blocked.take().is_some() {
        tracking::refresh(ctx.gh, ctx.config, ctx.repository, &status, &progress).await?;
    }
    let known = (!read_again).then_some(Known {
        tracking: Some(Tracking {
            issue,
            status: Some(status),
        }),
        progress,
        files_checked: true,
        asked_again: false,
    });
    let outcome = release_path::run_known(ctx, &tag, known, None).await?;
    Ok(match outcome {
        Outcome::Released {
            version,
            tag,
            release_url,
            latest,
            ..
        } => Outcome::Released {
            version,
            tag,
            release_url,
            latest,
            tagged: made_tag,
        },
        Outcome::NothingToResume { version } if made_tag => Outcome::Tagged { version, tag },
        other => other,
    })
}

/// GitHub failed the merge's job (the tag, the draft or the dispatch): the status comment shows
/// it with what to do, as a failed `/release` does; whom to tell, and when, is the caller's
/// (the queue when it gives up, the Action at once). The failure is drawn, not kept in the
/// marker: the next job to draw the status (the retry) shows what GitHub holds then. Best
/// effort: GitHub may be failing the edit too, and the job's error is what counts.
async fn show_failure(
    ctx: &Context<'_>,
    version: &semver::Version,
    (status, progress): (StatusComment, Progress),
    error: &crate::github::ApiError,
) {
    let remedy = if ctx.retried {
        messages::retrying_tag_remedy()
    } else {
        messages::retry_tag_remedy()
    };
    let failed = StepState::Failed {
        what: messages::merge_job_failed(version, &error.to_string()),
        remedy,
    };
    if let Err(unshown) =
        tracking::refresh_showing_failure(ctx, &status, &progress, (Step::Tag, failed)).await
    {
        tracing::warn!(%unshown, "could not show the failure in the status comment");
    }
}

/// The tag step cannot go on: the status comment shows why and what to do, and the owner is
/// told once on the tracking issue (an edited comment notifies nobody).
async fn blocked(
    ctx: &Context<'_>,
    version: &semver::Version,
    mut status: StatusComment,
    progress: &Progress,
    what: String,
) -> Result<Outcome, EngineError> {
    status.marker.blocked = Some(Blocked {
        step: Step::Tag,
        what: what.clone(),
        remedy: "Fix the version files on the base branch or remove the stray tag, then comment `/release retry`.".into(),
    });
    let already_told = status.marker.notified.iter().any(|s| s == Step::Tag.key());
    if !already_told {
        status.marker.notified.push(Step::Tag.key().into());
    }
    tracking::refresh(ctx.gh, ctx.config, ctx.repository, &status, progress).await?;
    if let Some(issue) = progress.tracked_issue.filter(|_| !already_told) {
        let notice = messages::failure_notice(
            &status.marker.owner,
            &version.to_string(),
            &format!("{what}."),
            &status.html_url,
        );
        ctx.gh.create_comment(issue, &notice).await?;
    }
    Ok(Outcome::StepBlocked {
        version: version.to_string(),
        step: Step::Tag,
    })
}
