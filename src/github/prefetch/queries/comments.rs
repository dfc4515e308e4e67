//! The comments of an issue or pull request, oldest first.

use serde::Deserialize;

use super::objects::{Actor, Connection};
use super::{Part, PAGE};
use crate::domain::IssueNumber;
use crate::github::models::IssueComment;
use crate::github::prefetch::Prefetched;

pub struct Comments(pub IssueNumber);

/// Either an issue or a pull request: both have the same `comments`.
#[derive(Deserialize)]
pub struct Commented {
    comments: Option<Connection<Node>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    database_id: u64,
    body: Option<String>,
    url: String,
    author: Option<Actor>,
}

impl Part for Comments {
    const ALIAS: &'static str = "comments";
    type Answer = Option<Commented>;

    fn field(&self) -> String {
        let comments = format!(
            "comments(last: {PAGE}) {{ pageInfo {{ hasPreviousPage }} nodes {{ databaseId body url author {{ __typename login }} }} }}"
        );
        format!(
            "issueOrPullRequest(number: {}) {{ __typename ... on Issue {{ {comments} }} ... on PullRequest {{ {comments} }} }}",
            self.0
        )
    }

    fn record(&self, answer: Option<Commented>, found: &mut Prefetched) {
        let Some(comments) = answer.and_then(|found| found.comments) else {
            return;
        };
        if comments.page_info.starts() {
            let items = comments.nodes.into_iter().map(Node::rest).collect();
            found.known.comments.insert(self.0, items);
        }
    }
}

impl Node {
    fn rest(self) -> IssueComment {
        IssueComment {
            id: self.database_id,
            body: self.body,
            user: Actor::or_ghost(self.author),
            html_url: self.url,
        }
    }
}
