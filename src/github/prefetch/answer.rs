//! GitHub's answer to the plan's query, read part by part into the shapes the REST reads
//! return, so the engine cannot tell which API a value came from. Whatever the answer leaves
//! in doubt (a part GitHub refused or that does not read, a list longer than one page, a
//! binary or truncated file) is left out, and that read goes to REST as before.

use std::collections::{BTreeSet, HashMap};

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::Value;

use super::plan::ReadPlan;
use super::queries::{each_part, Part, Parts, Viewer, REPOSITORY};
use super::Prefetched;

/// Reads GitHub's answer (`data` and `errors`) to `plan.query(owner, …)`.
pub fn read(plan: &ReadPlan, owner: &str, answer: &Value) -> Prefetched {
    let mut found = Prefetched::default();
    let Ok(answer) = Answer::deserialize(answer) else {
        return found;
    };
    let refused = Refused::new(&answer.errors);
    let mut data = answer.data.unwrap_or_default();
    if plan.viewer && !refused.top(Viewer::ALIAS) {
        take(&Viewer, &mut data, &mut found);
    }
    if refused.top(REPOSITORY) {
        return found;
    }
    let repo = data.remove(REPOSITORY).unwrap_or_default();
    let Ok(Some(parts)) = serde_json::from_value(repo) else {
        return found;
    };
    let mut reader = Reader {
        parts,
        refused: &refused,
        found: &mut found,
    };
    each_part(plan, owner, &mut reader);
    found
}

/// The fields of an answer, by alias; each part is read from its own, so one that does not
/// read leaves the others.
type Fields = HashMap<String, Value>;

#[derive(Deserialize)]
struct Answer {
    data: Option<Fields>,
    #[serde(default)]
    errors: Vec<Error>,
}

#[derive(Deserialize)]
struct Error {
    path: Option<Vec<PathItem>>,
}

/// A field's alias, or an index into a list.
#[derive(Deserialize)]
#[serde(untagged)]
enum PathItem {
    Field(String),
    Index(IgnoredAny),
}

/// The fields GitHub answered with an error (`viewer`, `repository`, a part of the
/// repository): what they hold is not to be believed.
struct Refused {
    /// An error that names no field: nothing in the answer is trusted.
    everything: bool,
    /// Each error's path, to its second field.
    paths: BTreeSet<Vec<String>>,
}

impl Refused {
    fn new(errors: &[Error]) -> Refused {
        let mut refused = Refused {
            everything: false,
            paths: BTreeSet::new(),
        };
        for error in errors {
            let fields: Vec<String> = error
                .path
                .iter()
                .flatten()
                .filter_map(|item| match item {
                    PathItem::Field(name) => Some(name.clone()),
                    PathItem::Index(_) => None,
                })
                .take(2)
                .collect();
            refused.everything |= fields.is_empty();
            refused.paths.insert(fields);
        }
        refused
    }

    fn top(&self, alias: &str) -> bool {
        self.everything || self.paths.contains(&vec![alias.to_string()])
    }

    fn in_repository(&self, alias: &str) -> bool {
        let path = vec![REPOSITORY.to_string(), alias.to_string()];
        self.paths.contains(&path)
    }
}

/// Reads a part's answer from its alias; `null` when the answer has none.
fn take<P: Part>(part: &P, fields: &mut Fields, found: &mut Prefetched) {
    let value = fields.remove(P::ALIAS).unwrap_or_default();
    match serde_json::from_value(value) {
        Ok(answer) => part.record(answer, found),
        Err(error) => {
            tracing::info!(%error, part = P::ALIAS, "a part of the GraphQL read did not read; reading it over REST")
        }
    }
}

/// Reads each part of the repository that GitHub did not refuse.
struct Reader<'a> {
    parts: Fields,
    refused: &'a Refused,
    found: &'a mut Prefetched,
}

impl Parts for Reader<'_> {
    fn part<P: Part>(&mut self, part: P) {
        if !self.refused.in_repository(P::ALIAS) {
            take(&part, &mut self.parts, self.found);
        }
    }
}
