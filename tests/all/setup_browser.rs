//! The first run as an operator lives it, in a real browser: headless Chromium (Debian's
//! `chromium` and `chromium-driver`, through WebDriver) opens `releasebot setup`'s page, presses
//! its one button, confirms the App on the simulated GitHub, and lands on the done page. The
//! settings file it wrote then starts `releasebot serve`, which answers a `/release` comment as
//! that App: the simulated GitHub signs the delivery with the App's webhook secret and issues
//! the installation token for the App's id. Without the browser packages this test fails and
//! says what to install; it is never skipped.

use std::process::Stdio;
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::harness::*;
use crate::setup::start_setup;

/// Debian's paths; `RELEASEBOT_TEST_CHROMIUM` and `RELEASEBOT_TEST_CHROMEDRIVER` name others (a
/// CI image with its own Chrome and driver).
fn chromium() -> String {
    std::env::var("RELEASEBOT_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

fn chromedriver() -> String {
    std::env::var("RELEASEBOT_TEST_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// chromedriver on a free port, once it answers.
async fn start_chromedriver() -> (Child, String) {
    for (path, package) in [
        (chromium(), "chromium"),
        (chromedriver(), "chromium-driver"),
    ] {
        assert!(
            std::path::Path::new(&path).exists(),
            "{path} is missing: this test drives a real browser; install Debian's `{package}` \
             package (apt-get install chromium chromium-driver; .ci/run does)"
        );
    }
    let port = free_port();
    let child = Command::new(chromedriver())
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("chromedriver starts");
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..200 {
        if let Ok(response) = reqwest::get(format!("{url}/status")).await {
            if response.status().is_success() {
                return (child, url);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("chromedriver did not answer on {url}");
}

async fn browser(webdriver: &str, profile: &std::path::Path) -> fantoccini::Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium(),
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                // Without these Chromium reaches for Google's services and stalls on a closed
                // network.
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(webdriver)
        .await
        .expect("chromium starts under chromedriver")
}

/// Chromedriver may answer a click that starts a navigation with "aborted by navigation": the
/// click happened, and the page it led to is what the next step waits for.
async fn click_to_navigate(
    element: &fantoccini::elements::Element,
) -> Result<(), fantoccini::error::CmdError> {
    match element.click().await {
        Err(error) if error.to_string().contains("aborted by navigation") => Ok(()),
        other => other,
    }
}

/// The element with this id, once the page that has it has loaded: a look while the browser is
/// still navigating (a redirect chain) finds nothing or is aborted, and is tried again.
async fn appeared(
    client: &fantoccini::Client,
    id: &str,
) -> Result<fantoccini::elements::Element, fantoccini::error::CmdError> {
    let mut last = None;
    for _ in 0..300 {
        match client.find(Locator::Id(id)).await {
            Ok(element) => return Ok(element),
            Err(error) => last = Some(error),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(last.expect("looked at least once"))
}

#[tokio::test]
async fn an_operator_creates_the_app_in_a_browser_and_serve_then_runs_as_it() {
    let s = Scenario::mathesar().await;
    s.sim.sign_in(MAINTAINER);
    let dir = tempfile::tempdir().unwrap();
    let serve_port = free_port();
    let webhook_url = format!("http://127.0.0.1:{serve_port}/webhook");
    let mut setup = start_setup(&s.sim, dir.path(), &webhook_url).await;

    let (mut chromedriver, webdriver) = start_chromedriver().await;
    let profile = tempfile::tempdir().unwrap();
    let client = browser(&webdriver, profile.path()).await;
    let flow = async {
        client.goto(&setup.url).await?;
        let create = client.find(Locator::Id("create")).await?;
        click_to_navigate(&create).await?;
        // GitHub shows the App; the name "releasebot" would be taken, so the operator names it.
        let confirm = appeared(&client, "confirm").await?;
        let name = client.find(Locator::Id("name")).await?;
        name.clear().await?;
        name.send_keys("Mathesar Releases").await?;
        click_to_navigate(&confirm).await?;
        let done = appeared(&client, "done").await?;
        let text = done.text().await?;
        let install = client
            .find(Locator::Id("install"))
            .await?
            .attr("href")
            .await?;
        Ok::<_, fantoccini::error::CmdError>((text, install))
    };
    let outcome = tokio::time::timeout(Duration::from_secs(60), flow).await;
    let _ = client.close().await;
    let _ = chromedriver.kill().await;
    let (done, install) = outcome
        .expect("the browser finishes within a minute")
        .expect("the browser plays the flow");

    let app = s
        .sim
        .registered_apps()
        .pop()
        .expect("GitHub registered the App");
    assert_eq!(app.slug, "mathesar-releases");
    assert!(
        done.contains("GitHub created the App mathesar-releases"),
        "{done}"
    );
    assert_eq!(
        install.as_deref(),
        Some(format!("{}apps/mathesar-releases/installations/new", s.sim.url()).as_str())
    );
    let exit = tokio::time::timeout(Duration::from_secs(30), setup.child.wait())
        .await
        .expect("setup stops once the App exists")
        .unwrap();
    assert!(exit.success());
    #[cfg(unix)]
    assert_eq!(crate::setup::mode(&setup.key_file), 0o600);

    // The settings file is all `serve` is given (with where to listen and queue).
    let mut serve = Command::new(env!("CARGO_BIN_EXE_releasebot"));
    serve
        .arg("serve")
        .arg("--config-file")
        .arg(&setup.config_file)
        .env_clear()
        .env("RELEASEBOT_LISTEN", format!("127.0.0.1:{serve_port}"))
        .env("RELEASEBOT_DATABASE", dir.path().join("queue.sqlite"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let mut server = serve.spawn().expect("serve starts");
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("serve says where it listens")
        .unwrap()
        .unwrap_or_default();
    assert_eq!(
        line,
        format!("releasebot serve: listening on {webhook_url}"),
        "serve started from the written settings"
    );
    // Keep reading so the pipe never fills.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    setup.stdout.next_line().await.ok();

    s.sim
        .post_comment(REPO, s.issue, MAINTAINER, "/release help");
    let bot = format!("{}[bot]", app.slug);
    eventually("the App to answer the comment", || {
        s.sim
            .comments(REPO, s.issue)
            .iter()
            .any(|c| c.author == bot)
    })
    .await;
    let installation = s.sim.installation_id(REPO).unwrap();
    assert!(
        s.api_calls().contains(&format!(
            "POST /app/installations/{installation}/access_tokens -> 201"
        )),
        "{:?}",
        s.api_calls()
    );
    // It knows itself as the bot GitHub named it (the query's `viewer`), and answered as it.
    assert!(
        s.sim.requests().iter().any(|r| r.path == "/graphql"
            && r.body
                .as_ref()
                .is_some_and(|b| b["query"].as_str().unwrap_or_default().contains("viewer"))),
        "{:?}",
        s.api_calls()
    );
    let _ = server.kill().await;
}
