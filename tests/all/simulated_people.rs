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
        .merge_pull(
            REPO,
            number,
            releasebot::simulated_github::MergeMethod::Merge,
            "ada",
        )
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
        .merge_pull(
            REPO,
            number,
            releasebot::simulated_github::MergeMethod::Squash,
            "ada",
        )
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
