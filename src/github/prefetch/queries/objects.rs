//! The shapes several parts select (a blob's text, an actor, a ref and the object it points
//! at, a page of a list), read with serde and turned into the REST models they stand in for.

use serde::{Deserialize, Deserializer};

use super::lit;
use super::status::Status;
use crate::domain::CommitSha;
use crate::github::models::{GitObject, GitRef, TagObject, User};

/// What a ref's GraphQL name leaves out, and REST's name has.
pub const HEADS: &str = "refs/heads/";
pub const TAGS: &str = "refs/tags/";

/// The selection of a blob, read into `Object::Blob`.
pub const BLOB: &str = "... on Blob { text isBinary isTruncated }";

/// An object selected with `__typename` and, for a blob, `BLOB`.
#[derive(Deserialize)]
#[serde(tag = "__typename")]
pub enum Object {
    Blob(Blob),
    /// A tree or a submodule's commit: no file's text.
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Blob {
    text: Option<String>,
    is_binary: Option<bool>,
    is_truncated: Option<bool>,
}

impl Blob {
    /// The text, `None` when GitHub did not give all of it as text.
    pub fn text(self) -> Option<String> {
        let whole = self.is_binary == Some(false) && self.is_truncated == Some(false);
        self.text.filter(|_| whole)
    }
}

/// `{ oid }`: a tree's id, a merge commit's.
#[derive(Deserialize)]
pub struct Oid<T> {
    pub oid: T,
}

/// `{ __typename login }` of an author or the viewer.
#[derive(Deserialize)]
pub struct Actor {
    #[serde(rename = "__typename")]
    kind: Option<String>,
    login: String,
}

impl Actor {
    /// GraphQL names a GitHub App's account without the `[bot]` that REST (and the bot's own
    /// login) carries; a person's login cannot contain brackets, so adding it cannot make one
    /// look like the bot.
    pub fn user(self) -> User {
        let kind = self.kind.unwrap_or_else(|| "User".into());
        let login = if kind == "Bot" && !self.login.ends_with("[bot]") {
            format!("{}[bot]", self.login)
        } else {
            self.login
        };
        User { login, kind }
    }

    /// A deleted account is GraphQL's null author; REST calls it `ghost`.
    pub fn or_ghost(actor: Option<Actor>) -> User {
        actor.map(Actor::user).unwrap_or(User {
            login: "ghost".into(),
            kind: "User".into(),
        })
    }
}

/// The selection of the ref named `full_name` (`refs/heads/x`), with `target` selected of
/// what it points at; read into `Ref`.
pub fn ref_field(full_name: &str, target: &str) -> String {
    format!(
        "ref(qualifiedName: {}) {{ name target {{ {target} }} }}",
        lit(full_name)
    )
}

/// REST's object, of GraphQL's `__typename` and `oid`.
pub fn git_object(kind: &str, oid: &CommitSha) -> GitObject {
    GitObject {
        sha: oid.clone(),
        kind: kind.to_ascii_lowercase(),
    }
}

/// A ref: its name without `refs/…/`, and what it points at.
#[derive(Deserialize)]
pub struct Ref<T> {
    pub name: String,
    pub target: T,
}

/// What a ref can point at: an object selected with `__typename oid`.
pub trait Pointee {
    fn object(&self) -> GitObject;
}

impl<T: Pointee> Ref<T> {
    /// REST's ref, its name under `prefix` (`HEADS`, `TAGS`).
    pub fn git_ref(&self, prefix: &str) -> GitRef {
        GitRef {
            name: format!("{prefix}{}", self.name),
            object: self.target.object(),
        }
    }
}

/// `{ __typename oid }` of what a ref points at; for an annotated tag also its `name` and
/// `target`, and for a commit its `status` where the part asks for them.
#[derive(Deserialize)]
pub struct Target {
    #[serde(rename = "__typename")]
    kind: String,
    oid: CommitSha,
    name: Option<String>,
    target: Option<Box<Target>>,
    pub status: Option<Status>,
}

impl Pointee for Target {
    fn object(&self) -> GitObject {
        git_object(&self.kind, &self.oid)
    }
}

impl Target {
    fn is_tag(&self) -> bool {
        self.kind == "Tag"
    }

    /// An annotated tag object and what it names.
    pub fn tag_object(&self) -> Option<TagObject> {
        let named = self.target.as_deref().filter(|_| self.is_tag())?;
        Some(TagObject {
            sha: self.oid.to_string(),
            tag: self.name.clone()?,
            object: named.object(),
        })
    }

    /// What an annotated tag names, else the target itself.
    pub fn peeled(&self) -> &Target {
        match &self.target {
            Some(named) if self.is_tag() => named,
            _ => self,
        }
    }
}

/// One page of a list, and whether the list goes on past it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection<T> {
    pub page_info: PageInfo,
    pub nodes: Vec<T>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    has_next_page: Option<bool>,
    has_previous_page: Option<bool>,
}

impl PageInfo {
    /// The page holds the list's end (`first:`).
    pub fn ends(&self) -> bool {
        self.has_next_page == Some(false)
    }

    /// The page holds the list's start (`last:`).
    pub fn starts(&self) -> bool {
        self.has_previous_page == Some(false)
    }
}

/// An item of a list read alone: one that does not read is `None`, and the rest still read.
pub struct Lenient<T>(pub Option<T>);

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(Lenient(serde_json::from_value(value).ok()))
    }
}
