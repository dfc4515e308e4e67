//! What a person reads on a pull request's tabs: its commits, its changed files, its reviews
//! (the simulator holds none).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;

use super::{commits, list_in_repo, lock, Shared};
use crate::history;
use crate::world::Repo;

type Wanted = Query<HashMap<String, String>>;

/// The pull request's head and the commit it branched from; `None` when it is not a pull
/// request. A merged pull request whose branch was deleted keeps its merge commit as head.
fn head_and_base(r: &Repo, number: &str) -> Option<(String, Option<String>)> {
    let issue = r.issues.get(&number.parse::<u64>().ok()?)?;
    let pull = issue.pull.as_ref()?;
    let head_ref = match &pull.head_owner {
        Some(_) => format!("refs/pull/{}/head", issue.number),
        None => format!("refs/heads/{}", pull.head),
    };
    let head = r
        .refs
        .get(&head_ref)
        .cloned()
        .or_else(|| pull.merge_commit_sha.clone())?;
    let base = r
        .resolve(&pull.base)
        .and_then(|base| crate::merging::merge_base(r, &head, &base));
    Some((head, base))
}

/// `GET …/pulls/{n}/commits`, oldest first.
pub async fn commits(
    State(state): State<Shared>,
    Path((owner, repo, number)): Path<(String, String, String)>,
    Query(query): Wanted,
) -> Response {
    let world = lock(&state);
    let suffix = format!("pulls/{number}/commits");
    list_in_repo(&world, (&owner, &repo), &suffix, &query, |r| {
        let (head, base) = head_and_base(r, &number)?;
        let shas = match base {
            Some(base) => history::only_in(r, &head, &base),
            None => vec![head],
        };
        Some(
            shas.iter()
                .filter_map(|sha| commits::commit(&world, r, sha, false))
                .collect(),
        )
    })
}

/// `GET …/pulls/{n}/files`: what the pull request changes since it branched.
pub async fn files(
    State(state): State<Shared>,
    Path((owner, repo, number)): Path<(String, String, String)>,
    Query(query): Wanted,
) -> Response {
    let world = lock(&state);
    let suffix = format!("pulls/{number}/files");
    list_in_repo(&world, (&owner, &repo), &suffix, &query, |r| {
        let (head, base) = head_and_base(r, &number)?;
        let changes = history::changes(r, base.as_deref(), &head);
        Some(commits::files(&world, r, &head, &changes))
    })
}

/// `GET …/pulls/{n}/reviews`: none; the simulator has no reviews.
pub async fn reviews(
    State(state): State<Shared>,
    Path((owner, repo, number)): Path<(String, String, String)>,
    Query(query): Wanted,
) -> Response {
    let world = lock(&state);
    let suffix = format!("pulls/{number}/reviews");
    list_in_repo(&world, (&owner, &repo), &suffix, &query, |r| {
        head_and_base(r, &number).map(|_| vec![])
    })
}
