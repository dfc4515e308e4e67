//! `releasebot setup` against other sites' pages and a person's second tab: another site can
//! neither show the page, nor push out the state the person will come back with, nor choose the
//! App's webhook; the page is never framed; a second confirmed App never writes over the first.

use std::time::Duration;

use crate::harness::*;
use crate::setup::{confirm_on_github, start_setup, submit_and_confirm};

const HOOK: &str = "https://releasebot.example.org/webhook";

async fn get(url: &str, site: Option<&str>) -> (u16, reqwest::header::HeaderMap, String) {
    let mut request = reqwest::Client::new().get(url);
    if let Some(site) = site {
        request = request.header("sec-fetch-site", site);
    }
    let answer = request.send().await.unwrap();
    let status = answer.status().as_u16();
    let headers = answer.headers().clone();
    (status, headers, answer.text().await.unwrap())
}

#[tokio::test]
async fn another_sites_requests_are_refused_and_push_out_no_state() {
    let s = Scenario::mathesar().await;
    s.sim.sign_in(MAINTAINER);
    let dir = tempfile::tempdir().unwrap();
    let mut setup = start_setup(&s.sim, dir.path(), HOOK).await;
    // The person opens the page.
    let (status, headers, page) = get(&setup.url, None).await;
    assert_eq!(status, 200);
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["content-security-policy"], "frame-ancestors 'none'");
    assert_eq!(headers["referrer-policy"], "no-referrer");

    // Meanwhile pages on other sites make the browser ask for it, and the person reloads.
    for n in 0..100 {
        let site = if n % 2 == 0 {
            "cross-site"
        } else {
            "same-site"
        };
        let (status, _, answer) = get(&setup.url, Some(site)).await;
        assert_eq!(status, 403, "{answer}");
        assert!(answer.contains("Open this page yourself"), "{answer}");
    }
    // A browser that sends no Sec-Fetch-Site still names the page that asked, in Origin.
    for _ in 0..10 {
        let answer = reqwest::Client::new()
            .get(&setup.url)
            .header("origin", "https://evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 403);
    }
    for _ in 0..100 {
        assert_eq!(get(&setup.url, None).await.0, 200);
    }

    // The page opened first still finishes.
    let callback = submit_and_confirm(&page, "Mathesar Releases").await;
    let (status, _, done) = get(&callback, Some("cross-site")).await;
    assert_eq!(
        status, 200,
        "GitHub's redirect is another site's, and counts: {done}"
    );
    assert!(done.contains("The App is created and connected"), "{done}");
    let exit = tokio::time::timeout(Duration::from_secs(30), setup.child.wait())
        .await
        .expect("setup stops once the App exists")
        .unwrap();
    assert!(exit.success());
    assert!(setup.config_file.exists() && setup.key_file.exists());
}

#[tokio::test]
async fn a_link_from_another_site_cannot_choose_the_webhook_and_the_done_page_says_what_was_registered(
) {
    let s = Scenario::mathesar().await;
    s.sim.sign_in(MAINTAINER);
    let dir = tempfile::tempdir().unwrap();
    let _setup = start_setup(&s.sim, dir.path(), HOOK).await;
    let url = &_setup.url;
    let planted =
        format!("{url}?webhook_url=https%3A%2F%2Fevil.example%2Fhook&org=centerofci&name=Evil");

    assert_eq!(get(&planted, Some("cross-site")).await.0, 403);
    // Followed without the browser saying from where (typed, or an old browser): the choices
    // in the address are not taken.
    let (status, _, page) = get(&planted, None).await;
    assert_eq!(status, 200);
    assert!(!page.contains("evil.example"), "{page}");
    let callback = submit_and_confirm(&page, "Mathesar Releases").await;
    let (status, _, done) = get(&callback, None).await;
    assert_eq!(status, 200, "{done}");
    let app = s.sim.registered_apps().pop().unwrap();
    assert_eq!(app.webhook_url.as_deref(), Some(HOOK));
    assert_eq!(app.owner, MAINTAINER, "not the planted organisation");
    assert!(done.contains(&format!("<code>{HOOK}</code>")), "{done}");

    // The page's own form may choose another webhook, and the done page names that one.
    let s = Scenario::mathesar().await;
    s.sim.sign_in(MAINTAINER);
    let dir = tempfile::tempdir().unwrap();
    let setup = start_setup(&s.sim, dir.path(), HOOK).await;
    let chosen = "https://hooks.example.org/releasebot";
    let callback = confirm_on_github(
        &format!("{}?webhook_url={}", setup.url, urlencode(chosen)),
        "Mathesar Releases",
    )
    .await;
    let (status, _, done) = get(&callback, None).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(
        s.sim
            .registered_apps()
            .pop()
            .unwrap()
            .webhook_url
            .as_deref(),
        Some(chosen)
    );
    assert!(done.contains(&format!("<code>{chosen}</code>")), "{done}");
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Two tabs, both confirmed on GitHub, both answers arriving at once: one App's settings are
/// written, and the other answer is told so.
#[tokio::test]
async fn a_second_confirmed_tab_never_writes_over_the_first() {
    let s = Scenario::mathesar().await;
    s.sim.sign_in(MAINTAINER);
    let dir = tempfile::tempdir().unwrap();
    let mut command_setup = start_setup(&s.sim, dir.path(), HOOK).await;
    let (_, _, first_tab) = get(&command_setup.url, None).await;
    let (_, _, second_tab) = get(&command_setup.url, None).await;
    let first = submit_and_confirm(&first_tab, "Mathesar Releases").await;
    let second = submit_and_confirm(&second_tab, "Mathesar Releases Two").await;

    let (a, b) = tokio::join!(get(&first, None), get(&second, None));

    let answers = [a, b];
    let done: Vec<_> = answers
        .iter()
        .filter(|(status, ..)| *status == 200)
        .collect();
    assert_eq!(done.len(), 1, "{answers:#?}");
    let refused = answers.iter().find(|(status, ..)| *status != 200).unwrap();
    assert!(
        refused.0 == 409 || refused.0 == 400,
        "the other answer is refused: {refused:#?}"
    );
    let exit = tokio::time::timeout(Duration::from_secs(30), command_setup.child.wait())
        .await
        .expect("setup stops")
        .unwrap();
    assert!(exit.success());
    let settings = std::fs::read_to_string(&command_setup.config_file).unwrap();
    let mut printed = String::new();
    while let Ok(Some(line)) = command_setup.stdout.next_line().await {
        printed.push_str(&line);
    }
    let apps = s.sim.registered_apps();
    let written = apps
        .iter()
        .find(|app| settings.contains(&format!("RELEASEBOT_APP_ID={}\n", app.id)))
        .expect("one App's settings");
    assert!(
        printed.contains(&format!("(id {})", written.id)),
        "setup names the App whose settings it wrote: {printed}"
    );
}

/// `releasebot setup` with these arguments, run to its end: exit code and what it said.
async fn setup_refuses(args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_releasebot"))
        .arg("setup")
        .args(args)
        .args(["--listen", "127.0.0.1:0"])
        .env_clear()
        .output()
        .await
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Found before GitHub makes an App whose key setup could not keep: a dangling symbolic link at
/// either path, or the key and the settings naming one file by two paths.
#[tokio::test]
async fn paths_that_cannot_keep_the_key_are_refused_before_anything_is_registered() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("a.env");
    let link = dir.path().join("key.pem");
    std::os::unix::fs::symlink(dir.path().join("nowhere/key.pem"), &link).unwrap();
    let (code, said) = setup_refuses(&[
        "--config-file".as_ref(),
        config.as_os_str(),
        "--key-file".as_ref(),
        link.as_os_str(),
    ])
    .await;
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("is a symbolic link"), "{said}");

    let same = dir.path().join("x/../a.env");
    std::fs::create_dir(dir.path().join("x")).unwrap();
    let (code, said) = setup_refuses(&[
        "--config-file".as_ref(),
        config.as_os_str(),
        "--key-file".as_ref(),
        same.as_os_str(),
        "--overwrite".as_ref(),
    ])
    .await;
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("are the same file"), "{said}");
    assert!(!config.exists(), "nothing written");
}

/// GitHub's answer (or whatever stands between) carries a line break in the App's slug: it
/// would write settings of its own into the file `serve` reads. Nothing is written.
#[tokio::test]
async fn a_line_break_in_githubs_answer_writes_no_settings() {
    use simulated_github::Fault;
    let s = Scenario::mathesar().await;
    s.sim.sign_in(MAINTAINER);
    let dir = tempfile::tempdir().unwrap();
    let setup = start_setup(&s.sim, dir.path(), HOOK).await;
    let callback = confirm_on_github(&setup.url, "Mathesar Releases").await;
    s.sim.fail_matching(
        "POST",
        "/app-manifests/",
        1,
        Fault::SetText {
            property: "slug".into(),
            value: "x\nRELEASEBOT_WEBHOOK_PATH=/evil\nRELEASEBOT_WORKERS=0".into(),
        },
    );

    let (status, _, page) = get(&callback, None).await;

    assert_eq!(status, 500, "{page}");
    assert!(page.contains("control character"), "{page}");
    assert!(!setup.config_file.exists() && !setup.key_file.exists());
}
