//! Issues, their comments, reactions, assignees and labels.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use serde_json::{json, Value};

use super::{fail, json, lock, not_found, paginate, repo_name, with_repo, Actor, JsonBody, Shared};
use crate::webhooks;
use crate::world::Comment;
use crate::{issue_events, payloads};

const REACTIONS: [&str; 8] = [
    "+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes",
];

fn parse_number(text: &str) -> Option<u64> {
    text.parse().ok()
}

pub async fn get_issue(
    State(state): State<Shared>,
    Path((owner, repo, number)): Path<(String, String, String)>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| {
        match parse_number(&number).and_then(|n| r.issues.get(&n)) {
            Some(issue) => json(StatusCode::OK, payloads::issue(&world, r, issue)),
            None => not_found(),
        }
    })
}

pub async fn list_comments(
    State(state): State<Shared>,
    Path((owner, repo, number)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| {
        let Some(number) = parse_number(&number).filter(|n| r.issues.contains_key(n)) else {
            return not_found();
        };
        let items: Vec<Value> = r
            .comments
            .iter()
            .filter(|c| c.issue == number)
            .map(|c| payloads::comment(&world, r, c))
            .collect();
        paginate(
            &world,
            &format!("repos/{}/issues/{number}/comments", r.full_name()),
            &query,
            items,
        )
    })
}

pub async fn create_comment(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
    Path((owner, repo, number)): Path<(String, String, String)>,
    JsonBody(body): JsonBody,
) -> Response {
    let Some(text) = body["body"].as_str() else {
        return fail(422, "Invalid request.\n\n\"body\" wasn't supplied.");
    };
    let mut world = lock(&state);
    let name = repo_name(&owner, &repo);
    let Some(number) = parse_number(&number)
        .filter(|n| world.repo(&name).is_some_and(|r| r.issues.contains_key(n)))
    else {
        return not_found();
    };
    match webhooks::add_comment(&mut world, &name, number, &actor.0, text) {
        Some(value) => json(StatusCode::CREATED, value),
        None => not_found(),
    }
}

fn find_comment<'a>(comments: &'a [Comment], id: &str) -> Option<&'a Comment> {
    let id = parse_number(id)?;
    comments.iter().find(|c| c.id == id)
}

pub async fn get_comment(
    State(state): State<Shared>,
    Path((owner, repo, id)): Path<(String, String, String)>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| {
        match find_comment(&r.comments, &id) {
            Some(comment) => json(StatusCode::OK, payloads::comment(&world, r, comment)),
            None => not_found(),
        }
    })
}

pub async fn update_comment(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
    Path((owner, repo, id)): Path<(String, String, String)>,
    JsonBody(body): JsonBody,
) -> Response {
    let Some(text) = body["body"].as_str() else {
        return fail(422, "Invalid request.\n\n\"body\" wasn't supplied.");
    };
    let Some(id) = parse_number(&id) else {
        return not_found();
    };
    let mut world = lock(&state);
    let name = repo_name(&owner, &repo);
    let author = world
        .repo(&name)
        .and_then(|r| r.comments.iter().find(|c| c.id == id))
        .map(|c| c.author.clone());
    match author {
        None => not_found(),
        Some(author) if author != actor.0 => fail(403, "Resource not accessible by integration"),
        Some(_) => match webhooks::edit_comment(&mut world, &name, id, text) {
            Some(value) => json(StatusCode::OK, value),
            None => not_found(),
        },
    }
}

pub async fn list_reactions(
    State(state): State<Shared>,
    Path((owner, repo, id)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| {
        match find_comment(&r.comments, &id) {
            Some(comment) => {
                let items: Vec<Value> = comment
                .reactions
                .iter()
                .enumerate()
                .map(|(i, (login, content))| json!({"id": i + 1, "node_id": format!("REA_{id}_{i}"), "user": payloads::user(&world, login), "content": content, "created_at": comment.created_at}))
                .collect();
                let path = format!("repos/{owner}/{repo}/issues/comments/{id}/reactions");
                paginate(&world, &path, &query, items)
            }
            None => not_found(),
        }
    })
}

/// 201 for a new reaction, 200 when this user already reacted with this content.
pub async fn create_reaction(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
    Path((owner, repo, id)): Path<(String, String, String)>,
    JsonBody(body): JsonBody,
) -> Response {
    let content = body["content"].as_str().unwrap_or_default().to_string();
    if !REACTIONS.contains(&content.as_str()) {
        return super::unprocessable(
            "Reaction",
            &format!("content {content:?} is not a valid reaction"),
        );
    }
    let Some(id) = parse_number(&id) else {
        return not_found();
    };
    let mut world = lock(&state);
    let user = payloads::user(&world, &actor.0);
    let Some(comment) = world
        .repo_mut(&repo_name(&owner, &repo))
        .and_then(|r| r.comments.iter_mut().find(|c| c.id == id))
    else {
        return not_found();
    };
    // Reactions keep no time of their own here; the comment's is close enough for a reader.
    let created_at = comment.created_at.clone();
    let existing = comment
        .reactions
        .iter()
        .position(|(login, c)| *login == actor.0 && *c == content);
    let (status, index) = match existing {
        Some(index) => (StatusCode::OK, index),
        None => {
            comment.reactions.push((actor.0.clone(), content.clone()));
            (StatusCode::CREATED, comment.reactions.len() - 1)
        }
    };
    json(
        status,
        json!({"id": index + 1, "node_id": format!("REA_{id}_{index}"), "user": user, "content": content, "created_at": created_at}),
    )
}

/// Only people who may be assigned are; others are skipped silently, as GitHub does.
pub async fn add_assignees(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
    Path((owner, repo, number)): Path<(String, String, String)>,
    JsonBody(body): JsonBody,
) -> Response {
    let wanted: Vec<String> = body["assignees"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let mut world = lock(&state);
    let now = world.timestamp();
    let name = repo_name(&owner, &repo);
    let Some(r) = world.repo_mut(&name) else {
        return not_found();
    };
    let collaborators = r.collaborators.clone();
    let Some(issue) = parse_number(&number).and_then(|n| r.issues.get_mut(&n)) else {
        return not_found();
    };
    let mut added = Vec::new();
    for login in wanted {
        if collaborators.contains_key(&login) && !issue.assignees.contains(&login) {
            issue.assignees.push(login.clone());
            issue.updated_at = now.clone();
            added.push(login);
        }
    }
    let issue = issue.clone();
    let r = world.repo(&name).expect("just used");
    let value = payloads::issue(&world, r, &issue);
    for login in added {
        issue_events::record(
            &mut world,
            &name,
            issue.number,
            "assigned",
            &actor.0,
            Some(&login),
        );
        let assignee = payloads::user(&world, &login);
        webhooks::emit_issue_change(
            &mut world, &name, &issue, "assigned", "assignee", assignee, &actor.0,
        );
    }
    json(StatusCode::CREATED, value)
}

pub async fn add_labels(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
    Path((owner, repo, number)): Path<(String, String, String)>,
    JsonBody(body): JsonBody,
) -> Response {
    // GitHub takes `{"labels": [...]}` or a bare array.
    let list = if body.is_array() {
        &body
    } else {
        &body["labels"]
    };
    let Some(wanted) = list.as_array().map(|a| {
        a.iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect::<Vec<_>>()
    }) else {
        return super::unprocessable("Label", "labels must be a list of names");
    };
    let mut world = lock(&state);
    let name = repo_name(&owner, &repo);
    let Some(r) = world.repo_mut(&name) else {
        return not_found();
    };
    for label in &wanted {
        if !r.labels.contains(label) {
            r.labels.push(label.clone());
        }
    }
    let Some(issue) = parse_number(&number).and_then(|n| r.issues.get_mut(&n)) else {
        return not_found();
    };
    let mut added = Vec::new();
    for label in wanted {
        if !issue.labels.contains(&label) {
            issue.labels.push(label.clone());
            added.push(label);
        }
    }
    let issue = issue.clone();
    let r = world.repo(&name).expect("just used");
    let items: Vec<Value> = issue
        .labels
        .iter()
        .map(|l| payloads::label(&world, r, l))
        .collect();
    let added: Vec<(String, Value)> = added
        .into_iter()
        .map(|l| (l.clone(), payloads::label(&world, r, &l)))
        .collect();
    for (name_of_label, label) in added {
        issue_events::record(
            &mut world,
            &name,
            issue.number,
            "labeled",
            &actor.0,
            Some(&name_of_label),
        );
        webhooks::emit_issue_change(
            &mut world, &name, &issue, "labeled", "label", label, &actor.0,
        );
    }
    json(StatusCode::OK, Value::Array(items))
}

/// Issues and pull requests, newest first, as GitHub lists them.
pub async fn list_issues(
    State(state): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| {
        let wanted = query.get("state").map(String::as_str).unwrap_or("open");
        let items: Vec<Value> = r
            .issues
            .values()
            .rev()
            .filter(|i| wanted == "all" || i.state == wanted)
            .map(|i| payloads::issue(&world, r, i))
            .collect();
        paginate(
            &world,
            &format!("repos/{}/issues", r.full_name()),
            &query,
            items,
        )
    })
}

pub async fn create_issue(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
    Path((owner, repo)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Response {
    let Some(title) = body["title"].as_str().filter(|t| !t.trim().is_empty()) else {
        return super::unprocessable("Issue", "title wasn't supplied");
    };
    let text = body["body"].as_str().unwrap_or_default();
    let sim = crate::people::open_issue(
        &mut lock(&state),
        &repo_name(&owner, &repo),
        &actor.0,
        title,
        text,
    );
    match sim {
        Some(value) => json(StatusCode::CREATED, value),
        None => not_found(),
    }
}
