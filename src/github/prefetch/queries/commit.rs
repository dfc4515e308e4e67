//! Files at a commit: the merge commit a release is tagged on.

use super::files::{selection, FilesTarget};
use super::{lit, Part};
use crate::domain::CommitSha;
use crate::github::prefetch::plan::FilesAt;
use crate::github::prefetch::Prefetched;

pub struct Commit<'a>(pub &'a FilesAt);

impl Part for Commit<'_> {
    const ALIAS: &'static str = "commit";
    type Answer = Option<FilesTarget>;

    fn field(&self) -> String {
        format!(
            "object(oid: {}) {{ {} }}",
            lit(&self.0.at),
            selection(&self.0.paths)
        )
    }

    fn record(&self, answer: Option<FilesTarget>, found: &mut Prefetched) {
        let files = answer.and_then(|commit| commit.files(&self.0.paths));
        if let Some((sha, files)) = CommitSha::parse(&self.0.at).zip(files) {
            found.commits.insert(sha, files);
        }
    }
}
