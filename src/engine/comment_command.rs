//! A new comment: is it a command, may its author run it, and which command is it.

use super::answer::answer;
use super::context::Context;
use super::conversation::Conversation;
use super::outcome::{EngineError, Outcome, Reply};
use super::{follow_up, notes_sync, start_release};
use crate::command::{self, Command};
use crate::event::CommentEvent;
use crate::github::RepoClient;
use crate::messages;
use crate::permission::RequiredPermission;

pub async fn handle(
    gh: &RepoClient,
    event: &CommentEvent,
    engine: &super::Engine,
) -> Result<Outcome, EngineError> {
    let Some(parsed) = command::parse_comment(&event.comment.body) else {
        return Ok(Outcome::Ignored("the comment has no command".into()));
    };
    // A bot that cannot name itself acts on nothing, not even the reaction (the login is read
    // once per process).
    let me = engine.own_login().await?;
    let me = me.as_str();
    // Acknowledge at once, so the person sees that the bot heard them; the reads that decide
    // what to answer go out with it (none depends on another), in one round trip.
    let author = &event.comment.user.login;
    let (_, comments, config_text, role) = tokio::try_join!(
        gh.react_to_comment(event.comment.id, "eyes"),
        gh.issue_comments(event.issue.number),
        gh.file_text(engine.config_path(), &event.repository.default_branch),
        gh.role_of(author),
    )?;

    let conversation = Conversation::new(comments, me);
    if conversation.answered(event.comment.id) {
        return Ok(Outcome::AlreadyAnswered);
    }

    let config = engine.load_config(&event.repository.full_name, config_text.as_deref());
    // A broken configuration still has to keep strangers out: fall back to the default rule.
    let required = config
        .as_ref()
        .map(|c| c.permission)
        .unwrap_or(RequiredPermission::Maintain);
    if !required.allows(role) {
        let text = messages::not_permitted(author, role, required);
        return answer(gh, event, Reply::NotPermitted, &text).await;
    }
    if event.issue.is_pull_request() {
        return answer(
            gh,
            event,
            Reply::NotOnPullRequest,
            &messages::not_on_a_pull_request(),
        )
        .await;
    }
    let config = match config {
        Ok(config) => config,
        Err(problems) => {
            let text = messages::config_invalid(&problems.to_string());
            return answer(gh, event, Reply::ConfigInvalid, &text).await;
        }
    };
    let notes = engine.notes_policy(&config);
    let ctx = Context {
        gh,
        me,
        config: &config,
        repository: &event.repository,
        notes: &notes,
        announce: engine.announce_settings(),
        retried: engine.is_retried_by_queue(),
    };
    let result = match parsed {
        Err(problem) => {
            let text = messages::command_not_understood(&problem.to_string());
            answer(gh, event, Reply::CommandNotUnderstood, &text).await
        }
        Ok(Command::Help) => answer(gh, event, Reply::Help, &messages::help()).await,
        Ok(Command::Release {
            version,
            dry_run,
            notes,
        }) => {
            let notes = notes.or_else(|| notes_link_in_issue(event.issue.body.as_deref()));
            let dry_run = dry_run || engine.is_rehearsal();
            start_release::run(&ctx, event, &conversation, &version, dry_run, notes).await
        }
        Ok(follow) => {
            // The remaining commands act on the release this issue already tracks.
            let Some(status) = conversation.latest_status_comment() else {
                let text = messages::no_release_on_issue();
                return answer(gh, event, Reply::NoReleaseHere, &text).await;
            };
            let rehearsal = engine.is_rehearsal();
            match follow {
                Command::Notes { url, dry_run } => {
                    follow_up::link_notes(&ctx, event, status, url, dry_run || rehearsal).await
                }
                Command::NotesSync { dry_run } => {
                    notes_sync::sync(&ctx, event, status, dry_run || rehearsal).await
                }
                Command::Status => follow_up::refresh_status(&ctx, status).await,
                Command::Retry {
                    step: None,
                    dry_run,
                } => {
                    follow_up::retry(&ctx, event, &conversation, status, dry_run || rehearsal).await
                }
                Command::Candidate { dry_run } => {
                    super::candidate::ask(&ctx, event, status, dry_run || rehearsal).await
                }
                Command::Retry {
                    step: Some(step),
                    dry_run,
                } => {
                    let dry_run = dry_run || rehearsal;
                    follow_up::retry_one(&ctx, event, status, &step, dry_run).await
                }
                Command::Cancel { dry_run } => {
                    follow_up::cancel(&ctx, event, status, dry_run || rehearsal).await
                }
                Command::Help | Command::Release { .. } => unreachable!("matched above"),
            }
        }
    };
    match result {
        // A person asked; they are told what cannot be read, and what to fix.
        Err(EngineError::Unreadable(unreadable)) => {
            let text = messages::state_unreadable(&unreadable.to_string());
            answer(gh, event, Reply::StateUnreadable, &text).await
        }
        other => other,
    }
}

/// `Release notes: <url>` as the first line of the tracking issue's body.
fn notes_link_in_issue(body: Option<&str>) -> Option<String> {
    let first = body?.lines().next()?.trim();
    let url = first.strip_prefix("Release notes:")?.trim();
    (!url.is_empty()).then(|| url.to_string())
}
