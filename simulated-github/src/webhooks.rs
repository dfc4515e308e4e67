//! The webhooks GitHub sends when something happens, and the changes that cause them when
//! both API calls and people's actions can make them (comments, pull requests).

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use super::payloads;
use super::world::{Comment, Delivery, World};

/// `sha256=` + hex HMAC-SHA256 of the body, as in `X-Hub-Signature-256`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Queues a delivery: kept in the outbox, and sent to the webhook URL when one is set.
pub fn emit(world: &mut World, repo: &str, event: &str, mut payload: Value, sender: &str) {
    if let Some(r) = world.repo(repo) {
        payload["repository"] = payloads::repository(world, r);
        payload["installation"] = json!({ "id": 1000 + r.id, "node_id": format!("INST_{}", r.id) });
    }
    payload["sender"] = payloads::user(world, sender);
    let descriptions = super::conformance::descriptions();
    descriptions.check_webhook(event, &payload, &mut world.violations);
    let n = world.new_id();
    let delivery = Delivery {
        event: event.to_string(),
        id: format!("{:08x}-0000-4000-8000-{:012x}", n, n),
        payload,
    };
    if let Some(sender) = &world.delivery_sender {
        // The receiving task keeps order; a closed channel only means nobody listens any more.
        let _ = sender.send(delivery.clone());
    }
    world.outbox.push(delivery);
}

/// A new comment, by a person or through the API; emits `issue_comment` `created`.
pub fn add_comment(
    world: &mut World,
    repo: &str,
    issue: u64,
    author: &str,
    body: &str,
) -> Option<Value> {
    let id = world.new_id() + 1_000_000;
    let now = world.timestamp();
    let r = world.repo_mut(repo)?;
    let comment = Comment {
        id,
        issue,
        author: author.to_string(),
        body: body.to_string(),
        created_at: now.clone(),
        updated_at: now,
        reactions: vec![],
    };
    r.comments.push(comment.clone());
    let r = world.repo(repo)?;
    let comment_json = payloads::comment(world, r, &comment);
    let issue_json = payloads::issue(world, r, r.issues.get(&issue)?);
    let payload = json!({ "action": "created", "issue": issue_json, "comment": comment_json });
    emit(world, repo, "issue_comment", payload, author);
    Some(comment_json)
}

/// A comment's new text; emits `issue_comment` `edited` with the old body in `changes`.
pub fn edit_comment(world: &mut World, repo: &str, id: u64, body: &str) -> Option<Value> {
    let now = world.timestamp();
    let r = world.repo_mut(repo)?;
    let comment = r.comments.iter_mut().find(|c| c.id == id)?;
    let old = std::mem::replace(&mut comment.body, body.to_string());
    comment.updated_at = now;
    let comment = comment.clone();
    let r = world.repo(repo)?;
    let comment_json = payloads::comment(world, r, &comment);
    let issue_json = payloads::issue(world, r, r.issues.get(&comment.issue)?);
    let payload = json!({
        "action": "edited",
        "changes": { "body": { "from": old } },
        "issue": issue_json,
        "comment": comment_json,
    });
    emit(world, repo, "issue_comment", payload, &comment.author);
    Some(comment_json)
}

/// `issues` (or `pull_request`, for a pull request) with an action that carries one changed
/// thing: `assigned` with the `assignee`, `labeled` with the `label`.
pub fn emit_issue_change(
    world: &mut World,
    repo: &str,
    issue: &super::world::Issue,
    action: &str,
    key: &str,
    value: Value,
    sender: &str,
) {
    let Some(r) = world.repo(repo) else {
        return;
    };
    let (event, mut payload) = if issue.pull.is_some() {
        let pull = payloads::pull(world, r, issue);
        (
            "pull_request",
            json!({ "action": action, "number": issue.number, "pull_request": pull }),
        )
    } else {
        let issue_json = payloads::issue(world, r, issue);
        ("issues", json!({ "action": action, "issue": issue_json }))
    };
    payload[key] = value;
    emit(world, repo, event, payload, sender);
}

/// `workflow_run` with the run and its workflow, sent as whoever started this attempt (the
/// actor, or the person who re-ran it).
pub fn emit_workflow_run(
    world: &mut World,
    repo: &str,
    action: &str,
    run: &super::world::WorkflowRun,
) {
    let Some(r) = world.repo(repo) else {
        return;
    };
    let payload = json!({
        "action": action,
        "workflow_run": payloads::workflow_run(world, r, run),
        "workflow": payloads::workflow(world, r, run),
    });
    emit(world, repo, "workflow_run", payload, &run.triggering_actor);
}

pub fn emit_pull_request(world: &mut World, repo: &str, action: &str, number: u64, sender: &str) {
    emit_pull_request_with(world, repo, action, number, json!({}), sender);
}

/// `pull_request` `synchronize`: new commits on the pull request's branch, `before` → `after`.
pub fn emit_pull_request_synchronize(
    world: &mut World,
    repo: &str,
    number: u64,
    (before, after): (&str, &str),
    sender: &str,
) {
    let extra = json!({ "before": before, "after": after });
    emit_pull_request_with(world, repo, "synchronize", number, extra, sender);
}

/// A `pull_request` event with the fields its action adds (an object).
fn emit_pull_request_with(
    world: &mut World,
    repo: &str,
    action: &str,
    number: u64,
    extra: serde_json::Value,
    sender: &str,
) {
    let Some(pull) = world.repo(repo).and_then(|r| {
        r.issues
            .get(&number)
            .map(|issue| payloads::pull(world, r, issue))
    }) else {
        return;
    };
    let mut payload = json!({ "action": action, "number": number, "pull_request": pull });
    if let (Some(payload), Some(extra)) = (payload.as_object_mut(), extra.as_object()) {
        payload.extend(extra.clone());
    }
    emit(world, repo, "pull_request", payload, sender);
}

/// `create` and `push`, as GitHub sends them for a new branch or tag.
pub fn emit_ref_created(world: &mut World, repo: &str, full_ref: &str, sha: &str, by: &str) {
    if !full_ref.starts_with("refs/tags/") && !full_ref.starts_with("refs/heads/") {
        return;
    }
    emit_create(world, repo, full_ref, by);
    emit_push(world, repo, full_ref, None, Some(sha), by);
    super::packaging::tag_pushed(world, repo, full_ref, by);
}

/// `create` alone, for a branch pushed together with its first commit.
pub fn emit_create(world: &mut World, repo: &str, full_ref: &str, by: &str) {
    let (kind, short) = ref_kind(full_ref);
    let default_branch = world
        .repo(repo)
        .map(|r| r.default_branch.clone())
        .unwrap_or_default();
    let create = json!({
        "ref": short,
        "ref_type": kind,
        "master_branch": default_branch,
        "description": null,
        "pusher_type": "user",
    });
    emit(world, repo, "create", create, by);
}

/// `("tag", name)` or `("branch", name)`, as `create` and `delete` name a ref.
fn ref_kind(full_ref: &str) -> (&'static str, &str) {
    match full_ref.strip_prefix("refs/tags/") {
        Some(tag) => ("tag", tag),
        None => ("branch", full_ref.trim_start_matches("refs/heads/")),
    }
}

/// `delete` and a `push` with `deleted: true`, as GitHub sends them when a branch or tag goes.
pub fn emit_ref_deleted(world: &mut World, repo: &str, full_ref: &str, sha: &str, by: &str) {
    let (kind, short) = ref_kind(full_ref);
    let delete = json!({ "ref": short, "ref_type": kind, "pusher_type": "user" });
    emit(world, repo, "delete", delete, by);
    emit_push(world, repo, full_ref, Some(sha), None, by);
}

/// A `push`: `before` None is a new ref, `after` None a deleted one. The commits are those
/// `after` has that `before` had not (GitHub lists at most 20; so does this).
pub fn emit_push(
    world: &mut World,
    repo: &str,
    full_ref: &str,
    before: Option<&str>,
    after: Option<&str>,
    by: &str,
) {
    let zero = "0".repeat(40);
    let Some(r) = world.repo(repo) else {
        return;
    };
    let base = world.base_url.clone();
    let full_name = r.full_name();
    let commit_json = |sha: &str| -> Option<Value> {
        let commit = r.git.commit(sha)?;
        let person = |s: &super::git::Signature| json!({ "name": s.name, "email": s.email, "date": super::world::format_time(s.time) });
        Some(json!({
            "id": sha,
            "tree_id": commit.tree,
            "distinct": true,
            "message": commit.message,
            "timestamp": super::world::format_time(commit.committer.time),
            "url": format!("{base}{full_name}/commit/{sha}"),
            "author": person(&commit.author),
            "committer": person(&commit.committer),
            "added": [],
            "removed": [],
            "modified": [],
        }))
    };
    // Commits reachable from `after` down to `before`, newest last, when `after` is a commit
    // (a tag push lists none).
    let mut shas = Vec::new();
    if let (Some(after), false) = (after, full_ref.starts_with("refs/tags/")) {
        let mut at = Some(after.to_string());
        while let Some(sha) = at {
            if Some(sha.as_str()) == before || shas.len() == 20 {
                break;
            }
            at = r.git.commit(&sha).and_then(|c| c.parents.first().cloned());
            shas.push(sha);
            if before.is_none() {
                break;
            }
        }
        shas.reverse();
    }
    let commits: Vec<Value> = shas.iter().filter_map(|sha| commit_json(sha)).collect();
    let head_commit = after
        .and_then(|sha| r.git.peel_to_commit(sha))
        .and_then(|sha| commit_json(&sha));
    let (before_id, after_id) = (
        before.unwrap_or(&zero).to_string(),
        after.unwrap_or(&zero).to_string(),
    );
    let compare = format!(
        "{base}{full_name}/compare/{}...{}",
        &before_id[..12.min(before_id.len())],
        &after_id[..12.min(after_id.len())]
    );
    // A moved tag, or a branch set to a commit that does not descend from where it was, was
    // pushed with force.
    let forced = match (before, after) {
        (Some(before), Some(after)) => {
            full_ref.starts_with("refs/tags/") || !r.git.is_ancestor(before, after)
        }
        _ => false,
    };
    let pusher = match world.user(by) {
        Some(_) => json!({ "name": by, "email": format!("{by}@users.noreply.simulated") }),
        None => json!({ "name": by }),
    };
    let payload = json!({
        "ref": full_ref,
        "before": before_id,
        "after": after_id,
        "created": before.is_none(),
        "deleted": after.is_none(),
        "forced": forced,
        "base_ref": null,
        "compare": compare,
        "commits": commits,
        "head_commit": head_commit,
        "pusher": pusher,
    });
    emit(world, repo, "push", payload, by);
}

/// Sends deliveries to a URL, signed, one at a time in the order they were made.
pub fn spawn_sender(url: String, secret: Vec<u8>) -> tokio::sync::mpsc::UnboundedSender<Delivery> {
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<Delivery>();
    tokio::spawn(async move {
        let client = reqwest::Client::new();
        while let Some(delivery) = receiver.recv().await {
            let body = serde_json::to_vec(&delivery.payload).unwrap_or_default();
            let result = client
                .post(&url)
                .header("content-type", "application/json")
                .header("user-agent", "GitHub-Hookshot/simulated")
                .header("x-github-event", &delivery.event)
                .header("x-github-delivery", &delivery.id)
                .header("x-github-hook-id", "1")
                .header("x-hub-signature-256", signature(&secret, &body))
                .body(body)
                .send()
                .await;
            match result {
                Ok(response) => {
                    tracing::info!(event = %delivery.event, status = %response.status(), "webhook delivered")
                }
                // GitHub does not retry failed deliveries either.
                Err(error) => {
                    tracing::warn!(event = %delivery.event, %error, "webhook delivery failed")
                }
            }
        }
    });
    sender
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn githubs_documented_signature_example_matches() {
        assert_eq!(
            signature(b"It's a Secret to Everybody", b"Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }
}
