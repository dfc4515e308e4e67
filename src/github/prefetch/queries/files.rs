//! A commit's tree and some of its files, each file asked for under its own alias: the
//! selection the base branch's head and the merge commit share.

use std::collections::HashMap;

use serde::Deserialize;

use super::lit;
use super::objects::{git_object, Object, Oid, Pointee, BLOB};
use crate::domain::CommitSha;
use crate::github::models::GitObject;
use crate::github::prefetch::CommitFiles;

/// The alias of the `i`th file asked for.
pub fn alias(i: usize) -> String {
    format!("f{i}")
}

/// The selection of a commit and `paths` in it, read into `FilesTarget`.
pub fn selection(paths: &[String]) -> String {
    let files: String = paths
        .iter()
        .enumerate()
        .map(|(i, path)| {
            format!(
                " {}: file(path: {}) {{ path mode type oid object {{ __typename {BLOB} }} }}",
                alias(i),
                lit(path)
            )
        })
        .collect();
    format!("__typename oid ... on Commit {{ tree {{ oid }}{files} }}")
}

/// The object `selection` reads: a commit, or another object with none of the commit's fields.
#[derive(Deserialize)]
pub struct FilesTarget {
    #[serde(rename = "__typename")]
    kind: String,
    oid: CommitSha,
    tree: Option<Oid<String>>,
    /// Every other field is a file's alias: its tree entry, `null` where the path is missing.
    #[serde(flatten)]
    files: HashMap<String, Option<Entry>>,
}

/// A tree entry, with its blob's text.
#[derive(Deserialize)]
struct Entry {
    mode: u32,
    #[serde(rename = "type")]
    kind: String,
    oid: String,
    object: Option<Object>,
}

impl Pointee for FilesTarget {
    fn object(&self) -> GitObject {
        git_object(&self.kind, &self.oid)
    }
}

impl FilesTarget {
    /// The tree and `paths` (as given to `selection`), when every one is known: present as
    /// text, or absent (a path that is missing, or that is a directory, is no file).
    pub fn files(mut self, paths: &[String]) -> Option<CommitFiles> {
        if self.kind != "Commit" {
            return None;
        }
        let tree = self.tree?.oid;
        let mut files = HashMap::new();
        for (i, path) in paths.iter().enumerate() {
            let file = match self.files.remove(&alias(i)).flatten() {
                Some(entry) if entry.kind == "blob" => {
                    let Some(Object::Blob(blob)) = entry.object else {
                        return None;
                    };
                    Some((format!("{:o}", entry.mode), entry.oid, blob.text()?))
                }
                _ => None,
            };
            files.insert(path.clone(), file);
        }
        Some(CommitFiles { tree, files })
    }
}
