//! Carrying out the steps after the tag (`[[step]]`) and the gated publication (`[publish]`):
//! each step's intent is written into the draft's marker before its dispatch and its run id
//! after it, so a redelivery finds it recorded and dispatches nothing twice; what is due comes
//! from `steps::next`. When the bot publishes, it runs what follows publication itself: a
//! release published with an Actions token sends no `release` event.

use semver::Version;

use super::context::Context;
use super::conversation::StatusComment;
use super::images_dispatch::version_tags;
use super::outcome::{EngineError, Outcome};
use super::progress::{self, Progress};
use super::release_marker::{now, Dispatch, ReleaseMarker};
use super::stage::{plan, Plan, Stage, Trigger, Unreadable};
use super::steps::{self, StepRun};
use super::{after_publication, tracking};
use crate::config::steps::InputFacts;
use crate::domain::Conclusion;
use crate::event::WorkflowRunCompleted;
use crate::github::models::Release;
use crate::latest::moves_latest;

/// What to dispatch again besides what is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Again<'a> {
    Nothing,
    /// `/release retry`: the failed steps.
    Failed,
    /// `/release retry <step>`: that one.
    One(&'a str),
}

/// Dispatches what is due (and `again`), publishes when `[publish]` says so, and then runs
/// what follows publication. Returns the progress as GitHub holds it afterwards (read again
/// only when something changed).
pub async fn carry_on(
    ctx: &Context<'_>,
    version: &Version,
    progress: Progress,
    status: Option<&mut StatusComment>,
    again: Again<'_>,
) -> Result<Progress, EngineError> {
    if ctx.config.steps.is_empty() && ctx.config.publish.is_none() {
        return Ok(progress);
    }
    let notes_url = status.as_ref().and_then(|s| s.marker.notes_url.clone());
    let Some(published) = advance(ctx, version, &progress, notes_url, again).await? else {
        return Ok(progress);
    };
    let progress = progress::read(ctx.gh, ctx.config, version, ctx.me).await?;
    if let (Some(release), Some(status)) = (published, status) {
        let tag = ctx.config.tag.render(version);
        let facts = (version, tag.as_str(), release.html_url.as_str());
        after_publication::run(ctx, facts, status, &progress, false).await?;
    }
    Ok(progress)
}

/// `Ok(None)`: nothing was done; `Ok(Some(published))`: something was, and the release the bot
/// published, if it did.
async fn advance(
    ctx: &Context<'_>,
    version: &Version,
    progress: &Progress,
    notes_url: Option<String>,
    again: Again<'_>,
) -> Result<Option<Option<Release>>, EngineError> {
    let (Some(mut release), Some(commit)) = (progress.release.clone(), &progress.tag_commit) else {
        return Ok(None);
    };
    // A draft the bot did not make (no marker of its own) is not the bot's to carry on.
    let Some(mut marker) = progress.release_marker().map_err(Unreadable::from)? else {
        return Ok(None);
    };
    let tag = ctx.config.tag.render(version);
    let images_built = matches!(Stage::derive(progress, None), Ok(Stage::Done { .. }));
    let mut states = steps::states(ctx.config, &marker, progress);
    let mut names: Vec<String> = match again {
        Again::Nothing => Vec::new(),
        Again::Failed => steps::failed(ctx.config, &states),
        Again::One(name) => vec![name.to_string()],
    };
    let version_text = version.to_string();
    let notes_url = notes_url.unwrap_or_else(|| release.html_url.clone());
    let facts = InputFacts {
        version: &version_text,
        tag: &tag,
        commit: commit.as_str(),
        notes_url: &notes_url,
    };
    let mut did = false;
    let mut published = None;
    // Publishing makes the steps after `publish` due: at most one more round.
    for _round in 0..2 {
        let due = steps::next(ctx.config, &states, images_built, !release.draft);
        names.extend(due.dispatch);
        if !names.is_empty() {
            release = dispatch(ctx, &tag, &facts, &names, &mut marker, &release).await?;
            for name in names.drain(..) {
                states.insert(name, StepRun::Dispatching);
            }
            did = true;
        }
        if !due.publish {
            break;
        }
        let highest = moves_latest(version, &version_tags(ctx).await?);
        release = ctx.gh.publish_release(release.id, highest).await?;
        published = Some(release.clone());
        did = true;
    }
    Ok(did.then_some(published))
}

/// Records the intent of each named step, dispatches them on the tag, and records their runs.
async fn dispatch(
    ctx: &Context<'_>,
    tag: &str,
    facts: &InputFacts<'_>,
    names: &[String],
    marker: &mut ReleaseMarker,
    release: &Release,
) -> Result<Release, EngineError> {
    let at = now();
    for name in names {
        let intent = match marker.steps.get(name) {
            Some(earlier) => earlier.again(at.clone()),
            None => Dispatch::intended(at.clone()),
        };
        marker.steps.insert(name.clone(), intent);
    }
    // Intent before effect: a job that stops after this never dispatches these again by itself.
    let release = ctx
        .gh
        .update_release_body(release.id, &marker.put_in(release.body()))
        .await?;
    for name in names {
        let Some(step) = ctx.config.steps.iter().find(|s| &s.name == name) else {
            continue;
        };
        let details = ctx
            .gh
            .dispatch_workflow(&step.workflow, tag, &step.render_inputs(facts))
            .await;
        let Some(dispatch) = marker.steps.get_mut(name) else {
            continue;
        };
        match details {
            Ok(Some(details)) => dispatch.run = Some(details.workflow_run_id),
            Ok(None) => dispatch.sent = true,
            // A missing workflow, or one with other inputs, is the repository's to fix: no run
            // was started, and the status says why.
            Err(error) if error.is_not_found() || error.is_unprocessable() => {
                dispatch.refused = Some(error.to_string());
            }
            Err(error) => return Err(error.into()),
        }
    }
    Ok(ctx
        .gh
        .update_release_body(release.id, &marker.put_in(release.body()))
        .await?)
}

/// Whether a completed run is of one of the steps' workflows (dispatched, on a branch or tag).
pub fn is_step_workflow(config: &crate::config::Config, event: &WorkflowRunCompleted) -> bool {
    let file = event.run.path.rsplit('/').next().unwrap_or_default();
    event.run.event == "workflow_dispatch" && config.steps.iter().any(|s| s.workflow == file)
}

/// A step's run completed: when it is the release's own (recorded in the draft's marker), the
/// next steps are dispatched, the release published when its steps succeeded, and the status
/// comment redrawn.
pub async fn finished(
    ctx: &Context<'_>,
    event: &WorkflowRunCompleted,
) -> Result<Outcome, EngineError> {
    let run = &event.run;
    let tag = run.head_branch.clone().unwrap_or_default();
    let Some(version) = ctx.config.tag.version_from(&tag) else {
        return Ok(Outcome::Ignored(format!(
            "run {} is not on a version tag",
            run.id
        )));
    };
    let delivered = progress::Delivered {
        run: Some(run),
        ..Default::default()
    };
    let progress = progress::read_with(ctx.gh, ctx.config, &version, ctx.me, delivered).await?;
    let step = progress
        .step_runs
        .iter()
        .find(|(_, r)| r.id == run.id)
        .map(|(name, _)| name.clone());
    let stage = Stage::derive(&progress, None)?;
    let ours = step.is_some();
    if let Plan::Nothing(why) = plan(&stage, Trigger::StepRunCompleted { ours }) {
        return Ok(Outcome::Ignored(format!("run {}: {why}", run.id)));
    }
    let mut tracking = tracking::find(ctx.gh, ctx.me, &version, &progress).await?;
    let mut status = tracking.as_mut().and_then(|t| t.status.as_mut());
    let progress = carry_on(
        ctx,
        &version,
        progress,
        status.as_deref_mut(),
        Again::Nothing,
    )
    .await?;
    if let Some(status) = status {
        tracking::redraw_if_behind(ctx, status, &progress).await?;
    }
    Ok(Outcome::StepReported {
        version: version.to_string(),
        step: step.unwrap_or_default(),
        success: run.conclusion == Some(Conclusion::Success),
    })
}
