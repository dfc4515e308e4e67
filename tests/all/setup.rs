//! `releasebot setup` as an operator runs it, against the simulated GitHub's manifest flow, with
//! a plain HTTP client in the browser's place: what happens when GitHub's answer comes back
//! with a state setup never issued, with a code someone already used, or with one over an hour
//! old; and that only a real answer writes the App's key and settings, readable by the owner
//! only. (`setup_browser.rs` plays the whole flow in Chromium.)

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use simulated_github::SimulatedGitHub;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

use crate::harness::*;

/// A `releasebot setup` process, its page's address, and the directory it writes into.
pub struct SetupProcess {
    pub child: Child,
    pub url: String,
    pub stdout: Lines<BufReader<ChildStdout>>,
    pub config_file: PathBuf,
    pub key_file: PathBuf,
}

/// Starts `releasebot setup` against the simulated GitHub (its web host for the form, its API
/// for the conversion), writing into `dir`.
pub async fn start_setup(sim: &SimulatedGitHub, dir: &Path, webhook_url: &str) -> SetupProcess {
    let config_file = dir.join("releasebot.env");
    let mut command = Command::new(env!("CARGO_BIN_EXE_releasebot"));
    command
        .arg("setup")
        .args(["--github-url", &sim.web_url()])
        .args(["--api-url", &sim.url()])
        .args(["--webhook-url", webhook_url])
        .args(["--listen", "127.0.0.1:0"])
        .arg("--config-file")
        .arg(&config_file)
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let mut child = command.spawn().expect("releasebot setup starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), stdout.next_line())
        .await
        .expect("setup says where its page is")
        .unwrap()
        .unwrap_or_default();
    let url = line
        .strip_prefix("releasebot setup: open ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_string();
    SetupProcess {
        child,
        url,
        stdout,
        key_file: dir.join("releasebot.private-key.pem"),
        config_file,
    }
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// What the person's browser does: opens the setup page, presses its button (the manifest goes
/// to GitHub with the page's state), confirms the App on GitHub under `name`. Returns where
/// GitHub sends the browser back: setup's callback with the code and the state.
pub async fn confirm_on_github(page_url: &str, name: &str) -> String {
    let page = if page_url.contains('?') {
        from_its_own_form(page_url).await
    } else {
        open(page_url).await.1
    };
    submit_and_confirm(&page, name).await
}

/// The setup page asked for by its own form: choices in the address count only so, and the
/// browser says so (`Sec-Fetch-Site: same-origin`).
async fn from_its_own_form(url: &str) -> String {
    let answer = reqwest::Client::new()
        .get(url)
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    answer.text().await.unwrap()
}

/// The setup page's button pressed, and the App confirmed on GitHub under `name`: where GitHub
/// sends the browser back.
pub async fn submit_and_confirm(page: &str, name: &str) -> String {
    let form = regex::Regex::new(
        r#"<form id="manifest-form" method="post" action="([^"]+)"><input type="hidden" name="manifest" value="([^"]*)">"#,
    )
    .unwrap();
    let found = form
        .captures(page)
        .unwrap_or_else(|| panic!("the setup page has the manifest form:\n{page}"));
    let action = unescape(&found[1]);
    let manifest = unescape(&found[2]);
    let client = no_redirects();
    let confirmation = client
        .post(&action)
        .form(&[("manifest", manifest.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(confirmation.status().as_u16(), 200, "GitHub shows the App");
    let shown = confirmation.text().await.unwrap();
    assert!(shown.contains("Create GitHub App for"), "{shown}");
    let confirmed = client
        .post(&action)
        .form(&[
            ("manifest", manifest.as_str()),
            ("name", name),
            ("confirm", "yes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status().as_u16(), 302, "GitHub redirects back");
    confirmed.headers()["location"]
        .to_str()
        .unwrap()
        .to_string()
}

/// The same callback with its `state` replaced.
fn with_state(callback: &str, state: Option<&str>) -> String {
    let mut url = url::Url::parse(callback).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "state")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    {
        let mut query = url.query_pairs_mut();
        query.clear();
        for (k, v) in &pairs {
            query.append_pair(k, v);
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
    }
    url.to_string()
}

fn code_of(callback: &str) -> String {
    url::Url::parse(callback)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code")
}

async fn open(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn an_answer_with_a_state_setup_did_not_issue_converts_nothing_and_the_real_one_then_works() {
    let s = Scenario::mathesar().await;
    s.sim.sign_in(MAINTAINER);
    let dir = tempfile::tempdir().unwrap();
    let mut setup = start_setup(&s.sim, dir.path(), "https://releasebot.example.org/webhook").await;
    let callback = confirm_on_github(&setup.url, "Mathesar Releases").await;

    for forged in [
        with_state(&callback, Some(&"0".repeat(64))),
        with_state(&callback, None),
    ] {
        let (status, page) = open(&forged).await;
        assert_eq!(status, 400, "{page}");
        assert!(
            page.contains("This answer was not asked for here"),
            "{page}"
        );
        assert!(page.contains("Nothing was converted or written"), "{page}");
        assert!(page.contains("Start again"), "{page}");
    }
    assert!(
        !s.api_calls().iter().any(|c| c.contains("/app-manifests/")),
        "the code was not sent to GitHub: {:?}",
        s.api_calls()
    );
    assert!(!setup.config_file.exists() && !setup.key_file.exists());

    let (status, page) = open(&callback).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("The App is created and connected"), "{page}");
    let app = s.sim.registered_apps().pop().unwrap();
    assert_eq!(app.slug, "mathesar-releases");
    assert_eq!(app.owner, MAINTAINER);
    assert!(page.contains(&format!(
        "href=\"{}apps/mathesar-releases/installations/new\"",
        s.sim.url()
    )));

    let exit = tokio::time::timeout(Duration::from_secs(30), setup.child.wait())
        .await
        .expect("setup stops once the App exists")
        .unwrap();
    assert!(exit.success());
    let mut printed = String::new();
    while let Ok(Some(line)) = setup.stdout.next_line().await {
        printed.push_str(&line);
        printed.push('\n');
    }
    assert!(
        printed.contains(&format!(
            "created the GitHub App `mathesar-releases` (id {}); settings written to {}",
            app.id,
            setup.config_file.display()
        )),
        "{printed}"
    );
    assert!(
        !printed.contains(&app.webhook_secret)
            && !printed.contains("PRIVATE KEY")
            && !printed.contains(&app.client_secret),
        "no secret is printed: {printed}"
    );

    let settings = std::fs::read_to_string(&setup.config_file).unwrap();
    assert!(settings.contains(&format!("RELEASEBOT_APP_ID={}\n", app.id)));
    assert!(settings.contains(&format!(
        "RELEASEBOT_PRIVATE_KEY_PATH={}\n",
        setup.key_file.display()
    )));
    assert!(settings.contains(&format!(
        "RELEASEBOT_WEBHOOK_SECRET={}\n",
        app.webhook_secret
    )));
    assert!(settings.contains(&format!("GITHUB_API_URL={}\n", s.sim.url())));
    assert_eq!(
        std::fs::read_to_string(&setup.key_file).unwrap(),
        app.private_key_pem
    );
    #[cfg(unix)]
    {
        assert_eq!(mode(&setup.key_file), 0o600, "the key is the owner's only");
        assert_eq!(mode(&setup.config_file), 0o600, "so is the webhook secret");
    }
}

#[tokio::test]
async fn a_code_someone_already_converted_gets_a_page_saying_to_start_again() {
    let s = Scenario::mathesar().await;
    s.sim.sign_in(MAINTAINER);
    let dir = tempfile::tempdir().unwrap();
    let setup = start_setup(&s.sim, dir.path(), "https://releasebot.example.org/webhook").await;
    let callback = confirm_on_github(&setup.url, "Mathesar Releases").await;
    // Someone (another tab, a script) converts the code first.
    let first = reqwest::Client::new()
        .post(format!(
            "{}app-manifests/{}/conversions",
            s.sim.url(),
            code_of(&callback)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status().as_u16(), 201);

    let (status, page) = open(&callback).await;

    assert_eq!(status, 410, "{page}");
    assert!(page.contains("GitHub no longer takes this code"), "{page}");
    assert!(page.contains("used already or has expired"), "{page}");
    assert!(page.contains("Start again"), "{page}");
    assert!(!setup.config_file.exists() && !setup.key_file.exists());
    let conversions: Vec<String> = s
        .api_calls()
        .into_iter()
        .filter(|c| c.contains("/app-manifests/"))
        .collect();
    assert_eq!(conversions.len(), 2);
    assert!(conversions[1].ends_with("-> 404"), "{conversions:?}");
}

#[tokio::test]
async fn a_code_over_an_hour_old_gets_a_page_saying_to_start_again() {
    let s = Scenario::mathesar().await;
    s.sim.sign_in(MAINTAINER);
    let dir = tempfile::tempdir().unwrap();
    let setup = start_setup(&s.sim, dir.path(), "https://releasebot.example.org/webhook").await;
    let callback = confirm_on_github(&setup.url, "Mathesar Releases").await;
    s.sim.advance_clock(Duration::from_secs(3601));

    let (status, page) = open(&callback).await;

    assert_eq!(status, 410, "{page}");
    assert!(page.contains("used already or has expired"), "{page}");
    assert!(!setup.config_file.exists() && !setup.key_file.exists());

    // Starting again works: a new page, a new state, a new App.
    let again = confirm_on_github(&setup.url, "Mathesar Releases 2").await;
    let (status, page) = open(&again).await;
    assert_eq!(status, 200, "{page}");
    assert!(setup.config_file.exists());
}

#[tokio::test]
async fn setup_will_not_start_over_existing_settings_unless_told() {
    let dir = tempfile::tempdir().unwrap();
    let config_file = dir.path().join("releasebot.env");
    std::fs::write(&config_file, "RELEASEBOT_APP_ID=1\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_releasebot"))
        .arg("setup")
        .arg("--config-file")
        .arg(&config_file)
        .args(["--listen", "127.0.0.1:0"])
        .env_clear()
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{} exists: give another path, or --overwrite to replace it",
            config_file.display()
        )),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&config_file).unwrap(),
        "RELEASEBOT_APP_ID=1\n"
    );
}

#[tokio::test]
async fn the_page_says_what_the_app_may_do_and_sends_it_to_the_chosen_organisation() {
    let s = Scenario::mathesar().await;
    s.sim.sign_in(MAINTAINER);
    let dir = tempfile::tempdir().unwrap();
    let setup = start_setup(&s.sim, dir.path(), "https://releasebot.example.org/webhook").await;

    let (status, page) = open(&setup.url).await;
    assert_eq!(status, 200);
    let text = regex::Regex::new("<[^>]+>").unwrap().replace_all(&page, "");
    for (permission, access, why) in releasebot::cli::manifest::PERMISSIONS {
        assert!(
            page.contains(&format!("<code>{permission}</code></td><td>{access}</td>")),
            "{permission} in {page}"
        );
        assert!(
            text.contains(&why.replace('`', "")),
            "why {permission}: {text}"
        );
    }
    for (event, why) in releasebot::cli::manifest::EVENTS {
        assert!(page.contains(&format!("<code>{event}</code>")), "{event}");
        assert!(text.contains(&why.replace('`', "")), "why {event}: {text}");
    }
    assert!(page.contains("<strong>your own account</strong>"), "{page}");

    // The person picks the organisation on the page.
    let callback = confirm_on_github(
        &format!("{}?org=centerofci", setup.url),
        "Mathesar Releases",
    )
    .await;
    let (status, page) = open(&callback).await;
    assert_eq!(status, 200, "{page}");
    let app = s.sim.registered_apps().pop().unwrap();
    assert_eq!(app.owner, "centerofci", "registered under the organisation");
    assert_eq!(
        app.webhook_url.as_deref(),
        Some("https://releasebot.example.org/webhook")
    );
}

#[tokio::test]
async fn without_a_webhook_url_the_page_asks_for_it_instead_of_sending_anything() {
    let s = Scenario::mathesar().await;
    let dir = tempfile::tempdir().unwrap();
    let setup = start_setup(&s.sim, dir.path(), "").await;

    let (status, page) = open(&setup.url).await;

    assert_eq!(status, 200);
    assert!(page.contains("Give the webhook URL"), "{page}");
    assert!(!page.contains("id=\"create\""), "no button: {page}");
    // The page's own form with a wrong address.
    let page = from_its_own_form(&format!("{}?webhook_url=ftp://x", setup.url)).await;
    assert!(page.contains("is not an http(s) URL"), "{page}");
}

#[tokio::test]
async fn github_failing_for_a_moment_is_a_page_and_a_reload_then_finishes() {
    let s = Scenario::mathesar().await;
    s.sim.sign_in(MAINTAINER);
    let dir = tempfile::tempdir().unwrap();
    let setup = start_setup(&s.sim, dir.path(), "https://releasebot.example.org/webhook").await;
    let callback = confirm_on_github(&setup.url, "Mathesar Releases").await;
    s.sim.fail_matching(
        "POST",
        "/app-manifests/",
        1,
        simulated_github::Fault::Status(503),
    );

    let (status, page) = open(&callback).await;

    assert_eq!(status, 502, "{page}");
    assert!(
        page.contains("GitHub could not hand over the App&#39;s settings just now"),
        "{page}"
    );
    assert!(
        page.contains("GitHub answered 503: Service Unavailable"),
        "{page}"
    );
    assert!(page.contains("reload this page to try again"), "{page}");
    assert!(!setup.config_file.exists() && !setup.key_file.exists());

    let (status, page) = open(&callback).await;
    assert_eq!(status, 200, "the same link works once GitHub does: {page}");
    assert!(setup.config_file.exists());
}
