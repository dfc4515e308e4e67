//! `POST /repos/{owner}/{repo}/releases/generate-notes`: GitHub's generated release notes, the
//! pull requests merged between the previous tag and this one, in GitHub's own layout.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::{fail, json, lock, not_found, repo_name, unprocessable, JsonBody, Shared};

pub async fn generate(
    State(state): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Response {
    let Some(tag) = body["tag_name"].as_str() else {
        return fail(422, "Invalid request.\n\n\"tag_name\" wasn't supplied.");
    };
    let world = lock(&state);
    let name = repo_name(&owner, &repo);
    let Some(r) = world.repo(&name) else {
        return not_found();
    };
    // The tag when it exists, else the target the release will be made from.
    let head = r.resolve(tag).or_else(|| {
        body["target_commitish"]
            .as_str()
            .and_then(|target| r.resolve(target))
    });
    let Some(head) = head else {
        return unprocessable("Release", "target_commitish is invalid");
    };
    let previous = match body["previous_tag_name"].as_str() {
        Some(previous) => match r.resolve(previous) {
            Some(commit) => Some((previous.to_string(), commit)),
            None => return unprocessable("Release", "previous_tag_name is invalid"),
        },
        None => None,
    };
    let base = &world.base_url;
    let mut merged: Vec<_> = r
        .issues
        .values()
        .filter_map(|issue| {
            let pull = issue.pull.as_ref()?;
            let merge = pull.merge_commit_sha.as_deref()?;
            let in_range = r.git.is_ancestor(merge, &head)
                && previous
                    .as_ref()
                    .is_none_or(|(_, since)| !r.git.is_ancestor(merge, since));
            in_range.then_some(issue)
        })
        .collect();
    merged.sort_by_key(|issue| issue.number);
    let mut text = String::from("## What's Changed\n");
    for issue in &merged {
        text.push_str(&format!(
            "* {} by @{} in {base}{name}/pull/{}\n",
            issue.title, issue.author, issue.number
        ));
    }
    if merged.is_empty() {
        text = String::new();
    }
    text.push_str(&match &previous {
        Some((since, _)) => format!("\n**Full Changelog**: {base}{name}/compare/{since}...{tag}"),
        None => format!("\n**Full Changelog**: {base}{name}/commits/{tag}"),
    });
    json(
        StatusCode::OK,
        json!({ "name": tag, "body": text.trim_start() }),
    )
}
