//! What a release changes in the version files, from their current texts. Shared by the bot
//! (which reads files through the API) and the CLI (which reads a checkout).

use std::fmt;

use semver::Version;

use crate::bump::{bump_text, BumpError};
use crate::config::Config;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub path: String,
    pub old_values: Vec<String>,
    pub old_text: String,
    pub new_text: String,
}

/// One changed line, for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub line: usize,
    pub old: String,
    pub new: String,
}

impl FileChange {
    /// The lines that differ. A bump never adds or removes lines, so lines pair up one to one.
    pub fn diff(&self) -> Vec<DiffLine> {
        self.old_text
            .split('\n')
            .zip(self.new_text.split('\n'))
            .enumerate()
            .filter(|(_, (old, new))| old != new)
            .map(|(i, (old, new))| DiffLine {
                line: i + 1,
                old: old.trim_end_matches('\r').to_string(),
                new: new.trim_end_matches('\r').to_string(),
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedChanges {
    pub current_version: Version,
    /// In the order of the configuration; files already at the version are left out.
    pub changes: Vec<FileChange>,
    /// Optional files that are not in the repository.
    pub skipped: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChangeError {
    RequiredFileMissing { path: String, primary: bool },
    Bump(BumpError),
}

impl fmt::Display for FileChangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileChangeError::RequiredFileMissing {
                path,
                primary: true,
            } => write!(
                f,
                "`{path}`, the primary version file the current version is read from, does not \
                 exist on the base branch."
            ),
            FileChangeError::RequiredFileMissing {
                path,
                primary: false,
            } => write!(
                f,
                "`{path}` is marked `required` but does not exist on the base branch."
            ),
            FileChangeError::Bump(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for FileChangeError {}

impl From<BumpError> for FileChangeError {
    fn from(error: BumpError) -> Self {
        FileChangeError::Bump(error)
    }
}

/// The changes that set every configured version file to `new_version`.
pub fn plan_changes(
    config: &Config,
    new_version: &Version,
    mut read: impl FnMut(&str) -> Option<String>,
) -> Result<PlannedChanges, FileChangeError> {
    let new = new_version.to_string();
    let mut current_version = None;
    let mut changes = Vec::new();
    let mut skipped = Vec::new();
    for file in &config.version_files {
        let Some(text) = read(&file.path) else {
            if file.must_exist() {
                return Err(FileChangeError::RequiredFileMissing {
                    path: file.path.clone(),
                    primary: file.primary,
                });
            }
            skipped.push(file.path.clone());
            continue;
        };
        let bumped = bump_text(file, &text, &new)?;
        if file.primary {
            current_version = Version::parse(&bumped.old_values[0]).ok();
        }
        if bumped.text != text {
            changes.push(FileChange {
                path: file.path.clone(),
                old_values: bumped.old_values,
                old_text: text,
                new_text: bumped.text,
            });
        }
    }
    let current_version =
        current_version.expect("a validated config has a primary file, read above");
    Ok(PlannedChanges {
        current_version,
        changes,
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn mathesar(files: &[(&str, &str)]) -> BTreeMap<String, String> {
        files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect()
    }

    #[test]
    fn every_present_file_is_bumped_and_absent_optional_ones_skipped() {
        let files = mathesar(&[
            ("mathesar/__init__.py", "__version__ = \"0.1.2\"\n"),
            ("install.sh", "github_tag=${1-\"0.1.2\"}\n"),
        ]);
        let planned = plan_changes(&Config::default(), &Version::new(0, 1, 3), |p| {
            files.get(p).cloned()
        })
        .unwrap();
        assert_eq!(planned.current_version, Version::new(0, 1, 2));
        assert_eq!(planned.changes.len(), 2);
        assert_eq!(planned.skipped, vec!["docs/mkdocs.yml"]);
        assert_eq!(
            planned.changes[1].diff(),
            vec![DiffLine {
                line: 1,
                old: "github_tag=${1-\"0.1.2\"}".into(),
                new: "github_tag=${1-\"0.1.3\"}".into()
            }]
        );
    }

    #[test]
    fn a_missing_primary_file_is_an_error() {
        let error = plan_changes(&Config::default(), &Version::new(0, 1, 3), |_| None).unwrap_err();
        assert_eq!(
            error,
            FileChangeError::RequiredFileMissing {
                path: "mathesar/__init__.py".into(),
                primary: true
            }
        );
    }

    #[test]
    fn a_present_optional_file_that_does_not_match_is_an_error() {
        let files = mathesar(&[
            ("mathesar/__init__.py", "__version__ = \"0.1.2\"\n"),
            ("install.sh", "echo hi\n"),
        ]);
        let error = plan_changes(&Config::default(), &Version::new(0, 1, 3), |p| {
            files.get(p).cloned()
        })
        .unwrap_err();
        assert!(
            matches!(error, FileChangeError::Bump(BumpError::NoMatch { ref path, .. }) if path == "install.sh")
        );
    }
}
