//! What a release changes in the version files, from their current texts. Shared by the bot
//! (which reads files through the API) and the CLI (which reads a checkout).

use std::fmt;

use semver::Version;
use serde::{Deserialize, Serialize};

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
    /// The value the file held that was not the current version, if any.
    pub fn out_of_step_value(&self, current: &Version) -> Option<&str> {
        let current = current.to_string();
        self.old_values
            .iter()
            .find(|value| **value != current)
            .map(String::as_str)
    }

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
    /// Optional files that are not changed, and why.
    pub skipped: Vec<SkippedFile>,
}

/// An optional version file the release leaves alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedFile {
    pub path: String,
    pub why: SkipReason,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    /// Not in the repository.
    Absent,
    /// In the repository without a line the pattern matches: `line` names it (the pattern's
    /// first literal word), else `pattern` is the whole pattern.
    NoVersionLine {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        line: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pattern: Option<String>,
    },
}

impl fmt::Display for SkippedFile {
    /// "`docs/mkdocs.yml`: no `mathesar_version` line, not changed", in Markdown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = &self.path;
        match &self.why {
            SkipReason::Absent => write!(f, "`{path}`: not in the repository, not changed"),
            SkipReason::NoVersionLine {
                line: Some(line), ..
            } => write!(f, "`{path}`: no `{line}` line, not changed"),
            SkipReason::NoVersionLine { pattern, .. } => write!(
                f,
                "`{path}`: no line matching `{}`, not changed",
                pattern.as_deref().unwrap_or("its pattern")
            ),
        }
    }
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
            skipped.push(SkippedFile {
                path: file.path.clone(),
                why: SkipReason::Absent,
            });
            continue;
        };
        let bumped = match bump_text(file, &text, &new) {
            Ok(bumped) => bumped,
            Err(BumpError::NoMatch { .. }) if !file.must_exist() => {
                skipped.push(unmatched(file));
                continue;
            }
            Err(error) => return Err(error.into()),
        };
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

/// How an optional file without a version line is described.
pub fn unmatched(file: &crate::config::VersionFile) -> SkippedFile {
    let line = file.pattern.line_key().map(str::to_string);
    SkippedFile {
        path: file.path.clone(),
        why: SkipReason::NoVersionLine {
            pattern: line.is_none().then(|| file.pattern.source.clone()),
            line,
        },
    }
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
        assert_eq!(
            planned.skipped,
            vec![SkippedFile {
                path: "docs/mkdocs.yml".into(),
                why: SkipReason::Absent
            }]
        );
        assert_eq!(
            planned.skipped[0].to_string(),
            "`docs/mkdocs.yml`: not in the repository, not changed"
        );
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

    /// Mathesar at 0.0.3, before the 0.1.0 release: `docs/mkdocs.yml` existed without the
    /// `mathesar_version:` line (it came with the 0.1.2 release commit).
    #[test]
    fn a_present_optional_file_without_a_version_line_is_skipped_and_says_so() {
        let files = mathesar(&[
            ("mathesar/__init__.py", "__version__ = \"0.0.3\"\n"),
            ("install.sh", "github_tag=${1-master}\n"),
            ("docs/mkdocs.yml", "site_name: Mathesar Documentation\n"),
        ]);
        let planned = plan_changes(&Config::default(), &Version::new(0, 1, 0), |p| {
            files.get(p).cloned()
        })
        .unwrap();
        let changed: Vec<&str> = planned.changes.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(changed, ["mathesar/__init__.py", "install.sh"]);
        assert_eq!(planned.skipped.len(), 1);
        assert_eq!(
            planned.skipped[0].to_string(),
            "`docs/mkdocs.yml`: no `mathesar_version` line, not changed"
        );
    }

    #[test]
    fn a_required_file_without_a_version_line_is_still_an_error() {
        let mut config = Config::default();
        config.version_files[2].required = true;
        let files = mathesar(&[
            ("mathesar/__init__.py", "__version__ = \"0.1.1\"\n"),
            ("docs/mkdocs.yml", "site_name: Mathesar Documentation\n"),
        ]);
        let error =
            plan_changes(&config, &Version::new(0, 1, 2), |p| files.get(p).cloned()).unwrap_err();
        assert!(
            matches!(error, FileChangeError::Bump(BumpError::NoMatch { ref path, .. }) if path == "docs/mkdocs.yml"),
            "{error:?}"
        );
    }

    #[test]
    fn an_optional_file_whose_pattern_matches_twice_is_still_an_error() {
        let files = mathesar(&[
            ("mathesar/__init__.py", "__version__ = \"0.1.1\"\n"),
            (
                "docs/mkdocs.yml",
                "mathesar_version: 0.1.1\nmathesar_version: 0.1.1\n",
            ),
        ]);
        let error = plan_changes(&Config::default(), &Version::new(0, 1, 2), |p| {
            files.get(p).cloned()
        })
        .unwrap_err();
        assert!(matches!(
            error,
            FileChangeError::Bump(BumpError::SeveralMatches { .. })
        ));
    }

    #[test]
    fn a_skip_without_a_literal_word_in_the_pattern_names_the_pattern() {
        let mut config = Config::default();
        config.version_files[2].pattern =
            crate::config::Pattern::new(r"^(?P<version>\d+\.\d+\.\d+)$").unwrap();
        let files = mathesar(&[
            ("mathesar/__init__.py", "__version__ = \"0.1.1\"\n"),
            ("docs/mkdocs.yml", "nothing here\n"),
        ]);
        let planned =
            plan_changes(&config, &Version::new(0, 1, 2), |p| files.get(p).cloned()).unwrap();
        assert_eq!(
            planned.skipped[1].to_string(),
            r"`docs/mkdocs.yml`: no line matching `^(?P<version>\d+\.\d+\.\d+)$`, not changed"
        );
    }

    /// Tag 0.1.5 shipped `docs/mkdocs.yml` saying 0.1.4; the next release corrects it.
    #[test]
    fn a_file_behind_the_primary_is_corrected_and_reported_out_of_step() {
        let files = mathesar(&[
            ("mathesar/__init__.py", "__version__ = \"0.1.5\"\n"),
            ("docs/mkdocs.yml", "extra:\n  mathesar_version: 0.1.4\n"),
        ]);
        let planned = plan_changes(&Config::default(), &Version::new(0, 1, 6), |p| {
            files.get(p).cloned()
        })
        .unwrap();
        let out: Vec<(&str, &str)> = planned
            .changes
            .iter()
            .filter_map(|change| {
                let old = change.out_of_step_value(&planned.current_version)?;
                Some((change.path.as_str(), old))
            })
            .collect();
        assert_eq!(out, [("docs/mkdocs.yml", "0.1.4")]);
        assert_eq!(
            planned.changes[1].new_text,
            "extra:\n  mathesar_version: 0.1.6\n"
        );
    }
}
