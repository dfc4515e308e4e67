//! What happens to a workflow run on the Actions page: a runner finishes it, a person re-runs it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::{full_name, person_acts, refused, ByPerson};
use crate::{routes, runs, SimulatedGitHub};

#[derive(Deserialize)]
pub(super) struct Conclusion {
    /// success or failure (also cancelled, timed_out).
    conclusion: String,
}

/// The run's current attempt finishes; 409 when it already has.
pub(super) async fn complete(
    State(sim): State<SimulatedGitHub>,
    Path((owner, repo, id)): Path<(String, String, u64)>,
    Json(end): Json<Conclusion>,
) -> Response {
    if !["success", "failure", "cancelled", "timed_out"].contains(&end.conclusion.as_str()) {
        return refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "conclusion: one of success, failure, cancelled, timed_out",
        );
    }
    let mut world = routes::lock(&sim.state);
    match runs::complete(&mut world, &full_name(&owner, &repo), id, &end.conclusion) {
        Ok(()) => Json(json!({ "id": id, "conclusion": end.conclusion })).into_response(),
        Err((404, _)) => refused(StatusCode::NOT_FOUND, "no such run"),
        Err((_, message)) => refused(StatusCode::CONFLICT, message),
    }
}

/// "Re-run all jobs": the same run, its next attempt, queued (`workflow_run` `requested`).
pub(super) async fn rerun(
    State(sim): State<SimulatedGitHub>,
    Path((owner, repo, id)): Path<(String, String, u64)>,
    Json(person): Json<ByPerson>,
) -> Response {
    person_acts(&sim, &person.by, |world| {
        let attempt = runs::rerun(world, &full_name(&owner, &repo), id, &person.by)?;
        Ok(json!({ "id": id, "run_attempt": attempt, "status": "queued" }))
    })
}
