//! QA candidates as Mathesar tests a release today, without ever burning the final tag: the
//! release branch's head tagged `0.1.3-rc.N`, the packaging workflow's draft adopted with its
//! assets, the images built as `:0.1.3-rc.N` only, published as a pre-release that is never
//! Latest; a fix gets the next number, the same commit gets nothing; after the merge the release
//! is tagged, and published once its images and docs are out — with immutable releases on and
//! nothing deleted.

use releasebot::engine::{EngineError, Outcome};
use simulated_github::{MergeMethod, Packaging, ACTIONS_BOT};

use crate::harness::*;
use crate::mathesar_today::mathesar_today;
use crate::packaged_release::packaging_runs;

const BRANCH: &str = "release-0.1.3";

/// The release asked for and its head smoke-tested.
async fn release_open(s: &Scenario) {
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    all_ok(&s.finish_smoke_run("success").await);
}

fn release_on(s: &Scenario, tag: &str) -> simulated_github::Release {
    s.sim
        .releases(REPO)
        .into_iter()
        .find(|r| r.tag_name == tag)
        .unwrap_or_else(|| panic!("a release on {tag}"))
}

/// The newest packaging run finishes, then the newest images run: the candidate is published.
/// What the images run's end led to.
async fn package_and_build(s: &Scenario) -> Vec<Result<Outcome, EngineError>> {
    let run = packaging_runs(s).last().expect("a packaging run").id;
    s.sim.complete_run(REPO, run, "success").unwrap();
    all_ok(&s.deliver().await);
    let built = s.finish_images_run("success").await;
    all_ok(&built);
    built
}

/// A fix lands on the release branch and is smoke-tested.
async fn push_fix(s: &Scenario) -> String {
    let head = s.sim.push_commit(
        REPO,
        BRANCH,
        MAINTAINER,
        "Fix the upgrade from 0.1.2",
        &[("mathesar/upgrade.py", "FIXED = True\n")],
    );
    all_ok(&s.deliver().await);
    all_ok(&s.finish_smoke_run("success").await);
    head
}

#[tokio::test]
async fn mathesar_today_two_candidates_then_the_release_with_nothing_deleted() {
    let s = mathesar_today().await;
    release_open(&s).await;
    let refs_before: Vec<String> = s.sim.refs(REPO).into_keys().collect();
    let head = s.sim.refs(REPO)[&format!("refs/heads/{BRANCH}")].clone();

    // rc.1: the branch's head tagged; the tag (an App's token starts workflows) runs the
    // packaging, whose draft is adopted with its assets; then the images, never latest.
    all_ok(&s.comment(MAINTAINER, "/release candidate").await);
    assert_eq!(s.sim.resolve(REPO, Some("0.1.3-rc.1")), Some(head.clone()));
    assert!(
        s.images_runs().is_empty(),
        "nothing built before the assets"
    );
    let built = package_and_build(&s).await;
    // Its publication (an App's token sends the event) is not the release's: nothing follows.
    assert!(
        built
            .iter()
            .any(|o| matches!(o, Ok(Outcome::Ignored(why)) if why.contains("is a QA candidate"))),
        "{built:?}"
    );
    let rc1 = release_on(&s, "0.1.3-rc.1");
    assert_eq!(rc1.author, ACTIONS_BOT, "the packaging's draft, adopted");
    assert!(rc1.prerelease && !rc1.draft && rc1.immutable, "{rc1:?}");
    assert_eq!(rc1.make_latest, "false");
    let names: Vec<&str> = rc1.assets.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["install.sh", "mathesar.tar.gz", "SHA256SUMS"]);
    let images = s.images_runs();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].head_branch, "0.1.3-rc.1");
    assert_eq!(
        (
            images[0].inputs["version"].as_str(),
            images[0].inputs["latest"].as_str()
        ),
        (Some("0.1.3-rc.1"), Some("false"))
    );
    assert_eq!(
        s.sim.latest_release(REPO),
        None,
        "a candidate is never Latest"
    );
    let status = s.status_comment();
    assert!(status.contains("`0.1.3-rc.1` on"), "{status}");
    assert!(
        status.contains("`mathesar/mathesar:0.1.3-rc.1`"),
        "{status}"
    );
    assert!(
        status.contains("assets `install.sh`, `mathesar.tar.gz`, `SHA256SUMS`"),
        "{status}"
    );
    assert!(status.contains("✅ published for QA"), "{status}");

    // Asked again with nothing new: answered, nothing made.
    let refs_now = s.sim.refs(REPO);
    let answered = only(s.comment(MAINTAINER, "/release qa").await);
    assert!(matches!(answered, Outcome::Answered(_)), "{answered:?}");
    assert!(s
        .bot_comments()
        .last()
        .unwrap()
        .contains("Nothing new to test"));
    assert_eq!(s.sim.refs(REPO), refs_now);
    assert_eq!(s.images_runs().len(), 1);

    // A fix, then rc.2 on the new head.
    let fixed = push_fix(&s).await;
    all_ok(&s.comment(MAINTAINER, "/release candidate").await);
    assert_eq!(s.sim.resolve(REPO, Some("0.1.3-rc.2")), Some(fixed));
    package_and_build(&s).await;
    let rc2 = release_on(&s, "0.1.3-rc.2");
    assert!(rc2.prerelease && !rc2.draft);
    assert_eq!(s.images_runs()[1].inputs["version"], "0.1.3-rc.2");
    assert!(s.status_comment().contains("`0.1.3-rc.2` on"));

    // The merge through the queue: the final tag on the queue's commit, its own draft with
    // assets, images with latest; a person publishes and it is Latest.
    let pull = s.release_pull();
    s.sim.mark_ready(REPO, pull, MAINTAINER).unwrap();
    let queued = s
        .sim
        .merge_through_queue(REPO, pull, MergeMethod::Merge, MAINTAINER)
        .unwrap();
    all_ok(&s.deliver().await);
    assert_eq!(s.sim.resolve(REPO, Some("0.1.3")), Some(queued));
    package_and_build(&s).await;
    let last = s.images_runs().last().unwrap().clone();
    assert_eq!(
        (
            last.inputs["version"].as_str(),
            last.inputs["latest"].as_str()
        ),
        (Some("0.1.3"), Some("true"))
    );
    let draft = release_on(&s, "0.1.3");
    assert!(draft.draft && !draft.prerelease);
    // Its docs published, releasebot publishes it as Latest.
    all_ok(&s.finish_run("publish-docs.yml", "success").await);
    assert!(!release_on(&s, "0.1.3").draft);
    assert_eq!(s.sim.latest_release(REPO), Some(draft.id));
    assert_eq!(
        s.sim.releases(REPO).len(),
        3,
        "two candidates and the release"
    );

    // Nothing deleted: every ref there before is there still, and no DELETE was sent.
    let refs_after: Vec<String> = s.sim.refs(REPO).into_keys().collect();
    assert!(refs_before.iter().all(|r| refs_after.contains(r)));
    for tag in ["0.1.3-rc.1", "0.1.3-rc.2", "0.1.3"] {
        assert!(refs_after.contains(&format!("refs/tags/{tag}")), "{tag}");
    }
    assert!(
        !s.api_calls().iter().any(|c| c.starts_with("DELETE ")),
        "{:?}",
        s.api_calls()
    );
}

#[tokio::test]
async fn with_a_workflows_own_token_the_candidates_packaging_is_dispatched_on_its_tag() {
    // The Action's `GITHUB_TOKEN`: the tag it pushes starts no workflow.
    let mut s = mathesar_today().await;
    s.sim.add_user(ACTIONS_BOT, simulated_github::UserKind::Bot);
    s.sim.add_token("actions-token", ACTIONS_BOT);
    let connector =
        releasebot::github::Connector::with_token(&s.sim.url(), "actions-token").unwrap();
    s.use_engine(releasebot::engine::Engine::new(connector).with_login(ACTIONS_BOT));
    release_open(&s).await;

    all_ok(&s.comment(MAINTAINER, "/release candidate").await);
    let runs = packaging_runs(&s);
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(
        (runs[0].event.as_str(), runs[0].head_branch.as_str()),
        ("workflow_dispatch", "0.1.3-rc.1")
    );
    // Its run's end, then the images', reach the bot as `workflow_run` events: published.
    package_and_build(&s).await;
    let rc1 = release_on(&s, "0.1.3-rc.1");
    assert!(rc1.prerelease && !rc1.draft, "{rc1:?}");
    assert_eq!(packaging_runs(&s).len(), 1, "dispatched once");
}

#[tokio::test]
async fn a_failed_candidate_build_is_shown_and_built_again_when_asked_again() {
    let s = Scenario::mathesar().await;
    release_open(&s).await;
    all_ok(&s.comment(MAINTAINER, "/release candidate").await);
    all_ok(&s.finish_images_run("failure").await);
    let status = s.status_comment();
    assert!(status.contains("❌ its [images build]("), "{status}");
    assert!(release_on(&s, "0.1.3-rc.1").draft, "not published");

    all_ok(&s.comment(MAINTAINER, "/release candidate").await);
    let runs = s.images_runs();
    assert_eq!(runs.len(), 2, "built again");
    assert_eq!(runs[1].inputs["version"], "0.1.3-rc.1");
    all_ok(&s.finish_images_run("success").await);
    assert!(!release_on(&s, "0.1.3-rc.1").draft);
    assert!(s.status_comment().contains("✅ published for QA"));
}

#[tokio::test]
async fn candidate_assets_naming_another_version_are_refused_and_nothing_is_published() {
    let s = mathesar_today().await;
    let broken = Packaging {
        packages_version: Some("0.1.2".into()),
        ..Packaging::mathesar()
    };
    s.sim.set_packaging(REPO, broken);
    release_open(&s).await;

    all_ok(&s.comment(MAINTAINER, "/release candidate").await);
    let run = packaging_runs(&s)[0].id;
    s.sim.complete_run(REPO, run, "success").unwrap();
    all_ok(&s.deliver().await);

    let draft = release_on(&s, "0.1.3-rc.1");
    assert!(draft.draft, "not published");
    assert!(s.images_runs().is_empty(), "nothing built");
    let status = s.status_comment();
    assert!(
        status.contains("❌ its assets were refused: `install.sh` names 0.1.2"),
        "{status}"
    );
}

#[tokio::test]
async fn a_failed_packaging_run_is_shown_and_run_again_when_asked_again() {
    let s = mathesar_today().await;
    release_open(&s).await;
    all_ok(&s.comment(MAINTAINER, "/release candidate").await);
    let failed = packaging_runs(&s)[0].clone();
    s.sim.complete_run(REPO, failed.id, "failure").unwrap();
    all_ok(&s.deliver().await);
    let status = s.status_comment();
    assert!(
        status.contains("❌ the packaging workflow `create-draft-release.yml` [failed]"),
        "{status}"
    );
    assert!(s.sim.releases(REPO).is_empty());

    // `/release retry` has nothing of the release to run, and says how the candidate is.
    only(s.comment(MAINTAINER, "/release retry").await);
    let said = s.bot_comments().last().unwrap().clone();
    assert!(
        said.contains("QA candidate `0.1.3-rc.1` stopped (the packaging workflow")
            && said.contains("`/release candidate` runs it again"),
        "{said}"
    );
    assert_eq!(packaging_runs(&s).len(), 1);

    // Asked again for the same commit: the same candidate, its packaging dispatched again.
    all_ok(&s.comment(MAINTAINER, "/release candidate").await);
    let runs = packaging_runs(&s);
    assert_eq!(runs.len(), 2);
    assert_eq!(
        (runs[1].event.as_str(), runs[1].head_branch.as_str()),
        ("workflow_dispatch", "0.1.3-rc.1")
    );
    package_and_build(&s).await;
    assert!(!release_on(&s, "0.1.3-rc.1").draft);
    assert!(!s.sim.refs(REPO).contains_key("refs/tags/0.1.3-rc.2"));
}

/// Every pending delivery handled twice, as GitHub's redelivery would.
async fn twice(s: &Scenario) {
    for d in &s.sim.take_deliveries() {
        all_ok(&[s.redeliver(&d.event, &d.payload).await]);
        all_ok(&[s.redeliver(&d.event, &d.payload).await]);
    }
}

#[tokio::test]
async fn every_delivery_of_a_candidate_twice_makes_one_tag_one_draft_and_one_build() {
    let s = mathesar_today().await;
    release_open(&s).await;
    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release candidate");
    // Each delivery (the comment, the bot's tag, the runs ending) handled twice.
    twice(&s).await;
    twice(&s).await;
    assert_eq!(packaging_runs(&s).len(), 1);
    s.sim
        .complete_run(REPO, packaging_runs(&s)[0].id, "success")
        .unwrap();
    twice(&s).await;
    twice(&s).await;
    assert_eq!(s.images_runs().len(), 1, "one build");
    s.sim
        .complete_run(REPO, s.images_runs()[0].id, "success")
        .unwrap();
    twice(&s).await;
    twice(&s).await;

    let releases = s.sim.releases(REPO);
    assert_eq!(releases.len(), 1, "{releases:?}");
    assert!(releases[0].prerelease && !releases[0].draft);
    let tags: Vec<String> = s
        .sim
        .refs(REPO)
        .into_keys()
        .filter(|r| r.starts_with("refs/tags/0.1.3"))
        .collect();
    assert_eq!(tags, ["refs/tags/0.1.3-rc.1"]);
    let sums = releases[0]
        .assets
        .iter()
        .filter(|a| a.name == "SHA256SUMS")
        .count();
    assert_eq!(sums, 1);
}

#[tokio::test]
async fn without_a_packaging_workflow_a_candidate_is_its_own_pre_release() {
    let s = Scenario::mathesar().await;
    release_open(&s).await;
    all_ok(&s.comment(MAINTAINER, "/release candidate").await);
    let draft = release_on(&s, "0.1.3-rc.1");
    assert!(draft.draft && draft.prerelease, "{draft:?}");
    assert_eq!(s.images_runs()[0].inputs["latest"], "false");
    all_ok(&s.finish_images_run("success").await);
    let published = release_on(&s, "0.1.3-rc.1");
    assert!(!published.draft && published.prerelease);
    assert_eq!(s.sim.latest_release(REPO), None);
    assert!(
        published
            .body
            .contains("`mathesar/mathesar-prod:0.1.3-rc.1`"),
        "{}",
        published.body
    );
    assert!(!published.body.contains(":latest"));
}

#[tokio::test]
async fn notes_pasted_over_a_candidates_draft_keep_it_the_candidates() {
    let s = Scenario::mathesar().await;
    release_open(&s).await;
    all_ok(&s.comment(MAINTAINER, "/release candidate").await);
    let draft = release_on(&s, "0.1.3-rc.1");
    // A maintainer pastes the testing instructions over the whole body, marker included.
    s.sim
        .edit_release_body(REPO, draft.id, "Please test the upgrade from 0.1.2.");
    all_ok(&s.finish_images_run("success").await);
    let published = release_on(&s, "0.1.3-rc.1");
    assert!(!published.draft && published.prerelease, "{published:?}");
    assert_eq!(published.body, "Please test the upgrade from 0.1.2.");
    assert!(s.status_comment().contains("✅ published for QA"));
}

#[tokio::test]
async fn a_candidate_tag_someone_pushed_by_hand_is_left_alone_and_the_next_number_taken() {
    let s = Scenario::mathesar().await;
    release_open(&s).await;
    let master = s.sim.refs(REPO)["refs/heads/master"].clone();
    s.sim
        .push_tag(REPO, "0.1.3-rc.1", &master, MAINTAINER, false);
    s.sim.take_deliveries();

    all_ok(&s.comment(MAINTAINER, "/release candidate").await);
    let head = s.sim.refs(REPO)["refs/heads/release/0.1.3"].clone();
    assert_eq!(s.sim.resolve(REPO, Some("0.1.3-rc.1")), Some(master));
    assert_eq!(s.sim.resolve(REPO, Some("0.1.3-rc.2")), Some(head));
    assert_eq!(s.images_runs()[0].inputs["version"], "0.1.3-rc.2");
}

#[tokio::test]
async fn a_candidate_needs_an_open_release_pull_request_and_comes_before_the_merge() {
    let s = Scenario::mathesar().await;
    release_open(&s).await;
    s.merge_release_pull(MergeMethod::Merge).await;
    let refs = s.sim.refs(REPO);
    let answered = only(s.comment(MAINTAINER, "/release candidate").await);
    assert!(matches!(answered, Outcome::Answered(_)), "{answered:?}");
    let said = s.bot_comments().last().unwrap().clone();
    assert!(
        said.contains("the release pull request is merged"),
        "{said}"
    );
    assert_eq!(s.sim.refs(REPO), refs, "nothing tagged");

    let fresh = Scenario::mathesar().await;
    only(fresh.comment(MAINTAINER, "/release 0.1.3").await);
    fresh
        .sim
        .close_pull(REPO, fresh.release_pull(), MAINTAINER)
        .unwrap();
    fresh.deliver().await;
    only(fresh.comment(MAINTAINER, "/release candidate").await);
    let said = fresh.bot_comments().last().unwrap().clone();
    assert!(said.contains("there is none open"), "{said}");
}

#[tokio::test]
async fn a_dry_run_of_a_candidate_names_its_steps_and_changes_nothing() {
    let s = mathesar_today().await;
    release_open(&s).await;
    let refs = s.sim.refs(REPO);
    only(s.comment(MAINTAINER, "/release candidate --dry-run").await);
    let said = s.bot_comments().last().unwrap().clone();
    for step in [
        "`0.1.3-rc.1`",
        "`create-draft-release.yml`",
        "images `:0.1.3-rc.1` only",
        "never GitHub's Latest",
    ] {
        assert!(said.contains(step), "{step:?} missing from:\n{said}");
    }
    assert_eq!(s.sim.refs(REPO), refs);
}
