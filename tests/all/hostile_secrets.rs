//! What `releasebot serve` shows of its database to people who should not see it: the log
//! names where the database is, never its password, whatever form the URL takes; the public
//! port's `/healthz` says what fails, and the details are for the metrics listener and the log.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

use crate::harness::*;
use crate::server::{APP_ID, PUBLIC};
use crate::server_process::{serve, start, start_saying};

const PASSWORD: &str = "Sup3rS3cretPassw0rd";

/// Everything a process writes to stderr within `within`.
async fn stderr_for(child: &mut tokio::process::Child, within: Duration) -> String {
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let mut log = String::new();
    let deadline = tokio::time::Instant::now() + within;
    while let Ok(Ok(Some(line))) = tokio::time::timeout_at(deadline, lines.next_line()).await {
        log.push_str(&line);
        log.push('\n');
    }
    log
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgresql_password_given_as_a_parameter_never_reaches_the_log() {
    let s = Scenario::mathesar().await;
    s.sim.register_app(APP_ID, PUBLIC, BOT);
    let database = crate::postgres::fresh_database().await;
    let (server, name) = database.rsplit_once('/').unwrap();
    let with_password = format!("{database}?password={PASSWORD}&application_name=releasebot");
    let mut command = serve(&s.sim.url(), Path::new("unused"));
    command
        .env("RELEASEBOT_DATABASE", &with_password)
        .stderr(Stdio::piped());
    let (mut running, _url) = start(&mut command).await;

    let log = stderr_for(&mut running, Duration::from_secs(2)).await;

    assert!(log.contains("releasebot serve started"), "{log}");
    let host_port = server.rsplit_once('@').map_or(server, |(_, at)| at);
    assert!(
        log.contains(&format!("{host_port}/{name}")),
        "where the database is: {log}"
    );
    assert!(!log.contains(PASSWORD), "{log}");

    // A server that cannot start names where it tried, not the password.
    let unreachable = format!("postgres://releasebot@127.0.0.1:1/none?password={PASSWORD}");
    let mut failing = serve(&s.sim.url(), Path::new("unused"));
    failing
        .env("RELEASEBOT_DATABASE", &unreachable)
        .stderr(Stdio::piped());
    let mut child = failing.spawn().unwrap();
    let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .expect("the server gives up")
        .unwrap();
    assert!(!status.success());
    let mut said = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut said)
        .await
        .unwrap();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut said)
        .await
        .unwrap();
    assert!(said.contains("127.0.0.1:1/none"), "{said}");
    assert!(!said.contains(PASSWORD), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_on_the_public_port_says_what_fails_and_the_metrics_port_says_where() {
    let s = Scenario::mathesar().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("queue.sqlite");
    let mut command = serve(&s.sim.url(), &db);
    command.env("RELEASEBOT_METRICS_LISTEN", "127.0.0.1:0");
    let (_child, said) = start_saying(&mut command, 2).await;
    let public = said[0].replace("/webhook", "/healthz");
    let private = said[1].replace("/metrics", "/healthz");
    for suffix in ["", "-wal", "-shm"] {
        let mut path = db.clone().into_os_string();
        path.push(suffix);
        let _ = std::fs::remove_file(path);
    }
    let get = |url: String| async move {
        let answer = reqwest::get(url).await.unwrap();
        (answer.status().as_u16(), answer.text().await.unwrap())
    };

    let (status, answer) = get(public).await;
    assert_eq!(status, 503, "{answer}");
    assert!(
        answer.starts_with("deliveries cannot be stored"),
        "{answer}"
    );
    assert!(!answer.contains("queue.sqlite"), "{answer}");
    let (status, details) = get(private).await;
    assert_eq!(status, 503, "{details}");
    assert!(details.contains("queue.sqlite"), "{details}");
}
