//! The one seam between the queue's behaviour and where it is kept: `Backend` is what workers,
//! the janitor and `/metrics` ask of a queue (through `Store`), and `Writer` is the webhook's
//! batched path into it (through `Store::writer`). SQLite and PostgreSQL each implement both;
//! nothing outside their own files knows which one answers.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::{Counts, Fenced, Final, Job, NewDelivery, QueueError, Stored, Ticket};

/// A queue call in flight: boxed, so the backend can be chosen at run time (`dyn Backend`).
pub type Call<'a, T> = Pin<Box<dyn Future<Output = Result<T, QueueError>> + Send + 'a>>;

/// A queue as the server uses it; see `Store` for what each call means.
pub trait Backend: Send + Sync {
    /// Stores the deliveries in one transaction (the same transaction the `Writer` commits).
    fn enqueue_batch(&self, batch: Vec<NewDelivery>) -> Call<'_, Stored>;

    /// The oldest runnable head, claimed until `now + lease`.
    fn claim(&self, now_ms: i64, lease: Duration) -> Call<'_, Option<Job>>;

    /// Records a final state for the holder of the job's latest claim and moves its
    /// repository's head on to the next unfinished job.
    fn finish(&self, job: Ticket, state: Final, error: Option<String>) -> Call<'_, Fenced>;

    /// Back to the queue at `at_ms`, still its repository's head; `give_back` attempts returned.
    fn requeue(&self, job: Ticket, error: String, at_ms: i64, give_back: u32) -> Call<'_, Fenced>;

    /// Frees the claims this process holds (SQLite: every claim, as one process holds the
    /// file; PostgreSQL: this replica's own).
    fn release_claims(&self) -> Call<'_, u64>;

    fn counts(&self) -> Call<'_, Counts>;

    fn prune_done(&self, before_ms: i64) -> Call<'_, u64>;

    fn dead(&self) -> Call<'_, Vec<(String, String)>>;

    /// Wakes `wake`'s waiters when another process gives a repository runnable work; `None`
    /// where no other process can.
    fn listen(&self, wake: Arc<Notify>) -> Option<tokio::task::JoinHandle<()>>;

    /// The webhook's writer: called once, from the runtime, before its thread starts.
    fn writer(&self) -> Result<Box<dyn Writer>, QueueError>;
}

/// The webhook's way in: runs on a thread of its own and commits whole batches (group commit),
/// blocking until each is on disk.
pub trait Writer: Send {
    /// Stores the deliveries in one transaction; each gets its fate, in order.
    fn store(&mut self, batch: Vec<NewDelivery>) -> Result<Stored, QueueError>;

    /// After a commit that succeeded: upkeep that must not stand before the answer.
    fn after_commit(&mut self) {}

    /// A small write committed like a delivery: fails when one could not be stored now.
    fn probe(&mut self, now_ms: i64) -> Result<(), QueueError>;
}
