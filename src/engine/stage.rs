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
    Done {
        commit: CommitSha,
        release: ReleaseId,
        run: RunId,
        published: bool,
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
    #[error("`{what}` is not a commit id: `{value}`")]
    NotACommit { what: &'static str, value: String },
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
        if let Some(tag_commit) = &progress.tag_commit {
            let commit = sha("the tag's commit", tag_commit)?;
            return tagged_stage(progress, commit);
        }
        let pull = progress.pull.as_ref();
        if let Some(pull) = pull.filter(|p| p.pull_state() == PullState::Merged) {
            let number = PullNumber(pull.number);
            let merge_commit = pull
                .merge_commit_sha
                .as_deref()
                .ok_or(Unreadable::NoMergeCommit(number))?;
            return Ok(Stage::Merged {
                merge_commit: sha("the merge commit", merge_commit)?,
            });
        }
        if cancelled {
            return Ok(Stage::Cancelled);
        }
        Ok(match pull {
            Some(p) if p.pull_state() == PullState::Open => Stage::PullOpen {
                pull: PullNumber(p.number),
                smoke: smoke_stage(status.and_then(|s| s.smoke.as_ref()), &p.head.sha),
            },
            Some(p) => Stage::ClosedUnmerged {
                pull: PullNumber(p.number),
            },
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
fn smoke_stage(record: Option<&SmokeRecord>, head: &str) -> SmokeStage {
    match record {
        Some(record) if record.sha == head => match record.state {
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

fn sha(what: &'static str, value: &str) -> Result<CommitSha, Unreadable> {
    CommitSha::parse(value).ok_or_else(|| Unreadable::NotACommit {
        what,
        value: value.to_string(),
    })
}

fn tagged_stage(progress: &Progress, commit: CommitSha) -> Result<Stage, Unreadable> {
    let Some(release) = &progress.release else {
        return Ok(Stage::Tagged {
            commit,
            draft: None,
        });
    };
    let release_id = ReleaseId(release.id);
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
    let run_id = RunId(run.id);
    // Images of another commit than the tag's (the tag was moved since) are not the release's.
    if let Some(built) = CommitSha::parse(&run.head_sha).filter(|built| *built != commit) {
        return Ok(Stage::ImagesStale {
            commit,
            release: release_id,
            run: run_id,
            built,
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
    /// New commits on the release pull request's branch.
    PullPushed,
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
    /// Close the open pull request and delete the branch, then mark the release cancelled.
    Cancel,
    /// The pull request was closed unmerged: the release is cancelled.
    MarkCancelled,
    /// Our images run finished: record its result.
    RecordImages { run: RunId },
    /// Run the smoke test on the release branch's head (again), superseding any earlier run.
    RunSmoke,
    /// The pull request is open again: the release is no longer cancelled, and its head is
    /// smoke-tested unless it was already.
    Reopen,
    /// Nothing to do but say so.
    Refuse(Refusal),
    /// Nothing to do, nothing to say.
    Nothing(&'static str),
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
            ImagesFailed { run, .. } | ImagesStale { run, .. } => Plan::Redispatch { failed: *run },
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
            (ImagesIntended { sent: true, .. }, _) => {
                Plan::Nothing("the images dispatch was sent; its run is not listed yet")
            }
            (Tagged { .. } | ImagesIntended { .. }, _) => Plan::ReleaseTag,
            (ImagesStale { run, .. }, _) => Plan::Redispatch { failed: *run },
            (_, Some(_)) => Plan::Nothing("the release has moved past its tag already"),
            _ => Plan::Nothing("the release pull request is not merged"),
        },
        Trigger::TagAppeared => match stage {
            ImagesIntended { sent: true, .. } => {
                Plan::Nothing("the images dispatch was sent; its run is not listed yet")
            }
            Tagged { .. } | ImagesIntended { .. } => Plan::ReleaseTag,
            // The tag was moved: its commit is built, once (the new run is then the tag's).
            ImagesStale { run, .. } => Plan::Redispatch { failed: *run },
            ImagesRunning { .. } | ImagesFailed { .. } | Done { .. } => {
                Plan::Nothing("the tag's release and images were already made")
            }
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
    use crate::engine::release_marker::Dispatch;
    use crate::github::models::{PullBranch, PullRequest, Release, User, WorkflowRun};

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn pull(state: &str, merged: bool) -> PullRequest {
        PullRequest {
            number: 9,
            body: None,
            merge_commit_sha: merged.then(|| B.to_string()),
            user: User {
                login: "releasebot[bot]".into(),
                kind: "Bot".into(),
            },
            state: state.into(),
            title: "Release 0.1.3".into(),
            html_url: String::new(),
            merged_at: merged.then(|| "2026-11-25T10:00:00Z".to_string()),
            merged: None,
            head: PullBranch {
                name: "release/0.1.3".into(),
                sha: A.into(),
                repo: None,
            },
            base: PullBranch {
                name: "master".into(),
                sha: A.into(),
                repo: None,
            },
        }
    }

    fn release(body: &str, draft: bool) -> Release {
        Release {
            id: 4,
            tag_name: "0.1.3".into(),
            name: None,
            body: Some(body.into()),
            draft,
            prerelease: false,
            html_url: String::new(),
        }
    }

    fn run(status: &str, conclusion: Option<&str>) -> WorkflowRun {
        WorkflowRun {
            id: 77,
            path: ".github/workflows/release-images.yml".into(),
            head_branch: Some("0.1.3".into()),
            head_sha: B.into(),
            status: status.into(),
            conclusion: conclusion.map(String::from),
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
        }
    }

    #[test]
    fn before_the_tag_the_stage_follows_the_branch_and_the_pull_request() {
        assert_eq!(derive(Progress::default()), Stage::NotStarted);
        let branched = Progress {
            branch_head: Some(A.into()),
            ..Progress::default()
        };
        assert_eq!(derive(branched.clone()), Stage::Branched);
        let open = Progress {
            pull: Some(pull("open", false)),
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
            pull: Some(pull("closed", false)),
            ..Progress::default()
        };
        assert_eq!(
            Stage::derive(&gone, Some(&cancelled())).unwrap(),
            Stage::Cancelled
        );
        let closed = Progress {
            pull: Some(pull("closed", false)),
            ..branched
        };
        assert_eq!(
            derive(closed),
            Stage::ClosedUnmerged {
                pull: PullNumber(9)
            }
        );
        let merged = Progress {
            pull: Some(pull("closed", true)),
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
        let mut merged = pull("closed", true);
        merged.merge_commit_sha = None;
        let progress = Progress {
            pull: Some(merged),
            ..Progress::default()
        };
        assert_eq!(
            Stage::derive(&progress, None),
            Err(Unreadable::NoMergeCommit(PullNumber(9)))
        );
        let mut odd = pull("closed", true);
        odd.merge_commit_sha = Some(String::new());
        let progress = Progress {
            pull: Some(odd),
            ..Progress::default()
        };
        assert!(matches!(
            Stage::derive(&progress, None),
            Err(Unreadable::NotACommit { .. })
        ));
    }

    #[test]
    fn after_the_tag_the_stage_follows_the_draft_and_our_run() {
        let tagged = Progress {
            tag_commit: Some(B.into()),
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
            derive(with(run("in_progress", None))),
            Stage::ImagesRunning { run: RunId(77), .. }
        ));
        assert!(matches!(
            derive(with(run("completed", Some("failure")))),
            Stage::ImagesFailed { run: RunId(77), .. }
        ));
        assert!(matches!(
            derive(with(run("completed", Some("success")))),
            Stage::Done {
                published: false,
                ..
            }
        ));
    }

    #[test]
    fn an_unreadable_draft_marker_stops_the_derivation() {
        let progress = Progress {
            tag_commit: Some(B.into()),
            release: Some(release("<!-- releasebot:release {oops -->", true)),
            ..Progress::default()
        };
        assert!(matches!(
            Stage::derive(&progress, None),
            Err(Unreadable::Marker(_))
        ));
    }

    fn every_stage() -> Vec<Stage> {
        let (c, r) = (sha(B), ReleaseId(4));
        vec![
            Stage::NotStarted,
            Stage::Branched,
            Stage::PullOpen {
                pull: PullNumber(9),
                smoke: SmokeStage::Running,
            },
            Stage::ClosedUnmerged {
                pull: PullNumber(9),
            },
            Stage::Cancelled,
            Stage::Merged {
                merge_commit: c.clone(),
            },
            Stage::Tagged {
                commit: c.clone(),
                draft: None,
            },
            Stage::ImagesIntended {
                commit: c.clone(),
                release: r,
                sent: false,
            },
            Stage::ImagesRunning {
                commit: c.clone(),
                release: r,
                run: RunId(77),
            },
            Stage::ImagesFailed {
                commit: c.clone(),
                release: r,
                run: RunId(77),
            },
            Stage::Done {
                commit: c,
                release: r,
                run: RunId(77),
                published: false,
            },
        ]
    }

    fn plans(trigger: Trigger) -> Vec<Plan> {
        every_stage()
            .iter()
            .map(|s| plan(s, trigger.clone()))
            .collect()
    }

    #[test]
    fn retry_runs_the_first_missing_or_failed_step() {
        use Plan::*;
        assert_eq!(
            plans(Trigger::Retry),
            vec![
                OpenPullRequest,
                OpenPullRequest,
                Refuse(Refusal::WaitingForMerge),
                OpenPullRequest,
                Refuse(Refusal::RetryCancelled),
                TagMergeCommit {
                    merge_commit: sha(B)
                },
                ReleaseTag,
                ReleaseTag,
                Refuse(Refusal::NothingToRetry),
                Redispatch { failed: RunId(77) },
                Refuse(Refusal::NothingToRetry),
            ]
        );
    }

    fn open_with(smoke: SmokeStage) -> Stage {
        Stage::PullOpen {
            pull: PullNumber(9),
            smoke,
        }
    }

    #[test]
    fn retry_runs_a_failed_or_missing_smoke_test_and_a_push_an_untested_head() {
        use SmokeStage::*;
        let retry: Vec<Plan> = [NotRun, Running, Passed, Failed, Skipped]
            .map(|s| plan(&open_with(s), Trigger::Retry))
            .to_vec();
        assert_eq!(
            retry,
            vec![
                Plan::RunSmoke,
                Plan::Refuse(Refusal::WaitingForMerge),
                Plan::Refuse(Refusal::WaitingForMerge),
                Plan::RunSmoke,
                Plan::Refuse(Refusal::WaitingForMerge),
            ]
        );
        assert_eq!(
            plan(&open_with(NotRun), Trigger::PullPushed),
            Plan::RunSmoke
        );
        assert!(matches!(
            plan(&open_with(Running), Trigger::PullPushed),
            Plan::Nothing(_)
        ));
        assert!(matches!(
            plan(&Stage::Cancelled, Trigger::PullPushed),
            Plan::Nothing(_)
        ));
    }

    #[test]
    fn the_smoke_test_counts_for_the_head_it_tested_only() {
        let record = |sha: &str, state| SmokeRecord {
            attempt: 1,
            sha: sha.into(),
            dispatch: None,
            run_url: None,
            state,
        };
        assert_eq!(smoke_stage(None, A), SmokeStage::NotRun);
        let mut intended = record(A, SmokeState::Running);
        intended.dispatch = Some(Dispatch::intended("t".into()));
        assert_eq!(
            smoke_stage(Some(&intended), A),
            SmokeStage::NotRun,
            "intended, never known to run"
        );
        intended.dispatch.as_mut().unwrap().run = Some(RunId(3));
        assert_eq!(smoke_stage(Some(&intended), A), SmokeStage::Running);
        assert_eq!(
            smoke_stage(Some(&record(A, SmokeState::Passed)), A),
            SmokeStage::Passed
        );
        assert_eq!(
            smoke_stage(Some(&record(B, SmokeState::Passed)), A),
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
                A
            ),
            SmokeStage::Failed
        );
    }

    #[test]
    fn cancel_is_possible_until_the_merge() {
        let cancels: Vec<bool> = plans(Trigger::Cancel)
            .iter()
            .map(|p| *p == Plan::Cancel)
            .collect();
        assert_eq!(
            cancels,
            [true, true, true, true, true, false, false, false, false, false, false]
        );
        assert!(plans(Trigger::Cancel)[5..]
            .iter()
            .all(|p| *p == Plan::Refuse(Refusal::CancelTooLate)));
    }

    #[test]
    fn a_merge_tags_or_resumes_the_release_and_a_close_cancels() {
        let merged = plans(Trigger::PullClosed {
            merge_commit: Some(sha(B)),
        });
        assert_eq!(
            merged[5],
            Plan::TagMergeCommit {
                merge_commit: sha(B)
            }
        );
        assert_eq!(merged[6], Plan::ReleaseTag);
        assert_eq!(merged[7], Plan::ReleaseTag);
        assert!(matches!(merged[8], Plan::Nothing(_)));
        assert!(matches!(merged[2], Plan::Nothing(_)));
        let closed = plans(Trigger::PullClosed { merge_commit: None });
        assert_eq!(closed[3], Plan::MarkCancelled);
        assert_eq!(closed[4], Plan::MarkCancelled);
        assert!(matches!(closed[2], Plan::Nothing(_)));
    }

    /// Someone tagged another commit before the merge: the merge does not release from it.
    #[test]
    fn a_merge_whose_tag_stands_elsewhere_is_stopped() {
        let merged = plans(Trigger::PullClosed {
            merge_commit: Some(sha(A)),
        });
        for (planned, stage) in merged.iter().zip(every_stage()).skip(6) {
            assert_eq!(
                *planned,
                Plan::TagElsewhere {
                    tag_commit: sha(B),
                    merge_commit: sha(A)
                },
                "{stage:?}"
            );
        }
    }

    /// An older server accepted the dispatch without naming the run, and lists it late: the
    /// tag's events must not dispatch again; a person's retry may.
    #[test]
    fn a_sent_dispatch_whose_run_is_not_listed_yet_is_not_sent_again_by_events() {
        let sent = Stage::ImagesIntended {
            commit: sha(B),
            release: ReleaseId(4),
            sent: true,
        };
        assert!(matches!(
            plan(&sent, Trigger::TagAppeared),
            Plan::Nothing(_)
        ));
        assert!(matches!(
            plan(
                &sent,
                Trigger::PullClosed {
                    merge_commit: Some(sha(B))
                }
            ),
            Plan::Nothing(_)
        ));
        assert_eq!(plan(&sent, Trigger::Retry), Plan::ReleaseTag);
    }

    #[test]
    fn a_tag_releases_once() {
        let tag = plans(Trigger::TagAppeared);
        assert_eq!(tag[6], Plan::ReleaseTag);
        assert_eq!(tag[7], Plan::ReleaseTag);
        assert!(tag[8..].iter().all(|p| matches!(p, Plan::Nothing(_))));
        assert!(matches!(tag[0], Plan::Nothing(_)));
    }

    #[test]
    fn only_our_own_run_completing_is_recorded() {
        let ours = plans(Trigger::RunCompleted { run: RunId(77) });
        assert_eq!(ours[8], Plan::RecordImages { run: RunId(77) });
        assert_eq!(ours[10], Plan::RecordImages { run: RunId(77) });
        let other = plans(Trigger::RunCompleted { run: RunId(78) });
        assert!(other.iter().all(|p| matches!(p, Plan::Nothing(_))));
    }
}
