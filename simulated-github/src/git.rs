//! Git objects as git stores them, with git's own SHA-1 ids, so a seeded directory gets the
//! blob and tree ids `git` would give it.

use std::collections::{BTreeMap, HashMap};

use sha1::{Digest, Sha1};

pub const MODE_FILE: &str = "100644";
pub const MODE_EXECUTABLE: &str = "100755";
pub const MODE_SYMLINK: &str = "120000";
pub const MODE_TREE: &str = "040000";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub name: String,
    pub email: String,
    /// Seconds since the epoch.
    pub time: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    pub mode: String,
    pub name: String,
    pub sha: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitObject {
    pub tree: String,
    pub parents: Vec<String>,
    pub author: Signature,
    pub committer: Signature,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagObject {
    pub object: String,
    pub kind: String,
    pub tag: String,
    pub tagger: Signature,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Object {
    Blob(Vec<u8>),
    Tree(Vec<TreeEntry>),
    Commit(CommitObject),
    Tag(TagObject),
}

impl Object {
    pub fn kind(&self) -> &'static str {
        match self {
            Object::Blob(_) => "blob",
            Object::Tree(_) => "tree",
            Object::Commit(_) => "commit",
            Object::Tag(_) => "tag",
        }
    }

    fn content(&self) -> Vec<u8> {
        match self {
            Object::Blob(bytes) => bytes.clone(),
            Object::Tree(entries) => {
                let mut out = Vec::new();
                for entry in entries {
                    // git writes tree modes without the leading zero.
                    out.extend_from_slice(entry.mode.trim_start_matches('0').as_bytes());
                    out.push(b' ');
                    out.extend_from_slice(entry.name.as_bytes());
                    out.push(0);
                    out.extend_from_slice(&hex::decode(&entry.sha).unwrap_or_default());
                }
                out
            }
            Object::Commit(commit) => {
                let mut text = format!("tree {}\n", commit.tree);
                for parent in &commit.parents {
                    text.push_str(&format!("parent {parent}\n"));
                }
                text.push_str(&format!("author {}\n", signature_line(&commit.author)));
                text.push_str(&format!(
                    "committer {}\n\n",
                    signature_line(&commit.committer)
                ));
                text.push_str(&commit.message);
                text.into_bytes()
            }
            Object::Tag(tag) => format!(
                "object {}\ntype {}\ntag {}\ntagger {}\n\n{}",
                tag.object,
                tag.kind,
                tag.tag,
                signature_line(&tag.tagger),
                tag.message
            )
            .into_bytes(),
        }
    }

    /// git's id: SHA-1 of `<kind> <length>\0<content>`.
    pub fn id(&self) -> String {
        let content = self.content();
        let mut hasher = Sha1::new();
        hasher.update(format!("{} {}\0", self.kind(), content.len()).as_bytes());
        hasher.update(&content);
        hex::encode(hasher.finalize())
    }
}

fn signature_line(signature: &Signature) -> String {
    format!(
        "{} <{}> {} +0000",
        signature.name, signature.email, signature.time
    )
}

/// git sorts tree entries by name, comparing a tree's name as if it ended in `/`.
fn sort_key(entry: &TreeEntry) -> Vec<u8> {
    let mut key = entry.name.as_bytes().to_vec();
    if entry.mode == MODE_TREE {
        key.push(b'/');
    }
    key
}

/// One repository's object database.
#[derive(Debug, Default)]
pub struct Store {
    objects: HashMap<String, Object>,
}

impl Store {
    pub fn put(&mut self, object: Object) -> String {
        let id = object.id();
        self.objects.entry(id.clone()).or_insert(object);
        id
    }

    pub fn get(&self, sha: &str) -> Option<&Object> {
        self.objects.get(sha)
    }

    pub fn commit(&self, sha: &str) -> Option<&CommitObject> {
        match self.objects.get(sha)? {
            Object::Commit(commit) => Some(commit),
            _ => None,
        }
    }

    pub fn tree(&self, sha: &str) -> Option<&Vec<TreeEntry>> {
        match self.objects.get(sha)? {
            Object::Tree(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn blob(&self, sha: &str) -> Option<&Vec<u8>> {
        match self.objects.get(sha)? {
            Object::Blob(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// The commit a commit or annotated tag id finally points at.
    pub fn peel_to_commit(&self, sha: &str) -> Option<String> {
        match self.objects.get(sha)? {
            Object::Commit(_) => Some(sha.to_string()),
            Object::Tag(tag) => self.peel_to_commit(&tag.object),
            _ => None,
        }
    }

    /// Every file below a tree: path → (mode, blob id).
    pub fn flatten(&self, tree: &str) -> BTreeMap<String, (String, String)> {
        let mut out = BTreeMap::new();
        self.flatten_into(tree, "", &mut out, false);
        out
    }

    /// Every entry below a tree, sub-trees included, as GitHub's recursive listing shows them.
    pub fn flatten_with_trees(&self, tree: &str) -> BTreeMap<String, (String, String)> {
        let mut out = BTreeMap::new();
        self.flatten_into(tree, "", &mut out, true);
        out
    }

    fn flatten_into(
        &self,
        tree: &str,
        prefix: &str,
        out: &mut BTreeMap<String, (String, String)>,
        with_trees: bool,
    ) {
        let Some(entries) = self.tree(tree) else {
            return;
        };
        for entry in entries {
            let path = format!("{prefix}{}", entry.name);
            if entry.mode == MODE_TREE {
                if with_trees {
                    out.insert(path.clone(), (entry.mode.clone(), entry.sha.clone()));
                }
                self.flatten_into(&entry.sha, &format!("{path}/"), out, with_trees);
            } else {
                out.insert(path, (entry.mode.clone(), entry.sha.clone()));
            }
        }
    }

    /// Writes nested trees for a flat list of files and returns the root tree's id.
    pub fn write_tree(&mut self, files: &BTreeMap<String, (String, String)>) -> String {
        let mut here: Vec<TreeEntry> = Vec::new();
        let mut subdirs: BTreeMap<String, BTreeMap<String, (String, String)>> = BTreeMap::new();
        for (path, (mode, sha)) in files {
            match path.split_once('/') {
                Some((dir, rest)) => {
                    subdirs
                        .entry(dir.to_string())
                        .or_default()
                        .insert(rest.to_string(), (mode.clone(), sha.clone()));
                }
                None => here.push(TreeEntry {
                    mode: mode.clone(),
                    name: path.clone(),
                    sha: sha.clone(),
                }),
            }
        }
        for (dir, inner) in subdirs {
            let sha = self.write_tree(&inner);
            here.push(TreeEntry {
                mode: MODE_TREE.to_string(),
                name: dir,
                sha,
            });
        }
        here.sort_by_key(sort_key);
        self.put(Object::Tree(here))
    }

    /// Is `ancestor` reachable from `descendant` through parents?
    pub fn is_ancestor(&self, ancestor: &str, descendant: &str) -> bool {
        let mut stack = vec![descendant.to_string()];
        let mut seen = std::collections::HashSet::new();
        while let Some(sha) = stack.pop() {
            if sha == ancestor {
                return true;
            }
            if !seen.insert(sha.clone()) {
                continue;
            }
            if let Some(commit) = self.commit(&sha) {
                stack.extend(commit.parents.iter().cloned());
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blob_gets_gits_own_id() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            Object::Blob(b"hello\n".to_vec()).id(),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
    }

    #[test]
    fn the_empty_tree_gets_gits_own_id() {
        assert_eq!(
            Object::Tree(vec![]).id(),
            "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
        );
    }

    #[test]
    fn nested_files_round_trip_through_trees() {
        let mut store = Store::default();
        let blob = store.put(Object::Blob(b"x\n".to_vec()));
        let files = BTreeMap::from([
            ("a/b.txt".to_string(), (MODE_FILE.to_string(), blob.clone())),
            (
                "run.sh".to_string(),
                (MODE_EXECUTABLE.to_string(), blob.clone()),
            ),
        ]);
        let root = store.write_tree(&files);
        assert_eq!(store.flatten(&root), files);
        assert_eq!(store.flatten_with_trees(&root).len(), 3);
    }

    #[test]
    fn trees_sort_directories_as_if_they_ended_in_a_slash() {
        let mut store = Store::default();
        let blob = store.put(Object::Blob(vec![]));
        let files = BTreeMap::from([
            ("a.txt".to_string(), (MODE_FILE.to_string(), blob.clone())),
            ("a/x".to_string(), (MODE_FILE.to_string(), blob.clone())),
        ]);
        let root = store.write_tree(&files);
        let names: Vec<&str> = store
            .tree(&root)
            .unwrap()
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        assert_eq!(names, ["a.txt", "a"]);
    }
}
