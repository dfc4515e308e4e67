//! The base branch as the release starts from it: its head commit and the version files in it,
//! read through the git data API so that file modes are known (a commit must restate them).

use std::collections::BTreeMap;

use crate::domain::CommitSha;
use crate::github::{ApiError, RepoClient};

pub struct Snapshot {
    pub head_sha: CommitSha,
    pub tree_sha: String,
    /// path → (mode, text) for the files asked for that exist.
    pub files: BTreeMap<String, (String, String)>,
}

impl Snapshot {
    /// Where the version files disagree with `version`: `(path, value found)` for each.
    pub fn disagreements(
        &self,
        config: &crate::config::Config,
        version: &semver::Version,
    ) -> Vec<(String, String)> {
        let wanted = version.to_string();
        let mut found = Vec::new();
        for file in &config.version_files {
            match self.files.get(&file.path) {
                None if file.must_exist() => {
                    found.push((file.path.clone(), "(missing)".to_string()))
                }
                None => {}
                Some((_, text)) => match crate::bump::find_values(file, text) {
                    Ok(values) => found.extend(
                        values
                            .into_iter()
                            .filter(|v| v.value != wanted)
                            .map(|v| (file.path.clone(), v.value)),
                    ),
                    // An optional file with no version line is skipped by the bump, so it
                    // does not disagree either.
                    Err(crate::bump::BumpError::NoMatch { .. }) if !file.must_exist() => {}
                    Err(_) => found.push((file.path.clone(), "(no version found)".to_string())),
                },
            }
        }
        found
    }

    pub fn text(&self, path: &str) -> Option<String> {
        self.files.get(path).map(|(_, text)| text.clone())
    }

    pub fn mode(&self, path: &str) -> Option<&str> {
        self.files.get(path).map(|(mode, _)| mode.as_str())
    }
}

/// Reads `paths` at the head of `branch`; `Ok(None)` when the branch does not exist.
pub async fn read(
    gh: &RepoClient,
    branch: &str,
    paths: &[&str],
) -> Result<Option<Snapshot>, ApiError> {
    let Some(head) = gh.git_ref(&format!("heads/{branch}")).await? else {
        return Ok(None);
    };
    read_commit(gh, &head.object.sha, paths).await.map(Some)
}

/// Where the version files at `commit` disagree with `version` (see `Snapshot::disagreements`).
pub async fn disagreements_at(
    gh: &RepoClient,
    config: &crate::config::Config,
    commit: &CommitSha,
    version: &semver::Version,
) -> Result<Vec<(String, String)>, ApiError> {
    let paths: Vec<&str> = config
        .version_files
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    let files = read_commit(gh, commit, &paths).await?;
    Ok(files.disagreements(config, version))
}

/// Reads `paths` at a commit.
pub async fn read_commit(
    gh: &RepoClient,
    sha: &CommitSha,
    paths: &[&str],
) -> Result<Snapshot, ApiError> {
    let (tree_sha, files) = gh.files_at(sha, paths).await?;
    Ok(Snapshot {
        head_sha: sha.clone(),
        tree_sha,
        files: files
            .into_iter()
            .map(|(entry, text)| (entry.path, (entry.mode, text)))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn at(files: &[(&str, &str)]) -> Snapshot {
        Snapshot {
            head_sha: CommitSha::parse(&"c".repeat(40)).unwrap(),
            tree_sha: "t".repeat(40),
            files: files
                .iter()
                .map(|(p, t)| (p.to_string(), ("100644".to_string(), t.to_string())))
                .collect(),
        }
    }

    #[test]
    fn an_optional_file_without_a_version_line_does_not_disagree_with_the_tag() {
        let tagged = at(&[
            ("mathesar/__init__.py", "__version__ = \"0.1.0\"\n"),
            ("install.sh", "github_tag=${1-\"0.1.0\"}\n"),
            ("docs/mkdocs.yml", "site_name: Mathesar\n"),
        ]);
        let version = semver::Version::new(0, 1, 0);
        assert!(tagged
            .disagreements(&Config::default(), &version)
            .is_empty());
    }

    #[test]
    fn a_required_file_without_a_version_line_and_a_stale_one_disagree() {
        let mut config = Config::default();
        config.version_files[2].required = true;
        let tagged = at(&[
            ("mathesar/__init__.py", "__version__ = \"0.10.0\"\n"),
            ("install.sh", "github_tag=${1-\"0.9.0\"}\n"),
            ("docs/mkdocs.yml", "site_name: Mathesar\n"),
        ]);
        let version = semver::Version::new(0, 10, 0);
        assert_eq!(
            tagged.disagreements(&config, &version),
            [
                ("install.sh".to_string(), "0.9.0".to_string()),
                (
                    "docs/mkdocs.yml".to_string(),
                    "(no version found)".to_string()
                )
            ]
        );
    }
}
