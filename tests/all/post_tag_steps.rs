//! The workflows after the tag, as Mathesar's publication page orders them by hand: the docs
//! published with the images, the release published by the bot only once both succeeded (so
//! docs, tag and images are never out of step in public), the internal instance deployed after
//! the publication, then the merge back. A failed step holds what comes after it until
//! `/release retry`; a step held for an environment's approval is waiting, not failed.

use crate::harness::*;

const CONFIG: &str = r#"merge_back = "develop"

[[step]]
name = "docs"
workflow = "publish-docs.yml"
inputs = { version = "{version}", notes = "{notes_url}" }

[[step]]
name = "deploy"
workflow = "deploy.yml"
after = ["publish"]
environment = "internal"
inputs = { tag = "{tag}", commit = "{commit}" }

[publish]
after = ["images", "docs"]
"#;

const DOCS: &str = "name: Publish docs\non:\n  workflow_dispatch:\n    inputs:\n      version:\n        required: true\n      notes:\n        required: false\njobs:\n  publish:\n    runs-on: ubuntu-latest\n    steps:\n      - run: mike deploy \"$VERSION\"\n";
const DEPLOY: &str = "name: Deploy\non:\n  workflow_dispatch:\n    inputs:\n      tag:\n        required: true\n      commit:\n        required: true\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    environment: internal\n    steps:\n      - run: ./deploy.sh\n";

/// Mathesar with a docs and a deploy workflow, configured as above, and a `develop` branch to
/// merge back into.
async fn mathesar_with_steps() -> Scenario {
    let files = [
        (".github/releasebot.toml", CONFIG),
        (".github/workflows/publish-docs.yml", DOCS),
        (".github/workflows/deploy.yml", DEPLOY),
    ];
    let s = Scenario::mathesar_altered(|dir| {
        for (path, text) in files {
            std::fs::write(dir.join(path), text).unwrap();
        }
    })
    .await;
    let develop = [("mathesar/next.py", "# next\n")];
    s.sim.push_commit(
        REPO,
        "develop",
        WRITER,
        "Work for the next release",
        &develop,
    );
    s.deliver().await;
    s
}

/// `/release 0.1.3`, smoke-tested and merged by the maintainer: tagged, images and docs
/// dispatched.
async fn tagged(s: &Scenario) {
    crate::merge_back::release_merged(s).await;
}

fn all_ok(outcomes: Vec<Result<releasebot::engine::Outcome, releasebot::engine::EngineError>>) {
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
}

fn runs_of(s: &Scenario, file: &str) -> Vec<simulated_github::WorkflowRun> {
    s.sim
        .runs(REPO)
        .into_iter()
        .filter(|r| r.path == format!(".github/workflows/{file}"))
        .collect()
}

async fn finish(s: &Scenario, file: &str, conclusion: &str) {
    let run = runs_of(s, file).last().expect("a run").id;
    s.sim.complete_run(REPO, run, conclusion).unwrap();
    all_ok(s.deliver().await);
}

/// The status comment shows each of `lines`.
fn shows(s: &Scenario, lines: &[&str]) {
    let status = s.status_comment();
    let missing: Vec<&&str> = lines.iter().filter(|l| !status.contains(**l)).collect();
    assert!(missing.is_empty(), "{missing:?} not in {status}");
}

fn release(s: &Scenario) -> simulated_github::Release {
    let releases = s.sim.releases(REPO);
    assert_eq!(releases.len(), 1, "{releases:#?}");
    releases[0].clone()
}

#[tokio::test]
async fn the_bot_publishes_once_images_and_docs_succeeded_then_deploys_and_merges_back() {
    let s = mathesar_with_steps().await;
    tagged(&s).await;

    // The docs go with the images, with the release's facts as inputs; deploy waits.
    let docs = runs_of(&s, "publish-docs.yml");
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].head_branch, "0.1.3");
    assert_eq!(docs[0].actor, BOT);
    assert_eq!(docs[0].inputs["version"], "0.1.3");
    assert_eq!(s.images_runs().len(), 1);
    assert!(runs_of(&s, "deploy.yml").is_empty());
    let status = s.status_comment();
    let docs_run = format!("/actions/runs/{})", docs[0].id);
    assert!(
        status.contains("Step `docs` (`publish-docs.yml`): running ([run](")
            && status.contains(&docs_run),
        "{status}"
    );
    assert!(
        status.contains("Step `deploy` (`deploy.yml`): to come, after `publish`"),
        "{status}"
    );

    // Images built, docs still running: not public yet.
    finish(&s, "release-images.yml", "success").await;
    assert!(release(&s).draft, "published before the docs");
    assert!(runs_of(&s, "deploy.yml").is_empty());

    // Docs published: the bot publishes the release, Latest, then deploys.
    finish(&s, "publish-docs.yml", "success").await;
    let published = release(&s);
    assert!(
        !published.draft,
        "the bot publishes once images and docs succeeded"
    );
    assert_eq!(published.make_latest, "true");
    let deploy = runs_of(&s, "deploy.yml");
    assert_eq!(deploy.len(), 1, "deploy after the publication");
    assert_eq!(deploy[0].inputs["tag"], "0.1.3");
    // What follows publication ran without a person publishing: the merge back.
    let merged_back = s
        .sim
        .pulls(REPO)
        .into_iter()
        .any(|p| p.head == "master" && p.base == "develop" && p.merged);
    assert!(merged_back, "{:#?}", s.sim.pulls(REPO));

    finish(&s, "deploy.yml", "success").await;
    shows(
        &s,
        &[
            "- [x] Step `docs` (`publish-docs.yml`): succeeded",
            "- [x] Step `deploy` (`deploy.yml`): succeeded",
            "- [x] Release published",
        ],
    );
    // Each workflow ran once.
    assert_eq!(s.images_runs().len(), 1);
    assert_eq!(runs_of(&s, "publish-docs.yml").len(), 1);
    assert_eq!(runs_of(&s, "deploy.yml").len(), 1);
}
