//! Building a release's images again: after a failed build (`/release retry`), or when the tag
//! was moved to another commit than the one built. The intent (replacing the earlier run) is
//! recorded in the draft before the dispatch, and `latest` is decided at this moment.

use semver::Version;

use super::context::Context;
use super::conversation::StatusComment;
use super::images_dispatch::{dispatch_images, version_tags};
use super::outcome::{EngineError, Outcome};
use super::progress::Progress;
use super::release_marker::{now, Dispatch, ReleaseMarker};
use super::stage::Unreadable;
use super::tracking;
use crate::config::LatestPolicy;
use crate::latest::moves_latest;
use crate::messages;

/// Builds the images again: the intent (replacing the failed run) is recorded in the draft
/// before the dispatch, and the new run's id after it.
pub async fn images(
    ctx: &Context<'_>,
    version: &Version,
    status: Option<&StatusComment>,
    progress: Progress,
    failed: crate::domain::RunId,
) -> Result<Outcome, EngineError> {
    let tag = ctx.config.tag.render(version);
    let release = progress
        .release
        .clone()
        .expect("a failed or stale images run belongs to a drafted release");
    let commit = progress
        .tag_commit
        .clone()
        .expect("a failed or stale images run belongs to a tagged release");
    let mut marker = progress
        .release_marker()
        .map_err(Unreadable::from)?
        .unwrap_or_else(|| ReleaseMarker::new(&version.to_string()));
    let previous = marker.images.clone().unwrap_or_else(|| Dispatch {
        intended_at: String::new(),
        run: Some(failed),
        superseded: Vec::new(),
        sent: true,
        refused: None,
    });
    marker.images = Some(previous.again(now()));
    // `latest` is decided now, from the tags as they are: a newer release may have been made
    // since the failed build, and must keep `:latest` and GitHub's Latest badge.
    let highest = moves_latest(version, &version_tags(ctx).await?);
    marker.latest = ctx.config.images.latest == LatestPolicy::OnTag && highest;
    let body = messages::images_listed(
        &marker.put_in(release.body()),
        &ctx.config.images,
        version,
        marker.latest,
    );
    let release = ctx.gh.update_release_body(release.id, &body).await?;
    ctx.gh.set_make_latest(release.id, highest).await?;
    let (run, release) = dispatch_images(ctx, version, (&tag, &commit), marker, &release).await?;
    let progress = Progress {
        release: Some(release),
        run: run.clone(),
        ..progress
    };
    if let Some(status) = status {
        tracking::refresh(ctx.gh, ctx.config, ctx.repository, status, &progress).await?;
    }
    Ok(Outcome::Redispatched {
        version: version.to_string(),
        tag,
        run_url: run.map(|r| r.html_url).unwrap_or_default(),
    })
}
