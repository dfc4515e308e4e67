//! A maintainer comments `/release 0.1.3` on the tracking issue of Mathesar at 0.1.2.

use releasebot::engine::{Outcome, Reply};

use crate::harness::*;

#[tokio::test]
async fn a_maintainer_comments_release_and_gets_one_bump_commit_in_a_pull_request() {
    let s = Scenario::mathesar().await;
    let master = s.sim.refs(REPO)["refs/heads/master"].clone();

    let outcome = only(s.comment(MAINTAINER, "/release 0.1.3").await);

    // The pull request is open from the release branch into master.
    let Outcome::ReleaseOpened {
        pull_request,
        branch,
        status_comment,
        ..
    } = outcome
    else {
        panic!("expected an open release, got {outcome:?}");
    };
    assert_eq!(branch, "release/0.1.3");
    assert_eq!(s.branches(), vec!["master", "release/0.1.3"]);
    assert_eq!(
        s.sim.refs(REPO)["refs/heads/master"],
        master,
        "master is not touched"
    );

    // One commit on top of master, changing exactly the three version strings.
    let head = s.sim.refs(REPO)["refs/heads/release/0.1.3"].clone();
    let commit = s
        .sim
        .commit(REPO, &head)
        .expect("the branch head is a commit");
    assert_eq!(commit.message, "Release 0.1.3");
    assert_eq!(commit.parents, vec![master.clone()]);
    let before = s.sim.tree_paths(REPO, &master);
    let after = s.sim.tree_paths(REPO, &head);
    let changed: Vec<&String> = after
        .iter()
        .filter(|(path, entry)| before.get(*path) != Some(entry))
        .map(|(path, _)| path)
        .collect();
    assert_eq!(
        changed,
        ["docs/mkdocs.yml", "install.sh", "mathesar/__init__.py"]
    );
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    assert_eq!(
        after["install.sh"].0, "100755",
        "install.sh stays executable"
    );
    for path in ["docs/mkdocs.yml", "install.sh", "mathesar/__init__.py"] {
        let old = s.file_at("master", path).unwrap();
        let expected = match path {
            "install.sh" => old.replace(r#"github_tag=${1-"0.1.2"}"#, r#"github_tag=${1-"0.1.3"}"#),
            "docs/mkdocs.yml" => old.replace("mathesar_version: 0.1.2", "mathesar_version: 0.1.3"),
            _ => old.replace(r#"__version__ = "0.1.2""#, r#"__version__ = "0.1.3""#),
        };
        assert_ne!(old, expected);
        assert_eq!(
            s.file_at("release/0.1.3", path).unwrap(),
            expected,
            "{path}"
        );
    }

    // The pull request carries the checklist and links the issue.
    let pulls = s.sim.pulls(REPO);
    assert_eq!(pulls.len(), 1);
    let pull = &pulls[0];
    assert_eq!(pull.number, pull_request.0);
    assert_eq!(pull.title, "Release 0.1.3");
    assert_eq!(
        (pull.head.as_str(), pull.base.as_str()),
        ("release/0.1.3", "master")
    );
    assert_eq!(
        pull.body,
        format!(
            "Release 0.1.3, tracked in #{issue}.\n\nThis pull request has one commit that sets the \
             version to `0.1.3`:\n- `mathesar/__init__.py`: `0.1.2` → `0.1.3`\n\
             - `install.sh`: `0.1.2` → `0.1.3`\n- `docs/mkdocs.yml`: `0.1.2` → `0.1.3`\n\n\
             Before merging:\n- [ ] `install.sh` run on this commit\n- [ ] Log in\n- [ ] Create a schema\n\
             - [ ] Edit records\n- [ ] Release notes linked\n\nMerging this pull request tags the merge \
             commit and starts the rest of the release.\n",
            issue = s.issue
        )
    );

    // The maintainer owns the release; the issue is labelled; the comment got 👀.
    let issue = s.sim.issue(REPO, s.issue).unwrap();
    assert_eq!(issue.assignees, vec![MAINTAINER]);
    assert_eq!(issue.labels, vec!["release"]);
    let trigger = s.sim.comments(REPO, s.issue)[0].id;
    assert_eq!(
        s.sim.reactions(REPO, trigger),
        vec![(BOT.to_string(), "eyes".to_string())]
    );

    // One status comment, showing the steps done and to come.
    let comments = s.bot_comments();
    assert_eq!(comments.len(), 1, "{comments:?}");
    let web = format!("{}{REPO}", s.sim.url());
    let smoke = s.smoke_runs();
    assert_eq!(smoke.len(), 1, "one smoke run on the release branch");
    let run = smoke[0].id;
    let expected_status = format!(
        "## Release 0.1.3\n\n\
         Release owner: @kgodey · started by [this comment]({web}/issues/{issue}#issuecomment-{trigger})\n\
         Release notes: not linked yet. Comment `/release notes <url>` with the document's address.\n\n\
         - [x] Checks passed: `0.1.2` → `0.1.3`, tag `0.1.3` is free\n\
         - [x] Branch [`release/0.1.3`]({web}/tree/release/0.1.3) with commit [`{short}`]({web}/commit/{head}) `Release 0.1.3`\n\
         - [x] Pull request [#{pull_request} Release 0.1.3]({web}/pull/{pull_request}) into `master`\n\
         - [ ] Smoke test of `{short}` running ([run]({web}/actions/runs/{run}))\n\
         - [ ] Go through the rest of the pull request's checklist, then merge it\n\
         - [ ] Tag `0.1.3` on the merge commit\n\
         - [ ] Build and push the images: `mathesar/mathesar-caddy:0.1.3`, `mathesar/mathesar-prod:0.1.3`\n\
         - [ ] Draft release `0.1.3` with the release notes, for a person to publish\n\
         \n<sub>Kept up to date by releasebot.</sub>\n",
        issue = s.issue,
        short = &head[..7],
    );
    let (marker_line, shown) = comments[0].split_once('\n').unwrap();
    assert_eq!(shown, expected_status);
    let marker = releasebot::status::StatusMarker::find_in(marker_line).unwrap();
    assert_eq!(
        (
            marker.version.as_str(),
            marker.owner.as_str(),
            marker.trigger_comment
        ),
        ("0.1.3", "kgodey", trigger)
    );
    let recorded = marker.smoke.expect("the smoke run is recorded");
    assert_eq!(recorded.sha.as_str(), head);
    assert_eq!(
        recorded.dispatch.and_then(|d| d.run).map(|r| r.0),
        Some(run)
    );
    assert_eq!(recorded.state, releasebot::status::SmokeState::Running);
    assert_eq!(smoke[0].inputs["sha"], head.as_str());
    assert_eq!(smoke[0].inputs["version"], "0.1.3");
    assert_eq!(smoke[0].head_branch, "release/0.1.3");
    assert_eq!(
        s.sim.statuses(REPO, &head),
        vec![(
            "releasebot/smoke".to_string(),
            "pending".to_string(),
            Some(format!("{web}/actions/runs/{run}"))
        )]
    );
    assert_eq!(s.sim.comments(REPO, s.issue)[1].id, status_comment);

    // Every call the bot made: the writes in order (they go out one at a time), the reads
    // among them in any order (reads that do not depend on one another go out together).
    let repo = format!("/repos/{REPO}");
    let issue = s.issue;
    let made = normalised(&s.api_calls());
    let writes = |calls: &[String]| -> Vec<String> {
        calls.iter().filter(|c| is_write(c)).cloned().collect()
    };
    let sorted = |calls: &[String]| -> Vec<String> {
        let mut calls = calls.to_vec();
        calls.sort();
        calls
    };
    let expected = vec![
        // One query reads the issue's comments, the configuration (there is none), the base
        // branch's head, its tree and the three version files with their modes, and the tags.
        "POST /graphql -> 200".to_string(),
        format!("POST {repo}/issues/comments/<id>/reactions -> 201"),
        format!("GET {repo}/collaborators/kgodey/permission -> 200"),
        // Made without looking first: nothing was started for this version yet.
        format!("POST {repo}/git/trees -> 201"),
        format!("POST {repo}/git/commits -> 201"),
        format!("POST {repo}/git/refs -> 201"),
        format!("POST {repo}/pulls -> 201"),
        // Then the owner and the label.
        format!("POST {repo}/issues/{issue}/assignees -> 201"),
        format!("POST {repo}/issues/{issue}/labels -> 200"),
        // The status comment, made holding the smoke run's intent; the run dispatched (the
        // answer names it), the commit status set, the status comment redrawn.
        format!("POST {repo}/issues/{issue}/comments -> 201"),
        format!("POST {repo}/actions/workflows/release-smoke.yml/dispatches -> 200"),
        format!("POST {repo}/statuses/<sha> -> 201"),
        format!("PATCH {repo}/issues/comments/<id> -> 200"),
    ];
    assert_eq!(writes(&made), writes(&expected));
    assert_eq!(sorted(&made), sorted(&expected));
}

#[tokio::test]
async fn a_dry_run_answers_with_the_plan_and_changes_nothing() {
    let s = Scenario::mathesar().await;

    let outcome = only(s.comment(MAINTAINER, "/release 0.1.3 --dry-run").await);

    assert_eq!(outcome, Outcome::Answered(Reply::DryRunPlan));
    assert_eq!(s.branches(), vec!["master"]);
    assert!(s.sim.pulls(REPO).is_empty());
    let issue = s.sim.issue(REPO, s.issue).unwrap();
    assert!(issue.assignees.is_empty() && issue.labels.is_empty());
    let replies = s.bot_comments();
    assert_eq!(replies.len(), 1);
    let plan = &replies[0];
    assert!(
        plan.contains("**Dry run of `/release 0.1.3`**: nothing was changed."),
        "{plan}"
    );
    assert!(
        plan.contains("create branch `release/0.1.3` from `master`"),
        "{plan}"
    );
    assert!(
        plan.contains("`mathesar/__init__.py`: `0.1.2` → `0.1.3`"),
        "{plan}"
    );
    assert!(plan.contains("`install.sh`: `0.1.2` → `0.1.3`"), "{plan}");
    assert!(
        plan.contains("`docs/mkdocs.yml`: `0.1.2` → `0.1.3`"),
        "{plan}"
    );
    assert!(plan.contains("tag the merge commit `0.1.3`"), "{plan}");
}

#[tokio::test]
async fn help_lists_the_commands() {
    let s = Scenario::mathesar().await;

    let outcome = only(s.comment(MAINTAINER, "/release help").await);

    assert_eq!(outcome, Outcome::Answered(Reply::Help));
    let replies = s.bot_comments();
    assert!(
        replies[0].contains("| `/release <version>` |"),
        "{}",
        replies[0]
    );
    assert!(replies[0].contains("| `/release <version> --dry-run` |"));
}

#[tokio::test]
async fn a_repository_config_can_let_writers_release_and_name_its_own_version_file() {
    let s = Scenario::mathesar_altered(|dir| {
        std::fs::create_dir_all(dir.join(".github")).unwrap();
        std::fs::write(
            dir.join(".github/releasebot.toml"),
            "permission = \"write\"\n\n[[version_files]]\npath = \"mathesar/__init__.py\"\n\
             pattern = '''^__version__ = \"(?P<version>[^\"]+)\"'''\nprimary = true\n",
        )
        .unwrap();
    })
    .await;

    let outcome = only(s.comment(WRITER, "/release 0.1.3").await);

    assert!(
        matches!(outcome, Outcome::ReleaseOpened { .. }),
        "{outcome:?}"
    );
    let head = s.sim.refs(REPO)["refs/heads/release/0.1.3"].clone();
    let master = s.sim.refs(REPO)["refs/heads/master"].clone();
    let before = s.sim.tree_paths(REPO, &master);
    let after = s.sim.tree_paths(REPO, &head);
    let changed: Vec<&String> = after
        .iter()
        .filter(|(path, entry)| before.get(*path) != Some(entry))
        .map(|(path, _)| path)
        .collect();
    assert_eq!(
        changed,
        ["mathesar/__init__.py"],
        "only the configured file changes"
    );
    assert_eq!(s.sim.issue(REPO, s.issue).unwrap().assignees, vec![WRITER]);
}

/// With a personal token GitHub does not sign the release commit; a base branch that requires
/// signed commits would refuse the merge, so the status comment says so before anyone tries.
#[tokio::test]
async fn a_commit_made_with_a_personal_token_is_flagged_as_unsigned() {
    let mut s = Scenario::mathesar().await;
    let person = "release-manager";
    s.sim.add_user(person, simulated_github::UserKind::User);
    s.sim.add_token("personal-token", person);
    s.sim.set_role(REPO, person, "admin");
    // No login given: a personal token names its user through `GET /user`.
    s.use_engine(releasebot::engine::Engine::new(
        releasebot::github::Connector::with_token(&s.sim.url(), "personal-token").unwrap(),
    ));

    only(s.comment(MAINTAINER, "/release 0.1.3").await);

    let status = s
        .sim
        .comments(REPO, s.issue)
        .into_iter()
        .find(|c| c.author == person && c.body.contains("releasebot:status"))
        .expect("the status comment, written as the token's user")
        .body;
    assert!(
        status.contains("`Release 0.1.3` ⚠️ not signed (unsigned): a base branch that requires signed commits will refuse the merge"),
        "{status}"
    );
    let head = s.sim.refs(REPO)["refs/heads/release/0.1.3"].clone();
    assert!(!s.sim.is_verified(REPO, &head));
}

#[tokio::test]
async fn a_commit_made_as_the_app_or_actions_bot_is_signed_and_not_flagged() {
    let s = Scenario::mathesar().await;

    only(s.comment(MAINTAINER, "/release 0.1.3").await);

    let head = s.sim.refs(REPO)["refs/heads/release/0.1.3"].clone();
    assert!(s.sim.is_verified(REPO, &head));
    assert!(!s.status_comment().contains("not signed"));
}
