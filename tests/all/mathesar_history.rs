//! Mathesar's own releases, from the version files its repository really held at each tag
//! (written by hand from the public history): the default configuration must release each of them
//! as the maintainers did, skip what was not there yet, and correct what had drifted.

use std::path::Path;

use releasebot::engine::{Outcome, Reply};
use simulated_github::MergeMethod;

use crate::harness::*;

const INIT_PY: &str = "mathesar/__init__.py";
const INSTALL_SH: &str = "install.sh";
const MKDOCS: &str = "docs/mkdocs.yml";

fn write(dir: &Path, path: &str, text: &str) {
    std::fs::write(dir.join(path), text).unwrap();
}

fn set_init_py(dir: &Path, version: &str) {
    write(
        dir,
        INIT_PY,
        &format!(
            "default_app_config = 'mathesar.apps.MathesarConfig'\n\n__version__ = \"{version}\"\n"
        ),
    );
}

/// `docs/mkdocs.yml` before the 0.1.2 release commit added `extra:` / `mathesar_version:`.
fn mkdocs_without_version_line(dir: &Path) {
    let text = std::fs::read_to_string(dir.join(MKDOCS)).unwrap();
    let cut = text.find("\nextra:").expect("the example ends with extra:");
    write(dir, MKDOCS, &text[..=cut]);
}

fn set_mkdocs_version(dir: &Path, version: &str) {
    let text = std::fs::read_to_string(dir.join(MKDOCS)).unwrap();
    write(
        dir,
        MKDOCS,
        &text.replace(
            "mathesar_version: 0.1.2",
            &format!("mathesar_version: {version}"),
        ),
    );
}

fn set_install_sh(dir: &Path, line: &str) {
    let text = std::fs::read_to_string(dir.join(INSTALL_SH)).unwrap();
    write(
        dir,
        INSTALL_SH,
        &text.replace(r#"github_tag=${1-"0.1.2"}"#, line),
    );
}

/// The alpha that the release process document is written for: `__version__ = "0.0.3"`,
/// `install.sh` downloading from `master`, the docs with no version line.
pub fn before_0_1_0(dir: &Path) {
    set_init_py(dir, "0.0.3");
    set_install_sh(dir, "github_tag=${1-master}");
    mkdocs_without_version_line(dir);
}

/// Tag 0.1.1: `install.sh` pinned to the tag, the docs still without a version line.
fn at_0_1_1(dir: &Path) {
    set_init_py(dir, "0.1.1");
    set_install_sh(dir, r#"github_tag=${1-"0.1.1"}"#);
    mkdocs_without_version_line(dir);
}

/// Tag 0.1.4: `install.sh` is gone (deleted after 0.1.3).
fn at_0_1_4(dir: &Path) {
    set_init_py(dir, "0.1.4");
    std::fs::remove_file(dir.join(INSTALL_SH)).unwrap();
    set_mkdocs_version(dir, "0.1.4");
}

/// Tag 0.1.5 as it shipped: `__version__` says 0.1.5, the docs still say 0.1.4.
fn at_0_1_5(dir: &Path) {
    at_0_1_4(dir);
    set_init_py(dir, "0.1.5");
}

/// Paths that differ between the base branch and the release branch.
fn changed_files(s: &Scenario, branch: &str) -> Vec<String> {
    let refs = s.sim.refs(REPO);
    let before = s.sim.tree_paths(REPO, &refs["refs/heads/master"]);
    let after = s
        .sim
        .tree_paths(REPO, &refs[&format!("refs/heads/{branch}")]);
    after
        .iter()
        .filter(|(path, entry)| before.get(*path) != Some(entry))
        .map(|(path, _)| path.clone())
        .collect()
}

fn pull_body(s: &Scenario) -> String {
    let pulls = s.sim.pulls(REPO);
    assert_eq!(pulls.len(), 1, "{pulls:?}");
    pulls[0].body.clone()
}

#[tokio::test]
async fn the_first_alpha_0_1_0_is_released_with_the_docs_skipped_visibly() {
    let s = Scenario::mathesar_at(&[], before_0_1_0).await;

    let outcome = only(s.comment(MAINTAINER, "/release 0.1.0").await);

    assert!(
        matches!(outcome, Outcome::ReleaseOpened { .. }),
        "{outcome:?}"
    );
    assert_eq!(changed_files(&s, "release/0.1.0"), [INSTALL_SH, INIT_PY]);
    assert_eq!(
        s.file_at("release/0.1.0", INIT_PY).unwrap(),
        "default_app_config = 'mathesar.apps.MathesarConfig'\n\n__version__ = \"0.1.0\"\n"
    );
    assert!(s
        .file_at("release/0.1.0", INSTALL_SH)
        .unwrap()
        .contains("\ngithub_tag=${1-\"0.1.0\"}\n"));
    let body = pull_body(&s);
    assert!(
        body.contains(
            "- `mathesar/__init__.py`: `0.0.3` → `0.1.0`\n\
             - `install.sh`: `master` → `0.1.0` (was out of step: the current version is `0.0.3`)\n\
             - `docs/mkdocs.yml`: no `mathesar_version` line, not changed\n"
        ),
        "{body}"
    );
    let status = s.status_comment();
    assert!(
        status
            .contains("Version file `docs/mkdocs.yml`: no `mathesar_version` line, not changed.\n"),
        "{status}"
    );

    // Merged, the commit is tagged: a file skipped by the bump is no disagreement at the tag.
    s.merge_release_pull(MergeMethod::Merge).await;
    assert!(
        s.sim.refs(REPO).contains_key("refs/tags/0.1.0"),
        "tagged; status comment: {}",
        s.status_comment()
    );
    assert_eq!(s.images_runs().len(), 1, "the images were dispatched");
}

#[tokio::test]
async fn the_dry_run_of_0_1_0_shows_the_skip_and_changes_nothing() {
    let s = Scenario::mathesar_at(&[], before_0_1_0).await;

    let outcome = only(s.comment(MAINTAINER, "/release 0.1.0 --dry-run").await);

    assert!(
        matches!(outcome, Outcome::Answered(Reply::DryRunPlan)),
        "{outcome:?}"
    );
    let reply = s.bot_comments().pop().unwrap();
    assert!(
        reply.contains("   - `docs/mkdocs.yml`: no `mathesar_version` line, not changed\n"),
        "{reply}"
    );
    assert_eq!(s.branches(), ["master"]);
}

#[tokio::test]
async fn release_0_1_2_from_tag_0_1_1_changes_two_files() {
    let s = Scenario::mathesar_at(&["0.1.0", "0.1.1"], at_0_1_1).await;

    only(s.comment(MAINTAINER, "/release 0.1.2").await);

    assert_eq!(changed_files(&s, "release/0.1.2"), [INSTALL_SH, INIT_PY]);
    assert!(
        pull_body(&s).contains("- `docs/mkdocs.yml`: no `mathesar_version` line, not changed\n")
    );
}

#[tokio::test]
async fn release_0_1_3_from_tag_0_1_2_changes_three_files_now_the_docs_carry_the_version() {
    let s = Scenario::mathesar().await;

    only(s.comment(MAINTAINER, "/release 0.1.3").await);

    assert_eq!(
        changed_files(&s, "release/0.1.3"),
        [MKDOCS, INSTALL_SH, INIT_PY]
    );
    assert!(!pull_body(&s).contains("not changed"));
    assert!(!s.status_comment().contains("Version file"));
}

#[tokio::test]
async fn release_0_1_5_without_install_sh_changes_two_files() {
    let s = Scenario::mathesar_at(&["0.1.0", "0.1.1", "0.1.2", "0.1.3", "0.1.4"], at_0_1_4).await;

    only(s.comment(MAINTAINER, "/release 0.1.5").await);

    assert_eq!(changed_files(&s, "release/0.1.5"), [MKDOCS, INIT_PY]);
    let body = pull_body(&s);
    assert!(
        body.contains("- `install.sh`: not in the repository, not changed\n"),
        "{body}"
    );
    assert!(!body.contains("out of step"), "{body}");
}

#[tokio::test]
async fn release_0_1_6_corrects_the_docs_that_0_1_5_shipped_saying_0_1_4() {
    let tags = ["0.1.0", "0.1.1", "0.1.2", "0.1.3", "0.1.4", "0.1.5"];
    let s = Scenario::mathesar_at(&tags, at_0_1_5).await;

    let dry = only(s.comment(MAINTAINER, "/release 0.1.6 --dry-run").await);
    assert!(
        matches!(dry, Outcome::Answered(Reply::DryRunPlan)),
        "{dry:?}"
    );
    let plan = s.bot_comments().pop().unwrap();
    assert!(
        plan.contains(
            "   - `docs/mkdocs.yml`: `0.1.4` → `0.1.6` (was out of step: the current version is `0.1.5`)\n"
        ),
        "{plan}"
    );

    only(s.comment(MAINTAINER, "/release 0.1.6").await);

    assert_eq!(changed_files(&s, "release/0.1.6"), [MKDOCS, INIT_PY]);
    assert!(s
        .file_at("release/0.1.6", MKDOCS)
        .unwrap()
        .ends_with("extra:\n  mathesar_version: 0.1.6\n"));
    assert!(pull_body(&s).contains("`0.1.4` → `0.1.6` (was out of step"));
}

/// A checkout from before the docs existed at all: no `docs/mkdocs.yml`, the alpha's other
/// files. The missing file is skipped visibly, not created and not an error.
#[tokio::test]
async fn a_checkout_without_the_docs_file_at_all_is_released_with_it_skipped() {
    let s = Scenario::mathesar_at(&[], |dir| {
        before_0_1_0(dir);
        std::fs::remove_file(dir.join(MKDOCS)).unwrap();
    })
    .await;

    let outcome = only(s.comment(MAINTAINER, "/release 0.1.0").await);

    assert!(
        matches!(outcome, Outcome::ReleaseOpened { .. }),
        "{outcome:?}"
    );
    assert_eq!(changed_files(&s, "release/0.1.0"), [INSTALL_SH, INIT_PY]);
    assert_eq!(s.file_at("release/0.1.0", MKDOCS), None, "not created");
    let body = pull_body(&s);
    assert!(
        body.contains("- `docs/mkdocs.yml`: not in the repository, not changed\n"),
        "{body}"
    );
}
