//! Fetching the linked notes document: broad in what it reads, hard in what it refuses. The
//! document server runs on 127.0.0.1; "allowed" below means its one address is explicitly
//! allowed, as an operator would allow an internal wiki. Nothing here leaves the machine.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use releasebot::notes::{fetch, NotesError, NotesPolicy};
use simulated_github::MergeMethod;

use crate::harness::*;

const NOTES: &str = "# Mathesar 0.1.3\n\n- Fixes.\n";

fn text(kind: &'static str, body: impl Into<Body>) -> Response {
    ([(header::CONTENT_TYPE, kind)], body.into()).into_response()
}

fn redirect(to: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, to.to_string())]).into_response()
}

/// A document server with every kind of good and bad answer.
async fn document_server() -> SocketAddr {
    let router = axum::Router::new()
        .route("/notes.md", get(|| async { text("text/markdown; charset=utf-8", NOTES) }))
        .route(
            "/wiki-js.md",
            get(|| async {
                text(
                    "text/markdown",
                    "---\ntitle: Mathesar 0.1.3\ndescription: Notes\npublished: true\ndate: 2023-08-01\ntags: release\neditor: markdown\n---\n\n# Mathesar 0.1.3\n",
                )
            }),
        )
        .route("/page.html", get(|| async { text("text/html", "<html><body>notes</body></html>") }))
        .route("/missing", get(|| async { StatusCode::NOT_FOUND.into_response() }))
        .route("/latin1.txt", get(|| async { text("text/plain", vec![0x4e, 0x6f, 0xe9, 0x6c]) }))
        .route("/hop", get(|| async { redirect("/notes.md") }))
        .route("/loop", get(|| async { redirect("/loop") }))
        .route("/to-loopback", get(|| async { redirect("https://127.0.0.1:1/notes.md") }))
        .route("/to-metadata", get(|| async { redirect("https://169.254.169.254/latest/meta-data/") }))
        .route(
            "/slow.md",
            get(|| async {
                // Headers at once, then a byte every half second: a slow-loris answer.
                let stream = futures_util::stream::unfold(0u32, |n| async move {
                    if n >= 40 {
                        return None;
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    Some((Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b"x")), n + 1))
                });
                text("text/markdown", Body::from_stream(stream))
            }),
        )
        .route(
            "/endless.md",
            get(|| async {
                // Bounded so the test cannot run away, but far past any cap.
                let chunk = axum::body::Bytes::from(vec![b'a'; 16 * 1024]);
                let stream = futures_util::stream::iter((0..4096).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
                text("text/plain", Body::from_stream(stream))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    address
}

fn policy(server: SocketAddr) -> NotesPolicy {
    NotesPolicy {
        max_bytes: 64 * 1024,
        timeout: Duration::from_secs(2),
        allowed_hosts: vec!["127.0.0.1".into(), "169.254.169.254".into()],
        allow_http_loopback: false,
        allowed_addresses: vec![server],
    }
}

async fn get_doc(path: &str) -> Result<String, NotesError> {
    let server = document_server().await;
    fetch(&format!("http://{server}{path}"), &policy(server)).await
}

#[tokio::test]
async fn a_markdown_document_and_a_same_host_redirect_are_read() {
    assert_eq!(get_doc("/notes.md").await.unwrap(), NOTES);
    assert_eq!(get_doc("/hop").await.unwrap(), NOTES);
}

#[tokio::test]
async fn a_redirect_to_loopback_is_refused_when_not_explicitly_allowed() {
    let error = get_doc("/to-loopback").await.unwrap_err();
    assert_eq!(
        error,
        NotesError::PrivateAddress {
            host: "127.0.0.1".into(),
            address: "127.0.0.1".into()
        }
    );
    assert_eq!(
        error.to_string(),
        "`127.0.0.1` resolves to 127.0.0.1, a private or local address, which is never fetched"
    );
}

#[tokio::test]
async fn a_redirect_to_the_cloud_metadata_address_is_refused_before_connecting() {
    let error = get_doc("/to-metadata").await.unwrap_err();
    assert_eq!(
        error,
        NotesError::PrivateAddress {
            host: "169.254.169.254".into(),
            address: "169.254.169.254".into()
        }
    );
}

#[tokio::test]
async fn endless_redirects_stop_after_five() {
    let error = get_doc("/loop").await.unwrap_err();
    assert_eq!(error, NotesError::TooManyRedirects(5));
    assert_eq!(error.to_string(), "more than 5 redirects");
}

#[tokio::test]
async fn a_slow_loris_answer_hits_the_time_cap() {
    let error = get_doc("/slow.md").await.unwrap_err();
    assert_eq!(error, NotesError::TimedOut(2));
    assert_eq!(error.to_string(), "no complete answer within 2 seconds");
}

#[tokio::test]
async fn an_endless_body_hits_the_size_cap() {
    let error = get_doc("/endless.md").await.unwrap_err();
    assert_eq!(error, NotesError::TooLarge(64 * 1024));
}

#[tokio::test]
async fn a_missing_page_an_html_page_and_invalid_utf8_are_refused_with_a_reason() {
    assert_eq!(
        get_doc("/missing").await.unwrap_err().to_string(),
        "the server answered 404"
    );
    assert_eq!(
        get_doc("/page.html").await.unwrap_err().to_string(),
        "the document is `text/html`, not Markdown or plain text"
    );
    assert_eq!(
        get_doc("/latin1.txt").await.unwrap_err(),
        NotesError::NotUtf8
    );
}

#[tokio::test]
async fn plain_http_user_info_and_hosts_off_the_list_are_refused_without_a_connection() {
    let server = document_server().await;
    let policy = policy(server);
    let refused = |url: &'static str| {
        let policy = policy.clone();
        async move { fetch(url, &policy).await.unwrap_err() }
    };
    assert_eq!(
        refused("http://hackmd.io/abc/download").await,
        NotesError::NotHttps
    );
    assert_eq!(
        refused("https://kgodey:secret@hackmd.io/abc").await,
        NotesError::HasUserInfo
    );
    assert_eq!(
        refused("https://evil.example/notes.md").await,
        NotesError::HostNotAllowed("evil.example".into())
    );
    assert_eq!(refused("ftp://hackmd.io/x").await, NotesError::NotHttps);
}

#[tokio::test]
async fn notes_in_the_repository_are_read_at_the_tag_without_front_matter() {
    let s = Scenario::mathesar_altered(|dir| {
        std::fs::create_dir_all(dir.join("docs/docs/releases")).unwrap();
        std::fs::write(
            dir.join("docs/docs/releases/0.1.3.md"),
            "---\ntitle: Mathesar 0.1.3\npublished: true\n---\n\n# Mathesar 0.1.3\n\nNotes from the repository. @mathesar/team\n",
        )
        .unwrap();
    })
    .await;
    only(
        s.comment(
            MAINTAINER,
            "/release 0.1.3 notes docs/docs/releases/0.1.3.md",
        )
        .await,
    );

    s.merge_release_pull(MergeMethod::Merge).await;

    let body = &s.sim.releases(REPO)[0].body;
    assert!(body.contains("<!-- releasebot:notes -->\n# Mathesar 0.1.3\n\nNotes from the repository. @mathesar/team\n<!-- releasebot:notes -->"), "{body}");
    assert!(!body.contains("published: true"), "{body}");
}

#[tokio::test]
async fn a_gist_with_several_files_gives_its_markdown_one() {
    let s = Scenario::mathesar().await;
    s.sim.add_gist(
        "0a1b2c",
        MAINTAINER,
        &[("notes.md", NOTES), ("checklist.txt", "- [ ] smoke test\n")],
    );
    only(
        s.comment(
            MAINTAINER,
            "/release 0.1.3 notes https://gist.github.com/kgodey/0a1b2c",
        )
        .await,
    );

    s.merge_release_pull(MergeMethod::Merge).await;

    assert!(s.sim.releases(REPO)[0].body.contains(NOTES.trim_end()));
}

#[tokio::test]
async fn a_gist_with_two_markdown_files_asks_which() {
    let s = Scenario::mathesar().await;
    s.sim
        .add_gist("0a1b2c", MAINTAINER, &[("a.md", NOTES), ("b.md", NOTES)]);
    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.merge_release_pull(MergeMethod::Merge).await;

    only(
        s.comment(
            MAINTAINER,
            "/release notes https://gist.github.com/kgodey/0a1b2c",
        )
        .await,
    );

    let reply = s.bot_comments().last().unwrap().clone();
    assert!(
        reply.contains("gist 0a1b2c has several files (a.md, b.md): link the one with the notes"),
        "{reply}"
    );

    only(
        s.comment(
            MAINTAINER,
            "/release notes https://gist.github.com/kgodey/0a1b2c#file-b-md",
        )
        .await,
    );
    assert!(s.sim.releases(REPO)[0].body.contains(NOTES.trim_end()));
}
