//! What a whole release costs in GitHub API calls (issue 16), delivery by delivery, with the
//! bot running as a GitHub App from a fresh process (its token request counted; it learns its
//! own login in its first query), and how many round trips the comment takes to get its pull
//! request open.
//!
//! Printed with `bench/api-economy.sh` (or `cargo test --locked --test all api_economy --
//! --nocapture`).

use releasebot::engine::{Engine, Outcome};
use releasebot::github::app_auth::{AppCredentials, InstallationTokens};
use releasebot::github::Connector;
use simulated_github::{MergeMethod, RecordedRequest};

use crate::harness::*;

const KEY: &[u8] = include_bytes!("../fixtures/throwaway-app-key.pem");
const PUBLIC: &str = include_str!("../fixtures/throwaway-app-key.pub.pem");
const APP_ID: u64 = 4242;

/// Each answer of the simulated GitHub takes this long, so calls sent together overlap.
const LATENCY: std::time::Duration = std::time::Duration::from_millis(15);

/// Calls for the whole release, every webhook and the token request included.
const WHOLE_RELEASE: usize = 25;
/// Sequential round trips from the `/release` comment to the pull request's creation, the
/// token request included (a process that holds the token, for its hour, makes one fewer).
const ROUND_TRIPS_TO_THE_PULL_REQUEST: u32 = 7;
/// The round trips a fresh process spends on the App's token.
const AUTH_ROUND_TRIPS: u32 = 1;

/// One delivery and the calls the bot made for it.
struct Measured {
    delivery: String,
    calls: Vec<RecordedRequest>,
}

impl Measured {
    fn round_trips(&self) -> u32 {
        let first = self.calls.first().map_or(0, |c| c.round);
        self.calls.last().map_or(0, |c| c.round + 1 - first)
    }
}

/// Hands every pending delivery to the engine, one at a time, noting the calls each made.
async fn deliver_measured(s: &Scenario, engine: &Engine, into: &mut Vec<Measured>) {
    for _round in 0..20 {
        let deliveries = s.sim.take_deliveries();
        if deliveries.is_empty() {
            return;
        }
        for delivery in deliveries {
            let before = s.sim.requests().len();
            let body = serde_json::to_vec(&delivery.payload).unwrap();
            let outcome = engine.handle_delivery(&delivery.event, &body).await;
            let outcome = match outcome {
                Ok(Outcome::Ignored(_)) => "Ignored".to_string(),
                Ok(outcome) => format!("{outcome:?}")
                    .split([' ', '{', '('])
                    .next()
                    .unwrap_or_default()
                    .to_string(),
                Err(error) => panic!("{} failed: {error}", delivery.event),
            };
            let payload = &delivery.payload;
            let action = payload["action"].as_str().unwrap_or("");
            let what = match delivery.event.as_str() {
                "issue_comment" => payload["comment"]["user"]["login"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                "pull_request" => format!("#{}", payload["number"]),
                "create" | "delete" => payload["ref"].as_str().unwrap_or("").to_string(),
                "push" => payload["ref"].as_str().unwrap_or("").to_string(),
                "workflow_run" => payload["workflow_run"]["path"]
                    .as_str()
                    .unwrap_or("")
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .to_string(),
                _ => String::new(),
            };
            into.push(Measured {
                delivery: format!("{} {action} {what} → {outcome}", delivery.event)
                    .replace("  ", " "),
                calls: s.sim.requests()[before..].to_vec(),
            });
        }
    }
    panic!("deliveries keep causing deliveries");
}

#[tokio::test]
async fn api_economy_of_a_whole_release() {
    let notes = NotesServer::start(vec![(
        "notes/0.1.3.md",
        "text/markdown; charset=utf-8",
        "# Mathesar 0.1.3\n\nFixes.\n".to_string(),
    )])
    .await;
    let s = Scenario::mathesar().await;
    s.sim.register_app(APP_ID, PUBLIC, BOT);
    let credentials = AppCredentials::from_pem(APP_ID, KEY).unwrap();
    let engine = Engine::new(Connector::app(
        &s.sim.url(),
        InstallationTokens::new(&s.sim.url(), credentials),
    ))
    .allowing_http_notes_on_loopback();
    s.sim.clear_requests();
    s.sim.set_latency(LATENCY);
    let mut measured = Vec::new();

    s.sim.post_comment(
        REPO,
        s.issue,
        MAINTAINER,
        &format!("/release 0.1.3 notes {}", notes.url("notes/0.1.3.md")),
    );
    deliver_measured(&s, &engine, &mut measured).await;
    let to_pull = {
        let comment = &measured[0];
        let opened = comment
            .calls
            .iter()
            .find(|c| c.method == "POST" && c.path.ends_with("/pulls") && c.status == 201)
            .expect("the comment opened the pull request");
        opened.round + 1 - comment.calls[0].round
    };
    s.sim
        .merge_pull(REPO, s.release_pull(), MergeMethod::Merge, MAINTAINER)
        .unwrap();
    deliver_measured(&s, &engine, &mut measured).await;
    let run = s.images_runs().last().expect("an images run").id;
    s.sim.complete_run(REPO, run, "success").unwrap();
    deliver_measured(&s, &engine, &mut measured).await;
    assert!(s.sim.releases(REPO)[0]
        .body
        .contains("- `mathesar/mathesar-prod:0.1.3`"));

    let total: usize = measured.iter().map(|m| m.calls.len()).sum();
    let mut table = String::from("| delivery | calls | round trips |\n|---|---:|---:|\n");
    for m in measured.iter().filter(|m| !m.calls.is_empty()) {
        table.push_str(&format!(
            "| {} | {} | {} |\n",
            m.delivery,
            m.calls.len(),
            m.round_trips()
        ));
    }
    let quiet = measured.iter().filter(|m| m.calls.is_empty()).count();
    table.push_str(&format!(
        "| {quiet} other deliveries (the bot's own branch, pull request, comments, tag, draft; \
         runs requested and in progress) | 0 | 0 |\n"
    ));
    table.push_str(&format!("| **whole release** | **{total}** | |\n"));
    println!("\nGitHub API calls per delivery, one whole release (App mode, fresh process):\n");
    println!("{table}");
    let auth = measured[0]
        .calls
        .iter()
        .filter(|c| c.path.starts_with("/app"))
        .map(|c| c.round)
        .collect::<std::collections::BTreeSet<_>>()
        .len() as u32;
    println!(
        "Round trips from the `/release` comment to the pull request opened: {to_pull} from a \
         fresh process, {} once it holds the App's token ({auth} round trip)\n",
        to_pull - auth
    );
    for m in measured.iter().filter(|m| !m.calls.is_empty()) {
        println!("{}:", m.delivery);
        for call in &m.calls {
            let query = call
                .query
                .as_deref()
                .map(|q| format!("?{q}"))
                .unwrap_or_default();
            let read = call
                .body
                .as_ref()
                .and_then(|b| b["query"].as_str())
                .filter(|_| call.path == "/graphql")
                .map(|q| format!(" ({})", query_parts(q)))
                .unwrap_or_default();
            println!(
                "  [{:>2}] {} {}{query} -> {}{read}",
                call.round, call.method, call.path, call.status
            );
        }
    }
    assert_eq!(
        (total, to_pull, auth),
        (
            WHOLE_RELEASE,
            ROUND_TRIPS_TO_THE_PULL_REQUEST,
            AUTH_ROUND_TRIPS
        ),
        "the economy changed: update the figures (and the README's table) and say why"
    );
}

/// What a query asked for: the names (aliases) of its fields under `query` and `repository`.
fn query_parts(query: &str) -> String {
    query
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with("query") && !line.starts_with('}'))
        .filter_map(|line| line.split([':', ' ', '(', '{']).next())
        .filter(|name| !name.is_empty() && *name != "repository")
        .collect::<Vec<_>>()
        .join(", ")
}
