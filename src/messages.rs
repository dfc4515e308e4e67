//! The replies, notices and release texts releasebot writes on GitHub, in one place, so tone
//! and advice stay consistent. (The status comment's steps are drawn from the release's stage in
//! `engine::status_view`; a few blocked steps still name their cause where they are found.)
//! Replies carry a hidden marker naming the comment they answer (see `status::reply_marker`).

use crate::domain::{IssueNumber, PullNumber};
use crate::permission::{RequiredPermission, Role};
use crate::status::reply_marker;

/// A reply to a comment, with the marker that prevents answering it twice.
pub fn reply(to_comment: u64, text: &str) -> String {
    format!("{}\n{}", reply_marker(to_comment), text.trim_end())
}

pub fn help() -> String {
    "\
**releasebot commands** (comment them on the release tracking issue):

| command | what it does |
|---|---|
| `/release <version>` | starts the release: checks the version, opens a pull request from a release branch that bumps every version file, and keeps a status comment here up to date |
| `/release <version> --dry-run` | shows what `/release <version>` would do, changing nothing |
| `/release <version> notes <url>` | the same, with the release notes document linked |
| `/release notes <url>` | links the release notes document (Markdown or plain text over HTTPS); the draft release takes its text |
| `/release notes sync` | commits to the release branch the notes file (from the repository's template when missing) with every pull request merged since the previous release and not yet cited, under a heading to categorize, and the docs' navigation entry; nothing when nothing is new |
| `/release status` | redraws the status comment from what GitHub holds now |
| `/release retry` | runs the first failed or missing step again (for example a failed images build) |
| `/release retry <step>` | runs one step after the tag (`[[step]]`, e.g. `docs`) again once its run finished |
| `/release candidate` (or `qa`) | tags the release branch's head as the next QA candidate (`<version>-rc.N`), builds its images as `:<version>-rc.N` only, and publishes it with its assets as a pre-release that is never Latest; nothing new when the newest candidate is that commit already |
| `/release cancel` | closes the pull request and deletes the release branch; refused once the tag exists |
| `/release help` | shows this list |

Versions are plain semver: `0.1.3`, or a prerelease like `0.2.0-rc.1` (no `v` in front)."
        .to_string()
}

pub fn not_permitted(login: &str, role: Role, required: RequiredPermission) -> String {
    format!(
        "@{login}, only people with the **{required}** role or higher on this repository can run \
         releasebot commands; your role here is **{role}**. Ask a maintainer to run it, or a \
         repository admin to change `permission` in `.github/releasebot.toml`."
    )
}

pub fn not_on_a_pull_request() -> String {
    "Releases are run from an issue, not a pull request: open (or find) the release tracking issue \
     and comment `/release <version>` there."
        .to_string()
}

pub fn command_not_understood(problem: &str) -> String {
    format!("I could not read that command: {problem}\n\n{}", help())
}

pub fn config_invalid(problems: &str) -> String {
    format!(
        "`.github/releasebot.toml` on the default branch has problems, so I did nothing:\n\n\
         ```\n{}\n```\n\nFix them (`releasebot check-config` lists the same problems locally) and \
         comment again.",
        problems.trim_end()
    )
}

pub fn version_refused(problem: &str) -> String {
    format!("I did not start a release: {problem}")
}

pub fn base_branch_missing(branch: &str) -> String {
    format!(
        "I did not start a release: the base branch `{branch}` does not exist. Set `base_branch` in \
         `.github/releasebot.toml` to the branch releases are made from."
    )
}

pub fn target_branch_missing(branch: &str) -> String {
    format!(
        "I did not start a release: the branch `{branch}` that release pull requests go into does \
         not exist. Create it, or set `target_branch` in `.github/releasebot.toml` to the branch \
         releases are merged into."
    )
}

/// Shown on the pull request's step when it could not be put on its milestone.
pub fn milestone_not_set(title: &str, problem: &str, version: &str) -> String {
    format!(
        " ⚠️ not on milestone `{title}`: {problem}. The release goes on without it; put the pull \
         request on the milestone by hand, or fix what is named and comment `/release {version}` \
         to try again"
    )
}

pub fn files_refused(problem: &str) -> String {
    format!(
        "I did not start a release, because the version files are not as the configuration \
         expects: {problem}\n\nFix the file or its `[[version_files]]` entry in \
         `.github/releasebot.toml`, then comment again."
    )
}

/// One Markdown list item per version file: what the bump changes, which file was out of step
/// with the primary one, and which optional file is left alone and why.
pub fn version_file_lines(
    changes: &crate::file_changes::PlannedChanges,
    version: &str,
    indent: &str,
) -> String {
    let current = changes.current_version.to_string();
    let mut text = String::new();
    for change in &changes.changes {
        text.push_str(&format!(
            "{indent}- `{}`: `{}` → `{version}`",
            change.path,
            change.old_values.join("`, `")
        ));
        if change.out_of_step_value(&changes.current_version).is_some() {
            text.push_str(&format!(
                " (was out of step: the current version is `{current}`)"
            ));
        }
        text.push('\n');
    }
    for skipped in &changes.skipped {
        text.push_str(&format!("{indent}- {skipped}\n"));
    }
    text
}

/// `#N` after "tracked in" (as `pull_request_body` writes it) in a release pull request body.
pub fn issue_in_pull_body(body: &str) -> Option<IssueNumber> {
    let rest = &body[body.find("tracked in #")? + "tracked in #".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().map(IssueNumber)
}

/// The body of the release pull request.
pub fn pull_request_body(
    issue: IssueNumber,
    version: &str,
    changes: &crate::file_changes::PlannedChanges,
    checklist: &[String],
) -> String {
    let mut body = format!(
        "Release {version}, tracked in #{issue}.\n\nThis pull request has one commit that sets the \
         version to `{version}`:\n"
    );
    body.push_str(&version_file_lines(changes, version, ""));
    if !checklist.is_empty() {
        body.push_str("\nBefore merging:\n");
        for item in checklist {
            body.push_str(&format!("- [ ] {item}\n"));
        }
    }
    body.push_str(
        "\nMerging this pull request tags the merge commit and starts the rest of the release.\n",
    );
    body
}

/// Sent once per failed step, because editing a comment to add a mention notifies nobody.
pub fn failure_notice(owner: &str, version: &str, step_text: &str, status_url: &str) -> String {
    format!(
        "@{owner}, release {version} stopped: {step_text} Details and what to do are in the \
         [status comment]({status_url})."
    )
}

/// What to do after a step failed because GitHub did not answer as expected.
pub fn retry_remedy(version: &str) -> String {
    format!(
        "This is often temporary. Comment `/release {version}` again to resume: steps already done \
         are not repeated."
    )
}

/// A failure the queue tries again by itself (App mode).
pub fn retrying_remedy(version: &str) -> String {
    format!(
        "This is often temporary: releasebot tries again by itself over the next minutes, and \
         says so here if it gives up. To try now, comment `/release {version}` again: steps \
         already done are not repeated."
    )
}

/// What failed in the merge's job (the tag, the draft or the dispatch), for the status comment.
pub fn merge_job_failed(version: &semver::Version, error: &str) -> String {
    format!("Tag and release of {version}: {error}")
}

/// The merge's job failed and the queue tries it again (App mode).
pub fn retrying_tag_remedy() -> String {
    "This is often temporary: releasebot tries again by itself over the next minutes, and says \
     so here if it gives up. To try now, comment `/release retry`: steps already done are not \
     repeated."
        .to_string()
}

/// The merge's job failed and nothing runs it again by itself (the Action).
pub fn retry_tag_remedy() -> String {
    "This is often temporary: comment `/release retry` to go on from the merge; steps already \
     done are not repeated."
        .to_string()
}

/// What to do after GitHub refused a step outright (a 4xx that waiting will not change).
pub fn refused_remedy(version: &str) -> String {
    format!(
        "GitHub refused this, so it will not pass by waiting: check that releasebot may write to \
         the repository (the App's permissions, listed by `releasebot manifest`, or the token's) \
         and that no branch protection or ruleset forbids it, then comment `/release {version}` \
         again: steps already done are not repeated."
    )
}

/// The answer to `/release <version> --dry-run`: everything the real command would do.
pub fn dry_run_plan(
    config: &crate::config::Config,
    approved: &crate::engine::Approved,
    (base_branch, target_branch): (&str, &str),
) -> String {
    let version = &approved.version;
    let mut text = format!(
        "**Dry run of `/release {version}`**: nothing was changed. The real command would:\n\n\
         1. assign the release to you and label this issue `{label}`;\n\
         2. create branch `{branch}` from `{base_branch}` with one commit `{message}` that changes:\n",
        label = config.label,
        branch = approved.branch,
        message = config.commit_message.render(version),
    );
    text.push_str(&version_file_lines(
        &approved.changes,
        &version.to_string(),
        "   ",
    ));
    let draft = if config.pr_draft { "draft " } else { "" };
    let milestone = match &config.pr_milestone {
        Some(m) => format!(" on milestone `{}` (made if missing)", m.render(version)),
        None => String::new(),
    };
    let draft_release = match &config.packaging {
        Some(packaging) => format!(
            "run `{workflow}` on the tag (dispatched if the tag did not start it), adopt its draft \
             release after checking its assets ({assets}), then build and push the images",
            workflow = packaging.workflow,
            assets = code_list(&packaging.assets),
        ),
        None => format!(
            "build and push the images, and create a draft release `{}`",
            config.release_title.render(version)
        ),
    };
    text.push_str(&format!(
        "3. open {draft}pull request `{title}` into `{target_branch}`{milestone} with the release checklist;\n\
         4. after it is merged, tag the merge commit `{tag}`, {draft_release}.\n",
        title = config.pr_title.render(version),
        tag = approved.tag,
    ));
    let mut after = Vec::new();
    if let Some(into) = &config.merge_back {
        after.push(format!("merge `{target_branch}` back into `{into}`"));
    }
    if !config.announce.is_empty() {
        let places: Vec<String> = config
            .announce
            .iter()
            .map(|a| format!("`{}` ({})", a.name, a.channel.kind()))
            .collect();
        after.push(format!("announce it to {}", places.join(", ")));
    }
    let mut item = 5;
    if !config.steps.is_empty() || config.publish.is_some() {
        text.push_str(&format!(
            "{item}. {}\n",
            steps_dry_run(config, &approved.tag)
        ));
        item += 1;
    }
    if !after.is_empty() {
        let who = if config.publish.is_some() {
            "the bot"
        } else {
            "a person"
        };
        text.push_str(&format!(
            "{item}. once {who} publishes the release: {}.\n",
            after.join(", then ")
        ));
    }
    text
}

/// The workflows after the tag and the gated publication, for a dry run: each step with what
/// it waits for.
pub fn steps_dry_run(config: &crate::config::Config, tag: &str) -> String {
    let mut parts: Vec<String> = config
        .steps
        .iter()
        .map(|step| {
            let after = match step.after.is_empty() {
                true => "with the images".to_string(),
                false => format!("after {}", code_list(&step.after)),
            };
            let environment = match &step.environment {
                Some(env) => format!(", in environment `{env}` (its reviewers approve it)"),
                None => String::new(),
            };
            format!(
                "dispatch step `{}` (`{}`) on tag `{tag}` {after}{environment}",
                step.name, step.workflow
            )
        })
        .collect();
    match &config.publish {
        Some(publish) => parts.push(format!(
            "publish the release once {} succeeded (Latest only for the highest stable version)",
            code_list(&publish.after)
        )),
        None => parts.push("leave the publication to a person".to_string()),
    }
    format!("after the tag: {};", parts.join("; "))
}

/// A dry run's words for carrying the steps after the tag forward.
pub fn steps_advance_words() -> String {
    "record the finished step and dispatch the steps whose order allows it, publishing the \
     release when everything it waits for succeeded"
        .to_string()
}

/// A dry run's words for `/release retry` with a failed step.
pub fn steps_resume_words(tag: &str) -> String {
    format!(
        "dispatch the failed steps on tag `{tag}` again (not the images), then go on from there"
    )
}

/// A dry run's words for `/release retry <step>`.
pub fn steps_retry_words(tag: &str) -> String {
    format!("dispatch that step on tag `{tag}` again, if it is known and its run finished")
}

/// One workflow after the tag on the status comment: where it stands, with its run.
pub fn step_line(
    step: &crate::config::steps::WorkflowStep,
    state: &crate::engine::steps::StepRun,
) -> String {
    use crate::engine::steps::StepRun;
    let name = format!("Step `{}` (`{}`)", step.name, step.workflow);
    match state {
        StepRun::ToCome => match step.after.is_empty() {
            true => format!("{name}: dispatched with the images"),
            false => format!("{name}: to come, after {}", code_list(&step.after)),
        },
        // GitHub lists a run a moment after the dispatch; one that never appears (the job
        // stopped between recording the intent and sending it) is a person's to send again.
        StepRun::Dispatching => format!(
            "{name}: dispatched, its run not listed yet (should none appear, `/release retry {}` \
             sends it again)",
            step.name
        ),
        StepRun::Refused { why } => format!(
            "{name}: GitHub refused the dispatch on the tag ({why}); the workflow needs a \
             `workflow_dispatch` trigger taking the inputs configured"
        ),
        StepRun::Running { url } => format!("{name}: running ([run]({url}))"),
        StepRun::Waiting { url } => {
            let environment = match &step.environment {
                Some(env) => format!(" of environment `{env}`"),
                None => String::new(),
            };
            format!("{name}: ⏸️ waiting for a reviewer's approval{environment} ([run]({url}))")
        }
        StepRun::Succeeded { url } => format!("{name}: succeeded ([run]({url}))"),
        StepRun::Failed { url, conclusion } => {
            format!("{name}: ended in `{conclusion}` ([run]({url}))")
        }
    }
}

/// What to do about a failed step.
pub fn step_failed_remedy(name: &str) -> String {
    format!(
        "Fix the cause, then comment `/release retry` to run the failed steps again and go on \
         (or `/release retry {name}` for this one)."
    )
}

/// The publication the steps gate (`[publish]`), on the status comment.
pub fn gated_publication(after: &[String], published: bool) -> String {
    match published {
        true => "Release published".to_string(),
        false => format!(
            "releasebot publishes the release once {} succeeded",
            code_list(after)
        ),
    }
}

/// `/release retry <step>` names no step.
pub fn unknown_step(name: &str, known: &[String]) -> String {
    match known.is_empty() {
        true => format!(
            "There is no step `{name}`: this repository's configuration lists no `[[step]]`."
        ),
        false => format!(
            "There is no step `{name}`. The steps are {}: comment `/release retry <step>` with one of them.",
            code_list(known)
        ),
    }
}

/// `/release retry <step>` for a step still running (or not dispatched yet).
pub fn step_not_finished(name: &str) -> String {
    format!(
        "Step `{name}` has not finished (or has not started): there is nothing to run again yet. \
         The status comment shows where it stands."
    )
}

fn code_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    quoted.join(", ")
}

pub fn tag_problem_title(tag: &str) -> String {
    format!("releasebot: tag {tag} not released")
}

pub fn tag_disagrees(tag: &str, commit: &str, disagreements: &[(String, String)]) -> String {
    let mut text = format!(
        "Tag `{tag}` was not released: the version files at {commit} do not say `{tag}`:\n"
    );
    for (path, value) in disagreements {
        text.push_str(&format!("- `{path}` says `{value}`\n"));
    }
    text.push_str(
        "\nNothing was built or drafted. Fix the version files (`releasebot bump` does it), move the \
         tag to the fixed commit, then comment `/release retry` on the tracking issue.",
    );
    text
}

pub fn packaging_failed(workflow: &str, tag: &str, url: &str) -> String {
    format!(
        "The packaging workflow `{workflow}` failed on tag `{tag}`, so the release has no draft \
         with its assets yet: {url}\n\nFix the workflow, then comment `/release retry`: it is \
         dispatched on the tag again."
    )
}

pub fn packaging_made_no_draft(workflow: &str, tag: &str, maker: &str, url: &str) -> String {
    format!(
        "The packaging workflow `{workflow}` succeeded on tag `{tag}` but no draft release by \
         `{maker}` is on the tag: {url}\n\nCheck that the workflow makes a draft on the tag \
         (or set `packaging.made_by` to whoever makes it), then comment `/release retry`."
    )
}

pub fn packaging_workflow_unusable(workflow: &str, tag: &str, error: &str) -> String {
    format!(
        "The packaging workflow `{workflow}` could not be dispatched on tag `{tag}` ({error}). It \
         needs a `workflow_dispatch` trigger without required inputs. Fix it, or remove \
         `[packaging]` from the configuration, then comment `/release retry`."
    )
}

pub fn assets_refused(
    tag: &str,
    draft_url: &str,
    problems: &[crate::engine::AssetProblem],
) -> String {
    // The first line is what the status comment shows: the reasons are on it.
    let reasons: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    format!(
        "The draft release on tag `{tag}` is not ready, its assets are wrong: {} ({draft_url}).\n\n\
         Nothing was built. Fix the packaging (or the version files, then move the tag), delete \
         that draft, then comment `/release retry`: the packaging workflow is dispatched again \
         and its new draft checked.",
        reasons.join("; ")
    )
}

pub fn tag_not_in_template(tag: &str, template: &str) -> String {
    format!(
        "Tag `{tag}` looks like a version but is not of the form `{template}` that \
         `.github/releasebot.toml` sets for tags, so nothing was built or drafted. Push the tag in that \
         form, or change `tag` in the configuration."
    )
}

pub fn merge_disagrees(version: &str, commit: &str, disagreements: &[(String, String)]) -> String {
    let listed: Vec<String> = disagreements
        .iter()
        .map(|(path, value)| format!("`{path}` says `{value}`"))
        .collect();
    format!(
        "The merge commit {commit} does not say `{version}` ({}), so it was not tagged",
        listed.join(", ")
    )
}

/// The draft release: header, the notes (or why they are missing), the footer, and the marker.
pub fn release_body(
    config: &crate::config::Config,
    repository: &crate::event::Repository,
    version: &semver::Version,
    tag: &str,
    notes: &Result<String, String>,
    latest: bool,
    marker_line: &str,
) -> String {
    let mut body = String::new();
    if !config.notes.header.is_empty() {
        body.push_str(&config.notes.header);
        body.push_str("\n\n");
    }
    body.push_str(&notes_section(notes));
    body.push_str("\n\n");
    match &config.notes.footer {
        Some(footer) => body.push_str(footer),
        None => {
            body.push_str(&format!(
                "---\n**Docker images** ({}):\n",
                config.images.platforms.join(", ")
            ));
            for image in config.images.refs(version, latest) {
                body.push_str(&format!("- `{image}`\n"));
            }
            if config.version_files.iter().any(|f| f.path == "install.sh") {
                body.push_str(&format!(
                    "\nInstall: `bash <(curl -sfSL {}/raw/{tag}/install.sh)`\n",
                    repository.html_url
                ));
            }
        }
    }
    body.push_str(&format!("\n{marker_line}\n"));
    body
}

/// The draft's list of images with `:latest` beside each `<version>` image, or without it, as
/// `latest` now says; the rest of the body is left as it is (notes pasted over it included).
pub fn images_listed(
    body: &str,
    images: &crate::config::ImagesConfig,
    version: &semver::Version,
    latest: bool,
) -> String {
    let mut lines: Vec<String> = body.split('\n').map(str::to_string).collect();
    for image in &images.images {
        let versioned = format!("- `{}:{version}`", image.name);
        let moving = format!("- `{}:latest`", image.name);
        lines.retain(|line| *line != moving);
        if latest {
            if let Some(at) = lines.iter().position(|line| *line == versioned) {
                lines.insert(at + 1, moving);
            }
        }
    }
    lines.join("\n")
}

const NOTES: &str = "<!-- releasebot:notes -->";

fn notes_section(notes: &Result<String, String>) -> String {
    let text = match notes {
        Ok(text) => text.trim_end().to_string(),
        Err(why) => format!("_Release notes are pending: {why}._"),
    };
    format!("{NOTES}\n{text}\n{NOTES}")
}

/// The release body with new notes in place of the old ones; everything else is kept.
pub fn replace_notes(body: &str, notes: &Result<String, String>) -> String {
    let Some(start) = body.find(NOTES) else {
        return format!("{}\n\n{}\n", notes_section(notes), body);
    };
    let after = start + NOTES.len();
    let end = body[after..]
        .find(NOTES)
        .map_or(body.len(), |e| after + e + NOTES.len());
    format!("{}{}{}", &body[..start], notes_section(notes), &body[end..])
}

const IMAGES_RESULT: &str = "<!-- releasebot:images -->";

/// The draft release body with the build's result in place of any earlier one.
/// The draft's images section: the references pushed (each with the digest the images workflow
/// reported for its image, when it did), or the failure with its run.
pub fn record_images(
    body: &str,
    images: &[String],
    digests: &std::collections::BTreeMap<String, String>,
    success: bool,
    run_url: &str,
) -> String {
    let kept = match body.find(IMAGES_RESULT) {
        Some(at) => {
            let end = body[at + IMAGES_RESULT.len()..]
                .find(IMAGES_RESULT)
                .map_or(body.len(), |e| {
                    at + IMAGES_RESULT.len() + e + IMAGES_RESULT.len()
                });
            format!("{}{}", &body[..at], &body[end..])
        }
        None => body.to_string(),
    };
    let mut section = format!("{IMAGES_RESULT}\n");
    if success {
        section.push_str(&format!("**Images pushed** ([build]({run_url})):\n"));
        for image in images {
            let name = image
                .rsplit_once(':')
                .map_or(image.as_str(), |(name, _)| name);
            match digests.get(name) {
                Some(digest) => section.push_str(&format!("- `{image}` (`{digest}`)\n")),
                None => section.push_str(&format!("- `{image}`\n")),
            }
        }
    } else {
        section.push_str(&format!(
            "**The images build failed** ([run]({run_url})); comment `/release retry` on the tracking issue.\n"
        ));
    }
    section.push_str(IMAGES_RESULT);
    format!("{}\n\n{section}\n", kept.trim_end())
}

/// The answer to `/release <command> --dry-run` for a command on a started release.
pub fn dry_run_follow_up(command: &str, would: &str) -> String {
    format!(
        "**Dry run of `/release {command}`**: nothing was changed. The real command would {would}."
    )
}

/// The answer to `/release notes <url> --dry-run`.
pub fn dry_run_notes(url: &str, draft: Option<&str>) -> String {
    let mut would = format!("link {url} as the release notes document");
    if let Some(tag) = draft {
        would.push_str(&format!(
            " and put its text into the draft release on `{tag}` now"
        ));
    }
    dry_run_follow_up("notes", &would)
}

pub fn state_unreadable(problem: &str) -> String {
    format!(
        "I cannot tell where this release stands, so I changed nothing: {problem}. Fix it, then \
         comment again."
    )
}

/// A tag made by someone else between the bot's look and its act, on another commit.
pub fn tag_race_lost(tag: &str, existing: &str, merge_commit: &str) -> String {
    format!(
        "Tag `{tag}` was created on {existing} by someone else while releasebot was tagging the \
         merge commit {merge_commit}, so nothing was built or drafted"
    )
}

pub fn no_release_on_issue() -> String {
    "There is no release on this issue yet: start one with `/release <version>`.".to_string()
}

/// `/release <version>` on another issue than the one that tracks the version's release.
pub fn release_tracked_elsewhere(
    version: &str,
    home: IssueNumber,
    (pull, pull_url): (PullNumber, &str),
) -> String {
    format!(
        "Release {version} is already in flight, tracked in #{home} with pull request \
         [#{pull}]({pull_url}): its status comment and commands live there, so nothing was done \
         here. Comment on #{home}; to move the release here, `/release cancel` it there first, \
         then `/release {version}` here."
    )
}

/// `/release <version>` on an issue whose other release is still in flight.
pub fn another_release_in_flight(other: &str, status_url: &str, asked: &str) -> String {
    format!(
        "This issue tracks release {other}, which is still in flight ([status]({status_url})): one \
         issue follows one release, and `/release retry`, `cancel` and `status` here act on \
         {other}. Finish or `/release cancel` it first, or start {asked} on an issue of its own."
    )
}

pub fn notes_unreadable(url: &str, problem: &str) -> String {
    format!(
        "I could not read the release notes at {url}: {problem}. The draft release keeps its \
         previous text. Fix the document or its sharing settings, or link another with \
         `/release notes <url>`."
    )
}

/// `/release notes sync` where `notes.path` is off: there is no file to keep.
pub fn notes_sync_off() -> String {
    "There is no notes file to keep in step: `path` under `[notes]` in `.github/releasebot.toml` \
     is off. Set it (for example `docs/docs/releases/{version}.md`) and comment \
     `/release notes sync` again."
        .to_string()
}

/// `/release notes sync` when the release pull request is not open.
pub fn notes_sync_not_open(branch: &str) -> String {
    format!(
        "The notes file is kept in step on the release branch `{branch}` while its pull request \
         is open, and it is not open now: edit the notes where they are, or start the release \
         again."
    )
}

/// `/release notes sync` for the first release: nothing to compare with.
pub fn notes_sync_no_previous(version: &str) -> String {
    format!(
        "There is no release tag below {version} to list merged pull requests from, so the \
         notes file was left as it is: write it by hand for a first release."
    )
}

/// What the repository holds stops the sync.
pub fn notes_sync_problem(problem: &str) -> String {
    format!("I could not sync the release notes: {problem}. Nothing was committed.")
}

/// Someone pushed to the release branch while the notes were being written.
pub fn notes_sync_branch_moved(branch: &str) -> String {
    format!(
        "The release branch `{branch}` moved while I wrote the notes (a push came first), so \
         nothing was committed: comment `/release notes sync` again."
    )
}

/// What a sync did, or would do.
pub struct NotesSynced<'a> {
    pub path: &'a str,
    pub branch: &'a str,
    pub heading: &'a str,
    pub added: &'a [u64],
    pub left: usize,
    pub created: bool,
    pub nav: Option<&'a str>,
    /// Older closed pull requests than those looked at exist and were not read.
    pub gave_up: Option<usize>,
    /// The commit made, or `None` for a dry run.
    pub commit: Option<&'a str>,
}

pub fn notes_synced(synced: &NotesSynced<'_>) -> String {
    let mut done = Vec::new();
    if synced.created {
        done.push(format!("start `{}` from the template", synced.path));
    }
    if !synced.added.is_empty() {
        let numbers: Vec<String> = synced.added.iter().map(|n| format!("#{n}")).collect();
        done.push(format!(
            "add {} merged pull request{} under **{}** ({})",
            synced.added.len(),
            if synced.added.len() == 1 { "" } else { "s" },
            synced.heading,
            numbers.join(", ")
        ));
    }
    if let Some(nav) = synced.nav {
        done.push(format!("list it in the docs' navigation (`{nav}`)"));
    }
    let left = match synced.left {
        0 => "nothing is left to categorize".to_string(),
        1 => format!(
            "1 pull request is left to categorize under **{}**",
            synced.heading
        ),
        n => format!(
            "{n} pull requests are left to categorize under **{}**",
            synced.heading
        ),
    };
    let gave_up = synced.gave_up.map_or(String::new(), |looked| {
        format!(
            " Only the {looked} most recent closed pull requests were looked at: cite older ones \
             by hand."
        )
    });
    let text = if done.is_empty() {
        format!(
            "The release notes `{}` on `{}` are in step: every pull request merged since the \
             previous release is cited; {left}.",
            synced.path, synced.branch
        )
    } else {
        match synced.commit {
            Some(commit) => format!(
                "Synced the release notes on `{}` in {commit}: {}. Now {left}.",
                synced.branch,
                done.join(", ")
            ),
            None => format!(
                "**Dry run of `/release notes sync`**: nothing was changed. The real command would \
                 commit to `{}`: {}; then {left}.",
                synced.branch,
                done.join(", ")
            ),
        }
    };
    format!("{text}{gave_up}")
}

pub fn retry_cancelled(version: &str) -> String {
    format!("Release {version} was cancelled; start it again with `/release {version}`.")
}

/// `/release retry` while the release pull request is open: nothing of the release to run
/// again; a QA candidate that stopped (its tag and why) is run again by asking for it.
pub fn waiting_for_merge(stopped_candidate: Option<(&str, &str)>) -> String {
    let waiting =
        "Nothing to retry: the release pull request is open and waits for its checklist and a merge.";
    match stopped_candidate {
        None => waiting.to_string(),
        Some((tag, why)) => format!(
            "{waiting} QA candidate `{tag}` stopped ({why}): `/release candidate` runs it again \
             for the same commit."
        ),
    }
}

pub fn nothing_to_retry(version: &str) -> String {
    format!("Nothing to retry: every step of release {version} so far has succeeded.")
}

pub fn candidate_without_pull(branch: &str) -> String {
    format!(
        "No QA candidate made: a candidate is tagged on the head of the release branch `{branch}` \
         while its pull request is open, and there is none open. Start the release with \
         `/release <version>` (or reopen its pull request) first."
    )
}

pub fn candidate_after_merge(tag: &str) -> String {
    format!(
        "No QA candidate made: the release pull request is merged, so the release itself (tag \
         `{tag}`) is what is tested and published now."
    )
}

/// Asked again with no new commit on the release branch since the newest candidate.
pub fn candidate_no_new_commit(tag: &str, commit: &str, status_url: &str) -> String {
    format!(
        "Nothing new to test: QA candidate `{tag}` is the release branch's head ({commit}) \
         already, and it is [published]({status_url}). Push a fix to the release branch, then \
         ask again for the next candidate."
    )
}

/// A dry run of a candidate for a commit that has one.
pub fn candidate_dry_run_same_commit(tag: &str) -> String {
    format!(
        "make no new candidate: `{tag}` is the release branch's head already; go on with it \
         where it stopped, or say there is nothing new when it is published"
    )
}

/// A QA candidate's release title.
pub fn candidate_title(version: &str, n: u32) -> String {
    format!("{version} QA candidate {n} (testing release, not for production)")
}

/// A QA candidate's release notes: what it is, what it is not, and its images.
pub fn candidate_body(release: &str, tag: &str, images: &[String], marker: &str) -> String {
    let images: Vec<String> = images.iter().map(|i| format!("- `{i}`")).collect();
    format!(
        "**Testing release** of {release} for QA: tag `{tag}` on the release branch's head. It is \
         a pre-release, never Latest; the release itself is tagged after the merge.\n\n\
         Images:\n{}\n\n{marker}\n",
        images.join("\n")
    )
}

pub fn candidate_tag_elsewhere(tag: &str, found: &str, wanted: &str) -> String {
    format!(
        "tag `{tag}` already stands on {found}, not on the candidate's commit {wanted}; it was \
         not made by this candidate"
    )
}

pub fn candidate_release_not_ours(tag: &str, url: &str) -> String {
    format!(
        "the [release on `{tag}`]({url}) was not made by releasebot or the packaging workflow, so \
         it was left alone"
    )
}

pub fn candidate_images_failed(url: &str) -> String {
    format!("its [images build]({url}) failed")
}

pub fn candidate_packaging_failed(workflow: &str, url: &str) -> String {
    format!("the packaging workflow `{workflow}` [failed]({url})")
}

pub fn candidate_packaging_no_draft(workflow: &str, made_by: &str, url: &str) -> String {
    format!(
        "the packaging workflow `{workflow}` [finished]({url}) without a draft by `{made_by}` on \
         the tag"
    )
}

pub fn candidate_assets_refused(problems: &[crate::engine::AssetProblem]) -> String {
    let problems: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    format!("its assets were refused: {}", problems.join("; "))
}

pub fn cancel_too_late(tag: &str) -> String {
    format!(
        "Release can no longer be cancelled: tag `{tag}` exists (or the pull request was merged). \
         Delete the draft release and the tag by hand if the release must not happen."
    )
}

pub fn images_workflow_unusable(workflow: &str, tag: &str, problem: &str) -> String {
    format!(
        "The images for `{tag}` were not built: `.github/workflows/{workflow}` could not be \
         dispatched on the tag ({problem}). It needs a `workflow_dispatch` trigger with the inputs \
         `version` and `latest` at that tag. The draft release is ready; after fixing the workflow, \
         comment `/release retry` on the tracking issue."
    )
}

/// What releasebot was acting on when it failed for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActedOn<'a> {
    /// A comment on this issue (its address, empty when unknown).
    Comment { url: &'a str },
    /// The release pull request tracked on this issue, merged or closed.
    PullRequestClosed { number: PullNumber, merged: bool },
}

/// Told on the issue when a job failed in a way that waiting does not fix: nothing happens by
/// itself any more, so say what failed and what a person can do.
/// Why releasebot stopped trying a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GaveUp {
    /// GitHub refused in a way that waiting does not fix.
    Refused,
    /// It failed on every attempt the queue makes (App mode).
    Retried,
    /// The Actions run that handled it failed, and nothing runs it again by itself.
    NotRetried,
}

pub fn job_failed_permanently(acted_on: ActedOn<'_>, error: &str, why: GaveUp) -> String {
    let (what, again) = match acted_on {
        ActedOn::Comment { url } if !url.is_empty() => (
            format!("[this comment]({url})"),
            "comment the command again".to_string(),
        ),
        ActedOn::Comment { .. } => (
            "a comment on this issue".to_string(),
            "comment the command again".to_string(),
        ),
        ActedOn::PullRequestClosed { number, merged } => (
            format!(
                "pull request #{number} being {}",
                if merged { "merged" } else { "closed" }
            ),
            "comment `/release retry` here".to_string(),
        ),
    };
    let fence = if error.contains("```") { "````" } else { "```" };
    let (cause, redo) = match why {
        GaveUp::Refused => (
            "GitHub refused in a way that waiting does not fix",
            "or redeliver the delivery from the App's advanced settings",
        ),
        GaveUp::Retried => (
            "it failed on every attempt, over several minutes",
            "or redeliver the delivery from the App's advanced settings",
        ),
        GaveUp::NotRetried => (
            "the Actions run that handled it failed",
            "or re-run that workflow run from the Actions page",
        ),
    };
    format!(
        "releasebot could not act on {what}, and will not try again by itself: {cause}.\n\n\
         {fence}\n{}\n{fence}\n\nWhat to do: check that releasebot may still write to this \
         repository (the App's permissions that `releasebot manifest` lists, or the workflow's \
         token), fix the cause above, then {again} ({redo}); steps already done are not \
         repeated.",
        error.trim_end()
    )
}

/// Why the smoke step was skipped, and how to have it.
pub fn smoke_unusable(workflow: &str, problem: &str) -> String {
    format!(
        "`.github/workflows/{workflow}` could not be dispatched on the release branch ({problem}). \
         Add a workflow there with a `workflow_dispatch` trigger and the inputs `version` and \
         `sha` (the template `examples/workflows/release-smoke.yml` installs the release commit \
         and tries it), or set `[smoke] workflow` in `.github/releasebot.toml`"
    )
}

/// The release pull request's body with `item` unticked (the release notes, while pull
/// requests are left to categorize); everything else kept as it is.
pub fn pull_body_unticked(body: &str, item: &str) -> String {
    body.split('\n')
        .map(|line| match line.strip_prefix("- [x] ") {
            Some(ticked) if ticked == item => format!("- [ ] {item}"),
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const SMOKE_SECTION: &str = "<!-- releasebot:smoke -->";

/// The release pull request's body with the smoke test's result: the checklist items it covers
/// ticked when it passed (and only then), and one line that says how it went. Everything else
/// in the body, a person's own ticks included, is kept.
pub fn pull_body_with_smoke(
    body: &str,
    covers: &[String],
    record: &crate::status::SmokeRecord,
) -> String {
    use crate::status::SmokeState;
    let passed = record.state == SmokeState::Passed;
    let mut lines: Vec<String> = Vec::new();
    let mut kept_section = false;
    let mut in_section = false;
    let section = smoke_section(record);
    for line in body.split('\n') {
        if line.trim() == SMOKE_SECTION {
            in_section = !in_section;
            if in_section {
                kept_section = true;
                lines.extend(section.lines().map(String::from));
            }
            continue;
        }
        if in_section {
            continue;
        }
        let item = line
            .strip_prefix("- [ ] ")
            .or_else(|| line.strip_prefix("- [x] "));
        match item {
            Some(item) if covers.iter().any(|c| c == item) => {
                let tick = if passed { "x" } else { " " };
                lines.push(format!("- [{tick}] {item}"));
            }
            _ => lines.push(line.to_string()),
        }
    }
    let mut text = lines.join("\n");
    // A run just started on a pull request that never had a result says nothing yet.
    if !kept_section && record.state != SmokeState::Running {
        text = format!("{}\n\n{section}\n", text.trim_end());
    }
    text
}

fn smoke_section(record: &crate::status::SmokeRecord) -> String {
    use crate::status::SmokeState;
    let commit = record.sha.short();
    let run = record
        .run_url
        .as_deref()
        .map(|url| format!(" ([run]({url}))"))
        .unwrap_or_default();
    let line = match &record.state {
        SmokeState::Running => format!("**Smoke test** of `{commit}`: running{run}."),
        SmokeState::Passed => {
            format!("**Smoke test** of `{commit}`: ✅ passed{run}; the items it covers are ticked.")
        }
        SmokeState::Failed { conclusion } => format!(
            "**Smoke test** of `{commit}`: ❌ `{conclusion}`{run}. Fix the cause and push, or \
             comment `/release retry` on the tracking issue."
        ),
        SmokeState::Skipped { why } => format!("**Smoke test**: skipped: {why}."),
    };
    format!("{SMOKE_SECTION}\n{line}\n{SMOKE_SECTION}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_permanent_failure_says_what_failed_and_what_to_do_without_marking_the_comment_answered() {
        let text = job_failed_permanently(
            ActedOn::Comment {
                url: "https://github.com/o/r/issues/3#issuecomment-9",
            },
            "release 0.1.3: branch failed: GitHub answered 422 to POST /repos/o/r/git/refs: Validation Failed",
            GaveUp::Refused,
        );
        assert_eq!(
            text,
            "releasebot could not act on [this comment](https://github.com/o/r/issues/3#issuecomment-9), \
             and will not try again by itself: GitHub refused in a way that waiting does not fix.\n\n\
             ```\nrelease 0.1.3: branch failed: GitHub answered 422 to POST /repos/o/r/git/refs: \
             Validation Failed\n```\n\n\
             What to do: check that releasebot may still write to this repository (the App's \
             permissions that `releasebot manifest` lists, or the workflow's token), fix the cause \
             above, then comment the command again (or redeliver the delivery from the App's \
             advanced settings); steps already done are not repeated."
        );
        // Commenting again must run the command: a reply marker would make it "already answered".
        assert_eq!(crate::status::replied_to(&text), None);
    }

    #[test]
    fn a_pull_request_failure_asks_for_a_retry_and_an_error_with_a_fence_stays_fenced() {
        let text = job_failed_permanently(
            ActedOn::PullRequestClosed {
                number: PullNumber(12),
                merged: true,
            },
            "odd ``` error",
            GaveUp::NotRetried,
        );
        assert!(
            text.starts_with("releasebot could not act on pull request #12 being merged,"),
            "{text}"
        );
        assert!(text.contains("````\nodd ``` error\n````"), "{text}");
        assert!(
            text.contains("then comment `/release retry` here (or re-run that workflow run"),
            "{text}"
        );
    }
}
