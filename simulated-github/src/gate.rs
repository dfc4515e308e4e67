//! In front of every API route: faults the test asked for, authentication, rate-limit headers,
//! and the record of the request.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::conformance::{descriptions, Matched, Violation};
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

    let mut hold = false;
    let mut delay = std::time::Duration::ZERO;
    let mut omit = None;
    let round: u32;
    let early = {
        let mut world = lock(&state);
        round = world.answered_round + 1;
        delay += world.latency;
        let token = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            // The scheme is case-insensitive (RFC 9110); GitHub's GraphQL docs write `bearer`.
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| {
                scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer")
            })
            .map(|(_, t)| t.trim().to_string());
        let now = chrono::Utc::now().timestamp();
        let fault = match world.take_fault(&method, &path) {
            Some(Fault::Delay { millis }) => {
                delay = std::time::Duration::from_millis(millis);
                None
            }
            Some(Fault::Omit { property }) => {
                omit = Some((property, None));
                None
            }
            Some(Fault::SetText { property, value }) => {
                omit = Some((property, Some(value)));
                None
            }
            Some(Fault::RefSetFirst { name, sha }) => {
                let repo = path
                    .strip_prefix("/repos/")
                    .and_then(|rest| {
                        let mut parts = rest.splitn(3, '/');
                        Some(format!("{}/{}", parts.next()?, parts.next()?))
                    })
                    .unwrap_or_default();
                if let Some(r) = world.repo_mut(&repo) {
                    r.refs.insert(name, sha);
                }
                None
            }
            other => other,
        };
        if let Some(fault) = fault {
            if matches!(fault, Fault::Hold) {
                world.held += 1;
                hold = true;
            }
            Err(fault_response(fault))
        } else if path.starts_with("/app-manifests/") {
            // The manifest flow's conversion needs no credentials: the code is the proof.
            Ok("anonymous".to_string())
        } else if path == "/app" || path.starts_with("/app/") {
            // App endpoints take the App's JWT, not a token.
            match token.as_deref().map(|jwt| app_of_jwt(&world, jwt, now)) {
                None => Err(fail(401, "Requires authentication")),
                Some(Ok(app)) => Ok(format!("app:{app}")),
                Some(Err(message)) => Err(fail(401, message)),
            }
        } else {
            match token {
                None => Err(fail(401, "Requires authentication")),
                Some(token) => match world.tokens.get(&token) {
                    Some(_)
                        if world
                            .token_expiry
                            .get(&token)
                            .is_some_and(|at| *at <= world.now()) =>
                    {
                        Err(fail(401, "Bad credentials"))
                    }
                    Some(login) => Ok(login.clone()),
                    None => Err(fail(401, "Bad credentials")),
                },
            }
        }
    };
    if hold {
        // Outside the lock, so the rest of the simulated GitHub keeps answering.
        std::future::pending::<()>().await;
    }
    if !delay.is_zero() {
        // Also outside the lock; the request is then answered as usual.
        tokio::time::sleep(delay).await;
    }
    let mut response = match early {
        Err(response) => response,
        Ok(login) => {
            // Checked against GitHub's description only when it reaches GitHub's routes: a
            // fault or a refused token is answered before that, in GitHub's error shape.
            let mut violations = Vec::new();
            let matched = descriptions().check_request(
                &method,
                &path,
                query.as_deref(),
                recorded_body.as_ref(),
                &mut violations,
            );
            lock(&state).violations.append(&mut violations);
            let mut request = Request::from_parts(parts, Body::from(bytes));
            request.extensions_mut().insert(Actor(login));
            let response = next.run(request).await;
            let response = match omit {
                Some((property, value)) => rewritten(response, &property, value).await,
                None => response,
            };
            match matched {
                Some(matched) => checked(&state, matched, response).await,
                // GraphQL is held to GitHub's GraphQL schema instead (see `graphql`).
                None if method == "POST" && path == "/graphql" => response,
                // A route the simulator serves must be one GitHub describes, vendored.
                None if response.status() != StatusCode::NOT_FOUND => {
                    lock(&state).violations.push(Violation {
                        operation: format!("{method} {path}"),
                        property: "operation".into(),
                        problem: "not among the vendored GitHub operations: add it to scripts/vendor-github-schemas.py".into(),
                    });
                    response
                }
                None => response,
            }
        }
    };

    let mut world = lock(&state);
    world.answered_round = world.answered_round.max(round);
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
        round,
    });
    response
}

/// The answer, checked against what GitHub documents for the operation and status.
async fn checked(state: &Shared, matched: Matched, response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return fail(500, "answer too large");
    };
    let json: Option<serde_json::Value> = serde_json::from_slice(&bytes).ok();
    let mut violations = Vec::new();
    descriptions().check_response(
        matched,
        parts.status.as_u16(),
        json.as_ref(),
        &mut violations,
    );
    lock(state).violations.append(&mut violations);
    Response::from_parts(parts, Body::from(bytes))
}

/// The answer without one top-level property (`Fault::Omit`), or with it set to a text
/// (`Fault::SetText`).
async fn rewritten(response: Response, property: &str, value: Option<String>) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return fail(500, "answer too large");
    };
    let bytes = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(mut json) => {
            if let Some(object) = json.as_object_mut() {
                match value {
                    Some(value) => {
                        object.insert(property.to_string(), value.into());
                    }
                    None => {
                        object.remove(property);
                    }
                }
            }
            parts.headers.remove(axum::http::header::CONTENT_LENGTH);
            serde_json::to_vec(&json).unwrap_or_default().into()
        }
        Err(_) => bytes,
    };
    Response::from_parts(parts, Body::from(bytes))
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
        Fault::Hold => fail(504, "Held"),
        Fault::RefSetFirst { .. } => unreachable!("applied before the request, not answered"),
        Fault::Delay { .. } => unreachable!("a delay is not an answer; the gate waits instead"),
        Fault::Omit { .. } | Fault::SetText { .. } => {
            unreachable!("a rewrite changes the answer; it is not one")
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

#[derive(serde::Deserialize)]
struct AppClaims {
    iat: i64,
    exp: i64,
    iss: String,
}

/// The App a JWT belongs to, checked as GitHub checks it: RS256 under the App's public key,
/// issued by the App, not expired, and living at most ten minutes.
fn app_of_jwt(world: &super::world::World, jwt: &str, now: i64) -> Result<u64, &'static str> {
    use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
    let unverified = jsonwebtoken::dangerous::insecure_decode::<AppClaims>(jwt)
        .map_err(|_| "A JSON web token could not be decoded")?;
    let app: u64 = unverified
        .claims
        .iss
        .parse()
        .map_err(|_| "'Issuer' claim ('iss') must be an Integer")?;
    let (public_key, _) = world.apps.get(&app).ok_or("Integration not found")?;
    let key =
        DecodingKey::from_rsa_pem(public_key.as_bytes()).map_err(|_| "Integration not found")?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    let claims = decode::<AppClaims>(jwt, &key, &validation)
        .map_err(|_| "A JSON web token could not be decoded")?
        .claims;
    if claims.exp <= now || claims.iat > now + 60 {
        return Err("'Expiration time' claim ('exp') is too far in the future or has passed");
    }
    if claims.exp - claims.iat > 600 {
        return Err("'Expiration time' claim ('exp') is too far in the future");
    }
    Ok(app)
}
