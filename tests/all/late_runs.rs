//! GitHub lists a dispatched run a moment after the dispatch, not inside it: the bot must not
//! assume the run is listed at once. With `return_run_details` GitHub names the run in its
//! answer (it exists before the answer); only the lists lag.

use std::time::Duration;

use releasebot::engine::release_marker::ReleaseMarker;
use simulated_github::MergeMethod;

use crate::harness::*;

fn recorded_run(s: &Scenario) -> Option<u64> {
    let releases = s.sim.releases(REPO);
    ReleaseMarker::find_in(&releases.first()?.body)
        .ok()
        .flatten()
        .and_then(|m| m.images)
        .and_then(|d| d.run)
        .map(|r| r.0)
}

#[tokio::test]
async fn a_run_listed_late_is_followed_by_the_id_the_dispatch_returned() {
    let s = Scenario::mathesar().await;
    s.sim.delay_run_listing(REPO, Duration::from_secs(600));
    only(s.comment(MAINTAINER, "/release 0.1.3").await);

    s.merge_release_pull(MergeMethod::Merge).await;

    let runs = s.images_runs();
    assert_eq!(runs.len(), 1, "one run dispatched");
    assert_eq!(recorded_run(&s), Some(runs[0].id));
    s.finish_images_run("success").await;
    assert!(
        s.sim.releases(REPO)[0]
            .body
            .contains("mathesar/mathesar-prod:0.1.3"),
        "{}",
        s.sim.releases(REPO)[0].body
    );
}

/// An older Enterprise Server names no run in its answer and lists the run late: the tag's own
/// events must not dispatch again while it is not listed (found by the simulator's stricter
/// run lists: three builds for one release before).
#[tokio::test]
async fn on_an_older_server_a_run_listed_late_is_dispatched_once_and_found_once_listed() {
    let s = Scenario::mathesar().await;
    s.sim.refuse_run_details(REPO);
    s.sim.delay_run_listing(REPO, Duration::from_millis(300));
    only(s.comment(MAINTAINER, "/release 0.1.3").await);

    s.merge_release_pull(MergeMethod::Merge).await;

    assert_eq!(s.images_runs().len(), 1, "dispatched once");
    let marker = ReleaseMarker::find_in(&s.sim.releases(REPO)[0].body)
        .unwrap()
        .unwrap();
    assert!(marker
        .images
        .as_ref()
        .is_some_and(|d| d.sent && d.run.is_none()));

    // Once listed, the run's completion is recognised as the release's.
    tokio::time::sleep(Duration::from_millis(400)).await;
    s.finish_images_run("success").await;
    assert!(
        s.status_comment()
            .contains("- [x] Images pushed for linux/amd64, linux/arm64"),
        "{}",
        s.status_comment()
    );
    assert_eq!(s.images_runs().len(), 1);
}

/// GitHub accepted the dispatch but its run never appears (an older server names none, and the
/// run was lost): the tag's events wait for it, and `/release retry` sends it again, once — as
/// the retry's plan and its dry run say — rather than finding nothing to resume.
#[tokio::test]
async fn a_dispatch_accepted_but_never_listed_is_sent_again_when_a_person_retries() {
    let s = Scenario::mathesar().await;
    s.sim.refuse_run_details(REPO);
    s.sim.delay_run_listing(REPO, Duration::from_secs(3600));
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.merge_release_pull(MergeMethod::Merge).await;
    assert_eq!(s.images_runs().len(), 1, "dispatched once");

    s.comment(MAINTAINER, "/release retry --dry-run").await;
    let said = s.bot_comments().pop().unwrap();
    assert!(said.contains("Dry run of `/release retry`"), "{said}");
    assert!(said.contains("dispatch `release-images.yml`"), "{said}");
    assert_eq!(s.images_runs().len(), 1, "a dry run sends nothing");

    s.comment(MAINTAINER, "/release retry").await;
    assert_eq!(s.images_runs().len(), 2, "sent again on the person's word");
    s.comment(MAINTAINER, "/release status").await;
    assert_eq!(s.images_runs().len(), 2, "and only then");
}
