//! `[[step]]` and `[publish]`: the workflows dispatched after the tag, each once the steps it
//! names succeeded, and the publication the bot does itself once the steps it names succeeded.
//! The order is a graph of names; one that names nothing known, or goes round in a circle, is
//! a configuration error, not a release that waits forever.

use std::collections::BTreeMap;

/// The images build, as a name `after` may use.
pub const IMAGES: &str = "images";
/// The release published (by the bot under `[publish]`, else by a person), as a name `after`
/// may use.
pub const PUBLISH: &str = "publish";
/// What an input's text may name, filled in from the release.
pub const INPUT_PLACEHOLDERS: &[&str] = &["version", "tag", "commit", "notes_url"];

/// One workflow dispatched on the tag after the steps it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowStep {
    /// Names it in `after`, the status comment and `/release retry <name>`.
    pub name: String,
    /// File name in `.github/workflows/`, with a `workflow_dispatch` trigger.
    pub workflow: String,
    /// The dispatch's inputs, each text with `{version}`, `{tag}`, `{commit}`, `{notes_url}`.
    pub inputs: BTreeMap<String, String>,
    /// What must have succeeded first: `images`, `publish` or other steps; none: dispatched
    /// with the images.
    pub after: Vec<String>,
    /// The GitHub environment the workflow's job runs in: informative only (GitHub asks its
    /// reviewers), shown on the status.
    pub environment: Option<String>,
}

/// The release's facts an input's text is filled in from.
pub struct InputFacts<'a> {
    pub version: &'a str,
    pub tag: &'a str,
    pub commit: &'a str,
    pub notes_url: &'a str,
}

impl WorkflowStep {
    /// The inputs with the release's facts filled in.
    pub fn render_inputs(&self, facts: &InputFacts<'_>) -> serde_json::Value {
        let mut out = serde_json::Map::new();
        for (key, text) in &self.inputs {
            let value = text
                .replace("{version}", facts.version)
                .replace("{tag}", facts.tag)
                .replace("{commit}", facts.commit)
                .replace("{notes_url}", facts.notes_url);
            out.insert(key.clone(), value.into());
        }
        serde_json::Value::Object(out)
    }
}

/// `[publish]`: the bot publishes the draft itself once everything in `after` succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishConfig {
    pub after: Vec<String>,
}

/// The placeholders in an input's text that are none of `INPUT_PLACEHOLDERS`.
pub fn unknown_placeholders(text: &str) -> Vec<String> {
    let mut unknown = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let name = &rest[start + 1..start + len];
        if !INPUT_PLACEHOLDERS.contains(&name) {
            unknown.push(name.to_string());
        }
        rest = &rest[start + len + 1..];
    }
    unknown
}

/// What is wrong with the order as a whole: a name in `after` that is no step (nor `images`,
/// `publish`), and a circle (a step after itself, through others or the publication). Each
/// problem as (the step's index, `None` for `[publish]`; message).
pub fn order_problems(
    steps: &[WorkflowStep],
    publish: Option<&PublishConfig>,
) -> Vec<(Option<usize>, String)> {
    let known: Vec<&str> = steps.iter().map(|s| s.name.as_str()).collect();
    let mut problems = Vec::new();
    let mut check = |at: Option<usize>, names: &[String], publish_allowed: bool| {
        for name in names {
            let fine = known.contains(&name.as_str())
                || name == IMAGES
                || (publish_allowed && name == PUBLISH);
            if !fine {
                let mut accepted: Vec<String> = vec![format!("`{IMAGES}`")];
                if publish_allowed {
                    accepted.push(format!("`{PUBLISH}`"));
                }
                accepted.extend(known.iter().map(|n| format!("`{n}`")));
                problems.push((
                    at,
                    format!(
                        "`{name}` is not a step; the names here are {}",
                        accepted.join(", ")
                    ),
                ));
            }
        }
    };
    for (i, step) in steps.iter().enumerate() {
        check(Some(i), &step.after, true);
    }
    if let Some(publish) = publish {
        check(None, &publish.after, false);
    }
    // The publication is a node too: `publish` depends on its `after`.
    let edges = |name: &str| -> Vec<String> {
        if name == PUBLISH {
            return publish.map(|p| p.after.clone()).unwrap_or_default();
        }
        steps
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.after.clone())
            .unwrap_or_default()
    };
    for (i, step) in steps.iter().enumerate() {
        let mut seen = vec![step.name.clone()];
        let mut todo = edges(&step.name);
        while let Some(name) = todo.pop() {
            if name == step.name {
                problems.push((
                    Some(i),
                    format!("`{}` comes after itself (through `after`)", step.name),
                ));
                break;
            }
            if !seen.contains(&name) {
                todo.extend(edges(&name));
                seen.push(name);
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(name: &str, after: &[&str]) -> WorkflowStep {
        WorkflowStep {
            name: name.into(),
            workflow: format!("{name}.yml"),
            inputs: BTreeMap::new(),
            after: after.iter().map(|s| s.to_string()).collect(),
            environment: None,
        }
    }

    #[test]
    fn an_order_without_unknown_names_or_circles_is_fine() {
        let steps = [step("docs", &[]), step("deploy", &["publish", "docs"])];
        let publish = PublishConfig {
            after: vec!["images".into(), "docs".into()],
        };
        assert!(order_problems(&steps, Some(&publish)).is_empty());
    }

    #[test]
    fn unknown_names_and_circles_are_named() {
        let steps = [
            step("docs", &["deploy"]),
            step("deploy", &["docs", "nosuch"]),
        ];
        let publish = PublishConfig {
            after: vec!["deploy".into(), "publish".into()],
        };
        let found = order_problems(&steps, Some(&publish));
        let text: Vec<String> = found.iter().map(|(at, m)| format!("{at:?}: {m}")).collect();
        let expected = [
            "Some(1): `nosuch` is not a step; the names here are `images`, `publish`, `docs`, `deploy`",
            "None: `publish` is not a step; the names here are `images`, `docs`, `deploy`",
            "Some(0): `docs` comes after itself (through `after`)",
        ];
        for line in expected {
            assert!(text.contains(&line.to_string()), "{text:?}");
        }
        // Through the publication: deploy after publish, publish after deploy.
        let steps = [step("deploy", &["publish"])];
        let publish = PublishConfig {
            after: vec!["deploy".into()],
        };
        assert_eq!(order_problems(&steps, Some(&publish)).len(), 1);
    }

    #[test]
    fn inputs_are_filled_in_and_unknown_placeholders_found() {
        let mut docs = step("docs", &[]);
        docs.inputs.insert("v".into(), "{version} at {tag}".into());
        let facts = InputFacts {
            version: "0.1.3",
            tag: "0.1.3",
            commit: "c",
            notes_url: "u",
        };
        assert_eq!(
            docs.render_inputs(&facts),
            serde_json::json!({"v": "0.1.3 at 0.1.3"})
        );
        assert_eq!(unknown_placeholders("{version} {sha}"), vec!["sha"]);
    }
}
