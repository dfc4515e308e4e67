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

/// What the engine touches, each with why: the setup page shows these to the person creating
/// the App, and the manifest asks for exactly these.
pub const PERMISSIONS: &[(&str, &str, &str)] = &[
    (
        "contents",
        "write",
        "create the release branch and its one commit, the tag, and the draft release",
    ),
    (
        "pull_requests",
        "write",
        "open the release pull request, and close it on `/release cancel`",
    ),
    (
        "issues",
        "write",
        "answer commands, keep the status comment, react to commands, assign the release owner and label the issue",
    ),
    (
        "actions",
        "write",
        "dispatch the images and smoke workflows and follow their runs",
    ),
    (
        "statuses",
        "write",
        "report the smoke test as the `releasebot/smoke` commit status, and read the image digests the images workflow reports",
    ),
    (
        "metadata",
        "read",
        "read the repository itself (GitHub gives every App this)",
    ),
];

/// The webhook events the engine acts on, each with why.
pub const EVENTS: &[(&str, &str)] = &[
    ("issue_comment", "`/release` commands in comments"),
    (
        "pull_request",
        "the release pull request merged, closed, or pushed to (a new smoke run)",
    ),
    (
        "push",
        "tags people push, and new commits on a release branch",
    ),
    ("create", "tags made by people"),
    ("workflow_run", "the images and smoke workflows finishing"),
    ("release", "a person publishing the draft release"),
];

/// The manifest GitHub's "register an App from a manifest" flow takes.
pub fn manifest(name: &str, webhook_url: &str, url: &str) -> serde_json::Value {
    let permissions: serde_json::Map<String, serde_json::Value> = PERMISSIONS
        .iter()
        .map(|(permission, access, _)| (permission.to_string(), json!(access)))
        .collect();
    let events: Vec<&str> = EVENTS.iter().map(|(event, _)| *event).collect();
    json!({
        "name": name,
        "url": url,
        "hook_attributes": { "url": webhook_url, "active": true },
        "public": false,
        "default_permissions": permissions,
        "default_events": events,
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

    /// The App and the Action do the same work, so they ask for the same: the workflow
    /// template's job grants exactly the App's permissions (metadata is implied there).
    #[test]
    fn the_app_asks_for_what_the_action_workflow_grants() {
        let template: serde_yaml::Value =
            serde_yaml::from_str(include_str!("../../examples/workflows/releasebot.yml")).unwrap();
        let jobs = template["jobs"].as_mapping().unwrap();
        assert_eq!(jobs.len(), 1);
        let granted: std::collections::BTreeMap<String, String> = jobs.values().next().unwrap()
            ["permissions"]
            .as_mapping()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().unwrap().replace('-', "_"),
                    v.as_str().unwrap().to_string(),
                )
            })
            .collect();
        let asked: std::collections::BTreeMap<String, String> = PERMISSIONS
            .iter()
            .filter(|(permission, _, _)| *permission != "metadata")
            .map(|(permission, access, _)| (permission.to_string(), access.to_string()))
            .collect();
        assert_eq!(asked, granted);
    }
}
