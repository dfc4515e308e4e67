//! The status comment drawn from the release's stage and what GitHub holds: each step done,
//! pending or failed with its remedy. Rendering only reads; it refuses a marker it cannot read
//! rather than draw a release of a version nobody asked for.

use semver::Version;

use super::progress::Progress;
use super::stage::{Stage, Unreadable};
use crate::config::Config;
use crate::domain::{CommitSha, Conclusion};
use crate::status::{StatusMarker, StatusView, Step, StepState};

/// How the pull request was opened (as a draft, on a milestone), and a milestone GitHub
/// refused, with what to do: the release went on without it.
fn pull_extras(config: &Config, version: &Version, marker: &StatusMarker) -> String {
    let mut extras = Vec::new();
    if config.pr_draft {
        extras.push("as a draft".to_string());
    }
    let milestone = config.pr_milestone.as_ref().map(|m| m.render(version));
    match (&milestone, &marker.milestone_problem) {
        (Some(title), None) => extras.push(format!("on milestone `{title}`")),
        (Some(title), Some(problem)) => {
            let text = crate::messages::milestone_not_set(title, problem, &version.to_string());
            return format!("{}{}", join_extras(&extras), text);
        }
        (None, _) => {}
    }
    join_extras(&extras)
}

fn join_extras(extras: &[String]) -> String {
    match extras.is_empty() {
        true => String::new(),
        false => format!(", {}", extras.join(", ")),
    }
}

/// The status comment for a release: each step's state drawn from the release's stage (the same
/// value the handlers plan from), with GitHub's objects for the links.
pub fn view(
    config: &Config,
    repo_url: &str,
    target_branch: &str,
    marker: &StatusMarker,
    trigger_url: &str,
    progress: &Progress,
) -> Result<StatusView, Unreadable> {
    let version = Version::parse(&marker.version).map_err(|e| Unreadable::NotAVersion {
        value: marker.version.clone(),
        problem: e.to_string(),
    })?;
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
                head.short()
            ))
        }
        (None, true) => StepState::Done(format!("Branch `{branch}` merged (and since deleted)")),
        (None, false) => StepState::Pending(format!("Branch `{branch}` with one commit that bumps the version files")),
    }));
    steps.push((
        Step::PullRequest,
        match &progress.pull {
            Some(p) => StepState::Done(format!(
                "Pull request [#{} {}]({}) into `{target_branch}`{}",
                p.number,
                p.title,
                p.html_url,
                pull_extras(config, &version, marker)
            )),
            None => StepState::Pending(format!(
                "Pull request `{}` into `{target_branch}`{}",
                config.pr_title.render(&version),
                pull_extras(config, &version, marker)
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
                        closed_pull.map(|n| n.to_string()).unwrap_or_default()
                    ),
                    remedy: format!("Comment `/release {version}` to start it again."),
                }
            }
            Ok(Stage::Merged { merge_commit }) => merged_as(repo_url, merge_commit),
            Ok(stage) if stage.is_tagged() && merged => {
                let sha = progress
                    .pull
                    .as_ref()
                    .and_then(|p| p.merge_commit_sha.as_ref());
                match sha {
                    Some(sha) => merged_as(repo_url, sha),
                    None => StepState::Done("Merged".into()),
                }
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
                commit.short()
            )),
            None => StepState::Pending(format!("Tag `{tag}` on the merge commit")),
        },
    ));
    let refs = config.images.refs(&version, latest);
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
                        .and_then(|r| r.conclusion)
                        .unwrap_or(Conclusion::Failure)
                ),
                remedy: "Fix the cause, then comment `/release retry` to build the images again."
                    .into(),
            },
            Ok(Stage::ImagesStale { built, commit, .. }) => StepState::Failed {
                what: format!(
                    "The images [run]({run_url}) built `{}`, which is no longer tag `{tag}`'s commit `{}`: they are not this release's",
                    built.short(),
                    commit.short()
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
                "Draft release [`{}`]({}) is ready: {}",
                r.name.as_deref().unwrap_or(&tag),
                r.html_url,
                match config.publish {
                    Some(_) => "releasebot publishes it once its steps succeeded",
                    None => "a person publishes it",
                }
            )),
            // A published release lives at its tag's address; the draft's is gone.
            Some(r) => StepState::Done(format!(
                "Release [`{}`]({repo_url}/releases/tag/{tag}) published",
                r.name.as_deref().unwrap_or(&tag),
            )),
            None => match &config.packaging {
                Some(packaging) => {
                    let dispatched = match &marker.packaging {
                        Some(d) if d.tag == tag => format!(
                            ", dispatched on `{tag}` (if no run appears, comment `/release retry`)"
                        ),
                        _ => String::new(),
                    };
                    StepState::Pending(format!(
                        "Draft release `{}` with its assets from `{}`{dispatched}, for a person to publish",
                        config.release_title.render(&version),
                        packaging.workflow,
                    ))
                }
                None => StepState::Pending(format!(
                    "Draft release `{}` with the release notes, for a person to publish",
                    config.release_title.render(&version)
                )),
            },
        },
    ));

    let mut view = StatusView {
        marker: marker.clone(),
        trigger_url: trigger_url.to_string(),
        steps,
        after_tag: after_tag(config, progress),
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
    Ok(view)
}

/// The workflows after the tag (`[[step]]`), each done, running, waiting, failed with a link
/// to its run, or to come; then the publication they gate (`[publish]`).
fn after_tag(config: &Config, progress: &Progress) -> Vec<StepState> {
    use super::steps::StepRun;
    use crate::messages::step_line;
    let marker = progress.release_marker().ok().flatten().unwrap_or_default();
    let states = super::steps::states(config, &marker, progress);
    let mut lines: Vec<StepState> = config
        .steps
        .iter()
        .map(|step| {
            let state = states.get(&step.name).unwrap_or(&StepRun::ToCome);
            let text = step_line(step, state);
            match state {
                StepRun::Succeeded { .. } => StepState::Done(text),
                StepRun::Failed { .. } | StepRun::Refused { .. } => StepState::Failed {
                    what: text,
                    remedy: crate::messages::step_failed_remedy(&step.name),
                },
                _ => StepState::Pending(text),
            }
        })
        .collect();
    if let Some(publish) = &config.publish {
        let published = progress.release.as_ref().is_some_and(|r| !r.draft);
        let text = crate::messages::gated_publication(&publish.after, published);
        lines.push(match published {
            true => StepState::Done(text),
            false => StepState::Pending(text),
        });
    }
    lines
}

/// The smoke step: the result for the head it tested; a newer head (a push since) is pending.
fn smoke_state(config: &Config, marker: &StatusMarker, progress: &Progress) -> StepState {
    use crate::status::SmokeState;
    let workflow = &config.smoke.workflow;
    let head = progress.pull.as_ref().map(|p| &p.head.sha);
    let Some(record) = marker.smoke.as_ref() else {
        return StepState::Pending(format!(
            "Smoke test: `{workflow}` installs the release commit and tries it"
        ));
    };
    let commit = record.sha.short();
    let run = record
        .run_url
        .as_deref()
        .map(|url| format!(" ([run]({url}))"))
        .unwrap_or_default();
    match &record.state {
        SmokeState::Skipped { why } => StepState::Done(format!("Smoke test skipped: {why}")),
        _ if head.is_some_and(|h| *h != record.sha) && !progress.merged() => StepState::Pending(
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

fn merged_as(repo_url: &str, sha: &CommitSha) -> StepState {
    StepState::Done(format!(
        "Merged as [`{}`]({repo_url}/commit/{sha})",
        sha.short()
    ))
}
