//! What a person (or `gh`, or a script) reads when looking at a release on GitHub, answered in
//! GitHub's published shapes: each read is checked against the description when the test ends.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::simulated_github::{Api, REPO};

const WORKFLOW: &str =
    "name: Release images\non:\n  workflow_dispatch:\njobs:\n  images:\n    runs-on: ubuntu-latest\n  smoke:\n    runs-on: ubuntu-latest\n";

/// A release in flight: `release/1.0.1` one commit ahead of main, its pull request (labelled,
/// commented on), a status on its head, an annotated tag on it, and a dispatched run.
struct Release {
    api: Api,
    pull: u64,
    head: String,
    run: u64,
}

async fn release_in_flight() -> Release {
    let api = Api::start().await;
    api.sim.push_commit(
        REPO,
        "main",
        "ada",
        "Add the images workflow",
        &[(".github/workflows/images.yml", WORKFLOW)],
    );
    let head = api.sim.push_commit(
        REPO,
        "release/1.0.1",
        "ada",
        "Release 1.0.1",
        &[("VERSION", "1.0.1\n"), ("hello.txt", "hello\nagain\n")],
    );
    let pull = api
        .sim
        .open_pull(REPO, "release/1.0.1", "main", "ada", "Release 1.0.1");
    api.post(
        &format!("issues/{pull}/labels"),
        json!({"labels": ["release"]}),
    )
    .await;
    api.sim.post_comment(REPO, pull, "ada", "/release 1.0.1");
    api.post(
        &format!("statuses/{head}"),
        json!({"state": "success", "context": "releasebot/smoke"}),
    )
    .await;
    api.sim.push_tag(REPO, "1.0.1", &head, "ada", true);
    let run = api
        .sim
        .dispatch_workflow(REPO, "images.yml", "main", json!({}), "bot[bot]")
        .unwrap();
    api.sim.take_deliveries();
    Release {
        api,
        pull,
        head,
        run,
    }
}

fn names(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|item| item[key].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_commit_and_its_status_are_read_by_branch_tag_or_id() {
    let s = release_in_flight().await;
    let api = &s.api;

    let (by_branch, commit) = api.get("commits/release/1.0.1").await;
    let (by_tag, tagged) = api.get("commits/1.0.1").await;
    let (_, status) = api.get("commits/release/1.0.1/status").await;
    let (_, statuses) = api.get("commits/release%2F1.0.1/statuses").await;
    let (_, tag_status) = api.get("commits/1.0.1/status").await;
    let (_, main_status) = api.get("commits/main/status").await;
    let (missing, _) = api.get("commits/nope").await;

    assert_eq!((by_branch, by_tag), (StatusCode::OK, StatusCode::OK));
    assert_eq!(commit["sha"], s.head);
    assert_eq!(tagged["sha"], s.head, "the annotated tag, peeled");
    assert_eq!(commit["author"]["login"], "ada");
    assert_eq!(
        names(&commit["files"], "filename"),
        ["VERSION", "hello.txt"]
    );
    assert_eq!(
        commit["stats"],
        json!({"additions": 2, "deletions": 0, "total": 2})
    );
    assert_eq!(
        (status["state"].as_str(), status["total_count"].as_u64()),
        (Some("success"), Some(1))
    );
    assert_eq!(status["sha"], s.head);
    assert_eq!(names(&statuses, "context"), ["releasebot/smoke"]);
    assert_eq!(tag_status["state"], "success");
    assert_eq!(
        (
            main_status["state"].as_str(),
            main_status["total_count"].as_u64()
        ),
        (Some("pending"), Some(0)),
        "no status at all is pending"
    );
    assert_eq!(missing, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn branches_history_and_a_comparison() {
    let s = release_in_flight().await;
    let api = &s.api;

    let (_, branches) = api.get("branches").await;
    let (_, branch) = api.get("branches/release/1.0.1").await;
    let (no_branch, _) = api.get("branches/nope").await;
    let (_, history) = api.get("commits?sha=release/1.0.1&per_page=2").await;
    let (_, compare) = api.get("compare/main...release/1.0.1").await;
    let (_, back) = api.get("compare/1.0.1...main").await;
    let (_, tree) = api.get("git/trees/release/1.0.1").await;

    assert_eq!(names(&branches, "name"), ["main", "release/1.0.1"]);
    assert_eq!(
        (branch["name"].as_str(), branch["commit"]["sha"].as_str()),
        (Some("release/1.0.1"), Some(s.head.as_str()))
    );
    assert_eq!(no_branch, StatusCode::NOT_FOUND);
    let history: Vec<String> = names(&history, "sha");
    assert_eq!(history.len(), 2, "per_page");
    assert_eq!(history[0], s.head, "newest first");
    assert_eq!(
        (
            compare["status"].as_str(),
            compare["ahead_by"].as_u64(),
            compare["behind_by"].as_u64()
        ),
        (Some("ahead"), Some(1), Some(0))
    );
    assert_eq!(names(&compare["commits"], "sha"), [s.head.as_str()]);
    assert_eq!(
        names(&compare["files"], "status"),
        ["added", "modified"],
        "VERSION added, hello.txt changed"
    );
    assert_eq!(back["status"], "behind");
    let paths = names(&tree["tree"], "path");
    assert!(paths.contains(&"VERSION".to_string()), "{paths:?}");
}

#[tokio::test]
async fn a_pull_requests_commits_files_reviews_labels_events_and_timeline() {
    let s = release_in_flight().await;
    let api = &s.api;
    let n = s.pull;
    api.sim.close_pull(REPO, n, "bob").unwrap();
    api.sim.reopen_pull(REPO, n, "ada").unwrap();

    let (_, commits) = api.get(&format!("pulls/{n}/commits")).await;
    let (_, files) = api.get(&format!("pulls/{n}/files")).await;
    let (_, reviews) = api.get(&format!("pulls/{n}/reviews")).await;
    let (_, labels) = api.get(&format!("issues/{n}/labels")).await;
    let (_, repo_labels) = api.get("labels").await;
    let (_, events) = api.get(&format!("issues/{n}/events")).await;
    let (_, timeline) = api.get(&format!("issues/{n}/timeline")).await;
    let (no_pull, _) = api.get("pulls/999/files").await;

    assert_eq!(names(&commits, "sha"), [s.head.as_str()]);
    assert_eq!(names(&files, "filename"), ["VERSION", "hello.txt"]);
    assert_eq!(reviews, json!([]));
    assert_eq!(names(&labels, "name"), ["release"]);
    assert_eq!(names(&repo_labels, "name"), ["release"]);
    assert_eq!(names(&events, "event"), ["labeled", "closed", "reopened"]);
    assert_eq!(events[0]["label"]["name"], "release");
    assert_eq!(events[1]["actor"]["login"], "bob");
    assert_eq!(
        names(&timeline, "event"),
        ["labeled", "commented", "closed", "reopened"]
    );
    assert_eq!(timeline[1]["body"], "/release 1.0.1");
    assert_eq!(no_pull, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn workflows_a_runs_jobs_collaborators_assets_and_the_rate_limit() {
    let s = release_in_flight().await;
    let api = &s.api;
    let (_, draft) = api
        .post(
            "releases",
            json!({"tag_name": "1.0.1", "name": "1.0.1", "body": "", "draft": true}),
        )
        .await;

    let (_, workflows) = api.get("actions/workflows").await;
    let (_, queued) = api.get(&format!("actions/runs/{}/jobs", s.run)).await;
    api.sim.complete_run(REPO, s.run, "failure").unwrap();
    let (_, done) = api.get(&format!("actions/runs/{}/jobs", s.run)).await;
    let (_, collaborators) = api.get("collaborators").await;
    let (_, assets) = api.get(&format!("releases/{}/assets", draft["id"])).await;
    let response = api
        .http
        .get(format!("{}rate_limit", api.sim.url()))
        .header("authorization", "token t0ken")
        .send()
        .await
        .unwrap();
    let status = response.status();
    let limit: Value = response.json().await.unwrap();

    assert_eq!(workflows["total_count"], 1);
    assert_eq!(workflows["workflows"][0]["name"], "Release images");
    assert_eq!(names(&queued["jobs"], "name"), ["images", "smoke"]);
    assert_eq!(queued["jobs"][0]["status"], "queued");
    assert_eq!(
        (
            done["jobs"][1]["status"].as_str(),
            done["jobs"][1]["conclusion"].as_str()
        ),
        (Some("completed"), Some("failure"))
    );
    assert_eq!(names(&collaborators, "login"), ["ada", "bob"]);
    assert_eq!(collaborators[0]["role_name"], "maintain");
    assert_eq!(assets, json!([]));
    assert_eq!(status, StatusCode::OK);
    assert_eq!(limit["rate"]["limit"], 5000);
    assert!(limit["resources"]["core"]["remaining"].as_u64().unwrap() < 5000);
}

#[tokio::test]
async fn what_github_does_not_serve_is_its_json_404() {
    let api = Api::start().await;

    let (unknown, body) = api.get("no/such/thing").await;
    let (wrong_method, refused) = api.call(Method::PUT, "releases", Some(json!({}))).await;

    assert_eq!(unknown, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"})
    );
    assert_eq!((wrong_method, &refused), (StatusCode::NOT_FOUND, &body));
}
