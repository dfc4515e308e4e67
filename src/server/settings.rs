//! `releasebot serve`'s settings: environment variables, and the same keys in an optional
//! `KEY=value` file (environment wins). Every problem is reported at once, before anything
//! starts; secrets are never echoed back.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

pub const DEFAULT_LISTEN: &str = "0.0.0.0:3000";
pub const DEFAULT_API_URL: &str = "https://api.github.com";
pub const DEFAULT_DATABASE: &str = "releasebot.sqlite";
pub const DEFAULT_WEBHOOK_PATH: &str = "/webhook";
pub const DEFAULT_WORKERS: usize = 8;

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
        "SQLite file of the delivery queue (default releasebot.sqlite)",
    ),
    (
        "RELEASEBOT_LISTEN",
        "address to listen on (default 0.0.0.0:3000)",
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
        "GITHUB_API_URL",
        "GitHub's REST API (default https://api.github.com)",
    ),
];

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
    pub database: PathBuf,
    pub listen: SocketAddr,
    pub webhook_path: String,
    pub workers: usize,
    pub api_url: String,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("app_id", &self.app_id)
            .field("database", &self.database)
            .field("listen", &self.listen)
            .field("webhook_path", &self.webhook_path)
            .field("workers", &self.workers)
            .field("api_url", &self.api_url)
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
        if webhook_secret.is_none() {
            problems.push("RELEASEBOT_WEBHOOK_SECRET is not set: give the secret entered in the App's webhook settings (deliveries cannot be trusted without it)".to_string());
        }
        let listen_text = get("RELEASEBOT_LISTEN").unwrap_or(DEFAULT_LISTEN);
        let listen = listen_text.parse::<SocketAddr>().ok();
        if listen.is_none() {
            problems.push(format!(
                "RELEASEBOT_LISTEN must be an address and port such as 0.0.0.0:3000, not `{listen_text}`"
            ));
        }
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
        let database = PathBuf::from(get("RELEASEBOT_DATABASE").unwrap_or(DEFAULT_DATABASE));

        match (private_key, webhook_secret, listen) {
            (Some(private_key), Some(webhook_secret), Some(listen)) if problems.is_empty() => {
                Ok(Settings {
                    app_id,
                    private_key,
                    webhook_secret,
                    database,
                    listen,
                    webhook_path,
                    workers,
                    api_url,
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
            ("RELEASEBOT_WEBHOOK_SECRET", "s3cret"),
        ])
    }

    #[test]
    fn three_keys_are_enough_and_the_rest_default() {
        let settings = Settings::resolve(&minimal(), &HashMap::new()).unwrap();
        assert_eq!(settings.app_id, 1234);
        assert_eq!(settings.listen, "0.0.0.0:3000".parse().unwrap());
        assert_eq!(settings.database, PathBuf::from("releasebot.sqlite"));
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
    fn the_environment_wins_over_the_file() {
        let file = parse_file(
            "# releasebot\nRELEASEBOT_APP_ID=1\nRELEASEBOT_WEBHOOK_SECRET=\"from file\"\nexport RELEASEBOT_PRIVATE_KEY_PATH=/k.pem\n",
        )
        .unwrap();
        let settings = Settings::resolve(&env(&[("RELEASEBOT_APP_ID", "99")]), &file).unwrap();
        assert_eq!(settings.app_id, 99);
        assert_eq!(settings.webhook_secret, "from file");
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
