//! Repositories, their files at a ref, their tags, and who may do what.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use serde_json::{json, Value};

use super::{json, lock, not_found, paginate, with_repo, Actor, Shared};
use crate::git::MODE_TREE;
use crate::payloads;

/// `GET /user`: the token's user. As on GitHub, an Actions or App installation token (a bot)
/// is refused: it has no user.
pub async fn authenticated_user(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
) -> Response {
    let world = lock(&state);
    if world
        .user(&actor.0)
        .is_some_and(|u| u.kind == crate::world::UserKind::Bot)
    {
        return super::fail(403, "Resource not accessible by integration");
    }
    let mut user = payloads::user(&world, &actor.0);
    // The signed-in user sees their whole profile.
    for (key, value) in [
        ("name", Value::Null),
        ("company", Value::Null),
        ("blog", Value::from("")),
        ("location", Value::Null),
        ("email", Value::Null),
        ("hireable", Value::Null),
        ("bio", Value::Null),
        ("twitter_username", Value::Null),
        ("public_repos", Value::from(0)),
        ("public_gists", Value::from(0)),
        ("followers", Value::from(0)),
        ("following", Value::from(0)),
        ("created_at", Value::from("2021-03-01T12:00:00Z")),
        ("updated_at", Value::from("2021-03-01T12:00:00Z")),
        ("private_gists", Value::from(0)),
        ("total_private_repos", Value::from(0)),
        ("owned_private_repos", Value::from(0)),
        ("disk_usage", Value::from(0)),
        ("collaborators", Value::from(0)),
        ("two_factor_authentication", Value::from(true)),
    ] {
        user[key] = value;
    }
    json(StatusCode::OK, user)
}

/// `GET /app` under an App's JWT: the App, whose installations act as `<slug>[bot]`.
pub async fn authenticated_app(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
) -> Response {
    let world = lock(&state);
    let Some(app) = actor
        .0
        .strip_prefix("app:")
        .and_then(|id| id.parse::<u64>().ok())
    else {
        return super::fail(401, "A JSON web token could not be decoded");
    };
    if let Some(registered) = world.app_records.get(&app) {
        // Registered from a manifest: GitHub describes the App as it was created.
        return json(
            StatusCode::OK,
            crate::app_manifests::integration(&world, registered),
        );
    }
    let Some((_, bot)) = world.apps.get(&app) else {
        return not_found();
    };
    let slug = bot.trim_end_matches("[bot]");
    json(
        StatusCode::OK,
        serde_json::json!({
            "id": app,
            "slug": slug,
            "node_id": format!("A_{app}"),
            "client_id": format!("Iv1.{app:016x}"),
            "owner": payloads::user(&world, &world.repos.values().next().map(|r| r.owner.clone()).unwrap_or_default()),
            "name": slug,
            "description": null,
            "external_url": format!("{}apps/{slug}", world.base_url),
            "html_url": format!("{}apps/{slug}", world.base_url),
            "created_at": "2021-03-01T12:00:00Z",
            "updated_at": "2021-03-01T12:00:00Z",
            "permissions": { "contents": "write", "issues": "write", "pull_requests": "write", "actions": "write", "metadata": "read" },
            "events": ["issue_comment", "issues", "pull_request", "push", "create", "release", "workflow_run"],
        }),
    )
}

pub async fn repository(
    State(state): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| {
        json(StatusCode::OK, payloads::repository(&world, r))
    })
}

pub async fn contents(
    State(state): State<Shared>,
    Path((owner, repo, path)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| {
        let wanted = query
            .get("ref")
            .cloned()
            .unwrap_or_else(|| r.default_branch.clone());
        let Some(commit) = r.resolve(&wanted) else {
            return not_found();
        };
        let Some(tree) = r.git.commit(&commit).map(|c| c.tree.clone()) else {
            return not_found();
        };
        let entries = r.git.flatten_with_trees(&tree);
        let path = path.trim_end_matches('/');
        let base = &world.base_url;
        let full_name = r.full_name();
        let describe = |p: &str, mode: &str, sha: &str| {
            let kind = if mode == MODE_TREE { "dir" } else { "file" };
            let name = p.rsplit('/').next().unwrap_or(p);
            let url = format!("{base}repos/{full_name}/contents/{p}?ref={wanted}");
            let html_url = format!("{base}{full_name}/blob/{wanted}/{p}");
            let git_url = format!(
                "{base}repos/{full_name}/git/{}s/{sha}",
                if kind == "dir" { "tree" } else { "blob" }
            );
            json!({
                "_links": { "self": url, "git": git_url, "html": html_url },
                "type": kind,
                "name": name,
                "path": p,
                "sha": sha,
                "size": r.git.blob(sha).map_or(0, |b| b.len()),
                "url": url,
                "html_url": html_url,
                "git_url": git_url,
                "download_url": if kind == "file" { Value::String(format!("{base}raw/{full_name}/{wanted}/{p}")) } else { Value::Null },
            })
        };
        match entries.get(path) {
            Some((mode, sha)) if mode != MODE_TREE => {
                let mut value = describe(path, mode, sha);
                value["encoding"] = json!("base64");
                value["content"] = json!(payloads::wrapped_base64(
                    r.git.blob(sha).map(Vec::as_slice).unwrap_or_default()
                ));
                json(StatusCode::OK, value)
            }
            Some(_) => {
                let prefix = format!("{path}/");
                let listing: Vec<Value> = entries
                    .iter()
                    .filter(|(p, _)| {
                        p.strip_prefix(&prefix)
                            .is_some_and(|rest| !rest.contains('/'))
                    })
                    .map(|(p, (mode, sha))| describe(p, mode, sha))
                    .collect();
                json(StatusCode::OK, Value::Array(listing))
            }
            None => not_found(),
        }
    })
}

pub async fn tags(
    State(state): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| {
        let base = &world.base_url;
        let full_name = r.full_name();
        // Newest name first, as GitHub lists them.
        let items: Vec<Value> = r
            .refs
            .iter()
            .rev()
            .filter_map(|(name, sha)| {
                let tag = name.strip_prefix("refs/tags/")?;
                let commit = r.git.peel_to_commit(sha)?;
                Some(json!({
                    "name": tag,
                    "commit": { "sha": commit, "url": format!("{base}repos/{full_name}/commits/{commit}") },
                    "zipball_url": format!("{base}repos/{full_name}/zipball/refs/tags/{tag}"),
                    "tarball_url": format!("{base}repos/{full_name}/tarball/refs/tags/{tag}"),
                    "node_id": format!("TAG_{tag}"),
                }))
            })
            .collect();
        paginate(&world, &format!("repos/{full_name}/tags"), &query, items)
    })
}

/// `permission` folds maintain into write and triage into read; `role_name` is exact.
pub async fn permission(
    State(state): State<Shared>,
    Path((owner, repo, user)): Path<(String, String, String)>,
) -> Response {
    let world = lock(&state);
    if world.user(&user).is_none() {
        return not_found();
    }
    with_repo(&world, &owner, &repo, |r| {
        let role = match r.collaborators.get(&user) {
            Some(role) => role.clone(),
            None if r.private => "none".to_string(),
            None => "read".to_string(),
        };
        let permission = match role.as_str() {
            "admin" => "admin",
            "maintain" | "write" => "write",
            "triage" | "read" => "read",
            _ => "none",
        };
        json(
            StatusCode::OK,
            json!({ "permission": permission, "role_name": role, "user": collaborator(&world, &user, &role) }),
        )
    })
}

/// `GET …/collaborators`: everyone with a role on the repository, by login.
pub async fn collaborators(
    State(state): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = lock(&state);
    super::list_in_repo(&world, (&owner, &repo), "collaborators", &query, |r| {
        let people = r.collaborators.iter();
        Some(
            people
                .map(|(login, role)| collaborator(&world, login, role))
                .collect(),
        )
    })
}

/// `GET /rate_limit`: what is left of the hour's requests (the simulator counts every answer).
pub async fn rate_limit(State(state): State<Shared>) -> Response {
    let world = lock(&state);
    let used = world.rate_limit_used;
    let reset = world.clock.max(chrono::Utc::now().timestamp()) + 3600;
    let limit = |limit: u64, used: u64| json!({ "limit": limit, "used": used, "remaining": limit.saturating_sub(used), "reset": reset });
    let core = limit(5000, used);
    json(
        StatusCode::OK,
        json!({
            "rate": core,
            "resources": {
                "core": core,
                "graphql": limit(5000, 0),
                "search": limit(30, 0),
                "integration_manifest": limit(5000, 0),
            },
        }),
    )
}

/// A collaborator: the user, with the role and what it allows.
fn collaborator(world: &super::super::world::World, login: &str, role: &str) -> Value {
    let mut user = payloads::user(world, login);
    let rank = ["read", "triage", "write", "maintain", "admin"]
        .iter()
        .position(|r| *r == role);
    let at_least = |r: usize| rank.is_some_and(|rank| rank >= r);
    user["role_name"] = json!(role);
    user["permissions"] = json!({
        "pull": at_least(0),
        "triage": at_least(1),
        "push": at_least(2),
        "maintain": at_least(3),
        "admin": at_least(4),
    });
    user
}

pub async fn gist(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    let world = lock(&state);
    let Some((owner, files)) = world.gists.get(&id) else {
        return not_found();
    };
    let base = &world.base_url;
    let files: serde_json::Map<String, Value> = files
        .iter()
        .map(|(name, content)| {
            (
                name.clone(),
                json!({
                    "filename": name,
                    "type": "text/markdown",
                    "size": content.len(),
                    "truncated": false,
                    "content": content,
                    "raw_url": format!("{base}gist-raw/{owner}/{id}/raw/{name}"),
                }),
            )
        })
        .collect();
    json(
        StatusCode::OK,
        json!({
            "id": id,
            "url": format!("{base}gists/{id}"),
            "html_url": format!("{base}gist/{owner}/{id}"),
            "owner": payloads::user(&world, owner),
            "files": files,
            "public": true,
        }),
    )
}

/// An installation token for the App the JWT belongs to (the gate checked the JWT).
pub async fn installation_token(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
    Path(installation): Path<String>,
) -> Response {
    let mut world = lock(&state);
    let Some(app) = actor
        .0
        .strip_prefix("app:")
        .and_then(|id| id.parse::<u64>().ok())
    else {
        return super::fail(401, "A JSON web token could not be decoded");
    };
    let Some((_, bot)) = world.apps.get(&app).cloned() else {
        return not_found();
    };
    let known = installation
        .parse::<u64>()
        .is_ok_and(|id| world.repos.values().any(|r| 1000 + r.id == id));
    if !known {
        return not_found();
    }
    let n = world.new_id();
    let token = format!("ghs_simulated{n:012}");
    let lifetime = if world.token_lifetime_secs > 0 {
        world.token_lifetime_secs
    } else {
        3600
    };
    let expires = world.now() + lifetime;
    world.tokens.insert(token.clone(), bot);
    world.token_expiry.insert(token.clone(), expires);
    json(
        StatusCode::CREATED,
        json!({
            "token": token,
            "expires_at": crate::world::format_time(expires),
            "permissions": { "contents": "write", "pull_requests": "write", "issues": "write", "actions": "write", "metadata": "read" },
            "repository_selection": "all",
        }),
    )
}
