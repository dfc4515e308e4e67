//! A person published the draft. With `latest = "on-publish"`, this is when `:latest` moves to
//! the already-built `<version>` images (dispatched once, no rebuild).

use super::outcome::{EngineError, Outcome};
use super::progress::{self, ReleaseMarker};
use super::release_path::{version_tags, Context};
use crate::config::LatestPolicy;
use crate::event::ReleasePublished;
use crate::latest::moves_latest;

pub async fn run(ctx: &Context<'_>, event: &ReleasePublished) -> Result<Outcome, EngineError> {
    if ctx.config.images.latest != LatestPolicy::OnPublish {
        return Ok(Outcome::Ignored(
            "`latest` moves when the tag is built".into(),
        ));
    }
    let tag = &event.release.tag_name;
    let Some(version) = ctx.config.tag.version_from(tag) else {
        return Ok(Outcome::Ignored(format!("`{tag}` is not a version tag")));
    };
    let Some(release) = progress::find_release(ctx.gh, tag).await? else {
        return Ok(Outcome::Ignored(format!("no release on `{tag}`")));
    };
    let mut marker = ReleaseMarker::find_in(release.body()).unwrap_or(ReleaseMarker {
        version: version.to_string(),
        ..ReleaseMarker::default()
    });
    if marker.promoted {
        return Ok(Outcome::NothingToResume {
            version: version.to_string(),
        });
    }
    let tagged = version_tags(ctx).await?;
    if !moves_latest(&version, &tagged) {
        return Ok(Outcome::Ignored(format!(
            "{version} is not the highest stable version: `latest` stays"
        )));
    }
    let inputs =
        serde_json::json!({ "version": version.to_string(), "latest": "true", "promote": "true" });
    ctx.gh
        .dispatch_workflow(&ctx.config.images.workflow, tag, &inputs)
        .await?;
    marker.promoted = true;
    marker.latest = true;
    let body = match ReleaseMarker::find_in(release.body()) {
        Some(old) => release.body().replace(&old.line(), &marker.line()),
        None => format!("{}\n{}\n", release.body().trim_end(), marker.line()),
    };
    ctx.gh.update_release_body(release.id, &body).await?;
    Ok(Outcome::Released {
        version: version.to_string(),
        tag: tag.clone(),
        release_url: release.html_url,
        latest: true,
    })
}
