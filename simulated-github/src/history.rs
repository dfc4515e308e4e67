//! What lies between commits, as GitHub's pages show it: a branch's history newest first, the
//! commits one ref has that another has not (a comparison, a pull request's commits), and the
//! files that changed, with counted lines.

use std::collections::{BTreeMap, HashSet, VecDeque};

use super::world::Repo;

/// Every commit reachable from `head`, newest first (by committer time, then nearest first).
pub fn log(r: &Repo, head: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut queue = VecDeque::from([head.to_string()]);
    let mut found = Vec::new();
    while let Some(sha) = queue.pop_front() {
        if !seen.insert(sha.clone()) {
            continue;
        }
        let Some(commit) = r.git.commit(&sha) else {
            continue;
        };
        queue.extend(commit.parents.iter().cloned());
        found.push((commit.committer.time, found.len(), sha));
    }
    found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    found.into_iter().map(|(_, _, sha)| sha).collect()
}

/// The commits `head` has that `base` has not, oldest first.
pub fn only_in(r: &Repo, head: &str, base: &str) -> Vec<String> {
    let known: HashSet<String> = log(r, base).into_iter().collect();
    let mut ahead: Vec<String> = log(r, head)
        .into_iter()
        .filter(|sha| !known.contains(sha))
        .collect();
    ahead.reverse();
    ahead
}

/// One file that differs between two commits.
pub struct Change {
    pub path: String,
    /// `added`, `removed` or `modified`.
    pub status: &'static str,
    /// The blob after the change (before it, for a removed file).
    pub blob: String,
    pub additions: usize,
    pub deletions: usize,
}

/// The files that differ from `from` (nothing, when `None`) to `to`, by path.
pub fn changes(r: &Repo, from: Option<&str>, to: &str) -> Vec<Change> {
    let files = |commit: Option<&str>| {
        commit
            .map(|c| super::merging::files(r, c))
            .unwrap_or_default()
    };
    let (before, after) = (files(from), files(Some(to)));
    let lines = |blob: Option<&String>| -> Vec<String> {
        blob.and_then(|b| r.git.blob(b))
            .map(|bytes| {
                String::from_utf8_lossy(bytes)
                    .lines()
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    };
    let paths: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    paths
        .into_iter()
        .filter_map(|path| {
            let (old, new) = (before.get(path), after.get(path));
            if old == new {
                return None;
            }
            let (old_lines, new_lines) = (lines(old.map(|e| &e.1)), lines(new.map(|e| &e.1)));
            let (additions, deletions) = counted(&old_lines, &new_lines);
            Some(Change {
                path: path.clone(),
                status: match (old, new) {
                    (None, _) => "added",
                    (_, None) => "removed",
                    _ => "modified",
                },
                blob: new.or(old).map(|e| e.1.clone()).unwrap_or_default(),
                additions,
                deletions,
            })
        })
        .collect()
}

/// Lines added and deleted, counted as a multiset (a line moved counts as neither).
fn counted(old: &[String], new: &[String]) -> (usize, usize) {
    let mut count: BTreeMap<&str, i64> = BTreeMap::new();
    for line in old {
        *count.entry(line).or_default() -= 1;
    }
    for line in new {
        *count.entry(line).or_default() += 1;
    }
    let added = count.values().filter(|n| **n > 0).sum::<i64>();
    let deleted = -count.values().filter(|n| **n < 0).sum::<i64>();
    (added as usize, deleted as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_counted_as_added_and_deleted() {
        let text = |s: &str| s.lines().map(String::from).collect::<Vec<_>>();
        assert_eq!(counted(&text("a\nb\nc"), &text("a\nc\nd\ne")), (2, 1));
        assert_eq!(counted(&[], &text("x")), (1, 0));
    }
}
