//! People use GitHub's own pages mid-release: they format their commands, re-run workflows from
//! the Actions page, close and reopen the pull request, paste notes over the draft, move tags,
//! start the release from a second issue. Each move is an ordinary trigger for the bot.

use releasebot::engine::{Outcome, Reply};

use crate::harness::*;

/// Markup around a flag used to drop the flag and run the command for real.
#[tokio::test]
async fn a_dry_run_flag_in_markup_is_refused_and_nothing_runs() {
    let s = Scenario::mathesar().await;
    for command in [
        "/release 0.1.3 `--dry-run`",
        "/release 0.1.3 **--dry-run**",
        "/release 0.1.3 <kbd>--dry-run</kbd>",
        "/release 0.1.3 [--dry-run](#)",
        "/release 0.1.3 <!-- careful --> --dry-run",
        "/release 0.1.3\\\n--dry-run",
    ] {
        let outcome = only(s.comment(MAINTAINER, command).await);
        assert_eq!(
            outcome,
            Outcome::Answered(Reply::CommandNotUnderstood),
            "{command}"
        );
        let reply = s.bot_comments().pop().unwrap();
        assert!(
            reply.contains("the command line has formatting in it"),
            "{command}: {reply}"
        );
    }
    assert_eq!(s.branches(), vec!["master"], "no release branch");
    assert!(s.sim.pulls(REPO).is_empty(), "no pull request");
}

#[tokio::test]
async fn a_cancel_with_its_dry_run_flag_in_code_closes_nothing() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);

    let outcome = only(s.comment(MAINTAINER, "/release cancel `--dry-run`").await);

    assert_eq!(outcome, Outcome::Answered(Reply::CommandNotUnderstood));
    assert_eq!(s.sim.pulls(REPO)[0].state, "open");
    assert!(s.branches().contains(&"release/0.1.3".to_string()));
}

/// A person comments on the tracking issue; the delivery is handed to the bot and also
/// returned, to deliver again later (an Actions re-run, a dead job redelivered).
async fn comment_kept(s: &Scenario, body: &str) -> serde_json::Value {
    s.sim.post_comment(REPO, s.issue, MAINTAINER, body);
    let deliveries = s.sim.take_deliveries();
    let comment = deliveries
        .iter()
        .find(|d| d.event == "issue_comment")
        .expect("GitHub sends `issue_comment` `created`")
        .payload
        .clone();
    for delivery in deliveries {
        s.redeliver(&delivery.event, &delivery.payload)
            .await
            .expect("the comment is handled");
    }
    s.deliver().await;
    comment
}

#[tokio::test]
async fn the_starting_command_delivered_again_after_a_cancel_does_not_restart_the_release() {
    let s = Scenario::mathesar().await;
    let start = comment_kept(&s, "/release 0.1.3").await;
    only(s.comment(MAINTAINER, "/release cancel").await);
    assert_eq!(s.sim.pulls(REPO)[0].state, "closed");
    let smoke_runs = s.smoke_runs().len();

    let outcome = s.redeliver("issue_comment", &start).await.unwrap();
    s.deliver().await;

    assert_eq!(
        outcome,
        Outcome::NothingToResume {
            version: "0.1.3".into()
        }
    );
    assert_eq!(s.branches(), vec!["master"], "no new release branch");
    assert_eq!(s.sim.pulls(REPO).len(), 1, "no new pull request");
    assert_eq!(s.smoke_runs().len(), smoke_runs, "no new smoke run");
    assert!(
        s.status_comment().contains("cancelled"),
        "{}",
        s.status_comment()
    );

    // A person asking again is a new attempt.
    let again = only(s.comment(MAINTAINER, "/release 0.1.3").await);
    assert!(matches!(again, Outcome::ReleaseOpened { .. }), "{again:?}");
    assert_eq!(s.branches(), vec!["master", "release/0.1.3"]);
}

#[tokio::test]
async fn a_second_version_on_an_issue_whose_release_is_in_flight_is_refused() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);

    let outcome = only(s.comment(MAINTAINER, "/release 0.1.4").await);

    assert_eq!(outcome, Outcome::Answered(Reply::AnotherReleaseHere));
    let reply = s.bot_comments().pop().unwrap();
    assert!(
        reply.contains("This issue tracks release 0.1.3, which is still in flight"),
        "{reply}"
    );
    assert_eq!(s.sim.pulls(REPO).len(), 1, "one pull request");
    assert_eq!(s.branches(), vec!["master", "release/0.1.3"]);

    // Once 0.1.3 is cancelled, the issue may carry 0.1.4, and `cancel` reaches it.
    only(s.comment(MAINTAINER, "/release cancel").await);
    let outcome = only(s.comment(MAINTAINER, "/release 0.1.4").await);
    assert!(
        matches!(outcome, Outcome::ReleaseOpened { .. }),
        "{outcome:?}"
    );
    only(s.comment(MAINTAINER, "/release cancel").await);
    assert!(s.sim.pulls(REPO).iter().all(|p| p.state == "closed"));
}

/// `/release 0.1.3`, the smoke test passes, the maintainer merges, the images build succeeds:
/// a draft release waits for a person.
async fn released_as_draft(s: &Scenario) {
    use simulated_github::MergeMethod;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.finish_smoke_run("success").await;
    s.merge_release_pull(MergeMethod::Merge).await;
    s.finish_images_run("success").await;
}

#[tokio::test]
async fn publishing_the_draft_redraws_the_status_as_published_at_the_tags_address() {
    let s = Scenario::mathesar().await;
    released_as_draft(&s).await;
    assert!(s
        .status_comment()
        .contains("is ready: a person publishes it"));
    let draft = s.sim.releases(REPO)[0].id;

    s.sim.publish_release(REPO, draft, MAINTAINER).unwrap();
    s.deliver().await;

    let status = s.status_comment();
    assert!(
        status.contains("- [x] Release [`0.1.3`](")
            && status.contains("/releases/tag/0.1.3) published"),
        "{status}"
    );
    assert!(!status.contains("a person publishes it"), "{status}");
    assert!(!status.contains("untagged-"), "{status}");
}

/// The merge job tagged, drafted and dispatched, then failed writing the status comment; the
/// queue runs it again and finds the work done. The comment must not go on saying "merge it".
#[tokio::test]
async fn a_retried_merge_job_that_finds_the_work_done_redraws_the_status() {
    use simulated_github::Fault;
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.finish_smoke_run("success").await;
    let merged = s.merge_release_pull_undelivered();
    s.sim
        .fail_matching("PATCH", "/issues/comments/", 1, Fault::Status(502));

    let first = s.redeliver("pull_request", &merged).await;
    assert!(first.is_err(), "{first:?}");
    assert!(
        !s.status_comment().contains("- [x] Tag"),
        "the comment is behind"
    );
    let retried = s.redeliver("pull_request", &merged).await.unwrap();
    s.deliver().await;

    assert!(
        matches!(retried, Outcome::NothingToResume { .. }),
        "{retried:?}"
    );
    assert_eq!(s.images_runs().len(), 1, "built once");
    let status = s.status_comment();
    for done in [
        "- [x] Merged as",
        "- [x] Tag [`0.1.3`]",
        "- [x] Draft release",
    ] {
        assert!(status.contains(done), "{done} in {status}");
    }
    assert!(status.contains("Building the images"), "{status}");
}

/// 0.1.3's images failed; 0.1.4 was tagged and released since. Building 0.1.3 again must not
/// take `:latest` (nor GitHub's Latest badge) back from 0.1.4.
#[tokio::test]
async fn a_retried_build_after_a_newer_release_leaves_latest_where_it_is() {
    use simulated_github::MergeMethod;
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.finish_smoke_run("success").await;
    s.merge_release_pull(MergeMethod::Merge).await;
    assert_eq!(s.images_runs()[0].inputs["latest"], "true");
    s.finish_images_run("failure").await;
    let master = s.sim.refs(REPO)["refs/heads/master"].clone();
    s.sim.push_tag(REPO, "0.1.4", &master, MAINTAINER, false);
    s.sim.take_deliveries();

    only(s.comment(MAINTAINER, "/release retry").await);

    let runs = s.images_runs();
    assert_eq!(runs.len(), 2, "built again");
    assert_eq!(runs[1].inputs["latest"], "false", "decided at the retry");
    let draft = &s.sim.releases(REPO)[0];
    assert!(!draft.body.contains(":latest`"), "{}", draft.body);
    assert_eq!(draft.make_latest, "false");
    s.finish_images_run("success").await;
    let status = s.status_comment();
    assert!(!status.contains(":latest`"), "{status}");
    let draft = &s.sim.releases(REPO)[0];
    assert!(
        draft.body.contains("- `mathesar/mathesar-prod:0.1.3`"),
        "{}",
        draft.body
    );
    assert!(!draft.body.contains(":latest`"), "{}", draft.body);
}

/// The owner pastes the final notes over the whole draft body while the images build, erasing
/// the bot's hidden record of its run. The build's result is still recorded, the record comes
/// back, and a retry does not build twice.
#[tokio::test]
async fn notes_pasted_over_the_whole_draft_keep_the_build_recorded_and_built_once() {
    use simulated_github::MergeMethod;
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.finish_smoke_run("success").await;
    s.merge_release_pull(MergeMethod::Merge).await;
    let draft = s.sim.releases(REPO)[0].id;
    assert!(s.sim.releases(REPO)[0]
        .body
        .contains("<!-- releasebot:release "));

    s.sim.edit_release_body(
        REPO,
        draft,
        "## What's new\n\nEverything, rewritten by hand.\n",
    );
    s.deliver().await;
    s.finish_images_run("success").await;

    let body = &s.sim.releases(REPO)[0].body;
    assert!(body.contains("Everything, rewritten by hand."), "{body}");
    assert!(body.contains("**Images pushed**"), "{body}");
    assert!(
        body.contains("<!-- releasebot:release "),
        "the record is back: {body}"
    );
    let status = s.status_comment();
    assert!(status.contains("- [x] Images pushed"), "{status}");

    let retry = only(s.comment(MAINTAINER, "/release retry").await);
    assert_eq!(retry, Outcome::Answered(Reply::NothingToRetry));
    assert_eq!(s.images_runs().len(), 1, "built once");
}

/// The smoke test failed; someone presses "Re-run" on the Actions page and it passes. The
/// bot's own run, next attempt, counts: the check turns green and the checklist ticks.
#[tokio::test]
async fn a_smoke_run_re_run_from_the_actions_page_counts() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.finish_smoke_run("failure").await;
    let run = s.smoke_runs()[0].id;
    let head = s.sim.refs(REPO)["refs/heads/release/0.1.3"].clone();
    assert_eq!(smoke_check(&s, &head), "failure");

    assert_eq!(s.sim.rerun_run(REPO, run, WRITER), Ok(2));
    s.deliver().await;
    s.sim.complete_run(REPO, run, "success").unwrap();
    s.deliver().await;

    assert_eq!(
        s.smoke_runs().len(),
        1,
        "no new run: the same run, attempt 2"
    );
    assert_eq!(smoke_check(&s, &head), "success");
    let status = s.status_comment();
    assert!(status.contains("- [x] Smoke test of `"), "{status}");
    let pull = &s.sim.pulls(REPO)[0];
    assert!(pull.body.contains("- [x] Log in"), "{}", pull.body);
}

/// The latest commit status `releasebot/smoke` on a commit.
fn smoke_check(s: &Scenario, sha: &str) -> String {
    s.sim
        .statuses(REPO, sha)
        .into_iter()
        .rev()
        .find(|(context, ..)| context == "releasebot/smoke")
        .map(|(_, state, _)| state)
        .unwrap_or_default()
}

/// Closing the release pull request cancels the release; reopening it takes it up again.
#[tokio::test]
async fn a_reopened_release_pull_request_is_open_again_and_its_pushes_are_smoke_tested() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.finish_smoke_run("success").await;
    let pull = s.release_pull();
    s.sim.close_pull(REPO, pull, MAINTAINER).unwrap();
    s.deliver().await;
    assert!(s.status_comment().contains("the release is cancelled"));

    s.sim.reopen_pull(REPO, pull, MAINTAINER).unwrap();
    s.deliver().await;

    let status = s.status_comment();
    assert!(!status.contains("cancelled"), "{status}");
    assert_eq!(s.smoke_runs().len(), 1, "the head was tested already");
    s.sim.push_commit(
        REPO,
        "release/0.1.3",
        WRITER,
        "Fix the install script",
        &[("install.sh", "#!/bin/sh\necho fixed\n")],
    );
    s.deliver().await;
    assert_eq!(s.smoke_runs().len(), 2, "the new head is smoke-tested");
    let retry = only(s.comment(MAINTAINER, "/release retry").await);
    assert_eq!(
        retry,
        Outcome::Answered(Reply::NothingToRetry),
        "waiting for the merge"
    );
    let reply = s.bot_comments().pop().unwrap();
    assert!(!reply.contains("cancelled"), "{reply}");
}

/// A person tagged the release branch's head before the merge; the bot built it. The squash
/// merge makes another commit, so the tag is in the way; the person deletes it and retries:
/// the merge commit is tagged and built, once, and the status says so.
#[tokio::test]
async fn a_tag_moved_off_the_built_commit_is_built_again_once() {
    use simulated_github::MergeMethod;
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.finish_smoke_run("success").await;
    let branch_head = s.sim.refs(REPO)["refs/heads/release/0.1.3"].clone();
    s.sim
        .push_tag(REPO, "0.1.3", &branch_head, MAINTAINER, false);
    s.deliver().await;
    assert_eq!(s.images_runs().len(), 1);
    assert_eq!(s.images_runs()[0].head_sha, branch_head);
    s.merge_release_pull(MergeMethod::Squash).await;
    let status = s.status_comment();
    assert!(status.contains("already exists on"), "{status}");

    s.sim
        .delete_ref(REPO, "refs/tags/0.1.3", MAINTAINER)
        .unwrap();
    s.deliver().await;
    only(s.comment(MAINTAINER, "/release retry").await);

    let merge_commit = s.sim.refs(REPO)["refs/heads/master"].clone();
    assert_ne!(merge_commit, branch_head);
    assert_eq!(
        s.sim.resolve(REPO, Some("0.1.3")).as_deref(),
        Some(merge_commit.as_str()),
        "the tag is on the merge commit"
    );
    let runs = s.images_runs();
    assert_eq!(runs.len(), 2, "built again: {runs:?}");
    assert_eq!(runs[1].head_sha, merge_commit);
    let status = s.status_comment();
    assert!(!status.contains("already exists on"), "{status}");
    assert!(!status.contains("❌"), "{status}");

    // The stale build finishing late changes nothing; another retry builds nothing more.
    s.sim.complete_run(REPO, runs[0].id, "success").unwrap();
    s.deliver().await;
    s.finish_images_run("success").await;
    assert!(s.status_comment().contains("- [x] Images pushed"));
    only(s.comment(MAINTAINER, "/release status").await);
    assert!(!s.status_comment().contains("❌"), "{}", s.status_comment());
    assert_eq!(s.images_runs().len(), 2, "built once more, not twice");
}

/// Someone starts the same release again from a second issue: one release has one home.
#[tokio::test]
async fn the_same_release_started_from_a_second_issue_points_at_its_home() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    let status_before = s.status_comment();
    let second = s
        .sim
        .create_issue(REPO, WRITER, "Ship 0.1.3", "Can we release?");
    s.deliver().await;

    s.sim
        .post_comment(REPO, second, MAINTAINER, "/release 0.1.3");
    let outcome = only(s.deliver().await);

    assert_eq!(outcome, Outcome::Answered(Reply::TrackedElsewhere));
    let replies: Vec<String> = s
        .sim
        .comments(REPO, second)
        .into_iter()
        .filter(|c| c.author == BOT)
        .map(|c| c.body)
        .collect();
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert!(
        replies[0].contains(&format!("already in flight, tracked in #{}", s.issue)),
        "{}",
        replies[0]
    );
    let issue = s.sim.issue(REPO, second).unwrap();
    assert!(issue.assignees.is_empty() && issue.labels.is_empty());
    assert_eq!(s.smoke_runs().len(), 1, "no second smoke run");
    assert_eq!(s.sim.pulls(REPO).len(), 1);
    assert_eq!(s.status_comment(), status_before);
}

/// A person moves the released tag back to a commit whose version files say the previous
/// version: its images are stale, but that commit is not built: it is checked like a new tag.
#[tokio::test]
async fn a_tag_moved_onto_a_commit_that_says_another_version_is_not_built() {
    let s = Scenario::mathesar().await;
    released_as_draft(&s).await;
    let before_release = s.sim.refs(REPO)["refs/tags/0.1.2"].clone();

    s.sim
        .push_tag(REPO, "0.1.3", &before_release, MAINTAINER, false);
    s.deliver().await;

    assert_eq!(s.images_runs().len(), 1, "nothing built from the moved tag");
    let said = s.bot_comments().join("\n");
    assert!(
        said.contains(&format!(
            "Tag `0.1.3` was not released: the version files at {before_release} do not say `0.1.3`"
        )) && said.contains("- `mathesar/__init__.py` says `0.1.2`"),
        "the disagreement is named: {said}"
    );
    let status = s.status_comment();
    assert!(status.contains("❌"), "{status}");
}
