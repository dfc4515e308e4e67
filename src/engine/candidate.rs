//! QA candidates (`/release candidate`, or `qa`): the release branch's head tagged as the next
//! pre-release of the version (`0.1.3-rc.1`), its assets taken from the packaging workflow's
//! draft (or a release of its own), its images built as `:0.1.3-rc.1` only, and published as a
//! pre-release that is never GitHub's Latest. The final tag is never used for testing, so
//! nothing is ever deleted: with immutable releases a deleted release's tag is gone for good.
//!
//! Each candidate is recorded in the status comment before its tag is made, and every step
//! looks at GitHub before it acts, so a redelivered comment or run resumes it and does nothing
//! twice. The bot's own tag starts no handler; the candidate goes on from the command and from
//! the completed runs of its packaging and images workflows.

use semver::Version;

use super::answer::answer;
use super::context::Context;
use super::conversation::StatusComment;
use super::outcome::{EngineError, Outcome, Reply};
use super::packaging::{self, Waiting};
use super::progress::{self, dispatch_run, Progress};
use super::release_marker::{now, Dispatch};
use super::stage::{Plan, Trigger};
use super::tracking;
use crate::domain::{CommitSha, RunState};
use crate::event::CommentEvent;
use crate::github::models::{NewRelease, Release, WorkflowRun};
use crate::github::CreateRef;
use crate::messages;
use crate::status::{CandidateRecord, CandidateState};

/// What marks a release as a candidate the bot made (or adopted): never the release itself.
pub const MARKER_PREFIX: &str = "<!-- releasebot:candidate ";

/// Whether a release is a QA candidate the bot made or adopted: on a tag the candidate pattern
/// names (never a final version's), and marked so. A marker pasted into the release itself
/// does not make it one.
pub fn is_candidate_release(config: &crate::config::Config, release: &Release) -> bool {
    let candidate_tag = config
        .tag
        .version_from(&release.tag_name)
        .and_then(|v| config.candidate.number_of(&v))
        .is_some();
    candidate_tag && release.body().contains(MARKER_PREFIX)
}

/// Which candidate a `/release candidate` comment is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// The candidate this comment asked for already (a redelivery): go on with it.
    Redelivered(usize),
    /// The newest candidate is the branch's head and is not published yet: go on with it, as a
    /// person asked again (a failed step is run again).
    Resume(usize),
    /// The newest candidate is the branch's head and is published: nothing new to test.
    NoNewCommit(usize),
    /// A new candidate, numbered after every earlier one.
    New(u32),
}

/// Pure: from the candidates recorded, the release branch's head and the asking comment.
pub fn choose(records: &[CandidateRecord], head: &CommitSha, comment: u64) -> Choice {
    if let Some(i) = records.iter().position(|c| c.asked_by == comment) {
        return Choice::Redelivered(i);
    }
    let next = records.iter().map(|c| c.n).max().unwrap_or(0) + 1;
    match records.iter().rposition(|c| c.commit == *head) {
        Some(i) if records[i].state == CandidateState::Published => Choice::NoNewCommit(i),
        Some(i) => Choice::Resume(i),
        None => Choice::New(next),
    }
}

/// `/release candidate`: a new candidate of the branch's head, or the unfinished one resumed.
pub async fn ask(
    ctx: &Context<'_>,
    event: &CommentEvent,
    mut status: StatusComment,
    dry_run: bool,
) -> Result<Outcome, EngineError> {
    let planned = super::follow_up::planned(ctx, event, &status, Trigger::Candidate).await?;
    let (version, progress) = match planned {
        Ok((version, progress, Plan::Candidate)) => (version, progress),
        Ok((.., other)) => unreachable!("a candidate never plans {other:?}"),
        Err(refused) => return Ok(refused),
    };
    let head = progress
        .pull
        .as_ref()
        .map(|p| p.head.sha.clone())
        .expect("a candidate is planned from an open pull request");
    let choice = choose(&status.marker.candidates, &head, event.comment.id);
    if dry_run {
        let would = match &choice {
            Choice::New(n) => {
                let n = free_number(ctx, &version, *n).await?;
                super::plan_words::candidate(ctx.config, &version, Some(n))
            }
            Choice::Redelivered(i) | Choice::Resume(i) | Choice::NoNewCommit(i) => {
                messages::candidate_dry_run_same_commit(&status.marker.candidates[*i].tag)
            }
        };
        let text = messages::dry_run_follow_up("candidate", &would);
        return answer(ctx.gh, event, Reply::DryRunPlan, &text).await;
    }
    let (index, again) = match choice {
        Choice::Redelivered(i) => (i, false),
        Choice::Resume(i) => (i, true),
        Choice::NoNewCommit(i) => {
            let c = &status.marker.candidates[i];
            let text =
                messages::candidate_no_new_commit(&c.tag, c.commit.short(), &status.html_url);
            return answer(ctx.gh, event, Reply::NoNewCandidate, &text).await;
        }
        Choice::New(first) => {
            let n = free_number(ctx, &version, first).await?;
            let tag = ctx
                .config
                .tag
                .render(&ctx.config.candidate.version(&version, n));
            status.marker.candidates.push(CandidateRecord {
                n,
                tag,
                commit: head,
                asked_by: event.comment.id,
                state: CandidateState::Tagging,
                release: None,
                release_url: None,
                assets: Vec::new(),
                images: None,
                images_url: None,
                image_refs: Vec::new(),
            });
            // Recorded before the tag is made: a redelivery finds it and goes on with it.
            tracking::refresh(ctx.gh, ctx.config, ctx.repository, &status, &progress).await?;
            (status.marker.candidates.len() - 1, false)
        }
    };
    advance(ctx, &version, &mut status, &progress, index, again).await
}

/// A candidate's tag name someone already holds (pushed by hand) is skipped: the next number
/// is taken instead, and the other tag is left alone.
async fn free_number(ctx: &Context<'_>, version: &Version, first: u32) -> Result<u32, EngineError> {
    let taken: Vec<String> = ctx
        .gh
        .matching_refs("tags")
        .await?
        .into_iter()
        .filter_map(|r| r.name.strip_prefix("refs/tags/").map(str::to_string))
        .collect();
    let mut n = first;
    while taken.contains(
        &ctx.config
            .tag
            .render(&ctx.config.candidate.version(version, n)),
    ) {
        n += 1;
    }
    Ok(n)
}

/// A run of the packaging or images workflow ended on a tag: when the tag is a candidate the
/// status comment records, the candidate goes on; `None` when it is not one (a pre-release
/// released the usual way, a person's own tag).
pub async fn on_run(ctx: &Context<'_>, run: &WorkflowRun) -> Result<Option<Outcome>, EngineError> {
    let file = run.path.rsplit('/').next().unwrap_or_default();
    let packaging = ctx.config.packaging.as_ref().map(|p| p.workflow.as_str());
    if file != ctx.config.images.workflow && Some(file) != packaging {
        return Ok(None);
    }
    let tag = run.head_branch.clone().unwrap_or_default();
    let Some((version, _)) = ctx
        .config
        .tag
        .version_from(&tag)
        .and_then(|v| ctx.config.candidate.number_of(&v))
    else {
        return Ok(None);
    };
    let progress = progress::read(ctx.gh, ctx.config, &version, ctx.me).await?;
    let Some(tracking) = tracking::find(ctx.gh, ctx.me, &version, &progress).await? else {
        return Ok(None);
    };
    let Some(mut status) = tracking.status else {
        return Ok(None);
    };
    let Some(index) = status.marker.candidates.iter().position(|c| c.tag == tag) else {
        return Ok(None);
    };
    let outcome = advance(ctx, &version, &mut status, &progress, index, false).await?;
    Ok(Some(outcome))
}

/// Takes the candidate as far as GitHub lets it now: tag, release with assets, images, then
/// publication. `again`: a person asked again, so a failed packaging or images run is run again.
async fn advance(
    ctx: &Context<'_>,
    version: &Version,
    status: &mut StatusComment,
    progress: &Progress,
    index: usize,
    again: bool,
) -> Result<Outcome, EngineError> {
    let mut record = status.marker.candidates[index].clone();
    let candidate = ctx.config.candidate.version(version, record.n);
    let step = take_steps(
        ctx,
        version,
        &candidate,
        &mut record,
        status,
        progress,
        again,
    )
    .await;
    let state = match step {
        Ok(state) => state,
        Err(Stop::Failed(reason)) => CandidateState::Failed { reason },
        Err(Stop::Error(error)) => return Err(error),
    };
    record.state = state.clone();
    status.marker.candidates[index] = record.clone();
    tracking::redraw_if_behind(ctx, status, progress).await?;
    Ok(Outcome::Candidate {
        version: version.to_string(),
        tag: record.tag,
        state,
    })
}

/// Why the steps stopped short of publication.
enum Stop {
    /// Shown on the status comment; a person fixes it and asks again.
    Failed(String),
    Error(EngineError),
}

impl<E: Into<EngineError>> From<E> for Stop {
    fn from(error: E) -> Self {
        Stop::Error(error.into())
    }
}

/// The steps in order, each skipped when GitHub shows it done; the state reached.
async fn take_steps(
    ctx: &Context<'_>,
    version: &Version,
    candidate: &Version,
    record: &mut CandidateRecord,
    status: &mut StatusComment,
    progress: &Progress,
    again: bool,
) -> Result<CandidateState, Stop> {
    tag(ctx, candidate, record).await?;
    let Some(release) = release(ctx, version, candidate, record, status, progress, again).await?
    else {
        return Ok(record.state.clone());
    };
    record.release = Some(release.id);
    record.release_url = Some(release.html_url.clone());
    if !images(ctx, candidate, record, status, progress, again).await? {
        return Ok(CandidateState::Building);
    }
    if release.draft {
        ctx.gh.publish_prerelease(release.id).await?;
    }
    Ok(CandidateState::Published)
}

/// The candidate's annotated tag on its commit, made unless it is there already.
async fn tag(ctx: &Context<'_>, candidate: &Version, record: &CandidateRecord) -> Result<(), Stop> {
    let wanted = &record.commit;
    let elsewhere = |found: &CommitSha| {
        Stop::Failed(messages::candidate_tag_elsewhere(
            &record.tag,
            found.short(),
            wanted.short(),
        ))
    };
    match progress::tag_commit(ctx.gh, &record.tag).await? {
        Some(found) if found == *wanted => return Ok(()),
        Some(found) => return Err(elsewhere(&found)),
        None => {}
    }
    let message = format!("QA candidate {candidate}\n");
    let object = ctx
        .gh
        .create_tag_object(&record.tag, &message, wanted)
        .await?;
    let full = format!("refs/tags/{}", record.tag);
    if ctx.gh.create_ref(&full, &object).await? == CreateRef::AlreadyExists {
        match progress::tag_commit(ctx.gh, &record.tag).await? {
            Some(found) if found != *wanted => return Err(elsewhere(&found)),
            _ => {}
        }
    }
    Ok(())
}

/// The candidate's release: the packaging workflow's draft adopted once its assets pass, or a
/// draft of the bot's own; `None` while the packaging has not made it yet (the record says so).
async fn release(
    ctx: &Context<'_>,
    version: &Version,
    candidate: &Version,
    record: &mut CandidateRecord,
    status: &mut StatusComment,
    progress: &Progress,
    again: bool,
) -> Result<Option<Release>, Stop> {
    // Ours: marked, or the one recorded (a person may have pasted notes over the marker).
    let ours = |r: &Release| r.body().contains(MARKER_PREFIX) || record.release == Some(r.id);
    let found = match ctx.gh.release_on_tag(&record.tag).await? {
        // Not ours yet: read whole (its maker, assets and upload address) to be judged.
        Some(r) if !ours(&r) => ctx.gh.release(r.id).await?,
        found => found,
    };
    let image_refs = ctx.config.images.refs(candidate, false);
    let marker = format!("{MARKER_PREFIX}{candidate} -->");
    let body = messages::candidate_body(&version.to_string(), &record.tag, &image_refs, &marker);
    let title = messages::candidate_title(&version.to_string(), record.n);
    record.image_refs = image_refs;
    if let Some(release) = found.as_ref().filter(|r| ours(r)) {
        return Ok(Some(release.clone()));
    }
    let Some(packaging) = &ctx.config.packaging else {
        if let Some(other) = found {
            return Err(Stop::Failed(messages::candidate_release_not_ours(
                &record.tag,
                &other.html_url,
            )));
        }
        let made = ctx
            .gh
            .create_release(&NewRelease {
                tag_name: &record.tag,
                target_commitish: record.commit.as_str(),
                name: &title,
                body: &body,
                draft: true,
                prerelease: true,
                make_latest: "false",
            })
            .await?;
        return Ok(Some(made));
    };
    match found {
        Some(draft) if packaging::is_adoptable(packaging, &draft) => {
            // Its assets may name the candidate or the release it tests.
            let accepted = [candidate.clone(), version.clone()];
            let problems = packaging::check_assets(ctx, packaging, &accepted, &draft).await?;
            if !problems.is_empty() {
                return Err(Stop::Failed(messages::candidate_assets_refused(&problems)));
            }
            record.assets = ctx
                .gh
                .release_assets(draft.id)
                .await?
                .into_iter()
                .map(|a| a.name)
                .collect();
            let body = packaging::adopted_body(draft.body(), &body);
            let adopted = ctx
                .gh
                .update_release_text(draft.id, &title, &body, false)
                .await?;
            Ok(Some(adopted))
        }
        Some(other) => Err(Stop::Failed(messages::candidate_release_not_ours(
            &record.tag,
            &other.html_url,
        ))),
        None => {
            let on_tag = Some((&mut *status, progress));
            let workflow = &packaging.workflow;
            match packaging::run_on_tag(ctx, packaging, &record.tag, again, on_tag).await {
                Ok(Waiting::Running { url }) => {
                    record.state = CandidateState::Packaging { url };
                    Ok(None)
                }
                Ok(Waiting::Failed { url }) => Err(Stop::Failed(
                    messages::candidate_packaging_failed(workflow, &url),
                )),
                Ok(Waiting::NoDraft { url }) => Err(Stop::Failed(
                    messages::candidate_packaging_no_draft(workflow, &packaging.made_by, &url),
                )),
                Err(EngineError::Api(error))
                    if error.is_not_found() || error.is_unprocessable() =>
                {
                    Err(Stop::Failed(messages::packaging_workflow_unusable(
                        workflow,
                        &record.tag,
                        &error.to_string(),
                    )))
                }
                Err(error) => Err(Stop::Error(error)),
            }
        }
    }
}

/// The candidate's images: dispatched once (the intent recorded on the status comment first),
/// with `latest` false; `true` once its run succeeded.
async fn images(
    ctx: &Context<'_>,
    candidate: &Version,
    record: &mut CandidateRecord,
    status: &mut StatusComment,
    progress: &Progress,
    again: bool,
) -> Result<bool, Stop> {
    let workflow = &ctx.config.images.workflow;
    let known = match &record.images {
        Some(dispatch) => {
            dispatch_run(ctx.gh, workflow, &record.tag, Some(dispatch), ctx.me).await?
        }
        None => None,
    };
    if let (Some(run), Some(dispatch)) = (&known, record.images.as_mut()) {
        dispatch.run = Some(run.id);
        record.images_url = Some(run.html_url.clone());
    }
    let dispatch_again = match (&known, &record.images) {
        (Some(run), _) => match run.run_state() {
            RunState::Succeeded => return Ok(true),
            RunState::Running => return Ok(false),
            RunState::Failed { .. } if again => true,
            RunState::Failed { .. } => {
                return Err(Stop::Failed(messages::candidate_images_failed(
                    &run.html_url,
                )))
            }
        },
        // Sent, its run not listed yet: waited for, never sent twice unless a person asks.
        (None, Some(dispatch)) if dispatch.sent && !again => return Ok(false),
        (None, Some(_)) => true,
        (None, None) => false,
    };
    let intent = match (&record.images, dispatch_again) {
        (Some(earlier), true) => earlier.again(now()),
        _ => Dispatch::intended(now()),
    };
    record.images = Some(intent);
    record.images_url = None;
    record.state = CandidateState::Building;
    let index = status
        .marker
        .candidates
        .iter()
        .position(|c| c.tag == record.tag)
        .expect("the record is the status comment's");
    status.marker.candidates[index] = record.clone();
    tracking::refresh(ctx.gh, ctx.config, ctx.repository, status, progress).await?;
    let inputs = serde_json::json!({ "version": candidate.to_string(), "latest": "false" });
    let details = ctx
        .gh
        .dispatch_workflow(workflow, &record.tag, &inputs)
        .await?;
    let dispatch = record.images.as_mut().expect("set above");
    match details {
        Some(details) => {
            dispatch.run = Some(details.workflow_run_id);
            record.images_url = Some(details.html_url);
        }
        None => dispatch.sent = true,
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(c: char) -> CommitSha {
        CommitSha::parse(&c.to_string().repeat(40)).unwrap()
    }

    fn record(n: u32, commit: char, asked_by: u64, state: CandidateState) -> CandidateRecord {
        CandidateRecord {
            n,
            tag: format!("0.1.3-rc.{n}"),
            commit: sha(commit),
            asked_by,
            state,
            release: None,
            release_url: None,
            assets: Vec::new(),
            images: None,
            images_url: None,
            image_refs: Vec::new(),
        }
    }

    #[test]
    fn a_candidate_marker_pasted_into_the_final_release_does_not_make_it_a_candidate() {
        let config = crate::config::Config::default();
        let release = |tag: &str, body: &str| Release {
            id: crate::domain::ReleaseId(4),
            tag_name: tag.into(),
            name: None,
            body: Some(body.into()),
            draft: false,
            prerelease: false,
            html_url: String::new(),
            upload_url: String::new(),
            author: None,
            assets: Vec::new(),
            immutable: false,
        };
        let marked = format!("notes\n{MARKER_PREFIX}0.1.3-rc.1 -->");
        assert!(is_candidate_release(
            &config,
            &release("0.1.3-rc.1", &marked)
        ));
        assert!(!is_candidate_release(&config, &release("0.1.3", &marked)));
        assert!(!is_candidate_release(
            &config,
            &release("0.1.3-rc.1", "notes")
        ));
    }

    #[test]
    fn a_candidate_is_new_for_a_new_commit_and_resumed_or_refused_for_the_same() {
        let failed = CandidateState::Failed {
            reason: "its images build failed".into(),
        };
        let published = CandidateState::Published;
        let rows: Vec<(&str, Vec<CandidateRecord>, char, u64, Choice)> = vec![
            ("the first", vec![], 'a', 10, Choice::New(1)),
            (
                "a fix pushed after rc.1",
                vec![record(1, 'a', 10, published.clone())],
                'b',
                11,
                Choice::New(2),
            ),
            (
                "asked again, nothing pushed",
                vec![record(1, 'a', 10, published.clone())],
                'a',
                11,
                Choice::NoNewCommit(0),
            ),
            (
                "the same comment delivered again",
                vec![record(1, 'a', 10, CandidateState::Tagging)],
                'a',
                10,
                Choice::Redelivered(0),
            ),
            (
                "asked again after a failure",
                vec![record(1, 'a', 10, failed.clone())],
                'a',
                11,
                Choice::Resume(0),
            ),
            (
                "a failed candidate, then a fix",
                vec![record(1, 'a', 10, failed), record(2, 'b', 11, published)],
                'c',
                12,
                Choice::New(3),
            ),
        ];
        for (name, records, head, comment, expected) in rows {
            assert_eq!(choose(&records, &sha(head), comment), expected, "{name}");
        }
    }
}
