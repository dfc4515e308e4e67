//! How far a release has come, read from GitHub (the source of truth): what the stage is derived
//! from. The status comment that shows it is drawn in `status_view`.

use semver::Version;

use super::release_marker::{Dispatch, ReleaseMarker, UnreadableMarker};
use crate::config::Config;
use crate::domain::{CommitSha, IssueNumber};
use crate::github::models::{PullRequest, Release, WorkflowRun};
use crate::github::{ApiError, RepoClient};

/// What GitHub holds for one version's release.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub branch_head: Option<CommitSha>,
    /// The release pull request: the open or merged one, else the last closed one.
    pub pull: Option<PullRequest>,
    /// The commit the version tag points at (through an annotated tag object).
    pub tag_commit: Option<CommitSha>,
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
    /// The runs of the workflows after the tag (`[[step]]`) the draft's marker records, by
    /// step name (read only when it records any).
    pub step_runs: std::collections::BTreeMap<String, WorkflowRun>,
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
        .find(|p| p.pull_state() != crate::domain::PullState::ClosedUnmerged)
        .or(pulls.first())
        .cloned();
    let tracked_issue = pulls.iter().find_map(|p| {
        p.body
            .as_deref()
            .and_then(crate::messages::issue_in_pull_body)
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
                .filter(|t| t.object == found.object.sha.as_str())
                .and_then(|t| CommitSha::parse(&t.commit));
            let commit = match remembered {
                Some(commit) => Some(commit),
                None => gh
                    .tag_object(found.object.sha.as_str())
                    .await?
                    .map(|t| t.object.sha),
            };
            (commit, Some(found.object.sha.to_string()))
        }
    };
    let step_runs = match &marker {
        Some(marker) if !marker.steps.is_empty() => {
            step_runs(gh, config, &tag, marker, me, delivered.run).await?
        }
        _ => Default::default(),
    };
    let run = match marker {
        Some(marker) => {
            let recorded = marker.images.as_ref().and_then(|d| d.run);
            match delivered.run.filter(|run| recorded == Some(run.id)) {
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
        step_runs,
    })
}

/// The runs of the steps the marker records: by the id it keeps (the delivered run as it
/// came), else the newest run of the step's workflow the bot started since the intent.
async fn step_runs(
    gh: &RepoClient,
    config: &Config,
    tag: &str,
    marker: &ReleaseMarker,
    me: &str,
    delivered: Option<&WorkflowRun>,
) -> Result<std::collections::BTreeMap<String, WorkflowRun>, ApiError> {
    let mut runs = std::collections::BTreeMap::new();
    for step in &config.steps {
        let Some(dispatch) = marker.steps.get(&step.name) else {
            continue;
        };
        let found = match (dispatch.run, delivered) {
            (Some(id), Some(run)) if run.id == id => Some(run.clone()),
            _ => dispatch_run(gh, &step.workflow, tag, Some(dispatch), me).await?,
        };
        if let Some(run) = found {
            runs.insert(step.name.clone(), run);
        }
    }
    Ok(runs)
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
        run: Some(newest.id),
        superseded: ours.map(|run| run.id).collect(),
        sent: true,
        refused: None,
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
    if !marker.images_dispatched() {
        return Ok(None);
    }
    let dispatch = marker.images.as_ref();
    dispatch_run(gh, &config.images.workflow, tag, dispatch, me).await
}

/// The run a dispatch of ours on `tag` started: by the id it recorded, else found among the
/// workflow's dispatched runs by its intent (a job that stopped before recording the id; an
/// old marker that recorded no intent takes the newest run of ours).
pub async fn dispatch_run(
    gh: &RepoClient,
    workflow: &str,
    tag: &str,
    dispatch: Option<&Dispatch>,
    me: &str,
) -> Result<Option<WorkflowRun>, ApiError> {
    if let Some(id) = dispatch.and_then(|d| d.run) {
        return gh.workflow_run(id).await;
    }
    // A workflow file that is gone has no runs to find.
    let runs = gh.dispatched_runs(workflow, tag).await.or_else(|e| {
        if e.is_not_found() {
            Ok(vec![])
        } else {
            Err(e)
        }
    })?;
    Ok(guarded_pick(runs, dispatch, me))
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
        let replaced = dispatch.is_some_and(|d| d.superseded.contains(&run.id));
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
pub async fn tag_commit(gh: &RepoClient, tag: &str) -> Result<Option<CommitSha>, ApiError> {
    let Some(found) = gh.git_ref(&format!("tags/{tag}")).await? else {
        return Ok(None);
    };
    if found.object.kind != "tag" {
        return Ok(Some(found.object.sha));
    }
    Ok(gh
        .tag_object(found.object.sha.as_str())
        .await?
        .map(|t| t.object.sha))
}

/// The release on a tag, drafts included (listing is the only way to see drafts).
pub async fn find_release(gh: &RepoClient, tag: &str) -> Result<Option<Release>, ApiError> {
    gh.release_on_tag(tag).await
}
