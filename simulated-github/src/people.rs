//! Changes that both people and API calls make, with the webhooks they cause.

use serde_json::{json, Value};

use super::payloads;
use super::webhooks;
use super::world::{Issue, World};

/// Opens an issue; emits `issues` `opened`. Returns the issue as the API shows it.
pub fn open_issue(
    world: &mut World,
    repo: &str,
    author: &str,
    title: &str,
    body: &str,
) -> Option<Value> {
    let now = world.timestamp();
    let r = world.repo_mut(repo)?;
    let number = r.take_number();
    let issue = Issue {
        number,
        title: title.to_string(),
        body: body.to_string(),
        author: author.to_string(),
        state: "open".into(),
        labels: vec![],
        assignees: vec![],
        created_at: now.clone(),
        updated_at: now,
        milestone: None,
        pull: None,
    };
    r.issues.insert(number, issue.clone());
    let r = world.repo(repo)?;
    let value = payloads::issue(world, r, &issue);
    webhooks::emit(
        world,
        repo,
        "issues",
        json!({ "action": "opened", "issue": value.clone() }),
        author,
    );
    Some(value)
}
