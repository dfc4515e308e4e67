//! A person published the release. GitHub's "Latest" badge is checked against the same rule as
//! Docker's `latest` (the highest stable version), since another release may have been tagged
//! since the draft was made. With `latest = "on-publish"`, this is also when `:latest` moves to
//! the already-built `<version>` images: dispatched once (intent recorded first, the marker
//! replaced where it stands), never again on a redelivery. Then what follows publication: the steps
//! after it (`[[step]]`), the merge back and the announcements (`after_publication`).

use super::after_publication;
use super::context::Context;
use super::images_dispatch::version_tags;
use super::outcome::{EngineError, Outcome};
use super::progress::{self, guarded_pick};
use super::release_marker::{now, Dispatch, ReleaseMarker};
use super::stage::Unreadable;
use super::tracking::{self, Tracking};
use crate::config::LatestPolicy;
use crate::event::ReleasePublished;
use crate::latest::moves_latest;

pub async fn run(ctx: &Context<'_>, event: &ReleasePublished) -> Result<Outcome, EngineError> {
    // A QA candidate published as a pre-release is not the release: nothing follows it.
    if super::candidate::is_candidate_release(ctx.config, &event.release) {
        return Ok(Outcome::Ignored(format!(
            "`{}` is a QA candidate, not the release",
            event.release.tag_name
        )));
    }
    let outcome = check_and_promote(ctx, event).await?;
    // Published is a state of its own: the status comment stops saying "a person publishes it".
    let checked = matches!(
        outcome,
        Outcome::PublishedChecked { .. } | Outcome::Promoted { .. }
    );
    if let Some(version) = ctx
        .config
        .tag
        .version_from(&event.release.tag_name)
        .filter(|_| checked)
    {
        let progress = progress::read(ctx.gh, ctx.config, &version, ctx.me).await?;
        if let Some(Tracking {
            status: Some(mut status),
            ..
        }) = tracking::find(ctx.gh, ctx.me, &version, &progress).await?
        {
            // The steps after the publication (`after = ["publish"]`) are due now.
            let again = super::steps_run::Again::Nothing;
            let progress =
                super::steps_run::carry_on(ctx, &version, progress, Some(&mut status), again)
                    .await?;
            // Published: what follows it (merge back, announcements) is due now.
            let release = (
                &version,
                event.release.tag_name.as_str(),
                event.release.html_url.as_str(),
            );
            after_publication::run(ctx, release, &mut status, &progress, false).await?;
            tracking::redraw_if_behind(ctx, &status, &progress).await?;
        }
    }
    Ok(outcome)
}

async fn check_and_promote(
    ctx: &Context<'_>,
    event: &ReleasePublished,
) -> Result<Outcome, EngineError> {
    let tag = &event.release.tag_name;
    let Some(version) = ctx.config.tag.version_from(tag) else {
        return Ok(Outcome::Ignored(format!("`{tag}` is not a version tag")));
    };
    let Some(release) = progress::find_release(ctx.gh, tag).await? else {
        return Ok(Outcome::Ignored(format!("no release on `{tag}`")));
    };
    // A marker a person's edit removed is recovered from the runs the bot dispatched.
    let found = match ReleaseMarker::find_in(release.body()).map_err(Unreadable::from)? {
        Some(marker) => Some(marker),
        None => progress::recover_marker(ctx.gh, ctx.config, &version, ctx.me).await?,
    };
    let Some(mut marker) = found else {
        return Ok(Outcome::Ignored(format!(
            "the release on `{tag}` was not drafted by releasebot"
        )));
    };
    let highest = moves_latest(&version, &version_tags(ctx).await?);

    // GitHub's badge: set where it belongs, withheld where it does not.
    let is_latest = ctx
        .gh
        .latest_release()
        .await?
        .is_some_and(|latest| latest.id == release.id);
    if is_latest != highest {
        ctx.gh.set_make_latest(release.id, highest).await?;
    }

    if ctx.config.images.latest != LatestPolicy::OnPublish || marker.promoted || !highest {
        return Ok(Outcome::PublishedChecked {
            version: version.to_string(),
            latest: highest,
        });
    }
    let workflow = &ctx.config.images.workflow;
    let found = match &marker.promotion {
        // Intended by an earlier delivery that stopped before recording: find that run.
        Some(intent) => {
            let runs = ctx.gh.dispatched_runs(workflow, tag).await?;
            let mut known = intent.clone();
            known
                .superseded
                .extend(marker.images.as_ref().and_then(|d| d.run));
            guarded_pick(runs, Some(&known), ctx.me).map(|run| run.id)
        }
        None => None,
    };
    let run = match found {
        Some(run) => Some(run),
        None => {
            if marker.promotion.is_none() {
                marker.promotion = Some(Dispatch::intended(now()));
                ctx.gh
                    .update_release_body(release.id, &marker.put_in(release.body()))
                    .await?;
            }
            let inputs = serde_json::json!({
                "version": version.to_string(), "latest": "true", "promote": "true"
            });
            ctx.gh
                .dispatch_workflow(workflow, tag, &inputs)
                .await?
                .map(|details| details.workflow_run_id)
        }
    };
    marker.promoted = true;
    marker.latest = true;
    if let Some(promotion) = marker.promotion.as_mut() {
        promotion.run = run;
    }
    // The marker is replaced where it stands, so the intent written since is replaced too.
    ctx.gh
        .update_release_body(release.id, &marker.put_in(release.body()))
        .await?;
    Ok(Outcome::Promoted {
        version: version.to_string(),
        tag: tag.clone(),
        release_url: release.html_url,
    })
}
