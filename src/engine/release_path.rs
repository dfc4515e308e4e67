//! From a version tag to a draft release and one images build, whoever made the tag: the bot on
//! merge, or a person pushing it. Whichever event arrives second finds the work done.

use semver::Version;

use super::notes_reader;
use super::outcome::{EngineError, Outcome};
use super::progress::{self, image_refs, Progress, ReleaseMarker};
use super::snapshot;
use super::tracking::{self, Tracking};
use crate::config::{Config, LatestPolicy};
use crate::event::Repository;
use crate::github::models::NewRelease;
use crate::github::RepoClient;
use crate::latest::moves_latest;
use crate::messages;
use crate::notes::NotesPolicy;
use crate::status::Blocked;

pub struct Context<'a> {
    pub gh: &'a RepoClient,
    pub config: &'a Config,
    pub repository: &'a Repository,
    pub notes: &'a NotesPolicy,
}

/// Handles a tag that appeared (or should be released again after a fix).
pub async fn run(ctx: &Context<'_>, tag: &str) -> Result<Outcome, EngineError> {
    let Some(version) = ctx.config.tag.version_from(tag) else {
        return not_a_version_tag(ctx, tag).await;
    };
    let progress = progress::read(ctx.gh, ctx.config, &version).await?;
    let Some(commit) = progress.tag_commit.clone() else {
        return Ok(Outcome::Ignored(format!("tag `{tag}` no longer exists")));
    };
    let tracking = tracking::find(ctx.gh, &version, &progress).await?;
    let marker = progress.release_marker();
    if progress.release.is_some() && marker.as_ref().is_some_and(|m| m.dispatched) {
        return Ok(Outcome::NothingToResume {
            version: version.to_string(),
        });
    }

    // A real project once shipped tag 0.10.0 whose __version__ still said 0.9.0.
    let paths: Vec<&str> = ctx
        .config
        .version_files
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    let files = snapshot::read_commit(ctx.gh, &commit, &paths).await?;
    let disagreements = files.disagreements(ctx.config, &version);
    if !disagreements.is_empty() {
        let text = messages::tag_disagrees(tag, &commit, &disagreements);
        return stop(
            ctx,
            tracking.as_ref(),
            &progress,
            (&version, tag),
            "tag",
            &text,
        )
        .await;
    }

    let latest =
        ctx.config.images.latest == LatestPolicy::OnTag && moves_latest_now(ctx, &version).await?;
    let notes = read_notes(ctx, tracking.as_ref(), tag).await;
    let tracking = remember_notes_problem(tracking, &notes);
    let mut marker = marker.unwrap_or(ReleaseMarker {
        version: version.to_string(),
        ..ReleaseMarker::default()
    });
    marker.latest = latest;
    let release = match &progress.release {
        Some(existing) => existing.clone(),
        None => {
            let body = messages::release_body(
                ctx.config,
                ctx.repository,
                &version,
                tag,
                &notes,
                latest,
                &marker.line(),
            );
            ctx.gh
                .create_release(&NewRelease {
                    tag_name: tag,
                    target_commitish: &commit,
                    name: &ctx.config.release_title.render(&version),
                    body: &body,
                    draft: true,
                    prerelease: !version.pre.is_empty(),
                })
                .await?
        }
    };

    // Exactly one dispatch per tag: the marker remembers it, and a run already on the tag counts.
    if progress.run.is_none() {
        let inputs =
            serde_json::json!({ "version": version.to_string(), "latest": latest.to_string() });
        let workflow = &ctx.config.images.workflow;
        match ctx.gh.dispatch_workflow(workflow, tag, &inputs).await {
            Ok(()) => {}
            // A missing workflow or one without these inputs is the repository's to fix.
            Err(error) if error.is_not_found() || error.is_unprocessable() => {
                let text = messages::images_workflow_unusable(workflow, tag, &error.to_string());
                return stop(
                    ctx,
                    tracking.as_ref(),
                    &progress,
                    (&version, tag),
                    "images",
                    &text,
                )
                .await;
            }
            Err(error) => return Err(error.into()),
        }
    }
    marker.dispatched = true;
    let body = messages::release_body(
        ctx.config,
        ctx.repository,
        &version,
        tag,
        &notes,
        latest,
        &marker.line(),
    );
    let release = ctx.gh.update_release_body(release.id, &body).await?;

    if let Some(Tracking {
        status: Some(status),
        ..
    }) = &tracking
    {
        // Only the run is new since `progress` was read: one call, not a full re-read.
        let run = ctx
            .gh
            .dispatched_runs(&ctx.config.images.workflow, tag)
            .await?
            .into_iter()
            .next();
        let progress = Progress {
            release: Some(release.clone()),
            tag_commit: Some(commit.clone()),
            run,
            ..progress
        };
        tracking::refresh(ctx.gh, ctx.config, ctx.repository, status, &progress).await?;
    }
    Ok(Outcome::Released {
        version: version.to_string(),
        tag: tag.to_string(),
        release_url: release.html_url,
        latest,
    })
}

/// Whether `version` is the highest stable version among the tags (itself included).
async fn moves_latest_now(ctx: &Context<'_>, version: &Version) -> Result<bool, EngineError> {
    Ok(moves_latest(version, &version_tags(ctx).await?))
}

/// The versions of the repository's version tags.
pub async fn version_tags(ctx: &Context<'_>) -> Result<Vec<Version>, EngineError> {
    Ok(ctx
        .gh
        .matching_refs("tags")
        .await?
        .iter()
        .filter_map(|r| r.name.strip_prefix("refs/tags/"))
        .filter_map(|name| ctx.config.tag.version_from(name))
        .collect())
}

/// The notes document's text, or why it could not be read (a failed fetch never fails the
/// release: the draft says notes are pending).
pub async fn read_notes(
    ctx: &Context<'_>,
    tracking: Option<&Tracking>,
    tag: &str,
) -> Result<String, String> {
    let Some(url) = tracking
        .and_then(|t| t.status.as_ref())
        .and_then(|s| s.marker.notes_url.clone())
    else {
        return Err(
            "no release notes are linked yet: comment `/release notes <url>` on the tracking issue"
                .into(),
        );
    };
    notes_reader::read(ctx.gh, &url, tag, ctx.notes).await
}

/// Keeps a linked document's read failure in the status marker, so the status comment says why.
fn remember_notes_problem(
    tracking: Option<Tracking>,
    notes: &Result<String, String>,
) -> Option<Tracking> {
    let mut tracking = tracking?;
    if let Some(status) = tracking.status.as_mut() {
        status.marker.notes_problem = match notes {
            Err(problem) if status.marker.notes_url.is_some() => Some(problem.clone()),
            _ => None,
        };
    }
    Some(tracking)
}

async fn not_a_version_tag(ctx: &Context<'_>, tag: &str) -> Result<Outcome, EngineError> {
    // Tags that do not even look like versions (`nightly`, `docs-2023`) are none of our business.
    let looks_like_a_version = Version::parse(tag.trim_start_matches(['v', 'V'])).is_ok();
    if !looks_like_a_version {
        return Ok(Outcome::Ignored(format!(
            "tag `{tag}` is not a version tag"
        )));
    }
    let text = messages::tag_not_in_template(tag, ctx.config.tag.as_str());
    tracking::report_problem(ctx.gh, None, &messages::tag_problem_title(tag), &text).await?;
    Ok(Outcome::StepBlocked {
        version: tag.to_string(),
        step: "tag",
    })
}

/// A step that cannot go on: shown in the status comment and reported where people will see it.
async fn stop(
    ctx: &Context<'_>,
    tracking: Option<&Tracking>,
    progress: &Progress,
    (version, tag): (&Version, &str),
    step: &'static str,
    text: &str,
) -> Result<Outcome, EngineError> {
    block(ctx, tracking, progress, step, text).await?;
    tracking::report_problem(ctx.gh, tracking, &messages::tag_problem_title(tag), text).await?;
    Ok(Outcome::StepBlocked {
        version: version.to_string(),
        step,
    })
}

/// Records a blocked step in the status comment, when the release has one.
async fn block(
    ctx: &Context<'_>,
    tracking: Option<&Tracking>,
    progress: &Progress,
    step: &str,
    text: &str,
) -> Result<(), EngineError> {
    if let Some(Tracking {
        status: Some(status),
        ..
    }) = tracking
    {
        let mut status = status.clone();
        status.marker.blocked = Some(Blocked {
            step: step.to_string(),
            what: text.lines().next().unwrap_or(text).to_string(),
            remedy: if step == "images" {
                "Fix the workflow, then comment `/release retry`.".into()
            } else {
                "Fix the version files, move the tag, then comment `/release retry`.".into()
            },
        });
        tracking::refresh(ctx.gh, ctx.config, ctx.repository, &status, progress).await?;
    }
    Ok(())
}

/// The image references a finished build pushed, for messages.
pub fn pushed_images(config: &Config, version: &Version, latest: bool) -> Vec<String> {
    image_refs(config, version, latest)
}
