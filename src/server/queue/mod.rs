//! The durable delivery queue. A delivery is committed here before the webhook is answered;
//! workers claim jobs under a lease, so a crash at any point leaves the job to be claimed again
//! once the lease runs out. Jobs of one repository run in order; different repositories may run
//! side by side. Failed jobs come back after an exponential back-off with jitter, and after the
//! last attempt stay as `dead` with their error.
//!
//! Two backends keep one behaviour: SQLite (embedded, one process: `sqlite.rs`) and PostgreSQL
//! (shared by several replicas: `postgres.rs`). Both keep a table of repository *heads* — each
//! repository's earliest unfinished job — maintained in the same transactions as the jobs, so a
//! claim looks at one row per repository with work, never at the backlog behind them.
//!
//! Every claim carries a fresh token (the row's claim counter), and a result is recorded only
//! by the holder of the job's latest claim: a worker whose lease ran out while another took the
//! job over is fenced off, so one delivery never has two results.

pub mod postgres;
pub mod sqlite;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use sqlite::{FileIdentity, SqliteLock};

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    // Not a `source`: the message says it, and an error chain would say it again.
    #[error("the queue database {path} cannot be opened: {cause}")]
    Open {
        path: String,
        cause: rusqlite::Error,
    },
    #[error("the queue database failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the queue database {path} was {what} while the server ran: deliveries cannot be stored; restore it or restart the server (it makes a new one)")]
    Gone { path: String, what: &'static str },
    #[error("the queue database {path} is in use by another releasebot serve: SQLite serves one process; to run several replicas, give them one PostgreSQL database (RELEASEBOT_DATABASE=postgres://user:password@host/dbname)")]
    InUse { path: String },
    #[error("the PostgreSQL queue at {at} cannot be used: {cause}")]
    Connect { at: String, cause: String },
    #[error("the PostgreSQL queue failed: {0}")]
    Postgres(String),
    /// A queue call run on another thread panicked (the caller reports it; the queue is intact,
    /// since the database rolls back what the call had not committed).
    #[error("a queue call panicked: {0}")]
    Panicked(String),
}

impl From<tokio_postgres::Error> for QueueError {
    fn from(error: tokio_postgres::Error) -> Self {
        // `Display` of a server error is only "db error"; its detail says what went wrong.
        let detail = match error.as_db_error() {
            Some(db) => format!("{}: {}", db.code().code(), db.message()),
            // "error connecting to server" alone does not say why: its source does.
            None => match std::error::Error::source(&error) {
                Some(cause) => format!("{error}: {cause}"),
                None => error.to_string(),
            },
        };
        QueueError::Postgres(detail)
    }
}

impl From<deadpool_postgres::PoolError> for QueueError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        match error {
            deadpool_postgres::PoolError::Backend(error) => error.into(),
            other => QueueError::Postgres(other.to_string()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enqueued {
    New,
    /// A redelivery (same `X-GitHub-Delivery`) of a job that had gone dead: queued again with
    /// the new body and fresh attempts, behind the repository's waiting jobs. This is how a
    /// person retries a delivery once its cause is fixed (GitHub's "Redeliver").
    Revived,
    /// A redelivery of a job queued, running or done: nothing added.
    Duplicate,
}

/// What one batch did: each delivery's fate, and whether a repository that had no work got
/// some (so idle workers are worth waking; a delivery queued behind others is not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub results: Vec<Enqueued>,
    pub new_work: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub seq: i64,
    pub delivery_id: String,
    pub event: String,
    pub repo: String,
    pub body: Vec<u8>,
    pub attempts: u32,
    pub received_ms: i64,
    /// This claim's token: only its holder may record the job's result.
    pub claim_token: i64,
}

/// Whether a result was recorded: only the holder of a job's latest claim has a say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fenced {
    /// The claim was still the job's: the result is recorded.
    Held,
    /// The lease ran out and the job was claimed again (or freed): nothing was recorded.
    Stale,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterFailure {
    RetryAt(i64),
    Dead,
    /// The claim was no longer the job's: nothing was recorded.
    Stale,
}

/// How failures are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base: Duration,
    pub cap: Duration,
    /// The least a job waits after GitHub's secondary rate limit, with or without `retry-after`
    /// (GitHub: "wait at least one minute").
    pub secondary_limit_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base: Duration::from_secs(2),
            cap: Duration::from_secs(15 * 60),
            secondary_limit_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Delay before attempt `attempts + 1`: base·2^(attempts−1), capped, with up to 25% jitter
    /// so that jobs failing together do not come back together. `jitter` is in [0, 1).
    pub fn delay(&self, attempts: u32, jitter: f64) -> Duration {
        let exponent = attempts.saturating_sub(1).min(30);
        let raw = self.base.saturating_mul(1u32 << exponent).min(self.cap);
        raw.mul_f64(1.0 + 0.25 * jitter.clamp(0.0, 1.0))
    }
}

/// A verified delivery on its way into the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub delivery_id: String,
    pub event: String,
    /// `owner/name`, the key that orders jobs; empty for events without a repository.
    pub repo: String,
    /// The body, compressed (see `pack`).
    packed: Vec<u8>,
    pub received_ms: i64,
}

impl NewDelivery {
    /// Compresses the body here, on the caller's thread, not on the queue's one writer.
    pub fn new(delivery_id: &str, event: &str, repo: &str, body: &[u8], received_ms: i64) -> Self {
        NewDelivery {
            delivery_id: delivery_id.to_string(),
            event: event.to_string(),
            repo: repo.to_string(),
            packed: pack(body),
            received_ms,
        }
    }
}

/// Webhook JSON shrinks to about a quarter with LZ4, which cuts what the writer puts through
/// the log and the checkpoint copies again: the cost that bounds how fast deliveries are stored.
pub fn pack(body: &[u8]) -> Vec<u8> {
    lz4_flex::compress_prepend_size(body)
}

/// The body as it came, from what is stored under `encoding`.
fn unpack(encoding: &str, stored: Vec<u8>) -> Result<Vec<u8>, String> {
    match encoding {
        "lz4" => lz4_flex::decompress_size_prepended(&stored).map_err(|error| error.to_string()),
        _ => Ok(stored),
    }
}

fn fenced(rows_changed: u64) -> Fenced {
    if rows_changed == 1 {
        Fenced::Held
    } else {
        Fenced::Stale
    }
}

/// How many jobs are in each state, for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub queued: u64,
    pub claimed: u64,
    pub done: u64,
    pub dead: u64,
}

impl Counts {
    /// Adds `n` jobs in the state a backend's table names `state` (the one mapping both use).
    pub fn add(&mut self, state: &str, n: u64) {
        match JobState::from_db(state) {
            Some(JobState::Queued) => self.queued = n,
            Some(JobState::Claimed) => self.claimed = n,
            Some(JobState::Done) => self.done = n,
            Some(JobState::Dead) | None => self.dead = n,
        }
    }
}

/// Where a job stands, as the queue's table holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Queued,
    Claimed,
    Done,
    Dead,
}

impl JobState {
    /// The table's word for it.
    pub fn as_db(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Claimed => "claimed",
            JobState::Done => "done",
            JobState::Dead => "dead",
        }
    }

    pub fn from_db(state: &str) -> Option<JobState> {
        [
            JobState::Queued,
            JobState::Claimed,
            JobState::Done,
            JobState::Dead,
        ]
        .into_iter()
        .find(|s| s.as_db() == state)
    }
}

/// A state a job ends in: `finish` takes only these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Final {
    Done,
    Dead,
}

impl Final {
    pub fn as_db(self) -> &'static str {
        match self {
            Final::Done => JobState::Done.as_db(),
            Final::Dead => JobState::Dead.as_db(),
        }
    }
}

/// Where the queue lives, from `RELEASEBOT_DATABASE`: a `postgres://` (or `postgresql://`)
/// URL, or else a SQLite file path.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Database {
    pub fn parse(setting: &str) -> Database {
        if setting.starts_with("postgres://") || setting.starts_with("postgresql://") {
            Database::Postgres(setting.to_string())
        } else {
            Database::Sqlite(PathBuf::from(setting))
        }
    }
}

/// Shown in logs and errors: the password never is.
impl std::fmt::Display for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "{}", path.display()),
            Database::Postgres(url) => f.write_str(&postgres::without_password(url)),
        }
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Database({self})")
    }
}

/// The queue as the server uses it: the same calls whichever backend holds it. SQLite calls
/// run on the blocking pool behind one connection; PostgreSQL calls go through a pool.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Sqlite {
        queue: Arc<Mutex<sqlite::SqliteQueue>>,
        /// The webhook's writer opens its own connection to the same file.
        path: PathBuf,
    },
    Postgres(Box<postgres::PgQueue>),
}

/// Where the webhook's writer commits deliveries.
pub enum Writes<'a> {
    Sqlite(&'a std::path::Path),
    Postgres(&'a postgres::PgQueue),
}

impl Store {
    /// Opens (creating and migrating) the queue. `connections` bounds a PostgreSQL pool.
    pub async fn open(database: &Database, connections: usize) -> Result<Store, QueueError> {
        let backend = match database {
            Database::Sqlite(path) => {
                let opening = path.clone();
                let queue =
                    tokio::task::spawn_blocking(move || sqlite::SqliteQueue::open(&opening))
                        .await
                        .map_err(|error| QueueError::Panicked(error.to_string()))??;
                Backend::Sqlite {
                    queue: Arc::new(Mutex::new(queue)),
                    path: path.clone(),
                }
            }
            Database::Postgres(url) => {
                Backend::Postgres(Box::new(postgres::PgQueue::open(url, connections).await?))
            }
        };
        Ok(Store { backend })
    }

    /// Where the webhook's writer commits.
    pub fn writes(&self) -> Writes<'_> {
        match &self.backend {
            Backend::Sqlite { path, .. } => Writes::Sqlite(path),
            Backend::Postgres(queue) => Writes::Postgres(queue),
        }
    }

    /// PostgreSQL: wakes `wake`'s waiters whenever any replica gives a repository runnable
    /// work. SQLite has one process, whose writer wakes the workers itself.
    pub fn listen(&self, wake: Arc<tokio::sync::Notify>) -> Option<tokio::task::JoinHandle<()>> {
        match &self.backend {
            Backend::Sqlite { .. } => None,
            Backend::Postgres(queue) => Some(queue.listen(wake)),
        }
    }

    async fn sqlite<T: Send + 'static>(
        queue: &Arc<Mutex<sqlite::SqliteQueue>>,
        call: impl FnOnce(&mut sqlite::SqliteQueue) -> Result<T, QueueError> + Send + 'static,
    ) -> Result<T, QueueError> {
        let queue = Arc::clone(queue);
        tokio::task::spawn_blocking(move || {
            // A call that panicked left nothing half-written (SQLite rolled it back).
            let mut queue = queue.lock().unwrap_or_else(|e| e.into_inner());
            call(&mut queue)
        })
        .await
        .map_err(|error| QueueError::Panicked(error.to_string()))?
    }

    pub async fn enqueue_batch(&self, batch: Vec<NewDelivery>) -> Result<Stored, QueueError> {
        match &self.backend {
            Backend::Sqlite { queue: q, .. } => {
                Self::sqlite(q, move |q| q.enqueue_batch(&batch)).await
            }
            Backend::Postgres(q) => q.enqueue_batch(&batch).await,
        }
    }

    pub async fn enqueue(
        &self,
        delivery_id: &str,
        event: &str,
        repo: &str,
        body: &[u8],
        now_ms: i64,
    ) -> Result<Enqueued, QueueError> {
        let delivery = NewDelivery::new(delivery_id, event, repo, body, now_ms);
        Ok(self.enqueue_batch(vec![delivery]).await?.results.remove(0))
    }

    /// The oldest runnable job, claimed until `now + lease`. A job is runnable when it is its
    /// repository's head, due, and not claimed (or its claim expired: a crashed worker).
    pub async fn claim(&self, now_ms: i64, lease: Duration) -> Result<Option<Job>, QueueError> {
        match &self.backend {
            Backend::Sqlite { queue: q, .. } => {
                Self::sqlite(q, move |q| q.claim(now_ms, lease)).await
            }
            Backend::Postgres(q) => q.claim(now_ms, lease).await,
        }
    }

    /// Records that the job succeeded.
    pub async fn complete(&self, job: &Job) -> Result<Fenced, QueueError> {
        self.finish(job, Final::Done, None).await
    }

    /// Marks a job dead at once: it can never succeed as it is.
    pub async fn give_up(&self, job: &Job, error: &str) -> Result<Fenced, QueueError> {
        self.finish(job, Final::Dead, Some(error)).await
    }

    /// Records a failed attempt: back to the queue after the policy's delay, or dead.
    pub async fn fail(
        &self,
        job: &Job,
        error: &str,
        now_ms: i64,
        policy: &RetryPolicy,
        jitter: f64,
    ) -> Result<AfterFailure, QueueError> {
        let (fenced, after) = if job.attempts >= policy.max_attempts {
            (self.give_up(job, error).await?, AfterFailure::Dead)
        } else {
            let at = now_ms + policy.delay(job.attempts, jitter).as_millis() as i64;
            (
                self.requeue(job, error, at, 0).await?,
                AfterFailure::RetryAt(at),
            )
        };
        Ok(match fenced {
            Fenced::Held => after,
            Fenced::Stale => AfterFailure::Stale,
        })
    }

    /// Puts a job back to run at `at_ms` (a rate limit's `retry-after`); waiting for a rate
    /// limit is not a failed attempt, so the claim's count is given back.
    pub async fn retry_at(&self, job: &Job, error: &str, at_ms: i64) -> Result<Fenced, QueueError> {
        self.requeue(job, error, at_ms, 1).await
    }

    async fn finish(
        &self,
        job: &Job,
        state: Final,
        error: Option<&str>,
    ) -> Result<Fenced, QueueError> {
        let error = error.map(str::to_string);
        match &self.backend {
            Backend::Sqlite { queue: q, .. } => {
                let job = job.clone();
                Self::sqlite(q, move |q| q.finish(&job, state, error.as_deref())).await
            }
            Backend::Postgres(q) => q.finish(job, state, error.as_deref()).await,
        }
    }

    async fn requeue(
        &self,
        job: &Job,
        error: &str,
        at_ms: i64,
        give_back: u32,
    ) -> Result<Fenced, QueueError> {
        let error = error.to_string();
        match &self.backend {
            Backend::Sqlite { queue: q, .. } => {
                let job = job.clone();
                Self::sqlite(q, move |q| q.requeue(&job, &error, at_ms, give_back)).await
            }
            Backend::Postgres(q) => q.requeue(job, &error, at_ms, give_back).await,
        }
    }

    /// Frees the jobs this process holds (at shutdown, and for SQLite at start: the one
    /// process that owns the file holds every claim there is). Another replica's claims are
    /// left to their lease.
    pub async fn release_claims(&self) -> Result<u64, QueueError> {
        match &self.backend {
            Backend::Sqlite { queue: q, .. } => Self::sqlite(q, |q| q.release_claims()).await,
            Backend::Postgres(q) => q.release_own_claims().await,
        }
    }

    pub async fn counts(&self) -> Result<Counts, QueueError> {
        match &self.backend {
            Backend::Sqlite { queue: q, .. } => Self::sqlite(q, |q| q.counts()).await,
            Backend::Postgres(q) => q.counts().await,
        }
    }

    /// Forgets finished jobs received before `before_ms`, bodies and all. Kept until then so a
    /// redelivery (GitHub keeps deliveries for three days) is still recognised; dead jobs stay
    /// for a person to read.
    pub async fn prune_done(&self, before_ms: i64) -> Result<u64, QueueError> {
        match &self.backend {
            Backend::Sqlite { queue: q, .. } => {
                Self::sqlite(q, move |q| q.prune_done(before_ms)).await
            }
            Backend::Postgres(q) => q.prune_done(before_ms).await,
        }
    }

    /// Jobs not yet done or dead.
    pub async fn depth(&self) -> Result<u64, QueueError> {
        let counts = self.counts().await?;
        Ok(counts.queued + counts.claimed)
    }

    /// Dead jobs as (delivery id, last error).
    pub async fn dead(&self) -> Result<Vec<(String, String)>, QueueError> {
        match &self.backend {
            Backend::Sqlite { queue: q, .. } => Self::sqlite(q, |q| q.dead()).await,
            Backend::Postgres(q) => q.dead().await,
        }
    }

    /// Runs `call` on the SQLite connection; `None` for PostgreSQL.
    #[cfg(test)]
    async fn with_sqlite<T: Send + 'static>(
        &self,
        call: impl FnOnce(&mut sqlite::SqliteQueue) -> Result<T, QueueError> + Send + 'static,
    ) -> Option<Result<T, QueueError>> {
        match &self.backend {
            Backend::Sqlite { queue: q, .. } => Some(Self::sqlite(q, call).await),
            Backend::Postgres(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_doubles_is_capped_and_jittered_up_to_a_quarter() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base: Duration::from_secs(2),
            cap: Duration::from_secs(10),
            ..RetryPolicy::default()
        };
        assert_eq!(policy.delay(1, 0.0), Duration::from_secs(2));
        assert_eq!(policy.delay(2, 0.0), Duration::from_secs(4));
        assert_eq!(policy.delay(5, 0.0), Duration::from_secs(10));
        assert_eq!(
            policy.delay(1, 0.999_999),
            Duration::from_secs(2).mul_f64(1.0 + 0.25 * 0.999_999)
        );
    }

    #[tokio::test]
    async fn a_queue_call_that_panics_is_an_error_and_the_queue_still_answers() {
        let dir = tempfile::tempdir().unwrap();
        let database = Database::Sqlite(dir.path().join("queue.sqlite"));
        let store = Store::open(&database, 1).await.unwrap();

        let failed = store
            .with_sqlite(|_| -> Result<(), QueueError> { panic!("a bug in a queue call") })
            .await
            .unwrap();

        assert!(
            matches!(&failed, Err(QueueError::Panicked(why)) if why.contains("panicked")),
            "{failed:?}"
        );
        assert_eq!(store.depth().await.unwrap(), 0);
    }

    #[test]
    fn a_postgres_url_selects_postgres_and_anything_else_is_a_file() {
        assert_eq!(
            Database::parse("postgres://u:p@db/releasebot"),
            Database::Postgres("postgres://u:p@db/releasebot".into())
        );
        assert!(matches!(
            Database::parse("postgresql://db/x"),
            Database::Postgres(_)
        ));
        assert_eq!(
            Database::parse("releasebot.sqlite"),
            Database::Sqlite("releasebot.sqlite".into())
        );
    }

    #[test]
    fn a_postgres_url_is_shown_without_its_password() {
        let shown =
            Database::parse("postgres://bot:s3cret@db.internal:5432/releasebot").to_string();
        assert!(!shown.contains("s3cret"), "{shown}");
        assert_eq!(shown, "postgres://db.internal:5432/releasebot");
    }
}
