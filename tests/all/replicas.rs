//! Two `releasebot serve` processes sharing one PostgreSQL database, as an App that many
//! organisations install runs behind a load balancer: deliveries spread over both run once
//! each and in order per repository; a replica killed mid-job leaves the job to the other
//! after its lease; a rolling restart under load loses nothing and does nothing twice.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use simulated_github::Fault;
use tokio::process::{Child, Command};

use crate::harness::*;
use crate::server::{sign, APP_ID, PUBLIC, SECRET};
use crate::server_process::{serve, start, the_interrupted_job_opens_the_pull_request_once};

fn replica(sim_url: &str, database: &str) -> Command {
    let mut command = serve(sim_url, Path::new("unused"));
    command
        .env("RELEASEBOT_DATABASE", database)
        .env("RELEASEBOT_WORKERS", "4")
        .env("RELEASEBOT_JOB_LEASE", "3");
    command
}

/// `/release help` comments spread over fifty issues, and their deliveries, not yet sent.
async fn help_comments(s: &Scenario, count: usize) -> Vec<(String, Vec<u8>, u64)> {
    let mut issues = vec![s.issue];
    for n in 1..50 {
        issues.push(
            s.sim
                .create_issue(REPO, MAINTAINER, &format!("Issue {n}"), ""),
        );
    }
    for n in 0..count {
        s.sim
            .post_comment(REPO, issues[n % 50], MAINTAINER, "/release help");
    }
    let deliveries: Vec<_> = s
        .sim
        .take_deliveries()
        .into_iter()
        .filter(|d| d.event == "issue_comment")
        .map(|d| {
            let comment = d.payload["comment"]["id"].as_u64().unwrap();
            (d.id, serde_json::to_vec(&d.payload).unwrap(), comment)
        })
        .collect();
    assert_eq!(deliveries.len(), count);
    s.sim.clear_requests();
    deliveries
}

/// Comment ids in the order the bot reacted to them: one reaction is one run of its job.
fn reactions(s: &Scenario) -> Vec<u64> {
    s.api_calls()
        .iter()
        .filter(|c| c.starts_with("POST ") && c.contains("/reactions"))
        .filter_map(|c| {
            let path = c.split_whitespace().nth(1)?;
            path.strip_suffix("/reactions")?
                .rsplit('/')
                .next()?
                .parse()
                .ok()
        })
        .collect()
}

/// Sends a delivery to the replicas in turn until one acknowledges it, as a load balancer
/// retries a replica that is going away; `Err` when none has after a while.
async fn deliver_to_any(
    http: &reqwest::Client,
    replicas: &Mutex<Vec<String>>,
    turn: usize,
    id: &str,
    body: &[u8],
) -> Result<(), String> {
    for attempt in 0..600 {
        let urls = replicas.lock().unwrap().clone();
        if !urls.is_empty() {
            let url = &urls[(turn + attempt) % urls.len()];
            let sent = http
                .post(url)
                .header("content-type", "application/json")
                .header("x-github-event", "issue_comment")
                .header("x-github-delivery", id)
                .header("x-hub-signature-256", sign(SECRET, body))
                .body(body.to_vec())
                .timeout(Duration::from_secs(10))
                .send()
                .await;
            if let Ok(answer) = sent {
                // 202 queued; 200 already queued (an earlier try was stored, its answer lost).
                if matches!(answer.status().as_u16(), 200 | 202) {
                    return Ok(());
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("no replica acknowledged {id}"))
}

/// Like `eventually`, for the work of hundreds of jobs run one after another.
async fn within(limit: Duration, what: &str, check: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + limit;
    while !check() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after {limit:?} waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn assert_each_ran_once_in_order(ran: &[u64], sent: &[(String, Vec<u8>, u64)]) {
    let expected: Vec<u64> = sent.iter().map(|(_, _, comment)| *comment).collect();
    assert_eq!(
        ran.len(),
        expected.len(),
        "one run per delivery, none twice"
    );
    assert!(
        ran == expected,
        "the repository's jobs ran in the order they were acknowledged"
    );
}

async fn sigterm(child: &mut Child) {
    let pid = child.id().unwrap().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = tokio::time::timeout(Duration::from_secs(40), child.wait())
        .await
        .expect("the replica stops")
        .unwrap();
    assert!(status.success(), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_deliveries_spread_over_two_replicas_run_once_each_in_order() {
    let _turn = crate::harness::HEAVY.lock().await;
    let s = Scenario::mathesar().await;
    s.sim.register_app(APP_ID, PUBLIC, BOT);
    let database = crate::postgres::fresh_database().await;
    let sent = help_comments(&s, 1000).await;
    let (_first, first_url) = start(&mut replica(&s.sim.url(), &database)).await;
    let (_second, second_url) = start(&mut replica(&s.sim.url(), &database)).await;
    let replicas = Mutex::new(vec![first_url, second_url]);
    let http = reqwest::Client::new();

    // One after another, alternating: each delivery is acknowledged before the next is sent,
    // so the order they must run in is the order sent.
    for (n, (id, body, _)) in sent.iter().enumerate() {
        deliver_to_any(&http, &replicas, n, id, body).await.unwrap();
    }

    within(Duration::from_secs(180), "every delivery's job", || {
        reactions(&s).len() >= 1000
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_each_ran_once_in_order(&reactions(&s), &sent);
    let replies = s
        .sim
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/comments") && r.status == 201)
        .count();
    assert_eq!(replies, 1000, "one answer per comment");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_mid_job_leaves_it_to_the_other_after_the_lease() {
    let s = Scenario::mathesar().await;
    s.sim.register_app(APP_ID, PUBLIC, BOT);
    let database = crate::postgres::fresh_database().await;
    // GitHub will not answer the request that opens the pull request.
    s.sim.fail_matching("POST", "/pulls", 1, Fault::Hold);
    let (mut first, first_url) = start(&mut replica(&s.sim.url(), &database)).await;
    s.sim.set_webhook_target(&first_url, SECRET);
    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release 0.1.3");
    eventually("the first replica's job to reach the pull request", || {
        s.sim.held_requests() == 1
    })
    .await;
    let (_second, _) = start(&mut replica(&s.sim.url(), &database)).await;

    first.start_kill().unwrap();
    first.wait().await.unwrap();
    let branch_head = s.sim.refs(REPO)["refs/heads/release/0.1.3"].clone();
    assert!(s.sim.pulls(REPO).is_empty(), "half done");

    // The second replica takes the job over once the first one's lease has run out.
    the_interrupted_job_opens_the_pull_request_once(&s, &branch_head).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_under_load_loses_nothing_and_runs_nothing_twice() {
    let s = Scenario::mathesar().await;
    s.sim.register_app(APP_ID, PUBLIC, BOT);
    let database = crate::postgres::fresh_database().await;
    let sent = help_comments(&s, 400).await;
    let (mut first, first_url) = start(&mut replica(&s.sim.url(), &database)).await;
    let (mut second, second_url) = start(&mut replica(&s.sim.url(), &database)).await;
    let replicas = Arc::new(Mutex::new(vec![first_url.clone(), second_url.clone()]));
    let acknowledged = Arc::new(std::sync::atomic::AtomicUsize::new(0));

    let load = {
        let (replicas, acknowledged, sent) = (
            Arc::clone(&replicas),
            Arc::clone(&acknowledged),
            sent.clone(),
        );
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            for (n, (id, body, _)) in sent.iter().enumerate() {
                deliver_to_any(&http, &replicas, n, id, body).await?;
                acknowledged.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            Ok::<(), String>(())
        })
    };
    let acknowledged_at_least = |n: usize| {
        let acknowledged = Arc::clone(&acknowledged);
        move || acknowledged.load(std::sync::atomic::Ordering::SeqCst) >= n
    };

    // The first replica goes away and comes back, then the second, while deliveries arrive.
    eventually("load on both replicas", acknowledged_at_least(100)).await;
    // Deliveries may be on their way to it: the ones it took are committed before it stops,
    // and the rest go to the other replica (it refuses connections once told to stop).
    sigterm(&mut first).await;
    replicas.lock().unwrap().retain(|u| *u != first_url);
    let (_first_again, url) = start(&mut replica(&s.sim.url(), &database)).await;
    replicas.lock().unwrap().push(url);

    eventually("more load", acknowledged_at_least(220)).await;
    sigterm(&mut second).await;
    replicas.lock().unwrap().retain(|u| *u != second_url);
    let (_second_again, url) = start(&mut replica(&s.sim.url(), &database)).await;
    replicas.lock().unwrap().push(url);

    load.await.unwrap().unwrap();
    within(
        Duration::from_secs(120),
        "every acknowledged delivery's job",
        || reactions(&s).len() >= sent.len(),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_each_ran_once_in_order(&reactions(&s), &sent);
}

/// Sends one delivery to one replica: its status, `Retry-After` and body.
pub async fn deliver_to(
    url: &str,
    (id, body, _): &(String, Vec<u8>, u64),
) -> (u16, String, String) {
    let answer = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("x-github-event", "issue_comment")
        .header("x-github-delivery", id)
        .header("x-hub-signature-256", sign(SECRET, body))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    let retry_after = answer
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, retry_after, answer.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_postgresql_refuses_connections_deliveries_get_503_and_healthz_says_why_then_it_recovers(
) {
    let s = Scenario::mathesar().await;
    s.sim.register_app(APP_ID, PUBLIC, BOT);
    let database = crate::postgres::fresh_database().await;
    let (server, name) = database.rsplit_once('/').unwrap();
    let (admin, connection) =
        tokio_postgres::connect(&format!("{server}/postgres"), tokio_postgres::NoTls)
            .await
            .unwrap();
    tokio::spawn(connection);
    let sent = help_comments(&s, 2).await;
    let (_replica, url) = start(&mut replica(&s.sim.url(), &database)).await;
    assert_eq!(deliver_to(&url, &sent[0]).await.0, 202);

    // The database goes away under the server (a failover, a restart for maintenance).
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {name} ALLOW_CONNECTIONS false;
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
        ))
        .await
        .unwrap();

    let (status, retry_after, reason) = deliver_to(&url, &sent[1]).await;
    assert_eq!((status, retry_after.as_str()), (503, "60"), "{reason}");
    assert!(
        reason.starts_with("the queue could not store the delivery: "),
        "{reason}"
    );
    let health = reqwest::get(url.replace("/webhook", "/healthz"))
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 503);
    let why = health.text().await.unwrap();
    assert!(why.contains("deliveries cannot be stored"), "{why}");

    admin
        .batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .await
        .unwrap();
    // GitHub's "Redeliver" once the server is healthy again: stored, and both jobs run.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while deliver_to(&url, &sent[1]).await.0 != 202 {
        assert!(
            std::time::Instant::now() < deadline,
            "the server never recovered"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    within(Duration::from_secs(60), "both deliveries answered", || {
        sent.iter().all(|delivery| answers(&s, delivery) == 1)
    })
    .await;
    // A job whose completion could not be recorded while the database was away may run again
    // (at least once): what counts is its effects, each made once.
    for delivery in &sent {
        let eyes = s
            .sim
            .reactions(REPO, delivery.2)
            .into_iter()
            .filter(|(who, what)| who == BOT && what == "eyes")
            .count();
        assert_eq!(eyes, 1, "one 👀 on comment {}", delivery.2);
        assert_eq!(
            answers(&s, delivery),
            1,
            "one answer to comment {}",
            delivery.2
        );
    }
}

/// The bot's answers to a delivered comment, on its issue.
fn answers(s: &Scenario, (_, body, comment): &(String, Vec<u8>, u64)) -> usize {
    let payload: serde_json::Value = serde_json::from_slice(body).unwrap();
    let issue = payload["issue"]["number"].as_u64().unwrap();
    s.sim
        .comments(REPO, issue)
        .into_iter()
        .filter(|c| c.author == BOT && releasebot::status::replied_to(&c.body) == Some(*comment))
        .count()
}
