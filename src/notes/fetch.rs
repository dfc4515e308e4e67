//! One document over HTTPS, every hop checked: scheme, user info, host allow-list, and the
//! resolved address (connected to exactly as checked, so DNS cannot switch it in between);
//! at most five redirects; a size cap read as a stream; one time cap for everything;
//! Markdown or plain text only; UTF-8.

use std::net::SocketAddr;

use futures_util::StreamExt;

use super::guard::is_forbidden;
use super::{NotesError, NotesPolicy};

const MAX_REDIRECTS: usize = 5;

/// The document's text. One deadline covers every hop and the whole body, so a server that
/// trickles bytes cannot hold the worker.
pub async fn fetch(raw_url: &str, policy: &NotesPolicy) -> Result<String, NotesError> {
    let seconds = policy.timeout.as_secs().max(1);
    tokio::time::timeout(policy.timeout, follow(raw_url, policy))
        .await
        .map_err(|_| NotesError::TimedOut(seconds))?
}

async fn follow(raw_url: &str, policy: &NotesPolicy) -> Result<String, NotesError> {
    let mut url = url::Url::parse(raw_url).map_err(|_| NotesError::NotAUrl(raw_url.to_string()))?;
    for _hop in 0..=MAX_REDIRECTS {
        let address = check(&url, policy).await?;
        let host = url.host_str().unwrap_or_default().to_string();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .resolve(&host, address)
            .build()
            .map_err(|e| NotesError::Other(e.to_string()))?;
        let response = client
            .get(url.clone())
            .header("accept", "text/markdown, text/plain;q=0.9")
            .send()
            .await
            .map_err(|e| NotesError::Other(format!("the document could not be fetched: {e}")))?;
        if response.status().is_redirection() {
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .ok_or(NotesError::Status(response.status().as_u16()))?;
            url = url
                .join(location)
                .map_err(|_| NotesError::NotAUrl(location.to_string()))?;
            continue;
        }
        return read_body(response, policy.max_bytes).await;
    }
    Err(NotesError::TooManyRedirects(MAX_REDIRECTS))
}

/// Checks one hop and returns the address to connect to.
async fn check(url: &url::Url, policy: &NotesPolicy) -> Result<SocketAddr, NotesError> {
    if !url.username().is_empty() || url.password().is_some() {
        return Err(NotesError::HasUserInfo);
    }
    let host = url
        .host_str()
        .ok_or_else(|| NotesError::NotAUrl(url.to_string()))?
        .to_ascii_lowercase();
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let literal_loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let rehearsal = policy.allow_http_loopback && literal_loopback;
    match url.scheme() {
        "https" => {}
        "http" if rehearsal || explicitly_allowed_host(&host, port, policy) => {}
        _ => return Err(NotesError::NotHttps),
    }
    let host_allowed = policy
        .allowed_hosts
        .iter()
        .any(|h| h.eq_ignore_ascii_case(&host))
        || rehearsal
        || explicitly_allowed_host(&host, port, policy);
    if !host_allowed {
        return Err(NotesError::HostNotAllowed(host));
    }
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|_| NotesError::Unresolvable(host.clone()))?
        .collect();
    let first = *addresses
        .first()
        .ok_or_else(|| NotesError::Unresolvable(host.clone()))?;
    // Every address must pass: a name resolving to a public and a private address is refused.
    for address in &addresses {
        let allowed = policy.allowed_addresses.contains(address)
            || (policy.allow_http_loopback && address.ip().is_loopback())
            || !is_forbidden(address.ip());
        if !allowed {
            return Err(NotesError::PrivateAddress {
                host,
                address: address.ip().to_string(),
            });
        }
    }
    Ok(first)
}

fn explicitly_allowed_host(host: &str, port: u16, policy: &NotesPolicy) -> bool {
    host.parse::<std::net::IpAddr>().is_ok_and(|ip| {
        policy
            .allowed_addresses
            .contains(&SocketAddr::new(ip, port))
    })
}

async fn read_body(response: reqwest::Response, max_bytes: u64) -> Result<String, NotesError> {
    if !response.status().is_success() {
        return Err(NotesError::Status(response.status().as_u16()));
    }
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let textual = ["text/markdown", "text/x-markdown", "text/plain"]
        .iter()
        .any(|t| kind.starts_with(t));
    if !textual {
        return Err(NotesError::NotText(kind));
    }
    if response
        .content_length()
        .is_some_and(|length| length > max_bytes)
    {
        return Err(NotesError::TooLarge(max_bytes));
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| NotesError::Other(format!("the document could not be read: {e}")))?;
        if (body.len() + chunk.len()) as u64 > max_bytes {
            return Err(NotesError::TooLarge(max_bytes));
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|_| NotesError::NotUtf8)
}
