//! Announcements reach a webhook receiver on 127.0.0.1 in each service's documented shape, once:
//! a 500 is tried again, a refusal is not, and a post whose answer was lost is never sent twice
//! (except to Matrix, whose transaction id makes the repeat the same message).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{post, put};
use axum::{Json, Router};
use releasebot::announce::{send, Channel, Facts, Retry, SendError};

/// What the receiver does with each request, in order; after the list, it answers 200.
#[derive(Clone, Copy)]
pub enum Answer {
    Status(u16),
    /// Never answers (the sender times out).
    Silence,
}

#[derive(Default)]
struct Received {
    /// Every request: path, bearer token, body.
    requests: Vec<(String, Option<String>, serde_json::Value)>,
    /// The messages the service kept (answered with success; Matrix keeps one per txn id).
    kept: Vec<serde_json::Value>,
    script: Vec<Answer>,
}

type Shared = Arc<Mutex<Received>>;

async fn handle(
    state: &Shared,
    path: String,
    headers: &HeaderMap,
    body: serde_json::Value,
    txn: Option<String>,
) -> StatusCode {
    let answer = {
        let mut r = state.lock().unwrap();
        let bearer = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(String::from);
        r.requests.push((path, bearer, body.clone()));
        let answer = if r.script.is_empty() {
            None
        } else {
            Some(r.script.remove(0))
        };
        if answer.is_none() {
            let repeat = txn.is_some() && r.kept.iter().any(|k| k["txn"] == serde_json::json!(txn));
            if !repeat {
                let mut kept = body;
                if let Some(txn) = txn {
                    kept["txn"] = serde_json::json!(txn);
                }
                r.kept.push(kept);
            }
        }
        answer
    };
    match answer {
        None => StatusCode::OK,
        Some(Answer::Status(code)) => StatusCode::from_u16(code).unwrap(),
        Some(Answer::Silence) => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            StatusCode::OK
        }
    }
}

pub struct Receiver {
    pub url: String,
    state: Shared,
}

impl Receiver {
    pub async fn start(script: Vec<Answer>) -> Receiver {
        let state: Shared = Arc::new(Mutex::new(Received {
            script,
            ..Received::default()
        }));
        let app = Router::new()
            .route(
                "/hooks/{secret}",
                post(
                    |State(s): State<Shared>,
                     Path(secret): Path<String>,
                     h: HeaderMap,
                     Json(b): Json<serde_json::Value>| async move {
                        handle(&s, format!("/hooks/{secret}"), &h, b, None).await
                    },
                ),
            )
            .route(
                "/_matrix/client/v3/rooms/{room}/send/m.room.message/{txn}",
                put(
                    |State(s): State<Shared>,
                     Path((room, txn)): Path<(String, String)>,
                     h: HeaderMap,
                     Json(b): Json<serde_json::Value>| async move {
                        handle(&s, format!("/rooms/{room}"), &h, b, Some(txn)).await
                    },
                ),
            )
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { url, state }
    }

    pub fn kept(&self) -> Vec<serde_json::Value> {
        self.state.lock().unwrap().kept.clone()
    }

    pub fn requests(&self) -> usize {
        self.state.lock().unwrap().requests.len()
    }
}

fn facts() -> Facts {
    Facts {
        repository: "mathesar-foundation/mathesar".into(),
        version: "0.2.1".into(),
        tag: "0.2.1".into(),
        release_url: "https://github.com/mathesar-foundation/mathesar/releases/tag/0.2.1".into(),
        notes_url: "https://docs.mathesar.org/releases/0.2.1/".into(),
    }
}

fn quick() -> Retry {
    Retry {
        attempts: 3,
        first_wait: Duration::from_millis(20),
        timeout: Duration::from_millis(500),
    }
}

fn webhook(receiver: &Receiver, channel: fn(String) -> Channel) -> releasebot::announce::Target {
    let url = format!("{}/hooks/T000-secret", receiver.url);
    channel("RELEASEBOT_ANNOUNCE_TEST".into())
        .resolve(|_| Some(url.clone()))
        .unwrap()
}

fn slack(url_env: String) -> Channel {
    Channel::Slack { url_env }
}

fn discord(url_env: String) -> Channel {
    Channel::Discord { url_env }
}

#[tokio::test]
async fn a_slack_post_answered_500_then_200_is_one_message() {
    let receiver = Receiver::start(vec![Answer::Status(500)]).await;
    let target = webhook(&receiver, slack);

    let attempts = send(
        &reqwest::Client::new(),
        &target,
        ("Mathesar 0.2.1 is out", &facts(), "t"),
        quick(),
    )
    .await
    .unwrap();

    assert_eq!(attempts, 2);
    assert_eq!(
        receiver.kept(),
        vec![serde_json::json!({"text": "Mathesar 0.2.1 is out"})]
    );
}

#[tokio::test]
async fn discord_gets_content_and_a_refusal_is_not_tried_again() {
    let receiver = Receiver::start(vec![]).await;
    send(
        &reqwest::Client::new(),
        &webhook(&receiver, discord),
        ("out", &facts(), "t"),
        quick(),
    )
    .await
    .unwrap();
    assert_eq!(receiver.kept(), vec![serde_json::json!({"content": "out"})]);

    let refusing = Receiver::start(vec![Answer::Status(404)]).await;
    let error = send(
        &reqwest::Client::new(),
        &webhook(&refusing, discord),
        ("out", &facts(), "t"),
        quick(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, SendError::Refused { status: 404, .. }),
        "{error}"
    );
    assert_eq!(refusing.requests(), 1);
    assert!(
        !error.to_string().contains("T000-secret"),
        "the webhook's path is its secret: {error}"
    );
}

#[tokio::test]
async fn a_post_whose_answer_never_came_is_not_sent_again() {
    let receiver = Receiver::start(vec![Answer::Silence]).await;

    let error = send(
        &reqwest::Client::new(),
        &webhook(&receiver, slack),
        ("out", &facts(), "t"),
        quick(),
    )
    .await
    .unwrap_err();

    assert!(matches!(error, SendError::Unknown { .. }), "{error}");
    assert_eq!(receiver.requests(), 1, "never twice");
    assert!(
        error.to_string().contains("it may have been posted"),
        "{error}"
    );
    assert!(!error.to_string().contains("T000-secret"), "{error}");
}

#[tokio::test]
async fn matrix_repeats_a_lost_answer_under_the_same_transaction_and_the_room_keeps_one_message() {
    let receiver = Receiver::start(vec![Answer::Silence]).await;
    let channel = Channel::Matrix {
        homeserver: receiver.url.clone(),
        room: "!release:example.org".into(),
        token_env: "RELEASEBOT_ANNOUNCE_MATRIX_TOKEN".into(),
    };
    let target = channel.resolve(|_| Some("syt_secret".into())).unwrap();
    let txn = channel.transaction("team", "mathesar-foundation/mathesar", "0.2.1");

    send(
        &reqwest::Client::new(),
        &target,
        ("Mathesar 0.2.1 is out", &facts(), &txn),
        quick(),
    )
    .await
    .unwrap();

    let requests = receiver.state.lock().unwrap().requests.clone();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].0, "/rooms/!release:example.org");
    assert_eq!(requests[1].1.as_deref(), Some("syt_secret"));
    assert_eq!(
        receiver.kept(),
        vec![serde_json::json!({"msgtype": "m.text", "body": "Mathesar 0.2.1 is out", "txn": txn})]
    );
}

#[tokio::test]
async fn no_receiver_at_all_is_said_after_the_last_attempt() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks/x", closed.local_addr().unwrap());
    drop(closed);
    let target = slack("RELEASEBOT_ANNOUNCE_TEST".into())
        .resolve(|_| Some(url.clone()))
        .unwrap();

    let error = send(
        &reqwest::Client::new(),
        &target,
        ("out", &facts(), "t"),
        quick(),
    )
    .await
    .unwrap_err();

    assert_eq!(
        error.to_string(),
        "slack at 127.0.0.1 did not take it after 3 attempts (last: no connection)"
    );
}

// ----- a published release, announced by the engine -----

mod published {
    use std::collections::BTreeMap;

    use releasebot::engine::Engine;
    use releasebot::github::Connector;
    use simulated_github::MergeMethod;

    use super::*;
    use crate::harness::*;

    /// Mathesar whose configuration announces to Slack, Discord and a Matrix room on the
    /// receiver, with the secrets in the engine's environment (one variable left unset when
    /// asked, as an operator might forget it).
    async fn announcing_mathesar(receiver: &Receiver, forget: Option<&str>) -> Scenario {
        let config = format!(
            "[[announce]]\nname = \"team\"\nkind = \"slack\"\nurl_env = \"RELEASEBOT_ANNOUNCE_SLACK\"\nmessage = \"Mathesar {{version}} is out: {{release_url}}\"\n\n\
             [[announce]]\nname = \"community\"\nkind = \"discord\"\nurl_env = \"RELEASEBOT_ANNOUNCE_DISCORD\"\nmessage = \"Mathesar {{version}} is out\"\n\n\
             [[announce]]\nname = \"matrix\"\nkind = \"matrix\"\nhomeserver = \"{}\"\nroom = \"!mathesar:matrix.org\"\ntoken_env = \"RELEASEBOT_ANNOUNCE_MATRIX_TOKEN\"\nmessage = \"Mathesar {{version}}: {{release_url}}\"\n",
            receiver.url
        );
        let mut s = Scenario::mathesar_altered(|dir| {
            std::fs::create_dir_all(dir.join(".github")).unwrap();
            std::fs::write(dir.join(".github/releasebot.toml"), config).unwrap();
        })
        .await;
        let mut env = BTreeMap::from([
            (
                "RELEASEBOT_ANNOUNCE_SLACK".to_string(),
                format!("{}/hooks/slack-secret", receiver.url),
            ),
            (
                "RELEASEBOT_ANNOUNCE_DISCORD".to_string(),
                format!("{}/hooks/discord-secret", receiver.url),
            ),
            (
                "RELEASEBOT_ANNOUNCE_MATRIX_TOKEN".to_string(),
                "syt_secret".to_string(),
            ),
        ]);
        if let Some(name) = forget {
            env.remove(name);
        }
        let connector = Connector::with_token(&s.sim.url(), BOT_TOKEN).unwrap();
        s.use_engine(
            Engine::new(connector)
                .with_login(BOT)
                .allowing_http_notes_on_loopback()
                .with_announcements(env, quick()),
        );
        s
    }

    /// The release, drafted with its images built; the maintainer publishes it.
    async fn publish(s: &Scenario) {
        only(s.comment(MAINTAINER, "/release 0.1.3").await);
        s.finish_smoke_run("success").await;
        s.merge_release_pull(MergeMethod::Merge).await;
        s.finish_images_run("success").await;
        let draft = s.sim.releases(REPO)[0].id;
        s.sim.publish_release(REPO, draft, MAINTAINER).unwrap();
    }

    fn bodies(receiver: &Receiver) -> Vec<String> {
        receiver
            .kept()
            .iter()
            .map(|k| {
                let text = k.get("text").or(k.get("content")).or(k.get("body"));
                text.and_then(|t| t.as_str())
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    }

    #[tokio::test]
    async fn publishing_announces_in_each_place_once_even_when_the_publication_is_delivered_again()
    {
        let receiver = Receiver::start(vec![]).await;
        let s = announcing_mathesar(&receiver, None).await;
        publish(&s).await;
        let deliveries = s.sim.take_deliveries();
        let published = deliveries
            .iter()
            .find(|d| d.event == "release" && d.payload["action"] == "published")
            .expect("GitHub sends `release` `published`")
            .payload
            .clone();
        for delivery in &deliveries {
            s.redeliver(&delivery.event, &delivery.payload)
                .await
                .unwrap();
        }

        let kept = receiver.kept();
        assert_eq!(kept.len(), 3, "{kept:#?}");
        let text = kept[0]["text"].as_str().unwrap();
        assert!(
            text.starts_with("Mathesar 0.1.3 is out: http")
                && text.ends_with("/releases/tag/0.1.3"),
            "{text}"
        );
        assert_eq!(
            kept[1],
            serde_json::json!({"content": "Mathesar 0.1.3 is out"})
        );
        assert_eq!(kept[2]["msgtype"], "m.text");
        let status = s.status_comment();
        assert!(
            status.contains("- **team** (slack at 127.0.0.1): ✅ posted"),
            "{status}"
        );
        assert!(
            status.contains("- **matrix** (matrix at 127.0.0.1): ✅ posted"),
            "{status}"
        );
        assert!(
            !status.contains("secret"),
            "no secret on the issue: {status}"
        );

        // GitHub's "Redeliver": nobody hears of 0.1.3 twice.
        s.redeliver("release", &published).await.unwrap();
        assert_eq!(receiver.kept().len(), 3);
        assert_eq!(receiver.requests(), 3);
    }

    #[tokio::test]
    async fn an_announcement_answered_500_then_200_is_posted_once() {
        let receiver = Receiver::start(vec![Answer::Status(500)]).await;
        let s = announcing_mathesar(&receiver, None).await;
        publish(&s).await;
        s.deliver().await;

        assert_eq!(bodies(&receiver).len(), 3);
        assert_eq!(receiver.requests(), 4, "the first one was tried twice");
        assert!(!s.status_comment().contains("❌"));
    }

    #[tokio::test]
    async fn a_refused_announcement_is_shown_and_retry_sends_only_it() {
        let receiver = Receiver::start(vec![Answer::Status(404)]).await;
        let s = announcing_mathesar(&receiver, None).await;
        publish(&s).await;
        s.deliver().await;
        let status = s.status_comment();
        assert!(
            status
                .contains("- **team** (slack at 127.0.0.1): ❌ slack at 127.0.0.1 refused it (404"),
            "{status}"
        );
        assert!(
            status.contains("`/release retry` sends it again"),
            "{status}"
        );
        assert_eq!(receiver.kept().len(), 2);

        // The webhook is fixed; the release owner asks again.
        s.comment(MAINTAINER, "/release retry").await;

        assert_eq!(receiver.kept().len(), 3, "only the refused one again");
        assert!(s
            .status_comment()
            .contains("- **team** (slack at 127.0.0.1): ✅ posted"));
        let again = only(s.comment(MAINTAINER, "/release retry").await);
        assert_eq!(
            again,
            releasebot::engine::Outcome::Answered(releasebot::engine::Reply::NothingToRetry)
        );
        assert_eq!(receiver.kept().len(), 3);
    }

    #[tokio::test]
    async fn a_secret_not_set_where_releasebot_runs_is_named_on_the_status() {
        let receiver = Receiver::start(vec![]).await;
        let s = announcing_mathesar(&receiver, Some("RELEASEBOT_ANNOUNCE_DISCORD")).await;
        publish(&s).await;
        s.deliver().await;

        let status = s.status_comment();
        assert!(
            status.contains("- **community** (discord): ❌ the environment variable RELEASEBOT_ANNOUNCE_DISCORD is not set: set it where releasebot runs"),
            "{status}"
        );
        assert_eq!(receiver.kept().len(), 2, "the others are posted");
    }

    #[tokio::test]
    async fn a_dry_run_names_each_place_the_release_will_be_announced_and_posts_nothing() {
        let receiver = Receiver::start(vec![]).await;
        let s = announcing_mathesar(&receiver, None).await;

        only(s.comment(MAINTAINER, "/release 0.1.3 --dry-run").await);

        let said = s.bot_comments().join("\n");
        assert!(
            said.contains("5. once a person publishes the release: announce it to `team` (slack), `community` (discord), `matrix` (matrix)."),
            "{said}"
        );
        assert_eq!(receiver.requests(), 0);
    }
}
