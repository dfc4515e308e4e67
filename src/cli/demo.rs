//! `releasebot demo`: a whole release played on this machine against the simulated GitHub, with
//! every step printed. It is the quickstart: no GitHub account, no network.

use std::path::PathBuf;

use crate::engine::{Engine, Outcome};
use crate::github::Connector;
use crate::simulated_github::{RepoSeed, SimulatedGitHub, UserKind};

const REPO: &str = "centerofci/mathesar";
const MAINTAINER: &str = "kgodey";
const CONTRIBUTOR: &str = "pavish";
const BOT: &str = "releasebot[bot]";
const TOKEN: &str = "demo-installation-token";

#[derive(clap::Args)]
pub struct Args {
    /// The repository to seed the simulated GitHub with.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/mathesar"))]
    seed: PathBuf,
    /// The version to release; the seed is at 0.1.2.
    #[arg(long, default_value = "0.1.3")]
    version: String,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let sim = SimulatedGitHub::start("127.0.0.1:0".parse()?).await?;
    sim.add_user(MAINTAINER, UserKind::User);
    sim.add_user(CONTRIBUTOR, UserKind::User);
    sim.add_user(BOT, UserKind::Bot);
    sim.add_token(TOKEN, BOT);
    sim.add_repo(
        RepoSeed::from_dir(REPO, "master", &args.seed)?.with_tags(["0.1.0", "0.1.1", "0.1.2"]),
    );
    sim.set_role(REPO, MAINTAINER, "maintain");
    sim.set_role(REPO, CONTRIBUTOR, "write");
    let engine = Engine::new(Connector::with_token(&sim.url(), TOKEN)?);
    let demo = Demo { sim, engine };

    println!(
        "Simulated GitHub at {} holds {REPO} (master at 0.1.2, tags 0.1.0–0.1.2).",
        demo.sim.url()
    );
    println!(
        "{MAINTAINER} has the maintain role, {CONTRIBUTOR} has write; releasebot acts as {BOT}.\n"
    );

    let issue = demo.sim.create_issue(
        REPO,
        MAINTAINER,
        &format!("Release {}", args.version),
        "Tracking the release.",
    );
    println!(
        "▶ {MAINTAINER} opens issue #{issue} \"Release {}\"",
        args.version
    );
    demo.deliver().await;

    demo.comment(issue, CONTRIBUTOR, &format!("/release {}", args.version))
        .await;
    demo.comment(issue, MAINTAINER, "/release v0.1.3").await;
    demo.comment(
        issue,
        MAINTAINER,
        &format!("/release {} --dry-run", args.version),
    )
    .await;
    demo.comment(issue, MAINTAINER, &format!("/release {}", args.version))
        .await;

    demo.show_result(issue, &args.version);
    Ok(())
}

struct Demo {
    sim: SimulatedGitHub,
    engine: Engine,
}

impl Demo {
    async fn comment(&self, issue: u64, author: &str, body: &str) {
        println!("\n▶ {author} comments on #{issue}: {body}");
        let before = self.sim.comments(REPO, issue).len();
        self.sim.post_comment(REPO, issue, author, body);
        self.deliver().await;
        for comment in self.sim.comments(REPO, issue).iter().skip(before + 1) {
            println!("  releasebot wrote:");
            for line in visible_lines(&comment.body) {
                println!("  │ {line}");
            }
        }
    }

    /// Hands each webhook to the engine and prints the API calls it made, including the webhooks
    /// the bot's own actions cause, until none is left.
    async fn deliver(&self) {
        loop {
            let deliveries = self.sim.take_deliveries();
            if deliveries.is_empty() {
                return;
            }
            for delivery in deliveries {
                self.sim.clear_requests();
                let body = serde_json::to_vec(&delivery.payload).unwrap_or_default();
                let outcome = self.engine.handle_delivery(&delivery.event, &body).await;
                let calls = self.sim.requests();
                match outcome {
                    Ok(Outcome::Ignored(reason)) => {
                        println!("  webhook `{}` → ignored ({reason})", delivery.event);
                        continue;
                    }
                    Ok(outcome) => {
                        println!(
                            "  webhook `{}` → releasebot made {} API calls:",
                            delivery.event,
                            calls.len()
                        );
                        for call in &calls {
                            println!("    {call}");
                        }
                        println!("  outcome: {outcome:?}");
                    }
                    Err(error) => println!("  webhook `{}` → error: {error}", delivery.event),
                }
            }
        }
    }

    fn show_result(&self, issue: u64, version: &str) {
        let branch = format!("release/{version}");
        println!("\n■ Result");
        if let Some(head) = self.sim.refs(REPO).get(&format!("refs/heads/{branch}")) {
            let master = self
                .sim
                .refs(REPO)
                .get("refs/heads/master")
                .cloned()
                .unwrap_or_default();
            let before = self.sim.tree_paths(REPO, &master);
            let after = self.sim.tree_paths(REPO, head);
            println!("Branch {branch} at {head}, one commit on master:");
            for (path, entry) in &after {
                if before.get(path) != Some(entry) {
                    println!("  changed {path} (mode {})", entry.0);
                    let old = self
                        .sim
                        .file(REPO, &master, path)
                        .map(|f| f.0)
                        .unwrap_or_default();
                    let new = self
                        .sim
                        .file(REPO, head, path)
                        .map(|f| f.0)
                        .unwrap_or_default();
                    let (old, new) = (String::from_utf8_lossy(&old), String::from_utf8_lossy(&new));
                    for (number, (a, b)) in old.lines().zip(new.lines()).enumerate() {
                        if a != b {
                            println!("    {:>3} - {a}\n    {:>3} + {b}", number + 1, number + 1);
                        }
                    }
                }
            }
        }
        for pull in self.sim.pulls(REPO) {
            println!(
                "Pull request #{} \"{}\" {} → {} ({}):",
                pull.number, pull.title, pull.head, pull.base, pull.state
            );
            for line in pull.body.lines() {
                println!("  │ {line}");
            }
        }
        if let Some(info) = self.sim.issue(REPO, issue) {
            println!(
                "Issue #{issue}: assignees {:?}, labels {:?}",
                info.assignees, info.labels
            );
        }
    }
}

/// A comment without its hidden marker lines.
fn visible_lines(body: &str) -> impl Iterator<Item = &str> {
    body.lines()
        .filter(|line| !line.starts_with("<!-- releasebot:"))
}
