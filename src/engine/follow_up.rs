//! Commands on an issue whose release has started: link the notes, redraw the status.

use semver::Version;

use super::comment_command::answer;
use super::conversation::{Conversation, StatusComment};
use super::outcome::{EngineError, Outcome, Reply};
use super::progress;
use super::release_path::{self, Context};
use super::tracking;
use super::{merged, start_release};
use crate::config::Config;
use crate::event::CommentEvent;
use crate::github::RepoClient;
use crate::messages;

fn version_of(status: &StatusComment) -> Version {
    Version::parse(&status.marker.version).unwrap_or_else(|_| Version::new(0, 0, 0))
}

/// `/release notes <url>`: remember the link; when the draft exists, put the notes in it now.
pub async fn link_notes(
    gh: &RepoClient,
    event: &CommentEvent,
    config: &Config,
    engine: &super::Engine,
    mut status: StatusComment,
    url: String,
) -> Result<Outcome, EngineError> {
    let version = version_of(&status);
    status.marker.notes_url = Some(url.clone());
    status.marker.notes_problem = None;
    let progress = progress::read(gh, config, &version).await?;
    let mut unreadable = None;
    if let Some(release) = progress.release.as_ref().filter(|r| r.draft) {
        let tag = config.tag.render(&version);
        match super::notes_reader::read(gh, &url, &tag, &engine.notes_policy(config)).await {
            Ok(text) => {
                let body = messages::replace_notes(release.body(), &Ok(text));
                if body != release.body() {
                    gh.update_release_body(release.id, &body).await?;
                }
            }
            // The draft keeps what it had; the status comment and a reply say why.
            Err(problem) => {
                status.marker.notes_problem = Some(problem.clone());
                unreadable = Some(problem);
            }
        }
    }
    tracking::refresh(gh, config, &event.repository, &status, &progress).await?;
    if let Some(problem) = unreadable {
        let text = messages::notes_unreadable(&url, &problem);
        return answer(gh, event, Reply::NotesUnreadable, &text).await;
    }
    Ok(Outcome::StatusRefreshed {
        version: version.to_string(),
    })
}

/// `/release status`: redraw the status comment from what GitHub holds now.
pub async fn refresh_status(
    gh: &RepoClient,
    event: &CommentEvent,
    config: &Config,
    status: StatusComment,
) -> Result<Outcome, EngineError> {
    let version = version_of(&status);
    let progress = progress::read(gh, config, &version).await?;
    tracking::refresh(gh, config, &event.repository, &status, &progress).await?;
    Ok(Outcome::StatusRefreshed {
        version: version.to_string(),
    })
}

/// `/release retry`: the first step that failed or is missing, run again.
pub async fn retry(
    gh: &RepoClient,
    event: &CommentEvent,
    conversation: &Conversation,
    config: &Config,
    engine: &super::Engine,
    mut status: StatusComment,
) -> Result<Outcome, EngineError> {
    let version = version_of(&status);
    let progress = progress::read(gh, config, &version).await?;
    let policy = engine.notes_policy(config);
    let ctx = Context {
        gh,
        config,
        repository: &event.repository,
        notes: &policy,
    };
    let tag = config.tag.render(&version);
    if status.marker.cancelled {
        let text = messages::retry_cancelled(&version.to_string());
        return answer(gh, event, Reply::NothingToRetry, &text).await;
    }
    // Whatever blocked the release is looked at afresh.
    status.marker.blocked = None;
    if progress.pull.is_none() || progress.branch_head.is_none() && !progress.merged() {
        return start_release::run(
            gh,
            event,
            conversation,
            config,
            &version.to_string(),
            false,
            None,
        )
        .await;
    }
    if !progress.merged() {
        tracking::refresh(gh, config, &event.repository, &status, &progress).await?;
        return answer(
            gh,
            event,
            Reply::NothingToRetry,
            &messages::waiting_for_merge(),
        )
        .await;
    }
    if progress.tag_commit.is_none() {
        let merge_commit = progress
            .pull
            .as_ref()
            .and_then(|p| p.merge_commit_sha.clone())
            .unwrap_or_default();
        return merged::tag_merge_commit(&ctx, &version, &merge_commit, status, progress).await;
    }
    tracking::refresh(gh, config, &event.repository, &status, &progress).await?;
    let failed_run = progress.run.as_ref().is_some_and(|run| {
        run.status == "completed" && run.conclusion.as_deref() != Some("success")
    });
    if progress.release.is_none() || progress.run.is_none() {
        return release_path::run(&ctx, &tag).await;
    }
    if failed_run {
        let marker = progress.release_marker().unwrap_or_default();
        let inputs = serde_json::json!({ "version": version.to_string(), "latest": marker.latest.to_string() });
        gh.dispatch_workflow(&config.images.workflow, &tag, &inputs)
            .await?;
        let progress = progress::read(gh, config, &version).await?;
        tracking::refresh(gh, config, &event.repository, &status, &progress).await?;
        return Ok(Outcome::Released {
            version: version.to_string(),
            tag,
            release_url: progress.release.map(|r| r.html_url).unwrap_or_default(),
            latest: marker.latest,
        });
    }
    answer(
        gh,
        event,
        Reply::NothingToRetry,
        &messages::nothing_to_retry(&version.to_string()),
    )
    .await
}

/// `/release cancel`: close the pull request, delete the branch, mark the release cancelled.
/// After the tag exists the release is out of the bot's hands.
pub async fn cancel(
    gh: &RepoClient,
    event: &CommentEvent,
    config: &Config,
    mut status: StatusComment,
) -> Result<Outcome, EngineError> {
    let version = version_of(&status);
    let progress = progress::read(gh, config, &version).await?;
    if progress.tag_commit.is_some() || progress.merged() {
        let text = messages::cancel_too_late(&config.tag.render(&version));
        return answer(gh, event, Reply::CancelRefused, &text).await;
    }
    if let Some(pull) = progress.pull.as_ref().filter(|p| p.state == "open") {
        gh.close_pull(pull.number).await?;
    }
    if progress.branch_head.is_some() {
        match gh
            .delete_ref(&format!("heads/{}", config.branch.render(&version)))
            .await
        {
            Ok(()) => {}
            // Already gone: what cancelling wants.
            Err(error) if error.is_unprocessable() || error.is_not_found() => {}
            Err(error) => return Err(error.into()),
        }
    }
    status.marker.cancelled = true;
    let progress = progress::read(gh, config, &version).await?;
    tracking::refresh(gh, config, &event.repository, &status, &progress).await?;
    Ok(Outcome::Cancelled {
        version: version.to_string(),
    })
}
