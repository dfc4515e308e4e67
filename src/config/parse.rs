//! TOML → `Config`, strictly: unknown keys and wrong values are errors naming the key and its
//! line, and every problem is collected (serde would stop at the first).

use std::collections::BTreeMap;
use std::ops::Range;

use toml_edit::{Document, Item, TableLike, Value};

use super::*;
use crate::permission::RequiredPermission;

mod steps;

const TOP_KEYS: &[&str] = &[
    "base_branch",
    "target_branch",
    "branch",
    "tag",
    "pr_title",
    "pr_draft",
    "pr_milestone",
    "commit_message",
    "release_title",
    "release_notes",
    "permission",
    "label",
    "checklist",
    "version_files",
    "images",
    "smoke",
    "notes",
    "announce",
    "merge_back",
    "packaging",
    "candidate",
    "step",
    "publish",
];
const PACKAGING_KEYS: &[&str] = &[
    "workflow",
    "made_by",
    "assets",
    "version_asset",
    "checksums",
];
const VERSION_FILE_KEYS: &[&str] = &[
    "path", "pattern", "replace", "primary", "required", "multiple",
];
const IMAGES_KEYS: &[&str] = &["workflow", "latest", "platforms", "image"];
const IMAGE_KEYS: &[&str] = &["name", "dockerfile", "build_args"];
const SMOKE_KEYS: &[&str] = &["workflow", "covers"];
const ANNOUNCE_KEYS: &[&str] = &[
    "name",
    "kind",
    "url_env",
    "homeserver",
    "room",
    "token_env",
    "message",
];
const NOTES_SYNC_KEYS: &[&str] = &[
    "template",
    "placeholder",
    "heading",
    "nav_file",
    "nav_section",
    "nav_previous",
    "nav_page",
    "checklist_item",
];
const NOTES_KEYS: &[&str] = &[
    "header",
    "footer",
    "allowed_hosts",
    "allowed_addresses",
    "max_bytes",
    "timeout_secs",
    "path",
    "sync",
    "generated",
];

pub fn parse(text: &str) -> Result<Config, ConfigErrors> {
    let document = Document::parse(text).map_err(|e| {
        let line = e.span().map(|span| line_of(text, span.start));
        ConfigErrors(vec![ConfigError {
            key: String::new(),
            line,
            message: format!("is not valid TOML: {}", e.message()),
        }])
    })?;
    let mut reader = Reader {
        text,
        errors: Vec::new(),
    };
    let config = reader.config(document.as_table());
    if reader.errors.is_empty() {
        Ok(config)
    } else {
        reader.errors.sort_by_key(|e| e.line);
        Err(ConfigErrors(reader.errors))
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

struct Reader<'t> {
    text: &'t str,
    errors: Vec<ConfigError>,
}

/// One table of a list of tables: its key path, the table, and where it stands.
type ListedTable<'a> = (String, &'a dyn TableLike, Option<Range<usize>>);

/// A value found under a key, with where it stands.
struct Found<'a> {
    key: String,
    item: &'a Item,
    span: Option<Range<usize>>,
}

impl<'t> Reader<'t> {
    fn error(&mut self, key: &str, span: Option<Range<usize>>, message: impl Into<String>) {
        self.errors.push(ConfigError {
            key: key.into(),
            line: span.map(|s| line_of(self.text, s.start)),
            message: message.into(),
        });
    }

    fn path(prefix: &str, key: &str) -> String {
        if prefix.is_empty() {
            key.into()
        } else {
            format!("{prefix}.{key}")
        }
    }

    /// Reports keys not in `allowed`, suggesting a near one.
    fn unknown_keys(&mut self, table: &dyn TableLike, prefix: &str, allowed: &[&str]) {
        for (key, item) in table.iter() {
            if allowed.contains(&key) {
                continue;
            }
            let span = table
                .get_key_value(key)
                .and_then(|(k, _)| k.span())
                .or_else(|| item.span());
            let hint = allowed
                .iter()
                .find(|known| close(known, key))
                .map(|known| format!(" (did you mean `{known}`?)"))
                .unwrap_or_default();
            let known = allowed.join("`, `");
            self.error(
                &Self::path(prefix, key),
                span,
                format!("unknown key{hint}; the keys here are `{known}`"),
            );
        }
    }

    fn get<'a>(&self, table: &'a dyn TableLike, prefix: &str, key: &str) -> Option<Found<'a>> {
        let (k, item) = table.get_key_value(key)?;
        Some(Found {
            key: Self::path(prefix, key),
            item,
            span: item.span().or_else(|| k.span()),
        })
    }

    fn string(&mut self, table: &dyn TableLike, prefix: &str, key: &str) -> Option<String> {
        let found = self.get(table, prefix, key)?;
        match found.item.as_str() {
            Some(text) => Some(text.to_string()),
            None => {
                self.error(&found.key, found.span, "must be a string");
                None
            }
        }
    }

    fn boolean(&mut self, table: &dyn TableLike, prefix: &str, key: &str) -> Option<bool> {
        let found = self.get(table, prefix, key)?;
        match found.item.as_bool() {
            Some(value) => Some(value),
            None => {
                self.error(&found.key, found.span, "must be true or false");
                None
            }
        }
    }

    fn integer(
        &mut self,
        table: &dyn TableLike,
        prefix: &str,
        key: &str,
        range: Range<i64>,
    ) -> Option<u64> {
        let found = self.get(table, prefix, key)?;
        match found.item.as_integer() {
            Some(value) if range.contains(&value) => Some(value as u64),
            _ => {
                let message = format!(
                    "must be a whole number from {} to {}",
                    range.start,
                    range.end - 1
                );
                self.error(&found.key, found.span, message);
                None
            }
        }
    }

    fn strings(&mut self, table: &dyn TableLike, prefix: &str, key: &str) -> Option<Vec<String>> {
        let found = self.get(table, prefix, key)?;
        let Some(array) = found.item.as_array() else {
            self.error(&found.key, found.span, "must be an array of strings");
            return None;
        };
        let mut out = Vec::new();
        for (i, value) in array.iter().enumerate() {
            match value.as_str() {
                Some(text) => out.push(text.to_string()),
                None => self.error(
                    &format!("{}[{i}]", found.key),
                    value.span(),
                    "must be a string",
                ),
            }
        }
        Some(out)
    }

    /// `[[key]]` tables or an inline array of inline tables.
    fn tables<'a>(
        &mut self,
        table: &'a dyn TableLike,
        prefix: &str,
        key: &str,
    ) -> Option<Vec<ListedTable<'a>>> {
        let found = self.get(table, prefix, key)?;
        let mut out: Vec<ListedTable<'a>> = Vec::new();
        match found.item {
            Item::ArrayOfTables(array) => {
                for (i, t) in array.iter().enumerate() {
                    out.push((format!("{}[{i}]", found.key), t as &dyn TableLike, t.span()));
                }
            }
            Item::Value(Value::Array(array)) => {
                for (i, value) in array.iter().enumerate() {
                    match value.as_inline_table() {
                        Some(t) => out.push((
                            format!("{}[{i}]", found.key),
                            t as &dyn TableLike,
                            value.span(),
                        )),
                        None => self.error(
                            &format!("{}[{i}]", found.key),
                            value.span(),
                            "must be a table",
                        ),
                    }
                }
            }
            _ => {
                self.error(
                    &found.key,
                    found.span,
                    format!("must be a list of tables (`[[{}]]`)", found.key),
                );
                return None;
            }
        }
        Some(out)
    }

    fn table<'a>(
        &mut self,
        table: &'a dyn TableLike,
        prefix: &str,
        key: &str,
    ) -> Option<&'a dyn TableLike> {
        let found = self.get(table, prefix, key)?;
        match found.item.as_table_like() {
            Some(t) => Some(t),
            None => {
                self.error(&found.key, found.span, "must be a table");
                None
            }
        }
    }

    /// Reads a template key with the given rule, keeping the default when absent or wrong.
    fn template(
        &mut self,
        table: &dyn TableLike,
        key: &str,
        rule: fn(&str) -> Result<Template, String>,
        default: Template,
    ) -> Template {
        let span = self.get(table, "", key).and_then(|f| f.span);
        match self.string(table, "", key) {
            Some(text) => rule(&text).unwrap_or_else(|message| {
                self.error(key, span, message);
                default
            }),
            None => default,
        }
    }

    fn config(&mut self, root: &dyn TableLike) -> Config {
        let defaults = Config::default();
        self.unknown_keys(root, "", TOP_KEYS);
        let base_branch = self.branch_name(root, "base_branch");
        let target_branch = self.branch_name(root, "target_branch");
        let pr_milestone = self.string(root, "", "pr_milestone").and_then(|text| {
            Template::for_milestone(&text)
                .map_err(|message| {
                    let span = self.get(root, "", "pr_milestone").and_then(|f| f.span);
                    self.error("pr_milestone", span, message)
                })
                .ok()
        });
        let permission = match self.string(root, "", "permission") {
            Some(text) => RequiredPermission::parse(&text).unwrap_or_else(|| {
                let span = self.get(root, "", "permission").and_then(|f| f.span);
                self.error(
                    "permission",
                    span,
                    format!(
                        "`{text}` is not accepted; use {}",
                        RequiredPermission::ACCEPTED
                    ),
                );
                defaults.permission
            }),
            None => defaults.permission,
        };
        let label = self
            .string(root, "", "label")
            .unwrap_or(defaults.label.clone());
        if label.trim().is_empty() {
            let span = self.get(root, "", "label").and_then(|f| f.span);
            self.error("label", span, "must not be empty");
        }
        let checklist = self
            .strings(root, "", "checklist")
            .unwrap_or(defaults.checklist.clone());
        let smoke = self.smoke(root, &defaults.smoke, &checklist);
        let notes = self.notes(root, &defaults.notes, &checklist);
        let (steps, publish) = self.steps(root);
        Config {
            base_branch,
            target_branch,
            branch: self.template(root, "branch", Template::for_ref, defaults.branch.clone()),
            tag: self.template(root, "tag", Template::for_ref, defaults.tag.clone()),
            pr_title: self.template(root, "pr_title", Template::free, defaults.pr_title.clone()),
            pr_draft: self
                .boolean(root, "", "pr_draft")
                .unwrap_or(defaults.pr_draft),
            pr_milestone,
            commit_message: self.template(
                root,
                "commit_message",
                Template::free,
                defaults.commit_message.clone(),
            ),
            release_title: self.template(
                root,
                "release_title",
                Template::free,
                defaults.release_title.clone(),
            ),
            release_notes: self.string(root, "", "release_notes").and_then(|text| {
                Template::free(&text)
                    .map_err(|message| {
                        let span = self.get(root, "", "release_notes").and_then(|f| f.span);
                        self.error("release_notes", span, message)
                    })
                    .ok()
            }),
            permission,
            label,
            checklist,
            version_files: self
                .version_files(root)
                .unwrap_or(defaults.version_files.clone()),
            images: self.images(root, &defaults.images),
            smoke,
            notes,
            announce: self.announcements(root),
            merge_back: self.branch_name(root, "merge_back"),
            packaging: self.packaging(root),
            candidate: self.candidate(root, defaults.candidate.clone()),
            steps,
            publish,
        }
    }

    /// `candidate`: the pre-release a QA candidate's version adds (`rc.{n}`).
    fn candidate(&mut self, root: &dyn TableLike, default: CandidatePattern) -> CandidatePattern {
        let Some(text) = self.string(root, "", "candidate") else {
            return default;
        };
        CandidatePattern::parse(&text).unwrap_or_else(|message| {
            let span = self.get(root, "", "candidate").and_then(|f| f.span);
            self.error("candidate", span, message);
            default
        })
    }

    /// A fixed branch name (`base_branch`, `target_branch`), when given.
    fn branch_name(&mut self, root: &dyn TableLike, key: &str) -> Option<String> {
        let name = self.string(root, "", key)?;
        match template::check_branch_name(&name) {
            Ok(()) => Some(name),
            Err(message) => {
                let span = self.get(root, "", key).and_then(|f| f.span);
                self.error(key, span, message);
                None
            }
        }
    }

    /// `[[announce]]`: each with a unique name, a kind, the environment variables its secrets
    /// are in (under `RELEASEBOT_ANNOUNCE_`), and a message.
    fn announcements(&mut self, root: &dyn TableLike) -> Vec<Announcement> {
        use crate::announce::{Channel, MessageTemplate, ENV_PREFIX};
        let mut out: Vec<Announcement> = Vec::new();
        for (prefix, t, span) in self.tables(root, "", "announce").unwrap_or_default() {
            self.unknown_keys(t, &prefix, ANNOUNCE_KEYS);
            let required = |parser: &mut Self, key: &str| {
                let value = parser.string(t, &prefix, key);
                if value.is_none() && parser.get(t, &prefix, key).is_none() {
                    parser.error(&prefix, span.clone(), format!("needs `{key}`"));
                }
                value
            };
            let name = required(self, "name");
            let kind = required(self, "kind");
            let message = required(self, "message");
            let env = |parser: &mut Self, key: &str| {
                let value = required(parser, key)?;
                let valid = value.starts_with(ENV_PREFIX)
                    && value.len() > ENV_PREFIX.len()
                    && value
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
                if !valid {
                    let at = parser.get(t, &prefix, key).and_then(|f| f.span);
                    parser.error(
                        &format!("{prefix}.{key}"),
                        at,
                        format!("must name an environment variable starting with `{ENV_PREFIX}` (upper case, digits, `_`), which holds the secret"),
                    );
                    return None;
                }
                Some(value)
            };
            let channel = match kind.as_deref() {
                Some("slack" | "mattermost") => {
                    env(self, "url_env").map(|url_env| Channel::Slack { url_env })
                }
                Some("discord") => env(self, "url_env").map(|url_env| Channel::Discord { url_env }),
                Some("json") => env(self, "url_env").map(|url_env| Channel::Json { url_env }),
                Some("matrix") => {
                    let homeserver = required(self, "homeserver");
                    let room = required(self, "room");
                    let token_env = env(self, "token_env");
                    match (homeserver, room, token_env) {
                        (Some(homeserver), Some(room), Some(token_env)) => Some(Channel::Matrix {
                            homeserver,
                            room,
                            token_env,
                        }),
                        _ => None,
                    }
                }
                Some(other) => {
                    let at = self.get(t, &prefix, "kind").and_then(|f| f.span);
                    self.error(
                        &format!("{prefix}.kind"),
                        at,
                        format!("`{other}` is not accepted; use \"slack\", \"mattermost\", \"discord\", \"matrix\" or \"json\""),
                    );
                    None
                }
                None => None,
            };
            let message = message.and_then(|text| {
                MessageTemplate::parse(&text)
                    .map_err(|problem| {
                        let at = self.get(t, &prefix, "message").and_then(|f| f.span);
                        self.error(&format!("{prefix}.message"), at, problem);
                    })
                    .ok()
            });
            if let Some(name) = &name {
                let valid = !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                let at = self.get(t, &prefix, "name").and_then(|f| f.span);
                if !valid {
                    self.error(
                        &format!("{prefix}.name"),
                        at,
                        "must be lowercase letters, digits and `-`",
                    );
                } else if out.iter().any(|a| &a.name == name) {
                    self.error(
                        &format!("{prefix}.name"),
                        at,
                        format!("`{name}` names another announcement already"),
                    );
                }
            }
            if let (Some(name), Some(channel), Some(message)) = (name, channel, message) {
                out.push(Announcement {
                    name,
                    channel,
                    message,
                });
            }
        }
        out
    }

    /// `workflow` of `[prefix]` (`default` when absent): a file name in `.github/workflows/`.
    fn workflow_file(&mut self, table: &dyn TableLike, prefix: &str, default: &str) -> String {
        let workflow = self
            .string(table, prefix, "workflow")
            .unwrap_or(default.to_string());
        if workflow.contains('/') || !(workflow.ends_with(".yml") || workflow.ends_with(".yaml")) {
            let at = self.get(table, prefix, "workflow").and_then(|f| f.span);
            self.error(
                &format!("{prefix}.workflow"),
                at,
                "must be a file name in `.github/workflows/` ending in `.yml` or `.yaml`",
            );
        }
        workflow
    }

    fn packaging(&mut self, root: &dyn TableLike) -> Option<PackagingConfig> {
        const AT: &str = "packaging";
        let table = self.table(root, "", AT)?;
        self.unknown_keys(table, AT, PACKAGING_KEYS);
        let workflow = if self.get(table, AT, "workflow").is_none() {
            let span = self.get(root, "", AT).and_then(|f| f.span);
            self.error(
                AT,
                span,
                "needs a `workflow`: the file that makes the draft release",
            );
            String::new()
        } else {
            self.workflow_file(table, AT, "")
        };
        let made_by = self
            .string(table, AT, "made_by")
            .unwrap_or_else(|| "github-actions[bot]".into());
        if made_by.trim().is_empty() || made_by.contains(char::is_whitespace) {
            let at = self.get(table, AT, "made_by").and_then(|f| f.span);
            self.error("packaging.made_by", at, "must be a GitHub login");
        }
        let assets = self.strings(table, AT, "assets").unwrap_or_default();
        let assets_at = self.get(table, AT, "assets").and_then(|f| f.span);
        for name in &assets {
            if name.is_empty() || name.contains('/') {
                let message = format!("`{name}` is not an asset's file name");
                self.error("packaging.assets", assets_at.clone(), message);
            }
        }
        let version_asset = self.string(table, AT, "version_asset");
        if let Some(name) = version_asset.as_ref().filter(|n| !assets.contains(n)) {
            let at = self.get(table, AT, "version_asset").and_then(|f| f.span);
            let message = format!("`{name}` is not one of `packaging.assets`");
            self.error("packaging.version_asset", at, message);
        }
        Some(PackagingConfig {
            workflow,
            made_by,
            assets,
            version_asset,
            checksums: self.boolean(table, AT, "checksums").unwrap_or(true),
        })
    }

    fn version_files(&mut self, root: &dyn TableLike) -> Option<Vec<VersionFile>> {
        let whole_span = self.get(root, "", "version_files").and_then(|f| f.span);
        let entries = self.tables(root, "", "version_files")?;
        let mut files = Vec::new();
        for (prefix, table, span) in entries {
            self.unknown_keys(table, &prefix, VERSION_FILE_KEYS);
            let path = self.string(table, &prefix, "path");
            match &path {
                None if self.get(table, &prefix, "path").is_none() => {
                    self.error(&prefix, span.clone(), "needs a `path`")
                }
                Some(p)
                    if p.is_empty()
                        || p.starts_with('/')
                        || p.split('/').any(|s| s == ".." || s.is_empty()) =>
                {
                    let at = self.get(table, &prefix, "path").and_then(|f| f.span);
                    self.error(
                        &format!("{prefix}.path"),
                        at,
                        "must be a relative path inside the repository, without `..`",
                    )
                }
                _ => {}
            }
            let pattern = match self.string(table, &prefix, "pattern") {
                Some(source) => Pattern::new(&source)
                    .map_err(|message| {
                        let at = self.get(table, &prefix, "pattern").and_then(|f| f.span);
                        self.error(&format!("{prefix}.pattern"), at, message)
                    })
                    .ok(),
                None => {
                    if self.get(table, &prefix, "pattern").is_none() {
                        self.error(
                            &prefix,
                            span.clone(),
                            "needs a `pattern` with a `(?P<version>...)` group",
                        );
                    }
                    None
                }
            };
            let replace = self.string(table, &prefix, "replace").and_then(|text| {
                Template::with_version(&text)
                    .map_err(|message| {
                        let at = self.get(table, &prefix, "replace").and_then(|f| f.span);
                        self.error(&format!("{prefix}.replace"), at, message)
                    })
                    .ok()
            });
            let primary = self.boolean(table, &prefix, "primary").unwrap_or(false);
            let required = self.boolean(table, &prefix, "required").unwrap_or(false);
            let multiple = self.boolean(table, &prefix, "multiple").unwrap_or(false);
            if let (Some(path), Some(pattern)) = (path, pattern) {
                files.push(VersionFile {
                    path,
                    pattern,
                    replace,
                    primary,
                    required,
                    multiple,
                });
            }
        }
        let primaries = files.iter().filter(|f| f.primary).count();
        if primaries != 1 && self.errors.is_empty() {
            let message = if primaries == 0 {
                "one file must be `primary = true`: the one the current version is read from"
            } else {
                "only one file may be `primary = true`"
            };
            self.error("version_files", whole_span, message);
        }
        let mut seen = std::collections::BTreeSet::new();
        for file in &files {
            if !seen.insert(file.path.clone()) {
                self.error(
                    "version_files",
                    None,
                    format!("`{}` is listed twice", file.path),
                );
            }
        }
        Some(files)
    }

    fn images(&mut self, root: &dyn TableLike, defaults: &ImagesConfig) -> ImagesConfig {
        let Some(table) = self.table(root, "", "images") else {
            return defaults.clone();
        };
        self.unknown_keys(table, "images", IMAGES_KEYS);
        let workflow = self.workflow_file(table, "images", &defaults.workflow);
        let latest = match self.string(table, "images", "latest").as_deref() {
            None => defaults.latest,
            Some("on-tag") => LatestPolicy::OnTag,
            Some("on-publish") => LatestPolicy::OnPublish,
            Some(other) => {
                let at = self.get(table, "images", "latest").and_then(|f| f.span);
                self.error(
                    "images.latest",
                    at,
                    format!("`{other}` is not accepted; use \"on-tag\" or \"on-publish\""),
                );
                defaults.latest
            }
        };
        let platforms = self
            .strings(table, "images", "platforms")
            .unwrap_or(defaults.platforms.clone());
        for platform in &platforms {
            let parts: Vec<&str> = platform.split('/').collect();
            if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.is_empty()) {
                let at = self.get(table, "images", "platforms").and_then(|f| f.span);
                self.error(
                    "images.platforms",
                    at,
                    format!("`{platform}` is not of the form os/arch[/variant]"),
                );
            }
        }
        let images = match self.tables(table, "images", "image") {
            None => defaults.images.clone(),
            Some(entries) => {
                let mut images = Vec::new();
                for (prefix, t, span) in entries {
                    self.unknown_keys(t, &prefix, IMAGE_KEYS);
                    let name = self.string(t, &prefix, "name");
                    if let Some(name) = &name {
                        let valid = name.contains('/')
                            && !name.contains(':')
                            && name.chars().all(|c| {
                                c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/".contains(c)
                            });
                        if !valid {
                            let at = self.get(t, &prefix, "name").and_then(|f| f.span);
                            self.error(&format!("{prefix}.name"), at, "must be a Docker repository like `namespace/name`: lowercase, no tag");
                        }
                    } else if self.get(t, &prefix, "name").is_none() {
                        self.error(&prefix, span.clone(), "needs a `name`");
                    }
                    let dockerfile = self
                        .string(t, &prefix, "dockerfile")
                        .unwrap_or_else(|| "Dockerfile".into());
                    let mut build_args = BTreeMap::new();
                    if let Some(args) = self.table(t, &prefix, "build_args") {
                        let args_prefix = format!("{prefix}.build_args");
                        for (key, _) in args.iter() {
                            if let Some(value) = self.string(args, &args_prefix, key) {
                                build_args.insert(key.to_string(), value);
                            }
                        }
                    }
                    if let Some(name) = name {
                        images.push(Image {
                            name,
                            dockerfile,
                            build_args,
                        });
                    }
                }
                images
            }
        };
        ImagesConfig {
            workflow,
            latest,
            platforms,
            images,
        }
    }

    fn smoke(
        &mut self,
        root: &dyn TableLike,
        defaults: &SmokeConfig,
        checklist: &[String],
    ) -> SmokeConfig {
        let Some(table) = self.table(root, "", "smoke") else {
            // The default covers only what the checklist still holds.
            return SmokeConfig {
                covers: defaults
                    .covers
                    .iter()
                    .filter(|c| checklist.contains(c))
                    .cloned()
                    .collect(),
                ..defaults.clone()
            };
        };
        self.unknown_keys(table, "smoke", SMOKE_KEYS);
        let workflow = self.workflow_file(table, "smoke", &defaults.workflow);
        let covers = match self.strings(table, "smoke", "covers") {
            Some(covers) => {
                let at = self.get(table, "smoke", "covers").and_then(|f| f.span);
                for item in covers.iter().filter(|c| !checklist.contains(c)) {
                    self.error(
                        "smoke.covers",
                        at.clone(),
                        format!("`{item}` is not an item of `checklist`"),
                    );
                }
                covers
            }
            None => defaults
                .covers
                .iter()
                .filter(|c| checklist.contains(c))
                .cloned()
                .collect(),
        };
        SmokeConfig { workflow, covers }
    }

    fn notes(
        &mut self,
        root: &dyn TableLike,
        defaults: &NotesConfig,
        checklist: &[String],
    ) -> NotesConfig {
        let Some(table) = self.table(root, "", "notes") else {
            let mut notes = defaults.clone();
            notes.sync.checklist_item = default_checklist_item(&defaults.sync, checklist);
            return notes;
        };
        self.unknown_keys(table, "notes", NOTES_KEYS);
        let mut allowed_addresses = Vec::new();
        for text in self
            .strings(table, "notes", "allowed_addresses")
            .unwrap_or_default()
        {
            match text.parse::<std::net::SocketAddr>() {
                Ok(address) => allowed_addresses.push(address),
                Err(_) => {
                    let at = self
                        .get(table, "notes", "allowed_addresses")
                        .and_then(|f| f.span);
                    self.error(
                        "notes.allowed_addresses",
                        at,
                        format!("`{text}` is not an address with a port, like \"10.0.0.5:443\""),
                    );
                }
            }
        }
        NotesConfig {
            header: self.string(table, "notes", "header").unwrap_or_default(),
            footer: self.string(table, "notes", "footer"),
            allowed_hosts: self
                .strings(table, "notes", "allowed_hosts")
                .unwrap_or(defaults.allowed_hosts.clone()),
            allowed_addresses,
            max_bytes: self
                .integer(table, "notes", "max_bytes", 1..10 * 1024 * 1024 + 1)
                .unwrap_or(defaults.max_bytes),
            timeout_secs: self
                .integer(table, "notes", "timeout_secs", 1..61)
                .unwrap_or(defaults.timeout_secs),
            path: self.notes_path(table, defaults),
            generated: self
                .boolean(table, "notes", "generated")
                .unwrap_or(defaults.generated),
            sync: self.notes_sync(table, &defaults.sync, checklist),
        }
    }

    /// `[notes.sync]`; `template = ""` and `nav_file = ""` turn those parts off.
    fn notes_sync(
        &mut self,
        notes: &dyn TableLike,
        defaults: &NotesSync,
        checklist: &[String],
    ) -> NotesSync {
        const AT: &str = "notes.sync";
        let default_item = default_checklist_item(defaults, checklist);
        let Some(table) = self.table(notes, "notes", "sync") else {
            return NotesSync {
                checklist_item: default_item,
                ..defaults.clone()
            };
        };
        self.unknown_keys(table, AT, NOTES_SYNC_KEYS);
        let template = match self.repository_path(table, AT, "template") {
            Some(path) if path.is_empty() => None,
            Some(path) => Some(path),
            None => defaults.template.clone(),
        };
        let placeholder = self
            .non_empty(table, AT, "placeholder")
            .unwrap_or(defaults.placeholder.clone());
        let heading = self
            .non_empty(table, AT, "heading")
            .unwrap_or(defaults.heading.clone());
        let nav = match self.repository_path(table, AT, "nav_file") {
            Some(file) if file.is_empty() => None,
            file => {
                let default = defaults.nav.clone();
                let file = file.or(default.as_ref().map(|nav| nav.file.clone()));
                let section = self
                    .non_empty(table, AT, "nav_section")
                    .or(default.as_ref().map(|nav| nav.section.clone()));
                let previous = match self.string(table, AT, "nav_previous") {
                    Some(text) if text.is_empty() => None,
                    Some(text) => Some(text),
                    None => default.as_ref().and_then(|nav| nav.previous.clone()),
                };
                let span = self.get(table, AT, "nav_page").and_then(|f| f.span);
                let page = match self.string(table, AT, "nav_page") {
                    Some(text) => Template::with_version(&text)
                        .map_err(|message| self.error("notes.sync.nav_page", span, message))
                        .ok(),
                    None => default.as_ref().map(|nav| nav.page.clone()),
                };
                match (file, section, page) {
                    (Some(file), Some(section), Some(page)) => Some(NotesNav {
                        file,
                        section,
                        previous,
                        page,
                    }),
                    _ => None,
                }
            }
        };
        let span = self.get(table, AT, "checklist_item").and_then(|f| f.span);
        let checklist_item = match self.string(table, AT, "checklist_item") {
            Some(item) if item.is_empty() => None,
            Some(item) if checklist.contains(&item) => Some(item),
            Some(item) => {
                self.error(
                    "notes.sync.checklist_item",
                    span,
                    format!("`{item}` is not an item of `checklist`"),
                );
                default_item
            }
            None => default_item,
        };
        NotesSync {
            template,
            placeholder,
            heading,
            nav,
            checklist_item,
        }
    }

    /// A path in the repository, relative and without `..`; `""` is returned as it is.
    fn repository_path(&mut self, table: &dyn TableLike, at: &str, key: &str) -> Option<String> {
        let span = self.get(table, at, key).and_then(|f| f.span);
        let text = self.string(table, at, key)?;
        if text.starts_with('/') || text.split('/').any(|part| part == "..") {
            self.error(
                &Self::path(at, key),
                span,
                "must be a path in the repository, relative, without `..`",
            );
            return None;
        }
        Some(text)
    }

    fn non_empty(&mut self, table: &dyn TableLike, at: &str, key: &str) -> Option<String> {
        let span = self.get(table, at, key).and_then(|f| f.span);
        let text = self.string(table, at, key)?;
        if text.trim().is_empty() {
            self.error(&Self::path(at, key), span, "must not be empty");
            return None;
        }
        Some(text)
    }

    /// `path = ""` turns the convention off; otherwise a relative path with `{version}`.
    fn notes_path(&mut self, table: &dyn TableLike, defaults: &NotesConfig) -> Option<Template> {
        let span = self.get(table, "notes", "path").and_then(|f| f.span);
        let Some(text) = self.string(table, "notes", "path") else {
            return defaults.path.clone();
        };
        if text.is_empty() {
            return None;
        }
        if text.starts_with('/') || text.split('/').any(|part| part == "..") {
            self.error(
                "notes.path",
                span,
                "must be a path in the repository, relative, without `..`",
            );
            return defaults.path.clone();
        }
        match Template::with_version(&text) {
            Ok(template) => Some(template),
            Err(message) => {
                self.error("notes.path", span, message);
                defaults.path.clone()
            }
        }
    }
}

/// The default notes item only where the checklist still holds it.
fn default_checklist_item(defaults: &NotesSync, checklist: &[String]) -> Option<String> {
    defaults
        .checklist_item
        .clone()
        .filter(|item| checklist.contains(item))
}

/// Two keys one edit apart (a typo such as `permision`).
fn close(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()] <= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        parse(text)
            .unwrap_err()
            .0
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn a_packaging_workflow_and_the_final_releases_text_are_read() {
        let config = parse(
            "release_title = \"Version {version} (alpha release)\"\n\
             release_notes = \"__[Release notes](https://docs.mathesar.org/releases/{version}/)__\"\n\
             [packaging]\nworkflow = \"create-draft-release.yml\"\n\
             assets = [\"install.sh\", \"mathesar.tar.gz\"]\nversion_asset = \"install.sh\"\n",
        )
        .unwrap();
        let version = semver::Version::new(0, 2, 1);
        assert_eq!(
            config.release_notes.unwrap().render(&version),
            "__[Release notes](https://docs.mathesar.org/releases/0.2.1/)__"
        );
        assert_eq!(
            config.packaging,
            Some(PackagingConfig {
                workflow: "create-draft-release.yml".into(),
                made_by: "github-actions[bot]".into(),
                assets: vec!["install.sh".into(), "mathesar.tar.gz".into()],
                version_asset: Some("install.sh".into()),
                checksums: true,
            })
        );
        assert_eq!(
            Config::default().packaging,
            None,
            "today's behaviour by default"
        );
    }

    #[test]
    fn a_packaging_section_names_what_is_wrong_in_it() {
        assert_eq!(
            problems("[packaging]\nassets = [\"a/b\"]\nversion_asset = \"install.sh\"\nmade_by = \"two words\"\nchecksum = true\n"),
            vec![
                "line 1: packaging: needs a `workflow`: the file that makes the draft release",
                "line 2: packaging.assets: `a/b` is not an asset's file name",
                "line 3: packaging.version_asset: `install.sh` is not one of `packaging.assets`",
                "line 4: packaging.made_by: must be a GitHub login",
                "line 5: packaging.checksum: unknown key (did you mean `checksums`?); the keys here are `workflow`, `made_by`, `assets`, `version_asset`, `checksums`",
            ]
        );
    }

    #[test]
    fn an_empty_file_is_the_default() {
        assert_eq!(parse("").unwrap(), Config::default());
    }

    #[test]
    fn the_spelled_out_example_is_exactly_the_default() {
        let text = include_str!("../../examples/releasebot.toml");
        assert_eq!(parse(text).unwrap(), Config::default());
    }

    #[test]
    fn settings_override_the_default() {
        let config = parse(
            "base_branch = \"main\"\ntag = \"v{version}\"\npermission = \"write\"\n\
             [images]\nlatest = \"on-publish\"\n",
        )
        .unwrap();
        assert_eq!(config.base_branch.as_deref(), Some("main"));
        assert_eq!(config.tag.render(&semver::Version::new(1, 0, 0)), "v1.0.0");
        assert_eq!(config.permission, RequiredPermission::Write);
        assert_eq!(config.images.latest, LatestPolicy::OnPublish);
        assert_eq!(config.images.images, Config::default().images.images);
    }

    #[test]
    fn the_branch_model_is_cut_from_one_branch_into_another_as_a_draft_on_a_milestone() {
        let config = parse(
            "base_branch = \"develop\"\ntarget_branch = \"master\"\nbranch = \"release-{version}\"\n\
             pr_draft = true\npr_milestone = \"v{version}\"\n",
        )
        .unwrap();
        let version = semver::Version::new(0, 2, 1);
        assert_eq!(config.cut_from("main"), "develop");
        assert_eq!(config.merge_into("main"), "master");
        assert_eq!(config.branch.render(&version), "release-0.2.1");
        assert!(config.pr_draft);
        let milestone = config.pr_milestone.as_ref().map(|m| m.render(&version));
        assert_eq!(milestone.as_deref(), Some("v0.2.1"));
    }

    #[test]
    fn without_a_target_the_pull_request_goes_where_the_release_was_cut_from() {
        let default = Config::default();
        assert_eq!(default.cut_from("master"), "master");
        assert_eq!(default.merge_into("master"), "master");
        assert!(!default.pr_draft && default.pr_milestone.is_none());
        let cut = parse("base_branch = \"develop\"\n").unwrap();
        assert_eq!(cut.merge_into("master"), "develop");
    }

    #[test]
    fn bad_branch_model_fields_are_named() {
        let found = problems(
            "base_branch = \"refs/heads/develop\"\ntarget_branch = \"mas ter\"\npr_draft = \"yes\"\n\
             pr_milestone = \"Next release\"\n",
        );
        assert_eq!(
            found,
            vec![
                "line 1: base_branch: `refs/heads/develop` is a full ref; give the branch's name alone (`develop`)",
                "line 2: target_branch: is `mas ter`, which is not a valid git ref name: it contains white space",
                "line 3: pr_draft: must be true or false",
                "line 4: pr_milestone: must contain `{version}` exactly once",
            ]
        );
        let padded = problems("pr_milestone = \"v{version} \"\n");
        assert!(
            padded[0].starts_with("line 1: pr_milestone: must not start or end with white space"),
            "{padded:?}"
        );
    }

    #[test]
    fn an_unknown_key_is_named_with_its_line_and_a_suggestion() {
        assert_eq!(
            problems("label = \"release\"\npermision = \"write\"\n"),
            vec!["line 2: permision: unknown key (did you mean `permission`?); the keys here are `base_branch`, `target_branch`, `branch`, `tag`, `pr_title`, `pr_draft`, `pr_milestone`, `commit_message`, `release_title`, `release_notes`, `permission`, `label`, `checklist`, `version_files`, `images`, `smoke`, `notes`, `announce`, `merge_back`, `packaging`, `candidate`, `step`, `publish`"]
        );
    }

    #[test]
    fn three_problems_are_all_reported_with_their_lines() {
        let found = problems(
            "permission = \"triage\"\n\n[[version_files]]\npath = \"VERSION\"\npattern = \"(\"\nprimary = true\nextra = 1\n",
        );
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(
            found[0].starts_with("line 1: permission: `triage` is not accepted"),
            "{found:?}"
        );
        assert!(
            found[1]
                .starts_with("line 5: version_files[0].pattern: is not a valid regular expression"),
            "{found:?}"
        );
        assert!(
            found[2].starts_with("line 7: version_files[0].extra: unknown key"),
            "{found:?}"
        );
    }

    #[test]
    fn a_pattern_without_a_version_group_is_refused() {
        let found = problems(
            "[[version_files]]\npath = \"VERSION\"\npattern = '^(\\S+)$'\nprimary = true\n",
        );
        assert_eq!(found, vec!["line 3: version_files[0].pattern: needs a named group `(?P<version>...)` around the version"]);
    }

    #[test]
    fn exactly_one_primary_file_is_needed() {
        let none =
            problems("[[version_files]]\npath = \"VERSION\"\npattern = '^(?P<version>.+)$'\n");
        assert!(
            none[0].contains("one file must be `primary = true`"),
            "{none:?}"
        );
        let two = problems(
            "[[version_files]]\npath = \"A\"\npattern = '^(?P<version>.+)$'\nprimary = true\n\
             [[version_files]]\npath = \"B\"\npattern = '^(?P<version>.+)$'\nprimary = true\n",
        );
        assert!(two[0].contains("only one file"), "{two:?}");
    }

    #[test]
    fn wrong_types_and_bad_templates_are_named() {
        let found = problems("label = 3\nbranch = \"release\"\ncommit_message = \"Release {name}\"\n[notes]\nmax_bytes = 0\n");
        assert_eq!(found.len(), 4, "{found:?}");
        assert_eq!(found[0], "line 1: label: must be a string");
        assert!(
            found[1].starts_with("line 2: branch: must contain `{version}` exactly once"),
            "{found:?}"
        );
        assert!(
            found[2].contains("commit_message: `{name}` is not a placeholder"),
            "{found:?}"
        );
        assert!(
            found[3].starts_with("line 5: notes.max_bytes: must be a whole number"),
            "{found:?}"
        );
    }

    #[test]
    fn smoke_covers_only_checklist_items() {
        let found = problems(
            "checklist = [\"Log in\"]\n\n[smoke]\nworkflow = \"ci/smoke.yml\"\ncovers = [\"Log in\", \"Dance\"]\n",
        );
        assert_eq!(
            found,
            vec![
                "line 4: smoke.workflow: must be a file name in `.github/workflows/` ending in `.yml` or `.yaml`",
                "line 5: smoke.covers: `Dance` is not an item of `checklist`",
            ]
        );
        let trimmed = Config::parse("checklist = [\"Log in\", \"Notes\"]\n").unwrap();
        assert_eq!(trimmed.smoke.covers, vec!["Log in".to_string()]);
    }

    #[test]
    fn images_are_checked() {
        let found = problems("[images]\nworkflow = \"ci/build.yml\"\nlatest = \"always\"\n[[images.image]]\nname = \"Mathesar:latest\"\n");
        assert_eq!(found.len(), 3, "{found:?}");
    }

    #[test]
    fn announcements_name_their_secrets_by_variable() {
        let config = parse(
            "[[announce]]\nname = \"team\"\nkind = \"matrix\"\nhomeserver = \"https://matrix.org\"\nroom = \"!r:matrix.org\"\ntoken_env = \"RELEASEBOT_ANNOUNCE_MATRIX\"\nmessage = \"{version} is out: {release_url}\"\n\n[[announce]]\nname = \"users\"\nkind = \"discord\"\nurl_env = \"RELEASEBOT_ANNOUNCE_DISCORD\"\nmessage = \"Mathesar {version}\"\n",
        )
        .unwrap();
        let names: Vec<(&str, &str)> = config
            .announce
            .iter()
            .map(|a| (a.name.as_str(), a.channel.kind()))
            .collect();
        assert_eq!(names, [("team", "matrix"), ("users", "discord")]);
        assert!(parse("").unwrap().announce.is_empty(), "none by default");
        assert_eq!(parse("").unwrap().merge_back, None);
        let back = parse(
            "base_branch = \"develop\"\ntarget_branch = \"master\"\nmerge_back = \"develop\"\n",
        );
        assert_eq!(back.unwrap().merge_back.as_deref(), Some("develop"));
    }

    #[test]
    fn a_candidate_pattern_is_a_numbered_pre_release() {
        let v = semver::Version::new(0, 1, 3);
        let default = parse("").unwrap();
        assert_eq!(default.candidate.version(&v, 1).to_string(), "0.1.3-rc.1");
        let qa = parse("candidate = \"qa.{n}\"\n").unwrap();
        assert_eq!(qa.candidate.version(&v, 2).to_string(), "0.1.3-qa.2");
        assert_eq!(
            problems("candidate = \"rc\"\n"),
            vec!["line 1: candidate: must contain `{n}` exactly once"]
        );
    }

    #[test]
    fn announcement_mistakes_are_named_with_what_to_write() {
        let found = problems(
            "[[announce]]\nname = \"Team\"\nkind = \"irc\"\nmessage = \"{versoin}\"\n\n[[announce]]\nname = \"x\"\nkind = \"slack\"\nurl_env = \"RELEASEBOT_WEBHOOK_SECRET\"\nmessage = \"hi\"\n\n[[announce]]\nkind = \"json\"\n",
        );
        assert_eq!(found.len(), 7, "{found:#?}");
        assert!(
            found[0].contains("announce[0].name: must be lowercase"),
            "{found:#?}"
        );
        assert!(found[1].contains("announce[0].kind: `irc` is not accepted"));
        assert!(found[2].contains("announce[0].message: `{versoin}` is not a placeholder"));
        assert!(found[3].contains("announce[1].url_env: must name an environment variable starting with `RELEASEBOT_ANNOUNCE_`"));
        assert!(
            found[4..]
                .iter()
                .all(|f| f.contains("announce[2]: needs `")),
            "{found:#?}"
        );
    }

    #[test]
    fn notes_sync_follows_mathesar_unless_told_otherwise() {
        let default = parse("").unwrap().notes.sync;
        assert_eq!(
            default.template.as_deref(),
            Some("docs/docs/releases/TEMPLATE.md")
        );
        let nav = default.nav.expect("Mathesar's docs have a navigation");
        assert_eq!(
            (
                nav.file.as_str(),
                nav.section.as_str(),
                nav.previous.as_deref()
            ),
            ("docs/mkdocs.yml", "Releases", Some("Previous releases"))
        );
        assert_eq!(nav.page.as_str(), "releases/{version}.md");
        assert_eq!(
            default.checklist_item.as_deref(),
            Some("Release notes linked")
        );
        let elsewhere = parse("checklist = [\"Smoke\"]\n").unwrap().notes.sync;
        assert_eq!(
            elsewhere.checklist_item, None,
            "not an item of this checklist"
        );

        let own = parse(
            "[notes]\npath = \"CHANGES/{version}.md\"\n[notes.sync]\ntemplate = \"\"\nheading = \"Unsorted\"\nnav_file = \"\"\n",
        )
        .unwrap()
        .notes
        .sync;
        assert_eq!(
            (own.template, own.heading.as_str(), own.nav),
            (None, "Unsorted", None)
        );
    }

    #[test]
    fn notes_sync_mistakes_name_their_key() {
        let found = problems(
            "[notes.sync]\ntemplate = \"../TEMPLATE.md\"\nheading = \" \"\nnav_page = \"releases.md\"\nnav_sections = \"Releases\"\n",
        );
        assert_eq!(found.len(), 4, "{found:#?}");
        assert!(
            found[0].starts_with("line 2: notes.sync.template: must be a path in the repository")
        );
        assert!(found[1].starts_with("line 3: notes.sync.heading: must not be empty"));
        assert!(found[2].starts_with("line 4: notes.sync.nav_page:"));
        assert!(
            found[3].contains("notes.sync.nav_sections: unknown key (did you mean `nav_section`?)")
        );
    }

    #[test]
    fn explicitly_allowed_notes_addresses_need_a_port() {
        let config = parse("[notes]\nallowed_addresses = [\"10.0.0.5:443\"]\n").unwrap();
        assert_eq!(
            config.notes.allowed_addresses,
            vec!["10.0.0.5:443".parse().unwrap()]
        );
        let found = problems("[notes]\nallowed_addresses = [\"10.0.0.5\"]\n");
        assert!(
            found[0].starts_with(
                "line 2: notes.allowed_addresses: `10.0.0.5` is not an address with a port"
            ),
            "{found:?}"
        );
    }

    #[test]
    fn broken_toml_points_at_the_line() {
        let found = problems("label = \"release\"\nbranch = \n");
        assert!(
            found[0].starts_with("line 2: is not valid TOML"),
            "{found:?}"
        );
    }
}
