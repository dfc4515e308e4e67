//! The workflows after the tag, as Mathesar's publication page orders them by hand: the docs
//! published with the images, the release published by the bot only once both succeeded (so
//! docs, tag and images are never out of step in public), the internal instance deployed after
//! the publication, then the merge back. A failed step holds what comes after it until
//! `/release retry`; a step held for an environment's approval is waiting, not failed.

use crate::harness::*;
use crate::merge_back::merge_back_pulls;

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
    mathesar_with(&[
        (".github/releasebot.toml", CONFIG),
        (".github/workflows/publish-docs.yml", DOCS),
        (".github/workflows/deploy.yml", DEPLOY),
    ])
    .await
}

/// The same, with only these files added.
async fn mathesar_with(files: &[(&str, &str)]) -> Scenario {
    let s = Scenario::mathesar_altered(|dir| {
        for (path, text) in files {
            std::fs::write(dir.join(path), *text).unwrap();
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

/// The status comment shows each of `lines`.
fn shows(s: &Scenario, lines: &[&str]) {
    contains_all(&s.status_comment(), lines);
}

/// The deploy run succeeds: every step is done.
async fn deployed(s: &Scenario) {
    all_ok(&s.finish_run("deploy.yml", "success").await);
    shows(
        s,
        &[
            "- [x] Step `docs` (`publish-docs.yml`): succeeded",
            "- [x] Step `deploy` (`deploy.yml`): succeeded",
        ],
    );
}

fn contains_all(text: &str, parts: &[&str]) {
    let missing: Vec<&&str> = parts.iter().filter(|p| !text.contains(**p)).collect();
    assert!(missing.is_empty(), "{missing:?} not in {text}");
}

/// Tagged, the images built and the docs published: the bot has published the release and
/// dispatched the deploy.
async fn published_by_the_bot() -> Scenario {
    let s = mathesar_with_steps().await;
    tagged(&s).await;
    all_ok(&s.finish_run("release-images.yml", "success").await);
    all_ok(&s.finish_run("publish-docs.yml", "success").await);
    assert!(!release(&s).draft);
    s
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
    let docs = s.runs_of("publish-docs.yml");
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].head_branch, "0.1.3");
    assert_eq!(docs[0].actor, BOT);
    assert_eq!(docs[0].inputs["version"], "0.1.3");
    assert_eq!(s.images_runs().len(), 1);
    assert!(s.runs_of("deploy.yml").is_empty());
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
    all_ok(&s.finish_run("release-images.yml", "success").await);
    assert!(release(&s).draft, "published before the docs");
    assert!(s.runs_of("deploy.yml").is_empty());

    // Docs published: the bot publishes the release, Latest, then deploys.
    all_ok(&s.finish_run("publish-docs.yml", "success").await);
    let published = release(&s);
    assert!(
        !published.draft,
        "the bot publishes once images and docs succeeded"
    );
    assert_eq!(published.make_latest, "true");
    let deploy = s.runs_of("deploy.yml");
    assert_eq!(deploy.len(), 1, "deploy after the publication");
    assert_eq!(deploy[0].inputs["tag"], "0.1.3");
    // What follows publication ran without a person publishing: the merge back.
    let back = merge_back_pulls(&s);
    assert!(back.len() == 1 && back[0].merged, "{back:#?}");

    all_ok(&s.finish_run("deploy.yml", "success").await);
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
    assert_eq!(s.runs_of("publish-docs.yml").len(), 1);
    assert_eq!(s.runs_of("deploy.yml").len(), 1);
}

#[tokio::test]
async fn a_failed_docs_step_holds_the_publication_until_a_retry_resumes_there() {
    let s = mathesar_with_steps().await;
    tagged(&s).await;
    all_ok(&s.finish_run("release-images.yml", "success").await);
    all_ok(&s.finish_run("publish-docs.yml", "failure").await);

    assert!(release(&s).draft, "not published with its docs failed");
    assert!(s.runs_of("deploy.yml").is_empty());
    let failed = s.runs_of("publish-docs.yml")[0].id;
    shows(
        &s,
        &[
            "- [ ] ❌ Step `docs` (`publish-docs.yml`): ended in `failure` ([run](",
            &format!("/actions/runs/{failed})"),
            "`/release retry docs`",
            "- [ ] releasebot publishes the release once `images`, `docs` succeeded",
        ],
    );

    // A dry run says what the retry would do, and does nothing.
    all_ok(&s.comment(MAINTAINER, "/release retry --dry-run").await);
    let answer = s.bot_comments().last().cloned().unwrap();
    contains_all(
        &answer,
        &["dispatch the failed steps on tag `0.1.3` again (not the images)"],
    );
    assert_eq!(s.runs_of("publish-docs.yml").len(), 1);

    // The retry resumes at the docs: the images are not built again.
    all_ok(&s.comment(MAINTAINER, "/release retry").await);
    assert_eq!(s.runs_of("publish-docs.yml").len(), 2);
    assert_eq!(s.images_runs().len(), 1);
    assert!(release(&s).draft);

    all_ok(&s.finish_run("publish-docs.yml", "success").await);
    assert!(!release(&s).draft, "published once the docs succeeded");
    assert_eq!(s.runs_of("deploy.yml").len(), 1);
    deployed(&s).await;
}

#[tokio::test]
async fn a_step_held_for_its_environments_approval_is_waiting_not_failed() {
    let s = published_by_the_bot().await;
    let deploy = s.runs_of("deploy.yml")[0].id;
    s.sim.await_approval(REPO, deploy).unwrap();

    all_ok(&s.comment(MAINTAINER, "/release status").await);
    shows(
        &s,
        &["- [ ] Step `deploy` (`deploy.yml`): ⏸️ waiting for a reviewer's approval of environment `internal` ([run]("],
    );
    assert!(!s.status_comment().contains('❌'), "{}", s.status_comment());
    // A retry has nothing to resume while it waits.
    all_ok(&s.comment(MAINTAINER, "/release retry deploy").await);
    assert_eq!(s.runs_of("deploy.yml").len(), 1);

    // Approved and run.
    deployed(&s).await;
}

#[tokio::test]
async fn a_step_whose_dispatch_never_reached_github_is_shown_and_sent_again_when_asked() {
    let s = mathesar_with_steps().await;
    // The job stops after recording the docs' intent: GitHub never takes the dispatch.
    s.sim.fail_matching(
        "POST",
        "/publish-docs.yml/dispatches",
        1,
        simulated_github::Fault::Status(502),
    );
    tagged(&s).await;
    assert!(s.runs_of("publish-docs.yml").is_empty());
    all_ok(&s.comment(MAINTAINER, "/release status").await);
    shows(
        &s,
        &["Step `docs` (`publish-docs.yml`): dispatched, its run not listed yet (should none appear, `/release retry docs` sends it again)"],
    );

    // Nothing is sent again by itself; a person's retry of the step sends it.
    all_ok(&s.finish_run("release-images.yml", "success").await);
    assert!(s.runs_of("publish-docs.yml").is_empty());
    all_ok(&s.comment(MAINTAINER, "/release retry docs").await);
    assert_eq!(s.runs_of("publish-docs.yml").len(), 1);
    all_ok(&s.finish_run("publish-docs.yml", "success").await);
    assert!(!release(&s).draft, "published once the docs succeeded");
}

#[tokio::test]
async fn retry_of_one_step_runs_it_again_and_an_unknown_name_is_answered_with_the_names() {
    let s = mathesar_with_steps().await;
    tagged(&s).await;

    all_ok(&s.comment(MAINTAINER, "/release retry nosuch").await);
    let answer = s.bot_comments().last().cloned().unwrap();
    assert!(
        answer.contains("There is no step `nosuch`. The steps are `docs`, `deploy`"),
        "{answer}"
    );
    all_ok(&s.comment(MAINTAINER, "/release retry docs").await);
    let answer = s.bot_comments().last().cloned().unwrap();
    assert!(answer.contains("Step `docs` has not finished"), "{answer}");
    assert_eq!(s.runs_of("publish-docs.yml").len(), 1);

    all_ok(&s.finish_run("release-images.yml", "success").await);
    all_ok(&s.finish_run("publish-docs.yml", "success").await);
    assert!(!release(&s).draft);

    // The docs published again (say, after a fix to the docs build): that step alone.
    all_ok(&s.comment(MAINTAINER, "/release retry docs").await);
    assert_eq!(s.runs_of("publish-docs.yml").len(), 2);
    assert_eq!(s.runs_of("deploy.yml").len(), 1);
    assert_eq!(s.images_runs().len(), 1);
    all_ok(&s.finish_run("publish-docs.yml", "success").await);
    assert_eq!(s.runs_of("deploy.yml").len(), 1, "deploy is not run again");
}

/// Hands every pending delivery to the engine twice (a redelivery right after it), keeping
/// them for later.
async fn deliver_twice(s: &Scenario, kept: &mut Vec<simulated_github::Delivery>) {
    for _round in 0..20 {
        let deliveries = s.sim.take_deliveries();
        if deliveries.is_empty() {
            return;
        }
        for delivery in deliveries {
            for _twice in 0..2 {
                let outcome = s.redeliver(&delivery.event, &delivery.payload).await;
                assert!(outcome.is_ok(), "{outcome:?}");
            }
            kept.push(delivery);
        }
    }
}

#[tokio::test]
async fn every_event_delivered_again_dispatches_and_publishes_nothing_twice() {
    let s = mathesar_with_steps().await;
    let mut kept = Vec::new();
    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release 0.1.3");
    deliver_twice(&s, &mut kept).await;
    let smoke = s.smoke_runs()[0].id;
    s.sim.complete_run(REPO, smoke, "success").unwrap();
    deliver_twice(&s, &mut kept).await;
    s.sim
        .merge_pull(
            REPO,
            s.release_pull(),
            simulated_github::MergeMethod::Merge,
            MAINTAINER,
        )
        .unwrap();
    deliver_twice(&s, &mut kept).await;
    for file in ["release-images.yml", "publish-docs.yml", "deploy.yml"] {
        let run = s.runs_of(file).last().expect("dispatched").id;
        s.sim.complete_run(REPO, run, "success").unwrap();
        deliver_twice(&s, &mut kept).await;
    }
    // And everything once more, at the end.
    for delivery in &kept {
        let outcome = s.redeliver(&delivery.event, &delivery.payload).await;
        assert!(outcome.is_ok(), "{outcome:?}");
    }

    for file in ["release-images.yml", "publish-docs.yml", "deploy.yml"] {
        assert_eq!(s.runs_of(file).len(), 1, "{file} dispatched once");
    }
    assert!(!release(&s).draft);
    assert_eq!(merge_back_pulls(&s).len(), 1);
    shows(
        &s,
        &[
            "- [x] Step `docs` (`publish-docs.yml`): succeeded",
            "- [x] Step `deploy` (`deploy.yml`): succeeded",
            "- [x] Release published",
        ],
    );
}

#[tokio::test]
async fn a_dry_run_lists_the_steps_and_the_gated_publication() {
    let s = mathesar_with_steps().await;
    all_ok(&s.comment(MAINTAINER, "/release 0.1.3 --dry-run").await);
    let answer = s.bot_comments().last().cloned().unwrap();
    contains_all(
        &answer,
        &[
            "dispatch step `docs` (`publish-docs.yml`) on tag `0.1.3` with the images",
            "dispatch step `deploy` (`deploy.yml`) on tag `0.1.3` after `publish`, in environment `internal`",
            "publish the release once `images`, `docs` succeeded",
            "once the bot publishes the release: merge `master` back into `develop`",
        ],
    );
    assert!(s.sim.runs(REPO).is_empty());
}

#[tokio::test]
async fn a_step_whose_workflow_github_refuses_is_shown_and_holds_the_publication() {
    // The docs workflow was never added to the repository.
    let s = mathesar_with(&[
        (".github/releasebot.toml", CONFIG),
        (".github/workflows/deploy.yml", DEPLOY),
    ])
    .await;
    tagged(&s).await;
    all_ok(&s.finish_run("release-images.yml", "success").await);

    assert!(release(&s).draft, "not published without its docs");
    assert!(s
        .sim
        .runs(REPO)
        .iter()
        .all(|r| !r.path.ends_with("deploy.yml")));
    shows(
        &s,
        &[
            "- [ ] ❌ Step `docs` (`publish-docs.yml`): GitHub refused the dispatch on the tag (",
            "`/release retry docs`",
        ],
    );
    // Asked again, GitHub refuses again: still shown, nothing published.
    all_ok(&s.comment(MAINTAINER, "/release retry").await);
    assert!(release(&s).draft);
    shows(&s, &["GitHub refused the dispatch on the tag"]);
}

/// Published with a workflow's `GITHUB_TOKEN` (Action mode), the release sends no `release`
/// event: what follows publication is run by the job that published, not left for an event.
#[tokio::test]
async fn without_a_release_event_the_publishing_job_merges_back_itself() {
    let s = mathesar_with_steps().await;
    tagged(&s).await;
    all_ok(&s.finish_run("release-images.yml", "success").await);
    let docs = s.runs_of("publish-docs.yml")[0].id;
    s.sim.complete_run(REPO, docs, "success").unwrap();
    for _round in 0..20 {
        let deliveries = s.sim.take_deliveries();
        if deliveries.is_empty() {
            break;
        }
        for delivery in deliveries.iter().filter(|d| d.event != "release") {
            let outcome = s.redeliver(&delivery.event, &delivery.payload).await;
            assert!(outcome.is_ok(), "{outcome:?}");
        }
    }
    assert!(!release(&s).draft);
    let back = merge_back_pulls(&s);
    assert!(back.len() == 1 && back[0].merged, "{back:#?}");
    assert_eq!(s.runs_of("deploy.yml").len(), 1);
}

/// Without `[publish]`, a person publishes; the steps after `publish` follow their publication.
#[tokio::test]
async fn without_publish_a_person_publishes_and_the_steps_after_it_follow() {
    let config = CONFIG.replace("[publish]\nafter = [\"images\", \"docs\"]\n", "");
    let s = mathesar_with(&[
        (".github/releasebot.toml", config.as_str()),
        (".github/workflows/publish-docs.yml", DOCS),
        (".github/workflows/deploy.yml", DEPLOY),
    ])
    .await;
    tagged(&s).await;
    all_ok(&s.finish_run("release-images.yml", "success").await);
    all_ok(&s.finish_run("publish-docs.yml", "success").await);
    assert!(release(&s).draft, "a person publishes it");
    assert!(s.runs_of("deploy.yml").is_empty());

    s.sim
        .publish_release(REPO, release(&s).id, MAINTAINER)
        .unwrap();
    all_ok(&s.deliver().await);
    assert_eq!(s.runs_of("deploy.yml").len(), 1);
    deployed(&s).await;
}
