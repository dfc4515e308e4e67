//! A pull request closed without merging, and opened again, whether a person does it on the pull
//! request's page or a token does it with `PATCH /pulls/{n}` and `state`; and a draft marked
//! ready for review, on the page only. GitHub refuses to reopen a merged pull request, or one
//! whose head branch is gone (422, `state cannot be changed`), so a test that plays these moves
//! meets the same walls a maintainer does.

use super::issue_events;
use super::webhooks;
use super::world::{not_found, Issue, Refusal, World};

/// Closes an open pull request without merging it; emits `pull_request` `closed`.
pub fn close(world: &mut World, repo: &str, number: u64, by: &str) -> Result<(), Refusal> {
    let now = world.timestamp();
    let issue = pull_mut(world, repo, number)?;
    if issue.state != "open" {
        return Err((
            422,
            "state cannot be changed. The pull request is closed.".into(),
        ));
    }
    issue.state = "closed".into();
    issue.updated_at = now;
    issue_events::record(world, repo, number, "closed", by, None);
    webhooks::emit_pull_request(world, repo, "closed", number, by);
    Ok(())
}

/// Opens a closed pull request again; emits `pull_request` `reopened`. Refused, as GitHub
/// refuses it, when it was merged or its head branch was deleted.
pub fn reopen(world: &mut World, repo: &str, number: u64, by: &str) -> Result<(), Refusal> {
    let now = world.timestamp();
    let r = world.repo_mut(repo).ok_or_else(not_found)?;
    let branch_gone = |head: &str, fork: bool| {
        let name = match fork {
            true => format!("refs/pull/{number}/head"),
            false => format!("refs/heads/{head}"),
        };
        !r.refs.contains_key(&name)
    };
    let issue = r.issues.get(&number).ok_or_else(not_found)?;
    let pull = issue.pull.as_ref().ok_or_else(not_found)?;
    if issue.state == "open" {
        return Err((
            422,
            "state cannot be changed. The pull request is open.".into(),
        ));
    }
    if pull.merged {
        return Err((
            422,
            "state cannot be changed. The pull request has been merged.".into(),
        ));
    }
    if branch_gone(&pull.head, pull.head_owner.is_some()) {
        return Err((
            422,
            format!(
                "state cannot be changed. The {} branch has been deleted.",
                pull.head
            ),
        ));
    }
    let issue = r.issues.get_mut(&number).expect("just read");
    issue.state = "open".into();
    issue.updated_at = now;
    issue_events::record(world, repo, number, "reopened", by, None);
    webhooks::emit_pull_request(world, repo, "reopened", number, by);
    Ok(())
}

/// Marks a draft ready for review (the page's "Ready for review" button); emits `pull_request`
/// `ready_for_review`. GitHub's REST API has no such change (`draft` is not taken by `PATCH`),
/// so this is a person's move only. A pull request that is no draft is left alone.
pub fn mark_ready(world: &mut World, repo: &str, number: u64, by: &str) -> Result<(), Refusal> {
    let now = world.timestamp();
    let issue = pull_mut(world, repo, number)?;
    if issue.state != "open" {
        return Err((422, "Pull request is closed".into()));
    }
    let pull = issue.pull.as_mut().expect("filtered");
    if !pull.draft {
        return Ok(());
    }
    pull.draft = false;
    issue.updated_at = now;
    issue_events::record(world, repo, number, "ready_for_review", by, None);
    webhooks::emit_pull_request(world, repo, "ready_for_review", number, by);
    Ok(())
}

/// Pull request `number` (as the issue it also is), or GitHub's 404.
fn pull_mut<'w>(world: &'w mut World, repo: &str, number: u64) -> Result<&'w mut Issue, Refusal> {
    world
        .repo_mut(repo)
        .and_then(|r| r.issues.get_mut(&number))
        .filter(|i| i.pull.is_some())
        .ok_or_else(not_found)
}
