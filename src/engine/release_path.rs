//! From a version tag to a draft release and one images build, whoever made the tag: the bot on
//! merge, or a person pushing it. Whichever event arrives second finds the work done.
//!
//! The dispatch cannot be repeated harmlessly, so its intent is written into the draft before it
//! is sent and the run id GitHub hands back after: a crash in between finds the run again by
//! that intent (started by the bot, since the intent), and a person's own run is never ours.

use semver::Version;

use super::context::Context;
use super::images_dispatch::{dispatch_images, version_tags};
use super::outcome::{EngineError, Outcome};
use super::progress::{self, Progress};
use super::release_marker::{now, Dispatch, ReleaseMarker, TagPeel};
use super::release_notes::{self, Gathered};
use super::snapshot;
use super::stage::{plan, Plan, Stage, Trigger, Unreadable};
use super::tracking::{self, Tracking};
use crate::config::LatestPolicy;
use crate::domain::{CommitSha, RunId};
use crate::github::models::NewRelease;
use crate::latest::moves_latest;
use crate::messages;
use crate::status::{Blocked, Step};

/// What the caller read of the release already (in the same job, just before), so the release
/// path does not read it again.
pub struct Known {
    /// The release's state, the tag included.
    pub progress: Progress,
    pub tracking: Option<Tracking>,
    /// The version files at the tag's commit were checked just now (the merge job checks the
    /// merge commit before it tags it).
    pub files_checked: bool,
    /// A person asked again (`/release retry`): the packaging may be dispatched again. A
    /// redelivered merge carries the same plan without asking.
    pub asked_again: bool,
}

/// Handles a tag that appeared (or should be released again after a fix).
pub async fn run(ctx: &Context<'_>, tag: &str) -> Result<Outcome, EngineError> {
    run_known(ctx, tag, None, None).await
}

/// The same, from what the caller already read (`None`: read it all), carrying out the plan
/// the caller decided (`/release retry`, the merge), or else the plan for a tag that appeared.
pub async fn run_known(
    ctx: &Context<'_>,
    tag: &str,
    known: Option<Known>,
    decided: Option<Plan>,
) -> Result<Outcome, EngineError> {
    let Some(version) = ctx.config.tag.version_from(tag) else {
        return not_a_version_tag(ctx, tag).await;
    };
    let again = known.as_ref().is_some_and(|k| k.asked_again);
    let (progress, tracking, files_checked) = match known {
        Some(known) => (known.progress, known.tracking, known.files_checked),
        None => {
            let progress = progress::read(ctx.gh, ctx.config, &version, ctx.me).await?;
            if progress.tag_commit.is_none() {
                return Ok(Outcome::Ignored(format!("tag `{tag}` no longer exists")));
            }
            let tracking = tracking::find(ctx.gh, ctx.me, &version, &progress).await?;
            (progress, tracking, false)
        }
    };
    if progress.tag_commit.is_none() {
        return Ok(Outcome::Ignored(format!("tag `{tag}` no longer exists")));
    }
    // Once tagged, the release goes on whatever the status comment says about cancelling.
    let stage = Stage::derive(&progress, None)?;
    let marker = progress.release_marker().map_err(Unreadable::from)?;
    let due = decided.unwrap_or_else(|| plan(&stage, Trigger::TagAppeared));
    match due {
        Plan::ReleaseTag => {}
        Plan::Redispatch { failed } => {
            let status = tracking.as_ref().and_then(|t| t.status.as_ref());
            return super::rebuild::images(ctx, &version, status, progress, failed).await;
        }
        // The tag's new commit is checked like a new tag's before it is built.
        Plan::RebuildMoved { stale } => {
            let commit = progress.tag_commit.clone().expect("looked at above");
            if let Some(text) = files_disagree(ctx, (tag, &commit), &version, files_checked).await?
            {
                let at = (&version, tag);
                return stop(ctx, tracking.as_ref(), &progress, at, Step::Tag, &text).await;
            }
            let status = tracking.as_ref().and_then(|t| t.status.as_ref());
            return super::rebuild::images(ctx, &version, status, progress, stale).await;
        }
        Plan::Settle => {
            // A run found by the intent alone (a crash right after the dispatch) is recorded.
            if let (Some(run), Some(marker)) = (stage.images_run(), marker) {
                let recorded = marker.images.as_ref().and_then(|d| d.run);
                if recorded != Some(run) {
                    return record_found_run(ctx, &version, tag, marker, run, tracking, progress)
                        .await;
                }
            }
            if let Some(Tracking {
                status: Some(status),
                ..
            }) = &tracking
            {
                tracking::redraw_if_behind(ctx, status, &progress).await?;
            }
            return Ok(Outcome::NothingToResume {
                version: version.to_string(),
            });
        }
        other => return Ok(Outcome::Ignored(format!("tag `{tag}`: {other:?}"))),
    }
    let commit = progress.tag_commit.clone().expect("looked at above");

    // A new tag's version files are checked (once the intent is recorded, they were).
    let checked = files_checked || !matches!(stage, Stage::Tagged { .. });
    if let Some(text) = files_disagree(ctx, (tag, &commit), &version, checked).await? {
        let at = (&version, tag);
        return stop(ctx, tracking.as_ref(), &progress, at, Step::Tag, &text).await;
    }

    // Tags listed before this one was made hold every other version, which is all `latest`
    // and the previous release depend on.
    let tags = match &progress.tag_names {
        Some(names) => names
            .iter()
            .filter_map(|name| ctx.config.tag.version_from(name))
            .collect(),
        None => version_tags(ctx).await?,
    };
    let highest = moves_latest(&version, &tags);
    let link = tracking
        .as_ref()
        .and_then(|t| t.status.as_ref())
        .and_then(|s| s.marker.notes_url.clone());
    let gathered = release_notes::gather(
        ctx,
        link.as_deref(),
        (&version, tag, commit.as_str()),
        &tags,
    )
    .await;
    let tracking = remember_notes(tracking, &gathered);
    // A project whose notes live elsewhere gives the release a link to them instead.
    let notes = match &ctx.config.release_notes {
        Some(pattern) => Ok(pattern.render(&version)),
        None => gathered.text,
    };
    let mut marker = marker.unwrap_or_else(|| ReleaseMarker::new(&version.to_string()));
    if let Some(object) = &progress.tag_object {
        marker.tag = Some(TagPeel {
            object: object.clone(),
            commit: commit.to_string(),
        });
    }
    // Decided for this dispatch, from the tags as they are now: a dispatch sent again later (a
    // retry after a newer release) must not move `latest` back.
    marker.latest = ctx.config.images.latest == LatestPolicy::OnTag && highest;
    if !marker.images_dispatched() {
        // The intent goes into the draft before the dispatch is sent.
        marker.images = Some(Dispatch::intended(now()));
    }
    // The bot's text for a new draft, or below an adopted one's.
    let our_body = messages::release_body(
        ctx.config,
        ctx.repository,
        &version,
        tag,
        &notes,
        marker.latest,
        &marker.line(),
    );
    // A release the bot has not marked yet is read whole where a packaging draft may be
    // adopted: its maker, assets and upload address.
    let found = match (&ctx.config.packaging, &progress.release) {
        (Some(_), Some(r)) if marker_absent(r) => ctx.gh.release(r.id).await?,
        (_, found) => found.clone(),
    };
    let adoptable = |packaging: &crate::config::PackagingConfig| {
        found
            .as_ref()
            .filter(|r| super::packaging::is_adoptable(packaging, r))
    };
    let release = match (&ctx.config.packaging, &found) {
        // The packaging's own draft, not adopted yet: its assets are checked, then the bot's
        // text is added below what it holds.
        (Some(packaging), _) if adoptable(packaging).is_some_and(marker_absent) => {
            let draft = adoptable(packaging).expect("looked at above");
            let problems = super::packaging::check_assets(
                ctx,
                packaging,
                std::slice::from_ref(&version),
                draft,
            )
            .await?;
            if !problems.is_empty() {
                let text = messages::assets_refused(tag, &draft.html_url, &problems);
                let at = (&version, tag);
                let step = Step::DraftRelease;
                return stop(ctx, tracking.as_ref(), &progress, at, step, &text).await;
            }
            let body = super::packaging::adopted_body(draft.body(), &our_body);
            // A title a person gave the draft is theirs; the packaging's default (the tag) is not.
            let title = match draft.name.as_deref() {
                Some(name) if !name.is_empty() && name != tag => name.to_string(),
                _ => ctx.config.release_title.render(&version),
            };
            ctx.gh
                .update_release_text(draft.id, &title, &body, highest)
                .await?
        }
        (Some(packaging), _) if adoptable(packaging).is_none() => {
            let at = (&version, tag);
            return wait_for_packaging(ctx, packaging, tracking.as_ref(), &progress, at, again)
                .await;
        }
        (_, Some(existing)) => {
            let body = marker.put_in(existing.body());
            if body == existing.body() {
                existing.clone()
            } else {
                ctx.gh.update_release_body(existing.id, &body).await?
            }
        }
        (_, None) => {
            ctx.gh
                .create_release(&NewRelease {
                    tag_name: tag,
                    target_commitish: commit.as_str(),
                    name: &ctx.config.release_title.render(&version),
                    body: &our_body,
                    draft: true,
                    prerelease: !version.pre.is_empty(),
                    // GitHub's "Latest" badge follows the same rule as `:latest`: a backport
                    // published later must not take it.
                    make_latest: if highest { "true" } else { "false" },
                })
                .await?
        }
    };

    let latest = marker.latest;
    let (run, release) =
        match dispatch_images(ctx, &version, (tag, &commit), marker, &release).await {
            Ok(done) => done,
            // A missing workflow or one without these inputs is the repository's to fix.
            Err(error) if error.is_not_found() || error.is_unprocessable() => {
                let workflow = &ctx.config.images.workflow;
                let text = messages::images_workflow_unusable(workflow, tag, &error.to_string());
                return stop(
                    ctx,
                    tracking.as_ref(),
                    &progress,
                    (&version, tag),
                    Step::Images,
                    &text,
                )
                .await;
            }
            Err(error) => return Err(error.into()),
        };

    let progress = Progress {
        release: Some(release),
        run,
        ..progress
    };
    // The steps that go with the images (`[[step]]` with no `after`).
    let mut tracking = tracking;
    let status = tracking.as_mut().and_then(|t| t.status.as_mut());
    let again = super::steps_run::Again::Nothing;
    let progress = super::steps_run::carry_on(ctx, &version, progress, status, again).await?;
    released(ctx, tracking.as_ref(), progress, &version, tag, latest).await
}

/// What the version files at the tag's commit say against the version, when they disagree and
/// were not checked already. A real project once shipped tag 0.10.0 whose `__version__` still
/// said 0.9.0.
async fn files_disagree(
    ctx: &Context<'_>,
    (tag, commit): (&str, &CommitSha),
    version: &Version,
    checked: bool,
) -> Result<Option<String>, EngineError> {
    if checked {
        return Ok(None);
    }
    let disagreements = snapshot::disagreements_at(ctx.gh, ctx.config, commit, version).await?;
    Ok((!disagreements.is_empty())
        .then(|| messages::tag_disagrees(tag, commit.as_str(), &disagreements)))
}

/// A draft without the bot's marker has not been adopted yet.
fn marker_absent(release: &crate::github::models::Release) -> bool {
    !release.body().contains("<!-- releasebot:release ")
}

/// No packaging draft on the tag yet: its run is looked for (and dispatched when missing, or
/// again when asked); a failure is shown with its link.
async fn wait_for_packaging(
    ctx: &Context<'_>,
    packaging: &crate::config::PackagingConfig,
    tracking: Option<&Tracking>,
    progress: &Progress,
    (version, tag): (&Version, &str),
    again: bool,
) -> Result<Outcome, EngineError> {
    use super::packaging::Waiting;
    let workflow = &packaging.workflow;
    let mut status = tracking.and_then(|t| t.status.clone());
    let status = status.as_mut().map(|s| (s, progress));
    let text = match super::packaging::run_on_tag(ctx, packaging, tag, again, status).await {
        Ok(Waiting::Running { url }) => {
            return Ok(Outcome::Ignored(format!(
                "tag `{tag}`: waiting for the packaging workflow's draft {url}"
            )))
        }
        Ok(Waiting::Failed { url }) => messages::packaging_failed(workflow, tag, &url),
        Ok(Waiting::NoDraft { url }) => {
            messages::packaging_made_no_draft(workflow, tag, &packaging.made_by, &url)
        }
        Err(EngineError::Api(error)) if error.is_not_found() || error.is_unprocessable() => {
            messages::packaging_workflow_unusable(workflow, tag, &error.to_string())
        }
        Err(error) => return Err(error),
    };
    let at = (version, tag);
    stop(ctx, tracking, progress, at, Step::DraftRelease, &text).await
}

/// Redraws the status comment (when the release has one) from what was just made.
async fn released(
    ctx: &Context<'_>,
    tracking: Option<&Tracking>,
    progress: Progress,
    version: &Version,
    tag: &str,
    latest: bool,
) -> Result<Outcome, EngineError> {
    if let Some(Tracking {
        status: Some(status),
        ..
    }) = tracking
    {
        tracking::refresh(ctx.gh, ctx.config, ctx.repository, status, &progress).await?;
    }
    Ok(Outcome::Released {
        version: version.to_string(),
        tag: tag.to_string(),
        release_url: progress.release.map(|r| r.html_url).unwrap_or_default(),
        latest,
        tagged: false,
    })
}

/// Writes the id of a run found by its intent into the draft, and redraws the status.
async fn record_found_run(
    ctx: &Context<'_>,
    version: &Version,
    tag: &str,
    mut marker: ReleaseMarker,
    run: RunId,
    tracking: Option<Tracking>,
    progress: Progress,
) -> Result<Outcome, EngineError> {
    let release = progress
        .release
        .clone()
        .expect("a run is found from a draft");
    if let Some(dispatch) = marker.images.as_mut() {
        dispatch.run = Some(run);
    }
    let release = ctx
        .gh
        .update_release_body(release.id, &marker.put_in(release.body()))
        .await?;
    let progress = Progress {
        release: Some(release),
        ..progress
    };
    released(
        ctx,
        tracking.as_ref(),
        progress,
        version,
        tag,
        marker.latest,
    )
    .await
}

/// Keeps in the status marker where the notes came from, and why a linked document could not
/// be used, so the status comment says both.
fn remember_notes(tracking: Option<Tracking>, gathered: &Gathered) -> Option<Tracking> {
    let mut tracking = tracking?;
    if let Some(status) = tracking.status.as_mut() {
        status.marker.notes_problem = gathered.link_problem.clone();
        status.marker.notes_from = gathered.from.as_ref().and_then(|f| f.describe());
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
    tracking::report_problem(
        ctx.gh,
        ctx.me,
        None,
        &messages::tag_problem_title(tag),
        &text,
    )
    .await?;
    Ok(Outcome::StepBlocked {
        version: tag.to_string(),
        step: Step::Tag,
    })
}

/// A step that cannot go on: shown in the status comment and reported where people will see it
/// (the owner on the tracking issue, else a new issue).
pub async fn stop(
    ctx: &Context<'_>,
    tracking: Option<&Tracking>,
    progress: &Progress,
    (version, tag): (&Version, &str),
    step: Step,
    text: &str,
) -> Result<Outcome, EngineError> {
    block(ctx, tracking, progress, step, text).await?;
    tracking::report_problem(
        ctx.gh,
        ctx.me,
        tracking,
        &messages::tag_problem_title(tag),
        text,
    )
    .await?;
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
    step: Step,
    text: &str,
) -> Result<(), EngineError> {
    if let Some(Tracking {
        status: Some(status),
        ..
    }) = tracking
    {
        let mut status = status.clone();
        status.marker.blocked = Some(Blocked {
            step,
            what: text.lines().next().unwrap_or(text).to_string(),
            remedy: match step {
                Step::Images => "Fix the workflow, then comment `/release retry`.".into(),
                Step::DraftRelease => {
                    "Fix the packaging (delete its draft when its assets are wrong), then comment `/release retry`."
                        .into()
                }
                _ => "Fix the version files, move the tag, then comment `/release retry`.".into(),
            },
        });
        tracking::refresh(ctx.gh, ctx.config, ctx.repository, &status, progress).await?;
    }
    Ok(())
}
