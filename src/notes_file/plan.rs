//! One sync of the notes file decided from what the release branch holds: which files change
//! and how, or why nothing can be done.

use super::NavError;
use super::{add_nav_entry, append_uncited, from_template, left_to_categorize, MergedPull};
use crate::config::NotesSync;

/// What the release branch's head holds of the files a sync reads.
#[derive(Debug, Clone, Copy)]
pub struct OnBranch<'a> {
    pub version: &'a semver::Version,
    /// Where the notes file lives (`notes.path` for this version).
    pub notes_path: &'a str,
    pub notes: Option<&'a str>,
    /// The template's text, when `sync.template` names one and it exists.
    pub template: Option<&'a str>,
    /// The navigation file's text, when `sync.nav` names one and it exists.
    pub nav: Option<&'a str>,
    /// `https://github.com/<owner>/<repo>/pull/`: what a citation starts with.
    pub pulls_url: &'a str,
}

/// The files to commit (path, new text) and what that does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncPlan {
    pub files: Vec<(String, String)>,
    pub added: Vec<u64>,
    /// Items under the to-categorize heading once the files are committed.
    pub left: usize,
    /// The notes file did not exist and is made.
    pub created: bool,
    pub nav_added: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncProblem {
    #[error("the template `{path}` is not on the release branch: add it there, or set `template = \"\"` under `[notes.sync]` to start the file with only the pull requests")]
    TemplateMissing { path: String },
    #[error("the docs' navigation `{path}` is not on the release branch: add it there, or set `nav_file = \"\"` under `[notes.sync]`")]
    NavFileMissing { path: String },
    #[error("the docs' navigation `{path}` {error}: add that section, or set `nav_section` under `[notes.sync]`")]
    Nav { path: String, error: NavError },
}

/// Decides one sync. Only what is new is written: a file that would not change is left out,
/// so nothing at all to write means the branch is in step.
pub fn plan_sync(
    config: &NotesSync,
    branch: OnBranch<'_>,
    merged: &[MergedPull],
) -> Result<SyncPlan, SyncProblem> {
    let created = branch.notes.is_none();
    let start = match (branch.notes, &config.template) {
        (Some(text), _) => text.to_owned(),
        (None, None) => String::new(),
        (None, Some(path)) => match branch.template {
            Some(template) => {
                from_template(template, &config.placeholder, &branch.version.to_string())
            }
            None => return Err(SyncProblem::TemplateMissing { path: path.clone() }),
        },
    };
    let appended = append_uncited(&start, merged, &config.heading, branch.pulls_url);
    let notes = appended.text.unwrap_or_else(|| start.clone());
    let left = left_to_categorize(&notes, &config.heading).unwrap_or(0);
    let mut files = Vec::new();
    if created || notes != start {
        files.push((branch.notes_path.to_owned(), notes));
    }
    let mut nav_added = false;
    if let Some(nav) = &config.nav {
        let Some(text) = branch.nav else {
            return Err(SyncProblem::NavFileMissing {
                path: nav.file.clone(),
            });
        };
        let page = nav.page.render(branch.version);
        let entry = add_nav_entry(
            text,
            &nav.section,
            nav.previous.as_deref(),
            &branch.version.to_string(),
            &page,
        )
        .map_err(|error| SyncProblem::Nav {
            path: nav.file.clone(),
            error,
        })?;
        if let Some(text) = entry {
            files.push((nav.file.clone(), text));
            nav_added = true;
        }
    }
    Ok(SyncPlan {
        files,
        added: appended.added,
        left,
        created,
        nav_added,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    const PULLS: &str = "https://github.com/mathesar-foundation/mathesar/pull/";
    const NAV: &str = "nav:\n  - Releases:\n      - '0.2.0': releases/0.2.0.md\n      - Previous releases:\n          - '0.1.7': releases/0.1.7.md\n";

    fn version() -> &'static semver::Version {
        static VERSION: std::sync::OnceLock<semver::Version> = std::sync::OnceLock::new();
        VERSION.get_or_init(|| semver::Version::new(0, 2, 1))
    }

    fn branch<'a>(
        notes: Option<&'a str>,
        template: Option<&'a str>,
        nav: Option<&'a str>,
    ) -> OnBranch<'a> {
        OnBranch {
            version: version(),
            notes_path: "docs/docs/releases/0.2.1.md",
            notes,
            template,
            nav,
            pulls_url: PULLS,
        }
    }

    fn merged() -> Vec<MergedPull> {
        vec![MergedPull {
            number: 3001,
            title: "Fix sorting".into(),
            html_url: format!("{PULLS}3001"),
        }]
    }

    #[test]
    fn the_first_sync_makes_the_file_and_the_nav_entry_and_the_second_changes_nothing() {
        let config = Config::default().notes.sync;
        let first = plan_sync(
            &config,
            branch(None, Some("# Mathesar __VERSION__\n"), Some(NAV)),
            &merged(),
        )
        .unwrap();
        assert!(first.created && first.nav_added);
        assert_eq!((first.added.clone(), first.left), (vec![3001], 1));
        let paths: Vec<&str> = first.files.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["docs/docs/releases/0.2.1.md", "docs/mkdocs.yml"]);
        assert!(first.files[0]
            .1
            .starts_with("# Mathesar 0.2.1\n\n## (TO CATEGORIZE)\n"));

        let second = plan_sync(
            &config,
            branch(Some(&first.files[0].1), None, Some(&first.files[1].1)),
            &merged(),
        )
        .unwrap();
        assert_eq!(second.files, Vec::<(String, String)>::new());
        assert_eq!(
            (second.created, second.nav_added, second.left),
            (false, false, 1)
        );
    }

    #[test]
    fn a_missing_template_or_navigation_says_which_file_and_what_to_set() {
        let config = Config::default().notes.sync;
        let error = plan_sync(&config, branch(None, None, Some(NAV)), &merged()).unwrap_err();
        assert_eq!(
            error,
            SyncProblem::TemplateMissing {
                path: "docs/docs/releases/TEMPLATE.md".into()
            }
        );
        let error =
            plan_sync(&config, branch(Some("# notes\n"), None, None), &merged()).unwrap_err();
        assert!(error
            .to_string()
            .starts_with("the docs' navigation `docs/mkdocs.yml` is not on the release branch"));
        let error = plan_sync(
            &config,
            branch(Some("# notes\n"), None, Some("nav:\n  - Home: index.md\n")),
            &merged(),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "the docs' navigation `docs/mkdocs.yml` has no `- Releases:` entry to list the notes under: add that section, or set `nav_section` under `[notes.sync]`"
        );
    }

    #[test]
    fn without_a_template_the_file_starts_with_the_pull_requests_alone() {
        let mut config = Config::default().notes.sync;
        config.template = None;
        config.nav = None;
        let plan = plan_sync(&config, branch(None, None, None), &merged()).unwrap();
        assert_eq!(
            plan.files[0].1,
            format!("## (TO CATEGORIZE)\n\n{}\n", merged()[0].line())
        );
    }
}
