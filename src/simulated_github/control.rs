//! `/_simulator/…`: what people do, over HTTP, for a simulator running on its own. These routes
//! are not GitHub's API: they need no token and are not recorded as API calls.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::SimulatedGitHub;

pub fn router(sim: SimulatedGitHub) -> Router {
    Router::new()
        .route("/_simulator/requests", get(requests))
        .route("/_simulator/repos/{owner}/{repo}", get(repository_state))
        .route("/_simulator/repos/{owner}/{repo}/issues", post(open_issue))
        .route(
            "/_simulator/repos/{owner}/{repo}/issues/{number}/comments",
            post(comment),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/comments/{id}",
            patch(edit_comment),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/pulls/{number}/merge",
            post(merge),
        )
        .route("/_simulator/repos/{owner}/{repo}/tags", post(push_tag))
        .route(
            "/_simulator/repos/{owner}/{repo}/runs/{id}/complete",
            post(complete_run),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/releases/{id}/publish",
            post(publish_release),
        )
        .route(
            "/_simulator/repos/{owner}/{repo}/collaborators/{login}",
            put(add_collaborator),
        )
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
    if super::lock(&sim.state).repo(&full_name).is_none() {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "message": "no such repository" })),
        )
            .into_response();
    }
    let pulls: Vec<Value> = sim
        .pulls(&full_name)
        .into_iter()
        .map(|p| json!({ "number": p.number, "title": p.title, "head": p.head, "base": p.base, "state": p.state }))
        .collect();
    let runs: Vec<Value> = sim
        .runs(&full_name)
        .into_iter()
        .map(|r| json!({ "id": r.id, "path": r.path, "head_branch": r.head_branch, "status": r.status, "conclusion": r.conclusion }))
        .collect();
    let releases: Vec<Value> = sim
        .releases(&full_name)
        .into_iter()
        .map(|r| json!({ "id": r.id, "tag_name": r.tag_name, "draft": r.draft }))
        .collect();
    Json(
        json!({ "refs": sim.refs(&full_name), "pulls": pulls, "runs": runs, "releases": releases }),
    )
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

#[derive(Deserialize)]
struct ByPerson {
    by: String,
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
struct Merge {
    by: String,
    /// merge, squash or rebase (GitHub's `merge_method`).
    #[serde(default = "merge_default")]
    method: String,
}

fn merge_default() -> String {
    "merge".into()
}

async fn merge(
    State(sim): State<SimulatedGitHub>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(merge): Json<Merge>,
) -> Response {
    if let Some(refusal) = unknown_user(&sim, &merge.by) {
        return refusal;
    }
    let method = match merge.method.as_str() {
        "merge" => super::MergeMethod::Merge,
        "squash" => super::MergeMethod::Squash,
        "rebase" => super::MergeMethod::Rebase,
        other => {
            return refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("method `{other}`: one of merge, squash, rebase"),
            )
        }
    };
    match sim.merge_pull(&format!("{owner}/{repo}"), number, method, &merge.by) {
        Ok(sha) => Json(json!({ "sha": sha, "merged": true })).into_response(),
        Err(message) => refused(StatusCode::UNPROCESSABLE_ENTITY, message),
    }
}

#[derive(Deserialize)]
struct NewTag {
    by: String,
    tag: String,
    /// A branch, tag or commit id; the default branch when left out.
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    annotated: bool,
}

async fn push_tag(
    State(sim): State<SimulatedGitHub>,
    Path((owner, repo)): Path<(String, String)>,
    Json(tag): Json<NewTag>,
) -> Response {
    if let Some(refusal) = unknown_user(&sim, &tag.by) {
        return refusal;
    }
    let full_name = format!("{owner}/{repo}");
    let Some(commit) = sim.resolve(&full_name, tag.target.as_deref()) else {
        return refused(StatusCode::NOT_FOUND, "no such repository or target");
    };
    if sim
        .refs(&full_name)
        .contains_key(&format!("refs/tags/{}", tag.tag))
    {
        return refused(StatusCode::UNPROCESSABLE_ENTITY, "the tag exists");
    }
    sim.push_tag(&full_name, &tag.tag, &commit, &tag.by, tag.annotated);
    (
        StatusCode::CREATED,
        Json(json!({ "tag": tag.tag, "commit": commit })),
    )
        .into_response()
}

#[derive(Deserialize)]
struct Conclusion {
    /// success or failure (also cancelled, timed_out).
    conclusion: String,
}

async fn complete_run(
    State(sim): State<SimulatedGitHub>,
    Path((owner, repo, id)): Path<(String, String, u64)>,
    Json(end): Json<Conclusion>,
) -> Response {
    let full_name = format!("{owner}/{repo}");
    if !sim.runs(&full_name).iter().any(|run| run.id == id) {
        return refused(StatusCode::NOT_FOUND, "no such run");
    }
    if !["success", "failure", "cancelled", "timed_out"].contains(&end.conclusion.as_str()) {
        return refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "conclusion: one of success, failure, cancelled, timed_out",
        );
    }
    sim.complete_run(&full_name, id, &end.conclusion);
    Json(json!({ "id": id, "conclusion": end.conclusion })).into_response()
}

async fn publish_release(
    State(sim): State<SimulatedGitHub>,
    Path((owner, repo, id)): Path<(String, String, u64)>,
    Json(person): Json<ByPerson>,
) -> Response {
    if let Some(refusal) = unknown_user(&sim, &person.by) {
        return refusal;
    }
    let full_name = format!("{owner}/{repo}");
    if !sim.releases(&full_name).iter().any(|r| r.id == id) {
        return refused(StatusCode::NOT_FOUND, "no such release");
    }
    sim.publish_release(&full_name, id, &person.by);
    Json(json!({ "id": id, "published": true })).into_response()
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
