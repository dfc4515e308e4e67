//! After publication, the branch the release went into is merged back into the development
//! branch (`merge_back`; Mathesar merges `master` into `develop`): through the open pull request
//! between them when there is one, else one the bot opens, merged with a merge commit when
//! GitHub allows it. What holds it (a conflict, a check, a review) is shown on the status comment
//! and the rest of the release goes on; `/release retry` tries again.

use super::context::Context;
use super::conversation::StatusComment;
use super::outcome::EngineError;
use crate::domain::PullNumber;
use crate::github::Merged;
use crate::status::{MergeBackRecord, MergeBackState};

/// Whether the merge back is due: configured, and not done or given up on — or waiting, on
/// `/release retry`.
pub fn due(into: Option<&str>, record: Option<&MergeBackRecord>, retry: bool) -> bool {
    into.is_some()
        && match record.map(|r| &r.state) {
            None => true,
            Some(MergeBackState::Waiting { .. }) => retry,
            Some(MergeBackState::Merged | MergeBackState::NothingToMerge) => false,
        }
}

/// Merges back where it is due, recording the result in `status` (drawn by the caller).
pub async fn run(
    ctx: &Context<'_>,
    version: &semver::Version,
    status: &mut StatusComment,
    retry: bool,
) -> Result<bool, EngineError> {
    let into = ctx.config.merge_back.as_deref();
    if !due(into, status.marker.merge_back.as_ref(), retry) {
        return Ok(false);
    }
    let into = into.expect("due only when configured").to_string();
    let from = ctx.config.merge_into(&ctx.repository.default_branch);
    let record = |pull: Option<(PullNumber, String)>, state| MergeBackRecord {
        from: from.clone(),
        into: into.clone(),
        pull: pull.as_ref().map(|(n, _)| *n),
        pull_url: pull.map(|(_, url)| url),
        state,
    };
    if from == into || ctx.gh.commits_between(&into, &from).await?.is_empty() {
        status.marker.merge_back = Some(record(None, MergeBackState::NothingToMerge));
        return Ok(true);
    }
    let open = ctx.gh.open_pulls_between(&from, &into).await?;
    let pull = match open.into_iter().next() {
        Some(pull) => pull,
        None => {
            let title = format!("Merge {from} into {into} after {version}");
            let body = format!(
                "Release {version} is published from `{from}`; this brings `{into}` up to date \
                 with it. Opened by releasebot, merged by it when GitHub allows."
            );
            ctx.gh
                .create_pull(&title, (&from, &into), &body, false)
                .await?
        }
    };
    let title = format!(
        "Merge {from} into {into} after {version} (#{})",
        pull.number
    );
    let state = match ctx.gh.merge_pull(pull.number, &title).await? {
        Merged::Merged { .. } => MergeBackState::Merged,
        Merged::NotMergeable(reason) => MergeBackState::Waiting {
            reason: format!("GitHub says: {reason}"),
        },
        Merged::HeadMoved => MergeBackState::Waiting {
            reason: format!("`{from}` moved while merging"),
        },
    };
    status.marker.merge_back = Some(record(Some((pull.number, pull.html_url)), state));
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(state: MergeBackState) -> MergeBackRecord {
        MergeBackRecord {
            from: "master".into(),
            into: "develop".into(),
            pull: Some(PullNumber(9)),
            pull_url: None,
            state,
        }
    }

    #[test]
    fn merging_back_is_due_once_and_again_on_retry_only_while_it_waits() {
        let waiting = record(MergeBackState::Waiting {
            reason: "conflict".into(),
        });
        let merged = record(MergeBackState::Merged);
        assert!(!due(None, None, true), "not configured");
        assert!(due(Some("develop"), None, false));
        assert!(!due(Some("develop"), Some(&waiting), false), "a redelivery");
        assert!(due(Some("develop"), Some(&waiting), true));
        assert!(!due(Some("develop"), Some(&merged), true));
    }
}
