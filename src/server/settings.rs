//! `releasebot serve`'s settings: environment variables, and the same keys in an optional
//! `KEY=value` file (environment wins). Every problem is reported at once, before anything
//! starts; secrets are never echoed back.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::queue::Database;

pub const DEFAULT_LISTEN: &str = "0.0.0.0:3000";
pub const DEFAULT_API_URL: &str = "https://api.github.com";
pub const DEFAULT_DATABASE: &str = "releasebot.sqlite";
pub const DEFAULT_WEBHOOK_PATH: &str = "/webhook";
pub const DEFAULT_WORKERS: usize = 8;
/// Longer than any job should take (a job is a handful of GitHub calls), short enough that a
/// job left by a replica that died runs again within the quarter hour.
pub const DEFAULT_JOB_LEASE: Duration = Duration::from_secs(15 * 60);
/// GitHub's example secret is 40 hex digits (`SecureRandom.hex(20)`, 160 bits) and it asks for
/// "a random string with high entropy"; fewer than 20 characters cannot be that.
pub const MIN_SECRET_CHARS: usize = 20;

/// Every key `serve` reads, with what it is for (printed by `serve --help` and the README).
pub const KEYS: &[(&str, &str)] = &[
    ("RELEASEBOT_APP_ID", "the GitHub App's id (required)"),
    (
        "RELEASEBOT_PRIVATE_KEY_PATH",
        "path to the App's private key (.pem)",
    ),
    (
        "RELEASEBOT_PRIVATE_KEY",
        "the App's private key itself, PEM text (instead of the path)",
    ),
    (
        "RELEASEBOT_WEBHOOK_SECRET",
        "the App's webhook secret (required)",
    ),
    (
        "RELEASEBOT_DATABASE",
        "the delivery queue: a SQLite file (default releasebot.sqlite; one server process), or postgres://user:password@host/dbname to share one PostgreSQL database between replicas",
    ),
    (
        "RELEASEBOT_LISTEN",
        "address to listen on (default 0.0.0.0:3000)",
    ),
    (
        "RELEASEBOT_METRICS_LISTEN",
        "a private address such as 127.0.0.1:9090 for /metrics and the probes; RELEASEBOT_LISTEN then answers /metrics 404 (default unset: /metrics on RELEASEBOT_LISTEN)",
    ),
    (
        "RELEASEBOT_WEBHOOK_PATH",
        "path GitHub posts deliveries to (default /webhook)",
    ),
    (
        "RELEASEBOT_WORKERS",
        "jobs run at once, across repositories (default 8); 0 queues deliveries and runs none",
    ),
    (
        "RELEASEBOT_JOB_LEASE",
        "seconds a job may run before another worker or replica takes it over as abandoned (default 900)",
    ),
    (
        "GITHUB_API_URL",
        "GitHub's REST API (default https://api.github.com)",
    ),
    (
        "RELEASEBOT_HEADER_TIMEOUT",
        "seconds a client has to send a request's headers once it starts (default 10)",
    ),
    (
        "RELEASEBOT_BODY_TIMEOUT",
        "seconds a client has to send a request's body (default 10, GitHub's own limit)",
    ),
    (
        "RELEASEBOT_IDLE_TIMEOUT",
        "seconds an idle keep-alive connection stays open (default 30)",
    ),
    (
        "RELEASEBOT_MAX_CONNECTIONS",
        "connections open at once; past it the one idle or with its body stalled longest is closed, or the newcomer gets 503 (default 512)",
    ),
    (
        "RELEASEBOT_BODY_BUDGET_MB",
        "MiB of request bodies held at once across all requests, counted as bytes arrive; past it deliveries get 503 and retry-after (default 100)",
    ),
    (
        "RELEASEBOT_SHUTDOWN_TIMEOUT",
        "seconds requests already received have to finish after SIGTERM (default 10)",
    ),
];

/// The HTTP limits that keep hostile or broken clients from holding the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
    /// Bytes of request bodies held at once, across requests.
    pub body_budget: usize,
    /// How long requests already received have to finish at shutdown.
    pub shutdown_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            max_connections: 512,
            body_budget: 100 * 1024 * 1024,
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
pub enum KeySource {
    Path(PathBuf),
    Pem(String),
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Path(path) => f.debug_tuple("Path").field(path).finish(),
            KeySource::Pem(_) => f.write_str("Pem(..)"),
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    pub app_id: u64,
    pub private_key: KeySource,
    pub webhook_secret: String,
    pub database: Database,
    /// How long a claimed job is its worker's before another may take it over.
    pub job_lease: Duration,
    pub listen: SocketAddr,
    /// Where `/metrics` is served when not on `listen` (then `listen` answers it 404).
    pub metrics_listen: Option<SocketAddr>,
    pub webhook_path: String,
    pub workers: usize,
    pub api_url: String,
    pub http: HttpLimits,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("app_id", &self.app_id)
            .field("database", &self.database)
            .field("listen", &self.listen)
            .field("metrics_listen", &self.metrics_listen)
            .field("webhook_path", &self.webhook_path)
            .field("workers", &self.workers)
            .field("api_url", &self.api_url)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

/// Reads the `KEY=value` file: blank lines and `#` comments skipped, optional quotes around
/// the value. Unknown keys are errors, so a typo is not silently ignored.
pub fn parse_file(text: &str) -> Result<HashMap<String, String>, Vec<String>> {
    let mut values = HashMap::new();
    let mut problems = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            problems.push(format!("line {}: expected KEY=value", index + 1));
            continue;
        };
        let key = key.trim().trim_start_matches("export ").trim();
        if !KEYS.iter().any(|(known, _)| *known == key) {
            problems.push(format!("line {}: unknown key `{key}`", index + 1));
            continue;
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value);
        values.insert(key.to_string(), value.replace("\\n", "\n"));
    }
    if problems.is_empty() {
        Ok(values)
    } else {
        Err(problems)
    }
}

/// Whether what makes the server a GitHub App (its id, key or webhook secret) is missing: then
/// `releasebot setup` is the way to get them.
pub fn missing_credentials(env: &HashMap<String, String>, file: &HashMap<String, String>) -> bool {
    let set = |key: &str| {
        env.get(key)
            .or_else(|| file.get(key))
            .is_some_and(|v| !v.trim().is_empty())
    };
    !set("RELEASEBOT_APP_ID")
        || !set("RELEASEBOT_WEBHOOK_SECRET")
        || !(set("RELEASEBOT_PRIVATE_KEY_PATH") || set("RELEASEBOT_PRIVATE_KEY"))
}

impl Settings {
    /// Settings from the environment, falling back to the file's values.
    pub fn resolve(
        env: &HashMap<String, String>,
        file: &HashMap<String, String>,
    ) -> Result<Settings, Vec<String>> {
        let get = |key: &str| {
            env.get(key)
                .or_else(|| file.get(key))
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
        };
        let mut problems = Vec::new();

        let app_id = match get("RELEASEBOT_APP_ID") {
            None => {
                problems.push("RELEASEBOT_APP_ID is not set: give the GitHub App's id (its settings page shows it)".to_string());
                0
            }
            Some(text) => match text.parse::<u64>() {
                Ok(id) if id > 0 => id,
                _ => {
                    problems.push(format!(
                        "RELEASEBOT_APP_ID must be a positive number, not `{text}`"
                    ));
                    0
                }
            },
        };
        let private_key = match (
            get("RELEASEBOT_PRIVATE_KEY_PATH"),
            get("RELEASEBOT_PRIVATE_KEY"),
        ) {
            (Some(_), Some(_)) => {
                problems.push(
                    "set only one of RELEASEBOT_PRIVATE_KEY_PATH and RELEASEBOT_PRIVATE_KEY"
                        .to_string(),
                );
                None
            }
            (Some(path), None) => Some(KeySource::Path(PathBuf::from(path))),
            (None, Some(pem)) => Some(KeySource::Pem(pem.to_string())),
            (None, None) => {
                problems.push("no private key: set RELEASEBOT_PRIVATE_KEY_PATH to the App's .pem file, or RELEASEBOT_PRIVATE_KEY to its text".to_string());
                None
            }
        };
        let webhook_secret = get("RELEASEBOT_WEBHOOK_SECRET").map(str::to_string);
        match &webhook_secret {
            None => problems.push("RELEASEBOT_WEBHOOK_SECRET is not set: give the secret entered in the App's webhook settings (deliveries cannot be trusted without it)".to_string()),
            Some(secret) if secret.chars().count() < MIN_SECRET_CHARS => problems.push(format!(
                "RELEASEBOT_WEBHOOK_SECRET is {} characters: GitHub asks for a random string with high entropy; use at least {MIN_SECRET_CHARS} (e.g. `openssl rand -hex 20`) and set the same on the App",
                secret.chars().count()
            )),
            Some(_) => {}
        }
        let listen_text = get("RELEASEBOT_LISTEN").unwrap_or(DEFAULT_LISTEN);
        let listen = listen_text.parse::<SocketAddr>().ok();
        if listen.is_none() {
            problems.push(format!(
                "RELEASEBOT_LISTEN must be an address and port such as 0.0.0.0:3000, not `{listen_text}`"
            ));
        }
        let metrics_listen = get("RELEASEBOT_METRICS_LISTEN").and_then(|text| {
            match text.parse::<SocketAddr>() {
                Ok(addr) if Some(addr) == listen && addr.port() != 0 => {
                    problems.push(format!(
                        "RELEASEBOT_METRICS_LISTEN must be another address than RELEASEBOT_LISTEN, not `{text}` too"
                    ));
                    None
                }
                Ok(addr) => Some(addr),
                Err(_) => {
                    problems.push(format!(
                        "RELEASEBOT_METRICS_LISTEN must be an address and port such as 127.0.0.1:9090, not `{text}`"
                    ));
                    None
                }
            }
        });
        let webhook_path = get("RELEASEBOT_WEBHOOK_PATH")
            .unwrap_or(DEFAULT_WEBHOOK_PATH)
            .to_string();
        if !webhook_path.starts_with('/')
            || webhook_path == "/healthz"
            || webhook_path == "/metrics"
        {
            problems.push(format!(
                "RELEASEBOT_WEBHOOK_PATH must start with / and not be /healthz or /metrics, not `{webhook_path}`"
            ));
        }
        let workers = match get("RELEASEBOT_WORKERS") {
            None => DEFAULT_WORKERS,
            Some(text) => match text.parse::<usize>() {
                Ok(n) if n <= 256 => n,
                _ => {
                    problems.push(format!(
                        "RELEASEBOT_WORKERS must be a number from 0 to 256, not `{text}`"
                    ));
                    DEFAULT_WORKERS
                }
            },
        };
        let api_url = get("GITHUB_API_URL")
            .unwrap_or(DEFAULT_API_URL)
            .trim_end_matches('/')
            .to_string();
        if url::Url::parse(&api_url)
            .map(|u| !matches!(u.scheme(), "http" | "https"))
            .unwrap_or(true)
        {
            problems.push(format!(
                "GITHUB_API_URL must be an http(s) URL such as {DEFAULT_API_URL}, not `{api_url}`"
            ));
        }
        let database = Database::parse(get("RELEASEBOT_DATABASE").unwrap_or(DEFAULT_DATABASE));
        let job_lease = match get("RELEASEBOT_JOB_LEASE") {
            None => DEFAULT_JOB_LEASE,
            Some(text) => match text.parse::<u64>() {
                Ok(seconds) if (1..=86_400).contains(&seconds) => Duration::from_secs(seconds),
                _ => {
                    problems.push(format!(
                        "RELEASEBOT_JOB_LEASE must be a number of seconds from 1 to 86400, not `{text}`"
                    ));
                    DEFAULT_JOB_LEASE
                }
            },
        };
        let http = http_limits(&get, &mut problems);

        match (private_key, webhook_secret, listen) {
            (Some(private_key), Some(webhook_secret), Some(listen)) if problems.is_empty() => {
                Ok(Settings {
                    app_id,
                    private_key,
                    webhook_secret,
                    database,
                    job_lease,
                    listen,
                    metrics_listen,
                    webhook_path,
                    workers,
                    api_url,
                    http,
                })
            }
            _ => Err(problems),
        }
    }

    /// The PEM text of the private key, read from its file when given as a path.
    pub fn private_key_pem(&self) -> Result<Vec<u8>, String> {
        match &self.private_key {
            KeySource::Pem(text) => Ok(text.as_bytes().to_vec()),
            KeySource::Path(path) => std::fs::read(path).map_err(|error| {
                format!(
                    "RELEASEBOT_PRIVATE_KEY_PATH: cannot read {}: {error}",
                    path.display()
                )
            }),
        }
    }
}

fn seconds<'v>(
    get: &dyn Fn(&str) -> Option<&'v str>,
    key: &str,
    default: Duration,
    problems: &mut Vec<String>,
) -> Duration {
    match get(key) {
        None => default,
        Some(text) => match text.parse::<f64>() {
            Ok(secs) if secs > 0.0 && secs <= 3600.0 => Duration::from_secs_f64(secs),
            _ => {
                problems.push(format!(
                    "{key} must be a number of seconds above 0 and at most 3600, not `{text}`"
                ));
                default
            }
        },
    }
}

fn count<'v>(
    get: &dyn Fn(&str) -> Option<&'v str>,
    key: &str,
    default: usize,
    range: std::ops::RangeInclusive<usize>,
    problems: &mut Vec<String>,
) -> usize {
    match get(key) {
        None => default,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if range.contains(&n) => n,
            _ => {
                problems.push(format!(
                    "{key} must be a number from {} to {}, not `{text}`",
                    range.start(),
                    range.end()
                ));
                default
            }
        },
    }
}

fn http_limits<'v>(
    get: &dyn Fn(&str) -> Option<&'v str>,
    problems: &mut Vec<String>,
) -> HttpLimits {
    let d = HttpLimits::default();
    let mib = 1024 * 1024;
    // A body budget under GitHub's 25 MiB cap would refuse the largest deliveries for ever.
    let min_budget = super::admission::MAX_BODY.div_ceil(mib);
    HttpLimits {
        header_timeout: seconds(get, "RELEASEBOT_HEADER_TIMEOUT", d.header_timeout, problems),
        body_timeout: seconds(get, "RELEASEBOT_BODY_TIMEOUT", d.body_timeout, problems),
        idle_timeout: seconds(get, "RELEASEBOT_IDLE_TIMEOUT", d.idle_timeout, problems),
        max_connections: count(
            get,
            "RELEASEBOT_MAX_CONNECTIONS",
            d.max_connections,
            1..=1_000_000,
            problems,
        ),
        body_budget: count(
            get,
            "RELEASEBOT_BODY_BUDGET_MB",
            d.body_budget / mib,
            min_budget..=1_000_000,
            problems,
        ) * mib,
        shutdown_timeout: seconds(
            get,
            "RELEASEBOT_SHUTDOWN_TIMEOUT",
            d.shutdown_timeout,
            problems,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn minimal() -> HashMap<String, String> {
        env(&[
            ("RELEASEBOT_APP_ID", "1234"),
            ("RELEASEBOT_PRIVATE_KEY_PATH", "/etc/releasebot/app.pem"),
            ("RELEASEBOT_WEBHOOK_SECRET", "s3cret-s3cret-s3cret-s3cret"),
        ])
    }

    #[test]
    fn three_keys_are_enough_and_the_rest_default() {
        let settings = Settings::resolve(&minimal(), &HashMap::new()).unwrap();
        assert_eq!(settings.app_id, 1234);
        assert_eq!(settings.listen, "0.0.0.0:3000".parse().unwrap());
        assert_eq!(
            settings.database,
            Database::Sqlite(PathBuf::from("releasebot.sqlite"))
        );
        assert_eq!(settings.webhook_path, "/webhook");
        assert_eq!(settings.api_url, "https://api.github.com");
        assert_eq!(
            settings.private_key,
            KeySource::Path("/etc/releasebot/app.pem".into())
        );
    }

    #[test]
    fn nothing_set_names_every_missing_key() {
        let problems = Settings::resolve(&HashMap::new(), &HashMap::new()).unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("RELEASEBOT_APP_ID is not set"));
        assert!(problems[1].starts_with("no private key"));
        assert!(problems[2].starts_with("RELEASEBOT_WEBHOOK_SECRET is not set"));
    }

    #[test]
    fn malformed_values_are_named_with_what_was_expected() {
        let mut values = minimal();
        values.insert("RELEASEBOT_APP_ID".into(), "my-app".into());
        values.insert("RELEASEBOT_LISTEN".into(), "localhost".into());
        values.insert("RELEASEBOT_WORKERS".into(), "many".into());
        values.insert("GITHUB_API_URL".into(), "api.github.com".into());
        values.insert("RELEASEBOT_PRIVATE_KEY".into(), "-----BEGIN".into());
        let problems = Settings::resolve(&values, &HashMap::new()).unwrap_err();
        let joined = problems.join("\n");
        for expected in [
            "RELEASEBOT_APP_ID must be a positive number, not `my-app`",
            "set only one of RELEASEBOT_PRIVATE_KEY_PATH and RELEASEBOT_PRIVATE_KEY",
            "RELEASEBOT_LISTEN must be an address and port",
            "RELEASEBOT_WORKERS must be a number from 0 to 256, not `many`",
            "GITHUB_API_URL must be an http(s) URL",
        ] {
            assert!(
                joined.contains(expected),
                "missing {expected:?} in\n{joined}"
            );
        }
    }

    #[test]
    fn a_short_webhook_secret_and_odd_limits_are_refused_with_the_reason() {
        let mut values = minimal();
        values.insert("RELEASEBOT_WEBHOOK_SECRET".into(), "x".into());
        values.insert("RELEASEBOT_HEADER_TIMEOUT".into(), "0".into());
        values.insert("RELEASEBOT_BODY_BUDGET_MB".into(), "10".into());
        values.insert("RELEASEBOT_MAX_CONNECTIONS".into(), "lots".into());
        let problems = Settings::resolve(&values, &HashMap::new()).unwrap_err();
        let joined = problems.join("\n");
        for expected in [
            "RELEASEBOT_WEBHOOK_SECRET is 1 characters: GitHub asks for a random string with high entropy; use at least 20",
            "RELEASEBOT_HEADER_TIMEOUT must be a number of seconds above 0",
            "RELEASEBOT_BODY_BUDGET_MB must be a number from 25 to",
            "RELEASEBOT_MAX_CONNECTIONS must be a number from 1 to",
        ] {
            assert!(joined.contains(expected), "missing {expected:?} in\n{joined}");
        }
    }

    #[test]
    fn limits_default_and_may_be_changed_in_seconds() {
        let mut values = minimal();
        values.insert("RELEASEBOT_IDLE_TIMEOUT".into(), "0.5".into());
        let settings = Settings::resolve(&values, &HashMap::new()).unwrap();
        assert_eq!(settings.http.idle_timeout, Duration::from_millis(500));
        assert_eq!(settings.http.header_timeout, Duration::from_secs(10));
        assert_eq!(settings.http.body_budget, 100 * 1024 * 1024);
    }

    #[test]
    fn metrics_may_have_an_address_of_their_own_but_not_the_webhook_s() {
        assert_eq!(
            Settings::resolve(&minimal(), &HashMap::new())
                .unwrap()
                .metrics_listen,
            None
        );
        let mut values = minimal();
        values.insert("RELEASEBOT_METRICS_LISTEN".into(), "127.0.0.1:9090".into());
        let settings = Settings::resolve(&values, &HashMap::new()).unwrap();
        assert_eq!(
            settings.metrics_listen,
            Some("127.0.0.1:9090".parse().unwrap())
        );

        values.insert("RELEASEBOT_METRICS_LISTEN".into(), "9090".into());
        values.insert("RELEASEBOT_LISTEN".into(), "nowhere".into());
        let problems = Settings::resolve(&values, &HashMap::new()).unwrap_err();
        assert_eq!(problems.len(), 2, "both reported at once: {problems:?}");
        assert!(problems[1].starts_with(
            "RELEASEBOT_METRICS_LISTEN must be an address and port such as 127.0.0.1:9090, not `9090`"
        ));

        values.insert("RELEASEBOT_LISTEN".into(), "0.0.0.0:3000".into());
        values.insert("RELEASEBOT_METRICS_LISTEN".into(), "0.0.0.0:3000".into());
        let problems = Settings::resolve(&values, &HashMap::new()).unwrap_err();
        assert_eq!(
            problems,
            vec!["RELEASEBOT_METRICS_LISTEN must be another address than RELEASEBOT_LISTEN, not `0.0.0.0:3000` too".to_string()]
        );
    }

    #[test]
    fn the_environment_wins_over_the_file() {
        let file = parse_file(
            "# releasebot\nRELEASEBOT_APP_ID=1\nRELEASEBOT_WEBHOOK_SECRET=\"from file, long enough\"\nexport RELEASEBOT_PRIVATE_KEY_PATH=/k.pem\n",
        )
        .unwrap();
        let settings = Settings::resolve(&env(&[("RELEASEBOT_APP_ID", "99")]), &file).unwrap();
        assert_eq!(settings.app_id, 99);
        assert_eq!(settings.webhook_secret, "from file, long enough");
        assert_eq!(settings.private_key, KeySource::Path("/k.pem".into()));
    }

    #[test]
    fn a_file_with_a_typo_or_a_bare_word_is_refused() {
        let problems = parse_file("RELEASEBOT_APPID=1\njust words\n").unwrap_err();
        assert_eq!(
            problems,
            vec![
                "line 1: unknown key `RELEASEBOT_APPID`".to_string(),
                "line 2: expected KEY=value".to_string()
            ]
        );
    }

    #[test]
    fn debug_output_never_shows_the_secret_or_the_key() {
        let mut values = minimal();
        values.remove("RELEASEBOT_PRIVATE_KEY_PATH");
        values.insert("RELEASEBOT_PRIVATE_KEY".into(), "PEM-TEXT".into());
        let settings = Settings::resolve(&values, &HashMap::new()).unwrap();
        let shown = format!("{settings:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("PEM-TEXT"),
            "{shown}"
        );
    }
}
