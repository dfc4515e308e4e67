//! Milestones: made by title (GitHub refuses a second one with the same title, 422
//! `already_exists`), and an issue or pull request put on one (`PATCH /issues/{n}` with
//! `milestone`), with the webhooks and issue events GitHub sends for each.

use serde_json::json;

use super::issue_events;
use super::payloads;
use super::webhooks;
use super::world::{not_found, Milestone, Refusal, World};

/// What a refused creation answers, as GitHub's validation error names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// A milestone with this title exists (open or closed).
    AlreadyExists,
    /// The title is missing or blank.
    Missing,
    NoRepository,
}

/// Makes a milestone; emits `milestone` `created`.
pub fn create(
    world: &mut World,
    repo: &str,
    title: &str,
    description: Option<&str>,
    state: &str,
    by: &str,
) -> Result<Milestone, Refused> {
    let now = world.timestamp();
    let r = world.repo_mut(repo).ok_or(Refused::NoRepository)?;
    // GitHub keeps titles trimmed, and compares them so.
    let title = title.trim();
    if title.is_empty() {
        return Err(Refused::Missing);
    }
    if r.milestones.iter().any(|m| m.title == title) {
        return Err(Refused::AlreadyExists);
    }
    let milestone = Milestone {
        number: r.milestones.len() as u64 + 1,
        title: title.to_string(),
        description: description.map(String::from),
        state: state.to_string(),
        creator: by.to_string(),
        created_at: now.clone(),
        updated_at: now,
    };
    r.milestones.push(milestone.clone());
    let r = world.repo(repo).expect("just changed");
    let value = payloads::milestone(world, r, &milestone);
    webhooks::emit(
        world,
        repo,
        "milestone",
        json!({ "action": "created", "milestone": value }),
        by,
    );
    Ok(milestone)
}

/// Puts issue (or pull request) `number` on milestone `milestone`, or takes it off (`None`);
/// emits `milestoned` or `demilestoned` when that changes anything. A milestone that does not
/// exist is GitHub's 422.
pub fn set_on_issue(
    world: &mut World,
    repo: &str,
    number: u64,
    milestone: Option<u64>,
    by: &str,
) -> Result<(), Refusal> {
    let now = world.timestamp();
    let r = world.repo_mut(repo).ok_or_else(not_found)?;
    let exists = |n: u64| r.milestones.iter().any(|m| m.number == n);
    if milestone.is_some_and(|n| !exists(n)) {
        return Err((422, "Validation Failed".into()));
    }
    let issue = r.issues.get_mut(&number).ok_or_else(not_found)?;
    let before = std::mem::replace(&mut issue.milestone, milestone);
    if before == milestone {
        return Ok(());
    }
    issue.updated_at = now;
    let issue = issue.clone();
    let r = world.repo(repo).expect("just changed");
    let (action, shown) = match milestone.or(before) {
        Some(n) if milestone.is_some() => ("milestoned", n),
        Some(n) => ("demilestoned", n),
        None => return Ok(()),
    };
    let m = r
        .milestones
        .iter()
        .find(|m| m.number == shown)
        .cloned()
        .expect("checked above, or was set before");
    let value = payloads::milestone(world, r, &m);
    issue_events::record(world, repo, number, action, by, Some(&m.title));
    webhooks::emit_issue_change(world, repo, &issue, action, "milestone", value, by);
    Ok(())
}
