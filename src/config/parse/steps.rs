//! Reading `[[step]]` and `[publish]`: each step with a unique name, a workflow file, inputs
//! whose placeholders are the release's facts, and an order (`after`) that names only what
//! exists and never goes round in a circle.

use std::collections::BTreeMap;

use toml_edit::TableLike;

use super::super::steps::IMAGES;
use super::super::steps::{
    order_problems, unknown_placeholders, PublishConfig, WorkflowStep, INPUT_PLACEHOLDERS, PUBLISH,
};
use super::Reader;

const STEP_KEYS: &[&str] = &["name", "workflow", "inputs", "after", "environment"];
const PUBLISH_KEYS: &[&str] = &["after"];

impl Reader<'_> {
    /// `[[step]]` in order, and `[publish]`, checked together (their `after` name each other).
    pub(super) fn steps(
        &mut self,
        root: &dyn TableLike,
    ) -> (Vec<WorkflowStep>, Option<PublishConfig>) {
        let mut steps: Vec<WorkflowStep> = Vec::new();
        let mut places = Vec::new();
        for (prefix, t, span) in self.tables(root, "", "step").unwrap_or_default() {
            self.unknown_keys(t, &prefix, STEP_KEYS);
            let name = self.string(t, &prefix, "name");
            if name.is_none() && self.get(t, &prefix, "name").is_none() {
                self.error(&prefix, span.clone(), "needs `name`");
            }
            if self.get(t, &prefix, "workflow").is_none() {
                self.error(&prefix, span, "needs `workflow`: the file it dispatches");
            }
            let workflow = self.workflow_file(t, &prefix, "");
            let inputs = self.step_inputs(t, &prefix);
            let after = self.strings(t, &prefix, "after").unwrap_or_default();
            let environment = self.string(t, &prefix, "environment");
            let Some(name) = name else { continue };
            let at = self.get(t, &prefix, "name").and_then(|f| f.span);
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !valid {
                let message = "must be lowercase letters, digits and `-`";
                self.error(&format!("{prefix}.name"), at, message);
                continue;
            }
            if name == IMAGES || name == PUBLISH || steps.iter().any(|s| s.name == name) {
                let message = format!("`{name}` names another step already");
                self.error(&format!("{prefix}.name"), at, message);
                continue;
            }
            places.push((
                prefix.clone(),
                self.get(t, &prefix, "after").and_then(|f| f.span),
            ));
            steps.push(WorkflowStep {
                name,
                workflow,
                inputs,
                after,
                environment,
            });
        }
        let publish = self.table(root, "", "publish").map(|table| {
            self.unknown_keys(table, "publish", PUBLISH_KEYS);
            PublishConfig {
                after: self.strings(table, "publish", "after").unwrap_or_default(),
            }
        });
        for (at, message) in order_problems(&steps, publish.as_ref()) {
            let (key, span) = match at {
                Some(i) => (format!("{}.after", places[i].0), places[i].1.clone()),
                None => {
                    let found = self.get(root, "", "publish");
                    ("publish.after".to_string(), found.and_then(|f| f.span))
                }
            };
            self.error(&key, span, message);
        }
        (steps, publish)
    }

    /// A step's `inputs`: a table of texts, each placeholder one of the release's facts.
    fn step_inputs(&mut self, t: &dyn TableLike, prefix: &str) -> BTreeMap<String, String> {
        let mut inputs = BTreeMap::new();
        let Some(table) = self.table(t, prefix, "inputs") else {
            return inputs;
        };
        let at = format!("{prefix}.inputs");
        for (key, _) in table.iter() {
            let Some(text) = self.string(table, &at, key) else {
                continue;
            };
            for unknown in unknown_placeholders(&text) {
                let span = self.get(table, &at, key).and_then(|f| f.span);
                let accepted: Vec<String> = INPUT_PLACEHOLDERS
                    .iter()
                    .map(|p| format!("`{{{p}}}`"))
                    .collect();
                let message = format!(
                    "`{{{unknown}}}` is not a placeholder; use {}",
                    accepted.join(", ")
                );
                self.error(&format!("{at}.{key}"), span, message);
            }
            inputs.insert(key.to_string(), text);
        }
        inputs
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;

    const MATHESAR: &str = r#"
[publish]
after = ["images", "docs"]

[[step]]
name = "docs"
workflow = "docs.yaml"
inputs = { notes = "{notes_url}", v = "{version}" }

[[step]]
after = ["publish"]
name = "deploy"
environment = "internal"
workflow = "deploy-internal.yml"
"#;

    #[test]
    fn steps_and_the_gated_publication_are_read() {
        let config = parse(MATHESAR).unwrap();
        let names: Vec<&str> = config.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["docs", "deploy"]);
        assert_eq!(config.steps[0].inputs["notes"], "{notes_url}");
        assert_eq!(config.steps[1].environment.as_deref(), Some("internal"));
        assert_eq!(config.publish.unwrap().after, ["images", "docs"]);
        assert!(parse("").unwrap().steps.is_empty());
        assert_eq!(parse("").unwrap().publish, None);
    }

    #[test]
    fn step_mistakes_are_named_with_their_line() {
        let text = "[[step]]\nname = \"docs\"\nworkflow = \"docs.yml\"\nafter = [\"deploy\"]\ninputs = { v = \"{sha}\" }\n\n[[step]]\nname = \"docs\"\nworkflow = \"x.yml\"\n\n[[step]]\nname = \"deploy\"\nworkflow = \"d.yml\"\nafter = [\"docs\", \"nosuch\"]\n\n[publish]\nafter = [\"docs\"]\n";
        let found: Vec<String> = parse(text)
            .unwrap_err()
            .0
            .iter()
            .map(|e| e.to_string())
            .collect();
        let all = found.join("\n");
        let expected = [
            "line 5: step[0].inputs.v: `{sha}` is not a placeholder",
            "line 8: step[1].name: `docs` names another step already",
            "line 14: step[2].after: `nosuch` is not a step",
            "`docs` comes after itself",
        ];
        for line in expected {
            assert!(all.contains(line), "{line} in {all}");
        }
    }
}
