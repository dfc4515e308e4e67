//! `releasebot bump <version> [--dir PATH]`: the bot's version bump, applied to a checkout.

use std::path::PathBuf;
use std::process::ExitCode;

use super::local_checkout::{fail, Checkout, Failure, EXIT_PROBLEM};

#[derive(clap::Args)]
pub struct Args {
    /// The new version, e.g. 0.1.3.
    version: String,
    /// The checkout to change.
    #[arg(long, default_value = ".")]
    dir: PathBuf,
}

pub fn run(args: Args) -> ExitCode {
    match bump(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => fail(failure),
    }
}

fn bump(args: &Args) -> Result<(), Failure> {
    let checkout = Checkout::open(&args.dir)?;
    let (version, planned) = checkout.plan(&args.version)?;
    // Every file was read and bumped in memory first, so a problem leaves nothing half-written.
    for change in &planned.changes {
        let path = checkout.dir.join(&change.path);
        std::fs::write(&path, &change.new_text).map_err(|e| Failure {
            code: EXIT_PROBLEM,
            message: format!("cannot write {}: {e}", path.display()),
        })?;
        println!(
            "{}: {} → {version}",
            change.path,
            change.old_values.join(", ")
        );
    }
    for skipped in &planned.skipped {
        println!("{skipped}");
    }
    Ok(())
}
