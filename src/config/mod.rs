//! `.github/releasebot.toml`: how a repository releases. Without the file, Mathesar's process.

mod defaults;
mod errors;
mod parse;
mod template;

use std::collections::BTreeMap;

pub use errors::{ConfigError, ConfigErrors};
pub use template::Template;

use crate::permission::RequiredPermission;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `None`: the repository's default branch.
    pub base_branch: Option<String>,
    pub branch: Template,
    pub tag: Template,
    pub pr_title: Template,
    pub commit_message: Template,
    pub release_title: Template,
    pub permission: RequiredPermission,
    pub label: String,
    pub checklist: Vec<String>,
    pub version_files: Vec<VersionFile>,
    pub images: ImagesConfig,
    pub notes: NotesConfig,
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
    /// The primary file must exist; others are skipped when absent.
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

    pub fn primary_file(&self) -> &VersionFile {
        self.version_files
            .iter()
            .find(|f| f.primary)
            .expect("a validated config has exactly one primary file")
    }
}
