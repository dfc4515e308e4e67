//! Merging a pull request the three ways GitHub offers, with a three-way merge of file lists so
//! that a base branch that moved on still merges when the changes do not overlap. A draft is
//! refused, as GitHub refuses it. The merge queue makes its commit the same way (`prepare`) and
//! lands it as its own bot (`land`).

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};

use super::git::{CommitObject, Object};
use super::issue_events;
use super::webhooks;
use super::world::World;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeMethod {
    Merge,
    Squash,
    Rebase,
}

impl MergeMethod {
    pub fn parse(text: &str) -> Option<MergeMethod> {
        match text {
            "merge" => Some(MergeMethod::Merge),
            "squash" => Some(MergeMethod::Squash),
            "rebase" => Some(MergeMethod::Rebase),
            _ => None,
        }
    }
}

type Files = BTreeMap<String, (String, String)>;

/// A merge commit made and not yet on its base branch: what the merge button, or the merge
/// queue, is about to land.
pub struct Prepared {
    pub commit: String,
    /// The base branch's name, and its head the commit was made on.
    pub base: String,
    pub base_head: String,
}

/// Merges pull request `number`; returns the new head of the base branch. Errors are
/// (status, message) as GitHub answers them.
pub fn merge(
    world: &mut World,
    repo: &str,
    number: u64,
    method: MergeMethod,
    by: &str,
) -> Result<String, (u16, String)> {
    let prepared = prepare(world, repo, number, method, by)?;
    land(world, repo, number, &prepared, by);
    Ok(prepared.commit)
}

/// Makes the commit merging pull request `number` the `method` way would put on its base
/// branch, authored by `author`; nothing moves yet. GitHub refuses a draft, a closed pull
/// request, a deleted branch and a conflict.
pub fn prepare(
    world: &mut World,
    repo: &str,
    number: u64,
    method: MergeMethod,
    author: &str,
) -> Result<Prepared, (u16, String)> {
    let signature = world.signature(author);
    let r = world.repo_mut(repo).ok_or((404, "Not Found".to_string()))?;
    let issue = r
        .issues
        .get(&number)
        .ok_or((404, "Not Found".to_string()))?
        .clone();
    let pull = issue.pull.clone().ok_or((404, "Not Found".to_string()))?;
    if issue.state != "open" {
        return Err((405, "Pull Request is not mergeable".into()));
    }
    if pull.draft {
        return Err((405, "Pull Request is still a draft".into()));
    }
    // A fork's head is kept here as `refs/pull/<number>/head`.
    let head_ref = match &pull.head_owner {
        Some(_) => format!("refs/pull/{number}/head"),
        None => format!("refs/heads/{}", pull.head),
    };
    let head = r
        .refs
        .get(&head_ref)
        .cloned()
        .ok_or((405, "Head branch was deleted".to_string()))?;
    let base = r
        .refs
        .get(&format!("refs/heads/{}", pull.base))
        .cloned()
        .ok_or((405, "Base branch was deleted".to_string()))?;
    let merge_base = merge_base(world.repo(repo).expect("checked"), &head, &base)
        .ok_or((405, "Pull Request is not mergeable".to_string()))?;
    let r = world.repo_mut(repo).expect("checked");
    let merged = three_way(&files(r, &merge_base), &files(r, &base), &files(r, &head))
        .ok_or((405, "Pull Request is not mergeable".to_string()))?;
    let commit = match method {
        MergeMethod::Merge | MergeMethod::Squash => {
            let tree = r.git.write_tree(&merged);
            let (parents, message) = if method == MergeMethod::Merge {
                (
                    vec![base.clone(), head.clone()],
                    format!(
                        "Merge pull request #{number} from {}/{}\n\n{}",
                        pull.head_owner.as_deref().unwrap_or(&r.owner),
                        pull.head,
                        issue.title
                    ),
                )
            } else {
                (vec![base.clone()], format!("{} (#{number})", issue.title))
            };
            r.git.put(Object::Commit(CommitObject {
                tree,
                parents,
                author: signature.clone(),
                committer: signature,
                message,
            }))
        }
        MergeMethod::Rebase => {
            let mut current = base.clone();
            for sha in commits_between(r, &merge_base, &head) {
                let commit = r.git.commit(&sha).cloned().expect("listed");
                let parent = commit.parents.first().cloned().unwrap_or_default();
                let applied = three_way(&files(r, &parent), &files(r, &current), &files(r, &sha))
                    .ok_or((405, "Pull Request is not mergeable".to_string()))?;
                let tree = r.git.write_tree(&applied);
                current = r.git.put(Object::Commit(CommitObject {
                    tree,
                    parents: vec![current],
                    author: commit.author,
                    committer: signature.clone(),
                    message: commit.message,
                }));
            }
            current
        }
    };
    Ok(Prepared {
        commit,
        base: pull.base,
        base_head: base,
    })
}

/// Moves the base branch to the prepared commit and closes the pull request as merged by `by`;
/// emits `pull_request` `closed` (merged) and the base branch's `push`, both sent by `by`.
pub fn land(world: &mut World, repo: &str, number: u64, prepared: &Prepared, by: &str) {
    let now = world.timestamp();
    let Some(r) = world.repo_mut(repo) else {
        return;
    };
    let base_ref = format!("refs/heads/{}", prepared.base);
    r.refs.insert(base_ref.clone(), prepared.commit.clone());
    if let Some(stored) = r.issues.get_mut(&number) {
        stored.state = "closed".into();
        stored.updated_at = now.clone();
        if let Some(p) = stored.pull.as_mut() {
            p.merged = true;
            p.merge_commit_sha = Some(prepared.commit.clone());
            p.merged_at = Some(now);
            p.merged_by = Some(by.to_string());
        }
    }
    let commit = Some(prepared.commit.as_str());
    issue_events::record(world, repo, number, "merged", by, commit);
    issue_events::record(world, repo, number, "closed", by, commit);
    webhooks::emit_pull_request(world, repo, "closed", number, by);
    let before = Some(prepared.base_head.as_str());
    webhooks::emit_push(world, repo, &base_ref, before, commit, by);
}

pub fn files(repo: &super::world::Repo, commit: &str) -> Files {
    repo.git
        .commit(commit)
        .map(|c| repo.git.flatten(&c.tree))
        .unwrap_or_default()
}

/// The nearest commit both `a` and `b` descend from.
pub fn merge_base(repo: &super::world::Repo, a: &str, b: &str) -> Option<String> {
    let mut ancestors = HashSet::new();
    let mut queue = VecDeque::from([a.to_string()]);
    while let Some(sha) = queue.pop_front() {
        if ancestors.insert(sha.clone()) {
            queue.extend(
                repo.git
                    .commit(&sha)
                    .map(|c| c.parents.clone())
                    .unwrap_or_default(),
            );
        }
    }
    let mut queue = VecDeque::from([b.to_string()]);
    let mut seen = HashSet::new();
    while let Some(sha) = queue.pop_front() {
        if ancestors.contains(&sha) {
            return Some(sha);
        }
        if seen.insert(sha.clone()) {
            queue.extend(
                repo.git
                    .commit(&sha)
                    .map(|c| c.parents.clone())
                    .unwrap_or_default(),
            );
        }
    }
    None
}

/// First-parent commits after `from` up to `to`, oldest first.
fn commits_between(repo: &super::world::Repo, from: &str, to: &str) -> Vec<String> {
    let mut list = Vec::new();
    let mut current = to.to_string();
    while current != from {
        let Some(commit) = repo.git.commit(&current) else {
            break;
        };
        list.push(current.clone());
        match commit.parents.first() {
            Some(parent) => current = parent.clone(),
            None => break,
        }
    }
    list.reverse();
    list
}

/// `theirs`' changes since `base` applied onto `ours`; `None` on a conflict.
fn three_way(base: &Files, ours: &Files, theirs: &Files) -> Option<Files> {
    let mut result = ours.clone();
    let paths: BTreeSet<&String> = base.keys().chain(theirs.keys()).collect();
    for path in paths {
        let (was, now) = (base.get(path), theirs.get(path));
        if was == now {
            continue;
        }
        let mine = ours.get(path);
        if mine != was && mine != now {
            return None;
        }
        match now {
            Some(entry) => result.insert(path.clone(), entry.clone()),
            None => result.remove(path),
        };
    }
    Some(result)
}
