//! Branches as GitHub's branch page lists them; a branch name may hold slashes
//! (`release/0.1.3`). The simulator protects none.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::{json, list_in_repo, lock, not_found, with_repo, Shared};
use crate::world::{Repo, World};

/// A branch in the `short-branch` shape.
fn short(world: &World, r: &Repo, name: &str, sha: &str) -> Value {
    let api = format!("{}repos/{}", world.base_url, r.full_name());
    json!({
        "name": name,
        "commit": { "sha": sha, "url": format!("{api}/commits/{sha}") },
        "protected": false,
        "protection_url": format!("{api}/branches/{name}/protection"),
    })
}

/// `GET …/branches`, by name.
pub async fn list(
    State(state): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = lock(&state);
    list_in_repo(&world, (&owner, &repo), "branches", &query, |r| {
        let protected_only = query.get("protected").is_some_and(|p| p == "true");
        let branches = r.refs.iter().filter_map(|(name, sha)| {
            let branch = name.strip_prefix("refs/heads/")?;
            Some(short(&world, r, branch, sha))
        });
        Some(if protected_only {
            vec![]
        } else {
            branches.collect()
        })
    })
}

/// `GET …/branches/{branch}`: the branch with its head commit in full.
pub async fn get(
    State(state): State<Shared>,
    Path((owner, repo, branch)): Path<(String, String, String)>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| {
        let Some(sha) = r.refs.get(&format!("refs/heads/{branch}")) else {
            return super::fail(404, "Branch not found");
        };
        let Some(commit) = super::commits::commit(&world, r, sha, false) else {
            return not_found();
        };
        let mut value = short(&world, r, &branch, sha);
        value["commit"] = commit;
        value["_links"] = json!({
            "self": format!("{}repos/{}/branches/{branch}", world.base_url, r.full_name()),
            "html": format!("{}{}/tree/{branch}", world.base_url, r.full_name()),
        });
        value["protection"] = json!({
            "enabled": false,
            "required_status_checks": { "enforcement_level": "off", "contexts": [], "checks": [] },
        });
        json(StatusCode::OK, value)
    })
}
