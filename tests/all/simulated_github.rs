//! The simulated GitHub answers as GitHub does: shapes, status codes, error bodies, pagination,
//! faults and signed webhooks. Spoken to over real HTTP.

use reqwest::StatusCode;
use serde_json::{json, Value};
use simulated_github::{signature, Fault, RepoSeed, SimulatedGitHub, UserKind};

pub const REPO: &str = "octo/demo";
const TOKEN: &str = "t0ken";

/// A simulated GitHub with one repository (`hello.txt` on `main`, tag `1.0.0`), the bot's token,
/// and people: ada (maintain), bob (triage), eve (no role); spoken to over real HTTP.
pub struct Api {
    pub sim: SimulatedGitHub,
    pub http: reqwest::Client,
}

impl Api {
    pub async fn start() -> Api {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("hello.txt"), "hello\n").unwrap();
        let sim = SimulatedGitHub::start("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        sim.add_user("bot[bot]", UserKind::Bot);
        sim.add_token(TOKEN, "bot[bot]");
        for login in ["ada", "bob", "eve"] {
            sim.add_user(login, UserKind::User);
        }
        sim.add_repo(
            RepoSeed::from_dir(REPO, "main", dir.path())
                .unwrap()
                .with_tags(["1.0.0"]),
        );
        for (login, role) in [("ada", "maintain"), ("bob", "triage")] {
            sim.set_role(REPO, login, role);
        }
        Api {
            sim,
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}repos/{REPO}/{path}", self.sim.url())
    }

    /// A REST call with the bot's token; the answer's status and JSON (null when none).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, self.url(path))
            .header("authorization", format!("token {TOKEN}"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// A person's move over `/_simulator/repos/octo/demo/…` (no token).
    pub async fn person(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let url = format!("{}_simulator/repos/{REPO}/{path}", self.sim.url());
        let response = self
            .http
            .request(method, url)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub fn main_sha(&self) -> String {
        self.sim.refs(REPO)["refs/heads/main"].clone()
    }

    /// The webhooks sent since the last look, as (event, action, sender); `push` and the like,
    /// which have no action, with an empty one.
    pub fn webhooks(&self) -> Vec<(String, String, String)> {
        self.sim
            .take_deliveries()
            .iter()
            .map(|d| {
                (
                    d.event.clone(),
                    d.payload["action"].as_str().unwrap_or_default().to_string(),
                    d.payload["sender"]["login"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }
}

/// `(event, action, sender)` as `webhooks` lists them, for expected lists.
pub fn hook(event: &str, action: &str, sender: &str) -> (String, String, String) {
    (event.into(), action.into(), sender.into())
}

/// Whatever a test sends, the simulator's answers and webhooks must keep to GitHub's
/// descriptions; a test that sends a request GitHub would refuse takes that violation itself.
impl Drop for Api {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            crate::harness::assert_conforms(&self.sim);
        }
    }
}

#[tokio::test]
async fn seeded_files_get_gits_own_blob_ids_and_missing_files_are_404() {
    let api = Api::start().await;

    let (status, file) = api.get("contents/hello.txt").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(file["sha"], "ce013625030ba8dba906f756967f9e9ca394464a");
    assert_eq!(file["encoding"], "base64");
    assert_eq!(file["content"], "aGVsbG8K\n");

    let (status, body) = api.get("contents/nope.txt?ref=main").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["message"], "Not Found");
    let (status, _) = api.get("git/ref/heads/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_tree_commit_and_ref_made_through_the_api_read_back_with_their_modes() {
    let api = Api::start().await;
    let main = api.main_sha();
    let (_, commit) = api.get(&format!("git/commits/{main}")).await;
    let base_tree = commit["tree"]["sha"].as_str().unwrap().to_string();

    let (status, tree) = api
        .post(
            "git/trees",
            json!({"base_tree": base_tree, "tree": [{"path": "bin/run.sh", "mode": "100755", "type": "blob", "content": "echo hi\n"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, commit) = api
        .post(
            "git/commits",
            json!({"message": "Add run.sh", "tree": tree["sha"], "parents": [main]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let sha = commit["sha"].as_str().unwrap();
    let (status, _) = api
        .post("git/refs", json!({"ref": "refs/heads/feature", "sha": sha}))
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let (_, listing) = api
        .get(&format!(
            "git/trees/{}?recursive=1",
            tree["sha"].as_str().unwrap()
        ))
        .await;
    let paths: Vec<(String, String, String)> = listing["tree"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().into(),
                e["mode"].as_str().unwrap().into(),
                e["type"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        paths,
        vec![
            ("bin".into(), "040000".into(), "tree".into()),
            ("bin/run.sh".into(), "100755".into(), "blob".into()),
            ("hello.txt".into(), "100644".into(), "blob".into()),
        ]
    );
    assert_eq!(
        api.sim.file(REPO, "feature", "bin/run.sh"),
        Some((b"echo hi\n".to_vec(), "100755".into()))
    );
}

#[tokio::test]
async fn creating_a_ref_that_exists_is_githubs_422() {
    let api = Api::start().await;
    let main = api.main_sha();

    let (status, body) = api
        .post("git/refs", json!({"ref": "refs/heads/main", "sha": main}))
        .await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["message"], "Reference already exists");
    assert_eq!(body["status"], "422");
    let (status, body) = api
        .post(
            "git/refs",
            json!({"ref": "refs/heads/x", "sha": "0".repeat(40)}),
        )
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("Object does not exist")
        )
    );
}

#[tokio::test]
async fn a_second_open_pull_request_for_the_same_branch_is_refused() {
    let api = Api::start().await;
    api.sim
        .push_commit(REPO, "feature", "ada", "Work", &[("a.txt", "a\n")]);
    let pull = json!({"title": "Feature", "head": "feature", "base": "main", "body": "b"});

    let (first, created) = api.post("pulls", pull.clone()).await;
    let (second, refused) = api.post("pulls", pull).await;

    assert_eq!(first, StatusCode::CREATED);
    assert_eq!(created["head"]["ref"], "feature");
    assert_eq!(second, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["message"], "Validation Failed");
    assert_eq!(
        refused["errors"][0]["message"],
        "A pull request already exists for octo:feature."
    );
    let (status, refused) = api
        .post(
            "pulls",
            json!({"title": "t", "head": "main", "base": "main"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused["errors"][0]["message"],
        "No commits between main and main"
    );
}

#[tokio::test]
async fn permission_folds_maintain_and_triage_but_role_name_is_exact() {
    let api = Api::start().await;

    let (_, ada) = api.get("collaborators/ada/permission").await;
    let (_, bob) = api.get("collaborators/bob/permission").await;
    let (_, eve) = api.get("collaborators/eve/permission").await;
    let (status, _) = api.get("collaborators/nobody-at-all/permission").await;

    assert_eq!(
        (ada["permission"].as_str(), ada["role_name"].as_str()),
        (Some("write"), Some("maintain"))
    );
    assert_eq!(
        (bob["permission"].as_str(), bob["role_name"].as_str()),
        (Some("read"), Some("triage"))
    );
    assert_eq!(
        eve["permission"], "read",
        "a public repository's outsider reads"
    );
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_reaction_is_created_once_then_found() {
    let api = Api::start().await;
    let issue = api.sim.create_issue(REPO, "ada", "Release", "");
    let comment = api.sim.post_comment(REPO, issue, "ada", "/release 1.0.1");

    let (first, _) = api
        .post(
            &format!("issues/comments/{comment}/reactions"),
            json!({"content": "eyes"}),
        )
        .await;
    let (again, _) = api
        .post(
            &format!("issues/comments/{comment}/reactions"),
            json!({"content": "eyes"}),
        )
        .await;
    let (bad, _) = api
        .post(
            &format!("issues/comments/{comment}/reactions"),
            json!({"content": "party"}),
        )
        .await;

    assert_eq!(
        (first, again, bad),
        (
            StatusCode::CREATED,
            StatusCode::OK,
            StatusCode::UNPROCESSABLE_ENTITY
        )
    );
    assert_eq!(
        api.sim.reactions(REPO, comment),
        vec![("bot[bot]".to_string(), "eyes".to_string())]
    );
    // GitHub's description already refuses the request: the checker names it.
    let refused: Vec<String> = api
        .sim
        .take_violations()
        .iter()
        .map(|v| format!("{} {}", v.operation, v.property))
        .collect();
    assert_eq!(
        refused,
        ["reactions/create-for-issue-comment (POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions) request /content"]
    );
}

#[tokio::test]
async fn comments_are_paginated_with_a_link_header() {
    let api = Api::start().await;
    let issue = api.sim.create_issue(REPO, "ada", "Busy issue", "");
    for n in 0..35 {
        api.sim
            .post_comment(REPO, issue, "ada", &format!("comment {n}"));
    }

    let response = api
        .http
        .get(api.url(&format!("issues/{issue}/comments")))
        .header("authorization", format!("Bearer {TOKEN}"))
        .send()
        .await
        .unwrap();

    let link = response.headers()["link"].to_str().unwrap().to_string();
    let page: Vec<Value> = response.json().await.unwrap();
    assert_eq!(page.len(), 30, "GitHub's default page size");
    assert!(
        link.contains(&format!(
            "repos/{REPO}/issues/{issue}/comments?per_page=30&page=2>; rel=\"next\""
        )),
        "{link}"
    );
    let (_, second) = api
        .get(&format!("issues/{issue}/comments?per_page=30&page=2"))
        .await;
    assert_eq!(second.as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn faults_answer_like_github_then_stop() {
    let api = Api::start().await;
    api.sim.fail_next(1, Fault::Status(502));
    api.sim.fail_next(
        1,
        Fault::RateLimited {
            retry_after_secs: 1,
        },
    );

    let (bad_gateway, _) = api.get("git/ref/heads/main").await;
    let limited = api
        .http
        .get(api.url("git/ref/heads/main"))
        .header("authorization", format!("token {TOKEN}"))
        .send()
        .await
        .unwrap();
    let (fine, _) = api.get("git/ref/heads/main").await;

    assert_eq!(bad_gateway, StatusCode::BAD_GATEWAY);
    assert_eq!(limited.status(), StatusCode::FORBIDDEN);
    assert_eq!(limited.headers()["retry-after"], "1");
    assert_eq!(limited.headers()["x-ratelimit-remaining"], "0");
    assert_eq!(fine, StatusCode::OK);
}

#[tokio::test]
async fn requests_without_a_known_token_are_401() {
    let api = Api::start().await;

    let missing = api
        .http
        .get(api.url("git/ref/heads/main"))
        .send()
        .await
        .unwrap();
    let wrong = api
        .http
        .get(api.url("git/ref/heads/main"))
        .header("authorization", "token wrong")
        .send()
        .await
        .unwrap();

    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        missing.json::<Value>().await.unwrap()["message"],
        "Requires authentication"
    );
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["message"],
        "Bad credentials"
    );
}

#[tokio::test]
async fn webhooks_reach_a_url_signed_with_the_secret() {
    use axum::body::Bytes;
    use axum::http::HeaderMap;

    let (sender, mut received) = tokio::sync::mpsc::unbounded_channel::<(HeaderMap, Bytes)>();
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let sender = sender.clone();
            async move {
                let _ = sender.send((headers, body));
                StatusCode::ACCEPTED
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });
    let api = Api::start().await;
    api.sim
        .set_webhook_target(&hook, "It's a Secret to Everybody");

    let issue = api.sim.create_issue(REPO, "ada", "Release 1.0.1", "");

    let (headers, body) = tokio::time::timeout(std::time::Duration::from_secs(10), received.recv())
        .await
        .expect("a delivery arrives")
        .unwrap();
    assert_eq!(headers["x-github-event"], "issues");
    assert_eq!(
        headers["x-hub-signature-256"].to_str().unwrap(),
        signature(b"It's a Secret to Everybody", &body)
    );
    let payload: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(payload["action"], "opened");
    assert_eq!(payload["issue"]["number"], issue);
    assert_eq!(payload["repository"]["full_name"], REPO);
    assert!(payload["installation"]["id"].is_u64());
}

#[tokio::test]
async fn a_body_that_is_not_json_is_githubs_400() {
    let api = Api::start().await;

    let response = api
        .http
        .post(api.url("git/refs"))
        .header("authorization", format!("token {TOKEN}"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.json::<Value>().await.unwrap()["message"],
        "Problems parsing JSON"
    );
    assert_eq!(api.sim.refs(REPO).len(), 2, "nothing was made");
    let refused = api.sim.take_violations();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].operation.starts_with("git/create-ref "));
    assert_eq!(refused[0].property, "body");
}

#[tokio::test]
async fn an_answer_without_a_property_github_always_sends_is_named() {
    let api = Api::start().await;
    let issue = api.sim.create_issue(REPO, "ada", "Hello", "");
    api.sim.fail_matching(
        "GET",
        "/issues/",
        1,
        Fault::Omit {
            property: "node_id".into(),
        },
    );

    let (status, body) = api.get(&format!("issues/{issue}")).await;

    assert_eq!(status, StatusCode::OK);
    assert!(body.get("node_id").is_none(), "{body}");
    let violations = api.sim.take_violations();
    assert_eq!(
        violations
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["issues/get (GET /repos/{owner}/{repo}/issues/{issue_number}) response 200: at `/`: \"node_id\" is a required property"]
    );
}

#[tokio::test]
async fn a_request_github_would_refuse_is_named_by_operation_and_parameter() {
    let api = Api::start().await;

    let (status, _) = api.get("issues/not-a-number").await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    let violations = api.sim.take_violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(violations[0].operation.starts_with("issues/get (GET"));
    assert_eq!(violations[0].property, "path parameter issue_number");
}

#[tokio::test]
async fn a_dispatched_run_is_named_at_once_but_listed_only_after_the_delay() {
    let api = Api::start().await;
    api.sim.push_commit(
        REPO,
        "main",
        "ada",
        "Add a workflow",
        &[(
            ".github/workflows/build.yml",
            "name: Build\non:\n  workflow_dispatch:\njobs: {}\n",
        )],
    );
    api.sim
        .delay_run_listing(REPO, std::time::Duration::from_millis(300));

    let (status, details) = api
        .post(
            "actions/workflows/build.yml/dispatches",
            json!({"ref": "main", "return_run_details": true}),
        )
        .await;

    assert_eq!(status, StatusCode::OK);
    let id = details["workflow_run_id"].as_u64().expect("the run's id");
    let (status, run) = api.get(&format!("actions/runs/{id}")).await;
    assert_eq!(
        (status, run["status"].as_str()),
        (StatusCode::OK, Some("queued"))
    );
    let (_, listed) = api.get("actions/workflows/build.yml/runs").await;
    assert_eq!(listed["total_count"], 0, "not listed yet");
    tokio::time::sleep(std::time::Duration::from_millis(350)).await;
    let (_, listed) = api.get("actions/workflows/build.yml/runs").await;
    assert_eq!(listed["workflow_runs"][0]["id"], id);
    let events: Vec<String> = api
        .sim
        .take_deliveries()
        .iter()
        .filter(|d| d.event == "workflow_run")
        .map(|d| d.payload["action"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(events, ["requested"]);
    api.sim.complete_run(REPO, id, "success").unwrap();
    let events: Vec<String> = api
        .sim
        .take_deliveries()
        .iter()
        .map(|d| d.payload["action"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(events, ["in_progress", "completed"]);
}

#[tokio::test]
async fn a_deleted_branch_sends_delete_and_a_push_with_deleted_true() {
    let api = Api::start().await;
    let sha = api.main_sha();
    api.post("git/refs", json!({"ref": "refs/heads/topic", "sha": sha}))
        .await;
    api.sim.take_deliveries();

    let status = api
        .call(reqwest::Method::DELETE, "git/refs/heads/topic", None)
        .await
        .0;

    assert_eq!(status, StatusCode::NO_CONTENT);
    let deliveries = api.sim.take_deliveries();
    let seen: Vec<(String, Value)> = deliveries
        .iter()
        .map(|d| (d.event.clone(), d.payload["ref"].clone()))
        .collect();
    assert_eq!(
        seen,
        [
            ("delete".to_string(), json!("topic")),
            ("push".to_string(), json!("refs/heads/topic"))
        ]
    );
    assert_eq!(deliveries[1].payload["deleted"], true);
    assert_eq!(deliveries[1].payload["after"], "0".repeat(40));
}

#[tokio::test]
async fn a_draft_release_is_created_then_edited_with_what_changed() {
    let api = Api::start().await;
    let (_, draft) = api
        .post(
            "releases",
            json!({"tag_name": "1.1.0", "target_commitish": "main", "name": "1.1.0", "body": "Draft", "draft": true}),
        )
        .await;
    let id = draft["id"].as_u64().unwrap();

    api.call(
        reqwest::Method::PATCH,
        &format!("releases/{id}"),
        Some(json!({"body": "Notes"})),
    )
    .await;

    let actions: Vec<(String, Value)> = api
        .sim
        .take_deliveries()
        .iter()
        .filter(|d| d.event == "release")
        .map(|d| {
            (
                d.payload["action"].as_str().unwrap().to_string(),
                d.payload["changes"].clone(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("created".to_string(), Value::Null),
            ("edited".to_string(), json!({"body": {"from": "Draft"}}))
        ]
    );
}

#[tokio::test]
async fn bot_urls_are_percent_encoded_as_github_encodes_them() {
    let api = Api::start().await;
    let issue = api.sim.create_issue(REPO, "ada", "Hello", "");
    let (_, comment) = api
        .post(&format!("issues/{issue}/comments"), json!({"body": "hi"}))
        .await;
    assert_eq!(
        comment["user"]["url"],
        format!("{}users/bot%5Bbot%5D", api.sim.url())
    );
    assert_eq!(
        comment["user"]["html_url"],
        format!("{}apps/bot", api.sim.url())
    );
}

#[tokio::test]
async fn what_people_do_over_http_is_refused_with_a_reason_when_it_cannot_be() {
    let api = Api::start().await;
    let http = reqwest::Client::new();
    let control = |path: &str| format!("{}_simulator/repos/{REPO}/{path}", api.sim.url());

    let unknown_method = http
        .post(control("pulls/1/merge"))
        .json(&json!({"by": "ada", "method": "octopus"}))
        .send()
        .await
        .unwrap();
    let stranger = http
        .post(control("tags"))
        .json(&json!({"by": "mallory", "tag": "2.0.0"}))
        .send()
        .await
        .unwrap();
    let bad_role = http
        .put(control("collaborators/zoe"))
        .json(&json!({"role": "owner"}))
        .send()
        .await
        .unwrap();
    let no_run = http
        .post(control("runs/999/complete"))
        .json(&json!({"conclusion": "success"}))
        .send()
        .await
        .unwrap();
    let existing_tag = http
        .post(control("tags"))
        .json(&json!({"by": "ada", "tag": "1.0.0"}))
        .send()
        .await
        .unwrap();

    assert_eq!(
        [
            unknown_method.status(),
            stranger.status(),
            bad_role.status(),
            no_run.status(),
            existing_tag.status()
        ],
        [
            StatusCode::UNPROCESSABLE_ENTITY,
            StatusCode::UNPROCESSABLE_ENTITY,
            StatusCode::UNPROCESSABLE_ENTITY,
            StatusCode::NOT_FOUND,
            StatusCode::UNPROCESSABLE_ENTITY
        ]
    );
    assert!(api.sim.take_deliveries().is_empty(), "nothing happened");
}

#[tokio::test]
async fn an_edited_pull_request_says_what_changed() {
    let api = Api::start().await;
    api.sim
        .push_commit(REPO, "topic", "ada", "Work", &[("work.txt", "work\n")]);
    let number = api.sim.open_pull(REPO, "topic", "main", "ada", "Work");
    api.sim.take_deliveries();

    api.call(
        reqwest::Method::PATCH,
        &format!("pulls/{number}"),
        Some(json!({"title": "Work, done"})),
    )
    .await;

    let edited: Vec<Value> = api
        .sim
        .take_deliveries()
        .into_iter()
        .filter(|d| d.event == "pull_request")
        .map(|d| d.payload)
        .collect();
    assert_eq!(edited.len(), 1);
    assert_eq!(edited[0]["action"], "edited");
    assert_eq!(edited[0]["changes"], json!({"title": {"from": "Work"}}));
}
