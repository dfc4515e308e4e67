//! The tracking issue of a release and its status comment, found from the release pull request
//! (its body says "tracked in #N") — the link GitHub itself keeps for us.

use semver::Version;

use super::conversation::{Conversation, StatusComment};
use super::outcome::EngineError;
use super::progress::Progress;
use super::stage::Unreadable;
use crate::config::Config;
use crate::domain::IssueNumber;
use crate::event::Repository;
use crate::github::models::IssueComment;
use crate::github::{ApiError, RepoClient};
use crate::status::StatusMarker;

pub struct Tracking {
    pub issue: IssueNumber,
    pub status: Option<StatusComment>,
}

/// The version a status comment tracks; a marker whose version does not parse is an error,
/// never a release of `0.0.0`.
pub fn version_of(status: &StatusComment) -> Result<Version, Unreadable> {
    Version::parse(&status.marker.version).map_err(|e| Unreadable::NotAVersion {
        value: status.marker.version.clone(),
        problem: e.to_string(),
    })
}

pub async fn find(
    gh: &RepoClient,
    me: &str,
    version: &Version,
    progress: &Progress,
) -> Result<Option<Tracking>, ApiError> {
    let Some(issue) = progress.tracked_issue else {
        return Ok(None);
    };
    // The status comment is among the issue's first: pages are read only until it is found.
    let version = version.to_string();
    let is_status = |c: &IssueComment| {
        c.user.login == me && StatusMarker::find_in(c.body()).is_some_and(|m| m.version == version)
    };
    let found = gh.find_issue_comment(issue, is_status).await?;
    let conversation = Conversation::new(found.into_iter().collect(), me);
    Ok(Some(Tracking {
        issue,
        status: conversation.status_comment(&version),
    }))
}

/// The trigger comment's address, from the status comment's own (same issue page).
pub fn trigger_url(status_url: &str, trigger: u64) -> String {
    let page = status_url.split('#').next().unwrap_or(status_url);
    format!("{page}#issuecomment-{trigger}")
}

/// Re-renders the status comment from GitHub's state; no call when nothing changed is not
/// knowable without reading it, so it is always written.
pub async fn refresh(
    gh: &RepoClient,
    config: &Config,
    repository: &Repository,
    status: &StatusComment,
    progress: &Progress,
) -> Result<(), EngineError> {
    let body = render(config, repository, status, progress)?;
    gh.update_comment(status.id, &body).await?;
    Ok(())
}

/// Redraws the status comment with one step shown failed for this drawing only: a failure the
/// next attempt may cure is not kept in the marker, so the next job's drawing drops it.
pub async fn refresh_showing_failure(
    ctx: &super::Context<'_>,
    status: &StatusComment,
    progress: &Progress,
    (step, failed): (crate::status::Step, crate::status::StepState),
) -> Result<(), EngineError> {
    let mut view = view(ctx.config, ctx.repository, status, progress)?;
    view.set(step, failed);
    ctx.gh.update_comment(status.id, &view.render()).await?;
    Ok(())
}

/// A job that finds its work already done (a retry after a write failed, a redelivery) redraws
/// the status comment when it shows less than GitHub holds; an up-to-date one costs no call.
pub async fn redraw_if_behind(
    ctx: &super::Context<'_>,
    status: &StatusComment,
    progress: &Progress,
) -> Result<(), EngineError> {
    let body = render(ctx.config, ctx.repository, status, progress)?;
    if body != status.body {
        ctx.gh.update_comment(status.id, &body).await?;
    }
    Ok(())
}

fn render(
    config: &Config,
    repository: &Repository,
    status: &StatusComment,
    progress: &Progress,
) -> Result<String, Unreadable> {
    Ok(view(config, repository, status, progress)?.render())
}

fn view(
    config: &Config,
    repository: &Repository,
    status: &StatusComment,
    progress: &Progress,
) -> Result<crate::status::StatusView, Unreadable> {
    super::status_view::view(
        config,
        &repository.html_url,
        &config.merge_into(&repository.default_branch),
        &status.marker,
        &trigger_url(&status.html_url, status.marker.trigger_comment),
        progress,
    )
}

/// Tells people about a release problem: on the tracking issue when there is one, otherwise on
/// a new issue, since a pushed tag has nowhere else to speak. The same text is never posted
/// twice (a tag arrives as both `create` and `push`).
pub async fn report_problem(
    gh: &RepoClient,
    me: &str,
    tracking: Option<&Tracking>,
    title: &str,
    text: &str,
) -> Result<(), ApiError> {
    let (issue, already_said) = match tracking {
        Some(tracking) => (Some(tracking.issue), None),
        None => match gh.open_issue_titled(title).await? {
            Some((number, body)) => (Some(number), Some(body)),
            None => (None, None),
        },
    };
    let Some(issue) = issue else {
        gh.create_issue(title, text).await?;
        return Ok(());
    };
    if already_said.as_deref() == Some(text) {
        return Ok(());
    }
    let comments = gh.issue_comments(issue).await?;
    if comments
        .iter()
        .any(|c| c.user.login == me && c.body() == text)
    {
        return Ok(());
    }
    gh.create_comment(issue, text).await?;
    Ok(())
}
