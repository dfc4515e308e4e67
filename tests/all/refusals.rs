//! Every way `/release` says no: a clear answer on the issue, and nothing else changes.

use releasebot::engine::{Outcome, Reply};

use crate::harness::*;

/// Asserts that the bot answered with one reply and left the repository and issue as they were.
fn assert_refused(s: &Scenario, outcome: Outcome, kind: Reply) -> String {
    assert_eq!(outcome, Outcome::Answered(kind));
    assert_eq!(s.branches(), vec!["master"], "no branch is made");
    assert!(s.sim.pulls(REPO).is_empty(), "no pull request is opened");
    let issue = s.sim.issue(REPO, s.issue).unwrap();
    assert!(issue.assignees.is_empty(), "nobody is assigned");
    assert!(issue.labels.is_empty(), "no label is added");
    let replies = s.bot_comments();
    assert_eq!(replies.len(), 1, "exactly one answer: {replies:?}");
    let trigger = s.sim.comments(REPO, s.issue)[0].id;
    assert_eq!(
        s.sim.reactions(REPO, trigger),
        vec![(BOT.to_string(), "eyes".to_string())]
    );
    let posts = s.api_writes();
    assert_eq!(
        posts.len(),
        2,
        "only the reaction and the reply are written: {posts:?}"
    );
    replies.into_iter().next().unwrap()
}

#[tokio::test]
async fn a_writer_is_told_who_may_release_when_maintain_is_required() {
    let s = Scenario::mathesar().await;

    let outcome = only(s.comment(WRITER, "/release 0.1.3").await);

    let reply = assert_refused(&s, outcome, Reply::NotPermitted);
    assert!(
        reply.contains("@pavish, only people with the **maintain** role or higher on this repository can run releasebot commands; your role here is **write**."),
        "{reply}"
    );
}

#[tokio::test]
async fn a_stranger_is_refused_too() {
    let s = Scenario::mathesar().await;
    s.sim.add_user("drive-by", simulated_github::UserKind::User);

    let outcome = only(s.comment("drive-by", "/release 0.1.3").await);

    let reply = assert_refused(&s, outcome, Reply::NotPermitted);
    assert!(reply.contains("your role here is **read**"), "{reply}");
}

#[tokio::test]
async fn a_v_prefixed_version_is_refused_with_the_right_form() {
    let s = Scenario::mathesar().await;

    let outcome = only(s.comment(MAINTAINER, "/release v0.1.3").await);

    let reply = assert_refused(&s, outcome, Reply::VersionRefused);
    assert!(reply.contains("0.1.3"), "{reply}");
    assert!(
        reply.contains("`v`") || reply.contains("\"v\"") || reply.contains(" v "),
        "{reply}"
    );
}

#[tokio::test]
async fn a_word_that_is_not_a_version_is_refused() {
    let s = Scenario::mathesar().await;

    let outcome = only(s.comment(MAINTAINER, "/release banana").await);

    let reply = assert_refused(&s, outcome, Reply::VersionRefused);
    assert!(reply.contains("banana"), "{reply}");
}

#[tokio::test]
async fn the_version_already_released_is_refused() {
    let s = Scenario::mathesar().await;

    let outcome = only(s.comment(MAINTAINER, "/release 0.1.2").await);

    let reply = assert_refused(&s, outcome, Reply::VersionRefused);
    assert!(reply.contains("0.1.2"), "{reply}");
}

#[tokio::test]
async fn a_version_whose_tag_already_exists_is_refused() {
    let s = Scenario::mathesar().await;
    let master = s.sim.refs(REPO)["refs/heads/master"].clone();
    s.sim.push_tag(REPO, "0.1.3", &master, MAINTAINER, false);
    s.deliver().await;
    s.sim.clear_requests();

    let outcome = only(s.comment(MAINTAINER, "/release 0.1.3").await);

    let reply = assert_refused(&s, outcome, Reply::VersionRefused);
    assert!(reply.contains("0.1.3"), "{reply}");
    assert!(reply.contains("exists"), "{reply}");
}

#[tokio::test]
async fn a_missing_primary_version_file_is_refused() {
    let s = Scenario::mathesar_altered(|dir| {
        std::fs::remove_file(dir.join("mathesar/__init__.py")).unwrap();
        std::fs::write(dir.join("mathesar/apps.py"), "# app config\n").unwrap();
    })
    .await;

    let outcome = only(s.comment(MAINTAINER, "/release 0.1.3").await);

    let reply = assert_refused(&s, outcome, Reply::FilesRefused);
    assert!(reply.contains("mathesar/__init__.py"), "{reply}");
}

#[tokio::test]
async fn a_version_file_where_the_pattern_matches_nothing_is_refused() {
    let s = Scenario::mathesar_altered(|dir| {
        std::fs::write(
            dir.join("mathesar/__init__.py"),
            "default_app_config = 'mathesar.apps.MathesarConfig'\n\nVERSION = \"0.1.2\"\n",
        )
        .unwrap();
    })
    .await;

    let outcome = only(s.comment(MAINTAINER, "/release 0.1.3").await);

    let reply = assert_refused(&s, outcome, Reply::FilesRefused);
    assert!(reply.contains("mathesar/__init__.py"), "{reply}");
}

#[tokio::test]
async fn a_required_file_that_is_present_but_has_no_version_line_is_refused() {
    let s = Scenario::mathesar_altered(|dir| {
        std::fs::write(
            dir.join("install.sh"),
            "#!/usr/bin/env bash\necho install\n",
        )
        .unwrap();
        std::fs::create_dir_all(dir.join(".github")).unwrap();
        let config = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/releasebot.toml"),
        )
        .unwrap()
        .replace(
            "replace = 'github_tag=${1-\"{version}\"}'",
            "replace = 'github_tag=${1-\"{version}\"}'\nrequired = true",
        );
        std::fs::write(dir.join(".github/releasebot.toml"), config).unwrap();
    })
    .await;

    let outcome = only(s.comment(MAINTAINER, "/release 0.1.3").await);

    let reply = assert_refused(&s, outcome, Reply::FilesRefused);
    assert!(
        reply.contains("`install.sh` has no line matching its version pattern"),
        "{reply}"
    );
    assert!(s.branches() == ["master"], "nothing was made");
}

#[tokio::test]
async fn a_broken_config_is_reported_with_every_problem() {
    let s = Scenario::mathesar_altered(|dir| {
        std::fs::create_dir_all(dir.join(".github")).unwrap();
        std::fs::write(
            dir.join(".github/releasebot.toml"),
            "permision = \"write\"\nbranch = \"release {version}\"\n",
        )
        .unwrap();
    })
    .await;

    let outcome = only(s.comment(MAINTAINER, "/release 0.1.3").await);

    let reply = assert_refused(&s, outcome, Reply::ConfigInvalid);
    assert!(reply.contains("permision"), "{reply}");
    assert!(reply.contains("branch"), "{reply}");
}

#[tokio::test]
async fn a_command_with_a_stray_word_is_answered_with_help() {
    let s = Scenario::mathesar().await;

    let outcome = only(s.comment(MAINTAINER, "/release 0.1.3 now").await);

    let reply = assert_refused(&s, outcome, Reply::CommandNotUnderstood);
    assert!(reply.contains("`now` is one word too many"), "{reply}");
    assert!(reply.contains("| `/release help` |"), "{reply}");
}

#[tokio::test]
async fn quoting_the_command_does_nothing_at_all() {
    let s = Scenario::mathesar().await;

    let outcome = only(
        s.comment(MAINTAINER, "> /release 0.1.3\n\nWhat does this do?")
            .await,
    );

    assert!(matches!(outcome, Outcome::Ignored(_)), "{outcome:?}");
    assert!(
        s.api_calls().is_empty(),
        "not even a reaction: {:?}",
        s.api_calls()
    );
}

#[tokio::test]
async fn editing_a_comment_into_a_command_does_nothing() {
    let s = Scenario::mathesar().await;
    let comment = s.sim.post_comment(REPO, s.issue, MAINTAINER, "soon");
    s.deliver().await;

    s.sim
        .edit_comment(REPO, comment, MAINTAINER, "/release 0.1.3");
    let outcome = only(s.deliver().await);

    assert!(matches!(outcome, Outcome::Ignored(_)), "{outcome:?}");
    assert!(s.api_calls().is_empty(), "{:?}", s.api_calls());
}

#[tokio::test]
async fn comments_by_bots_are_ignored() {
    let s = Scenario::mathesar().await;
    s.sim
        .add_user("dependabot[bot]", simulated_github::UserKind::Bot);

    let outcome = only(s.comment("dependabot[bot]", "/release 0.1.3").await);

    assert!(matches!(outcome, Outcome::Ignored(_)), "{outcome:?}");
    assert!(s.api_calls().is_empty());
}
