//! `releasebot demo`: a whole release played on this machine against the simulated GitHub, with
//! every step printed (a third release runs the steps after the tag: docs, publication,
//! deploy). It is the quickstart: no GitHub account, no network. What people do goes
//! over HTTP through the simulator's `/_simulator/…` routes, the same a person uses with `curl`.

use std::path::PathBuf;

use crate::engine::{Engine, Outcome};
use crate::github::Connector;
use anyhow::Context as _;

use simulated_github::{RepoSeed, SimulatedGitHub, UserKind};

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
    /// The release notes document (Markdown) the maintainer links.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/notes-0.1.3.md"))]
    notes: PathBuf,
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
    // The notes document is served from this machine too, so the demo reads it over plain HTTP.
    let engine = Engine::new(Connector::with_token(&sim.url(), TOKEN)?)
        .with_login(BOT)
        .allowing_http_notes_on_loopback();
    let notes_url = serve_notes(&args.notes).await?;
    let people = format!("{}_simulator/repos/{REPO}", sim.url());
    let demo = Demo {
        sim,
        engine,
        http: reqwest::Client::new(),
        people,
    };

    println!(
        "Simulated GitHub at {} holds {REPO} (master at 0.1.2, tags 0.1.0–0.1.2).",
        demo.sim.url()
    );
    println!(
        "{MAINTAINER} has the maintain role, {CONTRIBUTOR} has write; releasebot acts as {BOT}.\n"
    );

    let issue = demo
        .act(
            "issues",
            serde_json::json!({
                "author": MAINTAINER,
                "title": format!("Release {}", args.version),
                "body": "Tracking the release.",
            }),
        )
        .await?["number"]
        .as_u64()
        .unwrap_or_default();
    println!(
        "▶ {MAINTAINER} opens issue #{issue} \"Release {}\"",
        args.version
    );
    demo.deliver().await;

    demo.comment(issue, CONTRIBUTOR, &format!("/release {}", args.version))
        .await?;
    demo.comment(issue, MAINTAINER, "/release v0.1.3").await?;
    demo.comment(
        issue,
        MAINTAINER,
        &format!("/release {} --dry-run", args.version),
    )
    .await?;
    demo.comment(
        issue,
        MAINTAINER,
        &format!("/release {} notes {notes_url}", args.version),
    )
    .await?;
    demo.show_pull_request(&args.version);

    println!(
        "\n▶ the smoke workflow releasebot dispatched on the release branch (install.sh, log in, \
         create a schema, edit records) passes"
    );
    demo.complete_newest_run("release-smoke.yml").await?;
    demo.deliver().await;
    demo.show_pull_request(&args.version);

    // QA tests a candidate of the branch's head, never the final tag.
    demo.comment(issue, MAINTAINER, "/release candidate")
        .await?;
    println!(
        "\n▶ the images workflow builds the candidate's images (its own version, never latest)"
    );
    demo.complete_newest_run("release-images.yml").await?;
    demo.deliver().await;
    demo.show_candidates();

    println!("\n▶ {MAINTAINER} reads the ticked checklist on the pull request, then merges it");
    let number = demo
        .sim
        .pulls(REPO)
        .first()
        .map(|p| p.number)
        .unwrap_or_default();
    demo.act(
        &format!("pulls/{number}/merge"),
        serde_json::json!({ "by": MAINTAINER, "method": "merge" }),
    )
    .await
    .context("the simulated merge failed")?;
    demo.deliver().await;

    println!("\n▶ the images workflow (docker buildx, linux/amd64 + linux/arm64) finishes");
    demo.complete_newest_run("release-images.yml").await?;
    demo.deliver().await;

    demo.show_result(issue, &args.version);
    demo.release_without_written_notes(&args.version).await?;
    if let Some(second) = next_patch(&args.version) {
        demo.release_with_steps(&second.to_string()).await?;
    }
    let violations = demo.sim.violations();
    if !violations.is_empty() {
        let lines: Vec<String> = violations.iter().map(|v| format!("  {v}")).collect();
        anyhow::bail!(
            "the simulated GitHub broke GitHub's published descriptions:\n{}",
            lines.join("\n")
        );
    }
    Ok(())
}

/// Serves the notes document at http://127.0.0.1:PORT/notes.md, as HackMD or a gist would.
async fn serve_notes(path: &std::path::Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read the notes document {}: {e}", path.display()))?;
    let router = axum::Router::new().route(
        "/notes.md",
        axum::routing::get(move || {
            let text = text.clone();
            async move { ([(axum::http::header::CONTENT_TYPE, "text/markdown")], text) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/notes.md", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(url)
}

struct Demo {
    sim: SimulatedGitHub,
    engine: Engine,
    http: reqwest::Client,
    /// `…/_simulator/repos/OWNER/REPO`: where people act.
    people: String,
}

impl Demo {
    /// What a person does, posted to the simulator's route for it.
    async fn act(&self, route: &str, body: serde_json::Value) -> anyhow::Result<serde_json::Value> {
        let response = self
            .http
            .post(format!("{}/{route}", self.people))
            .json(&body)
            .send()
            .await?;
        let status = response.status();
        let answer: serde_json::Value = response.json().await.unwrap_or_default();
        if !status.is_success() {
            anyhow::bail!("{route}: {status} {answer}");
        }
        Ok(answer)
    }

    async fn comment(&self, issue: u64, author: &str, body: &str) -> anyhow::Result<()> {
        println!("\n▶ {author} comments on #{issue}: {body}");
        let before = self.sim.comments(REPO, issue).len();
        self.act(
            &format!("issues/{issue}/comments"),
            serde_json::json!({ "author": author, "body": body }),
        )
        .await?;
        self.deliver().await;
        for comment in self.sim.comments(REPO, issue).iter().skip(before + 1) {
            println!("  releasebot wrote:");
            for line in visible_lines(&comment.body) {
                println!("  │ {line}");
            }
        }
        Ok(())
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

    /// The pre-releases QA tests, as GitHub's releases page lists them.
    fn show_candidates(&self) {
        for release in self.sim.releases(REPO).iter().filter(|r| r.prerelease) {
            let state = if release.draft { "draft" } else { "published" };
            println!(
                "■ Pre-release \"{}\" on tag {} ({state}, never Latest)",
                release.name, release.tag_name
            );
        }
    }

    fn show_pull_request(&self, version: &str) {
        let branch = format!("release/{version}");
        let refs = self.sim.refs(REPO);
        let (Some(head), Some(master)) = (
            refs.get(&format!("refs/heads/{branch}")),
            refs.get("refs/heads/master"),
        ) else {
            return;
        };
        let before = self.sim.tree_paths(REPO, master);
        let after = self.sim.tree_paths(REPO, head);
        println!(
            "\n■ Branch {branch} at {}, one commit on master:",
            &head[..7]
        );
        for (path, entry) in &after {
            if before.get(path) == Some(entry) {
                continue;
            }
            println!("  {path} (mode {})", entry.0);
            let old = self
                .sim
                .file(REPO, master, path)
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
        for pull in self.sim.pulls(REPO) {
            println!(
                "■ Pull request #{} \"{}\" {} → {}:",
                pull.number, pull.title, pull.head, pull.base
            );
            for line in pull.body.lines() {
                println!("  │ {line}");
            }
        }
    }

    /// The newest unfinished run of `.github/workflows/<file>` succeeds, as a person completing
    /// it through the simulator's route would have it.
    async fn complete_newest_run(&self, file: &str) -> anyhow::Result<()> {
        let runs = self.sim.runs(REPO);
        let Some(run) = runs
            .iter()
            .rev()
            .find(|r| r.path.ends_with(&format!("/{file}")) && !r.is_completed())
        else {
            return Ok(());
        };
        println!(
            "  run {} on `{}` with inputs {:?}",
            run.id, run.head_branch, run.inputs
        );
        self.act(
            &format!("runs/{}/complete", run.id),
            serde_json::json!({ "conclusion": "success" }),
        )
        .await?;
        Ok(())
    }

    /// The next patch release, with no notes linked and no notes file: the draft gets GitHub's
    /// generated notes (the pull requests merged since the release above), marked as such.
    async fn release_without_written_notes(&self, previous: &str) -> anyhow::Result<()> {
        let Some(next) = next_patch(previous) else {
            return Ok(());
        };
        println!("\n■ A second release, {next}, whose notes nobody wrote");
        self.play(
            &next,
            &[
                ("the smoke test passes", "release-smoke.yml"),
                ("the pull request is merged", ""),
                ("the images build finishes", "release-images.yml"),
            ],
        )
        .await?;
        if let Some(release) = self.release_on(&next) {
            println!(
                "Draft release \"{}\" with GitHub's generated notes:",
                release.name
            );
            for line in visible_lines(&release.body) {
                println!("  │ {line}");
            }
        }
        Ok(())
    }

    /// A third release, after a maintainer configured the steps after the tag: the docs are
    /// published with the images, releasebot publishes the release once both succeeded, and
    /// the internal instance is deployed after that.
    async fn release_with_steps(&self, previous: &str) -> anyhow::Result<()> {
        let Some(next) = next_patch(previous) else {
            return Ok(());
        };
        println!(
            "\n■ A third release, {next}, after {MAINTAINER} configured the steps after the tag \
             (`[[step]]` docs and deploy, `[publish] after = [\"images\", \"docs\"]`)"
        );
        let files: std::collections::BTreeMap<&str, &str> = [
            (".github/releasebot.toml", STEPS_CONFIG),
            (".github/workflows/publish-docs.yml", DOCS_WORKFLOW),
            (".github/workflows/deploy.yml", DEPLOY_WORKFLOW),
        ]
        .into_iter()
        .collect();
        self.act(
            "branches/master/commits",
            serde_json::json!({
                "author": MAINTAINER,
                "message": "Release the docs and deploy with releasebot",
                "files": files,
            }),
        )
        .await?;
        self.deliver().await;
        let issue = self
            .play(
                &next,
                &[
                    ("the smoke test passes", "release-smoke.yml"),
                    ("the pull request is merged", ""),
                    (
                        "the images build finishes (the docs still run)",
                        "release-images.yml",
                    ),
                    ("the docs are published", "publish-docs.yml"),
                    ("the deploy to the internal instance finishes", "deploy.yml"),
                ],
            )
            .await?;
        if let Some(release) = self.release_on(&next) {
            let state = if release.draft {
                "a draft"
            } else {
                "published by releasebot"
            };
            println!("Release \"{}\": {state}", release.name);
        }
        self.show_status(issue);
        Ok(())
    }

    /// A release played from a new issue: `/release <version>`, then each `(what, workflow)`
    /// in turn, a run of that workflow finishing (none: the maintainer merges the pull request).
    async fn play(
        &self,
        version: &semver::Version,
        stages: &[(&str, &str)],
    ) -> anyhow::Result<u64> {
        let issue = self
            .act(
                "issues",
                serde_json::json!({
                    "author": MAINTAINER,
                    "title": format!("Release {version}"),
                    "body": "Tracking the release.",
                }),
            )
            .await?["number"]
            .as_u64()
            .unwrap_or_default();
        self.deliver().await;
        self.comment(issue, MAINTAINER, &format!("/release {version}"))
            .await?;
        for (what, file) in stages {
            println!("\n▶ {what}");
            if file.is_empty() {
                let open = self
                    .sim
                    .pulls(REPO)
                    .into_iter()
                    .find(|p| p.is_open() && p.head.contains(&version.to_string()))
                    .map(|p| p.number);
                if let Some(number) = open {
                    self.act(
                        &format!("pulls/{number}/merge"),
                        serde_json::json!({ "by": MAINTAINER, "method": "merge" }),
                    )
                    .await?;
                }
            } else {
                self.complete_newest_run(file).await?;
            }
            self.deliver().await;
        }
        Ok(issue)
    }

    fn release_on(&self, version: &semver::Version) -> Option<simulated_github::Release> {
        self.sim
            .releases(REPO)
            .into_iter()
            .find(|r| r.tag_name == version.to_string())
    }

    fn show_status(&self, issue: u64) {
        if let Some(status) = self
            .sim
            .comments(REPO, issue)
            .iter()
            .find(|c| c.body.contains("<!-- releasebot:status"))
        {
            println!("Status comment:");
            for line in visible_lines(&status.body) {
                println!("  │ {line}");
            }
        }
    }

    fn show_result(&self, issue: u64, version: &str) {
        println!("\n■ Result");
        if let Some(target) = self.sim.refs(REPO).get(&format!("refs/tags/{version}")) {
            if let Some(tag) = self.sim.tag_object(REPO, target) {
                println!(
                    "Tag {version}: annotated, on {} ({})",
                    &tag.object[..7],
                    tag.message.trim()
                );
            }
        }
        for release in self.sim.releases(REPO) {
            let kind = if release.draft {
                "Draft release"
            } else {
                "Release"
            };
            println!(
                "{kind} \"{}\" on tag {} (a person publishes it):",
                release.name, release.tag_name
            );
            for line in visible_lines(&release.body) {
                println!("  │ {line}");
            }
        }
        if let Some(info) = self.sim.issue(REPO, issue) {
            println!(
                "Issue #{issue}: assignees {:?}, labels {:?}",
                info.assignees, info.labels
            );
        }
        self.show_status(issue);
    }
}

/// The patch release after `version`, when it is one.
fn next_patch(version: &str) -> Option<semver::Version> {
    let mut next = semver::Version::parse(version).ok()?;
    next.patch += 1;
    next.pre = semver::Prerelease::EMPTY;
    Some(next)
}

/// The configuration the third release runs under: Mathesar's publication as steps.
const STEPS_CONFIG: &str = r#"[[step]]
name = "docs"
workflow = "publish-docs.yml"
inputs = { version = "{version}" }

[[step]]
name = "deploy"
workflow = "deploy.yml"
after = ["publish"]
environment = "internal"
inputs = { tag = "{tag}" }

[publish]
after = ["images", "docs"]
"#;

const DOCS_WORKFLOW: &str = "name: Publish docs\non:\n  workflow_dispatch:\n    inputs:\n      version:\n        required: true\njobs:\n  publish:\n    runs-on: ubuntu-latest\n    steps:\n      - run: mike deploy --push --update-aliases \"$VERSION\" latest\n";

const DEPLOY_WORKFLOW: &str = "name: Deploy\non:\n  workflow_dispatch:\n    inputs:\n      tag:\n        required: true\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    environment: internal\n    steps:\n      - run: ./deploy.sh\n";

/// A comment without its hidden marker lines.
fn visible_lines(body: &str) -> impl Iterator<Item = &str> {
    body.lines()
        .filter(|line| !line.starts_with("<!-- releasebot:"))
}
