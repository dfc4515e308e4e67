//! Pull requests.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use serde_json::Value;

use super::{
    fail, json, lock, not_found, paginate, repo_name, unprocessable, with_repo, Actor, JsonBody,
    Shared,
};
use crate::merging::{self, MergeMethod};
use crate::payloads;
use crate::pull_state;
use crate::webhooks;
use crate::world::{Issue, Pull};

pub async fn list(
    State(state): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| {
        let state_filter = query.get("state").map(String::as_str).unwrap_or("open");
        // `head` is `owner:branch` (a fork's pull requests have the fork's owner), or a branch.
        let head = query.get("head").map(|h| match h.split_once(':') {
            Some((owner, branch)) => (Some(owner), branch),
            None => (None, h.as_str()),
        });
        let base = query.get("base");
        let items: Vec<Value> = r
            .issues
            .values()
            .rev()
            .filter_map(|issue| issue.pull.as_ref().map(|pull| (issue, pull)))
            .filter(|(issue, _)| state_filter == "all" || issue.state == state_filter)
            .filter(|(_, pull)| {
                head.is_none_or(|(owner, branch)| {
                    pull.head == branch
                        && owner.is_none_or(|o| o == pull.head_owner.as_deref().unwrap_or(&r.owner))
                })
            })
            .filter(|(_, pull)| base.is_none_or(|b| pull.base == *b))
            .map(|(issue, _)| payloads::pull(&world, r, issue))
            .collect();
        paginate(
            &world,
            &format!("repos/{}/pulls", r.full_name()),
            &query,
            items,
        )
    })
}

pub async fn create(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
    Path((owner, repo)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Response {
    let (Some(title), Some(head), Some(base)) = (
        body["title"].as_str(),
        body["head"].as_str(),
        body["base"].as_str(),
    ) else {
        return fail(
            422,
            "Invalid request.\n\n\"title\", \"head\", \"base\" weren't supplied.",
        );
    };
    let head = head
        .split_once(':')
        .map_or(head, |(_, branch)| branch)
        .to_string();
    let mut world = lock(&state);
    let now = world.timestamp();
    let name = repo_name(&owner, &repo);
    let Some(r) = world.repo_mut(&name) else {
        return not_found();
    };
    let head_sha = r.refs.get(&format!("refs/heads/{head}")).cloned();
    let base_sha = r.refs.get(&format!("refs/heads/{base}")).cloned();
    let (Some(head_sha), Some(base_sha)) = (head_sha, base_sha) else {
        let missing = if r.refs.contains_key(&format!("refs/heads/{head}")) {
            "base"
        } else {
            "head"
        };
        return unprocessable("PullRequest", &format!("{missing} is invalid"));
    };
    if head_sha == base_sha || r.git.is_ancestor(&head_sha, &base_sha) {
        return unprocessable(
            "PullRequest",
            &format!("No commits between {base} and {head}"),
        );
    }
    let duplicate = r.issues.values().any(|issue| {
        issue.state == "open"
            && issue
                .pull
                .as_ref()
                .is_some_and(|p| p.head == head && p.base == base && p.head_owner.is_none())
    });
    if duplicate {
        return unprocessable(
            "PullRequest",
            &format!("A pull request already exists for {owner}:{head}."),
        );
    }
    let number = r.take_number();
    let issue = Issue {
        number,
        title: title.to_string(),
        body: body["body"].as_str().unwrap_or_default().to_string(),
        author: actor.0.clone(),
        state: "open".into(),
        labels: vec![],
        assignees: vec![],
        created_at: now.clone(),
        updated_at: now,
        milestone: None,
        pull: Some(Pull {
            head,
            base: base.to_string(),
            merged: false,
            merge_commit_sha: None,
            merged_at: None,
            merged_by: None,
            head_owner: None,
            draft: body["draft"].as_bool().unwrap_or(false),
            deleted_head: None,
        }),
    };
    r.issues.insert(number, issue.clone());
    let r = world.repo(&name).expect("just used");
    let value = payloads::pull(&world, r, &issue);
    webhooks::emit_pull_request(&mut world, &name, "opened", number, &actor.0);
    json(StatusCode::CREATED, value)
}

pub async fn get(
    State(state): State<Shared>,
    Path((owner, repo, number)): Path<(String, String, String)>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| {
        match number
            .parse::<u64>()
            .ok()
            .and_then(|n| r.issues.get(&n))
            .filter(|i| i.pull.is_some())
        {
            Some(issue) => json(StatusCode::OK, payloads::pull(&world, r, issue)),
            None => not_found(),
        }
    })
}

pub async fn update(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
    Path((owner, repo, number)): Path<(String, String, String)>,
    JsonBody(body): JsonBody,
) -> Response {
    let mut world = lock(&state);
    let now = world.timestamp();
    let name = repo_name(&owner, &repo);
    let Some(number) = number.parse::<u64>().ok().filter(|n| {
        world
            .repo(&name)
            .and_then(|r| r.issues.get(n))
            .is_some_and(|i| i.pull.is_some())
    }) else {
        return not_found();
    };
    let open = world
        .repo(&name)
        .and_then(|r| r.issues.get(&number))
        .map(|i| i.state == "open");
    // Closing a closed pull request, or opening an open one, changes nothing; reopening may be
    // refused, and then nothing else changes either.
    let moved = match (body["state"].as_str(), open) {
        (Some("closed"), Some(true)) => pull_state::close(&mut world, &name, number, &actor.0),
        (Some("open"), Some(false)) => pull_state::reopen(&mut world, &name, number, &actor.0),
        (Some("open" | "closed") | None, _) => Ok(()),
        (Some(other), _) => {
            return unprocessable("PullRequest", &format!("state {other} is not valid"))
        }
    };
    if let Err((_, message)) = moved {
        return unprocessable("PullRequest", &message);
    }
    let Some(issue) = world
        .repo_mut(&name)
        .and_then(|r| r.issues.get_mut(&number))
    else {
        return not_found();
    };
    let mut changes = serde_json::Map::new();
    if let Some(title) = body["title"].as_str().filter(|t| *t != issue.title) {
        let old = std::mem::replace(&mut issue.title, title.to_string());
        changes.insert("title".into(), serde_json::json!({ "from": old }));
    }
    if let Some(text) = body["body"].as_str().filter(|t| *t != issue.body) {
        let old = std::mem::replace(&mut issue.body, text.to_string());
        changes.insert("body".into(), serde_json::json!({ "from": old }));
    }
    if !changes.is_empty() {
        issue.updated_at = now;
    }
    let issue = issue.clone();
    let r = world.repo(&name).expect("just used");
    let value = payloads::pull(&world, r, &issue);
    if !changes.is_empty() {
        // GitHub says what changed: `pull_request` `edited` with the old text.
        let payload = serde_json::json!({
            "action": "edited",
            "number": issue.number,
            "pull_request": value.clone(),
            "changes": changes,
        });
        webhooks::emit(&mut world, &name, "pull_request", payload, &actor.0);
    }
    json(StatusCode::OK, value)
}

pub async fn merge(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
    Path((owner, repo, number)): Path<(String, String, String)>,
    JsonBody(body): JsonBody,
) -> Response {
    let Some(method) = MergeMethod::parse(body["merge_method"].as_str().unwrap_or("merge")) else {
        return unprocessable("PullRequest", "merge_method is not valid");
    };
    let Ok(number) = number.parse::<u64>() else {
        return not_found();
    };
    let mut world = lock(&state);
    match merging::merge(
        &mut world,
        &repo_name(&owner, &repo),
        number,
        method,
        &actor.0,
    ) {
        Ok(sha) => json(
            StatusCode::OK,
            serde_json::json!({ "sha": sha, "merged": true, "message": "Pull Request successfully merged" }),
        ),
        Err((status, message)) => fail(status, &message),
    }
}
