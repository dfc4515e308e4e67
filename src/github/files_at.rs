//! Files at a commit, with their modes: answered from the job's first query when it read them
//! all, else from the git data API (one recursive tree listing, or a walk down each path when
//! GitHub truncates it, then the blobs together). Callers cannot tell which answered.

use super::client::RepoClient;
use super::models::TreeEntry;
use super::ApiError;
use crate::domain::CommitSha;

impl RepoClient {
    /// The commit's tree id and, for each of `paths` that exists as a file, its tree entry and
    /// text. A commit id is read as its tree, so the commit itself is not read.
    pub async fn files_at(
        &self,
        commit: &CommitSha,
        paths: &[&str],
    ) -> Result<(String, Vec<(TreeEntry, String)>), ApiError> {
        if let Some(found) = self.prefetched_files(commit, paths) {
            return Ok(found);
        }
        let (tree, entries) = self.blob_entries(commit, paths).await?;
        // The files' contents do not depend on one another: read together, in one round trip.
        let texts =
            futures_util::future::try_join_all(entries.iter().map(|e| self.blob_text(&e.sha)))
                .await?;
        Ok((tree, entries.into_iter().zip(texts).collect()))
    }

    /// The tree id and the entries of the wanted files: one recursive listing is enough for
    /// most repositories; a truncated one (very large trees) is walked down path by path.
    async fn blob_entries(
        &self,
        commit: &CommitSha,
        paths: &[&str],
    ) -> Result<(String, Vec<TreeEntry>), ApiError> {
        let tree = self.tree_recursive(commit.as_str()).await?;
        let root = tree.sha;
        if !tree.truncated {
            let entries = tree
                .tree
                .into_iter()
                .filter(|e| e.kind == "blob" && paths.contains(&e.path.as_str()))
                .collect();
            return Ok((root, entries));
        }
        let mut found = Vec::new();
        for path in paths {
            if let Some(entry) = self.walk_to(&root, path).await? {
                found.push(entry);
            }
        }
        Ok((root, found))
    }

    async fn walk_to(&self, root: &str, path: &str) -> Result<Option<TreeEntry>, ApiError> {
        let mut tree_sha = root.to_string();
        let parts: Vec<&str> = path.split('/').collect();
        for (i, part) in parts.iter().enumerate() {
            let tree = self.tree(&tree_sha).await?;
            let Some(entry) = tree.tree.into_iter().find(|e| e.path == *part) else {
                return Ok(None);
            };
            if i + 1 == parts.len() {
                return Ok((entry.kind == "blob").then(|| TreeEntry {
                    path: path.to_string(),
                    ..entry
                }));
            }
            if entry.kind != "tree" {
                return Ok(None);
            }
            tree_sha = entry.sha;
        }
        Ok(None)
    }
}
