//! GitHub's own published descriptions, checked against everything the simulated GitHub sees
//! and says: each request it receives, each answer it gives and each webhook it sends. A
//! simulator we wrote ourselves can drift from GitHub; this keeps it (and the bot's requests)
//! held to what GitHub documents, so a test cannot pass on an answer GitHub would never give.
//!
//! The descriptions are vendored in `schemas/` by `scripts/vendor-github-schemas.py` from the
//! npm packages `@octokit/openapi` (REST, OpenAPI) and `@octokit/openapi-webhooks` (webhook
//! payloads), trimmed to the operations and events the simulator serves. They are compiled once,
//! on first use. Checking is always on; what breaks the description is recorded as a
//! [`Violation`] in the world, which the tests' harness turns into a failure and
//! `releasebot simulate` prints. GraphQL queries are held to GitHub's published GraphQL schema
//! the same way (`graphql::schema`), with violations of operation `graphql`.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Registry, ValidationError, Validator};
use serde_json::{json, Value};

const REST: &str = include_str!("schemas/rest.json");
const WEBHOOKS: &str = include_str!("schemas/webhooks.json");
const REST_URI: &str = "urn:github:rest";
const WEBHOOKS_URI: &str = "urn:github:webhooks";

/// Something the simulator received, answered or sent that GitHub's description does not allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The operation (`issues/create-comment (POST /repos/{owner}/{repo}/issues/…)`) or webhook
    /// (`issue_comment.created`) it happened in, and in which part.
    pub operation: String,
    /// The property, as a JSON pointer into the body (`/user/html_url`), or the parameter.
    pub property: String,
    pub problem: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: at `{}`: {}",
            self.operation, self.property, self.problem
        )
    }
}

/// The vendored descriptions, compiled.
pub struct Descriptions {
    operations: Vec<Operation>,
    events: HashMap<String, Validator>,
    /// Package and version of each description, as recorded by the vendoring script.
    pub sources: [String; 2],
}

struct Operation {
    id: String,
    /// The host's first label when the operation is not on the API's host (`uploads`): the
    /// simulator serves that host's paths under `/<host>/`, where `upload_url` points.
    host: Option<String>,
    method: String,
    path: String,
    segments: Vec<Segment>,
    params: Vec<Param>,
    request: Option<(bool, Validator)>,
    /// Documented status → the body's schema (None: no JSON body).
    responses: HashMap<String, Option<Validator>>,
}

enum Segment {
    Literal(String),
    Param { name: String, multi: bool },
}

struct Param {
    name: String,
    in_query: bool,
    required: bool,
    kind: Option<String>,
    validator: Validator,
}

/// The operation a request was matched to, to check its answer against.
#[derive(Clone, Copy)]
pub struct Matched(usize);

static DESCRIPTIONS: OnceLock<Descriptions> = OnceLock::new();
static REGISTRY: OnceLock<Registry<'static>> = OnceLock::new();

/// The descriptions, compiled on first use.
pub fn descriptions() -> &'static Descriptions {
    DESCRIPTIONS.get_or_init(load)
}

fn registry() -> &'static Registry<'static> {
    REGISTRY.get_or_init(|| {
        let rest: Value = serde_json::from_str(REST).expect("vendored REST description is JSON");
        let hooks: Value =
            serde_json::from_str(WEBHOOKS).expect("vendored webhook schemas are JSON");
        Registry::new()
            .draft(Draft::Draft202012)
            .add(REST_URI, Draft::Draft202012.create_resource(rest))
            .and_then(|b| b.add(WEBHOOKS_URI, Draft::Draft202012.create_resource(hooks)))
            .and_then(|b| b.prepare())
            .expect("vendored descriptions form a registry")
    })
}

fn compile(pointer: &str) -> Validator {
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        // GitHub's own bot addresses (`41898282+github-actions[bot]@users.noreply.github.com`)
        // fail RFC 5321's strict check, yet GitHub sends them where it promises an `email`.
        .with_format("email", |s: &str| {
            s.split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        })
        .with_registry(registry())
        .build(&json!({ "$ref": pointer }))
        .unwrap_or_else(|e| panic!("vendored schema {pointer} compiles: {e}"))
}

fn pointer_escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

fn load() -> Descriptions {
    let rest: Value = serde_json::from_str(REST).expect("vendored REST description is JSON");
    let hooks: Value = serde_json::from_str(WEBHOOKS).expect("vendored webhook schemas are JSON");
    let mut operations = Vec::new();
    for (i, op) in rest["operations"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let base = format!("{REST_URI}#/operations/{i}");
        let path = op["path"].as_str().unwrap_or_default().to_string();
        let params: Vec<Param> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(j, p)| Param {
                name: p["name"].as_str().unwrap_or_default().to_string(),
                in_query: p["in"] == "query",
                required: p["required"] == true,
                kind: p["schema"]["type"].as_str().map(String::from),
                validator: compile(&format!("{base}/parameters/{j}/schema")),
            })
            .collect();
        let multi = |name: &str| {
            op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p["name"] == name && p["multi_segment"] == true)
        };
        let segments = path
            .trim_start_matches('/')
            .split('/')
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => Segment::Param {
                        name: name.to_string(),
                        multi: multi(name),
                    },
                    None => Segment::Literal(s.to_string()),
                },
            )
            .collect();
        let request = op["request"].as_object().map(|r| {
            (
                r.get("required") == Some(&Value::Bool(true)),
                compile(&format!("{base}/request/schema")),
            )
        });
        let responses = op["responses"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(status, schema)| {
                let validator = (!schema.is_null())
                    .then(|| compile(&format!("{base}/responses/{}", pointer_escape(status))));
                (status.clone(), validator)
            })
            .collect();
        operations.push(Operation {
            id: op["operation_id"].as_str().unwrap_or_default().to_string(),
            host: op["host"].as_str().map(String::from),
            method: op["method"].as_str().unwrap_or_default().to_string(),
            path,
            segments,
            params,
            request,
            responses,
        });
    }
    let events = hooks["events"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, _)| {
            let pointer = format!("{WEBHOOKS_URI}#/events/{}", pointer_escape(name));
            (name.clone(), compile(&pointer))
        })
        .collect();
    Descriptions {
        operations,
        events,
        sources: [
            rest["source"].as_str().unwrap_or_default().to_string(),
            hooks["source"].as_str().unwrap_or_default().to_string(),
        ],
    }
}

impl Descriptions {
    /// How many REST operations and webhook events are checked.
    pub fn counts(&self) -> (usize, usize) {
        (self.operations.len(), self.events.len())
    }

    /// The `(METHOD, path)` of every operation, as GitHub describes them.
    pub fn operations(&self) -> Vec<(String, String)> {
        self.operations
            .iter()
            .map(|op| (op.method.clone(), op.path.clone()))
            .collect()
    }

    /// The webhook events, as `event-action` (`issue-comment-created`).
    pub fn events(&self) -> Vec<String> {
        let mut names: Vec<String> = self.events.keys().cloned().collect();
        names.sort();
        names
    }

    /// Matches a request to its operation and checks its parameters and body.
    pub fn check_request(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
        body: Option<&Value>,
        violations: &mut Vec<Violation>,
    ) -> Option<Matched> {
        let all: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let (index, op, values) = self
            .operations
            .iter()
            .enumerate()
            .filter(|(_, op)| op.method.eq_ignore_ascii_case(method))
            // An operation on another host is reached under `/<host>/` here, and only there.
            .filter_map(|(i, op)| match &op.host {
                Some(host) if all.first() == Some(&host.as_str()) => Some((i, op, &all[1..])),
                Some(_) => None,
                None => Some((i, op, &all[..])),
            })
            .filter_map(|(i, op, segments)| Some((i, op, match_path(&op.segments, segments)?)))
            .max_by_key(|(_, op, _)| {
                op.segments
                    .iter()
                    .filter(|s| matches!(s, Segment::Literal(_)))
                    .count()
            })?;
        let label = format!("{} ({} {}) request", op.id, op.method, op.path);
        let query: Vec<(String, String)> = query
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        for param in &op.params {
            let value = if param.in_query {
                query
                    .iter()
                    .find(|(k, _)| *k == param.name)
                    .map(|(_, v)| v.clone())
            } else {
                values.get(&param.name).cloned()
            };
            let where_ = if param.in_query { "query" } else { "path" };
            let Some(value) = value else {
                if param.required {
                    violations.push(Violation {
                        operation: label.clone(),
                        property: format!("{where_} parameter {}", param.name),
                        problem: "required, but missing".into(),
                    });
                }
                continue;
            };
            let typed = typed(param.kind.as_deref(), &value);
            for error in param.validator.iter_errors(&typed) {
                violations.push(Violation {
                    operation: label.clone(),
                    property: format!("{where_} parameter {}", param.name),
                    problem: error.to_string(),
                });
            }
        }
        match (&op.request, body) {
            (Some((_, validator)), Some(body)) => {
                check(validator, body, &label, violations);
            }
            (Some((true, _)), None) => violations.push(Violation {
                operation: label,
                property: "body".into(),
                problem: "GitHub requires a JSON body, but there is none".into(),
            }),
            _ => {}
        }
        Some(Matched(index))
    }

    /// Checks an answer against what the operation documents for its status.
    pub fn check_response(
        &self,
        matched: Matched,
        status: u16,
        body: Option<&Value>,
        violations: &mut Vec<Violation>,
    ) {
        let op = &self.operations[matched.0];
        let label = format!("{} ({} {}) response {status}", op.id, op.method, op.path);
        match op.responses.get(&status.to_string()) {
            Some(Some(validator)) => match body {
                Some(body) => check(validator, body, &label, violations),
                None => violations.push(Violation {
                    operation: label,
                    property: "body".into(),
                    problem: "GitHub documents a JSON body, but there is none".into(),
                }),
            },
            Some(None) => {}
            // Errors GitHub does not list per operation (rate limits, outages) are not checked;
            // a success it does not list is a mistake.
            None if (200..300).contains(&status) => violations.push(Violation {
                operation: label,
                property: "status".into(),
                problem: format!(
                    "GitHub documents only {:?} for this operation",
                    sorted_keys(&op.responses)
                ),
            }),
            None => {}
        }
    }

    /// Checks a webhook payload against its event's schema (`event-action`, else `event`).
    pub fn check_webhook(&self, event: &str, payload: &Value, violations: &mut Vec<Violation>) {
        let action = payload["action"].as_str();
        let label = match action {
            Some(action) => format!("webhook {event}.{action}"),
            None => format!("webhook {event}"),
        };
        let event_key = event.replace('_', "-");
        let key = action
            .map(|a| format!("{event_key}-{}", a.replace('_', "-")))
            .filter(|k| self.events.contains_key(k))
            .unwrap_or(event_key);
        match self.events.get(&key) {
            Some(validator) => check(validator, payload, &label, violations),
            None => violations.push(Violation {
                operation: label,
                property: "event".into(),
                problem:
                    "no vendored schema for this event: add it to scripts/vendor-github-schemas.py"
                        .into(),
            }),
        }
    }
}

fn sorted_keys<V>(map: &HashMap<String, V>) -> Vec<&str> {
    let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
    keys.sort();
    keys
}

/// Path parameters by name when the request path fits the template; a multi-segment parameter
/// (GitHub's `x-multi-segment`, as in `contents/{path}` or `commits/{ref}/status`) takes every
/// segment the literals after it leave over, so a branch name may hold slashes.
fn match_path(template: &[Segment], path: &[&str]) -> Option<HashMap<String, String>> {
    let mut values = HashMap::new();
    let mut at = 0;
    for (i, segment) in template.iter().enumerate() {
        match segment {
            Segment::Literal(literal) => {
                if path.get(at) != Some(&literal.as_str()) {
                    return None;
                }
                at += 1;
            }
            Segment::Param { name, multi: true } => {
                let after = template.len() - i - 1;
                let take = path.len().checked_sub(at + after).filter(|n| *n > 0)?;
                let taken = &path[at..at + take];
                if taken[0].is_empty() {
                    return None;
                }
                values.insert(name.clone(), decode(&taken.join("/")));
                at += take;
            }
            Segment::Param { name, .. } => {
                let value = path.get(at).filter(|v| !v.is_empty())?;
                values.insert(name.clone(), decode(value));
                at += 1;
            }
        }
    }
    (at == path.len()).then_some(values)
}

fn decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("v={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// A parameter's text as the type its schema says (`issue_number` is an integer).
fn typed(kind: Option<&str>, value: &str) -> Value {
    match kind {
        Some("integer") => value
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(value)),
        Some("number") => value
            .parse::<f64>()
            .ok()
            .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
            .unwrap_or_else(|| Value::from(value)),
        Some("boolean") => match value {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::from(value),
        },
        _ => Value::from(value),
    }
}

fn check(validator: &Validator, instance: &Value, label: &str, violations: &mut Vec<Violation>) {
    for error in validator.iter_errors(instance) {
        explain(&error, label, violations);
    }
}

/// One violation per failed property; for `oneOf`/`anyOf` the closest alternative's failures,
/// so the property GitHub wants is named rather than "no alternative fits".
fn explain(error: &ValidationError<'_>, label: &str, violations: &mut Vec<Violation>) {
    let context = match error.kind() {
        ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context } => {
            Some(context)
        }
        _ => None,
    };
    // An alternative of another type (an array where an object came) is the farthest.
    let other_type = |errors: &Vec<ValidationError<'static>>| {
        errors.iter().all(|e| {
            matches!(e.kind(), ValidationErrorKind::Type { .. })
                && e.instance_path() == error.instance_path()
        })
    };
    let closest = context.and_then(|c| c.iter().min_by_key(|e| (other_type(e), e.len())));
    if let Some(closest) = closest {
        if !closest.is_empty() {
            for inner in closest {
                explain(inner, label, violations);
            }
            return;
        }
    }
    let pointer = error.instance_path().as_str();
    violations.push(Violation {
        operation: label.to_string(),
        property: if pointer.is_empty() {
            "/".into()
        } else {
            pointer.to_string()
        },
        problem: error.to_string(),
    });
}

/// Package and version of GitHub's GraphQL schema the GraphQL queries are validated against.
pub fn graphql_source() -> &'static str {
    super::graphql::source()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_segment_parameters_take_the_rest_of_the_path() {
        let d = descriptions();
        let mut v = Vec::new();
        let m = d.check_request(
            "GET",
            "/repos/o/r/contents/docs/mkdocs.yml",
            Some("ref=master"),
            None,
            &mut v,
        );
        assert!(m.is_some(), "{v:?}");
        assert!(v.is_empty(), "{v:?}");
        let m = d.check_request(
            "GET",
            "/repos/o/r/git/ref/heads/release/0.1.3",
            None,
            None,
            &mut v,
        );
        assert!(m.is_some() && v.is_empty(), "{v:?}");
    }

    #[test]
    fn a_multi_segment_parameter_before_a_literal_takes_what_the_literal_leaves() {
        let d = descriptions();
        let mut v = Vec::new();
        let m = d
            .check_request(
                "GET",
                "/repos/o/r/commits/release/0.1.3/status",
                None,
                None,
                &mut v,
            )
            .unwrap();
        assert_eq!(d.operations[m.0].id, "repos/get-combined-status-for-ref");
        let m = d
            .check_request(
                "GET",
                "/repos/o/r/commits/release/0.1.3",
                None,
                None,
                &mut v,
            )
            .unwrap();
        assert_eq!(d.operations[m.0].id, "repos/get-commit");
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn a_literal_segment_wins_over_a_parameter() {
        let d = descriptions();
        let mut v = Vec::new();
        let m = d
            .check_request("GET", "/repos/o/r/releases/latest", None, None, &mut v)
            .unwrap();
        assert_eq!(d.operations[m.0].id, "repos/get-latest-release");
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn a_parameter_of_the_wrong_type_is_named() {
        let d = descriptions();
        let mut v = Vec::new();
        d.check_request("GET", "/repos/o/r/issues/abc", None, None, &mut v);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].operation.starts_with("issues/get "), "{v:?}");
        assert_eq!(v[0].property, "path parameter issue_number");
    }

    #[test]
    fn a_missing_required_property_names_the_property() {
        let d = descriptions();
        let mut v = Vec::new();
        let m = d
            .check_request(
                "POST",
                "/repos/o/r/issues/1/comments",
                None,
                Some(&json!({"text": "hi"})),
                &mut v,
            )
            .unwrap();
        assert!(v.iter().any(|v| v.problem.contains("\"body\"")), "{v:?}");
        v.clear();
        d.check_response(m, 201, Some(&json!({"id": 1})), &mut v);
        assert!(v.iter().any(|v| v.problem.contains("\"node_id\"")), "{v:?}");
        assert!(v[0].operation.contains("issues/create-comment"), "{v:?}");
    }
}
