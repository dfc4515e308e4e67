//! Where a release stands, as one value derived from what GitHub holds (and the bot's own
//! markers), and the pure decision of what is due when something happens. Handlers carry out the
//! plan; the status comment is drawn from the same stage; a dry run describes the plan instead of
//! carrying it out.

use crate::domain::{CommitSha, PullNumber, PullState, ReleaseId, RunId, RunState};

use super::progress::Progress;
use super::release_marker::UnreadableMarker;
use crate::status::{SmokeRecord, SmokeState, StatusMarker};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// No branch, pull request or tag yet.
    NotStarted,
    /// The release branch exists, its pull request does not.
    Branched,
    PullOpen {
        pull: PullNumber,
        smoke: SmokeStage,
    },
    /// The release pull request was closed without merging.
    ClosedUnmerged {
        pull: PullNumber,
    },
    /// `/release cancel` (or the pull request's closing) cancelled it, before any tag.
    Cancelled,
    /// Merged, not tagged yet.
    Merged {
        merge_commit: CommitSha,
    },
    /// The tag exists; the images were not dispatched (the draft may exist already).
    Tagged {
        commit: CommitSha,
        draft: Option<ReleaseId>,
    },
    /// The images dispatch was intended (recorded in the draft), its run is not known.
    /// `sent`: GitHub accepted the dispatch (an older server names no run, and lists it a
    /// moment later), so it is not sent again unless a person asks (`/release retry`).
    ImagesIntended {
        commit: CommitSha,
        release: ReleaseId,
        sent: bool,
    },
    ImagesRunning {
        commit: CommitSha,
        release: ReleaseId,
        run: RunId,
    },
    ImagesFailed {
        commit: CommitSha,
        release: ReleaseId,
        run: RunId,
    },
    /// Our images run built (or is building) another commit than the tag's: a person moved
    /// the tag since. Those images are not the release's.
    ImagesStale {
        commit: CommitSha,
        release: ReleaseId,
        run: RunId,
        built: CommitSha,
    },
    /// Images built; the release is a draft for a person to publish, or published.
    /// `unfinished`: after publication, an announcement failed or the merge back waits, and
    /// `/release retry` may finish it. `step_failed`: a workflow after the tag (`[[step]]`)
    /// failed, and what comes after it (the publication it gates) waits for `/release retry`.
    Done {
        commit: CommitSha,
        release: ReleaseId,
        run: RunId,
        published: bool,
        unfinished: bool,
        step_failed: bool,
    },
}

/// Where the smoke test of the open pull request's head stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmokeStage {
    NotRun,
    Running,
    Passed,
    Failed,
    Skipped,
}

/// What GitHub holds that the stage cannot be read from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unreadable {
    #[error("pull request #{0} is merged but GitHub gives no merge commit for it")]
    NoMergeCommit(PullNumber),
    #[error(transparent)]
    Marker(#[from] UnreadableMarker),
    #[error("the status comment's marker names version `{value}`, which is not a version ({problem}); restore the comment from its edit history")]
    NotAVersion { value: String, problem: String },
}

impl Stage {
    /// The stage from what GitHub holds: `progress` (read with only the bot's own pull requests
    /// and runs in it) and the status comment's marker (cancelled, the smoke test), when there
    /// is one to go by.
    pub fn derive(progress: &Progress, status: Option<&StatusMarker>) -> Result<Stage, Unreadable> {
        // Cancelling closes the pull request: one that is open was reopened since, and a
        // reopened pull request is open again whatever the marker says.
        let reopened = progress
            .pull
            .as_ref()
            .is_some_and(|p| p.pull_state() == PullState::Open);
        let cancelled = status.is_some_and(|s| s.cancelled) && !reopened;
        if let Some(commit) = &progress.tag_commit {
            let mut stage = tagged_stage(progress, commit.clone())?;
            if let Stage::Done { unfinished, .. } = &mut stage {
                *unfinished = status.is_some_and(StatusMarker::after_publication_left);
            }
            return Ok(stage);
        }
        let pull = progress.pull.as_ref();
        if let Some(pull) = pull.filter(|p| p.pull_state() == PullState::Merged) {
            let merge_commit = pull
                .merge_commit_sha
                .clone()
                .ok_or(Unreadable::NoMergeCommit(pull.number))?;
            return Ok(Stage::Merged { merge_commit });
        }
        if cancelled {
            return Ok(Stage::Cancelled);
        }
        Ok(match pull {
            Some(p) if p.pull_state() == PullState::Open => Stage::PullOpen {
                pull: p.number,
                smoke: smoke_stage(status.and_then(|s| s.smoke.as_ref()), &p.head.sha),
            },
            Some(p) => Stage::ClosedUnmerged { pull: p.number },
            None if progress.branch_head.is_some() => Stage::Branched,
            None => Stage::NotStarted,
        })
    }

    /// Whether the tag exists (the release is past the point where it can be cancelled).
    pub fn is_tagged(&self) -> bool {
        matches!(
            self,
            Stage::Tagged { .. }
                | Stage::ImagesIntended { .. }
                | Stage::ImagesRunning { .. }
                | Stage::ImagesFailed { .. }
                | Stage::ImagesStale { .. }
                | Stage::Done { .. }
        )
    }

    /// The commit the tag is on, once tagged.
    pub fn tag_commit(&self) -> Option<&CommitSha> {
        match self {
            Stage::Tagged { commit, .. }
            | Stage::ImagesIntended { commit, .. }
            | Stage::ImagesRunning { commit, .. }
            | Stage::ImagesFailed { commit, .. }
            | Stage::ImagesStale { commit, .. }
            | Stage::Done { commit, .. } => Some(commit),
            _ => None,
        }
    }

    /// Our images run, once known.
    pub fn images_run(&self) -> Option<RunId> {
        match self {
            Stage::ImagesRunning { run, .. }
            | Stage::ImagesFailed { run, .. }
            | Stage::ImagesStale { run, .. }
            | Stage::Done { run, .. } => Some(*run),
            _ => None,
        }
    }
}

/// The smoke test counts for the pull request's current head only: a newer push has not run yet.
fn smoke_stage(record: Option<&SmokeRecord>, head: &CommitSha) -> SmokeStage {
    match record {
        Some(record) if record.sha == *head => match record.state {
            // Intended, but the run never became known (the dispatch failed, or the job died
            // before recording it): not running as far as anyone can tell.
            SmokeState::Running if record.dispatch.as_ref().is_none_or(|d| d.run.is_none()) => {
                SmokeStage::NotRun
            }
            SmokeState::Running => SmokeStage::Running,
            SmokeState::Passed => SmokeStage::Passed,
            SmokeState::Failed { .. } => SmokeStage::Failed,
            SmokeState::Skipped { .. } => SmokeStage::Skipped,
        },
        _ => SmokeStage::NotRun,
    }
}

fn tagged_stage(progress: &Progress, commit: CommitSha) -> Result<Stage, Unreadable> {
    let Some(release) = &progress.release else {
        return Ok(Stage::Tagged {
            commit,
            draft: None,
        });
    };
    let release_id = release.id;
    let marker = progress.release_marker()?;
    let dispatched = marker.as_ref().is_some_and(|m| m.images_dispatched());
    let sent = marker
        .as_ref()
        .and_then(|m| m.images.as_ref())
        .is_some_and(|d| d.sent);
    let Some(run) = &progress.run else {
        return Ok(if dispatched {
            Stage::ImagesIntended {
                commit,
                release: release_id,
                sent,
            }
        } else {
            Stage::Tagged {
                commit,
                draft: Some(release_id),
            }
        });
    };
    let run_id = run.id;
    // Images of another commit than the tag's (the tag was moved since) are not the release's.
    if run.head_sha != commit {
        return Ok(Stage::ImagesStale {
            commit,
            release: release_id,
            run: run_id,
            built: run.head_sha.clone(),
        });
    }
    Ok(match run.run_state() {
        RunState::Running => Stage::ImagesRunning {
            commit,
            release: release_id,
            run: run_id,
        },
        RunState::Failed { .. } => Stage::ImagesFailed {
            commit,
            release: release_id,
            run: run_id,
        },
        RunState::Succeeded => Stage::Done {
            commit,
            release: release_id,
            run: run_id,
            published: !release.draft,
            unfinished: false,
            step_failed: progress
                .step_runs
                .values()
                .any(|run| matches!(run.run_state(), RunState::Failed { .. }))
                || marker.as_ref().is_some_and(|m| {
                    m.steps
                        .values()
                        .any(|d| d.run.is_none() && d.refused.is_some())
                }),
        },
    })
}

/// What happened, as far as deciding goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// `/release <version>` for this release. `not_newer`: the comment is the one that started
    /// it or older (a redelivery, an Actions re-run), not a person asking again.
    Start { not_newer: bool },
    /// `/release <other version>` on the issue that tracks this release.
    StartAnother,
    /// The release pull request was reopened after it was closed unmerged.
    PullReopened,
    /// `/release retry`
    Retry,
    /// `/release cancel`
    Cancel,
    /// The release pull request was closed: merged (as this commit) or not (`None`).
    PullClosed { merge_commit: Option<CommitSha> },
    /// The version tag appeared (made by the bot, or pushed by a person).
    TagAppeared,
    /// An images run completed.
    RunCompleted { run: RunId },
    /// A run of a workflow after the tag (`[[step]]`) completed: `ours` when the draft's marker
    /// records it as a step's run.
    StepRunCompleted { ours: bool },
    /// `/release retry <step>`: that step's workflow again.
    RetryStep,
    /// New commits on the release pull request's branch.
    PullPushed,
    /// `/release candidate`: a QA candidate of the release branch's head.
    Candidate,
}

/// What is due. Carried out by the handlers, or described by a dry run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Branch, commit and pull request, each looked up before it is made.
    OpenPullRequest,
    /// Check the merge commit says the version, and tag it.
    TagMergeCommit { merge_commit: CommitSha },
    /// The tag exists, but on another commit than the merge: a person must look.
    TagElsewhere {
        tag_commit: CommitSha,
        merge_commit: CommitSha,
    },
    /// From the tag: the draft release and the images dispatch, whichever is missing.
    ReleaseTag,
    /// Build the images again after a failed run.
    Redispatch { failed: RunId },
    /// The tag was moved off the commit `stale` built: check the version files at the tag's
    /// commit, as for a new tag, then build it.
    RebuildMoved { stale: RunId },
    /// Close the open pull request and delete the branch, then mark the release cancelled.
    Cancel,
    /// The pull request was closed unmerged: the release is cancelled.
    MarkCancelled,
    /// Our images run finished: record its result, then carry on the steps after the images
    /// (`[[step]]`, `[publish]`), as `steps::next` says.
    RecordImages { run: RunId },
    /// Run the smoke test on the release branch's head (again), superseding any earlier run.
    RunSmoke,
    /// The pull request is open again: the release is no longer cancelled, and its head is
    /// smoke-tested unless it was already.
    Reopen,
    /// The smoke run of the branch's head finished: its result becomes the commit status, the
    /// checklist and the status comment.
    RecordSmoke,
    /// The release is published and what follows publication is unfinished: merge back and
    /// announce where that is still due.
    AfterPublication,
    /// The workflows after the tag: record what finished, dispatch each step whose `after`
    /// succeeded, and publish when `[publish]` says so (`steps::next` says which).
    AdvanceSteps,
    /// `/release retry` with a failed step: dispatch the failed steps again, then go on.
    ResumeSteps,
    /// `/release retry <step>`: dispatch that step again (when it finished; `steps::again`).
    RetryStep,
    /// The work is done: keep what was found (a run found by its intent alone, after a crash)
    /// and redraw the status comment if it is behind.
    Settle,
    /// Tag the release branch's head as the next QA candidate (or resume the one asked for it),
    /// get its assets, build its images and publish it as a pre-release.
    Candidate,
    /// Nothing to do but say so.
    Refuse(Refusal),
    /// Nothing to do, nothing to say.
    Nothing(&'static str),
}

/// A smoke run finished (`run`, at this attempt): whether it is the one to record, from the
/// status comment's record of the branch head's smoke test. Its first result counts, and a
/// re-run's from the Actions page (the same run, a later attempt); an older attempt's late
/// delivery, or a run the record does not name (superseded by a push, someone else's), does not.
pub fn smoke_plan(record: Option<&SmokeRecord>, (run, attempt): (RunId, u32)) -> Plan {
    let Some(record) = record else {
        return Plan::Nothing("no smoke test is recorded");
    };
    if record.dispatch.as_ref().and_then(|d| d.run) != Some(run) {
        return Plan::Nothing("the run is not the smoke test of the branch's head");
    }
    let newer = match record.state {
        SmokeState::Running => attempt >= record.attempt,
        _ => attempt > record.attempt,
    };
    if newer {
        Plan::RecordSmoke
    } else {
        Plan::Nothing("this attempt's result was recorded already")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Retry before the pull request is merged: its checklist and merge are a person's.
    WaitingForMerge,
    /// Retry while the images are building or after they were built.
    NothingToRetry,
    /// Retry of a cancelled release.
    RetryCancelled,
    /// Cancel after the tag exists (or the pull request was merged).
    CancelTooLate,
    /// Another version on an issue whose release is still in flight: one release, one home.
    AnotherInFlight,
    /// A QA candidate with no open release pull request to take it from.
    CandidateWithoutPull,
    /// A QA candidate after the merge: the release itself is what is tested now.
    CandidateAfterMerge,
}

pub fn plan(stage: &Stage, trigger: Trigger) -> Plan {
    use Stage::*;
    match trigger {
        Trigger::Start { not_newer: true } => match stage {
            Cancelled | ClosedUnmerged { .. } => {
                Plan::Nothing("the release this command started was cancelled since")
            }
            NotStarted | Branched | PullOpen { .. } => Plan::OpenPullRequest,
            _ => Plan::Nothing("the release this command started has moved past its pull request"),
        },
        // A person asking again: the checks decide whether the version can still be released.
        Trigger::Start { not_newer: false } => Plan::OpenPullRequest,
        Trigger::StartAnother => match stage {
            NotStarted
            | Cancelled
            | ClosedUnmerged { .. }
            | Done {
                published: true, ..
            } => Plan::OpenPullRequest,
            _ => Plan::Refuse(Refusal::AnotherInFlight),
        },
        Trigger::PullReopened => match stage {
            // The close cancelled it; reopened is open again.
            Cancelled | ClosedUnmerged { .. } | PullOpen { .. } => Plan::Reopen,
            _ => Plan::Nothing("the release pull request is not open"),
        },
        Trigger::Retry => match stage {
            Cancelled => Plan::Refuse(Refusal::RetryCancelled),
            NotStarted | Branched | ClosedUnmerged { .. } => Plan::OpenPullRequest,
            PullOpen {
                smoke: SmokeStage::Failed | SmokeStage::NotRun,
                ..
            } => Plan::RunSmoke,
            PullOpen { .. } => Plan::Refuse(Refusal::WaitingForMerge),
            Merged { merge_commit } => Plan::TagMergeCommit {
                merge_commit: merge_commit.clone(),
            },
            Tagged { .. } | ImagesIntended { .. } => Plan::ReleaseTag,
            ImagesFailed { run, .. } => Plan::Redispatch { failed: *run },
            ImagesStale { run, .. } => Plan::RebuildMoved { stale: *run },
            Done {
                step_failed: true, ..
            } => Plan::ResumeSteps,
            Done {
                published: true,
                unfinished: true,
                ..
            } => Plan::AfterPublication,
            ImagesRunning { .. } | Done { .. } => Plan::Refuse(Refusal::NothingToRetry),
        },
        Trigger::Cancel => match stage {
            NotStarted | Branched | PullOpen { .. } | ClosedUnmerged { .. } | Cancelled => {
                Plan::Cancel
            }
            Merged { .. } => Plan::Refuse(Refusal::CancelTooLate),
            _ => Plan::Refuse(Refusal::CancelTooLate),
        },
        Trigger::PullClosed { merge_commit: None } => match stage {
            ClosedUnmerged { .. } | Cancelled => Plan::MarkCancelled,
            _ => Plan::Nothing("the release pull request is not closed unmerged"),
        },
        Trigger::PullClosed {
            merge_commit: Some(merged),
        } => match (stage, stage.tag_commit()) {
            (Merged { merge_commit }, _) => Plan::TagMergeCommit {
                merge_commit: merge_commit.clone(),
            },
            (_, Some(tagged)) if *tagged != merged => Plan::TagElsewhere {
                tag_commit: tagged.clone(),
                merge_commit: merged,
            },
            // The dispatch was sent; its run is not listed yet.
            (ImagesIntended { sent: true, .. }, _) => Plan::Settle,
            (Tagged { .. } | ImagesIntended { .. }, _) => Plan::ReleaseTag,
            (ImagesStale { run, .. }, _) => Plan::RebuildMoved { stale: *run },
            // Moved past its tag already (a redelivery, the job run again after it failed).
            (_, Some(_)) => Plan::Settle,
            _ => Plan::Nothing("the release pull request is not merged"),
        },
        Trigger::TagAppeared => match stage {
            // The dispatch was sent; its run is not listed yet.
            ImagesIntended { sent: true, .. } => Plan::Settle,
            Tagged { .. } | ImagesIntended { .. } => Plan::ReleaseTag,
            // The tag was moved: its commit is built, once (the new run is then the tag's).
            ImagesStale { run, .. } => Plan::RebuildMoved { stale: *run },
            // The tag's release and images were made already.
            ImagesRunning { .. } | ImagesFailed { .. } | Done { .. } => Plan::Settle,
            _ => Plan::Nothing("the tag no longer exists"),
        },
        Trigger::PullPushed => match stage {
            PullOpen {
                smoke: SmokeStage::NotRun,
                ..
            } => Plan::RunSmoke,
            PullOpen { .. } => Plan::Nothing("the branch's head was tested already"),
            _ => Plan::Nothing("the release pull request is not open"),
        },
        Trigger::Candidate => match stage {
            PullOpen { .. } => Plan::Candidate,
            NotStarted | Branched | ClosedUnmerged { .. } | Cancelled => {
                Plan::Refuse(Refusal::CandidateWithoutPull)
            }
            _ => Plan::Refuse(Refusal::CandidateAfterMerge),
        },
        Trigger::StepRunCompleted { ours: false } => {
            Plan::Nothing("the run is not one of the release's steps")
        }
        Trigger::StepRunCompleted { ours: true } => match stage {
            ImagesIntended { .. } | ImagesRunning { .. } | ImagesFailed { .. } | Done { .. } => {
                Plan::AdvanceSteps
            }
            ImagesStale { .. } => Plan::Nothing("the tag was moved since the step ran"),
            _ => Plan::Nothing("the release has no draft for steps"),
        },
        Trigger::RetryStep => match stage {
            Cancelled => Plan::Refuse(Refusal::RetryCancelled),
            ImagesIntended { .. }
            | ImagesRunning { .. }
            | ImagesFailed { .. }
            | ImagesStale { .. }
            | Done { .. } => Plan::RetryStep,
            _ => Plan::Refuse(Refusal::NothingToRetry),
        },
        Trigger::RunCompleted { run } => match stage.images_run() {
            Some(_) if matches!(stage, ImagesStale { .. }) => {
                Plan::Nothing("the run built a commit the tag no longer names")
            }
            Some(ours) if ours == run => Plan::RecordImages { run },
            Some(_) => Plan::Nothing("another run of ours on the tag decides"),
            None => Plan::Nothing("the run is not the release's images build"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Conclusion, OpenOrClosed, RunStatus};
    use crate::engine::release_marker::Dispatch;
    use crate::github::models::{PullBranch, PullRequest, Release, User, WorkflowRun};

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn pull(state: OpenOrClosed, merged: bool) -> PullRequest {
        PullRequest {
            number: PullNumber(9),
            body: None,
            merge_commit_sha: merged.then(|| sha(B)),
            user: User {
                login: "releasebot[bot]".into(),
                kind: "Bot".into(),
            },
            state,
            title: "Release 0.1.3".into(),
            html_url: String::new(),
            merged_at: merged.then(|| "2026-11-25T10:00:00Z".to_string()),
            merged: None,
            head: PullBranch {
                name: "release/0.1.3".into(),
                sha: sha(A),
                repo: None,
            },
            base: PullBranch {
                name: "master".into(),
                sha: sha(A),
                repo: None,
            },
        }
    }

    fn release(body: &str, draft: bool) -> Release {
        Release {
            id: ReleaseId(4),
            tag_name: "0.1.3".into(),
            name: None,
            body: Some(body.into()),
            draft,
            prerelease: false,
            html_url: String::new(),
            upload_url: String::new(),
            author: None,
            assets: Vec::new(),
            immutable: false,
        }
    }

    fn run(status: RunStatus, conclusion: Option<Conclusion>) -> WorkflowRun {
        WorkflowRun {
            id: RunId(77),
            path: ".github/workflows/release-images.yml".into(),
            head_branch: Some("0.1.3".into()),
            head_sha: sha(B),
            status,
            conclusion,
            html_url: String::new(),
            event: "workflow_dispatch".into(),
            actor: None,
            created_at: None,
            run_attempt: 1,
        }
    }

    fn dispatched_body() -> String {
        let mut marker = super::super::release_marker::ReleaseMarker::new("0.1.3");
        marker.images = Some(super::super::release_marker::Dispatch::intended("t".into()));
        format!("notes\n{}\n", marker.line())
    }

    fn sha(s: &str) -> CommitSha {
        CommitSha::parse(s).unwrap()
    }

    fn derive(progress: Progress) -> Stage {
        Stage::derive(&progress, None).unwrap()
    }

    fn cancelled() -> StatusMarker {
        StatusMarker {
            version: "0.1.3".into(),
            owner: "kgodey".into(),
            trigger_comment: 1,
            from_version: "0.1.2".into(),
            notified: vec![],
            notes_url: None,
            notes_from: None,
            notes_problem: None,
            blocked: None,
            cancelled: true,
            skipped_files: vec![],
            unsigned_commit: None,
            smoke: None,
            notes_file: None,
            milestone_problem: None,
            announced: vec![],
            merge_back: None,
            packaging: None,
            candidates: Vec::new(),
        }
    }

    #[test]
    fn before_the_tag_the_stage_follows_the_branch_and_the_pull_request() {
        assert_eq!(derive(Progress::default()), Stage::NotStarted);
        let branched = Progress {
            branch_head: Some(sha(A)),
            ..Progress::default()
        };
        assert_eq!(derive(branched.clone()), Stage::Branched);
        let open = Progress {
            pull: Some(pull(OpenOrClosed::Open, false)),
            ..branched.clone()
        };
        assert_eq!(
            derive(open.clone()),
            Stage::PullOpen {
                pull: PullNumber(9),
                smoke: SmokeStage::NotRun
            }
        );
        assert_eq!(
            Stage::derive(&open, Some(&cancelled())).unwrap(),
            Stage::PullOpen {
                pull: PullNumber(9),
                smoke: SmokeStage::NotRun
            },
            "reopened after the cancel"
        );
        let gone = Progress {
            pull: Some(pull(OpenOrClosed::Closed, false)),
            ..Progress::default()
        };
        assert_eq!(
            Stage::derive(&gone, Some(&cancelled())).unwrap(),
            Stage::Cancelled
        );
        let closed = Progress {
            pull: Some(pull(OpenOrClosed::Closed, false)),
            ..branched
        };
        assert_eq!(
            derive(closed),
            Stage::ClosedUnmerged {
                pull: PullNumber(9)
            }
        );
        let merged = Progress {
            pull: Some(pull(OpenOrClosed::Closed, true)),
            ..Progress::default()
        };
        assert_eq!(
            derive(merged.clone()),
            Stage::Merged {
                merge_commit: sha(B)
            }
        );
        // A merge wins over a cancel marker: the pull request's merge is what happened.
        assert_eq!(
            Stage::derive(&merged, Some(&cancelled())).unwrap(),
            Stage::Merged {
                merge_commit: sha(B)
            }
        );
    }

    #[test]
    fn a_merged_pull_request_without_a_merge_commit_is_an_error_not_an_empty_sha() {
        let mut merged = pull(OpenOrClosed::Closed, true);
        merged.merge_commit_sha = None;
        let progress = Progress {
            pull: Some(merged),
            ..Progress::default()
        };
        assert_eq!(
            Stage::derive(&progress, None),
            Err(Unreadable::NoMergeCommit(PullNumber(9)))
        );
        // A merge commit that is no commit id is refused where GitHub's answer is read.
        let mut odd = serde_json::json!({
            "number": 9, "title": "Release 0.1.3", "state": "closed", "merged": true,
            "merge_commit_sha": "", "user": { "login": "releasebot[bot]" },
            "head": { "ref": "release/0.1.3", "sha": A }, "base": { "ref": "master", "sha": A }
        });
        let refused = serde_json::from_value::<PullRequest>(odd.clone()).unwrap_err();
        assert!(
            refused.to_string().contains("is not a git object id"),
            "{refused}"
        );
        odd["merge_commit_sha"] = B.into();
        assert!(serde_json::from_value::<PullRequest>(odd)
            .unwrap()
            .is_merged());
    }

    #[test]
    fn after_the_tag_the_stage_follows_the_draft_and_our_run() {
        let tagged = Progress {
            tag_commit: Some(sha(B)),
            ..Progress::default()
        };
        assert_eq!(
            derive(tagged.clone()),
            Stage::Tagged {
                commit: sha(B),
                draft: None
            }
        );
        let drafted = Progress {
            release: Some(release("notes", true)),
            ..tagged.clone()
        };
        assert_eq!(
            derive(drafted),
            Stage::Tagged {
                commit: sha(B),
                draft: Some(ReleaseId(4))
            }
        );
        let intended = Progress {
            release: Some(release(&dispatched_body(), true)),
            ..tagged
        };
        assert_eq!(
            derive(intended.clone()),
            Stage::ImagesIntended {
                commit: sha(B),
                release: ReleaseId(4),
                sent: false
            }
        );
        let with = |r: WorkflowRun| Progress {
            run: Some(r),
            ..intended.clone()
        };
        assert!(matches!(
            derive(with(run(RunStatus::InProgress, None))),
            Stage::ImagesRunning { run: RunId(77), .. }
        ));
        assert!(matches!(
            derive(with(run(RunStatus::Completed, Some(Conclusion::Failure)))),
            Stage::ImagesFailed { run: RunId(77), .. }
        ));
        assert!(matches!(
            derive(with(run(RunStatus::Completed, Some(Conclusion::Success)))),
            Stage::Done {
                published: false,
                ..
            }
        ));
        // The tag was moved off the commit our run built.
        let mut elsewhere = run(RunStatus::Completed, Some(Conclusion::Success));
        elsewhere.head_sha = sha(A);
        assert_eq!(
            derive(with(elsewhere)),
            Stage::ImagesStale {
                commit: sha(B),
                release: ReleaseId(4),
                run: RunId(77),
                built: sha(A)
            }
        );
    }

    /// A step after the tag that failed, or whose dispatch GitHub refused, makes the release
    /// done with a failed step (a retry resumes the steps); one running or waiting does not.
    #[test]
    fn a_failed_or_refused_step_is_a_failed_step() {
        let mut marker = super::super::release_marker::ReleaseMarker::new("0.1.3");
        marker.images = Some(Dispatch {
            run: Some(RunId(77)),
            ..Dispatch::intended("t".into())
        });
        marker
            .steps
            .insert("docs".into(), Dispatch::intended("t".into()));
        let built = |marker: &super::super::release_marker::ReleaseMarker| Progress {
            tag_commit: Some(sha(B)),
            release: Some(release(&format!("notes\n{}\n", marker.line()), true)),
            run: Some(run(RunStatus::Completed, Some(Conclusion::Success))),
            ..Progress::default()
        };
        let step_failed = |progress: Progress| match derive(progress) {
            Stage::Done { step_failed, .. } => step_failed,
            other => panic!("{other:?}"),
        };
        let mut docs = run(RunStatus::Waiting, None);
        docs.id = RunId(80);
        let mut progress = built(&marker);
        progress.step_runs.insert("docs".into(), docs.clone());
        assert!(!step_failed(progress.clone()), "waiting is not failed");
        docs.status = RunStatus::Completed;
        docs.conclusion = Some(Conclusion::Failure);
        progress.step_runs.insert("docs".into(), docs);
        assert!(step_failed(progress));
        marker.steps.get_mut("docs").unwrap().refused = Some("404".into());
        assert!(step_failed(built(&marker)), "refused");
    }

    #[test]
    fn an_unreadable_draft_marker_stops_the_derivation() {
        let progress = Progress {
            tag_commit: Some(sha(B)),
            release: Some(release("<!-- releasebot:release {oops -->", true)),
            ..Progress::default()
        };
        assert!(matches!(
            Stage::derive(&progress, None),
            Err(Unreadable::Marker(_))
        ));
    }

    /// Adding a stage or a trigger fails to compile here until it is named below, and then the
    /// table until its rows are written.
    fn _every_variant_is_named(stage: &Stage, trigger: &Trigger) {
        use Stage::*;
        match stage {
            NotStarted
            | Branched
            | PullOpen { .. }
            | ClosedUnmerged { .. }
            | Cancelled
            | Merged { .. }
            | Tagged { .. }
            | ImagesIntended { .. }
            | ImagesRunning { .. }
            | ImagesFailed { .. }
            | ImagesStale { .. }
            | Done { .. } => {}
        }
        match trigger {
            Trigger::Start { .. }
            | Trigger::StartAnother
            | Trigger::PullReopened
            | Trigger::Retry
            | Trigger::Cancel
            | Trigger::PullClosed { .. }
            | Trigger::TagAppeared
            | Trigger::RunCompleted { .. }
            | Trigger::StepRunCompleted { .. }
            | Trigger::RetryStep
            | Trigger::PullPushed
            | Trigger::Candidate => {}
        }
    }

    /// Every stage a release can be in, by name.
    fn every_stage() -> Vec<(&'static str, Stage)> {
        let (c, r, run) = (sha(B), ReleaseId(4), RunId(77));
        let open = |smoke| Stage::PullOpen {
            pull: PullNumber(9),
            smoke,
        };
        vec![
            ("not started", Stage::NotStarted),
            ("branched", Stage::Branched),
            ("open, smoke not run", open(SmokeStage::NotRun)),
            ("open, smoke running", open(SmokeStage::Running)),
            ("open, smoke passed", open(SmokeStage::Passed)),
            ("open, smoke failed", open(SmokeStage::Failed)),
            ("open, smoke skipped", open(SmokeStage::Skipped)),
            (
                "closed unmerged",
                Stage::ClosedUnmerged {
                    pull: PullNumber(9),
                },
            ),
            ("cancelled", Stage::Cancelled),
            (
                "merged",
                Stage::Merged {
                    merge_commit: c.clone(),
                },
            ),
            (
                "tagged",
                Stage::Tagged {
                    commit: c.clone(),
                    draft: None,
                },
            ),
            (
                "tagged, drafted",
                Stage::Tagged {
                    commit: c.clone(),
                    draft: Some(r),
                },
            ),
            (
                "images intended",
                Stage::ImagesIntended {
                    commit: c.clone(),
                    release: r,
                    sent: false,
                },
            ),
            (
                "images sent",
                Stage::ImagesIntended {
                    commit: c.clone(),
                    release: r,
                    sent: true,
                },
            ),
            (
                "images running",
                Stage::ImagesRunning {
                    commit: c.clone(),
                    release: r,
                    run,
                },
            ),
            (
                "images failed",
                Stage::ImagesFailed {
                    commit: c.clone(),
                    release: r,
                    run,
                },
            ),
            (
                "images stale",
                Stage::ImagesStale {
                    commit: c.clone(),
                    release: r,
                    run,
                    built: sha(A),
                },
            ),
            (
                "done",
                Stage::Done {
                    commit: c.clone(),
                    release: r,
                    run,
                    published: false,
                    unfinished: false,
                    step_failed: false,
                },
            ),
            (
                "published",
                Stage::Done {
                    commit: c.clone(),
                    release: r,
                    run,
                    published: true,
                    unfinished: false,
                    step_failed: false,
                },
            ),
            (
                "published, unfinished",
                Stage::Done {
                    commit: c.clone(),
                    release: r,
                    run,
                    published: true,
                    unfinished: true,
                    step_failed: false,
                },
            ),
            (
                "done, step failed",
                Stage::Done {
                    commit: c,
                    release: r,
                    run,
                    published: false,
                    unfinished: false,
                    step_failed: true,
                },
            ),
        ]
    }

    /// Everything that can happen, by name. The tag and merge commit of the stages above is B.
    fn every_trigger() -> Vec<(&'static str, Trigger)> {
        vec![
            ("start", Trigger::Start { not_newer: false }),
            ("start redelivered", Trigger::Start { not_newer: true }),
            ("start another", Trigger::StartAnother),
            ("reopened", Trigger::PullReopened),
            ("retry", Trigger::Retry),
            ("cancel", Trigger::Cancel),
            ("closed", Trigger::PullClosed { merge_commit: None }),
            (
                "merged",
                Trigger::PullClosed {
                    merge_commit: Some(sha(B)),
                },
            ),
            (
                "merged elsewhere",
                Trigger::PullClosed {
                    merge_commit: Some(sha(A)),
                },
            ),
            ("tag", Trigger::TagAppeared),
            ("our run done", Trigger::RunCompleted { run: RunId(77) }),
            ("other run done", Trigger::RunCompleted { run: RunId(78) }),
            ("pushed", Trigger::PullPushed),
            ("candidate", Trigger::Candidate),
            (
                "our step run done",
                Trigger::StepRunCompleted { ours: true },
            ),
            (
                "other step run done",
                Trigger::StepRunCompleted { ours: false },
            ),
            ("retry step", Trigger::RetryStep),
        ]
    }

    /// A plan in a word, for the table: what is due, with its arguments where they matter.
    fn word(plan: &Plan) -> String {
        match plan {
            Plan::OpenPullRequest => "open".into(),
            Plan::TagMergeCommit { merge_commit } if *merge_commit == sha(B) => "tag".into(),
            Plan::TagMergeCommit { .. } => "tag other".into(),
            Plan::TagElsewhere {
                tag_commit,
                merge_commit,
            } if *tag_commit == sha(B) && *merge_commit == sha(A) => "elsewhere".into(),
            Plan::TagElsewhere { .. } => "elsewhere?".into(),
            Plan::ReleaseTag => "release".into(),
            Plan::Redispatch { failed: RunId(77) } => "rebuild".into(),
            Plan::Redispatch { .. } => "rebuild?".into(),
            Plan::RebuildMoved { stale: RunId(77) } => "rebuild moved".into(),
            Plan::RebuildMoved { .. } => "rebuild moved?".into(),
            Plan::Cancel => "cancel".into(),
            Plan::MarkCancelled => "mark cancelled".into(),
            Plan::RecordImages { run: RunId(77) } => "record".into(),
            Plan::RecordImages { .. } => "record?".into(),
            Plan::RunSmoke => "smoke".into(),
            Plan::Reopen => "reopen".into(),
            Plan::RecordSmoke => "record smoke".into(),
            Plan::Settle => "settle".into(),
            Plan::AfterPublication => "after publication".into(),
            Plan::Candidate => "candidate".into(),
            Plan::AdvanceSteps => "steps".into(),
            Plan::ResumeSteps => "resume steps".into(),
            Plan::RetryStep => "retry step".into(),
            Plan::Refuse(refusal) => format!("refuse {refusal:?}"),
            Plan::Nothing(_) => "-".into(),
        }
    }

    /// What is due for each stage when each thing happens: one row per (stage, trigger).
    #[rustfmt::skip]
    const TABLE: &[(&str, &str, &str)] = &[
        // start
        ("not started", "start", "open"),
        ("branched", "start", "open"),
        ("open, smoke not run", "start", "open"),
        ("open, smoke running", "start", "open"),
        ("open, smoke passed", "start", "open"),
        ("open, smoke failed", "start", "open"),
        ("open, smoke skipped", "start", "open"),
        ("closed unmerged", "start", "open"),
        ("cancelled", "start", "open"),
        ("merged", "start", "open"),
        ("tagged", "start", "open"),
        ("tagged, drafted", "start", "open"),
        ("images intended", "start", "open"),
        ("images sent", "start", "open"),
        ("images running", "start", "open"),
        ("images failed", "start", "open"),
        ("images stale", "start", "open"),
        ("done", "start", "open"),
        ("published", "start", "open"),
        ("published, unfinished", "start", "open"),

        // start redelivered
        ("not started", "start redelivered", "open"),
        ("branched", "start redelivered", "open"),
        ("open, smoke not run", "start redelivered", "open"),
        ("open, smoke running", "start redelivered", "open"),
        ("open, smoke passed", "start redelivered", "open"),
        ("open, smoke failed", "start redelivered", "open"),
        ("open, smoke skipped", "start redelivered", "open"),
        ("closed unmerged", "start redelivered", "-"),
        ("cancelled", "start redelivered", "-"),
        ("merged", "start redelivered", "-"),
        ("tagged", "start redelivered", "-"),
        ("tagged, drafted", "start redelivered", "-"),
        ("images intended", "start redelivered", "-"),
        ("images sent", "start redelivered", "-"),
        ("images running", "start redelivered", "-"),
        ("images failed", "start redelivered", "-"),
        ("images stale", "start redelivered", "-"),
        ("done", "start redelivered", "-"),
        ("published", "start redelivered", "-"),
        ("published, unfinished", "start redelivered", "-"),

        // start another
        ("not started", "start another", "open"),
        ("branched", "start another", "refuse AnotherInFlight"),
        ("open, smoke not run", "start another", "refuse AnotherInFlight"),
        ("open, smoke running", "start another", "refuse AnotherInFlight"),
        ("open, smoke passed", "start another", "refuse AnotherInFlight"),
        ("open, smoke failed", "start another", "refuse AnotherInFlight"),
        ("open, smoke skipped", "start another", "refuse AnotherInFlight"),
        ("closed unmerged", "start another", "open"),
        ("cancelled", "start another", "open"),
        ("merged", "start another", "refuse AnotherInFlight"),
        ("tagged", "start another", "refuse AnotherInFlight"),
        ("tagged, drafted", "start another", "refuse AnotherInFlight"),
        ("images intended", "start another", "refuse AnotherInFlight"),
        ("images sent", "start another", "refuse AnotherInFlight"),
        ("images running", "start another", "refuse AnotherInFlight"),
        ("images failed", "start another", "refuse AnotherInFlight"),
        ("images stale", "start another", "refuse AnotherInFlight"),
        ("done", "start another", "refuse AnotherInFlight"),
        ("published", "start another", "open"),
        ("published, unfinished", "start another", "open"),

        // reopened
        ("not started", "reopened", "-"),
        ("branched", "reopened", "-"),
        ("open, smoke not run", "reopened", "reopen"),
        ("open, smoke running", "reopened", "reopen"),
        ("open, smoke passed", "reopened", "reopen"),
        ("open, smoke failed", "reopened", "reopen"),
        ("open, smoke skipped", "reopened", "reopen"),
        ("closed unmerged", "reopened", "reopen"),
        ("cancelled", "reopened", "reopen"),
        ("merged", "reopened", "-"),
        ("tagged", "reopened", "-"),
        ("tagged, drafted", "reopened", "-"),
        ("images intended", "reopened", "-"),
        ("images sent", "reopened", "-"),
        ("images running", "reopened", "-"),
        ("images failed", "reopened", "-"),
        ("images stale", "reopened", "-"),
        ("done", "reopened", "-"),
        ("published", "reopened", "-"),
        ("published, unfinished", "reopened", "-"),

        // retry
        ("not started", "retry", "open"),
        ("branched", "retry", "open"),
        ("open, smoke not run", "retry", "smoke"),
        ("open, smoke running", "retry", "refuse WaitingForMerge"),
        ("open, smoke passed", "retry", "refuse WaitingForMerge"),
        ("open, smoke failed", "retry", "smoke"),
        ("open, smoke skipped", "retry", "refuse WaitingForMerge"),
        ("closed unmerged", "retry", "open"),
        ("cancelled", "retry", "refuse RetryCancelled"),
        ("merged", "retry", "tag"),
        ("tagged", "retry", "release"),
        ("tagged, drafted", "retry", "release"),
        ("images intended", "retry", "release"),
        ("images sent", "retry", "release"),
        ("images running", "retry", "refuse NothingToRetry"),
        ("images failed", "retry", "rebuild"),
        ("images stale", "retry", "rebuild moved"),
        ("done", "retry", "refuse NothingToRetry"),
        ("published", "retry", "refuse NothingToRetry"),
        ("published, unfinished", "retry", "after publication"),

        // cancel
        ("not started", "cancel", "cancel"),
        ("branched", "cancel", "cancel"),
        ("open, smoke not run", "cancel", "cancel"),
        ("open, smoke running", "cancel", "cancel"),
        ("open, smoke passed", "cancel", "cancel"),
        ("open, smoke failed", "cancel", "cancel"),
        ("open, smoke skipped", "cancel", "cancel"),
        ("closed unmerged", "cancel", "cancel"),
        ("cancelled", "cancel", "cancel"),
        ("merged", "cancel", "refuse CancelTooLate"),
        ("tagged", "cancel", "refuse CancelTooLate"),
        ("tagged, drafted", "cancel", "refuse CancelTooLate"),
        ("images intended", "cancel", "refuse CancelTooLate"),
        ("images sent", "cancel", "refuse CancelTooLate"),
        ("images running", "cancel", "refuse CancelTooLate"),
        ("images failed", "cancel", "refuse CancelTooLate"),
        ("images stale", "cancel", "refuse CancelTooLate"),
        ("done", "cancel", "refuse CancelTooLate"),
        ("published", "cancel", "refuse CancelTooLate"),
        ("published, unfinished", "cancel", "refuse CancelTooLate"),

        // closed
        ("not started", "closed", "-"),
        ("branched", "closed", "-"),
        ("open, smoke not run", "closed", "-"),
        ("open, smoke running", "closed", "-"),
        ("open, smoke passed", "closed", "-"),
        ("open, smoke failed", "closed", "-"),
        ("open, smoke skipped", "closed", "-"),
        ("closed unmerged", "closed", "mark cancelled"),
        ("cancelled", "closed", "mark cancelled"),
        ("merged", "closed", "-"),
        ("tagged", "closed", "-"),
        ("tagged, drafted", "closed", "-"),
        ("images intended", "closed", "-"),
        ("images sent", "closed", "-"),
        ("images running", "closed", "-"),
        ("images failed", "closed", "-"),
        ("images stale", "closed", "-"),
        ("done", "closed", "-"),
        ("published", "closed", "-"),
        ("published, unfinished", "closed", "-"),

        // merged
        ("not started", "merged", "-"),
        ("branched", "merged", "-"),
        ("open, smoke not run", "merged", "-"),
        ("open, smoke running", "merged", "-"),
        ("open, smoke passed", "merged", "-"),
        ("open, smoke failed", "merged", "-"),
        ("open, smoke skipped", "merged", "-"),
        ("closed unmerged", "merged", "-"),
        ("cancelled", "merged", "-"),
        ("merged", "merged", "tag"),
        ("tagged", "merged", "release"),
        ("tagged, drafted", "merged", "release"),
        ("images intended", "merged", "release"),
        ("images sent", "merged", "settle"),
        ("images running", "merged", "settle"),
        ("images failed", "merged", "settle"),
        ("images stale", "merged", "rebuild moved"),
        ("done", "merged", "settle"),
        ("published", "merged", "settle"),
        ("published, unfinished", "merged", "settle"),

        // merged elsewhere
        ("not started", "merged elsewhere", "-"),
        ("branched", "merged elsewhere", "-"),
        ("open, smoke not run", "merged elsewhere", "-"),
        ("open, smoke running", "merged elsewhere", "-"),
        ("open, smoke passed", "merged elsewhere", "-"),
        ("open, smoke failed", "merged elsewhere", "-"),
        ("open, smoke skipped", "merged elsewhere", "-"),
        ("closed unmerged", "merged elsewhere", "-"),
        ("cancelled", "merged elsewhere", "-"),
        ("merged", "merged elsewhere", "tag"),
        ("tagged", "merged elsewhere", "elsewhere"),
        ("tagged, drafted", "merged elsewhere", "elsewhere"),
        ("images intended", "merged elsewhere", "elsewhere"),
        ("images sent", "merged elsewhere", "elsewhere"),
        ("images running", "merged elsewhere", "elsewhere"),
        ("images failed", "merged elsewhere", "elsewhere"),
        ("images stale", "merged elsewhere", "elsewhere"),
        ("done", "merged elsewhere", "elsewhere"),
        ("published", "merged elsewhere", "elsewhere"),
        ("published, unfinished", "merged elsewhere", "elsewhere"),

        // tag
        ("not started", "tag", "-"),
        ("branched", "tag", "-"),
        ("open, smoke not run", "tag", "-"),
        ("open, smoke running", "tag", "-"),
        ("open, smoke passed", "tag", "-"),
        ("open, smoke failed", "tag", "-"),
        ("open, smoke skipped", "tag", "-"),
        ("closed unmerged", "tag", "-"),
        ("cancelled", "tag", "-"),
        ("merged", "tag", "-"),
        ("tagged", "tag", "release"),
        ("tagged, drafted", "tag", "release"),
        ("images intended", "tag", "release"),
        ("images sent", "tag", "settle"),
        ("images running", "tag", "settle"),
        ("images failed", "tag", "settle"),
        ("images stale", "tag", "rebuild moved"),
        ("done", "tag", "settle"),
        ("published", "tag", "settle"),
        ("published, unfinished", "tag", "settle"),

        // our run done
        ("not started", "our run done", "-"),
        ("branched", "our run done", "-"),
        ("open, smoke not run", "our run done", "-"),
        ("open, smoke running", "our run done", "-"),
        ("open, smoke passed", "our run done", "-"),
        ("open, smoke failed", "our run done", "-"),
        ("open, smoke skipped", "our run done", "-"),
        ("closed unmerged", "our run done", "-"),
        ("cancelled", "our run done", "-"),
        ("merged", "our run done", "-"),
        ("tagged", "our run done", "-"),
        ("tagged, drafted", "our run done", "-"),
        ("images intended", "our run done", "-"),
        ("images sent", "our run done", "-"),
        ("images running", "our run done", "record"),
        ("images failed", "our run done", "record"),
        ("images stale", "our run done", "-"),
        ("done", "our run done", "record"),
        ("published", "our run done", "record"),
        ("published, unfinished", "our run done", "record"),

        // other run done
        ("not started", "other run done", "-"),
        ("branched", "other run done", "-"),
        ("open, smoke not run", "other run done", "-"),
        ("open, smoke running", "other run done", "-"),
        ("open, smoke passed", "other run done", "-"),
        ("open, smoke failed", "other run done", "-"),
        ("open, smoke skipped", "other run done", "-"),
        ("closed unmerged", "other run done", "-"),
        ("cancelled", "other run done", "-"),
        ("merged", "other run done", "-"),
        ("tagged", "other run done", "-"),
        ("tagged, drafted", "other run done", "-"),
        ("images intended", "other run done", "-"),
        ("images sent", "other run done", "-"),
        ("images running", "other run done", "-"),
        ("images failed", "other run done", "-"),
        ("images stale", "other run done", "-"),
        ("done", "other run done", "-"),
        ("published", "other run done", "-"),
        ("published, unfinished", "other run done", "-"),

        // pushed
        ("not started", "pushed", "-"),
        ("branched", "pushed", "-"),
        ("open, smoke not run", "pushed", "smoke"),
        ("open, smoke running", "pushed", "-"),
        ("open, smoke passed", "pushed", "-"),
        ("open, smoke failed", "pushed", "-"),
        ("open, smoke skipped", "pushed", "-"),
        ("closed unmerged", "pushed", "-"),
        ("cancelled", "pushed", "-"),
        ("merged", "pushed", "-"),
        ("tagged", "pushed", "-"),
        ("tagged, drafted", "pushed", "-"),
        ("images intended", "pushed", "-"),
        ("images sent", "pushed", "-"),
        ("images running", "pushed", "-"),
        ("images failed", "pushed", "-"),
        ("images stale", "pushed", "-"),
        ("done", "pushed", "-"),
        ("published", "pushed", "-"),
        ("published, unfinished", "pushed", "-"),

        // candidate: only from an open release pull request's branch
        ("not started", "candidate", "refuse CandidateWithoutPull"),
        ("branched", "candidate", "refuse CandidateWithoutPull"),
        ("open, smoke not run", "candidate", "candidate"),
        ("open, smoke running", "candidate", "candidate"),
        ("open, smoke passed", "candidate", "candidate"),
        ("open, smoke failed", "candidate", "candidate"),
        ("open, smoke skipped", "candidate", "candidate"),
        ("closed unmerged", "candidate", "refuse CandidateWithoutPull"),
        ("cancelled", "candidate", "refuse CandidateWithoutPull"),
        ("merged", "candidate", "refuse CandidateAfterMerge"),
        ("tagged", "candidate", "refuse CandidateAfterMerge"),
        ("tagged, drafted", "candidate", "refuse CandidateAfterMerge"),
        ("images intended", "candidate", "refuse CandidateAfterMerge"),
        ("images sent", "candidate", "refuse CandidateAfterMerge"),
        ("images running", "candidate", "refuse CandidateAfterMerge"),
        ("images failed", "candidate", "refuse CandidateAfterMerge"),
        ("images stale", "candidate", "refuse CandidateAfterMerge"),
        ("done", "candidate", "refuse CandidateAfterMerge"),
        ("published", "candidate", "refuse CandidateAfterMerge"),
        ("published, unfinished", "candidate", "refuse CandidateAfterMerge"),
        ("done, step failed", "candidate", "refuse CandidateAfterMerge"),
    

        // done, step failed: as done, but a retry resumes the steps
        ("done, step failed", "start", "open"),
        ("done, step failed", "start redelivered", "-"),
        ("done, step failed", "start another", "refuse AnotherInFlight"),
        ("done, step failed", "reopened", "-"),
        ("done, step failed", "retry", "resume steps"),
        ("done, step failed", "cancel", "refuse CancelTooLate"),
        ("done, step failed", "closed", "-"),
        ("done, step failed", "merged", "settle"),
        ("done, step failed", "merged elsewhere", "elsewhere"),
        ("done, step failed", "tag", "settle"),
        ("done, step failed", "our run done", "record"),
        ("done, step failed", "other run done", "-"),
        ("done, step failed", "pushed", "-"),

        // our step run done
        ("not started", "our step run done", "-"),
        ("branched", "our step run done", "-"),
        ("open, smoke not run", "our step run done", "-"),
        ("open, smoke running", "our step run done", "-"),
        ("open, smoke passed", "our step run done", "-"),
        ("open, smoke failed", "our step run done", "-"),
        ("open, smoke skipped", "our step run done", "-"),
        ("closed unmerged", "our step run done", "-"),
        ("cancelled", "our step run done", "-"),
        ("merged", "our step run done", "-"),
        ("tagged", "our step run done", "-"),
        ("tagged, drafted", "our step run done", "-"),
        ("images intended", "our step run done", "steps"),
        ("images sent", "our step run done", "steps"),
        ("images running", "our step run done", "steps"),
        ("images failed", "our step run done", "steps"),
        ("images stale", "our step run done", "-"),
        ("done", "our step run done", "steps"),
        ("published", "our step run done", "steps"),
        ("published, unfinished", "our step run done", "steps"),
        ("done, step failed", "our step run done", "steps"),

        // other step run done
        ("not started", "other step run done", "-"),
        ("branched", "other step run done", "-"),
        ("open, smoke not run", "other step run done", "-"),
        ("open, smoke running", "other step run done", "-"),
        ("open, smoke passed", "other step run done", "-"),
        ("open, smoke failed", "other step run done", "-"),
        ("open, smoke skipped", "other step run done", "-"),
        ("closed unmerged", "other step run done", "-"),
        ("cancelled", "other step run done", "-"),
        ("merged", "other step run done", "-"),
        ("tagged", "other step run done", "-"),
        ("tagged, drafted", "other step run done", "-"),
        ("images intended", "other step run done", "-"),
        ("images sent", "other step run done", "-"),
        ("images running", "other step run done", "-"),
        ("images failed", "other step run done", "-"),
        ("images stale", "other step run done", "-"),
        ("done", "other step run done", "-"),
        ("published", "other step run done", "-"),
        ("published, unfinished", "other step run done", "-"),
        ("done, step failed", "other step run done", "-"),

        // retry step
        ("not started", "retry step", "refuse NothingToRetry"),
        ("branched", "retry step", "refuse NothingToRetry"),
        ("open, smoke not run", "retry step", "refuse NothingToRetry"),
        ("open, smoke running", "retry step", "refuse NothingToRetry"),
        ("open, smoke passed", "retry step", "refuse NothingToRetry"),
        ("open, smoke failed", "retry step", "refuse NothingToRetry"),
        ("open, smoke skipped", "retry step", "refuse NothingToRetry"),
        ("closed unmerged", "retry step", "refuse NothingToRetry"),
        ("cancelled", "retry step", "refuse RetryCancelled"),
        ("merged", "retry step", "refuse NothingToRetry"),
        ("tagged", "retry step", "refuse NothingToRetry"),
        ("tagged, drafted", "retry step", "refuse NothingToRetry"),
        ("images intended", "retry step", "retry step"),
        ("images sent", "retry step", "retry step"),
        ("images running", "retry step", "retry step"),
        ("images failed", "retry step", "retry step"),
        ("images stale", "retry step", "retry step"),
        ("done", "retry step", "retry step"),
        ("published", "retry step", "retry step"),
        ("published, unfinished", "retry step", "retry step"),
        ("done, step failed", "retry step", "retry step"),
    ];

    /// The smoke record of the branch's head, and a run finishing: (record, run, attempt) → plan.
    #[test]
    fn a_smoke_result_is_recorded_for_our_run_once_per_attempt() {
        let record = |run: Option<u64>, attempt, state| SmokeRecord {
            sha: sha(A),
            dispatch: Some(Dispatch {
                run: run.map(RunId),
                ..Dispatch::intended("t".into())
            }),
            run_url: None,
            state,
            attempt,
        };
        let failed = || SmokeState::Failed {
            conclusion: "failure".into(),
        };
        let rows = [
            // running, first result
            (
                Some(record(Some(3), 1, SmokeState::Running)),
                3,
                1,
                "record smoke",
            ),
            // a run the record does not name: superseded by a push, or someone else's
            (Some(record(Some(3), 1, SmokeState::Running)), 4, 1, "-"),
            // the dispatch's run was never recorded
            (Some(record(None, 1, SmokeState::Running)), 3, 1, "-"),
            // the first result delivered again
            (Some(record(Some(3), 1, failed())), 3, 1, "-"),
            // re-run from the Actions page after a failure, and after a pass
            (Some(record(Some(3), 1, failed())), 3, 2, "record smoke"),
            (
                Some(record(Some(3), 1, SmokeState::Passed)),
                3,
                2,
                "record smoke",
            ),
            // the re-run's result recorded, the first attempt's delivered late
            (Some(record(Some(3), 2, SmokeState::Passed)), 3, 1, "-"),
            // nothing recorded at all
            (None, 3, 1, "-"),
        ];
        for (record, run, attempt, expected) in rows {
            assert_eq!(
                word(&smoke_plan(record.as_ref(), (RunId(run), attempt))),
                expected,
                "{record:?} run {run} attempt {attempt}"
            );
        }
    }

    #[test]
    fn every_stage_and_trigger_has_its_plan() {
        let stages = every_stage();
        let triggers = every_trigger();
        let mut seen = std::collections::BTreeSet::new();
        for (stage_name, trigger_name, expected) in TABLE {
            assert!(
                seen.insert((stage_name, trigger_name)),
                "{stage_name} + {trigger_name} twice"
            );
            let stage = &stages
                .iter()
                .find(|(n, _)| n == stage_name)
                .expect("a stage")
                .1;
            let trigger = &triggers
                .iter()
                .find(|(n, _)| n == trigger_name)
                .expect("a trigger")
                .1;
            assert_eq!(
                word(&plan(stage, trigger.clone())),
                *expected,
                "{stage_name} + {trigger_name}"
            );
        }
        // A new stage or trigger needs its rows.
        assert_eq!(
            seen.len(),
            stages.len() * triggers.len(),
            "a row for every pair"
        );
    }

    #[test]
    fn the_smoke_test_counts_for_the_head_it_tested_only() {
        let record = |at: &str, state| SmokeRecord {
            attempt: 1,
            sha: sha(at),
            dispatch: None,
            run_url: None,
            state,
        };
        assert_eq!(smoke_stage(None, &sha(A)), SmokeStage::NotRun);
        let mut intended = record(A, SmokeState::Running);
        intended.dispatch = Some(Dispatch::intended("t".into()));
        assert_eq!(
            smoke_stage(Some(&intended), &sha(A)),
            SmokeStage::NotRun,
            "intended, never known to run"
        );
        intended.dispatch.as_mut().unwrap().run = Some(RunId(3));
        assert_eq!(smoke_stage(Some(&intended), &sha(A)), SmokeStage::Running);
        assert_eq!(
            smoke_stage(Some(&record(A, SmokeState::Passed)), &sha(A)),
            SmokeStage::Passed
        );
        assert_eq!(
            smoke_stage(Some(&record(B, SmokeState::Passed)), &sha(A)),
            SmokeStage::NotRun,
            "a push since the run"
        );
        assert_eq!(
            smoke_stage(
                Some(&record(
                    A,
                    SmokeState::Failed {
                        conclusion: "failure".into()
                    }
                )),
                &sha(A)
            ),
            SmokeStage::Failed
        );
    }
}
