//! Mathesar's release as done today, with its own packaging workflow (`create-draft-release.yml`)
//! and immutable releases on: releasebot adopts the workflow's draft with its assets instead of
//! making a second one, checks the assets before the release goes on (all there, `install.sh`
//! naming the version, `SHA256SUMS` added), shows a failed packaging run with its link and
//! dispatches it again on `/release retry`, and never deletes a tag.

use releasebot::engine::{EngineError, Outcome};
use simulated_github::{MergeMethod, Packaging, ACTIONS_BOT};

use crate::harness::*;

const CONFIG: &str = r#"release_title = "Version {version} (alpha release)"
release_notes = "__[Release notes](https://docs.mathesar.org/releases/{version}/)__"

[packaging]
workflow = "create-draft-release.yml"
assets = ["install.sh", "mathesar.tar.gz"]
version_asset = "install.sh"
"#;

/// Mathesar's workflow: on a tag push, and by dispatch.
const ON_PUSH_AND_DISPATCH: &str = "name: Create draft release\non:\n  push:\n    tags: ['*']\n  workflow_dispatch:\njobs:\n  package:\n    runs-on: ubuntu-latest\n";
/// A workflow that only runs when dispatched.
const ON_DISPATCH_ONLY: &str = "name: Create draft release\non:\n  workflow_dispatch:\njobs:\n  package:\n    runs-on: ubuntu-latest\n";

/// Mathesar at 0.1.2 with the configuration above, its packaging workflow behaving as
/// `packaging` says, and immutable releases on.
async fn mathesar_packaged(workflow: &'static str, packaging: Packaging) -> Scenario {
    let s = Scenario::mathesar_altered(|dir| {
        std::fs::write(dir.join(".github/releasebot.toml"), CONFIG).unwrap();
        let file = dir.join(".github/workflows/create-draft-release.yml");
        std::fs::write(file, workflow).unwrap();
    })
    .await;
    s.sim.set_packaging(REPO, packaging);
    s.sim.set_immutable_releases(REPO, true);
    s
}

/// The release asked for and its pull request merged: the bot tags the merge commit.
async fn merged(s: &Scenario) -> Vec<Result<Outcome, EngineError>> {
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.merge_release_pull(MergeMethod::Merge).await
}

pub fn packaging_runs(s: &Scenario) -> Vec<simulated_github::WorkflowRun> {
    s.sim
        .runs(REPO)
        .into_iter()
        .filter(|r| r.path == ".github/workflows/create-draft-release.yml")
        .collect()
}

/// The newest packaging run finishes; GitHub's webhooks reach the bot.
async fn finish_packaging(s: &Scenario, conclusion: &str) -> Vec<Result<Outcome, EngineError>> {
    let run = packaging_runs(s).last().expect("a packaging run").id;
    s.sim.complete_run(REPO, run, conclusion).unwrap();
    s.deliver().await
}

fn no_errors(outcomes: &[Result<Outcome, EngineError>]) {
    assert!(outcomes.iter().all(|o| o.is_ok()), "{outcomes:?}");
}

fn asset_text(release: &simulated_github::Release, name: &str) -> String {
    let asset = release.assets.iter().find(|a| a.name == name).unwrap();
    String::from_utf8(asset.data.clone()).unwrap()
}

#[tokio::test]
async fn the_packaging_workflows_draft_is_adopted_with_its_assets_and_checksums() {
    let s = mathesar_packaged(ON_PUSH_AND_DISPATCH, Packaging::mathesar()).await;
    let tags_before: Vec<String> = s.sim.refs(REPO).into_keys().collect();
    no_errors(&merged(&s).await);
    // The bot's tag (an App's token starts workflows) ran the packaging: nothing dispatched.
    let runs = packaging_runs(&s);
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].event, "push");
    assert!(
        s.images_runs().is_empty(),
        "nothing is built before the draft"
    );
    assert!(
        s.sim.releases(REPO).is_empty(),
        "the bot makes no draft of its own"
    );

    no_errors(&finish_packaging(&s, "success").await);
    let releases = s.sim.releases(REPO);
    assert_eq!(releases.len(), 1, "one draft: {releases:?}");
    let draft = &releases[0];
    assert_eq!((draft.author.as_str(), draft.draft), (ACTIONS_BOT, true));
    assert_eq!(draft.name, "Version 0.1.3 (alpha release)");
    assert!(draft
        .body
        .contains("__[Release notes](https://docs.mathesar.org/releases/0.1.3/)__"));
    assert!(
        draft.body.contains("`mathesar/mathesar-caddy:0.1.3`"),
        "{}",
        draft.body
    );
    let names: Vec<&str> = draft.assets.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["install.sh", "mathesar.tar.gz", "SHA256SUMS"]);
    let sums = asset_text(draft, "SHA256SUMS");
    assert!(
        sums.ends_with("  install.sh\n") || sums.contains("  install.sh\n"),
        "{sums}"
    );
    assert_eq!(sums.lines().count(), 2);
    assert_eq!(
        s.images_runs().len(),
        1,
        "the images are built once the assets are checked"
    );

    no_errors(&s.finish_images_run("success").await);
    s.sim.publish_release(REPO, draft.id, MAINTAINER).unwrap();
    no_errors(&s.deliver().await);
    let published = &s.sim.releases(REPO)[0];
    assert!(published.immutable && !published.draft);
    assert_eq!(packaging_runs(&s).len(), 1, "never dispatched");
    let tags_after: Vec<String> = s.sim.refs(REPO).into_keys().collect();
    assert!(
        tags_before.iter().all(|t| tags_after.contains(t)),
        "no ref deleted"
    );
    assert!(
        !s.api_calls().iter().any(|c| c.starts_with("DELETE ")),
        "{:?}",
        s.api_calls()
    );
}

#[tokio::test]
async fn missing_assets_are_refused_with_the_reason_on_the_status_comment() {
    let only_the_script = Packaging {
        assets: vec!["install.sh".into()],
        ..Packaging::mathesar()
    };
    let s = mathesar_packaged(ON_PUSH_AND_DISPATCH, only_the_script).await;
    merged(&s).await;
    finish_packaging(&s, "success").await;

    let status = s.status_comment();
    assert!(status.contains("missing: `mathesar.tar.gz`"), "{status}");
    assert!(status.contains("/release retry"), "{status}");
    assert!(s.images_runs().is_empty(), "nothing is built");
    assert!(
        !s.sim.releases(REPO)[0].body.contains("releasebot:release"),
        "not adopted"
    );
}

/// Mathesar shipped 0.10.0 whose files still said 0.9.0.
#[tokio::test]
async fn an_install_script_naming_another_version_is_refused() {
    let stale = Packaging {
        packages_version: Some("0.1.2".into()),
        ..Packaging::mathesar()
    };
    let s = mathesar_packaged(ON_PUSH_AND_DISPATCH, stale).await;
    merged(&s).await;
    finish_packaging(&s, "success").await;

    let status = s.status_comment();
    assert!(status.contains("`install.sh` names 0.1.2"), "{status}");
    assert!(s.images_runs().is_empty());
    let draft = &s.sim.releases(REPO)[0];
    assert!(
        draft.assets.iter().all(|a| a.name != "SHA256SUMS"),
        "nothing added to it"
    );
}

#[tokio::test]
async fn a_failed_packaging_run_is_shown_with_its_link_and_dispatched_again_on_retry() {
    let s = mathesar_packaged(ON_PUSH_AND_DISPATCH, Packaging::mathesar()).await;
    merged(&s).await;
    no_errors(&finish_packaging(&s, "failure").await);
    let failed = packaging_runs(&s)[0].clone();
    let status = s.status_comment();
    assert!(
        status.contains("`create-draft-release.yml` failed"),
        "{status}"
    );
    assert!(
        status.contains(&format!("actions/runs/{}", failed.id)),
        "{status}"
    );
    assert!(s.sim.releases(REPO).is_empty());

    no_errors(&s.comment(MAINTAINER, "/release retry").await);
    let runs = packaging_runs(&s);
    assert_eq!(runs.len(), 2, "dispatched again, once");
    assert_eq!(runs[1].event, "workflow_dispatch");
    assert_eq!(runs[1].head_branch, "0.1.3");
    no_errors(&finish_packaging(&s, "success").await);
    assert_eq!(s.sim.releases(REPO).len(), 1);
    assert_eq!(s.images_runs().len(), 1);
}

#[tokio::test]
async fn a_redelivered_tag_event_dispatches_the_packaging_once() {
    let s = mathesar_packaged(ON_DISPATCH_ONLY, Packaging::mathesar()).await;
    let commit = s.sim.push_commit(
        REPO,
        "master",
        MAINTAINER,
        "Release 0.1.3",
        &[
            (
                "mathesar/__init__.py",
                "default_app_config = 'mathesar.apps.MathesarConfig'\n\n__version__ = \"0.1.3\"\n",
            ),
            (
                "install.sh",
                &s.file_at("master", "install.sh")
                    .unwrap()
                    .replace("0.1.2", "0.1.3"),
            ),
            (
                "docs/mkdocs.yml",
                &s.file_at("master", "docs/mkdocs.yml")
                    .unwrap()
                    .replace("0.1.2", "0.1.3"),
            ),
        ],
    );
    s.deliver().await;
    s.sim.push_tag(REPO, "0.1.3", &commit, MAINTAINER, false);
    let deliveries = s.sim.take_deliveries();
    let created = deliveries.iter().find(|d| d.event == "create").unwrap();
    s.redeliver(&created.event, &created.payload).await.unwrap();
    s.redeliver(&created.event, &created.payload).await.unwrap();

    let runs = packaging_runs(&s);
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].event, "workflow_dispatch");
    no_errors(&finish_packaging(&s, "success").await);
    assert_eq!(s.sim.releases(REPO).len(), 1);
}

#[tokio::test]
async fn a_dispatched_packaging_run_github_has_not_listed_yet_is_waited_for_not_dispatched_again() {
    let s = mathesar_packaged(ON_DISPATCH_ONLY, Packaging::mathesar()).await;
    // GitHub lists a dispatched run a while after the dispatch.
    s.sim
        .delay_run_listing(REPO, std::time::Duration::from_secs(3600));
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.sim
        .merge_pull(REPO, s.release_pull(), MergeMethod::Merge, MAINTAINER)
        .unwrap();
    let merge = s.sim.take_deliveries();
    for delivery in &merge {
        no_errors(&[s.redeliver(&delivery.event, &delivery.payload).await]);
    }
    assert_eq!(packaging_runs(&s).len(), 1, "dispatched on the tag");

    // Every delivery again, and the bot's own tag events: the run is not listed yet, and the
    // dispatch recorded on the status comment is waited for.
    let tagged = s.sim.take_deliveries();
    for delivery in merge.iter().chain(&tagged) {
        no_errors(&[s.redeliver(&delivery.event, &delivery.payload).await]);
    }
    let runs = packaging_runs(&s);
    assert_eq!(runs.len(), 1, "never dispatched twice: {runs:?}");
    assert!(s.sim.releases(REPO).is_empty());
    let status = s.status_comment();
    assert!(
        status.contains("with its assets from `create-draft-release.yml`, dispatched on `0.1.3` (if no run appears, comment `/release retry`)"),
        "{status}"
    );

    // The run ends; its draft is adopted as usual.
    no_errors(&finish_packaging(&s, "success").await);
    assert_eq!(s.sim.releases(REPO).len(), 1);
    assert_eq!(s.images_runs().len(), 1);
}
