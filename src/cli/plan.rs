//! `releasebot plan <version> [--dir PATH]`: what `/release <version>` would do, changing nothing.

use std::path::PathBuf;
use std::process::ExitCode;

use super::local_checkout::{fail, Checkout};
use crate::latest::moves_latest;

#[derive(clap::Args)]
pub struct Args {
    /// The version to plan, e.g. 0.1.3.
    version: String,
    /// The checkout to read.
    #[arg(long, default_value = ".")]
    dir: PathBuf,
}

pub fn run(args: Args) -> ExitCode {
    let checkout = match Checkout::open(&args.dir) {
        Ok(checkout) => checkout,
        Err(failure) => return fail(failure),
    };
    let (version, planned) = match checkout.plan(&args.version) {
        Ok(plan) => plan,
        Err(failure) => return fail(failure),
    };
    let config = &checkout.config;
    let base = config
        .base_branch
        .as_deref()
        .unwrap_or("the default branch");
    println!("Release {} → {version}", planned.current_version);
    println!(
        "1. Branch {} from {base}, one commit \"{}\":",
        config.branch.render(&version),
        config.commit_message.render(&version)
    );
    let current = &planned.current_version;
    for change in &planned.changes {
        match change.out_of_step_value(&planned.current_version) {
            Some(old) => println!(
                "   {} (said {old}, out of step with {current}; corrected)",
                change.path
            ),
            None => println!("   {}", change.path),
        }
        for line in change.diff() {
            println!("   {:>5} - {}", line.line, line.old);
            println!("   {:>5} + {}", line.line, line.new);
        }
    }
    for skipped in &planned.skipped {
        println!("   {skipped}");
    }
    let into = config
        .target_branch
        .as_deref()
        .map(|target| format!(" into {target}"))
        .unwrap_or_default();
    let draft = if config.pr_draft {
        "Draft pull"
    } else {
        "Pull"
    };
    let milestone = config
        .pr_milestone
        .as_ref()
        .map(|m| format!(" on milestone {}", m.render(&version)))
        .unwrap_or_default();
    println!(
        "2. {draft} request \"{}\"{into}{milestone} with the checklist:",
        config.pr_title.render(&version)
    );
    for item in &config.checklist {
        println!("   - [ ] {item}");
    }
    println!(
        "3. After the merge: tag {} on the merge commit.",
        config.tag.render(&version)
    );
    // Locally the tags are unknown; `latest` is judged against the current version only.
    let latest = moves_latest(&version, [&planned.current_version]);
    println!(
        "4. Workflow {} builds for {}:",
        config.images.workflow,
        config.images.platforms.join(", ")
    );
    for image in &config.images.images {
        let also = if latest {
            format!(" and {}:latest", image.name)
        } else {
            String::new()
        };
        println!(
            "   {}:{version}{also} from {}",
            image.name, image.dockerfile
        );
    }
    println!(
        "5. Draft release \"{}\" with the release notes.",
        config.release_title.render(&version)
    );
    if !config.steps.is_empty() || config.publish.is_some() {
        let tag = config.tag.render(&version);
        println!("6. {}", crate::messages::steps_dry_run(config, &tag));
    }
    println!("Nothing was changed.");
    ExitCode::SUCCESS
}
