//! Whether a webhook request is let in, decided from its headers and raw body alone (no I/O):
//! rejected with a status and a reason, a ping, an event the bot has no use for, or a delivery
//! to queue.

use bytes::Bytes;

use super::signature;
use crate::event;

/// GitHub caps a delivery at 25 MiB.
pub const MAX_BODY: usize = 25 * 1024 * 1024;

/// The request parts that matter, taken from the HTTP request by the handler.
pub struct Request<'a> {
    pub event: Option<&'a str>,
    pub delivery_id: Option<&'a str>,
    pub signature_256: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub body: &'a Bytes,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    Reject {
        status: u16,
        reason: String,
    },
    Ping,
    /// Verified, but no event the engine acts on: answered 202 and dropped.
    Ignore {
        event: String,
        reason: String,
    },
    Queue {
        event: String,
        delivery_id: String,
        repo: String,
    },
}

fn reject(status: u16, reason: impl Into<String>) -> Admission {
    Admission::Reject {
        status,
        reason: reason.into(),
    }
}

/// What the headers alone decide, before a byte of the body is read: the event and delivery id
/// (validated), and the signature check to feed the body through as it arrives.
pub struct Head {
    pub event: String,
    pub delivery_id: String,
    pub verifier: signature::Verifier,
}

pub fn check_head(
    secret: &[u8],
    event: Option<&str>,
    delivery_id: Option<&str>,
    signature_256: Option<&str>,
) -> Result<Head, Admission> {
    let Some(event) = event.map(str::trim).filter(|e| !e.is_empty()) else {
        return Err(reject(400, "the X-GitHub-Event header is missing"));
    };
    if event.len() > 64 || !event.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(reject(400, "X-GitHub-Event is not an event name"));
    }
    let Some(delivery_id) = delivery_id.map(str::trim).filter(|d| !d.is_empty()) else {
        return Err(reject(400, "the X-GitHub-Delivery header is missing"));
    };
    if delivery_id.len() > 128 || !delivery_id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(reject(400, "X-GitHub-Delivery is not a delivery id"));
    }
    let verifier = signature::Verifier::new(secret, signature_256).map_err(unauthorized)?;
    Ok(Head {
        event: event.to_string(),
        delivery_id: delivery_id.to_string(),
        verifier,
    })
}

fn unauthorized(error: signature::SignatureError) -> Admission {
    let hint = match error {
        signature::SignatureError::Missing => {
            " (set a webhook secret on the App; X-Hub-Signature alone is not accepted)"
        }
        _ => "",
    };
    reject(401, format!("{error}{hint}"))
}

/// The whole check at once (the server runs `check_head`, reads the body through the verifier,
/// then `admit_body`).
pub fn admit(secret: &[u8], request: &Request<'_>) -> Admission {
    let mut head = match check_head(
        secret,
        request.event,
        request.delivery_id,
        request.signature_256,
    ) {
        Ok(head) => head,
        Err(rejected) => return rejected,
    };
    head.verifier.update(request.body);
    let Head {
        event,
        delivery_id,
        verifier,
    } = head;
    admit_body(
        &event,
        &delivery_id,
        verifier.finish(),
        request.content_type,
        request.body,
    )
}

/// Judges the body once it is read and its signature computed.
pub fn admit_body(
    event: &str,
    delivery_id: &str,
    signature: Result<(), signature::SignatureError>,
    content_type: Option<&str>,
    body: &[u8],
) -> Admission {
    if let Err(error) = signature {
        return unauthorized(error);
    }
    if let Some(content_type) = content_type {
        let media = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if media != "application/json" {
            return reject(
                415,
                format!(
                    "content type `{media}` is not accepted: set the webhook's content type to application/json"
                ),
            );
        }
    }
    let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if first != Some(b'{') {
        return reject(400, "the body is not a JSON object");
    }
    // Only what ordering and filtering need; the rest of the payload is skipped, not built.
    let headline: event::Headline = match serde_json::from_slice(body) {
        Ok(headline) => headline,
        Err(error) => return reject(400, format!("the body is not valid JSON: {error}")),
    };
    if event == "ping" {
        return Admission::Ping;
    }
    if !event::may_act_on(event, &headline) {
        let reason = match &headline.action {
            Some(action) => format!("`{event}` with action `{action}` is not handled"),
            None => format!("event `{event}` is not handled"),
        };
        return Admission::Ignore {
            event: event.to_string(),
            reason,
        };
    }
    let repo = headline.repository_name();
    // The queue keys jobs by it and the logs name it: only a name GitHub could have made.
    if !repo.is_empty() && !crate::names::is_full_name(repo) {
        return reject(
            400,
            format!(
                "repository.full_name {:?} is not a GitHub repository name",
                repo.escape_debug().take(120).collect::<String>()
            ),
        );
    }
    Admission::Queue {
        event: event.to_string(),
        delivery_id: delivery_id.to_string(),
        repo: repo.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    const SECRET: &[u8] = b"webhook secret";

    fn sign(body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET).unwrap();
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    fn admit_body(event: &str, body: &str) -> Admission {
        let bytes = Bytes::from(body.to_string());
        let signature = sign(body.as_bytes());
        admit(
            SECRET,
            &Request {
                event: Some(event),
                delivery_id: Some("72d3162e-cc78-11e3-81ab-4c9367dc0958"),
                signature_256: Some(&signature),
                content_type: Some("application/json"),
                body: &bytes,
            },
        )
    }

    #[test]
    fn a_comment_is_queued_under_its_repository() {
        let admission = admit_body(
            "issue_comment",
            r#"{"action":"created","comment":{"body":"/release 0.1.3"},"repository":{"full_name":"mathesar-foundation/mathesar","id":1}}"#,
        );
        assert_eq!(
            admission,
            Admission::Queue {
                event: "issue_comment".into(),
                delivery_id: "72d3162e-cc78-11e3-81ab-4c9367dc0958".into(),
                repo: "mathesar-foundation/mathesar".into()
            }
        );
    }

    #[test]
    fn an_edited_comment_or_a_star_is_dropped_with_the_reason() {
        assert_eq!(
            admit_body("issue_comment", r#"{"action":"edited"}"#),
            Admission::Ignore {
                event: "issue_comment".into(),
                reason: "`issue_comment` with action `edited` is not handled".into()
            }
        );
        assert!(matches!(
            admit_body("watch", r#"{"action":"started"}"#),
            Admission::Ignore { .. }
        ));
    }

    #[test]
    fn a_branch_push_is_dropped_and_a_tag_push_is_queued() {
        assert!(matches!(
            admit_body("push", r#"{"ref":"refs/heads/master","deleted":false}"#),
            Admission::Ignore { .. }
        ));
        assert!(matches!(
            admit_body(
                "push",
                r#"{"ref":"refs/tags/0.1.3","deleted":false,"repository":{"full_name":"o/r"}}"#
            ),
            Admission::Queue { .. }
        ));
    }

    #[test]
    fn fields_of_an_unexpected_type_do_not_refuse_the_delivery() {
        assert!(matches!(
            admit_body(
                "deployment",
                r#"{"action":"created","ref":{"odd":true},"deleted":"no","repository":{"id":1}}"#
            ),
            Admission::Ignore { .. }
        ));
    }

    #[test]
    fn ping_is_answered() {
        assert_eq!(
            admit_body("ping", r#"{"zen":"Keep it logically awesome."}"#),
            Admission::Ping
        );
    }

    #[test]
    fn json_that_is_not_an_object_or_not_json_is_refused() {
        for body in ["[1,2]", "\"text\"", "{\"action\":", "", "payload=%7B%7D"] {
            assert!(
                matches!(
                    admit_body("push", body),
                    Admission::Reject { status: 400, .. }
                ),
                "{body:?}"
            );
        }
    }

    #[test]
    fn missing_headers_are_named() {
        let body = Bytes::from_static(b"{}");
        let signature = sign(b"{}");
        let without = |event, delivery| {
            admit(
                SECRET,
                &Request {
                    event,
                    delivery_id: delivery,
                    signature_256: Some(&signature),
                    content_type: None,
                    body: &body,
                },
            )
        };
        assert_eq!(
            without(None, Some("d")),
            reject(400, "the X-GitHub-Event header is missing")
        );
        assert_eq!(
            without(Some("push"), None),
            reject(400, "the X-GitHub-Delivery header is missing")
        );
    }

    #[test]
    fn a_form_encoded_delivery_is_told_to_use_json() {
        let body = Bytes::from_static(b"payload=%7B%7D");
        let signature = sign(&body);
        let admission = admit(
            SECRET,
            &Request {
                event: Some("push"),
                delivery_id: Some("d"),
                signature_256: Some(&signature),
                content_type: Some("application/x-www-form-urlencoded"),
                body: &body,
            },
        );
        assert!(
            matches!(admission, Admission::Reject { status: 415, ref reason } if reason.contains("application/json")),
            "{admission:?}"
        );
    }

    #[test]
    fn the_signature_is_checked_before_anything_in_the_body_is_believed() {
        let body = Bytes::from_static(br#"{"action":"created"}"#);
        let admission = admit(
            SECRET,
            &Request {
                event: Some("issue_comment"),
                delivery_id: Some("d"),
                signature_256: None,
                content_type: Some("application/json"),
                body: &body,
            },
        );
        assert!(
            matches!(admission, Admission::Reject { status: 401, ref reason } if reason.contains("X-Hub-Signature alone is not accepted")),
            "{admission:?}"
        );
    }
}
