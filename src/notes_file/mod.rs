//! The release notes file kept in the repository (Mathesar's `docs/docs/releases/<version>.md`)
//! and what `/release notes sync` does to it: made from the repository's template when missing,
//! every merged pull request not yet cited appended under a to-categorize heading, the docs'
//! navigation given an entry. Pure text in, text out: the engine reads and commits.
//!
//! Never rewriting a line a person wrote is the rule every function here keeps: they only insert
//! lines, and insert nothing when nothing is new, so a sync run twice is byte-for-byte the same.

mod citations;
mod merged_pull;
mod nav;
mod plan;
mod sync;
mod template;

pub use citations::{cited_pulls, left_to_categorize};
pub use merged_pull::MergedPull;
pub use nav::{add_nav_entry, NavError};
pub use plan::{plan_sync, OnBranch, SyncPlan, SyncProblem};
pub use sync::{append_uncited, Appended};
pub use template::from_template;
