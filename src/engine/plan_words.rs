//! A plan in words, for the answer to a `--dry-run`: what the real command would do, drawn
//! from the same plan the handlers carry out.

use super::progress::Progress;
use super::stage::Plan;

/// What a follow-up plan would do, for a dry run.
pub fn describe(
    plan: &Plan,
    config: &crate::config::Config,
    version: &semver::Version,
    progress: &Progress,
) -> String {
    let tag = config.tag.render(version);
    let branch = config.branch.render(version);
    let workflow = &config.images.workflow;
    match plan {
        Plan::OpenPullRequest => format!(
            "make branch `{branch}` with the release commit if it is missing and open pull \
             request `{}`",
            config.pr_title.render(version)
        ),
        Plan::TagMergeCommit { merge_commit } => format!(
            "check that the version files at the merge commit {merge_commit} say `{version}`, \
             tag it `{tag}`, create the draft release and dispatch `{workflow}` on the tag"
        ),
        Plan::ReleaseTag => format!(
            "create the draft release `{}` if it is missing and dispatch `{workflow}` on tag `{tag}`",
            config.release_title.render(version)
        ),
        Plan::Redispatch { failed } => format!(
            "dispatch `{workflow}` on tag `{tag}` again, replacing the failed run {failed}"
        ),
        Plan::RebuildMoved { stale } => format!(
            "check the version files at tag `{tag}`'s commit, then dispatch `{workflow}` on it, \
             replacing run {stale}, which built another commit"
        ),
        Plan::Cancel => {
            let mut parts = Vec::new();
            let open = progress
                .pull
                .as_ref()
                .filter(|p| p.pull_state() == crate::domain::PullState::Open);
            if let Some(pull) = open {
                parts.push(format!("close pull request #{}", pull.number));
            }
            if progress.branch_head.is_some() {
                parts.push(format!("delete branch `{branch}`"));
            }
            parts.push(format!("mark release {version} cancelled"));
            parts.join(", ")
        }
        Plan::MarkCancelled => format!("mark release {version} cancelled"),
        Plan::Reopen => format!("take release {version} up again on its reopened pull request"),
        Plan::RecordSmoke => "record the smoke test's result".to_string(),
        Plan::TagElsewhere { tag_commit, .. } => {
            format!("report that tag `{tag}` stands on {tag_commit}, not on the merge commit")
        }
        Plan::RecordImages { run } => format!("record the result of images run {run}"),
        Plan::RunSmoke => format!(
            "dispatch `{}` on branch `{branch}` again to smoke-test its head",
            config.smoke.workflow
        ),
        Plan::AfterPublication => format!(
            "merge the released branch back where that waits, and announce release {version} \
             again where announcing it failed (not where it may have been posted already)"
        ),
        Plan::Candidate => candidate(config, version, None),
        Plan::AdvanceSteps => crate::messages::steps_advance_words(),
        Plan::ResumeSteps => crate::messages::steps_resume_words(&tag),
        Plan::RetryStep => crate::messages::steps_retry_words(&tag),
        Plan::Settle => "change nothing but the status comment, where it is behind".to_string(),
        Plan::Refuse(_) | Plan::Nothing(_) => "change nothing".to_string(),
    }
}

/// What `/release candidate` would do: candidate `n` when it is known.
pub fn candidate(
    config: &crate::config::Config,
    version: &semver::Version,
    n: Option<u32>,
) -> String {
    let branch = config.branch.render(version);
    let name = match n {
        Some(n) => format!(
            "`{}`",
            config.tag.render(&config.candidate.version(version, n))
        ),
        None => "the next number".to_string(),
    };
    let built = n.map_or_else(
        || "its own version".to_string(),
        |n| format!("`:{}`", config.candidate.version(version, n)),
    );
    let mut steps = vec![format!("tag the head of `{branch}` as QA candidate {name}")];
    match &config.packaging {
        Some(packaging) => steps.push(format!(
            "take its draft with the assets from `{}` and check them",
            packaging.workflow
        )),
        None => steps.push("make its release".to_string()),
    }
    steps.push(format!(
        "dispatch `{}` on it with `latest` false (images {built} only)",
        config.images.workflow
    ));
    steps.push("publish it as a pre-release that is never GitHub's Latest".to_string());
    steps.join(", ")
}
