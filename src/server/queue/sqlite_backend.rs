//! SQLite behind the seam: the workers' calls run on the blocking pool, one at a time, on one
//! connection (`SqliteBackend`); the webhook's writer has a connection of its own on its own
//! thread (`SqliteWriter`), which checks before every batch that the path still names the file
//! it opened (SQLite would go on writing to a deleted file), leaves checkpoints to a thread of
//! their own, and lets the WAL start again from its beginning once it has grown past its bound.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use super::seam::{Backend, Call, Writer};
use super::sqlite::{FileIdentity, SqliteQueue, WAL_RESTART_AT};
use super::{Counts, Fenced, Final, Job, NewDelivery, QueueError, Stored, Ticket};

pub struct SqliteBackend {
    queue: Arc<Mutex<SqliteQueue>>,
    /// The webhook's writer opens its own connection to the same file.
    path: PathBuf,
}

impl SqliteBackend {
    /// Opens (creating and migrating) the database at `path`, off the runtime's threads.
    pub async fn open(path: &Path) -> Result<SqliteBackend, QueueError> {
        let opening = path.to_path_buf();
        let queue = tokio::task::spawn_blocking(move || SqliteQueue::open(&opening))
            .await
            .map_err(|error| QueueError::Panicked(error.to_string()))??;
        Ok(SqliteBackend {
            queue: Arc::new(Mutex::new(queue)),
            path: path.to_path_buf(),
        })
    }

    /// Runs `call` on the connection, on the blocking pool.
    fn call<T: Send + 'static>(
        &self,
        call: impl FnOnce(&mut SqliteQueue) -> Result<T, QueueError> + Send + 'static,
    ) -> Call<'static, T> {
        let queue = Arc::clone(&self.queue);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                // A call that panicked left nothing half-written (SQLite rolled it back).
                let mut queue = queue.lock().unwrap_or_else(|e| e.into_inner());
                call(&mut queue)
            })
            .await
            .map_err(|error| QueueError::Panicked(error.to_string()))?
        })
    }
}

impl Backend for SqliteBackend {
    fn enqueue_batch(&self, batch: Vec<NewDelivery>) -> Call<'_, Stored> {
        self.call(move |q| q.enqueue_batch(&batch))
    }

    fn claim(&self, now_ms: i64, lease: Duration) -> Call<'_, Option<Job>> {
        self.call(move |q| q.claim(now_ms, lease))
    }

    fn finish(&self, job: Ticket, state: Final, error: Option<String>) -> Call<'_, Fenced> {
        self.call(move |q| q.finish(&job, state, error.as_deref()))
    }

    fn requeue(&self, job: Ticket, error: String, at_ms: i64, give_back: u32) -> Call<'_, Fenced> {
        self.call(move |q| q.requeue(&job, &error, at_ms, give_back))
    }

    fn release_claims(&self) -> Call<'_, u64> {
        self.call(|q| q.release_claims())
    }

    fn counts(&self) -> Call<'_, Counts> {
        self.call(|q| q.counts())
    }

    fn prune_done(&self, before_ms: i64) -> Call<'_, u64> {
        self.call(move |q| q.prune_done(before_ms))
    }

    fn dead(&self) -> Call<'_, Vec<(String, String)>> {
        self.call(|q| q.dead())
    }

    /// One process holds the file, and its writer wakes the workers itself.
    fn listen(&self, _wake: Arc<Notify>) -> Option<tokio::task::JoinHandle<()>> {
        None
    }

    fn writer(&self) -> Result<Box<dyn Writer>, QueueError> {
        Ok(Box::new(SqliteWriter::open(&self.path)?))
    }
}

/// The webhook's connection, on the intake's thread.
struct SqliteWriter {
    queue: SqliteQueue,
    path: PathBuf,
    identity: FileIdentity,
    /// Tells the checkpoint thread there is something to copy.
    written: std::sync::mpsc::SyncSender<()>,
}

impl SqliteWriter {
    /// Opens the writer's connection and starts the thread that checkpoints behind it.
    fn open(path: &Path) -> Result<SqliteWriter, QueueError> {
        let queue = SqliteQueue::open_for_intake(path)?;
        let identity = FileIdentity::of(path).map_err(|error| QueueError::Open {
            path: path.display().to_string(),
            cause: rusqlite::Error::ToSqlConversionFailure(Box::new(error)),
        })?;
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
                    std::thread::sleep(Duration::from_millis(100));
                }
            })
            .map_err(|cause| QueueError::Thread {
                what: "checkpoint",
                cause,
            })?;
        Ok(SqliteWriter {
            queue,
            path: path.to_path_buf(),
            identity,
            written,
        })
    }
}

impl Writer for SqliteWriter {
    fn store(&mut self, batch: Vec<NewDelivery>) -> Result<Stored, QueueError> {
        self.identity.check(&self.path)?;
        self.queue.enqueue_batch(&batch)
    }

    /// The WAL is copied back by the checkpoint thread, and started again from its beginning
    /// here once it has grown past its bound.
    fn after_commit(&mut self) {
        let _ = self.written.try_send(());
        if self.queue.wal_bytes() > WAL_RESTART_AT {
            if let Err(error) = self.queue.restart_wal() {
                tracing::warn!(%error, "cannot restart the WAL; the next batch tries again");
            }
        }
    }

    fn probe(&mut self, now_ms: i64) -> Result<(), QueueError> {
        self.identity.check(&self.path)?;
        self.queue.probe(now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_queue_call_that_panics_is_an_error_and_the_queue_still_answers() {
        let dir = tempfile::tempdir().unwrap();
        let backend = SqliteBackend::open(&dir.path().join("queue.sqlite"))
            .await
            .unwrap();

        let failed = backend
            .call(|_| -> Result<(), QueueError> { panic!("a bug in a queue call") })
            .await;

        assert!(
            matches!(&failed, Err(QueueError::Panicked(why)) if why.contains("panicked")),
            "{failed:?}"
        );
        assert_eq!(backend.counts().await.unwrap(), Counts::default());
    }
}
