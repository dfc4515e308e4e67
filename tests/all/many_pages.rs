//! A repository with a long history: more than 100 releases, tags and comments, so every list
//! the bot reads spans pages (GitHub gives at most 100 a page and a `Link` to the next).

use simulated_github::MergeMethod;

use crate::harness::*;

#[tokio::test]
async fn a_release_in_a_repository_with_over_a_hundred_releases_tags_and_comments() {
    let mut tags: Vec<String> = (1..=110).map(|n| format!("0.0.{n}")).collect();
    tags.extend(["0.1.0", "0.1.1", "0.1.2"].map(String::from));
    let tag_names: Vec<&str> = tags.iter().map(String::as_str).collect();
    let s = Scenario::mathesar_at(&tag_names, |_| {}).await;
    for tag in &tags {
        s.sim.publish_new_release(REPO, tag, MAINTAINER);
    }
    for n in 0..105 {
        s.sim
            .post_comment(REPO, s.issue, WRITER, &format!("Checked item {n}"));
    }
    // Those were history: the bot was not installed yet.
    s.sim.take_deliveries();
    s.sim.clear_requests();

    only(s.comment(MAINTAINER, "/release 0.1.3").await);
    s.merge_release_pull(MergeMethod::Merge).await;
    s.finish_images_run("success").await;

    let drafts: Vec<_> = s
        .sim
        .releases(REPO)
        .into_iter()
        .filter(|r| r.tag_name == "0.1.3")
        .collect();
    assert_eq!(
        drafts.len(),
        1,
        "one draft, found again past the first page"
    );
    assert!(drafts[0].draft);
    let status_comments = s
        .bot_comments()
        .iter()
        .filter(|c| c.contains("<!-- releasebot:status "))
        .count();
    assert_eq!(
        status_comments, 1,
        "one status comment, found again on page 2"
    );
    let paged: Vec<String> = s
        .sim
        .requests()
        .iter()
        .filter(|r| r.query.as_deref().is_some_and(|q| q.contains("page=2")))
        .map(|r| r.path.clone())
        .collect();
    assert!(
        paged.iter().any(|p| p.ends_with("/releases")),
        "releases read past page 1: {paged:?}"
    );
    assert!(
        paged.iter().any(|p| p.ends_with("/comments")),
        "comments read past page 1: {paged:?}"
    );
}
