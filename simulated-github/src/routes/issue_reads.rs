//! What a person reads on an issue's or pull request's page: its labels, the repository's
//! labels, its events and its timeline (events and comments, in the order they happened).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde_json::Value;

use super::{list_in_repo, lock, Shared};
use crate::world::{Issue, Repo};
use crate::{issue_events, payloads};

type Wanted = Query<HashMap<String, String>>;

fn issue<'a>(r: &'a Repo, number: &str) -> Option<&'a Issue> {
    number.parse::<u64>().ok().and_then(|n| r.issues.get(&n))
}

/// `GET /repos/{o}/{r}/labels`: every label the repository has.
pub async fn repo_labels(
    State(state): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Wanted,
) -> Response {
    let world = lock(&state);
    list_in_repo(&world, (&owner, &repo), "labels", &query, |r| {
        Some(
            r.labels
                .iter()
                .map(|l| payloads::label(&world, r, l))
                .collect(),
        )
    })
}

/// `GET …/issues/{n}/labels`.
pub async fn labels(
    State(state): State<Shared>,
    Path((owner, repo, number)): Path<(String, String, String)>,
    Query(query): Wanted,
) -> Response {
    let world = lock(&state);
    let suffix = format!("issues/{number}/labels");
    list_in_repo(&world, (&owner, &repo), &suffix, &query, |r| {
        let issue = issue(r, &number)?;
        Some(
            issue
                .labels
                .iter()
                .map(|l| payloads::label(&world, r, l))
                .collect(),
        )
    })
}

/// `GET …/issues/{n}/events`, oldest first.
pub async fn events(
    State(state): State<Shared>,
    Path((owner, repo, number)): Path<(String, String, String)>,
    Query(query): Wanted,
) -> Response {
    let world = lock(&state);
    let suffix = format!("issues/{number}/events");
    list_in_repo(&world, (&owner, &repo), &suffix, &query, |r| {
        let issue = issue(r, &number)?;
        let events = issue_events::of_issue(r, issue.number);
        Some(
            events
                .map(|e| issue_events::payload(&world, r, e))
                .collect(),
        )
    })
}

/// `GET …/issues/{n}/timeline`: events and comments (`commented`), in the order they happened.
pub async fn timeline(
    State(state): State<Shared>,
    Path((owner, repo, number)): Path<(String, String, String)>,
    Query(query): Wanted,
) -> Response {
    let world = lock(&state);
    let suffix = format!("issues/{number}/timeline");
    list_in_repo(&world, (&owner, &repo), &suffix, &query, |r| {
        let issue = issue(r, &number)?;
        let events = issue_events::of_issue(r, issue.number).map(|e| {
            (
                e.created_at.clone(),
                e.id,
                issue_events::payload(&world, r, e),
            )
        });
        let comments = r
            .comments
            .iter()
            .filter(|c| c.issue == issue.number)
            .map(|c| {
                let mut value = payloads::comment(&world, r, c);
                value["event"] = Value::from("commented");
                value["actor"] = payloads::user(&world, &c.author);
                (c.created_at.clone(), c.id, value)
            });
        let mut items: Vec<(String, u64, Value)> = events.chain(comments).collect();
        items.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        Some(items.into_iter().map(|(_, _, value)| value).collect())
    })
}
