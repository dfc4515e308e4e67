//! Publishing a release: the moment a draft's tag is created if it does not exist yet, and the
//! `release` webhooks go out as GitHub sends them (`created` for any new release, draft or not;
//! `published` then `released` or `prereleased` on publishing; `edited` with what changed).

use serde_json::json;

use super::payloads;
use super::webhooks;
use super::world::World;

pub fn publish(world: &mut World, repo: &str, id: u64, by: &str) {
    let now = world.timestamp();
    let Some(r) = world.repo_mut(repo) else {
        return;
    };
    let Some(index) = r.releases.iter().position(|rel| rel.id == id) else {
        return;
    };
    let tag_ref = format!("refs/tags/{}", r.releases[index].tag_name);
    if !r.refs.contains_key(&tag_ref) {
        if let Some(commit) = r.resolve(&r.releases[index].target_commitish.clone()) {
            r.refs.insert(tag_ref, commit);
        }
    }
    let release = &mut r.releases[index];
    release.draft = false;
    release.published_at = Some(now);
    let release = release.clone();
    // "false" keeps the badge where it is; "true" and GitHub's default take it (a simplification
    // of "legacy", which weighs creation date and version: enough for one line of releases).
    if release.make_latest != "false" && !release.prerelease {
        r.latest_release = Some(release.id);
    }
    emit(world, repo, "published", &release, by, None);
    let then = if release.prerelease {
        "prereleased"
    } else {
        "released"
    };
    emit(world, repo, then, &release, by, None);
}

/// One `release` webhook; `changes` for `edited`.
pub fn emit(
    world: &mut World,
    repo: &str,
    action: &str,
    release: &super::world::Release,
    by: &str,
    changes: Option<serde_json::Value>,
) {
    let Some(r) = world.repo(repo) else {
        return;
    };
    let mut payload = json!({ "action": action, "release": payloads::release(world, r, release) });
    if let Some(changes) = changes {
        payload["changes"] = changes;
    }
    webhooks::emit(world, repo, "release", payload, by);
}
