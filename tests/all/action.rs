//! `releasebot action` as the Actions runner starts it: a process with the runner's environment,
//! the event in a file, the API at the simulated GitHub, and `$GITHUB_OUTPUT` and
//! `$GITHUB_STEP_SUMMARY` to write to.

use std::collections::BTreeMap;
use std::path::PathBuf;

use simulated_github::{Fault, MergeMethod};

use crate::harness::*;

/// One step of a workflow run.
struct Step {
    exit_code: i32,
    stdout: String,
    outputs: BTreeMap<String, String>,
    summary: String,
}

struct Runner {
    dir: tempfile::TempDir,
    runs: u32,
}

impl Runner {
    fn new() -> Runner {
        Runner {
            dir: tempfile::tempdir().unwrap(),
            runs: 0,
        }
    }

    /// Runs `releasebot action` on one event, as a workflow step would.
    fn run(
        &mut self,
        s: &Scenario,
        event: &str,
        payload: &serde_json::Value,
        extra: &[(&str, &str)],
    ) -> Step {
        self.runs += 1;
        let event_path = self.dir.path().join(format!("event-{}.json", self.runs));
        std::fs::write(&event_path, serde_json::to_vec(payload).unwrap()).unwrap();
        let output: PathBuf = self.dir.path().join(format!("output-{}", self.runs));
        let summary: PathBuf = self.dir.path().join(format!("summary-{}", self.runs));
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_releasebot"));
        command
            .arg("action")
            .env_clear()
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_EVENT_NAME", event)
            .env("GITHUB_EVENT_PATH", &event_path)
            .env("GITHUB_REPOSITORY", REPO)
            .env("GITHUB_API_URL", s.sim.url().trim_end_matches('/'))
            .env("GITHUB_SERVER_URL", "https://github.com")
            .env("GITHUB_RUN_ID", "4242")
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("RELEASEBOT_TOKEN", BOT_TOKEN)
            .env("RELEASEBOT_BOT_LOGIN", BOT)
            .env("RELEASEBOT_DRY_RUN", "false");
        for (key, value) in extra {
            command.env(key, value);
        }
        let result = command.output().unwrap();
        let outputs = std::fs::read_to_string(&output)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Step {
            exit_code: result.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&result.stdout).into_owned(),
            outputs,
            summary: std::fs::read_to_string(&summary).unwrap_or_default(),
        }
    }

    /// Runs the action on the delivery of this event that GitHub made last.
    fn run_on_last(&mut self, s: &Scenario, event: &str, extra: &[(&str, &str)]) -> Step {
        let delivery = s
            .sim
            .take_deliveries()
            .into_iter()
            .rev()
            .find(|d| d.event == event)
            .unwrap_or_else(|| panic!("no {event} delivery"));
        self.run(s, event, &delivery.payload, extra)
    }
}

fn output<'a>(step: &'a Step, name: &str) -> &'a str {
    step.outputs
        .get(name)
        .map(String::as_str)
        .unwrap_or("<missing>")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_release_run_by_the_action_one_event_at_a_time() {
    let s = Scenario::mathesar().await;
    let mut runner = Runner::new();

    // 1. The maintainer comments; the workflow runs on `issue_comment`.
    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release 0.1.3");
    let comment = runner.run_on_last(&s, "issue_comment", &[]);
    assert_eq!(comment.exit_code, 0, "{}", comment.stdout);
    let pull = s.release_pull();
    assert_eq!(output(&comment, "outcome"), "release-opened");
    assert_eq!(output(&comment, "version"), "0.1.3");
    assert_eq!(output(&comment, "pr-number"), pull.to_string());
    assert!(
        comment.summary.contains(&format!("[#{pull}]")),
        "{}",
        comment.summary
    );

    // 2. The merge: the tag made with the workflow's token starts no workflow, so the same run
    //    goes on to the draft release and the images dispatch.
    s.sim
        .merge_pull(REPO, pull, MergeMethod::Merge, MAINTAINER)
        .unwrap();
    let merged = runner.run_on_last(&s, "pull_request", &[]);
    assert_eq!(merged.exit_code, 0, "{}", merged.stdout);
    assert_eq!(output(&merged, "outcome"), "released");
    assert_eq!(output(&merged, "tag"), "0.1.3");
    let release_url = output(&merged, "release-url").to_string();
    assert!(release_url.contains("/releases/"), "{release_url}");
    assert!(s.sim.refs(REPO).contains_key("refs/tags/0.1.3"));
    assert_eq!(
        s.images_runs().len(),
        1,
        "images dispatched in the same run"
    );
    assert_eq!(s.sim.releases(REPO).len(), 1);

    // 3. Were the tag's push delivered after all (an App token, a person's re-push), nothing
    //    is done twice.
    let tag_push = s
        .sim
        .take_deliveries()
        .into_iter()
        .find(|d| d.event == "push" && d.payload["ref"] == "refs/tags/0.1.3")
        .expect("the tag's push");
    let pushed = runner.run(&s, "push", &tag_push.payload, &[]);
    assert_eq!(pushed.exit_code, 0, "{}", pushed.stdout);
    assert_eq!(s.images_runs().len(), 1, "no second dispatch");
    assert_eq!(s.sim.releases(REPO).len(), 1, "no second draft");

    // 4. The images workflow finishes; its `workflow_run` reports on the draft.
    let run = s.images_runs()[0].id;
    s.sim.complete_run(REPO, run, "success").unwrap();
    let finished = runner.run_on_last(&s, "workflow_run", &[]);
    assert_eq!(finished.exit_code, 0, "{}", finished.stdout);
    assert_eq!(output(&finished, "outcome"), "images-reported");
    assert!(s.sim.releases(REPO)[0].body.contains("**Images pushed**"));
    assert!(
        s.sim.releases(REPO)[0].draft,
        "left for a person to publish"
    );
    assert_eq!(s.bot_comments().len(), 1, "one status comment");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_the_bot_has_no_use_for_exits_0_with_outcome_ignored() {
    let s = Scenario::mathesar().await;
    let mut runner = Runner::new();
    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "Looks good to me.");
    let step = runner.run_on_last(&s, "issue_comment", &[]);
    assert_eq!(step.exit_code, 0);
    assert_eq!(output(&step, "outcome"), "ignored");
    assert_eq!(output(&step, "version"), "");
    assert!(step.summary.contains("Nothing to do"), "{}", step.summary);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_step_exits_1_with_an_error_annotation() {
    let s = Scenario::mathesar().await;
    let mut runner = Runner::new();
    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release 0.1.3");
    runner.run_on_last(&s, "issue_comment", &[]);
    s.sim
        .merge_pull(REPO, s.release_pull(), MergeMethod::Merge, MAINTAINER)
        .unwrap();
    // GitHub fails every attempt to create the tag's ref.
    s.sim
        .fail_matching("POST", "/git/refs", 10, Fault::Status(502));

    let step = runner.run_on_last(&s, "pull_request", &[]);

    assert_eq!(step.exit_code, 1, "{}", step.stdout);
    assert_eq!(output(&step, "outcome"), "failed");
    assert!(
        step.stdout.contains(&format!(
            "::error title=releasebot step failed::GitHub answered 502 to POST /repos/{REPO}/git/refs"
        )),
        "{}",
        step.stdout
    );
    assert!(!s.sim.refs(REPO).contains_key("refs/tags/0.1.3"));
    // Nothing runs the event again by itself: the tracking issue is told, as a failing
    // `/release` run tells it.
    let told: Vec<String> = s
        .bot_comments()
        .into_iter()
        .filter(|c| c.starts_with("releasebot could not act on pull request #"))
        .collect();
    assert_eq!(told.len(), 1, "{:?}", s.bot_comments());
    assert!(
        told[0].contains("the Actions run that handled it failed")
            && told[0].contains("comment `/release retry` here"),
        "{}",
        told[0]
    );
    // The status comment shows it too, with what to do.
    let status = s.status_comment();
    assert!(
        status.contains("❌") && status.contains("Tag and release of 0.1.3: GitHub answered 502"),
        "{status}"
    );
    assert!(
        status.contains("comment `/release retry` to go on from the merge"),
        "{status}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_dry_run_the_action_answers_with_the_plan_and_changes_nothing() {
    let s = Scenario::mathesar().await;
    let mut runner = Runner::new();
    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release 0.1.3");
    let step = runner.run_on_last(&s, "issue_comment", &[("RELEASEBOT_DRY_RUN", "true")]);
    assert_eq!(step.exit_code, 0, "{}", step.stdout);
    assert_eq!(output(&step, "outcome"), "answered");
    assert_eq!(s.branches(), vec!["master"]);
    assert!(s.bot_comments()[0].contains("**Dry run of `/release 0.1.3`**"));
}

/// In Action mode the pull request made with the workflow's token starts no `pull_request`
/// workflow, so the bot dispatches the smoke test itself, and the run's completion comes back as
/// `workflow_run`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_action_dispatches_the_smoke_test_and_records_its_result() {
    let s = Scenario::mathesar().await;
    let mut runner = Runner::new();
    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release 0.1.3");
    let opened = runner.run_on_last(&s, "issue_comment", &[]);
    assert_eq!(
        output(&opened, "outcome"),
        "release-opened",
        "{}",
        opened.stdout
    );
    let smoke = s.smoke_runs();
    assert_eq!(smoke.len(), 1);
    let head = s.sim.refs(REPO)["refs/heads/release/0.1.3"].clone();

    s.sim.complete_run(REPO, smoke[0].id, "success").unwrap();
    let reported = runner.run_on_last(&s, "workflow_run", &[]);

    assert_eq!(reported.exit_code, 0, "{}", reported.stdout);
    assert_eq!(output(&reported, "outcome"), "smoke-reported");
    assert_eq!(
        s.sim
            .statuses(REPO, &head)
            .last()
            .map(|(_, state, _)| state.as_str()),
        Some("success")
    );
}

/// Reproduced once with the action: `/release cancel --dry-run` closed the pull request and
/// deleted the branch for real.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_with_dry_run_run_by_the_action_changes_nothing() {
    let s = Scenario::mathesar().await;
    let mut runner = Runner::new();
    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release 0.1.3");
    runner.run_on_last(&s, "issue_comment", &[]);
    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release cancel --dry-run");

    let step = runner.run_on_last(&s, "issue_comment", &[]);

    assert_eq!(step.exit_code, 0, "{}", step.stdout);
    assert_eq!(output(&step, "outcome"), "answered");
    assert_eq!(s.branches(), vec!["master", "release/0.1.3"]);
    assert_eq!(s.sim.pulls(REPO)[0].state, "open");
    assert!(s
        .bot_comments()
        .last()
        .unwrap()
        .contains("**Dry run of `/release cancel`**: nothing was changed."));
}

/// With the workflow's own token (no `bot-login` input), the bot is `github-actions[bot]`:
/// its own status comment is found again by the next run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_workflows_token_the_bot_is_github_actions() {
    let s = Scenario::mathesar().await;
    let actions_bot = "github-actions[bot]";
    s.sim.add_user(actions_bot, simulated_github::UserKind::Bot);
    s.sim.add_token("ghs_workflow_token", actions_bot);
    let mut runner = Runner::new();
    let as_workflow = [
        ("RELEASEBOT_TOKEN", "ghs_workflow_token"),
        ("GITHUB_TOKEN", "ghs_workflow_token"),
        ("RELEASEBOT_BOT_LOGIN", ""),
    ];
    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release 0.1.3");
    let opened = runner.run_on_last(&s, "issue_comment", &as_workflow);
    assert_eq!(
        output(&opened, "outcome"),
        "release-opened",
        "{}",
        opened.stdout
    );
    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release status");

    let status = runner.run_on_last(&s, "issue_comment", &as_workflow);

    assert_eq!(
        output(&status, "outcome"),
        "status-refreshed",
        "{}",
        status.stdout
    );
}

/// An App token passed in without `bot-login`: GitHub names it through GraphQL's `viewer`, and
/// the action acts as that bot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_token_without_bot_login_is_named_by_github() {
    let s = Scenario::mathesar().await;
    let mut runner = Runner::new();
    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release 0.1.3");

    let step = runner.run_on_last(&s, "issue_comment", &[("RELEASEBOT_BOT_LOGIN", "")]);

    assert_eq!(step.exit_code, 0, "{}", step.stdout);
    assert_eq!(
        output(&step, "outcome"),
        "release-opened",
        "{}",
        step.stdout
    );
    assert_eq!(s.sim.pulls(REPO)[0].author, BOT);
}

/// The same on a server without GraphQL, where nothing will say whose the token is: the action
/// stops and says which input to set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_token_without_bot_login_or_graphql_stops_with_what_to_set() {
    let s = Scenario::mathesar().await;
    let mut runner = Runner::new();
    s.sim
        .fail_matching("POST", "/graphql", 10, Fault::Status(404));
    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release 0.1.3");

    let step = runner.run_on_last(&s, "issue_comment", &[("RELEASEBOT_BOT_LOGIN", "")]);

    assert_eq!(step.exit_code, 1, "{}", step.stdout);
    assert!(
        step.stdout.contains("set the action's `bot-login` input"),
        "{}",
        step.stdout
    );
    assert!(s.sim.pulls(REPO).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_a_runner_the_action_names_what_is_missing_and_exits_2() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_releasebot"))
        .arg("action")
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("::error title=releasebot cannot run::GITHUB_EVENT_NAME is not set"),
        "{stdout}"
    );
    assert!(stdout.contains("no token"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_config_input_points_the_action_at_another_file() {
    let s = Scenario::mathesar().await;
    let mut runner = Runner::new();
    // No such file: the default configuration applies, as for a repository without one; a
    // broken file at that path would be reported instead.
    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release 0.1.3 --dry-run");
    let step = runner.run_on_last(
        &s,
        "issue_comment",
        &[("RELEASEBOT_CONFIG", "ci/releasebot.toml")],
    );
    assert_eq!(step.exit_code, 0, "{}", step.stdout);
    // Read in the delivery's one query, at the default branch.
    let read_config = s.sim.requests().iter().any(|r| {
        r.path == "/graphql"
            && r.body.as_ref().is_some_and(|b| {
                b["query"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("object(expression: \"master:ci/releasebot.toml\")")
            })
    });
    assert!(read_config, "{:?}", s.sim.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_action_releases_a_draft_from_develop_merged_through_the_queue() {
    let (s, _develop) = crate::branch_model::mathesar_with_develop().await;
    let mut runner = Runner::new();
    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release 0.1.3");
    let comment = runner.run_on_last(&s, "issue_comment", &[]);
    assert_eq!(
        output(&comment, "outcome"),
        "release-opened",
        "{}",
        comment.stdout
    );
    let pull = s.sim.pulls(REPO).remove(0);
    assert_eq!(
        (pull.base.as_str(), pull.draft, pull.milestone.as_deref()),
        ("master", true, Some("v0.1.3"))
    );

    s.sim.mark_ready(REPO, pull.number, MAINTAINER).unwrap();
    let merge_commit = s
        .sim
        .merge_through_queue(REPO, pull.number, MergeMethod::Merge, MAINTAINER)
        .unwrap();
    let deliveries = s.sim.take_deliveries();
    let of = |event: &str, action: &str| {
        let found = deliveries
            .iter()
            .find(|d| d.event == event && d.payload["action"] == action);
        found
            .unwrap_or_else(|| panic!("no {event} {action}"))
            .payload
            .clone()
    };
    // A workflow that also runs on the queue's checks is told there is nothing to do.
    let checks = runner.run(
        &s,
        "merge_group",
        &of("merge_group", "checks_requested"),
        &[],
    );
    let merged = runner.run(&s, "pull_request", &of("pull_request", "closed"), &[]);

    assert_eq!(checks.exit_code, 0, "{}", checks.stdout);
    assert_eq!(output(&checks, "outcome"), "ignored");
    assert_eq!(merged.exit_code, 0, "{}", merged.stdout);
    assert_eq!(output(&merged, "outcome"), "released");
    assert_eq!(s.sim.resolve(REPO, Some("0.1.3")), Some(merge_commit));
    assert_eq!(s.images_runs().len(), 1);
}
