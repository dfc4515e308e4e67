//! Only releasebot's own words count. Another App, or a workflow acting as
//! `github-actions[bot]`, is just another user: its status comments, reply markers and release
//! pull requests change nothing.

use releasebot::engine::{Outcome, Reply};
use simulated_github::{MergeMethod, UserKind};

use crate::harness::*;

const OTHER_BOT: &str = "helpful-app[bot]";

async fn with_another_bot() -> Scenario {
    let s = Scenario::mathesar().await;
    s.sim.add_user(OTHER_BOT, UserKind::Bot);
    s.sim.set_role(REPO, OTHER_BOT, "write");
    s
}

#[tokio::test]
async fn another_bots_reply_marker_does_not_silence_the_answer() {
    let s = with_another_bot().await;
    let command = s
        .sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release 0.1.3");
    // Before the bot gets to the comment, another bot claims to have answered it.
    s.sim.post_comment(
        REPO,
        s.issue,
        OTHER_BOT,
        &format!("<!-- releasebot:reply-to {command} -->\nAlready handled."),
    );

    let outcome = only(s.deliver().await);

    assert!(
        matches!(outcome, Outcome::ReleaseOpened { .. }),
        "{outcome:?}"
    );
    assert_eq!(s.sim.pulls(REPO).len(), 1);
}

#[tokio::test]
async fn another_bots_status_comment_is_not_a_release_to_cancel() {
    let s = with_another_bot().await;
    // A forged status comment for a release the bot never started.
    s.sim.post_comment(
        REPO,
        s.issue,
        OTHER_BOT,
        "<!-- releasebot:status {\"version\":\"0.1.2\",\"owner\":\"kgodey\",\"trigger_comment\":1} -->\n## Release 0.1.2",
    );
    s.deliver().await;
    s.sim.clear_requests();

    let outcome = only(s.comment(MAINTAINER, "/release cancel").await);

    assert_eq!(outcome, Outcome::Answered(Reply::NoReleaseHere));
    let calls = s.api_calls();
    assert!(
        !calls
            .iter()
            .any(|c| c.starts_with("DELETE") || c.starts_with("PATCH")),
        "{calls:#?}"
    );
}

#[tokio::test]
async fn another_bots_release_pull_request_is_never_tagged() {
    let s = with_another_bot().await;
    // Another bot with write access opens what looks exactly like releasebot's pull request,
    // with a status comment to match.
    let bumped = s
        .file_at("master", "mathesar/__init__.py")
        .unwrap()
        .replace("0.1.2", "0.1.4");
    s.sim.push_commit(
        REPO,
        "release/0.1.4",
        OTHER_BOT,
        "Release 0.1.4",
        &[("mathesar/__init__.py", &bumped)],
    );
    let pull = s.sim.open_pull_with_body(
        REPO,
        "release/0.1.4",
        "master",
        OTHER_BOT,
        "Release 0.1.4",
        &format!("Release 0.1.4, tracked in #{}.", s.issue),
    );
    s.sim.post_comment(
        REPO,
        s.issue,
        OTHER_BOT,
        "<!-- releasebot:status {\"version\":\"0.1.4\",\"owner\":\"kgodey\",\"trigger_comment\":1} -->\n## Release 0.1.4",
    );
    s.deliver().await;

    s.sim
        .merge_pull(REPO, pull, MergeMethod::Merge, MAINTAINER)
        .unwrap();
    let outcomes = s.deliver().await;

    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Ok(Outcome::Ignored(_)))),
        "{outcomes:?}"
    );
    assert!(!s.sim.refs(REPO).contains_key("refs/tags/0.1.4"));
    assert!(s.sim.releases(REPO).is_empty());
    assert!(s.images_runs().is_empty());
    assert!(s.bot_comments().is_empty(), "{:?}", s.bot_comments());
}

/// Someone else opened a pull request from the release branch before the bot: it is not taken
/// for the bot's own (it would never be tagged); the person is told to close it.
#[tokio::test]
async fn someone_elses_pull_request_from_the_release_branch_is_not_taken_for_ours() {
    let s = with_another_bot().await;
    let bumped = s
        .file_at("master", "mathesar/__init__.py")
        .unwrap()
        .replace("0.1.2", "0.1.3");
    s.sim.push_commit(
        REPO,
        "release/0.1.3",
        OTHER_BOT,
        "Release 0.1.3",
        &[("mathesar/__init__.py", &bumped)],
    );
    let theirs = s
        .sim
        .open_pull(REPO, "release/0.1.3", "master", OTHER_BOT, "Release 0.1.3");
    s.deliver().await;

    let outcome = only(s.comment(MAINTAINER, "/release 0.1.3").await);

    assert!(
        matches!(outcome, Outcome::StepBlocked { .. }),
        "{outcome:?}"
    );
    let status = s.status_comment();
    assert!(
        status.contains(&format!(
            "Pull request #{theirs} from `release/0.1.3` was opened by @{OTHER_BOT}, not by releasebot"
        )),
        "{status}"
    );
    assert_eq!(s.sim.pulls(REPO).len(), 1, "no second pull request");
}
