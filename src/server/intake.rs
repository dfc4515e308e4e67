//! The webhook's way into the queue: one writer thread that commits whatever deliveries are
//! waiting in a single transaction (group commit), then answers each. A delivery is answered
//! only after its transaction is on disk, and a burst costs one commit, not one per delivery.
//!
//! The writer is the store's own (`Store::writer`, the queue's seam): what a backend checks
//! before a batch and does after one lives with that backend (SQLite: that the path still names
//! the file it opened, and the WAL's bound). `/healthz` asks the same writer for a probe write,
//! so it fails when a delivery could not be committed.
//!
//! A failing commit is logged at most once per 10 s with how many deliveries failed since
//! the last line (`LogLimit`): every delivery meets the same failure while the database is
//! gone or down, and one line each flooded the log (issue 24).

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Notify};

use super::log_limit::LogLimit;
use super::queue::{Enqueued, NewDelivery, QueueError, Store, Writer};

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

/// Commits the batch and answers each delivery; true when a repository got runnable work.
/// A failure is logged as `failures` allows (`now_ms`: for its window).
fn commit(
    writer: &mut dyn Writer,
    batch: &mut Vec<Submission>,
    failures: &LogLimit,
    now_ms: u64,
) -> bool {
    if batch.is_empty() {
        return false;
    }
    let deliveries: Vec<NewDelivery> = batch.iter().map(|s| s.delivery.clone()).collect();
    match writer.store(deliveries) {
        Ok(stored) => {
            for (submission, result) in batch.drain(..).zip(stored.results) {
                let _ = submission.answer.send(Ok(result));
            }
            writer.after_commit();
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

impl Intake {
    /// Starts the store's writer on a thread of its own; `wake` is told after every commit
    /// that gives a repository runnable work, so idle workers look at once.
    pub fn start(store: &Store, wake: Arc<Notify>) -> Result<Intake, QueueError> {
        Self::spawn(store.writer()?, wake)
    }

    fn spawn(mut writer: Box<dyn Writer>, wake: Arc<Notify>) -> Result<Intake, QueueError> {
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
                    if commit(writer.as_mut(), &mut batch, &failures, now) {
                        wake.notify_waiters();
                    }
                    for answer in probes.drain(..) {
                        let now = chrono::Utc::now().timestamp_millis();
                        let _ = answer.send(writer.probe(now).map_err(|error| error.to_string()));
                    }
                }
            })
            .map_err(|cause| QueueError::Thread {
                what: "writer",
                cause,
            })?;
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
    use crate::server::queue::sqlite::WAL_RESTART_AT;
    use crate::server::queue::Database;

    fn delivery(id: &str) -> NewDelivery {
        NewDelivery::new(id, "issue_comment", "o/r", b"{}", 0)
    }

    /// A server's queue in a file of the test's own, and its intake.
    async fn started(path: &std::path::Path) -> (Store, Intake) {
        let store = Store::open(&Database::Sqlite(path.to_path_buf()), 1)
            .await
            .unwrap();
        let intake = Intake::start(&store, Arc::new(Notify::new())).unwrap();
        (store, intake)
    }

    #[tokio::test]
    async fn concurrent_submissions_are_all_committed_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue.sqlite");
        let (store, intake) = started(&path).await;
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
        let stored = store.counts().await.unwrap();
        assert_eq!(stored.queued, 100);
    }

    #[tokio::test]
    async fn a_commit_that_fails_answers_the_delivery_with_the_error_and_stores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue.sqlite");
        let (_store, intake) = started(&path).await;
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
        let (_store, intake) = started(&path).await;
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
        let (store, intake) = started(&path).await;
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
        let stored = store.counts().await.unwrap();
        assert_eq!(stored.queued, 8_000);
    }
}
