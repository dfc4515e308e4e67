//! Release assets over the API: upload (on the uploads host, under `/uploads/`, where a
//! release's `upload_url` points), list, read, download and delete. A download asked with
//! `Accept: application/octet-stream` is redirected (302) to the file's storage address, as
//! GitHub does; that address needs no token.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};

use super::{fail, json, list_in_repo, lock, not_found, repo_name, with_repo, Actor, Shared};
use crate::assets;
use crate::payloads;

/// `POST /uploads/repos/{owner}/{repo}/releases/{id}/assets?name=…&label=…`: the request body is
/// the file; 201 with the asset.
pub async fn upload(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
    Path((owner, repo, id)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    data: Bytes,
) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    let Some(name) = query.get("name") else {
        return fail(422, "Validation Failed: the `name` parameter is required");
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream");
    let full_name = repo_name(&owner, &repo);
    let mut world = lock(&state);
    let about = (
        name.as_str(),
        query.get("label").map(String::as_str),
        content_type,
    );
    match assets::upload(&mut world, &full_name, id, about, data.to_vec(), &actor.0) {
        Ok(asset) => {
            let r = world.repo(&full_name).expect("just used");
            json(StatusCode::CREATED, payloads::asset(&world, r, &asset))
        }
        Err((status, message)) => fail(status, &message),
    }
}

/// `GET /releases/{id}/assets`: the release's assets, oldest first.
pub async fn list(
    State(state): State<Shared>,
    Path((owner, repo, id)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = lock(&state);
    let suffix = format!("releases/{id}/assets");
    list_in_repo(&world, (&owner, &repo), &suffix, &query, |r| {
        let id = id.parse::<u64>().ok()?;
        let release = r.releases.iter().find(|rel| rel.id == id)?;
        Some(
            release
                .assets
                .iter()
                .map(|a| payloads::asset(&world, r, a))
                .collect(),
        )
    })
}

/// `GET /releases/assets/{id}`: the asset's description, or with `Accept:
/// application/octet-stream` a redirect to its bytes.
pub async fn get_one(
    State(state): State<Shared>,
    Path((owner, repo, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let world = lock(&state);
    let Some((_, asset)) = id
        .parse::<u64>()
        .ok()
        .and_then(|id| assets::find(&world, &repo_name(&owner, &repo), id))
    else {
        return not_found();
    };
    let wants_bytes = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/octet-stream"));
    with_repo(&world, &owner, &repo, |r| {
        if wants_bytes {
            let location = format!(
                "{}{}{}",
                world.base_url,
                OBJECTS,
                storage_key(r.id, asset.id)
            );
            (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
        } else {
            json(StatusCode::OK, payloads::asset(&world, r, &asset))
        }
    })
}

/// `DELETE /releases/assets/{id}`: 204; refused for an immutable release's asset.
pub async fn delete(
    State(state): State<Shared>,
    Path((owner, repo, id)): Path<(String, String, String)>,
) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    match assets::delete(&mut lock(&state), &repo_name(&owner, &repo), id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err((status, message)) => fail(status, &message),
    }
}

/// Where downloads are redirected: GitHub's storage host, which takes no token (its addresses
/// are signed); here, a path on the same server outside the API.
const OBJECTS: &str = "_objects/release-assets/";

fn storage_key(repo_id: u64, asset_id: u64) -> String {
    format!("{repo_id}-{asset_id}")
}

/// The storage host's routes: an asset's bytes by its key.
pub fn objects_router(state: Shared) -> Router {
    Router::new()
        .route(&format!("/{OBJECTS}{{key}}"), get(object))
        .with_state(state)
}

async fn object(State(state): State<Shared>, Path(key): Path<String>) -> Response {
    let world = lock(&state);
    let found = world.repos.values().find_map(|r| {
        r.releases
            .iter()
            .flat_map(|rel| &rel.assets)
            .find(|a| storage_key(r.id, a.id) == key)
    });
    match found {
        Some(asset) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/octet-stream")],
            asset.data.clone(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}
