//! The query's text: values stay literals; each part and each file has an alias of its own.

use super::*;
use crate::domain::IssueNumber;
use crate::github::prefetch::plan::{FileAt, FilesAt, ReleaseNames};

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

/// The aliases of the parts a plan asks for.
#[derive(Default)]
struct Aliases(Vec<&'static str>);

impl Parts for Aliases {
    fn part<P: Part>(&mut self, _: P) {
        self.0.push(P::ALIAS);
    }
}

#[test]
fn every_part_comes_back_under_an_alias_of_its_own() {
    let files = FilesAt {
        at: "1111111111111111111111111111111111111111".into(),
        paths: vec!["a".into()],
    };
    let plan = ReadPlan {
        viewer: true,
        file: Some(FileAt {
            rev: "main".into(),
            path: "a".into(),
        }),
        base: Some(files.clone()),
        tags: true,
        release: Some(ReleaseNames {
            branch: "release/1.0.0".into(),
            tag: "1.0.0".into(),
        }),
        releases: true,
        comments: Some(IssueNumber(1)),
        commit: Some(files),
    };
    let mut aliases = Aliases::default();
    each_part(&plan, "o", &mut aliases);
    let mut unique = aliases.0.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), aliases.0.len(), "{:?}", aliases.0);
    let query = plan.query("o", "r");
    for alias in aliases.0 {
        assert!(
            query.contains(&format!("    {alias}: ")),
            "{alias}: {query}"
        );
    }
    assert!(query.contains(&format!("  {}: viewer", Viewer::ALIAS)));
}
