//! The repository's own packaging workflow makes the release's draft (with its assets) on the
//! tag; releasebot adopts that draft instead of making a second one. Until it exists, the
//! workflow's run on the tag is looked for first (a tag pushed by a person started one) and
//! dispatched only when there is none, or when a person asks again (`/release retry`) after it
//! failed; its failure is shown with a link. Once adopted, the assets are checked before the
//! release goes on: all there, the install script naming the version, `SHA256SUMS` added.

use semver::Version;

use super::assets_check::{self, Packaged};
use super::context::Context;
use super::conversation::StatusComment;
use super::outcome::EngineError;
use super::progress::Progress;
use crate::config::PackagingConfig;
use crate::domain::{RunId, RunState};
use crate::github::models::Release;
use crate::status::PackagingDispatch;

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

/// What to do about the packaging's run on the tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Dispatch,
    Wait(Waiting),
}

/// Pure: from the runs listed on the tag (newest first: id, state, link), whether a person
/// asked again, and our dispatch recorded on this tag (the runs listed when it was sent are
/// not its run). A recorded dispatch whose run is not listed yet is waited for, never sent
/// twice; a person's `/release retry` sends it again unless a run is going.
pub fn decide(
    listed: &[(RunId, RunState, String)],
    again: bool,
    dispatched: Option<&PackagingDispatch>,
) -> Next {
    let fresh = listed
        .iter()
        .find(|(id, ..)| dispatched.is_none_or(|d| !d.replaces.contains(id)));
    match fresh {
        None if dispatched.is_some() && !again => {
            Next::Wait(Waiting::Running { url: String::new() })
        }
        None => Next::Dispatch,
        Some((_, RunState::Running, url)) => Next::Wait(Waiting::Running { url: url.clone() }),
        Some(_) if again => Next::Dispatch,
        Some((_, RunState::Failed { .. }, url)) => Next::Wait(Waiting::Failed { url: url.clone() }),
        Some((_, RunState::Succeeded, url)) => Next::Wait(Waiting::NoDraft { url: url.clone() }),
    }
}

/// The packaging's run on the tag: looked for, and dispatched when there is none, or when
/// `again` (a person's `/release retry`) and the newest is not running. The dispatch is
/// recorded on the status comment (when the release has one) before it is sent.
pub async fn run_on_tag(
    ctx: &Context<'_>,
    packaging: &PackagingConfig,
    tag: &str,
    again: bool,
    status: Option<(&mut StatusComment, &Progress)>,
) -> Result<Waiting, EngineError> {
    let runs = ctx.gh.workflow_runs_on(&packaging.workflow, tag).await?;
    let listed: Vec<_> = runs
        .iter()
        .map(|run| (run.id, run.run_state(), run.html_url.clone()))
        .collect();
    let recorded = status
        .as_ref()
        .and_then(|(s, _)| s.marker.packaging.as_ref())
        .filter(|d| d.tag == tag);
    match decide(&listed, again, recorded) {
        Next::Wait(waiting) => Ok(waiting),
        Next::Dispatch => {
            // The caller's status comment keeps the record, so its next drawing does too.
            if let Some((comment, progress)) = status {
                comment.marker.packaging = Some(PackagingDispatch {
                    tag: tag.to_string(),
                    intended_at: super::release_marker::now(),
                    replaces: runs.iter().map(|run| run.id).collect(),
                });
                super::tracking::refresh(ctx.gh, ctx.config, ctx.repository, comment, progress)
                    .await?;
            }
            let details = ctx
                .gh
                .dispatch_workflow(&packaging.workflow, tag, &serde_json::json!({}))
                .await?;
            let url = details.map(|d| d.html_url).unwrap_or_default();
            Ok(Waiting::Running { url })
        }
    }
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

/// Checks the draft's assets for a release of one of the `accepted` versions; the problems,
/// else `SHA256SUMS` is added when the packaging made none.
pub async fn check_assets(
    ctx: &Context<'_>,
    packaging: &PackagingConfig,
    accepted: &[Version],
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
    let problems = assets_check::problems(packaging, accepted, &packaged);
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

    #[test]
    fn the_packaging_run_is_dispatched_once_and_again_only_when_asked() {
        let failed = RunState::Failed {
            conclusion: crate::domain::Conclusion::Failure,
        };
        let ours = |replaces: Vec<RunId>| PackagingDispatch {
            tag: "0.1.3".into(),
            intended_at: "2026-12-05T12:00:00Z".into(),
            replaces,
        };
        let run = |id, state| (RunId(id), state, format!("run/{id}"));
        let running = |url: &str| Next::Wait(Waiting::Running { url: url.into() });
        let rows: Vec<(&str, Vec<_>, bool, Option<PackagingDispatch>, Next)> = vec![
            (
                "nothing listed, nothing sent",
                vec![],
                false,
                None,
                Next::Dispatch,
            ),
            (
                "ours sent, not listed yet",
                vec![],
                false,
                Some(ours(vec![])),
                running(""),
            ),
            (
                "ours sent, a person asks again",
                vec![],
                true,
                Some(ours(vec![])),
                Next::Dispatch,
            ),
            (
                "a run going",
                vec![run(1, RunState::Running)],
                true,
                None,
                running("run/1"),
            ),
            (
                "failed, not asked",
                vec![run(1, failed)],
                false,
                None,
                Next::Wait(Waiting::Failed {
                    url: "run/1".into(),
                }),
            ),
            (
                "failed, asked again",
                vec![run(1, failed)],
                true,
                None,
                Next::Dispatch,
            ),
            (
                "the retry's run not listed: the failed one is not it",
                vec![run(1, failed)],
                false,
                Some(ours(vec![RunId(1)])),
                running(""),
            ),
            (
                "the retry's run listed",
                vec![run(2, RunState::Running), run(1, failed)],
                false,
                Some(ours(vec![RunId(1)])),
                running("run/2"),
            ),
            (
                "succeeded without a draft",
                vec![run(1, RunState::Succeeded)],
                false,
                None,
                Next::Wait(Waiting::NoDraft {
                    url: "run/1".into(),
                }),
            ),
        ];
        for (name, listed, again, dispatched, expected) in rows {
            assert_eq!(
                decide(&listed, again, dispatched.as_ref()),
                expected,
                "{name}"
            );
        }
    }
}
