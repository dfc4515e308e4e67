//! `releasebot setup`: creates the GitHub App and connects it in one step, through GitHub's
//! manifest flow. A page on this machine shows what the App may do and why, lets the person
//! choose their account or an organisation, and submits the manifest to GitHub with a fresh
//! `state`. GitHub shows the App, the person confirms, and GitHub redirects back to `/callback`
//! with a one-time code; the state is checked, the code converted into the App's id, private
//! key and webhook secret, and those are written for `serve --config-file`. Every failure is a
//! page that says what happened and what to do. After a success the server stops.

pub mod files;
pub mod github;
mod page;
pub mod states;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use github::{ConversionError, NewApp};

/// Everything `setup` was told.
#[derive(Debug, Clone)]
pub struct Options {
    /// GitHub's web host: https://github.com, or an Enterprise Server's.
    pub github_url: url::Url,
    /// GitHub's REST API for that host.
    pub api_url: String,
    pub org: Option<String>,
    pub webhook_url: Option<String>,
    pub name: String,
    /// The App's home page.
    pub homepage: String,
    pub config_file: PathBuf,
    pub key_file: PathBuf,
    pub overwrite: bool,
}

/// What a successful setup made, for the command to report (nothing secret).
#[derive(Debug, Clone)]
pub struct Finished {
    pub app_id: u64,
    pub slug: String,
    pub install_url: String,
    pub config_file: PathBuf,
    pub key_file: PathBuf,
}

struct Setup {
    options: Options,
    /// The address the server is bound to.
    addr: SocketAddr,
    states: Mutex<states::States>,
    client: reqwest::Client,
    finished: Mutex<Option<tokio::sync::oneshot::Sender<Finished>>>,
    /// The App whose settings were written (or are being written): a second confirmed tab's
    /// answer is refused, never written over them.
    claimed: Mutex<Option<(u64, String)>>,
}

type Shared = Arc<Setup>;

/// The setup server, bound and serving.
pub struct Running {
    pub addr: SocketAddr,
    finished: tokio::sync::oneshot::Receiver<Finished>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Resolves once the App is created and its settings written.
    pub async fn finished(&mut self) -> Option<Finished> {
        (&mut self.finished).await.ok()
    }

    /// Stops accepting connections and lets the answers in flight (the done page) finish.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), self.task).await;
    }
}

/// Binds `listen` and serves the setup pages.
pub async fn start(options: Options, listen: SocketAddr) -> std::io::Result<Running> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let (finished_tx, finished) = tokio::sync::oneshot::channel();
    let setup = Arc::new(Setup {
        options,
        addr,
        states: Mutex::new(states::States::default()),
        client: reqwest::Client::new(),
        finished: Mutex::new(Some(finished_tx)),
        claimed: Mutex::new(None),
    });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = router(setup);
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    Ok(Running {
        addr,
        finished,
        stop,
        task,
    })
}

fn router(setup: Shared) -> Router {
    Router::new()
        .route("/", get(start_page))
        .route("/callback", get(callback))
        .layer(axum::middleware::map_response(not_framed))
        .with_state(setup)
}

/// No page of setup's may be shown inside another site's frame (a click there would press its
/// button), nor name its address to the sites it links to (the callback's carries the code).
async fn not_framed(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        ("content-security-policy", "frame-ancestors 'none'"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
    ] {
        headers.insert(name, axum::http::HeaderValue::from_static(value));
    }
    response
}

/// How the browser came to ask (`Sec-Fetch-Site`): another site's page (a link, a form, an
/// image, a script) or this page itself. A browser too old to say is taken at its word for the
/// plain page, but not for choices carried in the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    /// `cross-site` or `same-site`, or an `Origin` that is not this page's.
    ByAnotherSite,
    /// `same-origin`: this page's own form.
    ByThisPage,
    /// `none` (typed, a bookmark) or not said.
    Directly,
}

pub fn asked(headers: &axum::http::HeaderMap, host: &str) -> Asked {
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(origin) = value("origin") {
        if origin != format!("http://{host}") {
            return Asked::ByAnotherSite;
        }
    }
    match value("sec-fetch-site") {
        Some("same-origin") => Asked::ByThisPage,
        Some("none") | None => Asked::Directly,
        Some(_) => Asked::ByAnotherSite,
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The start page's choices, from its own "Change" form.
#[derive(Deserialize, Default)]
struct Choices {
    org: Option<String>,
    name: Option<String>,
    webhook_url: Option<String>,
}

fn webhook_problem(url: Option<&str>) -> Option<String> {
    let Some(url) = url.filter(|u| !u.trim().is_empty()) else {
        return Some("Give the webhook URL: the address where GitHub will reach `releasebot serve`, e.g. https://releasebot.example.org/webhook.".into());
    };
    match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {
            None
        }
        _ => Some(format!(
            "The webhook URL `{url}` is not an http(s) URL: give the address where GitHub will reach `releasebot serve`."
        )),
    }
}

/// The host the browser reached this page by, when it is this machine: a loopback name (any
/// port, so an SSH tunnel works) or the address the server is bound to. Anything else (a DNS
/// name pointing here, as in a DNS-rebinding attack) is refused: GitHub's redirect, with the
/// code that unlocks the App's key, goes only to this machine.
pub fn own_host(host: Option<&str>, bound: SocketAddr) -> Option<String> {
    let host = host?.trim();
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    let loopback = matches!(name, "localhost" | "127.0.0.1" | "[::1]");
    (loopback || host == bound.to_string()).then(|| host.to_string())
}

fn not_this_machine(addr: SocketAddr) -> Response {
    problem(
        StatusCode::MISDIRECTED_REQUEST,
        "Open this page on this machine",
        "The page was reached by a name that is not this machine's loopback address; setup answers only there, so that GitHub's answer (which unlocks the App's private key) comes back here.",
        &format!("Open http://127.0.0.1:{}/ (or forward that port, e.g. `ssh -L {}:127.0.0.1:{} HOST`).", addr.port(), addr.port(), addr.port()),
    )
}

async fn start_page(
    State(setup): State<Shared>,
    headers: axum::http::HeaderMap,
    Query(choices): Query<Choices>,
) -> Response {
    let host = headers.get("host").and_then(|v| v.to_str().ok());
    let Some(host) = own_host(host, setup.addr) else {
        return not_this_machine(setup.addr);
    };
    let how = asked(&headers, &host);
    if how == Asked::ByAnotherSite {
        return problem(
            StatusCode::FORBIDDEN,
            "Open this page yourself",
            "Another site's page asked for this one. Setup shows its page, and hands out what proves GitHub's answer is yours, only to a person who opens it.",
            &format!("Type http://127.0.0.1:{}/ in the address bar.", setup.addr.port()),
        );
    }
    // Choices in the address count only from this page's own form: a link from elsewhere
    // cannot pick the webhook URL, the organisation or the name.
    let choices = if how == Asked::ByThisPage {
        choices
    } else {
        Choices::default()
    };
    let options = &setup.options;
    // A field sent empty means "none" (your own account); a field not sent keeps the default.
    let org = match &choices.org {
        Some(org) => Some(org.trim()).filter(|o| !o.is_empty()).map(String::from),
        None => options.org.clone(),
    };
    let name = choices
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(&options.name)
        .to_string();
    let webhook_url = match &choices.webhook_url {
        Some(url) => Some(url.trim().to_string()).filter(|u| !u.is_empty()),
        None => options.webhook_url.clone(),
    };
    let mut problem = webhook_problem(webhook_url.as_deref());
    if let Some(org) = org.as_deref().filter(|o| !github::valid_org(o)) {
        problem = Some(format!(
            "`{org}` is not an organisation's name on GitHub (letters, digits and hyphens)."
        ));
    }
    // The files are checked again before the button is shown: setup may have run for a while.
    if problem.is_none() {
        let paths = [options.config_file.as_path(), options.key_file.as_path()];
        if let Err(problems) = files::check_writable(&paths, options.overwrite) {
            problem = Some(format!(
                "The App's key could not be kept, so nothing is sent to GitHub: {}. Fix this and reload the page.",
                problems.join("; ")
            ));
        }
    }
    let mut manifest = crate::cli::manifest::manifest(
        &name,
        webhook_url.as_deref().unwrap_or_default(),
        &options.homepage,
    );
    manifest["redirect_url"] = serde_json::json!(format!("http://{host}/callback"));
    let manifest = manifest.to_string();
    let form_action = problem.is_none().then(|| {
        let registers = webhook_url.as_deref().unwrap_or_default();
        let state = lock(&setup.states).issue(Instant::now(), registers);
        github::new_app_url(&options.github_url, org.as_deref(), &state)
    });
    let html = page::start(&page::Start {
        github: options.github_url.as_str().trim_end_matches('/'),
        org: org.as_deref(),
        name: &name,
        webhook_url: webhook_url.as_deref(),
        webhook_problem: problem,
        form_action,
        manifest: &manifest,
        config_file: &options.config_file,
        key_file: &options.key_file,
        overwrite: options.overwrite,
    });
    (StatusCode::OK, [("cache-control", "no-store")], Html(html)).into_response()
}

#[derive(Deserialize)]
struct Redirect {
    code: Option<String>,
    state: Option<String>,
}

fn problem(status: StatusCode, title: &str, happened: &str, to_do: &str) -> Response {
    (
        status,
        [("cache-control", "no-store")],
        Html(page::problem(title, happened, to_do)),
    )
        .into_response()
}

async fn callback(
    State(setup): State<Shared>,
    headers: axum::http::HeaderMap,
    Query(redirect): Query<Redirect>,
) -> Response {
    if own_host(
        headers.get("host").and_then(|v| v.to_str().ok()),
        setup.addr,
    )
    .is_none()
    {
        return not_this_machine(setup.addr);
    }
    if let Some((id, slug)) = lock(&setup.claimed).clone() {
        return already_set_up(id, &slug);
    }
    let state = redirect.state.unwrap_or_default();
    let Some(registered_hook) = lock(&setup.states).take(&state, Instant::now()) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "This answer was not asked for here",
            "The link back from GitHub carries no state, or one this setup did not hand out, or one already used or more than an hour old. Nothing was converted or written.",
            "Start again from this setup's own page, in the browser where you opened it. If you confirmed an App on GitHub just now, it exists without its key reaching you: delete it under Settings → Developer settings → GitHub Apps.",
        );
    };
    let code = redirect.code.unwrap_or_default();
    if !github::plausible_code(&code) {
        return problem(
            StatusCode::BAD_REQUEST,
            "GitHub's answer has no code",
            "The link back from GitHub does not carry the code to fetch the App's settings with.",
            "Start again, and confirm the App on GitHub's page.",
        );
    }
    let options = &setup.options;
    let app = match github::convert(&setup.client, &options.api_url, &code).await {
        Ok(app) => app,
        Err(error) => return conversion_failed(&setup, (&state, &registered_hook), error),
    };
    // One App's settings are written: the first answer claims them.
    {
        let mut claimed = lock(&setup.claimed);
        if let Some((id, slug)) = claimed.clone() {
            return already_set_up(id, &slug);
        }
        *claimed = Some((app.id, app.slug.clone()));
    }
    if let Err(why) = files::save(
        &app,
        &options.config_file,
        &options.key_file,
        &options.api_url,
        options.overwrite,
    ) {
        tracing::error!(app = app.id, "setup could not write the settings: {why}");
        // Nothing was written: another answer may still be.
        *lock(&setup.claimed) = None;
        return problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The App is created, but its settings could not be written",
            &format!("GitHub created the App `{}` (id {}), but {why}.", app.slug, app.id),
            &format!(
                "GitHub hands the key over only once. On the App's settings page ({}) generate a new private key and save it, then write RELEASEBOT_APP_ID={} and the webhook secret you set there into the settings file; or delete the App there and run `releasebot setup` again.",
                app.html_url, app.id
            ),
        );
    }
    // What GitHub registered: the webhook URL of the manifest the person sent.
    let html = page::done(&app, &options.config_file, &registered_hook);
    finish(&setup, &app);
    (StatusCode::OK, [("cache-control", "no-store")], Html(html)).into_response()
}

/// A second answer after one App's settings were written (a second confirmed tab).
fn already_set_up(id: u64, slug: &str) -> Response {
    problem(
        StatusCode::CONFLICT,
        "This setup already connected an App",
        &format!("The settings written are the App `{slug}` (id {id})'s, and they stay. This answer is for another App GitHub created (from a second tab, or a second confirmation): its key was not kept."),
        "Use the App that was connected. Delete the other one under Settings → Developer settings → GitHub Apps.",
    )
}

fn conversion_failed(
    setup: &Setup,
    (state, registered_hook): (&str, &str),
    error: ConversionError,
) -> Response {
    match error {
        ConversionError::CodeUnknown => problem(
            StatusCode::GONE,
            "GitHub no longer takes this code",
            "GitHub answered that it does not know the code it sent you back with: a code works once, within an hour, and this one was used already or has expired. Nothing was written.",
            "Start again. GitHub may have created the App anyway: if it is listed under Settings → Developer settings → GitHub Apps and you will not use it, delete it there.",
        ),
        ConversionError::Refused { status, message } if status >= 500 => {
            // GitHub failed, the code was not taken: the same link may be tried again.
            lock(&setup.states).put_back(state, registered_hook, Instant::now());
            problem(
                StatusCode::BAD_GATEWAY,
                "GitHub could not hand over the App's settings just now",
                &format!("GitHub answered {status}: {message}. Nothing was written."),
                "The code stays valid for an hour: reload this page to try again.",
            )
        }
        ConversionError::Refused { status, message } => problem(
            StatusCode::BAD_GATEWAY,
            "GitHub refused to hand over the App's settings",
            &format!("GitHub answered {status}: {message}. Nothing was written."),
            "Start again; if it happens again, check that --github-url and --api-url name the same GitHub.",
        ),
        ConversionError::Unreachable(why) => {
            // The code still works: let the same link be tried again.
            lock(&setup.states).put_back(state, registered_hook, Instant::now());
            problem(
                StatusCode::BAD_GATEWAY,
                "GitHub could not be reached",
                &format!("Fetching the App's settings failed: {why}. Nothing was written."),
                "The code stays valid for an hour: reload this page to try again once GitHub is reachable (check --api-url).",
            )
        }
        ConversionError::Unreadable(why) => problem(
            StatusCode::BAD_GATEWAY,
            "GitHub's answer could not be read",
            &format!("GitHub answered, but not with an App: {why}. Nothing was written."),
            "Start again; if it happens again, check that --api-url names GitHub's REST API.",
        ),
    }
}

fn finish(setup: &Setup, app: &NewApp) {
    if let Some(sender) = lock(&setup.finished).take() {
        let _ = sender.send(Finished {
            app_id: app.id,
            slug: app.slug.clone(),
            install_url: app.install_url(),
            config_file: setup.options.config_file.clone(),
            key_file: setup.options.key_file.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_is_answered() {
        let bound: SocketAddr = "127.0.0.1:3000".parse().unwrap();
        assert_eq!(
            own_host(Some("127.0.0.1:3000"), bound).as_deref(),
            Some("127.0.0.1:3000")
        );
        assert_eq!(
            own_host(Some("localhost:8000"), bound).as_deref(),
            Some("localhost:8000")
        );
        assert_eq!(
            own_host(Some("[::1]:3000"), bound).as_deref(),
            Some("[::1]:3000")
        );
        assert!(own_host(Some("evil.example:3000"), bound).is_none());
        assert!(own_host(Some("localhost.evil.example"), bound).is_none());
        assert!(own_host(None, bound).is_none());
        let everywhere: SocketAddr = "192.168.1.5:3000".parse().unwrap();
        assert!(own_host(Some("192.168.1.5:3000"), everywhere).is_some());
        assert!(own_host(Some("192.168.1.6:3000"), everywhere).is_none());
    }
}
