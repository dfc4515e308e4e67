//! The release half: merge → tag → images → draft release, as Mathesar releases.

use releasebot::domain::{CommitSha, StatusState};
use releasebot::engine::Outcome;
use simulated_github::MergeMethod;

use crate::harness::*;

/// The API calls one whole release makes (comment → draft release with images), including the
/// webhooks the bot's own actions cause. 77: the images run is read by the id the draft keeps,
/// and not listed at all before anything was dispatched; 81 with the smoke step (its intent,
/// dispatch, run and commit status; the result is not awaited here); 82 reading the digests the
/// images workflow reported; 66 once the `create` and `push` of the bot's own tag read nothing
/// (the merge's job releases the tag it made); 52 once the merge's job hands the release path
/// what it read (the release's state, the status comment, the version files it checked at the
/// commit it tagged) instead of reading them again, the runs a dispatch names are taken from its
/// answer, and the completed images run from its `workflow_run` delivery; 50 once a release with
/// no status comment yet makes its branch and pull request without looking first (GitHub's 422
/// sends it to look); 48 reading a commit's files through its tree (GitHub reads a commit id as
/// its tree) without reading the commit; 47 when a new status comment is made holding the smoke
/// run's intent instead of being written again to record it; 46 taking the bot's merged pull
/// request from its `pull_request` delivery instead of listing the branch's pull requests; 45
/// when the merge's job finds the version's tag in the list of tags it needs anyway; 44 when the
/// draft remembers its annotated tag object and the commit it names, so the images result does
/// not read the object again (a tag moved to another object is read afresh); 24 when each
/// delivery's reads (configuration, base branch files, tags, branch, pull requests, tag and its
/// statuses, releases, the tracking issue's comments, the merge commit's files) go out as one
/// GraphQL query and the REST reads are answered from it.
const API_CALLS_FOR_A_WHOLE_RELEASE: usize = 24;

const NOTES: &str = "# Mathesar 0.1.3\n\n## Fixes\n- Schemas can be renamed again (thanks @mathesar-foundation/team)\n";

/// The outcome of the one delivery (among several) that produced `pick`.
fn find(
    outcomes: &[Result<Outcome, releasebot::engine::EngineError>],
    pick: fn(&Outcome) -> bool,
) -> Outcome {
    outcomes
        .iter()
        .filter_map(|o| o.as_ref().ok())
        .find(|o| pick(o))
        .cloned()
        .unwrap_or_else(|| panic!("no such outcome in {outcomes:?}"))
}

#[tokio::test]
async fn the_whole_mathesar_release_from_the_comment_to_the_draft_release() {
    let notes = NotesServer::start(vec![(
        "notes/0.1.3.md",
        "text/markdown; charset=utf-8",
        NOTES.to_string(),
    )])
    .await;
    let s = Scenario::mathesar().await;
    only(
        s.comment(
            MAINTAINER,
            &format!("/release 0.1.3 notes {}", notes.url("notes/0.1.3.md")),
        )
        .await,
    );

    // The maintainer merges the release pull request.
    let outcomes = s.merge_release_pull(MergeMethod::Merge).await;

    let merge_commit = s.sim.refs(REPO)["refs/heads/master"].clone();
    let released = find(&outcomes, |o| matches!(o, Outcome::Released { .. }));
    assert!(
        matches!(&released, Outcome::Released { tag, latest: true, .. } if tag == "0.1.3"),
        "{released:?}"
    );
    // An annotated tag on the merge commit.
    let tag_target = s.sim.refs(REPO)["refs/tags/0.1.3"].clone();
    let tag = s
        .sim
        .tag_object(REPO, &tag_target)
        .expect("an annotated tag");
    assert_eq!(
        (tag.tag.as_str(), tag.object.as_str(), tag.message.as_str()),
        ("0.1.3", merge_commit.as_str(), "Release 0.1.3\n")
    );
    // One images build, on the tag, moving `latest`.
    let runs = s.images_runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].path, ".github/workflows/release-images.yml");
    assert_eq!(runs[0].head_branch, "0.1.3");
    assert_eq!(runs[0].inputs["version"], "0.1.3");
    assert_eq!(runs[0].inputs["latest"], "true");
    // One draft release with the notes document as written.
    let releases = s.sim.releases(REPO);
    assert_eq!(releases.len(), 1, "{releases:?}");
    let draft = &releases[0];
    assert!(draft.draft && !draft.prerelease);
    assert_eq!(
        (draft.tag_name.as_str(), draft.name.as_str()),
        ("0.1.3", "0.1.3")
    );
    assert!(draft.body.contains(NOTES.trim_end()), "{}", draft.body);

    // The images workflow succeeds.
    let outcomes = s.finish_images_run("success").await;

    let reported = find(&outcomes, |o| matches!(o, Outcome::ImagesReported { .. }));
    assert_eq!(
        reported,
        Outcome::ImagesReported {
            version: "0.1.3".into(),
            success: true
        }
    );
    let draft = &s.sim.releases(REPO)[0];
    for image in [
        "mathesar/mathesar-caddy:0.1.3",
        "mathesar/mathesar-caddy:latest",
        "mathesar/mathesar-prod:0.1.3",
        "mathesar/mathesar-prod:latest",
    ] {
        assert!(
            draft.body.contains(&format!("- `{image}`")),
            "{image} in {}",
            draft.body
        );
    }
    assert!(draft.draft, "a person publishes it");
    let status = s.status_comment();
    for done in [
        "- [x] Merged as",
        "- [x] Tag [`0.1.3`]",
        "- [x] Images pushed for linux/amd64, linux/arm64",
        "- [x] Draft release [`0.1.3`]",
    ] {
        assert!(status.contains(done), "{done} in {status}");
    }
    assert_eq!(s.sim.releases(REPO).len(), 1);
    assert_eq!(
        s.images_runs().len(),
        1,
        "the tag's own push and create events dispatched nothing more"
    );
    // Tracked: fewer is better. Printed with `cargo test -- --nocapture whole_mathesar`.
    let calls = s.sim.requests().len();
    println!("GitHub API calls for the whole release, every webhook included: {calls}");
    assert_eq!(
        calls, API_CALLS_FOR_A_WHOLE_RELEASE,
        "the number of API calls changed: update the figure and say why"
    );
}

#[tokio::test]
async fn a_tag_pushed_by_a_person_takes_the_same_path() {
    let s = Scenario::mathesar_altered(|dir| {
        let init = dir.join("mathesar/__init__.py");
        let text = std::fs::read_to_string(&init)
            .unwrap()
            .replace("0.1.2", "0.1.3");
        std::fs::write(init, text).unwrap();
        let mkdocs = dir.join("docs/mkdocs.yml");
        let text = std::fs::read_to_string(&mkdocs)
            .unwrap()
            .replace("mathesar_version: 0.1.2", "mathesar_version: 0.1.3");
        std::fs::write(mkdocs, text).unwrap();
        let install = dir.join("install.sh");
        let text = std::fs::read_to_string(&install)
            .unwrap()
            .replace("\"0.1.2\"", "\"0.1.3\"");
        std::fs::write(install, text).unwrap();
    })
    .await;
    let master = s.sim.refs(REPO)["refs/heads/master"].clone();

    s.sim.push_tag(REPO, "0.1.3", &master, MAINTAINER, true);
    let outcomes = s.deliver().await;

    let released = find(&outcomes, |o| matches!(o, Outcome::Released { .. }));
    assert!(
        matches!(released, Outcome::Released { latest: true, .. }),
        "{released:?}"
    );
    assert_eq!(
        s.images_runs().len(),
        1,
        "create and push both arrived; one dispatch"
    );
    let releases = s.sim.releases(REPO);
    assert_eq!(releases.len(), 1);
    // No link and no notes file: GitHub's generated notes against the previous release.
    assert!(
        releases[0]
            .body
            .contains("_These notes were generated by GitHub from the pull requests merged since the previous release.")
            && releases[0].body.contains("/compare/0.1.2...0.1.3"),
        "{}",
        releases[0].body
    );
}

#[tokio::test]
async fn a_tag_whose_files_disagree_is_not_released_and_says_why() {
    let s = Scenario::mathesar().await;
    let master = s.sim.refs(REPO)["refs/heads/master"].clone();

    // Files say 0.1.2: the 0.10.0-with-__version__-0.9.0 mistake.
    s.sim.push_tag(REPO, "0.1.3", &master, MAINTAINER, false);
    let outcomes = s.deliver().await;

    assert!(
        outcomes.iter().any(|o| matches!(
            o,
            Ok(Outcome::StepBlocked {
                step: releasebot::status::Step::Tag,
                ..
            })
        )),
        "{outcomes:?}"
    );
    assert!(s.images_runs().is_empty());
    assert!(s.sim.releases(REPO).is_empty());
    let report = s.sim.issue(REPO, 2).expect("a new issue reports it");
    assert_eq!(report.title, "releasebot: tag 0.1.3 not released");
    assert!(
        report
            .body
            .contains("- `mathesar/__init__.py` says `0.1.2`"),
        "{}",
        report.body
    );
    assert_eq!(
        s.sim.comments(REPO, 2).len(),
        0,
        "one report, not one per event"
    );
}

#[tokio::test]
async fn a_backport_patch_and_a_prerelease_do_not_move_latest() {
    for (tags, version, expected_latest, prerelease) in [
        (vec!["0.1.8", "0.2.0"], "0.1.9", "false", false),
        (vec!["0.1.7"], "0.2.0-rc.1", "false", true),
        (vec!["0.1.7", "0.2.0-rc.1"], "0.1.8", "true", false),
    ] {
        let s = Scenario::mathesar_altered(|dir| {
            let init = dir.join("mathesar/__init__.py");
            let text = std::fs::read_to_string(&init)
                .unwrap()
                .replace("0.1.2", version);
            std::fs::write(init, text).unwrap();
            std::fs::remove_file(dir.join("install.sh")).unwrap();
            std::fs::remove_file(dir.join("docs/mkdocs.yml")).unwrap();
        })
        .await;
        let master = s.sim.refs(REPO)["refs/heads/master"].clone();
        for tag in tags {
            s.sim.push_tag(REPO, tag, &master, MAINTAINER, false);
        }
        s.sim.take_deliveries();

        s.sim.push_tag(REPO, version, &master, MAINTAINER, true);
        s.deliver().await;

        let runs = s.images_runs();
        assert_eq!(runs.len(), 1, "{version}");
        assert_eq!(runs[0].inputs["latest"], expected_latest, "{version}");
        assert_eq!(s.sim.releases(REPO)[0].prerelease, prerelease, "{version}");
    }
}

#[tokio::test]
async fn closing_the_pull_request_unmerged_cancels_the_release() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);

    s.sim
        .close_pull(REPO, s.release_pull(), MAINTAINER)
        .unwrap();
    let outcomes = s.deliver().await;

    assert!(
        outcomes
            .iter()
            .any(|o| matches!(o, Ok(Outcome::Cancelled { .. }))),
        "{outcomes:?}"
    );
    assert!(!s.sim.refs(REPO).contains_key("refs/tags/0.1.3"));
    let status = s.status_comment();
    assert!(
        status.contains("**This release was cancelled.**"),
        "{status}"
    );
    assert!(status.contains("was closed without merging"), "{status}");
}

#[tokio::test]
async fn a_merge_commit_that_lost_the_bump_is_not_tagged() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    // Someone edits the release branch back before merging.
    s.sim.push_commit(
        REPO,
        "release/0.1.3",
        MAINTAINER,
        "Oops",
        &[("mathesar/__init__.py", "__version__ = \"0.1.2\"\n")],
    );
    s.deliver().await;

    let outcomes = s.merge_release_pull(MergeMethod::Squash).await;

    assert!(
        outcomes.iter().any(|o| matches!(
            o,
            Ok(Outcome::StepBlocked {
                step: releasebot::status::Step::Tag,
                ..
            })
        )),
        "{outcomes:?}"
    );
    assert!(!s.sim.refs(REPO).contains_key("refs/tags/0.1.3"));
    assert!(s.images_runs().is_empty());
    let status = s.status_comment();
    assert!(
        status.contains("does not say `0.1.3` (`mathesar/__init__.py` says `0.1.2`)"),
        "{status}"
    );
}

#[tokio::test]
async fn every_event_delivered_twice_and_out_of_order_does_nothing_twice() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.sim
        .merge_pull(REPO, s.release_pull(), MergeMethod::Rebase, MAINTAINER)
        .unwrap();
    let first = s.sim.take_deliveries();
    // GitHub gives no order guarantee: deliver backwards, then everything again.
    let mut deliveries: Vec<_> = first.iter().rev().cloned().collect();
    deliveries.extend(first.iter().cloned());
    for delivery in &deliveries {
        let _ = s.redeliver(&delivery.event, &delivery.payload).await;
    }
    let caused = s.deliver().await;
    for outcome in &caused {
        assert!(outcome.is_ok(), "{outcome:?}");
    }

    assert_eq!(s.images_runs().len(), 1, "one dispatch");
    assert_eq!(s.sim.releases(REPO).len(), 1, "one draft");
    assert!(s.sim.refs(REPO).contains_key("refs/tags/0.1.3"));
    let run = s.images_runs()[0].id;
    s.sim.complete_run(REPO, run, "success").unwrap();
    let completed = s.sim.take_deliveries();
    for _ in 0..2 {
        for delivery in &completed {
            s.redeliver(&delivery.event, &delivery.payload)
                .await
                .unwrap();
        }
    }
    let body = &s.sim.releases(REPO)[0].body;
    assert_eq!(body.matches("**Images pushed**").count(), 1, "{body}");
}

#[tokio::test]
async fn notes_linked_after_the_tag_replace_the_generated_ones_and_keep_the_rest() {
    let notes = NotesServer::start(vec![("n.md", "text/plain", NOTES.to_string())]).await;
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.merge_release_pull(MergeMethod::Merge).await;
    s.finish_images_run("success").await;
    let draft = s.sim.releases(REPO)[0].clone();
    assert!(
        draft
            .body
            .contains("* Release 0.1.3 by @releasebot[bot] in ")
            && draft.body.contains("/compare/0.1.2...0.1.3"),
        "generated from the release pull request merged since 0.1.2: {}",
        draft.body
    );
    assert!(s.status_comment().contains(
        "Release notes: generated by GitHub from the pull requests merged since `0.1.2`"
    ));
    // A person edits the draft outside releasebot's markers.
    let edited = format!("Thanks to everyone who tested 0.1.3!\n\n{}", draft.body);
    s.sim.edit_release_body(REPO, draft.id, &edited);

    only(
        s.comment(MAINTAINER, &format!("/release notes {}", notes.url("n.md")))
            .await,
    );

    let body = &s.sim.releases(REPO)[0].body;
    assert!(body.contains(NOTES.trim_end()), "{body}");
    assert!(!body.contains("generated by GitHub"), "{body}");
    assert!(
        body.starts_with("Thanks to everyone who tested 0.1.3!"),
        "the person's edit stays: {body}"
    );
    assert!(
        body.contains("- `mathesar/mathesar-prod:0.1.3`"),
        "the footer stays: {body}"
    );
    assert!(
        body.contains("**Images pushed**"),
        "the images result stays: {body}"
    );
    assert!(s
        .status_comment()
        .contains(&format!("Release notes: {}", notes.url("n.md"))));
}

/// Mathesar keeps its notes in the repository: the file at the tag is the draft's notes, no
/// link needed.
#[tokio::test]
async fn the_repositorys_notes_file_at_the_tag_is_used_without_a_link() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.sim.push_commit(
        REPO,
        "release/0.1.3",
        MAINTAINER,
        "Release notes for 0.1.3",
        &[(
            "docs/docs/releases/0.1.3.md",
            "---\ntitle: 0.1.3\n---\n# Mathesar 0.1.3\n\nFaster imports.\n",
        )],
    );
    s.deliver().await;

    s.merge_release_pull(MergeMethod::Merge).await;

    let body = &s.sim.releases(REPO)[0].body;
    assert!(
        body.contains("# Mathesar 0.1.3\n\nFaster imports."),
        "{body}"
    );
    assert!(
        !body.contains("title: 0.1.3"),
        "front matter stripped: {body}"
    );
    assert!(!body.contains("generated by GitHub"), "{body}");
    assert!(s
        .status_comment()
        .contains("Release notes: from `docs/docs/releases/0.1.3.md` at the tag."));
}

#[tokio::test]
async fn with_generated_notes_off_the_draft_says_notes_are_missing() {
    let s = Scenario::mathesar_altered(|dir| {
        std::fs::create_dir_all(dir.join(".github")).unwrap();
        std::fs::write(
            dir.join(".github/releasebot.toml"),
            "[notes]\ngenerated = false\n",
        )
        .unwrap();
    })
    .await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);

    s.merge_release_pull(MergeMethod::Merge).await;

    let body = &s.sim.releases(REPO)[0].body;
    assert!(
        body.contains("_Release notes are pending: no release notes are linked yet: comment `/release notes <url>` on the tracking issue, or add `docs/docs/releases/0.1.3.md` to the release._"),
        "{body}"
    );
    assert!(!s.api_calls().iter().any(|c| c.contains("generate-notes")));
}

#[tokio::test]
async fn an_unreadable_notes_document_keeps_the_draft_and_says_why() {
    let notes = NotesServer::start(vec![(
        "page.html",
        "text/html",
        "<html></html>".to_string(),
    )])
    .await;
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.merge_release_pull(MergeMethod::Merge).await;
    let before = s.sim.releases(REPO)[0].body.clone();

    only(
        s.comment(
            MAINTAINER,
            &format!("/release notes {}", notes.url("page.html")),
        )
        .await,
    );

    assert_eq!(s.sim.releases(REPO)[0].body, before);
    let reply = s.bot_comments().last().unwrap().clone();
    assert!(
        reply.contains("is `text/html`, not Markdown or plain text"),
        "{reply}"
    );
}

#[tokio::test]
async fn a_failed_images_build_is_linked_and_retry_builds_again() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.merge_release_pull(MergeMethod::Merge).await;

    let outcomes = s.finish_images_run("failure").await;

    let reported = find(&outcomes, |o| matches!(o, Outcome::ImagesReported { .. }));
    assert_eq!(
        reported,
        Outcome::ImagesReported {
            version: "0.1.3".into(),
            success: false
        }
    );
    let failed_run = s.images_runs()[0].id;
    let status = s.status_comment();
    assert!(status.contains(&format!("- [ ] ❌ The images workflow [run]({}{REPO}/actions/runs/{failed_run}) ended in `failure`", s.sim.url())), "{status}");
    assert!(status.contains("comment `/release retry`"), "{status}");
    assert!(s.sim.releases(REPO)[0]
        .body
        .contains("**The images build failed**"));

    let outcome = only(s.comment(MAINTAINER, "/release retry").await);

    assert!(
        matches!(outcome, Outcome::Redispatched { ref tag, ref run_url, .. } if tag == "0.1.3" && run_url.contains("/actions/runs/")),
        "{outcome:?}"
    );
    let runs = s.images_runs();
    assert_eq!(runs.len(), 2, "one new build");
    assert_eq!(runs[1].inputs["version"], "0.1.3");
    s.finish_images_run("success").await;
    let body = &s.sim.releases(REPO)[0].body;
    assert!(
        body.contains("**Images pushed**") && !body.contains("build failed"),
        "{body}"
    );
    assert!(s.status_comment().contains("- [x] Images pushed"));
    assert_eq!(s.sim.releases(REPO).len(), 1);
}

#[tokio::test]
async fn retry_with_nothing_failed_says_so() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);

    let outcome = only(s.comment(MAINTAINER, "/release retry").await);

    assert_eq!(
        outcome,
        Outcome::Answered(releasebot::engine::Reply::NothingToRetry)
    );
    assert!(s
        .bot_comments()
        .last()
        .unwrap()
        .contains("waits for its checklist and a merge"));
}

#[tokio::test]
async fn cancel_closes_the_pull_request_and_deletes_the_branch_but_not_after_the_tag() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);

    let outcome = only(s.comment(MAINTAINER, "/release cancel").await);

    assert_eq!(
        outcome,
        Outcome::Cancelled {
            version: "0.1.3".into()
        }
    );
    assert_eq!(s.sim.pulls(REPO)[0].state, "closed");
    assert_eq!(s.branches(), vec!["master"]);
    assert!(s
        .status_comment()
        .contains("**This release was cancelled.**"));

    let t = Scenario::mathesar().await;
    only(t.comment(MAINTAINER, "/release 0.1.3").await);
    t.merge_release_pull(MergeMethod::Merge).await;
    let outcome = only(t.comment(MAINTAINER, "/release cancel").await);
    assert_eq!(
        outcome,
        Outcome::Answered(releasebot::engine::Reply::CancelRefused)
    );
    assert!(t.sim.refs(REPO).contains_key("refs/tags/0.1.3"));
}

#[tokio::test]
async fn status_redraws_the_comment_from_github() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    // A person merges by hand while the bot is down: the webhook is lost.
    s.sim
        .merge_pull(REPO, s.release_pull(), MergeMethod::Merge, MAINTAINER)
        .unwrap();
    s.sim.take_deliveries();

    let outcome = only(s.comment(MAINTAINER, "/release status").await);

    assert_eq!(
        outcome,
        Outcome::StatusRefreshed {
            version: "0.1.3".into()
        }
    );
    let status = s.status_comment();
    assert!(status.contains("- [x] Merged as"), "{status}");
    assert!(
        status.contains("- [ ] Tag `0.1.3` on the merge commit"),
        "{status}"
    );

    // …and retry then does the missing steps.
    let outcome = only(s.comment(MAINTAINER, "/release retry").await);
    assert!(matches!(outcome, Outcome::Released { .. }), "{outcome:?}");
    assert_eq!(s.images_runs().len(), 1);
}

#[tokio::test]
async fn a_release_branch_pull_request_by_a_person_is_not_tagged() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    // The bot's pull request is closed, and a person opens their own from the same branch.
    s.sim
        .close_pull(REPO, s.release_pull(), MAINTAINER)
        .unwrap();
    s.deliver().await;
    let theirs = s.sim.open_pull(
        REPO,
        "release/0.1.3",
        "master",
        WRITER,
        "Release 0.1.3 (mine)",
    );
    s.deliver().await;

    s.sim
        .merge_pull(REPO, theirs, MergeMethod::Merge, MAINTAINER)
        .unwrap();
    let outcomes = s.deliver().await;

    assert!(
        outcomes.iter().any(|o| matches!(
            o,
            Ok(Outcome::StepBlocked {
                step: releasebot::status::Step::Tag,
                ..
            })
        )),
        "{outcomes:?}"
    );
    assert!(!s.sim.refs(REPO).contains_key("refs/tags/0.1.3"));
    assert!(
        s.status_comment()
            .contains("it was not releasebot's release pull request (opened by @pavish"),
        "{}",
        s.status_comment()
    );
}

#[tokio::test]
async fn with_latest_on_publish_latest_moves_only_when_a_person_publishes() {
    let s = Scenario::mathesar_altered(|dir| {
        std::fs::create_dir_all(dir.join(".github")).unwrap();
        std::fs::write(dir.join(".github/releasebot.toml"), "[images]\nlatest = \"on-publish\"\n").unwrap();
        let workflow = dir.join(".github/workflows/release-images.yml");
        let text = std::fs::read_to_string(&workflow).unwrap();
        let text = text.replace("jobs:", "      promote:\n        description: Only move latest\n        default: \"false\"\njobs:");
        std::fs::write(workflow, text).unwrap();
    })
    .await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.merge_release_pull(MergeMethod::Merge).await;
    assert_eq!(
        s.images_runs()[0].inputs["latest"],
        "false",
        "built without latest"
    );
    s.finish_images_run("success").await;

    let draft = s.sim.releases(REPO)[0].id;
    s.sim.publish_release(REPO, draft, MAINTAINER).unwrap();
    // GitHub publishes a release once; its events come twice when they are redelivered.
    let published = s.sim.take_deliveries();
    for _time in 0..2 {
        for delivery in &published {
            let _ = s.redeliver(&delivery.event, &delivery.payload).await;
        }
        s.deliver().await;
    }
    assert!(s.sim.publish_release(REPO, draft, MAINTAINER).is_err());

    let runs = s.images_runs();
    assert_eq!(
        runs.len(),
        2,
        "one promotion, even when the event comes twice"
    );
    assert_eq!(
        (
            runs[1].inputs["latest"].as_str(),
            runs[1].inputs["promote"].as_str()
        ),
        (Some("true"), Some("true"))
    );
}

#[tokio::test]
async fn a_tag_already_on_another_commit_stops_the_tagging() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    let old_master = s.sim.refs(REPO)["refs/heads/master"].clone();
    // Someone tags the old master by mistake before the merge.
    s.sim
        .push_tag(REPO, "0.1.3", &old_master, MAINTAINER, false);
    s.deliver().await;

    let outcomes = s.merge_release_pull(MergeMethod::Merge).await;

    assert!(
        outcomes.iter().any(|o| matches!(
            o,
            Ok(Outcome::StepBlocked {
                step: releasebot::status::Step::Tag,
                ..
            })
        )),
        "{outcomes:?}"
    );
    assert_eq!(
        s.sim.refs(REPO)["refs/tags/0.1.3"],
        old_master,
        "the tag is not moved"
    );
    assert!(
        s.images_runs().is_empty(),
        "nothing is built from the wrong commit"
    );
    let status = s.status_comment();
    assert!(
        status.contains(&format!("Tag `0.1.3` already exists on {old_master}")),
        "{status}"
    );
}

#[tokio::test]
async fn a_missing_images_workflow_is_reported_with_what_it_needs() {
    let s = Scenario::mathesar_altered(|dir| {
        std::fs::remove_file(dir.join(".github/workflows/release-images.yml")).unwrap();
        std::fs::write(dir.join(".github/workflows/ci.yml"), "on: push\n").unwrap();
    })
    .await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);

    let outcomes = s.merge_release_pull(MergeMethod::Merge).await;

    assert!(
        outcomes.iter().any(|o| matches!(
            o,
            Ok(Outcome::StepBlocked {
                step: releasebot::status::Step::Images,
                ..
            })
        )),
        "{outcomes:?}"
    );
    assert!(s.images_runs().is_empty());
    assert_eq!(s.sim.releases(REPO).len(), 1, "the draft is there");
    let status = s.status_comment();
    assert!(status.contains("- [ ] ❌ The images for `0.1.3` were not built: `.github/workflows/release-images.yml` could not be dispatched"), "{status}");
    assert!(s.bot_comments().iter().any(|c| c
        .contains("needs a `workflow_dispatch` trigger with the inputs `version` and `latest`")));
}

/// The images workflow reports each image's digest as a commit status on the tag's commit; the
/// draft lists the digests next to the tags. A status that is not a digest, or names an image
/// that is not configured, is left out.
#[tokio::test]
async fn the_digests_the_images_workflow_reports_are_listed_in_the_draft() {
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.merge_release_pull(MergeMethod::Merge).await;
    let tag = s.sim.refs(REPO)["refs/tags/0.1.3"].clone();
    let commit = s
        .sim
        .tag_object(REPO, &tag)
        .expect("an annotated tag")
        .object;
    let digest = format!("sha256:{}", "ab".repeat(32));
    let token = "images-workflow-token";
    s.sim.add_token(token, BOT);
    let as_workflow = releasebot::github::Connector::with_token(&s.sim.url(), token)
        .unwrap()
        .repo_client(None, "centerofci", "mathesar")
        .await
        .unwrap();
    for (image, description) in [
        ("mathesar/mathesar-prod", digest.as_str()),
        ("mathesar/mathesar-caddy", "not a digest"),
        ("someone/else", digest.as_str()),
    ] {
        as_workflow
            .set_commit_status(
                &CommitSha::parse(&commit).unwrap(),
                StatusState::Success,
                &format!("releasebot/image/{image}"),
                description,
                None,
            )
            .await
            .unwrap();
    }

    s.finish_images_run("success").await;

    let body = s.sim.releases(REPO)[0].body.clone();
    assert!(
        body.contains(&format!("- `mathesar/mathesar-prod:0.1.3` (`{digest}`)\n")),
        "{body}"
    );
    assert!(
        body.contains("- `mathesar/mathesar-caddy:0.1.3`\n"),
        "{body}"
    );
    assert!(!body.contains("someone/else"), "{body}");
}

/// The draft remembers its annotated tag object and the commit it names, so later jobs do not
/// read the object again; a tag moved to another object is read afresh.
#[tokio::test]
async fn a_tag_moved_to_another_object_after_the_draft_is_read_afresh() {
    let s = Scenario::mathesar().await;
    let old_master = s.sim.refs(REPO)["refs/heads/master"].clone();
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.merge_release_pull(MergeMethod::Merge).await;
    assert!(s.sim.releases(REPO)[0]
        .body
        .contains("\"tag\":{\"object\":"));
    s.sim.clear_requests();

    // Someone moves the tag to another annotated object, on another commit.
    s.sim.push_tag(REPO, "0.1.3", &old_master, MAINTAINER, true);
    s.sim.take_deliveries();
    only(s.comment(MAINTAINER, "/release status").await);

    assert!(
        s.status_comment()
            .contains(&format!("/commit/{old_master})")),
        "{}",
        s.status_comment()
    );
    assert!(
        s.api_calls().iter().any(|c| c.contains("/git/tags/")),
        "the new object was read: {:?}",
        s.api_calls()
    );
}
