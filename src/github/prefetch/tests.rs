//! The answer read into REST's shapes, what is left to REST, and what our writes forget.

use serde_json::json;

use super::queries::file_alias;
use super::*;
use crate::domain::ReleaseId;

fn sha(id: &str) -> CommitSha {
    CommitSha::parse(id).unwrap()
}

const COMMIT: &str = "1111111111111111111111111111111111111111";
const TREE: &str = "2222222222222222222222222222222222222222";
const TAG_OBJECT: &str = "3333333333333333333333333333333333333333";
const TAGGED: &str = "4444444444444444444444444444444444444444";

fn mathesar_plan() -> ReadPlan {
    ReadPlan {
        viewer: true,
        file: Some(FileAt {
            rev: "master".into(),
            path: ".github/releasebot.toml".into(),
        }),
        base: Some(FilesAt {
            at: "master".into(),
            paths: vec!["mathesar/__init__.py".into(), "docs/mkdocs.yml".into()],
        }),
        tags: true,
        release: Some(ReleaseNames {
            branch: "release/0.1.3".into(),
            tag: "0.1.3".into(),
        }),
        releases: true,
        comments: Some(IssueNumber(1)),
        commit: None,
    }
}

fn blob(text: &str) -> serde_json::Value {
    json!({ "__typename": "Blob", "text": text, "isBinary": false, "isTruncated": false })
}

/// The base branch's head, with the first of the plan's two files and not the second.
fn base_commit() -> serde_json::Value {
    let mut commit = json!({ "__typename": "Commit", "oid": COMMIT, "tree": { "oid": TREE } });
    commit[file_alias(0)] = json!({ "path": "mathesar/__init__.py", "mode": 33188, "type": "blob",
                                    "oid": "5555555555555555555555555555555555555555",
                                    "object": blob("__version__ = '0.1.2'\n") });
    commit[file_alias(1)] = serde_json::Value::Null;
    commit
}

fn answer() -> serde_json::Value {
    json!({ "data": {
        "viewer": { "__typename": "Bot", "login": "releasebot[bot]" },
        "repository": {
            "file": null,
            "base": { "name": "master", "target": base_commit() },
            "tags": { "pageInfo": { "hasNextPage": false }, "nodes": [
                { "name": "0.1.2", "target": { "__typename": "Tag", "oid": TAG_OBJECT, "name": "0.1.2",
                                               "target": { "__typename": "Commit", "oid": TAGGED } } },
                { "name": "0.1.0", "target": { "__typename": "Commit", "oid": TAGGED } }
            ]},
            "branch": null,
            "tag": null,
            "pulls": { "pageInfo": { "hasNextPage": false }, "nodes": [
                { "number": 9, "title": "Release 0.1.3", "body": "someone's", "url": "https://github.com/centerofci/mathesar/pull/9",
                  "state": "OPEN", "merged": false, "mergedAt": null, "mergeCommit": null,
                  "headRefName": "release/0.1.3", "headRefOid": COMMIT, "baseRefName": "master", "baseRefOid": COMMIT,
                  "headRepositoryOwner": { "login": "a-fork" }, "headRepository": { "nameWithOwner": "a-fork/mathesar" },
                  "author": { "__typename": "User", "login": "mallory" } }
            ]},
            "releases": { "pageInfo": { "hasNextPage": true }, "nodes": [
                { "databaseId": 24, "tagName": "0.1.2", "name": "0.1.2", "description": "notes",
                  "isDraft": false, "isPrerelease": false, "url": "https://github.com/centerofci/mathesar/releases/tag/0.1.2" }
            ]},
            "comments": { "__typename": "Issue", "comments": { "pageInfo": { "hasPreviousPage": false }, "nodes": [
                { "databaseId": 5, "body": "/release 0.1.3", "url": "u5", "author": { "__typename": "User", "login": "kgodey" } },
                { "databaseId": 6, "body": "status", "url": "u6", "author": { "__typename": "Bot", "login": "releasebot" } }
            ]}}
        }
    }})
}

#[test]
fn the_answer_is_read_into_what_the_rest_reads_return() {
    let found = read(&mathesar_plan(), "centerofci", &answer());
    assert_eq!(found.viewer.as_deref(), Some("releasebot[bot]"));
    // No configuration file: the REST read's `None`.
    assert_eq!(found.file(".github/releasebot.toml", "master"), Some(None));
    let base = found.git_ref("heads/master").unwrap().unwrap();
    assert_eq!(base.name, "refs/heads/master");
    assert_eq!(
        (base.object.sha.as_str(), base.object.kind.as_str()),
        (COMMIT, "commit")
    );
    let (tree, files) = found
        .commit_files(&sha(COMMIT), &["mathesar/__init__.py", "docs/mkdocs.yml"])
        .unwrap();
    assert_eq!(tree, TREE);
    assert_eq!(
        files.len(),
        1,
        "the missing file is absent, as in a tree listing"
    );
    assert_eq!(files[0].0.mode, "100644");
    assert_eq!(files[0].1, "__version__ = '0.1.2'\n");
    // Tags in ref-name order, the annotated one's object peeled without another read.
    let tags = found.matching_refs("tags").unwrap();
    assert_eq!(tags[0].name, "refs/tags/0.1.0");
    assert_eq!(tags[1].object.kind, "tag");
    assert_eq!(
        found.tag_object(TAG_OBJECT).unwrap().object.sha,
        sha(TAGGED)
    );
    assert_eq!(found.git_ref("tags/0.1.3"), Some(None));
    assert_eq!(found.git_ref("heads/release/0.1.3"), Some(None));
}

#[test]
fn a_bot_s_graphql_login_gets_the_bot_suffix_rest_gives_it() {
    let found = read(&mathesar_plan(), "centerofci", &answer());
    let comments = found.issue_comments(IssueNumber(1)).unwrap();
    assert_eq!(comments[1].user.login, "releasebot[bot]");
    assert!(comments[1].user.is_bot());
    assert_eq!(comments[0].user.login, "kgodey");
}

#[test]
fn pull_requests_from_another_owner_s_branch_of_the_same_name_are_not_listed() {
    let found = read(&mathesar_plan(), "centerofci", &answer());
    assert_eq!(found.pulls_from_branch("release/0.1.3"), Some(vec![]));
}

#[test]
fn a_release_list_longer_than_a_page_answers_only_what_it_holds() {
    let found = read(&mathesar_plan(), "centerofci", &answer());
    assert_eq!(
        found.release_on_tag("0.1.2").unwrap().unwrap().id,
        ReleaseId(24)
    );
    assert_eq!(
        found.release_on_tag("0.1.3"),
        None,
        "may be on a later page"
    );
    assert_eq!(found.releases(), None);
}

#[test]
fn what_graphql_refused_or_cut_short_is_left_to_rest() {
    let mut answer = answer();
    answer["errors"] =
        json!([{ "path": ["repository", "tags"], "message": "Something went wrong" }]);
    answer["data"]["repository"]["comments"]["comments"]["pageInfo"]["hasPreviousPage"] =
        json!(true);
    answer["data"]["repository"]["base"]["target"][file_alias(0)]["object"]["isTruncated"] =
        json!(true);
    let found = read(&mathesar_plan(), "centerofci", &answer);
    assert_eq!(found.matching_refs("tags"), None);
    assert_eq!(found.issue_comments(IssueNumber(1)), None);
    assert!(found
        .commit_files(&sha(COMMIT), &["mathesar/__init__.py"])
        .is_none());
    // What was not refused is still answered.
    assert_eq!(found.git_ref("heads/release/0.1.3"), Some(None));
}

#[test]
fn a_repository_graphql_cannot_see_answers_nothing() {
    let answer = json!({ "data": { "viewer": { "__typename": "Bot", "login": "releasebot[bot]" }, "repository": null },
                         "errors": [{ "type": "NOT_FOUND", "path": ["repository"], "message": "Could not resolve" }] });
    let found = read(&mathesar_plan(), "centerofci", &answer);
    assert_eq!(found.file(".github/releasebot.toml", "master"), None);
    assert_eq!(found.git_ref("heads/master"), None);
    assert_eq!(found.viewer.as_deref(), Some("releasebot[bot]"));
}

#[test]
fn files_not_asked_for_are_not_answered() {
    let found = read(&mathesar_plan(), "centerofci", &answer());
    assert!(found.commit_files(&sha(COMMIT), &["install.sh"]).is_none());
    assert!(found
        .commit_files(&sha(TREE), &["mathesar/__init__.py"])
        .is_none());
}

#[test]
fn our_writes_forget_what_they_may_have_changed_and_nothing_else() {
    let mut found = read(&mathesar_plan(), "centerofci", &answer());
    // A reaction, a new tree: nothing read before has changed.
    found.forget(Changed::Nothing);
    assert!(found.issue_comments(IssueNumber(1)).is_some());
    assert!(found.git_ref("heads/master").is_some());
    found.forget(Changed::Comments);
    assert_eq!(found.issue_comments(IssueNumber(1)), None);
    assert!(found.git_ref("heads/master").is_some());
    found.forget(Changed::Refs);
    assert_eq!(found.git_ref("heads/master"), None);
    assert_eq!(found.matching_refs("tags"), None);
    // Objects named by their id do not change.
    assert!(found.tag_object(TAG_OBJECT).is_some());
    assert!(found
        .commit_files(&sha(COMMIT), &["mathesar/__init__.py"])
        .is_some());
    found.forget(Changed::Anything);
    assert_eq!(found.file(".github/releasebot.toml", "master"), None);
}

#[test]
fn a_part_that_does_not_read_is_left_to_rest_and_the_others_are_answered() {
    let mut answer = answer();
    answer["data"]["repository"]["releases"]["nodes"][0]["databaseId"] = json!("not a number");
    answer["data"]["repository"]["base"]["target"]["oid"] = json!("not an object id");
    let found = read(&mathesar_plan(), "centerofci", &answer);
    assert_eq!(found.release_on_tag("0.1.2"), None);
    assert_eq!(found.git_ref("heads/master"), None);
    assert!(found
        .commit_files(&sha(COMMIT), &["mathesar/__init__.py"])
        .is_none());
    assert!(found.issue_comments(IssueNumber(1)).is_some());
    assert_eq!(found.git_ref("tags/0.1.3"), Some(None));
}
