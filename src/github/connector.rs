//! How the bot obtains an authenticated octocrab for the repository an event came from.

use std::sync::Arc;

use octocrab::Octocrab;

use super::app_auth::InstallationTokens;
use super::http_builder::builder;
use super::{ApiError, RepoClient};

#[derive(Clone)]
pub enum Connector {
    /// One token for every repository: a personal access token, the Actions `GITHUB_TOKEN`, or the
    /// simulated GitHub's token. `graphql` is the same token at GitHub's GraphQL endpoint.
    Token { rest: Octocrab, graphql: Octocrab },
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
        let rest = builder()
            .base_uri(base_url)?
            .personal_token(token.to_string())
            .build()?;
        let graphql = builder()
            .base_uri(graphql_base(base_url))?
            .personal_token(token.to_string())
            .build()?;
        Ok(Connector::Token { rest, graphql })
    }

    pub fn app(base_url: &str, tokens: InstallationTokens) -> Connector {
        Connector::App {
            base_url: base_url.to_string(),
            tokens: Arc::new(tokens),
        }
    }

    /// The client for one repository of the given installation, REST and GraphQL.
    pub async fn repo_client(
        &self,
        installation: Option<u64>,
        owner: &str,
        name: &str,
    ) -> Result<RepoClient, ApiError> {
        let (rest, graphql) = match self {
            Connector::Token { rest, graphql } => (rest.clone(), graphql.clone()),
            Connector::App { base_url, tokens } => {
                let token = tokens.token(required(installation)?).await?;
                let build = |base: &str| {
                    builder()
                        .base_uri(base)
                        .map_err(|e| ApiError::from_octocrab("POST", "/app/installations", e))?
                        .personal_token(token.clone())
                        .build()
                        .map_err(|e| ApiError::from_octocrab("POST", "/app/installations", e))
                };
                (build(base_url)?, build(&graphql_base(base_url))?)
            }
        };
        Ok(RepoClient::new(rest, owner, name).with_graphql(graphql))
    }

    /// The REST client to act on a repository of the given installation.
    pub async fn for_installation(&self, installation: Option<u64>) -> Result<Octocrab, ApiError> {
        match self {
            Connector::Token { rest, .. } => Ok(rest.clone()),
            Connector::App { base_url, tokens } => {
                let token = tokens.token(required(installation)?).await?;
                let wrap = |e| ApiError::from_octocrab("POST", "/app/installations", e);
                builder()
                    .base_uri(base_url.as_str())
                    .map_err(wrap)?
                    .personal_token(token)
                    .build()
                    .map_err(wrap)
            }
        }
    }

    /// The login the bot acts as, the only author whose markers and pull requests it trusts:
    /// an App's `<slug>[bot]` (from `GET /app`), else the token's user (`GET /user`, which
    /// refuses Actions and installation tokens: those callers name the login themselves).
    pub async fn own_login(&self) -> Result<String, ApiError> {
        match self {
            Connector::App { tokens, .. } => Ok(format!("{}[bot]", tokens.app_slug().await?)),
            Connector::Token { rest: octocrab, .. } => {
                #[derive(serde::Deserialize)]
                struct Me {
                    login: String,
                }
                let me: Me = octocrab
                    .get("/user", None::<&()>)
                    .await
                    .map_err(|e| ApiError::from_octocrab("GET", "/user", e))?;
                Ok(me.login)
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

/// An App acts for an installation; an event that names none cannot be acted on.
fn required(installation: Option<u64>) -> Result<u64, ApiError> {
    installation.ok_or_else(|| ApiError::Unsendable {
        method: "POST",
        route: "/app/installations/{id}/access_tokens".into(),
        detail: "the event names no installation, so the App cannot act on it".into(),
    })
}

/// Where GitHub's GraphQL endpoint is, given the REST API's base: `https://api.github.com/graphql`
/// beside `https://api.github.com/`, and `https://HOST/api/graphql` beside an Enterprise
/// server's `https://HOST/api/v3/`. (The client appends `/graphql` to this base.)
fn graphql_base(rest_base: &str) -> String {
    let trimmed = rest_base.trim_end_matches('/');
    trimmed.strip_suffix("/v3").unwrap_or(trimmed).to_string()
}

#[cfg(test)]
mod tests {
    use super::graphql_base;

    #[test]
    fn graphql_is_beside_the_rest_api_on_github_com_and_enterprise() {
        assert_eq!(
            graphql_base("https://api.github.com/"),
            "https://api.github.com"
        );
        assert_eq!(
            graphql_base("https://ghe.example.com/api/v3/"),
            "https://ghe.example.com/api"
        );
        assert_eq!(
            graphql_base("http://127.0.0.1:4000"),
            "http://127.0.0.1:4000"
        );
    }
}
