//! The bot's answer to a command comment, carrying the reply marker that keeps a redelivery
//! from answering again.

use super::outcome::{EngineError, Outcome, Reply};
use crate::event::CommentEvent;
use crate::github::RepoClient;
use crate::messages;

/// Posts the bot's answer to the comment; the reply marker keeps a redelivery from answering again.
pub async fn answer(
    gh: &RepoClient,
    event: &CommentEvent,
    kind: Reply,
    text: &str,
) -> Result<Outcome, EngineError> {
    gh.create_comment(event.issue.number, &messages::reply(event.comment.id, text))
        .await?;
    Ok(Outcome::Answered(kind))
}
