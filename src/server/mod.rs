//! The GitHub App server (`releasebot serve`): signed webhooks in, committed to a durable
//! queue (SQLite for one process, PostgreSQL for replicas) before they are answered, run by a
//! pool of workers with App authentication.
//!
//! Start-up checks everything it can (key, secret, database, address) and reports every
//! problem at once before it accepts a single delivery. Shutdown stops accepting, finishes the
//! requests already received (within a deadline), lets running jobs finish for a grace period,
//! and frees the claims of any that did not: they run at next start.

pub mod admission;
mod budget;
pub mod http;
mod ingress;
mod intake;
mod job_counted;
mod job_result;
mod log_limit;
pub mod metrics;
pub mod queue;
pub mod settings;
pub mod signature;
mod workers;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::engine::Engine;
use crate::github::app_auth::{AppCredentials, InstallationTokens};
use crate::github::Connector;
pub use ingress::floor_router;
pub use job_counted::JobResult;
pub use metrics::Metrics;
use queue::{Hold, RetryPolicy, Store};
pub use settings::Settings;
pub use workers::{JobObserver, JobReport};

/// Connections the metrics listener takes at once (scrapers and health probes).
const METRICS_CONNECTIONS: usize = 16;

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
    /// The listener of `RELEASEBOT_METRICS_LISTEN`, when set.
    pub metrics_addr: Option<SocketAddr>,
    pub metrics: Arc<Metrics>,
    stop: watch::Sender<bool>,
    http: JoinHandle<()>,
    metrics_http: Option<JoinHandle<()>>,
    workers: Vec<JoinHandle<()>>,
    store: Store,
    grace: Duration,
    /// PostgreSQL's `LISTEN` for other replicas' new work.
    listener: Option<JoinHandle<()>>,
    /// The queue kept to this process (SQLite's file lock), for as long as the server runs.
    _hold: Hold,
}

/// Everything that keeps the server from starting, each with the setting it concerns.
#[derive(Debug)]
pub struct StartError(pub Vec<String>);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "releasebot serve cannot start:")?;
        for problem in &self.0 {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for StartError {}

/// Checks the key (by signing a JWT with it), opens the queue and binds the address, reporting
/// every problem together; then starts the workers and the HTTP front.
pub async fn start(settings: &Settings, tuning: Tuning) -> Result<RunningServer, StartError> {
    let mut problems = Vec::new();
    let key_name = match &settings.private_key {
        settings::KeySource::Path(path) => {
            format!("RELEASEBOT_PRIVATE_KEY_PATH ({})", path.display())
        }
        settings::KeySource::Pem(_) => "RELEASEBOT_PRIVATE_KEY".to_string(),
    };
    let credentials = settings.private_key_pem().and_then(|pem| {
        AppCredentials::from_pem(settings.app_id, &pem)
            .map_err(|error| format!("{key_name}: {error}"))
    });
    let credentials = credentials.map_err(|problem| problems.push(problem)).ok();

    let opened = Store::serve(&settings.database, settings.workers).await;
    let opened = opened
        .map_err(|error| problems.push(format!("RELEASEBOT_DATABASE: {error}")))
        .ok();

    let listener = tokio::net::TcpListener::bind(settings.listen).await;
    let listener = listener
        .map_err(|error| {
            problems.push(format!(
                "RELEASEBOT_LISTEN: cannot listen on {}: {error}",
                settings.listen
            ))
        })
        .ok();

    let metrics_listener = match settings.metrics_listen {
        None => Some(None),
        Some(metrics_listen) => tokio::net::TcpListener::bind(metrics_listen)
            .await
            .map(Some)
            .map_err(|error| {
                problems.push(format!(
                    "RELEASEBOT_METRICS_LISTEN: cannot listen on {metrics_listen}: {error}"
                ))
            })
            .ok(),
    };

    let (Some(credentials), Some((store, hold, released)), Some(listener), Some(metrics_listener)) =
        (credentials, opened, listener, metrics_listener)
    else {
        return Err(StartError(problems));
    };
    let wake = Arc::new(Notify::new());
    let intake = intake::Intake::start(&store, Arc::clone(&wake))
        .map_err(|error| StartError(vec![format!("RELEASEBOT_DATABASE: {error}")]))?;
    let listener_task = store.listen(Arc::clone(&wake));
    let addr = listener
        .local_addr()
        .map_err(|error| StartError(vec![format!("RELEASEBOT_LISTEN: {error}")]))?;
    let metrics_addr = metrics_listener
        .as_ref()
        .map(tokio::net::TcpListener::local_addr)
        .transpose()
        .map_err(|error| StartError(vec![format!("RELEASEBOT_METRICS_LISTEN: {error}")]))?;
    if released > 0 {
        tracing::warn!(
            jobs = released,
            "jobs left running by an earlier process will run again"
        );
    }

    let api_url = format!("{}/", settings.api_url);
    let tokens = InstallationTokens::new(&api_url, credentials);
    let auth = tokens.health();
    let engine = Engine::new(Connector::app(&api_url, tokens)).retried_by_queue();
    let metrics = Arc::new(Metrics::default());

    let (stop, stopped) = watch::channel(false);
    let pool = Arc::new(workers::Pool {
        store: store.clone(),
        engine,
        metrics: Arc::clone(&metrics),
        policy: tuning.retry,
        lease: tuning.lease,
        wake,
        observer: tuning.observer,
        claim_errors: log_limit::LogLimit::new(Duration::from_secs(10)),
    });
    let mut workers = pool.spawn(settings.workers, stopped.clone());
    workers.push(pool.spawn_janitor(stopped.clone()));

    let limits = http::fit_to_open_files(settings.http, http::open_file_limit());
    let (app, metrics_app) = ingress::router(
        ingress::Ingress {
            secret: Arc::new(settings.webhook_secret.as_bytes().to_vec()),
            intake,
            metrics: Arc::clone(&metrics),
            store: store.clone(),
            budget: budget::BodyBudget::new(limits.body_budget),
            body_timeout: limits.body_timeout,
            stopping: stopped.clone(),
            auth: Some(auth),
            refusals: Arc::new(log_limit::LogLimit::new(Duration::from_secs(10))),
            health_log: Arc::new(log_limit::LogLimit::new(Duration::from_secs(10))),
            store_failures: Arc::new(log_limit::LogLimit::new(Duration::from_secs(10))),
            started: std::time::Instant::now(),
        },
        &settings.webhook_path,
        metrics_listener.is_some(),
    );
    // Scrapers and probes only: a few connections, not counted with the webhook's.
    let metrics_http = metrics_listener.zip(metrics_app).map(|(listener, app)| {
        let limits = settings::HttpLimits {
            max_connections: limits.max_connections.min(METRICS_CONNECTIONS),
            ..limits
        };
        http::spawn(listener, app, limits, Arc::default(), stopped.clone())
    });
    let http = http::spawn(listener, app, limits, Arc::clone(&metrics), stopped);
    tracing::info!(%addr, metrics_addr = ?metrics_addr, path = %settings.webhook_path, workers = settings.workers, database = %settings.database, max_connections = limits.max_connections, "releasebot serve started");
    Ok(RunningServer {
        addr,
        metrics_addr,
        metrics,
        stop,
        http,
        metrics_http,
        workers,
        store,
        grace: tuning.grace,
        listener: listener_task,
        _hold: hold,
    })
}

impl RunningServer {
    /// Stops accepting deliveries, lets running jobs finish within the grace period, and frees
    /// the claims of those that did not (they run again at next start).
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        let _ = self.http.await;
        if let Some(metrics_http) = self.metrics_http {
            let _ = metrics_http.await;
        }
        let aborts: Vec<_> = self.workers.iter().map(|w| w.abort_handle()).collect();
        let finished =
            tokio::time::timeout(self.grace, futures_util::future::join_all(self.workers)).await;
        if finished.is_err() {
            for abort in aborts {
                abort.abort();
            }
            let released = self.store.release_claims().await?;
            tracing::warn!(
                jobs = released,
                "jobs still running at shutdown were released; they run at next start"
            );
        }
        if let Some(listener) = self.listener {
            listener.abort();
        }
        tracing::info!("releasebot serve stopped");
        Ok(())
    }
}
