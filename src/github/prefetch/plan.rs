//! What a delivery's job is about to read, named so that one query can read it all (the query
//! is written from it in `queries`).

/// The reads a job will make, named so that one query can make them together. Every part is
/// optional: a job that reads little asks for little.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadPlan {
    /// The token's own login (`viewer`), when the bot does not know it yet.
    pub viewer: bool,
    /// A file at a branch: the repository's configuration on its default branch.
    pub file: Option<FileAt>,
    /// A branch's head commit and these files in it (the base branch a release starts from).
    pub base: Option<FilesAt>,
    /// Every tag.
    pub tags: bool,
    /// One version's release branch and tag (with the statuses of the tag's commit), and the
    /// pull requests from that branch.
    pub release: Option<ReleaseNames>,
    /// The releases, drafts included, newest first.
    pub releases: bool,
    /// The comments of an issue or pull request.
    pub comments: Option<crate::domain::IssueNumber>,
    /// These files at a commit (the merge commit a release is tagged on).
    pub commit: Option<FilesAt>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileAt {
    pub rev: String,
    pub path: String,
}

/// Files at a branch (`at` is its name) or a commit (`at` is its id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesAt {
    pub at: String,
    pub paths: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseNames {
    pub branch: String,
    pub tag: String,
}

impl ReadPlan {
    pub fn is_empty(&self) -> bool {
        *self == ReadPlan::default()
    }
}
