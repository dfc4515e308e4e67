//! The durable delivery queue. A delivery is committed here before the webhook is answered;
//! workers claim jobs under a lease, so a crash at any point leaves the job to be claimed again
//! once the lease runs out. Jobs of one repository run in order; different repositories may run
//! side by side. Failed jobs come back after an exponential back-off with jitter, and after the
//! last attempt stay as `dead` with their error.
//!
//! Two backends keep one behaviour behind one seam (`seam.rs`: the `Backend` calls `Store`
//! makes, and the `Writer` the webhook's intake commits through): SQLite (embedded, one
//! process: `sqlite.rs`, run off the runtime by `sqlite_backend.rs`) and PostgreSQL (shared by
//! several replicas: `postgres.rs`). Only opening a `Store` tells them apart. Both keep a table
//! of repository *heads* — each repository's earliest unfinished job — maintained in the same
//! transactions as the jobs, so a claim looks at one row per repository with work, never at
//! the backlog behind them.
//!
//! Every claim carries a fresh token (the row's claim counter), and a result is recorded only
//! by the holder of the job's latest claim: a worker whose lease ran out while another took the
//! job over is fenced off, so one delivery never has two results.

pub mod postgres;
pub mod seam;
pub mod sqlite;
mod sqlite_backend;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use seam::Backend;
pub use seam::Writer;
pub use sqlite::{FileIdentity, SqliteLock};
use sqlite_backend::SqliteBackend;

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
    #[error("the queue's {what} thread cannot be started: {cause}")]
    Thread {
        what: &'static str,
        cause: std::io::Error,
    },
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

impl Job {
    /// What the job's result is recorded against.
    pub fn ticket(&self) -> Ticket {
        Ticket {
            seq: self.seq,
            claim_token: self.claim_token,
            repo: self.repo.clone(),
        }
    }
}

/// A claimed job as its result is recorded: which job, under which claim (only the latest has
/// a say), of which repository (whose head moves on once the job is finished).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub seq: i64,
    pub claim_token: i64,
    pub repo: String,
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

/// The queue as the server uses it: the same calls whichever backend holds it (see `seam`).
#[derive(Clone)]
pub struct Store {
    backend: Arc<dyn Backend>,
}

/// What keeps the database to this process while it serves: the SQLite file's lock (nothing
/// for PostgreSQL, which replicas share). Dropped last, when the server has stopped.
pub struct Hold {
    _lock: Option<SqliteLock>,
}

impl Store {
    /// Opens (creating and migrating) the queue. `connections` bounds a PostgreSQL pool.
    pub async fn open(database: &Database, connections: usize) -> Result<Store, QueueError> {
        Ok(Self::opening(database, connections, false).await?.0)
    }

    /// Opens the queue for `releasebot serve` with `workers` workers. SQLite: the file is
    /// locked for this process first (a second server on it would run the first one's jobs
    /// again), then every claim left by an earlier process is freed. PostgreSQL: claims stay
    /// with their replicas until their leases run out, since other replicas may be running
    /// them. Returns how many claims were freed.
    pub async fn serve(
        database: &Database,
        workers: usize,
    ) -> Result<(Store, Hold, u64), QueueError> {
        // The workers, the writer, the janitor and `/metrics` each hold one at most.
        let (store, hold) = Self::opening(database, workers + 4, true).await?;
        let released = store.release_claims().await?;
        Ok((store, hold, released))
    }

    /// The one place that tells the backends apart.
    async fn opening(
        database: &Database,
        connections: usize,
        exclusive: bool,
    ) -> Result<(Store, Hold), QueueError> {
        let (backend, lock): (Arc<dyn Backend>, _) = match database {
            Database::Sqlite(path) => {
                let lock = exclusive.then(|| SqliteLock::acquire(path)).transpose()?;
                (Arc::new(SqliteBackend::open(path).await?), lock)
            }
            Database::Postgres(url) => (
                Arc::new(postgres::PgQueue::open(url, connections).await?),
                None,
            ),
        };
        Ok((Store { backend }, Hold { _lock: lock }))
    }

    /// The webhook's writer (see `intake.rs`): called once, before its thread starts.
    pub fn writer(&self) -> Result<Box<dyn Writer>, QueueError> {
        self.backend.writer()
    }

    /// Wakes `wake`'s waiters whenever another process gives a repository runnable work
    /// (PostgreSQL's replicas). SQLite has one process, whose writer wakes the workers itself.
    pub fn listen(&self, wake: Arc<tokio::sync::Notify>) -> Option<tokio::task::JoinHandle<()>> {
        self.backend.listen(wake)
    }

    pub async fn enqueue_batch(&self, batch: Vec<NewDelivery>) -> Result<Stored, QueueError> {
        self.backend.enqueue_batch(batch).await
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
        self.backend.claim(now_ms, lease).await
    }

    /// Records that the job succeeded.
    pub async fn complete(&self, job: &Job) -> Result<Fenced, QueueError> {
        self.backend.finish(job.ticket(), Final::Done, None).await
    }

    /// Marks a job dead at once: it can never succeed as it is.
    pub async fn give_up(&self, job: &Job, error: &str) -> Result<Fenced, QueueError> {
        self.backend
            .finish(job.ticket(), Final::Dead, Some(error.to_string()))
            .await
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
                self.backend
                    .requeue(job.ticket(), error.to_string(), at, 0)
                    .await?,
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
        self.backend
            .requeue(job.ticket(), error.to_string(), at_ms, 1)
            .await
    }

    /// Frees the jobs this process holds (at shutdown, and for SQLite at start: the one
    /// process that owns the file holds every claim there is). Another replica's claims are
    /// left to their lease.
    pub async fn release_claims(&self) -> Result<u64, QueueError> {
        self.backend.release_claims().await
    }

    pub async fn counts(&self) -> Result<Counts, QueueError> {
        self.backend.counts().await
    }

    /// Forgets finished jobs received before `before_ms`, bodies and all. Kept until then so a
    /// redelivery (GitHub keeps deliveries for three days) is still recognised; dead jobs stay
    /// for a person to read.
    pub async fn prune_done(&self, before_ms: i64) -> Result<u64, QueueError> {
        self.backend.prune_done(before_ms).await
    }

    /// Jobs not yet done or dead.
    pub async fn depth(&self) -> Result<u64, QueueError> {
        let counts = self.counts().await?;
        Ok(counts.queued + counts.claimed)
    }

    /// Dead jobs as (delivery id, last error).
    pub async fn dead(&self) -> Result<Vec<(String, String)>, QueueError> {
        self.backend.dead().await
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
