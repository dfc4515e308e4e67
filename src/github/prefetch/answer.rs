//! GitHub's answer to the plan's query, turned into the shapes the REST reads return, so the
//! engine cannot tell which API a value came from. Whatever the answer leaves in doubt (a field
//! GitHub refused, a list longer than one page, a binary or truncated file) is left out, and
//! that read goes to REST as before.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use super::plan::{FilesAt, ReadPlan};
use super::{CommitFiles, Known, Prefetched};
use crate::domain::{CommitSha, OpenOrClosed, PullNumber, ReleaseId, StatusState};
use crate::github::models::{
    CommitStatus, GitObject, GitRef, IssueComment, PullBranch, PullRequest, Release,
    RepositoryName, TagObject, User,
};

/// Reads GitHub's answer (`data` and `errors`) to `plan.query(owner, …)`.
pub fn read(plan: &ReadPlan, owner: &str, answer: &Value) -> Prefetched {
    let data = &answer["data"];
    let refused = refused_fields(answer);
    let mut found = Prefetched::default();
    if plan.viewer && !refused.contains("viewer") {
        found.viewer = author(&data["viewer"]).map(|user| user.login);
    }
    if refused.contains("repository") {
        return found;
    }
    let repo = &data["repository"];
    if repo.is_null() {
        return found;
    }
    let ok = |alias: &str| !refused.contains(&format!("repository.{alias}"));
    let mut known = Known::default();

    if let Some(file) = plan.file.as_ref().filter(|_| ok("file")) {
        let object = &repo["file"];
        let text = match object["__typename"].as_str() {
            None if object.is_null() => Some(None),
            Some("Blob") => blob_text(object).map(Some),
            // A directory or a submodule: REST says what is wrong with it.
            _ => None,
        };
        if let Some(text) = text {
            known
                .files
                .insert((file.path.clone(), file.rev.clone()), text);
        }
    }
    if let Some(base) = plan.base.as_ref().filter(|_| ok("base")) {
        let found_ref = &repo["base"];
        let short = format!("heads/{}", base.at);
        if found_ref.is_null() {
            known.refs.insert(short, None);
        } else if let Some(git_ref) = git_ref("refs/heads/", found_ref) {
            let commit = &found_ref["target"];
            if let Some(files) = commit_files(commit, base) {
                found.commits.insert(git_ref.object.sha.clone(), files);
            }
            known.refs.insert(short, Some(git_ref));
        }
    }
    if plan.tags && ok("tags") {
        let tags = &repo["tags"];
        let mut refs = Vec::new();
        let mut all_read = tags["nodes"].is_array();
        for node in tags["nodes"].as_array().into_iter().flatten() {
            let Some(git_ref) = git_ref("refs/tags/", node) else {
                all_read = false;
                continue;
            };
            if let Some(object) = tag_object(&node["target"]) {
                found.tag_objects.insert(object.sha.clone(), object);
            }
            let short = git_ref.name.trim_start_matches("refs/").to_string();
            known.refs.insert(short, Some(git_ref.clone()));
            refs.push(git_ref);
        }
        if all_read && tags["pageInfo"]["hasNextPage"] == Value::Bool(false) {
            // GitHub's REST listing is in ref-name order.
            refs.sort_by(|a, b| a.name.cmp(&b.name));
            known.tags = Some(refs);
        }
    }
    if let Some(release) = &plan.release {
        if ok("branch") {
            let short = format!("heads/{}", release.branch);
            known
                .refs
                .insert(short, git_ref("refs/heads/", &repo["branch"]));
        }
        if ok("tag") {
            let found_ref = &repo["tag"];
            let short = format!("tags/{}", release.tag);
            let git_ref = git_ref("refs/tags/", found_ref);
            let target = &found_ref["target"];
            if let Some(object) = tag_object(target) {
                found.tag_objects.insert(object.sha.clone(), object);
            }
            if git_ref.is_some() {
                let commit = match target["__typename"].as_str() {
                    Some("Tag") => &target["target"],
                    _ => target,
                };
                known
                    .statuses
                    .insert(release.tag.clone(), statuses(&commit["status"]));
            }
            known.refs.insert(short, git_ref);
        }
        if ok("pulls") && repo["pulls"]["pageInfo"]["hasNextPage"] == Value::Bool(false) {
            let pulls: Option<Vec<PullRequest>> = repo["pulls"]["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                // REST's `head=owner:branch`: only heads in the owner's repositories.
                .filter(|p| {
                    p["headRepositoryOwner"]["login"]
                        .as_str()
                        .is_some_and(|login| login.eq_ignore_ascii_case(owner))
                })
                .map(pull_request)
                .collect();
            if let Some(pulls) = pulls {
                known.pulls.insert(release.branch.clone(), pulls);
            }
        }
    }
    if plan.releases && ok("releases") {
        let releases = &repo["releases"];
        let items: Option<Vec<Release>> = releases["nodes"]
            .as_array()
            .map(|nodes| nodes.iter().map(release).collect())
            .unwrap_or_default();
        let complete = releases["pageInfo"]["hasNextPage"] == Value::Bool(false);
        known.releases = items.map(|items| (items, complete));
    }
    if let Some(number) = plan.comments.filter(|_| ok("comments")) {
        let comments = &repo["comments"]["comments"];
        if comments["pageInfo"]["hasPreviousPage"] == Value::Bool(false) {
            let items: Option<Vec<IssueComment>> = comments["nodes"]
                .as_array()
                .map(|nodes| nodes.iter().map(issue_comment).collect())
                .unwrap_or_default();
            if let Some(items) = items {
                known.comments.insert(number, items);
            }
        }
    }
    if let Some(commit) = plan.commit.as_ref().filter(|_| ok("commit")) {
        let object = &repo["commit"];
        let files = CommitSha::parse(&commit.at).zip(commit_files(object, commit));
        if let Some((sha, files)) = files {
            found.commits.insert(sha, files);
        }
    }
    found.known = known;
    found
}

/// The fields GitHub answered with an error (`viewer`, `repository`, `repository.tags`): what
/// they hold is not to be believed.
fn refused_fields(answer: &Value) -> BTreeSet<String> {
    let mut refused = BTreeSet::new();
    for error in answer["errors"].as_array().into_iter().flatten() {
        let path: Vec<&str> = error["path"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        match path.as_slice() {
            [] => {
                // An error that names no field: nothing in the answer is trusted.
                refused.insert("viewer".to_string());
                refused.insert("repository".to_string());
            }
            [top] => {
                refused.insert(top.to_string());
            }
            [top, field, ..] => {
                refused.insert(format!("{top}.{field}"));
            }
        }
    }
    refused
}

/// A blob's text, `None` when GitHub did not give all of it as text.
fn blob_text(blob: &Value) -> Option<String> {
    if blob["isBinary"] != Value::Bool(false) || blob["isTruncated"] != Value::Bool(false) {
        return None;
    }
    blob["text"].as_str().map(str::to_string)
}

fn git_ref(prefix: &str, node: &Value) -> Option<GitRef> {
    let name = node["name"].as_str()?;
    let target = &node["target"];
    Some(GitRef {
        name: format!("{prefix}{name}"),
        object: GitObject {
            sha: CommitSha::parse(target["oid"].as_str()?)?,
            kind: target["__typename"].as_str()?.to_ascii_lowercase(),
        },
    })
}

/// An annotated tag object and what it names.
fn tag_object(target: &Value) -> Option<TagObject> {
    if target["__typename"].as_str() != Some("Tag") {
        return None;
    }
    Some(TagObject {
        sha: target["oid"].as_str()?.to_string(),
        tag: target["name"].as_str()?.to_string(),
        object: GitObject {
            sha: CommitSha::parse(target["target"]["oid"].as_str()?)?,
            kind: target["target"]["__typename"]
                .as_str()?
                .to_ascii_lowercase(),
        },
    })
}

/// The tree and the asked-for files of a commit, when every one of them is known: present as
/// text, or absent (a path that is missing, or that is a directory, is no file).
fn commit_files(commit: &Value, wanted: &FilesAt) -> Option<CommitFiles> {
    if commit["__typename"].as_str() != Some("Commit") {
        return None;
    }
    let tree = commit["tree"]["oid"].as_str()?.to_string();
    let mut files = HashMap::new();
    for (i, path) in wanted.paths.iter().enumerate() {
        let entry = &commit[format!("f{i}")];
        let file = if entry.is_null() || entry["type"].as_str() != Some("blob") {
            None
        } else {
            let mode = entry["mode"].as_u64()?;
            let text = blob_text(&entry["object"])?;
            Some((
                format!("{mode:o}"),
                entry["oid"].as_str()?.to_string(),
                text,
            ))
        };
        files.insert(path.clone(), file);
    }
    Some(CommitFiles { tree, files })
}

/// The latest status of each context on a commit.
fn statuses(status: &Value) -> Vec<CommitStatus> {
    status["contexts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let state = match c["state"].as_str()? {
                "PENDING" | "EXPECTED" => StatusState::Pending,
                "SUCCESS" => StatusState::Success,
                "FAILURE" => StatusState::Failure,
                "ERROR" => StatusState::Error,
                _ => return None,
            };
            Some(CommitStatus {
                context: c["context"].as_str()?.to_string(),
                state,
                description: c["description"].as_str().map(str::to_string),
            })
        })
        .collect()
}

/// GraphQL names a GitHub App's account without the `[bot]` that REST (and the bot's own login)
/// carries; a person's login cannot contain brackets, so adding it cannot make one look like
/// the bot.
fn author(actor: &Value) -> Option<User> {
    let login = actor["login"].as_str()?;
    let kind = actor["__typename"].as_str().unwrap_or("User");
    let login = if kind == "Bot" && !login.ends_with("[bot]") {
        format!("{login}[bot]")
    } else {
        login.to_string()
    };
    Some(User {
        login,
        kind: kind.to_string(),
    })
}

fn pull_request(node: &Value) -> Option<PullRequest> {
    let state = match node["state"].as_str()? {
        "OPEN" => OpenOrClosed::Open,
        _ => OpenOrClosed::Closed,
    };
    let merged = node["merged"].as_bool()?;
    Some(PullRequest {
        number: PullNumber(node["number"].as_u64()?),
        body: node["body"].as_str().map(str::to_string),
        merge_commit_sha: match node["mergeCommit"]["oid"].as_str() {
            Some(oid) => Some(CommitSha::parse(oid)?),
            None => None,
        },
        // A deleted account is GraphQL's null author; REST calls it `ghost`.
        user: author(&node["author"]).unwrap_or(User {
            login: "ghost".into(),
            kind: "User".into(),
        }),
        state,
        title: node["title"].as_str()?.to_string(),
        html_url: node["url"].as_str()?.to_string(),
        merged_at: node["mergedAt"].as_str().map(str::to_string),
        merged: Some(merged),
        head: PullBranch {
            name: node["headRefName"].as_str()?.to_string(),
            sha: CommitSha::parse(node["headRefOid"].as_str()?)?,
            repo: node["headRepository"]["nameWithOwner"]
                .as_str()
                .map(|full_name| RepositoryName {
                    full_name: full_name.to_string(),
                }),
        },
        base: PullBranch {
            name: node["baseRefName"].as_str()?.to_string(),
            sha: CommitSha::parse(node["baseRefOid"].as_str()?)?,
            repo: None,
        },
    })
}

fn release(node: &Value) -> Option<Release> {
    Some(Release {
        id: ReleaseId(node["databaseId"].as_u64()?),
        tag_name: node["tagName"].as_str()?.to_string(),
        name: node["name"].as_str().map(str::to_string),
        body: node["description"].as_str().map(str::to_string),
        draft: node["isDraft"].as_bool()?,
        prerelease: node["isPrerelease"].as_bool()?,
        html_url: node["url"].as_str()?.to_string(),
        // Not read by the query: a packaging draft is read whole before it is adopted.
        upload_url: String::new(),
        author: None,
        assets: Vec::new(),
        immutable: false,
    })
}

fn issue_comment(node: &Value) -> Option<IssueComment> {
    Some(IssueComment {
        id: node["databaseId"].as_u64()?,
        body: node["body"].as_str().map(str::to_string),
        user: author(&node["author"]).unwrap_or(User {
            login: "ghost".into(),
            kind: "User".into(),
        }),
        html_url: node["url"].as_str()?.to_string(),
    })
}
