//! A person's `git push`es: commits to a branch (whose name may hold slashes), a tag (moved
//! with `force`), and a deleted branch or tag.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::{full_name, person_acts, refusal, refused, unknown_user, ByPerson};
use crate::{refs, routes, SimulatedGitHub};

#[derive(Deserialize)]
pub(super) struct NewTag {
    by: String,
    tag: String,
    /// A branch, tag or commit id; the default branch when left out.
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    annotated: bool,
    /// Moves a tag that exists, as `git push --force` does (one forced `push`).
    #[serde(default)]
    force: bool,
}

pub(super) async fn push_tag(
    State(sim): State<SimulatedGitHub>,
    Path((owner, repo)): Path<(String, String)>,
    Json(tag): Json<NewTag>,
) -> Response {
    if let Some(refusal) = unknown_user(&sim, &tag.by) {
        return refusal;
    }
    let full_name = full_name(&owner, &repo);
    let Some(commit) = sim.resolve(&full_name, tag.target.as_deref()) else {
        return refused(StatusCode::NOT_FOUND, "no such repository or target");
    };
    let name = format!("refs/tags/{}", tag.tag);
    let moved = sim.refs(&full_name).contains_key(&name);
    if moved && !tag.force {
        return refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the tag exists: push with \"force\": true to move it",
        );
    }
    let mut world = routes::lock(&sim.state);
    match refs::push_tag(
        &mut world,
        &full_name,
        &tag.tag,
        &commit,
        &tag.by,
        tag.annotated,
    ) {
        Ok(object) => {
            let status = if moved {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            let answer =
                json!({ "tag": tag.tag, "commit": commit, "object": object, "moved": moved });
            (status, Json(answer)).into_response()
        }
        Err(refused) => refusal(refused),
    }
}

/// `DELETE refs/heads/BRANCH` or `refs/tags/TAG` (`delete`, and `push` with `deleted: true`).
pub(super) async fn delete(
    State(sim): State<SimulatedGitHub>,
    Path((owner, repo, name)): Path<(String, String, String)>,
    Json(person): Json<ByPerson>,
) -> Response {
    let full_ref = format!("refs/{name}");
    person_acts(&sim, &person.by, |world| {
        refs::delete(world, &full_name(&owner, &repo), &full_ref, &person.by)?;
        Ok(json!({ "ref": full_ref, "deleted": true }))
    })
}

#[derive(Deserialize)]
pub(super) struct Push {
    author: String,
    message: String,
    /// path → new content.
    files: BTreeMap<String, String>,
}

/// `POST branches/BRANCH/commits`: one commit changing `files` on the branch (made from the
/// default branch when new); `push`, and `pull_request` `synchronize` for its open pull
/// requests.
pub(super) async fn push_commits(
    State(sim): State<SimulatedGitHub>,
    Path((owner, repo, rest)): Path<(String, String, String)>,
    Json(push): Json<Push>,
) -> Response {
    let Some(branch) = rest.strip_suffix("/commits").filter(|b| !b.is_empty()) else {
        return refused(StatusCode::NOT_FOUND, "POST branches/BRANCH/commits");
    };
    if let Some(refusal) = unknown_user(&sim, &push.author) {
        return refusal;
    }
    let files: Vec<(&str, &str)> = push
        .files
        .iter()
        .map(|(path, text)| (path.as_str(), text.as_str()))
        .collect();
    let sha = sim.push_commit(
        &full_name(&owner, &repo),
        branch,
        &push.author,
        &push.message,
        &files,
    );
    if sha.is_empty() {
        return refused(StatusCode::NOT_FOUND, "no such repository");
    }
    (
        StatusCode::CREATED,
        Json(json!({ "branch": branch, "sha": sha })),
    )
        .into_response()
}
