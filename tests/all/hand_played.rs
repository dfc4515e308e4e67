//! The README's release played by hand: `releasebot simulate` and `releasebot serve` as
//! processes, and every step a person takes sent over HTTP to `/_simulator/…`, exactly as the
//! README's `curl` lines send them.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::harness::*;
use crate::server::{APP_ID, KEY, SECRET};

const PUBLIC_KEY_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/throwaway-app-key.pub.pem"
);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn first_line(child: &mut Child) -> String {
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the process says it started")
        .unwrap()
        .unwrap_or_default();
    // Keep reading so the pipe never fills.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    line
}

struct Person {
    http: reqwest::Client,
    base: String,
}

impl Person {
    async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let response = self
            .http
            .request(method, format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.send(reqwest::Method::POST, path, body).await
    }

    async fn state(&self) -> Value {
        self.http
            .get(format!(
                "{}/_simulator/repos/centerofci/mathesar",
                self.base
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Polls the repository's state until `pick` finds something in it.
    async fn wait_for<T>(&self, what: &str, pick: impl Fn(&Value) -> Option<T>) -> T {
        for _ in 0..600 {
            if let Some(found) = pick(&self.state().await) {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("timed out waiting for {what}: {}", self.state().await);
    }
}

/// The id of the newest run of a workflow file.
fn run_of(state: &Value, file: &str) -> Option<u64> {
    state["runs"]
        .as_array()?
        .iter()
        .rev()
        .find(|r| r["path"].as_str().is_some_and(|p| p.ends_with(file)))?["id"]
        .as_u64()
}

/// Whether the bot's status comment says `text`.
fn status_says(state: &Value, text: &str) -> Option<()> {
    state["comments"]
        .as_array()?
        .iter()
        .any(|c| {
            c["author"] == BOT
                && c["body"]
                    .as_str()
                    .is_some_and(|b| b.contains("<!-- releasebot:status ") && b.contains(text))
        })
        .then_some(())
}

#[tokio::test]
async fn the_readme_release_played_by_hand_over_http() {
    let port = free_port();
    let api = format!("http://127.0.0.1:{port}");
    let database = tempfile::tempdir().unwrap();
    let mut serve = Command::new(env!("CARGO_BIN_EXE_releasebot"));
    serve
        .arg("serve")
        .env_clear()
        .env("RELEASEBOT_APP_ID", APP_ID.to_string())
        .env("RELEASEBOT_PRIVATE_KEY", KEY)
        .env("RELEASEBOT_WEBHOOK_SECRET", SECRET)
        .env("RELEASEBOT_DATABASE", database.path().join("q.sqlite"))
        .env("RELEASEBOT_LISTEN", "127.0.0.1:0")
        .env("GITHUB_API_URL", &api)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let mut server = serve.spawn().unwrap();
    let webhook = first_line(&mut server)
        .await
        .strip_prefix("releasebot serve: listening on ")
        .expect("serve prints its webhook URL")
        .to_string();
    let mut simulate = Command::new(env!("CARGO_BIN_EXE_releasebot"));
    simulate
        .args(["simulate", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--tag", "0.1.0", "--tag", "0.1.1", "--tag", "0.1.2"])
        .args(["--maintainer", MAINTAINER])
        .args(["--app", &format!("{APP_ID}:{PUBLIC_KEY_FILE}")])
        .args(["--webhook-url", &webhook, "--webhook-secret", SECRET])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let mut simulator = simulate.spawn().unwrap();
    first_line(&mut simulator).await;
    let person = Person {
        http: reqwest::Client::new(),
        base: api.clone(),
    };
    let repo = "/_simulator/repos/centerofci/mathesar";

    // A new contributor gets the write role; the maintainer opens the tracking issue.
    person
        .send(
            reqwest::Method::PUT,
            &format!("{repo}/collaborators/{WRITER}"),
            json!({"role": "write"}),
        )
        .await;
    let issue = person
        .post(
            &format!("{repo}/issues"),
            json!({"author": MAINTAINER, "title": "Release 0.1.3", "body": ""}),
        )
        .await["number"]
        .as_u64()
        .unwrap();
    // The maintainer asks for the release, then fixes a typo in the command.
    let comment = person
        .post(
            &format!("{repo}/issues/{issue}/comments"),
            json!({"author": MAINTAINER, "body": "/release 0.1.3"}),
        )
        .await["id"]
        .as_u64()
        .unwrap();
    person
        .send(
            reqwest::Method::PATCH,
            &format!("{repo}/comments/{comment}"),
            json!({"by": MAINTAINER, "body": "/release 0.1.3 (edited)"}),
        )
        .await;

    let pull = person
        .wait_for("the release pull request", |s| {
            s["pulls"][0]["number"].as_u64()
        })
        .await;
    // The smoke test fails; a writer presses "Re-run" on the Actions page and it passes.
    let smoke = person
        .wait_for("the smoke run", |s| run_of(s, "release-smoke.yml"))
        .await;
    person
        .post(
            &format!("{repo}/runs/{smoke}/complete"),
            json!({"conclusion": "failure"}),
        )
        .await;
    person
        .wait_for("the failure in the status", |s| {
            status_says(s, "ended in `failure`")
        })
        .await;
    person
        .post(&format!("{repo}/runs/{smoke}/rerun"), json!({"by": WRITER}))
        .await;
    person
        .post(
            &format!("{repo}/runs/{smoke}/complete"),
            json!({"conclusion": "success"}),
        )
        .await;
    person
        .wait_for("the re-run's pass in the status", |s| {
            status_says(s, "passed ([run]")
        })
        .await;
    person
        .post(
            &format!("{repo}/pulls/{pull}/merge"),
            json!({"by": MAINTAINER, "merge_method": "squash"}),
        )
        .await;
    let run = person
        .wait_for("the images run", |s| run_of(s, "release-images.yml"))
        .await;
    person
        .post(
            &format!("{repo}/runs/{run}/complete"),
            json!({"conclusion": "success"}),
        )
        .await;
    let draft = person
        .wait_for("the draft release with its images", |s| {
            let draft = s["releases"]
                .as_array()?
                .iter()
                .find(|r| r["tag_name"] == "0.1.3")?;
            draft["body"]
                .as_str()?
                .contains("**Images pushed**")
                .then_some(())?;
            draft["id"].as_u64()
        })
        .await;
    // The maintainer pastes the final notes over the whole draft, then publishes it.
    person
        .send(
            reqwest::Method::PATCH,
            &format!("{repo}/releases/{draft}"),
            json!({"by": MAINTAINER, "body": "## Mathesar 0.1.3\n\nHand-written notes."}),
        )
        .await;
    person
        .post(
            &format!("{repo}/releases/{draft}/publish"),
            json!({"by": MAINTAINER}),
        )
        .await;
    person
        .wait_for("the status to say published", |s| {
            status_says(s, "/releases/tag/0.1.3) published")
        })
        .await;

    let state = person.state().await;
    assert!(state["refs"]["refs/tags/0.1.3"].is_string(), "{state}");
    assert_eq!(state["releases"][0]["draft"], false, "{state}");
    let runs = state["runs"].as_array().unwrap();
    assert_eq!(
        runs.len(),
        2,
        "one smoke run (re-run once), one images run: {state}"
    );
    assert!(runs.iter().all(|r| r["conclusion"] == "success"), "{state}");
    assert_eq!(runs[0]["run_attempt"], 2, "{state}");
    let violations: Value = person
        .http
        .get(format!("{api}/_simulator/violations"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(violations, json!([]));
    simulator.start_kill().ok();
    server.start_kill().ok();
}
