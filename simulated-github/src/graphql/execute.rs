//! GraphQL execution as the spec describes it, generic over the objects it walks: fields are
//! collected through fragments (named and inline, by type condition), each is resolved with its
//! arguments (literals, variables, schema defaults), and a null in a non-null position nulls
//! its parent. Errors take GitHub's shape (`message`, `locations`, `path`, and `type` when
//! GitHub gives one); a field the simulator does not model is also a conformance violation.

use apollo_compiler::ast::Value as Literal;
use apollo_compiler::executable::{Field, Selection, SelectionSet};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Node, Schema};
use serde_json::{json, Map, Value};

use crate::conformance::Violation;

/// An object the walker can ask for fields.
pub trait Object: Sized {
    /// The concrete GraphQL type (`Commit`, `Bot`), for `__typename` and type conditions.
    fn type_name(&self) -> &'static str;
    fn field(&self, name: &str, args: &Args) -> Result<Resolved<Self>, FieldError>;
}

/// What a resolver gives back: the walker completes it against the field's type.
pub enum Resolved<T> {
    Leaf(Value),
    Null,
    Object(T),
    List(Vec<Resolved<T>>),
}

impl<T> Resolved<T> {
    /// A leaf, or null when absent.
    pub fn leaf<V: Into<Value>>(value: Option<V>) -> Self {
        value.map_or(Resolved::Null, |v| Resolved::Leaf(v.into()))
    }

    pub fn object(value: Option<T>) -> Self {
        value.map_or(Resolved::Null, Resolved::Object)
    }
}

#[derive(Debug)]
pub enum FieldError {
    /// What GitHub answers as `type: NOT_FOUND`: nothing there for this caller. Not a bug.
    NotFound(String),
    /// A request GitHub refuses (`type` like `EXCESSIVE_PAGINATION`): a bug in the caller.
    Refused { kind: &'static str, message: String },
    /// In GitHub's schema, but the simulator has no model of it: answering null would lie.
    NotModeled,
    /// An argument in GitHub's schema the simulator does not model.
    ArgumentNotModeled(String),
}

/// A field's arguments as JSON, with variables substituted and the schema's defaults filled in.
pub struct Args {
    values: Map<String, Value>,
    /// The arguments the query itself gave (defaults are not the caller's choice).
    given: Vec<String>,
}

impl Args {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name).filter(|v| !v.is_null())
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    pub fn int(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(Value::as_i64)
    }

    /// Refuses an argument the query gave that the resolver does not model.
    pub fn only(&self, modeled: &[&str]) -> Result<(), FieldError> {
        match self.given.iter().find(|g| !modeled.contains(&g.as_str())) {
            Some(name) => Err(FieldError::ArgumentNotModeled(name.clone())),
            None => Ok(()),
        }
    }
}

pub struct Execution<'q> {
    pub schema: &'q Valid<Schema>,
    pub document: &'q Valid<ExecutableDocument>,
    pub variables: &'q Map<String, Value>,
    pub errors: Vec<Value>,
    pub violations: Vec<Violation>,
}

type Grouped<'q> = Vec<(String, Vec<&'q Node<Field>>)>;

impl<'q> Execution<'q> {
    /// The selection set on the root object; `None` when a non-null root field was null.
    pub fn run<T: Object>(
        &mut self,
        root: &T,
        set: &'q SelectionSet,
    ) -> Option<Map<String, Value>> {
        self.selection_set(root, &[set], &mut Vec::new())
    }

    fn selection_set<T: Object>(
        &mut self,
        object: &T,
        sets: &[&'q SelectionSet],
        path: &mut Vec<Value>,
    ) -> Option<Map<String, Value>> {
        let mut grouped = Grouped::new();
        for set in sets {
            self.collect(object.type_name(), set, &mut grouped, &mut Vec::new());
        }
        let mut out = Map::new();
        for (key, fields) in grouped {
            path.push(Value::String(key.clone()));
            let value = if fields[0].name == "__typename" {
                Some(Value::String(object.type_name().into()))
            } else {
                self.field(object, &fields, path)
            };
            path.pop();
            out.insert(key, value?);
        }
        Some(out)
    }

    /// The spec's CollectFields: fields by response key, through fragments whose type
    /// condition the object meets, minus `@skip`ped and not `@include`d ones.
    fn collect(
        &self,
        type_name: &str,
        set: &'q SelectionSet,
        out: &mut Grouped<'q>,
        visited: &mut Vec<&'q str>,
    ) {
        for selection in &set.selections {
            if !self.included(selection) {
                continue;
            }
            match selection {
                Selection::Field(field) => {
                    let key = field.response_key().as_str();
                    match out.iter_mut().find(|(k, _)| k == key) {
                        Some((_, fields)) => fields.push(field),
                        None => out.push((key.to_string(), vec![field])),
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.fragment_name.as_str();
                    if visited.contains(&name) {
                        continue;
                    }
                    visited.push(name);
                    if let Some(fragment) = self.document.fragments.get(name) {
                        if self.applies(fragment.type_condition(), type_name) {
                            self.collect(type_name, &fragment.selection_set, out, visited);
                        }
                    }
                }
                Selection::InlineFragment(inline) => {
                    let applies = inline
                        .type_condition
                        .as_ref()
                        .is_none_or(|condition| self.applies(condition, type_name));
                    if applies {
                        self.collect(type_name, &inline.selection_set, out, visited);
                    }
                }
            }
        }
    }

    fn applies(&self, condition: &str, type_name: &str) -> bool {
        condition == type_name || self.schema.is_subtype(condition, type_name)
    }

    fn included(&self, selection: &Selection) -> bool {
        let flag = |directive: &str| {
            selection
                .directives()
                .get(directive)
                .and_then(|d| d.specified_argument_by_name("if"))
                .map(|value| self.literal(value).as_bool().unwrap_or(false))
        };
        flag("skip") != Some(true) && flag("include") != Some(false)
    }

    /// A literal from the query as JSON, variables substituted.
    fn literal(&self, value: &Literal) -> Value {
        match value {
            Literal::Null => Value::Null,
            Literal::Enum(name) => Value::String(name.to_string()),
            Literal::Variable(name) => self
                .variables
                .get(name.as_str())
                .cloned()
                .unwrap_or(Value::Null),
            Literal::String(s) => Value::String(s.clone()),
            Literal::Float(f) => f.try_to_f64().map_or(Value::Null, |f| json!(f)),
            Literal::Int(i) => i.try_to_i32().map_or_else(
                |_| i.try_to_f64().map_or(Value::Null, |f| json!(f)),
                |i| json!(i),
            ),
            Literal::Boolean(b) => Value::Bool(*b),
            Literal::List(items) => items.iter().map(|item| self.literal(item)).collect(),
            Literal::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(name, value)| (name.to_string(), self.literal(value)))
                    .collect(),
            ),
        }
    }

    pub(super) fn arguments(&self, field: &Field) -> Args {
        let mut values = Map::new();
        let mut given = Vec::new();
        for definition in &field.definition.arguments {
            let name = definition.name.as_str();
            match field.specified_argument_by_name(name) {
                // A variable the request left out is as if the argument were not given.
                Some(value)
                    if !matches!(value.as_ref(), Literal::Variable(v)
                        if !self.variables.contains_key(v.as_str())) =>
                {
                    given.push(name.to_string());
                    values.insert(name.to_string(), self.literal(value));
                }
                _ => {
                    if let Some(default) = &definition.default_value {
                        values.insert(name.to_string(), self.literal(default));
                    }
                }
            }
        }
        Args { values, given }
    }

    fn field<T: Object>(
        &mut self,
        object: &T,
        fields: &[&'q Node<Field>],
        path: &mut Vec<Value>,
    ) -> Option<Value> {
        let field = fields[0];
        let ty = &field.definition.ty;
        match object.field(&field.name, &self.arguments(field)) {
            Ok(resolved) => self.complete(ty, resolved, fields, path),
            Err(error) => {
                self.fail(object.type_name(), field, path, error);
                (!ty.is_non_null()).then_some(Value::Null)
            }
        }
    }

    fn complete<T: Object>(
        &mut self,
        ty: &apollo_compiler::ast::Type,
        resolved: Resolved<T>,
        fields: &[&'q Node<Field>],
        path: &mut Vec<Value>,
    ) -> Option<Value> {
        let promised = ty.inner_named_type().as_str();
        let value = match resolved {
            Resolved::Null | Resolved::Leaf(Value::Null) => {
                if ty.is_non_null() {
                    self.broke(path, format!("null where GitHub's schema promises `{ty}`"));
                }
                None
            }
            Resolved::Leaf(value) => {
                if !self.leaf_fits(promised, &value) {
                    self.broke(
                        path,
                        format!("`{value}` where GitHub's schema promises `{promised}`"),
                    );
                }
                Some(value)
            }
            Resolved::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut whole = true;
                for (index, item) in items.into_iter().enumerate() {
                    path.push(json!(index));
                    let value = self.complete(ty.item_type(), item, fields, path);
                    path.pop();
                    match value {
                        Some(value) => out.push(value),
                        None => {
                            whole = false;
                            break;
                        }
                    }
                }
                whole.then_some(Value::Array(out))
            }
            Resolved::Object(object) => {
                if !self.applies(promised, object.type_name()) {
                    let problem = format!(
                        "a `{}` where GitHub's schema promises `{promised}`",
                        object.type_name()
                    );
                    self.broke(path, problem);
                }
                let sets: Vec<&'q SelectionSet> = fields.iter().map(|f| &f.selection_set).collect();
                self.selection_set(&object, &sets, path).map(Value::Object)
            }
        };
        match value {
            Some(Value::Null) | None if ty.is_non_null() => None,
            Some(value) => Some(value),
            None => Some(Value::Null),
        }
    }

    /// Is this leaf what GitHub's schema promises? GitHub's answers always are; the
    /// simulator's must be too.
    fn leaf_fits(&self, type_name: &str, value: &Value) -> bool {
        match self.schema.types.get(type_name) {
            Some(ExtendedType::Enum(enumeration)) => value
                .as_str()
                .is_some_and(|v| enumeration.values.contains_key(v)),
            Some(ExtendedType::Scalar(_)) => match type_name {
                "Int" => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
                "Float" => value.is_number(),
                "Boolean" => value.is_boolean(),
                // String, ID and GitHub's own scalars (URI, DateTime, GitObjectID, …).
                _ => value.is_string(),
            },
            _ => false,
        }
    }

    /// An answer of the simulator's that GitHub's schema does not allow: a bug in the simulator,
    /// recorded like any other conformance violation.
    fn broke(&mut self, path: &[Value], problem: String) {
        self.violations.push(Violation {
            operation: "graphql".into(),
            property: dotted(path),
            problem: format!("the simulated GitHub answered {problem}"),
        });
    }

    fn fail(&mut self, type_name: &str, field: &Node<Field>, path: &[Value], error: FieldError) {
        let (kind, message, violation) = match error {
            FieldError::NotFound(message) => (Some("NOT_FOUND"), message, false),
            FieldError::Refused { kind, message } => (Some(kind), message, true),
            FieldError::NotModeled => (
                None,
                format!("the simulated GitHub does not model `{type_name}.{}`", field.name),
                true,
            ),
            FieldError::ArgumentNotModeled(argument) => (
                None,
                format!(
                    "the simulated GitHub does not model the argument `{type_name}.{}({argument}:)`",
                    field.name
                ),
                true,
            ),
        };
        let mut error = json!({
            "path": path,
            "locations": self.locations(field),
            "message": message,
        });
        if let Some(kind) = kind {
            error["type"] = json!(kind);
        }
        if violation {
            self.violations.push(Violation {
                operation: "graphql".into(),
                property: dotted(path),
                problem: message,
            });
        }
        self.errors.push(error);
    }

    pub(super) fn locations(&self, field: &Node<Field>) -> Value {
        field
            .location()
            .and_then(|span| span.line_column(&self.document.sources))
            .map_or_else(
                || json!([]),
                |at| json!([{ "line": at.line, "column": at.column }]),
            )
    }
}

/// A response path as `repository.tags.nodes.0.name`.
pub fn dotted(path: &[Value]) -> String {
    path.iter()
        .map(|segment| match segment {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}
