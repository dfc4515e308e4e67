//! `releasebot serve` as the process users run: killed with SIGKILL in the middle of a job and
//! started again on the same database, stopped with SIGTERM, refusing to start on bad
//! settings, serving `/metrics` on a port of its own, and asked by `releasebot healthcheck`.

use std::process::Stdio;
use std::time::Duration;

use simulated_github::Fault;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::harness::*;
use crate::server::{metric, sign, APP_ID, KEY, PUBLIC, SECRET};

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
    let (child, mut said) = start_saying(command, 1).await;
    (child, said.remove(0))
}

/// Starts the server and reads the URLs of its first `lines` lines (`… on <url>`).
pub async fn start_saying(command: &mut Command, lines: usize) -> (Child, Vec<String>) {
    let mut child = command.spawn().expect("releasebot serve starts");
    let stdout = child.stdout.take().unwrap();
    let mut reader = BufReader::new(stdout).lines();
    let mut urls = Vec::new();
    for expected in [
        "releasebot serve: listening on ",
        "releasebot serve: metrics on ",
    ]
    .into_iter()
    .take(lines)
    {
        let line = tokio::time::timeout(Duration::from_secs(30), reader.next_line())
            .await
            .expect("the server says where it listens")
            .unwrap()
            .unwrap_or_default();
        let url = line
            .strip_prefix(expected)
            .unwrap_or_else(|| panic!("expected {expected:?}…, got: {line}"));
        urls.push(url.to_string());
    }
    (child, urls)
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
    the_interrupted_job_opens_the_pull_request_once(&s, &branch_head).await;
    drop(second);
}

/// After a process died holding the request that opens the pull request: another run of the
/// job opens it, once, from the bump commit already made, and shows it on the one status
/// comment.
pub async fn the_interrupted_job_opens_the_pull_request_once(s: &Scenario, branch_head: &str) {
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

// ----- /metrics on a port of its own -----

#[tokio::test]
async fn with_a_metrics_address_only_that_port_serves_metrics_and_it_counts_the_webhook_s_deliveries(
) {
    let s = Scenario::mathesar().await;
    let database = tempfile::tempdir().unwrap();
    let mut command = serve(&s.sim.url(), &database.path().join("q.sqlite"));
    command.env("RELEASEBOT_METRICS_LISTEN", "127.0.0.1:0");
    let (child, said) = start_saying(&mut command, 2).await;
    let (webhook, metrics) = (&said[0], &said[1]);
    assert_ne!(
        webhook.replace("/webhook", ""),
        metrics.replace("/metrics", ""),
        "two ports"
    );
    let http = reqwest::Client::new();
    let status = |url: String| {
        let http = http.clone();
        async move { http.get(url).send().await.unwrap().status().as_u16() }
    };

    assert_eq!(status(webhook.replace("/webhook", "/metrics")).await, 404);
    let ping = br#"{"zen":"Keep it logically awesome.","hook_id":1}"#;
    let answer = http
        .post(webhook)
        .header("content-type", "application/json")
        .header("x-github-event", "ping")
        .header("x-github-delivery", "ping-1")
        .header("x-hub-signature-256", sign(SECRET, ping))
        .body(ping.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);

    let text = http
        .get(metrics)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        metric(
            &text,
            "releasebot_deliveries_total{event=\"ping\",outcome=\"pong\"}"
        ),
        1,
        "{text}"
    );
    // Orchestrators may probe either port; the metrics port takes no deliveries.
    for probe in ["/healthz", "/readyz", "/livez"] {
        assert_eq!(status(metrics.replace("/metrics", probe)).await, 200);
        assert_eq!(status(webhook.replace("/webhook", probe)).await, 200);
    }
    let misdirected = http
        .post(metrics.replace("/metrics", "/webhook"))
        .header("x-github-event", "ping")
        .body(ping.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(misdirected.status().as_u16(), 404);
    drop(child);
}

#[tokio::test]
async fn a_metrics_address_already_in_use_is_a_start_up_error_reported_with_the_others() {
    let database = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();

    let mut command = serve("http://127.0.0.1:9/", &database.path().join("q.sqlite"));
    command
        .env("RELEASEBOT_METRICS_LISTEN", addr.to_string())
        .env("RELEASEBOT_PRIVATE_KEY", "-----BEGIN NOTHING-----");
    let (code, stderr) = refused(&mut command).await;
    assert_eq!(code, 1, "{stderr}");
    for expected in [
        "releasebot serve cannot start:".to_string(),
        "RELEASEBOT_PRIVATE_KEY: the App's private key is not an RSA key".to_string(),
        format!("RELEASEBOT_METRICS_LISTEN: cannot listen on {addr}: "),
    ] {
        assert!(stderr.contains(&expected), "{expected} in {stderr}");
    }

    let mut malformed = serve("http://127.0.0.1:9/", &database.path().join("q.sqlite"));
    malformed.env("RELEASEBOT_METRICS_LISTEN", "9090");
    let (code, stderr) = refused(&mut malformed).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("RELEASEBOT_METRICS_LISTEN must be an address and port such as 127.0.0.1:9090, not `9090`"),
        "{stderr}"
    );
    drop(taken);
}

// ----- `releasebot healthcheck`, the container's HEALTHCHECK -----

async fn healthcheck(listen: &str) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_releasebot"))
        .arg("healthcheck")
        .env_clear()
        .env("RELEASEBOT_LISTEN", listen)
        .output()
        .await
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_healthcheck_passes_on_a_healthy_server_and_fails_with_the_reason_otherwise() {
    let s = Scenario::mathesar().await;
    let database = tempfile::tempdir().unwrap();
    let db = database.path().join("q.sqlite");
    let (mut child, url) = start(&mut serve(&s.sim.url(), &db)).await;
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches("/webhook")
        .to_string();
    let port = addr.rsplit(':').next().unwrap().to_string();

    // As in the image: the server listens on every address, the check asks the loopback one.
    let (code, stdout, stderr) = healthcheck(&format!("0.0.0.0:{port}")).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout.trim(),
        format!("releasebot healthcheck: http://127.0.0.1:{port}/healthz: ok")
    );

    // The database deleted under the running server: alive, but no delivery could be stored.
    std::fs::remove_file(&db).unwrap();
    let (code, _, stderr) = healthcheck(&addr).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "releasebot healthcheck: http://{addr}/healthz answered 503 Service Unavailable: deliveries cannot be stored"
        )),
        "{stderr}"
    );

    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let (code, _, stderr) = healthcheck(&addr).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "releasebot healthcheck: cannot reach http://{addr}/healthz: "
        )),
        "{stderr}"
    );

    let (code, _, stderr) = healthcheck("localhost").await;
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(
            "RELEASEBOT_LISTEN must be an address and port such as 0.0.0.0:3000, not `localhost`"
        ),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_second_server_on_the_same_sqlite_file_refuses_to_start_and_points_at_postgres() {
    let s = Scenario::mathesar().await;
    let database = tempfile::tempdir().unwrap();
    let db = database.path().join("releasebot.sqlite");
    let (_first, _) = start(&mut serve(&s.sim.url(), &db)).await;

    let (code, stderr) = refused(&mut serve(&s.sim.url(), &db)).await;

    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "RELEASEBOT_DATABASE: the queue database {} is in use by another releasebot serve",
            db.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("RELEASEBOT_DATABASE=postgres://"),
        "{stderr}"
    );
}
