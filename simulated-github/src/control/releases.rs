//! A person's moves on a release's page: publish the draft, edit its title or notes, delete it.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::{full_name, person_acts, ByPerson};
use crate::{releases, SimulatedGitHub};

/// Publishes the draft (`release` `published`); 422 when it is published already.
pub(super) async fn publish(
    State(sim): State<SimulatedGitHub>,
    Path((owner, repo, id)): Path<(String, String, u64)>,
    Json(person): Json<ByPerson>,
) -> Response {
    person_acts(&sim, &person.by, |world| {
        releases::publish(world, &full_name(&owner, &repo), id, &person.by)?;
        Ok(json!({ "id": id, "published": true }))
    })
}

#[derive(Deserialize)]
pub(super) struct Edit {
    by: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    body: Option<String>,
}

/// New title and/or notes, as typed over the old (`release` `edited`, with what changed).
pub(super) async fn edit(
    State(sim): State<SimulatedGitHub>,
    Path((owner, repo, id)): Path<(String, String, u64)>,
    Json(edit): Json<Edit>,
) -> Response {
    person_acts(&sim, &edit.by, |world| {
        let (name, body) = (edit.name.as_deref(), edit.body.as_deref());
        let changed =
            releases::edit_text(world, &full_name(&owner, &repo), id, &edit.by, name, body)?;
        Ok(json!({ "id": id, "edited": changed }))
    })
}

/// The release goes, its tag stays (`release` `deleted`).
pub(super) async fn delete(
    State(sim): State<SimulatedGitHub>,
    Path((owner, repo, id)): Path<(String, String, u64)>,
    Json(person): Json<ByPerson>,
) -> Response {
    person_acts(&sim, &person.by, |world| {
        releases::delete(world, &full_name(&owner, &repo), id, &person.by)?;
        Ok(json!({ "id": id, "deleted": true }))
    })
}
