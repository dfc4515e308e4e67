//! The release pull request was closed: merged → tag the merge commit and run the release path
//! in the same run (a tag made with the Actions token starts no workflow, so nothing else would);
//! not merged → the release is cancelled.

use super::outcome::{EngineError, Outcome};
use super::progress::{self, Progress};
use super::release_path::{self, Context};
use super::snapshot;
use super::tracking::{self, Tracking};
use crate::event::PullRequestClosed;
use crate::github::CreateRef;
use crate::messages;
use crate::status::Blocked;

pub async fn run(ctx: &Context<'_>, event: &PullRequestClosed) -> Result<Outcome, EngineError> {
    let pull = &event.pull_request;
    let Some(version) = ctx.config.branch.version_from(&pull.head.name) else {
        return Ok(Outcome::Ignored(format!(
            "`{}` is not a release branch",
            pull.head.name
        )));
    };
    let progress = progress::read(ctx.gh, ctx.config, &version).await?;
    let tracking = tracking::find(ctx.gh, &version, &progress).await?;
    let same_repository = pull
        .head
        .repo
        .as_ref()
        .is_some_and(|r| r.full_name == event.repository.full_name);
    let Some(Tracking {
        status: Some(status),
        ..
    }) = &tracking
    else {
        return Ok(Outcome::Ignored(format!(
            "no status comment tracks release {version}"
        )));
    };
    if !same_repository || !pull.user.is_bot() {
        // Anyone can open a pull request from a branch named like a release; only the bot's own
        // release pull request, from this repository, is tagged.
        if !pull.merged {
            return Ok(Outcome::Ignored(format!(
                "pull request #{} is not releasebot's",
                pull.number
            )));
        }
        let mut status = status.clone();
        status.marker.blocked = Some(Blocked {
            step: "tag".into(),
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
            step: "tag",
        });
    }
    let mut status = status.clone();
    if !pull.merged {
        status.marker.cancelled = true;
        tracking::refresh(ctx.gh, ctx.config, ctx.repository, &status, &progress).await?;
        return Ok(Outcome::Cancelled {
            version: version.to_string(),
        });
    }
    let Some(merge_commit) = pull.merge_commit_sha.clone() else {
        return Ok(Outcome::Ignored(
            "the merged pull request has no merge commit".into(),
        ));
    };
    tag_merge_commit(ctx, &version, &merge_commit, status, progress).await
}

/// Checks the merge commit says the version, tags it, and runs the release path.
pub async fn tag_merge_commit(
    ctx: &Context<'_>,
    version: &semver::Version,
    merge_commit: &str,
    mut status: crate::engine::conversation::StatusComment,
    progress: Progress,
) -> Result<Outcome, EngineError> {
    let version = version.clone();
    let merge_commit = merge_commit.to_string();
    let tag = ctx.config.tag.render(&version);

    // The merge commit must say the version (a squash or a conflict fix can lose the bump).
    let paths: Vec<&str> = ctx
        .config
        .version_files
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    let files = snapshot::read_commit(ctx.gh, &merge_commit, &paths).await?;
    let disagreements = files.disagreements(ctx.config, &version);
    let problem = if !disagreements.is_empty() {
        Some(messages::merge_disagrees(
            &version.to_string(),
            &merge_commit,
            &disagreements,
        ))
    } else {
        match &progress.tag_commit {
            Some(existing) if *existing != merge_commit => Some(format!(
                "Tag `{tag}` already exists on {existing}, not on the merge commit {merge_commit}"
            )),
            _ => None,
        }
    };
    if let Some(what) = problem {
        status.marker.blocked = Some(Blocked {
            step: "tag".into(),
            what,
            remedy: "Fix the version files on the base branch or remove the stray tag, then comment `/release retry`.".into(),
        });
        tracking::refresh(ctx.gh, ctx.config, ctx.repository, &status, &progress).await?;
        return Ok(Outcome::StepBlocked {
            version: version.to_string(),
            step: "tag",
        });
    }

    if progress.tag_commit.is_none() {
        let message = format!("{}\n", ctx.config.commit_message.render(&version));
        let object = ctx
            .gh
            .create_tag_object(&tag, &message, &merge_commit)
            .await?;
        if ctx
            .gh
            .create_ref(&format!("refs/tags/{tag}"), &object)
            .await?
            == CreateRef::AlreadyExists
        {
            // Made by a concurrent run (or a person) between our look and our act: check it.
            let now = progress::tag_commit(ctx.gh, &tag).await?;
            if now.as_deref() != Some(merge_commit.as_str()) {
                return Ok(Outcome::StepBlocked {
                    version: version.to_string(),
                    step: "tag",
                });
            }
        }
    }
    let progress = Progress {
        tag_commit: Some(merge_commit),
        ..progress
    };
    if status.marker.blocked.take().is_some() {
        tracking::refresh(ctx.gh, ctx.config, ctx.repository, &status, &progress).await?;
    }
    release_path::run(ctx, &tag).await
}
