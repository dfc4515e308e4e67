//! `releasebot serve` as users start it, against hostile clients and an unlucky operator:
//! slow and idle connections are closed, stalled connections cannot keep a delivery out, forged
//! bodies cannot grow the process without bound, SIGTERM ends with a client stalled, a deleted
//! database acknowledges nothing, a public key or several bad settings stop the start, and what a
//! client sends cannot forge a log line.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::Child;

use crate::harness::*;
use crate::server::{metric, sign, APP_ID, PUBLIC, SECRET};
use crate::server_process::{refused, serve, start};

/// A comment the bot acts on, as far as the webhook can tell.
const COMMENT: &[u8] = br#"{"action":"created","comment":{"body":"/release help"},"issue":{"number":1},"repository":{"full_name":"o/r"}}"#;

pub struct Server {
    pub child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub addr: String,
    pub database: PathBuf,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

/// Runs `releasebot serve` with no workers (deliveries are only stored), its log in a file, and
/// the given settings on top.
pub async fn server(settings: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("releasebot.sqlite");
    let log = dir.path().join("serve.log");
    let mut command = serve("http://127.0.0.1:9", &database);
    command
        .env("RELEASEBOT_WORKERS", "0")
        .stderr(std::fs::File::create(&log).unwrap());
    for (key, value) in settings {
        command.env(key, value);
    }
    let (child, url) = start(&mut command).await;
    let base = url.trim_end_matches("/webhook").to_string();
    let addr = base.trim_start_matches("http://").to_string();
    Server {
        child,
        base,
        addr,
        database,
        log,
        _dir: dir,
    }
}

impl Server {
    pub async fn deliver(&self, delivery: &str, body: &[u8], signature: &str) -> (u16, String) {
        let response = reqwest::Client::new()
            .post(format!("{}/webhook", self.base))
            .header("content-type", "application/json")
            .header("x-github-event", "issue_comment")
            .header("x-github-delivery", delivery)
            .header("x-hub-signature-256", signature)
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let response = reqwest::get(format!("{}{path}", self.base)).await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// Deletes the queue database (and its WAL) under the running server.
    pub fn delete_database(&self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.database.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }

    pub async fn connect(&self) -> TcpStream {
        TcpStream::connect(&self.addr).await.unwrap()
    }

    fn terminate(&self) {
        let pid = self.child.id().unwrap().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(sent.success());
    }
}

/// What the server sends on the connection until it closes it (or `limit` passes: `None`).
pub async fn until_closed(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(limit, async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    read.ok()
        .map(|()| String::from_utf8_lossy(&received).into_owned())
}

pub fn head(delivery: &str, content_length: usize, signature: &str) -> String {
    format!(
        "POST /webhook HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\nx-github-event: issue_comment\r\nx-github-delivery: {delivery}\r\nx-hub-signature-256: {signature}\r\ncontent-length: {content_length}\r\n\r\n"
    )
}

pub const FORGED: &str = "sha256=0000000000000000000000000000000000000000000000000000000000000000";

// ----- 1. timeouts -----

#[tokio::test]
async fn slow_headers_a_slow_body_and_an_idle_connection_are_closed_after_their_timeouts() {
    let s = server(&[
        ("RELEASEBOT_HEADER_TIMEOUT", "1"),
        ("RELEASEBOT_BODY_TIMEOUT", "1"),
        ("RELEASEBOT_IDLE_TIMEOUT", "1"),
    ])
    .await;
    // Each deadline below is far past the 1 s timeouts: a connection still open at it was
    // not closed by them.
    let deadline = Duration::from_secs(8);

    let mut idle = s.connect().await;
    assert_eq!(
        until_closed(&mut idle, deadline).await.as_deref(),
        Some(""),
        "an idle connection is closed without a word"
    );

    // Headers at a byte every 200 ms, for longer than the deadline.
    let mut slow_head = s.connect().await;
    slow_head
        .write_all(b"POST /webhook HTTP/1.1\r\nhost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let (mut reader, mut writer) = slow_head.into_split();
    let dribble = tokio::spawn(async move {
        for _ in 0..60 {
            if writer.write_all(b"x").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let closed = tokio::time::timeout(deadline, async {
        let mut buffer = [0u8; 256];
        loop {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "headers sent a byte at a time are cut off");
    dribble.abort();

    // A body that stops after its first byte.
    let mut slow_body = s.connect().await;
    slow_body
        .write_all(head("slow-body", 1000, FORGED).as_bytes())
        .await
        .unwrap();
    slow_body.write_all(b"{").await.unwrap();
    let answer = until_closed(&mut slow_body, deadline).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains("the body did not arrive within 1 s"),
        "{answer}"
    );

    let (_, metrics) = s.get("/metrics").await;
    assert!(
        metric(
            &metrics,
            "releasebot_connections_closed_total{reason=\"idle_timeout\"}"
        ) >= 1,
        "{metrics}"
    );
    assert_eq!(
        metric(
            &metrics,
            "releasebot_connections_closed_total{reason=\"header_timeout\"}"
        ),
        1,
        "{metrics}"
    );
    assert_eq!(
        metric(
            &metrics,
            "releasebot_deliveries_total{event=\"unverified\",outcome=\"body_timeout\"}"
        ),
        1
    );
}

#[tokio::test]
async fn stalled_connections_past_the_cap_do_not_keep_a_real_delivery_out() {
    let s = server(&[
        ("RELEASEBOT_MAX_CONNECTIONS", "20"),
        // The stalled connections are not cleaned up by the timeouts during this test.
        ("RELEASEBOT_HEADER_TIMEOUT", "120"),
        ("RELEASEBOT_IDLE_TIMEOUT", "120"),
    ])
    .await;
    let mut stalled = Vec::new();
    for _ in 0..40 {
        let mut stream = s.connect().await;
        let _ = stream.write_all(b"POST /webhook HTTP/1.1\r\n").await;
        stalled.push(stream);
    }
    // The attacker has held them a moment: a connection stalled for less than the grace is
    // not closed to make room.
    tokio::time::sleep(releasebot::server::http::EVICTION_GRACE + Duration::from_millis(500)).await;

    let started = Instant::now();
    let (status, answer) = s.deliver("real-1", COMMENT, &sign(SECRET, COMMENT)).await;
    let took = started.elapsed();

    assert_eq!(status, 202, "{answer}");
    // The issue asks for "within a second"; 5 s leaves room for a loaded test machine while
    // still failing the old behaviour (minutes).
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(s.get("/healthz").await.0, 200);
    let (_, metrics) = s.get("/metrics").await;
    assert!(
        metric(
            &metrics,
            "releasebot_connections_closed_total{reason=\"evicted\"}"
        ) >= 20,
        "the longest-stalled connections made room: {metrics}"
    );
    assert!(
        metric(&metrics, "releasebot_connections_open") <= 20,
        "{metrics}"
    );
    drop(stalled);
}

// ----- 2. bodies held at once -----

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Sends a 25 MiB body with a wrong signature; returns the status line, if one came back.
async fn forged_25_mib(addr: String, n: usize) -> Option<String> {
    const SIZE: usize = 25 * 1024 * 1024;
    let stream = TcpStream::connect(&addr).await.ok()?;
    let (mut reader, mut writer) = stream.into_split();
    let sending = tokio::spawn(async move {
        writer
            .write_all(head(&format!("forged-{n}"), SIZE, FORGED).as_bytes())
            .await?;
        let chunk = vec![b' '; 256 * 1024];
        for _ in 0..SIZE / chunk.len() {
            writer.write_all(&chunk).await?;
        }
        Ok::<_, std::io::Error>(writer)
    });
    let mut answer = Vec::new();
    let mut buffer = [0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(120), async {
        while !answer.windows(2).any(|w| w == b"\r\n") {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    sending.abort();
    read.ok()?;
    let text = String::from_utf8_lossy(&answer);
    text.lines().next().map(str::to_string)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_forged_25_mib_bodies_keep_the_process_under_its_memory_bound() {
    // The budget holds one largest delivery at a time (the minimum the setting allows).
    let s = server(&[("RELEASEBOT_BODY_BUDGET_MB", "30")]).await;
    let pid = s.child.id().unwrap();
    let before = rss_kb(pid);

    let clients: Vec<_> = (0..40)
        .map(|n| tokio::spawn(forged_25_mib(s.addr.clone(), n)))
        .collect();
    let mut peak = before;
    let mut answers = Vec::new();
    for client in clients {
        while !client.is_finished() {
            peak = peak.max(rss_kb(pid));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        answers.push(client.await.unwrap());
    }
    peak = peak.max(rss_kb(pid));

    // The bound: the 30 MiB budget, plus the process and its buffers, well under the gigabyte
    // the same attack took before.
    const BOUND_KB: u64 = 160 * 1024;
    eprintln!("forged bodies: VmRSS {before} kB before, peak {peak} kB");
    assert!(
        peak < BOUND_KB,
        "peak VmRSS {peak} kB (started at {before} kB)"
    );
    let statuses: Vec<&str> = answers.iter().flatten().map(String::as_str).collect();
    assert!(
        statuses
            .iter()
            .all(|s| s.starts_with("HTTP/1.1 401") || s.starts_with("HTTP/1.1 503")),
        "{statuses:?}"
    );
    assert!(
        statuses.iter().any(|s| s.starts_with("HTTP/1.1 503")),
        "the budget refused some: {statuses:?}"
    );
    let (status, answer) = s.deliver("real-1", COMMENT, &sign(SECRET, COMMENT)).await;
    assert_eq!(status, 202, "{answer}");
    let (_, metrics) = s.get("/metrics").await;
    assert!(
        metric(
            &metrics,
            "releasebot_deliveries_total{event=\"unverified\",outcome=\"busy\"}"
        ) >= 1,
        "{metrics}"
    );
}

// ----- 3. shutdown -----

#[tokio::test]
async fn sigterm_with_stalled_clients_answers_the_request_in_flight_and_exits_within_the_deadline()
{
    let mut s = server(&[
        ("RELEASEBOT_SHUTDOWN_TIMEOUT", "5"),
        ("RELEASEBOT_HEADER_TIMEOUT", "120"),
        ("RELEASEBOT_BODY_TIMEOUT", "120"),
        ("RELEASEBOT_IDLE_TIMEOUT", "120"),
    ])
    .await;
    let mut idle = s.connect().await;
    let mut half_head = s.connect().await;
    half_head
        .write_all(b"POST /webhook HTTP/1.1\r\n")
        .await
        .unwrap();
    let mut half_body = s.connect().await;
    half_body
        .write_all(head("in-flight", 1000, &sign(SECRET, COMMENT)).as_bytes())
        .await
        .unwrap();
    half_body.write_all(&COMMENT[..10]).await.unwrap();
    // The server has every one of them (and this request) before it is told to stop.
    for _ in 0..200 {
        let (_, metrics) = s.get("/metrics").await;
        if metric(&metrics, "releasebot_connections_open") >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    s.terminate();

    // Generous against the 5 s deadline; before, the process never exited while a client
    // stalled.
    let limit = Duration::from_secs(20);
    let answer = until_closed(&mut half_body, limit).await.unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 503"),
        "{answer:?} (server: {:?})\nlog:\n{}",
        s.child.try_wait(),
        s.log()
    );
    assert!(answer.contains("shutting down"), "{answer}");
    assert_eq!(until_closed(&mut idle, limit).await.as_deref(), Some(""));
    assert!(until_closed(&mut half_head, limit).await.is_some());
    let status = tokio::time::timeout(limit, s.child.wait())
        .await
        .expect("the server exits with clients still connected")
        .unwrap();
    assert!(status.success(), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_answers_every_request_it_received_and_stores_every_202() {
    let mut s = server(&[("RELEASEBOT_SHUTDOWN_TIMEOUT", "5")]).await;
    let http = reqwest::Client::new();
    let url = format!("{}/webhook", s.base);
    let signature = sign(SECRET, COMMENT);
    let sends: Vec<_> = (0..300)
        .map(|n| {
            let (http, url, signature) = (http.clone(), url.clone(), signature.clone());
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(2 * n)).await;
                let id = format!("load-{n}");
                let answer = http
                    .post(url)
                    .header("content-type", "application/json")
                    .header("x-github-event", "issue_comment")
                    .header("x-github-delivery", &id)
                    .header("x-hub-signature-256", signature)
                    .body(COMMENT.to_vec())
                    .send()
                    .await;
                (id, answer.map(|r| r.status().as_u16()))
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(250)).await;

    s.terminate();

    let mut acknowledged = Vec::new();
    let mut refused = 0;
    for send in sends {
        let (id, answer) = send.await.unwrap();
        match answer {
            Ok(202) => acknowledged.push(id),
            Ok(503) => refused += 1,
            Ok(other) => panic!("{id}: {other}"),
            // Once the listener is closed a new connection is refused: nothing was sent.
            Err(error) => assert!(error.is_connect(), "{id} dropped unanswered: {error:?}"),
        }
    }
    let status = tokio::time::timeout(Duration::from_secs(30), s.child.wait())
        .await
        .expect("the server exits")
        .unwrap();
    assert!(status.success(), "{status:?}");
    assert!(!acknowledged.is_empty());
    let database = rusqlite::Connection::open(&s.database).unwrap();
    let stored: Vec<String> = database
        .prepare("SELECT delivery_id FROM deliveries")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for id in &acknowledged {
        assert!(stored.contains(id), "{id} was acknowledged but not stored");
    }
    eprintln!(
        "SIGTERM under load: {} acknowledged and stored, {refused} refused with 503",
        acknowledged.len()
    );
}

// ----- 4 and 6. a deleted database; what /healthz says -----

#[tokio::test]
async fn a_deleted_database_acknowledges_nothing_more_and_healthz_fails() {
    let s = server(&[]).await;
    assert_eq!(s.get("/healthz").await.0, 200);
    let (status, _) = s.deliver("before", COMMENT, &sign(SECRET, COMMENT)).await;
    assert_eq!(status, 202);

    s.delete_database();

    for n in 0..5 {
        let (status, answer) = s
            .deliver(&format!("after-{n}"), COMMENT, &sign(SECRET, COMMENT))
            .await;
        assert_eq!(status, 503, "{answer}");
        assert!(
            answer.contains("was deleted while the server ran"),
            "{answer}"
        );
    }
    // The public port says what fails; where the database is, the log says.
    let (status, answer) = s.get("/healthz").await;
    assert_eq!(status, 503, "{answer}");
    assert!(
        answer.starts_with("deliveries cannot be stored"),
        "{answer}"
    );
    assert!(!answer.contains(&*s.database.to_string_lossy()), "{answer}");
    assert_eq!(s.get("/livez").await.0, 200, "alive, not ready");
    assert!(
        s.log().contains("queue write failed"),
        "an error is logged: {}",
        s.log()
    );
}

#[tokio::test]
async fn healthz_fails_while_github_refuses_the_apps_jwt() {
    let s = Scenario::mathesar().await;
    // The App GitHub knows is 4242; this server says it is another App.
    s.sim.register_app(APP_ID, PUBLIC, BOT);
    let dir = tempfile::tempdir().unwrap();
    let mut command = serve(&s.sim.url(), &dir.path().join("q.sqlite"));
    command.env("RELEASEBOT_APP_ID", (APP_ID + 1).to_string());
    let (_child, url) = start(&mut command).await;
    let health = url.replace("/webhook", "/healthz");
    assert_eq!(reqwest::get(&health).await.unwrap().status().as_u16(), 200);
    s.sim.set_webhook_target(&url, SECRET);

    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release help");

    let mut answer = (0, String::new());
    for _ in 0..200 {
        let response = reqwest::get(&health).await.unwrap();
        answer = (response.status().as_u16(), response.text().await.unwrap());
        if answer.0 == 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(answer.0, 503, "{}", answer.1);
    assert!(
        answer.1.contains("the workers cannot authenticate"),
        "{}",
        answer.1
    );
}

// ----- 5 and 8. start-up -----

#[tokio::test]
async fn a_public_key_given_as_the_private_key_stops_the_start_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = serve("http://127.0.0.1:9", &dir.path().join("q.sqlite"));
    command.env("RELEASEBOT_PRIVATE_KEY", PUBLIC);
    let (code, stderr) = refused(&mut command).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("RELEASEBOT_PRIVATE_KEY: the App's private key is not an RSA key in PEM form: this is a public key"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_bad_key_a_bad_database_and_a_busy_port_are_reported_together_once_each() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut command = serve(
        "http://127.0.0.1:9",
        std::path::Path::new("/nonexistent/dir/q.sqlite"),
    );
    command
        .env("RELEASEBOT_PRIVATE_KEY", "-----BEGIN NOTHING-----")
        .env("RELEASEBOT_LISTEN", busy.local_addr().unwrap().to_string());
    let (code, stderr) = refused(&mut command).await;
    assert_eq!(code, 1, "{stderr}");
    for expected in [
        "releasebot serve cannot start:",
        "RELEASEBOT_PRIVATE_KEY: the App's private key is not an RSA key",
        "RELEASEBOT_DATABASE: the queue database /nonexistent/dir/q.sqlite cannot be opened",
        &format!(
            "RELEASEBOT_LISTEN: cannot listen on {}",
            busy.local_addr().unwrap()
        ),
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in\n{stderr}"
        );
    }
    assert_eq!(
        stderr.matches("cannot be opened").count(),
        1,
        "the database error once: {stderr}"
    );
}

#[tokio::test]
async fn a_one_character_webhook_secret_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = serve("http://127.0.0.1:9", &dir.path().join("q.sqlite"));
    command.env("RELEASEBOT_WEBHOOK_SECRET", "x");
    let (code, stderr) = refused(&mut command).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("RELEASEBOT_WEBHOOK_SECRET is 1 characters"),
        "{stderr}"
    );
}

// ----- 7. logs -----

#[tokio::test]
async fn a_forged_delivery_id_is_logged_quoted_and_a_flood_of_refusals_costs_one_line() {
    let s = server(&[]).await;
    let forged_id = "x status=202 reason=accepted";
    let (status, _) = s.deliver(forged_id, COMMENT, &sign(SECRET, COMMENT)).await;
    assert_eq!(status, 400);
    for n in 0..300 {
        let (status, _) = s.deliver(&format!("flood-{n}"), COMMENT, FORGED).await;
        assert_eq!(status, 401);
    }

    let (_, metrics) = s.get("/metrics").await;
    assert_eq!(
        metric(
            &metrics,
            "releasebot_deliveries_total{event=\"unverified\",outcome=\"unauthorized\"}"
        ),
        300
    );
    let log = s.log();
    let refused: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("delivery refused"))
        .collect();
    assert!(
        (1..=2).contains(&refused.len()),
        "one line per 10 s window: {refused:?}"
    );
    assert!(
        refused[0].contains(r#"delivery="x status=202 reason=accepted""#)
            && refused[0].contains("status=400"),
        "{}",
        refused[0]
    );
}

#[tokio::test]
async fn json_logs_carry_a_forged_delivery_id_as_one_string() {
    let s = server(&[("RELEASEBOT_LOG_FORMAT", "json")]).await;
    let forged_id = "x\" status=202 reason=accepted";
    let (status, _) = s.deliver(forged_id, COMMENT, &sign(SECRET, COMMENT)).await;
    assert_eq!(status, 400);

    let log = s.log();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let refused = lines
        .iter()
        .find(|l| {
            l["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("delivery refused"))
        })
        .unwrap_or_else(|| panic!("{log}"));
    assert_eq!(refused["level"], "WARN");
    assert_eq!(refused["status"], 400);
    assert_eq!(refused["delivery"], format!("{forged_id:?}"));
}

#[tokio::test]
async fn an_unknown_log_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = serve("http://127.0.0.1:9", &dir.path().join("q.sqlite"));
    command.env("RELEASEBOT_LOG_FORMAT", "xml");
    let (code, stderr) = refused(&mut command).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("`text` or `json`, not `xml`"), "{stderr}");
}
