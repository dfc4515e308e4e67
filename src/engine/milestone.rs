//! The release pull request put on its milestone (`pr_milestone`, e.g. `v0.2.1`), made when
//! missing, as `gh pr create -m` does by hand. Bookkeeping rather than a release step: when
//! GitHub refuses, the release goes on and the status comment says why and what to do.

use crate::config::Config;
use crate::domain::PullNumber;
use crate::github::models::Milestone;
use crate::github::{ApiError, RepoClient};

/// Puts pull request `pull` on the configured milestone; `None` when done (or none is
/// configured), else what went wrong, for the status comment.
pub async fn put_on(
    gh: &RepoClient,
    config: &Config,
    version: &semver::Version,
    pull: PullNumber,
) -> Option<String> {
    let title = config.pr_milestone.as_ref()?.render(version);
    let number = match milestone_number(gh, &title).await {
        Ok(number) => number,
        Err(problem) => return Some(problem),
    };
    gh.set_milestone(pull.as_issue(), number)
        .await
        .err()
        .map(|error| format!("GitHub refused to set it on the pull request ({error})"))
}

/// The milestone titled `title`: found (open or closed), or made.
async fn milestone_number(gh: &RepoClient, title: &str) -> Result<u64, String> {
    let listed = |error: ApiError| format!("GitHub did not list the milestones ({error})");
    if let Some(number) = by_title(&gh.milestones().await.map_err(listed)?, title) {
        return Ok(number);
    }
    match gh.create_milestone(title).await {
        Ok(made) => Ok(made.number),
        // Made meanwhile (by a person, or another run): the one now listed is it.
        Err(error) if error.is_unprocessable() => {
            let now = gh.milestones().await.map_err(listed)?;
            by_title(&now, title)
                .ok_or_else(|| format!("GitHub refused to make milestone `{title}` ({error})"))
        }
        Err(error) => Err(format!(
            "GitHub refused to make milestone `{title}` ({error})"
        )),
    }
}

/// The number of the milestone with exactly this title.
fn by_title(milestones: &[Milestone], title: &str) -> Option<u64> {
    milestones
        .iter()
        .find(|m| m.title == title)
        .map(|m| m.number)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn milestone(number: u64, title: &str) -> Milestone {
        Milestone {
            number,
            title: title.into(),
        }
    }

    #[test]
    fn a_milestone_is_found_by_its_exact_title() {
        let listed = [milestone(3, "v0.2.0"), milestone(7, "v0.2.1")];
        assert_eq!(by_title(&listed, "v0.2.1"), Some(7));
        assert_eq!(by_title(&listed, "v0.2"), None);
        assert_eq!(by_title(&listed, "V0.2.1"), None);
    }
}
