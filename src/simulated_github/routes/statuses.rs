//! Commit statuses: the `releasebot/smoke` check a repository can require before merging.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use serde_json::{json, Value};

use super::{
    fail, json, lock, not_found, repo_name, unprocessable, with_repo, Actor, JsonBody, Shared,
};
use crate::simulated_github::payloads;
use crate::simulated_github::world::{CommitStatus, World};

const STATES: [&str; 4] = ["error", "failure", "pending", "success"];

pub async fn create(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
    Path((owner, repo, sha)): Path<(String, String, String)>,
    JsonBody(body): JsonBody,
) -> Response {
    let Some(status) = body["state"].as_str() else {
        return fail(422, "Invalid request.\n\n\"state\" wasn't supplied.");
    };
    if !STATES.contains(&status) {
        return unprocessable(
            "Status",
            &format!("state `{status}` is not one of {STATES:?}"),
        );
    }
    let mut world = lock(&state);
    let id = world.new_id();
    let now = world.timestamp();
    let Some(r) = world.repo_mut(&repo_name(&owner, &repo)) else {
        return not_found();
    };
    if r.git.commit(&sha).is_none() {
        return unprocessable("Status", &format!("No commit found for SHA: {sha}"));
    }
    let created = CommitStatus {
        id,
        sha: sha.clone(),
        state: status.to_string(),
        context: body["context"].as_str().unwrap_or("default").to_string(),
        description: body["description"].as_str().map(String::from),
        target_url: body["target_url"].as_str().map(String::from),
        creator: actor.0.clone(),
        created_at: now,
    };
    r.statuses.push(created.clone());
    json(StatusCode::CREATED, payload(&world, &created))
}

/// `GET /repos/{owner}/{repo}/commits/{ref}/statuses`: newest first.
pub async fn list(
    State(state): State<Shared>,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| {
        let Some(sha) = r.resolve(&git_ref) else {
            return unprocessable("Commit", &format!("No commit found for SHA: {git_ref}"));
        };
        let items: Vec<Value> = r
            .statuses
            .iter()
            .rev()
            .filter(|s| s.sha == sha)
            .map(|s| payload(&world, s))
            .collect();
        json(StatusCode::OK, Value::Array(items))
    })
}

fn payload(world: &World, status: &CommitStatus) -> Value {
    let base = &world.base_url;
    let creator = payloads::user(world, &status.creator);
    json!({
        "avatar_url": creator["avatar_url"],
        "id": status.id,
        "node_id": format!("SC_{}", status.id),
        "url": format!("{base}statuses/{}", status.sha),
        "state": status.state,
        "description": status.description,
        "target_url": status.target_url,
        "context": status.context,
        "created_at": status.created_at,
        "updated_at": status.created_at,
        "creator": creator,
    })
}
