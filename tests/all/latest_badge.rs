//! GitHub's "Latest" badge follows the same rule as Docker's `latest`: the highest stable
//! version. A backport published after a newer release must not take it (release-drafter and
//! goreleaser users met this), and the rule is checked again when a person publishes.

use releasebot::engine::Outcome;
use simulated_github::MergeMethod;

use crate::harness::*;

const TAGS_WITH_0_2_0: [&str; 4] = ["0.1.0", "0.1.1", "0.1.2", "0.2.0"];

fn release_id(s: &Scenario, tag: &str) -> u64 {
    s.sim
        .releases(REPO)
        .iter()
        .find(|r| r.tag_name == tag)
        .unwrap_or_else(|| panic!("a release on {tag}"))
        .id
}

#[tokio::test]
async fn a_backport_published_after_a_newer_release_does_not_take_the_badge() {
    let s = Scenario::mathesar_at(&TAGS_WITH_0_2_0, |_| {}).await;
    let newest = s
        .sim
        .publish_new_release(REPO, "0.2.0", MAINTAINER)
        .unwrap();
    s.deliver().await;
    assert_eq!(s.sim.latest_release(REPO), Some(newest));
    // A maintainer cuts 0.1.4 from a maintenance branch and pushes its tag.
    let files: Vec<(String, String)> = ["mathesar/__init__.py", "install.sh", "docs/mkdocs.yml"]
        .iter()
        .map(|path| {
            let text = s.file_at("master", path).unwrap().replace("0.1.2", "0.1.4");
            (path.to_string(), text)
        })
        .collect();
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let commit = s
        .sim
        .push_commit(REPO, "0.1.x", MAINTAINER, "Release 0.1.4", &files);
    s.sim.push_tag(REPO, "0.1.4", &commit, MAINTAINER, true);
    s.deliver().await;
    let backport = release_id(&s, "0.1.4");
    assert_eq!(s.images_runs()[0].inputs["latest"], "false");

    s.sim.publish_release(REPO, backport, MAINTAINER).unwrap();
    let outcomes = s.deliver().await;

    assert!(
        outcomes
            .iter()
            .any(|o| matches!(o, Ok(Outcome::PublishedChecked { latest: false, .. }))),
        "{outcomes:?}"
    );
    assert_eq!(
        s.sim.latest_release(REPO),
        Some(newest),
        "0.2.0 keeps the badge"
    );
}

#[tokio::test]
async fn a_draft_overtaken_before_publishing_gives_the_badge_back() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.merge_release_pull(MergeMethod::Merge).await;
    let draft = release_id(&s, "0.1.3");
    // Before anyone publishes 0.1.3, 0.2.0 is tagged and released by hand.
    let head = s.sim.refs(REPO)["refs/heads/master"].clone();
    s.sim.push_tag(REPO, "0.2.0", &head, MAINTAINER, false);
    let newest = s
        .sim
        .publish_new_release(REPO, "0.2.0", MAINTAINER)
        .unwrap();
    s.sim.take_deliveries();

    s.sim.publish_release(REPO, draft, MAINTAINER).unwrap();
    let outcomes = s.deliver().await;

    assert!(
        outcomes
            .iter()
            .any(|o| matches!(o, Ok(Outcome::PublishedChecked { latest: false, .. }))),
        "{outcomes:?}"
    );
    assert_eq!(s.sim.latest_release(REPO), Some(newest));
}

#[tokio::test]
async fn the_highest_release_published_is_the_latest() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.merge_release_pull(MergeMethod::Merge).await;
    let draft = release_id(&s, "0.1.3");

    s.sim.publish_release(REPO, draft, MAINTAINER).unwrap();
    let outcomes = s.deliver().await;

    assert!(
        outcomes
            .iter()
            .any(|o| matches!(o, Ok(Outcome::PublishedChecked { latest: true, .. }))),
        "{outcomes:?}"
    );
    assert_eq!(s.sim.latest_release(REPO), Some(draft));
}
