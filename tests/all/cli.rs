//! The command-line tools on a checkout shaped like Mathesar's, run as a person would run them.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use crate::harness::mathesar_copy;

fn releasebot(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_releasebot"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the releasebot binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn read(dir: &Path, path: &str) -> String {
    std::fs::read_to_string(dir.join(path)).unwrap()
}

#[test]
fn bump_changes_exactly_the_three_version_strings() {
    let checkout = mathesar_copy();
    let dir = checkout.path();
    let before = [
        "mathesar/__init__.py",
        "install.sh",
        "docs/mkdocs.yml",
        "docker-compose.yml",
        "Dockerfile",
    ]
    .map(|p| (p, read(dir, p)));

    let out = releasebot(&["bump", "0.1.3"], dir);

    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "mathesar/__init__.py: 0.1.2 → 0.1.3\ninstall.sh: 0.1.2 → 0.1.3\ndocs/mkdocs.yml: 0.1.2 → 0.1.3\n"
    );
    for (path, old) in &before {
        let expected = match *path {
            "mathesar/__init__.py" => {
                old.replace(r#"__version__ = "0.1.2""#, r#"__version__ = "0.1.3""#)
            }
            "install.sh" => old.replace(r#"github_tag=${1-"0.1.2"}"#, r#"github_tag=${1-"0.1.3"}"#),
            "docs/mkdocs.yml" => old.replace("mathesar_version: 0.1.2", "mathesar_version: 0.1.3"),
            _ => old.clone(),
        };
        assert_eq!(read(dir, path), expected, "{path}");
    }
    let mode = std::fs::metadata(dir.join("install.sh"))
        .unwrap()
        .permissions()
        .mode();
    assert_ne!(mode & 0o111, 0, "install.sh stays executable");
}

#[test]
fn bump_refuses_a_bad_version_with_exit_code_2_and_writes_nothing() {
    let checkout = mathesar_copy();
    let dir = checkout.path();
    let before = read(dir, "mathesar/__init__.py");

    for (version, expected) in [
        ("v0.1.3", "write `/release 0.1.3`"),
        ("banana", "not a semantic version"),
        ("0.1.2", "not greater than the current version `0.1.2`"),
    ] {
        let out = releasebot(&["bump", version], dir);
        assert_eq!(out.status.code(), Some(2), "{version}");
        assert!(
            text(&out.stderr).contains(expected),
            "{version}: {}",
            text(&out.stderr)
        );
    }
    assert_eq!(read(dir, "mathesar/__init__.py"), before);
}

#[test]
fn bump_stops_before_writing_anything_when_a_file_is_ambiguous() {
    let checkout = mathesar_copy();
    let dir = checkout.path();
    std::fs::write(
        dir.join("docs/mkdocs.yml"),
        "extra:\n  mathesar_version: 0.1.2\n  mathesar_version: 0.1.2\n",
    )
    .unwrap();
    let init_before = read(dir, "mathesar/__init__.py");

    let out = releasebot(
        &["bump", "0.1.3", "--dir", dir.to_str().unwrap()],
        Path::new("/"),
    );

    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("matches `docs/mkdocs.yml` in several places (lines 2, 3)"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        read(dir, "mathesar/__init__.py"),
        init_before,
        "all or nothing"
    );
}

#[test]
fn bump_follows_the_checkouts_own_config() {
    let checkout = mathesar_copy();
    let dir = checkout.path();
    std::fs::create_dir_all(dir.join(".github")).unwrap();
    std::fs::write(
        dir.join(".github/releasebot.toml"),
        "permision = \"write\"\n",
    )
    .unwrap();

    let out = releasebot(&["bump", "0.1.3"], dir);

    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("permision: unknown key"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn plan_prints_the_changes_and_changes_nothing() {
    let checkout = mathesar_copy();
    let dir = checkout.path();
    let before = read(dir, "install.sh");

    let out = releasebot(&["plan", "0.1.3"], dir);

    assert!(out.status.success(), "{}", text(&out.stderr));
    let plan = text(&out.stdout);
    assert!(plan.contains("Release 0.1.2 → 0.1.3"), "{plan}");
    assert!(plan.contains("   install.sh\n       4 - github_tag=${1-\"0.1.2\"}\n       4 + github_tag=${1-\"0.1.3\"}\n"), "{plan}");
    assert!(
        plan.contains(
            "mathesar/mathesar-prod:0.1.3 and mathesar/mathesar-prod:latest from Dockerfile"
        ),
        "{plan}"
    );
    assert!(plan.ends_with("Nothing was changed.\n"), "{plan}");
    assert_eq!(read(dir, "install.sh"), before);
}

#[test]
fn plan_0_1_0_on_the_alpha_checkout_prints_the_skip_and_what_was_out_of_step() {
    let checkout = mathesar_copy();
    let dir = checkout.path();
    crate::mathesar_history::before_0_1_0(dir);

    let out = releasebot(
        &["plan", "0.1.0", "--dir", dir.to_str().unwrap()],
        Path::new("/"),
    );

    assert!(out.status.success(), "{}", text(&out.stderr));
    let plan = text(&out.stdout);
    assert!(plan.contains("Release 0.0.3 → 0.1.0"), "{plan}");
    assert!(
        plan.contains("   install.sh (said master, out of step with 0.0.3; corrected)\n"),
        "{plan}"
    );
    assert!(
        plan.contains("   `docs/mkdocs.yml`: no `mathesar_version` line, not changed\n"),
        "{plan}"
    );
    assert!(plan.ends_with("Nothing was changed.\n"), "{plan}");
}

#[test]
fn check_config_lists_every_problem_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("releasebot.toml");
    std::fs::write(
        &file,
        "permission = \"owner\"\nbranch = \"release\"\n\n[images]\nlatest = \"sometimes\"\n",
    )
    .unwrap();

    let out = releasebot(&["check-config", file.to_str().unwrap()], dir.path());

    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<String> = text(&out.stdout).lines().map(String::from).collect();
    let shown = file.display().to_string();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines[0].starts_with(&format!("{shown}:1: permission: `owner` is not accepted")),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with(&format!(
            "{shown}:2: branch: must contain `{{version}}` exactly once"
        )),
        "{lines:?}"
    );
    assert!(
        lines[2].starts_with(&format!(
            "{shown}:5: images.latest: `sometimes` is not accepted"
        )),
        "{lines:?}"
    );
}

#[test]
fn check_config_accepts_the_example_and_summarises_it() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/releasebot.toml");

    let out = releasebot(&["check-config", example.to_str().unwrap()], Path::new("/"));

    assert!(out.status.success(), "{}", text(&out.stdout));
    let summary = text(&out.stdout);
    assert!(summary.starts_with("ok\n"), "{summary}");
    assert!(
        summary.contains("version file: mathesar/__init__.py (primary)"),
        "{summary}"
    );
}

#[test]
fn check_config_names_a_bad_branch_model_and_summarises_a_good_one() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("releasebot.toml");
    std::fs::write(
        &file,
        "base_branch = \"develop\"\ntarget_branch = \"refs/heads/master\"\npr_milestone = \" v{version}\"\n",
    )
    .unwrap();

    let out = releasebot(&["check-config", file.to_str().unwrap()], dir.path());

    assert_eq!(out.status.code(), Some(1));
    let shown = file.display().to_string();
    assert_eq!(
        text(&out.stdout).lines().collect::<Vec<_>>(),
        [
            format!("{shown}:2: target_branch: `refs/heads/master` is a full ref; give the branch's name alone (`master`)"),
            format!("{shown}:3: pr_milestone: must not start or end with white space: GitHub trims titles, and the milestone would not be found again by its name"),
        ]
    );

    std::fs::write(
        &file,
        "base_branch = \"develop\"\ntarget_branch = \"master\"\nbranch = \"release-{version}\"\n\
         pr_draft = true\npr_milestone = \"v{version}\"\n",
    )
    .unwrap();
    let out = releasebot(&["check-config", file.to_str().unwrap()], dir.path());

    assert!(out.status.success(), "{}", text(&out.stdout));
    let summary = text(&out.stdout);
    for line in [
        "base branch: develop\n",
        "pull request into: master\n",
        "pull request: draft on milestone v{version}\n",
        "branch: release-{version}  tag: {version}",
    ] {
        assert!(summary.contains(line), "{line:?} in {summary}");
    }
}

#[test]
fn check_config_on_a_missing_file_exits_2() {
    let dir = tempfile::tempdir().unwrap();

    let out = releasebot(&["check-config"], dir.path());

    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot read .github/releasebot.toml"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn simulate_refuses_an_app_it_cannot_install_with_what_to_write() {
    let dir = tempfile::tempdir().unwrap();
    for (app, expected) in [
        ("4242", "--app 4242: write ID:PUBLIC_KEY_PEM_FILE"),
        ("x:key.pem", "--app x:key.pem: the App id must be a number"),
        (
            "4242:missing.pem",
            "--app 4242:missing.pem: cannot read missing.pem",
        ),
    ] {
        let output = releasebot(
            &["simulate", "--listen", "127.0.0.1:0", "--app", app],
            dir.path(),
        );
        assert_eq!(output.status.code(), Some(1), "{app}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(expected), "{app}: {stderr}");
    }
}

/// The quickstart plays a whole release with people acting over the simulator's HTTP routes,
/// and fails if the simulator broke GitHub's published descriptions on the way.
#[test]
fn demo_plays_a_whole_release_through_the_routes_people_use() {
    let checkout = mathesar_copy();

    let out = releasebot(&["demo"], checkout.path());

    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}\n{}", stdout, text(&out.stderr));
    assert!(
        stdout.contains("Draft release \"0.1.3\" on tag 0.1.3"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Images pushed for linux/amd64, linux/arm64"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Pre-release \"0.1.3 QA candidate 1 (testing release, not for production)\" on tag 0.1.3-rc.1 (published, never Latest)"),
        "{stdout}"
    );
    // The third release runs the steps after the tag, and releasebot publishes it.
    for part in [
        "Release \"0.1.5\": published by releasebot",
        "- [x] Step `docs` (`publish-docs.yml`): succeeded",
        "- [x] Step `deploy` (`deploy.yml`): succeeded",
    ] {
        assert!(stdout.contains(part), "{part} in {stdout}");
    }
}
