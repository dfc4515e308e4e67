//! Webhook payloads → the few typed events the engine acts on.
//!
//! Only the fields the engine reads are declared, so GitHub adding fields never breaks us.
//! Every event GitHub can send parses: the ones the engine has no use for become `Ignored`
//! with a reason for the logs, never an error.

use serde::Deserialize;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    CommentCreated(CommentEvent),
    PullRequestClosed(PullRequestEvent),
    /// New commits on a pull request's branch (GitHub's `synchronize`).
    PullRequestSynchronized(PullRequestEvent),
    /// A closed pull request opened again.
    PullRequestReopened(PullRequestEvent),
    TagCreated(TagCreated),
    WorkflowRunCompleted(WorkflowRunCompleted),
    ReleasePublished(ReleasePublished),
    Ignored(IgnoredReason),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IgnoredReason {
    UnhandledEvent(String),
    UnhandledAction { event: String, action: String },
    CommentByBot(String),
    NotATag(String),
    RefDeleted(String),
}

impl fmt::Display for IgnoredReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IgnoredReason::UnhandledEvent(event) => write!(f, "event `{event}` is not handled"),
            IgnoredReason::UnhandledAction { event, action } => {
                write!(f, "`{event}` with action `{action}` is not handled")
            }
            IgnoredReason::CommentByBot(login) => write!(f, "comment by bot {login}"),
            IgnoredReason::NotATag(git_ref) => write!(f, "`{git_ref}` is not a tag"),
            IgnoredReason::RefDeleted(git_ref) => write!(f, "`{git_ref}` was deleted"),
        }
    }
}

/// Where an event happened.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Repository {
    pub name: String,
    pub full_name: String,
    pub owner: Account,
    pub default_branch: String,
    #[serde(default)]
    pub html_url: String,
}

impl Repository {
    pub fn owner(&self) -> &str {
        &self.owner.login
    }
}

/// A user or bot, as GitHub names it in payloads and answers alike.
pub use crate::github::models::User as Account;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Issue {
    pub number: crate::domain::IssueNumber,
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub html_url: String,
    /// Present when the "issue" is a pull request.
    #[serde(default)]
    pub pull_request: Option<serde_json::Value>,
}

impl Issue {
    pub fn is_pull_request(&self) -> bool {
        self.pull_request.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Comment {
    pub id: u64,
    #[serde(default)]
    pub body: String,
    pub user: Account,
    #[serde(default)]
    pub html_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Installation {
    pub id: u64,
}

/// A new comment on an issue or pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentEvent {
    pub repository: Repository,
    pub installation: Option<Installation>,
    pub issue: Issue,
    pub comment: Comment,
}

/// Something happened to a pull request: closed (merged or not), or new commits pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequestEvent {
    pub repository: Repository,
    pub installation: Option<Installation>,
    pub pull_request: PullRequest,
}

pub use crate::github::models::{PullRequest, Release, RepositoryName, WorkflowRun};

/// A tag appeared, by a `push` of `refs/tags/…` or a `create` with `ref_type: tag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagCreated {
    pub repository: Repository,
    pub installation: Option<Installation>,
    pub tag: String,
    /// The pushed object (a commit, or an annotated tag object); `create` events carry none.
    pub sha: Option<String>,
    pub sender: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowRunCompleted {
    pub repository: Repository,
    pub installation: Option<Installation>,
    pub run: WorkflowRun,
}

/// A person published a release (the bot only ever makes drafts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleasePublished {
    pub repository: Repository,
    pub installation: Option<Installation>,
    pub release: Release,
}

#[derive(Debug, thiserror::Error)]
pub enum EventParseError {
    #[error("the payload is not JSON: {0}")]
    NotJson(serde_json::Error),
    #[error("the `{event}` payload lacks what the bot needs: {source}")]
    Shape {
        event: String,
        source: serde_json::Error,
    },
    /// A name GitHub could never have made (a control character, `..`, `#`): refused, so it
    /// reaches no log line and no API path.
    #[error("the payload's {what} {value:?} is not a name GitHub makes")]
    Name { what: &'static str, value: String },
}

#[derive(Deserialize)]
struct ActionOnly {
    #[serde(default)]
    action: Option<String>,
}

#[derive(Deserialize)]
struct Common {
    repository: Repository,
    #[serde(default)]
    installation: Option<Installation>,
}

#[derive(Deserialize)]
struct PullRequestPayload {
    pull_request: PullRequest,
}

#[derive(Deserialize)]
struct PushPayload {
    #[serde(rename = "ref")]
    git_ref: String,
    after: String,
    #[serde(default)]
    deleted: bool,
    sender: Account,
}

#[derive(Deserialize)]
struct CreatePayload {
    #[serde(rename = "ref")]
    git_ref: String,
    ref_type: String,
    sender: Account,
}

#[derive(Deserialize)]
struct WorkflowRunPayload {
    workflow_run: WorkflowRun,
}

#[derive(Deserialize)]
struct ReleasePayload {
    release: Release,
}

#[derive(Deserialize)]
struct IssueCommentPayload {
    repository: Repository,
    #[serde(default)]
    installation: Option<Installation>,
    issue: Issue,
    comment: Comment,
}

/// The few top-level fields that decide whether a delivery can mean work, and which
/// repository's queue it joins, read by the webhook without building the rest of the payload.
/// A field of an unexpected type (some event using `ref` for something else) reads as absent,
/// so a delivery GitHub sends is never refused for its shape.
#[derive(Debug, Default, Deserialize)]
pub struct Headline {
    #[serde(default, deserialize_with = "lenient")]
    pub action: Option<String>,
    /// `push`: the full ref; `create`: the short name.
    #[serde(rename = "ref", default, deserialize_with = "lenient")]
    pub git_ref: Option<String>,
    /// `create`: `tag` or `branch`.
    #[serde(default, deserialize_with = "lenient")]
    pub ref_type: Option<String>,
    /// `push`: the ref was deleted.
    #[serde(default, deserialize_with = "lenient")]
    pub deleted: Option<bool>,
    /// Always an object when present; read field by field so its bulk is skipped, not built.
    pub repository: Option<HeadlineRepository>,
}

#[derive(Debug, Default, Deserialize)]
pub struct HeadlineRepository {
    #[serde(default, deserialize_with = "lenient")]
    pub full_name: Option<String>,
}

impl Headline {
    /// `owner/name`, or empty for events without a repository.
    pub fn repository_name(&self) -> &str {
        self.repository
            .as_ref()
            .and_then(|r| r.full_name.as_deref())
            .unwrap_or_default()
    }
}

fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let value = serde_json::Value::deserialize(deserializer)?;
    Ok(T::deserialize(value).ok())
}

/// Whether a delivery can mean work for the engine, decided from its headline alone so the
/// webhook can drop the rest (every branch push, every unrelated action) without queueing it.
/// Agrees with `parse_value`: every delivery it refuses parses to `Ignored`.
pub fn may_act_on(event_name: &str, headline: &Headline) -> bool {
    match (event_name, headline.action.as_deref().unwrap_or_default()) {
        ("issue_comment", "created")
        | ("pull_request", "closed" | "synchronize" | "reopened")
        | ("workflow_run", "completed")
        | ("release", "published") => true,
        ("push", _) => {
            headline.deleted != Some(true)
                && headline
                    .git_ref
                    .as_deref()
                    .is_some_and(|r| r.starts_with("refs/tags/"))
        }
        ("create", _) => headline.ref_type.as_deref() == Some("tag"),
        _ => false,
    }
}

/// Parses one delivery, given its `X-GitHub-Event` header and body.
pub fn parse(event_name: &str, body: &[u8]) -> Result<Event, EventParseError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(EventParseError::NotJson)?;
    parse_value(event_name, value)
}

pub fn parse_value(event_name: &str, value: serde_json::Value) -> Result<Event, EventParseError> {
    let event = parse_unchecked(event_name, value)?;
    if let Some((repository, _)) = event.target() {
        check_names(repository)?;
    }
    Ok(event)
}

fn check_names(repository: &Repository) -> Result<(), EventParseError> {
    let refuse = |what, value: &str| EventParseError::Name {
        what,
        value: value.chars().take(120).collect(),
    };
    if !crate::names::is_login(repository.owner()) {
        return Err(refuse("repository owner", repository.owner()));
    }
    if !crate::names::is_repository(&repository.name) {
        return Err(refuse("repository name", &repository.name));
    }
    if repository.full_name != format!("{}/{}", repository.owner(), repository.name) {
        return Err(refuse("repository full name", &repository.full_name));
    }
    if !crate::names::is_ref_name(&repository.default_branch) {
        return Err(refuse("default branch", &repository.default_branch));
    }
    Ok(())
}

fn parse_unchecked(event_name: &str, value: serde_json::Value) -> Result<Event, EventParseError> {
    let shape = |source| EventParseError::Shape {
        event: event_name.to_string(),
        source,
    };
    let action = ActionOnly::deserialize(&value)
        .map_err(shape)?
        .action
        .unwrap_or_default();
    match (event_name, action.as_str()) {
        ("issue_comment", "created") => {
            let payload = IssueCommentPayload::deserialize(&value).map_err(shape)?;
            if payload.comment.user.is_bot() {
                return Ok(Event::Ignored(IgnoredReason::CommentByBot(
                    payload.comment.user.login,
                )));
            }
            Ok(Event::CommentCreated(CommentEvent {
                repository: payload.repository,
                installation: payload.installation,
                issue: payload.issue,
                comment: payload.comment,
            }))
        }
        ("pull_request", "closed" | "synchronize" | "reopened") => {
            let common = Common::deserialize(&value).map_err(shape)?;
            let payload = PullRequestPayload::deserialize(&value).map_err(shape)?;
            let event = PullRequestEvent {
                repository: common.repository,
                installation: common.installation,
                pull_request: payload.pull_request,
            };
            Ok(match action.as_str() {
                "closed" => Event::PullRequestClosed(event),
                "reopened" => Event::PullRequestReopened(event),
                _ => Event::PullRequestSynchronized(event),
            })
        }
        ("push", _) => {
            let common = Common::deserialize(&value).map_err(shape)?;
            let payload = PushPayload::deserialize(&value).map_err(shape)?;
            let Some(tag) = payload.git_ref.strip_prefix("refs/tags/") else {
                return Ok(Event::Ignored(IgnoredReason::NotATag(payload.git_ref)));
            };
            if payload.deleted {
                return Ok(Event::Ignored(IgnoredReason::RefDeleted(payload.git_ref)));
            }
            Ok(Event::TagCreated(TagCreated {
                repository: common.repository,
                installation: common.installation,
                tag: tag.to_string(),
                sha: Some(payload.after),
                sender: payload.sender.login,
            }))
        }
        ("create", _) => {
            let common = Common::deserialize(&value).map_err(shape)?;
            let payload = CreatePayload::deserialize(&value).map_err(shape)?;
            if payload.ref_type != "tag" {
                return Ok(Event::Ignored(IgnoredReason::NotATag(payload.git_ref)));
            }
            Ok(Event::TagCreated(TagCreated {
                repository: common.repository,
                installation: common.installation,
                tag: payload.git_ref,
                sha: None,
                sender: payload.sender.login,
            }))
        }
        ("workflow_run", "completed") => {
            let common = Common::deserialize(&value).map_err(shape)?;
            let payload = WorkflowRunPayload::deserialize(&value).map_err(shape)?;
            Ok(Event::WorkflowRunCompleted(WorkflowRunCompleted {
                repository: common.repository,
                installation: common.installation,
                run: payload.workflow_run,
            }))
        }
        ("release", "published") => {
            let common = Common::deserialize(&value).map_err(shape)?;
            let payload = ReleasePayload::deserialize(&value).map_err(shape)?;
            Ok(Event::ReleasePublished(ReleasePublished {
                repository: common.repository,
                installation: common.installation,
                release: payload.release,
            }))
        }
        ("issue_comment" | "pull_request" | "workflow_run" | "release", _) => {
            Ok(Event::Ignored(IgnoredReason::UnhandledAction {
                event: event_name.into(),
                action,
            }))
        }
        _ => Ok(Event::Ignored(IgnoredReason::UnhandledEvent(
            event_name.into(),
        ))),
    }
}

impl Event {
    /// The repository and installation the event belongs to, for events the engine acts on.
    pub fn target(&self) -> Option<(&Repository, Option<u64>)> {
        let (repository, installation) = match self {
            Event::CommentCreated(e) => (&e.repository, &e.installation),
            Event::PullRequestClosed(e)
            | Event::PullRequestSynchronized(e)
            | Event::PullRequestReopened(e) => (&e.repository, &e.installation),
            Event::TagCreated(e) => (&e.repository, &e.installation),
            Event::WorkflowRunCompleted(e) => (&e.repository, &e.installation),
            Event::ReleasePublished(e) => (&e.repository, &e.installation),
            Event::Ignored(_) => return None,
        };
        Some((repository, installation.as_ref().map(|i| i.id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn what_the_webhook_drops_unread_parses_to_ignored_anyway() {
        let repository = json!({"name": "r", "full_name": "o/r", "owner": {"login": "o"}, "default_branch": "main"});
        let sender = json!({"login": "kgodey", "type": "User"});
        let dropped = [
            ("issue_comment", json!({"action": "edited"})),
            ("issue_comment", json!({"action": "deleted"})),
            ("pull_request", json!({"action": "opened"})),
            ("workflow_run", json!({"action": "requested"})),
            ("release", json!({"action": "created"})),
            ("issues", json!({"action": "opened"})),
            ("installation", json!({"action": "created"})),
            ("star", json!({"action": "created"})),
            (
                "push",
                json!({"ref": "refs/heads/master", "after": "a", "deleted": false}),
            ),
            (
                "push",
                json!({"ref": "refs/tags/0.1.3", "after": "0", "deleted": true}),
            ),
            (
                "create",
                json!({"ref": "release/0.1.3", "ref_type": "branch"}),
            ),
            // A merge queue's checks and its end: the merge itself arrives as the pull
            // request's `closed`, which is what the release acts on.
            ("merge_group", json!({"action": "checks_requested"})),
            (
                "merge_group",
                json!({"action": "destroyed", "reason": "merged"}),
            ),
            ("pull_request", json!({"action": "ready_for_review"})),
            ("pull_request", json!({"action": "milestoned"})),
            ("milestone", json!({"action": "created"})),
            (
                "push",
                json!({"ref": "refs/heads/gh-readonly-queue/master/pr-7-abc", "after": "a", "deleted": false}),
            ),
        ];
        for (event, mut payload) in dropped {
            payload["repository"] = repository.clone();
            payload["sender"] = sender.clone();
            let headline = Headline::deserialize(&payload).unwrap();
            assert!(!may_act_on(event, &headline), "{event} {payload}");
            assert!(
                matches!(parse_value(event, payload.clone()), Ok(Event::Ignored(_))),
                "{event} {payload}"
            );
        }
        let kept = [
            ("issue_comment", json!({"action": "created"})),
            ("push", json!({"ref": "refs/tags/0.1.3", "deleted": false})),
            ("create", json!({"ref": "0.1.3", "ref_type": "tag"})),
        ];
        for (event, payload) in kept {
            assert!(
                may_act_on(event, &Headline::deserialize(&payload).unwrap()),
                "{event}"
            );
        }
        assert!(!may_act_on("ping", &Headline::default()));
    }

    fn comment_payload(action: &str, user_type: &str) -> serde_json::Value {
        json!({
            "action": action,
            "issue": {"number": 7, "title": "Release 0.1.3", "body": null,
                      "html_url": "https://github.com/centerofci/mathesar/issues/7"},
            "comment": {"id": 99, "body": "/release 0.1.3",
                        "user": {"login": "kgodey", "id": 1, "type": user_type},
                        "html_url": "https://github.com/centerofci/mathesar/issues/7#issuecomment-99"},
            "repository": {"name": "mathesar", "full_name": "centerofci/mathesar",
                           "owner": {"login": "centerofci", "type": "Organization"},
                           "default_branch": "master"},
            "installation": {"id": 1234, "node_id": "x"},
            "sender": {"login": "kgodey", "type": user_type}
        })
    }

    #[test]
    fn a_new_comment_by_a_person_is_an_event_to_act_on() {
        let event = parse_value("issue_comment", comment_payload("created", "User")).unwrap();
        let Event::CommentCreated(event) = event else {
            panic!("expected a comment event, got {event:?}")
        };
        assert_eq!(event.comment.body, "/release 0.1.3");
        assert_eq!(event.issue.number, crate::domain::IssueNumber(7));
        assert_eq!(event.repository.owner(), "centerofci");
        assert_eq!(event.installation, Some(Installation { id: 1234 }));
        assert!(!event.issue.is_pull_request());
    }

    #[test]
    fn edited_and_deleted_comments_are_ignored() {
        for action in ["edited", "deleted"] {
            let event = parse_value("issue_comment", comment_payload(action, "User")).unwrap();
            assert!(matches!(
                event,
                Event::Ignored(IgnoredReason::UnhandledAction { .. })
            ));
        }
    }

    #[test]
    fn comments_by_bots_are_ignored() {
        let event = parse_value("issue_comment", comment_payload("created", "Bot")).unwrap();
        assert_eq!(
            event,
            Event::Ignored(IgnoredReason::CommentByBot("kgodey".into()))
        );
    }

    #[test]
    fn events_without_a_handler_are_ignored_not_errors() {
        let event = parse("star", br#"{"action":"created","starred_at":null}"#).unwrap();
        assert_eq!(
            event,
            Event::Ignored(IgnoredReason::UnhandledEvent("star".into()))
        );
        let ping = parse("ping", br#"{"zen":"Keep it logically awesome."}"#).unwrap();
        assert!(matches!(ping, Event::Ignored(_)));
    }

    fn repository() -> serde_json::Value {
        json!({"name": "mathesar", "full_name": "centerofci/mathesar",
               "owner": {"login": "centerofci", "type": "Organization"},
               "default_branch": "master"})
    }

    #[test]
    fn a_merged_pull_request_carries_its_merge_commit() {
        let payload = json!({
            "action": "closed",
            "pull_request": {"number": 12, "title": "Release 0.1.3", "merged": true,
                "merge_commit_sha": "a".repeat(40), "user": {"login": "releasebot[bot]", "type": "Bot"},
                "head": {"ref": "release/0.1.3", "sha": "b".repeat(40), "repo": {"full_name": "centerofci/mathesar"}},
                "base": {"ref": "master", "sha": "c".repeat(40), "repo": {"full_name": "centerofci/mathesar"}}},
            "repository": repository(),
        });
        let Event::PullRequestClosed(event) = parse_value("pull_request", payload).unwrap() else {
            panic!("expected a closed pull request")
        };
        assert!(event.pull_request.is_merged());
        assert_eq!(
            event
                .pull_request
                .merge_commit_sha
                .as_ref()
                .map(|c| c.as_str()),
            Some("a".repeat(40).as_str())
        );
        assert_eq!(event.pull_request.head.name, "release/0.1.3");
        assert!(event.pull_request.user.is_bot());
    }

    #[test]
    fn a_tag_push_and_a_tag_create_are_the_same_event() {
        let push = json!({"ref": "refs/tags/0.1.3", "after": "abc", "deleted": false,
                          "sender": {"login": "kgodey", "type": "User"}, "repository": repository()});
        let Event::TagCreated(pushed) = parse_value("push", push).unwrap() else {
            panic!()
        };
        assert_eq!(
            (pushed.tag.as_str(), pushed.sha.as_deref()),
            ("0.1.3", Some("abc"))
        );
        let create = json!({"ref": "0.1.3", "ref_type": "tag",
                            "sender": {"login": "kgodey", "type": "User"}, "repository": repository()});
        let Event::TagCreated(created) = parse_value("create", create).unwrap() else {
            panic!()
        };
        assert_eq!((created.tag.as_str(), created.sha), ("0.1.3", None));
    }

    #[test]
    fn branch_pushes_and_tag_deletions_are_ignored() {
        let branch = json!({"ref": "refs/heads/master", "after": "abc",
                            "sender": {"login": "kgodey"}, "repository": repository()});
        assert!(matches!(
            parse_value("push", branch).unwrap(),
            Event::Ignored(IgnoredReason::NotATag(_))
        ));
        let deleted = json!({"ref": "refs/tags/0.1.3", "after": "0000000000000000000000000000000000000000",
                             "deleted": true, "sender": {"login": "kgodey"}, "repository": repository()});
        assert!(matches!(
            parse_value("push", deleted).unwrap(),
            Event::Ignored(IgnoredReason::RefDeleted(_))
        ));
    }

    #[test]
    fn a_completed_workflow_run_and_a_published_release_are_read() {
        let run = json!({"action": "completed", "repository": repository(),
            "workflow_run": {"id": 5, "path": ".github/workflows/release-images.yml",
                "head_branch": "0.1.3", "head_sha": "d".repeat(40), "status": "completed", "conclusion": "failure",
                "html_url": "https://github.com/centerofci/mathesar/actions/runs/5", "event": "workflow_dispatch"}});
        let Event::WorkflowRunCompleted(run) = parse_value("workflow_run", run).unwrap() else {
            panic!()
        };
        assert_eq!(
            run.run.run_state(),
            crate::domain::RunState::Failed {
                conclusion: crate::domain::Conclusion::Failure
            }
        );
        let release = json!({"action": "published", "repository": repository(),
            "release": {"id": 9, "tag_name": "0.1.3", "draft": false, "prerelease": false}});
        let Event::ReleasePublished(release) = parse_value("release", release).unwrap() else {
            panic!()
        };
        assert_eq!(release.release.tag_name, "0.1.3");
        let requested =
            json!({"action": "requested", "repository": repository(), "workflow_run": {}});
        assert!(matches!(
            parse_value("workflow_run", requested).unwrap(),
            Event::Ignored(_)
        ));
    }

    #[test]
    fn a_comment_payload_without_its_comment_is_a_shape_error() {
        let error = parse("issue_comment", br#"{"action":"created"}"#).unwrap_err();
        assert!(error.to_string().contains("issue_comment"), "{error}");
        assert!(matches!(
            parse("issue_comment", b"not json"),
            Err(EventParseError::NotJson(_))
        ));
    }
}
