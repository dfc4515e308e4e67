//! `releasebot serve` when jobs go wrong, over real HTTP with the simulated GitHub: a failure
//! that waiting cannot fix ends the job at once and is told on the issue; a dead delivery runs
//! again when GitHub redelivers it; a run that outlives its lease cannot record a second result;
//! a worker that panics is replaced.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use releasebot::server::{JobObserver, JobReport, JobResult};
use simulated_github::Fault;

use crate::harness::*;
use crate::server::{fast_retries, metric, rig_with, Rig};

/// A person comments on the tracking issue; returns the delivery GitHub would send (id, body).
fn comment(r: &Rig, text: &str) -> (String, Vec<u8>) {
    // The webhooks of the bot's own comments so far are not for this test.
    r.s.sim.take_deliveries();
    r.s.sim.post_comment(REPO, r.s.issue, MAINTAINER, text);
    let delivery = r.s.sim.take_deliveries().remove(0);
    (delivery.id, serde_json::to_vec(&delivery.payload).unwrap())
}

fn told_permanent_failure(r: &Rig) -> Option<String> {
    r.s.bot_comments()
        .into_iter()
        .find(|c| c.starts_with("releasebot could not act on"))
}

fn branch_creations(r: &Rig) -> usize {
    r.s.api_calls()
        .iter()
        .filter(|c| c.starts_with(&format!("POST /repos/{REPO}/git/refs")))
        .count()
}

#[tokio::test]
async fn a_422_fails_the_job_at_once_tells_the_owner_once_and_lets_the_repositorys_next_job_run() {
    let r = rig_with(4, fast_retries()).await;
    r.s.sim
        .fail_matching("POST", "/git/refs", 1, Fault::Status(422));
    let (id, body) = comment(&r, "/release 0.1.3");

    assert_eq!(r.deliver_signed("issue_comment", &id, &body).await.0, 202);

    let server = r.server.as_ref().unwrap();
    eventually("the job to fail for good", || {
        server.metrics.jobs_of(JobResult::Permanent) == 1
    })
    .await;
    assert_eq!(branch_creations(&r), 1, "one attempt, no retries");
    assert_eq!(server.metrics.jobs_of(JobResult::Retry), 0);
    assert_eq!(metric(&r.metrics().await, "releasebot_jobs_dead"), 1);
    // The step's own report says it, once, without calling it temporary.
    let status = r.s.status_comment();
    assert!(
        status.contains(&format!(
            "Release branch: GitHub answered 422 to POST /repos/{REPO}/git/refs"
        )) && status.contains("GitHub refused this, so it will not pass by waiting"),
        "{status}"
    );
    assert!(!status.contains("often temporary"), "{status}");
    assert_eq!(stopped_notices(&r), 1);
    assert_eq!(told_permanent_failure(&r), None, "not told a second time");

    // The repository's next delivery is not held back by the dead one.
    let (id, body) = comment(&r, "/release help");
    assert_eq!(r.deliver_signed("issue_comment", &id, &body).await.0, 202);
    eventually("the help answer", || {
        server.metrics.jobs_of(JobResult::Done) == 1
    })
    .await;
    assert!(
        r.s.bot_comments()
            .last()
            .is_some_and(|c| c.contains("**releasebot commands**")),
        "{:?}",
        r.s.bot_comments()
    );
}

/// A refusal before any release step (the permission check answered 410): nothing told the
/// person yet, so the issue is told what failed and what to do.
#[tokio::test]
async fn a_permanent_failure_before_any_step_is_told_on_the_issue() {
    let r = rig_with(4, fast_retries()).await;
    r.s.sim
        .fail_matching("GET", "/permission", 1, Fault::Status(410));
    let (id, body) = comment(&r, "/release 0.1.3");

    assert_eq!(r.deliver_signed("issue_comment", &id, &body).await.0, 202);

    let server = r.server.as_ref().unwrap();
    eventually("the issue to be told", || {
        told_permanent_failure(&r).is_some()
    })
    .await;
    // The notice is written before the job is recorded as failed for good.
    eventually("the job to be permanent", || {
        server.metrics.jobs_of(JobResult::Permanent) == 1
    })
    .await;
    let told = told_permanent_failure(&r).unwrap();
    assert!(told.contains("GitHub answered 410 to GET"), "{told}");
    assert!(told.contains("`releasebot manifest`"), "{told}");
}

#[tokio::test]
async fn a_delivery_dead_of_a_permanent_error_runs_again_when_redelivered_after_the_fix() {
    let r = rig_with(4, fast_retries()).await;
    r.s.sim
        .fail_matching("POST", "/git/refs", 1, Fault::Status(422));
    let (id, body) = comment(&r, "/release 0.1.3");
    r.deliver_signed("issue_comment", &id, &body).await;
    let server = r.server.as_ref().unwrap();
    eventually("the job to fail for good", || {
        server.metrics.jobs_of(JobResult::Permanent) == 1
    })
    .await;
    assert!(r.s.sim.pulls(REPO).is_empty());

    // The cause is gone (the fault was one call); a person presses "Redeliver" on GitHub.
    let (status, answer) = r.deliver_signed("issue_comment", &id, &body).await;

    assert_eq!(status, 202, "{answer}");
    assert!(answer.contains("queued again"), "{answer}");
    eventually("the redelivered job done", || {
        server.metrics.jobs_of(JobResult::Done) == 1
    })
    .await;
    assert_eq!(r.s.branches(), vec!["master", "release/0.1.3"]);
    assert_eq!(r.s.sim.pulls(REPO).len(), 1);
    let metrics = r.metrics().await;
    assert_eq!(metric(&metrics, "releasebot_jobs_dead"), 0);
    assert_eq!(
        metric(
            &metrics,
            "releasebot_deliveries_total{event=\"issue_comment\",outcome=\"requeued\"}"
        ),
        1
    );

    // Once done, a redelivery is the no-op it always was.
    let (status, _) = r.deliver_signed("issue_comment", &id, &body).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_outlives_its_lease_is_fenced_off_and_the_job_has_one_result() {
    let mut tuning = fast_retries();
    tuning.lease = Duration::from_millis(500);
    let r = rig_with(2, tuning).await;
    // GitHub is slow to answer the job's 👀 reaction: that run outlives its lease, and the other
    // worker takes the job over.
    r.s.sim
        .fail_matching("POST", "/reactions", 1, Fault::Delay { millis: 3_000 });
    let (id, body) = comment(&r, "/release help");

    assert_eq!(r.deliver_signed("issue_comment", &id, &body).await.0, 202);

    let server = r.server.as_ref().unwrap();
    eventually("both runs to end", || {
        server.metrics.jobs_of(JobResult::Stale) == 1
            && server.metrics.jobs_of(JobResult::Done) == 1
    })
    .await;
    assert_eq!(
        server.metrics.jobs_of(JobResult::Done),
        1,
        "one result recorded"
    );
    let metrics = r.metrics().await;
    assert_eq!(metric(&metrics, "releasebot_queue_depth"), 0);
    assert_eq!(metric(&metrics, "releasebot_jobs_dead"), 0);
}

#[tokio::test]
async fn a_worker_that_panics_is_replaced_and_the_pool_keeps_its_size() {
    let reports: Arc<Mutex<Vec<JobReport>>> = Arc::default();
    let panicked = Arc::new(AtomicBool::new(false));
    let mut tuning = fast_retries();
    let (seen, once) = (Arc::clone(&reports), Arc::clone(&panicked));
    // The observer runs on the worker: its panic stands for any bug in the worker's own loop.
    tuning.observer = Some(JobObserver(Arc::new(move |report| {
        seen.lock().unwrap().push(report.clone());
        if !once.swap(true, Ordering::SeqCst) {
            panic!("a bug in the worker loop");
        }
    })));
    let r = rig_with(1, tuning).await;
    let server = r.server.as_ref().unwrap();

    let (id, body) = comment(&r, "/release help");
    r.deliver_signed("issue_comment", &id, &body).await;
    eventually("the only worker replaced", || {
        server.metrics.worker_restarts() == 1
    })
    .await;
    let (id, body) = comment(&r, "/release help");
    r.deliver_signed("issue_comment", &id, &body).await;
    eventually("the second job run by the new worker", || {
        reports.lock().unwrap().len() == 2
    })
    .await;

    let results: Vec<JobResult> = reports.lock().unwrap().iter().map(|r| r.result).collect();
    assert_eq!(results, vec![JobResult::Done, JobResult::Done]);
    assert_eq!(r.s.bot_comments().len(), 2, "each comment answered once");
    assert_eq!(
        metric(&r.metrics().await, "releasebot_worker_restarts_total"),
        1
    );
}

fn stopped_notices(r: &Rig) -> usize {
    r.s.bot_comments()
        .iter()
        .filter(|c| c.starts_with(&format!("@{MAINTAINER}, release 0.1.3 stopped")))
        .count()
}

/// A 502 the queue's next attempt cures: the owner is not told the release stopped.
#[tokio::test]
async fn a_502_that_the_next_attempt_cures_tells_the_owner_nothing() {
    let r = rig_with(4, fast_retries()).await;
    r.s.sim
        .fail_matching("POST", "/git/refs", 1, Fault::Status(502));
    let (id, body) = comment(&r, "/release 0.1.3");

    assert_eq!(r.deliver_signed("issue_comment", &id, &body).await.0, 202);

    let server = r.server.as_ref().unwrap();
    eventually("the retried job to succeed", || {
        server.metrics.jobs_of(JobResult::Done) == 1
    })
    .await;
    assert_eq!(server.metrics.jobs_of(JobResult::Retry), 1);
    assert_eq!(stopped_notices(&r), 0, "{:?}", r.s.bot_comments());
    assert_eq!(told_permanent_failure(&r), None);
    let status = r.s.status_comment();
    assert!(status.contains("- [x] Pull request [#"), "{status}");
    assert!(!status.contains("❌"), "{status}");
}

/// A 502 on every attempt: shown in the status while the queue tries, told once when it gives up.
#[tokio::test]
async fn a_502_on_every_attempt_is_told_once_when_the_queue_gives_up() {
    let mut tuning = fast_retries();
    tuning.retry.max_attempts = 3;
    let r = rig_with(4, tuning).await;
    r.s.sim
        .fail_matching("POST", "/git/refs", 100, Fault::Status(502));
    let (id, body) = comment(&r, "/release 0.1.3");

    assert_eq!(r.deliver_signed("issue_comment", &id, &body).await.0, 202);

    let server = r.server.as_ref().unwrap();
    eventually("the issue to be told", || {
        told_permanent_failure(&r).is_some()
    })
    .await;
    assert_eq!(branch_creations(&r), 3, "every attempt");
    let told = told_permanent_failure(&r).unwrap();
    assert!(told.contains("it failed on every attempt"), "{told}");
    assert!(told.contains("GitHub answered 502"), "{told}");
    assert_eq!(stopped_notices(&r), 0, "told once, by the queue");
    let status = r.s.status_comment();
    assert!(
        status.contains("releasebot tries again by itself"),
        "{status}"
    );
    eventually("the job to be dead", || {
        server.metrics.jobs_of(JobResult::Dead) == 1
    })
    .await;
}
