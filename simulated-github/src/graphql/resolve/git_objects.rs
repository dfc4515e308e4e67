//! Git objects as GraphQL shows them: commits (their tree, files and combined status), tags,
//! trees and blobs, and `<rev>:<path>` expressions.

use serde_json::json;

use super::{Answer, Kind, Node};
use crate::git::{self, Object as GitObject};
use crate::graphql::execute::{Args, FieldError, Resolved};
use crate::world::{format_time, CommitStatus, Repo};

/// GitHub's `Blob.text` stops here and says `isTruncated` (its GraphQL API serves text blobs
/// up to 512 KiB; larger ones need the REST blob API).
pub const BLOB_TEXT_LIMIT: usize = 512 * 1024;

impl<'w> Node<'w> {
    pub(super) fn git_field(
        &self,
        repo: &'w Repo,
        oid: &str,
        path: Option<&str>,
        name: &str,
        args: &Args,
    ) -> Answer<'w> {
        if name == "oid" {
            return Ok(Resolved::Leaf(json!(oid)));
        }
        match repo.git.get(oid) {
            Some(GitObject::Commit(commit)) => match name {
                "tree" => Ok(Resolved::object(self.git(
                    repo,
                    &commit.tree,
                    Some(String::new()),
                ))),
                "message" => Ok(Resolved::Leaf(json!(commit.message))),
                "messageHeadline" => Ok(Resolved::Leaf(json!(commit
                    .message
                    .lines()
                    .next()
                    .unwrap_or_default()))),
                "committedDate" => Ok(Resolved::Leaf(json!(format_time(commit.committer.time)))),
                "file" => {
                    args.only(&["path"])?;
                    let wanted = args.str("path").unwrap_or_default().trim_matches('/');
                    Ok(Resolved::object(self.tree_entry(
                        repo,
                        &commit.tree,
                        wanted,
                    )))
                }
                "status" => {
                    let latest = latest_statuses(repo, oid);
                    Ok(if latest.is_empty() {
                        Resolved::Null
                    } else {
                        Resolved::Object(self.with(Kind::Status { repo, latest }))
                    })
                }
                "parents" => {
                    args.only(&["first", "after", "last", "before"])?;
                    let parents = commit
                        .parents
                        .iter()
                        .filter_map(|p| self.git(repo, p, None))
                        .collect();
                    self.connection("CommitConnection", parents, args)
                }
                _ => Err(FieldError::NotModeled),
            },
            Some(GitObject::Tag(tag)) => match name {
                "name" => Ok(Resolved::Leaf(json!(tag.tag))),
                "message" => Ok(Resolved::Leaf(json!(tag.message))),
                "target" => Ok(Resolved::object(self.git(repo, &tag.object, None))),
                _ => Err(FieldError::NotModeled),
            },
            Some(GitObject::Tree(entries)) => match name {
                "entries" => Ok(Resolved::List(
                    entries
                        .iter()
                        .map(|entry| {
                            let full = match path {
                                Some(dir) if !dir.is_empty() => format!("{dir}/{}", entry.name),
                                _ => entry.name.clone(),
                            };
                            Resolved::Object(self.with(Kind::TreeEntry {
                                repo,
                                path: full,
                                name: entry.name.clone(),
                                mode: entry.mode.clone(),
                                oid: entry.sha.clone(),
                            }))
                        })
                        .collect(),
                )),
                _ => Err(FieldError::NotModeled),
            },
            Some(GitObject::Blob(bytes)) => {
                let text = std::str::from_utf8(bytes)
                    .ok()
                    .filter(|t| !t.contains('\0'));
                match name {
                    "byteSize" => Ok(Resolved::Leaf(json!(bytes.len()))),
                    "isBinary" => Ok(Resolved::Leaf(json!(text.is_none()))),
                    "isTruncated" => Ok(Resolved::Leaf(json!(bytes.len() > BLOB_TEXT_LIMIT))),
                    "text" => Ok(Resolved::leaf(text.map(|t| {
                        let mut end = t.len().min(BLOB_TEXT_LIMIT);
                        while !t.is_char_boundary(end) {
                            end -= 1;
                        }
                        t[..end].to_string()
                    }))),
                    _ => Err(FieldError::NotModeled),
                }
            }
            None => Err(FieldError::NotModeled),
        }
    }

    pub(super) fn git(&self, repo: &'w Repo, oid: &str, path: Option<String>) -> Option<Node<'w>> {
        repo.git.get(oid)?;
        Some(self.with(Kind::Git {
            repo,
            oid: oid.to_string(),
            path,
        }))
    }

    /// `<rev>:<path>` (the object at the path in that revision's tree, the root tree for an
    /// empty path) or `<rev>` (the commit), with `<rev>` a branch, tag or commit id.
    pub(super) fn expression(&self, repo: &'w Repo, expression: &str) -> Option<Node<'w>> {
        let (rev, path) = match expression.split_once(':') {
            Some((rev, path)) => (rev, Some(path.trim_matches('/'))),
            None => (expression, None),
        };
        let commit = repo.resolve(rev)?;
        let Some(path) = path else {
            return self.git(repo, &commit, None);
        };
        let tree = repo.git.commit(&commit)?.tree.clone();
        if path.is_empty() {
            return self.git(repo, &tree, Some(String::new()));
        }
        let (_, oid) = find_entry(&repo.git, &tree, path)?;
        self.git(repo, &oid, Some(path.to_string()))
    }

    fn tree_entry(&self, repo: &'w Repo, tree: &str, path: &str) -> Option<Node<'w>> {
        let (mode, oid) = find_entry(&repo.git, tree, path)?;
        Some(self.with(Kind::TreeEntry {
            repo,
            path: path.to_string(),
            name: path.rsplit('/').next().unwrap_or(path).to_string(),
            mode,
            oid,
        }))
    }
}

/// The entry at `path` below `tree`: (mode, object id).
fn find_entry(store: &git::Store, tree: &str, path: &str) -> Option<(String, String)> {
    let mut current = tree.to_string();
    let mut found = None;
    for segment in path.split('/') {
        let entry = store.tree(&current)?.iter().find(|e| e.name == segment)?;
        current = entry.sha.clone();
        found = Some((entry.mode.clone(), entry.sha.clone()));
    }
    found
}

pub(super) fn entry_type(mode: &str) -> &'static str {
    match mode {
        git::MODE_TREE => "tree",
        "160000" => "commit",
        _ => "blob",
    }
}

/// The latest status of each context on the commit (GitHub's combined status), in the order
/// the contexts first appeared.
fn latest_statuses<'w>(repo: &'w Repo, sha: &str) -> Vec<&'w CommitStatus> {
    let mut latest: Vec<&CommitStatus> = Vec::new();
    for status in repo.statuses.iter().filter(|s| s.sha == sha) {
        match latest.iter_mut().find(|s| s.context == status.context) {
            Some(slot) => *slot = status,
            None => latest.push(status),
        }
    }
    latest
}

/// GitHub's combined state: failure if any failed or errored, pending while any is pending,
/// success when all succeeded.
pub(super) fn combined_state(latest: &[&CommitStatus]) -> &'static str {
    let any = |state: &str| latest.iter().any(|s| s.state == state);
    if any("error") || any("failure") {
        "FAILURE"
    } else if any("pending") || latest.is_empty() {
        "PENDING"
    } else {
        "SUCCESS"
    }
}
