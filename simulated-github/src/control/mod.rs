//! `/_simulator/…`: what people do, over HTTP, for a simulator running on its own. These routes
//! are not GitHub's API: they need no token and are not recorded as API calls.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::world::World;
use super::SimulatedGitHub;

mod pulls;
mod refs;
mod releases;
mod runs;

pub fn router(sim: SimulatedGitHub) -> Router {
    const REPO: &str = "/_simulator/repos/{owner}/{repo}";
    let at = |path: &str| format!("{REPO}/{path}");
    Router::new()
        .route("/_simulator/requests", get(requests))
        .route(REPO, get(repository_state))
        .route(&at("issues"), post(open_issue))
        .route(&at("issues/{number}/comments"), post(comment))
        .route(&at("comments/{id}"), patch(edit_comment))
        .route(&at("pulls/{number}/merge"), post(pulls::merge))
        .route(&at("pulls/{number}/enqueue"), post(pulls::enqueue))
        .route(&at("pulls/{number}/ready"), post(pulls::ready))
        .route(&at("pulls/{number}/close"), post(pulls::close))
        .route(&at("pulls/{number}/reopen"), post(pulls::reopen))
        .route(&at("tags"), post(refs::push_tag))
        .route(&at("refs/{*name}"), delete(refs::delete))
        .route(&at("branches/{*rest}"), post(refs::push_commits))
        .route(&at("runs/{id}/complete"), post(runs::complete))
        .route(&at("runs/{id}/rerun"), post(runs::rerun))
        .route(&at("releases/{id}/publish"), post(releases::publish))
        .route(
            &at("releases/{id}"),
            patch(releases::edit).delete(releases::delete),
        )
        .route(&at("collaborators/{login}"), put(add_collaborator))
        .route("/_simulator/violations", get(violations))
        .with_state(sim)
}

#[derive(Deserialize)]
struct NewIssue {
    author: String,
    title: String,
    #[serde(default)]
    body: String,
}

#[derive(Deserialize)]
struct NewComment {
    author: String,
    body: String,
}

fn unknown_user(sim: &SimulatedGitHub, login: &str) -> Option<Response> {
    let known = super::lock(&sim.state).users.contains_key(login);
    (!known).then(|| {
        let message =
            format!("unknown user `{login}`: start the simulator with --user {login}:ROLE");
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "message": message })),
        )
            .into_response()
    })
}

async fn requests(State(sim): State<SimulatedGitHub>) -> Json<Value> {
    let lines: Vec<String> = sim.requests().iter().map(|r| r.to_string()).collect();
    Json(json!(lines))
}

async fn repository_state(
    State(sim): State<SimulatedGitHub>,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    let full_name = format!("{owner}/{repo}");
    // Comments as a person reads them on the issue pages (the bot's status comment among them).
    let comments: Vec<Value> = match super::lock(&sim.state).repo(&full_name) {
        Some(r) => r
            .comments
            .iter()
            .map(|c| json!({ "id": c.id, "issue": c.issue, "author": c.author, "body": c.body }))
            .collect(),
        None => {
            return (
                StatusCode::NOT_FOUND,
                Json(json!({ "message": "no such repository" })),
            )
                .into_response()
        }
    };
    let pulls: Vec<Value> = sim
        .pulls(&full_name)
        .into_iter()
        .map(|p| json!({ "number": p.number, "title": p.title, "head": p.head, "base": p.base, "state": p.state, "merged": p.merged, "draft": p.draft, "milestone": p.milestone }))
        .collect();
    let runs: Vec<Value> = sim
        .runs(&full_name)
        .into_iter()
        .map(|r| json!({ "id": r.id, "path": r.path, "head_branch": r.head_branch, "run_attempt": r.run_attempt, "status": r.status, "conclusion": r.conclusion }))
        .collect();
    let releases: Vec<Value> = sim
        .releases(&full_name)
        .into_iter()
        .map(|r| json!({ "id": r.id, "tag_name": r.tag_name, "name": r.name, "draft": r.draft, "body": r.body }))
        .collect();
    Json(json!({
        "refs": sim.refs(&full_name), "pulls": pulls, "runs": runs, "releases": releases,
        "comments": comments,
    }))
    .into_response()
}

async fn open_issue(
    State(sim): State<SimulatedGitHub>,
    Path((owner, repo)): Path<(String, String)>,
    Json(issue): Json<NewIssue>,
) -> Response {
    if let Some(refusal) = unknown_user(&sim, &issue.author) {
        return refusal;
    }
    let number = sim.create_issue(
        &format!("{owner}/{repo}"),
        &issue.author,
        &issue.title,
        &issue.body,
    );
    (StatusCode::CREATED, Json(json!({ "number": number }))).into_response()
}

async fn comment(
    State(sim): State<SimulatedGitHub>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(comment): Json<NewComment>,
) -> Response {
    if let Some(refusal) = unknown_user(&sim, &comment.author) {
        return refusal;
    }
    let id = sim.post_comment(
        &format!("{owner}/{repo}"),
        number,
        &comment.author,
        &comment.body,
    );
    if id == 0 {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "message": "no such issue" })),
        )
            .into_response();
    }
    (StatusCode::CREATED, Json(json!({ "id": id }))).into_response()
}

fn refused(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "message": message.into() }))).into_response()
}

/// A move that needs only who makes it.
#[derive(Deserialize)]
struct ByPerson {
    by: String,
}

/// A person's move on the world: refused when the simulator does not know them, else what
/// `act` answers (GitHub's refusal keeps its status and message).
fn person_acts(
    sim: &SimulatedGitHub,
    by: &str,
    act: impl FnOnce(&mut World) -> Result<Value, (u16, String)>,
) -> Response {
    if let Some(refusal) = unknown_user(sim, by) {
        return refusal;
    }
    match act(&mut super::lock(&sim.state)) {
        Ok(answer) => Json(answer).into_response(),
        Err(refused) => refusal(refused),
    }
}

/// GitHub's refusal, with its status and message.
fn refusal((status, message): (u16, String)) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    refused(status, message)
}

fn full_name(owner: &str, repo: &str) -> String {
    format!("{owner}/{repo}")
}

#[derive(Deserialize)]
struct EditedComment {
    by: String,
    body: String,
}

async fn edit_comment(
    State(sim): State<SimulatedGitHub>,
    Path((owner, repo, id)): Path<(String, String, u64)>,
    Json(edit): Json<EditedComment>,
) -> Response {
    if let Some(refusal) = unknown_user(&sim, &edit.by) {
        return refusal;
    }
    let full_name = format!("{owner}/{repo}");
    if !sim.comments_anywhere(&full_name).contains(&id) {
        return refused(StatusCode::NOT_FOUND, "no such comment");
    }
    sim.edit_comment(&full_name, id, &edit.by, &edit.body);
    Json(json!({ "id": id })).into_response()
}

#[derive(Deserialize)]
struct Role {
    role: String,
}

/// Adds a person (made known to the simulator if new) with a role on the repository.
async fn add_collaborator(
    State(sim): State<SimulatedGitHub>,
    Path((owner, repo, login)): Path<(String, String, String)>,
    Json(role): Json<Role>,
) -> Response {
    const ROLES: [&str; 5] = ["admin", "maintain", "write", "triage", "read"];
    if !ROLES.contains(&role.role.as_str()) {
        return refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("role: one of {}", ROLES.join(", ")),
        );
    }
    if !super::lock(&sim.state).users.contains_key(&login) {
        sim.add_user(&login, super::UserKind::User);
    }
    sim.set_role(&format!("{owner}/{repo}"), &login, &role.role);
    Json(json!({ "login": login, "role": role.role })).into_response()
}

/// What broke GitHub's published descriptions so far, one line each.
async fn violations(State(sim): State<SimulatedGitHub>) -> Json<Value> {
    let lines: Vec<String> = sim.violations().iter().map(ToString::to_string).collect();
    Json(json!(lines))
}
