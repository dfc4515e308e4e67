//! The release's one status comment: what it shows, and the hidden marker that lets a later run
//! find it again and remember what GitHub itself cannot hold (who started it, from which comment,
//! and whether the owner was already told about a failure).

use serde::{Deserialize, Serialize};

use crate::domain::{PullNumber, RunId};
use crate::file_changes::SkippedFile;

const MARKER_PREFIX: &str = "<!-- releasebot:status ";
const MARKER_SUFFIX: &str = " -->";
const REPLY_PREFIX: &str = "<!-- releasebot:reply-to ";

/// Facts kept in the status comment itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusMarker {
    pub version: String,
    pub owner: String,
    /// The comment that started the release; a redelivery of it resumes instead of refusing.
    pub trigger_comment: u64,
    /// The version on the base branch when the release started.
    #[serde(default)]
    pub from_version: String,
    /// Steps whose failure the owner was already @-mentioned about.
    #[serde(default)]
    pub notified: Vec<String>,
    /// The linked release notes document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes_url: Option<String>,
    /// Where the draft's notes came from when no document is linked: the repository's notes
    /// file, or GitHub's generated notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes_from: Option<String>,
    /// Why the linked notes could not be read last time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes_problem: Option<String>,
    /// A step that cannot go on until a person acts, shown until it is resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked: Option<Blocked>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cancelled: bool,
    /// Optional version files the release commit leaves alone, shown so the skip is not silent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_files: Vec<SkippedFile>,
    /// Why GitHub did not verify the release commit's signature (a personal token, a custom
    /// author): a branch that requires signed commits will refuse the merge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsigned_commit: Option<String>,
    /// The smoke test of the release branch's head.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smoke: Option<SmokeRecord>,
    /// The notes file as the last `/release notes sync` left it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes_file: Option<NotesFileState>,
    /// Why the pull request could not be put on its milestone last time (the release went on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub milestone_problem: Option<String>,
    /// Each announcement of the published release, by the configuration's name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub announced: Vec<AnnouncementRecord>,
    /// The released branch merged back into the development branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_back: Option<MergeBackRecord>,
    /// The packaging workflow dispatched on the tag, recorded before the dispatch: its run is
    /// waited for (GitHub lists it a moment later), never dispatched again unless a person asks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packaging: Option<PackagingDispatch>,
    /// The QA candidates asked for with `/release candidate`, oldest first; each recorded
    /// before its tag is made, and kept after it is published (a candidate is never deleted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<CandidateRecord>,
}

/// One QA candidate: a pre-release of the version, tagged on the release branch's head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CandidateRecord {
    pub n: u32,
    pub tag: String,
    /// The release branch's head it was asked for: its tag goes here and nowhere else.
    pub commit: crate::domain::CommitSha,
    /// The comment that asked for it: a redelivery of that comment resumes this candidate.
    pub asked_by: u64,
    pub state: CandidateState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<crate::domain::ReleaseId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_url: Option<String>,
    /// The assets its release carries, as checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assets: Vec<String>,
    /// Its images build, intended before it is dispatched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<crate::engine::release_marker::Dispatch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images_url: Option<String>,
    /// The image references it builds (`mathesar/mathesar:0.1.3-rc.1`), never `latest`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_refs: Vec<String>,
}

/// Where a candidate stands, as last seen on GitHub (each step looks again before it acts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CandidateState {
    /// Recorded; its tag is being made.
    Tagging,
    /// Waiting for the packaging workflow's draft with the assets.
    Packaging {
        #[serde(default, skip_serializing_if = "String::is_empty")]
        url: String,
    },
    /// Its images are building.
    Building,
    /// Published as a pre-release, never Latest.
    Published,
    /// A step could not go on: why, and what to do.
    Failed { reason: String },
}

/// One dispatch of the packaging workflow on a tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackagingDispatch {
    pub tag: String,
    /// When the intent was recorded (RFC 3339).
    pub intended_at: String,
    /// The runs on the tag when it was sent: none of them is its run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replaces: Vec<RunId>,
}

impl StatusMarker {
    /// Something after publication failed or waits in a way `/release retry` may cure: an
    /// announcement not taken, or the merge back not merged.
    pub fn after_publication_left(&self) -> bool {
        self.announced
            .iter()
            .any(|a| matches!(a.state, AnnounceState::Failed { .. }))
            || self
                .merge_back
                .as_ref()
                .is_some_and(|m| matches!(m.state, MergeBackState::Waiting { .. }))
    }
}

/// The merge back of the released branch (`from`) into the development branch (`into`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeBackRecord {
    pub from: String,
    pub into: String,
    /// The pull request that merges it, when one was needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull: Option<PullNumber>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_url: Option<String>,
    pub state: MergeBackState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum MergeBackState {
    Merged,
    /// `into` already had everything `from` has.
    NothingToMerge,
    /// GitHub would not merge it yet (a conflict, a check not passed, a review wanted).
    Waiting {
        reason: String,
    },
}

/// Where one announcement stands. Intent is recorded before the post, so a job that finds
/// `Sending` knows an earlier one stopped mid-post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnouncementRecord {
    pub name: String,
    /// Where it goes, as it may be shown (kind and host).
    pub target: String,
    pub state: AnnounceState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AnnounceState {
    Sending,
    Sent,
    /// Not taken; `/release retry` sends it again.
    Failed {
        reason: String,
    },
    /// It may have been posted (the answer was lost): never sent again by the bot.
    Unknown {
        reason: String,
    },
}

/// How many merged pull requests the notes file still lists to categorize.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotesFileState {
    pub path: String,
    pub left: usize,
}

/// The smoke run of one commit of the release branch: intended, then known by its run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmokeRecord {
    /// The commit tested.
    pub sha: crate::domain::CommitSha,
    /// `None` when the step was skipped (no smoke workflow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispatch: Option<crate::engine::release_marker::Dispatch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_url: Option<String>,
    pub state: SmokeState,
    /// The run's attempt whose result `state` holds: a re-run from the Actions page (same run,
    /// next attempt) counts, an older attempt's late delivery does not.
    #[serde(default = "first_attempt", skip_serializing_if = "is_first_attempt")]
    pub attempt: u32,
}

fn first_attempt() -> u32 {
    1
}

fn is_first_attempt(attempt: &u32) -> bool {
    *attempt == 1
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SmokeState {
    Running,
    Passed,
    Failed {
        conclusion: String,
    },
    /// The repository has no usable smoke workflow: said why, and the release goes on.
    Skipped {
        why: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocked {
    pub step: Step,
    pub what: String,
    pub remedy: String,
}

impl StatusMarker {
    pub fn to_comment_line(&self) -> String {
        let json = serde_json::to_string(self).expect("marker serialises");
        format!("{MARKER_PREFIX}{json}{MARKER_SUFFIX}")
    }

    /// The marker in a comment body, if the comment is a status comment.
    pub fn find_in(body: &str) -> Option<StatusMarker> {
        let start = body.find(MARKER_PREFIX)? + MARKER_PREFIX.len();
        let end = start + body[start..].find(MARKER_SUFFIX)?;
        serde_json::from_str(&body[start..end]).ok()
    }
}

/// The hidden line that ties a reply to the comment it answers, so a redelivered comment is not
/// answered twice.
pub fn reply_marker(comment_id: u64) -> String {
    format!("{REPLY_PREFIX}{comment_id}{MARKER_SUFFIX}")
}

pub fn replied_to(body: &str) -> Option<u64> {
    let start = body.find(REPLY_PREFIX)? + REPLY_PREFIX.len();
    let end = start + body[start..].find(MARKER_SUFFIX)?;
    body[start..end].trim().parse().ok()
}

/// The steps of a release, in order. Serialised by key (`pull-request`), as markers keep them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    Checks,
    Branch,
    PullRequest,
    Smoke,
    Merge,
    Tag,
    Images,
    DraftRelease,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

impl Step {
    pub const ALL: [Step; 8] = [
        Step::Checks,
        Step::Branch,
        Step::PullRequest,
        Step::Smoke,
        Step::Merge,
        Step::Tag,
        Step::Images,
        Step::DraftRelease,
    ];

    /// The name markers and messages use: `checks`, `branch`, `pull-request`, ….
    pub fn key(self) -> &'static str {
        match self {
            Step::Checks => "checks",
            Step::Branch => "branch",
            Step::PullRequest => "pull-request",
            Step::Smoke => "smoke",
            Step::Merge => "merge",
            Step::Tag => "tag",
            Step::Images => "images",
            Step::DraftRelease => "draft-release",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepState {
    /// Not reached yet; the text says what will happen.
    Pending(String),
    Done(String),
    Failed {
        what: String,
        remedy: String,
    },
}

/// Everything the status comment shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusView {
    pub marker: StatusMarker,
    pub trigger_url: String,
    pub steps: Vec<(Step, StepState)>,
    /// The workflows after the tag (`[[step]]`) and the gated publication, in order.
    pub after_tag: Vec<StepState>,
}

impl StatusView {
    pub fn set(&mut self, step: Step, state: StepState) {
        if let Some(slot) = self.steps.iter_mut().find(|(s, _)| *s == step) {
            slot.1 = state;
        }
    }

    pub fn state(&self, step: Step) -> Option<&StepState> {
        self.steps
            .iter()
            .find(|(s, _)| *s == step)
            .map(|(_, st)| st)
    }

    pub fn failed_step(&self) -> Option<Step> {
        self.steps
            .iter()
            .find(|(_, state)| matches!(state, StepState::Failed { .. }))
            .map(|(step, _)| *step)
    }

    /// The merge back, once the release is published.
    fn render_merge_back(&self, out: &mut String) {
        let Some(back) = &self.marker.merge_back else {
            return;
        };
        let pull = match (back.pull, &back.pull_url) {
            (Some(number), Some(url)) => format!(" in [#{number}]({url})"),
            (Some(number), None) => format!(" in #{number}"),
            _ => String::new(),
        };
        let line = match &back.state {
            MergeBackState::Merged => format!("✅ merged{pull}"),
            MergeBackState::NothingToMerge => format!("✅ `{}` already has it", back.into),
            MergeBackState::Waiting { reason } => format!(
                "⏳ not merged{pull}: {reason}; resolve it there (or merge it yourself), or \
                 `/release retry` to merge it once it can be"
            ),
        };
        out.push_str(&format!(
            "Merge back of `{}` into `{}`: {line}\n\n",
            back.from, back.into
        ));
    }

    /// The announcements of the published release, one line each.
    fn render_announcements(&self, out: &mut String) {
        if self.marker.announced.is_empty() {
            return;
        }
        out.push_str("Announced:\n");
        for record in &self.marker.announced {
            let line = match &record.state {
                AnnounceState::Sending => "sending…".to_string(),
                AnnounceState::Sent => "✅ posted".to_string(),
                AnnounceState::Failed { reason } => {
                    format!("❌ {reason}; `/release retry` sends it again")
                }
                AnnounceState::Unknown { reason } => format!("⚠️ {reason}"),
            };
            out.push_str(&format!(
                "- **{}** ({}): {line}\n",
                record.name, record.target
            ));
        }
        out.push('\n');
    }

    /// The QA candidates, one line each: its tag and commit, its pre-release with the assets,
    /// its images, and where it stands.
    fn render_candidates(&self, out: &mut String) {
        if self.marker.candidates.is_empty() {
            return;
        }
        out.push_str("QA candidates (pre-releases, never Latest):\n");
        for c in &self.marker.candidates {
            let mut parts = vec![format!("`{}` on `{}`", c.tag, c.commit.short())];
            if let Some(url) = &c.release_url {
                parts.push(format!("[pre-release]({url})"));
            }
            if !c.assets.is_empty() {
                let assets: Vec<String> = c.assets.iter().map(|a| format!("`{a}`")).collect();
                parts.push(format!("assets {}", assets.join(", ")));
            }
            if !c.image_refs.is_empty() {
                let images: Vec<String> = c.image_refs.iter().map(|i| format!("`{i}`")).collect();
                let images = images.join(", ");
                parts.push(match &c.images_url {
                    Some(url) => format!("images {images} ([build]({url}))"),
                    None => format!("images {images}"),
                });
            }
            let state = match &c.state {
                CandidateState::Tagging => "⏳ tagging".to_string(),
                CandidateState::Packaging { url } if url.is_empty() => {
                    "⏳ waiting for the packaging workflow's assets".to_string()
                }
                CandidateState::Packaging { url } => {
                    format!("⏳ waiting for the [packaging workflow]({url})'s assets")
                }
                CandidateState::Building => "⏳ images building".to_string(),
                CandidateState::Published => "✅ published for QA".to_string(),
                CandidateState::Failed { reason } => format!(
                    "❌ {reason}; fix it, then `/release candidate` again (a new commit makes the next candidate)"
                ),
            };
            out.push_str(&format!("- {}: {state}\n", parts.join(" · ")));
        }
        out.push('\n');
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(&self.marker.to_comment_line());
        out.push('\n');
        out.push_str(&format!("## Release {}\n\n", self.marker.version));
        out.push_str(&format!(
            "Release owner: @{} · started by [this comment]({})\n",
            self.marker.owner, self.trigger_url
        ));
        match &self.marker.notes_url {
            Some(url) => match &self.marker.notes_problem {
                None => out.push_str(&format!("Release notes: {url}\n\n")),
                Some(problem) => out.push_str(&format!(
                    "Release notes: {url} ⚠️ could not be read: {problem}. The draft keeps its text; fix the document or comment `/release notes <url>` again.\n\n"
                )),
            },
            None => match &self.marker.notes_from {
                Some(from) => out.push_str(&format!("Release notes: {from}.\n\n")),
                None => out.push_str(
                    "Release notes: not linked yet. Comment `/release notes <url>` with the document's address.\n\n",
                ),
            },
        }
        if let Some(file) = &self.marker.notes_file {
            out.push_str(&match file.left {
                0 => format!("Notes file `{}`: every merged pull request is categorized.\n\n", file.path),
                n => format!(
                    "Notes file `{}`: {n} merged pull request{} left to categorize (as of the last `/release notes sync`).\n\n",
                    file.path,
                    if n == 1 { "" } else { "s" }
                ),
            });
        }
        for skipped in &self.marker.skipped_files {
            out.push_str(&format!("Version file {skipped}.\n"));
        }
        if !self.marker.skipped_files.is_empty() {
            out.push('\n');
        }
        if self.marker.cancelled {
            out.push_str("**This release was cancelled.**\n\n");
        }
        self.render_merge_back(&mut out);
        self.render_announcements(&mut out);
        self.render_candidates(&mut out);
        for state in self
            .steps
            .iter()
            .map(|(_, state)| state)
            .chain(&self.after_tag)
        {
            match state {
                StepState::Pending(text) => out.push_str(&format!("- [ ] {text}\n")),
                StepState::Done(text) => out.push_str(&format!("- [x] {text}\n")),
                StepState::Failed { what, remedy } => {
                    out.push_str(&format!("- [ ] ❌ {what}\n  {remedy}\n"))
                }
            }
        }
        out.push_str("\n<sub>Kept up to date by releasebot.</sub>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker() -> StatusMarker {
        StatusMarker {
            version: "0.1.3".into(),
            owner: "kgodey".into(),
            trigger_comment: 42,
            from_version: "0.1.2".into(),
            notified: vec![],
            notes_url: None,
            notes_from: None,
            notes_problem: None,
            blocked: None,
            cancelled: false,
            skipped_files: Vec::new(),
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

    /// The comment drawn for a marker alone (no steps).
    fn drawn(marker: &StatusMarker) -> String {
        let view = StatusView {
            marker: marker.clone(),
            trigger_url: "u".into(),
            steps: vec![],
            after_tag: vec![],
        };
        view.render()
    }

    #[test]
    fn the_marker_survives_a_round_trip_through_the_comment_body() {
        let view = StatusView {
            marker: marker(),
            trigger_url: "https://github.com/o/r/issues/1#issuecomment-42".into(),
            steps: vec![(Step::Checks, StepState::Done("Checks passed".into()))],
            after_tag: vec![],
        };
        assert_eq!(StatusMarker::find_in(&view.render()), Some(marker()));
    }

    #[test]
    fn each_candidate_is_listed_with_its_assets_images_and_state_and_kept_in_the_marker() {
        let mut marker = marker();
        let candidate = |n: u32, c: char, state| CandidateRecord {
            n,
            tag: format!("0.1.3-rc.{n}"),
            commit: crate::domain::CommitSha::parse(&c.to_string().repeat(40)).unwrap(),
            asked_by: 50 + u64::from(n),
            state,
            release: Some(crate::domain::ReleaseId(7)),
            release_url: Some(format!("https://github.com/o/r/releases/tag/0.1.3-rc.{n}")),
            assets: vec!["install.sh".into(), "SHA256SUMS".into()],
            images: None,
            images_url: Some("https://github.com/o/r/actions/runs/9".into()),
            image_refs: vec![format!("mathesar/mathesar:0.1.3-rc.{n}")],
        };
        marker.candidates = vec![
            candidate(1, 'a', CandidateState::Published),
            candidate(
                2,
                'b',
                CandidateState::Failed {
                    reason: "its images build failed".into(),
                },
            ),
        ];
        let text = drawn(&marker);
        assert!(text.contains(
            "- `0.1.3-rc.1` on `aaaaaaa` · [pre-release](https://github.com/o/r/releases/tag/0.1.3-rc.1) · assets `install.sh`, `SHA256SUMS` · images `mathesar/mathesar:0.1.3-rc.1` ([build](https://github.com/o/r/actions/runs/9)): ✅ published for QA"
        ), "{text}");
        assert!(text.contains("`0.1.3-rc.2` on `bbbbbbb`"), "{text}");
        assert!(
            text.contains("❌ its images build failed; fix it"),
            "{text}"
        );
        assert_eq!(StatusMarker::find_in(&text), Some(marker));
    }

    #[test]
    fn a_skipped_version_file_is_shown_and_kept_in_the_marker() {
        let mut marker = marker();
        marker.skipped_files = vec![SkippedFile {
            path: "docs/mkdocs.yml".into(),
            why: crate::file_changes::SkipReason::NoVersionLine {
                line: Some("mathesar_version".into()),
                pattern: None,
            },
        }];
        let text = drawn(&marker);
        assert!(
            text.contains(
                "Version file `docs/mkdocs.yml`: no `mathesar_version` line, not changed.\n"
            ),
            "{text}"
        );
        assert_eq!(StatusMarker::find_in(&text), Some(marker));
    }

    #[test]
    fn a_comment_without_a_marker_is_not_a_status_comment() {
        assert_eq!(StatusMarker::find_in("## Release 0.1.3\nby hand"), None);
        assert_eq!(
            StatusMarker::find_in("<!-- releasebot:status {broken -->"),
            None
        );
    }

    #[test]
    fn a_reply_names_the_comment_it_answers() {
        let body = format!("{}\nYou may not release.", reply_marker(77));
        assert_eq!(replied_to(&body), Some(77));
        assert_eq!(replied_to("no marker here"), None);
    }

    #[test]
    fn steps_render_as_a_checklist_with_the_failure_and_its_remedy() {
        let view = StatusView {
            marker: marker(),
            trigger_url: "u".into(),
            steps: vec![
                (Step::Checks, StepState::Done("Checks passed".into())),
                (
                    Step::Branch,
                    StepState::Failed {
                        what: "Branch: GitHub answered 502".into(),
                        remedy: "Comment `/release 0.1.3` again.".into(),
                    },
                ),
                (Step::PullRequest, StepState::Pending("Pull request".into())),
            ],
            after_tag: vec![],
        };
        let text = view.render();
        assert!(text.contains("- [x] Checks passed\n"), "{text}");
        assert!(
            text.contains(
                "- [ ] ❌ Branch: GitHub answered 502\n  Comment `/release 0.1.3` again.\n"
            ),
            "{text}"
        );
        assert!(text.contains("- [ ] Pull request\n"), "{text}");
        assert_eq!(view.failed_step(), Some(Step::Branch));
    }
}
