//! In front of every API route: faults the test asked for, authentication, rate-limit headers,
//! and the record of the request.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::payloads;
use super::routes::{fail, lock, Actor, Shared};
use super::world::{Fault, RecordedRequest};

/// GitHub's limit on a request body; the bot never comes near it.
const MAX_BODY: usize = 25 * 1024 * 1024;

pub async fn gate(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let query = request.uri().query().map(String::from);
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return fail(413, "Payload too large");
    };
    let recorded_body = if bytes.is_empty() {
        None
    } else {
        serde_json::from_slice(&bytes).ok()
    };

    let early = {
        let mut world = lock(&state);
        let token = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("token ")
                    .or_else(|| v.strip_prefix("Bearer "))
            })
            .map(|t| t.trim().to_string());
        if let Some(fault) = world.take_fault(&method, &path) {
            Err(fault_response(fault))
        } else {
            match token {
                None => Err(fail(401, "Requires authentication")),
                Some(token) => match world.tokens.get(&token) {
                    Some(login) => Ok(login.clone()),
                    None => Err(fail(401, "Bad credentials")),
                },
            }
        }
    };
    let mut response = match early {
        Err(response) => response,
        Ok(login) => {
            let mut request = Request::from_parts(parts, Body::from(bytes));
            request.extensions_mut().insert(Actor(login));
            next.run(request).await
        }
    };

    let mut world = lock(&state);
    world.rate_limit_used += 1;
    let used = world.rate_limit_used;
    let reset = world.clock.max(chrono::Utc::now().timestamp()) + 3600;
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.entry(name).or_insert(value);
        }
    };
    set("x-ratelimit-limit", "5000".into());
    set(
        "x-ratelimit-remaining",
        5000u64.saturating_sub(used).to_string(),
    );
    set("x-ratelimit-used", used.to_string());
    set("x-ratelimit-reset", reset.to_string());
    set("x-ratelimit-resource", "core".into());
    set("x-github-request-id", format!("SIM:{used:08X}"));
    world.requests.push(RecordedRequest {
        method,
        path,
        query,
        status: response.status().as_u16(),
        body: recorded_body,
    });
    response
}

fn fault_response(fault: Fault) -> Response {
    match fault {
        Fault::Status(status) => {
            let message = match status {
                502 => "Server Error",
                503 => "Service Unavailable",
                _ => "Simulated failure",
            };
            fail(status, message)
        }
        Fault::RateLimited { retry_after_secs } => {
            let body = payloads::error(
                403,
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            );
            let mut response = (StatusCode::FORBIDDEN, axum::Json(body)).into_response();
            let headers = response.headers_mut();
            headers.insert("retry-after", HeaderValue::from(retry_after_secs));
            headers.insert("x-ratelimit-remaining", HeaderValue::from(0));
            response
        }
    }
}
