//! The GitHub App server (`releasebot serve`), built up in issue 4. So far: webhook signature
//! webhook signature verification and the durable delivery queue.

pub mod queue;
pub mod signature;
