//! Releases. Drafts are listed but, as on GitHub, never found by tag name.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::Value;

use super::{
    fail, json, lock, not_found, paginate, repo_name, unprocessable, with_repo, Actor, JsonBody,
    Shared,
};
use crate::payloads;
use crate::releases::{self, publish};
use crate::world::Release;

pub async fn list(
    State(state): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| {
        let items: Vec<Value> = r
            .releases
            .iter()
            .rev()
            .map(|rel| payloads::release(&world, r, rel))
            .collect();
        paginate(
            &world,
            &format!("repos/{}/releases", r.full_name()),
            &query,
            items,
        )
    })
}

pub async fn by_tag(
    State(state): State<Shared>,
    Path((owner, repo, tag)): Path<(String, String, String)>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| {
        match r
            .releases
            .iter()
            .rev()
            .find(|rel| rel.tag_name == tag && !rel.draft)
        {
            Some(release) => json(StatusCode::OK, payloads::release(&world, r, release)),
            None => not_found(),
        }
    })
}

/// `GET /releases/latest`: the published release GitHub shows as "Latest"; 404 when none.
pub async fn latest(
    State(state): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| {
        match r
            .latest_release
            .and_then(|id| r.releases.iter().find(|rel| rel.id == id))
        {
            Some(release) => json(StatusCode::OK, payloads::release(&world, r, release)),
            None => not_found(),
        }
    })
}

pub async fn get(
    State(state): State<Shared>,
    Path((owner, repo, id)): Path<(String, String, String)>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| {
        match id
            .parse::<u64>()
            .ok()
            .and_then(|id| r.releases.iter().find(|rel| rel.id == id))
        {
            Some(release) => json(StatusCode::OK, payloads::release(&world, r, release)),
            None => not_found(),
        }
    })
}

pub async fn create(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
    Path((owner, repo)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Response {
    let Some(tag) = body["tag_name"].as_str() else {
        return fail(422, "Invalid request.\n\n\"tag_name\" wasn't supplied.");
    };
    let draft = body["draft"].as_bool().unwrap_or(false);
    let mut world = lock(&state);
    let id = world.new_id();
    let now = world.timestamp();
    let name = repo_name(&owner, &repo);
    let Some(r) = world.repo_mut(&name) else {
        return not_found();
    };
    // Several drafts may share a tag (the duplicate-draft bug class); published ones may not.
    if !draft
        && r.releases
            .iter()
            .any(|rel| rel.tag_name == tag && !rel.draft)
    {
        return unprocessable("Release", "already_exists: tag_name");
    }
    if r.reserved_tags.contains(tag) {
        return json(
            StatusCode::UNPROCESSABLE_ENTITY,
            payloads::field_invalid(
                "Release",
                "tag_name",
                "tag_name was used by an immutable release",
            ),
        );
    }
    let tag_exists = r.refs.contains_key(&format!("refs/tags/{tag}"));
    let target = body["target_commitish"]
        .as_str()
        .map(String::from)
        .unwrap_or_else(|| r.default_branch.clone());
    if !draft && !tag_exists && r.resolve(&target).is_none() {
        return unprocessable("Release", "target_commitish is invalid");
    }
    let release = Release {
        id,
        tag_name: tag.to_string(),
        target_commitish: target,
        name: body["name"].as_str().unwrap_or(tag).to_string(),
        body: body["body"].as_str().unwrap_or_default().to_string(),
        draft,
        prerelease: body["prerelease"].as_bool().unwrap_or(false),
        author: actor.0.clone(),
        created_at: now,
        published_at: None,
        make_latest: match body["make_latest"].as_str() {
            None => "legacy".to_string(),
            Some(value @ ("true" | "false" | "legacy")) => value.to_string(),
            Some(_) => {
                return unprocessable("Release", "make_latest is not one of true, false, legacy")
            }
        },
        immutable: false,
        assets: Vec::new(),
    };
    r.releases.push(release.clone());
    releases::emit(&mut world, &name, "created", &release, &actor.0, None);
    if !draft {
        let _ = publish(&mut world, &name, id, &actor.0);
    }
    let r = world.repo(&name).expect("just used");
    let release = r
        .releases
        .iter()
        .find(|rel| rel.id == id)
        .cloned()
        .unwrap_or(release);
    json(StatusCode::CREATED, payloads::release(&world, r, &release))
}

pub async fn update(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
    Path((owner, repo, id)): Path<(String, String, String)>,
    JsonBody(body): JsonBody,
) -> Response {
    let Some(id) = id.parse::<u64>().ok() else {
        return not_found();
    };
    let make_latest = match body["make_latest"].as_str() {
        None => None,
        Some(value @ ("true" | "false" | "legacy")) => Some(value.to_string()),
        Some(_) => {
            return unprocessable("Release", "make_latest is not one of true, false, legacy")
        }
    };
    let mut world = lock(&state);
    let name = repo_name(&owner, &repo);
    let Some(release) = world
        .repo_mut(&name)
        .and_then(|r| r.releases.iter_mut().find(|rel| rel.id == id))
    else {
        return not_found();
    };
    if let Some(flag) = body["prerelease"].as_bool() {
        release.prerelease = flag;
    }
    if let Some(target) = body["target_commitish"].as_str() {
        release.target_commitish = target.to_string();
    }
    if let Some(value) = &make_latest {
        release.make_latest = value.clone();
    }
    let publishing = release.draft && body["draft"].as_bool() == Some(false);
    let published = !release.draft;
    let (title, text) = (body["name"].as_str(), body["body"].as_str());
    if let Err((status, message)) =
        releases::edit_text(&mut world, &name, id, &actor.0, title, text)
    {
        return fail(status, &message);
    }
    if publishing {
        let _ = publish(&mut world, &name, id, &actor.0);
    } else if published {
        if let Some(r) = world.repo_mut(&name) {
            match make_latest.as_deref() {
                Some("true") => r.latest_release = Some(id),
                // Giving the badge up hands it to the highest other stable release.
                Some("false") if r.latest_release == Some(id) => {
                    r.latest_release = releases::highest_stable(r, id);
                }
                _ => {}
            }
        }
    }
    let r = world.repo(&name).expect("just used");
    let release = r
        .releases
        .iter()
        .find(|rel| rel.id == id)
        .cloned()
        .expect("just used");
    json(StatusCode::OK, payloads::release(&world, r, &release))
}

/// `DELETE /releases/{id}`: the release goes, its tag stays; emits `release` `deleted`.
pub async fn delete(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
    Path((owner, repo, id)): Path<(String, String, String)>,
) -> Response {
    let Some(id) = id.parse::<u64>().ok() else {
        return not_found();
    };
    let mut world = lock(&state);
    match releases::delete(&mut world, &repo_name(&owner, &repo), id, &actor.0) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err((status, message)) => fail(status, &message),
    }
}
