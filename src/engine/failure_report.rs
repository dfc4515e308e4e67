//! When a delivery has failed for good, the people on the issue it came from are told, since
//! nothing will happen by itself any more. Best effort: a failure to tell is logged, never
//! retried (the job is already dead, and GitHub may be refusing everything).

use super::Engine;
use crate::domain::IssueNumber;
use crate::event::{self, Event};
use crate::github::{ApiError, RepoClient};
use crate::messages::{self, issue_in_pull_body, ActedOn, GaveUp};

/// The issue to tell and what was acted on: the comment's own issue, or the issue a release
/// pull request says it is "tracked in"; none for other events.
fn audience(event: &Event) -> Option<(IssueNumber, ActedOn<'_>)> {
    match event {
        Event::CommentCreated(created) => Some((
            created.issue.number,
            ActedOn::Comment {
                url: &created.comment.html_url,
            },
        )),
        Event::PullRequestClosed(closed) => Some((
            issue_in_pull_body(closed.pull_request.body.as_deref()?)?,
            ActedOn::PullRequestClosed {
                number: closed.pull_request.number,
                merged: closed.pull_request.is_merged(),
            },
        )),
        _ => None,
    }
}

impl Engine {
    /// Tells the issue a delivery came from that releasebot gave up on it, with `error` and
    /// what to do. Only logs when there is no such issue or the comment cannot be posted.
    pub async fn report_permanent_failure(
        &self,
        event_name: &str,
        body: &[u8],
        error: &str,
        why: GaveUp,
    ) {
        let event = match event::parse(event_name, body) {
            Ok(event) => event,
            Err(unreadable) => {
                tracing::info!(%unreadable, "the failed delivery names no issue to tell");
                return;
            }
        };
        let (Some((issue, acted_on)), Some((repository, installation))) =
            (audience(&event), event.target())
        else {
            tracing::info!("the failed delivery names no issue to tell");
            return;
        };
        let text = messages::job_failed_permanently(acted_on, error, why);
        let told = async {
            let octocrab = self.connector.for_installation(installation).await?;
            let gh = RepoClient::new(octocrab, repository.owner(), &repository.name);
            let me = self.own_login().await.ok();
            post_once(&gh, me.as_deref(), issue, &text).await
        };
        match told.await {
            Ok(true) => tracing::info!(
                %issue,
                "the issue was told that the delivery failed for good"
            ),
            Ok(false) => tracing::info!(%issue, "the issue was already told of this failure"),
            Err(unsent) => {
                tracing::warn!(%issue, %unsent, "could not tell the issue that the delivery failed")
            }
        }
    }
}

/// Posts `text` unless the bot said it there already (the same delivery failing the same way
/// twice). When the bot's own login is unknown, any author's identical comment counts.
async fn post_once(
    gh: &RepoClient,
    me: Option<&str>,
    issue: IssueNumber,
    text: &str,
) -> Result<bool, ApiError> {
    let comments = gh.issue_comments(issue).await?;
    if comments
        .iter()
        .any(|c| me.is_none_or(|me| c.user.login == me) && c.body() == text)
    {
        return Ok(false);
    }
    gh.create_comment(issue, text).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn repository() -> serde_json::Value {
        json!({"name": "mathesar", "full_name": "centerofci/mathesar",
               "owner": {"login": "centerofci"}, "default_branch": "master"})
    }

    fn closed_pull(body: Option<&str>) -> Vec<u8> {
        let branch = json!({"ref": "release/0.1.3", "sha": "a".repeat(40)});
        serde_json::to_vec(&json!({
            "action": "closed",
            "repository": repository(),
            "installation": {"id": 7},
            "pull_request": {"number": 12, "title": "Release 0.1.3", "merged": true, "body": body,
                             "user": {"login": "releasebot[bot]", "type": "Bot"},
                             "head": branch, "base": {"ref": "master", "sha": "b".repeat(40)}}
        }))
        .unwrap()
    }

    #[test]
    fn a_comment_is_answered_on_its_own_issue() {
        let body = serde_json::to_vec(&json!({
            "action": "created",
            "repository": repository(),
            "issue": {"number": 3, "title": "Release 0.1.3"},
            "comment": {"id": 9, "body": "/release 0.1.3", "html_url": "https://x/3#c9",
                        "user": {"login": "kgodey", "type": "User"}}
        }))
        .unwrap();
        let event = event::parse("issue_comment", &body).unwrap();
        assert_eq!(
            audience(&event),
            Some((
                IssueNumber(3),
                ActedOn::Comment {
                    url: "https://x/3#c9"
                }
            ))
        );
    }

    #[test]
    fn a_release_pull_request_is_answered_on_the_issue_it_is_tracked_in() {
        let body = closed_pull(Some("Release 0.1.3, tracked in #5.\n\nThis pull request…"));
        let event = event::parse("pull_request", &body).unwrap();
        assert_eq!(
            audience(&event),
            Some((
                IssueNumber(5),
                ActedOn::PullRequestClosed {
                    number: crate::domain::PullNumber(12),
                    merged: true
                }
            ))
        );
    }

    #[test]
    fn other_deliveries_have_nobody_to_tell() {
        for body in [closed_pull(None), closed_pull(Some("Bump the docs"))] {
            let event = event::parse("pull_request", &body).unwrap();
            assert_eq!(audience(&event), None);
        }
        let push = serde_json::to_vec(&json!({
            "ref": "refs/tags/0.1.3", "after": "abc", "repository": repository(),
            "sender": {"login": "kgodey"}
        }))
        .unwrap();
        let event = event::parse("push", &push).unwrap();
        assert_eq!(audience(&event), None);
    }
}
