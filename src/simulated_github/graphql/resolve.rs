//! The fields the simulator models, resolved over the world with GitHub's semantics. Ids and
//! URLs come from the same helpers as the REST answers (`payloads`), so both APIs agree. Any
//! other field of GitHub's schema is answered `NotModeled`, never a silent null.

use serde_json::{json, Value};

use super::execute::{Args, FieldError, Object, Resolved};
use crate::simulated_github::git::{self, Object as GitObject};
use crate::simulated_github::payloads;
use crate::simulated_github::world::{
    Comment, CommitStatus, Issue, Release, Repo, UserKind, World,
};

/// GitHub's `Blob.text` stops here and says `isTruncated` (its GraphQL API serves text blobs
/// up to 512 KiB; larger ones need the REST blob API).
pub const BLOB_TEXT_LIMIT: usize = 512 * 1024;

/// What every node knows: the world, and whose token asks.
#[derive(Clone, Copy)]
pub struct Scope<'w> {
    world: &'w World,
    actor: &'w str,
}

pub struct Node<'w> {
    scope: Scope<'w>,
    kind: Kind<'w>,
}

enum Kind<'w> {
    Query,
    /// A user, bot or organization as GraphQL shows it (`login` already in GraphQL's form).
    Account {
        login: String,
        type_name: &'static str,
        database_id: Option<u64>,
    },
    Repository(&'w Repo),
    Ref {
        repo: &'w Repo,
        name: String,
        prefix: String,
        oid: &'w str,
    },
    /// A git object; `path` is where a tree or blob was reached, for its entries' paths.
    Git {
        repo: &'w Repo,
        oid: String,
        path: Option<String>,
    },
    TreeEntry {
        repo: &'w Repo,
        path: String,
        name: String,
        mode: String,
        oid: String,
    },
    Status {
        repo: &'w Repo,
        latest: Vec<&'w CommitStatus>,
    },
    StatusContext(&'w CommitStatus),
    Issue(&'w Repo, &'w Issue),
    PullRequest(&'w Repo, &'w Issue),
    Release(&'w Repo, &'w Release),
    Comment(&'w Repo, &'w Comment),
    Connection {
        type_name: &'static str,
        page: Page<'w>,
    },
    Edge {
        type_name: &'static str,
        cursor: String,
        node: Box<Node<'w>>,
    },
    PageInfo {
        start: Option<String>,
        end: Option<String>,
        has_next: bool,
        has_previous: bool,
    },
}

/// One page of a connection.
struct Page<'w> {
    edges: Vec<(String, Node<'w>)>,
    total: usize,
    has_next: bool,
    has_previous: bool,
}

type Answer<'w> = Result<Resolved<Node<'w>>, FieldError>;

impl<'w> Node<'w> {
    pub fn query(world: &'w World, actor: &'w str) -> Node<'w> {
        Node {
            scope: Scope { world, actor },
            kind: Kind::Query,
        }
    }

    fn with(&self, kind: Kind<'w>) -> Node<'w> {
        Node {
            scope: self.scope,
            kind,
        }
    }
}

impl<'w> Object for Node<'w> {
    fn type_name(&self) -> &'static str {
        match &self.kind {
            Kind::Query => "Query",
            Kind::Account { type_name, .. } => type_name,
            Kind::Repository(_) => "Repository",
            Kind::Ref { .. } => "Ref",
            Kind::Git { repo, oid, .. } => match repo.git.get(oid) {
                Some(GitObject::Blob(_)) => "Blob",
                Some(GitObject::Tree(_)) => "Tree",
                Some(GitObject::Tag(_)) => "Tag",
                _ => "Commit",
            },
            Kind::TreeEntry { .. } => "TreeEntry",
            Kind::Status { .. } => "Status",
            Kind::StatusContext(_) => "StatusContext",
            Kind::Issue(..) => "Issue",
            Kind::PullRequest(..) => "PullRequest",
            Kind::Release(..) => "Release",
            Kind::Comment(..) => "IssueComment",
            Kind::Connection { type_name, .. } => type_name,
            Kind::Edge { type_name, .. } => type_name,
            Kind::PageInfo { .. } => "PageInfo",
        }
    }

    fn field(&self, name: &str, args: &Args) -> Answer<'w> {
        match &self.kind {
            Kind::Query => self.query_field(name, args),
            Kind::Account {
                login, database_id, ..
            } => match name {
                "login" => Ok(Resolved::Leaf(json!(login))),
                "databaseId" => Ok(Resolved::leaf(*database_id)),
                _ => Err(FieldError::NotModeled),
            },
            Kind::Repository(repo) => self.repository_field(repo, name, args),
            Kind::Ref {
                repo,
                name: short,
                prefix,
                oid,
            } => match name {
                "name" => Ok(Resolved::Leaf(json!(short))),
                "prefix" => Ok(Resolved::Leaf(json!(prefix))),
                "target" => Ok(Resolved::object(self.git(repo, oid, None))),
                _ => Err(FieldError::NotModeled),
            },
            Kind::Git { repo, oid, path } => self.git_field(repo, oid, path.as_deref(), name, args),
            Kind::TreeEntry {
                repo,
                path,
                name: entry,
                mode,
                oid,
            } => {
                match name {
                    "name" => Ok(Resolved::Leaf(json!(entry))),
                    "path" => Ok(Resolved::Leaf(json!(path))),
                    // git's octal mode read as a number: 100644 is 33188.
                    "mode" => Ok(Resolved::Leaf(json!(
                        i64::from_str_radix(mode, 8).unwrap_or_default()
                    ))),
                    "type" => Ok(Resolved::Leaf(json!(entry_type(mode)))),
                    "oid" => Ok(Resolved::Leaf(json!(oid))),
                    "object" => Ok(Resolved::object(self.git(repo, oid, Some(path.clone())))),
                    "size" => Ok(Resolved::Leaf(json!(repo
                        .git
                        .blob(oid)
                        .map_or(0, Vec::len)))),
                    _ => Err(FieldError::NotModeled),
                }
            }
            Kind::Status { repo, latest } => match name {
                "state" => Ok(Resolved::Leaf(json!(combined_state(latest)))),
                "contexts" => Ok(Resolved::List(
                    latest
                        .iter()
                        .map(|s| Resolved::Object(self.with(Kind::StatusContext(s))))
                        .collect(),
                )),
                "commit" => Ok(Resolved::object(
                    latest.first().and_then(|s| self.git(repo, &s.sha, None)),
                )),
                _ => Err(FieldError::NotModeled),
            },
            Kind::StatusContext(status) => match name {
                "context" => Ok(Resolved::Leaf(json!(status.context))),
                "state" => Ok(Resolved::Leaf(json!(status.state.to_uppercase()))),
                "description" => Ok(Resolved::leaf(status.description.clone())),
                "targetUrl" => Ok(Resolved::leaf(status.target_url.clone())),
                "createdAt" => Ok(Resolved::Leaf(json!(status.created_at))),
                "creator" => Ok(Resolved::Object(self.account(&status.creator))),
                _ => Err(FieldError::NotModeled),
            },
            Kind::Issue(repo, issue) => self.issue_field(repo, issue, name, args),
            Kind::PullRequest(repo, issue) => self.pull_field(repo, issue, name, args),
            Kind::Release(repo, release) => self.release_field(repo, release, name),
            Kind::Comment(repo, comment) => {
                let rest = || payloads::comment(self.scope.world, repo, comment);
                match name {
                    "databaseId" => Ok(Resolved::Leaf(json!(comment.id))),
                    "id" => Ok(Resolved::Leaf(rest()["node_id"].clone())),
                    "body" => Ok(Resolved::Leaf(json!(comment.body))),
                    "url" => Ok(Resolved::Leaf(rest()["html_url"].clone())),
                    "createdAt" => Ok(Resolved::Leaf(json!(comment.created_at))),
                    "updatedAt" => Ok(Resolved::Leaf(json!(comment.updated_at))),
                    "author" => Ok(Resolved::Object(self.account(&comment.author))),
                    "viewerDidAuthor" => {
                        Ok(Resolved::Leaf(json!(comment.author == self.scope.actor)))
                    }
                    _ => Err(FieldError::NotModeled),
                }
            }
            Kind::Connection { page, .. } => match name {
                "totalCount" => Ok(Resolved::Leaf(json!(page.total))),
                "nodes" => Ok(Resolved::List(
                    page.edges
                        .iter()
                        .map(|(_, node)| Resolved::Object(node.again()))
                        .collect(),
                )),
                "edges" => Ok(Resolved::List(
                    page.edges
                        .iter()
                        .map(|(cursor, node)| {
                            Resolved::Object(self.with(Kind::Edge {
                                type_name: edge_type(self.type_name()),
                                cursor: cursor.clone(),
                                node: Box::new(node.again()),
                            }))
                        })
                        .collect(),
                )),
                "pageInfo" => Ok(Resolved::Object(self.with(Kind::PageInfo {
                    start: page.edges.first().map(|(c, _)| c.clone()),
                    end: page.edges.last().map(|(c, _)| c.clone()),
                    has_next: page.has_next,
                    has_previous: page.has_previous,
                }))),
                _ => Err(FieldError::NotModeled),
            },
            Kind::Edge { cursor, node, .. } => match name {
                "cursor" => Ok(Resolved::Leaf(json!(cursor))),
                "node" => Ok(Resolved::Object(node.again())),
                _ => Err(FieldError::NotModeled),
            },
            Kind::PageInfo {
                start,
                end,
                has_next,
                has_previous,
            } => match name {
                "startCursor" => Ok(Resolved::leaf(start.clone())),
                "endCursor" => Ok(Resolved::leaf(end.clone())),
                "hasNextPage" => Ok(Resolved::Leaf(json!(has_next))),
                "hasPreviousPage" => Ok(Resolved::Leaf(json!(has_previous))),
                _ => Err(FieldError::NotModeled),
            },
        }
    }
}

impl<'w> Node<'w> {
    /// A copy of a node kept in a page, to hand to the walker.
    fn again(&self) -> Node<'w> {
        let kind = match &self.kind {
            Kind::Ref {
                repo,
                name,
                prefix,
                oid,
            } => Kind::Ref {
                repo,
                name: name.clone(),
                prefix: prefix.clone(),
                oid,
            },
            Kind::Git { repo, oid, path } => Kind::Git {
                repo,
                oid: oid.clone(),
                path: path.clone(),
            },
            Kind::Issue(repo, issue) => Kind::Issue(repo, issue),
            Kind::PullRequest(repo, issue) => Kind::PullRequest(repo, issue),
            Kind::Release(repo, release) => Kind::Release(repo, release),
            Kind::Comment(repo, comment) => Kind::Comment(repo, comment),
            // Pages hold only the kinds above.
            _ => Kind::Query,
        };
        self.with(kind)
    }

    fn query_field(&self, name: &str, args: &Args) -> Answer<'w> {
        let world = self.scope.world;
        match name {
            "viewer" => {
                // The token's own actor keeps its REST login: an installation token's viewer
                // is `releasebot[bot]`, a `Bot`.
                let actor = self.scope.actor;
                let user = world.user(actor);
                Ok(Resolved::Object(self.with(Kind::Account {
                    login: actor.to_string(),
                    type_name: match user.map(|u| u.kind) {
                        Some(UserKind::Bot) => "Bot",
                        _ => "User",
                    },
                    database_id: user.map(|u| u.id),
                })))
            }
            "repository" => {
                args.only(&["owner", "name", "followRenames"])?;
                let owner = args.str("owner").unwrap_or_default();
                let repo_name = args.str("name").unwrap_or_default();
                // GitHub matches owner and name case-insensitively.
                let found = world.repos.values().find(|r| {
                    r.owner.eq_ignore_ascii_case(owner) && r.name.eq_ignore_ascii_case(repo_name)
                });
                match found.filter(|r| can_see(world, r, self.scope.actor)) {
                    Some(repo) => Ok(Resolved::Object(self.with(Kind::Repository(repo)))),
                    None => Err(FieldError::NotFound(format!(
                        "Could not resolve to a Repository with the name '{owner}/{repo_name}'."
                    ))),
                }
            }
            _ => Err(FieldError::NotModeled),
        }
    }

    fn repository_field(&self, repo: &'w Repo, name: &str, args: &Args) -> Answer<'w> {
        let world = self.scope.world;
        match name {
            "nameWithOwner" => Ok(Resolved::Leaf(json!(repo.full_name()))),
            "name" => Ok(Resolved::Leaf(json!(repo.name))),
            "owner" => Ok(Resolved::Object(self.owner(&repo.owner))),
            "databaseId" => Ok(Resolved::Leaf(json!(repo.id))),
            "isPrivate" => Ok(Resolved::Leaf(json!(repo.private))),
            "url" => Ok(Resolved::Leaf(
                payloads::repository(world, repo)["html_url"].clone(),
            )),
            "defaultBranchRef" => {
                let full = format!("refs/heads/{}", repo.default_branch);
                Ok(Resolved::object(self.git_ref(repo, &full, "refs/heads/")))
            }
            "ref" => {
                args.only(&["qualifiedName"])?;
                let wanted = args.str("qualifiedName").unwrap_or_default();
                // Fully qualified first, then the short name as a branch, then as a tag.
                let found = [
                    wanted.to_string(),
                    format!("refs/heads/{wanted}"),
                    format!("refs/tags/{wanted}"),
                ]
                .into_iter()
                .find(|full| repo.refs.contains_key(full));
                Ok(Resolved::object(found.and_then(|full| {
                    let prefix = standard_prefix(&full);
                    self.git_ref(repo, &full, &prefix)
                })))
            }
            "refs" => {
                args.only(&[
                    "refPrefix",
                    "first",
                    "after",
                    "last",
                    "before",
                    "direction",
                    "orderBy",
                ])?;
                let prefix = args.str("refPrefix").unwrap_or_default();
                let mut refs: Vec<Node<'w>> = repo
                    .refs
                    .keys()
                    .filter(|full| full.starts_with(prefix) && full.len() > prefix.len())
                    .filter_map(|full| self.git_ref(repo, full, prefix))
                    .collect();
                // Alphabetical by name (the refs map is ordered by full name, which is the same
                // under one prefix); TAG_COMMIT_DATE is not modeled.
                if let Some(field) = args.get("orderBy").and_then(|o| o["field"].as_str()) {
                    if field != "ALPHABETICAL" {
                        return Err(FieldError::ArgumentNotModeled(format!(
                            "orderBy: {{field: {field}}}"
                        )));
                    }
                }
                let direction = args
                    .get("orderBy")
                    .and_then(|o| o["direction"].as_str())
                    .or_else(|| args.str("direction"));
                if direction == Some("DESC") {
                    refs.reverse();
                }
                self.connection("RefConnection", refs, args)
            }
            "object" => {
                args.only(&["expression", "oid"])?;
                if let Some(oid) = args.str("oid") {
                    return Ok(Resolved::object(self.git(repo, oid, None)));
                }
                let expression = args.str("expression").unwrap_or_default();
                Ok(Resolved::object(self.expression(repo, expression)))
            }
            "pullRequests" => {
                args.only(&[
                    "headRefName",
                    "baseRefName",
                    "states",
                    "first",
                    "after",
                    "last",
                    "before",
                    "orderBy",
                ])?;
                let states: Option<Vec<&str>> = args
                    .get("states")
                    .and_then(Value::as_array)
                    .map(|s| s.iter().filter_map(Value::as_str).collect());
                // A branch name in any head repository: a fork's `release/1.0` matches too.
                let mut pulls: Vec<&'w Issue> = repo
                    .issues
                    .values()
                    .filter(|issue| {
                        issue.pull.as_ref().is_some_and(|pull| {
                            args.str("headRefName").is_none_or(|h| pull.head == h)
                                && args.str("baseRefName").is_none_or(|b| pull.base == b)
                        })
                    })
                    .filter(|issue| {
                        states
                            .as_ref()
                            .is_none_or(|states| states.contains(&pull_state(issue)))
                    })
                    .collect();
                order_issues(&mut pulls, args)?;
                let nodes = pulls
                    .into_iter()
                    .map(|issue| self.with(Kind::PullRequest(repo, issue)))
                    .collect();
                self.connection("PullRequestConnection", nodes, args)
            }
            "releases" => {
                args.only(&["first", "after", "last", "before", "orderBy"])?;
                // Drafts are visible only to those who can push, as on GitHub.
                let push = can_push(world, repo, self.scope.actor);
                let mut releases: Vec<&'w Release> = repo
                    .releases
                    .iter()
                    .filter(|release| push || !release.draft)
                    .collect();
                if let Some(order) = args.get("orderBy") {
                    match order["field"].as_str() {
                        Some("CREATED_AT") => releases
                            .sort_by(|a, b| (&a.created_at, a.id).cmp(&(&b.created_at, b.id))),
                        Some("NAME") => releases.sort_by(|a, b| a.name.cmp(&b.name)),
                        _ => {}
                    }
                    if order["direction"].as_str() == Some("DESC") {
                        releases.reverse();
                    }
                }
                let nodes = releases
                    .into_iter()
                    .map(|release| self.with(Kind::Release(repo, release)))
                    .collect();
                self.connection("ReleaseConnection", nodes, args)
            }
            "issueOrPullRequest" | "issue" | "pullRequest" => {
                args.only(&["number"])?;
                let number = args.int("number").unwrap_or_default();
                let issue = u64::try_from(number).ok().and_then(|n| repo.issues.get(&n));
                let (node, missing) = match (name, issue) {
                    ("issueOrPullRequest", Some(issue)) if issue.pull.is_some() => {
                        (Some(Kind::PullRequest(repo, issue)), "")
                    }
                    ("issueOrPullRequest", Some(issue)) => (Some(Kind::Issue(repo, issue)), ""),
                    ("issueOrPullRequest", None) => (None, "issue or pull request"),
                    ("issue", Some(issue)) if issue.pull.is_none() => {
                        (Some(Kind::Issue(repo, issue)), "")
                    }
                    ("issue", _) => (None, "Issue"),
                    (_, Some(issue)) if issue.pull.is_some() => {
                        (Some(Kind::PullRequest(repo, issue)), "")
                    }
                    _ => (None, "PullRequest"),
                };
                match node {
                    Some(kind) => Ok(Resolved::Object(self.with(kind))),
                    None => Err(FieldError::NotFound(format!(
                        "Could not resolve to {} {missing} with the number of {number}.",
                        if missing.starts_with(['I', 'i']) {
                            "an"
                        } else {
                            "a"
                        }
                    ))),
                }
            }
            _ => Err(FieldError::NotModeled),
        }
    }

    fn git_field(
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
                "committedDate" => Ok(Resolved::Leaf(json!(
                    crate::simulated_github::world::format_time(commit.committer.time)
                ))),
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

    fn issue_field(&self, repo: &'w Repo, issue: &'w Issue, name: &str, args: &Args) -> Answer<'w> {
        let world = self.scope.world;
        match name {
            "number" => Ok(Resolved::Leaf(json!(issue.number))),
            "title" => Ok(Resolved::Leaf(json!(issue.title))),
            "body" => Ok(Resolved::Leaf(json!(issue.body))),
            "state" => Ok(Resolved::Leaf(json!(issue.state.to_uppercase()))),
            "createdAt" => Ok(Resolved::Leaf(json!(issue.created_at))),
            "author" => Ok(Resolved::Object(self.account(&issue.author))),
            "id" => Ok(Resolved::Leaf(
                payloads::issue(world, repo, issue)["node_id"].clone(),
            )),
            "databaseId" => Ok(Resolved::Leaf(
                payloads::issue(world, repo, issue)["id"].clone(),
            )),
            "url" => Ok(Resolved::Leaf(
                payloads::issue(world, repo, issue)["html_url"].clone(),
            )),
            "comments" => self.comments(repo, issue, args),
            _ => Err(FieldError::NotModeled),
        }
    }

    fn pull_field(&self, repo: &'w Repo, issue: &'w Issue, name: &str, args: &Args) -> Answer<'w> {
        let world = self.scope.world;
        let Some(pull) = &issue.pull else {
            return Err(FieldError::NotModeled);
        };
        let rest = || payloads::pull(world, repo, issue);
        match name {
            "number" => Ok(Resolved::Leaf(json!(issue.number))),
            "databaseId" => Ok(Resolved::Leaf(rest()["id"].clone())),
            "id" => Ok(Resolved::Leaf(rest()["node_id"].clone())),
            "title" => Ok(Resolved::Leaf(json!(issue.title))),
            "body" => Ok(Resolved::Leaf(json!(issue.body))),
            "url" => Ok(Resolved::Leaf(rest()["html_url"].clone())),
            "state" => Ok(Resolved::Leaf(json!(pull_state(issue)))),
            "isDraft" => Ok(Resolved::Leaf(json!(pull.draft))),
            "merged" => Ok(Resolved::Leaf(json!(pull.merged))),
            "mergedAt" => Ok(Resolved::leaf(pull.merged_at.clone())),
            "mergeCommit" => Ok(Resolved::object(
                pull.merge_commit_sha
                    .as_deref()
                    .and_then(|sha| self.git(repo, sha, None)),
            )),
            "headRefName" => Ok(Resolved::Leaf(json!(pull.head))),
            "headRefOid" => Ok(Resolved::Leaf(rest()["head"]["sha"].clone())),
            "baseRefName" => Ok(Resolved::Leaf(json!(pull.base))),
            "baseRefOid" => Ok(Resolved::Leaf(rest()["base"]["sha"].clone())),
            "headRepositoryOwner" => Ok(Resolved::Object(
                self.owner(pull.head_owner.as_deref().unwrap_or(&repo.owner)),
            )),
            "isCrossRepository" => Ok(Resolved::Leaf(json!(pull
                .head_owner
                .as_ref()
                .is_some_and(|o| *o != repo.owner)))),
            "author" => Ok(Resolved::Object(self.account(&issue.author))),
            "createdAt" => Ok(Resolved::Leaf(json!(issue.created_at))),
            "comments" => self.comments(repo, issue, args),
            _ => Err(FieldError::NotModeled),
        }
    }

    fn release_field(&self, repo: &'w Repo, release: &'w Release, name: &str) -> Answer<'w> {
        let world = self.scope.world;
        let rest = || payloads::release(world, repo, release);
        match name {
            "databaseId" => Ok(Resolved::Leaf(json!(release.id))),
            "id" => Ok(Resolved::Leaf(rest()["node_id"].clone())),
            "tagName" => Ok(Resolved::Leaf(json!(release.tag_name))),
            "name" => Ok(Resolved::Leaf(json!(release.name))),
            "description" => Ok(Resolved::Leaf(json!(release.body))),
            "isDraft" => Ok(Resolved::Leaf(json!(release.draft))),
            "isPrerelease" => Ok(Resolved::Leaf(json!(release.prerelease))),
            "isLatest" => Ok(Resolved::Leaf(json!(
                repo.latest_release == Some(release.id)
            ))),
            "url" => Ok(Resolved::Leaf(rest()["html_url"].clone())),
            "createdAt" => Ok(Resolved::Leaf(json!(release.created_at))),
            "publishedAt" => Ok(Resolved::leaf(release.published_at.clone())),
            "author" => Ok(Resolved::Object(self.account(&release.author))),
            // The commit the tag points at; a draft whose tag does not exist yet has none.
            "tagCommit" => Ok(Resolved::object(
                repo.refs
                    .get(&format!("refs/tags/{}", release.tag_name))
                    .and_then(|sha| repo.git.peel_to_commit(sha))
                    .and_then(|sha| self.git(repo, &sha, None)),
            )),
            _ => Err(FieldError::NotModeled),
        }
    }

    /// An issue's or pull request's comments, oldest first.
    fn comments(&self, repo: &'w Repo, issue: &'w Issue, args: &Args) -> Answer<'w> {
        args.only(&["first", "after", "last", "before"])?;
        let nodes = repo
            .comments
            .iter()
            .filter(|c| c.issue == issue.number)
            .map(|c| self.with(Kind::Comment(repo, c)))
            .collect();
        self.connection("IssueCommentConnection", nodes, args)
    }

    /// One page by `first`/`after` or `last`/`before`.
    fn connection(&self, type_name: &'static str, items: Vec<Node<'w>>, args: &Args) -> Answer<'w> {
        // Bounds were checked before execution (`pagination`).
        let (first, last) = (args.int("first"), args.int("last"));
        let total = items.len();
        let mut start = 0;
        let mut end = total;
        for (argument, bound) in [("after", &mut start), ("before", &mut end)] {
            if let Some(cursor) = args.str(argument) {
                let Some(index) = decode_cursor(cursor) else {
                    return Err(FieldError::Refused {
                        kind: "INVALID_CURSOR_ARGUMENTS",
                        message: format!("`{cursor}` does not appear to be a valid cursor."),
                    });
                };
                *bound = if argument == "after" {
                    (index + 1).min(total)
                } else {
                    index.min(total)
                };
            }
        }
        end = end.max(start);
        if let Some(n) = first {
            end = end.min(start + n.max(0) as usize);
        }
        if let Some(n) = last {
            start = start.max(end.saturating_sub(n.max(0) as usize));
        }
        let edges = items
            .into_iter()
            .enumerate()
            .skip(start)
            .take(end - start)
            .map(|(index, node)| (encode_cursor(index), node))
            .collect();
        Ok(Resolved::Object(self.with(Kind::Connection {
            type_name,
            page: Page {
                edges,
                total,
                has_next: end < total,
                has_previous: start > 0,
            },
        })))
    }

    fn git(&self, repo: &'w Repo, oid: &str, path: Option<String>) -> Option<Node<'w>> {
        repo.git.get(oid)?;
        Some(self.with(Kind::Git {
            repo,
            oid: oid.to_string(),
            path,
        }))
    }

    fn git_ref(&self, repo: &'w Repo, full: &str, prefix: &str) -> Option<Node<'w>> {
        let (full, oid) = repo.refs.get_key_value(full)?;
        Some(self.with(Kind::Ref {
            repo,
            name: full.strip_prefix(prefix).unwrap_or(full).to_string(),
            prefix: prefix.to_string(),
            oid,
        }))
    }

    /// `<rev>:<path>` (the object at the path in that revision's tree, the root tree for an
    /// empty path) or `<rev>` (the commit), with `<rev>` a branch, tag or commit id.
    fn expression(&self, repo: &'w Repo, expression: &str) -> Option<Node<'w>> {
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

    /// An actor as GraphQL names it: a bot without REST's `[bot]` suffix (`dependabot`).
    fn account(&self, login: &str) -> Node<'w> {
        let user = self.scope.world.user(login);
        let bot = user.is_some_and(|u| u.kind == UserKind::Bot);
        self.with(Kind::Account {
            login: if bot {
                login.strip_suffix("[bot]").unwrap_or(login).to_string()
            } else {
                login.to_string()
            },
            type_name: if bot { "Bot" } else { "User" },
            database_id: user.map(|u| u.id),
        })
    }

    /// A repository owner: a known user, else an organization.
    fn owner(&self, login: &str) -> Node<'w> {
        let user = self.scope.world.user(login);
        self.with(Kind::Account {
            login: login.to_string(),
            type_name: match user.map(|u| u.kind) {
                Some(UserKind::User) => "User",
                _ => "Organization",
            },
            database_id: user.map(|u| u.id),
        })
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

fn entry_type(mode: &str) -> &'static str {
    match mode {
        git::MODE_TREE => "tree",
        "160000" => "commit",
        _ => "blob",
    }
}

/// `refs/heads/` of `refs/heads/release/1.0`: the first two segments.
fn standard_prefix(full: &str) -> String {
    let mut parts = full.splitn(3, '/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(b), Some(_)) => format!("{a}/{b}/"),
        _ => String::new(),
    }
}

fn pull_state(issue: &Issue) -> &'static str {
    match &issue.pull {
        Some(pull) if pull.merged => "MERGED",
        _ if issue.state == "open" => "OPEN",
        _ => "CLOSED",
    }
}

/// `orderBy: {field: CREATED_AT|UPDATED_AT, direction}`; by default, oldest first.
fn order_issues(issues: &mut [&Issue], args: &Args) -> Result<(), FieldError> {
    let Some(order) = args.get("orderBy") else {
        return Ok(());
    };
    match order["field"].as_str() {
        Some("CREATED_AT") => {
            issues.sort_by(|a, b| (&a.created_at, a.number).cmp(&(&b.created_at, b.number)))
        }
        Some("UPDATED_AT") => {
            issues.sort_by(|a, b| (&a.updated_at, a.number).cmp(&(&b.updated_at, b.number)))
        }
        other => {
            return Err(FieldError::ArgumentNotModeled(format!(
                "orderBy: {{field: {}}}",
                other.unwrap_or_default()
            )))
        }
    }
    if order["direction"].as_str() == Some("DESC") {
        issues.reverse();
    }
    Ok(())
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
fn combined_state(latest: &[&CommitStatus]) -> &'static str {
    let any = |state: &str| latest.iter().any(|s| s.state == state);
    if any("error") || any("failure") {
        "FAILURE"
    } else if any("pending") || latest.is_empty() {
        "PENDING"
    } else {
        "SUCCESS"
    }
}

fn edge_type(connection: &str) -> &'static str {
    match connection {
        "RefConnection" => "RefEdge",
        "PullRequestConnection" => "PullRequestEdge",
        "ReleaseConnection" => "ReleaseEdge",
        "IssueCommentConnection" => "IssueCommentEdge",
        _ => "CommitEdge",
    }
}

/// Who sees a repository: anyone when public; the owner, collaborators and App installations
/// (every installation token here covers all repositories) when private.
fn can_see(world: &World, repo: &Repo, actor: &str) -> bool {
    !repo.private
        || repo.owner == actor
        || repo.collaborators.contains_key(actor)
        || world.user(actor).is_some_and(|u| u.kind == UserKind::Bot)
}

/// Push access (write, maintain, admin), which draft releases require. An installation token
/// has it: the App's `contents: write`.
fn can_push(world: &World, repo: &Repo, actor: &str) -> bool {
    repo.owner == actor
        || world.user(actor).is_some_and(|u| u.kind == UserKind::Bot)
        || repo
            .collaborators
            .get(actor)
            .is_some_and(|role| matches!(role.as_str(), "write" | "maintain" | "admin"))
}

fn encode_cursor(index: usize) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("cursor:v2:{index}"))
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(cursor)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("cursor:v2:")?
        .parse()
        .ok()
}
