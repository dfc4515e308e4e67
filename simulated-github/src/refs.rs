//! Branches and tags a person deletes or moves, with the webhooks GitHub sends for them: a
//! deleted ref sends `delete` and a `push` with `deleted: true`; a moved tag sends one forced
//! `push`. Deleting a branch closes the open pull requests whose head it was, as on GitHub
//! (and they cannot be reopened until it is back).

use super::git::{self, Object};
use super::issue_events;
use super::webhooks;
use super::world::{not_found, Refusal, World};

/// Deletes `refs/heads/<branch>` or `refs/tags/<tag>`; emits `delete` and `push`, then closes
/// the open pull requests from a deleted branch (`pull_request` `closed`).
pub fn delete(world: &mut World, repo: &str, full_ref: &str, by: &str) -> Result<(), Refusal> {
    let r = world.repo_mut(repo).ok_or_else(not_found)?;
    if !full_ref.starts_with("refs/heads/") && !full_ref.starts_with("refs/tags/") {
        return Err((422, "Reference name is not valid".into()));
    }
    if full_ref == format!("refs/heads/{}", r.default_branch) {
        return Err((422, "Cannot delete the default branch".into()));
    }
    if let Some(refusal) = r.tag_ref_refusal(full_ref, false) {
        return Err(refusal);
    }
    let sha = r
        .refs
        .remove(full_ref)
        .ok_or((422, "Reference does not exist".to_string()))?;
    // A pull request whose branch is deleted still names its head commit on GitHub.
    if let Some(branch) = full_ref.strip_prefix("refs/heads/") {
        let from_branch = r
            .issues
            .values_mut()
            .filter_map(|i| i.pull.as_mut())
            .filter(|p| p.head == branch && p.head_owner.is_none());
        for pull in from_branch {
            pull.deleted_head = Some(sha.clone());
        }
    }
    webhooks::emit_ref_deleted(world, repo, full_ref, &sha, by);
    if let Some(branch) = full_ref.strip_prefix("refs/heads/") {
        close_pulls_from(world, repo, branch, by);
    }
    Ok(())
}

/// GitHub closes an open pull request whose head branch is deleted, saying `head_ref_deleted`.
fn close_pulls_from(world: &mut World, repo: &str, branch: &str, by: &str) {
    let now = world.timestamp();
    let Some(r) = world.repo_mut(repo) else {
        return;
    };
    let closed = r.open_pulls_from(branch);
    for number in &closed {
        if let Some(issue) = r.issues.get_mut(number) {
            issue.state = "closed".into();
            issue.updated_at = now.clone();
        }
    }
    for number in closed {
        issue_events::record(world, repo, number, "head_ref_deleted", by, None);
        issue_events::record(world, repo, number, "closed", by, None);
        webhooks::emit_pull_request(world, repo, "closed", number, by);
    }
}

/// Pushes tag `tag` on `commit` (an annotated tag object when asked). A new tag sends `create`
/// and `push`; a tag that existed is moved, as `git push --force` moves it, with one forced
/// `push` from the old object to the new.
pub fn push_tag(
    world: &mut World,
    repo: &str,
    tag: &str,
    commit: &str,
    by: &str,
    annotated: bool,
) -> Result<String, Refusal> {
    let tagger = world.signature(by);
    let r = world.repo_mut(repo).ok_or_else(not_found)?;
    if r.git.commit(commit).is_none() {
        return Err((422, "Object does not exist".into()));
    }
    let target = if annotated {
        r.git.put(Object::Tag(git::TagObject {
            object: commit.to_string(),
            kind: "commit".into(),
            tag: tag.to_string(),
            tagger,
            message: format!("Release {tag}\n"),
        }))
    } else {
        commit.to_string()
    };
    let name = format!("refs/tags/{tag}");
    let creating = !r.refs.contains_key(&name);
    if let Some(refusal) = r.tag_ref_refusal(&name, creating) {
        return Err(refusal);
    }
    match r.refs.insert(name.clone(), target.clone()) {
        None => webhooks::emit_ref_created(world, repo, &name, &target, by),
        Some(old) if old != target => {
            webhooks::emit_push(world, repo, &name, Some(&old), Some(&target), by);
            super::packaging::tag_pushed(world, repo, &name, by);
        }
        Some(_) => {}
    }
    Ok(target)
}
