//! GitHub's bounds on connections, checked before anything runs: every connection needs
//! `first` or `last`, at most 100. GitHub documents these as part of schema validation, so a
//! query breaking them gets `errors` only, no `data`.

use apollo_compiler::executable::{Selection, SelectionSet};
use serde_json::{json, Value};

use super::execute::{dotted, Execution};

/// GitHub's cap on `first`/`last` for every connection.
pub const PAGE_LIMIT: i64 = 100;

/// One refused connection: GitHub's error, where it is, and why.
pub struct Refusal {
    pub error: Value,
    pub at: String,
    pub message: String,
}

impl<'q> Execution<'q> {
    /// Every connection in the operation (through all its fragments) whose bounds GitHub refuses.
    pub fn pagination_refusals(&self, set: &'q SelectionSet) -> Vec<Refusal> {
        let mut out = Vec::new();
        self.walk(set, &mut Vec::new(), &mut Vec::new(), &mut out);
        out
    }

    fn walk(
        &self,
        set: &'q SelectionSet,
        path: &mut Vec<Value>,
        visited: &mut Vec<&'q str>,
        out: &mut Vec<Refusal>,
    ) {
        for selection in &set.selections {
            match selection {
                Selection::Field(field) => {
                    path.push(json!(field.response_key().as_str()));
                    let ty = field.definition.ty.inner_named_type().as_str();
                    let paged = ["first", "last"]
                        .iter()
                        .all(|a| field.definition.arguments.iter().any(|d| d.name == *a));
                    if paged && ty.ends_with("Connection") {
                        let args = self.arguments(field);
                        if let Some((kind, message)) =
                            refusal(&field.name, args.int("first"), args.int("last"))
                        {
                            out.push(Refusal {
                                error: json!({
                                    "type": kind,
                                    "path": path,
                                    "locations": self.locations(field),
                                    "message": message,
                                }),
                                at: dotted(path),
                                message,
                            });
                        }
                    }
                    self.walk(&field.selection_set, path, visited, out);
                    path.pop();
                }
                Selection::InlineFragment(inline) => {
                    self.walk(&inline.selection_set, path, visited, out)
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.fragment_name.as_str();
                    if !visited.contains(&name) {
                        visited.push(name);
                        if let Some(fragment) = self.document.fragments.get(name) {
                            self.walk(&fragment.selection_set, path, visited, out);
                        }
                    }
                }
            }
        }
    }
}

/// GitHub's words for bounds it refuses on the connection `field`.
fn refusal(field: &str, first: Option<i64>, last: Option<i64>) -> Option<(&'static str, String)> {
    match (first, last) {
        (None, None) => {
            return Some((
                "MISSING_PAGINATION_BOUNDARIES",
                format!("You must provide a `first` or `last` value to properly paginate the `{field}` connection."),
            ))
        }
        (Some(_), Some(_)) => {
            return Some((
                "INVALID_PAGINATION_BOUNDARIES",
                format!("Passing both `first` and `last` to paginate the `{field}` connection is not supported."),
            ))
        }
        _ => {}
    }
    [("first", first), ("last", last)]
        .into_iter()
        .find_map(|(argument, value)| match value? {
            n if n > PAGE_LIMIT => Some((
                "EXCESSIVE_PAGINATION",
                format!("Requesting {n} records on the `{field}` connection exceeds the `{argument}` limit of {PAGE_LIMIT} records."),
            )),
            n if n < 0 => Some((
                "INVALID_PAGINATION_BOUNDARIES",
                format!("`{argument}` on the `{field}` connection cannot be less than zero."),
            )),
            _ => None,
        })
}
