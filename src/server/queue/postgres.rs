//! The PostgreSQL backend: one database shared by any number of `serve` replicas.
//!
//! - Dedup by delivery id is the table's unique index: two replicas given the same delivery
//!   store it once.
//! - Per-repository order across replicas: every transaction that adds a repository's jobs or
//!   moves its head takes that repository's advisory lock first, so sequence numbers are handed
//!   out in commit order within a repository and the head is never moved past a job being
//!   added.
//! - Claims take the oldest runnable head `FOR UPDATE SKIP LOCKED`: replicas claiming at once
//!   take different jobs and never wait on each other. The heads are read first, as an array
//!   the jobs' primary key is probed with, so no plan can scan the backlog behind them.
//! - Workers wake on `NOTIFY releasebot_jobs`, sent in the transaction that gives a repository
//!   a runnable head (delivered on commit, to every replica).
//! - Each claim records the replica that holds it, so a replica shutting down frees its own
//!   jobs and no one else's; a replica that dies leaves them to their lease.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use futures_util::StreamExt as _;
use tokio::sync::Notify;
use tokio_postgres::{AsyncMessage, NoTls};

use super::seam::{Backend, Call, Writer};
use super::{
    fenced, unpack, Counts, Enqueued, Fenced, Final, Job, NewDelivery, QueueError, Stored, Ticket,
};

/// The channel workers listen on.
pub const CHANNEL: &str = "releasebot_jobs";

/// Versioned steps, run in order, once, under a lock that keeps replicas starting together from
/// running them twice.
const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE releasebot_deliveries (
    seq           BIGSERIAL PRIMARY KEY,
    delivery_id   TEXT NOT NULL UNIQUE,
    event         TEXT NOT NULL,
    repo          TEXT NOT NULL,
    body          BYTEA NOT NULL,
    encoding      TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'queued',
    attempts      INTEGER NOT NULL DEFAULT 0,
    not_before    BIGINT NOT NULL DEFAULT 0,
    claimed_until BIGINT NOT NULL DEFAULT 0,
    claimed_by    TEXT,
    last_error    TEXT,
    received_at   BIGINT NOT NULL,
    claim_token   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX releasebot_deliveries_unfinished ON releasebot_deliveries (repo, seq)
    WHERE state IN ('queued', 'claimed');
CREATE INDEX releasebot_deliveries_state ON releasebot_deliveries (state, received_at);
CREATE TABLE releasebot_heads (repo TEXT PRIMARY KEY, seq BIGINT NOT NULL);
CREATE TABLE releasebot_health (replica TEXT PRIMARY KEY, at BIGINT NOT NULL);
",
    "
-- Bodies come LZ4-compressed and a delivery's row fits a page: kept in the row, not moved to
-- the TOAST table and compressed a second time.
ALTER TABLE releasebot_deliveries SET (toast_tuple_target = 8160);
ALTER TABLE releasebot_deliveries ALTER COLUMN body SET STORAGE EXTERNAL;
",
];

/// Any fixed number: the advisory lock migrations run under.
const MIGRATION_LOCK: i64 = 0x0072_656c_6561_7365;

/// Where a PostgreSQL URL points, as `postgres://host:port/database`, for logs and errors: no
/// user, no password, whatever form the URL takes.
pub fn without_password(url: &str) -> String {
    let Ok(parsed) = url::Url::parse(url) else {
        return "a PostgreSQL URL that cannot be read".to_string();
    };
    // Only where the database is: host, port and name, whichever form gives them. The user,
    // the password (`user:pass@` or `?password=`) and every other parameter stay out.
    let param = |name: &str| {
        parsed
            .query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    let host = param("host")
        .or_else(|| parsed.host_str().map(str::to_string))
        .unwrap_or_else(|| "localhost".into());
    let port = param("port")
        .or_else(|| parsed.port().map(|p| p.to_string()))
        .unwrap_or_else(|| "5432".into());
    let database = param("dbname")
        .or_else(|| {
            let path = parsed.path().trim_start_matches('/');
            (!path.is_empty()).then(|| path.to_string())
        })
        .unwrap_or_default();
    let shown = format!("postgres://{host}:{port}/{database}");
    // A value that smuggles control characters is not shown as written either.
    shown.escape_debug().collect()
}

#[derive(Clone)]
pub struct PgQueue {
    pool: Pool,
    config: tokio_postgres::Config,
    /// This process, as recorded on the claims it holds.
    replica: Arc<str>,
    shown: Arc<str>,
}

impl PgQueue {
    /// Connects (checking the server answers) and brings the schema up to date.
    pub async fn open(url: &str, connections: usize) -> Result<PgQueue, QueueError> {
        let shown: Arc<str> = without_password(url).into();
        let cannot = |cause: String| QueueError::Connect {
            at: shown.to_string(),
            cause,
        };
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|error: tokio_postgres::Error| cannot(error.to_string()))?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(connections.max(2))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(10)))
            .create_timeout(Some(Duration::from_secs(10)))
            .build()
            .map_err(|error| cannot(error.to_string()))?;
        let queue = PgQueue {
            pool,
            config,
            replica: replica_id().into(),
            shown: Arc::clone(&shown),
        };
        queue.migrate().await.map_err(|error| match error {
            QueueError::Postgres(detail) => cannot(detail),
            other => cannot(other.to_string()),
        })?;
        Ok(queue)
    }

    /// Who this process is on the claims it holds.
    pub fn replica(&self) -> &str {
        &self.replica
    }

    async fn migrate(&self) -> Result<(), QueueError> {
        let mut client = self.pool.get().await?;
        let transaction = client.transaction().await?;
        transaction
            .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        transaction
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS releasebot_migrations (version INTEGER PRIMARY KEY)",
            )
            .await?;
        let done: i64 = transaction
            .query_one("SELECT COUNT(*) FROM releasebot_migrations", &[])
            .await?
            .get(0);
        for (version, step) in MIGRATIONS.iter().enumerate().skip(done as usize) {
            transaction.batch_execute(step).await?;
            transaction
                .execute(
                    "INSERT INTO releasebot_migrations (version) VALUES ($1)",
                    &[&(version as i32 + 1)],
                )
                .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// A small write committed like a delivery: fails when the database cannot take writes.
    pub async fn probe(&self, now_ms: i64) -> Result<(), QueueError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "INSERT INTO releasebot_health (replica, at) VALUES ($1, $2)
                 ON CONFLICT (replica) DO UPDATE SET at = EXCLUDED.at",
                &[&&*self.replica, &now_ms],
            )
            .await?;
        Ok(())
    }
}

impl Backend for PgQueue {
    /// Stores a batch in one transaction: the repositories' locks, every insert (the unique
    /// index drops redeliveries) and the new heads go out together, one round trip, and PostgreSQL
    /// runs them in order. Only redeliveries look further, for a dead job to queue again.
    fn enqueue_batch(&self, batch: Vec<NewDelivery>) -> Call<'_, Stored> {
        Box::pin(async move {
            let batch = batch.as_slice();
            let mut client = self.pool.get().await?;
            let transaction = client.transaction().await?;
            let repos: Vec<&str> = batch.iter().map(|d| d.repo.as_str()).collect();
            let lock = transaction.prepare_cached(LOCK_REPOSITORIES).await?;
            let insert = transaction.prepare_cached(INSERT_DELIVERIES).await?;
            let heads = transaction.prepare_cached(NEW_HEADS).await?;
            let none: Vec<Option<String>> = vec![None; batch.len()];
            let columns = Columns::of(batch, &none);
            let (lock_params, insert_params) = ([&repos as _], columns.params());
            let heads_params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&repos, &CHANNEL];
            let (_, inserted, mut new_heads) = futures_util::try_join!(
                transaction.execute(&lock, &lock_params),
                transaction.query(&insert, &insert_params),
                transaction.query_one(&heads, &heads_params),
            )?;
            let inserted: std::collections::HashSet<String> =
                inserted.iter().map(|row| row.get(0)).collect();
            let mut results: Vec<Option<Enqueued>> = vec![None; batch.len()];
            let mut seen = std::collections::HashSet::new();
            for (index, delivery) in batch.iter().enumerate() {
                if inserted.contains(&delivery.delivery_id) && seen.insert(&delivery.delivery_id) {
                    results[index] = Some(Enqueued::New);
                }
            }
            // Redeliveries: a dead job's row gives way to the new delivery, behind the others.
            let again: Vec<&str> = batch
                .iter()
                .filter(|d| !seen.contains(&d.delivery_id))
                .map(|d| d.delivery_id.as_str())
                .collect();
            if !again.is_empty() {
                let dead = transaction
                    .query(
                        "DELETE FROM releasebot_deliveries WHERE delivery_id = ANY($1) AND state = 'dead'
                         RETURNING delivery_id, last_error",
                        &[&again],
                    )
                    .await?;
                let dead: std::collections::HashMap<String, Option<String>> =
                    dead.iter().map(|row| (row.get(0), row.get(1))).collect();
                let mut revived = Vec::new();
                let mut errors = Vec::new();
                for (index, delivery) in batch.iter().enumerate() {
                    if results[index].is_some() {
                        continue;
                    }
                    match dead.get(&delivery.delivery_id) {
                        Some(last_error) if seen.insert(&delivery.delivery_id) => {
                            revived.push(delivery.clone());
                            // Its last error stays until the job succeeds, for whoever looks.
                            errors.push(last_error.clone());
                            results[index] = Some(Enqueued::Revived);
                        }
                        _ => results[index] = Some(Enqueued::Duplicate),
                    }
                }
                if !revived.is_empty() {
                    let columns = Columns::of(&revived, &errors);
                    transaction.query(&insert, &columns.params()).await?;
                    let more = transaction.query_one(&heads, &heads_params).await?;
                    if more.get::<_, i64>(0) > 0 {
                        new_heads = more;
                    }
                }
            }
            transaction.commit().await?;
            Ok(Stored {
                results: results
                    .into_iter()
                    .map(|r| r.unwrap_or(Enqueued::Duplicate))
                    .collect(),
                new_work: new_heads.get::<_, i64>(0) > 0,
            })
        })
    }

    /// The oldest runnable head, locked with `SKIP LOCKED` so replicas never wait on each
    /// other's claims, and claimed in the same statement.
    fn claim(&self, now_ms: i64, lease: Duration) -> Call<'_, Option<Job>> {
        Box::pin(async move {
            let until = now_ms + lease.as_millis() as i64;
            let client = self.pool.get().await?;
            let statement = client
                .prepare_cached(
                    "UPDATE releasebot_deliveries SET state = 'claimed', claimed_until = $2,
                         attempts = attempts + 1, claim_token = claim_token + 1, claimed_by = $3
                     WHERE seq = (
                         SELECT seq FROM releasebot_deliveries
                         WHERE seq = ANY(ARRAY(SELECT seq FROM releasebot_heads))
                           AND (state = 'queued' OR (state = 'claimed' AND claimed_until <= $1))
                           AND not_before <= $1
                         ORDER BY seq LIMIT 1
                         FOR UPDATE SKIP LOCKED)
                     RETURNING seq, delivery_id, event, repo, body, attempts, received_at, encoding, claim_token",
                )
                .await?;
            let Some(row) = client
                .query_opt(&statement, &[&now_ms, &until, &&*self.replica])
                .await?
            else {
                return Ok(None);
            };
            let encoding: String = row.get(7);
            let body = unpack(&encoding, row.get(4)).map_err(QueueError::Postgres)?;
            Ok(Some(Job {
                seq: row.get(0),
                delivery_id: row.get(1),
                event: row.get(2),
                repo: row.get(3),
                body,
                attempts: row.get::<_, i32>(5) as u32,
                received_ms: row.get(6),
                claim_token: row.get(8),
            }))
        })
    }

    /// Records `done` or `dead` for the holder of the latest claim and moves the repository's
    /// head on, under the repository's lock.
    fn finish(&self, job: Ticket, state: Final, error: Option<String>) -> Call<'_, Fenced> {
        Box::pin(async move {
            let state = state.as_db();
            let mut client = self.pool.get().await?;
            let transaction = client.transaction().await?;
            transaction
                .execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                    &[&job.repo],
                )
                .await?;
            let changed = transaction
                .execute(
                    "UPDATE releasebot_deliveries SET state = $3, last_error = $4, claimed_by = NULL
                     WHERE seq = $1 AND state = 'claimed' AND claim_token = $2",
                    &[&job.seq, &job.claim_token, &state, &error],
                )
                .await?;
            if changed == 1 {
                let next: Option<i64> = transaction
                    .query_one(
                        "SELECT MIN(seq) FROM releasebot_deliveries WHERE repo = $1 AND state IN ('queued', 'claimed')",
                        &[&job.repo],
                    )
                    .await?
                    .get(0);
                match next {
                    Some(seq) => {
                        transaction
                            .execute(
                                "INSERT INTO releasebot_heads (repo, seq) VALUES ($1, $2)
                                 ON CONFLICT (repo) DO UPDATE SET seq = EXCLUDED.seq",
                                &[&job.repo, &seq],
                            )
                            .await?;
                        transaction
                            .execute("SELECT pg_notify($1, '')", &[&CHANNEL])
                            .await?;
                    }
                    None => {
                        transaction
                            .execute("DELETE FROM releasebot_heads WHERE repo = $1", &[&job.repo])
                            .await?;
                    }
                }
            }
            transaction.commit().await?;
            Ok(fenced(changed))
        })
    }

    fn requeue(&self, job: Ticket, error: String, at_ms: i64, give_back: u32) -> Call<'_, Fenced> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            let changed = client
                .execute(
                    "UPDATE releasebot_deliveries SET state = 'queued', not_before = $3, claimed_until = 0,
                         claimed_by = NULL, last_error = $4, attempts = GREATEST(attempts - $5, 0)
                     WHERE seq = $1 AND state = 'claimed' AND claim_token = $2",
                    &[&job.seq, &job.claim_token, &at_ms, &error, &(give_back as i32)],
                )
                .await?;
            Ok(fenced(changed))
        })
    }

    /// Frees the jobs this replica holds (at shutdown); the others' stay theirs.
    fn release_claims(&self) -> Call<'_, u64> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            let released = client
                .execute(
                    "UPDATE releasebot_deliveries SET state = 'queued', claimed_until = 0, claimed_by = NULL
                     WHERE state = 'claimed' AND claimed_by = $1",
                    &[&&*self.replica],
                )
                .await?;
            if released > 0 {
                client
                    .execute("SELECT pg_notify($1, '')", &[&CHANNEL])
                    .await?;
            }
            Ok(released)
        })
    }

    fn counts(&self) -> Call<'_, Counts> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            let rows = client
                .query(
                    "SELECT state, COUNT(*) FROM releasebot_deliveries GROUP BY state",
                    &[],
                )
                .await?;
            let mut counts = Counts::default();
            for row in rows {
                counts.add(row.get::<_, &str>(0), row.get::<_, i64>(1) as u64);
            }
            Ok(counts)
        })
    }

    fn prune_done(&self, before_ms: i64) -> Call<'_, u64> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            Ok(client
                .execute(
                    "DELETE FROM releasebot_deliveries WHERE state = 'done' AND received_at < $1",
                    &[&before_ms],
                )
                .await?)
        })
    }

    fn dead(&self) -> Call<'_, Vec<(String, String)>> {
        Box::pin(async move {
            let client = self.pool.get().await?;
            let rows = client
                .query(
                    "SELECT delivery_id, COALESCE(last_error, '') FROM releasebot_deliveries
                     WHERE state = 'dead' ORDER BY seq",
                    &[],
                )
                .await?;
            Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
        })
    }

    /// Wakes `wake`'s waiters whenever any replica gives a repository a runnable job, until
    /// the task is aborted. A lost connection is opened again (workers poll meanwhile).
    fn listen(&self, wake: Arc<Notify>) -> Option<tokio::task::JoinHandle<()>> {
        let config = self.config.clone();
        let shown = Arc::clone(&self.shown);
        Some(tokio::spawn(async move {
            let mut pause = Duration::from_millis(200);
            loop {
                match listen_once(&config, &wake).await {
                    Ok(()) => {
                        tracing::warn!(database = %shown, "the PostgreSQL notification connection closed; opening it again")
                    }
                    Err(error) => {
                        tracing::warn!(database = %shown, %error, "cannot listen for new jobs on PostgreSQL; workers poll meanwhile")
                    }
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(10));
            }
        }))
    }

    /// Writes through the pool, from the intake's thread; other replicas' workers hear of new
    /// work by `NOTIFY`.
    fn writer(&self) -> Result<Box<dyn Writer>, QueueError> {
        Ok(Box::new(PgWriter {
            queue: self.clone(),
            runtime: tokio::runtime::Handle::current(),
        }))
    }
}

/// The webhook's writer: the queue's own calls, waited for on the intake's thread.
struct PgWriter {
    queue: PgQueue,
    runtime: tokio::runtime::Handle,
}

impl Writer for PgWriter {
    fn store(&mut self, batch: Vec<NewDelivery>) -> Result<Stored, QueueError> {
        self.runtime.block_on(self.queue.enqueue_batch(batch))
    }

    fn probe(&mut self, now_ms: i64) -> Result<(), QueueError> {
        self.runtime.block_on(self.queue.probe(now_ms))
    }
}

/// Every repository of the batch locked, in one order so two batches cannot deadlock.
const LOCK_REPOSITORIES: &str = "SELECT pg_advisory_xact_lock(key) FROM (
    SELECT DISTINCT hashtextextended(repo, 0) AS key
    FROM unnest($1::text[]) AS repo ORDER BY key) AS keys";

/// The deliveries in their order (so a repository's jobs are numbered as they came), skipping
/// ids already stored; returns the ids inserted.
const INSERT_DELIVERIES: &str = "INSERT INTO releasebot_deliveries
    (delivery_id, event, repo, body, encoding, received_at, last_error)
    SELECT id, event, repo, body, 'lz4', received, last_error
    FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::bigint[], $6::text[])
         WITH ORDINALITY AS d(id, event, repo, body, received, last_error, n)
    ORDER BY n
    ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id";

/// A repository without unfinished jobs gets its earliest new one as its head: one index probe
/// per repository without a head (`MIN` over the partial index is its first entry, never a scan
/// of the backlog). Tells the workers of every replica when there is one; returns how many.
const NEW_HEADS: &str = "WITH new AS (
    INSERT INTO releasebot_heads (repo, seq)
    SELECT repo, seq FROM (
        SELECT repo, (SELECT MIN(seq) FROM releasebot_deliveries d
                      WHERE d.repo = repos.repo AND d.state IN ('queued', 'claimed')) AS seq
        FROM (SELECT DISTINCT unnest($1::text[]) AS repo) AS repos
        WHERE NOT EXISTS (SELECT 1 FROM releasebot_heads h WHERE h.repo = repos.repo)
    ) AS first WHERE seq IS NOT NULL
    ON CONFLICT (repo) DO NOTHING RETURNING repo)
    SELECT COUNT(*), CASE WHEN COUNT(*) > 0 THEN pg_notify($2, '') END FROM new";

/// A batch as the columns `INSERT_DELIVERIES` takes.
struct Columns<'a> {
    ids: Vec<&'a str>,
    events: Vec<&'a str>,
    repos: Vec<&'a str>,
    bodies: Vec<&'a [u8]>,
    received: Vec<i64>,
    last_errors: &'a [Option<String>],
}

impl<'a> Columns<'a> {
    fn of(batch: &'a [NewDelivery], last_errors: &'a [Option<String>]) -> Columns<'a> {
        Columns {
            ids: batch.iter().map(|d| d.delivery_id.as_str()).collect(),
            events: batch.iter().map(|d| d.event.as_str()).collect(),
            repos: batch.iter().map(|d| d.repo.as_str()).collect(),
            bodies: batch.iter().map(|d| d.packed.as_slice()).collect(),
            received: batch.iter().map(|d| d.received_ms).collect(),
            last_errors,
        }
    }

    fn params(&self) -> [&(dyn tokio_postgres::types::ToSql + Sync); 6] {
        [
            &self.ids,
            &self.events,
            &self.repos,
            &self.bodies,
            &self.received,
            &self.last_errors,
        ]
    }
}

async fn listen_once(
    config: &tokio_postgres::Config,
    wake: &Arc<Notify>,
) -> Result<(), QueueError> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let notified = Arc::clone(wake);
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(_)) => notified.notify_waiters(),
                Ok(_) => {}
                Err(error) => return Err(QueueError::from(error)),
            }
        }
        Ok(())
    });
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    // Anything that arrived while the connection was down is looked for now.
    wake.notify_waiters();
    let ended = driver
        .await
        .map_err(|error| QueueError::Panicked(error.to_string()))?;
    drop(client);
    ended
}

/// Unique enough to tell replicas apart on their claims: the host, the process and a random
/// part (a restarted container may reuse a pid).
fn replica_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|| "host".to_string());
    format!("{host}-{}-{random:016x}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_never_shown() {
        assert_eq!(
            without_password("postgres://bot:s3cret@db:5432/releasebot"),
            "postgres://db:5432/releasebot"
        );
        assert_eq!(
            without_password("postgres://db/releasebot"),
            "postgres://db:5432/releasebot"
        );
        assert!(!without_password("postgres://bot:s3%20cret@[::1/x").contains("s3"));
        assert_eq!(
            without_password(
                "postgresql://bot@db/releasebot?password=s3cret&sslmode=require&sslpassword=k3y"
            ),
            "postgres://db:5432/releasebot"
        );
        assert_eq!(
            without_password(
                "postgres:///releasebot?host=/run/postgresql&password=s3cret&port=6432"
            ),
            "postgres:///run/postgresql:6432/releasebot"
        );
    }

    #[test]
    fn replicas_get_different_ids() {
        assert_ne!(replica_id(), replica_id());
    }
}
