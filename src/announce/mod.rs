//! Announcing a release to where people are (a Slack or Mattermost channel, Discord, a Matrix
//! room, or any service taking JSON): the message from the repository's template, the address
//! and credentials from the environment — never from the repository, whose configuration only
//! names the variables, all under `RELEASEBOT_ANNOUNCE_`.
//!
//! Sending is at most once: a post is retried only on answers that say it was not taken (a
//! 5xx, 429, a refused connection), never after an answer that may have been lost on the way
//! back. Matrix's transaction id makes even that retry safe: the room keeps one message per id.

mod channel;
mod message;
mod send;

pub use channel::{Channel, Request, Target, TargetError};
pub use message::{Facts, MessageTemplate};
pub use send::{send, Retry, SendError};

/// Environment variables an announcement may name start with this, so a repository's
/// configuration cannot point an announcement at another secret of the process.
pub const ENV_PREFIX: &str = "RELEASEBOT_ANNOUNCE_";
