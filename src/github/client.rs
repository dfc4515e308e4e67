//! The REST calls releasebot makes, one method each, on one repository.

use base64::Engine as _;
use http_body_util::combinators::BoxBody;
use octocrab::{Octocrab, Page};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;

use super::models::*;
use super::prefetch::{Changed, Prefetched, ReadPlan};
use super::{api_stats, ApiError};
use crate::domain::{CommitSha, IssueNumber, PullNumber, ReleaseId, RunId, StatusState};
use crate::permission::Role;

#[derive(Clone)]
pub struct RepoClient {
    octocrab: Octocrab,
    owner: String,
    name: String,
    /// The client for GitHub's GraphQL endpoint, when the connector has one.
    graphql: Option<Octocrab>,
    /// What this delivery's query read; REST reads are answered from it.
    prefetched: std::sync::Arc<std::sync::Mutex<Prefetched>>,
}

/// What creating a ref found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateRef {
    Created,
    /// Someone (or an earlier run of ours) made it first: GitHub's 422 "Reference already exists".
    AlreadyExists,
}

impl RepoClient {
    pub fn new(octocrab: Octocrab, owner: &str, name: &str) -> Self {
        RepoClient {
            octocrab,
            owner: owner.to_string(),
            name: name.to_string(),
            graphql: None,
            prefetched: Default::default(),
        }
    }

    /// Reads through GitHub's GraphQL endpoint with this client (see `prefetch`).
    pub fn with_graphql(mut self, graphql: Octocrab) -> Self {
        self.graphql = Some(graphql);
        self
    }

    /// Reads what `plan` names in one GraphQL query; the REST reads that follow are answered
    /// from it. Without a GraphQL client, or when GitHub's answer is no answer (a GraphQL
    /// endpoint that refuses the query, an Enterprise server without it), nothing is read
    /// ahead and every read goes to REST, as before. An HTTP failure (5xx, rate limit, no
    /// connection) is the job's failure, as a failed REST read would be.
    pub async fn prefetch(&self, plan: &ReadPlan) -> Result<(), ApiError> {
        let Some(graphql) = &self.graphql else {
            return Ok(());
        };
        if plan.is_empty() {
            return Ok(());
        }
        let query = plan.query(&self.owner, &self.name);
        let answer = match graphql_call(graphql, &query).await {
            Ok(answer) => answer,
            Err(error) if error.status().is_some_and(|s| matches!(s, 400 | 404 | 422)) => {
                tracing::warn!(%error, "GitHub's GraphQL endpoint refused the read; reading over REST");
                return Ok(());
            }
            Err(error) => return Err(error),
        };
        if answer.get("data").is_none_or(|d| d.is_null()) {
            tracing::warn!(errors = %answer["errors"], "GitHub's GraphQL endpoint answered no data; reading over REST");
            return Ok(());
        }
        if let Some(errors) = answer.get("errors") {
            tracing::info!(%errors, "parts of the GraphQL read are read over REST");
        }
        let found = super::prefetch::read(plan, &self.owner, &answer);
        // One query per client (one delivery's job): what it found is what is known.
        *self.known() = found;
        Ok(())
    }

    /// The token's login, when a query read it.
    pub fn prefetched_viewer(&self) -> Option<String> {
        self.known().viewer.clone()
    }

    fn known(&self) -> std::sync::MutexGuard<'_, Prefetched> {
        // A panic while holding it leaves a cache that is at worst stale: keep using it.
        self.prefetched
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The tree id and the entries and texts of `paths` at a commit, when the query read them all.
    pub(super) fn prefetched_files(
        &self,
        commit: &CommitSha,
        paths: &[&str],
    ) -> Option<(String, Vec<(TreeEntry, String)>)> {
        self.known().commit_files(commit, paths)
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub(super) fn route(&self, rest: &str) -> String {
        format!(
            "/repos/{}/{}/{}",
            encode_segment(&self.owner),
            encode_segment(&self.name),
            rest
        )
    }

    /// Every call goes through here: one place that counts calls, reads the rate limit, turns
    /// GitHub's error answers into `ApiError`, and forgets what the caller declares the call
    /// may have changed of what was read once (`Changed::Nothing` for reads).
    async fn exchange<B: Serialize + ?Sized>(
        &self,
        method: &'static str,
        route: &str,
        body: Option<&B>,
        changes: Changed,
    ) -> Result<http::Response<BoxBody<bytes::Bytes, octocrab::Error>>, ApiError> {
        let wrap = |e| ApiError::from_octocrab(method, route, e);
        let uri = http::Uri::builder()
            .path_and_query(route)
            .build()
            .map_err(|e| ApiError::Unsendable {
                method,
                route: route
                    .split('?')
                    .next()
                    .unwrap_or(route)
                    .escape_debug()
                    .collect(),
                detail: e.to_string(),
            })?;
        let sent = match method {
            "GET" => self.octocrab._get(uri).await,
            "PATCH" => self.octocrab._patch(uri, body).await,
            "DELETE" => self.octocrab._delete(uri, body).await,
            "PUT" => self.octocrab._put(uri, body).await,
            _ => self.octocrab._post(uri, body).await,
        };
        let response = match sent {
            Ok(response) => response,
            Err(error) => {
                api_stats::record(None, false);
                self.known().forget(changes);
                return Err(wrap(error));
            }
        };
        let headers = response.headers().clone();
        let checked = octocrab::map_github_error(response).await;
        api_stats::record(Some(&headers), checked.is_ok());
        // Even a refused write may have been half done: forget what it could have changed.
        self.known().forget(changes);
        checked.map_err(wrap)
    }

    async fn call<B: Serialize + ?Sized, T: octocrab::FromResponse>(
        &self,
        method: &'static str,
        route: &str,
        body: Option<&B>,
        changes: Changed,
    ) -> Result<T, ApiError> {
        let response = self.exchange(method, route, body, changes).await?;
        T::from_response(response)
            .await
            .map_err(|e| ApiError::from_octocrab(method, route, e))
    }

    pub(super) async fn get<T: octocrab::FromResponse>(
        &self,
        route: String,
    ) -> Result<T, ApiError> {
        self.call("GET", &route, None::<&()>, Changed::Nothing)
            .await
    }

    /// `Ok(None)` for a 404, which for these reads means "not there (yet)".
    async fn get_optional<T: octocrab::FromResponse>(
        &self,
        route: String,
    ) -> Result<Option<T>, ApiError> {
        match self.get(route).await {
            Ok(value) => Ok(Some(value)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Every page of a list, 100 at a time.
    async fn get_all<T: DeserializeOwned>(&self, route: String) -> Result<Vec<T>, ApiError> {
        self.get_pages(route, |_: &T| false).await
    }

    /// The first item of a list that `wanted` picks, reading pages (100 at a time) only until
    /// one holds it; `None` after the last page.
    async fn find_paged<T: DeserializeOwned>(
        &self,
        route: String,
        wanted: impl Fn(&T) -> bool,
    ) -> Result<Option<T>, ApiError> {
        Ok(self
            .get_pages(route, &wanted)
            .await?
            .into_iter()
            .find(|item| wanted(item)))
    }

    /// Pages of a list, 100 at a time, until the last one or one holding an item `stop` picks.
    async fn get_pages<T: DeserializeOwned>(
        &self,
        route: String,
        stop: impl Fn(&T) -> bool,
    ) -> Result<Vec<T>, ApiError> {
        let separator = if route.contains('?') { '&' } else { '?' };
        let first = format!("{route}{separator}per_page=100");
        let mut page: Page<T> = self.get(first).await?;
        let mut items = page.take_items();
        while let Some(next) = page.next.take() {
            if items.iter().any(&stop) {
                break;
            }
            let next_route = next
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| next.to_string());
            let mut next_page: Page<T> = self.get(next_route).await?;
            items.append(&mut next_page.take_items());
            page = next_page;
        }
        Ok(items)
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        route: String,
        body: &B,
        changes: Changed,
    ) -> Result<T, ApiError> {
        self.call("POST", &route, Some(body), changes).await
    }

    pub(super) async fn put<B: Serialize, T: DeserializeOwned>(
        &self,
        route: String,
        body: &B,
        changes: Changed,
    ) -> Result<T, ApiError> {
        self.call("PUT", &route, Some(body), changes).await
    }

    pub(super) async fn patch<B: Serialize, T: DeserializeOwned>(
        &self,
        route: String,
        body: &B,
        changes: Changed,
    ) -> Result<T, ApiError> {
        self.call("PATCH", &route, Some(body), changes).await
    }

    /// A write GitHub answers with 204 and no body (dispatches, deletions).
    async fn send_no_content<B: Serialize>(
        &self,
        method: &'static str,
        route: String,
        body: Option<&B>,
        changes: Changed,
    ) -> Result<(), ApiError> {
        self.exchange(method, &route, body, changes).await?;
        Ok(())
    }

    // ----- repository content -----

    /// A file's text at a ref, or `None` when the file (or the ref) does not exist.
    pub async fn file_text(&self, path: &str, git_ref: &str) -> Result<Option<String>, ApiError> {
        if let Some(known) = self.known().file(path, git_ref) {
            return Ok(known);
        }
        let route = self.route(&format!(
            "contents/{}?ref={}",
            encode_path(path),
            encode_path(git_ref)
        ));
        let Some(file) = self.get_optional::<FileContent>(route.clone()).await? else {
            return Ok(None);
        };
        if file.kind != "file" {
            return Err(unexpected(
                "GET",
                &route,
                format!("`{path}` is a {}, not a file", file.kind),
            ));
        }
        let content = file.content.unwrap_or_default();
        decode_text(&content, file.encoding.as_deref().unwrap_or("base64"))
            .map(Some)
            .map_err(|detail| unexpected("GET", &route, detail))
    }

    // ----- git data -----

    /// The object a ref points at (`heads/master`, `tags/0.1.3`), `None` when it does not exist.
    pub async fn git_ref(&self, short_ref: &str) -> Result<Option<GitRef>, ApiError> {
        if let Some(known) = self.known().git_ref(short_ref) {
            return Ok(known);
        }
        self.get_optional(self.route(&format!("git/ref/{}", encode_path(short_ref))))
            .await
    }

    /// All refs whose name starts with the prefix, e.g. `tags` (GitHub does not paginate this).
    pub async fn matching_refs(&self, prefix: &str) -> Result<Vec<GitRef>, ApiError> {
        if let Some(known) = self.known().matching_refs(prefix) {
            return Ok(known);
        }
        self.get(self.route(&format!("git/matching-refs/{}", encode_path(prefix))))
            .await
    }

    /// Points a new ref at an object: a commit, or an annotated tag object.
    pub async fn create_ref(&self, full_ref: &str, sha: &str) -> Result<CreateRef, ApiError> {
        let route = self.route("git/refs");
        let result: Result<GitRef, _> = self
            .post(
                route,
                &json!({ "ref": full_ref, "sha": sha }),
                Changed::Refs,
            )
            .await;
        match result {
            Ok(_) => Ok(CreateRef::Created),
            Err(error) if error.is_unprocessable() && is_already_exists(&error) => {
                Ok(CreateRef::AlreadyExists)
            }
            Err(error) => Err(error),
        }
    }

    pub async fn delete_ref(&self, short_ref: &str) -> Result<(), ApiError> {
        let route = self.route(&format!("git/refs/{}", encode_path(short_ref)));
        self.send_no_content("DELETE", route, None::<&()>, Changed::Refs)
            .await
    }

    /// An annotated tag object on a commit; the ref that points at it is made separately.
    pub async fn create_tag_object(
        &self,
        tag: &str,
        message: &str,
        commit: &CommitSha,
    ) -> Result<String, ApiError> {
        let created: Created = self
            .post(
                self.route("git/tags"),
                &json!({ "tag": tag, "message": message, "object": commit, "type": "commit" }),
                Changed::Nothing,
            )
            .await?;
        Ok(created.sha)
    }

    /// An annotated tag object, or `None` when the id is not one (a lightweight tag's commit).
    pub async fn tag_object(&self, sha: &str) -> Result<Option<TagObject>, ApiError> {
        if let Some(known) = self.known().tag_object(sha) {
            return Ok(Some(known));
        }
        self.get_optional(self.route(&format!("git/tags/{sha}")))
            .await
    }

    pub async fn commit(&self, sha: &CommitSha) -> Result<Commit, ApiError> {
        self.get(self.route(&format!("git/commits/{sha}"))).await
    }

    pub(super) async fn tree_recursive(&self, sha: &str) -> Result<Tree, ApiError> {
        self.get(self.route(&format!("git/trees/{sha}?recursive=1")))
            .await
    }

    pub(super) async fn tree(&self, sha: &str) -> Result<Tree, ApiError> {
        self.get(self.route(&format!("git/trees/{sha}"))).await
    }

    pub(super) async fn blob_text(&self, sha: &str) -> Result<String, ApiError> {
        let route = self.route(&format!("git/blobs/{sha}"));
        let blob: Blob = self.get(route.clone()).await?;
        decode_text(&blob.content, &blob.encoding)
            .map_err(|detail| unexpected("GET", &route, detail))
    }

    /// A tree that is `base_tree` with the given files (path, mode, text) replaced.
    pub async fn create_tree(
        &self,
        base_tree: &str,
        files: &[(String, String, String)],
    ) -> Result<String, ApiError> {
        let entries: Vec<_> = files
            .iter()
            .map(|(path, mode, content)| {
                json!({ "path": path, "mode": mode, "type": "blob", "content": content })
            })
            .collect();
        let created: Created = self
            .post(
                self.route("git/trees"),
                &json!({ "base_tree": base_tree, "tree": entries }),
                Changed::Nothing,
            )
            .await?;
        Ok(created.sha)
    }

    pub async fn create_commit(
        &self,
        message: &str,
        tree: &str,
        parents: &[&CommitSha],
    ) -> Result<Commit, ApiError> {
        self.post(
            self.route("git/commits"),
            &json!({ "message": message, "tree": tree, "parents": parents }),
            Changed::Nothing,
        )
        .await
    }

    // ----- issues and comments -----

    pub async fn issue_comments(&self, issue: IssueNumber) -> Result<Vec<IssueComment>, ApiError> {
        if let Some(known) = self.known().issue_comments(issue) {
            return Ok(known);
        }
        self.get_all(self.route(&format!("issues/{issue}/comments")))
            .await
    }

    /// The oldest comment of an issue that `wanted` picks, reading pages only until it is found.
    pub async fn find_issue_comment(
        &self,
        issue: IssueNumber,
        wanted: impl Fn(&IssueComment) -> bool,
    ) -> Result<Option<IssueComment>, ApiError> {
        if let Some(known) = self.known().issue_comments(issue) {
            return Ok(known.into_iter().find(|c| wanted(c)));
        }
        self.find_paged(self.route(&format!("issues/{issue}/comments")), wanted)
            .await
    }

    /// Opens an issue, returning its number.
    pub async fn create_issue(&self, title: &str, body: &str) -> Result<IssueNumber, ApiError> {
        #[derive(serde::Deserialize)]
        struct Created {
            number: IssueNumber,
        }
        let created: Created = self
            .post(
                self.route("issues"),
                &json!({ "title": title, "body": body }),
                Changed::Anything,
            )
            .await?;
        Ok(created.number)
    }

    /// The open issue with this exact title, as (number, body), to avoid opening the same
    /// report twice.
    pub async fn open_issue_titled(
        &self,
        title: &str,
    ) -> Result<Option<(IssueNumber, String)>, ApiError> {
        let issues: Vec<IssueListed> = self.get_all(self.route("issues?state=open")).await?;
        Ok(issues
            .into_iter()
            .find(|i| i.title == title && i.pull_request.is_none())
            .map(|i| (i.number, i.body.unwrap_or_default())))
    }

    pub async fn create_comment(
        &self,
        issue: IssueNumber,
        body: &str,
    ) -> Result<IssueComment, ApiError> {
        self.post(
            self.route(&format!("issues/{issue}/comments")),
            &json!({ "body": body }),
            Changed::Comments,
        )
        .await
    }

    pub async fn update_comment(
        &self,
        comment_id: u64,
        body: &str,
    ) -> Result<IssueComment, ApiError> {
        self.patch(
            self.route(&format!("issues/comments/{comment_id}")),
            &json!({ "body": body }),
            Changed::Comments,
        )
        .await
    }

    /// Adds a reaction; GitHub answers 200 instead of 201 when it is already there.
    pub async fn react_to_comment(&self, comment_id: u64, content: &str) -> Result<(), ApiError> {
        let _: serde_json::Value = self
            .post(
                self.route(&format!("issues/comments/{comment_id}/reactions")),
                &json!({ "content": content }),
                Changed::Nothing,
            )
            .await?;
        Ok(())
    }

    pub async fn add_assignees(&self, issue: IssueNumber, logins: &[&str]) -> Result<(), ApiError> {
        let _: serde_json::Value = self
            .post(
                self.route(&format!("issues/{issue}/assignees")),
                &json!({ "assignees": logins }),
                Changed::Nothing,
            )
            .await?;
        Ok(())
    }

    pub async fn add_labels(&self, issue: IssueNumber, labels: &[&str]) -> Result<(), ApiError> {
        let _: serde_json::Value = self
            .post(
                self.route(&format!("issues/{issue}/labels")),
                &json!({ "labels": labels }),
                Changed::Nothing,
            )
            .await?;
        Ok(())
    }

    // ----- people -----

    /// The user's effective role, counting access through (nested) teams, which this endpoint
    /// already folds in.
    pub async fn role_of(&self, login: &str) -> Result<Role, ApiError> {
        let route = self.route(&format!(
            "collaborators/{}/permission",
            encode_segment(login)
        ));
        match self.get::<CollaboratorPermission>(route).await {
            Ok(found) => Ok(Role::from_collaborator_permission(
                found.role_name.as_deref(),
                &found.permission,
            )),
            // Not a user GitHub knows as a collaborator of any kind.
            Err(error) if error.is_not_found() => Ok(Role::None),
            Err(error) => Err(error),
        }
    }

    // ----- gists -----

    pub async fn gist_files(&self, id: &str) -> Result<Vec<GistFile>, ApiError> {
        let gist: Gist = self.get(format!("/gists/{}", encode_segment(id))).await?;
        Ok(gist.files.into_values().collect())
    }

    // ----- releases -----

    /// Every release, drafts included: "get a release by tag name" never returns drafts, so
    /// this is the only way to find one.
    pub async fn releases(&self) -> Result<Vec<Release>, ApiError> {
        if let Some(known) = self.known().releases() {
            return Ok(known);
        }
        self.get_all(self.route("releases")).await
    }

    /// The release on a tag, drafts included, reading pages of the list only until it is found
    /// (GitHub lists the newest first).
    pub async fn release_on_tag(&self, tag: &str) -> Result<Option<Release>, ApiError> {
        if let Some(known) = self.known().release_on_tag(tag) {
            return Ok(known);
        }
        self.find_paged(self.route("releases"), |r: &Release| r.tag_name == tag)
            .await
    }

    pub async fn create_release(&self, release: &NewRelease<'_>) -> Result<Release, ApiError> {
        self.post(self.route("releases"), release, Changed::Releases)
            .await
    }

    pub async fn update_release_body(
        &self,
        id: ReleaseId,
        body: &str,
    ) -> Result<Release, ApiError> {
        self.patch(
            self.route(&format!("releases/{id}")),
            &json!({ "body": body }),
            Changed::Releases,
        )
        .await
    }

    /// Sets whether the release is (or, once published, becomes) GitHub's "Latest".
    pub async fn set_make_latest(&self, id: ReleaseId, latest: bool) -> Result<Release, ApiError> {
        self.patch(
            self.route(&format!("releases/{id}")),
            &json!({ "make_latest": latest.to_string() }),
            Changed::Releases,
        )
        .await
    }

    /// Publishes a draft, GitHub's "Latest" only when `latest`.
    pub async fn publish_release(&self, id: ReleaseId, latest: bool) -> Result<Release, ApiError> {
        self.patch(
            self.route(&format!("releases/{id}")),
            &json!({ "draft": false, "make_latest": latest.to_string() }),
            Changed::Releases,
        )
        .await
    }

    /// One release, drafts included, or `None` when it is gone.
    pub async fn release(&self, id: ReleaseId) -> Result<Option<Release>, ApiError> {
        self.get_optional(self.route(&format!("releases/{id}")))
            .await
    }

    /// A release's assets, oldest first.
    pub async fn release_assets(&self, id: ReleaseId) -> Result<Vec<ReleaseAsset>, ApiError> {
        self.get_all(self.route(&format!("releases/{id}/assets")))
            .await
    }

    /// An asset's bytes: GitHub redirects the download to its storage, whose signed address
    /// takes no token (and must not be sent one), so the redirect is followed without it.
    pub async fn download_asset(&self, id: u64) -> Result<Vec<u8>, ApiError> {
        let route = self.route(&format!("releases/assets/{id}"));
        let wrap = |e| ApiError::from_octocrab("GET", &route, e);
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::ACCEPT,
            http::HeaderValue::from_static("application/octet-stream"),
        );
        let response = self
            .octocrab
            ._get_with_headers(route.as_str(), Some(headers))
            .await
            .map_err(wrap)?;
        api_stats::record(Some(response.headers()), true);
        let location = response
            .headers()
            .get(http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        match location {
            Some(url) if response.status().is_redirection() => {
                let fetched = reqwest::get(&url).await.and_then(|r| r.error_for_status());
                let bytes = match fetched {
                    Ok(answer) => answer.bytes().await,
                    Err(e) => Err(e),
                };
                bytes.map(|b| b.to_vec()).map_err(|e| {
                    unexpected("GET", &route, format!("the asset's download failed: {e}"))
                })
            }
            _ => {
                let checked = octocrab::map_github_error(response).await.map_err(wrap)?;
                let body = http_body_util::BodyExt::collect(checked.into_body())
                    .await
                    .map_err(wrap)?;
                Ok(body.to_bytes().to_vec())
            }
        }
    }

    /// Attaches `data` as `name` to the release whose `upload_url` this is.
    pub async fn upload_asset(
        &self,
        upload_url: &str,
        name: &str,
        data: Vec<u8>,
    ) -> Result<ReleaseAsset, ApiError> {
        let base = upload_url.split('{').next().unwrap_or(upload_url);
        let url = format!("{base}?name={}", encode_segment(name));
        let route = base.to_string();
        let wrap = |e| ApiError::from_octocrab("POST", &route, e);
        let builder = http::Request::builder().method("POST").uri(url.as_str());
        let (mut parts, _) = self
            .octocrab
            .build_request(builder, None::<&()>)
            .map_err(wrap)?
            .into_parts();
        parts.headers.remove(http::header::CONTENT_LENGTH);
        parts.headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/octet-stream"),
        );
        let request = http::Request::from_parts(parts, octocrab::OctoBody::from(data));
        let sent = self.octocrab.execute(request).await;
        // Sent, refused or lost on the way, the upload may have changed the release's asset list.
        self.known().forget(Changed::Releases);
        let response = sent.map_err(wrap)?;
        let headers = response.headers().clone();
        let checked = octocrab::map_github_error(response).await;
        api_stats::record(Some(&headers), checked.is_ok());
        let body = http_body_util::BodyExt::collect(checked.map_err(wrap)?.into_body())
            .await
            .map_err(wrap)?
            .to_bytes();
        serde_json::from_slice(&body)
            .map_err(|e| unexpected("POST", &route, format!("the asset cannot be read: {e}")))
    }

    /// The release GitHub shows as "Latest", if any.
    pub async fn latest_release(&self) -> Result<Option<Release>, ApiError> {
        self.get_optional(self.route("releases/latest")).await
    }

    /// GitHub's generated release notes for `tag` (made from `target` when the tag does not
    /// exist yet) against `previous`: the pull requests merged in between, under the
    /// repository's `.github/release.yml` categories.
    pub async fn generate_notes(
        &self,
        tag: &str,
        target: &str,
        previous: Option<&str>,
    ) -> Result<String, ApiError> {
        #[derive(serde::Deserialize)]
        struct Generated {
            body: String,
        }
        let mut request = json!({ "tag_name": tag, "target_commitish": target });
        if let Some(previous) = previous {
            request["previous_tag_name"] = json!(previous);
        }
        let generated: Generated = self
            .post(
                self.route("releases/generate-notes"),
                &request,
                Changed::Releases,
            )
            .await?;
        Ok(generated.body)
    }

    // ----- actions -----

    /// Dispatches a workflow, asking GitHub for the run it starts (`return_run_details`, 200
    /// with the run id). A server that does not know the field (older Enterprise Servers answer
    /// 422 naming it) is asked again without it, and the run is then unknown (`None`).
    pub async fn dispatch_workflow(
        &self,
        file: &str,
        git_ref: &str,
        inputs: &serde_json::Value,
    ) -> Result<Option<DispatchedRun>, ApiError> {
        let route = self.route(&format!(
            "actions/workflows/{}/dispatches",
            encode_path(file)
        ));
        let with_details = json!({ "ref": git_ref, "inputs": inputs, "return_run_details": true });
        let response = match self
            .exchange("POST", &route, Some(&with_details), Changed::Nothing)
            .await
        {
            Ok(response) => response,
            Err(error) if rejects_run_details(&error) => {
                let plain = json!({ "ref": git_ref, "inputs": inputs });
                self.send_no_content("POST", route, Some(&plain), Changed::Nothing)
                    .await?;
                return Ok(None);
            }
            Err(error) => return Err(error),
        };
        if response.status() == http::StatusCode::NO_CONTENT {
            return Ok(None);
        }
        let body = http_body_util::BodyExt::collect(response.into_body())
            .await
            .map_err(|e| ApiError::from_octocrab("POST", &route, e))?
            .to_bytes();
        serde_json::from_slice(&body).map(Some).map_err(|e| {
            unexpected(
                "POST",
                &route,
                format!("the run details cannot be read: {e}"),
            )
        })
    }

    /// One workflow run, or `None` when it does not exist (any more).
    pub async fn workflow_run(&self, id: RunId) -> Result<Option<WorkflowRun>, ApiError> {
        self.get_optional(self.route(&format!("actions/runs/{id}")))
            .await
    }

    /// Runs of a workflow started by `workflow_dispatch` on a branch or tag, newest first.
    pub async fn dispatched_runs(
        &self,
        file: &str,
        on: &str,
    ) -> Result<Vec<WorkflowRun>, ApiError> {
        self.runs_on(file, on, "event=workflow_dispatch&").await
    }

    /// Runs of a workflow on a branch or tag, whatever started them (a push, a dispatch),
    /// newest first.
    pub async fn workflow_runs_on(
        &self,
        file: &str,
        on: &str,
    ) -> Result<Vec<WorkflowRun>, ApiError> {
        self.runs_on(file, on, "").await
    }

    async fn runs_on(
        &self,
        file: &str,
        on: &str,
        filter: &str,
    ) -> Result<Vec<WorkflowRun>, ApiError> {
        let runs: WorkflowRuns = self
            .get(self.route(&format!(
                "actions/workflows/{}/runs?{filter}branch={}&per_page=100",
                encode_path(file),
                encode_path(on)
            )))
            .await?;
        Ok(runs.workflow_runs)
    }

    /// A release's title, notes and whether publishing makes it GitHub's "Latest", at once.
    pub async fn update_release_text(
        &self,
        id: ReleaseId,
        name: &str,
        body: &str,
        latest: bool,
    ) -> Result<Release, ApiError> {
        self.patch(
            self.route(&format!("releases/{id}")),
            &json!({ "name": name, "body": body, "make_latest": latest.to_string() }),
            Changed::Releases,
        )
        .await
    }

    /// Publishes a draft as a pre-release that is never GitHub's "Latest" (a QA candidate).
    pub async fn publish_prerelease(&self, id: ReleaseId) -> Result<Release, ApiError> {
        self.patch(
            self.route(&format!("releases/{id}")),
            &json!({ "draft": false, "prerelease": true, "make_latest": "false" }),
            Changed::Releases,
        )
        .await
    }

    // ----- pull requests -----

    /// Pull requests (open or closed) from `branch` of this repository.
    pub async fn pulls_from_branch(&self, branch: &str) -> Result<Vec<PullRequest>, ApiError> {
        if let Some(known) = self.known().pulls_from_branch(branch) {
            return Ok(known);
        }
        self.get_all(self.route(&format!(
            "pulls?state=all&head={}:{}",
            encode_path(&self.owner),
            encode_path(branch)
        )))
        .await
    }

    pub async fn update_pull_body(
        &self,
        number: PullNumber,
        body: &str,
    ) -> Result<PullRequest, ApiError> {
        self.patch(
            self.route(&format!("pulls/{number}")),
            &json!({ "body": body }),
            Changed::Pulls,
        )
        .await
    }

    // ----- commit statuses -----

    /// Sets the commit status `context` on `sha`.
    pub async fn set_commit_status(
        &self,
        sha: &CommitSha,
        state: StatusState,
        context: &str,
        description: &str,
        target_url: Option<&str>,
    ) -> Result<(), ApiError> {
        let _: serde_json::Value = self
            .post(
                self.route(&format!("statuses/{sha}")),
                &json!({
                    "state": state,
                    "context": context,
                    "description": description,
                    "target_url": target_url,
                }),
                Changed::Statuses,
            )
            .await?;
        Ok(())
    }

    /// The statuses of a ref's commit, newest first.
    pub async fn commit_statuses(&self, git_ref: &str) -> Result<Vec<CommitStatus>, ApiError> {
        if let Some(known) = self.known().commit_statuses(git_ref) {
            return Ok(known);
        }
        self.get_all(self.route(&format!("commits/{}/statuses", encode_path(git_ref))))
            .await
    }

    pub async fn close_pull(&self, number: PullNumber) -> Result<PullRequest, ApiError> {
        self.patch(
            self.route(&format!("pulls/{number}")),
            &json!({ "state": "closed" }),
            Changed::Pulls,
        )
        .await
    }

    /// Opens a pull request; as a draft when `draft`. (`draft: false` is not sent: it is
    /// GitHub's default, and some Enterprise Servers refuse the field on plans without drafts.)
    pub async fn create_pull(
        &self,
        title: &str,
        (head, base): (&str, &str),
        body: &str,
        draft: bool,
    ) -> Result<PullRequest, ApiError> {
        let mut request = json!({ "title": title, "head": head, "base": base, "body": body });
        if draft {
            request["draft"] = json!(true);
        }
        self.post(self.route("pulls"), &request, Changed::Pulls)
            .await
    }

    // ----- milestones -----

    /// Every milestone, open or closed (a closed one's title is taken too).
    pub async fn milestones(&self) -> Result<Vec<Milestone>, ApiError> {
        self.get_all(self.route("milestones?state=all")).await
    }

    /// Makes an open milestone; GitHub answers 422 `already_exists` when the title is taken.
    pub async fn create_milestone(&self, title: &str) -> Result<Milestone, ApiError> {
        self.post(
            self.route("milestones"),
            &json!({ "title": title }),
            Changed::Anything,
        )
        .await
    }

    /// Puts an issue or pull request on milestone `number` (the issues API does it for both).
    pub async fn set_milestone(&self, issue: IssueNumber, number: u64) -> Result<(), ApiError> {
        let _issue: serde_json::Value = self
            .patch(
                self.route(&format!("issues/{issue}")),
                &json!({ "milestone": number }),
                Changed::Anything,
            )
            .await?;
        Ok(())
    }
}

/// One GraphQL request: the answer's JSON (`data` and any `errors`), or the HTTP failure.
async fn graphql_call(graphql: &Octocrab, query: &str) -> Result<serde_json::Value, ApiError> {
    const ROUTE: &str = "/graphql";
    let wrap = |e| ApiError::from_octocrab("POST", ROUTE, e);
    let body = json!({ "query": query });
    let response = match graphql._post(ROUTE, Some(&body)).await {
        Ok(response) => response,
        Err(error) => {
            api_stats::record(None, false);
            return Err(wrap(error));
        }
    };
    let headers = response.headers().clone();
    let checked = octocrab::map_github_error(response).await;
    api_stats::record(Some(&headers), checked.is_ok());
    let response = checked.map_err(wrap)?;
    <serde_json::Value as octocrab::FromResponse>::from_response(response)
        .await
        .map_err(wrap)
}

fn is_already_exists(error: &ApiError) -> bool {
    matches!(error, ApiError::Status { message, .. } if message.contains("already exists"))
}

fn unexpected(method: &'static str, route: &str, detail: String) -> ApiError {
    ApiError::Transport {
        method,
        route: route.split('?').next().unwrap_or(route).to_string(),
        detail,
    }
}

/// GitHub wraps base64 content in lines of 60 characters.
fn decode_text(content: &str, encoding: &str) -> Result<String, String> {
    let bytes = match encoding {
        "base64" => {
            let compact: String = content.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map_err(|e| format!("content is not valid base64: {e}"))?
        }
        "utf-8" | "utf8" => content.as_bytes().to_vec(),
        other => return Err(format!("unknown content encoding `{other}`")),
    };
    String::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text".to_string())
}

/// Percent-encodes a path for a URL, keeping `/` so nested paths and refs read as GitHub expects.
pub(super) fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Percent-encodes one path segment (an owner, a name, a login): a `/`, `#` or `?` in a value
/// read from a payload cannot reach another route.
fn encode_segment(segment: &str) -> String {
    encode_path(segment).replace('/', "%2F")
}

/// An older server's 422 for the `return_run_details` field it does not know.
fn rejects_run_details(error: &ApiError) -> bool {
    match error {
        ApiError::Status {
            status: 422,
            message,
            ..
        } => message.contains("return_run_details"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_base64_decodes_to_the_text() {
        assert_eq!(decode_text("aGVs\nbG8K\n", "base64").unwrap(), "hello\n");
    }

    #[test]
    fn binary_content_is_refused_as_text() {
        assert!(decode_text("/w==", "base64").is_err());
    }

    #[test]
    fn paths_keep_slashes_and_escape_the_rest() {
        assert_eq!(encode_path("heads/release/0.1.3"), "heads/release/0.1.3");
        assert_eq!(encode_path("docs/my notes.md"), "docs/my%20notes.md");
        assert_eq!(encode_path("a+b"), "a%2Bb");
    }

    #[test]
    fn a_segment_cannot_reach_another_route() {
        assert_eq!(encode_segment("o/../../user"), "o%2F..%2F..%2Fuser");
        assert_eq!(encode_segment("mathesar#x"), "mathesar%23x");
        assert_eq!(encode_segment("a?b"), "a%3Fb");
        assert_eq!(encode_segment("mathesar-foundation"), "mathesar-foundation");
    }
}
