//! A repository's own packaging workflow (Mathesar's `create-draft-release.yml`): on a tag
//! pushed by a token that starts workflows, or dispatched on a tag, it runs; when its run
//! succeeds it has made a draft release on the tag, as `github-actions[bot]`, with the packaged
//! files attached (`install.sh` naming the version the tag's files say, `mathesar.tar.gz`).
//! A failed run makes nothing. It can be told to package another version than the files say,
//! as Mathesar's 0.10.0 once shipped files that said 0.9.0.

use serde_json::Map;

use super::routes::actions::{add_run, workflow_name, workflow_text, Started};
use super::world::{Release, User, UserKind, WorkflowRun, World};

/// Whom the workflow's own `GITHUB_TOKEN` acts as; what it does starts no workflow.
pub const ACTIONS_BOT: &str = "github-actions[bot]";

/// How a repository's packaging workflow behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packaging {
    /// Its file in `.github/workflows/`; a tag whose commit lacks it starts nothing.
    pub workflow: String,
    /// The files it attaches to the draft, in order.
    pub assets: Vec<String>,
    /// Where the version is read at the tag's commit, and the word on its line
    /// (`mathesar/__init__.py`, `__version__`).
    pub version_file: String,
    pub version_key: String,
    /// Packages this version whatever the files say (a broken packaging step).
    pub packages_version: Option<String>,
}

impl Packaging {
    /// Mathesar's: `create-draft-release.yml`, attaching `install.sh` and `mathesar.tar.gz`,
    /// the version read from `mathesar/__init__.py`.
    pub fn mathesar() -> Packaging {
        Packaging {
            workflow: "create-draft-release.yml".into(),
            assets: vec!["install.sh".into(), "mathesar.tar.gz".into()],
            version_file: "mathesar/__init__.py".into(),
            version_key: "__version__".into(),
            packages_version: None,
        }
    }
}

/// A tag was created or moved by `by`: the packaging workflow runs on it (event `push`) when it
/// declares a `push` trigger, unless the push was made with a workflow's `GITHUB_TOKEN`, whose
/// events start no workflows.
pub fn tag_pushed(world: &mut World, repo: &str, full_ref: &str, by: &str) {
    let Some(tag) = full_ref.strip_prefix("refs/tags/") else {
        return;
    };
    if by == ACTIONS_BOT {
        return;
    }
    let Some(r) = world.repo(repo) else {
        return;
    };
    let (Some(packaging), Some(commit)) = (r.packaging.clone(), r.resolve(tag)) else {
        return;
    };
    let Some(text) = workflow_text(r, &packaging.workflow, &commit) else {
        return;
    };
    // Only a workflow that declares a `push` trigger runs on a push.
    if !text.lines().any(|l| l.trim_start().starts_with("push")) {
        return;
    }
    let name = workflow_name(&text, &packaging.workflow);
    let id = world.new_id();
    let now = world.timestamp();
    let started = Started {
        file: &packaging.workflow,
        name,
        event: "push",
        on: (tag.to_string(), commit),
        inputs: Map::new(),
        actor: by,
    };
    add_run(world, repo, (id, now), started);
}

/// The run is about to complete as `conclusion`: a successful packaging run has made its draft
/// with the assets (emitting `release` `created`) by then.
pub fn completing(world: &mut World, repo: &str, run: &WorkflowRun, conclusion: &str) {
    let Some(packaging) = world.repo(repo).and_then(|r| r.packaging.clone()) else {
        return;
    };
    if conclusion != "success" || run.path != format!(".github/workflows/{}", packaging.workflow) {
        return;
    }
    let version = packaging
        .packages_version
        .clone()
        .or_else(|| version_at(world, repo, &packaging, &run.head_sha))
        .unwrap_or_else(|| run.head_branch.clone());
    if !world.users.contains_key(ACTIONS_BOT) {
        let id = world.new_id();
        let user = User {
            id,
            kind: UserKind::Bot,
        };
        world.users.insert(ACTIONS_BOT.into(), user);
    }
    let id = world.new_id();
    let now = world.timestamp();
    let release = Release {
        id,
        tag_name: run.head_branch.clone(),
        target_commitish: run.head_sha.clone(),
        name: run.head_branch.clone(),
        body: String::new(),
        draft: true,
        prerelease: false,
        author: ACTIONS_BOT.into(),
        created_at: now,
        published_at: None,
        make_latest: "legacy".into(),
        immutable: false,
        assets: Vec::new(),
    };
    let Some(r) = world.repo_mut(repo) else {
        return;
    };
    r.releases.push(release.clone());
    for name in &packaging.assets {
        let (data, content_type) = packaged(name, &version, &packaging.workflow);
        let about = (name.as_str(), None, content_type);
        let _new_draft_takes_it = super::assets::upload(world, repo, id, about, data, ACTIONS_BOT);
    }
    let release = world
        .repo(repo)
        .and_then(|r| r.releases.iter().find(|rel| rel.id == id).cloned())
        .unwrap_or(release);
    super::releases::emit(world, repo, "created", &release, ACTIONS_BOT, None);
}

/// The version the files at `commit` say: the first value on the line with the key.
fn version_at(world: &World, repo: &str, packaging: &Packaging, commit: &str) -> Option<String> {
    let r = world.repo(repo)?;
    let tree = &r.git.commit(commit)?.tree;
    let (_, blob) = r.git.flatten(tree).get(&packaging.version_file)?.clone();
    let text = String::from_utf8(r.git.blob(&blob)?.clone()).ok()?;
    text.lines()
        .find_map(|line| value_after(line, &packaging.version_key))
}

/// `1.2.3` from `__version__ = "1.2.3"` or `mathesar_version: 1.2.3`, given the key.
fn value_after(line: &str, key: &str) -> Option<String> {
    let rest = line.trim_start().strip_prefix(key)?;
    let value: String = rest
        .trim_start_matches([' ', '=', ':', '"', '\''])
        .chars()
        .take_while(|c| !matches!(c, '"' | '\'' | ' ' | '\t'))
        .collect();
    (!value.is_empty()).then_some(value)
}

/// A packaged file's bytes and type: a script naming the version it installs, or an archive's
/// stand-in naming it too.
fn packaged(name: &str, version: &str, workflow: &str) -> (Vec<u8>, &'static str) {
    if name.ends_with(".sh") {
        let text = format!(
            "#!/usr/bin/env bash\n# Installs Mathesar {version}; packaged by {workflow}.\nset -e\nmathesar_version=\"{version}\"\n"
        );
        (text.into_bytes(), "application/x-sh")
    } else {
        let text = format!("{name}: Mathesar {version}, packaged by {workflow}\n");
        (text.into_bytes(), "application/gzip")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_is_the_first_value_after_the_key() {
        assert_eq!(
            value_after("__version__ = \"0.10.0\"", "__version__").as_deref(),
            Some("0.10.0")
        );
        assert_eq!(
            value_after("  mathesar_version: 0.2.1", "mathesar_version").as_deref(),
            Some("0.2.1")
        );
        assert_eq!(value_after("default_app_config = 'x'", "__version__"), None);
        assert_eq!(value_after("__version__ = \"\"", "__version__"), None);
    }

    #[test]
    fn an_install_script_names_the_version_it_installs() {
        let (data, kind) = packaged("install.sh", "0.9.0", "create-draft-release.yml");
        let text = String::from_utf8(data).unwrap();
        assert!(text.contains("mathesar_version=\"0.9.0\""), "{text}");
        assert_eq!(kind, "application/x-sh");
        let (data, kind) = packaged("mathesar.tar.gz", "0.9.0", "create-draft-release.yml");
        assert!(String::from_utf8(data).unwrap().contains("0.9.0"));
        assert_eq!(kind, "application/gzip");
    }
}
