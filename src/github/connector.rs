//! How the bot obtains an authenticated octocrab for the repository an event came from.

use octocrab::Octocrab;

#[derive(Clone)]
pub enum Connector {
    /// One token for every repository: a personal access token, the Actions `GITHUB_TOKEN`, or the
    /// simulated GitHub's token.
    Token(Octocrab),
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

    /// The client to act on a repository of the given installation.
    pub async fn for_installation(&self, _installation: Option<u64>) -> Octocrab {
        match self {
            Connector::Token(octocrab) => octocrab.clone(),
        }
    }
}
