//! A release played against the simulated GitHub: the simulator holds the world, people act on
//! it through helpers that read like what they do, and every webhook it emits is handed to the
//! real engine, which talks back to the simulator over HTTP through octocrab.

use std::path::{Path, PathBuf};

use releasebot::engine::{Engine, EngineError, Outcome};
use releasebot::github::Connector;
use simulated_github::{RepoSeed, SimulatedGitHub, UserKind};

pub const REPO: &str = "centerofci/mathesar";
pub const BOT_TOKEN: &str = "releasebot-installation-token";
pub const BOT: &str = "releasebot[bot]";
pub const MAINTAINER: &str = "kgodey";
pub const WRITER: &str = "pavish";

pub struct Scenario {
    pub sim: SimulatedGitHub,
    engine: Engine,
    /// The release tracking issue.
    pub issue: u64,
    _checkout: Option<tempfile::TempDir>,
}

/// The example Mathesar repository at 0.1.2, as shipped in `examples/mathesar`.
pub fn mathesar_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mathesar")
}

/// A scratch copy of the example repository, to alter before seeding.
pub fn mathesar_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&mathesar_dir(), dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read example dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

impl Scenario {
    /// Mathesar as it stood at 0.1.2, with tags 0.1.0 to 0.1.2 and a release tracking issue.
    pub async fn mathesar() -> Scenario {
        Scenario::from_dir(&mathesar_dir(), None, &["0.1.0", "0.1.1", "0.1.2"]).await
    }

    /// The same, from an altered copy of the repository.
    pub async fn mathesar_altered(alter: impl FnOnce(&Path)) -> Scenario {
        Scenario::mathesar_at(&["0.1.0", "0.1.1", "0.1.2"], alter).await
    }

    /// Mathesar as it stood at another point of its history: the example repository altered
    /// into that state, holding exactly `tags`.
    pub async fn mathesar_at(tags: &[&str], alter: impl FnOnce(&Path)) -> Scenario {
        let copy = mathesar_copy();
        alter(copy.path());
        let path = copy.path().to_path_buf();
        Scenario::from_dir(&path, Some(copy), tags).await
    }

    async fn from_dir(dir: &Path, checkout: Option<tempfile::TempDir>, tags: &[&str]) -> Scenario {
        let sim = SimulatedGitHub::start("127.0.0.1:0".parse().unwrap())
            .await
            .expect("simulated GitHub starts");
        sim.add_user(MAINTAINER, UserKind::User);
        sim.add_user(WRITER, UserKind::User);
        sim.add_user(BOT, UserKind::Bot);
        sim.add_token(BOT_TOKEN, BOT);
        let seed = RepoSeed::from_dir(REPO, "master", dir)
            .expect("seed reads the example repository")
            .with_tags(tags.iter().copied());
        sim.add_repo(seed);
        sim.set_role(REPO, MAINTAINER, "maintain");
        sim.set_role(REPO, WRITER, "write");
        let issue = sim.create_issue(
            REPO,
            MAINTAINER,
            "Release 0.1.3",
            "Release checklist for 0.1.3.",
        );
        let connector = Connector::with_token(&sim.url(), BOT_TOKEN).expect("octocrab builds");
        let scenario = Scenario {
            sim,
            // The token is an installation's, as the Actions token is: GitHub will not say
            // whose it is, so the bot is told, as the Action tells it.
            engine: Engine::new(connector)
                .with_login(BOT)
                .allowing_http_notes_on_loopback(),
            issue,
            _checkout: checkout,
        };
        // The `issues opened` delivery is not for the bot; hand it over like GitHub would.
        scenario.deliver().await;
        scenario.sim.clear_requests();
        scenario
    }

    /// The bot acts through another engine from now on (another token, another identity).
    pub fn use_engine(&mut self, engine: Engine) {
        self.engine = engine;
    }

    /// A person comments on the tracking issue; GitHub's webhooks reach the bot.
    pub async fn comment(&self, author: &str, body: &str) -> Vec<Result<Outcome, EngineError>> {
        self.sim.post_comment(REPO, self.issue, author, body);
        self.deliver().await
    }

    /// Hands every pending webhook delivery to the engine, oldest first, including the ones the
    /// bot's own actions cause, until none is left.
    pub async fn deliver(&self) -> Vec<Result<Outcome, EngineError>> {
        let mut outcomes = Vec::new();
        for _round in 0..20 {
            let deliveries = self.sim.take_deliveries();
            if deliveries.is_empty() {
                return outcomes;
            }
            for delivery in deliveries {
                let body = serde_json::to_vec(&delivery.payload).unwrap();
                outcomes.push(self.engine.handle_delivery(&delivery.event, &body).await);
            }
        }
        panic!("deliveries keep causing deliveries: {outcomes:?}");
    }

    /// Delivers the given payload again (GitHub's "Redeliver" button keeps the same content).
    pub async fn redeliver(
        &self,
        event: &str,
        payload: &serde_json::Value,
    ) -> Result<Outcome, EngineError> {
        self.engine
            .handle_delivery(event, &serde_json::to_vec(payload).unwrap())
            .await
    }

    /// The comments the bot wrote on the tracking issue, oldest first.
    pub fn bot_comments(&self) -> Vec<String> {
        self.sim
            .comments(REPO, self.issue)
            .into_iter()
            .filter(|c| c.author == BOT)
            .map(|c| c.body)
            .collect()
    }

    /// The API calls the bot made, as `METHOD /path -> status`.
    pub fn api_calls(&self) -> Vec<String> {
        self.sim
            .requests()
            .iter()
            .map(|r| format!("{} {} -> {}", r.method, r.path, r.status))
            .collect()
    }

    /// A maintainer merges the release pull request; GitHub's `pull_request` `closed` delivery
    /// is taken (with the rest of what is pending) and its payload returned, to deliver by hand.
    pub fn merge_release_pull_undelivered(&self) -> serde_json::Value {
        use simulated_github::MergeMethod;
        self.sim
            .merge_pull(REPO, self.release_pull(), MergeMethod::Merge, MAINTAINER)
            .expect("the release pull request merges");
        self.sim
            .take_deliveries()
            .into_iter()
            .find(|d| d.event == "pull_request")
            .expect("GitHub sends `pull_request` `closed`")
            .payload
    }

    /// The calls that change something on GitHub (see `is_write`).
    pub fn api_writes(&self) -> Vec<String> {
        self.api_calls()
            .into_iter()
            .filter(|c| is_write(c))
            .collect()
    }

    /// Refs that are branches, without `refs/heads/`.
    pub fn branches(&self) -> Vec<String> {
        self.sim
            .refs(REPO)
            .keys()
            .filter_map(|r| r.strip_prefix("refs/heads/").map(str::to_string))
            .collect()
    }

    pub fn file_at(&self, git_ref: &str, path: &str) -> Option<String> {
        self.sim
            .file(REPO, git_ref, path)
            .map(|(bytes, _mode)| String::from_utf8(bytes).expect("utf-8 file"))
    }
}

/// A scenario ends by checking the simulated GitHub against GitHub's published descriptions:
/// a request, answer or webhook that broke them fails the test that caused it, naming the
/// operation and the property.
impl Drop for Scenario {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert_conforms(&self.sim);
        }
    }
}

/// Fails when the simulated GitHub saw or said anything GitHub's descriptions do not allow.
pub fn assert_conforms(sim: &SimulatedGitHub) {
    let violations = sim.take_violations();
    assert!(
        violations.is_empty(),
        "the simulated GitHub broke GitHub's published descriptions:\n{}",
        violations
            .iter()
            .map(|v| format!("  {v}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The outcome of the step's first delivery the bot acted on: the person's own event, which
/// GitHub delivers first. The events the bot's own actions cause come after it (its comments,
/// its pull request, its tag) and are checked through what GitHub holds, not here.
pub fn only(outcomes: Vec<Result<Outcome, EngineError>>) -> Outcome {
    let all = format!("{outcomes:?}");
    let results: Vec<Outcome> = outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|e| panic!("the engine failed: {e} in {all}")))
        .collect();
    assert!(!results.is_empty(), "no delivery at all");
    let first_acted = results
        .iter()
        .position(|o| !matches!(o, Outcome::Ignored(_)));
    results[first_acted.unwrap_or(0)].clone()
}

/// Every delivery was handled without an engine error.
pub fn all_ok(outcomes: &[Result<Outcome, EngineError>]) {
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
}

/// API calls with commit/tree/blob ids and comment ids replaced, so a list can be compared as text.
pub fn normalised(calls: &[String]) -> Vec<String> {
    let sha = regex::Regex::new("[0-9a-f]{40}").unwrap();
    let id = regex::Regex::new(r"/comments/\d+").unwrap();
    calls
        .iter()
        .map(|call| {
            let call = sha.replace_all(call, "<sha>");
            id.replace_all(&call, "/comments/<id>").into_owned()
        })
        .collect()
}

/// A web server on 127.0.0.1 holding release notes documents, as HackMD or a gist would.
pub struct NotesServer {
    pub base: String,
}

impl NotesServer {
    /// Serves each (path, content type, body) at `/path`.
    pub async fn start(documents: Vec<(&'static str, &'static str, String)>) -> NotesServer {
        use axum::http::header;
        let mut router = axum::Router::new();
        for (path, kind, body) in documents {
            router = router.route(
                &format!("/{path}"),
                axum::routing::get(move || {
                    let body = body.clone();
                    async move { ([(header::CONTENT_TYPE, kind)], body) }
                }),
            );
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        NotesServer { base }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }
}

impl Scenario {
    /// The one pull request the bot opened.
    pub fn release_pull(&self) -> u64 {
        let pulls = self.sim.pulls(REPO);
        assert_eq!(pulls.len(), 1, "{pulls:?}");
        pulls[0].number
    }

    /// The maintainer merges the release pull request; GitHub's webhooks reach the bot.
    pub async fn merge_release_pull(
        &self,
        method: simulated_github::MergeMethod,
    ) -> Vec<Result<Outcome, EngineError>> {
        self.sim
            .merge_pull(REPO, self.release_pull(), method, MAINTAINER)
            .expect("the release pull request merges");
        self.deliver().await
    }

    /// Runs of the images workflow, oldest first.
    pub fn images_runs(&self) -> Vec<simulated_github::WorkflowRun> {
        self.runs_of("release-images.yml")
    }

    /// Runs of the smoke workflow, oldest first.
    pub fn smoke_runs(&self) -> Vec<simulated_github::WorkflowRun> {
        self.runs_of("release-smoke.yml")
    }

    /// Runs of `.github/workflows/<file>`, oldest first.
    pub fn runs_of(&self, file: &str) -> Vec<simulated_github::WorkflowRun> {
        self.sim
            .runs(REPO)
            .into_iter()
            .filter(|r| r.path == format!(".github/workflows/{file}"))
            .collect()
    }

    /// The newest run of `.github/workflows/<file>` finishes; GitHub's webhooks reach the bot.
    pub async fn finish_run(
        &self,
        file: &str,
        conclusion: &str,
    ) -> Vec<Result<Outcome, EngineError>> {
        let run = self
            .runs_of(file)
            .last()
            .unwrap_or_else(|| panic!("a run of {file} was dispatched"))
            .id;
        self.sim.complete_run(REPO, run, conclusion).unwrap();
        self.deliver().await
    }

    /// The newest smoke run finishes.
    pub async fn finish_smoke_run(&self, conclusion: &str) -> Vec<Result<Outcome, EngineError>> {
        self.finish_run("release-smoke.yml", conclusion).await
    }

    /// The newest images run finishes.
    pub async fn finish_images_run(&self, conclusion: &str) -> Vec<Result<Outcome, EngineError>> {
        self.finish_run("release-images.yml", conclusion).await
    }

    /// The status comment's text.
    pub fn status_comment(&self) -> String {
        self.bot_comments()
            .into_iter()
            .find(|c| c.contains("<!-- releasebot:status "))
            .expect("a status comment")
    }
}

/// Whether a call (`METHOD /path -> status`) changes something on GitHub: every call but reads
/// (`GET`, and the GraphQL queries, which only read).
pub fn is_write(call: &str) -> bool {
    !call.starts_with("GET ") && !call.starts_with("POST /graphql ")
}

/// Waits until `check` holds, for at most 60 s (for a server working in the background).
pub async fn eventually(what: &str, check: impl Fn() -> bool) {
    eventually_within(what, std::time::Duration::from_secs(60), check).await
}

/// The same, for work that takes longer than a minute on a busy machine (a thousand jobs).
pub async fn eventually_within(what: &str, limit: std::time::Duration, check: impl Fn() -> bool) {
    for _ in 0..limit.as_millis() / 50 {
        if check() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// Tests that load the machine on purpose (a thousand deliveries at once, floods of hostile
/// connections) take turns: run side by side on a 2-core machine, one's flood starves the
/// other's server and its measure says nothing. Each holds this for its whole run.
pub static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
