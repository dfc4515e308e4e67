//! How the bot obtains an authenticated octocrab for the repository an event came from.

use std::sync::Arc;

use octocrab::Octocrab;

use super::app_auth::InstallationTokens;
use super::ApiError;

#[derive(Clone)]
pub enum Connector {
    /// One token for every repository: a personal access token, the Actions `GITHUB_TOKEN`, or the
    /// simulated GitHub's token.
    Token(Octocrab),
    /// A GitHub App: an installation token per event's installation.
    App {
        base_url: String,
        tokens: Arc<InstallationTokens>,
    },
}

impl Connector {
    /// A token-authenticated client for `base_url` (e.g. `https://api.github.com/`, a GitHub
    /// Enterprise `https://ghe.example.com/api/v3/`, or the simulated GitHub).
    pub fn with_token(base_url: &str, token: &str) -> Result<Connector, octocrab::Error> {
        let octocrab = Octocrab::builder()
            .base_uri(base_url)?
            .personal_token(token.to_string())
            .build()?;
        Ok(Connector::Token(octocrab))
    }

    pub fn app(base_url: &str, tokens: InstallationTokens) -> Connector {
        Connector::App {
            base_url: base_url.to_string(),
            tokens: Arc::new(tokens),
        }
    }

    /// The client to act on a repository of the given installation.
    pub async fn for_installation(&self, installation: Option<u64>) -> Result<Octocrab, ApiError> {
        match self {
            Connector::Token(octocrab) => Ok(octocrab.clone()),
            Connector::App { base_url, tokens } => {
                let installation = installation.ok_or_else(|| ApiError::Transport {
                    method: "POST",
                    route: "/app/installations/{id}/access_tokens".into(),
                    detail: "the event names no installation, so the App cannot act on it".into(),
                })?;
                let token = tokens.token(installation).await?;
                let wrap = |e| ApiError::from_octocrab("POST", "/app/installations", e);
                Octocrab::builder()
                    .base_uri(base_url.as_str())
                    .map_err(wrap)?
                    .personal_token(token)
                    .build()
                    .map_err(wrap)
            }
        }
    }

    /// Drops the cached token of an installation after GitHub refused it (a 401).
    pub async fn forget_token(&self, installation: u64) {
        if let Connector::App { tokens, .. } = self {
            tokens.forget(installation).await;
        }
    }
}
