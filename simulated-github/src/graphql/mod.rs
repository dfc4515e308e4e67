//! `POST /graphql`: GitHub's GraphQL API over the same world as the REST routes, behind the
//! same gate (authentication, faults, latency, the request record). Every query is validated
//! against GitHub's published schema first; what GitHub would refuse is answered as GitHub
//! answers it (HTTP 200 with `errors`) and recorded as a conformance violation, since the bot
//! sending it is a bug. Only queries are modeled; mutations are refused the same way.

mod execute;
mod pagination;
mod resolve;
mod schema;

use apollo_compiler::executable::OperationType;
use apollo_compiler::response::JsonMap;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use serde_json::{json, Map, Value};

use super::conformance::Violation;
use super::routes::{json, lock, Actor, JsonBody, Shared};

pub use schema::source;

pub async fn answer(
    State(state): State<Shared>,
    Extension(actor): Extension<Actor>,
    JsonBody(body): JsonBody,
) -> Response {
    let (answer, mut violations) = run(&state, &actor.0, &body);
    lock(&state).violations.append(&mut violations);
    json(StatusCode::OK, answer)
}

/// A request refused before execution: `errors` only, as GitHub answers it, and a violation.
fn refused(errors: Vec<(Value, String, String)>) -> (Value, Vec<Violation>) {
    let violations = errors
        .iter()
        .map(|(_, at, problem)| Violation {
            operation: "graphql".into(),
            property: at.clone(),
            problem: problem.clone(),
        })
        .collect();
    let errors: Vec<Value> = errors.into_iter().map(|(error, _, _)| error).collect();
    (json!({ "errors": errors }), violations)
}

fn message(text: &str) -> (Value, String, String) {
    (json!({ "message": text }), "request".into(), text.into())
}

fn run(state: &Shared, actor: &str, body: &Value) -> (Value, Vec<Violation>) {
    let Some(query) = body["query"].as_str() else {
        return refused(vec![message(
            "A query attribute must be specified and must be a string.",
        )]);
    };
    let document = match schema::validate(query) {
        Ok(document) => document,
        Err(invalid) => {
            return refused(
                invalid
                    .into_iter()
                    .map(|i| (i.error, format!("query {}", i.at), i.message))
                    .collect(),
            )
        }
    };
    let operation = match document
        .operations
        .get(body["operationName"].as_str().filter(|n| !n.is_empty()))
    {
        Ok(operation) => operation,
        Err(error) => return refused(vec![message(&error.message().to_string())]),
    };
    if operation.operation_type != OperationType::Query {
        return refused(vec![message(&format!(
            "the simulated GitHub does not model {}s",
            operation.operation_type
        ))]);
    }
    let given: JsonMap = match &body["variables"] {
        Value::Null => JsonMap::new(),
        variables => match serde_json::from_value(variables.clone()) {
            Ok(map) => map,
            Err(_) => return refused(vec![message("Variables are invalid JSON.")]),
        },
    };
    let variables: Map<String, Value> =
        match apollo_compiler::request::coerce_variable_values(schema::schema(), operation, &given)
        {
            Ok(coerced) => serde_json::to_value(coerced.into_inner())
                .ok()
                .and_then(|v| v.as_object().cloned())
                .unwrap_or_default(),
            Err(error) => {
                let message = error.message().to_string();
                let graphql = error.to_graphql_error(&document.sources);
                let error = serde_json::to_value(&graphql).unwrap_or(json!({ "message": message }));
                return refused(vec![(error, "variables".into(), message)]);
            }
        };

    let mut execution = execute::Execution {
        schema: schema::schema(),
        document: &document,
        variables: &variables,
        errors: Vec::new(),
        violations: Vec::new(),
    };
    let refusals = execution.pagination_refusals(&operation.selection_set);
    if !refusals.is_empty() {
        return refused(
            refusals
                .into_iter()
                .map(|r| (r.error, r.at, r.message))
                .collect(),
        );
    }
    let world = lock(state);
    let root = resolve::Node::query(&world, actor);
    let data = execution.run(&root, &operation.selection_set);
    drop(world);
    let mut answer = json!({ "data": data });
    if !execution.errors.is_empty() {
        answer["errors"] = Value::Array(execution.errors);
    }
    (answer, execution.violations)
}
