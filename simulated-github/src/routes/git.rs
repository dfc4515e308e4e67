//! Git data: refs, commits, trees and blobs.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use base64::Engine as _;
use serde_json::{json, Value};

use super::{fail, json, lock, not_found, repo_name, with_repo, Actor, JsonBody, Shared};
use crate::git::{CommitObject, Object, MODE_EXECUTABLE, MODE_FILE, MODE_SYMLINK, MODE_TREE};
use crate::payloads;
use crate::refs;

pub async fn get_ref(
    State(state): State<Shared>,
    Path((owner, repo, name)): Path<(String, String, String)>,
) -> Response {
    let world = lock(&state);
    let full = format!("refs/{name}");
    with_repo(&world, &owner, &repo, |r| match r.refs.get(&full) {
        Some(sha) => json(StatusCode::OK, payloads::git_ref(&world, r, &full, sha)),
        None => not_found(),
    })
}

pub async fn matching_refs(
    State(state): State<Shared>,
    Path((owner, repo, prefix)): Path<(String, String, String)>,
) -> Response {
    let world = lock(&state);
    let prefix = format!("refs/{prefix}");
    with_repo(&world, &owner, &repo, |r| {
        let refs: Vec<Value> = r
            .refs
            .iter()
            .filter(|(name, _)| name.starts_with(&prefix))
            .map(|(name, sha)| payloads::git_ref(&world, r, name, sha))
            .collect();
        json(StatusCode::OK, Value::Array(refs))
    })
}

pub async fn create_ref(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
    Path((owner, repo)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Response {
    let (Some(name), Some(sha)) = (body["ref"].as_str(), body["sha"].as_str()) else {
        return fail(
            422,
            "Invalid request.\n\n\"ref\", \"sha\" weren't supplied.",
        );
    };
    let mut world = lock(&state);
    let Some(r) = world.repo_mut(&repo_name(&owner, &repo)) else {
        return not_found();
    };
    if !name.starts_with("refs/") || name.matches('/').count() < 2 {
        return fail(422, "Reference name is not valid");
    }
    if r.refs.contains_key(name) {
        return fail(422, "Reference already exists");
    }
    if let Some((status, message)) = r.tag_ref_refusal(name, true) {
        return fail(status, &message);
    }
    if r.git.get(sha).is_none() {
        return fail(422, "Object does not exist");
    }
    r.refs.insert(name.to_string(), sha.to_string());
    let full_name = repo_name(&owner, &repo);
    let r = world.repo(&full_name).expect("just used");
    let value = payloads::git_ref(&world, r, name, sha);
    // GitHub tells webhooks about refs made through the API too (an App's tag starts workflows).
    crate::webhooks::emit_ref_created(&mut world, &full_name, name, sha, &actor.0);
    json(StatusCode::CREATED, value)
}

pub async fn update_ref(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
    Path((owner, repo, name)): Path<(String, String, String)>,
    JsonBody(body): JsonBody,
) -> Response {
    let Some(sha) = body["sha"].as_str() else {
        return fail(422, "Invalid request.\n\n\"sha\" wasn't supplied.");
    };
    let force = body["force"].as_bool().unwrap_or(false);
    let full = format!("refs/{name}");
    let mut world = lock(&state);
    let Some(r) = world.repo_mut(&repo_name(&owner, &repo)) else {
        return not_found();
    };
    let Some(current) = r.refs.get(&full).cloned() else {
        return fail(422, "Reference does not exist");
    };
    if r.git.get(sha).is_none() {
        return fail(422, "Object does not exist");
    }
    if !force && !r.git.is_ancestor(&current, sha) {
        return fail(422, "Update is not a fast forward");
    }
    if let Some((status, message)) = r.tag_ref_refusal(&full, false) {
        return fail(status, &message);
    }
    r.refs.insert(full.clone(), sha.to_string());
    let full_name = repo_name(&owner, &repo);
    let r = world.repo(&full_name).expect("just used");
    let value = payloads::git_ref(&world, r, &full, sha);
    crate::webhooks::emit_push(
        &mut world,
        &full_name,
        &full,
        Some(&current),
        Some(sha),
        &actor.0,
    );
    crate::packaging::tag_pushed(&mut world, &full_name, &full, &actor.0);
    json(StatusCode::OK, value)
}

pub async fn delete_ref(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
    Path((owner, repo, name)): Path<(String, String, String)>,
) -> Response {
    let mut world = lock(&state);
    let full_name = repo_name(&owner, &repo);
    // GitHub sends `delete` and a `push` with `deleted: true`.
    match refs::delete(&mut world, &full_name, &format!("refs/{name}"), &actor.0) {
        Ok(()) => axum::response::IntoResponse::into_response(StatusCode::NO_CONTENT),
        Err((status, message)) => fail(status, &message),
    }
}

pub async fn get_commit(
    State(state): State<Shared>,
    Path((owner, repo, sha)): Path<(String, String, String)>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| match r.git.commit(&sha) {
        Some(commit) => json(StatusCode::OK, payloads::commit(&world, r, &sha, commit)),
        None => not_found(),
    })
}

pub async fn create_commit(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
    Path((owner, repo)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Response {
    let (Some(message), Some(tree)) = (body["message"].as_str(), body["tree"].as_str()) else {
        return fail(
            422,
            "Invalid request.\n\n\"message\", \"tree\" weren't supplied.",
        );
    };
    let parents: Vec<String> = body["parents"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let mut world = lock(&state);
    let mut signature = world.signature(&actor.0);
    // GitHub signs what an App or Actions token commits under its own identity.
    let signed_by_github = body.get("author").is_none()
        && world
            .user(&actor.0)
            .is_some_and(|u| u.kind == crate::world::UserKind::Bot);
    if let Some(name) = body["author"]["name"].as_str() {
        signature.name = name.to_string();
    }
    if let Some(email) = body["author"]["email"].as_str() {
        signature.email = email.to_string();
    }
    let Some(r) = world.repo_mut(&repo_name(&owner, &repo)) else {
        return not_found();
    };
    if r.git.tree(tree).is_none() {
        return fail(422, "Tree SHA does not exist");
    }
    if parents.iter().any(|p| r.git.commit(p).is_none()) {
        return fail(422, "Parent SHA does not exist or is not a commit object");
    }
    let commit = CommitObject {
        tree: tree.to_string(),
        parents,
        author: signature.clone(),
        committer: signature,
        message: message.to_string(),
    };
    let sha = r.git.put(Object::Commit(commit.clone()));
    if signed_by_github {
        r.verified_commits.insert(sha.clone());
    }
    let world = &*world;
    let r = world.repo(&repo_name(&owner, &repo)).expect("just used");
    json(
        StatusCode::CREATED,
        payloads::commit(world, r, &sha, &commit),
    )
}

pub async fn get_tree(
    State(state): State<Shared>,
    Path((owner, repo, sha)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = lock(&state);
    let recursive = query
        .get("recursive")
        .is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    with_repo(&world, &owner, &repo, |r| {
        // A commit id, branch (with slashes or not) or tag is accepted too, as GitHub does.
        let tree_sha = match r.git.tree(&sha) {
            Some(_) => sha.clone(),
            None => match r.resolve(&sha).and_then(|c| r.git.commit(&c)) {
                Some(commit) => commit.tree.clone(),
                None => return not_found(),
            },
        };
        let Some(entries) = r.git.tree(&tree_sha) else {
            return not_found();
        };
        let base = &world.base_url;
        let full_name = r.full_name();
        let entry_json = |path: &str, mode: &str, sha: &str| {
            let kind = if mode == MODE_TREE { "tree" } else { "blob" };
            let mut value = json!({
                "path": path,
                "mode": mode,
                "type": kind,
                "sha": sha,
                "url": format!("{base}repos/{full_name}/git/{kind}s/{sha}"),
            });
            if let Some(blob) = r.git.blob(sha) {
                value["size"] = json!(blob.len());
            }
            value
        };
        let tree: Vec<Value> = if recursive {
            r.git
                .flatten_with_trees(&tree_sha)
                .iter()
                .map(|(path, (mode, sha))| entry_json(path, mode, sha))
                .collect()
        } else {
            entries
                .iter()
                .map(|e| entry_json(&e.name, &e.mode, &e.sha))
                .collect()
        };
        json(
            StatusCode::OK,
            json!({
                "sha": tree_sha,
                "url": format!("{base}repos/{full_name}/git/trees/{tree_sha}"),
                "tree": tree,
                "truncated": false,
            }),
        )
    })
}

pub async fn create_tree(
    State(state): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Response {
    let Some(entries) = body["tree"].as_array() else {
        return fail(422, "Invalid request.\n\n\"tree\" wasn't supplied.");
    };
    let mut world = lock(&state);
    let Some(r) = world.repo_mut(&repo_name(&owner, &repo)) else {
        return not_found();
    };
    let mut flat = match body["base_tree"].as_str() {
        Some(base) => match r.git.tree(base) {
            Some(_) => r.git.flatten(base),
            None => return fail(422, "base_tree is not a valid tree oid"),
        },
        None => Default::default(),
    };
    for entry in entries {
        let (Some(path), Some(mode)) = (entry["path"].as_str(), entry["mode"].as_str()) else {
            return fail(422, "Invalid tree info: each entry needs a path and a mode");
        };
        if ![MODE_FILE, MODE_EXECUTABLE, MODE_SYMLINK].contains(&mode) {
            return fail(
                422,
                &format!("Invalid tree info: mode {mode} is not supported here"),
            );
        }
        if let Some(content) = entry["content"].as_str() {
            let blob = r.git.put(Object::Blob(content.as_bytes().to_vec()));
            flat.insert(path.to_string(), (mode.to_string(), blob));
        } else if entry["sha"].is_null() && entry.get("sha").is_some() {
            flat.remove(path);
        } else if let Some(sha) = entry["sha"].as_str() {
            if r.git.blob(sha).is_none() {
                return fail(422, &format!("Invalid tree info: {sha} is not a blob"));
            }
            flat.insert(path.to_string(), (mode.to_string(), sha.to_string()));
        } else {
            return fail(422, "Invalid tree info: each entry needs a sha or content");
        }
    }
    let sha = r.git.write_tree(&flat);
    let base = world.base_url.clone();
    let r = world.repo(&repo_name(&owner, &repo)).expect("just used");
    let tree: Vec<Value> = r
        .git
        .tree(&sha)
        .map(|entries| {
            entries
                .iter()
                .map(|e| json!({"path": e.name, "mode": e.mode, "type": if e.mode == MODE_TREE { "tree" } else { "blob" }, "sha": e.sha}))
                .collect()
        })
        .unwrap_or_default();
    json(
        StatusCode::CREATED,
        json!({ "sha": sha, "url": format!("{base}repos/{owner}/{repo}/git/trees/{sha}"), "tree": tree, "truncated": false }),
    )
}

pub async fn get_blob(
    State(state): State<Shared>,
    Path((owner, repo, sha)): Path<(String, String, String)>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| match r.git.blob(&sha) {
        Some(bytes) => json(
            StatusCode::OK,
            json!({
                "sha": sha,
                "node_id": format!("B_{sha}"),
                "size": bytes.len(),
                "url": format!("{}repos/{}/git/blobs/{sha}", world.base_url, r.full_name()),
                "content": payloads::wrapped_base64(bytes),
                "encoding": "base64",
            }),
        ),
        None => not_found(),
    })
}

pub async fn create_blob(
    State(state): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Response {
    let Some(content) = body["content"].as_str() else {
        return fail(422, "Invalid request.\n\n\"content\" wasn't supplied.");
    };
    let bytes = match body["encoding"].as_str().unwrap_or("utf-8") {
        "utf-8" => content.as_bytes().to_vec(),
        "base64" => match base64::engine::general_purpose::STANDARD.decode(
            content
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>(),
        ) {
            Ok(bytes) => bytes,
            Err(_) => return fail(422, "Invalid request.\n\ncontent is not valid Base64"),
        },
        other => return fail(422, &format!("encoding {other} is not supported")),
    };
    let mut world = lock(&state);
    let base = world.base_url.clone();
    let Some(r) = world.repo_mut(&repo_name(&owner, &repo)) else {
        return not_found();
    };
    let sha = r.git.put(Object::Blob(bytes));
    json(
        StatusCode::CREATED,
        json!({ "sha": sha, "url": format!("{base}repos/{owner}/{repo}/git/blobs/{sha}") }),
    )
}

/// An annotated tag object; the ref pointing at it is made separately, as on GitHub.
pub async fn create_tag(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
    Path((owner, repo)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Response {
    let (Some(tag), Some(message), Some(object)) = (
        body["tag"].as_str(),
        body["message"].as_str(),
        body["object"].as_str(),
    ) else {
        return fail(
            422,
            "Invalid request.\n\n\"tag\", \"message\", \"object\" weren't supplied.",
        );
    };
    let kind = body["type"].as_str().unwrap_or("commit").to_string();
    let mut world = lock(&state);
    let tagger = world.signature(&actor.0);
    let Some(r) = world.repo_mut(&repo_name(&owner, &repo)) else {
        return not_found();
    };
    if r.git.get(object).map(|o| o.kind()) != Some(kind.as_str()) {
        return fail(422, "Object does not exist");
    }
    let tag_object = crate::git::TagObject {
        object: object.to_string(),
        kind,
        tag: tag.to_string(),
        tagger,
        message: message.to_string(),
    };
    let sha = r.git.put(Object::Tag(tag_object.clone()));
    let world = &*world;
    let r = world.repo(&repo_name(&owner, &repo)).expect("just used");
    json(
        StatusCode::CREATED,
        payloads::tag_object(world, r, &sha, &tag_object),
    )
}

pub async fn get_tag(
    State(state): State<Shared>,
    Path((owner, repo, sha)): Path<(String, String, String)>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| match r.git.get(&sha) {
        Some(Object::Tag(tag)) => json(StatusCode::OK, payloads::tag_object(&world, r, &sha, tag)),
        _ => not_found(),
    })
}
