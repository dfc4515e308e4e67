//! JSON in GitHub's documented shapes, for API answers and webhook payloads alike.

use base64::Engine as _;
use serde_json::{json, Value};

use super::git::{CommitObject, Signature};
use super::world::{format_time, Comment, Issue, Repo, User, UserKind, World};

pub fn user(world: &World, login: &str) -> Value {
    let (id, kind) = match world.user(login) {
        Some(User { id, kind, .. }) => (*id, *kind),
        None => (0, UserKind::User),
    };
    let base = &world.base_url;
    json!({
        "login": login,
        "id": id,
        "node_id": format!("U_{id}"),
        "avatar_url": format!("{base}avatars/{login}"),
        "url": format!("{base}users/{login}"),
        "html_url": format!("{base}{login}"),
        "type": match kind { UserKind::User => "User", UserKind::Bot => "Bot" },
        "site_admin": false,
    })
}

pub fn repository(world: &World, repo: &Repo) -> Value {
    let base = &world.base_url;
    let full_name = repo.full_name();
    json!({
        "id": repo.id,
        "node_id": format!("R_{}", repo.id),
        "name": repo.name,
        "full_name": full_name,
        "private": repo.private,
        "owner": {
            "login": repo.owner,
            "id": 0,
            "type": "Organization",
            "html_url": format!("{base}{}", repo.owner),
        },
        "html_url": format!("{base}{full_name}"),
        "url": format!("{base}repos/{full_name}"),
        "default_branch": repo.default_branch,
        "visibility": if repo.private { "private" } else { "public" },
    })
}

pub fn issue(world: &World, repo: &Repo, issue: &Issue) -> Value {
    let base = &world.base_url;
    let full_name = repo.full_name();
    let kind = if issue.pull.is_some() {
        "pull"
    } else {
        "issues"
    };
    let comments = repo
        .comments
        .iter()
        .filter(|c| c.issue == issue.number)
        .count();
    let mut value = json!({
        "id": 100_000 + issue.number,
        "node_id": format!("I_{}", issue.number),
        "number": issue.number,
        "title": issue.title,
        "body": issue.body,
        "state": issue.state,
        "locked": false,
        "user": user(world, &issue.author),
        "labels": issue.labels.iter().map(|name| label(world, repo, name)).collect::<Vec<_>>(),
        "assignees": issue.assignees.iter().map(|login| user(world, login)).collect::<Vec<_>>(),
        "assignee": issue.assignees.first().map(|login| user(world, login)),
        "comments": comments,
        "created_at": issue.created_at,
        "updated_at": issue.updated_at,
        "closed_at": null,
        "author_association": author_association(repo, &issue.author),
        "url": format!("{base}repos/{full_name}/issues/{}", issue.number),
        "html_url": format!("{base}{full_name}/{kind}/{}", issue.number),
        "comments_url": format!("{base}repos/{full_name}/issues/{}/comments", issue.number),
    });
    if issue.pull.is_some() {
        value["pull_request"] = json!({
            "url": format!("{base}repos/{full_name}/pulls/{}", issue.number),
            "html_url": format!("{base}{full_name}/pull/{}", issue.number),
        });
    }
    value
}

pub fn label(world: &World, repo: &Repo, name: &str) -> Value {
    json!({
        "id": name.len() as u64 + 7000,
        "name": name,
        "color": "ededed",
        "default": false,
        "url": format!("{}repos/{}/labels/{name}", world.base_url, repo.full_name()),
    })
}

fn author_association(repo: &Repo, login: &str) -> &'static str {
    if repo.owner == login {
        "OWNER"
    } else if repo.collaborators.contains_key(login) {
        "COLLABORATOR"
    } else {
        "NONE"
    }
}

pub fn comment(world: &World, repo: &Repo, comment: &Comment) -> Value {
    let base = &world.base_url;
    let full_name = repo.full_name();
    let kind = match repo.issues.get(&comment.issue) {
        Some(issue) if issue.pull.is_some() => "pull",
        _ => "issues",
    };
    json!({
        "id": comment.id,
        "node_id": format!("IC_{}", comment.id),
        "body": comment.body,
        "user": user(world, &comment.author),
        "created_at": comment.created_at,
        "updated_at": comment.updated_at,
        "author_association": author_association(repo, &comment.author),
        "url": format!("{base}repos/{full_name}/issues/comments/{}", comment.id),
        "html_url": format!("{base}{full_name}/{kind}/{}#issuecomment-{}", comment.issue, comment.id),
        "issue_url": format!("{base}repos/{full_name}/issues/{}", comment.issue),
        "reactions": { "total_count": comment.reactions.len() },
    })
}

pub fn pull(world: &World, repo: &Repo, issue: &Issue) -> Value {
    let base = &world.base_url;
    let full_name = repo.full_name();
    let pull = issue.pull.as_ref().expect("a pull request");
    let branch = |name: &str| {
        let sha = repo
            .refs
            .get(&format!("refs/heads/{name}"))
            .cloned()
            .unwrap_or_default();
        json!({
            "label": format!("{}:{name}", repo.owner),
            "ref": name,
            "sha": sha,
            "user": { "login": repo.owner },
            "repo": repository(world, repo),
        })
    };
    let state = if issue.state == "open" {
        "open"
    } else {
        "closed"
    };
    json!({
        "id": 200_000 + issue.number,
        "node_id": format!("PR_{}", issue.number),
        "number": issue.number,
        "state": state,
        "locked": false,
        "title": issue.title,
        "body": issue.body,
        "user": user(world, &issue.author),
        "draft": pull.draft,
        "merged": pull.merged,
        "merged_at": pull.merged_at,
        "merge_commit_sha": pull.merge_commit_sha,
        "head": branch(&pull.head),
        "base": branch(&pull.base),
        "labels": issue.labels.iter().map(|name| label(world, repo, name)).collect::<Vec<_>>(),
        "created_at": issue.created_at,
        "updated_at": issue.updated_at,
        "url": format!("{base}repos/{full_name}/pulls/{}", issue.number),
        "html_url": format!("{base}{full_name}/pull/{}", issue.number),
        "issue_url": format!("{base}repos/{full_name}/issues/{}", issue.number),
    })
}

pub fn git_ref(world: &World, repo: &Repo, name: &str, sha: &str) -> Value {
    let kind = repo.git.get(sha).map_or("commit", |o| o.kind());
    json!({
        "ref": name,
        "node_id": format!("REF_{name}"),
        "url": format!("{}repos/{}/git/{name}", world.base_url, repo.full_name()),
        "object": {
            "sha": sha,
            "type": kind,
            "url": format!("{}repos/{}/git/{kind}s/{sha}", world.base_url, repo.full_name()),
        },
    })
}

fn signature(sig: &Signature) -> Value {
    json!({ "name": sig.name, "email": sig.email, "date": format_time(sig.time) })
}

pub fn commit(world: &World, repo: &Repo, sha: &str, commit: &CommitObject) -> Value {
    let base = &world.base_url;
    let full_name = repo.full_name();
    json!({
        "sha": sha,
        "node_id": format!("C_{sha}"),
        "url": format!("{base}repos/{full_name}/git/commits/{sha}"),
        "html_url": format!("{base}{full_name}/commit/{sha}"),
        "author": signature(&commit.author),
        "committer": signature(&commit.committer),
        "message": commit.message,
        "tree": { "sha": commit.tree, "url": format!("{base}repos/{full_name}/git/trees/{}", commit.tree) },
        "parents": commit.parents.iter().map(|p| json!({
            "sha": p,
            "url": format!("{base}repos/{full_name}/git/commits/{p}"),
            "html_url": format!("{base}{full_name}/commit/{p}"),
        })).collect::<Vec<_>>(),
        "verification": if repo.verified_commits.contains(sha) {
            json!({ "verified": true, "reason": "valid", "signature": "-----BEGIN PGP SIGNATURE-----\n(simulated)\n-----END PGP SIGNATURE-----\n", "payload": "(simulated)", "verified_at": null })
        } else {
            json!({ "verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null })
        },
    })
}

/// Base64 wrapped at 60 characters a line, as GitHub sends file and blob content.
pub fn wrapped_base64(bytes: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 60 + 1);
    for chunk in encoded.as_bytes().chunks(60) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out
}

pub fn error(status: u16, message: &str) -> Value {
    json!({
        "message": message,
        "documentation_url": "https://docs.github.com/rest",
        "status": status.to_string(),
    })
}

pub fn validation_failed(resource: &str, message: &str) -> Value {
    json!({
        "message": "Validation Failed",
        "errors": [{ "resource": resource, "code": "custom", "message": message }],
        "documentation_url": "https://docs.github.com/rest",
        "status": "422",
    })
}

pub fn release(world: &World, repo: &Repo, release: &super::world::Release) -> Value {
    let base = &world.base_url;
    let full_name = repo.full_name();
    let html_url = if release.draft {
        format!("{base}{full_name}/releases/tag/untagged-{}", release.id)
    } else {
        format!("{base}{full_name}/releases/tag/{}", release.tag_name)
    };
    json!({
        "id": release.id,
        "node_id": format!("RE_{}", release.id),
        "tag_name": release.tag_name,
        "target_commitish": release.target_commitish,
        "name": release.name,
        "body": release.body,
        "draft": release.draft,
        "prerelease": release.prerelease,
        "author": user(world, &release.author),
        "created_at": release.created_at,
        "published_at": release.published_at,
        "assets": [],
        "url": format!("{base}repos/{full_name}/releases/{}", release.id),
        "html_url": html_url,
        "upload_url": format!("{base}uploads/repos/{full_name}/releases/{}/assets{{?name,label}}", release.id),
        "tarball_url": format!("{base}repos/{full_name}/tarball/{}", release.tag_name),
        "zipball_url": format!("{base}repos/{full_name}/zipball/{}", release.tag_name),
    })
}

pub fn workflow_run(world: &World, repo: &Repo, run: &super::world::WorkflowRun) -> Value {
    let base = &world.base_url;
    let full_name = repo.full_name();
    json!({
        "id": run.id,
        "node_id": format!("WFR_{}", run.id),
        "name": run.name,
        "path": run.path,
        "event": run.event,
        "head_branch": run.head_branch,
        "head_sha": run.head_sha,
        "status": run.status,
        "conclusion": run.conclusion,
        "run_number": run.run_number,
        "run_attempt": 1,
        "created_at": run.created_at,
        "updated_at": run.created_at,
        "actor": user(world, &run.actor),
        "triggering_actor": user(world, &run.actor),
        "url": format!("{base}repos/{full_name}/actions/runs/{}", run.id),
        "html_url": format!("{base}{full_name}/actions/runs/{}", run.id),
        "repository": { "full_name": full_name },
    })
}

pub fn tag_object(world: &World, repo: &Repo, sha: &str, tag: &super::git::TagObject) -> Value {
    let base = &world.base_url;
    let full_name = repo.full_name();
    json!({
        "node_id": format!("TO_{sha}"),
        "sha": sha,
        "tag": tag.tag,
        "message": tag.message,
        "tagger": signature(&tag.tagger),
        "object": {
            "sha": tag.object,
            "type": tag.kind,
            "url": format!("{base}repos/{full_name}/git/{}s/{}", tag.kind, tag.object),
        },
        "url": format!("{base}repos/{full_name}/git/tags/{sha}"),
        "verification": { "verified": false, "reason": "unsigned", "signature": null, "payload": null },
    })
}
