//! What every handler of one event needs: the client for the repository, the bot's own login
//! (the only author it trusts), the repository's configuration and the notes policy.

use crate::config::Config;
use crate::event::Repository;
use crate::github::RepoClient;
use crate::notes::NotesPolicy;

pub struct Context<'a> {
    pub gh: &'a RepoClient,
    /// The bot's own login: its comments, markers, pull requests and runs are the only ones
    /// it believes.
    pub me: &'a str,
    pub config: &'a Config,
    pub repository: &'a Repository,
    pub notes: &'a NotesPolicy,
    /// Announcements' secrets and patience.
    pub announce: &'a AnnounceSettings,
    /// A failed job is run again by a queue (App mode): a failure that waiting may cure is
    /// told to the owner only when the queue gives up, not on the attempt a retry may cure.
    pub retried: bool,
}

/// What announcing needs from the process: the `RELEASEBOT_ANNOUNCE_*` variables (read once,
/// when the engine is made, and handed in rather than read deep inside) and how to retry.
#[derive(Clone, Default)]
pub struct AnnounceSettings {
    pub env: std::sync::Arc<std::collections::BTreeMap<String, String>>,
    pub retry: crate::announce::Retry,
    pub client: reqwest::Client,
}

impl AnnounceSettings {
    /// The process environment's announcement variables.
    pub fn from_process() -> Self {
        let env = std::env::vars()
            .filter(|(name, _)| name.starts_with(crate::announce::ENV_PREFIX))
            .collect();
        AnnounceSettings {
            env: std::sync::Arc::new(env),
            ..AnnounceSettings::default()
        }
    }
}
