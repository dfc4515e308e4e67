//! The REST endpoints, grouped by area. Each handler locks the world, reads or changes it, and
//! answers in GitHub's shape.

// Handlers return their early answers as the error side of a `Result<_, Response>`; the size of
// `Response` does not matter on this path.
#![allow(clippy::result_large_err)]

pub(super) mod actions;
pub(super) mod assets;
mod branches;
mod commits;
mod generated_notes;
mod git;
mod immutable;
mod issue_reads;
mod issues;
mod milestones;
mod pull_reads;
mod pulls;
mod releases;
mod repos;
mod statuses;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use axum::Router;
use serde_json::Value;

use super::payloads;
use super::world::{Repo, World};

pub type Shared = Arc<Mutex<World>>;

/// The login the request's token belongs to, set by the gate.
#[derive(Clone)]
pub struct Actor(pub String);

pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/user", get(repos::authenticated_user))
        .route("/graphql", post(super::graphql::answer))
        .route("/app", get(repos::authenticated_app))
        .route("/gists/{id}", get(repos::gist))
        .route(
            "/app/installations/{installation}/access_tokens",
            post(repos::installation_token),
        )
        .route("/repos/{owner}/{repo}", get(repos::repository))
        .route(
            "/repos/{owner}/{repo}/contents/{*path}",
            get(repos::contents),
        )
        .route("/repos/{owner}/{repo}/tags", get(repos::tags))
        .route(
            "/repos/{owner}/{repo}/collaborators/{user}/permission",
            get(repos::permission),
        )
        .route("/repos/{owner}/{repo}/git/ref/{*name}", get(git::get_ref))
        .route(
            "/repos/{owner}/{repo}/git/matching-refs/{*prefix}",
            get(git::matching_refs),
        )
        .route("/repos/{owner}/{repo}/git/refs", post(git::create_ref))
        .route(
            "/repos/{owner}/{repo}/git/refs/{*name}",
            patch(git::update_ref).delete(git::delete_ref),
        )
        .route(
            "/repos/{owner}/{repo}/git/commits",
            post(git::create_commit),
        )
        .route(
            "/repos/{owner}/{repo}/git/commits/{sha}",
            get(git::get_commit),
        )
        .route("/repos/{owner}/{repo}/git/trees", post(git::create_tree))
        .route("/repos/{owner}/{repo}/git/trees/{*sha}", get(git::get_tree))
        .route("/repos/{owner}/{repo}/git/tags", post(git::create_tag))
        .route("/repos/{owner}/{repo}/git/tags/{sha}", get(git::get_tag))
        .route("/repos/{owner}/{repo}/git/blobs", post(git::create_blob))
        .route("/repos/{owner}/{repo}/git/blobs/{sha}", get(git::get_blob))
        .route(
            "/repos/{owner}/{repo}/issues",
            get(issues::list_issues).post(issues::create_issue),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}",
            get(issues::get_issue).patch(milestones::update_issue),
        )
        .route(
            "/repos/{owner}/{repo}/milestones",
            get(milestones::list).post(milestones::create),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}/comments",
            get(issues::list_comments).post(issues::create_comment),
        )
        .route(
            "/repos/{owner}/{repo}/issues/comments/{id}",
            get(issues::get_comment).patch(issues::update_comment),
        )
        .route(
            "/repos/{owner}/{repo}/issues/comments/{id}/reactions",
            get(issues::list_reactions).post(issues::create_reaction),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}/assignees",
            post(issues::add_assignees),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}/labels",
            get(issue_reads::labels).post(issues::add_labels),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}/events",
            get(issue_reads::events),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}/timeline",
            get(issue_reads::timeline),
        )
        .route(
            "/repos/{owner}/{repo}/labels",
            get(issue_reads::repo_labels),
        )
        .route(
            "/repos/{owner}/{repo}/pulls",
            get(pulls::list).post(pulls::create),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}",
            get(pulls::get).patch(pulls::update),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/merge",
            put(pulls::merge),
        )
        .route(
            "/repos/{owner}/{repo}/releases",
            get(releases::list).post(releases::create),
        )
        .route(
            "/repos/{owner}/{repo}/releases/generate-notes",
            post(generated_notes::generate),
        )
        .route(
            "/repos/{owner}/{repo}/releases/latest",
            get(releases::latest),
        )
        .route(
            "/repos/{owner}/{repo}/releases/tags/{tag}",
            get(releases::by_tag),
        )
        .route(
            "/repos/{owner}/{repo}/releases/{id}",
            get(releases::get)
                .patch(releases::update)
                .delete(releases::delete),
        )
        .route(
            "/repos/{owner}/{repo}/releases/{id}/assets",
            get(assets::list),
        )
        .route(
            "/uploads/repos/{owner}/{repo}/releases/{id}/assets",
            post(assets::upload),
        )
        .route(
            "/repos/{owner}/{repo}/releases/assets/{id}",
            get(assets::get_one).delete(assets::delete),
        )
        .route(
            "/repos/{owner}/{repo}/immutable-releases",
            get(immutable::check)
                .put(immutable::enable)
                .delete(immutable::disable),
        )
        .route(
            "/repos/{owner}/{repo}/actions/workflows/{file}/dispatches",
            post(actions::dispatch),
        )
        .route(
            "/repos/{owner}/{repo}/actions/workflows/{file}/runs",
            get(actions::workflow_runs),
        )
        .route(
            "/repos/{owner}/{repo}/statuses/{sha}",
            post(statuses::create),
        )
        .route("/repos/{owner}/{repo}/commits", get(commits::list))
        .route(
            "/repos/{owner}/{repo}/commits/{*rest}",
            get(commits::by_ref),
        )
        .route(
            "/repos/{owner}/{repo}/compare/{*basehead}",
            get(commits::compare),
        )
        .route("/repos/{owner}/{repo}/branches", get(branches::list))
        .route(
            "/repos/{owner}/{repo}/branches/{*branch}",
            get(branches::get),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/commits",
            get(pull_reads::commits),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/files",
            get(pull_reads::files),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/reviews",
            get(pull_reads::reviews),
        )
        .route(
            "/repos/{owner}/{repo}/collaborators",
            get(repos::collaborators),
        )
        .route("/rate_limit", get(repos::rate_limit))
        .route(
            "/repos/{owner}/{repo}/actions/workflows",
            get(actions::workflows),
        )
        .route(
            "/repos/{owner}/{repo}/actions/runs/{id}/jobs",
            get(actions::jobs),
        )
        .route(
            "/app-manifests/{code}/conversions",
            post(super::app_manifests::conversion),
        )
        .route("/repos/{owner}/{repo}/actions/runs", get(actions::runs))
        .route("/repos/{owner}/{repo}/actions/runs/{id}", get(actions::run))
        // GitHub answers a path it does not serve, or a method a path does not take, with its
        // JSON 404.
        .fallback(|| async { not_found() })
        .method_not_allowed_fallback(|| async { not_found() })
        .route(
            "/repos/{owner}/{repo}/actions/runs/{id}/rerun",
            post(actions::rerun),
        )
        .route(
            "/repos/{owner}/{repo}/actions/runs/{id}/attempts/{attempt}",
            get(actions::attempt),
        )
        .with_state(state)
}

pub fn lock(state: &Shared) -> MutexGuard<'_, World> {
    // A panic while holding the lock would poison it; the data is still consistent enough to
    // keep answering, so recover it.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub fn json(status: StatusCode, value: Value) -> Response {
    (status, axum::Json(value)).into_response()
}

pub fn fail(status: u16, message: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json(code, payloads::error(status, message))
}

pub fn not_found() -> Response {
    fail(404, "Not Found")
}

pub fn unprocessable(resource: &str, message: &str) -> Response {
    json(
        StatusCode::UNPROCESSABLE_ENTITY,
        payloads::validation_failed(resource, message),
    )
}

/// The request body as JSON, or GitHub's 400 `Problems parsing JSON`. An empty body is `{}`.
pub struct JsonBody(pub Value);

impl<S: Send + Sync> axum::extract::FromRequest<S> for JsonBody {
    type Rejection = Response;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Response> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|_| fail(400, "Problems parsing JSON"))?;
        if bytes.is_empty() {
            return Ok(JsonBody(Value::Object(Default::default())));
        }
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|_| fail(400, "Problems parsing JSON"))
    }
}

pub fn repo_name(owner: &str, repo: &str) -> String {
    format!("{owner}/{repo}")
}

/// Runs `f` on the repository, or answers 404 as GitHub does for a repository you cannot see.
pub fn with_repo(
    world: &World,
    owner: &str,
    repo: &str,
    f: impl FnOnce(&Repo) -> Response,
) -> Response {
    world
        .repo(&repo_name(owner, repo))
        .map_or_else(not_found, f)
}

/// A list under a repository, `repos/{owner}/{repo}/<suffix>`: one page of what `items` finds,
/// with GitHub's `Link` header; 404 when the repository is not there or `items` finds no such
/// thing (`None`).
pub fn list_in_repo(
    world: &World,
    (owner, repo): (&str, &str),
    suffix: &str,
    query: &HashMap<String, String>,
    items: impl FnOnce(&Repo) -> Option<Vec<Value>>,
) -> Response {
    with_repo(world, owner, repo, |r| match items(r) {
        Some(items) => {
            let path = format!("repos/{}/{suffix}", r.full_name());
            paginate(world, &path, query, items)
        }
        None => not_found(),
    })
}

/// One page of a list, with GitHub's `Link` header.
pub fn paginate(
    world: &World,
    path: &str,
    query: &HashMap<String, String>,
    items: Vec<Value>,
) -> Response {
    paginate_as(world, path, query, items, |page, _| Value::Array(page))
}

/// The same for lists GitHub wraps in an object (`{"total_count", "workflow_runs"}`): `wrap`
/// gets the page and the count of all items.
pub fn paginate_as(
    world: &World,
    path: &str,
    query: &HashMap<String, String>,
    items: Vec<Value>,
    wrap: impl FnOnce(Vec<Value>, usize) -> Value,
) -> Response {
    let total = items.len();
    let per_page = query
        .get("per_page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page = query
        .get("page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let last = items.len().div_ceil(per_page).max(1);
    let slice: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let mut response = json(StatusCode::OK, wrap(slice, total));
    let mut others: Vec<(String, String)> = query
        .iter()
        .filter(|(k, _)| k.as_str() != "page" && k.as_str() != "per_page")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    others.sort();
    let link_to = |n: usize| {
        let mut params: Vec<String> = others.iter().map(|(k, v)| format!("{k}={v}")).collect();
        params.push(format!("per_page={per_page}"));
        params.push(format!("page={n}"));
        format!(
            "{}{}?{}",
            world.base_url,
            path.trim_start_matches('/'),
            params.join("&")
        )
    };
    let mut links = Vec::new();
    if page < last {
        links.push(format!("<{}>; rel=\"next\"", link_to(page + 1)));
        links.push(format!("<{}>; rel=\"last\"", link_to(last)));
    }
    if page > 1 {
        links.push(format!("<{}>; rel=\"prev\"", link_to(page - 1)));
        links.push(format!("<{}>; rel=\"first\"", link_to(1)));
    }
    if !links.is_empty() {
        if let Ok(value) = HeaderValue::from_str(&links.join(", ")) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    response
}
