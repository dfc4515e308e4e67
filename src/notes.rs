//! Fetching the release notes document a person linked. The URL comes from a comment, so the
//! fetch is narrow: HTTPS only (plain HTTP only to loopback, and only when allowed), a size cap
//! read as a stream, a total time cap, textual content only, valid UTF-8.

use std::time::Duration;

use futures_util::StreamExt;

#[derive(Debug, Clone)]
pub struct NotesPolicy {
    pub max_bytes: u64,
    pub timeout: Duration,
    /// Tests serve documents on 127.0.0.1 over plain HTTP.
    pub allow_http_loopback: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NotesError {
    #[error("`{0}` is not a URL")]
    NotAUrl(String),
    #[error("only https:// links are read")]
    NotHttps,
    #[error("links with a user name or password are not read")]
    HasUserInfo,
    #[error("the server answered {0}")]
    Status(u16),
    #[error("the document is `{0}`, not Markdown or plain text")]
    NotText(String),
    #[error("the document is larger than {0} bytes")]
    TooLarge(u64),
    #[error("the document is not UTF-8 text")]
    NotUtf8,
    #[error("the document could not be fetched: {0}")]
    Fetch(String),
}

fn check_url(raw: &str, policy: &NotesPolicy) -> Result<url::Url, NotesError> {
    let url = url::Url::parse(raw).map_err(|_| NotesError::NotAUrl(raw.to_string()))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(NotesError::HasUserInfo);
    }
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback && policy.allow_http_loopback => Ok(url),
        _ => Err(NotesError::NotHttps),
    }
}

/// The document's text.
pub async fn fetch(raw_url: &str, policy: &NotesPolicy) -> Result<String, NotesError> {
    let url = check_url(raw_url, policy)?;
    let client = reqwest::Client::builder()
        .timeout(policy.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| NotesError::Fetch(e.to_string()))?;
    let work = async {
        let response = client
            .get(url)
            .header("accept", "text/markdown, text/plain;q=0.9")
            .send()
            .await
            .map_err(|e| NotesError::Fetch(e.to_string()))?;
        if !response.status().is_success() {
            return Err(NotesError::Status(response.status().as_u16()));
        }
        let kind = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if !(kind.starts_with("text/markdown")
            || kind.starts_with("text/plain")
            || kind.starts_with("text/x-markdown"))
        {
            return Err(NotesError::NotText(kind));
        }
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| NotesError::Fetch(e.to_string()))?;
            if (body.len() + chunk.len()) as u64 > policy.max_bytes {
                return Err(NotesError::TooLarge(policy.max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        String::from_utf8(body).map_err(|_| NotesError::NotUtf8)
    };
    tokio::time::timeout(policy.timeout, work)
        .await
        .map_err(|_| NotesError::Fetch(format!("no complete answer within {:?}", policy.timeout)))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(allow: bool) -> NotesPolicy {
        NotesPolicy {
            max_bytes: 1024,
            timeout: Duration::from_secs(1),
            allow_http_loopback: allow,
        }
    }

    #[test]
    fn only_https_and_allowed_loopback_http_pass() {
        assert!(check_url("https://hackmd.io/abc/download", &policy(false)).is_ok());
        assert_eq!(
            check_url("http://hackmd.io/abc", &policy(true)),
            Err(NotesError::NotHttps)
        );
        assert_eq!(
            check_url("http://127.0.0.1:8080/n.md", &policy(false)),
            Err(NotesError::NotHttps)
        );
        assert!(check_url("http://127.0.0.1:8080/n.md", &policy(true)).is_ok());
        assert_eq!(
            check_url("https://user:pw@hackmd.io/x", &policy(false)),
            Err(NotesError::HasUserInfo)
        );
        assert!(matches!(
            check_url("notes please", &policy(false)),
            Err(NotesError::NotAUrl(_))
        ));
    }
}
