//! `GET`/`POST /repos/{o}/{r}/milestones`, and `PATCH /repos/{o}/{r}/issues/{n}`, through which
//! an issue or a pull request is put on a milestone (and retitled or reworded).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use serde_json::{json, Value};

use super::{json, list_in_repo, lock, not_found, repo_name, Actor, JsonBody, Shared};
use crate::milestones::{self, Refused};
use crate::payloads;

/// Milestones by `state` (GitHub's default: `open`), in the order made.
pub async fn list(
    State(state): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = lock(&state);
    let wanted = query
        .get("state")
        .map_or("open", String::as_str)
        .to_string();
    list_in_repo(&world, (&owner, &repo), "milestones", &query, |r| {
        let items = r
            .milestones
            .iter()
            .filter(|m| wanted == "all" || m.state == wanted)
            .map(|m| payloads::milestone(&world, r, m))
            .collect();
        Some(items)
    })
}

pub async fn create(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
    Path((owner, repo)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Response {
    let title = body["title"].as_str().unwrap_or_default();
    let wanted_state = body["state"].as_str().unwrap_or("open");
    if !matches!(wanted_state, "open" | "closed") {
        return invalid("Milestone", "state", wanted_state);
    }
    let mut world = lock(&state);
    let name = repo_name(&owner, &repo);
    let made = milestones::create(
        &mut world,
        &name,
        title,
        body["description"].as_str(),
        wanted_state,
        &actor.0,
    );
    match made {
        Ok(milestone) => {
            let r = world.repo(&name).expect("just made in it");
            json(
                StatusCode::CREATED,
                payloads::milestone(&world, r, &milestone),
            )
        }
        Err(Refused::NoRepository) => not_found(),
        Err(Refused::AlreadyExists) => validation("Milestone", "title", "already_exists", None),
        Err(Refused::Missing) => validation("Milestone", "title", "missing_field", None),
    }
}

/// `PATCH /issues/{n}`: `milestone` (a number, or `null` to take it off), `title` and `body`.
/// Other fields (state, labels, assignees) are GitHub's too but not modelled here: they are
/// refused by name rather than silently dropped.
pub async fn update_issue(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
    Path((owner, repo, number)): Path<(String, String, String)>,
    JsonBody(body): JsonBody,
) -> Response {
    const MODELLED: [&str; 3] = ["milestone", "title", "body"];
    if let Some(other) = body
        .as_object()
        .and_then(|fields| fields.keys().find(|k| !MODELLED.contains(&k.as_str())))
    {
        let message = format!("the simulated GitHub does not model `{other}` here");
        return json(
            StatusCode::UNPROCESSABLE_ENTITY,
            payloads::validation_failed("Issue", &message),
        );
    }
    let mut world = lock(&state);
    let name = repo_name(&owner, &repo);
    let Some(number) = number
        .parse::<u64>()
        .ok()
        .filter(|n| world.repo(&name).is_some_and(|r| r.issues.contains_key(n)))
    else {
        return not_found();
    };
    if let Some(value) = body.get("milestone") {
        let milestone = match value {
            Value::Null => None,
            Value::Number(n) if n.as_u64().is_some() => n.as_u64(),
            other => return invalid("Issue", "milestone", &other.to_string()),
        };
        if milestones::set_on_issue(&mut world, &name, number, milestone, &actor.0).is_err() {
            let shown = milestone.map(|n| n.to_string()).unwrap_or_default();
            return invalid("Issue", "milestone", &shown);
        }
    }
    let now = world.timestamp();
    let issue = world
        .repo_mut(&name)
        .and_then(|r| r.issues.get_mut(&number))
        .expect("checked above");
    for (key, field) in [("title", &mut issue.title), ("body", &mut issue.body)] {
        if let Some(text) = body[key].as_str() {
            *field = text.to_string();
            issue.updated_at = now.clone();
        }
    }
    let issue = issue.clone();
    let r = world.repo(&name).expect("checked above");
    json(StatusCode::OK, payloads::issue(&world, r, &issue))
}

/// GitHub's 422 for a field with a value it does not take.
fn invalid(resource: &str, field: &str, value: &str) -> Response {
    validation(resource, field, "invalid", Some(value))
}

fn validation(resource: &str, field: &str, code: &str, value: Option<&str>) -> Response {
    let mut error = json!({ "resource": resource, "field": field, "code": code });
    if let Some(value) = value {
        error["value"] = json!(value);
    }
    json(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({
            "message": "Validation Failed",
            "errors": [error],
            "documentation_url": "https://docs.github.com/rest",
            "status": "422",
        }),
    )
}
