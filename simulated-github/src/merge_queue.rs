//! A pull request merged through a merge queue, as GitHub does it: the queue makes the merge
//! commit on a branch of its own (`gh-readonly-queue/<base>/pr-<n>-<base sha>`), asks for checks
//! with `merge_group` `checks_requested`, then moves the base branch to that commit, closes
//! the pull request as merged by its bot `github-merge-queue[bot]`, and tells `merge_group`
//! `destroyed` (merged) before deleting its branch. The checks pass here: a queue whose checks
//! fail merges nothing, and that is the person's move not to make.

use serde_json::json;

use super::merging::{self, MergeMethod};
use super::webhooks;
use super::world::{Refusal, User, UserKind, World};

/// The bot GitHub's merge queue acts as.
pub const QUEUE_BOT: &str = "github-merge-queue[bot]";

/// `by` adds pull request `number` to the queue, which merges it the `method` way; returns
/// the queue's merge commit, now the head of the base branch.
pub fn enqueue(
    world: &mut World,
    repo: &str,
    number: u64,
    method: MergeMethod,
    by: &str,
) -> Result<String, Refusal> {
    if !world.users.contains_key(QUEUE_BOT) {
        let id = world.new_id();
        let bot = User {
            id,
            kind: UserKind::Bot,
        };
        world.users.insert(QUEUE_BOT.to_string(), bot);
    }
    let prepared = merging::prepare(world, repo, number, method, QUEUE_BOT)?;
    let base_ref = format!("refs/heads/{}", prepared.base);
    let queue_ref = format!(
        "refs/heads/gh-readonly-queue/{}/pr-{number}-{}",
        prepared.base, prepared.base_head
    );
    if let Some(r) = world.repo_mut(repo) {
        r.refs.insert(queue_ref.clone(), prepared.commit.clone());
    }
    webhooks::emit_ref_created(world, repo, &queue_ref, &prepared.commit, QUEUE_BOT);
    let group = merge_group(
        world,
        repo,
        (&queue_ref, &prepared.commit),
        &base_ref,
        &prepared.base_head,
    );
    let requested = json!({ "action": "checks_requested", "merge_group": group.clone() });
    webhooks::emit(world, repo, "merge_group", requested, by);
    merging::land(world, repo, number, &prepared, QUEUE_BOT);
    let destroyed = json!({ "action": "destroyed", "reason": "merged", "merge_group": group });
    webhooks::emit(world, repo, "merge_group", destroyed, QUEUE_BOT);
    if let Some(r) = world.repo_mut(repo) {
        r.refs.remove(&queue_ref);
    }
    webhooks::emit_ref_deleted(world, repo, &queue_ref, &prepared.commit, QUEUE_BOT);
    Ok(prepared.commit)
}

/// The `merge_group` object: the queue's branch and commit, and the base it was made on.
fn merge_group(
    world: &World,
    repo: &str,
    (head_ref, head_sha): (&str, &str),
    base_ref: &str,
    base_sha: &str,
) -> serde_json::Value {
    let commit = world
        .repo(repo)
        .and_then(|r| r.git.commit(head_sha).cloned());
    let head_commit = commit.map(|c| {
        let person = |s: &super::git::Signature| json!({ "name": s.name, "email": s.email });
        json!({
            "id": head_sha,
            "tree_id": c.tree,
            "message": c.message,
            "timestamp": super::world::format_time(c.committer.time),
            "author": person(&c.author),
            "committer": person(&c.committer),
        })
    });
    json!({
        "head_sha": head_sha,
        "head_ref": head_ref,
        "base_sha": base_sha,
        "base_ref": base_ref,
        "head_commit": head_commit,
    })
}
