//! The bot as a GitHub App: a JWT for the App, an installation token per installation, cached
//! and refreshed before it expires — against the simulated GitHub, which checks the JWT.

use releasebot::engine::{Engine, EngineError, Outcome};
use releasebot::github::app_auth::{AppCredentials, InstallationTokens};
use releasebot::github::Connector;
use simulated_github::Fault;

use crate::harness::*;

const KEY: &[u8] = include_bytes!("../fixtures/throwaway-app-key.pem");
const PUBLIC: &str = include_str!("../fixtures/throwaway-app-key.pub.pem");
const APP_ID: u64 = 4242;

fn app_engine(s: &Scenario, app_id: u64) -> Engine {
    let credentials = AppCredentials::from_pem(app_id, KEY).unwrap();
    Engine::new(Connector::app(
        &s.sim.url(),
        InstallationTokens::new(&s.sim.url(), credentials),
    ))
}

async fn deliver_to(engine: &Engine, s: &Scenario) -> Vec<Result<Outcome, EngineError>> {
    let mut outcomes = Vec::new();
    for delivery in s.sim.take_deliveries() {
        let body = serde_json::to_vec(&delivery.payload).unwrap();
        outcomes.push(engine.handle_delivery(&delivery.event, &body).await);
    }
    outcomes
}

fn token_requests(s: &Scenario) -> Vec<String> {
    s.api_calls()
        .into_iter()
        .filter(|c| c.contains("/access_tokens"))
        .collect()
}

#[tokio::test]
async fn the_app_gets_one_installation_token_and_reuses_it() {
    let s = Scenario::mathesar().await;
    s.sim.register_app(APP_ID, PUBLIC, BOT);
    let engine = app_engine(&s, APP_ID);
    let installation = s.sim.installation_id(REPO).unwrap();

    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release 0.1.3");
    let outcomes = deliver_to(&engine, &s).await;
    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release help");
    deliver_to(&engine, &s).await;

    assert!(
        matches!(outcomes[0], Ok(Outcome::ReleaseOpened { .. })),
        "{outcomes:?}"
    );
    assert_eq!(
        token_requests(&s),
        vec![format!(
            "POST /app/installations/{installation}/access_tokens -> 201"
        )],
        "one token for both events"
    );
    assert_eq!(s.sim.pulls(REPO)[0].author, BOT, "the App's bot acts");
}

#[tokio::test]
async fn a_token_about_to_expire_is_replaced_before_use() {
    let s = Scenario::mathesar().await;
    s.sim.register_app(APP_ID, PUBLIC, BOT);
    // Tokens that live less than the five-minute margin are never reused.
    s.sim.set_token_lifetime(120);
    let engine = app_engine(&s, APP_ID);

    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release help");
    deliver_to(&engine, &s).await;
    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release help");
    deliver_to(&engine, &s).await;

    assert_eq!(token_requests(&s).len(), 2);
}

#[tokio::test]
async fn an_app_github_does_not_know_fails_with_githubs_reason() {
    let s = Scenario::mathesar().await;
    s.sim.register_app(APP_ID, PUBLIC, BOT);
    let engine = app_engine(&s, APP_ID + 1);

    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release 0.1.3");
    let outcomes = deliver_to(&engine, &s).await;

    let error = outcomes[0].as_ref().unwrap_err().to_string();
    assert!(
        error.contains("401") && error.contains("Integration not found"),
        "{error}"
    );
    assert!(s.sim.pulls(REPO).is_empty());
}

/// `/release 0.1.3`, then `/release status`: the release opens, and the status comment made
/// under the App is found as its own.
async fn release_then_status(engine: &Engine, s: &Scenario) {
    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release 0.1.3");
    let first = deliver_to(engine, s).await;
    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release status");
    let second = deliver_to(engine, s).await;
    assert!(
        matches!(first[0], Ok(Outcome::ReleaseOpened { .. })),
        "{first:?}"
    );
    assert!(
        matches!(second.last(), Some(Ok(Outcome::StatusRefreshed { .. }))),
        "{second:?}: the status comment made under the App is found as its own"
    );
}

/// An App learns its login (`<slug>[bot]`) from its first query's `viewer`, once per process;
/// its installations act as that login, the only author whose markers it trusts.
#[tokio::test]
async fn the_app_learns_its_own_login_once_from_its_first_query() {
    let s = Scenario::mathesar().await;
    s.sim.register_app(APP_ID, PUBLIC, BOT);
    let engine = app_engine(&s, APP_ID);

    release_then_status(&engine, &s).await;
    assert_eq!(engine.own_login().await.unwrap(), BOT);
    let asked_who: Vec<bool> = s
        .sim
        .requests()
        .iter()
        .filter(|r| r.path == "/graphql")
        .map(|r| {
            r.body.as_ref().unwrap()["query"]
                .as_str()
                .unwrap()
                .contains("viewer")
        })
        .collect();
    assert_eq!(asked_who, [true, false], "asked in the first query only");
    assert!(!s.api_calls().iter().any(|c| c.starts_with("GET /app ")));
}

/// Without GraphQL (a server that has none), the App reads its slug with `GET /app` instead.
#[tokio::test]
async fn without_graphql_the_app_reads_its_slug_once() {
    let s = Scenario::mathesar().await;
    s.sim.register_app(APP_ID, PUBLIC, BOT);
    s.sim
        .fail_matching("POST", "/graphql", 10, Fault::Status(404));
    let engine = app_engine(&s, APP_ID);

    release_then_status(&engine, &s).await;
    let app_reads: Vec<String> = s
        .api_calls()
        .into_iter()
        .filter(|c| c.starts_with("GET /app "))
        .collect();
    assert_eq!(app_reads, vec!["GET /app -> 200".to_string()]);
}

/// A token REST will not name (an installation token handed to the Action without a
/// `bot-login`) is named by GraphQL's `viewer`, and acts as that bot.
#[tokio::test]
async fn a_token_rest_will_not_name_is_named_by_graphql() {
    let s = Scenario::mathesar().await;
    let engine = Engine::new(Connector::with_token(&s.sim.url(), BOT_TOKEN).unwrap());

    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release 0.1.3");
    let outcomes = deliver_to(&engine, &s).await;

    assert!(
        matches!(outcomes[0], Ok(Outcome::ReleaseOpened { .. })),
        "{outcomes:?}"
    );
    assert_eq!(engine.own_login().await.unwrap(), BOT);
    assert_eq!(s.sim.pulls(REPO)[0].author, BOT);
}

/// A token GitHub will not name (an installation token without a `bot-login`, on a server
/// without GraphQL, where `GET /user` refuses it) acts on nothing.
#[tokio::test]
async fn a_token_that_cannot_be_named_acts_on_nothing() {
    let s = Scenario::mathesar().await;
    s.sim
        .fail_matching("POST", "/graphql", 10, Fault::Status(404));
    let engine = Engine::new(Connector::with_token(&s.sim.url(), BOT_TOKEN).unwrap());

    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release 0.1.3");
    let outcomes = deliver_to(&engine, &s).await;

    let Err(EngineError::Identity(why)) = &outcomes[0] else {
        panic!("{outcomes:?}");
    };
    assert!(why.contains("403"), "{why}");
    assert!(
        outcomes[0]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("set the action's `bot-login` input"),
        "{outcomes:?}"
    );
    assert!(s.bot_comments().is_empty());
    assert!(s.sim.pulls(REPO).is_empty());
}
