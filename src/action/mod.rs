//! `releasebot action`: the engine run once, on the event of the GitHub Actions run it is in.
//! What it reads from the runner's environment, and what it writes back (step outputs, the job
//! summary, annotations), are pure functions here; `cli/action.rs` does the I/O.

pub mod environment;
pub mod report;
