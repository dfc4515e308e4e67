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
    /// A failed job is run again by a queue (App mode): a failure that waiting may cure is
    /// told to the owner only when the queue gives up, not on the attempt a retry may cure.
    pub retried: bool,
}
