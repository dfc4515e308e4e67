//! What `/metrics` shows, in Prometheus' text format: deliveries by event and outcome, jobs by
//! result, job latency (received → finished), queue depth, workers replaced after a panic, and
//! GitHub API calls.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use super::job_counted::JobResult;
use super::queue::Counts;
use crate::github::api_stats::ApiStats;

/// Latency bucket bounds in seconds: a job spans anything from a no-op to a whole release.
const BUCKETS: &[f64] = &[0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0];

#[derive(Default)]
pub struct Metrics {
    deliveries: Mutex<BTreeMap<(String, &'static str), u64>>,
    jobs: Mutex<BTreeMap<JobResult, u64>>,
    latency_buckets: [AtomicU64; 11],
    latency_count: AtomicU64,
    latency_sum_ms: AtomicU64,
    worker_restarts: AtomicU64,
    connections_open: AtomicU64,
    connections_closed: Mutex<BTreeMap<&'static str, u64>>,
}

impl Metrics {
    /// `event` is only trusted once the signature verified; callers pass `unverified` before.
    pub fn delivery(&self, event: &str, outcome: &'static str) {
        let mut deliveries = self.deliveries.lock().unwrap_or_else(|e| e.into_inner());
        match deliveries.get_mut(&(event.to_string(), outcome)) {
            Some(count) => *count += 1,
            None => {
                deliveries.insert((event.to_string(), outcome), 1);
            }
        }
    }

    pub fn connection_opened(&self) {
        self.connections_open.fetch_add(1, Ordering::Relaxed);
    }

    /// `reason`: `closed` (by the client or after the answer), `idle_timeout`,
    /// `header_timeout`, `evicted` (idle, to make room under the cap), `evicted_mid_body` (its
    /// body stalled, to make room), `refused_busy` (answered 503 at the cap), `error`.
    pub fn connection_closed(&self, reason: &'static str) {
        if reason != "refused_busy" {
            self.connections_open.fetch_sub(1, Ordering::Relaxed);
        }
        *self
            .connections_closed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(reason)
            .or_default() += 1;
    }

    pub fn connections_closed_of(&self, reason: &str) -> u64 {
        self.connections_closed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(reason)
            .copied()
            .unwrap_or(0)
    }

    pub fn job(&self, result: JobResult) {
        *self
            .jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(result)
            .or_default() += 1;
    }

    /// A worker ended by a panic and was replaced.
    pub fn worker_restarted(&self) {
        self.worker_restarts.fetch_add(1, Ordering::Relaxed);
    }

    pub fn worker_restarts(&self) -> u64 {
        self.worker_restarts.load(Ordering::Relaxed)
    }

    pub fn job_latency(&self, latency: Duration) {
        let seconds = latency.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.latency_buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_ms
            .fetch_add(latency.as_millis() as u64, Ordering::Relaxed);
    }

    pub fn deliveries_of(&self, event: &str, outcome: &str) -> u64 {
        self.deliveries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|((e, o), _)| e == event && *o == outcome)
            .map(|(_, n)| *n)
            .sum()
    }

    pub fn jobs_of(&self, result: JobResult) -> u64 {
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&result)
            .copied()
            .unwrap_or(0)
    }

    pub fn render(&self, queue: Option<Counts>, api: ApiStats) -> String {
        let mut out = String::new();
        out.push_str("# HELP releasebot_deliveries_total Webhook deliveries received, by event and outcome.\n# TYPE releasebot_deliveries_total counter\n");
        for ((event, outcome), n) in self
            .deliveries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "releasebot_deliveries_total{{event=\"{}\",outcome=\"{outcome}\"}} {n}",
                escape(event)
            );
        }
        out.push_str("# HELP releasebot_jobs_total Jobs finished, by result.\n# TYPE releasebot_jobs_total counter\n");
        for (result, n) in self.jobs.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(out, "releasebot_jobs_total{{result=\"{result}\"}} {n}");
        }
        out.push_str("# HELP releasebot_job_latency_seconds From delivery received to job finished.\n# TYPE releasebot_job_latency_seconds histogram\n");
        for (bound, bucket) in BUCKETS.iter().zip(&self.latency_buckets) {
            let _ = writeln!(
                out,
                "releasebot_job_latency_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "releasebot_job_latency_seconds_bucket{{le=\"+Inf\"}} {count}\nreleasebot_job_latency_seconds_sum {}\nreleasebot_job_latency_seconds_count {count}",
            self.latency_sum_ms.load(Ordering::Relaxed) as f64 / 1000.0
        );
        out.push_str("# HELP releasebot_worker_restarts_total Workers that ended by a panic and were replaced.\n# TYPE releasebot_worker_restarts_total counter\n");
        let _ = writeln!(
            out,
            "releasebot_worker_restarts_total {}",
            self.worker_restarts()
        );
        out.push_str("# HELP releasebot_connections_open HTTP connections open now.\n# TYPE releasebot_connections_open gauge\n");
        let _ = writeln!(
            out,
            "releasebot_connections_open {}",
            self.connections_open.load(Ordering::Relaxed)
        );
        out.push_str("# HELP releasebot_connections_closed_total HTTP connections ended, by why (idle_timeout, header_timeout, evicted, evicted_mid_body, refused_busy, closed, error).\n# TYPE releasebot_connections_closed_total counter\n");
        for (reason, n) in self
            .connections_closed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "releasebot_connections_closed_total{{reason=\"{reason}\"}} {n}"
            );
        }
        if let Some(counts) = queue {
            out.push_str("# HELP releasebot_queue_depth Jobs waiting or running.\n# TYPE releasebot_queue_depth gauge\n");
            let _ = writeln!(
                out,
                "releasebot_queue_depth {}",
                counts.queued + counts.claimed
            );
            out.push_str("# HELP releasebot_jobs_dead Jobs that used up their attempts or failed for good (see the logs for their errors).\n# TYPE releasebot_jobs_dead gauge\n");
            let _ = writeln!(out, "releasebot_jobs_dead {}", counts.dead);
        }
        out.push_str("# HELP releasebot_github_api_calls_total GitHub API requests made.\n# TYPE releasebot_github_api_calls_total counter\n");
        let _ = writeln!(out, "releasebot_github_api_calls_total {}", api.calls);
        out.push_str("# HELP releasebot_github_api_failures_total GitHub API requests answered with an error or not answered.\n# TYPE releasebot_github_api_failures_total counter\n");
        let _ = writeln!(out, "releasebot_github_api_failures_total {}", api.failed);
        if let Some(remaining) = api.rate_limit_remaining {
            out.push_str("# HELP releasebot_github_rate_limit_remaining x-ratelimit-remaining of GitHub's last answer.\n# TYPE releasebot_github_rate_limit_remaining gauge\n");
            let _ = writeln!(out, "releasebot_github_rate_limit_remaining {remaining}");
        }
        out
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_format_has_every_family_with_its_values() {
        let metrics = Metrics::default();
        metrics.delivery("issue_comment", "queued");
        metrics.delivery("issue_comment", "queued");
        metrics.delivery("unverified", "rejected");
        metrics.job(JobResult::Done);
        metrics.job_latency(Duration::from_millis(300));
        metrics.worker_restarted();
        let text = metrics.render(
            Some(Counts {
                queued: 2,
                claimed: 1,
                done: 5,
                dead: 1,
            }),
            ApiStats {
                calls: 40,
                failed: 2,
                rate_limit_remaining: Some(4960),
            },
        );
        for line in [
            "releasebot_deliveries_total{event=\"issue_comment\",outcome=\"queued\"} 2",
            "releasebot_deliveries_total{event=\"unverified\",outcome=\"rejected\"} 1",
            "releasebot_jobs_total{result=\"done\"} 1",
            "releasebot_job_latency_seconds_bucket{le=\"0.25\"} 0",
            "releasebot_job_latency_seconds_bucket{le=\"0.5\"} 1",
            "releasebot_job_latency_seconds_count 1",
            "releasebot_worker_restarts_total 1",
            "releasebot_queue_depth 3",
            "releasebot_jobs_dead 1",
            "releasebot_github_api_calls_total 40",
            "releasebot_github_rate_limit_remaining 4960",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line}\n{text}");
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
