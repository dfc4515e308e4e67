//! The SQLite backend: one file, one process. The process holds an exclusive lock on the file
//! for its lifetime (`SqliteLock`), so a second server on the same file refuses to start
//! instead of freeing and re-running the first one's jobs. The webhook's writer commits
//! deliveries in batches on a connection of its own; workers share one other connection (both
//! in `sqlite_backend.rs`).
//!
//! Claims read the repository heads without taking the write lock and take it only to claim
//! the job they found, so a backlog neither slows a claim nor stands in the writer's way.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::{
    fenced, unpack, Counts, Enqueued, Fenced, Job, NewDelivery, QueueError, Stored, Ticket,
};

/// The WAL is checkpointed back to this size once the burst writing it pauses.
const JOURNAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;
/// Past this, the writer waits for a checkpoint that lets the WAL start again from its
/// beginning: under a sustained burst, passive checkpoints never catch up and the WAL would
/// otherwise grow with the burst's length (1.85 GB after 12 s at 13,000 deliveries/s).
pub const WAL_RESTART_AT: u64 = 32 * 1024 * 1024;

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

/// Each repository's earliest unfinished job, kept with the jobs: a claim reads one row per
/// repository with work. Rebuilt from the jobs at every open, so a database from before heads
/// existed (or damaged by hand) starts right.
const HEADS: &str = "
CREATE TABLE IF NOT EXISTS heads (repo TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deliveries_unfinished ON deliveries (repo, seq)
    WHERE state IN ('queued', 'claimed');
";

/// The columns a claim returns, in `job_from_row`'s order.
const JOB_COLUMNS: &str =
    "seq, delivery_id, event, repo, body, attempts, received_at, encoding, claim_token";

fn job_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Job> {
    let encoding: String = row.get(7)?;
    let body = unpack(&encoding, row.get(4)?).map_err(|error| {
        rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Blob, error.into())
    })?;
    Ok(Job {
        seq: row.get(0)?,
        delivery_id: row.get(1)?,
        event: row.get(2)?,
        repo: row.get(3)?,
        body,
        attempts: row.get(5)?,
        received_ms: row.get(6)?,
        claim_token: row.get(8)?,
    })
}

fn io_cause(error: std::io::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(error))
}

/// The process's hold on the database file: an exclusive `flock`, released when the process
/// ends (however it ends). SQLite's own locks are `fcntl` locks, which this does not touch.
#[derive(Debug)]
pub struct SqliteLock {
    _file: std::fs::File,
}

impl SqliteLock {
    /// Takes the lock, creating the file if there is none; `InUse` when another process has it.
    pub fn acquire(path: &Path) -> Result<SqliteLock, QueueError> {
        let open_error = |error| QueueError::Open {
            path: path.display().to_string(),
            cause: io_cause(error),
        };
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(open_error)?;
        use std::os::unix::io::AsRawFd as _;
        // SAFETY: flock on a descriptor this function owns; it has no memory effects.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(SqliteLock { _file: file });
        }
        let error = std::io::Error::last_os_error();
        if error.kind() == std::io::ErrorKind::WouldBlock {
            Err(QueueError::InUse {
                path: path.display().to_string(),
            })
        } else {
            Err(open_error(error))
        }
    }
}

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

pub struct SqliteQueue {
    connection: Connection,
    path: PathBuf,
}

impl SqliteQueue {
    /// Opens (creating and migrating) the database at `path`.
    pub fn open(path: &Path) -> Result<SqliteQueue, QueueError> {
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
            .pragma_update(None, "journal_size_limit", JOURNAL_SIZE_LIMIT)
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
        connection.execute_batch(HEADS).map_err(open_error)?;
        let mut queue = SqliteQueue {
            connection,
            path: path.to_path_buf(),
        };
        queue.rebuild_heads().map_err(open_error)?;
        Ok(queue)
    }

    fn rebuild_heads(&mut self) -> Result<(), rusqlite::Error> {
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        transaction.execute_batch(
            "DELETE FROM heads;
             INSERT INTO heads (repo, seq)
                 SELECT repo, MIN(seq) FROM deliveries WHERE state IN ('queued', 'claimed') GROUP BY repo;",
        )?;
        transaction.commit()
    }

    /// The webhook's writer: it leaves checkpoints (copying the WAL into the database) to
    /// `checkpoint` on another thread, so that work does not stand between a delivery and its
    /// answer.
    pub fn open_for_intake(path: &Path) -> Result<SqliteQueue, QueueError> {
        let queue = SqliteQueue::open(path)?;
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

    /// The WAL file's size now (0 when there is none).
    pub fn wal_bytes(&self) -> u64 {
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
    }

    /// Copies the rest of the WAL into the database and waits for readers to leave it, so the
    /// next commit writes the WAL from its beginning (and trims it to the size limit). Blocks
    /// the writer for as long as that takes: called by the writer itself, between batches.
    pub fn restart_wal(&self) -> Result<(), QueueError> {
        self.connection
            .query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()))?;
        Ok(())
    }

    /// Writes many deliveries in one transaction: one fsync for the lot, which is what lets the
    /// webhook answer thousands of deliveries a second with every one of them on disk.
    ///
    /// A delivery id seen before is a redelivery: a no-op, unless its job had gone dead, when
    /// it is queued again (see `Enqueued::Revived`).
    pub fn enqueue_batch(&mut self, batch: &[NewDelivery]) -> Result<Stored, QueueError> {
        let transaction = self.connection.transaction()?;
        let mut results = Vec::with_capacity(batch.len());
        let mut new_work = false;
        {
            let mut insert = transaction.prepare_cached(
                "INSERT OR IGNORE INTO deliveries (delivery_id, event, repo, body, encoding, received_at, last_error) VALUES (?1, ?2, ?3, ?4, 'lz4', ?5, ?6)",
            )?;
            // Out with the dead row, so the revived job gets a new place at the end of the
            // queue: its repository's later jobs may be running, and order is kept by `seq`.
            let mut take_dead = transaction.prepare_cached(
                "DELETE FROM deliveries WHERE delivery_id = ?1 AND state = 'dead' RETURNING last_error",
            )?;
            // A repository without unfinished jobs gets this one as its head.
            let mut head = transaction
                .prepare_cached("INSERT OR IGNORE INTO heads (repo, seq) VALUES (?1, ?2)")?;
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
                let result = if insert_with(None)? == 1 {
                    Enqueued::New
                } else {
                    let dead: Option<Option<String>> = take_dead
                        .query_row(params![delivery.delivery_id], |row| row.get(0))
                        .optional()?;
                    match dead {
                        Some(last_error) => {
                            // Its last error stays until the job succeeds, for whoever looks.
                            insert_with(last_error.as_deref())?;
                            Enqueued::Revived
                        }
                        None => Enqueued::Duplicate,
                    }
                };
                if result != Enqueued::Duplicate {
                    let seq = transaction.last_insert_rowid();
                    new_work |= head.execute(params![delivery.repo, seq])? == 1;
                }
                results.push(result);
            }
        }
        transaction.commit()?;
        Ok(Stored { results, new_work })
    }

    /// At start: jobs claimed by an earlier process that died are free again at once (the
    /// lock says no other process holds the file, so no live worker holds them).
    pub fn release_claims(&self) -> Result<u64, QueueError> {
        Ok(self.connection.execute(
            "UPDATE deliveries SET state = 'queued', claimed_until = 0 WHERE state = 'claimed'",
            [],
        )? as u64)
    }

    pub fn counts(&self) -> Result<Counts, QueueError> {
        let mut statement = self
            .connection
            .prepare_cached("SELECT state, COUNT(*) FROM deliveries GROUP BY state")?;
        let mut counts = Counts::default();
        let rows = statement.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get(1)?)))?;
        for row in rows {
            let (state, n): (String, u64) = row?;
            counts.add(&state, n);
        }
        Ok(counts)
    }

    /// The oldest runnable head, claimed until `now + lease`. The look is a plain read, so
    /// idle workers never take the write lock from the webhook's writer; the claim itself is
    /// a conditional update that fails (and looks again) if another worker got there first.
    pub fn claim(&mut self, now_ms: i64, lease: Duration) -> Result<Option<Job>, QueueError> {
        let until = now_ms + lease.as_millis() as i64;
        loop {
            let candidate: Option<i64> = self
                .connection
                .prepare_cached(
                    "SELECT d.seq FROM heads h JOIN deliveries d ON d.seq = h.seq
                     WHERE (d.state = 'queued' OR (d.state = 'claimed' AND d.claimed_until <= ?1))
                       AND d.not_before <= ?1
                     ORDER BY h.seq LIMIT 1",
                )?
                .query_row(params![now_ms], |row| row.get(0))
                .optional()?;
            let Some(seq) = candidate else {
                return Ok(None);
            };
            let claimed = self
                .connection
                .prepare_cached(&format!(
                    "UPDATE deliveries SET state = 'claimed', claimed_until = ?2,
                         attempts = attempts + 1, claim_token = claim_token + 1
                     WHERE seq = ?1 AND not_before <= ?3
                       AND (state = 'queued' OR (state = 'claimed' AND claimed_until <= ?3))
                     RETURNING {JOB_COLUMNS}"
                ))?
                .query_row(params![seq, until, now_ms], job_from_row)
                .optional()?;
            if claimed.is_some() {
                return Ok(claimed);
            }
        }
    }

    /// Records a final state (`done` or `dead`) for the holder of the job's latest claim, and
    /// moves its repository's head on to the next unfinished job.
    pub fn finish(
        &mut self,
        job: &Ticket,
        state: super::Final,
        error: Option<&str>,
    ) -> Result<Fenced, QueueError> {
        let state = state.as_db();
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let changed = transaction.execute(
            "UPDATE deliveries SET state = ?4, last_error = ?3
             WHERE seq = ?1 AND state = 'claimed' AND claim_token = ?2",
            params![job.seq, job.claim_token, error, state],
        )?;
        if changed == 1 {
            let next: Option<i64> = transaction.query_row(
                "SELECT MIN(seq) FROM deliveries WHERE repo = ?1 AND state IN ('queued', 'claimed')",
                params![job.repo],
                |row| row.get(0),
            )?;
            match next {
                Some(seq) => transaction.execute(
                    "INSERT OR REPLACE INTO heads (repo, seq) VALUES (?1, ?2)",
                    params![job.repo, seq],
                )?,
                None => {
                    transaction.execute("DELETE FROM heads WHERE repo = ?1", params![job.repo])?
                }
            };
        }
        transaction.commit()?;
        Ok(fenced(changed as u64))
    }

    /// Back to the queue at `at_ms`; still its repository's head.
    pub fn requeue(
        &self,
        job: &Ticket,
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
        Ok(fenced(changed as u64))
    }

    pub fn prune_done(&self, before_ms: i64) -> Result<u64, QueueError> {
        Ok(self.connection.execute(
            "DELETE FROM deliveries WHERE state = 'done' AND received_at < ?1",
            params![before_ms],
        )? as u64)
    }

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

    #[test]
    fn a_database_from_before_compression_and_heads_is_migrated_and_its_jobs_still_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue.sqlite");
        {
            let old = Connection::open(&path).unwrap();
            old.execute_batch(
                &SCHEMA.replace("    encoding      TEXT NOT NULL DEFAULT 'identity',\n", ""),
            )
            .unwrap();
            old.execute(
                "INSERT INTO deliveries (delivery_id, event, repo, body, received_at) VALUES ('d-0', 'push', 'o/r', ?1, 0)",
                params![b"{\"ref\":\"refs/tags/0.1.3\"}".to_vec()],
            )
            .unwrap();
        }
        let mut queue = SqliteQueue::open(&path).unwrap();
        queue
            .enqueue_batch(&[NewDelivery::new("d-1", "push", "o/s", b"{}", 0)])
            .unwrap();
        let old_job = queue.claim(1, LEASE).unwrap().unwrap();
        let new_job = queue.claim(1, LEASE).unwrap().unwrap();
        assert_eq!(old_job.body, b"{\"ref\":\"refs/tags/0.1.3\"}".to_vec());
        assert_eq!(new_job.body, b"{}".to_vec());
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
            // Claimed by the old release when it stopped.
            old.execute(
                "INSERT INTO deliveries (delivery_id, event, repo, body, state, attempts, claimed_until, received_at)
                 VALUES ('d-0', 'push', 'o/r', ?1, 'claimed', 1, 10, 0)",
                params![b"{}".to_vec()],
            )
            .unwrap();
        }
        let mut queue = SqliteQueue::open(&path).unwrap();
        let job = queue.claim(10, LEASE).unwrap().unwrap();
        assert_eq!((job.delivery_id.as_str(), job.claim_token), ("d-0", 1));
        assert_eq!(
            queue
                .finish(&job.ticket(), crate::server::queue::Final::Done, None)
                .unwrap(),
            Fenced::Held
        );
    }

    #[test]
    fn a_second_process_on_the_same_file_is_refused_and_pointed_at_postgres() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue.sqlite");
        let held = SqliteLock::acquire(&path).unwrap();

        let error = SqliteLock::acquire(&path).unwrap_err().to_string();

        assert!(
            error.contains("is in use by another releasebot serve"),
            "{error}"
        );
        assert!(error.contains("RELEASEBOT_DATABASE=postgres://"), "{error}");
        drop(held);
        SqliteLock::acquire(&path).expect("free again once the holder is gone");
    }

    #[test]
    fn a_deleted_or_replaced_file_is_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue.sqlite");
        let queue = SqliteQueue::open(&path).unwrap();
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
        let error = SqliteQueue::open(Path::new("/nonexistent-dir/queue.sqlite"))
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
