//! The same event twice, or a failure half-way: nothing is lost and nothing is done twice.

use releasebot::engine::{EngineError, Outcome};
use simulated_github::Fault;

use crate::harness::*;

#[tokio::test]
async fn the_same_comment_delivered_twice_makes_one_branch_commit_pull_request_and_status_comment()
{
    let s = Scenario::mathesar().await;
    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release 0.1.3");
    let deliveries = s.sim.take_deliveries();
    assert_eq!(deliveries.len(), 1);
    let delivery = &deliveries[0];

    let first = s
        .redeliver(&delivery.event, &delivery.payload)
        .await
        .unwrap();
    let head = s.sim.refs(REPO)["refs/heads/release/0.1.3"].clone();
    s.sim.clear_requests();
    let second = s
        .redeliver(&delivery.event, &delivery.payload)
        .await
        .unwrap();

    assert_eq!(first, second, "the second run finds the same release");
    assert_eq!(s.branches(), vec!["master", "release/0.1.3"]);
    assert_eq!(
        s.sim.refs(REPO)["refs/heads/release/0.1.3"],
        head,
        "no second commit"
    );
    assert_eq!(s.sim.pulls(REPO).len(), 1);
    assert_eq!(s.bot_comments().len(), 1, "one status comment");
    let writes: Vec<String> = normalised(&s.api_calls())
        .into_iter()
        .filter(|c| is_write(c))
        .collect();
    assert_eq!(
        writes,
        vec![
            format!("POST /repos/{REPO}/issues/comments/<id>/reactions -> 200"),
            format!("POST /repos/{REPO}/issues/{}/assignees -> 201", s.issue),
            format!("POST /repos/{REPO}/issues/{}/labels -> 200", s.issue),
            format!("PATCH /repos/{REPO}/issues/comments/<id> -> 200"),
        ],
        "the second run only repeats harmless writes"
    );
}

#[tokio::test]
async fn a_refusal_is_not_repeated_when_the_comment_is_delivered_again() {
    let s = Scenario::mathesar().await;
    s.sim.post_comment(REPO, s.issue, WRITER, "/release 0.1.3");
    let delivery = s.sim.take_deliveries().remove(0);

    s.redeliver(&delivery.event, &delivery.payload)
        .await
        .unwrap();
    let again = s
        .redeliver(&delivery.event, &delivery.payload)
        .await
        .unwrap();

    assert_eq!(again, Outcome::AlreadyAnswered);
    assert_eq!(s.bot_comments().len(), 1);
}

#[tokio::test]
async fn a_second_release_comment_continues_the_same_release() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);

    let outcome = only(s.comment(MAINTAINER, "/release 0.1.3").await);

    assert!(
        matches!(outcome, Outcome::ReleaseOpened { .. }),
        "{outcome:?}"
    );
    assert_eq!(s.sim.pulls(REPO).len(), 1);
    assert_eq!(
        s.bot_comments().len(),
        1,
        "the one status comment is updated"
    );
}

#[tokio::test]
async fn github_failing_while_the_branch_is_made_is_reported_then_resumed_by_commenting_again() {
    let s = Scenario::mathesar().await;
    // The first write to git refs fails with a 502, as GitHub sometimes does.
    s.sim
        .fail_matching("POST", "/git/refs", 1, Fault::Status(502));

    let outcome = s.comment(MAINTAINER, "/release 0.1.3").await.remove(0);

    let Err(EngineError::StepFailed { step, .. }) = outcome else {
        panic!("expected a failed step, got {outcome:?}");
    };
    assert_eq!(step, releasebot::status::Step::Branch);
    assert_eq!(s.branches(), vec!["master"]);
    let comments = s.bot_comments();
    assert_eq!(
        comments.len(),
        2,
        "status comment and one notice: {comments:?}"
    );
    assert!(
        comments[0].contains("- [ ] ❌ Release branch: GitHub answered 502"),
        "{}",
        comments[0]
    );
    assert!(
        comments[0].contains("Comment `/release 0.1.3` again to resume"),
        "{}",
        comments[0]
    );
    assert!(
        comments[1].starts_with("@kgodey, release 0.1.3 stopped: Release branch"),
        "{}",
        comments[1]
    );

    let outcome = only(s.comment(MAINTAINER, "/release 0.1.3").await);

    assert!(
        matches!(outcome, Outcome::ReleaseOpened { .. }),
        "{outcome:?}"
    );
    assert_eq!(s.branches(), vec!["master", "release/0.1.3"]);
    assert_eq!(s.sim.pulls(REPO).len(), 1);
    let comments = s.bot_comments();
    assert_eq!(comments.len(), 2, "no new status comment, no second notice");
    assert!(!comments[0].contains('❌'), "{}", comments[0]);
    assert!(
        comments[0].contains("- [x] Pull request"),
        "{}",
        comments[0]
    );
}

#[tokio::test]
async fn someone_elses_branch_with_the_release_name_is_not_overwritten() {
    let s = Scenario::mathesar().await;
    s.sim.push_commit(
        REPO,
        "release/0.1.3",
        MAINTAINER,
        "WIP",
        &[("notes.txt", "draft\n")],
    );
    s.deliver().await;
    let theirs = s.sim.refs(REPO)["refs/heads/release/0.1.3"].clone();

    let outcome = only(s.comment(MAINTAINER, "/release 0.1.3").await);

    assert!(
        matches!(
            outcome,
            Outcome::StepBlocked {
                step: releasebot::status::Step::Branch,
                ..
            }
        ),
        "{outcome:?}"
    );
    assert_eq!(s.sim.refs(REPO)["refs/heads/release/0.1.3"], theirs);
    assert!(s.sim.pulls(REPO).is_empty());
    let status = &s.bot_comments()[0];
    assert!(
        status.contains("already exists, and its last commit is not the release commit"),
        "{status}"
    );
}
