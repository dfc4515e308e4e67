//! What happened to an issue or pull request, as GitHub lists it under `issues/{n}/events` and
//! in its timeline: closed, reopened, merged, labeled, assigned, milestoned, head_ref_deleted.
//! Recorded when it happens, so a person (or a script) reading the page mid-release sees the
//! moves in order.

use serde_json::{json, Value};

use super::payloads;
use super::world::{IssueEvent, Repo, World};

/// Records one event on issue `number`; `subject` is the label, assignee or commit it names.
pub fn record(
    world: &mut World,
    repo: &str,
    number: u64,
    event: &str,
    actor: &str,
    subject: Option<&str>,
) {
    let id = world.new_id();
    let now = world.timestamp();
    if let Some(r) = world.repo_mut(repo) {
        r.issue_events.push(IssueEvent {
            id,
            issue: number,
            event: event.to_string(),
            actor: actor.to_string(),
            created_at: now,
            subject: subject.map(String::from),
        });
    }
}

/// The events of issue `number`, oldest first.
pub fn of_issue(repo: &Repo, number: u64) -> impl Iterator<Item = &IssueEvent> {
    repo.issue_events.iter().filter(move |e| e.issue == number)
}

/// An event in GitHub's shape (`issue-event-for-issue`, and the timeline's).
pub fn payload(world: &World, repo: &Repo, event: &IssueEvent) -> Value {
    let base = &world.base_url;
    let full_name = repo.full_name();
    let commit = match event.event.as_str() {
        "merged" | "closed" => event.subject.clone(),
        _ => None,
    };
    let mut value = json!({
        "id": event.id,
        "node_id": format!("IE_{}", event.id),
        "url": format!("{base}repos/{full_name}/issues/events/{}", event.id),
        "actor": payloads::user(world, &event.actor),
        "event": event.event,
        "commit_id": commit,
        "commit_url": commit.as_ref().map(|sha| format!("{base}repos/{full_name}/commits/{sha}")),
        "created_at": event.created_at,
        "performed_via_github_app": null,
    });
    match (event.event.as_str(), &event.subject) {
        ("labeled" | "unlabeled", Some(name)) => {
            value["label"] = json!({ "name": name, "color": "ededed" });
        }
        ("assigned" | "unassigned", Some(login)) => {
            value["assignee"] = payloads::user(world, login);
            value["assigner"] = payloads::user(world, &event.actor);
        }
        ("milestoned" | "demilestoned", Some(title)) => {
            value["milestone"] = json!({ "title": title });
        }
        ("closed", _) => value["state_reason"] = json!("completed"),
        ("reopened", _) => value["state_reason"] = json!("reopened"),
        _ => {}
    }
    value
}
