//! The simulated GitHub keeps release assets and immutable releases as GitHub does: assets are
//! uploaded on the uploads host, listed, downloaded through a redirect; a release published
//! with the setting on is locked (assets and tag), and its tag name stays reserved after it is
//! deleted. A repository's own packaging workflow makes a draft with assets when a tag is pushed
//! (not with a workflow's own token) or it is dispatched. Spoken to over real HTTP.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use simulated_github::{Packaging, ACTIONS_BOT};

use crate::simulated_github::{Api, REPO};

const TOKEN: &str = "t0ken";

/// Uploads `data` as `name` into release `id`, where its `upload_url` points.
async fn upload(api: &Api, release: &Value, name: &str, data: &str) -> (StatusCode, Value) {
    let url = release["upload_url"]
        .as_str()
        .unwrap()
        .replace("{?name,label}", &format!("?name={name}"));
    let response = api
        .http
        .post(url)
        .header("authorization", format!("token {TOKEN}"))
        .header("content-type", "application/octet-stream")
        .body(data.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The asset's bytes, as a client asking for `application/octet-stream` gets them.
async fn download(api: &Api, asset: &Value) -> (StatusCode, String) {
    let response = api
        .http
        .get(asset["url"].as_str().unwrap())
        .header("authorization", format!("token {TOKEN}"))
        .header("accept", "application/octet-stream")
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn a_published_immutable_release_locks_its_assets_and_tag_and_reserves_its_name() {
    let api = Api::start().await;
    assert_eq!(api.get("immutable-releases").await.0, StatusCode::NOT_FOUND);
    // The setting is an admin's.
    let (status, _) = api.call(Method::PUT, "immutable-releases", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    api.sim.set_role(REPO, "bot[bot]", "admin");
    let (status, _) = api.call(Method::PUT, "immutable-releases", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, setting) = api.get("immutable-releases").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        setting,
        json!({"enabled": true, "enforced_by_owner": false})
    );

    let (_, draft) = api
        .post("releases", json!({"tag_name": "1.0.0", "draft": true}))
        .await;
    let (status, asset) = upload(&api, &draft, "install.sh", "echo 1.0.0\n").await;
    assert_eq!(status, StatusCode::CREATED, "{asset}");
    assert_eq!(asset["size"], 11);
    assert_eq!(asset["uploader"]["login"], "bot[bot]");
    assert!(asset["digest"].as_str().unwrap().starts_with("sha256:"));
    let (status, _) = upload(&api, &draft, "install.sh", "again").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a name is unique");
    let id = draft["id"].as_u64().unwrap();
    let (_, listed) = api.get(&format!("releases/{id}/assets")).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(
        download(&api, &asset).await,
        (StatusCode::OK, "echo 1.0.0\n".into())
    );
    let (_, described) = api.get(&format!("releases/assets/{}", asset["id"])).await;
    assert_eq!(described["name"], "install.sh");

    let (_, published) = api
        .call(
            Method::PATCH,
            &format!("releases/{id}"),
            Some(json!({"draft": false})),
        )
        .await;
    assert_eq!(published["immutable"], true);
    assert_eq!(published["assets"][0]["name"], "install.sh");
    let (status, _) = upload(&api, &published, "extra.txt", "x").await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "assets are locked"
    );
    let asset_path = format!("releases/assets/{}", asset["id"]);
    let (status, _) = api.call(Method::DELETE, &asset_path, None).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "assets are locked"
    );
    let (status, _) = api.call(Method::DELETE, "git/refs/tags/1.0.0", None).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the tag is locked"
    );
    let moved = json!({"sha": api.main_sha(), "force": true});
    let (status, _) = api
        .call(Method::PATCH, "git/refs/tags/1.0.0", Some(moved))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the tag is locked"
    );

    // Deleting the release frees the tag, but never its name.
    let (status, _) = api
        .call(Method::DELETE, &format!("releases/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = api.call(Method::DELETE, "git/refs/tags/1.0.0", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, refused) = api
        .post(
            "releases",
            json!({"tag_name": "1.0.0", "target_commitish": "main"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused["errors"],
        json!([{"resource": "Release", "code": "custom", "field": "tag_name",
                "message": "tag_name was used by an immutable release"}])
    );
    let (status, refused) = api
        .post(
            "git/refs",
            json!({"ref": "refs/tags/1.0.0", "sha": api.main_sha()}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused["message"].as_str().unwrap().contains("GH013"),
        "{refused}"
    );
    assert!(api
        .sim
        .push_tag_refused(REPO, "1.0.0", &api.main_sha(), "ada"));
}

#[tokio::test]
async fn a_draft_keeps_its_assets_open_without_the_setting_too() {
    let api = Api::start().await;
    let (_, draft) = api
        .post("releases", json!({"tag_name": "1.0.0", "draft": true}))
        .await;
    let (_, asset) = upload(&api, &draft, "notes.txt", "n").await;
    let (status, _) = api
        .call(
            Method::DELETE,
            &format!("releases/assets/{}", asset["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, published) = api
        .call(
            Method::PATCH,
            &format!("releases/{}", draft["id"]),
            Some(json!({"draft": false})),
        )
        .await;
    assert_eq!(published["immutable"], false, "the setting is off");
    assert_eq!(
        upload(&api, &published, "late.txt", "l").await.0,
        StatusCode::CREATED
    );
}

const PACKAGING: &str = "name: Create draft release\non:\n  push:\n    tags: ['*']\n  workflow_dispatch:\njobs:\n  package:\n    runs-on: ubuntu-latest\n";

/// The repository with Mathesar's packaging workflow and version file at `0.2.0`; the commit.
fn with_packaging(api: &Api, packaging: Packaging) -> String {
    api.sim.set_packaging(REPO, packaging);
    api.sim.push_commit(
        REPO,
        "main",
        "ada",
        "Release 0.2.0",
        &[
            (".github/workflows/create-draft-release.yml", PACKAGING),
            ("mathesar/__init__.py", "__version__ = \"0.2.0\"\n"),
        ],
    )
}

fn drafts_by_actions(api: &Api) -> Vec<simulated_github::Release> {
    api.sim
        .releases(REPO)
        .into_iter()
        .filter(|r| r.author == ACTIONS_BOT && r.draft)
        .collect()
}

#[tokio::test]
async fn a_pushed_tag_runs_the_packaging_workflow_which_makes_a_draft_with_assets() {
    let api = Api::start().await;
    let commit = with_packaging(&api, Packaging::mathesar());
    api.sim.push_tag(REPO, "0.2.0", &commit, "ada", false);
    let runs = api.sim.runs(REPO);
    assert_eq!(runs.len(), 1);
    assert_eq!(
        (
            runs[0].event.as_str(),
            runs[0].head_branch.as_str(),
            runs[0].actor.as_str()
        ),
        ("push", "0.2.0", "ada")
    );
    assert!(
        drafts_by_actions(&api).is_empty(),
        "nothing before the run succeeds"
    );

    api.sim.complete_run(REPO, runs[0].id, "success").unwrap();
    let drafts = drafts_by_actions(&api);
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].tag_name, "0.2.0");
    let names: Vec<&str> = drafts[0].assets.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["install.sh", "mathesar.tar.gz"]);
    let script = String::from_utf8(drafts[0].assets[0].data.clone()).unwrap();
    assert!(script.contains("mathesar_version=\"0.2.0\""), "{script}");
    let hooks = api.webhooks();
    let created = hooks
        .iter()
        .position(|h| *h == crate::simulated_github::hook("release", "created", ACTIONS_BOT));
    let completed = hooks
        .iter()
        .position(|h| h.0 == "workflow_run" && h.1 == "completed");
    assert!(created.unwrap() < completed.unwrap(), "{hooks:?}");
}

#[tokio::test]
async fn a_tag_made_with_a_workflows_own_token_runs_nothing_but_a_dispatch_does() {
    let api = Api::start().await;
    let commit = with_packaging(&api, Packaging::mathesar());
    api.sim.add_token("ghs_actions", ACTIONS_BOT);
    let response = api
        .http
        .post(api.url("git/refs"))
        .header("authorization", "token ghs_actions")
        .json(&json!({"ref": "refs/tags/0.2.0", "sha": commit}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(
        api.sim.runs(REPO).is_empty(),
        "GITHUB_TOKEN's push starts no workflow"
    );

    let (status, _) = api
        .post(
            "actions/workflows/create-draft-release.yml/dispatches",
            json!({"ref": "0.2.0"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let run = api.sim.runs(REPO)[0].clone();
    assert_eq!(run.event, "workflow_dispatch");
    api.sim.complete_run(REPO, run.id, "failure").unwrap();
    assert!(
        drafts_by_actions(&api).is_empty(),
        "a failed run makes nothing"
    );
}

#[tokio::test]
async fn a_broken_packaging_step_packages_another_version_than_the_files_say() {
    let api = Api::start().await;
    let broken = Packaging {
        packages_version: Some("0.1.9".into()),
        ..Packaging::mathesar()
    };
    let commit = with_packaging(&api, broken);
    api.sim.push_tag(REPO, "0.2.0", &commit, "ada", false);
    let run = api.sim.runs(REPO)[0].id;
    api.sim.complete_run(REPO, run, "success").unwrap();
    let script = String::from_utf8(drafts_by_actions(&api)[0].assets[0].data.clone()).unwrap();
    assert!(
        script.contains("0.1.9") && !script.contains("0.2.0"),
        "{script}"
    );
}
