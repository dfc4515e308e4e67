//! Release assets as GitHub keeps them: uploaded into a release under a name unique within it,
//! listed with the release, downloaded, deleted. An immutable release's assets are locked:
//! nothing is added to it or taken from it once it is published.

use super::world::{not_found, Asset, Refusal, World};

/// What GitHub answers an upload into (or a deletion from) a locked release.
const LOCKED: &str = "Cannot modify an immutable release: its assets are locked once published";

/// Attaches `data` as `name` to release `release_id`, uploaded by `by`. GitHub refuses a name
/// the release has already (422), and any change to an immutable release.
pub fn upload(
    world: &mut World,
    repo: &str,
    release_id: u64,
    (name, label, content_type): (&str, Option<&str>, &str),
    data: Vec<u8>,
    by: &str,
) -> Result<Asset, Refusal> {
    let id = world.new_id();
    let now = world.timestamp();
    let release = world
        .repo_mut(repo)
        .and_then(|r| r.releases.iter_mut().find(|rel| rel.id == release_id))
        .ok_or_else(not_found)?;
    if release.immutable {
        return Err((422, LOCKED.into()));
    }
    if name.is_empty() {
        return Err((422, "Validation Failed: the asset needs a name".into()));
    }
    if release.assets.iter().any(|a| a.name == name) {
        return Err((
            422,
            format!("Validation Failed: an asset named `{name}` already exists (already_exists)"),
        ));
    }
    let asset = Asset {
        id,
        name: name.to_string(),
        label: label.map(String::from),
        content_type: content_type.to_string(),
        data,
        uploader: by.to_string(),
        created_at: now,
    };
    release.assets.push(asset.clone());
    Ok(asset)
}

/// The asset with this id, and the id of the release it belongs to.
pub fn find(world: &World, repo: &str, asset_id: u64) -> Option<(u64, Asset)> {
    world.repo(repo)?.releases.iter().find_map(|rel| {
        rel.assets
            .iter()
            .find(|a| a.id == asset_id)
            .map(|a| (rel.id, a.clone()))
    })
}

/// Takes an asset off its release; refused for an immutable release.
pub fn delete(world: &mut World, repo: &str, asset_id: u64) -> Result<(), Refusal> {
    let release = world
        .repo_mut(repo)
        .and_then(|r| {
            r.releases
                .iter_mut()
                .find(|rel| rel.assets.iter().any(|a| a.id == asset_id))
        })
        .ok_or_else(not_found)?;
    if release.immutable {
        return Err((422, LOCKED.into()));
    }
    release.assets.retain(|a| a.id != asset_id);
    Ok(())
}
