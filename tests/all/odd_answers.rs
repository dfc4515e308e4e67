//! GitHub answers that are not what the bot expects are errors that say what was unreadable,
//! never a silent default (an issue numbered 0, a run that cannot be named).

use axum::routing::post;
use releasebot::github::{Connector, RepoClient};

/// A server that answers every issue creation with 201 and an object lacking `number`.
async fn odd_github() -> String {
    let router = axum::Router::new()
        .route(
            "/repos/o/r/issues",
            post(|| async {
                (
                    axum::http::StatusCode::CREATED,
                    axum::Json(serde_json::json!({})),
                )
            }),
        )
        .route(
            "/repos/o/r/actions/workflows/{file}/dispatches",
            post(|| async { (axum::http::StatusCode::OK, "not json") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

async fn client() -> RepoClient {
    Connector::with_token(&odd_github().await, "t")
        .unwrap()
        .repo_client(None, "o", "r")
        .await
        .unwrap()
}

#[tokio::test]
async fn an_issue_created_without_a_number_is_an_error_not_issue_0() {
    let error = client()
        .await
        .create_issue("releasebot: tag 0.1.3 not released", "text")
        .await
        .unwrap_err();
    assert!(error.to_string().contains("number"), "{error}");
}

#[tokio::test]
async fn run_details_that_cannot_be_read_are_an_error() {
    let error = client()
        .await
        .dispatch_workflow("release-images.yml", "0.1.3", &serde_json::json!({}))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("the run details cannot be read"),
        "{error}"
    );
}
