//! GitHub's published GraphQL schema (`schemas/graphql.graphql`, vendored whole by
//! `scripts/vendor-github-schemas.py` from `@octokit/graphql-schema`), parsed once per process,
//! and the validation every query the simulator receives goes through.

use std::sync::OnceLock;

use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Schema};
use serde_json::{json, Value};

const SDL: &str = include_str!("../schemas/graphql.graphql");

/// The package and version the schema came from, as the vendoring script wrote it on line one.
pub fn source() -> &'static str {
    SDL.lines()
        .next()
        .and_then(|line| line.strip_prefix("# source: "))
        .unwrap_or_default()
}

/// The schema, parsed and validated on first use.
pub fn schema() -> &'static Valid<Schema> {
    static SCHEMA: OnceLock<Valid<Schema>> = OnceLock::new();
    SCHEMA.get_or_init(
        || match Schema::parse_and_validate(SDL, "graphql.graphql") {
            Ok(schema) => schema,
            // GitHub's published schema (15.26.1) defines two fields of `EnterpriseOwnerInfo` twice,
            // identically; the parsed schema keeps one. Any other problem is a broken vendoring.
            Err(invalid) => {
                let other: Vec<String> = invalid
                    .errors
                    .iter()
                    .map(|e| e.to_string())
                    .filter(|e| !e.contains("duplicate definitions for the `"))
                    .collect();
                assert!(
                    other.is_empty(),
                    "GitHub's vendored GraphQL schema is valid: {other:?}"
                );
                Valid::assume_valid(invalid.partial)
            }
        },
    )
}

/// One reason a query is not valid against GitHub's schema, in GraphQL's error shape.
pub struct Invalid {
    pub message: String,
    /// `line:column` of where it is, or empty.
    pub at: String,
    pub error: Value,
}

/// The query, checked against GitHub's schema (the spec's validation rules: fields, arguments
/// and their types, fragments, variables).
pub fn validate(query: &str) -> Result<Valid<ExecutableDocument>, Vec<Invalid>> {
    ExecutableDocument::parse_and_validate(schema(), query, "query.graphql").map_err(|invalid| {
        invalid
            .errors
            .iter()
            .map(|diagnostic| {
                let error = diagnostic.to_json();
                let at = error
                    .locations
                    .first()
                    .map(|l| format!("{}:{}", l.line, l.column))
                    .unwrap_or_default();
                let locations: Vec<Value> = error
                    .locations
                    .iter()
                    .map(|l| json!({ "line": l.line, "column": l.column }))
                    .collect();
                Invalid {
                    error: json!({ "message": error.message, "locations": locations }),
                    message: error.message,
                    at,
                }
            })
            .collect()
    })
}
