//! What became of one run of a job, as `releasebot_jobs_total` counts it and the pool's observer
//! is told: a closed set, so a result cannot be misspelt where it is decided or compared.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobResult {
    /// The delivery's work is done and recorded.
    Done,
    /// Failed; the queue runs it again after the back-off.
    Retry,
    /// GitHub asked us to wait; the attempt is given back.
    RateLimited,
    /// Failed on its last attempt.
    Dead,
    /// Failed in a way waiting cannot fix: dead at once.
    Permanent,
    /// Outlived its lease and was claimed again: this run's result was dropped.
    Stale,
    /// The run panicked (recorded as a failure).
    Panicked,
    /// The result could not be recorded (the database failed): the job runs again.
    Unrecorded,
}

impl JobResult {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            JobResult::Done => "done",
            JobResult::Retry => "retry",
            JobResult::RateLimited => "rate_limited",
            JobResult::Dead => "dead",
            JobResult::Permanent => "permanent",
            JobResult::Stale => "stale",
            JobResult::Panicked => "panicked",
            JobResult::Unrecorded => "unrecorded",
        }
    }

    /// The job is finished for good (its repository's next job may run now).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobResult::Done | JobResult::Dead | JobResult::Permanent
        )
    }
}

impl fmt::Display for JobResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
