//! Publishing a release: the moment a draft's tag is created if it does not exist yet, and the
//! `release` `published` webhook goes out.

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
    let r = world.repo(repo).expect("just used");
    let payload =
        json!({ "action": "published", "release": payloads::release(world, r, &release) });
    webhooks::emit(world, repo, "release", payload, by);
}
