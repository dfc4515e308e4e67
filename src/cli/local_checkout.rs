//! A local checkout as the CLI sees it: its configuration and its version files.

use std::path::{Path, PathBuf};

use semver::Version;

use crate::config::Config;
use crate::engine::CONFIG_PATH;
use crate::file_changes::{plan_changes, PlannedChanges};
use crate::version::parse_requested;

/// Exit codes shared by the local commands.
pub const EXIT_PROBLEM: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

pub struct Checkout {
    pub dir: PathBuf,
    pub config: Config,
}

/// A failure with the exit code it deserves.
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Checkout {
    /// Opens `dir`, reading `.github/releasebot.toml` when it exists.
    pub fn open(dir: &Path) -> Result<Checkout, Failure> {
        if !dir.is_dir() {
            return Err(Failure {
                code: EXIT_USAGE,
                message: format!("`{}` is not a directory", dir.display()),
            });
        }
        let config_path = dir.join(CONFIG_PATH);
        let text = match std::fs::read_to_string(&config_path) {
            Ok(text) => Some(text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => {
                return Err(Failure {
                    code: EXIT_USAGE,
                    message: format!("cannot read {}: {error}", config_path.display()),
                })
            }
        };
        let config = Config::load(text.as_deref()).map_err(|errors| Failure {
            code: EXIT_USAGE,
            message: format!("{} has problems:\n{errors}", config_path.display()),
        })?;
        Ok(Checkout {
            dir: dir.to_path_buf(),
            config,
        })
    }

    /// The changes that set `version`, refusing a version that is not after the current one.
    pub fn plan(&self, version_text: &str) -> Result<(Version, PlannedChanges), Failure> {
        let version = parse_requested(version_text).map_err(|e| Failure {
            code: EXIT_USAGE,
            message: e.to_string(),
        })?;
        let planned = plan_changes(&self.config, &version, |path| {
            std::fs::read_to_string(self.dir.join(path)).ok()
        })
        .map_err(|e| Failure {
            code: EXIT_PROBLEM,
            message: e.to_string(),
        })?;
        if version <= planned.current_version {
            return Err(Failure {
                code: EXIT_USAGE,
                message: format!(
                    "`{version}` is not greater than the current version `{}`",
                    planned.current_version
                ),
            });
        }
        Ok((version, planned))
    }
}

/// Prints the failure and turns it into the process's exit code.
pub fn fail(failure: Failure) -> std::process::ExitCode {
    eprintln!("releasebot: {}", failure.message);
    std::process::ExitCode::from(failure.code)
}
