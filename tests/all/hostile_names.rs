//! Names GitHub could never have made, in signed deliveries to `releasebot serve` as users start
//! it: refused at the door with the reason, never stored, never retried, never in a log line of
//! their own or an API path; the deliveries beside them go in.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::harness::*;
use crate::server::{APP_ID, PUBLIC};
use crate::server_process::{serve, start};

/// A delivery's id, body and comment id.
type Delivery = (String, Vec<u8>, u64);

/// Ordinary `/release help` comments' deliveries, and one more edited by `alter` (re-signed, as
/// a sender holding the secret would).
fn deliveries(
    s: &Scenario,
    count: usize,
    alter: impl Fn(&mut serde_json::Value),
) -> (Vec<Delivery>, Delivery) {
    for _ in 0..=count {
        s.sim
            .post_comment(REPO, s.issue, MAINTAINER, "/release help");
    }
    let mut all: Vec<(String, serde_json::Value)> = s
        .sim
        .take_deliveries()
        .into_iter()
        .filter(|d| d.event == "issue_comment")
        .map(|d| (d.id, d.payload))
        .collect();
    let (id, mut odd) = all.pop().unwrap();
    alter(&mut odd);
    let delivery = |id: String, payload: serde_json::Value| {
        let comment = payload["comment"]["id"].as_u64().unwrap();
        (id, serde_json::to_vec(&payload).unwrap(), comment)
    };
    let ordinary = all.into_iter().map(|(id, p)| delivery(id, p)).collect();
    (ordinary, delivery(id, odd))
}

async fn post(url: &str, delivery: &Delivery) -> (u16, String) {
    let (status, _, text) = crate::replicas::deliver_to(url, delivery).await;
    (status, text)
}

/// A NUL in the repository's name once failed a whole PostgreSQL batch: the deliveries stored
/// beside it were answered 503 and lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_in_a_repository_name_is_refused_and_its_neighbours_go_in_on_postgresql() {
    let s = Scenario::mathesar().await;
    s.sim.register_app(APP_ID, PUBLIC, BOT);
    let database = crate::postgres::fresh_database().await;
    let mut command = serve(&s.sim.url(), Path::new("unused"));
    command.env("RELEASEBOT_DATABASE", &database);
    let (_server, url) = start(&mut command).await;
    let (ordinary, odd) = deliveries(&s, 40, |payload| {
        payload["repository"]["full_name"] = "centerofci/math\u{0}esar".into();
    });

    let odd_send = tokio::spawn({
        let url = url.clone();
        async move { post(&url, &odd).await }
    });
    let sends: Vec<_> = ordinary
        .into_iter()
        .map(|delivery| {
            let url = url.clone();
            tokio::spawn(async move { post(&url, &delivery).await.0 })
        })
        .collect();

    let (status, reason) = odd_send.await.unwrap();
    assert_eq!(status, 400, "{reason}");
    assert!(
        reason.contains("is not a GitHub repository name"),
        "{reason}"
    );
    for send in sends {
        assert_eq!(send.await.unwrap(), 202, "every neighbour goes in");
    }
}

/// A newline in the payload's repository name once forged a second log line on every retry,
/// and a `..` walked the API path elsewhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newline_or_dots_in_a_name_fail_the_job_once_with_one_log_line_and_no_api_call() {
    let s = Scenario::mathesar().await;
    s.sim.register_app(APP_ID, PUBLIC, BOT);
    let dir = tempfile::tempdir().unwrap();
    let mut command = serve(&s.sim.url(), &dir.path().join("q.sqlite"));
    command.stderr(Stdio::piped());
    let (mut server, url) = start(&mut command).await;
    let stderr = server.stderr.take().unwrap();
    let (_, forged) = deliveries(&s, 0, |payload| {
        payload["repository"]["name"] = "mathesar\nERROR forged line".into();
    });
    let (_, walked) = deliveries(&s, 0, |payload| {
        payload["repository"]["name"] = "..".into();
        payload["repository"]["full_name"] = "centerofci/mathesar".into();
    });
    s.sim.clear_requests();

    // The headline's full name is GitHub's, so both are stored; their jobs fail for good.
    assert_eq!(post(&url, &forged).await.0, 202);
    assert_eq!(post(&url, &walked).await.0, 202);

    let mut lines = BufReader::new(stderr).lines();
    let mut log = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while let Ok(Ok(Some(line))) = tokio::time::timeout_at(deadline, lines.next_line()).await {
        log.push(line);
    }
    let refused: Vec<&String> = log
        .iter()
        .filter(|l| l.contains("is not a name GitHub makes"))
        .collect();
    assert_eq!(
        refused.len(),
        2,
        "each job fails once, not retried: {log:#?}"
    );
    assert!(
        !log.iter().any(|l| l.starts_with("ERROR forged")),
        "no forged line: {log:#?}"
    );
    assert!(
        s.api_calls().iter().all(|c| !c.contains("..")),
        "{:?}",
        s.api_calls()
    );
}
