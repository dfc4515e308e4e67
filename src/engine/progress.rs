//! How far a release has come, read from GitHub (the source of truth), and the status comment
//! that shows it.

use semver::Version;
use serde::{Deserialize, Serialize};

use crate::config::Config;
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
    /// The release on the tag, draft or published.
    pub release: Option<Release>,
    /// The newest images run dispatched on the tag.
    pub run: Option<WorkflowRun>,
    /// The tracking issue named in the body of the bot's own release pull request.
    pub tracked_issue: Option<u64>,
}

/// Facts kept in the draft release body, where they live with the release itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseMarker {
    pub version: String,
    /// The images workflow was dispatched for this tag (exactly once, unless retried).
    #[serde(default)]
    pub dispatched: bool,
    /// Whether that dispatch moves `latest`.
    #[serde(default)]
    pub latest: bool,
    /// `latest` was moved after publishing (the `on-publish` setting).
    #[serde(default)]
    pub promoted: bool,
}

const RELEASE_MARKER: &str = "<!-- releasebot:release ";

impl ReleaseMarker {
    pub fn line(&self) -> String {
        format!(
            "{RELEASE_MARKER}{} -->",
            serde_json::to_string(self).expect("serialises")
        )
    }

    pub fn find_in(body: &str) -> Option<ReleaseMarker> {
        let start = body.find(RELEASE_MARKER)? + RELEASE_MARKER.len();
        let end = start + body[start..].find(" -->")?;
        serde_json::from_str(&body[start..end]).ok()
    }
}

impl Progress {
    pub fn release_marker(&self) -> Option<ReleaseMarker> {
        self.release
            .as_ref()
            .and_then(|r| ReleaseMarker::find_in(r.body()))
    }

    pub fn merged(&self) -> bool {
        self.pull.as_ref().is_some_and(|p| p.merged_at.is_some())
    }
}

/// Reads everything about `version`'s release; six calls at most.
pub async fn read(
    gh: &RepoClient,
    config: &Config,
    version: &Version,
) -> Result<Progress, ApiError> {
    let branch = config.branch.render(version);
    let tag = config.tag.render(version);
    let branch_head = gh
        .git_ref(&format!("heads/{branch}"))
        .await?
        .map(|r| r.object.sha);
    let pulls = gh.pulls_from_branch(&branch).await?;
    let pull = pulls
        .iter()
        .find(|p| p.state == "open" || p.merged_at.is_some())
        .or(pulls.first())
        .cloned();
    let tracked_issue = pulls.iter().filter(|p| p.user.kind == "Bot").find_map(|p| {
        p.body
            .as_deref()
            .and_then(super::tracking::issue_in_pull_body)
    });
    let tag_commit = tag_commit(gh, &tag).await?;
    let release = find_release(gh, &tag).await?;
    let run = gh
        .dispatched_runs(&config.images.workflow, &tag)
        .await
        .or_else(|e| if e.is_not_found() { Ok(vec![]) } else { Err(e) })?
        .into_iter()
        .next();
    Ok(Progress {
        branch_head,
        pull,
        tag_commit,
        release,
        run,
        tracked_issue,
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
    Ok(gh.releases().await?.into_iter().find(|r| r.tag_name == tag))
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

/// The status comment for a release, from its marker and GitHub's state.
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
    let release_marker = progress.release_marker().unwrap_or_default();
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
    steps.push((Step::Branch, match (&progress.branch_head, progress.merged()) {
        (Some(head), _) => StepState::Done(format!(
            "Branch [`{branch}`]({repo_url}/tree/{branch}) with commit [`{}`]({repo_url}/commit/{head}) `{message}`",
            short(head)
        )),
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
    steps.push((
        Step::Merge,
        match &progress.pull {
            Some(p) if p.merged_at.is_some() => {
                let sha = p.merge_commit_sha.clone().unwrap_or_default();
                StepState::Done(format!(
                    "Merged as [`{}`]({repo_url}/commit/{sha})",
                    short(&sha)
                ))
            }
            Some(p) if p.state == "closed" => StepState::Failed {
                what: format!(
                    "Pull request #{} was closed without merging: the release is cancelled",
                    p.number
                ),
                remedy: format!("Comment `/release {version}` to start it again."),
            },
            _ => StepState::Pending(
                "Run the pull request's checklist (install, smoke test), then merge it".into(),
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
    let refs = image_refs(config, &version, release_marker.latest);
    let listed = refs
        .iter()
        .map(|r| format!("`{r}`"))
        .collect::<Vec<_>>()
        .join(", ");
    steps.push((
        Step::Images,
        match &progress.run {
            Some(run) if run.conclusion.as_deref() == Some("success") => StepState::Done(format!(
                "Images pushed for {}: {listed} ([run]({}))",
                config.images.platforms.join(", "),
                run.html_url
            )),
            Some(run) if run.status == "completed" => StepState::Failed {
                what: format!(
                    "The images workflow [run]({}) ended in `{}`",
                    run.html_url,
                    run.conclusion.as_deref().unwrap_or("failure")
                ),
                remedy: "Fix the cause, then comment `/release retry` to build the images again."
                    .into(),
            },
            Some(run) => StepState::Pending(format!(
                "Building the images: {listed} ([run]({}))",
                run.html_url
            )),
            None => StepState::Pending(format!("Build and push the images: {listed}")),
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
            Some(r) => StepState::Done(format!(
                "Release [`{}`]({}) published",
                r.name.as_deref().unwrap_or(&tag),
                r.html_url
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
        if let Some(step) = Step::from_key(&blocked.step) {
            view.set(
                step,
                StepState::Failed {
                    what: blocked.what.clone(),
                    remedy: blocked.remedy.clone(),
                },
            );
        }
    }
    view
}
