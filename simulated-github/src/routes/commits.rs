//! Commits as a person looks at them on GitHub: one commit (by id, branch or tag, annotated
//! tags peeled; branch names may hold slashes), its statuses, a branch's history, and the
//! comparison of two refs (what a release adds since the last one).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::{json, list_in_repo, lock, not_found, statuses, with_repo, Shared};
use crate::history;
use crate::payloads;
use crate::world::{Repo, World};

type Wanted = Query<HashMap<String, String>>;

/// The person GitHub links a commit's author to: a known user whose noreply address it is.
fn account(world: &World, email: &str) -> Value {
    match email.strip_suffix("@users.noreply.simulated") {
        Some(login) if world.user(login).is_some() => payloads::user(world, login),
        _ => Value::Null,
    }
}

/// A commit in the REST API's `commit` shape, with its files and stats against its first
/// parent when `with_files`.
pub fn commit(world: &World, r: &Repo, sha: &str, with_files: bool) -> Option<Value> {
    let object = r.git.commit(sha)?;
    let base = &world.base_url;
    let full_name = r.full_name();
    let git = payloads::commit(world, r, sha, object);
    let mut value = json!({
        "sha": sha,
        "node_id": git["node_id"],
        "url": format!("{base}repos/{full_name}/commits/{sha}"),
        "html_url": git["html_url"],
        "comments_url": format!("{base}repos/{full_name}/commits/{sha}/comments"),
        "commit": {
            "author": git["author"],
            "committer": git["committer"],
            "message": git["message"],
            "tree": git["tree"],
            "url": git["url"],
            "comment_count": 0,
            "verification": git["verification"],
        },
        "author": account(world, &object.author.email),
        "committer": account(world, &object.committer.email),
        "parents": git["parents"],
    });
    if with_files {
        let changes = history::changes(r, object.parents.first().map(String::as_str), sha);
        let (additions, deletions) = changes
            .iter()
            .fold((0, 0), |(a, d), c| (a + c.additions, d + c.deletions));
        value["stats"] = json!({ "additions": additions, "deletions": deletions, "total": additions + deletions });
        value["files"] = Value::Array(files(world, r, sha, &changes));
    }
    Some(value)
}

/// Changed files in GitHub's `diff-entry` shape.
pub fn files(world: &World, r: &Repo, at: &str, changes: &[history::Change]) -> Vec<Value> {
    let base = &world.base_url;
    let full_name = r.full_name();
    changes
        .iter()
        .map(|c| {
            json!({
                "sha": c.blob,
                "filename": c.path,
                "status": c.status,
                "additions": c.additions,
                "deletions": c.deletions,
                "changes": c.additions + c.deletions,
                "blob_url": format!("{base}{full_name}/blob/{at}/{}", c.path),
                "raw_url": format!("{base}{full_name}/raw/{at}/{}", c.path),
                "contents_url": format!("{base}repos/{full_name}/contents/{}?ref={at}", c.path),
            })
        })
        .collect()
}

/// `GET …/commits/{ref}`, `…/commits/{ref}/status` and `…/commits/{ref}/statuses`: one route,
/// since a branch name may hold slashes (`release/0.1.3/status`).
pub async fn by_ref(
    State(state): State<Shared>,
    Path((owner, repo, rest)): Path<(String, String, String)>,
    Query(query): Wanted,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| {
        let (git_ref, what) = match rest.rsplit_once('/') {
            Some((git_ref, what @ ("status" | "statuses"))) => (git_ref, what),
            _ => (rest.as_str(), "commit"),
        };
        let Some(sha) = r.resolve(git_ref) else {
            return super::unprocessable("Commit", &format!("No commit found for SHA: {git_ref}"));
        };
        match what {
            "statuses" => statuses::list(&world, r, &sha, &query),
            "status" => statuses::combined(&world, r, &sha),
            _ => match commit(&world, r, &sha, true) {
                Some(value) => json(StatusCode::OK, value),
                None => not_found(),
            },
        }
    })
}

/// `GET …/commits?sha=BRANCH`: the history of a branch, tag or commit (the default branch when
/// not said), newest first.
pub async fn list(
    State(state): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Wanted,
) -> Response {
    let world = lock(&state);
    list_in_repo(&world, (&owner, &repo), "commits", &query, |r| {
        let from = query.get("sha").unwrap_or(&r.default_branch);
        let head = r.resolve(from)?;
        let log = history::log(r, &head);
        Some(
            log.iter()
                .filter_map(|sha| commit(&world, r, sha, false))
                .collect(),
        )
    })
}

/// `GET …/compare/{base}...{head}`: what `head` has that `base` has not, and the reverse.
pub async fn compare(
    State(state): State<Shared>,
    Path((owner, repo, basehead)): Path<(String, String, String)>,
) -> Response {
    let world = lock(&state);
    with_repo(&world, &owner, &repo, |r| {
        let Some((base_ref, head_ref)) = basehead.split_once("...") else {
            return not_found();
        };
        let (Some(base), Some(head)) = (r.resolve(base_ref), r.resolve(head_ref)) else {
            return not_found();
        };
        let Some(merge_base) = crate::merging::merge_base(r, &head, &base) else {
            return not_found();
        };
        let ahead = history::only_in(r, &head, &base);
        let behind = history::only_in(r, &base, &head);
        let status = match (ahead.is_empty(), behind.is_empty()) {
            (true, true) => "identical",
            (false, true) => "ahead",
            (true, false) => "behind",
            (false, false) => "diverged",
        };
        let changes = history::changes(r, Some(&merge_base), &head);
        let html = format!("{}{}/compare/{basehead}", world.base_url, r.full_name());
        json(
            StatusCode::OK,
            json!({
                "url": format!("{}repos/{}/compare/{basehead}", world.base_url, r.full_name()),
                "html_url": html,
                "permalink_url": format!("{}{}/compare/{base}...{head}", world.base_url, r.full_name()),
                "diff_url": format!("{html}.diff"),
                "patch_url": format!("{html}.patch"),
                "base_commit": commit(&world, r, &base, false),
                "merge_base_commit": commit(&world, r, &merge_base, false),
                "status": status,
                "ahead_by": ahead.len(),
                "behind_by": behind.len(),
                "total_commits": ahead.len(),
                "commits": ahead.iter().filter_map(|sha| commit(&world, r, sha, false)).collect::<Vec<_>>(),
                "files": files(&world, r, &head, &changes),
            }),
        )
    })
}
