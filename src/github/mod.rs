//! Every effect on GitHub goes through here: one client per repository, built on octocrab so
//! that github.com, GitHub Enterprise and the simulated GitHub are reached the same way, with
//! only the base URL changing.

pub mod api_stats;
pub mod app_auth;
mod client;
mod connector;
mod error;
mod files_at;
mod http_builder;
mod merged_since;
pub mod models;
pub mod prefetch;
mod pull_merge;

pub use client::{CreateRef, RepoClient};
pub use connector::Connector;
pub use error::ApiError;
pub use merged_since::{FastForward, MergedAmong, PULLS_LOOKED_AT};
pub use pull_merge::Merged;
