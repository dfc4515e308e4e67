//! Merging a pull request through the API, with GitHub's reasons for not merging it told apart.

use serde_json::json;

use super::client::RepoClient;
use super::prefetch::Changed;
use super::ApiError;
use crate::domain::PullNumber;

/// What GitHub did with a merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Merged {
    Merged {
        sha: String,
    },
    /// 405: not mergeable now — a conflict, a required check not passed yet, a review wanted;
    /// GitHub's message says which.
    NotMergeable(String),
    /// 409: the head moved since it was read.
    HeadMoved,
}

#[derive(serde::Deserialize)]
struct MergeAnswer {
    sha: String,
}

impl RepoClient {
    /// Merges pull request `number` with a merge commit (history on both branches kept).
    pub async fn merge_pull(&self, number: PullNumber, title: &str) -> Result<Merged, ApiError> {
        let route = self.route(&format!("pulls/{number}/merge"));
        let body = json!({ "merge_method": "merge", "commit_title": title });
        match self
            .put::<_, MergeAnswer>(route, &body, Changed::Pulls)
            .await
        {
            Ok(answer) => Ok(Merged::Merged { sha: answer.sha }),
            Err(ApiError::Status {
                status: 405,
                message,
                ..
            }) => Ok(Merged::NotMergeable(message)),
            Err(ApiError::Status { status: 409, .. }) => Ok(Merged::HeadMoved),
            Err(error) => Err(error),
        }
    }

    /// The open pull requests from `head` into `base`, in this repository.
    pub async fn open_pulls_between(
        &self,
        head: &str,
        base: &str,
    ) -> Result<Vec<super::models::PullRequest>, ApiError> {
        let route = self.route(&format!(
            "pulls?state=open&head={}:{}&base={}",
            super::client::encode_path(self.owner()),
            super::client::encode_path(head),
            super::client::encode_path(base)
        ));
        self.get(route).await
    }
}
