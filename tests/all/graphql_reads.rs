//! The one GraphQL read a delivery makes, against a GitHub that answers it oddly: what the
//! query settled is not read again over REST, what it did not settle is, our writes make the
//! next read go to GitHub, and an endpoint that refuses GraphQL leaves the bot reading REST.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use releasebot::domain::IssueNumber;
use releasebot::engine::Outcome;
use releasebot::github::prefetch::{FileAt, ReadPlan};
use releasebot::github::{Connector, RepoClient};
use serde_json::json;
use simulated_github::{Fault, MergeMethod};

use crate::harness::*;

const CONFIG: &str = ".github/releasebot.toml";

/// A GitHub whose `POST …/graphql` gives `graphql` (status, body) and whose REST answers the
/// configuration file and the issue's comments; it records each request's path.
#[derive(Clone)]
struct Odd {
    graphql: (StatusCode, serde_json::Value),
    seen: Arc<Mutex<Vec<String>>>,
    /// Where it serves, once it does.
    url: Arc<Mutex<String>>,
}

impl Odd {
    fn answering(status: u16, body: serde_json::Value) -> Odd {
        Odd {
            graphql: (StatusCode::from_u16(status).unwrap(), body),
            seen: Arc::default(),
            url: Arc::default(),
        }
    }

    /// Serves at `prefix` (`/` like github.com, `/api/v3/` like an Enterprise server).
    async fn serve(&self, prefix: &str) -> RepoClient {
        let router = axum::Router::new()
            .fallback(answer)
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}{prefix}", listener.local_addr().unwrap());
        *self.url.lock().unwrap() = url.clone();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Connector::with_token(&url, "t")
            .unwrap()
            .repo_client(None, "o", "r")
            .await
            .unwrap()
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

async fn answer(State(odd): State<Odd>, method: Method, uri: Uri) -> Response {
    let path = uri.path().to_string();
    odd.seen.lock().unwrap().push(path.clone());
    if path.ends_with("/graphql") {
        let (status, body) = odd.graphql.clone();
        return (status, axum::Json(body)).into_response();
    }
    if path.ends_with("/contents/.github/releasebot.toml") {
        return axum::Json(json!({
            "type": "file", "encoding": "base64", "content": "bGFiZWwgPSAicmVzdCIK"
        }))
        .into_response();
    }
    if path.ends_with("/issues/1/comments") {
        let comment = json!({ "id": 2, "body": "hello", "user": { "login": "me", "type": "User" },
                              "html_url": "u" });
        return match method {
            Method::POST => (StatusCode::CREATED, axum::Json(comment)).into_response(),
            _ => axum::Json(json!([comment])).into_response(),
        };
    }
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({ "message": "Not Found" })),
    )
        .into_response()
}

fn config_plan() -> ReadPlan {
    ReadPlan {
        file: Some(FileAt {
            rev: "main".into(),
            path: CONFIG.into(),
        }),
        comments: Some(IssueNumber(1)),
        ..ReadPlan::default()
    }
}

fn config_read_by_graphql() -> serde_json::Value {
    json!({ "data": { "repository": {
        "file": { "__typename": "Blob", "text": "label = \"graphql\"\n", "isBinary": false, "isTruncated": false },
        "comments": { "__typename": "Issue", "comments": { "pageInfo": { "hasPreviousPage": false }, "nodes": [] } }
    }}})
}

#[tokio::test]
async fn what_the_query_read_is_not_read_again_over_rest() {
    let github = Odd::answering(200, config_read_by_graphql());
    let gh = github.serve("/").await;
    gh.prefetch(&config_plan()).await.unwrap();
    let text = gh.file_text(CONFIG, "main").await.unwrap();
    assert_eq!(text.as_deref(), Some("label = \"graphql\"\n"));
    assert_eq!(gh.issue_comments(IssueNumber(1)).await.unwrap(), vec![]);
    assert_eq!(github.seen(), ["/graphql"]);
}

#[tokio::test]
async fn after_our_own_comment_the_comments_are_read_from_github_again() {
    let github = Odd::answering(200, config_read_by_graphql());
    let gh = github.serve("/").await;
    gh.prefetch(&config_plan()).await.unwrap();
    gh.create_comment(IssueNumber(1), "hello").await.unwrap();
    let comments = gh.issue_comments(IssueNumber(1)).await.unwrap();
    assert_eq!(
        comments[0].body(),
        "hello",
        "GitHub's list, with our comment"
    );
    let seen = github.seen();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen[2].ends_with("/issues/1/comments"), "{seen:?}");
    // The configuration was not changed by a comment: still answered from the query.
    gh.file_text(CONFIG, "main").await.unwrap();
    assert_eq!(github.seen().len(), 3);
}

#[tokio::test]
async fn after_an_asset_upload_even_a_refused_one_the_releases_are_read_from_github_again() {
    let mut answer = config_read_by_graphql();
    answer["data"]["repository"]["releases"] =
        json!({ "pageInfo": { "hasNextPage": false }, "nodes": [] });
    let github = Odd::answering(200, answer);
    let gh = github.serve("/").await;
    let plan = ReadPlan {
        releases: true,
        ..config_plan()
    };
    gh.prefetch(&plan).await.unwrap();
    assert_eq!(
        gh.releases().await.unwrap(),
        vec![],
        "answered by the query"
    );
    assert_eq!(github.seen(), ["/graphql"]);
    let upload_url = format!(
        "{}repos/o/r/releases/1/assets{{?name,label}}",
        github.url.lock().unwrap()
    );
    let refused = gh
        .upload_asset(&upload_url, "SHA256SUMS", b"x".to_vec())
        .await;
    assert!(refused.is_err(), "this GitHub refuses every upload");
    // The upload may have been half done: the list is GitHub's again, not the query's.
    let _ = gh.releases().await;
    let seen = github.seen();
    assert!(
        seen.last()
            .is_some_and(|p| p.ends_with("/repos/o/r/releases")),
        "{seen:?}"
    );
}

#[tokio::test]
async fn a_query_github_refuses_leaves_every_read_to_rest() {
    let refused =
        json!({ "errors": [{ "message": "Field 'file' doesn't exist on type 'Commit'" }] });
    let github = Odd::answering(200, refused);
    let gh = github.serve("/").await;
    gh.prefetch(&config_plan()).await.unwrap();
    let text = gh.file_text(CONFIG, "main").await.unwrap();
    assert_eq!(text.as_deref(), Some("label = \"rest\"\n"));
    assert!(github.seen()[1].ends_with("/contents/.github/releasebot.toml"));
}

#[tokio::test]
async fn a_server_without_graphql_leaves_every_read_to_rest() {
    let github = Odd::answering(404, json!({ "message": "Not Found" }));
    let gh = github.serve("/").await;
    gh.prefetch(&config_plan()).await.unwrap();
    let text = gh.file_text(CONFIG, "main").await.unwrap();
    assert_eq!(text.as_deref(), Some("label = \"rest\"\n"));
}

#[tokio::test]
async fn a_graphql_endpoint_that_fails_fails_the_job_as_a_rest_read_would() {
    let github = Odd::answering(502, json!({ "message": "Bad Gateway" }));
    let gh = github.serve("/").await;
    let error = gh.prefetch(&config_plan()).await.unwrap_err();
    assert_eq!(error.status(), Some(502), "{error}");
}

#[tokio::test]
async fn an_enterprise_server_is_asked_at_its_own_graphql_endpoint() {
    let github = Odd::answering(200, config_read_by_graphql());
    let gh = github.serve("/api/v3/").await;
    gh.prefetch(&config_plan()).await.unwrap();
    assert_eq!(github.seen(), ["/api/graphql"]);
    assert_eq!(
        gh.file_text(CONFIG, "main").await.unwrap().as_deref(),
        Some("label = \"graphql\"\n")
    );
}

// ----- the same, in a whole release against the simulated GitHub -----

/// A GitHub whose GraphQL endpoint fails when the merge is delivered: the job fails before it
/// writes anything; run again, it tags, drafts and dispatches once.
#[tokio::test]
async fn a_graphql_outage_at_the_merge_fails_the_job_before_any_write_and_the_retry_releases_once()
{
    let s = Scenario::mathesar().await;
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    let closed = s.merge_release_pull_undelivered();
    s.sim.clear_requests();
    s.sim
        .fail_matching("POST", "/graphql", 1, Fault::Status(502));

    let failed = s.redeliver("pull_request", &closed).await;

    let error = failed.expect_err("the read failed").to_string();
    assert!(
        error.contains("502") && error.contains("/graphql"),
        "{error}"
    );
    assert_eq!(s.api_writes(), Vec::<String>::new(), "nothing written");
    assert!(s.sim.releases(REPO).is_empty());

    let again = s.redeliver("pull_request", &closed).await;
    assert!(matches!(again, Ok(Outcome::Released { .. })), "{again:?}");
    s.deliver().await;
    assert_eq!(s.sim.releases(REPO).len(), 1);
    assert_eq!(s.images_runs().len(), 1);
    assert!(s.sim.refs(REPO).contains_key("refs/tags/0.1.3"));
}

/// A GitHub without GraphQL (an Enterprise server that refuses it): the whole release runs on
/// REST reads, as it did before the query, and ends the same.
#[tokio::test]
async fn without_graphql_the_whole_release_reads_over_rest_and_ends_the_same() {
    let s = Scenario::mathesar().await;
    s.sim
        .fail_matching("POST", "/graphql", 1_000, Fault::Status(404));

    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.sim
        .merge_pull(REPO, s.release_pull(), MergeMethod::Merge, MAINTAINER)
        .unwrap();
    s.deliver().await;
    s.finish_images_run("success").await;

    let draft = &s.sim.releases(REPO)[0];
    assert!(draft.draft);
    assert!(
        draft.body.contains("- `mathesar/mathesar-prod:0.1.3`"),
        "{}",
        draft.body
    );
    assert!(s
        .status_comment()
        .contains("- [x] Images pushed for linux/amd64, linux/arm64"));
    let rest_reads = s
        .api_calls()
        .iter()
        .filter(|c| c.starts_with("GET "))
        .count();
    assert!(rest_reads > 15, "read over REST: {:?}", s.api_calls());
}

/// A repository whose configuration names its own version files: the first delivery's query
/// guessed the default ones, so that job reads the base branch's files over REST; the bot
/// remembers the configuration, and the merge's query reads the merge commit's files itself.
#[tokio::test]
async fn a_repository_s_own_version_files_are_read_by_the_query_once_its_configuration_is_known() {
    let s = Scenario::mathesar_altered(|dir| {
        std::fs::create_dir_all(dir.join(".github")).unwrap();
        std::fs::write(
            dir.join(".github/releasebot.toml"),
            "[[version_files]]\npath = \"mathesar/__init__.py\"\n\
             pattern = '''^__version__\\s*=\\s*[\"'](?P<version>[^\"']+)[\"']'''\nprimary = true\n\
             [[version_files]]\npath = \"VERSION\"\npattern = '''^(?P<version>\\S+)$'''\n",
        )
        .unwrap();
        std::fs::write(dir.join("VERSION"), "0.1.2\n").unwrap();
    })
    .await;

    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    let first_job = s.api_calls();
    assert!(
        first_job
            .iter()
            .any(|c| c.contains("/git/trees/") && c.starts_with("GET ")),
        "the base branch's files read over REST: {first_job:?}"
    );
    s.sim.clear_requests();
    let closed = s.merge_release_pull_undelivered();
    let merged = s.redeliver("pull_request", &closed).await;

    assert!(matches!(merged, Ok(Outcome::Released { .. })), "{merged:?}");
    let calls = s.api_calls();
    let file_reads: Vec<&String> = calls
        .iter()
        .filter(|c| {
            c.starts_with("GET ") && (c.contains("/git/trees/") || c.contains("/git/blobs/"))
        })
        .collect();
    assert!(
        file_reads.is_empty(),
        "the merge commit's files came with the query: {calls:?}"
    );
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.starts_with("POST /graphql"))
            .count(),
        1
    );
}
