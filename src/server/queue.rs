//! The durable delivery queue (embedded SQLite, WAL). A delivery is committed here before the
//! webhook is answered; workers claim jobs under a lease, so a crash at any point leaves the job
//! to be claimed again once the lease runs out. Jobs of one repository run in order; different
//! repositories may run side by side. Failed jobs come back after an exponential back-off with
//! jitter, and after the last attempt stay as `dead` with their error.
//!
//! Every claim carries a fresh token (the row's claim counter), and a result is recorded only
//! by the holder of the job's latest claim: a worker whose lease ran out while another took the
//! job over is fenced off, so one delivery never has two results.

use std::path::Path;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

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
    /// A queue call run on another thread panicked (the caller reports it; the queue is intact,
    /// since SQLite rolls back what the call had not committed).
    #[error("a queue call panicked: {0}")]
    Panicked(String),
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

pub struct Queue {
    connection: Connection,
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
/// the WAL and the checkpoint copies again: the cost that bounds how fast deliveries are stored.
fn pack(body: &[u8]) -> Vec<u8> {
    lz4_flex::compress_prepend_size(body)
}

fn unpack(encoding: &str, stored: Vec<u8>) -> Result<Vec<u8>, rusqlite::Error> {
    match encoding {
        "lz4" => lz4_flex::decompress_size_prepended(&stored).map_err(|error| {
            rusqlite::Error::FromSqlConversionFailure(
                4,
                rusqlite::types::Type::Blob,
                Box::new(error),
            )
        }),
        _ => Ok(stored),
    }
}

fn fenced(rows_changed: usize) -> Fenced {
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

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS deliveries (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id   TEXT NOT NULL UNIQUE,
    event         TEXT NOT NULL,
    repo          TEXT NOT NULL,
    body          BLOB NOT NULL,
    encoding      TEXT NOT NULL DEFAULT 'identity',
    state         TEXT NOT NULL DEFAULT 'queued',
    attempts      INTEGER NOT NULL DEFAULT 0,
    not_before    INTEGER NOT NULL DEFAULT 0,
    claimed_until INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    received_at   INTEGER NOT NULL,
    claim_token   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries (state, repo, seq);
CREATE TABLE IF NOT EXISTS health_probe (id INTEGER PRIMARY KEY, at INTEGER NOT NULL);
";

/// Which file a path names (device and inode): SQLite goes on writing to a database file that
/// was deleted or replaced under it, so the server compares this before it acknowledges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileIdentity {
    device: u64,
    inode: u64,
}

impl FileIdentity {
    pub fn of(path: &Path) -> std::io::Result<FileIdentity> {
        let metadata = std::fs::metadata(path)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            Ok(FileIdentity {
                device: metadata.dev(),
                inode: metadata.ino(),
            })
        }
        #[cfg(not(unix))]
        {
            let _ = metadata;
            Ok(FileIdentity {
                device: 0,
                inode: 0,
            })
        }
    }

    /// An error unless `path` still names this file.
    pub fn check(&self, path: &Path) -> Result<(), QueueError> {
        match FileIdentity::of(path) {
            Ok(now) if now == *self => Ok(()),
            Ok(_) => Err(QueueError::Gone {
                path: path.display().to_string(),
                what: "replaced by another file",
            }),
            Err(_) => Err(QueueError::Gone {
                path: path.display().to_string(),
                what: "deleted",
            }),
        }
    }
}

/// Columns added since the first schema, with the definition that fills them in older rows.
const ADDED_COLUMNS: &[(&str, &str)] = &[
    // Bodies stored before compression are plain JSON.
    ("encoding", "TEXT NOT NULL DEFAULT 'identity'"),
    // Rows claimed before tokens existed count as never claimed with one.
    ("claim_token", "INTEGER NOT NULL DEFAULT 0"),
];

/// Brings a database made by an earlier releasebot up to this schema.
fn migrate(connection: &Connection) -> Result<(), rusqlite::Error> {
    for (column, definition) in ADDED_COLUMNS {
        let present: bool = connection.query_row(
            "SELECT COUNT(*) > 0 FROM pragma_table_info('deliveries') WHERE name = ?1",
            params![column],
            |row| row.get(0),
        )?;
        if !present {
            connection.execute_batch(&format!(
                "ALTER TABLE deliveries ADD COLUMN {column} {definition}"
            ))?;
        }
    }
    Ok(())
}

impl Queue {
    /// Opens (creating and migrating) the database at `path`.
    pub fn open(path: &Path) -> Result<Queue, QueueError> {
        let open_error = |cause| QueueError::Open {
            path: path.display().to_string(),
            cause,
        };
        let connection = Connection::open(path).map_err(open_error)?;
        // For a new database only: a 13 KB delivery then fits in one page instead of a chain
        // of four, a quarter of the WAL frames (and write calls) per delivery.
        connection
            .pragma_update(None, "page_size", 16384)
            .map_err(open_error)?;
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(open_error)?;
        connection
            .pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)
            .map_err(open_error)?;
        // Committed means on disk before GitHub hears 202 (FULL fsyncs the WAL on commit).
        connection
            .pragma_update(None, "synchronous", "FULL")
            .map_err(open_error)?;
        connection
            .busy_timeout(Duration::from_secs(5))
            .map_err(open_error)?;
        connection.execute_batch(SCHEMA).map_err(open_error)?;
        migrate(&connection).map_err(open_error)?;
        Ok(Queue { connection })
    }

    /// The webhook's writer: it leaves checkpoints (copying the WAL into the database) to
    /// `checkpoint` on another thread, so that work does not stand between a delivery and its
    /// answer.
    pub fn open_for_intake(path: &Path) -> Result<Queue, QueueError> {
        let queue = Queue::open(path)?;
        queue
            .connection
            .pragma_update(None, "wal_autocheckpoint", 0)?;
        Ok(queue)
    }

    /// A small write committed like a delivery: fails when the disk is full or read-only.
    pub fn probe(&self, now_ms: i64) -> Result<(), QueueError> {
        self.connection.execute(
            "INSERT OR REPLACE INTO health_probe (id, at) VALUES (1, ?1)",
            params![now_ms],
        )?;
        Ok(())
    }

    /// Copies committed WAL frames into the database without blocking the writer.
    pub fn checkpoint(&self) -> Result<(), QueueError> {
        self.connection
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    pub fn enqueue(
        &mut self,
        delivery_id: &str,
        event: &str,
        repo: &str,
        body: &[u8],
        now_ms: i64,
    ) -> Result<Enqueued, QueueError> {
        let delivery = NewDelivery::new(delivery_id, event, repo, body, now_ms);
        Ok(self
            .enqueue_batch(std::slice::from_ref(&delivery))?
            .remove(0))
    }

    /// Writes many deliveries in one transaction: one fsync for the lot, which is what lets the
    /// webhook answer thousands of deliveries a second with every one of them on disk.
    ///
    /// A delivery id seen before is a redelivery: a no-op, unless its job had gone dead, when
    /// it is queued again (see `Enqueued::Revived`).
    pub fn enqueue_batch(&mut self, batch: &[NewDelivery]) -> Result<Vec<Enqueued>, QueueError> {
        let transaction = self.connection.transaction()?;
        let mut results = Vec::with_capacity(batch.len());
        {
            let mut insert = transaction.prepare_cached(
                "INSERT OR IGNORE INTO deliveries (delivery_id, event, repo, body, encoding, received_at, last_error) VALUES (?1, ?2, ?3, ?4, 'lz4', ?5, ?6)",
            )?;
            // Out with the dead row, so the revived job gets a new place at the end of the
            // queue: its repository's later jobs may be running, and order is kept by `seq`.
            let mut take_dead = transaction.prepare_cached(
                "DELETE FROM deliveries WHERE delivery_id = ?1 AND state = 'dead' RETURNING last_error",
            )?;
            for delivery in batch {
                let mut insert_with = |last_error: Option<&str>| {
                    insert.execute(params![
                        delivery.delivery_id,
                        delivery.event,
                        delivery.repo,
                        delivery.packed,
                        delivery.received_ms,
                        last_error
                    ])
                };
                if insert_with(None)? == 1 {
                    results.push(Enqueued::New);
                    continue;
                }
                let dead: Option<Option<String>> = take_dead
                    .query_row(params![delivery.delivery_id], |row| row.get(0))
                    .optional()?;
                results.push(match dead {
                    Some(last_error) => {
                        // Its last error stays until the job succeeds, for whoever looks.
                        insert_with(last_error.as_deref())?;
                        Enqueued::Revived
                    }
                    None => Enqueued::Duplicate,
                });
            }
        }
        transaction.commit()?;
        Ok(results)
    }

    /// At start: jobs claimed by an earlier process that died are free again at once (one
    /// server owns a database, so no live worker holds them).
    pub fn release_claims(&self) -> Result<usize, QueueError> {
        Ok(self.connection.execute(
            "UPDATE deliveries SET state = 'queued', claimed_until = 0 WHERE state = 'claimed'",
            [],
        )?)
    }

    /// When the earliest waiting job becomes due (ms), if any job waits.
    pub fn next_due(&self) -> Result<Option<i64>, QueueError> {
        Ok(self.connection.query_row(
            "SELECT MIN(not_before) FROM deliveries WHERE state = 'queued'",
            [],
            |row| row.get(0),
        )?)
    }

    pub fn counts(&self) -> Result<Counts, QueueError> {
        let mut statement = self
            .connection
            .prepare_cached("SELECT state, COUNT(*) FROM deliveries GROUP BY state")?;
        let mut counts = Counts::default();
        let rows = statement.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get(1)?)))?;
        for row in rows {
            let (state, n) = row?;
            match state.as_str() {
                "queued" => counts.queued = n,
                "claimed" => counts.claimed = n,
                "done" => counts.done = n,
                _ => counts.dead = n,
            }
        }
        Ok(counts)
    }

    /// The oldest runnable job, claimed until `now + lease`. A job is runnable when it is due,
    /// not claimed (or its claim expired: a crashed worker), and no earlier job of its repository
    /// is still unfinished.
    pub fn claim(&mut self, now_ms: i64, lease: Duration) -> Result<Option<Job>, QueueError> {
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let job = transaction
            .query_row(
                "SELECT seq, delivery_id, event, repo, body, attempts, received_at, encoding, claim_token FROM deliveries d
                 WHERE (d.state = 'queued' OR (d.state = 'claimed' AND d.claimed_until <= ?1))
                   AND d.not_before <= ?1
                   AND NOT EXISTS (
                       SELECT 1 FROM deliveries e
                       WHERE e.repo = d.repo AND e.seq < d.seq AND e.state IN ('queued', 'claimed'))
                 ORDER BY d.seq LIMIT 1",
                params![now_ms],
                |row| {
                    Ok(Job {
                        seq: row.get(0)?,
                        delivery_id: row.get(1)?,
                        event: row.get(2)?,
                        repo: row.get(3)?,
                        body: unpack(&row.get::<_, String>(7)?, row.get(4)?)?,
                        attempts: row.get(5)?,
                        received_ms: row.get(6)?,
                        claim_token: row.get(8)?,
                    })
                },
            )
            .optional()?;
        if let Some(job) = &job {
            let until = now_ms + lease.as_millis() as i64;
            transaction.execute(
                "UPDATE deliveries SET state = 'claimed', claimed_until = ?2, attempts = attempts + 1,
                     claim_token = claim_token + 1 WHERE seq = ?1",
                params![job.seq, until],
            )?;
        }
        transaction.commit()?;
        Ok(job.map(|job| Job {
            attempts: job.attempts + 1,
            claim_token: job.claim_token + 1,
            ..job
        }))
    }

    /// Records that the job succeeded.
    pub fn complete(&self, job: &Job) -> Result<Fenced, QueueError> {
        self.finish(job, "'done'", None)
    }

    /// Records a failed attempt: back to the queue after the policy's delay, or dead.
    pub fn fail(
        &self,
        job: &Job,
        error: &str,
        now_ms: i64,
        policy: &RetryPolicy,
        jitter: f64,
    ) -> Result<AfterFailure, QueueError> {
        let (fenced, after) = if job.attempts >= policy.max_attempts {
            (self.finish(job, "'dead'", Some(error))?, AfterFailure::Dead)
        } else {
            let at = now_ms + policy.delay(job.attempts, jitter).as_millis() as i64;
            (self.requeue(job, error, at, 0)?, AfterFailure::RetryAt(at))
        };
        Ok(match fenced {
            Fenced::Held => after,
            Fenced::Stale => AfterFailure::Stale,
        })
    }

    /// Marks a job dead at once: it can never succeed as it is.
    pub fn give_up(&self, job: &Job, error: &str) -> Result<Fenced, QueueError> {
        self.finish(job, "'dead'", Some(error))
    }

    /// Puts a job back to run at `at_ms` (a rate limit's `retry-after`); waiting for a rate
    /// limit is not a failed attempt, so the claim's count is given back.
    pub fn retry_at(&self, job: &Job, error: &str, at_ms: i64) -> Result<Fenced, QueueError> {
        self.requeue(job, error, at_ms, 1)
    }

    /// `state` is an SQL literal chosen here, never the caller's text.
    fn finish(&self, job: &Job, state: &str, error: Option<&str>) -> Result<Fenced, QueueError> {
        let changed = self.connection.execute(
            &format!(
                "UPDATE deliveries SET state = {state}, last_error = ?3
                 WHERE seq = ?1 AND state = 'claimed' AND claim_token = ?2"
            ),
            params![job.seq, job.claim_token, error],
        )?;
        Ok(fenced(changed))
    }

    fn requeue(
        &self,
        job: &Job,
        error: &str,
        at_ms: i64,
        give_back: u32,
    ) -> Result<Fenced, QueueError> {
        let changed = self.connection.execute(
            "UPDATE deliveries SET state = 'queued', not_before = ?3, claimed_until = 0, last_error = ?4,
                 attempts = MAX(attempts - ?5, 0)
             WHERE seq = ?1 AND state = 'claimed' AND claim_token = ?2",
            params![job.seq, job.claim_token, at_ms, error, give_back],
        )?;
        Ok(fenced(changed))
    }

    /// Forgets finished jobs received before `before_ms`, bodies and all. Kept until then so a
    /// redelivery (GitHub keeps deliveries for three days) is still recognised; dead jobs stay
    /// for a person to read.
    pub fn prune_done(&self, before_ms: i64) -> Result<usize, QueueError> {
        Ok(self.connection.execute(
            "DELETE FROM deliveries WHERE state = 'done' AND received_at < ?1",
            params![before_ms],
        )?)
    }

    /// Jobs not yet done or dead.
    pub fn depth(&self) -> Result<u64, QueueError> {
        Ok(self.connection.query_row(
            "SELECT COUNT(*) FROM deliveries WHERE state IN ('queued', 'claimed')",
            [],
            |row| row.get(0),
        )?)
    }

    /// Dead jobs as (delivery id, last error).
    pub fn dead(&self) -> Result<Vec<(String, String)>, QueueError> {
        let mut statement = self
            .connection
            .prepare("SELECT delivery_id, COALESCE(last_error, '') FROM deliveries WHERE state = 'dead' ORDER BY seq")?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEASE: Duration = Duration::from_secs(60);

    fn queue() -> (tempfile::TempDir, Queue) {
        let dir = tempfile::tempdir().unwrap();
        let queue = Queue::open(&dir.path().join("queue.sqlite")).unwrap();
        (dir, queue)
    }

    #[test]
    fn a_redelivery_is_not_queued_again() {
        let (_dir, mut queue) = queue();
        assert_eq!(
            queue
                .enqueue("d-1", "issue_comment", "o/r", b"{}", 0)
                .unwrap(),
            Enqueued::New
        );
        assert_eq!(
            queue
                .enqueue("d-1", "issue_comment", "o/r", b"{}", 5)
                .unwrap(),
            Enqueued::Duplicate
        );
        assert_eq!(queue.depth().unwrap(), 1);
    }

    #[test]
    fn jobs_of_one_repository_run_in_order_and_others_run_alongside() {
        let (_dir, mut queue) = queue();
        queue.enqueue("a1", "e", "o/a", b"1", 0).unwrap();
        queue.enqueue("a2", "e", "o/a", b"2", 0).unwrap();
        queue.enqueue("b1", "e", "o/b", b"3", 0).unwrap();

        let first = queue.claim(10, LEASE).unwrap().unwrap();
        let second = queue.claim(10, LEASE).unwrap().unwrap();
        assert_eq!(
            (first.delivery_id.as_str(), second.delivery_id.as_str()),
            ("a1", "b1")
        );
        assert_eq!(queue.claim(10, LEASE).unwrap(), None, "a2 waits for a1");
        queue.complete(&first).unwrap();
        assert_eq!(queue.claim(10, LEASE).unwrap().unwrap().delivery_id, "a2");
    }

    #[test]
    fn a_job_claimed_by_a_crashed_worker_is_claimed_again_after_its_lease() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue.sqlite");
        {
            let mut queue = Queue::open(&path).unwrap();
            queue
                .enqueue("d-1", "issue_comment", "o/r", b"{}", 0)
                .unwrap();
            queue.claim(1_000, LEASE).unwrap().unwrap();
            // The process dies here: no complete, no fail.
        }
        let mut queue = Queue::open(&path).unwrap();
        assert_eq!(queue.claim(2_000, LEASE).unwrap(), None, "still leased");
        let again = queue.claim(1_000 + 60_000, LEASE).unwrap().unwrap();
        assert_eq!((again.delivery_id.as_str(), again.attempts), ("d-1", 2));
    }

    #[test]
    fn failures_back_off_then_the_job_is_dead_with_its_error() {
        let (_dir, mut queue) = queue();
        let policy = RetryPolicy {
            max_attempts: 3,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(60),
            ..RetryPolicy::default()
        };
        queue.enqueue("d-1", "e", "o/r", b"{}", 0).unwrap();

        let job = queue.claim(0, LEASE).unwrap().unwrap();
        assert_eq!(
            queue.fail(&job, "502", 0, &policy, 0.0).unwrap(),
            AfterFailure::RetryAt(1_000)
        );
        assert_eq!(
            queue.claim(999, LEASE).unwrap(),
            None,
            "not before its time"
        );
        let job = queue.claim(1_000, LEASE).unwrap().unwrap();
        assert_eq!(
            queue.fail(&job, "502", 1_000, &policy, 0.0).unwrap(),
            AfterFailure::RetryAt(3_000)
        );
        let job = queue.claim(3_000, LEASE).unwrap().unwrap();
        assert_eq!(
            queue.fail(&job, "502 again", 3_000, &policy, 0.0).unwrap(),
            AfterFailure::Dead
        );

        assert_eq!(
            queue.dead().unwrap(),
            vec![("d-1".to_string(), "502 again".to_string())]
        );
        assert_eq!(queue.depth().unwrap(), 0);
    }

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
    fn a_rate_limited_job_waits_without_using_up_an_attempt_count_check() {
        let (_dir, mut queue) = queue();
        queue.enqueue("d-1", "e", "o/r", b"{}", 0).unwrap();
        let job = queue.claim(0, LEASE).unwrap().unwrap();
        queue.retry_at(&job, "403 retry-after 1", 1_000).unwrap();
        assert_eq!(queue.claim(500, LEASE).unwrap(), None);
        assert_eq!(
            queue.claim(1_000, LEASE).unwrap().unwrap().delivery_id,
            "d-1"
        );
    }

    fn delivery(id: &str, repo: &str) -> NewDelivery {
        NewDelivery::new(id, "issue_comment", repo, b"{}", 0)
    }

    #[test]
    fn a_body_comes_back_exactly_as_it_went_in() {
        let (_dir, mut queue) = queue();
        let body = include_bytes!("../../bench/issue_comment.json");
        queue
            .enqueue("d-1", "issue_comment", "o/r", body, 0)
            .unwrap();
        let job = queue.claim(0, LEASE).unwrap().unwrap();
        assert_eq!(job.body, body.to_vec());
        assert!(
            pack(body).len() < body.len() / 2,
            "compressed to {}",
            pack(body).len()
        );
    }

    #[test]
    fn a_batch_tells_each_delivery_whether_it_was_new() {
        let (_dir, mut queue) = queue();
        queue.enqueue("d-1", "e", "o/r", b"{}", 0).unwrap();
        let results = queue
            .enqueue_batch(&[
                delivery("d-1", "o/r"),
                delivery("d-2", "o/r"),
                delivery("d-2", "o/r"),
            ])
            .unwrap();
        assert_eq!(
            results,
            vec![Enqueued::Duplicate, Enqueued::New, Enqueued::Duplicate]
        );
        assert_eq!(queue.depth().unwrap(), 2);
    }

    #[test]
    fn claims_of_a_dead_process_are_released_at_start() {
        let (_dir, mut queue) = queue();
        queue.enqueue_batch(&[delivery("d-1", "o/r")]).unwrap();
        queue.claim(0, LEASE).unwrap().unwrap();
        assert_eq!(queue.release_claims().unwrap(), 1);
        let again = queue.claim(1, LEASE).unwrap().unwrap();
        assert_eq!(again.attempts, 2);
        queue.complete(&again).unwrap();
        assert_eq!(
            queue.counts().unwrap(),
            Counts {
                done: 1,
                ..Counts::default()
            }
        );
    }

    #[test]
    fn pruning_forgets_old_finished_jobs_only() {
        let (_dir, mut queue) = queue();
        queue.enqueue("old-done", "e", "o/a", b"{}", 1_000).unwrap();
        queue.enqueue("old-dead", "e", "o/b", b"{}", 1_000).unwrap();
        queue
            .enqueue("old-waiting", "e", "o/c", b"{}", 1_000)
            .unwrap();
        queue.enqueue("new-done", "e", "o/d", b"{}", 9_000).unwrap();
        let done = queue.claim(10_000, LEASE).unwrap().unwrap();
        queue.complete(&done).unwrap();
        let dead = queue.claim(10_000, LEASE).unwrap().unwrap();
        queue.give_up(&dead, "unreadable").unwrap();
        let _waiting = queue.claim(10_000, LEASE).unwrap().unwrap();
        let recent = queue.claim(10_000, LEASE).unwrap().unwrap();
        queue.complete(&recent).unwrap();

        assert_eq!(queue.prune_done(5_000).unwrap(), 1);
        assert_eq!(
            queue
                .enqueue("new-done", "e", "o/d", b"{}", 11_000)
                .unwrap(),
            Enqueued::Duplicate,
            "a recent delivery is still recognised"
        );
        assert_eq!(
            queue.counts().unwrap(),
            Counts {
                queued: 0,
                claimed: 1,
                done: 1,
                dead: 1
            }
        );
    }

    #[test]
    fn a_database_from_before_compression_is_migrated_and_its_jobs_still_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue.sqlite");
        {
            let old = Connection::open(&path).unwrap();
            old.execute_batch(
                &SCHEMA.replace("    encoding      TEXT NOT NULL DEFAULT 'identity',\n", ""),
            )
            .unwrap();
            let columns: i64 = old
                .query_row(
                    "SELECT COUNT(*) FROM pragma_table_info('deliveries') WHERE name = 'encoding'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(columns, 0, "the old schema has no encoding column");
            old.execute(
                "INSERT INTO deliveries (delivery_id, event, repo, body, received_at) VALUES ('d-0', 'push', 'o/r', ?1, 0)",
                params![b"{\"ref\":\"refs/tags/0.1.3\"}".to_vec()],
            )
            .unwrap();
        }
        let mut queue = Queue::open(&path).unwrap();
        queue.enqueue("d-1", "push", "o/s", b"{}", 0).unwrap();
        let old_job = queue.claim(1, LEASE).unwrap().unwrap();
        let new_job = queue.claim(1, LEASE).unwrap().unwrap();
        assert_eq!(old_job.body, b"{\"ref\":\"refs/tags/0.1.3\"}".to_vec());
        assert_eq!(new_job.body, b"{}".to_vec());
    }

    #[test]
    fn a_worker_whose_lease_ran_out_cannot_record_over_the_next_claim() {
        let (_dir, mut queue) = queue();
        queue.enqueue("d-1", "e", "o/r", b"{}", 0).unwrap();
        let short = Duration::from_millis(100);
        let slow = queue.claim(0, short).unwrap().unwrap();
        assert_eq!(queue.claim(50, short).unwrap(), None, "still leased");
        let second = queue.claim(100, short).unwrap().unwrap();
        assert_ne!(slow.claim_token, second.claim_token);

        assert_eq!(queue.complete(&slow).unwrap(), Fenced::Stale);
        assert_eq!(
            queue.counts().unwrap(),
            Counts {
                claimed: 1,
                ..Counts::default()
            },
            "the stale completion changed nothing"
        );
        assert_eq!(queue.complete(&second).unwrap(), Fenced::Held);
        assert_eq!(
            queue.counts().unwrap(),
            Counts {
                done: 1,
                ..Counts::default()
            }
        );
    }

    #[test]
    fn a_stale_claim_can_neither_fail_nor_give_up_nor_postpone_the_job() {
        let (_dir, mut queue) = queue();
        let policy = RetryPolicy::default();
        queue.enqueue("d-1", "e", "o/r", b"{}", 0).unwrap();
        let stale = queue.claim(0, Duration::from_millis(10)).unwrap().unwrap();
        let current = queue.claim(10, LEASE).unwrap().unwrap();

        assert_eq!(
            queue.fail(&stale, "502", 10, &policy, 0.0).unwrap(),
            AfterFailure::Stale
        );
        assert_eq!(queue.give_up(&stale, "422").unwrap(), Fenced::Stale);
        assert_eq!(
            queue.retry_at(&stale, "403", 99_999).unwrap(),
            Fenced::Stale
        );
        assert_eq!(queue.dead().unwrap(), vec![]);
        assert_eq!(
            queue.fail(&current, "502", 10, &policy, 0.0).unwrap(),
            AfterFailure::RetryAt(10 + 4_000),
            "the second attempt's back-off"
        );
        let again = queue.claim(4_010, LEASE).unwrap().unwrap();
        assert_eq!((again.attempts, again.claim_token), (3, 3));
    }

    #[test]
    fn a_claim_freed_at_start_cannot_be_finished_by_its_old_holder() {
        let (_dir, mut queue) = queue();
        queue.enqueue("d-1", "e", "o/r", b"{}", 0).unwrap();
        let before_restart = queue.claim(0, LEASE).unwrap().unwrap();
        queue.release_claims().unwrap();
        assert_eq!(queue.complete(&before_restart).unwrap(), Fenced::Stale);
        assert_eq!(queue.depth().unwrap(), 1, "still waiting to run");
    }

    #[test]
    fn a_dead_job_lets_its_repositorys_next_job_run_at_once() {
        let (_dir, mut queue) = queue();
        queue.enqueue("a1", "e", "o/a", b"1", 0).unwrap();
        queue.enqueue("a2", "e", "o/a", b"2", 0).unwrap();
        let first = queue.claim(0, LEASE).unwrap().unwrap();
        assert_eq!(queue.claim(0, LEASE).unwrap(), None, "a2 waits for a1");

        assert_eq!(
            queue.give_up(&first, "GitHub answered 422").unwrap(),
            Fenced::Held
        );

        assert_eq!(queue.claim(0, LEASE).unwrap().unwrap().delivery_id, "a2");
        assert_eq!(
            queue.dead().unwrap(),
            vec![("a1".to_string(), "GitHub answered 422".to_string())]
        );
    }

    fn dead_job(queue: &mut Queue, id: &str, body: &[u8]) {
        queue.enqueue(id, "issue_comment", "o/r", body, 0).unwrap();
        let job = queue.claim(0, LEASE).unwrap().unwrap();
        queue.give_up(&job, "GitHub answered 422").unwrap();
    }

    #[test]
    fn a_redelivery_of_a_dead_job_queues_it_again_with_the_new_body_and_fresh_attempts() {
        let (_dir, mut queue) = queue();
        dead_job(&mut queue, "d-1", b"old");

        assert_eq!(
            queue
                .enqueue("d-1", "issue_comment", "o/r", b"new", 5_000)
                .unwrap(),
            Enqueued::Revived
        );
        assert_eq!(
            queue.counts().unwrap(),
            Counts {
                queued: 1,
                ..Counts::default()
            }
        );
        assert_eq!(
            queue
                .enqueue("d-1", "issue_comment", "o/r", b"new", 6_000)
                .unwrap(),
            Enqueued::Duplicate,
            "queued again once, not twice"
        );
        let job = queue.claim(5_000, LEASE).unwrap().unwrap();
        assert_eq!(
            (
                job.delivery_id.as_str(),
                job.body.as_slice(),
                job.attempts,
                job.received_ms
            ),
            ("d-1", &b"new"[..], 1, 5_000)
        );
        queue.complete(&job).unwrap();
        assert_eq!(
            queue
                .enqueue("d-1", "issue_comment", "o/r", b"new", 7_000)
                .unwrap(),
            Enqueued::Duplicate,
            "a done job is not run again"
        );
        assert_eq!(queue.depth().unwrap(), 0);
    }

    #[test]
    fn a_revived_job_waits_behind_the_jobs_its_repository_received_meanwhile() {
        let (_dir, mut queue) = queue();
        dead_job(&mut queue, "d-1", b"{}");
        queue
            .enqueue("d-2", "issue_comment", "o/r", b"{}", 1)
            .unwrap();
        let running = queue.claim(1, LEASE).unwrap().unwrap();

        let results = queue
            .enqueue_batch(&[delivery("d-1", "o/r"), delivery("d-1", "o/r")])
            .unwrap();

        assert_eq!(results, vec![Enqueued::Revived, Enqueued::Duplicate]);
        assert_eq!(queue.claim(2, LEASE).unwrap(), None, "d-2 is still running");
        queue.complete(&running).unwrap();
        assert_eq!(queue.claim(2, LEASE).unwrap().unwrap().delivery_id, "d-1");
    }

    #[test]
    fn a_database_from_before_claim_tokens_is_migrated_and_its_claims_are_fenced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue.sqlite");
        {
            let old = Connection::open(&path).unwrap();
            old.execute_batch(&SCHEMA.replace(
                "received_at   INTEGER NOT NULL,\n    claim_token   INTEGER NOT NULL DEFAULT 0\n",
                "received_at   INTEGER NOT NULL\n",
            ))
            .unwrap();
            let columns: i64 = old
                .query_row(
                    "SELECT COUNT(*) FROM pragma_table_info('deliveries') WHERE name = 'claim_token'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(columns, 0, "the old schema has no claim_token column");
            // Claimed by the old release when it stopped.
            old.execute(
                "INSERT INTO deliveries (delivery_id, event, repo, body, state, attempts, claimed_until, received_at)
                 VALUES ('d-0', 'push', 'o/r', ?1, 'claimed', 1, 10, 0)",
                params![b"{}".to_vec()],
            )
            .unwrap();
        }
        let mut queue = Queue::open(&path).unwrap();
        let job = queue.claim(10, LEASE).unwrap().unwrap();
        assert_eq!((job.delivery_id.as_str(), job.claim_token), ("d-0", 1));
        assert_eq!(queue.complete(&job).unwrap(), Fenced::Held);
    }

    #[test]
    fn a_deleted_or_replaced_file_is_noticed() {
        let (dir, queue) = queue();
        let path = dir.path().join("queue.sqlite");
        let identity = FileIdentity::of(&path).unwrap();
        assert!(identity.check(&path).is_ok());
        queue.probe(1).unwrap();
        std::fs::remove_file(&path).unwrap();
        let error = identity.check(&path).unwrap_err().to_string();
        assert!(
            error.contains("was deleted while the server ran"),
            "{error}"
        );
        std::fs::write(&path, b"another file").unwrap();
        let error = identity.check(&path).unwrap_err().to_string();
        assert!(error.contains("was replaced by another file"), "{error}");
    }

    #[test]
    fn an_unwritable_path_is_a_clear_error() {
        let error = Queue::open(Path::new("/nonexistent-dir/queue.sqlite"))
            .err()
            .unwrap();
        assert!(
            error
                .to_string()
                .starts_with("the queue database /nonexistent-dir/queue.sqlite cannot be opened"),
            "{error}"
        );
    }
}
