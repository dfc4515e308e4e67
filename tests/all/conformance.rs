//! The simulated GitHub is held to GitHub's published descriptions (`@octokit/openapi`,
//! `@octokit/openapi-webhooks`): every scenario checks them when it ends, and a simulator that
//! drops a property GitHub always sends fails the test that saw it, naming operation and property.

use simulated_github::{conformance, Fault, MergeMethod};

use crate::harness::*;

#[test]
fn the_descriptions_cover_every_operation_and_event_the_simulator_uses() {
    let descriptions = conformance::descriptions();
    assert_eq!(descriptions.counts(), (81, 32));
    assert_eq!(
        descriptions.sources,
        [
            "@octokit/openapi@23.0.2 generated/api.github.com.json",
            "@octokit/openapi-webhooks@12.1.0 generated/api.github.com.json",
        ]
    );
    let events = descriptions.events();
    for event in [
        "delete",
        "push",
        "issues-assigned",
        "issues-labeled",
        "release-created",
        "release-edited",
        "workflow-run-requested",
        "workflow-run-in-progress",
        "merge-group-checks-requested",
        "merge-group-destroyed",
        "pull-request-ready-for-review",
        "pull-request-milestoned",
        "milestone-created",
    ] {
        assert!(events.contains(&event.to_string()), "{event} in {events:?}");
    }
}

#[tokio::test]
#[should_panic(
    expected = "repos/create-release (POST /repos/{owner}/{repo}/releases) response 201: at `/`: \"node_id\" is a required property"
)]
async fn a_release_whose_answer_drops_a_property_github_always_sends_fails_naming_it() {
    let s = Scenario::mathesar().await;
    // The first POST under `/releases` asks GitHub to generate the notes; the second creates
    // the draft.
    s.sim.fail_matching_after(
        "POST",
        "/releases",
        1,
        1,
        Fault::Omit {
            property: "node_id".into(),
        },
    );
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.merge_release_pull(MergeMethod::Merge).await;
    assert_eq!(s.sim.releases(REPO).len(), 1, "the draft was made");
    // The scenario ends here; its check fails the test.
}

#[tokio::test]
async fn a_whole_release_with_every_webhook_kind_keeps_to_the_descriptions() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.merge_release_pull(MergeMethod::Squash).await;
    s.finish_images_run("success").await;
    let draft = s.sim.releases(REPO)[0].id;
    s.sim.publish_release(REPO, draft, MAINTAINER).unwrap();
    s.deliver().await;
    assert!(s.sim.violations().is_empty(), "{:#?}", s.sim.violations());
}
