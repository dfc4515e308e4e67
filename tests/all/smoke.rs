//! The smoke test of the release commit, run by releasebot: dispatched when the pull request
//! opens, after every push to its branch and on `/release retry`; its result is the commit
//! status `releasebot/smoke`, ticks in the pull request's checklist and a line in the status
//! comment. Without a smoke workflow the step is skipped and the release goes on.

use releasebot::engine::{Outcome, Reply};
use simulated_github::MergeMethod;

use crate::harness::*;

const COVERED: [&str; 4] = [
    "`install.sh` run on this commit",
    "Log in",
    "Create a schema",
    "Edit records",
];

fn head(s: &Scenario) -> String {
    s.sim.refs(REPO)["refs/heads/release/0.1.3"].clone()
}

fn smoke_statuses(s: &Scenario, sha: &str) -> Vec<String> {
    s.sim
        .statuses(REPO, sha)
        .into_iter()
        .filter(|(context, ..)| context == "releasebot/smoke")
        .map(|(_, state, _)| state)
        .collect()
}

fn pull_body(s: &Scenario) -> String {
    s.sim.pulls(REPO)[0].body.clone()
}

fn owner_notices(s: &Scenario) -> usize {
    s.bot_comments()
        .iter()
        .filter(|c| c.starts_with(&format!("@{MAINTAINER}, release 0.1.3 stopped")))
        .count()
}

#[tokio::test]
async fn a_passing_smoke_run_turns_the_status_green_and_ticks_the_checklist() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    let sha = head(&s);
    assert_eq!(smoke_statuses(&s, &sha), ["pending"]);

    let outcomes = s.finish_smoke_run("success").await;

    assert!(
        outcomes
            .iter()
            .any(|o| matches!(o, Ok(Outcome::SmokeReported { passed: true, .. }))),
        "{outcomes:?}"
    );
    assert_eq!(smoke_statuses(&s, &sha), ["pending", "success"]);
    let body = pull_body(&s);
    for item in COVERED {
        assert!(
            body.contains(&format!("- [x] {item}\n")),
            "{item} in {body}"
        );
    }
    assert!(body.contains("- [ ] Release notes linked\n"), "{body}");
    assert!(body.contains("✅ passed"), "{body}");
    let status = s.status_comment();
    assert!(
        status.contains(&format!("- [x] Smoke test of `{}` passed", &sha[..7])),
        "{status}"
    );
    assert_eq!(owner_notices(&s), 0);
}

#[tokio::test]
async fn a_failing_smoke_run_is_linked_and_the_owner_told_once_then_retry_runs_it_again() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    let sha = head(&s);

    let failed = s.smoke_runs()[0].clone();
    s.sim.complete_run(REPO, failed.id, "failure").unwrap();
    let finished = s.sim.take_deliveries();
    for delivery in &finished {
        let _ = s.redeliver(&delivery.event, &delivery.payload).await;
    }
    s.deliver().await;

    assert_eq!(smoke_statuses(&s, &sha), ["pending", "failure"]);
    let status = s.status_comment();
    assert!(
        status.contains(&format!(
            "- [ ] ❌ The smoke test of `{}` ended in `failure` ([run]({}{REPO}/actions/runs/{}))",
            &sha[..7],
            s.sim.url(),
            failed.id
        )),
        "{status}"
    );
    let body = pull_body(&s);
    assert!(
        body.contains("- [ ] Log in\n") && body.contains("❌ `failure`"),
        "{body}"
    );
    assert_eq!(owner_notices(&s), 1);

    let retry = only(s.comment(MAINTAINER, "/release retry").await);

    assert!(
        matches!(retry, Outcome::SmokeDispatched { ref sha, .. } if sha.as_str() == head(&s)),
        "{retry:?}"
    );
    assert_eq!(s.smoke_runs().len(), 2, "one new run");
    assert_eq!(smoke_statuses(&s, &sha), ["pending", "failure", "pending"]);
    s.finish_smoke_run("failure").await;
    assert_eq!(owner_notices(&s), 1, "told once");
    // The earlier run's end coming again (GitHub's "Redeliver") changes nothing.
    let completed = finished
        .iter()
        .find(|d| d.payload["action"] == "completed")
        .expect("the earlier run's `completed`");
    let mut late = vec![s.redeliver("workflow_run", &completed.payload).await];
    // Nor does the superseded run, re-run from the Actions page, passing.
    s.sim.rerun_run(REPO, failed.id, WRITER).unwrap();
    s.sim.complete_run(REPO, failed.id, "success").unwrap();
    late.extend(s.deliver().await);
    assert!(
        late.iter().all(|o| matches!(o, Ok(Outcome::Ignored(_)))),
        "{late:?}"
    );
    assert_eq!(
        smoke_statuses(&s, &sha),
        ["pending", "failure", "pending", "failure"]
    );
}

#[tokio::test]
async fn a_push_to_the_release_branch_starts_a_new_run_and_the_old_one_no_longer_counts() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    let first = s.smoke_runs()[0].clone();
    let notes = "# 0.1.3\n\nNew in this release.\n";

    let outcomes = {
        s.sim.push_commit(
            REPO,
            "release/0.1.3",
            MAINTAINER,
            "Release notes",
            &[("docs/docs/releases/0.1.3.md", notes)],
        );
        s.deliver().await
    };

    let new_head = head(&s);
    assert!(
        outcomes.iter().any(|o| matches!(
            o,
            Ok(Outcome::SmokeDispatched { sha, .. }) if sha.as_str() == new_head
        )),
        "{outcomes:?}"
    );
    let runs = s.smoke_runs();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1].inputs["sha"], new_head.as_str());
    assert_eq!(smoke_statuses(&s, &new_head), ["pending"]);

    // The superseded run's success does not make the new head green.
    s.sim.complete_run(REPO, first.id, "success").unwrap();
    s.deliver().await;
    assert_eq!(smoke_statuses(&s, &new_head), ["pending"]);
    assert!(!pull_body(&s).contains("- [x] Log in"));

    s.finish_smoke_run("success").await;
    assert_eq!(smoke_statuses(&s, &new_head), ["pending", "success"]);
    assert!(pull_body(&s).contains("- [x] Log in"));
}

#[tokio::test]
async fn a_persons_own_smoke_run_on_the_branch_does_not_count() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    let sha = head(&s);
    let theirs = s
        .sim
        .dispatch_workflow(
            REPO,
            "release-smoke.yml",
            "release/0.1.3",
            serde_json::json!({ "version": "0.1.3", "sha": sha }),
            MAINTAINER,
        )
        .unwrap();

    s.sim.complete_run(REPO, theirs, "success").unwrap();
    s.deliver().await;

    assert_eq!(smoke_statuses(&s, &sha), ["pending"]);
    assert!(!pull_body(&s).contains("- [x]"));
}

#[tokio::test]
async fn without_a_smoke_workflow_the_step_is_skipped_and_the_release_goes_on() {
    let s = Scenario::mathesar_altered(|dir| {
        std::fs::remove_file(dir.join(".github/workflows/release-smoke.yml")).unwrap();
    })
    .await;

    let outcome = only(s.comment(MAINTAINER, "/release 0.1.3").await);

    assert!(
        matches!(outcome, Outcome::ReleaseOpened { .. }),
        "{outcome:?}"
    );
    assert!(s.smoke_runs().is_empty());
    assert!(smoke_statuses(&s, &head(&s)).is_empty());
    let status = s.status_comment();
    assert!(
        status.contains("- [x] Smoke test skipped: `.github/workflows/release-smoke.yml` could not be dispatched on the release branch"),
        "{status}"
    );
    assert!(
        status.contains("examples/workflows/release-smoke.yml"),
        "{status}"
    );
    let retry = only(s.comment(MAINTAINER, "/release retry").await);
    assert_eq!(retry, Outcome::Answered(Reply::NothingToRetry));

    s.merge_release_pull(MergeMethod::Merge).await;
    assert!(s.sim.refs(REPO).contains_key("refs/tags/0.1.3"));
    assert_eq!(s.images_runs().len(), 1);
}

/// The job dies after the smoke dispatch, before the run is recorded; the comment's redelivery
/// finds the run by the recorded intent instead of dispatching a second one. A dispatch that
/// failed outright is simply sent again.
#[tokio::test]
async fn a_crash_around_the_smoke_dispatch_never_runs_it_twice_nor_loses_it() {
    let s = Scenario::mathesar().await;
    s.sim.fail_matching(
        "POST",
        "/statuses/",
        1,
        simulated_github::Fault::Status(502),
    );
    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release 0.1.3");
    let delivery = s
        .sim
        .take_deliveries()
        .into_iter()
        .find(|d| d.event == "issue_comment")
        .unwrap();

    let first = s.redeliver("issue_comment", &delivery.payload).await;
    assert!(first.is_err(), "the commit status failed: {first:?}");
    assert_eq!(s.smoke_runs().len(), 1);
    let again = s
        .redeliver("issue_comment", &delivery.payload)
        .await
        .unwrap();

    assert!(matches!(again, Outcome::ReleaseOpened { .. }), "{again:?}");
    assert_eq!(s.smoke_runs().len(), 1, "adopted, not dispatched again");
    assert_eq!(smoke_statuses(&s, &head(&s)), ["pending"]);
    assert!(s.status_comment().contains("running ([run]("));

    // A dispatch GitHub refused with a 502 is retried by `/release retry`.
    let t = Scenario::mathesar().await;
    t.sim.fail_matching(
        "POST",
        "release-smoke.yml/dispatches",
        1,
        simulated_github::Fault::Status(502),
    );
    let failed = t.comment(MAINTAINER, "/release 0.1.3").await;
    assert!(failed.iter().any(|o| o.is_err()), "{failed:?}");
    assert!(t.smoke_runs().is_empty());
    let retry = only(t.comment(MAINTAINER, "/release retry").await);
    assert!(
        matches!(retry, Outcome::SmokeDispatched { .. }),
        "{retry:?}"
    );
    assert_eq!(t.smoke_runs().len(), 1);
}
