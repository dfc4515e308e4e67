//! Release notes from the document a person linked. The link comes from a comment and the fetch
//! runs next to the App's private key, so it is narrow on purpose: see `guard` and `fetch`.

mod fetch;
mod front_matter;
mod guard;
mod link;

use std::net::SocketAddr;
use std::time::Duration;

pub use fetch::fetch;
pub use front_matter::strip as strip_front_matter;
pub use link::{classify, gist_anchor_of, NotesSource};

#[derive(Debug, Clone)]
pub struct NotesPolicy {
    pub max_bytes: u64,
    /// For the whole fetch, redirects included.
    pub timeout: Duration,
    /// Host names a document may come from (redirect targets too).
    pub allowed_hosts: Vec<String>,
    /// Local rehearsals and tests: plain HTTP, and loopback addresses, are allowed.
    pub allow_http_loopback: bool,
    /// Addresses allowed even though they are private (an internal wiki, say).
    pub allowed_addresses: Vec<SocketAddr>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NotesError {
    #[error("`{0}` is not a link to a document")]
    NotAUrl(String),
    #[error("only https:// links are read")]
    NotHttps,
    #[error("links with a user name or password are not read")]
    HasUserInfo,
    #[error("`{0}` is not among the hosts notes may come from (`[notes] allowed_hosts`)")]
    HostNotAllowed(String),
    #[error("`{host}` resolves to {address}, a private or local address, which is never fetched")]
    PrivateAddress { host: String, address: String },
    #[error("`{0}` could not be resolved")]
    Unresolvable(String),
    #[error("more than {0} redirects")]
    TooManyRedirects(usize),
    #[error("the server answered {0}")]
    Status(u16),
    #[error("the document is `{0}`, not Markdown or plain text")]
    NotText(String),
    #[error("the document is larger than {0} bytes")]
    TooLarge(u64),
    #[error("the document is not UTF-8 text")]
    NotUtf8,
    #[error("no complete answer within {0} seconds")]
    TimedOut(u64),
    #[error("{0}")]
    Other(String),
}
