//! `notes`, `retry` and `cancel` on a started release: `--dry-run` says what would be done and
//! changes nothing; a flag where it means nothing, or an unknown one, is refused; a release whose
//! state cannot be read is said so, never acted on as if it were `0.0.0`.

use releasebot::engine::{Outcome, Reply};
use simulated_github::MergeMethod;

use crate::harness::*;

fn last_answer(s: &Scenario) -> String {
    s.bot_comments().pop().expect("an answer")
}

/// Writes, as opposed to the reads every command makes.
fn writes(s: &Scenario) -> Vec<String> {
    s.api_writes()
        .into_iter()
        .filter(|c| !c.contains("/reactions"))
        .filter(|c| !(c.starts_with("POST") && c.contains("/comments ")))
        .collect()
}

#[tokio::test]
async fn cancel_dry_run_says_what_it_would_close_and_delete_and_does_nothing() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    let pull = s.release_pull();
    s.sim.clear_requests();

    let outcome = only(s.comment(MAINTAINER, "/release cancel --dry-run").await);

    assert_eq!(outcome, Outcome::Answered(Reply::DryRunPlan));
    assert_eq!(
        last_answer(&s).lines().last().unwrap(),
        format!(
            "**Dry run of `/release cancel`**: nothing was changed. The real command would close \
             pull request #{pull}, delete branch `release/0.1.3`, mark release 0.1.3 cancelled."
        )
    );
    assert_eq!(writes(&s), Vec::<String>::new());
    assert_eq!(s.branches(), ["master", "release/0.1.3"]);
    assert_eq!(s.sim.pulls(REPO)[0].state, "open");
}

#[tokio::test]
async fn retry_dry_run_after_a_failed_build_dispatches_nothing() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.merge_release_pull(MergeMethod::Merge).await;
    s.finish_images_run("failure").await;
    let failed = s.images_runs()[0].id;
    s.sim.clear_requests();

    let outcome = only(s.comment(MAINTAINER, "/release retry --dry-run").await);

    assert_eq!(outcome, Outcome::Answered(Reply::DryRunPlan));
    assert!(last_answer(&s).ends_with(&format!(
        "The real command would dispatch `release-images.yml` on tag `0.1.3` again, replacing \
         the failed run {failed}."
    )));
    assert_eq!(s.images_runs().len(), 1, "no new build");
    assert_eq!(writes(&s), Vec::<String>::new());
}

#[tokio::test]
async fn notes_dry_run_links_nothing() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    let status_before = s.status_comment();

    let outcome = only(
        s.comment(MAINTAINER, "/release notes https://hackmd.io/abc --dry-run")
            .await,
    );

    assert_eq!(outcome, Outcome::Answered(Reply::DryRunPlan));
    assert!(last_answer(&s).ends_with(
        "The real command would link https://hackmd.io/abc as the release notes document."
    ));
    assert_eq!(s.status_comment(), status_before);
}

#[tokio::test]
async fn a_dry_run_flag_on_status_and_an_unknown_flag_on_cancel_are_refused() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);

    let status = only(s.comment(MAINTAINER, "/release status --dry-run").await);
    assert_eq!(status, Outcome::Answered(Reply::CommandNotUnderstood));
    assert!(last_answer(&s)
        .contains("`--dry-run` does not apply to `/release status`, which changes nothing anyway"));

    let cancel = only(s.comment(MAINTAINER, "/release cancel --force").await);
    assert_eq!(cancel, Outcome::Answered(Reply::CommandNotUnderstood));
    assert!(last_answer(&s).contains("`--force` is not an option of `/release`"));
    assert_eq!(s.branches(), ["master", "release/0.1.3"]);
}

/// The status comment's marker was damaged (edited by hand): `cancel` must not act on
/// `release/0.0.0`, or on anything.
#[tokio::test]
async fn a_status_marker_whose_version_cannot_be_read_is_reported_not_guessed() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    let status = s
        .sim
        .comments(REPO, s.issue)
        .into_iter()
        .find(|c| c.author == BOT && c.body.contains("releasebot:status"))
        .unwrap();
    s.sim.edit_comment(
        REPO,
        status.id,
        BOT,
        &status
            .body
            .replace("\"version\":\"0.1.3\"", "\"version\":\"latest\""),
    );
    s.deliver().await;
    s.sim.clear_requests();

    let outcome = only(s.comment(MAINTAINER, "/release cancel").await);

    assert_eq!(outcome, Outcome::Answered(Reply::StateUnreadable));
    let answer = last_answer(&s);
    assert!(
        answer.contains("I cannot tell where this release stands, so I changed nothing")
            && answer.contains("names version `latest`, which is not a version"),
        "{answer}"
    );
    assert_eq!(writes(&s), Vec::<String>::new());
    assert_eq!(s.branches(), ["master", "release/0.1.3"]);
}
