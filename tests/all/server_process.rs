//! `releasebot serve` as the process users run: killed with SIGKILL in the middle of a job and
//! started again on the same database, stopped with SIGTERM, and refusing to start on bad
//! settings.

use std::process::Stdio;
use std::time::Duration;

use releasebot::simulated_github::Fault;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::harness::*;
use crate::server::{APP_ID, KEY, PUBLIC, SECRET};

pub fn serve(sim_url: &str, database: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_releasebot"));
    command
        .arg("serve")
        .env_clear()
        .env("RELEASEBOT_APP_ID", APP_ID.to_string())
        .env("RELEASEBOT_PRIVATE_KEY", KEY)
        .env("RELEASEBOT_WEBHOOK_SECRET", SECRET)
        .env("RELEASEBOT_DATABASE", database)
        .env("RELEASEBOT_LISTEN", "127.0.0.1:0")
        .env("GITHUB_API_URL", sim_url)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        // Logs are not read here; a pipe nobody drains would block the server once full.
        .stderr(Stdio::null())
        .kill_on_drop(true);
    command
}

/// Starts the server and reads the webhook URL it prints once it listens.
pub async fn start(command: &mut Command) -> (Child, String) {
    let mut child = command.spawn().expect("releasebot serve starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the server says where it listens")
        .unwrap()
        .unwrap_or_default();
    let url = line
        .strip_prefix("releasebot serve: listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_string();
    (child, url)
}

#[tokio::test]
async fn a_server_killed_mid_release_finishes_it_after_a_restart_with_nothing_done_twice() {
    let s = Scenario::mathesar().await;
    s.sim.register_app(APP_ID, PUBLIC, BOT);
    let database = tempfile::tempdir().unwrap();
    let db = database.path().join("releasebot.sqlite");
    let sim_url = s.sim.url();

    // GitHub will not answer the request that opens the pull request.
    s.sim.fail_matching("POST", "/pulls", 1, Fault::Hold);
    let (mut first, url) = start(&mut serve(&sim_url, &db)).await;
    s.sim.set_webhook_target(&url, SECRET);
    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release 0.1.3");
    eventually("the job to reach the pull request", || {
        s.sim.held_requests() == 1
    })
    .await;

    first.start_kill().unwrap();
    first.wait().await.unwrap();
    assert_eq!(s.branches(), vec!["master", "release/0.1.3"], "half done");
    assert!(s.sim.pulls(REPO).is_empty());
    let branch_head = s.sim.refs(REPO)["refs/heads/release/0.1.3"].clone();

    let (second, url) = start(&mut serve(&sim_url, &db)).await;
    s.sim.set_webhook_target(&url, SECRET);
    eventually("the pull request", || s.sim.pulls(REPO).len() == 1).await;
    let pull = s.sim.pulls(REPO)[0].number;
    eventually("the status comment to show the pull request", || {
        s.bot_comments()
            .first()
            .is_some_and(|c| c.contains(&format!("#{pull}")))
    })
    .await;

    assert_eq!(s.branches(), vec!["master", "release/0.1.3"]);
    assert_eq!(
        s.sim.refs(REPO)["refs/heads/release/0.1.3"],
        branch_head,
        "no second bump commit"
    );
    assert_eq!(s.sim.pulls(REPO).len(), 1);
    assert_eq!(s.bot_comments().len(), 1, "one status comment");
    drop(second);
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    let s = Scenario::mathesar().await;
    let database = tempfile::tempdir().unwrap();
    let (mut child, url) = start(&mut serve(&s.sim.url(), &database.path().join("q.sqlite"))).await;
    let health = reqwest::get(url.replace("/webhook", "/healthz"))
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);

    let pid = child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the server stops")
        .unwrap();
    assert!(status.success(), "{status:?}");
}

pub async fn refused(command: &mut Command) -> (i32, String) {
    command.stdout(Stdio::null()).stderr(Stdio::piped());
    let output = tokio::time::timeout(Duration::from_secs(30), command.output())
        .await
        .expect("the server gives up at once")
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn with_nothing_set_the_server_says_how_to_run_setup_and_names_every_missing_setting() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_releasebot"));
    command.arg("serve").env_clear();
    let (code, stderr) = refused(&mut command).await;
    assert_eq!(code, 2, "{stderr}");
    for expected in [
        "releasebot serve cannot start: it has no GitHub App to run as",
        "releasebot setup --webhook-url https://YOUR-HOST/webhook",
        "releasebot serve --config-file releasebot.env",
        "RELEASEBOT_APP_ID is not set",
        "no private key",
        "RELEASEBOT_WEBHOOK_SECRET is not set",
    ] {
        assert!(stderr.contains(expected), "{expected} in {stderr}");
    }
}

#[tokio::test]
async fn a_bad_key_or_an_unusable_database_is_a_clear_start_up_error() {
    let database = tempfile::tempdir().unwrap();
    let db = database.path().join("q.sqlite");

    let mut bad_key = serve("http://127.0.0.1:9/", &db);
    bad_key.env("RELEASEBOT_PRIVATE_KEY", "-----BEGIN NOTHING-----");
    let (code, stderr) = refused(&mut bad_key).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("RELEASEBOT_PRIVATE_KEY: the App's private key is not an RSA key"),
        "{stderr}"
    );

    let mut missing_file = serve("http://127.0.0.1:9/", &db);
    missing_file
        .env_remove("RELEASEBOT_PRIVATE_KEY")
        .env("RELEASEBOT_PRIVATE_KEY_PATH", "/nonexistent/app.pem");
    let (code, stderr) = refused(&mut missing_file).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("RELEASEBOT_PRIVATE_KEY_PATH: cannot read /nonexistent/app.pem"),
        "{stderr}"
    );

    let mut bad_database = serve("http://127.0.0.1:9/", &db);
    bad_database.env("RELEASEBOT_DATABASE", "/nonexistent/dir/q.sqlite");
    let (code, stderr) = refused(&mut bad_database).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(
            "RELEASEBOT_DATABASE: the queue database /nonexistent/dir/q.sqlite cannot be opened"
        ),
        "{stderr}"
    );
}
