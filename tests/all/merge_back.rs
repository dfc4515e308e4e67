//! After publication the released branch is merged back into the development branch, as
//! Mathesar merges `master` into `develop`: through the pull request between them (the bot's own,
//! or one already open), shown on the status comment, and held — not failed — by a conflict.

use simulated_github::MergeMethod;

use crate::harness::*;

/// Mathesar with a `develop` branch that has moved on since 0.1.2 (`develop_change` is its
/// commit's files), configured to merge `master` back into it.
async fn mathesar_with_develop(develop_change: &[(&str, &str)]) -> Scenario {
    let s = Scenario::mathesar_altered(|dir| {
        std::fs::create_dir_all(dir.join(".github")).unwrap();
        std::fs::write(
            dir.join(".github/releasebot.toml"),
            "merge_back = \"develop\"\n",
        )
        .unwrap();
    })
    .await;
    s.sim.push_commit(
        REPO,
        "develop",
        WRITER,
        "Work for the next release",
        develop_change,
    );
    s.deliver().await;
    s
}

/// `/release 0.1.3`, smoke-tested and merged by the maintainer.
pub async fn release_merged(s: &Scenario) {
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.finish_smoke_run("success").await;
    s.sim
        .merge_pull(REPO, s.release_pull(), MergeMethod::Merge, MAINTAINER)
        .unwrap();
    s.deliver().await;
}

/// The images build, and the maintainer publishes the draft.
async fn built_and_published(s: &Scenario) {
    s.finish_images_run("success").await;
    let draft = s.sim.releases(REPO)[0].id;
    s.sim.publish_release(REPO, draft, MAINTAINER).unwrap();
    let outcomes = s.deliver().await;
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
}

async fn release_and_publish(s: &Scenario) {
    release_merged(s).await;
    built_and_published(s).await;
}

pub fn merge_back_pulls(s: &Scenario) -> Vec<simulated_github::PullInfo> {
    s.sim
        .pulls(REPO)
        .into_iter()
        .filter(|p| p.head == "master" && p.base == "develop")
        .collect()
}

#[tokio::test]
async fn publishing_merges_master_back_into_develop_through_one_pull_request() {
    let s = mathesar_with_develop(&[("mathesar/next.py", "# next\n")]).await;

    release_and_publish(&s).await;

    let pulls = merge_back_pulls(&s);
    assert_eq!(pulls.len(), 1, "{pulls:#?}");
    assert!(pulls[0].merged, "{pulls:#?}");
    assert_eq!(pulls[0].author, BOT);
    let develop = s.sim.resolve(REPO, Some("develop")).unwrap();
    let master = s.sim.resolve(REPO, Some("master")).unwrap();
    assert!(
        s.sim
            .commit(REPO, &develop)
            .unwrap()
            .parents
            .contains(&master),
        "develop has master's release commit"
    );
    let status = s.status_comment();
    assert!(
        status.contains(&format!(
            "Merge back of `master` into `develop`: ✅ merged in [#{}](",
            pulls[0].number
        )),
        "{status}"
    );
    let version = s.file_at("develop", "mathesar/__init__.py").unwrap();
    assert!(version.contains("__version__ = \"0.1.3\""), "{version}");
}

#[tokio::test]
async fn a_pull_request_already_open_between_them_is_the_one_merged() {
    let s = mathesar_with_develop(&[("mathesar/next.py", "# next\n")]).await;
    release_merged(&s).await;
    // Someone (an automation, in Mathesar's case) opened it when master moved.
    let opened = s.sim.open_pull(
        REPO,
        "master",
        "develop",
        MAINTAINER,
        "Merge master into develop",
    );
    s.deliver().await;
    built_and_published(&s).await;

    let pulls = merge_back_pulls(&s);
    assert_eq!(pulls.len(), 1);
    assert_eq!((pulls[0].number, pulls[0].merged), (opened, true));
}

#[tokio::test]
async fn a_conflict_holds_the_merge_back_on_the_status_while_the_release_is_published() {
    // develop changed the very line the release commit changes.
    let s = mathesar_with_develop(&[(
        "mathesar/__init__.py",
        "default_app_config = 'mathesar.apps.MathesarConfig'\n\n__version__ = \"0.2.0.dev0\"\n",
    )])
    .await;

    release_and_publish(&s).await;

    let pulls = merge_back_pulls(&s);
    assert_eq!(pulls.len(), 1);
    assert!(!pulls[0].merged);
    let status = s.status_comment();
    assert!(status.contains("published"), "{status}");
    assert!(
        status.contains("Merge back of `master` into `develop`: ⏳ not merged in [#"),
        "{status}"
    );
    assert!(
        status.contains("`/release retry` to merge it once it can be"),
        "{status}"
    );

    // A redelivery of the publication opens nothing more; a retry tries the same pull request.
    s.comment(MAINTAINER, "/release retry").await;
    assert_eq!(merge_back_pulls(&s).len(), 1);
}
