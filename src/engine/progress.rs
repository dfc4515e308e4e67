//! How far a release has come, read from GitHub (the source of truth), and the status comment
//! that shows it.

use semver::Version;

use super::release_marker::{Dispatch, ReleaseMarker, UnreadableMarker};
use super::stage::Stage;
use crate::config::Config;
use crate::domain::IssueNumber;
use crate::github::models::{PullRequest, Release, WorkflowRun};
use crate::github::{ApiError, RepoClient};
use crate::status::{StatusMarker, StatusView, Step, StepState};

/// What GitHub holds for one version's release.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub branch_head: Option<String>,
    /// The release pull request: the open or merged one, else the last closed one.
    pub pull: Option<PullRequest>,
    /// The commit the version tag points at (through an annotated tag object).
    pub tag_commit: Option<String>,
    /// The annotated tag object the version tag points at, when it is annotated.
    pub tag_object: Option<String>,
    /// The release on the tag, draft or published.
    pub release: Option<Release>,
    /// The newest images run dispatched on the tag.
    pub run: Option<WorkflowRun>,
    /// The tracking issue named in the body of the bot's own release pull request.
    pub tracked_issue: Option<IssueNumber>,
    /// Every tag's name, when they were all listed to find the version's tag (the merge's job,
    /// which needs them to decide `latest` and the notes' previous release).
    pub tag_names: Option<Vec<String>>,
    /// The bot's record of the release, recovered from the runs it dispatched when a person's
    /// edit of the draft's body removed the marker (written back by the next job that writes
    /// the body).
    pub recovered_marker: Option<ReleaseMarker>,
}

impl Progress {
    /// The draft's marker, `Ok(None)` when there is no release or no marker.
    pub fn release_marker(&self) -> Result<Option<ReleaseMarker>, UnreadableMarker> {
        match &self.release {
            Some(release) => {
                Ok(ReleaseMarker::find_in(release.body())?
                    .or_else(|| self.recovered_marker.clone()))
            }
            None => Ok(None),
        }
    }

    pub fn merged(&self) -> bool {
        self.pull
            .as_ref()
            .is_some_and(|p| p.pull_state() == crate::domain::PullState::Merged)
    }
}

/// How far before the recorded intent a run may have been created and still be ours (clocks).
const CLOCK_SLACK_SECS: i64 = 10 * 60;

/// Reads everything about `version`'s release; six calls at most. Only the bot's own pull
/// requests and runs count (`me` is its login): anyone may open a pull request from a branch
/// named like a release, or dispatch the images workflow on the tag by hand.
pub async fn read(
    gh: &RepoClient,
    config: &Config,
    version: &Version,
    me: &str,
) -> Result<Progress, ApiError> {
    read_with(gh, config, version, me, Delivered::default()).await
}

/// What the event being handled carries, final as delivered, so it is not read again.
#[derive(Default, Clone, Copy)]
pub struct Delivered<'a> {
    /// A completed run (a `workflow_run` delivery): taken as delivered when it is the run the
    /// draft's marker names.
    pub run: Option<&'a WorkflowRun>,
    /// The bot's own release pull request, merged (a `pull_request closed` delivery): the
    /// release's pull request, its tracking issue named in its body.
    pub merged_pull: Option<&'a PullRequest>,
    /// The version's tag is found by listing every tag, which the caller needs as well.
    pub list_tags: bool,
}

/// The same, given what the event carries.
pub async fn read_with(
    gh: &RepoClient,
    config: &Config,
    version: &Version,
    me: &str,
    delivered: Delivered<'_>,
) -> Result<Progress, ApiError> {
    let branch = config.branch.render(version);
    let tag = config.tag.render(version);
    // None of these depends on another: they go out together, in one round trip (the tag's
    // object, when annotated, in a second).
    let branch_ref = format!("heads/{branch}");
    let (branch_head, pulls, (tag_ref, tag_names), release) = tokio::try_join!(
        gh.git_ref(&branch_ref),
        async {
            match delivered.merged_pull {
                Some(pull) => Ok(vec![pull.clone()]),
                None => gh.pulls_from_branch(&branch).await,
            }
        },
        async {
            if !delivered.list_tags {
                return Ok((gh.git_ref(&format!("tags/{tag}")).await?, None));
            }
            let refs = gh.matching_refs("tags").await?;
            let full = format!("refs/tags/{tag}");
            let names = refs
                .iter()
                .filter_map(|r| r.name.strip_prefix("refs/tags/").map(str::to_string))
                .collect();
            Ok((refs.into_iter().find(|r| r.name == full), Some(names)))
        },
        find_release(gh, &tag),
    )?;
    let branch_head = branch_head.map(|r| r.object.sha);
    let pulls: Vec<PullRequest> = pulls.into_iter().filter(|p| p.user.login == me).collect();
    let pull = pulls
        .iter()
        .find(|p| p.state == "open" || p.merged_at.is_some())
        .or(pulls.first())
        .cloned();
    let tracked_issue = pulls.iter().find_map(|p| {
        p.body
            .as_deref()
            .and_then(super::tracking::issue_in_pull_body)
            .map(IssueNumber)
    });
    let (marker, recovered_marker) = match &release {
        Some(release) => match ReleaseMarker::find_in(release.body()) {
            Ok(None) => {
                let recovered = recover_marker(gh, config, version, me).await?;
                (recovered.clone(), recovered)
            }
            found => (found.unwrap_or(None), None),
        },
        None => (None, None),
    };
    // An annotated tag is peeled by reading its object, unless the draft remembers this very
    // object and the commit it names.
    let (tag_commit, tag_object) = match tag_ref {
        None => (None, None),
        Some(found) if found.object.kind != "tag" => (Some(found.object.sha), None),
        Some(found) => {
            let remembered = marker
                .as_ref()
                .and_then(|m| m.tag.as_ref())
                .filter(|t| t.object == found.object.sha)
                .map(|t| t.commit.clone());
            let commit = match remembered {
                Some(commit) => Some(commit),
                None => gh
                    .tag_object(&found.object.sha)
                    .await?
                    .map(|t| t.object.sha),
            };
            (commit, Some(found.object.sha))
        }
    };
    let run = match marker {
        Some(marker) => {
            let recorded = marker.images.as_ref().and_then(|d| d.run);
            match delivered
                .run
                .filter(|run| recorded.is_some_and(|id| id.0 == run.id))
            {
                Some(run) => Some(run.clone()),
                None => our_run(gh, config, &tag, &marker, me).await?,
            }
        }
        None => None,
    };
    Ok(Progress {
        branch_head,
        pull,
        tag_commit,
        tag_object,
        release,
        run,
        tracked_issue,
        tag_names,
        recovered_marker,
    })
}

/// The bot's record of a release whose draft lost its marker to a person's edit (notes pasted
/// over the whole body): the images runs the bot itself dispatched on the tag, the newest being
/// the release's and the older ones replaced by it. `latest` is decided from the tags as they
/// are now. None when the bot dispatched no run there (a person's own release).
pub async fn recover_marker(
    gh: &RepoClient,
    config: &Config,
    version: &Version,
    me: &str,
) -> Result<Option<ReleaseMarker>, ApiError> {
    let tag = config.tag.render(version);
    let runs = gh
        .dispatched_runs(&config.images.workflow, &tag)
        .await
        .or_else(|e| if e.is_not_found() { Ok(vec![]) } else { Err(e) })?;
    let mut ours = runs.into_iter().filter(|run| run.actor_login() == Some(me));
    let Some(newest) = ours.next() else {
        return Ok(None);
    };
    let tags: Vec<Version> = gh
        .matching_refs("tags")
        .await?
        .iter()
        .filter_map(|r| r.name.strip_prefix("refs/tags/"))
        .filter_map(|name| config.tag.version_from(name))
        .collect();
    let mut marker = ReleaseMarker::new(&version.to_string());
    marker.latest = config.images.latest == crate::config::LatestPolicy::OnTag
        && crate::latest::moves_latest(version, &tags);
    marker.images = Some(Dispatch {
        intended_at: newest.created_at.clone().unwrap_or_default(),
        run: Some(crate::domain::RunId(newest.id)),
        superseded: ours.map(|run| crate::domain::RunId(run.id)).collect(),
        sent: true,
    });
    Ok(Some(marker))
}

/// Our images run: by the id the draft's marker keeps, else (intent recorded, id not known: a
/// crash after the dispatch, or a server without run details) the newest run on the tag that
/// the bot itself started since the intent, and none of the runs it replaced.
pub async fn our_run(
    gh: &RepoClient,
    config: &Config,
    tag: &str,
    marker: &ReleaseMarker,
    me: &str,
) -> Result<Option<WorkflowRun>, ApiError> {
    if let Some(id) = marker.images.as_ref().and_then(|d| d.run) {
        return gh.workflow_run(id.0).await;
    }
    if !marker.images_dispatched() {
        return Ok(None);
    }
    let runs = gh
        .dispatched_runs(&config.images.workflow, tag)
        .await
        .or_else(|e| if e.is_not_found() { Ok(vec![]) } else { Err(e) })?;
    Ok(guarded_pick(runs, marker.images.as_ref(), me))
}

/// The run a dispatch of ours started, from a list (newest first): started by `me`, not one
/// the dispatch replaced, and created no earlier than the intent (less clock slack).
pub fn guarded_pick(
    runs: Vec<WorkflowRun>,
    dispatch: Option<&Dispatch>,
    me: &str,
) -> Option<WorkflowRun> {
    let since = dispatch
        .and_then(|d| chrono::DateTime::parse_from_rfc3339(&d.intended_at).ok())
        .map(|t| t.timestamp() - CLOCK_SLACK_SECS);
    runs.into_iter().find(|run| {
        let by_us = run.actor_login() == Some(me);
        let replaced = dispatch.is_some_and(|d| d.superseded.iter().any(|s| s.0 == run.id));
        let created = run
            .created_at
            .as_deref()
            .and_then(|c| chrono::DateTime::parse_from_rfc3339(c).ok())
            .map(|t| t.timestamp());
        let recent = match (since, created) {
            (Some(since), Some(created)) => created >= since,
            _ => true,
        };
        by_us && !replaced && recent
    })
}

/// The commit a tag points at, peeling an annotated tag object.
pub async fn tag_commit(gh: &RepoClient, tag: &str) -> Result<Option<String>, ApiError> {
    let Some(found) = gh.git_ref(&format!("tags/{tag}")).await? else {
        return Ok(None);
    };
    if found.object.kind != "tag" {
        return Ok(Some(found.object.sha));
    }
    Ok(gh
        .tag_object(&found.object.sha)
        .await?
        .map(|t| t.object.sha))
}

/// The release on a tag, drafts included (listing is the only way to see drafts).
pub async fn find_release(gh: &RepoClient, tag: &str) -> Result<Option<Release>, ApiError> {
    gh.release_on_tag(tag).await
}

/// Image references a build pushes.
pub fn image_refs(config: &Config, version: &Version, latest: bool) -> Vec<String> {
    let mut refs = Vec::new();
    for image in &config.images.images {
        refs.push(format!("{}:{version}", image.name));
        if latest {
            refs.push(format!("{}:latest", image.name));
        }
    }
    refs
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}

/// The status comment for a release: each step's state drawn from the release's stage (the same
/// value the handlers plan from), with GitHub's objects for the links.
pub fn view(
    config: &Config,
    repo_url: &str,
    base_branch: &str,
    marker: &StatusMarker,
    trigger_url: &str,
    progress: &Progress,
) -> StatusView {
    let version = Version::parse(&marker.version).unwrap_or_else(|_| Version::new(0, 0, 0));
    let branch = config.branch.render(&version);
    let tag = config.tag.render(&version);
    let message = config.commit_message.render(&version);
    let stage = Stage::derive(progress, Some(marker));
    let latest = progress
        .release_marker()
        .ok()
        .flatten()
        .is_some_and(|m| m.latest);
    let mut steps = Vec::new();

    steps.push((
        Step::Checks,
        if marker.from_version.is_empty() {
            StepState::Pending("Check the version against the base branch and the tags".into())
        } else {
            StepState::Done(format!(
                "Checks passed: `{}` → `{version}`, tag `{tag}` is free",
                marker.from_version
            ))
        },
    ));
    let merged = progress.merged();
    let closed_pull = progress
        .pull
        .as_ref()
        .filter(|p| p.pull_state() == crate::domain::PullState::ClosedUnmerged)
        .map(|p| p.number);
    steps.push((Step::Branch, match (&progress.branch_head, merged) {
        (Some(head), _) => {
            let signed = match &marker.unsigned_commit {
                Some(reason) => format!(" ⚠️ not signed ({reason}): a base branch that requires signed commits will refuse the merge; run releasebot as a GitHub App or with the Actions token, or sign the commit yourself"),
                None => String::new(),
            };
            StepState::Done(format!(
                "Branch [`{branch}`]({repo_url}/tree/{branch}) with commit [`{}`]({repo_url}/commit/{head}) `{message}`{signed}",
                short(head)
            ))
        }
        (None, true) => StepState::Done(format!("Branch `{branch}` merged (and since deleted)")),
        (None, false) => StepState::Pending(format!("Branch `{branch}` with one commit that bumps the version files")),
    }));
    steps.push((
        Step::PullRequest,
        match &progress.pull {
            Some(p) => StepState::Done(format!(
                "Pull request [#{} {}]({}) into `{base_branch}`",
                p.number, p.title, p.html_url
            )),
            None => StepState::Pending(format!(
                "Pull request `{}` into `{base_branch}`",
                config.pr_title.render(&version)
            )),
        },
    ));
    steps.push((Step::Smoke, smoke_state(config, marker, progress)));
    steps.push((
        Step::Merge,
        match &stage {
            Err(unreadable) => StepState::Failed {
                what: format!("The release's state cannot be read: {unreadable}"),
                remedy: "Fix what is named, then comment `/release status`.".into(),
            },
            Ok(Stage::ClosedUnmerged { .. } | Stage::Cancelled) if closed_pull.is_some() => {
                StepState::Failed {
                    what: format!(
                        "Pull request #{} was closed without merging: the release is cancelled",
                        closed_pull.unwrap_or_default()
                    ),
                    remedy: format!("Comment `/release {version}` to start it again."),
                }
            }
            Ok(Stage::Merged { merge_commit }) => merged_as(repo_url, merge_commit.as_str()),
            Ok(stage) if stage.is_tagged() && merged => {
                let sha = progress
                    .pull
                    .as_ref()
                    .and_then(|p| p.merge_commit_sha.clone())
                    .unwrap_or_default();
                merged_as(repo_url, &sha)
            }
            Ok(_) => StepState::Pending(
                "Go through the rest of the pull request's checklist, then merge it".into(),
            ),
        },
    ));
    steps.push((
        Step::Tag,
        match &progress.tag_commit {
            Some(commit) => StepState::Done(format!(
                "Tag [`{tag}`]({repo_url}/tree/{tag}) on [`{}`]({repo_url}/commit/{commit})",
                short(commit)
            )),
            None => StepState::Pending(format!("Tag `{tag}` on the merge commit")),
        },
    ));
    let refs = image_refs(config, &version, latest);
    let listed = refs
        .iter()
        .map(|r| format!("`{r}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let run_url = progress.run.as_ref().map_or("", |r| r.html_url.as_str());
    steps.push((
        Step::Images,
        match &stage {
            Ok(Stage::Done { .. }) => StepState::Done(format!(
                "Images pushed for {}: {listed} ([run]({run_url}))",
                config.images.platforms.join(", "),
            )),
            Ok(Stage::ImagesFailed { .. }) => StepState::Failed {
                what: format!(
                    "The images workflow [run]({run_url}) ended in `{}`",
                    progress
                        .run
                        .as_ref()
                        .and_then(|r| r.conclusion.as_deref())
                        .unwrap_or("failure")
                ),
                remedy: "Fix the cause, then comment `/release retry` to build the images again."
                    .into(),
            },
            Ok(Stage::ImagesStale { built, commit, .. }) => StepState::Failed {
                what: format!(
                    "The images [run]({run_url}) built `{}`, which is no longer tag `{tag}`'s commit `{}`: they are not this release's",
                    short(built.as_str()),
                    short(commit.as_str())
                ),
                remedy: "Comment `/release retry` to build them from the tag's commit.".into(),
            },
            Ok(Stage::ImagesRunning { .. }) => {
                StepState::Pending(format!("Building the images: {listed} ([run]({run_url}))"))
            }
            Ok(Stage::ImagesIntended { .. }) => {
                StepState::Pending(format!("Dispatching the images build: {listed}"))
            }
            _ => StepState::Pending(format!("Build and push the images: {listed}")),
        },
    ));
    steps.push((
        Step::DraftRelease,
        match &progress.release {
            Some(r) if r.draft => StepState::Done(format!(
                "Draft release [`{}`]({}) is ready: a person publishes it",
                r.name.as_deref().unwrap_or(&tag),
                r.html_url
            )),
            // A published release lives at its tag's address; the draft's is gone.
            Some(r) => StepState::Done(format!(
                "Release [`{}`]({repo_url}/releases/tag/{tag}) published",
                r.name.as_deref().unwrap_or(&tag),
            )),
            None => StepState::Pending(format!(
                "Draft release `{}` with the release notes, for a person to publish",
                config.release_title.render(&version)
            )),
        },
    ));

    let mut view = StatusView {
        marker: marker.clone(),
        trigger_url: trigger_url.to_string(),
        steps,
    };
    if let Some(blocked) = &marker.blocked {
        view.set(
            blocked.step,
            StepState::Failed {
                what: blocked.what.clone(),
                remedy: blocked.remedy.clone(),
            },
        );
    }
    view
}

/// The smoke step: the result for the head it tested; a newer head (a push since) is pending.
fn smoke_state(config: &Config, marker: &StatusMarker, progress: &Progress) -> StepState {
    use crate::status::SmokeState;
    let workflow = &config.smoke.workflow;
    let head = progress.pull.as_ref().map(|p| p.head.sha.as_str());
    let Some(record) = marker.smoke.as_ref() else {
        return StepState::Pending(format!(
            "Smoke test: `{workflow}` installs the release commit and tries it"
        ));
    };
    let commit = short(&record.sha);
    let run = record
        .run_url
        .as_deref()
        .map(|url| format!(" ([run]({url}))"))
        .unwrap_or_default();
    match &record.state {
        SmokeState::Skipped { why } => StepState::Done(format!("Smoke test skipped: {why}")),
        _ if head.is_some_and(|h| h != record.sha) && !progress.merged() => StepState::Pending(
            format!("Smoke test of the branch's new head (`{commit}` was tested before)"),
        ),
        SmokeState::Running => StepState::Pending(format!("Smoke test of `{commit}` running{run}")),
        SmokeState::Passed => StepState::Done(format!(
            "Smoke test of `{commit}` passed{run}: commit status `releasebot/smoke` is green"
        )),
        SmokeState::Failed { conclusion } => StepState::Failed {
            what: format!("The smoke test of `{commit}` ended in `{conclusion}`{run}"),
            remedy: "Fix the cause and push to the release branch (a new run starts), or comment \
                     `/release retry` to run it again."
                .into(),
        },
    }
}

fn merged_as(repo_url: &str, sha: &str) -> StepState {
    StepState::Done(format!(
        "Merged as [`{}`]({repo_url}/commit/{sha})",
        short(sha)
    ))
}
