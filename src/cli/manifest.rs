//! `releasebot manifest`: the GitHub App manifest, with exactly the permissions and events the
//! bot uses, so a user creates the App in one step (GitHub's "create an App from a manifest").

use std::process::ExitCode;

use serde_json::json;

#[derive(clap::Args)]
pub struct Args {
    /// The App's name on GitHub.
    #[arg(long, default_value = "releasebot")]
    name: String,
    /// Where GitHub sends webhooks, e.g. https://releasebot.example.org/webhook.
    #[arg(long, default_value = "https://YOUR-HOST/webhook")]
    webhook_url: String,
    /// The App's home page.
    #[arg(long, default_value = "https://github.com/releasebot/releasebot")]
    url: String,
}

/// What the engine touches: contents (branches, commits, tags, releases), pull requests, issues
/// (comments, labels, assignees, reactions), actions (dispatching the images and smoke
/// workflows), statuses (the `releasebot/smoke` check, the digests the images workflow reports).
pub fn manifest(name: &str, webhook_url: &str, url: &str) -> serde_json::Value {
    json!({
        "name": name,
        "url": url,
        "hook_attributes": { "url": webhook_url, "active": true },
        "public": false,
        "default_permissions": {
            "contents": "write",
            "pull_requests": "write",
            "issues": "write",
            "actions": "write",
            "statuses": "write",
            "metadata": "read",
        },
        "default_events": ["issue_comment", "pull_request", "push", "create", "workflow_run", "release"],
    })
}

pub fn run(args: Args) -> ExitCode {
    let value = manifest(&args.name, &args.webhook_url, &args.url);
    println!(
        "{}",
        serde_json::to_string_pretty(&value).expect("JSON prints")
    );
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{parse, Event};

    #[test]
    fn every_event_the_manifest_asks_for_is_one_the_engine_reads() {
        let value = manifest("releasebot", "https://x/webhook", "https://x");
        let events: Vec<&str> = value["default_events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        for event in &events {
            // An event the engine has no parser for would be delivered and dropped: useless load.
            let handled = matches!(
                parse(event, b"{}"),
                Err(_)
                    | Ok(Event::Ignored(
                        crate::event::IgnoredReason::UnhandledAction { .. }
                    ))
            );
            assert!(handled, "{event} is not parsed by the engine");
        }
        let permissions: std::collections::BTreeMap<String, String> =
            serde_json::from_value(value["default_permissions"].clone()).unwrap();
        assert_eq!(
            permissions,
            [
                ("actions", "write"),
                ("contents", "write"),
                ("issues", "write"),
                ("metadata", "read"),
                ("pull_requests", "write"),
                ("statuses", "write"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into()
        );
    }
}
