//! What a delivery's job is about to read, and the one GraphQL query that reads it all.

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

/// GitHub answers at most this many items per connection; longer lists are read over REST.
pub const PAGE: u32 = 100;

impl ReadPlan {
    pub fn is_empty(&self) -> bool {
        *self == ReadPlan::default()
    }

    /// The query for `owner/name`. Values are written as GraphQL string literals (JSON's
    /// escaping is a subset of GraphQL's), so a path or branch name cannot change the query.
    pub fn query(&self, owner: &str, name: &str) -> String {
        let mut q = String::from("query {\n");
        if self.viewer {
            q.push_str("  viewer { __typename login }\n");
        }
        let mut repo = String::new();
        if let Some(file) = &self.file {
            let expression = format!("{}:{}", file.rev, file.path);
            repo += &format!(
                "    file: object(expression: {}) {{ __typename {BLOB} }}\n",
                lit(&expression)
            );
        }
        if let Some(base) = &self.base {
            repo += &format!(
                "    base: ref(qualifiedName: {}) {{ name target {{ __typename oid {} }} }}\n",
                lit(&format!("refs/heads/{}", base.at)),
                files_fragment(&base.paths)
            );
        }
        if self.tags {
            repo += &format!(
                "    tags: refs(refPrefix: \"refs/tags/\", first: {PAGE}) {{ pageInfo {{ hasNextPage }} nodes {{ name target {{ __typename oid ... on Tag {{ name target {{ __typename oid }} }} }} }} }}\n"
            );
        }
        if let Some(release) = &self.release {
            repo += &format!(
                "    branch: ref(qualifiedName: {}) {{ name target {{ __typename oid }} }}\n",
                lit(&format!("refs/heads/{}", release.branch))
            );
            repo += &format!(
                "    tag: ref(qualifiedName: {}) {{ name target {{ __typename oid {STATUS} ... on Tag {{ name target {{ __typename oid {STATUS} }} }} }} }}\n",
                lit(&format!("refs/tags/{}", release.tag))
            );
            repo += &format!(
                "    pulls: pullRequests(headRefName: {}, first: {PAGE}, orderBy: {{field: CREATED_AT, direction: DESC}}) {{ pageInfo {{ hasNextPage }} nodes {{ {PULL} }} }}\n",
                lit(&release.branch)
            );
        }
        if self.releases {
            repo += &format!(
                "    releases(first: {PAGE}, orderBy: {{field: CREATED_AT, direction: DESC}}) {{ pageInfo {{ hasNextPage }} nodes {{ databaseId tagName name description isDraft isPrerelease url }} }}\n"
            );
        }
        if let Some(number) = self.comments {
            let comments = format!(
                "comments(last: {PAGE}) {{ pageInfo {{ hasPreviousPage }} nodes {{ databaseId body url author {{ __typename login }} }} }}"
            );
            repo += &format!(
                "    comments: issueOrPullRequest(number: {number}) {{ __typename ... on Issue {{ {comments} }} ... on PullRequest {{ {comments} }} }}\n"
            );
        }
        if let Some(commit) = &self.commit {
            repo += &format!(
                "    commit: object(oid: {}) {{ __typename oid {} }}\n",
                lit(&commit.at),
                files_fragment(&commit.paths)
            );
        }
        if !repo.is_empty() {
            q += &format!(
                "  repository(owner: {}, name: {}) {{\n{repo}  }}\n",
                lit(owner),
                lit(name)
            );
        }
        q.push('}');
        q
    }
}

const BLOB: &str = "... on Blob { text isBinary isTruncated }";
const STATUS: &str = "... on Commit { status { contexts { context state description } } }";
const PULL: &str = "number title body url state merged mergedAt mergeCommit { oid } headRefName headRefOid baseRefName baseRefOid headRepositoryOwner { login } headRepository { nameWithOwner } author { __typename login }";

/// A commit's tree and the files asked for, each under an alias (`f0`, `f1`, …) in the order
/// given.
fn files_fragment(paths: &[String]) -> String {
    let files: String = paths
        .iter()
        .enumerate()
        .map(|(i, path)| {
            format!(
                " f{i}: file(path: {}) {{ path mode type oid object {{ __typename {BLOB} }} }}",
                lit(path)
            )
        })
        .collect();
    format!("... on Commit {{ tree {{ oid }}{files} }}")
}

/// A GraphQL string literal.
fn lit(value: &str) -> String {
    serde_json::Value::String(value.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_plan_asks_for_nothing() {
        assert!(ReadPlan::default().is_empty());
        assert_eq!(ReadPlan::default().query("o", "r"), "query {\n}");
    }

    #[test]
    fn names_with_quotes_stay_string_literals() {
        let plan = ReadPlan {
            file: Some(FileAt {
                rev: "main".into(),
                path: "a\"b } c\\.toml".into(),
            }),
            ..ReadPlan::default()
        };
        let query = plan.query("o", "r");
        assert!(
            query.contains(r#"object(expression: "main:a\"b } c\\.toml")"#),
            "{query}"
        );
    }

    #[test]
    fn files_are_asked_for_under_aliases_in_order() {
        let plan = ReadPlan {
            base: Some(FilesAt {
                at: "master".into(),
                paths: vec!["mathesar/__init__.py".into(), "install.sh".into()],
            }),
            ..ReadPlan::default()
        };
        let query = plan.query("centerofci", "mathesar");
        let first = query
            .find("f0: file(path: \"mathesar/__init__.py\")")
            .unwrap();
        let second = query.find("f1: file(path: \"install.sh\")").unwrap();
        assert!(first < second);
        assert!(query.contains("ref(qualifiedName: \"refs/heads/master\")"));
        assert!(query.contains("repository(owner: \"centerofci\", name: \"mathesar\")"));
    }
}
