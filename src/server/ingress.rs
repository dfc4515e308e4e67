//! The HTTP side: `POST <webhook path>`, `GET /healthz`, `GET /metrics` (on a listener of its
//! own when `RELEASEBOT_METRICS_LISTEN` is set). A verified delivery is committed to the queue
//! before it is answered; the release work happens later, in a worker, so the answer comes in
//! milliseconds whatever that work costs.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::BytesMut;
use http_body_util::BodyExt as _;
use serde_json::json;
use tokio::sync::watch;

use super::admission::{self, Admission, MAX_BODY};
use super::budget::{self, BodyBudget};
use super::intake::Intake;
use super::log_limit::LogLimit;
use super::metrics::Metrics;
use super::queue::{Enqueued, NewDelivery, Store};
use super::workers::now_ms;
use crate::github::api_stats;
use crate::github::app_auth::AuthHealth;

/// How long `/healthz` waits for its probe write: a frozen filesystem never answers.
const HEALTH_DEADLINE: Duration = Duration::from_secs(3);
/// How long a delivery waits for its commit before it is refused (GitHub gives up at 10 s): a
/// frozen filesystem makes the webhook answer 503, not hang. A delivery committed after its
/// 503 is harmless: GitHub's redelivery finds it and gets 200.
const COMMIT_DEADLINE: Duration = Duration::from_secs(8);

#[derive(Clone)]
pub struct Ingress {
    pub secret: Arc<Vec<u8>>,
    pub intake: Intake,
    pub metrics: Arc<Metrics>,
    /// For `/healthz` and `/metrics` reads (shared with the workers).
    pub store: Store,
    pub budget: Arc<BodyBudget>,
    pub body_timeout: Duration,
    /// Turns true at shutdown: a body still arriving is refused (503) rather than waited for.
    pub stopping: watch::Receiver<bool>,
    pub auth: Option<AuthHealth>,
    /// Refused requests are logged at warn at most once per window.
    pub refusals: Arc<LogLimit>,
    /// A failing `/healthz` is logged at error at most once per window.
    pub health_log: Arc<LogLimit>,
    /// Deliveries that could not be stored are logged at error at most once per window.
    pub store_failures: Arc<LogLimit>,
    pub started: std::time::Instant,
}

/// The probes, on every listener. `detailed`: a failing `/healthz` says why in full (the
/// database's path, PostgreSQL's error) — only on the metrics listener; the public one says
/// what fails, and the log says the rest.
fn probes(detailed: bool) -> Router<Ingress> {
    let health = move |state| healthz(state, detailed);
    Router::new()
        .route("/healthz", get(health))
        .route("/readyz", get(health))
        .route("/livez", get(livez))
}

/// The webhook listener's routes: the webhook, the probes and `/metrics`, unless
/// `metrics_apart` (`RELEASEBOT_METRICS_LISTEN` is set): then `/metrics` is a 404 there, and
/// served by the second router, with the probes and no webhook.
pub fn router(
    ingress: Ingress,
    webhook_path: &str,
    metrics_apart: bool,
) -> (Router, Option<Router>) {
    let mut routes = probes(false).route(webhook_path, post(webhook));
    let apart = if metrics_apart {
        let apart = probes(true).route("/metrics", get(metrics));
        Some(apart.with_state(ingress.clone()))
    } else {
        routes = routes.route("/metrics", get(metrics));
        None
    };
    let routes = routes
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(ingress);
    (routes, apart)
}

/// The same server with the webhook answering 202 at once, verifying and storing nothing: the
/// floor the benchmark compares the real webhook with.
pub fn floor_router(webhook_path: &str) -> Router {
    Router::new()
        .route(
            webhook_path,
            post(|_body: Bytes| async { StatusCode::ACCEPTED }),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn text(status: StatusCode, reason: impl Into<String>) -> Response {
    (status, format!("{}\n", reason.into())).into_response()
}

/// An answer after which the connection is closed: the body was not (all) read.
fn closing(status: StatusCode, reason: impl Into<String>) -> Response {
    let mut response = text(status, reason);
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    response
}

/// A client-supplied value as it may appear in a log line: quoted and escaped (see the field's
/// `?` formatting), and cut short.
fn shown(value: Option<&str>) -> String {
    let value = value.unwrap_or_default();
    let cut: String = value.chars().take(80).collect();
    if cut.len() < value.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

impl Ingress {
    fn refused(&self, outcome: &'static str, status: u16, delivery: Option<&str>, reason: &str) {
        self.metrics.delivery("unverified", outcome);
        let now = self.started.elapsed().as_millis() as u64;
        match self.refusals.allow(now) {
            Some(suppressed) => tracing::warn!(
                delivery = ?shown(delivery),
                status,
                reason,
                suppressed,
                "delivery refused (further refusals within 10 s are counted in /metrics and logged at debug)"
            ),
            None => {
                tracing::debug!(delivery = ?shown(delivery), status, reason, "delivery refused")
            }
        }
    }
}

enum BodyError {
    TooLarge,
    Busy,
    TimedOut,
    Stopping,
    Broken(String),
}

/// Reads the body through the signature check, within the budget and the body timeout.
async fn read_body(
    ingress: &Ingress,
    headers: &HeaderMap,
    body: Body,
    verifier: &mut super::signature::Verifier,
) -> Result<Bytes, BodyError> {
    let declared = header(headers, "content-length").and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY) {
        return Err(BodyError::TooLarge);
    }
    let mut reservation = ingress
        .budget
        .reserve(budget::first_hold(declared))
        .ok_or(BodyError::Busy)?;
    let mut stopping = ingress.stopping.clone();
    let deadline = tokio::time::Instant::now() + ingress.body_timeout;
    let mut held = BytesMut::with_capacity(reservation.bytes());
    let mut body = body;
    loop {
        let frame = tokio::select! {
            frame = tokio::time::timeout_at(deadline, body.frame()) => match frame {
                Err(_) => return Err(BodyError::TimedOut),
                Ok(frame) => frame,
            },
            _ = super::http::stopping(&mut stopping) => return Err(BodyError::Stopping),
        };
        let Some(frame) = frame else { break };
        let frame = frame.map_err(|error| BodyError::Broken(error.to_string()))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let total = held.len() + data.len();
        if total > MAX_BODY {
            return Err(BodyError::TooLarge);
        }
        let hold = budget::hold_for(declared, MAX_BODY, total, reservation.bytes());
        if hold > reservation.bytes() {
            if !reservation.grow(hold - reservation.bytes()) {
                return Err(BodyError::Busy);
            }
            held.reserve(hold - held.len());
        }
        verifier.update(&data);
        held.extend_from_slice(&data);
    }
    Ok(held.freeze())
}

async fn webhook(State(ingress): State<Ingress>, headers: HeaderMap, body: Body) -> Response {
    let raw_delivery = header(&headers, "x-github-delivery");
    let head = match admission::check_head(
        &ingress.secret,
        header(&headers, "x-github-event"),
        raw_delivery,
        header(&headers, "x-hub-signature-256"),
    ) {
        Ok(head) => head,
        Err(Admission::Reject { status, reason }) => {
            let outcome = if status == 401 {
                "unauthorized"
            } else {
                "invalid"
            };
            ingress.refused(outcome, status, raw_delivery, &reason);
            // The body is not read: the connection cannot be reused.
            return closing(
                StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
                reason,
            );
        }
        Err(other) => unreachable!("check_head only rejects: {other:?}"),
    };
    let admission::Head {
        event,
        delivery_id,
        mut verifier,
    } = head;
    let body = match read_body(&ingress, &headers, body, &mut verifier).await {
        Ok(body) => body,
        Err(error) => {
            let (outcome, status, reason) = match error {
                BodyError::TooLarge => (
                    "too_large",
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("the body is over {MAX_BODY} bytes, GitHub's limit"),
                ),
                BodyError::Busy => (
                    "busy",
                    StatusCode::SERVICE_UNAVAILABLE,
                    "too many deliveries are being received at once; redeliver it shortly"
                        .to_string(),
                ),
                BodyError::TimedOut => (
                    "body_timeout",
                    StatusCode::REQUEST_TIMEOUT,
                    format!(
                        "the body did not arrive within {} s",
                        ingress.body_timeout.as_secs_f64()
                    ),
                ),
                BodyError::Stopping => (
                    "shutting_down",
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the server is shutting down; redeliver it once it is back".to_string(),
                ),
                BodyError::Broken(error) => (
                    "unreadable",
                    StatusCode::BAD_REQUEST,
                    format!("the body cannot be read: {error}"),
                ),
            };
            ingress.refused(outcome, status.as_u16(), Some(&delivery_id), &reason);
            return closing(status, reason);
        }
    };
    let admission = admission::admit_body(
        &event,
        &delivery_id,
        verifier.finish(),
        header(&headers, "content-type"),
        &body,
    );
    match admission {
        Admission::Reject { status, reason } => {
            let outcome = if status == 401 {
                "unauthorized"
            } else {
                "invalid"
            };
            ingress.refused(outcome, status, Some(&delivery_id), &reason);
            text(
                StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
                reason,
            )
        }
        Admission::Ping => {
            ingress.metrics.delivery("ping", "pong");
            tracing::info!(delivery = ?delivery_id, "ping");
            (
                StatusCode::OK,
                Json(json!({"delivery": delivery_id, "status": "pong"})),
            )
                .into_response()
        }
        Admission::Ignore { event, reason } => {
            ingress.metrics.delivery(&event, "ignored");
            tracing::debug!(delivery = ?delivery_id, event = ?event, %reason, "not for the bot");
            (
                StatusCode::ACCEPTED,
                Json(json!({"delivery": delivery_id, "status": "ignored", "reason": reason})),
            )
                .into_response()
        }
        Admission::Queue {
            event,
            delivery_id,
            repo,
        } => {
            let delivery = NewDelivery::new(&delivery_id, &event, &repo, &body, now_ms());
            drop(body);
            let submitted = match tokio::time::timeout(
                COMMIT_DEADLINE,
                ingress.intake.submit(delivery),
            )
            .await
            {
                Ok(submitted) => submitted,
                Err(_) => Err(super::intake::IntakeError::Store(format!(
                    "the commit did not finish within {} s (a frozen or overloaded disk?)",
                    COMMIT_DEADLINE.as_secs()
                ))),
            };
            match submitted {
                Ok(Enqueued::New) => {
                    ingress.metrics.delivery(&event, "queued");
                    tracing::debug!(delivery = ?delivery_id, repo = ?repo, event = ?event, "queued");
                    (
                        StatusCode::ACCEPTED,
                        Json(json!({"delivery": delivery_id, "status": "queued"})),
                    )
                        .into_response()
                }
                Ok(Enqueued::Revived) => {
                    ingress.metrics.delivery(&event, "requeued");
                    tracing::info!(delivery = ?delivery_id, repo = ?repo, event = ?event, "redelivery of a dead delivery; queued again");
                    (
                        StatusCode::ACCEPTED,
                        Json(json!({"delivery": delivery_id, "status": "queued again"})),
                    )
                        .into_response()
                }
                Ok(Enqueued::Duplicate) => {
                    ingress.metrics.delivery(&event, "duplicate");
                    tracing::info!(delivery = ?delivery_id, repo = ?repo, event = ?event, "redelivery of a delivery already queued");
                    (
                        StatusCode::OK,
                        Json(json!({"delivery": delivery_id, "status": "already queued"})),
                    )
                        .into_response()
                }
                Err(error) => {
                    ingress.metrics.delivery(&event, "store_failed");
                    let now = ingress.started.elapsed().as_millis() as u64;
                    match ingress.store_failures.allow(now) {
                        Some(suppressed) => {
                            tracing::error!(delivery = ?delivery_id, repo = ?repo, event = ?event, %error, suppressed, "delivery not stored (further ones within 10 s are counted in /metrics as store_failed and in the next line's `suppressed`)")
                        }
                        None => {
                            tracing::debug!(delivery = ?delivery_id, repo = ?repo, event = ?event, %error, "delivery not stored")
                        }
                    }
                    let mut response = text(
                        StatusCode::SERVICE_UNAVAILABLE,
                        format!("{error}; redeliver it from the App's advanced settings once the server is healthy"),
                    );
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
                    response
                }
            }
        }
    }
}

/// Ready for deliveries: the queue writer runs, the database file is the one opened and a
/// write commits within the deadline, and GitHub has not refused the App's JWT.
async fn healthz(State(ingress): State<Ingress>, detailed: bool) -> Response {
    let mut problems = Vec::new();
    let mut details = Vec::new();
    match tokio::time::timeout(HEALTH_DEADLINE, ingress.intake.probe()).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => {
            problems.push("deliveries cannot be stored".to_string());
            details.push(format!("deliveries cannot be stored: {error}"));
        }
        Err(_) => problems.push(format!(
            "deliveries cannot be stored: a write to the queue database did not commit within {} s (a frozen or overloaded disk?)",
            HEALTH_DEADLINE.as_secs()
        )),
    }
    if ingress.auth.as_ref().and_then(AuthHealth::accepted) == Some(false) {
        problems.push("the workers cannot authenticate: GitHub refused the App's JWT (401); check RELEASEBOT_APP_ID and the private key".to_string());
    }
    if problems.is_empty() {
        text(StatusCode::OK, "ok")
    } else {
        let full = details
            .iter()
            .chain(problems.iter().skip(details.len()))
            .cloned()
            .collect::<Vec<_>>()
            .join("\n");
        let now = ingress.started.elapsed().as_millis() as u64;
        if ingress.health_log.allow(now).is_some() {
            tracing::error!(problems = ?full, "/healthz fails");
        }
        let answer = if detailed {
            full
        } else {
            format!(
                "{} (details in the log, and on the metrics listener when it is set)",
                problems.join("\n")
            )
        };
        text(StatusCode::SERVICE_UNAVAILABLE, answer)
    }
}

/// Alive: the process answers HTTP (an orchestrator restarts it when this fails).
async fn livez() -> Response {
    text(StatusCode::OK, "alive")
}

async fn metrics(State(ingress): State<Ingress>) -> Response {
    let counts = ingress.store.counts().await.ok();
    let body = ingress.metrics.render(counts, api_stats::snapshot());
    ([("content-type", "text/plain; version=0.0.4")], body).into_response()
}
