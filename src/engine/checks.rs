//! Whether a requested version may be released from the base branch as it is now. Pure: all
//! of GitHub's state it needs is handed in.

use semver::Version;

use super::snapshot::Snapshot;
use crate::config::Config;
use crate::file_changes::{plan_changes, FileChangeError, PlannedChanges};
use crate::messages;
use crate::version::{check_is_next, VersionRefusal};

/// A release that passed every check, with what it will change.
#[derive(Debug)]
pub struct Approved {
    pub version: Version,
    pub branch: String,
    pub tag: String,
    pub changes: PlannedChanges,
}

#[derive(Debug)]
pub enum Refusal {
    Files(FileChangeError),
    Order(VersionRefusal),
}

impl Refusal {
    pub fn message(&self) -> String {
        match self {
            Refusal::Files(problem) => messages::files_refused(&problem.to_string()),
            Refusal::Order(problem) => messages::version_refused(&problem.to_string()),
        }
    }
}

/// `tag_refs` are the repository's tag names (without `refs/tags/`).
pub fn check_release(
    config: &Config,
    version: &Version,
    base: &Snapshot,
    tag_names: &[String],
) -> Result<Approved, Refusal> {
    let changes = plan_changes(config, version, |path| base.text(path)).map_err(Refusal::Files)?;
    let tag = config.tag.render(version);
    let version_tags: Vec<(String, Version)> = tag_names
        .iter()
        .filter_map(|name| config.tag.version_from(name).map(|v| (name.clone(), v)))
        .collect();
    let tag_exists = tag_names.contains(&tag);
    check_is_next(
        version,
        &changes.current_version,
        &version_tags,
        &tag,
        tag_exists,
    )
    .map_err(Refusal::Order)?;
    Ok(Approved {
        version: version.clone(),
        branch: config.branch.render(version),
        tag,
        changes,
    })
}
