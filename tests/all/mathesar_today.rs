//! Mathesar's release as its maintainers do it today, played from `examples/mathesar-today.toml`
//! with immutable releases on: cut from `develop`, a draft pull request into `master` on its
//! milestone, merged through the merge queue, the queue's commit tagged, the packaging workflow's
//! draft adopted with its assets, the images built with `latest`, published by a person, and
//! `master` merged back into `develop` — one draft, and no tag or release ever deleted.

use releasebot::engine::Outcome;
use simulated_github::{MergeMethod, Packaging, ACTIONS_BOT};

use crate::branch_model::develop_moves_on;
use crate::harness::*;
use crate::packaged_release::packaging_runs;

const EXAMPLE: &str = include_str!("../../examples/mathesar-today.toml");
const QUEUE: &str = "github-merge-queue[bot]";
const PACKAGING_WORKFLOW: &str = "name: Create draft release\non:\n  push:\n    tags: ['*']\n  workflow_dispatch:\njobs:\n  package:\n    runs-on: ubuntu-latest\n";

/// Mathesar at 0.1.2 configured as the example says, its packaging workflow and immutable
/// releases on, and work on `develop` that `master` has not seen.
pub async fn mathesar_today() -> Scenario {
    let s = Scenario::mathesar_altered(|dir| {
        std::fs::write(dir.join(".github/releasebot.toml"), EXAMPLE).unwrap();
        let file = dir.join(".github/workflows/create-draft-release.yml");
        std::fs::write(file, PACKAGING_WORKFLOW).unwrap();
    })
    .await;
    s.sim.set_packaging(REPO, Packaging::mathesar());
    s.sim.set_immutable_releases(REPO, true);
    develop_moves_on(&s).await;
    s
}

fn all_ok(outcomes: &[Result<Outcome, releasebot::engine::EngineError>]) {
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
}

#[tokio::test]
async fn mathesar_today_from_develop_through_the_queue_to_a_published_release_merged_back() {
    let s = mathesar_today().await;
    let refs_before: Vec<String> = s.sim.refs(REPO).into_keys().collect();

    // Cut from develop: a draft pull request into master, on its milestone.
    let opened = only(s.comment(MAINTAINER, "/release 0.1.3").await);
    assert!(
        matches!(opened, Outcome::ReleaseOpened { .. }),
        "{opened:?}"
    );
    let pull = s.sim.pulls(REPO)[0].clone();
    assert_eq!(
        (pull.head.as_str(), pull.base.as_str()),
        ("release-0.1.3", "master")
    );
    assert!(pull.draft);
    assert_eq!(pull.milestone.as_deref(), Some("v0.1.3"));
    assert!(s
        .file_at("release-0.1.3", "docs/mkdocs.yml")
        .unwrap()
        .contains("mathesar_version: 0.1.3"));
    all_ok(&s.finish_smoke_run("success").await);

    // Marked ready and merged through the queue: the queue's commit is tagged, and the tag
    // (an App's token starts workflows) runs the packaging workflow.
    s.sim.mark_ready(REPO, pull.number, MAINTAINER).unwrap();
    let queued = s
        .sim
        .merge_through_queue(REPO, pull.number, MergeMethod::Merge, MAINTAINER)
        .unwrap();
    all_ok(&s.deliver().await);
    assert_eq!(s.sim.commit(REPO, &queued).unwrap().author, QUEUE);
    assert_eq!(s.sim.resolve(REPO, Some("0.1.3")), Some(queued));
    assert_eq!(packaging_runs(&s).len(), 1);
    assert!(
        s.images_runs().is_empty(),
        "nothing built before the assets"
    );

    // The packaging draft is adopted, its assets checked, and both images built with latest.
    let run = packaging_runs(&s)[0].id;
    s.sim.complete_run(REPO, run, "success").unwrap();
    all_ok(&s.deliver().await);
    let releases = s.sim.releases(REPO);
    assert_eq!(releases.len(), 1, "one draft: {releases:?}");
    let draft = &releases[0];
    assert_eq!((draft.author.as_str(), draft.draft), (ACTIONS_BOT, true));
    assert_eq!(draft.name, "Version 0.1.3 (alpha release)");
    let names: Vec<&str> = draft.assets.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["install.sh", "mathesar.tar.gz", "SHA256SUMS"]);
    assert!(
        draft.body.contains("`mathesar/mathesar:0.1.3`"),
        "{}",
        draft.body
    );
    let images = s.images_runs();
    assert_eq!(images.len(), 1);
    assert_eq!(
        (
            images[0].inputs["version"].as_str(),
            images[0].inputs["latest"].as_str()
        ),
        (Some("0.1.3"), Some("true"))
    );
    all_ok(&s.finish_images_run("success").await);

    // A person publishes; master is merged back into develop.
    s.sim.publish_release(REPO, draft.id, MAINTAINER).unwrap();
    all_ok(&s.deliver().await);
    let published = &s.sim.releases(REPO)[0];
    assert!(published.immutable && !published.draft);
    let back: Vec<_> = s
        .sim
        .pulls(REPO)
        .into_iter()
        .filter(|p| p.head == "master" && p.base == "develop")
        .collect();
    assert_eq!(back.len(), 1, "{back:?}");
    assert!(back[0].merged);

    // Nothing deleted: every ref there before is there still, and no DELETE was sent.
    let refs_after: Vec<String> = s.sim.refs(REPO).into_keys().collect();
    assert!(refs_before.iter().all(|r| refs_after.contains(r)));
    assert!(
        !s.api_calls().iter().any(|c| c.starts_with("DELETE ")),
        "{:?}",
        s.api_calls()
    );
    let status = s.status_comment();
    assert!(
        status.contains("Merge back of `master` into `develop`: ✅ merged"),
        "{status}"
    );
}

#[test]
fn the_example_configuration_is_valid() {
    let config = releasebot::config::Config::parse(EXAMPLE).expect("the example parses");
    assert_eq!(config.base_branch.as_deref(), Some("develop"));
    assert_eq!(config.merge_back.as_deref(), Some("develop"));
    assert!(config.packaging.is_some());
}

#[tokio::test]
async fn a_dry_run_lists_every_step_from_the_branch_to_the_merge_back_and_changes_nothing() {
    let s = mathesar_today().await;
    let refs_before = s.sim.refs(REPO);

    only(s.comment(MAINTAINER, "/release 0.1.3 --dry-run").await);

    let said = s.bot_comments().join("\n");
    for step in [
        "create branch `release-0.1.3` from `develop`",
        "open draft pull request `Release 0.1.3` into `master` on milestone `v0.1.3` (made if missing)",
        "tag the merge commit `0.1.3`, run `create-draft-release.yml` on the tag",
        "checking its assets (`install.sh`, `mathesar.tar.gz`)",
        "5. once a person publishes the release: merge `master` back into `develop`.",
    ] {
        assert!(said.contains(step), "{step:?} missing from:\n{said}");
    }
    assert_eq!(s.sim.refs(REPO), refs_before, "nothing changed");
    assert!(s.sim.pulls(REPO).is_empty());
}
