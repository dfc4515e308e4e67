//! The delivery queue's behaviour, one suite run against both backends: SQLite (a file of the
//! test's own) and PostgreSQL (a database of the test's own on the server `postgres.rs`
//! starts). Times are the queue's clock in milliseconds, given by each call.

use std::time::Duration;

use releasebot::server::queue::{
    AfterFailure, Counts, Database, Enqueued, Fenced, NewDelivery, RetryPolicy, Store,
};

const LEASE: Duration = Duration::from_secs(60);

fn delivery(id: &str, repo: &str) -> NewDelivery {
    NewDelivery::new(id, "issue_comment", repo, b"{}", 0)
}

async fn dead_job(queue: &Store, id: &str, body: &[u8]) {
    queue
        .enqueue(id, "issue_comment", "o/r", body, 0)
        .await
        .unwrap();
    let job = queue.claim(0, LEASE).await.unwrap().unwrap();
    queue.give_up(&job, "GitHub answered 422").await.unwrap();
}

/// Each test, once per backend: `$db` is where the queue lives, `$queue` a store opened on it.
macro_rules! on_both_backends {
    ($(async fn $name:ident($db:ident, $queue:ident) $body:block)*) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let dir = tempfile::tempdir().unwrap();
                    let $db = Database::Sqlite(dir.path().join("queue.sqlite"));
                    let $queue = Store::open(&$db, 4).await.unwrap();
                    $body
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let $db = Database::Postgres(crate::postgres::fresh_database().await);
                    let $queue = Store::open(&$db, 4).await.unwrap();
                    $body
                }
            )*
        }
    };
}

on_both_backends! {
    async fn a_redelivery_is_not_queued_again(_db, queue) {
        assert_eq!(
            queue.enqueue("d-1", "issue_comment", "o/r", b"{}", 0).await.unwrap(),
            Enqueued::New
        );
        assert_eq!(
            queue.enqueue("d-1", "issue_comment", "o/r", b"{}", 5).await.unwrap(),
            Enqueued::Duplicate
        );
        assert_eq!(queue.depth().await.unwrap(), 1);
    }

    async fn jobs_of_one_repository_run_in_order_and_others_run_alongside(_db, queue) {
        queue.enqueue("a1", "e", "o/a", b"1", 0).await.unwrap();
        queue.enqueue("a2", "e", "o/a", b"2", 0).await.unwrap();
        queue.enqueue("b1", "e", "o/b", b"3", 0).await.unwrap();

        let first = queue.claim(10, LEASE).await.unwrap().unwrap();
        let second = queue.claim(10, LEASE).await.unwrap().unwrap();
        assert_eq!(
            (first.delivery_id.as_str(), second.delivery_id.as_str()),
            ("a1", "b1")
        );
        assert_eq!(queue.claim(10, LEASE).await.unwrap(), None, "a2 waits for a1");
        queue.complete(&first).await.unwrap();
        assert_eq!(queue.claim(10, LEASE).await.unwrap().unwrap().delivery_id, "a2");
    }

    async fn a_job_claimed_by_a_crashed_worker_is_claimed_again_after_its_lease(db, queue) {
        queue.enqueue("d-1", "issue_comment", "o/r", b"{}", 0).await.unwrap();
        queue.claim(1_000, LEASE).await.unwrap().unwrap();
        // The process dies here: no complete, no fail.
        drop(queue);

        let queue = Store::open(&db, 4).await.unwrap();
        assert_eq!(queue.claim(2_000, LEASE).await.unwrap(), None, "still leased");
        let again = queue.claim(1_000 + 60_000, LEASE).await.unwrap().unwrap();
        assert_eq!((again.delivery_id.as_str(), again.attempts), ("d-1", 2));
    }

    async fn failures_back_off_then_the_job_is_dead_with_its_error(_db, queue) {
        let policy = RetryPolicy {
            max_attempts: 3,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(60),
            ..RetryPolicy::default()
        };
        queue.enqueue("d-1", "e", "o/r", b"{}", 0).await.unwrap();

        let job = queue.claim(0, LEASE).await.unwrap().unwrap();
        assert_eq!(
            queue.fail(&job, "502", 0, &policy, 0.0).await.unwrap(),
            AfterFailure::RetryAt(1_000)
        );
        assert_eq!(queue.claim(999, LEASE).await.unwrap(), None, "not before its time");
        let job = queue.claim(1_000, LEASE).await.unwrap().unwrap();
        assert_eq!(
            queue.fail(&job, "502", 1_000, &policy, 0.0).await.unwrap(),
            AfterFailure::RetryAt(3_000)
        );
        let job = queue.claim(3_000, LEASE).await.unwrap().unwrap();
        assert_eq!(
            queue.fail(&job, "502 again", 3_000, &policy, 0.0).await.unwrap(),
            AfterFailure::Dead
        );

        assert_eq!(
            queue.dead().await.unwrap(),
            vec![("d-1".to_string(), "502 again".to_string())]
        );
        assert_eq!(queue.depth().await.unwrap(), 0);
    }

    async fn a_rate_limited_job_waits_without_using_up_an_attempt(_db, queue) {
        queue.enqueue("d-1", "e", "o/r", b"{}", 0).await.unwrap();
        let job = queue.claim(0, LEASE).await.unwrap().unwrap();
        queue.retry_at(&job, "403 retry-after 1", 1_000).await.unwrap();
        assert_eq!(queue.claim(500, LEASE).await.unwrap(), None);
        let again = queue.claim(1_000, LEASE).await.unwrap().unwrap();
        assert_eq!((again.delivery_id.as_str(), again.attempts), ("d-1", 1));
    }

    async fn a_body_comes_back_exactly_as_it_went_in(_db, queue) {
        let body = include_bytes!("../../bench/issue_comment.json");
        queue.enqueue("d-1", "issue_comment", "o/r", body, 0).await.unwrap();
        let job = queue.claim(0, LEASE).await.unwrap().unwrap();
        assert_eq!(job.body, body.to_vec());
    }

    async fn a_batch_tells_each_delivery_whether_it_was_new(_db, queue) {
        queue.enqueue("d-1", "e", "o/r", b"{}", 0).await.unwrap();
        let stored = queue
            .enqueue_batch(vec![
                delivery("d-1", "o/r"),
                delivery("d-2", "o/r"),
                delivery("d-2", "o/r"),
            ])
            .await
            .unwrap();
        assert_eq!(
            stored.results,
            vec![Enqueued::Duplicate, Enqueued::New, Enqueued::Duplicate]
        );
        assert_eq!(queue.depth().await.unwrap(), 2);
    }

    async fn only_a_repository_that_had_no_work_wakes_the_workers(_db, queue) {
        let first = queue.enqueue_batch(vec![delivery("a1", "o/a")]).await.unwrap();
        assert!(first.new_work, "o/a had nothing to do");
        let behind = queue
            .enqueue_batch(vec![delivery("a2", "o/a"), delivery("a3", "o/a")])
            .await
            .unwrap();
        assert!(!behind.new_work, "queued behind a1: nothing for an idle worker");
        let other = queue
            .enqueue_batch(vec![delivery("a4", "o/a"), delivery("b1", "o/b")])
            .await
            .unwrap();
        assert!(other.new_work, "o/b had nothing to do");
    }

    async fn a_stuck_head_holds_back_only_its_own_repository_however_long_its_backlog(_db, queue) {
        let backlog: Vec<_> = (0..5_000).map(|n| delivery(&format!("a{n}"), "o/a")).collect();
        for chunk in backlog.chunks(500) {
            queue.enqueue_batch(chunk.to_vec()).await.unwrap();
        }
        let head = queue.claim(0, LEASE).await.unwrap().unwrap();
        queue.retry_at(&head, "GitHub unreachable", 60_000).await.unwrap();
        queue.enqueue("b1", "e", "o/b", b"{}", 0).await.unwrap();

        let claimed = queue.claim(1, LEASE).await.unwrap().unwrap();
        assert_eq!(claimed.delivery_id, "b1");
        assert_eq!(queue.claim(1, LEASE).await.unwrap(), None, "o/a waits for a0");
        assert_eq!(queue.claim(60_000, LEASE).await.unwrap().unwrap().delivery_id, "a0");
    }

    async fn claims_released_at_shutdown_run_again(_db, queue) {
        queue.enqueue_batch(vec![delivery("d-1", "o/r")]).await.unwrap();
        queue.claim(0, LEASE).await.unwrap().unwrap();
        assert_eq!(queue.release_claims().await.unwrap(), 1);
        let again = queue.claim(1, LEASE).await.unwrap().unwrap();
        assert_eq!(again.attempts, 2);
        queue.complete(&again).await.unwrap();
        assert_eq!(
            queue.counts().await.unwrap(),
            Counts { done: 1, ..Counts::default() }
        );
    }

    async fn pruning_forgets_old_finished_jobs_only(_db, queue) {
        queue.enqueue("old-done", "e", "o/a", b"{}", 1_000).await.unwrap();
        queue.enqueue("old-dead", "e", "o/b", b"{}", 1_000).await.unwrap();
        queue.enqueue("old-waiting", "e", "o/c", b"{}", 1_000).await.unwrap();
        queue.enqueue("new-done", "e", "o/d", b"{}", 9_000).await.unwrap();
        let done = queue.claim(10_000, LEASE).await.unwrap().unwrap();
        queue.complete(&done).await.unwrap();
        let dead = queue.claim(10_000, LEASE).await.unwrap().unwrap();
        queue.give_up(&dead, "unreadable").await.unwrap();
        let _waiting = queue.claim(10_000, LEASE).await.unwrap().unwrap();
        let recent = queue.claim(10_000, LEASE).await.unwrap().unwrap();
        queue.complete(&recent).await.unwrap();

        assert_eq!(queue.prune_done(5_000).await.unwrap(), 1);
        assert_eq!(
            queue.enqueue("new-done", "e", "o/d", b"{}", 11_000).await.unwrap(),
            Enqueued::Duplicate,
            "a recent delivery is still recognised"
        );
        assert_eq!(
            queue.counts().await.unwrap(),
            Counts { queued: 0, claimed: 1, done: 1, dead: 1 }
        );
    }

    async fn a_worker_whose_lease_ran_out_cannot_record_over_the_next_claim(_db, queue) {
        queue.enqueue("d-1", "e", "o/r", b"{}", 0).await.unwrap();
        let short = Duration::from_millis(100);
        let slow = queue.claim(0, short).await.unwrap().unwrap();
        assert_eq!(queue.claim(50, short).await.unwrap(), None, "still leased");
        let second = queue.claim(100, short).await.unwrap().unwrap();
        assert_ne!(slow.claim_token, second.claim_token);

        assert_eq!(queue.complete(&slow).await.unwrap(), Fenced::Stale);
        assert_eq!(
            queue.counts().await.unwrap(),
            Counts { claimed: 1, ..Counts::default() },
            "the stale completion changed nothing"
        );
        assert_eq!(queue.complete(&second).await.unwrap(), Fenced::Held);
        assert_eq!(
            queue.counts().await.unwrap(),
            Counts { done: 1, ..Counts::default() }
        );
    }

    async fn a_stale_claim_can_neither_fail_nor_give_up_nor_postpone_the_job(_db, queue) {
        let policy = RetryPolicy::default();
        queue.enqueue("d-1", "e", "o/r", b"{}", 0).await.unwrap();
        let stale = queue.claim(0, Duration::from_millis(10)).await.unwrap().unwrap();
        let current = queue.claim(10, LEASE).await.unwrap().unwrap();

        assert_eq!(
            queue.fail(&stale, "502", 10, &policy, 0.0).await.unwrap(),
            AfterFailure::Stale
        );
        assert_eq!(queue.give_up(&stale, "422").await.unwrap(), Fenced::Stale);
        assert_eq!(queue.retry_at(&stale, "403", 99_999).await.unwrap(), Fenced::Stale);
        assert_eq!(queue.dead().await.unwrap(), vec![]);
        assert_eq!(
            queue.fail(&current, "502", 10, &policy, 0.0).await.unwrap(),
            AfterFailure::RetryAt(10 + 4_000),
            "the second attempt's back-off"
        );
        let again = queue.claim(4_010, LEASE).await.unwrap().unwrap();
        assert_eq!((again.attempts, again.claim_token), (3, 3));
    }

    async fn a_released_claim_cannot_be_finished_by_its_old_holder(_db, queue) {
        queue.enqueue("d-1", "e", "o/r", b"{}", 0).await.unwrap();
        let before_restart = queue.claim(0, LEASE).await.unwrap().unwrap();
        queue.release_claims().await.unwrap();
        assert_eq!(queue.complete(&before_restart).await.unwrap(), Fenced::Stale);
        assert_eq!(queue.depth().await.unwrap(), 1, "still waiting to run");
    }

    async fn a_dead_job_lets_its_repositorys_next_job_run_at_once(_db, queue) {
        queue.enqueue("a1", "e", "o/a", b"1", 0).await.unwrap();
        queue.enqueue("a2", "e", "o/a", b"2", 0).await.unwrap();
        let first = queue.claim(0, LEASE).await.unwrap().unwrap();
        assert_eq!(queue.claim(0, LEASE).await.unwrap(), None, "a2 waits for a1");

        assert_eq!(
            queue.give_up(&first, "GitHub answered 422").await.unwrap(),
            Fenced::Held
        );

        assert_eq!(queue.claim(0, LEASE).await.unwrap().unwrap().delivery_id, "a2");
        assert_eq!(
            queue.dead().await.unwrap(),
            vec![("a1".to_string(), "GitHub answered 422".to_string())]
        );
    }

    async fn a_redelivery_of_a_dead_job_queues_it_again_with_the_new_body_and_fresh_attempts(_db, queue) {
        dead_job(&queue, "d-1", b"old").await;

        assert_eq!(
            queue.enqueue("d-1", "issue_comment", "o/r", b"new", 5_000).await.unwrap(),
            Enqueued::Revived
        );
        assert_eq!(
            queue.counts().await.unwrap(),
            Counts { queued: 1, ..Counts::default() }
        );
        assert_eq!(
            queue.enqueue("d-1", "issue_comment", "o/r", b"new", 6_000).await.unwrap(),
            Enqueued::Duplicate,
            "queued again once, not twice"
        );
        let job = queue.claim(5_000, LEASE).await.unwrap().unwrap();
        assert_eq!(
            (job.delivery_id.as_str(), job.body.as_slice(), job.attempts, job.received_ms),
            ("d-1", &b"new"[..], 1, 5_000)
        );
        queue.complete(&job).await.unwrap();
        assert_eq!(
            queue.enqueue("d-1", "issue_comment", "o/r", b"new", 7_000).await.unwrap(),
            Enqueued::Duplicate,
            "a done job is not run again"
        );
        assert_eq!(queue.depth().await.unwrap(), 0);
    }

    async fn a_revived_job_waits_behind_the_jobs_its_repository_received_meanwhile(_db, queue) {
        dead_job(&queue, "d-1", b"{}").await;
        queue.enqueue("d-2", "issue_comment", "o/r", b"{}", 1).await.unwrap();
        let running = queue.claim(1, LEASE).await.unwrap().unwrap();

        let stored = queue
            .enqueue_batch(vec![delivery("d-1", "o/r"), delivery("d-1", "o/r")])
            .await
            .unwrap();

        assert_eq!(stored.results, vec![Enqueued::Revived, Enqueued::Duplicate]);
        assert_eq!(queue.claim(2, LEASE).await.unwrap(), None, "d-2 is still running");
        queue.complete(&running).await.unwrap();
        assert_eq!(queue.claim(2, LEASE).await.unwrap().unwrap().delivery_id, "d-1");
    }

    async fn two_writers_and_four_claimers_at_once_run_every_job_once_in_order(db, queue) {
        // Two writers (the webhooks of two replicas) add one repository's jobs while four
        // workers on two connections claim and finish them, all at the same time.
        let other = Store::open(&db, 4).await.unwrap();
        let mut writers = Vec::new();
        for (w, store) in [queue.clone(), other.clone()].into_iter().enumerate() {
            writers.push(tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for batch in 0..20 {
                    let ids: Vec<String> = (0..10).map(|n| format!("w{w}-{batch}-{n}")).collect();
                    let deliveries = ids.iter().map(|id| delivery(id, "o/r")).collect();
                    store.enqueue_batch(deliveries).await.unwrap();
                    acknowledged.extend(ids);
                }
                acknowledged
            }));
        }
        let mut workers = Vec::new();
        for n in 0..4 {
            let store = if n % 2 == 0 { queue.clone() } else { other.clone() };
            workers.push(tokio::spawn(async move {
                let mut ran = Vec::new();
                let mut idle = 0;
                while idle < 200 {
                    match store.claim(0, LEASE).await.unwrap() {
                        Some(job) => {
                            idle = 0;
                            ran.push((job.seq, job.delivery_id.clone()));
                            assert_eq!(store.complete(&job).await.unwrap(), Fenced::Held);
                        }
                        None => {
                            idle += 1;
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                    }
                }
                ran
            }));
        }
        let mut acknowledged = Vec::new();
        for writer in writers {
            acknowledged.push(writer.await.unwrap());
        }
        let mut ran = Vec::new();
        for worker in workers {
            ran.extend(worker.await.unwrap());
        }
        ran.sort();
        let order: Vec<&str> = ran.iter().map(|(_, id)| id.as_str()).collect();
        assert_eq!(order.len(), 400, "every job ran, none twice");
        let mut unique = order.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 400);
        // Each writer's jobs ran in the order that writer stored them.
        for ids in acknowledged {
            let positions: Vec<usize> = ids
                .iter()
                .map(|id| order.iter().position(|o| o == id).unwrap())
                .collect();
            assert!(positions.windows(2).all(|w| w[0] < w[1]), "out of order");
        }
        assert_eq!(queue.depth().await.unwrap(), 0);
    }
}

/// With PostgreSQL several replicas share the queue: each frees only its own claims.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_shutting_down_frees_its_own_jobs_and_not_another_replicas() {
    let db = Database::Postgres(crate::postgres::fresh_database().await);
    let first = Store::open(&db, 2).await.unwrap();
    let second = Store::open(&db, 2).await.unwrap();
    first.enqueue("a1", "e", "o/a", b"{}", 0).await.unwrap();
    first.enqueue("b1", "e", "o/b", b"{}", 0).await.unwrap();
    let held_by_first = first.claim(0, LEASE).await.unwrap().unwrap();
    let held_by_second = second.claim(0, LEASE).await.unwrap().unwrap();

    assert_eq!(first.release_claims().await.unwrap(), 1);

    let again = second.claim(1, LEASE).await.unwrap().unwrap();
    assert_eq!(again.delivery_id, held_by_first.delivery_id);
    assert_eq!(
        second.complete(&held_by_second).await.unwrap(),
        Fenced::Held
    );
}

#[tokio::test]
async fn a_postgres_server_that_does_not_answer_is_a_clear_error_without_the_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let db = Database::parse(&format!(
        "postgres://bot:s3cret@127.0.0.1:{port}/releasebot"
    ));
    let error = Store::open(&db, 2).await.err().unwrap().to_string();
    assert!(
        error.starts_with(&format!(
            "the PostgreSQL queue at postgres://127.0.0.1:{port}/releasebot cannot be used: "
        )),
        "{error}"
    );
    assert!(error.contains("Connection refused"), "says why: {error}");
    assert!(!error.contains("s3cret"), "{error}");
}
