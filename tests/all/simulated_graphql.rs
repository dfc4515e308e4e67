//! The simulated GitHub answers GraphQL (`POST /graphql`) over the same world as its REST API,
//! holds every query to GitHub's published schema, and sits behind the same gate.

use reqwest::StatusCode;
use serde_json::{json, Value};
use simulated_github::{conformance, Fault, MergeMethod, RepoSeed, SimulatedGitHub, UserKind};

const REPO: &str = "centerofci/mathesar";
/// An App installation's token: it acts as the App's bot.
const BOT_TOKEN: &str = "ghs_installation";
/// A person with the read role.
const READ_TOKEN: &str = "ghp_reader";
const BOT: &str = "releasebot[bot]";

const CONFIG: &str = "[release]\nversion_file = \"mathesar/__init__.py\"\n";
const INIT: &str = "__version__ = \"0.1.2\"\n";
const INSTALL: &str = "#!/bin/sh\necho install\n";

struct Sim {
    sim: SimulatedGitHub,
    http: reqwest::Client,
}

impl Drop for Sim {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            crate::harness::assert_conforms(&self.sim);
        }
    }
}

impl Sim {
    async fn start() -> Sim {
        let dir = tempfile::tempdir().unwrap();
        let at = |path: &str| dir.path().join(path);
        std::fs::create_dir_all(at(".github")).unwrap();
        std::fs::create_dir_all(at("mathesar")).unwrap();
        std::fs::write(at(".github/releasebot.toml"), CONFIG).unwrap();
        std::fs::write(at("mathesar/__init__.py"), INIT).unwrap();
        std::fs::write(at("install.sh"), INSTALL).unwrap();
        std::fs::write(at("logo.png"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(at("install.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let sim = SimulatedGitHub::start("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        for (login, kind) in [
            (BOT, UserKind::Bot),
            ("dependabot[bot]", UserKind::Bot),
            ("ada", UserKind::User),
            ("rita", UserKind::User),
            ("forker", UserKind::User),
        ] {
            sim.add_user(login, kind);
        }
        sim.add_token(BOT_TOKEN, BOT);
        sim.add_token(READ_TOKEN, "rita");
        sim.add_repo(
            RepoSeed::from_dir(REPO, "master", dir.path())
                .unwrap()
                .with_tags(["0.1.0"]),
        );
        sim.set_role(REPO, "ada", "maintain");
        sim.set_role(REPO, "rita", "read");
        Sim {
            sim,
            http: reqwest::Client::new(),
        }
    }

    async fn graphql_as(&self, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut request = self
            .http
            .post(format!("{}graphql", self.sim.url()))
            .json(&body);
        if let Some(token) = token {
            request = request.header("authorization", format!("bearer {token}"));
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The query as the bot, expecting GitHub's 200.
    async fn query(&self, query: &str) -> Value {
        let (status, body) = self
            .graphql_as(Some(BOT_TOKEN), json!({ "query": query }))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    async fn rest_post(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}repos/{REPO}/{path}", self.sim.url()))
            .header("authorization", format!("token {BOT_TOKEN}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }

    fn master(&self) -> String {
        self.sim.refs(REPO)["refs/heads/master"].clone()
    }

    /// The problems of the violations recorded so far, taking them.
    fn violations(&self) -> Vec<String> {
        self.sim
            .take_violations()
            .into_iter()
            .inspect(|v| assert_eq!(v.operation, "graphql"))
            .map(|v| v.problem)
            .collect()
    }
}

/// The kind of query the bot sends for a delivery: everything in one round trip.
fn delivery_query(merged: &str) -> String {
    let blob = "... on Blob { text isBinary isTruncated }";
    let status = "status { contexts { context state description } }";
    let comments = "comments(last: 2) { pageInfo { hasPreviousPage } nodes { databaseId body url author { __typename login } } }";
    format!(
        r#"query {{
  viewer {{ login }}
  repository(owner: "centerofci", name: "mathesar") {{
    config: object(expression: "master:.github/releasebot.toml") {{ __typename {blob} }}
    missing: object(expression: "master:nope.toml") {{ __typename }}
    base: ref(qualifiedName: "refs/heads/master") {{ name target {{ __typename oid ... on Commit {{ tree {{ oid }}
      f0: file(path: "mathesar/__init__.py") {{ path mode type oid object {{ __typename {blob} }} }}
      f1: file(path: "install.sh") {{ path mode type oid object {{ {blob} }} }}
      dir: file(path: "mathesar") {{ mode type }}
      logo: file(path: "logo.png") {{ object {{ {blob} }} }}
      none: file(path: "setup.py") {{ path }} }} }} }}
    tags: refs(refPrefix: "refs/tags/", first: 100) {{ totalCount pageInfo {{ hasNextPage endCursor }} nodes {{ name prefix target {{ __typename oid ... on Tag {{ name target {{ __typename oid }} }} }} }} }}
    branch: ref(qualifiedName: "refs/heads/release/0.1.3") {{ name prefix target {{ oid }} }}
    tag: ref(qualifiedName: "refs/tags/0.1.3") {{ target {{ __typename oid ... on Tag {{ target {{ oid ... on Commit {{ {status} }} }} }} ... on Commit {{ {status} }} }} }}
    pulls: pullRequests(headRefName: "release/0.1.3", first: 100, orderBy: {{field: CREATED_AT, direction: DESC}}) {{ pageInfo {{ hasNextPage }} nodes {{ number title body url state merged mergedAt mergeCommit {{ oid }} headRefName headRefOid baseRefName headRepositoryOwner {{ login }} author {{ __typename login }} }} }}
    releases(first: 100, orderBy: {{field: CREATED_AT, direction: DESC}}) {{ pageInfo {{ hasNextPage }} nodes {{ databaseId tagName name description isDraft isPrerelease url }} }}
    tracking: issueOrPullRequest(number: 1) {{ __typename ... on Issue {{ {comments} }} ... on PullRequest {{ {comments} }} }}
    merged: object(oid: "{merged}") {{ __typename ... on Commit {{ oid tree {{ oid }} f0: file(path: "mathesar/__init__.py") {{ path mode type oid object {{ ... on Blob {{ text isBinary isTruncated }} }} }} }} }}
  }}
}}"#
    )
}

#[tokio::test]
async fn one_query_reads_a_release_s_whole_state_as_the_world_holds_it() {
    let s = Sim::start().await;
    let sim = &s.sim;
    let tracking = sim.create_issue(REPO, "ada", "Release 0.1.3", "");
    assert_eq!(tracking, 1);
    for (author, body) in [
        ("ada", "/release 0.1.3"),
        ("dependabot[bot]", "Bumps x"),
        (BOT, "Started"),
    ] {
        sim.post_comment(REPO, tracking, author, body);
    }
    let release_commit = sim.push_commit(
        REPO,
        "release/0.1.3",
        BOT,
        "Bump to 0.1.3",
        &[("mathesar/__init__.py", "__version__ = \"0.1.3\"\n")],
    );
    sim.push_tag(REPO, "0.1.3", &release_commit, BOT, true);
    let ours = sim.open_pull(REPO, "release/0.1.3", "master", BOT, "Release 0.1.3");
    let forked = sim.open_pull_from_fork(
        REPO,
        "forker",
        "release/0.1.3",
        &release_commit,
        "master",
        "My own 0.1.3",
    );
    for (state, context) in [("pending", "ci"), ("failure", "lint"), ("success", "ci")] {
        s.rest_post(
            &format!("statuses/{release_commit}"),
            json!({ "state": state, "context": context, "description": format!("{context} {state}") }),
        )
        .await;
    }
    sim.publish_new_release(REPO, "0.1.0", "ada").unwrap();
    let draft = s
        .rest_post(
            "releases",
            json!({ "tag_name": "0.1.3", "name": "0.1.3", "body": "Notes", "draft": true }),
        )
        .await;

    let master = s.master();
    let answer = s.query(&delivery_query(&master)).await;
    assert!(answer.get("errors").is_none(), "{answer}");
    let data = &answer["data"];
    assert_eq!(data["viewer"]["login"], BOT);
    let repo = &data["repository"];

    assert_eq!(
        repo["config"],
        json!({ "__typename": "Blob", "text": CONFIG, "isBinary": false, "isTruncated": false })
    );
    assert_eq!(repo["missing"], Value::Null);

    let base = &repo["base"];
    assert_eq!(base["name"], "master");
    assert_eq!(base["target"]["__typename"], "Commit");
    assert_eq!(base["target"]["oid"], master.as_str());
    let commit = sim.commit(REPO, &master).unwrap();
    assert_eq!(base["target"]["tree"]["oid"], commit.tree.as_str());
    let files = sim.tree_paths(REPO, &master);
    assert_eq!(
        base["target"]["f0"],
        json!({
            "path": "mathesar/__init__.py", "mode": 33188, "type": "blob",
            "oid": files["mathesar/__init__.py"].1,
            "object": { "__typename": "Blob", "text": INIT, "isBinary": false, "isTruncated": false },
        })
    );
    assert_eq!(base["target"]["f1"]["mode"], 33261);
    assert_eq!(base["target"]["f1"]["object"]["text"], INSTALL);
    assert_eq!(
        base["target"]["dir"],
        json!({ "mode": 16384, "type": "tree" })
    );
    assert_eq!(
        base["target"]["logo"]["object"],
        json!({ "text": null, "isBinary": true, "isTruncated": false })
    );
    assert_eq!(base["target"]["none"], Value::Null);

    // Tags by name; the annotated one is a Tag object, peeled by its target; the lightweight
    // one's ref targets the commit itself.
    let tags = &repo["tags"];
    assert_eq!(tags["totalCount"], 2);
    assert_eq!(tags["pageInfo"]["hasNextPage"], false);
    let tag_objects = sim.refs(REPO);
    assert_eq!(
        tags["nodes"],
        json!([
            { "name": "0.1.0", "prefix": "refs/tags/", "target": { "__typename": "Commit", "oid": master } },
            { "name": "0.1.3", "prefix": "refs/tags/", "target": {
                "__typename": "Tag", "oid": tag_objects["refs/tags/0.1.3"], "name": "0.1.3",
                "target": { "__typename": "Commit", "oid": release_commit } } },
        ])
    );
    assert_eq!(
        repo["branch"],
        json!({ "name": "release/0.1.3", "prefix": "refs/heads/", "target": { "oid": release_commit } })
    );
    // The latest status of each context.
    assert_eq!(
        repo["tag"]["target"]["target"]["status"]["contexts"],
        json!([
            { "context": "ci", "state": "SUCCESS", "description": "ci success" },
            { "context": "lint", "state": "FAILURE", "description": "lint failure" },
        ])
    );

    // Both pulls from a branch of that name, the fork's too, newest first.
    let pulls = repo["pulls"]["nodes"].as_array().unwrap();
    let numbers: Vec<&Value> = pulls.iter().map(|p| &p["number"]).collect();
    assert_eq!(numbers, [&json!(forked), &json!(ours)]);
    assert_eq!(pulls[0]["headRepositoryOwner"]["login"], "forker");
    assert_eq!(pulls[0]["headRefOid"], release_commit.as_str());
    assert_eq!(pulls[1]["headRepositoryOwner"]["login"], "centerofci");
    assert_eq!(
        pulls[1]["author"],
        json!({ "__typename": "Bot", "login": "releasebot" })
    );
    assert_eq!(pulls[1]["state"], "OPEN");
    assert_eq!(pulls[1]["merged"], false);
    assert_eq!(pulls[1]["mergeCommit"], Value::Null);
    assert_eq!(pulls[1]["headRefOid"], release_commit.as_str());
    assert_eq!(pulls[1]["baseRefName"], "master");
    assert!(pulls[1]["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("centerofci/mathesar/pull/{ours}")));

    // REST's `head` filter names the owner, so it tells the fork's pull request apart.
    let rest: Value = s
        .http
        .get(format!(
            "{}repos/{REPO}/pulls?head=centerofci:release/0.1.3",
            sim.url()
        ))
        .header("authorization", format!("token {BOT_TOKEN}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let numbers: Vec<&Value> = rest
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["number"])
        .collect();
    assert_eq!(numbers, [&json!(ours)]);

    // The bot can push: it sees the draft, newest first.
    let releases = &repo["releases"]["nodes"];
    assert_eq!(releases[0]["databaseId"], draft["id"]);
    assert_eq!(releases[0]["isDraft"], true);
    assert_eq!(releases[0]["description"], "Notes");
    assert_eq!(releases[0]["url"], draft["html_url"]);
    assert_eq!(releases[1]["tagName"], "0.1.0");
    assert_eq!(releases[1]["isDraft"], false);

    // The newest two comments, oldest first; a bot is named without `[bot]`.
    let tracking = &repo["tracking"];
    assert_eq!(tracking["__typename"], "Issue");
    assert_eq!(tracking["comments"]["pageInfo"]["hasPreviousPage"], true);
    let comments = tracking["comments"]["nodes"].as_array().unwrap();
    let authors: Vec<&Value> = comments.iter().map(|c| &c["author"]).collect();
    assert_eq!(
        authors,
        [
            &json!({ "__typename": "Bot", "login": "dependabot" }),
            &json!({ "__typename": "Bot", "login": "releasebot" }),
        ]
    );
    assert_eq!(comments[1]["body"], "Started");
    let ids: Vec<u64> = sim.comments(REPO, 1).iter().map(|c| c.id).collect();
    assert_eq!(comments[1]["databaseId"], ids[2]);

    assert_eq!(repo["merged"]["__typename"], "Commit");
    assert_eq!(repo["merged"]["f0"]["object"]["text"], INIT);
}

#[tokio::test]
async fn a_merged_pull_request_reads_as_merged_and_is_no_issue() {
    let s = Sim::start().await;
    s.sim.push_commit(
        REPO,
        "release/0.1.3",
        BOT,
        "Bump to 0.1.3",
        &[("mathesar/__init__.py", "__version__ = \"0.1.3\"\n")],
    );
    let number = s
        .sim
        .open_pull(REPO, "release/0.1.3", "master", BOT, "Release 0.1.3");
    s.sim.post_comment(REPO, number, "ada", "Looks good");
    let merge = s
        .sim
        .merge_pull(REPO, number, MergeMethod::Squash, "ada")
        .unwrap();
    let answer = s
        .query(&format!(
            r#"{{ repository(owner: "centerofci", name: "mathesar") {{
              pr: pullRequest(number: {number}) {{ state merged mergedAt mergeCommit {{ oid message }} }}
              either: issueOrPullRequest(number: {number}) {{ __typename ... on PullRequest {{ comments(first: 5) {{ totalCount nodes {{ body viewerDidAuthor author {{ __typename login }} }} }} }} }}
              issue(number: {number}) {{ title }} }} }}"#
        ))
        .await;
    let repo = &answer["data"]["repository"];
    assert_eq!(repo["pr"]["state"], "MERGED");
    assert_eq!(repo["pr"]["merged"], true);
    assert!(repo["pr"]["mergedAt"].is_string());
    assert_eq!(repo["pr"]["mergeCommit"]["oid"], merge.as_str());
    assert_eq!(repo["either"]["__typename"], "PullRequest");
    assert_eq!(
        repo["either"]["comments"],
        json!({ "totalCount": 1, "nodes": [{ "body": "Looks good", "viewerDidAuthor": false, "author": { "__typename": "User", "login": "ada" } }] })
    );
    // A pull request is not found as an issue: null, with GitHub's NOT_FOUND.
    assert_eq!(repo["issue"], Value::Null);
    assert_eq!(answer["errors"][0]["type"], "NOT_FOUND");
    assert_eq!(answer["errors"][0]["path"], json!(["repository", "issue"]));
    assert_eq!(
        answer["errors"][0]["message"],
        format!("Could not resolve to an Issue with the number of {number}.")
    );
}

#[tokio::test]
async fn a_blob_above_512_kib_is_truncated_as_github_truncates_it() {
    let s = Sim::start().await;
    let big = "x".repeat(600 * 1024);
    s.sim
        .push_commit(REPO, "master", "ada", "Big file", &[("big.txt", &big)]);
    let answer = s
        .query(r#"{ repository(owner: "centerofci", name: "mathesar") {
            object(expression: "master:big.txt") { ... on Blob { byteSize isTruncated isBinary text } } } }"#)
        .await;
    let blob = &answer["data"]["repository"]["object"];
    assert_eq!(blob["byteSize"], 600 * 1024);
    assert_eq!(blob["isTruncated"], true);
    assert_eq!(blob["isBinary"], false);
    assert_eq!(blob["text"].as_str().unwrap().len(), 512 * 1024);
}

#[tokio::test]
async fn the_bots_delivery_query_as_written_is_valid_and_answered() {
    let s = Sim::start().await;
    s.sim.create_issue(REPO, "ada", "Release 0.1.3", "");
    let merged = s.master();
    let query = r#"query {
  viewer { login }
  repository(owner: "centerofci", name: "mathesar") {
    config: object(expression: "master:.github/releasebot.toml") { __typename ... on Blob { text isBinary isTruncated } }
    base: ref(qualifiedName: "refs/heads/master") { name target { __typename oid ... on Commit { tree { oid } f0: file(path: "mathesar/__init__.py") { path mode type oid object { __typename ... on Blob { text isBinary isTruncated } } } f1: file(path: "install.sh") { path mode type oid object { ... on Blob { text isBinary isTruncated } } } } } }
    tags: refs(refPrefix: "refs/tags/", first: 100) { totalCount pageInfo { hasNextPage endCursor } nodes { name target { __typename oid ... on Tag { target { __typename oid } } } } }
    branch: ref(qualifiedName: "refs/heads/release/0.1.3") { target { oid } }
    tag: ref(qualifiedName: "refs/tags/0.1.3") { target { __typename oid ... on Tag { target { oid ... on Commit { status { contexts { context state description } } } } } ... on Commit { status { contexts { context state description } } } } }
    pulls: pullRequests(headRefName: "release/0.1.3", first: 100, orderBy: {field: CREATED_AT, direction: DESC}) { pageInfo { hasNextPage } nodes { number title body url state merged mergedAt mergeCommit { oid } headRefName headRefOid baseRefName headRepositoryOwner { login } author { __typename login } } }
    releases(first: 100, orderBy: {field: CREATED_AT, direction: DESC}) { pageInfo { hasNextPage } nodes { databaseId tagName name description isDraft isPrerelease url } }
    tracking: issueOrPullRequest(number: 1) { __typename ... on Issue { comments(last: 100) { pageInfo { hasPreviousPage } nodes { databaseId body url author { __typename login } } } } ... on PullRequest { comments(last: 100) { pageInfo { hasPreviousPage } nodes { databaseId body url author { __typename login } } } } }
    merged: object(oid: "MERGED") { __typename ... on Commit { oid tree { oid } f0: file(path: "mathesar/__init__.py") { path mode type oid object { ... on Blob { text isBinary isTruncated } } } } }
  }
}"#
    .replace("MERGED", &merged);
    let answer = s.query(&query).await;
    assert!(answer.get("errors").is_none(), "{answer}");
    let repo = &answer["data"]["repository"];
    // No such branch or tag yet: null, not an error.
    assert_eq!(repo["branch"], Value::Null);
    assert_eq!(repo["tag"], Value::Null);
    assert_eq!(repo["pulls"]["nodes"], json!([]));
    assert_eq!(repo["tracking"]["comments"]["nodes"], json!([]));
    assert_eq!(repo["merged"]["f0"]["mode"], 33188);
}

#[tokio::test]
async fn a_draft_release_is_listed_only_to_a_token_with_push_access() {
    let s = Sim::start().await;
    s.sim.publish_new_release(REPO, "0.1.0", "ada").unwrap();
    s.rest_post("releases", json!({ "tag_name": "0.1.1", "draft": true }))
        .await;
    let query = r#"{ repository(owner: "centerofci", name: "mathesar") {
        releases(first: 10) { totalCount nodes { tagName isDraft isLatest tagCommit { oid } author { __typename login } } } } }"#;
    let tags = |answer: &Value| -> Vec<(String, bool)> {
        answer["data"]["repository"]["releases"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["tagName"].as_str().unwrap().to_string(),
                    r["isDraft"] == true,
                )
            })
            .collect()
    };

    let pusher = s.query(query).await;
    assert_eq!(
        tags(&pusher),
        [("0.1.0".to_string(), false), ("0.1.1".to_string(), true)]
    );
    let nodes = &pusher["data"]["repository"]["releases"]["nodes"];
    assert_eq!(nodes[0]["isLatest"], true);
    assert_eq!(nodes[0]["tagCommit"]["oid"], s.master().as_str());
    // The draft's tag does not exist yet.
    assert_eq!(nodes[1]["tagCommit"], Value::Null);
    // `Release.author` is a `User` in GitHub's schema: an App's bot keeps REST's login there.
    assert_eq!(
        nodes[0]["author"],
        json!({ "__typename": "User", "login": "ada" })
    );
    assert_eq!(
        nodes[1]["author"],
        json!({ "__typename": "User", "login": BOT })
    );

    let (_, reader) = s
        .graphql_as(Some(READ_TOKEN), json!({ "query": query }))
        .await;
    assert_eq!(tags(&reader), [("0.1.0".to_string(), false)]);
    assert_eq!(reader["data"]["repository"]["releases"]["totalCount"], 1);
}

/// An installation token, fetched as an App does: a JWT signed with the App's key.
async fn installation_token(s: &Sim) -> String {
    const KEY: &[u8] = include_bytes!("../fixtures/throwaway-app-key.pem");
    const PUBLIC: &str = include_str!("../fixtures/throwaway-app-key.pub.pem");
    const APP_ID: u64 = 4242;
    s.sim.register_app(APP_ID, PUBLIC, BOT);
    let now = chrono::Utc::now().timestamp();
    let jwt = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &json!({ "iat": now - 30, "exp": now + 500, "iss": APP_ID.to_string() }),
        &jsonwebtoken::EncodingKey::from_rsa_pem(KEY).unwrap(),
    )
    .unwrap();
    let installation = s.sim.installation_id(REPO).unwrap();
    let answer: Value = s
        .http
        .post(format!(
            "{}app/installations/{installation}/access_tokens",
            s.sim.url()
        ))
        .header("authorization", format!("Bearer {jwt}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_viewer_is_the_tokens_actor_a_bots_user_with_its_suffix_or_a_person() {
    let s = Sim::start().await;
    let query = "{ viewer { __typename login databaseId } }";
    let token = installation_token(&s).await;
    let (_, bot) = s.graphql_as(Some(&token), json!({ "query": query })).await;
    // `Query.viewer` is a `User!` in GitHub's schema, even for an App's bot.
    assert_eq!(bot["data"]["viewer"]["__typename"], "User");
    assert_eq!(bot["data"]["viewer"]["login"], BOT);
    assert!(bot["data"]["viewer"]["databaseId"].is_u64());
    let (_, user) = s
        .graphql_as(Some(READ_TOKEN), json!({ "query": query }))
        .await;
    assert_eq!(user["data"]["viewer"]["__typename"], "User");
    assert_eq!(user["data"]["viewer"]["login"], "rita");
}

#[tokio::test]
async fn variables_named_fragments_and_operation_names_are_executed() {
    let s = Sim::start().await;
    let query = r#"
        query Other { viewer { login } }
        query Files($owner: String!, $name: String!, $path: String!, $skipMode: Boolean = false) {
          repository(owner: $owner, name: $name) { nameWithOwner defaultBranchRef { name target { ...Files } } }
        }
        fragment Files on Commit { file(path: $path) { name mode @skip(if: $skipMode) ...Text } }
        fragment Text on TreeEntry { object { ... on Blob { byteSize text } } }
    "#;
    let (status, answer) = s
        .graphql_as(
            Some(BOT_TOKEN),
            json!({
                "query": query,
                "operationName": "Files",
                "variables": { "owner": "centerofci", "name": "mathesar", "path": "install.sh", "skipMode": true },
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        answer,
        json!({ "data": { "repository": {
            "nameWithOwner": REPO,
            "defaultBranchRef": { "name": "master", "target": { "file": {
                "name": "install.sh",
                "object": { "byteSize": INSTALL.len(), "text": INSTALL },
            } } },
        } } })
    );
}

#[tokio::test]
async fn an_invalid_query_is_answered_with_errors_and_recorded_as_a_violation() {
    let s = Sim::start().await;
    let answer = s
        .query(r#"{ repository(owner: "centerofci", name: "mathesar") { nameWithOwner noSuchField } }"#)
        .await;
    assert!(answer.get("data").is_none(), "{answer}");
    let error = &answer["errors"][0];
    assert!(
        error["message"].as_str().unwrap().contains("noSuchField"),
        "{error}"
    );
    assert_eq!(error["locations"][0]["line"], 1);
    let violations = s.violations();
    assert_eq!(violations.len(), 1);
    assert!(violations[0].contains("noSuchField"), "{violations:?}");

    let answer = s
        .query(r#"{ repository(owner: "centerofci", name: "mathesar") { refs(refPrefix: "refs/tags/", first: "ten") { totalCount } } }"#)
        .await;
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("type Int"),
        "{answer}"
    );
    assert_eq!(s.violations().len(), 1);

    // Missing variables are refused before execution, too.
    let (_, answer) = s
        .graphql_as(
            Some(BOT_TOKEN),
            json!({ "query": "query($n: Int!) { repository(owner: \"centerofci\", name: \"mathesar\") { issue(number: $n) { title } } }" }),
        )
        .await;
    assert!(answer.get("data").is_none(), "{answer}");
    assert_eq!(s.violations().len(), 1);
}

#[tokio::test]
async fn a_schema_field_the_simulator_does_not_model_is_an_error_and_a_violation() {
    let s = Sim::start().await;
    let answer = s
        .query(r#"{ repository(owner: "centerofci", name: "mathesar") { nameWithOwner stargazerCount } }"#)
        .await;
    let error = &answer["errors"][0];
    assert_eq!(
        error["message"],
        "the simulated GitHub does not model `Repository.stargazerCount`"
    );
    assert_eq!(error["path"], json!(["repository", "stargazerCount"]));
    // `stargazerCount` is non-null in GitHub's schema: its parent is null instead.
    assert_eq!(answer["data"]["repository"], Value::Null);
    assert_eq!(
        s.violations(),
        ["the simulated GitHub does not model `Repository.stargazerCount`"]
    );

    let answer = s
        .query("mutation { addStar(input: {starrableId: \"x\"}) { clientMutationId } }")
        .await;
    assert!(answer["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("does not model"));
    assert_eq!(s.violations().len(), 1);
}

#[tokio::test]
async fn a_repository_that_is_absent_or_hidden_is_null_with_not_found() {
    let s = Sim::start().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "a\n").unwrap();
    s.sim.add_repo(
        RepoSeed::from_dir("centerofci/secret", "main", dir.path())
            .unwrap()
            .private(true),
    );
    let query = r#"{ a: repository(owner: "centerofci", name: "nope") { nameWithOwner }
                     b: repository(owner: "centerofci", name: "secret") { nameWithOwner } }"#;
    let (_, reader) = s
        .graphql_as(Some(READ_TOKEN), json!({ "query": query }))
        .await;
    assert_eq!(reader["data"], json!({ "a": null, "b": null }));
    let errors = reader["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0]["type"], "NOT_FOUND");
    assert_eq!(errors[0]["path"], json!(["a"]));
    assert_eq!(
        errors[0]["message"],
        "Could not resolve to a Repository with the name 'centerofci/nope'."
    );
    assert_eq!(errors[1]["type"], "NOT_FOUND");
    // The installation sees the private repository; nothing the caller got wrong.
    let bot = s.query(query).await;
    assert_eq!(bot["data"]["b"]["nameWithOwner"], "centerofci/secret");
    assert!(s.violations().is_empty());
}

#[tokio::test]
async fn a_request_without_a_token_is_refused_as_rest_refuses_it() {
    let s = Sim::start().await;
    let (status, body) = s
        .graphql_as(None, json!({ "query": "{ viewer { login } }" }))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["message"], "Requires authentication");
    let (status, _) = s
        .graphql_as(Some("nope"), json!({ "query": "{ viewer { login } }" }))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn more_than_a_hundred_records_or_no_bound_is_refused_as_github_refuses_it() {
    let s = Sim::start().await;
    let answer = s
        .query(r#"{ repository(owner: "centerofci", name: "mathesar") { refs(refPrefix: "refs/tags/", first: 101) { totalCount } } }"#)
        .await;
    let error = &answer["errors"][0];
    assert_eq!(
        error["message"],
        "Requesting 101 records on the `refs` connection exceeds the `first` limit of 100 records."
    );
    assert_eq!(error["type"], "EXCESSIVE_PAGINATION");
    assert_eq!(error["path"], json!(["repository", "refs"]));
    // GitHub checks bounds with the schema, before running anything: no data at all.
    assert!(answer.get("data").is_none(), "{answer}");
    assert_eq!(s.violations().len(), 1);

    let answer = s
        .query(
            r#"{ repository(owner: "centerofci", name: "mathesar") { releases { totalCount } } }"#,
        )
        .await;
    assert_eq!(
        answer["errors"][0]["message"],
        "You must provide a `first` or `last` value to properly paginate the `releases` connection."
    );
    assert_eq!(s.violations().len(), 1);

    // A bound given by a variable, in a fragment, is checked the same way.
    let (_, answer) = s
        .graphql_as(
            Some(BOT_TOKEN),
            json!({
                "query": r#"query($n: Int) { repository(owner: "centerofci", name: "mathesar") {
                    issueOrPullRequest(number: 1) { ...Talk } } }
                    fragment Talk on Issue { comments(last: $n) { totalCount } }"#,
                "variables": { "n": 200 },
            }),
        )
        .await;
    assert_eq!(
        answer["errors"][0]["message"],
        "Requesting 200 records on the `comments` connection exceeds the `last` limit of 100 records."
    );
    assert_eq!(
        s.violations(),
        ["Requesting 200 records on the `comments` connection exceeds the `last` limit of 100 records."]
    );
}

#[tokio::test]
async fn after_cursors_page_through_a_hundred_and_fifty_tags() {
    let s = Sim::start().await;
    let master = s.master();
    for n in 0..150 {
        s.sim
            .push_tag(REPO, &format!("v{n:03}"), &master, "ada", false);
    }
    let mut names = Vec::new();
    let mut after = Value::Null;
    let mut pages = 0;
    loop {
        let (_, answer) = s
            .graphql_as(
                Some(BOT_TOKEN),
                json!({
                    "query": r#"query($after: String) { repository(owner: "centerofci", name: "mathesar") {
                        refs(refPrefix: "refs/tags/", first: 100, after: $after) {
                          totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
                          edges { cursor node { name } } } } }"#,
                    "variables": { "after": after },
                }),
            )
            .await;
        let refs = &answer["data"]["repository"]["refs"];
        assert_eq!(refs["totalCount"], 151, "{answer}");
        assert_eq!(refs["pageInfo"]["hasPreviousPage"], pages > 0);
        for edge in refs["edges"].as_array().unwrap() {
            names.push(edge["node"]["name"].as_str().unwrap().to_string());
        }
        pages += 1;
        if refs["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = refs["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(pages, 2);
    // By name: the seeded `0.1.0`, then the 150 pushed.
    let expected: Vec<String> = std::iter::once("0.1.0".to_string())
        .chain((0..150).map(|n| format!("v{n:03}")))
        .collect();
    assert_eq!(names, expected);
}

#[tokio::test]
async fn a_fault_injected_on_post_graphql_is_served_and_every_request_recorded() {
    let s = Sim::start().await;
    s.sim
        .fail_matching("POST", "/graphql", 1, Fault::Status(502));
    let (status, _) = s
        .graphql_as(Some(BOT_TOKEN), json!({ "query": "{ viewer { login } }" }))
        .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    let answer = s.query("{ viewer { login } }").await;
    assert_eq!(answer["data"]["viewer"]["login"], BOT);
    let requests: Vec<(String, String, u16)> = s
        .sim
        .requests()
        .into_iter()
        .map(|r| (r.method, r.path, r.status))
        .collect();
    assert_eq!(
        requests,
        [
            ("POST".into(), "/graphql".into(), 502),
            ("POST".into(), "/graphql".into(), 200),
        ]
    );
}

#[test]
fn the_schema_is_githubs_published_one_at_a_pinned_version() {
    assert_eq!(
        conformance::graphql_source(),
        "@octokit/graphql-schema@15.26.1 schema.graphql"
    );
}
