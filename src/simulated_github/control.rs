//! `/_simulator/…`: what people do, over HTTP, for a simulator running on its own. These routes
//! are not GitHub's API: they need no token and are not recorded as API calls.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
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
    Json(json!({ "refs": sim.refs(&full_name), "pulls": pulls })).into_response()
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
