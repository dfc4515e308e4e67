//! Mathesar's branch model today: a release cut from `develop` as `release-<version>`, its pull
//! request into `master` opened as a draft on milestone `v<version>` (made when missing), and
//! merged through the merge queue, whose own commit is tagged. Played against the simulated
//! GitHub from a configuration that says so.

use releasebot::engine::{Outcome, Reply};
use simulated_github::{Fault, MergeMethod};

use crate::harness::*;

const QUEUE: &str = "github-merge-queue[bot]";

const BRANCH_MODEL: &str = "base_branch = \"develop\"\ntarget_branch = \"master\"\n\
    branch = \"release-{version}\"\npr_draft = true\npr_milestone = \"v{version}\"\n";

/// Mathesar at 0.1.2 configured with the branch model, and work on `develop` that `master`
/// has not seen; that push's deliveries are handed over.
pub async fn mathesar_with_develop() -> (Scenario, String) {
    let s = Scenario::mathesar_altered(|dir| {
        std::fs::write(dir.join(".github/releasebot.toml"), BRANCH_MODEL).unwrap();
    })
    .await;
    let develop = develop_moves_on(&s).await;
    (s, develop)
}

/// Work lands on `develop` that `master` has not seen; its push's deliveries are handed over.
pub async fn develop_moves_on(s: &Scenario) -> String {
    let develop = s.sim.push_commit(
        REPO,
        "develop",
        WRITER,
        "Schemas can be renamed again",
        &[("mathesar/schemas.py", "RENAMABLE = True\n")],
    );
    s.deliver().await;
    develop
}

fn release_pull(s: &Scenario) -> simulated_github::PullInfo {
    let pulls = s.sim.pulls(REPO);
    assert_eq!(pulls.len(), 1, "{pulls:?}");
    pulls[0].clone()
}

#[tokio::test]
async fn a_release_cut_from_develop_goes_into_master_as_a_draft_on_its_milestone_and_the_queues_merge_commit_is_tagged(
) {
    let (s, develop) = mathesar_with_develop().await;

    let opened = only(s.comment(MAINTAINER, "/release 0.1.3").await);

    assert!(
        matches!(opened, Outcome::ReleaseOpened { .. }),
        "{opened:?}"
    );
    let head = s.sim.refs(REPO)["refs/heads/release-0.1.3"].clone();
    let release_commit = s.sim.commit(REPO, &head).unwrap();
    assert_eq!(release_commit.parents, [develop], "cut from develop");
    let pull = release_pull(&s);
    assert_eq!(
        (pull.head.as_str(), pull.base.as_str()),
        ("release-0.1.3", "master")
    );
    assert!(pull.draft, "opened as a draft");
    assert_eq!(pull.milestone.as_deref(), Some("v0.1.3"));
    let milestones = s.sim.milestones(REPO);
    assert_eq!(milestones.len(), 1);
    assert_eq!(
        (milestones[0].title.as_str(), milestones[0].creator.as_str()),
        ("v0.1.3", BOT)
    );
    let status = s.status_comment();
    assert!(
        status.contains("into `master`, as a draft, on milestone `v0.1.3`"),
        "{status}"
    );

    // A maintainer marks the draft ready and adds it to the merge queue, which merges it.
    s.sim.mark_ready(REPO, pull.number, MAINTAINER).unwrap();
    let merge_commit = s
        .sim
        .merge_through_queue(REPO, pull.number, MergeMethod::Merge, MAINTAINER)
        .unwrap();
    let outcomes = s.deliver().await;

    assert!(
        outcomes
            .iter()
            .any(|o| matches!(o, Ok(Outcome::Released { tagged: true, .. }))),
        "{outcomes:?}"
    );
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    assert_eq!(
        s.sim.resolve(REPO, Some("0.1.3")),
        Some(merge_commit.clone())
    );
    assert_eq!(s.sim.commit(REPO, &merge_commit).unwrap().author, QUEUE);
    assert_eq!(s.sim.refs(REPO)["refs/heads/master"], merge_commit);
    assert_eq!(
        s.file_at("0.1.3", "mathesar/schemas.py").as_deref(),
        Some("RENAMABLE = True\n"),
        "develop's work is released"
    );
    assert!(s
        .file_at("0.1.3", "mathesar/__init__.py")
        .unwrap()
        .contains("0.1.3"));
    assert_eq!(s.images_runs().len(), 1);
    assert_eq!(s.images_runs()[0].head_branch, "0.1.3");
    let drafts: Vec<_> = s
        .sim
        .releases(REPO)
        .into_iter()
        .filter(|r| r.draft)
        .collect();
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].tag_name, "0.1.3");
}

#[tokio::test]
async fn a_milestone_a_person_made_is_used_not_made_again() {
    let (s, _) = mathesar_with_develop().await;
    let theirs = s.sim.create_milestone(REPO, "v0.1.3", MAINTAINER).unwrap();
    s.deliver().await;

    only(s.comment(MAINTAINER, "/release 0.1.3").await);

    let milestones = s.sim.milestones(REPO);
    assert_eq!(milestones.len(), 1, "{milestones:?}");
    assert_eq!(
        (milestones[0].number, milestones[0].creator.as_str()),
        (theirs, MAINTAINER)
    );
    assert_eq!(release_pull(&s).milestone.as_deref(), Some("v0.1.3"));
    assert!(
        !s.api_calls()
            .iter()
            .any(|c| c.starts_with("POST /repos/centerofci/mathesar/milestones")),
        "{:?}",
        s.api_calls()
    );
}

#[tokio::test]
async fn a_refused_milestone_is_said_on_the_status_and_the_release_goes_on_until_asked_again() {
    let (s, _) = mathesar_with_develop().await;
    s.sim
        .fail_matching("POST", "/milestones", 1, Fault::Status(403));

    let opened = only(s.comment(MAINTAINER, "/release 0.1.3").await);

    assert!(
        matches!(opened, Outcome::ReleaseOpened { .. }),
        "{opened:?}"
    );
    let pull = release_pull(&s);
    assert_eq!(pull.milestone, None);
    assert!(s.sim.milestones(REPO).is_empty());
    let status = s.status_comment();
    assert!(
        status.contains("⚠️ not on milestone `v0.1.3`: GitHub refused to make milestone `v0.1.3`"),
        "{status}"
    );
    assert!(
        status.contains("comment `/release 0.1.3` to try again"),
        "{status}"
    );
    assert!(
        !s.smoke_runs().is_empty(),
        "the release went on: its head is smoke-tested"
    );

    // Asked again, the release resumes: the milestone is made and the warning goes.
    s.comment(MAINTAINER, "/release 0.1.3").await;

    assert_eq!(release_pull(&s).milestone.as_deref(), Some("v0.1.3"));
    let status = s.status_comment();
    assert!(!status.contains("not on milestone"), "{status}");
    assert!(status.contains("on milestone `v0.1.3`"), "{status}");
    assert_eq!(s.sim.pulls(REPO).len(), 1, "no second pull request");
}

#[tokio::test]
async fn a_missing_base_branch_is_answered_with_what_to_do_and_nothing_is_made() {
    let s = Scenario::mathesar_altered(|dir| {
        std::fs::write(dir.join(".github/releasebot.toml"), BRANCH_MODEL).unwrap();
    })
    .await;

    let answered = only(s.comment(MAINTAINER, "/release 0.1.3").await);

    assert_eq!(answered, Outcome::Answered(Reply::BaseBranchMissing));
    let said = s.bot_comments().join("\n");
    assert!(
        said.contains("the base branch `develop` does not exist. Set `base_branch`"),
        "{said}"
    );
    assert!(s.sim.pulls(REPO).is_empty());
    assert!(
        !s.branches().iter().any(|b| b.starts_with("release-")),
        "{:?}",
        s.branches()
    );
    assert!(s.sim.milestones(REPO).is_empty());
}

#[tokio::test]
async fn a_dry_run_says_where_the_release_is_cut_from_and_where_its_draft_goes() {
    let (s, _) = mathesar_with_develop().await;

    s.comment(MAINTAINER, "/release 0.1.3 --dry-run").await;

    let said = s.bot_comments().join("\n");
    assert!(
        said.contains("create branch `release-0.1.3` from `develop`"),
        "{said}"
    );
    assert!(
        said.contains(
            "open draft pull request `Release 0.1.3` into `master` on milestone `v0.1.3` (made if missing)"
        ),
        "{said}"
    );
    assert!(s.sim.pulls(REPO).is_empty() && s.sim.milestones(REPO).is_empty());
}

#[tokio::test]
async fn a_missing_target_branch_is_answered_before_anything_is_made() {
    let s = Scenario::mathesar_altered(|dir| {
        let config = BRANCH_MODEL.replace("target_branch = \"master\"", "target_branch = \"main\"");
        std::fs::write(dir.join(".github/releasebot.toml"), config).unwrap();
    })
    .await;
    s.sim
        .push_commit(REPO, "develop", WRITER, "Work", &[("work.txt", "work\n")]);
    s.deliver().await;

    let answered = only(s.comment(MAINTAINER, "/release 0.1.3").await);

    assert_eq!(answered, Outcome::Answered(Reply::TargetBranchMissing));
    let said = s.bot_comments().join("\n");
    assert!(
        said.contains("the branch `main` that release pull requests go into does not exist. Create it, or set `target_branch`"),
        "{said}"
    );
    assert!(s.sim.pulls(REPO).is_empty());
    assert!(
        !s.branches().iter().any(|b| b.starts_with("release-")),
        "{:?}",
        s.branches()
    );
}
