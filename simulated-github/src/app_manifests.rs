//! GitHub's App manifest flow. A page POSTs a `manifest` (JSON) to `settings/apps/new` (or an
//! organisation's `organizations/ORG/settings/apps/new`) with an optional `?state=`; GitHub shows
//! the App it describes with a name to confirm; on confirmation it registers the App (its id, a
//! fresh RSA key pair, a webhook secret) and redirects to the manifest's `redirect_url` with a
//! one-time `code` (and the `state`). `POST /app-manifests/{code}/conversions` hands the App's id,
//! slug, private key and secrets over once, within an hour; after that, or a second time, 404.
//!
//! The two pages are GitHub's web pages, not its API: they are served beside the API without the
//! gate (no token, not recorded as API calls, not checked against the REST description). The
//! conversion is an API operation like any other, and needs no authentication.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Form, Router};
use rand::RngCore;
use serde_json::{json, Value};

use super::routes::{fail, json, lock, Actor, Shared};
use super::world::{User, UserKind, World};
use super::{payloads, webhooks};

/// How long a code may be converted after GitHub hands it out (GitHub: one hour).
pub const CODE_LIFETIME_SECS: i64 = 3600;

/// An App registered through the manifest flow, with what its conversion hands over.
#[derive(Debug, Clone)]
pub struct RegisteredApp {
    pub id: u64,
    pub slug: String,
    pub name: String,
    pub owner: String,
    pub private_key_pem: String,
    pub webhook_secret: String,
    pub webhook_url: Option<String>,
    pub client_id: String,
    pub client_secret: String,
    pub permissions: serde_json::Map<String, Value>,
    pub events: Vec<String>,
    pub external_url: String,
    pub created_at: String,
}

/// A code GitHub handed out on the redirect: which App it converts to, and until when.
#[derive(Debug, Clone)]
pub struct ManifestCode {
    pub app_id: u64,
    pub expires_at: i64,
}

/// The web pages: `settings/apps/new` for the signed-in person, and an organisation's.
pub fn web_router(state: Shared) -> Router {
    Router::new()
        .route("/settings/apps/new", post(personal_form))
        .route(
            "/organizations/{org}/settings/apps/new",
            post(organisation_form),
        )
        .with_state(state)
}

#[derive(serde::Deserialize)]
pub struct StateQuery {
    state: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct ManifestForm {
    manifest: String,
    /// The name the person gives the App on the confirmation page.
    name: Option<String>,
    /// Set by the confirmation page's button.
    confirm: Option<String>,
}

async fn personal_form(
    State(state): State<Shared>,
    Query(query): Query<StateQuery>,
    Form(form): Form<ManifestForm>,
) -> Response {
    let owner = lock(&state).web_user.clone();
    let Some(owner) = owner else {
        return page(
            StatusCode::UNAUTHORIZED,
            "Sign in to GitHub",
            "<p>Nobody is signed in to the simulated GitHub (SimulatedGitHub::sign_in).</p>",
        );
    };
    manifest_form(state, owner, "/settings/apps/new".into(), query, form).await
}

async fn organisation_form(
    State(state): State<Shared>,
    Path(org): Path<String>,
    Query(query): Query<StateQuery>,
    Form(form): Form<ManifestForm>,
) -> Response {
    let action = format!("/organizations/{org}/settings/apps/new");
    manifest_form(state, org, action, query, form).await
}

async fn manifest_form(
    state: Shared,
    owner: String,
    action: String,
    query: StateQuery,
    form: ManifestForm,
) -> Response {
    let manifest: Value = match serde_json::from_str(&form.manifest) {
        Ok(value @ Value::Object(_)) => value,
        _ => {
            return page(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid GitHub App manifest",
                "<p>The manifest is not a JSON object.</p>",
            )
        }
    };
    if let Some(problem) = manifest_problem(&manifest) {
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid GitHub App manifest",
            &format!("<p id=\"problem\">{}</p>", escape(&problem)),
        );
    }
    let name = form
        .name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .or_else(|| manifest["name"].as_str().map(String::from))
        .unwrap_or_default();
    if form.confirm.is_none() {
        return confirmation_page(
            &action,
            &query,
            &form.manifest,
            &manifest,
            &owner,
            &name,
            None,
        );
    }
    let slug = slug_of(&name);
    if slug.is_empty() {
        return confirmation_page(
            &action,
            &query,
            &form.manifest,
            &manifest,
            &owner,
            &name,
            Some("Name can't be blank"),
        );
    }
    let taken = {
        let world = lock(&state);
        world.app_records.values().any(|app| app.slug == slug)
            || world.users.contains_key(&format!("{slug}[bot]"))
    };
    if taken {
        return confirmation_page(
            &action,
            &query,
            &form.manifest,
            &manifest,
            &owner,
            &name,
            Some("Name is already in use"),
        );
    }
    // A real key pair, so that `serve` signs its JWTs with the private half.
    let key = match tokio::task::spawn_blocking(generate_key_pair).await {
        Ok(Ok(key)) => key,
        _ => return fail(500, "could not make the App's key pair"),
    };
    let redirect = register(&state, &manifest, &owner, &name, &slug, key);
    match manifest["redirect_url"].as_str() {
        Some(redirect_url) => {
            let mut target = match url::Url::parse(redirect_url) {
                Ok(url) => url,
                Err(_) => return fail(422, "redirect_url is not a URL"),
            };
            target.query_pairs_mut().append_pair("code", &redirect.code);
            if let Some(state) = &query.state {
                target.query_pairs_mut().append_pair("state", state);
            }
            (StatusCode::FOUND, [(header::LOCATION, target.to_string())]).into_response()
        }
        None => page(
            StatusCode::OK,
            "GitHub App registered",
            &format!(
                "<p>Registered {} (code <code>{}</code>).</p>",
                escape(&slug),
                redirect.code
            ),
        ),
    }
}

/// What GitHub refuses in a manifest before showing it: the App's home page and webhook URL
/// are required.
fn manifest_problem(manifest: &Value) -> Option<String> {
    if manifest["url"].as_str().is_none_or(str::is_empty) {
        return Some("url is required".into());
    }
    match manifest["hook_attributes"]["url"].as_str() {
        None | Some("") => Some("hook_attributes.url is required".into()),
        Some(url) if url::Url::parse(url).is_err() => {
            Some(format!("hook_attributes.url is not a URL: {url}"))
        }
        _ => None,
    }
}

struct Redirect {
    code: String,
}

/// Registers the App from the confirmed manifest, hands out a code for it, and points
/// deliveries at its webhook.
fn register(
    state: &Shared,
    manifest: &Value,
    owner: &str,
    name: &str,
    slug: &str,
    (private_key_pem, public_key_pem): (String, String),
) -> Redirect {
    let mut world = lock(state);
    let id = world.new_id();
    let created_at = world.timestamp();
    let webhook_secret = random_hex(20);
    let webhook_url = manifest["hook_attributes"]["url"]
        .as_str()
        .filter(|_| manifest["hook_attributes"]["active"].as_bool() != Some(false))
        .map(String::from);
    let app = RegisteredApp {
        id,
        slug: slug.to_string(),
        name: name.to_string(),
        owner: owner.to_string(),
        private_key_pem,
        webhook_secret: webhook_secret.clone(),
        webhook_url: webhook_url.clone(),
        client_id: format!("Iv23li{}", random_hex(7)),
        client_secret: random_hex(20),
        permissions: manifest["default_permissions"]
            .as_object()
            .cloned()
            .unwrap_or_default(),
        events: manifest["default_events"]
            .as_array()
            .map(|events| {
                events
                    .iter()
                    .filter_map(|e| e.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
        external_url: manifest["url"].as_str().unwrap_or_default().to_string(),
        created_at,
    };
    let bot = format!("{slug}[bot]");
    world.apps.insert(id, (public_key_pem, bot.clone()));
    let user_id = world.new_id();
    world.users.insert(
        bot,
        User {
            id: user_id,
            kind: UserKind::Bot,
        },
    );
    world.app_records.insert(id, app);
    if let Some(url) = webhook_url {
        // The simulator has one webhook target: the newest App's.
        world.delivery_sender = Some(webhooks::spawn_sender(url, webhook_secret.into_bytes()));
    }
    let code = random_hex(20);
    let expires_at = world.now() + CODE_LIFETIME_SECS;
    world.manifest_codes.insert(
        code.clone(),
        ManifestCode {
            app_id: id,
            expires_at,
        },
    );
    Redirect { code }
}

/// `POST /app-manifests/{code}/conversions`: the App's id, key and secrets, once per code,
/// within the hour; otherwise 404, as GitHub answers.
pub async fn conversion(
    State(state): State<Shared>,
    Extension(_actor): Extension<Actor>,
    Path(code): Path<String>,
) -> Response {
    let mut world = lock(&state);
    let now = world.now();
    let Some(found) = world.manifest_codes.remove(&code) else {
        return fail(404, "Not Found");
    };
    if found.expires_at <= now {
        return fail(404, "Not Found");
    }
    let Some(app) = world.app_records.get(&found.app_id).cloned() else {
        return fail(404, "Not Found");
    };
    let mut body = integration(&world, &app);
    body["client_id"] = json!(app.client_id);
    body["client_secret"] = json!(app.client_secret);
    body["webhook_secret"] = json!(app.webhook_secret);
    body["pem"] = json!(app.private_key_pem);
    json(StatusCode::CREATED, body)
}

/// The App as GitHub describes one (`integration`).
pub fn integration(world: &World, app: &RegisteredApp) -> Value {
    let base = &world.base_url;
    json!({
        "id": app.id,
        "slug": app.slug,
        "node_id": format!("A_kwDO{:08}", app.id),
        "client_id": app.client_id,
        "owner": payloads::user(world, &app.owner),
        "name": app.name,
        "description": null,
        "external_url": app.external_url,
        "html_url": format!("{base}apps/{}", app.slug),
        "created_at": app.created_at,
        "updated_at": app.created_at,
        "permissions": app.permissions,
        "events": app.events,
        "installations_count": 0,
    })
}

/// GitHub's slug for an App name: lower case, runs of anything but letters and digits as `-`.
pub fn slug_of(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_string()
}

/// A 2048-bit RSA key pair: the private half as PKCS#1 PEM (as GitHub hands it over), the
/// public half as SPKI PEM (to check JWTs with).
fn generate_key_pair() -> Result<(String, String), String> {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs8::{EncodePublicKey, LineEnding};
    let private =
        rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).map_err(|e| e.to_string())?;
    let private_pem = private
        .to_pkcs1_pem(LineEnding::LF)
        .map_err(|e| e.to_string())?
        .to_string();
    let public_pem = private
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| e.to_string())?;
    Ok((private_pem, public_pem))
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buffer);
    hex::encode(buffer)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title} · GitHub (simulated)</title></head>\
         <body><h1>{title}</h1>{body}</body></html>",
        title = escape(title),
    );
    (status, Html(html)).into_response()
}

/// GitHub's "Create GitHub App for OWNER" page: the App the manifest describes, a name to
/// confirm or change, and the button.
fn confirmation_page(
    action: &str,
    query: &StateQuery,
    raw_manifest: &str,
    manifest: &Value,
    owner: &str,
    name: &str,
    problem: Option<&str>,
) -> Response {
    let mut target = action.to_string();
    if let Some(state) = &query.state {
        let encoded: String = url::form_urlencoded::byte_serialize(state.as_bytes()).collect();
        target.push_str(&format!("?state={encoded}"));
    }
    let permissions: HashMap<String, Value> = manifest["default_permissions"]
        .as_object()
        .map(|m| m.clone().into_iter().collect())
        .unwrap_or_default();
    let mut permission_items: Vec<String> = permissions
        .iter()
        .map(|(k, v)| {
            format!(
                "<li>{}: {}</li>",
                escape(k),
                escape(v.as_str().unwrap_or(""))
            )
        })
        .collect();
    permission_items.sort();
    let events: Vec<String> = manifest["default_events"]
        .as_array()
        .map(|events| {
            events
                .iter()
                .filter_map(Value::as_str)
                .map(|e| format!("<li>{}</li>", escape(e)))
                .collect()
        })
        .unwrap_or_default();
    let problem = problem
        .map(|p| format!("<p id=\"problem\" role=\"alert\">{}</p>", escape(p)))
        .unwrap_or_default();
    let status = if problem.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page(
        status,
        &format!("Create GitHub App for {owner}"),
        &format!(
            "{problem}<form method=\"post\" action=\"{target}\">\
             <label>GitHub App name <input id=\"name\" name=\"name\" value=\"{name}\"></label>\
             <p>Webhook URL: <code>{hook}</code></p>\
             <h2>Permissions</h2><ul>{permissions}</ul>\
             <h2>Events</h2><ul>{events}</ul>\
             <input type=\"hidden\" name=\"manifest\" value=\"{manifest}\">\
             <button id=\"confirm\" type=\"submit\" name=\"confirm\" value=\"yes\">Create GitHub App for {owner}</button>\
             </form>",
            target = escape(&target),
            name = escape(name),
            hook = escape(manifest["hook_attributes"]["url"].as_str().unwrap_or("")),
            permissions = permission_items.join(""),
            events = events.join(""),
            manifest = escape(raw_manifest),
            owner = escape(owner),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lower_case_with_dashes() {
        assert_eq!(slug_of("Mathesar Releases"), "mathesar-releases");
        assert_eq!(slug_of("  releasebot (staging)! "), "releasebot-staging");
        assert_eq!(slug_of("***"), "");
    }
}
