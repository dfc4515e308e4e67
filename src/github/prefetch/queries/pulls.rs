//! The pull requests from a release branch, as REST's `head=owner:branch` lists them.

use serde::Deserialize;

use super::objects::{Actor, Connection, Oid};
use super::{lit, Part, PAGE};
use crate::domain::{CommitSha, OpenOrClosed, PullNumber};
use crate::github::models::{PullBranch, PullRequest, RepositoryName};
use crate::github::prefetch::plan::ReleaseNames;
use crate::github::prefetch::Prefetched;

pub struct Pulls<'a> {
    pub names: &'a ReleaseNames,
    /// The repository's owner: only heads in its repositories are listed.
    pub owner: &'a str,
}

/// The selection of a pull request, read into `Pull`.
const PULL: &str = "number title body url state merged mergedAt mergeCommit { oid } headRefName headRefOid baseRefName baseRefOid headRepositoryOwner { login } headRepository { nameWithOwner } author { __typename login }";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pull {
    number: PullNumber,
    title: String,
    body: Option<String>,
    url: String,
    state: State,
    merged: bool,
    merged_at: Option<String>,
    merge_commit: Option<Oid<CommitSha>>,
    head_ref_name: String,
    head_ref_oid: CommitSha,
    base_ref_name: String,
    base_ref_oid: CommitSha,
    head_repository_owner: Option<Login>,
    head_repository: Option<NameWithOwner>,
    author: Option<Actor>,
}

/// GraphQL's `PullRequestState`: REST's `closed` is also a merged one.
#[derive(Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum State {
    Open,
    #[serde(other)]
    Closed,
}

#[derive(Deserialize)]
struct Login {
    login: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NameWithOwner {
    name_with_owner: String,
}

impl Part for Pulls<'_> {
    const ALIAS: &'static str = "pulls";
    type Answer = Option<Connection<Pull>>;

    fn field(&self) -> String {
        format!(
            "pullRequests(headRefName: {}, first: {PAGE}, orderBy: {{field: CREATED_AT, direction: DESC}}) {{ pageInfo {{ hasNextPage }} nodes {{ {PULL} }} }}",
            lit(&self.names.branch)
        )
    }

    fn record(&self, answer: Self::Answer, found: &mut Prefetched) {
        let Some(pulls) = answer.filter(|pulls| pulls.page_info.ends()) else {
            return;
        };
        let owned = |pull: &Pull| {
            pull.head_repository_owner
                .as_ref()
                .is_some_and(|owner| owner.login.eq_ignore_ascii_case(self.owner))
        };
        let pulls = pulls.nodes.into_iter().filter(owned).map(Pull::rest);
        let branch = self.names.branch.clone();
        found.known.pulls.insert(branch, pulls.collect());
    }
}

impl Pull {
    fn rest(self) -> PullRequest {
        PullRequest {
            number: self.number,
            body: self.body,
            merge_commit_sha: self.merge_commit.map(|commit| commit.oid),
            user: Actor::or_ghost(self.author),
            state: match self.state {
                State::Open => OpenOrClosed::Open,
                State::Closed => OpenOrClosed::Closed,
            },
            title: self.title,
            html_url: self.url,
            merged_at: self.merged_at,
            merged: Some(self.merged),
            head: PullBranch {
                name: self.head_ref_name,
                sha: self.head_ref_oid,
                repo: self.head_repository.map(|repo| RepositoryName {
                    full_name: repo.name_with_owner,
                }),
            },
            base: PullBranch {
                name: self.base_ref_name,
                sha: self.base_ref_oid,
                repo: None,
            },
        }
    }
}
