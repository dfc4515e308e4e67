//! `releasebot serve` over real HTTP, with a real SQLite file and the simulated GitHub: the
//! webhook's checks, redeliveries, faults, an expired token, a burst of deliveries, and a
//! whole release driven by GitHub's own webhooks.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use releasebot::server::queue::Database;
use releasebot::server::settings::{HttpLimits, KeySource, Settings};
use releasebot::server::{self, JobResult, RunningServer, Tuning};
use sha2::Sha256;
use simulated_github::{Fault, MergeMethod, RepoSeed};

use crate::harness::*;

pub const KEY: &str = include_str!("../fixtures/throwaway-app-key.pem");
pub const PUBLIC: &str = include_str!("../fixtures/throwaway-app-key.pub.pem");
pub const APP_ID: u64 = 4242;
pub const SECRET: &str = "It's a Secret to Everybody";

pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The Mathesar scenario with the bot installed as a GitHub App and `serve` running in-process.
pub struct Rig {
    pub s: Scenario,
    pub server: Option<RunningServer>,
    pub webhook: String,
    pub http: reqwest::Client,
    _database: tempfile::TempDir,
}

/// Back-offs and the secondary rate limit's wait in milliseconds, not minutes.
pub fn fast_retries() -> Tuning {
    let mut tuning = Tuning::default();
    tuning.retry.base = Duration::from_millis(50);
    tuning.retry.cap = Duration::from_millis(200);
    tuning.retry.secondary_limit_wait = Duration::from_secs(1);
    tuning.grace = Duration::from_secs(5);
    tuning
}

async fn rig() -> Rig {
    rig_with(4, fast_retries()).await
}

pub async fn rig_with(workers: usize, tuning: Tuning) -> Rig {
    let s = Scenario::mathesar().await;
    s.sim.register_app(APP_ID, PUBLIC, BOT);
    let database = tempfile::tempdir().unwrap();
    let settings = Settings {
        app_id: APP_ID,
        private_key: KeySource::Pem(KEY.to_string()),
        webhook_secret: SECRET.to_string(),
        database: Database::Sqlite(database.path().join("releasebot.sqlite")),
        job_lease: tuning.lease,
        listen: "127.0.0.1:0".parse().unwrap(),
        metrics_listen: None,
        webhook_path: "/webhook".to_string(),
        workers,
        api_url: s.sim.url().trim_end_matches('/').to_string(),
        http: HttpLimits::default(),
    };
    let server = server::start(&settings, tuning).await.unwrap();
    let webhook = format!("http://{}/webhook", server.addr);
    Rig {
        s,
        server: Some(server),
        webhook,
        http: reqwest::Client::new(),
        _database: database,
    }
}

impl Rig {
    /// From now on the simulated GitHub delivers its webhooks to the server, signed.
    pub fn connect_webhooks(&self) {
        self.s.sim.set_webhook_target(&self.webhook, SECRET);
    }

    pub async fn post(
        &self,
        event: &str,
        delivery: &str,
        body: &[u8],
        signature: Option<&str>,
    ) -> (u16, String) {
        let mut request = self
            .http
            .post(&self.webhook)
            .header("content-type", "application/json")
            .header("x-github-event", event)
            .header("x-github-delivery", delivery)
            .body(body.to_vec());
        if let Some(signature) = signature {
            request = request.header("x-hub-signature-256", signature);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    pub async fn deliver_signed(&self, event: &str, delivery: &str, body: &[u8]) -> (u16, String) {
        self.post(event, delivery, body, Some(&sign(SECRET, body)))
            .await
    }

    pub async fn metrics(&self) -> String {
        let url = self.webhook.replace("/webhook", "/metrics");
        self.http
            .get(url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub fn token_requests(&self) -> usize {
        self.s
            .api_calls()
            .iter()
            .filter(|c| c.contains("/access_tokens -> 201"))
            .count()
    }

    pub fn status_of_release(&self) -> String {
        self.s.bot_comments().first().cloned().unwrap_or_default()
    }
}

pub fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.trim().parse::<f64>().ok())
        .unwrap_or(0.0) as u64
}

// ----- the webhook's checks -----

#[tokio::test]
async fn githubs_documented_signature_passes_and_then_the_body_is_judged() {
    let r = rig().await;
    let (status, reason) = r
        .post(
            "push",
            "d-1",
            b"Hello, World!",
            Some("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"),
        )
        .await;
    // Past the signature, "Hello, World!" is refused for what it is: not a JSON object.
    assert_eq!(
        (status, reason.trim()),
        (400, "the body is not a JSON object")
    );
}

#[tokio::test]
async fn a_tampered_or_unsigned_delivery_is_refused_with_401() {
    let r = rig().await;
    let body = br#"{"action":"created"}"#;
    let good = sign(SECRET, body);

    let mut flipped_body = body.to_vec();
    flipped_body[3] ^= 0x01;
    let mut flipped_signature = good.clone().into_bytes();
    let last = flipped_signature.len() - 1;
    flipped_signature[last] = if flipped_signature[last] == b'0' {
        b'1'
    } else {
        b'0'
    };
    let flipped_signature = String::from_utf8(flipped_signature).unwrap();
    let other_secret = sign("not the secret", body);

    for (case, body, signature) in [
        ("flipped body byte", &flipped_body[..], Some(good.as_str())),
        (
            "flipped signature",
            &body[..],
            Some(flipped_signature.as_str()),
        ),
        ("wrong secret", &body[..], Some(other_secret.as_str())),
        ("no signature", &body[..], None),
    ] {
        let (status, reason) = r.post("issue_comment", "d-1", body, signature).await;
        assert_eq!(status, 401, "{case}: {reason}");
    }

    // The SHA-1 header alone is not enough.
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    let sha1 = format!("sha1={}", hex::encode(mac.finalize().into_bytes()));
    let response = r
        .http
        .post(&r.webhook)
        .header("content-type", "application/json")
        .header("x-github-event", "issue_comment")
        .header("x-github-delivery", "d-2")
        .header("x-hub-signature", sha1)
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("X-Hub-Signature alone is not accepted"));

    let metrics = r.metrics().await;
    assert_eq!(
        metric(
            &metrics,
            "releasebot_deliveries_total{event=\"unverified\",outcome=\"unauthorized\"}"
        ),
        5
    );
}

#[tokio::test]
async fn bodies_that_are_empty_too_large_or_not_json_are_refused_with_reasons() {
    let r = rig().await;
    let (status, reason) = r.deliver_signed("push", "d-1", b"").await;
    assert_eq!(
        (status, reason.trim()),
        (400, "the body is not a JSON object")
    );

    let (status, _) = r.deliver_signed("push", "d-2", b"[1, 2, 3]").await;
    assert_eq!(status, 400);

    let too_large = vec![b' '; 25 * 1024 * 1024 + 1];
    let (status, _) = r.deliver_signed("push", "d-3", &too_large).await;
    assert_eq!(status, 413);
    let metrics = r.metrics().await;
    assert_eq!(
        metric(
            &metrics,
            "releasebot_deliveries_total{event=\"unverified\",outcome=\"too_large\"}"
        ),
        1
    );

    let form = b"payload=%7B%7D";
    let response = r
        .http
        .post(&r.webhook)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-github-event", "push")
        .header("x-github-delivery", "d-4")
        .header("x-hub-signature-256", sign(SECRET, form))
        .body(form.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 415);

    let response = r
        .http
        .post(&r.webhook)
        .header("x-github-delivery", "d-5")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert_eq!(
        response.text().await.unwrap().trim(),
        "the X-GitHub-Event header is missing"
    );
}

#[tokio::test]
async fn ping_is_answered_and_events_the_bot_has_no_use_for_are_dropped_with_202() {
    let r = rig().await;
    let (status, _) = r
        .deliver_signed(
            "ping",
            "d-ping",
            br#"{"zen":"Design for failure.","hook_id":1}"#,
        )
        .await;
    assert_eq!(status, 200);
    for (n, (event, body)) in [
        ("star", r#"{"action":"created"}"#),
        ("issues", r#"{"action":"opened"}"#),
        ("installation", r#"{"action":"created"}"#),
        ("issue_comment", r#"{"action":"deleted"}"#),
    ]
    .into_iter()
    .enumerate()
    {
        let (status, answer) = r
            .deliver_signed(event, &format!("d-{n}"), body.as_bytes())
            .await;
        assert_eq!(status, 202, "{event}: {answer}");
        assert!(answer.contains("\"ignored\""), "{answer}");
    }
    let metrics = r.metrics().await;
    assert_eq!(metric(&metrics, "releasebot_queue_depth"), 0);
    let health = r
        .http
        .get(r.webhook.replace("/webhook", "/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
}

// ----- redeliveries -----

#[tokio::test]
async fn a_redelivery_is_answered_200_and_not_queued_again() {
    let r = rig().await;
    r.s.sim
        .post_comment(REPO, r.s.issue, MAINTAINER, "/release help");
    let delivery = r.s.sim.take_deliveries().remove(0);
    let body = serde_json::to_vec(&delivery.payload).unwrap();

    let (first, answer) = r.deliver_signed("issue_comment", &delivery.id, &body).await;
    let (again, _) = r.deliver_signed("issue_comment", &delivery.id, &body).await;

    assert_eq!((first, again), (202, 200));
    assert!(answer.contains(&delivery.id), "{answer}");
    eventually("the help answer", || r.s.bot_comments().len() == 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(r.s.bot_comments().len(), 1);
    let metrics = r.metrics().await;
    assert_eq!(
        metric(
            &metrics,
            "releasebot_deliveries_total{event=\"issue_comment\",outcome=\"duplicate\"}"
        ),
        1
    );
}

#[tokio::test]
async fn the_same_comment_under_two_delivery_ids_is_run_twice_and_answered_once() {
    let r = rig().await;
    r.s.sim
        .post_comment(REPO, r.s.issue, MAINTAINER, "/release 0.1.3");
    let delivery = r.s.sim.take_deliveries().remove(0);
    let body = serde_json::to_vec(&delivery.payload).unwrap();

    let (first, _) = r.deliver_signed("issue_comment", "delivery-a", &body).await;
    let (second, _) = r.deliver_signed("issue_comment", "delivery-b", &body).await;
    assert_eq!((first, second), (202, 202));

    let server = r.server.as_ref().unwrap();
    eventually("both jobs", || server.metrics.jobs_of(JobResult::Done) == 2).await;
    assert_eq!(r.s.branches(), vec!["master", "release/0.1.3"]);
    assert_eq!(r.s.sim.pulls(REPO).len(), 1);
    assert_eq!(r.s.bot_comments().len(), 1, "one status comment");
}

// ----- a release through the server, with GitHub's faults -----

#[tokio::test]
async fn a_whole_release_runs_from_githubs_webhooks() {
    let r = rig().await;
    r.connect_webhooks();
    r.s.sim
        .post_comment(REPO, r.s.issue, MAINTAINER, "/release 0.1.3");
    eventually("the release pull request", || {
        r.s.sim.pulls(REPO).len() == 1
    })
    .await;
    let pull = r.s.sim.pulls(REPO)[0].number;

    r.s.sim
        .merge_pull(REPO, pull, MergeMethod::Merge, MAINTAINER)
        .unwrap();
    eventually("the draft release", || r.s.sim.releases(REPO).len() == 1).await;
    eventually("the images run", || r.s.images_runs().len() == 1).await;
    let run = r.s.images_runs()[0].id;
    r.s.sim.complete_run(REPO, run, "success").unwrap();
    eventually("the images reported on the draft", || {
        r.s.sim.releases(REPO)[0].body.contains("**Images pushed**")
    })
    .await;

    let release = &r.s.sim.releases(REPO)[0];
    assert!(release.draft);
    assert_eq!(release.tag_name, "0.1.3");
    assert!(r.s.sim.refs(REPO).contains_key("refs/tags/0.1.3"));
    assert_eq!(
        r.s.bot_comments().len(),
        1,
        "one status comment, kept up to date"
    );
    r.server.unwrap().shutdown().await.unwrap();
}

#[tokio::test]
async fn two_502s_then_a_rate_limit_then_success_completes_the_job_once() {
    let r = rig().await;
    r.s.sim.fail_next(2, Fault::Status(502));
    r.s.sim.fail_next(
        1,
        Fault::RateLimited {
            retry_after_secs: 1,
        },
    );
    r.s.sim
        .post_comment(REPO, r.s.issue, MAINTAINER, "/release 0.1.3");
    let delivery = r.s.sim.take_deliveries().remove(0);
    let body = serde_json::to_vec(&delivery.payload).unwrap();

    let (status, _) = r.deliver_signed("issue_comment", &delivery.id, &body).await;
    assert_eq!(status, 202);

    let server = r.server.as_ref().unwrap();
    eventually("the job done", || {
        server.metrics.jobs_of(JobResult::Done) == 1
    })
    .await;
    assert_eq!(server.metrics.jobs_of(JobResult::Retry), 2);
    assert_eq!(server.metrics.jobs_of(JobResult::RateLimited), 1);
    assert_eq!(server.metrics.jobs_of(JobResult::Dead), 0);
    assert_eq!(r.s.branches(), vec!["master", "release/0.1.3"]);
    assert_eq!(r.s.sim.pulls(REPO).len(), 1);
    assert_eq!(r.s.bot_comments().len(), 1);
    assert!(
        r.status_of_release()
            .contains(&format!("#{}", r.s.sim.pulls(REPO)[0].number)),
        "{}",
        r.status_of_release()
    );
}

#[tokio::test]
async fn an_expired_installation_token_is_refreshed_and_the_job_goes_on() {
    let r = rig().await;
    r.connect_webhooks();
    r.s.sim
        .post_comment(REPO, r.s.issue, MAINTAINER, "/release help");
    eventually("the first answer", || r.s.bot_comments().len() == 1).await;
    assert_eq!(r.token_requests(), 1);

    // GitHub revokes the token while the bot still holds it as valid for the hour.
    r.s.sim.expire_installation_tokens();
    r.s.sim
        .post_comment(REPO, r.s.issue, MAINTAINER, "/release help");
    eventually("the second answer", || r.s.bot_comments().len() == 2).await;

    assert_eq!(r.token_requests(), 2, "one refresh");
    let server = r.server.as_ref().unwrap();
    assert_eq!(
        server.metrics.jobs_of(JobResult::Retry),
        0,
        "refreshed within the job"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_repository_holds_back_its_own_jobs_only() {
    let r = rig().await;
    const OTHER: &str = "centerofci/mathesar-docs";
    r.s.sim
        .add_repo(RepoSeed::from_dir(OTHER, "master", &mathesar_dir()).unwrap());
    r.s.sim.set_role(OTHER, MAINTAINER, "maintain");
    let other_issue = r.s.sim.create_issue(OTHER, MAINTAINER, "Release 0.1.3", "");
    // GitHub stops answering Mathesar's first write: its job hangs.
    r.s.sim.fail_matching(
        "POST",
        &format!("/repos/{REPO}/issues/comments/"),
        1,
        Fault::Hold,
    );
    r.s.sim.take_deliveries();
    r.connect_webhooks();

    r.s.sim
        .post_comment(REPO, r.s.issue, MAINTAINER, "/release help");
    eventually("Mathesar's job to hang", || r.s.sim.held_requests() == 1).await;
    r.s.sim
        .post_comment(REPO, r.s.issue, MAINTAINER, "/release help");
    r.s.sim
        .post_comment(OTHER, other_issue, MAINTAINER, "/release help");

    let answered_elsewhere = || {
        r.s.sim
            .comments(OTHER, other_issue)
            .iter()
            .any(|c| c.author == BOT)
    };
    eventually("the other repository's answer", answered_elsewhere).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        r.s.bot_comments().is_empty(),
        "Mathesar's second comment waits for its first"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_deliveries_are_all_acknowledged_and_each_processed_once() {
    let _turn = crate::harness::HEAVY.lock().await;
    let r = rig().await;
    // Fifty tracking issues, twenty comments each, so no issue's history grows long.
    let mut issues = vec![r.s.issue];
    for n in 1..50 {
        issues.push(
            r.s.sim
                .create_issue(REPO, MAINTAINER, &format!("Issue {n}"), ""),
        );
    }
    for n in 0..1000 {
        r.s.sim
            .post_comment(REPO, issues[n % 50], MAINTAINER, "/release help");
    }
    let deliveries: Vec<_> =
        r.s.sim
            .take_deliveries()
            .into_iter()
            .filter(|d| d.event == "issue_comment")
            .collect();
    assert_eq!(deliveries.len(), 1000);
    r.s.sim.clear_requests();

    // Many at once, each on its own connection as GitHub sends them, and well within the
    // server's connection cap (512) and the test process's open files (client, server and
    // the simulated GitHub share one descriptor table, 1024 on some CI machines).
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let in_flight = Arc::new(tokio::sync::Semaphore::new(200));
    let mut sends = Vec::new();
    for delivery in deliveries {
        let http = http.clone();
        let url = r.webhook.clone();
        let in_flight = Arc::clone(&in_flight);
        sends.push(tokio::spawn(async move {
            let _slot = in_flight.acquire_owned().await.unwrap();
            let body = serde_json::to_vec(&delivery.payload).unwrap();
            http.post(url)
                .header("content-type", "application/json")
                .header("x-github-event", "issue_comment")
                .header("x-github-delivery", &delivery.id)
                .header("x-hub-signature-256", sign(SECRET, &body))
                .body(body)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .map_err(|e| format!("{e:?}"))
        }));
    }
    let mut accepted = 0;
    let mut failed = Vec::new();
    for send in sends {
        match send.await.unwrap() {
            Ok(202) => accepted += 1,
            Ok(status) => failed.push(format!("answered {status}")),
            Err(error) => failed.push(error),
        }
    }
    assert!(
        failed.is_empty(),
        "{} not acknowledged: {failed:?}",
        failed.len()
    );
    assert_eq!(accepted, 1000, "every delivery acknowledged as new");

    let server = r.server.as_ref().unwrap();
    // A thousand jobs, each reading the ever longer conversation: minutes on a busy CI machine.
    let limit = std::time::Duration::from_secs(300);
    eventually_within("every job", limit, || {
        server.metrics.jobs_of(JobResult::Done) == 1000
    })
    .await;
    // Each run starts by reacting 👀 to its comment: one reaction per comment means one run.
    let reactions =
        r.s.api_calls()
            .iter()
            .filter(|c| c.starts_with("POST") && c.contains("/reactions"))
            .count();
    assert_eq!(reactions, 1000);
    let replies: usize = issues
        .iter()
        .map(|i| {
            r.s.sim
                .comments(REPO, *i)
                .iter()
                .filter(|c| c.author == BOT)
                .count()
        })
        .sum();
    assert_eq!(replies, 1000, "one answer per comment");
    assert_eq!(metric(&r.metrics().await, "releasebot_queue_depth"), 0);
}
