//! What follows a person publishing the release, in order: the released branch merged back
//! (`merge_back`), then the announcements (`[[announce]]`). Run when the publication is
//! delivered, and by `/release retry` for what is left (each part keeps its own record, so a
//! redelivery does nothing twice).

use super::context::Context;
use super::conversation::StatusComment;
use super::outcome::EngineError;
use super::progress::Progress;
use super::{announcing, merge_back, tracking};

pub async fn run(
    ctx: &Context<'_>,
    release: (&semver::Version, &str, &str),
    status: &mut StatusComment,
    progress: &Progress,
    retry: bool,
) -> Result<(), EngineError> {
    if merge_back::run(ctx, release.0, status, retry).await? {
        tracking::refresh(ctx.gh, ctx.config, ctx.repository, status, progress).await?;
    }
    announcing::run(ctx, release, status, progress, retry).await?;
    Ok(())
}
