//! The images workflow finished: when the run is the release's own (its id is in the draft's
//! marker, or it was found by the recorded intent), the status comment and the draft release
//! record the result, and the steps after the images are carried on. A person's own run of the
//! workflow on the tag is not ours. A run of a step's workflow (`[[step]]`) goes to `steps_run`.

use super::context::Context;
use super::outcome::{EngineError, Outcome};
use super::progress;
use super::stage::{plan, Plan, Stage, Trigger, Unreadable};
use super::tracking;
use crate::domain::{Conclusion, StatusState};
use crate::event::WorkflowRunCompleted;

pub async fn run(ctx: &Context<'_>, event: &WorkflowRunCompleted) -> Result<Outcome, EngineError> {
    let run = &event.run;
    let file = run.path.rsplit('/').next();
    if file == Some(ctx.config.smoke.workflow.as_str()) && run.event == "workflow_dispatch" {
        return super::smoke::finished(ctx, run).await;
    }
    // A QA candidate's packaging or images run ended: the candidate goes on.
    if let Some(outcome) = super::candidate::on_run(ctx, run).await? {
        return Ok(outcome);
    }
    // The packaging's run ended: its draft is adopted, or its failure shown.
    if let Some(packaging) = &ctx.config.packaging {
        if file == Some(packaging.workflow.as_str()) {
            let tag = run.head_branch.clone().unwrap_or_default();
            return super::release_path::run(ctx, &tag).await;
        }
    }
    // A workflow after the tag (`[[step]]`) finished.
    if super::steps_run::is_step_workflow(ctx.config, event) {
        return super::steps_run::finished(ctx, event).await;
    }
    let ours = run.path.rsplit('/').next() == Some(ctx.config.images.workflow.as_str());
    if !ours || run.event != "workflow_dispatch" {
        return Ok(Outcome::Ignored(format!(
            "run {} is not an images build",
            run.id
        )));
    }
    let tag = run.head_branch.clone().unwrap_or_default();
    let Some(version) = ctx.config.tag.version_from(&tag) else {
        return Ok(Outcome::Ignored(format!(
            "run {} is not on a version tag",
            run.id
        )));
    };
    let progress = progress::read_with(
        ctx.gh,
        ctx.config,
        &version,
        ctx.me,
        progress::Delivered {
            run: Some(run),
            ..Default::default()
        },
    )
    .await?;
    let stage = Stage::derive(&progress, None)?;
    if let Plan::Nothing(why) = plan(&stage, Trigger::RunCompleted { run: run.id }) {
        return Ok(Outcome::Ignored(format!("run {}: {why}", run.id)));
    }
    let success = run.conclusion == Some(Conclusion::Success);
    if let Some(release) = &progress.release {
        let marker = progress
            .release_marker()
            .map_err(Unreadable::from)?
            .unwrap_or_default();
        let images = ctx.config.images.refs(&version, marker.latest);
        let digests = if success {
            reported_digests(ctx, &tag).await?
        } else {
            Default::default()
        };
        // A marker a person's edit removed is written back with the result.
        let body = crate::messages::record_images(
            &marker.put_in(release.body()),
            &images,
            &digests,
            success,
            &run.html_url,
        );
        if body != release.body() {
            ctx.gh.update_release_body(release.id, &body).await?;
        }
    }
    let mut tracking = tracking::find(ctx.gh, ctx.me, &version, &progress).await?;
    let mut status = tracking.as_mut().and_then(|t| t.status.as_mut());
    // The steps after the images (`[[step]]`), and the publication they gate.
    let progress = if success && (!ctx.config.steps.is_empty() || ctx.config.publish.is_some()) {
        let fresh = progress::read(ctx.gh, ctx.config, &version, ctx.me).await?;
        let again = super::steps_run::Again::Nothing;
        super::steps_run::carry_on(ctx, &version, fresh, status.as_deref_mut(), again).await?
    } else {
        progress
    };
    if let Some(status) = status {
        tracking::refresh(ctx.gh, ctx.config, ctx.repository, status, &progress).await?;
    }
    Ok(Outcome::ImagesReported {
        version: version.to_string(),
        success,
    })
}

/// The digests the images workflow reported as commit statuses on the tag's commit (context
/// `releasebot/image/<image>`, description `sha256:…`), newest first, by image name.
async fn reported_digests(
    ctx: &Context<'_>,
    tag: &str,
) -> Result<std::collections::BTreeMap<String, String>, EngineError> {
    let mut digests = std::collections::BTreeMap::new();
    for status in ctx.gh.commit_statuses(tag).await? {
        let (Some(image), Some(digest)) = (
            status.context.strip_prefix(DIGEST_CONTEXT),
            status.description,
        ) else {
            continue;
        };
        let is_digest = digest
            .strip_prefix("sha256:")
            .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
        let configured = ctx.config.images.images.iter().any(|i| i.name == image);
        if status.state == StatusState::Success && is_digest && configured {
            digests.entry(image.to_string()).or_insert(digest);
        }
    }
    Ok(digests)
}

/// The commit status context prefix the images workflow reports a digest under.
pub const DIGEST_CONTEXT: &str = "releasebot/image/";
