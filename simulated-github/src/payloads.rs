//! JSON in GitHub's documented shapes, for API answers and webhook payloads alike.

use base64::Engine as _;
use serde_json::{json, Value};

use super::git::{CommitObject, Signature};
use super::world::{format_time, Comment, Issue, Milestone, Repo, User, UserKind, World};

/// A login as GitHub puts it in a URL: `releasebot[bot]` is `releasebot%5Bbot%5D`.
pub fn encoded(login: &str) -> String {
    url::form_urlencoded::byte_serialize(login.as_bytes()).collect()
}

pub fn user(world: &World, login: &str) -> Value {
    let (id, kind) = match world.user(login) {
        Some(User { id, kind, .. }) => (*id, *kind),
        None => (0, UserKind::User),
    };
    let kind = match kind {
        UserKind::User => "User",
        UserKind::Bot => "Bot",
    };
    account(&world.base_url, login, id, kind)
}

/// A user, bot or organization, with every URL GitHub sends (simple-user).
fn account(base: &str, login: &str, id: u64, kind: &str) -> Value {
    let name = encoded(login);
    let api = format!("{base}users/{name}");
    // A bot's page is its App's page.
    let html_url = match login.strip_suffix("[bot]") {
        Some(app) if kind == "Bot" => format!("{base}apps/{}", encoded(app)),
        _ => format!("{base}{name}"),
    };
    json!({
        "login": login,
        "id": id,
        "node_id": format!("U_{id}"),
        "avatar_url": format!("{base}avatars/u/{id}?v=4"),
        "gravatar_id": "",
        "url": api,
        "html_url": html_url,
        "followers_url": format!("{api}/followers"),
        "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"),
        "organizations_url": format!("{api}/orgs"),
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"),
        "type": kind,
        "user_view_type": "public",
        "site_admin": false,
    })
}

/// The repository with every property GitHub sends in API answers and webhooks.
pub fn repository(world: &World, repo: &Repo) -> Value {
    let base = &world.base_url;
    let full_name = repo.full_name();
    let api = format!("{base}repos/{full_name}");
    let html = format!("{base}{full_name}");
    let host = base
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .trim_end_matches('/');
    let open_issues = repo.issues.values().filter(|i| i.state == "open").count();
    let created = "2021-03-01T12:00:00Z";
    let urls = [
        ("archive_url", format!("{api}/{{archive_format}}{{/ref}}")),
        ("assignees_url", format!("{api}/assignees{{/user}}")),
        ("blobs_url", format!("{api}/git/blobs{{/sha}}")),
        ("branches_url", format!("{api}/branches{{/branch}}")),
        (
            "collaborators_url",
            format!("{api}/collaborators{{/collaborator}}"),
        ),
        ("comments_url", format!("{api}/comments{{/number}}")),
        ("commits_url", format!("{api}/commits{{/sha}}")),
        ("compare_url", format!("{api}/compare/{{base}}...{{head}}")),
        ("contents_url", format!("{api}/contents/{{+path}}")),
        ("contributors_url", format!("{api}/contributors")),
        ("deployments_url", format!("{api}/deployments")),
        ("downloads_url", format!("{api}/downloads")),
        ("events_url", format!("{api}/events")),
        ("forks_url", format!("{api}/forks")),
        ("git_commits_url", format!("{api}/git/commits{{/sha}}")),
        ("git_refs_url", format!("{api}/git/refs{{/sha}}")),
        ("git_tags_url", format!("{api}/git/tags{{/sha}}")),
        ("git_url", format!("git://{host}/{full_name}.git")),
        (
            "issue_comment_url",
            format!("{api}/issues/comments{{/number}}"),
        ),
        (
            "issue_events_url",
            format!("{api}/issues/events{{/number}}"),
        ),
        ("issues_url", format!("{api}/issues{{/number}}")),
        ("keys_url", format!("{api}/keys{{/key_id}}")),
        ("labels_url", format!("{api}/labels{{/name}}")),
        ("languages_url", format!("{api}/languages")),
        ("merges_url", format!("{api}/merges")),
        ("milestones_url", format!("{api}/milestones{{/number}}")),
        (
            "notifications_url",
            format!("{api}/notifications{{?since,all,participating}}"),
        ),
        ("pulls_url", format!("{api}/pulls{{/number}}")),
        ("releases_url", format!("{api}/releases{{/id}}")),
        ("ssh_url", format!("git@{host}:{full_name}.git")),
        ("stargazers_url", format!("{api}/stargazers")),
        ("statuses_url", format!("{api}/statuses/{{sha}}")),
        ("subscribers_url", format!("{api}/subscribers")),
        ("subscription_url", format!("{api}/subscription")),
        ("tags_url", format!("{api}/tags")),
        ("teams_url", format!("{api}/teams")),
        ("trees_url", format!("{api}/git/trees{{/sha}}")),
        ("clone_url", format!("{html}.git")),
        ("hooks_url", format!("{api}/hooks")),
        ("svn_url", html.clone()),
    ];
    let mut value = json!({
        "id": repo.id,
        "node_id": format!("R_{}", repo.id),
        "name": repo.name,
        "full_name": full_name,
        "private": repo.private,
        "owner": account(base, &repo.owner, 1, "Organization"),
        "html_url": html,
        "description": null,
        "fork": false,
        "url": api,
        "homepage": null,
        "mirror_url": null,
        "language": null,
        "forks_count": 0,
        "forks": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "watchers": 0,
        "size": 0,
        "default_branch": repo.default_branch,
        "open_issues_count": open_issues,
        "open_issues": open_issues,
        "is_template": false,
        "topics": [],
        "has_issues": true,
        "has_projects": true,
        "has_wiki": true,
        "has_pages": false,
        "has_downloads": true,
        "has_discussions": false,
        "archived": false,
        "disabled": false,
        "visibility": if repo.private { "private" } else { "public" },
        "pushed_at": created,
        "created_at": created,
        "updated_at": created,
        "allow_forking": true,
        "web_commit_signoff_required": false,
        "license": null,
        "network_count": 0,
        "subscribers_count": 0,
    });
    for (key, url) in urls {
        value[key] = Value::String(url);
    }
    value
}

fn closed_at(issue: &Issue) -> Value {
    if issue.state == "closed" {
        json!(issue.updated_at)
    } else {
        Value::Null
    }
}

/// GitHub's reaction counts, as every issue and comment carries them.
fn reaction_rollup(url: &str, reactions: &[(String, String)]) -> Value {
    let count = |content: &str| reactions.iter().filter(|(_, c)| c == content).count();
    json!({
        "url": format!("{url}/reactions"),
        "total_count": reactions.len(),
        "+1": count("+1"),
        "-1": count("-1"),
        "laugh": count("laugh"),
        "hooray": count("hooray"),
        "confused": count("confused"),
        "heart": count("heart"),
        "rocket": count("rocket"),
        "eyes": count("eyes"),
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
    let url = format!("{base}repos/{full_name}/issues/{}", issue.number);
    let mut value = json!({
        "id": 100_000 + issue.number,
        "node_id": format!("I_{}", issue.number),
        "number": issue.number,
        "title": issue.title,
        "body": issue.body,
        "state": issue.state,
        "state_reason": if issue.state == "closed" { json!("completed") } else { Value::Null },
        "locked": false,
        "active_lock_reason": null,
        "user": user(world, &issue.author),
        "labels": issue.labels.iter().map(|name| label(world, repo, name)).collect::<Vec<_>>(),
        "assignees": issue.assignees.iter().map(|login| user(world, login)).collect::<Vec<_>>(),
        "assignee": issue.assignees.first().map(|login| user(world, login)),
        "milestone": issue_milestone(world, repo, issue),
        "comments": comments,
        "created_at": issue.created_at,
        "updated_at": issue.updated_at,
        "closed_at": closed_at(issue),
        "author_association": author_association(repo, &issue.author),
        "performed_via_github_app": null,
        "reactions": reaction_rollup(&url, &[]),
        "repository_url": format!("{base}repos/{full_name}"),
        "labels_url": format!("{url}/labels{{/name}}"),
        "comments_url": format!("{url}/comments"),
        "events_url": format!("{url}/events"),
        "timeline_url": format!("{url}/timeline"),
        "html_url": format!("{base}{full_name}/{kind}/{}", issue.number),
        "url": url,
    });
    if let Some(pull) = &issue.pull {
        value["draft"] = json!(pull.draft);
        value["pull_request"] = json!({
            "url": format!("{base}repos/{full_name}/pulls/{}", issue.number),
            "html_url": format!("{base}{full_name}/pull/{}", issue.number),
            "diff_url": format!("{base}{full_name}/pull/{}.diff", issue.number),
            "patch_url": format!("{base}{full_name}/pull/{}.patch", issue.number),
            "merged_at": pull.merged_at,
        });
    }
    value
}

/// The milestone an issue or pull request is on, or `null`.
fn issue_milestone(world: &World, repo: &Repo, issue: &Issue) -> Value {
    issue
        .milestone
        .and_then(|number| repo.milestones.iter().find(|m| m.number == number))
        .map_or(Value::Null, |m| milestone(world, repo, m))
}

/// A milestone with its counts of open and closed issues (pull requests included, as GitHub
/// counts them).
pub fn milestone(world: &World, repo: &Repo, milestone: &Milestone) -> Value {
    let base = &world.base_url;
    let full_name = repo.full_name();
    let on_it = || {
        repo.issues
            .values()
            .filter(|i| i.milestone == Some(milestone.number))
    };
    let url = format!("{base}repos/{full_name}/milestones/{}", milestone.number);
    let id = 300_000 + milestone.number;
    json!({
        "url": url,
        "html_url": format!("{base}{full_name}/milestone/{}", milestone.number),
        "labels_url": format!("{url}/labels"),
        "id": id,
        "node_id": format!("MI_{id}"),
        "number": milestone.number,
        "state": milestone.state,
        "title": milestone.title,
        "description": milestone.description,
        "creator": user(world, &milestone.creator),
        "open_issues": on_it().filter(|i| i.state == "open").count(),
        "closed_issues": on_it().filter(|i| i.state != "open").count(),
        "created_at": milestone.created_at,
        "updated_at": milestone.updated_at,
        "closed_at": (milestone.state == "closed").then(|| milestone.updated_at.clone()),
        "due_on": null,
    })
}

pub fn label(world: &World, repo: &Repo, name: &str) -> Value {
    let id = name.len() as u64 + 7000;
    json!({
        "id": id,
        "node_id": format!("LA_{id}"),
        "name": name,
        "description": null,
        "color": "ededed",
        "default": false,
        "url": format!("{}repos/{}/labels/{}", world.base_url, repo.full_name(), encoded(name)),
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
    let url = format!("{base}repos/{full_name}/issues/comments/{}", comment.id);
    json!({
        "id": comment.id,
        "node_id": format!("IC_{}", comment.id),
        "body": comment.body,
        "user": user(world, &comment.author),
        "created_at": comment.created_at,
        "updated_at": comment.updated_at,
        "author_association": author_association(repo, &comment.author),
        "performed_via_github_app": null,
        "html_url": format!("{base}{full_name}/{kind}/{}#issuecomment-{}", comment.issue, comment.id),
        "issue_url": format!("{base}repos/{full_name}/issues/{}", comment.issue),
        "reactions": reaction_rollup(&url, &comment.reactions),
        "url": url,
    })
}

pub fn pull(world: &World, repo: &Repo, issue: &Issue) -> Value {
    let base = &world.base_url;
    let full_name = repo.full_name();
    let pull = issue.pull.as_ref().expect("a pull request");
    let branch = |name: &str, fork: Option<&str>| {
        // A fork's branch is not here; its head commit is, under `refs/pull/<number>/head`.
        let local = match fork {
            Some(_) => format!("refs/pull/{}/head", issue.number),
            None => format!("refs/heads/{name}"),
        };
        let sha = repo
            .refs
            .get(&local)
            .cloned()
            // A merged and deleted branch still names its last commit.
            .or_else(|| pull.merge_commit_sha.clone())
            // So does a closed one's head.
            .or_else(|| pull.deleted_head.clone().filter(|_| name == pull.head))
            .unwrap_or_default();
        let owner = fork.unwrap_or(&repo.owner);
        let user = match fork {
            Some(fork) => user(world, fork),
            None => account(base, &repo.owner, 1, "Organization"),
        };
        json!({
            "label": format!("{owner}:{name}"),
            "ref": name,
            "sha": sha,
            "user": user,
            "repo": repository(world, repo),
        })
    };
    let state = if issue.state == "open" {
        "open"
    } else {
        "closed"
    };
    let api = format!("{base}repos/{full_name}/pulls/{}", issue.number);
    let html = format!("{base}{full_name}/pull/{}", issue.number);
    let issue_url = format!("{base}repos/{full_name}/issues/{}", issue.number);
    let statuses = format!(
        "{base}repos/{full_name}/statuses/{}",
        branch(&pull.head, pull.head_owner.as_deref())["sha"]
            .as_str()
            .unwrap_or_default()
    );
    let comments = repo
        .comments
        .iter()
        .filter(|c| c.issue == issue.number)
        .count();
    let link = |href: &str| json!({ "href": href });
    let links = json!({
        "self": link(&api),
        "html": link(&html),
        "issue": link(&issue_url),
        "comments": link(&format!("{issue_url}/comments")),
        "review_comments": link(&format!("{api}/comments")),
        "review_comment": link(&format!("{base}repos/{full_name}/pulls/comments{{/number}}")),
        "commits": link(&format!("{api}/commits")),
        "statuses": link(&statuses),
    });
    let urls = [
        ("url", api.clone()),
        ("html_url", html.clone()),
        ("diff_url", format!("{html}.diff")),
        ("patch_url", format!("{html}.patch")),
        ("issue_url", issue_url.clone()),
        ("commits_url", format!("{api}/commits")),
        ("review_comments_url", format!("{api}/comments")),
        (
            "review_comment_url",
            format!("{base}repos/{full_name}/pulls/comments{{/number}}"),
        ),
        ("comments_url", format!("{issue_url}/comments")),
        ("statuses_url", statuses.clone()),
    ];
    let mut value = json!({
        "id": 200_000 + issue.number,
        "node_id": format!("PR_{}", issue.number),
        "number": issue.number,
        "state": state,
        "locked": false,
        "active_lock_reason": null,
        "title": issue.title,
        "body": issue.body,
        "user": user(world, &issue.author),
        "draft": pull.draft,
        "merged": pull.merged,
        "merged_at": pull.merged_at,
        "merged_by": pull.merged_by.as_deref().map(|login| user(world, login)),
        "merge_commit_sha": pull.merge_commit_sha,
        "mergeable": if issue.state == "open" { json!(true) } else { Value::Null },
        "rebaseable": if issue.state == "open" { json!(true) } else { Value::Null },
        "mergeable_state": if issue.state == "open" { "clean" } else { "unknown" },
        "maintainer_can_modify": false,
        "head": branch(&pull.head, pull.head_owner.as_deref()),
        "base": branch(&pull.base, None),
        "labels": issue.labels.iter().map(|name| label(world, repo, name)).collect::<Vec<_>>(),
        "assignee": issue.assignees.first().map(|login| user(world, login)),
        "assignees": issue.assignees.iter().map(|login| user(world, login)).collect::<Vec<_>>(),
        "requested_reviewers": [],
        "requested_teams": [],
        "milestone": issue_milestone(world, repo, issue),
        "auto_merge": null,
        "author_association": author_association(repo, &issue.author),
        "created_at": issue.created_at,
        "updated_at": issue.updated_at,
        "closed_at": closed_at(issue),
        "comments": comments,
        "review_comments": 0,
        "commits": 1,
        "additions": 0,
        "deletions": 0,
        "changed_files": 0,
    });
    for (key, url) in urls {
        value[key] = Value::String(url);
    }
    value["_links"] = links;
    value
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

/// GitHub's 422 for one field it refuses, with the reason in its own words.
pub fn field_invalid(resource: &str, field: &str, message: &str) -> Value {
    json!({
        "message": "Validation Failed",
        "errors": [{ "resource": resource, "code": "custom", "field": field, "message": message }],
        "documentation_url": "https://docs.github.com/rest/releases/releases#create-a-release",
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
        "updated_at": release.published_at.as_ref().unwrap_or(&release.created_at),
        "published_at": release.published_at,
        "immutable": release.immutable,
        "assets": release.assets.iter().map(|a| asset(world, repo, a)).collect::<Vec<_>>(),
        "assets_url": format!("{base}repos/{full_name}/releases/{}/assets", release.id),
        "url": format!("{base}repos/{full_name}/releases/{}", release.id),
        "html_url": html_url,
        "upload_url": format!("{base}uploads/repos/{full_name}/releases/{}/assets{{?name,label}}", release.id),
        "tarball_url": format!("{base}repos/{full_name}/tarball/{}", release.tag_name),
        "zipball_url": format!("{base}repos/{full_name}/zipball/{}", release.tag_name),
    })
}

/// A release asset (release-asset); `digest` is its SHA-256, as GitHub gives it.
pub fn asset(world: &World, repo: &Repo, asset: &super::world::Asset) -> Value {
    use sha2::Digest;
    let base = &world.base_url;
    let full_name = repo.full_name();
    let tag = repo
        .releases
        .iter()
        .find(|rel| rel.assets.iter().any(|a| a.id == asset.id))
        .map(|rel| rel.tag_name.clone())
        .unwrap_or_default();
    json!({
        "id": asset.id,
        "node_id": format!("RA_{}", asset.id),
        "url": format!("{base}repos/{full_name}/releases/assets/{}", asset.id),
        "browser_download_url": format!("{base}{full_name}/releases/download/{tag}/{}", encoded(&asset.name)),
        "name": asset.name,
        "label": asset.label,
        "state": "uploaded",
        "content_type": asset.content_type,
        "size": asset.data.len(),
        "digest": format!("sha256:{}", hex::encode(sha2::Sha256::digest(&asset.data))),
        "download_count": 0,
        "created_at": asset.created_at,
        "updated_at": asset.created_at,
        "uploader": user(world, &asset.uploader),
    })
}

pub fn workflow_run(world: &World, repo: &Repo, run: &super::world::WorkflowRun) -> Value {
    let base = &world.base_url;
    let full_name = repo.full_name();
    let api = format!("{base}repos/{full_name}/actions/runs/{}", run.id);
    let head_commit = repo.git.commit(&run.head_sha).map(|c| {
        let person = |s: &Signature| json!({ "name": s.name, "email": s.email });
        json!({
            "id": run.head_sha,
            "tree_id": c.tree,
            "message": c.message,
            "timestamp": format_time(c.committer.time),
            "author": person(&c.author),
            "committer": person(&c.committer),
        })
    });
    let workflow_id = workflow_id(&run.path);
    json!({
        "id": run.id,
        "node_id": format!("WFR_{}", run.id),
        "name": run.name,
        "display_title": run.name,
        "path": run.path,
        "event": run.event,
        "head_branch": run.head_branch,
        "head_sha": run.head_sha,
        "status": run.status,
        "conclusion": run.conclusion,
        "workflow_id": workflow_id,
        "check_suite_id": run.id + 500_000,
        "check_suite_node_id": format!("CS_{}", run.id),
        "run_number": run.run_number,
        "run_attempt": run.run_attempt,
        "run_started_at": run.run_started_at,
        "created_at": run.created_at,
        "updated_at": run.updated_at,
        "actor": user(world, &run.actor),
        "triggering_actor": user(world, &run.triggering_actor),
        "pull_requests": [],
        "referenced_workflows": [],
        "previous_attempt_url": (run.run_attempt > 1).then(|| format!("{api}/attempts/{}", run.run_attempt - 1)),
        "head_commit": head_commit,
        "repository": repository(world, repo),
        "head_repository": repository(world, repo),
        "url": api,
        "html_url": format!("{base}{full_name}/actions/runs/{}", run.id),
        "jobs_url": format!("{api}/jobs"),
        "logs_url": format!("{api}/logs"),
        "check_suite_url": format!("{base}repos/{full_name}/check-suites/{}", run.id + 500_000),
        "artifacts_url": format!("{api}/artifacts"),
        "cancel_url": format!("{api}/cancel"),
        "rerun_url": format!("{api}/rerun"),
        "workflow_url": format!("{base}repos/{full_name}/actions/workflows/{workflow_id}"),
    })
}

/// A workflow's id, the same for every run of its file.
pub fn workflow_id(path: &str) -> u64 {
    path.bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64))
        % 100_000_000
}

/// The workflow a `workflow_run` webhook names.
pub fn workflow(world: &World, repo: &Repo, run: &super::world::WorkflowRun) -> Value {
    workflow_file(world, repo, &run.path, &run.name)
}

/// A workflow by its file (`.github/workflows/<file>`) and name.
pub fn workflow_file(world: &World, repo: &Repo, path: &str, name: &str) -> Value {
    let base = &world.base_url;
    let full_name = repo.full_name();
    let id = workflow_id(path);
    let file = path.rsplit('/').next().unwrap_or_default();
    json!({
        "id": id,
        "node_id": format!("W_{id}"),
        "name": name,
        "path": path,
        "state": "active",
        "created_at": "2021-03-01T12:00:00Z",
        "updated_at": "2021-03-01T12:00:00Z",
        "url": format!("{base}repos/{full_name}/actions/workflows/{id}"),
        "html_url": format!("{base}{full_name}/blob/{}/{path}", repo.default_branch),
        "badge_url": format!("{base}{full_name}/workflows/{}/badge.svg", encoded(file)),
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
        "verification": { "verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null },
    })
}
