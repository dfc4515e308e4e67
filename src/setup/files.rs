//! What `setup` leaves behind: the App's private key in a file of its own and the settings file
//! `serve --config-file` reads (App id, key path, webhook secret, and the API URL when it is not
//! github.com's). Both hold secrets, so both are created readable by their owner only (mode
//! 0600 from the start, never widened and narrowed afterwards), written whole under a temporary
//! name and then put in place. An existing file is replaced only with `--overwrite`: without it,
//! `setup` refuses to start rather than register an App whose key it could not keep.

use std::io::Write;
use std::path::{Path, PathBuf};

use rand::RngCore;

use super::github::NewApp;
use crate::server::settings::{self, DEFAULT_API_URL, MIN_SECRET_CHARS};

/// The settings file's text. Comments say where it came from; the values are the keys `serve`
/// reads.
pub fn render_settings(
    app: &NewApp,
    webhook_secret: &str,
    key_file: &Path,
    api_url: &str,
) -> String {
    let mut text = format!(
        "# Written by `releasebot setup` for the GitHub App `{slug}` (id {id}).\n\
         # Install it on your repositories: {install}\n\
         # Start the server with: releasebot serve --config-file <this file>\n\
         RELEASEBOT_APP_ID={id}\n\
         RELEASEBOT_PRIVATE_KEY_PATH={key}\n\
         RELEASEBOT_WEBHOOK_SECRET={webhook_secret}\n",
        slug = app.slug,
        id = app.id,
        install = app.install_url(),
        key = key_file.display(),
    );
    if api_url.trim_end_matches('/') != DEFAULT_API_URL {
        text.push_str(&format!("GITHUB_API_URL={api_url}\n"));
    }
    text
}

/// Files `setup` would write, checked before the App is registered (GitHub hands the key over
/// once): each directory exists and takes a new file, neither path is a symbolic link (a
/// dangling one included), a file already there is only replaced when asked, and no two paths
/// name the same file (`x/a.env` and `x/../x/a.env`).
pub fn check_writable(paths: &[&Path], overwrite: bool) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    let mut resolved: Vec<(PathBuf, &Path)> = Vec::new();
    for path in paths {
        let directory = parent(path);
        let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        if !directory.is_dir() {
            problems.push(format!(
                "{}: the directory {} does not exist",
                path.display(),
                directory.display()
            ));
            continue;
        }
        if is_link {
            problems.push(format!(
                "{} is a symbolic link: give the path of the file itself",
                path.display()
            ));
        } else if path.exists() && !overwrite {
            problems.push(format!(
                "{} exists: give another path, or --overwrite to replace it",
                path.display()
            ));
        }
        if let Err(why) = takes_a_new_file(&directory) {
            problems.push(format!(
                "{}: cannot write into {}: {why}",
                path.display(),
                directory.display()
            ));
        }
        if let (Ok(dir), Some(name)) = (directory.canonicalize(), path.file_name()) {
            let file = dir.join(name);
            if let Some((_, first)) = resolved.iter().find(|(seen, _)| *seen == file) {
                problems.push(format!(
                    "{} and {} are the same file: the key and the settings need one each",
                    first.display(),
                    path.display()
                ));
            }
            resolved.push((file, path));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Whether a file can be created in `directory` now (a probe, removed at once).
fn takes_a_new_file(directory: &Path) -> std::io::Result<()> {
    let mut suffix = [0u8; 6];
    rand::rngs::OsRng.fill_bytes(&mut suffix);
    let probe = directory.join(format!(".releasebot-setup-probe-{}", hex::encode(suffix)));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)?;
    std::fs::remove_file(&probe)
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Writes the key, then the settings that point at it. Refuses a webhook secret `serve` would
/// refuse, and settings that would not read back as written.
pub fn save(
    app: &NewApp,
    config_file: &Path,
    key_file: &Path,
    api_url: &str,
    overwrite: bool,
) -> Result<(), String> {
    let secret = app.webhook_secret.as_deref().unwrap_or_default();
    // GitHub's answer is written into a file of `KEY=value` lines: a line break in a value
    // would write settings of its own.
    let key_path = key_file.display().to_string();
    for (what, value) in [
        ("slug", app.slug.as_str()),
        ("page address", app.html_url.as_str()),
        ("webhook secret", secret),
        ("private key's path", key_path.as_str()),
        ("API URL", api_url),
    ] {
        if value.chars().any(char::is_control) {
            return Err(format!(
                "the App's {what} holds a control character (a line break would add settings of its own), so nothing was written"
            ));
        }
    }
    if secret.chars().count() < MIN_SECRET_CHARS {
        return Err(format!(
            "GitHub handed over no webhook secret, or one under {MIN_SECRET_CHARS} characters"
        ));
    }
    let text = render_settings(app, secret, key_file, api_url);
    let read_back = settings::parse_file(&text).map_err(|problems| problems.join("; "))?;
    if read_back
        .get("RELEASEBOT_WEBHOOK_SECRET")
        .map(String::as_str)
        != Some(secret)
    {
        return Err("the webhook secret GitHub handed over cannot be written as a setting".into());
    }
    write_private(key_file, app.pem.as_bytes(), overwrite).map_err(|error| {
        format!(
            "cannot write the private key to {}: {error}",
            key_file.display()
        )
    })?;
    write_private(config_file, text.as_bytes(), overwrite).map_err(|error| {
        format!(
            "cannot write the settings to {}: {error}",
            config_file.display()
        )
    })
}

/// Writes `contents` to `path`, readable and writable by the owner only from the moment the
/// file exists. Without `overwrite`, an existing file is left alone (and the write fails).
pub fn write_private(path: &Path, contents: &[u8], overwrite: bool) -> std::io::Result<()> {
    let mut suffix = [0u8; 6];
    rand::rngs::OsRng.fill_bytes(&mut suffix);
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = parent(path).join(format!(".{file_name}.{}.tmp", hex::encode(suffix)));
    let result = (|| {
        let mut file = private_options().open(&temporary)?;
        file.write_all(contents)?;
        file.sync_all()?;
        if overwrite {
            std::fs::rename(&temporary, path)
        } else {
            // A hard link fails when the name is taken: no window in which another file there
            // is replaced.
            std::fs::hard_link(&temporary, path)?;
            std::fs::remove_file(&temporary)
        }
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

#[cfg(unix)]
fn private_options() -> std::fs::OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true).mode(0o600);
    options
}

#[cfg(not(unix))]
fn private_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    options
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::server::settings::{KeySource, Settings};

    fn app() -> NewApp {
        NewApp {
            id: 123456,
            slug: "mathesar-releases".into(),
            html_url: "https://github.com/apps/mathesar-releases".into(),
            pem: "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n".into(),
            webhook_secret: Some("e340154128314309424b7c8e90325147d99fdafa".into()),
        }
    }

    /// GitHub's answer is not trusted to be one line per value: a line break in the slug or the
    /// page's address once wrote `RELEASEBOT_WEBHOOK_PATH` and `RELEASEBOT_WORKERS=0`.
    #[test]
    fn a_control_character_in_githubs_answer_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (config, key) = (dir.path().join("r.env"), dir.path().join("r.pem"));
        let mut slug = app();
        slug.slug = "x\nRELEASEBOT_WORKERS=0".into();
        let mut page = app();
        page.html_url = "https://github.com/apps/x\rRELEASEBOT_WEBHOOK_PATH=/evil".into();
        for answer in [slug, page] {
            let refused = save(&answer, &config, &key, "https://api.github.com", false);
            assert!(
                refused
                    .as_ref()
                    .is_err_and(|why| why.contains("control character")),
                "{refused:?}"
            );
            assert!(!config.exists() && !key.exists(), "nothing was written");
        }
    }

    #[test]
    fn the_settings_file_is_what_serve_reads() {
        let text = render_settings(
            &app(),
            "e340154128314309424b7c8e90325147d99fdafa",
            Path::new("/etc/releasebot/mathesar-releases.pem"),
            "https://api.github.com",
        );
        assert_eq!(
            text,
            "# Written by `releasebot setup` for the GitHub App `mathesar-releases` (id 123456).\n\
             # Install it on your repositories: https://github.com/apps/mathesar-releases/installations/new\n\
             # Start the server with: releasebot serve --config-file <this file>\n\
             RELEASEBOT_APP_ID=123456\n\
             RELEASEBOT_PRIVATE_KEY_PATH=/etc/releasebot/mathesar-releases.pem\n\
             RELEASEBOT_WEBHOOK_SECRET=e340154128314309424b7c8e90325147d99fdafa\n"
        );
        let settings =
            Settings::resolve(&HashMap::new(), &settings::parse_file(&text).unwrap()).unwrap();
        assert_eq!(settings.app_id, 123456);
        assert_eq!(
            settings.private_key,
            KeySource::Path("/etc/releasebot/mathesar-releases.pem".into())
        );
        assert_eq!(settings.api_url, "https://api.github.com");
    }

    #[test]
    fn an_enterprise_server_api_is_written_too() {
        let text = render_settings(
            &app(),
            "e340154128314309424b7c8e90325147d99fdafa",
            Path::new("/k.pem"),
            "https://ghe.example.org/api/v3",
        );
        assert!(
            text.ends_with("GITHUB_API_URL=https://ghe.example.org/api/v3\n"),
            "{text}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn secrets_are_written_for_the_owner_only_and_kept_unless_told() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("releasebot.env");
        let key = dir.path().join("releasebot.private-key.pem");
        save(&app(), &config, &key, "https://api.github.com", false).unwrap();
        for path in [&config, &key] {
            let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", path.display());
        }
        assert_eq!(std::fs::read_to_string(&key).unwrap(), app().pem);

        let refused = save(&app(), &config, &key, "https://api.github.com", false).unwrap_err();
        assert!(refused.contains("File exists"), "{refused}");
        assert_eq!(
            check_writable(&[config.as_path()], false).unwrap_err(),
            vec![format!(
                "{} exists: give another path, or --overwrite to replace it",
                config.display()
            )]
        );
        save(&app(), &config, &key, "https://api.github.com", true).unwrap();
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 2, "no temporary files left: {left:?}");
    }

    #[test]
    fn a_missing_webhook_secret_is_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut without = app();
        without.webhook_secret = None;
        let config = dir.path().join("releasebot.env");
        let problem = save(
            &without,
            &config,
            &dir.path().join("k.pem"),
            "https://api.github.com",
            false,
        )
        .unwrap_err();
        assert!(problem.contains("no webhook secret"), "{problem}");
        assert!(!config.exists());
    }
}
