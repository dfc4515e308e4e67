//! `.github/releasebot.toml`: how a repository releases. Without the file, Mathesar's process.

mod candidate;
mod defaults;
mod errors;
mod parse;
pub mod steps;
mod template;

use std::collections::BTreeMap;

pub use candidate::CandidatePattern;
pub use errors::{ConfigError, ConfigErrors};
pub use template::Template;

use crate::permission::RequiredPermission;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The branch a release branch is cut from; `None`: the repository's default branch.
    pub base_branch: Option<String>,
    /// The branch the release pull request goes into (and the tag's merge commit lands on);
    /// `None`: the branch it was cut from, as before this key existed.
    pub target_branch: Option<String>,
    pub branch: Template,
    pub tag: Template,
    pub pr_title: Template,
    /// The release pull request is opened as a draft (`gh pr create -d`).
    pub pr_draft: bool,
    /// The milestone the release pull request is put on, made when missing; `None`: none.
    pub pr_milestone: Option<Template>,
    pub commit_message: Template,
    pub release_title: Template,
    /// The release's notes, when the project's notes live elsewhere and the release only links
    /// them (Mathesar: `__[Release notes](https://docs.mathesar.org/releases/{version}/)__`);
    /// `None`: the notes gathered from the linked document, the notes file or GitHub.
    pub release_notes: Option<Template>,
    pub permission: RequiredPermission,
    pub label: String,
    pub checklist: Vec<String>,
    pub version_files: Vec<VersionFile>,
    pub images: ImagesConfig,
    pub smoke: SmokeConfig,
    pub notes: NotesConfig,
    /// Where the release is announced once a person publishes it (`[[announce]]`).
    pub announce: Vec<Announcement>,
    /// Once the release is published, the branch the release went into is merged back into
    /// this one (Mathesar's `master` into `develop`); `None`: no merge back.
    pub merge_back: Option<String>,
    /// The repository's own packaging workflow, whose draft (with assets) becomes the release;
    /// `None`: releasebot makes its own draft, without assets.
    pub packaging: Option<PackagingConfig>,
    /// What a QA candidate's version adds to the release's (`rc.{n}`: `0.1.3-rc.2`); its tag is
    /// the release's tag template rendered with it.
    pub candidate: CandidatePattern,
    /// The workflows dispatched after the tag (`[[step]]`), in the order they are shown.
    pub steps: Vec<steps::WorkflowStep>,
    /// `[publish]`: the bot publishes the draft once the steps it names succeeded; `None`: a
    /// person publishes it.
    pub publish: Option<steps::PublishConfig>,
}

/// One place a published release is announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    /// Names it in the status comment and in `/release retry`.
    pub name: String,
    pub channel: crate::announce::Channel,
    pub message: crate::announce::MessageTemplate,
}

/// A workflow of the repository that makes the draft release on a tag and attaches the packaged
/// files (Mathesar's `create-draft-release.yml`). It runs on a tag push, which the bot's own tag
/// may not trigger (a workflow's `GITHUB_TOKEN` starts no workflows), so releasebot dispatches
/// it on the tag when its draft is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackagingConfig {
    /// File name in `.github/workflows/`, with a `workflow_dispatch` trigger (no inputs: it runs
    /// on the tag's ref).
    pub workflow: String,
    /// Who makes its draft: only a draft on the tag by this login is adopted.
    pub made_by: String,
    /// The assets the release must have before it is called ready.
    pub assets: Vec<String>,
    /// The asset whose text must name the version (an install script); `None`: none checked.
    pub version_asset: Option<String>,
    /// Add a `SHA256SUMS` asset, computed from the others, when the workflow made none.
    pub checksums: bool,
}

impl PackagingConfig {
    /// The checksums file's name, as `sha256sum` users expect it.
    pub const CHECKSUMS: &'static str = "SHA256SUMS";
}

/// The smoke test releasebot dispatches on the release branch before the merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmokeConfig {
    /// File name in `.github/workflows/` with a `workflow_dispatch` trigger and inputs `version`
    /// and `sha`; when the repository has no such file, the step is skipped and said so.
    pub workflow: String,
    /// The checklist items a passing run ticks in the pull request.
    pub covers: Vec<String>,
}

/// A file that holds the version, and how to find it there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionFile {
    pub path: String,
    pub pattern: Pattern,
    /// Replaces the whole match when set; otherwise only the `version` group is replaced, so the
    /// quoting found in the file is kept.
    pub replace: Option<Template>,
    pub primary: bool,
    pub required: bool,
    pub multiple: bool,
}

impl VersionFile {
    /// The primary file, and a `required` one, must exist and carry the version. Any other file
    /// is skipped, visibly, when it is absent or has no version line: it may not carry the
    /// version yet (Mathesar's `docs/mkdocs.yml` before 0.1.2) or any more.
    pub fn must_exist(&self) -> bool {
        self.primary || self.required
    }
}

/// A compiled regular expression that remembers its source (for messages and equality).
#[derive(Debug, Clone)]
pub struct Pattern {
    pub source: String,
    pub regex: regex::Regex,
}

impl Pattern {
    /// Compiles with multi-line mode on (`^`/`$` match at line ends), requiring a `version` group.
    pub fn new(source: &str) -> Result<Pattern, String> {
        let regex = regex::RegexBuilder::new(source)
            .multi_line(true)
            .build()
            .map_err(|e| format!("is not a valid regular expression: {e}"))?;
        if !regex.capture_names().any(|name| name == Some("version")) {
            return Err("needs a named group `(?P<version>...)` around the version".into());
        }
        Ok(Pattern {
            source: source.into(),
            regex,
        })
    }
}

impl Pattern {
    /// The first literal word the pattern looks for (`mathesar_version` in
    /// `^\s*mathesar_version:\s*(?P<version>…)`), to name the line in messages; `None` when the
    /// pattern starts with no such word.
    pub fn line_key(&self) -> Option<&str> {
        let source = self.source.as_str();
        let bytes = source.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                // An escape (`\s`, `\$`) is not part of a word.
                b'\\' => i += 2,
                // Character classes, group names and repetition counts are not literal text.
                b'[' => i = skip_past(bytes, i, b']'),
                b'{' => i = skip_past(bytes, i, b'}'),
                b'(' if bytes.get(i + 1) == Some(&b'?') => i = skip_group_head(bytes, i),
                b if is_word(b) => {
                    let start = i;
                    while i < bytes.len() && is_word(bytes[i]) {
                        i += 1;
                    }
                    let word = &source[start..i];
                    let followed_by_repeat =
                        matches!(bytes.get(i), Some(b'*' | b'?' | b'+' | b'{'));
                    if word.len() >= 2
                        && word.bytes().any(|b| b.is_ascii_alphabetic())
                        && !followed_by_repeat
                    {
                        return Some(word);
                    }
                }
                _ => i += 1,
            }
        }
        None
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn skip_past(bytes: &[u8], from: usize, close: u8) -> usize {
    let mut i = from + 1;
    while i < bytes.len() && bytes[i] != close {
        i += if bytes[i] == b'\\' { 2 } else { 1 };
    }
    i + 1
}

/// Past `(?:`, `(?i)`, `(?P<name>` or `(?<name>`.
fn skip_group_head(bytes: &[u8], from: usize) -> usize {
    let mut i = from + 2;
    if bytes.get(i) == Some(&b'P') {
        i += 1;
    }
    if bytes.get(i) == Some(&b'<') {
        return skip_past(bytes, i, b'>');
    }
    while i < bytes.len() && !matches!(bytes[i], b':' | b')') {
        i += 1;
    }
    i + 1
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for Pattern {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatestPolicy {
    /// `latest` is pushed with the version, when the tag is built.
    OnTag,
    /// Only `<version>` is pushed at first; `latest` moves when a person publishes the draft.
    OnPublish,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagesConfig {
    /// File name of the workflow in `.github/workflows/` that builds and pushes the images.
    pub workflow: String,
    pub latest: LatestPolicy,
    pub platforms: Vec<String>,
    pub images: Vec<Image>,
}

impl ImagesConfig {
    /// The image references a build pushes: each image at `version`, and at `latest` too when
    /// the build moves it.
    pub fn refs(&self, version: &semver::Version, latest: bool) -> Vec<String> {
        let mut refs = Vec::new();
        for image in &self.images {
            refs.push(format!("{}:{version}", image.name));
            if latest {
                refs.push(format!("{}:latest", image.name));
            }
        }
        refs
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub name: String,
    pub dockerfile: String,
    pub build_args: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotesConfig {
    pub header: String,
    /// `None`: a footer listing the image references and the install command.
    pub footer: Option<String>,
    pub allowed_hosts: Vec<String>,
    /// Private addresses (`ip:port`) notes may still be fetched from, e.g. an internal wiki.
    pub allowed_addresses: Vec<std::net::SocketAddr>,
    pub max_bytes: u64,
    pub timeout_secs: u64,
    /// The repository's own notes file, read at the tag when no document was linked
    /// (`docs/docs/releases/{version}.md` for Mathesar); `None`: no such convention.
    pub path: Option<Template>,
    /// When neither a link nor the file gives notes: GitHub's generated notes (the pull
    /// requests merged since the previous release), marked as generated.
    pub generated: bool,
    /// What `/release notes sync` does to the notes file at `path` on the release branch.
    pub sync: NotesSync,
}

/// `[notes.sync]`: how the notes file is started and kept in step with what was merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotesSync {
    /// The repository's template for a new notes file; `None`: a new file starts with only the
    /// pull requests to categorize.
    pub template: Option<String>,
    /// Replaced by the version in the template (Mathesar's `__VERSION__`).
    pub placeholder: String,
    /// The heading the uncited pull requests go under.
    pub heading: String,
    /// The docs' navigation given an entry for the notes; `None`: no navigation to keep.
    pub nav: Option<NotesNav>,
    /// The release pull request's checklist item that stays unticked while pull requests are
    /// left to categorize.
    pub checklist_item: Option<String>,
}

/// Where the docs' navigation lists the notes (MkDocs' `mkdocs.yml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotesNav {
    pub file: String,
    /// The `- <section>:` item the new version goes first under.
    pub section: String,
    /// A group in that section the former versions move to (Mathesar's `Previous releases`).
    pub previous: Option<String>,
    /// The page as the navigation names it (relative to the docs' directory).
    pub page: Template,
}

impl Config {
    /// Reads the repository's file, or gives the default when there is none.
    pub fn load(text: Option<&str>) -> Result<Config, ConfigErrors> {
        match text {
            Some(text) => Config::parse(text),
            None => Ok(Config::default()),
        }
    }

    /// Parses a configuration file, reporting every problem at once.
    pub fn parse(text: &str) -> Result<Config, ConfigErrors> {
        parse::parse(text)
    }

    /// The branch a release is cut from, in a repository whose default branch is `default`.
    pub fn cut_from(&self, default: &str) -> String {
        self.base_branch
            .clone()
            .unwrap_or_else(|| default.to_string())
    }

    /// The branch the release pull request goes into: `target_branch`, else the branch the
    /// release is cut from.
    pub fn merge_into(&self, default: &str) -> String {
        self.target_branch
            .clone()
            .unwrap_or_else(|| self.cut_from(default))
    }

    pub fn primary_file(&self) -> &VersionFile {
        self.version_files
            .iter()
            .find(|f| f.primary)
            .expect("a validated config has exactly one primary file")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(source: &str) -> Option<String> {
        Pattern::new(source).unwrap().line_key().map(str::to_string)
    }

    #[test]
    fn the_line_key_is_the_first_literal_word_of_the_pattern() {
        assert_eq!(
            key(defaults::MKDOCS_PATTERN).as_deref(),
            Some("mathesar_version")
        );
        assert_eq!(
            key(defaults::INIT_PY_PATTERN).as_deref(),
            Some("__version__")
        );
        assert_eq!(
            key(defaults::INSTALL_SH_PATTERN).as_deref(),
            Some("github_tag")
        );
        assert_eq!(
            key(r#""version":\s*"(?P<version>[^"]+)""#).as_deref(),
            Some("version")
        );
        assert_eq!(
            key(r"(?m)^(?:\s*)VERSION\s*=\s*(?P<version>\S+)").as_deref(),
            Some("VERSION")
        );
    }

    #[test]
    fn a_pattern_without_a_literal_word_has_no_key() {
        assert_eq!(key(r"^(?P<version>\d+\.\d+\.\d+)$"), None);
        assert_eq!(key(r"^[a-z_]+ = (?P<version>.+)"), None);
        // A word that may be absent is no key to name the line by.
        assert_eq!(key(r"^vv?(?P<version>.+)"), None);
    }
}
