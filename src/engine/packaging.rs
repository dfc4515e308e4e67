//! The repository's own packaging workflow makes the release's draft (with its assets) on the
//! tag; releasebot adopts that draft instead of making a second one. Until it exists, the
//! workflow's run on the tag is looked for first (a tag pushed by a person started one) and
//! dispatched only when there is none, or when a person asks again (`/release retry`) after it
//! failed; its failure is shown with a link. Once adopted, the assets are checked before the
//! release goes on: all there, the install script naming the version, `SHA256SUMS` added.

use semver::Version;

use super::assets_check::{self, Packaged};
use super::context::Context;
use super::outcome::EngineError;
use crate::config::PackagingConfig;
use crate::domain::RunState;
use crate::github::models::Release;

/// Where the packaging stands while the tag has no draft yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Waiting {
    /// Its run is queued or running (or was just dispatched): its draft comes when it ends.
    Running { url: String },
    /// Its run failed: a person looks, then asks again.
    Failed { url: String },
    /// Its run succeeded without a draft by the configured identity on the tag.
    NoDraft { url: String },
}

/// The packaging's run on the tag: looked for, and dispatched when there is none, or when
/// `again` (a person's `/release retry`) and the newest is not running.
pub async fn run_on_tag(
    ctx: &Context<'_>,
    packaging: &PackagingConfig,
    tag: &str,
    again: bool,
) -> Result<Waiting, crate::github::ApiError> {
    let runs = ctx.gh.workflow_runs_on(&packaging.workflow, tag).await?;
    let newest = runs.first();
    let running = newest.is_some_and(|run| run.run_state() == RunState::Running);
    if newest.is_none() || (again && !running) {
        let details = ctx
            .gh
            .dispatch_workflow(&packaging.workflow, tag, &serde_json::json!({}))
            .await?;
        let url = details.map(|d| d.html_url).unwrap_or_default();
        return Ok(Waiting::Running { url });
    }
    let run = newest.expect("looked at above");
    let url = run.html_url.clone();
    Ok(match run.run_state() {
        RunState::Running => Waiting::Running { url },
        RunState::Failed { .. } => Waiting::Failed { url },
        RunState::Succeeded => Waiting::NoDraft { url },
    })
}

/// Whether the release on the tag is the packaging's draft (by its identity), or one the bot
/// adopted (or made) already: its marker is in the body.
pub fn is_adoptable(packaging: &PackagingConfig, release: &Release) -> bool {
    let by_packaging = release
        .author
        .as_ref()
        .is_some_and(|a| a.login == packaging.made_by);
    let adopted = release.body().contains("<!-- releasebot:release ");
    adopted || (release.draft && by_packaging)
}

/// The adopted draft's body: what the packaging (or a person since) wrote, kept, then the
/// bot's notes, images and marker.
pub fn adopted_body(existing: &str, ours: &str) -> String {
    if existing.trim().is_empty() {
        ours.to_string()
    } else {
        format!("{}\n\n{ours}", existing.trim_end())
    }
}

/// Checks the draft's assets for `version`; the problems, else `SHA256SUMS` is added when the
/// packaging made none.
pub async fn check_assets(
    ctx: &Context<'_>,
    packaging: &PackagingConfig,
    version: &Version,
    release: &Release,
) -> Result<Vec<assets_check::AssetProblem>, EngineError> {
    let listed = ctx.gh.release_assets(release.id).await?;
    let add_sums =
        packaging.checksums && !listed.iter().any(|a| a.name == PackagingConfig::CHECKSUMS);
    // Only what is checked or summed is downloaded.
    let mut packaged = Vec::new();
    for asset in &listed {
        let read = add_sums || packaging.version_asset.as_deref() == Some(asset.name.as_str());
        let data = if read {
            ctx.gh.download_asset(asset.id).await?
        } else {
            Vec::new()
        };
        packaged.push(Packaged {
            name: asset.name.clone(),
            data,
        });
    }
    let problems = assets_check::problems(packaging, version, &packaged);
    if problems.is_empty() && assets_check::needs_checksums(packaging, &packaged) {
        let sums = assets_check::sha256sums(&packaged);
        ctx.gh
            .upload_asset(
                &release.upload_url,
                PackagingConfig::CHECKSUMS,
                sums.into_bytes(),
            )
            .await?;
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packaged_body_is_kept_above_the_bots_text() {
        assert_eq!(adopted_body("", "notes\n"), "notes\n");
        assert_eq!(
            adopted_body("Packaged by CI.\n\n", "notes\n"),
            "Packaged by CI.\n\nnotes\n"
        );
    }
}
