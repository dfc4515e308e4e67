//! The engine: given one event and what GitHub holds now, do the steps that are due.
//!
//! Every step looks before it acts, so delivering an event twice, or running a job again after
//! a crash, does nothing twice.

mod after_publication;
mod announcing;
mod answer;
mod assets_check;
mod candidate;
mod checks;
mod comment_command;
mod context;
mod conversation;
mod failure_report;
mod follow_up;
mod images_dispatch;
mod images_done;
mod merge_back;
mod merged;
mod milestone;
mod notes_reader;
mod notes_sync;
mod outcome;
mod packaging;
mod plan_words;
pub mod progress;
mod published;
mod read_plan;
mod rebuild;
pub mod release_marker;
mod release_notes;
mod release_path;
mod smoke;
mod snapshot;
pub mod stage;
mod start_release;
pub mod status_view;
pub mod steps;
mod steps_run;
mod tracking;

pub use assets_check::AssetProblem;
pub use checks::{check_release, Approved, Refusal};
pub use outcome::{EngineError, Outcome, Reply};
pub use snapshot::Snapshot;

use crate::config::Config;
use crate::event::{self, Event};
use crate::github::Connector;
use crate::notes::NotesPolicy;
pub use context::{AnnounceSettings, Context};

/// Where the repository's own configuration lives, read from its default branch.
pub const CONFIG_PATH: &str = ".github/releasebot.toml";

#[derive(Clone)]
pub struct Engine {
    connector: Connector,
    http_notes_on_loopback: bool,
    config_path: String,
    rehearsal: bool,
    retried_by_queue: bool,
    /// The login the bot acts as: given, else named by the first query's `viewer` (without
    /// GraphQL, read once with `GET /app` or `GET /user`).
    login: std::sync::Arc<tokio::sync::OnceCell<String>>,
    /// Each repository's configuration as last read, to plan the next delivery's reads.
    configs: std::sync::Arc<std::sync::Mutex<ConfigMemory>>,
    announce: AnnounceSettings,
}

/// The configurations last read, by repository; forgotten whole when it grows past its bound
/// (a forgotten one costs the next delivery a few REST reads, nothing else).
#[derive(Default)]
struct ConfigMemory(std::collections::HashMap<String, Config>);

impl ConfigMemory {
    const MAX: usize = 10_000;

    fn get(&self, repository: &str) -> Config {
        self.0.get(repository).cloned().unwrap_or_default()
    }

    fn remember(&mut self, repository: &str, config: &Config) {
        if self.0.len() >= Self::MAX && !self.0.contains_key(repository) {
            self.0.clear();
        }
        self.0.insert(repository.to_string(), config.clone());
    }
}

impl Engine {
    pub fn new(connector: Connector) -> Self {
        Engine {
            connector,
            http_notes_on_loopback: false,
            config_path: CONFIG_PATH.to_string(),
            rehearsal: false,
            retried_by_queue: false,
            login: std::sync::Arc::new(tokio::sync::OnceCell::new()),
            configs: Default::default(),
            announce: AnnounceSettings::from_process(),
        }
    }

    /// Announcements read their secrets from these variables, and retry so, instead of the
    /// process environment's (a test's receiver, say).
    pub fn with_announcements(
        mut self,
        env: std::collections::BTreeMap<String, String>,
        retry: crate::announce::Retry,
    ) -> Self {
        self.announce.env = std::sync::Arc::new(env);
        self.announce.retry = retry;
        self
    }

    pub(crate) fn announce_settings(&self) -> &AnnounceSettings {
        &self.announce
    }

    /// The login the bot acts as, when the caller knows it (the Actions token is
    /// `github-actions[bot]`, and GitHub will not say so itself).
    pub fn with_login(mut self, login: &str) -> Self {
        self.login = std::sync::Arc::new(tokio::sync::OnceCell::from(login.to_string()));
        self
    }

    /// Only comments, pull requests, markers and runs by this login are the bot's own.
    pub async fn own_login(&self) -> Result<String, EngineError> {
        self.login
            .get_or_try_init(|| self.connector.own_login())
            .await
            .cloned()
            .map_err(|error| match error.status() {
                // The token has no user to name (403), or the App cannot be found: waiting
                // will not tell either. A rate limit's 403 is waited out like any other.
                Some(403 | 404) if !error.is_rate_limited() => {
                    EngineError::Identity(error.to_string())
                }
                _ => EngineError::Api(error),
            })
    }

    fn remembered_config(&self, repository: &str) -> Config {
        let memory = self.configs.lock().unwrap_or_else(|p| p.into_inner());
        memory.get(repository)
    }

    /// The repository's configuration from its file's text (none: the default), remembered to
    /// plan the repository's next delivery's reads when it is valid.
    pub(crate) fn load_config(
        &self,
        repository: &str,
        text: Option<&str>,
    ) -> Result<Config, crate::config::ConfigErrors> {
        let config = Config::load(text)?;
        let mut memory = self.configs.lock().unwrap_or_else(|p| p.into_inner());
        memory.remember(repository, &config);
        Ok(config)
    }

    /// Reads the repository's configuration from another path than `.github/releasebot.toml`.
    pub fn with_config_path(mut self, path: &str) -> Self {
        self.config_path = path.trim_start_matches('/').to_string();
        self
    }

    pub(crate) fn config_path(&self) -> &str {
        &self.config_path
    }

    /// Changes nothing on GitHub but its answers: `/release <version>` answers with the plan as
    /// `--dry-run` would, commands that would change a release are answered with why not, and
    /// events other than comments are left alone (the Action's `dry-run` input).
    pub fn rehearsing(mut self) -> Self {
        self.rehearsal = true;
        self
    }

    pub(crate) fn is_rehearsal(&self) -> bool {
        self.rehearsal
    }

    /// Failed jobs are run again by a queue, which tells the issue when it gives up
    /// (`report_permanent_failure`): a transient failure is not told on every attempt.
    pub fn retried_by_queue(mut self) -> Self {
        self.retried_by_queue = true;
        self
    }

    pub(crate) fn is_retried_by_queue(&self) -> bool {
        self.retried_by_queue
    }

    /// Lets notes documents be read over plain HTTP from 127.0.0.1 (for local rehearsals and
    /// tests, where the document server has no certificate). Off by default.
    pub fn allowing_http_notes_on_loopback(mut self) -> Self {
        self.http_notes_on_loopback = true;
        self
    }

    pub(crate) fn notes_policy(&self, config: &Config) -> NotesPolicy {
        NotesPolicy {
            max_bytes: config.notes.max_bytes,
            timeout: std::time::Duration::from_secs(config.notes.timeout_secs),
            allowed_hosts: config.notes.allowed_hosts.clone(),
            allow_http_loopback: self.http_notes_on_loopback,
            allowed_addresses: config.notes.allowed_addresses.clone(),
        }
    }

    /// After a 401: the next call for this installation fetches a fresh token.
    pub async fn forget_token(&self, installation: u64) {
        self.connector.forget_token(installation).await;
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
        let Some((repository, installation)) = event.target() else {
            if let Event::Ignored(reason) = event {
                return Ok(Outcome::Ignored(reason.to_string()));
            }
            return Ok(Outcome::Ignored("no repository".into()));
        };
        let gh = self
            .connector
            .repo_client(installation, repository.owner(), &repository.name)
            .await?;
        // What the job will read, read in one query (the bot's login too, the first time).
        let expected = self.remembered_config(&repository.full_name);
        let plan = read_plan::for_event(
            &event,
            &expected,
            &self.config_path,
            self.login.get().map(String::as_str),
            self.rehearsal,
        );
        gh.prefetch(&plan).await?;
        if let Some(login) = gh.prefetched_viewer() {
            // Set once; a login already known stays.
            let _ = self.login.set(login);
        }
        let me = self.own_login().await?;
        // Each handler's future is boxed: together they are large (every step a release can
        // take), and a future on the stack of a runtime's thread would grow with each new step.
        if let Event::CommentCreated(comment) = &event {
            return Box::pin(comment_command::handle(&gh, comment, self)).await;
        }
        if self.rehearsal {
            return Ok(Outcome::Ignored(
                "a dry run acts on comments only; nothing was changed".into(),
            ));
        }
        // The bot's own tag was made by the merge's job, which goes on to the release path
        // itself (and is retried as a whole when it fails): its `create` and `push` have nothing
        // left to do, so they read nothing.
        if let Event::TagCreated(created) = &event {
            if created.sender == me {
                return Ok(Outcome::Ignored(format!(
                    "tag `{}` was made by releasebot, whose merge job releases it",
                    created.tag
                )));
            }
        }
        let text = gh
            .file_text(&self.config_path, &repository.default_branch)
            .await?;
        let config = match self.load_config(&repository.full_name, text.as_deref()) {
            Ok(config) => config,
            // Only a comment can be answered; other events wait for the file to be fixed.
            Err(problems) => {
                return Ok(Outcome::Ignored(format!(
                    "{} is invalid: {problems}",
                    self.config_path
                )))
            }
        };
        let notes = self.notes_policy(&config);
        let ctx = Context {
            gh: &gh,
            me: &me,
            config: &config,
            repository,
            notes: &notes,
            announce: &self.announce,
            retried: self.retried_by_queue,
        };
        match &event {
            Event::PullRequestClosed(closed) => Box::pin(merged::run(&ctx, closed)).await,
            Event::PullRequestSynchronized(pushed) => Box::pin(smoke::pushed(&ctx, pushed)).await,
            Event::PullRequestReopened(reopened) => Box::pin(smoke::reopened(&ctx, reopened)).await,
            Event::TagCreated(created) => Box::pin(release_path::run(&ctx, &created.tag)).await,
            Event::WorkflowRunCompleted(completed) => {
                Box::pin(images_done::run(&ctx, completed)).await
            }
            Event::ReleasePublished(published) => Box::pin(published::run(&ctx, published)).await,
            Event::CommentCreated(_) | Event::Ignored(_) => unreachable!("handled above"),
        }
    }
}
