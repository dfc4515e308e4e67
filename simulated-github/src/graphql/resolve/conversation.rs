//! Issues, pull requests, their comments, and releases, as GraphQL shows them.

use serde_json::json;

use super::{Answer, Kind, Node};
use crate::graphql::execute::{Args, FieldError, Resolved};
use crate::payloads;
use crate::world::{Issue, Release, Repo};

impl<'w> Node<'w> {
    pub(super) fn issue_field(
        &self,
        repo: &'w Repo,
        issue: &'w Issue,
        name: &str,
        args: &Args,
    ) -> Answer<'w> {
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

    pub(super) fn pull_field(
        &self,
        repo: &'w Repo,
        issue: &'w Issue,
        name: &str,
        args: &Args,
    ) -> Answer<'w> {
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
            // A fork the world does not hold reads as GitHub shows a deleted fork: null.
            "headRepository" => Ok(Resolved::object(match pull.head_owner.as_deref() {
                None => Some(self.with(Kind::Repository(repo))),
                Some(fork) => world
                    .repo(&format!("{fork}/{}", repo.name))
                    .map(|found| self.with(Kind::Repository(found))),
            })),
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

    pub(super) fn release_field(
        &self,
        repo: &'w Repo,
        release: &'w Release,
        name: &str,
    ) -> Answer<'w> {
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
            "author" => Ok(Resolved::Object(self.user(&release.author))),
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
}

pub(super) fn pull_state(issue: &Issue) -> &'static str {
    match &issue.pull {
        Some(pull) if pull.merged => "MERGED",
        _ if issue.state == "open" => "OPEN",
        _ => "CLOSED",
    }
}

/// `orderBy: {field: CREATED_AT|UPDATED_AT, direction}`; by default, oldest first.
pub(super) fn order_issues(issues: &mut [&Issue], args: &Args) -> Result<(), FieldError> {
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
