//! The HTTP side: `POST <webhook path>`, `GET /healthz`, `GET /metrics`. A verified delivery is
//! committed to the queue before it is answered; the release work happens later, in a worker,
//! so the answer comes in milliseconds whatever that work costs.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use super::admission::{self, Admission, MAX_BODY};
use super::intake::Intake;
use super::metrics::Metrics;
use super::queue::{Enqueued, NewDelivery, Queue};
use super::workers::now_ms;
use crate::github::api_stats;

#[derive(Clone)]
pub struct Ingress {
    pub secret: Arc<Vec<u8>>,
    pub intake: Intake,
    pub metrics: Arc<Metrics>,
    /// For `/healthz` and `/metrics` reads (shared with the workers).
    pub queue: Arc<Mutex<Queue>>,
}

pub fn router(ingress: Ingress, webhook_path: &str) -> Router {
    Router::new()
        .route(webhook_path, post(webhook))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(ingress)
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

async fn webhook(
    State(ingress): State<Ingress>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let status = rejection.status();
            let outcome = if status == StatusCode::PAYLOAD_TOO_LARGE {
                "too_large"
            } else {
                "unreadable"
            };
            ingress.metrics.delivery("unverified", outcome);
            return text(
                status,
                format!("the body cannot be read: {}", rejection.body_text()),
            );
        }
    };
    let request = admission::Request {
        event: header(&headers, "x-github-event"),
        delivery_id: header(&headers, "x-github-delivery"),
        signature_256: header(&headers, "x-hub-signature-256"),
        content_type: header(&headers, "content-type"),
        body: &body,
    };
    let delivery_id = request.delivery_id.unwrap_or_default().to_string();
    match admission::admit(&ingress.secret, &request) {
        Admission::Reject { status, reason } => {
            let outcome = if status == 401 {
                "unauthorized"
            } else {
                "invalid"
            };
            ingress.metrics.delivery("unverified", outcome);
            tracing::warn!(delivery = %delivery_id, status, %reason, "delivery refused");
            text(
                StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
                reason,
            )
        }
        Admission::Ping => {
            ingress.metrics.delivery("ping", "pong");
            tracing::info!(delivery = %delivery_id, "ping");
            (
                StatusCode::OK,
                Json(json!({"delivery": delivery_id, "status": "pong"})),
            )
                .into_response()
        }
        Admission::Ignore { event, reason } => {
            ingress.metrics.delivery(&event, "ignored");
            tracing::debug!(delivery = %delivery_id, %event, %reason, "not for the bot");
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
            match ingress.intake.submit(delivery).await {
                Ok(Enqueued::New) => {
                    ingress.metrics.delivery(&event, "queued");
                    tracing::debug!(delivery = %delivery_id, %repo, %event, "queued");
                    (
                        StatusCode::ACCEPTED,
                        Json(json!({"delivery": delivery_id, "status": "queued"})),
                    )
                        .into_response()
                }
                Ok(Enqueued::Revived) => {
                    ingress.metrics.delivery(&event, "requeued");
                    tracing::info!(delivery = %delivery_id, %repo, %event, "redelivery of a dead delivery; queued again");
                    (
                        StatusCode::ACCEPTED,
                        Json(json!({"delivery": delivery_id, "status": "queued again"})),
                    )
                        .into_response()
                }
                Ok(Enqueued::Duplicate) => {
                    ingress.metrics.delivery(&event, "duplicate");
                    tracing::info!(delivery = %delivery_id, %repo, %event, "redelivery of a delivery already queued");
                    (
                        StatusCode::OK,
                        Json(json!({"delivery": delivery_id, "status": "already queued"})),
                    )
                        .into_response()
                }
                Err(error) => {
                    ingress.metrics.delivery(&event, "store_failed");
                    tracing::error!(delivery = %delivery_id, %repo, %event, %error, "delivery not stored");
                    text(
                        StatusCode::SERVICE_UNAVAILABLE,
                        format!("{error}; redeliver it from the App's advanced settings once the server is healthy"),
                    )
                }
            }
        }
    }
}

async fn read_queue<T: Send + 'static>(
    queue: &Arc<Mutex<Queue>>,
    read: impl FnOnce(&Queue) -> Result<T, super::queue::QueueError> + Send + 'static,
) -> Result<T, String> {
    let queue = Arc::clone(queue);
    tokio::task::spawn_blocking(move || {
        let queue = queue.lock().unwrap_or_else(|e| e.into_inner());
        read(&queue).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

async fn healthz(State(ingress): State<Ingress>) -> Response {
    if !ingress.intake.is_running() {
        return text(
            StatusCode::SERVICE_UNAVAILABLE,
            "the queue writer has stopped: deliveries cannot be stored",
        );
    }
    match read_queue(&ingress.queue, |q| q.counts()).await {
        Ok(_) => text(StatusCode::OK, "ok"),
        Err(error) => text(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("database unreachable: {error}"),
        ),
    }
}

async fn metrics(State(ingress): State<Ingress>) -> Response {
    let counts = read_queue(&ingress.queue, |q| q.counts()).await.ok();
    let body = ingress.metrics.render(counts, api_stats::snapshot());
    ([("content-type", "text/plain; version=0.0.4")], body).into_response()
}
