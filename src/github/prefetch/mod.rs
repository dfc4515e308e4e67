//! One GraphQL query at the start of a delivery's job reads what the job is about to read; the
//! REST reads are then answered from it. GitHub is still looked at before every step: the query
//! is the look, taken when the job starts (where its REST reads were made too; a change by
//! someone else during the job's seconds is met by GitHub's own refusal of the write, a 422 for
//! a ref or a pull request that exists, as before). What the query did not settle goes to REST.
//! Our own writes forget what they may have changed, so a read after a write is never answered
//! from before it. `plan` names the reads; `queries` writes the query from its parts, each
//! beside the types its answer is read into; `answer` reads GitHub's answer by the same parts.

mod answer;
mod plan;
mod queries;

use std::collections::HashMap;

pub use answer::read;
pub use plan::{FileAt, FilesAt, ReadPlan, ReleaseNames};
pub use queries::PAGE;

use crate::domain::{CommitSha, IssueNumber};
use crate::github::models::{
    CommitStatus, GitRef, IssueComment, PullRequest, Release, TagObject, TreeEntry,
};

/// What one query found.
#[derive(Debug, Default)]
pub struct Prefetched {
    /// The token's login.
    pub viewer: Option<String>,
    /// What can change (refs, lists): forgotten on our own writes.
    known: Known,
    /// Objects named by their id, which never change.
    tag_objects: HashMap<String, TagObject>,
    commits: HashMap<CommitSha, CommitFiles>,
}

#[derive(Debug, Default)]
struct Known {
    /// (path, rev) → the file's text, `None` when it does not exist.
    files: HashMap<(String, String), Option<String>>,
    /// `heads/x`, `tags/x` → the ref, `None` when it does not exist.
    refs: HashMap<String, Option<GitRef>>,
    /// Every tag, when they fitted in one page.
    tags: Option<Vec<GitRef>>,
    /// Branch → the pull requests from it (this repository owner's heads).
    pulls: HashMap<String, Vec<PullRequest>>,
    /// The newest releases, and whether that is all of them.
    releases: Option<(Vec<Release>, bool)>,
    /// Issue → all its comments, oldest first.
    comments: HashMap<IssueNumber, Vec<IssueComment>>,
    /// Tag → the latest status of each context on its commit.
    statuses: HashMap<String, Vec<CommitStatus>>,
}

/// A commit's tree and some of its files: path → (mode, blob id, text), `None` when absent.
#[derive(Debug, Clone)]
pub struct CommitFiles {
    pub tree: String,
    pub files: HashMap<String, Option<(String, String, String)>>,
}

/// What one of our writes may have changed of what was read once, declared by each write
/// method of the client as it sends the write (a route is never parsed to guess it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changed {
    Nothing,
    Refs,
    Pulls,
    Comments,
    Releases,
    Statuses,
    /// Forget everything that can change: for writes whose effect on the lists above is not
    /// worth narrowing (an issue made, a milestone made or set).
    Anything,
}

impl Prefetched {
    /// Forgets what a write of ours may have changed.
    pub fn forget(&mut self, changed: Changed) {
        let known = &mut self.known;
        match changed {
            Changed::Nothing => {}
            Changed::Refs => {
                known.refs.clear();
                known.tags = None;
                // A branch moved: files read at it are stale, and so are its statuses.
                known.files.clear();
                known.statuses.clear();
            }
            Changed::Pulls => known.pulls.clear(),
            Changed::Comments => known.comments.clear(),
            Changed::Releases => known.releases = None,
            Changed::Statuses => known.statuses.clear(),
            Changed::Anything => *known = Known::default(),
        }
    }

    pub fn file(&self, path: &str, rev: &str) -> Option<Option<String>> {
        self.known
            .files
            .get(&(path.to_string(), rev.to_string()))
            .cloned()
    }

    pub fn git_ref(&self, short: &str) -> Option<Option<GitRef>> {
        if let Some(found) = self.known.refs.get(short) {
            return Some(found.clone());
        }
        let tag = short.strip_prefix("tags/")?;
        let full = format!("refs/tags/{tag}");
        let tags = self.known.tags.as_ref()?;
        Some(tags.iter().find(|r| r.name == full).cloned())
    }

    pub fn matching_refs(&self, prefix: &str) -> Option<Vec<GitRef>> {
        (prefix == "tags")
            .then(|| self.known.tags.clone())
            .flatten()
    }

    pub fn tag_object(&self, sha: &str) -> Option<TagObject> {
        self.tag_objects.get(sha).cloned()
    }

    /// The tree and the entries and texts of `paths` at a commit, when every one is known.
    pub fn commit_files(
        &self,
        commit: &CommitSha,
        paths: &[&str],
    ) -> Option<(String, Vec<(TreeEntry, String)>)> {
        let found = self.commits.get(commit)?;
        let mut files = Vec::new();
        for path in paths {
            if let Some((mode, sha, text)) = found.files.get(*path)? {
                let entry = TreeEntry {
                    path: path.to_string(),
                    mode: mode.clone(),
                    kind: "blob".into(),
                    sha: sha.clone(),
                };
                files.push((entry, text.clone()));
            }
        }
        Some((found.tree.clone(), files))
    }

    pub fn pulls_from_branch(&self, branch: &str) -> Option<Vec<PullRequest>> {
        self.known.pulls.get(branch).cloned()
    }

    pub fn releases(&self) -> Option<Vec<Release>> {
        match &self.known.releases {
            Some((items, true)) => Some(items.clone()),
            _ => None,
        }
    }

    /// The newest release on `tag`, drafts included; `Some(None)` when the whole list was read.
    pub fn release_on_tag(&self, tag: &str) -> Option<Option<Release>> {
        let (items, complete) = self.known.releases.as_ref()?;
        match items.iter().find(|r| r.tag_name == tag) {
            Some(found) => Some(Some(found.clone())),
            None if *complete => Some(None),
            None => None,
        }
    }

    pub fn issue_comments(&self, issue: IssueNumber) -> Option<Vec<IssueComment>> {
        self.known.comments.get(&issue).cloned()
    }

    pub fn commit_statuses(&self, tag: &str) -> Option<Vec<CommitStatus>> {
        self.known.statuses.get(tag).cloned()
    }
}

#[cfg(test)]
mod tests;
