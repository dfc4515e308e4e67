//! The webhook's way into the queue: one writer thread that commits whatever deliveries are
//! waiting in a single transaction (group commit), then answers each. A delivery is answered
//! only after its transaction is on disk, and a burst costs one commit, not one per delivery.
//!
//! With SQLite, before each batch the writer checks that the database path still names the
//! file it opened (SQLite would go on writing to a deleted file): if not, nothing is
//! acknowledged; and when the WAL has grown past its bound, the writer lets a checkpoint start
//! it again before the next batch. `/healthz` asks the same writer for a probe write, so it
//! fails when a delivery could not be committed.
//!
//! A failing commit is logged at most once per 10 s with how many deliveries failed since
//! the last line (`LogLimit`): every delivery meets the same failure while the database is
//! gone or down, and one line each flooded the log (issue 24).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Notify};

use super::log_limit::LogLimit;

use super::queue::postgres::PgQueue;
use super::queue::sqlite::{SqliteQueue, WAL_RESTART_AT};
use super::queue::{Enqueued, FileIdentity, NewDelivery, QueueError, Store, Stored, Writes};

/// Deliveries committed together at most; bounds the time the first of them waits.
const MAX_BATCH: usize = 256;

struct Submission {
    delivery: NewDelivery,
    answer: oneshot::Sender<Result<Enqueued, String>>,
}

enum Message {
    Deliver(Submission),
    /// `/healthz`: check the file and commit a small write.
    Probe(oneshot::Sender<Result<(), String>>),
}

#[derive(Clone)]
pub struct Intake {
    sender: mpsc::Sender<Message>,
}

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("the queue could not store the delivery: {0}")]
    Store(String),
    #[error("the queue writer has stopped")]
    Stopped,
}

/// Where the writer commits.
enum Writer {
    Sqlite {
        queue: SqliteQueue,
        path: PathBuf,
        identity: FileIdentity,
        /// Tells the checkpoint thread there is something to copy.
        written: std::sync::mpsc::SyncSender<()>,
    },
    Postgres {
        queue: PgQueue,
        runtime: tokio::runtime::Handle,
    },
}

impl Writer {
    fn store(&mut self, deliveries: &[NewDelivery]) -> Result<Stored, QueueError> {
        match self {
            Writer::Sqlite {
                queue,
                path,
                identity,
                ..
            } => identity
                .check(path)
                .and_then(|()| queue.enqueue_batch(deliveries)),
            Writer::Postgres { queue, runtime } => {
                runtime.block_on(queue.enqueue_batch(deliveries))
            }
        }
    }

    /// After a commit: SQLite's WAL is copied back by the checkpoint thread, and started again
    /// from its beginning here once it has grown past its bound.
    fn after_commit(&mut self) {
        if let Writer::Sqlite { queue, written, .. } = self {
            let _ = written.try_send(());
            if queue.wal_bytes() > WAL_RESTART_AT {
                if let Err(error) = queue.restart_wal() {
                    tracing::warn!(%error, "cannot restart the WAL; the next batch tries again");
                }
            }
        }
    }

    /// Commits the batch and answers each delivery; true when a repository got runnable work.
    /// A failure is logged as `failures` allows (`now_ms`: for its window).
    fn commit(&mut self, batch: &mut Vec<Submission>, failures: &LogLimit, now_ms: u64) -> bool {
        if batch.is_empty() {
            return false;
        }
        let deliveries: Vec<NewDelivery> = batch.iter().map(|s| s.delivery.clone()).collect();
        match self.store(&deliveries) {
            Ok(stored) => {
                for (submission, result) in batch.drain(..).zip(stored.results) {
                    let _ = submission.answer.send(Ok(result));
                }
                self.after_commit();
                stored.new_work
            }
            Err(error) => {
                match failures.allow_many(now_ms, batch.len() as u64) {
                    Some(suppressed) => tracing::error!(
                        %error,
                        deliveries = batch.len(),
                        suppressed,
                        "queue write failed; the deliveries are refused with 503 (deliveries failing within 10 s are counted in /metrics as store_failed and in the next line's `suppressed`)"
                    ),
                    None => tracing::debug!(%error, deliveries = batch.len(), "queue write failed"),
                }
                let message = error.to_string();
                for submission in batch.drain(..) {
                    let _ = submission.answer.send(Err(message.clone()));
                }
                false
            }
        }
    }

    fn probe(&self) -> Result<(), String> {
        let now = chrono::Utc::now().timestamp_millis();
        match self {
            Writer::Sqlite {
                queue,
                path,
                identity,
                ..
            } => identity.check(path).and_then(|()| queue.probe(now)),
            Writer::Postgres { queue, runtime } => runtime.block_on(queue.probe(now)),
        }
        .map_err(|error| error.to_string())
    }
}

fn thread_error(path: &str, error: std::io::Error) -> QueueError {
    QueueError::Open {
        path: path.to_string(),
        cause: rusqlite::Error::ToSqlConversionFailure(Box::new(error)),
    }
}

impl Intake {
    /// The writer for the store's backend.
    pub fn start(store: &Store, wake: Arc<Notify>) -> Result<Intake, QueueError> {
        match store.writes() {
            Writes::Sqlite(path) => Self::start_sqlite(path, wake),
            Writes::Postgres(queue) => Self::start_postgres(queue.clone(), wake),
        }
    }

    /// Opens its own connection to the SQLite queue at `path`; `wake` is told after every
    /// commit that gives a repository runnable work, so idle workers look at once.
    pub fn start_sqlite(path: &Path, wake: Arc<Notify>) -> Result<Intake, QueueError> {
        let queue = SqliteQueue::open_for_intake(path)?;
        let identity = FileIdentity::of(path)
            .map_err(|error| thread_error(&path.display().to_string(), error))?;
        let checkpoints = SqliteQueue::open(path)?;
        let (written, to_checkpoint) = std::sync::mpsc::sync_channel::<()>(1);
        std::thread::Builder::new()
            .name("releasebot-checkpoint".into())
            .spawn(move || {
                // Ends when the writer ends (the channel closes).
                while to_checkpoint.recv().is_ok() {
                    if let Err(error) = checkpoints.checkpoint() {
                        tracing::warn!(%error, "WAL checkpoint failed; the next one retries");
                    }
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
            })
            .map_err(|error| thread_error(&path.display().to_string(), error))?;
        let writer = Writer::Sqlite {
            queue,
            path: path.to_path_buf(),
            identity,
            written,
        };
        Self::spawn(writer, wake, &path.display().to_string())
    }

    /// Writes through the PostgreSQL queue's pool, from a thread of its own like SQLite's
    /// writer; other replicas' workers hear of new work by `NOTIFY`.
    pub fn start_postgres(queue: PgQueue, wake: Arc<Notify>) -> Result<Intake, QueueError> {
        let writer = Writer::Postgres {
            queue,
            runtime: tokio::runtime::Handle::current(),
        };
        Self::spawn(writer, wake, "PostgreSQL")
    }

    fn spawn(mut writer: Writer, wake: Arc<Notify>, shown: &str) -> Result<Intake, QueueError> {
        let (sender, mut receiver) = mpsc::channel::<Message>(4 * MAX_BATCH);
        std::thread::Builder::new()
            .name("releasebot-intake".into())
            .spawn(move || {
                let mut batch = Vec::with_capacity(MAX_BATCH);
                let mut probes = Vec::new();
                let failures = LogLimit::new(std::time::Duration::from_secs(10));
                let started = std::time::Instant::now();
                while let Some(first) = receiver.blocking_recv() {
                    let mut next = Some(first);
                    while let Some(message) = next.take() {
                        match message {
                            Message::Deliver(submission) => batch.push(submission),
                            Message::Probe(answer) => probes.push(answer),
                        }
                        if batch.len() < MAX_BATCH {
                            next = receiver.try_recv().ok();
                        }
                    }
                    let now = started.elapsed().as_millis() as u64;
                    if writer.commit(&mut batch, &failures, now) {
                        wake.notify_waiters();
                    }
                    for answer in probes.drain(..) {
                        let _ = answer.send(writer.probe());
                    }
                }
            })
            .map_err(|error| thread_error(shown, error))?;
        Ok(Intake { sender })
    }

    /// Stores the delivery; returns once it is committed (or was there already).
    pub async fn submit(&self, delivery: NewDelivery) -> Result<Enqueued, IntakeError> {
        let (answer, answered) = oneshot::channel();
        self.sender
            .send(Message::Deliver(Submission { delivery, answer }))
            .await
            .map_err(|_| IntakeError::Stopped)?;
        answered
            .await
            .map_err(|_| IntakeError::Stopped)?
            .map_err(IntakeError::Store)
    }

    /// Whether a delivery could be committed now: the file is the one opened, and a small
    /// write commits (a full disk or a read-only file fails it). Waits behind the deliveries
    /// already submitted; the caller bounds the wait (a frozen filesystem never answers).
    pub async fn probe(&self) -> Result<(), String> {
        let (answer, answered) = oneshot::channel();
        self.sender
            .send(Message::Probe(answer))
            .await
            .map_err(|_| "the queue writer has stopped".to_string())?;
        answered
            .await
            .map_err(|_| "the queue writer has stopped".to_string())?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(id: &str) -> NewDelivery {
        NewDelivery::new(id, "issue_comment", "o/r", b"{}", 0)
    }

    #[tokio::test]
    async fn concurrent_submissions_are_all_committed_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue.sqlite");
        let intake = Intake::start_sqlite(&path, Arc::new(Notify::new())).unwrap();
        let mut tasks = Vec::new();
        for n in 0..200 {
            let intake = intake.clone();
            // Every delivery twice: the second must come back as a duplicate.
            tasks.push(tokio::spawn(async move {
                intake.submit(delivery(&format!("d-{}", n / 2))).await
            }));
        }
        let mut new = 0;
        for task in tasks {
            if task.await.unwrap().unwrap() == Enqueued::New {
                new += 1;
            }
        }
        assert_eq!(new, 100);
        let stored = SqliteQueue::open(&path).unwrap().counts().unwrap();
        assert_eq!(stored.queued, 100);
    }

    #[tokio::test]
    async fn a_commit_that_fails_answers_the_delivery_with_the_error_and_stores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue.sqlite");
        let intake = Intake::start_sqlite(&path, Arc::new(Notify::new())).unwrap();
        // The database is damaged under the server (here: its table is gone).
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch("DROP TABLE deliveries")
            .unwrap();

        let error = intake.submit(delivery("d-1")).await.unwrap_err();

        assert!(
            error
                .to_string()
                .starts_with("the queue could not store the delivery: "),
            "{error}"
        );
        assert_eq!(
            intake.probe().await,
            Ok(()),
            "the writer goes on for the next delivery"
        );
    }

    #[tokio::test]
    async fn a_deleted_database_acknowledges_nothing_and_fails_the_probe() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue.sqlite");
        let intake = Intake::start_sqlite(&path, Arc::new(Notify::new())).unwrap();
        assert_eq!(intake.probe().await, Ok(()));
        std::fs::remove_file(&path).unwrap();

        let error = intake.submit(delivery("d-1")).await.unwrap_err();

        assert!(error.to_string().contains("was deleted"), "{error}");
        assert!(intake.probe().await.unwrap_err().contains("was deleted"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_sustained_burst_keeps_the_wal_within_its_bound() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue.sqlite");
        let intake = Intake::start_sqlite(&path, Arc::new(Notify::new())).unwrap();
        let wal = dir.path().join("queue.sqlite-wal");
        let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let sampler = {
            let sampling = Arc::clone(&sampling);
            std::thread::spawn(move || {
                let mut largest = 0;
                while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                    largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                largest
            })
        };
        // 8,000 deliveries of the benchmark's 13.7 KB comment, 64 in flight: 125 MB of WAL
        // frames if nothing started the WAL again.
        let body = include_bytes!("../../bench/issue_comment.json");
        let mut senders = Vec::new();
        for sender in 0..64 {
            let intake = intake.clone();
            senders.push(tokio::spawn(async move {
                for n in 0..125 {
                    let delivery = NewDelivery::new(
                        &format!("d-{sender}-{n}"),
                        "issue_comment",
                        "o/r",
                        body,
                        0,
                    );
                    assert_eq!(intake.submit(delivery).await.unwrap(), Enqueued::New);
                }
            }));
        }
        for sender in senders {
            sender.await.unwrap();
        }
        sampling.store(false, std::sync::atomic::Ordering::Relaxed);
        let largest = sampler.join().unwrap();

        assert!(
            largest <= WAL_RESTART_AT + 16 * 1024 * 1024,
            "the WAL reached {} MB",
            largest / 1024 / 1024
        );
        let stored = SqliteQueue::open(&path).unwrap().counts().unwrap();
        assert_eq!(stored.queued, 8_000);
    }
}
