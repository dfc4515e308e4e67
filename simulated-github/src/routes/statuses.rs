//! Commit statuses: the `releasebot/smoke` check a repository can require before merging.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use serde_json::{json, Value};

use super::{
    fail, json, lock, not_found, paginate, repo_name, unprocessable, Actor, JsonBody, Shared,
};
use crate::payloads;
use crate::world::{CommitStatus, Repo, World};

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

/// `GET /repos/{owner}/{repo}/commits/{ref}/statuses`: newest first. `commit` is the ref,
/// resolved (a branch, with slashes or not, a tag, peeled, or a commit id).
pub fn list(world: &World, r: &Repo, commit: &str, query: &HashMap<String, String>) -> Response {
    let items: Vec<Value> = of_commit(r, commit).map(|s| payload(world, s)).collect();
    let path = format!("repos/{}/commits/{commit}/statuses", r.full_name());
    paginate(world, &path, query, items)
}

/// `GET /repos/{owner}/{repo}/commits/{ref}/status`: the newest status of each context, and
/// the state they add up to (any failure or error fails it; none at all, or any pending, is
/// pending).
pub fn combined(world: &World, r: &Repo, commit: &str) -> Response {
    let mut seen = std::collections::HashSet::new();
    let latest: Vec<&CommitStatus> = of_commit(r, commit)
        .filter(|s| seen.insert(s.context.clone()))
        .collect();
    let states: Vec<&str> = latest.iter().map(|s| s.state.as_str()).collect();
    let state = if states.iter().any(|s| *s == "failure" || *s == "error") {
        "failure"
    } else if states.is_empty() || states.contains(&"pending") {
        "pending"
    } else {
        "success"
    };
    let base = &world.base_url;
    let full_name = r.full_name();
    json(
        StatusCode::OK,
        json!({
            "state": state,
            "sha": commit,
            "total_count": latest.len(),
            "statuses": latest.iter().map(|s| payload(world, s)).collect::<Vec<_>>(),
            "repository": payloads::repository(world, r),
            "commit_url": format!("{base}repos/{full_name}/commits/{commit}"),
            "url": format!("{base}repos/{full_name}/commits/{commit}/status"),
        }),
    )
}

/// The statuses of a commit, newest first.
fn of_commit<'a>(r: &'a Repo, commit: &'a str) -> impl Iterator<Item = &'a CommitStatus> {
    r.statuses.iter().rev().filter(move |s| s.sha == commit)
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
