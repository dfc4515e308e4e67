//! What a delivery's job will read, decided from the event alone (and the configuration the
//! repository had last time), so that one GraphQL query can read it before the job starts. A
//! plan that guesses wrong costs REST reads, never a wrong answer: the client serves only what
//! the query read exactly.

use crate::command::{self, Command};
use crate::config::Config;
use crate::domain::IssueNumber;
use crate::event::Event;
use crate::github::prefetch::{FileAt, FilesAt, ReadPlan, ReleaseNames};

/// The reads of `event`'s job. `config` is the repository's configuration as last read (the
/// default when none was); `me` the bot's login when known (else the plan asks for it);
/// `rehearsal` acts on comments only.
pub fn for_event(
    event: &Event,
    config: &Config,
    config_path: &str,
    me: Option<&str>,
    rehearsal: bool,
) -> ReadPlan {
    let Some((repository, _)) = event.target() else {
        return ReadPlan::default();
    };
    let config_file = Some(FileAt {
        rev: repository.default_branch.clone(),
        path: config_path.to_string(),
    });
    let version_paths = || -> Vec<String> {
        config
            .version_files
            .iter()
            .map(|f| f.path.clone())
            .collect()
    };
    let names = |version: &semver::Version| ReleaseNames {
        branch: config.branch.render(version),
        tag: config.tag.render(version),
    };
    let mut plan = ReadPlan {
        viewer: me.is_none(),
        file: config_file,
        ..ReadPlan::default()
    };
    match event {
        Event::CommentCreated(comment) => {
            let Some(parsed) = command::parse_comment(&comment.comment.body) else {
                return ReadPlan::default();
            };
            plan.comments = Some(comment.issue.number);
            if let Ok(Command::Release { .. }) = parsed {
                plan.base = Some(FilesAt {
                    at: config.cut_from(&repository.default_branch),
                    paths: version_paths(),
                });
                plan.tags = true;
            }
        }
        _ if rehearsal => return ReadPlan::default(),
        Event::PullRequestClosed(closed) => {
            let pull = &closed.pull_request;
            if let Some(version) = config.branch.version_from(&pull.head.name) {
                plan.release = Some(names(&version));
                plan.tags = true;
                plan.releases = true;
                plan.comments = tracking_issue(pull);
                if let Some(merge) = pull.merge_commit_sha.clone().filter(|_| pull.is_merged()) {
                    plan.commit = Some(FilesAt {
                        at: merge.to_string(),
                        paths: version_paths(),
                    });
                }
            }
        }
        Event::PullRequestSynchronized(pushed) | Event::PullRequestReopened(pushed) => {
            let pull = &pushed.pull_request;
            if let Some(version) = config.branch.version_from(&pull.head.name) {
                plan.release = Some(names(&version));
                plan.releases = true;
                plan.comments = tracking_issue(pull);
            }
        }
        // The bot's own tag: its merge job releases it, and this delivery reads nothing.
        Event::TagCreated(created) if me == Some(created.sender.as_str()) => {
            return ReadPlan::default()
        }
        Event::TagCreated(created) => {
            if let Some(version) = config.tag.version_from(&created.tag) {
                plan.release = Some(names(&version));
                plan.tags = true;
                plan.releases = true;
            }
        }
        Event::WorkflowRunCompleted(completed) => {
            let head = completed.run.head_branch.as_deref().unwrap_or_default();
            let version = config
                .tag
                .version_from(head)
                .or_else(|| config.branch.version_from(head));
            if let Some(version) = version {
                plan.release = Some(names(&version));
                plan.releases = true;
            }
        }
        Event::ReleasePublished(published) => {
            if let Some(version) = config.tag.version_from(&published.release.tag_name) {
                plan.release = Some(names(&version));
                plan.tags = true;
                plan.releases = true;
            }
        }
        Event::Ignored(_) => return ReadPlan::default(),
    }
    plan
}

/// The tracking issue a release pull request's body names.
fn tracking_issue(pull: &crate::github::models::PullRequest) -> Option<IssueNumber> {
    pull.body
        .as_deref()
        .and_then(crate::messages::issue_in_pull_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str, payload: serde_json::Value) -> Event {
        crate::event::parse(name, payload.to_string().as_bytes()).expect("a valid payload")
    }

    const CONFIG_PATH: &str = ".github/releasebot.toml";
    const ME: &str = "releasebot[bot]";

    /// The plan under the default configuration.
    fn plan(event: &Event, me: Option<&str>, rehearsal: bool) -> ReadPlan {
        for_event(event, &Config::default(), CONFIG_PATH, me, rehearsal)
    }

    fn repository() -> serde_json::Value {
        serde_json::json!({
            "name": "mathesar", "full_name": "centerofci/mathesar",
            "owner": { "login": "centerofci" }, "default_branch": "master",
            "html_url": "https://github.com/centerofci/mathesar"
        })
    }

    fn comment(body: &str) -> Event {
        event(
            "issue_comment",
            serde_json::json!({
                "action": "created",
                "repository": repository(),
                "installation": { "id": 7 },
                "issue": { "number": 12, "title": "Release 0.1.3", "html_url": "https://github.com/centerofci/mathesar/issues/12" },
                "comment": { "id": 99, "body": body, "user": { "login": "kgodey", "type": "User" },
                             "html_url": "https://github.com/centerofci/mathesar/issues/12#issuecomment-99" }
            }),
        )
    }

    #[test]
    fn a_release_command_reads_the_configuration_comments_base_files_and_tags() {
        let plan = plan(&comment("/release 0.1.3"), None, false);
        assert!(plan.viewer);
        assert_eq!(
            plan.file,
            Some(FileAt {
                rev: "master".into(),
                path: CONFIG_PATH.into()
            })
        );
        assert_eq!(plan.comments, Some(IssueNumber(12)));
        let base = plan.base.expect("the base branch's files");
        assert_eq!(base.at, "master");
        assert_eq!(
            base.paths,
            ["mathesar/__init__.py", "install.sh", "docs/mkdocs.yml"]
        );
        assert!(plan.tags);
        assert!(!plan.releases, "a new release does not list the releases");
    }

    #[test]
    fn a_comment_without_a_command_reads_nothing() {
        let plan = plan(&comment("thanks, looks good"), None, false);
        assert!(plan.is_empty());
    }

    #[test]
    fn a_follow_up_command_reads_the_conversation_but_not_the_base_branch() {
        let plan = plan(&comment("/release status"), Some(ME), false);
        assert_eq!(plan.comments, Some(IssueNumber(12)));
        assert!(plan.base.is_none() && !plan.tags && !plan.viewer);
    }

    fn merged_pull(head: &str) -> Event {
        event(
            "pull_request",
            serde_json::json!({
                "action": "closed",
                "repository": repository(),
                "installation": { "id": 7 },
                "pull_request": {
                    "number": 2, "title": "Release 0.1.3", "state": "closed", "merged": true,
                    "merged_at": "2026-11-26T00:00:00Z",
                    "body": "The release of 0.1.3, tracked in #12.", "html_url": "https://github.com/centerofci/mathesar/pull/2",
                    "merge_commit_sha": "a".repeat(40),
                    "user": { "login": "releasebot[bot]", "type": "Bot" },
                    "head": { "ref": head, "sha": "b".repeat(40), "repo": { "full_name": "centerofci/mathesar" } },
                    "base": { "ref": "master", "sha": "c".repeat(40) }
                }
            }),
        )
    }

    #[test]
    fn a_merged_release_pull_request_reads_the_release_and_the_merge_commit_files() {
        let plan = plan(&merged_pull("release/0.1.3"), Some(ME), false);
        assert_eq!(
            plan.release,
            Some(ReleaseNames {
                branch: "release/0.1.3".into(),
                tag: "0.1.3".into()
            })
        );
        assert!(plan.tags && plan.releases);
        assert_eq!(
            plan.comments,
            Some(IssueNumber(12)),
            "the tracking issue named in the body"
        );
        let commit = plan.commit.expect("the merge commit's files");
        assert_eq!(commit.at, "a".repeat(40));
        assert_eq!(commit.paths.len(), 3);
    }

    #[test]
    fn another_branch_pull_request_reads_only_the_configuration() {
        let plan = plan(&merged_pull("feature/x"), Some(ME), false);
        assert!(plan.file.is_some());
        assert!(plan.release.is_none() && plan.commit.is_none() && !plan.tags);
    }

    fn tag_created_by(sender: &str) -> Event {
        event(
            "create",
            serde_json::json!({
                "ref": "0.1.3", "ref_type": "tag", "master_branch": "master", "pusher_type": "user",
                "repository": repository(), "installation": { "id": 7 },
                "sender": { "login": sender, "type": "Bot" }
            }),
        )
    }

    #[test]
    fn the_bot_s_own_tag_reads_nothing_and_another_s_reads_the_release() {
        let own = plan(&tag_created_by(ME), Some(ME), false);
        assert!(own.is_empty());
        let theirs = plan(&tag_created_by("kgodey"), Some(ME), false);
        assert_eq!(theirs.release.map(|r| r.tag), Some("0.1.3".to_string()));
        assert!(theirs.tags && theirs.releases);
    }

    #[test]
    fn a_rehearsal_reads_nothing_for_events_it_will_not_act_on() {
        let plan = plan(&merged_pull("release/0.1.3"), None, true);
        assert!(plan.is_empty());
    }
}
