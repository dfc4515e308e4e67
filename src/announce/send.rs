//! Posting one announcement, retried only where a retry cannot post it twice.

use std::time::Duration;

use super::channel::{Channel, Target};
use super::message::Facts;

/// How often, and how patiently, a post is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub attempts: u32,
    /// The wait before the second attempt; each later one waits twice as long.
    pub first_wait: Duration,
    /// For one attempt, connecting included.
    pub timeout: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 4,
            first_wait: Duration::from_secs(2),
            timeout: Duration::from_secs(10),
        }
    }
}

/// Why an announcement was not (known to be) posted. Shown on the status comment: it names the
/// target by kind and host only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The service said no for good (a 4xx other than 429): a wrong address or token.
    #[error("{target} refused it ({status}{detail}); fix the address or token, then retry")]
    Refused {
        target: String,
        status: u16,
        detail: String,
    },
    /// Every attempt failed in a way that says the message was not taken (5xx, 429, no
    /// connection).
    #[error("{target} did not take it after {attempts} attempts (last: {last})")]
    Unavailable {
        target: String,
        attempts: u32,
        last: String,
    },
    /// The request went out and no answer came back: it may have been posted. Not retried, so
    /// that no one gets it twice; a person checks the channel.
    #[error("{target} gave no answer ({reason}): it may have been posted; check the channel before sending it again")]
    Unknown { target: String, reason: String },
}

/// Posts `text` to `target`: at most `retry.attempts` times, and again only after an answer
/// that says the message was not taken — except on Matrix, whose transaction id `txn` makes a
/// repeat the same message, so there even a lost answer is retried.
pub async fn send(
    client: &reqwest::Client,
    target: &Target,
    (text, facts, txn): (&str, &Facts, &str),
    retry: Retry,
) -> Result<u32, SendError> {
    let request = target.request(text, facts, txn);
    let idempotent = request.method == "PUT";
    let mut wait = retry.first_wait;
    let mut last = String::new();
    for attempt in 1..=retry.attempts.max(1) {
        if attempt > 1 {
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .expect("a method this module names");
        let mut builder = client
            .request(method, request.url.clone())
            .timeout(retry.timeout)
            .json(&request.body);
        if let Some(token) = &request.bearer {
            builder = builder.bearer_auth(token);
        }
        match builder.send().await.map_err(reqwest::Error::without_url) {
            Ok(response) if response.status().is_success() => return Ok(attempt),
            Ok(response) => {
                let status = response.status().as_u16();
                let detail: String = response
                    .text()
                    .await
                    .unwrap_or_default()
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect();
                if status != 429 && status < 500 {
                    return Err(SendError::Refused {
                        target: target.shown(),
                        status,
                        detail: if detail.is_empty() {
                            String::new()
                        } else {
                            format!(": {detail}")
                        },
                    });
                }
                last = format!("{status}");
            }
            // Never connected: nothing was sent.
            Err(error) if error.is_connect() => last = "no connection".into(),
            Err(error) if idempotent => last = plain(&error),
            Err(error) => {
                return Err(SendError::Unknown {
                    target: target.shown(),
                    reason: plain(&error),
                })
            }
        }
    }
    Err(SendError::Unavailable {
        target: target.shown(),
        attempts: retry.attempts.max(1),
        last,
    })
}

/// An error in words; its URL was taken out (a webhook's path is its secret).
fn plain(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".into()
    } else {
        error.to_string()
    }
}

impl Channel {
    /// The transaction id of this channel's announcement of this release: the same for every
    /// attempt and every job, so Matrix keeps one message.
    pub fn transaction(&self, name: &str, repository: &str, tag: &str) -> String {
        let raw = format!("releasebot-{repository}-{tag}-{name}");
        raw.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-._".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }
}
