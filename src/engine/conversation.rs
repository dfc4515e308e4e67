//! The tracking issue's comments, read once per event: which comments the bot already answered
//! and which status comments it keeps there.

use crate::github::models::IssueComment;
use crate::status::{replied_to, StatusMarker};

pub struct Conversation {
    comments: Vec<IssueComment>,
    me: String,
}

/// A status comment found on the issue.
#[derive(Debug, Clone)]
pub struct StatusComment {
    pub id: u64,
    pub html_url: String,
    pub marker: StatusMarker,
    /// The comment's text as read: a job that finds its work done compares it with what GitHub
    /// holds, and redraws it when it is behind.
    pub body: String,
}

impl Conversation {
    /// The comments of an issue, and the login of the bot whose comments they may hold.
    pub fn new(comments: Vec<IssueComment>, me: &str) -> Self {
        Conversation {
            comments,
            me: me.to_string(),
        }
    }

    /// Only the bot's own comments count: a person, or another bot, pasting a marker changes
    /// nothing.
    fn bot_comments(&self) -> impl DoubleEndedIterator<Item = &IssueComment> {
        self.comments.iter().filter(|c| c.user.login == self.me)
    }

    pub fn answered(&self, comment_id: u64) -> bool {
        self.bot_comments()
            .any(|c| replied_to(c.body()) == Some(comment_id))
    }

    /// The newest status comment on the issue, whatever its version.
    pub fn latest_status_comment(&self) -> Option<StatusComment> {
        self.bot_comments().rev().find_map(|c| {
            StatusMarker::find_in(c.body()).map(|marker| StatusComment {
                id: c.id,
                html_url: c.html_url.clone(),
                marker,
                body: c.body().to_string(),
            })
        })
    }

    pub fn status_comment(&self, version: &str) -> Option<StatusComment> {
        self.bot_comments().find_map(|c| {
            StatusMarker::find_in(c.body())
                .filter(|marker| marker.version == version)
                .map(|marker| StatusComment {
                    id: c.id,
                    html_url: c.html_url.clone(),
                    marker,
                    body: c.body().to_string(),
                })
        })
    }
}
