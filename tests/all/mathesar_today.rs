//! Mathesar's release as its maintainers do it today, played from `examples/mathesar-today.toml`
//! with immutable releases on: cut from `develop`, a draft pull request into `master` on its
//! milestone, merged through the merge queue, the queue's commit tagged, the packaging workflow's
//! draft adopted with its assets; then everything after the tag in the order their publication
//! page keeps by hand — the images and the docs, the release published by releasebot only once
//! both succeeded, the deploy after it, `master` merged back into `develop`, and the release
//! announced (Matrix, and Slack and Discord besides, captured on 127.0.0.1) — one draft, each
//! message posted once, and no tag or release ever deleted.

use releasebot::engine::{Engine, Outcome};
use releasebot::github::Connector;
use simulated_github::{MergeMethod, Packaging, ACTIONS_BOT};

use crate::announce::{Answer, Receiver};
use crate::branch_model::develop_moves_on;
use crate::harness::*;
use crate::merge_back::merge_back_pulls;
use crate::packaged_release::packaging_runs;

const EXAMPLE: &str = include_str!("../../examples/mathesar-today.toml");
const QUEUE: &str = "github-merge-queue[bot]";
const PACKAGING_WORKFLOW: &str = "name: Create draft release\non:\n  push:\n    tags: ['*']\n  workflow_dispatch:\njobs:\n  package:\n    runs-on: ubuntu-latest\n";

const DOCS_WORKFLOW: &str = "name: Publish docs\non:\n  workflow_dispatch:\n    inputs:\n      version:\n        required: true\njobs:\n  publish:\n    runs-on: ubuntu-latest\n    steps:\n      - run: mike deploy --push \"$VERSION\"\n";
const DEPLOY_WORKFLOW: &str = "name: Deploy\non:\n  workflow_dispatch:\n    inputs:\n      tag:\n        required: true\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    environment: production\n    steps:\n      - run: ./deploy.sh\n";

/// Mathesar at 0.1.2 configured as the example says, its packaging workflow and immutable
/// releases on, and work on `develop` that `master` has not seen.
pub async fn mathesar_today() -> Scenario {
    mathesar_today_configured(EXAMPLE).await
}

/// The same, configured by `config`.
async fn mathesar_today_configured(config: &str) -> Scenario {
    let s = Scenario::mathesar_altered(|dir| {
        std::fs::write(dir.join(".github/releasebot.toml"), config).unwrap();
        let workflows = dir.join(".github/workflows");
        std::fs::write(
            workflows.join("create-draft-release.yml"),
            PACKAGING_WORKFLOW,
        )
        .unwrap();
        std::fs::write(workflows.join("publish-docs.yml"), DOCS_WORKFLOW).unwrap();
        std::fs::write(workflows.join("deploy.yml"), DEPLOY_WORKFLOW).unwrap();
    })
    .await;
    s.sim.set_packaging(REPO, Packaging::mathesar());
    s.sim.set_immutable_releases(REPO, true);
    develop_moves_on(&s).await;
    s
}

/// The example as it is, pointed at a receiver on 127.0.0.1 for Matrix, with Slack and Discord
/// webhooks besides; and an engine whose announcement secrets name that receiver.
async fn mathesar_today_announcing(receiver: &Receiver) -> Scenario {
    let config = EXAMPLE.replace("https://matrix.org", &receiver.url)
        + "\n[[announce]]\nname = \"team\"\nkind = \"slack\"\nurl_env = \"RELEASEBOT_ANNOUNCE_SLACK\"\nmessage = \"Mathesar {version} is out: {release_url}\"\n\n[[announce]]\nname = \"community\"\nkind = \"discord\"\nurl_env = \"RELEASEBOT_ANNOUNCE_DISCORD\"\nmessage = \"Mathesar {version} is out\"\n";
    let mut s = mathesar_today_configured(&config).await;
    let hook = format!("{}/hooks/T000-secret", receiver.url);
    let env = [
        (
            "RELEASEBOT_ANNOUNCE_MATRIX_TOKEN",
            "matrix-token".to_string(),
        ),
        ("RELEASEBOT_ANNOUNCE_SLACK", hook.clone()),
        ("RELEASEBOT_ANNOUNCE_DISCORD", hook),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let retry = releasebot::announce::Retry {
        attempts: 3,
        first_wait: std::time::Duration::from_millis(20),
        timeout: std::time::Duration::from_secs(2),
    };
    let connector = Connector::with_token(&s.sim.url(), BOT_TOKEN).unwrap();
    s.use_engine(
        Engine::new(connector)
            .with_login(BOT)
            .with_announcements(env, retry),
    );
    s
}

#[tokio::test]
async fn mathesar_today_from_develop_through_the_queue_to_everything_after_the_tag() {
    // The Slack post is answered 500 once: tried again, one message.
    let receiver = Receiver::start(vec![Answer::Status(500)]).await;
    let s = mathesar_today_announcing(&receiver).await;
    let refs_before: Vec<String> = s.sim.refs(REPO).into_keys().collect();

    // Cut from develop: a draft pull request into master, on its milestone.
    let opened = only(s.comment(MAINTAINER, "/release 0.1.3").await);
    assert!(
        matches!(opened, Outcome::ReleaseOpened { .. }),
        "{opened:?}"
    );
    let pull = s.sim.pulls(REPO)[0].clone();
    assert_eq!(
        (pull.head.as_str(), pull.base.as_str()),
        ("release-0.1.3", "master")
    );
    assert!(pull.draft);
    assert_eq!(pull.milestone.as_deref(), Some("v0.1.3"));
    assert!(s
        .file_at("release-0.1.3", "docs/mkdocs.yml")
        .unwrap()
        .contains("mathesar_version: 0.1.3"));
    all_ok(&s.finish_smoke_run("success").await);

    // Marked ready and merged through the queue: the queue's commit is tagged, and the tag
    // (an App's token starts workflows) runs the packaging workflow.
    s.sim.mark_ready(REPO, pull.number, MAINTAINER).unwrap();
    let queued = s
        .sim
        .merge_through_queue(REPO, pull.number, MergeMethod::Merge, MAINTAINER)
        .unwrap();
    all_ok(&s.deliver().await);
    assert_eq!(s.sim.commit(REPO, &queued).unwrap().author, QUEUE);
    assert_eq!(s.sim.resolve(REPO, Some("0.1.3")), Some(queued.clone()));
    assert_eq!(packaging_runs(&s).len(), 1);
    assert!(
        s.images_runs().is_empty() && s.runs_of("publish-docs.yml").is_empty(),
        "nothing built or published before the assets"
    );

    // The packaging draft is adopted, its assets checked; the images (with latest) and the
    // docs for the version go together; the deploy waits for the publication.
    let run = packaging_runs(&s)[0].id;
    s.sim.complete_run(REPO, run, "success").unwrap();
    all_ok(&s.deliver().await);
    let releases = s.sim.releases(REPO);
    assert_eq!(releases.len(), 1, "one draft: {releases:?}");
    let draft = &releases[0];
    assert_eq!((draft.author.as_str(), draft.draft), (ACTIONS_BOT, true));
    assert_eq!(draft.name, "Version 0.1.3 (alpha release)");
    let names: Vec<&str> = draft.assets.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["install.sh", "mathesar.tar.gz", "SHA256SUMS"]);
    let images = s.images_runs();
    assert_eq!(images.len(), 1);
    assert_eq!(
        (
            images[0].inputs["version"].as_str(),
            images[0].inputs["latest"].as_str()
        ),
        (Some("0.1.3"), Some("true"))
    );
    let docs = s.runs_of("publish-docs.yml");
    assert_eq!(docs.len(), 1);
    assert_eq!(
        (
            docs[0].head_branch.as_str(),
            docs[0].inputs["version"].as_str()
        ),
        ("0.1.3", Some("0.1.3"))
    );
    assert!(s.runs_of("deploy.yml").is_empty());

    // The images alone do not publish it: the docs are not out yet.
    all_ok(&s.finish_images_run("success").await);
    assert!(s.sim.releases(REPO)[0].draft, "not public before its docs");
    assert!(receiver.kept().is_empty(), "nothing announced yet");

    // The docs are out: releasebot publishes it as Latest, merges master back into develop,
    // announces it once on each channel, and dispatches the deploy.
    all_ok(&s.finish_run("publish-docs.yml", "success").await);
    let published = s.sim.releases(REPO)[0].clone();
    assert!(published.immutable && !published.draft);
    assert_eq!(s.sim.latest_release(REPO), Some(published.id));
    let back = merge_back_pulls(&s);
    assert_eq!(back.len(), 1, "{back:?}");
    assert!(back[0].merged);
    let kept = receiver.kept();
    assert_eq!(kept.len(), 3, "{kept:#?}");
    let url = format!("{}{REPO}/releases/tag/0.1.3", s.sim.url());
    assert!(
        kept.contains(&serde_json::json!({ "text": format!("Mathesar 0.1.3 is out: {url}") })),
        "{kept:#?}"
    );
    assert!(
        kept.contains(&serde_json::json!({ "content": "Mathesar 0.1.3 is out" })),
        "{kept:#?}"
    );
    let matrix = kept
        .iter()
        .find(|k| k.get("msgtype").is_some())
        .expect("a Matrix message");
    assert_eq!(matrix["msgtype"], "m.text");
    assert_eq!(matrix["body"], format!("Mathesar 0.1.3 is released: {url}"));
    assert_eq!(
        receiver.requests(),
        4,
        "Slack's 500 tried again, nothing else twice"
    );
    let deploy = s.runs_of("deploy.yml");
    assert_eq!(deploy.len(), 1);
    assert_eq!(deploy[0].inputs["tag"], "0.1.3");

    // The deploy ends: every step done, and the status says so in order.
    all_ok(&s.finish_run("deploy.yml", "success").await);
    let status = s.status_comment();
    for line in [
        "Merge back of `master` into `develop`: ✅ merged",
        "- [x] Step `docs` (`publish-docs.yml`): succeeded",
        "- [x] Step `deploy` (`deploy.yml`): succeeded",
    ] {
        assert!(status.contains(line), "{line:?} missing from:\n{status}");
    }

    // Every delivery of the publication once more posts nothing again.
    let published_event = s.sim.take_deliveries();
    assert!(published_event.is_empty());
    assert_eq!(receiver.requests(), 4);

    // Nothing deleted: every ref there before is there still, and no DELETE was sent.
    let refs_after: Vec<String> = s.sim.refs(REPO).into_keys().collect();
    assert!(refs_before.iter().all(|r| refs_after.contains(r)));
    assert!(
        !s.api_calls().iter().any(|c| c.starts_with("DELETE ")),
        "{:?}",
        s.api_calls()
    );
}

/// Tagged and packaged, its images and docs built: published by releasebot.
async fn published_by_releasebot(s: &Scenario) {
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    all_ok(&s.finish_smoke_run("success").await);
    let pull = s.release_pull();
    s.sim.mark_ready(REPO, pull, MAINTAINER).unwrap();
    s.sim
        .merge_through_queue(REPO, pull, MergeMethod::Merge, MAINTAINER)
        .unwrap();
    all_ok(&s.deliver().await);
    all_ok(&s.finish_run("create-draft-release.yml", "success").await);
    all_ok(&s.finish_images_run("success").await);
    all_ok(&s.finish_run("publish-docs.yml", "success").await);
    assert!(!s.sim.releases(REPO)[0].draft);
}

#[tokio::test]
async fn a_failed_deploy_and_a_refused_announcement_are_both_resumed_by_one_retry() {
    // Matrix, announced first, refuses the first post (a 400 is not tried again by itself).
    let receiver = Receiver::start(vec![Answer::Status(400)]).await;
    let s = mathesar_today_announcing(&receiver).await;
    published_by_releasebot(&s).await;
    all_ok(&s.finish_run("deploy.yml", "failure").await);
    let status = s.status_comment();
    assert!(
        status.contains("❌ Step `deploy` (`deploy.yml`): ended in `failure`"),
        "{status}"
    );
    assert!(
        status.contains("- **matrix** (matrix at 127.0.0.1): ❌"),
        "{status}"
    );
    assert_eq!(receiver.kept().len(), 2, "Slack and Discord took theirs");

    // One retry: the deploy dispatched again, Matrix sent again; nothing else twice.
    all_ok(&s.comment(MAINTAINER, "/release retry").await);
    assert_eq!(s.runs_of("deploy.yml").len(), 2);
    assert_eq!(s.runs_of("publish-docs.yml").len(), 1);
    assert_eq!(s.images_runs().len(), 1);
    let kept = receiver.kept();
    assert_eq!(kept.len(), 3, "{kept:#?}");
    assert_eq!(receiver.requests(), 4);
    all_ok(&s.finish_run("deploy.yml", "success").await);
    let status = s.status_comment();
    assert!(
        status.contains("- [x] Step `deploy` (`deploy.yml`): succeeded"),
        "{status}"
    );
    assert!(!status.contains("❌"), "{status}");
}

#[test]
fn the_example_configuration_is_valid() {
    let config = releasebot::config::Config::parse(EXAMPLE).expect("the example parses");
    assert_eq!(config.base_branch.as_deref(), Some("develop"));
    assert_eq!(config.merge_back.as_deref(), Some("develop"));
    assert!(config.packaging.is_some());
    let steps: Vec<&str> = config.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(steps, ["docs", "deploy"]);
    assert!(config.publish.is_some());
    assert_eq!(config.announce.len(), 1);
}

#[tokio::test]
async fn a_dry_run_lists_every_step_from_the_branch_to_the_announcement_and_changes_nothing() {
    let s = mathesar_today().await;
    let refs_before = s.sim.refs(REPO);

    only(s.comment(MAINTAINER, "/release 0.1.3 --dry-run").await);

    let said = s.bot_comments().join("\n");
    for step in [
        "create branch `release-0.1.3` from `develop`",
        "open draft pull request `Release 0.1.3` into `master` on milestone `v0.1.3` (made if missing)",
        "tag the merge commit `0.1.3`, run `create-draft-release.yml` on the tag",
        "checking its assets (`install.sh`, `mathesar.tar.gz`)",
        "dispatch step `docs` (`publish-docs.yml`) on tag `0.1.3` with the images",
        "dispatch step `deploy` (`deploy.yml`) on tag `0.1.3` after `publish`, in environment `production`",
        "publish the release once `images`, `docs` succeeded",
        "6. once the bot publishes the release: merge `master` back into `develop`, then announce it to `matrix` (matrix).",
    ] {
        assert!(said.contains(step), "{step:?} missing from:\n{said}");
    }
    assert_eq!(s.sim.refs(REPO), refs_before, "nothing changed");
    assert!(s.sim.pulls(REPO).is_empty());
}
