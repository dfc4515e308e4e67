//! The images workflow finished: the status comment and the draft release record the result.

use super::outcome::{EngineError, Outcome};
use super::progress::{self, ReleaseMarker};
use super::release_path::{pushed_images, Context};
use super::tracking;
use crate::event::WorkflowRunCompleted;

pub async fn run(ctx: &Context<'_>, event: &WorkflowRunCompleted) -> Result<Outcome, EngineError> {
    let run = &event.run;
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
    let progress = progress::read(ctx.gh, ctx.config, &version).await?;
    // A newer run on the same tag (a retry) decides; an older one's news is stale.
    if progress
        .run
        .as_ref()
        .is_some_and(|newest| newest.id != run.id)
    {
        return Ok(Outcome::Ignored(format!("run {} was superseded", run.id)));
    }
    let success = run.conclusion.as_deref() == Some("success");
    if let Some(release) = &progress.release {
        let marker = ReleaseMarker::find_in(release.body()).unwrap_or_default();
        let images = pushed_images(ctx.config, &version, marker.latest);
        let body = crate::messages::record_images(release.body(), &images, success, &run.html_url);
        if body != release.body() {
            ctx.gh.update_release_body(release.id, &body).await?;
        }
    }
    if let Some(tracking) = tracking::find(ctx.gh, &version, &progress).await? {
        if let Some(status) = &tracking.status {
            tracking::refresh(ctx.gh, ctx.config, ctx.repository, status, &progress).await?;
        }
    }
    Ok(Outcome::ImagesReported {
        version: version.to_string(),
        success,
    })
}
