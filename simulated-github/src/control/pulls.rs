//! A person's moves on a pull request's page: merge it (the way GitHub's `merge_method` names),
//! close it, reopen it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::{full_name, person_acts, refused, ByPerson};
use crate::{merging, pull_state, MergeMethod, SimulatedGitHub};

#[derive(Deserialize)]
pub(super) struct Merge {
    by: String,
    /// merge, squash or rebase, as in GitHub's `merge_method` (`method` is also taken).
    #[serde(default, alias = "method")]
    merge_method: Option<String>,
}

pub(super) async fn merge(
    State(sim): State<SimulatedGitHub>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(merge): Json<Merge>,
) -> Response {
    let asked = merge.merge_method.as_deref().unwrap_or("merge");
    let Some(method) = MergeMethod::parse(asked) else {
        return refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("merge_method `{asked}`: one of merge, squash, rebase"),
        );
    };
    person_acts(&sim, &merge.by, |world| {
        let sha = merging::merge(world, &full_name(&owner, &repo), number, method, &merge.by)?;
        Ok(json!({ "sha": sha, "merged": true }))
    })
}

/// Closes the pull request without merging it (`pull_request` `closed`).
pub(super) async fn close(
    State(sim): State<SimulatedGitHub>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(person): Json<ByPerson>,
) -> Response {
    person_acts(&sim, &person.by, |world| {
        pull_state::close(world, &full_name(&owner, &repo), number, &person.by)?;
        Ok(json!({ "number": number, "state": "closed" }))
    })
}

/// Reopens it (`pull_request` `reopened`); GitHub's 422 when merged or its branch is gone.
pub(super) async fn reopen(
    State(sim): State<SimulatedGitHub>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(person): Json<ByPerson>,
) -> Response {
    person_acts(&sim, &person.by, |world| {
        pull_state::reopen(world, &full_name(&owner, &repo), number, &person.by)?;
        Ok(json!({ "number": number, "state": "open" }))
    })
}
