//! People act on GitHub's own pages mid-release, and the simulated GitHub does what GitHub does:
//! it changes what it holds, sends the webhooks GitHub sends (with the person as `sender`), and
//! refuses what GitHub refuses. Each move is played in-process and over `/_simulator`.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::simulated_github::{hook, Api, REPO};

const WORKFLOW: &str = "name: Build\non:\n  workflow_dispatch:\njobs: {}\n";

/// A pull request from `topic` by ada, with nothing delivered yet.
async fn with_pull() -> (Api, u64) {
    let api = Api::start().await;
    api.sim
        .push_commit(REPO, "topic", "ada", "Work", &[("work.txt", "work\n")]);
    let number = api.sim.open_pull(REPO, "topic", "main", "ada", "Work");
    api.sim.take_deliveries();
    (api, number)
}

fn pull_state(api: &Api, number: u64) -> (String, bool) {
    let pull = api.sim.pulls(REPO).into_iter().find(|p| p.number == number);
    let pull = pull.expect("the pull request");
    (pull.state, pull.merged)
}

#[tokio::test]
async fn a_person_closes_a_pull_request_and_reopens_it() {
    let (api, number) = with_pull().await;

    api.sim.close_pull(REPO, number, "bob").unwrap();
    assert_eq!(pull_state(&api, number), ("closed".into(), false));
    api.sim.reopen_pull(REPO, number, "ada").unwrap();

    assert_eq!(pull_state(&api, number), ("open".into(), false));
    assert_eq!(
        api.webhooks(),
        [
            hook("pull_request", "closed", "bob"),
            hook("pull_request", "reopened", "ada")
        ]
    );
    let (_, events) = api.get(&format!("issues/{number}/events")).await;
    let names: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["closed", "reopened"]);
}

#[tokio::test]
async fn a_merged_pull_request_is_not_reopened_nor_closed_again() {
    let (api, number) = with_pull().await;
    api.sim
        .merge_pull(REPO, number, simulated_github::MergeMethod::Merge, "ada")
        .unwrap();
    api.sim.take_deliveries();

    let reopened = api.sim.reopen_pull(REPO, number, "ada");
    let closed = api.sim.close_pull(REPO, number, "ada");

    assert!(
        reopened.as_ref().unwrap_err().starts_with("422: "),
        "{reopened:?}"
    );
    assert!(closed.is_err(), "{closed:?}");
    assert_eq!(pull_state(&api, number), ("closed".into(), true));
    assert!(api.webhooks().is_empty(), "GitHub sends nothing");
}

#[tokio::test]
async fn a_deleted_head_branch_closes_its_pull_request_which_then_cannot_reopen() {
    let (api, number) = with_pull().await;

    api.sim.delete_ref(REPO, "refs/heads/topic", "ada").unwrap();
    let refused = api.sim.reopen_pull(REPO, number, "ada");

    assert_eq!(
        refused,
        Err("422: state cannot be changed. The topic branch has been deleted.".into())
    );
    assert_eq!(
        api.webhooks(),
        [
            hook("delete", "", "ada"),
            hook("push", "", "ada"),
            hook("pull_request", "closed", "ada")
        ]
    );
    assert_eq!(pull_state(&api, number), ("closed".into(), false));
}

#[tokio::test]
async fn closing_and_reopening_over_http_sends_the_same_webhooks() {
    let (api, number) = with_pull().await;

    let (closed, _) = api
        .person(
            Method::POST,
            &format!("pulls/{number}/close"),
            json!({"by": "bob"}),
        )
        .await;
    let (closed_again, why) = api
        .person(
            Method::POST,
            &format!("pulls/{number}/close"),
            json!({"by": "bob"}),
        )
        .await;
    let (reopened, answer) = api
        .person(
            Method::POST,
            &format!("pulls/{number}/reopen"),
            json!({"by": "ada"}),
        )
        .await;
    let (stranger, _) = api
        .person(
            Method::POST,
            &format!("pulls/{number}/close"),
            json!({"by": "mallory"}),
        )
        .await;

    assert_eq!(
        (closed, closed_again, reopened, stranger),
        (
            StatusCode::OK,
            StatusCode::UNPROCESSABLE_ENTITY,
            StatusCode::OK,
            StatusCode::UNPROCESSABLE_ENTITY
        )
    );
    assert!(why["message"].as_str().unwrap().contains("closed"), "{why}");
    assert_eq!(answer["state"], "open");
    assert_eq!(
        api.webhooks(),
        [
            hook("pull_request", "closed", "bob"),
            hook("pull_request", "reopened", "ada")
        ]
    );
}

#[tokio::test]
async fn reopening_through_the_api_is_refused_for_a_merged_pull_request() {
    let (api, number) = with_pull().await;
    api.call(
        Method::PATCH,
        &format!("pulls/{number}"),
        Some(json!({"state": "closed"})),
    )
    .await;
    let (reopened, pull) = api
        .call(
            Method::PATCH,
            &format!("pulls/{number}"),
            Some(json!({"state": "open"})),
        )
        .await;
    api.sim
        .merge_pull(REPO, number, simulated_github::MergeMethod::Squash, "ada")
        .unwrap();
    api.sim.take_deliveries();

    let (refused, body) = api
        .call(
            Method::PATCH,
            &format!("pulls/{number}"),
            Some(json!({"state": "open"})),
        )
        .await;

    assert_eq!(reopened, StatusCode::OK);
    assert_eq!(pull["state"], "open");
    assert_eq!(refused, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["message"], "Validation Failed");
    assert!(api.webhooks().is_empty());
}

/// A repository with a dispatchable workflow, and one run of it the bot dispatched.
async fn with_run() -> (Api, u64) {
    let api = Api::start().await;
    api.sim.push_commit(
        REPO,
        "main",
        "ada",
        "Add a workflow",
        &[(".github/workflows/build.yml", WORKFLOW)],
    );
    let run = api
        .sim
        .dispatch_workflow(REPO, "build.yml", "main", json!({}), "bot[bot]")
        .unwrap();
    api.sim.take_deliveries();
    (api, run)
}

fn run_payloads(api: &Api) -> Vec<Value> {
    api.sim
        .take_deliveries()
        .into_iter()
        .filter(|d| d.event == "workflow_run")
        .map(|d| d.payload)
        .collect()
}

#[tokio::test]
async fn a_person_reruns_a_failed_run_as_its_next_attempt() {
    let (api, run) = with_run().await;
    api.sim.complete_run(REPO, run, "failure").unwrap();
    api.sim.take_deliveries();

    let attempt = api.sim.rerun_run(REPO, run, "ada").unwrap();

    assert_eq!(attempt, 2);
    let requested = run_payloads(&api);
    assert_eq!(requested.len(), 1);
    let (payload, again) = (&requested[0], &requested[0]["workflow_run"]);
    assert_eq!(
        (
            payload["action"].as_str(),
            payload["sender"]["login"].as_str()
        ),
        (Some("requested"), Some("ada"))
    );
    assert_eq!(again["id"], run, "the same run");
    assert_eq!(again["run_attempt"], 2);
    assert_eq!(
        (again["status"].as_str(), again["conclusion"].as_str()),
        (Some("queued"), None)
    );
    assert_eq!(again["triggering_actor"]["login"], "ada");
    assert_eq!(again["actor"]["login"], "bot[bot]", "the actor stays");
    assert!(again["previous_attempt_url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/actions/runs/{run}/attempts/1")));

    api.sim.complete_run(REPO, run, "success").unwrap();
    let finished: Vec<(Value, Value, Value)> = run_payloads(&api)
        .iter()
        .map(|p| {
            (
                p["action"].clone(),
                p["workflow_run"]["run_attempt"].clone(),
                p["workflow_run"]["conclusion"].clone(),
            )
        })
        .collect();
    assert_eq!(
        finished,
        [
            (json!("in_progress"), json!(2), Value::Null),
            (json!("completed"), json!(2), json!("success"))
        ]
    );
    let (_, now) = api.get(&format!("actions/runs/{run}")).await;
    let (_, first) = api.get(&format!("actions/runs/{run}/attempts/1")).await;
    assert_eq!(
        (now["run_attempt"].clone(), now["conclusion"].clone()),
        (json!(2), json!("success"))
    );
    assert_eq!(
        (
            first["run_attempt"].clone(),
            first["conclusion"].clone(),
            first["triggering_actor"]["login"].clone()
        ),
        (json!(1), json!("failure"), json!("bot[bot]"))
    );
    let (missing, _) = api.get(&format!("actions/runs/{run}/attempts/3")).await;
    assert_eq!(missing, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_run_still_running_is_not_rerun_and_a_completed_one_not_completed_again() {
    let (api, run) = with_run().await;

    let too_early = api.sim.rerun_run(REPO, run, "ada");
    api.sim.complete_run(REPO, run, "success").unwrap();
    api.sim.take_deliveries();
    let twice = api.sim.complete_run(REPO, run, "failure");

    assert_eq!(
        too_early,
        Err("403: This workflow run cannot be retried".into())
    );
    assert!(twice.is_err(), "{twice:?}");
    assert!(api.webhooks().is_empty(), "no second `completed`");
    assert_eq!(api.sim.runs(REPO)[0].conclusion.as_deref(), Some("success"));
}

#[tokio::test]
async fn re_running_over_http_and_through_the_api() {
    let (api, run) = with_run().await;
    let (running, refused) = api
        .post(&format!("actions/runs/{run}/rerun"), json!({}))
        .await;
    let (complete, _) = api
        .person(
            Method::POST,
            &format!("runs/{run}/complete"),
            json!({"conclusion": "failure"}),
        )
        .await;
    let (complete_again, _) = api
        .person(
            Method::POST,
            &format!("runs/{run}/complete"),
            json!({"conclusion": "success"}),
        )
        .await;
    api.sim.take_deliveries();

    let (by_person, answer) = api
        .person(
            Method::POST,
            &format!("runs/{run}/rerun"),
            json!({"by": "ada"}),
        )
        .await;
    api.sim.complete_run(REPO, run, "failure").unwrap();
    let (by_api, _) = api
        .post(&format!("actions/runs/{run}/rerun"), json!({}))
        .await;

    assert_eq!(
        (running, complete, complete_again, by_person, by_api),
        (
            StatusCode::FORBIDDEN,
            StatusCode::OK,
            StatusCode::CONFLICT,
            StatusCode::OK,
            StatusCode::CREATED
        )
    );
    assert_eq!(refused["message"], "This workflow run cannot be retried");
    assert_eq!(answer["run_attempt"], 2);
    let requested: Vec<(String, String, String)> = api
        .webhooks()
        .into_iter()
        .filter(|(_, action, _)| action == "requested")
        .collect();
    assert_eq!(
        requested,
        [
            hook("workflow_run", "requested", "ada"),
            hook("workflow_run", "requested", "bot[bot]")
        ]
    );
    assert_eq!(api.sim.runs(REPO)[0].run_attempt, 3);
}

#[tokio::test]
async fn a_person_deletes_a_tag_and_pushes_it_again_elsewhere() {
    let api = Api::start().await;
    let first = api.main_sha();
    let second = api
        .sim
        .push_commit(REPO, "main", "ada", "Fix", &[("fix.txt", "fix\n")]);
    api.sim.take_deliveries();

    api.sim.delete_ref(REPO, "refs/tags/1.0.0", "ada").unwrap();
    let gone = api.sim.refs(REPO).contains_key("refs/tags/1.0.0");
    api.sim.push_tag(REPO, "1.0.0", &second, "ada", false);

    assert!(!gone);
    let deliveries = api.sim.take_deliveries();
    let seen: Vec<(&str, &Value, &Value)> = deliveries
        .iter()
        .map(|d| {
            (
                d.event.as_str(),
                &d.payload["ref"],
                &d.payload["sender"]["login"],
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("delete", &json!("1.0.0"), &json!("ada")),
            ("push", &json!("refs/tags/1.0.0"), &json!("ada")),
            ("create", &json!("1.0.0"), &json!("ada")),
            ("push", &json!("refs/tags/1.0.0"), &json!("ada")),
        ]
    );
    assert_eq!(deliveries[0].payload["ref_type"], "tag");
    assert_eq!(
        (
            &deliveries[1].payload["deleted"],
            &deliveries[1].payload["before"]
        ),
        (&json!(true), &json!(first))
    );
    assert_eq!(api.sim.refs(REPO)["refs/tags/1.0.0"], second);
}

#[tokio::test]
async fn a_tag_moved_with_force_sends_one_forced_push() {
    let api = Api::start().await;
    let first = api.main_sha();
    api.sim
        .push_commit(REPO, "main", "ada", "Fix", &[("fix.txt", "fix\n")]);
    api.sim.take_deliveries();

    let (refused, why) = api
        .person(Method::POST, "tags", json!({"by": "ada", "tag": "1.0.0"}))
        .await;
    let (moved, answer) = api
        .person(
            Method::POST,
            "tags",
            json!({"by": "ada", "tag": "1.0.0", "target": "main", "annotated": true, "force": true}),
        )
        .await;

    assert_eq!(refused, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(why["message"].as_str().unwrap().contains("force"), "{why}");
    assert_eq!((moved, &answer["moved"]), (StatusCode::OK, &json!(true)));
    let pushes = api.sim.take_deliveries();
    assert_eq!(pushes.len(), 1, "no `create` for a tag that was there");
    let push = &pushes[0].payload;
    assert_eq!(
        (
            &push["forced"],
            &push["created"],
            &push["before"],
            &push["after"]
        ),
        (
            &json!(true),
            &json!(false),
            &json!(first),
            &answer["object"]
        )
    );
    let object = answer["object"].as_str().unwrap();
    assert_eq!(api.sim.tag_object(REPO, object).unwrap().tag, "1.0.0");
}

#[tokio::test]
async fn deleting_branches_and_tags_over_http_and_what_is_refused() {
    let (api, number) = with_pull().await;

    let (branch, _) = api
        .person(Method::DELETE, "refs/heads/topic", json!({"by": "ada"}))
        .await;
    let (again, missing) = api
        .person(Method::DELETE, "refs/heads/topic", json!({"by": "ada"}))
        .await;
    let (default, _) = api
        .person(Method::DELETE, "refs/heads/main", json!({"by": "ada"}))
        .await;
    let (tag, _) = api
        .person(Method::DELETE, "refs/tags/1.0.0", json!({"by": "bob"}))
        .await;

    assert_eq!(
        (branch, again, default, tag),
        (
            StatusCode::OK,
            StatusCode::UNPROCESSABLE_ENTITY,
            StatusCode::UNPROCESSABLE_ENTITY,
            StatusCode::OK
        )
    );
    assert_eq!(missing["message"], "Reference does not exist");
    assert_eq!(
        api.webhooks(),
        [
            hook("delete", "", "ada"),
            hook("push", "", "ada"),
            hook("pull_request", "closed", "ada"),
            hook("delete", "", "bob"),
            hook("push", "", "bob"),
        ]
    );
    assert_eq!(pull_state(&api, number), ("closed".into(), false));
    let refs: Vec<String> = api.sim.refs(REPO).into_keys().collect();
    assert_eq!(refs, ["refs/heads/main"]);
}

#[tokio::test]
async fn a_person_pushes_a_commit_to_a_branch_with_a_slash_over_http() {
    let api = Api::start().await;
    api.sim.push_commit(
        REPO,
        "release/1.0.1",
        "ada",
        "Bump",
        &[("VERSION", "1.0.1\n")],
    );
    let number = api
        .sim
        .open_pull(REPO, "release/1.0.1", "main", "ada", "Release 1.0.1");
    let before = api.sim.refs(REPO)["refs/heads/release/1.0.1"].clone();
    api.sim.take_deliveries();

    let (status, pushed) = api
        .person(
            Method::POST,
            "branches/release/1.0.1/commits",
            json!({"author": "bob", "message": "Fix the notes", "files": {"NOTES.md": "Fixed\n"}}),
        )
        .await;
    let (nowhere, _) = api
        .person(
            Method::POST,
            "branches/release/1.0.1",
            json!({"author": "bob", "message": "m", "files": {}}),
        )
        .await;

    assert_eq!(
        (status, nowhere),
        (StatusCode::CREATED, StatusCode::NOT_FOUND)
    );
    let sha = pushed["sha"].as_str().unwrap();
    assert_eq!(api.sim.refs(REPO)["refs/heads/release/1.0.1"], sha);
    assert_eq!(
        api.sim.commit(REPO, sha).unwrap().parents,
        [before.as_str()]
    );
    assert_eq!(
        api.sim.file(REPO, "release/1.0.1", "NOTES.md").unwrap().0,
        b"Fixed\n"
    );
    let deliveries = api.sim.take_deliveries();
    let seen: Vec<(&str, &str, &str)> = deliveries
        .iter()
        .map(|d| {
            (
                d.event.as_str(),
                d.payload["action"].as_str().unwrap_or_default(),
                d.payload["sender"]["login"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [("push", "", "bob"), ("pull_request", "synchronize", "bob")]
    );
    assert_eq!(deliveries[1].payload["number"], number);
    assert_eq!(
        (
            &deliveries[1].payload["before"],
            &deliveries[1].payload["after"]
        ),
        (&json!(before), &json!(sha))
    );
}

/// A draft release of `1.1.0` made by the bot, nothing delivered yet.
async fn with_draft() -> (Api, u64) {
    let api = Api::start().await;
    let (_, draft) = api
        .post(
            "releases",
            json!({"tag_name": "1.1.0", "target_commitish": "main", "name": "1.1.0", "body": "Draft", "draft": true}),
        )
        .await;
    api.sim.take_deliveries();
    (api, draft["id"].as_u64().unwrap())
}

#[tokio::test]
async fn a_person_pastes_notes_over_a_draft_then_renames_it_published() {
    let (api, id) = with_draft().await;

    api.sim
        .edit_release(REPO, id, "ada", None, Some("Pasted notes"))
        .unwrap();
    api.sim.publish_release(REPO, id, "ada").unwrap();
    api.sim
        .edit_release(REPO, id, "bob", Some("1.1.0: Orion"), None)
        .unwrap();
    api.sim
        .edit_release(REPO, id, "bob", Some("1.1.0: Orion"), None)
        .unwrap();

    let release = &api.sim.releases(REPO)[0];
    assert_eq!(
        (release.name.as_str(), release.body.as_str(), release.draft),
        ("1.1.0: Orion", "Pasted notes", false)
    );
    let deliveries = api.sim.take_deliveries();
    let seen: Vec<(&str, &str, &Value)> = deliveries
        .iter()
        .map(|d| {
            (
                d.payload["action"].as_str().unwrap(),
                d.payload["sender"]["login"].as_str().unwrap(),
                &d.payload["changes"],
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("edited", "ada", &json!({"body": {"from": "Draft"}})),
            ("published", "ada", &Value::Null),
            ("released", "ada", &Value::Null),
            ("edited", "bob", &json!({"name": {"from": "1.1.0"}})),
        ],
        "an edit that changes nothing sends nothing"
    );
}

#[tokio::test]
async fn a_published_release_is_not_published_twice() {
    let (api, id) = with_draft().await;
    api.sim.publish_release(REPO, id, "ada").unwrap();
    api.sim.take_deliveries();

    let in_process = api.sim.publish_release(REPO, id, "ada");
    let (over_http, why) = api
        .person(
            Method::POST,
            &format!("releases/{id}/publish"),
            json!({"by": "ada"}),
        )
        .await;

    assert!(in_process.is_err(), "{in_process:?}");
    assert_eq!(over_http, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(why["message"]
        .as_str()
        .unwrap()
        .contains("already published"));
    assert!(api.webhooks().is_empty(), "no second `published`");
}

#[tokio::test]
async fn a_person_deletes_the_latest_release_and_the_badge_moves_on() {
    let (api, draft) = with_draft().await;
    let older = api.sim.publish_new_release(REPO, "1.0.0", "ada").unwrap();
    api.sim.take_deliveries();
    let (edited, _) = api
        .person(
            Method::PATCH,
            &format!("releases/{draft}"),
            json!({"by": "bob", "body": "Notes by hand"}),
        )
        .await;
    let (deleted_draft, _) = api
        .person(
            Method::DELETE,
            &format!("releases/{draft}"),
            json!({"by": "bob"}),
        )
        .await;
    assert_eq!(api.sim.latest_release(REPO), Some(older));

    api.sim.delete_release(REPO, older, "ada").unwrap();
    let again = api.sim.delete_release(REPO, older, "ada");

    assert_eq!((edited, deleted_draft), (StatusCode::OK, StatusCode::OK));
    assert!(again.unwrap_err().starts_with("404"));
    assert!(api.sim.releases(REPO).is_empty());
    assert_eq!(api.sim.latest_release(REPO), None);
    assert!(
        api.sim.refs(REPO).contains_key("refs/tags/1.0.0"),
        "the tag stays"
    );
    let deliveries = api.sim.take_deliveries();
    let seen: Vec<(&str, &str, &Value)> = deliveries
        .iter()
        .map(|d| {
            (
                d.payload["action"].as_str().unwrap(),
                d.payload["sender"]["login"].as_str().unwrap(),
                &d.payload["release"]["tag_name"],
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("edited", "bob", &json!("1.1.0")),
            ("deleted", "bob", &json!("1.1.0")),
            ("deleted", "ada", &json!("1.0.0")),
        ]
    );
    let (status, _) = api.get(&format!("releases/{older}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_merge_route_honours_githubs_merge_method() {
    let (api, number) = with_pull().await;
    let before = api.main_sha();

    let (unknown, _) = api
        .person(
            Method::POST,
            &format!("pulls/{number}/merge"),
            json!({"by": "ada", "merge_method": "octopus"}),
        )
        .await;
    let (squashed, answer) = api
        .person(
            Method::POST,
            &format!("pulls/{number}/merge"),
            json!({"by": "ada", "merge_method": "squash"}),
        )
        .await;
    let (twice, _) = api
        .person(
            Method::POST,
            &format!("pulls/{number}/merge"),
            json!({"by": "ada", "merge_method": "squash"}),
        )
        .await;

    assert_eq!(
        (unknown, squashed, twice),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            StatusCode::OK,
            StatusCode::METHOD_NOT_ALLOWED
        )
    );
    let commit = api
        .sim
        .commit(REPO, answer["sha"].as_str().unwrap())
        .unwrap();
    assert_eq!(commit.parents, [before], "a squash has one parent");
    assert_eq!(commit.message, format!("Work (#{number})"));
    assert_eq!(
        api.webhooks(),
        [
            hook("pull_request", "closed", "ada"),
            hook("push", "", "ada")
        ]
    );
}
