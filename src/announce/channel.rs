//! Where an announcement goes, and the one HTTP request each kind of place takes, in the shape
//! its service documents.

use serde_json::json;

use super::message::Facts;

/// A kind of place, as the configuration names it (secrets by environment variable only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    /// A Slack or Mattermost incoming webhook: `POST {"text": …}`.
    Slack { url_env: String },
    /// A Discord webhook: `POST {"content": …}`.
    Discord { url_env: String },
    /// A Matrix room, through the client-server API: `PUT …/rooms/{room}/send/m.room.message/{txn}`
    /// with an access token.
    Matrix {
        homeserver: String,
        room: String,
        token_env: String,
    },
    /// Any service: `POST` of the text and the release's facts as one JSON object.
    Json { url_env: String },
}

/// A channel with its secrets read: ready to send to. Its `Debug` shows no secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    channel: Channel,
    /// The webhook's address (Slack, Discord, JSON) or the room's send address base (Matrix).
    url: url::Url,
    token: Option<String>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Target({})", self.shown())
    }
}

/// Why a channel cannot be sent to; names the variable, never its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("the environment variable {variable} is not set")]
    Unset { variable: String },
    #[error("the environment variable {variable} does not hold an http(s) address")]
    NotAUrl { variable: String },
    #[error("the Matrix homeserver `{homeserver}` is not an http(s) address")]
    Homeserver { homeserver: String },
}

/// One request, as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: &'static str,
    pub url: url::Url,
    pub bearer: Option<String>,
    pub body: serde_json::Value,
}

impl Channel {
    /// Reads the channel's secrets from `env` (the process environment, in production).
    pub fn resolve(&self, env: impl Fn(&str) -> Option<String>) -> Result<Target, TargetError> {
        let read = |variable: &str| {
            env(variable)
                .filter(|value| !value.trim().is_empty())
                .ok_or_else(|| TargetError::Unset {
                    variable: variable.into(),
                })
        };
        let web = |variable: &str| -> Result<url::Url, TargetError> {
            let value = read(variable)?;
            url::Url::parse(value.trim())
                .ok()
                .filter(|url| matches!(url.scheme(), "http" | "https"))
                .ok_or_else(|| TargetError::NotAUrl {
                    variable: variable.into(),
                })
        };
        let (url, token) = match self {
            Channel::Slack { url_env }
            | Channel::Discord { url_env }
            | Channel::Json { url_env } => (web(url_env)?, None),
            Channel::Matrix {
                homeserver,
                room,
                token_env,
            } => {
                let refused = || TargetError::Homeserver {
                    homeserver: homeserver.clone(),
                };
                let mut url = url::Url::parse(homeserver)
                    .ok()
                    .filter(|url| matches!(url.scheme(), "http" | "https"))
                    .ok_or_else(refused)?;
                url.path_segments_mut()
                    .map_err(|()| refused())?
                    .pop_if_empty()
                    .extend(["_matrix", "client", "v3", "rooms", room.as_str(), "send"])
                    .push("m.room.message");
                (url, Some(read(token_env)?))
            }
        };
        Ok(Target {
            channel: self.clone(),
            url,
            token,
        })
    }

    /// The kind, as the configuration and the status comment name it.
    pub fn kind(&self) -> &'static str {
        match self {
            Channel::Slack { .. } => "slack",
            Channel::Discord { .. } => "discord",
            Channel::Matrix { .. } => "matrix",
            Channel::Json { .. } => "json",
        }
    }
}

impl Target {
    /// The request that posts `text`. `txn` identifies this announcement of this release: Matrix
    /// keeps one message per transaction id, so a repeat is harmless there.
    pub fn request(&self, text: &str, facts: &Facts, txn: &str) -> Request {
        let (method, body) = match &self.channel {
            Channel::Slack { .. } => ("POST", json!({ "text": text })),
            Channel::Discord { .. } => ("POST", json!({ "content": text })),
            Channel::Matrix { .. } => ("PUT", json!({ "msgtype": "m.text", "body": text })),
            Channel::Json { .. } => (
                "POST",
                json!({
                    "text": text,
                    "repository": facts.repository,
                    "version": facts.version,
                    "tag": facts.tag,
                    "release_url": facts.release_url,
                    "notes_url": facts.notes_url,
                }),
            ),
        };
        let mut url = self.url.clone();
        if matches!(self.channel, Channel::Matrix { .. }) {
            if let Ok(mut segments) = url.path_segments_mut() {
                segments.push(txn);
            }
        }
        Request {
            method,
            url,
            bearer: self.token.clone(),
            body,
        }
    }

    /// What may be said of the target in a log or a comment: the kind and host, never the
    /// webhook's path (which is its secret) nor a token.
    pub fn shown(&self) -> String {
        format!(
            "{} at {}",
            self.channel.kind(),
            self.url.host_str().unwrap_or("?")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            repository: "o/r".into(),
            version: "1.2.0".into(),
            tag: "v1.2.0".into(),
            release_url: "https://github.com/o/r/releases/tag/v1.2.0".into(),
            notes_url: String::new(),
        }
    }

    fn env(name: &str) -> Option<String> {
        match name {
            "RELEASEBOT_ANNOUNCE_SLACK" => {
                Some("https://hooks.slack.com/services/T0/B0/secret".into())
            }
            "RELEASEBOT_ANNOUNCE_MATRIX_TOKEN" => Some("syt_token".into()),
            "RELEASEBOT_ANNOUNCE_FILE" => Some("/etc/passwd".into()),
            _ => None,
        }
    }

    #[test]
    fn slack_and_discord_get_their_documented_bodies() {
        let slack = Channel::Slack {
            url_env: "RELEASEBOT_ANNOUNCE_SLACK".into(),
        }
        .resolve(env)
        .unwrap();
        let request = slack.request("1.2.0 is out", &facts(), "t1");
        assert_eq!(
            (request.method, request.body),
            ("POST", json!({"text": "1.2.0 is out"}))
        );
        assert_eq!(slack.shown(), "slack at hooks.slack.com");
        assert!(!format!("{slack:?}").contains("secret"));

        let discord = Channel::Discord {
            url_env: "RELEASEBOT_ANNOUNCE_SLACK".into(),
        }
        .resolve(env)
        .unwrap();
        assert_eq!(
            discord.request("hi", &facts(), "t1").body,
            json!({"content": "hi"})
        );
    }

    #[test]
    fn matrix_puts_an_m_text_message_under_the_transaction_id_with_the_token() {
        let matrix = Channel::Matrix {
            homeserver: "https://matrix.example.org/".into(),
            room: "!abc:example.org".into(),
            token_env: "RELEASEBOT_ANNOUNCE_MATRIX_TOKEN".into(),
        }
        .resolve(env)
        .unwrap();
        let request = matrix.request("1.2.0 is out", &facts(), "releasebot-o-r-v1.2.0-team");
        assert_eq!(request.method, "PUT");
        assert_eq!(
            request.url.as_str(),
            "https://matrix.example.org/_matrix/client/v3/rooms/!abc:example.org/send/m.room.message/releasebot-o-r-v1.2.0-team"
        );
        assert_eq!(request.bearer.as_deref(), Some("syt_token"));
        assert_eq!(
            request.body,
            json!({"msgtype": "m.text", "body": "1.2.0 is out"})
        );
    }

    #[test]
    fn json_carries_the_facts_beside_the_text() {
        let target = Channel::Json {
            url_env: "RELEASEBOT_ANNOUNCE_SLACK".into(),
        }
        .resolve(env)
        .unwrap();
        let body = target.request("out", &facts(), "t").body;
        assert_eq!(body["text"], "out");
        assert_eq!(body["tag"], "v1.2.0");
        assert_eq!(
            body["release_url"],
            "https://github.com/o/r/releases/tag/v1.2.0"
        );
    }

    #[test]
    fn a_missing_or_odd_secret_is_named_by_its_variable_never_by_its_value() {
        let unset = Channel::Slack {
            url_env: "RELEASEBOT_ANNOUNCE_NONE".into(),
        }
        .resolve(env)
        .unwrap_err();
        assert_eq!(
            unset.to_string(),
            "the environment variable RELEASEBOT_ANNOUNCE_NONE is not set"
        );
        let odd = Channel::Json {
            url_env: "RELEASEBOT_ANNOUNCE_FILE".into(),
        }
        .resolve(env)
        .unwrap_err();
        assert_eq!(
            odd.to_string(),
            "the environment variable RELEASEBOT_ANNOUNCE_FILE does not hold an http(s) address"
        );
    }
}
