//! A release's life after it was made: publishing (the moment a draft's tag is created if it
//! does not exist yet), a person's edits of its title and notes, and its deletion, with the
//! `release` webhooks GitHub sends (`created` for any new release, draft or not; `published`
//! then `released` or `prereleased` on publishing, once; `edited` with what changed; `deleted`).
//! Deleting a release keeps its tag, and hands the "Latest" badge on, as GitHub does. With the
//! repository's immutable releases setting on, publishing locks the release (`immutable`), and
//! deleting a locked release reserves its tag name for ever.

use serde_json::{json, Map, Value};

use super::payloads;
use super::webhooks;
use super::world::{not_found, Refusal, Repo, World};

/// The repository and where release `id` is in its list.
fn find<'a>(world: &'a mut World, repo: &str, id: u64) -> Result<(&'a mut Repo, usize), Refusal> {
    let r = world.repo_mut(repo).ok_or_else(not_found)?;
    let index = r
        .releases
        .iter()
        .position(|rel| rel.id == id)
        .ok_or_else(not_found)?;
    Ok((r, index))
}

/// Publishes a draft; emits `release` `published`, then `released` or `prereleased`. A release
/// that is already published is refused, with no webhook.
pub fn publish(world: &mut World, repo: &str, id: u64, by: &str) -> Result<(), Refusal> {
    let now = world.timestamp();
    let (r, index) = find(world, repo, id)?;
    if !r.releases[index].draft {
        return Err((422, "the release is already published".into()));
    }
    let tag_ref = format!("refs/tags/{}", r.releases[index].tag_name);
    if !r.refs.contains_key(&tag_ref) {
        if let Some(commit) = r.resolve(&r.releases[index].target_commitish.clone()) {
            r.refs.insert(tag_ref, commit);
        }
    }
    let immutable = r.immutable_releases;
    let release = &mut r.releases[index];
    release.draft = false;
    release.published_at = Some(now);
    // Locked from now on, whatever becomes of the setting later.
    release.immutable = immutable;
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
    Ok(())
}

/// A new title and/or notes (draft or published); emits `release` `edited` with the old text
/// in `changes` when anything changed. Returns whether it did.
pub fn edit_text(
    world: &mut World,
    repo: &str,
    id: u64,
    by: &str,
    name: Option<&str>,
    body: Option<&str>,
) -> Result<bool, Refusal> {
    let release = world
        .repo_mut(repo)
        .and_then(|r| r.releases.iter_mut().find(|rel| rel.id == id))
        .ok_or_else(not_found)?;
    let mut changes = Map::new();
    if let Some(text) = body.filter(|t| *t != release.body) {
        let old = std::mem::replace(&mut release.body, text.to_string());
        changes.insert("body".into(), json!({ "from": old }));
    }
    if let Some(text) = name.filter(|t| *t != release.name) {
        let old = std::mem::replace(&mut release.name, text.to_string());
        changes.insert("name".into(), json!({ "from": old }));
    }
    if changes.is_empty() {
        return Ok(false);
    }
    let edited = release.clone();
    emit(
        world,
        repo,
        "edited",
        &edited,
        by,
        Some(Value::Object(changes)),
    );
    Ok(true)
}

/// Deletes a release, draft or published; its tag stays. Emits `release` `deleted`.
pub fn delete(world: &mut World, repo: &str, id: u64, by: &str) -> Result<(), Refusal> {
    let (r, index) = find(world, repo, id)?;
    let release = r.releases[index].clone();
    // The payload describes the release as it was; then it is gone.
    let r = world.repo(repo).expect("just used");
    let payload = json!({ "action": "deleted", "release": payloads::release(world, r, &release) });
    let r = world.repo_mut(repo).expect("just used");
    r.releases.remove(index);
    // GitHub never lets the name of an immutable release's tag be used again.
    if release.immutable {
        r.reserved_tags.insert(release.tag_name.clone());
    }
    if r.latest_release == Some(id) {
        r.latest_release = highest_stable(r, id);
    }
    webhooks::emit(world, repo, "release", payload, by);
    Ok(())
}

/// The highest stable published release other than `except`, which takes "Latest" when the
/// release that had it gives it up.
pub fn highest_stable(r: &Repo, except: u64) -> Option<u64> {
    r.releases
        .iter()
        .filter(|rel| rel.id != except && !rel.draft && !rel.prerelease)
        .filter_map(|rel| {
            semver::Version::parse(&rel.tag_name)
                .ok()
                .map(|v| (v, rel.id))
        })
        .max()
        .map(|(_, id)| id)
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
