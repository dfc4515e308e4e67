//! `releasebot serve` as users start it, against the floods of issue 24: requests that declare
//! a large body and send none cannot take the body budget, connections stalled mid-body are
//! evicted to make room, and a storage failure under a flood of deliveries costs a few log
//! lines with a count, not one per delivery. Every attack targets 127.0.0.1 and is bounded in
//! count and time; each ends with a real signed delivery (the benchmark's 13.7 KB comment).

use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;

use crate::server::{metric, sign, SECRET};
use crate::server_hostile::{head, server, until_closed, FORGED};

/// A real `issue_comment` delivery, as GitHub sends it (13.7 KB).
const DELIVERY: &[u8] = include_bytes!("../../bench/issue_comment.json");

/// GitHub's largest payload, as a hostile client declares it.
const LARGEST: usize = 25 * 1024 * 1024;

/// Sends a request head declaring `content_length` and the first `sent` bytes of its body, then
/// waits for the server to close the connection; again until `until` (or `rounds` times),
/// as a client that re-sends whenever it is cut off.
async fn hold(addr: String, n: usize, content_length: usize, sent: usize, until: Instant) {
    for round in 0..20 {
        let now = Instant::now();
        if now >= until {
            return;
        }
        let Ok(mut stream) = tokio::net::TcpStream::connect(&addr).await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let request = head(&format!("hold-{n}-{round}"), content_length, FORGED);
        if stream.write_all(request.as_bytes()).await.is_err()
            || stream.write_all(&vec![b' '; sent]).await.is_err()
        {
            continue;
        }
        until_closed(&mut stream, until - now).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_tiny_requests_declaring_25_mib_do_not_keep_signed_deliveries_out() {
    let _turn = crate::harness::HEAVY.lock().await;
    // The default budget (100 MiB): four declared 25 MiB bodies are all of it.
    let s = server(&[]).await;
    let head_bytes = head("hold-0-0", LARGEST, FORGED).len();
    assert!(head_bytes < 300, "a tiny request: {head_bytes} bytes");
    let until = Instant::now() + Duration::from_secs(8);
    let holders: Vec<_> = (0..4)
        .map(|n| tokio::spawn(hold(s.addr.clone(), n, LARGEST, 0, until)))
        .collect();
    // The four have sent their heads.
    tokio::time::sleep(Duration::from_millis(800)).await;

    let mut answers = Vec::new();
    for n in 0..6 {
        let started = Instant::now();
        let (status, answer) = s
            .deliver(&format!("real-{n}"), DELIVERY, &sign(SECRET, DELIVERY))
            .await;
        answers.push((status, started.elapsed(), answer));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    for holder in holders {
        holder.await.unwrap();
    }
    for (status, took, answer) in &answers {
        assert_eq!(*status, 202, "{answer} (answers: {answers:?})");
        assert!(*took < Duration::from_secs(5), "took {took:?}");
    }
    let (_, metrics) = s.get("/metrics").await;
    assert_eq!(
        metric(
            &metrics,
            "releasebot_deliveries_total{event=\"issue_comment\",outcome=\"queued\"}"
        ),
        6,
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnecting_flood_of_stalled_bodies_does_not_keep_a_delivery_or_healthz_out() {
    let _turn = crate::harness::HEAVY.lock().await;
    let s = server(&[("RELEASEBOT_MAX_CONNECTIONS", "20")]).await;
    // Twice the cap, each sending a head and 10 bytes of a 1000-byte body, then nothing; cut
    // off (the body timeout, 10 s), each comes back at once.
    let until = Instant::now() + Duration::from_secs(12);
    let flood: Vec<_> = (0..40)
        .map(|n| tokio::spawn(hold(s.addr.clone(), n, 1000, 10, until)))
        .collect();
    // Past the eviction grace, with the cap reached.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let started = Instant::now();
    let (status, answer) = s.deliver("real-1", DELIVERY, &sign(SECRET, DELIVERY)).await;
    let took = started.elapsed();
    let (health, health_answer) = s.get("/healthz").await;
    let (second, second_answer) = s.deliver("real-2", DELIVERY, &sign(SECRET, DELIVERY)).await;

    assert_eq!(status, 202, "{answer}");
    // Generous: before, the delivery waited for a slot 5 s and was answered 503.
    assert!(took < Duration::from_secs(4), "took {took:?}");
    assert_eq!(health, 200, "{health_answer}");
    assert_eq!(second, 202, "{second_answer}");
    let (_, metrics) = s.get("/metrics").await;
    assert!(
        metric(
            &metrics,
            "releasebot_connections_closed_total{reason=\"evicted_mid_body\"}"
        ) >= 1,
        "stalled bodies made room: {metrics}"
    );
    for attacker in flood {
        attacker.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_database_under_a_flood_of_deliveries_logs_a_few_lines_with_a_count() {
    let _turn = crate::harness::HEAVY.lock().await;
    let s = server(&[]).await;
    let (status, _) = s.deliver("before", DELIVERY, &sign(SECRET, DELIVERY)).await;
    assert_eq!(status, 202);
    s.delete_database();

    // Past one 10 s window, so the count of what was left out is logged.
    let until = Instant::now() + Duration::from_secs(12);
    let senders: Vec<_> = (0..4)
        .map(|n| {
            let url = format!("{}/webhook", s.base);
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let signature = sign(SECRET, DELIVERY);
                let mut refused = 0u64;
                for i in 0..5_000 {
                    if Instant::now() >= until {
                        break;
                    }
                    let answer = http
                        .post(&url)
                        .header("content-type", "application/json")
                        .header("x-github-event", "issue_comment")
                        .header("x-github-delivery", format!("after-{n}-{i}"))
                        .header("x-hub-signature-256", &signature)
                        .body(DELIVERY.to_vec())
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(answer.status().as_u16(), 503);
                    refused += 1;
                }
                refused
            })
        })
        .collect();
    let mut refused = 0;
    for sender in senders {
        refused += sender.await.unwrap();
    }

    let log = s.log();
    let errors: Vec<&str> = log.lines().filter(|l| l.contains("ERROR")).collect();
    eprintln!("{refused} deliveries refused, {} error lines", errors.len());
    assert!(refused >= 50, "a flood: {refused}");
    assert!(
        (1..=6).contains(&errors.len()),
        "a few lines, not one per delivery ({refused}): {} lines, first: {:?}",
        errors.len(),
        &errors[..errors.len().min(8)]
    );
    let counted: u64 = errors
        .iter()
        .filter_map(|l| l.split("suppressed=").nth(1))
        .filter_map(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    assert!(
        counted >= 1,
        "a line says how many were left out: {errors:?}"
    );
    let (_, metrics) = s.get("/metrics").await;
    assert_eq!(
        metric(
            &metrics,
            "releasebot_deliveries_total{event=\"issue_comment\",outcome=\"store_failed\"}"
        ),
        refused,
        "every refusal is counted: {metrics}"
    );
}
