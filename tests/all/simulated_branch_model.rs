//! Draft pull requests, milestones and the merge queue in the simulated GitHub, as GitHub has
//! them: a draft is not merged until marked ready, a milestone title is taken once, an issue
//! is put on a milestone with `PATCH /issues/{n}`, and the merge queue merges with its own
//! commit as `github-merge-queue[bot]`, telling `merge_group` first.

use reqwest::{Method, StatusCode};
use serde_json::json;
use simulated_github::MergeMethod;

use crate::simulated_github::{hook, Api, REPO};

const QUEUE: &str = "github-merge-queue[bot]";

/// A draft pull request from `topic` into `main`, opened with the bot's token.
async fn with_draft() -> (Api, u64) {
    let api = Api::start().await;
    api.sim
        .push_commit(REPO, "topic", "ada", "Work", &[("work.txt", "work\n")]);
    let (status, pull) = api
        .post(
            "pulls",
            json!({"title": "Work", "head": "topic", "base": "main", "draft": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{pull}");
    assert_eq!(pull["draft"], true);
    api.sim.take_deliveries();
    (api, pull["number"].as_u64().unwrap())
}

#[tokio::test]
async fn a_draft_is_merged_only_once_marked_ready() {
    let (api, number) = with_draft().await;

    let refused = api.sim.merge_pull(REPO, number, MergeMethod::Merge, "ada");
    let (status, body) = api
        .call(
            Method::PUT,
            &format!("pulls/{number}/merge"),
            Some(json!({})),
        )
        .await;
    let queued = api
        .sim
        .merge_through_queue(REPO, number, MergeMethod::Merge, "ada");

    assert_eq!(refused.unwrap_err(), "405: Pull Request is still a draft");
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["message"], "Pull Request is still a draft");
    assert!(queued.is_err(), "the queue takes no draft either");
    let (_, read) = api.get(&format!("pulls/{number}")).await;
    assert_eq!(
        (read["draft"].clone(), read["merged"].clone()),
        (json!(true), json!(false))
    );

    let (status, _) = api
        .person(
            Method::POST,
            &format!("pulls/{number}/ready"),
            json!({"by": "ada"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        api.webhooks(),
        [hook("pull_request", "ready_for_review", "ada")]
    );
    let (_, read) = api.get(&format!("pulls/{number}")).await;
    assert_eq!(read["draft"], false);
    api.sim
        .merge_pull(REPO, number, MergeMethod::Merge, "ada")
        .unwrap();
}

#[tokio::test]
async fn a_milestone_title_is_taken_once_and_a_pull_request_is_put_on_it() {
    let (api, number) = with_draft().await;

    let (made, milestone) = api.post("milestones", json!({"title": "v0.2.1"})).await;
    let (again, refusal) = api.post("milestones", json!({"title": "v0.2.1"})).await;
    let (set, issue) = api
        .call(
            Method::PATCH,
            &format!("issues/{number}"),
            Some(json!({"milestone": milestone["number"]})),
        )
        .await;
    let (missing, _) = api
        .call(
            Method::PATCH,
            &format!("issues/{number}"),
            Some(json!({"milestone": 99})),
        )
        .await;

    assert_eq!(made, StatusCode::CREATED);
    assert_eq!(
        (milestone["number"].clone(), milestone["title"].clone()),
        (json!(1), json!("v0.2.1"))
    );
    assert_eq!(again, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refusal["errors"][0]["code"], "already_exists");
    assert_eq!(refusal["errors"][0]["field"], "title");
    assert_eq!(set, StatusCode::OK);
    assert_eq!(issue["milestone"]["title"], "v0.2.1");
    assert_eq!(missing, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, pull) = api.get(&format!("pulls/{number}")).await;
    assert_eq!(pull["milestone"]["title"], "v0.2.1");
    assert_eq!(pull["milestone"]["open_issues"], 1);
    let (_, listed) = api.get("milestones?state=all").await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(
        api.webhooks(),
        [
            hook("milestone", "created", "bot[bot]"),
            hook("pull_request", "milestoned", "bot[bot]"),
        ]
    );
    let (_, events) = api.get(&format!("issues/{number}/events")).await;
    assert_eq!(events[0]["event"], "milestoned");
    assert_eq!(events[0]["milestone"]["title"], "v0.2.1");
}

#[tokio::test]
async fn the_merge_queue_merges_with_its_own_commit_as_its_bot() {
    let (api, number) = with_draft().await;
    api.sim.mark_ready(REPO, number, "ada").unwrap();
    api.sim.take_deliveries();
    let base_before = api.main_sha();

    let (status, answer) = api
        .person(
            Method::POST,
            &format!("pulls/{number}/enqueue"),
            json!({"by": "ada"}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{answer}");
    let commit = answer["sha"].as_str().unwrap().to_string();
    assert_eq!(
        api.main_sha(),
        commit,
        "the base branch is at the queue's commit"
    );
    let made = api.sim.commit(REPO, &commit).unwrap();
    assert_eq!(made.author, QUEUE);
    assert_eq!(made.parents[0], base_before);
    let pull = api
        .sim
        .pulls(REPO)
        .into_iter()
        .find(|p| p.number == number)
        .unwrap();
    assert!(pull.merged);
    assert_eq!(pull.merged_by.as_deref(), Some(QUEUE));
    let deliveries = api.sim.take_deliveries();
    let seen: Vec<(String, String, String)> = deliveries
        .iter()
        .map(|d| {
            let action = d.payload["action"].as_str().unwrap_or_default();
            let sender = d.payload["sender"]["login"].as_str().unwrap();
            (d.event.clone(), action.to_string(), sender.to_string())
        })
        .collect();
    assert_eq!(
        seen,
        [
            hook("create", "", QUEUE),
            hook("push", "", QUEUE),
            hook("merge_group", "checks_requested", "ada"),
            hook("pull_request", "closed", QUEUE),
            hook("push", "", QUEUE),
            hook("merge_group", "destroyed", QUEUE),
            hook("delete", "", QUEUE),
            hook("push", "", QUEUE),
        ]
    );
    let group = &deliveries[2].payload["merge_group"];
    assert_eq!(group["head_sha"], commit.as_str());
    assert_eq!(group["base_ref"], "refs/heads/main");
    assert_eq!(group["base_sha"], base_before.as_str());
    assert_eq!(
        group["head_ref"],
        format!("refs/heads/gh-readonly-queue/main/pr-{number}-{base_before}")
    );
    let closed = &deliveries[3].payload["pull_request"];
    assert_eq!(closed["merged"], true);
    assert_eq!(closed["merge_commit_sha"], commit.as_str());
    assert_eq!(closed["merged_by"]["login"], QUEUE);
    assert_eq!(closed["merged_by"]["type"], "Bot");
    assert!(
        !api.sim
            .refs(REPO)
            .keys()
            .any(|r| r.contains("gh-readonly-queue")),
        "the queue's branch is gone"
    );
}
