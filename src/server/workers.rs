//! The workers: claim a job, run the engine on it, and record what became of it. The queue
//! decides which job is runnable (one repository's jobs in order), so any number of workers
//! can run side by side; the pool's size bounds how many repositories are worked on at once.
//! Each worker runs under a supervisor that replaces it if it ever ends by a panic, so the pool
//! keeps its size.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::job_counted::JobResult;
use super::job_result::{disposition, is_refused_token, Disposition};
use super::metrics::Metrics;
use super::queue::{AfterFailure, Fenced, Job, QueueError, RetryPolicy, Store};
use crate::engine::Engine;
use crate::messages::GaveUp;

/// How often an idle worker looks for jobs whose back-off has run out.
const POLL: Duration = Duration::from_millis(250);
/// Finished jobs are kept this long (GitHub lets a delivery be redelivered for three days).
const KEEP_DONE: Duration = Duration::from_secs(7 * 24 * 3600);
/// Before a panicked worker is replaced, so one that panics at once does not spin.
const RESTART_PAUSE: Duration = Duration::from_secs(1);

/// What became of one job, told to the pool's observer once the result is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobReport {
    pub delivery_id: String,
    pub repo: String,
    pub event: String,
    /// As counted in `releasebot_jobs_total`: `done`, `retry`, `rate_limited`, `dead`,
    /// `permanent`, `stale`, `panicked` or `unrecorded`.
    pub result: JobResult,
}

/// Told of every job's result, on the worker, after the result is recorded: lets whoever
/// embeds the server (or a test) wait for work to finish instead of polling. Keep it quick;
/// if it panics, that worker is replaced by a new one.
#[derive(Clone)]
pub struct JobObserver(pub Arc<dyn Fn(&JobReport) + Send + Sync>);

impl fmt::Debug for JobObserver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JobObserver")
    }
}

pub struct Pool {
    pub store: Store,
    pub engine: Engine,
    pub metrics: Arc<Metrics>,
    pub policy: RetryPolicy,
    /// How long a claim holds before another worker may take the job (a hung job).
    pub lease: Duration,
    /// Told by the intake after every commit.
    pub wake: Arc<Notify>,
    pub observer: Option<JobObserver>,
    /// A queue that cannot be read fails every worker's claim each second: logged at error at
    /// most once per window, with the count of the others.
    pub claim_errors: super::log_limit::LogLimit,
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Aborts the task when dropped: a supervisor aborted at shutdown takes its worker with it.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Pool {
    /// Starts `count` supervised workers that run until `stop` turns true, each finishing its
    /// job first.
    pub fn spawn(
        self: &Arc<Self>,
        count: usize,
        stop: watch::Receiver<bool>,
    ) -> Vec<JoinHandle<()>> {
        (0..count)
            .map(|slot| tokio::spawn(Arc::clone(self).supervise(slot, stop.clone())))
            .collect()
    }

    /// Keeps one worker running in this slot until `stop`: a worker that ends by a panic (a
    /// bug) is logged, counted and replaced.
    async fn supervise(self: Arc<Self>, slot: usize, mut stop: watch::Receiver<bool>) {
        loop {
            let mut worker = AbortOnDrop(tokio::spawn(Arc::clone(&self).work(stop.clone())));
            let ended = (&mut worker.0).await;
            if *stop.borrow() {
                return;
            }
            let why = match ended {
                Ok(()) => "it returned".to_string(),
                Err(error) => error.to_string(),
            };
            tracing::error!(slot, %why, "a worker ended unexpectedly; a new one takes its place");
            self.metrics.worker_restarted();
            tokio::select! {
                _ = tokio::time::sleep(RESTART_PAUSE) => {}
                _ = stop.changed() => return,
            }
        }
    }

    /// Hourly, forgets finished jobs older than a week, so the database does not grow forever.
    pub fn spawn_janitor(self: &Arc<Self>, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
        let pool = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                let before = now_ms() - KEEP_DONE.as_millis() as i64;
                match pool.store.prune_done(before).await {
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
            match self.store.claim(now_ms(), self.lease).await {
                Ok(Some(job)) => {
                    let mut report = JobReport {
                        delivery_id: job.delivery_id.clone(),
                        repo: job.repo.clone(),
                        event: job.event.clone(),
                        result: JobResult::Unrecorded,
                    };
                    report.result = Arc::clone(&self).run_guarded(job).await;
                    if report.result.is_final() {
                        // Its repository's next job may be runnable now; this worker looks
                        // again at once, and the idle ones too (it may take another's job).
                        self.wake.notify_waiters();
                    }
                    if let Some(observer) = &self.observer {
                        (observer.0)(&report);
                    }
                }
                Ok(None) => {
                    tokio::select! {
                        _ = woken => {}
                        _ = tokio::time::sleep(POLL) => {}
                        _ = stop.changed() => {}
                    }
                }
                Err(error) => {
                    let now = u64::try_from(now_ms()).unwrap_or_default();
                    match self.claim_errors.allow(now) {
                        Some(suppressed) => {
                            tracing::error!(%error, suppressed, "cannot claim a job (further failures within 10 s are logged at debug and counted in the next line's `suppressed`)")
                        }
                        None => tracing::debug!(%error, "cannot claim a job"),
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// Runs the job in a task of its own, so that a bug that panics fails this job (to be
    /// retried, then dead) instead of silently ending the worker with the job still claimed.
    /// Returns the job's result as counted in the metrics.
    async fn run_guarded(self: Arc<Self>, job: Job) -> JobResult {
        let pool = Arc::clone(&self);
        let kept = job.clone();
        match tokio::spawn(async move { pool.run(job).await }).await {
            Ok(result) => result,
            Err(error) => {
                let message = format!("the job panicked: {error}");
                tracing::error!(delivery = ?kept.delivery_id, repo = ?kept.repo, event = ?kept.event, %message);
                self.metrics.job(JobResult::Panicked);
                let policy = self.policy;
                let jitter = jitter(kept.seq, kept.attempts);
                match self
                    .store
                    .fail(&kept, &message, now_ms(), &policy, jitter)
                    .await
                {
                    Ok(AfterFailure::Stale) => tracing::warn!(
                        "the panicked run's claim was no longer the job's; nothing recorded"
                    ),
                    Ok(_) => {}
                    Err(error) => tracing::error!(%error, "cannot record the job's failure"),
                }
                JobResult::Panicked
            }
        }
    }

    async fn run(&self, job: Job) -> JobResult {
        let span = tracing::info_span!(
            "job",
            delivery = ?job.delivery_id,
            repo = ?job.repo,
            event = ?job.event,
            attempt = job.attempts
        );
        self.run_in_span(job).instrument(span).await
    }

    async fn run_in_span(&self, job: Job) -> JobResult {
        let mut result = self.engine.handle_delivery(&job.event, &job.body).await;
        let mut token_refreshed = false;
        if is_refused_token(&result) {
            if let Some(installation) = installation_of(&job.body) {
                tracing::warn!("GitHub refused the installation token; fetching a new one");
                self.engine.forget_token(installation).await;
                token_refreshed = true;
                result = self.engine.handle_delivery(&job.event, &job.body).await;
            }
        }
        let latency = Duration::from_millis((now_ms() - job.received_ms).max(0) as u64);
        let policy = self.policy;
        let jitter = jitter(job.seq, job.attempts);
        let counted = match disposition(&result, token_refreshed, policy.secondary_limit_wait) {
            Disposition::Done => {
                let recorded = self.store.complete(&job).await;
                let counted = settle(recorded, JobResult::Done);
                if counted == JobResult::Done {
                    let outcome = result
                        .as_ref()
                        .map(|o| format!("{o:?}"))
                        .unwrap_or_default();
                    tracing::info!(%outcome, "job done");
                    self.metrics.job_latency(latency);
                }
                counted
            }
            Disposition::WaitFor { wait, error } => {
                let at = now_ms() + wait.as_millis() as i64;
                let shown = error.clone();
                let recorded = self.store.retry_at(&job, &error, at).await;
                let counted = settle(recorded, JobResult::RateLimited);
                if counted == JobResult::RateLimited {
                    tracing::warn!(error = %shown, wait_secs = wait.as_secs(), "rate limited; the job waits");
                }
                counted
            }
            Disposition::Retry { error, tell } => {
                let (event, body, shown) = (job.event.clone(), job.body.clone(), error.clone());
                let after = self
                    .store
                    .fail(&job, &error, now_ms(), &policy, jitter)
                    .await;
                match after {
                    Ok(AfterFailure::RetryAt(at)) => {
                        tracing::warn!(error = %shown, retry_in_ms = at - now_ms(), "job failed; it will be retried");
                        JobResult::Retry
                    }
                    Ok(AfterFailure::Dead) => {
                        tracing::error!(error = %shown, "job failed for the last time; it is dead");
                        self.metrics.job_latency(latency);
                        // Transient failures were not told attempt by attempt: now they are.
                        if tell {
                            self.engine
                                .report_permanent_failure(&event, &body, &shown, GaveUp::Retried)
                                .await;
                        }
                        JobResult::Dead
                    }
                    Ok(AfterFailure::Stale) => settle(Ok(Fenced::Stale), JobResult::Retry),
                    Err(error) => settle(Err(error), JobResult::Retry),
                }
            }
            Disposition::Permanent { error, tell } => {
                let (event, body, shown) = (job.event.clone(), job.body.clone(), error.clone());
                let recorded = self.store.give_up(&job, &error).await;
                let counted = settle(recorded, JobResult::Permanent);
                if counted == JobResult::Permanent {
                    tracing::error!(error = %shown, "the delivery cannot succeed as it is; it is dead");
                    self.metrics.job_latency(latency);
                    if tell {
                        self.engine
                            .report_permanent_failure(&event, &body, &shown, GaveUp::Refused)
                            .await;
                    }
                }
                counted
            }
        };
        self.metrics.job(counted);
        counted
    }
}

/// What to count for a job whose result was to be recorded as `result`.
fn settle(recorded: Result<Fenced, QueueError>, result: JobResult) -> JobResult {
    match recorded {
        Ok(Fenced::Held) => result,
        Ok(Fenced::Stale) => {
            tracing::warn!(
                dropped = %result,
                "this run outlived its lease and the job was claimed again; its result is dropped"
            );
            JobResult::Stale
        }
        Err(error) => {
            // The claim runs out and the job runs again; every step is idempotent.
            tracing::error!(%error, "cannot record the job's result");
            JobResult::Unrecorded
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
