//! The fields the simulator models, resolved over the world with GitHub's semantics. Ids and
//! URLs come from the same helpers as the REST answers (`payloads`), so both APIs agree. Any
//! other field of GitHub's schema is answered `NotModeled`, never a silent null.

mod connection;
mod conversation;
mod git_objects;

use serde_json::{json, Value};

use super::execute::{Args, FieldError, Object, Resolved};
use crate::git::Object as GitObject;
use crate::payloads;
use crate::world::{Comment, CommitStatus, Issue, Release, Repo, UserKind, World};
use connection::edge_type;
use conversation::{order_issues, pull_state};
use git_objects::{combined_state, entry_type};

/// What every node knows: the world, and whose token asks.
#[derive(Clone, Copy)]
pub struct Scope<'w> {
    world: &'w World,
    actor: &'w str,
}

#[derive(Clone)]
pub struct Node<'w> {
    scope: Scope<'w>,
    kind: Kind<'w>,
}

#[derive(Clone)]
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
#[derive(Clone)]
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
                        .map(|(_, node)| Resolved::Object(node.clone()))
                        .collect(),
                )),
                "edges" => Ok(Resolved::List(
                    page.edges
                        .iter()
                        .map(|(cursor, node)| {
                            Resolved::Object(self.with(Kind::Edge {
                                type_name: edge_type(self.type_name()),
                                cursor: cursor.clone(),
                                node: Box::new(node.clone()),
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
                "node" => Ok(Resolved::Object(node.as_ref().clone())),
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
    fn query_field(&self, name: &str, args: &Args) -> Answer<'w> {
        let world = self.scope.world;
        match name {
            "viewer" => {
                // `Query.viewer` is a `User!` in GitHub's schema, whoever the token acts as.
                Ok(Resolved::Object(self.user(self.scope.actor)))
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

    fn git_ref(&self, repo: &'w Repo, full: &str, prefix: &str) -> Option<Node<'w>> {
        let (full, oid) = repo.refs.get_key_value(full)?;
        Some(self.with(Kind::Ref {
            repo,
            name: full.strip_prefix(prefix).unwrap_or(full).to_string(),
            prefix: prefix.to_string(),
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

    /// Someone where GitHub's schema promises a `User` (`Query.viewer`, `Release.author`): a
    /// bot is its user record there, REST's login and all (`releasebot[bot]`).
    fn user(&self, login: &str) -> Node<'w> {
        self.with(Kind::Account {
            login: login.to_string(),
            type_name: "User",
            database_id: self.scope.world.user(login).map(|u| u.id),
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

/// `refs/heads/` of `refs/heads/release/1.0`: the first two segments.
fn standard_prefix(full: &str) -> String {
    let mut parts = full.splitn(3, '/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(b), Some(_)) => format!("{a}/{b}/"),
        _ => String::new(),
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
