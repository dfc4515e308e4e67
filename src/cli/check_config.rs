//! `releasebot check-config [PATH]`: every problem of a configuration file, or a summary.

use std::path::PathBuf;
use std::process::ExitCode;

use super::local_checkout::{EXIT_PROBLEM, EXIT_USAGE};
use crate::config::{Config, LatestPolicy};
use crate::engine::CONFIG_PATH;

#[derive(clap::Args)]
pub struct Args {
    /// The file to check.
    #[arg(default_value = CONFIG_PATH)]
    path: PathBuf,
}

pub fn run(args: Args) -> ExitCode {
    let text = match std::fs::read_to_string(&args.path) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("releasebot: cannot read {}: {error}", args.path.display());
            return ExitCode::from(EXIT_USAGE);
        }
    };
    match Config::parse(&text) {
        Ok(config) => {
            print!("{}", summary(&config));
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for error in &errors.0 {
                let line = error.line.map(|l| format!("{l}:")).unwrap_or_default();
                let key = if error.key.is_empty() {
                    String::new()
                } else {
                    format!(" {}:", error.key)
                };
                println!("{}:{line}{key} {}", args.path.display(), error.message);
            }
            eprintln!(
                "releasebot: {} problem(s) in {}",
                errors.0.len(),
                args.path.display()
            );
            ExitCode::from(EXIT_PROBLEM)
        }
    }
}

fn summary(config: &Config) -> String {
    let mut out = String::from("ok\n");
    out.push_str(&format!(
        "base branch: {}\n",
        config
            .base_branch
            .as_deref()
            .unwrap_or("(the repository's default branch)")
    ));
    if let Some(target) = &config.target_branch {
        out.push_str(&format!("pull request into: {target}\n"));
    }
    let draft = if config.pr_draft { "draft " } else { "" };
    match &config.pr_milestone {
        Some(milestone) => out.push_str(&format!(
            "pull request: {draft}on milestone {}\n",
            milestone.as_str()
        )),
        None if config.pr_draft => out.push_str("pull request: draft\n"),
        None => {}
    }
    out.push_str(&format!(
        "branch: {}  tag: {}  permission: {}\n",
        config.branch.as_str(),
        config.tag.as_str(),
        config.permission
    ));
    for file in &config.version_files {
        let role = if file.primary {
            "primary"
        } else if file.required {
            "required"
        } else {
            "optional"
        };
        out.push_str(&format!("version file: {} ({role})\n", file.path));
    }
    let latest = match config.images.latest {
        LatestPolicy::OnTag => "on-tag",
        LatestPolicy::OnPublish => "on-publish",
    };
    out.push_str(&format!(
        "images via {} ({}; latest {latest}): {}\n",
        config.images.workflow,
        config.images.platforms.join(", "),
        config
            .images
            .images
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    for step in &config.steps {
        let after = match step.after.is_empty() {
            true => "with the images".to_string(),
            false => format!("after {}", step.after.join(", ")),
        };
        out.push_str(&format!("step {}: {} {after}\n", step.name, step.workflow));
    }
    if let Some(publish) = &config.publish {
        out.push_str(&format!(
            "published by releasebot after {}\n",
            publish.after.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_lists_the_steps_after_the_tag_and_the_gated_publication() {
        let config = Config::parse(
            "[[step]]\nname = \"docs\"\nworkflow = \"docs.yml\"\n\n[[step]]\nname = \"deploy\"\nworkflow = \"deploy.yml\"\nafter = [\"publish\"]\n\n[publish]\nafter = [\"images\", \"docs\"]\n",
        )
        .unwrap();
        let text = summary(&config);
        assert!(text.contains("step docs: docs.yml with the images\nstep deploy: deploy.yml after publish\npublished by releasebot after images, docs\n"), "{text}");
    }
}
