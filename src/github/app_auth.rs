//! Authenticating as a GitHub App: an RS256 JWT for the App itself (`iat` 60 s in the past for
//! clock drift, `exp` 9 minutes ahead, under GitHub's 10-minute limit), exchanged for an
//! installation token per installation, cached until 5 minutes before its 1-hour expiry.
//! Tokens and keys are never logged.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::ApiError;

/// Refresh this long before a token expires.
const REFRESH_MARGIN_SECS: i64 = 5 * 60;

#[derive(Debug, thiserror::Error)]
pub enum AppAuthError {
    #[error("the App's private key is not an RSA key in PEM form: {0}")]
    InvalidKey(String),
}

pub struct AppCredentials {
    pub app_id: u64,
    key: EncodingKey,
}

impl std::fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredentials")
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
struct Claims {
    iat: i64,
    exp: i64,
    iss: String,
}

impl AppCredentials {
    /// Reads the key and proves it by signing a JWT with it: a public key or a key of another
    /// type parses, then fails at every signature, so it is refused here, at start.
    pub fn from_pem(app_id: u64, pem: &[u8]) -> Result<AppCredentials, AppAuthError> {
        let text = String::from_utf8_lossy(pem);
        if text.contains("PUBLIC KEY-----") {
            return Err(AppAuthError::InvalidKey(
                "this is a public key; give the private key the App's settings page generated (-----BEGIN RSA PRIVATE KEY-----)".into(),
            ));
        }
        let key =
            EncodingKey::from_rsa_pem(pem).map_err(|e| AppAuthError::InvalidKey(e.to_string()))?;
        let credentials = AppCredentials { app_id, key };
        credentials
            .sign(chrono::Utc::now().timestamp())
            .map_err(|e| AppAuthError::InvalidKey(format!("it cannot sign a JWT: {e}")))?;
        Ok(credentials)
    }

    fn sign(&self, now: i64) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = Claims {
            iat: now - 60,
            exp: now + 9 * 60,
            iss: self.app_id.to_string(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &self.key)
    }

    /// The App's JWT at `now` (seconds since the epoch).
    pub fn jwt(&self, now: i64) -> String {
        self.sign(now)
            .expect("the key signed a JWT when it was read (from_pem)")
    }
}

/// Whether GitHub took the App's JWT the last time a token was asked for: `/healthz` fails while
/// it refuses it (a key of another App, a revoked key, a wrong App id).
#[derive(Debug, Clone, Default)]
pub struct AuthHealth(Arc<AtomicU8>);

const AUTH_ACCEPTED: u8 = 1;
const AUTH_REFUSED: u8 = 2;

impl AuthHealth {
    /// `None` while no token was asked for yet; `Some(false)` after GitHub refused the JWT.
    pub fn accepted(&self) -> Option<bool> {
        match self.0.load(Ordering::Relaxed) {
            AUTH_ACCEPTED => Some(true),
            AUTH_REFUSED => Some(false),
            _ => None,
        }
    }

    fn record(&self, result: &Result<String, ApiError>) {
        let state = match result {
            Ok(_) => AUTH_ACCEPTED,
            // 401: the JWT is not accepted (wrong key or App id); other failures say nothing
            // about the key (404: an installation gone; 5xx: GitHub's trouble).
            Err(error) if error.status() == Some(401) => AUTH_REFUSED,
            Err(_) => return,
        };
        self.0.store(state, Ordering::Relaxed);
    }
}

#[derive(Deserialize)]
struct AccessToken {
    token: String,
    expires_at: chrono::DateTime<chrono::Utc>,
}

struct Cached {
    token: String,
    expires_at: i64,
}

/// Installation tokens, fetched when missing or about to expire.
pub struct InstallationTokens {
    base_url: String,
    credentials: AppCredentials,
    cache: Mutex<HashMap<u64, Cached>>,
    health: AuthHealth,
}

impl InstallationTokens {
    pub fn new(base_url: &str, credentials: AppCredentials) -> Self {
        InstallationTokens {
            base_url: base_url.to_string(),
            credentials,
            cache: Mutex::new(HashMap::new()),
            health: AuthHealth::default(),
        }
    }

    /// Shared with `/healthz`: whether GitHub took the App's JWT last time.
    pub fn health(&self) -> AuthHealth {
        self.health.clone()
    }

    /// A token for the installation, valid for at least five more minutes.
    pub async fn token(&self, installation: u64) -> Result<String, ApiError> {
        let result = self.fetch(installation).await;
        self.health.record(&result);
        result
    }

    async fn fetch(&self, installation: u64) -> Result<String, ApiError> {
        let now = chrono::Utc::now().timestamp();
        let mut cache = self.cache.lock().await;
        if let Some(cached) = cache.get(&installation) {
            if cached.expires_at - now > REFRESH_MARGIN_SECS {
                return Ok(cached.token.clone());
            }
        }
        let route = format!("/app/installations/{installation}/access_tokens");
        let wrap = |e| ApiError::from_octocrab("POST", &route, e);
        let app = self.as_app(now).map_err(wrap)?;
        let fresh: AccessToken = app.post(&route, None::<&()>).await.map_err(wrap)?;
        cache.insert(
            installation,
            Cached {
                token: fresh.token.clone(),
                expires_at: fresh.expires_at.timestamp(),
            },
        );
        Ok(fresh.token)
    }

    /// The App's slug, from `GET /app` under the App's JWT: its installations act as
    /// `<slug>[bot]`.
    pub async fn app_slug(&self) -> Result<String, ApiError> {
        #[derive(Deserialize)]
        struct App {
            slug: String,
        }
        let wrap = |e| ApiError::from_octocrab("GET", "/app", e);
        let app = self.as_app(chrono::Utc::now().timestamp()).map_err(wrap)?;
        let found: App = app.get("/app", None::<&()>).await.map_err(wrap)?;
        Ok(found.slug)
    }

    /// A client authenticated as the App itself (its JWT at `now`).
    fn as_app(&self, now: i64) -> Result<octocrab::Octocrab, octocrab::Error> {
        super::http_builder::builder()
            .base_uri(self.base_url.as_str())?
            .personal_token(self.credentials.jwt(now))
            .build()
    }

    /// Forgets a token GitHub refused (a 401), so the next call fetches a new one.
    pub async fn forget(&self, installation: u64) {
        self.cache.lock().await.remove(&installation);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = include_bytes!("../../tests/fixtures/throwaway-app-key.pem");
    const PUBLIC: &[u8] = include_bytes!("../../tests/fixtures/throwaway-app-key.pub.pem");

    #[test]
    fn the_jwt_is_rs256_issued_by_the_app_backdated_a_minute_and_short_lived() {
        let credentials = AppCredentials::from_pem(42, KEY).unwrap();
        let token = credentials.jwt(1_700_000_000);
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.alg, Algorithm::RS256);
        let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
        validation.validate_exp = false;
        validation.set_issuer(&["42"]);
        let decoded = jsonwebtoken::decode::<Claims>(
            &token,
            &jsonwebtoken::DecodingKey::from_rsa_pem(PUBLIC).unwrap(),
            &validation,
        )
        .unwrap();
        assert_eq!(decoded.claims.iat, 1_700_000_000 - 60);
        assert_eq!(decoded.claims.exp, 1_700_000_000 + 540);
    }

    #[test]
    fn a_key_that_is_not_rsa_pem_is_a_clear_error() {
        let error = AppCredentials::from_pem(42, b"not a key").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("the App's private key is not an RSA key in PEM form"),
            "{error}"
        );
    }

    #[test]
    fn a_public_key_given_as_the_private_key_is_refused_with_the_reason() {
        let error = AppCredentials::from_pem(42, PUBLIC).unwrap_err();
        assert!(
            error.to_string().contains("this is a public key"),
            "{error}"
        );
    }

    #[test]
    fn credentials_never_print_the_key() {
        let credentials = AppCredentials::from_pem(42, KEY).unwrap();
        let shown = format!("{credentials:?}");
        assert!(
            shown.contains("42") && !shown.contains("PRIVATE"),
            "{shown}"
        );
    }
}
