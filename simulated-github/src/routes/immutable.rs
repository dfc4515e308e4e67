//! The repository's immutable releases setting (`/repos/{owner}/{repo}/immutable-releases`):
//! read (200 when on, 404 when off), turned on (`PUT`) or off (`DELETE`) by an admin.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::json;

use super::{fail, json, lock, not_found, repo_name, with_repo, Actor, Shared};

pub async fn check(
    State(state): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| {
        if r.immutable_releases {
            json(
                StatusCode::OK,
                json!({ "enabled": true, "enforced_by_owner": false }),
            )
        } else {
            not_found()
        }
    })
}

pub async fn enable(
    state: State<Shared>,
    actor: Extension<Actor>,
    path: Path<(String, String)>,
) -> Response {
    set(state, actor, path, true)
}

pub async fn disable(
    state: State<Shared>,
    actor: Extension<Actor>,
    path: Path<(String, String)>,
) -> Response {
    set(state, actor, path, false)
}

fn set(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
    Path((owner, repo)): Path<(String, String)>,
    on: bool,
) -> Response {
    let mut world = lock(&state);
    let Some(r) = world.repo_mut(&repo_name(&owner, &repo)) else {
        return not_found();
    };
    let admin =
        actor.0 == r.owner || r.collaborators.get(&actor.0).map(String::as_str) == Some("admin");
    if !admin {
        return fail(403, "Must have admin rights to Repository.");
    }
    r.immutable_releases = on;
    StatusCode::NO_CONTENT.into_response()
}
