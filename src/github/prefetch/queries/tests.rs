//! The query's text: values stay literals, files come under their aliases in order.

use super::*;
use crate::github::prefetch::plan::{FileAt, FilesAt};

#[test]
fn an_empty_plan_asks_for_nothing() {
    assert!(ReadPlan::default().is_empty());
    assert_eq!(ReadPlan::default().query("o", "r"), "query {\n}");
}

#[test]
fn names_with_quotes_stay_string_literals() {
    let plan = ReadPlan {
        file: Some(FileAt {
            rev: "main".into(),
            path: "a\"b } c\\.toml".into(),
        }),
        ..ReadPlan::default()
    };
    let query = plan.query("o", "r");
    assert!(
        query.contains(r#"object(expression: "main:a\"b } c\\.toml")"#),
        "{query}"
    );
}

#[test]
fn files_are_asked_for_under_aliases_in_order() {
    let plan = ReadPlan {
        base: Some(FilesAt {
            at: "master".into(),
            paths: vec!["mathesar/__init__.py".into(), "install.sh".into()],
        }),
        ..ReadPlan::default()
    };
    let query = plan.query("centerofci", "mathesar");
    let asked = |i: usize, path: &str| {
        let field = format!("{}: file(path: \"{path}\")", file_alias(i));
        query.find(&field).unwrap()
    };
    assert!(asked(0, "mathesar/__init__.py") < asked(1, "install.sh"));
    assert_ne!(file_alias(0), file_alias(1));
    assert!(query.contains("ref(qualifiedName: \"refs/heads/master\")"));
    assert!(query.contains("repository(owner: \"centerofci\", name: \"mathesar\")"));
}
