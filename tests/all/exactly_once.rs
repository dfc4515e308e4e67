//! Effects that cannot be repeated harmlessly happen once: the images dispatch (intent recorded
//! in the draft first, the run id GitHub hands back kept there after), the promotion of
//! `latest`, the tag. A person's own run of the workflow is never taken for the bot's.

use releasebot::engine::release_marker::ReleaseMarker;
use releasebot::engine::{Outcome, Reply};
use simulated_github::{Fault, MergeMethod};

use crate::harness::*;

fn marker(s: &Scenario) -> ReleaseMarker {
    let releases = s.sim.releases(REPO);
    assert_eq!(releases.len(), 1, "{releases:?}");
    ReleaseMarker::find_in(&releases[0].body)
        .unwrap()
        .expect("the draft carries the bot's marker")
}

/// The job dies between the dispatch and recording its run (the draft update fails); the tag's
/// own events run the release path again.
#[tokio::test]
async fn a_crash_between_dispatch_and_record_never_builds_twice() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    // The draft is created with the intent; the next release write records the run: it fails.
    s.sim
        .fail_matching("PATCH", "/releases/", 1, Fault::Status(502));
    let closed = s.merge_release_pull_undelivered();

    let first = s.redeliver("pull_request", &closed).await;
    assert!(
        first.is_err(),
        "the merge's job failed after dispatching: {first:?}"
    );
    s.deliver().await;

    // The queue runs the failed job again; it finds the run by the intent instead of
    // dispatching again. (The tag's own `create` and `push` read nothing: they are the bot's.)
    let again = s.redeliver("pull_request", &closed).await;
    assert!(again.is_ok(), "{again:?}");
    let runs = s.images_runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let recorded = marker(&s).images.and_then(|d| d.run);
    assert_eq!(recorded.map(|r| r.0), Some(runs[0].id));
    s.finish_images_run("success").await;
    assert!(s
        .status_comment()
        .contains("- [x] Images pushed for linux/amd64, linux/arm64"));
}

/// An older Enterprise Server refuses `return_run_details`: the dispatch is sent again without
/// it, and the run is found by the intent (started by the bot, since the intent).
#[tokio::test]
async fn a_server_without_run_details_still_gets_one_run_recorded() {
    let s = Scenario::mathesar().await;
    s.sim.refuse_run_details(REPO);
    only(s.comment(MAINTAINER, "/release 0.1.3").await);

    s.merge_release_pull(MergeMethod::Merge).await;

    let runs = s.images_runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(
        marker(&s).images.and_then(|d| d.run).map(|r| r.0),
        Some(runs[0].id)
    );
    let dispatches: Vec<String> = s
        .api_calls()
        .into_iter()
        .filter(|c| c.contains("release-images.yml/dispatches"))
        .collect();
    assert_eq!(
        dispatches
            .iter()
            .map(|c| &c[c.len() - 3..])
            .collect::<Vec<_>>(),
        ["422", "204"],
        "{dispatches:?}"
    );
}

/// A maintainer also runs the images workflow by hand on the tag; its failure is theirs, not
/// the release's.
#[tokio::test]
async fn a_persons_own_run_on_the_tag_is_not_taken_for_the_bots() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.merge_release_pull(MergeMethod::Merge).await;
    let ours = s.images_runs()[0].id;
    let theirs = s
        .sim
        .dispatch_workflow(
            REPO,
            "release-images.yml",
            "0.1.3",
            serde_json::json!({ "version": "0.1.3", "latest": "true" }),
            MAINTAINER,
        )
        .expect("the workflow accepts a dispatch");

    s.sim.complete_run(REPO, theirs, "failure").unwrap();
    let outcomes = s.deliver().await;

    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Ok(Outcome::Ignored(_)))),
        "{outcomes:?}"
    );
    assert!(!s.status_comment().contains("❌"), "{}", s.status_comment());
    let retry = only(s.comment(MAINTAINER, "/release retry").await);
    assert_eq!(retry, Outcome::Answered(Reply::NothingToRetry));
    assert_eq!(s.images_runs().len(), 2, "no build from the retry");

    s.sim.complete_run(REPO, ours, "success").unwrap();
    s.deliver().await;
    assert!(s
        .status_comment()
        .contains("- [x] Images pushed for linux/amd64, linux/arm64"));
}

fn on_publish(dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join(".github")).unwrap();
    std::fs::write(
        dir.join(".github/releasebot.toml"),
        "[images]\nlatest = \"on-publish\"\n",
    )
    .unwrap();
    let workflow = dir.join(".github/workflows/release-images.yml");
    let text = std::fs::read_to_string(&workflow).unwrap().replace(
        "jobs:",
        "      promote:\n        description: Only move latest\n        default: \"false\"\njobs:",
    );
    std::fs::write(workflow, text).unwrap();
}

fn promotions(s: &Scenario) -> usize {
    s.sim
        .runs(REPO)
        .iter()
        .filter(|r| r.inputs.get("promote").and_then(|v| v.as_str()) == Some("true"))
        .count()
}

/// A release with `latest = "on-publish"` built, and a person publishing its draft: the draft's
/// id and the `release` `published` payload GitHub sends (taken, not yet handed to the bot).
async fn published_on_publish_release() -> (Scenario, u64, serde_json::Value) {
    let s = Scenario::mathesar_altered(on_publish).await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.merge_release_pull(MergeMethod::Merge).await;
    s.finish_images_run("success").await;
    let draft = s.sim.releases(REPO)[0].id;
    s.sim.publish_release(REPO, draft, MAINTAINER).unwrap();
    let published = s
        .sim
        .take_deliveries()
        .into_iter()
        .find(|d| d.event == "release" && d.payload["action"] == "published")
        .expect("GitHub sends `release` `published`")
        .payload;
    (s, draft, published)
}

#[tokio::test]
async fn publish_delivered_three_times_promotes_once() {
    let (s, _, published) = published_on_publish_release().await;

    let mut outcomes = Vec::new();
    for _ in 0..3 {
        outcomes.push(s.redeliver("release", &published).await.unwrap());
    }

    assert!(
        matches!(outcomes[0], Outcome::Promoted { .. }),
        "{outcomes:?}"
    );
    assert!(
        matches!(outcomes[1], Outcome::PublishedChecked { .. }),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[1], outcomes[2]);
    assert_eq!(promotions(&s), 1);
    let kept = marker(&s);
    assert!(kept.promoted && kept.latest, "{kept:?}");
    assert_eq!(
        kept.promotion.and_then(|p| p.run).map(|r| r.0),
        s.images_runs().last().map(|r| r.id)
    );
}

/// The promotion is dispatched, then the job dies before recording it; the redelivery finds
/// the run by the recorded intent.
#[tokio::test]
async fn a_crash_after_the_promotion_dispatch_never_promotes_twice() {
    let (s, draft, published) = published_on_publish_release().await;
    // The intent is written (first PATCH), the dispatch goes out, the record (second) fails.
    s.sim.fail_matching_after(
        "PATCH",
        &format!("/releases/{draft}"),
        1,
        1,
        Fault::Status(502),
    );
    let first = s.redeliver("release", &published).await;
    assert!(first.is_err(), "the record failed: {first:?}");
    assert_eq!(promotions(&s), 1);
    let kept = marker(&s);
    assert!(kept.promotion.is_some() && !kept.promoted, "{kept:?}");

    let again = s.redeliver("release", &published).await.unwrap();

    assert!(
        matches!(again, Outcome::Promoted { .. }),
        "the promotion is completed, not repeated: {again:?}"
    );
    assert_eq!(promotions(&s), 1);
    let kept = marker(&s);
    assert!(kept.promoted, "{kept:?}");
    assert_eq!(
        kept.promotion.and_then(|p| p.run).map(|r| r.0),
        s.images_runs().last().map(|r| r.id)
    );
    let third = s.redeliver("release", &published).await.unwrap();
    assert!(
        matches!(third, Outcome::PublishedChecked { .. }),
        "{third:?}"
    );
    assert_eq!(promotions(&s), 1);
}

/// Someone tags another commit between the bot's look and its act: the bot's tag is refused
/// (422), nothing is built from the stranger's commit, and the owner is told.
#[tokio::test]
async fn a_tag_race_lost_to_another_commit_is_reported_to_the_owner() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    let old_master = s.sim.refs(REPO)["refs/heads/master"].clone();
    s.sim.fail_matching(
        "POST",
        "/git/refs",
        1,
        Fault::RefSetFirst {
            name: "refs/tags/0.1.3".into(),
            sha: old_master.clone(),
        },
    );

    let outcomes = s.merge_release_pull(MergeMethod::Merge).await;

    assert!(
        outcomes.iter().any(|o| matches!(
            o,
            Ok(Outcome::StepBlocked {
                step: releasebot::status::Step::Tag,
                ..
            })
        )),
        "{outcomes:?}"
    );
    assert_eq!(s.sim.refs(REPO)["refs/tags/0.1.3"], old_master);
    assert!(s.images_runs().is_empty() && s.sim.releases(REPO).is_empty());
    let status = s.status_comment();
    assert!(
        status.contains(&format!(
            "- [ ] ❌ Tag `0.1.3` was created on {old_master} by someone else while releasebot was tagging the merge commit"
        )),
        "{status}"
    );
    let notices: Vec<String> = s
        .bot_comments()
        .into_iter()
        .filter(|c| c.starts_with(&format!("@{MAINTAINER}, release 0.1.3 stopped")))
        .collect();
    assert_eq!(notices.len(), 1, "{:?}", s.bot_comments());
}

/// The `create` and `push` of the tag the bot made itself read nothing: the merge's job already
/// released it. A tag a person pushes still takes the release path (`full_release`).
#[tokio::test]
async fn the_bots_own_tag_events_cost_no_call() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.sim
        .merge_pull(REPO, s.release_pull(), MergeMethod::Merge, MAINTAINER)
        .unwrap();
    let deliveries = s.sim.take_deliveries();
    let closed = deliveries
        .iter()
        .find(|d| d.event == "pull_request")
        .unwrap();
    s.redeliver("pull_request", &closed.payload).await.unwrap();
    let tag_events: Vec<_> = s
        .sim
        .take_deliveries()
        .into_iter()
        .filter(|d| {
            d.event == "create" || (d.event == "push" && d.payload["ref"] == "refs/tags/0.1.3")
        })
        .collect();
    assert_eq!(
        tag_events.len(),
        2,
        "GitHub sends `create` and `push` for the tag"
    );
    s.sim.clear_requests();

    for event in &tag_events {
        let outcome = s.redeliver(&event.event, &event.payload).await.unwrap();
        assert!(matches!(outcome, Outcome::Ignored(_)), "{outcome:?}");
    }

    assert_eq!(s.api_calls(), Vec::<String>::new());
    assert_eq!(s.images_runs().len(), 1);
}
