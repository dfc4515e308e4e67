//! The GitHub App server (`releasebot serve`): signed webhooks in, committed to a durable
//! SQLite queue before they are answered, run by a pool of workers with App authentication.
//!
//! Start-up checks everything it can (key, secret, database, address) and fails with a clear
//! message before it accepts a single delivery. Shutdown stops accepting, lets running jobs
//! finish for a grace period, and frees the claims of any that did not: they run at next start.

pub mod admission;
mod ingress;
mod intake;
mod job_result;
pub mod metrics;
pub mod queue;
pub mod settings;
pub mod signature;
mod workers;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::engine::Engine;
use crate::github::app_auth::{AppCredentials, InstallationTokens};
use crate::github::Connector;
pub use ingress::floor_router;
pub use metrics::Metrics;
use queue::{Queue, RetryPolicy};
pub use settings::Settings;
pub use workers::{JobObserver, JobReport};

/// What tests and the benchmark may change; `serve` uses the defaults.
#[derive(Debug, Clone)]
pub struct Tuning {
    pub retry: RetryPolicy,
    pub lease: Duration,
    /// How long running jobs may take to finish after a shutdown is asked for.
    pub grace: Duration,
    /// Told of every job's result (see `JobObserver`); none by default.
    pub observer: Option<JobObserver>,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            retry: RetryPolicy::default(),
            lease: Duration::from_secs(15 * 60),
            grace: Duration::from_secs(25),
            observer: None,
        }
    }
}

pub struct RunningServer {
    pub addr: SocketAddr,
    pub metrics: Arc<Metrics>,
    stop: watch::Sender<bool>,
    http: JoinHandle<std::io::Result<()>>,
    workers: Vec<JoinHandle<()>>,
    queue: Arc<Mutex<Queue>>,
    grace: Duration,
}

/// Checks the settings, opens the queue, binds the address and starts the workers.
pub async fn start(settings: &Settings, tuning: Tuning) -> anyhow::Result<RunningServer> {
    let pem = settings.private_key_pem().map_err(anyhow::Error::msg)?;
    let credentials = AppCredentials::from_pem(settings.app_id, &pem).with_context(|| {
        match &settings.private_key {
            settings::KeySource::Path(path) => {
                format!("RELEASEBOT_PRIVATE_KEY_PATH ({})", path.display())
            }
            settings::KeySource::Pem(_) => "RELEASEBOT_PRIVATE_KEY".to_string(),
        }
    })?;
    let api_url = format!("{}/", settings.api_url);
    let connector = Connector::app(&api_url, InstallationTokens::new(&api_url, credentials));
    let engine = Engine::new(connector);

    let queue = Queue::open(&settings.database).context("RELEASEBOT_DATABASE")?;
    let released = queue.release_claims()?;
    if released > 0 {
        tracing::warn!(
            jobs = released,
            "jobs left running by an earlier process will run again"
        );
    }
    let queue = Arc::new(Mutex::new(queue));
    let wake = Arc::new(Notify::new());
    let intake = intake::Intake::start(&settings.database, Arc::clone(&wake))
        .context("RELEASEBOT_DATABASE")?;
    let metrics = Arc::new(Metrics::default());

    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("RELEASEBOT_LISTEN: cannot listen on {}", settings.listen))?;
    let addr = listener.local_addr()?;

    let (stop, stopped) = watch::channel(false);
    let pool = Arc::new(workers::Pool {
        queue: Arc::clone(&queue),
        engine,
        metrics: Arc::clone(&metrics),
        policy: tuning.retry,
        lease: tuning.lease,
        wake,
        observer: tuning.observer,
    });
    let mut workers = pool.spawn(settings.workers, stopped.clone());
    workers.push(pool.spawn_janitor(stopped.clone()));

    let app = ingress::router(
        ingress::Ingress {
            secret: Arc::new(settings.webhook_secret.as_bytes().to_vec()),
            intake,
            metrics: Arc::clone(&metrics),
            queue: Arc::clone(&queue),
        },
        &settings.webhook_path,
    );
    let mut http_stopped = stopped;
    let http = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = http_stopped.wait_for(|stop| *stop).await;
            })
            .await
    });
    tracing::info!(%addr, path = %settings.webhook_path, workers = settings.workers, "releasebot serve started");
    Ok(RunningServer {
        addr,
        metrics,
        stop,
        http,
        workers,
        queue,
        grace: tuning.grace,
    })
}

impl RunningServer {
    /// Stops accepting deliveries, lets running jobs finish within the grace period, and frees
    /// the claims of those that did not (they run again at next start).
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        let _ = self.http.await;
        let aborts: Vec<_> = self.workers.iter().map(|w| w.abort_handle()).collect();
        let finished =
            tokio::time::timeout(self.grace, futures_util::future::join_all(self.workers)).await;
        if finished.is_err() {
            for abort in aborts {
                abort.abort();
            }
            let queue = Arc::clone(&self.queue);
            let released = tokio::task::spawn_blocking(move || {
                queue
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .release_claims()
            })
            .await??;
            tracing::warn!(
                jobs = released,
                "jobs still running at shutdown were released; they run at next start"
            );
        }
        tracing::info!("releasebot serve stopped");
        Ok(())
    }
}
