//! GitHub's side of the manifest flow: where the manifest form goes (github.com, an
//! organisation, or an Enterprise Server host), where its API is, and the conversion of the
//! redirect's code into the App's id, key and secrets.

use std::time::Duration;

use serde::Deserialize;

/// The API base for a GitHub web host: `api.github.com` for github.com, `/api/v3` on an
/// Enterprise Server host.
pub fn api_url_for(web: &url::Url) -> String {
    match web.host_str() {
        Some("github.com") | Some("www.github.com") => {
            crate::server::settings::DEFAULT_API_URL.to_string()
        }
        _ => format!("{}/api/v3", web.as_str().trim_end_matches('/')),
    }
}

/// Where the form posts the manifest: the signed-in person's account, or an organisation's.
pub fn new_app_url(web: &url::Url, org: Option<&str>, state: &str) -> String {
    let base = web.as_str().trim_end_matches('/');
    match org {
        Some(org) => format!("{base}/organizations/{org}/settings/apps/new?state={state}"),
        None => format!("{base}/settings/apps/new?state={state}"),
    }
}

/// An organisation's login as GitHub allows it: letters, digits and single inner hyphens.
pub fn valid_org(org: &str) -> bool {
    !org.is_empty()
        && org.len() <= 39
        && org.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !org.starts_with('-')
        && !org.ends_with('-')
}

/// What the conversion hands over. The key and the secrets are never printed or logged.
#[derive(Deserialize, Clone)]
pub struct NewApp {
    pub id: u64,
    pub slug: String,
    pub html_url: String,
    pub pem: String,
    pub webhook_secret: Option<String>,
}

impl std::fmt::Debug for NewApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApp")
            .field("id", &self.id)
            .field("slug", &self.slug)
            .field("html_url", &self.html_url)
            .finish_non_exhaustive()
    }
}

impl NewApp {
    /// The page where the App is installed on repositories.
    pub fn install_url(&self) -> String {
        format!("{}/installations/new", self.html_url.trim_end_matches('/'))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConversionError {
    /// 404: the code was converted already, is over an hour old, or was never GitHub's.
    CodeUnknown,
    /// Any other answer from GitHub, with its message.
    Refused { status: u16, message: String },
    /// GitHub could not be reached.
    Unreachable(String),
    /// GitHub answered 201 with something that is not an App.
    Unreadable(String),
}

/// A code as GitHub makes them; anything else is not sent on (it goes into the request path).
pub fn plausible_code(code: &str) -> bool {
    !code.is_empty() && code.len() <= 100 && code.chars().all(|c| c.is_ascii_alphanumeric())
}

/// `POST /app-manifests/{code}/conversions`: needs no credentials, works once, within the hour.
pub async fn convert(
    client: &reqwest::Client,
    api_url: &str,
    code: &str,
) -> Result<NewApp, ConversionError> {
    let url = format!(
        "{}/app-manifests/{code}/conversions",
        api_url.trim_end_matches('/')
    );
    let response = client
        .post(&url)
        .header("accept", "application/vnd.github+json")
        .header("x-github-api-version", "2022-11-28")
        .header(
            "user-agent",
            concat!("releasebot-setup/", env!("CARGO_PKG_VERSION")),
        )
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .map_err(|error| ConversionError::Unreachable(format!("{url}: {error}")))?;
    let status = response.status().as_u16();
    let body = response
        .bytes()
        .await
        .map_err(|error| ConversionError::Unreachable(error.to_string()))?;
    match status {
        201 => serde_json::from_slice(&body)
            .map_err(|error| ConversionError::Unreadable(error.to_string())),
        404 => Err(ConversionError::CodeUnknown),
        _ => {
            let message = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["message"].as_str().map(String::from))
                .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect());
            Err(ConversionError::Refused { status, message })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> url::Url {
        url::Url::parse(text).unwrap()
    }

    #[test]
    fn the_api_is_next_to_the_web_host() {
        assert_eq!(
            api_url_for(&url("https://github.com")),
            "https://api.github.com"
        );
        assert_eq!(
            api_url_for(&url("https://ghe.example.org/")),
            "https://ghe.example.org/api/v3"
        );
    }

    #[test]
    fn the_manifest_goes_to_the_account_or_the_organisation() {
        assert_eq!(
            new_app_url(&url("https://github.com"), None, "s1"),
            "https://github.com/settings/apps/new?state=s1"
        );
        assert_eq!(
            new_app_url(&url("https://ghe.example.org/"), Some("centerofci"), "s1"),
            "https://ghe.example.org/organizations/centerofci/settings/apps/new?state=s1"
        );
    }

    #[test]
    fn only_plausible_names_and_codes_are_used() {
        assert!(valid_org("mathesar-foundation"));
        assert!(!valid_org("../evil") && !valid_org("") && !valid_org("-x"));
        assert!(plausible_code("a180b1a3d263c81bc6441d7b990bae27d4c10679"));
        assert!(!plausible_code("../../user") && !plausible_code(""));
    }

    #[test]
    fn debug_output_never_shows_the_key_or_the_secret() {
        let app = NewApp {
            id: 7,
            slug: "releasebot".into(),
            html_url: "https://github.com/apps/releasebot".into(),
            pem: "PEM-TEXT".into(),
            webhook_secret: Some("SECRET".into()),
        };
        let shown = format!("{app:?}");
        assert!(
            !shown.contains("PEM-TEXT") && !shown.contains("SECRET"),
            "{shown}"
        );
        assert_eq!(
            app.install_url(),
            "https://github.com/apps/releasebot/installations/new"
        );
    }
}
