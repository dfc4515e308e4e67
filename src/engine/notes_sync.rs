//! `/release notes sync`: the notes file on the release branch brought in step with what was
//! merged since the previous release — made from the repository's template when missing, every
//! merged pull request not yet cited appended under the to-categorize heading, the docs'
//! navigation given its entry — in one commit, or nothing when nothing is new. The text is
//! decided by `notes_file`; this reads the branch, lists what was merged, and commits.
//!
//! A redelivered comment finds everything cited and commits nothing. The commit is a new head
//! of the release pull request, so it is smoke-tested as any push is (dispatched here, since a
//! commit made with the Actions token starts no workflow; the push event then finds it done).

use super::answer::answer;
use super::context::Context;
use super::conversation::StatusComment;
use super::outcome::{EngineError, Outcome, Reply};
use super::release_notes::previous_release;
use super::stage::{plan, Plan, Stage, Trigger};
use super::{images_dispatch, progress, snapshot, tracking};
use crate::domain::PullState;
use crate::event::CommentEvent;
use crate::github::{FastForward, PULLS_LOOKED_AT};
use crate::messages::{self, NotesSynced};
use crate::notes_file::{plan_sync, MergedPull, OnBranch};
use crate::status::NotesFileState;

pub async fn sync(
    ctx: &Context<'_>,
    event: &CommentEvent,
    mut status: StatusComment,
    dry_run: bool,
) -> Result<Outcome, EngineError> {
    let version = tracking::version_of(&status)?;
    let Some(notes_path) = ctx.config.notes.path.as_ref().map(|p| p.render(&version)) else {
        return refuse(ctx, event, messages::notes_sync_off()).await;
    };
    let branch = ctx.config.branch.render(&version);
    let progress = progress::read(ctx.gh, ctx.config, &version, ctx.me).await?;
    let open = progress
        .pull
        .as_ref()
        .filter(|pull| pull.pull_state() == PullState::Open);
    let (Some(head), Some(_)) = (progress.branch_head.clone(), open) else {
        return refuse(ctx, event, messages::notes_sync_not_open(&branch)).await;
    };
    let tags = images_dispatch::version_tags(ctx).await?;
    let Some(previous) = previous_release(&version, &tags) else {
        return refuse(
            ctx,
            event,
            messages::notes_sync_no_previous(&version.to_string()),
        )
        .await;
    };

    let commits = ctx
        .gh
        .commits_between(&ctx.config.tag.render(&previous), head.as_str())
        .await?;
    let among = ctx.gh.pulls_merged_as(&commits).await?;
    // Oldest first, as they were merged: the order a person reads the list in.
    let mut merged: Vec<MergedPull> = among
        .pulls
        .iter()
        .map(|pull| MergedPull {
            number: pull.number.0,
            title: pull.title.clone(),
            html_url: pull.html_url.clone(),
        })
        .collect();
    merged.reverse();

    let sync = &ctx.config.notes.sync;
    let mut paths = vec![notes_path.as_str()];
    paths.extend(sync.template.as_deref());
    paths.extend(sync.nav.as_ref().map(|nav| nav.file.as_str()));
    let files = snapshot::read_commit(ctx.gh, &head, &paths).await?;
    let notes = files.text(&notes_path);
    let template = sync.template.as_deref().and_then(|path| files.text(path));
    let nav = sync.nav.as_ref().and_then(|nav| files.text(&nav.file));
    let pulls_url = format!("{}/pull/", event.repository.html_url.trim_end_matches('/'));
    let on_branch = OnBranch {
        version: &version,
        notes_path: &notes_path,
        notes: notes.as_deref(),
        template: template.as_deref(),
        nav: nav.as_deref(),
        pulls_url: &pulls_url,
    };
    let decided = match plan_sync(sync, on_branch, &merged) {
        Ok(decided) => decided,
        Err(problem) => {
            return refuse(
                ctx,
                event,
                messages::notes_sync_problem(&problem.to_string()),
            )
            .await
        }
    };
    let nav_file = sync.nav.as_ref().map(|nav| nav.file.as_str());
    let mut said = NotesSynced {
        path: &notes_path,
        branch: &branch,
        heading: &sync.heading,
        added: &decided.added,
        left: decided.left,
        created: decided.created,
        nav: nav_file.filter(|_| decided.nav_added),
        gave_up: among.gave_up.then_some(PULLS_LOOKED_AT),
        commit: None,
    };
    let recorded = NotesFileState {
        path: notes_path.clone(),
        left: decided.left,
    };
    if decided.files.is_empty() {
        // Nothing to commit; the status learns how many are left if it did not know.
        if !dry_run {
            untick_while_left(ctx, &progress, decided.left).await?;
        }
        if status.marker.notes_file.as_ref() != Some(&recorded) && !dry_run {
            status.marker.notes_file = Some(recorded);
            tracking::refresh(ctx.gh, ctx.config, ctx.repository, &status, &progress).await?;
        }
        return answer(
            ctx.gh,
            event,
            Reply::NotesInStep,
            &messages::notes_synced(&said),
        )
        .await;
    }
    if dry_run {
        let text = messages::notes_synced(&said);
        return answer(ctx.gh, event, Reply::DryRunPlan, &text).await;
    }

    let with_modes: Vec<(String, String, String)> = decided
        .files
        .iter()
        .map(|(path, text)| {
            let mode = files.mode(path).unwrap_or("100644").to_string();
            (path.clone(), mode, text.clone())
        })
        .collect();
    let tree = ctx.gh.create_tree(&files.tree_sha, &with_modes).await?;
    let message = format!("Sync the release notes for {version}");
    let commit = ctx.gh.create_commit(&message, &tree, &[&head]).await?;
    if ctx.gh.fast_forward(&branch, commit.sha.as_str()).await? == FastForward::Diverged {
        return refuse(ctx, event, messages::notes_sync_branch_moved(&branch)).await;
    }

    untick_while_left(ctx, &progress, decided.left).await?;
    // The new head is the pull request's: smoke-tested as any push.
    status.marker.notes_file = Some(recorded);
    let progress = progress::read(ctx.gh, ctx.config, &version, ctx.me).await?;
    let stage = Stage::derive(&progress, Some(&status.marker))?;
    match plan(&stage, Trigger::PullPushed) {
        Plan::RunSmoke => {
            super::smoke::run(ctx, &version, &commit.sha, &mut status, &progress).await?
        }
        _ => tracking::refresh(ctx.gh, ctx.config, ctx.repository, &status, &progress).await?,
    }
    said.commit = Some(commit.sha.short());
    answer(
        ctx.gh,
        event,
        Reply::NotesSynced,
        &messages::notes_synced(&said),
    )
    .await?;
    Ok(Outcome::NotesSynced {
        version: version.to_string(),
        commit: commit.sha.to_string(),
        added: decided.added,
        left: decided.left,
    })
}

async fn refuse(
    ctx: &Context<'_>,
    event: &CommentEvent,
    text: String,
) -> Result<Outcome, EngineError> {
    answer(ctx.gh, event, Reply::NotesSyncRefused, &text).await
}

/// The checklist's notes item is not done while pull requests wait to be categorized: a tick a
/// person gave it earlier is taken back.
async fn untick_while_left(
    ctx: &Context<'_>,
    progress: &progress::Progress,
    left: usize,
) -> Result<(), EngineError> {
    let (Some(item), Some(pull)) = (&ctx.config.notes.sync.checklist_item, &progress.pull) else {
        return Ok(());
    };
    let body = pull.body.as_deref().unwrap_or("");
    let unticked = messages::pull_body_unticked(body, item);
    if left > 0 && unticked != body {
        ctx.gh.update_pull_body(pull.number, &unticked).await?;
    }
    Ok(())
}
