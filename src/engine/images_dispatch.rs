//! Dispatching the images workflow for a release, and the version tags its `latest` is decided
//! from: shared by the release path (the first build) and rebuilds (after a failure or a moved
//! tag).

use semver::Version;

use super::context::Context;
use super::outcome::EngineError;
use super::progress::guarded_pick;
use super::release_marker::ReleaseMarker;
use crate::domain::CommitSha;
use crate::github::models::{Release, WorkflowRun};
use crate::github::ApiError;

/// Dispatches the images workflow for a draft whose marker already records the intent, then
/// records the run GitHub started (by the id it hands back, else found by the intent).
pub async fn dispatch_images(
    ctx: &Context<'_>,
    version: &Version,
    (tag, commit): (&str, &CommitSha),
    mut marker: ReleaseMarker,
    release: &Release,
) -> Result<(Option<WorkflowRun>, Release), ApiError> {
    let inputs =
        serde_json::json!({ "version": version.to_string(), "latest": marker.latest.to_string() });
    let workflow = &ctx.config.images.workflow;
    let details = ctx.gh.dispatch_workflow(workflow, tag, &inputs).await?;
    let run = match details {
        Some(details) => match details.queued_run(workflow, tag, commit, ctx.me) {
            Some(run) => Some(run),
            None => ctx.gh.workflow_run(details.workflow_run_id).await?,
        },
        // A server without run details: the newest run the bot started since the intent.
        None => {
            let runs = ctx.gh.dispatched_runs(workflow, tag).await?;
            guarded_pick(runs, marker.images.as_ref(), ctx.me)
        }
    };
    if let Some(dispatch) = marker.images.as_mut() {
        match &run {
            Some(found) => dispatch.run = Some(found.id),
            // Accepted, run not listed yet: later events wait for it instead of dispatching.
            None => dispatch.sent = true,
        }
    }
    let release = ctx
        .gh
        .update_release_body(release.id, &marker.put_in(release.body()))
        .await?;
    Ok((run, release))
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
