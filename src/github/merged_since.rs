//! What a release branch holds that the previous release did not: the commits between the two,
//! and the pull requests those commits merged (Mathesar's notes cite every one). Also moving a
//! branch forward onto a commit made for it, refused when someone pushed meanwhile.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::json;

use super::client::{encode_path, RepoClient};
use super::models::{GitRef, PullRequest, ShaOnly};
use super::prefetch::Changed;
use super::ApiError;

/// Closed pull requests looked through, newest first, before giving up on older ones.
pub const PULLS_LOOKED_AT: usize = 1000;

/// The pull requests whose merge commits are among the commits asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedAmong {
    pub pulls: Vec<PullRequest>,
    /// More closed pull requests exist than were looked at ([`PULLS_LOOKED_AT`]), and some of
    /// the commits matched none: older pull requests may be missing.
    pub gave_up: bool,
}

/// Moving a branch forward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FastForward {
    Moved,
    /// The branch is no longer where the new commit's parent was: a push came first.
    Diverged,
}

#[derive(Deserialize)]
struct Comparison {
    total_commits: usize,
    commits: Vec<ShaOnly>,
}

impl RepoClient {
    /// The commits `head` has that `base` has not (`git log base..head`), every page of them.
    pub async fn commits_between(
        &self,
        base: &str,
        head: &str,
    ) -> Result<BTreeSet<String>, ApiError> {
        let basehead = format!("{}...{}", encode_path(base), encode_path(head));
        let mut found = BTreeSet::new();
        for page in 1.. {
            let route = self.route(&format!("compare/{basehead}?per_page=100&page={page}"));
            let comparison: Comparison = self.get(route).await?;
            let before = found.len();
            found.extend(comparison.commits.into_iter().map(|commit| commit.sha));
            // A page that adds nothing ends it too: a server that ignores paging answers the
            // same commits again.
            if found.len() >= comparison.total_commits || found.len() == before {
                break;
            }
        }
        Ok(found)
    }

    /// The merged pull requests whose merge commit is one of `commits`, newest first, from the
    /// repository's closed pull requests (at most [`PULLS_LOOKED_AT`] of them), stopping once
    /// every commit is accounted for.
    pub async fn pulls_merged_as(
        &self,
        commits: &BTreeSet<String>,
    ) -> Result<MergedAmong, ApiError> {
        let mut pulls: Vec<PullRequest> = Vec::new();
        let mut matched = BTreeSet::new();
        let mut looked_at = 0;
        for page in 1.. {
            let route = self.route(&format!("pulls?state=closed&per_page=100&page={page}"));
            let listed: Vec<PullRequest> = self.get(route).await?;
            let last = listed.len() < 100;
            looked_at += listed.len();
            for pull in listed {
                let Some(sha) = pull.merge_commit_sha.clone() else {
                    continue;
                };
                if pull.is_merged() && commits.contains(sha.as_str()) && matched.insert(sha) {
                    pulls.push(pull);
                }
            }
            if last || matched.len() == commits.len() {
                return Ok(MergedAmong {
                    pulls,
                    gave_up: false,
                });
            }
            if looked_at >= PULLS_LOOKED_AT {
                break;
            }
        }
        Ok(MergedAmong {
            pulls,
            gave_up: true,
        })
    }

    /// Moves `branch` to `sha`, never forcing.
    pub async fn fast_forward(&self, branch: &str, sha: &str) -> Result<FastForward, ApiError> {
        let route = self.route(&format!("git/refs/heads/{}", encode_path(branch)));
        let moved: Result<GitRef, _> = self
            .patch(route, &json!({ "sha": sha, "force": false }), Changed::Refs)
            .await;
        match moved {
            Ok(_) => Ok(FastForward::Moved),
            Err(error) if error.is_unprocessable() => Ok(FastForward::Diverged),
            Err(error) => Err(error),
        }
    }
}
