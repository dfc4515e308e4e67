//! The webhook's way into the queue: one writer thread that commits whatever deliveries are
//! waiting in a single transaction (group commit), then answers each. A delivery is answered
//! only after its transaction is on disk, and a burst costs one fsync, not one per delivery.
//!
//! Before each batch the writer checks that the database path still names the file it opened
//! (SQLite would go on writing to a deleted file): if not, nothing is acknowledged. `/healthz`
//! asks the same writer for a probe write, so it fails when a delivery could not be committed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Notify};

use super::queue::{Enqueued, FileIdentity, NewDelivery, Queue, QueueError};

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

struct Writer {
    queue: Queue,
    path: PathBuf,
    identity: FileIdentity,
}

impl Writer {
    fn commit(&mut self, batch: &mut Vec<Submission>) -> bool {
        if batch.is_empty() {
            return false;
        }
        let deliveries: Vec<NewDelivery> = batch.iter().map(|s| s.delivery.clone()).collect();
        let stored = self
            .identity
            .check(&self.path)
            .and_then(|()| self.queue.enqueue_batch(&deliveries));
        match stored {
            Ok(results) => {
                for (submission, result) in batch.drain(..).zip(results) {
                    let _ = submission.answer.send(Ok(result));
                }
                true
            }
            Err(error) => {
                tracing::error!(%error, deliveries = batch.len(), "queue write failed; the deliveries are refused with 503");
                let message = error.to_string();
                for submission in batch.drain(..) {
                    let _ = submission.answer.send(Err(message.clone()));
                }
                false
            }
        }
    }

    fn probe(&self) -> Result<(), String> {
        self.identity
            .check(&self.path)
            .and_then(|()| self.queue.probe(chrono::Utc::now().timestamp_millis()))
            .map_err(|error| error.to_string())
    }
}

impl Intake {
    /// Opens its own connection to the queue at `path`; `committed` is told after every commit
    /// so that idle workers look for the new jobs at once.
    pub fn start(path: &Path, committed: Arc<Notify>) -> Result<Intake, QueueError> {
        let queue = Queue::open_for_intake(path)?;
        let identity = FileIdentity::of(path).map_err(|error| QueueError::Open {
            path: path.display().to_string(),
            cause: rusqlite::Error::ToSqlConversionFailure(Box::new(error)),
        })?;
        let mut writer = Writer {
            queue,
            path: path.to_path_buf(),
            identity,
        };
        let checkpoints = Queue::open(path)?;
        let (sender, mut receiver) = mpsc::channel::<Message>(4 * MAX_BATCH);
        let (written, to_checkpoint) = std::sync::mpsc::sync_channel::<()>(1);
        let thread_error = |error: std::io::Error| QueueError::Open {
            path: path.display().to_string(),
            cause: rusqlite::Error::ToSqlConversionFailure(Box::new(error)),
        };
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
            .map_err(thread_error)?;
        std::thread::Builder::new()
            .name("releasebot-intake".into())
            .spawn(move || {
                let mut batch = Vec::with_capacity(MAX_BATCH);
                let mut probes = Vec::new();
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
                    if writer.commit(&mut batch) {
                        committed.notify_waiters();
                        let _ = written.try_send(());
                    }
                    for answer in probes.drain(..) {
                        let _ = answer.send(writer.probe());
                    }
                }
            })
            .map_err(thread_error)?;
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
        let intake = Intake::start(&path, Arc::new(Notify::new())).unwrap();
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
        assert_eq!(Queue::open(&path).unwrap().depth().unwrap(), 100);
    }

    #[tokio::test]
    async fn a_commit_that_fails_answers_the_delivery_with_the_error_and_stores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue.sqlite");
        let intake = Intake::start(&path, Arc::new(Notify::new())).unwrap();
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
        let intake = Intake::start(&path, Arc::new(Notify::new())).unwrap();
        assert_eq!(intake.probe().await, Ok(()));
        std::fs::remove_file(&path).unwrap();

        let error = intake.submit(delivery("d-1")).await.unwrap_err();

        assert!(error.to_string().contains("was deleted"), "{error}");
        assert!(intake.probe().await.unwrap_err().contains("was deleted"));
    }
}
