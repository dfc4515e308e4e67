//! The workers: claim a job, run the engine on it, and record what became of it. The queue
//! decides which job is runnable (one repository's jobs in order), so any number of workers
//! can run side by side; the pool's size bounds how many repositories are worked on at once.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::job_result::{disposition, is_refused_token, Disposition};
use super::metrics::Metrics;
use super::queue::{AfterFailure, Job, Queue, QueueError, RetryPolicy};
use crate::engine::Engine;

/// How often an idle worker looks for jobs whose back-off has run out.
const POLL: Duration = Duration::from_millis(250);
/// Finished jobs are kept this long (GitHub lets a delivery be redelivered for three days).
const KEEP_DONE: Duration = Duration::from_secs(7 * 24 * 3600);

pub struct Pool {
    pub queue: Arc<Mutex<Queue>>,
    pub engine: Engine,
    pub metrics: Arc<Metrics>,
    pub policy: RetryPolicy,
    /// How long a claim holds before another worker may take the job (a hung job).
    pub lease: Duration,
    /// Told by the intake after every commit.
    pub wake: Arc<Notify>,
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Pool {
    /// Starts `count` workers that run until `stop` turns true, each finishing its job first.
    pub fn spawn(
        self: &Arc<Self>,
        count: usize,
        stop: watch::Receiver<bool>,
    ) -> Vec<JoinHandle<()>> {
        (0..count)
            .map(|_| tokio::spawn(Arc::clone(self).work(stop.clone())))
            .collect()
    }

    /// Hourly, forgets finished jobs older than a week, so the database does not grow forever.
    pub fn spawn_janitor(self: &Arc<Self>, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
        let pool = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                let before = now_ms() - KEEP_DONE.as_millis() as i64;
                match pool.blocking(move |q, _| q.prune_done(before)).await {
                    Ok(0) => {}
                    Ok(pruned) => tracing::info!(pruned, "old finished jobs forgotten"),
                    Err(error) => tracing::warn!(%error, "cannot prune finished jobs"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
                    _ = stop.changed() => return,
                }
            }
        })
    }

    async fn work(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                return;
            }
            // Registered before looking, so a commit between the look and the wait is not missed.
            let woken = self.wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            match self
                .blocking(|queue, lease| queue.claim(now_ms(), lease))
                .await
            {
                Ok(Some(job)) => Arc::clone(&self).run_guarded(job).await,
                Ok(None) => {
                    tokio::select! {
                        _ = woken => {}
                        _ = tokio::time::sleep(POLL) => {}
                        _ = stop.changed() => {}
                    }
                }
                Err(error) => {
                    tracing::error!(%error, "cannot claim a job");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Queue, Duration) -> Result<T, QueueError> + Send + 'static,
    ) -> Result<T, QueueError> {
        let queue = Arc::clone(&self.queue);
        let lease = self.lease;
        tokio::task::spawn_blocking(move || {
            let mut queue = queue.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut queue, lease)
        })
        .await
        .expect("queue calls do not panic")
    }

    /// Runs the job in a task of its own, so that a bug that panics fails this job (to be
    /// retried, then dead) instead of silently ending the worker with the job still claimed.
    async fn run_guarded(self: Arc<Self>, job: Job) {
        let pool = Arc::clone(&self);
        let kept = job.clone();
        if let Err(error) = tokio::spawn(async move { pool.run(job).await }).await {
            let message = format!("the job panicked: {error}");
            tracing::error!(delivery = %kept.delivery_id, repo = %kept.repo, event = %kept.event, %message);
            self.metrics.job("panicked");
            let policy = self.policy;
            let jitter = jitter(kept.seq, kept.attempts);
            if let Err(error) = self
                .blocking(move |q, _| q.fail(&kept, &message, now_ms(), &policy, jitter))
                .await
            {
                tracing::error!(%error, "cannot record the job's failure");
            }
        }
    }

    async fn run(&self, job: Job) {
        let span = tracing::info_span!(
            "job",
            delivery = %job.delivery_id,
            repo = %job.repo,
            event = %job.event,
            attempt = job.attempts
        );
        self.run_in_span(job).instrument(span).await
    }

    async fn run_in_span(&self, job: Job) {
        let mut result = self.engine.handle_delivery(&job.event, &job.body).await;
        if is_refused_token(&result) {
            if let Some(installation) = installation_of(&job.body) {
                tracing::warn!("GitHub refused the installation token; fetching a new one");
                self.engine.forget_token(installation).await;
                result = self.engine.handle_delivery(&job.event, &job.body).await;
            }
        }
        let latency = Duration::from_millis((now_ms() - job.received_ms).max(0) as u64);
        let policy = self.policy;
        let jitter = jitter(job.seq, job.attempts);
        let recorded = match disposition(&result) {
            Disposition::Done => {
                let outcome = result
                    .as_ref()
                    .map(|o| format!("{o:?}"))
                    .unwrap_or_default();
                tracing::info!(%outcome, "job done");
                self.metrics.job("done");
                self.metrics.job_latency(latency);
                self.blocking(move |q, _| q.complete(job.seq)).await
            }
            Disposition::WaitFor { wait, error } => {
                tracing::warn!(%error, wait_secs = wait.as_secs(), "rate limited; the job waits");
                self.metrics.job("rate_limited");
                let at = now_ms() + wait.as_millis() as i64;
                self.blocking(move |q, _| q.retry_at(&job, &error, at))
                    .await
            }
            Disposition::Retry { error } => {
                let after = self
                    .blocking(move |q, _| {
                        q.fail(&job, &error, now_ms(), &policy, jitter)
                            .map(|a| (a, error))
                    })
                    .await;
                match after {
                    Ok((AfterFailure::RetryAt(at), error)) => {
                        tracing::warn!(%error, retry_in_ms = at - now_ms(), "job failed; it will be retried");
                        self.metrics.job("retry");
                        Ok(())
                    }
                    Ok((AfterFailure::Dead, error)) => {
                        tracing::error!(%error, "job failed for the last time; it is dead");
                        self.metrics.job("dead");
                        self.metrics.job_latency(latency);
                        Ok(())
                    }
                    Err(error) => Err(error),
                }
            }
            Disposition::GiveUp { error } => {
                tracing::error!(%error, "the delivery cannot be handled; it is dead");
                self.metrics.job("dead");
                self.blocking(move |q, _| q.give_up(&job, &error)).await
            }
        };
        if let Err(error) = recorded {
            // The claim runs out and the job runs again; every step is idempotent.
            tracing::error!(%error, "cannot record the job's result");
        }
    }
}

fn installation_of(body: &[u8]) -> Option<u64> {
    #[derive(Deserialize)]
    struct Payload {
        installation: Option<Installation>,
    }
    #[derive(Deserialize)]
    struct Installation {
        id: u64,
    }
    serde_json::from_slice::<Payload>(body)
        .ok()?
        .installation
        .map(|i| i.id)
}

/// In [0, 1), different per process and per attempt, so jobs that failed together spread out.
fn jitter(seq: i64, attempts: u32) -> f64 {
    let hash = RandomState::new().hash_one((seq, attempts));
    (hash >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_installation_is_read_from_the_payload() {
        assert_eq!(
            installation_of(br#"{"action":"created","installation":{"id":77,"node_id":"x"}}"#),
            Some(77)
        );
        assert_eq!(installation_of(br#"{"action":"created"}"#), None);
    }

    #[test]
    fn jitter_stays_in_its_range() {
        for n in 0..1000 {
            let j = jitter(n, 1);
            assert!((0.0..1.0).contains(&j), "{j}");
        }
    }
}
