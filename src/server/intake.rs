//! The webhook's way into the queue: one writer thread that commits whatever deliveries are
//! waiting in a single transaction (group commit), then answers each. A delivery is answered
//! only after its transaction is on disk, and a burst costs one fsync, not one per delivery.

use std::path::Path;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Notify};

use super::queue::{Enqueued, NewDelivery, Queue, QueueError};

/// Deliveries committed together at most; bounds the time the first of them waits.
const MAX_BATCH: usize = 256;

struct Submission {
    delivery: NewDelivery,
    answer: oneshot::Sender<Result<Enqueued, String>>,
}

#[derive(Clone)]
pub struct Intake {
    sender: mpsc::Sender<Submission>,
}

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("the queue could not store the delivery: {0}")]
    Store(String),
    #[error("the queue writer has stopped")]
    Stopped,
}

impl Intake {
    /// Opens its own connection to the queue at `path`; `committed` is told after every commit
    /// so that idle workers look for the new jobs at once.
    pub fn start(path: &Path, committed: Arc<Notify>) -> Result<Intake, QueueError> {
        let mut queue = Queue::open_for_intake(path)?;
        let checkpoints = Queue::open(path)?;
        let (sender, mut receiver) = mpsc::channel::<Submission>(4 * MAX_BATCH);
        let (written, to_checkpoint) = std::sync::mpsc::sync_channel::<()>(1);
        let thread_error = |error: std::io::Error| QueueError::Open {
            path: path.display().to_string(),
            source: rusqlite::Error::ToSqlConversionFailure(Box::new(error)),
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
                while let Some(first) = receiver.blocking_recv() {
                    batch.push(first);
                    while batch.len() < MAX_BATCH {
                        match receiver.try_recv() {
                            Ok(next) => batch.push(next),
                            Err(_) => break,
                        }
                    }
                    let deliveries: Vec<NewDelivery> =
                        batch.iter().map(|s| s.delivery.clone()).collect();
                    match queue.enqueue_batch(&deliveries) {
                        Ok(results) => {
                            for (submission, result) in batch.drain(..).zip(results) {
                                let _ = submission.answer.send(Ok(result));
                            }
                            committed.notify_waiters();
                            let _ = written.try_send(());
                        }
                        Err(error) => {
                            tracing::error!(%error, deliveries = batch.len(), "queue write failed");
                            let message = error.to_string();
                            for submission in batch.drain(..) {
                                let _ = submission.answer.send(Err(message.clone()));
                            }
                        }
                    }
                }
            })
            .map_err(thread_error)?;
        Ok(Intake { sender })
    }

    /// False once the writer thread has ended (it only ends on a bug or at shutdown).
    pub fn is_running(&self) -> bool {
        !self.sender.is_closed()
    }

    /// Stores the delivery; returns once it is committed (or was there already).
    pub async fn submit(&self, delivery: NewDelivery) -> Result<Enqueued, IntakeError> {
        let (answer, answered) = oneshot::channel();
        self.sender
            .send(Submission { delivery, answer })
            .await
            .map_err(|_| IntakeError::Stopped)?;
        answered
            .await
            .map_err(|_| IntakeError::Stopped)?
            .map_err(IntakeError::Store)
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
        assert!(
            intake.is_running(),
            "the writer goes on for the next delivery"
        );
    }
}
