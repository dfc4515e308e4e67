//! The engine: given one event and what GitHub holds now, do the steps that are due.
//!
//! Every step looks before it acts, so delivering an event twice, or running a job again after
//! a crash, does nothing twice.

mod checks;
mod comment_command;
mod conversation;
mod outcome;
mod snapshot;
mod start_release;

pub use checks::{check_release, Approved, Refusal};
pub use outcome::{EngineError, Outcome, Reply};
pub use snapshot::Snapshot;

use crate::event::{self, Event};
use crate::github::{Connector, RepoClient};

/// Where the repository's own configuration lives, read from its default branch.
pub const CONFIG_PATH: &str = ".github/releasebot.toml";

#[derive(Clone)]
pub struct Engine {
    connector: Connector,
}

impl Engine {
    pub fn new(connector: Connector) -> Self {
        Engine { connector }
    }

    /// Handles one webhook delivery (its `X-GitHub-Event` header and body).
    pub async fn handle_delivery(
        &self,
        event_name: &str,
        body: &[u8],
    ) -> Result<Outcome, EngineError> {
        let event = event::parse(event_name, body)?;
        self.handle(event).await
    }

    pub async fn handle(&self, event: Event) -> Result<Outcome, EngineError> {
        match event {
            Event::Ignored(reason) => Ok(Outcome::Ignored(reason.to_string())),
            Event::CommentCreated(comment) => {
                let octocrab = self
                    .connector
                    .for_installation(comment.installation.as_ref().map(|i| i.id))
                    .await;
                let gh = RepoClient::new(
                    octocrab,
                    comment.repository.owner(),
                    &comment.repository.name,
                );
                comment_command::handle(&gh, &comment).await
            }
            // The release half (merge → tag → images → draft) comes with part 2.
            other => Ok(Outcome::Ignored(format!(
                "no release step handles {:?} yet",
                std::mem::discriminant(&other)
            ))),
        }
    }
}
