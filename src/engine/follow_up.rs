//! Commands on an issue whose release has started: link the notes, redraw the status.

use semver::Version;

use super::comment_command::answer;
use super::conversation::StatusComment;
use super::outcome::{EngineError, Outcome, Reply};
use super::progress;
use super::tracking;
use crate::config::Config;
use crate::event::CommentEvent;
use crate::github::RepoClient;
use crate::messages;
use crate::notes;

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
    let progress = progress::read(gh, config, &version).await?;
    tracking::refresh(gh, config, &event.repository, &status, &progress).await?;
    if let Some(release) = progress.release.as_ref().filter(|r| r.draft) {
        match notes::fetch(&url, &engine.notes_policy(config)).await {
            Ok(text) => {
                let body = messages::replace_notes(release.body(), &Ok(text));
                if body != release.body() {
                    gh.update_release_body(release.id, &body).await?;
                }
            }
            // The draft keeps what it had; the person learns why and can try another link.
            Err(problem) => {
                let text = messages::notes_unreadable(&url, &problem.to_string());
                return answer(gh, event, Reply::NotesUnreadable, &text).await;
            }
        }
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
