//! A person's moves on a pull request's page: merge it (the way GitHub's `merge_method` names),
//! or add it to the merge queue, which merges it; close it, reopen it, mark a draft ready.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::{full_name, person_acts, refused, ByPerson};
use crate::world::{Refusal, World};
use crate::{merge_queue, merging, pull_state, MergeMethod, SimulatedGitHub};

#[derive(Deserialize)]
pub(super) struct Merge {
    by: String,
    /// merge, squash or rebase, as in GitHub's `merge_method` (`method` is also taken).
    #[serde(default, alias = "method")]
    merge_method: Option<String>,
}

/// Merges with the merge button.
pub(super) async fn merge(
    State(sim): State<SimulatedGitHub>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(merge): Json<Merge>,
) -> Response {
    merge_with(
        &sim,
        &full_name(&owner, &repo),
        number,
        &merge,
        merging::merge,
    )
}

/// Adds the pull request to the merge queue, which merges it with its own commit, as
/// `github-merge-queue[bot]` (see `merge_queue`).
pub(super) async fn enqueue(
    State(sim): State<SimulatedGitHub>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(merge): Json<Merge>,
) -> Response {
    merge_with(
        &sim,
        &full_name(&owner, &repo),
        number,
        &merge,
        merge_queue::enqueue,
    )
}

/// A merge the way `how` makes it; answers the commit it put on the base branch.
fn merge_with(
    sim: &SimulatedGitHub,
    repo: &str,
    number: u64,
    merge: &Merge,
    how: fn(&mut World, &str, u64, MergeMethod, &str) -> Result<String, Refusal>,
) -> Response {
    let asked = merge.merge_method.as_deref().unwrap_or("merge");
    let Some(method) = MergeMethod::parse(asked) else {
        return refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("merge_method `{asked}`: one of merge, squash, rebase"),
        );
    };
    person_acts(sim, &merge.by, |world| {
        let sha = how(world, repo, number, method, &merge.by)?;
        Ok(json!({ "sha": sha, "merged": true }))
    })
}

/// Marks a draft ready for review (`pull_request` `ready_for_review`).
pub(super) async fn ready(
    State(sim): State<SimulatedGitHub>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(person): Json<ByPerson>,
) -> Response {
    person_acts(&sim, &person.by, |world| {
        pull_state::mark_ready(world, &full_name(&owner, &repo), number, &person.by)?;
        Ok(json!({ "number": number, "draft": false }))
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
